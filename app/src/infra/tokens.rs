//! Random secrets for cookies and emailed links, and the hashes stored in their place.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Returns 32 random bytes from the operating system's generator, hex-encoded.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Returns the SHA-256 of `secret`, hex-encoded. The database stores only this, so a leaked
/// copy of it cannot be used to sign in or to open a link.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Returns a new UUIDv7 as text: unique, and sortable by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hash_stably() {
        let first = new_secret();
        let second = new_secret();
        assert_eq!(first.len(), 64);
        assert_ne!(first, second);
        assert_eq!(hash_secret(&first), hash_secret(&first));
        assert_ne!(hash_secret(&first), first);
    }
}

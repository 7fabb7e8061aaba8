//! Password hashing with Argon2id on blocking threads, a few at a time.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::fields::NewPassword;

/// OWASP's first recommended Argon2id setting: 19 MiB of memory, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Bounds how many hashes run at once, so a burst of sign-ins costs at most this many times
/// 19 MiB and leaves the blocking pool free for other work.
fn permits() -> &'static Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        Arc::new(Semaphore::new(cores))
    })
}

async fn run_blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
    let _permit = permits().clone().acquire_owned().await.map_err(|_| AppError::Internal)?;
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(error = %error, "password hashing task failed");
        AppError::Internal
    })
}

/// Hashes a new password into a PHC string that records its salt and parameters.
pub async fn hash(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    run_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        hasher().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string())
    })
    .await?
    .map_err(|error| {
        tracing::error!(error = %error, "password hashing failed");
        AppError::Internal
    })
}

/// Checks `password` against a stored PHC string. With no stored hash (unknown email) it
/// verifies against a fixed hash anyway, so that the answer takes as long either way.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, AppError> {
    let password = password.to_owned();
    let known = stored.is_some();
    let stored = stored.map(str::to_owned).unwrap_or_else(|| dummy_hash().to_owned());
    let matches = run_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&stored) else {
            tracing::error!("stored password hash is not a valid PHC string");
            return false;
        };
        hasher().verify_password(password.as_bytes(), &parsed).is_ok()
    })
    .await?;
    Ok(known && matches)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        hasher()
            .hash_password(b"no account has this password", &salt)
            .map(|hash| hash.to_string())
            .expect("hashing a constant succeeds")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        let stored = hash(&password).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("correct horse battery", Some(&stored)).await.unwrap());
        assert!(!verify("wrong horse battery", Some(&stored)).await.unwrap());
        assert!(!verify("correct horse battery", None).await.unwrap());
    }
}

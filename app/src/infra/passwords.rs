//! Password hashing with Argon2id on blocking threads, a few at a time, in reused memory.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::fields::NewPassword;

/// OWASP's first recommended Argon2id setting: 19 MiB of memory, 2 iterations, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;
const OUTPUT_LEN: usize = 32;
const SALT_LEN: usize = 16;

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, LANES, Some(OUTPUT_LEN)).expect("valid Argon2 parameters")
}

/// Bounds how many hashes run at once and keeps one 19 MiB work area per slot for reuse.
///
/// Allocating the work area for every hash made the process grow by about 19 MiB per
/// sign-in, because glibc's allocator kept the freed blocks in per-thread arenas. The release
/// binary reached 3.8 GiB resident after a few hundred sign-ins. Reusing them keeps
/// the memory for hashing at slots × 19 MiB.
struct Hashing {
    slots: Arc<Semaphore>,
    work_areas: Mutex<Vec<Vec<Block>>>,
}

fn hashing() -> &'static Hashing {
    static HASHING: OnceLock<Hashing> = OnceLock::new();
    HASHING.get_or_init(|| {
        let cores = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
        Hashing { slots: Arc::new(Semaphore::new(cores)), work_areas: Mutex::new(Vec::new()) }
    })
}

/// Runs `work` on a blocking thread with a work area of at least `blocks` Argon2 blocks.
///
/// The slot is held until `work` returns, even when the request that started it is dropped
/// (a client that hangs up), so hashes of abandoned requests still count against the bound.
async fn run_blocking<T: Send + 'static>(
    blocks: usize,
    work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
) -> Result<T, AppError> {
    let slot = hashing().slots.clone().acquire_owned().await.map_err(|_| AppError::Internal)?;
    let task = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let pool = &hashing().work_areas;
        let mut area = pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop().unwrap_or_default();
        if area.len() < blocks {
            area.resize(blocks, Block::default());
        }
        let result = work(&mut area);
        // Only areas of the standard size go back, so an odd stored hash cannot grow the pool.
        if area.len() == params().block_count() {
            pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(area);
        }
        result
    });
    task.await.map_err(|error| {
        tracing::error!(error = %error, "password hashing task failed");
        AppError::Internal
    })
}

/// Hashes a new password into a PHC string that records its salt and parameters.
pub async fn hash(password: &NewPassword) -> Result<String, AppError> {
    let password = password.expose().to_owned();
    let params = params();
    let blocks = params.block_count();
    run_blocking(blocks, move |area| -> Result<String, String> {
        let mut salt = [0u8; SALT_LEN];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let mut output = [0u8; OUTPUT_LEN];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
            .hash_password_into_with_memory(password.as_bytes(), &salt, &mut output, area)
            .map_err(|error| error.to_string())?;

        let salt = SaltString::encode_b64(&salt).map_err(|error| error.to_string())?;
        let phc = PasswordHash {
            algorithm: argon2::ARGON2ID_IDENT,
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|error| error.to_string())?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&output).map_err(|error| error.to_string())?),
        };
        Ok(phc.to_string())
    })
    .await?
    .map_err(|error| {
        tracing::error!(error = %error, "password hashing failed");
        AppError::Internal
    })
}

/// Checks `password` against a stored PHC string. With no stored hash (unknown email) it
/// verifies against a fixed hash anyway, so that the response takes as long either way.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, AppError> {
    let known = stored.is_some();
    let stored = stored.map(str::to_owned).unwrap_or_else(|| dummy_hash().to_owned());
    let Some((params, version, salt, expected)) = parse_stored(&stored) else {
        tracing::error!("stored password hash is not an Argon2id PHC string");
        return Ok(false);
    };
    let password = password.to_owned();
    let matches = run_blocking(params.block_count(), move |area| {
        let mut output = vec![0u8; expected.len()];
        let computed = Argon2::new(Algorithm::Argon2id, version, params).hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut output,
            area,
        );
        // `Output`'s equality compares in constant time.
        computed.is_ok() && Output::new(&output).is_ok_and(|output| output == expected)
    })
    .await?;
    Ok(known && matches)
}

/// Splits a stored PHC string into its parameters, version, raw salt and expected output.
fn parse_stored(stored: &str) -> Option<(Params, Version, Vec<u8>, Output)> {
    let parsed = PasswordHash::new(stored).ok()?;
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return None;
    }
    let params = Params::try_from(&parsed).ok()?;
    let version = parsed.version.map_or(Ok(Version::V0x13), Version::try_from).ok()?;
    let mut salt = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt).ok()?.to_vec();
    Some((params, version, salt, parsed.hash?))
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"no account has this password", &salt)
            .map(|hash| hash.to_string())
            .expect("hashing a constant succeeds")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[tokio::test]
    async fn hash_then_verify() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        let stored = hash(&password).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(verify("correct horse battery", Some(&stored)).await.unwrap());
        assert!(!verify("wrong horse battery", Some(&stored)).await.unwrap());
        assert!(!verify("correct horse battery", None).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_match_the_argon2_crate() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        let stored = hash(&password).await.unwrap();
        let parsed = PasswordHash::new(&stored).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse battery", &parsed).is_ok());

        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let by_crate = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8 * 1024, 1, 1, None).unwrap())
            .hash_password(b"other parameters work too", &salt)
            .unwrap()
            .to_string();
        assert!(verify("other parameters work too", Some(&by_crate)).await.unwrap());
        assert!(!verify("other parameters", Some(&by_crate)).await.unwrap());
    }

    #[tokio::test]
    async fn malformed_stored_hash_never_matches() {
        assert!(!verify("anything at all", Some("not a phc string")).await.unwrap());
        assert!(
            !verify("anything at all", Some("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo")).await.unwrap()
        );
    }
}

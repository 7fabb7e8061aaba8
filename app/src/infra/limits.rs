//! Per-IP and per-account rate limits for the endpoints that attackers guess at.
//!
//! NOTE: the counters live in this process's memory. Several server processes behind one
//! load balancer each allow the full quota.

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::time::Duration;

use crate::error::AppError;

/// What is being limited. Each bucket has its own quota and its own counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    /// Sign-in attempts from one IP address: 30, then one more every 2 seconds.
    SignInIp,
    /// Sign-in attempts on one email address from one IP address: 10, then one more every 90
    /// seconds.
    SignInAccountFromIp,
    /// Sign-in attempts on one email address from anywhere: 50, then one more every 36
    /// seconds. Looser than the per-IP bucket, so that a stranger cannot lock a person out
    /// with a few guesses, while guessing from many addresses stays slow.
    SignInAccount,
    /// New accounts from one IP address: 10, then one more every 6 minutes.
    SignUpIp,
    /// Confirmation and password-reset emails requested from one IP address: 10, then one
    /// more every 6 minutes.
    EmailIp,
    /// Confirmation and password-reset emails for one address: 3, then one more every 20
    /// minutes.
    EmailAccount,
    /// Invitations sent by one partner account: 50, then one more every 36 seconds.
    InviteAccount,
    /// Invitations accepted from one IP address, each a password hash: 30, then one more
    /// every 10 seconds.
    AcceptIp,
}

impl Bucket {
    const ALL: [Bucket; 8] = [
        Bucket::SignInIp,
        Bucket::SignInAccountFromIp,
        Bucket::SignInAccount,
        Bucket::SignUpIp,
        Bucket::EmailIp,
        Bucket::EmailAccount,
        Bucket::InviteAccount,
        Bucket::AcceptIp,
    ];

    fn quota(self) -> Quota {
        let (burst, period_secs) = match self {
            Bucket::SignInIp => (30, 2),
            Bucket::SignInAccountFromIp => (10, 90),
            Bucket::SignInAccount => (50, 36),
            Bucket::SignUpIp => (10, 360),
            Bucket::EmailIp => (10, 360),
            Bucket::EmailAccount => (3, 1200),
            Bucket::InviteAccount => (50, 36),
            Bucket::AcceptIp => (30, 10),
        };
        Quota::with_period(Duration::from_secs(period_secs))
            .expect("non-zero period")
            .allow_burst(NonZeroU32::new(burst).expect("non-zero burst"))
    }
}

pub struct RateLimits {
    enabled: bool,
    limiters: Vec<(Bucket, DefaultKeyedRateLimiter<String>)>,
}

impl RateLimits {
    /// `enabled = false` lets every request through; it exists for load tests.
    pub fn new(enabled: bool) -> Self {
        let limiters = Bucket::ALL.into_iter().map(|bucket| (bucket, RateLimiter::keyed(bucket.quota()))).collect();
        Self { enabled, limiters }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Counts one attempt on `key` in `bucket`, or rejects it with the wait in seconds.
    pub fn check(&self, bucket: Bucket, key: &str) -> Result<(), AppError> {
        if !self.enabled {
            return Ok(());
        }
        let limiter = self.limiter(bucket);
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::warn!(bucket = ?bucket, "rate limit reached");
            AppError::RateLimited { retry_after_secs: wait.as_secs().max(1) }
        })
    }

    /// Drops counters of keys that have fully recovered, so memory does not grow with the
    /// number of distinct IPs and addresses seen.
    pub fn forget_idle_keys(&self) {
        for (_, limiter) in &self.limiters {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }

    fn limiter(&self, bucket: Bucket) -> &DefaultKeyedRateLimiter<String> {
        self.limiters
            .iter()
            .find(|(candidate, _)| *candidate == bucket)
            .map(|(_, limiter)| limiter)
            .expect("every bucket has a limiter")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_bucket_rejects_after_burst() {
        let limits = RateLimits::new(true);
        for _ in 0..3 {
            assert!(limits.check(Bucket::EmailAccount, "ada@example.com").is_ok());
        }
        let rejected = limits.check(Bucket::EmailAccount, "ada@example.com");
        assert!(matches!(rejected, Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs > 0));
        assert!(limits.check(Bucket::EmailAccount, "grace@example.com").is_ok(), "other keys are counted apart");
    }

    #[test]
    fn disabled_limits_allow_everything() {
        let limits = RateLimits::new(false);
        for _ in 0..100 {
            assert!(limits.check(Bucket::EmailAccount, "ada@example.com").is_ok());
        }
    }
}

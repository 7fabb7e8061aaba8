//! The state every server function reaches through Leptos context.

use leptos::prelude::*;
use std::sync::Arc;
use url::Url;

use super::clock::{Clock, HOUR_MS, MINUTE_MS};
use super::db::Db;
use super::limits::RateLimits;
use super::mail::Mailer;
use crate::error::AppError;

/// Settings the server functions need, taken from the server's configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The URL members reach the portal at, used for links in emails and the `Origin` check.
    pub public_url: Url,
    /// Sessions end after this long without a request.
    pub session_idle_ms: i64,
    /// Sessions end this long after sign-in, however active.
    pub session_max_ms: i64,
}

impl Settings {
    pub fn new(public_url: Url) -> Self {
        Self { public_url, session_idle_ms: 60 * MINUTE_MS, session_max_ms: 12 * HOUR_MS }
    }

    /// Cookies are marked `Secure` whenever the portal is served over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// Builds an absolute link to `path_and_query` on the public URL.
    pub fn link(&self, path_and_query: &str) -> String {
        let base = self.public_url.as_str().trim_end_matches('/');
        format!("{base}{path_and_query}")
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub mailer: Mailer,
    pub clock: Clock,
    pub limits: Arc<RateLimits>,
    pub settings: Arc<Settings>,
}

/// Returns the shared state inside a server function or a server-side render.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

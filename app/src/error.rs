//! The one error type of the portal: returned by every server function, shown by every form.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A message that belongs to one form field, named as in the form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_owned(), message: message.into() }
    }
}

/// What went wrong, in words the member can act on. Each variant names the HTTP status that
/// server functions answer with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 422: some fields are invalid; the form shows each message beside its field.
    #[error("Some fields need your attention.")]
    Invalid(Vec<FieldError>),
    /// 401: no valid session.
    #[error("Your session has ended. Please sign in again.")]
    Unauthenticated,
    /// 401: the email address and password do not match an account that can sign in.
    #[error("The email address or password is incorrect.")]
    WrongCredentials,
    /// 403: signed in, but the role or the account's rules do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the thing does not exist, or belongs to another account.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the current state, such as a duplicate.
    #[error("{0}")]
    Conflict(String),
    /// 410: a link or token that has expired or was already used.
    #[error("{0}")]
    Gone(String),
    /// 429: too many attempts from this address or on this account.
    #[error("Too many attempts. Please wait {} and try again.", describe_wait(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    /// 400: the request itself could not be read, such as a missing form field.
    #[error("The request could not be read. Reload the page and try again.")]
    BadRequest,
    /// 503: a service the portal depends on, such as the mail server, failed; try later.
    #[error("{0}")]
    Unavailable(String),
    /// 500: a fault on our side. The cause is logged once where it happened, never sent.
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
}

/// Describes a wait in the unit a person thinks in: seconds up to a minute and a half, then
/// whole minutes, rounded up.
fn describe_wait(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".to_owned(),
        2..=90 => format!("{seconds} seconds"),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

impl AppError {
    /// Returns an `Invalid` error for a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// Returns the message for `field`, if this error carries one.
    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(errors) => {
                errors.iter().find(|error| error.field == field).map(|error| error.message.clone())
            }
            _ => None,
        }
    }

    pub fn status_code(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated | AppError::WrongCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_) => {
                AppError::BadRequest
            }
            // These arrive in the browser when the request failed on the way; the server logs
            // its own side.
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed before it ran");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;

    impl From<sqlx::Error> for AppError {
        fn from(error: sqlx::Error) -> Self {
            tracing::error!(error = %error, "database query failed");
            AppError::Internal
        }
    }

    impl From<sqlx::migrate::MigrateError> for AppError {
        fn from(error: sqlx::migrate::MigrateError) -> Self {
            tracing::error!(error = %error, "database migration failed");
            AppError::Internal
        }
    }

    impl axum::response::IntoResponse for AppError {
        fn into_response(self) -> axum::response::Response {
            let status = self.status_code();
            let body = axum::Json(serde_json::json!({ "error": self.to_string(), "detail": self }));
            (status, body).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_wait_reads_naturally() {
        let wait = |secs| AppError::RateLimited { retry_after_secs: secs }.to_string();
        assert_eq!(wait(1), "Too many attempts. Please wait a second and try again.");
        assert_eq!(wait(45), "Too many attempts. Please wait 45 seconds and try again.");
        assert_eq!(wait(284), "Too many attempts. Please wait 5 minutes and try again.");
    }
}

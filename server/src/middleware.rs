//! Request guards and response headers applied to every route.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderValue};
use http::{Method, StatusCode};

/// Rejects state-changing requests whose `Origin` is not the portal's own, so that another
/// site cannot make a signed-in browser submit a form here. Browsers send `Origin` on every
/// POST; a request with neither `Origin` nor `Referer` is rejected too.
pub async fn require_same_origin(State(origin): State<OriginPolicy>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let sent = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()).map(str::to_owned).or_else(|| {
        let referer = headers.get(header::REFERER)?.to_str().ok()?;
        Some(url::Url::parse(referer).ok()?.origin().ascii_serialization())
    });
    if sent.as_deref() == Some(origin.expected.as_str()) {
        return next.run(request).await;
    }
    tracing::warn!(origin = sent.as_deref().unwrap_or("-"), path = %request.uri().path(), "cross-origin request rejected");
    (
        StatusCode::FORBIDDEN,
        "This request came from another site, so it was rejected. Open the portal at its own address and try again.",
    )
        .into_response()
}

#[derive(Clone, Debug)]
pub struct OriginPolicy {
    pub expected: String,
}

/// Sets `Cache-Control: no-store` on responses that set no caching policy themselves, because
/// pages and server-function responses carry a member's data and must not be kept by caches.
pub async fn default_no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Replaces the bare 413 of the body-size limit with a sentence a person can act on.
pub async fn explain_payload_too_large(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    let mut explained = Response::new(Body::from(
        "The submitted form is larger than the portal accepts (64 KiB). Shorten what you entered and try again.",
    ));
    *explained.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    explained.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    explained
}

/// Gives each server-function error its HTTP status. Leptos responds to every failed server
/// function with 500 and the encoded error. This decodes the error and sets the status its
/// variant names (422 for invalid fields, 401, 403, 429 …), so clients and logs see the real
/// outcome. Plain HTML form posts get a redirect instead and pass unchanged.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR || !response.headers().contains_key("serverfnerror") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "The response could not be read.").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = error.status_code();
    }
    Response::from_parts(parts, Body::from(bytes))
}

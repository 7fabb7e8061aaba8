//! Facts about the current request, and changes to its response, inside a server function.

use axum::extract::ConnectInfo;
use http::header::{ACCEPT, COOKIE, SET_COOKIE, USER_AGENT};
use http::{HeaderValue, request::Parts};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;

use super::state::Settings;

/// The client's address, user agent and session cookie.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub ip: String,
    pub user_agent: Option<String>,
    pub session_secret: Option<String>,
    /// True for a plain HTML form post, made with JavaScript off.
    pub accepts_html: bool,
}

/// Reads the request facts. The IP is the TCP peer's address.
///
/// NOTE: behind a reverse proxy every request comes from the proxy's address, which then
/// shares one per-IP rate limit; there is no trusted `X-Forwarded-For` handling yet.
pub fn request_meta() -> RequestMeta {
    let Some(parts) = use_context::<Parts>() else {
        return RequestMeta { ip: "unknown".into(), user_agent: None, session_secret: None, accepts_html: false };
    };
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let header = |name| parts.headers.get(name).and_then(|value: &HeaderValue| value.to_str().ok());
    RequestMeta {
        ip,
        user_agent: header(USER_AGENT).map(|agent| agent.chars().take(300).collect()),
        session_secret: session_cookie(&parts),
        accepts_html: header(ACCEPT).is_some_and(|accept| accept.contains("text/html")),
    }
}

/// Name of the session cookie. With HTTPS it carries the `__Host-` prefix, which browsers
/// accept only with `Secure`, `Path=/` and no `Domain`, so no subdomain can overwrite it.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-portal_session" } else { "portal_session" }
}

fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "portal_session" || *name == "__Host-portal_session")
        .map(|(_, value)| value.to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Sets the session cookie to `secret`, or clears it when `secret` is `None`. The cookie
/// carries only the random id; it lives as long as the browser unless cleared, and the server
/// decides when the session behind it has ended.
pub fn set_session_cookie(settings: &Settings, secret: Option<&str>) {
    let secure = settings.secure_cookies();
    let name = session_cookie_name(secure);
    let secure_attr = if secure { "; Secure" } else { "" };
    let cookie = match secret {
        Some(secret) => format!("{name}={secret}; Path=/; HttpOnly; SameSite=Lax{secure_attr}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure_attr}"),
    };
    if let (Some(response), Ok(value)) = (use_context::<ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        response.append_header(SET_COOKIE, value);
    }
}

//! Cross-origin protection, security headers, static files, size limits and the health check.

use axum::body::Body;
use http::{Method, Request, StatusCode, header};

use crate::on_both_engines;
use crate::support::{ORIGIN, PASSWORD, TestApp};

fn sign_up_request(origin: Option<&str>) -> Request<Body> {
    let body = format!(
        "company=Acme&country=KE&name=Ada&email=ada%40example.com&password={0}&password_confirm={0}",
        PASSWORD.replace(' ', "+")
    );
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/sign_up")
        .header(header::ACCEPT, "application/json")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    request.body(Body::from(body)).unwrap()
}

async fn cross_origin_post_rejected(app: TestApp) {
    let before = app.snapshot().await;

    for origin in [Some("https://evil.example"), Some("http://127.0.0.1:3001"), Some("null"), None] {
        let response = app.request(sign_up_request(origin)).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "origin {origin:?}");
        assert!(response.body.contains("another site"), "{}", response.body);
    }

    assert_eq!(app.snapshot().await, before);
    assert!(app.emails_to("ada@example.com").is_empty());
    let same_origin = app.request(sign_up_request(Some(ORIGIN))).await;
    assert_eq!(same_origin.status, StatusCode::OK, "the same request from the portal's origin works");
}

async fn cross_origin_sign_out_keeps_session(app: TestApp) {
    let cookie = app.signed_in_owner("Acme", "ada@example.com").await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/sign_out")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::COOKIE, format!("portal_session={cookie}"))
        .body(Body::empty())
        .unwrap();

    assert_eq!(app.request(request).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 1);
}

async fn page_has_security_headers(app: TestApp) {
    let response = app.get("/sign-in", None).await;

    assert_eq!(response.status, StatusCode::OK);
    let csp = response.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce in the policy");
    assert!(response.body.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
    assert_eq!(response.headers.get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    assert_eq!(response.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    assert_eq!(response.headers.get(header::REFERRER_POLICY).unwrap(), "strict-origin-when-cross-origin");
    assert_eq!(response.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(response.headers.get("x-request-id").is_some());
    assert!(response.body.contains("<h1>Sign in</h1>"));
}

async fn signed_out_visitor_redirected_to_sign_in(app: TestApp) {
    let response = app.get("/", None).await;

    assert!(response.status.is_redirection(), "{} {}", response.status, response.body);
    assert_eq!(response.headers.get(header::LOCATION).unwrap(), "/sign-in");
    let team = app.get("/team", None).await;
    assert!(team.status.is_redirection(), "{}", team.status);
    assert_eq!(team.headers.get(header::LOCATION).unwrap(), "/sign-in?next=/team", "back to the page after signing in");
}

async fn shell_page_shows_account(app: TestApp) {
    let cookie = app.signed_in_owner("Acme Lending", "ada@example.com").await;

    let response = app.get("/", Some(&cookie)).await;

    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body.contains("Acme Lending"), "{}", response.body);
    assert!(response.body.contains("Partner ID 001"), "{}", response.body);
    assert!(response.body.contains("Sign out"));
}

async fn unknown_page_is_not_found(app: TestApp) {
    let response = app.get("/no-such-page", None).await;

    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(response.body.contains("Page not found"));
}

async fn hashed_static_files_cached_and_compressed(app: TestApp) {
    let pkg = app.site_root.join("pkg");
    std::fs::write(pkg.join("portal-abc.js"), "console.log('plain');").unwrap();
    std::fs::write(pkg.join("portal-abc.js.br"), "brotli bytes").unwrap();
    std::fs::write(app.site_root.join("favicon.ico"), "icon").unwrap();

    let request = Request::builder()
        .uri("/pkg/portal-abc.js")
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .body(Body::empty())
        .unwrap();
    let response = app.request(request).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers.get(header::CONTENT_ENCODING).unwrap(), "br");
    assert_eq!(response.body, "brotli bytes");
    assert_eq!(response.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=31536000, immutable");

    let plain = app.get("/pkg/portal-abc.js", None).await;
    assert_eq!(plain.body, "console.log('plain');");
    let icon = app.get("/favicon.ico", None).await;
    assert_eq!(icon.headers.get(header::CACHE_CONTROL).unwrap(), "public, max-age=3600");
}

async fn oversized_body_rejected(app: TestApp) {
    let before = app.snapshot().await;
    let huge = "a".repeat(server::MAX_BODY_BYTES + 1);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/sign_in")
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, huge.len() + 32)
        .body(Body::from(format!("email=ada%40example.com&password={huge}")))
        .unwrap();

    let response = app.request(request).await;

    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(response.body.contains("larger than the portal accepts"), "{}", response.body);
    assert_eq!(app.snapshot().await, before);
}

async fn health_check_reports_database(app: TestApp) {
    let response = app.get("/healthz", None).await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, "ok");
    app.db().close().await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::SERVICE_UNAVAILABLE);
}

async fn malformed_form_is_bad_request(app: TestApp) {
    let before = app.snapshot().await;
    let response = app.call("sign_in", &[("email", "ada@example.com")], None).await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{}", response.body);
    assert!(response.body.contains("BadRequest"), "{}", response.body);
    assert_eq!(app.snapshot().await, before);
}

on_both_engines!(
    cross_origin_post_rejected,
    cross_origin_sign_out_keeps_session,
    page_has_security_headers,
    signed_out_visitor_redirected_to_sign_in,
    shell_page_shows_account,
    unknown_page_is_not_found,
    hashed_static_files_cached_and_compressed,
    oversized_body_rejected,
    health_check_reports_database,
    malformed_form_is_bad_request,
);

//! Sign-up, email confirmation, sign-in, sessions, sign-out and password reset, through the
//! real router.

use app::infra::clock::{HOUR_MS, MINUTE_MS};
use http::{StatusCode, header};

use crate::on_both_engines;
use crate::support::{PASSWORD, TestApp};

async fn sign_up_creates_account_and_emails_link(app: TestApp) {
    let response = app.sign_up("Acme Lending", "Ada@Example.com").await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.headers.get(header::LOCATION).unwrap(), "/check-email");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM partners WHERE number = 1 AND name = 'Acme Lending' AND country = 'KE' AND plan = 'standard'").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE email = 'ada@example.com' AND email_confirmed_at IS NULL").await,
        1
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM memberships WHERE role = 'owner'").await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'account.created'").await, 1);
    let token = app.token_from_email("ada@example.com", "/confirm-email?token=");
    assert_eq!(token.len(), 64);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM email_tokens WHERE purpose = 'confirm_email'").await,
        1,
        "only the token's hash is stored"
    );
    let stored = app.text("SELECT token_hash FROM email_tokens").await.unwrap();
    assert_ne!(stored, token);
}

async fn partner_ids_are_sequential(app: TestApp) {
    app.sign_up("First Company", "first@example.com").await;
    app.sign_up("Second Company", "second@example.com").await;

    let cookie = {
        let token = app.token_from_email("second@example.com", "/confirm-email?token=");
        app.call("confirm_email", &[("token", &token)], None).await;
        app.sign_in("second@example.com", PASSWORD).await.session_cookie().unwrap()
    };
    let shell = app.call("shell", &[], Some(&cookie)).await.json();
    assert_eq!(shell["account"]["partner_number"], "002");
    assert_eq!(shell["account"]["partner_name"], "Second Company");
    assert_eq!(shell["account"]["role"], "Owner");
}

async fn sign_up_invalid_fields_change_nothing(app: TestApp) {
    let before = app.snapshot().await;

    let response = app
        .call(
            "sign_up",
            &[
                ("company", "A"),
                ("country", "XX"),
                ("name", " "),
                ("email", "not-an-address"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
            None,
        )
        .await;

    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.field_message("company").as_deref(), Some("Use at least 2 characters for the company name."));
    assert_eq!(response.field_message("country").as_deref(), Some("Choose your company's country."));
    assert_eq!(response.field_message("name").as_deref(), Some("Enter your name."));
    assert_eq!(response.field_message("email").as_deref(), Some("Enter an email address such as name@example.com."));
    assert_eq!(response.field_message("password").as_deref(), Some("Use at least 12 characters."));
    assert_eq!(app.snapshot().await, before);
    assert!(app.emails_to("not-an-address").is_empty());
}

async fn sign_up_mismatched_passwords_rejected(app: TestApp) {
    let before = app.snapshot().await;
    let response = app
        .call(
            "sign_up",
            &[
                ("company", "Acme"),
                ("country", "NG"),
                ("name", "Ada"),
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("password_confirm", "something else entirely"),
            ],
            None,
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.field_message("password_confirm").as_deref(), Some("The two passwords do not match."));
    assert_eq!(app.snapshot().await, before);
}

async fn sign_up_existing_email_reveals_nothing(app: TestApp) {
    let first = app.sign_up("Acme", "ada@example.com").await;
    let before = app.snapshot().await;

    let second = app.sign_up("Other Company", "ADA@example.com").await;

    assert_eq!(second.status, first.status);
    assert_eq!(second.body, first.body);
    assert_eq!(second.headers.get(header::LOCATION), first.headers.get(header::LOCATION));
    assert_eq!(app.snapshot().await, before, "no second account, user or token");
    let emails = app.emails_to("ada@example.com");
    assert_eq!(emails.len(), 2);
    assert!(emails[1].contains("already has a login"), "{}", emails[1]);
}

async fn confirmation_link_valid_then_reused(app: TestApp) {
    app.sign_up("Acme", "ada@example.com").await;
    let token = app.token_from_email("ada@example.com", "/confirm-email?token=");

    let first = app.call("confirm_email", &[("token", &token)], None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.json(), "Confirmed");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users WHERE email_confirmed_at IS NOT NULL").await, 1);

    let before = app.snapshot().await;
    let again = app.call("confirm_email", &[("token", &token)], None).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json(), "AlreadyConfirmed");
    assert_eq!(app.snapshot().await, before);
}

async fn confirmation_link_unknown_or_expired(app: TestApp) {
    app.sign_up("Acme", "ada@example.com").await;
    let token = app.token_from_email("ada@example.com", "/confirm-email?token=");
    let before = app.snapshot().await;

    let unknown = app.call("confirm_email", &[("token", &"0".repeat(64))], None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.body.contains("not valid"), "{}", unknown.body);

    app.clock.advance(48 * HOUR_MS);
    let expired = app.call("confirm_email", &[("token", &token)], None).await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("expired"), "{}", expired.body);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM users WHERE email_confirmed_at IS NULL").await, 1);
    assert_eq!(app.snapshot().await, before);
}

async fn resend_replaces_the_confirmation_link(app: TestApp) {
    app.sign_up("Acme", "ada@example.com").await;
    let old = app.token_from_email("ada@example.com", "/confirm-email?token=");

    let response = app.call("resend_confirmation", &[("email", "ada@example.com")], None).await;
    assert_eq!(response.status, StatusCode::OK);
    let new = app.token_from_email("ada@example.com", "/confirm-email?token=");
    assert_ne!(old, new);

    let stale = app.call("confirm_email", &[("token", &old)], None).await;
    assert_eq!(stale.status, StatusCode::GONE, "the older link stops working: {}", stale.body);
    assert_eq!(app.call("confirm_email", &[("token", &new)], None).await.json(), "Confirmed");
}

async fn resend_for_unknown_address_answers_the_same(app: TestApp) {
    app.sign_up("Acme", "ada@example.com").await;
    let known = app.call("resend_confirmation", &[("email", "ada@example.com")], None).await;
    let before = app.snapshot().await;

    let unknown = app.call("resend_confirmation", &[("email", "nobody@example.com")], None).await;

    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body);
    assert_eq!(unknown.headers.get(header::LOCATION), known.headers.get(header::LOCATION));
    assert!(app.emails_to("nobody@example.com").is_empty());
    assert_eq!(app.snapshot().await, before);
}

async fn sign_in_right_password_sets_cookie(app: TestApp) {
    let cookie = app.signed_in_owner("Acme", "ada@example.com").await;

    assert_eq!(cookie.len(), 64);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 1);
    let stored = app.text("SELECT id_hash FROM sessions").await.unwrap();
    assert_ne!(stored, cookie, "only the cookie's hash is stored");
    let shell = app.call("shell", &[], Some(&cookie)).await.json();
    assert_eq!(shell["email"], "ada@example.com");
    assert_eq!(shell["account"]["partner_name"], "Acme");
}

async fn sign_in_cookie_attributes(app: TestApp) {
    app.signed_in_owner("Acme", "ada@example.com").await;
    let response = app.sign_in("ada@example.com", PASSWORD).await;
    let set_cookie = response.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "plain http on loopback: {set_cookie}");
}

async fn sign_in_wrong_password_rejected(app: TestApp) {
    app.signed_in_owner("Acme", "ada@example.com").await;
    let sessions = app.scalar("SELECT COUNT(*) FROM sessions").await;

    let wrong = app.sign_in("ada@example.com", "not the right password").await;
    let unknown = app.sign_in("nobody@example.com", "not the right password").await;

    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body, unknown.body, "an unknown address answers like a wrong password");
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.session_cookie().is_none());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, sessions);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'session.sign_in_failed'").await, 2);
}

async fn sign_in_unconfirmed_rejected(app: TestApp) {
    app.sign_up("Acme", "ada@example.com").await;
    let before = app.snapshot().await;

    let response = app.sign_in("ada@example.com", PASSWORD).await;

    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(response.body.contains("Confirm your email address"), "{}", response.body);
    assert!(response.session_cookie().is_none());
    assert_eq!(app.snapshot().await, before);
}

async fn sign_in_rate_limited_per_account(app: TestApp) {
    app.signed_in_owner("Acme", "ada@example.com").await;
    // The quota is 10 attempts per address from one IP; signed_in_owner used one.
    for attempt in 0..9 {
        let response = app.sign_in("ada@example.com", "not the right password").await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let sessions = app.scalar("SELECT COUNT(*) FROM sessions").await;

    let limited = app.sign_in("ada@example.com", PASSWORD).await;

    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.body);
    assert!(limited.json()["RateLimited"]["retry_after_secs"].as_u64().unwrap() > 0);
    assert!(limited.session_cookie().is_none());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, sessions, "no session while limited");
}

async fn sign_in_rotates_session_id(app: TestApp) {
    let first = app.signed_in_owner("Acme", "ada@example.com").await;

    let response = app.call("sign_in", &[("email", "ada@example.com"), ("password", PASSWORD)], Some(&first)).await;
    let second = response.session_cookie().unwrap();

    assert_ne!(first, second);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 1, "the old session was ended");
    assert_eq!(app.call("shell", &[], Some(&first)).await.json(), serde_json::Value::Null);
    assert_eq!(app.call("shell", &[], Some(&second)).await.json()["email"], "ada@example.com");
}

async fn session_expires_when_idle(app: TestApp) {
    let cookie = app.signed_in_owner("Acme", "ada@example.com").await;

    app.clock.advance(59 * MINUTE_MS);
    assert_eq!(
        app.call("shell", &[], Some(&cookie)).await.json()["email"],
        "ada@example.com",
        "activity within the hour"
    );
    app.clock.advance(61 * MINUTE_MS);

    assert_eq!(app.call("shell", &[], Some(&cookie)).await.json(), serde_json::Value::Null);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
}

async fn session_expires_after_twelve_hours(app: TestApp) {
    let cookie = app.signed_in_owner("Acme", "ada@example.com").await;

    // Active every 30 minutes: the idle limit never applies, the absolute one does.
    for step in 1..=23 {
        app.clock.advance(30 * MINUTE_MS);
        let shell = app.call("shell", &[], Some(&cookie)).await.json();
        assert_eq!(shell["email"], "ada@example.com", "still signed in after {} minutes", step * 30);
    }
    app.clock.advance(31 * MINUTE_MS);

    assert_eq!(app.call("shell", &[], Some(&cookie)).await.json(), serde_json::Value::Null);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
}

async fn sign_out_ends_session(app: TestApp) {
    let cookie = app.signed_in_owner("Acme", "ada@example.com").await;

    let response = app.call("sign_out", &[], Some(&cookie)).await;

    assert_eq!(response.status, StatusCode::OK);
    let cleared = response.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(app.call("shell", &[], Some(&cookie)).await.json(), serde_json::Value::Null);
}

async fn password_reset_changes_password_and_ends_sessions(app: TestApp) {
    let cookie = app.signed_in_owner("Acme", "ada@example.com").await;
    let requested = app.call("request_password_reset", &[("email", "ada@example.com")], None).await;
    assert_eq!(requested.status, StatusCode::OK);
    let token = app.token_from_email("ada@example.com", "/reset-password?token=");
    let new_password = "a brand new passphrase";

    let reset = app
        .call(
            "reset_password",
            &[("token", &token), ("password", new_password), ("password_confirm", new_password)],
            None,
        )
        .await;

    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 0, "every session ended");
    assert_eq!(app.call("shell", &[], Some(&cookie)).await.json(), serde_json::Value::Null);
    assert_eq!(app.sign_in("ada@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.sign_in("ada@example.com", new_password).await.status, StatusCode::OK);
}

async fn password_reset_link_reused_or_expired(app: TestApp) {
    app.signed_in_owner("Acme", "ada@example.com").await;
    app.call("request_password_reset", &[("email", "ada@example.com")], None).await;
    let used = app.token_from_email("ada@example.com", "/reset-password?token=");
    let first_password = "first new passphrase";
    let form = [("token", used.as_str()), ("password", first_password), ("password_confirm", first_password)];
    assert_eq!(app.call("reset_password", &form, None).await.status, StatusCode::OK);
    let hash_after_first = app.text("SELECT password_hash FROM users").await;

    let reused = app
        .call(
            "reset_password",
            &[("token", &used), ("password", "another passphrase"), ("password_confirm", "another passphrase")],
            None,
        )
        .await;
    assert_eq!(reused.status, StatusCode::GONE);
    assert!(reused.body.contains("already used"), "{}", reused.body);

    app.call("request_password_reset", &[("email", "ada@example.com")], None).await;
    let late = app.token_from_email("ada@example.com", "/reset-password?token=");
    app.clock.advance(HOUR_MS);
    let expired = app
        .call(
            "reset_password",
            &[("token", &late), ("password", "another passphrase"), ("password_confirm", "another passphrase")],
            None,
        )
        .await;
    assert_eq!(expired.status, StatusCode::GONE);
    assert!(expired.body.contains("expired"), "{}", expired.body);

    assert_eq!(app.text("SELECT password_hash FROM users").await, hash_after_first, "password unchanged");
    assert_eq!(app.sign_in("ada@example.com", first_password).await.status, StatusCode::OK);
}

async fn password_reset_weak_password_keeps_link(app: TestApp) {
    app.signed_in_owner("Acme", "ada@example.com").await;
    app.call("request_password_reset", &[("email", "ada@example.com")], None).await;
    let token = app.token_from_email("ada@example.com", "/reset-password?token=");
    let before = app.snapshot().await;

    let weak = app
        .call("reset_password", &[("token", &token), ("password", "short"), ("password_confirm", "short")], None)
        .await;

    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(weak.field_message("password").as_deref(), Some("Use at least 12 characters."));
    assert_eq!(app.snapshot().await, before);
    let good = "a good long passphrase";
    let retry =
        app.call("reset_password", &[("token", &token), ("password", good), ("password_confirm", good)], None).await;
    assert_eq!(retry.status, StatusCode::OK, "the link still works after a rejected attempt");
}

on_both_engines!(
    sign_up_creates_account_and_emails_link,
    partner_ids_are_sequential,
    sign_up_invalid_fields_change_nothing,
    sign_up_mismatched_passwords_rejected,
    sign_up_existing_email_reveals_nothing,
    confirmation_link_valid_then_reused,
    confirmation_link_unknown_or_expired,
    resend_replaces_the_confirmation_link,
    resend_for_unknown_address_answers_the_same,
    sign_in_right_password_sets_cookie,
    sign_in_cookie_attributes,
    sign_in_wrong_password_rejected,
    sign_in_unconfirmed_rejected,
    sign_in_rate_limited_per_account,
    sign_in_rotates_session_id,
    session_expires_when_idle,
    session_expires_after_twelve_hours,
    sign_out_ends_session,
    password_reset_changes_password_and_ends_sessions,
    password_reset_link_reused_or_expired,
    password_reset_weak_password_keeps_link,
);

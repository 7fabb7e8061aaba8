//! Server functions for signing up, confirming email, signing in and out, and resetting a
//! password. Each one runs its steps in the same order: rate limit, parse, load, check,
//! one transaction, then email and cookies after the commit.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::permissions::{Permission, Plan, Role};

#[cfg(feature = "ssr")]
use {
    super::{emails, service, service::TokenPurpose, service::TokenState, session},
    crate::error::FieldError,
    crate::fields::{CompanyName, CountryCode, EmailAddress, NewPassword, PersonName},
    crate::infra::audit::{self, AuditEvent},
    crate::infra::limits::Bucket,
    crate::infra::passwords,
    crate::infra::request::{request_meta, set_session_cookie},
    crate::infra::state::{AppState, app_state},
};

/// The same message for every address, so the form never reveals who has an account.
pub const EMAIL_SENT_IF_ACCOUNT: &str =
    "If that address has an account that needs it, we have sent an email. Check your inbox and spam folder.";

/// The result of opening a confirmation link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfirmOutcome {
    Confirmed,
    AlreadyConfirmed,
}

/// The signed-in member's details that the portal shell shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShellView {
    pub name: String,
    pub email: String,
    /// `None` when the person is signed in but no longer belongs to the selected account.
    pub account: Option<AccountView>,
    pub accounts: Vec<AccountChoice>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub partner_number: String,
    pub partner_name: String,
    pub plan: Plan,
    pub role: Role,
}

impl AccountView {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }
}

/// An account the person may switch to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountChoice {
    pub partner_number: String,
    pub partner_name: String,
    pub role: Role,
    pub selected: bool,
}

#[cfg(feature = "ssr")]
fn check_limits(state: &AppState, checks: &[(Bucket, &str)]) -> Result<(), AppError> {
    checks.iter().try_for_each(|(bucket, key)| state.limits.check(*bucket, key))
}

#[cfg(feature = "ssr")]
fn collect<T>(errors: &mut Vec<FieldError>, field: &str, parsed: Result<T, &'static str>) -> Option<T> {
    parsed.map_err(|message| errors.push(FieldError::new(field, message))).ok()
}

#[server(prefix = "/api", endpoint = "sign_up")]
pub async fn sign_up(
    company: String,
    country: String,
    name: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    let state = app_state()?;
    let meta = request_meta();
    check_limits(&state, &[(Bucket::SignUpIp, &meta.ip)])?;

    let mut errors = Vec::new();
    let company = collect(&mut errors, "company", CompanyName::parse(&company));
    let country = collect(&mut errors, "country", CountryCode::parse(&country));
    let name = collect(&mut errors, "name", PersonName::parse(&name));
    let email = collect(&mut errors, "email", EmailAddress::parse(&email));
    let password = collect(&mut errors, "password", NewPassword::parse(&password));
    if password.is_some() && password_confirm != password.as_ref().map(|p| p.expose()).unwrap_or_default() {
        errors.push(FieldError::new("password_confirm", "The two passwords do not match."));
    }
    let (Some(company), Some(country), Some(name), Some(email), Some(password), true) =
        (company, country, name, email, password, errors.is_empty())
    else {
        return Err(AppError::Invalid(errors));
    };

    let now = state.clock.now_ms();
    let password_hash = passwords::hash(&password).await?;
    let account = service::NewAccount { company, country, name, email, password_hash };
    let mut tx = state.db.begin().await?;
    let Some(created) = service::create_account(&mut tx, &account, now).await? else {
        drop(tx);
        tracing::info!("sign-up with an address that already has a login");
        send_email(&state, emails::already_registered(&state.settings, account.email.as_str())).await;
        leptos_axum::redirect("/check-email");
        return Ok(());
    };
    let secret = service::issue_token(&mut tx, &created.user_id, TokenPurpose::ConfirmEmail, now).await?;
    audit::record(
        &mut tx,
        AuditEvent {
            partner_id: Some(&created.partner_id),
            actor_user_id: Some(&created.user_id),
            action: "account.created",
            target: Some(format!("partner:{}", created.partner_number)),
            ip: Some(&meta.ip),
            at_ms: now,
        },
    )
    .await?;
    tx.commit().await?;

    tracing::info!(partner.number = %created.partner_number, user.id = %created.user_id, "partner account created");
    let email = emails::confirm_email(&state.settings, account.email.as_str(), account.name.as_str(), &secret);
    send_email(&state, email).await;
    leptos_axum::redirect("/check-email");
    Ok(())
}

/// Sends an email after the change that caused it was committed. A failure is logged and
/// not shown: the person can ask for the link again from the sign-in page.
///
/// Over SMTP the response does not wait for the mail server, so the response time does not
/// tell whether the address has an account. NOTE: the development outbox is written before
/// answering (tests read it at once), so there a few microseconds still differ.
#[cfg(feature = "ssr")]
async fn send_email(state: &AppState, email: crate::infra::mail::Email) {
    let mailer = state.mailer.clone();
    let subject = email.subject.clone();
    let delivery = async move {
        if let Err(error) = mailer.send(email).await {
            tracing::error!(error = %error, subject = %subject, "email could not be sent");
        }
    };
    match &state.mailer {
        crate::infra::mail::Mailer::Smtp { .. } => {
            tokio::spawn(delivery);
        }
        crate::infra::mail::Mailer::Outbox { .. } => delivery.await,
    }
}

#[server(prefix = "/api", endpoint = "confirm_email")]
pub async fn confirm_email(token: String) -> Result<ConfirmOutcome, AppError> {
    let state = app_state()?;
    let meta = request_meta();
    let now = state.clock.now_ms();

    let mut tx = state.db.begin().await?;
    let user_id = match service::consume_token(&mut tx, token.trim(), TokenPurpose::ConfirmEmail, now).await? {
        TokenState::Consumed { user_id } => user_id,
        TokenState::AlreadyUsed { user_id } => {
            drop(tx);
            return if service::is_email_confirmed(&state.db, &user_id).await? {
                Ok(ConfirmOutcome::AlreadyConfirmed)
            } else {
                Err(AppError::Gone("This link was replaced by a newer one. Use the latest email we sent, or ask for a new link on the sign-in page.".into()))
            };
        }
        TokenState::Expired => {
            return Err(AppError::Gone(
                "This confirmation link has expired. Ask for a new one on the sign-in page.".into(),
            ));
        }
        TokenState::Unknown => {
            return Err(AppError::NotFound("This confirmation link is not valid. Check that you copied the whole link, or ask for a new one on the sign-in page.".into()));
        }
    };
    service::mark_email_confirmed(&mut tx, &user_id, now).await?;
    let event = AuditEvent {
        partner_id: None,
        actor_user_id: Some(&user_id),
        action: "user.email_confirmed",
        target: Some(format!("user:{user_id}")),
        ip: Some(&meta.ip),
        at_ms: now,
    };
    audit::record(&mut tx, event).await?;
    tx.commit().await?;

    tracing::info!(user.id = %user_id, "email address confirmed");
    Ok(ConfirmOutcome::Confirmed)
}

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = app_state()?;
    let meta = request_meta();
    let account_key = email.trim().to_lowercase();
    let account_and_ip = format!("{account_key} {}", meta.ip);
    check_limits(
        &state,
        &[
            (Bucket::SignInIp, &meta.ip),
            (Bucket::SignInAccountFromIp, &account_and_ip),
            (Bucket::SignInAccount, &account_key),
        ],
    )?;

    let email = EmailAddress::parse(&email).map_err(|message| AppError::field("email", message))?;
    if password.is_empty() {
        return Err(AppError::field("password", "Enter your password."));
    }
    let user = service::find_by_email(&state.db, &email).await?;
    let verified = passwords::verify(&password, user.as_ref().map(|user| user.password_hash.as_str())).await?;
    let now = state.clock.now_ms();
    let user = match user {
        Some(user) if verified => user,
        user => {
            let user_id = user.map(|user| user.id);
            let event = AuditEvent {
                partner_id: None,
                actor_user_id: user_id.as_deref(),
                action: "session.sign_in_failed",
                target: user_id.as_ref().map(|id| format!("user:{id}")),
                ip: Some(&meta.ip),
                at_ms: now,
            };
            audit::record(&state.db, event).await?;
            return Err(AppError::WrongCredentials);
        }
    };
    if user.email_confirmed_at.is_none() {
        return Err(AppError::Forbidden(
            "Confirm your email address before you sign in. We can send you a new confirmation link.".into(),
        ));
    }

    // A new session id at every sign-in; any session the browser had is ended, so an
    // id planted before sign-in is worth nothing after it.
    let mut tx = state.db.begin().await?;
    if let Some(old) = &meta.session_secret {
        session::delete(&mut tx, &crate::infra::tokens::hash_secret(old)).await?;
    }
    let partner_id = service::first_partner(&mut tx, &user.id).await?;
    let secret = session::create(&mut tx, &user.id, partner_id.as_deref(), &meta, now).await?;
    let event = AuditEvent {
        partner_id: partner_id.as_deref(),
        actor_user_id: Some(&user.id),
        action: "session.signed_in",
        target: Some(format!("user:{}", user.id)),
        ip: Some(&meta.ip),
        at_ms: now,
    };
    audit::record(&mut tx, event).await?;
    tx.commit().await?;

    tracing::info!(user.id = %user.id, "signed in");
    set_session_cookie(&state.settings, Some(&secret));
    leptos_axum::redirect(next.as_deref().filter(|next| is_local_path(next)).unwrap_or("/"));
    Ok(())
}

/// Accepts only a path on this site for redirects after sign-in, so a crafted link cannot
/// send a person elsewhere: it starts with one `/` and has no scheme or backslash tricks.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.chars().any(char::is_control)
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let state = app_state()?;
    if let Some(signed_in) = session::current().await? {
        session::delete(&state.db, &signed_in.session_hash).await?;
        tracing::info!(user.id = %signed_in.user_id, "signed out");
    }
    set_session_cookie(&state.settings, None);
    leptos_axum::redirect("/sign-in?signed_out=1");
    Ok(())
}

#[server(prefix = "/api", endpoint = "resend_confirmation")]
pub async fn resend_confirmation(email: String) -> Result<(), AppError> {
    send_account_link(email, TokenPurpose::ConfirmEmail).await?;
    leptos_axum::redirect("/resend-confirmation?sent=1");
    Ok(())
}

#[server(prefix = "/api", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    send_account_link(email, TokenPurpose::ResetPassword).await?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Emails a new confirmation or reset link if the address has a login that needs one, and
/// responds the same either way.
#[cfg(feature = "ssr")]
async fn send_account_link(email: String, purpose: TokenPurpose) -> Result<(), AppError> {
    let state = app_state()?;
    let meta = request_meta();
    let account_key = email.trim().to_lowercase();
    check_limits(&state, &[(Bucket::EmailIp, &meta.ip), (Bucket::EmailAccount, &account_key)])?;
    let email = EmailAddress::parse(&email).map_err(|message| AppError::field("email", message))?;

    let now = state.clock.now_ms();
    let Some(user) = service::find_by_email(&state.db, &email).await? else {
        return Ok(());
    };
    if purpose == TokenPurpose::ConfirmEmail && user.email_confirmed_at.is_some() {
        return Ok(());
    }
    let mut tx = state.db.begin().await?;
    let secret = service::issue_token(&mut tx, &user.id, purpose, now).await?;
    tx.commit().await?;

    let message = match purpose {
        TokenPurpose::ConfirmEmail => emails::confirm_email(&state.settings, email.as_str(), &user.name, &secret),
        TokenPurpose::ResetPassword => emails::reset_password(&state.settings, email.as_str(), &user.name, &secret),
    };
    send_email(&state, message).await;
    Ok(())
}

#[server(prefix = "/api", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String, password_confirm: String) -> Result<(), AppError> {
    let state = app_state()?;
    let meta = request_meta();
    check_limits(&state, &[(Bucket::EmailIp, &meta.ip)])?;
    let password = NewPassword::parse(&password).map_err(|message| AppError::field("password", message))?;
    if password.expose() != password_confirm {
        return Err(AppError::field("password_confirm", "The two passwords do not match."));
    }

    let password_hash = passwords::hash(&password).await?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let user_id = match service::consume_token(&mut tx, token.trim(), TokenPurpose::ResetPassword, now).await? {
        TokenState::Consumed { user_id } => user_id,
        TokenState::AlreadyUsed { .. } => {
            return Err(AppError::Gone(
                "This reset link was already used. Ask for a new one if you still need to reset your password.".into(),
            ));
        }
        TokenState::Expired => {
            return Err(AppError::Gone(
                "This reset link has expired: links work for one hour. Ask for a new one.".into(),
            ));
        }
        TokenState::Unknown => {
            return Err(AppError::NotFound(
                "This reset link is not valid. Check that you copied the whole link, or ask for a new one.".into(),
            ));
        }
    };
    service::set_password(&mut tx, &user_id, &password_hash).await?;
    // Opening the emailed link proves the address, as a confirmation link would.
    service::mark_email_confirmed(&mut tx, &user_id, now).await?;
    let ended = session::delete_all_for_user(&mut tx, &user_id).await?;
    let event = AuditEvent {
        partner_id: None,
        actor_user_id: Some(&user_id),
        action: "user.password_reset",
        target: Some(format!("user:{user_id}")),
        ip: Some(&meta.ip),
        at_ms: now,
    };
    audit::record(&mut tx, event).await?;
    tx.commit().await?;

    tracing::info!(user.id = %user_id, sessions.ended = ended, "password reset");
    leptos_axum::redirect("/sign-in?reset=1");
    Ok(())
}

/// Returns what the portal shell shows, or `None` when nobody is signed in.
#[server(prefix = "/api", endpoint = "shell")]
pub async fn shell() -> Result<Option<ShellView>, AppError> {
    let state = app_state()?;
    let Some(signed_in) = session::current().await? else {
        return Ok(None);
    };
    let selected = signed_in.member.as_ref().map(|member| member.partner_id.clone());
    let accounts = session::memberships(&state.db, &signed_in.user_id)
        .await?
        .into_iter()
        .map(|row| AccountChoice {
            partner_number: crate::fields::PartnerNumber(row.number).to_string(),
            partner_name: row.name,
            role: row.role.parse().unwrap_or(Role::Auditor),
            selected: selected.as_deref() == Some(row.partner_id.as_str()),
        })
        .collect();
    let account = signed_in.member.map(|member| AccountView {
        partner_number: member.partner_number.to_string(),
        partner_name: member.partner_name,
        plan: member.plan,
        role: member.role,
    });
    Ok(Some(ShellView { name: signed_in.name, email: signed_in.email, account, accounts }))
}

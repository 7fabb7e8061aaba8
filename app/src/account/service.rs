//! Account creation, email confirmation and password reset on the database.

use crate::fields::{CompanyName, CountryCode, EmailAddress, PartnerNumber, PersonName};
use crate::infra::clock::HOUR_MS;
use crate::infra::db::{Db, IntoExec, Tx};
use crate::infra::tokens::{hash_secret, new_id, new_secret};
use crate::{execute, fetch_optional, fetch_scalar};

/// How long a confirmation link stays valid.
pub const CONFIRM_EMAIL_TTL_MS: i64 = 48 * HOUR_MS;
/// How long a password-reset link stays valid.
pub const RESET_PASSWORD_TTL_MS: i64 = HOUR_MS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    ConfirmEmail,
    ResetPassword,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::ConfirmEmail => "confirm_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }

    fn ttl_ms(self) -> i64 {
        match self {
            TokenPurpose::ConfirmEmail => CONFIRM_EMAIL_TTL_MS,
            TokenPurpose::ResetPassword => RESET_PASSWORD_TTL_MS,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: String,
    pub name: String,
    pub password_hash: String,
    pub email_confirmed_at: Option<i64>,
}

pub async fn find_by_email<'c>(
    exec: impl IntoExec<'c>,
    email: &EmailAddress,
) -> Result<Option<Credentials>, sqlx::Error> {
    fetch_optional!(
        exec,
        Credentials,
        "SELECT id, name, password_hash, email_confirmed_at FROM users WHERE email = $1",
        email.as_str(),
    )
}

/// A new partner account with its first Owner.
pub struct NewAccount {
    pub company: CompanyName,
    pub country: CountryCode,
    pub name: PersonName,
    pub email: EmailAddress,
    pub password_hash: String,
}

pub struct CreatedAccount {
    pub user_id: String,
    pub partner_id: String,
    pub partner_number: PartnerNumber,
}

/// Creates the partner account, its first Owner (email not yet confirmed) and the membership
/// in one transaction. Returns `None`, changing nothing, when the email already has a login.
pub async fn create_account(
    tx: &mut Tx,
    account: &NewAccount,
    now: i64,
) -> Result<Option<CreatedAccount>, sqlx::Error> {
    let user_id = new_id();
    let inserted = execute!(
        &mut *tx,
        "INSERT INTO users (id, email, name, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (email) DO NOTHING",
        user_id.as_str(),
        account.email.as_str(),
        account.name.as_str(),
        account.password_hash.as_str(),
        now,
    )?;
    if inserted == 0 {
        return Ok(None);
    }

    let number = fetch_scalar!(
        &mut *tx,
        i64,
        "UPDATE counters SET value = value + 1 WHERE name = 'partner_number' RETURNING value",
    )?;
    let partner_id = new_id();
    execute!(
        &mut *tx,
        "INSERT INTO partners (id, number, name, country, plan, created_at) VALUES ($1, $2, $3, $4, 'standard', $5)",
        partner_id.as_str(),
        number,
        account.company.as_str(),
        account.country.as_str(),
        now,
    )?;
    execute!(
        &mut *tx,
        "INSERT INTO memberships (partner_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
        partner_id.as_str(),
        user_id.as_str(),
        now,
    )?;
    Ok(Some(CreatedAccount { user_id, partner_id, partner_number: PartnerNumber(number) }))
}

/// Issues a new single-use token for `user_id` and returns its secret. Earlier unused tokens
/// with the same purpose stop working, so only the newest link in the inbox opens.
pub async fn issue_token(tx: &mut Tx, user_id: &str, purpose: TokenPurpose, now: i64) -> Result<String, sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE email_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL",
        now,
        user_id,
        purpose.as_str(),
    )?;
    let secret = new_secret();
    execute!(
        &mut *tx,
        "INSERT INTO email_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        hash_secret(&secret),
        user_id,
        purpose.as_str(),
        now,
        now + purpose.ttl_ms(),
    )?;
    Ok(secret)
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    user_id: String,
    expires_at: i64,
    used_at: Option<i64>,
}

/// The state of an emailed link's token when it was opened.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenState {
    /// Valid; it is now marked used.
    Consumed {
        user_id: String,
    },
    AlreadyUsed {
        user_id: String,
    },
    Expired,
    Unknown,
}

/// Marks the token used if it is valid, inside `tx`, and reports what it found.
pub async fn consume_token(
    tx: &mut Tx,
    secret: &str,
    purpose: TokenPurpose,
    now: i64,
) -> Result<TokenState, sqlx::Error> {
    let token_hash = hash_secret(secret);
    let row = fetch_optional!(
        &mut *tx,
        TokenRow,
        for update "SELECT user_id, expires_at, used_at FROM email_tokens WHERE token_hash = $1 AND purpose = $2",
        token_hash.as_str(),
        purpose.as_str(),
    )?;
    let Some(row) = row else {
        return Ok(TokenState::Unknown);
    };
    if row.used_at.is_some() {
        return Ok(TokenState::AlreadyUsed { user_id: row.user_id });
    }
    if now >= row.expires_at {
        return Ok(TokenState::Expired);
    }
    execute!(&mut *tx, "UPDATE email_tokens SET used_at = $1 WHERE token_hash = $2", now, token_hash.as_str())?;
    Ok(TokenState::Consumed { user_id: row.user_id })
}

pub async fn mark_email_confirmed<'c>(exec: impl IntoExec<'c>, user_id: &str, now: i64) -> Result<(), sqlx::Error> {
    execute!(
        exec,
        "UPDATE users SET email_confirmed_at = $1 WHERE id = $2 AND email_confirmed_at IS NULL",
        now,
        user_id,
    )?;
    Ok(())
}

pub async fn is_email_confirmed(db: &Db, user_id: &str) -> Result<bool, sqlx::Error> {
    let confirmed =
        fetch_optional!(db, (Option<i64>,), "SELECT email_confirmed_at FROM users WHERE id = $1", user_id,)?;
    Ok(matches!(confirmed, Some((Some(_),))))
}

pub async fn set_password<'c>(exec: impl IntoExec<'c>, user_id: &str, password_hash: &str) -> Result<(), sqlx::Error> {
    execute!(exec, "UPDATE users SET password_hash = $1 WHERE id = $2", password_hash, user_id)?;
    Ok(())
}

/// Returns the first account `user_id` belongs to, to select at sign-in.
pub async fn first_partner<'c>(exec: impl IntoExec<'c>, user_id: &str) -> Result<Option<String>, sqlx::Error> {
    let row = fetch_optional!(
        exec,
        (String,),
        "SELECT m.partner_id FROM memberships m JOIN partners p ON p.id = m.partner_id
         WHERE m.user_id = $1 ORDER BY p.number LIMIT 1",
        user_id,
    )?;
    Ok(row.map(|(partner_id,)| partner_id))
}

/// Deletes sessions past their idle or absolute limit and emailed tokens that expired more
/// than a day ago. Used tokens stay until then so that a reused link still shows "already used".
pub async fn delete_expired(state: &crate::infra::state::AppState) -> Result<(), sqlx::Error> {
    let now = state.clock.now_ms();
    let settings = &state.settings;
    let sessions = execute!(
        &state.db,
        "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2",
        now - settings.session_idle_ms,
        now - settings.session_max_ms,
    )?;
    let tokens = execute!(&state.db, "DELETE FROM email_tokens WHERE expires_at < $1", now - 24 * HOUR_MS)?;
    tracing::debug!(sessions, tokens, "expired sessions and links deleted");
    Ok(())
}

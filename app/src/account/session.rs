//! Server-side sessions: creating them at sign-in, finding the member behind a request, and
//! ending them.

use crate::error::AppError;
use crate::fields::PartnerNumber;
use crate::infra::clock::MINUTE_MS;
use crate::infra::db::{Db, IntoExec};
use crate::infra::request::{RequestMeta, request_meta};
use crate::infra::state::{AppState, app_state};
use crate::infra::tokens::{hash_secret, new_secret};
use crate::permissions::{Actor, Permission, Plan, Role};
use crate::{execute, fetch_all, fetch_optional};

/// The signed-in person and the partner account their session acts on.
#[derive(Clone, Debug)]
pub struct Member {
    pub session_hash: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub partner_id: String,
    pub partner_number: PartnerNumber,
    pub partner_name: String,
    pub plan: Plan,
    pub role: Role,
}

impl Member {
    pub fn actor(&self) -> Actor {
        Actor { role: self.role, plan: self.plan }
    }
}

/// A signed-in person whose session may or may not have an account to act on.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session_hash: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// `None` when the person belongs to no account, or was removed from the one selected.
    pub member: Option<Member>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: String,
    partner_id: Option<String>,
    created_at: i64,
    last_seen_at: i64,
    email: String,
    name: String,
}

#[derive(sqlx::FromRow)]
pub struct MembershipRow {
    pub partner_id: String,
    pub number: i64,
    pub name: String,
    pub plan: String,
    pub role: String,
}

/// Only touch `last_seen_at` once a minute, so reading a page is not a write every time.
const TOUCH_INTERVAL_MS: i64 = MINUTE_MS;

/// Creates a session for `user_id` acting on `partner_id` and returns the cookie secret.
pub async fn create(
    tx: &mut crate::infra::db::Tx,
    user_id: &str,
    partner_id: Option<&str>,
    meta: &RequestMeta,
    now: i64,
) -> Result<String, sqlx::Error> {
    let secret = new_secret();
    execute!(
        &mut *tx,
        "INSERT INTO sessions (id_hash, user_id, partner_id, created_at, last_seen_at, ip, user_agent)
         VALUES ($1, $2, $3, $4, $4, $5, $6)",
        hash_secret(&secret),
        user_id,
        partner_id,
        now,
        meta.ip.as_str(),
        meta.user_agent.as_deref(),
    )?;
    if let Some(partner_id) = partner_id {
        touch_membership(&mut *tx, partner_id, user_id, now).await?;
    }
    Ok(secret)
}

/// Records that the member used the account now, for the team page's "Last active".
pub async fn touch_membership<'c>(
    exec: impl IntoExec<'c>,
    partner_id: &str,
    user_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    execute!(
        exec,
        "UPDATE memberships SET last_active_at = $1 WHERE partner_id = $2 AND user_id = $3",
        now,
        partner_id,
        user_id,
    )?;
    Ok(())
}

pub async fn delete<'c>(exec: impl IntoExec<'c>, session_hash: &str) -> Result<(), sqlx::Error> {
    execute!(exec, "DELETE FROM sessions WHERE id_hash = $1", session_hash)?;
    Ok(())
}

/// Ends every session of `user_id`, as after a password change.
pub async fn delete_all_for_user<'c>(exec: impl IntoExec<'c>, user_id: &str) -> Result<u64, sqlx::Error> {
    execute!(exec, "DELETE FROM sessions WHERE user_id = $1", user_id)
}

/// Lists the accounts `user_id` belongs to, by partner ID.
pub async fn memberships<'c>(exec: impl IntoExec<'c>, user_id: &str) -> Result<Vec<MembershipRow>, sqlx::Error> {
    fetch_all!(
        exec,
        MembershipRow,
        "SELECT p.id AS partner_id, p.number, p.name, p.plan, m.role
         FROM memberships m JOIN partners p ON p.id = m.partner_id
         WHERE m.user_id = $1
         ORDER BY p.number",
        user_id,
    )
}

/// Finds the signed-in person behind the current request, ending the session if it has been
/// idle or open too long. Returns `None` without a valid session.
pub async fn current() -> Result<Option<SignedIn>, AppError> {
    let state = app_state()?;
    let Some(secret) = request_meta().session_secret else {
        return Ok(None);
    };
    load(&state, &hash_secret(&secret)).await
}

pub async fn load(state: &AppState, session_hash: &str) -> Result<Option<SignedIn>, AppError> {
    let db = &state.db;
    let now = state.clock.now_ms();
    let Some(row) = fetch_optional!(
        db,
        SessionRow,
        "SELECT s.user_id, s.partner_id, s.created_at, s.last_seen_at, u.email, u.name
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = $1",
        session_hash,
    )?
    else {
        return Ok(None);
    };

    let settings = &state.settings;
    if now - row.last_seen_at > settings.session_idle_ms || now - row.created_at > settings.session_max_ms {
        delete(db, session_hash).await?;
        tracing::info!(user.id = %row.user_id, "session expired");
        return Ok(None);
    }
    if now - row.last_seen_at > TOUCH_INTERVAL_MS {
        execute!(db, "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", now, session_hash)?;
        if let Some(partner_id) = row.partner_id.as_deref() {
            touch_membership(db, partner_id, &row.user_id, now).await?;
        }
    }

    let member = match row.partner_id.as_deref() {
        Some(partner_id) => membership(db, &row.user_id, partner_id).await?,
        None => None,
    };
    let member = member.map(|membership| Member {
        session_hash: session_hash.to_owned(),
        user_id: row.user_id.clone(),
        email: row.email.clone(),
        name: row.name.clone(),
        partner_id: membership.partner_id,
        partner_number: PartnerNumber(membership.number),
        partner_name: membership.name,
        plan: membership.plan.parse().unwrap_or(Plan::Standard),
        role: membership.role.parse().unwrap_or(Role::Auditor),
    });
    Ok(Some(SignedIn {
        session_hash: session_hash.to_owned(),
        user_id: row.user_id,
        email: row.email,
        name: row.name,
        member,
    }))
}

async fn membership(db: &Db, user_id: &str, partner_id: &str) -> Result<Option<MembershipRow>, sqlx::Error> {
    fetch_optional!(
        db,
        MembershipRow,
        "SELECT p.id AS partner_id, p.number, p.name, p.plan, m.role
         FROM memberships m JOIN partners p ON p.id = m.partner_id
         WHERE m.user_id = $1 AND m.partner_id = $2",
        user_id,
        partner_id,
    )
}

/// Returns the signed-in member of the selected account, or the error to show instead.
pub async fn require_member() -> Result<Member, AppError> {
    let signed_in = current().await?.ok_or(AppError::Unauthenticated)?;
    signed_in.member.ok_or_else(|| {
        AppError::Forbidden(
            "You are no longer a member of this account. Ask its Owner or an Admin for a new invitation.".into(),
        )
    })
}

/// Returns the signed-in member if their role grants `permission`.
pub async fn require_permission(permission: Permission) -> Result<Member, AppError> {
    let member = require_member().await?;
    if !member.role.can(permission) {
        tracing::warn!(member.id = %member.user_id, partner.id = %member.partner_id, ?permission, "permission denied");
        return Err(AppError::Forbidden(
            "Your role does not allow this. Ask an Owner or Admin of your account.".into(),
        ));
    }
    Ok(member)
}

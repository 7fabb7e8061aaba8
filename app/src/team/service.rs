//! Team members and invitations on the database. Every query is scoped by `partner_id`, so an
//! id from another account finds nothing.

use crate::fields::EmailAddress;
use crate::infra::clock::HOUR_MS;
use crate::infra::db::{IntoExec, Tx};
use crate::infra::tokens::{hash_secret, new_id, new_secret};
use crate::permissions::Role;
use crate::{execute, fetch_all, fetch_optional, fetch_scalar};

/// An invitation link works for this long after it was sent.
pub const INVITATION_TTL_MS: i64 = 24 * HOUR_MS;

#[derive(sqlx::FromRow)]
pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub created_at: i64,
    pub last_active_at: Option<i64>,
}

pub async fn list_members<'c>(exec: impl IntoExec<'c>, partner_id: &str) -> Result<Vec<MemberRow>, sqlx::Error> {
    fetch_all!(
        exec,
        MemberRow,
        "SELECT u.id AS user_id, u.name, u.email, m.role, m.created_at, m.last_active_at
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.partner_id = $1
         ORDER BY u.name, u.email",
        partner_id,
    )
}

#[derive(sqlx::FromRow)]
pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: String,
    pub invited_by_name: Option<String>,
    pub sent_at: i64,
    pub expires_at: i64,
}

/// Lists invitations that are neither accepted nor revoked, newest first; expired ones
/// included, so they can be resent.
pub async fn list_open_invitations<'c>(
    exec: impl IntoExec<'c>,
    partner_id: &str,
) -> Result<Vec<InvitationRow>, sqlx::Error> {
    fetch_all!(
        exec,
        InvitationRow,
        "SELECT i.id, i.email, i.role, u.name AS invited_by_name, i.sent_at, i.expires_at
         FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.partner_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
         ORDER BY i.sent_at DESC",
        partner_id,
    )
}

/// Returns the member's role, locking the membership row on PostgreSQL until `tx` ends.
pub async fn lock_member_role(tx: &mut Tx, partner_id: &str, user_id: &str) -> Result<Option<Role>, sqlx::Error> {
    let row = fetch_optional!(
        &mut *tx,
        (String,),
        for update "SELECT role FROM memberships WHERE partner_id = $1 AND user_id = $2",
        partner_id,
        user_id,
    )?;
    Ok(row.and_then(|(role,)| role.parse().ok()))
}

/// Counts the account's Owners, locking their rows so that two Owners cannot demote each
/// other at the same moment and leave none.
pub async fn lock_owner_count(tx: &mut Tx, partner_id: &str) -> Result<usize, sqlx::Error> {
    let owners = fetch_all!(
        &mut *tx,
        (String,),
        for update "SELECT user_id FROM memberships WHERE partner_id = $1 AND role = 'owner'",
        partner_id,
    )?;
    Ok(owners.len())
}

pub async fn set_role(tx: &mut Tx, partner_id: &str, user_id: &str, role: Role) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE memberships SET role = $1 WHERE partner_id = $2 AND user_id = $3",
        role.as_str(),
        partner_id,
        user_id,
    )?;
    Ok(())
}

/// Deletes the membership and detaches the member's sessions from this account, so their next
/// request finds them signed in but no longer a member.
pub async fn remove_member(tx: &mut Tx, partner_id: &str, user_id: &str) -> Result<(), sqlx::Error> {
    execute!(&mut *tx, "DELETE FROM memberships WHERE partner_id = $1 AND user_id = $2", partner_id, user_id)?;
    execute!(
        &mut *tx,
        "UPDATE sessions SET partner_id = NULL WHERE partner_id = $1 AND user_id = $2",
        partner_id,
        user_id,
    )?;
    Ok(())
}

pub async fn is_member_email<'c>(
    exec: impl IntoExec<'c>,
    partner_id: &str,
    email: &EmailAddress,
) -> Result<bool, sqlx::Error> {
    let count = fetch_scalar!(
        exec,
        i64,
        "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.partner_id = $1 AND u.email = $2",
        partner_id,
        email.as_str(),
    )?;
    Ok(count > 0)
}

pub async fn has_open_invitation<'c>(
    exec: impl IntoExec<'c>,
    partner_id: &str,
    email: &EmailAddress,
) -> Result<bool, sqlx::Error> {
    let count = fetch_scalar!(
        exec,
        i64,
        "SELECT COUNT(*) FROM invitations WHERE partner_id = $1 AND email = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        partner_id,
        email.as_str(),
    )?;
    Ok(count > 0)
}

/// Creates an invitation and returns its id and the link's secret. Returns `None`, changing
/// nothing, when the address already has an open invitation to this account.
pub async fn create_invitation(
    tx: &mut Tx,
    partner_id: &str,
    email: &EmailAddress,
    role: Role,
    invited_by: &str,
    now: i64,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let id = new_id();
    let secret = new_secret();
    let inserted = execute!(
        &mut *tx,
        "INSERT INTO invitations (id, partner_id, email, role, token_hash, invited_by, created_at, sent_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)
         ON CONFLICT DO NOTHING",
        id.as_str(),
        partner_id,
        email.as_str(),
        role.as_str(),
        hash_secret(&secret),
        invited_by,
        now,
        now + INVITATION_TTL_MS,
    )?;
    Ok((inserted == 1).then_some((id, secret)))
}

#[derive(sqlx::FromRow)]
pub struct OpenInvitation {
    pub email: String,
    pub role: String,
}

/// Returns the open invitation `id` of the account, locking its row on PostgreSQL.
async fn lock_open_invitation_in(
    tx: &mut Tx,
    partner_id: &str,
    id: &str,
) -> Result<Option<OpenInvitation>, sqlx::Error> {
    fetch_optional!(
        &mut *tx,
        OpenInvitation,
        for update "SELECT email, role FROM invitations
                    WHERE id = $1 AND partner_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        id,
        partner_id,
    )
}

/// Gives an open invitation a new link and a new 24 hours. Returns the invitation and the new
/// secret, or `None` when no open invitation with `id` exists in this account.
pub async fn renew_invitation(
    tx: &mut Tx,
    partner_id: &str,
    id: &str,
    now: i64,
) -> Result<Option<(OpenInvitation, String)>, sqlx::Error> {
    let Some(invitation) = lock_open_invitation_in(tx, partner_id, id).await? else {
        return Ok(None);
    };
    let secret = new_secret();
    execute!(
        &mut *tx,
        "UPDATE invitations SET token_hash = $1, sent_at = $2, expires_at = $3 WHERE id = $4",
        hash_secret(&secret),
        now,
        now + INVITATION_TTL_MS,
        id,
    )?;
    Ok(Some((invitation, secret)))
}

/// Revokes an open invitation. Returns its address, or `None` when no open invitation with
/// `id` exists in this account.
pub async fn revoke_invitation(
    tx: &mut Tx,
    partner_id: &str,
    id: &str,
    now: i64,
) -> Result<Option<OpenInvitation>, sqlx::Error> {
    let Some(invitation) = lock_open_invitation_in(tx, partner_id, id).await? else {
        return Ok(None);
    };
    execute!(&mut *tx, "UPDATE invitations SET revoked_at = $1 WHERE id = $2", now, id)?;
    Ok(Some(invitation))
}

/// An invitation found by its link, with what the accept page shows.
#[derive(sqlx::FromRow, Clone)]
pub struct InvitationByToken {
    pub id: String,
    pub partner_id: String,
    pub partner_number: i64,
    pub partner_name: String,
    pub partner_plan: String,
    pub email: String,
    pub role: String,
    pub invited_by_name: Option<String>,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub async fn find_by_token<'c>(
    exec: impl IntoExec<'c>,
    secret: &str,
) -> Result<Option<InvitationByToken>, sqlx::Error> {
    fetch_optional!(
        exec,
        InvitationByToken,
        "SELECT i.id, i.partner_id, p.number AS partner_number, p.name AS partner_name, p.plan AS partner_plan,
                i.email, i.role, u.name AS invited_by_name, i.expires_at, i.accepted_at, i.revoked_at
         FROM invitations i
         JOIN partners p ON p.id = i.partner_id
         LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.token_hash = $1",
        hash_secret(secret),
    )
}

/// Locks the invitation row for acceptance and returns whether it is still open and unexpired.
pub async fn lock_open_invitation(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let row = fetch_optional!(
        &mut *tx,
        (i64,),
        for update "SELECT expires_at FROM invitations WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
        id,
    )?;
    Ok(matches!(row, Some((expires_at,)) if now < expires_at))
}

/// Marks the invitation accepted and adds the membership. A person who is already a member
/// keeps their current role.
pub async fn accept(tx: &mut Tx, invitation: &InvitationByToken, user_id: &str, now: i64) -> Result<(), sqlx::Error> {
    execute!(&mut *tx, "UPDATE invitations SET accepted_at = $1 WHERE id = $2", now, invitation.id.as_str())?;
    execute!(
        &mut *tx,
        "INSERT INTO memberships (partner_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (partner_id, user_id) DO NOTHING",
        invitation.partner_id.as_str(),
        user_id,
        invitation.role.as_str(),
        now,
    )?;
    Ok(())
}

/// Creates a login for an invited person. Their address counts as confirmed: they opened a
/// link sent to it. Returns `None` when the address already has a login.
pub async fn create_invited_user(
    tx: &mut Tx,
    email: &str,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<String>, sqlx::Error> {
    let user_id = new_id();
    let inserted = execute!(
        &mut *tx,
        "INSERT INTO users (id, email, name, password_hash, email_confirmed_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (email) DO NOTHING",
        user_id.as_str(),
        email,
        name,
        password_hash,
        now,
    )?;
    Ok((inserted == 1).then_some(user_id))
}

/// Points a session at another account the person belongs to.
pub async fn select_account<'c>(
    exec: impl IntoExec<'c>,
    session_hash: &str,
    partner_id: &str,
) -> Result<(), sqlx::Error> {
    execute!(exec, "UPDATE sessions SET partner_id = $1 WHERE id_hash = $2", partner_id, session_hash)?;
    Ok(())
}

/// A member or open invitation whose role an account on the standard plan cannot have.
#[derive(sqlx::FromRow, Debug)]
pub struct EnterpriseOnlyHolder {
    pub email: String,
    pub role: String,
    /// `member` or `invitation`.
    pub kind: String,
}

pub async fn enterprise_only_holders<'c>(
    exec: impl IntoExec<'c>,
    partner_id: &str,
) -> Result<Vec<EnterpriseOnlyHolder>, sqlx::Error> {
    fetch_all!(
        exec,
        EnterpriseOnlyHolder,
        "SELECT u.email, m.role, 'member' AS kind
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.partner_id = $1 AND m.role IN ('operator', 'auditor')
         UNION ALL
         SELECT i.email, i.role, 'invitation' AS kind
         FROM invitations i
         WHERE i.partner_id = $1 AND i.role IN ('operator', 'auditor') AND i.accepted_at IS NULL AND i.revoked_at IS NULL
         ORDER BY 1",
        partner_id,
    )
}

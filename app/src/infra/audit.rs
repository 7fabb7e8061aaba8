//! The append-only audit log. This module only inserts: no code path updates or deletes a row.

use crate::execute;
use crate::infra::db::IntoExec;

/// One security-relevant change: who did what to whom, when and from where.
pub struct AuditEvent<'a> {
    pub partner_id: Option<&'a str>,
    pub actor_user_id: Option<&'a str>,
    /// Dotted name such as `member.invited` or `session.sign_in_failed`.
    pub action: &'a str,
    /// The user, invitation or other object acted on, as `kind:id`.
    pub target: Option<String>,
    pub ip: Option<&'a str>,
    pub at_ms: i64,
}

pub async fn record<'c>(exec: impl IntoExec<'c>, event: AuditEvent<'_>) -> Result<(), sqlx::Error> {
    execute!(
        exec,
        "INSERT INTO audit_events (id, partner_id, actor_user_id, action, target, ip, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        super::tokens::new_id(),
        event.partner_id,
        event.actor_user_id,
        event.action,
        event.target,
        event.ip,
        event.at_ms,
    )?;
    Ok(())
}

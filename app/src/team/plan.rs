//! Changing a partner account's plan, from the operator's command line.

use crate::fields::PartnerNumber;
use crate::infra::audit::{self, AuditEvent};
use crate::infra::db::Db;
use crate::infra::state::AppState;
use crate::permissions::{Plan, Role, roles_blocking_plan};
use crate::{execute, fetch_optional};

use super::service::{EnterpriseOnlyHolder, enterprise_only_holders};

#[derive(Debug, thiserror::Error)]
pub enum PlanChangeError {
    #[error("no partner account has the ID {0}")]
    UnknownPartner(PartnerNumber),
    #[error(
        "partner {number} still has roles that only enterprise accounts allow; change or remove them first:\n{}",
        holders.iter().map(|holder| format!("  - {} ({}, {})", holder.email, holder.role, holder.kind)).collect::<Vec<_>>().join("\n")
    )]
    EnterpriseRolesInUse { number: PartnerNumber, holders: Vec<EnterpriseOnlyHolder> },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Sets the plan of the account with partner ID `number` and returns the plan it had.
/// Moving to the standard plan is rejected while members or open invitations hold the
/// Operator or Auditor role.
pub async fn set_plan(state: &AppState, number: PartnerNumber, plan: Plan) -> Result<Plan, PlanChangeError> {
    let db: &Db = &state.db;
    let mut tx = db.begin().await?;
    let Some((partner_id, previous)) = fetch_optional!(
        &mut tx,
        (String, String),
        for update "SELECT id, plan FROM partners WHERE number = $1",
        number.0,
    )?
    else {
        return Err(PlanChangeError::UnknownPartner(number));
    };

    let holders = enterprise_only_holders(&mut tx, &partner_id).await?;
    let roles: Vec<Role> = holders.iter().filter_map(|holder| holder.role.parse().ok()).collect();
    if !roles_blocking_plan(plan, &roles).is_empty() {
        return Err(PlanChangeError::EnterpriseRolesInUse { number, holders });
    }

    execute!(&mut tx, "UPDATE partners SET plan = $1 WHERE id = $2", plan.as_str(), partner_id.as_str())?;
    let event = AuditEvent {
        partner_id: Some(&partner_id),
        actor_user_id: None,
        action: "partner.plan_changed",
        target: Some(format!("partner:{number} {previous} to {}", plan.as_str())),
        ip: None,
        at_ms: state.clock.now_ms(),
    };
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(previous.parse().unwrap_or(Plan::Standard))
}

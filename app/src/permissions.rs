//! Roles, permissions and the rules for changing who holds which role.
//!
//! Plain Rust with no I/O, compiled into both the server and the browser build. The server
//! calls these functions in every server function with facts it loaded itself; the browser
//! calls the same functions only to hide controls the member could not use.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A member's role in one partner account, highest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    Owner,
    Admin,
    Operator,
    Auditor,
}

/// A partner account's plan. Operator and Auditor exist only on enterprise accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Plan {
    Standard,
    Enterprise,
}

/// One row of the permission matrix: an area of the portal and the actions in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permission {
    /// Invite, edit and remove team members; set organization-wide two-factor authentication.
    ManageTeam,
    /// View the summary report of past jobs.
    ViewDashboard,
    /// Run verification jobs from the portal (SmartCheck).
    RunSmartCheck,
    /// View job results and end-user pages.
    ViewJobs,
    /// Manage API keys, download the SDK configuration, set default callback URLs.
    ManageDeveloper,
    /// View payment and wallet history; download monthly usage statements.
    ViewBilling,
    /// Make one-time wallet top-ups.
    MakePayments,
    /// Create, view and edit hosted verification links (Smile Links).
    ManageLinks,
    /// View the account's security and change history.
    ViewAuditLog,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::ManageTeam,
        Permission::ViewDashboard,
        Permission::RunSmartCheck,
        Permission::ViewJobs,
        Permission::ManageDeveloper,
        Permission::ViewBilling,
        Permission::MakePayments,
        Permission::ManageLinks,
        Permission::ViewAuditLog,
    ];
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Operator, Role::Auditor];

    /// Returns whether this role grants `permission`.
    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Admin => true,
            Role::Operator => matches!(permission, ViewDashboard | RunSmartCheck | ViewJobs),
            Role::Auditor => matches!(permission, ViewDashboard | ViewJobs | ViewBilling | ViewAuditLog),
        }
    }

    /// Returns whether an account on `plan` may have members with this role.
    pub fn is_available_on(self, plan: Plan) -> bool {
        match self {
            Role::Owner | Role::Admin => true,
            Role::Operator | Role::Auditor => plan == Plan::Enterprise,
        }
    }

    /// The roles an account on `plan` may grant, highest first.
    pub fn available_on(plan: Plan) -> Vec<Role> {
        Role::ALL.into_iter().filter(|role| role.is_available_on(plan)).collect()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Operator => "Operator",
            Role::Auditor => "Auditor",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = UnknownValue;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| UnknownValue(value.to_owned()))
    }
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Standard => "standard",
            Plan::Enterprise => "enterprise",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Plan::Standard => "Standard",
            Plan::Enterprise => "Enterprise",
        }
    }
}

impl FromStr for Plan {
    type Err = UnknownValue;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Plan::Standard),
            "enterprise" => Ok(Plan::Enterprise),
            _ => Err(UnknownValue(value.to_owned())),
        }
    }
}

/// A role or plan name that is not one of the known values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownValue(pub String);

/// The rule that a role change, an invitation or a removal breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum TeamRuleViolation {
    #[error("Your role does not allow managing team members.")]
    NotAllowed,
    #[error("Only an Owner can grant the Owner role.")]
    OnlyOwnerGrantsOwner,
    #[error("Only an Owner can change or remove another Owner.")]
    OnlyOwnerManagesOwner,
    #[error(
        "You cannot change your own role. Ask another member who manages the team; only an Owner can change an Owner's role."
    )]
    OwnRole,
    #[error("You cannot remove yourself from the account.")]
    RemoveSelf,
    #[error("The account must keep at least one Owner.")]
    LastOwner,
    #[error("Operator and Auditor roles are available on enterprise accounts only.")]
    RoleNeedsEnterprise,
}

/// Facts about the member who acts, loaded by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub plan: Plan,
}

/// Checks that `actor` may invite someone with `role`.
pub fn check_invite(actor: Actor, role: Role) -> Result<(), TeamRuleViolation> {
    if !actor.role.can(Permission::ManageTeam) {
        return Err(TeamRuleViolation::NotAllowed);
    }
    if !role.is_available_on(actor.plan) {
        return Err(TeamRuleViolation::RoleNeedsEnterprise);
    }
    if role == Role::Owner && actor.role != Role::Owner {
        return Err(TeamRuleViolation::OnlyOwnerGrantsOwner);
    }
    Ok(())
}

/// Checks that `actor` may change a member from `current` to `new`.
///
/// `is_self` is true when the member is the actor, and `owner_count` is the number of Owners the
/// account has now, including the member if they are one.
pub fn check_role_change(
    actor: Actor,
    current: Role,
    new: Role,
    is_self: bool,
    owner_count: usize,
) -> Result<(), TeamRuleViolation> {
    if !actor.role.can(Permission::ManageTeam) {
        return Err(TeamRuleViolation::NotAllowed);
    }
    if is_self {
        return Err(TeamRuleViolation::OwnRole);
    }
    if current == Role::Owner && actor.role != Role::Owner {
        return Err(TeamRuleViolation::OnlyOwnerManagesOwner);
    }
    check_invite(actor, new)?;
    if current == Role::Owner && new != Role::Owner && owner_count <= 1 {
        return Err(TeamRuleViolation::LastOwner);
    }
    Ok(())
}

/// Checks that `actor` may remove a member whose role is `target`.
pub fn check_removal(actor: Actor, target: Role, is_self: bool, owner_count: usize) -> Result<(), TeamRuleViolation> {
    if !actor.role.can(Permission::ManageTeam) {
        return Err(TeamRuleViolation::NotAllowed);
    }
    if is_self {
        return Err(TeamRuleViolation::RemoveSelf);
    }
    if target == Role::Owner && actor.role != Role::Owner {
        return Err(TeamRuleViolation::OnlyOwnerManagesOwner);
    }
    if target == Role::Owner && owner_count <= 1 {
        return Err(TeamRuleViolation::LastOwner);
    }
    Ok(())
}

/// Checks that an account may move to `plan` while its members hold `roles`.
///
/// Returns the roles that the new plan does not allow, so the caller can name the members.
pub fn roles_blocking_plan(plan: Plan, roles: &[Role]) -> Vec<Role> {
    let mut blocking: Vec<Role> = roles.iter().copied().filter(|role| !role.is_available_on(plan)).collect();
    blocking.sort();
    blocking.dedup();
    blocking
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission::*;

    /// The whole matrix, one row per permission, columns Owner, Admin, Operator, Auditor.
    const MATRIX: [(Permission, [bool; 4]); 9] = [
        (ManageTeam, [true, true, false, false]),
        (ViewDashboard, [true, true, true, true]),
        (RunSmartCheck, [true, true, true, false]),
        (ViewJobs, [true, true, true, true]),
        (ManageDeveloper, [true, true, false, false]),
        (ViewBilling, [true, true, false, true]),
        (MakePayments, [true, true, false, false]),
        (ManageLinks, [true, true, false, false]),
        (ViewAuditLog, [true, true, false, true]),
    ];

    #[test]
    fn matrix_pins_every_cell() {
        assert_eq!(MATRIX.len(), Permission::ALL.len(), "every permission has a row");
        for (permission, expected) in MATRIX {
            for (role, allowed) in Role::ALL.into_iter().zip(expected) {
                assert_eq!(role.can(permission), allowed, "{role:?} / {permission:?}");
            }
        }
    }

    #[test]
    fn owner_has_every_permission() {
        for permission in Permission::ALL {
            assert!(Role::Owner.can(permission), "{permission:?}");
        }
    }

    #[test]
    fn roles_available_by_plan() {
        assert_eq!(Role::available_on(Plan::Standard), vec![Role::Owner, Role::Admin]);
        assert_eq!(Role::available_on(Plan::Enterprise), Role::ALL.to_vec());
    }

    const OWNER_STD: Actor = Actor { role: Role::Owner, plan: Plan::Standard };
    const OWNER_ENT: Actor = Actor { role: Role::Owner, plan: Plan::Enterprise };
    const ADMIN_ENT: Actor = Actor { role: Role::Admin, plan: Plan::Enterprise };
    const OPERATOR_ENT: Actor = Actor { role: Role::Operator, plan: Plan::Enterprise };
    const AUDITOR_ENT: Actor = Actor { role: Role::Auditor, plan: Plan::Enterprise };

    #[test]
    fn invite_rules() {
        use TeamRuleViolation::*;
        let cases = [
            (OWNER_ENT, Role::Owner, Ok(())),
            (OWNER_ENT, Role::Auditor, Ok(())),
            (OWNER_STD, Role::Admin, Ok(())),
            (OWNER_STD, Role::Operator, Err(RoleNeedsEnterprise)),
            (OWNER_STD, Role::Auditor, Err(RoleNeedsEnterprise)),
            (ADMIN_ENT, Role::Admin, Ok(())),
            (ADMIN_ENT, Role::Operator, Ok(())),
            (ADMIN_ENT, Role::Owner, Err(OnlyOwnerGrantsOwner)),
            (OPERATOR_ENT, Role::Auditor, Err(NotAllowed)),
            (AUDITOR_ENT, Role::Auditor, Err(NotAllowed)),
        ];
        for (actor, role, expected) in cases {
            assert_eq!(check_invite(actor, role), expected, "{actor:?} invites {role:?}");
        }
    }

    #[test]
    fn role_change_rules() {
        use TeamRuleViolation::*;
        let cases = [
            // (actor, current, new, is_self, owner_count, expected)
            (OWNER_ENT, Role::Admin, Role::Owner, false, 1, Ok(())),
            (OWNER_ENT, Role::Owner, Role::Admin, false, 2, Ok(())),
            (OWNER_ENT, Role::Owner, Role::Admin, false, 1, Err(LastOwner)),
            (OWNER_ENT, Role::Owner, Role::Admin, true, 2, Err(OwnRole)),
            (ADMIN_ENT, Role::Admin, Role::Auditor, true, 1, Err(OwnRole)),
            (ADMIN_ENT, Role::Operator, Role::Admin, false, 1, Ok(())),
            (ADMIN_ENT, Role::Operator, Role::Owner, false, 1, Err(OnlyOwnerGrantsOwner)),
            (ADMIN_ENT, Role::Owner, Role::Admin, false, 2, Err(OnlyOwnerManagesOwner)),
            (OWNER_STD, Role::Admin, Role::Operator, false, 1, Err(RoleNeedsEnterprise)),
            (OPERATOR_ENT, Role::Auditor, Role::Operator, false, 1, Err(NotAllowed)),
            (AUDITOR_ENT, Role::Operator, Role::Auditor, false, 1, Err(NotAllowed)),
        ];
        for (actor, current, new, is_self, owners, expected) in cases {
            assert_eq!(
                check_role_change(actor, current, new, is_self, owners),
                expected,
                "{actor:?} changes {current:?} to {new:?} (self: {is_self}, owners: {owners})"
            );
        }
    }

    #[test]
    fn removal_rules() {
        use TeamRuleViolation::*;
        let cases = [
            (OWNER_ENT, Role::Owner, false, 2, Ok(())),
            (OWNER_ENT, Role::Owner, false, 1, Err(LastOwner)),
            (OWNER_ENT, Role::Owner, true, 2, Err(RemoveSelf)),
            (OWNER_ENT, Role::Operator, false, 1, Ok(())),
            (ADMIN_ENT, Role::Admin, false, 1, Ok(())),
            (ADMIN_ENT, Role::Owner, false, 2, Err(OnlyOwnerManagesOwner)),
            (OPERATOR_ENT, Role::Auditor, false, 1, Err(NotAllowed)),
            (AUDITOR_ENT, Role::Operator, false, 1, Err(NotAllowed)),
        ];
        for (actor, target, is_self, owners, expected) in cases {
            assert_eq!(
                check_removal(actor, target, is_self, owners),
                expected,
                "{actor:?} removes {target:?} (self: {is_self}, owners: {owners})"
            );
        }
    }

    #[test]
    fn downgrade_blocked_by_enterprise_roles() {
        let roles = [Role::Owner, Role::Auditor, Role::Operator, Role::Auditor];
        assert_eq!(roles_blocking_plan(Plan::Standard, &roles), vec![Role::Operator, Role::Auditor]);
        assert!(roles_blocking_plan(Plan::Enterprise, &roles).is_empty());
        assert!(roles_blocking_plan(Plan::Standard, &[Role::Owner, Role::Admin]).is_empty());
    }

    #[test]
    fn role_and_plan_parse() {
        assert_eq!("Owner".parse::<Role>(), Ok(Role::Owner));
        assert_eq!(" auditor ".parse::<Role>(), Ok(Role::Auditor));
        assert!("root".parse::<Role>().is_err());
        assert_eq!("ENTERPRISE".parse::<Plan>(), Ok(Plan::Enterprise));
        assert!("gold".parse::<Plan>().is_err());
    }
}

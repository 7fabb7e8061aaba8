//! Server functions for the team page and for accepting invitations. Each one authenticates,
//! loads the facts it needs, checks them with the permission module, changes the database in one
//! transaction, and sends email after the commit.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::permissions::{Plan, Role};

#[cfg(feature = "ssr")]
use {
    super::{emails, service},
    crate::account::session::{self, Member},
    crate::error::FieldError,
    crate::fields::{EmailAddress, NewPassword, PartnerNumber, PersonName},
    crate::infra::audit::{self, AuditEvent},
    crate::infra::limits::Bucket,
    crate::infra::passwords,
    crate::infra::request::{request_meta, set_session_cookie},
    crate::infra::state::{AppState, app_state},
    crate::permissions::{self as rules, Permission},
};

/// Most addresses one invitation form may carry.
pub const MAX_INVITES_PER_REQUEST: usize = 20;

/// The addresses whose invitation email went out, and those whose email failed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InviteOutcome {
    pub sent: Vec<String>,
    /// Invitations that were created but whose email failed; they can be resent.
    pub not_sent: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamView {
    /// The partner ID of the account shown, sent back with every change from the page.
    pub partner_number: String,
    pub members: Vec<MemberView>,
    pub invitations: Vec<InvitationView>,
    pub my_user_id: String,
    pub my_role: Role,
    pub plan: Plan,
    /// The server's clock when the view was built, for "expires in" texts.
    pub now_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Two-factor enrolment. NOTE: two-factor authentication is not built yet, so this is
    /// `false` for everyone.
    pub two_factor: bool,
    pub joined_at_ms: i64,
    pub last_active_at_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<String>,
    pub sent_at_ms: i64,
    pub expires_at_ms: i64,
}

/// The state of an invitation link, shown on the accept page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InvitationState {
    /// The link works. `has_login` says whether the address already has a login;
    /// `signed_in_as` is the address signed in in this browser, if any.
    Open {
        partner_name: String,
        partner_number: String,
        role: Role,
        email: String,
        invited_by: Option<String>,
        expires_at_ms: i64,
        has_login: bool,
        signed_in_as: Option<String>,
    },
    Expired {
        partner_name: String,
    },
    Accepted {
        partner_name: String,
    },
    Revoked {
        partner_name: String,
    },
    /// No invitation has this link: mistyped, or replaced by a resent one.
    Unknown,
}

#[cfg(feature = "ssr")]
async fn require_team_manager() -> Result<Member, AppError> {
    session::require_permission(Permission::ManageTeam).await
}

/// Returns the team manager for a change made from a page of the account with partner ID
/// `partner`. The session acts on one selected account; when another tab has switched it
/// since this page was shown, the change is rejected instead of landing on the other account.
#[cfg(feature = "ssr")]
async fn require_team_manager_of(partner: &str) -> Result<Member, AppError> {
    let member = require_team_manager().await?;
    if PartnerNumber::parse(partner).ok() != Some(member.partner_number) {
        return Err(AppError::Conflict(format!(
            "This page belongs to another account than the one you now work in ({} {}), because you switched accounts in another tab. Reload the page and try again.",
            member.partner_name, member.partner_number
        )));
    }
    Ok(member)
}

#[cfg(feature = "ssr")]
fn forbidden(violation: rules::TeamRuleViolation) -> AppError {
    AppError::Forbidden(violation.to_string())
}

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<Role, AppError> {
    role.parse().map_err(|_| AppError::field("role", "Choose a role."))
}

/// Sends an email and returns whether it went out; a failure is logged.
#[cfg(feature = "ssr")]
async fn send_email(state: &AppState, email: crate::infra::mail::Email) -> bool {
    let subject = email.subject.clone();
    match state.mailer.send(email).await {
        Ok(()) => true,
        Err(error) => {
            tracing::error!(error = %error, subject = %subject, "email could not be sent");
            false
        }
    }
}

#[cfg(feature = "ssr")]
fn audit_event<'a>(member: &'a Member, ip: &'a str, action: &'a str, target: String, now: i64) -> AuditEvent<'a> {
    AuditEvent {
        partner_id: Some(&member.partner_id),
        actor_user_id: Some(&member.user_id),
        action,
        target: Some(target),
        ip: Some(ip),
        at_ms: now,
    }
}

#[server(prefix = "/api", endpoint = "team_overview")]
pub async fn team_overview() -> Result<TeamView, AppError> {
    let member = require_team_manager().await?;
    let state = app_state()?;

    let members = service::list_members(&state.db, &member.partner_id)
        .await?
        .into_iter()
        .map(|row| MemberView {
            role: row.role.parse().unwrap_or(Role::Auditor),
            user_id: row.user_id,
            name: row.name,
            email: row.email,
            two_factor: false,
            joined_at_ms: row.created_at,
            last_active_at_ms: row.last_active_at,
        })
        .collect();
    let invitations = service::list_open_invitations(&state.db, &member.partner_id)
        .await?
        .into_iter()
        .map(|row| InvitationView {
            id: row.id,
            email: row.email,
            role: row.role.parse().unwrap_or(Role::Auditor),
            invited_by: row.invited_by_name,
            sent_at_ms: row.sent_at,
            expires_at_ms: row.expires_at,
        })
        .collect();
    Ok(TeamView {
        partner_number: member.partner_number.to_string(),
        members,
        invitations,
        my_user_id: member.user_id,
        my_role: member.role,
        plan: member.plan,
        now_ms: state.clock.now_ms(),
    })
}

/// Splits the invitation form's text into addresses: commas, semicolons, spaces or new lines
/// separate them.
#[cfg(feature = "ssr")]
fn parse_addresses(input: &str) -> Result<Vec<EmailAddress>, AppError> {
    let mut addresses: Vec<EmailAddress> = Vec::new();
    let mut invalid = Vec::new();
    for item in input.split([',', ';', ' ', '\n', '\r', '\t']).filter(|item| !item.trim().is_empty()) {
        match EmailAddress::parse(item) {
            Ok(address) if !addresses.contains(&address) => addresses.push(address),
            Ok(_) => {}
            Err(_) => invalid.push(item.trim().to_owned()),
        }
    }
    if !invalid.is_empty() {
        return Err(AppError::field("emails", format!("These are not email addresses: {}.", invalid.join(", "))));
    }
    if addresses.is_empty() {
        return Err(AppError::field("emails", "Enter at least one email address."));
    }
    if addresses.len() > MAX_INVITES_PER_REQUEST {
        return Err(AppError::field("emails", format!("Invite at most {MAX_INVITES_PER_REQUEST} people at a time.")));
    }
    Ok(addresses)
}

#[server(prefix = "/api", endpoint = "invite_members")]
pub async fn invite_members(partner: String, emails: String, role: String) -> Result<InviteOutcome, AppError> {
    let member = require_team_manager_of(&partner).await?;
    let state = app_state()?;
    let meta = request_meta();
    let role = parse_role(&role)?;
    rules::check_invite(member.actor(), role).map_err(forbidden)?;
    let addresses = parse_addresses(&emails)?;
    for _ in &addresses {
        state.limits.check(Bucket::InviteAccount, &member.partner_id)?;
    }

    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let mut refused = Vec::new();
    for address in &addresses {
        if service::is_member_email(&mut tx, &member.partner_id, address).await? {
            refused.push(format!("{address} is already a member"));
        } else if service::has_open_invitation(&mut tx, &member.partner_id, address).await? {
            refused.push(format!("{address} already has an invitation (resend it from the list below)"));
        }
    }
    if !refused.is_empty() {
        return Err(AppError::Invalid(vec![FieldError::new(
            "emails",
            format!("Nobody was invited: {}.", refused.join("; ")),
        )]));
    }
    let mut links = Vec::new();
    for address in &addresses {
        let Some((id, secret)) =
            service::create_invitation(&mut tx, &member.partner_id, address, role, &member.user_id, now).await?
        else {
            return Err(AppError::Conflict(format!(
                "{address} was invited by someone else a moment ago. Nobody was invited; try again."
            )));
        };
        audit::record(
            &mut tx,
            audit_event(&member, &meta.ip, "member.invited", format!("invitation:{id} {address} as {role}"), now),
        )
        .await?;
        links.push((address, secret));
    }
    tx.commit().await?;

    tracing::info!(partner.id = %member.partner_id, member.id = %member.user_id, count = links.len(), "invitations created");
    let mut outcome = InviteOutcome::default();
    for (address, secret) in links {
        let email = emails::invitation(&state.settings, address.as_str(), &member, role, &secret);
        if send_email(&state, email).await {
            outcome.sent.push(address.to_string());
        } else {
            outcome.not_sent.push(address.to_string());
        }
    }
    Ok(outcome)
}

#[server(prefix = "/api", endpoint = "resend_invitation")]
pub async fn resend_invitation(partner: String, id: String) -> Result<(), AppError> {
    let member = require_team_manager_of(&partner).await?;
    let state = app_state()?;
    let meta = request_meta();
    state.limits.check(Bucket::InviteAccount, &member.partner_id)?;

    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let Some((invitation, secret)) = service::renew_invitation(&mut tx, &member.partner_id, &id, now).await? else {
        return Err(AppError::NotFound("This invitation no longer exists: it was accepted or revoked.".into()));
    };
    let role: Role = invitation.role.parse().unwrap_or(Role::Auditor);
    rules::check_invite(member.actor(), role).map_err(forbidden)?;
    audit::record(
        &mut tx,
        audit_event(&member, &meta.ip, "invitation.resent", format!("invitation:{id} {}", invitation.email), now),
    )
    .await?;
    tx.commit().await?;

    if !send_email(&state, emails::invitation(&state.settings, &invitation.email, &member, role, &secret)).await {
        return Err(AppError::Unavailable(format!(
            "The invitation to {} was renewed, but the email could not be sent. Try Resend again in a few minutes.",
            invitation.email
        )));
    }
    Ok(())
}

#[server(prefix = "/api", endpoint = "revoke_invitation")]
pub async fn revoke_invitation(partner: String, id: String) -> Result<(), AppError> {
    let member = require_team_manager_of(&partner).await?;
    let state = app_state()?;
    let meta = request_meta();

    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let Some(invitation) = service::revoke_invitation(&mut tx, &member.partner_id, &id, now).await? else {
        return Err(AppError::NotFound("This invitation no longer exists: it was accepted or revoked.".into()));
    };
    // Revoking an Owner invitation is granting in reverse: only Owners may.
    let role: Role = invitation.role.parse().unwrap_or(Role::Auditor);
    if role == Role::Owner && member.role != Role::Owner {
        return Err(forbidden(rules::TeamRuleViolation::OnlyOwnerManagesOwner));
    }
    audit::record(
        &mut tx,
        audit_event(&member, &meta.ip, "invitation.revoked", format!("invitation:{id} {}", invitation.email), now),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "change_member_role")]
pub async fn change_member_role(
    partner: String,
    user_id: String,
    role: String,
    current_role: String,
) -> Result<(), AppError> {
    let member = require_team_manager_of(&partner).await?;
    let state = app_state()?;
    let meta = request_meta();
    let new_role = parse_role(&role)?;
    let seen_role = parse_role(&current_role)?;

    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let owner_count = service::lock_owner_count(&mut tx, &member.partner_id).await?;
    let Some(current) = service::lock_member_role(&mut tx, &member.partner_id, &user_id).await? else {
        return Err(AppError::NotFound("This person is not a member of the account.".into()));
    };
    // The form carries the role the page showed; if someone else changed it since, the
    // request was made on stale facts.
    if current != seen_role {
        return Err(AppError::Conflict(format!(
            "Someone else changed this member's role to {current} in the meantime. Reload the page and try again."
        )));
    }
    if current == new_role {
        return Ok(());
    }
    rules::check_role_change(member.actor(), current, new_role, user_id == member.user_id, owner_count)
        .map_err(forbidden)?;
    service::set_role(&mut tx, &member.partner_id, &user_id, new_role).await?;
    let target = format!("user:{user_id} {current} to {new_role}");
    audit::record(&mut tx, audit_event(&member, &meta.ip, "member.role_changed", target, now)).await?;
    tx.commit().await?;

    tracing::info!(partner.id = %member.partner_id, member.id = %user_id, role = %new_role, "member role changed");
    Ok(())
}

#[server(prefix = "/api", endpoint = "remove_member")]
pub async fn remove_member(partner: String, user_id: String) -> Result<(), AppError> {
    let member = require_team_manager_of(&partner).await?;
    let state = app_state()?;
    let meta = request_meta();

    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    let owner_count = service::lock_owner_count(&mut tx, &member.partner_id).await?;
    let Some(current) = service::lock_member_role(&mut tx, &member.partner_id, &user_id).await? else {
        return Err(AppError::NotFound("This person is not a member of the account.".into()));
    };
    rules::check_removal(member.actor(), current, user_id == member.user_id, owner_count).map_err(forbidden)?;
    service::remove_member(&mut tx, &member.partner_id, &user_id).await?;
    audit::record(
        &mut tx,
        audit_event(&member, &meta.ip, "member.removed", format!("user:{user_id} ({current})"), now),
    )
    .await?;
    tx.commit().await?;

    tracing::info!(partner.id = %member.partner_id, member.id = %user_id, "member removed");
    Ok(())
}

#[server(prefix = "/api", endpoint = "invitation_details")]
pub async fn invitation_details(token: String) -> Result<InvitationState, AppError> {
    let state = app_state()?;
    let Some(invitation) = service::find_by_token(&state.db, token.trim()).await? else {
        return Ok(InvitationState::Unknown);
    };
    let partner_name = invitation.partner_name.clone();
    if invitation.accepted_at.is_some() {
        return Ok(InvitationState::Accepted { partner_name });
    }
    if invitation.revoked_at.is_some() {
        return Ok(InvitationState::Revoked { partner_name });
    }
    if state.clock.now_ms() >= invitation.expires_at {
        return Ok(InvitationState::Expired { partner_name });
    }

    let email = EmailAddress::parse(&invitation.email).map_err(|_| AppError::Internal)?;
    let has_login = crate::account::service::find_by_email(&state.db, &email).await?.is_some();
    let signed_in_as = session::current().await?.map(|signed_in| signed_in.email);
    Ok(InvitationState::Open {
        partner_name,
        partner_number: PartnerNumber(invitation.partner_number).to_string(),
        role: invitation.role.parse().unwrap_or(Role::Auditor),
        email: invitation.email,
        invited_by: invitation.invited_by_name,
        expires_at_ms: invitation.expires_at,
        has_login,
        signed_in_as,
    })
}

/// Loads an open, unexpired invitation by its link, or the error the accept page shows.
#[cfg(feature = "ssr")]
async fn open_invitation(state: &AppState, token: &str) -> Result<service::InvitationByToken, AppError> {
    let gone = |what: &str| {
        AppError::Gone(format!("This invitation {what}. Ask the person who invited you for a new invitation."))
    };
    let invitation = service::find_by_token(&state.db, token.trim()).await?.ok_or_else(|| gone("link is not valid"))?;
    if invitation.accepted_at.is_some() {
        return Err(gone("was already accepted"));
    }
    if invitation.revoked_at.is_some() {
        return Err(gone("was revoked"));
    }
    if state.clock.now_ms() >= invitation.expires_at {
        return Err(gone("has expired"));
    }
    Ok(invitation)
}

#[server(prefix = "/api", endpoint = "accept_invitation")]
pub async fn accept_invitation(
    token: String,
    name: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    let state = app_state()?;
    let meta = request_meta();
    state.limits.check(Bucket::AcceptIp, &meta.ip)?;
    let invitation = open_invitation(&state, &token).await?;

    let mut errors = Vec::new();
    let name = PersonName::parse(&name).map_err(|message| errors.push(FieldError::new("name", message))).ok();
    let password =
        NewPassword::parse(&password).map_err(|message| errors.push(FieldError::new("password", message))).ok();
    if password.as_ref().is_some_and(|password| password.expose() != password_confirm) {
        errors.push(FieldError::new("password_confirm", "The two passwords do not match."));
    }
    let (Some(name), Some(password), true) = (name, password, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };

    let password_hash = passwords::hash(&password).await?;
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    if !service::lock_open_invitation(&mut tx, &invitation.id, now).await? {
        return Err(AppError::Gone(
            "This invitation was accepted, revoked or expired a moment ago. Ask for a new invitation.".into(),
        ));
    }
    let Some(user_id) =
        service::create_invited_user(&mut tx, &invitation.email, name.as_str(), &password_hash, now).await?
    else {
        return Err(AppError::Conflict(
            "This address already has a login. Sign in, then open the invitation link again.".into(),
        ));
    };
    service::accept(&mut tx, &invitation, &user_id, now).await?;
    if let Some(old) = &meta.session_secret {
        session::delete(&mut tx, &crate::infra::tokens::hash_secret(old)).await?;
    }
    let secret = session::create(&mut tx, &user_id, Some(&invitation.partner_id), &meta, now).await?;
    record_acceptance(&mut tx, &invitation, &user_id, &meta.ip, now).await?;
    tx.commit().await?;

    tracing::info!(partner.id = %invitation.partner_id, user.id = %user_id, "invitation accepted by a new person");
    set_session_cookie(&state.settings, Some(&secret));
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn record_acceptance(
    tx: &mut crate::infra::db::Tx,
    invitation: &service::InvitationByToken,
    user_id: &str,
    ip: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let event = AuditEvent {
        partner_id: Some(&invitation.partner_id),
        actor_user_id: Some(user_id),
        action: "invitation.accepted",
        target: Some(format!("invitation:{} {} as {}", invitation.id, invitation.email, invitation.role)),
        ip: Some(ip),
        at_ms: now,
    };
    audit::record(tx, event).await
}

#[server(prefix = "/api", endpoint = "join_account")]
pub async fn join_account(token: String) -> Result<(), AppError> {
    let state = app_state()?;
    let meta = request_meta();
    let signed_in = session::current().await?.ok_or(AppError::Unauthenticated)?;
    let invitation = open_invitation(&state, &token).await?;
    if signed_in.email != invitation.email {
        return Err(AppError::Forbidden(format!(
            "This invitation is for {}, but you are signed in as {}. Sign out, then open the link again and sign in as {}.",
            invitation.email, signed_in.email, invitation.email
        )));
    }

    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    if !service::lock_open_invitation(&mut tx, &invitation.id, now).await? {
        return Err(AppError::Gone(
            "This invitation was accepted, revoked or expired a moment ago. Ask for a new invitation.".into(),
        ));
    }
    service::accept(&mut tx, &invitation, &signed_in.user_id, now).await?;
    service::select_account(&mut tx, &signed_in.session_hash, &invitation.partner_id).await?;
    session::touch_membership(&mut tx, &invitation.partner_id, &signed_in.user_id, now).await?;
    record_acceptance(&mut tx, &invitation, &signed_in.user_id, &meta.ip, now).await?;
    tx.commit().await?;

    tracing::info!(partner.id = %invitation.partner_id, user.id = %signed_in.user_id, "invitation accepted by a signed-in person");
    leptos_axum::redirect("/");
    Ok(())
}

#[server(prefix = "/api", endpoint = "switch_account")]
pub async fn switch_account(partner_number: String) -> Result<(), AppError> {
    let state = app_state()?;
    let signed_in = session::current().await?.ok_or(AppError::Unauthenticated)?;
    let number = PartnerNumber::parse(&partner_number).map_err(|message| AppError::field("partner_number", message))?;

    let memberships = session::memberships(&state.db, &signed_in.user_id).await?;
    let Some(target) = memberships.iter().find(|membership| membership.number == number.0) else {
        return Err(AppError::NotFound("You are not a member of that account.".into()));
    };
    service::select_account(&state.db, &signed_in.session_hash, &target.partner_id).await?;
    session::touch_membership(&state.db, &target.partner_id, &signed_in.user_id, state.clock.now_ms()).await?;

    tracing::info!(user.id = %signed_in.user_id, partner.id = %target.partner_id, "switched account");
    leptos_axum::redirect("/");
    Ok(())
}

//! The team page and the invitation page.
//!
//! Which controls appear comes from the permission module, with the same rules the server
//! applies; a control the member could not use is not shown.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    AcceptInvitation, ChangeMemberRole, InvitationState, InvitationView, InviteMembers, InviteOutcome, JoinAccount,
    MemberView, RemoveMember, ResendInvitation, RevokeInvitation, TeamView, invitation_details, team_overview,
};
use crate::account::api::SignOut;
use crate::error::AppError;
use crate::permissions::{Actor, Role, check_invite, check_removal, check_role_change};
use crate::ui::time::{format_until, format_utc};
use crate::ui::{Field, FormAlert, Notice, PasswordField, use_action_error};

/// Returns the roles `actor` may grant, highest first.
fn grantable_roles(actor: Actor) -> Vec<Role> {
    Role::ALL.into_iter().filter(|role| check_invite(actor, *role).is_ok()).collect()
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let invite = ServerAction::<InviteMembers>::new();
    let change = ServerAction::<ChangeMemberRole>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let revoke = ServerAction::<RevokeInvitation>::new();
    let team = Resource::new(
        move || {
            (
                invite.version().get(),
                change.version().get(),
                remove.version().get(),
                resend.version().get(),
                revoke.version().get(),
            )
        },
        |_| team_overview(),
    );

    let invite_error = use_action_error(invite);
    let row_errors =
        [use_action_error(change), use_action_error(remove), use_action_error(resend), use_action_error(revoke)];
    // The newest failure among the row actions; each action clears its own on success.
    let row_error = Signal::derive(move || row_errors.iter().find_map(|error| error.get()));
    let invited = move || match invite.value().get() {
        Some(Ok(outcome)) => Some(outcome),
        _ => None,
    };

    view! {
        <Title text="Team" />
        <h1>"Team"</h1>
        <FormAlert error=Signal::derive(move || row_error.get().filter(|error| !matches!(error, AppError::Invalid(_)))) />
        <Suspense fallback=|| view! { <p class="loading">"Loading the team…"</p> }>
            {move || Suspend::new(async move {
                match team.await {
                    Ok(view) => {
                        let actor = Actor { role: view.my_role, plan: view.plan };
                        view! {
                            <InviteForm
                                action=invite
                                error=invite_error
                                roles=grantable_roles(actor)
                                invited
                                partner=view.partner_number.clone()
                            />
                            <MembersTable view=view.clone() change remove />
                            <InvitationsTable view resend revoke />
                        }
                            .into_any()
                    }
                    Err(error) => {
                        let text = error.to_string();
                        view! {
                            <div class="alert alert-error" role="alert">
                                {text}
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn InviteForm(
    action: ServerAction<InviteMembers>,
    error: Signal<Option<AppError>>,
    roles: Vec<Role>,
    invited: impl Fn() -> Option<InviteOutcome> + Send + Sync + 'static,
    partner: String,
) -> impl IntoView {
    let emails_message = move || error.get().and_then(|error| error.message_for("emails"));
    let role_message = move || error.get().and_then(|error| error.message_for("role"));
    let other_error = Signal::derive(move || error.get().filter(|error| !matches!(error, AppError::Invalid(_))));
    view! {
        <section class="panel" id="invite">
            <h2>"Invite team members"</h2>
            {move || invited().map(|outcome| view! { <InviteResult outcome /> })}
            <FormAlert error=other_error />
            <ActionForm action=action>
                <input type="hidden" name="partner" value=partner />
                <div class="field" class:field-invalid=move || emails_message().is_some()>
                    <label for="field-emails">"Email addresses"</label>
                    <textarea
                        id="field-emails"
                        name="emails"
                        rows="3"
                        placeholder="grace@example.com, alan@example.com"
                        maxlength="6000"
                        aria-describedby="field-emails-message"
                    ></textarea>
                    <p class="field-hint">"Separate addresses with commas or new lines; up to 20 at a time. Each invitation link works for 24 hours."</p>
                    <p class="field-message" id="field-emails-message">
                        {emails_message}
                    </p>
                </div>
                <div class="field" class:field-invalid=move || role_message().is_some()>
                    <label for="field-role">"Role"</label>
                    <select id="field-role" name="role" aria-describedby="field-role-message">
                        {roles
                            .into_iter()
                            .map(|role| {
                                view! {
                                    <option value=role.as_str() selected=role == Role::Admin>
                                        {role.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <p class="field-message" id="field-role-message">
                        {role_message}
                    </p>
                </div>
                <button type="submit" class="button primary" disabled=move || action.pending().get()>
                    "Send invitations"
                </button>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// Whom the last invitation went to, and which emails failed.
#[component]
fn InviteResult(outcome: InviteOutcome) -> impl IntoView {
    let sent = (!outcome.sent.is_empty())
        .then(|| view! { <Notice>{format!("Invitation sent to {}.", outcome.sent.join(", "))}</Notice> });
    let not_sent = (!outcome.not_sent.is_empty()).then(|| {
        let text = format!(
            "The email to {} could not be sent. The invitation is saved: use Resend below in a few minutes.",
            outcome.not_sent.join(", ")
        );
        view! {
            <div class="alert alert-error" role="alert">
                {text}
            </div>
        }
    });
    view! {
        {sent}
        {not_sent}
    }
}

#[component]
fn MembersTable(
    view: TeamView,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
) -> impl IntoView {
    let actor = Actor { role: view.my_role, plan: view.plan };
    let owner_count = view.members.iter().filter(|member| member.role == Role::Owner).count();
    let rows = view
        .members
        .into_iter()
        .map(|member| {
            let is_self = member.user_id == view.my_user_id;
            view! { <MemberRow member actor owner_count is_self change remove partner=view.partner_number.clone() /> }
        })
        .collect_view();
    view! {
        <section class="panel">
            <h2>"Members"</h2>
            <table class="table" data-testid="members">
                <thead>
                    <tr>
                        <th>"Member"</th>
                        <th>"Role"</th>
                        <th>"Two-factor"</th>
                        <th>"Joined"</th>
                        <th>"Last active"</th>
                        <th>
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn MemberRow(
    member: MemberView,
    actor: Actor,
    owner_count: usize,
    is_self: bool,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
    partner: String,
) -> impl IntoView {
    let role_choices: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|role| {
            *role == member.role || check_role_change(actor, member.role, *role, is_self, owner_count).is_ok()
        })
        .collect();
    let can_change = role_choices.len() > 1;
    let can_remove = check_removal(actor, member.role, is_self, owner_count).is_ok();
    let remove_partner = partner.clone();
    let current = member.role;
    let user_id = member.user_id.clone();
    let remove_id = member.user_id.clone();
    let display_name = member.name.clone();

    view! {
        <tr data-testid="member-row" data-email=member.email.clone()>
            <td>
                <strong>{member.name.clone()}</strong>
                {is_self.then_some(" (you)")}
                <br />
                <span class="muted">{member.email.clone()}</span>
            </td>
            <td>
                {if can_change {
                    view! {
                        <ActionForm action=change>
                            <input type="hidden" name="partner" value=partner.clone() />
                            <input type="hidden" name="user_id" value=user_id />
                            <input type="hidden" name="current_role" value=current.as_str() />
                            <div class="inline-form">
                                <select name="role" aria-label=format!("Role of {display_name}")>
                                    {role_choices
                                        .into_iter()
                                        .map(|role| {
                                            view! {
                                                <option value=role.as_str() selected=role == current>
                                                    {role.label()}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <button type="submit" class="button small">
                                    "Change"
                                </button>
                            </div>
                        </ActionForm>
                    }
                        .into_any()
                } else {
                    view! { <span data-testid="role">{current.label()}</span> }.into_any()
                }}
            </td>
            <td>{if member.two_factor { "On" } else { "Off" }}</td>
            <td>{format_utc(member.joined_at_ms)}</td>
            <td>{member.last_active_at_ms.map(format_utc).unwrap_or_else(|| "Never".to_owned())}</td>
            <td>
                {can_remove
                    .then(|| {
                        view! {
                            <details class="confirm">
                                <summary class="button small danger">"Remove…"</summary>
                                <div class="confirm-panel">
                                    <p>{format!("Remove {} from the account? They lose access at their next click.", member.name)}</p>
                                    <ActionForm action=remove>
                                        <input type="hidden" name="partner" value=remove_partner.clone() />
                                        <input type="hidden" name="user_id" value=remove_id />
                                        <button type="submit" class="button small danger">
                                            "Remove member"
                                        </button>
                                    </ActionForm>
                                </div>
                            </details>
                        }
                    })}
            </td>
        </tr>
    }
    .into_any()
}

#[component]
fn InvitationsTable(
    view: TeamView,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let actor = Actor { role: view.my_role, plan: view.plan };
    let now = view.now_ms;
    if view.invitations.is_empty() {
        return view! {
            <section class="panel">
                <h2>"Pending invitations"</h2>
                <p class="muted">"No invitations are waiting for an answer."</p>
            </section>
        }
        .into_any();
    }
    let rows = view
        .invitations
        .into_iter()
        .map(|invitation| view! { <InvitationRow invitation actor now resend revoke partner=view.partner_number.clone() /> })
        .collect_view();
    view! {
        <section class="panel">
            <h2>"Pending invitations"</h2>
            <table class="table" data-testid="invitations">
                <thead>
                    <tr>
                        <th>"Email"</th>
                        <th>"Role"</th>
                        <th>"Invited by"</th>
                        <th>"Sent"</th>
                        <th>"Expires"</th>
                        <th>
                            <span class="visually-hidden">"Actions"</span>
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn InvitationRow(
    invitation: InvitationView,
    actor: Actor,
    now: i64,
    resend: ServerAction<ResendInvitation>,
    revoke: ServerAction<RevokeInvitation>,
    partner: String,
) -> impl IntoView {
    let expired = now >= invitation.expires_at_ms;
    let may_manage = check_invite(actor, invitation.role).is_ok();
    let resend_id = invitation.id.clone();
    let resend_partner = partner.clone();
    let revoke_partner = partner;
    let revoke_id = invitation.id.clone();
    view! {
        <tr data-testid="invitation-row" data-email=invitation.email.clone()>
            <td>{invitation.email.clone()}</td>
            <td>{invitation.role.label()}</td>
            <td>{invitation.invited_by.clone().unwrap_or_else(|| "A former member".to_owned())}</td>
            <td>{format_utc(invitation.sent_at_ms)}</td>
            <td>
                {if expired {
                    view! { <span class="badge">"Expired"</span> }.into_any()
                } else {
                    format_until(now, invitation.expires_at_ms).into_any()
                }}
            </td>
            <td class="actions">
                {may_manage
                    .then(|| {
                        view! {
                            <ActionForm action=resend>
                                <input type="hidden" name="partner" value=resend_partner.clone() />
                                <input type="hidden" name="id" value=resend_id />
                                <button type="submit" class="button small">
                                    "Resend"
                                </button>
                            </ActionForm>
                            <ActionForm action=revoke>
                                <input type="hidden" name="partner" value=revoke_partner.clone() />
                                <input type="hidden" name="id" value=revoke_id />
                                <button type="submit" class="button small danger">
                                    "Revoke"
                                </button>
                            </ActionForm>
                        }
                    })}
            </td>
        </tr>
    }
    .into_any()
}

/// The page an invitation link opens.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let details = Resource::new(token, invitation_details);

    view! {
        <Title text="Invitation" />
        <main class="centered">
            <div class="card auth-card">
                <p class="brand">"Partner Portal"</p>
                <Suspense fallback=|| view! { <p>"Loading the invitation…"</p> }>
                    {move || Suspend::new(async move {
                        match details.await {
                            Ok(InvitationState::Open {
                                partner_name,
                                partner_number,
                                role,
                                email,
                                invited_by,
                                expires_at_ms,
                                has_login,
                                signed_in_as,
                            }) => {
                                view! {
                                    <h1>{format!("Join {partner_name}")}</h1>
                                    <dl class="summary compact">
                                        <dt>"Partner ID"</dt>
                                        <dd>{partner_number}</dd>
                                        <dt>"Your role"</dt>
                                        <dd data-testid="invited-role">{role.label()}</dd>
                                        <dt>"Invited by"</dt>
                                        <dd>{invited_by.unwrap_or_else(|| "A former member".to_owned())}</dd>
                                        <dt>"For"</dt>
                                        <dd>{email.clone()}</dd>
                                        <dt>"Link expires"</dt>
                                        <dd>{format_utc(expires_at_ms)}</dd>
                                    </dl>
                                    <AcceptChoices token=token() email has_login signed_in_as />
                                }
                                    .into_any()
                            }
                            Ok(closed) => view! { <ClosedInvitation state=closed /> }.into_any(),
                            Err(error) => {
                                let text = error.to_string();
                                view! {
                                    <div class="alert alert-error" role="alert">
                                        {text}
                                    </div>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}

/// What the person can do with an open invitation, depending on who they are.
#[component]
fn AcceptChoices(token: String, email: String, has_login: bool, signed_in_as: Option<String>) -> impl IntoView {
    let here = format!("/invitation?token={token}");
    match (has_login, signed_in_as) {
        (true, Some(current)) if current == email => view! { <JoinForm token /> }.into_any(),
        (true, Some(current)) => {
            let sign_out = ServerAction::<SignOut>::new();
            view! {
                <div class="alert alert-error" role="alert">
                    {format!("This invitation is for {email}, but you are signed in as {current}. Sign out, then sign in as {email} to accept.")}
                </div>
                <ActionForm action=sign_out>
                    <button type="submit" class="button primary wide">
                        "Sign out"
                    </button>
                </ActionForm>
            }
            .into_any()
        }
        (true, None) => {
            let sign_in = format!("/sign-in?next={}", crate::ui::encode_query_value(&here));
            view! {
                <p>{format!("{email} already has a Partner Portal login. Sign in to join the account.")}</p>
                <a class="button primary wide" href=sign_in>
                    "Sign in to accept"
                </a>
            }
            .into_any()
        }
        (false, current) => view! { <NewPersonForm token current /> }.into_any(),
    }
}

#[component]
fn JoinForm(token: String) -> impl IntoView {
    let join = ServerAction::<JoinAccount>::new();
    let error = use_action_error(join);
    view! {
        <FormAlert error />
        <ActionForm action=join>
            <input type="hidden" name="token" value=token />
            <button type="submit" class="button primary wide" disabled=move || join.pending().get()>
                "Accept and join"
            </button>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn NewPersonForm(token: String, current: Option<String>) -> impl IntoView {
    let accept = ServerAction::<AcceptInvitation>::new();
    let error = use_action_error(accept);
    let other = Signal::derive(move || error.get().filter(|error| !matches!(error, AppError::Invalid(_))));
    view! {
        {current
            .map(|current| {
                view! {
                    <Notice>{format!("You are signed in as {current}. Accepting creates a new login and signs you in with it instead.")}</Notice>
                }
            })}
        <p>"Choose your name and a password to create your login."</p>
        <FormAlert error=other />
        <ActionForm action=accept>
            <input type="hidden" name="token" value=token />
            <Field label="Your name" name="name" autocomplete="name" max_length=100 error />
            <PasswordField label="Password" name="password" autocomplete="new-password" hint="12 to 128 characters." error />
            <PasswordField label="Repeat the password" name="password_confirm" autocomplete="new-password" error />
            <button type="submit" class="button primary wide" disabled=move || accept.pending().get()>
                "Create login and join"
            </button>
        </ActionForm>
    }
    .into_any()
}

/// The plain page for a link that can no longer be used.
#[component]
fn ClosedInvitation(state: InvitationState) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::GONE);
    }
    let (title, text) = match state {
        InvitationState::Expired { partner_name } => (
            "This invitation has expired".to_owned(),
            format!("Invitation links work for 24 hours. Ask the person at {partner_name} who invited you to send a new invitation."),
        ),
        InvitationState::Accepted { partner_name } => (
            "This invitation was already used".to_owned(),
            format!("It was accepted already. If that was you, sign in to reach {partner_name}; otherwise ask for a new invitation."),
        ),
        InvitationState::Revoked { partner_name } => (
            "This invitation was withdrawn".to_owned(),
            format!("Someone at {partner_name} revoked it. Ask them for a new invitation if you still need access."),
        ),
        InvitationState::Unknown | InvitationState::Open { .. } => (
            "This invitation link is not valid".to_owned(),
            "It may have been replaced by a newer invitation email, or copied incompletely. Use the newest email, or ask the person who invited you for a new invitation.".to_owned(),
        ),
    };
    view! {
        <h1 data-testid="invitation-closed">{title}</h1>
        <p>{text}</p>
        <p>
            <a href="/sign-in">"Go to sign in"</a>
        </p>
    }
}

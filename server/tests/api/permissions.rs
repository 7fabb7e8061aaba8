//! Every server function, called by every role, allowed or rejected as the permission module
//! says; and no id from another account reaches anything.
//!
//! `ACCESS` has one row per server function. The completeness test fails when a server function
//! exists without a row, so a new endpoint cannot skip this table.

use app::permissions::{Permission, Role};
use http::StatusCode;
use std::collections::BTreeSet;

use crate::on_both_engines;
use crate::support::TestApp;

/// Who may call a server function.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// Anyone, signed in or not; the link or the credentials are the authorization.
    Public,
    /// Any signed-in person; the function acts only on their own login or memberships.
    SignedIn,
    /// A member of the selected account whose role grants the permission.
    Role(Permission),
}

const ACCESS: &[(&str, Access)] = &[
    ("/api/sign_up", Access::Public),
    ("/api/confirm_email", Access::Public),
    ("/api/sign_in", Access::Public),
    ("/api/sign_out", Access::SignedIn),
    ("/api/resend_confirmation", Access::Public),
    ("/api/request_password_reset", Access::Public),
    ("/api/reset_password", Access::Public),
    ("/api/shell", Access::SignedIn),
    ("/api/team_overview", Access::Role(Permission::ManageTeam)),
    ("/api/invite_members", Access::Role(Permission::ManageTeam)),
    ("/api/resend_invitation", Access::Role(Permission::ManageTeam)),
    ("/api/revoke_invitation", Access::Role(Permission::ManageTeam)),
    ("/api/change_member_role", Access::Role(Permission::ManageTeam)),
    ("/api/remove_member", Access::Role(Permission::ManageTeam)),
    ("/api/invitation_details", Access::Public),
    ("/api/accept_invitation", Access::Public),
    ("/api/join_account", Access::SignedIn),
    ("/api/switch_account", Access::SignedIn),
];

#[test]
fn every_server_function_has_an_access_row() {
    let registered: BTreeSet<String> =
        leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_owned()).collect();
    let listed: BTreeSet<String> = ACCESS.iter().map(|(path, _)| (*path).to_owned()).collect();

    let missing: Vec<&String> = registered.difference(&listed).collect();
    assert!(missing.is_empty(), "server functions without a row in ACCESS: {missing:?}");
    let stale: Vec<&String> = listed.difference(&registered).collect();
    assert!(stale.is_empty(), "rows in ACCESS for server functions that no longer exist: {stale:?}");
}

/// An enterprise account with a member of each role, plus targets for the calls that change
/// something, so that the calls of one role do not disturb each other.
struct Fixture {
    app: TestApp,
    cookies: Vec<(Role, String)>,
}

async fn fixture(app: TestApp) -> Fixture {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    app.make_enterprise(1).await;
    let mut cookies = vec![(Role::Owner, owner.clone())];
    for role in [Role::Admin, Role::Operator, Role::Auditor] {
        let email = format!("{}@example.com", role.as_str());
        cookies.push((role, app.add_member(&owner, &email, role.as_str()).await));
    }
    for role in Role::ALL {
        let prefix = role.as_str();
        app.add_member(&owner, &format!("{prefix}-change@example.com"), "operator").await;
        app.add_member(&owner, &format!("{prefix}-remove@example.com"), "auditor").await;
        app.invite(&owner, &format!("{prefix}-resend@example.com"), "operator").await;
        app.invite(&owner, &format!("{prefix}-revoke@example.com"), "operator").await;
    }
    Fixture { app, cookies }
}

/// Calls the server function at `path` as `cookie`, with arguments aimed at this role's own
/// targets, and returns the status.
async fn call_as(fixture: &Fixture, role: Role, cookie: &str, path: &str) -> StatusCode {
    let app = &fixture.app;
    let prefix = role.as_str();
    let name = path.trim_start_matches("/api/");
    let form: Vec<(String, String)> = match name {
        "team_overview" | "shell" | "sign_out" => vec![],
        "invite_members" => {
            vec![("emails".into(), format!("{prefix}-new@example.com")), ("role".into(), "operator".into())]
        }
        "resend_invitation" => vec![("id".into(), app.invitation_id(&format!("{prefix}-resend@example.com")).await)],
        "revoke_invitation" => vec![("id".into(), app.invitation_id(&format!("{prefix}-revoke@example.com")).await)],
        "change_member_role" => vec![
            ("user_id".into(), app.user_id(&format!("{prefix}-change@example.com")).await),
            ("role".into(), "auditor".into()),
            ("current_role".into(), "operator".into()),
        ],
        "remove_member" => vec![("user_id".into(), app.user_id(&format!("{prefix}-remove@example.com")).await)],
        "switch_account" => vec![("partner_number".into(), "001".into())],
        "join_account" | "invitation_details" => vec![("token".into(), "0".repeat(64))],
        other => panic!("call_as has no arguments for {other}; add them with its ACCESS row"),
    };
    let form: Vec<(&str, &str)> = form.iter().map(|(key, value)| (key.as_str(), value.as_str())).collect();
    app.call(name, &form, Some(cookie)).await.status
}

async fn every_role_gets_what_the_matrix_allows(app: TestApp) {
    let fixture = fixture(app).await;
    let app = &fixture.app;

    for (role, cookie) in &fixture.cookies {
        for (path, access) in ACCESS {
            let Access::Role(permission) = access else {
                continue;
            };
            let before = app.snapshot().await;

            let status = call_as(&fixture, *role, cookie, path).await;

            if role.can(*permission) {
                assert_eq!(status, StatusCode::OK, "{role:?} calls {path}");
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role:?} calls {path}");
                assert_eq!(app.snapshot().await, before, "{role:?} calls {path}: nothing changed");
            }
        }
    }
}

async fn signed_in_functions_need_a_session(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;

    for (path, access) in ACCESS {
        let name = path.trim_start_matches("/api/");
        match access {
            Access::Public => {}
            Access::SignedIn if name == "shell" => {
                let anonymous = app.call(name, &[], None).await;
                assert_eq!(anonymous.json(), serde_json::Value::Null, "the shell of nobody is empty");
            }
            Access::SignedIn | Access::Role(_) => {
                let before = app.snapshot().await;
                let unknown_id = "0".repeat(36);
                let form: Vec<(&str, &str)> =
                    ["id", "user_id", "role", "current_role", "emails", "partner_number", "token"]
                        .into_iter()
                        .map(|field| {
                            (
                                field,
                                if field == "role" || field == "current_role" { "admin" } else { unknown_id.as_str() },
                            )
                        })
                        .collect();
                let status = app.call(name, &form, Some(&"f".repeat(64))).await.status;
                let expected = if name == "sign_out" { StatusCode::OK } else { StatusCode::UNAUTHORIZED };
                assert_eq!(status, expected, "{path} with an unknown session");
                assert_eq!(app.snapshot().await, before, "{path} with an unknown session changed nothing");
            }
        }
    }
    assert_eq!(app.call("shell", &[], Some(&owner)).await.json()["email"], "owner@example.com");
}

/// Two accounts; every member of account A, whatever their role, aims each id-taking server
/// function at account B's members and invitations.
async fn ids_from_another_account_reach_nothing(app: TestApp) {
    let owner_a = app.signed_in_owner("Account A", "owner-a@example.com").await;
    app.make_enterprise(1).await;
    let owner_b = app.signed_in_owner("Account B", "owner-b@example.com").await;
    app.add_member(&owner_b, "member-b@example.com", "admin").await;
    app.invite(&owner_b, "invitee-b@example.com", "admin").await;
    let member_b = app.user_id("member-b@example.com").await;
    let owner_b_id = app.user_id("owner-b@example.com").await;
    let invitation_b = app.invitation_id("invitee-b@example.com").await;

    let mut members_a = vec![(Role::Owner, owner_a.clone())];
    for role in [Role::Admin, Role::Operator, Role::Auditor] {
        members_a
            .push((role, app.add_member(&owner_a, &format!("{}-a@example.com", role.as_str()), role.as_str()).await));
    }

    for (role, cookie) in &members_a {
        let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("resend_invitation", vec![("id", invitation_b.as_str())]),
            ("revoke_invitation", vec![("id", invitation_b.as_str())]),
            ("change_member_role", vec![("user_id", member_b.as_str()), ("role", "owner"), ("current_role", "admin")]),
            (
                "change_member_role",
                vec![("user_id", owner_b_id.as_str()), ("role", "admin"), ("current_role", "owner")],
            ),
            ("remove_member", vec![("user_id", member_b.as_str())]),
            ("remove_member", vec![("user_id", owner_b_id.as_str())]),
            ("switch_account", vec![("partner_number", "002")]),
        ];
        for (name, form) in calls {
            let before = app.snapshot().await;
            let emails_before = app.emails_to("invitee-b@example.com").len();

            let response = app.call(name, &form, Some(cookie)).await;

            let expected = if name != "switch_account" && !role.can(Permission::ManageTeam) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(response.status, expected, "{role:?} calls {name} with {form:?}: {}", response.body);
            assert_eq!(app.snapshot().await, before, "{role:?} calls {name}: nothing changed");
            assert_eq!(app.emails_to("invitee-b@example.com").len(), emails_before, "no email sent");
        }
        let overview = app.call("team_overview", &[], Some(cookie)).await;
        if role.can(Permission::ManageTeam) {
            assert!(!overview.body.contains("member-b@example.com"), "{role:?} sees only account A");
            assert!(!overview.body.contains("invitee-b@example.com"), "{role:?} sees only account A");
        }
    }
    assert_eq!(app.role_of("member-b@example.com", 2).await.as_deref(), Some("admin"));
    assert_eq!(app.role_of("owner-b@example.com", 2).await.as_deref(), Some("owner"));
}

on_both_engines!(
    every_role_gets_what_the_matrix_allows,
    signed_in_functions_need_a_session,
    ids_from_another_account_reach_nothing
);

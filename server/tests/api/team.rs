//! Invitations, role changes, removal, plans and account switching.

use app::fields::PartnerNumber;
use app::infra::clock::{HOUR_MS, MINUTE_MS};
use app::permissions::Plan;
use app::team::plan::{PlanChangeError, set_plan};
use http::StatusCode;

use crate::on_both_engines;
use crate::support::{PASSWORD, START_MS, TestApp};

const NEW_PASSWORD_FORM: [(&str, &str); 3] =
    [("name", "Grace Hopper"), ("password", PASSWORD), ("password_confirm", PASSWORD)];

fn accept_form(token: &str) -> Vec<(&str, &str)> {
    let mut form = vec![("token", token)];
    form.extend(NEW_PASSWORD_FORM);
    form
}

async fn invitation_emails_link_and_stores_only_hash(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;

    let token = app.invite(&owner, "grace@example.com", "admin").await;

    let email = app.emails_to("grace@example.com").pop().unwrap();
    assert!(email.contains("Acme"), "{email}");
    assert!(email.contains("as an Admin"), "{email}");
    assert!(email.contains("expires in 24 hours"), "{email}");
    assert_eq!(app.scalar(&format!("SELECT COUNT(*) FROM invitations WHERE token_hash = '{token}'")).await, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'member.invited'").await, 1);
    let overview = app.call("team_overview", &[], Some(&owner)).await.json();
    assert_eq!(overview["invitations"][0]["email"], "grace@example.com");
    assert_eq!(overview["invitations"][0]["invited_by"], "Ada Lovelace");
}

async fn invitation_expires_after_24_hours(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    let token = app.invite(&owner, "grace@example.com", "admin").await;

    app.clock.advance(24 * HOUR_MS - 1);
    let details = app.call("invitation_details", &[("token", &token)], None).await.json();
    assert!(details.get("Open").is_some(), "one millisecond before expiry: {details}");

    app.clock.advance(1);
    let details = app.call("invitation_details", &[("token", &token)], None).await.json();
    assert!(details.get("Expired").is_some(), "at 24 hours: {details}");
    let before = app.snapshot().await;
    let accept = app.call("accept_invitation", &accept_form(&token), None).await;
    assert_eq!(accept.status, StatusCode::GONE);
    assert!(accept.body.contains("expired"), "{}", accept.body);
    assert_eq!(app.snapshot().await, before);
    let page = app.get(&format!("/invitation?token={token}"), None).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.body.contains("This invitation has expired"), "{}", page.body);
}

async fn invitation_link_works_once(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    let token = app.invite(&owner, "grace@example.com", "admin").await;

    let cookie = app.accept_as_new(&token, "Grace Hopper").await;
    assert_eq!(app.role_of("grace@example.com", 1).await.as_deref(), Some("admin"));
    let shell = app.call("shell", &[], Some(&cookie)).await.json();
    assert_eq!(shell["account"]["partner_name"], "Acme");
    assert_eq!(shell["account"]["role"], "Admin");
    assert_eq!(app.sign_in("grace@example.com", PASSWORD).await.status, StatusCode::OK, "the new login is confirmed");

    let before = app.snapshot().await;
    let again = app.call("accept_invitation", &accept_form(&token), None).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.body.contains("already accepted"), "{}", again.body);
    assert_eq!(app.snapshot().await, before);
    let page = app.get(&format!("/invitation?token={token}"), None).await;
    assert!(page.body.contains("This invitation was already used"), "{}", page.body);
}

async fn revoked_invitation_cannot_be_accepted(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    let token = app.invite(&owner, "grace@example.com", "admin").await;
    let id = app.invitation_id("grace@example.com").await;

    assert_eq!(app.call("revoke_invitation", &[("id", &id)], Some(&owner)).await.status, StatusCode::OK);

    let before = app.snapshot().await;
    let accept = app.call("accept_invitation", &accept_form(&token), None).await;
    assert_eq!(accept.status, StatusCode::GONE);
    assert!(accept.body.contains("revoked"), "{}", accept.body);
    assert_eq!(app.snapshot().await, before);
    let page = app.get(&format!("/invitation?token={token}"), None).await;
    assert!(page.body.contains("This invitation was withdrawn"), "{}", page.body);
    let again = app.call("revoke_invitation", &[("id", &id)], Some(&owner)).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

async fn resent_invitation_replaces_link_and_window(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    let old = app.invite(&owner, "grace@example.com", "admin").await;
    app.clock.advance(23 * HOUR_MS);
    let owner = app.sign_in("owner@example.com", PASSWORD).await.session_cookie().unwrap();
    let id = app.invitation_id("grace@example.com").await;

    let resent = app.call("resend_invitation", &[("id", &id)], Some(&owner)).await;

    assert_eq!(resent.status, StatusCode::OK, "{}", resent.body);
    let new = app.token_from_email("grace@example.com", "/invitation?token=");
    assert_ne!(old, new);
    let stale = app.call("invitation_details", &[("token", &old)], None).await.json();
    assert_eq!(stale, "Unknown", "the old link stopped working");
    let before = app.snapshot().await;
    assert_eq!(app.call("accept_invitation", &accept_form(&old), None).await.status, StatusCode::GONE);
    assert_eq!(app.snapshot().await, before);

    app.clock.advance(2 * HOUR_MS);
    let details = app.call("invitation_details", &[("token", &new)], None).await.json();
    assert!(details.get("Open").is_some(), "a new 24 hours from the resend: {details}");
    app.accept_as_new(&new, "Grace").await;
}

async fn duplicate_invitation_rejected(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    app.invite(&owner, "grace@example.com", "admin").await;
    let before = app.snapshot().await;
    let emails_before = app.emails_to("grace@example.com").len();

    let duplicate =
        app.call("invite_members", &[("emails", "Grace@Example.com"), ("role", "admin")], Some(&owner)).await;
    let member = app
        .call("invite_members", &[("emails", "owner@example.com, alan@example.com"), ("role", "admin")], Some(&owner))
        .await;

    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.field_message("emails").unwrap().contains("grace@example.com already has an invitation"));
    assert_eq!(member.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(member.field_message("emails").unwrap().contains("owner@example.com is already a member"));
    assert_eq!(app.snapshot().await, before, "nobody invited, not even alan@example.com");
    assert_eq!(app.emails_to("grace@example.com").len(), emails_before);
    assert!(app.emails_to("alan@example.com").is_empty());
}

async fn invite_form_rejects_bad_addresses(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    let before = app.snapshot().await;
    let many: String = (0..21).map(|n| format!("person{n}@example.com")).collect::<Vec<_>>().join(",");

    let cases = [
        ("", "Enter at least one email address."),
        ("grace@example.com, not-an-address", "These are not email addresses: not-an-address."),
        (many.as_str(), "Invite at most 20 people at a time."),
    ];
    for (emails, message) in cases {
        let response = app.call("invite_members", &[("emails", emails), ("role", "admin")], Some(&owner)).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{emails}");
        assert_eq!(response.field_message("emails").as_deref(), Some(message));
    }
    let bad_role = app.call("invite_members", &[("emails", "grace@example.com"), ("role", "root")], Some(&owner)).await;
    assert_eq!(bad_role.field_message("role").as_deref(), Some("Choose a role."));
    assert_eq!(app.snapshot().await, before);
}

async fn several_addresses_invited_at_once(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;

    let response = app
        .call(
            "invite_members",
            &[("emails", "grace@example.com\nalan@example.com; grace@example.com"), ("role", "admin")],
            Some(&owner),
        )
        .await;

    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["sent"], serde_json::json!(["grace@example.com", "alan@example.com"]));
    assert_eq!(app.emails_to("grace@example.com").len(), 1);
    assert_eq!(app.emails_to("alan@example.com").len(), 1);
}

async fn invitation_for_existing_login_joins_when_signed_in(app: TestApp) {
    let owner_a = app.signed_in_owner("Account A", "owner-a@example.com").await;
    let owner_b = app.signed_in_owner("Account B", "owner-b@example.com").await;
    let token = app.invite(&owner_a, "owner-b@example.com", "admin").await;

    let details = app.call("invitation_details", &[("token", &token)], Some(&owner_b)).await.json();
    assert_eq!(details["Open"]["has_login"], true);
    assert_eq!(details["Open"]["signed_in_as"], "owner-b@example.com");
    let before = app.snapshot().await;
    let as_new = app.call("accept_invitation", &accept_form(&token), None).await;
    assert_eq!(as_new.status, StatusCode::CONFLICT, "an existing login cannot be created twice");
    assert_eq!(app.snapshot().await, before);

    let joined = app.call("join_account", &[("token", &token)], Some(&owner_b)).await;

    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert_eq!(app.role_of("owner-b@example.com", 1).await.as_deref(), Some("admin"));
    assert_eq!(app.role_of("owner-b@example.com", 2).await.as_deref(), Some("owner"));
    let shell = app.call("shell", &[], Some(&owner_b)).await.json();
    assert_eq!(shell["account"]["partner_number"], "001", "the session now acts on the joined account");
    assert_eq!(shell["accounts"].as_array().unwrap().len(), 2);
}

async fn invitation_opened_by_wrong_account(app: TestApp) {
    let owner_a = app.signed_in_owner("Account A", "owner-a@example.com").await;
    let owner_b = app.signed_in_owner("Account B", "owner-b@example.com").await;
    app.signed_in_owner("Account C", "someone@example.com").await;
    let token = app.invite(&owner_a, "someone@example.com", "admin").await;
    let before = app.snapshot().await;

    let response = app.call("join_account", &[("token", &token)], Some(&owner_b)).await;

    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(
        response
            .body
            .contains("This invitation is for someone@example.com, but you are signed in as owner-b@example.com")
    );
    assert_eq!(app.snapshot().await, before);
    let page = app.get(&format!("/invitation?token={token}"), Some(&owner_b)).await;
    assert!(page.body.contains("but you are signed in as owner-b@example.com"), "{}", page.body);
}

async fn owner_demotes_and_promotes(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    app.add_member(&owner, "grace@example.com", "admin").await;
    let grace = app.user_id("grace@example.com").await;

    let promote = app
        .call("change_member_role", &[("user_id", &grace), ("role", "owner"), ("current_role", "admin")], Some(&owner))
        .await;
    assert_eq!(promote.status, StatusCode::OK, "{}", promote.body);
    assert_eq!(app.role_of("grace@example.com", 1).await.as_deref(), Some("owner"));

    let demote = app
        .call("change_member_role", &[("user_id", &grace), ("role", "admin"), ("current_role", "owner")], Some(&owner))
        .await;
    assert_eq!(demote.status, StatusCode::OK, "{}", demote.body);
    assert_eq!(app.role_of("grace@example.com", 1).await.as_deref(), Some("admin"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'member.role_changed'").await, 2);
}

async fn nobody_changes_own_role(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    let admin = app.add_member(&owner, "grace@example.com", "admin").await;
    let owner_id = app.user_id("owner@example.com").await;
    let admin_id = app.user_id("grace@example.com").await;
    let before = app.snapshot().await;

    let own_owner = app
        .call(
            "change_member_role",
            &[("user_id", &owner_id), ("role", "admin"), ("current_role", "owner")],
            Some(&owner),
        )
        .await;
    let own_admin = app
        .call(
            "change_member_role",
            &[("user_id", &admin_id), ("role", "owner"), ("current_role", "admin")],
            Some(&admin),
        )
        .await;
    let remove_self = app.call("remove_member", &[("user_id", &owner_id)], Some(&owner)).await;

    assert_eq!(own_owner.status, StatusCode::FORBIDDEN);
    assert!(own_owner.body.contains("You cannot change your own role"), "{}", own_owner.body);
    assert_eq!(own_admin.status, StatusCode::FORBIDDEN);
    assert_eq!(remove_self.status, StatusCode::FORBIDDEN);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.role_of("owner@example.com", 1).await.as_deref(), Some("owner"));
}

async fn admin_cannot_act_on_owner(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    let admin = app.add_member(&owner, "grace@example.com", "admin").await;
    app.invite(&owner, "second-owner@example.com", "owner").await;
    let owner_id = app.user_id("owner@example.com").await;
    let owner_invitation = app.invitation_id("second-owner@example.com").await;
    let before = app.snapshot().await;

    let demote = app
        .call(
            "change_member_role",
            &[("user_id", &owner_id), ("role", "admin"), ("current_role", "owner")],
            Some(&admin),
        )
        .await;
    let remove = app.call("remove_member", &[("user_id", &owner_id)], Some(&admin)).await;
    let invite = app.call("invite_members", &[("emails", "alan@example.com"), ("role", "owner")], Some(&admin)).await;
    let revoke = app.call("revoke_invitation", &[("id", &owner_invitation)], Some(&admin)).await;
    let resend = app.call("resend_invitation", &[("id", &owner_invitation)], Some(&admin)).await;

    for (what, response) in
        [("demote", &demote), ("remove", &remove), ("invite", &invite), ("revoke", &revoke), ("resend", &resend)]
    {
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{what}: {}", response.body);
    }
    assert!(invite.body.contains("Only an Owner can grant the Owner role"));
    assert_eq!(app.snapshot().await, before);
}

async fn enterprise_roles_rejected_on_standard(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    app.add_member(&owner, "grace@example.com", "admin").await;
    let grace = app.user_id("grace@example.com").await;
    let before = app.snapshot().await;

    let invite =
        app.call("invite_members", &[("emails", "alan@example.com"), ("role", "operator")], Some(&owner)).await;
    let change = app
        .call(
            "change_member_role",
            &[("user_id", &grace), ("role", "auditor"), ("current_role", "admin")],
            Some(&owner),
        )
        .await;

    assert_eq!(invite.status, StatusCode::FORBIDDEN);
    assert!(invite.body.contains("enterprise accounts only"), "{}", invite.body);
    assert_eq!(change.status, StatusCode::FORBIDDEN);
    assert_eq!(app.snapshot().await, before);
}

async fn downgrade_blocked_while_enterprise_roles_held(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    app.make_enterprise(1).await;
    app.add_member(&owner, "operator@example.com", "operator").await;
    app.invite(&owner, "auditor@example.com", "auditor").await;
    let before = app.snapshot().await;

    let refused = set_plan(&app.state, PartnerNumber(1), Plan::Standard).await;

    let Err(PlanChangeError::EnterpriseRolesInUse { holders, .. }) = &refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    let message = refused.as_ref().unwrap_err().to_string();
    assert!(message.contains("operator@example.com (operator, member)"), "{message}");
    assert!(message.contains("auditor@example.com (auditor, invitation)"), "{message}");
    assert_eq!(holders.len(), 2);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.text("SELECT plan FROM partners").await.as_deref(), Some("enterprise"));

    let unknown = set_plan(&app.state, PartnerNumber(99), Plan::Enterprise).await;
    assert!(matches!(unknown, Err(PlanChangeError::UnknownPartner(_))));
}

async fn downgrade_allowed_without_enterprise_roles(app: TestApp) {
    app.signed_in_owner("Acme", "owner@example.com").await;
    app.make_enterprise(1).await;

    let previous = set_plan(&app.state, PartnerNumber(1), Plan::Standard).await.unwrap();

    assert_eq!(previous, Plan::Enterprise);
    assert_eq!(app.text("SELECT plan FROM partners").await.as_deref(), Some("standard"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'partner.plan_changed'").await, 2);
}

async fn removal_takes_effect_on_next_request(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    let admin = app.add_member(&owner, "grace@example.com", "admin").await;
    let other_tab = app.sign_in("grace@example.com", PASSWORD).await.session_cookie().unwrap();
    let grace = app.user_id("grace@example.com").await;
    assert_eq!(app.call("team_overview", &[], Some(&admin)).await.status, StatusCode::OK);

    let removed = app.call("remove_member", &[("user_id", &grace)], Some(&owner)).await;

    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    for cookie in [&admin, &other_tab] {
        let refused = app.call("team_overview", &[], Some(cookie)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.body.contains("no longer a member"), "{}", refused.body);
        let shell = app.call("shell", &[], Some(cookie)).await.json();
        assert_eq!(shell["account"], serde_json::Value::Null);
        let page = app.get("/", Some(cookie)).await;
        assert!(page.body.contains("You are not a member of this account"), "{}", page.body);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'member.removed'").await, 1);
}

async fn role_change_takes_effect_on_next_request(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    app.make_enterprise(1).await;
    let admin = app.add_member(&owner, "grace@example.com", "admin").await;
    let grace = app.user_id("grace@example.com").await;

    let changed = app
        .call(
            "change_member_role",
            &[("user_id", &grace), ("role", "auditor"), ("current_role", "admin")],
            Some(&owner),
        )
        .await;

    assert_eq!(changed.status, StatusCode::OK);
    assert_eq!(app.call("team_overview", &[], Some(&admin)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.call("shell", &[], Some(&admin)).await.json()["account"]["role"], "Auditor");
    let page = app.get("/", Some(&admin)).await;
    assert!(!page.body.contains("href=\"/team\""), "an Auditor's navigation has no Team link");
    let team_page = app.get("/team", Some(&admin)).await;
    assert!(team_page.body.contains("Your role does not allow this"), "{}", team_page.body);
}

async fn two_admins_change_same_member_at_once(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    app.make_enterprise(1).await;
    let first = app.add_member(&owner, "first@example.com", "admin").await;
    let second = app.add_member(&owner, "second@example.com", "admin").await;
    app.add_member(&owner, "target@example.com", "operator").await;
    let target = app.user_id("target@example.com").await;

    let to_auditor = [("user_id", target.as_str()), ("role", "auditor"), ("current_role", "operator")];
    let to_admin = [("user_id", target.as_str()), ("role", "admin"), ("current_role", "operator")];
    let (a, b) = tokio::join!(
        app.call("change_member_role", &to_auditor, Some(&first)),
        app.call("change_member_role", &to_admin, Some(&second))
    );

    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", a.body, b.body);
    let loser = if a.status == StatusCode::CONFLICT { &a } else { &b };
    assert!(loser.body.contains("Someone else changed this member's role"), "{}", loser.body);
    let winner_role = if a.status == StatusCode::OK { "auditor" } else { "admin" };
    assert_eq!(app.role_of("target@example.com", 1).await.as_deref(), Some(winner_role));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'member.role_changed'").await, 1);
}

async fn two_owners_demote_each_other_at_once(app: TestApp) {
    let ada = app.signed_in_owner("Acme", "ada@example.com").await;
    let grace = app.add_member(&ada, "grace@example.com", "owner").await;
    let ada_id = app.user_id("ada@example.com").await;
    let grace_id = app.user_id("grace@example.com").await;

    let demote_grace = [("user_id", grace_id.as_str()), ("role", "admin"), ("current_role", "owner")];
    let demote_ada = [("user_id", ada_id.as_str()), ("role", "admin"), ("current_role", "owner")];
    let (a, b) = tokio::join!(
        app.call("change_member_role", &demote_grace, Some(&ada)),
        app.call("change_member_role", &demote_ada, Some(&grace))
    );

    assert_eq!(app.scalar("SELECT COUNT(*) FROM memberships WHERE role = 'owner'").await, 1, "{} / {}", a.body, b.body);
    assert_eq!([a.status, b.status].iter().filter(|status| **status == StatusCode::OK).count(), 1);
}

async fn change_from_stale_tab_rejected(app: TestApp) {
    let owner_a = app.signed_in_owner("Account A", "owner-a@example.com").await;
    let owner_b = app.signed_in_owner("Account B", "owner-b@example.com").await;
    let token = app.invite(&owner_a, "owner-b@example.com", "admin").await;
    app.call("join_account", &[("token", &token)], Some(&owner_b)).await;
    app.call("switch_account", &[("partner_number", "002")], Some(&owner_b)).await;
    app.add_member(&owner_b, "oscar@example.com", "admin").await;
    let oscar_token = app.invite(&owner_a, "oscar@example.com", "admin").await;
    let oscar_session = app.sign_in("oscar@example.com", PASSWORD).await.session_cookie().unwrap();
    app.call("join_account", &[("token", &oscar_token)], Some(&oscar_session)).await;
    let oscar = app.user_id("oscar@example.com").await;
    // One tab shows account A's team page; another tab then switches the session to B.
    app.call("switch_account", &[("partner_number", "001")], Some(&owner_b)).await;
    app.call("switch_account", &[("partner_number", "002")], Some(&owner_b)).await;
    let before = app.snapshot().await;

    let from_stale_tab = app.call("remove_member", &[("partner", "001"), ("user_id", &oscar)], Some(&owner_b)).await;
    let invite = app
        .call("invite_members", &[("partner", "001"), ("emails", "new@example.com"), ("role", "admin")], Some(&owner_b))
        .await;

    assert_eq!(from_stale_tab.status, StatusCode::CONFLICT, "{}", from_stale_tab.body);
    assert!(from_stale_tab.body.contains("switched accounts in another tab"), "{}", from_stale_tab.body);
    assert_eq!(invite.status, StatusCode::CONFLICT);
    assert_eq!(app.snapshot().await, before);
    assert_eq!(app.role_of("oscar@example.com", 1).await.as_deref(), Some("admin"));
    assert_eq!(app.role_of("oscar@example.com", 2).await.as_deref(), Some("admin"));
}

async fn person_switches_between_accounts(app: TestApp) {
    let owner_a = app.signed_in_owner("Account A", "owner-a@example.com").await;
    let owner_b = app.signed_in_owner("Account B", "owner-b@example.com").await;
    let token = app.invite(&owner_a, "owner-b@example.com", "admin").await;
    app.call("join_account", &[("token", &token)], Some(&owner_b)).await;
    let before_switch = app.call("team_overview", &[], Some(&owner_b)).await.json();
    assert!(before_switch["members"].to_string().contains("owner-a@example.com"), "acting on account A");

    let switched = app.call("switch_account", &[("partner_number", "002")], Some(&owner_b)).await;

    assert_eq!(switched.status, StatusCode::OK);
    let shell = app.call("shell", &[], Some(&owner_b)).await.json();
    assert_eq!(shell["account"]["partner_name"], "Account B");
    assert_eq!(shell["account"]["role"], "Owner");
    let after = app.call("team_overview", &[], Some(&owner_b)).await.json();
    assert!(!after["members"].to_string().contains("owner-a@example.com"), "acting on account B only");
    let elsewhere = app.call("switch_account", &[("partner_number", "003")], Some(&owner_b)).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
}

async fn last_active_follows_requests(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    assert_eq!(app.scalar("SELECT last_active_at FROM memberships").await, START_MS, "set at sign-in");

    app.clock.advance(5 * MINUTE_MS);
    app.call("shell", &[], Some(&owner)).await;

    assert_eq!(app.scalar("SELECT last_active_at FROM memberships").await, START_MS + 5 * MINUTE_MS);
}

async fn team_page_lists_members_and_invitations(app: TestApp) {
    let owner = app.signed_in_owner("Acme", "owner@example.com").await;
    app.add_member(&owner, "grace@example.com", "admin").await;
    app.invite(&owner, "alan@example.com", "admin").await;
    app.clock.advance(30 * MINUTE_MS);

    let page = app.get("/team", Some(&owner)).await;

    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("grace@example.com"));
    assert!(page.body.contains("alan@example.com"));
    assert!(page.body.contains("in 23 hours"), "{}", page.body);
    assert!(page.body.contains("Invite team members"));
    assert!(page.body.contains("<a href=\"/team\" aria-current=\"page\">Team</a>"), "{}", page.body);
}

on_both_engines!(
    invitation_emails_link_and_stores_only_hash,
    invitation_expires_after_24_hours,
    invitation_link_works_once,
    revoked_invitation_cannot_be_accepted,
    resent_invitation_replaces_link_and_window,
    duplicate_invitation_rejected,
    invite_form_rejects_bad_addresses,
    several_addresses_invited_at_once,
    invitation_for_existing_login_joins_when_signed_in,
    invitation_opened_by_wrong_account,
    owner_demotes_and_promotes,
    nobody_changes_own_role,
    admin_cannot_act_on_owner,
    enterprise_roles_rejected_on_standard,
    downgrade_blocked_while_enterprise_roles_held,
    downgrade_allowed_without_enterprise_roles,
    removal_takes_effect_on_next_request,
    role_change_takes_effect_on_next_request,
    two_admins_change_same_member_at_once,
    two_owners_demote_each_other_at_once,
    change_from_stale_tab_rejected,
    person_switches_between_accounts,
    last_active_follows_requests,
    team_page_lists_members_and_invitations,
);

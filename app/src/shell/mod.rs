//! The signed-in frame: header with the account's name and partner ID, side navigation built
//! from the permission module, account menu, and the home page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet, Redirect};
use leptos_router::hooks::use_location;

use crate::account::api::{AccountChoice, AccountView, ShellView, SignOut, shell};
use crate::error::AppError;
use crate::permissions::Permission;
use crate::team::api::SwitchAccount;

/// One entry of the side navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    /// `None` for pages every member may open.
    pub permission: Option<Permission>,
}

/// The areas that exist so far, in the order the navigation lists them. An area is added here
/// when it works, never as a placeholder.
pub const NAV_ITEMS: &[NavItem] = &[
    NavItem { label: "Home", href: "/", permission: None },
    NavItem { label: "Team", href: "/team", permission: Some(Permission::ManageTeam) },
];

/// Returns the navigation entries `account`'s role may use.
pub fn nav_items(account: &AccountView) -> Vec<NavItem> {
    NAV_ITEMS.iter().copied().filter(|item| item.permission.is_none_or(|permission| account.can(permission))).collect()
}

type ShellResource = Resource<Result<Option<ShellView>, AppError>>;

#[component]
pub fn PortalLayout() -> impl IntoView {
    // The shell is fetched again on every navigation and on every click in the navigation,
    // even one that leads to the page already shown. A removal or a role change made by
    // someone else then shows at the member's next click, in every tab.
    let location = use_location();
    let nav_clicks = RwSignal::new(0_u32);
    let shell_data: ShellResource = Resource::new(move || (location.pathname.get(), nav_clicks.get()), |_| shell());
    provide_context(shell_data);

    // The page (the outlet) stays outside the suspense that waits for the shell. Inside it,
    // the page would be built again each time the shell resolves, and on the server the
    // discarded copy's data requests would run without the request's context.
    view! {
        <div class="frame">
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match shell_data.await {
                        Ok(Some(ShellView { account: Some(account), name, email, accounts })) => {
                            view! { <Chrome account name email accounts nav_clicks /> }.into_any()
                        }
                        Ok(Some(ShellView { account: None, accounts, .. })) => {
                            view! { <NotAMember accounts /> }.into_any()
                        }
                        Ok(None) | Err(AppError::Unauthenticated) => {
                            // Back to this page after signing in.
                            let here = location.pathname.get_untracked();
                            let path = if here == "/" {
                                "/sign-in".to_owned()
                            } else {
                                format!("/sign-in?next={}", crate::ui::encode_query_value(&here))
                            };
                            view! { <Redirect path /> }.into_any()
                        }
                        Err(error) => {
                            let text = error.to_string();
                            view! {
                                <div class="gate">
                                    <div class="alert alert-error" role="alert">
                                        {text}
                                    </div>
                                </div>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}

/// The header and the side navigation around every signed-in page.
#[component]
fn Chrome(
    account: AccountView,
    name: String,
    email: String,
    accounts: Vec<AccountChoice>,
    nav_clicks: RwSignal<u32>,
) -> impl IntoView {
    let items = nav_items(&account);
    let may_invite = account.can(Permission::ManageTeam);
    view! {
        <header class="topbar">
            <span class="brand">"Partner Portal"</span>
            <span class="account-name" data-testid="account-name">
                {account.partner_name.clone()}
            </span>
            <span class="partner-id" data-testid="partner-id">
                {format!("Partner ID {}", account.partner_number)}
            </span>
            <AccountMenu name email role=account.role.label() accounts />
        </header>
        <nav class="sidenav" aria-label="Portal areas" on:click=move |_| nav_clicks.update(|clicks| *clicks += 1)>
            <ul>
                {items
                    .into_iter()
                    .map(|item| {
                        view! {
                            <li>
                                <A href=item.href exact=true>
                                    {item.label}
                                </A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            {may_invite
                .then(|| {
                    view! {
                        <a class="invite-link" href="/team#invite">
                            "Invite team members"
                        </a>
                    }
                })}
        </nav>
    }
    .into_any()
}

/// The account menu in the header: who is signed in, the accounts they can switch to, and
/// sign-out. A `<details>` element opens it with or without JavaScript.
#[component]
fn AccountMenu(name: String, email: String, role: &'static str, accounts: Vec<AccountChoice>) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <details class="account-menu">
            <summary data-testid="account-menu">{name.clone()}</summary>
            <div class="menu-panel">
                <p class="menu-identity">
                    <strong>{name}</strong>
                    <br />
                    {email}
                    <br />
                    {role}
                </p>
                <AccountSwitcher accounts />
                <ActionForm action=sign_out>
                    <button type="submit" class="button" data-testid="sign-out">
                        "Sign out"
                    </button>
                </ActionForm>
            </div>
        </details>
    }
    .into_any()
}

/// Buttons to switch to the other accounts the person belongs to; nothing with only one.
///
/// These are plain form posts, not server-function calls from the WASM: the server redirects
/// and the browser loads the portal afresh, so no part of the page keeps the old account.
#[component]
fn AccountSwitcher(accounts: Vec<AccountChoice>) -> impl IntoView {
    use leptos::server_fn::ServerFn;
    let others: Vec<AccountChoice> = accounts.into_iter().filter(|account| !account.selected).collect();
    (!others.is_empty()).then(|| {
        view! {
            <div class="switcher">
                <p class="muted">"Switch account"</p>
                {others
                    .into_iter()
                    .map(|account| {
                        view! {
                            <form method="post" action=SwitchAccount::PATH>
                                <input type="hidden" name="partner_number" value=account.partner_number.clone() />
                                <button type="submit" class="button small wide" data-testid="switch-account">
                                    {format!("{} ({}) · {}", account.partner_name, account.partner_number, account.role.label())}
                                </button>
                            </form>
                        }
                    })
                    .collect_view()}
            </div>
        }
    })
}

#[component]
fn NotAMember(accounts: Vec<AccountChoice>) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <Title text="No account access" />
        <div class="gate">
            <div class="card">
                <h1 data-testid="not-a-member">"You are not a member of this account"</h1>
                <p>"You were removed from the partner account, or it no longer exists. Ask its Owner or an Admin to invite you again."</p>
                <AccountSwitcher accounts />
                <ActionForm action=sign_out>
                    <button type="submit" class="button">
                        "Sign out"
                    </button>
                </ActionForm>
            </div>
        </div>
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let shell_data = expect_context::<ShellResource>();
    view! {
        <Title text="Home" />
        <Suspense>
            {move || Suspend::new(async move {
                let Ok(Some(ShellView { account: Some(account), name, .. })) = shell_data.await else {
                    return ().into_any();
                };
                view! {
                    <h1>"Welcome, " {name}</h1>
                    <dl class="summary">
                        <dt>"Company"</dt>
                        <dd>{account.partner_name}</dd>
                        <dt>"Partner ID"</dt>
                        <dd>{account.partner_number}</dd>
                        <dt>"Plan"</dt>
                        <dd>{account.plan.label()}</dd>
                        <dt>"Your role"</dt>
                        <dd>{account.role.label()}</dd>
                    </dl>
                }
                    .into_any()
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::{Plan, Role};

    #[test]
    fn nav_lists_only_permitted_items() {
        let cases = [
            (Role::Owner, vec!["Home", "Team"]),
            (Role::Admin, vec!["Home", "Team"]),
            (Role::Operator, vec!["Home"]),
            (Role::Auditor, vec!["Home"]),
        ];
        for (role, expected) in cases {
            let account =
                AccountView { partner_number: "001".into(), partner_name: "Acme".into(), plan: Plan::Enterprise, role };
            let labels: Vec<&str> = nav_items(&account).iter().map(|item| item.label).collect();
            assert_eq!(labels, expected, "{role:?}");
        }
    }
}

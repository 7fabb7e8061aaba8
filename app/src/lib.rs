//! The partner portal's pages, components, server functions and permission rules.
//!
//! Compiled twice: with `ssr` into the server, and with `hydrate` into the browser's WASM.
//! Modules that touch the database, email or files are gated on `ssr`.

pub mod account;
pub mod error;
pub mod fields;
pub mod permissions;
pub mod shell;
pub mod team;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod infra;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app, rendered on the server only.
pub fn document(options: LeptosOptions) -> impl IntoView {
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="stylesheet" href=stylesheet />
                <link rel="icon" href="/favicon.ico" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Sets the page's Content Security Policy: scripts only from this origin or carrying this
/// response's nonce (the hydration bootstrap), WASM compilation allowed, no framing.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use http::{HeaderValue, header::CONTENT_SECURITY_POLICY};
    let nonce = leptos::nonce::use_nonce().map(|nonce| nonce.to_string()).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'"
    );
    if let (Some(response), Ok(value)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&policy))
    {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|title: String| if title.is_empty() { "Partner Portal".to_owned() } else { format!("{title} · Partner Portal") } />
        <Router>
            <Routes fallback=ui::NotFound>
                <Route path=path!("/sign-in") view=account::pages::SignInPage />
                <Route path=path!("/sign-up") view=account::pages::SignUpPage />
                <Route path=path!("/check-email") view=account::pages::CheckEmailPage />
                <Route path=path!("/confirm-email") view=account::pages::ConfirmEmailPage ssr=SsrMode::Async />
                <Route path=path!("/resend-confirmation") view=account::pages::ResendConfirmationPage />
                <Route path=path!("/forgot-password") view=account::pages::ForgotPasswordPage />
                <Route path=path!("/reset-password") view=account::pages::ResetPasswordPage />
                <Route path=path!("/invitation") view=team::pages::InvitationPage ssr=SsrMode::Async />
                <ParentRoute path=path!("/") view=shell::PortalLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=shell::HomePage />
                    <Route path=path!("team") view=team::pages::TeamPage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Marks `<body>` once the WASM has taken over the page, for tests and styles that need to
/// know.
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = web_sys::window().and_then(|window| window.document()).and_then(|document| document.body()) {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}

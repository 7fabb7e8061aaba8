//! The pages a person sees before they are signed in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    ConfirmOutcome, RequestPasswordReset, ResendConfirmation, ResetPassword, SignIn, SignUp, confirm_email,
};
use crate::error::AppError;
use crate::fields::countries;
use crate::ui::{Field, FormAlert, Notice, PasswordField, use_action_error};

/// The centred card that frames every signed-out page.
#[component]
fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title />
        <main class="centered">
            <div class="card auth-card">
                <p class="brand">"Partner Portal"</p>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

/// Errors that belong to no single field.
fn form_level(error: Signal<Option<AppError>>) -> Signal<Option<AppError>> {
    Signal::derive(move || error.get().filter(|error| !matches!(error, AppError::Invalid(_))))
}

fn query_flag(name: &'static str) -> Signal<bool> {
    let query = use_query_map();
    Signal::derive(move || query.read().get_str(name).is_some())
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = use_action_error(action);
    let was_reset = query_flag("reset");
    let signed_out = query_flag("signed_out");
    let unconfirmed = move || matches!(error.get(), Some(AppError::Forbidden(_)));
    let query = use_query_map();
    let next = move || query.read().get("next").filter(|next| super::api::is_local_path(next)).unwrap_or_default();

    view! {
        <AuthCard title="Sign in">
            <Show when=move || was_reset.get()>
                <Notice>"Your password was changed. Sign in with the new one."</Notice>
            </Show>
            <Show when=move || signed_out.get()>
                <Notice>"You are signed out."</Notice>
            </Show>
            <FormAlert error=form_level(error) />
            <Show when=unconfirmed>
                <p class="form-extra">
                    <a href="/resend-confirmation">"Send me a new confirmation link"</a>
                </p>
            </Show>
            <ActionForm action=action>
                <input type="hidden" name="next" value=next />
                <Field label="Email address" name="email" kind="email" autocomplete="username" error />
                <PasswordField label="Password" name="password" autocomplete="current-password" error />
                <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
            <ul class="auth-links">
                <li>
                    <a href="/forgot-password">"Forgot your password?"</a>
                </li>
                <li>
                    <a href="/resend-confirmation">"Didn't receive the confirmation email?"</a>
                </li>
                <li>"New to the portal? " <a href="/sign-up">"Create a partner account"</a></li>
            </ul>
        </AuthCard>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = use_action_error(action);
    let country_message = move || error.get().and_then(|error| error.message_for("country"));

    view! {
        <AuthCard title="Create a partner account">
            <p class="lead">"Set up your company's account. You will be its first Owner and can invite your team later."</p>
            <FormAlert error=form_level(error) />
            <ActionForm action=action>
                <Field label="Company name" name="company" autocomplete="organization" max_length=100 error />
                <div class="field" class:field-invalid=move || country_message().is_some()>
                    <label for="field-country">"Country"</label>
                    <select id="field-country" name="country" aria-describedby="field-country-message">
                        <option value="">"Choose a country"</option>
                        {countries()
                            .iter()
                            .map(|(code, name)| view! { <option value=*code>{*name}</option> })
                            .collect_view()}
                    </select>
                    <p class="field-message" id="field-country-message">
                        {country_message}
                    </p>
                </div>
                <Field label="Your name" name="name" autocomplete="name" max_length=100 error />
                <Field label="Work email address" name="email" kind="email" autocomplete="email" error />
                <PasswordField
                    label="Password"
                    name="password"
                    autocomplete="new-password"
                    hint="12 to 128 characters. A short sentence is easy to remember and hard to guess."
                    error
                />
                <PasswordField label="Repeat the password" name="password_confirm" autocomplete="new-password" error />
                <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                    "Create account"
                </button>
            </ActionForm>
            <ul class="auth-links">
                <li>"Already have a login? " <a href="/sign-in">"Sign in"</a></li>
            </ul>
        </AuthCard>
    }
}

#[component]
pub fn CheckEmailPage() -> impl IntoView {
    view! {
        <AuthCard title="Check your email">
            <p>
                "We have sent a link to the address you gave. Open it to confirm your address, then sign in. The link expires in 48 hours."
            </p>
            <p>"Nothing arrived after a few minutes? Look in your spam folder, or ask for a new link."</p>
            <ul class="auth-links">
                <li>
                    <a href="/resend-confirmation">"Send a new confirmation link"</a>
                </li>
                <li>
                    <a href="/sign-in">"Go to sign in"</a>
                </li>
            </ul>
        </AuthCard>
    }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let outcome = Resource::new(token, confirm_email);

    view! {
        <AuthCard title="Confirm your email address">
            <Suspense fallback=|| view! { <p>"Confirming…"</p> }>
                {move || Suspend::new(async move {
                    match outcome.await {
                        Ok(ConfirmOutcome::Confirmed) => {
                            view! {
                                <Notice>"Your email address is confirmed."</Notice>
                                <p>
                                    <a class="button primary" href="/sign-in">
                                        "Sign in"
                                    </a>
                                </p>
                            }
                                .into_any()
                        }
                        Ok(ConfirmOutcome::AlreadyConfirmed) => {
                            view! {
                                <Notice>"This link was already used, and your email address is confirmed. You can sign in."</Notice>
                                <p>
                                    <a class="button primary" href="/sign-in">
                                        "Sign in"
                                    </a>
                                </p>
                            }
                                .into_any()
                        }
                        Err(error) => {
                            let text = error.to_string();
                            view! {
                                <div class="alert alert-error" role="alert">
                                    {text}
                                </div>
                                <p>
                                    <a href="/resend-confirmation">"Send a new confirmation link"</a>
                                </p>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// The notice shown after a link was requested by email; the same whether or not the address
/// has an account.
#[component]
fn LinkSentNotice() -> impl IntoView {
    let sent = query_flag("sent");
    view! {
        <Show when=move || sent.get()>
            <Notice>{super::api::EMAIL_SENT_IF_ACCOUNT}</Notice>
        </Show>
    }
}

#[component]
pub fn ResendConfirmationPage() -> impl IntoView {
    let action = ServerAction::<ResendConfirmation>::new();
    let error = use_action_error(action);
    view! {
        <AuthCard title="Send a new confirmation link">
            <p class="lead">"Enter the address you signed up with. Earlier links stop working once the new one is sent."</p>
            <LinkSentNotice />
            <FormAlert error=form_level(error) />
            <ActionForm action=action>
                <Field label="Email address" name="email" kind="email" autocomplete="email" error />
                <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                    "Send link"
                </button>
            </ActionForm>
            <ul class="auth-links">
                <li>
                    <a href="/sign-in">"Back to sign in"</a>
                </li>
            </ul>
        </AuthCard>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<RequestPasswordReset>::new();
    let error = use_action_error(action);
    view! {
        <AuthCard title="Reset your password">
            <p class="lead">"Enter your email address and we will send you a link to choose a new password. The link works for one hour."</p>
            <LinkSentNotice />
            <FormAlert error=form_level(error) />
            <ActionForm action=action>
                <Field label="Email address" name="email" kind="email" autocomplete="email" error />
                <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                    "Send reset link"
                </button>
            </ActionForm>
            <ul class="auth-links">
                <li>
                    <a href="/sign-in">"Back to sign in"</a>
                </li>
            </ul>
        </AuthCard>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = use_action_error(action);
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();

    view! {
        <AuthCard title="Choose a new password">
            <FormAlert error=form_level(error) />
            <Show when=move || matches!(error.get(), Some(AppError::Gone(_) | AppError::NotFound(_)))>
                <p class="form-extra">
                    <a href="/forgot-password">"Ask for a new reset link"</a>
                </p>
            </Show>
            <ActionForm action=action>
                <input type="hidden" name="token" value=token />
                <PasswordField
                    label="New password"
                    name="password"
                    autocomplete="new-password"
                    hint="12 to 128 characters."
                    error
                />
                <PasswordField label="Repeat the new password" name="password_confirm" autocomplete="new-password" error />
                <button type="submit" class="button primary wide" disabled=move || action.pending().get()>
                    "Change password"
                </button>
            </ActionForm>
            <p class="form-extra">"Changing your password signs you out everywhere."</p>
        </AuthCard>
    }
}

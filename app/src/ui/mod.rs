//! Small components shared by every area: form fields, messages and the not-found page.

pub mod time;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::error::{AppError, FieldError};

/// Returns the error of the last submission of `action`.
///
/// With JavaScript the action's own value carries it. Without JavaScript the server redirects
/// back to the form's page with the error encoded in the `__err` query parameter, for the
/// server function named in `__path`; this reads that too, so both cases show the same message.
pub fn use_action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let query = use_query_map();
    Signal::derive(move || {
        if let Some(result) = action.value().get() {
            return result.err();
        }
        let query = query.read();
        let from_this_form = query.get_str("__path") == Some(S::PATH);
        query
            .get_str("__err")
            .filter(|_| from_this_form)
            .map(ServerFnUrlError::<AppError>::decode_err)
            .map(without_free_text)
    })
}

/// Replaces the wording of an error read from the URL with fixed text.
///
/// Anyone can craft a link with `__err` in it, so text taken from the URL would let a stranger
/// put their own words, such as a phishing message, in the portal's error box. Only the
/// variant and the field names (which place messages but are never shown) are kept.
fn without_free_text(error: AppError) -> AppError {
    match error {
        AppError::Invalid(fields) => AppError::Invalid(
            fields
                .into_iter()
                .map(|field| {
                    FieldError::new(&field.field, "This value was not accepted. Check it and send the form again.")
                })
                .collect(),
        ),
        AppError::Forbidden(_) => AppError::Forbidden("This was not allowed. Check the details and try again.".into()),
        AppError::NotFound(_) => AppError::NotFound("What the form referred to was not found.".into()),
        AppError::Conflict(_) => {
            AppError::Conflict("Something changed in the meantime. Reload the page and try again.".into())
        }
        AppError::Gone(_) => AppError::Gone("This link has expired or was already used. Ask for a new one.".into()),
        AppError::Unavailable(_) => {
            AppError::Unavailable("A service the portal needs did not respond. Try again in a few minutes.".into())
        }
        fixed_text => fixed_text,
    }
}

/// A labelled input with the message for its field underneath.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] value: String,
    /// Most characters the browser lets a person type; the server checks its own limits.
    #[prop(default = 254)]
    max_length: usize,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || error.get().and_then(|error| error.message_for(name));
    let input_id = format!("field-{name}");
    let message_id = format!("field-{name}-message");
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=input_id.clone()>{label}</label>
            <input
                id=input_id
                name=name
                type=kind
                value=value
                maxlength=max_length
                autocomplete=autocomplete
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=message_id.clone()
            />
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-message" id=message_id>
                {message}
            </p>
        </div>
    }
}

/// A password input with a button that shows or hides what was typed. The button works only
/// once the page has hydrated; without JavaScript the field stays hidden and usable.
#[component]
pub fn PasswordField(
    label: &'static str,
    name: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let message = move || error.get().and_then(|error| error.message_for(name));
    let input_id = format!("field-{name}");
    let message_id = format!("field-{name}-message");
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=input_id.clone()>{label}</label>
            <div class="password-input">
                <input
                    id=input_id
                    name=name
                    type=move || if visible.get() { "text" } else { "password" }
                    maxlength="128"
                    autocomplete=autocomplete
                    aria-invalid=move || message().is_some().to_string()
                    aria-describedby=message_id.clone()
                />
                <button
                    type="button"
                    class="password-toggle"
                    data-testid=format!("toggle-{name}")
                    aria-pressed=move || visible.get().to_string()
                    on:click=move |_| visible.update(|shown| *shown = !*shown)
                >
                    {move || if visible.get() { "Hide" } else { "Show" }}
                </button>
            </div>
            {(!hint.is_empty()).then(|| view! { <p class="field-hint">{hint}</p> })}
            <p class="field-message" id=message_id>
                {message}
            </p>
        </div>
    }
}

/// The error of a form that belongs to no single field, such as wrong credentials.
#[component]
pub fn FormAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|error| {
            let text = error.to_string();
            let sign_in = matches!(error, AppError::Unauthenticated).then(|| {
                view! {
                    " "
                    <a href="/sign-in">"Sign in"</a>
                }
            });
            view! {
                <div class="alert alert-error" role="alert">
                    {text}
                    {sign_in}
                </div>
            }
        })
    }
}

/// A notice above a form, such as "Your password was changed".
#[component]
pub fn Notice(children: Children) -> impl IntoView {
    view! {
        <div class="alert alert-info" role="status">
            {children()}
        </div>
    }
}

/// Percent-encodes a value, such as a path, for use in a query string.
pub fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <main class="centered">
            <div class="card">
                <h1>"Page not found"</h1>
                <p>"There is no page at this address. It may have moved, or the link may be incomplete."</p>
                <p>
                    <a href="/">"Go to the portal"</a>
                </p>
            </div>
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_errors_lose_their_free_text() {
        let crafted =
            AppError::Forbidden("Your account is locked: email your password to security@evil.example".into());
        let shown = without_free_text(crafted).to_string();
        assert!(!shown.contains("evil.example"), "{shown}");

        let field = without_free_text(AppError::field("password", "Pay now at https://evil.example"));
        let message = field.message_for("password").unwrap();
        assert!(!message.contains("evil.example"), "{message}");

        assert_eq!(without_free_text(AppError::WrongCredentials), AppError::WrongCredentials);
        assert_eq!(
            without_free_text(AppError::RateLimited { retry_after_secs: 30 }),
            AppError::RateLimited { retry_after_secs: 30 }
        );
    }
}

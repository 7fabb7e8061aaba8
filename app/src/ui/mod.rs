//! Small components shared by every area: form fields, messages and the not-found page.

pub mod time;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;

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
        query.get_str("__err").filter(|_| from_this_form).map(ServerFnUrlError::<AppError>::decode_err)
    })
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
            view! {
                <div class="alert alert-error" role="alert">
                    {text}
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

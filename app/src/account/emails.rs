//! The text of the account emails.

use crate::infra::mail::Email;
use crate::infra::state::Settings;

pub fn confirm_email(settings: &Settings, to: &str, name: &str, secret: &str) -> Email {
    let link = settings.link(&format!("/confirm-email?token={secret}"));
    Email {
        to: to.to_owned(),
        subject: "Confirm your email address for the Partner Portal".into(),
        body: format!(
            "Hello {name},\n\n\
             Open this link to confirm your email address and start using the Partner Portal:\n\n\
             {link}\n\n\
             The link works once and expires in 48 hours. If you did not sign up, ignore this \
             email and no account will be usable.\n"
        ),
        link: Some(link),
    }
}

/// Sent instead of a second account when someone signs up with an address that has a login,
/// so the sign-up form never reveals which addresses have accounts.
pub fn already_registered(settings: &Settings, to: &str) -> Email {
    let sign_in = settings.link("/sign-in");
    let reset = settings.link("/forgot-password");
    Email {
        to: to.to_owned(),
        subject: "You already have a Partner Portal login".into(),
        body: format!(
            "Hello,\n\n\
             Someone, probably you, tried to sign up for the Partner Portal with this email \
             address, which already has a login. No new account was created.\n\n\
             Sign in: {sign_in}\n\
             Forgot your password? {reset}\n\n\
             To join a colleague's account, ask its Owner or an Admin to invite you.\n"
        ),
        link: Some(sign_in),
    }
}

pub fn reset_password(settings: &Settings, to: &str, name: &str, secret: &str) -> Email {
    let link = settings.link(&format!("/reset-password?token={secret}"));
    Email {
        to: to.to_owned(),
        subject: "Reset your Partner Portal password".into(),
        body: format!(
            "Hello {name},\n\n\
             Open this link to choose a new password:\n\n\
             {link}\n\n\
             The link works once and expires in one hour. If you did not ask for it, ignore \
             this email: your password stays as it is.\n"
        ),
        link: Some(link),
    }
}

//! The text of the invitation email.

use crate::account::session::Member;
use crate::infra::mail::Email;
use crate::infra::state::Settings;
use crate::permissions::Role;

// Every role name (Owner, Admin, Operator, Auditor) starts with a vowel, hence "as an".

pub fn invitation(settings: &Settings, to: &str, inviter: &Member, role: Role, secret: &str) -> Email {
    let link = settings.link(&format!("/invitation?token={secret}"));
    Email {
        to: to.to_owned(),
        subject: format!("{} invited you to {} on the Partner Portal", inviter.name, inviter.partner_name),
        body: format!(
            "Hello,\n\n\
             {inviter} ({inviter_email}) invited you to join {company} (partner ID {number}) on the \
             Partner Portal as an {role}.\n\n\
             Open this link to accept:\n\n\
             {link}\n\n\
             The link works once and expires in 24 hours. If it has expired, ask {inviter} to \
             send a new invitation. If you did not expect this email, ignore it.\n",
            inviter = inviter.name,
            inviter_email = inviter.email,
            company = inviter.partner_name,
            number = inviter.partner_number,
        ),
        link: Some(link),
    }
}

//! Outgoing email: over SMTP when `SMTP_URL` is set, otherwise as `.eml` files in the outbox
//! folder, with the link logged so that a developer can follow it.

pub use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

/// One message to one recipient. `link` is the URL the message asks them to open.
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
    pub link: Option<String>,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    Outbox { dir: PathBuf, from: Mailbox },
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("could not build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("could not write to the outbox: {0}")]
    Io(#[from] std::io::Error),
}

impl Mailer {
    /// Builds an SMTP mailer from a URL such as `smtp://127.0.0.1:2525` or
    /// `smtps://user:pass@mail.example.com`.
    pub fn smtp(url: &str, from: Mailbox) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build();
        Ok(Mailer::Smtp { transport, from })
    }

    pub fn outbox(dir: PathBuf, from: Mailbox) -> Self {
        Mailer::Outbox { dir, from }
    }

    /// Sends `email`. Errors are returned, not logged; callers decide what the user is shown.
    pub async fn send(&self, email: Email) -> Result<(), MailError> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Outbox { from, .. } => from.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(email.to.parse()?)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())?;

        match self {
            Mailer::Smtp { transport, .. } => {
                transport.send(message).await?;
                tracing::info!(subject = %email.subject, "email sent over SMTP");
            }
            Mailer::Outbox { dir, .. } => {
                tokio::fs::create_dir_all(dir).await?;
                let path = dir.join(format!("{}.eml", super::tokens::new_id()));
                tokio::fs::write(&path, message.formatted()).await?;
                // Development mode only: with no SMTP server, the log is how a developer
                // finds the link.
                tracing::info!(
                    path = %path.display(),
                    subject = %email.subject,
                    link = email.link.as_deref().unwrap_or("-"),
                    "email written to the outbox",
                );
            }
        }
        Ok(())
    }
}

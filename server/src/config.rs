//! Configuration from command-line flags or environment variables (a `.env` file is read
//! first). Every value has a default that works on a laptop.

use app::infra::mail::Mailbox;
use clap::{Args, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use url::Url;

#[derive(Args, Clone, Debug)]
pub struct Config {
    /// PostgreSQL connection URL, such as postgres://portal:secret@127.0.0.1/portal.
    /// When unset, the portal uses the SQLite file portal.sqlite3 in DATA_DIR.
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL", value_parser = parse_database_url)]
    pub database_url: Option<String>,

    /// The URL people open the portal at. Links in emails start with it, state-changing
    /// requests must come from its origin, and cookies are Secure when it is https.
    #[arg(long, env = "PUBLIC_URL", value_name = "PUBLIC_URL", default_value = "http://127.0.0.1:3000", value_parser = parse_public_url)]
    pub public_url: Url,

    /// Address and port the HTTP server listens on.
    #[arg(long, env = "LISTEN_ADDR", value_name = "LISTEN_ADDR", default_value = "127.0.0.1:3000", value_parser = parse_listen_addr)]
    pub listen_addr: SocketAddr,

    /// SMTP server for outgoing email, such as smtp://127.0.0.1:2525 (no TLS) or
    /// smtps://user:password@mail.example.com. When unset, each email is written as an .eml
    /// file to DATA_DIR/outbox and its link is logged.
    #[arg(long, env = "SMTP_URL", value_name = "SMTP_URL", value_parser = parse_smtp_url)]
    pub smtp_url: Option<String>,

    /// Sender of outgoing email, as an address or "Name <address>".
    #[arg(long, env = "MAIL_FROM", value_name = "MAIL_FROM", default_value = "Partner Portal <no-reply@portal.example>", value_parser = parse_mailbox)]
    pub mail_from: Mailbox,

    /// Folder for the SQLite database and the email outbox; created if missing.
    #[arg(long, env = "DATA_DIR", value_name = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Folder with the built browser files (pkg/) and the public files.
    #[arg(long, env = "SITE_ROOT", value_name = "SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Log format: text for people, json for log collectors. RUST_LOG sets the levels.
    #[arg(long, env = "LOG_FORMAT", value_name = "LOG_FORMAT", default_value = "text", value_enum)]
    pub log_format: LogFormat,

    /// Rate limits on sign-up, sign-in and emailed links. Turn off only for load tests.
    #[arg(long, env = "RATE_LIMITS", value_name = "RATE_LIMITS", default_value = "on", value_enum)]
    pub rate_limits: Switch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

fn parse_database_url(value: &str) -> Result<String, String> {
    if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        Ok(value.to_owned())
    } else {
        Err("expected a PostgreSQL URL starting with postgres://, or leave DATABASE_URL unset to use SQLite".into())
    }
}

fn parse_public_url(value: &str) -> Result<Url, String> {
    let url =
        Url::parse(value).map_err(|_| "expected an absolute URL such as https://portal.example.com".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http or https URL with a host, such as https://portal.example.com".into());
    }
    if url.path() != "/" || url.query().is_some() {
        return Err("expected a URL without a path or query, such as https://portal.example.com".into());
    }
    Ok(url)
}

fn parse_listen_addr(value: &str) -> Result<SocketAddr, String> {
    value.parse().map_err(|_| "expected an IP address and port such as 127.0.0.1:3000 or 0.0.0.0:8080".into())
}

fn parse_smtp_url(value: &str) -> Result<String, String> {
    let url = Url::parse(value).map_err(|_| "expected a URL such as smtp://127.0.0.1:2525".to_owned())?;
    if !matches!(url.scheme(), "smtp" | "smtps") || url.host().is_none() {
        return Err("expected an smtp:// or smtps:// URL with a host, such as smtp://127.0.0.1:2525".into());
    }
    Ok(value.to_owned())
}

fn parse_mailbox(value: &str) -> Result<Mailbox, String> {
    value.parse().map_err(|_| {
        "expected an email address such as no-reply@example.com or \"Portal <no-reply@example.com>\"".into()
    })
}

impl Config {
    /// The origin (scheme, host and port) that browsers send in the `Origin` header.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_url_rules() {
        assert!(parse_public_url("https://portal.example.com").is_ok());
        assert!(parse_public_url("http://127.0.0.1:3000/").is_ok());
        assert!(parse_public_url("portal.example.com").is_err());
        assert!(parse_public_url("ftp://portal.example.com").is_err());
        assert!(parse_public_url("https://portal.example.com/app").is_err());
    }

    #[test]
    fn listen_and_smtp_and_database_rules() {
        assert!(parse_listen_addr("0.0.0.0:8080").is_ok());
        assert!(parse_listen_addr("localhost").is_err());
        assert!(parse_smtp_url("smtp://127.0.0.1:2525").is_ok());
        assert!(parse_smtp_url("http://127.0.0.1:2525").is_err());
        assert!(parse_database_url("postgres://u@127.0.0.1/db").is_ok());
        assert!(parse_database_url("sqlite://portal.db").is_err());
        assert!(parse_mailbox("Portal <no-reply@example.com>").is_ok());
        assert!(parse_mailbox("not an address").is_err());
    }
}

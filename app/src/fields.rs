//! Input types parsed from forms, shared by the browser and the server.
//!
//! Each `parse` returns the message shown beside the form field when the value is invalid.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::OnceLock;

/// An email address, trimmed and lower-cased so that one person has one login.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Longest address SMTP can carry (RFC 5321 forward-path limit).
    pub const MAX_LEN: usize = 254;

    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err("Enter your email address.");
        }
        if value.len() > Self::MAX_LEN {
            return Err("That email address is too long.");
        }
        if !value.is_ascii() {
            return Err(
                "Use an address with only ASCII letters, digits and symbols: many mail servers cannot deliver to others.",
            );
        }
        let Some((_, domain)) = value.rsplit_once('@') else {
            return Err("Enter an email address such as name@example.com.");
        };
        // The crate accepts RFC 5322 forms that no mailbox provider hands out, such as
        // single-label domains; a partner's staff always have a dotted domain.
        let dotted = domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.');
        if !dotted || !email_address::EmailAddress::is_valid(&value) || value.contains(['"', '[', ']']) {
            return Err("Enter an email address such as name@example.com.");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A new password that meets the length rules. Deliberately neither `Serialize` nor `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            return Err("Use at least 12 characters.");
        }
        if chars > Self::MAX_CHARS {
            return Err("Use at most 128 characters.");
        }
        if input.trim().is_empty() {
            return Err("A password cannot be only spaces.");
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// A partner company's name as shown in the portal header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyName(String);

impl CompanyName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let value = collapse_spaces(input);
        if value.is_empty() {
            return Err("Enter your company's name.");
        }
        if value.chars().count() < 2 {
            return Err("Use at least 2 characters for the company name.");
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err("Use at most 100 characters for the company name.");
        }
        if !is_displayable(&value) {
            return Err("The company name contains characters that cannot be shown.");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's display name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let value = collapse_spaces(input);
        if value.is_empty() {
            return Err("Enter your name.");
        }
        if value.chars().count() > Self::MAX_CHARS {
            return Err("Use at most 100 characters for your name.");
        }
        if !is_displayable(&value) {
            return Err("Your name contains characters that cannot be shown.");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The numeric partner ID, shown zero-padded to three digits (`002`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PartnerNumber(pub i64);

impl PartnerNumber {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let value = input.trim();
        if value.is_empty() || value.len() > 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err("A partner ID is a number such as 002.");
        }
        match value.parse::<i64>() {
            Ok(number) if number > 0 => Ok(Self(number)),
            _ => Err("A partner ID is a number such as 002."),
        }
    }
}

impl fmt::Display for PartnerNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// An ISO 3166-1 alpha-2 country code from the list the sign-up form offers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let code = input.trim().to_ascii_uppercase();
        if countries().iter().any(|(known, _)| *known == code) {
            Ok(Self(code))
        } else {
            Err("Choose your company's country.")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn name(&self) -> &'static str {
        countries().iter().find(|(code, _)| *code == self.0).map(|(_, name)| *name).unwrap_or("")
    }
}

/// Countries as (alpha-2 code, English name), sorted by name.
pub fn countries() -> &'static [(&'static str, &'static str)] {
    static LIST: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("countries.tsv")
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .filter_map(|line| line.split_once('\t'))
            .collect()
    })
}

/// Returns whether a name shows as what it is: at least one letter or digit, and no control
/// characters, invisible characters or direction overrides (which can make `gnp.exe` read as
/// `exe.png`).
fn is_displayable(value: &str) -> bool {
    let invisible = |c: char| {
        c.is_control()
            || matches!(
                c,
                '\u{00AD}'
                    | '\u{034F}'
                    | '\u{061C}'
                    | '\u{115F}'
                    | '\u{1160}'
                    | '\u{17B4}'
                    | '\u{17B5}'
                    | '\u{180E}'
                    | '\u{3164}'
                    | '\u{FEFF}'
                    | '\u{FFA0}'
            )
            || ('\u{200B}'..='\u{200F}').contains(&c)
            || ('\u{202A}'..='\u{202E}').contains(&c)
            || ('\u{2060}'..='\u{206F}').contains(&c)
            || ('\u{FFF0}'..='\u{FFFB}').contains(&c)
    };
    value.chars().any(char::is_alphanumeric) && !value.chars().any(invisible)
}

fn collapse_spaces(input: &str) -> String {
    input.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_accepts_and_normalises() {
        let email = EmailAddress::parse("  Ada.Lovelace+kyc@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ada.lovelace+kyc@example.com");
    }

    #[test]
    fn email_rejects_bad_values() {
        let long = format!("{}@example.com", "a".repeat(250));
        let cases = [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "ada@",
            "ada@localhost",
            "ada@example.",
            "ada @example.com",
            "ada@@example.com",
            "\"ada\"@example.com",
            "ada@[127.0.0.1]",
            long.as_str(),
        ];
        for case in cases {
            assert!(EmailAddress::parse(case).is_err(), "accepted {case:?}");
        }
    }

    #[test]
    fn password_length_limits() {
        assert!(NewPassword::parse("correct horse").is_ok());
        assert_eq!(NewPassword::parse("short"), Err("Use at least 12 characters."));
        assert_eq!(NewPassword::parse(&"x".repeat(11)), Err("Use at least 12 characters."));
        assert!(NewPassword::parse(&"x".repeat(12)).is_ok());
        assert!(NewPassword::parse(&"x".repeat(128)).is_ok());
        assert_eq!(NewPassword::parse(&"x".repeat(129)), Err("Use at most 128 characters."));
        assert_eq!(NewPassword::parse(&" ".repeat(20)), Err("A password cannot be only spaces."));
        // Counted in characters, not bytes: twelve two-byte letters are enough.
        assert!(NewPassword::parse(&"é".repeat(12)).is_ok());
    }

    #[test]
    fn password_debug_hides_value() {
        let password = NewPassword::parse("correct horse battery").unwrap();
        assert_eq!(format!("{password:?}"), "NewPassword(..)");
    }

    #[test]
    fn company_name_rules() {
        assert_eq!(CompanyName::parse("  Acme   Lending  Ltd ").unwrap().as_str(), "Acme Lending Ltd");
        assert!(CompanyName::parse("").is_err());
        assert!(CompanyName::parse("A").is_err());
        assert!(CompanyName::parse(&"a".repeat(101)).is_err());
        assert!(CompanyName::parse("Acme\u{0007}").is_err());
        assert!(CompanyName::parse("\u{200B}\u{200B}\u{200B}").is_err(), "only zero-width spaces");
        assert!(CompanyName::parse("Acme \u{202E}gnp.exe").is_err(), "a direction override");
        assert!(CompanyName::parse("--").is_err(), "no letter or digit");
        assert!(CompanyName::parse("Société Générale").is_ok());
        assert!(CompanyName::parse("株式会社").is_ok());
        assert!(CompanyName::parse(&"a".repeat(100)).is_ok());
    }

    #[test]
    fn person_name_rules() {
        assert_eq!(PersonName::parse(" Grace  Hopper ").unwrap().as_str(), "Grace Hopper");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"b".repeat(101)).is_err());
        assert!(PersonName::parse("\u{2066}Eve").is_err());
        assert!(PersonName::parse("Zoë O'Brien").is_ok());
    }

    #[test]
    fn partner_number_parses_and_pads() {
        assert_eq!(PartnerNumber::parse("002"), Ok(PartnerNumber(2)));
        assert_eq!(PartnerNumber::parse("17"), Ok(PartnerNumber(17)));
        assert_eq!(PartnerNumber(2).to_string(), "002");
        assert_eq!(PartnerNumber(1234).to_string(), "1234");
        for bad in ["", "0", "000", "-1", "2a", "1.5", " ", "9999999999999"] {
            assert!(PartnerNumber::parse(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn country_codes_from_list() {
        assert_eq!(CountryCode::parse("ng").unwrap().as_str(), "NG");
        assert_eq!(CountryCode::parse("KE").unwrap().name(), "Kenya");
        assert!(CountryCode::parse("XX").is_err());
        assert!(CountryCode::parse("").is_err());
        assert!(countries().len() > 240);
    }
}

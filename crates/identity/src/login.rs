//! Logging in: the account holder behind a subject, the identifier a person
//! types on the log-in page, and the lock-out that stops guessing.
//!
//! A person logs in with the identifier of their kind of account:
//!
//! - a citizen with the 12-digit personal identification number;
//! - a foreigner with the nationality and passport number, written
//!   `JP:TZ1234567` (ISO 3166-1 code, a colon, the passport number);
//! - an organisation's old portal account (before the cut-over) with its
//!   tax code; after the cut-over organisations act through people.
//!
//! Every identifier has one canonical key ([`LoginId::key`]) under which
//! the account is found, so `079 203 000 001`, `079203000001` and
//! ` 079203000001 ` all reach the same account.

use chrono::{DateTime, Duration, Utc};
use domain::PersonalId;
use serde::{Deserialize, Serialize};

use crate::{
    Citizen, Country, Foreigner, IdentityError, Organisation, PassportNumber, SubjectId, TaxCode,
};

/// Failed log-ins in a row after which an account is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a locked account stays locked (a success afterwards resets the
/// count).
pub const LOCK_FOR: Duration = Duration::minutes(15);

/// The holder of an account: who it is for, as the registry or the
/// immigration record knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum Holder {
    /// A Vietnamese citizen.
    Citizen(Citizen),
    /// A foreigner.
    Foreigner(Foreigner),
    /// An organisation.
    Organisation(Organisation),
}

/// The kind of holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    /// A Vietnamese citizen.
    Citizen,
    /// A foreigner.
    Foreigner,
    /// An organisation.
    Organisation,
}

impl HolderKind {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            HolderKind::Citizen => "citizen",
            HolderKind::Foreigner => "foreigner",
            HolderKind::Organisation => "organisation",
        }
    }
}

impl Holder {
    /// The stable internal identifier.
    pub fn subject(&self) -> SubjectId {
        match self {
            Holder::Citizen(c) => c.subject(),
            Holder::Foreigner(f) => f.subject(),
            Holder::Organisation(o) => o.subject(),
        }
    }

    /// The kind of holder.
    pub fn kind(&self) -> HolderKind {
        match self {
            Holder::Citizen(_) => HolderKind::Citizen,
            Holder::Foreigner(_) => HolderKind::Foreigner,
            Holder::Organisation(_) => HolderKind::Organisation,
        }
    }

    /// The identifier the holder logs in with.
    pub fn login_id(&self) -> LoginId {
        match self {
            Holder::Citizen(c) => LoginId::Pin(c.pin()),
            Holder::Foreigner(f) => {
                let (passport, country) = f.key();
                LoginId::Passport(country, passport.clone())
            }
            Holder::Organisation(o) => LoginId::TaxCode(o.tax_code()),
        }
    }
}

/// What a person types to say who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginId {
    /// A citizen's personal identification number.
    Pin(PersonalId),
    /// A foreigner's nationality and passport number.
    Passport(Country, PassportNumber),
    /// An organisation's tax code.
    TaxCode(TaxCode),
}

impl LoginId {
    /// Reads an identifier: 12 digits are a personal identification
    /// number, `CC:NUMBER` a passport, 10 or 13 digits (a hyphen allowed
    /// before the last three) a tax code. Spaces are ignored.
    pub fn parse(input: &str) -> Result<Self, IdentityError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(IdentityError::Malformed {
                what: "log-in identifier",
                rule: "is required (a 12-digit personal identification number, a tax code, or a passport written as JP:TZ1234567)",
                got: input.to_string(),
            });
        }
        if let Some((country, number)) = compact.split_once(':') {
            let country = Country::parse(country)?;
            return Ok(LoginId::Passport(country, PassportNumber::parse(number)?));
        }
        let digits = compact.bytes().filter(u8::is_ascii_digit).count();
        if compact.len() == 12 && digits == 12 {
            return PersonalId::parse(&compact).map(LoginId::Pin).map_err(|e| {
                IdentityError::Malformed {
                    what: "personal identification number",
                    rule: "must be a valid 12-digit number",
                    got: format!("{compact} ({e})"),
                }
            });
        }
        if digits == 10 || digits == 13 {
            return TaxCode::parse(&compact).map(LoginId::TaxCode);
        }
        Err(IdentityError::Malformed {
            what: "log-in identifier",
            rule: "must be a 12-digit personal identification number, a 10- or 13-digit tax code, or a passport written as JP:TZ1234567",
            got: input.to_string(),
        })
    }

    /// The canonical key the account is stored under.
    pub fn key(&self) -> String {
        match self {
            LoginId::Pin(pin) => format!("pin:{pin}"),
            LoginId::Passport(country, number) => format!("passport:{country}:{number}"),
            LoginId::TaxCode(code) => format!("tax:{code}"),
        }
    }
}

/// The key an imported legacy account is kept under: the identifier's
/// canonical key when it reads as one (old portals often used the tax code
/// as the username), else `legacy:` and the username in lower case.
pub fn legacy_key(input: &str) -> String {
    match LoginId::parse(input) {
        Ok(id) => id.key(),
        Err(_) => format!("legacy:{}", input.trim().to_lowercase()),
    }
}

/// The identifier as a person writes it: the number, the tax code, or
/// `CC:PASSPORT`.
impl std::fmt::Display for LoginId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoginId::Pin(pin) => write!(f, "{pin}"),
            LoginId::Passport(country, number) => write!(f, "{country}:{number}"),
            LoginId::TaxCode(code) => write!(f, "{code}"),
        }
    }
}

/// Whether an account locked until `locked_until` refuses a log-in at
/// `now`, and for how much longer.
pub fn locked_for(locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<Duration> {
    locked_until
        .filter(|until| *until > now)
        .map(|until| until - now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_of_each_kind_are_read_and_keyed() {
        let pin = LoginId::parse(" 079 203 000 001 ").expect("pin");
        assert!(matches!(pin, LoginId::Pin(_)));
        assert_eq!(pin.key(), "pin:079203000001");
        let passport = LoginId::parse("jp:tz1234567").expect("passport");
        assert_eq!(passport.key(), "passport:JP:TZ1234567");
        let passport3 = LoginId::parse("JPN:TZ1234567").expect("alpha-3");
        assert_eq!(passport3.key(), passport.key());
        let tax = LoginId::parse("0100109106").expect("tax code");
        assert_eq!(tax.key(), "tax:0100109106");
        // written back as a person types it, and read again the same
        for id in [&pin, &passport, &tax] {
            assert_eq!(
                LoginId::parse(&id.to_string()).expect("again").key(),
                id.key()
            );
        }
        assert_eq!(passport3.to_string(), "JP:TZ1234567");
    }

    #[test]
    fn unreadable_identifiers_say_what_is_expected() {
        for bad in [
            "",
            "   ",
            "12345",
            "07920300000",
            "XX:TZ1234567",
            "JP:",
            "abc",
        ] {
            let e = LoginId::parse(bad).expect_err(bad).to_string();
            assert!(!e.is_empty(), "{bad}");
        }
        let e = LoginId::parse("abc").expect_err("abc").to_string();
        assert!(e.contains("12-digit"), "{e}");
        // a tax code with a wrong check digit is named as such
        let e = LoginId::parse("0100109107")
            .expect_err("check digit")
            .to_string();
        assert!(e.contains("check digit"), "{e}");
    }

    #[test]
    fn legacy_usernames_are_keyed_like_identifiers_or_by_name() {
        assert_eq!(legacy_key(" SongHong "), "legacy:songhong");
        assert_eq!(legacy_key("0100109106"), "tax:0100109106");
    }

    #[test]
    fn the_lock_lasts_until_its_end() {
        let now = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("instant");
        assert_eq!(locked_for(None, now), None);
        assert_eq!(locked_for(Some(now), now), None);
        assert_eq!(locked_for(Some(now - Duration::seconds(1)), now), None);
        assert_eq!(
            locked_for(Some(now + Duration::seconds(90)), now),
            Some(Duration::seconds(90))
        );
    }
}

//! Administrative-unit codes (Decision 19/2025/QĐ-TTg for the 2025 list; the
//! legacy codes for the units before 1 July 2025).

use serde::{Deserialize, Serialize};
use units::Units;

use crate::DomainError;

fn digits(what: &'static str, n: usize, s: &str) -> Result<String, DomainError> {
    let t = s.trim();
    if t.len() == n && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(DomainError::Malformed {
            what,
            digits: n,
            got: s.to_string(),
        })
    }
}

macro_rules! unit_code {
    ($(#[$doc:meta])* $name:ident, $what:literal, $n:literal, $exists:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks the form and that the unit exists.
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                let code = digits($what, $n, s)?;
                let exists: fn(&Units, &str) -> bool = $exists;
                if exists(Units::get(), &code) {
                    Ok(Self(code))
                } else {
                    Err(DomainError::Unknown { what: $what, code })
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        $crate::display_as_str!($name);
        $crate::text_conversions!($name, DomainError);
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

unit_code!(
    /// A 2025 province code: 2 digits, one of the 34.
    ProvinceCode, "province", 2, |u, c| u.province(c).is_some()
);
unit_code!(
    /// A 2025 commune code: 5 digits, one of the 3,321.
    CommuneCode, "commune", 5, |u, c| u.commune(c).is_some()
);
unit_code!(
    /// A legacy (pre-2025) commune code: 5 digits, one of the 10,035.
    LegacyCommuneCode, "legacy commune", 5, |u, c| u.legacy_commune(c).is_some()
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_existing_codes() {
        assert_eq!(
            ProvinceCode::parse("01").map(|c| c.to_string()),
            Ok("01".into())
        );
        assert_eq!(
            ProvinceCode::parse(" 79 ").map(|c| c.to_string()),
            Ok("79".into())
        );
        assert!(CommuneCode::parse("00097").is_ok());
        assert!(LegacyCommuneCode::parse("00001").is_ok());
    }

    #[test]
    fn refuses_malformed_codes_with_the_rule() {
        for bad in ["", "1", "001", "ab", "0１", "-1"] {
            let e = ProvinceCode::parse(bad).expect_err(bad);
            assert!(
                matches!(e, DomainError::Malformed { digits: 2, .. }),
                "{bad}: {e}"
            );
        }
        let e = CommuneCode::parse("97").expect_err("short");
        assert_eq!(e.to_string(), "commune must be 5 digits, got \"97\"");
    }

    #[test]
    fn refuses_unknown_codes() {
        // 02 (Hà Giang) is a legacy province, not a 2025 one
        assert_eq!(
            ProvinceCode::parse("02"),
            Err(DomainError::Unknown {
                what: "province",
                code: "02".into()
            })
        );
        // 00001 (Phúc Xá) is legacy only
        assert!(CommuneCode::parse("00001").is_err());
        assert!(LegacyCommuneCode::parse("99999").is_err());
    }

    #[test]
    fn deserialises_through_validation() {
        let ok: Result<ProvinceCode, _> = serde_json::from_str("\"01\"");
        assert!(ok.is_ok());
        let bad: Result<ProvinceCode, _> = serde_json::from_str("\"1\"");
        assert!(bad.is_err());
    }
}

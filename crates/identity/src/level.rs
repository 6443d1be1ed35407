//! Assurance levels (mức độ 1, mức độ 2) and their OpenID Connect `acr`
//! values.
//!
//! Level 2 is the stronger: identity data matched against the population
//! registry (or the immigration record) and verified in person or by chip.
//! A session of a level satisfies a request for that level or any lower
//! one; a service that demands level 2 never gets a level-1 session.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::IdentityError;

/// An electronic identification account's assurance level (Decree
/// 69/2024). Organisation accounts have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AssuranceLevel {
    /// Mức độ 1.
    #[serde(rename = "1")]
    Level1,
    /// Mức độ 2.
    #[serde(rename = "2")]
    Level2,
}

impl AssuranceLevel {
    /// The `acr` value of level 1.
    pub const ACR_LEVEL_1: &'static str = "urn:motcua:loa:1";
    /// The `acr` value of level 2.
    pub const ACR_LEVEL_2: &'static str = "urn:motcua:loa:2";

    /// The `acr` value a session of this level carries.
    pub fn acr(&self) -> &'static str {
        match self {
            Self::Level1 => Self::ACR_LEVEL_1,
            Self::Level2 => Self::ACR_LEVEL_2,
        }
    }

    /// Reads one of this provider's `acr` values (exact match).
    pub fn from_acr(acr: &str) -> Result<Self, IdentityError> {
        match acr {
            Self::ACR_LEVEL_1 => Ok(Self::Level1),
            Self::ACR_LEVEL_2 => Ok(Self::Level2),
            _ => Err(IdentityError::Malformed {
                what: "acr value",
                rule: "must be urn:motcua:loa:1 or urn:motcua:loa:2",
                got: acr.to_string(),
            }),
        }
    }
}

impl fmt::Display for AssuranceLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Level1 => "level 1",
            Self::Level2 => "level 2",
        })
    }
}

/// The lowest level a request's `acr_values` accept: the weakest of the
/// values this provider knows. `Ok(None)` when the request names none (any
/// level will do); an error when it names values but none of them is
/// known — a typo must not fall back to the weakest session.
pub fn required_level<S: AsRef<str>>(
    requested_acr_values: &[S],
) -> Result<Option<AssuranceLevel>, IdentityError> {
    let known = requested_acr_values
        .iter()
        .filter_map(|v| AssuranceLevel::from_acr(v.as_ref()).ok())
        .min();
    match (known, requested_acr_values.first()) {
        (Some(level), _) => Ok(Some(level)),
        (None, None) => Ok(None),
        (None, Some(first)) => Err(IdentityError::Malformed {
            what: "acr_values",
            rule: "must include urn:motcua:loa:1 or urn:motcua:loa:2",
            got: first.as_ref().to_string(),
        }),
    }
}

/// Whether a session of `session_level` may answer an authentication
/// request with these `acr_values` (OpenID Connect Core §3.1.2.1, a
/// space-separated list read into its values): it may when the request
/// names no value, or when the session is at least as strong as the
/// weakest known value the request accepts. A request that names only
/// unknown values is refused.
///
/// ```
/// use identity::{AssuranceLevel::*, satisfies};
/// assert!(!satisfies(Level1, &["urn:motcua:loa:2"]));
/// assert!(satisfies(Level2, &["urn:motcua:loa:1"]));
/// ```
pub fn satisfies<S: AsRef<str>>(session_level: AssuranceLevel, requested_acr_values: &[S]) -> bool {
    match required_level(requested_acr_values) {
        Ok(None) => true,
        Ok(Some(required)) => session_level >= required,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::AssuranceLevel::*;
    use super::*;

    const L1: &str = "urn:motcua:loa:1";
    const L2: &str = "urn:motcua:loa:2";

    #[test]
    fn acr_round_trips() {
        for l in [Level1, Level2] {
            assert_eq!(AssuranceLevel::from_acr(l.acr()), Ok(l));
        }
        for bad in [
            "",
            "urn:motcua:loa:3",
            "URN:MOTCUA:LOA:2",
            " urn:motcua:loa:2",
            "2",
        ] {
            assert!(AssuranceLevel::from_acr(bad).is_err(), "{bad}");
        }
        assert!(Level1 < Level2);
        assert_eq!(serde_json::to_string(&Level2).expect("ser"), "\"2\"");
    }

    #[test]
    fn a_level_2_demand_never_gets_a_level_1_session() {
        let none: [&str; 0] = [];
        let table: [(&[&str], bool, bool); 8] = [
            // (request, level-1 session ok, level-2 session ok)
            (&none, true, true),
            (&[L1], true, true),
            (&[L2], false, true),
            (&[L2, L1], true, true),
            (&[L1, L2], true, true),
            (&[L2, "urn:other:loa"], false, true),
            (&["urn:motcua:loa:3"], false, false),
            (&["urn:other:loa", L1], true, true),
        ];
        for (request, one, two) in table {
            assert_eq!(satisfies(Level1, request), one, "{request:?}");
            assert_eq!(satisfies(Level2, request), two, "{request:?}");
        }
        assert_eq!(required_level(&[L2]), Ok(Some(Level2)));
        assert_eq!(required_level(&none), Ok(None));
        assert!(required_level(&["bogus"]).is_err());
        let owned = vec![L2.to_string()];
        assert!(!satisfies(Level1, &owned));
    }
}

//! The old organisation accounts: usernames and passwords issued by the
//! national portal, ministries and provinces before the 1 July 2025 change.
//!
//! Before the cut-over instant (configurable; by default
//! 2025-07-01T00:00+07:00) such an account may still log in. From that
//! instant on — the instant itself included — it is refused, with the
//! guidance to log in through the level-2 personal account of a legal
//! representative, the head, or an authorised person (see
//! [`crate::acting`]). Either way the organisation is the same subject:
//! the legacy account points at the organisation's [`SubjectId`], which
//! the new log-in path uses too, so services see no change of identity.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::SubjectId;

/// 2025-07-01T00:00:00+07:00 as seconds since the Unix epoch.
pub const DEFAULT_CUTOVER_UNIX: i64 = 1_751_302_800;

/// The default cut-over: 1 July 2025, 00:00 in Vietnam (UTC+7).
pub fn default_cutover() -> DateTime<FixedOffset> {
    let instant = DateTime::from_timestamp(DEFAULT_CUTOVER_UNIX, 0).unwrap_or_default();
    instant.with_timezone(&domain::VIETNAM)
}

/// Whether a legacy username/password log-in is still allowed at `at`:
/// only strictly before `cutover`.
pub fn legacy_login_allowed(at: DateTime<FixedOffset>, cutover: DateTime<FixedOffset>) -> bool {
    at < cutover
}

/// A legacy log-in refused after the cut-over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "organisation accounts with a username and password stopped at {cutover}: log in with the level-2 personal account of the organisation's legal representative, its head, or a person it has authorised"
)]
pub struct LegacyLoginRefused {
    /// The cut-over instant.
    pub cutover: DateTime<FixedOffset>,
    /// The organisation the account belonged to, unchanged: services keep
    /// seeing the same subject through the new log-in.
    pub organisation: SubjectId,
}

/// An old username/password organisation account. The password itself is
/// checked elsewhere; this holds what the rule needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyAccount {
    /// The old username.
    pub username: String,
    /// The organisation's stable subject identifier.
    pub organisation: SubjectId,
}

impl LegacyAccount {
    /// The subject a successful legacy log-in at `at` authenticates, or
    /// the refusal with guidance once `cutover` has come.
    pub fn log_in(
        &self,
        at: DateTime<FixedOffset>,
        cutover: DateTime<FixedOffset>,
    ) -> Result<SubjectId, LegacyLoginRefused> {
        if legacy_login_allowed(at, cutover) {
            Ok(self.organisation)
        } else {
            Err(LegacyLoginRefused {
                cutover,
                organisation: self.organisation,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use uuid::Uuid;

    fn instant(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).expect(s)
    }

    #[test]
    fn the_default_is_midnight_first_july_2025_in_vietnam() {
        let c = default_cutover();
        assert_eq!(c, instant("2025-07-01T00:00:00+07:00"));
        assert_eq!(c.to_rfc3339(), "2025-07-01T00:00:00+07:00");
        assert_eq!(c, instant("2025-06-30T17:00:00Z"));
    }

    #[test]
    fn before_at_and_after_the_cutover() {
        let c = default_cutover();
        let one_ns = Duration::nanoseconds(1);
        assert!(legacy_login_allowed(c - one_ns, c));
        assert!(legacy_login_allowed(
            instant("2025-06-30T23:59:59+07:00"),
            c
        ));
        assert!(!legacy_login_allowed(c, c));
        assert!(!legacy_login_allowed(c + one_ns, c));
        // the same instant written in UTC is the same instant
        assert!(legacy_login_allowed(instant("2025-06-30T16:59:59Z"), c));
        assert!(!legacy_login_allowed(instant("2025-06-30T17:00:00Z"), c));
        // 00:30 on 1 July in Hanoi is still 30 June in UTC, and refused
        assert!(!legacy_login_allowed(
            instant("2025-07-01T00:30:00+07:00"),
            c
        ));
        // a configured cut-over
        let later = instant("2025-09-01T00:00:00+07:00");
        assert!(legacy_login_allowed(
            instant("2025-08-31T23:00:00+07:00"),
            later
        ));
        assert!(!legacy_login_allowed(later, later));
    }

    #[test]
    fn the_organisation_keeps_its_subject_and_gets_guidance() {
        let org = SubjectId::new(Uuid::from_u128(5)).expect("id");
        let account = LegacyAccount {
            username: "congty_abc".to_string(),
            organisation: org,
        };
        let c = default_cutover();
        assert_eq!(account.log_in(c - Duration::seconds(1), c), Ok(org));
        let refused = account.log_in(c, c).expect_err("after");
        assert_eq!(refused.organisation, org);
        let msg = refused.to_string();
        assert!(
            msg.contains("legal representative") && msg.contains("level-2"),
            "{msg}"
        );
        assert!(msg.contains("2025-07-01 00:00:00 +07:00"), "{msg}");
    }
}

//! What this server knows of the days it files dossiers on, for the limits
//! checked before a filing: an agency's last number of the day and an
//! account's online dossiers there that day.
//!
//! The store holds both ([`store::DossierStore::filing_day`]); reading them
//! before every filing would put one more statement on the path of every
//! dossier. So a read is kept for [`FRESH`], and this server's own filings
//! move it on meanwhile. Both figures only grow during a day, so what is
//! kept is never above the truth: a refusal it gives is always right, and
//! what it misses is at most what other servers filed within [`FRESH`],
//! which the per-account limit of a minute bounds. The day's numbers are
//! decided in the end by the store's numbering, whatever this says.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use dossier::{AgencyCode, DossierCode};
use store::FilingDay;

/// How long a read of the store is used before it is read again.
pub const FRESH: Duration = Duration::from_secs(1);

/// Past this many kept days, the stale ones are dropped at the next read.
const KEPT: usize = 50_000;

/// An account's day at an agency.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    agency: AgencyCode,
    day: NaiveDate,
    applicant: String,
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    day: FilingDay,
    read_at: Instant,
}

/// The filing days read recently, per agency, day and account.
#[derive(Debug, Default)]
pub struct FilingDays {
    seen: Mutex<HashMap<Key, Seen>>,
}

impl FilingDays {
    /// `applicant`'s day at `agency`, if it was read less than [`FRESH`]
    /// before `now` (with this server's filings since).
    pub fn known(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
        applicant: &str,
        now: Instant,
    ) -> Option<FilingDay> {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(&key(agency, day, applicant))
            .filter(|s| now.saturating_duration_since(s.read_at) < FRESH)
            .map(|s| s.day)
    }

    /// Keeps what the store said of `applicant`'s day at `agency` at `now`.
    pub fn read(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
        applicant: &str,
        read: FilingDay,
        now: Instant,
    ) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= KEPT {
            seen.retain(|_, s| now.saturating_duration_since(s.read_at) < FRESH);
        }
        seen.insert(
            key(agency, day, applicant),
            Seen {
                day: read,
                read_at: now,
            },
        );
    }

    /// Moves `applicant`'s kept day on by the dossier `code` this server
    /// just stored for them (`online`: filed online).
    pub fn filed(&self, code: &DossierCode, applicant: &str, online: bool) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(s) = seen.get_mut(&key(code.agency(), code.day(), applicant)) {
            s.day.last_number = s.day.last_number.max(code.sequence());
            if online {
                s.day.online_by_applicant = s.day.online_by_applicant.saturating_add(1);
            }
        }
    }
}

fn key(agency: &AgencyCode, day: NaiveDate, applicant: &str) -> Key {
    Key {
        agency: agency.clone(),
        day,
        applicant: applicant.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agency(s: &str) -> AgencyCode {
        AgencyCode::parse(s).expect("an agency code")
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).expect("a date")
    }

    fn day(last_number: u16, online_by_applicant: u32) -> FilingDay {
        FilingDay {
            last_number,
            online_by_applicant,
        }
    }

    #[test]
    fn a_read_is_used_until_it_is_no_longer_fresh() {
        let days = FilingDays::default();
        let a = agency("X01");
        let t0 = Instant::now();
        assert_eq!(days.known(&a, date(), "p1", t0), None, "nothing read yet");
        days.read(&a, date(), "p1", day(7, 2), t0);
        assert_eq!(days.known(&a, date(), "p1", t0), Some(day(7, 2)));
        let almost = t0 + FRESH - Duration::from_millis(1);
        assert_eq!(days.known(&a, date(), "p1", almost), Some(day(7, 2)));
        assert_eq!(days.known(&a, date(), "p1", t0 + FRESH), None, "stale");
        assert_eq!(days.known(&a, date(), "p2", t0), None, "another account");
        let tomorrow = date().succ_opt().expect("a date");
        assert_eq!(days.known(&a, tomorrow, "p1", t0), None, "another day");
        assert_eq!(days.known(&agency("X02"), date(), "p1", t0), None);
    }

    #[test]
    fn filings_move_the_kept_day_on() {
        let days = FilingDays::default();
        let a = agency("X01");
        let t0 = Instant::now();
        days.read(&a, date(), "p1", day(7, 2), t0);
        let code = |n| DossierCode::new(a.clone(), date(), n).expect("a code");
        days.filed(&code(9), "p1", true);
        assert_eq!(days.known(&a, date(), "p1", t0), Some(day(9, 3)));
        days.filed(&code(8), "p1", false);
        assert_eq!(
            days.known(&a, date(), "p1", t0),
            Some(day(9, 3)),
            "a number below the last one and a filing at the counter move nothing"
        );
        days.filed(&code(10), "p2", true);
        assert_eq!(days.known(&a, date(), "p2", t0), None, "p2 was never read");
        assert_eq!(days.known(&a, date(), "p1", t0), Some(day(9, 3)));
    }

    #[test]
    fn stale_days_are_dropped_when_many_are_kept() {
        let days = FilingDays::default();
        let a = agency("X01");
        let t0 = Instant::now();
        for i in 0..KEPT {
            days.read(&a, date(), &format!("p{i}"), day(1, 1), t0);
        }
        let later = t0 + FRESH;
        days.read(&a, date(), "new", day(1, 1), later);
        let kept = days.seen.lock().map(|s| s.len()).unwrap_or_default();
        assert_eq!(kept, 1, "only the fresh read is left");
        assert_eq!(days.known(&a, date(), "new", later), Some(day(1, 1)));
    }
}

//! Rate limits by client address: log-in attempts per minute per address
//! (the address as `auth::address` reads it), on top of each account's own
//! lock-out, so that one address cannot try one password on many accounts.
//!
//! The PDFs made for one account per minute ([`papers`]).
//!
//! The integration adapter's log-ins and calls per back office
//! ([`AdapterLimits`]).
//!
//! And the limits on filing dossiers ([`FilingLimits`]): per account, per
//! account and agency a day, and per agency, so that neither one account
//! nor a crowd of them can use up an agency's numbers of the day.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::services::dossiers::days::FilingDays;

/// Log-in attempts allowed per address and minute (a commune's service
/// centre behind one address stays well under it).
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 60;

/// PDFs an account may have made per minute (each costs about 10 ms of a
/// core, BENCHMARKS.md): far above what a person or an officer printing
/// results needs, far below what would keep a core busy.
pub const PAPERS_PER_MINUTE: u32 = 30;

/// The limit on PDFs made for one account ([`PAPERS_PER_MINUTE`]).
pub fn papers() -> Limiter<String> {
    Limiter::new(PAPERS_PER_MINUTE, Duration::from_secs(60))
}

/// Log-ins to the integration adapter per back office and minute (its
/// system logs in once a session, an hour; a few retries at most).
pub const ADAPTER_LOGINS_PER_MINUTE: u32 = 20;

/// Calls to the integration adapter per back office and minute (a call
/// carries up to 100 packets: a province's busiest minute sends far
/// fewer, a backlog drains at 60,000 packets a minute).
pub const ADAPTER_CALLS_PER_MINUTE: u32 = 600;

/// The limits of the integration adapter, per back office: log-ins (on
/// top of the limit per address) and calls.
#[derive(Debug)]
pub struct AdapterLimits {
    /// Log-ins per back office id.
    pub logins: Limiter<String>,
    /// Calls per back office id.
    pub calls: Limiter<String>,
}

impl Default for AdapterLimits {
    fn default() -> Self {
        AdapterLimits::new(ADAPTER_CALLS_PER_MINUTE)
    }
}

impl AdapterLimits {
    /// The limits, with `calls` calls per back office and minute.
    pub fn new(calls: u32) -> Self {
        AdapterLimits {
            logins: Limiter::new(ADAPTER_LOGINS_PER_MINUTE, Duration::from_secs(60)),
            calls: Limiter::new(calls, Duration::from_secs(60)),
        }
    }
}

/// A fixed-window counter per key (an address, an account, an agency).
#[derive(Debug)]
pub struct Limiter<K = IpAddr> {
    max: u32,
    window: Duration,
    counts: Mutex<HashMap<K, (Instant, u32)>>,
}

impl<K: Hash + Eq> Limiter<K> {
    /// At most `max` hits per `window` for each key.
    pub fn new(max: u32, window: Duration) -> Self {
        Limiter {
            max,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit from `key` at `now`; `Err` says how long to wait.
    pub fn hit(&self, key: K, now: Instant) -> Result<(), Duration> {
        let Ok(mut counts) = self.counts.lock() else {
            // a poisoned lock: let the request through (the per-account
            // lock-out still holds) rather than refuse everyone
            return Ok(());
        };
        if counts.len() > 100_000 {
            counts.retain(|_, (since, _)| now.saturating_duration_since(*since) < self.window);
        }
        let entry = counts.entry(key).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max {
            return Err(self
                .window
                .saturating_sub(now.saturating_duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Dossiers one account files or registers a minute (a person files a
/// few in a day; an officer registers one handed in at the counter in
/// minutes, not seconds).
pub const ACCOUNT_FILINGS_PER_MINUTE: u32 = 10;

/// Dossiers one account files online with one agency a day (a person, or
/// an organisation through its representative, files a handful).
pub const ACCOUNT_ONLINE_FILINGS_PER_AGENCY_DAY: u32 = 30;

/// Dossiers filed online with one agency a minute, by everyone (the whole
/// country's portal received about 40,000 a day in July 2025: some 80 a
/// minute in all).
pub const AGENCY_ONLINE_FILINGS_PER_MINUTE: u32 = 120;

/// How many dossiers may be filed, and how fast: `10/30/120` — per
/// account and minute, per account and agency a day (online), per agency
/// and minute (online).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilingQuota {
    /// Per account and minute.
    pub account_per_minute: u32,
    /// Per account and agency a day, online.
    pub account_per_agency_day: u32,
    /// Per agency and minute, online.
    pub agency_per_minute: u32,
}

impl Default for FilingQuota {
    fn default() -> Self {
        FilingQuota {
            account_per_minute: ACCOUNT_FILINGS_PER_MINUTE,
            account_per_agency_day: ACCOUNT_ONLINE_FILINGS_PER_AGENCY_DAY,
            agency_per_minute: AGENCY_ONLINE_FILINGS_PER_MINUTE,
        }
    }
}

impl std::str::FromStr for FilingQuota {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let numbers: Vec<u32> = s
            .split('/')
            .map(|n| n.trim().parse::<u32>().ok().filter(|n| *n > 0))
            .collect::<Option<_>>()
            .filter(|v: &Vec<u32>| v.len() == 3)
            .ok_or_else(|| {
                format!(
                    "{s:?}: three whole numbers above 0, per account and minute / per account \
                     and agency a day / per agency and minute, such as 10/30/120"
                )
            })?;
        Ok(FilingQuota {
            account_per_minute: numbers[0],
            account_per_agency_day: numbers[1],
            agency_per_minute: numbers[2],
        })
    }
}

/// The limits on filing dossiers, checked before anything is read for a
/// filing: per account (a minute), per agency (online, a minute) here;
/// per account and agency a day from the store (its online dossiers),
/// read through [`FilingDays`].
#[derive(Debug)]
pub struct FilingLimits {
    /// The numbers.
    pub quota: FilingQuota,
    /// Filings per account subject.
    pub per_account: Limiter<String>,
    /// Online filings per agency code.
    pub per_agency: Limiter<String>,
    /// The days recently read from the store.
    pub days: FilingDays,
}

impl FilingLimits {
    /// Limits of `quota`.
    pub fn new(quota: FilingQuota) -> Self {
        let minute = Duration::from_secs(60);
        FilingLimits {
            quota,
            per_account: Limiter::new(quota.account_per_minute, minute),
            per_agency: Limiter::new(quota.agency_per_minute, minute),
            days: FilingDays::default(),
        }
    }
}

impl Default for FilingLimits {
    fn default() -> Self {
        FilingLimits::new(FilingQuota::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn each_address_has_its_own_window() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.hit(ip("10.0.0.1"), t0), Ok(()));
        }
        let wait = limiter.hit(ip("10.0.0.1"), t0 + Duration::from_secs(20));
        assert_eq!(wait, Err(Duration::from_secs(40)));
        assert_eq!(limiter.hit(ip("10.0.0.2"), t0), Ok(()), "another address");
        assert_eq!(
            limiter.hit(ip("10.0.0.1"), t0 + Duration::from_secs(60)),
            Ok(()),
            "a new window"
        );
    }

    #[test]
    fn filing_quotas_are_read_as_three_numbers() {
        assert_eq!("10/30/120".parse(), Ok(FilingQuota::default()));
        let q: FilingQuota = "1/2/3".parse().expect("a quota");
        assert_eq!(
            (
                q.account_per_minute,
                q.account_per_agency_day,
                q.agency_per_minute
            ),
            (1, 2, 3)
        );
        for bad in ["", "10/30", "10/30/0", "a/b/c", "1/2/3/4"] {
            assert!(bad.parse::<FilingQuota>().is_err(), "{bad}");
        }
        let limits = FilingLimits::new(q);
        let t0 = Instant::now();
        assert_eq!(limits.per_account.hit("a".to_string(), t0), Ok(()));
        assert!(limits.per_account.hit("a".to_string(), t0).is_err());
        assert_eq!(limits.per_account.hit("b".to_string(), t0), Ok(()));
    }
}

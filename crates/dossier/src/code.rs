//! Dossier codes: `<agency code>-<YYMMDD>-<NNNN>`.
//!
//! The number is the receiving agency's sequence of the day, four digits,
//! 1 to 9,999 (Circular 01/2018 Art. 19): an agency's day holds 9,999
//! dossiers, never a five-digit number. Online filings take numbers up to
//! [`LAST_ONLINE_SEQUENCE`]; the last thousand are kept for the dossiers
//! handed in at the agency's counter or arriving by post, so that filings
//! online, however many, never close the counter. Past 9,999 the agency's
//! day is full: a dossier is refused with that reason and is received
//! from the next day.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::lifecycle::Channel;

/// The last number of an agency's day (four digits).
pub const MAX_DAILY_SEQUENCE: u16 = 9999;

/// The last number of an agency's day an online filing takes; the numbers
/// after it are kept for the counter and the post.
pub const LAST_ONLINE_SEQUENCE: u16 = 8999;

/// The last number of an agency's day a dossier filed through `channel`
/// may take.
pub fn last_sequence(channel: Channel) -> u16 {
    match channel {
        Channel::Online => LAST_ONLINE_SEQUENCE,
        Channel::InPerson | Channel::Postal => MAX_DAILY_SEQUENCE,
    }
}

/// Why a code or one of its parts was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The agency code has the wrong shape.
    #[error(
        "an agency code is 1 to 32 letters, digits and dots, starting with a letter or digit, got {0:?}"
    )]
    Agency(String),
    /// The whole code has the wrong shape.
    #[error("a dossier code is AGENCY-YYMMDD-NNNN (for example H29.22-260301-0007), got {0:?}")]
    Shape(String),
    /// The date part is not a date.
    #[error("the date part of {0:?} is not a day (YYMMDD)")]
    Date(String),
    /// The day's numbers are used up.
    #[error(
        "agency {agency} has received {MAX_DAILY_SEQUENCE} dossiers on {day}, as many as a day's \
         four-digit numbers allow: it receives dossiers again from the next day"
    )]
    Exhausted {
        /// The agency.
        agency: String,
        /// The day.
        day: NaiveDate,
    },
    /// The day's numbers for online filings are used up; the rest are
    /// kept for the counter and the post.
    #[error(
        "agency {agency} has received {LAST_ONLINE_SEQUENCE} dossiers online on {day}; its \
         last numbers of the day are kept for its counter and the post: file online again \
         from the next day, or hand the dossier in at the counter"
    )]
    OnlineExhausted {
        /// The agency.
        agency: String,
        /// The day.
        day: NaiveDate,
    },
}

/// The code of a receiving agency (a service centre, a department).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

impl AgencyCode {
    /// Reads an agency code: 1–32 ASCII letters, digits and dots, the
    /// first a letter or a digit.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let ok = (1..=32).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
        if ok {
            Ok(AgencyCode(s.to_string()))
        } else {
            Err(CodeError::Agency(s.to_string()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

domain::display_as_str!(AgencyCode);
domain::text_conversions!(AgencyCode, CodeError);

/// A dossier's code: the receiving agency, the day of receipt (Vietnam)
/// and the day's sequence number, 1 to 9999.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DossierCode {
    agency: AgencyCode,
    day: NaiveDate,
    sequence: u16,
}

impl DossierCode {
    /// The `sequence`-th dossier `agency` received on `day`.
    pub fn new(agency: AgencyCode, day: NaiveDate, sequence: u16) -> Result<Self, CodeError> {
        if sequence == 0 || sequence > MAX_DAILY_SEQUENCE {
            return Err(CodeError::Exhausted {
                agency: agency.0,
                day,
            });
        }
        if !(2000..=2099).contains(&day.year()) {
            return Err(CodeError::Date(day.to_string()));
        }
        Ok(DossierCode {
            agency,
            day,
            sequence,
        })
    }

    /// Whether a dossier filed through `channel` may take this code's
    /// number ([`last_sequence`]).
    pub fn open_to(&self, channel: Channel) -> Result<(), CodeError> {
        if self.sequence <= last_sequence(channel) {
            Ok(())
        } else if channel == Channel::Online {
            Err(CodeError::OnlineExhausted {
                agency: self.agency.0.clone(),
                day: self.day,
            })
        } else {
            Err(CodeError::Exhausted {
                agency: self.agency.0.clone(),
                day: self.day,
            })
        }
    }

    /// The code after `last` for `agency` on `day` (`None`: the first of
    /// the day).
    pub fn next(agency: AgencyCode, day: NaiveDate, last: Option<u16>) -> Result<Self, CodeError> {
        let sequence = last
            .map_or(Some(1), |n| n.checked_add(1))
            .unwrap_or(u16::MAX);
        Self::new(agency, day, sequence)
    }

    /// Reads a code such as `H29.22-260301-0007`.
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let shape = || CodeError::Shape(s.to_string());
        let mut parts = s.rsplitn(3, '-');
        let (Some(seq), Some(date), Some(agency)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(shape());
        };
        if seq.len() != 4
            || date.len() != 6
            || !seq.bytes().chain(date.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(shape());
        }
        let agency = AgencyCode::parse(agency)?;
        let number = |r: std::ops::Range<usize>| date[r].parse::<u32>().unwrap_or(0);
        let day = NaiveDate::from_ymd_opt(2000 + number(0..2) as i32, number(2..4), number(4..6))
            .ok_or_else(|| CodeError::Date(s.to_string()))?;
        let sequence = seq.parse::<u16>().map_err(|_| shape())?;
        Self::new(agency, day, sequence).map_err(|_| shape())
    }

    /// The receiving agency.
    pub fn agency(&self) -> &AgencyCode {
        &self.agency
    }

    /// The day of receipt.
    pub fn day(&self) -> NaiveDate {
        self.day
    }

    /// The day's sequence number.
    pub fn sequence(&self) -> u16 {
        self.sequence
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:02}{:02}{:02}-{:04}",
            self.agency,
            self.day.year() % 100,
            self.day.month(),
            self.day.day(),
            self.sequence
        )
    }
}

domain::text_conversions!(DossierCode, CodeError);

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn codes_are_written_and_read_back() {
        let agency = AgencyCode::parse("H29.22").unwrap();
        let code = DossierCode::new(agency.clone(), day(2026, 3, 1), 7).unwrap();
        assert_eq!(code.to_string(), "H29.22-260301-0007");
        assert_eq!(DossierCode::parse("H29.22-260301-0007").unwrap(), code);
        let with_dashless_dots = DossierCode::parse("000.00.00.H29-251231-9999").unwrap();
        assert_eq!(with_dashless_dots.sequence(), 9999);
        assert_eq!(with_dashless_dots.day(), day(2025, 12, 31));
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"H29.22-260301-0007\"");
        assert_eq!(serde_json::from_str::<DossierCode>(&json).unwrap(), code);
    }

    #[test]
    fn the_daily_sequence_starts_at_one_and_ends_at_9999() {
        let agency = AgencyCode::parse("HCC").unwrap();
        let d = day(2026, 7, 1);
        assert_eq!(
            DossierCode::next(agency.clone(), d, None)
                .unwrap()
                .sequence(),
            1
        );
        assert_eq!(
            DossierCode::next(agency.clone(), d, Some(41))
                .unwrap()
                .sequence(),
            42
        );
        let e = DossierCode::next(agency.clone(), d, Some(9999)).unwrap_err();
        assert!(matches!(e, CodeError::Exhausted { .. }), "{e}");
        assert!(DossierCode::next(agency, d, Some(u16::MAX)).is_err());
    }

    #[test]
    fn online_filings_leave_the_last_numbers_of_the_day_to_the_counter_and_the_post() {
        let agency = AgencyCode::parse("UBND.25747").unwrap();
        let d = day(2026, 7, 1);
        let code = |n| DossierCode::new(agency.clone(), d, n).unwrap();
        for ch in [Channel::Online, Channel::InPerson, Channel::Postal] {
            assert_eq!(code(1).open_to(ch), Ok(()));
            assert_eq!(code(LAST_ONLINE_SEQUENCE).open_to(ch), Ok(()));
        }
        let e = code(LAST_ONLINE_SEQUENCE + 1)
            .open_to(Channel::Online)
            .unwrap_err();
        assert!(matches!(e, CodeError::OnlineExhausted { .. }), "{e}");
        assert!(e.to_string().contains("counter"), "{e}");
        assert_eq!(
            code(LAST_ONLINE_SEQUENCE + 1).open_to(Channel::InPerson),
            Ok(())
        );
        assert_eq!(code(MAX_DAILY_SEQUENCE).open_to(Channel::Postal), Ok(()));
        assert_eq!(last_sequence(Channel::Online), 8999);
        assert_eq!(last_sequence(Channel::InPerson), 9999);
        // past 9,999 the day is full, and the code never has five digits
        let full = DossierCode::next(agency.clone(), d, Some(MAX_DAILY_SEQUENCE)).unwrap_err();
        assert!(full.to_string().contains("next day"), "{full}");
        assert!(DossierCode::parse("UBND.25747-260701-10000").is_err());
    }

    #[test]
    fn malformed_codes_say_what_is_expected() {
        for bad in [
            "",
            "H29-260301",
            "H29-260301-7",
            "H29-2603011-0007",
            "H29-260230-0007",
            "H29-260301-0000",
            "-260301-0001",
            "H 29-260301-0001",
            ".H29-260301-0001",
            "H29-26a301-0001",
        ] {
            let e = DossierCode::parse(bad).unwrap_err();
            assert!(!e.to_string().is_empty(), "{bad}");
        }
        assert!(
            DossierCode::parse("H29-2603x1-0001")
                .unwrap_err()
                .to_string()
                .contains("AGENCY-YYMMDD-NNNN")
        );
        assert!(AgencyCode::parse(&"A".repeat(33)).is_err());
    }
}

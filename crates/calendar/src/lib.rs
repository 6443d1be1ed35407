//! Vietnam's calendar for public services: the lunar calendar, public
//! holidays and working-day arithmetic.
//!
//! * [`lunar`]: Vietnam's lunisolar calendar computed at UTC+7 (not China's,
//!   computed at UTC+8: Tết 2030 is 2 February in Vietnam, 3 February in
//!   China), solar ↔ lunar for 1900–2199, leap months included;
//! * [`holidays`]: the days off of a year: the default rule of the Labor
//!   Code 2019 (Law 45/2019/QH14, Art. 111(3) and Art. 112), overridden by the
//!   schedules published each year for civil servants, shipped as data files
//!   (`data/holidays/YEAR.json`, each naming its sources);
//! * [`working`]: working days (Monday–Friday, minus days off, plus swapped
//!   working Saturdays) and the time limits of procedures: a due instant
//!   N working days after a receipt, with an afternoon cut-off, the office's
//!   closing time, and pauses while waiting on the applicant.
//!
//! Pure: no I/O, no clock. The data files are embedded at compile time and
//! parsed and validated on first use.

#![warn(missing_docs)]

pub mod holidays;
pub mod lunar;
pub mod working;

pub use holidays::{DayOff, DayOffKind, Holidays, Schedule, ScheduleError};
pub use lunar::{FIRST_YEAR, LAST_YEAR, LunarDate};
pub use working::{Cutoff, Pause, VIETNAM, WorkingCalendar, WorkingDays};

use chrono::NaiveDate;

/// What can go wrong with the calendar's input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A year outside 1900–2199.
    #[error("the year {0} is outside the supported range {FIRST_YEAR}–{LAST_YEAR}")]
    YearOutOfRange(i32),
    /// A date outside 1900–2199.
    #[error("the date {0} is outside the supported range {FIRST_YEAR}–{LAST_YEAR}")]
    DateOutOfRange(NaiveDate),
    /// A lunar date that does not exist.
    #[error("there is no lunar date {day}/{month}{} of year {year}", if *leap { " (leap)" } else { "" })]
    InvalidLunarDate {
        /// The lunar year.
        year: i32,
        /// The month.
        month: u8,
        /// Whether the leap month was asked for.
        leap: bool,
        /// The day.
        day: u8,
    },
    /// A cut-off time that is not `HH:MM` within office hours.
    #[error("invalid cut-off {0:?}: expected HH:MM between 00:01 and {close}", close = working::OFFICE_CLOSE_TEXT)]
    InvalidCutoff(String),
    /// A number of working days outside 1..=the maximum.
    #[error("invalid number of working days {0}: expected 1 to {max}", max = working::WorkingDays::MAX)]
    InvalidWorkingDays(i64),
    /// A pause that ends before it starts, or starts before the receipt.
    #[error("invalid pause from {from} to {to}: {reason}")]
    InvalidPause {
        /// When the pause starts (RFC 3339).
        from: String,
        /// When it ends (RFC 3339).
        to: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The end of an interval before its start.
    #[error("the end {to} is before the start {from}")]
    EndBeforeStart {
        /// The start (RFC 3339).
        from: String,
        /// The end (RFC 3339).
        to: String,
    },
    /// A shipped schedule that does not parse or is inconsistent.
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
}

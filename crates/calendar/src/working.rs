//! Working days and the time limits of procedures.
//!
//! A **working day** is a Monday to Friday that is not a day off, or a
//! Saturday (or Sunday) worked in exchange for a swapped day off (see
//! [`crate::holidays`]).
//!
//! A time limit of N working days is counted in Vietnam's civil time
//! (UTC+7), as follows:
//!
//! * **the first day counted** is the day of receipt when it is a working
//!   day and the dossier was received at or before the procedure's
//!   **cut-off** (e.g. 15:00; by default the close of office hours);
//!   otherwise (received later, or on a day that is not a working day) it is
//!   the next working day;
//! * **the due instant** is the close of office hours, **17:00 +07:00**
//!   ([`OFFICE_CLOSE`]), of the Nth working day counted;
//! * **pauses** (waiting on the applicant: a request to complete the
//!   dossier, a fee) stop the clock: the working days strictly between the
//!   day a pause starts and the day it ends are not counted; the day it
//!   starts still counts (the office worked on it); the day it ends counts
//!   when the dossier came back at or before the cut-off, like a receipt.
//!
//! So with a 15:00 cut-off, a dossier received on Monday 10:00 with a limit
//! of 1 working day is due on Monday 17:00; received on Monday 16:00, on
//! Tuesday 17:00.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};

use crate::CalendarError;
use crate::holidays::{Holidays, YearDays};
use crate::lunar;

/// Vietnam's civil time, UTC+7.
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// The close of office hours: the due instant's time of day.
pub const OFFICE_CLOSE: NaiveTime = match NaiveTime::from_hms_opt(17, 0, 0) {
    Some(time) => time,
    None => panic!("17:00 is a valid time"),
};

/// [`OFFICE_CLOSE`] as text, for messages.
pub const OFFICE_CLOSE_TEXT: &str = "17:00";

/// The time of day after which a receipt counts from the next working day;
/// between 00:01 and the close of office hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cutoff(NaiveTime);

impl Cutoff {
    /// A cut-off at `time`, which must be after midnight and no later than
    /// the close of office hours.
    pub fn new(time: NaiveTime) -> Result<Self, CalendarError> {
        if time > NaiveTime::MIN && time <= OFFICE_CLOSE {
            Ok(Self(time))
        } else {
            Err(CalendarError::InvalidCutoff(
                time.format("%H:%M").to_string(),
            ))
        }
    }

    /// The close of office hours as the cut-off (the default).
    pub fn office_close() -> Self {
        Self(OFFICE_CLOSE)
    }

    /// The time of day.
    pub fn time(self) -> NaiveTime {
        self.0
    }
}

impl Default for Cutoff {
    fn default() -> Self {
        Self::office_close()
    }
}

impl std::str::FromStr for Cutoff {
    type Err = CalendarError;

    /// Parses `HH:MM` (24-hour clock, two digits each).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || CalendarError::InvalidCutoff(s.to_owned());
        let bytes = s.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' {
            return Err(invalid());
        }
        let time = NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| invalid())?;
        Self::new(time).map_err(|_| invalid())
    }
}

/// A number of working days: 1 to [`WorkingDays::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkingDays(u32);

impl WorkingDays {
    /// The longest time limit accepted (about 10 years of working days).
    pub const MAX: u32 = 2500;

    /// A number of working days, checked.
    pub fn new(n: i64) -> Result<Self, CalendarError> {
        match u32::try_from(n) {
            Ok(v) if (1..=Self::MAX).contains(&v) => Ok(Self(v)),
            _ => Err(CalendarError::InvalidWorkingDays(n)),
        }
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// An interval during which the clock stops (waiting on the applicant):
/// from the instant the dossier was returned to the applicant to the
/// instant it came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
}

impl Pause {
    /// A pause; it must end after it starts.
    pub fn new(
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
    ) -> Result<Self, CalendarError> {
        if to <= from {
            return Err(CalendarError::InvalidPause {
                from: from.to_rfc3339(),
                to: to.to_rfc3339(),
                reason: "it must end after it starts",
            });
        }
        Ok(Self { from, to })
    }

    /// When it starts.
    pub fn from(&self) -> DateTime<FixedOffset> {
        self.from
    }

    /// When it ends.
    pub fn to(&self) -> DateTime<FixedOffset> {
        self.to
    }
}

/// Working days by a set of [`Holidays`].
#[derive(Debug, Clone, Copy)]
pub struct WorkingCalendar<'a> {
    holidays: &'a Holidays,
}

/// The days of the years met so far.
struct Days<'a> {
    holidays: &'a Holidays,
    year: Option<YearDays>,
}

impl Days<'_> {
    fn is_working_day(&mut self, date: NaiveDate) -> Result<bool, CalendarError> {
        use chrono::Datelike;
        let year = date.year();
        if self.year.as_ref().map(|y| y.year) != Some(year) {
            self.year = Some(self.holidays.year(year)?);
        }
        Ok(self.year.as_ref().is_some_and(|y| y.is_working_day(date)))
    }

    fn next_working_day(&mut self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        loop {
            day = day.succ_opt().ok_or(CalendarError::DateOutOfRange(date))?;
            if self.is_working_day(day)? {
                return Ok(day);
            }
        }
    }
}

/// The local (UTC+7) days a set of pauses excludes from the count.
struct Excluded(Vec<(NaiveDate, NaiveDate)>);

impl Excluded {
    fn new(pauses: &[Pause], cutoff: Cutoff) -> Self {
        let ranges = pauses
            .iter()
            .filter_map(|p| {
                let from = p.from.with_timezone(&VIETNAM);
                let to = p.to.with_timezone(&VIETNAM);
                let first = from.date_naive().succ_opt()?;
                let last = if to.date_naive() > from.date_naive() && to.time() > cutoff.time() {
                    to.date_naive()
                } else {
                    to.date_naive().pred_opt()?
                };
                (first <= last).then_some((first, last))
            })
            .collect();
        Self(ranges)
    }

    fn contains(&self, date: NaiveDate) -> bool {
        self.0
            .iter()
            .any(|(first, last)| *first <= date && date <= *last)
    }
}

impl<'a> WorkingCalendar<'a> {
    /// Working days by `holidays`.
    pub fn new(holidays: &'a Holidays) -> Self {
        Self { holidays }
    }

    /// Working days by the default rule and the shipped schedules.
    pub fn official() -> Result<WorkingCalendar<'static>, CalendarError> {
        Ok(WorkingCalendar::new(Holidays::official()?))
    }

    fn days(&self) -> Days<'a> {
        Days {
            holidays: self.holidays,
            year: None,
        }
    }

    /// Whether `date` is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        self.days().is_working_day(date)
    }

    /// The first working day after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        self.days().next_working_day(date)
    }

    /// The first day counted for a receipt at `received` (see the module's
    /// documentation).
    pub fn first_counted_day(
        &self,
        received: DateTime<FixedOffset>,
        cutoff: Cutoff,
    ) -> Result<NaiveDate, CalendarError> {
        first_counted_day(&mut self.days(), received, cutoff)
    }

    /// The due instant (17:00 +07:00 of the Nth working day counted) of a
    /// time limit of `n` working days for a dossier received at `received`,
    /// with the clock stopped during `pauses`, which must not start before
    /// the receipt.
    pub fn due(
        &self,
        received: DateTime<FixedOffset>,
        n: WorkingDays,
        cutoff: Cutoff,
        pauses: &[Pause],
    ) -> Result<DateTime<FixedOffset>, CalendarError> {
        check_pauses(received, pauses)?;
        let mut days = self.days();
        let excluded = Excluded::new(pauses, cutoff);
        let mut day = first_counted_day(&mut days, received, cutoff)?;
        let mut counted = 0;
        loop {
            if days.is_working_day(day)? && !excluded.contains(day) {
                counted += 1;
                if counted == n.get() {
                    return close_of(day);
                }
            }
            day = day.succ_opt().ok_or(CalendarError::DateOutOfRange(day))?;
        }
    }

    /// The number of working days counted from a receipt at `from` (as for
    /// [`WorkingCalendar::due`]) up to and including the day of `to`,
    /// pauses excluded: `working_days_between(r, due(r, n, ..), ..) == n`.
    pub fn working_days_between(
        &self,
        from: DateTime<FixedOffset>,
        to: DateTime<FixedOffset>,
        cutoff: Cutoff,
        pauses: &[Pause],
    ) -> Result<u32, CalendarError> {
        if to < from {
            return Err(CalendarError::EndBeforeStart {
                from: from.to_rfc3339(),
                to: to.to_rfc3339(),
            });
        }
        check_pauses(from, pauses)?;
        let mut days = self.days();
        let excluded = Excluded::new(pauses, cutoff);
        let last = to.with_timezone(&VIETNAM).date_naive();
        lunar::check_year(chrono::Datelike::year(&last))?;
        let mut day = first_counted_day(&mut days, from, cutoff)?;
        let mut counted = 0;
        while day <= last {
            if days.is_working_day(day)? && !excluded.contains(day) {
                counted += 1;
            }
            day = day.succ_opt().ok_or(CalendarError::DateOutOfRange(day))?;
        }
        Ok(counted)
    }
}

fn first_counted_day(
    days: &mut Days<'_>,
    received: DateTime<FixedOffset>,
    cutoff: Cutoff,
) -> Result<NaiveDate, CalendarError> {
    let local = received.with_timezone(&VIETNAM);
    let date = local.date_naive();
    if days.is_working_day(date)? && local.time() <= cutoff.time() {
        Ok(date)
    } else {
        days.next_working_day(date)
    }
}

fn check_pauses(received: DateTime<FixedOffset>, pauses: &[Pause]) -> Result<(), CalendarError> {
    for p in pauses {
        if p.from < received {
            return Err(CalendarError::InvalidPause {
                from: p.from.to_rfc3339(),
                to: p.to.to_rfc3339(),
                reason: "it starts before the receipt",
            });
        }
    }
    Ok(())
}

/// 17:00 +07:00 on `day`.
fn close_of(day: NaiveDate) -> Result<DateTime<FixedOffset>, CalendarError> {
    VIETNAM
        .from_local_datetime(&day.and_time(OFFICE_CLOSE))
        .single()
        .ok_or(CalendarError::DateOutOfRange(day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn n(v: i64) -> WorkingDays {
        WorkingDays::new(v).unwrap()
    }

    fn cutoff(s: &str) -> Cutoff {
        s.parse().unwrap()
    }

    fn due(received: &str, days: i64, c: &str, pauses: &[Pause]) -> String {
        let cal = WorkingCalendar::official().unwrap();
        cal.due(at(received), n(days), cutoff(c), pauses)
            .unwrap()
            .to_rfc3339()
    }

    /// Checks each case (received, working days, cut-off, due) without pauses.
    fn check_due(cases: &[(&str, i64, &str, &str)]) {
        for &(received, days, c, expected) in cases {
            assert_eq!(
                due(received, days, c, &[]),
                expected,
                "received {received}, {days} working days, cut-off {c}"
            );
        }
    }

    #[test]
    fn ordinary_weeks() {
        check_due(&[
            // Monday 1 December 2025, before the cut-off: that day counts
            (
                "2025-12-01T10:00:00+07:00",
                1,
                "15:00",
                "2025-12-01T17:00:00+07:00",
            ),
            (
                "2025-12-01T10:00:00+07:00",
                5,
                "15:00",
                "2025-12-05T17:00:00+07:00",
            ),
            (
                "2025-12-01T10:00:00+07:00",
                6,
                "15:00",
                "2025-12-08T17:00:00+07:00",
            ),
            // exactly at the cut-off still counts; a minute later does not
            (
                "2025-12-01T15:00:00+07:00",
                1,
                "15:00",
                "2025-12-01T17:00:00+07:00",
            ),
            (
                "2025-12-01T15:01:00+07:00",
                1,
                "15:00",
                "2025-12-02T17:00:00+07:00",
            ),
            // the default cut-off is the close of office hours
            (
                "2025-12-01T16:59:00+07:00",
                1,
                "17:00",
                "2025-12-01T17:00:00+07:00",
            ),
            (
                "2025-12-01T17:30:00+07:00",
                1,
                "17:00",
                "2025-12-02T17:00:00+07:00",
            ),
            // Friday after the cut-off, and weekends, count from Monday
            (
                "2025-12-05T16:00:00+07:00",
                1,
                "15:00",
                "2025-12-08T17:00:00+07:00",
            ),
            (
                "2025-12-06T09:00:00+07:00",
                3,
                "15:00",
                "2025-12-10T17:00:00+07:00",
            ),
            (
                "2025-12-07T23:00:00+07:00",
                1,
                "15:00",
                "2025-12-08T17:00:00+07:00",
            ),
        ]);
    }

    #[test]
    fn instants_are_read_in_vietnam() {
        check_due(&[
            // 08:30 UTC is 15:30 in Vietnam: after a 15:00 cut-off
            (
                "2025-12-01T08:30:00Z",
                1,
                "15:00",
                "2025-12-02T17:00:00+07:00",
            ),
            // 23:00 UTC on Sunday is Monday 06:00 in Vietnam
            (
                "2025-11-30T23:00:00Z",
                1,
                "15:00",
                "2025-12-01T17:00:00+07:00",
            ),
        ]);
    }

    #[test]
    fn around_tet() {
        check_due(&[
            // 2026: Tết days off 16–20 February, weekends 14–15 and 21–22
            (
                "2026-02-13T10:00:00+07:00",
                1,
                "15:00",
                "2026-02-13T17:00:00+07:00",
            ),
            (
                "2026-02-13T10:00:00+07:00",
                2,
                "15:00",
                "2026-02-23T17:00:00+07:00",
            ),
            (
                "2026-02-13T16:00:00+07:00",
                1,
                "15:00",
                "2026-02-23T17:00:00+07:00",
            ),
            (
                "2026-02-17T09:00:00+07:00",
                3,
                "15:00",
                "2026-02-25T17:00:00+07:00",
            ),
            // 2025: Tết days off 27–31 January
            (
                "2025-01-24T16:00:00+07:00",
                1,
                "15:00",
                "2025-02-03T17:00:00+07:00",
            ),
            (
                "2025-01-23T09:00:00+07:00",
                3,
                "15:00",
                "2025-02-03T17:00:00+07:00",
            ),
        ]);
    }

    #[test]
    fn swapped_saturdays_and_days_off() {
        check_due(&[
            // 2026: Friday 2 January is off, Saturday 10 January is worked
            (
                "2025-12-31T10:00:00+07:00",
                2,
                "15:00",
                "2026-01-05T17:00:00+07:00",
            ),
            (
                "2026-01-09T10:00:00+07:00",
                2,
                "15:00",
                "2026-01-10T17:00:00+07:00",
            ),
            (
                "2026-01-10T10:00:00+07:00",
                1,
                "15:00",
                "2026-01-10T17:00:00+07:00",
            ),
            // 2025: 30/4–4/5 off, Saturday 26 April worked
            (
                "2025-04-25T16:00:00+07:00",
                1,
                "15:00",
                "2025-04-26T17:00:00+07:00",
            ),
            (
                "2025-04-29T10:00:00+07:00",
                2,
                "15:00",
                "2025-05-05T17:00:00+07:00",
            ),
            // 2026: Hùng Kings' day (Sunday 26 April) compensated on Monday 27
            (
                "2026-04-24T16:00:00+07:00",
                1,
                "15:00",
                "2026-04-28T17:00:00+07:00",
            ),
        ]);
    }

    #[test]
    fn pauses_stop_the_clock() {
        let pause = |a: &str, b: &str| Pause::new(at(a), at(b)).unwrap();
        // received Monday 1 December 2025 10:00, 5 working days: Friday 5.
        // Each case: the pauses (from, to), the working days, the due time
        type Interval<'a> = (&'a str, &'a str);
        let received = "2025-12-01T10:00:00+07:00";
        let cases: &[(&[Interval], i64, &str)] = &[
            // Returned to the applicant on Tuesday 11:00, back on Thursday
            // 10:00 (before the cut-off): Wednesday is not counted
            (
                &[("2025-12-02T11:00:00+07:00", "2025-12-04T10:00:00+07:00")],
                5,
                "2025-12-08T17:00:00+07:00",
            ),
            // back on Thursday 16:00 (after the cut-off): Thursday not counted
            (
                &[("2025-12-02T11:00:00+07:00", "2025-12-04T16:00:00+07:00")],
                5,
                "2025-12-09T17:00:00+07:00",
            ),
            // a pause within one day costs nothing
            (
                &[("2025-12-02T09:00:00+07:00", "2025-12-02T16:00:00+07:00")],
                5,
                "2025-12-05T17:00:00+07:00",
            ),
            // a pause over a weekend costs only the working days in it
            (
                &[("2025-12-05T09:00:00+07:00", "2025-12-08T09:00:00+07:00")],
                6,
                "2025-12-08T17:00:00+07:00",
            ),
            // two pauses add up
            (
                &[
                    ("2025-12-01T11:00:00+07:00", "2025-12-03T09:00:00+07:00"),
                    ("2025-12-03T11:00:00+07:00", "2025-12-05T09:00:00+07:00"),
                ],
                3,
                "2025-12-05T17:00:00+07:00",
            ),
        ];
        for &(pauses, days, expected) in cases {
            let p: Vec<Pause> = pauses.iter().map(|&(a, b)| pause(a, b)).collect();
            assert_eq!(
                due(received, days, "15:00", &p),
                expected,
                "{days} working days, pauses {pauses:?}"
            );
        }
        // invalid pauses
        assert!(
            Pause::new(
                at("2025-12-02T11:00:00+07:00"),
                at("2025-12-02T11:00:00+07:00")
            )
            .is_err()
        );
        let early = [pause(
            "2025-11-28T11:00:00+07:00",
            "2025-12-02T09:00:00+07:00",
        )];
        let cal = WorkingCalendar::official().unwrap();
        assert!(matches!(
            cal.due(
                at("2025-12-01T10:00:00+07:00"),
                n(1),
                Cutoff::default(),
                &early
            ),
            Err(CalendarError::InvalidPause { .. })
        ));
    }

    #[test]
    fn counting_agrees_with_due() {
        let cal = WorkingCalendar::official().unwrap();
        let pauses = [Pause::new(
            at("2026-02-10T11:00:00+07:00"),
            at("2026-03-02T16:00:00+07:00"),
        )
        .unwrap()];
        let mut received = at("2025-12-29T08:00:00+07:00");
        for step in 0..400 {
            for c in ["15:00", "17:00"] {
                for days in [1, 2, 5, 15, 30] {
                    let ps: &[Pause] = if received <= pauses[0].from() {
                        &pauses
                    } else {
                        &[]
                    };
                    let due = cal.due(received, n(days), cutoff(c), ps).unwrap();
                    assert_eq!(
                        cal.working_days_between(received, due, cutoff(c), ps)
                            .unwrap(),
                        days as u32,
                        "{received} {days} {c}"
                    );
                    assert!(cal.is_working_day(due.date_naive()).unwrap());
                    assert_eq!(due.time(), OFFICE_CLOSE);
                }
            }
            // every 5 h 17 min, to visit all times of day
            received += chrono::Duration::minutes(317 + step % 3);
        }
        assert!(matches!(
            cal.working_days_between(
                at("2026-01-02T00:00:00Z"),
                at("2026-01-01T00:00:00Z"),
                Cutoff::default(),
                &[]
            ),
            Err(CalendarError::EndBeforeStart { .. })
        ));
        // a receipt after the last working day of a week counted from Monday
        assert_eq!(
            cal.working_days_between(
                at("2025-12-05T16:00:00+07:00"),
                at("2025-12-05T18:00:00+07:00"),
                cutoff("15:00"),
                &[]
            )
            .unwrap(),
            0
        );
    }

    #[test]
    fn input_is_checked() {
        assert!(WorkingDays::new(0).is_err());
        assert!(WorkingDays::new(-1).is_err());
        assert!(WorkingDays::new(i64::from(WorkingDays::MAX) + 1).is_err());
        assert!(WorkingDays::new(i64::from(WorkingDays::MAX)).is_ok());
        for bad in [
            "", "15", "1500", "15:0", "25:00", "15:60", "17:01", "00:00", "5:00", "15:00:00",
            "ab:cd",
        ] {
            assert!(bad.parse::<Cutoff>().is_err(), "{bad:?}");
        }
        assert_eq!(
            cutoff("08:30").time(),
            NaiveTime::from_hms_opt(8, 30, 0).unwrap()
        );
        let cal = WorkingCalendar::official().unwrap();
        // beyond the supported years
        assert_eq!(
            cal.due(
                at("2199-12-30T10:00:00+07:00"),
                n(10),
                Cutoff::default(),
                &[]
            ),
            Err(CalendarError::YearOutOfRange(2200))
        );
        assert!(
            cal.due(
                at("1899-12-30T10:00:00+07:00"),
                n(1),
                Cutoff::default(),
                &[]
            )
            .is_err()
        );
    }
}

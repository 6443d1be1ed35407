//! Partial dates: many older people's birth is known only to the year, or to
//! the month.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::RegistryError;

/// A calendar date known to the year, the month or the day. Written
/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (years 1000–9999), and serialised the
/// same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum PartialDate {
    /// Only the year is known.
    Year(i32),
    /// The year and month (1–12) are known.
    YearMonth(i32, u32),
    /// The full date is known.
    Date(NaiveDate),
}

/// How precisely a [`PartialDate`] is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Precision {
    /// To the year.
    Year,
    /// To the month.
    Month,
    /// To the day.
    Day,
}

/// A person's age in completed years on a given day, which a partial birth
/// date may leave uncertain: between `min` and `max` inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgeRange {
    /// The youngest the person can be.
    pub min: u32,
    /// The oldest the person can be.
    pub max: u32,
}

impl AgeRange {
    /// The age, when the birth date leaves no doubt about it.
    pub fn certain(&self) -> Option<u32> {
        (self.min == self.max).then_some(self.min)
    }

    /// Whether the person is certainly at least `years` old.
    pub fn at_least(&self, years: u32) -> bool {
        self.min >= years
    }
}

const MIN_YEAR: i32 = 1000;
const MAX_YEAR: i32 = 9999;

fn invalid(input: &str, reason: &'static str) -> RegistryError {
    RegistryError::InvalidDate {
        input: input.to_string(),
        reason,
    }
}

fn check_year(year: i32, shown: &str) -> Result<(), RegistryError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(invalid(shown, "the year must have 4 digits (1000–9999)"))
    }
}

fn check_month(month: u32, shown: &str) -> Result<(), RegistryError> {
    if (1..=12).contains(&month) {
        Ok(())
    } else {
        Err(invalid(shown, "the month must be 01 to 12"))
    }
}

/// The last day of a month (the month is valid).
fn last_day(year: i32, month: u32) -> Option<NaiveDate> {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1).and_then(|d| d.pred_opt())
}

/// Completed years between a birth day and a day on or after it. Someone
/// born on 29 February comes of age on 1 March in common years.
fn completed_years(born: NaiveDate, on: NaiveDate) -> u32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

impl PartialDate {
    /// A date known only to the year.
    pub fn year(year: i32) -> Result<Self, RegistryError> {
        check_year(year, &year.to_string())?;
        Ok(Self::Year(year))
    }

    /// A date known to the month.
    pub fn year_month(year: i32, month: u32) -> Result<Self, RegistryError> {
        let shown = format!("{year:04}-{month:02}");
        check_year(year, &shown)?;
        check_month(month, &shown)?;
        Ok(Self::YearMonth(year, month))
    }

    /// A full date; refuses days that do not exist (31 April, 29 February of
    /// a common year).
    pub fn ymd(year: i32, month: u32, day: u32) -> Result<Self, RegistryError> {
        let shown = format!("{year:04}-{month:02}-{day:02}");
        check_year(year, &shown)?;
        check_month(month, &shown)?;
        NaiveDate::from_ymd_opt(year, month, day)
            .map(Self::Date)
            .ok_or_else(|| invalid(&shown, "that day does not exist in that month"))
    }

    /// A full date from a calendar date (years 1000–9999).
    pub fn from_date(date: NaiveDate) -> Result<Self, RegistryError> {
        check_year(date.year(), &date.to_string())?;
        Ok(Self::Date(date))
    }

    /// Reads `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (surrounding spaces ignored).
    ///
    /// ```
    /// use registry::PartialDate;
    /// assert_eq!(PartialDate::parse("1948").unwrap(), PartialDate::Year(1948));
    /// assert!(PartialDate::parse("1948-02-30").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, RegistryError> {
        let t = s.trim();
        let parts: Vec<&str> = t.split('-').collect();
        let number = |p: &str, len: usize| -> Option<u32> {
            if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().ok()
            } else {
                None
            }
        };
        let shape = "write the date as YYYY, YYYY-MM or YYYY-MM-DD";
        let year = |p: &str| {
            number(p, 4)
                .and_then(|y| i32::try_from(y).ok())
                .ok_or_else(|| invalid(s, shape))
        };
        let two = |p: &str| number(p, 2).ok_or_else(|| invalid(s, shape));
        let parsed = match parts.as_slice() {
            [y] => Self::year(year(y)?),
            [y, m] => Self::year_month(year(y)?, two(m)?),
            [y, m, d] => Self::ymd(year(y)?, two(m)?, two(d)?),
            _ => Err(invalid(s, shape)),
        };
        parsed.map_err(|e| match e {
            RegistryError::InvalidDate { reason, .. } => invalid(s, reason),
            other => other,
        })
    }

    /// How precisely the date is known.
    pub fn precision(&self) -> Precision {
        match self {
            Self::Year(_) => Precision::Year,
            Self::YearMonth(..) => Precision::Month,
            Self::Date(_) => Precision::Day,
        }
    }

    /// The year, always known.
    pub fn year_number(&self) -> i32 {
        match *self {
            Self::Year(y) | Self::YearMonth(y, _) => y,
            Self::Date(d) => d.year(),
        }
    }

    /// The full date, if known to the day.
    pub fn exact(&self) -> Option<NaiveDate> {
        match *self {
            Self::Date(d) => Some(d),
            _ => None,
        }
    }

    /// The earliest day the date can be.
    pub fn earliest(&self) -> NaiveDate {
        match *self {
            Self::Year(y) => NaiveDate::from_ymd_opt(y, 1, 1),
            Self::YearMonth(y, m) => NaiveDate::from_ymd_opt(y, m, 1),
            Self::Date(d) => Some(d),
        }
        // constructors keep year and month in range
        .unwrap_or(NaiveDate::MIN)
    }

    /// The latest day the date can be.
    pub fn latest(&self) -> NaiveDate {
        match *self {
            Self::Year(y) => NaiveDate::from_ymd_opt(y, 12, 31),
            Self::YearMonth(y, m) => last_day(y, m),
            Self::Date(d) => Some(d),
        }
        .unwrap_or(NaiveDate::MAX)
    }

    /// Whether `day` may be this date.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.earliest() <= day && day <= self.latest()
    }

    /// Whether both dates may be the same day (their ranges overlap): "1950"
    /// agrees with "1950-03-02", "1950-03" does not agree with "1950-04".
    pub fn agrees_with(&self, other: &PartialDate) -> bool {
        self.earliest() <= other.latest() && other.earliest() <= self.latest()
    }

    /// Whether this date is certainly before `other`, however the unknown
    /// parts turn out.
    pub fn certainly_before(&self, other: &PartialDate) -> bool {
        self.latest() < other.earliest()
    }

    /// Whether this date is certainly after `other`.
    pub fn certainly_after(&self, other: &PartialDate) -> bool {
        self.earliest() > other.latest()
    }

    /// Whether this date is certainly before the calendar day `day`.
    pub fn certainly_before_day(&self, day: NaiveDate) -> bool {
        self.latest() < day
    }

    /// Whether this date is certainly after the calendar day `day`.
    pub fn certainly_after_day(&self, day: NaiveDate) -> bool {
        self.earliest() > day
    }

    /// The age on `on` of a person born on this date, in completed years;
    /// `None` when the person is certainly not yet born on that day. When
    /// the person may or may not be born yet, the youngest age is 0.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use registry::{AgeRange, PartialDate};
    /// let on = NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    /// let born = PartialDate::Year(1950);
    /// assert_eq!(born.age_on(on), Some(AgeRange { min: 74, max: 75 }));
    /// ```
    pub fn age_on(&self, on: NaiveDate) -> Option<AgeRange> {
        if on < self.earliest() {
            return None;
        }
        let max = completed_years(self.earliest(), on);
        let min = if on < self.latest() {
            0
        } else {
            completed_years(self.latest(), on)
        };
        Some(AgeRange { min, max })
    }
}

/// A total order for sorting and indexing: by earliest possible day, then
/// latest possible day (so "1950-01" sorts before "1950", which sorts before
/// "1950-02"). It is not a chronological claim about uncertain dates: use
/// [`PartialDate::certainly_before`] for that.
impl Ord for PartialDate {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.earliest(), self.latest()).cmp(&(other.earliest(), other.latest()))
    }
}

impl PartialOrd for PartialDate {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Year(y) => write!(f, "{y:04}"),
            Self::YearMonth(y, m) => write!(f, "{y:04}-{m:02}"),
            Self::Date(d) => write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        }
    }
}

domain::text_conversions!(PartialDate, RegistryError);

impl From<NaiveDate> for PartialDate {
    /// Any calendar date; prefer [`PartialDate::from_date`], which checks the
    /// year has 4 digits.
    fn from(d: NaiveDate) -> Self {
        Self::Date(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid day")
    }

    #[test]
    fn parses_and_formats_all_three_precisions() {
        for s in [
            "1948",
            "1948-02",
            "1948-02-29",
            "2000-12-31",
            "1000",
            "9999-12",
        ] {
            let d = PartialDate::parse(s).expect(s);
            assert_eq!(d.to_string(), s);
        }
        assert_eq!(PartialDate::parse(" 1950 "), Ok(PartialDate::Year(1950)));
        assert_eq!(
            PartialDate::parse("1950-03"),
            Ok(PartialDate::YearMonth(1950, 3))
        );
        assert_eq!(
            PartialDate::parse("1950-03-02"),
            Ok(PartialDate::Date(day(1950, 3, 2)))
        );
    }

    #[test]
    fn every_day_of_a_leap_and_a_common_year_round_trips() {
        for year in [1900, 2000, 2023, 2024] {
            for month in 1..=12u32 {
                for d in 1..=31u32 {
                    let s = format!("{year}-{month:02}-{d:02}");
                    let real = NaiveDate::from_ymd_opt(year, month, d).is_some();
                    let parsed = PartialDate::parse(&s);
                    assert_eq!(parsed.is_ok(), real, "{s}");
                    if let Ok(p) = parsed {
                        assert_eq!(p.to_string(), s);
                    }
                }
            }
        }
    }

    #[test]
    fn refuses_malformed_dates_with_a_reason() {
        for bad in [
            "",
            "48",
            "19480",
            "1948-2",
            "1948-002",
            "1948-02-1",
            "1948/02/01",
            "1948-02-01-01",
            "abcd",
            "1948-",
            "-1948",
            "0999",
            "+948",
        ] {
            let e = PartialDate::parse(bad).expect_err(bad);
            assert!(matches!(e, RegistryError::InvalidDate { .. }), "{bad}");
        }
        let e = PartialDate::parse("1948-13").expect_err("month 13");
        assert_eq!(
            e.to_string(),
            "\"1948-13\" is not a valid date: the month must be 01 to 12"
        );
        assert!(PartialDate::parse("1948-00").is_err());
        let e = PartialDate::parse("2023-02-29").expect_err("not leap");
        assert!(e.to_string().contains("does not exist"), "{e}");
        assert!(PartialDate::parse("1900-02-29").is_err());
        assert!(PartialDate::parse("2000-02-29").is_ok());
        assert!(PartialDate::parse("2024-04-31").is_err());
        assert!(PartialDate::year(999).is_err());
        assert!(PartialDate::year(10_000).is_err());
        assert!(PartialDate::year_month(2000, 0).is_err());
        assert!(PartialDate::year_month(2000, 13).is_err());
        assert!(PartialDate::ymd(2000, 6, 0).is_err());
        assert!(PartialDate::from_date(day(999, 1, 1)).is_err());
    }

    #[test]
    fn earliest_and_latest_days() {
        let y = PartialDate::Year(1950);
        assert_eq!(
            (y.earliest(), y.latest()),
            (day(1950, 1, 1), day(1950, 12, 31))
        );
        let cases = [
            (2024, 2, 29),
            (2023, 2, 28),
            (1900, 2, 28),
            (2000, 2, 29),
            (2024, 4, 30),
            (2024, 12, 31),
            (2024, 1, 31),
        ];
        for (yy, m, last) in cases {
            let p = PartialDate::YearMonth(yy, m);
            assert_eq!(p.earliest(), day(yy, m, 1));
            assert_eq!(p.latest(), day(yy, m, last), "{p}");
        }
        let d = PartialDate::Date(day(1950, 3, 2));
        assert_eq!(
            (d.earliest(), d.latest()),
            (day(1950, 3, 2), day(1950, 3, 2))
        );
        assert_eq!(d.exact(), Some(day(1950, 3, 2)));
        assert_eq!(y.exact(), None);
        assert_eq!(y.precision(), Precision::Year);
        assert!(y.contains(day(1950, 7, 1)));
        assert!(!y.contains(day(1951, 1, 1)));
    }

    #[test]
    fn comparisons_respect_uncertainty() {
        let y50 = PartialDate::Year(1950);
        let m50_3 = PartialDate::YearMonth(1950, 3);
        let m50_4 = PartialDate::YearMonth(1950, 4);
        let d50_3_2 = PartialDate::Date(day(1950, 3, 2));
        let y51 = PartialDate::Year(1951);
        assert!(y50.agrees_with(&m50_3));
        assert!(m50_3.agrees_with(&y50));
        assert!(m50_3.agrees_with(&d50_3_2));
        assert!(!m50_4.agrees_with(&d50_3_2));
        assert!(!m50_3.agrees_with(&m50_4));
        assert!(!y50.agrees_with(&y51));
        assert!(m50_3.certainly_before(&m50_4));
        assert!(m50_4.certainly_after(&m50_3));
        assert!(!y50.certainly_before(&m50_4));
        assert!(!m50_4.certainly_after(&y50));
        assert!(y50.certainly_before(&y51));
        assert!(d50_3_2.certainly_before_day(day(1950, 3, 3)));
        assert!(!d50_3_2.certainly_before_day(day(1950, 3, 2)));
        assert!(y51.certainly_after_day(day(1950, 12, 31)));
        assert!(!y50.certainly_after_day(day(1950, 6, 1)));
    }

    #[test]
    fn sort_order_is_total_and_agrees_with_equality() {
        let mut v = vec![
            PartialDate::YearMonth(1950, 2),
            PartialDate::Year(1950),
            PartialDate::Date(day(1950, 1, 1)),
            PartialDate::YearMonth(1950, 1),
            PartialDate::Year(1949),
        ];
        v.sort();
        let shown: Vec<String> = v.iter().map(|d| d.to_string()).collect();
        assert_eq!(shown, ["1949", "1950-01-01", "1950-01", "1950", "1950-02"]);
        for a in &v {
            for b in &v {
                assert_eq!(a == b, a.cmp(b) == std::cmp::Ordering::Equal);
            }
        }
    }

    /// The age of one born on `born`, on `on`, where it is certain.
    fn certain_age(born: PartialDate, on: NaiveDate) -> Option<u32> {
        born.age_on(on).and_then(|a| a.certain())
    }

    /// An age known to lie from `min` to `max` years.
    fn ages(min: u32, max: u32) -> Option<AgeRange> {
        Some(AgeRange { min, max })
    }

    #[test]
    fn age_from_a_full_date() {
        let born = PartialDate::Date(day(2000, 6, 15));
        assert_eq!(born.age_on(day(2000, 6, 14)), None);
        assert_eq!(certain_age(born, day(2000, 6, 15)), Some(0));
        assert_eq!(certain_age(born, day(2014, 6, 14)), Some(13));
        assert_eq!(certain_age(born, day(2014, 6, 15)), Some(14));
        let leap = PartialDate::Date(day(2004, 2, 29));
        assert_eq!(certain_age(leap, day(2022, 2, 28)), Some(17));
        assert_eq!(certain_age(leap, day(2022, 3, 1)), Some(18));
        assert_eq!(certain_age(leap, day(2024, 2, 29)), Some(20));
    }

    #[test]
    fn age_from_a_year_or_a_month() {
        let y = PartialDate::Year(1950);
        assert_eq!(y.age_on(day(1949, 12, 31)), None);
        assert_eq!(y.age_on(day(1950, 6, 1)), ages(0, 0));
        assert_eq!(y.age_on(day(1975, 1, 1)), ages(24, 25));
        assert_eq!(y.age_on(day(1975, 12, 31)), ages(25, 25));
        let r = y.age_on(day(1975, 6, 1)).expect("born");
        assert!(r.at_least(24) && !r.at_least(25));
        let m = PartialDate::YearMonth(2011, 7);
        assert_eq!(m.age_on(day(2025, 7, 1)), ages(13, 14));
        assert_eq!(certain_age(m, day(2025, 7, 31)), Some(14));
        assert_eq!(certain_age(m, day(2025, 6, 30)), Some(13));
    }

    #[test]
    fn serde_is_the_written_form() {
        let d = PartialDate::YearMonth(1950, 3);
        assert_eq!(serde_json::to_string(&d).expect("ser"), "\"1950-03\"");
        let back: PartialDate = serde_json::from_str("\"1950-03\"").expect("de");
        assert_eq!(back, d);
        assert!(serde_json::from_str::<PartialDate>("\"1950-13\"").is_err());
    }
}

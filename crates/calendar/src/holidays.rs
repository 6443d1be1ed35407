//! The days off of a year.
//!
//! **Default rule** (any year 1900–2199 without a published schedule): the
//! public holidays of the Labor Code 2019 (Law 45/2019/QH14), Art. 112(1):
//!
//! * Tết Dương lịch, 1 January;
//! * Tết Âm lịch, 5 days: the last day of the lunar year and the 1st to 4th
//!   days of the 1st lunar month (the Prime Minister decides the actual days
//!   each year, Art. 112(3); this is the usual choice, not a legal one);
//! * Giỗ Tổ Hùng Vương, the 10th day of the 3rd lunar month;
//! * Ngày Chiến thắng, 30 April, and Ngày Quốc tế Lao động, 1 May;
//! * Quốc khánh, 2 September and one adjacent day (decided each year): by
//!   default 1 September, or 3 September when 2 September is a Monday or a
//!   Thursday (so that the two days join a weekend);
//!
//! and, by Art. 111(3), a holiday falling on a weekly day off (Saturday or
//! Sunday) is compensated on the next working day. Two holidays falling on
//! the same day (Hùng Kings' day on 30 April or 1 May, as in 1947) are not
//! compensated: the Labor Code provides compensation only for weekly days
//! off. The rule is applied to every year alike: it is the law in force,
//! not the history of Vietnam's holidays (the Labor Code 2019 applies from
//! 2021; Hùng Kings' day has been a day off since 2007, the second National
//! Day day since 2021).
//!
//! Vietnam Culture Day (24 November) is not included: the Politburo chose it
//! as a paid day off (Resolution 80-NQ/TW, 7 January 2026) and the
//! Government asked for Art. 112 to be amended (Resolution 30/NQ-CP), but no
//! amendment in force could be confirmed.
//!
//! **Published schedules** override the rule for their year, wholly: the
//! notices for civil servants (Prime Minister's decisions relayed by the
//! Government Office and the Ministry of Home Affairs — formerly the Ministry
//! of Labour) fix the Tết and National Day days, the compensating days off
//! and the swaps of a working day with a Saturday. They are kept in
//! `data/holidays/YEAR.json`, each naming its sources, embedded at compile
//! time and validated on first use ([`Holidays::official`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::CalendarError;
use crate::lunar::{self, LunarDate};

/// The shipped schedules, one file per year.
const SHIPPED: [(&str, &str); 2] = [
    (
        "data/holidays/2025.json",
        include_str!("../data/holidays/2025.json"),
    ),
    (
        "data/holidays/2026.json",
        include_str!("../data/holidays/2026.json"),
    ),
];

/// Why a schedule file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The file is not valid JSON of the expected shape.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// The file parses but contradicts itself or the law.
    #[error("{file} ({year}): {message}")]
    Inconsistent {
        /// The file.
        file: String,
        /// The year it claims to describe.
        year: i32,
        /// What is wrong.
        message: String,
    },
    /// Two files describe the same year.
    #[error("two schedules for {0}")]
    Duplicate(i32),
}

/// The public holidays of the Labor Code 2019, Art. 112(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Holiday {
    /// Tết Dương lịch, 1 January.
    NewYear,
    /// Tết Âm lịch, the lunar new year (5 days).
    Tet,
    /// Giỗ Tổ Hùng Vương, 10th day of the 3rd lunar month.
    HungKings,
    /// Ngày Chiến thắng, 30 April.
    VictoryDay,
    /// Ngày Quốc tế Lao động, 1 May.
    LabourDay,
    /// Quốc khánh, 2 September and one adjacent day.
    NationalDay,
}

/// Why a day is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayOffKind {
    /// A public holiday itself.
    Holiday,
    /// A compensating day off for a holiday that fell on a weekend.
    Compensation,
    /// A working day swapped with a Saturday (which becomes a working day).
    Swap,
    /// Any other day off decided by the Government.
    Extra,
}

/// One day off (never a Saturday or Sunday: weekends are not listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayOff {
    /// The day.
    pub date: NaiveDate,
    /// Its name, in Vietnamese.
    pub name: String,
    /// Why it is off.
    pub kind: DayOffKind,
    /// The holiday it is, or compensates for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holiday: Option<Holiday>,
}

/// A Saturday (or Sunday) worked in exchange for a swapped day off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingWeekendDay {
    /// The day.
    pub date: NaiveDate,
    /// Why it is worked, in Vietnamese.
    pub name: String,
}

/// A legal source of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The document's number and type.
    pub document: String,
    /// Its date.
    pub date: NaiveDate,
    /// Who issued it.
    pub issuer: String,
    /// What of the schedule it decides.
    pub covers: String,
}

/// A year's published schedule of days off for civil servants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// The year.
    pub year: i32,
    /// Whom it applies to.
    pub scope: String,
    /// Its legal sources.
    pub sources: Vec<Source>,
    /// What could not be confirmed, and other remarks.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The days off that are not weekends, in order.
    pub days_off: Vec<DayOff>,
    /// The weekend days worked instead of swapped days off.
    #[serde(default)]
    pub working_saturdays: Vec<WorkingWeekendDay>,
}

impl Schedule {
    /// Parses and validates a schedule; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, ScheduleError> {
        let schedule: Schedule = serde_json::from_str(text).map_err(|e| ScheduleError::Parse {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        schedule.validate(file)?;
        Ok(schedule)
    }

    /// Checks the schedule against itself and the Labor Code: the year is
    /// supported; every date is in it, once; days off are weekdays and
    /// worked days weekend days; there are as many swaps as worked days;
    /// every holiday that falls on a weekday is a day off, and one falling
    /// on a weekend is compensated; the five Tết days surround Tết; the
    /// National Day days are 2 September and an adjacent day.
    pub fn validate(&self, file: &str) -> Result<(), ScheduleError> {
        let fail = |message: String| ScheduleError::Inconsistent {
            file: file.to_owned(),
            year: self.year,
            message,
        };
        lunar::check_year(self.year).map_err(|e| fail(e.to_string()))?;
        if self.sources.is_empty() {
            return Err(fail("no source is named".into()));
        }
        for source in &self.sources {
            if source.document.trim().is_empty() || source.issuer.trim().is_empty() {
                return Err(fail("a source lacks its document number or issuer".into()));
            }
        }
        let mut seen = BTreeSet::new();
        for day in &self.days_off {
            if day.date.year() != self.year {
                return Err(fail(format!("{} is not in {}", day.date, self.year)));
            }
            if is_weekend(day.date) {
                return Err(fail(format!(
                    "{} is a weekend day: weekends are not listed",
                    day.date
                )));
            }
            if day.name.trim().is_empty() {
                return Err(fail(format!("{} has no name", day.date)));
            }
            if day.kind == DayOffKind::Holiday && day.holiday.is_none() {
                return Err(fail(format!(
                    "{} is a holiday but does not say which",
                    day.date
                )));
            }
            if !seen.insert(day.date) {
                return Err(fail(format!("{} is listed twice", day.date)));
            }
        }
        if !self.days_off.windows(2).all(|w| w[0].date < w[1].date) {
            return Err(fail("the days off are not in order".into()));
        }
        for worked in &self.working_saturdays {
            if worked.date.year() != self.year {
                return Err(fail(format!("{} is not in {}", worked.date, self.year)));
            }
            if !is_weekend(worked.date) {
                return Err(fail(format!(
                    "{} is worked but is not a weekend day",
                    worked.date
                )));
            }
            if !seen.insert(worked.date) {
                return Err(fail(format!("{} is listed twice", worked.date)));
            }
        }
        let swaps = self
            .days_off
            .iter()
            .filter(|d| d.kind == DayOffKind::Swap)
            .count();
        if swaps != self.working_saturdays.len() {
            return Err(fail(format!(
                "{swaps} swapped days off but {} worked weekend days",
                self.working_saturdays.len()
            )));
        }

        let holiday_days = |h: Holiday| -> Vec<NaiveDate> {
            self.days_off
                .iter()
                .filter(|d| d.kind == DayOffKind::Holiday && d.holiday == Some(h))
                .map(|d| d.date)
                .collect()
        };
        let mut on_weekend = Vec::new();
        let hung_kings = LunarDate::new(self.year, 3, false, 10)
            .and_then(LunarDate::to_solar)
            .map_err(|e| fail(e.to_string()))?;
        for (holiday, date) in [
            (Holiday::NewYear, ymd(self.year, 1, 1)),
            (Holiday::HungKings, Some(hung_kings)),
            (Holiday::VictoryDay, ymd(self.year, 4, 30)),
            (Holiday::LabourDay, ymd(self.year, 5, 1)),
            (Holiday::NationalDay, ymd(self.year, 9, 2)),
        ] {
            let date = date.ok_or_else(|| fail("impossible date".into()))?;
            if is_weekend(date) {
                on_weekend.push((holiday, date));
            } else if !holiday_days(holiday).contains(&date) {
                return Err(fail(format!("{date} ({holiday:?}) is missing")));
            }
        }
        for (holiday, date) in &on_weekend {
            let compensated = self.days_off.iter().any(|d| {
                d.kind == DayOffKind::Compensation && d.holiday == Some(*holiday) && d.date > *date
            });
            if !compensated {
                return Err(fail(format!(
                    "{date} ({holiday:?}) falls on a weekend and is not compensated"
                )));
            }
        }
        let tet = lunar::tet(self.year).map_err(|e| fail(e.to_string()))?;
        let tet_days = holiday_days(Holiday::Tet);
        if tet_days.len() != 5 {
            return Err(fail(format!(
                "{} Tết days listed, the Labor Code gives 5",
                tet_days.len()
            )));
        }
        for day in &tet_days {
            if (*day - tet).num_days().abs() > 7 {
                return Err(fail(format!(
                    "the Tết day {day} is more than a week from Tết ({tet})"
                )));
            }
        }
        let national = holiday_days(Holiday::NationalDay);
        let adjacent_ok = national
            .iter()
            .all(|d| d.month() == 9 && (1..=3).contains(&d.day()));
        if national.len() > 2 || !adjacent_ok {
            return Err(fail(
                "the National Day days must be 2 September and 1 or 3 September".into(),
            ));
        }
        Ok(())
    }
}

/// The days off of one year, as the working-day arithmetic needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearDays {
    /// The year.
    pub year: i32,
    /// The days off that are not weekends, in order.
    pub days_off: Vec<DayOff>,
    /// Weekend days that are working days.
    pub working_weekend_days: Vec<NaiveDate>,
    /// Whether they come from a published schedule (else the default rule).
    pub published: bool,
}

impl YearDays {
    /// Whether `date` (in this year) is a working day.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.working_weekend_days.contains(&date) {
            return true;
        }
        !is_weekend(date) && !self.days_off.iter().any(|d| d.date == date)
    }
}

/// The holidays: the default rule and the published schedules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holidays {
    schedules: BTreeMap<i32, Schedule>,
}

static OFFICIAL: LazyLock<Result<Holidays, ScheduleError>> =
    LazyLock::new(|| Holidays::from_files(SHIPPED.iter().map(|(file, text)| (*file, *text))));

impl Holidays {
    /// The default rule with the shipped schedules (parsed and validated
    /// once, on first use).
    pub fn official() -> Result<&'static Holidays, ScheduleError> {
        OFFICIAL.as_ref().map_err(Clone::clone)
    }

    /// The default rule alone, without any published schedule.
    pub fn default_rule_only() -> Self {
        Self {
            schedules: BTreeMap::new(),
        }
    }

    /// The default rule with the schedules in `files` (name, JSON text).
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ScheduleError> {
        let mut schedules = BTreeMap::new();
        for (file, text) in files {
            let schedule = Schedule::parse(file, text)?;
            let year = schedule.year;
            if schedules.insert(year, schedule).is_some() {
                return Err(ScheduleError::Duplicate(year));
            }
        }
        Ok(Self { schedules })
    }

    /// The published schedule of `year`, if one is shipped.
    pub fn schedule(&self, year: i32) -> Option<&Schedule> {
        self.schedules.get(&year)
    }

    /// The years with a published schedule.
    pub fn published_years(&self) -> impl Iterator<Item = i32> + '_ {
        self.schedules.keys().copied()
    }

    /// The days off of `year` and its worked weekend days.
    pub fn year(&self, year: i32) -> Result<YearDays, CalendarError> {
        lunar::check_year(year)?;
        Ok(match self.schedules.get(&year) {
            Some(s) => YearDays {
                year,
                days_off: s.days_off.clone(),
                working_weekend_days: s.working_saturdays.iter().map(|w| w.date).collect(),
                published: true,
            },
            None => YearDays {
                year,
                days_off: default_days_off(year)?,
                working_weekend_days: Vec::new(),
                published: false,
            },
        })
    }

    /// The days off of `year` that are not weekends, in order.
    pub fn days_off(&self, year: i32) -> Result<Vec<DayOff>, CalendarError> {
        Ok(self.year(year)?.days_off)
    }
}

/// The days off of `year` by the default rule (see the module's
/// documentation), weekends not listed.
pub fn default_days_off(year: i32) -> Result<Vec<DayOff>, CalendarError> {
    lunar::check_year(year)?;
    let out_of_range = || CalendarError::YearOutOfRange(year);
    let date = |m, d| ymd(year, m, d).ok_or_else(out_of_range);
    let tet = lunar::tet(year)?;
    let hung_kings = LunarDate::new(year, 3, false, 10)?.to_solar()?;
    let national = date(9, 2)?;
    let adjacent = match national.weekday() {
        Weekday::Mon | Weekday::Thu => date(9, 3)?,
        _ => date(9, 1)?,
    };
    let mut holidays: Vec<(NaiveDate, &str, Holiday)> = vec![
        (date(1, 1)?, "Tết Dương lịch", Holiday::NewYear),
        (
            hung_kings,
            "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
            Holiday::HungKings,
        ),
        (date(4, 30)?, "Ngày Chiến thắng (30/4)", Holiday::VictoryDay),
        (
            date(5, 1)?,
            "Ngày Quốc tế Lao động (1/5)",
            Holiday::LabourDay,
        ),
        (adjacent, "Quốc khánh (ngày liền kề)", Holiday::NationalDay),
        (national, "Quốc khánh (2/9)", Holiday::NationalDay),
    ];
    for offset in -1..=3i64 {
        let day = tet
            .checked_add_signed(chrono::Duration::days(offset))
            .ok_or_else(out_of_range)?;
        holidays.push((day, "Tết Âm lịch", Holiday::Tet));
    }
    holidays.sort_by_key(|h| h.0);
    let taken: BTreeSet<NaiveDate> = holidays.iter().map(|h| h.0).collect();
    let mut days: BTreeMap<NaiveDate, DayOff> = BTreeMap::new();
    for (day, name, holiday) in &holidays {
        if !is_weekend(*day) {
            days.insert(
                *day,
                DayOff {
                    date: *day,
                    name: (*name).to_owned(),
                    kind: DayOffKind::Holiday,
                    holiday: Some(*holiday),
                },
            );
        }
    }
    // Art. 111(3): a holiday on a weekly day off is compensated on the next
    // working day
    for (day, name, holiday) in &holidays {
        if is_weekend(*day) {
            let mut next = *day;
            loop {
                next = next.succ_opt().ok_or_else(out_of_range)?;
                if !is_weekend(next) && !taken.contains(&next) && !days.contains_key(&next) {
                    break;
                }
            }
            days.insert(
                next,
                DayOff {
                    date: next,
                    name: format!("Nghỉ bù {name} ({})", day.format("%d/%m/%Y")),
                    kind: DayOffKind::Compensation,
                    holiday: Some(*holiday),
                },
            );
        }
    }
    Ok(days.into_values().collect())
}

/// Whether `date` is a Saturday or a Sunday.
pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The dates of one year, from the days of each month.
    fn days_of(year: i32, months: &[(u32, &[u32])]) -> Vec<NaiveDate> {
        months
            .iter()
            .flat_map(|&(m, days)| days.iter().map(move |&day| d(year, m, day)))
            .collect()
    }

    fn dates(days: &[DayOff]) -> Vec<NaiveDate> {
        days.iter().map(|d| d.date).collect()
    }

    #[test]
    fn every_shipped_file_parses_and_is_consistent() {
        for (file, text) in SHIPPED {
            let schedule = Schedule::parse(file, text).unwrap();
            assert!(file.ends_with(&format!("{}.json", schedule.year)), "{file}");
        }
        let official = Holidays::official().unwrap();
        assert_eq!(official.published_years().collect::<Vec<_>>(), [2025, 2026]);
    }

    #[test]
    fn the_2025_schedule_as_published() {
        let days = Holidays::official().unwrap().year(2025).unwrap();
        assert!(days.published);
        assert_eq!(
            dates(&days.days_off),
            days_of(
                2025,
                &[
                    (1, &[1, 27, 28, 29, 30, 31]),
                    (4, &[7, 30]),
                    (5, &[1, 2]),
                    (9, &[1, 2]),
                ]
            )
        );
        assert_eq!(days.working_weekend_days, [d(2025, 4, 26)]);
        assert!(days.is_working_day(d(2025, 4, 26)));
        assert!(!days.is_working_day(d(2025, 5, 2)));
        assert!(!days.is_working_day(d(2025, 5, 3)));
    }

    #[test]
    fn the_2026_schedule_as_published() {
        let days = Holidays::official().unwrap().year(2026).unwrap();
        assert_eq!(
            dates(&days.days_off),
            days_of(
                2026,
                &[
                    (1, &[1, 2]),
                    (2, &[16, 17, 18, 19, 20]),
                    (4, &[27, 30]),
                    (5, &[1]),
                    (8, &[31]),
                    (9, &[1, 2]),
                ]
            )
        );
        assert_eq!(days.working_weekend_days, [d(2026, 1, 10), d(2026, 8, 22)]);
        // Culture Day is not a day off: unconfirmed
        assert!(days.is_working_day(d(2026, 11, 24)));
    }

    #[test]
    fn the_default_rule() {
        // 2026 by the rule alone: Hùng Kings' day on a Sunday is compensated
        let days = default_days_off(2026).unwrap();
        assert_eq!(
            dates(&days),
            days_of(
                2026,
                &[
                    (1, &[1]),
                    (2, &[16, 17, 18, 19, 20]),
                    (4, &[27, 30]),
                    (5, &[1]),
                    (9, &[1, 2]),
                ]
            )
        );
        assert_eq!(days[6].kind, DayOffKind::Compensation);
        // 2027: Tết 6 February (Saturday): 5, 6(Sat), 7(Sun), 8, 9 → the
        // two weekend days compensated on 10 and 11 February; 2/9 is a
        // Thursday, so the adjacent day is Friday 3/9
        let days = default_days_off(2027).unwrap();
        let tet: Vec<_> = days
            .iter()
            .filter(|d| d.holiday == Some(Holiday::Tet))
            .map(|d| (d.date, d.kind))
            .collect();
        assert_eq!(
            tet,
            [
                (d(2027, 2, 5), DayOffKind::Holiday),
                (d(2027, 2, 8), DayOffKind::Holiday),
                (d(2027, 2, 9), DayOffKind::Holiday),
                (d(2027, 2, 10), DayOffKind::Compensation),
                (d(2027, 2, 11), DayOffKind::Compensation),
            ]
        );
        assert!(dates(&days).contains(&d(2027, 9, 3)));
        // no year's default list has a weekend day, every year is valid
        for year in lunar::FIRST_YEAR..=lunar::LAST_YEAR {
            let days = default_days_off(year).unwrap();
            assert!(
                days.iter()
                    .all(|d| !is_weekend(d.date) && d.date.year() == year)
            );
            assert!(days.windows(2).all(|w| w[0].date < w[1].date));
            // 11 days, or 10 when Hùng Kings' day is 30/4 or 1/5 (1947)
            assert!(days.len() >= 10, "{year}");
        }
    }

    #[test]
    fn out_of_range_years() {
        let h = Holidays::official().unwrap();
        assert_eq!(h.days_off(1899), Err(CalendarError::YearOutOfRange(1899)));
        assert_eq!(h.days_off(2200), Err(CalendarError::YearOutOfRange(2200)));
    }

    #[test]
    fn inconsistent_files_are_refused() {
        let good = SHIPPED[1].1;
        let check = |text: &str| Schedule::parse("test.json", text);
        assert!(matches!(check("{"), Err(ScheduleError::Parse { .. })));
        // a swap without its worked Saturday
        let bad = good.replace(
            r#"{ "date": "2026-01-10", "name": "Làm bù cho ngày nghỉ thứ Sáu 02/01/2026" },"#,
            "",
        );
        assert!(
            matches!(check(&bad), Err(ScheduleError::Inconsistent { .. })),
            "{bad}"
        );
        // a missing holiday
        let bad = good.replace(r#""date": "2026-04-30""#, r#""date": "2026-04-29""#);
        assert!(matches!(
            check(&bad),
            Err(ScheduleError::Inconsistent { .. })
        ));
        // a weekend day listed
        let bad = good.replace(r#""date": "2026-01-02""#, r#""date": "2026-01-03""#);
        assert!(matches!(
            check(&bad),
            Err(ScheduleError::Inconsistent { .. })
        ));
        // the compensation of Hùng Kings' day removed
        let bad = good.replace(r#""kind": "compensation""#, r#""kind": "extra""#);
        assert!(matches!(
            check(&bad),
            Err(ScheduleError::Inconsistent { .. })
        ));
        // a date of another year
        let bad = good.replace("2026-08-31", "2027-08-31");
        assert!(matches!(
            check(&bad),
            Err(ScheduleError::Inconsistent { .. })
        ));
        // two files for one year
        assert_eq!(
            Holidays::from_files([("a", good), ("b", good)]),
            Err(ScheduleError::Duplicate(2026))
        );
    }
}

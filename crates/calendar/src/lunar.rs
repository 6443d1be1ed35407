//! Vietnam's lunisolar calendar, computed at UTC+7.
//!
//! The rules are those of the traditional calendar as published for Vietnam
//! (the method is described by Hồ Ngọc Đức, "Âm lịch Việt Nam"; this is an
//! independent implementation from the astronomy):
//!
//! * a month begins on the local day (UTC+7) of the new moon;
//! * the 11th month is the month containing the winter solstice (the sun's
//!   apparent longitude reaching 270°);
//! * when there are 13 new moons between two 11th months, the first month
//!   after the first 11th month in which the sun enters no new 30° sector
//!   (a month without a major solar term, *trung khí*) is the leap month and
//!   takes the number of the month before it.
//!
//! New moons follow Jean Meeus, *Astronomical Algorithms* (2nd ed.), ch. 49
//! (with the periodic and planetary corrections), the sun's apparent
//! longitude ch. 25 (low-precision series, about 0.01°), and ΔT (TT − UT) the
//! polynomials of Espenak and Meeus (NASA, 2006).
//!
//! Every month start from the 11th month of 1898 to the one of 2200 is
//! computed once, on first use (a few thousand trigonometric terms), so a
//! conversion is then a binary search.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::CalendarError;

/// The first solar year supported.
pub const FIRST_YEAR: i32 = 1900;
/// The last solar year supported.
pub const LAST_YEAR: i32 = 2199;

/// The offset of the civil time the calendar is computed in (UTC+7), in days.
const TIME_ZONE_DAYS: f64 = 7.0 / 24.0;

/// The Julian day number of the proleptic Gregorian day 0001-01-01 minus one.
const JDN_OF_CE_DAY_ZERO: i64 = 1_721_425;

/// The mean length of a synodic month, in days (Meeus, eq. 49.1).
const SYNODIC_MONTH: f64 = 29.530_588_861;

/// A day of the lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LunarDate {
    /// The lunar year, numbered like the solar year in which its 1st month
    /// begins (so Tết of `year` falls in solar `year`).
    pub year: i32,
    /// The month, 1–12.
    pub month: u8,
    /// Whether the month is the leap (intercalary) month numbered `month`.
    pub leap: bool,
    /// The day of the month, 1–30.
    pub day: u8,
}

impl LunarDate {
    /// A lunar date, checked against the calendar: the month (and its leap
    /// flag) must exist in that year and the day in that month.
    pub fn new(year: i32, month: u8, leap: bool, day: u8) -> Result<Self, CalendarError> {
        let date = Self {
            year,
            month,
            leap,
            day,
        };
        date.to_solar()?;
        Ok(date)
    }

    /// The lunar date of a solar day.
    pub fn from_solar(date: NaiveDate) -> Result<Self, CalendarError> {
        check_solar(date)?;
        let jdn = julian_day_number(date);
        let months = &TABLE.months;
        let index = months.partition_point(|m| m.start <= jdn);
        // the table begins before 1900-01-01 and ends after 2199-12-31
        let month = index
            .checked_sub(1)
            .and_then(|i| months.get(i))
            .ok_or(CalendarError::DateOutOfRange(date))?;
        let day =
            u8::try_from(jdn - month.start + 1).map_err(|_| CalendarError::DateOutOfRange(date))?;
        Ok(Self {
            year: month.year,
            month: month.month,
            leap: month.leap,
            day,
        })
    }

    /// The solar day of this lunar date.
    pub fn to_solar(self) -> Result<NaiveDate, CalendarError> {
        let invalid = || CalendarError::InvalidLunarDate {
            year: self.year,
            month: self.month,
            leap: self.leap,
            day: self.day,
        };
        if !(1..=12).contains(&self.month) || !(1..=30).contains(&self.day) {
            return Err(invalid());
        }
        let months = &TABLE.months;
        let key = (self.year, self.month, self.leap);
        let index = months
            .binary_search_by(|m| (m.year, m.month, m.leap).cmp(&key))
            .map_err(|_| invalid())?;
        let month = &months[index];
        let next = months.get(index + 1).ok_or_else(invalid)?;
        let length = next.start - month.start;
        if i64::from(self.day) > length {
            return Err(invalid());
        }
        let date =
            date_of_julian_day_number(month.start + i64::from(self.day) - 1).ok_or_else(invalid)?;
        check_solar(date).map_err(|_| invalid())?;
        Ok(date)
    }

    /// The number of days in this date's month (29 or 30).
    pub fn month_length(self) -> Result<u8, CalendarError> {
        let start = Self { day: 1, ..self }.to_solar()?;
        let next = LunarDate::from_solar(start + chrono::Days::new(29))?;
        Ok(if next.day == 30 { 30 } else { 29 })
    }
}

/// Tết, the first day of the 1st lunar month of `year`.
pub fn tet(year: i32) -> Result<NaiveDate, CalendarError> {
    check_year(year)?;
    LunarDate {
        year,
        month: 1,
        leap: false,
        day: 1,
    }
    .to_solar()
}

/// The leap month of lunar year `year`, if it has one (a leap 11th or 12th
/// month belongs to the lunar year whose 11th and 12th months they follow).
pub fn leap_month(year: i32) -> Result<Option<u8>, CalendarError> {
    check_year(year)?;
    Ok(TABLE
        .months
        .iter()
        .find(|m| m.year == year && m.leap)
        .map(|m| m.month))
}

/// Refuses a year outside [`FIRST_YEAR`]..=[`LAST_YEAR`].
pub fn check_year(year: i32) -> Result<(), CalendarError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(CalendarError::YearOutOfRange(year))
    }
}

fn check_solar(date: NaiveDate) -> Result<(), CalendarError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
        Ok(())
    } else {
        Err(CalendarError::DateOutOfRange(date))
    }
}

/// One lunar month: its first day and its name.
#[derive(Debug, Clone, Copy)]
struct Month {
    /// Julian day number of its first day (local, UTC+7).
    start: i64,
    year: i32,
    month: u8,
    leap: bool,
}

struct Table {
    /// Every month from the 11th month of 1898 to the 11th month of 2200,
    /// in order; sorted by start and by (year, month, leap) alike.
    months: Vec<Month>,
}

static TABLE: LazyLock<Table> = LazyLock::new(build_table);

fn build_table() -> Table {
    let mut months = Vec::with_capacity(13 * 305);
    let mut k_prev = eleventh_month_lunation(FIRST_YEAR - 2);
    for cycle_year in (FIRST_YEAR - 1)..=(LAST_YEAR + 1) {
        // the months from the 11th month of `cycle_year - 1` up to (not
        // including) the 11th month of `cycle_year`
        let k_next = eleventh_month_lunation(cycle_year);
        let count = k_next - k_prev;
        let leap_index = if count == 13 {
            (1..13).find(|&i| {
                major_term_sector(new_moon_day(k_prev + i))
                    == major_term_sector(new_moon_day(k_prev + i + 1))
            })
        } else {
            None
        };
        let mut month: u8 = 11;
        let mut year = cycle_year - 1;
        for i in 0..count {
            let leap = Some(i) == leap_index;
            if i > 0 && !leap {
                month = month % 12 + 1;
                if month == 1 {
                    year = cycle_year;
                }
            }
            months.push(Month {
                start: new_moon_day(k_prev + i),
                year,
                month,
                leap,
            });
        }
        k_prev = k_next;
    }
    // the 11th month of the last cycle, closing the table
    months.push(Month {
        start: new_moon_day(k_prev),
        year: LAST_YEAR + 1,
        month: 11,
        leap: false,
    });
    Table { months }
}

/// The lunation number (k of Meeus, 0 = the new moon of 6 January 2000) of
/// the 11th month of lunar year `year`: the month containing the winter
/// solstice of solar `year`.
fn eleventh_month_lunation(year: i32) -> i64 {
    let Some(dec31) = NaiveDate::from_ymd_opt(year, 12, 31) else {
        return 0;
    };
    let last_day = julian_day_number(dec31);
    // the last new moon on or before 31 December
    let mut k = ((last_day as f64 - 2_451_550.1) / SYNODIC_MONTH).floor() as i64;
    while new_moon_day(k + 1) <= last_day {
        k += 1;
    }
    while new_moon_day(k) > last_day {
        k -= 1;
    }
    // if the sun had already passed 270° when it began, the solstice fell
    // in the month before
    if major_term_sector(new_moon_day(k)) >= 9 {
        k - 1
    } else {
        k
    }
}

/// The local (UTC+7) Julian day number of the day of new moon `k`.
fn new_moon_day(k: i64) -> i64 {
    let jd_ut = new_moon_jde(k as f64) - delta_t_days(year_of_jd(new_moon_jde(k as f64)));
    (jd_ut + 0.5 + TIME_ZONE_DAYS).floor() as i64
}

/// The 30° sector (0–11) of the sun's apparent longitude at the start
/// (local midnight) of the day with Julian day number `jdn`.
fn major_term_sector(jdn: i64) -> i64 {
    let jd_ut = jdn as f64 - 0.5 - TIME_ZONE_DAYS;
    let jde = jd_ut + delta_t_days(year_of_jd(jd_ut));
    (sun_apparent_longitude(jde) / 30.0).floor() as i64
}

fn sin_deg(x: f64) -> f64 {
    x.to_radians().sin()
}

fn normalize_degrees(x: f64) -> f64 {
    x.rem_euclid(360.0)
}

/// The instant (JDE, dynamical time) of the true new moon number `k`
/// (Meeus, ch. 49).
fn new_moon_jde(k: f64) -> f64 {
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let t4 = t3 * t;
    let mean = 2_451_550.097_66 + SYNODIC_MONTH * k + 0.000_154_37 * t2 - 0.000_000_150 * t3
        + 0.000_000_000_73 * t4;
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t2;
    // the sun's and the moon's mean anomalies, the moon's argument of
    // latitude and the longitude of its ascending node
    let m = 2.5534 + 29.105_356_70 * k - 0.000_001_4 * t2 - 0.000_000_11 * t3;
    let mp =
        201.5643 + 385.816_935_28 * k + 0.010_758_2 * t2 + 0.000_012_38 * t3 - 0.000_000_058 * t4;
    let f =
        160.7108 + 390.670_502_84 * k - 0.001_611_8 * t2 - 0.000_002_27 * t3 + 0.000_000_011 * t4;
    let om = 124.7746 - 1.563_755_88 * k + 0.002_067_2 * t2 + 0.000_002_15 * t3;

    let periodic = -0.40720 * sin_deg(mp)
        + 0.17241 * e * sin_deg(m)
        + 0.01608 * sin_deg(2.0 * mp)
        + 0.01039 * sin_deg(2.0 * f)
        + 0.00739 * e * sin_deg(mp - m)
        - 0.00514 * e * sin_deg(mp + m)
        + 0.00208 * e * e * sin_deg(2.0 * m)
        - 0.00111 * sin_deg(mp - 2.0 * f)
        - 0.00057 * sin_deg(mp + 2.0 * f)
        + 0.00056 * e * sin_deg(2.0 * mp + m)
        - 0.00042 * sin_deg(3.0 * mp)
        + 0.00042 * e * sin_deg(m + 2.0 * f)
        + 0.00038 * e * sin_deg(m - 2.0 * f)
        - 0.00024 * e * sin_deg(2.0 * mp - m)
        - 0.00017 * sin_deg(om)
        - 0.00007 * sin_deg(mp + 2.0 * m)
        + 0.00004 * sin_deg(2.0 * mp - 2.0 * f)
        + 0.00004 * sin_deg(3.0 * m)
        + 0.00003 * sin_deg(mp + m - 2.0 * f)
        + 0.00003 * sin_deg(2.0 * mp + 2.0 * f)
        - 0.00003 * sin_deg(mp + m + 2.0 * f)
        + 0.00003 * sin_deg(mp - m + 2.0 * f)
        - 0.00002 * sin_deg(mp - m - 2.0 * f)
        - 0.00002 * sin_deg(3.0 * mp + m)
        + 0.00002 * sin_deg(4.0 * mp);

    // planetary arguments: (constant, rate per lunation, coefficient)
    const PLANETARY: [(f64, f64, f64); 13] = [
        (251.88, 0.016_321, 0.000_165),
        (251.83, 26.651_886, 0.000_164),
        (349.42, 36.412_478, 0.000_126),
        (84.66, 18.206_239, 0.000_110),
        (141.74, 53.303_771, 0.000_062),
        (207.14, 2.453_732, 0.000_060),
        (154.84, 7.306_860, 0.000_056),
        (34.52, 27.261_239, 0.000_047),
        (207.19, 0.121_824, 0.000_042),
        (291.34, 1.844_379, 0.000_040),
        (161.72, 24.198_154, 0.000_037),
        (239.56, 25.513_099, 0.000_035),
        (331.55, 3.592_518, 0.000_023),
    ];
    let a1 = 299.77 + 0.107_408 * k - 0.009_173 * t2;
    let planetary = 0.000_325 * sin_deg(a1)
        + PLANETARY
            .iter()
            .map(|&(c, rate, coef)| coef * sin_deg(c + rate * k))
            .sum::<f64>();

    mean + periodic + planetary
}

/// The sun's apparent geocentric longitude in degrees at `jde` (Meeus,
/// ch. 25, low precision).
fn sun_apparent_longitude(jde: f64) -> f64 {
    let t = (jde - 2_451_545.0) / 36_525.0;
    let t2 = t * t;
    let l0 = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t2;
    let m = 357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t2;
    let c = (1.914_602 - 0.004_817 * t - 0.000_014 * t2) * sin_deg(m)
        + (0.019_993 - 0.000_101 * t) * sin_deg(2.0 * m)
        + 0.000_289 * sin_deg(3.0 * m);
    let omega = 125.04 - 1_934.136 * t;
    normalize_degrees(l0 + c - 0.005_69 - 0.004_78 * sin_deg(omega))
}

/// The (fractional) year of a Julian day.
fn year_of_jd(jd: f64) -> f64 {
    2000.0 + (jd - 2_451_545.0) / 365.25
}

/// ΔT = TT − UT in days for a fractional year (Espenak and Meeus, 2006).
fn delta_t_days(y: f64) -> f64 {
    let seconds = if y < 1920.0 {
        let t = y - 1900.0;
        -2.79 + 1.494_119 * t - 0.059_893_9 * t * t + 0.006_196_6 * t.powi(3)
            - 0.000_197 * t.powi(4)
    } else if y < 1941.0 {
        let t = y - 1920.0;
        21.20 + 0.844_93 * t - 0.076_100 * t * t + 0.002_093_6 * t.powi(3)
    } else if y < 1961.0 {
        let t = y - 1950.0;
        29.07 + 0.407 * t - t * t / 233.0 + t.powi(3) / 2547.0
    } else if y < 1986.0 {
        let t = y - 1975.0;
        45.45 + 1.067 * t - t * t / 260.0 - t.powi(3) / 718.0
    } else if y < 2005.0 {
        let t = y - 2000.0;
        63.86 + 0.3345 * t - 0.060_374 * t * t
            + 0.001_727_5 * t.powi(3)
            + 0.000_651_814 * t.powi(4)
            + 0.000_023_735_99 * t.powi(5)
    } else if y < 2050.0 {
        let t = y - 2000.0;
        62.92 + 0.322_17 * t + 0.005_589 * t * t
    } else if y < 2150.0 {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u - 0.5628 * (2150.0 - y)
    } else {
        let u = (y - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u
    };
    seconds / 86_400.0
}

/// The Julian day number of a (proleptic Gregorian) date.
pub(crate) fn julian_day_number(date: NaiveDate) -> i64 {
    i64::from(date.num_days_from_ce()) + JDN_OF_CE_DAY_ZERO
}

/// The date of a Julian day number.
fn date_of_julian_day_number(jdn: i64) -> Option<NaiveDate> {
    let days = i32::try_from(jdn - JDN_OF_CE_DAY_ZERO).ok()?;
    NaiveDate::from_num_days_from_ce_opt(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn julian_day_numbers() {
        assert_eq!(julian_day_number(d(2000, 1, 1)), 2_451_545);
        assert_eq!(julian_day_number(d(1900, 1, 1)), 2_415_021);
        assert_eq!(date_of_julian_day_number(2_451_545), Some(d(2000, 1, 1)));
    }

    #[test]
    fn tet_in_vietnam() {
        // Tết as observed in Vietnam (UTC+7); where China's (UTC+8) differs
        // it is noted
        let known = [
            (1900, d(1900, 1, 31)),
            (1968, d(1968, 1, 29)), // China: 30 January
            (1985, d(1985, 1, 21)), // China: 20 February
            (1990, d(1990, 1, 27)),
            (2000, d(2000, 2, 5)),
            (2001, d(2001, 1, 24)),
            (2002, d(2002, 2, 12)),
            (2003, d(2003, 2, 1)),
            (2004, d(2004, 1, 22)),
            (2005, d(2005, 2, 9)),
            (2006, d(2006, 1, 29)),
            (2007, d(2007, 2, 17)), // China: 18 February
            (2008, d(2008, 2, 7)),
            (2009, d(2009, 1, 26)),
            (2010, d(2010, 2, 14)),
            (2011, d(2011, 2, 3)),
            (2012, d(2012, 1, 23)),
            (2013, d(2013, 2, 10)),
            (2014, d(2014, 1, 31)),
            (2015, d(2015, 2, 19)),
            (2016, d(2016, 2, 8)),
            (2017, d(2017, 1, 28)),
            (2018, d(2018, 2, 16)),
            (2019, d(2019, 2, 5)),
            (2020, d(2020, 1, 25)),
            (2021, d(2021, 2, 12)),
            (2022, d(2022, 2, 1)),
            (2023, d(2023, 1, 22)),
            (2024, d(2024, 2, 10)),
            (2025, d(2025, 1, 29)),
            (2026, d(2026, 2, 17)),
            (2027, d(2027, 2, 6)),
            (2028, d(2028, 1, 26)),
            (2029, d(2029, 2, 13)),
            (2030, d(2030, 2, 2)), // China: 3 February
        ];
        for (year, date) in known {
            assert_eq!(tet(year).unwrap(), date, "Tết {year}");
        }
    }

    #[test]
    fn leap_months() {
        assert_eq!(leap_month(2020).unwrap(), Some(4));
        assert_eq!(leap_month(2023).unwrap(), Some(2));
        assert_eq!(leap_month(2025).unwrap(), Some(6));
        assert_eq!(leap_month(2028).unwrap(), Some(5));
        for (year, month) in [
            (2001, 4),
            (2004, 2),
            (2006, 7),
            (2009, 5),
            (2012, 4),
            (2014, 9),
            (2017, 6),
        ] {
            assert_eq!(leap_month(year).unwrap(), Some(month), "{year}");
        }
        for year in [2021, 2022, 2024, 2026, 2027] {
            assert_eq!(leap_month(year).unwrap(), None, "{year}");
        }
        // the leap 6th month of 2025 began on 25 July 2025
        let leap = LunarDate::from_solar(d(2025, 7, 25)).unwrap();
        assert_eq!(
            (leap.year, leap.month, leap.leap, leap.day),
            (2025, 6, true, 1)
        );
    }

    #[test]
    fn known_days() {
        // the last day of Giáp Thìn was the 29th of the 12th month
        let eve = LunarDate::from_solar(d(2025, 1, 28)).unwrap();
        assert_eq!(
            (eve.year, eve.month, eve.leap, eve.day),
            (2024, 12, false, 29)
        );
        // Hùng Kings' day 2025 and 2026
        let hung = LunarDate::new(2025, 3, false, 10).unwrap();
        assert_eq!(hung.to_solar().unwrap(), d(2025, 4, 7));
        let hung = LunarDate::new(2026, 3, false, 10).unwrap();
        assert_eq!(hung.to_solar().unwrap(), d(2026, 4, 26));
    }

    #[test]
    fn round_trip_every_day() {
        let first = d(1900, 1, 31);
        let last = d(2199, 12, 31);
        let mut day = first;
        let mut previous: Option<LunarDate> = None;
        while day <= last {
            let lunar = LunarDate::from_solar(day).unwrap();
            assert_eq!(lunar.to_solar().unwrap(), day, "{day} {lunar:?}");
            assert!((1..=30).contains(&lunar.day));
            if let Some(p) = previous {
                // the next day is the next day of the month, or day 1
                assert!(
                    (lunar.day == p.day + 1
                        && (lunar.year, lunar.month, lunar.leap) == (p.year, p.month, p.leap))
                        || (lunar.day == 1 && (p.day == 29 || p.day == 30)),
                    "{day}: {p:?} then {lunar:?}"
                );
            }
            previous = Some(lunar);
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn every_year_has_twelve_months_and_at_most_one_leap() {
        for year in FIRST_YEAR..LAST_YEAR {
            for month in 1..=12u8 {
                assert!(
                    LunarDate::new(year, month, false, 1).is_ok(),
                    "{year}/{month}"
                );
            }
            let leaps = TABLE
                .months
                .iter()
                .filter(|m| m.year == year && m.leap)
                .count();
            assert!(leaps <= 1, "{year}");
        }
    }

    #[test]
    fn tet_and_leap_months_stay_in_their_bounds() {
        let mut leap_years = 0;
        for year in FIRST_YEAR..=LAST_YEAR {
            let t = tet(year).unwrap();
            // Tết is the second new moon after the winter solstice (or the
            // third in a year with a leap 11th or 12th month)
            assert!(
                t >= d(year, 1, 19) && t <= d(year, 2, 21),
                "Tết {year}: {t}"
            );
            if leap_month(year).unwrap().is_some() {
                leap_years += 1;
            }
        }
        // 7 leap months in 19 years
        assert!((105..=116).contains(&leap_years), "{leap_years}");
    }

    #[test]
    fn refuses_what_does_not_exist() {
        assert!(LunarDate::new(2024, 12, false, 30).is_err()); // 29 days
        assert!(LunarDate::new(2024, 4, true, 1).is_err()); // no leap month
        assert!(LunarDate::new(2025, 13, false, 1).is_err());
        assert!(LunarDate::new(2025, 1, false, 0).is_err());
        assert!(LunarDate::from_solar(d(1899, 12, 31)).is_err());
        assert!(LunarDate::from_solar(d(2200, 1, 1)).is_err());
        assert!(tet(1899).is_err());
        assert!(tet(2200).is_err());
    }
}

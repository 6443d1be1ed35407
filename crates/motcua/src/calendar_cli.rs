//! `motcua calendar`: Vietnam's holidays, lunar dates and the due dates of
//! procedures, as JSON on standard output (see the `calendar` crate).
//!
//! * `holidays YEAR`: the days off of YEAR (weekends not listed), as
//!   `[{"date": "YYYY-MM-DD", "name": "..."}]`;
//! * `lunar YYYY-MM-DD`: `{"solar", "lunar_day", "lunar_month",
//!   "lunar_year", "leap_month"}`;
//! * `due --from RFC3339 --working-days N [--cutoff HH:MM]`: `{"due":
//!   RFC3339}` at +07:00, the close of office hours (17:00) of the Nth
//!   working day.
//!
//! Bad input is an error: a message on standard error, a non-zero exit.

use anyhow::{Context, bail};
use calendar::{Cutoff, Holidays, LunarDate, WorkingCalendar, WorkingDays};
use chrono::{DateTime, NaiveDate};
use serde_json::json;

#[derive(clap::Subcommand, Debug)]
pub enum CalendarCommand {
    /// The days off of YEAR (1900–2199) for civil servants, weekends not
    /// listed: the published schedule when one is shipped, else the Labor
    /// Code's rule.
    Holidays {
        /// The year, 1900–2199.
        #[arg(allow_negative_numbers = true)]
        year: i64,
    },
    /// The lunar date (Vietnam's calendar, UTC+7) of a solar date.
    Lunar {
        /// The solar date, YYYY-MM-DD (1900–2199).
        date: String,
    },
    /// The due instant of a time limit in working days.
    Due(DueArgs),
}

#[derive(clap::Args, Debug)]
pub struct DueArgs {
    /// When the complete dossier was received (RFC 3339, e.g.
    /// 2026-02-13T10:00:00+07:00).
    #[arg(long)]
    from: String,

    /// The time limit, in working days (at least 1).
    #[arg(long, allow_negative_numbers = true)]
    working_days: i64,

    /// Receipts after this time of day (HH:MM, Vietnam's time) count from the
    /// next working day [default: 17:00, the close of office hours].
    #[arg(long)]
    cutoff: Option<String>,
}

pub fn run(command: CalendarCommand) -> anyhow::Result<()> {
    let value = match command {
        CalendarCommand::Holidays { year } => holidays(year)?,
        CalendarCommand::Lunar { date } => lunar(&date)?,
        CalendarCommand::Due(args) => due(&args)?,
    };
    println!("{value}");
    Ok(())
}

fn holidays(year: i64) -> anyhow::Result<serde_json::Value> {
    let Ok(year) = i32::try_from(year) else {
        bail!(
            "the year {year} is outside the supported range {}–{}",
            calendar::FIRST_YEAR,
            calendar::LAST_YEAR
        );
    };
    let days = Holidays::official()?.days_off(year)?;
    Ok(serde_json::Value::Array(
        days.iter()
            .map(|d| json!({"date": d.date.format("%Y-%m-%d").to_string(), "name": d.name}))
            .collect(),
    ))
}

/// Parses a date written exactly `YYYY-MM-DD`.
fn parse_date(text: &str) -> anyhow::Result<NaiveDate> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        bail!("invalid date {text:?}: expected YYYY-MM-DD");
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("invalid date {text:?}: no such day"))
}

fn lunar(text: &str) -> anyhow::Result<serde_json::Value> {
    let date = parse_date(text)?;
    let lunar = LunarDate::from_solar(date)?;
    Ok(json!({
        "solar": date.format("%Y-%m-%d").to_string(),
        "lunar_day": lunar.day,
        "lunar_month": lunar.month,
        "lunar_year": lunar.year,
        "leap_month": lunar.leap,
    }))
}

fn due(args: &DueArgs) -> anyhow::Result<serde_json::Value> {
    let from = DateTime::parse_from_rfc3339(&args.from).with_context(|| {
        format!(
            "invalid --from {:?}: expected an RFC 3339 instant such as 2026-02-13T10:00:00+07:00",
            args.from
        )
    })?;
    let n = WorkingDays::new(args.working_days)?;
    let cutoff = match &args.cutoff {
        Some(text) => text.parse::<Cutoff>()?,
        None => Cutoff::office_close(),
    };
    let due = WorkingCalendar::official()?.due(from, n, cutoff, &[])?;
    Ok(json!({ "due": due.to_rfc3339() }))
}

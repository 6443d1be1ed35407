//! `motcua calendar holidays | lunar | due`, run as the real binary.

use std::process::{Command, Output};

use serde_json::{Value, json};

fn motcua(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .output()
        .expect("motcua runs")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "motcua failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::str::from_utf8(&out.stdout).expect("UTF-8 output");
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn fails(args: &[&str], needle: &str) {
    let out = motcua(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
}

#[test]
fn calendar_holidays_lists_the_published_days_off() {
    let days = json_of(&motcua(&["calendar", "holidays", "2026"]));
    let days = days.as_array().expect("an array");
    let dates: Vec<&str> = days
        .iter()
        .map(|d| d["date"].as_str().expect("date"))
        .collect();
    assert_eq!(
        dates,
        [
            "2026-01-01",
            "2026-01-02",
            "2026-02-16",
            "2026-02-17",
            "2026-02-18",
            "2026-02-19",
            "2026-02-20",
            "2026-04-27",
            "2026-04-30",
            "2026-05-01",
            "2026-08-31",
            "2026-09-01",
            "2026-09-02",
        ]
    );
    assert_eq!(
        days[0],
        json!({"date": "2026-01-01", "name": "Tết Dương lịch"})
    );
    assert_eq!(days[2]["name"], "Tết Âm lịch");
    // a year without a published schedule follows the Labor Code
    let days = json_of(&motcua(&["calendar", "holidays", "2030"]));
    assert!(days.as_array().expect("an array").len() >= 11);
}

#[test]
fn calendar_lunar_converts_a_solar_date() {
    let out = json_of(&motcua(&["calendar", "lunar", "2030-02-02"]));
    assert_eq!(
        out,
        json!({"solar": "2030-02-02", "lunar_day": 1, "lunar_month": 1, "lunar_year": 2030, "leap_month": false})
    );
    let out = json_of(&motcua(&["calendar", "lunar", "2025-07-25"]));
    assert_eq!(out["lunar_month"], 6);
    assert_eq!(out["leap_month"], true);
}

#[test]
fn calendar_due_counts_working_days() {
    // Friday 13 February 2026 after a 15:00 cut-off: Tết follows
    let out = json_of(&motcua(&[
        "calendar",
        "due",
        "--from",
        "2026-02-13T16:00:00+07:00",
        "--working-days",
        "2",
        "--cutoff",
        "15:00",
    ]));
    assert_eq!(out, json!({"due": "2026-02-24T17:00:00+07:00"}));
    // without a cut-off: the close of office hours (10:30 UTC is 17:30 in
    // Vietnam)
    let out = json_of(&motcua(&[
        "calendar",
        "due",
        "--from",
        "2026-02-13T10:30:00Z",
        "--working-days",
        "1",
    ]));
    assert_eq!(out, json!({"due": "2026-02-23T17:00:00+07:00"}));
}

#[test]
fn calendar_refuses_bad_input() {
    fails(&["calendar", "holidays", "1899"], "1899");
    fails(&["calendar", "holidays", "2200"], "2200");
    fails(&["calendar", "lunar", "2025-02-30"], "2025-02-30");
    fails(&["calendar", "lunar", "25-1-1"], "YYYY-MM-DD");
    fails(&["calendar", "lunar", "1899-12-31"], "1899-12-31");
    fails(
        &[
            "calendar",
            "due",
            "--from",
            "yesterday",
            "--working-days",
            "1",
        ],
        "RFC 3339",
    );
    fails(
        &[
            "calendar",
            "due",
            "--from",
            "2026-02-13T16:00:00+07:00",
            "--working-days",
            "0",
        ],
        "working days",
    );
    fails(
        &[
            "calendar",
            "due",
            "--from",
            "2026-02-13T16:00:00+07:00",
            "--working-days",
            "1",
            "--cutoff",
            "25:00",
        ],
        "cut-off",
    );
}

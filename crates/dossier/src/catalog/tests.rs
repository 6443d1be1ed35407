use calendar::WorkingCalendar;
use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};

use super::*;
use crate::{FieldKind, Status, Timeline};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("an instant")
}

/// A one-procedure catalog with `changes` applied to the procedure.
pub(crate) fn fixture(changes: Value) -> String {
    let mut p = json!({
        "code": "thu-nghiem",
        "name_vi": "Đăng ký thử nghiệm", "name_en": "Test registration",
        "field_vi": "Hộ tịch", "field_en": "Civil status",
        "level": "commune", "authority": "ubnd",
        "authority_vi": "Ủy ban nhân dân cấp xã", "authority_en": "Commune People's Committee",
        "working_days": 3, "days_kind": "working", "cutoff": "15:00",
        "fees": [], "exemptions_vi": [], "exemptions_en": [],
        "documents": [
            {"key": "to-khai", "name_vi": "Tờ khai", "name_en": "Declaration", "required": true, "held_by_state": null},
            {"key": "cccd", "name_vi": "Căn cước", "name_en": "Identity card", "required": true, "held_by_state": "registry.person"}
        ],
        "form": {"type": "object", "additionalProperties": false, "required": ["place"],
                 "properties": {"place": {"type": "string", "title": "Nơi nộp hồ sơ", "pattern": "^[0-9]{5}$"},
                                "name": {"type": "string", "title": "Họ tên", "x-prefill": "applicant.full_name"}}},
        "result_vi": "Giấy xác nhận", "result_en": "Certificate",
        "legal_basis": ["Luật Hộ tịch 2014"], "sources": ["https://example.invalid"]
    });
    if let (Some(p), Some(c)) = (p.as_object_mut(), changes.as_object()) {
        for (k, v) in c {
            p.insert(k.clone(), v.clone());
        }
    }
    Value::Array(vec![p]).to_string()
}

#[test]
fn the_official_catalog_reads_and_holds_the_procedures_the_law_names() {
    let catalog = Catalog::official().expect("the shipped catalog is valid");
    assert!(
        catalog.procedures().len() >= 20,
        "{}",
        catalog.procedures().len()
    );
    for p in catalog.procedures() {
        assert!(!p.sources.is_empty(), "{} names no source", p.code);
        assert!(!p.documents.is_empty(), "{} lists no document", p.code);
        assert!(p.working_days <= 60, "{}", p.code);
        // the place to file fits the level
        let place = p.schema().field("place").expect("place");
        let FieldKind::Text { pattern_source, .. } = &place.kind else {
            panic!("{}: place is text", p.code);
        };
        let want = match p.level {
            Level::Commune => "^[0-9]{5}$",
            Level::Province | Level::Ministry => "^[0-9]{2}$",
        };
        assert_eq!(pattern_source.as_deref(), Some(want), "{}", p.code);
        assert!(place.required, "{}", p.code);
        // an agency code can be made for it
        assert!(
            crate::routing::competent(
                p,
                if p.level == Level::Commune {
                    "25747"
                } else {
                    "79"
                }
            )
            .is_ok(),
            "{}",
            p.code
        );
    }
    for name in [
        "khai sinh",
        "khai tử",
        "kết hôn",
        "thường trú",
        "tạm trú",
        "lý lịch tư pháp",
        "hộ kinh doanh",
    ] {
        let hits = catalog.search(name);
        assert!(!hits.is_empty(), "{name}");
        assert!(
            units::fold::words(&hits[0].name_vi).contains(&units::fold::words(name)),
            "{name}: {}",
            hits[0].name_vi
        );
    }
}

#[test]
fn search_ignores_diacritics_case_and_language() {
    let catalog = Catalog::official().expect("catalog");
    let first = |q: &str| catalog.search(q).first().map(|p| p.code.clone());
    let birth = first("Đăng ký khai sinh");
    assert!(birth.is_some());
    assert_eq!(first("dang ky khai sinh"), birth);
    assert_eq!(first("KHAI SINH"), birth);
    assert_eq!(first("khai sin"), birth, "a word being typed matches");
    assert_eq!(first("birth registration"), birth);
    assert!(catalog.search("zzzz khai sinh").is_empty());
    assert_eq!(catalog.search("").len(), catalog.procedures().len());
    assert_eq!(catalog.search("   ").len(), catalog.procedures().len());
}

#[test]
fn a_catalog_with_a_flaw_is_refused_with_the_procedure_named() {
    assert!(Catalog::from_json(&fixture(json!({}))).is_ok());
    let cases = [
        (json!({"code": "Khai Sinh"}), "lowercase"),
        (json!({"legal_basis": []}), "no legal basis"),
        (json!({"cutoff": "3pm"}), "HH:MM"),
        (json!({"level": "district"}), "district"),
        (
            json!({"form": {"type": "object", "properties": {}}}),
            "no \"place\"",
        ),
        (
            json!({"form": {"type": "object", "properties": {"place": {"type": "string", "title": "P", "const": "1"}}}}),
            "const",
        ),
        (
            json!({"documents": [
            {"key": "a", "name_vi": "A", "name_en": "A", "required": true, "held_by_state": null},
            {"key": "a", "name_vi": "B", "name_en": "B", "required": true, "held_by_state": null}]}),
            "twice",
        ),
        (
            json!({"documents": [{"key": "a", "name_vi": "A", "name_en": "A", "required": true, "held_by_state": "rumour"}]}),
            "rumour",
        ),
        (json!({"surprise": 1}), "surprise"),
    ];
    for (change, needle) in cases {
        let e = Catalog::from_json(&fixture(change.clone()))
            .expect_err("refused")
            .to_string();
        assert!(e.contains(needle), "{change}: {e}");
    }
    let twice = format!(
        "[{},{}]",
        fixture(json!({})).trim_matches(['[', ']']),
        fixture(json!({})).trim_matches(['[', ']'])
    );
    assert!(matches!(
        Catalog::from_json(&twice),
        Err(CatalogError::Duplicate(_))
    ));
    let one = |code: &str, place: u8| {
        fixture(json!({"code": code, "featured": place}))
            .trim_matches(['[', ']'])
            .to_string()
    };
    let same_place = format!("[{},{}]", one("mot", 1), one("hai", 1));
    assert!(matches!(
        Catalog::from_json(&same_place),
        Err(CatalogError::FeaturedTwice(a, b, 1)) if a == "mot" && b == "hai"
    ));
}

#[test]
fn the_commonly_used_services_come_in_their_order() {
    let one = |code: &str, place: Option<u8>| {
        fixture(json!({"code": code, "featured": place}))
            .trim_matches(['[', ']'])
            .to_string()
    };
    let json = format!(
        "[{},{},{}]",
        one("ba", Some(3)),
        one("khong", None),
        one("mot", Some(1))
    );
    let c = Catalog::from_json(&json).expect("catalog");
    let codes: Vec<&str> = c.featured().iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes, ["mot", "ba"]);
    let official = Catalog::official().expect("catalog");
    let featured = official.featured();
    assert!(featured.len() >= 6, "the home page offers at least six");
    assert_eq!(featured[0].code, "khai-sinh");
}

#[test]
fn the_state_held_documents_are_not_asked_for() {
    let c = Catalog::from_json(&fixture(json!({}))).expect("catalog");
    let p = c.get("thu-nghiem").expect("procedure");
    let asked: Vec<&str> = p.documents_to_provide().map(|d| d.key.as_str()).collect();
    assert_eq!(asked, ["to-khai"]);
}

fn due_of(changes: Value, received: &str, pauses: &[(&str, &str)]) -> Option<String> {
    let c = Catalog::from_json(&fixture(changes)).expect("catalog");
    let p = c.get("thu-nghiem").expect("procedure");
    let calendar = WorkingCalendar::official().expect("calendar");
    let mut t = Timeline::begin(at(received), Status::Received);
    for (from, to) in pauses {
        t.record(at(from), Status::Processing).expect("step");
        t.record(at(from), Status::SupplementRequested)
            .expect("step");
        t.record(at(to), Status::Processing).expect("step");
    }
    p.due(&calendar, &t, at("2026-12-31T00:00:00+07:00"))
        .expect("due")
        .map(|d| d.to_rfc3339())
}

#[test]
fn due_dates_follow_the_kind_of_days_and_the_cut_off() {
    // Monday 2 March 2026, 3 working days: Wednesday 4 March, 17:00
    assert_eq!(
        due_of(json!({}), "2026-03-02T10:00:00+07:00", &[]).as_deref(),
        Some("2026-03-04T17:00:00+07:00")
    );
    // after the 15:00 cut-off: counted from Tuesday
    assert_eq!(
        due_of(json!({}), "2026-03-02T15:30:00+07:00", &[]).as_deref(),
        Some("2026-03-05T17:00:00+07:00")
    );
    // on the day (0): that day, or the next working day after the cut-off
    // (Friday 6 March after 15:00 → Monday 9 March)
    assert_eq!(
        due_of(json!({"working_days": 0}), "2026-03-02T09:00:00+07:00", &[]).as_deref(),
        Some("2026-03-02T17:00:00+07:00")
    );
    assert_eq!(
        due_of(json!({"working_days": 0}), "2026-03-06T16:00:00+07:00", &[]).as_deref(),
        Some("2026-03-09T17:00:00+07:00")
    );
    // 10 calendar days from Monday 2 March: Wednesday 11 March; from
    // Wednesday 4 March the tenth day is Friday 13 March; from Thursday
    // 5 March it is Saturday 14 → the next working day, Monday 16
    let cal = json!({"working_days": 10, "days_kind": "calendar"});
    assert_eq!(
        due_of(cal.clone(), "2026-03-02T09:00:00+07:00", &[]).as_deref(),
        Some("2026-03-11T17:00:00+07:00")
    );
    assert_eq!(
        due_of(cal.clone(), "2026-03-04T09:00:00+07:00", &[]).as_deref(),
        Some("2026-03-13T17:00:00+07:00")
    );
    assert_eq!(
        due_of(cal.clone(), "2026-03-05T09:00:00+07:00", &[]).as_deref(),
        Some("2026-03-16T17:00:00+07:00")
    );
    // waiting on the applicant from Tuesday to Thursday morning: Wednesday
    // is not counted; back on Thursday afternoon, Thursday is not either
    assert_eq!(
        due_of(
            cal.clone(),
            "2026-03-02T09:00:00+07:00",
            &[("2026-03-03T09:00:00+07:00", "2026-03-05T09:00:00+07:00")]
        )
        .as_deref(),
        Some("2026-03-12T17:00:00+07:00")
    );
    assert_eq!(
        due_of(
            cal,
            "2026-03-02T09:00:00+07:00",
            &[("2026-03-03T09:00:00+07:00", "2026-03-05T16:00:00+07:00")]
        )
        .as_deref(),
        Some("2026-03-13T17:00:00+07:00")
    );
    // not received: no due date
    let c = Catalog::from_json(&fixture(json!({}))).expect("catalog");
    let p = c.get("thu-nghiem").expect("procedure");
    let calendar = WorkingCalendar::official().expect("calendar");
    let t = Timeline::begin(at("2026-03-02T09:00:00+07:00"), Status::NewlyRegistered);
    assert_eq!(
        p.due(&calendar, &t, at("2026-03-09T09:00:00+07:00")),
        Ok(None)
    );
    assert_eq!(p.time_limit_vi(), "3 ngày làm việc");
    assert_eq!(p.time_limit_en(), "3 working days");
}

#[test]
fn dates_of_what_has_happened_are_never_after_today_and_parties_are_marked() {
    let catalog = Catalog::official().expect("the shipped catalog is valid");
    let mut births = 0;
    for p in catalog.procedures() {
        for f in p.schema().fields() {
            if ["birth_date", "death_date"]
                .iter()
                .any(|k| f.key.ends_with(k))
            {
                births += 1;
                assert!(
                    matches!(
                        f.kind,
                        FieldKind::Date {
                            not_after_today: true
                        }
                    ),
                    "{}.{}",
                    p.code,
                    f.key
                );
            }
        }
    }
    assert!(births >= 15, "{births}");
    let ward = catalog
        .get("giam-ho")
        .and_then(|p| p.schema().field("ward_person_id"))
        .expect("the ward");
    assert!(ward.party);
    // a birth is about the child's parents: the applicant and the spouse
    let birth = catalog.get("khai-sinh").expect("birth registration");
    let form = json!({"applicant_person_id": "079090000001", "spouse_person_id": "079090000002",
                      "child_full_name": "079090000003"});
    let mut parties = birth.schema().parties(form.as_object().expect("an object"));
    parties.sort_unstable();
    assert_eq!(parties, ["079090000001", "079090000002"]);
}

//! Acceptance: every legacy commune of the official conversion table,
//! written in full, with a street, abbreviated, without diacritics and (where
//! its name is unique in its old province) without its district, converts to
//! the new commune the table names, or, when the table splits it, comes back
//! `ambiguous` with exactly its candidates.

use std::collections::BTreeMap;

use units::{Expected, SampleKind, Status, Units};

fn check(kind: SampleKind) {
    let u = Units::get();
    let mut failures = Vec::new();
    let mut n = 0usize;
    for s in u.samples().into_iter().filter(|s| s.kind == kind) {
        n += 1;
        let c = u.convert(&s.input);
        let ok = match &s.expected {
            Expected::Converted {
                province_code,
                commune_code,
            } => {
                c.status == Status::Converted
                    && c.commune_code.as_deref() == Some(commune_code.as_str())
                    && c.province_code.as_deref() == Some(province_code.as_str())
                    && s.street.as_deref().is_none_or(|street| {
                        c.street.as_deref() == Some(street)
                            && c.address.as_deref().is_some_and(|a| a.starts_with(street))
                    })
            }
            Expected::Ambiguous { candidates } => {
                let mut got: Vec<&str> = c
                    .candidates
                    .iter()
                    .map(|c| c.commune_code.as_str())
                    .collect();
                got.sort_unstable();
                c.status == Status::Ambiguous
                    && c.commune_code.is_none()
                    && c.address.is_none()
                    && got == candidates.iter().map(String::as_str).collect::<Vec<_>>()
            }
        };
        if !ok {
            failures.push(format!(
                "{:?}\n    expected {:?}\n    got {} {:?} {:?} street={:?} {:?}",
                s.input,
                s.expected,
                c.status.as_str(),
                c.commune_code,
                c.candidates
                    .iter()
                    .map(|c| c.commune_code.as_str())
                    .collect::<Vec<_>>(),
                c.street,
                c.reason,
            ));
        }
    }
    assert!(n > 5_000, "{kind:?}: only {n} samples");
    assert!(
        failures.is_empty(),
        "{kind:?}: {} of {n} samples wrong; first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn full() {
    check(SampleKind::Full);
}

#[test]
fn street() {
    check(SampleKind::Street);
}

#[test]
fn abbreviated() {
    check(SampleKind::Abbreviated);
}

#[test]
fn no_diacritics() {
    check(SampleKind::NoDiacritics);
}

#[test]
fn no_district() {
    check(SampleKind::NoDistrict);
}

#[test]
fn split_communes_are_in_the_set() {
    let u = Units::get();
    let mut per_kind: BTreeMap<SampleKind, usize> = BTreeMap::new();
    for s in u.samples() {
        if matches!(s.expected, Expected::Ambiguous { .. }) {
            *per_kind.entry(s.kind).or_default() += 1;
        }
    }
    // 441 old communes were split; every kind but `no_district` has them all
    assert_eq!(per_kind.get(&SampleKind::Full), Some(&441));
    assert_eq!(per_kind.get(&SampleKind::Abbreviated), Some(&441));
}

#[test]
fn brief_conversion_is_the_same_but_for_the_legacy_units() {
    let u = Units::get();
    for s in u.samples().iter().step_by(3) {
        let full = u.convert(&s.input);
        let mut brief = u.convert_brief(&s.input);
        assert!(brief.legacy.is_empty());
        brief.legacy = full.legacy.clone();
        assert_eq!(brief, full, "{:?}", s.input);
    }
}

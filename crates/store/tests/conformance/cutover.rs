//! The cut-over of closed portals: a dossier brought in keeps its old code
//! in its own row (once per portal and code), is found by it, and the
//! review list keeps what a person decides on.

use calendar::WorkingCalendar;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use dossier::{AgencyCode, Catalog, Dossier, DossierCode, Legacy, Notice};
use store::{CutoverReview, ErrorKind};

use super::Harness;

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 1, 0, 0)
        .single()
        .expect("a time")
        + Duration::minutes(minute)
}

fn june(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, d).expect("a day")
}

/// A dossier of the old portal `source` with old code `old`, under `code`.
fn brought_in(source: &str, old: &str, code: DossierCode) -> Dossier {
    let agency = AgencyCode::parse("UBND.00691").expect("agency");
    let procedure = Catalog::official()
        .expect("catalog")
        .get("khai-sinh")
        .expect("a procedure");
    let calendar = WorkingCalendar::official().expect("calendar");
    let day = code.day();
    let mut d = dossier::sample::returned(code, &agency, "08", procedure, &calendar, day)
        .expect("a dossier");
    d.legacy = Some(Legacy {
        source: source.into(),
        code: old.into(),
        unit: "000.00.24.H23".into(),
        place: ["02".into(), "024".into(), "00691".into()],
        summary: "Đăng ký khai sinh".into(),
        files: Vec::new(),
    });
    d
}

async fn bring_in(
    store: &dyn store::Store,
    pairs: &[(&'static str, &'static str)],
) -> Result<Vec<Result<store::StoredDossier, store::StoreError>>, store::StoreError> {
    let on_days: Vec<_> = pairs.iter().map(|&(s, o)| (s, o, june(20))).collect();
    bring_in_on(store, &on_days).await
}

/// Brings in `(source, old code, day of receipt)` in one batch.
async fn bring_in_on(
    store: &dyn store::Store,
    dossiers: &[(&'static str, &'static str, NaiveDate)],
) -> Result<Vec<Result<store::StoredDossier, store::StoreError>>, store::StoreError> {
    let agency = AgencyCode::parse("UBND.00691").expect("agency");
    let makers: Vec<_> = dossiers
        .iter()
        .map(|&(source, old, _)| {
            move |code: DossierCode| -> Result<(Dossier, Option<Notice>), store::StoreError> {
                Ok((brought_in(source, old, code), None))
            }
        })
        .collect();
    let batch: Vec<store::NewDossier<'_>> = makers
        .iter()
        .zip(dossiers)
        .map(|(make, &(_, _, day))| store::NewDossier {
            agency: &agency,
            day,
            at: at(0),
            make,
        })
        .collect();
    store
        .dossiers()
        .create_dossiers(&batch, &mut |_| Vec::new())
        .await
}

pub async fn a_dossier_brought_in_keeps_its_old_code_once(h: &Harness) {
    let store = h.open().await;
    let cutover = store.cutover();
    assert!(cutover.imported("02").await.expect("read").is_empty());
    // the same old code in the two merged provinces' portals: two dossiers
    let out = bring_in(
        store.as_ref(),
        &[("02", "HS-0001"), ("08", "HS-0001"), ("02", "HS-0002")],
    )
    .await
    .expect("stored");
    let codes: Vec<String> = out
        .iter()
        .map(|o| o.as_ref().expect("stored").dossier.code.to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "UBND.00691-250620-0001",
            "UBND.00691-250620-0002",
            "UBND.00691-250620-0003"
        ]
    );
    let of_02 = cutover.imported("02").await.expect("read");
    assert_eq!(of_02.len(), 2);
    assert_eq!(of_02["HS-0001"], codes[0]);
    assert_eq!(of_02["HS-0002"], codes[2]);
    let found = cutover.by_legacy_code("HS-0001").await.expect("read");
    let found: Vec<String> = found.iter().map(|s| s.dossier.code.to_string()).collect();
    assert_eq!(found, [codes[0].clone(), codes[1].clone()]);
    assert!(
        cutover
            .by_legacy_code(" HS-0002 ")
            .await
            .expect("read")
            .len()
            == 1
    );
    assert!(
        cutover
            .by_legacy_code("HS-9")
            .await
            .expect("read")
            .is_empty()
    );
    // an old code of a portal brought in again: the whole batch is refused,
    // its numbers given back
    let again = bring_in(store.as_ref(), &[("02", "HS-0003"), ("02", "HS-0001")])
        .await
        .expect_err("a second copy");
    assert_eq!(again.kind(), ErrorKind::Conflict, "{again}");
    let kept = cutover.imported("02").await.expect("read");
    assert!(!kept.contains_key("HS-0003"), "{kept:?}");
    let next = bring_in(store.as_ref(), &[("02", "HS-0003")])
        .await
        .expect("stored");
    assert_eq!(
        next[0].as_ref().expect("stored").dossier.code.to_string(),
        "UBND.00691-250620-0004"
    );
}

fn review(source: &str, old: &str, kind: &str, minute: i64) -> CutoverReview {
    CutoverReview {
        source: source.into(),
        old_code: old.into(),
        kind: kind.into(),
        reason: format!("{kind} of {old}"),
        candidates: vec!["00691".into(), "00694".into()],
        line: format!("{{\"HoSo\":{{\"MaHoSo\":\"{old}\"}}}}"),
        first_at: at(minute),
        last_at: at(minute),
        settled: None,
    }
}

pub async fn the_review_list_keeps_each_dossier_once_until_decided(h: &Harness) {
    let store = h.open().await;
    let cutover = store.cutover();
    cutover
        .put_reviews(&[
            review("02", "A", "split_commune", 0),
            review("08", "B", "unknown_procedure", 1),
        ])
        .await
        .expect("put");
    // found again by a second import: the first time kept, the reason new
    cutover
        .put_reviews(&[review("02", "A", "unknown_place", 5)])
        .await
        .expect("put");
    let all = cutover.reviews(None, true).await.expect("read");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].old_code, "A");
    assert_eq!(all[0].kind, "unknown_place");
    assert_eq!(all[0].first_at, at(0));
    assert_eq!(all[0].last_at, at(5));
    assert_eq!(all[0].candidates, ["00691", "00694"]);
    assert_eq!(
        cutover.reviews(Some("08"), true).await.expect("read").len(),
        1
    );
    let code = DossierCode::parse("UBND.00694-250620-0001").expect("a code");
    assert!(
        cutover
            .settle_review("02", "A", &code, "operator", at(9))
            .await
            .expect("settled")
    );
    assert!(
        !cutover
            .settle_review("02", "A", &code, "operator", at(10))
            .await
            .expect("once")
    );
    // decided: off the open list, and a later import leaves it decided
    cutover
        .put_reviews(&[review("02", "A", "split_commune", 12)])
        .await
        .expect("put");
    let open = cutover.reviews(None, true).await.expect("read");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].old_code, "B");
    let a = cutover
        .review("02", "A")
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(
        a.settled,
        Some((at(9), code.to_string(), "operator".to_string()))
    );
    assert_eq!(a.kind, "unknown_place");
    assert_eq!(cutover.reviews(None, false).await.expect("read").len(), 2);
    assert!(cutover.review("02", "C").await.expect("read").is_none());
}

/// Codes of a batch's outcomes.
fn codes(out: &[Result<store::StoredDossier, store::StoreError>]) -> Vec<String> {
    out.iter()
        .map(|o| o.as_ref().expect("stored").dossier.code.to_string())
        .collect()
}

pub async fn a_batch_over_days_far_apart_numbers_each_day_after_its_last(h: &Harness) {
    let store = h.open().await;
    // a portal's dossiers span weeks: one batch, days a month apart
    let may = NaiveDate::from_ymd_opt(2025, 5, 2).expect("a day");
    let first = bring_in_on(
        store.as_ref(),
        &[
            ("02", "A-1", may),
            ("02", "A-2", june(20)),
            ("02", "A-3", may),
        ],
    )
    .await
    .expect("stored");
    assert_eq!(
        codes(&first),
        [
            "UBND.00691-250502-0001",
            "UBND.00691-250620-0001",
            "UBND.00691-250502-0002"
        ]
    );
    // the next batch goes on from each day's last number, whatever days
    // came between
    let second = bring_in_on(
        store.as_ref(),
        &[
            ("02", "B-1", june(27)),
            ("02", "B-2", may),
            ("02", "B-3", june(20)),
            ("02", "B-4", june(1)),
        ],
    )
    .await
    .expect("stored");
    assert_eq!(
        codes(&second),
        [
            "UBND.00691-250627-0001",
            "UBND.00691-250502-0003",
            "UBND.00691-250620-0002",
            "UBND.00691-250601-0001"
        ]
    );
    let third = bring_in_on(
        store.as_ref(),
        &[("02", "C-1", may), ("02", "C-2", june(1))],
    )
    .await
    .expect("stored");
    assert_eq!(
        codes(&third),
        ["UBND.00691-250502-0004", "UBND.00691-250601-0002"]
    );
}

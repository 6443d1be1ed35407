//! Dossiers: codes taken in the dossier's own transaction, neither
//! repeated nor skipped under concurrent submissions.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use dossier::{AgencyCode, Channel, DossierCode, Lifecycle};

use crate::Harness;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("a day")
}

/// Stores an empty dossier from `channel` received by `agency` on `day`.
async fn submit(
    store: &dyn store::Store,
    agency: &AgencyCode,
    on: NaiveDate,
    channel: Channel,
) -> Result<store::StoredDossier, store::StoreError> {
    let at = Utc
        .with_ymd_and_hms(2026, 3, 1, 2, 0, 0)
        .single()
        .expect("time");
    store
        .dossiers()
        .create_dossier(
            agency,
            on,
            &Lifecycle::start(channel),
            &serde_json::json!({}),
            at,
        )
        .await
}

pub async fn dossier_codes_are_gapless_and_unique_under_concurrency(h: &Harness) {
    let store: Arc<dyn store::Store> = h.open().await;
    let hcc = AgencyCode::parse("H29.22").expect("agency");
    let at = Utc
        .with_ymd_and_hms(2026, 3, 1, 2, 0, 0)
        .single()
        .expect("time");
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            let hcc = hcc.clone();
            tokio::spawn(async move {
                store
                    .dossiers()
                    .create_dossier(
                        &hcc,
                        day(1),
                        &Lifecycle::start(Channel::Online),
                        &serde_json::json!({ "n": i }),
                        at,
                    )
                    .await
                    .expect("stored")
                    .code
            })
        })
        .collect();
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.expect("task").sequence());
    }
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=40).collect::<Vec<u16>>(),
        "no gap, no duplicate"
    );
    let listed = store
        .dossiers()
        .codes_of_day(&hcc, day(1))
        .await
        .expect("list");
    assert_eq!(listed.len(), 40);
    assert_eq!(listed[0].to_string(), "H29.22-260301-0001");

    // another agency, another day: their own numbers
    let other = AgencyCode::parse("H29.23").expect("agency");
    let first = submit(store.as_ref(), &other, day(1), Channel::InPerson)
        .await
        .expect("stored");
    assert_eq!(first.code.to_string(), "H29.23-260301-0001");
    let next_day = submit(store.as_ref(), &hcc, day(2), Channel::Postal)
        .await
        .expect("stored");
    assert_eq!(next_day.code.sequence(), 1);
    // read back whole
    let code = DossierCode::parse("H29.23-260301-0001").expect("code");
    assert_eq!(
        store.dossiers().dossier(&code).await.expect("read"),
        Some(first)
    );
}

pub async fn a_refused_dossier_gives_its_number_back(h: &Harness) {
    let store = h.open().await;
    let hcc = AgencyCode::parse("H29.22").expect("agency");
    // the day's last number was given
    h.execute(
        "INSERT INTO dossier_sequences (agency, day, last) VALUES ('H29.22', '2026-03-01', 9999)",
    )
    .await;
    for _ in 0..2 {
        let e = submit(store.as_ref(), &hcc, day(1), Channel::Online)
            .await
            .expect_err("no number left");
        assert!(e.to_string().contains("9999"), "{e}");
    }
    assert!(
        store
            .dossiers()
            .codes_of_day(&hcc, day(1))
            .await
            .expect("list")
            .is_empty()
    );
    // a dossier whose insert fails keeps no number: the code is taken
    // again by the next one
    h.execute(
        "INSERT INTO dossiers (code, agency, day, sequence, status, body, created_ns) \
         VALUES ('H29.22-260302-0001', 'H29.22', '2026-03-02', 1, 1, '{}', 0)",
    )
    .await;
    let clash = submit(store.as_ref(), &hcc, day(2), Channel::Online).await;
    assert!(clash.is_err(), "the stored row takes number 1");
    h.execute("DELETE FROM dossiers WHERE code = 'H29.22-260302-0001'")
        .await;
    let again = submit(store.as_ref(), &hcc, day(2), Channel::Online)
        .await
        .expect("stored");
    assert_eq!(
        again.code.sequence(),
        1,
        "the failed store gave its number back"
    );
}

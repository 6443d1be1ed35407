//! Dossiers: codes taken in the dossier's own transaction, neither
//! repeated nor skipped under concurrent submissions; changes under a
//! version (a stale writer is refused); notices written with the change
//! that causes them (the outbox the mailer reads); queues, lists and the
//! scorecard's figures.

use std::sync::Arc;

use calendar::WorkingCalendar;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use dossier::{
    Act, Actor, AgencyCode, Applicant, Catalog, Channel, Dossier, DossierCode, Filing, Notice,
    Outcome, Role, Route, Status,
};
use serde_json::Map;
use store::{DownFrom, FeedPosition};

use crate::Harness;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("a day")
}

fn vn(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("an instant")
}

fn utc(s: &str) -> DateTime<Utc> {
    vn(s).with_timezone(&Utc)
}

const COMPETENT: &str = "UBND.25747";

fn officer(role: Role) -> Actor {
    Actor {
        subject: "officer-1".into(),
        name: "Trần Thị Bình".into(),
        role,
        agency: Some(AgencyCode::parse(COMPETENT).expect("agency")),
        person_id: None,
    }
}

fn applicant(subject: &str) -> Actor {
    Actor {
        subject: subject.into(),
        name: "Nguyễn Văn An".into(),
        role: Role::Applicant,
        agency: None,
        person_id: None,
    }
}

/// Builds the dossier of `subject` (a test procedure with 3 working days)
/// filed through `channel` at `at`, received by `agency`.
fn make(
    subject: &str,
    agency: &AgencyCode,
    channel: Channel,
    at: DateTime<FixedOffset>,
    code: DossierCode,
) -> Result<(Dossier, Option<Notice>), store::StoreError> {
    let catalog = Catalog::official().expect("catalog");
    let procedure = catalog.get("dang-ky-tam-tru").expect("procedure");
    let calendar = WorkingCalendar::official().expect("calendar");
    let by = if channel == Channel::InPerson {
        Actor {
            agency: Some(agency.clone()),
            ..officer(Role::Officer)
        }
    } else {
        applicant(subject)
    };
    let d = Dossier::file(
        code,
        Filing {
            procedure: procedure.code.clone(),
            channel,
            applicant: Applicant {
                subject: subject.into(),
                name: "Nguyễn Văn An".into(),
                person_id: None,
                email: Some(format!("{subject}@example.vn")),
            },
            route: Route {
                competent: AgencyCode::parse(COMPETENT).expect("agency"),
                receiving: agency.clone(),
                province: "79".into(),
            },
            place: "25747".into(),
            form: Map::new(),
            prefilled: Vec::new(),
            at,
            by,
        },
        procedure,
        &calendar,
    )
    .map_err(|e| store::StoreError::refused(e.to_string()))?;
    let notice = Notice {
        status: d.status(),
        text_vi: format!("Hồ sơ {} đã được nộp", d.code),
        text_en: format!("Dossier {} was filed", d.code),
    };
    Ok((d, Some(notice)))
}

/// Stores a dossier of `subject` from `channel` received by `agency` on `on`.
async fn submit(
    store: &dyn store::Store,
    agency: &AgencyCode,
    on: NaiveDate,
    channel: Channel,
    subject: &str,
) -> Result<store::StoredDossier, store::StoreError> {
    let at = vn(&format!("{}T09:00:00+07:00", on.format("%Y-%m-%d")));
    let agency2 = agency.clone();
    let subject = subject.to_string();
    store
        .dossiers()
        .create_dossier(agency, on, at.with_timezone(&Utc), &move |code| {
            make(&subject, &agency2, channel, at, code)
        })
        .await
}

pub async fn dossier_codes_are_gapless_and_unique_under_concurrency(h: &Harness) {
    let store: Arc<dyn store::Store> = h.open().await;
    let hcc = AgencyCode::parse("H29.22").expect("agency");
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = store.clone();
            let hcc = hcc.clone();
            tokio::spawn(async move {
                submit(
                    store.as_ref(),
                    &hcc,
                    day(2),
                    Channel::Online,
                    &format!("citizen-{i}"),
                )
                .await
                .expect("stored")
                .dossier
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
        .codes_of_day(&hcc, day(2))
        .await
        .expect("list");
    assert_eq!(listed.len(), 40);
    assert_eq!(listed[0].to_string(), "H29.22-260302-0001");

    // another agency, another day: their own numbers
    let other = AgencyCode::parse("TTPVHCC.79").expect("agency");
    let first = submit(store.as_ref(), &other, day(2), Channel::InPerson, "a")
        .await
        .expect("stored");
    assert_eq!(first.dossier.code.to_string(), "TTPVHCC.79-260302-0001");
    assert_eq!(first.dossier.status(), Status::Received);
    let next_day = submit(store.as_ref(), &hcc, day(3), Channel::Postal, "b")
        .await
        .expect("stored");
    assert_eq!(next_day.dossier.code.sequence(), 1);
    // read back whole
    let code = DossierCode::parse("TTPVHCC.79-260302-0001").expect("code");
    assert_eq!(
        store.dossiers().dossier(&code).await.expect("read"),
        Some(first)
    );
}

pub async fn two_stores_on_one_database_number_an_agencys_day_without_gaps(h: &Harness) {
    // two servers on one database, filing in turn for the same agency
    let (a, b) = (h.open().await, h.open().await);
    let hcc = AgencyCode::parse("H29.22").expect("agency");
    let mut numbers = Vec::new();
    let mut conflicts = 0;
    for (i, by) in [&a, &a, &b, &a, &b, &b, &a].into_iter().enumerate() {
        let who = format!("citizen-{i}");
        let filed = match submit(by.as_ref(), &hcc, day(4), Channel::Online, &who).await {
            Ok(d) => d,
            Err(e) if e.kind() == store::ErrorKind::Conflict => {
                let reason = e.context();
                // the other store moved the numbers: nothing of the batch
                // was kept, and the next try reads them again
                conflicts += 1;
                assert!(reason.contains("another writer"), "{reason}");
                submit(by.as_ref(), &hcc, day(4), Channel::Online, &who)
                    .await
                    .expect("stored on the second try")
            }
            Err(e) => panic!("{e}"),
        };
        assert_eq!(filed.dossier.applicant.subject, who);
        numbers.push(filed.dossier.code.sequence());
    }
    assert_eq!(
        numbers,
        (1..=7).collect::<Vec<u16>>(),
        "no gap, no duplicate"
    );
    let listed = a.dossiers().codes_of_day(&hcc, day(4)).await.expect("list");
    assert_eq!(listed.len(), 7);
    match h.backend() {
        // each store continues after the numbers it left: a store behind
        // the other is refused once, then reads them
        store::Backend::Postgres => assert!(conflicts >= 2, "{conflicts} conflicts"),
        // numbers are taken in the write transaction
        store::Backend::Sqlite => assert_eq!(conflicts, 0),
    }
}

pub async fn a_refused_dossier_gives_its_number_back(h: &Harness) {
    let store = h.open().await;
    let hcc = AgencyCode::parse("H29.22").expect("agency");
    // the day's last number was given
    h.execute(
        "INSERT INTO dossier_sequences (agency, day, last) VALUES ('H29.22', '2026-03-02', 9999)",
    )
    .await;
    for _ in 0..2 {
        let e = submit(store.as_ref(), &hcc, day(2), Channel::Online, "a")
            .await
            .expect_err("no number left");
        assert!(e.to_string().contains("9999"), "{e}");
    }
    assert!(
        store
            .dossiers()
            .codes_of_day(&hcc, day(2))
            .await
            .expect("list")
            .is_empty()
    );
    // a dossier whose insert fails keeps no number: the code is taken
    // again by the next one
    h.execute(
        "INSERT INTO dossiers (code, agency, day, sequence, status, body, created_ns) \
         VALUES ('H29.22-260303-0001', 'H29.22', '2026-03-03', 1, 1, '{}', 0)",
    )
    .await;
    let clash = submit(store.as_ref(), &hcc, day(3), Channel::Online, "a").await;
    assert!(clash.is_err(), "the stored row takes number 1");
    h.execute("DELETE FROM dossiers WHERE code = 'H29.22-260303-0001'")
        .await;
    let again = submit(store.as_ref(), &hcc, day(3), Channel::Online, "a")
        .await
        .expect("stored");
    assert_eq!(
        again.dossier.code.sequence(),
        1,
        "the failed store gave its number back"
    );
    // a builder that fails stores nothing and gives the number back too
    let failed = store
        .dossiers()
        .create_dossier(&hcc, day(3), utc("2026-03-03T09:00:00+07:00"), &|_| {
            Err(store::StoreError::refused("the form is not valid"))
        })
        .await;
    assert!(failed.is_err());
    let next = submit(store.as_ref(), &hcc, day(3), Channel::Online, "a")
        .await
        .expect("stored");
    assert_eq!(next.dossier.code.sequence(), 2);
}

/// [`submit`] to the competent agency on the 4th once its numbers of the
/// day were moved to `last` behind the store's back: a store that keeps
/// the last numbers it left (PostgreSQL) is refused once, as when another
/// writer moved them, and reads them again.
async fn submit_after(
    h: &Harness,
    store: &dyn store::Store,
    last: u16,
    channel: Channel,
    subject: &str,
) -> Result<store::StoredDossier, store::StoreError> {
    h.execute(&format!(
        "UPDATE dossier_sequences SET last = {last} \
         WHERE agency = '{COMPETENT}' AND day = '2026-03-04'"
    ))
    .await;
    let agency = AgencyCode::parse(COMPETENT).expect("agency");
    match submit(store, &agency, day(4), channel, subject).await {
        Err(e) if e.kind() == store::ErrorKind::Conflict => {
            submit(store, &agency, day(4), channel, subject).await
        }
        other => other,
    }
}

pub async fn online_filings_leave_the_last_numbers_of_the_day_to_the_counter(h: &Harness) {
    let store = h.open().await;
    let agency = AgencyCode::parse(COMPETENT).expect("agency");
    let figures = |applicant: &'static str| {
        let store = store.clone();
        let agency = agency.clone();
        async move {
            store
                .dossiers()
                .filing_day(&agency, day(4), applicant)
                .await
                .expect("read")
        }
    };
    assert_eq!(figures("a").await, store::FilingDay::default());
    for (channel, subject) in [
        (Channel::Online, "a"),
        (Channel::Online, "a"),
        (Channel::InPerson, "a"),
        (Channel::Online, "b"),
    ] {
        submit(store.as_ref(), &agency, day(4), channel, subject)
            .await
            .expect("stored");
    }
    assert_eq!(
        figures("a").await,
        store::FilingDay {
            last_number: 4,
            online_by_applicant: 2
        }
    );
    assert_eq!(figures("c").await.online_by_applicant, 0);
    // the day reaches the last number open online
    let last_online = submit_after(h, store.as_ref(), 8998, Channel::Online, "c")
        .await
        .expect("stored");
    assert_eq!(last_online.dossier.code.sequence(), 8999);
    // online is refused with the reason, the counter and the post go on
    // with the numbers kept for them, none skipped
    let at = vn("2026-03-04T10:00:00+07:00");
    let online = {
        let agency = agency.clone();
        move |code: DossierCode| make("d", &agency, Channel::Online, at, code)
    };
    let counter = {
        let agency = agency.clone();
        move |code: DossierCode| make("e", &agency, Channel::InPerson, at, code)
    };
    let outcomes = store
        .dossiers()
        .create_dossiers(
            &[
                new_dossier(&agency, at, &online),
                new_dossier(&agency, at, &counter),
                new_dossier(&agency, at, &online),
            ],
            &mut |_| Vec::new(),
        )
        .await
        .expect("the batch is stored");
    let refused = outcomes[0].as_ref().expect_err("online is refused");
    assert!(refused.to_string().contains("counter"), "{refused}");
    assert!(outcomes[2].is_err());
    assert_eq!(
        outcomes[1]
            .as_ref()
            .expect("received")
            .dossier
            .code
            .sequence(),
        9000
    );
    assert_eq!(figures("d").await.last_number, 9000);
    // past 9,999 the day is full for every channel, cleanly
    let last = submit_after(h, store.as_ref(), 9998, Channel::Postal, "f")
        .await
        .expect("stored");
    assert_eq!(last.dossier.code.to_string(), "UBND.25747-260304-9999");
    for channel in [Channel::Postal, Channel::InPerson, Channel::Online] {
        let e = submit(store.as_ref(), &agency, day(4), channel, "g")
            .await
            .expect_err("the day is full");
        assert!(e.to_string().contains("9999"), "{e}");
    }
    assert_eq!(figures("g").await.last_number, 9999);
    let codes = store
        .dossiers()
        .codes_of_day(&agency, day(4))
        .await
        .expect("list");
    let numbers: Vec<u16> = codes.iter().map(DossierCode::sequence).collect();
    assert_eq!(numbers, [1, 2, 3, 4, 8999, 9000, 9999]);
    // the next day starts again at 1
    let next = submit(store.as_ref(), &agency, day(5), Channel::Online, "g")
        .await
        .expect("stored");
    assert_eq!(next.dossier.code.sequence(), 1);
    // a batch moves each applicant's day by all it files for them online,
    // and by nothing it files at the counter
    let at = vn("2026-03-06T09:00:00+07:00");
    let by = |subject: &'static str, channel: Channel| {
        let agency = agency.clone();
        move |code: DossierCode| make(subject, &agency, channel, at, code)
    };
    let (h1, h2, h3, i1) = (
        by("h", Channel::Online),
        by("h", Channel::Online),
        by("h", Channel::InPerson),
        by("i", Channel::Online),
    );
    let outcomes = store
        .dossiers()
        .create_dossiers(
            &[
                new_dossier(&agency, at, &h1),
                new_dossier(&agency, at, &i1),
                new_dossier(&agency, at, &h2),
                new_dossier(&agency, at, &h3),
            ],
            &mut |_| Vec::new(),
        )
        .await
        .expect("the batch is stored");
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    for (applicant, online) in [("h", 2), ("i", 1), ("a", 0)] {
        let figures = store
            .dossiers()
            .filing_day(&agency, day(6), applicant)
            .await
            .expect("read");
        assert_eq!(
            figures,
            store::FilingDay {
                last_number: 4,
                online_by_applicant: online
            },
            "{applicant}"
        );
    }
}

/// The log entries `writer` chains for a batch's outcomes: one read per
/// dossier, under its code (or `draft` when it was refused).
fn reads_under_codes(
    writer: &mut exchange::LogWriter,
    outcomes: &[Result<store::StoredDossier, store::StoreError>],
) -> Vec<exchange::Appended> {
    let operator = super::exchange_log::operator();
    outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let mut r = super::exchange_log::record(i as u64, Some("001190000001"), HCC, 0);
            r.case_ref = Some(match o {
                Ok(s) => s.dossier.code.to_string(),
                Err(_) => "draft dang-ky-tam-tru".into(),
            });
            writer.append(r, &operator)
        })
        .collect()
}

const HCC: &str = "VN/GOV/000.00.00.H29/hcc";

fn new_dossier<'a>(
    agency: &'a AgencyCode,
    at: DateTime<FixedOffset>,
    make: store::MakeDossier<'a>,
) -> store::NewDossier<'a> {
    store::NewDossier {
        agency,
        day: at.date_naive(),
        at: at.with_timezone(&Utc),
        make,
    }
}

pub async fn dossiers_and_the_reads_made_for_them_commit_together(h: &Harness) {
    let store = h.open().await;
    let hcc = AgencyCode::parse("H29.22").expect("agency");
    let at = vn("2026-03-04T09:00:00+07:00");
    let build = |subject: &'static str| {
        let agency = hcc.clone();
        move |code: DossierCode| make(subject, &agency, Channel::Online, at, code)
    };
    let first = build("citizen-a");
    let refused = |_: DossierCode| -> Result<(Dossier, Option<Notice>), store::StoreError> {
        Err(store::StoreError::refused("the form is not valid"))
    };
    let third = build("citizen-c");
    let other = AgencyCode::parse("UBND.25747").expect("agency");
    let elsewhere = {
        let agency = other.clone();
        move |code: DossierCode| make("citizen-b", &agency, Channel::Online, at, code)
    };
    let batch = [
        new_dossier(&hcc, at, &first),
        new_dossier(&hcc, at, &refused),
        new_dossier(&other, at, &elsewhere),
        new_dossier(&hcc, at, &third),
    ];
    let mut writer = exchange::LogWriter::new(2);
    let outcomes = store
        .dossiers()
        .create_dossiers(&batch, &mut |o| reads_under_codes(&mut writer, o))
        .await
        .expect("one transaction");
    assert_eq!(outcomes.len(), 4);
    let codes: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().ok())
        .map(|s| s.dossier.code.to_string())
        .collect();
    assert_eq!(
        codes,
        vec![
            "H29.22-260304-0001",
            "UBND.25747-260304-0001",
            "H29.22-260304-0002"
        ],
        "each agency numbers its own; the refused one took no number"
    );
    assert!(
        outcomes[1]
            .as_ref()
            .is_err_and(|e| e.kind() == store::ErrorKind::Refused)
    );
    // the reads are in the log under the codes the transaction gave
    let log = store.exchange().log_range(1, 100).await.expect("log");
    let cases: Vec<String> = log
        .iter()
        .map(|e| e.record.case_ref.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        cases,
        vec![
            "H29.22-260304-0001".to_string(),
            "draft dang-ky-tam-tru".to_string(),
            "UBND.25747-260304-0001".to_string(),
            "H29.22-260304-0002".to_string()
        ]
    );
    let checkpoints = store.exchange().checkpoints().await.expect("checkpoints");
    exchange::log::verify(
        &log,
        &checkpoints,
        &super::exchange_log::operator().public(),
    )
    .expect("the chain holds");
    // the notices were written with their dossiers
    assert_eq!(
        store
            .dossiers()
            .notices("citizen-a", 10)
            .await
            .expect("notices")
            .len(),
        1
    );
    // entries that do not follow the stored head fail the whole batch:
    // no dossier, no number, no entry
    let mut stale = exchange::LogWriter::new(2);
    let fourth = build("citizen-d");
    let failed = store
        .dossiers()
        .create_dossiers(&[new_dossier(&hcc, at, &fourth)], &mut |o| {
            reads_under_codes(&mut stale, o)
        })
        .await;
    assert!(failed.is_err(), "a log entry out of the chain is refused");
    assert_eq!(
        store
            .dossiers()
            .codes_of_day(&hcc, day(4))
            .await
            .expect("codes")
            .len(),
        2
    );
    assert_eq!(
        store.exchange().log_range(1, 100).await.expect("log").len(),
        4
    );
    let next = submit(store.as_ref(), &hcc, day(4), Channel::Online, "citizen-d")
        .await
        .expect("stored");
    assert_eq!(
        next.dossier.code.sequence(),
        3,
        "the failed batch took no number"
    );
    // a batch whose second code is already stored fails whole, though its
    // first dossier was written before the clash: nothing of it is kept
    h.execute(
        "INSERT INTO dossiers (code, agency, day, sequence, status, body, created_ns) \
         VALUES ('H29.22-260304-0005', 'H29.22', '2026-03-04', 5, 1, '{}', 0)",
    )
    .await;
    let (fifth, sixth) = (build("citizen-e"), build("citizen-f"));
    let clash = store
        .dossiers()
        .create_dossiers(
            &[new_dossier(&hcc, at, &fifth), new_dossier(&hcc, at, &sixth)],
            &mut |o| reads_under_codes(&mut writer, o),
        )
        .await;
    assert!(clash.is_err(), "number 5 is taken");
    let codes: Vec<String> = store
        .dossiers()
        .codes_of_day(&hcc, day(4))
        .await
        .expect("codes")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        codes,
        vec![
            "H29.22-260304-0001",
            "H29.22-260304-0002",
            "H29.22-260304-0003",
            "H29.22-260304-0005"
        ],
        "number 4 was not kept"
    );
    assert_eq!(
        store.exchange().log_range(1, 100).await.expect("log").len(),
        4,
        "nor the batch's reads"
    );
    assert!(
        store
            .dossiers()
            .notices("citizen-e", 10)
            .await
            .expect("notices")
            .is_empty(),
        "nor its notices"
    );
    h.execute("DELETE FROM dossiers WHERE code = 'H29.22-260304-0005'")
        .await;
    let after = submit(store.as_ref(), &hcc, day(4), Channel::Online, "citizen-e")
        .await
        .expect("stored");
    assert_eq!(after.dossier.code.sequence(), 4, "the numbers came back");
}

pub async fn a_batch_longer_than_one_statement_is_stored_whole(h: &Harness) {
    // more dossiers and log entries than one statement of either backend
    // takes: stored in pieces, in one transaction, numbered without gaps
    let store = h.open().await;
    let hcc = AgencyCode::parse("H29.22").expect("agency");
    let other = AgencyCode::parse("UBND.25747").expect("agency");
    let at = vn("2026-03-06T09:00:00+07:00");
    let agency_of = |i: usize| if i.is_multiple_of(3) { &other } else { &hcc };
    let makers: Vec<_> = (0..600)
        .map(|i| {
            let agency = agency_of(i).clone();
            let subject = format!("citizen-{i}");
            move |code: DossierCode| make(&subject, &agency, Channel::Online, at, code)
        })
        .collect();
    let batch: Vec<store::NewDossier<'_>> = makers
        .iter()
        .enumerate()
        .map(|(i, m)| new_dossier(agency_of(i), at, m))
        .collect();
    let mut writer = exchange::LogWriter::new(2);
    let outcomes = store
        .dossiers()
        .create_dossiers(&batch, &mut |o| reads_under_codes(&mut writer, o))
        .await
        .expect("one transaction");
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 600);
    for (agency, count) in [(&hcc, 400_u16), (&other, 200)] {
        let numbers: Vec<u16> = store
            .dossiers()
            .codes_of_day(agency, day(6))
            .await
            .expect("codes")
            .iter()
            .map(DossierCode::sequence)
            .collect();
        assert_eq!(numbers, (1..=count).collect::<Vec<u16>>(), "{agency}");
    }
    let log = store.exchange().log_range(1, 1000).await.expect("log");
    assert_eq!(log.len(), 600);
    let checkpoints = store.exchange().checkpoints().await.expect("checkpoints");
    assert_eq!(checkpoints.len(), 300);
    exchange::log::verify(
        &log,
        &checkpoints,
        &super::exchange_log::operator().public(),
    )
    .expect("the chain holds across the pieces");
    assert_eq!(
        store
            .dossiers()
            .notices("citizen-599", 10)
            .await
            .expect("notices")
            .len(),
        1
    );
    // the agencies' days continue after the batch
    let next = submit(store.as_ref(), &hcc, day(6), Channel::Online, "citizen-600")
        .await
        .expect("stored");
    assert_eq!(next.dossier.code.sequence(), 401);
}

/// `actor` does `act` on the stored dossier `code` at `at`.
async fn act(
    store: &dyn store::Store,
    code: &DossierCode,
    actor: &Actor,
    act: Act,
    at: &str,
) -> store::StoredDossier {
    let catalog = Catalog::official().expect("catalog");
    let calendar = WorkingCalendar::official().expect("calendar");
    let stored = store
        .dossiers()
        .dossier(code)
        .await
        .expect("read")
        .expect("there");
    let mut d = stored.dossier.clone();
    let procedure = catalog.get(&d.procedure).expect("procedure");
    let notice = d
        .act(actor, act, None, vn(at), procedure, &calendar)
        .expect("lawful");
    store
        .dossiers()
        .update_dossier(&d, stored.version, notice.as_ref(), utc(at))
        .await
        .expect("stored")
}

pub async fn dossier_changes_are_versioned_and_notify_in_the_same_transaction(h: &Harness) {
    let store = h.open().await;
    let agency = AgencyCode::parse(COMPETENT).expect("agency");
    let filed = submit(store.as_ref(), &agency, day(2), Channel::Online, "an")
        .await
        .expect("stored");
    let code = filed.dossier.code.clone();
    assert_eq!(filed.version, 1);
    let received = act(
        store.as_ref(),
        &code,
        &officer(Role::Officer),
        Act::Receive,
        "2026-03-02T10:00:00+07:00",
    )
    .await;
    assert_eq!(received.version, 2);
    assert_eq!(received.dossier.due, Some(vn("2026-03-04T17:00:00+07:00")));
    // a writer still holding version 1 is refused and changes nothing
    let mut stale = filed.dossier.clone();
    let catalog = Catalog::official().expect("catalog");
    let calendar = WorkingCalendar::official().expect("calendar");
    let procedure = catalog.get(&stale.procedure).expect("procedure");
    stale
        .act(
            &applicant("an"),
            Act::Withdraw,
            None,
            vn("2026-03-02T10:01:00+07:00"),
            procedure,
            &calendar,
        )
        .expect("lawful on the stale copy");
    let e = store
        .dossiers()
        .update_dossier(&stale, 1, None, utc("2026-03-02T10:01:00+07:00"))
        .await
        .expect_err("stale");
    assert_eq!(e.kind(), store::ErrorKind::Conflict, "{e}");
    let now = store
        .dossiers()
        .dossier(&code)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(now.version, 2);
    assert_eq!(now.dossier.status(), Status::Received);

    // notices: one for filing, one for receipt; newest first
    let notices = store.dossiers().notices("an", 10).await.expect("notices");
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[0].status, 2);
    assert!(
        notices[0].text_vi.contains("Hẹn trả kết quả"),
        "{}",
        notices[0].text_vi
    );
    assert_eq!(notices[1].status, 1);
    assert_eq!(notices[0].email.as_deref(), Some("an@example.vn"));
    assert!(
        store
            .dossiers()
            .notices("someone-else", 10)
            .await
            .expect("notices")
            .is_empty()
    );
    // reading marks them read, up to the newest shown
    let marked = store
        .dossiers()
        .mark_notices_read("an", notices[1].id, utc("2026-03-02T11:00:00+07:00"))
        .await
        .expect("marked");
    assert_eq!(marked, 1);
    let notices = store.dossiers().notices("an", 10).await.expect("notices");
    assert!(notices[0].read_at.is_none() && notices[1].read_at.is_some());

    // the mailer's outbox: both pending; a failure retries later
    let t = utc("2026-03-02T11:00:00+07:00");
    let pending = store
        .dossiers()
        .pending_emails(t, 10)
        .await
        .expect("pending");
    assert_eq!(pending.len(), 2);
    let retry = utc("2026-03-02T11:05:00+07:00");
    store
        .dossiers()
        .record_email(pending[0].id, t, Err(("connection refused".into(), retry)))
        .await
        .expect("recorded");
    store
        .dossiers()
        .record_email(pending[1].id, t, Ok(()))
        .await
        .expect("recorded");
    assert!(
        store
            .dossiers()
            .pending_emails(t, 10)
            .await
            .expect("pending")
            .is_empty()
    );
    let again = store
        .dossiers()
        .pending_emails(retry, 10)
        .await
        .expect("pending");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    assert_eq!(again[0].last_error.as_deref(), Some("connection refused"));
}

pub async fn queues_lists_and_service_figures_follow_the_dossiers(h: &Harness) {
    let store = h.open().await;
    let competent = AgencyCode::parse(COMPETENT).expect("agency");
    let centre = AgencyCode::parse("TTPVHCC.79").expect("centre");
    let a = submit(store.as_ref(), &competent, day(2), Channel::Online, "an")
        .await
        .expect("a")
        .dossier
        .code;
    let b = submit(store.as_ref(), &centre, day(2), Channel::InPerson, "an")
        .await
        .expect("b")
        .dossier
        .code;
    let c = submit(store.as_ref(), &competent, day(3), Channel::Online, "binh")
        .await
        .expect("c")
        .dossier
        .code;
    let other = AgencyCode::parse("UBND.25750").expect("agency");
    let _ = store
        .dossiers()
        .create_dossier(&other, day(2), utc("2026-03-02T09:00:00+07:00"), &|code| {
            let (mut d, n) = make(
                "chi",
                &other,
                Channel::Online,
                vn("2026-03-02T09:00:00+07:00"),
                code,
            )?;
            d.route.competent = other.clone();
            Ok((d, n))
        })
        .await
        .expect("other commune");

    let mine = store
        .dossiers()
        .dossiers_of_applicant(&["an"], 10)
        .await
        .expect("list");
    // newest first; filed at the same instant: by code, descending
    assert_eq!(
        mine.iter()
            .map(|s| s.dossier.code.clone())
            .collect::<Vec<_>>(),
        [a.clone(), b.clone()]
    );
    // under either of one applicant's two names, in one list
    let both = store
        .dossiers()
        .dossiers_of_applicant(&["an", "binh"], 10)
        .await
        .expect("list");
    let codes: Vec<_> = both.iter().map(|s| s.dossier.code.clone()).collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert!(codes.contains(&a) && codes.contains(&b) && codes.contains(&c));
    assert!(
        store
            .dossiers()
            .dossiers_of_applicant(&[], 10)
            .await
            .expect("list")
            .is_empty()
    );
    // the commune's queue holds what it is competent for, received anywhere
    let queue = store
        .dossiers()
        .agency_queue(&competent, true, 10)
        .await
        .expect("queue");
    let codes: Vec<_> = queue.iter().map(|s| s.dossier.code.clone()).collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert!(codes.contains(&a) && codes.contains(&b) && codes.contains(&c));
    // the centre sees what it received
    let at_centre = store
        .dossiers()
        .agency_queue(&centre, true, 10)
        .await
        .expect("queue");
    assert_eq!(at_centre.len(), 1);

    // a goes through to the result, rated; c is withdrawn
    let o = officer(Role::Officer);
    let l = officer(Role::Leader);
    act(
        store.as_ref(),
        &a,
        &o,
        Act::Receive,
        "2026-03-02T10:00:00+07:00",
    )
    .await;
    act(
        store.as_ref(),
        &a,
        &o,
        Act::StartProcessing,
        "2026-03-02T10:05:00+07:00",
    )
    .await;
    act(
        store.as_ref(),
        &a,
        &l,
        Act::Propose {
            outcome: Outcome::Issued,
            summary: "Đủ điều kiện".into(),
        },
        "2026-03-03T10:00:00+07:00",
    )
    .await;
    act(
        store.as_ref(),
        &a,
        &l,
        Act::Approve,
        "2026-03-03T10:05:00+07:00",
    )
    .await;
    act(
        store.as_ref(),
        &a,
        &o,
        Act::ReturnResult,
        "2026-03-03T11:00:00+07:00",
    )
    .await;
    act(
        store.as_ref(),
        &a,
        &applicant("an"),
        Act::Rate {
            score: 4,
            comment: None,
        },
        "2026-03-03T12:00:00+07:00",
    )
    .await;
    act(
        store.as_ref(),
        &c,
        &applicant("binh"),
        Act::Withdraw,
        "2026-03-03T12:00:00+07:00",
    )
    .await;
    // b (received 2 March, due 4 March 17:00) is processed late
    act(
        store.as_ref(),
        &b,
        &o,
        Act::StartProcessing,
        "2026-03-02T10:00:00+07:00",
    )
    .await;
    let open = store
        .dossiers()
        .agency_queue(&competent, true, 10)
        .await
        .expect("queue");
    assert_eq!(
        open.iter().map(|s| &s.dossier.code).collect::<Vec<_>>(),
        [&b]
    );
    assert_eq!(
        store
            .dossiers()
            .agency_queue(&competent, false, 10)
            .await
            .expect("all")
            .len(),
        3
    );

    let march = (
        utc("2026-03-01T00:00:00+07:00"),
        utc("2026-04-01T00:00:00+07:00"),
    );
    let f = store
        .dossiers()
        .service_figures(Some("79"), march.0, march.1)
        .await
        .expect("figures");
    assert_eq!(
        (f.processed, f.on_time, f.rated, f.rating_sum),
        (1, 1, 1, 4)
    );
    assert_eq!(
        f.overdue_open, 1,
        "b is open past its appointment at the end of March"
    );
    act(
        store.as_ref(),
        &b,
        &l,
        Act::Propose {
            outcome: Outcome::Issued,
            summary: "OK".into(),
        },
        "2026-03-05T10:00:00+07:00",
    )
    .await;
    act(
        store.as_ref(),
        &b,
        &l,
        Act::Approve,
        "2026-03-05T10:05:00+07:00",
    )
    .await;
    let f = store
        .dossiers()
        .service_figures(None, march.0, march.1)
        .await
        .expect("figures");
    assert_eq!((f.processed, f.on_time, f.overdue_open), (2, 1, 0));
    let april = store
        .dossiers()
        .service_figures(Some("79"), march.1, utc("2026-05-01T00:00:00+07:00"))
        .await
        .expect("figures");
    assert_eq!(april.processed, 0);
    assert_eq!(
        store
            .dossiers()
            .service_figures(Some("01"), march.0, march.1)
            .await
            .expect("figures")
            .processed,
        0
    );
}

pub async fn agency_staff_is_recorded_per_agency(h: &Harness) {
    let store = h.open().await;
    let commune = AgencyCode::parse(COMPETENT).expect("agency");
    let centre = AgencyCode::parse("TTPVHCC.79").expect("agency");
    let at = utc("2026-03-02T09:00:00+07:00");
    let d = store.dossiers();
    assert!(d.staff_roles("officer-1").await.expect("roles").is_empty());
    d.set_staff("officer-1", &commune, Some(Role::Officer), at)
        .await
        .expect("set");
    d.set_staff("officer-1", &centre, Some(Role::Officer), at)
        .await
        .expect("set");
    d.set_staff("officer-1", &commune, Some(Role::Leader), at)
        .await
        .expect("promoted");
    assert_eq!(
        d.staff_roles("officer-1").await.expect("roles"),
        [
            (centre.clone(), Role::Officer),
            (commune.clone(), Role::Leader)
        ]
    );
    d.set_staff("officer-1", &centre, None, at)
        .await
        .expect("removed");
    assert_eq!(
        d.staff_roles("officer-1").await.expect("roles"),
        [(commune.clone(), Role::Leader)]
    );
    assert!(d.staff_roles("officer-2").await.expect("roles").is_empty());

    // an agency's staff by name, from their accounts
    let mut an = crate::accounts::citizen(41, "001203012345");
    an.name = "Trần Thị Bình".into();
    store.accounts().create_account(&an).await.expect("account");
    let binh = crate::accounts::subject(41).to_string();
    d.set_staff(&binh, &commune, Some(Role::Officer), at)
        .await
        .expect("set");
    let staff = d.agency_staff(&commune).await.expect("staff");
    assert_eq!(
        staff
            .iter()
            .map(|m| (m.subject.as_str(), m.name.as_str(), m.role))
            .collect::<Vec<_>>(),
        // officer-1 has no account here: no name, listed first
        [
            ("officer-1", "", Role::Leader),
            (binh.as_str(), "Trần Thị Bình", Role::Officer)
        ]
    );
    assert!(d.agency_staff(&centre).await.expect("staff").is_empty());
}

pub async fn attachments_are_kept_per_document_with_their_digest(h: &Harness) {
    let store = h.open().await;
    let agency = AgencyCode::parse(COMPETENT).expect("agency");
    let code = submit(store.as_ref(), &agency, day(2), Channel::Online, "an")
        .await
        .expect("stored")
        .dossier
        .code;
    let d = store.dossiers();
    assert!(d.attachments(&code).await.expect("list").is_empty());
    let meta = |name: &str, size: usize| dossier::Attachment {
        document: "to-khai".into(),
        name: name.into(),
        media_type: dossier::MediaType::Pdf,
        size,
    };
    let first = b"%PDF-1.7 first".to_vec();
    let kept = d
        .put_attachment(
            &code,
            &meta("a.pdf", first.len()),
            &first,
            utc("2026-03-02T10:00:00+07:00"),
        )
        .await
        .expect("kept");
    assert_eq!(kept.sha256.len(), 64);
    // a second file for the same document replaces the first
    let second = vec![b'%', b'P', b'D', b'F', b'-', 0, 255, 1, 2];
    d.put_attachment(
        &code,
        &meta("b.pdf", second.len()),
        &second,
        utc("2026-03-02T10:05:00+07:00"),
    )
    .await
    .expect("replaced");
    let listed = d.attachments(&code).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].attachment.name, "b.pdf");
    assert_ne!(listed[0].sha256, kept.sha256);
    let (stored, content) = d
        .attachment(&code, "to-khai")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(content, second, "bytes kept exactly");
    assert_eq!(stored.attachment.size, second.len());
    assert!(d.attachment(&code, "other").await.expect("read").is_none());
}

pub async fn every_change_waits_to_be_sent_upstream_until_acknowledged(h: &Harness) {
    let store = h.open().await;
    let dossiers = store.dossiers();
    let agency = AgencyCode::parse(COMPETENT).expect("agency");
    let now = utc("2026-03-02T12:00:00+07:00");
    assert_eq!(
        dossiers.upstream_backlog().await.expect("backlog"),
        store::UpstreamBacklog::default()
    );
    let first = submit(store.as_ref(), &agency, day(2), Channel::Online, "an")
        .await
        .expect("stored");
    let second = submit(store.as_ref(), &agency, day(2), Channel::Online, "binh")
        .await
        .expect("stored");
    let code = first.dossier.code.clone();
    // the agencies of a day are those that received dossiers on it
    assert_eq!(
        dossiers.agencies_of_day(day(2)).await.expect("agencies"),
        vec![agency.clone()]
    );
    assert!(
        dossiers
            .agencies_of_day(day(3))
            .await
            .expect("agencies")
            .is_empty()
    );
    // filed: both wait, in the order they changed
    let due = dossiers.upstream_due(now, 10).await.expect("due");
    let codes: Vec<_> = due.iter().map(|d| d.stored.dossier.code.clone()).collect();
    assert_eq!(codes, vec![code.clone(), second.dossier.code.clone()]);
    assert_eq!(
        (due[0].sent_version, due[0].sent_steps, due[0].attempts),
        (0, 0, 0)
    );
    let backlog = dossiers.upstream_backlog().await.expect("backlog");
    assert_eq!(
        (backlog.waiting, backlog.oldest, backlog.failing),
        (2, Some(first.updated_at), 0)
    );

    // acknowledged: no longer due; a change makes it due again
    dossiers.upstream_sent(&code, 1, 0).await.expect("sent");
    assert_eq!(dossiers.upstream_due(now, 10).await.expect("due").len(), 1);
    act(
        store.as_ref(),
        &code,
        &officer(Role::Officer),
        Act::Receive,
        "2026-03-02T10:00:00+07:00",
    )
    .await;
    let due = dossiers.upstream_due(now, 1).await.expect("due");
    assert_eq!(due.len(), 1);
    let again = dossiers.upstream_due(now, 10).await.expect("due");
    let mine = again
        .iter()
        .find(|d| d.stored.dossier.code == code)
        .expect("due again");
    assert_eq!((mine.stored.version, mine.sent_version), (2, 1));

    // a failure holds it back until its next try; an older acknowledgement
    // never moves what is known backwards
    let later = utc("2026-03-02T12:05:00+07:00");
    dossiers
        .upstream_failed(&code, 1, later, "the national portal did not answer")
        .await
        .expect("failed");
    let due: Vec<_> = dossiers
        .upstream_due(now, 10)
        .await
        .expect("due")
        .into_iter()
        .map(|d| d.stored.dossier.code)
        .collect();
    assert!(!due.contains(&code));
    let due = dossiers.upstream_due(later, 10).await.expect("due");
    let mine = due
        .iter()
        .find(|d| d.stored.dossier.code == code)
        .expect("due");
    assert_eq!(mine.attempts, 1);
    dossiers.upstream_sent(&code, 2, 1).await.expect("sent");
    dossiers
        .upstream_sent(&code, 1, 0)
        .await
        .expect("an old answer");
    assert!(
        dossiers
            .upstream_due(later, 10)
            .await
            .expect("due")
            .iter()
            .all(|d| d.stored.dossier.code != code)
    );
    assert_eq!(
        dossiers.upstream_backlog().await.expect("backlog").waiting,
        1
    );
}

pub async fn every_change_waits_for_its_back_office_until_acknowledged(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    let agency = AgencyCode::parse(COMPETENT).expect("agency");
    let now = utc("2026-03-02T12:00:00+07:00");
    let first = submit(store.as_ref(), &agency, day(2), Channel::Online, "an")
        .await
        .expect("stored");
    let code = first.dossier.code.to_string();
    // no back office serves the agency: nothing waits
    assert!(
        sync.down_due("tq-igate", DownFrom::Start, 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert!(sync.down_backlog().await.expect("backlog").is_empty());
    let tq = super::sync::office("tq-igate", &[COMPETENT], 0);
    assert!(
        sync.put_office(&tq, &super::sync::change("connect", 0))
            .await
            .expect("connected")
    );
    // another back office cannot take a unit served already
    let other = super::sync::office("hg-igate", &[COMPETENT], 1);
    assert!(
        sync.put_office(&other, &super::sync::change("connect", 1))
            .await
            .is_err()
    );
    assert!(sync.office("hg-igate").await.expect("read").is_none());

    // connected: the dossier waits for it, and for no other
    let due = sync
        .down_due("tq-igate", DownFrom::Due(now), 10)
        .await
        .expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].stored.dossier.code.to_string(), due[0].acked_version),
        (code.clone(), 0)
    );
    assert!(
        sync.down_due("hg-igate", DownFrom::Start, 10)
            .await
            .expect("due")
            .is_empty()
    );
    let backlog = sync.down_backlog().await.expect("backlog");
    assert_eq!(backlog.len(), 1);
    assert_eq!(
        (
            backlog[0].office.as_str(),
            backlog[0].waiting,
            backlog[0].failing
        ),
        ("tq-igate", 1, 0)
    );

    // a failed push holds it back until its next try; the feed still gives it
    let later = utc("2026-03-02T12:05:00+07:00");
    sync.down_failed(&code, 1, later, "connection refused")
        .await
        .expect("failed");
    assert!(
        sync.down_due("tq-igate", DownFrom::Due(now), 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert_eq!(
        sync.down_due("tq-igate", DownFrom::Start, 10)
            .await
            .expect("due")
            .len(),
        1
    );
    let backlog = sync.down_backlog().await.expect("backlog");
    assert_eq!(backlog[0].failing, 1);
    assert_eq!(
        backlog[0].last_error.as_ref().map(|(e, _)| e.as_str()),
        Some("connection refused")
    );
    assert_eq!(sync.down_retry_now("tq-igate").await.expect("retry"), 1);
    assert_eq!(
        sync.down_due("tq-igate", DownFrom::Due(now), 10)
            .await
            .expect("due")
            .len(),
        1
    );

    // acknowledged once, by its own back office, at a version it had
    use store::DownAck;
    assert_eq!(
        sync.down_ack("hg-igate", &code, 1).await.expect("ack"),
        DownAck::Unknown
    );
    assert_eq!(
        sync.down_ack("tq-igate", &code, 2).await.expect("ack"),
        DownAck::Unknown
    );
    assert_eq!(
        sync.down_ack("tq-igate", &code, 1).await.expect("ack"),
        DownAck::Recorded
    );
    assert_eq!(
        sync.down_ack("tq-igate", &code, 1).await.expect("ack"),
        DownAck::Already
    );
    assert!(
        sync.down_due("tq-igate", DownFrom::Start, 10)
            .await
            .expect("due")
            .is_empty()
    );
    assert!(sync.down_backlog().await.expect("backlog").is_empty());

    // a change makes it wait again, from the version acknowledged
    act(
        store.as_ref(),
        &first.dossier.code,
        &officer(Role::Officer),
        Act::Receive,
        "2026-03-02T10:00:00+07:00",
    )
    .await;
    let due = sync
        .down_due("tq-igate", DownFrom::Start, 10)
        .await
        .expect("due");
    assert_eq!((due[0].stored.version, due[0].acked_version), (2, 1));

    // disconnected: nothing waits for it any more
    assert!(
        sync.remove_office("tq-igate", &super::sync::change("disconnect", 2))
            .await
            .expect("removed")
    );
    assert!(
        sync.down_due("tq-igate", DownFrom::Start, 10)
            .await
            .expect("due")
            .is_empty()
    );
    // and the unit can be another's
    assert!(
        sync.put_office(&other, &super::sync::change("connect", 3))
            .await
            .expect("connected")
    );
    assert_eq!(
        sync.down_due("hg-igate", DownFrom::Start, 10)
            .await
            .expect("due")
            .len(),
        1
    );

    // held back by its back office, with why: counted and shown, still
    // waiting; only its own back office, only at the version it has
    assert!(
        !sync
            .down_held("tq-igate", &code, 2, "not mine")
            .await
            .expect("held")
    );
    assert!(
        !sync
            .down_held("hg-igate", &code, 1, "an old version")
            .await
            .expect("held")
    );
    assert!(
        sync.down_held("hg-igate", &code, 2, "the code is taken here")
            .await
            .expect("held")
    );
    let backlog = sync.down_backlog().await.expect("backlog");
    assert_eq!((backlog[0].waiting, backlog[0].failing), (1, 1));
    assert_eq!(
        backlog[0].last_error.as_ref().map(|(e, _)| e.as_str()),
        Some("the code is taken here")
    );
    let waiting = sync
        .down_due("hg-igate", DownFrom::Start, 10)
        .await
        .expect("due");
    assert_eq!(
        (waiting[0].attempts, waiting[0].error.as_deref()),
        (1, Some("the code is taken here"))
    );

    // the feed read in pages: in the order of the last change, each
    // page after the last position read, to the end
    let mut filed = vec![code.clone()];
    for subject in ["bình", "chi"] {
        let d = submit(store.as_ref(), &agency, day(2), Channel::Online, subject)
            .await
            .expect("stored");
        filed.push(d.dossier.code.to_string());
    }
    let codes_of = |page: &[store::DownDue]| -> Vec<String> {
        page.iter()
            .map(|d| d.stored.dossier.code.to_string())
            .collect()
    };
    let first_page = sync
        .down_due("hg-igate", DownFrom::Start, 2)
        .await
        .expect("due");
    // the two filed at 09:00, then the one changed at 10:00
    assert_eq!(codes_of(&first_page), filed[1..].to_vec());
    let position = first_page[1].position.clone();
    let text = position.to_string();
    assert_eq!(text.parse::<FeedPosition>().expect("read back"), position);
    let second_page = sync
        .down_due("hg-igate", DownFrom::After(position), 2)
        .await
        .expect("due");
    assert_eq!(codes_of(&second_page), vec![code.clone()]);
    assert!(
        sync.down_due(
            "hg-igate",
            DownFrom::After(second_page[0].position.clone()),
            2
        )
        .await
        .expect("due")
        .is_empty()
    );
    // a change moves a dossier behind every other
    act(
        store.as_ref(),
        &DossierCode::parse(&filed[1]).expect("code"),
        &officer(Role::Officer),
        Act::Receive,
        "2026-03-02T11:00:00+07:00",
    )
    .await;
    let after_first = sync
        .down_due(
            "hg-igate",
            DownFrom::After(first_page[0].position.clone()),
            10,
        )
        .await
        .expect("due");
    assert_eq!(
        codes_of(&after_first),
        vec![filed[2].clone(), code, filed[1].clone()]
    );
    for bad in ["", "12", "x~000.00.01.H12", "12~"] {
        assert!(bad.parse::<FeedPosition>().is_err(), "{bad:?}");
    }
}

pub async fn a_delivered_dossier_keeps_its_code_and_the_counter_numbers_after_the_online_range(
    h: &Harness,
) {
    let province = h.open().await;
    let agency = AgencyCode::parse(COMPETENT).expect("agency");
    // filed on the upstream portal as its 42nd online dossier of the day
    let mut delivered = submit(province.as_ref(), &agency, day(2), Channel::Online, "an")
        .await
        .expect("stored")
        .dossier;
    delivered.code =
        dossier::DossierCode::parse(&format!("{COMPETENT}-260302-0042")).expect("code");
    let at = utc("2026-03-02T12:00:00+07:00");
    let dossiers = province.dossiers();
    assert!(
        dossiers
            .receive_dossier(&delivered, at)
            .await
            .expect("received")
    );
    assert!(
        !dossiers
            .receive_dossier(&delivered, at)
            .await
            .expect("again")
    );
    let kept = dossiers
        .dossier(&delivered.code)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(kept.dossier, delivered);
    assert_eq!(kept.version, 1);
    // reported upstream like one filed here
    assert!(
        dossiers
            .upstream_due(at, 10)
            .await
            .expect("due")
            .iter()
            .any(|d| d.stored.dossier.code == delivered.code)
    );

    // the counter's numbers of the day come after the online range
    dossiers
        .reserve_numbers(&agency, day(2), dossier::LAST_ONLINE_SEQUENCE)
        .await
        .expect("reserved");
    dossiers
        .reserve_numbers(&agency, day(2), 5)
        .await
        .expect("never moves back");
    let counter = submit(
        province.as_ref(),
        &agency,
        day(2),
        Channel::InPerson,
        "binh",
    )
    .await
    .expect("stored");
    assert_eq!(
        counter.dossier.code.sequence(),
        dossier::LAST_ONLINE_SEQUENCE + 1
    );
}

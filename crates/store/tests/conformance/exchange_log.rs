//! The exchange layer's storage: the message log and its tamper detection,
//! consents, and the data tracker.

use chrono::{DateTime, Duration, TimeZone, Utc};
use exchange::log::verify;
use exchange::{
    BreakReason, Checkpoint, ConsentLookup, Digest32, KeyId, LogEntry, LogRecord, LogWriter,
    MemberId, MemberKey,
};
use store::{ErrorKind, ExchangeStore};

use super::Harness;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("valid instant")
}

fn member(id: &str) -> MemberId {
    id.parse().expect("a member id")
}

pub(crate) fn operator() -> MemberKey {
    MemberKey::from_seed(
        member("VN/GOV/BCA/exchange"),
        KeyId("log-2026".into()),
        [42; 32],
    )
}

const HCC: &str = "VN/GOV/000.00.00.H29/hcc";
const BHXH: &str = "VN/GOV/BHXH/claims";
const ALICE: &str = "001190000001";
const BOB: &str = "001090000002";

/// The `i`th exchanged message: about `person`, `seconds` after t0, with
/// sub-second nanoseconds so that the stored instant must be exact.
pub(crate) fn record(i: u64, person: Option<&str>, consumer: &str, seconds: i64) -> LogRecord {
    LogRecord {
        at: t0() + Duration::seconds(seconds) + Duration::nanoseconds(123_456_789),
        consumer: member(consumer),
        provider: member("VN/GOV/BCA/registry"),
        service: "person.get".into(),
        purpose: "birth-registration".into(),
        legal_basis: i.is_multiple_of(2).then(|| "ND-63/2024".into()),
        case_ref: Some(format!("H29.22-260301-{i:04}")),
        person_id: person.map(str::to_string),
        fields: vec!["full_name".into(), "birth_date".into()],
        request_digest: Digest32::of(format!("request {i}").as_bytes()),
        // both kinds of entry: with and without a response digest
        response_digest: (!i.is_multiple_of(2))
            .then(|| Digest32::of(format!("response {i}").as_bytes())),
    }
}

/// Appends records through a `LogWriter` resumed from the stored head, as
/// the exchange does, checkpointing every 2 entries.
async fn append_all(
    log: &dyn ExchangeStore,
    records: Vec<LogRecord>,
) -> (Vec<LogEntry>, Vec<Checkpoint>) {
    let op = operator();
    let head = log.log_head().await.expect("head");
    let mut writer = LogWriter::resume(head.as_ref(), 2);
    let (mut entries, mut checkpoints) = (Vec::new(), Vec::new());
    for r in records {
        let appended = writer.append(r, &op);
        log.append_log(&appended.entry, appended.checkpoint.as_ref())
            .await
            .expect("append");
        entries.push(appended.entry);
        checkpoints.extend(appended.checkpoint);
    }
    (entries, checkpoints)
}

pub async fn log_batches_append_all_or_nothing(h: &Harness) {
    let store = h.open().await;
    let log = store.exchange();
    let op = operator();
    let mut writer = LogWriter::new(4);
    let batch: Vec<_> = (1..=10)
        .map(|i| writer.append(record(i, Some(ALICE), HCC, i as i64), &op))
        .collect();
    log.append_log_batch(&batch[..7]).await.expect("a batch");
    log.append_log_batch(&[]).await.expect("an empty batch");
    log.append_log_batch(&batch[7..])
        .await
        .expect("the next batch");
    let entries: Vec<LogEntry> = batch.iter().map(|a| a.entry.clone()).collect();
    assert_eq!(log.log_range(1, 100).await.expect("range"), entries);
    let checkpoints = log.checkpoints().await.expect("checkpoints");
    assert_eq!(
        checkpoints.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [4, 8]
    );
    assert_eq!(
        verify(&entries, &checkpoints, &op.public())
            .expect("intact")
            .entries,
        10
    );

    // a batch with a gap inside, or one not following the head, stores nothing
    let mut next = LogWriter::resume(entries.last(), 4);
    let more: Vec<_> = (11..=13)
        .map(|i| next.append(record(i, Some(BOB), HCC, i as i64), &op))
        .collect();
    let gapped = [more[0].clone(), more[2].clone()];
    let e = log.append_log_batch(&gapped).await.expect_err("a gap");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    let e = log
        .append_log_batch(&more[1..])
        .await
        .expect_err("not after the head");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    // a checkpoint over another entry is refused
    let mut crossed = more.clone();
    crossed[0].checkpoint = batch[3].checkpoint.clone();
    let e = log
        .append_log_batch(&crossed)
        .await
        .expect_err("a crossed checkpoint");
    assert_eq!(e.kind(), ErrorKind::Refused, "{e}");
    assert_eq!(log.log_range(1, 100).await.expect("range"), entries);
    log.append_log_batch(&more).await.expect("the valid batch");
    assert_eq!(
        log.log_head().await.expect("head"),
        Some(more[2].entry.clone())
    );
}

pub async fn log_append_range_and_tamper_detection(h: &Harness) {
    let store = h.open().await;
    let log = store.exchange();
    assert_eq!(log.log_head().await.expect("head"), None);
    assert_eq!(log.log_range(1, 10).await.expect("range"), []);

    let records: Vec<LogRecord> = (1..=5)
        .map(|i| record(i, Some(ALICE), HCC, i as i64))
        .collect();
    let (first, _) = append_all(log, records[..3].to_vec()).await;
    // a second writer resumes from the stored head
    let (rest, _) = append_all(log, records[3..].to_vec()).await;
    let entries: Vec<LogEntry> = first.into_iter().chain(rest).collect();

    assert_eq!(log.log_range(1, 100).await.expect("range"), entries);
    assert_eq!(log.log_range(3, 2).await.expect("range"), entries[2..4]);
    assert_eq!(log.log_range(6, 2).await.expect("range"), []);
    assert_eq!(log.log_head().await.expect("head"), entries.last().cloned());
    let checkpoints = log.checkpoints().await.expect("checkpoints");
    assert_eq!(
        checkpoints.iter().map(|c| c.seq).collect::<Vec<_>>(),
        [2, 4]
    );
    let key = operator().public();
    let verified = verify(&entries, &checkpoints, &key).expect("intact");
    assert_eq!(verified.entries, 5);

    // the chain cannot fork: an entry that does not follow the head
    let e = log
        .append_log(&entries[4], None)
        .await
        .expect_err("appended twice");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    let mut stale = LogWriter::resume(Some(&entries[2]), 0);
    let fork = stale.append(record(9, None, HCC, 9), &operator());
    let e = log.append_log(&fork.entry, None).await.expect_err("a fork");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    // nor can an entry whose hash does not cover its contents
    let mut writer = LogWriter::resume(entries.last(), 0);
    let mut forged = writer
        .append(record(6, Some(BOB), HCC, 6), &operator())
        .entry;
    forged.record.purpose = "curiosity".into();
    let e = log.append_log(&forged, None).await.expect_err("forged");
    assert_eq!(e.kind(), ErrorKind::Refused, "{e}");
    assert_eq!(log.log_range(1, 100).await.expect("range"), entries);

    // an edit behind the store's back is found and located
    h.execute("UPDATE exchange_log SET purpose = 'curiosity' WHERE seq = 3")
        .await;
    let stored = log.log_range(1, 100).await.expect("range");
    assert_eq!(stored[2].record.purpose, "curiosity");
    let broken = verify(
        &stored,
        &log.checkpoints().await.expect("checkpoints"),
        &key,
    )
    .expect_err("tampered");
    assert_eq!(broken.first_bad_seq, 3, "{broken}");
    assert_eq!(broken.reason, BreakReason::Edited);

    // an edited and re-hashed entry: the next one no longer chains to it
    h.execute("UPDATE exchange_log SET purpose = 'birth-registration' WHERE seq = 3")
        .await;
    let mut rehashed = entries[2].clone();
    rehashed.record.fields.push("religion".into());
    rehashed.hash = rehashed.compute_hash();
    h.execute(&format!(
        "UPDATE exchange_log SET fields = '[\"full_name\",\"birth_date\",\"religion\"]', \
         hash = '{}' WHERE seq = 3",
        rehashed.hash
    ))
    .await;
    let stored = log.log_range(1, 100).await.expect("range");
    let broken = verify(
        &stored,
        &log.checkpoints().await.expect("checkpoints"),
        &key,
    )
    .expect_err("tampered");
    assert_eq!(broken.first_bad_seq, 3, "{broken}");
    assert_eq!(broken.reason, BreakReason::ChainBroken { next: 4 });
}

pub async fn consent_is_given_and_withdrawn(h: &Harness) {
    let store = h.open().await;
    let exchange = store.exchange();
    let hcc = member(HCC);
    let bhxh = member(BHXH);
    let purpose = "insurance-claim";
    let (t1, t2, t3) = (t0(), t0() + Duration::days(30), t0() + Duration::days(60));
    let snapshot = exchange.consents_of(ALICE).await.expect("consents");
    assert!(!snapshot.has_consented(ALICE, purpose, &bhxh, t1));

    assert!(
        exchange
            .give_consent(ALICE, &bhxh, purpose, t1)
            .await
            .expect("give")
    );
    // giving it again changes nothing
    assert!(
        !exchange
            .give_consent(ALICE, &bhxh, purpose, t2)
            .await
            .expect("give")
    );
    let snapshot = exchange.consents_of(ALICE).await.expect("consents");
    assert_eq!(snapshot.consents.len(), 1);
    let lookup: &dyn ConsentLookup = &snapshot;
    assert!(lookup.has_consented(ALICE, purpose, &bhxh, t1));
    assert!(lookup.has_consented(ALICE, purpose, &bhxh, t2));
    assert!(!lookup.has_consented(ALICE, purpose, &bhxh, t1 - Duration::seconds(1)));
    // for that consumer, that purpose and that person only
    assert!(!lookup.has_consented(ALICE, purpose, &hcc, t2));
    assert!(!lookup.has_consented(ALICE, "marketing", &bhxh, t2));
    assert!(!lookup.has_consented(BOB, purpose, &bhxh, t2));
    let bob = exchange.consents_of(BOB).await.expect("consents");
    assert!(!bob.has_consented(BOB, purpose, &bhxh, t2));

    assert!(
        exchange
            .withdraw_consent(ALICE, &bhxh, purpose, t2)
            .await
            .expect("withdraw")
    );
    assert!(
        !exchange
            .withdraw_consent(ALICE, &bhxh, purpose, t3)
            .await
            .expect("withdraw")
    );
    let snapshot = exchange.consents_of(ALICE).await.expect("consents");
    // withdrawn from t2 on; still in force before (an audit of past access)
    assert!(!snapshot.has_consented(ALICE, purpose, &bhxh, t2));
    assert!(!snapshot.has_consented(ALICE, purpose, &bhxh, t3));
    assert!(snapshot.has_consented(ALICE, purpose, &bhxh, t2 - Duration::seconds(1)));

    // given again
    assert!(
        exchange
            .give_consent(ALICE, &bhxh, purpose, t3)
            .await
            .expect("give")
    );
    let snapshot = exchange.consents_of(ALICE).await.expect("consents");
    assert_eq!(snapshot.consents.len(), 2);
    assert!(snapshot.has_consented(ALICE, purpose, &bhxh, t3 + Duration::days(1)));
    assert!(!snapshot.has_consented(ALICE, purpose, &bhxh, t2 + Duration::days(1)));
}

pub async fn tracker_shows_exactly_the_accesses_made(h: &Harness) {
    let store = h.open().await;
    let log = store.exchange();
    let records = vec![
        record(1, Some(ALICE), HCC, 10),
        record(2, Some(BOB), HCC, 20),
        record(3, Some(ALICE), BHXH, 30),
        record(4, None, HCC, 40),
        record(5, Some(BOB), BHXH, 50),
        record(6, Some(ALICE), HCC, 60),
        record(7, Some("001190000003"), HCC, 70),
    ];
    let (entries, _) = append_all(log, records).await;
    let of = |person: &str| -> Vec<LogEntry> {
        entries
            .iter()
            .filter(|e| e.record.person_id.as_deref() == Some(person))
            .cloned()
            .collect()
    };
    let all_time = (t0() - Duration::days(365), t0() + Duration::days(365));
    let alice = log
        .accesses_to(ALICE, all_time.0, all_time.1)
        .await
        .expect("tracker");
    assert_eq!(alice, of(ALICE));
    assert_eq!(alice.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 3, 6]);
    let bob = log
        .accesses_to(BOB, all_time.0, all_time.1)
        .await
        .expect("tracker");
    assert_eq!(bob, of(BOB));
    assert_eq!(bob.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 5]);
    assert_eq!(
        log.accesses_to("079090000009", all_time.0, all_time.1)
            .await
            .expect("tracker"),
        []
    );
    // a window: from is included, to is not (the instants carry nanoseconds)
    let from = entries[2].record.at;
    let to = entries[5].record.at;
    let window = log.accesses_to(ALICE, from, to).await.expect("tracker");
    assert_eq!(window.iter().map(|e| e.seq).collect::<Vec<_>>(), [3]);
    // the widest window there is
    let everything = log
        .accesses_to(ALICE, DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC)
        .await
        .expect("tracker");
    assert_eq!(everything.len(), 3);
}

pub async fn concurrent_log_writers_cannot_fork_the_chain(h: &Harness) {
    let (a, b) = (h.open().await, h.open().await);
    append_all(a.exchange(), vec![record(1, Some(ALICE), HCC, 1)]).await;
    // both writers resume from the same head and append their own entry 2
    let head = a.exchange().log_head().await.expect("head");
    let op = operator();
    let mut wa = LogWriter::resume(head.as_ref(), 0);
    let mut wb = LogWriter::resume(head.as_ref(), 0);
    let ea = wa.append(record(2, Some(ALICE), HCC, 2), &op).entry;
    let eb = wb.append(record(3, Some(BOB), BHXH, 3), &op).entry;
    let (ra, rb) = tokio::join!(
        a.exchange().append_log(&ea, None),
        b.exchange().append_log(&eb, None)
    );
    assert!(
        ra.is_ok() != rb.is_ok(),
        "exactly one of two forks is stored: {ra:?} {rb:?}"
    );
    for e in [ra, rb].into_iter().filter_map(Result::err) {
        assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    }
    let stored = a.exchange().log_range(1, 10).await.expect("range");
    assert_eq!(stored.len(), 2);
    verify(&stored, &[], &operator().public()).expect("intact");
}

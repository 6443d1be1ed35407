//! The message log notices and locates edits, deletions, insertions,
//! reordering, truncation and forged checkpoints.

use chrono::{DateTime, Duration, TimeZone, Utc};
use exchange::log::{self, verify};
use exchange::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap()
}

fn operator() -> MemberKey {
    MemberKey::from_seed(
        "VN/GOV/BCA/exchange".parse().unwrap(),
        KeyId("log-2026".into()),
        [42; 32],
    )
}

fn record(i: u64) -> LogRecord {
    LogRecord {
        at: t0() + Duration::seconds(i as i64),
        consumer: "VN/GOV/000.00.00.H29/hcc".parse().unwrap(),
        provider: "VN/GOV/BCA/registry".parse().unwrap(),
        service: "person.get".into(),
        purpose: "birth-registration".into(),
        legal_basis: Some("ND-63/2024".into()),
        case_ref: Some(format!("H29.22-260301-{i:04}")),
        person_id: Some(format!("0010990{i:05}")),
        fields: vec!["full_name".into(), "birth_date".into()],
        request_digest: Digest32::of(format!("request {i}").as_bytes()),
        response_digest: i
            .is_multiple_of(2)
            .then(|| Digest32::of(format!("response {i}").as_bytes())),
    }
}

/// 10 entries, checkpoints at 4 and 8.
fn log() -> (Vec<LogEntry>, Vec<Checkpoint>) {
    let op = operator();
    let mut w = LogWriter::new(4);
    let mut entries = Vec::new();
    let mut cps = Vec::new();
    for i in 1..=10 {
        let a = w.append(record(i), &op);
        entries.push(a.entry);
        cps.extend(a.checkpoint);
    }
    (entries, cps)
}

fn check(entries: &[LogEntry], cps: &[Checkpoint]) -> Result<Verified, Broken> {
    verify(entries, cps, &operator().public())
}

fn at(k: u64) -> usize {
    usize::try_from(k - 1).unwrap()
}

#[test]
fn intact_log_verifies() {
    let (entries, cps) = log();
    assert_eq!(cps.iter().map(|c| c.seq).collect::<Vec<_>>(), vec![4, 8]);
    let v = check(&entries, &cps).unwrap();
    assert_eq!(v.entries, 10);
    assert_eq!(v.last_hash, entries[9].hash);
    assert_eq!(v.checkpoints, 2);
    assert_eq!(v.last_checkpoint, Some(8));
    assert_eq!(v.unanchored, 2);
    assert_eq!(entries[0].prev_hash, Digest32::ZERO);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    assert_eq!(check(&[], &[]).unwrap().entries, 0);
}

#[test]
fn entries_survive_json() {
    let (entries, cps) = log();
    let json = serde_json::to_string(&entries).unwrap();
    assert!(json.contains("\"prev_hash\":\"0000"));
    let back: Vec<LogEntry> = serde_json::from_str(&json).unwrap();
    let cps_back: Vec<Checkpoint> =
        serde_json::from_str(&serde_json::to_string(&cps).unwrap()).unwrap();
    assert!(check(&back, &cps_back).is_ok());
}

#[test]
fn resumed_writer_continues_the_chain() {
    let (mut entries, mut cps) = log();
    let mut w = LogWriter::resume(entries.last(), 4);
    for i in 11..=12 {
        let a = w.append(record(i), &operator());
        entries.push(a.entry);
        cps.extend(a.checkpoint);
    }
    assert_eq!(cps.last().unwrap().seq, 12);
    assert_eq!(check(&entries, &cps).unwrap().unanchored, 0);
}

/// A named edit of one entry.
type Edit = (&'static str, fn(&mut LogEntry));

#[test]
fn each_edited_field_is_reported_at_its_entry() {
    let edits: Vec<Edit> = vec![
        ("at", |e| e.record.at += Duration::seconds(1)),
        ("consumer", |e| {
            e.record.consumer = "VN/GOV/BVCR/his".parse().unwrap()
        }),
        ("provider", |e| {
            e.record.provider = "VN/GOV/BHXH/core".parse().unwrap()
        }),
        ("service", |e| e.record.service = "household.get".into()),
        ("purpose", |e| e.record.purpose = "marketing".into()),
        ("legal_basis", |e| e.record.legal_basis = None),
        ("case_ref", |e| e.record.case_ref = Some("X".into())),
        ("person_id", |e| {
            e.record.person_id = Some("079200000001".into())
        }),
        ("fields", |e| e.record.fields.push("religion".into())),
        ("request_digest", |e| {
            e.record.request_digest = Digest32::of(b"x")
        }),
        ("response_digest", |e| {
            e.record.response_digest = Some(Digest32::of(b"y"))
        }),
        ("prev_hash", |e| e.prev_hash = Digest32::of(b"z")),
        ("hash", |e| e.hash = Digest32::of(b"w")),
    ];
    for k in [1u64, 5, 10] {
        for (name, edit) in &edits {
            let (mut entries, cps) = log();
            edit(&mut entries[at(k)]);
            let b = check(&entries, &cps).unwrap_err();
            assert_eq!(b.first_bad_seq, k, "{name} at {k}: {b}");
            assert_eq!(b.reason, BreakReason::Edited, "{name} at {k}");
        }
    }
}

#[test]
fn edit_with_recomputed_hash_is_reported_at_the_entry() {
    let (mut entries, cps) = log();
    entries[at(6)].record.purpose = "marketing".into();
    entries[at(6)].hash = entries[at(6)].compute_hash();
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 6, "{b}");
    assert_eq!(b.reason, BreakReason::ChainBroken { next: 7 });
}

#[test]
fn rewriting_the_rest_of_the_chain_is_caught_by_the_checkpoint() {
    let (mut entries, cps) = log();
    entries[at(6)].record.purpose = "marketing".into();
    let mut prev = entries[at(5)].hash;
    for e in &mut entries[at(6)..] {
        e.prev_hash = prev;
        e.hash = e.compute_hash();
        prev = e.hash;
    }
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 5, "{b}");
    assert_eq!(
        b.reason,
        BreakReason::CheckpointMismatch { checkpoint_seq: 8 }
    );
    assert!(b.to_string().contains("entry 5"));
}

#[test]
fn deletion_is_reported() {
    let (mut entries, cps) = log();
    entries.remove(at(3));
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 3);
    assert_eq!(b.reason, BreakReason::Missing { from: 3, to: 3 });
    let (mut entries, cps) = log();
    entries.drain(at(2)..at(5));
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.reason, BreakReason::Missing { from: 2, to: 4 });
}

#[test]
fn deletion_with_renumbering_is_reported() {
    let (mut entries, cps) = log();
    entries.remove(at(3));
    for (i, e) in entries[at(3)..].iter_mut().enumerate() {
        e.seq = 3 + i as u64;
        e.hash = e.compute_hash();
    }
    let b = check(&entries, &cps).unwrap_err();
    // Entry 2 no longer chains to the (renumbered) entry 3.
    assert_eq!(b.first_bad_seq, 2, "{b}");
    assert_eq!(b.reason, BreakReason::ChainBroken { next: 3 });
}

#[test]
fn insertion_is_reported() {
    // A forged entry slipped in between 5 and 6, chained to 5, as seq 6.
    let forge = |entries: &mut Vec<LogEntry>| {
        let mut fake = entries[at(6)].clone();
        fake.record.person_id = Some("079200000001".into());
        fake.hash = fake.compute_hash();
        entries.insert(at(6), fake);
    };
    let (mut entries, cps) = log();
    forge(&mut entries);
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 6, "{b}");
    assert_eq!(b.reason, BreakReason::Duplicate);

    // The same, with everything after it renumbered and re-hashed.
    let (mut entries, cps) = log();
    forge(&mut entries);
    for (i, e) in entries[at(7)..].iter_mut().enumerate() {
        e.seq = 7 + i as u64;
        e.hash = e.compute_hash();
    }
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 6, "{b}");
    assert_eq!(b.reason, BreakReason::ChainBroken { next: 7 });
}

#[test]
fn reordering_is_reported() {
    let (mut entries, cps) = log();
    entries.swap(at(3), at(4));
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 3);
    assert_eq!(
        b.reason,
        BreakReason::OutOfOrder {
            expected: 3,
            found: 4
        }
    );
}

#[test]
fn truncation_after_a_checkpoint_is_reported() {
    let (mut entries, cps) = log();
    entries.truncate(6);
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 7);
    assert_eq!(b.reason, BreakReason::Truncated { checkpoint_seq: 8 });
    // Cutting entries past the last checkpoint cannot be seen, but is
    // reported as unanchored.
    let (mut entries, cps) = log();
    entries.truncate(9);
    assert_eq!(check(&entries, &cps).unwrap().unanchored, 1);
    let (mut entries, cps) = log();
    entries.truncate(8);
    assert_eq!(check(&entries, &cps).unwrap().unanchored, 0);
}

#[test]
fn forged_checkpoint_is_reported() {
    let (entries, mut cps) = log();
    // Signed by someone else.
    let impostor = MemberKey::from_seed(operator().member, operator().key_id, [1; 32]);
    cps.push(Checkpoint::sign(&entries[at(10)], &impostor));
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 10);
    assert_eq!(b.reason, BreakReason::ForgedCheckpoint);

    // A genuine checkpoint with its hash changed.
    let (entries, mut cps) = log();
    cps[0].hash = entries[at(3)].hash;
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 4);
    assert_eq!(b.reason, BreakReason::ForgedCheckpoint);

    // Garbage signature.
    let (entries, mut cps) = log();
    cps[1].signature = "not base64!".into();
    assert_eq!(check(&entries, &cps).unwrap_err().first_bad_seq, 8);
}

#[test]
fn earliest_break_wins() {
    let (mut entries, mut cps) = log();
    cps[1].signature = cps[0].signature.clone(); // forged at 8
    entries[at(2)].record.service = "x".into(); // edited at 2
    assert_eq!(check(&entries, &cps).unwrap_err().first_bad_seq, 2);
    let (mut entries, mut cps) = log();
    cps[0].signature = cps[1].signature.clone(); // forged at 4
    entries[at(9)].record.service = "x".into(); // edited at 9
    assert_eq!(check(&entries, &cps).unwrap_err().first_bad_seq, 4);
}

#[test]
fn bad_genesis_is_reported() {
    let (mut entries, cps) = log();
    entries[0].prev_hash = Digest32::of(b"before");
    entries[0].hash = entries[0].compute_hash();
    let b = check(&entries, &cps).unwrap_err();
    assert_eq!(b.first_bad_seq, 1);
    assert_eq!(b.reason, BreakReason::BadGenesis);
}

// ------------------------------------------------------------ signed heads

fn head_of(entries: &[LogEntry], seq: u64) -> SignedHead {
    let e = &entries[at(seq)];
    SignedHead::sign(e.seq, e.hash, t0() + Duration::hours(1), &operator())
}

/// The log checked against its checkpoints, the given heads, and a
/// checkpoint due every 4 entries.
fn check_held(
    entries: &[LogEntry],
    cps: &[Checkpoint],
    heads: &[SignedHead],
) -> Result<Verified, Broken> {
    let key = operator().public();
    let mut v = LogVerifier::new(cps, &key).checkpoints_every(4);
    for h in heads {
        v.hold_head(h, &key).unwrap();
    }
    log::verify_all(v, entries)
}

#[test]
fn a_head_is_signed_by_the_operator_over_seq_hash_and_time() {
    let (entries, _) = log();
    let head = head_of(&entries, 10);
    let key = operator().public();
    assert!(head.verify(&key));
    assert_eq!((head.seq, head.hash), (10, entries[at(10)].hash));
    assert_eq!(head.key_id, operator().key_id);
    // kept to whole seconds, so that its header carries it exactly
    let signed = SignedHead::sign(
        1,
        entries[0].hash,
        t0() + Duration::milliseconds(1500),
        &operator(),
    );
    assert_eq!(signed.at, t0() + Duration::seconds(1));
    assert!(signed.verify(&key));

    let other = MemberKey::from_seed(operator().member, operator().key_id, [1; 32]);
    assert!(!head.verify(&other.public()));
    let changed: [fn(&mut SignedHead); 4] = [
        |h| h.seq -= 1,
        |h| h.hash = Digest32::of(b"x"),
        |h| h.at += Duration::seconds(1),
        |h| h.signature = "not base64!".into(),
    ];
    for change in changed {
        let mut h = head.clone();
        change(&mut h);
        assert!(!h.verify(&key), "{h:?}");
    }
}

#[test]
fn a_head_survives_its_header_and_its_json() {
    let (entries, _) = log();
    let head = head_of(&entries, 7);
    let header = head.to_header().unwrap();
    assert!(
        header.starts_with(&format!("seq=7, hash=\"{}\", at=", entries[at(7)].hash)),
        "{header}"
    );
    assert_eq!(SignedHead::from_header(&header).unwrap(), head);
    // a file holds the JSON, the header's value, or the whole header line
    let json = serde_json::to_string_pretty(&head).unwrap();
    for text in [
        json.clone(),
        header.clone(),
        format!("x-log-head: {header}\n"),
        format!("X-Log-Head:{header}"),
    ] {
        assert_eq!(SignedHead::parse(&text).unwrap(), head, "{text}");
    }
    for bad in [
        "",
        "seq=7",
        "seq=-1, hash=\"00\", at=1, keyid=\"k\", sig=:AA==:",
        &header.replace("seq=7", "seq=\"7\""),
        &header.replace("hash=\"", "hash=\"zz"),
        "{\"seq\": 7}",
    ] {
        assert!(SignedHead::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn truncation_with_its_checkpoints_is_caught_by_a_held_head() {
    let (entries, cps) = log();
    let head = head_of(&entries, 10);
    // cut after entry 3 and delete the checkpoints at 4 and 8 with it
    let cut = &entries[..3];
    let left: Vec<Checkpoint> = cps.iter().filter(|c| c.seq <= 3).cloned().collect();
    // the log alone looks intact: that is why heads are kept elsewhere
    assert_eq!(check_held(cut, &left, &[]).unwrap().entries, 3);
    let b = check_held(cut, &left, std::slice::from_ref(&head)).unwrap_err();
    assert_eq!(b.first_bad_seq, 4, "{b}");
    assert_eq!(
        b.reason,
        BreakReason::TruncatedBelowHead {
            head_seq: 10,
            head_at: head.at,
            log_end: 3
        }
    );
    assert!(
        b.to_string().contains(&format!(
            "log truncated: a signed head of {} names entry 10, the log ends at 3",
            head.at
        )),
        "{b}"
    );
    // the latest head is the one named
    let older = head_of(&entries, 9);
    let b = check_held(cut, &left, &[head.clone(), older]).unwrap_err();
    assert!(matches!(
        b.reason,
        BreakReason::TruncatedBelowHead { head_seq: 10, .. }
    ));
    // emptied altogether
    let b = check_held(&[], &[], std::slice::from_ref(&head)).unwrap_err();
    assert_eq!(b.first_bad_seq, 1);
    assert!(b.to_string().contains("the log ends at 0"), "{b}");
}

#[test]
fn a_log_rewritten_below_a_head_is_reported_from_the_anchor_before_it() {
    let (mut entries, cps) = log();
    let head = head_of(&entries, 10);
    // entries 9 and 10 rewritten and re-chained: no checkpoint covers them
    entries[at(9)].record.purpose = "marketing".into();
    let mut prev = entries[at(8)].hash;
    for e in &mut entries[at(9)..] {
        e.prev_hash = prev;
        e.hash = e.compute_hash();
        prev = e.hash;
    }
    assert!(check_held(&entries, &cps, &[]).is_ok());
    let b = check_held(&entries, &cps, std::slice::from_ref(&head)).unwrap_err();
    assert_eq!(b.first_bad_seq, 9, "{b}");
    assert_eq!(
        b.reason,
        BreakReason::HeadMismatch {
            head_seq: 10,
            head_at: head.at
        }
    );
}

#[test]
fn an_intact_log_verifies_against_its_heads() {
    let (mut entries, mut cps) = log();
    let early = head_of(&entries, 6);
    let latest = head_of(&entries, 10);
    let v = check_held(&entries, &cps, &[early.clone(), latest.clone()]).unwrap();
    assert_eq!(v.heads, 2);
    assert_eq!(v.last_head.as_ref(), Some(&latest));
    assert_eq!(v.last_checkpoint, Some(8));
    assert_eq!(v.unanchored, 0);
    // the log grows past its heads
    let mut w = LogWriter::resume(entries.last(), 4);
    assert_eq!(w.head(), Some((10, entries[at(10)].hash)));
    for i in 11..=13 {
        let a = w.append(record(i), &operator());
        entries.push(a.entry);
        cps.extend(a.checkpoint);
    }
    let v = check_held(&entries, &cps, &[early, latest]).unwrap();
    assert_eq!(
        (v.entries, v.last_checkpoint, v.unanchored),
        (13, Some(12), 1)
    );
    assert_eq!(LogWriter::new(4).head(), None);
}

#[test]
fn a_head_not_signed_by_the_operator_is_refused() {
    let (entries, cps) = log();
    let impostor = MemberKey::from_seed(operator().member, operator().key_id, [1; 32]);
    let e = &entries[at(10)];
    let forged = SignedHead::sign(e.seq + 5, e.hash, t0(), &impostor);
    let mut v = LogVerifier::new(&cps, &operator().public());
    let refused = v.hold_head(&forged, &operator().public()).unwrap_err();
    assert_eq!(refused.seq, 15);
    assert!(
        refused
            .to_string()
            .contains("not signed by the log operator")
    );
    // and it does not count
    assert_eq!(log::verify_all(v, &entries).unwrap().heads, 0);
}

#[test]
fn a_deleted_checkpoint_is_reported_where_it_was_due() {
    let (entries, cps) = log();
    let without_4: Vec<Checkpoint> = cps.iter().filter(|c| c.seq != 4).cloned().collect();
    let b = check_held(&entries, &without_4, &[]).unwrap_err();
    assert_eq!(b.first_bad_seq, 4, "{b}");
    assert_eq!(b.reason, BreakReason::MissingCheckpoint { every: 4 });
    assert!(b.to_string().contains("due every 4 entries"), "{b}");
    // the last one too
    let without_8: Vec<Checkpoint> = cps.iter().filter(|c| c.seq != 8).cloned().collect();
    assert_eq!(
        check_held(&entries, &without_8, &[])
            .unwrap_err()
            .first_bad_seq,
        8
    );
    // without the interval, nothing is due
    assert!(check(&entries, &without_4).is_ok());
    // a forged checkpoint stands where one is due: it is reported as forged
    let mut forged = cps.clone();
    forged[0].signature = forged[1].signature.clone();
    let b = check_held(&entries, &forged, &[]).unwrap_err();
    assert_eq!(
        (b.first_bad_seq, b.reason),
        (4, BreakReason::ForgedCheckpoint)
    );
}

#[test]
fn the_verifier_fed_entry_by_entry_agrees_with_a_whole_log() {
    let (entries, cps) = log();
    let key = operator().public();
    let mut v = LogVerifier::new(&cps, &key);
    for e in &entries {
        v.step(e).unwrap();
    }
    assert_eq!(v.finish(), check(&entries, &cps));
    // a gap fed entry by entry is a gap
    let mut v = LogVerifier::new(&cps, &key);
    let b = entries
        .iter()
        .filter(|e| e.seq != 3)
        .try_for_each(|e| v.step(e))
        .unwrap_err();
    assert_eq!(b.reason, BreakReason::Missing { from: 3, to: 3 });
}

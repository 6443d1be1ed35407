//! The back offices' synchronisation: a message kept once by its key, with
//! the dossier's state it moves in the same transaction, only from the
//! version read; the messages left for an operator, and resolving them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use dossier::{Action, Channel, Lifecycle};
use serde_json::json;
use store::{Kept, MessageVerdict, SyncMessage, Synced};

use super::Harness;

fn at(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 1, 0, 0)
        .single()
        .expect("a time")
        + Duration::minutes(minute)
}

fn message(key: &str, code: &str, unit: &str, minute: i64, verdict: MessageVerdict) -> SyncMessage {
    SyncMessage {
        id: uuid::Uuid::now_v7(),
        key: key.into(),
        code: code.into(),
        unit: unit.into(),
        received_at: at(minute),
        verdict,
        reason: (verdict == MessageVerdict::Quarantined)
            .then(|| "a dossier that is 3 (Not received) cannot become 4 (Processing)".into()),
        body: json!({"MaHoSo": code, "TrangThaiHoSo": "2", "key": key}),
        resolved_at: None,
    }
}

fn state(code: &str, version: u64, acts: &[Action], minute: i64) -> Synced {
    let mut lifecycle = Lifecycle::start(Channel::Online);
    for act in acts {
        lifecycle.apply(*act).expect("lawful");
    }
    Synced {
        code: code.into(),
        unit: "H29".into(),
        version,
        lifecycle,
        packet: json!({"MaHoSo": code, "version": version}),
        updated_at: at(minute),
        applicant: None,
    }
}

pub async fn back_office_messages_are_kept_once_with_the_state_they_move(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    let code = "H29.12-261207-0001";
    assert_eq!(sync.synced(code).await.expect("read"), None);

    // the first message makes the dossier known
    let first = message(
        &format!("{code}#1"),
        code,
        "H29",
        0,
        MessageVerdict::Applied,
    );
    let one = state(code, 1, &[], 0);
    assert_eq!(
        sync.keep(&first, Some((&one, None))).await.expect("kept"),
        Kept::Stored
    );
    assert_eq!(sync.synced(code).await.expect("read"), Some(one.clone()));

    // the same message again: nothing changes, not even a second copy
    let again = SyncMessage {
        id: uuid::Uuid::now_v7(),
        ..first.clone()
    };
    let two = state(code, 2, &[Action::Receive], 1);
    assert_eq!(
        sync.keep(&again, Some((&two, Some(1))))
            .await
            .expect("kept"),
        Kept::AlreadyHad
    );
    assert_eq!(sync.synced(code).await.expect("read"), Some(one.clone()));
    assert_eq!(
        sync.sync_messages(code).await.expect("read"),
        std::slice::from_ref(&first)
    );

    // the next version, from the version read
    let second = message(
        &format!("{code}#2"),
        code,
        "H29",
        1,
        MessageVerdict::Applied,
    );
    assert_eq!(
        sync.keep(&second, Some((&two, Some(1))))
            .await
            .expect("kept"),
        Kept::Stored
    );
    assert_eq!(sync.synced(code).await.expect("read"), Some(two.clone()));

    // a writer that read version 1 meanwhile: refused, and its message not kept
    let late = message(
        &format!("{code}#3"),
        code,
        "H29",
        2,
        MessageVerdict::Applied,
    );
    let three = state(code, 3, &[Action::Receive, Action::StartProcessing], 2);
    assert_eq!(
        sync.keep(&late, Some((&three, Some(1))))
            .await
            .expect("kept"),
        Kept::Conflict
    );
    assert_eq!(sync.synced(code).await.expect("read"), Some(two.clone()));
    // a dossier known already is not made known twice
    assert_eq!(
        sync.keep(&late, Some((&three, None))).await.expect("kept"),
        Kept::Conflict
    );
    assert_eq!(
        sync.sync_messages(code).await.expect("read"),
        [first, second],
        "in the order received"
    );
    // judged again, it is stored
    assert_eq!(
        sync.keep(&late, Some((&three, Some(2))))
            .await
            .expect("kept"),
        Kept::Stored
    );
    assert_eq!(
        sync.synced(code).await.expect("read").map(|s| s.version),
        Some(3)
    );

    // a message that changes nothing is kept without a state
    let stale = message(
        &format!("{code}#old"),
        code,
        "H29",
        3,
        MessageVerdict::Stale,
    );
    assert_eq!(sync.keep(&stale, None).await.expect("kept"), Kept::Stored);
    assert_eq!(
        sync.synced(code).await.expect("read").map(|s| s.version),
        Some(3)
    );
    assert_eq!(sync.sync_messages(code).await.expect("read").len(), 4);
}

pub async fn quarantined_messages_wait_for_an_operator_per_unit(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    let kept = [
        message("A#1", "A", "H29", 0, MessageVerdict::Quarantined),
        message("B#1", "B", "T01", 1, MessageVerdict::Quarantined),
        message("A#2", "A", "H29", 2, MessageVerdict::Waiting),
        message("C#1", "C", "H29", 3, MessageVerdict::Quarantined),
    ];
    for m in &kept {
        assert_eq!(sync.keep(m, None).await.expect("kept"), Kept::Stored);
    }
    let keys = |list: Vec<SyncMessage>| list.into_iter().map(|m| m.key).collect::<Vec<_>>();
    let open =
        |unit: Option<&'static str>| sync.open_messages(MessageVerdict::Quarantined, unit, 10);
    assert_eq!(keys(open(None).await.expect("read")), ["A#1", "B#1", "C#1"]);
    assert_eq!(keys(open(Some("H29")).await.expect("read")), ["A#1", "C#1"]);
    assert_eq!(
        keys(
            sync.open_messages(MessageVerdict::Quarantined, None, 2)
                .await
                .expect("read")
        ),
        ["A#1", "B#1"]
    );
    assert_eq!(
        keys(
            sync.open_messages(MessageVerdict::Waiting, None, 10)
                .await
                .expect("read")
        ),
        ["A#2"]
    );
    let quarantined = &open(None).await.expect("read")[0];
    assert!(
        quarantined
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("cannot become"))
    );
    assert_eq!(quarantined.body["key"], "A#1");

    // resolved once
    assert!(
        sync.resolve_message(kept[0].id, at(9))
            .await
            .expect("resolved")
    );
    assert!(
        !sync
            .resolve_message(kept[0].id, at(10))
            .await
            .expect("resolved once")
    );
    assert!(
        !sync
            .resolve_message(uuid::Uuid::now_v7(), at(10))
            .await
            .expect("none")
    );
    assert_eq!(keys(open(Some("H29")).await.expect("read")), ["C#1"]);
    let resolved = sync.sync_messages("A").await.expect("read");
    assert_eq!(resolved[0].resolved_at, Some(at(9)));
}

pub(super) fn office(id: &str, units: &[&str], minute: i64) -> store::StoredOffice {
    store::StoredOffice {
        office: backoffice::Office::check(backoffice::office::Draft {
            id: id.into(),
            name: "Hệ thống một cửa".into(),
            province: "08".into(),
            units: units.iter().map(|u| u.to_string()).collect(),
            endpoint: Some("https://motcua.example.gov.vn/lien-thong".into()),
            delivery: backoffice::Delivery::Push,
            keys: Vec::new(),
        })
        .expect("a valid configuration"),
        secret_sha256: format!("secret-of-{id}-{minute}"),
        created_at: at(minute),
        updated_at: at(minute),
    }
}

pub(super) fn change(action: &str, minute: i64) -> store::OfficeChange {
    store::OfficeChange {
        at: at(minute),
        actor: "operator".into(),
        action: action.into(),
        detail: json!({"minute": minute}),
    }
}

pub async fn back_offices_are_configured_with_an_audit_trail_and_sessions(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    assert_eq!(sync.office("tuyen-quang").await.expect("read"), None);
    assert!(sync.offices().await.expect("list").is_empty());

    let first = office("tuyen-quang", &["H56"], 0);
    assert!(
        sync.put_office(&first, &change("connected", 0))
            .await
            .expect("put")
    );
    assert_eq!(
        sync.office("tuyen-quang").await.expect("read"),
        Some(first.clone())
    );

    // changed: the creation time stays what was stored
    let mut second = office("tuyen-quang", &["H56", "H56.01"], 5);
    second.created_at = at(3);
    assert!(
        !sync
            .put_office(&second, &change("changed", 5))
            .await
            .expect("put")
    );
    let read = sync
        .office("tuyen-quang")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(read.office.units.len(), 2);
    assert_eq!(read.secret_sha256, "secret-of-tuyen-quang-5");
    assert_eq!(read.created_at, at(0), "the creation time is kept");
    assert_eq!(read.updated_at, at(5));

    let other = office("ha-giang", &["H20"], 6);
    sync.put_office(&other, &change("connected", 6))
        .await
        .expect("put");
    let ids: Vec<String> = sync
        .offices()
        .await
        .expect("list")
        .into_iter()
        .map(|o| o.office.id)
        .collect();
    assert_eq!(ids, vec!["ha-giang", "tuyen-quang"]);

    // sessions: found until they expire, and only by their hash
    sync.open_office_session("hash-1", "tuyen-quang", at(10), at(70))
        .await
        .expect("open");
    assert_eq!(
        sync.office_session("hash-1", at(69)).await.expect("read"),
        Some("tuyen-quang".to_string())
    );
    assert_eq!(
        sync.office_session("hash-1", at(70)).await.expect("read"),
        None
    );
    assert_eq!(
        sync.office_session("hash-2", at(11)).await.expect("read"),
        None
    );
    // an expired one is dropped when the next opens
    sync.open_office_session("hash-2", "ha-giang", at(80), at(140))
        .await
        .expect("open");
    assert_eq!(
        sync.office_session("hash-1", at(11)).await.expect("read"),
        None
    );

    // disconnected: its sessions end, its trail stays
    sync.open_office_session("hash-3", "tuyen-quang", at(81), at(141))
        .await
        .expect("open");
    assert!(
        sync.remove_office("tuyen-quang", &change("disconnected", 90))
            .await
            .expect("remove")
    );
    assert!(
        !sync
            .remove_office("tuyen-quang", &change("disconnected", 91))
            .await
            .expect("remove")
    );
    assert_eq!(sync.office("tuyen-quang").await.expect("read"), None);
    assert_eq!(
        sync.office_session("hash-3", at(82)).await.expect("read"),
        None
    );
    assert_eq!(
        sync.office_session("hash-2", at(82)).await.expect("read"),
        Some("ha-giang".to_string()),
        "another office's session stays"
    );
    let trail: Vec<(String, DateTime<Utc>)> = sync
        .office_changes("tuyen-quang")
        .await
        .expect("trail")
        .into_iter()
        .map(|c| (c.action, c.at))
        .collect();
    assert_eq!(
        trail,
        vec![
            ("connected".to_string(), at(0)),
            ("changed".to_string(), at(5)),
            ("disconnected".to_string(), at(90)),
        ]
    );
}

pub async fn a_message_is_found_by_its_key(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    let kept = message(
        "H29.1#hoso#x",
        "H29.1",
        "H29",
        0,
        MessageVerdict::Quarantined,
    );
    assert_eq!(sync.keep(&kept, None).await.expect("keep"), Kept::Stored);
    assert_eq!(
        sync.message_by_key("H29.1#hoso#x").await.expect("read"),
        Some(kept)
    );
    assert_eq!(
        sync.message_by_key("H29.1#hoso#y").await.expect("read"),
        None
    );
}

pub async fn a_new_password_ends_the_sessions_of_the_old(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    let first = office("lao-cai", &["H39"], 0);
    sync.put_office(&first, &change("connected", 0))
        .await
        .expect("put");
    sync.open_office_session("old", "lao-cai", at(1), at(61))
        .await
        .expect("open");
    // the same password (a change of units): the session stays
    let mut same = office("lao-cai", &["H39", "H39.1"], 2);
    same.secret_sha256 = first.secret_sha256.clone();
    sync.put_office(&same, &change("changed", 2))
        .await
        .expect("put");
    assert_eq!(
        sync.office_session("old", at(3)).await.expect("read"),
        Some("lao-cai".to_string())
    );
    // a new password: it ends
    let renewed = office("lao-cai", &["H39", "H39.1"], 4);
    sync.put_office(&renewed, &change("password", 4))
        .await
        .expect("put");
    assert_eq!(sync.office_session("old", at(5)).await.expect("read"), None);
}

pub async fn an_agencys_day_is_read_by_its_code_prefix(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    for (n, code) in [
        "UBND.25747-261206-0009",
        "UBND.25747-261207-0001",
        "UBND.25747-261207-0002",
        "UBND.25747-2612070-0001",
        "UBND.25747.1-261207-0001",
        "UBND.25748-261207-0001",
    ]
    .iter()
    .enumerate()
    {
        let kept = message(
            &format!("{code}#1"),
            code,
            "UBND.25747",
            0,
            MessageVerdict::Applied,
        );
        let state = state(code, 1, &[], i64::try_from(n).expect("small"));
        assert_eq!(
            sync.keep(&kept, Some((&state, None))).await.expect("keep"),
            Kept::Stored
        );
    }
    let day: Vec<String> = sync
        .synced_with_prefix("UBND.25747-261207-")
        .await
        .expect("read")
        .into_iter()
        .map(|s| s.code)
        .collect();
    assert_eq!(day, ["UBND.25747-261207-0001", "UBND.25747-261207-0002"]);
    assert!(sync.synced_with_prefix("").await.expect("read").is_empty());
}

pub async fn a_persons_synchronised_dossiers_are_listed_the_last_changed_first(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    let hoa = "001190000001";
    for (n, (code, applicant)) in [
        ("H29.12-261207-0001", Some(hoa)),
        ("H29.12-261207-0002", Some("001190000002")),
        ("H29.12-261207-0003", None),
        ("H29.12-261207-0004", Some(hoa)),
    ]
    .into_iter()
    .enumerate()
    {
        let kept = message(
            &format!("{code}#1"),
            code,
            "H29",
            0,
            MessageVerdict::Applied,
        );
        let mut state = state(code, 1, &[], i64::try_from(n).expect("small"));
        state.applicant = applicant.map(str::to_string);
        assert_eq!(
            sync.keep(&kept, Some((&state, None))).await.expect("keep"),
            Kept::Stored
        );
    }
    let codes = |list: Vec<Synced>| list.into_iter().map(|s| s.code).collect::<Vec<_>>();
    let listed = sync.synced_of_applicant(hoa, 10).await.expect("listed");
    assert_eq!(listed[0].applicant.as_deref(), Some(hoa));
    assert_eq!(codes(listed), ["H29.12-261207-0004", "H29.12-261207-0001"]);
    assert_eq!(
        codes(sync.synced_of_applicant(hoa, 1).await.expect("listed")),
        ["H29.12-261207-0004"]
    );
    assert!(
        sync.synced_of_applicant("", 10)
            .await
            .expect("listed")
            .is_empty()
    );
    // a later packet that names another applicant moves the dossier
    let code = "H29.12-261207-0001";
    let kept = message(
        &format!("{code}#2"),
        code,
        "H29",
        9,
        MessageVerdict::Applied,
    );
    let mut moved = state(code, 2, &[], 9);
    moved.applicant = Some("001190000002".into());
    assert_eq!(
        sync.keep(&kept, Some((&moved, Some(1))))
            .await
            .expect("keep"),
        Kept::Stored
    );
    assert_eq!(
        codes(sync.synced_of_applicant(hoa, 10).await.expect("listed")),
        ["H29.12-261207-0004"]
    );
    assert_eq!(
        codes(
            sync.synced_of_applicant("001190000002", 10)
                .await
                .expect("listed")
        ),
        ["H29.12-261207-0001", "H29.12-261207-0002"]
    );
}

pub async fn each_units_activity_and_open_messages_are_counted(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    let kept = [
        ("A-1#1", "A-1", "H56", 0, MessageVerdict::Applied),
        ("A-1#2", "A-1", "H56", 3, MessageVerdict::Applied),
        ("A-1#3", "A-1", "H56", 4, MessageVerdict::Quarantined),
        ("A-2#1", "A-2", "H56", 5, MessageVerdict::Waiting),
        ("B-1#1", "B-1", "H20", 1, MessageVerdict::Quarantined),
        ("B-1#2", "B-1", "H20", 9, MessageVerdict::Duplicate),
    ];
    let mut ids = Vec::new();
    for (key, code, unit, minute, verdict) in kept {
        let m = message(key, code, unit, minute, verdict);
        ids.push(m.id);
        sync.keep(&m, None).await.expect("keep");
    }
    let activity: Vec<(String, MessageVerdict, u64, DateTime<Utc>)> = sync
        .unit_activity(at(1))
        .await
        .expect("read")
        .into_iter()
        .map(|a| (a.unit, a.verdict, a.count, a.last_at))
        .collect();
    assert_eq!(
        activity,
        vec![
            ("H20".to_string(), MessageVerdict::Duplicate, 1, at(9)),
            ("H20".to_string(), MessageVerdict::Quarantined, 1, at(1)),
            ("H56".to_string(), MessageVerdict::Applied, 1, at(3)),
            ("H56".to_string(), MessageVerdict::Quarantined, 1, at(4)),
            ("H56".to_string(), MessageVerdict::Waiting, 1, at(5)),
        ]
    );
    sync.resolve_message(ids[4], at(10)).await.expect("resolve");
    let open: Vec<(String, MessageVerdict, u64)> = sync
        .open_counts()
        .await
        .expect("read")
        .into_iter()
        .map(|a| (a.unit, a.verdict, a.count))
        .collect();
    assert_eq!(
        open,
        vec![
            ("H56".to_string(), MessageVerdict::Quarantined, 1),
            ("H56".to_string(), MessageVerdict::Waiting, 1),
        ]
    );
}

pub async fn a_back_office_is_connected_once_whoever_comes_second(h: &Harness) {
    let store = h.open().await;
    let sync = store.sync();
    let first = office("ha-giang", &["H20"], 0);
    let second = office("ha-giang", &["H20", "H20.01"], 1);
    // both at once: exactly one of them connects it
    let (one, two) = (change("connected", 0), change("connected", 1));
    let (a, b) = tokio::join!(
        sync.create_office(&first, &one),
        sync.create_office(&second, &two),
    );
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert!(a != b, "one of the two connects it: {a} {b}");
    let kept = sync.office("ha-giang").await.expect("read").expect("kept");
    assert_eq!(kept, if a { first.clone() } else { second.clone() });
    // the trail has the one connection that happened
    let trail = sync.office_changes("ha-giang").await.expect("read");
    assert_eq!(trail.len(), 1);
    // and later attempts change nothing
    assert!(
        !sync
            .create_office(&office("ha-giang", &["H99"], 9), &change("connected", 9))
            .await
            .expect("refused")
    );
    assert_eq!(sync.office("ha-giang").await.expect("read"), Some(kept));
    assert_eq!(
        sync.office_changes("ha-giang").await.expect("read").len(),
        1
    );
}

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

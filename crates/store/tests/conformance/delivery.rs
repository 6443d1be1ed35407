//! The storage of asynchronous delivery: the transactional outbox,
//! subscriptions and consumer-side de-duplication.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Duration as Span, Utc};
use delivery::Deduplicator;
use domain::Sex;
use registry::{EventKind, PartialDate};
use store::{ErrorKind, EventSubscription, StoreDeduplicator};

use super::Harness;
use super::population::{at, event, person_events, pid, synthetic};

pub async fn appended_events_are_queued_in_the_outbox(h: &Harness) {
    let store = h.open().await;
    let (registry, outbox) = (store.registry(), store.delivery());
    let changes = outbox.changes();
    assert_eq!(outbox.pending_outbox(10).await.expect("pending"), []);

    let an = pid(1950, Sex::Male, 11);
    let born = PartialDate::ymd(1950, 2, 3).expect("a day");
    let mut events = person_events("an", an, "Nguyễn Văn An", born, "00097");
    let before = Utc::now();
    assert_eq!(registry.append_events(&events).await.expect("append"), 2);
    // the append wakes the publisher
    tokio::time::timeout(Duration::from_secs(1), changes.notified())
        .await
        .expect("an append notifies");

    let pending = outbox.pending_outbox(10).await.expect("pending");
    let kinds: Vec<(&str, &str)> = pending
        .iter()
        .map(|r| (r.event_id.as_str(), r.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [("an-birth", "birth"), ("an-home", "residence_change")]
    );
    assert!(pending[0].seq < pending[1].seq);
    for (row, e) in pending.iter().zip(&events) {
        assert_eq!(row.person_id, an.as_str());
        assert_eq!(row.published_at, None);
        assert!(row.created_at >= before - Span::seconds(1));
        let body: registry::VitalEvent = serde_json::from_str(&row.body).expect("event JSON");
        assert_eq!(&body, e);
    }

    // an idempotent re-append queues nothing; a new event is queued after
    let death = event(
        "an-death",
        an,
        at(2026, 11, 20),
        PartialDate::ymd(2026, 11, 19).expect("a day"),
        EventKind::Death,
    );
    events.push(death);
    assert_eq!(registry.append_events(&events).await.expect("append"), 1);
    let pending = outbox.pending_outbox(10).await.expect("pending");
    assert_eq!(pending.len(), 3);
    assert_eq!(pending[2].event_id, "an-death");
    assert_eq!(pending[2].kind, "death");
    assert!(pending[2].seq > pending[1].seq);
    assert_eq!(outbox.pending_outbox(2).await.expect("pending").len(), 2);

    // a refused append queues nothing either
    let mut changed = events[2].clone();
    changed.recorded_at = at(2026, 11, 21);
    assert!(
        registry
            .append_events(&[changed])
            .await
            .is_err_and(|e| e.kind() == ErrorKind::Conflict)
    );
    assert_eq!(outbox.pending_outbox(10).await.expect("pending").len(), 3);

    // marking published takes rows out of the pending ones, once
    let now = Utc::now();
    let first_two = [pending[0].seq, pending[1].seq];
    assert_eq!(
        outbox.mark_published(&first_two, now).await.expect("mark"),
        2
    );
    assert_eq!(
        outbox.mark_published(&first_two, now).await.expect("mark"),
        0
    );
    assert_eq!(outbox.mark_published(&[], now).await.expect("mark"), 0);
    let left = outbox.pending_outbox(10).await.expect("pending");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event_id, "an-death");

    // every row is still there for a replay
    let all = outbox
        .outbox_since(before - Span::seconds(1), 10)
        .await
        .expect("since");
    assert_eq!(all.len(), 3);
    assert!(all[0].published_at.is_some() && all[2].published_at.is_none());
    assert_eq!(
        outbox
            .outbox_since(Utc::now() + Span::seconds(5), 10)
            .await
            .expect("since"),
        []
    );
}

pub async fn bulk_loads_are_not_queued(h: &Harness) {
    let store = h.open().await;
    let events = synthetic(30, 1);
    assert_eq!(
        store.registry().load_people(&events).await.expect("load"),
        30
    );
    assert_eq!(
        store.delivery().pending_outbox(100).await.expect("pending"),
        []
    );
}

fn subscription(id: &str, consumer: &str, purpose: &str, kinds: &[&str]) -> EventSubscription {
    EventSubscription {
        id: id.into(),
        consumer: consumer.parse().expect("a member id"),
        purpose: purpose.into(),
        kinds: kinds.iter().map(|k| (*k).to_string()).collect(),
        endpoint: "http://127.0.0.1:9/hook".into(),
        legal_basis: Some("LBHXH-41/2024".into()),
        case_ref: "BHXH-2026-0001".into(),
        created_at: at(2026, 11, 1),
    }
}

pub async fn subscriptions_are_stored_replaced_and_ended(h: &Harness) {
    let store = h.open().await;
    let subs = store.delivery();
    assert_eq!(subs.subscriptions().await.expect("list"), []);
    let pensions = subscription(
        "sub-a",
        "VN/GOV/BHXH/pensions",
        "pension-termination",
        &["death"],
    );
    assert_eq!(
        subs.put_subscription(&pensions).await.expect("put"),
        "sub-a"
    );
    let other = subscription(
        "sub-b",
        "VN/GOV/BHXH/pensions",
        "health-insurance",
        &["birth"],
    );
    subs.put_subscription(&other).await.expect("put");
    assert_eq!(
        subs.subscriptions().await.expect("list"),
        [pensions.clone(), other.clone()]
    );

    // the same consumer and purpose again: replaced, the id kept
    let mut again = subscription(
        "sub-c",
        "VN/GOV/BHXH/pensions",
        "pension-termination",
        &["death", "marriage"],
    );
    again.endpoint = "http://127.0.0.1:10/hook2".into();
    again.created_at = at(2026, 11, 2);
    assert_eq!(subs.put_subscription(&again).await.expect("put"), "sub-a");
    let listed = subs.subscriptions().await.expect("list");
    assert_eq!(listed.len(), 2);
    let replaced = listed
        .iter()
        .find(|s| s.id == "sub-a")
        .expect("still sub-a");
    assert_eq!(replaced.kinds, ["death", "marriage"]);
    assert_eq!(replaced.endpoint, "http://127.0.0.1:10/hook2");
    assert_eq!(replaced.created_at, at(2026, 11, 1), "first made then");

    // only its consumer ends it
    let stranger = "VN/GOV/000.00.00.H29/hcc".parse().expect("a member id");
    assert!(
        !subs
            .end_subscription(&stranger, "sub-a")
            .await
            .expect("end")
    );
    let owner = pensions.consumer.clone();
    assert!(subs.end_subscription(&owner, "sub-a").await.expect("end"));
    assert!(!subs.end_subscription(&owner, "sub-a").await.expect("end"));
    assert_eq!(subs.subscriptions().await.expect("list"), [other]);

    // malformed ones are refused
    for bad in [
        subscription("has space", "VN/GOV/BHXH/pensions", "p", &["death"]),
        subscription("", "VN/GOV/BHXH/pensions", "p", &["death"]),
        subscription("ok", "VN/GOV/BHXH/pensions", "p", &[]),
    ] {
        assert!(
            subs.put_subscription(&bad)
                .await
                .is_err_and(|e| e.kind() == ErrorKind::Refused)
        );
    }
}

pub async fn deduplication_is_persisted_per_consumer(h: &Harness) {
    let store = h.open().await;
    let window = Span::hours(1);
    let pensions = StoreDeduplicator::new(Arc::clone(&store), "VN/GOV/BHXH/pensions", window);
    let hcc = StoreDeduplicator::new(Arc::clone(&store), "VN/GOV/000.00.00.H29/hcc", window);
    assert!(!pensions.is_processed("ev-1").await.expect("read"));
    pensions.mark_processed("ev-1").await.expect("mark");
    pensions.mark_processed("ev-1").await.expect("mark twice");
    assert!(pensions.is_processed("ev-1").await.expect("read"));
    // another consumer has its own memory
    assert!(!hcc.is_processed("ev-1").await.expect("read"));

    // it survives a new store handle (a restart)
    let reopened = h.open().await;
    let again = StoreDeduplicator::new(reopened, "VN/GOV/BHXH/pensions", window);
    assert!(again.is_processed("ev-1").await.expect("read"));

    // the window: an id seen long ago is forgotten, and pruned
    let delivery = store.delivery();
    assert!(
        delivery
            .mark_seen(
                "VN/GOV/BHXH/pensions",
                "ev-old",
                Utc::now() - Span::hours(2)
            )
            .await
            .expect("mark")
    );
    assert!(!pensions.is_processed("ev-old").await.expect("read"));
    assert_eq!(pensions.prune().await.expect("prune"), 1);
    assert!(pensions.is_processed("ev-1").await.expect("read"));
    // re-marking refreshes the time
    assert!(
        !delivery
            .mark_seen("VN/GOV/BHXH/pensions", "ev-1", Utc::now() - Span::hours(3))
            .await
            .expect("mark")
    );
    assert!(!pensions.is_processed("ev-1").await.expect("read"));
    pensions.mark_processed("ev-1").await.expect("mark");
    assert!(pensions.is_processed("ev-1").await.expect("read"));

    // through handle_once on a real bus: a redelivery is not processed again
    let bus = delivery::InProcessBus::default();
    let mut sub = delivery::Bus::subscribe(&bus, "pensions", &delivery::Kinds::All)
        .await
        .expect("subscribe");
    let d = delivery::Delivery {
        id: "ev-2".into(),
        subject: "001050000011".into(),
        kind: "death".into(),
        payload: serde_json::json!({}),
        at: "2026-11-21T08:00:00Z".into(),
    };
    delivery::Bus::publish(&bus, &d).await.expect("publish");
    let received = sub
        .recv(Duration::from_secs(1))
        .await
        .expect("recv")
        .expect("a delivery");
    let handled = delivery::handle_once(&pensions, sub.as_mut(), &received, |_| async {
        Ok::<(), std::io::Error>(())
    })
    .await
    .expect("handled");
    assert_eq!(handled, delivery::Handled::Processed);
    assert!(again.is_processed("ev-2").await.expect("read"));
}

//! One behavioural suite, run against the in-process bus and against a real
//! NATS JetStream server.
//!
//! The JetStream runs use `MOTCUA_TEST_NATS_URL` (default
//! `nats://127.0.0.1:4222`), each in a stream of its own that is deleted
//! afterwards. If the server cannot be reached they fail, unless
//! `MOTCUA_TEST_SKIP_NATS=1`, which skips them.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use delivery::{
    Bus, Deduplicator, Delivery, Handled, InProcessBus, InProcessConfig, JetStreamBus,
    JetStreamConfig, Kinds, MemoryDeduplicator, handle_once,
};
use serde_json::json;

#[derive(Clone, Copy)]
enum Backend {
    InProcess,
    JetStream,
}

fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs `body` against a fresh bus of the given kind, then removes what the
/// bus left on the server, even when the body panicked.
async fn run<F, Fut>(backend: Backend, ack_wait: Duration, body: F)
where
    F: FnOnce(Arc<dyn Bus>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let lanes = 4;
    let (bus, jetstream): (Arc<dyn Bus>, Option<JetStreamBus>) = match backend {
        Backend::InProcess => (
            Arc::new(InProcessBus::new(InProcessConfig {
                lanes,
                ack_wait,
                ..InProcessConfig::default()
            })),
            None,
        ),
        Backend::JetStream => {
            let url = std::env::var("MOTCUA_TEST_NATS_URL")
                .unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
            let id = unique();
            let config = JetStreamConfig {
                stream: format!("MOTCUA_VITAL_EVENTS_TEST_{id}"),
                subject_prefix: format!("vitaltest.{id}"),
                lanes,
                ack_wait,
                duplicate_window: Duration::from_secs(60),
                max_age: Duration::from_secs(600),
                connect_timeout: Duration::from_secs(3),
                ..JetStreamConfig::new(url.clone())
            };
            match JetStreamBus::connect(config).await {
                Ok(bus) => (Arc::new(bus.clone()), Some(bus)),
                Err(e) => {
                    if std::env::var("MOTCUA_TEST_SKIP_NATS").as_deref() == Ok("1") {
                        eprintln!("skipped: NATS JetStream unreachable at {url} ({e})");
                        return;
                    }
                    panic!(
                        "NATS JetStream is unreachable at {url}: {e}\n\
                         Start a server with JetStream enabled (nats-server -js), point \
                         MOTCUA_TEST_NATS_URL at one, or set MOTCUA_TEST_SKIP_NATS=1 to skip \
                         the NATS tests."
                    );
                }
            }
        }
    };
    let outcome = tokio::spawn(body(bus)).await;
    if let Some(jetstream) = jetstream {
        jetstream
            .delete_stream()
            .await
            .expect("delete the test stream");
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

macro_rules! on_both_buses {
    ($body:ident, ack_wait_ms: $in_process:expr, $jetstream:expr) => {
        mod $body {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn in_process() {
                run(
                    Backend::InProcess,
                    Duration::from_millis($in_process),
                    super::$body,
                )
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn jetstream() {
                run(
                    Backend::JetStream,
                    Duration::from_millis($jetstream),
                    super::$body,
                )
                .await;
            }
        }
    };
}

/// How long a delivery that must come may take: generous, since on a
/// loaded machine a delivery through the bus can take seconds, and a
/// passing check does not wait for it.
const ARRIVES: Duration = Duration::from_secs(20);

const KINDS: [&str; 4] = ["birth", "name_change", "residence_change", "marriage"];

fn event(person: &str, seq: usize, kind: &str) -> Delivery {
    Delivery {
        id: format!("{person}-{seq}"),
        subject: person.to_owned(),
        kind: kind.to_owned(),
        payload: json!({ "seq": seq }),
        at: format!("2026-01-01T00:00:{seq:02}Z"),
    }
}

fn seq_of(delivery: &Delivery) -> usize {
    delivery.payload["seq"].as_u64().expect("seq") as usize
}

on_both_buses!(at_least_once_in_order_deduplicated, ack_wait_ms: 300, 1000);

/// Several people's events, a subscriber that sometimes fails: events are
/// redelivered, each person's events arrive in order, and each is processed
/// exactly once.
async fn at_least_once_in_order_deduplicated(bus: Arc<dyn Bus>) {
    const PEOPLE: usize = 5;
    const EVENTS: usize = 6;
    let mut sub = bus
        .subscribe("social-insurance", &Kinds::All)
        .await
        .expect("subscribe");
    let people: Vec<String> = (0..PEOPLE).map(|p| format!("0010990000{p:02}")).collect();
    for seq in 0..EVENTS {
        for person in &people {
            let published = bus
                .publish(&event(person, seq, KINDS[seq % KINDS.len()]))
                .await
                .expect("publish");
            assert!(!published.duplicate);
        }
    }

    let dedup = MemoryDeduplicator::new(1000, Duration::from_secs(600));
    // per person: the id handed out and not yet acked
    let mut outstanding: HashMap<String, String> = HashMap::new();
    let mut processed: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut times_processed: HashMap<String, usize> = HashMap::new();
    let mut attempts: HashMap<String, u64> = HashMap::new();
    let mut duplicates = 0;
    let mut trace: Vec<String> = Vec::new();
    let total = PEOPLE * EVENTS;
    let deadline = Instant::now() + Duration::from_secs(90);

    while times_processed.len() < total || !outstanding.is_empty() {
        assert!(
            Instant::now() < deadline,
            "not done in time: processed {processed:?}, outstanding {outstanding:?}"
        );
        let Some(received) = sub.recv(Duration::from_millis(200)).await.expect("recv") else {
            continue;
        };
        let d = received.delivery.clone();
        trace.push(format!("{} #{}", d.id, received.attempt));
        if let Some(earlier) = outstanding.get(&d.subject) {
            assert_eq!(
                earlier, &d.id,
                "{} delivered while {earlier} of the same person is unacknowledged; \
                 deliveries so far: {trace:?}",
                d.id
            );
        }
        outstanding.insert(d.subject.clone(), d.id.clone());
        let attempt = attempts.entry(d.id.clone()).or_default();
        *attempt = (*attempt).max(received.attempt);
        let seq = seq_of(&d);

        if received.attempt == 1 && seq == 1 {
            // the subscriber crashes before processing: nothing recorded, no ack
            continue;
        }
        if received.attempt == 1 && seq == 3 {
            // processed, but the ack is lost: only the deduplicator can tell
            dedup.mark_processed(&d.id).await.expect("mark");
            processed.entry(d.subject.clone()).or_default().push(seq);
            *times_processed.entry(d.id.clone()).or_default() += 1;
            continue;
        }
        if received.attempt == 1 && seq == 4 {
            // the subscriber gives it back at once
            sub.nak(&d.id).await.expect("nak");
            outstanding.remove(&d.subject);
            continue;
        }
        let handled = handle_once(&dedup, sub.as_mut(), &received, |r| {
            let r = r.delivery.clone();
            let processed = &mut processed;
            let times_processed = &mut times_processed;
            async move {
                processed
                    .entry(r.subject.clone())
                    .or_default()
                    .push(seq_of(&r));
                *times_processed.entry(r.id).or_default() += 1;
                Ok::<(), std::convert::Infallible>(())
            }
        })
        .await
        .expect("handle");
        if handled == Handled::Duplicate {
            duplicates += 1;
        }
        outstanding.remove(&d.subject);
    }

    for person in &people {
        assert_eq!(
            processed.get(person).map(Vec::as_slice),
            Some(&(0..EVENTS).collect::<Vec<_>>()[..]),
            "{person}'s events processed in order, each once"
        );
    }
    assert!(times_processed.values().all(|n| *n == 1));
    assert_eq!(
        duplicates, PEOPLE,
        "each lost ack redelivered and dropped once"
    );
    for (id, attempt) in &attempts {
        let redelivered = id.ends_with("-1") || id.ends_with("-3") || id.ends_with("-4");
        if redelivered {
            assert!(*attempt >= 2, "{id} was redelivered");
        }
    }
    assert!(
        sub.recv(Duration::from_millis(300))
            .await
            .expect("recv")
            .is_none(),
        "nothing left once everything is acked"
    );
}

on_both_buses!(republished_id_is_deduplicated, ack_wait_ms: 5000, 5000);

/// Publishing an id twice stores it once.
async fn republished_id_is_deduplicated(bus: Arc<dyn Bus>) {
    let mut sub = bus.subscribe("tax", &Kinds::All).await.expect("subscribe");
    let first = event("001099000777", 0, "birth");
    let second = event("001099000777", 1, "name_change");
    assert!(!bus.publish(&first).await.expect("publish").duplicate);
    assert!(bus.publish(&first).await.expect("republish").duplicate);
    assert!(!bus.publish(&second).await.expect("publish").duplicate);
    assert!(bus.publish(&second).await.expect("republish").duplicate);

    for expected in [&first, &second] {
        let got = sub.recv(ARRIVES).await.expect("recv").expect("a delivery");
        assert_eq!(&got.delivery, expected);
        assert_eq!(got.attempt, 1);
        sub.ack(&got.delivery.id).await.expect("ack");
    }
    assert!(
        sub.recv(Duration::from_millis(500))
            .await
            .expect("recv")
            .is_none(),
        "the re-published copies are not delivered"
    );
    assert!(
        matches!(
            sub.ack(&first.id).await,
            Err(delivery::DeliveryError::NotInFlight(_))
        ),
        "acking twice is refused"
    );
}

on_both_buses!(unacked_is_redelivered_on_resubscribe, ack_wait_ms: 30_000, 30_000);

/// What a dropped subscription held comes back to the next one, well before
/// the ack wait, and the order still holds.
async fn unacked_is_redelivered_on_resubscribe(bus: Arc<dyn Bus>) {
    let person = "001099000555";
    let mut sub = bus
        .subscribe("hospital", &Kinds::All)
        .await
        .expect("subscribe");
    for seq in 0..3 {
        bus.publish(&event(person, seq, "residence_change"))
            .await
            .expect("publish");
    }
    let got = sub.recv(ARRIVES).await.expect("recv").expect("a delivery");
    assert_eq!(seq_of(&got.delivery), 0);
    drop(sub);

    let started = Instant::now();
    let mut sub = bus
        .subscribe("hospital", &Kinds::All)
        .await
        .expect("resubscribe");
    for seq in 0..3 {
        let got = sub
            .recv(Duration::from_secs(15))
            .await
            .expect("recv")
            .expect("a delivery after resubscribing");
        assert_eq!(
            seq_of(&got.delivery),
            seq,
            "order kept across subscriptions"
        );
        assert_eq!(got.is_redelivery(), seq == 0);
        sub.ack(&got.delivery.id).await.expect("ack");
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "not by ack wait"
    );
}

on_both_buses!(a_removed_consumer_starts_afresh, ack_wait_ms: 30_000, 30_000);

/// Removing a consumer forgets its position and its queue: what was
/// published for it is gone, and a new consumer of the same name gets only
/// what is published after it.
async fn a_removed_consumer_starts_afresh(bus: Arc<dyn Bus>) {
    let person = "001099000777";
    let mut sub = bus
        .subscribe("clinic", &Kinds::All)
        .await
        .expect("subscribe");
    bus.publish(&event(person, 0, "birth"))
        .await
        .expect("publish");
    let got = sub.recv(ARRIVES).await.expect("recv").expect("a delivery");
    assert_eq!(seq_of(&got.delivery), 0);
    bus.publish(&event(person, 1, "name_change"))
        .await
        .expect("publish");
    drop(sub);

    assert!(bus.has_consumer("clinic").await.expect("asked"));
    assert!(bus.remove_consumer("clinic").await.expect("removed"));
    assert!(!bus.has_consumer("clinic").await.expect("asked"));
    assert!(
        !bus.remove_consumer("clinic").await.expect("removed again"),
        "a second removal finds nothing"
    );
    assert!(
        bus.remove_consumer("no such consumer").await.is_err(),
        "the name is checked"
    );
    bus.publish(&event(person, 2, "residence_change"))
        .await
        .expect("publish");

    let mut sub = bus
        .subscribe("clinic", &Kinds::All)
        .await
        .expect("subscribe again");
    bus.publish(&event(person, 3, "marriage"))
        .await
        .expect("publish");
    let got = sub
        .recv(ARRIVES)
        .await
        .expect("recv")
        .expect("the event after subscribing again");
    assert_eq!(seq_of(&got.delivery), 3, "nothing from before the removal");
    sub.ack(&got.delivery.id).await.expect("ack");
    assert!(
        sub.recv(Duration::from_millis(500))
            .await
            .expect("recv")
            .is_none()
    );
}

on_both_buses!(kinds_filter_and_fan_out, ack_wait_ms: 5000, 5000);

/// Every consumer gets its own copy, filtered by the kinds it asked for.
async fn kinds_filter_and_fan_out(bus: Arc<dyn Bus>) {
    let mut everything = bus
        .subscribe("statistics", &Kinds::All)
        .await
        .expect("subscribe");
    let mut deaths = bus
        .subscribe("pensions", &Kinds::only(["death"]))
        .await
        .expect("subscribe");
    let person = "001099000999";
    let events = [
        event(person, 0, "birth"),
        event(person, 1, "marriage"),
        event(person, 2, "death"),
    ];
    for e in &events {
        bus.publish(e).await.expect("publish");
    }
    for expected in &events {
        let got = everything
            .recv(ARRIVES)
            .await
            .expect("recv")
            .expect("a delivery");
        assert_eq!(&got.delivery, expected);
        everything.ack(&got.delivery.id).await.expect("ack");
    }
    let got = deaths
        .recv(ARRIVES)
        .await
        .expect("recv")
        .expect("the death");
    assert_eq!(got.delivery, events[2]);
    deaths.ack(&got.delivery.id).await.expect("ack");
    assert!(
        deaths
            .recv(Duration::from_millis(300))
            .await
            .expect("recv")
            .is_none()
    );
    assert!(
        bus.subscribe("bad.name", &Kinds::All).await.is_err(),
        "names become subject tokens and are checked"
    );
}

#[tokio::test]
async fn unreachable_nats_is_a_clear_error() {
    let err = JetStreamBus::connect(JetStreamConfig {
        connect_timeout: Duration::from_millis(500),
        ..JetStreamConfig::new("nats://127.0.0.1:1")
    })
    .await
    .expect_err("nothing listens on port 1");
    assert!(
        matches!(err, delivery::DeliveryError::Connect { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn without_a_nats_url_the_bus_is_in_process() {
    let bus = delivery::open_bus(None, 1).await.expect("open");
    let mut sub = bus.subscribe("any", &Kinds::All).await.expect("subscribe");
    bus.publish(&event("001099000111", 0, "birth"))
        .await
        .expect("publish");
    let got = sub
        .recv(Duration::from_secs(1))
        .await
        .expect("recv")
        .expect("a delivery");
    assert_eq!(got.delivery.id, "001099000111-0");
}

//! Asynchronous delivery of vital events, end to end: a member subscribes
//! through the exchange (`events.subscribe`), the registry appends events
//! through the store, and a small receiver (an axum server on 127.0.0.1)
//! gets each event POSTed, signed by the provider, at least once, in order
//! per person, de-duplicating on its side with the store-backed
//! `StoreDeduplicator`; each delivery shows in the person's data tracker.
//! Once on the in-process bus, once on NATS JetStream (127.0.0.1:4222, or
//! `MOTCUA_TEST_NATS_URL`; skipped only when `MOTCUA_TEST_SKIP_NATS=1`).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::{TimeZone, Utc};
use delivery::Deduplicator;
use exchange::{HttpRequest, KeyRing, MemberKey, RegisteredKey};
use registry::{EventKind, PartialDate, Residence, ResidenceKind, Source, VitalEvent};
use web::services::exchange::node::{DEMO_PENSIONS, DEMO_PROVIDER};

use crate::helpers::{Reply, TestApp, TestOptions};

const SUBSCRIBE: &str = "/api/v1/exchange/VN/GOV/BCA/registry/events.subscribe";
const LEGAL_BASIS: &str = "LBHXH-41/2024";
/// The demo right: deaths only.
const TERMINATION: &str = "pension-termination";
/// A right the tests add: residence changes and deaths, to follow a
/// pensioner's moves in order.
const PAYMENTS: &str = "pension-payments";

fn key_of(app: &TestApp, member: &str) -> MemberKey {
    app.exchange
        .member(member)
        .and_then(|m| m.key())
        .expect("the demo member's key")
}

/// A signed `events.subscribe` call by the pensions office.
async fn subscribe(app: &TestApp, purpose: &str, body: serde_json::Value) -> Reply {
    let mut req = HttpRequest {
        method: "POST".into(),
        uri: app.url(SUBSCRIBE),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-purpose".into(), purpose.into()),
            ("x-legal-basis".into(), LEGAL_BASIS.into()),
            ("x-case-ref".into(), "BHXH-2026-000123".into()),
        ],
        body: serde_json::to_vec(&body).expect("JSON"),
    };
    let key = key_of(app, DEMO_PENSIONS);
    exchange::sign_request(&mut req, &key, Utc::now(), chrono::Duration::minutes(5))
        .expect("signed");
    let mut builder = app.client.post(&req.uri).body(req.body);
    for (k, v) in req.headers {
        builder = builder.header(k, v);
    }
    app.send(builder).await
}

/// One event as the receiver processed it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Got {
    hook: String,
    id: String,
    kind: String,
    person: String,
}

/// The subscriber's side: verifies the provider's signature, processes each
/// event once per hook (a `StoreDeduplicator` over its own database) and can
/// be told to fail an event's first POST *after* processing it (a lost
/// answer), so that the retry must be recognised as a duplicate.
struct Receiver {
    ring: KeyRing,
    /// one deduplicator per hook (subscription)
    dedup: Vec<(String, store::StoreDeduplicator)>,
    posts: Mutex<Vec<Got>>,
    processed: Mutex<Vec<Got>>,
    /// `hook/event id`s whose first POST is answered 500
    fail_first: Mutex<HashSet<String>>,
    rejected: Mutex<Vec<String>>,
}

async fn hook(
    State(rx): State<Arc<Receiver>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let request = HttpRequest {
        method: "POST".into(),
        uri: format!("http://{host}{}", uri.path()),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: body.to_vec(),
    };
    let verified = match exchange::verify_request(&request, &rx.ring, Utc::now()) {
        Ok(v) => v,
        Err(e) => {
            rx.rejected.lock().expect("lock").push(e.to_string());
            return StatusCode::UNAUTHORIZED;
        }
    };
    assert_eq!(verified.consumer.as_str(), DEMO_PROVIDER);
    assert_eq!(verified.legal_basis.as_deref(), Some(LEGAL_BASIS));
    let event: serde_json::Value = serde_json::from_slice(&body).expect("a JSON body");
    let id = headers
        .get("x-event-id")
        .and_then(|h| h.to_str().ok())
        .expect("x-event-id")
        .to_string();
    assert_eq!(event["delivery_id"], id.as_str());
    assert_eq!(event["event"]["id"], id.as_str(), "the event itself");
    let got = Got {
        hook: name.clone(),
        id: id.clone(),
        kind: event["kind"].as_str().unwrap_or_default().to_string(),
        person: event["person_id"].as_str().unwrap_or_default().to_string(),
    };
    rx.posts.lock().expect("lock").push(got.clone());
    let Some((_, dedup)) = rx.dedup.iter().find(|(h, _)| *h == name) else {
        return StatusCode::NOT_FOUND;
    };
    if dedup.is_processed(&id).await.expect("dedup") {
        return StatusCode::OK;
    }
    rx.processed.lock().expect("lock").push(got);
    dedup.mark_processed(&id).await.expect("dedup");
    if rx
        .fail_first
        .lock()
        .expect("lock")
        .remove(&format!("{name}/{id}"))
    {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    StatusCode::OK
}

/// Starts the receiver; returns it and its base URL.
async fn receiver(app: &TestApp, dir: &std::path::Path) -> (Arc<Receiver>, String) {
    let provider = key_of(app, DEMO_PROVIDER);
    let mut ring = KeyRing::new();
    ring.insert(RegisteredKey {
        key_id: provider.key_id.clone(),
        member: provider.member.clone(),
        key: provider.public(),
        valid_from: chrono::DateTime::<Utc>::MIN_UTC,
        valid_until: None,
    })
    .expect("inserted");
    // the subscriber's own database
    let own = store::open(&store::Location::SqliteFile(dir.join("pensions.db")))
        .await
        .expect("the receiver's store");
    let window = chrono::Duration::days(7);
    let dedup = ["termination", "payments"]
        .into_iter()
        .map(|h| {
            (
                h.to_string(),
                store::StoreDeduplicator::new(own.clone(), format!("pensions-{h}"), window),
            )
        })
        .collect();
    let rx = Arc::new(Receiver {
        ring,
        dedup,
        posts: Mutex::default(),
        processed: Mutex::default(),
        fail_first: Mutex::default(),
        rejected: Mutex::default(),
    });
    let router = axum::Router::new()
        .route("/hooks/{name}", axum::routing::post(hook))
        .with_state(rx.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (rx, format!("http://{addr}"))
}

fn add_payments_right(config: &mut web::services::exchange::node::DemoConfig) {
    config.rights.push(exchange::AccessRight {
        consumer: DEMO_PENSIONS.parse().expect("a member id"),
        provider: DEMO_PROVIDER.parse().expect("a member id"),
        service: "events.subscribe".into(),
        purpose: PAYMENTS.into(),
        legal_basis: Some(LEGAL_BASIS.into()),
        fields: ["residence_change", "death"]
            .into_iter()
            .map(String::from)
            .collect(),
        valid_from: Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .expect("an instant"),
        valid_until: None,
    });
}

fn event(id: &str, person: &str, kind: EventKind) -> VitalEvent {
    VitalEvent {
        id: id.into(),
        person: domain::PersonalId::parse(person).expect("a personal id"),
        recorded_at: Utc::now(),
        effective: PartialDate::ymd(2026, 11, 19).expect("a day"),
        source: Source::member("police:00097"),
        kind,
    }
}

fn moves_to(commune: &str, street: &str) -> EventKind {
    EventKind::ResidenceChange {
        kind: ResidenceKind::Permanent,
        residence: Some(Residence {
            commune: domain::CommuneCode::parse(commune).expect("a commune"),
            street: street.into(),
        }),
    }
}

/// Waits until `done` holds of the receiver, up to 30 s.
async fn wait_for(rx: &Receiver, what: &str, done: impl Fn(&[Got]) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if done(&rx.processed.lock().expect("lock")) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; processed: {:?}; rejected: {:?}",
            rx.processed.lock().expect("lock"),
            rx.rejected.lock().expect("lock")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn of(got: &[Got], hook: &str, person: &str) -> Vec<String> {
    got.iter()
        .filter(|g| g.hook == hook && g.person == person)
        .map(|g| g.id.clone())
        .collect()
}

/// The whole flow, on whichever bus the app runs.
async fn end_to_end(app: &TestApp, bus: Arc<dyn delivery::Bus>) {
    let dir = tempfile::tempdir().expect("a directory");
    let (rx, base) = receiver(app, dir.path()).await;
    let people = app.seed_people(3).await;
    let (an, binh, chi) = (
        people[0].personal_id.clone(),
        people[1].personal_id.clone(),
        people[2].personal_id.clone(),
    );
    let commune = people[0].commune_code;

    // a kind outside the right is refused, naming it
    let refused = subscribe(
        app,
        TERMINATION,
        serde_json::json!({ "kinds": ["death", "birth"], "endpoint": format!("{base}/hooks/termination") }),
    )
    .await;
    let problem = refused.problem(403);
    assert_eq!(problem["type"], "/problems/exchange/field_not_granted");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("birth"),
        "{problem}"
    );
    // as is a malformed endpoint
    let bad = subscribe(
        app,
        TERMINATION,
        serde_json::json!({ "kinds": ["death"], "endpoint": "ftp://pensions.example/hook" }),
    )
    .await;
    assert_eq!(bad.status.as_u16(), 400, "{}", bad.body);

    // two subscriptions: deaths (the demo right), moves and deaths
    let termination = subscribe(
        app,
        TERMINATION,
        serde_json::json!({ "kinds": ["death"], "endpoint": format!("{base}/hooks/termination") }),
    )
    .await;
    assert_eq!(termination.status.as_u16(), 200, "{}", termination.body);
    let termination = termination.json();
    let termination_id = termination["subscription_id"]
        .as_str()
        .expect("an id")
        .to_string();
    assert!(termination_id.starts_with("sub-"), "{termination}");
    assert_eq!(termination["kinds"], serde_json::json!(["death"]));
    let payments = subscribe(
        app,
        PAYMENTS,
        // no kinds: every kind the right allows
        serde_json::json!({ "endpoint": format!("{base}/hooks/payments") }),
    )
    .await;
    assert_eq!(payments.status.as_u16(), 200, "{}", payments.body);
    assert_eq!(
        payments.json()["kinds"],
        serde_json::json!(["death", "residence_change"])
    );
    // subscribing again replaces and keeps the id
    let again = subscribe(
        app,
        TERMINATION,
        serde_json::json!({ "kinds": ["death"], "endpoint": format!("{base}/hooks/termination") }),
    )
    .await;
    assert_eq!(again.json()["subscription_id"], termination_id.as_str());
    assert_eq!(
        app.store
            .delivery()
            .subscriptions()
            .await
            .expect("the subscriptions")
            .len(),
        2
    );

    // An moves twice and dies; Bình dies. An's death fails its first POST
    // after the receiver processed it: the retry must be a duplicate.
    let an_death = format!("{an}-death");
    rx.fail_first
        .lock()
        .expect("lock")
        .insert(format!("termination/{an_death}"));
    let an_events = vec![
        event(
            &format!("{an}-move-1"),
            &an,
            moves_to(commune, "1 Tràng Tiền"),
        ),
        event(
            &format!("{an}-move-2"),
            &an,
            moves_to(commune, "2 Hàng Bài"),
        ),
        event(&an_death, &an, EventKind::Death),
    ];
    // appended one by one, as the registry records them
    for e in &an_events {
        app.store
            .registry()
            .append_events(std::slice::from_ref(e))
            .await
            .expect("appended");
    }
    let binh_death = format!("{binh}-death");
    app.store
        .registry()
        .append_events(&[event(&binh_death, &binh, EventKind::Death)])
        .await
        .expect("appended");

    wait_for(&rx, "every delivery", |got| {
        of(got, "termination", &an).len() == 1
            && of(got, "termination", &binh).len() == 1
            && of(got, "payments", &an).len() == 3
            && of(got, "payments", &binh).len() == 1
    })
    .await;
    // a moment for any stray redelivery to show
    tokio::time::sleep(Duration::from_millis(500)).await;
    let processed = rx.processed.lock().expect("lock").clone();
    // exactly once each, in order per person; nothing of the seeded births
    assert_eq!(
        of(&processed, "termination", &an),
        std::slice::from_ref(&an_death)
    );
    assert_eq!(
        of(&processed, "termination", &binh),
        std::slice::from_ref(&binh_death)
    );
    let an_ids: Vec<String> = an_events.iter().map(|e| e.id.0.clone()).collect();
    assert_eq!(of(&processed, "payments", &an), an_ids);
    assert_eq!(processed.len(), 6, "{processed:?}");
    assert!(processed.iter().all(|g| g.kind != "birth"));
    // the failed POST was retried, and recognised by the receiver
    let posts = rx.posts.lock().expect("lock").clone();
    let an_death_posts = posts
        .iter()
        .filter(|g| g.hook == "termination" && g.id == an_death)
        .count();
    assert_eq!(an_death_posts, 2, "{posts:?}");
    assert!(rx.rejected.lock().expect("lock").is_empty());

    // the tracker shows each delivery of An's data, once
    let operator = app.operator_token().await;
    let tracker = app
        .send(
            app.client
                .get(app.url(&web::api::tracker::accesses_path(&an)))
                .bearer_auth(&operator),
        )
        .await
        .json();
    let deliveries: Vec<&serde_json::Value> = tracker["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .filter(|a| a["service"] == "events.subscribe")
        .collect();
    assert_eq!(deliveries.len(), 4, "{tracker}");
    for a in &deliveries {
        assert_eq!(a["consumer"]["id"], DEMO_PENSIONS);
        assert_eq!(a["legal_basis"], LEGAL_BASIS);
        assert_eq!(a["case_ref"], "BHXH-2026-000123");
    }
    let termination_entries: Vec<&&serde_json::Value> = deliveries
        .iter()
        .filter(|a| a["purpose"] == TERMINATION)
        .collect();
    assert_eq!(
        termination_entries.len(),
        1,
        "logged once despite the retry"
    );
    assert_eq!(
        termination_entries[0]["fields"],
        serde_json::json!(["death"])
    );
    let moves = deliveries
        .iter()
        .filter(|a| {
            a["purpose"] == PAYMENTS && a["fields"] == serde_json::json!(["residence_change"])
        })
        .count();
    assert_eq!(moves, 2);

    // ending the subscription stops deliveries to it
    let ended = subscribe(
        app,
        TERMINATION,
        serde_json::json!({ "unsubscribe": termination_id }),
    )
    .await;
    assert_eq!(ended.status.as_u16(), 200, "{}", ended.body);
    assert_eq!(ended.json()["ended"], true);
    let chi_death = format!("{chi}-death");
    app.store
        .registry()
        .append_events(&[event(&chi_death, &chi, EventKind::Death)])
        .await
        .expect("appended");
    wait_for(&rx, "Chi's death on the remaining subscription", |got| {
        of(got, "payments", &chi).len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let processed = rx.processed.lock().expect("lock").clone();
    assert_eq!(of(&processed, "termination", &chi), Vec::<String>::new());
    // and its bus consumer is gone, so nothing piles up for it
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while bus
        .has_consumer(&termination_id)
        .await
        .expect("the bus answers")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the ended subscription's consumer is still on the bus"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // the published outbox is empty
    assert_eq!(
        app.store
            .delivery()
            .pending_outbox(10)
            .await
            .expect("the outbox"),
        []
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vital_events_reach_subscribers_once_in_order_and_show_in_the_tracker() {
    let bus: Arc<dyn delivery::Bus> = Arc::new(delivery::InProcessBus::default());
    let app = TestApp::spawn_with(TestOptions {
        bus: Some(bus.clone()),
        configure: Some(Box::new(add_payments_right)),
        ..Default::default()
    })
    .await;
    end_to_end(&app, bus).await;
}

fn nats_url() -> Option<String> {
    if std::env::var("MOTCUA_TEST_SKIP_NATS").as_deref() == Ok("1") {
        eprintln!("delivery over JetStream: SKIPPED (MOTCUA_TEST_SKIP_NATS=1)");
        return None;
    }
    Some(
        std::env::var("MOTCUA_TEST_NATS_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| "nats://127.0.0.1:4222".into()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vital_events_reach_subscribers_over_jetstream() {
    let Some(url) = nats_url() else {
        return;
    };
    // a stream of its own, deleted afterwards
    let unique = format!(
        "{}_{}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let config = delivery::JetStreamConfig {
        stream: format!("MOTCUA_IT_{unique}"),
        subject_prefix: format!("it{unique}"),
        ..delivery::JetStreamConfig::new(url.clone())
    };
    let bus = match delivery::JetStreamBus::connect(config).await {
        Ok(bus) => bus,
        Err(e) => panic!(
            "this test needs NATS with JetStream at {url}: {e}\n\
             Start it, point MOTCUA_TEST_NATS_URL at one, or set MOTCUA_TEST_SKIP_NATS=1."
        ),
    };
    let app = TestApp::spawn_with(TestOptions {
        bus: Some(Arc::new(bus.clone())),
        configure: Some(Box::new(add_payments_right)),
        ..Default::default()
    })
    .await;
    end_to_end(&app, Arc::new(bus.clone())).await;
    drop(app);
    bus.delete_stream()
        .await
        .expect("the test stream is deleted");
}

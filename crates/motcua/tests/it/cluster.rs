// tests: cluster
//! The national portal as several stateless `motcua serve` processes on
//! one PostgreSQL and a NATS JetStream cluster of three servers (the
//! vital-event stream with three replicas), behind what a load balancer
//! does: a request a node does not answer goes to another. Dossiers are
//! filed and back offices' packets synchronised through both nodes while
//! one node is killed (SIGKILL) and started again and one NATS server is
//! killed: afterwards every dossier filed is there once, each agency's
//! numbers of the day run 1, 2, 3… with none repeated or skipped, every
//! packet is applied once, and the stream holds every vital event once.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::dossiers::{birth_form, free_port, people, person_token};
use crate::helpers::{PgSchema, TestApp, TestOptions, became_ready, serve_command};

/// Three `nats-server` processes clustered, with JetStream.
struct NatsCluster {
    servers: Vec<Option<Child>>,
    ports: Vec<u16>,
    _dir: tempfile::TempDir,
}

impl NatsCluster {
    fn binary() -> Option<std::path::PathBuf> {
        ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .iter()
            .map(std::path::PathBuf::from)
            .find(|p| p.exists())
    }

    fn start() -> Option<NatsCluster> {
        if std::env::var("MOTCUA_TEST_SKIP_NATS").as_deref() == Ok("1") {
            eprintln!("the cluster test: SKIPPED (MOTCUA_TEST_SKIP_NATS=1)");
            return None;
        }
        let binary = Self::binary().unwrap_or_else(|| {
            panic!(
                "the cluster test needs nats-server (Debian's package nats-server); \
                 scripts/test installs it, or set MOTCUA_TEST_SKIP_NATS=1"
            )
        });
        let dir = tempfile::tempdir().expect("a directory");
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let routes: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut servers = Vec::new();
        for i in 0..3 {
            let others: Vec<String> = (0..3)
                .filter(|j| *j != i)
                .map(|j| format!("nats://127.0.0.1:{}", routes[j]))
                .collect();
            let store_dir = dir.path().join(format!("n{i}"));
            let child = Command::new(&binary)
                .args(["-a", "127.0.0.1", "-p", &ports[i].to_string(), "-js"])
                .arg("-sd")
                .arg(&store_dir)
                .args(["-n", &format!("motcua-n{i}"), "--cluster_name", "motcua"])
                .args(["--cluster", &format!("nats://127.0.0.1:{}", routes[i])])
                .args(["--routes", &others.join(",")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("nats-server starts");
            servers.push(Some(child));
        }
        Some(NatsCluster {
            servers,
            ports,
            _dir: dir,
        })
    }

    /// Every server, for `--nats-url`.
    fn url(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.servers[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The vital-event stream as the nodes make it, once the cluster has
    /// elected its leaders.
    async fn stream(&self) -> delivery::JetStreamBus {
        let mut last = String::new();
        for _ in 0..60 {
            let config = delivery::JetStreamConfig {
                replicas: 3,
                ..delivery::JetStreamConfig::new(self.url())
            };
            match delivery::JetStreamBus::connect(config).await {
                Ok(bus) => return bus,
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("the NATS cluster did not come up: {last}");
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        for i in 0..self.servers.len() {
            self.kill(i);
        }
    }
}

/// A national node: a `motcua serve` process on the shared database.
struct Node {
    child: Option<Child>,
    port: u16,
    base: String,
    dir: tempfile::TempDir,
}

impl Node {
    async fn start(app: &TestApp, database: &str, nats: &str) -> Node {
        let dir = tempfile::tempdir().expect("a directory");
        // the nodes of one portal share its exchange identity
        std::fs::create_dir_all(dir.path().join("exchange")).expect("a directory");
        app.exchange
            .save(&dir.path().join("exchange").join("demo.json"))
            .expect("the exchange configuration");
        let port = free_port();
        let mut node = Node {
            child: None,
            port,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        node.spawn(app, database, nats).await;
        node
    }

    async fn spawn(&mut self, app: &TestApp, database: &str, nats: &str) {
        let child = serve_command(self.port, self.dir.path())
            .args(["--database-url", database])
            // behind one load balancer, one issuer
            .args(["--issuer", &app.base])
            .args(["--nats-url", nats, "--nats-replicas", "3"])
            .stderr(std::fs::File::create(self.dir.path().join("serve.log")).expect("a log file"))
            .spawn()
            .expect("motcua serve");
        self.child = Some(child);
        if !became_ready(&self.base).await {
            let log =
                std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default();
            let tail: String = log.lines().rev().take(15).collect::<Vec<_>>().join("\n");
            panic!("the node {} did not become ready: {tail}", self.base);
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Files a birth dossier for `token`'s citizen of `place`, through the
/// first of `nodes` that can be reached (a load balancer's retry): its
/// code.
async fn file(http: &reqwest::Client, nodes: &[&str], token: &str, place: &str) -> String {
    let mut last = String::new();
    for base in nodes {
        let sent = http
            .post(format!("{base}/api/v1/dossiers"))
            .bearer_auth(token)
            .json(&json!({"procedure": "khai-sinh", "form": birth_form(place)}))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().as_u16() == 201 => {
                let body: serde_json::Value = r.json().await.expect("JSON");
                return body["dossier"]["code"]
                    .as_str()
                    .expect("a code")
                    .to_string();
            }
            // an answer, not a filing: never sent to another node (a
            // load balancer sends a POST again only when it was not taken)
            Ok(r) => {
                let status = r.status();
                panic!("{base}: {status} {}", r.text().await.unwrap_or_default());
            }
            // not answering: the next node
            Err(e) => last = format!("{base}: {e}"),
        }
    }
    panic!("no node filed the dossier: {last}");
}

/// A province's system sending through the first node that answers.
struct Province {
    links: Vec<web::services::backoffice::upstream::Link>,
}

impl Province {
    fn new(nodes: &[&str], password: &str) -> Province {
        Province {
            links: nodes
                .iter()
                .map(|base| {
                    web::services::backoffice::upstream::Link::new(
                        web::services::backoffice::upstream::Upstream::new(
                            &format!("{base}/api/v1/integration"),
                            "tinh-igate",
                            password,
                            "https://motcua.tinh.example.vn",
                        )
                        .with_timeout(Duration::from_secs(10)),
                    )
                    .expect("a link")
                })
                .collect(),
        }
    }

    /// Sends `d` (its packet, then its steps) starting with link `first`.
    async fn report(&mut self, first: usize, d: &dossier::Dossier) {
        let catalog = dossier::Catalog::official().expect("the catalog");
        let p = catalog.get(&d.procedure).expect("a procedure");
        let packet =
            serde_json::to_value(backoffice::dossier_packet(d, p, &[], &[])).expect("a packet");
        let steps =
            web::services::backoffice::upstream::numbered(&backoffice::progress_packets(d), 0)
                .expect("steps");
        let unit = d.route.receiving.to_string();
        for (service, data) in [
            ("DongBoHoSoMC", json!({"data": [packet]})),
            ("CapNhatTienDoHoSoMC", json!({"data": steps})),
        ] {
            let mut last = String::new();
            let mut sent = false;
            let count = self.links.len();
            for k in 0..count {
                let link = &mut self.links[(first + k) % count];
                match link.call(&unit, service, data.clone()).await {
                    Ok(_) => {
                        sent = true;
                        break;
                    }
                    Err(e) => last = e,
                }
            }
            assert!(sent, "no node took {service} of {}: {last}", d.code);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_and_a_nats_cluster_lose_nothing_when_a_node_and_a_server_die() {
    let Some(mut nats) = NatsCluster::start() else {
        return;
    };
    let Some(pg) = PgSchema::create("the cluster").await else {
        return;
    };
    let database = pg.url();
    let stream = nats.stream().await;
    // a third node, in this process: it signs the citizens in (the nodes
    // share the provider's keys through the database) and appends vital
    // events, which every node publishes from the outbox
    let app = TestApp::spawn_with(TestOptions {
        postgres: Some(pg),
        bus: Some(Arc::new(stream.clone())),
        ..Default::default()
    })
    .await;
    let everyone = people(&app).await;
    let mut citizens = Vec::new();
    for p in everyone.iter().take(8) {
        let (_, token) = person_token(&app, p).await;
        citizens.push((p.clone(), token));
    }
    let mut one = Node::start(&app, &database, &nats.url()).await;
    let two = Node::start(&app, &database, &nats.url()).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("a client");
    // a province's system connected, whose dossiers (each taken to its
    // result, six steps) are synchronised through both nodes
    let unit = dossier::AgencyCode::parse("UBND.00004").expect("a unit");
    let (_, password) = web::services::backoffice::offices::connect(
        app.store.as_ref(),
        units::Units::get(),
        backoffice::office::Draft {
            id: "tinh-igate".into(),
            name: "Hệ thống một cửa của tỉnh".into(),
            province: "01".into(),
            units: vec![unit.to_string()],
            endpoint: None,
            delivery: backoffice::Delivery::Pull,
            keys: Vec::new(),
        },
        "test",
        chrono::Utc::now(),
    )
    .await
    .expect("connected");
    let mut province = Province::new(&[&one.base, &two.base], &password);
    let catalog = dossier::Catalog::official().expect("the catalog");
    let calendar = calendar::WorkingCalendar::official().expect("the calendar");
    let procedure = catalog.get("dang-ky-tam-tru").expect("a procedure").clone();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("a day");
    let mut reported = Vec::new();

    let mut codes = Vec::new();
    let mut events = 0usize;
    let rounds = 4;
    for round in 0..rounds {
        for (i, (p, token)) in citizens.iter().enumerate() {
            // alternately, as a load balancer spreads them
            let (first, second) = if (round + i) % 2 == 0 {
                (one.base.as_str(), two.base.as_str())
            } else {
                (two.base.as_str(), one.base.as_str())
            };
            codes.push(file(&http, &[first, second], token, p.commune_code).await);
            // a vital event recorded meanwhile
            let event = registry::VitalEvent {
                id: registry::EventId(format!("cluster-{round}-{i}")),
                person: domain::PersonalId::parse(&p.personal_id).expect("a personal id"),
                recorded_at: chrono::Utc::now(),
                effective: registry::PartialDate::ymd(2026, 11, 19).expect("a day"),
                source: registry::Source::member("police:00097"),
                kind: registry::EventKind::ResidenceChange {
                    kind: registry::ResidenceKind::Temporary,
                    residence: None,
                },
            };
            app.store
                .registry()
                .append_events(&[event])
                .await
                .expect("appended");
            events += 1;
            // and a dossier of the province synchronised
            let n = u16::try_from(reported.len() + 1).expect("few");
            let code = dossier::DossierCode::new(unit.clone(), day, n).expect("a code");
            let d = dossier::sample::returned(code, &unit, "01", &procedure, &calendar, day)
                .expect("a dossier");
            province.report(round + i, &d).await;
            reported.push(d);
        }
        match round {
            // a node dies mid-run, without finishing anything
            0 => one.kill(),
            // and a NATS server
            1 => nats.kill(0),
            // the node comes back
            2 => one.spawn(&app, &database, &nats.url()).await,
            _ => {}
        }
    }

    // every dossier filed once, and each agency's day numbered without a
    // gap or a repeat
    let unique: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert_eq!(unique.len(), codes.len(), "a code given twice: {codes:?}");
    let mut by_day: std::collections::BTreeMap<(String, chrono::NaiveDate), Vec<u16>> =
        Default::default();
    for code in &codes {
        let c = dossier::DossierCode::parse(code).expect("a code");
        assert!(
            app.store
                .dossiers()
                .dossier(&c)
                .await
                .expect("read")
                .is_some(),
            "{code} is kept"
        );
        by_day
            .entry((c.agency().to_string(), c.day()))
            .or_default()
            .push(c.sequence());
    }
    for ((agency, day), mut numbers) in by_day {
        numbers.sort_unstable();
        let stored = app
            .store
            .dossiers()
            .codes_of_day(
                &dossier::AgencyCode::parse(&agency).expect("an agency"),
                day,
            )
            .await
            .expect("read");
        assert_eq!(stored.len(), numbers.len(), "{agency} {day}: {stored:?}");
        let expected: Vec<u16> = (1..=u16::try_from(numbers.len()).expect("few")).collect();
        assert_eq!(
            numbers, expected,
            "{agency} {day}: a number skipped or repeated"
        );
    }

    // every dossier of the province synchronised: at its status, each of
    // its steps applied once
    for d in &reported {
        let code = d.code.to_string();
        let known = app
            .store
            .sync()
            .synced(&code)
            .await
            .expect("read")
            .unwrap_or_else(|| panic!("{code} is synchronised"));
        assert_eq!(known.lifecycle.status(), dossier::Status::ResultReturned);
        let copy = web::services::backoffice::copy_of(app.store.as_ref(), &known)
            .await
            .expect("read");
        let kept = app
            .store
            .sync()
            .sync_messages(&code)
            .await
            .expect("read")
            .iter()
            .filter(|m| m.key.contains("#buoc#"))
            .count();
        assert_eq!(
            (copy.steps, kept),
            (d.control.len(), d.control.len()),
            "{code}: each step kept once"
        );
    }

    // the stream holds every vital event of the outbox once (those of
    // the people's records included), on the two servers left
    let queued = app
        .store
        .delivery()
        .outbox_since(chrono::DateTime::<chrono::Utc>::MIN_UTC, 1_000_000)
        .await
        .expect("the outbox");
    assert!(queued.len() >= events, "the events appended are queued");
    let mut held = (0, 0);
    for _ in 0..300 {
        held = stream.held().await.expect("the stream");
        let pending = app
            .store
            .delivery()
            .pending_outbox(1)
            .await
            .expect("the outbox");
        if pending.is_empty() && held.0 >= queued.len() as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        held.0,
        queued.len() as u64,
        "every event once, none lost or twice"
    );
    assert!(
        held.1 >= 2,
        "the stream is held by the servers left: {held:?}"
    );
}

// tests: network
//! Two nodes: the national portal as a `motcua serve` process of its own
//! on PostgreSQL (SQLite when PostgreSQL is skipped), and a province's node
//! on SQLite reporting to it over HTTP only, through the integration
//! adapter. Every change of the province's dossiers reaches the national
//! copy, each processing step once, across the national node being killed
//! (SIGKILL) and started again mid-run.

use std::sync::Arc;
use std::time::Duration;

use crate::dossiers::{Staffed, file_birth, free_port, issue, staffed};
use crate::helpers::{PgSchema, TestApp, became_ready, serve_command};

/// The national node: its process, address and store.
struct National {
    child: std::process::Child,
    base: String,
    port: u16,
    dir: tempfile::TempDir,
    pg: Option<PgSchema>,
}

impl National {
    async fn start() -> National {
        let pg = PgSchema::create("the national node").await;
        let dir = tempfile::tempdir().expect("a directory");
        let port = free_port();
        let child = spawn_serve(port, dir.path(), pg.as_ref().map(PgSchema::url));
        let node = National {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
            dir,
            pg,
        };
        node.ready().await;
        node
    }

    async fn ready(&self) {
        assert!(
            became_ready(&self.base).await,
            "the national node did not become ready"
        );
    }

    fn database_url(&self) -> Option<String> {
        self.pg.as_ref().map(PgSchema::url)
    }

    /// Starts it again on the same port and database.
    async fn restart(&mut self) {
        self.child = spawn_serve(self.port, self.dir.path(), self.database_url());
        self.ready().await;
    }

    fn kill(&mut self) {
        // SIGKILL: nothing is finished or flushed
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn store(&self) -> Arc<dyn store::Store> {
        match &self.pg {
            Some(pg) => pg.open().await,
            None => store::open(&store::Location::SqliteFile(
                self.dir.path().join("motcua.db"),
            ))
            .await
            .expect("the national store"),
        }
    }

    /// `motcua backoffice …` against its database: the output.
    fn backoffice(&self, args: &[&str]) -> serde_json::Value {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"));
        command
            .arg("backoffice")
            .args(args)
            .arg("--data-dir")
            .arg(self.dir.path());
        if let Some(url) = self.database_url() {
            command.args(["--database-url", &url]);
        }
        let out = command.output().expect("motcua runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON")
    }
}

impl Drop for National {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_serve(
    port: u16,
    dir: &std::path::Path,
    database_url: Option<String>,
) -> std::process::Child {
    let mut command = serve_command(port, dir);
    if let Some(url) = database_url {
        command.args(["--database-url", &url]);
    }
    command.spawn().expect("motcua serve")
}

/// What the national copy holds of `code`: its status, and the processing
/// steps received (each once).
async fn national_copy(
    store: &dyn store::Store,
    code: &str,
) -> Option<(dossier::Status, usize, usize)> {
    let known = store.sync().synced(code).await.expect("read")?;
    let messages = store.sync().sync_messages(code).await.expect("read");
    let steps: Vec<_> = messages
        .iter()
        .filter(|m| m.key.contains("#buoc#"))
        .collect();
    let distinct: std::collections::BTreeSet<String> =
        steps.iter().map(|m| m.body.to_string()).collect();
    Some((known.lifecycle.status(), steps.len(), distinct.len()))
}

/// How `code` differs between the province and the national copy, in
/// words; `None` when the copy holds the same status and every step once.
async fn difference(province: &TestApp, national: &dyn store::Store, code: &str) -> Option<String> {
    let local = province
        .store
        .dossiers()
        .dossier(&dossier::DossierCode::parse(code).expect("a code"))
        .await
        .expect("read")
        .expect("there")
        .dossier;
    let steps = backoffice::progress_packets(&local).len();
    let copy = national_copy(national, code).await;
    (copy != Some((local.status(), steps, steps))).then(|| {
        format!(
            "{code}: here {:?} {steps} steps, there {copy:?}",
            local.status()
        )
    })
}

/// Waits until the national copy of each of `codes` is what the province
/// holds, and nothing waits to be sent.
async fn until_in_step(province: &TestApp, national: &dyn store::Store, codes: &[String]) {
    let mut differences = Vec::new();
    let mut waiting = 0;
    for _ in 0..600 {
        differences.clear();
        for code in codes {
            differences.extend(difference(province, national, code).await);
        }
        waiting = province
            .store
            .dossiers()
            .upstream_backlog()
            .await
            .expect("backlog")
            .waiting;
        if differences.is_empty() && waiting == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the national copy did not catch up ({waiting} waiting): {differences:?}");
}

/// The province's sender's view of the national node, logging in as the
/// back office connected there.
fn upstream_of(
    national: &National,
    password: &str,
    province: &TestApp,
) -> web::services::backoffice::upstream::Upstream {
    web::services::backoffice::upstream::Upstream::new(
        &format!("{}/api/v1/integration", national.base),
        "tinh-igate",
        password,
        &province.base,
    )
}

/// Records `code` as acknowledged upstream though it was never sent: a
/// flag set by hand, an answer lost.
async fn lose_flag(store: &dyn store::Store, code: &str) {
    let code = dossier::DossierCode::parse(code).expect("a code");
    let stored = store
        .dossiers()
        .dossier(&code)
        .await
        .expect("read")
        .expect("there");
    store
        .dossiers()
        .upstream_sent(&code, stored.version, 1)
        .await
        .expect("marked");
}

/// A national node and a province's node with its staff, a first dossier
/// filed at the province, and the province's system connected to the
/// national node by its operator.
struct Pair {
    national: National,
    province: TestApp,
    staff: Staffed,
    /// The first dossier's code.
    first: String,
    /// Its receiving agency, the unit the back office reports for.
    agency: String,
    /// The back office's password at the national node.
    password: String,
}

impl Pair {
    async fn start() -> Pair {
        let national = National::start().await;
        let province = TestApp::spawn().await;
        let staff = staffed(&province).await;
        let first = file_birth(&province, &staff.token, staff.citizen.commune_code).await;
        let agency = province
            .store
            .dossiers()
            .dossier(&dossier::DossierCode::parse(&first).expect("a code"))
            .await
            .expect("read")
            .expect("there")
            .dossier
            .route
            .receiving
            .to_string();
        let connected = national.backoffice(&[
            "connect",
            "tinh-igate",
            "--name",
            "Hệ thống một cửa của tỉnh",
            "--province",
            "01",
            "--unit",
            &agency,
            "--pull",
        ]);
        let password = connected["password"]
            .as_str()
            .expect("a password")
            .to_string();
        Pair {
            national,
            province,
            staff,
            first,
            agency,
            password,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provinces_node_reports_every_change_to_the_national_one_across_a_crash() {
    let Pair {
        mut national,
        province,
        staff:
            Staffed {
                citizen,
                token,
                officer_token,
                leader_token,
                ..
            },
        first,
        agency,
        password,
    } = Pair::start().await;
    let password = password.as_str();
    let pusher = web::services::backoffice::upstream::spawn(
        province.store.clone(),
        upstream_of(&national, password, &province),
    );
    let copy = national.store().await;
    until_in_step(&province, copy.as_ref(), std::slice::from_ref(&first)).await;

    // processed to its result, while the national node is killed and, a
    // while later, started again; another dossier filed meanwhile
    national.kill();
    issue(&province, &officer_token, &leader_token, &first, true).await;
    let second = file_birth(&province, &token, citizen.commune_code).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    national.restart().await;
    until_in_step(&province, copy.as_ref(), &[first.clone(), second.clone()]).await;
    assert_eq!(
        national_copy(copy.as_ref(), &first).await.map(|c| c.0),
        Some(dossier::Status::ResultReturned)
    );
    let day = dossier::DossierCode::parse(&first)
        .expect("a code")
        .day()
        .to_string();
    let reconcile = |extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"));
        command
            .args(["sync", "reconcile", "--agency", &agency, "--date", &day])
            .args(extra)
            .args([
                "--upstream",
                &format!("{}/api/v1/integration", national.base),
            ])
            .args(["--upstream-user", "tinh-igate"])
            .env("MOTCUA_UPSTREAM_PASSWORD", password)
            .arg("--data-dir")
            .arg(province.data_dir());
        let out = command.output().expect("motcua runs");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
        (out.status.success(), report)
    };
    let (ok, report) = reconcile(&[]);
    assert!(ok, "{report}");
    assert_eq!(report["count_here"], 2);
    assert_eq!(report["digest_here"], report["digest_there"]);

    // a dossier whose sending was recorded but never happened (a flag set
    // by hand, a lost answer): reconciliation finds it, and mends it
    pusher.abort();
    let third = file_birth(&province, &token, citizen.commune_code).await;
    lose_flag(province.store.as_ref(), &third).await;
    let (ok, report) = reconcile(&[]);
    assert!(!ok, "a difference is a non-zero exit");
    assert_eq!(report["differences"][0]["code"], third.as_str());
    assert_eq!(
        report["differences"][0]["why"],
        "not at the upstream portal"
    );
    assert_ne!(report["digest_here"], report["digest_there"]);
    let (ok, report) = reconcile(&["--resend"]);
    assert!(ok && report["resent"] == 1, "{report}");
    let pusher = web::services::backoffice::upstream::spawn(
        province.store.clone(),
        upstream_of(&national, password, &province),
    );
    until_in_step(
        &province,
        copy.as_ref(),
        &[first.clone(), second.clone(), third.clone()],
    )
    .await;
    let (ok, report) = reconcile(&[]);
    assert!(
        ok && report["differences"] == serde_json::json!([]),
        "{report}"
    );

    // the same lost flag, found by the reconciliation the node runs on a
    // schedule, which sends it again by itself
    pusher.abort();
    let fourth = file_birth(&province, &token, citizen.commune_code).await;
    lose_flag(province.store.as_ref(), &fourth).await;
    let upstream = upstream_of(&national, password, &province);
    let pusher =
        web::services::backoffice::upstream::spawn(province.store.clone(), upstream.clone());
    let reconciler = web::services::backoffice::upstream::spawn_reconciler(
        province.store.clone(),
        upstream,
        Duration::from_millis(300),
    );
    until_in_step(&province, copy.as_ref(), &[first, second, third, fourth]).await;
    reconciler.abort();
    pusher.abort();
}

/// Stores `n` dossiers of `agency`'s day `day`, each taken to its result
/// (filed, received, processing, proposed, approved, returned), straight
/// into `store`, as a province's staff would have.
async fn processed(
    store: &dyn store::Store,
    agency: &dossier::AgencyCode,
    day: chrono::NaiveDate,
    n: usize,
) {
    let catalog = dossier::Catalog::official().expect("the catalog");
    let calendar = calendar::WorkingCalendar::official().expect("the calendar");
    let procedure = catalog.get("dang-ky-tam-tru").expect("a procedure").clone();
    let make = |code: dossier::DossierCode| {
        dossier::sample::returned(code, agency, "01", &procedure, &calendar, day)
            .map(|d| (d, None))
            .map_err(|e| store::StoreError::refused(e.to_string()))
    };
    let mut left = n;
    while left > 0 {
        let size = left.min(200);
        let batch: Vec<store::NewDossier<'_>> = (0..size)
            .map(|_| store::NewDossier {
                agency,
                day,
                at: chrono::Utc::now(),
                make: &make,
            })
            .collect();
        for outcome in store
            .dossiers()
            .create_dossiers(&batch, &mut |_| Vec::new())
            .await
            .expect("stored")
        {
            outcome.expect("a dossier stored");
        }
        left -= size;
    }
}

/// A province's node as a process of its own, reporting upstream.
fn province_serve(
    dir: &std::path::Path,
    port: u16,
    national: &str,
    password: &str,
) -> std::process::Child {
    serve_command(port, dir)
        .args(["--upstream", &format!("{national}/api/v1/integration")])
        .args(["--upstream-user", "tinh-igate"])
        .env("MOTCUA_UPSTREAM_PASSWORD", password)
        .spawn()
        .expect("motcua serve --upstream")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provinces_node_killed_mid_report_loses_nothing_and_repeats_nothing() {
    let national = National::start().await;
    let dir = tempfile::tempdir().expect("a directory");
    let province = store::open(&store::Location::SqliteFile(dir.path().join("motcua.db")))
        .await
        .expect("the province's store");
    let agency = dossier::AgencyCode::parse("UBND.00004").expect("an agency");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("a day");
    processed(province.as_ref(), &agency, day, 1500).await;
    let connected = national.backoffice(&[
        "connect",
        "tinh-igate",
        "--name",
        "Hệ thống một cửa của tỉnh",
        "--province",
        "01",
        "--unit",
        agency.as_str(),
        "--pull",
    ]);
    let password = connected["password"].as_str().expect("a password");
    let copy = national.store().await;
    let port = free_port();

    // started, and killed (SIGKILL) while it reports
    let mut child = province_serve(dir.path(), port, &national.base, password);
    let prefix = format!("{agency}-{}-", day.format("%y%m%d"));
    let mut seen = 0;
    for _ in 0..600 {
        seen = copy
            .sync()
            .synced_with_prefix(&prefix)
            .await
            .expect("read")
            .len();
        if seen > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let waiting = province
        .dossiers()
        .upstream_backlog()
        .await
        .expect("backlog")
        .waiting;
    assert!(
        seen > 0 && waiting > 0,
        "killed mid-report: {seen} there, {waiting} waiting"
    );

    // more dossiers processed while it is down; then it starts again
    processed(province.as_ref(), &agency, day, 100).await;
    let mut child = province_serve(dir.path(), port, &national.base, password);
    let mut waiting = u64::MAX;
    for _ in 0..1200 {
        waiting = province
            .dossiers()
            .upstream_backlog()
            .await
            .expect("backlog")
            .waiting;
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(waiting, 0, "the backlog drained");

    // every dossier there, returned, each of its six steps once
    let there = copy.sync().synced_with_prefix(&prefix).await.expect("read");
    assert_eq!(there.len(), 1600);
    for known in &there {
        let (status, steps, distinct) = national_copy(copy.as_ref(), &known.code)
            .await
            .expect("known");
        assert_eq!(
            (status, steps, distinct),
            (dossier::Status::ResultReturned, 6, 6),
            "{}",
            known.code
        );
    }
}

/// A TCP path between the nodes that can be cut: while cut, a connection
/// is accepted and never answered (a peer that hangs, the worst kind), and
/// the connections open when it was cut are dropped.
struct Path {
    addr: std::net::SocketAddr,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    _accept: tokio::task::JoinHandle<()>,
}

impl Path {
    async fn to(target: std::net::SocketAddr) -> Path {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let addr = listener.local_addr().expect("its address");
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (is_cut, conns) = (cut.clone(), open.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let is_cut = is_cut.clone();
                let task = tokio::spawn(async move {
                    if is_cut.load(std::sync::atomic::Ordering::SeqCst) {
                        // read what comes, answer nothing, never close
                        let mut sink = tokio::io::sink();
                        let _ = tokio::io::copy(&mut inbound, &mut sink).await;
                        std::future::pending::<()>().await;
                    }
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                if let Ok(mut list) = conns.lock() {
                    list.push(task);
                }
            }
        });
        Path {
            addr,
            cut,
            open,
            _accept: accept,
        }
    }

    fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut list) = self.open.lock() {
            for task in list.drain(..) {
                task.abort();
            }
        }
    }

    fn heal(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut list) = self.open.lock() {
            for task in list.drain(..) {
                task.abort();
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_that_hangs_heals_with_nothing_lost_or_repeated() {
    let Pair {
        national,
        province,
        staff:
            Staffed {
                citizen,
                token,
                officer_token,
                leader_token,
                ..
            },
        first,
        password,
        ..
    } = Pair::start().await;
    let password = password.as_str();
    let path = Path::to(
        format!("127.0.0.1:{}", national.port)
            .parse()
            .expect("an address"),
    )
    .await;
    let upstream = web::services::backoffice::upstream::Upstream::new(
        &format!("http://{}/api/v1/integration", path.addr),
        "tinh-igate",
        password,
        &province.base,
    )
    .with_timeout(Duration::from_millis(800));
    let pusher = web::services::backoffice::upstream::spawn(province.store.clone(), upstream);
    let copy = national.store().await;
    until_in_step(&province, copy.as_ref(), std::slice::from_ref(&first)).await;

    let before = national_copy(copy.as_ref(), &first).await;
    // cut: the national node takes connections and never answers; the
    // province goes on filing and processing
    path.cut();
    issue(&province, &officer_token, &leader_token, &first, true).await;
    let second = file_birth(&province, &token, citizen.commune_code).await;
    let third = file_birth(&province, &token, citizen.commune_code).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let backlog = province
        .store
        .dossiers()
        .upstream_backlog()
        .await
        .expect("backlog");
    assert!(backlog.waiting >= 3, "{backlog:?}");
    assert!(
        backlog.failing >= 1,
        "the hanging calls were given up: {backlog:?}"
    );
    assert!(national_copy(copy.as_ref(), &second).await.is_none());
    assert_eq!(
        national_copy(copy.as_ref(), &first).await,
        before,
        "nothing got through"
    );

    // healed: everything arrives, once
    path.heal();
    until_in_step(&province, copy.as_ref(), &[first.clone(), second, third]).await;
    assert_eq!(
        national_copy(copy.as_ref(), &first).await.map(|c| c.0),
        Some(dossier::Status::ResultReturned)
    );
    pusher.abort();
}

/// Files `n` dossiers on `store` (the national portal's) with `agency`,
/// online, today, as its citizens would have: their codes.
pub(crate) async fn filed_there(
    store: &dyn store::Store,
    agency: &dossier::AgencyCode,
    province: &str,
    n: usize,
) -> Vec<String> {
    let catalog = dossier::Catalog::official().expect("the catalog");
    let calendar = calendar::WorkingCalendar::official().expect("the calendar");
    let procedure = catalog.get("dang-ky-tam-tru").expect("a procedure").clone();
    let day = chrono::Utc::now()
        .with_timezone(&calendar::VIETNAM)
        .date_naive();
    let make = |code: dossier::DossierCode| {
        dossier::sample::filed(code, agency, province, &procedure, &calendar, day)
            .map(|d| (d, None))
            .map_err(|e| store::StoreError::refused(e.to_string()))
    };
    let batch: Vec<store::NewDossier<'_>> = (0..n)
        .map(|_| store::NewDossier {
            agency,
            day,
            at: chrono::Utc::now(),
            make: &make,
        })
        .collect();
    store
        .dossiers()
        .create_dossiers(&batch, &mut |_| Vec::new())
        .await
        .expect("stored")
        .into_iter()
        .map(|o| o.expect("a dossier stored").dossier.code.to_string())
        .collect()
}

/// A PDF attached to `code` on `store`: its SHA-256.
async fn attach(store: &dyn store::Store, code: &str, document: &str) -> String {
    let content = format!("%PDF-1.4\n% {code} {document}\n%%EOF\n").into_bytes();
    store
        .dossiers()
        .put_attachment(
            &dossier::DossierCode::parse(code).expect("a code"),
            &dossier::Attachment {
                document: document.into(),
                name: format!("{document}.pdf"),
                media_type: dossier::MediaType::Pdf,
                size: content.len(),
            },
            &content,
            chrono::Utc::now(),
        )
        .await
        .expect("attached")
        .sha256
}

/// Waits until `held` dossiers at most wait for a back office at `store`.
async fn until_delivered(store: &dyn store::Store, held: u64) {
    for _ in 0..300 {
        let waiting: u64 = store
            .sync()
            .down_backlog()
            .await
            .expect("backlog")
            .iter()
            .map(|b| b.waiting)
            .sum();
        if waiting <= held {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "still waiting for a back office: {:?}",
        store.sync().down_backlog().await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_national_portal_receives_for_a_provinces_units_is_processed_there_and_reported_back()
 {
    let Pair {
        national,
        province,
        staff:
            Staffed {
                officer_token,
                leader_token,
                ..
            },
        agency,
        password,
        first,
    } = Pair::start().await;
    let there = national.store().await;
    let agency = dossier::AgencyCode::parse(&agency).expect("an agency");
    let codes = filed_there(there.as_ref(), &agency, "01", 3).await;
    let sha = attach(there.as_ref(), &codes[1], "giay-to-tuy-than").await;
    let backlog = there.sync().down_backlog().await.expect("backlog");
    assert_eq!(
        (backlog[0].office.as_str(), backlog[0].waiting),
        ("tinh-igate", 3)
    );

    // the province's node reads the feed: each dossier kept under its
    // national code with its file, and acknowledged; but the code of the
    // first is the one the province's node gave the dossier filed online
    // at it, which is not overwritten, nor the national one dropped
    let upstream = upstream_of(&national, &password, &province);
    let inbound =
        web::services::backoffice::inbound::spawn(province.store.clone(), upstream.clone())
            .expect("reading the feed");
    until_delivered(there.as_ref(), 1).await;
    assert_eq!(codes[0], first, "the province's node gave the same code");
    for (i, code) in codes.iter().enumerate() {
        assert_eq!(
            delivered_as_filed(&province, there.as_ref(), code).await,
            i > 0,
            "{code}"
        );
    }
    let held = there
        .sync()
        .down_due("tinh-igate", store::DownFrom::Start, 10)
        .await
        .expect("due");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].stored.dossier.code.to_string(), codes[0]);
    // the portal's operators are told why, once
    let backlog = there.sync().down_backlog().await.expect("backlog");
    assert_eq!((backlog[0].waiting, backlog[0].failing), (1, 1));
    let why = backlog[0]
        .last_error
        .as_ref()
        .map(|(e, _)| e.clone())
        .unwrap_or_default();
    assert!(
        why.starts_with("held by the back office: ") && why.contains("is taken here"),
        "{why}"
    );
    // and the province's node counts what it holds back
    let mut gauge = String::new();
    for _ in 0..50 {
        let metrics = province.get("/metrics").await.body;
        gauge = metrics
            .lines()
            .find(|l| l.starts_with("inbound_held_dossiers "))
            .unwrap_or_default()
            .to_string();
        if gauge == "inbound_held_dossiers 1" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(gauge, "inbound_held_dossiers 1");
    // what is held back is read again once a pass, not at once in a loop
    let before = adapter_calls(&national).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let calls = adapter_calls(&national).await - before;
    assert!(
        calls <= 8.0,
        "{calls} calls in 3 s while one dossier is held"
    );
    let codes = codes[1..].to_vec();
    let files = province
        .store
        .dossiers()
        .attachments(&dossier::DossierCode::parse(&codes[0]).expect("a code"))
        .await
        .expect("read");
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].sha256, sha);

    // processed at the province, its every step reported up
    let pusher = web::services::backoffice::upstream::spawn(province.store.clone(), upstream);
    issue(&province, &officer_token, &leader_token, &codes[0], true).await;
    until_in_step(&province, there.as_ref(), &codes).await;
    assert_eq!(
        national_copy(there.as_ref(), &codes[0]).await.map(|c| c.0),
        Some(dossier::Status::ResultReturned)
    );

    // withdrawn on the portal before the province moved it: the portal's
    // version holds all the province has, and is taken as it is
    withdrawn_on_the_portal(there.as_ref(), &codes[1]).await;
    let untouched = dossier::DossierCode::parse(&codes[1]).expect("a code");
    let mut taken_in = false;
    for _ in 0..100 {
        let here = province
            .store
            .dossiers()
            .dossier(&untouched)
            .await
            .expect("read")
            .expect("there");
        if here.dossier.status() == dossier::Status::Withdrawn {
            taken_in = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(taken_in, "the withdrawal made on the portal is taken in");
    assert!(delivered_as_filed(&province, there.as_ref(), &codes[1]).await);
    until_delivered(there.as_ref(), 1).await;

    // a change made on the portal to a dossier the province has processed
    // is held there, neither merged nor acknowledged
    let processed = dossier::DossierCode::parse(&codes[0]).expect("a code");
    changed_on_the_portal(there.as_ref(), &codes[0]).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let waiting: Vec<(String, i64)> = there
        .sync()
        .down_due("tinh-igate", store::DownFrom::Start, 10)
        .await
        .expect("due")
        .iter()
        .map(|d| (d.stored.dossier.code.to_string(), d.stored.version))
        .collect();
    assert!(
        waiting.contains(&(codes[0].clone(), 2)),
        "held: {waiting:?}"
    );
    assert_eq!(
        province
            .store
            .dossiers()
            .dossier(&processed)
            .await
            .expect("read")
            .expect("there")
            .dossier
            .status(),
        dossier::Status::ResultReturned,
        "not merged"
    );
    there
        .sync()
        .down_ack("tinh-igate", &codes[0], 2)
        .await
        .expect("taken in by hand");

    // the feed gives only the one held, and a repeated acknowledgement
    // changes nothing
    let mut link = web::services::backoffice::upstream::Link::new(upstream_of(
        &national, &password, &province,
    ))
    .expect("a link");
    let mut acknowledge = async |version: i64| -> String {
        let answer = link
            .call(
                "",
                "XacNhanHoSo",
                serde_json::json!({"data": [{"MaHoSo": codes[1], "PhienBan": version}]}),
            )
            .await
            .expect("answered");
        answer["result"][0]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(acknowledge(1).await, "duplicate");
    // a version never given is not acknowledged
    assert_eq!(acknowledge(7).await, "unknown");
    let feed = link
        .call("", "NhanHoSo", serde_json::json!({}))
        .await
        .expect("answered");
    let held: Vec<_> = feed["result"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| i["MaHoSo"].clone())
        .collect();
    assert_eq!(held, vec![serde_json::json!(first)], "only the one held");
    // read on past it: the end of the feed
    let place = feed["result"][0]["ViTri"].as_str().expect("its place");
    let after = link
        .call("", "NhanHoSo", serde_json::json!({"sau": place}))
        .await
        .expect("answered");
    assert_eq!(after["result"], serde_json::json!([]), "{after}");
    let refused = link
        .call("", "NhanHoSo", serde_json::json!({"sau": "hôm qua"}))
        .await
        .expect_err("not a place");
    assert!(
        refused.contains("sau:") && refused.contains("ViTri"),
        "{refused}"
    );
    inbound.abort();
    pusher.abort();
}

/// `code` as the national portal holds it.
async fn stored_there(there: &dyn store::Store, code: &str) -> store::StoredDossier {
    there
        .dossiers()
        .dossier(&dossier::DossierCode::parse(code).expect("a code"))
        .await
        .expect("read")
        .expect("filed there")
}

/// `code` changed on the national portal (its record written again, at a
/// new version).
async fn changed_on_the_portal(there: &dyn store::Store, code: &str) {
    let stored = stored_there(there, code).await;
    there
        .dossiers()
        .update_dossier(&stored.dossier, stored.version, None, chrono::Utc::now())
        .await
        .expect("changed");
}

/// The applicant withdraws `code` on the national portal.
async fn withdrawn_on_the_portal(there: &dyn store::Store, code: &str) {
    let stored = stored_there(there, code).await;
    let mut d = stored.dossier.clone();
    let applicant = dossier::Actor {
        subject: d.applicant.subject.clone(),
        name: d.applicant.name.clone(),
        role: dossier::Role::Applicant,
        agency: None,
        person_id: d.applicant.person_id.clone(),
    };
    let catalog = dossier::Catalog::official().expect("the catalog");
    let calendar = calendar::WorkingCalendar::official().expect("the calendar");
    let now = chrono::Utc::now();
    d.act(
        &applicant,
        dossier::Act::Withdraw,
        None,
        now.with_timezone(&calendar::VIETNAM),
        catalog.get(&d.procedure).expect("its procedure"),
        &calendar,
    )
    .expect("withdrawn");
    there
        .dossiers()
        .update_dossier(&d, stored.version, None, now)
        .await
        .expect("stored");
}

/// Whether the province holds `code` as the national portal filed it.
async fn delivered_as_filed(province: &TestApp, there: &dyn store::Store, code: &str) -> bool {
    let code = dossier::DossierCode::parse(code).expect("a code");
    let here = province
        .store
        .dossiers()
        .dossier(&code)
        .await
        .expect("read")
        .expect("delivered");
    let filed = there
        .dossiers()
        .dossier(&code)
        .await
        .expect("read")
        .expect("filed");
    here.dossier == filed.dossier
}

/// The calls the national node's adapter has answered.
async fn adapter_calls(national: &National) -> f64 {
    let body = reqwest::get(format!("{}/metrics", national.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics");
    body.lines()
        .filter(|l| {
            l.starts_with("http_requests_total{")
                && l.contains(r#"route="/api/v1/integration/call""#)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A back office's endpoint that takes pushes: refuses the first
/// `refuse` with 503, then checks each one's signature against `ring`
/// and answers each dossier taken.
#[derive(Clone)]
struct Receiver {
    ring: Arc<exchange::KeyRing>,
    refuse: Arc<std::sync::atomic::AtomicUsize>,
    taken: Arc<std::sync::Mutex<Vec<(String, i64)>>>,
    unsigned: Arc<std::sync::atomic::AtomicUsize>,
    base: String,
}

async fn receive_push(
    axum::extract::State(r): axum::extract::State<Receiver>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    use std::sync::atomic::Ordering;
    if r.refuse
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"error_code": "99", "detail": "down for a moment"})),
        );
    }
    let request = exchange::HttpRequest {
        method: "POST".into(),
        uri: format!("{}/lien-thong", r.base),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.to_vec(),
    };
    if exchange::verify_request(&request, &r.ring, chrono::Utc::now()).is_err()
        || exchange::signature::verify_content_digest(
            &exchange::HttpMessage::header(&request, "content-digest").unwrap_or_default(),
            &body,
        )
        .is_err()
    {
        r.unsigned.fetch_add(1, Ordering::SeqCst);
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(
                serde_json::json!({"error_code": "02", "detail": "not signed by the portal"}),
            ),
        );
    }
    let pushed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut result = Vec::new();
    for item in pushed["data"].as_array().into_iter().flatten() {
        let code = item["MaHoSo"].as_str().unwrap_or("").to_string();
        let version = item["PhienBan"].as_i64().unwrap_or(0);
        r.taken.lock().expect("lock").push((code.clone(), version));
        result.push(serde_json::json!({"MaHoSo": code, "PhienBan": version, "error_code": "00"}));
    }
    (
        axum::http::StatusCode::OK,
        axum::Json(serde_json::json!({"error_code": "00", "result": result})),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_back_office_configured_for_push_is_sent_each_dossier_signed_until_it_takes_it() {
    let national = National::start().await;
    // the national node's exchange key, as a back office would hold it
    let config = web::services::exchange::node::DemoConfig::load(
        &national.dir.path().join("exchange").join("demo.json"),
    )
    .expect("the national node's exchange configuration");
    let key = config.provider.key().expect("the node's key");
    let mut ring = exchange::KeyRing::new();
    ring.insert(exchange::RegisteredKey {
        key_id: key.key_id.clone(),
        member: key.member.clone(),
        key: key.public(),
        valid_from: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        valid_until: None,
    })
    .expect("a key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    let receiver = Receiver {
        ring: Arc::new(ring),
        refuse: Arc::new(std::sync::atomic::AtomicUsize::new(2)),
        taken: Arc::default(),
        unsigned: Arc::default(),
        base: base.clone(),
    };
    let app = axum::Router::new()
        .route("/lien-thong", axum::routing::post(receive_push))
        .with_state(receiver.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let unit = "SOTP.01";
    national.backoffice(&[
        "connect",
        "ha-noi-igate",
        "--name",
        "Hệ thống một cửa của thành phố",
        "--province",
        "01",
        "--unit",
        unit,
        "--endpoint",
        &format!("{base}/lien-thong"),
    ]);
    let there = national.store().await;
    let agency = dossier::AgencyCode::parse(unit).expect("an agency");
    let mut codes = filed_there(there.as_ref(), &agency, "01", 4).await;
    until_delivered(there.as_ref(), 0).await;
    // a change made on the portal is pushed too, at its new version
    changed_on_the_portal(there.as_ref(), &codes[0]).await;
    until_delivered(there.as_ref(), 0).await;
    let mut taken = receiver.taken.lock().expect("lock").clone();
    taken.sort();
    let mut expected: Vec<(String, i64)> = codes.iter().map(|c| (c.clone(), 1)).collect();
    expected.push((codes[0].clone(), 2));
    expected.sort();
    codes.sort();
    assert_eq!(
        taken, expected,
        "each version pushed once, after two refusals"
    );
    assert_eq!(
        receiver.unsigned.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "every push signed by the portal's key"
    );
    // each push, refused or taken, in the portal's message log
    let pushes: Vec<_> = there
        .exchange()
        .log_range(1, 100_000)
        .await
        .expect("the log")
        .into_iter()
        .filter(|e| e.record.service == "dossiers.deliver")
        .collect();
    assert!(
        pushes.len() >= 4,
        "the two refused and at least two taken: {pushes:?}"
    );
    assert!(
        pushes
            .iter()
            .all(|e| e.record.consumer.as_str() == "VN/GOV/01/ha-noi-igate"
                && e.record.response_digest.is_some())
    );
    server.abort();
}

/// A province's motcua node that takes pushes (`--upstream-signer`, the
/// national portal's listing as `motcua exchange listing` prints it): the
/// national portal pushes it each dossier filed for its unit, signed; the
/// node keeps each under its national code with its file (fetched and
/// checked) and answers it taken, so nothing waits at the portal. A push
/// not signed by the portal is refused and keeps nothing; a node that
/// takes no pushes says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provinces_node_takes_the_dossiers_the_national_portal_pushes_to_it() {
    let national = National::start().await;
    let unit = "SOTP.01";
    let office = |command: &str, how: &[&str]| {
        let mut args = vec![
            command,
            "tinh-igate",
            "--name",
            "Hệ thống một cửa của thành phố",
            "--province",
            "01",
            "--unit",
            unit,
        ];
        args.extend_from_slice(how);
        national.backoffice(&args)
    };
    let connected = office("connect", &["--pull"]);
    let password = connected["password"].as_str().expect("a password");
    let signer: web::services::exchange::node::DemoMember =
        serde_json::from_slice(&crate::helpers::succeeds(
            std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
                .args(["exchange", "listing", "--data-dir"])
                .arg(national.dir.path()),
        ))
        .expect("a listing");
    let province = TestApp::spawn_with(crate::helpers::TestOptions {
        upstream_alert: Some(Duration::from_secs(15 * 60)),
        pushes: Some((
            signer,
            web::services::backoffice::upstream::Upstream::new(
                &format!("{}/api/v1/integration", national.base),
                "tinh-igate",
                password,
                "http://127.0.0.1",
            ),
        )),
        ..Default::default()
    })
    .await;
    let endpoint = format!("{}/api/v1/integration/deliveries", province.base);
    office("reconfigure", &["--endpoint", &endpoint]);

    // filed on the portal, pushed, kept with its file, and taken
    let there = national.store().await;
    let agency = dossier::AgencyCode::parse(unit).expect("an agency");
    let codes = filed_there(there.as_ref(), &agency, "01", 3).await;
    let sha = attach(there.as_ref(), &codes[1], "giay-to-tuy-than").await;
    until_delivered(there.as_ref(), 0).await;
    for code in &codes {
        assert!(
            delivered_as_filed(&province, there.as_ref(), code).await,
            "{code}"
        );
    }
    let files = province
        .store
        .dossiers()
        .attachments(&dossier::DossierCode::parse(&codes[1]).expect("a code"))
        .await
        .expect("read");
    assert_eq!(
        files.iter().map(|f| f.sha256.as_str()).collect::<Vec<_>>(),
        [sha.as_str()]
    );

    // a push not signed by the portal: refused, nothing kept
    let stranger = "SOTP.01-261208-0999";
    let body =
        serde_json::to_vec(&serde_json::json!({"data": [{"MaHoSo": stranger, "PhienBan": 1}]}))
            .expect("JSON");
    let plain = province
        .client
        .post(&endpoint)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("answered");
    assert_eq!(plain.status().as_u16(), 401);
    let answer: serde_json::Value = plain.json().await.expect("JSON");
    assert_eq!(answer["error_code"], "02", "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("--upstream-signer"),
        "{answer}"
    );
    let other = web::services::exchange::node::DemoMember::generate(
        exchange::Member {
            id: "VN/GOV/000.00.00.G99/gia-mao".parse().expect("a member"),
            name: "Một hệ thống giả mạo".into(),
            kind: exchange::MemberKind::Province,
        },
        "k1",
    )
    .expect("a key")
    .key()
    .expect("its key");
    let mut forged = exchange::HttpRequest {
        method: "POST".into(),
        uri: endpoint.clone(),
        headers: vec![("content-type".into(), "application/json".into())],
        body,
    };
    exchange::sign_request(
        &mut forged,
        &other,
        chrono::Utc::now(),
        chrono::Duration::minutes(5),
    )
    .expect("signed");
    let forged = web::services::exchange::post_signed(&province.client, &forged)
        .send()
        .await
        .expect("answered");
    assert_eq!(forged.status().as_u16(), 401);
    assert!(
        province
            .store
            .dossiers()
            .dossier(&dossier::DossierCode::parse(stranger).expect("a code"))
            .await
            .expect("read")
            .is_none()
    );
    // the portal itself takes no pushes
    let none = reqwest::Client::new()
        .post(format!("{}/api/v1/integration/deliveries", national.base))
        .json(&serde_json::json!({"data": []}))
        .send()
        .await
        .expect("answered");
    assert_eq!(none.status().as_u16(), 404);
}

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

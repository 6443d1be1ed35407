//! `TestApp`: the whole HTTP application on an ephemeral port, over a fresh
//! SQLite store in a temporary directory (or, with [`PgSchema`], over a
//! fresh PostgreSQL schema).

use std::net::SocketAddr;

pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
    /// The store the application runs on.
    pub store: std::sync::Arc<dyn store::Store>,
    /// The demo exchange configuration (with the demo members' key seeds).
    pub exchange: web::services::exchange::node::DemoConfig,
    _dir: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
    /// The delivery of vital events to subscribers (stopped when dropped).
    _deliveries: web::services::delivery::DeliveryService,
    /// Reloads the identity provider's keys (aborted when dropped).
    key_reloader: tokio::task::JoinHandle<()>,
    /// The PostgreSQL schema the store lives in, if not SQLite (dropped
    /// after the application).
    pg: Option<PgSchema>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.key_reloader.abort();
    }
}

/// A change to the demo exchange configuration.
pub type Configure = Box<dyn FnOnce(&mut web::services::exchange::node::DemoConfig) + Send>;

/// How [`TestApp::spawn_with`] differs from [`TestApp::spawn`].
#[derive(Default)]
pub struct TestOptions {
    /// The vital-event bus (default: a fresh in-process bus).
    pub bus: Option<std::sync::Arc<dyn delivery::Bus>>,
    /// Changes to the demo exchange configuration (extra rights) before the
    /// node starts.
    pub configure: Option<Configure>,
    /// When the old portals' organisation accounts stop (default: the
    /// law's 2025-07-01T00:00+07:00).
    pub legacy_cutover: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The issuer named `localhost` rather than 127.0.0.1 (WebAuthn needs a
    /// host name).
    pub localhost_issuer: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The issuer the provider announces (default: the test server's own
    /// `http://` address), e.g. an `https://` one behind a proxy.
    pub issuer: Option<String>,
    /// The store in this PostgreSQL schema instead of SQLite.
    pub postgres: Option<PgSchema>,
    /// The limits on filing dossiers (default: the server's).
    pub filing: web::ratelimit::FilingQuota,
    /// The node reports upstream, alerting after that long.
    pub upstream_alert: Option<std::time::Duration>,
    /// The node takes the pushes of its upstream portal: the portal's
    /// listing, and the upstream its files are fetched from.
    pub pushes: Option<(
        web::services::exchange::node::DemoMember,
        web::services::backoffice::upstream::Upstream,
    )>,
}

/// A PostgreSQL schema of its own for one test (`MOTCUA_TEST_DATABASE_URL`,
/// default `postgres://postgres@127.0.0.1:5432/test`), dropped afterwards.
pub struct PgSchema {
    url: String,
    schema: String,
}

impl PgSchema {
    /// A new schema; `None` when `MOTCUA_TEST_SKIP_POSTGRES=1`.
    pub async fn create(test: &str) -> Option<PgSchema> {
        use sqlx::Connection as _;
        if std::env::var("MOTCUA_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "{test}: PostgreSQL SKIPPED (MOTCUA_TEST_SKIP_POSTGRES=1)"
            );
            return None;
        }
        let url = std::env::var("MOTCUA_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".to_string());
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let schema = format!(
            "motcua_it_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            uuid::Uuid::new_v4().simple()
        );
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap_or_else(|e| {
            panic!(
                "{test} needs PostgreSQL: {e} (set MOTCUA_TEST_DATABASE_URL, or \
                 MOTCUA_TEST_SKIP_POSTGRES=1 to skip)"
            )
        });
        sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .expect("create the test schema");
        let _ = conn.close().await;
        Some(PgSchema { url, schema })
    }

    /// A store of its own on the schema (beside a server's).
    pub async fn open(&self) -> std::sync::Arc<dyn store::Store> {
        store::open_postgres_in_schema(&self.url, &self.schema)
            .await
            .expect("the schema's store")
    }

    /// The URL of the database with the schema as its search path (as
    /// `--database-url` of the command line takes it).
    pub fn url(&self) -> String {
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}options[search_path]={}", self.url, self.schema)
    }
}

impl Drop for PgSchema {
    /// Drops the schema, on a thread of its own (the test's runtime is not
    /// usable from `drop`).
    fn drop(&mut self) {
        let url = self.url();
        let schema = self.schema.clone();
        let _ = std::thread::spawn(move || {
            use sqlx::Connection as _;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
                sqlx::raw_sql(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&mut conn)
                    .await
                    .ok()?;
                conn.close().await.ok()
            })
        })
        .join();
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(TestOptions::default()).await
    }

    pub async fn spawn_with(options: TestOptions) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = match &options.postgres {
            Some(pg) => store::open_postgres_in_schema(&pg.url, &pg.schema).await,
            None => store::open(&store::Location::SqliteFile(dir.path().join("motcua.db"))).await,
        }
        .expect("open the test store");
        store
            .sync_units(units::Units::get())
            .await
            .expect("load the units");
        let mut exchange =
            web::services::exchange::node::DemoConfig::load_or_create(&dir.path().join("exchange"))
                .expect("the demo exchange configuration");
        if let Some(configure) = options.configure {
            configure(&mut exchange);
        }
        let head_file =
            web::services::exchange::head::HeadFile::in_dir(&dir.path().join("exchange"));
        let node = web::services::exchange::node::ExchangeNode::start_with_head_file(
            &exchange,
            store.clone(),
            head_file,
        )
        .await
        .expect("the exchange node");
        let bus = options
            .bus
            .unwrap_or_else(|| std::sync::Arc::new(delivery::InProcessBus::default()));
        let deliveries = web::services::delivery::DeliveryService::start(
            store.clone(),
            node.clone(),
            bus,
            web::services::delivery::DeliveryConfig {
                poll: std::time::Duration::from_millis(200),
                retry_min: std::time::Duration::from_millis(50),
                retry_max: std::time::Duration::from_millis(500),
                recv_wait: std::time::Duration::from_millis(200),
                ..web::services::delivery::DeliveryConfig::default()
            },
        )
        .expect("the delivery service");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("local address");
        let cutover = options
            .legacy_cutover
            .unwrap_or_else(identity::default_cutover);
        let issuer = if let Some(issuer) = options.issuer.clone() {
            issuer
        } else if options.localhost_issuer {
            format!("http://localhost:{}", addr.port())
        } else {
            format!("http://{addr}")
        };
        let provider = web::services::identity::provider::ProviderOptions {
            legacy_cutover: cutover,
            trusted_proxies: options.trusted_proxies.clone(),
        };
        let oidc = web::services::identity::provider::OidcProvider::start_with(
            &issuer,
            store.as_ref(),
            provider,
        )
        .await
        .expect("the identity provider");
        // rotations made by the command line are seen within 200 ms
        let key_reloader =
            oidc.spawn_key_reloader(store.clone(), std::time::Duration::from_millis(200));
        let state = web::AppState {
            store: store.clone(),
            units: units::Units::get(),
            exchange: node,
            oidc,
            filing: std::sync::Arc::new(web::ratelimit::FilingLimits::new(options.filing)),
            papers: std::sync::Arc::new(web::ratelimit::papers()),
            adapter: std::sync::Arc::default(),
            drafts: std::sync::Arc::default(),
            upstream_alert: options.upstream_alert,
            pushes: options.pushes.map(|(signer, upstream)| {
                std::sync::Arc::new(
                    web::services::backoffice::inbound::Pushes::new(&signer, upstream)
                        .expect("taking pushes"),
                )
            }),
        };
        let app = web::app(state);
        let server = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        TestApp {
            addr,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            store,
            exchange,
            _dir: dir,
            _server: server,
            _deliveries: deliveries,
            key_reloader,
            pg: options.postgres,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The data directory the application's SQLite store lives in (for the
    /// command line to work on the same store).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The `--database-url` of the store when it is PostgreSQL's.
    pub fn database_url(&self) -> Option<String> {
        self.pg.as_ref().map(PgSchema::url)
    }

    /// Runs `sql` on the application's database behind the store's back.
    pub async fn execute_sql(&self, sql: &str) {
        use sqlx::Connection as _;
        let done = match &self.pg {
            Some(pg) => {
                let mut conn = sqlx::PgConnection::connect(&pg.url())
                    .await
                    .expect("a PostgreSQL connection");
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
            }
            None => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(self.data_dir().join(store::DEFAULT_SQLITE_FILE))
                    .busy_timeout(std::time::Duration::from_secs(5));
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .expect("a SQLite connection");
                sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ())
            }
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Checks that this is an RFC 9457 problem with `status`, and returns it.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "{}",
            self.body
        );
        let p = self.json();
        assert_eq!(p["status"], status, "{p}");
        for member in ["type", "title", "detail"] {
            assert!(
                p[member].as_str().is_some_and(|s| !s.is_empty()),
                "problem without {member}: {p}"
            );
        }
        p
    }
}

impl TestApp {
    /// Sends a request and reads the whole response.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let res = req.send().await.expect("the request is answered");
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.text().await.expect("the body is read");
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body)).await
    }
}

impl TestApp {
    /// Seeds `n` generated people (seed 7) into the registry through their
    /// vital events, and returns them.
    pub async fn seed_people(&self, n: u64) -> Vec<registry::generate::SyntheticPerson> {
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
        let at = registry::generate::recorded_at(as_of);
        let generator = registry::generate::Generator::new(7, n, as_of).expect("a generator");
        let mut people = Vec::new();
        let mut events = Vec::new();
        for p in generator {
            let p = p.expect("a generated person");
            events.extend(registry::generate::person_events(&p, at).expect("the events"));
            people.push(p);
        }
        self.store
            .registry()
            .append_events(&events)
            .await
            .expect("the events are stored");
        people
    }
}

/// A citizen an account is opened for: their number, birth date, sex
/// and name as the registry has them.
pub struct Citizen<'a> {
    pub pin: &'a str,
    pub birth: registry::PartialDate,
    pub sex: domain::Sex,
    pub name: &'a str,
}

/// The password of the accounts [`TestApp::open_account`] opens.
pub const TEST_PASSWORD: &str = "Mật khẩu thử nghiệm 2026";

/// A new account of `holder` named `name`: no level, no factor.
pub fn new_account(holder: identity::Holder, name: &str) -> store::Account {
    store::Account {
        holder,
        name: name.into(),
        level: None,
        password: None,
        totp: None,
        totp_step: None,
        failures: 0,
        locked_until: None,
        created_at: chrono::Utc::now(),
    }
}

impl TestApp {
    /// Opens a level-1 eID account for a citizen straight in the store
    /// (password [`TEST_PASSWORD`]); its subject.
    pub async fn open_account(
        &self,
        pin: &str,
        birth: registry::PartialDate,
        sex: domain::Sex,
        name: &str,
    ) -> identity::SubjectId {
        let citizen = Citizen {
            pin,
            birth,
            sex,
            name,
        };
        self.open_account_at(citizen, identity::AssuranceLevel::Level1, None)
            .await
    }

    /// Opens an eID account for `citizen` at `level`, with `totp` as its
    /// second factor when given (password [`TEST_PASSWORD`]); its subject.
    pub async fn open_account_at(
        &self,
        citizen: Citizen<'_>,
        level: identity::AssuranceLevel,
        totp: Option<identity::Totp>,
    ) -> identity::SubjectId {
        let subject = identity::SubjectId::new(uuid::Uuid::new_v4()).expect("a subject");
        let holder = identity::Citizen::new(
            subject,
            domain::PersonalId::parse(citizen.pin).expect("a personal id"),
            citizen.birth,
            citizen.sex,
        )
        .expect("a citizen");
        let hash = identity::password::PasswordHash::new(
            TEST_PASSWORD,
            &[3; 16],
            identity::password::Params::DEFAULT,
        )
        .expect("a hash");
        self.create_account(&store::Account {
            level: Some(level),
            password: Some(hash.to_phc()),
            totp,
            ..new_account(identity::Holder::Citizen(holder), citizen.name)
        })
        .await;
        subject
    }

    /// Stores `account`, a new one.
    pub async fn create_account(&self, account: &store::Account) {
        assert!(
            self.store
                .accounts()
                .create_account(account)
                .await
                .expect("stored"),
            "a new account"
        );
    }

    /// Logs `pin` in on the portal's own log-in page; the session cookie's
    /// value.
    pub async fn log_in_on_portal(&self, pin: &str) -> String {
        portal_session(&self.base, pin, TEST_PASSWORD, "/tai-khoan").await
    }
}

/// The value of the cookie `name` set in `headers`.
pub fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

/// Logs `pin` in with `password` on the portal's log-in page of the server
/// at `base`, going on to `next`; the session cookie's value.
pub async fn portal_session(base: &str, pin: &str, password: &str, next: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let page = http
        .get(format!("{base}/dang-nhap?next={next}"))
        .send()
        .await
        .expect("the log-in page");
    assert_eq!(page.status().as_u16(), 200);
    let csrf = set_cookie(page.headers(), "motcua_csrf").expect("a CSRF cookie");
    let reply = http
        .post(format!("{base}/oidc/login"))
        .header("cookie", format!("motcua_csrf={csrf}"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("next", next),
            ("identifier", pin),
            ("password", password),
        ])
        .send()
        .await
        .expect("logged in");
    assert_eq!(reply.status().as_u16(), 303, "{:?}", reply.headers());
    set_cookie(reply.headers(), "motcua_sid").expect("a session cookie")
}

impl TestApp {
    /// An operator system's `admin` token (`client_credentials`), its
    /// client registered on the way.
    pub async fn operator_token(&self) -> String {
        let secret = "b3BlcmF0b3Itc2VjcmV0LW9mLTMyLWJ5dGVzLWZvci10ZXN0";
        let client = identity::client::Client {
            id: identity::client::ClientId::parse("van-hanh").expect("id"),
            name: "Hệ thống vận hành".into(),
            auth_method: identity::client::AuthMethod::ClientSecretBasic,
            secret_hash: Some(identity::client::SecretHash::of(secret)),
            jwks: None,
            redirect_uris: vec![],
            grant_types: [identity::client::GrantType::ClientCredentials]
                .into_iter()
                .collect(),
            scopes: ["admin".to_string()].into_iter().collect(),
            subject_type: identity::client::SubjectType::Public,
            access_token_ttl: 300,
            post_logout_redirect_uris: vec![],
            require_par: false,
            trusted: true,
        };
        self.store
            .oidc()
            .put_client(&client, chrono::Utc::now())
            .await
            .expect("registered");
        let r = self
            .client
            .post(self.url("/oidc/token"))
            .basic_auth("van-hanh", Some(secret))
            .form(&[("grant_type", "client_credentials"), ("scope", "admin")])
            .send()
            .await
            .expect("a token");
        assert_eq!(r.status().as_u16(), 200);
        let body: serde_json::Value = r.json().await.expect("JSON");
        body["access_token"].as_str().expect("token").to_string()
    }
}

/// The text a person reads in a page's main content: its tags dropped,
/// entities of quotes read, white space folded.
pub fn main_text(html: &str) -> String {
    let main = html
        .split_once("<main")
        .map_or(html, |(_, rest)| rest)
        .split("</main>")
        .next()
        .unwrap_or_default();
    let mut text = String::new();
    let mut in_tag = false;
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The PDF at `url`, fetched with `cookie` by `client`: the answer's
/// headers and bytes (a 200 and a PDF, checked).
pub async fn fetch_pdf(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let answer = client
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
        .expect("the PDF");
    assert_eq!(answer.status().as_u16(), 200, "{url}");
    let headers = answer.headers().clone();
    let bytes = answer.bytes().await.expect("its bytes").to_vec();
    assert!(bytes.starts_with(b"%PDF-"), "{url} is not a PDF");
    (headers, bytes)
}

/// What an independent PDF reader (pypdf) finds in `pdf`: each page's
/// text, its links, title, language and embedded fonts; `None` when the
/// Python tests are skipped (`MOTCUA_TEST_SKIP_PYTHON=1`).
pub async fn read_pdf(pdf: &[u8]) -> Option<serde_json::Value> {
    let python = crate::oidc::python()?;
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), pdf).expect("the PDF written");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/read_pdf.py");
    let path = file.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .arg(path)
            .output()
    })
    .await
    .expect("the reader's thread")
    .expect("pypdf runs (scripts/test prepares it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pypdf cannot read the PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_str(stdout.trim()).expect("the reader's JSON"))
}

/// The text of every page of what [`read_pdf`] found, its whitespace
/// folded to single spaces.
pub fn pdf_text(read: &serde_json::Value) -> String {
    read["pages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `motcua serve` listening on `port` with its data in `dir` (never a
/// database URL from the environment), quiet: the command, to add to.
pub fn serve_command(port: u16, dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"));
    command
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir)
        .env_remove("MOTCUA_DATABASE_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

/// Whether the server at `base` became ready within 30 s.
pub async fn became_ready(base: &str) -> bool {
    for _ in 0..300 {
        if reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// Runs `command` (a `motcua` command line), which must succeed: what it
/// printed.
pub fn succeeds(command: &mut std::process::Command) -> Vec<u8> {
    let out = command.output().expect("motcua runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

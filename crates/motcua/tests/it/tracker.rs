//! The data tracker (API and page) over HTTP, and `motcua exchange
//! verify-log` run as the real binary, over log entries written straight to
//! the store through `exchange::LogWriter`, as the exchange writes them.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use crate::helpers::TestApp;
use chrono::{DateTime, Duration, TimeZone, Utc};
use exchange::{Digest32, KeyId, LogEntry, LogRecord, LogWriter, MemberId, MemberKey};

const ALICE: &str = "001190000001";
const BOB: &str = "079090000002";
const HCC: &str = "VN/GOV/000.00.00.H29/hcc";
const BHXH: &str = "VN/GOV/BHXH/claims";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 1, 0, 0)
        .single()
        .expect("a valid instant")
}

fn member(id: &str) -> MemberId {
    id.parse().expect("a member id")
}

fn operator() -> MemberKey {
    MemberKey::from_seed(
        member("VN/GOV/BCA/exchange"),
        KeyId("log-test".into()),
        [42; 32],
    )
}

/// The `i`th message: `consumer` read `person`'s data `hours` after t0.
fn record(i: u64, person: Option<&str>, consumer: &str, hours: i64) -> LogRecord {
    LogRecord {
        at: t0() + Duration::hours(hours),
        consumer: member(consumer),
        provider: member("VN/GOV/BCA/registry"),
        service: "person.get".into(),
        purpose: if i.is_multiple_of(2) {
            "social-insurance".into()
        } else {
            "birth-registration".into()
        },
        legal_basis: (!i.is_multiple_of(3)).then(|| "ND-63/2024".into()),
        case_ref: Some(format!("H29.22-260301-{i:04}")),
        person_id: person.map(str::to_string),
        fields: vec!["full_name".into(), "birth_date".into()],
        request_digest: Digest32::of(format!("request {i}").as_bytes()),
        response_digest: Some(Digest32::of(format!("response {i}").as_bytes())),
    }
}

/// The log the tests share: Alice read three times (by two members), Bob
/// once, one message about nobody; a checkpoint every 2 entries.
fn records() -> Vec<LogRecord> {
    vec![
        record(1, Some(ALICE), HCC, 0),
        record(2, Some(BOB), HCC, 1),
        record(3, Some(ALICE), BHXH, 30),
        record(4, None, HCC, 31),
        record(5, Some(ALICE), HCC, 60),
    ]
}

async fn append(
    store: &Arc<dyn store::Store>,
    records: Vec<LogRecord>,
    op: &MemberKey,
) -> Vec<LogEntry> {
    let log = store.exchange();
    let head = log.log_head().await.expect("the head");
    let mut writer = LogWriter::resume(head.as_ref(), 2);
    let mut out = Vec::new();
    for r in records {
        let a = writer.append(r, op);
        log.append_log(&a.entry, a.checkpoint.as_ref())
            .await
            .expect("appended");
        out.push(a.entry);
    }
    out
}

async fn open(dir: &Path) -> Arc<dyn store::Store> {
    let location = store::Location::SqliteFile(dir.join(store::DEFAULT_SQLITE_FILE));
    store::open(&location).await.expect("open the store")
}

/// The whole application (with its demo exchange node) over a store
/// holding the test log.
struct App {
    app: TestApp,
    /// Alice's session on the portal.
    session: String,
}

impl App {
    async fn spawn() -> App {
        let app = TestApp::spawn().await;
        append(&app.store, records(), &operator()).await;
        let birth = registry::PartialDate::parse("1990-04-02").expect("a date");
        app.open_account(ALICE, birth, domain::Sex::Female, "Nguyễn Thị An")
            .await;
        let session = app.log_in_on_portal(ALICE).await;
        App { app, session }
    }

    async fn get(&self, path: &str, accept: Option<&str>) -> (u16, String, String, String) {
        let mut req = self
            .app
            .client
            .get(self.app.url(path))
            .header("cookie", format!("motcua_sid={}", self.session));
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        let r = self.app.send(req).await;
        let header = |name: &str| r.header(name).unwrap_or_default().to_string();
        let (ct, cd) = (header("content-type"), header("content-disposition"));
        (r.status.as_u16(), ct, cd, r.body)
    }
}

fn accesses(pid: &str, query: &str) -> String {
    format!("/api/v1/registry/people/{pid}/accesses{query}")
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[tokio::test]
async fn the_api_lists_exactly_the_persons_accesses_newest_first() {
    let app = App::spawn().await;
    let (status, ct, cd, body) = app.get(&accesses(ALICE, ""), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(ct.starts_with("application/json"), "{ct}");
    assert_eq!(
        cd,
        format!("inline; filename=\"truy-cap-du-lieu-{ALICE}.json\"")
    );
    let v = json(&body);
    assert_eq!(v["person_id"], ALICE);
    assert_eq!(v["count"], 3);
    let list = v["accesses"].as_array().expect("accesses");
    let seqs: Vec<u64> = list.iter().filter_map(|a| a["seq"].as_u64()).collect();
    assert_eq!(seqs, [5, 3, 1], "newest first, Alice's only");
    let newest = &list[0];
    assert_eq!(newest["consumer"]["id"], HCC);
    assert_eq!(
        newest["consumer"]["name"],
        "Trung tâm Phục vụ hành chính công tỉnh"
    );
    assert_eq!(
        newest["provider"]["name"],
        "Cơ sở dữ liệu quốc gia về dân cư"
    );
    assert_eq!(newest["provider"]["id"], "VN/GOV/BCA/registry");
    assert_eq!(newest["service"], "person.get");
    assert_eq!(
        newest["fields"],
        serde_json::json!(["full_name", "birth_date"])
    );
    assert_eq!(newest["purpose"], "birth-registration");
    assert_eq!(newest["legal_basis"], "ND-63/2024");
    assert_eq!(newest["case_ref"], "H29.22-260301-0005");
    assert_eq!(newest["at_utc"], "2026-03-03T13:00:00Z");
    assert_eq!(newest["at_local"], "2026-03-03T20:00:00+07:00");
    // entry 3 relied on consent: no legal basis
    assert_eq!(list[1]["consumer"]["id"], BHXH);
    assert!(list[1]["legal_basis"].is_null());

    // Alice cannot read Bob's accesses; an operator's system can
    let (status, _, _, body) = app.get(&accesses(BOB, ""), None).await;
    assert_eq!(status, 403, "{body}");
    let operator = app.app.operator_token().await;
    let as_operator = |pid: &str| {
        app.app
            .client
            .get(app.app.url(&accesses(pid, "")))
            .bearer_auth(&operator)
    };
    let r = app.app.send(as_operator(BOB)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.json()["count"], 1);
    let r = app.app.send(as_operator("001190000009")).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.json()["count"], 0);
    // nobody logged in: 401
    let r = app
        .app
        .send(app.app.client.get(app.app.url(&accesses(ALICE, ""))))
        .await;
    assert_eq!(r.status.as_u16(), 401, "{}", r.body);

    // a period of Vietnam days: 2 March 2026 only (entry 3, 14:00 +07:00)
    let (status, _, _, body) = app
        .get(&accesses(ALICE, "?from=2026-03-02&to=2026-03-02"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["count"], 1, "{v}");
    assert_eq!(v["accesses"][0]["seq"], 3);
    // an instant, exclusive
    let (_, _, _, body) = app
        .get(&accesses(ALICE, "?to=2026-03-03T13:00:00Z"), None)
        .await;
    assert_eq!(json(&body)["count"], 2);
}

#[tokio::test]
async fn the_api_downloads_csv() {
    let app = App::spawn().await;
    for (query, accept) in [("?format=csv", None), ("", Some("text/csv"))] {
        let (status, ct, cd, body) = app.get(&accesses(ALICE, query), accept).await;
        assert_eq!(status, 200, "{body}");
        assert!(ct.starts_with("text/csv"), "{ct}");
        assert!(cd.starts_with("attachment; filename=\""), "{cd}");
        assert!(cd.contains(ALICE) && cd.ends_with(".csv\""), "{cd}");
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.len(), 4, "a header and 3 accesses: {body}");
        assert!(lines[0].starts_with("\"seq\",\"time_utc\",\"time_vietnam\""));
        assert!(lines[1].starts_with("\"5\","), "{}", lines[1]);
        assert!(
            lines[1].contains("\"full_name;birth_date\""),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("\"H29.22-260301-0005\""), "{}", lines[1]);
    }
}

#[tokio::test]
async fn the_api_refuses_malformed_input_with_problems() {
    let app = App::spawn().await;
    for path in [
        accesses("12345", ""),
        accesses("00119000000x", ""),
        accesses(ALICE, "?from=yesterday"),
        accesses(ALICE, "?from=2026-03-02&to=2026-03-01"),
        accesses(ALICE, "?format=xml"),
    ] {
        let (status, ct, _, body) = app.get(&path, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(ct, "application/problem+json", "{path}");
        let p = json(&body);
        assert_eq!(p["status"], 400);
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p}");
    }
    let (_, _, _, body) = app.get(&accesses("12345", ""), None).await;
    assert!(body.contains("12 digits"), "{body}");
}

#[tokio::test]
async fn the_page_shows_every_access_in_both_languages() {
    let app = App::spawn().await;
    let (status, ct, _, body) = app.get(&format!("/du-lieu-cua-toi/{ALICE}"), None).await;
    assert_eq!(status, 200, "{body}");
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(body.contains("<html lang=\"vi\">"), "{body}");
    assert!(body.contains("Ai đã xem dữ liệu của tôi"));
    assert!(
        body.contains("Trung tâm Phục vụ hành chính công tỉnh"),
        "member names"
    );
    assert!(
        body.contains("không ai khác xem được trang này"),
        "the page says it is the person's own"
    );
    for i in [1, 3, 5] {
        assert!(body.contains(&format!("H29.22-260301-{i:04}")), "case {i}");
    }
    for i in [2, 4] {
        assert!(!body.contains(&format!("H29.22-260301-{i:04}")), "case {i}");
    }
    assert!(body.contains("03/03/2026 20:00:00"), "Vietnam time");
    assert!(body.contains(&format!(
        "/api/v1/registry/people/{ALICE}/accesses?format=csv"
    )));
    assert!(body.contains("format=json"));

    let (status, _, _, body) = app
        .get(
            &format!("/my-data/{ALICE}?from=2026-03-02&to=2026-03-02&lang=en"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("Who has looked at my data"));
    assert!(body.contains("Date of birth"), "fields in words");
    assert!(body.contains("H29.22-260301-0003"));
    assert!(!body.contains("H29.22-260301-0005"));
    assert!(body.contains("value=\"2026-03-02\""));

    let (status, _, _, body) = app.get("/du-lieu-cua-toi/12345", None).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<html lang=\"vi\">"));

    // a period that is not one is explained in the page's language
    let (status, _, _, body) = app
        .get(
            &format!("/du-lieu-cua-toi/{ALICE}?from=2026-03-05&to=2026-03-01"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Khoảng thời gian không hợp lệ"), "{body}");
    assert!(
        body.contains("ngày bắt đầu không sau ngày kết thúc"),
        "{body}"
    );
    let (status, _, _, body) = app
        .get(&format!("/my-data/{ALICE}?from=yesterday&lang=en"), None)
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Invalid period"), "{body}");
    assert!(body.contains("year-month-day"), "{body}");
}

#[tokio::test]
async fn the_page_is_only_for_the_person_logged_in() {
    let app = App::spawn().await;
    // Alice's own page, from the short address
    let (status, _, _, body) = app.get("/du-lieu-cua-toi", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("H29.22-260301-0001"), "{body}");
    // another person's page: refused, nothing of it shown
    let (status, _, _, body) = app.get(&format!("/du-lieu-cua-toi/{BOB}"), None).await;
    assert_eq!(status, 403, "{body}");
    assert!(!body.contains("H29.22-260301-0002"), "{body}");
    assert!(body.contains("chính mình"), "{body}");
    // without a log-in: to the log-in page, coming back here
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = http
        .get(app.app.url(&format!("/du-lieu-cua-toi/{ALICE}")))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status().as_u16(), 303);
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert_eq!(to, format!("/dang-nhap?next=%2Fdu-lieu-cua-toi%2F{ALICE}"));
    // the account page lists the log-in in the audit trail
    let (status, _, _, body) = app.get("/tai-khoan", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("Nguyễn Thị An") && body.contains("Đăng nhập"),
        "{body}"
    );
    let (_, _, _, body) = app.get("/account?lang=en", None).await;
    assert!(
        body.contains("Account activity") && body.contains("Logged in"),
        "{body}"
    );
}

// ---------------------------------------------------- exchange verify-log

fn verify_log(data_dir: &Path, key_file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["exchange", "verify-log", "--data-dir"])
        .arg(data_dir)
        .arg("--operator-key-file")
        .arg(key_file)
        .env_remove("MOTCUA_DATABASE_URL")
        .env_remove("MOTCUA_DATA_DIR")
        .env_remove("MOTCUA_OPERATOR_KEY_FILE")
        .output()
        .expect("run motcua exchange verify-log")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn verify_log_proves_an_intact_log_and_names_an_edited_entry() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let key_file = dir.path().join("operator.pub");
    std::fs::write(&key_file, hex::encode(operator().public().to_bytes())).expect("key written");
    let store = open(dir.path()).await;
    append(&store, records(), &operator()).await;
    drop(store);

    let out = verify_log(dir.path(), &key_file);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout)
            .contains("log intact: 5 entries, 2 checkpoints, last checkpoint at seq 4"),
        "{}",
        text(&out.stdout)
    );

    // edit entry 3 behind the log's back
    let db = dir.path().join(store::DEFAULT_SQLITE_FILE);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&db))
        .await
        .expect("open the SQLite file");
    let done = sqlx::query("UPDATE exchange_log SET purpose = 'curiosity' WHERE seq = 3")
        .execute(&pool)
        .await
        .expect("the update");
    assert_eq!(done.rows_affected(), 1);
    pool.close().await;

    let out = verify_log(dir.path(), &key_file);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("log broken at entry 3: "), "{stdout}");
    assert!(stdout.contains("edited"), "{stdout}");

    // a wrong key: every checkpoint is forged
    let other = MemberKey::from_seed(member("VN/GOV/BCA/exchange"), KeyId("x".into()), [1; 32]);
    let wrong = dir.path().join("wrong.pub");
    std::fs::write(&wrong, hex::encode(other.public().to_bytes())).expect("key written");
    let out = verify_log(dir.path(), &wrong);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("log broken at entry 2: "),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn verify_log_refuses_a_missing_database_and_key() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = verify_log(&dir.path().join("nowhere"), &dir.path().join("none.pub"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no database"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn verify_log_reads_the_operator_key_where_the_node_keeps_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config =
        web::services::exchange::node::DemoConfig::load_or_create(&dir.path().join("exchange"))
            .expect("the node's configuration");
    let op = config.operator.key().expect("the operator's key");
    let store = open(dir.path()).await;
    append(&store, records(), &op).await;
    drop(store);
    let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["exchange", "verify-log", "--data-dir"])
        .arg(dir.path())
        .env_remove("MOTCUA_DATABASE_URL")
        .env_remove("MOTCUA_DATA_DIR")
        .env_remove("MOTCUA_OPERATOR_KEY_FILE")
        .output()
        .expect("run motcua exchange verify-log");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("log intact: 5 entries, 2 checkpoints"),
        "{}",
        text(&out.stdout)
    );
}

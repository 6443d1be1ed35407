//! The exchange endpoint over HTTP: signed requests by the demo consumers,
//! refusals with their reasons, consent given and withdrawn, signed
//! responses, and the message log growing by one verified entry per
//! request served.

use chrono::{Duration, Utc};
use exchange::{HttpRequest, HttpResponse, KeyRing, MemberKey, RegisteredKey};
use web::services::exchange::node::{DEMO_BANK, DEMO_HCC, DEMO_PROVIDER};

use crate::helpers::{Reply, TestApp};

pub const PERSON_GET: &str = "/api/v1/exchange/VN/GOV/BCA/registry/person.get";

pub struct Call<'a> {
    pub purpose: Option<&'a str>,
    pub legal_basis: Option<&'a str>,
    pub case_ref: Option<&'a str>,
    pub body: serde_json::Value,
}

pub fn key_of(app: &TestApp, member: &str) -> MemberKey {
    app.exchange
        .member(member)
        .and_then(|m| m.key())
        .expect("the demo member's key")
}

/// Builds the request; `sign` with that key (or sends it unsigned).
pub fn request(app: &TestApp, path: &str, call: &Call<'_>, key: Option<&MemberKey>) -> HttpRequest {
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    for (name, value) in [
        ("x-purpose", call.purpose),
        ("x-legal-basis", call.legal_basis),
        ("x-case-ref", call.case_ref),
    ] {
        if let Some(v) = value {
            headers.push((name.to_string(), v.to_string()));
        }
    }
    let mut req = HttpRequest {
        method: "POST".into(),
        uri: app.url(path),
        headers,
        body: serde_json::to_vec(&call.body).expect("JSON"),
    };
    if let Some(key) = key {
        exchange::sign_request(&mut req, key, Utc::now(), Duration::minutes(5)).expect("signed");
    }
    req
}

pub async fn send(app: &TestApp, req: HttpRequest) -> Reply {
    let mut builder = app.client.post(&req.uri).body(req.body);
    for (k, v) in req.headers {
        builder = builder.header(k, v);
    }
    app.send(builder).await
}

fn provider_ring(app: &TestApp) -> KeyRing {
    let key = key_of(app, DEMO_PROVIDER);
    let mut ring = KeyRing::new();
    ring.insert(RegisteredKey {
        key_id: key.key_id.clone(),
        member: key.member.clone(),
        key: key.public(),
        valid_from: chrono::DateTime::<Utc>::MIN_UTC,
        valid_until: None,
    })
    .expect("inserted");
    ring
}

/// The reply's signature, checked to be the registry's.
fn signed_by_the_provider(app: &TestApp, reply: &Reply) -> exchange::VerifiedSignature {
    let response = HttpResponse {
        status: reply.status.as_u16(),
        headers: reply
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
            .collect(),
        body: reply.body.clone().into_bytes(),
    };
    let provider = DEMO_PROVIDER.parse().expect("a member id");
    exchange::verify_response(&response, &provider_ring(app), Utc::now(), &provider)
        .expect("the response signature verifies")
}

async fn log_len(app: &TestApp) -> usize {
    app.store
        .exchange()
        .log_range(1, 10_000)
        .await
        .expect("the log")
        .len()
}

pub fn hcc_call(pid: &str, fields: &[&str]) -> Call<'static> {
    Call {
        purpose: Some("birth-registration"),
        legal_basis: Some("ND-63/2024"),
        case_ref: Some("H29.22-260301-0001"),
        body: serde_json::json!({ "person_id": pid, "fields": fields }),
    }
}

#[tokio::test]
async fn a_granted_consumer_gets_exactly_the_granted_fields_signed_and_logged() {
    let app = TestApp::spawn().await;
    let people = app.seed_people(5).await;
    let pid = people[0].personal_id.clone();
    let hcc = key_of(&app, DEMO_HCC);

    let reply = send(
        &app,
        request(&app, PERSON_GET, &hcc_call(&pid, &[]), Some(&hcc)),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let body = reply.json();
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "birth_date",
            "full_name",
            "permanent_residence",
            "person_id",
            "sex"
        ]
    );
    assert_eq!(body["person_id"], pid.as_str());
    assert_eq!(body["full_name"], people[0].full_name.as_str());

    // the response is signed by the registry
    let signed = signed_by_the_provider(&app, &reply);
    // it names the log entry that records the access, under the signature
    assert_eq!(
        reply
            .headers
            .get("x-log-entry")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert!(signed.covers(&exchange::signature::Component::field("x-log-entry")));

    // person.verify through the same door
    let verify = Call {
        body: serde_json::json!({
            "person_id": pid,
            "full_name": people[0].full_name,
            "birth_date": people[0].birth_date,
        }),
        ..hcc_call(&pid, &[])
    };
    let path = "/api/v1/exchange/VN/GOV/BCA/registry/person.verify";
    let reply = send(&app, request(&app, path, &verify, Some(&hcc))).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    assert_eq!(reply.json()["matches"], true, "{}", reply.body);

    // one entry per served request, about the person, and the log verifies
    let entries = app.store.exchange().log_range(1, 100).await.expect("log");
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].record.person_id.as_deref(), Some(pid.as_str()));
    assert_eq!(entries[0].record.fields.len(), 5);
    // written before the answer existed: the signed response carries it
    assert_eq!(entries[0].record.response_digest, None);
    let checkpoints = app
        .store
        .exchange()
        .checkpoints()
        .await
        .expect("checkpoints");
    let operator = key_of(&app, web::services::exchange::node::DEMO_OPERATOR).public();
    exchange::log::verify(&entries, &checkpoints, &operator).expect("the log is intact");
}

#[tokio::test]
async fn refusals_name_their_reason_and_are_not_logged() {
    let app = TestApp::spawn().await;
    let people = app.seed_people(3).await;
    let pid = people[0].personal_id.clone();
    let hcc = key_of(&app, DEMO_HCC);

    // unsigned
    let reply = send(&app, request(&app, PERSON_GET, &hcc_call(&pid, &[]), None)).await;
    let p = reply.problem(401);
    assert_eq!(p["type"], "/problems/exchange/unsigned", "{p}");

    // bad signature: the body changed after signing
    let mut req = request(&app, PERSON_GET, &hcc_call(&pid, &[]), Some(&hcc));
    req.body = serde_json::to_vec(&serde_json::json!({ "person_id": people[1].personal_id }))
        .expect("JSON");
    let p = send(&app, req).await.problem(401);
    assert_eq!(p["type"], "/problems/exchange/bad_signature", "{p}");

    // signed by a key that is not the consumer's
    let stranger = MemberKey::from_seed(
        DEMO_HCC.parse().expect("id"),
        exchange::KeyId("not-registered".into()),
        [9; 32],
    );
    let p = send(
        &app,
        request(&app, PERSON_GET, &hcc_call(&pid, &[]), Some(&stranger)),
    )
    .await
    .problem(401);
    assert_eq!(p["type"], "/problems/exchange/bad_signature", "{p}");

    // wrong purpose
    let call = Call {
        purpose: Some("marketing"),
        ..hcc_call(&pid, &[])
    };
    let p = send(&app, request(&app, PERSON_GET, &call, Some(&hcc)))
        .await
        .problem(403);
    assert_eq!(p["type"], "/problems/exchange/wrong_purpose", "{p}");

    // a field not granted
    let call = hcc_call(&pid, &["full_name", "religion"]);
    let p = send(&app, request(&app, PERSON_GET, &call, Some(&hcc)))
        .await
        .problem(403);
    assert_eq!(p["type"], "/problems/exchange/field_not_granted", "{p}");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("religion")),
        "{p}"
    );

    // a malformed person id: refused before anything is logged or read
    let p = send(
        &app,
        request(&app, PERSON_GET, &hcc_call("12345", &[]), Some(&hcc)),
    )
    .await
    .problem(400);
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("12345")),
        "{p}"
    );

    assert_eq!(log_len(&app).await, 0, "refusals are not in the log");

    // an authorised request about someone the registry does not hold is
    // answered 404, and stays logged: the consumer did ask
    let absent = "001099099999";
    let p = send(
        &app,
        request(&app, PERSON_GET, &hcc_call(absent, &[]), Some(&hcc)),
    )
    .await
    .problem(404);
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains(absent)),
        "{p}"
    );
    let entries = app.store.exchange().log_range(1, 10).await.expect("log");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].record.person_id.as_deref(), Some(absent));
}

#[tokio::test]
async fn a_purpose_without_legal_basis_needs_the_persons_consent() {
    let app = TestApp::spawn().await;
    let people = app.seed_people(3).await;
    let pid = people[0].personal_id.clone();
    let bank = key_of(&app, DEMO_BANK);
    let call = Call {
        purpose: Some("account-opening"),
        legal_basis: None,
        case_ref: Some("KYC-2026-0001"),
        body: serde_json::json!({ "person_id": pid }),
    };
    let consents = format!("/api/v1/registry/people/{pid}/consents");
    let consent = serde_json::json!({ "consumer": DEMO_BANK, "purpose": "account-opening" });

    let p = send(&app, request(&app, PERSON_GET, &call, Some(&bank)))
        .await
        .problem(403);
    assert_eq!(p["type"], "/problems/exchange/no_consent", "{p}");

    // the person gives it, logged in on the portal; nobody else can
    let refused = app.post_json(&consents, &consent).await;
    assert_eq!(refused.status.as_u16(), 401, "{}", refused.body);
    let sex = match people[0].sex {
        registry::generate::Sex::Male => domain::Sex::Male,
        registry::generate::Sex::Female => domain::Sex::Female,
    };
    let birth = registry::PartialDate::parse(&people[0].birth_date).expect("a birth date");
    app.open_account(&pid, birth, sex, &people[0].full_name)
        .await;
    let session = format!("motcua_sid={}", app.log_in_on_portal(&pid).await);
    let given = app
        .send(
            app.client
                .post(app.url(&consents))
                .header("cookie", &session)
                .json(&consent),
        )
        .await;
    assert_eq!(given.status.as_u16(), 200, "{}", given.body);
    let reply = send(&app, request(&app, PERSON_GET, &call, Some(&bank))).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body.as_object().map(|o| o.len()), Some(3), "{body}");
    assert_eq!(log_len(&app).await, 1);

    let withdrawn = app
        .send(
            app.client
                .delete(app.url(&consents))
                .header("cookie", &session)
                .json(&consent),
        )
        .await;
    assert_eq!(withdrawn.status.as_u16(), 200, "{}", withdrawn.body);
    let p = send(&app, request(&app, PERSON_GET, &call, Some(&bank)))
        .await
        .problem(403);
    assert_eq!(p["type"], "/problems/exchange/no_consent", "{p}");
    assert_eq!(log_len(&app).await, 1);
}

#[tokio::test]
async fn the_exchange_routes_are_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/v1/openapi.json").await.json();
    for path in [
        "/api/v1/exchange/{provider}/{service}",
        "/api/v1/registry/people/{pid}/consents",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    // the answer's signed head is described for members
    let answer = &doc["paths"]["/api/v1/exchange/{provider}/{service}"]["post"]["responses"]["200"];
    let head = answer["headers"]["x-log-head"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(head.contains("motcua/exchange/head/v1"), "{answer}");
}

#[tokio::test]
async fn household_get_lists_the_members_filtered() {
    let app = TestApp::spawn().await;
    let people = app.seed_people(6).await;
    let pid = people[0].personal_id.clone();
    let hcc = key_of(&app, DEMO_HCC);
    let call = Call {
        purpose: Some("residence-registration"),
        legal_basis: Some("LCT-68/2020"),
        case_ref: Some("H29.22-260301-0002"),
        body: serde_json::json!({ "person_id": pid }),
    };
    let path = "/api/v1/exchange/VN/GOV/BCA/registry/household.get";
    let reply = send(&app, request(&app, path, &call, Some(&hcc))).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let body = reply.json();
    assert!(body.get("address").is_none(), "{body}");
    let members = body["members"].as_array().expect("members");
    assert!(
        members.iter().any(|m| m["person_id"] == pid.as_str()),
        "{body}"
    );
    assert_eq!(log_len(&app).await, 1);
}

#[tokio::test]
async fn concurrent_requests_are_each_logged_once_in_one_intact_chain() {
    let app = TestApp::spawn().await;
    let people = app.seed_people(8).await;
    let hcc = key_of(&app, DEMO_HCC);
    let before = log_len(&app).await;

    // enough requests in flight at once for the writer to commit them in runs
    let cases: Vec<String> = (1..=64).map(|i| format!("H29.22-260301-{i:04}")).collect();
    let mut inflight = tokio::task::JoinSet::new();
    for (i, case) in cases.iter().enumerate() {
        let pid = people[i % people.len()].personal_id.clone();
        let mut call = hcc_call(&pid, &["full_name"]);
        call.case_ref = Some(case);
        let req = request(&app, PERSON_GET, &call, Some(&hcc));
        let mut builder = app.client.post(&req.uri).body(req.body);
        for (k, v) in req.headers {
            builder = builder.header(k, v);
        }
        inflight.spawn(async move {
            let res = builder.send().await.expect("sent");
            (res.status().as_u16(), res.text().await.unwrap_or_default())
        });
    }
    while let Some(done) = inflight.join_next().await {
        let (status, body) = done.expect("the request task");
        assert_eq!(status, 200, "{body}");
    }

    let entries = app.store.exchange().log_range(1, 1000).await.expect("log");
    assert_eq!(entries.len(), before + 64);
    let mut cases: Vec<&str> = entries[before..]
        .iter()
        .filter_map(|e| e.record.case_ref.as_deref())
        .collect();
    cases.sort_unstable();
    cases.dedup();
    assert_eq!(cases.len(), 64, "each request is logged exactly once");
    let checkpoints = app
        .store
        .exchange()
        .checkpoints()
        .await
        .expect("checkpoints");
    let operator = key_of(&app, web::services::exchange::node::DEMO_OPERATOR).public();
    exchange::log::verify(&entries, &checkpoints, &operator).expect("the log is intact");
}

#[tokio::test]
async fn a_node_configured_with_public_keys_only_serves_those_consumers() {
    // the consumer's seed stays with the consumer; the node gets its public key
    let hcc_key = std::sync::Arc::new(std::sync::Mutex::new(None::<MemberKey>));
    let kept = hcc_key.clone();
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        configure: Some(Box::new(move |config| {
            for m in &mut config.consumers {
                let key = m.key().expect("a demo seed");
                m.public_key = Some(hex::encode(key.public().to_bytes()));
                m.seed = None;
                if m.member.id.as_str() == DEMO_HCC {
                    *kept.lock().expect("lock") = Some(key);
                }
            }
        })),
        ..Default::default()
    })
    .await;
    let hcc = hcc_key
        .lock()
        .expect("lock")
        .clone()
        .expect("the consumer's key");
    let people = app.seed_people(2).await;
    let pid = people[0].personal_id.clone();
    let reply = send(
        &app,
        request(&app, PERSON_GET, &hcc_call(&pid, &[]), Some(&hcc)),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    assert_eq!(reply.json()["person_id"], pid.as_str());
}

#[tokio::test]
async fn a_node_configuration_is_refused_with_its_reason() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = store::open(&store::Location::SqliteFile(dir.path().join("m.db")))
        .await
        .expect("store");
    let demo =
        web::services::exchange::node::DemoConfig::load_or_create(&dir.path().join("exchange"))
            .expect("demo configuration");
    let reason = |config: &web::services::exchange::node::NodeConfig| {
        let store = store.clone();
        let config = config.clone();
        async move {
            web::services::exchange::node::ExchangeNode::start(&config, store)
                .await
                .expect_err("refused")
                .to_string()
        }
    };

    // the node signs as its provider: it must hold that seed
    let mut no_seed = demo.clone();
    no_seed.provider.seed = None;
    let e = reason(&no_seed).await;
    assert!(e.contains("provider") && e.contains("seed"), "{e}");

    // a public key that is not the seed's
    let mut mismatch = demo.clone();
    mismatch.consumers[0].public_key = Some(hex::encode(
        demo.consumers[1].key().expect("seed").public().to_bytes(),
    ));
    let e = reason(&mismatch).await;
    assert!(e.contains("does not belong to its seed"), "{e}");

    // neither
    let mut neither = demo.clone();
    neither.consumers[0].seed = None;
    let e = reason(&neither).await;
    assert!(e.contains("neither a key seed nor a public key"), "{e}");

    // the file with the node's seeds must be its owner's alone
    let path = dir.path().join("node.json");
    std::fs::write(&path, serde_json::to_vec(&demo).expect("JSON")).expect("written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = web::services::exchange::node::NodeConfig::load_private(&path)
            .expect_err("readable by others")
            .to_string();
        assert!(e.contains("chmod 600"), "{e}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let loaded = web::services::exchange::node::NodeConfig::load_private(&path).expect("loaded");
    assert_eq!(loaded.provider.member.id, demo.provider.member.id);
}

// ------------------------------------------- signed heads against truncation

/// `motcua exchange <args>` on the application's data directory and store.
fn motcua_exchange(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"));
    cmd.arg("exchange")
        .args(args)
        .arg("--data-dir")
        .arg(app.data_dir())
        .env_remove("MOTCUA_DATABASE_URL")
        .env_remove("MOTCUA_DATA_DIR")
        .env_remove("MOTCUA_OPERATOR_KEY_FILE")
        .env_remove("MOTCUA_EXCHANGE_CONFIG");
    if let Some(url) = app.database_url().filter(|_| args[0] == "verify-log") {
        cmd.arg("--database-url").arg(url);
    }
    cmd.output().expect("run motcua exchange")
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The head the node keeps outside its database, once it names `seq`.
async fn node_head(app: &TestApp, seq: u64) -> exchange::SignedHead {
    let file = web::services::exchange::head::HeadFile::in_dir(&app.data_dir().join("exchange"));
    for _ in 0..200 {
        if let Some(head) = file.read().expect("a readable head file")
            && head.seq == seq
        {
            return head;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the node never kept a head at entry {seq}");
}

/// Answers carry the operator's signed head; the node keeps the latest one
/// outside its database; `verify-log` checks the log against the heads kept,
/// so that a log cut short with its checkpoints, or missing one checkpoint,
/// is reported; and the node refuses to continue a log cut short of its head.
async fn a_log_cut_short_of_a_kept_head_is_reported(app: TestApp) {
    let people = app.seed_people(4).await;
    let hcc = key_of(&app, DEMO_HCC);
    let operator = key_of(&app, web::services::exchange::node::DEMO_OPERATOR).public();
    let mut reply = None;
    for i in 0..40 {
        let pid = people[i % people.len()].personal_id.clone();
        let r = send(
            &app,
            request(
                &app,
                PERSON_GET,
                &hcc_call(&pid, &["full_name"]),
                Some(&hcc),
            ),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
        reply = Some(r);
    }
    let reply = reply.expect("answers");

    // the answer's head: under the response's signature, the operator's,
    // at or after the answer's entry
    let signed = signed_by_the_provider(&app, &reply);
    assert!(signed.covers(&exchange::signature::Component::field("x-log-head")));
    let header = reply.header("x-log-head").expect("an x-log-head header");
    let head = exchange::SignedHead::from_header(header).expect("a signed head");
    assert!(head.verify(&operator), "{header}");
    assert_eq!(reply.header("x-log-entry"), Some("40"));
    assert_eq!(head.seq, 40);
    // the member keeps it, as the header's line
    let kept = app.data_dir().join("kept-by-the-member.txt");
    std::fs::write(&kept, format!("x-log-head: {header}\n")).expect("kept");
    let kept = kept.to_str().expect("a path");

    // the node keeps its latest head outside the database, its owner's only
    let own = node_head(&app, 40).await;
    let own_path = app.data_dir().join("exchange").join("head.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&own_path)
            .expect("the head file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = motcua_exchange(&app, &["export-head"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: exchange::SignedHead =
        serde_json::from_str(&stdout(&out)).expect("the head as JSON");
    assert_eq!(exported, own);

    // intact, against both heads
    let out = motcua_exchange(&app, &["verify-log", "--head", kept]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.contains("log intact: 40 entries, 2 checkpoints, last checkpoint at seq 32"),
        "{text}"
    );
    assert!(text.contains("signed heads: 2 checked"), "{text}");

    // the last 20 entries deleted with their checkpoint
    app.execute_sql(
        "DELETE FROM exchange_checkpoints WHERE seq > 20; DELETE FROM exchange_log WHERE seq > 20",
    )
    .await;
    // the member's head alone names the truncation
    let aside = app.data_dir().join("head.json.aside");
    std::fs::rename(&own_path, &aside).expect("moved aside");
    let out = motcua_exchange(&app, &["verify-log", "--head", kept]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!(
            "log broken at entry 21: log truncated: a signed head of {} names entry 40, the log ends at 20",
            head.at
        )),
        "{text}"
    );
    // and so does the node's own, by default
    std::fs::rename(&aside, &own_path).expect("moved back");
    let out = motcua_exchange(&app, &["verify-log"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("names entry 40, the log ends at 20"),
        "{}",
        stdout(&out)
    );
    // the node does not continue a log cut short of its head
    let refused = web::services::exchange::node::ExchangeNode::start_with_head_file(
        &app.exchange,
        app.store.clone(),
        web::services::exchange::head::HeadFile::in_dir(&app.data_dir().join("exchange")),
    )
    .await
    .expect_err("refused")
    .to_string();
    assert!(
        refused.contains("names entry 40") && refused.contains("the log ends at entry 20"),
        "{refused}"
    );

    // one checkpoint row deleted where one is due
    app.execute_sql("DELETE FROM exchange_checkpoints WHERE seq = 16")
        .await;
    let out = motcua_exchange(&app, &["verify-log", "--head", kept]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).starts_with(
            "log broken at entry 16: no checkpoint is stored at this entry, though one is due every 16 entries"
        ),
        "{}",
        stdout(&out)
    );
}

#[tokio::test]
async fn a_log_cut_short_of_a_kept_head_is_reported_on_sqlite() {
    a_log_cut_short_of_a_kept_head_is_reported(TestApp::spawn().await).await;
}

#[tokio::test]
async fn a_log_cut_short_of_a_kept_head_is_reported_on_postgres() {
    let Some(pg) = crate::helpers::PgSchema::create("a_log_cut_short_of_a_kept_head").await else {
        return;
    };
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        postgres: Some(pg),
        ..Default::default()
    })
    .await;
    a_log_cut_short_of_a_kept_head_is_reported(app).await;
}

#[tokio::test]
async fn a_head_file_not_signed_by_the_operator_stops_the_node() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = store::open(&store::Location::SqliteFile(dir.path().join("m.db")))
        .await
        .expect("store");
    let exchange_dir = dir.path().join("exchange");
    let config = web::services::exchange::node::DemoConfig::load_or_create(&exchange_dir)
        .expect("configuration");
    let stranger = MemberKey::from_seed(
        web::services::exchange::node::DEMO_OPERATOR
            .parse()
            .expect("id"),
        exchange::KeyId("not-the-operator".into()),
        [9; 32],
    );
    let file = web::services::exchange::head::HeadFile::in_dir(&exchange_dir);
    file.write(&exchange::SignedHead::sign(
        0,
        exchange::Digest32::ZERO,
        Utc::now(),
        &stranger,
    ))
    .expect("written");
    let e = web::services::exchange::node::ExchangeNode::start_with_head_file(&config, store, file)
        .await
        .expect_err("refused")
        .to_string();
    assert!(e.contains("not signed by the log operator's key"), "{e}");
}

/// `motcua exchange rotate-key` gives the provider a new key in the node's
/// configuration file and keeps the old one retired by its public key: a
/// node started from the file signs with the new key and still verifies
/// what the old one signed before; a file others can read is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_key_is_rotated_keeping_the_old_one_retired() {
    let app = TestApp::spawn().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let old = app.exchange.provider.clone();
    let signed = old.key().expect("the provider's key").sign(b"a result");
    let out = motcua_exchange(&app, &["rotate-key"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = app.data_dir().join("exchange").join("demo.json");
    let rotated =
        web::services::exchange::node::DemoConfig::load_private(&path).expect("still private");
    let new_id = rotated.provider.key_id.clone();
    assert!(new_id.starts_with(&format!("{}@", old.key_id)), "{new_id}");
    assert_ne!(rotated.provider.seed, old.seed);
    assert!(
        stdout(&out).contains(&format!(
            "now signs with key {new_id}; key {} is kept",
            old.key_id
        )),
        "{}",
        stdout(&out)
    );
    let retired = &rotated.provider.retired;
    assert_eq!(retired.len(), 1);
    assert_eq!(retired[0].key_id, old.key_id);
    // the others' keys are as they were
    assert_eq!(rotated.operator.seed, app.exchange.operator.seed);
    let node = web::services::exchange::node::ExchangeNode::start(&rotated, app.store.clone())
        .await
        .expect("a node from the rotated file");
    assert_eq!(node.provider.key_id.0, new_id);
    let old_key = node
        .keyring
        .resolve(&exchange::KeyId(old.key_id.clone()), before)
        .expect("the old key, for what it signed before");
    assert!(old_key.key.verify(b"a result", &signed));
    assert!(
        node.keyring
            .resolve(&exchange::KeyId(old.key_id.clone()), retired[0].retired_at)
            .is_err(),
        "nothing it signs from its retirement on"
    );
    // a configuration others can read is not rewritten
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let out = motcua_exchange(&app, &["rotate-key"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("chmod 600"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let unchanged = web::services::exchange::node::DemoConfig::load(&path).expect("read");
        assert_eq!(unchanged.provider.key_id, new_id);
    }
}

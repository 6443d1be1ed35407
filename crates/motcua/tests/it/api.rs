//! The JSON API, health, metrics and the middleware stack, over HTTP; and
//! `motcua serve` run as the real binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use units::Units;

use crate::helpers::TestApp;

fn codes(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("an array: {v}"))
        .iter()
        .map(|x| x[key].as_str().unwrap_or_default().to_string())
        .collect()
}

// ---------------------------------------------------------------- units

#[tokio::test]
async fn provinces_lists_the_34_with_their_commune_counts() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/units/provinces").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.content_type().starts_with("application/json"));
    let v = r.json();
    assert_eq!(v["count"], 34);
    let provinces = v["provinces"].as_array().expect("provinces");
    assert_eq!(provinces.len(), 34);
    let u = Units::get();
    let expected: Vec<&str> = u.provinces().iter().map(|p| p.code.as_str()).collect();
    assert_eq!(codes(&v["provinces"], "code"), expected);
    let mut total = 0;
    for p in provinces {
        let code = p["code"].as_str().expect("code");
        let n = u.communes_of(code).expect("a province").count();
        assert_eq!(p["commune_count"], n, "{p}");
        total += n;
        assert!(p["name"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(["tỉnh", "thành phố trung ương"].contains(&p["kind"].as_str().unwrap_or("")));
        assert!(
            p["centroid"]["lat"]
                .as_f64()
                .is_some_and(|x| (8.0..24.0).contains(&x))
        );
        assert!(
            p["centroid"]["lon"]
                .as_f64()
                .is_some_and(|x| (102.0..118.0).contains(&x))
        );
    }
    assert_eq!(total, 3321);
    let hanoi = &provinces[0];
    assert_eq!(hanoi["code"], "01");
    assert_eq!(hanoi["name"], "Thành phố Hà Nội");
}

#[tokio::test]
async fn province_communes_lists_the_province_communes_in_order() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/units/provinces/01/communes").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let expected: Vec<String> = Units::get()
        .communes_of("01")
        .expect("Hà Nội")
        .map(|c| c.code.clone())
        .collect();
    assert_eq!(v["count"], expected.len());
    assert_eq!(codes(&v["communes"], "code"), expected);
    assert_eq!(v["province"]["code"], "01");
    assert_eq!(v["province"]["name"], "Thành phố Hà Nội");
    let first = &v["communes"][0];
    assert_eq!(first["province_code"], "01");
    assert!(first["kind"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(first["centroid"]["lat"].is_number());
}

#[tokio::test]
async fn province_communes_refuses_unknown_and_malformed_codes() {
    let app = TestApp::spawn().await;
    let p = app
        .get("/api/v1/units/provinces/99/communes")
        .await
        .problem(404);
    let detail = p["detail"].as_str().unwrap_or("");
    assert!(detail.contains("'99'"), "{detail}");
    assert!(detail.contains("/api/v1/units/provinces"), "{detail}");
    assert_eq!(p["instance"], "/api/v1/units/provinces/99/communes");
    // 02 was Hà Giang: a legacy province, not a 2025 one
    let p = app
        .get("/api/v1/units/provinces/02/communes")
        .await
        .problem(404);
    assert!(
        p["detail"].as_str().unwrap_or("").contains("Hà Giang"),
        "{p}"
    );
    for bad in ["1", "001", "ab", "%20"] {
        let p = app
            .get(&format!("/api/v1/units/provinces/{bad}/communes"))
            .await
            .problem(400);
        assert!(
            p["detail"].as_str().unwrap_or("").contains("2 digits"),
            "{p}"
        );
    }
}

#[tokio::test]
async fn commune_has_its_province_and_predecessors() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/units/communes/00097").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["commune"]["code"], "00097");
    assert_eq!(v["commune"]["name"], "Phường Hồng Hà");
    assert_eq!(v["province"]["code"], "01");
    assert_eq!(v["province"]["name"], "Thành phố Hà Nội");
    let u = Units::get();
    let expected: Vec<String> = u
        .predecessors("00097")
        .expect("Hồng Hà")
        .map(|old| old.commune.code.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(codes(&v["predecessors"], "code"), expected);
    let phuc_xa = v["predecessors"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["code"] == "00001"))
        .expect("Phúc Xá is a predecessor of Hồng Hà");
    assert_eq!(phuc_xa["name"], "Phường Phúc Xá");
    assert_eq!(phuc_xa["district_name"], "Quận Ba Đình");
    assert_eq!(phuc_xa["province_name"], "Thành phố Hà Nội");
    assert_eq!(phuc_xa["partly_merged"], false);
}

#[tokio::test]
async fn commune_refuses_unknown_and_malformed_codes_with_a_way_on() {
    let app = TestApp::spawn().await;
    // 00001 is a legacy commune only: the detail points at its successors
    let p = app.get("/api/v1/units/communes/00001").await.problem(404);
    assert!(
        p["detail"]
            .as_str()
            .unwrap_or("")
            .contains("/api/v1/units/legacy/communes/00001/successors"),
        "{p}"
    );
    app.get("/api/v1/units/communes/99999").await.problem(404);
    app.get("/api/v1/units/communes/97").await.problem(400);
    app.get("/api/v1/units/communes/abcde").await.problem(400);
}

#[tokio::test]
async fn a_split_legacy_commune_has_several_successors() {
    let app = TestApp::spawn().await;
    // Cống Vị (Ba Đình) was split between Ngọc Hà and Giảng Võ
    let r = app
        .get("/api/v1/units/legacy/communes/00007/successors")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["legacy_commune"]["code"], "00007");
    assert_eq!(v["legacy_commune"]["name"], "Phường Cống Vị");
    assert_eq!(v["legacy_commune"]["district_name"], "Quận Ba Đình");
    assert_eq!(v["legacy_commune"]["province_name"], "Thành phố Hà Nội");
    let successors = v["successors"].as_array().expect("successors");
    assert!(successors.len() > 1, "{v}");
    assert_eq!(codes(&v["successors"], "commune_code"), ["00008", "00025"]);
    for s in successors {
        assert_eq!(s["partly_merged"], true, "{s}");
        assert_eq!(s["province_code"], "01");
        assert_eq!(s["province_name"], "Thành phố Hà Nội");
        let name = s["name"].as_str().unwrap_or("");
        let code = s["commune_code"].as_str().unwrap_or("");
        assert_eq!(
            Some(name),
            Units::get().commune(code).map(|c| c.name.as_str())
        );
    }

    // an unsplit one: one successor, wholly merged
    let v = app
        .get("/api/v1/units/legacy/communes/00001/successors")
        .await
        .json();
    assert_eq!(codes(&v["successors"], "commune_code"), ["00097"]);
    assert_eq!(v["successors"][0]["partly_merged"], false);

    app.get("/api/v1/units/legacy/communes/99999/successors")
        .await
        .problem(404);
    app.get("/api/v1/units/legacy/communes/7/successors")
        .await
        .problem(400);
}

#[tokio::test]
async fn search_finds_legacy_names_with_their_successors() {
    let app = TestApp::spawn().await;
    let r = app
        .send(
            app.client
                .get(app.url("/api/v1/units/search"))
                .query(&[("q", "Phúc Xá"), ("limit", "5")]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["query"], "Phúc Xá");
    let hits = v["hits"].as_array().expect("hits");
    assert!(!hits.is_empty() && hits.len() <= 5, "{v}");
    assert_eq!(v["count"], hits.len());
    let expected: Vec<String> = Units::get()
        .search("Phúc Xá", 5)
        .into_iter()
        .map(|h| h.code)
        .collect();
    assert_eq!(codes(&v["hits"], "code"), expected);
    let phuc_xa = hits
        .iter()
        .find(|h| h["kind"] == "legacy_commune" && h["code"] == "00001")
        .expect("legacy Phúc Xá");
    assert_eq!(phuc_xa["successors"][0]["commune_code"], "00097");

    // without diacritics, a 2025 ward first
    let v = app
        .get("/api/v1/units/search?q=phuong%20ba%20dinh&limit=3")
        .await
        .json();
    assert_eq!(v["hits"][0]["kind"], "commune");
    assert_eq!(v["hits"][0]["code"], "00004");
}

#[tokio::test]
async fn search_clamps_the_limit_and_refuses_bad_queries() {
    let app = TestApp::spawn().await;
    // "an" starts a great many names
    assert!(Units::get().search("an", 1000).len() > 100);
    let v = app.get("/api/v1/units/search?q=an&limit=1000").await.json();
    assert_eq!(v["limit"], 100);
    assert_eq!(v["hits"].as_array().map(Vec::len), Some(100));
    let v = app.get("/api/v1/units/search?q=xa&limit=0").await.json();
    assert_eq!(v["limit"], 1);
    assert_eq!(v["hits"].as_array().map(Vec::len), Some(1));
    let v = app.get("/api/v1/units/search?q=xa").await.json();
    assert_eq!(v["limit"], 10);

    for path in [
        "/api/v1/units/search",
        "/api/v1/units/search?q=",
        "/api/v1/units/search?q=%20%20",
        "/api/v1/units/search?q=xa&limit=many",
    ] {
        app.get(path).await.problem(400);
    }
    let long = "a".repeat(201);
    let p = app
        .get(&format!("/api/v1/units/search?q={long}"))
        .await
        .problem(400);
    assert!(p["detail"].as_str().unwrap_or("").contains("201"), "{p}");
}

// -------------------------------------------------------------- convert

#[tokio::test]
async fn convert_answers_like_the_converter_with_the_cli_fields() {
    let app = TestApp::spawn().await;
    let addresses = [
        "Phường Phúc Xá, Quận Ba Đình, Hà Nội",
        "Phường Cống Vị, Quận Ba Đình, Hà Nội",
        "Số 5 Hàng Bài, P. Phúc Xá, Q. Ba Đình, Hà Nội",
        "hello world",
    ];
    let r = app
        .post_json("/api/v1/units/convert", &json!({ "addresses": addresses }))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let results = v["results"].as_array().expect("results");
    assert_eq!(results.len(), addresses.len());

    for (res, input) in results.iter().zip(addresses) {
        for key in [
            "input",
            "status",
            "province_code",
            "commune_code",
            "candidates",
            "address",
        ] {
            assert!(res.get(key).is_some(), "{key} missing in {res}");
        }
        let c = Units::get().convert(input);
        assert_eq!(res["input"], input);
        assert_eq!(res["status"], c.status.as_str());
        assert_eq!(res["province_code"], json!(c.province_code));
        assert_eq!(res["commune_code"], json!(c.commune_code));
        assert_eq!(res["candidates"], json!(c.candidates));
        assert_eq!(res["address"], json!(c.address));
    }

    // Phúc Xá (Ba Đình) is now part of Hồng Hà ward, Hà Nội
    let phuc_xa = &results[0];
    assert_eq!(phuc_xa["status"], "converted");
    assert_eq!(phuc_xa["province_code"], "01");
    assert_eq!(phuc_xa["commune_code"], "00097");
    assert_eq!(phuc_xa["address"], "Phường Hồng Hà, Thành phố Hà Nội");
    assert_eq!(phuc_xa["candidates"], json!([]));
    assert_eq!(phuc_xa["legacy"][0]["commune_code"], "00001");

    // Cống Vị was split: ambiguous, with both candidates
    let cong_vi = &results[1];
    assert_eq!(cong_vi["status"], "ambiguous");
    assert_eq!(cong_vi["commune_code"], Value::Null);
    assert_eq!(cong_vi["address"], Value::Null);
    assert_eq!(
        codes(&cong_vi["candidates"], "commune_code"),
        ["00008", "00025"]
    );
    assert_eq!(
        cong_vi["candidates"][0]["name"],
        "Phường Ngọc Hà, Thành phố Hà Nội"
    );
    assert_eq!(cong_vi["partly_merged"], true);

    assert_eq!(results[2]["street"], "Số 5 Hàng Bài");
    assert_eq!(results[3]["status"], "not_found");
    assert!(results[3]["reason"].as_str().is_some_and(|r| !r.is_empty()));
}

#[tokio::test]
async fn convert_runs_big_batches_in_order() {
    let app = TestApp::spawn().await;
    let u = Units::get();
    // every legacy commune of Hà Nội's first three districts, with district
    // and province, plus a few that cannot convert
    let mut addresses: Vec<String> = u
        .legacy_communes()
        .iter()
        .filter(|c| ["001", "002", "003"].contains(&c.district_code.as_str()))
        .map(|c| {
            let d = u.legacy_district(&c.district_code).expect("district");
            format!("{}, {}, Hà Nội", c.name, d.name)
        })
        .collect();
    addresses.extend(["", "nowhere at all"].map(String::from));
    assert!(addresses.len() > 40);
    let v = app
        .post_json("/api/v1/units/convert", &json!({ "addresses": addresses }))
        .await
        .json();
    let results = v["results"].as_array().expect("results");
    assert_eq!(results.len(), addresses.len());
    for (res, input) in results.iter().zip(&addresses) {
        let c = u.convert(input);
        assert_eq!(res["input"], json!(input));
        assert_eq!(res["status"], c.status.as_str(), "{input}");
        assert_eq!(res["commune_code"], json!(c.commune_code), "{input}");
    }

    let v = app
        .post_json("/api/v1/units/convert", &json!({ "addresses": [] }))
        .await
        .json();
    assert_eq!(v["results"], json!([]));
}

#[tokio::test]
async fn convert_refuses_bad_bodies_with_the_reason() {
    let app = TestApp::spawn().await;
    let url = app.url("/api/v1/units/convert");

    // not JSON at all
    let p = app
        .send(
            app.client
                .post(&url)
                .header("content-type", "application/json")
                .body(r#"{"addresses": ["#),
        )
        .await
        .problem(400);
    assert!(p["detail"].as_str().unwrap_or("").contains("line 1"), "{p}");

    // not declared as JSON
    app.send(app.client.post(&url).body(r#"{"addresses": []}"#))
        .await
        .problem(415);

    // JSON of the wrong shape
    let p = app
        .post_json("/api/v1/units/convert", &json!({ "addresses": [1, 2] }))
        .await
        .problem(422);
    assert!(
        p["detail"].as_str().unwrap_or("").contains("addresses"),
        "{p}"
    );
    app.post_json("/api/v1/units/convert", &json!({ "adresses": [] }))
        .await
        .problem(422);

    // an address too long to be one
    let p = app
        .post_json(
            "/api/v1/units/convert",
            &json!({ "addresses": ["ok", "x".repeat(1001)] }),
        )
        .await
        .problem(422);
    assert!(
        p["detail"].as_str().unwrap_or("").contains("addresses[1]"),
        "{p}"
    );
}

#[tokio::test]
async fn convert_refuses_too_many_addresses_and_too_big_bodies_with_413() {
    let app = TestApp::spawn().await;
    let many = vec!["Hà Nội"; 10_001];
    let p = app
        .post_json("/api/v1/units/convert", &json!({ "addresses": many }))
        .await
        .problem(413);
    assert!(p["detail"].as_str().unwrap_or("").contains("10000"), "{p}");

    // over 2 MiB of body, under the address count
    let big =
        vec!["Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội ".repeat(20); 3_000];
    let body = json!({ "addresses": big }).to_string();
    assert!(body.len() > 2 * 1024 * 1024);
    let p = app
        .send(
            app.client
                .post(app.url("/api/v1/units/convert"))
                .header("content-type", "application/json")
                .body(body),
        )
        .await
        .problem(413);
    assert!(p["detail"].as_str().unwrap_or("").contains("2 MiB"), "{p}");
}

// ------------------------------------------------------------ the stack

#[tokio::test]
async fn unknown_paths_are_404_problems() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/nothing",
        "/api/v2/units/provinces",
        "/no/such/page",
    ] {
        let p = app.get(path).await.problem(404);
        assert_eq!(p["instance"], path);
    }
}

#[tokio::test]
async fn wrong_methods_are_405_problems_with_allow() {
    let app = TestApp::spawn().await;
    let r = app
        .send(app.client.delete(app.url("/api/v1/units/provinces")))
        .await;
    r.problem(405);
    let allow = r.header("allow").unwrap_or("");
    assert!(allow.contains("GET"), "Allow: {allow:?}");

    let r = app.get("/api/v1/units/convert").await;
    r.problem(405);
    assert!(r.header("allow").unwrap_or("").contains("POST"));
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = TestApp::spawn().await;
    let r = app
        .send(
            app.client
                .get(app.url("/api/v1/units/provinces"))
                .header("x-request-id", "test-4242"),
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("test-4242"));

    let r = app.get("/healthz").await;
    let id = r.header("x-request-id").expect("a request id");
    assert_eq!(id.len(), 36, "{id}");

    // problems quote it
    let r = app
        .send(
            app.client
                .get(app.url("/nowhere"))
                .header("x-request-id", "trace-me"),
        )
        .await;
    assert_eq!(r.problem(404)["request_id"], "trace-me");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let r = app.get("/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({ "status": "ok" }));
    let r = app.get("/readyz").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "ready");
}

#[tokio::test]
async fn openapi_lists_every_api_path() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/openapi.json").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(
        v["openapi"].as_str().is_some_and(|s| s.starts_with("3.")),
        "{}",
        v["openapi"]
    );
    let paths = v["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/units/provinces", "get"),
        ("/api/v1/units/provinces/{code}/communes", "get"),
        ("/api/v1/units/communes/{code}", "get"),
        ("/api/v1/units/search", "get"),
        ("/api/v1/units/legacy/communes/{code}/successors", "get"),
        ("/api/v1/units/convert", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    let schemas = v["components"]["schemas"].as_object().expect("schemas");
    for s in [
        "Problem",
        "ProvinceList",
        "ConvertRequest",
        "ConvertResponse",
    ] {
        assert!(schemas.contains_key(s), "schema {s}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v1/units/provinces").await;
    assert_eq!(r.status, 200);
    let r = app.get("/metrics").await;
    assert_eq!(r.status, 200);
    assert!(r.content_type().starts_with("text/plain"));
    let line = r
        .body
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains(r#"route="/api/v1/units/provinces""#)
                && l.contains(r#"method="GET""#)
                && l.contains(r#"status="200""#)
        })
        .unwrap_or_else(|| panic!("no request counter in:\n{}", r.body));
    let n: f64 = line
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(n >= 1.0, "{line}");
    assert!(
        r.body.contains("http_request_duration_seconds_bucket{"),
        "no latency histogram"
    );
}

// ------------------------------------------------------- the real binary

/// Kills the server if a test fails before it is stopped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn motcua_serve(listen: &str, data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_motcua"));
    cmd.args(["serve", "--listen", listen, "--log-format", "json"])
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("MOTCUA_DATABASE_URL")
        .env_remove("MOTCUA_LISTEN")
        .env_remove("MOTCUA_DATA_DIR")
        .env_remove("MOTCUA_LOG_FORMAT")
        .env("RUST_LOG", "info");
    cmd
}

#[tokio::test]
async fn serve_starts_answers_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data_dir = dir.path().join("data");
    let child = motcua_serve("127.0.0.1:0", &data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start motcua serve");
    let mut server = Server(child);

    // the log says where it listens; keep reading it to the end
    let stdout = server.0.stdout.take().expect("stdout");
    let (url_tx, url_rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && v["fields"]["message"] == "listening"
                && let Some(url) = v["fields"]["url"].as_str()
            {
                let _ = url_tx.send(url.to_string());
            }
            lines.push(line);
        }
        lines
    });
    let base = url_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("motcua logs the URL it listens on");
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.get(format!("{base}/readyz")).send().await {
            Ok(r) if r.status() == 200 => break,
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("never ready: {other:?}"),
        }
    }
    assert!(
        data_dir.join("motcua.db").is_file(),
        "the SQLite database is created in the data directory"
    );
    let r = client
        .get(format!("{base}/api/v1/units/provinces"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(r.status(), 200);

    let pid = server.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());

    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait for motcua") {
            break status;
        }
        assert!(Instant::now() < deadline, "motcua did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let lines = reader.join().expect("the log is read");
    assert!(
        status.success(),
        "exit {status:?}; log:\n{}",
        lines.join("\n")
    );
    let log = lines.join("\n");
    assert!(log.contains("wrote the administrative units"), "{log}");
    assert!(log.contains("SIGTERM"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn serve_says_so_when_the_address_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("address").to_string();
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = motcua_serve(&addr, dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("run motcua serve");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already in use"), "{stderr}");
    assert!(stderr.contains(&addr), "{stderr}");
}

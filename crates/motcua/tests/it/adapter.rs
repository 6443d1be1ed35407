// tests: adapter
//! The integration adapter over real HTTP, called as a province's
//! existing one-stop system calls the national portal: a log-in, then
//! `{session, madonvi, service, isUpdating, data}` with packets in the
//! shape such systems send (every value a string, blank times, empty
//! lists, `isUpdating` as "True"/"False"), answered with `error_code`.

use serde_json::{Value, json};

use crate::helpers::TestApp;

const LOGIN: &str = "/api/v1/integration/login";
const CALL: &str = "/api/v1/integration";
const UNIT: &str = "000.00.12.H56";

/// Connects a back office reporting for `units`; its password.
async fn connect(app: &TestApp, id: &str, units: &[&str]) -> String {
    let (_, password) = web::services::backoffice::offices::connect(
        app.store.as_ref(),
        units::Units::get(),
        backoffice::office::Draft {
            id: id.into(),
            name: format!("Hệ thống một cửa {id}"),
            province: "08".into(),
            units: units.iter().map(|u| u.to_string()).collect(),
            endpoint: Some("https://motcua.tuyenquang.gov.vn/lien-thong".into()),
            delivery: backoffice::Delivery::Push,
            keys: Vec::new(),
        },
        "test",
        chrono::Utc::now(),
    )
    .await
    .expect("connected");
    password
}

/// POSTs `body` to `path`: the status, the content type and the JSON.
async fn post(app: &TestApp, path: &str, body: &Value) -> (u16, String, Value) {
    let res = app
        .client
        .post(format!("{}{path}", app.base))
        .json(body)
        .send()
        .await
        .expect("an answer");
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = res.json().await.expect("a JSON answer");
    (status, kind, body)
}

async fn log_in(app: &TestApp, username: &str, password: &str) -> String {
    let (status, _, body) = post(
        app,
        LOGIN,
        &json!({"username": username, "password": password}),
    )
    .await;
    assert_eq!((status, &body["error_code"]), (200, &json!("00")), "{body}");
    body["session"].as_str().expect("a session").to_string()
}

/// A `DongBoHoSoMC` as an existing provincial system writes it: every
/// value a string, times it has not got blank, lists empty.
fn dossier(code: &str, status: &str) -> Value {
    json!({
        "MaHoSo": code,
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": "G09-TP04",
        "TenLinhVuc": "Hộ tịch",
        "ChuHoSo": "Nguyễn Thị Hoa",
        "LoaiDoiTuong": "1",
        "MaDoiTuong": "",
        "ThongTinKhac": "",
        "Email": "hoa@example.vn",
        "Fax": "",
        "SoDienThoai": "0912345678",
        "TrichYeuHoSo": "Đăng ký khai sinh cho con",
        "NgayTiepNhan": "20261207083000",
        "NgayHenTra": "20261208170000",
        "TrangThaiHoSo": status,
        "NgayTra": "",
        "ThongTinTra": "",
        "HinhThuc": "0",
        "NgayKetThucXuLy": "",
        "DonViXuLy": "UBND xã Minh Xuân",
        "GhiChu": "",
        "KenhThucHien": "1",
        "NgayNopHoSo": "20261207083000",
        "TaiLieuNop": [],
        "DanhSachLePhi": [],
        "DanhSachTepDinhKemKhac": [],
        "DanhSachHoSoBoSung": [],
        "DanhSachGiayToKetQua": []
    })
}

/// A `CapNhatTienDoHoSoMC` as such a system writes it.
fn step(code: &str, status: &str, at: &str) -> Value {
    json!({
        "MaHoSo": code,
        "NguoiXuLy": "Trần Văn Bình",
        "ChucDanh": "",
        "ThoiDiemXuLy": at,
        "PhongBanXuLy": "",
        "NoiDungXuLy": "Chuyển xử lý",
        "TrangThai": status,
        "NgayBatDau": "",
        "NgayKetThucTheoQuyDinh": ""
    })
}

fn call(session: &str, service: &str, updating: &str, data: Value) -> Value {
    json!({
        "session": session,
        "madonvi": UNIT,
        "service": service,
        "isUpdating": updating,
        "data": data,
    })
}

fn statuses(body: &Value) -> Vec<String> {
    body["result"]
        .as_array()
        .expect("a result")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provinces_system_synchronises_through_the_adapter_as_it_always_has() {
    let app = TestApp::spawn().await;
    let password = connect(&app, "tuyen-quang-igate", &[UNIT]).await;
    let code = "000.00.12.H56-261207-0001";

    // a wrong password: refused, saying what to use, with error_code 02
    let (status, kind, body) = post(
        &app,
        LOGIN,
        &json!({"username": "tuyen-quang-igate", "password": "đoán-thử-mật-khẩu"}),
    )
    .await;
    assert_eq!((status, body["error_code"].as_str()), (401, Some("02")));
    assert!(kind.starts_with("application/problem+json"), "{kind}");
    assert!(body["detail"].as_str().unwrap_or("").contains("password"));
    assert!(body["message"].as_str().unwrap_or("").contains("Đăng nhập"));

    let session = log_in(&app, "tuyen-quang-igate", &password).await;

    // looked up before it is sent, as such systems do: not known
    let lookup =
        json!({"session": session, "madonvi": UNIT, "service": "TraCuuHoSo", "mahoso": code});
    let (status, _, body) = post(&app, CALL, &lookup).await;
    assert_eq!((status, &body["result"]), (200, &json!([])), "{body}");

    // created, received at the counter
    let (status, _, body) = post(
        &app,
        CALL,
        &call(
            &session,
            "DongBoHoSoMC",
            "False",
            json!([dossier(code, "2")]),
        ),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (200, Some("00")),
        "{body}"
    );
    assert_eq!(statuses(&body), ["applied"]);
    assert_eq!(body["result"][0]["MaHoSo"], code);
    assert_eq!(body["result"][0]["version"], 1);
    // now found, as sent
    let (_, _, body) = post(&app, CALL, &lookup).await;
    assert_eq!(body["result"][0]["MaHoSo"], code);
    assert_eq!(body["result"][0]["TrangThaiHoSo"], "2");

    // sent again ("True": an update): a duplicate, answered 00
    let (status, _, body) = post(
        &app,
        CALL,
        &call(
            &session,
            "DongBoHoSoMC",
            "True",
            json!([dossier(code, "2")]),
        ),
    )
    .await;
    assert_eq!(
        (status, statuses(&body)),
        (200, vec!["duplicate".to_string()])
    );

    // a processing step: applied
    let (status, _, body) = post(
        &app,
        CALL,
        &call(
            &session,
            "CapNhatTienDoHoSoMC",
            "",
            json!([step(code, "4", "20261207090000")]),
        ),
    )
    .await;
    assert_eq!(
        (status, statuses(&body)),
        (200, vec!["applied".to_string()]),
        "{body}"
    );

    // a batch with an unreadable packet: the good one is taken, the bad
    // one named field by field, and the whole batch sent again is safe
    let other = "000.00.12.H56-261207-0002";
    let mut unreadable = step(code, "11", "20261207100000");
    unreadable["ThoiDiemXuLy"] = json!("07/12/2026");
    let batch = call(
        &session,
        "CapNhatTienDoHoSoMC",
        "",
        json!([step(code, "5", "20261207093000"), unreadable]),
    );
    let (status, kind, body) = post(&app, CALL, &batch).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (422, Some("01")),
        "{body}"
    );
    assert!(kind.starts_with("application/problem+json"));
    assert_eq!(statuses(&body), ["applied", "invalid"]);
    let fields: Vec<&str> = body["result"][1]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(fields, ["TrangThai", "ThoiDiemXuLy"]);
    let (_, _, body) = post(&app, CALL, &batch).await;
    assert_eq!(statuses(&body), ["duplicate", "invalid"]);

    // a status the lifecycle does not allow from a supplement asked (5):
    // refused with why (05), kept in quarantine, and refused again when
    // sent again (sending it again does not make it lawful)
    let unlawful = call(
        &session,
        "DongBoHoSoMC",
        "True",
        json!([dossier(code, "3")]),
    );
    for _ in 0..2 {
        let (status, _, body) = post(&app, CALL, &unlawful).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (422, Some("05")),
            "{body}"
        );
        assert_eq!(statuses(&body), ["quarantined"]);
        assert!(
            body["result"][0]["message"]
                .as_str()
                .unwrap_or("")
                .contains("Yêu cầu bổ sung"),
            "{body}"
        );
    }
    let quarantined = app
        .store
        .sync()
        .open_messages(store::MessageVerdict::Quarantined, Some(UNIT), 10)
        .await
        .expect("read");
    assert_eq!(quarantined.len(), 1);

    // a unit that is not this system's: 03, nothing kept
    let mut elsewhere = call(
        &session,
        "DongBoHoSoMC",
        "False",
        json!([dossier(other, "2")]),
    );
    elsewhere["madonvi"] = json!("000.00.01.H20");
    let (status, _, body) = post(&app, CALL, &elsewhere).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (403, Some("03")),
        "{body}"
    );
    assert!(
        app.store
            .sync()
            .synced(other)
            .await
            .expect("read")
            .is_none()
    );

    // another province's system cannot touch this one's dossier
    let their_password = connect(&app, "ha-giang-igate", &["000.00.01.H20"]).await;
    let theirs = log_in(&app, "ha-giang-igate", &their_password).await;
    let mut returned = dossier(code, "10");
    returned["NgayTra"] = json!("20261207150000");
    let mut intruding = call(&theirs, "DongBoHoSoMC", "True", json!([returned]));
    intruding["madonvi"] = json!("000.00.01.H20");
    let (status, _, body) = post(&app, CALL, &intruding).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (422, Some("05")),
        "{body}"
    );
    assert_eq!(statuses(&body), ["not-yours"]);
    let mut peek = lookup.clone();
    peek["session"] = json!(theirs);
    peek["madonvi"] = json!("000.00.01.H20");
    let (_, _, body) = post(&app, CALL, &peek).await;
    assert_eq!(body["result"], json!([]), "another's dossier is not shown");

    // no session, a made-up one: 02
    let mut bare = call("", "DongBoHoSoMC", "False", json!([dossier(other, "2")]));
    for session in [json!(""), json!("bịa-ra"), Value::Null] {
        bare["session"] = session;
        let (status, _, body) = post(&app, CALL, &bare).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (401, Some("02")),
            "{body}"
        );
    }

    // a service not answered, no packets, too many: 01, saying what to do
    let (status, _, body) = post(&app, CALL, &call(&session, "XoaHoSo", "", json!([]))).await;
    assert_eq!((status, body["error_code"].as_str()), (422, Some("01")));
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("DongBoHoSoMC")
    );
    let (status, _, body) = post(&app, CALL, &call(&session, "DongBoHoSoMC", "", json!([]))).await;
    assert_eq!((status, body["error_code"].as_str()), (422, Some("01")));
    let many: Vec<Value> = (0..101).map(|_| dossier(other, "2")).collect();
    let (status, _, body) =
        post(&app, CALL, &call(&session, "DongBoHoSoMC", "", json!(many))).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (413, Some("01")),
        "{body}"
    );
    assert!(
        app.store
            .sync()
            .synced(other)
            .await
            .expect("read")
            .is_none()
    );

    // a new password: the old sessions end at once
    web::services::backoffice::offices::renew_password(
        app.store.as_ref(),
        "tuyen-quang-igate",
        "test",
        chrono::Utc::now(),
    )
    .await
    .expect("renewed");
    let (status, _, body) = post(&app, CALL, &lookup).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (401, Some("02")),
        "{body}"
    );
    let (status, _, _) = post(
        &app,
        LOGIN,
        &json!({"username": "tuyen-quang-igate", "password": password}),
    )
    .await;
    assert_eq!(status, 401, "the old password ends too");
}

#[tokio::test]
async fn log_ins_are_limited_per_back_office() {
    let app = TestApp::spawn().await;
    connect(&app, "lao-cai-igate", &["000.00.00.H39"]).await;
    let wrong = json!({"username": "lao-cai-igate", "password": "không-đúng-mật-khẩu"});
    for _ in 0..web::ratelimit::ADAPTER_LOGINS_PER_MINUTE {
        let (status, _, _) = post(&app, LOGIN, &wrong).await;
        assert_eq!(status, 401);
    }
    let res = app
        .client
        .post(format!("{}{LOGIN}", app.base))
        .json(&wrong)
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().get("retry-after").is_some());
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["error_code"], "04");
}

/// Whatever a system sends with a valid session, the adapter answers with
/// an `error_code` and never fails itself; nothing unreadable is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_calls_are_answered_with_a_code_and_keep_nothing() {
    let app = TestApp::spawn().await;
    let password = connect(&app, "cao-bang-igate", &[UNIT]).await;
    let session = log_in(&app, "cao-bang-igate", &password).await;
    let code = "000.00.12.H56-261207-0009";
    let mut packets = Vec::new();
    for (field, value) in [
        ("MaHoSo", json!({"a": 1})),
        ("MaHoSo", json!("")),
        ("TrangThaiHoSo", json!([1])),
        ("TrangThaiHoSo", json!("0")),
        ("TrangThaiHoSo", json!(-4)),
        ("NgayTiepNhan", json!(20261207)),
        ("NgayTiepNhan", json!("20261332083000")),
        ("NgayHenTra", json!(["20261208170000"])),
        ("LoaiDoiTuong", json!({"x": null})),
        ("KenhThucHien", json!("điện tử")),
        ("TaiLieuNop", json!("không phải danh sách")),
        ("DanhSachLePhi", json!([{"Gia": "một trăm"}])),
        ("TrichYeuHoSo", json!("x".repeat(5000))),
    ] {
        let mut p = dossier(code, "2");
        p[field] = value;
        packets.push(p);
    }
    let mut bodies: Vec<Value> = packets
        .into_iter()
        .map(|p| call(&session, "DongBoHoSoMC", "False", json!([p])))
        .collect();
    for data in [
        json!("một chuỗi"),
        json!(42),
        json!([null]),
        json!([[]]),
        json!([1, "a"]),
    ] {
        bodies.push(call(&session, "DongBoHoSoMC", "False", data.clone()));
        bodies.push(call(&session, "CapNhatTienDoHoSoMC", "", data));
    }
    for service in [json!(null), json!(7), json!(["DongBoHoSoMC"])] {
        let mut b = call(
            &session,
            "DongBoHoSoMC",
            "False",
            json!([dossier(code, "2")]),
        );
        b["service"] = service;
        bodies.push(b);
    }
    for body in &bodies {
        let (status, _, answer) = post(&app, CALL, body).await;
        assert!(
            (400..500).contains(&status),
            "{status} for {body}: {answer}"
        );
        assert_eq!(answer["error_code"], "01", "{status} for {body}: {answer}");
    }
    assert!(app.store.sync().synced(code).await.expect("read").is_none());
    assert!(
        app.store
            .sync()
            .sync_messages(code)
            .await
            .expect("read")
            .is_empty(),
        "nothing unreadable is kept"
    );
}

/// `method` on `path` with the operator's `token` and `body`: the status
/// and the JSON answered (null when there is none).
async fn as_operator(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("an answer");
    let status = res.status().as_u16();
    let text = res.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An operator's system connects, watches, changes and disconnects back
/// offices through the API, each change in the audit trail as its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_manage_back_offices_through_the_api() {
    use reqwest::Method;
    let app = TestApp::spawn().await;
    let operator = app.operator_token().await;
    let op = |method: Method, path: &'static str, body: Option<Value>| {
        as_operator(&app, &operator, method, path, body)
    };

    // every problem of a configuration at once, each by field
    let (status, body) = op(
        Method::POST,
        "/api/v1/back-offices",
        Some(json!({"id": "X", "name": "", "province": "99", "units": [], "delivery": "push"})),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["id", "name", "units", "endpoint", "province"],
        "{body}"
    );

    let (status, credentials) = op(
        Method::POST,
        "/api/v1/back-offices",
        Some(json!({
            "id": "dien-bien-igate", "name": "Một cửa Điện Biên", "province": "11",
            "units": [UNIT], "delivery": "pull"
        })),
    )
    .await;
    assert_eq!(status, 201);
    let password = credentials["password"].as_str().expect("a password");
    // a unit another back office has: 409
    let (status, _) = op(
        Method::POST,
        "/api/v1/back-offices",
        Some(json!({"id": "lai-chau-igate", "name": "Lai Châu", "province": "12", "units": [UNIT], "delivery": "pull"})),
    )
    .await;
    assert_eq!(status, 409);

    // it logs in and sends; the operator sees its activity
    let session = log_in(&app, "dien-bien-igate", password).await;
    let code = "000.00.12.H56-261207-0042";
    let (status, _, _) = post(
        &app,
        CALL,
        &call(
            &session,
            "DongBoHoSoMC",
            "False",
            json!([dossier(code, "2")]),
        ),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = post(
        &app,
        CALL,
        &call(
            &session,
            "DongBoHoSoMC",
            "True",
            json!([dossier(code, "3")]),
        ),
    )
    .await;
    assert_eq!(status, 422, "quarantined");
    let (_, listed) = op(Method::GET, "/api/v1/back-offices", None).await;
    let mine = &listed[0];
    assert_eq!(mine["id"], "dien-bien-igate");
    assert_eq!(mine["received_24h"]["applied"], 1);
    assert_eq!(mine["received_24h"]["quarantined"], 1);
    assert_eq!(mine["quarantined"], 1);
    assert!(mine["last_received"].is_string());

    // changed, a new password, disconnected: each in the trail, by whom
    let (status, changed) = op(
        Method::PUT,
        "/api/v1/back-offices/dien-bien-igate",
        Some(json!({"name": "Một cửa tỉnh Điện Biên", "province": "11", "units": [UNIT, "000.00.13.H56"], "delivery": "pull"})),
    )
    .await;
    assert_eq!(status, 200);
    // answered with its activity, which a change does not reset
    assert_eq!(changed["units"].as_array().map(Vec::len), Some(2));
    assert_eq!(changed["received_24h"]["applied"], 1, "{changed}");
    let (status, _) = op(
        Method::POST,
        "/api/v1/back-offices/dien-bien-igate/password",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = op(Method::DELETE, "/api/v1/back-offices/dien-bien-igate", None).await;
    assert_eq!(status, 204);
    let (status, _) = op(Method::DELETE, "/api/v1/back-offices/dien-bien-igate", None).await;
    assert_eq!(status, 404);
    let (_, trail) = op(
        Method::GET,
        "/api/v1/back-offices/dien-bien-igate/changes",
        None,
    )
    .await;
    let trail = trail.as_array().expect("a trail");
    let actions: Vec<&str> = trail.iter().filter_map(|c| c["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["connected", "changed", "password", "disconnected"]
    );
    assert!(
        trail.iter().all(|c| c["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("operator "))),
        "{trail:?}"
    );
    assert!(
        !serde_json::to_string(trail)
            .unwrap_or_default()
            .contains(password),
        "no secret in the trail"
    );

    // this node reports nothing upstream: its dossiers wait for no one
    let agency = dossier::AgencyCode::parse("UBND.00004").expect("an agency");
    crate::network::filed_there(app.store.as_ref(), &agency, "01", 2).await;
    let (_, upstream) = op(Method::GET, "/api/v1/upstream", None).await;
    assert_eq!(
        (
            upstream["reports_upstream"].as_bool(),
            upstream["waiting"].as_u64(),
            upstream["alert"].as_bool()
        ),
        (Some(false), Some(0), Some(false)),
        "{upstream}"
    );
}

/// The synchronisation's gauges reach Prometheus: a back office's
/// quarantine, and on a node reporting upstream, what waits and the alert
/// once the oldest has waited too long.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_synchronisation_is_watched_through_prometheus() {
    let app = TestApp::spawn().await;
    let password = connect(&app, "son-la-igate", &[UNIT]).await;
    let session = log_in(&app, "son-la-igate", &password).await;
    let code = "000.00.12.H56-261207-0077";
    for (status, updating) in [("2", "False"), ("3", "True")] {
        post(
            &app,
            CALL,
            &call(
                &session,
                "DongBoHoSoMC",
                updating,
                json!([dossier(code, status)]),
            ),
        )
        .await;
    }
    // a dossier of this node that nothing sends: it waits
    let crate::dossiers::Staffed { citizen, token, .. } = crate::dossiers::staffed(&app).await;
    crate::dossiers::file_birth(&app, &token, citizen.commune_code).await;
    let gauges = web::services::backoffice::status::spawn_gauges(
        app.store.clone(),
        std::time::Duration::from_millis(100),
        Some(std::time::Duration::ZERO),
    );
    let wanted = [
        r#"integration_open_messages{office="son-la-igate",verdict="quarantined"} 1"#,
        "upstream_waiting_dossiers 1",
        "upstream_alert 1",
    ];
    let mut body = String::new();
    for _ in 0..100 {
        body = app.get("/metrics").await.body;
        if wanted.iter().all(|w| body.contains(w)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    gauges.abort();
    for w in wanted {
        assert!(body.contains(w), "{w} is not in:\n{body}");
    }
    assert!(body.contains(r#"integration_last_received_timestamp_seconds{office="son-la-igate"}"#));
}

/// A dossier of this node that failed to be sent upstream.
async fn failing_upstream(app: &TestApp) -> dossier::DossierCode {
    let agency = dossier::AgencyCode::parse("UBND.00691").expect("agency");
    let procedure = dossier::Catalog::official()
        .expect("catalog")
        .get("khai-sinh")
        .expect("a procedure");
    let calendar = calendar::WorkingCalendar::official().expect("calendar");
    let day = chrono::Utc::now().date_naive();
    let make = |code: dossier::DossierCode| {
        dossier::sample::returned(code, &agency, "08", procedure, &calendar, day)
            .map(|d| (d, None))
            .map_err(|e| store::StoreError::refused(e.to_string()))
    };
    let out = app
        .store
        .dossiers()
        .create_dossiers(
            &[store::NewDossier {
                agency: &agency,
                day,
                at: chrono::Utc::now(),
                make: &make,
            }],
            &mut |_| Vec::new(),
        )
        .await
        .expect("stored");
    let code = out[0].as_ref().expect("filed").dossier.code.clone();
    app.store
        .dossiers()
        .upstream_failed(
            &code,
            3,
            chrono::Utc::now() + chrono::Duration::hours(1),
            "the national portal answered 503",
        )
        .await
        .expect("recorded");
    code
}

#[tokio::test]
async fn the_operators_page_shows_each_operator_their_provinces_back_offices() {
    // a province's node reporting upstream, with back offices of its own
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        upstream_alert: Some(std::time::Duration::from_secs(15 * 60)),
        ..Default::default()
    })
    .await;
    connect(&app, "tuyen-quang-igate", &[UNIT, "UBND.00691"]).await;
    web::services::backoffice::offices::connect(
        app.store.as_ref(),
        units::Units::get(),
        backoffice::office::Draft {
            id: "ha-noi-igate".into(),
            name: "Hệ thống một cửa Hà Nội".into(),
            province: "01".into(),
            units: ["000.00.00.H26".to_string()].into_iter().collect(),
            endpoint: None,
            delivery: backoffice::Delivery::Pull,
            keys: Vec::new(),
        },
        "test",
        chrono::Utc::now(),
    )
    .await
    .expect("connected");
    failing_upstream(&app).await;
    let year = registry::PartialDate::parse("1990").expect("a year");
    let people = [
        ("008190000101", "VANHANH.08"),
        ("001190000102", "VANHANH"),
        ("001190000103", ""),
    ];
    let mut sessions = Vec::new();
    for (pin, agency) in people {
        let who = app
            .open_account(pin, year, domain::Sex::Female, "Lê Thị Vận Hành")
            .await;
        if !agency.is_empty() {
            crate::dossiers::set_staff(
                &app,
                who,
                &dossier::AgencyCode::parse(agency).expect("an agency"),
                dossier::Role::Officer,
            )
            .await;
        }
        sessions.push(app.log_in_on_portal(pin).await);
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let page = |sid: String| {
        let request = http
            .get(app.url("/van-hanh"))
            .header("cookie", format!("motcua_sid={sid}"));
        async move {
            let r = request.send().await.expect("an answer");
            (r.status().as_u16(), r.text().await.expect("a page"))
        }
    };
    // the province's operator: its back office only, and the queue upstream
    let (status, html) = page(sessions[0].clone()).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains(r#"<a href="/van-hanh" aria-current="page">"#),
        "the header links an operator to their page"
    );
    let text = crate::helpers::main_text(&html);
    assert!(
        text.contains("Hệ thống một cửa tuyen-quang-igate"),
        "{text}"
    );
    assert!(!text.contains("Hà Nội"), "{text}");
    assert!(text.contains("Tuyên Quang"), "{text}");
    // the failure in the page's language, the sender's words beside it
    assert!(text.contains("Cổng quốc gia trả lời lỗi"), "{text}");
    assert!(text.contains("the national portal answered 503"), "{text}");
    // the units by their names where they are this portal's agencies
    let name = dossier::agency_name(&dossier::AgencyCode::parse("UBND.00691").expect("a code"))
        .expect("a name")
        .vi;
    assert!(
        text.contains(&name) && !text.contains("UBND.00691"),
        "{text}"
    );
    // the national operator: every one
    let (status, html) = page(sessions[1].clone()).await;
    assert_eq!(status, 200);
    let text = crate::helpers::main_text(&html);
    assert!(text.contains("tuyen-quang-igate") && text.contains("Hệ thống một cửa Hà Nội"));
    assert!(text.contains("Toàn quốc"), "{text}");
    // anyone else: not allowed
    let (status, _) = page(sessions[2].clone()).await;
    assert_eq!(status, 403);
    // "send again now": with the session's form token only
    let csrf = crate::login::hidden(&html, "csrf_token");
    let post = |sid: &str, token: &str| {
        http.post(app.url("/van-hanh/gui-lai"))
            .header("cookie", format!("motcua_sid={sid}"))
            .form(&[("csrf_token", token)])
            .send()
    };
    let forged = post(&sessions[1], "forged").await.expect("an answer");
    assert_ne!(forged.status().as_u16(), 303);
    let backlog = app.store.dossiers().upstream_backlog().await.expect("read");
    assert_eq!(backlog.failing, 1);
    assert!(
        backlog
            .last_error
            .is_some_and(|(_, next)| next > chrono::Utc::now())
    );
    let done = post(&sessions[1], &csrf).await.expect("an answer");
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(done.headers()["location"], "/van-hanh?gui-lai=1");
    let backlog = app.store.dossiers().upstream_backlog().await.expect("read");
    assert!(
        backlog
            .last_error
            .is_some_and(|(_, next)| next <= chrono::Utc::now())
    );
}

/// A member's public key as the exchange configuration lists it.
fn listed(key: &exchange::MemberKey) -> web::services::exchange::node::DemoMember {
    web::services::exchange::node::DemoMember {
        member: exchange::Member {
            id: key.member.clone(),
            name: "Hệ thống một cửa tỉnh Tuyên Quang".into(),
            kind: exchange::MemberKind::Province,
        },
        key_id: key.key_id.0.clone(),
        seed: None,
        public_key: Some(hex::encode(key.public().to_bytes())),
        retired: Vec::new(),
    }
}

#[tokio::test]
async fn a_back_office_calls_over_the_signed_profile_and_each_call_is_in_the_message_log() {
    let member = |sub: &str| -> exchange::MemberId {
        format!("VN/GOV/000.00.00.H56/{sub}")
            .parse()
            .expect("a member id")
    };
    // the province's key, made as its operator makes it
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("upstream-key.json");
    let made = |out: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
            .args(["backoffice", "key", "--member"])
            .arg(member("tuyen-quang-igate").to_string())
            .args(["--name", "Hệ thống một cửa tỉnh Tuyên Quang", "--out"])
            .arg(out)
            .output()
            .expect("motcua runs")
    };
    let out = made(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("the listing");
    assert!(
        printed["public_key"].is_string() && printed.get("seed").is_none(),
        "{printed}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file)
            .expect("the key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
    let again = made(&file);
    assert!(!again.status.success(), "never written over");
    assert!(String::from_utf8_lossy(&again.stderr).contains("never written over"));
    let ours = web::services::exchange::node::DemoMember::load_key(&file).expect("the key");
    assert_eq!(
        hex::encode(ours.public().to_bytes()),
        printed["public_key"].as_str().expect("hex")
    );
    let stranger = exchange::MemberKey::generate(member("khac"), exchange::KeyId("khac-1".into()));
    let (a, b) = (listed(&ours), listed(&stranger));
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        configure: Some(Box::new(move |c| {
            c.consumers.push(a);
            c.consumers.push(b);
        })),
        ..Default::default()
    })
    .await;
    connect(&app, "tuyen-quang-igate", &[UNIT]).await;
    let upstream = |key: &exchange::MemberKey| {
        web::services::backoffice::upstream::Upstream::new(&app.url(CALL), "", "", &app.base)
            .signed_by(key.clone())
    };
    let before = app
        .store
        .exchange()
        .log_range(1, 100_000)
        .await
        .expect("the log")
        .len();

    // a dossier and its step, each call signed, no session
    let mut link = web::services::backoffice::upstream::Link::new(upstream(&ours)).expect("a link");
    let code = "000.00.12.H56-261207-0001";
    let answer = link
        .call(UNIT, "DongBoHoSoMC", json!({"data": [dossier(code, "2")]}))
        .await
        .expect("taken");
    assert_eq!(answer["result"][0]["status"], "applied", "{answer}");
    let answer = link
        .call(
            UNIT,
            "CapNhatTienDoHoSoMC",
            json!({"data": [step(code, "2", "20261207090000")]}),
        )
        .await
        .expect("taken");
    assert_eq!(answer["result"][0]["error_code"], "00", "{answer}");
    assert_eq!(
        app.store
            .sync()
            .synced(code)
            .await
            .expect("read")
            .map(|k| k.lifecycle.status()),
        Some(dossier::Status::Received)
    );
    // each call in the message log, as the member's
    let log = app
        .store
        .exchange()
        .log_range(1, 100_000)
        .await
        .expect("the log");
    let calls: Vec<_> = log[before..]
        .iter()
        .filter(|e| e.record.service == "dossiers.sync")
        .collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.iter().all(|e| e.record.consumer == ours.member));
    assert_eq!(calls[0].record.fields, vec!["DongBoHoSoMC".to_string()]);
    assert!(calls.iter().all(|e| e.record.response_digest.is_some()));

    // the answer is signed by the portal and names its entry
    let body =
        serde_json::to_vec(&json!({"madonvi": UNIT, "service": "TraCuuHoSo", "mahoso": code}))
            .expect("a body");
    let mut request = exchange::HttpRequest {
        method: "POST".into(),
        uri: format!("{}/signed", app.url(CALL)),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.clone(),
    };
    exchange::sign_request(
        &mut request,
        &ours,
        chrono::Utc::now(),
        chrono::Duration::minutes(5),
    )
    .expect("signed");
    let send = |request: &exchange::HttpRequest| {
        let mut builder = app.client.post(&request.uri);
        for (k, v) in &request.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        builder.body(request.body.clone()).send()
    };
    let res = send(&request).await.expect("answered");
    assert_eq!(res.status().as_u16(), 200);
    let headers: Vec<(String, String)> = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let response = exchange::HttpResponse {
        status: 200,
        headers,
        body: res.bytes().await.expect("a body").to_vec(),
    };
    let provider = app.exchange.provider.key().expect("the portal's key");
    let mut ring = exchange::KeyRing::new();
    ring.insert(exchange::RegisteredKey {
        key_id: provider.key_id.clone(),
        member: provider.member.clone(),
        key: provider.public(),
        valid_from: chrono::DateTime::<chrono::Utc>::MIN_UTC,
        valid_until: None,
    })
    .expect("a key");
    exchange::verify_response(&response, &ring, chrono::Utc::now(), &provider.member)
        .expect("the answer is the portal's");
    assert!(
        exchange::HttpMessage::header(&response, "x-log-entry").is_some(),
        "it names its entry"
    );

    // unsigned, or changed after signing: refused, nothing kept
    let mut unsigned = request.clone();
    unsigned
        .headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case("signature"));
    assert_eq!(
        send(&unsigned).await.expect("answered").status().as_u16(),
        401
    );
    let mut changed = request.clone();
    changed.body = serde_json::to_vec(
        &json!({"madonvi": UNIT, "service": "DongBoHoSoMC", "data": [dossier(code, "10")]}),
    )
    .expect("a body");
    let refused = send(&changed).await.expect("answered");
    assert_eq!(refused.status().as_u16(), 401);
    let refused: Value = refused.json().await.expect("JSON");
    assert_eq!(refused["error_code"], "02");
    // a member that speaks for no back office
    let mut link =
        web::services::backoffice::upstream::Link::new(upstream(&stranger)).expect("a link");
    let e = link
        .call(UNIT, "DongBoHoSoMC", json!({"data": [dossier(code, "10")]}))
        .await
        .expect_err("refused");
    assert!(e.contains("03"), "{e}");
    assert_eq!(
        app.store
            .sync()
            .synced(code)
            .await
            .expect("read")
            .map(|k| k.lifecycle.status()),
        Some(dossier::Status::Received),
        "nothing of the refused calls was kept"
    );
}

/// What a province's back office reports reaches the person on the
/// national portal: a dossier received at the province's counter is on
/// their list and opens as its own page (for them only), one they filed
/// here and the province processes shows the status and the steps the
/// province reports (and no act judged against the stale record), and
/// the public look-up tells the reported status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_sees_what_a_province_reports_of_their_dossiers() {
    use crate::dossiers::{dossier_page, file_birth, people, person_token};
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let (p, other) = (&everyone[0], &everyone[1]);
    let (_, token) = person_token(&app, p).await;
    let filed = file_birth(&app, &token, p.commune_code).await;
    let counter = reported_by_a_province(&app, &p.personal_id, &filed).await;
    let counter = counter.as_str();

    // the list holds both, each with the status reported
    let portal = app.log_in_on_portal(&p.personal_id).await;
    let list = app
        .send(
            app.client
                .get(app.url("/ho-so"))
                .header("cookie", format!("motcua_sid={portal}")),
        )
        .await;
    assert_eq!(list.status.as_u16(), 200);
    let text = crate::helpers::main_text(&list.body);
    for code in [counter, filed.as_str()] {
        assert!(
            list.body.contains(&format!("/ho-so/{code}")),
            "{code}: {text}"
        );
    }
    assert!(
        text.contains("Đang xử lý") && text.contains("Yêu cầu bổ sung"),
        "the statuses reported: {text}"
    );

    // the counter's dossier opens as its own page, with its steps
    let page = dossier_page(&app, &portal, counter).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    let text = crate::helpers::main_text(&page.body);
    for expected in [
        "Đăng ký khai sinh",
        "Chuyển bộ phận tư pháp thẩm định",
        "Tư pháp - Hộ tịch",
        "Nguyễn Thị Hoa",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    // nobody else's
    person_token(&app, other).await;
    let stranger = app.log_in_on_portal(&other.personal_id).await;
    assert_eq!(
        dossier_page(&app, &stranger, counter).await.status.as_u16(),
        404
    );

    // the one filed here: the status the province reports, its steps,
    // and no act on the stale record
    let page = dossier_page(&app, &portal, &filed).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    let text = crate::helpers::main_text(&page.body);
    assert!(
        page.body.contains(r#"id="dossier-status" data-status="5""#),
        "{text}"
    );
    assert!(
        text.contains("Đề nghị bổ sung bản sao giấy chứng sinh"),
        "{text}"
    );
    assert!(page.body.contains(r#"id="reported-elsewhere""#), "{text}");
    assert!(!page.body.contains("id=\"act-"), "no act: {text}");
    assert!(!page.body.contains("id=\"attach-form\""), "no file: {text}");

    // the applicant's own list through the API: both, with whose they are
    let listed = app
        .send(
            app.client
                .get(app.url("/api/v1/dossiers/reported"))
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(listed.status.as_u16(), 200, "{}", listed.body);
    let listed = listed.json();
    let mut seen: Vec<(String, bool, u64)> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["filed_here"].as_bool().unwrap_or_default(),
                d["status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    seen.sort();
    let mut expected = vec![(counter.to_string(), false, 4), (filed.clone(), true, 5)];
    expected.sort();
    assert_eq!(seen, expected);

    // the public look-up and the API tell the reported status
    let found = app.get(&format!("/api/v1/dossiers/{counter}")).await;
    assert_eq!(found.status.as_u16(), 200, "{}", found.body);
    assert_eq!(found.json()["status"], 4);
    assert_eq!(found.json()["agency"], UNIT);
    let found = app.get(&format!("/api/v1/dossiers/{filed}")).await;
    assert_eq!(found.json()["status"], 5, "{}", found.body);
    let looked = app.get(&format!("/tra-cuu-ho-so?ma={counter}")).await;
    assert_eq!(looked.status.as_u16(), 200);
    assert!(
        crate::helpers::main_text(&looked.body).contains("Đang xử lý"),
        "{}",
        looked.body
    );
}

/// A province's back office connected for the unit of `filed` (a
/// dossier filed here) and for its own counter, reporting `filed`
/// received and a supplement asked for, and a dossier of the person with
/// `pin` received at its counter and sent for appraisal; that dossier's
/// code.
pub(crate) async fn reported_by_a_province(app: &TestApp, pin: &str, filed: &str) -> String {
    let agency = filed.split('-').next().expect("an agency").to_string();
    let password = connect(app, "tinh-igate", &[UNIT, &agency]).await;
    let session = log_in(app, "tinh-igate", &password).await;
    let counter = "000.00.12.H56-261207-0042";
    let mut packet = dossier(counter, "2");
    packet["DinhDanhCHS"] = json!([{"LoaiDinhDanh": "1", "SoDinhDanh": pin}]);
    let (_, _, body) = post(
        app,
        CALL,
        &call(&session, "DongBoHoSoMC", "False", json!([packet])),
    )
    .await;
    assert_eq!(statuses(&body), ["applied"], "{body}");
    let mut moved = step(counter, "4", "20261207093000");
    moved["NoiDungXuLy"] = json!("Chuyển bộ phận tư pháp thẩm định");
    moved["PhongBanXuLy"] = json!("Tư pháp - Hộ tịch");
    let (_, _, body) = post(
        app,
        CALL,
        &call(&session, "CapNhatTienDoHoSoMC", "False", json!([moved])),
    )
    .await;
    assert_eq!(statuses(&body), ["applied"], "{body}");

    // the one filed here, processed at the province: received there,
    // then a supplement asked for
    let mut here = dossier(filed, "2");
    here["DinhDanhCHS"] = json!([{"LoaiDinhDanh": "1", "SoDinhDanh": pin}]);
    let mut asked = step(filed, "5", "20261207100000");
    asked["NoiDungXuLy"] = json!("Đề nghị bổ sung bản sao giấy chứng sinh");
    for (service, packet) in [
        ("DongBoHoSoMC", here),
        ("CapNhatTienDoHoSoMC", step(filed, "4", "20261207094500")),
        ("CapNhatTienDoHoSoMC", asked),
    ] {
        let mut c = call(&session, service, "False", json!([packet]));
        c["madonvi"] = json!(agency);
        let (_, _, body) = post(app, CALL, &c).await;
        assert_eq!(statuses(&body), ["applied"], "{service}: {body}");
    }
    counter.to_string()
}

/// A back office's signing key configured with the back office itself
/// (`motcua backoffice connect --key`, or `keys` in the API), not in the
/// exchange's configuration: its signed calls are taken, a key it does
/// not list is refused, the change is in its audit trail, and once the key
/// is removed its calls are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_back_offices_key_is_configured_with_it_and_audited() {
    let app = TestApp::spawn().await;
    let member: exchange::MemberId = "VN/GOV/000.00.00.H56/tuyen-quang-igate"
        .parse()
        .expect("a member");
    let dir = tempfile::tempdir().expect("a directory");
    let key_file = dir.path().join("key.json");
    let printed = crate::helpers::succeeds(
        std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
            .args(["backoffice", "key", "--member", &member.to_string()])
            .args(["--name", "Hệ thống một cửa tỉnh Tuyên Quang", "--out"])
            .arg(&key_file),
    );
    let listing = dir.path().join("listing.json");
    std::fs::write(&listing, printed).expect("the listing kept");
    let command = |extra: &[&std::ffi::OsStr], command: &str| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"));
        c.args(["backoffice", command, "tuyen-quang-igate"])
            .args([
                "--name",
                "Hệ thống một cửa tỉnh Tuyên Quang",
                "--province",
                "08",
            ])
            .args(["--unit", UNIT, "--pull", "--data-dir"])
            .arg(app.data_dir())
            .args(extra);
        c
    };
    let office = |extra: &[&std::ffi::OsStr], name: &str| {
        crate::helpers::succeeds(&mut command(extra, name));
    };
    office(&["--key".as_ref(), listing.as_os_str()], "connect");
    // a listing that is a private key is refused, saying so
    let refused = command(&["--key".as_ref(), key_file.as_os_str()], "reconfigure")
        .output()
        .expect("motcua runs");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("private key seed"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let ours = web::services::exchange::node::DemoMember::load_key(&key_file).expect("the key");
    let stranger = exchange::MemberKey::generate(member.clone(), exchange::KeyId("khac-1".into()));
    let link = |key: &exchange::MemberKey| {
        web::services::backoffice::upstream::Link::new(
            web::services::backoffice::upstream::Upstream::new(&app.url(CALL), "", "", &app.base)
                .signed_by(key.clone()),
        )
        .expect("a link")
    };
    let code = "000.00.12.H56-261208-0001";
    let answer = link(&ours)
        .call(UNIT, "DongBoHoSoMC", json!({"data": [dossier(code, "2")]}))
        .await
        .expect("taken");
    assert_eq!(answer["result"][0]["status"], "applied", "{answer}");
    let not_listed = link(&stranger)
        .call(UNIT, "TraCuuHoSo", json!({"mahoso": code}))
        .await
        .expect_err("a key it does not list");
    assert!(not_listed.contains("02"), "{not_listed}");

    // its configuration, keys included, in its audit trail
    let trail = async || {
        app.store
            .sync()
            .office_changes("tuyen-quang-igate")
            .await
            .expect("its trail")
    };
    let changes = trail().await;
    assert_eq!(
        changes[0].detail["keys"][0]["key_id"],
        json!(ours.key_id.0),
        "{:?}",
        changes[0].detail
    );

    // reconfigured without it: its calls are refused
    office(&[], "reconfigure");
    let removed = link(&ours)
        .call(UNIT, "TraCuuHoSo", json!({"mahoso": code}))
        .await
        .expect_err("no key listed any more");
    assert!(removed.contains("02"), "{removed}");
    let changes = trail().await;
    assert_eq!(changes.len(), 2);
    assert!(
        changes[1].detail.get("keys").is_none(),
        "{:?}",
        changes[1].detail
    );
}

/// An operator lists what waits for a back office: each dossier with its
/// version, the one acknowledged, and why it is held back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_sees_what_waits_for_a_back_office_and_why() {
    let app = TestApp::spawn().await;
    let operator = app.operator_token().await;
    let unit = "SOTP.08";
    connect(&app, "tuyen-quang-igate", &[UNIT, unit]).await;
    let agency = dossier::AgencyCode::parse(unit).expect("an agency");
    let codes = crate::network::filed_there(app.store.as_ref(), &agency, "08", 2).await;
    assert!(
        app.store
            .sync()
            .down_held(
                "tuyen-quang-igate",
                &codes[1],
                1,
                "held by the back office: the code is taken here"
            )
            .await
            .expect("held")
    );
    let (status, body) = as_operator(
        &app,
        &operator,
        reqwest::Method::GET,
        "/api/v1/back-offices/tuyen-quang-igate/deliveries",
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let listed: Vec<(String, i64, i64, Value)> = body
        .as_array()
        .expect("a list")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["version"].as_i64().unwrap_or_default(),
                d["attempts"].as_i64().unwrap_or_default(),
                d["error"].clone(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        vec![
            (codes[0].clone(), 1, 0, Value::Null),
            (
                codes[1].clone(),
                1,
                1,
                json!("held by the back office: the code is taken here")
            ),
        ]
    );
    let (status, body) = as_operator(
        &app,
        &operator,
        reqwest::Method::GET,
        "/api/v1/back-offices/khong-co/deliveries",
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

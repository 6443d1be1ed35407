// tests: backoffice
//! The national side of the back offices' synchronisation, against the
//! real store: a province's packets about its dossiers applied through
//! the lawful acts, kept once, never rewritten, overtaken ones recognised,
//! unlawful ones quarantined with why, unreadable ones refused naming every
//! field; concurrent packets about one dossier all applied, one at a time.

use backoffice::DongBoHoSoMC;
use chrono::Utc;
use dossier::{Action, Outcome, Status};
use serde_json::json;
use store::MessageVerdict;
use web::services::backoffice::{ReceiveError, Received, receive_packet, receive_step};

use crate::helpers::TestApp;

/// The dossier `code` as known.
async fn known(store: &dyn store::Store, code: &str) -> store::Synced {
    store
        .sync()
        .synced(code)
        .await
        .expect("read")
        .expect("known")
}

/// The fields named by the refusal of an unreadable packet.
fn invalid(r: Result<Received, ReceiveError>) -> Vec<&'static str> {
    match r {
        Err(ReceiveError::Invalid(problems)) => problems.iter().map(|p| p.field).collect(),
        other => panic!("refused, not {other:?}"),
    }
}

/// A packet about `code`, received at a counter (channel 1), saying
/// `status`, with `note` as its `GhiChu`.
fn packet(code: &str, status: u8, note: &str) -> DongBoHoSoMC {
    let mut v = json!({
        "MaHoSo": code,
        "MaTTHC": "1.001193",
        "TenTTHC": "Đăng ký khai sinh",
        "ChuHoSo": "Nguyễn Văn An",
        "LoaiDoiTuong": "1",
        "KenhThucHien": "1",
        "NgayNopHoSo": "20261207080000",
        "NgayTiepNhan": "20261207080000",
        "NgayHenTra": "20261208170000",
        "TrangThaiHoSo": status.to_string(),
        "GhiChu": note,
        "MaCoQuanTiepNhan": "H29.12"
    });
    if status == 10 {
        v["NgayTra"] = json!("20261208100000");
    }
    serde_json::from_value(v).expect("a packet")
}

#[tokio::test]
async fn a_provinces_packets_move_its_dossier_lawfully_once_each() {
    let app = TestApp::spawn().await;
    let store = &*app.store;
    let code = "H29.12-261207-0001";
    let receive =
        |p: DongBoHoSoMC| async move { receive_packet(store, "H29", &p, Utc::now()).await };

    let applied = |version: u64, acts: Vec<Action>| Received::Applied { version, acts };
    // each packet in the order sent, and what is done with it
    let steps = [
        // received at the counter: known at once, no act
        (2, "", applied(1, vec![])),
        // the same packet again changes nothing
        (2, "", Received::Duplicate),
        // processing, then a supplement asked: 5 stays 5
        (4, "", applied(2, vec![Action::StartProcessing])),
        (
            5,
            "Thiếu giấy chứng sinh",
            applied(3, vec![Action::RequestSupplement]),
        ),
        // a packet overtaken by what is known (received, sent late)
        (2, "cũ", Received::Stale),
        // a system that sends only the end lands there through the acts
        // between
        (
            10,
            "",
            applied(
                4,
                vec![
                    Action::Supplement,
                    Action::Complete(Outcome::Issued),
                    Action::ReturnResult,
                ],
            ),
        ),
    ];
    for (n, (status, note, expected)) in steps.into_iter().enumerate() {
        assert_eq!(
            receive(packet(code, status, note)).await.expect("taken"),
            expected,
            "packet {}",
            n + 1
        );
        if status == 5 {
            let known = known(store, code).await;
            assert_eq!(known.lifecycle.status(), Status::SupplementRequested);
            assert_eq!(known.packet["TrangThaiHoSo"], "5");
            assert_eq!(known.packet["MaCoQuanTiepNhan"], "H29.12", "kept as sent");
        }
    }
    let kept: Vec<_> = store
        .sync()
        .sync_messages(code)
        .await
        .expect("read")
        .into_iter()
        .map(|m| m.verdict)
        .collect();
    assert_eq!(
        kept,
        [
            MessageVerdict::Applied,
            MessageVerdict::Applied,
            MessageVerdict::Applied,
            MessageVerdict::Stale,
            MessageVerdict::Applied
        ],
        "every message kept once, with what was done with it"
    );
}

#[tokio::test]
async fn an_unlawful_packet_waits_in_quarantine_and_an_unreadable_one_is_refused() {
    let app = TestApp::spawn().await;
    let store = &*app.store;
    let code = "H29.12-261207-0002";
    // refused at intake: an online dossier never received
    let mut refused = packet(code, 3, "Không thuộc thẩm quyền");
    refused.kenh_thuc_hien = Some("2".into());
    refused.ngay_tiep_nhan = None;
    refused.ngay_tu_choi = refused.ngay_nop_ho_so;
    assert_eq!(
        receive_packet(store, "H29", &refused, Utc::now())
            .await
            .expect("taken"),
        Received::Applied {
            version: 1,
            acts: vec![Action::RefuseIntake]
        }
    );
    let Received::Quarantined {
        reason_vi,
        reason_en,
    } = receive_packet(store, "H29", &packet(code, 4, ""), Utc::now())
        .await
        .expect("taken")
    else {
        panic!("a dossier not received is not processed");
    };
    assert!(reason_vi.contains("«Không được tiếp nhận»"), "{reason_vi}");
    assert!(
        reason_en.contains("cannot become 4 (Processing)"),
        "{reason_en}"
    );
    let open = store
        .sync()
        .open_messages(MessageVerdict::Quarantined, Some("H29"), 10)
        .await
        .expect("read");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].code, code);
    assert!(
        open[0]
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("Không được tiếp nhận"))
    );
    // the state did not move
    let known = known(store, code).await;
    assert_eq!(
        (known.version, known.lifecycle.status()),
        (1, Status::NotReceived)
    );

    // unreadable: every problem named, nothing kept
    let mut bad = packet("H29.12-261207-0003", 11, "");
    bad.kenh_thuc_hien = Some("9".into());
    let fields = invalid(receive_packet(store, "H29", &bad, Utc::now()).await);
    assert_eq!(fields, ["TrangThaiHoSo", "KenhThucHien"]);
    assert!(
        store
            .sync()
            .sync_messages("H29.12-261207-0003")
            .await
            .expect("read")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_packets_about_one_dossier_are_all_applied_one_at_a_time() {
    let app = TestApp::spawn().await;
    let code = "H29.12-261207-0004";
    receive_packet(&*app.store, "H29", &packet(code, 2, ""), Utc::now())
        .await
        .expect("taken");
    let sends: Vec<_> = (0..4)
        .map(|i| {
            let store = app.store.clone();
            tokio::spawn(async move {
                receive_packet(
                    &*store,
                    "H29",
                    &packet(code, 2, &format!("cập nhật {i}")),
                    Utc::now(),
                )
                .await
            })
        })
        .collect();
    let mut versions = Vec::new();
    for send in sends {
        match send.await.expect("the task").expect("taken") {
            Received::Applied { version, acts } => {
                assert!(acts.is_empty(), "an update, no act");
                versions.push(version);
            }
            other => panic!("{other:?}"),
        }
    }
    versions.sort();
    assert_eq!(versions, [2, 3, 4, 5], "each applied once, none lost");
    let known = known(&*app.store, code).await;
    assert_eq!(known.version, 5);
}

/// A processing step of `code` that leaves it at `status`.
fn step(code: &str, status: u8, at: &str) -> backoffice::CapNhatTienDoHoSoMC {
    serde_json::from_value(json!({
        "MaHoSo": code,
        "NguoiXuLy": "Trần Thị Bình",
        "ChucDanh": "Công chức",
        "ThoiDiemXuLy": at,
        "PhongBanXuLy": "Tư pháp - Hộ tịch",
        "NoiDungXuLy": "Chuyển xử lý",
        "TrangThai": status.to_string(),
        "NgayBatDau": at,
        "NgayKetThucTheoQuyDinh": "20261208170000"
    }))
    .expect("a step")
}

#[tokio::test]
async fn a_step_moves_its_dossier_and_one_sent_before_its_dossier_waits_for_it() {
    let app = TestApp::spawn().await;
    let store = &*app.store;
    let code = "H29.12-261207-0005";
    // the step comes first: it waits
    let early = step(code, 4, "20261207090000");
    assert_eq!(
        receive_step(store, "H29", &early, Utc::now())
            .await
            .expect("taken"),
        Received::Waiting
    );
    assert_eq!(store.sync().synced(code).await.expect("read"), None);
    let waiting = store
        .sync()
        .open_messages(MessageVerdict::Waiting, Some("H29"), 10)
        .await
        .expect("read");
    assert_eq!(waiting.len(), 1);
    // its dossier's packet comes: the dossier is known, then the step applied
    assert_eq!(
        receive_packet(store, "H29", &packet(code, 2, ""), Utc::now())
            .await
            .expect("taken"),
        Received::Applied {
            version: 1,
            acts: vec![]
        }
    );
    let known = known(store, code).await;
    assert_eq!(
        (known.version, known.lifecycle.status()),
        (2, Status::Processing)
    );
    assert_eq!(
        known.packet["TrangThaiHoSo"], "2",
        "the packet stays the last one sent"
    );
    assert!(
        store
            .sync()
            .open_messages(MessageVerdict::Waiting, None, 10)
            .await
            .expect("read")
            .is_empty(),
        "the waiting step is resolved"
    );
    // the same step again changes nothing; the next one moves it on
    assert_eq!(
        receive_step(store, "H29", &early, Utc::now())
            .await
            .expect("taken"),
        Received::Duplicate
    );
    assert_eq!(
        receive_step(store, "H29", &step(code, 9, "20261208100000"), Utc::now())
            .await
            .expect("taken"),
        Received::Applied {
            version: 3,
            acts: vec![Action::Complete(Outcome::Issued)]
        }
    );
    // a step that cannot be read names its fields
    let mut bad = step(code, 4, "");
    bad.trang_thai = Some("12".into());
    let fields = invalid(receive_step(store, "H29", &bad, Utc::now()).await);
    assert_eq!(fields, ["TrangThai", "ThoiDiemXuLy"]);
}

/// `motcua backoffice …` on a store of its own, with `args`, reading
/// `stdin`: its exit, standard output and standard error.
fn cli(dir: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
        .arg("backoffice")
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("motcua starts");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin written");
    }
    let out = child.wait_with_output().expect("motcua runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_operator_replays_a_fixed_packet_and_resolves_the_quarantined_one() {
    let dir = tempfile::tempdir().expect("a directory");
    let code = "H29.12-261207-0006";
    let as_json = |p: &DongBoHoSoMC| serde_json::to_string(p).expect("JSON");
    let mut refused = packet(code, 3, "Không thuộc thẩm quyền");
    refused.kenh_thuc_hien = Some("2".into());
    refused.ngay_tiep_nhan = None;
    let (ok, out, err) = cli(
        dir.path(),
        &["receive", "--unit", "H29", "-"],
        &as_json(&refused),
    );
    assert!(ok, "{err}");
    assert!(out.contains("\"verdict\":\"applied\""), "{out}");
    // a packet the lifecycle does not allow is quarantined, with why
    let (ok, out, err) = cli(
        dir.path(),
        &["receive", "--unit", "H29", "-"],
        &as_json(&packet(code, 4, "")),
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("\"verdict\":\"quarantined\"") && out.contains("Không được tiếp nhận"),
        "{out}"
    );
    // the operator finds it, per unit
    let (ok, out, err) = cli(
        dir.path(),
        &["messages", "--quarantined", "--unit", "H29"],
        "",
    );
    assert!(ok, "{err}");
    let listed: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(listed.len(), 1, "{out}");
    assert_eq!(listed[0]["code"], code);
    assert_eq!(listed[0]["message"]["TrangThaiHoSo"], "4");
    let (ok, out, _) = cli(
        dir.path(),
        &["messages", "--quarantined", "--unit", "T01"],
        "",
    );
    assert!(ok && out.is_empty(), "{out}");
    // and resolves it, once
    let id = listed[0]["id"].as_str().expect("an id");
    let (ok, out, err) = cli(dir.path(), &["resolve", id], "");
    assert!(ok, "{err}");
    assert!(out.contains(id));
    let (ok, _, err) = cli(dir.path(), &["resolve", id], "");
    assert!(!ok && err.contains("no unresolved message"), "{err}");
    let (ok, _, err) = cli(dir.path(), &["resolve", "không-phải-mã"], "");
    assert!(!ok && err.contains("is not a message's id"), "{err}");
    // an unreadable packet: every field named, a non-zero exit
    let mut bad = packet("H29.12-261207-0007", 11, "");
    bad.kenh_thuc_hien = Some("9".into());
    let (ok, _, err) = cli(
        dir.path(),
        &["receive", "--unit", "H29", "-"],
        &as_json(&bad),
    );
    assert!(
        !ok && err.contains("TrangThaiHoSo") && err.contains("KenhThucHien"),
        "{err}"
    );
    let (ok, _, err) = cli(
        dir.path(),
        &["receive", "--unit", "H29", "-"],
        "{không phải JSON",
    );
    assert!(!ok && err.contains("is not a DongBoHoSoMC"), "{err}");
}

/// A dossier of this node, filed and taken to its result, is exported as
/// the packets it reports: its status its own, its steps numbered, its
/// result by the address of its verification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dossier_of_this_node_is_exported_as_the_packets_it_reports() {
    let app = TestApp::spawn().await;
    let crate::dossiers::Staffed {
        citizen,
        token,
        officer_token,
        leader_token,
        ..
    } = crate::dossiers::staffed(&app).await;
    let code = crate::dossiers::file_birth(&app, &token, citizen.commune_code).await;
    crate::dossiers::issue(&app, &officer_token, &leader_token, &code, true).await;
    let export = |args: Vec<String>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"));
        command
            .arg("backoffice")
            .arg("export")
            .args(args)
            .arg("--data-dir")
            .arg(app.data_dir());
        if let Some(url) = app.database_url() {
            command.args(["--database-url", &url]);
        }
        async move {
            tokio::task::spawn_blocking(move || command.output().expect("motcua runs"))
                .await
                .expect("the command's thread")
        }
    };
    let out = export(vec![
        code.clone(),
        "--base-url".into(),
        "https://dvc.example.vn/".into(),
    ])
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let packet = &v["DongBoHoSoMC"];
    assert_eq!(packet["MaHoSo"], code.as_str());
    assert_eq!(packet["TrangThaiHoSo"], "10");
    assert_eq!(packet["KenhThucHien"], "2");
    assert_eq!(packet["ChuHoSo"], citizen.full_name.as_str());
    assert!(packet["NgayTra"].as_str().is_some_and(|t| t.len() == 14));
    let result = packet["DanhSachGiayToKetQua"][0]["DuongDanTepTinKetQua"]
        .as_str()
        .expect("the result by reference");
    assert!(
        result.starts_with(&format!("https://dvc.example.vn/xac-minh/{code}?dau=")),
        "{result}"
    );
    let statuses: Vec<_> = v["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["step"].as_u64().unwrap_or(0),
                s["CapNhatTienDoHoSoMC"]["TrangThai"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(statuses.first(), Some(&(1, "1".to_string())));
    assert_eq!(statuses.last().map(|s| s.1.as_str()), Some("10"));
    assert!(
        statuses.windows(2).all(|w| w[1].0 == w[0].0 + 1),
        "numbered in order"
    );
    // what the national side makes of it: the same dossier, at 10
    let read: DongBoHoSoMC = serde_json::from_value(packet.clone()).expect("a packet");
    assert_eq!(
        backoffice::read_packet(&read).map(|r| r.status),
        Ok(Status::ResultReturned)
    );
    // a code that is no dossier here, an address that is none
    let out = export(vec![
        "UBND.00097-260101-0001".into(),
        "--base-url".into(),
        "https://x.vn".into(),
    ])
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no dossier"));
    let out = export(vec![
        code.clone(),
        "--base-url".into(),
        "dvc.example.vn".into(),
    ])
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an http(s) address"));
}

/// An operator connects a province's back office from the command line:
/// its password shown once, every change in its audit trail with who made
/// it, every problem of a bad configuration named by its option.
#[test]
fn an_operator_connects_changes_and_disconnects_a_back_office() {
    let dir = tempfile::tempdir().expect("a directory");
    let lines = |out: &str| -> Vec<serde_json::Value> {
        out.lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    };
    let (ok, out, err) = cli(
        dir.path(),
        &[
            "connect",
            "tuyen-quang-igate",
            "--name",
            "Hệ thống một cửa tỉnh Tuyên Quang",
            "--province",
            "08",
            "--unit",
            "000.00.00.H56",
            "--endpoint",
            "https://motcua.tuyenquang.gov.vn/lien-thong",
        ],
        "",
    );
    assert!(ok, "{err}");
    let connected = lines(&out).remove(0);
    let password = connected["password"].as_str().expect("a password");
    assert_eq!(password.len(), 43, "32 random bytes, base64url");
    assert_eq!(connected["username"], "tuyen-quang-igate");
    assert!(err.contains("shown this once"), "{err}");
    // the password is not kept, only its digest
    let (ok, out, _) = cli(dir.path(), &["offices"], "");
    assert!(ok && !out.contains(password), "{out}");
    assert_eq!(lines(&out)[0]["units"], json!(["000.00.00.H56"]));

    // connected twice, a unit another has, a province that does not exist:
    // refused, each saying why
    let (ok, _, err) = cli(
        dir.path(),
        &[
            "connect",
            "tuyen-quang-igate",
            "--name",
            "x",
            "--province",
            "08",
            "--unit",
            "H1",
            "--pull",
        ],
        "",
    );
    assert!(!ok && err.contains("connected already"), "{err}");
    let (ok, _, err) = cli(
        dir.path(),
        &[
            "connect",
            "ha-giang-igate",
            "--name",
            "Hà Giang",
            "--province",
            "08",
            "--unit",
            "000.00.00.H56",
            "--pull",
        ],
        "",
    );
    assert!(!ok && err.contains("tuyen-quang-igate"), "{err}");
    let (ok, _, err) = cli(
        dir.path(),
        &[
            "connect",
            "X",
            "--name",
            " ",
            "--province",
            "99",
            "--unit",
            "a b",
            "--endpoint",
            "http://motcua.example.vn",
        ],
        "",
    );
    assert!(!ok, "{err}");
    for flag in ["ID", "--name", "--province", "--unit", "--endpoint"] {
        assert!(err.contains(flag), "{flag} is not named: {err}");
    }
    let (ok, _, err) = cli(
        dir.path(),
        &[
            "connect",
            "lao-cai",
            "--name",
            "x",
            "--province",
            "15",
            "--unit",
            "H39",
        ],
        "",
    );
    assert!(
        !ok && err.contains("--endpoint"),
        "push needs an endpoint, or --pull: {err}"
    );

    // changed to pull with a second unit; a new password; disconnected
    let (ok, out, err) = cli(
        dir.path(),
        &[
            "reconfigure",
            "tuyen-quang-igate",
            "--name",
            "Một cửa Tuyên Quang",
            "--province",
            "08",
            "--unit",
            "000.00.00.H56",
            "--unit",
            "000.00.01.H56",
            "--pull",
        ],
        "",
    );
    assert!(ok, "{err}");
    assert_eq!(lines(&out)[0]["delivery"], "pull");
    let (ok, out, err) = cli(dir.path(), &["password", "tuyen-quang-igate"], "");
    assert!(ok, "{err}");
    assert_ne!(lines(&out)[0]["password"].as_str(), Some(password));
    let (ok, _, err) = cli(dir.path(), &["disconnect", "tuyen-quang-igate"], "");
    assert!(ok, "{err}");
    let (ok, _, err) = cli(dir.path(), &["disconnect", "tuyen-quang-igate"], "");
    assert!(!ok && err.contains("no back office"), "{err}");
    let (ok, out, _) = cli(dir.path(), &["offices"], "");
    assert!(ok && out.is_empty(), "{out}");

    // the trail stays, each change by the command line's user
    let (ok, out, err) = cli(dir.path(), &["changes", "tuyen-quang-igate"], "");
    assert!(ok, "{err}");
    let trail = lines(&out);
    let actions: Vec<&str> = trail.iter().filter_map(|c| c["action"].as_str()).collect();
    assert_eq!(
        actions,
        ["connected", "changed", "password", "disconnected"]
    );
    assert!(trail.iter().all(|c| {
        c["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("command line"))
    }));
    assert_eq!(trail[1]["detail"]["after"]["delivery"], "pull");
    assert!(!out.contains(password), "no secret in the trail");
    let (ok, _, err) = cli(dir.path(), &["changes", "khong-co"], "");
    assert!(!ok && err.contains("no back office"), "{err}");
}

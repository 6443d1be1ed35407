// tests: cutover
//! The cut-over of closed provincial portals, as an operator runs it:
//! `motcua cutover import` over the generated exports of two provinces
//! that merged (Hà Giang, 02, and Tuyên Quang, 08, now Tuyên Quang), twice,
//! then killed in the middle of a third run and run again; every dossier
//! accounted for, none twice, the old codes found — on the command line,
//! the public look-up, the API, the citizen's list and the workbench.

use std::collections::{BTreeSet, HashSet};
use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::helpers::{TestApp, main_text};

fn motcua(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("motcua runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `n` dossiers of the portal of `source` to `path`.
fn export(path: &Path, source: &str, n: u64) {
    let status = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["bench", "cutover-export", "--source", source, "--dossiers"])
        .arg(n.to_string())
        .arg("--output")
        .arg(path)
        .status()
        .expect("the generator runs");
    assert!(status.success());
}

/// Imports `file` of `source` into `dir`: the report.
fn import(dir: &Path, file: &Path, source: &str, dry: bool) -> Value {
    let report = dir.join(format!("report-{source}-{dry}.json"));
    let mut args = vec![
        "cutover",
        "import",
        file.to_str().expect("a path"),
        "--source",
        source,
        "--report",
        report.to_str().expect("a path"),
    ];
    if dry {
        args.push("--dry-run");
    }
    let (ok, out, err) = motcua(dir, &args);
    assert!(ok, "{err}");
    assert!(out.contains("every line accounted for: true"), "{out}");
    serde_json::from_slice(&std::fs::read(&report).expect("the report")).expect("JSON")
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

fn reviewed(r: &Value) -> u64 {
    r["review"]
        .as_object()
        .map_or(0, |m| m.values().map(n).sum())
}

/// The old codes of an export.
fn old_codes(file: &Path) -> Vec<String> {
    std::io::BufReader::new(std::fs::File::open(file).expect("the export"))
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(&l.expect("a line")).expect("JSON");
            v["HoSo"]["MaHoSo"].as_str().expect("a code").to_string()
        })
        .collect()
}

fn not_imported(r: &Value) -> HashSet<String> {
    r["not_imported"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|n| n["old_code"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_merged_portals_come_in_once_each_and_survive_a_crash() {
    let dir = tempfile::tempdir().expect("a directory");
    let data = dir.path().join("data");
    let ha_giang = dir.path().join("ha-giang.jsonl");
    let tuyen_quang = dir.path().join("tuyen-quang.jsonl");
    export(&ha_giang, "02", 50_000);
    export(&tuyen_quang, "08", 50_000);

    // the dry run reports everything and writes nothing
    let dry = import(&data, &ha_giang, "02", true);
    assert_eq!(n(&dry["lines"]), 50_000);
    assert_eq!(dry["dry_run"], true);
    for kind in [
        "split_commune",
        "unknown_procedure",
        "unknown_place",
        "unreadable",
    ] {
        assert!(n(&dry["review"][kind]) > 0, "{kind}: {}", dry["review"]);
    }
    assert!(n(&dry["imported"]) > 45_000, "{}", dry["imported"]);
    assert!(n(&dry["imported_paused"]) > 1_000);
    assert!(n(&dry["imported_late"]) > 1_000);
    let named = dry["not_imported"].as_array().expect("named").len() as u64;
    assert_eq!(named, reviewed(&dry), "every dossier left out is named");
    let split = dry["not_imported"]
        .as_array()
        .expect("named")
        .iter()
        .find(|x| x["kind"] == "split_commune")
        .expect("a split commune")
        .clone();
    assert!(split["candidates"].as_array().expect("candidates").len() > 1);
    let (found, _, _) = motcua(&data, &["cutover", "find", "DVC-250601-00001"]);
    assert!(!found, "a dry run writes nothing");

    // the first run brings in what the dry run said; the second changes
    // nothing
    let first = import(&data, &ha_giang, "02", false);
    assert_eq!(first["imported"], dry["imported"]);
    assert_eq!(first["review"], dry["review"]);
    let second = import(&data, &ha_giang, "02", false);
    assert_eq!(n(&second["imported"]), 0);
    assert_eq!(second["already_imported"], first["imported"]);
    assert_eq!(second["review"], first["review"]);

    // the other province's portal: killed half-way, then run again
    let expected = import(&data, &tuyen_quang, "08", true);
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["cutover", "import"])
        .arg(&tuyen_quang)
        .args(["--source", "08", "--batch", "200", "--data-dir"])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the import runs");
    let progress = std::io::BufReader::new(child.stderr.take().expect("its progress"));
    let mut batches = 0;
    for line in progress.lines() {
        if line.expect("a line").contains("brought in") {
            batches += 1;
        }
        if batches == 60 {
            break;
        }
    }
    assert_eq!(batches, 60, "the import was still running");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let resumed = import(&data, &tuyen_quang, "08", false);
    let before = n(&resumed["already_imported"]);
    assert!(
        before >= 60 * 200 - 2_000 && before < n(&expected["imported"]),
        "{before} were in before the crash"
    );
    assert_eq!(
        n(&resumed["imported"]) + before,
        n(&expected["imported"]),
        "what the crash left and what the second run brought make the whole"
    );
    assert_eq!(resumed["review"], expected["review"]);

    // in the store: each dossier once, each one on the review list once
    let store = store::open(&store::Location::SqliteFile(data.join("motcua.db")))
        .await
        .expect("the store");
    let of_02 = store.cutover().imported("02").await.expect("read");
    let of_08 = store.cutover().imported("08").await.expect("read");
    assert_eq!(of_02.len() as u64, n(&first["imported"]));
    assert_eq!(of_08.len() as u64, n(&expected["imported"]));
    let new_codes: HashSet<&String> = of_02.values().chain(of_08.values()).collect();
    assert_eq!(new_codes.len(), of_02.len() + of_08.len(), "no code twice");
    let open = store.cutover().reviews(None, true).await.expect("read");
    assert_eq!(
        open.len() as u64,
        reviewed(&first) + reviewed(&expected),
        "the review list"
    );
    // every line of both exports: brought in, or on the review list
    for (file, imported, report) in [
        (&ha_giang, &of_02, &first),
        (&tuyen_quang, &of_08, &expected),
    ] {
        let left = not_imported(report);
        let codes = old_codes(file);
        let distinct: BTreeSet<&String> = codes.iter().collect();
        assert_eq!(distinct.len(), codes.len());
        for code in &codes {
            assert!(
                imported.contains_key(code) != left.contains(code),
                "{code}: brought in or left out, exactly one"
            );
        }
    }

    // an old code both portals used names both dossiers; each is found
    let shared = of_02
        .keys()
        .find(|c| c.starts_with("DVC-") && of_08.contains_key(*c))
        .expect("a code both portals gave")
        .clone();
    let (ok, out, err) = motcua(&data, &["cutover", "find", &shared]);
    assert!(ok, "{err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    let sources: BTreeSet<&str> = lines.iter().filter_map(|l| l["source"].as_str()).collect();
    assert_eq!(sources, BTreeSet::from(["02", "08"]));
    for l in &lines {
        assert!(l["code"].as_str().expect("a code").contains("-25"));
    }

    // a person decides a split commune; it comes in where they chose
    let old = split["old_code"].as_str().expect("a code");
    let place = split["candidates"][1].as_str().expect("a commune");
    let (ok, out, err) = motcua(
        &data,
        &["cutover", "decide", old, "--source", "02", "--place", place],
    );
    assert!(ok, "{err}");
    let decided: Value = serde_json::from_str(out.trim()).expect("JSON");
    let code = decided["code"].as_str().expect("its code");
    assert!(code.contains(&format!(".{place}-")), "{code}");
    let (ok, _, err) = motcua(
        &data,
        &["cutover", "decide", old, "--source", "02", "--place", place],
    );
    assert!(!ok && err.contains("already"), "{err}");
    let (ok, out, _) = motcua(&data, &["cutover", "find", old]);
    assert!(ok && out.contains(code), "{out}");
    // and an import run again leaves it as decided
    let third = import(&data, &ha_giang, "02", false);
    assert_eq!(n(&third["imported"]), 0);
    assert_eq!(n(&third["already_imported"]), n(&first["imported"]) + 1);
}

#[test]
fn bad_input_to_the_import_is_named_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("export.jsonl");
    std::fs::write(&file, "{}\n").expect("written");
    let (ok, _, err) = motcua(
        dir.path(),
        &[
            "cutover",
            "import",
            file.to_str().expect("a path"),
            "--source",
            "99",
        ],
    );
    assert!(
        !ok && err.contains("--source") && err.contains("99"),
        "{err}"
    );
    let (ok, _, err) = motcua(
        dir.path(),
        &[
            "cutover",
            "import",
            "/nonexistent/export.jsonl",
            "--source",
            "02",
        ],
    );
    assert!(!ok && err.contains("cannot read"), "{err}");
    let csv = dir.path().join("export.csv");
    std::fs::write(&csv, "Ma,Ten\n1,2\n").expect("written");
    let (ok, _, err) = motcua(
        dir.path(),
        &[
            "cutover",
            "import",
            csv.to_str().expect("a path"),
            "--source",
            "02",
        ],
    );
    assert!(!ok && err.contains("MaHoSo"), "{err}");
    // an unreadable line is reported with every problem, and kept for review
    let (ok, out, err) = motcua(
        dir.path(),
        &[
            "cutover",
            "import",
            file.to_str().expect("a path"),
            "--source",
            "02",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("line 1 (no code): unreadable: HoSo"), "{out}");
    let (ok, out, _) = motcua(dir.path(), &["cutover", "review", "--source", "02"]);
    assert!(ok && out.contains("\"old_code\":\"#1\""), "{out}");
}

#[tokio::test]
async fn an_old_code_finds_its_dossier_for_the_public_the_citizen_and_the_officer() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("a directory");
    let ha_giang = dir.path().join("ha-giang.jsonl");
    let tuyen_quang = dir.path().join("tuyen-quang.jsonl");
    export(&ha_giang, "02", 400);
    export(&tuyen_quang, "08", 400);
    import(app.data_dir(), &ha_giang, "02", false);
    import(app.data_dir(), &tuyen_quang, "08", false);
    let store = app.store.cutover();
    let of_02 = store.imported("02").await.expect("read");
    let of_08 = store.imported("08").await.expect("read");
    let (old, new) = of_02
        .iter()
        .find(|(old, _)| !old.starts_with("DVC-"))
        .expect("a dossier");

    // the public look-up, by the old code
    let page = app.get(&format!("/tra-cuu-ho-so?ma={old}")).await;
    assert_eq!(page.status, 200);
    let text = main_text(&page.body);
    assert!(
        text.contains(new.as_str()) && text.contains(old.as_str()),
        "{text}"
    );
    // the API, by the old code (as typed in small letters too)
    let lower = app
        .get(&format!("/api/v1/dossiers/{}", old.to_lowercase()))
        .await;
    assert_eq!(lower.status, 200, "{}", lower.body);
    let reply = app.get(&format!("/api/v1/dossiers/{old}")).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["code"], new.as_str());
    assert_eq!(body["old_code"], old.as_str());
    // a code both portals gave: both, never one guessed
    let shared = of_02
        .keys()
        .find(|c| of_08.contains_key(*c))
        .expect("a shared code");
    let reply = app.get(&format!("/api/v1/dossiers/{shared}")).await;
    let problem = reply.problem(409);
    let detail = problem["detail"].as_str().expect("a detail");
    assert!(
        detail.contains(of_02[shared].as_str()) && detail.contains(of_08[shared].as_str()),
        "{detail}"
    );
    let page = app.get(&format!("/tra-cuu-ho-so?ma={shared}")).await;
    let text = main_text(&page.body);
    assert!(
        text.contains(of_02[shared].as_str()) && text.contains(of_08[shared].as_str()),
        "{text}"
    );

    // the citizen whose number the old portal held finds it in their list
    let stored = app
        .store
        .cutover()
        .by_legacy_code(old)
        .await
        .expect("read")
        .remove(0);
    let pin = stored
        .dossier
        .applicant
        .person_id
        .clone()
        .expect("a number");
    let id = domain::PersonalId::parse(&pin).expect("a personal number");
    app.open_account(
        &pin,
        registry::PartialDate::parse(&id.birth_year().to_string()).expect("a year"),
        id.sex(),
        &stored.dossier.applicant.name,
    )
    .await;
    let sid = app.log_in_on_portal(&pin).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let get = |path: String| {
        http.get(app.url(&path))
            .header("cookie", format!("motcua_sid={sid}"))
            .send()
    };
    let mine = get("/ho-so".into()).await.expect("my dossiers");
    assert_eq!(mine.status().as_u16(), 200);
    let text = main_text(&mine.text().await.expect("a page"));
    assert!(
        text.contains(new.as_str()) && text.contains(old.as_str()),
        "{text}"
    );
    // the old code in the address leads to the dossier
    let moved = get(format!("/ho-so/{old}")).await.expect("a reply");
    assert_eq!(moved.status().as_u16(), 303);
    assert_eq!(
        moved.headers()["location"].to_str().expect("a location"),
        format!("/ho-so/{new}")
    );
    let page = get(format!("/ho-so/{new}")).await.expect("the dossier");
    assert_eq!(page.status().as_u16(), 200);
    let text = main_text(&page.text().await.expect("a page"));
    assert!(text.contains(old.as_str()), "{text}");
    // the workbench's search takes a code, new or old
    let found = get(format!("/can-bo?ma={old}")).await.expect("a reply");
    assert_eq!(found.status().as_u16(), 303);
    assert_eq!(
        found.headers()["location"].to_str().expect("a location"),
        format!("/ho-so/{new}")
    );
    let missing = get("/can-bo?ma=KHONG-CO-250101-0001".into())
        .await
        .expect("a reply");
    assert_eq!(missing.status().as_u16(), 404);
    let text = main_text(&missing.text().await.expect("a page"));
    assert!(text.contains("Không có hồ sơ nào mang mã này"), "{text}");
}

#[tokio::test]
async fn on_postgresql_two_portals_come_in_once_across_many_days() {
    let Some(pg) = crate::helpers::PgSchema::create("the cut-over on PostgreSQL").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("a directory");
    let url = pg.url();
    let run = |file: &Path, source: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
            .args(["cutover", "import"])
            .arg(file)
            .args(["--source", source, "--batch", "300", "--database-url", &url])
            .arg("--report")
            .arg(dir.path().join("report.json"))
            .output()
            .expect("motcua runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).expect("read"))
                .expect("JSON");
        report
    };
    let mut expected = 0;
    for source in ["02", "08"] {
        let file = dir.path().join(format!("{source}.jsonl"));
        export(&file, source, 3_000);
        // the dossiers of two months, batch after batch, numbered per day
        let first = run(&file, source);
        assert!(n(&first["imported"]) > 2_800, "{first}");
        assert_eq!(
            n(&first["imported"]) + reviewed(&first) + n(&first["repeated"]),
            3_000
        );
        let again = run(&file, source);
        assert_eq!(n(&again["imported"]), 0);
        assert_eq!(again["already_imported"], first["imported"]);
        expected += n(&first["imported"]);
    }
    let store = pg.open().await;
    let of_02 = store.cutover().imported("02").await.expect("read");
    let of_08 = store.cutover().imported("08").await.expect("read");
    assert_eq!((of_02.len() + of_08.len()) as u64, expected);
    let codes: HashSet<&String> = of_02.values().chain(of_08.values()).collect();
    assert_eq!(codes.len() as u64, expected, "no code twice");
}

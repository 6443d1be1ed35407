//! `motcua units convert` and `motcua bench units-cases`, run as the real
//! binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use units::{Status, Units};

const KEYS: [&str; 6] = [
    "input",
    "status",
    "province_code",
    "commune_code",
    "candidates",
    "address",
];

fn motcua() -> Command {
    Command::new(env!("CARGO_BIN_EXE_motcua"))
}

/// Runs the binary with `stdin` as its standard input.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = motcua()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start motcua");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    // feed stdin from a thread: the output may fill its pipe first
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("motcua runs");
    feeder.join().expect("stdin fed");
    out
}

fn stdout_text(out: &Output) -> &str {
    std::str::from_utf8(&out.stdout).expect("UTF-8 output")
}

fn json_lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "motcua failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_text(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// What the CLI must print for `line`.
fn expected(line: &str) -> Value {
    let c = Units::get().convert(line);
    json!({
        "input": c.input,
        "status": c.status.as_str(),
        "province_code": c.province_code,
        "commune_code": c.commune_code,
        "candidates": c.candidates,
        "address": c.address,
    })
}

fn assert_keys(v: &Value) {
    let mut keys: Vec<&str> = v
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut want = KEYS.to_vec();
    want.sort_unstable();
    assert_eq!(keys, want, "{v}");
}

/// Addresses of every kind and outcome, `n` of them.
fn mixed_addresses(n: usize) -> Vec<String> {
    let u = Units::get();
    let communes = u.legacy_communes();
    (0..n)
        .map(|i| {
            let c = &communes[(i * 7919) % communes.len()];
            let d = u.legacy_district(&c.district_code).expect("district");
            let p = u.legacy_province(&c.province_code).expect("province");
            match i % 6 {
                0 => format!("{}, {}, {}", c.name, d.name, p.name),
                1 => format!("Số {i} Trần Phú, {}, {}, {}", c.name, d.name, p.name),
                2 => format!("{}, {}", c.name, p.name),
                3 => units::fold::words(&format!("{} {} {}", c.name, d.name, p.name)),
                4 => format!("nowhere {i}"),
                _ => String::new(),
            }
        })
        .collect()
}

#[test]
fn cli_converts_stdin_one_json_object_per_line() {
    let out = run(
        &["units", "convert"],
        "Số 5 Hàng Bài, P. Phúc Xá, Q. Ba Đình, Hà Nội\nhello world\n\nPhúc Xá, Hà Nội\n"
            .as_bytes(),
    );
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 4, "{}", stdout_text(&out));
    for r in &rows {
        assert_keys(r);
    }
    assert_eq!(rows[0]["status"], "converted");
    assert_eq!(rows[0]["commune_code"], "00097");
    assert_eq!(rows[0]["province_code"], "01");
    assert_eq!(
        rows[0]["address"],
        "Số 5 Hàng Bài, Phường Hồng Hà, Thành phố Hà Nội"
    );
    assert_eq!(rows[0]["candidates"], json!([]));
    assert_eq!(rows[1]["status"], "not_found");
    assert_eq!(rows[1]["commune_code"], Value::Null);
    assert_eq!(rows[1]["address"], Value::Null);
    assert_eq!(rows[2], expected(""));
    assert_eq!(rows[2]["input"], "");
    assert_eq!(rows[2]["status"], "not_found");
    assert_eq!(rows[3]["commune_code"], "00097");
}

#[test]
fn cli_reads_an_input_file_and_strips_crlf() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("addresses.txt");
    std::fs::write(
        &path,
        "\u{feff}Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội\r\nphuong phuc xa, quan ba dinh, ha noi\r\nlast line without newline",
    )
    .expect("write the input");
    let out = run(
        &["units", "convert", "--input", path.to_str().expect("path")],
        b"",
    );
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0]["input"],
        "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội"
    );
    assert_eq!(rows[0]["commune_code"], "00097");
    assert_eq!(rows[1]["input"], "phuong phuc xa, quan ba dinh, ha noi");
    assert_eq!(rows[1]["commune_code"], "00097");
    assert_eq!(rows[2], expected("last line without newline"));
}

#[test]
fn cli_keeps_the_order_of_fifty_thousand_lines() {
    let lines = mixed_addresses(50_000);
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("many.txt");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write the input");
    let out = run(
        &["units", "convert", "--input", path.to_str().expect("path")],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout_text(&out);
    assert_eq!(text.lines().count(), lines.len());
    let mut statuses = [0usize; 3];
    for (i, (got, line)) in text.lines().zip(&lines).enumerate() {
        let got: Value = serde_json::from_str(got).expect("JSON line");
        let want = expected(line);
        assert_eq!(got, want, "line {i}: {line}");
        assert_keys(&got);
        statuses[match want["status"].as_str() {
            Some("converted") => 0,
            Some("ambiguous") => 1,
            _ => 2,
        }] += 1;
    }
    // the mix really has every outcome
    assert!(statuses.iter().all(|&n| n > 100), "{statuses:?}");
}

#[test]
fn cli_lists_every_candidate_of_a_split_commune() {
    let out = run(
        &["units", "convert"],
        "Phường Cống Vị, Quận Ba Đình, Hà Nội\n".as_bytes(),
    );
    let rows = json_lines(&out);
    let r = &rows[0];
    assert_keys(r);
    assert_eq!(r["status"], "ambiguous");
    assert_eq!(r["commune_code"], Value::Null);
    assert_eq!(r["address"], Value::Null);
    assert_eq!(r["province_code"], "01");
    let codes: Vec<&str> = r["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| c["commune_code"].as_str().expect("code"))
        .collect();
    assert_eq!(codes, ["00008", "00025"]);
    let first = &r["candidates"][0];
    assert_eq!(first["province_code"], "01");
    assert!(
        first["name"]
            .as_str()
            .expect("name")
            .ends_with("Thành phố Hà Nội")
    );
    assert_eq!(
        Units::get()
            .convert("Phường Cống Vị, Quận Ba Đình, Hà Nội")
            .status,
        Status::Ambiguous
    );
}

#[test]
fn cli_malformed_lines_are_not_found_and_the_run_goes_on() {
    let mut input = Vec::new();
    input.extend_from_slice("Phường Phúc Xá, Quận Ba Đình, Hà Nội\n".as_bytes());
    input.extend_from_slice(b"Ph\xff\xfeng Ph\xc3\n");
    input.extend_from_slice(&vec![b'x'; 1 << 20]);
    input.extend_from_slice(b", Ha Noi\n");
    input.extend_from_slice(b"\0\x01\x02\n");
    input.extend_from_slice("Phường Cống Vị, Quận Ba Đình, Hà Nội\n".as_bytes());
    let out = run(&["units", "convert"], &input);
    let rows = json_lines(&out);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["status"], "converted");
    assert_eq!(rows[1]["status"], "not_found");
    let shown = rows[1]["input"].as_str().expect("input");
    assert!(shown.starts_with("Ph\u{fffd}"), "{shown:?}");
    assert_eq!(rows[2]["status"], "not_found");
    let long = rows[2]["input"].as_str().expect("input").len();
    assert!(long < 1 << 20, "an overly long line is cut, not kept whole");
    assert_eq!(rows[3]["status"], "not_found");
    assert_eq!(rows[4]["status"], "ambiguous");
    for r in &rows {
        assert_keys(r);
    }
}

fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes)
        .records()
        .map(|r| {
            r.expect("a CSV record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect()
}

#[test]
fn cli_csv_mode_keeps_every_column_and_its_quoting() {
    let input = "id,address,note\n\
        1,\"Số 5 Hàng Bài, P. Phúc Xá, Q. Ba Đình, Hà Nội\",\"say \"\"hi\"\", twice\"\n\
        2,\"Phường Cống Vị, Quận Ba Đình, Hà Nội\",\n\
        3,only two\n\
        4,nowhere at all,\"multi\nline\"\n\
        5,\"phuong phuc xa, quan ba dinh, ha noi\",x\n";
    let out = run(
        &["units", "convert", "--csv", "--column", "address"],
        input.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = read_csv(&out.stdout);
    assert_eq!(
        rows[0],
        [
            "id",
            "address",
            "note",
            "new_status",
            "new_province_code",
            "new_commune_code",
            "new_address",
            "new_candidates"
        ]
    );
    assert_eq!(rows.len(), 6);
    let r = &rows[1];
    assert_eq!(
        r[..3],
        [
            "1",
            "Số 5 Hàng Bài, P. Phúc Xá, Q. Ba Đình, Hà Nội",
            "say \"hi\", twice"
        ]
    );
    assert_eq!(
        r[3..7],
        [
            "converted",
            "01",
            "00097",
            "Số 5 Hàng Bài, Phường Hồng Hà, Thành phố Hà Nội"
        ]
    );
    assert_eq!(r[7], "");
    let r = &rows[2];
    assert_eq!(r[3], "ambiguous");
    assert_eq!(r[5], "");
    let candidates: Vec<&str> = r[7].split("; ").collect();
    assert_eq!(candidates.len(), 2, "{}", r[7]);
    assert!(candidates[0].starts_with("00008 "));
    assert!(candidates[1].starts_with("00025 "));
    // a ragged record: its fields are kept, it is not_found, the run goes on
    let r = &rows[3];
    assert_eq!(r.len(), 8);
    assert_eq!(r[..3], ["3", "only two", ""]);
    assert_eq!(r[3], "not_found");
    assert_eq!(rows[4][2], "multi\nline");
    assert_eq!(rows[4][3], "not_found");
    assert_eq!(rows[5][5], "00097");
    assert!(rows.iter().all(|r| r.len() == 8));
}

#[test]
fn cli_csv_unknown_column_names_the_columns_and_fails() {
    let out = run(
        &["units", "convert", "--csv", "--column", "adress"],
        b"id,address,note\n1,x,y\n",
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing is written");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("adress"), "{err}");
    assert!(err.contains("\"id\", \"address\", \"note\""), "{err}");
}

#[test]
fn cli_missing_input_file_is_a_clear_error() {
    let out = run(
        &["units", "convert", "--input", "/nonexistent/addresses.txt"],
        b"",
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/addresses.txt"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn cli_a_closed_stdout_ends_the_run_quietly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("many.txt");
    let lines = mixed_addresses(100_000);
    std::fs::write(&path, lines.join("\n")).expect("write the input");
    let mut child = motcua()
        .args(["units", "convert", "--input"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start motcua");
    let mut first = String::new();
    {
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout.read_line(&mut first).expect("a first line");
        // `stdout` is dropped here: the pipe closes, as with `| head -1`
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    let status = child.wait().expect("motcua ends");
    assert!(first.starts_with('{'), "{first}");
    assert!(status.success(), "{status}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn cli_bench_units_cases_writes_scored_cases() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("cases.jsonl");
    let out = motcua()
        .args([
            "bench",
            "units-cases",
            "--per-kind",
            "4",
            "--seed",
            "9",
            "--output",
        ])
        .arg(&path)
        .output()
        .expect("motcua runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases: Vec<Value> = std::fs::read_to_string(Path::new(&path))
        .expect("cases written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(cases.len(), 20);
    for c in &cases {
        let c = c.as_object().expect("object");
        for key in [
            "kind",
            "input",
            "expected_status",
            "expected_commune",
            "expected_candidates",
        ] {
            assert!(c.contains_key(key), "{c:?}");
        }
        // the converter gets every generated case right
        let got = Units::get().convert(c["input"].as_str().expect("input"));
        assert_eq!(got.status.as_str(), c["expected_status"], "{c:?}");
    }
}

/// Reads a Lua string literal as `bench dossier-requests` writes it.
fn lua_bytes(literal: &str) -> Vec<u8> {
    let inner = literal.trim().trim_end_matches(',');
    let inner = inner
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .expect("a quoted Lua string");
    let mut out = Vec::new();
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b'"' => out.push(b'"'),
            b'\\' => out.push(b'\\'),
            _ => {
                let code: u8 = inner[i + 1..i + 4].parse().expect("a decimal escape");
                out.push(code);
                i += 4;
                continue;
            }
        }
        i += 2;
    }
    out
}

/// The filing benchmark's requests are ones the server accepts: its
/// applicants log in through the real code flow and get tokens meant for
/// the API with the `dossiers` scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_bench_dossier_requests_are_accepted_filings() {
    let app = crate::helpers::TestApp::spawn().await;
    app.seed_people(400).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = dir.path().join("requests.lua");
    let mut command = motcua();
    command.args([
        "bench",
        "dossier-requests",
        "--url",
        app.url("").trim_end_matches('/'),
        "--people",
        "400",
        "--seed",
        "7",
        "--applicants",
        "2",
        "--count",
        "3",
        "--output",
    ]);
    command.arg(&output).arg("--data-dir").arg(app.data_dir());
    if let Some(url) = app.database_url() {
        command.args(["--database-url", &url]);
    }
    let out = tokio::task::spawn_blocking(move || command.output().expect("motcua runs"))
        .await
        .expect("the command's thread");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&output).expect("the requests");
    let requests: Vec<Vec<u8>> = text
        .lines()
        .filter(|l| l.starts_with('"'))
        .map(lua_bytes)
        .collect();
    assert_eq!(requests.len(), 3);
    for raw in &requests {
        let raw = String::from_utf8(raw.clone()).expect("UTF-8");
        let (head, body) = raw.split_once("\r\n\r\n").expect("head and body");
        let token = head
            .lines()
            .find_map(|l| l.strip_prefix("authorization: Bearer "))
            .expect("a bearer token");
        let reply = app
            .send(
                app.client
                    .post(app.url("/api/v1/dossiers"))
                    .bearer_auth(token.trim())
                    .header("content-type", "application/json")
                    .body(body.to_string()),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
}

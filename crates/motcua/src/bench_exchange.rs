//! `motcua bench exchange-requests`: signed `person.get` requests for a load
//! generator, so that the HTTP lookup through the exchange layer can be
//! driven by `wrk` (bench/run-registry) like any other HTTP service.
//!
//! Each request is signed by the demo commune service center (its key in
//! `DATA_DIR/exchange/demo.json`, the configuration the server under test
//! uses) for the purpose `birth-registration` under its legal basis, with a
//! case reference of its own, and asks for one personal id of `--pids`.
//! Signing happens here, before the timed run, so the load generator spends
//! its CPU on sending requests, as pgbench does; the server still verifies
//! every signature, authorises, reads, filters, logs and signs the response.
//!
//! The output is a Lua file that returns an array of raw HTTP/1.1 requests:
//! `bench/exchange.lua` loads it into wrk.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{Duration, Utc};
use exchange::HttpRequest;
use web::services::exchange::node::{DEMO_HCC, DEMO_PROVIDER, DemoConfig};

#[derive(clap::Args)]
pub struct RequestsArgs {
    /// The server's base URL, as the consumer calls it (the signature
    /// covers it): `http://HOST:PORT`.
    #[arg(long, value_name = "URL")]
    url: String,
    /// Personal ids to ask for, one per line (`bench registry-lookup
    /// --pids-out` writes such a file).
    #[arg(long, value_name = "FILE")]
    pids: PathBuf,
    /// How many requests to sign (the ids are used in turn).
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    count: usize,
    /// How long the signatures stay valid, in minutes.
    #[arg(long, value_name = "MIN", default_value_t = 60)]
    valid_minutes: i64,
    /// Where the server's data lives (its `exchange/demo.json`, written on
    /// the server's first start, holds the demo members' keys).
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,
    /// The Lua file to write.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

pub fn requests(args: RequestsArgs) -> anyhow::Result<()> {
    let url = args.url.trim_end_matches('/');
    let authority = url
        .strip_prefix("http://")
        .filter(|a| !a.is_empty() && !a.contains('/'))
        .with_context(|| format!("--url {url:?}: expected http://HOST:PORT"))?;
    if args.count == 0 {
        bail!("--count must be at least 1");
    }
    let pids: Vec<String> = BufReader::new(
        File::open(&args.pids).with_context(|| format!("cannot read {}", args.pids.display()))?,
    )
    .lines()
    .map(|l| l.map(|l| l.trim().to_string()))
    .filter(|l| !matches!(l, Ok(l) if l.is_empty()))
    .collect::<Result<_, _>>()
    .with_context(|| format!("cannot read {}", args.pids.display()))?;
    if pids.is_empty() {
        bail!("{} holds no personal ids", args.pids.display());
    }
    // the server's own keys: a new configuration would sign with keys it
    // does not know
    let config = DemoConfig::load(&args.data_dir.join("exchange").join("demo.json"))
        .context("cannot read the server's exchange configuration (start the server first)")?;
    let key = config
        .member(DEMO_HCC)
        .and_then(|m| m.key())
        .with_context(|| format!("the configuration has no usable key for {DEMO_HCC}"))?;
    let path = format!("/api/v1/exchange/{DEMO_PROVIDER}/person.get");
    let now = Utc::now();
    let ttl = Duration::minutes(args.valid_minutes.max(1));

    let mut out = BufWriter::new(
        File::create(&args.output)
            .with_context(|| format!("cannot create {}", args.output.display()))?,
    );
    writeln!(out, "return {{")?;
    for (i, pid) in pids.iter().cycle().take(args.count).enumerate() {
        let body = serde_json::to_vec(&serde_json::json!({ "person_id": pid }))?;
        let mut req = HttpRequest {
            method: "POST".into(),
            uri: format!("{url}{path}"),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-purpose".into(), "birth-registration".into()),
                ("x-legal-basis".into(), "ND-63/2024".into()),
                ("x-case-ref".into(), format!("BENCH-{:08}", i + 1)),
            ],
            body,
        };
        exchange::sign_request(&mut req, &key, now, ttl)
            .map_err(|e| anyhow::anyhow!("cannot sign a request: {e}"))?;
        let mut raw = format!("POST {path} HTTP/1.1\r\nhost: {authority}\r\n");
        for (k, v) in &req.headers {
            raw.push_str(&format!("{k}: {v}\r\n"));
        }
        raw.push_str(&format!("content-length: {}\r\n\r\n", req.body.len()));
        let mut raw = raw.into_bytes();
        raw.extend_from_slice(&req.body);
        writeln!(out, "{},", lua_string(&raw))?;
    }
    writeln!(out, "}}")?;
    out.flush()
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(())
}

/// `bytes` as a Lua string literal (printable ASCII kept, the rest escaped
/// by its decimal code).
pub(crate) fn lua_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 16);
    s.push('"');
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\{b:03}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::lua_string;

    #[test]
    fn lua_strings_escape_what_lua_would_misread() {
        assert_eq!(lua_string(b"a\"b\\c\r\n"), r#""a\"b\\c\r\n""#);
        assert_eq!(lua_string("ễ".as_bytes()), r#""\225\187\133""#);
        assert_eq!(lua_string(b"\x01"), r#""\001""#);
    }
}

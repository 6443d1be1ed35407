//! `motcua bench sync`: how long a province's node takes to report a
//! backlog of dossiers to the national portal, each with its packet and
//! its five processing steps (received, processing, proposed, approved,
//! returned), through the integration adapter of a `motcua serve` process
//! — beside the same calls, the same bodies, posted raw to a bare HTTP
//! server that only answers `00` (no session check, no judging, no
//! storage), in the same run.
//!
//! The province's dossiers (`dossier::sample::returned`) are made in its
//! store first (not timed); then
//! the upstream sender runs until nothing waits.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use dossier::{AgencyCode, Catalog};
use serde_json::{Value, json};

#[derive(clap::Args)]
pub struct SyncArgs {
    /// Dossiers to report (a one-hour outage of the national peak: 11,000;
    /// the whole peak day: 88,000).
    #[arg(long, default_value_t = 11_000)]
    dossiers: usize,
    /// The national node's database (default: SQLite in a temporary
    /// directory).
    #[arg(long)]
    national_database_url: Option<String>,
}

/// Dossiers one agency receives in the bench's day (its numbers run to
/// 8,999 online).
const PER_AGENCY: usize = 5_000;

pub fn sync(args: SyncArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("a runtime")?;
    runtime.block_on(run(args))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn ready(base: &str) -> anyhow::Result<()> {
    for _ in 0..600 {
        if reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the national node did not become ready")
}

/// The province's dossiers, each taken to its result, stored in batches.
async fn fill(store: &dyn store::Store, agencies: &[AgencyCode], n: usize) -> anyhow::Result<()> {
    let catalog = Catalog::official().context("the catalog")?;
    let calendar = calendar::WorkingCalendar::official().context("the calendar")?;
    let procedure = catalog
        .get("dang-ky-tam-tru")
        .context("the procedure")?
        .clone();
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).context("a day")?;
    let mut left = n;
    for agency in agencies {
        let mine = left.min(PER_AGENCY);
        left -= mine;
        let make = |code: dossier::DossierCode| {
            dossier::sample::returned(code, agency, "01", &procedure, &calendar, day)
                .map(|d| (d, None))
                .map_err(|e| store::StoreError::refused(e.to_string()))
        };
        let mut done = 0;
        while done < mine {
            let size = (mine - done).min(500);
            let batch: Vec<store::NewDossier<'_>> = (0..size)
                .map(|_| store::NewDossier {
                    agency,
                    day,
                    at: Utc::now(),
                    make: &make,
                })
                .collect();
            let outcomes = store
                .dossiers()
                .create_dossiers(&batch, &mut |_| Vec::new())
                .await?;
            if let Some(Err(e)) = outcomes.into_iter().find(|o| o.is_err()) {
                bail!("a bench dossier was refused: {e}");
            }
            done += size;
        }
    }
    Ok(())
}

/// The calls the sender makes for the dossiers, as bodies (without the
/// session): per unit, a hundred packets a call, then a hundred steps.
async fn bodies(
    store: &dyn store::Store,
    agencies: &[AgencyCode],
) -> anyhow::Result<(Vec<Value>, usize)> {
    let day = NaiveDate::from_ymd_opt(2026, 3, 2).context("a day")?;
    let mut calls = Vec::new();
    let mut messages = 0;
    for agency in agencies {
        let mut packets = Vec::new();
        let mut steps = Vec::new();
        for code in store.dossiers().codes_of_day(agency, day).await? {
            let Some(stored) = store.dossiers().dossier(&code).await? else {
                continue;
            };
            let (packet, numbered) = web::services::backoffice::report::packets(
                store,
                &stored.dossier,
                "https://motcua.example.vn",
            )
            .await?;
            packets.push(serde_json::to_value(packet)?);
            steps.extend(
                web::services::backoffice::upstream::numbered(&numbered, 0)
                    .map_err(anyhow::Error::msg)?,
            );
        }
        messages += packets.len() + steps.len();
        for chunk in packets.chunks(100) {
            calls.push(json!({"madonvi": agency.as_str(), "service": "DongBoHoSoMC", "isUpdating": "False", "data": chunk}));
        }
        for chunk in steps.chunks(100) {
            calls.push(json!({"madonvi": agency.as_str(), "service": "CapNhatTienDoHoSoMC", "data": chunk}));
        }
    }
    Ok((calls, messages))
}

/// A bare HTTP server answering every call `00`; its address.
async fn bare() -> anyhow::Result<String> {
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::post(|_body: axum::body::Bytes| async {
            axum::Json(json!({"error_code": "00", "session": "s"}))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(format!("http://{addr}"))
}

async fn run(args: SyncArgs) -> anyhow::Result<()> {
    if args.dossiers == 0 {
        bail!("--dossiers: at least one");
    }
    let dir = tempfile::tempdir().context("a temporary directory")?;
    let national_dir = dir.path().join("national");
    std::fs::create_dir_all(&national_dir)?;
    let units = units::Units::get();
    let agencies: Vec<AgencyCode> = units
        .communes()
        .iter()
        .take(args.dossiers.div_ceil(PER_AGENCY))
        .map(|c| AgencyCode::parse(&format!("UBND.{}", c.code)))
        .collect::<Result<_, _>>()?;

    // the province's dossiers
    let province =
        store::open(&store::Location::SqliteFile(dir.path().join("province.db"))).await?;
    let started = Instant::now();
    fill(province.as_ref(), &agencies, args.dossiers).await?;
    eprintln!(
        "{} dossiers made in {:.1} s",
        args.dossiers,
        started.elapsed().as_secs_f64()
    );
    let (calls, messages) = bodies(province.as_ref(), &agencies).await?;

    // the national node, a process of its own
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut command = std::process::Command::new(std::env::current_exe()?);
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(&national_dir)
        // the bench's one back office carries what all the provinces send
        .args(["--adapter-calls-per-minute", "1000000"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(url) = &args.national_database_url {
        command.args(["--database-url", url]);
    }
    let mut child = command.spawn().context("motcua serve")?;
    let outcome = async {
        ready(&base).await?;
        let location =
            crate::store_args::location(args.national_database_url.as_deref(), &national_dir)?;
        let national = crate::store_args::open_at(&location).await?;
        let (_, password) = web::services::backoffice::offices::connect(
            national.as_ref(),
            units,
            backoffice::office::Draft {
                id: "bench-province".into(),
                name: "Bench".into(),
                province: "01".into(),
                units: agencies.iter().map(|a| a.to_string()).collect(),
                endpoint: None,
                delivery: backoffice::Delivery::Pull,
                keys: Vec::new(),
            },
            "bench",
            Utc::now(),
        )
        .await?;

        // synchronised through the adapter
        let started = Instant::now();
        let pusher = web::services::backoffice::upstream::spawn(
            province.clone(),
            web::services::backoffice::upstream::Upstream::new(
                &format!("{base}/api/v1/integration"),
                "bench-province",
                &password,
                "https://motcua.example.vn",
            ),
        );
        loop {
            let backlog = province.dossiers().upstream_backlog().await?;
            if backlog.waiting == 0 {
                break;
            }
            if backlog.failing > 0 {
                pusher.abort();
                bail!(
                    "the national node refused dossiers: {:?}",
                    backlog.last_error
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let synced = started.elapsed();
        pusher.abort();

        // the same calls posted raw
        let raw_base = bare().await?;
        let http = reqwest::Client::new();
        let started = Instant::now();
        for call in &calls {
            let mut body = call.clone();
            body["session"] = json!("s");
            let answer: Value = http
                .post(format!("{raw_base}/api/v1/integration"))
                .json(&body)
                .send()
                .await?
                .json()
                .await?;
            if answer["error_code"] != "00" {
                bail!("the bare server answered {answer}");
            }
        }
        let raw = started.elapsed();
        anyhow::Ok((synced, raw))
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let (synced, raw) = outcome?;
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "dossiers": args.dossiers,
            "messages": messages,
            "calls": calls.len(),
            "national_store": if args.national_database_url.is_some() { "postgres" } else { "sqlite" },
            "synchronised_seconds": synced.as_secs_f64(),
            "synchronised_messages_per_second": messages as f64 / synced.as_secs_f64(),
            "raw_seconds": raw.as_secs_f64(),
            "raw_messages_per_second": messages as f64 / raw.as_secs_f64(),
            "ratio_raw_to_synchronised": synced.as_secs_f64() / raw.as_secs_f64(),
        }))?
    );
    Ok(())
}

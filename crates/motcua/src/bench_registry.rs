//! `motcua bench registry-lookup`: lookups by personal id against a store
//! that `motcua registry load` filled.
//!
//! The personal ids come from generating the same population again (same
//! `--people`, `--seed` and reference date) and keeping every k-th one, so
//! nothing has to be read from the store to know them. Each lookup is
//! `store.registry().person(pid)` on a random id of that sample, timed one
//! by one; `--concurrency` tasks run on as many runtime threads. Prints one
//! JSON object: lookups, wall time, lookups per second, p50/p99/max in
//! microseconds. `--pids-out` writes the sample, one id per line, for the
//! pgbench side of `bench/run-registry`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use domain::PersonalId;

use crate::registry_cli::PopulationArgs;
use crate::store_args::StoreArgs;

#[derive(clap::Args)]
pub struct LookupArgs {
    // the population loaded (as given to `registry load`)
    #[command(flatten)]
    population: PopulationArgs,
    /// How many personal ids to draw the lookups from.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    sample: u64,
    /// Lookups in all (spread over the tasks).
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    lookups: u64,
    /// Concurrent tasks (and runtime threads).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
    concurrency: u64,
    /// Seed of the random choice of ids.
    #[arg(long, value_name = "S", default_value_t = 2025)]
    pick_seed: u64,
    /// Write the sampled ids here, one per line.
    #[arg(long, value_name = "FILE")]
    pids_out: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn lookup(args: LookupArgs) -> anyhow::Result<()> {
    let pids = sample_pids(&args)?;
    if pids.is_empty() {
        bail!("the population is empty");
    }
    if let Some(path) = &args.pids_out {
        let mut out = BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        );
        for pid in &pids {
            writeln!(out, "{pid}")?;
        }
        out.flush()?;
    }
    let location = args.store.location()?;
    if let store::Location::SqliteFile(path) = &location
        && !path.is_file()
    {
        bail!("there is no database at {}", path.display());
    }
    let threads = usize::try_from(args.concurrency).context("too many tasks")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let pids = Arc::new(pids);
    let (mut latencies, wall) = runtime.block_on(async {
        let store = crate::store_args::open_at(&location).await?;
        // one untimed lookup per task opens the pool's connections
        for pid in pids.iter().take(threads) {
            store.registry().person(pid).await?;
        }
        let per_task = args.lookups / args.concurrency;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for task in 0..args.concurrency {
            let store = store.clone();
            let pids = pids.clone();
            let mut rng = args.pick_seed ^ task.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            tasks.push(tokio::spawn(async move {
                let mut times = Vec::with_capacity(usize::try_from(per_task).unwrap_or(0));
                for _ in 0..per_task {
                    let i = (splitmix(&mut rng) % pids.len() as u64) as usize;
                    let Some(pid) = pids.get(i) else { continue };
                    let t = Instant::now();
                    let person = store.registry().person(pid).await?;
                    times.push(t.elapsed());
                    if person.is_none() {
                        bail!("{pid} is not in the store: was it loaded with these arguments?");
                    }
                }
                anyhow::Ok(times)
            }));
        }
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.context("a lookup task failed")??);
        }
        anyhow::Ok((all, started.elapsed()))
    })?;
    latencies.sort_unstable();
    let quantile = |q: f64| -> f64 {
        let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies
            .get(i)
            .copied()
            .unwrap_or(Duration::ZERO)
            .as_secs_f64()
            * 1e6
    };
    let seconds = wall.as_secs_f64();
    let report = serde_json::json!({
        "backend": format!("{:?}", location.backend()).to_lowercase(),
        "concurrency": args.concurrency,
        "lookups": latencies.len(),
        "seconds": seconds,
        "per_sec": latencies.len() as f64 / seconds.max(1e-9),
        "p50_us": quantile(0.50),
        "p99_us": quantile(0.99),
        "max_us": quantile(1.0),
    });
    writeln!(std::io::stdout().lock(), "{report}")?;
    Ok(())
}

/// Every k-th id of the regenerated population, shuffled.
fn sample_pids(args: &LookupArgs) -> anyhow::Result<Vec<PersonalId>> {
    let generator = args.population.generator()?;
    let stride = (args.population.people / args.sample.max(1)).max(1);
    let mut pids = Vec::new();
    for (i, person) in generator.enumerate() {
        let person = person.context("generation stopped")?;
        if (i as u64).is_multiple_of(stride) {
            pids.push(PersonalId::parse(&person.personal_id)?);
        }
    }
    let mut rng = args.pick_seed;
    for i in (1..pids.len()).rev() {
        let j = (splitmix(&mut rng) % (i as u64 + 1)) as usize;
        pids.swap(i, j);
    }
    Ok(pids)
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

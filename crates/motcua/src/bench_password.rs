//! `motcua bench passwords`: how many password checks (argon2id with the
//! parameters people's passwords are hashed with) a machine does per
//! second, on one thread and on several — the cost that bounds log-ins.

use std::time::{Duration, Instant};

use identity::password::{Params, PasswordHash};

#[derive(clap::Args)]
pub struct PasswordArgs {
    /// How long each measurement runs, seconds.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Threads checking at once (default: the machine's cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn passwords(args: PasswordArgs) -> anyhow::Result<()> {
    let params = Params::DEFAULT;
    let hash = PasswordHash::new("mật khẩu đo tốc độ", &[7; 16], params)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = args.threads.unwrap_or(cores).max(1);
    let run = Duration::from_secs(args.seconds.max(1));
    for n in [1, threads] {
        let started = Instant::now();
        let counts: Vec<(u64, Vec<f64>)> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..n)
                .map(|_| {
                    s.spawn(|| {
                        let mut done = 0u64;
                        let mut ms = Vec::new();
                        while started.elapsed() < run {
                            let t = Instant::now();
                            // a wrong password costs the same as the right one
                            let ok = hash.verify("mật khẩu đo tốc độ");
                            ms.push(t.elapsed().as_secs_f64() * 1e3);
                            done += u64::from(ok);
                        }
                        (done, ms)
                    })
                })
                .collect();
            workers.into_iter().filter_map(|w| w.join().ok()).collect()
        });
        let seconds = started.elapsed().as_secs_f64();
        let checks: u64 = counts.iter().map(|(c, _)| c).sum();
        let mut ms: Vec<f64> = counts.into_iter().flat_map(|(_, m)| m).collect();
        ms.sort_by(f64::total_cmp);
        let p50 = ms.get(ms.len() / 2).copied().unwrap_or(0.0);
        let per_sec = checks as f64 / seconds;
        println!(
            "{}",
            serde_json::json!({
                "algorithm": "argon2id",
                "m_kib": params.m_kib, "t": params.t, "p": params.p,
                "threads": n,
                "cores": cores,
                "checks": checks,
                "seconds": seconds,
                "per_sec": per_sec,
                "per_sec_per_thread": per_sec / n as f64,
                "p50_ms": p50,
            })
        );
    }
    Ok(())
}

//! `motcua exchange verify-log`: proves the exchange's message log intact,
//! or names the first broken entry.
//!
//! The log is read in pages of [`PAGE`] entries and verified as it is read,
//! carrying the previous entry's hash, so memory stays constant however
//! long the log is (the checkpoints, one every N entries, are read whole).
//! The checks are those of `exchange::log::verify`: every entry's hash
//! covers its contents, chains to the entry before it, sequence numbers
//! have no gaps, every checkpoint is signed by the log operator and still
//! matches its entry, and the log reaches its last checkpoint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use exchange::PublicKey;
use exchange::log::{BreakReason, Broken, Checkpoint, Digest32, LogEntry};

/// How many entries are read and verified at a time.
pub const PAGE: usize = 1000;

/// The exchange node's configuration, relative to the data directory: the
/// operator's key is read from it when `--operator-key-file` is not given.
pub const EXCHANGE_CONFIG: &str = "exchange/demo.json";

#[derive(clap::Subcommand, Debug)]
pub enum ExchangeCommand {
    /// Verify the message log: hash chain, sequence and signed checkpoints.
    /// Exits 0 when intact, 1 naming the first broken entry.
    VerifyLog(VerifyLogArgs),
}

#[derive(clap::Args, Debug)]
pub struct VerifyLogArgs {
    /// Where the embedded SQLite database lives.
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,

    /// A PostgreSQL URL (`postgres://USER@HOST:PORT/DB`) or `sqlite:PATH`,
    /// instead of DATA_DIR/motcua.db.
    #[arg(long, env = "MOTCUA_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,

    /// The log operator's Ed25519 public key, as 64 hex digits in a file
    /// (default: the operator's key in the node's configuration).
    #[arg(long, env = "MOTCUA_OPERATOR_KEY_FILE")]
    operator_key_file: Option<PathBuf>,

    /// The exchange node's configuration, as given to `motcua serve`
    /// (default: DATA_DIR/exchange/demo.json).
    #[arg(long, env = "MOTCUA_EXCHANGE_CONFIG")]
    exchange_config: Option<PathBuf>,
}

pub fn run(command: ExchangeCommand) -> anyhow::Result<()> {
    match command {
        ExchangeCommand::VerifyLog(args) => verify_log(args),
    }
}

/// Reads a hex Ed25519 public key.
pub fn read_public_key(path: &Path) -> anyhow::Result<PublicKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the operator's public key {}", path.display()))?;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| {
        anyhow::anyhow!(
            "{} does not hold an Ed25519 public key as 64 hex digits",
            path.display()
        )
    })?;
    PublicKey::from_bytes(&bytes)
        .map_err(|_| anyhow::anyhow!("{} is not a valid Ed25519 public key", path.display()))
}

/// The operator's public key from the exchange node's configuration.
fn operator_key_of_node(config: &Path) -> anyhow::Result<PublicKey> {
    let node = web::exchange::DemoConfig::load(config)?;
    node.operator
        .public()
        .map_err(|e| anyhow::anyhow!("{}: {e}", config.display()))
}

fn verify_log(args: VerifyLogArgs) -> anyhow::Result<()> {
    let location = store::Location::parse(args.database_url.as_deref(), &args.data_dir)
        .context("MOTCUA_DATABASE_URL / --database-url")?;
    if let store::Location::SqliteFile(path) = &location
        && !path.is_file()
    {
        bail!(
            "there is no database at {} (give --data-dir or --database-url)",
            path.display()
        );
    }
    let key = match &args.operator_key_file {
        Some(file) => read_public_key(file)?,
        None => operator_key_of_node(
            &args
                .exchange_config
                .clone()
                .unwrap_or_else(|| args.data_dir.join(EXCHANGE_CONFIG)),
        )
        .context("give the log operator's public key with --operator-key-file")?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let outcome = runtime.block_on(async {
        let store = store::open(&location)
            .await
            .with_context(|| format!("cannot open the store ({location})"))?;
        verify_store(store.exchange(), &key).await
    })?;
    match outcome {
        Ok(v) => {
            let last = v
                .last_checkpoint
                .map_or_else(|| "none".to_string(), |s| s.to_string());
            println!(
                "log intact: {} entries, {} checkpoints, last checkpoint at seq {last}",
                v.entries, v.checkpoints
            );
            if v.unanchored > 0 {
                println!(
                    "note: the last {} entries are not yet under a signed checkpoint",
                    v.unanchored
                );
            }
            Ok(())
        }
        Err(b) => {
            println!("log broken at entry {}: {}", b.first_bad_seq, b.reason);
            bail!("the message log is not intact")
        }
    }
}

/// What a walk over the whole log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intact {
    pub entries: u64,
    pub checkpoints: usize,
    pub last_checkpoint: Option<u64>,
    pub unanchored: u64,
}

/// Verifies the stored log page by page. The outer error is a failure to
/// read; the inner one a broken log.
pub async fn verify_store(
    log: &dyn store::ExchangeStore,
    operator: &PublicKey,
) -> anyhow::Result<Result<Intact, Broken>> {
    let checkpoints = log
        .checkpoints()
        .await
        .context("cannot read the checkpoints")?;
    let mut walk = Walk::new(&checkpoints, operator);
    let mut from = 1u64;
    loop {
        let page = log
            .log_range(from, PAGE)
            .await
            .with_context(|| format!("cannot read the log from entry {from}"))?;
        let Some(last) = page.last() else { break };
        let next = last.seq.saturating_add(1);
        for e in &page {
            if let Err(b) = walk.step(e) {
                return Ok(Err(walk.first_break(b)));
            }
        }
        if page.len() < PAGE {
            break;
        }
        from = next;
    }
    Ok(walk.finish())
}

/// The incremental verifier: what is carried from one entry to the next.
struct Walk {
    /// The checkpoints whose signature is the operator's: seq → hash.
    anchors: BTreeMap<u64, Digest32>,
    checkpoints: usize,
    /// The lowest seq of a checkpoint not signed by the operator.
    forged: Option<u64>,
    expected_seq: u64,
    prev_hash: Digest32,
    last_anchor: Option<u64>,
}

impl Walk {
    fn new(checkpoints: &[Checkpoint], operator: &PublicKey) -> Walk {
        let mut anchors = BTreeMap::new();
        let mut forged: Option<u64> = None;
        for cp in checkpoints {
            if cp.verify(operator) {
                anchors.insert(cp.seq, cp.hash);
            } else {
                forged = Some(forged.map_or(cp.seq, |f| f.min(cp.seq)));
            }
        }
        Walk {
            anchors,
            checkpoints: checkpoints.len(),
            forged,
            expected_seq: 1,
            prev_hash: Digest32::ZERO,
            last_anchor: None,
        }
    }

    fn step(&mut self, e: &LogEntry) -> Result<(), Broken> {
        let broken = |first_bad_seq, reason| {
            Err(Broken {
                first_bad_seq,
                reason,
            })
        };
        if e.seq != self.expected_seq {
            // the store reads entries in sequence order, one per seq
            return if e.seq < self.expected_seq {
                broken(e.seq, BreakReason::Duplicate)
            } else {
                broken(
                    self.expected_seq,
                    BreakReason::Missing {
                        from: self.expected_seq,
                        to: e.seq - 1,
                    },
                )
            };
        }
        if e.compute_hash() != e.hash {
            return broken(e.seq, BreakReason::Edited);
        }
        if e.prev_hash != self.prev_hash {
            return if e.seq == 1 {
                broken(1, BreakReason::BadGenesis)
            } else {
                broken(e.seq - 1, BreakReason::ChainBroken { next: e.seq })
            };
        }
        if let Some(signed) = self.anchors.get(&e.seq) {
            if *signed != e.hash {
                return broken(
                    self.last_anchor.map_or(1, |a| a + 1),
                    BreakReason::CheckpointMismatch {
                        checkpoint_seq: e.seq,
                    },
                );
            }
            self.last_anchor = Some(e.seq);
        }
        self.prev_hash = e.hash;
        self.expected_seq += 1;
        Ok(())
    }

    /// A forged checkpoint before the break found is the first break.
    fn first_break(&self, b: Broken) -> Broken {
        match self.forged {
            Some(f) if f < b.first_bad_seq => Broken {
                first_bad_seq: f,
                reason: BreakReason::ForgedCheckpoint,
            },
            _ => b,
        }
    }

    fn finish(self) -> Result<Intact, Broken> {
        if let Some((&cp, _)) = self.anchors.range(self.expected_seq..).next() {
            return Err(self.first_break(Broken {
                first_bad_seq: self.expected_seq,
                reason: BreakReason::Truncated { checkpoint_seq: cp },
            }));
        }
        if let Some(f) = self.forged {
            return Err(Broken {
                first_bad_seq: f,
                reason: BreakReason::ForgedCheckpoint,
            });
        }
        let entries = self.expected_seq - 1;
        Ok(Intact {
            entries,
            checkpoints: self.checkpoints,
            last_checkpoint: self.last_anchor,
            unanchored: entries - self.last_anchor.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use exchange::{KeyId, LogRecord, LogWriter, MemberKey};

    fn operator() -> MemberKey {
        MemberKey::from_seed(
            "VN/GOV/BCA/exchange".parse().expect("a member id"),
            KeyId("log-test".into()),
            [7; 32],
        )
    }

    fn log(n: u64) -> (Vec<LogEntry>, Vec<Checkpoint>) {
        let op = operator();
        let mut w = LogWriter::new(3);
        let (mut entries, mut cps) = (Vec::new(), Vec::new());
        for i in 0..n {
            let a = w.append(
                LogRecord {
                    at: Utc
                        .timestamp_opt(1_770_000_000 + i as i64, 0)
                        .single()
                        .expect("an instant"),
                    consumer: "VN/GOV/BHXH/claims".parse().expect("a member id"),
                    provider: "VN/GOV/BCA/registry".parse().expect("a member id"),
                    service: "person.get".into(),
                    purpose: "claims".into(),
                    legal_basis: Some("L-41/2024".into()),
                    case_ref: Some(format!("case-{i}")),
                    person_id: Some("001190000001".into()),
                    fields: vec!["full_name".into()],
                    request_digest: Digest32::of(b"q"),
                    response_digest: Some(Digest32::of(b"r")),
                },
                &op,
            );
            entries.push(a.entry);
            cps.extend(a.checkpoint);
        }
        (entries, cps)
    }

    /// The walk agrees with `exchange::log::verify` on the whole log.
    fn both(
        entries: &[LogEntry],
        cps: &[Checkpoint],
    ) -> (Result<u64, Broken>, Result<u64, Broken>) {
        let key = operator().public();
        let mut w = Walk::new(cps, &key);
        let mut walked = Ok(());
        for e in entries {
            if let Err(b) = w.step(e) {
                walked = Err(w.first_break(b));
                break;
            }
        }
        let walked = walked.and_then(|()| w.finish()).map(|v| v.entries);
        let whole = exchange::log::verify(entries, cps, &key).map(|v| v.entries);
        (walked, whole)
    }

    #[test]
    fn agrees_with_the_library_on_intact_and_tampered_logs() {
        let (entries, cps) = log(10);
        let (a, b) = both(&entries, &cps);
        assert_eq!(a, Ok(10));
        assert_eq!(a, b);

        let mut edited = entries.clone();
        edited[4].record.purpose = "curiosity".into();
        let (a, b) = both(&edited, &cps);
        assert_eq!(a.as_ref().map_err(|b| b.first_bad_seq), Err(5));
        assert_eq!(a, b);

        let mut rehashed = entries.clone();
        rehashed[4].record.purpose = "curiosity".into();
        rehashed[4].hash = rehashed[4].compute_hash();
        let (a, b) = both(&rehashed, &cps);
        assert!(a.is_err());
        assert_eq!(a, b);

        let mut gap = entries.clone();
        gap.remove(6);
        let (a, b) = both(&gap, &cps);
        assert_eq!(a.as_ref().map_err(|b| b.first_bad_seq), Err(7));
        assert_eq!(a, b);

        let (a, b) = both(&entries[..7], &cps);
        assert!(matches!(
            a,
            Err(Broken {
                reason: BreakReason::Truncated { checkpoint_seq: 9 },
                ..
            })
        ));
        assert_eq!(a, b);

        let mut forged = cps.clone();
        forged[1].signature = forged[0].signature.clone();
        let (a, b) = both(&entries, &forged);
        assert!(matches!(
            a,
            Err(Broken {
                first_bad_seq: 6,
                reason: BreakReason::ForgedCheckpoint
            })
        ));
        assert_eq!(a, b);
    }
}

//! `motcua exchange verify-log`: proves the exchange's message log intact,
//! or names the first broken entry; `motcua exchange export-head`: prints
//! the log's latest signed head as the node keeps it, for an auditor to keep;
//! `motcua exchange rotate-key`: gives the node's provider a new signing key,
//! keeping the old one retired.
//!
//! The log is read in pages of [`PAGE`] entries and verified as it is read
//! by `exchange::LogVerifier`, carrying the previous entry's hash, so memory
//! stays constant however long the log is (the checkpoints, one every N
//! entries, are read whole). Every entry's hash covers its contents and
//! chains to the entry before it, sequence numbers have no gaps, every
//! checkpoint is signed by the log operator, still matches its entry and
//! none is missing where one is due, and the log reaches its last
//! checkpoint and every signed head given — heads kept outside the
//! database (members keep the one each answer carries; the node keeps its
//! latest in `DATA_DIR/exchange/head.json`), so that a log cut short,
//! checkpoints and all, is noticed.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use exchange::log::{Broken, Verified};
use exchange::{LogVerifier, PublicKey, SignedHead};

/// How many entries are read and verified at a time.
pub const PAGE: usize = 1000;

/// The exchange node's configuration, relative to the data directory: the
/// operator's key is read from it when `--operator-key-file` is not given.
pub const EXCHANGE_CONFIG: &str = "exchange/demo.json";

/// The node's own head file, relative to the data directory.
pub const NODE_HEAD: &str = "exchange/head.json";

#[derive(clap::Subcommand, Debug)]
pub enum ExchangeCommand {
    /// Verify the message log: hash chain, sequence, signed checkpoints,
    /// and the signed heads kept outside the database (the node's own head
    /// file when present, and every --head). Exits 0 when intact, 1 naming
    /// the first broken entry.
    VerifyLog(VerifyLogArgs),
    /// Print the log's latest signed head, as the node keeps it in
    /// DATA_DIR/exchange/head.json (JSON), for an auditor to keep and give
    /// back to `verify-log --head`.
    ExportHead(NodeArgs),
    /// Replace the key the node signs with as the population registry's
    /// provider (its answers, and the seals of the results its agencies
    /// issue) by a new one. The old key stays in the configuration by its
    /// public key, retired now: what it signed before still verifies, and
    /// nothing signed with it from now on does. Restart `motcua serve` to
    /// sign with the new key.
    RotateKey(NodeArgs),
    /// Print the key this node signs with as the provider (its answers,
    /// and the dossiers it pushes to back offices) as another node lists
    /// it: member, key id, public key and the retired ones (JSON). A
    /// province's node takes this portal's pushes with it
    /// (`motcua serve --upstream-signer`).
    Listing(NodeArgs),
}

/// Where the node keeps its data, and how to know its log operator.
#[derive(clap::Args, Debug)]
pub struct NodeArgs {
    /// Where the embedded SQLite database and the node's head file live.
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "./data")]
    data_dir: PathBuf,

    /// The log operator's Ed25519 public key, as 64 hex digits in a file
    /// (default: the operator's key in the node's configuration).
    #[arg(long, env = "MOTCUA_OPERATOR_KEY_FILE")]
    operator_key_file: Option<PathBuf>,

    /// The exchange node's configuration, as given to `motcua serve`
    /// (default: DATA_DIR/exchange/demo.json).
    #[arg(long, env = "MOTCUA_EXCHANGE_CONFIG")]
    exchange_config: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct VerifyLogArgs {
    #[command(flatten)]
    node: NodeArgs,

    /// A PostgreSQL URL (`postgres://USER@HOST:PORT/DB`) or `sqlite:PATH`,
    /// instead of DATA_DIR/motcua.db.
    #[arg(long, env = "MOTCUA_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,

    /// A signed head of the log kept outside the database: the value (or
    /// line) of an answer's `x-log-head` header, or the JSON of
    /// `export-head`. The log must still hold the entry it names, with its
    /// hash. Repeat for several; the node's own DATA_DIR/exchange/head.json
    /// is checked too when present.
    #[arg(long = "head", value_name = "FILE")]
    heads: Vec<PathBuf>,

    /// The entries between two checkpoints, as the node is configured
    /// (default: `checkpoint_every` of the node's configuration): a
    /// checkpoint missing where one is due is reported.
    #[arg(long, value_name = "N")]
    checkpoint_every: Option<u64>,
}

pub fn run(command: ExchangeCommand) -> anyhow::Result<()> {
    match command {
        ExchangeCommand::VerifyLog(args) => verify_log(args),
        ExchangeCommand::ExportHead(args) => export_head(&args),
        ExchangeCommand::RotateKey(args) => rotate_key(&args),
        ExchangeCommand::Listing(args) => listing(&args),
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

impl NodeArgs {
    fn config_path(&self) -> PathBuf {
        self.exchange_config
            .clone()
            .unwrap_or_else(|| self.data_dir.join(EXCHANGE_CONFIG))
    }

    /// The node's configuration, when it can be read.
    fn config(&self) -> anyhow::Result<web::services::exchange::node::DemoConfig> {
        Ok(web::services::exchange::node::DemoConfig::load(
            &self.config_path(),
        )?)
    }

    /// The operator's public key: from --operator-key-file, else from the
    /// node's configuration.
    fn operator_key(&self) -> anyhow::Result<PublicKey> {
        if let Some(file) = &self.operator_key_file {
            return read_public_key(file);
        }
        let config = self.config_path();
        let node = self
            .config()
            .context("give the log operator's public key with --operator-key-file")?;
        node.operator
            .public()
            .map_err(|e| anyhow::anyhow!("{}: {e}", config.display()))
    }

    fn head_file(&self) -> web::services::exchange::head::HeadFile {
        web::services::exchange::head::HeadFile::new(self.data_dir.join(NODE_HEAD))
    }
}

fn export_head(args: &NodeArgs) -> anyhow::Result<()> {
    let key = args.operator_key()?;
    let file = args.head_file();
    let Some(head) = file.read_signed(&key)? else {
        bail!(
            "there is no signed head at {}: the node writes it there once it has logged an entry \
             (give the node's --data-dir)",
            file.path().display()
        );
    };
    println!("{}", serde_json::to_string_pretty(&head)?);
    Ok(())
}

fn listing(args: &NodeArgs) -> anyhow::Result<()> {
    let listing = args
        .config()
        .with_context(|| {
            format!(
                "cannot read the node's exchange configuration {} (give --data-dir or \
                 --exchange-config)",
                args.config_path().display()
            )
        })?
        .provider
        .listing()
        .map_err(anyhow::Error::msg)?;
    println!("{}", serde_json::to_string_pretty(&listing)?);
    Ok(())
}

fn rotate_key(args: &NodeArgs) -> anyhow::Result<()> {
    let path = args.config_path();
    let mut config = web::services::exchange::node::DemoConfig::load_private(&path)?;
    let old = config.provider.key_id.clone();
    config.provider.rotate(chrono::Utc::now())?;
    config.save(&path)?;
    println!(
        "the provider {} now signs with key {}; key {old} is kept, retired (what it signed \
         still verifies). Restart motcua serve to sign with the new key.",
        config.provider.member.id, config.provider.key_id
    );
    Ok(())
}

fn verify_log(args: VerifyLogArgs) -> anyhow::Result<()> {
    let data_dir = &args.node.data_dir;
    let location = crate::store_args::location(args.database_url.as_deref(), data_dir)?;
    if let store::Location::SqliteFile(path) = &location
        && !path.is_file()
    {
        bail!(
            "there is no database at {} (give --data-dir or --database-url)",
            path.display()
        );
    }
    let key = args.node.operator_key()?;
    let every = args
        .checkpoint_every
        .or_else(|| args.node.config().ok().map(|c| c.checkpoint_every));
    // the heads: the node's own file when present, then each one given
    let mut heads: Vec<(String, SignedHead)> = Vec::new();
    let own = args.node.head_file();
    if let Some(head) = own.read()? {
        heads.push((own.path().display().to_string(), head));
    }
    for file in &args.heads {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read the signed head {}", file.display()))?;
        let head = SignedHead::parse(&text).with_context(|| file.display().to_string())?;
        heads.push((file.display().to_string(), head));
    }
    let runtime = crate::runtime::current_thread()?;
    let outcome = runtime.block_on(async {
        let store = crate::store_args::open_at(&location).await?;
        let checkpoints = store
            .exchange()
            .checkpoints()
            .await
            .context("cannot read the checkpoints")?;
        let mut verifier =
            LogVerifier::new(&checkpoints, &key).checkpoints_every(every.unwrap_or(0));
        for (file, head) in &heads {
            verifier
                .hold_head(head, &key)
                .with_context(|| file.clone())?;
        }
        verify_store(store.exchange(), verifier).await
    })?;
    match outcome {
        Ok(v) => {
            report_intact(&v, every);
            Ok(())
        }
        Err(b) => {
            println!("log broken at entry {}: {}", b.first_bad_seq, b.reason);
            bail!("the message log is not intact")
        }
    }
}

fn report_intact(v: &Verified, every: Option<u64>) {
    let last = v
        .last_checkpoint
        .map_or_else(|| "none".to_string(), |s| s.to_string());
    println!(
        "log intact: {} entries, {} checkpoints, last checkpoint at seq {last}",
        v.entries, v.checkpoints
    );
    match &v.last_head {
        Some(h) => println!(
            "signed heads: {} checked, the latest of {} at entry {}",
            v.heads, h.at, h.seq
        ),
        None => println!(
            "note: no signed head was given: a log cut short after its last checkpoint could not \
             be seen (give --head FILE, a head kept from an answer's x-log-head or from \
             `motcua exchange export-head`)"
        ),
    }
    if v.unanchored > 0 {
        println!(
            "note: the last {} entries are not yet under a signed checkpoint or head",
            v.unanchored
        );
    }
    if every.is_none() {
        println!(
            "note: the checkpoint interval is unknown (give --checkpoint-every): \
             deleted checkpoints were not looked for"
        );
    }
}

/// Verifies the stored log page by page with `verifier`. The outer error is
/// a failure to read; the inner one a broken log.
pub async fn verify_store(
    log: &dyn store::ExchangeStore,
    mut verifier: LogVerifier,
) -> anyhow::Result<Result<Verified, Broken>> {
    let mut from = 1u64;
    loop {
        let page = log
            .log_range(from, PAGE)
            .await
            .with_context(|| format!("cannot read the log from entry {from}"))?;
        let Some(last) = page.last() else { break };
        let next = last.seq.saturating_add(1);
        for e in &page {
            if let Err(b) = verifier.step(e) {
                return Ok(Err(b));
            }
        }
        if page.len() < PAGE {
            break;
        }
        from = next;
    }
    Ok(verifier.finish())
}

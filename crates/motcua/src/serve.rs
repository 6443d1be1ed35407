//! `motcua serve`: opens the store (creating and migrating it on first
//! start), loads the administrative units into it, and serves the HTTP
//! application until SIGTERM or Ctrl-C, finishing the requests in flight.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tracing_subscriber::EnvFilter;

use web::services::delivery::{DeliveryConfig, DeliveryService};
use web::services::exchange::node::ExchangeNode;
use web::services::identity::provider::OidcProvider;

use crate::store_args::StoreArgs;

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The log filter when `RUST_LOG` is not set.
const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn";

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on (`HOST:PORT`; port 0 picks a free one).
    #[arg(long, env = "MOTCUA_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,

    #[command(flatten)]
    store: StoreArgs,

    /// A NATS server (`nats://HOST:PORT`) whose JetStream carries vital
    /// events to subscribers; without it, the embedded in-process bus.
    #[arg(long, env = "MOTCUA_NATS_URL", hide_env_values = true)]
    nats_url: Option<String>,

    /// The replicas of the vital-event stream: 3 on a NATS cluster of
    /// three servers (give them all to --nats-url, separated by commas).
    #[arg(long, env = "MOTCUA_NATS_REPLICAS", default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=5))]
    nats_replicas: u8,

    /// The exchange node's configuration (members, keys, rights; see
    /// ARCHITECTURE.md), readable by its owner only; without it, a
    /// demonstration set kept under DATA_DIR/exchange/demo.json.
    #[arg(long, env = "MOTCUA_EXCHANGE_CONFIG")]
    exchange_config: Option<PathBuf>,

    /// The identity provider's issuer: the public https URL relying parties
    /// reach this server at (default: http:// and the listening address,
    /// for a local machine).
    #[arg(long, env = "MOTCUA_ISSUER")]
    issuer: Option<String>,

    /// The instant the old portals' organisation accounts stop (RFC 3339);
    /// from then on organisations log in through their representatives.
    #[arg(
        long,
        env = "MOTCUA_LEGACY_CUTOVER",
        default_value = "2025-07-01T00:00:00+07:00"
    )]
    legacy_cutover: chrono::DateTime<chrono::FixedOffset>,

    /// A reverse proxy whose X-Forwarded-For names the client (repeat, or
    /// comma-separated in MOTCUA_TRUSTED_PROXIES); log-in limits count
    /// clients by address.
    #[arg(
        long = "trusted-proxy",
        env = "MOTCUA_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,

    /// An SMTP server the notices to applicants are e-mailed through
    /// (`smtp://HOST:PORT`, `smtp://HOST:PORT?tls=required`,
    /// `smtps://USER:PASSWORD@HOST`); without it, notices are shown in the
    /// portal only.
    #[arg(long, env = "MOTCUA_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,

    /// The sender of those e-mails.
    #[arg(
        long,
        env = "MOTCUA_MAIL_FROM",
        default_value = "Cổng Dịch vụ công <no-reply@dichvucong.example>"
    )]
    mail_from: String,

    /// The limits on filing dossiers: per account and minute / per account
    /// and agency a day (online) / per agency and minute (online).
    #[arg(long, env = "MOTCUA_FILING_LIMITS", default_value = "10/30/120")]
    filing_limits: web::ratelimit::FilingQuota,

    /// Load a demonstration population (3,000 generated people) into an
    /// empty registry, with three eID accounts to try the portal — a
    /// citizen, an officer and a leader of the citizen's commune — whose
    /// log-ins are written to DATA_DIR/demo-accounts.txt. Not for a real
    /// deployment.
    #[arg(long, env = "MOTCUA_DEMO")]
    demo: bool,

    /// The national portal's integration adapter this node reports every
    /// dossier change to, as a province's back office
    /// (`https://…/api/v1/integration`), logging in as --upstream-user with
    /// MOTCUA_UPSTREAM_PASSWORD; without it, nothing is sent upstream.
    #[arg(long, env = "MOTCUA_UPSTREAM_URL", requires_all = ["upstream_user", "upstream_password"])]
    upstream: Option<String>,

    /// This node's back office id at the upstream portal.
    #[arg(long, env = "MOTCUA_UPSTREAM_USER")]
    upstream_user: Option<String>,

    /// Its password there (from the environment: a command line is seen by
    /// every user of the machine).
    #[arg(long, env = "MOTCUA_UPSTREAM_PASSWORD", hide_env_values = true)]
    upstream_password: Option<String>,

    /// Report over motcua's own profile: every call to the upstream portal
    /// signed (RFC 9421) with the key in this file (`motcua backoffice
    /// key`), whose member the upstream portal lists, and kept in its
    /// message log; without it, calls carry the session of the log-in.
    #[arg(long, env = "MOTCUA_UPSTREAM_KEY", requires = "upstream")]
    upstream_key: Option<PathBuf>,

    /// Take the dossiers the upstream portal pushes to this node (at
    /// /api/v1/integration/deliveries, the endpoint the portal's operator
    /// connects this back office with), signed by the portal's key listed
    /// in this file (`motcua exchange listing` on the portal); the feed is
    /// read as well.
    #[arg(long, env = "MOTCUA_UPSTREAM_SIGNER", requires = "upstream")]
    upstream_signer: Option<PathBuf>,

    /// How long a call to the upstream portal may take before it is given
    /// up and tried again later, in seconds.
    #[arg(long, env = "MOTCUA_UPSTREAM_TIMEOUT_SECONDS", default_value_t = 30)]
    upstream_timeout_seconds: u64,

    /// How often today's and yesterday's dossiers of every agency are
    /// reconciled with the upstream portal (what differs is sent again),
    /// in minutes; 0: never.
    #[arg(long, env = "MOTCUA_RECONCILE_MINUTES", default_value_t = 60)]
    reconcile_minutes: u64,

    /// Calls each back office may make to the integration adapter a minute
    /// (a call carries up to 100 packets).
    #[arg(
        long,
        env = "MOTCUA_ADAPTER_CALLS_PER_MINUTE",
        default_value_t = web::ratelimit::ADAPTER_CALLS_PER_MINUTE
    )]
    adapter_calls_per_minute: u32,

    /// How long a dossier may wait to be taken upstream before it is an
    /// alert (logged as an error; the gauge `upstream_alert` is 1), in
    /// minutes.
    #[arg(long, env = "MOTCUA_UPSTREAM_ALERT_MINUTES", default_value_t = 15)]
    upstream_alert_minutes: u64,

    /// The log format; the level is set with RUST_LOG (default `info`).
    #[arg(long, env = "MOTCUA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

/// Sets up logging to standard output, filtered by `RUST_LOG`.
pub fn init_logging(format: LogFormat) -> anyhow::Result<()> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => EnvFilter::try_new(&spec)
            .with_context(|| format!("RUST_LOG={spec:?} is not a valid log filter"))?,
        _ => EnvFilter::new(DEFAULT_LOG_FILTER),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    let installed = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stdout().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    installed.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format)?;
    let location = args.store.location()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("motcua")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args, location))
}

async fn serve(args: ServeArgs, location: store::Location) -> anyhow::Result<()> {
    let ServeArgs {
        listen,
        store: StoreArgs { data_dir, .. },
        nats_url,
        nats_replicas,
        exchange_config,
        issuer,
        legacy_cutover,
        trusted_proxies,
        smtp_url,
        mail_from,
        filing_limits,
        demo,
        upstream,
        upstream_user,
        upstream_password,
        upstream_key,
        upstream_signer,
        upstream_alert_minutes,
        upstream_timeout_seconds,
        adapter_calls_per_minute,
        reconcile_minutes,
        ..
    } = args;
    let provider = web::services::identity::provider::ProviderOptions {
        legacy_cutover,
        trusted_proxies,
    };
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "motcua starting");
    let mut signals = ShutdownSignals::install();
    // bind first: a taken address fails before any database work
    let listener = bind(&listen).await?;

    tracing::info!(%location, "opening the store");
    let store = crate::store_args::open_at(&location).await?;

    let units = units::Units::get();
    let sync = store
        .sync_units(units)
        .await
        .context("cannot load the administrative units into the store")?;
    if sync.written {
        let n = store::UnitCounts::of(units);
        tracing::info!(
            version = %sync.version,
            provinces = n.provinces,
            communes = n.communes,
            legacy_provinces = n.legacy_provinces,
            legacy_districts = n.legacy_districts,
            legacy_communes = n.legacy_communes,
            conversion_rows = n.conversion_rows,
            "wrote the administrative units"
        );
    } else {
        tracing::info!(version = %sync.version, "administrative units already up to date");
    }
    if demo {
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        crate::demo::load(store.as_ref(), &data_dir)
            .await
            .context("cannot load the demonstration data (--demo)")?;
    }

    let addr = listener
        .local_addr()
        .context("cannot read the listening address")?;
    tracing::info!(url = %format!("http://{addr}"), "listening");

    // the exchange: the node's own configuration, or demo members, keys
    // and rights under DATA_DIR/exchange; the log resumes from its head
    let config = match &exchange_config {
        Some(path) => web::services::exchange::node::NodeConfig::load_private(path)
            .context("cannot load the exchange configuration (--exchange-config)")?,
        None => {
            web::services::exchange::node::DemoConfig::load_or_create(&data_dir.join("exchange"))
                .context("cannot load the exchange configuration")?
        }
    };
    // the log's latest signed head is kept outside the database
    let head_file = web::services::exchange::head::HeadFile::in_dir(&data_dir.join("exchange"));
    std::fs::create_dir_all(data_dir.join("exchange"))
        .with_context(|| format!("cannot create {}", data_dir.join("exchange").display()))?;
    let node = ExchangeNode::start_with_head_file(&config, store.clone(), head_file)
        .await
        .context("cannot set up the exchange node")?;
    tracing::info!(provider = %node.provider.member, "exchange node ready");

    // vital events to subscribers: JetStream when configured, else in-process
    let bus = delivery::open_bus(nats_url.as_deref(), usize::from(nats_replicas))
        .await
        .context("cannot open the vital-event bus (MOTCUA_NATS_URL / --nats-url)")?;
    let delivery_config = match nats_url {
        Some(_) => DeliveryConfig::default(),
        None => DeliveryConfig::in_process(),
    };
    let deliveries = DeliveryService::start(store.clone(), node.clone(), bus, delivery_config)
        .context("cannot start the delivery of vital events")?;

    // the identity provider: its keys from the store (a first one made once)
    let issuer = issuer.unwrap_or_else(|| format!("http://{addr}"));
    let oidc = OidcProvider::start_with(&issuer, store.as_ref(), provider)
        .await
        .context("cannot start the identity provider (MOTCUA_ISSUER / --issuer)")?;
    tracing::info!(issuer = %oidc.issuer(), "identity provider ready");
    // a rotation made on any node (motcua oidc keys rotate) reaches this one
    let _key_reloader = oidc.spawn_key_reloader(
        store.clone(),
        web::services::identity::provider::KEY_RELOAD_EVERY,
    );

    // notices to applicants by e-mail, from the outbox, when a server is set
    let mailer = match smtp_url {
        Some(url) => {
            let mailer = web::services::mail::Mailer::new(&url, &mail_from, oidc.issuer())
                .context("cannot set up e-mail (MOTCUA_SMTP_URL / --smtp-url, --mail-from)")?;
            tracing::info!("notices are e-mailed");
            Some(mailer.spawn(store.clone()))
        }
        None => None,
    };

    // every dossier change reported to the national portal, when set
    let reports_upstream = upstream.is_some();
    let mut pushes = None;
    let pusher = match (upstream, upstream_user, upstream_password) {
        (Some(url), Some(user), Some(password)) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                anyhow::bail!("--upstream: {url:?} is not an http(s) address");
            }
            tracing::info!(%url, %user, "reporting dossiers upstream");
            let upstream = web::services::backoffice::upstream::Upstream::new(
                &url,
                &user,
                &password,
                oidc.issuer(),
            )
            .with_timeout(std::time::Duration::from_secs(
                upstream_timeout_seconds.max(1),
            ));
            let upstream = match &upstream_key {
                Some(path) => {
                    let key = web::services::exchange::node::DemoMember::load_key(path)
                        .context("cannot read the upstream key (--upstream-key)")?;
                    tracing::info!(member = %key.member, "calls upstream are signed");
                    upstream.signed_by(key)
                }
                None => upstream,
            };
            if let Some(path) = &upstream_signer {
                let signer = web::services::exchange::node::DemoMember::load_listing(path)
                    .context("cannot read the upstream portal's listing (--upstream-signer)")?;
                tracing::info!(member = %signer.member.id, "taking the dossiers the upstream portal pushes");
                pushes = Some(std::sync::Arc::new(
                    web::services::backoffice::inbound::Pushes::new(&signer, upstream.clone())
                        .map_err(anyhow::Error::msg)
                        .context("--upstream-signer")?,
                ));
            }
            let reconciler = (reconcile_minutes > 0).then(|| {
                web::services::backoffice::upstream::spawn_reconciler(
                    store.clone(),
                    upstream.clone(),
                    std::time::Duration::from_secs(reconcile_minutes * 60),
                )
            });
            // the dossiers the national portal received for this node's
            // units, taken from its feed
            let inbound =
                web::services::backoffice::inbound::spawn(store.clone(), upstream.clone())
                    .map_err(anyhow::Error::msg)
                    .context("cannot start reading the national portal's feed")?;
            Some((
                web::services::backoffice::upstream::spawn(store.clone(), upstream),
                reconciler,
                inbound,
            ))
        }
        _ => None,
    };

    // the dossiers filed here for the units of a back office configured
    // for push, pushed to it signed with this node's exchange key
    let downstream = web::services::backoffice::downstream::spawn(
        store.clone(),
        node.clone(),
        oidc.issuer().trim_end_matches('/').to_string(),
    )
    .map_err(anyhow::Error::msg)
    .context("cannot start delivering dossiers to the back offices")?;

    // the synchronisation's gauges for Prometheus, and the upstream alert
    let gauges = web::services::backoffice::status::spawn_gauges(
        store.clone(),
        std::time::Duration::from_secs(15),
        reports_upstream.then(|| std::time::Duration::from_secs(upstream_alert_minutes * 60)),
    );

    let app = web::app(web::AppState {
        store,
        units,
        exchange: node,
        oidc,
        filing: std::sync::Arc::new(web::ratelimit::FilingLimits::new(filing_limits)),
        papers: std::sync::Arc::new(web::ratelimit::papers()),
        adapter: std::sync::Arc::new(web::ratelimit::AdapterLimits::new(adapter_calls_per_minute)),
        drafts: std::sync::Arc::default(),
        upstream_alert: reports_upstream
            .then(|| std::time::Duration::from_secs(upstream_alert_minutes * 60)),
        pushes,
    });
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(web::serve(listener, app, async move {
        let _ = stop_rx.await;
    }));

    tokio::select! {
        ended = &mut server => {
            // the server stopped without being asked to
            ended.context("the server task failed")?.context("the server failed")?;
            return Ok(());
        }
        signal = signals.recv() => {
            tracing::info!(signal, "shutting down: finishing the requests in flight");
        }
    }
    let _ = stop_tx.send(());
    deliveries.shutdown().await;
    downstream.abort();
    if let Some((p, r, i)) = pusher {
        p.abort();
        i.abort();
        if let Some(r) = r {
            r.abort();
        }
    }
    gauges.abort();
    if let Some(m) = mailer {
        m.abort();
    }
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(ended) => {
            ended
                .context("the server task failed")?
                .context("the server failed")?;
            tracing::info!("stopped");
        }
        Err(_) => tracing::warn!(
            grace_s = SHUTDOWN_GRACE.as_secs(),
            "requests still in flight after the grace period; stopping anyway"
        ),
    }
    Ok(())
}

async fn bind(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Err(anyhow::anyhow!(
            "cannot listen on {listen}: the address is already in use (is another motcua \
             running?); choose another with --listen or MOTCUA_LISTEN"
        )),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err(anyhow::anyhow!(
            "cannot listen on {listen}: permission denied (ports below 1024 need privileges); \
             choose another with --listen or MOTCUA_LISTEN"
        )),
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "cannot listen on {listen:?} (expected HOST:PORT, such as 127.0.0.1:8080)"
        ))),
    }
}

/// Ctrl-C and (on Unix) SIGTERM, listened for from the start: a signal that
/// comes while the server is starting, or just after it first answers, still
/// stops it cleanly instead of killing the process.
struct ShutdownSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let listen = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, signal = name, "cannot listen for the signal");
                    None
                }
            };
            Self {
                term: listen(SignalKind::terminate(), "SIGTERM"),
                int: listen(SignalKind::interrupt(), "SIGINT"),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Waits for the first signal and names it.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = next(&mut self.term) => "SIGTERM",
                () = next(&mut self.int) => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        match tokio::signal::ctrl_c().await {
            Ok(()) => "SIGINT",
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending().await
            }
        }
    }
}

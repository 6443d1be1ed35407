//! How the synchronisation is doing, for operators and for Prometheus:
//! on the national side, each connected back office's activity (messages
//! of the last day by verdict, the last one's time, the messages left for
//! an operator); on a province's node, what waits to be sent upstream,
//! since when, and why the last attempt failed — with an alert when the
//! oldest has waited longer than the configured time.

use crate::services::Stores;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use store::{MessageVerdict, Store, StoreError, StoredOffice};

/// A connected back office and how it is doing.
#[derive(Debug, Clone)]
pub struct OfficeStatus {
    /// The back office.
    pub office: StoredOffice,
    /// Its messages of the last 24 hours, by verdict.
    pub received_24h: BTreeMap<&'static str, u64>,
    /// When its last message came.
    pub last_received: Option<DateTime<Utc>>,
    /// Its messages in quarantine, not resolved.
    pub quarantined: u64,
    /// Its messages waiting for their dossier's packet.
    pub waiting: u64,
    /// The dossiers filed here waiting to be delivered to it.
    pub to_deliver: store::DownBacklog,
}

/// `office` and how it is doing at `now`.
pub async fn office(
    on: &(impl Stores + ?Sized),
    office: StoredOffice,
    now: DateTime<Utc>,
) -> Result<OfficeStatus, StoreError> {
    let figures = Figures::read(on.stores(), now).await?;
    Ok(figures.of(office))
}

/// What every back office's status is made of: the messages of the last
/// day, those left for an operator, and what waits to be delivered.
struct Figures {
    activity: Vec<store::UnitActivity>,
    open: Vec<store::UnitActivity>,
    backlog: Vec<store::DownBacklog>,
}

impl Figures {
    async fn read(store: &dyn store::Store, now: DateTime<Utc>) -> Result<Figures, StoreError> {
        let sync = store.sync();
        Ok(Figures {
            activity: sync
                .unit_activity(now - chrono::Duration::hours(24))
                .await?,
            open: sync.open_counts().await?,
            backlog: sync.down_backlog().await?,
        })
    }

    fn of(&self, office: StoredOffice) -> OfficeStatus {
        summarise(office, &self.activity, &self.open, &self.backlog)
    }
}

fn summarise(
    office: StoredOffice,
    activity: &[store::UnitActivity],
    open: &[store::UnitActivity],
    backlog: &[store::DownBacklog],
) -> OfficeStatus {
    let to_deliver = backlog
        .iter()
        .find(|b| b.office == office.office.id)
        .cloned()
        .unwrap_or_else(|| store::DownBacklog {
            office: office.office.id.clone(),
            ..Default::default()
        });
    let mut status = OfficeStatus {
        office,
        received_24h: BTreeMap::new(),
        last_received: None,
        quarantined: 0,
        waiting: 0,
        to_deliver,
    };
    for a in activity
        .iter()
        .filter(|a| status.office.office.serves(&a.unit))
    {
        *status.received_24h.entry(a.verdict.as_str()).or_default() += a.count;
        status.last_received = status.last_received.max(Some(a.last_at));
    }
    for o in open.iter().filter(|o| status.office.office.serves(&o.unit)) {
        match o.verdict {
            MessageVerdict::Quarantined => status.quarantined += o.count,
            MessageVerdict::Waiting => status.waiting += o.count,
            _ => {}
        }
    }
    status
}

/// Every connected back office and how it is doing at `now`.
pub async fn offices(
    on: &(impl Stores + ?Sized),
    now: DateTime<Utc>,
) -> Result<Vec<OfficeStatus>, StoreError> {
    let store = on.stores();
    let offices = store.sync().offices().await?;
    let figures = Figures::read(store, now).await?;
    Ok(offices.into_iter().map(|o| figures.of(o)).collect())
}

/// What waits to be sent upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamStatus {
    /// Dossiers waiting.
    pub waiting: u64,
    /// Of which failed at least once.
    pub failing: u64,
    /// How long the oldest has waited.
    pub oldest_waiting: Option<Duration>,
    /// The last failure's reason.
    pub last_error: Option<String>,
    /// The next try of the last failure.
    pub next_try: Option<DateTime<Utc>>,
    /// The oldest has waited longer than the time configured.
    pub alert: bool,
}

/// What waits to be sent upstream at `now`; `alert_after`: how long a
/// dossier may wait before it is an alert.
pub async fn upstream(
    on: &(impl Stores + ?Sized),
    now: DateTime<Utc>,
    alert_after: Duration,
) -> Result<UpstreamStatus, StoreError> {
    let store = on.stores();
    let backlog = store.dossiers().upstream_backlog().await?;
    let oldest_waiting = backlog
        .oldest
        .map(|t| (now - t).to_std().unwrap_or(Duration::ZERO));
    let (last_error, next_try) = match backlog.last_error {
        Some((e, next)) => (Some(e), Some(next)),
        None => (None, None),
    };
    Ok(UpstreamStatus {
        waiting: backlog.waiting,
        failing: backlog.failing,
        alert: oldest_waiting.is_some_and(|w| w > alert_after),
        oldest_waiting,
        last_error,
        next_try,
    })
}

/// What kind of failure the sender recorded, for a person to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The portal took the call and did not answer in time.
    Timeout,
    /// The portal could not be reached.
    Unreachable,
    /// The portal refused this node's log-in.
    LogIn,
    /// The portal answered with an error.
    Refused,
    /// The back office read the dossier and holds it back (a code taken
    /// there by another dossier, a file not as announced), saying why.
    Held,
}

/// How a back office's reason for holding a dossier back is recorded.
pub const HELD_PREFIX: &str = "held by the back office: ";

/// The kind of the failure the sender recorded as `reason`.
pub fn failure(reason: &str) -> Failure {
    let r = reason.to_ascii_lowercase();
    if reason.starts_with(HELD_PREFIX) {
        Failure::Held
    } else if r.contains("timed out") || r.contains("timeout") {
        Failure::Timeout
    } else if r.contains("log-in refused") {
        Failure::LogIn
    } else if r.contains("error sending request") || r.contains("connect") {
        Failure::Unreachable
    } else {
        Failure::Refused
    }
}

/// Makes every dossier waiting after a failure due now; how many.
pub async fn retry_now(on: &(impl Stores + ?Sized)) -> Result<u64, StoreError> {
    on.stores().dossiers().upstream_retry_now().await
}

/// The dossiers waiting for back office `id`, in the order of their last
/// change, at most `limit`, each with its failed pushes and why (or why
/// the back office holds it back); `None` when no back office has that id.
pub async fn waiting_for(
    on: &(impl Stores + ?Sized),
    id: &str,
    limit: usize,
) -> Result<Option<Vec<store::DownDue>>, StoreError> {
    let store = on.stores();
    if store.sync().office(id).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(
        store
            .sync()
            .down_due(id, store::DownFrom::Start, limit)
            .await?,
    ))
}

/// Makes every dossier whose push to back office `id` failed due now: how
/// many; `None` when no back office has that id.
pub async fn retry_office(
    on: &(impl Stores + ?Sized),
    id: &str,
) -> Result<Option<u64>, StoreError> {
    let store = on.stores();
    if store.sync().office(id).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(store.sync().down_retry_now(id).await?))
}

/// The operations agency: a person on its staff is an operator, of the
/// whole country (`VANHANH`) or of a province (`VANHANH.08`).
pub const OPERATIONS: &str = "VANHANH";

/// What an operator operates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operated {
    /// Every province.
    Nation,
    /// These provinces.
    Provinces(std::collections::BTreeSet<String>),
}

impl Operated {
    /// Whether a back office of `province` is theirs.
    pub fn sees(&self, province: &str) -> bool {
        match self {
            Operated::Nation => true,
            Operated::Provinces(p) => p.contains(province),
        }
    }
}

/// What a person with `roles` (agencies and roles) operates, if anything.
pub fn operated(roles: &[(dossier::AgencyCode, dossier::Role)]) -> Option<Operated> {
    let mut provinces = std::collections::BTreeSet::new();
    for (agency, _) in roles {
        match agency.as_str().strip_prefix(OPERATIONS) {
            Some("") => return Some(Operated::Nation),
            Some(rest) => {
                if let Some(province) = rest.strip_prefix('.')
                    && dossier::province_of(province).as_deref() == Some(province)
                {
                    provinces.insert(province.to_string());
                }
            }
            None => {}
        }
    }
    (!provinces.is_empty()).then_some(Operated::Provinces(provinces))
}

/// Metric: messages left for an operator, per back office and verdict.
pub const OPEN_MESSAGES: &str = "integration_open_messages";
/// Metric: when a back office's last message came (Unix seconds).
pub const LAST_RECEIVED: &str = "integration_last_received_timestamp_seconds";
/// Metric: dossiers waiting to be sent upstream.
pub const UPSTREAM_WAITING: &str = "upstream_waiting_dossiers";
/// Metric: of which failed at least once.
pub const UPSTREAM_FAILING: &str = "upstream_failing_dossiers";
/// Metric: how long the oldest has waited (seconds).
pub const UPSTREAM_OLDEST: &str = "upstream_oldest_waiting_seconds";
/// Metric: 1 while the oldest has waited longer than the time configured.
pub const UPSTREAM_ALERT: &str = "upstream_alert";
/// Metric: the dossiers filed here waiting for a back office, per office.
pub const TO_DELIVER: &str = "backoffice_delivery_waiting_dossiers";
/// Metric: of which a push failed at least once.
pub const DELIVERY_FAILING: &str = "backoffice_delivery_failing_dossiers";
/// Metric: how long the oldest has waited (seconds).
pub const DELIVERY_OLDEST: &str = "backoffice_delivery_oldest_waiting_seconds";

/// Keeps the gauges above up to date every `every`; `upstream`: this node
/// reports upstream, alerting after that long.
pub fn spawn_gauges(
    store: Arc<dyn Store>,
    every: Duration,
    upstream: Option<Duration>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut alerting = false;
        loop {
            let now = Utc::now();
            match offices(store.as_ref(), now).await {
                Ok(all) => {
                    for s in all {
                        let id = s.office.office.id.clone();
                        metrics::gauge!(OPEN_MESSAGES, "office" => id.clone(), "verdict" => "quarantined")
                            .set(s.quarantined as f64);
                        metrics::gauge!(OPEN_MESSAGES, "office" => id.clone(), "verdict" => "waiting")
                            .set(s.waiting as f64);
                        let d = &s.to_deliver;
                        metrics::gauge!(TO_DELIVER, "office" => id.clone()).set(d.waiting as f64);
                        metrics::gauge!(DELIVERY_FAILING, "office" => id.clone())
                            .set(d.failing as f64);
                        metrics::gauge!(DELIVERY_OLDEST, "office" => id.clone()).set(
                            d.oldest
                                .map_or(0.0, |at| (now - at).num_milliseconds() as f64 / 1000.0),
                        );
                        if let Some(at) = s.last_received {
                            metrics::gauge!(LAST_RECEIVED, "office" => id)
                                .set(at.timestamp() as f64);
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the back offices' activity"),
            }
            if let Some(alert_after) = upstream {
                match self::upstream(store.as_ref(), now, alert_after).await {
                    Ok(u) => {
                        metrics::gauge!(UPSTREAM_WAITING).set(u.waiting as f64);
                        metrics::gauge!(UPSTREAM_FAILING).set(u.failing as f64);
                        metrics::gauge!(UPSTREAM_OLDEST)
                            .set(u.oldest_waiting.map_or(0.0, |d| d.as_secs_f64()));
                        metrics::gauge!(UPSTREAM_ALERT).set(if u.alert { 1.0 } else { 0.0 });
                        if u.alert && !alerting {
                            tracing::error!(
                                waiting = u.waiting,
                                oldest_s = u.oldest_waiting.map_or(0, |d| d.as_secs()),
                                last_error = u.last_error.as_deref().unwrap_or(""),
                                "the upstream portal has not taken this node's dossiers for longer than {} minutes",
                                alert_after.as_secs() / 60
                            );
                        } else if !u.alert && alerting {
                            tracing::info!("the upstream portal takes this node's dossiers again");
                        }
                        alerting = u.alert;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read what waits to be sent upstream")
                    }
                }
            }
            tokio::time::sleep(every).await;
        }
    })
}

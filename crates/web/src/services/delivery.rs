//! Asynchronous delivery of vital events to the members subscribed through
//! `events.subscribe` ([`crate::services::events`]): the outbox publisher and
//! one deliverer per subscription, started by [`DeliveryService::start`].
//!
//! * **Publisher.** One task moves the store's pending outbox rows onto the
//!   [`Bus`] in `seq` order, each publish awaited before the next, and then
//!   marks them published: publish first, mark after, so a crash in between
//!   publishes again (the bus drops a re-published id within its window,
//!   the deliverers' de-duplication beyond). It stops a batch at the first
//!   failed publish, so a person's later event never overtakes an earlier
//!   one. It wakes on the store's change signal (appends, subscriptions)
//!   and polls every [`DeliveryConfig::poll`] besides (changes made by
//!   other processes).
//! * **Subscriptions.** Before each batch is published, the publisher
//!   reconciles the deliverers with the stored subscriptions: it opens the
//!   bus consumer (named by the subscription id, durable on JetStream) of a
//!   new subscription before publishing anything read after the
//!   subscription was stored, restarts a changed one and stops an ended one.
//! * **Deliverers.** Each consumes its subscription's events (in order per
//!   person: the bus's lanes), skips kinds it did not ask for and events
//!   appended before it was made, and POSTs each event to the endpoint as an
//!   RFC 9421 request signed by the provider, with the exchange headers of
//!   the subscription (`x-purpose`, `x-legal-basis`, `x-case-ref`) and
//!   `x-event-id`. A 2xx answer is a delivery: it is written to the
//!   exchange's message log (consumer, `events.subscribe`, purpose, legal
//!   basis, the person, fields = the kind), so the person's data tracker
//!   lists it, remembered per subscription in the store, and acknowledged
//!   on the bus. Anything else is retried with exponential backoff, holding
//!   the person's lane: at least once, in order.
//! * **In-process bus restarts.** The embedded bus keeps its queues in
//!   memory. With [`DeliveryConfig::replay`] set, the publisher first gives
//!   the bus again every outbox row of that recent window; the deliverers'
//!   per-subscription memory skips what was already delivered.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use delivery::{Bus, Deduplicator, Delivery, DeliveryError, Kinds, Received, Subscription};
use exchange::{Digest32, LogRecord};
use store::{EventSubscription, OutboxRow, Store, StoreDeduplicator, StoreError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::services::exchange::node::ExchangeNode;

/// The service code deliveries are logged under.
pub const SERVICE: &str = crate::services::events::SUBSCRIBE;
/// The header naming the event (the delivery id) in a delivery request.
pub const HDR_EVENT_ID: &str = "x-event-id";
/// The header naming the subscription in a delivery request.
pub const HDR_SUBSCRIPTION_ID: &str = "x-subscription-id";
/// How often a deliverer forgets the delivered ids older than its window.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// How long a delivery request's signature stays valid.
const REQUEST_TTL: chrono::Duration = chrono::Duration::minutes(5);

/// Settings of the publisher and the deliverers.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// How often the outbox is read when nothing signals a change.
    pub poll: Duration,
    /// Most outbox rows one publisher round takes.
    pub batch: usize,
    /// How long a deliverer waits on the bus before looking again.
    pub recv_wait: Duration,
    /// The first wait before a failed delivery is retried (doubling).
    pub retry_min: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// The timeout of one POST to a subscriber.
    pub request_timeout: Duration,
    /// How long a subscription remembers the events it delivered.
    pub dedup_window: chrono::Duration,
    /// On start, give the bus again the outbox rows of this recent window
    /// (for the in-memory bus, whose queues do not survive a restart).
    pub replay: Option<chrono::Duration>,
    /// Most rows replayed on start.
    pub replay_limit: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            poll: Duration::from_secs(1),
            batch: 256,
            recv_wait: Duration::from_secs(1),
            retry_min: Duration::from_millis(200),
            retry_max: Duration::from_secs(60),
            request_timeout: Duration::from_secs(10),
            dedup_window: chrono::Duration::days(7),
            replay: None,
            replay_limit: 100_000,
        }
    }
}

impl DeliveryConfig {
    /// The defaults for the embedded in-process bus: replay the last 24
    /// hours of the outbox on start.
    pub fn in_process() -> Self {
        DeliveryConfig {
            replay: Some(chrono::Duration::hours(24)),
            ..DeliveryConfig::default()
        }
    }
}

/// Why a delivery attempt failed (it is retried).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// The subscriber answered with a status other than 2xx.
    #[error("the subscriber answered {0}")]
    Status(u16),
    /// The request could not be made or sent.
    #[error("the request failed: {0}")]
    Http(String),
    /// The request could not be signed.
    #[error("cannot sign the request: {0}")]
    Sign(String),
    /// The message log refused the entry.
    #[error("{0}")]
    Log(String),
    /// The de-duplication store failed.
    #[error(transparent)]
    Dedup(#[from] DeliveryError),
}

struct Context {
    store: Arc<dyn Store>,
    node: Arc<ExchangeNode>,
    bus: Arc<dyn Bus>,
    http: reqwest::Client,
    config: DeliveryConfig,
}

/// A running deliverer; dropping it stops it (what it held unacknowledged
/// is delivered again).
struct Deliverer {
    subscription: EventSubscription,
    task: JoinHandle<()>,
}

impl Drop for Deliverer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The publisher and the deliverers, running. Dropping it stops them.
#[derive(Debug)]
pub struct DeliveryService {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Why the delivery service could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the delivery HTTP client: {0}")]
pub struct StartError(String);

impl DeliveryService {
    /// Starts the publisher (which starts the deliverers) on the current
    /// runtime.
    pub fn start(
        store: Arc<dyn Store>,
        node: Arc<ExchangeNode>,
        bus: Arc<dyn Bus>,
        config: DeliveryConfig,
    ) -> Result<Self, StartError> {
        let http =
            subscriber_client(config.request_timeout).map_err(|e| StartError(e.to_string()))?;
        let (stop, stopped) = watch::channel(false);
        let context = Arc::new(Context {
            store,
            node,
            bus,
            http,
            config,
        });
        let task = tokio::spawn(publish_loop(context, stopped));
        Ok(DeliveryService {
            stop,
            task: Some(task),
        })
    }

    /// Stops the publisher and the deliverers, waiting for the publisher's
    /// round in progress to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            // a cancelled or panicked task has nothing left to stop
            let _ = task.await;
        }
    }
}

impl Drop for DeliveryService {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn publish_loop(ctx: Arc<Context>, mut stopped: watch::Receiver<bool>) {
    let changes = ctx.store.delivery().changes();
    let mut deliverers: HashMap<String, Deliverer> = HashMap::new();
    let mut replay = ctx.config.replay;
    tracing::info!(replay = ?replay, "vital-event delivery started");
    loop {
        if *stopped.borrow() {
            break;
        }
        // read before reconciling: a subscription stored before a row was
        // read has its consumer open before the row is published
        let rows = match replay.take() {
            Some(window) => {
                ctx.store
                    .delivery()
                    .outbox_since(Utc::now() - window, ctx.config.replay_limit)
                    .await
            }
            None => ctx.store.delivery().pending_outbox(ctx.config.batch).await,
        };
        let mut more = false;
        match rows {
            Ok(rows) => {
                if let Err(e) = reconcile(&ctx, &mut deliverers).await {
                    tracing::warn!(error = %e, "cannot read the subscriptions");
                }
                let published = publish(&ctx, &rows).await;
                if !published.is_empty()
                    && let Err(e) = ctx
                        .store
                        .delivery()
                        .mark_published(&published, Utc::now())
                        .await
                {
                    tracing::warn!(error = %e, "cannot mark outbox rows published");
                }
                more = rows.len() >= ctx.config.batch && published.len() == rows.len();
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the outbox"),
        }
        if more {
            continue;
        }
        tokio::select! {
            () = changes.notified() => {}
            () = tokio::time::sleep(ctx.config.poll) => {}
            _ = stopped.changed() => {}
        }
    }
    drop(deliverers);
    tracing::info!("vital-event delivery stopped");
}

/// Publishes rows in order until one fails; returns the seqs published.
async fn publish(ctx: &Context, rows: &[OutboxRow]) -> Vec<u64> {
    let mut done = Vec::with_capacity(rows.len());
    for row in rows {
        let payload = serde_json::from_str(&row.body).unwrap_or_else(|e| {
            tracing::error!(event = %row.event_id, error = %e, "an outbox body is not JSON");
            serde_json::Value::String(row.body.clone())
        });
        let delivery = Delivery {
            id: row.event_id.clone(),
            subject: row.person_id.clone(),
            kind: row.kind.clone(),
            payload,
            at: row
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        };
        match ctx.bus.publish(&delivery).await {
            Ok(p) => {
                tracing::debug!(event = %row.event_id, duplicate = p.duplicate, "published");
                done.push(row.seq);
            }
            Err(e) => {
                // later rows may be the same person's: stop here, retry later
                tracing::warn!(event = %row.event_id, error = %e, "cannot publish; retrying later");
                break;
            }
        }
    }
    done
}

/// The client that pushes events to subscribers: http or https (TLS with
/// the system's trusted roots, where an operator adds a private CA), no
/// redirects (a signed push goes to the registered endpoint only).
fn subscriber_client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// Starts, restarts and stops deliverers to match the stored subscriptions.
async fn reconcile(
    ctx: &Arc<Context>,
    deliverers: &mut HashMap<String, Deliverer>,
) -> Result<(), StoreError> {
    let stored = ctx.store.delivery().subscriptions().await?;
    let wanted: HashMap<&str, &EventSubscription> =
        stored.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut ended = Vec::new();
    deliverers.retain(|id, d| {
        let keep = wanted.get(id.as_str()) == Some(&&d.subscription) && !d.task.is_finished();
        if !keep {
            tracing::info!(subscription = %id, "deliverer stopped");
            if !wanted.contains_key(id.as_str()) {
                ended.push(id.clone());
            }
        }
        keep
    });
    // an ended subscription's bus consumer goes too, so that events stop
    // piling up for it
    for id in ended {
        if let Err(e) = ctx.bus.remove_consumer(&id).await {
            tracing::warn!(subscription = %id, error = %e, "cannot remove the bus consumer");
        }
    }
    for s in stored.iter() {
        if deliverers.contains_key(&s.id) {
            continue;
        }
        let kinds = Kinds::only(s.kinds.iter().cloned());
        match ctx.bus.subscribe(&s.id, &kinds).await {
            Ok(subscription) => {
                tracing::info!(subscription = %s.id, consumer = %s.consumer, "deliverer started");
                let task = tokio::spawn(deliver_loop(Arc::clone(ctx), s.clone(), subscription));
                deliverers.insert(
                    s.id.clone(),
                    Deliverer {
                        subscription: s.clone(),
                        task,
                    },
                );
            }
            Err(e) => {
                tracing::warn!(subscription = %s.id, error = %e, "cannot open the bus consumer")
            }
        }
    }
    Ok(())
}

async fn deliver_loop(
    ctx: Arc<Context>,
    subscription: EventSubscription,
    mut bus: Box<dyn Subscription>,
) {
    let kinds: BTreeSet<&str> = subscription.kinds.iter().map(String::as_str).collect();
    // what this subscription has delivered, across restarts
    let delivered = StoreDeduplicator::new(
        Arc::clone(&ctx.store),
        format!("subscription:{}", subscription.id),
        ctx.config.dedup_window,
    );
    let mut pruned = tokio::time::Instant::now();
    loop {
        if pruned.elapsed() >= PRUNE_EVERY {
            pruned = tokio::time::Instant::now();
            if let Err(e) = delivered.prune().await {
                tracing::warn!(subscription = %subscription.id, error = %e, "cannot prune");
            }
        }
        let received = match bus.recv(ctx.config.recv_wait).await {
            Ok(Some(received)) => received,
            Ok(None) => continue,
            Err(DeliveryError::Closed) => {
                tracing::warn!(subscription = %subscription.id, "the bus closed the subscription");
                return;
            }
            Err(e) => {
                tracing::warn!(subscription = %subscription.id, error = %e, "bus receive failed");
                tokio::time::sleep(ctx.config.retry_min).await;
                continue;
            }
        };
        let d = &received.delivery;
        let wanted = kinds.contains(d.kind.as_str()) && !appended_before(d, &subscription);
        if wanted {
            deliver_until_done(&ctx, &subscription, &delivered, &received).await;
        }
        if let Err(e) = bus.ack(&d.id).await {
            // redelivered later, and then recognised as delivered
            tracing::debug!(subscription = %subscription.id, event = %d.id, error = %e, "ack failed");
        }
    }
}

/// Whether the event was appended before the subscription was made.
fn appended_before(d: &Delivery, subscription: &EventSubscription) -> bool {
    DateTime::parse_from_rfc3339(&d.at)
        .map(|at| at.with_timezone(&Utc) < subscription.created_at)
        .unwrap_or(false)
}

async fn deliver_until_done(
    ctx: &Context,
    subscription: &EventSubscription,
    delivered: &StoreDeduplicator,
    received: &Received,
) {
    let mut wait = ctx.config.retry_min;
    let mut attempt: u32 = 1;
    loop {
        match deliver(ctx, subscription, delivered, &received.delivery).await {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(
                    subscription = %subscription.id,
                    event = %received.delivery.id,
                    attempt,
                    retry_in_ms = wait.as_millis() as u64,
                    error = %e,
                    "delivery failed; retrying"
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(ctx.config.retry_max);
                attempt = attempt.saturating_add(1);
            }
        }
    }
}

/// One attempt: POST, then log and remember a 2xx.
async fn deliver(
    ctx: &Context,
    subscription: &EventSubscription,
    delivered: &StoreDeduplicator,
    d: &Delivery,
) -> Result<(), DeliverError> {
    if delivered.is_processed(&d.id).await? {
        tracing::debug!(subscription = %subscription.id, event = %d.id, "already delivered");
        return Ok(());
    }
    let now = Utc::now();
    let body = serde_json::to_vec(&serde_json::json!({
        "delivery_id": d.id,
        "subscription_id": subscription.id,
        "person_id": d.subject,
        "kind": d.kind,
        "at": d.at,
        "event": d.payload,
    }))
    .map_err(|e| DeliverError::Http(e.to_string()))?;
    let url = reqwest::Url::parse(&subscription.endpoint)
        .map_err(|e| DeliverError::Http(format!("endpoint: {e}")))?;
    let mut request = exchange::HttpRequest {
        method: "POST".into(),
        uri: url.to_string(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            (
                exchange::signature::HDR_PURPOSE.into(),
                subscription.purpose.clone(),
            ),
            (
                exchange::signature::HDR_CASE_REF.into(),
                subscription.case_ref.clone(),
            ),
            (HDR_EVENT_ID.into(), d.id.clone()),
            (HDR_SUBSCRIPTION_ID.into(), subscription.id.clone()),
        ],
        body,
    };
    if let Some(basis) = &subscription.legal_basis {
        request
            .headers
            .push((exchange::signature::HDR_LEGAL_BASIS.into(), basis.clone()));
    }
    exchange::sign_request(&mut request, &ctx.node.provider, now, REQUEST_TTL)
        .map_err(|e| DeliverError::Sign(e.to_string()))?;
    let response = crate::services::exchange::post_signed(&ctx.http, &request)
        .send()
        .await
        .map_err(|e| DeliverError::Http(e.to_string()))?;
    let status = response.status().as_u16();
    let answer = response
        .bytes()
        .await
        .map_err(|e| DeliverError::Http(e.to_string()))?;
    if !(200..300).contains(&status) {
        return Err(DeliverError::Status(status));
    }
    let record = LogRecord {
        at: now,
        consumer: subscription.consumer.clone(),
        provider: ctx.node.provider.member.clone(),
        service: SERVICE.into(),
        purpose: subscription.purpose.clone(),
        legal_basis: subscription.legal_basis.clone(),
        case_ref: Some(subscription.case_ref.clone()),
        person_id: Some(d.subject.clone()),
        fields: vec![d.kind.clone()],
        request_digest: Digest32::of(&request.body),
        response_digest: Some(Digest32::of(&answer)),
    };
    ctx.node
        .log
        .append(record)
        .await
        .map_err(|e| DeliverError::Log(e.to_string()))?;
    delivered.mark_processed(&d.id).await?;
    tracing::info!(subscription = %subscription.id, event = %d.id, kind = %d.kind, "delivered");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn subscribers_are_reached_over_tls() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let port = listener.local_addr().expect("address").port();
        let accepted = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("a connection");
            let mut first = [0u8; 3];
            socket.read_exact(&mut first).await.expect("bytes");
            first
        });
        let client = subscriber_client(Duration::from_secs(2)).expect("client");
        // the server never answers the handshake: the push fails, after
        // having opened with a TLS ClientHello
        let sent = client
            .post(format!("https://127.0.0.1:{port}/hook"))
            .body("{}")
            .send()
            .await;
        assert!(sent.is_err());
        let first = accepted.await.expect("accepted");
        assert_eq!(first[0], 0x16, "a TLS handshake record");
        assert_eq!(first[1], 0x03, "TLS record version 3.x");
    }
}

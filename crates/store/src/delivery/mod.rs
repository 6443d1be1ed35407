//! The storage of asynchronous delivery ([`DeliveryStore`]): the
//! transactional outbox of vital events, the members' subscriptions to
//! them, and the ids consumers have processed ([`StoreDeduplicator`]).
//!
//! `RegistryStore::append_events` writes one outbox row per newly appended
//! event in the transaction that appends it, so an event is stored if and
//! only if it is queued for delivery. `RegistryStore::load_people` (the
//! bulk load of a generated or migrated population) writes **no** outbox
//! rows: a load is not news to subscribers.
//!
//! Every statement is the same text on both backends, run through
//! [`crate::db::Db`]; [`queue`] runs on the connection of the append's
//! transaction, which the registry's backend code hands it.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use exchange::MemberId;
use registry::{EventKind, VitalEvent};
use tokio::sync::Notify;

use crate::db::{On, from_json, from_nanos, limit_i64, nanos, nanos_clamped, to_json};
use crate::error::Source;
use crate::{Context, SqlStore, StoreError};

/// One queued vital event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Increasing: the order the events were appended in.
    pub seq: u64,
    /// The event's id.
    pub event_id: String,
    /// The person the event is about.
    pub person_id: String,
    /// The event kind's code ([`event_kind_code`]).
    pub kind: String,
    /// The event as stored (the JSON of `registry::VitalEvent`).
    pub body: String,
    /// When the row was written.
    pub created_at: DateTime<Utc>,
    /// When it was marked published, if it was.
    pub published_at: Option<DateTime<Utc>>,
}

/// A member's subscription to vital events, made through the exchange's
/// `events.subscribe` service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSubscription {
    /// Its id (ASCII letters, digits, `-`, `_`): the bus's durable consumer.
    pub id: String,
    /// The subscribing member.
    pub consumer: MemberId,
    /// The purpose the access right was granted for.
    pub purpose: String,
    /// The event kinds to deliver (within the right's fields).
    pub kinds: Vec<String>,
    /// Where events are POSTed.
    pub endpoint: String,
    /// The legal basis of the right.
    pub legal_basis: Option<String>,
    /// The case reference the subscription was made under.
    pub case_ref: String,
    /// When it was first made: events appended before are not delivered.
    pub created_at: DateTime<Utc>,
}

/// Storage of asynchronous delivery.
#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Up to `limit` rows not yet marked published, by `seq`.
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError>;

    /// Up to `limit` rows (published or not) written at `since` or later,
    /// by `seq`: what a restarted in-memory bus must be given again.
    async fn outbox_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError>;

    /// Marks these rows published at `at` (rows already marked keep their
    /// time); returns how many were newly marked.
    async fn mark_published(&self, seqs: &[u64], at: DateTime<Utc>) -> Result<usize, StoreError>;

    /// Stores a subscription. A subscription of the same consumer for the
    /// same purpose is replaced (its kinds, endpoint, legal basis and case
    /// reference) and keeps its id and creation time; the id stored is
    /// returned.
    async fn put_subscription(
        &self,
        subscription: &EventSubscription,
    ) -> Result<String, StoreError>;

    /// Ends the subscription `id` of `consumer`; false when there was none.
    async fn end_subscription(&self, consumer: &MemberId, id: &str) -> Result<bool, StoreError>;

    /// Every subscription, oldest first.
    async fn subscriptions(&self) -> Result<Vec<EventSubscription>, StoreError>;

    /// Records that `consumer` processed `delivery_id` at `at`; returns
    /// false when it was already recorded (its time is then moved to `at`).
    async fn mark_seen(
        &self,
        consumer: &str,
        delivery_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Whether `consumer` processed `delivery_id` at `since` or later.
    async fn seen_since(
        &self,
        consumer: &str,
        delivery_id: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Forgets what `consumer` processed before `before`; returns how many
    /// ids were forgotten.
    async fn forget_seen(&self, consumer: &str, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Notified (one permit) whenever events are appended or a subscription
    /// changes through this store handle: the publisher waits on it besides
    /// polling, which covers changes made by other processes.
    fn changes(&self) -> Arc<Notify>;
}

/// The code of an event kind, as the outbox, the bus and the
/// `events.subscribe` service name it (the `type` tag of its JSON).
pub fn event_kind_code(kind: &EventKind) -> &'static str {
    kind.code()
}

/// An outbox row as read: (seq, event id, person, kind, body, created,
/// published).
type OutboxTuple = (i64, String, String, String, String, i64, Option<i64>);

const OUTBOX_COLUMNS: &str = "seq, event_id, person, kind, body, created_ns, published_ns";

fn decode_outbox(t: OutboxTuple) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        seq: u64::try_from(t.0)
            .map_err(|e| StoreError::corrupt(&format!("outbox row {}: the seq", t.0), e))?,
        event_id: t.1,
        person_id: t.2,
        kind: t.3,
        body: t.4,
        created_at: from_nanos(t.5),
        published_at: t.6.map(from_nanos),
    })
}

/// A subscription as read: (id, consumer, purpose, kinds, endpoint, legal
/// basis, case ref, created).
type SubscriptionTuple = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
);

const SUBSCRIPTION_COLUMNS: &str =
    "id, consumer, purpose, kinds, endpoint, legal_basis, case_ref, created_ns";

fn decode_subscription(t: SubscriptionTuple) -> Result<EventSubscription, StoreError> {
    let bad = |what: &str, e: Source| {
        StoreError::corrupt(&format!("subscription {}: the stored {what}", t.0), e)
    };
    Ok(EventSubscription {
        consumer: t.1.parse().map_err(|e| bad("consumer", Box::new(e)))?,
        kinds: from_json(&format!("subscription {}: the stored kinds", t.0), &t.3)?,
        id: t.0.clone(),
        purpose: t.2,
        endpoint: t.4,
        legal_basis: t.5,
        case_ref: t.6,
        created_at: from_nanos(t.7),
    })
}

/// Checks a subscription before it is stored.
fn check_subscription(s: &EventSubscription) -> Result<(), StoreError> {
    let token_ok = !s.id.is_empty()
        && s.id.len() <= 48
        && s.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !token_ok {
        return Err(StoreError::refused(format!(
            "subscription id {:?}: 1 to 48 ASCII letters, digits, '-' or '_'",
            s.id
        )));
    }
    if s.kinds.is_empty() {
        return Err(StoreError::refused(
            "a subscription names at least one event kind",
        ));
    }
    Ok(())
}

fn seqs_i64(seqs: &[u64]) -> Vec<i64> {
    seqs.iter().filter_map(|s| i64::try_from(*s).ok()).collect()
}

/// Queues a newly appended event, inside the append's transaction (`on`
/// its connection): the event's id and person, its kind and `body`, the
/// event as stored.
pub(crate) async fn queue(
    mut on: On<'_>,
    event: &VitalEvent,
    body: &str,
    created_ns: i64,
) -> Result<(), StoreError> {
    on.execute(
        "INSERT INTO event_outbox (event_id, person, kind, body, created_ns) \
         VALUES ($1, $2, $3, $4, $5)",
        (
            event.id.0.as_str(),
            event.person.as_str(),
            event_kind_code(&event.kind),
            body,
            created_ns,
        ),
    )
    .await
    .context("queueing a vital event")?;
    Ok(())
}

/// `UPDATE … seq IN ($2, $3 …)` marks this many rows at once.
const MARK_ROWS: usize = 500;

// ---- the statements, the same text on both backends ------------------

/// Rows not yet published, by `seq`.
static PENDING_OUTBOX: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {OUTBOX_COLUMNS} FROM event_outbox WHERE published_ns IS NULL \
         ORDER BY seq LIMIT $1"
    )
});

/// Rows written at `$1` or later, by `seq`.
static OUTBOX_SINCE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {OUTBOX_COLUMNS} FROM event_outbox WHERE created_ns >= $1 \
         ORDER BY seq LIMIT $2"
    )
});

/// Every subscription, oldest first.
static SUBSCRIPTIONS: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {SUBSCRIPTION_COLUMNS} FROM event_subscriptions ORDER BY created_ns, id")
});

const UPSERT_SUBSCRIPTION: &str = "INSERT INTO event_subscriptions \
     (id, consumer, purpose, kinds, endpoint, legal_basis, case_ref, created_ns) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (consumer, purpose) DO UPDATE SET kinds = excluded.kinds, \
     endpoint = excluded.endpoint, legal_basis = excluded.legal_basis, \
     case_ref = excluded.case_ref \
     RETURNING id";

const DELETE_SUBSCRIPTION: &str = "DELETE FROM event_subscriptions WHERE id = $1 AND consumer = $2";

const INSERT_SEEN: &str = "INSERT INTO delivery_seen (consumer, delivery_id, seen_ns) \
     VALUES ($1, $2, $3) ON CONFLICT (consumer, delivery_id) DO NOTHING";

const TOUCH_SEEN: &str =
    "UPDATE delivery_seen SET seen_ns = $1 WHERE consumer = $2 AND delivery_id = $3";

const SEEN_SINCE: &str = "SELECT consumer FROM delivery_seen WHERE consumer = $1 \
     AND delivery_id = $2 AND seen_ns >= $3";

const FORGET_SEEN: &str = "DELETE FROM delivery_seen WHERE consumer = $1 AND seen_ns < $2";

#[async_trait]
impl DeliveryStore for SqlStore {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        self.on()
            .fetch_decoded(
                &PENDING_OUTBOX,
                (limit_i64(limit),),
                "reading the outbox",
                decode_outbox,
            )
            .await
    }

    async fn outbox_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        self.on()
            .fetch_decoded(
                &OUTBOX_SINCE,
                (nanos_clamped(since), limit_i64(limit)),
                "reading the outbox",
                decode_outbox,
            )
            .await
    }

    async fn mark_published(&self, seqs: &[u64], at: DateTime<Utc>) -> Result<usize, StoreError> {
        let seqs = seqs_i64(seqs);
        if seqs.is_empty() {
            return Ok(0);
        }
        let at = nanos(at)?;
        let mut marked = 0;
        for chunk in seqs.chunks(MARK_ROWS) {
            // $1 the time, $2 … the rows
            let mut sql = String::from(
                "UPDATE event_outbox SET published_ns = $1 \
                 WHERE published_ns IS NULL AND seq IN (",
            );
            for n in 2..chunk.len() + 2 {
                if n > 2 {
                    sql.push_str(", ");
                }
                sql.push('$');
                sql.push_str(&n.to_string());
            }
            sql.push(')');
            let mut params = Vec::with_capacity(chunk.len() + 1);
            params.push(at);
            params.extend_from_slice(chunk);
            let done = self
                .on()
                .execute(&sql, params)
                .await
                .context("marking outbox rows published")?;
            marked += usize::try_from(done).unwrap_or(usize::MAX);
        }
        Ok(marked)
    }

    async fn put_subscription(&self, s: &EventSubscription) -> Result<String, StoreError> {
        check_subscription(s)?;
        let kinds = to_json("subscription kinds", &s.kinds)?;
        let id: String = self
            .on()
            .scalar_one(
                UPSERT_SUBSCRIPTION,
                (
                    s.id.as_str(),
                    s.consumer.as_str(),
                    s.purpose.as_str(),
                    kinds,
                    s.endpoint.as_str(),
                    s.legal_basis.as_deref(),
                    s.case_ref.as_str(),
                    nanos(s.created_at)?,
                ),
            )
            .await
            .context("storing a subscription")?;
        self.changes.notify_one();
        Ok(id)
    }

    async fn end_subscription(&self, consumer: &MemberId, id: &str) -> Result<bool, StoreError> {
        let done = self
            .on()
            .execute(DELETE_SUBSCRIPTION, (id, consumer.as_str()))
            .await
            .context("ending a subscription")?;
        self.changes.notify_one();
        Ok(done > 0)
    }

    async fn subscriptions(&self) -> Result<Vec<EventSubscription>, StoreError> {
        self.on()
            .fetch_decoded(
                &SUBSCRIPTIONS,
                (),
                "reading subscriptions",
                decode_subscription,
            )
            .await
    }

    async fn mark_seen(
        &self,
        consumer: &str,
        delivery_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let at = nanos(at)?;
        let inserted = self
            .on()
            .execute(INSERT_SEEN, (consumer, delivery_id, at))
            .await
            .context("recording a processed delivery")?;
        if inserted > 0 {
            return Ok(true);
        }
        self.on()
            .execute(TOUCH_SEEN, (at, consumer, delivery_id))
            .await
            .context("recording a processed delivery")?;
        Ok(false)
    }

    async fn seen_since(
        &self,
        consumer: &str,
        delivery_id: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let found: Option<String> = self
            .on()
            .scalar_optional(SEEN_SINCE, (consumer, delivery_id, nanos_clamped(since)))
            .await
            .context("reading processed deliveries")?;
        Ok(found.is_some())
    }

    async fn forget_seen(&self, consumer: &str, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.on()
            .execute(FORGET_SEEN, (consumer, nanos_clamped(before)))
            .await
            .context("forgetting processed deliveries")
    }

    fn changes(&self) -> Arc<Notify> {
        Arc::clone(&self.changes)
    }
}

/// A [`delivery::Deduplicator`] kept in the store, so that what a consumer
/// has processed survives restarts and is shared by its processes: the ids
/// of one `consumer`, each remembered for `window`.
pub struct StoreDeduplicator {
    store: Arc<dyn crate::Store>,
    consumer: String,
    window: chrono::Duration,
}

impl std::fmt::Debug for StoreDeduplicator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreDeduplicator")
            .field("consumer", &self.consumer)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl StoreDeduplicator {
    /// The ids processed by `consumer`, remembered for `window` (an id
    /// older than that may be processed again).
    pub fn new(
        store: Arc<dyn crate::Store>,
        consumer: impl Into<String>,
        window: chrono::Duration,
    ) -> Self {
        StoreDeduplicator {
            store,
            consumer: consumer.into(),
            window,
        }
    }

    /// Forgets the ids older than the window; returns how many.
    pub async fn prune(&self) -> Result<u64, StoreError> {
        self.store
            .delivery()
            .forget_seen(&self.consumer, Utc::now() - self.window)
            .await
    }
}

fn dedup_error(e: StoreError) -> ::delivery::DeliveryError {
    ::delivery::DeliveryError::Store(e.to_string())
}

#[async_trait]
impl ::delivery::Deduplicator for StoreDeduplicator {
    async fn is_processed(&self, id: &str) -> Result<bool, ::delivery::DeliveryError> {
        self.store
            .delivery()
            .seen_since(&self.consumer, id, Utc::now() - self.window)
            .await
            .map_err(dedup_error)
    }

    async fn mark_processed(&self, id: &str) -> Result<(), ::delivery::DeliveryError> {
        self.store
            .delivery()
            .mark_seen(&self.consumer, id, Utc::now())
            .await
            .map_err(dedup_error)?;
        Ok(())
    }
}

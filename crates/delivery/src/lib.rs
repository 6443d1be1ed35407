//! Asynchronous delivery of vital events to subscribers.
//!
//! A [`Bus`] carries [`Delivery`] messages from the registry to the
//! subscribers that asked for them, with these guarantees:
//!
//! * **At least once.** A subscriber must [`Subscription::ack`] every
//!   delivery it has handled. A delivery that is not acknowledged within the
//!   bus's acknowledgement wait, or that was in flight when its subscription
//!   was dropped, is delivered again.
//! * **In order per person.** Deliveries are partitioned by a stable hash of
//!   [`Delivery::subject`] (the person's id) onto a fixed number of *lanes*.
//!   Each lane has at most one unacknowledged delivery per consumer, so a
//!   later event of a person is never handed out before the earlier one has
//!   been acknowledged. Different lanes progress independently.
//! * **De-duplication on both sides.** Publishing the same
//!   [`Delivery::id`] twice within the bus's duplicate window is stored once
//!   ([`Published::duplicate`] tells). Because at-least-once delivery can
//!   still hand a consumer the same event twice (for example when its ack was
//!   lost), consumers keep a [`Deduplicator`] and process through
//!   [`handle_once`].
//!
//! Two implementations exist: [`InProcessBus`], the embedded default, and
//! [`JetStreamBus`], used when a NATS URL is configured; [`open_bus`] picks
//! one.
//!
//! ```
//! use std::time::Duration;
//! use delivery::{Bus, Delivery, Handled, InProcessBus, Kinds, MemoryDeduplicator, handle_once};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bus = InProcessBus::default();
//! let mut pensions = bus.subscribe("pensions", &Kinds::only(["death"])).await?;
//! bus.publish(&Delivery {
//!     id: "ev-1".into(),
//!     subject: "001099012345".into(),
//!     kind: "death".into(),
//!     payload: serde_json::json!({ "date": "2026-11-20" }),
//!     at: "2026-11-21T08:00:00Z".into(),
//! })
//! .await?;
//!
//! let dedup = MemoryDeduplicator::default();
//! if let Some(received) = pensions.recv(Duration::from_secs(1)).await? {
//!     let handled = handle_once(&dedup, pensions.as_mut(), &received, |r| {
//!         let person = r.delivery.subject.clone();
//!         async move {
//!             // stop the pension of `person` …
//!             let _ = person;
//!             Ok::<(), std::io::Error>(())
//!         }
//!     })
//!     .await?;
//!     assert_eq!(handled, Handled::Processed);
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod dedup;
mod inprocess;
mod jetstream;

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use dedup::{Deduplicator, HandleError, Handled, MemoryDeduplicator, handle_once};
pub use inprocess::{InProcessBus, InProcessConfig};
pub use jetstream::{DEFAULT_STREAM, JetStreamBus, JetStreamConfig};

/// One vital event on its way to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Unique id of the event; re-publishing the same id is de-duplicated and
    /// consumers de-duplicate redeliveries by it.
    pub id: String,
    /// The person the event is about (their id); the ordering key.
    pub subject: String,
    /// The kind of event (`birth`, `death`, `marriage` …). Letters, digits,
    /// `_` and `-` only, since it becomes part of a message subject.
    pub kind: String,
    /// The event's body.
    pub payload: serde_json::Value,
    /// When the event happened or was recorded, as an RFC 3339 timestamp.
    pub at: String,
}

/// What [`Bus::publish`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// The id had already been published within the duplicate window, so this
    /// publish stored nothing new.
    pub duplicate: bool,
}

/// Which kinds of events a consumer wants.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Kinds {
    /// Every kind.
    #[default]
    All,
    /// Only the kinds listed.
    Only(BTreeSet<String>),
}

impl Kinds {
    /// A filter that lets through only the kinds given.
    pub fn only<I, S>(kinds: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Kinds::Only(kinds.into_iter().map(Into::into).collect())
    }

    /// Whether a delivery of `kind` passes the filter.
    pub fn matches(&self, kind: &str) -> bool {
        match self {
            Kinds::All => true,
            Kinds::Only(set) => set.contains(kind),
        }
    }

    fn validate(&self) -> Result<(), DeliveryError> {
        if let Kinds::Only(set) = self {
            if set.is_empty() {
                return Err(DeliveryError::Invalid {
                    what: "kinds filter",
                    value: String::new(),
                    reason: "lists no kind",
                });
            }
            for kind in set {
                validate_token("kind", kind)?;
            }
        }
        Ok(())
    }
}

/// A delivery handed to a subscriber, with how many times it has been handed
/// out so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The delivery.
    pub delivery: Delivery,
    /// 1 on the first delivery, more on redeliveries.
    pub attempt: u64,
}

impl Received {
    /// Whether this delivery has been handed out before.
    pub fn is_redelivery(&self) -> bool {
        self.attempt > 1
    }
}

/// Errors of the delivery layer.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// A name or value cannot be used.
    #[error("invalid {what} {value:?}: {reason}")]
    Invalid {
        /// What was being checked.
        what: &'static str,
        /// The offending value.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The NATS server could not be reached.
    #[error("cannot connect to NATS at {url}: {message}")]
    Connect {
        /// The URL tried.
        url: String,
        /// The client's explanation.
        message: String,
    },
    /// A JetStream operation failed.
    #[error("JetStream {op} failed: {message}")]
    JetStream {
        /// The operation.
        op: &'static str,
        /// The client's or server's explanation.
        message: String,
    },
    /// A message on the bus could not be decoded as a [`Delivery`].
    #[error("malformed delivery on the bus: {0}")]
    Decode(#[from] serde_json::Error),
    /// An ack named a delivery this subscription does not hold in flight.
    #[error("delivery {0:?} is not in flight on this subscription")]
    NotInFlight(String),
    /// The subscription's source has gone away.
    #[error("the subscription is closed")]
    Closed,
    /// The de-duplication store failed.
    #[error("de-duplication store: {0}")]
    Store(String),
}

/// A message bus carrying vital events to subscribers.
#[async_trait]
pub trait Bus: Send + Sync {
    /// Publishes a delivery to every consumer whose filter matches its kind.
    ///
    /// Events of one person must be published in order, each `publish`
    /// awaited before the next. Re-publishing an id within the duplicate
    /// window is a no-op reported by [`Published::duplicate`].
    async fn publish(&self, delivery: &Delivery) -> Result<Published, DeliveryError>;

    /// Opens a subscription for the durable consumer `consumer` (letters,
    /// digits, `_`, `-`). The consumer's position survives the subscription:
    /// a later `subscribe` with the same name resumes where it left off, and
    /// what was in flight and unacknowledged is delivered again. A consumer
    /// receives the events published after it was first subscribed.
    /// Several subscriptions open on one consumer share its work (each event
    /// goes to one of them) without breaking the per-person order. The
    /// kinds filter of the latest subscription applies.
    async fn subscribe(
        &self,
        consumer: &str,
        kinds: &Kinds,
    ) -> Result<Box<dyn Subscription>, DeliveryError> {
        validate_token("consumer name", consumer)?;
        kinds.validate()?;
        self.open_subscription(consumer, kinds).await
    }

    /// [`Bus::subscribe`], once the consumer name and the kinds filter are
    /// checked.
    async fn open_subscription(
        &self,
        consumer: &str,
        kinds: &Kinds,
    ) -> Result<Box<dyn Subscription>, DeliveryError>;

    /// Forgets the durable consumer `consumer`: its position and whatever
    /// was queued for it. Subscriptions open on it end; a later `subscribe`
    /// with the name starts afresh (from events published after it).
    /// Returns whether there was such a consumer.
    async fn remove_consumer(&self, consumer: &str) -> Result<bool, DeliveryError>;

    /// Whether the durable consumer `consumer` exists (was subscribed and
    /// not removed).
    async fn has_consumer(&self, consumer: &str) -> Result<bool, DeliveryError>;
}

/// A subscriber's view of a consumer.
#[async_trait]
pub trait Subscription: Send {
    /// Waits up to `wait` for the next delivery; `None` if none came.
    async fn recv(&mut self, wait: Duration) -> Result<Option<Received>, DeliveryError>;

    /// Acknowledges the delivery with this id: it will not be delivered to
    /// this consumer again, and the next event of the same lane may follow.
    async fn ack(&mut self, id: &str) -> Result<(), DeliveryError>;

    /// Gives the delivery with this id back for immediate redelivery.
    async fn nak(&mut self, id: &str) -> Result<(), DeliveryError>;
}

/// Opens the bus the platform is configured for: a [`JetStreamBus`] on the
/// default stream when a NATS URL is given, the [`InProcessBus`] otherwise.
pub async fn open_bus(
    nats_url: Option<&str>,
    replicas: usize,
) -> Result<std::sync::Arc<dyn Bus>, DeliveryError> {
    Ok(match nats_url {
        Some(url) => std::sync::Arc::new(
            JetStreamBus::connect(JetStreamConfig {
                replicas,
                ..JetStreamConfig::new(url)
            })
            .await?,
        ),
        None => std::sync::Arc::new(InProcessBus::default()),
    })
}

/// The lane a subject is ordered on: a stable FNV-1a hash of the subject,
/// modulo the number of lanes. Stable across processes and versions, since
/// publishers and consumers in different processes must agree on it.
pub fn lane_of(subject: &str, lanes: u16) -> u16 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in subject.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let lanes = u64::from(lanes.max(1));
    // the remainder is below `lanes`, which fits in u16
    u16::try_from(hash % lanes).unwrap_or(0)
}

/// Checks a name that becomes one token of a message subject or a consumer
/// name.
fn validate_token(what: &'static str, value: &str) -> Result<(), DeliveryError> {
    if value.is_empty() {
        return Err(DeliveryError::Invalid {
            what,
            value: value.to_owned(),
            reason: "is empty",
        });
    }
    if value.len() > 64 {
        return Err(DeliveryError::Invalid {
            what,
            value: value.to_owned(),
            reason: "is longer than 64 bytes",
        });
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(DeliveryError::Invalid {
            what,
            value: value.to_owned(),
            reason: "may hold only ASCII letters, digits, '_' and '-'",
        });
    }
    Ok(())
}

/// Checks a delivery before it is published.
fn validate_delivery(delivery: &Delivery) -> Result<(), DeliveryError> {
    validate_token("kind", &delivery.kind)?;
    if delivery.id.is_empty() {
        return Err(DeliveryError::Invalid {
            what: "delivery id",
            value: String::new(),
            reason: "is empty",
        });
    }
    if delivery.subject.is_empty() {
        return Err(DeliveryError::Invalid {
            what: "delivery subject",
            value: String::new(),
            reason: "is empty",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_are_stable_and_in_range() {
        // pinned values: publishers and consumers of different builds must agree
        assert_eq!(lane_of("", 16), (0xcbf2_9ce4_8422_2325u64 % 16) as u16);
        assert_eq!(lane_of("001099012345", 16), lane_of("001099012345", 16));
        for i in 0..1000 {
            assert!(lane_of(&format!("person-{i}"), 7) < 7);
        }
        assert_eq!(lane_of("anyone", 1), 0);
        assert_eq!(lane_of("anyone", 0), 0);
        let used: BTreeSet<u16> = (0..200).map(|i| lane_of(&i.to_string(), 8)).collect();
        assert_eq!(used.len(), 8, "the hash spreads subjects over all lanes");
    }

    #[test]
    fn tokens_are_checked() {
        assert!(validate_token("kind", "name_change").is_ok());
        assert!(validate_token("kind", "residence-change2").is_ok());
        assert!(validate_token("kind", "").is_err());
        assert!(validate_token("kind", "a.b").is_err());
        assert!(validate_token("kind", "a*").is_err());
        assert!(validate_token("kind", "a b").is_err());
        assert!(validate_token("kind", &"x".repeat(65)).is_err());
        assert!(Kinds::Only(BTreeSet::new()).validate().is_err());
        assert!(Kinds::only(["birth", "death"]).validate().is_ok());
        assert!(Kinds::only(["birth", "de.ath"]).validate().is_err());
    }

    #[test]
    fn kinds_filter() {
        assert!(Kinds::All.matches("birth"));
        let only = Kinds::only(["death"]);
        assert!(only.matches("death"));
        assert!(!only.matches("birth"));
    }
}

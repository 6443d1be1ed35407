//! The embedded, in-process bus.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::dedup::MemoryDeduplicator;
use crate::{
    Bus, Delivery, DeliveryError, Kinds, Published, Received, Subscription, lane_of,
    validate_delivery, validate_token,
};

/// Settings of an [`InProcessBus`].
#[derive(Debug, Clone)]
pub struct InProcessConfig {
    /// Number of ordered lanes subjects are hashed onto (at least 1).
    pub lanes: u16,
    /// How long a delivery may stay unacknowledged before it is redelivered.
    pub ack_wait: Duration,
    /// How long a published id is remembered to drop re-publishes.
    pub duplicate_window: Duration,
    /// How many published ids are remembered at most.
    pub duplicate_capacity: usize,
}

impl Default for InProcessConfig {
    fn default() -> Self {
        InProcessConfig {
            lanes: 16,
            ack_wait: Duration::from_secs(30),
            duplicate_window: Duration::from_secs(120),
            duplicate_capacity: 100_000,
        }
    }
}

/// The embedded default bus: per-consumer in-memory queues, one ordered lane
/// per subject hash, woken through tokio's [`Notify`].
///
/// It keeps every guarantee of [`Bus`] while the process runs, but holds
/// everything in memory: **events not yet acknowledged are lost when the
/// process exits.** Durability across restarts is the job of the platform's
/// outbox in the database, which re-publishes what was not confirmed (and
/// the ids make those re-publishes harmless). Cloning the bus shares it.
#[derive(Debug, Clone)]
pub struct InProcessBus {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: InProcessConfig,
    published: MemoryDeduplicator,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    consumers: HashMap<String, Consumer>,
    next_session: u64,
}

#[derive(Debug)]
struct Consumer {
    kinds: Kinds,
    lanes: Vec<Lane>,
    notify: Arc<Notify>,
    /// the lane to look at first next time, for fairness between lanes
    cursor: usize,
    /// subscriptions currently open
    sessions: HashSet<u64>,
}

#[derive(Debug, Default)]
struct Lane {
    queue: VecDeque<Delivery>,
    in_flight: Option<InFlight>,
}

#[derive(Debug)]
struct InFlight {
    delivery: Delivery,
    attempt: u64,
    deadline: Instant,
    session: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl InProcessBus {
    /// A bus with the given settings.
    pub fn new(config: InProcessConfig) -> Self {
        let config = InProcessConfig {
            lanes: config.lanes.max(1),
            ..config
        };
        InProcessBus {
            shared: Arc::new(Shared {
                published: MemoryDeduplicator::new(
                    config.duplicate_capacity,
                    config.duplicate_window,
                ),
                config,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// How many deliveries a consumer has queued or in flight (0 for an
    /// unknown consumer).
    pub fn backlog(&self, consumer: &str) -> usize {
        let state = self.shared.lock();
        state.consumers.get(consumer).map_or(0, |c| {
            c.lanes
                .iter()
                .map(|l| l.queue.len() + usize::from(l.in_flight.is_some()))
                .sum()
        })
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        InProcessBus::new(InProcessConfig::default())
    }
}

#[async_trait]
impl Bus for InProcessBus {
    async fn publish(&self, delivery: &Delivery) -> Result<Published, DeliveryError> {
        validate_delivery(delivery)?;
        if self.shared.published.check_and_mark(&delivery.id) {
            return Ok(Published { duplicate: true });
        }
        let lane = usize::from(lane_of(&delivery.subject, self.shared.config.lanes));
        let mut state = self.shared.lock();
        for consumer in state.consumers.values_mut() {
            if consumer.kinds.matches(&delivery.kind)
                && let Some(l) = consumer.lanes.get_mut(lane)
            {
                l.queue.push_back(delivery.clone());
                consumer.notify.notify_waiters();
            }
        }
        Ok(Published { duplicate: false })
    }

    async fn open_subscription(
        &self,
        consumer: &str,
        kinds: &Kinds,
    ) -> Result<Box<dyn Subscription>, DeliveryError> {
        let lanes = usize::from(self.shared.config.lanes);
        let mut state = self.shared.lock();
        let session = state.next_session;
        state.next_session += 1;
        let entry = state
            .consumers
            .entry(consumer.to_owned())
            .or_insert_with(|| Consumer {
                kinds: kinds.clone(),
                lanes: (0..lanes).map(|_| Lane::default()).collect(),
                notify: Arc::new(Notify::new()),
                cursor: 0,
                sessions: HashSet::new(),
            });
        entry.kinds = kinds.clone();
        entry.sessions.insert(session);
        let notify = Arc::clone(&entry.notify);
        Ok(Box::new(InProcessSubscription {
            shared: Arc::clone(&self.shared),
            consumer: consumer.to_owned(),
            session,
            notify,
        }))
    }

    async fn remove_consumer(&self, consumer: &str) -> Result<bool, DeliveryError> {
        validate_token("consumer name", consumer)?;
        let removed = self.shared.lock().consumers.remove(consumer);
        Ok(match removed {
            Some(c) => {
                // open subscriptions wake up to find it gone
                c.notify.notify_waiters();
                true
            }
            None => false,
        })
    }

    async fn has_consumer(&self, consumer: &str) -> Result<bool, DeliveryError> {
        validate_token("consumer name", consumer)?;
        Ok(self.shared.lock().consumers.contains_key(consumer))
    }
}

/// A subscription on an [`InProcessBus`]. Dropping it makes what it held in
/// flight immediately available for redelivery.
struct InProcessSubscription {
    shared: Arc<Shared>,
    consumer: String,
    session: u64,
    notify: Arc<Notify>,
}

enum Take {
    Got(Received),
    /// nothing now; the earliest in-flight deadline, if any
    Wait(Option<Instant>),
}

impl InProcessSubscription {
    fn take(&self, now: Instant) -> Result<Take, DeliveryError> {
        let ack_wait = self.shared.config.ack_wait;
        let mut state = self.shared.lock();
        let consumer = state
            .consumers
            .get_mut(&self.consumer)
            .ok_or(DeliveryError::Closed)?;
        let n = consumer.lanes.len();
        let mut earliest: Option<Instant> = None;
        for i in 0..n {
            let index = (consumer.cursor + i) % n;
            let Some(lane) = consumer.lanes.get_mut(index) else {
                continue;
            };
            if let Some(flight) = lane.in_flight.as_mut() {
                if flight.deadline <= now {
                    flight.attempt += 1;
                    flight.deadline = now + ack_wait;
                    flight.session = self.session;
                    let received = Received {
                        delivery: flight.delivery.clone(),
                        attempt: flight.attempt,
                    };
                    consumer.cursor = (index + 1) % n;
                    return Ok(Take::Got(received));
                }
                earliest = Some(earliest.map_or(flight.deadline, |e| e.min(flight.deadline)));
            } else if let Some(delivery) = lane.queue.pop_front() {
                lane.in_flight = Some(InFlight {
                    delivery: delivery.clone(),
                    attempt: 1,
                    deadline: now + ack_wait,
                    session: self.session,
                });
                consumer.cursor = (index + 1) % n;
                return Ok(Take::Got(Received {
                    delivery,
                    attempt: 1,
                }));
            }
        }
        Ok(Take::Wait(earliest))
    }

    /// Applies `f` to the in-flight delivery with this id.
    fn with_in_flight(
        &self,
        id: &str,
        f: impl FnOnce(&mut Option<InFlight>),
    ) -> Result<(), DeliveryError> {
        let mut state = self.shared.lock();
        let consumer = state
            .consumers
            .get_mut(&self.consumer)
            .ok_or(DeliveryError::Closed)?;
        let lane = consumer.lanes.iter_mut().find(|l| {
            l.in_flight
                .as_ref()
                .is_some_and(|flight| flight.delivery.id == id)
        });
        match lane {
            Some(lane) => {
                f(&mut lane.in_flight);
                consumer.notify.notify_waiters();
                Ok(())
            }
            None => Err(DeliveryError::NotInFlight(id.to_owned())),
        }
    }
}

#[async_trait]
impl Subscription for InProcessSubscription {
    async fn recv(&mut self, wait: Duration) -> Result<Option<Received>, DeliveryError> {
        let end = Instant::now() + wait;
        loop {
            // registered before looking, so a publish in between is not missed
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let now = Instant::now();
            let until = match self.take(now)? {
                Take::Got(received) => return Ok(Some(received)),
                Take::Wait(deadline) => deadline.map_or(end, |d| d.min(end)),
            };
            if now >= end {
                return Ok(None);
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep_until(until) => {}
            }
        }
    }

    async fn ack(&mut self, id: &str) -> Result<(), DeliveryError> {
        self.with_in_flight(id, |flight| *flight = None)
    }

    async fn nak(&mut self, id: &str) -> Result<(), DeliveryError> {
        let now = Instant::now();
        self.with_in_flight(id, |flight| {
            if let Some(flight) = flight.as_mut() {
                flight.deadline = now;
            }
        })
    }
}

impl Drop for InProcessSubscription {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut state = self.shared.lock();
        if let Some(consumer) = state.consumers.get_mut(&self.consumer) {
            consumer.sessions.remove(&self.session);
            for lane in &mut consumer.lanes {
                if let Some(flight) = lane.in_flight.as_mut()
                    && flight.session == self.session
                {
                    flight.deadline = now;
                }
            }
            consumer.notify.notify_waiters();
        }
    }
}

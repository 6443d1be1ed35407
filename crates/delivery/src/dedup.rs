//! Consumer-side de-duplication of redelivered events.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{DeliveryError, Received, Subscription};

/// Remembers which event ids a consumer has already processed, so that a
/// redelivered event is processed once.
///
/// The memory is bounded (by time, count or both): an id forgotten by the
/// store can be processed again, so the window must be longer than the
/// longest time an event can take to be redelivered. Implementations may
/// persist the ids (for example in the platform's database) so that the
/// memory survives restarts.
#[async_trait]
pub trait Deduplicator: Send + Sync {
    /// Whether `id` has been recorded as processed (and not yet forgotten).
    async fn is_processed(&self, id: &str) -> Result<bool, DeliveryError>;

    /// Records `id` as processed.
    async fn mark_processed(&self, id: &str) -> Result<(), DeliveryError>;
}

/// An in-memory [`Deduplicator`] that remembers at most `capacity` ids, each
/// for at most `ttl`; the oldest are forgotten first.
#[derive(Debug)]
pub struct MemoryDeduplicator {
    capacity: usize,
    ttl: Duration,
    inner: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    /// id → when it was recorded
    seen: HashMap<String, Instant>,
    /// ids in the order recorded (an id re-recorded appears twice; the stale
    /// entry is skipped on eviction)
    order: VecDeque<(String, Instant)>,
}

impl Window {
    fn evict(&mut self, capacity: usize, ttl: Duration, now: Instant) {
        while let Some((id, at)) = self.order.front() {
            let current = self.seen.get(id).copied();
            let stale = current != Some(*at);
            let expired = now.duration_since(*at) >= ttl;
            let over = self.seen.len() > capacity;
            if stale {
                self.order.pop_front();
            } else if expired || over {
                let id = id.clone();
                self.order.pop_front();
                self.seen.remove(&id);
            } else {
                break;
            }
        }
    }
}

impl MemoryDeduplicator {
    /// A window of at most `capacity` ids, each kept at most `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        MemoryDeduplicator {
            capacity: capacity.max(1),
            ttl,
            inner: Mutex::new(Window::default()),
        }
    }

    /// How many ids are currently remembered.
    pub fn len(&self) -> usize {
        let mut window = self.lock();
        window.evict(self.capacity, self.ttl, Instant::now());
        window.seen.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records `id` and tells whether it was already remembered, in one step.
    pub(crate) fn check_and_mark(&self, id: &str) -> bool {
        let now = Instant::now();
        let mut window = self.lock();
        window.evict(self.capacity, self.ttl, now);
        if window.seen.contains_key(id) {
            return true;
        }
        window.seen.insert(id.to_owned(), now);
        window.order.push_back((id.to_owned(), now));
        window.evict(self.capacity, self.ttl, now);
        false
    }
}

impl Default for MemoryDeduplicator {
    /// 100 000 ids for 24 hours.
    fn default() -> Self {
        MemoryDeduplicator::new(100_000, Duration::from_secs(24 * 3600))
    }
}

#[async_trait]
impl Deduplicator for MemoryDeduplicator {
    async fn is_processed(&self, id: &str) -> Result<bool, DeliveryError> {
        let mut window = self.lock();
        window.evict(self.capacity, self.ttl, Instant::now());
        Ok(window.seen.contains_key(id))
    }

    async fn mark_processed(&self, id: &str) -> Result<(), DeliveryError> {
        let now = Instant::now();
        let mut window = self.lock();
        window.seen.insert(id.to_owned(), now);
        window.order.push_back((id.to_owned(), now));
        window.evict(self.capacity, self.ttl, now);
        Ok(())
    }
}

/// What [`handle_once`] did with a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The handler ran and succeeded; the delivery is recorded and acked.
    Processed,
    /// The id had been processed before; the handler did not run and the
    /// delivery was acked.
    Duplicate,
}

/// Processes a received delivery at most once per id (within the
/// deduplicator's window) and acknowledges it.
///
/// If the id is already recorded, the delivery is acked without running
/// `handler`. Otherwise `handler` runs; on success the id is recorded and the
/// delivery acked; on failure nothing is recorded or acked, so the delivery
/// comes back later, and the handler's error is returned.
pub async fn handle_once<D, F, Fut, E>(
    dedup: &D,
    subscription: &mut dyn Subscription,
    received: &Received,
    handler: F,
) -> Result<Handled, HandleError<E>>
where
    D: Deduplicator + ?Sized,
    F: FnOnce(&Received) -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let id = received.delivery.id.as_str();
    if dedup.is_processed(id).await? {
        tracing::debug!(id, "duplicate delivery dropped");
        subscription.ack(id).await?;
        return Ok(Handled::Duplicate);
    }
    handler(received).await.map_err(HandleError::Handler)?;
    dedup.mark_processed(id).await?;
    subscription.ack(id).await?;
    Ok(Handled::Processed)
}

/// Why [`handle_once`] failed.
#[derive(Debug, thiserror::Error)]
pub enum HandleError<E> {
    /// The handler failed; the delivery was left unacknowledged.
    #[error("handler failed")]
    Handler(E),
    /// The bus or the de-duplication store failed.
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn remembers_and_forgets_by_count() {
        let dedup = MemoryDeduplicator::new(3, Duration::from_secs(60));
        for id in ["a", "b", "c"] {
            assert!(!dedup.is_processed(id).await.unwrap());
            dedup.mark_processed(id).await.unwrap();
            assert!(dedup.is_processed(id).await.unwrap());
        }
        dedup.mark_processed("d").await.unwrap();
        assert_eq!(dedup.len(), 3);
        assert!(!dedup.is_processed("a").await.unwrap(), "oldest forgotten");
        assert!(dedup.is_processed("d").await.unwrap());
        // re-recording refreshes an id: "b" now outlives "c"
        dedup.mark_processed("b").await.unwrap();
        dedup.mark_processed("e").await.unwrap();
        assert!(!dedup.is_processed("c").await.unwrap());
        assert!(dedup.is_processed("b").await.unwrap());
        assert_eq!(dedup.len(), 3);
    }

    #[tokio::test]
    async fn forgets_by_time() {
        let dedup = MemoryDeduplicator::new(100, Duration::from_millis(50));
        dedup.mark_processed("a").await.unwrap();
        assert!(dedup.is_processed("a").await.unwrap());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert!(!dedup.is_processed("a").await.unwrap());
        assert!(dedup.is_empty());
    }
}

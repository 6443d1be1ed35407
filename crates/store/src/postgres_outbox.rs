//! The PostgreSQL backend's delivery storage: outbox, subscriptions,
//! de-duplication.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use exchange::MemberId;
use registry::VitalEvent;
use sqlx::PgConnection;
use tokio::sync::Notify;

use crate::model::{self, EventRow};
use crate::outbox::{
    self, EventSubscription, OUTBOX_COLUMNS, OutboxRow, OutboxTuple, SUBSCRIPTION_COLUMNS,
    SubscriptionTuple,
};
use crate::postgres::PgStore;
use crate::{DeliveryStore, StoreError, db_error};

/// Queues a newly appended event (inside the append's transaction).
pub(crate) async fn queue(
    conn: &mut PgConnection,
    event: &VitalEvent,
    row: &EventRow,
    created_ns: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO event_outbox (event_id, person, kind, body, created_ns) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(row.id.as_str())
    .bind(row.person.as_str())
    .bind(outbox::kind_of(event))
    .bind(row.body.as_str())
    .bind(created_ns)
    .execute(&mut *conn)
    .await
    .map_err(|e| db_error("queueing a vital event", e))?;
    Ok(())
}

#[async_trait]
impl DeliveryStore for PgStore {
    async fn pending_outbox(&self, limit: usize) -> Result<Vec<OutboxRow>, StoreError> {
        let rows: Vec<OutboxTuple> = sqlx::query_as(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM event_outbox WHERE published_ns IS NULL \
             ORDER BY seq LIMIT $1"
        ))
        .bind(outbox::limit_i64(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error("reading the outbox", e))?;
        rows.into_iter().map(outbox::decode_outbox).collect()
    }

    async fn outbox_since(
        &self,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let rows: Vec<OutboxTuple> = sqlx::query_as(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM event_outbox WHERE created_ns >= $1 \
             ORDER BY seq LIMIT $2"
        ))
        .bind(model::nanos_clamped(since))
        .bind(outbox::limit_i64(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error("reading the outbox", e))?;
        rows.into_iter().map(outbox::decode_outbox).collect()
    }

    async fn mark_published(&self, seqs: &[u64], at: DateTime<Utc>) -> Result<usize, StoreError> {
        let seqs = outbox::seqs_i64(seqs);
        if seqs.is_empty() {
            return Ok(0);
        }
        let at = model::nanos(at)?;
        let done = sqlx::query(
            "UPDATE event_outbox SET published_ns = $1 \
             WHERE published_ns IS NULL AND seq = ANY($2::bigint[])",
        )
        .bind(at)
        .bind(&seqs)
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("marking outbox rows published", e))?;
        Ok(usize::try_from(done.rows_affected()).unwrap_or(usize::MAX))
    }

    async fn put_subscription(&self, s: &EventSubscription) -> Result<String, StoreError> {
        outbox::check_subscription(s)?;
        let kinds = outbox::encode_kinds(&s.kinds)?;
        let id: String = sqlx::query_scalar(
            "INSERT INTO event_subscriptions (id, consumer, purpose, kinds, endpoint, \
             legal_basis, case_ref, created_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (consumer, purpose) DO UPDATE SET kinds = excluded.kinds, \
             endpoint = excluded.endpoint, legal_basis = excluded.legal_basis, \
             case_ref = excluded.case_ref \
             RETURNING id",
        )
        .bind(s.id.as_str())
        .bind(s.consumer.as_str())
        .bind(s.purpose.as_str())
        .bind(kinds)
        .bind(s.endpoint.as_str())
        .bind(s.legal_basis.as_deref())
        .bind(s.case_ref.as_str())
        .bind(model::nanos(s.created_at)?)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| db_error("storing a subscription", e))?;
        self.changes.notify_one();
        Ok(id)
    }

    async fn end_subscription(&self, consumer: &MemberId, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM event_subscriptions WHERE id = $1 AND consumer = $2")
            .bind(id)
            .bind(consumer.as_str())
            .execute(&self.pool)
            .await
            .map_err(|e| db_error("ending a subscription", e))?;
        self.changes.notify_one();
        Ok(done.rows_affected() > 0)
    }

    async fn subscriptions(&self) -> Result<Vec<EventSubscription>, StoreError> {
        let rows: Vec<SubscriptionTuple> = sqlx::query_as(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM event_subscriptions ORDER BY created_ns, id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| db_error("reading subscriptions", e))?;
        rows.into_iter().map(outbox::decode_subscription).collect()
    }

    async fn mark_seen(
        &self,
        consumer: &str,
        delivery_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let at = model::nanos(at)?;
        let inserted = sqlx::query(
            "INSERT INTO delivery_seen (consumer, delivery_id, seen_ns) VALUES ($1, $2, $3) \
             ON CONFLICT (consumer, delivery_id) DO NOTHING",
        )
        .bind(consumer)
        .bind(delivery_id)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("recording a processed delivery", e))?;
        if inserted.rows_affected() > 0 {
            return Ok(true);
        }
        sqlx::query(
            "UPDATE delivery_seen SET seen_ns = $1 WHERE consumer = $2 AND delivery_id = $3",
        )
        .bind(at)
        .bind(consumer)
        .bind(delivery_id)
        .execute(&self.pool)
        .await
        .map_err(|e| db_error("recording a processed delivery", e))?;
        Ok(false)
    }

    async fn seen_since(
        &self,
        consumer: &str,
        delivery_id: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1::int8 FROM delivery_seen WHERE consumer = $1 AND delivery_id = $2 AND seen_ns >= $3",
        )
        .bind(consumer)
        .bind(delivery_id)
        .bind(model::nanos_clamped(since))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| db_error("reading processed deliveries", e))?;
        Ok(found.is_some())
    }

    async fn forget_seen(&self, consumer: &str, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM delivery_seen WHERE consumer = $1 AND seen_ns < $2")
            .bind(consumer)
            .bind(model::nanos_clamped(before))
            .execute(&self.pool)
            .await
            .map_err(|e| db_error("forgetting processed deliveries", e))?;
        Ok(done.rows_affected())
    }

    fn changes(&self) -> Arc<Notify> {
        Arc::clone(&self.changes)
    }
}

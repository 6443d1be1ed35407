//! [`ExchangeStore`] on both backends: the log's reads, checkpoints,
//! consents and a person's accesses in one SQL text each (numbered
//! placeholders) run through either pool by a macro; appending to the log
//! and reading its head inside a transaction are each backend's own
//! (`postgres_data.rs`, `sqlite_data.rs`).

use chrono::{DateTime, Utc};
use exchange::{Checkpoint, LogEntry, MemberId};

use crate::db::limit_i64;
use crate::model::{
    self, CheckpointTuple, ConsentSnapshot, ConsentTuple, ExchangeStore, LOG_COLUMNS, LogTuple,
};
use crate::{Context, StoreError};

macro_rules! exchange_store {
    ($store:ty, $append_batch:path, $head_in:path) => {
        #[async_trait::async_trait]
        impl ExchangeStore for $store {
            async fn append_log_batch(
                &self,
                batch: &[exchange::Appended],
            ) -> Result<(), StoreError> {
                $append_batch(self, batch).await
            }

            async fn log_range(
                &self,
                from_seq: u64,
                limit: usize,
            ) -> Result<Vec<LogEntry>, StoreError> {
                let from = i64::try_from(from_seq).unwrap_or(i64::MAX);
                let rows: Vec<LogTuple> = sqlx::query_as(&format!(
                    "SELECT {LOG_COLUMNS} FROM exchange_log WHERE seq >= $1 ORDER BY seq LIMIT $2"
                ))
                .bind(from)
                .bind(limit_i64(limit))
                .fetch_all(&self.pool)
                .await
                .context("reading the log")?;
                rows.into_iter().map(model::decode_log).collect()
            }

            async fn log_head(&self) -> Result<Option<LogEntry>, StoreError> {
                let mut conn = self.pool.acquire().await.context("reading the log head")?;
                $head_in(&mut conn).await
            }

            async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
                let rows: Vec<CheckpointTuple> = sqlx::query_as(
                    "SELECT seq, hash, key_id, signature FROM exchange_checkpoints ORDER BY seq",
                )
                .fetch_all(&self.pool)
                .await
                .context("reading checkpoints")?;
                rows.into_iter().map(model::decode_checkpoint).collect()
            }

            async fn give_consent(
                &self,
                person_id: &str,
                consumer: &MemberId,
                purpose: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let at = model::nanos(at)?;
                let done = sqlx::query(
                    "INSERT INTO consents (person_id, consumer, purpose, given_ns) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (person_id, consumer, purpose) WHERE withdrawn_ns IS NULL \
                     DO NOTHING",
                )
                .bind(person_id)
                .bind(consumer.as_str())
                .bind(purpose)
                .bind(at)
                .execute(&self.pool)
                .await
                .context("recording a consent")?;
                Ok(done.rows_affected() > 0)
            }

            async fn withdraw_consent(
                &self,
                person_id: &str,
                consumer: &MemberId,
                purpose: &str,
                at: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let at = model::nanos(at)?;
                let done = sqlx::query(
                    "UPDATE consents SET withdrawn_ns = $1 WHERE person_id = $2 \
                     AND consumer = $3 AND purpose = $4 AND withdrawn_ns IS NULL",
                )
                .bind(at)
                .bind(person_id)
                .bind(consumer.as_str())
                .bind(purpose)
                .execute(&self.pool)
                .await
                .context("withdrawing a consent")?;
                Ok(done.rows_affected() > 0)
            }

            async fn consents_of(&self, person_id: &str) -> Result<ConsentSnapshot, StoreError> {
                let rows: Vec<ConsentTuple> = sqlx::query_as(
                    "SELECT consumer, purpose, given_ns, withdrawn_ns FROM consents \
                     WHERE person_id = $1 ORDER BY given_ns, id",
                )
                .bind(person_id)
                .fetch_all(&self.pool)
                .await
                .context("reading consents")?;
                model::decode_consents(person_id, rows)
            }

            async fn accesses_to(
                &self,
                person_id: &str,
                from: DateTime<Utc>,
                to: DateTime<Utc>,
            ) -> Result<Vec<LogEntry>, StoreError> {
                let rows: Vec<LogTuple> = sqlx::query_as(&format!(
                    "SELECT {LOG_COLUMNS} FROM exchange_log \
                     WHERE person_id = $1 AND at_ns >= $2 AND at_ns < $3 ORDER BY seq"
                ))
                .bind(person_id)
                .bind(model::nanos_clamped(from))
                .bind(model::nanos_clamped(to))
                .fetch_all(&self.pool)
                .await
                .context("reading accesses")?;
                rows.into_iter().map(model::decode_log).collect()
            }
        }
    };
}

exchange_store!(
    crate::postgres::PgStore,
    crate::postgres_data::append_log_batch,
    crate::postgres_data::head_in
);
exchange_store!(
    crate::sqlite::SqliteStore,
    crate::sqlite_data::append_log_batch,
    crate::sqlite_data::head_in
);

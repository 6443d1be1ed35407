//! The message log's appends on PostgreSQL: a run of entries is one
//! statement that inserts them and their checkpoints only if the first
//! entry chains to the stored one before it (or starts the log), the
//! primary key on `seq` refusing an entry whose place another writer took
//! first. Outside a transaction that is one round trip and one commit; the
//! dossiers' writer extends the same statement with the dossiers it files
//! (`dossiers::postgres`).

use std::sync::LazyLock;

use ::exchange::Checkpoint;
use sqlx::postgres::PgArguments;
use sqlx::query::QueryScalar;
use sqlx::{PgConnection, Postgres};

use super::{LOG_COLUMNS, LogRow, check_run};
use crate::StoreError;
use crate::postgres::column;

/// Log entries per append statement.
pub(crate) const LOG_ROWS: usize = 1_000;

/// A run of the log alone in one statement (written once, on first use).
static LOG_RUN: LazyLock<String> =
    LazyLock::new(|| format!("{} SELECT count(*) FROM guard", log_run_sql()));

/// The head of a run's one statement: a guard that the first entry chains
/// to the stored one before it (`$15` its sequence number, `$16` the hash
/// it names), then the entries (`$1`–`$14`) and checkpoints (`$17`–`$20`),
/// inserted only if the guard holds. A run of the log alone ends it with
/// ` SELECT count(*) FROM guard` ([`LOG_RUN`]); a run that files dossiers
/// goes on with them (`dossiers::postgres`).
pub(crate) fn log_run_sql() -> String {
    format!(
        "WITH guard AS ( \
             SELECT 1 FROM exchange_log WHERE seq = $15 - 1 AND hash = $16 \
             UNION ALL SELECT 1 WHERE $15 = 1 OR $15 IS NULL \
         ), entries AS ( \
             INSERT INTO exchange_log ({LOG_COLUMNS}) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], \
                 $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], \
                 $11::text[], $12::text[], $13::text[], $14::text[]) \
             WHERE EXISTS (SELECT 1 FROM guard) RETURNING seq \
         ), checkpoints AS ( \
             INSERT INTO exchange_checkpoints (seq, hash, key_id, signature) \
             SELECT * FROM UNNEST($17::bigint[], $18::text[], $19::text[], $20::text[]) \
             WHERE EXISTS (SELECT 1 FROM guard) \
         )"
    )
}

/// A checked run of log entries, ready to be bound as `$1`–`$20` of a
/// run's statement.
pub(crate) struct Run<'a> {
    rows: Vec<LogRow<'a>>,
    checkpoints: Vec<(i64, &'a Checkpoint)>,
    /// The hash the first entry names as the one before it.
    first_prev: Option<String>,
}

impl<'a> Run<'a> {
    /// Checks `batch` in itself (each entry follows the one before it,
    /// checkpoints are over their entries); whether the first follows the
    /// stored head, the statement checks.
    pub(crate) fn check(batch: &'a [::exchange::Appended]) -> Result<Run<'a>, StoreError> {
        let (rows, checkpoints) = check_run(batch)?;
        Ok(Run {
            rows,
            checkpoints,
            first_prev: batch.first().map(|a| a.entry.prev_hash.to_string()),
        })
    }

    fn first_seq(&self) -> Option<i64> {
        self.rows.first().map(|r| r.seq)
    }

    /// A run's statement `sql` with the run bound as `$1`–`$20`.
    pub(crate) fn bind<'q>(&'q self, sql: &'q str) -> QueryScalar<'q, Postgres, i64, PgArguments> {
        let rows = &self.rows;
        let checkpoints = &self.checkpoints;
        sqlx::query_scalar::<_, i64>(sql)
            .bind(column(rows, |r| r.seq))
            .bind(column(rows, |r| r.at_ns))
            .bind(column(rows, |r| r.record().consumer.as_str()))
            .bind(column(rows, |r| r.record().provider.as_str()))
            .bind(column(rows, |r| r.record().service.as_str()))
            .bind(column(rows, |r| r.record().purpose.as_str()))
            .bind(column(rows, |r| r.record().legal_basis.as_deref()))
            .bind(column(rows, |r| r.record().case_ref.as_deref()))
            .bind(column(rows, |r| r.record().person_id.as_deref()))
            .bind(column(rows, |r| r.fields.as_str()))
            .bind(column(rows, |r| r.record().request_digest.to_string()))
            .bind(column(rows, |r| r.response_digest()))
            .bind(column(rows, |r| r.entry.prev_hash.to_string()))
            .bind(column(rows, |r| r.entry.hash.to_string()))
            .bind(self.first_seq())
            .bind(self.first_prev.as_deref())
            .bind(column(checkpoints, |(seq, _)| *seq))
            .bind(column(checkpoints, |(_, cp)| cp.hash.to_string()))
            .bind(column(checkpoints, |(_, cp)| cp.key_id.0.as_str()))
            .bind(column(checkpoints, |(_, cp)| cp.signature.as_str()))
    }

    /// A run's statement failed: a unique key taken by another writer is
    /// a conflict naming the run's first entry (`taken` says what else
    /// the statement may have found taken).
    pub(crate) fn failed(&self, e: sqlx::Error, taken: &str) -> StoreError {
        match (&e, self.first_seq()) {
            (sqlx::Error::Database(d), Some(seq)) if d.is_unique_violation() => {
                StoreError::conflict(format!(
                    "log entry {seq} cannot be appended: its place in the log is taken \
                     (another writer appended first){taken}"
                ))
            }
            _ => StoreError::db("appending to the log", e),
        }
    }

    /// What a run's statement answered, the guard's count: none when the
    /// first entry does not chain to the stored one before it.
    pub(crate) fn chained(&self, inserted: i64) -> Result<(), StoreError> {
        if inserted == 0 {
            let first = self.first_seq().unwrap_or_default();
            return Err(StoreError::conflict(format!(
                "log entry {first} does not chain to the stored entry {}: the log's head moved \
                 or entries are missing",
                first.saturating_sub(1)
            )));
        }
        Ok(())
    }
}

/// Appends a checked run of log entries in one statement (one round trip,
/// and one commit outside a transaction).
pub(crate) async fn append_run(
    conn: &mut PgConnection,
    batch: &[::exchange::Appended],
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let run = Run::check(batch)?;
    let inserted = run
        .bind(&LOG_RUN)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| run.failed(e, ""))?;
    run.chained(inserted)
}

/// Appends a batch of log entries inside the caller's transaction, in
/// runs of at most [`LOG_ROWS`]: the first must follow the stored head.
pub(crate) async fn append_log_in(
    conn: &mut PgConnection,
    batch: &[::exchange::Appended],
) -> Result<(), StoreError> {
    for run in batch.chunks(LOG_ROWS) {
        append_run(conn, run).await?;
    }
    Ok(())
}

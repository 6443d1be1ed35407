//! The message log's appends on SQLite: multi-row `INSERT OR FAIL`s of the
//! entries and checkpoints in the caller's write transaction, after the
//! stored head is read and the entries checked against it. A failed
//! statement always rolls back its whole transaction, so a statement need
//! not undo its own rows, and SQLite keeps no statement journal.

use sqlx::query_builder::Separated;
use sqlx::{Sqlite, SqliteConnection};

use super::{LogRow, check_batch, head_in};
use crate::StoreError;
use crate::db::On;
use crate::sqlite::{failed, insert_chunked};

/// Log entries per multi-row insert (14 parameters each).
pub(crate) const LOG_ROWS: usize = 500;

/// The head of an insert of log entries, in [`LogRow`] order.
pub(crate) static INSERT_ENTRIES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("INSERT OR FAIL INTO exchange_log ({}) ", super::LOG_COLUMNS)
});

/// The head of an insert of checkpoints.
pub(crate) const INSERT_CHECKPOINTS: &str =
    "INSERT OR FAIL INTO exchange_checkpoints (seq, hash, key_id, signature) ";

/// Binds one log entry's values (after [`INSERT_ENTRIES`]).
pub(crate) fn push_entry<'a>(b: &mut Separated<'_, 'a, Sqlite, &'static str>, row: &'a LogRow<'a>) {
    let r = row.record();
    b.push_bind(row.seq)
        .push_bind(row.at_ns)
        .push_bind(r.consumer.as_str())
        .push_bind(r.provider.as_str())
        .push_bind(r.service.as_str())
        .push_bind(r.purpose.as_str())
        .push_bind(r.legal_basis.as_deref())
        .push_bind(r.case_ref.as_deref())
        .push_bind(r.person_id.as_deref())
        .push_bind(row.fields.as_str())
        .push_bind(r.request_digest.to_string())
        .push_bind(row.response_digest())
        .push_bind(row.entry.prev_hash.to_string())
        .push_bind(row.entry.hash.to_string());
}

/// Binds one checkpoint's values, `(seq, checkpoint)` (after
/// [`INSERT_CHECKPOINTS`]).
pub(crate) fn push_checkpoint<'a>(
    b: &mut Separated<'_, 'a, Sqlite, &'static str>,
    (seq, cp): &'a (i64, &::exchange::Checkpoint),
) {
    b.push_bind(*seq)
        .push_bind(cp.hash.to_string())
        .push_bind(cp.key_id.0.as_str())
        .push_bind(cp.signature.as_str());
}

/// Appends a batch of log entries inside the caller's write transaction:
/// the first must follow the stored head.
pub(crate) async fn append_log_in(
    conn: &mut SqliteConnection,
    batch: &[::exchange::Appended],
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    let head = head_in(On::Sqlite(conn)).await?;
    let (rows, checkpoints) = check_batch(batch, head.as_ref())?;
    insert_chunked(
        &mut *conn,
        "the log",
        &INSERT_ENTRIES,
        &rows,
        LOG_ROWS,
        failed,
        push_entry,
    )
    .await?;
    insert_chunked(
        &mut *conn,
        "checkpoints",
        INSERT_CHECKPOINTS,
        &checkpoints,
        LOG_ROWS,
        failed,
        push_checkpoint,
    )
    .await?;
    Ok(())
}

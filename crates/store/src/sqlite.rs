//! The SQLite backend (the embedded default): opening the file (WAL, the
//! busy timeout, the checkpoint interval) and migrating it, and the
//! multi-row inserts its write paths share.

use std::path::Path;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::query_builder::Separated;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use crate::{ErrorKind, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a free connection of the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// WAL allows many readers beside the single writer.
const MAX_CONNECTIONS: u32 = 8;
/// Pages of write-ahead log between automatic checkpoints.
const WAL_AUTOCHECKPOINT_PAGES: &str = "16000";

/// Opens the SQLite file at `path` (creating the directory and the file
/// when missing), then migrates it.
pub(crate) async fn open(path: &Path) -> Result<SqlitePool, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir).await.map_err(|e| {
            StoreError::with_source(
                ErrorKind::Open,
                format!("cannot create the directory {}", dir.display()),
                e,
            )
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT)
        // copy the write-ahead log back into the database file every
        // 16,000 pages (64 MiB) rather than SQLite's 1,000: the pages a
        // busy writer keeps changing (index roots, the tail of each
        // table) are copied once per checkpoint, not again and again
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES);
    let pool = SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .min_connections(0)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // a connection to a local file does not hang up: no ping
        // (a round trip to the connection's thread) before each use
        .test_before_acquire(false)
        .connect_with(options)
        .await
        .map_err(|e| {
            StoreError::with_source(
                ErrorKind::Open,
                format!("cannot open the SQLite file {}", path.display()),
                e,
            )
        })?;
    tracing::debug!(path = %path.display(), "running SQLite migrations");
    MIGRATOR.run(&pool).await.map_err(|e| {
        StoreError::with_source(
            ErrorKind::Migration,
            format!("SQLite file {}", path.display()),
            e,
        )
    })?;
    tracing::debug!(path = %path.display(), "SQLite schema is up to date");
    Ok(pool)
}

/// A failed statement of `context`, of the kind its error is.
pub(crate) fn failed(context: &str, e: sqlx::Error) -> StoreError {
    StoreError::db(context.to_owned(), e)
}

/// Inserts `rows` with multi-row INSERTs of `chunk_rows` rows each; a failed
/// chunk is mapped by `on_error` with the context `writing {what}`.
pub(crate) async fn insert_chunked<'a, T>(
    conn: &mut SqliteConnection,
    what: &str,
    head: &str,
    rows: &'a [T],
    chunk_rows: usize,
    on_error: fn(&str, sqlx::Error) -> StoreError,
    bind: impl Fn(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> Result<(), StoreError> {
    for chunk in rows.chunks(chunk_rows) {
        let mut query = QueryBuilder::<Sqlite>::new(head);
        query.push_values(chunk, |mut row, value| bind(&mut row, value));
        query
            .build()
            .persistent(true)
            .execute(&mut *conn)
            .await
            .map_err(|e| on_error(&format!("writing {what}"), e))?;
    }
    Ok(())
}

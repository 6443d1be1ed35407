//! The SQLite backend (the embedded default).

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::migrate::Migrator;
use sqlx::query_builder::Separated;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use crate::{
    Backend, COUNT_UNITS_SQL, Context, CountRow, ErrorKind, Store, StoreError,
    UNIT_TABLES_CHILDREN_FIRST, UNITS_VERSION_KEY, UnitCounts, UnitsSync,
};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a free connection of the pool.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// WAL allows many readers beside the single writer.
const MAX_CONNECTIONS: u32 = 8;
/// Pages of write-ahead log between automatic checkpoints.
const WAL_AUTOCHECKPOINT_PAGES: &str = "16000";
/// Rows per multi-row INSERT (at most 9 columns: 4,500 parameters, well
/// under SQLite's limit of 32,766).
const BATCH_ROWS: usize = 500;

pub(crate) struct SqliteStore {
    pub(crate) pool: SqlitePool,
    pub(crate) shared: crate::SqlStore,
}

impl SqliteStore {
    /// Creates the directory and the file when missing, then migrates.
    pub(crate) async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
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
        Ok(SqliteStore {
            shared: crate::SqlStore::new(crate::db::Db::Sqlite(pool.clone())),
            pool,
        })
    }
}

/// Inserts `rows` with multi-row INSERTs of [`BATCH_ROWS`] rows; `head` is
/// `INSERT INTO table (columns) ` and `bind` pushes one row's values.
async fn insert_batched<'a, T>(
    conn: &mut SqliteConnection,
    what: &str,
    head: &str,
    rows: &'a [T],
    bind: impl Fn(&mut Separated<'_, 'a, Sqlite, &'static str>, &'a T),
) -> Result<(), StoreError> {
    insert_chunked(conn, what, head, rows, BATCH_ROWS, failed, bind).await
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

async fn write_units(
    conn: &mut SqliteConnection,
    units: &units::Units,
    version: &str,
) -> Result<(), StoreError> {
    for table in UNIT_TABLES_CHILDREN_FIRST {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await
            .with_context(|| format!("clearing {table}"))?;
    }
    insert_batched(
        conn,
        "provinces",
        "INSERT INTO provinces (code, name, short_name, kind, phone_code, lat, lon) ",
        units.provinces(),
        |b, r| {
            b.push_bind(r.code.as_str())
                .push_bind(r.name.as_str())
                .push_bind(r.short_name.as_str())
                .push_bind(r.kind.as_str())
                .push_bind(r.phone_code.as_str())
                .push_bind(r.lat)
                .push_bind(r.lon);
        },
    )
    .await?;
    insert_batched(
        conn,
        "communes",
        "INSERT INTO communes (code, name, short_name, kind, province_code, lat, lon, area_km2) ",
        units.communes(),
        |b, r| {
            b.push_bind(r.code.as_str())
                .push_bind(r.name.as_str())
                .push_bind(r.short_name.as_str())
                .push_bind(r.kind.as_str())
                .push_bind(r.province_code.as_str())
                .push_bind(r.lat)
                .push_bind(r.lon)
                .push_bind(r.area_km2);
        },
    )
    .await?;
    insert_batched(
        conn,
        "legacy provinces",
        "INSERT INTO legacy_provinces (code, name, short_name, lat, lon) ",
        units.legacy_provinces(),
        |b, r| {
            b.push_bind(r.code.as_str())
                .push_bind(r.name.as_str())
                .push_bind(r.short_name.as_str())
                .push_bind(r.lat)
                .push_bind(r.lon);
        },
    )
    .await?;
    insert_batched(
        conn,
        "legacy districts",
        "INSERT INTO legacy_districts (code, name, short_name, kind, province_code, lat, lon) ",
        units.legacy_districts(),
        |b, r| {
            b.push_bind(r.code.as_str())
                .push_bind(r.name.as_str())
                .push_bind(r.short_name.as_str())
                .push_bind(r.kind.as_str())
                .push_bind(r.province_code.as_str())
                .push_bind(r.lat)
                .push_bind(r.lon);
        },
    )
    .await?;
    insert_batched(
        conn,
        "legacy communes",
        "INSERT INTO legacy_communes \
         (code, name, short_name, kind, district_code, province_code, lat, lon) ",
        units.legacy_communes(),
        |b, r| {
            b.push_bind(r.code.as_str())
                .push_bind(r.name.as_str())
                .push_bind(r.short_name.as_str())
                .push_bind(r.kind.as_str())
                .push_bind(r.district_code.as_str())
                .push_bind(r.province_code.as_str())
                .push_bind(r.lat)
                .push_bind(r.lon);
        },
    )
    .await?;
    insert_batched(
        conn,
        "the conversion table",
        "INSERT INTO commune_conversion (old_commune_code, new_commune_code, partly_merged) ",
        units.conversion_table(),
        |b, r| {
            b.push_bind(r.old_commune_code.as_str())
                .push_bind(r.new_commune_code.as_str())
                .push_bind(r.partly_merged);
        },
    )
    .await?;
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES (?, ?) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(UNITS_VERSION_KEY)
    .bind(version)
    .execute(&mut *conn)
    .await
    .context("recording the units version")?;
    Ok(())
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context("ping")?;
        Ok(())
    }

    async fn sync_units(&self, units: &units::Units) -> Result<UnitsSync, StoreError> {
        let version = units::dataset_version();
        if self.units_version().await?.as_deref() == Some(version.as_str()) {
            return Ok(UnitsSync::already_stored(version));
        }
        let started = Instant::now();
        // IMMEDIATE takes the write lock up front: concurrent synchronisations
        // wait (busy timeout) instead of failing on a lock upgrade.
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .context("starting the units transaction")?;
        let stored: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(UNITS_VERSION_KEY)
            .fetch_optional(&mut *tx)
            .await
            .context("reading the units version")?;
        if stored.as_deref() == Some(version.as_str()) {
            tx.rollback()
                .await
                .context("ending the units transaction")?;
            return Ok(UnitsSync::unchanged(version));
        }
        write_units(&mut tx, units, &version).await?;
        tx.commit().await.context("committing the units")?;
        Ok(UnitsSync::written(
            version,
            stored.as_deref(),
            started,
            "SQLite",
        ))
    }

    async fn units_version(&self) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = ?")
            .bind(UNITS_VERSION_KEY)
            .fetch_optional(&self.pool)
            .await
            .context("reading the units version")
    }

    async fn count_units(&self) -> Result<UnitCounts, StoreError> {
        let row: CountRow = sqlx::query_as(COUNT_UNITS_SQL)
            .fetch_one(&self.pool)
            .await
            .context("counting the units")?;
        crate::unit_counts(row)
    }

    async fn stored_successors(
        &self,
        legacy_commune_code: &str,
    ) -> Result<Vec<(String, bool)>, StoreError> {
        sqlx::query_as(
            "SELECT new_commune_code, partly_merged FROM commune_conversion \
             WHERE old_commune_code = ? ORDER BY new_commune_code",
        )
        .bind(legacy_commune_code)
        .fetch_all(&self.pool)
        .await
        .context("reading successors")
    }

    fn registry(&self) -> &dyn crate::RegistryStore {
        &self.shared
    }

    fn exchange(&self) -> &dyn crate::ExchangeStore {
        &self.shared
    }

    fn delivery(&self) -> &dyn crate::DeliveryStore {
        &self.shared
    }

    fn oidc(&self) -> &dyn crate::OidcStore {
        &self.shared
    }

    fn accounts(&self) -> &dyn crate::AccountStore {
        &self.shared
    }

    fn organisations(&self) -> &dyn crate::OrganisationStore {
        &self.shared
    }

    fn dossiers(&self) -> &dyn crate::DossierStore {
        &self.shared
    }
}

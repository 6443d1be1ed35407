//! The storage interface and its two backends: SQLite (the embedded
//! default: one file under the data directory) and PostgreSQL (production).
//!
//! Both backends implement [`Store`]; their migrations live beside them in
//! `migrations/sqlite` and `migrations/postgres`, and one conformance suite
//! (`tests/conformance.rs`) runs against both.

use std::sync::Arc;

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where to store: a SQLite file or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file (created with its directory when missing).
    SqliteFile(std::path::PathBuf),
    /// `postgres://…` or `postgresql://…`
    Postgres(String),
}

/// What a units synchronisation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitsSync {
    /// The data-set version now stored (`units::dataset_version()`).
    pub version: String,
    /// false when the store already held this version and nothing was written
    pub written: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Database(String),
}

/// The platform's storage.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// A round trip to the database (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Writes the administrative-unit reference tables from the embedded
    /// data set, unless this version is already stored.
    async fn sync_units(&self, units: &units::Units) -> Result<UnitsSync, StoreError>;
    /// The data-set version of the stored reference tables.
    async fn units_version(&self) -> Result<Option<String>, StoreError>;
}

/// Opens (creating and migrating when needed) the store at `location`.
pub async fn open(location: &Location) -> Result<Arc<dyn Store>, StoreError> {
    let _ = location;
    Err(StoreError::Open("not yet".into()))
}

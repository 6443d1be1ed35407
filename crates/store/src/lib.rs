//! The storage interface and its two backends: SQLite (the embedded
//! default: one file under the data directory) and PostgreSQL (production).
//!
//! Both backends implement [`Store`]; their migrations live beside them in
//! `migrations/sqlite` and `migrations/postgres`, and one conformance suite
//! (`tests/conformance.rs`) runs against both.
//!
//! The registry and exchange parts of the interface are the sub-traits
//! [`RegistryStore`] and [`ExchangeStore`], reached through
//! [`Store::registry`] and [`Store::exchange`]: `Store` stays object-safe
//! and small.
//!
//! ```no_run
//! # async fn demo() -> Result<(), store::StoreError> {
//! let location = store::Location::parse(None, std::path::Path::new("/var/lib/motcua"))?;
//! let store = store::open(&location).await?;
//! let sync = store.sync_units(units::Units::get()).await?;
//! assert_eq!(sync.version, units::dataset_version());
//! # Ok(()) }
//! ```

mod accounts;
mod dossiers;
mod exchange_store;
mod model;
mod oidc;
mod orgs;
mod outbox;
mod postgres;
mod postgres_data;
mod postgres_outbox;
mod registry_store;
mod sqlite;
mod sqlite_data;
mod sqlite_outbox;

pub use accounts::{
    Account, AccountStore, AuditEntry, Failure, Session, StoredApplication, TokenAccount,
};
pub use dossiers::{
    DossierStore, FilingDay, LogOfBatch, MakeDossier, NewDossier, NoticeRow, Outcomes,
    ServiceFigures, StaffMember, StoredAttachment, StoredDossier,
};
pub use model::{
    ConsentRecord, ConsentSnapshot, ExchangeStore, FoundPerson, MAX_CANDIDATES, RegistryStore,
};
pub use oidc::{OidcStore, RefreshOutcome, StoredKey};
pub use orgs::{LegacyLogin, OrganisationStore};
pub use outbox::{DeliveryStore, EventSubscription, OutboxRow, StoreDeduplicator, event_kind_code};

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where to store: a SQLite file or a PostgreSQL URL.
///
/// `Debug` and `Display` never show a password from a PostgreSQL URL.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite database file (created with its directory when missing).
    SqliteFile(PathBuf),
    /// `postgres://…` or `postgresql://…`
    Postgres(String),
}

/// The file name of the default SQLite database inside the data directory.
pub const DEFAULT_SQLITE_FILE: &str = "motcua.db";

const ACCEPTED_FORMS: &str = "expected postgres://USER@HOST:PORT/DB, postgresql://…, \
     sqlite://PATH or sqlite:PATH (or no URL at all for DATA_DIR/motcua.db)";

impl Location {
    /// Reads a `DATABASE_URL`-style setting.
    ///
    /// * none (or an empty string) → the SQLite file `data_dir/motcua.db`;
    /// * `postgres://…` or `postgresql://…` → PostgreSQL (the URL is checked
    ///   here, not connected to);
    /// * `sqlite://PATH` or `sqlite:PATH` → that SQLite file (a relative
    ///   path is relative to the working directory; `sqlite:///abs/path`
    ///   is absolute).
    ///
    /// Anything else is an [`StoreError::InvalidLocation`] naming the
    /// accepted forms. Errors never repeat the URL itself (it may hold a
    /// password).
    pub fn parse(database_url: Option<&str>, data_dir: &Path) -> Result<Location, StoreError> {
        let url = match database_url.map(str::trim) {
            None | Some("") => return Ok(Location::SqliteFile(data_dir.join(DEFAULT_SQLITE_FILE))),
            Some(url) => url,
        };
        let invalid = |reason: String| StoreError::InvalidLocation(reason);
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            postgres::check_url(url)?;
            return Ok(Location::Postgres(url.to_string()));
        }
        if lower.starts_with("sqlite:") {
            let rest = &url["sqlite:".len()..];
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(invalid(format!(
                    "the SQLite URL names no file; {ACCEPTED_FORMS}"
                )));
            }
            if path == ":memory:" || path.starts_with(":memory:?") {
                return Err(invalid(
                    "an in-memory SQLite database cannot be shared by the connection pool; \
                     give a file path"
                        .to_string(),
                ));
            }
            if path.contains('?') {
                return Err(invalid(format!(
                    "SQLite URL options (`?…`) are not supported, the store sets its own; \
                     {ACCEPTED_FORMS}"
                )));
            }
            return Ok(Location::SqliteFile(PathBuf::from(path)));
        }
        let reason = match url.split_once(':') {
            Some((scheme, _))
                if !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                format!("unsupported database URL scheme `{scheme}:`; {ACCEPTED_FORMS}")
            }
            _ => format!("the database URL is not a URL; {ACCEPTED_FORMS}"),
        };
        Err(invalid(reason))
    }

    /// The backend this location is served by.
    pub fn backend(&self) -> Backend {
        match self {
            Location::SqliteFile(_) => Backend::Sqlite,
            Location::Postgres(_) => Backend::Postgres,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::SqliteFile(path) => write!(f, "SQLite file {}", path.display()),
            Location::Postgres(url) => {
                write!(f, "PostgreSQL {}", postgres::redact_url(url))
            }
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::SqliteFile(path) => f.debug_tuple("SqliteFile").field(path).finish(),
            Location::Postgres(url) => f
                .debug_tuple("Postgres")
                .field(&postgres::redact_url(url))
                .finish(),
        }
    }
}

/// What a units synchronisation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitsSync {
    /// The data-set version now stored (`units::dataset_version()`).
    pub version: String,
    /// false when the store already held this version and nothing was written
    pub written: bool,
}

impl UnitsSync {
    /// The store already held `version`, found before any lock was taken.
    pub(crate) fn already_stored(version: String) -> Self {
        tracing::debug!(%version, "units already stored");
        Self::unchanged(version)
    }

    /// The store already held `version`; nothing was written.
    pub(crate) fn unchanged(version: String) -> Self {
        Self {
            version,
            written: false,
        }
    }

    /// `version` was written over `previous`, in the store named `backend`.
    pub(crate) fn written(
        version: String,
        previous: Option<&str>,
        started: std::time::Instant,
        backend: &str,
    ) -> Self {
        tracing::debug!(
            %version,
            previous = previous.unwrap_or("none"),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "units written to {backend}"
        );
        Self {
            version,
            written: true,
        }
    }
}

/// How many rows each reference table holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitCounts {
    pub provinces: usize,
    pub communes: usize,
    pub legacy_provinces: usize,
    pub legacy_districts: usize,
    pub legacy_communes: usize,
    /// rows of the old-commune → new-commune conversion table
    pub conversion_rows: usize,
}

impl UnitCounts {
    /// The sizes of an in-memory data set, to compare with a store's.
    pub fn of(units: &units::Units) -> UnitCounts {
        UnitCounts {
            provinces: units.provinces().len(),
            communes: units.communes().len(),
            legacy_provinces: units.legacy_provinces().len(),
            legacy_districts: units.legacy_districts().len(),
            legacy_communes: units.legacy_communes().len(),
            conversion_rows: units.conversion_table().len(),
        }
    }
}

/// Why a storage operation failed. The messages are meant for operators and
/// never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The `DATABASE_URL` (or equivalent) cannot be understood.
    #[error("invalid database location: {0}")]
    InvalidLocation(String),
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Database(String),
    /// A write that disagrees with what is stored (an event id stored with
    /// other contents, a person already loaded, a log entry that does not
    /// follow the stored head).
    #[error("conflict: {0}")]
    Conflict(String),
    /// A write the domain does not allow (an event sequence the registry
    /// refuses, a log entry whose hash is wrong).
    #[error("refused: {0}")]
    Refused(String),
}

/// Turns a sqlx error met while running a query into a [`StoreError`] with a
/// human reason.
pub(crate) fn db_error(context: &str, e: sqlx::Error) -> StoreError {
    StoreError::Database(format!("{context}: {}", describe(&e)))
}

/// A human reason for a sqlx error (no URL, no password: sqlx errors hold
/// neither).
pub(crate) fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => match d.code() {
            Some(code) => format!("{} (code {code})", d.message()),
            None => d.message().to_string(),
        },
        sqlx::Error::Io(io) => format!("I/O error: {io}"),
        sqlx::Error::Tls(tls) => format!("TLS error: {tls}"),
        sqlx::Error::PoolTimedOut => "timed out waiting for a database connection".to_string(),
        sqlx::Error::PoolClosed => "the connection pool is closed".to_string(),
        sqlx::Error::RowNotFound => "no row where one was expected".to_string(),
        sqlx::Error::ColumnDecode { index, source } => {
            format!("cannot decode column {index}: {source}")
        }
        other => other.to_string(),
    }
}

/// The platform's storage.
#[async_trait::async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;
    /// A round trip to the database (for `/readyz`).
    async fn ping(&self) -> Result<(), StoreError>;
    /// Writes the administrative-unit reference tables from the embedded
    /// data set, unless this version is already stored.
    ///
    /// Everything is written in one transaction that first deletes the rows
    /// of the previous version; concurrent calls are serialised.
    async fn sync_units(&self, units: &units::Units) -> Result<UnitsSync, StoreError>;
    /// The data-set version of the stored reference tables.
    async fn units_version(&self) -> Result<Option<String>, StoreError>;
    /// The number of rows in each reference table.
    async fn count_units(&self) -> Result<UnitCounts, StoreError>;
    /// The stored successors of a legacy commune: `(new_commune_code,
    /// partly_merged)` ordered by new code; empty for an unknown code.
    async fn stored_successors(
        &self,
        legacy_commune_code: &str,
    ) -> Result<Vec<(String, bool)>, StoreError>;
    /// The population registry's storage.
    fn registry(&self) -> &dyn RegistryStore;
    /// The exchange layer's storage.
    fn exchange(&self) -> &dyn ExchangeStore;
    /// The storage of asynchronous delivery: the outbox of vital events,
    /// subscriptions and consumer-side de-duplication.
    fn delivery(&self) -> &dyn DeliveryStore;
    /// The OpenID Connect provider's storage: clients and signing keys.
    fn oidc(&self) -> &dyn OidcStore;
    /// eID accounts, their audit trails and log-in sessions.
    fn accounts(&self) -> &dyn AccountStore;
    /// Organisations' people, authorisations and legacy accounts.
    fn organisations(&self) -> &dyn OrganisationStore;
    /// Dossiers and their codes.
    fn dossiers(&self) -> &dyn DossierStore;
}

/// The meta key holding the stored data-set version.
pub(crate) const UNITS_VERSION_KEY: &str = "units_version";

/// Counts every reference table in one round trip (same SQL on both
/// backends).
pub(crate) const COUNT_UNITS_SQL: &str = "SELECT \
     (SELECT COUNT(*) FROM provinces), \
     (SELECT COUNT(*) FROM communes), \
     (SELECT COUNT(*) FROM legacy_provinces), \
     (SELECT COUNT(*) FROM legacy_districts), \
     (SELECT COUNT(*) FROM legacy_communes), \
     (SELECT COUNT(*) FROM commune_conversion)";

/// The reference tables, children first: the order to delete them in.
pub(crate) const UNIT_TABLES_CHILDREN_FIRST: [&str; 6] = [
    "commune_conversion",
    "legacy_communes",
    "legacy_districts",
    "legacy_provinces",
    "communes",
    "provinces",
];

pub(crate) type CountRow = (i64, i64, i64, i64, i64, i64);

pub(crate) fn unit_counts(row: CountRow) -> Result<UnitCounts, StoreError> {
    let n = |v: i64| {
        usize::try_from(v).map_err(|_| StoreError::Database(format!("impossible row count {v}")))
    };
    Ok(UnitCounts {
        provinces: n(row.0)?,
        communes: n(row.1)?,
        legacy_provinces: n(row.2)?,
        legacy_districts: n(row.3)?,
        legacy_communes: n(row.4)?,
        conversion_rows: n(row.5)?,
    })
}

/// Opens (creating and migrating when needed) the store at `location`.
pub async fn open(location: &Location) -> Result<Arc<dyn Store>, StoreError> {
    match location {
        Location::SqliteFile(path) => Ok(Arc::new(sqlite::SqliteStore::open(path).await?)),
        Location::Postgres(url) => Ok(Arc::new(postgres::PgStore::open(url, None).await?)),
    }
}

/// Opens a PostgreSQL store whose connections all use `schema` (which must
/// exist) as their `search_path`: lets tests share one database.
#[doc(hidden)]
pub async fn open_postgres_in_schema(
    url: &str,
    schema: &str,
) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(postgres::PgStore::open(url, Some(schema)).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: Option<&str>) -> Result<Location, StoreError> {
        Location::parse(url, Path::new("/data"))
    }

    #[test]
    fn no_url_means_the_default_sqlite_file() {
        assert_eq!(
            parse(None).unwrap(),
            Location::SqliteFile(PathBuf::from("/data/motcua.db"))
        );
        assert_eq!(
            parse(Some("  ")).unwrap(),
            Location::SqliteFile(PathBuf::from("/data/motcua.db"))
        );
    }

    #[test]
    fn postgres_urls() {
        for url in [
            "postgres://app:secret@db.example:5432/motcua",
            "postgresql://app@localhost/motcua?sslmode=require",
            "POSTGRES://localhost",
        ] {
            assert_eq!(parse(Some(url)).unwrap(), Location::Postgres(url.into()));
        }
        assert_eq!(
            parse(Some("postgres://x")).unwrap().backend(),
            Backend::Postgres
        );
    }

    #[test]
    fn sqlite_urls() {
        assert_eq!(
            parse(Some("sqlite:///var/lib/m.db")).unwrap(),
            Location::SqliteFile(PathBuf::from("/var/lib/m.db"))
        );
        assert_eq!(
            parse(Some("sqlite://rel/m.db")).unwrap(),
            Location::SqliteFile(PathBuf::from("rel/m.db"))
        );
        assert_eq!(
            parse(Some("sqlite:m.db")).unwrap(),
            Location::SqliteFile(PathBuf::from("m.db"))
        );
        assert_eq!(
            parse(Some("sqlite:/abs/m.db")).unwrap(),
            Location::SqliteFile(PathBuf::from("/abs/m.db"))
        );
        assert_eq!(
            parse(Some("sqlite:m.db")).unwrap().backend(),
            Backend::Sqlite
        );
    }

    #[test]
    fn bad_urls_name_the_accepted_forms() {
        for url in [
            "mysql://root:hunter22@h/db",
            "/var/lib/motcua.db",
            "sqlite:",
            "sqlite://",
            "sqlite::memory:",
            "sqlite:m.db?mode=rwc",
            "postgres://u:hunter22@[bad/db",
        ] {
            let e = parse(Some(url)).unwrap_err();
            assert!(matches!(e, StoreError::InvalidLocation(_)), "{url}: {e}");
            let msg = e.to_string();
            assert!(!msg.contains("hunter22"), "{msg}");
            if url.starts_with("mysql") || url.starts_with('/') {
                assert!(msg.contains("postgres://"), "{msg}");
                assert!(msg.contains("sqlite://PATH"), "{msg}");
            }
        }
        let msg = parse(Some("mysql://root:hunter22@h/db"))
            .unwrap_err()
            .to_string();
        assert!(msg.contains("`mysql:`"), "{msg}");
    }

    #[test]
    fn passwords_never_show() {
        let l = parse(Some("postgres://app:hunter22@db.example:5432/motcua")).unwrap();
        for shown in [format!("{l}"), format!("{l:?}")] {
            assert!(!shown.contains("hunter22"), "{shown}");
            assert!(shown.contains("db.example:5432/motcua"), "{shown}");
        }
        let l = parse(Some(
            "postgres://db.example/motcua?user=a&password=hunter22",
        ))
        .unwrap();
        let shown = format!("{l:?}");
        assert!(!shown.contains("hunter22"), "{shown}");
    }
}

//! The storage interface and its two backends: SQLite (the embedded
//! default: one file under the data directory) and PostgreSQL (production).
//!
//! Both backends implement [`Store`]; their migrations live beside them in
//! `migrations/sqlite` and `migrations/postgres`, and one conformance suite
//! (`tests/conformance.rs`) runs against both.
//!
//! The parts of the interface are sub-traits reached through `Store`
//! ([`Store::registry`] → [`RegistryStore`], [`Store::exchange`] →
//! [`ExchangeStore`], `delivery`, `oidc`, `accounts`, `organisations`, `sync`,
//! `dossiers`, `cutover`): `Store` stays object-safe and small.
//!
//! # Layout
//!
//! One folder per aggregate (`registry/`, `exchange/`, `delivery/`,
//! `oidc/`, `accounts/`, `organisations/`, `dossiers/`, `sync/`, `units/`): its
//! `mod.rs` holds the trait, its rows and the statements both backends
//! run, and implements the trait for the one store type, `SqlStore`;
//! `sqlite.rs` and `postgres.rs` beside it hold only what that backend
//! does its own way. A statement both backends share is one SQL text with
//! numbered placeholders, run on either pool by `db::Db` (no macro
//! writes an implementation). The aggregates depend on the crate's shared
//! pieces (`db`, `error`, the backends' `sqlite.rs` / `postgres.rs`:
//! opening, migrating, their insert helpers) and not on one another,
//! except where one writes another's rows in its own transaction: an
//! append of vital events queues them for delivery (`registry` →
//! `delivery`), and filing dossiers appends the log's entries of the reads
//! made for them (`dossiers` → `exchange`).
//!
//! Errors are [`StoreError`]s of an [`ErrorKind`] (not found, conflict,
//! unavailable, corrupt …), naming what the store was doing, with the error
//! met as their source.
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
mod cutover;
mod db;
mod delivery;
mod dossiers;
mod error;
mod exchange;
mod oidc;
mod organisations;
mod postgres;
mod registry;
mod sqlite;
mod sync;
mod units;

pub use self::delivery::{
    DeliveryStore, EventSubscription, OutboxRow, StoreDeduplicator, event_kind_code,
};
pub use self::exchange::{ConsentRecord, ConsentSnapshot, ExchangeStore};
pub use self::registry::{FoundPerson, MAX_CANDIDATES, RegistryStore};
pub use self::units::{UnitCounts, UnitsSync};
pub use accounts::{
    Account, AccountStore, AuditEntry, Failure, Session, StoredApplication, TokenAccount,
};
pub use cutover::{CutoverReview, CutoverStore};
pub use dossiers::{
    DossierStore, FilingDay, LogOfBatch, MakeDossier, NewDossier, NoticeRow, Outcomes,
    ServiceFigures, StaffMember, StoredAttachment, StoredDossier, UpstreamBacklog, UpstreamDue,
};
pub(crate) use error::{Context, describe};
pub use error::{ErrorKind, StoreError};
pub use oidc::{OidcStore, RefreshOutcome, StoredKey, TakenCode};
pub use organisations::{LegacyLogin, OrganisationStore};
pub use sync::{
    DownAck, DownBacklog, DownDue, DownFrom, FeedPosition, Kept, MessageVerdict, OfficeChange,
    StoredOffice, SyncMessage, SyncStore, Synced, UnitActivity,
};

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use db::Db;

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
    /// Anything else is an [`ErrorKind::InvalidLocation`] error naming the
    /// accepted forms. Errors never repeat the URL itself (it may hold a
    /// password).
    pub fn parse(database_url: Option<&str>, data_dir: &Path) -> Result<Location, StoreError> {
        let url = match database_url.map(str::trim) {
            None | Some("") => return Ok(Location::SqliteFile(data_dir.join(DEFAULT_SQLITE_FILE))),
            Some(url) => url,
        };
        let invalid = |reason: String| StoreError::new(ErrorKind::InvalidLocation, reason);
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

/// The store on either backend: the one implementation of the storage
/// interface, over [`db::Db`].
pub(crate) struct SqlStore {
    pub(crate) db: db::Db,
    /// Notified after appends and subscription changes.
    pub(crate) changes: Arc<tokio::sync::Notify>,
    /// PostgreSQL: the last dossier number of each agency's day that this
    /// store's writes left (checked, not trusted, by the statement that
    /// moves it).
    pub(crate) numbers: tokio::sync::Mutex<dossiers::postgres::KnownNumbers>,
}

impl SqlStore {
    pub(crate) fn new(db: db::Db) -> SqlStore {
        SqlStore {
            db,
            changes: Arc::default(),
            numbers: tokio::sync::Mutex::default(),
        }
    }

    /// Statements on the pool ([`Db::on`]).
    pub(crate) fn on(&self) -> db::On<'_> {
        self.db.on()
    }

    /// A transaction ([`Db::begin`]) to do `doing` in.
    pub(crate) async fn begin(&self, doing: &'static str) -> Result<db::Tx, StoreError> {
        self.db.begin().await.context(doing)
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
    async fn sync_units(&self, units: &::units::Units) -> Result<UnitsSync, StoreError>;
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
    /// Dossiers reported by the back offices, and their messages.
    fn sync(&self) -> &dyn SyncStore;
    /// The dossiers brought in from closed provincial portals, and those
    /// a person decides on first.
    fn cutover(&self) -> &dyn CutoverStore;
}

#[async_trait::async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db.on().execute("SELECT 1", ()).await.context("ping")?;
        Ok(())
    }

    async fn sync_units(&self, units: &::units::Units) -> Result<UnitsSync, StoreError> {
        self::units::sync(&self.db, units).await
    }

    async fn units_version(&self) -> Result<Option<String>, StoreError> {
        self::units::version(&self.db).await
    }

    async fn count_units(&self) -> Result<UnitCounts, StoreError> {
        self::units::count(&self.db).await
    }

    async fn stored_successors(
        &self,
        legacy_commune_code: &str,
    ) -> Result<Vec<(String, bool)>, StoreError> {
        self::units::successors(&self.db, legacy_commune_code).await
    }

    fn registry(&self) -> &dyn RegistryStore {
        self
    }

    fn exchange(&self) -> &dyn ExchangeStore {
        self
    }

    fn delivery(&self) -> &dyn DeliveryStore {
        self
    }

    fn oidc(&self) -> &dyn OidcStore {
        self
    }

    fn accounts(&self) -> &dyn AccountStore {
        self
    }

    fn organisations(&self) -> &dyn OrganisationStore {
        self
    }

    fn dossiers(&self) -> &dyn DossierStore {
        self
    }

    fn sync(&self) -> &dyn SyncStore {
        self
    }

    fn cutover(&self) -> &dyn CutoverStore {
        self
    }
}

/// Opens (creating and migrating when needed) the store at `location`.
pub async fn open(location: &Location) -> Result<Arc<dyn Store>, StoreError> {
    match location {
        Location::SqliteFile(path) => Ok(Arc::new(SqlStore::new(Db::Sqlite(
            sqlite::open(path).await?,
        )))),
        Location::Postgres(url) => Ok(Arc::new(SqlStore::new(Db::Postgres(
            postgres::open(url, None).await?,
        )))),
    }
}

/// Opens a PostgreSQL store whose connections all use `schema` (which must
/// exist) as their `search_path`: lets tests share one database.
#[doc(hidden)]
pub async fn open_postgres_in_schema(
    url: &str,
    schema: &str,
) -> Result<Arc<dyn Store>, StoreError> {
    Ok(Arc::new(SqlStore::new(Db::Postgres(
        postgres::open(url, Some(schema)).await?,
    ))))
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
            assert_eq!(e.kind(), ErrorKind::InvalidLocation, "{url}: {e}");
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

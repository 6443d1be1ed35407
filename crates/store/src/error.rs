//! Why a storage operation failed: a [`StoreError`] is of one
//! [`ErrorKind`] (what a caller decides on: an HTTP status, a retry),
//! names what the store was doing, and keeps the error it met as its
//! source.
//!
//! A failed statement becomes a `StoreError` through [`Context::context`]
//! (`….await.context("reading a person")?`), which also sorts the sqlx
//! error into its kind; `?` on a bare `sqlx::Error` does the same without
//! naming the work ([`From<sqlx::Error>`]).

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

/// The source of a [`StoreError`].
pub(crate) type Source = Box<dyn StdError + Send + Sync + 'static>;

/// What kind of failure a [`StoreError`] is, whatever the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The `DATABASE_URL` (or equivalent) cannot be understood.
    InvalidLocation,
    /// The database cannot be opened when the store starts: a directory
    /// or file that cannot be made, a server that does not answer.
    Open,
    /// The schema cannot be brought up to date.
    Migration,
    /// The database does not answer now: no free connection in time, a
    /// connection lost, a lock held past the busy timeout, a server
    /// shutting down. Worth trying again later.
    Unavailable,
    /// What the operation needs is not stored (an account to update).
    NotFound,
    /// A write that disagrees with what is stored: an event id stored with
    /// other contents, a person already loaded, a log entry that does not
    /// follow the stored head, a dossier changed meanwhile, a unique key
    /// taken by another writer.
    Conflict,
    /// A write the domain does not allow: an event sequence the registry
    /// refuses, a log entry whose hash is wrong, a value out of range.
    Refused,
    /// Stored data that cannot be read back.
    Corrupt,
    /// Any other failure of the database or of the store.
    Database,
}

impl ErrorKind {
    /// The words a message of this kind starts with.
    fn prefix(self) -> &'static str {
        match self {
            ErrorKind::InvalidLocation => "invalid database location",
            ErrorKind::Open => "cannot open the database",
            ErrorKind::Migration => "database migration failed",
            ErrorKind::Unavailable => "database unavailable",
            ErrorKind::NotFound => "not found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Refused => "refused",
            ErrorKind::Corrupt | ErrorKind::Database => "database error",
        }
    }
}

/// Why a storage operation failed: its kind, what the store was doing (or
/// why it refused), and the error met, if any.
///
/// The message (`Display`) holds all three, the source described, so that
/// a log line written from it alone is complete. It never contains a
/// password: errors about a PostgreSQL URL keep no source, only a message
/// with the password taken out.
#[derive(Debug, thiserror::Error)]
#[error("{}", Message(self))]
pub struct StoreError {
    kind: ErrorKind,
    context: Cow<'static, str>,
    #[source]
    source: Option<Source>,
}

impl StoreError {
    /// An error of `kind` with no source: `context` says what happened.
    pub fn new(kind: ErrorKind, context: impl Into<Cow<'static, str>>) -> StoreError {
        StoreError {
            kind,
            context: context.into(),
            source: None,
        }
    }

    /// An error of `kind` met while doing `context`.
    pub fn with_source(
        kind: ErrorKind,
        context: impl Into<Cow<'static, str>>,
        source: impl Into<Source>,
    ) -> StoreError {
        StoreError {
            kind,
            context: context.into(),
            source: Some(source.into()),
        }
    }

    /// A write that disagrees with what is stored.
    pub fn conflict(reason: impl Into<Cow<'static, str>>) -> StoreError {
        StoreError::new(ErrorKind::Conflict, reason)
    }

    /// A write the domain does not allow.
    pub fn refused(reason: impl Into<Cow<'static, str>>) -> StoreError {
        StoreError::new(ErrorKind::Refused, reason)
    }

    /// What the operation needs is not stored.
    pub fn not_found(reason: impl Into<Cow<'static, str>>) -> StoreError {
        StoreError::new(ErrorKind::NotFound, reason)
    }

    /// Any other failure.
    pub fn database(reason: impl Into<Cow<'static, str>>) -> StoreError {
        StoreError::new(ErrorKind::Database, reason)
    }

    /// Stored `what` that cannot be read: `source` says why.
    pub(crate) fn corrupt(what: &str, source: impl Into<Source>) -> StoreError {
        StoreError::with_source(ErrorKind::Corrupt, format!("{what} cannot be read"), source)
    }

    /// A value that cannot be encoded for storage.
    pub(crate) fn encoding(what: &str, source: impl Into<Source>) -> StoreError {
        StoreError::with_source(ErrorKind::Database, format!("cannot encode {what}"), source)
    }

    /// A sqlx error met while doing `context`, of the kind it is
    /// ([`kind_of`]).
    pub(crate) fn db(context: impl Into<Cow<'static, str>>, e: sqlx::Error) -> StoreError {
        StoreError::with_source(kind_of(&e), context, e)
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What the store was doing, or why it refused (the message without
    /// its kind and source).
    pub fn context(&self) -> &str {
        &self.context
    }
}

/// A [`StoreError`]'s message: its kind, what the store was doing, and
/// the error met, described.
struct Message<'a>(&'a StoreError);

impl fmt::Display for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        f.write_str(e.kind.prefix())?;
        if !e.context.is_empty() {
            write!(f, ": {}", e.context)?;
        }
        if let Some(source) = &e.source {
            match source.downcast_ref::<sqlx::Error>() {
                Some(sqlx_error) => write!(f, ": {}", describe(sqlx_error))?,
                None => write!(f, ": {source}")?,
            }
        }
        Ok(())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::db("", e)
    }
}

/// Names what the store was doing when a statement failed.
pub(crate) trait Context<T> {
    /// The error, if any, as a [`StoreError`] of its kind met while doing
    /// `doing`.
    fn context(self, doing: impl Into<Cow<'static, str>>) -> Result<T, StoreError>;

    /// [`Context::context`] with a description made only on failure.
    fn with_context(self, doing: impl FnOnce() -> String) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, sqlx::Error> {
    fn context(self, doing: impl Into<Cow<'static, str>>) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::db(doing, e))
    }

    fn with_context(self, doing: impl FnOnce() -> String) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::db(doing(), e))
    }
}

/// The kind of a sqlx error: the connection's and the pool's failures and
/// the backends' busy and shutting-down answers are
/// [`ErrorKind::Unavailable`], a unique key taken [`ErrorKind::Conflict`],
/// a value that does not decode [`ErrorKind::Corrupt`].
pub(crate) fn kind_of(e: &sqlx::Error) -> ErrorKind {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => ErrorKind::Unavailable,
        sqlx::Error::RowNotFound => ErrorKind::NotFound,
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => ErrorKind::Corrupt,
        sqlx::Error::Database(d) if d.is_unique_violation() => ErrorKind::Conflict,
        sqlx::Error::Database(d) if not_answering(d.as_ref()) => ErrorKind::Unavailable,
        _ => ErrorKind::Database,
    }
}

/// A database's answer that it cannot serve now: SQLite busy or locked
/// (past the busy timeout), PostgreSQL connection exceptions (class `08`),
/// too many connections, a statement cancelled (timeout) or a server
/// shutting down (class `57`).
fn not_answering(d: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = d.code() else {
        return false;
    };
    if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // the extended result code: its low byte is the primary one
        return code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6));
    }
    if d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        return code.starts_with("08") || code.starts_with("57") || code == "53300";
    }
    false
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_kind_work_and_cause() {
        let e = StoreError::db("reading a person", sqlx::Error::PoolTimedOut);
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        assert_eq!(
            e.to_string(),
            "database unavailable: reading a person: timed out waiting for a database connection"
        );
        assert!(StdError::source(&e).is_some_and(|s| s.is::<sqlx::Error>()));
        let e = StoreError::conflict("dossier X changed meanwhile");
        assert_eq!(e.to_string(), "conflict: dossier X changed meanwhile");
        assert!(StdError::source(&e).is_none());
        let e: StoreError = sqlx::Error::RowNotFound.into();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.to_string(), "not found: no row where one was expected");
    }

    #[test]
    fn undecodable_columns_are_corrupt_data() {
        let e = sqlx::Error::ColumnDecode {
            index: "0".into(),
            source: "not a number".into(),
        };
        assert_eq!(kind_of(&e), ErrorKind::Corrupt);
        let e = StoreError::corrupt("a stored person record", "expected value");
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        assert_eq!(
            e.to_string(),
            "database error: a stored person record cannot be read: expected value"
        );
    }
}

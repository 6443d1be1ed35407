//! One SQL text on either backend.
//!
//! [`Db`] is the pool of the store's backend. It runs a statement with the
//! same values bound to `$1, $2 …` ([`Params`]: a tuple of values both
//! backends can bind) on whichever backend it is: PostgreSQL reads the
//! numbered placeholders natively, SQLite binds `$N` to the N-th value.
//! A statement both backends share is therefore written once, as a
//! constant or in the method that runs it, and the method reads the rows
//! it returns the same way on both.
//!
//! [`On`] runs them: `db.on()` on the pool (each statement on a connection
//! it lends), `tx.on()` in a transaction ([`Db::begin`]; on SQLite
//! `BEGIN IMMEDIATE`, which takes the write lock up front, so a writer
//! waits for another instead of failing on a lock upgrade), and
//! `On::Sqlite(conn)` / `On::Postgres(conn)` on a connection a backend's
//! own code holds.
//!
//! Also here: how values are stored (JSON texts, instants as nanoseconds
//! since 1970, `i64` limits).

use chrono::{DateTime, Utc};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, Encode, FromRow, PgConnection, Postgres, Sqlite, SqliteConnection, Type};
use sqlx::{PgPool, SqlitePool, Transaction};

use crate::{Context, StoreError};

/// The pool of the store's backend.
#[derive(Clone)]
pub(crate) enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A transaction: committed by [`Tx::commit`], rolled back when dropped.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Where a statement runs: a pool (on a connection it lends for the
/// statement), or a connection of either backend held for several (a
/// transaction's, a backend's own).
pub(crate) enum On<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
    SqlitePool(&'c SqlitePool),
    PgPool(&'c PgPool),
}

/// A value both backends can bind.
pub(crate) trait Value<'q>:
    'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

impl<'q, T> Value<'q> for T where
    T: 'q + Send + Encode<'q, Sqlite> + Type<Sqlite> + Encode<'q, Postgres> + Type<Postgres>
{
}

/// The values of a statement's `$1, $2 …`, in order, as either backend
/// takes them: a tuple of [`Value`]s, or a `Vec` of one type (a list
/// whose placeholders the statement was written with).
pub(crate) trait Params<'q>: Send {
    fn sqlite(self) -> Result<SqliteArguments<'q>, BoxDynError>;
    fn postgres(self) -> Result<PgArguments, BoxDynError>;
}

/// `Params` for tuples of up to 12 values.
macro_rules! tuple_params {
    ($($value:ident),*) => {
        impl<'q, $($value: Value<'q>),*> Params<'q> for ($($value,)*) {
            #[allow(non_snake_case)]
            fn sqlite(self) -> Result<SqliteArguments<'q>, BoxDynError> {
                let ($($value,)*) = self;
                #[allow(unused_mut)]
                let mut args = SqliteArguments::default();
                $(args.add($value)?;)*
                Ok(args)
            }

            #[allow(non_snake_case)]
            fn postgres(self) -> Result<PgArguments, BoxDynError> {
                let ($($value,)*) = self;
                #[allow(unused_mut)]
                let mut args = PgArguments::default();
                $(args.add($value)?;)*
                Ok(args)
            }
        }
    };
}

tuple_params!();
tuple_params!(A);
tuple_params!(A, B);
tuple_params!(A, B, C);
tuple_params!(A, B, C, D);
tuple_params!(A, B, C, D, E);
tuple_params!(A, B, C, D, E, F);
tuple_params!(A, B, C, D, E, F, G);
tuple_params!(A, B, C, D, E, F, G, H);
tuple_params!(A, B, C, D, E, F, G, H, I);
tuple_params!(A, B, C, D, E, F, G, H, I, J);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K, L);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K, L, M);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q);
tuple_params!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R);

impl<'q, V: Value<'q>> Params<'q> for Vec<V> {
    fn sqlite(self) -> Result<SqliteArguments<'q>, BoxDynError> {
        let mut args = SqliteArguments::default();
        for v in self {
            args.add(v)?;
        }
        Ok(args)
    }

    fn postgres(self) -> Result<PgArguments, BoxDynError> {
        let mut args = PgArguments::default();
        for v in self {
            args.add(v)?;
        }
        Ok(args)
    }
}

/// A row both backends can read (a tuple of column values).
pub(crate) trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{
}

impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// A value read as a one-column row.
pub(crate) trait Scalar: Send + Unpin + Sized {
    type Row: Row;
    fn from_row(row: Self::Row) -> Self;
}

impl<O: Send + Unpin> Scalar for O
where
    (O,): Row,
{
    type Row = (O,);

    fn from_row((value,): (O,)) -> O {
        value
    }
}

/// Runs `$run` on whichever backend and executor `$on` is, with `$exec`
/// the executor and `$args` the statement's values bound for its backend
/// (`$run` is written once and type-checked for each).
macro_rules! on_either {
    ($on:expr, $params:expr, |$exec:ident, $args:ident| $run:expr) => {
        match $on {
            On::Sqlite(c) => {
                let ($exec, $args) = (&mut **c, $params.sqlite().map_err(sqlx::Error::Encode)?);
                $run
            }
            On::SqlitePool(pool) => {
                let ($exec, $args) = (*pool, $params.sqlite().map_err(sqlx::Error::Encode)?);
                $run
            }
            On::Postgres(c) => {
                let ($exec, $args) = (&mut **c, $params.postgres().map_err(sqlx::Error::Encode)?);
                $run
            }
            On::PgPool(pool) => {
                let ($exec, $args) = (*pool, $params.postgres().map_err(sqlx::Error::Encode)?);
                $run
            }
        }
    };
}

impl On<'_> {
    /// Runs a statement; the number of rows it changed.
    pub(crate) async fn execute<'q>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
    ) -> Result<u64, sqlx::Error> {
        Ok(on_either!(self, params, |exec, args| {
            sqlx::query_with(sql, args)
                .execute(exec)
                .await?
                .rows_affected()
        }))
    }

    /// The one row a statement returns (none: `RowNotFound`, as sqlx's
    /// own `fetch_one` answers).
    pub(crate) async fn fetch_one<'q, R: Row>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
    ) -> Result<R, sqlx::Error> {
        self.fetch_optional(sql, params)
            .await?
            .ok_or(sqlx::Error::RowNotFound)
    }

    /// The row a statement returns, if any.
    pub(crate) async fn fetch_optional<'q, R: Row>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
    ) -> Result<Option<R>, sqlx::Error> {
        on_either!(self, params, |exec, args| {
            sqlx::query_as_with(sql, args).fetch_optional(exec).await
        })
    }

    /// Every row a statement returns.
    pub(crate) async fn fetch_all<'q, R: Row>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
    ) -> Result<Vec<R>, sqlx::Error> {
        on_either!(self, params, |exec, args| {
            sqlx::query_as_with(sql, args).fetch_all(exec).await
        })
    }

    /// The one value a statement returns.
    pub(crate) async fn scalar_one<'q, O: Scalar>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
    ) -> Result<O, sqlx::Error> {
        Ok(O::from_row(self.fetch_one(sql, params).await?))
    }

    /// The value of the row a statement returns, if any.
    pub(crate) async fn scalar_optional<'q, O: Scalar>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
    ) -> Result<Option<O>, sqlx::Error> {
        Ok(self.fetch_optional(sql, params).await?.map(O::from_row))
    }

    /// The value of every row a statement returns.
    pub(crate) async fn scalar_all<'q, O: Scalar>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
    ) -> Result<Vec<O>, sqlx::Error> {
        let rows = self.fetch_all(sql, params).await?;
        Ok(rows.into_iter().map(O::from_row).collect())
    }

    /// Every row a statement returns, each read by `decode`; the
    /// statement's failure is an error met while `doing`.
    pub(crate) async fn fetch_decoded<'q, R: Row, T>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
        doing: &'static str,
        decode: impl FnMut(R) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows: Vec<R> = self.fetch_all(sql, params).await.context(doing)?;
        rows.into_iter().map(decode).collect()
    }

    /// The row a statement returns, if any, read by `decode`; the
    /// statement's failure is an error met while `doing`.
    pub(crate) async fn fetch_optional_decoded<'q, R: Row, T>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
        doing: &'static str,
        decode: impl FnOnce(R) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let row: Option<R> = self.fetch_optional(sql, params).await.context(doing)?;
        row.map(decode).transpose()
    }

    /// The value of the row a statement returns, if any, read by `decode`;
    /// the statement's failure is an error met while `doing`.
    pub(crate) async fn scalar_optional_decoded<'q, O: Scalar, T>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
        doing: &'static str,
        decode: impl FnOnce(O) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        self.fetch_optional_decoded(sql, params, doing, |row| decode(O::from_row(row)))
            .await
    }

    /// The value of every row a statement returns, each read by `decode`;
    /// the statement's failure is an error met while `doing`.
    pub(crate) async fn scalar_decoded<'q, O: Scalar, T>(
        &mut self,
        sql: &'q str,
        params: impl Params<'q>,
        doing: &'static str,
        mut decode: impl FnMut(O) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.fetch_decoded(sql, params, doing, |row| decode(O::from_row(row)))
            .await
    }
}

impl Db {
    /// Statements on the pool, each on a connection it lends.
    pub(crate) fn on(&self) -> On<'_> {
        match self {
            Db::Sqlite(pool) => On::SqlitePool(pool),
            Db::Postgres(pool) => On::PgPool(pool),
        }
    }

    /// A transaction (on SQLite, holding the write lock from the start).
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

impl Tx {
    /// Statements in this transaction.
    pub(crate) fn on(&mut self) -> On<'_> {
        match self {
            Tx::Sqlite(t) => On::Sqlite(t),
            Tx::Postgres(t) => On::Postgres(t),
        }
    }

    /// Commits the transaction.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    /// Rolls the transaction back now (rather than when the connection
    /// goes back to the pool).
    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}

// ---- values as stored ---------------------------------------------------

/// `value` as the JSON text a column stores; `what` names it in an error.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(
    what: &str,
    value: &T,
) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::encoding(what, e))
}

/// The value a column's JSON text holds; `what` names it in an error.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(what, e))
}

/// Nanoseconds since 1970: how instants are stored.
pub(crate) fn nanos(at: DateTime<Utc>) -> Result<i64, StoreError> {
    at.timestamp_nanos_opt().ok_or_else(|| {
        StoreError::refused(format!(
            "the instant {at} cannot be stored (years 1678 to 2261 only)"
        ))
    })
}

/// Nanoseconds since 1970, clamped to what can be stored: for the bounds
/// of a time window.
pub(crate) fn nanos_clamped(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(if at.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// The instant stored as `ns`.
pub(crate) fn from_nanos(ns: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(ns)
}

/// A `LIMIT` as the database takes it.
pub(crate) fn limit_i64(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

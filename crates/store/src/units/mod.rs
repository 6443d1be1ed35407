//! The administrative units' reference tables, written from the embedded
//! data set (`units::Units`) when the stored version differs, and their
//! version, sizes and the stored conversion table read back.
//!
//! A synchronisation is one transaction on either backend: it takes the
//! lock (SQLite's `BEGIN IMMEDIATE`; PostgreSQL `LOCK TABLE meta`, which
//! does not block readers), reads the stored version again, empties the
//! tables, writes them in each backend's own way ([`sqlite`]: multi-row
//! inserts; [`postgres`]: `UNNEST`) and records the version. Each table's
//! columns and values are named once, in [`tables`].

mod postgres;
mod sqlite;

use std::time::Instant;

use ::units::Units;

use crate::db::{Db, On, Tx};
use crate::{Context, ErrorKind, StoreError};

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
    fn already_stored(version: String) -> Self {
        tracing::debug!(%version, "units already stored");
        Self::unchanged(version)
    }

    /// The store already held `version`; nothing was written.
    fn unchanged(version: String) -> Self {
        Self {
            version,
            written: false,
        }
    }

    /// `version` was written over `previous`, in the store named `backend`.
    fn written(
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
    pub fn of(units: &Units) -> UnitCounts {
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

/// The meta key holding the stored data-set version.
const UNITS_VERSION_KEY: &str = "units_version";

/// Counts every reference table in one round trip (same SQL on both
/// backends).
const COUNT_UNITS_SQL: &str = "SELECT \
     (SELECT COUNT(*) FROM provinces), \
     (SELECT COUNT(*) FROM communes), \
     (SELECT COUNT(*) FROM legacy_provinces), \
     (SELECT COUNT(*) FROM legacy_districts), \
     (SELECT COUNT(*) FROM legacy_communes), \
     (SELECT COUNT(*) FROM commune_conversion)";

/// The reference tables, children first: the order to delete them in.
const UNIT_TABLES_CHILDREN_FIRST: [&str; 6] = [
    "commune_conversion",
    "legacy_communes",
    "legacy_districts",
    "legacy_provinces",
    "communes",
    "provinces",
];

type CountRow = (i64, i64, i64, i64, i64, i64);

fn unit_counts(row: CountRow) -> Result<UnitCounts, StoreError> {
    let n = |v: i64| {
        usize::try_from(v)
            .map_err(|_| StoreError::new(ErrorKind::Corrupt, format!("impossible row count {v}")))
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

/// A reference table to write: its name, what an error calls it, and its
/// columns.
struct Table<'a> {
    name: &'static str,
    what: &'static str,
    columns: Vec<Column<'a>>,
}

/// A column of a [`Table`] and its values, row by row.
struct Column<'a> {
    name: &'static str,
    values: Values<'a>,
}

/// The values of a column, of one SQL type.
enum Values<'a> {
    Text(Vec<&'a str>),
    Real(Vec<f64>),
    MaybeReal(Vec<Option<f64>>),
    Flag(Vec<bool>),
}

impl Table<'_> {
    /// How many rows (the first column's values).
    fn len(&self) -> usize {
        self.columns.first().map_or(0, |c| match &c.values {
            Values::Text(v) => v.len(),
            Values::Real(v) => v.len(),
            Values::MaybeReal(v) => v.len(),
            Values::Flag(v) => v.len(),
        })
    }

    /// `code, name, …`
    fn column_list(&self) -> String {
        let names: Vec<&str> = self.columns.iter().map(|c| c.name).collect();
        names.join(", ")
    }
}

fn text<'a, R>(name: &'static str, rows: &'a [R], value: impl Fn(&'a R) -> &'a str) -> Column<'a> {
    Column {
        name,
        values: Values::Text(rows.iter().map(value).collect()),
    }
}

fn real<'a, R>(name: &'static str, rows: &'a [R], value: impl Fn(&R) -> f64) -> Column<'a> {
    Column {
        name,
        values: Values::Real(rows.iter().map(value).collect()),
    }
}

/// The columns of a place's table from its rows `$rows`: `code, name,
/// short_name`, the text columns `$text` (each named as its field), `lat,
/// lon`, then the columns `$more`.
macro_rules! place_columns {
    ($rows:expr, [$($text:ident),*] $(, $more:expr)*) => {
        {
            let rows = $rows;
            vec![
                text("code", rows, |r| &r.code),
                text("name", rows, |r| &r.name),
                text("short_name", rows, |r| &r.short_name),
                $(text(stringify!($text), rows, |r| &r.$text),)*
                real("lat", rows, |r| r.lat),
                real("lon", rows, |r| r.lon),
                $($more,)*
            ]
        }
    };
}

/// The reference tables of `units`, parents first (the order to write
/// them in).
fn tables(units: &Units) -> [Table<'_>; 6] {
    let c = units.communes();
    let cv = units.conversion_table();
    [
        Table {
            name: "provinces",
            what: "provinces",
            columns: place_columns!(units.provinces(), [kind, phone_code]),
        },
        Table {
            name: "communes",
            what: "communes",
            columns: place_columns!(
                c,
                [kind, province_code],
                Column {
                    name: "area_km2",
                    values: Values::MaybeReal(c.iter().map(|r| r.area_km2).collect()),
                }
            ),
        },
        Table {
            name: "legacy_provinces",
            what: "legacy provinces",
            columns: place_columns!(units.legacy_provinces(), []),
        },
        Table {
            name: "legacy_districts",
            what: "legacy districts",
            columns: place_columns!(units.legacy_districts(), [kind, province_code]),
        },
        Table {
            name: "legacy_communes",
            what: "legacy communes",
            columns: place_columns!(
                units.legacy_communes(),
                [kind, district_code, province_code]
            ),
        },
        Table {
            name: "commune_conversion",
            what: "the conversion table",
            columns: vec![
                text("old_commune_code", cv, |r| &r.old_commune_code),
                text("new_commune_code", cv, |r| &r.new_commune_code),
                Column {
                    name: "partly_merged",
                    values: Values::Flag(cv.iter().map(|r| r.partly_merged).collect()),
                },
            ],
        },
    ]
}

/// The stored data-set version, read on `on`.
async fn stored_version(mut on: On<'_>) -> Result<Option<String>, StoreError> {
    on.scalar_optional(
        "SELECT value FROM meta WHERE key = $1",
        (UNITS_VERSION_KEY,),
    )
    .await
    .context("reading the units version")
}

/// [`crate::Store::sync_units`].
pub(crate) async fn sync(db: &Db, units: &Units) -> Result<UnitsSync, StoreError> {
    let version = ::units::dataset_version();
    if stored_version(db.on()).await?.as_deref() == Some(version.as_str()) {
        return Ok(UnitsSync::already_stored(version));
    }
    let started = Instant::now();
    let mut tx = db.begin().await.context("starting the units transaction")?;
    if let Tx::Postgres(_) = tx {
        // Serialises concurrent synchronisations; readers are not blocked.
        // (SQLite's write transaction holds its lock from the start.)
        tx.on()
            .execute("LOCK TABLE meta IN EXCLUSIVE MODE", ())
            .await
            .context("locking the meta table")?;
    }
    let stored = stored_version(tx.on()).await?;
    if stored.as_deref() == Some(version.as_str()) {
        tx.rollback()
            .await
            .context("ending the units transaction")?;
        return Ok(UnitsSync::unchanged(version));
    }
    for table in UNIT_TABLES_CHILDREN_FIRST {
        tx.on()
            .execute(&format!("DELETE FROM {table}"), ())
            .await
            .with_context(|| format!("clearing {table}"))?;
    }
    let tables = tables(units);
    let backend = match &mut tx {
        Tx::Sqlite(tx) => {
            sqlite::write_tables(tx, &tables).await?;
            "SQLite"
        }
        Tx::Postgres(tx) => {
            postgres::write_tables(tx, &tables).await?;
            "PostgreSQL"
        }
    };
    tx.on()
        .execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (UNITS_VERSION_KEY, version.as_str()),
        )
        .await
        .context("recording the units version")?;
    tx.commit().await.context("committing the units")?;
    Ok(UnitsSync::written(
        version,
        stored.as_deref(),
        started,
        backend,
    ))
}

/// [`crate::Store::units_version`].
pub(crate) async fn version(db: &Db) -> Result<Option<String>, StoreError> {
    stored_version(db.on()).await
}

/// [`crate::Store::count_units`].
pub(crate) async fn count(db: &Db) -> Result<UnitCounts, StoreError> {
    let row: CountRow = db
        .on()
        .fetch_one(COUNT_UNITS_SQL, ())
        .await
        .context("counting the units")?;
    unit_counts(row)
}

/// [`crate::Store::stored_successors`].
pub(crate) async fn successors(
    db: &Db,
    legacy_commune_code: &str,
) -> Result<Vec<(String, bool)>, StoreError> {
    db.on()
        .fetch_all(
            "SELECT new_commune_code, partly_merged FROM commune_conversion \
             WHERE old_commune_code = $1 ORDER BY new_commune_code",
            (legacy_commune_code,),
        )
        .await
        .context("reading successors")
}

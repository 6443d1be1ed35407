//! The reference tables on SQLite: multi-row inserts.

use ::units::Units;
use sqlx::query_builder::Separated;
use sqlx::{Sqlite, SqliteConnection};

use crate::StoreError;
use crate::sqlite::{failed, insert_chunked};

/// Rows per multi-row INSERT (at most 9 columns: 4,500 parameters, well
/// under SQLite's limit of 32,766).
const BATCH_ROWS: usize = 500;

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

/// Writes every reference table of `units` (emptied before).
pub(super) async fn write_rows(
    conn: &mut SqliteConnection,
    units: &Units,
) -> Result<(), StoreError> {
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
    Ok(())
}

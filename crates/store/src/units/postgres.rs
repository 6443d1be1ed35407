//! The reference tables on PostgreSQL: one `UNNEST` insert per table.

use ::units::Units;
use sqlx::PgConnection;

use crate::postgres::column;
use crate::{Context, StoreError};

/// Writes every reference table of `units` (emptied before).
pub(super) async fn write_rows(tx: &mut PgConnection, units: &Units) -> Result<(), StoreError> {
    let p = units.provinces();
    sqlx::query(
        "INSERT INTO provinces (code, name, short_name, kind, phone_code, lat, lon) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                              $6::float8[], $7::float8[])",
    )
    .bind(column(p, |r| r.code.as_str()))
    .bind(column(p, |r| r.name.as_str()))
    .bind(column(p, |r| r.short_name.as_str()))
    .bind(column(p, |r| r.kind.as_str()))
    .bind(column(p, |r| r.phone_code.as_str()))
    .bind(column(p, |r| r.lat))
    .bind(column(p, |r| r.lon))
    .execute(&mut *tx)
    .await
    .context("writing provinces")?;

    let c = units.communes();
    sqlx::query(
        "INSERT INTO communes \
             (code, name, short_name, kind, province_code, lat, lon, area_km2) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                              $6::float8[], $7::float8[], $8::float8[])",
    )
    .bind(column(c, |r| r.code.as_str()))
    .bind(column(c, |r| r.name.as_str()))
    .bind(column(c, |r| r.short_name.as_str()))
    .bind(column(c, |r| r.kind.as_str()))
    .bind(column(c, |r| r.province_code.as_str()))
    .bind(column(c, |r| r.lat))
    .bind(column(c, |r| r.lon))
    .bind(column(c, |r| r.area_km2))
    .execute(&mut *tx)
    .await
    .context("writing communes")?;

    let lp = units.legacy_provinces();
    sqlx::query(
        "INSERT INTO legacy_provinces (code, name, short_name, lat, lon) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[])",
    )
    .bind(column(lp, |r| r.code.as_str()))
    .bind(column(lp, |r| r.name.as_str()))
    .bind(column(lp, |r| r.short_name.as_str()))
    .bind(column(lp, |r| r.lat))
    .bind(column(lp, |r| r.lon))
    .execute(&mut *tx)
    .await
    .context("writing legacy provinces")?;

    let ld = units.legacy_districts();
    sqlx::query(
        "INSERT INTO legacy_districts (code, name, short_name, kind, province_code, lat, lon) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                              $6::float8[], $7::float8[])",
    )
    .bind(column(ld, |r| r.code.as_str()))
    .bind(column(ld, |r| r.name.as_str()))
    .bind(column(ld, |r| r.short_name.as_str()))
    .bind(column(ld, |r| r.kind.as_str()))
    .bind(column(ld, |r| r.province_code.as_str()))
    .bind(column(ld, |r| r.lat))
    .bind(column(ld, |r| r.lon))
    .execute(&mut *tx)
    .await
    .context("writing legacy districts")?;

    let lc = units.legacy_communes();
    sqlx::query(
        "INSERT INTO legacy_communes \
             (code, name, short_name, kind, district_code, province_code, lat, lon) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                              $6::text[], $7::float8[], $8::float8[])",
    )
    .bind(column(lc, |r| r.code.as_str()))
    .bind(column(lc, |r| r.name.as_str()))
    .bind(column(lc, |r| r.short_name.as_str()))
    .bind(column(lc, |r| r.kind.as_str()))
    .bind(column(lc, |r| r.district_code.as_str()))
    .bind(column(lc, |r| r.province_code.as_str()))
    .bind(column(lc, |r| r.lat))
    .bind(column(lc, |r| r.lon))
    .execute(&mut *tx)
    .await
    .context("writing legacy communes")?;

    let cv = units.conversion_table();
    sqlx::query(
        "INSERT INTO commune_conversion (old_commune_code, new_commune_code, partly_merged) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::bool[])",
    )
    .bind(column(cv, |r| r.old_commune_code.as_str()))
    .bind(column(cv, |r| r.new_commune_code.as_str()))
    .bind(column(cv, |r| r.partly_merged))
    .execute(&mut *tx)
    .await
    .context("writing the conversion table")?;

    Ok(())
}

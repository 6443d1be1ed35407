//! The population registry on PostgreSQL: records written with `UNNEST`
//! (one statement for every record an append re-derives), the bulk load
//! with `COPY`, the name search with an optional birth-date window in SQL,
//! the spouse's id read from the stored record with the JSON operators,
//! and a lock per person so that concurrent appends to one person's
//! events take turns.

use ::registry::Query;
use sqlx::{PgConnection, PgPool};

use super::{EventRow, MAX_CANDIDATES, PersonRow, write_error};
use crate::postgres::column;
use crate::{Context, StoreError};

/// Rows per UNNEST insert (bounds the statement's size, not a parameter
/// limit: each column is one array parameter).
const LOAD_ROWS: usize = 10_000;

/// Takes the lock of each person `rows` name, inside the append's
/// transaction.
pub(super) async fn lock_people(
    conn: &mut PgConnection,
    rows: &[EventRow],
) -> Result<(), StoreError> {
    // One writer per person at a time: the record is re-derived from
    // every stored event, which a concurrent append must not miss.
    let mut people: Vec<&str> = rows.iter().map(|r| r.person.as_str()).collect();
    people.sort_unstable();
    people.dedup();
    for person in &people {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(*person)
            .execute(&mut *conn)
            .await
            .context("locking a person's record")?;
    }
    Ok(())
}

const PEOPLE_UNNEST: &str = "INSERT INTO people (pid, name_key, short_key, birth_earliest, \
     birth_latest, sex, commune, household, record) \
     SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::date[], $5::date[], \
                          $6::text[], $7::text[], $8::text[], $9::text[])";

/// Writes (or rewrites) people's derived records.
pub(super) async fn upsert_people(
    conn: &mut PgConnection,
    people: &[PersonRow],
) -> Result<(), StoreError> {
    let sql = format!(
        "{PEOPLE_UNNEST} ON CONFLICT (pid) DO UPDATE SET name_key = excluded.name_key, \
         short_key = excluded.short_key, birth_earliest = excluded.birth_earliest, \
         birth_latest = excluded.birth_latest, sex = excluded.sex, \
         commune = excluded.commune, household = excluded.household, \
         record = excluded.record"
    );
    for chunk in people.chunks(LOAD_ROWS) {
        sqlx::query(&sql)
            .bind(column(chunk, |r| r.pid.as_str()))
            .bind(column(chunk, |r| r.name_key.as_str()))
            .bind(column(chunk, |r| r.short_key.as_str()))
            .bind(column(chunk, |r| r.birth_earliest))
            .bind(column(chunk, |r| r.birth_latest))
            .bind(column(chunk, |r| r.sex))
            .bind(column(chunk, |r| r.commune.as_deref()))
            .bind(column(chunk, |r| r.household.as_deref()))
            .bind(column(chunk, |r| r.record.as_str()))
            .execute(&mut *conn)
            .await
            .map_err(|e| write_error("writing people", e))?;
    }
    let pids: Vec<&str> = column(people, |r| r.pid.as_str());
    sqlx::query("DELETE FROM people_former_names WHERE pid = ANY($1::text[])")
        .bind(&pids)
        .execute(&mut *conn)
        .await
        .context("writing former names")?;
    sqlx::query("DELETE FROM people_parents WHERE child = ANY($1::text[])")
        .bind(&pids)
        .execute(&mut *conn)
        .await
        .context("writing parent links")?;
    insert_links(conn, people).await
}

/// Writes the former names and parent links of `people`.
async fn insert_links(conn: &mut PgConnection, people: &[PersonRow]) -> Result<(), StoreError> {
    for (what, sql, pairs) in [
        (
            "writing former names",
            "INSERT INTO people_former_names (pid, name_key) \
             SELECT * FROM UNNEST($1::text[], $2::text[])",
            PersonRow::former_pairs(people),
        ),
        (
            "writing parent links",
            "INSERT INTO people_parents (child, parent) \
             SELECT * FROM UNNEST($1::text[], $2::text[])",
            PersonRow::parent_pairs(people),
        ),
    ] {
        for chunk in pairs.chunks(LOAD_ROWS) {
            sqlx::query(sql)
                .bind(column(chunk, |r| r.0))
                .bind(column(chunk, |r| r.1))
                .execute(&mut *conn)
                .await
                .map_err(|e| write_error(what, e))?;
        }
    }
    Ok(())
}

/// Appends one field in COPY's text format (`\N` for NULL).
fn copy_field(buf: &mut Vec<u8>, value: Option<&str>) {
    let Some(value) = value else {
        buf.extend_from_slice(b"\\N");
        return;
    };
    for b in value.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            _ => buf.push(b),
        }
    }
}

/// Appends one row in COPY's text format.
fn copy_row(buf: &mut Vec<u8>, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        copy_field(buf, *f);
    }
    buf.push(b'\n');
}

/// How much COPY data to buffer before sending it.
const COPY_CHUNK: usize = 1 << 20;

/// Streams rows into `COPY table (columns) FROM STDIN` (text format).
async fn copy_in<T>(
    conn: &mut PgConnection,
    what: &str,
    statement: &str,
    rows: &[T],
    row: impl Fn(&mut Vec<u8>, &T),
) -> Result<(), StoreError> {
    let mut copy = conn
        .copy_in_raw(statement)
        .await
        .map_err(|e| write_error(&format!("writing {what}"), e))?;
    let mut buf = Vec::with_capacity(COPY_CHUNK + 8192);
    for r in rows {
        row(&mut buf, r);
        if buf.len() >= COPY_CHUNK {
            copy.send(std::mem::take(&mut buf))
                .await
                .map_err(|e| write_error(&format!("writing {what}"), e))?;
            buf.reserve(COPY_CHUNK + 8192);
        }
    }
    if !buf.is_empty() {
        copy.send(buf)
            .await
            .map_err(|e| write_error(&format!("writing {what}"), e))?;
    }
    copy.finish()
        .await
        .map_err(|e| write_error(&format!("writing {what}"), e))?;
    Ok(())
}

/// Writes a load's events and people (none of them stored yet) inside its
/// transaction.
pub(super) async fn load(
    conn: &mut PgConnection,
    rows: &[EventRow],
    people: &[PersonRow],
) -> Result<(), StoreError> {
    // COPY: the fastest way in; a unique violation fails the whole COPY
    copy_in(
        &mut *conn,
        "vital events",
        "COPY vital_events (id, person, recorded_us, body) FROM STDIN",
        rows,
        |buf, r| {
            let us = r.recorded_us.to_string();
            copy_row(
                buf,
                &[Some(&r.id), Some(&r.person), Some(&us), Some(&r.body)],
            );
        },
    )
    .await?;
    copy_in(
        &mut *conn,
        "people",
        "COPY people (pid, name_key, short_key, birth_earliest, birth_latest, sex, \
         commune, household, record) FROM STDIN",
        people,
        |buf, r| {
            let (earliest, latest) = (r.birth_earliest.to_string(), r.birth_latest.to_string());
            copy_row(
                buf,
                &[
                    Some(&r.pid),
                    Some(&r.name_key),
                    Some(&r.short_key),
                    Some(&earliest),
                    Some(&latest),
                    Some(r.sex),
                    r.commune.as_deref(),
                    r.household.as_deref(),
                    Some(&r.record),
                ],
            );
        },
    )
    .await?;
    insert_links(conn, people).await?;
    Ok(())
}

/// The stored records of the people whose name (or former name) folds
/// to `key`, within the query's birth-date window, at most
/// [`MAX_CANDIDATES`].
pub(crate) async fn records_named(
    pool: &PgPool,
    query: &Query,
    key: &str,
) -> Result<Vec<String>, StoreError> {
    let (earliest, latest) = match &query.birth_date {
        Some(d) => (Some(d.earliest()), Some(d.latest())),
        None => (None, None),
    };
    sqlx::query_scalar(
        "SELECT record FROM people \
             WHERE (name_key = $1 OR short_key = $1 \
                    OR pid IN (SELECT pid FROM people_former_names WHERE name_key = $1)) \
               AND ($2::date IS NULL OR birth_earliest <= $2) \
               AND ($3::date IS NULL OR birth_latest >= $3) \
             LIMIT $4",
    )
    .bind(key)
    .bind(latest)
    .bind(earliest)
    .bind(MAX_CANDIDATES)
    .fetch_all(pool)
    .await
    .context("looking people up")
}

/// A person's record and their spouse's (the spouse named in the
/// person's record), in one statement: `$1` the person's id.
pub(crate) const PERSON_AND_SPOUSE: &str = "SELECT pid, record FROM people WHERE pid = $1 \
     UNION ALL SELECT s.pid, s.record FROM people p \
     JOIN people s ON s.pid = (p.record::json -> 'spouse' ->> 'value') \
     WHERE p.pid = $1";

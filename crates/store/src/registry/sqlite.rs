//! The population registry on SQLite: records written row by row as they
//! are derived (one upsert each), the bulk load in multi-row inserts, the
//! name search with the statement built for the query, and the spouse's id
//! read from the stored record with `json_extract`.

use ::registry::Query;
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use super::{EventRow, MAX_CANDIDATES, PersonRow, date_window, write_error};
use crate::sqlite::insert_chunked;
use crate::{Context, StoreError};

/// Rows per multi-row INSERT of the load path (at most 10 columns: 5,000
/// parameters, under SQLite's limit of 32,766).
const LOAD_ROWS: usize = 500;

const PEOPLE_INSERT: &str = "INSERT INTO people (pid, name_key, short_key, birth_earliest, \
     birth_latest, sex, commune, household, record) ";

fn bind_person<'a>(b: &mut Separated<'_, 'a, Sqlite, &'static str>, r: &'a PersonRow) {
    b.push_bind(r.pid.as_str())
        .push_bind(r.name_key.as_str())
        .push_bind(r.short_key.as_str())
        .push_bind(r.birth_earliest)
        .push_bind(r.birth_latest)
        .push_bind(r.sex)
        .push_bind(r.commune.as_deref())
        .push_bind(r.household.as_deref())
        .push_bind(r.record.as_str());
}

/// Writes (or rewrites) one person's derived record.
async fn upsert_person(conn: &mut SqliteConnection, row: &PersonRow) -> Result<(), StoreError> {
    let mut q = QueryBuilder::<Sqlite>::new(PEOPLE_INSERT);
    q.push_values(std::slice::from_ref(row), |mut b, r| bind_person(&mut b, r));
    q.push(
        " ON CONFLICT (pid) DO UPDATE SET name_key = excluded.name_key, \
         short_key = excluded.short_key, birth_earliest = excluded.birth_earliest, \
         birth_latest = excluded.birth_latest, sex = excluded.sex, commune = excluded.commune, \
         household = excluded.household, record = excluded.record",
    );
    q.build()
        .execute(&mut *conn)
        .await
        .context("writing a person's record")?;
    for (what, delete, insert, values) in [
        (
            "writing former names",
            "DELETE FROM people_former_names WHERE pid = ?",
            "INSERT INTO people_former_names (pid, name_key) VALUES (?, ?)",
            &row.former_keys,
        ),
        (
            "writing parent links",
            "DELETE FROM people_parents WHERE child = ?",
            "INSERT INTO people_parents (child, parent) VALUES (?, ?)",
            &row.parents,
        ),
    ] {
        sqlx::query(delete)
            .bind(row.pid.as_str())
            .execute(&mut *conn)
            .await
            .context(what)?;
        for value in values {
            sqlx::query(insert)
                .bind(row.pid.as_str())
                .bind(value.as_str())
                .execute(&mut *conn)
                .await
                .context(what)?;
        }
    }
    Ok(())
}

/// Writes (or rewrites) people's derived records, inside the append's
/// transaction.
pub(super) async fn upsert_people(
    conn: &mut SqliteConnection,
    people: &[PersonRow],
) -> Result<(), StoreError> {
    for row in people {
        upsert_person(conn, row).await?;
    }
    Ok(())
}

/// Writes a load's events and people (none of them stored yet) inside its
/// transaction: multi-row inserts.
pub(super) async fn load(
    conn: &mut SqliteConnection,
    rows: &[EventRow],
    people: &[PersonRow],
) -> Result<(), StoreError> {
    let former = PersonRow::former_pairs(people);
    let parents = PersonRow::parent_pairs(people);
    insert_chunked(
        &mut *conn,
        "vital events",
        "INSERT INTO vital_events (id, person, recorded_us, body) ",
        rows,
        LOAD_ROWS,
        write_error,
        |b, r| {
            b.push_bind(r.id.as_str())
                .push_bind(r.person.as_str())
                .push_bind(r.recorded_us)
                .push_bind(r.body.as_str());
        },
    )
    .await?;
    insert_chunked(
        &mut *conn,
        "people",
        PEOPLE_INSERT,
        people,
        LOAD_ROWS,
        write_error,
        bind_person,
    )
    .await?;
    for (what, insert, pairs) in [
        (
            "former names",
            "INSERT INTO people_former_names (pid, name_key) ",
            &former,
        ),
        (
            "parent links",
            "INSERT INTO people_parents (child, parent) ",
            &parents,
        ),
    ] {
        insert_chunked(
            &mut *conn,
            what,
            insert,
            pairs,
            LOAD_ROWS,
            write_error,
            |b, (a, z)| {
                b.push_bind(*a).push_bind(*z);
            },
        )
        .await?;
    }
    Ok(())
}

/// The stored records of the people whose name (or former name) folds
/// to `key`, within the query's birth-date window, at most
/// [`MAX_CANDIDATES`].
pub(crate) async fn records_named(
    pool: &SqlitePool,
    query: &Query,
    key: &str,
) -> Result<Vec<String>, StoreError> {
    let mut q = QueryBuilder::<Sqlite>::new("SELECT record FROM people WHERE (name_key = ");
    q.push_bind(key)
        .push(" OR short_key = ")
        .push_bind(key)
        .push(" OR pid IN (SELECT pid FROM people_former_names WHERE name_key = ")
        .push_bind(key)
        .push("))");
    if query.birth_date.is_some() {
        let (earliest, latest) = date_window(query);
        q.push(" AND birth_earliest <= ")
            .push_bind(latest)
            .push(" AND birth_latest >= ")
            .push_bind(earliest);
    }
    q.push(" LIMIT ").push_bind(MAX_CANDIDATES);
    q.build_query_scalar()
        .fetch_all(pool)
        .await
        .context("looking people up")
}

/// A person's record and their spouse's (the spouse named in the
/// person's record), in one statement: `$1` the person's id.
pub(crate) const PERSON_AND_SPOUSE: &str = "SELECT pid, record FROM people WHERE pid = $1 \
     UNION ALL SELECT s.pid, s.record FROM people p \
     JOIN people s ON s.pid = json_extract(p.record, '$.spouse.value') \
     WHERE p.pid = $1";

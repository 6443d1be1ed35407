//! What the SQLite backend does its own way: appending vital events and
//! loading people, the name search, the spouse's read, the message log's
//! appends and the filing of new dossiers (the reads both backends share
//! are in `registry_store.rs` and `exchange_store.rs`).
//!
//! The multi-row inserts of the write paths (log entries, checkpoints,
//! dossiers, notices) say `INSERT OR FAIL`: each runs inside a transaction
//! that is rolled back whole when any statement fails, so a statement need
//! not undo its own rows, and SQLite keeps no statement journal of the pages
//! it writes.

use chrono::Utc;
use domain::PersonalId;
use registry::{Query, VitalEvent};
use sqlx::query_builder::Separated;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::db::On;
use crate::dossiers::{INSERT_ROWS, LogOfBatch, NewDossier, NewRow, Numbering, Outcomes};
use crate::exchange::sqlite::{
    INSERT_CHECKPOINTS, INSERT_ENTRIES, LOG_ROWS, append_log_in, push_checkpoint, push_entry,
};
use crate::exchange::{check_batch, head_in};
use crate::model::{self, PersonRow};
use crate::sqlite::{SqliteStore, insert_chunked};
use crate::{Context, StoreError};

/// Rows per multi-row INSERT of the load path (at most 10 columns: 5,000
/// parameters, under SQLite's limit of 32,766).
const LOAD_ROWS: usize = 500;

/// A unique violation is a conflict with what is stored; anything else a
/// database error.
fn write_error(context: &str, e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::conflict(format!(
            "{context}: {} (a person or event id already stored)",
            d.message()
        )),
        _ => StoreError::db(context.to_owned(), e),
    }
}

pub(crate) async fn events_in(
    conn: &mut SqliteConnection,
    person: &PersonalId,
) -> Result<Vec<VitalEvent>, StoreError> {
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM vital_events WHERE person = ? ORDER BY recorded_us, seq",
    )
    .bind(person.as_str())
    .fetch_all(&mut *conn)
    .await
    .context("reading vital events")?;
    bodies.iter().map(|b| model::decode_event(b)).collect()
}

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

/// [`crate::RegistryStore::append_events`] on this backend.
pub(crate) async fn append_events(
    store: &SqliteStore,
    events: &[VitalEvent],
) -> Result<usize, StoreError> {
    if events.is_empty() {
        return Ok(0);
    }
    let rows = model::event_rows(events)?;
    // the outbox rows' time
    let queued_ns = model::nanos(Utc::now())?;
    let mut tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .context("starting the events transaction")?;
    let mut touched: Vec<PersonalId> = Vec::new();
    let mut new = 0;
    for (event, row) in events.iter().zip(&rows) {
        let stored: Option<String> =
            sqlx::query_scalar("SELECT body FROM vital_events WHERE id = ?")
                .bind(row.id.as_str())
                .fetch_optional(&mut *tx)
                .await
                .context("reading vital events")?;
        match stored {
            Some(body) if body == row.body => continue,
            Some(_) => return Err(model::changed_event(event)),
            None => {}
        }
        sqlx::query("INSERT INTO vital_events (id, person, recorded_us, body) VALUES (?, ?, ?, ?)")
            .bind(row.id.as_str())
            .bind(row.person.as_str())
            .bind(row.recorded_us)
            .bind(row.body.as_str())
            .execute(&mut *tx)
            .await
            .context("writing a vital event")?;
        crate::delivery::queue(On::Sqlite(&mut tx), event, &row.body, queued_ns).await?;
        new += 1;
        if !touched.contains(&event.person) {
            touched.push(event.person);
        }
    }
    for person in &touched {
        let all = events_in(&mut tx, person).await?;
        let record = model::derive(person, &all)?;
        upsert_person(&mut tx, &model::person_row(&record)?).await?;
    }
    tx.commit().await.context("committing vital events")?;
    if new > 0 {
        store.shared.changes.notify_one();
    }
    Ok(new)
}

/// [`crate::RegistryStore::load_people`] on this backend.
pub(crate) async fn load_people(
    store: &SqliteStore,
    events: &[VitalEvent],
) -> Result<usize, StoreError> {
    model::check_load_batch(events)?;
    let mut people = Vec::new();
    for (person, own) in model::by_person(events) {
        people.push(model::person_row(&model::derive(&person, &own)?)?);
    }
    let rows = model::event_rows(events)?;
    let former = PersonRow::former_pairs(&people);
    let parents = PersonRow::parent_pairs(&people);
    let mut tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .context("starting the load transaction")?;
    insert_chunked(
        &mut tx,
        "vital events",
        "INSERT INTO vital_events (id, person, recorded_us, body) ",
        &rows,
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
        &mut tx,
        "people",
        PEOPLE_INSERT,
        &people,
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
            &mut tx,
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
    tx.commit().await.context("committing the load")?;
    Ok(people.len())
}

/// The stored records of the people whose name (or former name) folds
/// to `key`, within the query's birth-date window, at most
/// [`model::MAX_CANDIDATES`].
pub(crate) async fn records_named(
    store: &SqliteStore,
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
        let (earliest, latest) = model::date_window(query);
        q.push(" AND birth_earliest <= ")
            .push_bind(latest)
            .push(" AND birth_latest >= ")
            .push_bind(earliest);
    }
    q.push(" LIMIT ").push_bind(model::MAX_CANDIDATES);
    q.build_query_scalar()
        .fetch_all(&store.pool)
        .await
        .context("looking people up")
}

/// A person's record and their spouse's (the spouse named in the
/// person's record), in one statement: `$1` the person's id.
pub(crate) const PERSON_AND_SPOUSE: &str = "SELECT pid, record FROM people WHERE pid = $1 \
     UNION ALL SELECT s.pid, s.record FROM people p \
     JOIN people s ON s.pid = json_extract(p.record, '$.spouse.value') \
     WHERE p.pid = $1";

/// [`crate::DossierStore::create_dossiers`] on SQLite: in one write
/// transaction, the batch's numbers taken (one statement), its dossiers
/// built, and they, their notices and the log's entries stored.
pub(crate) async fn create_new_dossiers(
    store: &SqliteStore,
    batch: &[NewDossier<'_>],
    log: LogOfBatch<'_>,
) -> Result<Outcomes, StoreError> {
    let mut tx = store
        .pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .context("starting to store dossiers")?;
    let (outcomes, rows) = number_new_dossiers(&mut tx, batch).await?;
    let entries = log(&outcomes);
    store_new_dossiers(&mut tx, &rows, &entries).await?;
    tx.commit().await.context("storing dossiers")?;
    Ok(outcomes)
}

/// Numbers `batch` (one statement) and builds its dossiers; a dossier
/// `make` refuses takes no number.
async fn number_new_dossiers(
    conn: &mut SqliteConnection,
    batch: &[NewDossier<'_>],
) -> Result<(Outcomes, Vec<NewRow>), StoreError> {
    let mut numbers = Numbering::of(batch);
    if numbers.keys.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    // each agency and day moved on by what the batch asks of it
    let mut take =
        QueryBuilder::<Sqlite>::new("INSERT INTO dossier_sequences (agency, day, last) ");
    take.push_values(&numbers.keys, |mut row, k| {
        row.push_bind(k.agency.as_str())
            .push_bind(k.day_text.as_str())
            .push_bind(k.wanted);
    });
    take.push(
        " ON CONFLICT (agency, day) DO UPDATE \
         SET last = dossier_sequences.last + excluded.last \
         RETURNING agency, day, last",
    );
    let taken: Vec<(String, String, i32)> = take
        .build_query_as()
        .persistent(true)
        .fetch_all(&mut *conn)
        .await
        .context("taking dossier numbers")?;
    numbers.taken(&taken)?;
    let (outcomes, rows) = numbers.build(batch)?;
    // numbers asked for and not used go back
    for k in numbers.keys.iter().filter(|k| k.next - 1 < k.last) {
        sqlx::query("UPDATE dossier_sequences SET last = $1 WHERE agency = $2 AND day = $3")
            .bind(k.next - 1)
            .bind(k.agency.as_str())
            .bind(k.day_text.as_str())
            .execute(&mut *conn)
            .await
            .context("giving dossier numbers back")?;
    }
    Ok((outcomes, rows))
}

/// [`store_new_dossiers`] for a run that fits in one statement of each
/// kind: every insert in one query (one hand-off to the connection's
/// thread), after the log's head is read and the entries checked against
/// it.
async fn store_new_dossiers_at_once(
    conn: &mut SqliteConnection,
    rows: &[NewRow],
    entries: &[exchange::Appended],
) -> Result<(), StoreError> {
    let (log_rows, checkpoints) = if entries.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        let head = head_in(On::Sqlite(conn)).await?;
        check_batch(entries, head.as_ref())?
    };
    let mut query = QueryBuilder::<Sqlite>::new("");
    let mut statements = 0;
    if !rows.is_empty() {
        push_dossiers(&mut query, rows);
        statements += 1;
    }
    let noticed: Vec<&NewRow> = rows.iter().filter(|r| r.notice.is_some()).collect();
    if !noticed.is_empty() {
        query.push("; ");
        push_notices(&mut query, noticed);
        statements += 1;
    }
    if !log_rows.is_empty() {
        if statements > 0 {
            query.push("; ");
        }
        query.push(INSERT_ENTRIES.as_str());
        query.push_values(&log_rows, |mut b, row| push_entry(&mut b, row));
        statements += 1;
    }
    if !checkpoints.is_empty() {
        if statements > 0 {
            query.push("; ");
        }
        query.push(INSERT_CHECKPOINTS);
        query.push_values(&checkpoints, |mut b, cp| push_checkpoint(&mut b, cp));
        statements += 1;
    }
    if statements == 0 {
        return Ok(());
    }
    query
        .build()
        .persistent(true)
        .execute(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::conflict(format!(
                "storing dossiers and the log: {} (a dossier's code or the log's place is \
                 taken by another writer)",
                d.message()
            )),
            _ => StoreError::db("storing dossiers and the log", e),
        })?;
    Ok(())
}

fn push_dossiers<'a>(query: &mut QueryBuilder<'a, Sqlite>, rows: &'a [NewRow]) {
    query.push(
        "INSERT OR FAIL INTO dossiers (code, agency, day, sequence, status, body, \
         created_ns, competent, procedure_code, applicant, province, due_ns, \
         version, updated_ns, on_time, processed_ns, rating, channel) ",
    );
    query.push_values(rows, |mut row, r| {
        let d = &r.stored.dossier;
        row.push_bind(r.code.as_str())
            .push_bind(d.code.agency().as_str())
            .push_bind(r.day_text.as_str())
            .push_bind(i32::from(d.code.sequence()))
            .push_bind(r.columns.status)
            .push_bind(r.columns.body.as_str())
            .push_bind(r.at_ns)
            .push_bind(d.route.competent.as_str())
            .push_bind(d.procedure.as_str())
            .push_bind(d.applicant.subject.as_str())
            .push_bind(d.route.province.as_str())
            .push_bind(r.columns.due_ns)
            .push_bind(1_i64)
            .push_bind(r.at_ns)
            .push_bind(r.columns.on_time)
            .push_bind(r.columns.processed_ns)
            .push_bind(r.columns.rating)
            .push_bind(i32::from(d.channel.code()));
    });
}

fn push_notices<'a>(query: &mut QueryBuilder<'a, Sqlite>, noticed: Vec<&'a NewRow>) {
    query.push(
        "INSERT OR FAIL INTO dossier_notices \
         (recipient, dossier, status, text_vi, text_en, email, created_ns) ",
    );
    query.push_values(noticed, |mut row, r| {
        let d = &r.stored.dossier;
        let (status, vi, en) = r.notice.as_ref().map_or((0, "", ""), |n| {
            (
                i32::from(n.status.code()),
                n.text_vi.as_str(),
                n.text_en.as_str(),
            )
        });
        row.push_bind(d.applicant.subject.as_str())
            .push_bind(r.code.as_str())
            .push_bind(status)
            .push_bind(vi)
            .push_bind(en)
            .push_bind(d.applicant.email.as_deref())
            .push_bind(r.at_ns);
    });
}

/// Stores numbered new dossiers, their notices and `entries` of the
/// message log inside the caller's write transaction: multi-row inserts.
async fn store_new_dossiers(
    conn: &mut SqliteConnection,
    rows: &[NewRow],
    entries: &[exchange::Appended],
) -> Result<(), StoreError> {
    if rows.len() <= INSERT_ROWS && entries.len() <= LOG_ROWS {
        return store_new_dossiers_at_once(conn, rows, entries).await;
    }
    for chunk in rows.chunks(INSERT_ROWS) {
        let mut insert = QueryBuilder::<Sqlite>::new("");
        push_dossiers(&mut insert, chunk);
        insert
            .build()
            .persistent(true)
            .execute(&mut *conn)
            .await
            .context("storing dossiers")?;
        let noticed: Vec<&NewRow> = chunk.iter().filter(|r| r.notice.is_some()).collect();
        if noticed.is_empty() {
            continue;
        }
        let mut notices = QueryBuilder::<Sqlite>::new("");
        push_notices(&mut notices, noticed);
        notices
            .build()
            .persistent(true)
            .execute(&mut *conn)
            .await
            .context("storing notices")?;
    }
    append_log_in(conn, entries).await
}

//! Filing new dossiers on SQLite: in one write transaction the run's
//! numbers are taken (one upsert of the agencies' sequences), its dossiers
//! built, and they, their notices, the count of each applicant's online
//! dossiers of the day and the log's entries of the reads made for them
//! stored: in one multi-statement query when the run fits in one
//! statement of each kind, else in multi-row inserts (the log's through
//! `exchange::sqlite`).
//!
//! The inserts say `INSERT OR FAIL`: each runs inside a transaction that
//! is rolled back whole when any statement fails, so a statement need not
//! undo its own rows, and SQLite keeps no statement journal of the pages
//! it writes.

use sqlx::{QueryBuilder, Sqlite, SqliteConnection, SqlitePool};

use super::{
    INSERT_ROWS, LogOfBatch, NewDossier, NewRow, Numbering, OnlineDay, Outcomes, online_days,
};
use crate::db::On;
use crate::exchange::sqlite::{
    INSERT_CHECKPOINTS, INSERT_ENTRIES, LOG_ROWS, append_log_in, push_checkpoint, push_entry,
};
use crate::exchange::{check_batch, head_in};
use crate::{Context, StoreError};

/// [`crate::DossierStore::create_dossiers`] on SQLite: in one write
/// transaction, the batch's numbers taken (one statement), its dossiers
/// built, and they, their notices and the log's entries stored.
pub(crate) async fn create_new_dossiers(
    pool: &SqlitePool,
    batch: &[NewDossier<'_>],
    log: LogOfBatch<'_>,
) -> Result<Outcomes, StoreError> {
    let mut tx = pool
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
    let online = online_days(rows);
    if !online.is_empty() {
        query.push("; ");
        push_online_days(&mut query, &online);
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
         version, updated_ns, on_time, processed_ns, rating, channel, legacy_source, \
         legacy_code) ",
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
            .push_bind(i32::from(d.channel.code()))
            .push_bind(d.legacy.as_ref().map(|l| l.source.as_str()))
            .push_bind(d.legacy.as_ref().map(|l| l.code.as_str()));
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

/// Moves the applicants' days by what a run files online (one upsert).
fn push_online_days<'a>(query: &mut QueryBuilder<'a, Sqlite>, days: &'a [OnlineDay<'a>]) {
    query.push("INSERT OR FAIL INTO dossier_applicant_days (applicant, agency, day, online) ");
    query.push_values(days, |mut row, d| {
        row.push_bind(d.applicant)
            .push_bind(d.agency)
            .push_bind(d.day_text)
            .push_bind(d.filed);
    });
    query.push(
        " ON CONFLICT (applicant, agency, day) \
         DO UPDATE SET online = dossier_applicant_days.online + excluded.online",
    );
}

/// Runs the statement `query` built.
async fn run(
    conn: &mut SqliteConnection,
    query: &mut QueryBuilder<'_, Sqlite>,
    doing: &'static str,
) -> Result<(), StoreError> {
    query
        .build()
        .persistent(true)
        .execute(&mut *conn)
        .await
        .context(doing)?;
    Ok(())
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
        let mut query = QueryBuilder::<Sqlite>::new("");
        push_dossiers(&mut query, chunk);
        run(conn, &mut query, "storing dossiers").await?;
        let noticed: Vec<&NewRow> = chunk.iter().filter(|r| r.notice.is_some()).collect();
        if !noticed.is_empty() {
            query.reset();
            push_notices(&mut query, noticed);
            run(conn, &mut query, "storing notices").await?;
        }
    }
    let online = online_days(rows);
    for days in online.chunks(INSERT_ROWS) {
        let mut query = QueryBuilder::<Sqlite>::new("");
        push_online_days(&mut query, days);
        run(conn, &mut query, "counting online dossiers").await?;
    }
    append_log_in(conn, entries).await
}

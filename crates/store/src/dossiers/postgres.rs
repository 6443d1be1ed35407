//! Filing new dossiers on PostgreSQL: the run's dossiers are numbered after
//! the last numbers this store knows (read once per agency and day), built,
//! and stored with their notices, the log's entries of the reads made for
//! them, the move of each agency's sequence and the count of each
//! applicant's online dossiers of the day in one statement: the log's
//! run statement (`exchange::postgres`) extended, which checks that the
//! log's head and every sequence still stand where the writer knew them.
//! One round trip and one commit for a run.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::NaiveDate;
use dossier::{AgencyCode, Notice};
use sqlx::{PgConnection, PgPool};

use super::{
    INSERT_ROWS, LogOfBatch, NewDossier, NewRow, NumberMove, Numbering, Outcomes, online_days,
};
use crate::exchange::postgres::{LOG_ROWS, Run, append_run, log_run_sql};
use crate::postgres::column;
use crate::{Context, StoreError};

/// A run with dossiers in one statement (written once, on first use).
static DOSSIER_RUN: LazyLock<String> =
    LazyLock::new(|| format!("{}{DOSSIERS_OF_RUN}", log_run_sql()));

/// The rest of a run's statement when it files dossiers: the dossiers
/// (`$21`–`$36`, and `$52`–`$53` for the codes of those brought in from a
/// closed portal), their notices (`$37`–`$43`) and the moves of the
/// agencies' sequences (`$44`–`$47`, compare-and-set) and of the
/// applicants' days (`$48`–`$51`: [`online_days`]), all under the guard; the statement fails with `motcua_dossier_numbers_moved()` if a
/// sequence was not where it was known to be.
const DOSSIERS_OF_RUN: &str = ", dossiers AS ( \
             INSERT INTO dossiers (code, agency, day, sequence, status, body, created_ns, \
                 competent, procedure_code, applicant, province, due_ns, version, updated_ns, \
                 on_time, processed_ns, rating, channel, legacy_source, legacy_code) \
             SELECT c, a, d, sq, st, b, t, cp, p, ap, pr, du, 1, t, ot, pn, r, ch, ls, lc \
             FROM UNNEST($21::text[], $22::text[], $23::text[], $24::int[], $25::int[], \
                 $26::text[], $27::bigint[], $28::text[], $29::text[], $30::text[], \
                 $31::text[], $32::bigint[], $33::int[], $34::bigint[], $35::int[], \
                 $36::int[], $52::text[], $53::text[]) \
                 AS x(c, a, d, sq, st, b, t, cp, p, ap, pr, du, ot, pn, r, ch, ls, lc) \
             WHERE EXISTS (SELECT 1 FROM guard) \
         ), notices AS ( \
             INSERT INTO dossier_notices \
                 (recipient, dossier, status, text_vi, text_en, email, created_ns) \
             SELECT * FROM UNNEST($37::text[], $38::text[], $39::int[], $40::text[], \
                 $41::text[], $42::text[], $43::bigint[]) \
             WHERE EXISTS (SELECT 1 FROM guard) \
         ), bumped AS ( \
             UPDATE dossier_sequences s SET last = x.new \
             FROM UNNEST($44::text[], $45::text[], $46::int[], $47::int[]) AS x(agency, day, old, new) \
             WHERE s.agency = x.agency AND s.day = x.day AND s.last = x.old \
               AND EXISTS (SELECT 1 FROM guard) \
             RETURNING 1 \
         ), started AS ( \
             INSERT INTO dossier_sequences (agency, day, last) \
             SELECT agency, day, new \
             FROM UNNEST($44::text[], $45::text[], $46::int[], $47::int[]) AS x(agency, day, old, new) \
             WHERE old = 0 AND EXISTS (SELECT 1 FROM guard) \
             ON CONFLICT (agency, day) DO NOTHING RETURNING 1 \
         ), counted AS ( \
             INSERT INTO dossier_applicant_days (applicant, agency, day, online) \
             SELECT * FROM UNNEST($48::text[], $49::text[], $50::text[], $51::bigint[]) \
             WHERE EXISTS (SELECT 1 FROM guard) \
             ON CONFLICT (applicant, agency, day) \
             DO UPDATE SET online = dossier_applicant_days.online + excluded.online \
         ) SELECT CASE \
             WHEN NOT EXISTS (SELECT 1 FROM guard) THEN 0 \
             WHEN (SELECT count(*) FROM bumped) + (SELECT count(*) FROM started) \
                 = cardinality($44::text[]) THEN (SELECT count(*) FROM guard) \
             ELSE motcua_dossier_numbers_moved() END";

/// Stores numbered new dossiers and their notices (`filed`), moves the
/// agencies' sequences (`moves`) and appends a run of log entries, in one
/// statement (one round trip, and one commit outside a transaction),
/// under the guard of the log's run: nothing goes in unless the first
/// entry chains to the stored one before it, and every sequence still
/// stands where it was known to. Without dossiers or moves, the log's own
/// shorter statement.
async fn file_run(
    conn: &mut PgConnection,
    batch: &[exchange::Appended],
    filed: &[NewRow],
    moves: &[NumberMove<'_>],
) -> Result<(), StoreError> {
    if filed.is_empty() && moves.is_empty() {
        return append_run(conn, batch).await;
    }
    let run = Run::check(batch)?;
    let noticed: Vec<(&NewRow, &Notice)> = filed
        .iter()
        .filter_map(|r| r.notice.as_ref().map(|n| (r, n)))
        .collect();
    let online = online_days(filed);
    let inserted: i64 = run
        .bind(&DOSSIER_RUN)
        .bind(column(filed, |r| r.code.as_str()))
        .bind(column(filed, |r| r.stored.dossier.code.agency().as_str()))
        .bind(column(filed, |r| r.day_text.as_str()))
        .bind(column(filed, |r| {
            i32::from(r.stored.dossier.code.sequence())
        }))
        .bind(column(filed, |r| r.columns.status))
        .bind(column(filed, |r| r.columns.body.as_str()))
        .bind(column(filed, |r| r.at_ns))
        .bind(column(filed, |r| r.stored.dossier.route.competent.as_str()))
        .bind(column(filed, |r| r.stored.dossier.procedure.as_str()))
        .bind(column(filed, |r| {
            r.stored.dossier.applicant.subject.as_str()
        }))
        .bind(column(filed, |r| r.stored.dossier.route.province.as_str()))
        .bind(column(filed, |r| r.columns.due_ns))
        .bind(column(filed, |r| r.columns.on_time))
        .bind(column(filed, |r| r.columns.processed_ns))
        .bind(column(filed, |r| r.columns.rating))
        .bind(column(filed, |r| {
            i32::from(r.stored.dossier.channel.code())
        }))
        .bind(column(&noticed, |(r, _)| {
            r.stored.dossier.applicant.subject.as_str()
        }))
        .bind(column(&noticed, |(r, _)| r.code.as_str()))
        .bind(column(&noticed, |(_, n)| i32::from(n.status.code())))
        .bind(column(&noticed, |(_, n)| n.text_vi.as_str()))
        .bind(column(&noticed, |(_, n)| n.text_en.as_str()))
        .bind(column(&noticed, |(r, _)| {
            r.stored.dossier.applicant.email.as_deref()
        }))
        .bind(column(&noticed, |(r, _)| r.at_ns))
        .bind(column(moves, |m| m.agency))
        .bind(column(moves, |m| m.day_text))
        .bind(column(moves, |m| m.old))
        .bind(column(moves, |m| m.new))
        .bind(column(&online, |d| d.applicant))
        .bind(column(&online, |d| d.agency))
        .bind(column(&online, |d| d.day_text))
        .bind(column(&online, |d| d.filed))
        .bind(column(filed, |r| {
            r.stored.dossier.legacy.as_ref().map(|l| l.source.as_str())
        }))
        .bind(column(filed, |r| {
            r.stored.dossier.legacy.as_ref().map(|l| l.code.as_str())
        }))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some(NUMBERS_MOVED) => {
                StoreError::conflict(format!(
                    "{} (the batch is refused whole; its dossiers take no number)",
                    d.message()
                ))
            }
            _ => run.failed(e, ", or a dossier's code is taken"),
        })?;
    run.chained(inserted)
}

/// SQLSTATE of `motcua_dossier_numbers_moved()` (migration 0020).
const NUMBERS_MOVED: &str = "MC001";

/// The last dossier number of each agency's day a store's writes left.
#[derive(Debug, Default)]
pub(crate) struct KnownNumbers {
    last: HashMap<(AgencyCode, NaiveDate), i32>,
}

impl KnownNumbers {
    /// Days this far behind the newest one written are forgotten (a
    /// dossier is numbered on the day it is received).
    const KEEP_DAYS: i64 = 2;

    fn get(&self, agency: &AgencyCode, day: NaiveDate) -> Option<i32> {
        self.last.get(&(agency.clone(), day)).copied()
    }

    fn set(&mut self, agency: &AgencyCode, day: NaiveDate, last: i32) {
        let new_key = self.last.insert((agency.clone(), day), last).is_none();
        if new_key
            && let Some(oldest) = day.checked_sub_signed(chrono::TimeDelta::days(Self::KEEP_DAYS))
        {
            self.last.retain(|(_, d), _| *d >= oldest);
        }
    }

    pub(crate) fn forget(&mut self, agency: &AgencyCode, day: NaiveDate) {
        self.last.remove(&(agency.clone(), day));
    }
}

/// [`crate::DossierStore::create_dossiers`] on PostgreSQL. The dossiers are
/// numbered after the last numbers this store knows (read once per agency
/// and day), built, and stored with their notices, the log's entries and
/// the move of each agency's sequence in one statement, which checks that
/// each sequence still stands where it was known to (another writer may
/// have moved it: then nothing is stored, the batch fails as a conflict,
/// and the numbers are read again next time). One round trip and one
/// commit for a batch; a batch too long for one statement goes in several,
/// in one transaction.
pub(crate) async fn create_new_dossiers(
    pool: &PgPool,
    numbers: &tokio::sync::Mutex<KnownNumbers>,
    batch: &[NewDossier<'_>],
    log: LogOfBatch<'_>,
) -> Result<Outcomes, StoreError> {
    // one batch at a time from this store: each continues where the last
    // one left the numbers
    let mut known = numbers.lock().await;
    let mut numbers = Numbering::of(batch);
    // the batch's own view of the numbers: the cache forgets old days as
    // newer ones are set, and a batch may span days far apart (a portal's
    // dossiers brought in), so what the batch reads is kept here
    let mut last_of: HashMap<(AgencyCode, NaiveDate), i32> = HashMap::new();
    let mut unknown: Vec<(&AgencyCode, NaiveDate, &str)> = Vec::new();
    for k in &numbers.keys {
        match known.get(k.agency, k.day) {
            Some(last) => {
                last_of.insert((k.agency.clone(), k.day), last);
            }
            None => unknown.push((k.agency, k.day, k.day_text.as_str())),
        }
    }
    if !unknown.is_empty() {
        let stored: Vec<(String, String, i32)> = sqlx::query_as(
            "SELECT s.agency, s.day, s.last FROM dossier_sequences s \
             JOIN UNNEST($1::text[], $2::text[]) AS x(agency, day) \
               ON s.agency = x.agency AND s.day = x.day",
        )
        .bind(column(&unknown, |(a, _, _)| a.as_str()))
        .bind(column(&unknown, |(_, _, d)| *d))
        .fetch_all(pool)
        .await
        .context("reading dossier numbers")?;
        for (agency, day, text) in &unknown {
            let last = stored
                .iter()
                .find(|(a, d, _)| a == agency.as_str() && d == text)
                .map_or(0, |(_, _, last)| *last);
            last_of.insert(((*agency).clone(), *day), last);
        }
    }
    numbers.after(|agency, day| last_of.get(&(agency.clone(), day)).copied());
    let (outcomes, rows) = numbers.build(batch)?;
    let moves = numbers.moves();
    let entries = log(&outcomes);
    let stored = if entries.len() <= LOG_ROWS && rows.len() <= INSERT_ROWS {
        match pool.acquire().await {
            Ok(mut conn) => file_run(&mut conn, &entries, &rows, &moves).await,
            Err(e) => Err(StoreError::db("connecting to store dossiers", e)),
        }
    } else {
        store_in_pieces(pool, &entries, &rows, &moves).await
    };
    for k in &numbers.keys {
        match &stored {
            Ok(()) => known.set(k.agency, k.day, k.next - 1),
            // read again next time
            Err(_) => known.forget(k.agency, k.day),
        }
    }
    stored.map(|()| outcomes)
}

/// A batch beyond one statement's rows: in one transaction, the moves of
/// the sequences with the first piece.
async fn store_in_pieces(
    pool: &PgPool,
    entries: &[exchange::Appended],
    rows: &[NewRow],
    moves: &[NumberMove<'_>],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.context("starting to store dossiers")?;
    let mut runs = entries.chunks(LOG_ROWS);
    let mut dossiers = rows.chunks(INSERT_ROWS);
    let mut moves = Some(moves);
    loop {
        match (runs.next(), dossiers.next()) {
            (None, None) => break,
            (run, some) => {
                file_run(
                    &mut tx,
                    run.unwrap_or_default(),
                    some.unwrap_or_default(),
                    moves.take().unwrap_or_default(),
                )
                .await?
            }
        }
    }
    tx.commit().await.context("storing dossiers")
}

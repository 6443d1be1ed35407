//! The exchange layer's storage ([`ExchangeStore`]): the hash-chained
//! message log and its signed checkpoints, the consents people give, and
//! the data tracker (a person's accesses, read from the log).
//!
//! The log's rows, how they are checked (an entry must follow the stored
//! head; a checkpoint must be over its entry) and the reads are the same
//! on both backends, here. Appending is each backend's own: on SQLite
//! multi-row `INSERT OR FAIL`s in a write transaction ([`sqlite`]); on
//! PostgreSQL one statement that inserts the entries and their checkpoints
//! only if the first entry chains to the stored one before it
//! ([`postgres`]). The dossiers' writer appends the log entries of its
//! reads with the dossiers it files, through the same pieces.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::sync::LazyLock;

use ::exchange::{Checkpoint, ConsentLookup, Digest32, KeyId, LogEntry, LogRecord, MemberId};
use chrono::{DateTime, Utc};

use crate::db::{Db, On, Tx, from_nanos, limit_i64, nanos, nanos_clamped, to_json};
use crate::error::Source;
use crate::{Context, SqlStore, StoreError};

/// Exchange-layer storage: the message log and its checkpoints, consents
/// and the data tracker.
#[async_trait::async_trait]
pub trait ExchangeStore: Send + Sync {
    /// Appends one log entry, with the checkpoint signed over it when one was
    /// due (`exchange::Appended`), in one transaction. The entry must follow
    /// the stored head (seq one more, `prev_hash` its hash; seq 1 and the
    /// zero hash on an empty log), else [`Conflict`](crate::ErrorKind::Conflict): two
    /// writers cannot fork the chain.
    async fn append_log(
        &self,
        entry: &LogEntry,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(), StoreError> {
        self.append_log_batch(&[::exchange::Appended {
            entry: entry.clone(),
            checkpoint: checkpoint.cloned(),
        }])
        .await
    }

    /// Appends a run of entries (each with the checkpoint signed over it,
    /// if any) in one transaction: all or none. The first must follow the
    /// stored head and each the one before it, as for
    /// [`ExchangeStore::append_log`]. A writer that gathers the entries of
    /// concurrent requests pays for one commit per run, not per entry.
    async fn append_log_batch(&self, batch: &[::exchange::Appended]) -> Result<(), StoreError>;

    /// Up to `limit` entries from `from_seq` on, in sequence order, as
    /// stored (an edited row is returned edited: `exchange::log::verify`
    /// finds it).
    async fn log_range(&self, from_seq: u64, limit: usize) -> Result<Vec<LogEntry>, StoreError>;

    /// The last entry.
    async fn log_head(&self) -> Result<Option<LogEntry>, StoreError>;

    /// Every stored checkpoint, by sequence number.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError>;

    /// Records that `person_id` consents, from `at`, to `consumer` using
    /// their data for `purpose`. Giving a consent already in force changes
    /// nothing (returns false).
    async fn give_consent(
        &self,
        person_id: &str,
        consumer: &MemberId,
        purpose: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Withdraws that consent from `at` on; false when none was in force.
    async fn withdraw_consent(
        &self,
        person_id: &str,
        consumer: &MemberId,
        purpose: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Every consent a person has given (withdrawn ones included), as a
    /// [`ConsentSnapshot`] to hand to `exchange::Policy::authorize`.
    async fn consents_of(&self, person_id: &str) -> Result<ConsentSnapshot, StoreError>;

    /// The data tracker: every logged access to the data of `person_id`
    /// at `from` or later and before `to`, in log order.
    async fn accesses_to(
        &self,
        person_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, StoreError>;
}

/// One consent as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    /// The consumer the person consented to.
    pub consumer: MemberId,
    /// The purpose.
    pub purpose: String,
    /// When it was given.
    pub given_at: DateTime<Utc>,
    /// When it was withdrawn, if it was.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// One person's consents read from the store: a synchronous
/// [`ConsentLookup`].
///
/// `ConsentLookup` is synchronous (the policy is pure) and the store is
/// not: the exchange reads the consents of the request's person with
/// [`ExchangeStore::consents_of`] (one indexed query) before calling
/// `Policy::authorize`. The snapshot is exact when it is read, holds one
/// person's consents only (no cache to invalidate), and answers for any
/// instant, since withdrawn consents are kept with their dates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsentSnapshot {
    /// The person.
    pub person_id: String,
    /// Their consents, oldest first.
    pub consents: Vec<ConsentRecord>,
}

impl ConsentLookup for ConsentSnapshot {
    fn has_consented(
        &self,
        person_id: &str,
        purpose: &str,
        consumer: &MemberId,
        at: DateTime<Utc>,
    ) -> bool {
        person_id == self.person_id
            && self.consents.iter().any(|c| {
                &c.consumer == consumer
                    && c.purpose == purpose
                    && c.given_at <= at
                    && c.withdrawn_at.is_none_or(|w| at < w)
            })
    }
}

/// A log entry ready to be stored: the entry, with the values whose
/// encoding can fail already encoded. The other columns are read from the
/// entry as they are bound.
pub(crate) struct LogRow<'a> {
    pub entry: &'a LogEntry,
    pub seq: i64,
    pub at_ns: i64,
    /// The released fields, as JSON.
    pub fields: String,
}

impl LogRow<'_> {
    /// The logged record.
    pub fn record(&self) -> &LogRecord {
        &self.entry.record
    }

    /// The response digest; none is stored as the empty string (the column
    /// predates the option).
    pub fn response_digest(&self) -> String {
        self.entry
            .record
            .response_digest
            .map(|d| d.to_string())
            .unwrap_or_default()
    }
}

/// The columns of `exchange_log`, in [`LogRow`] order.
pub(crate) const LOG_COLUMNS: &str = "seq, at_ns, consumer, provider, service, purpose, \
     legal_basis, case_ref, person_id, fields, request_digest, response_digest, prev_hash, hash";

pub(crate) type LogTuple = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
);

pub(crate) fn seq_to_i64(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq)
        .map_err(|_| StoreError::refused(format!("log sequence number {seq} is too large")))
}

pub(crate) fn log_row(e: &LogEntry) -> Result<LogRow<'_>, StoreError> {
    Ok(LogRow {
        entry: e,
        seq: seq_to_i64(e.seq)?,
        at_ns: nanos(e.record.at)?,
        fields: to_json("log fields", &e.record.fields)?,
    })
}

fn bad_stored(seq: i64, what: &str, reason: impl Into<Source>) -> StoreError {
    StoreError::corrupt(&format!("log entry {seq}: the stored {what}"), reason)
}

pub(crate) fn member(seq: i64, what: &str, s: String) -> Result<MemberId, StoreError> {
    s.parse().map_err(|e| bad_stored(seq, what, e))
}

fn digest(seq: i64, what: &str, s: String) -> Result<Digest32, StoreError> {
    Digest32::try_from(s).map_err(|e| bad_stored(seq, what, e))
}

pub(crate) fn decode_log(t: LogTuple) -> Result<LogEntry, StoreError> {
    let seq = t.0;
    Ok(LogEntry {
        seq: u64::try_from(seq).map_err(|e| bad_stored(seq, "sequence number", e))?,
        record: LogRecord {
            at: from_nanos(t.1),
            consumer: member(seq, "consumer", t.2)?,
            provider: member(seq, "provider", t.3)?,
            service: t.4,
            purpose: t.5,
            legal_basis: t.6,
            case_ref: t.7,
            person_id: t.8,
            fields: serde_json::from_str(&t.9).map_err(|e| bad_stored(seq, "fields", e))?,
            request_digest: digest(seq, "request digest", t.10)?,
            response_digest: match t.11.as_str() {
                "" => None,
                _ => Some(digest(seq, "response digest", t.11)?),
            },
        },
        prev_hash: digest(seq, "previous hash", t.12)?,
        hash: digest(seq, "hash", t.13)?,
    })
}

/// Checks that `entry` follows `head`.
pub(crate) fn check_follows(entry: &LogEntry, head: Option<&LogEntry>) -> Result<(), StoreError> {
    let (want_seq, want_prev) = match head {
        None => (1, Digest32::ZERO),
        Some(h) => (h.seq + 1, h.hash),
    };
    if entry.seq != want_seq {
        return Err(StoreError::conflict(format!(
            "log entry {} cannot be appended: the next entry is {want_seq}",
            entry.seq
        )));
    }
    if entry.prev_hash != want_prev {
        return Err(StoreError::conflict(format!(
            "log entry {} does not chain to the stored entry {}: another writer appended first",
            entry.seq,
            want_seq - 1
        )));
    }
    if entry.compute_hash() != entry.hash {
        return Err(StoreError::refused(format!(
            "log entry {} does not carry the hash of its contents",
            entry.seq
        )));
    }
    Ok(())
}

/// The rows of a checked batch of log appends: the entries, and each
/// checkpoint with its entry's sequence number.
pub(crate) type LogBatchRows<'a> = (Vec<LogRow<'a>>, Vec<(i64, &'a Checkpoint)>);

/// Checks a batch of appends against the stored `head` (each entry follows
/// the one before it, checkpoints are over their entries) and encodes the
/// rows to insert: the entries, and `(seq, checkpoint)` pairs.
pub(crate) fn check_batch<'a>(
    batch: &'a [::exchange::Appended],
    head: Option<&LogEntry>,
) -> Result<LogBatchRows<'a>, StoreError> {
    if let Some(first) = batch.first() {
        check_follows(&first.entry, head)?;
    }
    check_run(batch)
}

/// Checks a batch of appends in itself: each entry carries the hash of its
/// contents and follows the one before it, the first entry of a log starts
/// the chain, checkpoints are over their entries. Whether the first entry
/// follows the stored head is left to the caller.
pub(crate) fn check_run(batch: &[::exchange::Appended]) -> Result<LogBatchRows<'_>, StoreError> {
    let mut rows = Vec::with_capacity(batch.len());
    let mut checkpoints = Vec::new();
    let mut previous: Option<&LogEntry> = None;
    for a in batch {
        match previous {
            Some(p) => check_follows(&a.entry, Some(p))?,
            None if a.entry.seq == 1 => check_follows(&a.entry, None)?,
            None if a.entry.compute_hash() != a.entry.hash => {
                return Err(StoreError::refused(format!(
                    "log entry {} does not carry the hash of its contents",
                    a.entry.seq
                )));
            }
            None => {}
        }
        let row = log_row(&a.entry)?;
        if let Some(cp) = &a.checkpoint {
            check_checkpoint(&a.entry, cp)?;
            checkpoints.push((row.seq, cp));
        }
        rows.push(row);
        previous = Some(&a.entry);
    }
    Ok((rows, checkpoints))
}

pub(crate) fn check_checkpoint(entry: &LogEntry, cp: &Checkpoint) -> Result<(), StoreError> {
    if cp.seq != entry.seq || cp.hash != entry.hash {
        return Err(StoreError::refused(format!(
            "the checkpoint at {} is not over log entry {}",
            cp.seq, entry.seq
        )));
    }
    Ok(())
}

pub(crate) type CheckpointTuple = (i64, String, String, String);

pub(crate) fn decode_checkpoint(t: CheckpointTuple) -> Result<Checkpoint, StoreError> {
    let seq = t.0;
    Ok(Checkpoint {
        seq: u64::try_from(seq).map_err(|e| bad_stored(seq, "checkpoint sequence number", e))?,
        hash: digest(seq, "checkpoint hash", t.1)?,
        key_id: KeyId(t.2),
        signature: t.3,
    })
}

pub(crate) type ConsentTuple = (String, String, i64, Option<i64>);

pub(crate) fn decode_consents(
    person_id: &str,
    rows: Vec<ConsentTuple>,
) -> Result<ConsentSnapshot, StoreError> {
    let mut consents = Vec::with_capacity(rows.len());
    for (consumer, purpose, given, withdrawn) in rows {
        consents.push(ConsentRecord {
            consumer: consumer
                .parse()
                .map_err(|e| StoreError::corrupt("a stored consent's consumer", e))?,
            purpose,
            given_at: from_nanos(given),
            withdrawn_at: withdrawn.map(from_nanos),
        });
    }
    Ok(ConsentSnapshot {
        person_id: person_id.to_string(),
        consents,
    })
}

/// The stored head of the log, read on `on` (a writer's transaction).
pub(crate) async fn head_in(mut on: On<'_>) -> Result<Option<LogEntry>, StoreError> {
    on.fetch_optional_decoded(&LOG_HEAD, (), "reading the log head", decode_log)
        .await
}

// ---- the statements, the same text on both backends ------------------

/// The last entry.
static LOG_HEAD: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {LOG_COLUMNS} FROM exchange_log ORDER BY seq DESC LIMIT 1"));

/// Entries from `$1` on.
static LOG_RANGE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {LOG_COLUMNS} FROM exchange_log WHERE seq >= $1 ORDER BY seq LIMIT $2")
});

/// The entries about a person in a time window.
static ACCESSES_TO: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {LOG_COLUMNS} FROM exchange_log \
         WHERE person_id = $1 AND at_ns >= $2 AND at_ns < $3 ORDER BY seq"
    )
});

const CHECKPOINTS: &str =
    "SELECT seq, hash, key_id, signature FROM exchange_checkpoints ORDER BY seq";

const GIVE_CONSENT: &str = "INSERT INTO consents (person_id, consumer, purpose, given_ns) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (person_id, consumer, purpose) \
     WHERE withdrawn_ns IS NULL DO NOTHING";

const WITHDRAW_CONSENT: &str = "UPDATE consents SET withdrawn_ns = $1 WHERE person_id = $2 \
     AND consumer = $3 AND purpose = $4 AND withdrawn_ns IS NULL";

const CONSENTS_OF: &str = "SELECT consumer, purpose, given_ns, withdrawn_ns FROM consents \
     WHERE person_id = $1 ORDER BY given_ns, id";

#[async_trait::async_trait]
impl ExchangeStore for SqlStore {
    async fn append_log_batch(&self, batch: &[::exchange::Appended]) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        if let Db::Postgres(pool) = &self.db
            && batch.len() <= postgres::LOG_ROWS
        {
            // one autocommit statement
            let mut conn = pool
                .acquire()
                .await
                .context("connecting to append to the log")?;
            return postgres::append_run(&mut conn, batch).await;
        }
        // one transaction (on PostgreSQL, runs in order)
        let mut tx = self.begin("starting the log transaction").await?;
        match &mut tx {
            Tx::Sqlite(tx) => sqlite::append_log_in(tx, batch).await?,
            Tx::Postgres(tx) => postgres::append_log_in(tx, batch).await?,
        }
        tx.commit().await.context("committing the log entries")
    }

    async fn log_range(&self, from_seq: u64, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let from = i64::try_from(from_seq).unwrap_or(i64::MAX);
        self.on()
            .fetch_decoded(
                &LOG_RANGE,
                (from, limit_i64(limit)),
                "reading the log",
                decode_log,
            )
            .await
    }

    async fn log_head(&self) -> Result<Option<LogEntry>, StoreError> {
        head_in(self.on()).await
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        self.on()
            .fetch_decoded(CHECKPOINTS, (), "reading checkpoints", decode_checkpoint)
            .await
    }

    async fn give_consent(
        &self,
        person_id: &str,
        consumer: &MemberId,
        purpose: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let given = self
            .on()
            .execute(
                GIVE_CONSENT,
                (person_id, consumer.as_str(), purpose, nanos(at)?),
            )
            .await
            .context("recording a consent")?;
        Ok(given > 0)
    }

    async fn withdraw_consent(
        &self,
        person_id: &str,
        consumer: &MemberId,
        purpose: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let withdrawn = self
            .on()
            .execute(
                WITHDRAW_CONSENT,
                (nanos(at)?, person_id, consumer.as_str(), purpose),
            )
            .await
            .context("withdrawing a consent")?;
        Ok(withdrawn > 0)
    }

    async fn consents_of(&self, person_id: &str) -> Result<ConsentSnapshot, StoreError> {
        let rows: Vec<ConsentTuple> = self
            .on()
            .fetch_all(CONSENTS_OF, (person_id,))
            .await
            .context("reading consents")?;
        decode_consents(person_id, rows)
    }

    async fn accesses_to(
        &self,
        person_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<LogEntry>, StoreError> {
        self.on()
            .fetch_decoded(
                &ACCESSES_TO,
                (person_id, nanos_clamped(from), nanos_clamped(to)),
                "reading accesses",
                decode_log,
            )
            .await
    }
}

//! The registry and exchange parts of the storage interface
//! ([`RegistryStore`], [`ExchangeStore`]), and the row encodings both
//! backends share.
//!
//! [`crate::Store`] hands these out through `Store::registry()` and
//! `Store::exchange()` rather than growing one large trait: each stays
//! object-safe and small, and a caller that needs only one part names only
//! that part.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use domain::PersonalId;
use exchange::{Checkpoint, ConsentLookup, Digest32, KeyId, LogEntry, LogRecord, MemberId};
use registry::{HouseholdId, Kinship, Person, Query, Score, VitalEvent};

use crate::StoreError;
use crate::error::Source;

/// The most candidates a name lookup ranks: a very common name may have
/// more people than this; the query's birth date (filtered in SQL) keeps
/// the candidates under it in practice.
pub const MAX_CANDIDATES: i64 = 20_000;

/// One person found by [`RegistryStore::find_people`], with how well they
/// match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPerson {
    /// The match (`registry::score`); results are ordered best first.
    pub score: Score,
    /// The person's current record.
    pub person: Person,
}

/// Population registry storage: append-only vital events and the current
/// record derived from them.
#[async_trait::async_trait]
pub trait RegistryStore: Send + Sync {
    /// Appends events in one transaction, and re-derives (`Person::derive`)
    /// the record of every person they name from all their stored events.
    ///
    /// Events are immutable: an event id already stored is skipped when the
    /// event is byte-identical (the append is idempotent) and refused with
    /// [`Conflict`](crate::ErrorKind::Conflict) when it differs. A sequence the registry
    /// does not allow is refused with [`Refused`](crate::ErrorKind::Refused); either way
    /// nothing of the batch is stored. Returns how many events were new.
    async fn append_events(&self, events: &[VitalEvent]) -> Result<usize, StoreError>;

    /// Writes new people fast (the generator's load path): `events` holds
    /// every event of each person in the batch, none of whom is stored yet.
    /// Records are derived from the batch alone and written with multi-row
    /// inserts in one transaction. A person or event id already stored is a
    /// [`Conflict`](crate::ErrorKind::Conflict) and nothing is written. Returns the number
    /// of people written.
    async fn load_people(&self, events: &[VitalEvent]) -> Result<usize, StoreError>;

    /// A person's events in recorded order (ties in the order stored).
    async fn events_of(&self, person: &PersonalId) -> Result<Vec<VitalEvent>, StoreError>;

    /// A person's current record.
    async fn person(&self, person: &PersonalId) -> Result<Option<Person>, StoreError>;

    /// A person's current record and their current spouse's (one
    /// statement): `None` for an unknown person; the spouse `None` when
    /// they have none, or none on record.
    async fn person_and_spouse(
        &self,
        person: &PersonalId,
    ) -> Result<Option<(Person, Option<Person>)>, StoreError>;

    /// A person's record as it stood at `instant` (`Person::as_of` over the
    /// stored events); `None` for an unknown person or one not yet born or
    /// registered then.
    async fn person_as_of(
        &self,
        person: &PersonalId,
        instant: DateTime<Utc>,
    ) -> Result<Option<Person>, StoreError> {
        let events = self.events_of(person).await?;
        if events.is_empty() {
            return Ok(None);
        }
        Person::as_of(&events, instant)
            .map_err(|e| StoreError::refused(format!("the stored events of {person}: {e}")))
    }

    /// People matching a name (diacritics and case folded), optionally a
    /// (partial) birth date and a commune, best first, at most `limit`.
    ///
    /// Candidates are those whose current name, former name, or family and
    /// given name (middle names left out) has the query's name key, and
    /// whose birth date may be the query's; they are ranked by
    /// `registry::score` (name, then date, then commune), ties by personal
    /// id. At most [`MAX_CANDIDATES`] are ranked.
    async fn find_people(
        &self,
        query: &Query,
        limit: usize,
    ) -> Result<Vec<FoundPerson>, StoreError>;

    /// The members of a household, head first (`registry::household_members`).
    async fn household(&self, household: &HouseholdId) -> Result<Vec<Person>, StoreError>;

    /// The people whose current record names `person` as father or mother,
    /// oldest first (ties by id).
    async fn children(&self, person: &PersonalId) -> Result<Vec<Person>, StoreError>;

    /// A person's father, mother, current spouse and children, those that
    /// are stored (children oldest first).
    async fn relatives(&self, person: &PersonalId) -> Result<Vec<(Kinship, Person)>, StoreError> {
        let Some(p) = self.person(person).await? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (kinship, id) in p.relatives() {
            if let Some(relative) = self.person(&id).await? {
                out.push((kinship, relative));
            }
        }
        for child in self.children(person).await? {
            out.push((Kinship::Child, child));
        }
        Ok(out)
    }
}

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
        self.append_log_batch(&[exchange::Appended {
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
    async fn append_log_batch(&self, batch: &[exchange::Appended]) -> Result<(), StoreError>;

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

// ---- shared row encodings ------------------------------------------------

/// A vital event as stored.
pub(crate) struct EventRow {
    pub id: String,
    pub person: String,
    pub recorded_us: i64,
    pub body: String,
}

/// Encodes every event of `events` as a storable row, failing on the first
/// that cannot be encoded.
pub(crate) fn event_rows(events: &[VitalEvent]) -> Result<Vec<EventRow>, StoreError> {
    events.iter().map(event_row).collect()
}

pub(crate) fn event_row(e: &VitalEvent) -> Result<EventRow, StoreError> {
    let body = serde_json::to_string(e)
        .map_err(|err| StoreError::encoding(&format!("event {}", e.id), err))?;
    Ok(EventRow {
        id: e.id.0.clone(),
        person: e.person.as_str().to_string(),
        recorded_us: e.recorded_at.timestamp_micros(),
        body,
    })
}

pub(crate) fn decode_event(body: &str) -> Result<VitalEvent, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::corrupt("a stored vital event", e))
}

/// A person's current record as stored, with its lookup columns.
pub(crate) struct PersonRow {
    pub pid: String,
    pub name_key: String,
    pub short_key: String,
    pub birth_earliest: NaiveDate,
    pub birth_latest: NaiveDate,
    pub sex: &'static str,
    pub commune: Option<String>,
    pub household: Option<String>,
    pub record: String,
    pub former_keys: Vec<String>,
    /// The father's and mother's ids, those the record names.
    pub parents: Vec<String>,
}

impl PersonRow {
    /// (pid, former name key) pairs of `people`.
    pub fn former_pairs(people: &[PersonRow]) -> Vec<(&str, &str)> {
        people
            .iter()
            .flat_map(|p| p.former_keys.iter().map(|k| (p.pid.as_str(), k.as_str())))
            .collect()
    }

    /// (child, parent) pairs of `people`.
    pub fn parent_pairs(people: &[PersonRow]) -> Vec<(&str, &str)> {
        people
            .iter()
            .flat_map(|p| p.parents.iter().map(|k| (p.pid.as_str(), k.as_str())))
            .collect()
    }
}

/// The first and last words of a name key: the family and given name.
pub(crate) fn short_key(name_key: &str) -> String {
    let mut words = name_key.split(' ').filter(|w| !w.is_empty());
    match (words.next(), words.next_back()) {
        (Some(first), Some(last)) => format!("{first} {last}"),
        (Some(only), None) => only.to_string(),
        _ => String::new(),
    }
}

pub(crate) fn person_row(p: &Person) -> Result<PersonRow, StoreError> {
    let record = serde_json::to_string(p)
        .map_err(|e| StoreError::encoding(&format!("the record of {}", p.id), e))?;
    let name_key = registry::name_key(&p.full_name.value);
    let mut former_keys: Vec<String> = p
        .former_names
        .iter()
        .map(|n| registry::name_key(&n.value))
        .filter(|k| !k.is_empty() && *k != name_key)
        .collect();
    former_keys.sort();
    former_keys.dedup();
    Ok(PersonRow {
        pid: p.id.as_str().to_string(),
        short_key: short_key(&name_key),
        name_key,
        birth_earliest: p.birth_date.value.earliest(),
        birth_latest: p.birth_date.value.latest(),
        sex: match p.sex.value {
            domain::Sex::Male => "male",
            domain::Sex::Female => "female",
        },
        commune: p
            .permanent_residence
            .value
            .as_ref()
            .map(|r| r.commune.as_str().to_string()),
        household: p.household.value.as_ref().map(|m| m.household.0.clone()),
        record,
        former_keys,
        parents: [p.father.value, p.mother.value]
            .into_iter()
            .flatten()
            .map(|id| id.as_str().to_string())
            .collect(),
    })
}

/// Sorts children oldest first, ties by id.
pub(crate) fn oldest_first(mut children: Vec<Person>) -> Vec<Person> {
    children.sort_by(|a, b| {
        (a.birth_date.value.earliest(), a.id.as_str())
            .cmp(&(b.birth_date.value.earliest(), b.id.as_str()))
    });
    children
}

/// The rows `(pid, record)` of a person and their spouse, read together.
pub(crate) fn person_and_spouse(
    person: &PersonalId,
    rows: Vec<(String, String)>,
) -> Result<Option<(Person, Option<Person>)>, StoreError> {
    let mut me = None;
    let mut spouse = None;
    for (pid, record) in rows {
        if pid == person.as_str() {
            me = Some(decode_person(&record)?);
        } else {
            spouse = Some(decode_person(&record)?);
        }
    }
    Ok(me.map(|me| {
        // only the spouse the record names now
        let spouse = spouse.filter(|s| me.spouse.value == Some(s.id));
        (me, spouse)
    }))
}

pub(crate) fn decode_person(record: &str) -> Result<Person, StoreError> {
    serde_json::from_str(record).map_err(|e| StoreError::corrupt("a stored person record", e))
}

/// Groups events by person, each person's in the given order, people in
/// order of first appearance.
pub(crate) fn by_person(events: &[VitalEvent]) -> Vec<(PersonalId, Vec<VitalEvent>)> {
    let mut order: Vec<PersonalId> = Vec::new();
    let mut groups: BTreeMap<PersonalId, Vec<VitalEvent>> = BTreeMap::new();
    for e in events {
        groups
            .entry(e.person)
            .or_insert_with(|| {
                order.push(e.person);
                Vec::new()
            })
            .push(e.clone());
    }
    order
        .into_iter()
        .filter_map(|id| groups.remove(&id).map(|g| (id, g)))
        .collect()
}

/// An event id stored with other contents.
pub(crate) fn changed_event(event: &VitalEvent) -> StoreError {
    StoreError::conflict(format!(
        "event {} is already recorded with other contents; a recorded event is never \
         changed (record a correction instead)",
        event.id
    ))
}

/// Derives a record, naming the person when the registry refuses.
pub(crate) fn derive(person: &PersonalId, events: &[VitalEvent]) -> Result<Person, StoreError> {
    Person::derive(events).map_err(|e| StoreError::refused(format!("person {person}: {e}")))
}

/// Checks a load batch: no event id twice.
pub(crate) fn check_load_batch(events: &[VitalEvent]) -> Result<(), StoreError> {
    let mut seen = std::collections::HashSet::with_capacity(events.len());
    for e in events {
        if !seen.insert(&e.id) {
            return Err(StoreError::conflict(format!(
                "event {} appears twice in the batch",
                e.id
            )));
        }
    }
    Ok(())
}

/// Ranks candidates and keeps the best `limit`.
pub(crate) fn rank(query: &Query, candidates: Vec<Person>, limit: usize) -> Vec<FoundPerson> {
    let mut found: Vec<FoundPerson> = candidates
        .into_iter()
        .map(|person| FoundPerson {
            score: registry::score(query, &person),
            person,
        })
        .filter(|f| f.score.is_candidate())
        .collect();
    found.sort_by(|a, b| b.score.cmp(&a.score).then(a.person.id.cmp(&b.person.id)));
    found.truncate(limit);
    found
}

/// The SQL date window of a lookup: any birth date when the query gives
/// none.
pub(crate) fn date_window(query: &Query) -> (NaiveDate, NaiveDate) {
    match &query.birth_date {
        Some(d) => (d.earliest(), d.latest()),
        None => (NaiveDate::MIN, NaiveDate::MAX),
    }
}

// ---- the exchange log ----------------------------------------------------

pub(crate) use crate::db::{from_nanos, nanos, nanos_clamped};

/// A log entry as stored.
pub(crate) struct LogRow {
    pub seq: i64,
    pub at_ns: i64,
    pub consumer: String,
    pub provider: String,
    pub service: String,
    pub purpose: String,
    pub legal_basis: Option<String>,
    pub case_ref: Option<String>,
    pub person_id: Option<String>,
    pub fields: String,
    pub request_digest: String,
    pub response_digest: String,
    pub prev_hash: String,
    pub hash: String,
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

pub(crate) fn log_row(e: &LogEntry) -> Result<LogRow, StoreError> {
    let r = &e.record;
    Ok(LogRow {
        seq: seq_to_i64(e.seq)?,
        at_ns: nanos(r.at)?,
        consumer: r.consumer.to_string(),
        provider: r.provider.to_string(),
        service: r.service.clone(),
        purpose: r.purpose.clone(),
        legal_basis: r.legal_basis.clone(),
        case_ref: r.case_ref.clone(),
        person_id: r.person_id.clone(),
        fields: serde_json::to_string(&r.fields)
            .map_err(|err| StoreError::encoding("log fields", err))?,
        request_digest: r.request_digest.to_string(),
        // none is stored as the empty string (the column predates the option)
        response_digest: r.response_digest.map(|d| d.to_string()).unwrap_or_default(),
        prev_hash: e.prev_hash.to_string(),
        hash: e.hash.to_string(),
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
pub(crate) type LogBatchRows<'a> = (Vec<LogRow>, Vec<(i64, &'a Checkpoint)>);

/// Checks a batch of appends against the stored `head` (each entry follows
/// the one before it, checkpoints are over their entries) and encodes the
/// rows to insert: the entries, and `(seq, checkpoint)` pairs.
pub(crate) fn check_batch<'a>(
    batch: &'a [exchange::Appended],
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
pub(crate) fn check_run(batch: &[exchange::Appended]) -> Result<LogBatchRows<'_>, StoreError> {
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

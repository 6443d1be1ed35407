//! The population registry's storage ([`RegistryStore`]): vital events,
//! appended and never changed, and each person's current record derived
//! from them in the same transaction, so the stored record can never
//! disagree with its events.
//!
//! The rows (events, records and their lookup columns), how they are
//! derived and checked, the reads of a person, a household, children and
//! events, and the transaction of an append are the same on both backends,
//! here. Each backend writes records its own way and has its own bulk
//! load, name search and spouse read ([`sqlite`]: multi-row inserts, the
//! statement built for the query; [`postgres`]: `UNNEST` and `COPY`, an
//! optional date window in SQL, the JSON operators). An append queues each
//! new event for delivery in its transaction (`delivery::queue`).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::collections::BTreeMap;

use ::registry::{HouseholdId, Kinship, Person, Query, Score, VitalEvent};
use chrono::{DateTime, NaiveDate, Utc};
use domain::PersonalId;

use crate::db::{Db, On, Tx, from_json, nanos, to_json};
use crate::{Context, SqlStore, StoreError};

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
    let body = to_json(&format!("event {}", e.id), e)?;
    Ok(EventRow {
        id: e.id.0.clone(),
        person: e.person.as_str().to_string(),
        recorded_us: e.recorded_at.timestamp_micros(),
        body,
    })
}

pub(crate) fn decode_event(body: &str) -> Result<VitalEvent, StoreError> {
    from_json("a stored vital event", body)
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
    let record = to_json(&format!("the record of {}", p.id), p)?;
    let name_key = ::registry::name_key(&p.full_name.value);
    let mut former_keys: Vec<String> = p
        .former_names
        .iter()
        .map(|n| ::registry::name_key(&n.value))
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
            me = Some(decode_person(record)?);
        } else {
            spouse = Some(decode_person(record)?);
        }
    }
    Ok(me.map(|me| {
        // only the spouse the record names now
        let spouse = spouse.filter(|s| me.spouse.value == Some(s.id));
        (me, spouse)
    }))
}

pub(crate) fn decode_person(record: String) -> Result<Person, StoreError> {
    from_json("a stored person record", &record)
}

fn decode_people(records: Vec<String>) -> Result<Vec<Person>, StoreError> {
    records.into_iter().map(decode_person).collect()
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
            score: ::registry::score(query, &person),
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

/// A unique key taken while writing: a person or event id already stored.
pub(crate) fn write_error(context: &str, e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::with_source(
            crate::ErrorKind::Conflict,
            format!("{context} (a person or event id already stored)"),
            e,
        ),
        _ => StoreError::db(context.to_owned(), e),
    }
}

/// A person's events in recorded order (ties in the order stored), read
/// on `on`.
pub(crate) async fn events_in(
    mut on: On<'_>,
    person: &PersonalId,
) -> Result<Vec<VitalEvent>, StoreError> {
    let bodies: Vec<String> = on
        .scalar_all(
            "SELECT body FROM vital_events WHERE person = $1 ORDER BY recorded_us, seq",
            (person.as_str(),),
        )
        .await
        .context("reading vital events")?;
    bodies.iter().map(|b| decode_event(b)).collect()
}

// ---- the statements, the same text on both backends ------------------

const EVENT_BODY: &str = "SELECT body FROM vital_events WHERE id = $1";

const INSERT_EVENT: &str = "INSERT INTO vital_events (id, person, recorded_us, body) \
     VALUES ($1, $2, $3, $4)";

const PERSON: &str = "SELECT record FROM people WHERE pid = $1";

const CHILDREN: &str = "SELECT p.record FROM people_parents l JOIN people p ON p.pid = l.child \
     WHERE l.parent = $1";

const HOUSEHOLD: &str = "SELECT record FROM people WHERE household = $1";

#[async_trait::async_trait]
impl RegistryStore for SqlStore {
    async fn append_events(&self, events: &[VitalEvent]) -> Result<usize, StoreError> {
        if events.is_empty() {
            return Ok(0);
        }
        let rows = event_rows(events)?;
        // the outbox rows' time
        let queued_ns = nanos(Utc::now())?;
        let mut tx = self.begin("starting the events transaction").await?;
        if let Tx::Postgres(tx) = &mut tx {
            postgres::lock_people(tx, &rows).await?;
        }
        let mut touched: Vec<PersonalId> = Vec::new();
        let mut new = 0;
        for (event, row) in events.iter().zip(&rows) {
            let stored: Option<String> = tx
                .on()
                .scalar_optional(EVENT_BODY, (row.id.as_str(),))
                .await
                .context("reading vital events")?;
            match stored {
                Some(body) if body == row.body => continue,
                Some(_) => return Err(changed_event(event)),
                None => {}
            }
            tx.on()
                .execute(
                    INSERT_EVENT,
                    (
                        row.id.as_str(),
                        row.person.as_str(),
                        row.recorded_us,
                        row.body.as_str(),
                    ),
                )
                .await
                .map_err(|e| write_error("writing a vital event", e))?;
            crate::delivery::queue(tx.on(), event, &row.body, queued_ns).await?;
            new += 1;
            if !touched.contains(&event.person) {
                touched.push(event.person);
            }
        }
        let mut records = Vec::with_capacity(touched.len());
        for person in &touched {
            let all = events_in(tx.on(), person).await?;
            records.push(person_row(&derive(person, &all)?)?);
        }
        match &mut tx {
            Tx::Sqlite(tx) => sqlite::upsert_people(tx, &records).await?,
            Tx::Postgres(tx) => postgres::upsert_people(tx, &records).await?,
        }
        tx.commit().await.context("committing vital events")?;
        if new > 0 {
            self.changes.notify_one();
        }
        Ok(new)
    }

    async fn load_people(&self, events: &[VitalEvent]) -> Result<usize, StoreError> {
        check_load_batch(events)?;
        let mut people = Vec::new();
        for (person, own) in by_person(events) {
            people.push(person_row(&derive(&person, &own)?)?);
        }
        let rows = event_rows(events)?;
        let mut tx = self.begin("starting the load transaction").await?;
        match &mut tx {
            Tx::Sqlite(tx) => sqlite::load(tx, &rows, &people).await?,
            Tx::Postgres(tx) => postgres::load(tx, &rows, &people).await?,
        }
        tx.commit().await.context("committing the load")?;
        Ok(people.len())
    }

    async fn events_of(&self, person: &PersonalId) -> Result<Vec<VitalEvent>, StoreError> {
        events_in(self.on(), person).await
    }

    async fn person(&self, person: &PersonalId) -> Result<Option<Person>, StoreError> {
        self.on()
            .scalar_optional_decoded(
                PERSON,
                (person.as_str(),),
                "reading a person",
                decode_person,
            )
            .await
    }

    async fn person_and_spouse(
        &self,
        person: &PersonalId,
    ) -> Result<Option<(Person, Option<Person>)>, StoreError> {
        let sql = match &self.db {
            Db::Sqlite(_) => sqlite::PERSON_AND_SPOUSE,
            Db::Postgres(_) => postgres::PERSON_AND_SPOUSE,
        };
        let records: Vec<(String, String)> = self
            .on()
            .fetch_all(sql, (person.as_str(),))
            .await
            .context("reading a person and their spouse")?;
        person_and_spouse(person, records)
    }

    async fn find_people(
        &self,
        query: &Query,
        limit: usize,
    ) -> Result<Vec<FoundPerson>, StoreError> {
        let key = ::registry::name_key(&query.full_name);
        if key.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let records = match &self.db {
            Db::Sqlite(pool) => sqlite::records_named(pool, query, &key).await?,
            Db::Postgres(pool) => postgres::records_named(pool, query, &key).await?,
        };
        Ok(rank(query, decode_people(records)?, limit))
    }

    async fn children(&self, person: &PersonalId) -> Result<Vec<Person>, StoreError> {
        let records: Vec<String> = self
            .on()
            .scalar_all(CHILDREN, (person.as_str(),))
            .await
            .context("reading a person's children")?;
        Ok(oldest_first(decode_people(records)?))
    }

    async fn household(&self, household: &HouseholdId) -> Result<Vec<Person>, StoreError> {
        let records: Vec<String> = self
            .on()
            .scalar_all(HOUSEHOLD, (household.0.as_str(),))
            .await
            .context("reading a household")?;
        let people = decode_people(records)?;
        Ok(::registry::household_members(&people, household)
            .into_iter()
            .cloned()
            .collect())
    }
}

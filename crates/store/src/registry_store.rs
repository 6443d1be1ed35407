//! [`RegistryStore`] on both backends: the reads of people, households,
//! children and events in one SQL text each (numbered placeholders) run
//! through either pool by a macro. Appending events, loading people, the
//! name search (PostgreSQL tests an optional birth-date window in SQL,
//! SQLite builds the statement) and the spouse's id read from the stored
//! record (JSON functions differ) are each backend's own
//! (`postgres_data.rs`, `sqlite_data.rs`).

use domain::PersonalId;
use registry::{HouseholdId, Person, Query, VitalEvent};

use crate::model::{self, FoundPerson, RegistryStore};
use crate::{Context, StoreError};

fn decode_people(records: Vec<String>) -> Result<Vec<Person>, StoreError> {
    records.iter().map(|r| model::decode_person(r)).collect()
}

macro_rules! registry_store {
    ($store:ty, $data:ident) => {
        #[async_trait::async_trait]
        impl RegistryStore for $store {
            async fn append_events(&self, events: &[VitalEvent]) -> Result<usize, StoreError> {
                crate::$data::append_events(self, events).await
            }

            async fn load_people(&self, events: &[VitalEvent]) -> Result<usize, StoreError> {
                crate::$data::load_people(self, events).await
            }

            async fn events_of(&self, person: &PersonalId) -> Result<Vec<VitalEvent>, StoreError> {
                let mut conn = self.pool.acquire().await.context("reading vital events")?;
                crate::$data::events_in(&mut conn, person).await
            }

            async fn person(&self, person: &PersonalId) -> Result<Option<Person>, StoreError> {
                let record: Option<String> =
                    sqlx::query_scalar("SELECT record FROM people WHERE pid = $1")
                        .bind(person.as_str())
                        .fetch_optional(&self.pool)
                        .await
                        .context("reading a person")?;
                record.map(|r| model::decode_person(&r)).transpose()
            }

            async fn person_and_spouse(
                &self,
                person: &PersonalId,
            ) -> Result<Option<(Person, Option<Person>)>, StoreError> {
                let records: Vec<(String, String)> =
                    sqlx::query_as(crate::$data::PERSON_AND_SPOUSE)
                        .bind(person.as_str())
                        .fetch_all(&self.pool)
                        .await
                        .context("reading a person and their spouse")?;
                model::person_and_spouse(person, records)
            }

            async fn find_people(
                &self,
                query: &Query,
                limit: usize,
            ) -> Result<Vec<FoundPerson>, StoreError> {
                let key = registry::name_key(&query.full_name);
                if key.is_empty() || limit == 0 {
                    return Ok(Vec::new());
                }
                let records = crate::$data::records_named(self, query, &key).await?;
                Ok(model::rank(query, decode_people(records)?, limit))
            }

            async fn children(&self, person: &PersonalId) -> Result<Vec<Person>, StoreError> {
                let records: Vec<String> = sqlx::query_scalar(
                    "SELECT p.record FROM people_parents l JOIN people p ON p.pid = l.child \
                     WHERE l.parent = $1",
                )
                .bind(person.as_str())
                .fetch_all(&self.pool)
                .await
                .context("reading a person's children")?;
                Ok(model::oldest_first(decode_people(records)?))
            }

            async fn household(&self, household: &HouseholdId) -> Result<Vec<Person>, StoreError> {
                let records: Vec<String> =
                    sqlx::query_scalar("SELECT record FROM people WHERE household = $1")
                        .bind(household.0.as_str())
                        .fetch_all(&self.pool)
                        .await
                        .context("reading a household")?;
                let people = decode_people(records)?;
                Ok(registry::household_members(&people, household)
                    .into_iter()
                    .cloned()
                    .collect())
            }
        }
    };
}

registry_store!(crate::postgres::PgStore, postgres_data);
registry_store!(crate::sqlite::SqliteStore, sqlite_data);

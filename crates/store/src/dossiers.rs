//! Dossiers: each stored with its code, the receiving agency's next number
//! of the day taken in the same transaction (a failed store gives its
//! number back), so that codes are neither repeated nor skipped, also
//! under concurrent submissions. One implementation for both backends.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use dossier::{AgencyCode, DossierCode, Lifecycle, MAX_DAILY_SEQUENCE};

use crate::{StoreError, db_error};

/// A dossier as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredDossier {
    /// Its code.
    pub code: DossierCode,
    /// Where it stands.
    pub lifecycle: Lifecycle,
    /// The procedure, the applicant, the form … (the dossier's content).
    pub content: serde_json::Value,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
}

/// Storage of dossiers.
#[async_trait]
pub trait DossierStore: Send + Sync {
    /// Stores a new dossier received by `agency` on `day` (a Vietnam day),
    /// under the next code of that agency and day.
    async fn create_dossier(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
        lifecycle: &Lifecycle,
        content: &serde_json::Value,
        at: DateTime<Utc>,
    ) -> Result<StoredDossier, StoreError>;
    /// A dossier by code.
    async fn dossier(&self, code: &DossierCode) -> Result<Option<StoredDossier>, StoreError>;
    /// The codes `agency` gave on `day`, in order.
    async fn codes_of_day(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
    ) -> Result<Vec<DossierCode>, StoreError>;
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("a stored dossier cannot be read: {e}"))
}

macro_rules! dossier_store {
    ($store:ty, $pool:ident => $begin:expr) => {
        #[async_trait]
        impl DossierStore for $store {
            async fn create_dossier(
                &self,
                agency: &AgencyCode,
                day: NaiveDate,
                lifecycle: &Lifecycle,
                content: &serde_json::Value,
                at: DateTime<Utc>,
            ) -> Result<StoredDossier, StoreError> {
                let day_text = day.format("%Y-%m-%d").to_string();
                let $pool = &self.pool;
                let mut tx = $begin
                    .await
                    .map_err(|e| db_error("starting to store a dossier", e))?;
                // the next number: one statement, so concurrent stores of
                // the same agency and day wait on each other's row
                let last: i32 = sqlx::query_scalar(
                    "INSERT INTO dossier_sequences (agency, day, last) VALUES ($1, $2, 1) \
                     ON CONFLICT (agency, day) DO UPDATE SET last = dossier_sequences.last + 1 \
                     RETURNING last",
                )
                .bind(agency.as_str())
                .bind(&day_text)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| db_error("taking a dossier number", e))?;
                let sequence = u16::try_from(last)
                    .ok()
                    .filter(|n| *n <= MAX_DAILY_SEQUENCE)
                    .ok_or_else(|| {
                        StoreError::Refused(format!(
                            "agency {agency} has given every number of {day} ({MAX_DAILY_SEQUENCE})"
                        ))
                    })?;
                let code = DossierCode::new(agency.clone(), day, sequence)
                    .map_err(|e| StoreError::Refused(e.to_string()))?;
                let stored = StoredDossier {
                    code: code.clone(),
                    lifecycle: lifecycle.clone(),
                    content: content.clone(),
                    created_at: at,
                };
                let body = serde_json::to_string(&stored)
                    .map_err(|e| StoreError::Database(format!("cannot encode a dossier: {e}")))?;
                sqlx::query(
                    "INSERT INTO dossiers (code, agency, day, sequence, status, body, created_ns) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(code.to_string())
                .bind(agency.as_str())
                .bind(&day_text)
                .bind(i32::from(sequence))
                .bind(i32::from(lifecycle.status().code()))
                .bind(body)
                .bind(crate::model::nanos(at)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| db_error("storing a dossier", e))?;
                tx.commit()
                    .await
                    .map_err(|e| db_error("storing a dossier", e))?;
                Ok(stored)
            }

            async fn dossier(
                &self,
                code: &DossierCode,
            ) -> Result<Option<StoredDossier>, StoreError> {
                let body: Option<String> =
                    sqlx::query_scalar("SELECT body FROM dossiers WHERE code = $1")
                        .bind(code.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|e| db_error("reading a dossier", e))?;
                body.map(|b| serde_json::from_str(&b).map_err(corrupt))
                    .transpose()
            }

            async fn codes_of_day(
                &self,
                agency: &AgencyCode,
                day: NaiveDate,
            ) -> Result<Vec<DossierCode>, StoreError> {
                let codes: Vec<String> = sqlx::query_scalar(
                    "SELECT code FROM dossiers WHERE agency = $1 AND day = $2 ORDER BY sequence",
                )
                .bind(agency.as_str())
                .bind(day.format("%Y-%m-%d").to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| db_error("listing a day's dossiers", e))?;
                codes
                    .iter()
                    .map(|c| DossierCode::parse(c).map_err(corrupt))
                    .collect()
            }
        }
    };
}

dossier_store!(crate::postgres::PgStore, pool => pool.begin());
dossier_store!(crate::sqlite::SqliteStore, pool => pool.begin_with("BEGIN IMMEDIATE"));

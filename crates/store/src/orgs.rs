//! Organisations acting through people: who represents or heads which
//! organisation, the authorisations organisations give, and the legacy
//! username/password accounts of the old portals. One implementation for
//! both backends.

use async_trait::async_trait;
use identity::{Authorisation, SubjectId};

use crate::{Context, StoreError};

/// An imported account of an old portal: a username and its password,
/// standing for an organisation (its subject is the organisation's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyLogin {
    /// The canonical key of the username ([`identity::LoginId::key`]).
    pub login_key: String,
    /// The organisation it stands for.
    pub organisation: SubjectId,
    /// The password, an argon2id PHC string.
    pub password: String,
}

/// Storage of organisations' people, authorisations and legacy accounts.
#[async_trait]
pub trait OrganisationStore: Send + Sync {
    /// The organisations `person` represents or heads (their subjects).
    async fn organisations_of(&self, person: SubjectId) -> Result<Vec<SubjectId>, StoreError>;
    /// Stores an authorisation, or its new state (consents, revocation).
    async fn put_authorisation(&self, authorisation: &Authorisation) -> Result<(), StoreError>;
    /// An authorisation by id.
    async fn authorisation(&self, id: uuid::Uuid) -> Result<Option<Authorisation>, StoreError>;
    /// The authorisations given to `person`, by any organisation.
    async fn authorisations_of(&self, person: SubjectId) -> Result<Vec<Authorisation>, StoreError>;
    /// The authorisations `organisation` gave.
    async fn authorisations_by(
        &self,
        organisation: SubjectId,
    ) -> Result<Vec<Authorisation>, StoreError>;
    /// Imports a legacy account; `false` when its username is taken.
    async fn put_legacy(&self, login: &LegacyLogin) -> Result<bool, StoreError>;
    /// A legacy account by the key of its username.
    async fn legacy(&self, login_key: &str) -> Result<Option<LegacyLogin>, StoreError>;
}

fn decode_authorisation(body: &str) -> Result<Authorisation, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::corrupt("stored authorisation", e))
}

fn subject(s: &str) -> Result<SubjectId, StoreError> {
    SubjectId::parse(s).map_err(|e| StoreError::corrupt("a stored subject", e))
}

macro_rules! organisation_store {
    ($store:ty) => {
        #[async_trait]
        impl OrganisationStore for $store {
            async fn organisations_of(
                &self,
                person: SubjectId,
            ) -> Result<Vec<SubjectId>, StoreError> {
                let rows: Vec<String> = sqlx::query_scalar(
                    "SELECT DISTINCT organisation FROM eid_org_people WHERE person = $1 \
                     ORDER BY organisation",
                )
                .bind(person.to_string())
                .fetch_all(&self.pool)
                .await
                .context("reading a person's organisations")?;
                rows.iter().map(|s| subject(s)).collect()
            }

            async fn put_authorisation(
                &self,
                authorisation: &Authorisation,
            ) -> Result<(), StoreError> {
                let body = serde_json::to_string(authorisation)
                    .map_err(|e| StoreError::encoding("the authorisation", e))?;
                sqlx::query(
                    "INSERT INTO eid_authorisations (id, organisation, grantee, body) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                )
                .bind(authorisation.id().to_string())
                .bind(authorisation.organisation().to_string())
                .bind(authorisation.grantee().to_string())
                .bind(body)
                .execute(&self.pool)
                .await
                .context("storing an authorisation")?;
                Ok(())
            }

            async fn authorisation(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<Authorisation>, StoreError> {
                let body: Option<String> =
                    sqlx::query_scalar("SELECT body FROM eid_authorisations WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .context("reading an authorisation")?;
                body.as_deref().map(decode_authorisation).transpose()
            }

            async fn authorisations_of(
                &self,
                person: SubjectId,
            ) -> Result<Vec<Authorisation>, StoreError> {
                let bodies: Vec<String> = sqlx::query_scalar(
                    "SELECT body FROM eid_authorisations WHERE grantee = $1 ORDER BY id",
                )
                .bind(person.to_string())
                .fetch_all(&self.pool)
                .await
                .context("reading a person's authorisations")?;
                bodies.iter().map(|b| decode_authorisation(b)).collect()
            }

            async fn authorisations_by(
                &self,
                organisation: SubjectId,
            ) -> Result<Vec<Authorisation>, StoreError> {
                let bodies: Vec<String> = sqlx::query_scalar(
                    "SELECT body FROM eid_authorisations WHERE organisation = $1 ORDER BY id",
                )
                .bind(organisation.to_string())
                .fetch_all(&self.pool)
                .await
                .context("reading an organisation's authorisations")?;
                bodies.iter().map(|b| decode_authorisation(b)).collect()
            }

            async fn put_legacy(&self, login: &LegacyLogin) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "INSERT INTO eid_legacy (login_key, organisation, password) \
                     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(&login.login_key)
                .bind(login.organisation.to_string())
                .bind(&login.password)
                .execute(&self.pool)
                .await
                .context("importing a legacy account")?;
                Ok(done.rows_affected() == 1)
            }

            async fn legacy(&self, login_key: &str) -> Result<Option<LegacyLogin>, StoreError> {
                let row: Option<(String, String, String)> = sqlx::query_as(
                    "SELECT login_key, organisation, password FROM eid_legacy \
                     WHERE login_key = $1",
                )
                .bind(login_key)
                .fetch_optional(&self.pool)
                .await
                .context("reading a legacy account")?;
                row.map(|(login_key, organisation, password)| {
                    Ok(LegacyLogin {
                        login_key,
                        organisation: subject(&organisation)?,
                        password,
                    })
                })
                .transpose()
            }
        }
    };
}

organisation_store!(crate::postgres::PgStore);
organisation_store!(crate::sqlite::SqliteStore);

//! Organisations acting through people ([`OrganisationStore`]): who
//! represents or heads which organisation, the authorisations
//! organisations give, and the legacy username/password accounts of the
//! old portals. Every statement is the same text on both backends. An
//! organisation's people by right are written with its account
//! (`accounts::create_account`, into `eid_org_people`), read here.

use async_trait::async_trait;
use identity::{Authorisation, SubjectId};

use crate::db::{from_json, to_json};
use crate::{Context, SqlStore, StoreError};

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

fn decode_authorisation(body: String) -> Result<Authorisation, StoreError> {
    from_json("a stored authorisation", &body)
}

fn subject(s: &str) -> Result<SubjectId, StoreError> {
    SubjectId::parse(s).map_err(|e| StoreError::corrupt("a stored subject", e))
}

// ---- the statements, the same text on both backends ------------------

const ORGANISATIONS_OF: &str = "SELECT DISTINCT organisation FROM eid_org_people \
     WHERE person = $1 ORDER BY organisation";

const UPSERT_AUTHORISATION: &str = "INSERT INTO eid_authorisations \
     (id, organisation, grantee, body) VALUES ($1, $2, $3, $4) \
     ON CONFLICT (id) DO UPDATE SET body = excluded.body";

const AUTHORISATION: &str = "SELECT body FROM eid_authorisations WHERE id = $1";

const AUTHORISATIONS_OF: &str =
    "SELECT body FROM eid_authorisations WHERE grantee = $1 ORDER BY id";

const AUTHORISATIONS_BY: &str =
    "SELECT body FROM eid_authorisations WHERE organisation = $1 ORDER BY id";

const INSERT_LEGACY: &str = "INSERT INTO eid_legacy (login_key, organisation, password) \
     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

const LEGACY: &str =
    "SELECT login_key, organisation, password FROM eid_legacy WHERE login_key = $1";

#[async_trait]
impl OrganisationStore for SqlStore {
    async fn organisations_of(&self, person: SubjectId) -> Result<Vec<SubjectId>, StoreError> {
        self.on()
            .scalar_decoded(
                ORGANISATIONS_OF,
                (person.to_string(),),
                "reading a person's organisations",
                |v: String| subject(&v),
            )
            .await
    }

    async fn put_authorisation(&self, authorisation: &Authorisation) -> Result<(), StoreError> {
        let body = to_json("the authorisation", authorisation)?;
        self.on()
            .execute(
                UPSERT_AUTHORISATION,
                (
                    authorisation.id().to_string(),
                    authorisation.organisation().to_string(),
                    authorisation.grantee().to_string(),
                    body,
                ),
            )
            .await
            .context("storing an authorisation")?;
        Ok(())
    }

    async fn authorisation(&self, id: uuid::Uuid) -> Result<Option<Authorisation>, StoreError> {
        self.on()
            .scalar_optional_decoded(
                AUTHORISATION,
                (id.to_string(),),
                "reading an authorisation",
                decode_authorisation,
            )
            .await
    }

    async fn authorisations_of(&self, person: SubjectId) -> Result<Vec<Authorisation>, StoreError> {
        self.on()
            .scalar_decoded(
                AUTHORISATIONS_OF,
                (person.to_string(),),
                "reading a person's authorisations",
                decode_authorisation,
            )
            .await
    }

    async fn authorisations_by(
        &self,
        organisation: SubjectId,
    ) -> Result<Vec<Authorisation>, StoreError> {
        self.on()
            .scalar_decoded(
                AUTHORISATIONS_BY,
                (organisation.to_string(),),
                "reading an organisation's authorisations",
                decode_authorisation,
            )
            .await
    }

    async fn put_legacy(&self, login: &LegacyLogin) -> Result<bool, StoreError> {
        let inserted = self
            .on()
            .execute(
                INSERT_LEGACY,
                (
                    login.login_key.as_str(),
                    login.organisation.to_string(),
                    login.password.as_str(),
                ),
            )
            .await
            .context("importing a legacy account")?;
        Ok(inserted == 1)
    }

    async fn legacy(&self, login_key: &str) -> Result<Option<LegacyLogin>, StoreError> {
        self.on()
            .fetch_optional_decoded(
                LEGACY,
                (login_key,),
                "reading a legacy account",
                |(login_key, organisation, password): (String, String, String)| {
                    Ok(LegacyLogin {
                        login_key,
                        organisation: subject(&organisation)?,
                        password,
                    })
                },
            )
            .await
    }
}

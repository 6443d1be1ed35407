//! Acting for an organisation: the organisations a person represents or
//! heads, the authorisations they have given, and storing an authorisation
//! given, consented to or revoked together with the holder's audit trail.

use chrono::Utc;
use identity::{Authorisation, Holder, Organisation, SubjectId};
use store::{AuditEntry, StoreError};

use crate::state::AppState;

/// An account as stored: its holder, name and log-in.
pub type Account = store::Account;

/// Why an organisation's authorisations could not be read or changed: the
/// store failed.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct OrgError(#[from] StoreError);

/// The organisations `me` represents or heads, with their accounts.
pub async fn organisations_of(
    state: &AppState,
    me: SubjectId,
) -> Result<Vec<(Account, Organisation)>, OrgError> {
    let mut out = Vec::new();
    for org in state.store.organisations().organisations_of(me).await? {
        if let Some(account) = state.store.accounts().account(org).await?
            && let Holder::Organisation(o) = &account.holder
        {
            let o = o.clone();
            out.push((account, o));
        }
    }
    Ok(out)
}

/// The authorisations an organisation has given.
pub async fn authorisations_by(
    state: &AppState,
    organisation: SubjectId,
) -> Result<Vec<Authorisation>, OrgError> {
    Ok(state
        .store
        .organisations()
        .authorisations_by(organisation)
        .await?)
}

/// An authorisation by its id.
pub async fn authorisation(
    state: &AppState,
    id: uuid::Uuid,
) -> Result<Option<Authorisation>, OrgError> {
    Ok(state.store.organisations().authorisation(id).await?)
}

/// The account of `subject`, if there is one.
pub async fn account(state: &AppState, subject: SubjectId) -> Result<Option<Account>, OrgError> {
    Ok(state.store.accounts().account(subject).await?)
}

/// The account logging in under `login_key`, if there is one.
pub async fn account_by_login(
    state: &AppState,
    login_key: &str,
) -> Result<Option<Account>, OrgError> {
    Ok(state.store.accounts().account_by_login(login_key).await?)
}

/// Stores an authorisation (new or changed) and writes `event` with
/// `detail` into `me`'s audit trail.
pub async fn put_authorisation(
    state: &AppState,
    me: SubjectId,
    authorisation: &Authorisation,
    event: &str,
    detail: String,
) -> Result<(), OrgError> {
    state
        .store
        .organisations()
        .put_authorisation(authorisation)
        .await?;
    let entry = AuditEntry {
        at: Utc::now(),
        event: event.into(),
        client: None,
        detail,
    };
    state.store.accounts().audit(me, &entry).await?;
    Ok(())
}

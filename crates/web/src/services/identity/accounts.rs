//! The accounts: their audit trails, sessions, passkeys and the
//! challenges of passkey ceremonies, the consents given to services and
//! the organisations a person may act for.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use identity::SubjectId;
use identity::webauthn::Passkey;

use super::records::{Account, AuditEntry, Session, StoreError};
use crate::state::AppState;

/// The stored accounts.
fn stored(state: &AppState) -> &dyn store::AccountStore {
    state.store.accounts()
}

/// The account of `subject`.
pub async fn account(state: &AppState, subject: SubjectId) -> Result<Option<Account>, StoreError> {
    stored(state).account(subject).await
}

/// Adds `entry` to the audit trail of `subject`.
pub async fn audit(
    state: &AppState,
    subject: SubjectId,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    stored(state).audit(subject, entry).await
}

/// The latest `limit` entries of the audit trail of `subject`.
pub async fn audit_trail(
    state: &AppState,
    subject: SubjectId,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    stored(state).audit_trail(subject, limit).await
}

/// Stores a session under `key` until `expires`.
pub async fn put_session(
    state: &AppState,
    key: &str,
    session: &Session,
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    stored(state).put_session(key, session, expires).await
}

/// The unexpired session stored under `key`.
pub async fn session(
    state: &AppState,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    stored(state).session(key, now).await
}

/// Ends the session stored under `key`; whether there was one.
pub async fn end_session(state: &AppState, key: &str) -> Result<bool, StoreError> {
    stored(state).end_session(key).await
}

/// The scopes `subject` agreed to give `client_id`, if they agreed to any.
pub async fn consented_scopes(
    state: &AppState,
    subject: SubjectId,
    client_id: &str,
) -> Result<Option<BTreeSet<String>>, StoreError> {
    stored(state).consented_scopes(subject, client_id).await
}

/// Records that `subject` agrees to give `client_id` the `scopes`.
pub async fn give_consent(
    state: &AppState,
    subject: SubjectId,
    client_id: &str,
    scopes: &BTreeSet<String>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    stored(state)
        .give_consent(subject, client_id, scopes, at)
        .await
}

/// The organisations `person` represents.
pub async fn organisations_of(
    state: &AppState,
    person: SubjectId,
) -> Result<Vec<SubjectId>, StoreError> {
    state.store.organisations().organisations_of(person).await
}

/// The authorisations given to `person`.
pub async fn authorisations_of(
    state: &AppState,
    person: SubjectId,
) -> Result<Vec<identity::Authorisation>, StoreError> {
    state.store.organisations().authorisations_of(person).await
}

/// The passkeys of `subject`.
pub async fn passkeys_of(state: &AppState, subject: SubjectId) -> Result<Vec<Passkey>, StoreError> {
    stored(state).passkeys_of(subject).await
}

/// The passkey of `credential_id`, with its account's subject.
pub async fn passkey(
    state: &AppState,
    credential_id: &[u8],
) -> Result<Option<(SubjectId, Passkey)>, StoreError> {
    stored(state).passkey(credential_id).await
}

/// Adds a passkey to `subject`; whether it was new.
pub async fn add_passkey(
    state: &AppState,
    subject: SubjectId,
    passkey: &Passkey,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    stored(state).add_passkey(subject, passkey, at).await
}

/// Records a use of `passkey` whose counter was `seen`; false when another
/// use came first.
pub async fn use_passkey(
    state: &AppState,
    passkey: &Passkey,
    seen: u32,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    stored(state).use_passkey(passkey, seen, at).await
}

/// Keeps the state of a passkey ceremony of `kind` until `expires`.
pub async fn put_challenge(
    state: &AppState,
    id: &str,
    kind: &str,
    subject: Option<SubjectId>,
    challenge: &[u8],
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    stored(state)
        .put_challenge(id, kind, subject, challenge, expires)
        .await
}

/// Takes (once) the state of the ceremony `id`: its kind, its subject and
/// its bytes.
pub async fn take_challenge(
    state: &AppState,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, Option<SubjectId>, Vec<u8>)>, StoreError> {
    stored(state).take_challenge(id, now).await
}

/// Records a successful log-in of `subject` (its failures are forgotten).
pub async fn login_succeeded(state: &AppState, subject: SubjectId) -> Result<(), StoreError> {
    stored(state).login_succeeded(subject).await
}

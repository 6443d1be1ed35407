//! Reading stored dossiers and what hangs on them: one by its code, an
//! agency's queue, an applicant's notices, a dossier's files and the
//! service figures of a scorecard.

use chrono::{DateTime, Utc};
use dossier::{AgencyCode, DossierCode};
use store::StoreError;

use crate::state::AppState;

/// A dossier as stored, with its version.
pub type StoredDossier = store::StoredDossier;
/// A file attached to a dossier, as stored (without its content).
pub type StoredAttachment = store::StoredAttachment;
/// The counts a scorecard is made of.
pub type ServiceFigures = store::ServiceFigures;

/// The stored dossiers.
fn stored(state: &AppState) -> &dyn store::DossierStore {
    state.store.dossiers()
}

/// The dossier of that code, if there is one.
pub async fn dossier(
    state: &AppState,
    code: &DossierCode,
) -> Result<Option<StoredDossier>, StoreError> {
    stored(state).dossier(code).await
}

/// Up to `limit` dossiers of the agency's queue (only the open ones when
/// `open_only`).
pub async fn agency_queue(
    state: &AppState,
    agency: &AgencyCode,
    open_only: bool,
    limit: usize,
) -> Result<Vec<StoredDossier>, StoreError> {
    stored(state).agency_queue(agency, open_only, limit).await
}

/// Up to `limit` notices to `recipient`, newest first.
pub async fn notices(
    state: &AppState,
    recipient: &str,
    limit: usize,
) -> Result<Vec<store::NoticeRow>, StoreError> {
    stored(state).notices(recipient, limit).await
}

/// Marks `recipient`'s notices up to `up_to` read.
pub async fn mark_notices_read(
    state: &AppState,
    recipient: &str,
    up_to: i64,
    at: DateTime<Utc>,
) -> Result<u64, StoreError> {
    stored(state).mark_notices_read(recipient, up_to, at).await
}

/// The files attached to a dossier.
pub async fn attachments(
    state: &AppState,
    code: &DossierCode,
) -> Result<Vec<StoredAttachment>, StoreError> {
    stored(state).attachments(code).await
}

/// The file attached to a dossier for `document`, with its content.
pub async fn attachment(
    state: &AppState,
    code: &DossierCode,
    document: &str,
) -> Result<Option<(StoredAttachment, Vec<u8>)>, StoreError> {
    stored(state).attachment(code, document).await
}

/// The service figures of a province (or the whole country) between `from`
/// and `to`.
pub async fn service_figures(
    state: &AppState,
    province: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ServiceFigures, StoreError> {
    stored(state).service_figures(province, from, to).await
}

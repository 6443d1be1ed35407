//! The registered clients (relying parties): read through the provider's
//! short-lived cache, registered and removed by the administration API.

use std::sync::Arc;

use chrono::Utc;
use identity::client::{Client, ClientId};

use super::records::StoreError;
use crate::state::AppState;

/// Why a client could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The client is registered already and was not to be replaced.
    #[error("the client {0} is registered already")]
    Exists(ClientId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The registration of `id` (from the cache when read recently).
pub async fn registered(
    state: &AppState,
    id: &ClientId,
) -> Result<Option<Arc<Client>>, StoreError> {
    state.oidc.client(state.store.as_ref(), id, false).await
}

/// The registration of `id`, from the cache unless `fresh`.
pub async fn read(
    state: &AppState,
    id: &ClientId,
    fresh: bool,
) -> Result<Option<Arc<Client>>, StoreError> {
    state.oidc.client(state.store.as_ref(), id, fresh).await
}

/// Every registered client.
pub async fn all(state: &AppState) -> Result<Vec<Client>, StoreError> {
    state.store.oidc().clients().await
}

/// Registers `client`, replacing a registration of the same id only when
/// `replace`.
pub async fn register(
    state: &AppState,
    client: &Client,
    replace: bool,
) -> Result<(), RegisterError> {
    let oidc = state.store.oidc();
    let exists = oidc.client(&client.id).await?.is_some();
    if exists && !replace {
        return Err(RegisterError::Exists(client.id.clone()));
    }
    oidc.put_client(client, Utc::now()).await?;
    Ok(())
}

/// Removes the registration of `id`; whether there was one.
pub async fn remove(state: &AppState, id: &ClientId) -> Result<bool, StoreError> {
    state.store.oidc().delete_client(id).await
}

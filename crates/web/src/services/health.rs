//! Whether the server can serve: its database's kind and whether it
//! answers.

use store::{Backend, StoreError};

use crate::state::AppState;

/// The database's kind, as readiness names it.
pub fn database(state: &AppState) -> &'static str {
    match state.store.backend() {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Asks the database for an answer.
pub async fn ping(state: &AppState) -> Result<(), StoreError> {
    state.store.ping().await
}

//! The data tracker's reading: every logged access to one person's data in
//! a period.

use chrono::{DateTime, Utc};
use exchange::LogEntry;
use store::StoreError;

use crate::state::AppState;

/// The message log's entries of accesses to `person` between `from` and
/// `to`, in the log's order.
pub async fn accesses_to(
    state: &AppState,
    person: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<LogEntry>, StoreError> {
    state.store.exchange().accesses_to(person, from, to).await
}

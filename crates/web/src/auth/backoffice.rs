//! A connected back office calling the integration adapter: the national
//! integration profile carries its session in the body of each call
//! (`{session, madonvi, service, …}`), not in a header, so this extractor
//! reads the body, checks the session, and hands the handler the back
//! office with the rest of the body.

use axum::extract::{FromRequest, Request};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::extract::Json;
use crate::services::backoffice::offices;
use crate::state::AppState;

/// A back office logged in, and its call's body (`T`, the members beside
/// `session`).
#[derive(Debug, Clone)]
pub struct BackOffice<T> {
    /// The back office whose session it is.
    pub office: offices::Connected,
    /// The rest of the body.
    pub body: T,
}

#[derive(Deserialize)]
struct Sessioned<T> {
    #[serde(default)]
    session: Option<String>,
    #[serde(flatten)]
    rest: T,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for BackOffice<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let Json(Sessioned { session, rest }) =
            Json::<Sessioned<T>>::from_request(req, state).await?;
        let session = session.unwrap_or_default();
        if session.trim().is_empty() {
            return Err(ApiError::Unauthorized(format!(
                "session: log in at {} with the back office's id and password, and send the \
                 session it answers in each call",
                offices::LOGIN_PATH
            )));
        }
        match offices::by_session(state, &session, chrono::Utc::now()).await {
            Ok(Some(office)) => Ok(BackOffice { office, body: rest }),
            Ok(None) => Err(ApiError::Unauthorized(format!(
                "session: it has expired (a session lasts {} minutes) or was not opened here: \
                 log in again at {}",
                offices::SESSION_LIFETIME.num_minutes(),
                offices::LOGIN_PATH
            ))),
            Err(e) => Err(ApiError::Unavailable(format!(
                "the session could not be checked now ({e}); try again shortly"
            ))),
        }
    }
}

//! Who is calling: the one place that reads a request's credentials and
//! decides whom it speaks for.
//!
//! Handlers never read an `Authorization` header or a session cookie
//! themselves; they take one of the extractors below and get a typed
//! caller, or the request is refused before the handler runs:
//!
//! | extractor | who | credential |
//! | --- | --- | --- |
//! | [`ApiPerson`] | a person (or an organisation through its representative) | an access token issued **for the API** to a **trusted** client, with an API scope |
//! | [`Operator`] | an operator's system acting as itself | a `client_credentials` token for the API with the `admin` scope |
//! | [`PersonOrOperator`] | the person whose records these are (portal session), or an operator | a session cookie, or an operator's token |
//! | [`SignedIn`] / [`MaybeSignedIn`] | the person logged in on the portal (pages) | the session cookie |
//! | [`BackOffice`] | a province's back office calling the integration adapter | the adapter's session, in the call's body as the national profile has it |
//!
//! The rules every token must pass (`token.rs`): signed by this provider,
//! of type `at+jwt`, not expired, not revoked (itself or the log-in it
//! belongs to), bound DPoP keys proven for this very request; then, for
//! the API, its audience names the API, the client it was issued to is
//! registered now and trusted by the platform, and its scopes cover the
//! act ([`Scope`]). A third party's token (a service the person consented
//! to share their identity with) names only the provider as its audience
//! and opens nothing under `/api/v1`.
//!
//! A refusal is an [`AuthError`]: one type, answered as problem+json by the
//! API, as RFC 6750 JSON by the provider's own UserInfo, and as a log-in
//! redirect or a message by the pages.

pub mod address;
pub mod backoffice;
pub mod error;
pub mod scope;
pub mod session;
pub mod token;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::services::identity::records::{Account, Session, StoreError};
use crate::state::AppState;
pub use backoffice::BackOffice;
pub use error::AuthError;
pub use scope::{API_PATH, Scope, api_audience};
pub use token::AccessToken;

/// A person (or an organisation, through the person acting for it)
/// calling the API with an access token issued for it to a client the
/// platform trusts.
#[derive(Debug, Clone)]
pub struct ApiPerson {
    /// The account the token speaks for (the organisation's when a person
    /// acts for one).
    pub account: Account,
    /// The token.
    pub token: AccessToken,
}

impl ApiPerson {
    /// Refused unless the token was granted `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), AuthError> {
        self.token.require(scope)
    }

    /// Whether the token was granted `scope`.
    pub fn may(&self, scope: Scope) -> bool {
        self.token.has_scope(scope)
    }
}

impl FromRequestParts<AppState> for ApiPerson {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (token, account) = token::check_with_account(state, parts).await?;
        token.for_api(state).await?;
        if token.is_operator() {
            return Err(AuthError::insufficient(
                "this is done by people: use a person's token, not a system's",
                token.dpop,
            ));
        }
        if !token.is_person() {
            return Err(AuthError::insufficient(
                "this needs the token of a person's log-in",
                token.dpop,
            ));
        }
        if !token.has_scope(Scope::Dossiers) && !token.has_scope(Scope::Workbench) {
            return Err(AuthError::insufficient(
                format!(
                    "the token needs the scope {} or {}",
                    Scope::Dossiers.as_str(),
                    Scope::Workbench.as_str()
                ),
                token.dpop,
            ));
        }
        let account = account.ok_or_else(|| {
            AuthError::invalid("the account of this token no longer exists", token.dpop)
        })?;
        Ok(ApiPerson { account, token })
    }
}

/// No token: no caller (a public answer); a token: checked as
/// [`ApiPerson`] is, and refused when it does not pass.
impl axum::extract::OptionalFromRequestParts<AppState> for ApiPerson {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(None);
        }
        <ApiPerson as FromRequestParts<AppState>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// An operator's system calling the API as itself (`client_credentials`,
/// `admin` scope, a client the platform trusts).
#[derive(Debug, Clone)]
pub struct Operator {
    /// The operator's client id.
    pub client_id: String,
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = token::check(state, parts).await?;
        operator_of(state, token).await
    }
}

async fn operator_of(state: &AppState, token: AccessToken) -> Result<Operator, AuthError> {
    if !token.is_operator() {
        return Err(AuthError::insufficient(
            "this is done by an operator's system with its own token \
             (client_credentials) with the admin scope, not with a person's",
            token.dpop,
        ));
    }
    token.for_api(state).await?;
    Ok(Operator {
        client_id: token.client_id,
    })
}

/// The person a record belongs to, on the portal (their session), or an
/// operator's system (its `admin` token): who may read or change a
/// person's own records (their data tracker, their consents).
#[derive(Debug, Clone)]
pub enum PersonOrOperator {
    /// A person logged in on the portal, and their account.
    Person(Box<Account>),
    /// An operator's system (its client id).
    Operator(String),
}

impl PersonOrOperator {
    /// Refused unless the caller is an operator or the citizen `pid`.
    pub fn for_person(self, pid: &str) -> Result<Self, AuthError> {
        match &self {
            PersonOrOperator::Operator(_) => Ok(self),
            PersonOrOperator::Person(a) => match &a.holder {
                identity::Holder::Citizen(c) if c.pin().to_string() == pid => Ok(self),
                _ => Err(AuthError::Forbidden(
                    "each person sees and changes only their own records".into(),
                )),
            },
        }
    }
}

impl FromRequestParts<AppState> for PersonOrOperator {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let token = token::check(state, parts).await?;
            return operator_of(state, token).await.map_or_else(
                |_| {
                    Err(AuthError::Forbidden(
                        "a person's records are read by the person (logged in on the portal) \
                         or by an operator's system with an admin token"
                            .into(),
                    ))
                },
                |o| Ok(PersonOrOperator::Operator(o.client_id)),
            );
        }
        match session::current(state, &parts.headers).await? {
            Some((_, account)) => Ok(PersonOrOperator::Person(Box::new(account))),
            None => Err(AuthError::Missing(
                "log in on the portal first (or present an operator's admin token)",
            )),
        }
    }
}

/// The person logged in on the portal (pages). Without a session the
/// browser is sent to the log-in page, coming back to the page it asked
/// for.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The session.
    pub session: Session,
    /// Its account.
    pub account: Account,
}

/// A page's refusal for want of a session: to the log-in page and back.
#[derive(Debug)]
pub enum LogInFirst {
    /// No session: log in, then come back to `back` (this site's path).
    Redirect { back: String },
    /// The session could not be read.
    Unavailable(StoreError),
}

impl IntoResponse for LogInFirst {
    fn into_response(self) -> Response {
        match self {
            LogInFirst::Redirect { back } => crate::reply::see_other(&login_href(&back)),
            LogInFirst::Unavailable(e) => {
                tracing::error!(error = %e, "reading a session");
                // a problem: a browser gets the portal's page for it, in
                // its reader's language (`pages::failure::for_browsers`)
                let mut res = crate::error::ApiError::Unavailable(
                    "Log-ins cannot be checked just now; please try again in a few minutes."
                        .to_string(),
                )
                .into_response();
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
                res
            }
        }
    }
}

/// Where the portal's log-in page is, coming back to `next`.
pub fn login_href(next: &str) -> String {
    format!("/dang-nhap?next={}", query_encode(next))
}

/// Percent-encodes a query value (`application/x-www-form-urlencoded`).
pub fn query_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = LogInFirst;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match <SignedIn as axum::extract::OptionalFromRequestParts<AppState>>::from_request_parts(
            parts, state,
        )
        .await?
        {
            Some(signed_in) => Ok(signed_in),
            None => Err(LogInFirst::Redirect {
                back: parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string()),
            }),
        }
    }
}

/// The person logged in on the portal, if any (pages that change with a
/// log-in but need none).
impl axum::extract::OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = LogInFirst;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        let found = session::current_once(parts, state)
            .await
            .map_err(LogInFirst::Unavailable)?;
        Ok(found.map(|signed| {
            let (session, account) = &*signed;
            SignedIn {
                session: session.clone(),
                account: account.clone(),
            }
        }))
    }
}

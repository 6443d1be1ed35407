//! What the provider keeps of the tokens it hands out: authorization
//! codes, refresh grants and their rotation, revocations, pushed
//! authorization requests, the one-time use of proofs and assertions, and
//! the pairwise subject identifiers it gave.
//!
//! A grant is one redemption of a person's authorization code: the refresh
//! family it starts, and every access token issued in it, which carries
//! the grant's id in the private claim `grant_id` ([`GRANT_CLAIM`]).

use chrono::{DateTime, Utc};
use identity::authz::{CodeGrant, RefreshGrant};
use identity::client::{Client, SubjectType};

use super::records::{StoreError, TokenAccount};
use crate::state::AppState;

/// How long a refresh token lives (each use gives a new one for as long).
pub const REFRESH_TTL: chrono::Duration = chrono::Duration::hours(12);

/// The private claim of a person's access token that names its grant.
pub const GRANT_CLAIM: &str = "grant_id";

/// How long a grant's revocation, and a redeemed code with the grant it
/// gave, are kept: longer than any token of the grant lives (a refresh
/// token issued at the last moment, then an access token it gives at the
/// end of its life).
pub const GRANT_MEMORY: chrono::Duration = chrono::Duration::seconds(
    REFRESH_TTL.num_seconds() + identity::client::MAX_ACCESS_TOKEN_TTL as i64,
);

/// How old a DPoP proof may be.
pub const DPOP_MAX_AGE: chrono::Duration = chrono::Duration::seconds(60);

/// The key a refresh token is stored under: its SHA-256, base64url.
pub fn refresh_token_hash(token: &str) -> String {
    identity::jwk::sha256_b64url(token)
}

/// What presenting a refresh token came to.
#[derive(Debug)]
pub enum Rotation {
    /// It was live: it is used up now, and the new token carries the same
    /// grant.
    Rotated(RefreshGrant),
    /// It had been used or revoked already: its whole grant is revoked.
    Reused {
        /// The family (the grant's id) revoked.
        family: String,
    },
    /// Past its expiry.
    Expired,
    /// No such token.
    Unknown,
}

/// What presenting an authorization code came to.
#[derive(Debug)]
pub enum Redemption {
    /// The first redemption: the code's grant.
    First(Box<CodeGrant>),
    /// It was redeemed before: the grant its first redemption created is
    /// revoked now.
    Replayed {
        /// The first redemption's grant id.
        grant: String,
    },
    /// No such code.
    Unknown,
}

/// Why a subject identifier could not be worked out.
#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    /// A stored sector or subject is not well formed.
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the store keeps for the provider.
fn stored(state: &AppState) -> &dyn store::OidcStore {
    state.store.oidc()
}

/// Whether `id` is used for the first time (it is remembered until
/// `keep_until`): for DPoP proofs and client assertions.
pub async fn first_use(
    state: &AppState,
    id: &str,
    keep_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    stored(state).first_use(id, keep_until, now).await
}

/// Keeps a pushed authorization request (`query`) of `client_id` under
/// the hash of its `request_uri` until `expires`.
pub async fn push_request(
    state: &AppState,
    uri_hash: &str,
    client_id: &str,
    query: &str,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    stored(state)
        .put_pushed_request(uri_hash, client_id, query, expires, now)
        .await
}

/// The pushed request kept under `uri_hash`: its client and its query.
pub async fn pushed_request(
    state: &AppState,
    uri_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(String, String)>, StoreError> {
    stored(state).pushed_request(uri_hash, now).await
}

/// Keeps an authorization code (by its hash) until `expires`.
pub async fn put_code(
    state: &AppState,
    code_hash: &str,
    grant: &CodeGrant,
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    stored(state).put_code(code_hash, grant, expires).await
}

/// Redeems the code of `code_hash` as the grant `grant_id`; a second
/// redemption revokes the grant of the first (RFC 6749 §4.1.2).
pub async fn redeem_code(
    state: &AppState,
    code_hash: &str,
    grant_id: &str,
    now: DateTime<Utc>,
) -> Result<Redemption, StoreError> {
    let oidc = stored(state);
    match oidc
        .take_code(code_hash, grant_id, now + GRANT_MEMORY)
        .await?
    {
        store::TakenCode::First(grant) => Ok(Redemption::First(grant)),
        store::TakenCode::Replayed { grant } => {
            oidc.revoke_grant(&grant, now + GRANT_MEMORY, now).await?;
            Ok(Redemption::Replayed { grant })
        }
        store::TakenCode::Unknown => Ok(Redemption::Unknown),
    }
}

/// Keeps a refresh token (by its hash) of `grant` until `expires`.
pub async fn put_refresh(
    state: &AppState,
    token_hash: &str,
    grant: &RefreshGrant,
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    stored(state).put_refresh(token_hash, grant, expires).await
}

/// Uses up the refresh token `presented` for `new_token` in the same
/// grant; a token used before revokes its grant.
pub async fn rotate_refresh(
    state: &AppState,
    presented: &str,
    new_token: &str,
    now: DateTime<Utc>,
) -> Result<Rotation, StoreError> {
    let outcome = stored(state)
        .rotate_refresh(
            &refresh_token_hash(presented),
            &refresh_token_hash(new_token),
            now,
            now + REFRESH_TTL,
            now + GRANT_MEMORY,
        )
        .await?;
    Ok(match outcome {
        store::RefreshOutcome::Rotated(g) => Rotation::Rotated(g),
        store::RefreshOutcome::Reused { family } => Rotation::Reused { family },
        store::RefreshOutcome::Expired => Rotation::Expired,
        store::RefreshOutcome::Unknown => Rotation::Unknown,
    })
}

/// The grant of a refresh token (live or not).
pub async fn refresh_grant(
    state: &AppState,
    token: &str,
) -> Result<Option<RefreshGrant>, StoreError> {
    stored(state)
        .refresh_grant(&refresh_token_hash(token))
        .await
}

/// Revokes a grant: its refresh tokens and its access tokens.
pub async fn revoke_grant(
    state: &AppState,
    family: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    stored(state)
        .revoke_grant(family, now + GRANT_MEMORY, now)
        .await
}

/// Revokes one access token (remembered until it expires).
pub async fn revoke_token(
    state: &AppState,
    jti: &str,
    exp: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    stored(state).revoke_token(jti, exp, now).await
}

/// Whether the access token `jti`, or its grant, is revoked.
pub async fn is_revoked(
    state: &AppState,
    jti: &str,
    grant: Option<&str>,
) -> Result<bool, StoreError> {
    stored(state).is_revoked(jti, grant).await
}

/// The subject identifier `client` knows the account `internal` by: the
/// account's own, or for a pairwise client one of its sector's (recorded,
/// when `record`, so that UserInfo finds the account again).
pub async fn subject_for(
    state: &AppState,
    client: &Client,
    internal: &str,
    record: bool,
) -> Result<String, SubjectError> {
    let SubjectType::Pairwise { sector } = &client.subject_type else {
        return Ok(internal.to_string());
    };
    let sector_id = identity::SectorIdentifier::parse(sector)
        .map_err(|e| SubjectError::Invalid(e.to_string()))?;
    let local =
        identity::SubjectId::parse(internal).map_err(|e| SubjectError::Invalid(e.to_string()))?;
    let sub = identity::pairwise_subject(&sector_id, &local, state.oidc.pairwise());
    if record {
        stored(state)
            .record_pairwise(sector, &sub, internal)
            .await?;
    }
    Ok(sub)
}

/// The account subject behind `sub` as client `client_id` knows it (its
/// pairwise identifier mapped back), if it names one.
pub async fn internal_subject(
    state: &AppState,
    client_id: &str,
    sub: &str,
) -> Result<Option<identity::SubjectId>, StoreError> {
    let internal = match identity::client::ClientId::parse(client_id) {
        Ok(id) => match super::clients::registered(state, &id).await? {
            Some(c) => match &c.subject_type {
                SubjectType::Pairwise { sector } => {
                    stored(state).pairwise_account(sector, sub).await?
                }
                SubjectType::Public => Some(sub.to_string()),
            },
            None => None,
        },
        Err(_) => None,
    };
    Ok(internal
        .as_deref()
        .and_then(|s| identity::SubjectId::parse(s).ok()))
}

/// The account of an access token's `subject`, read with the token's
/// revocation and its grant's in one statement; without a subject, the
/// revocation alone.
pub async fn token_account(
    state: &AppState,
    subject: Option<identity::SubjectId>,
    jti: &str,
    grant: Option<&str>,
) -> Result<TokenAccount, StoreError> {
    match subject {
        Some(subject) => {
            state
                .store
                .accounts()
                .token_account(subject, jti, grant)
                .await
        }
        None => {
            if stored(state).is_revoked(jti, grant).await? {
                Ok(store::TokenAccount::Revoked)
            } else {
                Ok(store::TokenAccount::NoAccount)
            }
        }
    }
}

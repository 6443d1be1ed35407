//! The OpenID Connect provider's protocol endpoints, outside `/api/v1`
//! because their shapes are fixed by the RFCs:
//!
//! - `GET /.well-known/openid-configuration` (and the same document at
//!   `/.well-known/oauth-authorization-server`, RFC 8414): what the provider
//!   supports, listing only what it implements;
//! - `GET /oidc/jwks`: the signing keys (RFC 7517), the next and the
//!   previous ones included while they matter;
//! - `POST /oidc/token`: the token endpoint (RFC 6749 §3.2). Grant
//!   `client_credentials` for agency systems, authenticated with
//!   `client_secret_basic` or `client_secret_post` as the client is
//!   registered; the access token is a JWT (RFC 9068) signed with EdDSA;
//!   With a `DPoP` proof (RFC 9449: fresh, for this endpoint, used once) the
//!   token is bound to the proof's key (`cnf.jkt`, `token_type` `DPoP`);
//! - `POST /oidc/introspect` (RFC 7662): whether a token is active, for the
//!   client it was issued to or the one named as its audience;
//! - `POST /oidc/revoke` (RFC 7009): the client that holds a token ends
//!   it; introspection answers `active: false` from then on (a resource
//!   server that only checks the signature accepts it until it expires,
//!   which is why access tokens live minutes). A refresh token ends its
//!   whole grant.
//!
//! A grant is one redemption of a person's authorization code: the refresh
//! family it starts, and every access token issued in it, which carries
//! the grant's id in the private claim `grant_id` (([`GRANT_CLAIM`](crate::services::identity::grants::GRANT_CLAIM))).
//! Revoking a grant (a refresh token revoked, presented a second time, or
//! its code redeemed a second time) stops its refresh tokens and has every
//! check of its access tokens here refuse them.
//!
//! Beside them, the pages of the browser's flow: the authorization
//! endpoint (`GET /oidc/authorize`), the log-in (`POST /oidc/login`, and
//! with a passkey `POST /oidc/passkey/options` and `/oidc/passkey/login`),
//! consent (`POST /oidc/consent`), acting for an organisation
//! (`POST /oidc/act`) and logout (`/oidc/logout`). Every file here is HTTP
//! only: what is stored goes through [`crate::services::identity`].
//!
//! Errors of the token endpoint are the RFC 6749 §5.2 JSON
//! (`{"error", "error_description"}`), which every OAuth client library
//! reads, not problem+json. Repeated failed client authentications are
//! answered 429 for a while (per client id), so secrets cannot be guessed
//! at the endpoint's speed.

pub mod act_for;
pub mod authorize;
pub mod client_auth;
pub mod consent;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod flow;
pub mod grants;
pub mod http;
pub mod introspect;
pub mod login;
pub mod logout;
pub mod mint;
pub mod par;
pub mod passkey;
pub mod revoke;
pub mod token;
pub mod userinfo;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// The routes of the provider.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::metadata),
        )
        .route("/oidc/jwks", get(discovery::jwks))
        .route("/oidc/authorize", get(authorize::authorize))
        .route("/oidc/login", post(login::login))
        .route("/oidc/act", post(act_for::act))
        .route("/oidc/passkey/options", post(passkey::request_options))
        .route("/oidc/passkey/login", post(passkey::login))
        .route("/oidc/consent", post(consent::consent))
        .route(
            "/oidc/logout",
            get(logout::logout_get).post(logout::logout_post),
        )
        .route("/oidc/par", post(par::par))
        .route("/oidc/token", post(token::token))
        .route(
            "/oidc/userinfo",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route("/oidc/introspect", post(introspect::introspect))
        .route("/oidc/revoke", post(revoke::revoke))
}

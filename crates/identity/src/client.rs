//! Relying parties of the OpenID Connect provider: the portal, each
//! province's back office, ministries' systems. What a client may do is
//! decided here; storing them is the store's.
//!
//! Client secrets are made by the provider (32 random bytes, base64url) and
//! shown once; only their SHA-256 is kept. A secret of that entropy cannot
//! be guessed, so a fast hash is enough (unlike a person's password, which
//! is hashed with argon2id), and the token endpoint stays fast.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why a client registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The client id has the wrong shape.
    #[error("a client id is 3 to 64 letters, digits, '.', '_' or '-', got {0:?}")]
    BadId(String),
    /// A redirect URI is not acceptable.
    #[error("redirect URI {uri:?}: {reason}")]
    BadRedirect {
        /// The URI.
        uri: String,
        /// Why.
        reason: &'static str,
    },
    /// The grants, the authentication method and the redirect URIs do not
    /// fit together.
    #[error("{0}")]
    Inconsistent(&'static str),
    /// A scope the provider does not know.
    #[error("unknown scope {0:?} (known: openid profile pid address org dossiers workbench admin)")]
    UnknownScope(String),
    /// A scope of the platform's own API asked for a client the platform
    /// does not trust.
    #[error(
        "the scope {0:?} opens the platform's own API: only a trusted (first-party) client may hold it"
    )]
    UntrustedApiScope(String),
    /// A grant type the provider does not serve.
    #[error(
        "unknown grant type {0:?} (known: authorization_code refresh_token client_credentials)"
    )]
    UnknownGrant(String),
    /// An authentication method the provider does not take.
    #[error(
        "unknown authentication method {0:?} (known: client_secret_basic client_secret_post private_key_jwt none)"
    )]
    UnknownAuthMethod(String),
    /// The client's JWK Set cannot be used.
    #[error("the client's keys: {0}")]
    BadKeys(String),
    /// A name that is empty or too long.
    #[error("a client's name is 1 to 200 characters")]
    BadName,
}

/// A client id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientId(String);

impl ClientId {
    /// Checks the shape.
    pub fn parse(s: &str) -> Result<Self, ClientError> {
        let ok = (3..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok {
            Ok(ClientId(s.to_string()))
        } else {
            Err(ClientError::BadId(s.to_string()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

domain::display_as_str!(ClientId);
domain::text_conversions!(ClientId, ClientError);

/// The grants of the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    /// Log-in of a person through the browser.
    AuthorizationCode,
    /// Renewal of a person's session.
    RefreshToken,
    /// An agency system acting as itself.
    ClientCredentials,
}

impl GrantType {
    /// The `grant_type` parameter's value.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
        }
    }

    /// From the `grant_type` parameter.
    pub fn parse(s: &str) -> Option<Self> {
        [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ]
        .into_iter()
        .find(|g| g.as_str() == s)
    }
}

/// How a client proves itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// HTTP Basic with the client id and secret.
    ClientSecretBasic,
    /// The client id and secret in the form body.
    ClientSecretPost,
    /// A JWT signed with the client's own key (RFC 7523).
    PrivateKeyJwt,
    /// A public client (a phone app): no secret, PKCE only.
    None,
}

impl AuthMethod {
    /// The metadata value.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::None => "none",
        }
    }

    /// Whether the method uses a shared secret.
    pub fn uses_secret(self) -> bool {
        matches!(
            self,
            AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
        )
    }
}

impl AuthMethod {
    /// From the metadata value.
    pub fn parse(s: &str) -> Option<Self> {
        [
            AuthMethod::ClientSecretBasic,
            AuthMethod::ClientSecretPost,
            AuthMethod::PrivateKeyJwt,
            AuthMethod::None,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// What registering a relying party takes, from the command line or the
/// administration API.
#[derive(Debug, Clone, Deserialize)]
pub struct Registration {
    /// The client id.
    pub client_id: String,
    /// Its name, shown to people.
    pub name: String,
    /// The grants it may use (`authorization_code`, `refresh_token`,
    /// `client_credentials`).
    pub grant_types: Vec<String>,
    /// How it authenticates (default `client_secret_basic`).
    #[serde(default = "default_auth_method")]
    pub token_endpoint_auth_method: String,
    /// Where the browser may come back.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where the browser may go after logging out.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The scopes it may ask for.
    pub scopes: Vec<String>,
    /// A sector for pairwise subjects.
    #[serde(default)]
    pub pairwise_sector: Option<String>,
    /// Its public keys (`private_key_jwt`), a JWK Set.
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// Lifetime of its access tokens, seconds (default 600).
    #[serde(default = "default_ttl")]
    pub access_token_ttl: u32,
    /// Its requests must be pushed first (PAR).
    #[serde(default)]
    pub require_par: bool,
    /// A first-party service: no consent asked.
    #[serde(default)]
    pub trusted: bool,
}

fn default_auth_method() -> String {
    AuthMethod::ClientSecretBasic.as_str().to_string()
}

fn default_ttl() -> u32 {
    600
}

impl Registration {
    /// The client registered, and its new secret when it uses one (made
    /// from `random`, shown once; only its hash is kept).
    pub fn build(self, random: &[u8; 32]) -> Result<(Client, Option<String>), ClientError> {
        let id = ClientId::parse(&self.client_id)?;
        let auth_method = AuthMethod::parse(&self.token_endpoint_auth_method).ok_or_else(|| {
            ClientError::UnknownAuthMethod(self.token_endpoint_auth_method.clone())
        })?;
        let grant_types = self
            .grant_types
            .iter()
            .map(|g| GrantType::parse(g).ok_or_else(|| ClientError::UnknownGrant(g.clone())))
            .collect::<Result<BTreeSet<_>, _>>()?;
        if let Some(set) = &self.jwks {
            let keys: Vec<crate::jwk::PublicJwk> = set
                .get("keys")
                .and_then(|k| serde_json::from_value(k.clone()).ok())
                .ok_or_else(|| ClientError::BadKeys("not a JWK Set ({\"keys\": [...]})".into()))?;
            for k in &keys {
                let alg = if k.kty == "OKP" { "EdDSA" } else { "ES256" };
                crate::jwk::VerifyKey::of(alg, k)
                    .map_err(|e| ClientError::BadKeys(format!("a key is not usable: {e}")))?;
                if k.kid.is_none() {
                    return Err(ClientError::BadKeys("every key needs a kid".into()));
                }
            }
        }
        let secret = auth_method
            .uses_secret()
            .then(|| secret_from_random(random));
        let client = Client {
            id,
            name: self.name,
            auth_method,
            secret_hash: secret.as_deref().map(SecretHash::of),
            jwks: self.jwks,
            redirect_uris: self.redirect_uris,
            grant_types,
            scopes: self.scopes.into_iter().collect(),
            subject_type: match self.pairwise_sector {
                Some(sector) => SubjectType::Pairwise { sector },
                None => SubjectType::Public,
            },
            access_token_ttl: self.access_token_ttl,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            require_par: self.require_par,
            trusted: self.trusted,
        };
        client.validate()?;
        Ok((client, secret))
    }
}

/// A person's own dossiers through the API: file, follow, act as their
/// applicant.
pub const SCOPE_DOSSIERS: &str = "dossiers";
/// An officer's or leader's work through the API at the agencies they
/// work for.
pub const SCOPE_WORKBENCH: &str = "workbench";
/// The administration of the platform through the API (a system's own
/// `client_credentials` token).
pub const SCOPE_ADMIN: &str = "admin";

/// The scopes the provider knows.
pub const SCOPES: [&str; 8] = [
    "openid",
    "profile",
    "pid",
    "address",
    "org",
    SCOPE_DOSSIERS,
    SCOPE_WORKBENCH,
    SCOPE_ADMIN,
];

/// The scopes that open the platform's own API (`/api/v1`): only clients
/// registered as trusted hold them, and a token that carries one is meant
/// for the API as well as for the provider.
pub const API_SCOPES: [&str; 3] = [SCOPE_DOSSIERS, SCOPE_WORKBENCH, SCOPE_ADMIN];

/// Whether `scope` opens the platform's own API.
pub fn is_api_scope(scope: &str) -> bool {
    API_SCOPES.contains(&scope)
}

/// How the subject of a person is shown to this client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SubjectType {
    /// The same identifier for every client that may link (by law).
    Public,
    /// An identifier of its own for this sector (OIDC Core §8.1).
    Pairwise {
        /// The sector (host of the redirect URIs, or a sector URI).
        sector: String,
    },
}

/// The SHA-256 of a client secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretHash([u8; 32]);

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(…)")
    }
}

impl SecretHash {
    /// The hash of `secret`.
    pub fn of(secret: &str) -> Self {
        SecretHash(Sha256::digest(secret.as_bytes()).into())
    }

    /// Whether `secret` is the one hashed, compared in constant time.
    pub fn matches(&self, secret: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
        crate::same_bytes(&self.0, &other)
    }
}

impl TryFrom<String> for SecretHash {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let bytes = B64
            .decode(s.as_bytes())
            .map_err(|_| "a secret hash is 32 bytes in base64url".to_string())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "a secret hash is 32 bytes in base64url".to_string())?;
        Ok(SecretHash(bytes))
    }
}

impl From<SecretHash> for String {
    fn from(h: SecretHash) -> Self {
        B64.encode(h.0)
    }
}

/// A new client secret from 32 random bytes (the caller's randomness).
pub fn secret_from_random(bytes: &[u8; 32]) -> String {
    B64.encode(bytes)
}

/// A registered relying party.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    /// Its id.
    pub id: ClientId,
    /// Its name, shown on the consent page.
    pub name: String,
    /// How it authenticates.
    pub auth_method: AuthMethod,
    /// The hash of its secret (secret methods only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hash: Option<SecretHash>,
    /// Its public keys (`private_key_jwt`), as a JWK Set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// Where the browser may be sent back.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// The grants it may use.
    pub grant_types: BTreeSet<GrantType>,
    /// The scopes it may ask for.
    pub scopes: BTreeSet<String>,
    /// How people's subjects are shown to it.
    pub subject_type: SubjectType,
    /// Lifetime of its access tokens, seconds.
    pub access_token_ttl: u32,
    /// Where the browser may be sent after logging out (RP-initiated
    /// logout), compared exactly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    /// Its authorization requests must be pushed first (RFC 9126), as the
    /// FAPI 2.0 security profile requires.
    #[serde(default)]
    pub require_par: bool,
    /// A first-party service of the platform (the portal, a province's
    /// back office): people are not asked to consent to what it reads.
    #[serde(default)]
    pub trusted: bool,
}

/// The longest access-token lifetime a client may have (one hour).
pub const MAX_ACCESS_TOKEN_TTL: u32 = 3600;

impl Client {
    /// Checks that the registration holds together.
    pub fn validate(&self) -> Result<(), ClientError> {
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(ClientError::BadName);
        }
        if let Some(s) = self.scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
            return Err(ClientError::UnknownScope(s.clone()));
        }
        if !self.trusted
            && let Some(s) = self.scopes.iter().find(|s| is_api_scope(s))
        {
            return Err(ClientError::UntrustedApiScope(s.clone()));
        }
        if self.grant_types.is_empty() {
            return Err(ClientError::Inconsistent(
                "a client needs at least one grant type",
            ));
        }
        if self.auth_method.uses_secret() != self.secret_hash.is_some() {
            return Err(ClientError::Inconsistent(
                "a client has a secret exactly when it authenticates with one",
            ));
        }
        if (self.auth_method == AuthMethod::PrivateKeyJwt) != self.jwks.is_some() {
            return Err(ClientError::Inconsistent(
                "a client has keys exactly when it authenticates with private_key_jwt",
            ));
        }
        if self.grant_types.contains(&GrantType::ClientCredentials)
            && self.auth_method == AuthMethod::None
        {
            return Err(ClientError::Inconsistent(
                "client_credentials needs a confidential client (a secret or a key)",
            ));
        }
        if self.grant_types.contains(&GrantType::AuthorizationCode) && self.redirect_uris.is_empty()
        {
            return Err(ClientError::Inconsistent(
                "authorization_code needs at least one redirect URI",
            ));
        }
        if self.grant_types.contains(&GrantType::RefreshToken)
            && !self.grant_types.contains(&GrantType::AuthorizationCode)
        {
            return Err(ClientError::Inconsistent(
                "refresh_token comes with authorization_code",
            ));
        }
        if !(60..=MAX_ACCESS_TOKEN_TTL).contains(&self.access_token_ttl) {
            return Err(ClientError::Inconsistent(
                "an access token lives 60 to 3600 seconds",
            ));
        }
        for uri in self
            .redirect_uris
            .iter()
            .chain(&self.post_logout_redirect_uris)
        {
            check_redirect(uri)?;
        }
        Ok(())
    }

    /// Whether `uri` is one of its post-logout redirect URIs.
    pub fn allows_post_logout(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris.iter().any(|u| u == uri)
    }

    /// Whether `uri` is one of its redirect URIs, compared exactly.
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri)
    }

    /// The scopes of a request that it may have: all of its own when none
    /// is asked; `Err` names the first one it may not have.
    pub fn grant_scopes<'a>(
        &self,
        asked: impl IntoIterator<Item = &'a str>,
    ) -> Result<BTreeSet<String>, String> {
        let mut out = BTreeSet::new();
        for s in asked {
            if !self.scopes.contains(s) {
                return Err(s.to_string());
            }
            out.insert(s.to_string());
        }
        if out.is_empty() {
            out = self.scopes.clone();
        }
        Ok(out)
    }
}

/// A redirect URI: absolute, `https` (or `http` to the local machine, for
/// development and native apps), no fragment, no user info.
fn check_redirect(uri: &str) -> Result<(), ClientError> {
    let bad = |reason| ClientError::BadRedirect {
        uri: uri.to_string(),
        reason,
    };
    if uri.contains('#') {
        return Err(bad("a redirect URI has no fragment"));
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("a redirect URI has no spaces"));
    }
    let rest = if let Some(rest) = uri.strip_prefix("https://") {
        rest
    } else if let Some(rest) = uri.strip_prefix("http://") {
        let host = rest.split(['/', '?']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if !matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
            return Err(bad("http is only for the local machine: use https"));
        }
        rest
    } else {
        return Err(bad("a redirect URI is an absolute https URL"));
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err(bad("a redirect URI names a host"));
    }
    if authority.contains('@') {
        return Err(bad("a redirect URI has no user information"));
    }
    Ok(())
}

//! The provider's state: its issuer, its signing keys (read from the
//! store, reloaded after a rotation), the registrations it keeps in memory
//! for a while, the guard against guessing client secrets and the limit on
//! log-in attempts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use identity::client::{Client, ClientId};
use identity::jwt::{JwkSet, KeySet, SigningKey};
use identity::level::AssuranceLevel;

/// Failed client authentications allowed per client id in
/// [`FAILURE_WINDOW`] before the endpoint answers 429.
pub const MAX_FAILURES: u32 = 10;
/// The window of [`MAX_FAILURES`].
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// How long a node keeps a client's registration (or its absence) before
/// reading it again: a change (a new secret, a removal) takes effect on
/// every node within this time.
pub const CLIENT_CACHE_TTL: Duration = Duration::from_secs(5);
/// How often a running server reads the signing keys again, so that a
/// rotation reaches every node.
pub const KEY_RELOAD_EVERY: Duration = Duration::from_secs(30);
/// The most registrations a node keeps in memory.
const CLIENT_CACHE_MAX: usize = 10_000;

/// Why the provider could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store failed.
    #[error("the provider's keys: {0}")]
    Store(#[from] store::StoreError),
    /// The stored keys do not form a key set.
    #[error("the stored signing keys: {0}")]
    Keys(&'static str),
    /// The stored pairwise salt is not usable.
    #[error("the stored pairwise salt: {0}")]
    Salt(String),
    /// No randomness for a first key.
    #[error("no randomness for the first signing key: {0}")]
    Random(String),
    /// The issuer is not an absolute http(s) URL without query or fragment.
    #[error(
        "the issuer {0:?} must be an absolute https URL (http for a local machine) without query or fragment"
    )]
    Issuer(String),
}

/// How a provider differs from the defaults.
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    /// From this instant the old portals' organisation accounts are
    /// refused (default 2025-07-01T00:00+07:00).
    pub legacy_cutover: chrono::DateTime<chrono::FixedOffset>,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        ProviderOptions {
            legacy_cutover: identity::default_cutover(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// The provider: its issuer, its keys and the guard against guessing.
pub struct OidcProvider {
    issuer: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Log-in attempts per client address.
    login_limiter: crate::ratelimit::Limiter,
    /// From this instant the old portals' organisation accounts are refused.
    legacy_cutover: chrono::DateTime<chrono::FixedOffset>,
    /// The secret behind pairwise subject identifiers (kept in the store).
    pairwise: identity::PairwiseSalt,
    keys: RwLock<KeySet>,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
    clients: RwLock<HashMap<ClientId, CachedClient>>,
}

/// A registration read at an instant (`None`: there was none).
type CachedClient = (Instant, Option<Arc<Client>>);

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl OidcProvider {
    /// Loads the stored signing keys, storing a first one when there are
    /// none (once, however many nodes start together).
    pub async fn start(issuer: &str, store: &dyn store::Store) -> Result<Arc<Self>, StartError> {
        Self::start_with(issuer, store, ProviderOptions::default()).await
    }

    /// [`OidcProvider::start`], with the instant the old portals'
    /// organisation accounts stop (`--legacy-cutover`).
    pub async fn start_with(
        issuer: &str,
        store: &dyn store::Store,
        options: ProviderOptions,
    ) -> Result<Arc<Self>, StartError> {
        let ProviderOptions {
            legacy_cutover,
            trusted_proxies,
        } = options;
        let issuer = issuer.trim_end_matches('/').to_string();
        let valid = (issuer.starts_with("https://") || issuer.starts_with("http://"))
            && !issuer.contains(['?', '#'])
            && issuer.split("://").nth(1).is_some_and(|h| !h.is_empty());
        if !valid {
            return Err(StartError::Issuer(issuer));
        }
        let mut stored = store.oidc().signing_keys().await?;
        if stored.is_empty() {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| StartError::Random(e.to_string()))?;
            stored = store
                .oidc()
                .init_signing_key(&SigningKey::from_seed(&seed))
                .await?;
        }
        let keys = KeySet::from_held(stored.into_iter().map(|k| (k.key, k.role, k.retire_at)))
            .map_err(StartError::Keys)?;
        let mut candidate = [0u8; 32];
        getrandom::fill(&mut candidate).map_err(|e| StartError::Random(e.to_string()))?;
        let candidate = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(candidate);
        let salt = store.oidc().pairwise_salt(&candidate).await?;
        let pairwise = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(salt.as_bytes())
            .map_err(|e| StartError::Salt(e.to_string()))
            .and_then(|b| {
                identity::PairwiseSalt::new(b).map_err(|e| StartError::Salt(e.to_string()))
            })?;
        Ok(Arc::new(OidcProvider {
            issuer,
            trusted_proxies,
            login_limiter: crate::ratelimit::Limiter::new(
                crate::ratelimit::LOGIN_ATTEMPTS_PER_MINUTE,
                Duration::from_secs(60),
            ),
            legacy_cutover,
            pairwise,
            keys: RwLock::new(keys),
            failures: Mutex::new(HashMap::new()),
            clients: RwLock::new(HashMap::new()),
        }))
    }

    /// Reads the stored signing keys again (after a rotation by
    /// `motcua oidc keys rotate`, possibly on another node).
    pub async fn reload_keys(&self, store: &dyn store::Store) -> Result<(), StartError> {
        let stored = store.oidc().signing_keys().await?;
        if stored.is_empty() {
            return Err(StartError::Keys("no signing key is stored any more"));
        }
        let keys = KeySet::from_held(stored.into_iter().map(|k| (k.key, k.role, k.retire_at)))
            .map_err(StartError::Keys)?;
        match self.keys.write() {
            Ok(mut k) => *k = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
        Ok(())
    }

    /// Reloads the keys every `every` until the returned handle is dropped
    /// or aborted.
    pub fn spawn_key_reloader(
        self: &Arc<Self>,
        store: Arc<dyn store::Store>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let provider = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = provider.reload_keys(store.as_ref()).await {
                    tracing::warn!(error = %e, "cannot reload the signing keys; keeping the ones in use");
                }
            }
        })
    }

    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> &[std::net::IpAddr] {
        &self.trusted_proxies
    }

    /// Counts a log-in attempt from `ip`; `Err` says how long to wait.
    pub(crate) fn login_attempt(&self, ip: Option<std::net::IpAddr>) -> Result<(), Duration> {
        match ip {
            Some(ip) => self.login_limiter.hit(ip, Instant::now()),
            None => Ok(()),
        }
    }

    /// When the old portals' organisation accounts stop.
    pub fn legacy_cutover(&self) -> chrono::DateTime<chrono::FixedOffset> {
        self.legacy_cutover
    }

    /// The secret behind pairwise subject identifiers.
    pub(crate) fn pairwise(&self) -> &identity::PairwiseSalt {
        &self.pairwise
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The keys to publish at `now`.
    pub fn jwks(&self, now: DateTime<Utc>) -> JwkSet {
        match self.keys.read() {
            Ok(k) => k.jwks(now),
            Err(poisoned) => poisoned.into_inner().jwks(now),
        }
    }

    /// The key that signs now.
    pub(crate) fn signing_key(&self) -> SigningKey {
        match self.keys.read() {
            Ok(k) => k.signing_key().clone(),
            Err(poisoned) => poisoned.into_inner().signing_key().clone(),
        }
    }

    /// Verifies a token this provider signed (signature and key only).
    pub fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<identity::jwt::Verified, identity::jwt::JwtError> {
        match self.keys.read() {
            Ok(k) => k.verify(token, now),
            Err(poisoned) => poisoned.into_inner().verify(token, now),
        }
    }

    /// The discovery document.
    pub fn metadata(&self) -> serde_json::Value {
        let iss = &self.issuer;
        serde_json::json!({
            "issuer": iss,
            "jwks_uri": format!("{iss}/oidc/jwks"),
            "authorization_endpoint": format!("{iss}/oidc/authorize"),
            "token_endpoint": format!("{iss}/oidc/token"),
            "pushed_authorization_request_endpoint": format!("{iss}/oidc/par"),
            "require_pushed_authorization_requests": false,
            "userinfo_endpoint": format!("{iss}/oidc/userinfo"),
            "end_session_endpoint": format!("{iss}/oidc/logout"),
            "introspection_endpoint": format!("{iss}/oidc/introspect"),
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "revocation_endpoint": format!("{iss}/oidc/revoke"),
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": identity::jwk::VerifyKey::ALGORITHMS,
            "scopes_supported": identity::client::SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "prompt_values_supported": ["none", "login", "consent"],
            "acr_values_supported": [AssuranceLevel::Level1.acr(), AssuranceLevel::Level2.acr()],
            "claims_supported": ["sub", "act", "address", "foreign_owned", "name", "birthdate", "gender", "pid", "passport_number", "nationality", "tax_code", "eid_level", "acr", "amr", "auth_time", "nonce"],
            "authorization_response_iss_parameter_supported": true,
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": [identity::jwt::ALG_EDDSA],
            "access_token_signing_alg_values_supported": [identity::jwt::ALG_EDDSA],
            "dpop_signing_alg_values_supported": identity::jwk::VerifyKey::ALGORITHMS,
        })
    }

    /// The registration of `id`, from memory when read less than
    /// [`CLIENT_CACHE_TTL`] ago (unless `fresh`).
    pub(crate) async fn client(
        &self,
        store: &dyn store::Store,
        id: &ClientId,
        fresh: bool,
    ) -> Result<Option<Arc<Client>>, store::StoreError> {
        let now = Instant::now();
        if !fresh
            && let Ok(cache) = self.clients.read()
            && let Some((at, client)) = cache.get(id)
            && now.saturating_duration_since(*at) < CLIENT_CACHE_TTL
        {
            return Ok(client.clone());
        }
        let client = store.oidc().client(id).await?.map(Arc::new);
        if let Ok(mut cache) = self.clients.write() {
            if cache.len() >= CLIENT_CACHE_MAX {
                cache.retain(|_, (at, _)| now.saturating_duration_since(*at) < CLIENT_CACHE_TTL);
                if cache.len() >= CLIENT_CACHE_MAX {
                    cache.clear();
                }
            }
            cache.insert(id.clone(), (now, client.clone()));
        }
        Ok(client)
    }

    /// Whether `client` is locked out at `now` (too many recent failures).
    pub(crate) fn locked_out(&self, client: &str, now: Instant) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let (since, count) = failures.get(client)?;
        let elapsed = now.saturating_duration_since(*since);
        (*count >= MAX_FAILURES && elapsed < FAILURE_WINDOW).then(|| FAILURE_WINDOW - elapsed)
    }

    pub(crate) fn record_failure(&self, client: &str, now: Instant) {
        if let Ok(mut failures) = self.failures.lock() {
            // bounded: forget windows that are over when the map grows
            if failures.len() > 10_000 {
                failures
                    .retain(|_, (since, _)| now.saturating_duration_since(*since) < FAILURE_WINDOW);
            }
            let entry = failures.entry(client.to_string()).or_insert((now, 0));
            if now.saturating_duration_since(entry.0) >= FAILURE_WINDOW {
                *entry = (now, 0);
            }
            entry.1 += 1;
        }
    }
}

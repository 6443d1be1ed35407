//! The OpenID Connect provider's storage ([`OidcStore`]): relying parties,
//! signing keys, revocations, authorization codes, one-time ids, refresh
//! tokens, pairwise identifiers and pushed requests. Every statement is
//! the same text on both backends (numbered placeholders, `ON CONFLICT`,
//! `RETURNING`), run through [`crate::db::Db`].
//!
//! A grant is what one redemption of a code started: its id is the
//! refresh family's, and the provider's access tokens of a log-in carry
//! it. Revoking a grant revokes its refresh family and keeps a row in
//! `oidc_revoked` under [`grant_revocation_key`], which the checks of an
//! access token read in the same statement as its own `jti`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity::authz::{CodeGrant, RefreshGrant};
use identity::client::{Client, ClientId};
use identity::jwt::{KeyRole, SigningKey};

use crate::db::{from_json, from_nanos, nanos, nanos_clamped, to_json};
use crate::{Context, ErrorKind, SqlStore, StoreError};

/// One stored signing key.
#[derive(Clone)]
pub struct StoredKey {
    /// The key (its id is its thumbprint).
    pub key: SigningKey,
    /// Its place in the key set.
    pub role: KeyRole,
    /// For a previous key, until when it is accepted.
    pub retire_at: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.key.kid())
            .field("role", &self.role)
            .field("retire_at", &self.retire_at)
            .finish()
    }
}

/// What presenting a refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// It was live: it is used up now, and the new token (stored by its
    /// hash) carries the same grant.
    Rotated(RefreshGrant),
    /// It had been used or revoked already: its whole grant is revoked
    /// (the refresh family and the access tokens).
    Reused {
        /// The family (the grant's id) revoked.
        family: String,
    },
    /// Past its expiry (now used up).
    Expired,
    /// No such token.
    Unknown,
}

/// What presenting an authorization code came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakenCode {
    /// The first redemption: the code's grant, now marked redeemed as the
    /// grant id the taker named.
    First(Box<CodeGrant>),
    /// It was redeemed before: the grant its first redemption created.
    Replayed {
        /// The first redemption's grant id.
        grant: String,
    },
    /// No such code (never issued, or forgotten after it expired).
    Unknown,
}

/// The key in `oidc_revoked` of a revoked grant (a `jti` never has this
/// form: the provider's are UUIDs).
pub(crate) fn grant_revocation_key(grant: &str) -> String {
    format!("grant {grant}")
}

/// The second key a token's revocation is looked up by: its grant's, or
/// its own `jti` again when it belongs to none.
pub(crate) fn second_revocation_key(jti: &str, grant: Option<&str>) -> String {
    grant.map_or_else(|| jti.to_string(), grant_revocation_key)
}

/// Storage of the OpenID Connect provider.
#[async_trait]
pub trait OidcStore: Send + Sync {
    /// Registers `client` or replaces its registration; whether it is new.
    async fn put_client(&self, client: &Client, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// A client by id.
    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;
    /// Every client, by id.
    async fn clients(&self) -> Result<Vec<Client>, StoreError>;
    /// Removes a client; whether there was one.
    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError>;
    /// The stored signing keys.
    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Stores `key` as the current signing key unless one is stored
    /// already (by a concurrent start, say); returns the stored keys.
    async fn init_signing_key(&self, key: &SigningKey) -> Result<Vec<StoredKey>, StoreError>;
    /// Replaces the whole key set (rotation), if the current key is still
    /// `expected_current`; whether it was replaced.
    async fn replace_signing_keys(
        &self,
        expected_current: &str,
        keys: &[StoredKey],
    ) -> Result<bool, StoreError>;
    /// Records that the token `jti`, valid until `exp`, is revoked;
    /// forgets revocations of tokens expired before `now`.
    async fn revoke_token(
        &self,
        jti: &str,
        exp: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Revokes the grant `grant`: its refresh tokens stop, and its access
    /// tokens count as revoked until `until` (when every token of it has
    /// expired); forgets revocations of tokens expired before `now`.
    async fn revoke_grant(
        &self,
        grant: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Whether the token `jti`, or the grant `grant` it belongs to, was
    /// revoked (one statement).
    async fn is_revoked(&self, jti: &str, grant: Option<&str>) -> Result<bool, StoreError>;
    /// Keeps an authorization code's grant until `expires` (by the code's
    /// hash); forgets codes (redeemed or not) kept past the grant's issue
    /// time.
    async fn put_code(
        &self,
        code_hash: &str,
        grant: &CodeGrant,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Redeems a code as the grant `grant_id`: the first caller gets the
    /// code's grant, every later one (a replay, or a concurrent
    /// redemption) the first one's grant id, which the code is kept with
    /// until `keep_until`.
    async fn take_code(
        &self,
        code_hash: &str,
        grant_id: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<TakenCode, StoreError>;
    /// Records a one-time id (a DPoP proof's or a client assertion's
    /// `jti`, under a prefix of its kind) until `expires`; `false` when it
    /// was seen already (a replay). Forgets ids expired before `now`.
    async fn first_use(
        &self,
        id: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Stores a new refresh token (by its hash) valid until `expires`.
    async fn put_refresh(
        &self,
        token_hash: &str,
        grant: &RefreshGrant,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Presents the refresh token `old_hash` at `now`: rotates it to
    /// `new_hash` (valid until `new_expires`) in one transaction, or, when
    /// it was used or revoked before (itself or its grant), revokes its
    /// grant as [`OidcStore::revoke_grant`] does until `revoke_until`.
    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
        new_expires: DateTime<Utc>,
        revoke_until: DateTime<Utc>,
    ) -> Result<RefreshOutcome, StoreError>;
    /// The grant of a refresh token (live, used or revoked), by its hash.
    async fn refresh_grant(&self, token_hash: &str) -> Result<Option<RefreshGrant>, StoreError>;
    /// The provider's pairwise salt (hex): `candidate` when none was kept
    /// yet, else the one kept (the first of concurrent starts wins).
    async fn pairwise_salt(&self, candidate: &str) -> Result<String, StoreError>;
    /// Remembers that `sub` in `sector` stands for the account `subject`.
    async fn record_pairwise(
        &self,
        sector: &str,
        sub: &str,
        subject: &str,
    ) -> Result<(), StoreError>;
    /// Keeps a pushed authorization request (its query) of `client_id`
    /// until `expires`, by the hash of its `request_uri`; forgets the ones
    /// expired before `now`.
    async fn put_pushed_request(
        &self,
        uri_hash: &str,
        client_id: &str,
        query: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// A pushed request live at `now`: its client and query.
    async fn pushed_request(
        &self,
        uri_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, StoreError>;
    /// Forgets a pushed request (it gave a code: used once).
    async fn drop_pushed_request(&self, uri_hash: &str) -> Result<(), StoreError>;
    /// The account behind the pairwise `sub` of `sector`.
    async fn pairwise_account(&self, sector: &str, sub: &str)
    -> Result<Option<String>, StoreError>;
}

/// The `meta` key of the pairwise salt.
const PAIRWISE_SALT_KEY: &str = "oidc_pairwise_salt";

fn role_str(r: KeyRole) -> &'static str {
    match r {
        KeyRole::Current => "current",
        KeyRole::Next => "next",
        KeyRole::Previous => "previous",
    }
}

fn decode_key(
    (_kid, role, seed, retire_ns): (String, String, String, Option<i64>),
) -> Result<StoredKey, StoreError> {
    let bad = |what: &str| {
        StoreError::new(
            ErrorKind::Corrupt,
            format!("a stored signing key has {what}"),
        )
    };
    let role = match role.as_str() {
        "current" => KeyRole::Current,
        "next" => KeyRole::Next,
        "previous" => KeyRole::Previous,
        _ => return Err(bad("an unknown role")),
    };
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(seed.as_bytes(), &mut bytes).map_err(|_| bad("a malformed seed"))?;
    Ok(StoredKey {
        key: SigningKey::from_seed(&bytes),
        role,
        retire_at: retire_ns.map(from_nanos),
    })
}

fn decode_client(body: String) -> Result<Client, StoreError> {
    from_json("a stored client", &body)
}

// ---- the statements, the same text on both backends ------------------

const SIGNING_KEYS: &str = "SELECT kid, role, seed, retire_ns FROM oidc_keys ORDER BY role, kid";

const CLIENT_EXISTS: &str = "SELECT id FROM oidc_clients WHERE id = $1";

const UPSERT_CLIENT: &str = "INSERT INTO oidc_clients (id, body, updated_ns) VALUES ($1, $2, $3) \
     ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_ns = excluded.updated_ns";

const CLIENT: &str = "SELECT body FROM oidc_clients WHERE id = $1";

const CLIENTS: &str = "SELECT body FROM oidc_clients ORDER BY id";

const DELETE_CLIENT: &str = "DELETE FROM oidc_clients WHERE id = $1";

const INSERT_FIRST_KEY: &str = "INSERT INTO oidc_keys (kid, role, seed) \
     VALUES ($1, 'current', $2) ON CONFLICT DO NOTHING";

const CURRENT_KEY: &str = "SELECT kid FROM oidc_keys WHERE role = 'current'";

const DELETE_KEYS: &str = "DELETE FROM oidc_keys";

const INSERT_KEY: &str =
    "INSERT INTO oidc_keys (kid, role, seed, retire_ns) VALUES ($1, $2, $3, $4)";

const FORGET_EXPIRED_REVOCATIONS: &str = "DELETE FROM oidc_revoked WHERE exp_ns < $1";

const INSERT_REVOCATION: &str =
    "INSERT INTO oidc_revoked (jti, exp_ns) VALUES ($1, $2) ON CONFLICT DO NOTHING";

const FORGET_EXPIRED_CODES: &str = "DELETE FROM oidc_codes WHERE expires_ns < $1";

const INSERT_CODE: &str =
    "INSERT INTO oidc_codes (code_hash, body, expires_ns) VALUES ($1, $2, $3)";

const TAKE_CODE: &str = "UPDATE oidc_codes SET grant_id = $2, expires_ns = $3 \
     WHERE code_hash = $1 AND grant_id IS NULL RETURNING body";

const REDEEMED_CODE: &str = "SELECT grant_id FROM oidc_codes WHERE code_hash = $1";

const FORGET_EXPIRED_IDS: &str = "DELETE FROM oidc_used_ids WHERE expires_ns < $1";

const INSERT_USED_ID: &str = "INSERT INTO oidc_used_ids (id, expires_ns) VALUES ($1, $2) \
     ON CONFLICT DO NOTHING";

const INSERT_REFRESH: &str = "INSERT INTO oidc_refresh (token_hash, family, body, expires_ns) \
     VALUES ($1, $2, $3, $4)";

// a token of a revoked grant is not claimed, even one stored after the
// family was revoked (by a concurrent redemption or rotation); the key is
// grant_revocation_key's
const CLAIM_REFRESH: &str = "UPDATE oidc_refresh SET used_ns = $2 WHERE token_hash = $1 \
     AND used_ns IS NULL AND revoked = 0 \
     AND NOT EXISTS (SELECT 1 FROM oidc_revoked WHERE jti = 'grant ' || family) \
     RETURNING body, expires_ns";

const REFRESH_GRANT: &str = "SELECT body FROM oidc_refresh WHERE token_hash = $1";

const REFRESH_FAMILY: &str = "SELECT family FROM oidc_refresh WHERE token_hash = $1";

const REVOKE_FAMILY: &str = "UPDATE oidc_refresh SET revoked = 1 WHERE family = $1";

const KEEP_SALT: &str =
    "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";

const META_VALUE: &str = "SELECT value FROM meta WHERE key = $1";

const INSERT_PAIRWISE: &str = "INSERT INTO oidc_pairwise (sector, sub, subject) \
     VALUES ($1, $2, $3) ON CONFLICT (sector, sub) DO NOTHING";

const PAIRWISE_ACCOUNT: &str = "SELECT subject FROM oidc_pairwise WHERE sector = $1 AND sub = $2";

const FORGET_EXPIRED_REQUESTS: &str = "DELETE FROM oidc_par WHERE expires_ns <= $1";

const INSERT_PUSHED_REQUEST: &str = "INSERT INTO oidc_par (uri_hash, client_id, query, \
     expires_ns) VALUES ($1, $2, $3, $4)";

const PUSHED_REQUEST: &str =
    "SELECT client_id, query FROM oidc_par WHERE uri_hash = $1 AND expires_ns > $2";

const DELETE_PUSHED_REQUEST: &str = "DELETE FROM oidc_par WHERE uri_hash = $1";

/// Whether the token `$1` (its `jti`) or its grant (`$2`:
/// [`second_revocation_key`]) was revoked.
pub(crate) const IS_REVOKED: &str =
    "SELECT EXISTS (SELECT 1 FROM oidc_revoked WHERE jti IN ($1, $2))";

#[async_trait]
impl OidcStore for SqlStore {
    async fn put_client(&self, client: &Client, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let body = to_json("the client", client)?;
        let at = nanos(at)?;
        let mut tx = self.begin("starting to register a client").await?;
        let existed: Option<String> = tx
            .on()
            .scalar_optional(CLIENT_EXISTS, (client.id.as_str(),))
            .await
            .context("reading a client")?;
        tx.on()
            .execute(UPSERT_CLIENT, (client.id.as_str(), body, at))
            .await
            .context("registering a client")?;
        tx.commit().await.context("registering a client")?;
        Ok(existed.is_none())
    }

    async fn client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        self.on()
            .scalar_optional_decoded(CLIENT, (id.as_str(),), "reading a client", decode_client)
            .await
    }

    async fn clients(&self) -> Result<Vec<Client>, StoreError> {
        self.on()
            .scalar_decoded(CLIENTS, (), "listing clients", decode_client)
            .await
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        let deleted = self
            .on()
            .execute(DELETE_CLIENT, (id.as_str(),))
            .await
            .context("removing a client")?;
        Ok(deleted > 0)
    }

    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.on()
            .fetch_decoded(SIGNING_KEYS, (), "reading the signing keys", decode_key)
            .await
    }

    async fn init_signing_key(&self, key: &SigningKey) -> Result<Vec<StoredKey>, StoreError> {
        // the partial unique index keeps a second current key out
        self.on()
            .execute(INSERT_FIRST_KEY, (key.kid(), hex::encode(key.seed())))
            .await
            .context("storing the first signing key")?;
        self.signing_keys().await
    }

    async fn replace_signing_keys(
        &self,
        expected_current: &str,
        keys: &[StoredKey],
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin("starting to rotate the keys").await?;
        let current: Option<String> = tx
            .on()
            .scalar_optional(CURRENT_KEY, ())
            .await
            .context("reading the current key")?;
        if current.as_deref() != Some(expected_current) {
            return Ok(false);
        }
        tx.on()
            .execute(DELETE_KEYS, ())
            .await
            .context("rotating the keys")?;
        for k in keys {
            let retire = k.retire_at.map(nanos).transpose()?;
            tx.on()
                .execute(
                    INSERT_KEY,
                    (
                        k.key.kid(),
                        role_str(k.role),
                        hex::encode(k.key.seed()),
                        retire,
                    ),
                )
                .await
                .context("rotating the keys")?;
        }
        tx.commit().await.context("rotating the keys")?;
        Ok(true)
    }

    async fn revoke_token(
        &self,
        jti: &str,
        exp: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin("starting to revoke a token").await?;
        revoke_in(&mut tx, jti, exp, now).await?;
        tx.commit().await.context("revoking a token")?;
        Ok(())
    }

    async fn revoke_grant(
        &self,
        grant: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin("starting to revoke a grant").await?;
        revoke_grant_in(&mut tx, grant, until, now).await?;
        tx.commit().await.context("revoking a grant")?;
        Ok(())
    }

    async fn put_code(
        &self,
        code_hash: &str,
        grant: &CodeGrant,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let body = to_json("the code's grant", grant)?;
        self.on()
            .execute(FORGET_EXPIRED_CODES, (nanos_clamped(grant.issued_at),))
            .await
            .context("forgetting expired codes")?;
        self.on()
            .execute(INSERT_CODE, (code_hash, body, nanos_clamped(expires)))
            .await
            .context("storing an authorization code")?;
        Ok(())
    }

    async fn take_code(
        &self,
        code_hash: &str,
        grant_id: &str,
        keep_until: DateTime<Utc>,
    ) -> Result<TakenCode, StoreError> {
        // one statement: of concurrent takers, one marks the row
        let body: Option<String> = self
            .on()
            .scalar_optional(TAKE_CODE, (code_hash, grant_id, nanos_clamped(keep_until)))
            .await
            .context("redeeming an authorization code")?;
        if let Some(body) = body {
            return from_json("a stored code's grant", &body)
                .map(|g| TakenCode::First(Box::new(g)));
        }
        let first: Option<Option<String>> = self
            .on()
            .scalar_optional(REDEEMED_CODE, (code_hash,))
            .await
            .context("reading a redeemed authorization code")?;
        Ok(match first.flatten() {
            Some(grant) => TakenCode::Replayed { grant },
            None => TakenCode::Unknown,
        })
    }

    async fn first_use(
        &self,
        id: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.on()
            .execute(FORGET_EXPIRED_IDS, (nanos_clamped(now),))
            .await
            .context("forgetting expired one-time ids")?;
        let inserted = self
            .on()
            .execute(INSERT_USED_ID, (id, nanos_clamped(expires)))
            .await
            .context("recording a one-time id")?;
        Ok(inserted == 1)
    }

    async fn put_refresh(
        &self,
        token_hash: &str,
        grant: &RefreshGrant,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let body = to_json("the refresh grant", grant)?;
        self.on()
            .execute(
                INSERT_REFRESH,
                (
                    token_hash,
                    grant.family.as_str(),
                    body,
                    nanos_clamped(expires),
                ),
            )
            .await
            .context("storing a refresh token")?;
        Ok(())
    }

    async fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
        new_expires: DateTime<Utc>,
        revoke_until: DateTime<Utc>,
    ) -> Result<RefreshOutcome, StoreError> {
        let now_ns = nanos_clamped(now);
        let mut tx = self.begin("starting to rotate a refresh token").await?;
        // the claim: only a live token is marked used, once
        let claimed: Option<(String, i64)> = tx
            .on()
            .fetch_optional(CLAIM_REFRESH, (old_hash, now_ns))
            .await
            .context("rotating a refresh token")?;
        let outcome = match claimed {
            Some((_, expires_ns)) if expires_ns <= now_ns => RefreshOutcome::Expired,
            Some((body, _)) => {
                let grant: RefreshGrant = from_json("a stored refresh grant", &body)?;
                tx.on()
                    .execute(
                        INSERT_REFRESH,
                        (
                            new_hash,
                            grant.family.as_str(),
                            body.as_str(),
                            nanos_clamped(new_expires),
                        ),
                    )
                    .await
                    .context("rotating a refresh token")?;
                RefreshOutcome::Rotated(grant)
            }
            None => {
                let family: Option<String> = tx
                    .on()
                    .scalar_optional(REFRESH_FAMILY, (old_hash,))
                    .await
                    .context("reading a refresh token")?;
                match family {
                    None => RefreshOutcome::Unknown,
                    Some(family) => {
                        revoke_grant_in(&mut tx, &family, revoke_until, now).await?;
                        RefreshOutcome::Reused { family }
                    }
                }
            }
        };
        tx.commit().await.context("rotating a refresh token")?;
        Ok(outcome)
    }

    async fn refresh_grant(&self, token_hash: &str) -> Result<Option<RefreshGrant>, StoreError> {
        self.on()
            .scalar_optional_decoded(
                REFRESH_GRANT,
                (token_hash,),
                "reading a refresh token",
                |b: String| from_json("a stored refresh grant", &b),
            )
            .await
    }

    async fn pairwise_salt(&self, candidate: &str) -> Result<String, StoreError> {
        self.on()
            .execute(KEEP_SALT, (PAIRWISE_SALT_KEY, candidate))
            .await
            .context("keeping the pairwise salt")?;
        self.on()
            .scalar_one(META_VALUE, (PAIRWISE_SALT_KEY,))
            .await
            .context("reading the pairwise salt")
    }

    async fn record_pairwise(
        &self,
        sector: &str,
        sub: &str,
        subject: &str,
    ) -> Result<(), StoreError> {
        self.on()
            .execute(INSERT_PAIRWISE, (sector, sub, subject))
            .await
            .context("recording a pairwise identifier")?;
        Ok(())
    }

    async fn pairwise_account(
        &self,
        sector: &str,
        sub: &str,
    ) -> Result<Option<String>, StoreError> {
        self.on()
            .scalar_optional(PAIRWISE_ACCOUNT, (sector, sub))
            .await
            .context("reading a pairwise identifier")
    }

    async fn put_pushed_request(
        &self,
        uri_hash: &str,
        client_id: &str,
        query: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.on()
            .execute(FORGET_EXPIRED_REQUESTS, (nanos(now)?,))
            .await
            .context("forgetting expired pushed requests")?;
        self.on()
            .execute(
                INSERT_PUSHED_REQUEST,
                (uri_hash, client_id, query, nanos(expires)?),
            )
            .await
            .context("keeping a pushed request")?;
        Ok(())
    }

    async fn pushed_request(
        &self,
        uri_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>, StoreError> {
        self.on()
            .fetch_optional(PUSHED_REQUEST, (uri_hash, nanos(now)?))
            .await
            .context("reading a pushed request")
    }

    async fn drop_pushed_request(&self, uri_hash: &str) -> Result<(), StoreError> {
        self.on()
            .execute(DELETE_PUSHED_REQUEST, (uri_hash,))
            .await
            .context("forgetting a pushed request")?;
        Ok(())
    }

    async fn is_revoked(&self, jti: &str, grant: Option<&str>) -> Result<bool, StoreError> {
        self.on()
            .scalar_one(IS_REVOKED, (jti, second_revocation_key(jti, grant)))
            .await
            .context("reading revocations")
    }
}

/// Records in `tx` that what `key` names (a token's `jti`, or
/// [`grant_revocation_key`]) is revoked until `until`; forgets
/// revocations kept past `now`.
async fn revoke_in(
    tx: &mut crate::db::Tx,
    key: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    tx.on()
        .execute(FORGET_EXPIRED_REVOCATIONS, (nanos_clamped(now),))
        .await
        .context("forgetting expired revocations")?;
    tx.on()
        .execute(INSERT_REVOCATION, (key, nanos_clamped(until)))
        .await
        .context("recording a revocation")?;
    Ok(())
}

/// Revokes a grant inside `tx`: its access tokens (a revocation row kept
/// until `until`) and its refresh family.
async fn revoke_grant_in(
    tx: &mut crate::db::Tx,
    grant: &str,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    revoke_in(tx, &grant_revocation_key(grant), until, now).await?;
    tx.on()
        .execute(REVOKE_FAMILY, (grant,))
        .await
        .context("revoking a refresh family")?;
    Ok(())
}

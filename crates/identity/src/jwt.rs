//! Signed JSON Web Tokens for the OpenID Connect provider: compact JWS
//! (RFC 7515) with EdDSA over Ed25519 (RFC 8037), the public keys as a JWK
//! Set (RFC 7517) named by their thumbprints (RFC 7638), and rotation that
//! never breaks a token already issued.
//!
//! Rotation: [`KeySet::rotate`] makes a new key the one that signs and keeps
//! the previous one published and accepted until every token it signed has
//! expired (`now` + the longest token lifetime); [`KeySet::prune`] drops
//! keys past that instant. Relying parties that cache the JWK Set see the
//! new key before any token is signed with it when the operator first
//! [`KeySet::add_next`]s it and rotates later.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer as _, Verifier as _};
use serde::{Deserialize, Serialize};

/// The only signature algorithm the provider signs with: Ed25519 under its
/// RFC 8037 name `EdDSA`. Clients may name their own Ed25519 signatures
/// `Ed25519` (RFC 9864, see [`crate::jwk`]), but the provider's tokens keep
/// `EdDSA`: it is the name every JOSE library and OpenID Connect client in
/// use today verifies, while many do not know the fully-specified name yet,
/// and both name the same signature over the same key.
pub const ALG_EDDSA: &str = "EdDSA";

/// Why a token could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// Not three base64url parts separated by dots.
    #[error("the token is not a compact JWS (three base64url parts)")]
    Malformed,
    /// The header or the claims are not the JSON they should be.
    #[error("the token's {part} is not valid JSON: {reason}")]
    BadJson {
        /// `header` or `claims`.
        part: &'static str,
        /// The parser's message.
        reason: String,
    },
    /// An algorithm other than EdDSA (including `none`).
    #[error("the token's algorithm {0:?} is not accepted (only EdDSA)")]
    Algorithm(String),
    /// No key with the token's `kid` is accepted at this instant.
    #[error("no accepted signing key has the id {0:?}")]
    UnknownKey(String),
    /// The signature does not verify.
    #[error("the token's signature does not verify")]
    BadSignature,
    /// The claims could not be encoded.
    #[error("the claims cannot be encoded: {0}")]
    Encode(String),
}

/// One Ed25519 signing key of the provider, with its key id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: ed25519_dalek::SigningKey,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // never the secret
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key from its 32-byte seed; its id is its JWK thumbprint.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(seed);
        let kid = thumbprint(&key.verifying_key());
        SigningKey { kid, key }
    }

    /// The seed (a secret: store it as such).
    pub fn seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key id (RFC 7638 thumbprint, base64url).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Jwk {
        Jwk::of(&self.key.verifying_key(), &self.kid)
    }

    /// Signs `claims` as a compact JWS with header `typ` (e.g. `JWT`, or
    /// `at+jwt` for access tokens, RFC 9068).
    pub fn sign<C: Serialize>(&self, typ: &str, claims: &C) -> Result<String, JwtError> {
        let header = Header {
            alg: ALG_EDDSA.to_string(),
            kid: Some(self.kid.clone()),
            typ: Some(typ.to_string()),
        };
        let header = serde_json::to_vec(&header).map_err(|e| JwtError::Encode(e.to_string()))?;
        let claims = serde_json::to_vec(claims).map_err(|e| JwtError::Encode(e.to_string()))?;
        let mut token = String::with_capacity((header.len() + claims.len()) * 4 / 3 + 100);
        B64.encode_string(&header, &mut token);
        token.push('.');
        B64.encode_string(&claims, &mut token);
        let signature = self.signature(token.as_bytes());
        token.push('.');
        B64.encode_string(signature, &mut token);
        Ok(token)
    }

    /// The JWS signature of a signing input (`header.claims`, RFC 7515
    /// §5.1): Ed25519, deterministic (RFC 8032).
    fn signature(&self, input: &[u8]) -> [u8; 64] {
        self.key.sign(input).to_bytes()
    }
}

/// RFC 7638 thumbprint of an Ed25519 public key.
fn thumbprint(key: &ed25519_dalek::VerifyingKey) -> String {
    crate::jwk::VerifyKey::Ed25519 {
        x: B64.encode(key.as_bytes()),
    }
    .thumbprint()
}

/// A public key as a JSON Web Key (OKP, Ed25519).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// The public key, base64url.
    pub x: String,
    /// The key id.
    pub kid: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// `EdDSA`.
    pub alg: String,
}

impl Jwk {
    fn of(key: &ed25519_dalek::VerifyingKey, kid: &str) -> Self {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            x: B64.encode(key.as_bytes()),
            kid: kid.to_string(),
            use_: "sig".into(),
            alg: ALG_EDDSA.into(),
        }
    }
}

/// A JWK Set document (`{"keys": [...]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
}

/// A key of the set and until when it is accepted.
#[derive(Debug, Clone)]
struct Held {
    key: SigningKey,
    /// `None` while the key signs or waits to sign; once rotated out, the
    /// instant after which no token it signed is valid any more.
    retire_at: Option<DateTime<Utc>>,
}

/// The provider's keys: one that signs, the next one (published ahead,
/// optional), and the previous ones still accepted.
#[derive(Debug, Clone)]
pub struct KeySet {
    current: Held,
    next: Option<Held>,
    previous: Vec<Held>,
}

/// A token whose signature verified: its header's type and its claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The key that signed it.
    pub kid: String,
    /// The `typ` header.
    pub typ: Option<String>,
    /// The claims.
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl KeySet {
    /// A set with one key, which signs.
    pub fn new(key: SigningKey) -> Self {
        KeySet {
            current: Held {
                key,
                retire_at: None,
            },
            next: None,
            previous: Vec::new(),
        }
    }

    /// The key that signs now.
    pub fn signing_key(&self) -> &SigningKey {
        &self.current.key
    }

    /// Publishes `key` ahead of its use (it verifies nothing until it
    /// signs, but relying parties caching the JWK Set learn it first).
    pub fn add_next(&mut self, key: SigningKey) {
        self.next = Some(Held {
            key,
            retire_at: None,
        });
    }

    /// Makes the next key (or `key`, when none was added ahead) the one
    /// that signs; the current one stays accepted until `retire_at` (the
    /// rotation instant plus the longest lifetime of a token it signed).
    pub fn rotate(
        &mut self,
        key: Option<SigningKey>,
        retire_at: DateTime<Utc>,
    ) -> Result<(), &'static str> {
        let incoming = match (self.next.take(), key) {
            (Some(next), None) => next,
            (None, Some(key)) => Held {
                key,
                retire_at: None,
            },
            (Some(next), Some(_)) => {
                self.next = Some(next);
                return Err("a next key is already published: rotate to it, without a new one");
            }
            (None, None) => return Err("no next key was published: give the new key"),
        };
        let mut outgoing = std::mem::replace(&mut self.current, incoming);
        outgoing.retire_at = Some(retire_at);
        self.previous.push(outgoing);
        Ok(())
    }

    /// Drops the previous keys whose tokens have all expired at `now`.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        self.previous
            .retain(|h| h.retire_at.is_some_and(|at| at > now));
    }

    /// The keys to publish at `now`: the signing one, the next one, and the
    /// previous ones still accepted.
    pub fn jwks(&self, now: DateTime<Utc>) -> JwkSet {
        let mut keys = vec![self.current.key.jwk()];
        if let Some(next) = &self.next {
            keys.push(next.key.jwk());
        }
        for held in &self.previous {
            if held.retire_at.is_some_and(|at| at > now) {
                keys.push(held.key.jwk());
            }
        }
        JwkSet { keys }
    }

    /// Every key held with its retirement instant (for persisting the set).
    pub fn held(&self) -> impl Iterator<Item = (&SigningKey, KeyRole, Option<DateTime<Utc>>)> {
        std::iter::once((&self.current.key, KeyRole::Current, None))
            .chain(self.next.iter().map(|h| (&h.key, KeyRole::Next, None)))
            .chain(
                self.previous
                    .iter()
                    .map(|h| (&h.key, KeyRole::Previous, h.retire_at)),
            )
    }

    /// Rebuilds a set from [`KeySet::held`]'s output.
    pub fn from_held(
        held: impl IntoIterator<Item = (SigningKey, KeyRole, Option<DateTime<Utc>>)>,
    ) -> Result<Self, &'static str> {
        let mut current = None;
        let mut next = None;
        let mut previous = Vec::new();
        for (key, role, retire_at) in held {
            let h = Held { key, retire_at };
            match role {
                KeyRole::Current if current.is_none() => current = Some(h),
                KeyRole::Next if next.is_none() => next = Some(h),
                KeyRole::Previous if h.retire_at.is_some() => previous.push(h),
                KeyRole::Current => return Err("more than one current signing key"),
                KeyRole::Next => return Err("more than one next signing key"),
                KeyRole::Previous => return Err("a previous signing key without its retirement"),
            }
        }
        let current = current.ok_or("no current signing key")?;
        Ok(KeySet {
            current,
            next,
            previous,
        })
    }

    /// Verifies a token's signature with the key its `kid` names, if that
    /// key is accepted at `now`. The claims' times are the caller's to
    /// check.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Verified, JwtError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
        let (header_b64, claims_b64) = signed.split_once('.').ok_or(JwtError::Malformed)?;
        if claims_b64.contains('.') {
            return Err(JwtError::Malformed);
        }
        let header = B64.decode(header_b64).map_err(|_| JwtError::Malformed)?;
        let header: Header = serde_json::from_slice(&header).map_err(|e| JwtError::BadJson {
            part: "header",
            reason: e.to_string(),
        })?;
        if header.alg != ALG_EDDSA {
            return Err(JwtError::Algorithm(header.alg));
        }
        let kid = header.kid.unwrap_or_default();
        let key = std::iter::once(&self.current)
            .chain(
                self.previous
                    .iter()
                    .filter(|h| h.retire_at.is_some_and(|at| at > now)),
            )
            .find(|h| h.key.kid == kid)
            .ok_or_else(|| JwtError::UnknownKey(kid.clone()))?;
        let signature = B64.decode(signature).map_err(|_| JwtError::Malformed)?;
        let signature =
            ed25519_dalek::Signature::from_slice(&signature).map_err(|_| JwtError::BadSignature)?;
        key.key
            .key
            .verifying_key()
            .verify(signed.as_bytes(), &signature)
            .map_err(|_| JwtError::BadSignature)?;
        let claims = B64.decode(claims_b64).map_err(|_| JwtError::Malformed)?;
        let claims = serde_json::from_slice(&claims).map_err(|e| JwtError::BadJson {
            part: "claims",
            reason: e.to_string(),
        })?;
        Ok(Verified {
            kid,
            typ: header.typ,
            claims,
        })
    }
}

/// The place of a key in a [`KeySet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyRole {
    /// Signs.
    Current,
    /// Published ahead of signing.
    Next,
    /// Rotated out, accepted until its retirement.
    Previous,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8037 Appendix A.4: the key of A.1 signs the signing input of
    /// `{"alg":"EdDSA"}` over "Example of Ed25519 signing" into the
    /// published signature (Ed25519 is deterministic), which A.5 verifies.
    #[test]
    fn the_rfc_8037_example_is_signed_to_its_published_signature() {
        let seed: [u8; 32] = B64
            .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
            .ok()
            .and_then(|d| d.try_into().ok())
            .expect("32 bytes of base64url");
        let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let published = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
        let key = SigningKey::from_seed(&seed);
        assert_eq!(B64.encode(key.signature(input.as_bytes())), published);
        // and the set holding it verifies it, once the header names it
        assert_eq!(
            B64.decode(input.split('.').next().expect("a header")).ok(),
            Some(br#"{"alg":"EdDSA"}"#.to_vec())
        );
        let header = B64.encode(format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, key.kid()));
        let claims = B64.encode(br#"{"sub":"rfc8037"}"#);
        let signed = format!("{header}.{claims}");
        let token = format!("{signed}.{}", B64.encode(key.signature(signed.as_bytes())));
        let set = KeySet::new(key);
        assert!(set.verify(&token, chrono::DateTime::UNIX_EPOCH).is_ok());
    }
}

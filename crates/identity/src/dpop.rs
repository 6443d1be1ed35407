//! DPoP proofs (RFC 9449): a client proves, at each request, that it holds
//! the private key its token is bound to, so a stolen token is useless
//! alone. Pure: replay of a proof's `jti` is the caller's to refuse (it
//! needs storage), everything else is checked here.
//!
//! Accepted keys and algorithms: ES256 (P-256, what most clients use) and
//! EdDSA (Ed25519).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// How far ahead of the server's clock a proof's `iat` may be.
pub const CLOCK_SKEW: Duration = Duration::seconds(60);

/// Why a proof was refused (`invalid_dpop_proof`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DpopError {
    /// Not a compact JWS, or its parts are not JSON.
    #[error("the DPoP proof is not a signed JWT")]
    Malformed,
    /// `typ` is not `dpop+jwt`.
    #[error("the DPoP proof's typ must be dpop+jwt")]
    Type,
    /// An algorithm other than ES256 or EdDSA.
    #[error("the DPoP proof's alg {0:?} is not accepted (ES256, EdDSA)")]
    Algorithm(String),
    /// The header's `jwk` is missing, private, or not a key of its `alg`.
    #[error("the DPoP proof's jwk: {0}")]
    Key(&'static str),
    /// The signature does not verify with the header's key.
    #[error("the DPoP proof's signature does not verify")]
    Signature,
    /// `htm` or `htu` is not this request's.
    #[error("the DPoP proof is for {htm} {htu}, not this request")]
    Target {
        /// The proof's method.
        htm: String,
        /// The proof's URI.
        htu: String,
    },
    /// `iat` too old or in the future.
    #[error("the DPoP proof's iat is outside the accepted window")]
    Time,
    /// `jti` missing or too long.
    #[error("the DPoP proof needs a jti of 1 to 256 characters")]
    Jti,
    /// `ath` missing or not the access token's hash.
    #[error("the DPoP proof's ath does not match the access token")]
    AccessTokenHash,
}

/// A proof that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopProof {
    /// The RFC 7638 thumbprint of the proof's key (`cnf.jkt` of a bound
    /// token).
    pub jkt: String,
    /// The proof's unique id (to refuse replays).
    pub jti: String,
    /// When it was made.
    pub iat: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Header {
    typ: Option<String>,
    alg: String,
    jwk: Option<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    crv: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    jti: Option<String>,
    htm: String,
    htu: String,
    iat: i64,
    ath: Option<String>,
}

/// The key of a proof, checked against its algorithm.
enum Key {
    P256 { x: String, y: String },
    Ed25519 { x: String },
}

impl Key {
    fn of(alg: &str, jwk: &Jwk) -> Result<Key, DpopError> {
        if jwk.d.is_some() {
            return Err(DpopError::Key("it holds a private key"));
        }
        match (alg, jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("ES256", "EC", Some("P-256")) => Ok(Key::P256 {
                x: jwk.x.clone().ok_or(DpopError::Key("no x"))?,
                y: jwk.y.clone().ok_or(DpopError::Key("no y"))?,
            }),
            ("EdDSA", "OKP", Some("Ed25519")) => Ok(Key::Ed25519 {
                x: jwk.x.clone().ok_or(DpopError::Key("no x"))?,
            }),
            _ => Err(DpopError::Key("not a key of the proof's algorithm")),
        }
    }

    /// RFC 7638: the required members in lexicographic order.
    fn thumbprint(&self) -> String {
        let canonical = match self {
            Key::P256 { x, y } => format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#),
            Key::Ed25519 { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#),
        };
        B64.encode(Sha256::digest(canonical.as_bytes()))
    }

    fn verify(&self, signed: &[u8], signature: &[u8]) -> Result<(), DpopError> {
        let coordinate = |s: &str| -> Result<[u8; 32], DpopError> {
            B64.decode(s)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(DpopError::Key("a coordinate is not 32 bytes of base64url"))
        };
        match self {
            Key::P256 { x, y } => {
                use p256::ecdsa::signature::Verifier as _;
                let point = p256::EncodedPoint::from_affine_coordinates(
                    &coordinate(x)?.into(),
                    &coordinate(y)?.into(),
                    false,
                );
                let key = p256::ecdsa::VerifyingKey::from_encoded_point(&point)
                    .map_err(|_| DpopError::Key("not a point of P-256"))?;
                let sig = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| DpopError::Signature)?;
                key.verify(signed, &sig).map_err(|_| DpopError::Signature)
            }
            Key::Ed25519 { x } => {
                use ed25519_dalek::Verifier as _;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&coordinate(x)?)
                    .map_err(|_| DpopError::Key("not an Ed25519 key"))?;
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| DpopError::Signature)?;
                key.verify(signed, &sig).map_err(|_| DpopError::Signature)
            }
        }
    }
}

/// The URI as `htu` names it: without query and fragment (RFC 9449 §4.3).
fn without_query(uri: &str) -> &str {
    let end = uri.find(['?', '#']).unwrap_or(uri.len());
    &uri[..end]
}

/// The `ath` of an access token: base64url SHA-256 of its ASCII.
pub fn access_token_hash(token: &str) -> String {
    B64.encode(Sha256::digest(token.as_bytes()))
}

/// Verifies a DPoP proof for the request `method` `uri` at `now`, made at
/// most `max_age` ago; with `access_token`, the proof must carry its hash
/// (a request to a resource with a bound token).
pub fn verify_proof(
    proof: &str,
    method: &str,
    uri: &str,
    now: DateTime<Utc>,
    max_age: Duration,
    access_token: Option<&str>,
) -> Result<DpopProof, DpopError> {
    let (signed, signature) = proof.rsplit_once('.').ok_or(DpopError::Malformed)?;
    let (header_b64, claims_b64) = signed.split_once('.').ok_or(DpopError::Malformed)?;
    let json = |part: &str| B64.decode(part).map_err(|_| DpopError::Malformed);
    let header: Header =
        serde_json::from_slice(&json(header_b64)?).map_err(|_| DpopError::Malformed)?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(DpopError::Type);
    }
    if !matches!(header.alg.as_str(), "ES256" | "EdDSA") {
        return Err(DpopError::Algorithm(header.alg));
    }
    let key = Key::of(
        &header.alg,
        header.jwk.as_ref().ok_or(DpopError::Key("missing"))?,
    )?;
    let signature = B64.decode(signature).map_err(|_| DpopError::Malformed)?;
    key.verify(signed.as_bytes(), &signature)?;
    let claims: Claims =
        serde_json::from_slice(&json(claims_b64)?).map_err(|_| DpopError::Malformed)?;
    let jti = claims
        .jti
        .filter(|j| (1..=256).contains(&j.len()))
        .ok_or(DpopError::Jti)?;
    if !claims.htm.eq_ignore_ascii_case(method) || without_query(&claims.htu) != without_query(uri)
    {
        return Err(DpopError::Target {
            htm: claims.htm,
            htu: claims.htu,
        });
    }
    let iat = DateTime::<Utc>::from_timestamp(claims.iat, 0).ok_or(DpopError::Time)?;
    if iat > now + CLOCK_SKEW || now - iat > max_age {
        return Err(DpopError::Time);
    }
    if let Some(token) = access_token
        && claims.ath.as_deref() != Some(access_token_hash(token).as_str())
    {
        return Err(DpopError::AccessTokenHash);
    }
    Ok(DpopProof {
        jkt: key.thumbprint(),
        jti,
        iat,
    })
}

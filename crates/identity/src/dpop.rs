//! DPoP proofs (RFC 9449): a client proves, at each request, that it holds
//! the private key its token is bound to, so a stolen token is useless
//! alone. Pure: replay of a proof's `jti` is the caller's to refuse (it
//! needs storage), everything else is checked here.
//!
//! Accepted keys and algorithms: ES256 (P-256, what most clients use) and
//! Ed25519, named `EdDSA` (RFC 8037) or `Ed25519` (RFC 9864).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use crate::jwk::{KeyError, PublicJwk, VerifyKey};

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
    /// An algorithm other than ES256, EdDSA or Ed25519.
    #[error("the DPoP proof's alg {0:?} is not accepted (ES256, EdDSA, Ed25519)")]
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
    jwk: Option<PublicJwk>,
}

#[derive(Deserialize)]
struct Claims {
    jti: Option<String>,
    htm: String,
    htu: String,
    iat: i64,
    ath: Option<String>,
}

fn key_error(e: KeyError) -> DpopError {
    match e {
        KeyError::Key("not a key of the algorithm") => {
            DpopError::Key("not a key of the proof's algorithm")
        }
        KeyError::Key(m) => DpopError::Key(m),
        KeyError::Signature => DpopError::Signature,
    }
}

/// The URI as `htu` names it: without query and fragment (RFC 9449 §4.3).
fn without_query(uri: &str) -> &str {
    let end = uri.find(['?', '#']).unwrap_or(uri.len());
    &uri[..end]
}

/// The `ath` of an access token: base64url SHA-256 of its ASCII.
pub fn access_token_hash(token: &str) -> String {
    crate::jwk::sha256_b64url(token)
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
    if !VerifyKey::ALGORITHMS.contains(&header.alg.as_str()) {
        return Err(DpopError::Algorithm(header.alg));
    }
    let key = VerifyKey::of(
        &header.alg,
        header.jwk.as_ref().ok_or(DpopError::Key("missing"))?,
    )
    .map_err(key_error)?;
    let signature = B64.decode(signature).map_err(|_| DpopError::Malformed)?;
    key.verify(signed.as_bytes(), &signature)
        .map_err(key_error)?;
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

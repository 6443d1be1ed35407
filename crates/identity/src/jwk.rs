//! Public keys of clients as JSON Web Keys (RFC 7517), for the signatures
//! the provider checks: DPoP proofs and `private_key_jwt` client
//! assertions. ES256 (P-256) and Ed25519, named either `EdDSA` (RFC 8037)
//! or, fully specified, `Ed25519` (RFC 9864).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// SHA-256 of `text`, base64url without padding: PKCE challenges, DPoP
/// `ath`, JWK thumbprints, the keys tokens are stored under.
pub fn sha256_b64url(text: &str) -> String {
    B64.encode(Sha256::digest(text.as_bytes()))
}

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The key does not fit the algorithm, or is malformed.
    #[error("{0}")]
    Key(&'static str),
    /// The signature does not verify.
    #[error("the signature does not verify")]
    Signature,
}

/// A JSON Web Key as received (public members; `d` only to refuse it).
#[derive(Debug, Clone, Deserialize)]
pub struct PublicJwk {
    /// `EC` or `OKP`.
    pub kty: String,
    /// `P-256` or `Ed25519`.
    pub crv: Option<String>,
    /// x coordinate / public key.
    pub x: Option<String>,
    /// y coordinate (EC).
    pub y: Option<String>,
    /// A private member: a public key must not have it.
    pub d: Option<String>,
    /// The key id.
    pub kid: Option<String>,
}

/// A public key checked against an algorithm.
#[derive(Debug, Clone)]
pub enum VerifyKey {
    /// ES256.
    P256 {
        /// x, base64url.
        x: String,
        /// y, base64url.
        y: String,
    },
    /// EdDSA.
    Ed25519 {
        /// The key, base64url.
        x: String,
    },
}

impl VerifyKey {
    /// The JWS algorithms a client may sign with: ES256, and Ed25519 under
    /// both of its names (`EdDSA` of RFC 8037, and `Ed25519` of RFC 9864,
    /// which strict clients send by default).
    pub const ALGORITHMS: [&'static str; 3] = ["ES256", "EdDSA", "Ed25519"];

    /// The key of `jwk` for `alg` (`ES256`, `EdDSA` or `Ed25519`).
    pub fn of(alg: &str, jwk: &PublicJwk) -> Result<VerifyKey, KeyError> {
        if jwk.d.is_some() {
            return Err(KeyError::Key("it holds a private key"));
        }
        match (alg, jwk.kty.as_str(), jwk.crv.as_deref()) {
            ("ES256", "EC", Some("P-256")) => Ok(VerifyKey::P256 {
                x: jwk.x.clone().ok_or(KeyError::Key("no x"))?,
                y: jwk.y.clone().ok_or(KeyError::Key("no y"))?,
            }),
            ("EdDSA" | "Ed25519", "OKP", Some("Ed25519")) => Ok(VerifyKey::Ed25519 {
                x: jwk.x.clone().ok_or(KeyError::Key("no x"))?,
            }),
            _ => Err(KeyError::Key("not a key of the algorithm")),
        }
    }

    /// RFC 7638: the required members in lexicographic order.
    pub fn thumbprint(&self) -> String {
        let canonical = match self {
            VerifyKey::P256 { x, y } => {
                format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#)
            }
            VerifyKey::Ed25519 { x } => format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#),
        };
        sha256_b64url(&canonical)
    }

    /// Checks a JWS signature over `signed`.
    pub fn verify(&self, signed: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let coordinate = |s: &str| -> Result<[u8; 32], KeyError> {
            B64.decode(s)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(KeyError::Key("a coordinate is not 32 bytes of base64url"))
        };
        match self {
            VerifyKey::P256 { x, y } => {
                use p256::ecdsa::signature::Verifier as _;
                let point = p256::EncodedPoint::from_affine_coordinates(
                    &coordinate(x)?.into(),
                    &coordinate(y)?.into(),
                    false,
                );
                let key = p256::ecdsa::VerifyingKey::from_encoded_point(&point)
                    .map_err(|_| KeyError::Key("not a point of P-256"))?;
                let sig = p256::ecdsa::Signature::from_slice(signature)
                    .map_err(|_| KeyError::Signature)?;
                key.verify(signed, &sig).map_err(|_| KeyError::Signature)
            }
            VerifyKey::Ed25519 { x } => {
                use ed25519_dalek::Verifier as _;
                let key = ed25519_dalek::VerifyingKey::from_bytes(&coordinate(x)?)
                    .map_err(|_| KeyError::Key("not an Ed25519 key"))?;
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| KeyError::Signature)?;
                key.verify(signed, &sig).map_err(|_| KeyError::Signature)
            }
        }
    }
}

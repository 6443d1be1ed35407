//! Passkeys (WebAuthn Level 2, W3C): registering a person's authenticator
//! and checking its assertions, pure. A passkey whose authenticator
//! verified the person (`UV`: a PIN or biometrics on the device) is a
//! phishing-resistant log-in on its own: the browser binds every signature
//! to this provider's origin, so a look-alike site gets nothing it can use.
//!
//! Only what this provider needs is read: `none` attestation (the browser
//! is asked not to reveal the authenticator's make), ES256 (P-256) and
//! EdDSA (Ed25519) credential keys, user verification required.

use std::io::Cursor;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ciborium::value::Value;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// COSE algorithm ES256.
pub const ALG_ES256: i64 = -7;
/// COSE algorithm EdDSA.
pub const ALG_EDDSA: i64 = -8;

/// Authenticator-data flags (WebAuthn §6.1).
const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;
const FLAG_AT: u8 = 0x40;

/// Why a registration or an assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebauthnError {
    /// A part does not have the shape WebAuthn gives it.
    #[error("the authenticator's answer is malformed: {0}")]
    Malformed(&'static str),
    /// Not the ceremony expected (`webauthn.create` / `webauthn.get`).
    #[error("the answer is for another ceremony")]
    Type,
    /// The challenge is not the one this provider issued.
    #[error("the answer is for another challenge")]
    Challenge,
    /// Made for another site.
    #[error("the answer was made for another site ({0})")]
    Origin(String),
    /// The authenticator's relying-party id is not this provider's.
    #[error("the authenticator answered for another relying party")]
    RpId,
    /// The person was not present, or not verified on the device.
    #[error("the authenticator did not verify the person (a PIN or biometrics is needed)")]
    NotVerified,
    /// An attestation format this provider does not read.
    #[error("attestation format {0:?} is not accepted (ask for none)")]
    Attestation(String),
    /// A key type or algorithm this provider does not read.
    #[error("the credential's key is not ES256 or EdDSA")]
    KeyType,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    Signature,
    /// The signature counter went back: the credential may be cloned.
    #[error(
        "the authenticator's counter went back ({stored} then {got}): the passkey may have been copied"
    )]
    Counter {
        /// The count stored.
        stored: u32,
        /// The count presented.
        got: u32,
    },
}

/// This provider as a WebAuthn relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP id: the issuer's host name.
    pub id: String,
    /// The origin the browser reports: `scheme://host[:port]`.
    pub origin: String,
}

impl RelyingParty {
    /// The relying party of an issuer URL (`https://host[:port]/…`).
    pub fn of_issuer(issuer: &str) -> Option<Self> {
        let (scheme, rest) = issuer.split_once("://")?;
        let authority = rest.split('/').next()?;
        let host = match authority.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => authority,
        };
        (!host.is_empty()).then(|| RelyingParty {
            id: host.to_string(),
            origin: format!("{scheme}://{authority}"),
        })
    }
}

/// A registered passkey, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The credential's public key, a COSE key (CBOR).
    pub public_key: Vec<u8>,
    /// The signature counter last seen.
    pub sign_count: u32,
}

#[derive(Deserialize)]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
}

fn check_client_data(
    rp: &RelyingParty,
    kind: &str,
    challenge: &[u8],
    client_data_json: &[u8],
) -> Result<(), WebauthnError> {
    let data: ClientData = serde_json::from_slice(client_data_json)
        .map_err(|_| WebauthnError::Malformed("clientDataJSON"))?;
    if data.kind != kind {
        return Err(WebauthnError::Type);
    }
    let got = B64
        .decode(data.challenge.trim_end_matches('='))
        .map_err(|_| WebauthnError::Malformed("challenge"))?;
    if !crate::same_bytes(&got, challenge) {
        return Err(WebauthnError::Challenge);
    }
    if data.origin != rp.origin {
        return Err(WebauthnError::Origin(data.origin));
    }
    Ok(())
}

/// The fixed part of authenticator data.
struct AuthData<'a> {
    rp_id_hash: &'a [u8],
    flags: u8,
    sign_count: u32,
    rest: &'a [u8],
}

fn auth_data(bytes: &[u8]) -> Result<AuthData<'_>, WebauthnError> {
    let short = WebauthnError::Malformed("authenticator data");
    if bytes.len() < 37 {
        return Err(short);
    }
    let count = [bytes[33], bytes[34], bytes[35], bytes[36]];
    Ok(AuthData {
        rp_id_hash: &bytes[..32],
        flags: bytes[32],
        sign_count: u32::from_be_bytes(count),
        rest: &bytes[37..],
    })
}

fn check_flags(rp: &RelyingParty, data: &AuthData<'_>) -> Result<(), WebauthnError> {
    let expected = Sha256::digest(rp.id.as_bytes());
    if !crate::same_bytes(data.rp_id_hash, &expected) {
        return Err(WebauthnError::RpId);
    }
    if data.flags & FLAG_UP == 0 || data.flags & FLAG_UV == 0 {
        return Err(WebauthnError::NotVerified);
    }
    Ok(())
}

fn map_get<'a>(map: &'a [(Value, Value)], key: &Value) -> Option<&'a Value> {
    map.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn int(v: Option<&Value>) -> Option<i128> {
    match v {
        Some(Value::Integer(i)) => Some(i128::from(*i)),
        _ => None,
    }
}

fn bytes(v: Option<&Value>) -> Option<&[u8]> {
    match v {
        Some(Value::Bytes(b)) => Some(b),
        _ => None,
    }
}

/// A credential key read from its COSE form.
enum CoseKey {
    Es256(p256::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

fn cose_key(cbor: &[u8]) -> Result<CoseKey, WebauthnError> {
    let value: Value =
        ciborium::de::from_reader(cbor).map_err(|_| WebauthnError::Malformed("COSE key"))?;
    let Value::Map(map) = value else {
        return Err(WebauthnError::Malformed("COSE key"));
    };
    let get = |k: i64| map_get(&map, &Value::Integer(k.into()));
    match (int(get(1)), int(get(3)), int(get(-1))) {
        // EC2, ES256, P-256
        (Some(2), Some(-7), Some(1)) => {
            let (Some(x), Some(y)) = (bytes(get(-2)), bytes(get(-3))) else {
                return Err(WebauthnError::KeyType);
            };
            if x.len() != 32 || y.len() != 32 {
                return Err(WebauthnError::KeyType);
            }
            let mut sec1 = Vec::with_capacity(65);
            sec1.push(4);
            sec1.extend_from_slice(x);
            sec1.extend_from_slice(y);
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                .map(CoseKey::Es256)
                .map_err(|_| WebauthnError::KeyType)
        }
        // OKP, EdDSA, Ed25519
        (Some(1), Some(-8), Some(6)) => {
            let x: [u8; 32] = bytes(get(-2))
                .and_then(|x| x.try_into().ok())
                .ok_or(WebauthnError::KeyType)?;
            ed25519_dalek::VerifyingKey::from_bytes(&x)
                .map(CoseKey::Ed25519)
                .map_err(|_| WebauthnError::KeyType)
        }
        _ => Err(WebauthnError::KeyType),
    }
}

/// A new credential from a registration ceremony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The passkey to keep.
    pub passkey: Passkey,
}

/// Checks a registration (`navigator.credentials.create`) answering
/// `challenge`: the client data, the attestation object (`none`), the
/// authenticator data (this RP, person present and verified) and the
/// credential's key (ES256 or EdDSA).
pub fn verify_registration(
    rp: &RelyingParty,
    challenge: &[u8],
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<Registered, WebauthnError> {
    check_client_data(rp, "webauthn.create", challenge, client_data_json)?;
    let value: Value = ciborium::de::from_reader(attestation_object)
        .map_err(|_| WebauthnError::Malformed("attestationObject"))?;
    let Value::Map(map) = value else {
        return Err(WebauthnError::Malformed("attestationObject"));
    };
    let fmt = match map_get(&map, &Value::Text("fmt".into())) {
        Some(Value::Text(f)) => f.clone(),
        _ => return Err(WebauthnError::Malformed("attestation format")),
    };
    if fmt != "none" {
        return Err(WebauthnError::Attestation(fmt));
    }
    let raw = bytes(map_get(&map, &Value::Text("authData".into())))
        .ok_or(WebauthnError::Malformed("authData"))?;
    let data = auth_data(raw)?;
    check_flags(rp, &data)?;
    if data.flags & FLAG_AT == 0 {
        return Err(WebauthnError::Malformed("no attested credential"));
    }
    // aaguid (16), credential id length (2), credential id, COSE key
    let rest = data.rest;
    let short = WebauthnError::Malformed("attested credential data");
    if rest.len() < 18 {
        return Err(short);
    }
    let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
    let id = rest.get(18..18 + len).ok_or(short.clone())?;
    let key_and_more = rest.get(18 + len..).ok_or(short)?;
    let mut cursor = Cursor::new(key_and_more);
    let _: Value =
        ciborium::de::from_reader(&mut cursor).map_err(|_| WebauthnError::Malformed("COSE key"))?;
    let end = usize::try_from(cursor.position()).map_err(|_| WebauthnError::KeyType)?;
    let key = &key_and_more[..end];
    cose_key(key)?;
    Ok(Registered {
        passkey: Passkey {
            credential_id: id.to_vec(),
            public_key: key.to_vec(),
            sign_count: data.sign_count,
        },
    })
}

/// Checks an assertion (`navigator.credentials.get`) by `passkey`
/// answering `challenge`; the new signature count to keep.
pub fn verify_assertion(
    rp: &RelyingParty,
    challenge: &[u8],
    passkey: &Passkey,
    client_data_json: &[u8],
    authenticator_data: &[u8],
    signature: &[u8],
) -> Result<u32, WebauthnError> {
    check_client_data(rp, "webauthn.get", challenge, client_data_json)?;
    let data = auth_data(authenticator_data)?;
    check_flags(rp, &data)?;
    let mut message = authenticator_data.to_vec();
    message.extend_from_slice(&Sha256::digest(client_data_json));
    let verified = match cose_key(&passkey.public_key)? {
        CoseKey::Es256(key) => {
            use p256::ecdsa::signature::Verifier as _;
            p256::ecdsa::Signature::from_der(signature)
                .map(|sig| key.verify(&message, &sig).is_ok())
                .unwrap_or(false)
        }
        CoseKey::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
            .map(|sig| key.verify_strict(&message, &sig).is_ok())
            .unwrap_or(false),
    };
    if !verified {
        return Err(WebauthnError::Signature);
    }
    // counters are optional (0 = not kept); when kept they only go up
    if (data.sign_count != 0 || passkey.sign_count != 0) && data.sign_count <= passkey.sign_count {
        return Err(WebauthnError::Counter {
            stored: passkey.sign_count,
            got: data.sign_count,
        });
    }
    Ok(data.sign_count)
}

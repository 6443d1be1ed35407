//! Clients' public keys and the algorithm names they sign with.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ed25519_dalek::Signer as _;
use identity::jwk::{KeyError, PublicJwk, VerifyKey};
use serde_json::json;

fn jwk(value: serde_json::Value) -> PublicJwk {
    serde_json::from_value(value).expect("a JWK")
}

fn ed25519() -> (ed25519_dalek::SigningKey, PublicJwk) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
    let public = jwk(json!({
        "kty": "OKP", "crv": "Ed25519", "x": B64.encode(key.verifying_key().as_bytes()),
    }));
    (key, public)
}

fn p256() -> PublicJwk {
    let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).expect("a P-256 scalar");
    let point = key.verifying_key().to_encoded_point(false);
    jwk(json!({
        "kty": "EC", "crv": "P-256",
        "x": B64.encode(point.x().expect("x")),
        "y": B64.encode(point.y().expect("y")),
    }))
}

/// RFC 9864 names Ed25519 signatures `Ed25519`; RFC 8037's `EdDSA` names
/// the same signatures. Both verify with an Ed25519 key, to one thumbprint.
#[test]
fn an_ed25519_key_verifies_under_both_names() {
    let (key, public) = ed25519();
    let message = b"eyJhbGciOiJFZDI1NTE5In0.e30";
    let signature = key.sign(message).to_bytes();
    let fully_specified = VerifyKey::of("Ed25519", &public).expect("Ed25519");
    let polymorphic = VerifyKey::of("EdDSA", &public).expect("EdDSA");
    assert_eq!(fully_specified.verify(message, &signature), Ok(()));
    assert_eq!(polymorphic.verify(message, &signature), Ok(()));
    assert_eq!(fully_specified.thumbprint(), polymorphic.thumbprint());
    assert_eq!(
        fully_specified.verify(b"another message", &signature),
        Err(KeyError::Signature)
    );
}

/// `Ed25519` is fully specified: a key of another curve or type is not one
/// of its keys, nor is an Ed25519 key one of ES256.
#[test]
fn ed25519_is_refused_with_a_key_of_another_curve() {
    let not_its_key = Err(KeyError::Key("not a key of the algorithm"));
    assert_eq!(VerifyKey::of("Ed25519", &p256()).map(|_| ()), not_its_key);
    let x448 = jwk(json!({"kty": "OKP", "crv": "Ed448", "x": B64.encode([1u8; 57])}));
    assert_eq!(VerifyKey::of("Ed25519", &x448).map(|_| ()), not_its_key);
    assert_eq!(VerifyKey::of("EdDSA", &x448).map(|_| ()), not_its_key);
    let (_, public) = ed25519();
    assert_eq!(VerifyKey::of("ES256", &public).map(|_| ()), not_its_key);
    // the name is case-sensitive (RFC 7515 §4.1.1)
    assert_eq!(VerifyKey::of("ed25519", &public).map(|_| ()), not_its_key);
    assert_eq!(VerifyKey::ALGORITHMS, ["ES256", "EdDSA", "Ed25519"]);
}

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

/// RFC 8037 Appendix A.5: the Ed25519 JWS of A.4 verifies with the public
/// key of A.2, and not once changed.
#[test]
fn the_rfc_8037_ed25519_jws_verifies() {
    let key = jwk(json!({
        "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    }));
    let input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    let signature = B64
        .decode("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
        .expect("base64url");
    for alg in ["EdDSA", "Ed25519"] {
        let k = VerifyKey::of(alg, &key).expect("an Ed25519 key");
        assert_eq!(k.verify(input.as_bytes(), &signature), Ok(()), "{alg}");
        let changed = input.replace("RXhh", "RXhi");
        assert_eq!(
            k.verify(changed.as_bytes(), &signature),
            Err(KeyError::Signature)
        );
    }
}

/// RFC 7515 Appendix A.3: the ES256 JWS example verifies with its public
/// key (the signature as R ‖ S, 64 bytes).
#[test]
fn the_rfc_7515_es256_jws_verifies() {
    let key = jwk(json!({
        "kty": "EC", "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
    }));
    let input = "eyJhbGciOiJFUzI1NiJ9.\
                 eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let signature = B64
        .decode("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q")
        .expect("base64url");
    let k = VerifyKey::of("ES256", &key).expect("a P-256 key");
    assert_eq!(k.verify(input.as_bytes(), &signature), Ok(()));
    assert_eq!(
        // {"iss":"jim", … instead of {"iss":"joe", …
        k.verify(
            input
                .replace("eyJpc3MiOiJqb2UiLA", "eyJpc3MiOiJqaW0iLA")
                .as_bytes(),
            &signature
        ),
        Err(KeyError::Signature)
    );
    assert_eq!(
        k.verify(input.as_bytes(), &signature[..63]),
        Err(KeyError::Signature)
    );
}

/// RFC 7638 §3.1: the thumbprint is the base64url SHA-256 of the required
/// members in lexicographic order without white space; the RFC's example
/// key (RSA) has the published thumbprint. The EC and OKP forms are checked
/// against RFC 9449 §6.1 (tests/dpop.rs) and RFC 8037 A.3 (tests/jwt.rs).
#[test]
fn the_rfc_7638_thumbprint_of_the_example_key() {
    let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_\
             BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_\
             FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI\
             4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    let canonical = format!(r#"{{"e":"AQAB","kty":"RSA","n":"{n}"}}"#);
    assert_eq!(
        identity::jwk::sha256_b64url(&canonical),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // the P-256 key of RFC 7515 A.3, through VerifyKey's own canonical form
    let key = VerifyKey::of(
        "ES256",
        &jwk(json!({
            "kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        })),
    )
    .expect("a P-256 key");
    assert_eq!(
        key.thumbprint(),
        identity::jwk::sha256_b64url(
            r#"{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#
        )
    );
}

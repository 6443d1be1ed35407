//! DPoP proofs.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, TimeZone, Utc};
use identity::dpop::{DpopError, access_token_hash, verify_proof};
use p256::ecdsa::signature::Signer as _;
use serde_json::json;

/// RFC 9449 §4.1's example proof (ES256), made at 1562262616 for
/// `POST https://server.example.com/token`, and its key's thumbprint
/// (§6.1).
const RFC_PROOF: &str = "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";
const RFC_JKT: &str = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

const TOKEN_URI: &str = "https://eid.example/oidc/token";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("time")
}

fn es256_key() -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&[7; 32]).expect("a P-256 scalar")
}

fn es256_jwk(key: &p256::ecdsa::SigningKey) -> serde_json::Value {
    let point = key.verifying_key().to_encoded_point(false);
    json!({
        "kty": "EC",
        "crv": "P-256",
        "x": B64.encode(point.x().expect("x")),
        "y": B64.encode(point.y().expect("y")),
    })
}

fn jws(
    header: &serde_json::Value,
    claims: &serde_json::Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(serde_json::to_vec(header).expect("JSON")),
        B64.encode(serde_json::to_vec(claims).expect("JSON"))
    );
    let signature = sign(input.as_bytes());
    format!("{input}.{}", B64.encode(signature))
}

fn es256_proof(claims: &serde_json::Value) -> String {
    let key = es256_key();
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": es256_jwk(&key)});
    jws(&header, claims, |m| {
        let s: p256::ecdsa::Signature = key.sign(m);
        s.to_bytes().to_vec()
    })
}

fn claims(iat: DateTime<Utc>) -> serde_json::Value {
    json!({"jti": "e1j3V_bKic8-LAEB", "htm": "POST", "htu": TOKEN_URI, "iat": iat.timestamp()})
}

#[test]
fn the_rfc_9449_example_proof_verifies() {
    let made = Utc.timestamp_opt(1_562_262_616, 0).single().expect("time");
    let p = verify_proof(
        RFC_PROOF,
        "POST",
        "https://server.example.com/token",
        made + Duration::seconds(10),
        Duration::seconds(60),
        None,
    )
    .expect("verifies");
    assert_eq!(p.jkt, RFC_JKT);
    assert_eq!(p.jti, "-BwC3ESc6acc2lTc");
    // the same proof, too late or for another endpoint
    assert_eq!(
        verify_proof(
            RFC_PROOF,
            "POST",
            "https://server.example.com/token",
            made + Duration::seconds(61),
            Duration::seconds(60),
            None
        ),
        Err(DpopError::Time)
    );
    assert!(matches!(
        verify_proof(
            RFC_PROOF,
            "POST",
            "https://server.example.com/other",
            made,
            Duration::seconds(60),
            None
        ),
        Err(DpopError::Target { .. })
    ));
}

#[test]
fn a_fresh_proof_for_this_request_verifies_with_either_key_type() {
    let p = verify_proof(
        &es256_proof(&claims(now())),
        "POST",
        TOKEN_URI,
        now(),
        Duration::seconds(60),
        None,
    )
    .expect("ES256 verifies");
    assert_eq!(p.jti, "e1j3V_bKic8-LAEB");
    // the query and fragment are not part of htu
    assert!(
        verify_proof(
            &es256_proof(&claims(now())),
            "post",
            "https://eid.example/oidc/token?x=1",
            now(),
            Duration::seconds(60),
            None
        )
        .is_ok()
    );

    let ed = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let header = json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": {
        "kty": "OKP", "crv": "Ed25519", "x": B64.encode(ed.verifying_key().as_bytes())
    }});
    let proof = jws(&header, &claims(now()), |m| {
        use ed25519_dalek::Signer as _;
        ed.sign(m).to_bytes().to_vec()
    });
    let p2 = verify_proof(
        &proof,
        "POST",
        TOKEN_URI,
        now(),
        Duration::seconds(60),
        None,
    )
    .expect("EdDSA verifies");
    assert_ne!(p2.jkt, p.jkt);
    // the thumbprint names the key: the same key, the same jkt
    let again = verify_proof(
        &es256_proof(
            &json!({"jti": "other", "htm": "POST", "htu": TOKEN_URI, "iat": now().timestamp()}),
        ),
        "POST",
        TOKEN_URI,
        now(),
        Duration::seconds(60),
        None,
    )
    .expect("verifies");
    assert_eq!(again.jkt, p.jkt);
}

/// RFC 9864's fully-specified name for Ed25519 signatures, the default of
/// strict clients, is accepted beside `EdDSA`, with an Ed25519 key only.
#[test]
fn a_proof_signed_as_ed25519_verifies_with_an_ed25519_key_only() {
    let ed = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let ed_jwk = json!({
        "kty": "OKP", "crv": "Ed25519", "x": B64.encode(ed.verifying_key().as_bytes())
    });
    let sign = |m: &[u8]| {
        use ed25519_dalek::Signer as _;
        ed.sign(m).to_bytes().to_vec()
    };
    let check =
        |proof: &str| verify_proof(proof, "POST", TOKEN_URI, now(), Duration::seconds(60), None);
    let as_ed25519 = jws(
        &json!({"typ": "dpop+jwt", "alg": "Ed25519", "jwk": ed_jwk}),
        &claims(now()),
        sign,
    );
    let as_eddsa = jws(
        &json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": ed_jwk}),
        &claims(now()),
        sign,
    );
    let p = check(&as_ed25519).expect("Ed25519 verifies");
    // the same key under either name: the same thumbprint
    assert_eq!(p.jkt, check(&as_eddsa).expect("EdDSA verifies").jkt);
    // a P-256 key under the name Ed25519
    let key = es256_key();
    let es_sign = |m: &[u8]| {
        let s: p256::ecdsa::Signature = key.sign(m);
        s.to_bytes().to_vec()
    };
    assert_eq!(
        check(&jws(
            &json!({"typ": "dpop+jwt", "alg": "Ed25519", "jwk": es256_jwk(&key)}),
            &claims(now()),
            es_sign,
        )),
        Err(DpopError::Key("not a key of the proof's algorithm"))
    );
}

#[test]
fn bad_proofs_are_refused_with_the_reason() {
    let good = es256_proof(&claims(now()));
    let check =
        |proof: &str| verify_proof(proof, "POST", TOKEN_URI, now(), Duration::seconds(60), None);
    assert!(check(&good).is_ok());
    assert_eq!(check("a.b"), Err(DpopError::Malformed));
    assert!(matches!(
        verify_proof(&good, "GET", TOKEN_URI, now(), Duration::seconds(60), None),
        Err(DpopError::Target { .. })
    ));
    assert_eq!(
        check(&es256_proof(&claims(now() - Duration::seconds(61)))),
        Err(DpopError::Time)
    );
    assert_eq!(
        check(&es256_proof(&claims(now() + Duration::seconds(61)))),
        Err(DpopError::Time)
    );
    assert_eq!(
        check(&es256_proof(
            &json!({"htm": "POST", "htu": TOKEN_URI, "iat": now().timestamp()})
        )),
        Err(DpopError::Jti)
    );
    // the claims changed under the signature
    let parts: Vec<&str> = good.split('.').collect();
    let other = B64.encode(
        serde_json::to_vec(
            &json!({"jti": "x", "htm": "POST", "htu": TOKEN_URI, "iat": now().timestamp()}),
        )
        .expect("JSON"),
    );
    assert_eq!(
        check(&format!("{}.{other}.{}", parts[0], parts[2])),
        Err(DpopError::Signature)
    );
    // header checks: typ, alg, private or missing key, mismatched key type
    let key = es256_key();
    let sign = |m: &[u8]| {
        let s: p256::ecdsa::Signature = key.sign(m);
        s.to_bytes().to_vec()
    };
    let mut private = es256_jwk(&key);
    private["d"] = json!(B64.encode([7u8; 32]));
    let cases = [
        (
            json!({"typ": "JWT", "alg": "ES256", "jwk": es256_jwk(&key)}),
            DpopError::Type,
        ),
        (
            json!({"typ": "dpop+jwt", "alg": "none", "jwk": es256_jwk(&key)}),
            DpopError::Algorithm("none".into()),
        ),
        (
            json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": es256_jwk(&key)}),
            DpopError::Algorithm("HS256".into()),
        ),
        (
            json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}),
            DpopError::Key("it holds a private key"),
        ),
        (
            json!({"typ": "dpop+jwt", "alg": "ES256"}),
            DpopError::Key("missing"),
        ),
        (
            json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": es256_jwk(&key)}),
            DpopError::Key("not a key of the proof's algorithm"),
        ),
    ];
    for (header, want) in cases {
        assert_eq!(check(&jws(&header, &claims(now()), sign)), Err(want));
    }
}

#[test]
fn a_proof_for_a_resource_carries_the_tokens_hash() {
    let token = "eyJhbGciOiJFZERTQSJ9.e30.sig";
    let mut c = claims(now());
    c["htm"] = json!("GET");
    c["htu"] = json!("https://eid.example/oidc/userinfo");
    let uri = "https://eid.example/oidc/userinfo";
    // without ath
    assert_eq!(
        verify_proof(
            &es256_proof(&c),
            "GET",
            uri,
            now(),
            Duration::seconds(60),
            Some(token)
        ),
        Err(DpopError::AccessTokenHash)
    );
    c["ath"] = json!(access_token_hash(token));
    assert!(
        verify_proof(
            &es256_proof(&c),
            "GET",
            uri,
            now(),
            Duration::seconds(60),
            Some(token)
        )
        .is_ok()
    );
    assert_eq!(
        verify_proof(
            &es256_proof(&c),
            "GET",
            uri,
            now(),
            Duration::seconds(60),
            Some("another token")
        ),
        Err(DpopError::AccessTokenHash)
    );
}

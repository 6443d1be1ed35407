//! Signed tokens and key rotation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Duration, TimeZone, Utc};
use identity::jwt::{JwtError, KeyRole, KeySet, SigningKey};
use serde_json::json;

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0)
        .single()
        .expect("a time")
}

fn key(n: u8) -> SigningKey {
    SigningKey::from_seed(&[n; 32])
}

/// RFC 8037 appendix A: the key of A.1 has the public `x` of A.2 and the
/// thumbprint of A.3.
#[test]
fn the_rfc_8037_key_has_its_published_public_key_and_thumbprint() {
    let d = B64
        .decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A")
        .expect("base64url");
    let seed: [u8; 32] = d.try_into().expect("32 bytes");
    let k = SigningKey::from_seed(&seed);
    let jwk = k.jwk();
    assert_eq!(jwk.x, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
    assert_eq!(k.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assert_eq!((jwk.kty.as_str(), jwk.crv.as_str()), ("OKP", "Ed25519"));
    assert_eq!((jwk.use_.as_str(), jwk.alg.as_str()), ("sig", "EdDSA"));
}

#[test]
fn a_signed_token_verifies_and_carries_its_claims() {
    let set = KeySet::new(key(1));
    let claims = json!({"iss": "https://eid.example", "sub": "u1", "exp": 10});
    let token = set.signing_key().sign("at+jwt", &claims).expect("signed");
    assert_eq!(token.split('.').count(), 3);
    let v = set.verify(&token, at(0)).expect("verifies");
    assert_eq!(v.kid, set.signing_key().kid());
    assert_eq!(v.typ.as_deref(), Some("at+jwt"));
    assert_eq!(serde_json::Value::Object(v.claims), claims);
    // the header names the algorithm and the key
    let header: serde_json::Value = serde_json::from_slice(
        &B64.decode(token.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("JSON");
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], set.signing_key().kid());
}

#[test]
fn a_changed_or_forged_token_is_refused() {
    let set = KeySet::new(key(1));
    let token = set
        .signing_key()
        .sign("JWT", &json!({"sub": "u1"}))
        .expect("signed");
    let parts: Vec<&str> = token.split('.').collect();

    // other claims under the same signature
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        B64.encode(br#"{"sub":"u2"}"#),
        parts[2]
    );
    assert_eq!(set.verify(&forged, at(0)), Err(JwtError::BadSignature));

    // alg none, and another algorithm
    for alg in ["none", "HS256", "ES256"] {
        let header = B64.encode(format!(
            r#"{{"alg":"{alg}","kid":"{}"}}"#,
            set.signing_key().kid()
        ));
        let t = format!("{header}.{}.{}", parts[1], parts[2]);
        assert_eq!(set.verify(&t, at(0)), Err(JwtError::Algorithm(alg.into())));
    }

    // signed by a key the set does not hold
    let stranger = key(9).sign("JWT", &json!({"sub": "u1"})).expect("signed");
    assert!(matches!(
        set.verify(&stranger, at(0)),
        Err(JwtError::UnknownKey(_))
    ));

    // not a JWS
    for bad in [
        "",
        "a.b",
        "a.b.c.d",
        "!!.e30.AA",
        &format!("{}.{}", parts[0], parts[1]),
    ] {
        assert!(set.verify(bad, at(0)).is_err(), "{bad:?}");
    }
    // a truncated signature
    let short = &token[..token.len() - 4];
    assert!(set.verify(short, at(0)).is_err());
}

#[test]
fn rotation_keeps_issued_tokens_valid_until_they_expire() {
    let mut set = KeySet::new(key(1));
    let old_token = set
        .signing_key()
        .sign("JWT", &json!({"n": 1}))
        .expect("signed");
    let old_kid = set.signing_key().kid().to_string();

    // the next key is published before it signs, and verifies nothing yet
    set.add_next(key(2));
    let kids: Vec<String> = set.jwks(at(0)).keys.into_iter().map(|k| k.kid).collect();
    assert_eq!(kids, [old_kid.clone(), key(2).kid().to_string()]);
    let early = key(2).sign("JWT", &json!({"n": 0})).expect("signed");
    assert!(matches!(
        set.verify(&early, at(0)),
        Err(JwtError::UnknownKey(_))
    ));

    // rotate at 1:00; tokens live at most an hour: the old key until 2:00
    set.rotate(None, at(2)).expect("rotated");
    assert_eq!(set.signing_key().kid(), key(2).kid());
    let new_token = set
        .signing_key()
        .sign("JWT", &json!({"n": 2}))
        .expect("signed");
    assert!(
        set.verify(&old_token, at(1)).is_ok(),
        "issued before the rotation"
    );
    assert!(set.verify(&new_token, at(1)).is_ok());
    let kids: Vec<String> = set.jwks(at(1)).keys.into_iter().map(|k| k.kid).collect();
    assert_eq!(kids, [key(2).kid().to_string(), old_kid.clone()]);

    // after its tokens have expired, the old key is neither published nor accepted
    assert!(matches!(
        set.verify(&old_token, at(2)),
        Err(JwtError::UnknownKey(_))
    ));
    assert_eq!(set.jwks(at(2)).keys.len(), 1);
    set.prune(at(3));
    assert_eq!(set.held().count(), 1);

    // rotating needs exactly one incoming key
    assert!(set.rotate(None, at(4)).is_err());
    set.add_next(key(3));
    assert!(set.rotate(Some(key(4)), at(4)).is_err());
    assert!(set.rotate(None, at(4) + Duration::hours(1)).is_ok());
}

#[test]
fn a_key_set_survives_being_stored() {
    let mut set = KeySet::new(key(1));
    set.add_next(key(2));
    set.rotate(None, at(5)).expect("rotated");
    set.add_next(key(3));
    let held: Vec<(SigningKey, KeyRole, Option<DateTime<Utc>>)> = set
        .held()
        .map(|(k, role, retire)| (SigningKey::from_seed(&k.seed()), role, retire))
        .collect();
    let back = KeySet::from_held(held).expect("rebuilt");
    assert_eq!(back.jwks(at(1)), set.jwks(at(1)));
    assert_eq!(back.signing_key().kid(), key(2).kid());

    assert!(KeySet::from_held(Vec::new()).is_err());
    assert!(
        KeySet::from_held(vec![
            (key(1), KeyRole::Current, None),
            (key(2), KeyRole::Current, None)
        ])
        .is_err()
    );
    assert!(
        KeySet::from_held(vec![
            (key(1), KeyRole::Current, None),
            (key(2), KeyRole::Previous, None)
        ])
        .is_err()
    );
}

#[test]
fn the_secret_is_not_in_debug_output() {
    let k = key(7);
    let shown = format!("{k:?}");
    assert!(shown.contains(k.kid()));
    assert!(!shown.contains(&hex_of(&k.seed())));
    assert!(!shown.contains("7, 7, 7"));
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

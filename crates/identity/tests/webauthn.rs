//! Passkeys against a software authenticator written here from the WebAuthn
//! specification: what it signs is built byte by byte (authenticator data,
//! attestation object, COSE keys), so each check is tried both ways.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ciborium::value::Value;
use identity::webauthn::{
    Passkey, RelyingParty, WebauthnError, verify_assertion, verify_registration,
};
use sha2::{Digest, Sha256};

fn rp() -> RelyingParty {
    RelyingParty::of_issuer("https://id.motcua.gov.vn").expect("an issuer")
}

enum Key {
    P256(p256::ecdsa::SigningKey),
    Ed(ed25519_dalek::SigningKey),
}

impl Key {
    fn cose(&self) -> Vec<u8> {
        let i = |n: i64| Value::Integer(n.into());
        let map = match self {
            Key::P256(k) => {
                let point = k.verifying_key().to_encoded_point(false);
                vec![
                    (i(1), i(2)),
                    (i(3), i(-7)),
                    (i(-1), i(1)),
                    (i(-2), Value::Bytes(point.x().expect("x").to_vec())),
                    (i(-3), Value::Bytes(point.y().expect("y").to_vec())),
                ]
            }
            Key::Ed(k) => vec![
                (i(1), i(1)),
                (i(3), i(-8)),
                (i(-1), i(6)),
                (i(-2), Value::Bytes(k.verifying_key().to_bytes().to_vec())),
            ],
        };
        let mut out = Vec::new();
        ciborium::ser::into_writer(&Value::Map(map), &mut out).expect("CBOR");
        out
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Key::P256(k) => {
                use p256::ecdsa::signature::Signer as _;
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Key::Ed(k) => {
                use ed25519_dalek::Signer as _;
                k.sign(message).to_bytes().to_vec()
            }
        }
    }
}

fn client_data(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "type": kind,
        "challenge": B64.encode(challenge),
        "origin": origin,
        "crossOrigin": false,
    }))
    .expect("JSON")
}

fn auth_data(rp_id: &str, flags: u8, count: u32, attested: Option<(&[u8], &[u8])>) -> Vec<u8> {
    let mut out = Sha256::digest(rp_id.as_bytes()).to_vec();
    out.push(flags);
    out.extend_from_slice(&count.to_be_bytes());
    if let Some((id, key)) = attested {
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&u16::try_from(id.len()).expect("short").to_be_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(key);
    }
    out
}

fn attestation(fmt: &str, auth_data: Vec<u8>) -> Vec<u8> {
    let map = Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text(fmt.into())),
        (Value::Text("attStmt".into()), Value::Map(vec![])),
        (Value::Text("authData".into()), Value::Bytes(auth_data)),
    ]);
    let mut out = Vec::new();
    ciborium::ser::into_writer(&map, &mut out).expect("CBOR");
    out
}

const UP_UV_AT: u8 = 0x01 | 0x04 | 0x40;
const UP_UV: u8 = 0x01 | 0x04;

fn register(key: &Key, challenge: &[u8]) -> Passkey {
    let cose = key.cose();
    let data = auth_data("id.motcua.gov.vn", UP_UV_AT, 0, Some((b"cred-1", &cose)));
    verify_registration(
        &rp(),
        challenge,
        &client_data("webauthn.create", challenge, "https://id.motcua.gov.vn"),
        &attestation("none", data),
    )
    .expect("registered")
    .passkey
}

#[test]
fn the_relying_party_is_the_issuers_host_and_origin() {
    let rp = RelyingParty::of_issuer("http://localhost:8080/").expect("rp");
    assert_eq!(rp.id, "localhost");
    assert_eq!(rp.origin, "http://localhost:8080");
    let rp = RelyingParty::of_issuer("https://id.motcua.gov.vn/path").expect("rp");
    assert_eq!(
        (rp.id.as_str(), rp.origin.as_str()),
        ("id.motcua.gov.vn", "https://id.motcua.gov.vn")
    );
    assert!(RelyingParty::of_issuer("no scheme").is_none());
}

#[test]
fn p256_and_ed25519_passkeys_register_and_sign_in() {
    for key in [
        Key::P256(p256::ecdsa::SigningKey::from_slice(&[7; 32]).expect("key")),
        Key::Ed(ed25519_dalek::SigningKey::from_bytes(&[9; 32])),
    ] {
        let passkey = register(&key, b"challenge-one-32-bytes-long-....");
        assert_eq!(passkey.credential_id, b"cred-1");
        assert_eq!(passkey.sign_count, 0);
        let challenge = b"challenge-two";
        let cd = client_data("webauthn.get", challenge, "https://id.motcua.gov.vn");
        let data = auth_data("id.motcua.gov.vn", UP_UV, 5, None);
        let mut message = data.clone();
        message.extend_from_slice(&Sha256::digest(&cd));
        let sig = key.sign(&message);
        assert_eq!(
            verify_assertion(&rp(), challenge, &passkey, &cd, &data, &sig),
            Ok(5)
        );
        // a tampered signature
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            verify_assertion(&rp(), challenge, &passkey, &cd, &data, &bad),
            Err(WebauthnError::Signature)
        );
        // the counter must go up once kept
        let kept = Passkey {
            sign_count: 5,
            ..passkey.clone()
        };
        assert!(matches!(
            verify_assertion(&rp(), challenge, &kept, &cd, &data, &sig),
            Err(WebauthnError::Counter { stored: 5, got: 5 })
        ));
    }
}

#[test]
fn answers_for_another_site_challenge_or_ceremony_are_refused() {
    let key = Key::P256(p256::ecdsa::SigningKey::from_slice(&[3; 32]).expect("key"));
    let passkey = register(&key, b"c1");
    let assert_with = |cd: Vec<u8>, rp_id: &str, flags: u8| {
        let data = auth_data(rp_id, flags, 1, None);
        let mut message = data.clone();
        message.extend_from_slice(&Sha256::digest(&cd));
        verify_assertion(&rp(), b"c2", &passkey, &cd, &data, &key.sign(&message))
    };
    let good = "https://id.motcua.gov.vn";
    assert_eq!(
        assert_with(
            client_data("webauthn.get", b"c2", good),
            "id.motcua.gov.vn",
            UP_UV
        ),
        Ok(1)
    );
    // a phishing site's origin
    assert_eq!(
        assert_with(
            client_data(
                "webauthn.get",
                b"c2",
                "https://id-motcua.gov.vn.evil.example"
            ),
            "id.motcua.gov.vn",
            UP_UV
        ),
        Err(WebauthnError::Origin(
            "https://id-motcua.gov.vn.evil.example".into()
        ))
    );
    // another challenge, another ceremony, another RP id, no verification
    assert_eq!(
        assert_with(
            client_data("webauthn.get", b"cX", good),
            "id.motcua.gov.vn",
            UP_UV
        ),
        Err(WebauthnError::Challenge)
    );
    assert_eq!(
        assert_with(
            client_data("webauthn.create", b"c2", good),
            "id.motcua.gov.vn",
            UP_UV
        ),
        Err(WebauthnError::Type)
    );
    assert_eq!(
        assert_with(
            client_data("webauthn.get", b"c2", good),
            "evil.example",
            UP_UV
        ),
        Err(WebauthnError::RpId)
    );
    assert_eq!(
        assert_with(
            client_data("webauthn.get", b"c2", good),
            "id.motcua.gov.vn",
            0x01
        ),
        Err(WebauthnError::NotVerified)
    );
}

#[test]
fn registrations_need_none_attestation_a_verified_person_and_a_known_key() {
    let key = Key::Ed(ed25519_dalek::SigningKey::from_bytes(&[1; 32]));
    let cose = key.cose();
    let cd = client_data("webauthn.create", b"c", "https://id.motcua.gov.vn");
    let with = |fmt: &str, flags: u8, key: &[u8]| {
        verify_registration(
            &rp(),
            b"c",
            &cd,
            &attestation(
                fmt,
                auth_data("id.motcua.gov.vn", flags, 0, Some((b"id", key))),
            ),
        )
    };
    assert!(with("none", UP_UV_AT, &cose).is_ok());
    assert_eq!(
        with("packed", UP_UV_AT, &cose),
        Err(WebauthnError::Attestation("packed".into()))
    );
    assert_eq!(
        with("none", 0x01 | 0x40, &cose),
        Err(WebauthnError::NotVerified)
    );
    // an RSA key (kty 3, RS256) is not read
    let rsa = {
        let i = |n: i64| Value::Integer(n.into());
        let mut out = Vec::new();
        ciborium::ser::into_writer(
            &Value::Map(vec![
                (i(1), i(3)),
                (i(3), i(-257)),
                (i(-1), Value::Bytes(vec![1; 256])),
                (i(-2), Value::Bytes(vec![1, 0, 1])),
            ]),
            &mut out,
        )
        .expect("CBOR");
        out
    };
    assert_eq!(with("none", UP_UV_AT, &rsa), Err(WebauthnError::KeyType));
    // garbage never panics
    for junk in [&b""[..], b"\xa1", b"not cbor at all"] {
        assert!(verify_registration(&rp(), b"c", &cd, junk).is_err());
    }
}

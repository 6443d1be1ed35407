//! Passkeys against a software authenticator written here from the WebAuthn
//! specification: what it signs is built byte by byte (authenticator data,
//! attestation object, COSE keys), so each check the library makes is tried
//! both ways through this provider's setup of it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ciborium::value::Value;
use identity::webauthn::{Assertion, Passkey, RelyingParty, Verifier, WebauthnError};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "https://id.motcua.gov.vn";
const RP_ID: &str = "id.motcua.gov.vn";

fn rp() -> RelyingParty {
    RelyingParty::of_issuer(ORIGIN).expect("an issuer")
}

fn verifier() -> Verifier {
    rp().verifier().expect("a domain name")
}

/// The person registering and logging in.
fn person() -> uuid::Uuid {
    uuid::Uuid::from_u128(0x0196_0000_0000_7000_8000_0000_0000_0001)
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

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;
const UP_UV_AT: u8 = UP | UV | AT;
const UP_UV: u8 = UP | UV;

/// The challenge of options the library made, as the browser reads it.
fn challenge_of(options: &serde_json::Value) -> Vec<u8> {
    let text = options["publicKey"]["challenge"]
        .as_str()
        .expect("a challenge");
    B64.decode(text.trim_end_matches('=')).expect("base64url")
}

/// A registration begun: its challenge and the state to keep.
fn begin_registration(v: &Verifier, registered: &[Passkey]) -> (Vec<u8>, Vec<u8>) {
    let request = v
        .registration(person(), "079203000001", "Nguyễn Văn An", registered)
        .expect("a registration");
    let (options, state) = v
        .library()
        .generate_challenge_register(request)
        .expect("options");
    let options = serde_json::to_value(&options).expect("JSON");
    // what is asked of the authenticator
    let pk = &options["publicKey"];
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["attestation"], "none");
    assert_eq!(pk["rp"]["id"], RP_ID);
    let algs: Vec<i64> = pk["pubKeyCredParams"]
        .as_array()
        .expect("algorithms")
        .iter()
        .filter_map(|p| p["alg"].as_i64())
        .collect();
    assert_eq!(algs, [-7, -8]);
    (
        challenge_of(&options),
        serde_json::to_vec(&state).expect("state"),
    )
}

/// A log-in begun: its challenge and the state to keep.
fn begin_login(v: &Verifier) -> (Vec<u8>, Vec<u8>) {
    let (options, state) = v
        .library()
        .generate_challenge_authenticate(v.login().expect("a log-in"))
        .expect("options");
    let options = serde_json::to_value(&options).expect("JSON");
    assert_eq!(options["publicKey"]["userVerification"], "required");
    (
        challenge_of(&options),
        serde_json::to_vec(&state).expect("state"),
    )
}

/// What `navigator.credentials.create` gives, as the page posts it.
fn new_credential(id: &[u8], client_data: &[u8], attestation_object: &[u8]) -> serde_json::Value {
    serde_json::json!({
        "id": B64.encode(id),
        "rawId": B64.encode(id),
        "type": "public-key",
        "response": {
            "clientDataJSON": B64.encode(client_data),
            "attestationObject": B64.encode(attestation_object),
        },
        "extensions": {},
    })
}

/// What `navigator.credentials.get` gives, as the page posts it.
fn assertion(
    id: &[u8],
    client_data: &[u8],
    auth_data: &[u8],
    signature: &[u8],
    user: uuid::Uuid,
) -> Assertion {
    Assertion::from_json(serde_json::json!({
        "id": B64.encode(id),
        "rawId": B64.encode(id),
        "type": "public-key",
        "response": {
            "clientDataJSON": B64.encode(client_data),
            "authenticatorData": B64.encode(auth_data),
            "signature": B64.encode(signature),
            "userHandle": B64.encode(user.as_bytes()),
        },
        "extensions": {},
    }))
    .expect("an assertion")
}

/// Registers `key` as `cred-1` with authenticator-data `flags`.
fn register(v: &Verifier, key: &Key, flags: u8) -> Passkey {
    let (challenge, state) = begin_registration(v, &[]);
    let cose = key.cose();
    let data = auth_data(RP_ID, flags, 0, Some((b"cred-1", &cose)));
    v.finish_registration(
        &state,
        new_credential(
            b"cred-1",
            &client_data("webauthn.create", &challenge, ORIGIN),
            &attestation("none", data),
        ),
    )
    .expect("registered")
}

/// The authenticator's answer to a log-in: the client data made by
/// `client` from the challenge, authenticator data for `rp_id` with
/// `flags` and `count`, signed by `key`.
fn sign_in(
    v: &Verifier,
    key: &Key,
    passkey: &Passkey,
    client: impl Fn(&[u8]) -> Vec<u8>,
    rp_id: &str,
    flags: u8,
    count: u32,
) -> Result<Passkey, WebauthnError> {
    let (challenge, state) = begin_login(v);
    let cd = client(&challenge);
    let data = auth_data(rp_id, flags, count, None);
    let mut message = data.clone();
    message.extend_from_slice(&Sha256::digest(&cd));
    let signed = assertion(b"cred-1", &cd, &data, &key.sign(&message), person());
    v.finish_login(&state, &signed, person(), passkey)
}

/// A log-in answered here, for this relying party, with `flags` and
/// `count`.
fn log_in(
    v: &Verifier,
    key: &Key,
    passkey: &Passkey,
    flags: u8,
    count: u32,
) -> Result<Passkey, WebauthnError> {
    sign_in(v, key, passkey, here("webauthn.get"), RP_ID, flags, count)
}

fn here(kind: &'static str) -> impl Fn(&[u8]) -> Vec<u8> {
    move |challenge| client_data(kind, challenge, ORIGIN)
}

#[test]
fn the_relying_party_is_the_issuers_host_and_origin() {
    let rp = RelyingParty::of_issuer("http://localhost:8080/").expect("rp");
    assert_eq!(rp.id, "localhost");
    assert_eq!(rp.origin, "http://localhost:8080");
    assert!(rp.verifier().is_ok());
    let rp = RelyingParty::of_issuer("https://id.motcua.gov.vn/path").expect("rp");
    assert_eq!(
        (rp.id.as_str(), rp.origin.as_str()),
        ("id.motcua.gov.vn", "https://id.motcua.gov.vn")
    );
    assert!(RelyingParty::of_issuer("no scheme").is_none());
    // WebAuthn needs a domain name, not an address
    let by_address = RelyingParty::of_issuer("http://127.0.0.1:8080").expect("rp");
    assert!(matches!(
        by_address.verifier(),
        Err(WebauthnError::Configuration(_))
    ));
}

#[test]
fn p256_and_ed25519_passkeys_register_and_sign_in() {
    let v = verifier();
    for key in [
        Key::P256(p256::ecdsa::SigningKey::from_slice(&[7; 32]).expect("key")),
        Key::Ed(ed25519_dalek::SigningKey::from_bytes(&[9; 32])),
    ] {
        let passkey = register(&v, &key, UP_UV_AT);
        assert_eq!(passkey.credential_id(), b"cred-1");
        assert_eq!(passkey.sign_count(), 0);
        // kept and read back as the same passkey
        let stored = passkey.to_stored().expect("stored");
        assert_eq!(Passkey::from_stored(&stored), Ok(passkey.clone()));
        let used = log_in(&v, &key, &passkey, UP_UV, 5).expect("signed in");
        assert_eq!(used.sign_count(), 5);
        // a tampered signature
        let (challenge, state) = begin_login(&v);
        let cd = client_data("webauthn.get", &challenge, ORIGIN);
        let data = auth_data(RP_ID, UP_UV, 6, None);
        let mut message = data.clone();
        message.extend_from_slice(&Sha256::digest(&cd));
        let mut bad = key.sign(&message);
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(
            v.finish_login(
                &state,
                &assertion(b"cred-1", &cd, &data, &bad, person()),
                person(),
                &used
            ),
            Err(WebauthnError::Signature)
        );
        // the counter must go up once kept
        assert_eq!(
            log_in(&v, &key, &used, UP_UV, 5),
            Err(WebauthnError::Counter)
        );
        assert_eq!(
            log_in(&v, &key, &used, UP_UV, 6).map(|p| p.sign_count()),
            Ok(6)
        );
    }
}

#[test]
fn answers_for_another_site_challenge_ceremony_or_person_are_refused() {
    let v = verifier();
    let key = Key::P256(p256::ecdsa::SigningKey::from_slice(&[3; 32]).expect("key"));
    let passkey = register(&v, &key, UP_UV_AT);
    let good = here("webauthn.get");
    assert!(sign_in(&v, &key, &passkey, &good, RP_ID, UP_UV, 1).is_ok());
    // a phishing site's origin
    let phishing =
        |c: &[u8]| client_data("webauthn.get", c, "https://id-motcua.gov.vn.evil.example");
    assert_eq!(
        sign_in(&v, &key, &passkey, phishing, RP_ID, UP_UV, 1),
        Err(WebauthnError::Origin)
    );
    // another port of the same host
    let port = |c: &[u8]| client_data("webauthn.get", c, "https://id.motcua.gov.vn:8443");
    assert_eq!(
        sign_in(&v, &key, &passkey, port, RP_ID, UP_UV, 1),
        Err(WebauthnError::Origin)
    );
    // another challenge, another ceremony, another RP id, no verification
    let other_challenge = |_: &[u8]| client_data("webauthn.get", b"cX", ORIGIN);
    assert_eq!(
        sign_in(&v, &key, &passkey, other_challenge, RP_ID, UP_UV, 1),
        Err(WebauthnError::Challenge)
    );
    assert_eq!(
        sign_in(&v, &key, &passkey, here("webauthn.create"), RP_ID, UP_UV, 1),
        Err(WebauthnError::Type)
    );
    assert_eq!(
        sign_in(&v, &key, &passkey, &good, "evil.example", UP_UV, 1),
        Err(WebauthnError::RpId)
    );
    assert_eq!(
        sign_in(&v, &key, &passkey, &good, RP_ID, UP, 1),
        Err(WebauthnError::NotVerified)
    );
    // the answer names another person than the passkey's holder
    let (challenge, state) = begin_login(&v);
    let cd = client_data("webauthn.get", &challenge, ORIGIN);
    let data = auth_data(RP_ID, UP_UV, 2, None);
    let mut message = data.clone();
    message.extend_from_slice(&Sha256::digest(&cd));
    let stranger = uuid::Uuid::from_u128(7);
    assert_eq!(
        v.finish_login(
            &state,
            &assertion(b"cred-1", &cd, &data, &key.sign(&message), stranger),
            person(),
            &passkey
        ),
        Err(WebauthnError::User)
    );
    // a state that is not the library's
    assert!(matches!(
        v.finish_login(
            b"{}",
            &assertion(b"cred-1", &cd, &data, &key.sign(&message), person()),
            person(),
            &passkey
        ),
        Err(WebauthnError::Malformed(_))
    ));
}

#[test]
fn registrations_need_a_verified_person_a_sound_attestation_and_a_known_key() {
    let v = verifier();
    let key = Key::Ed(ed25519_dalek::SigningKey::from_bytes(&[1; 32]));
    let cose = key.cose();
    let with = |fmt: &str, flags: u8, key: &[u8]| {
        let (challenge, state) = begin_registration(&v, &[]);
        let cd = client_data("webauthn.create", &challenge, ORIGIN);
        v.finish_registration(
            &state,
            new_credential(
                b"id",
                &cd,
                &attestation(fmt, auth_data(RP_ID, flags, 0, Some((b"id", key)))),
            ),
        )
    };
    assert!(with("none", UP_UV_AT, &cose).is_ok());
    // a packed attestation without its signature
    assert!(matches!(
        with("packed", UP_UV_AT, &cose),
        Err(WebauthnError::Attestation(_))
    ));
    assert_eq!(
        with("none", UP | AT, &cose),
        Err(WebauthnError::NotVerified)
    );
    // an RSA key (kty 3, RS256) was not asked for
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
    // a passkey the person holds already is excluded
    let held = with("none", UP_UV_AT, &cose).expect("registered");
    let (challenge, state) = begin_registration(&v, std::slice::from_ref(&held));
    let again = v.finish_registration(
        &state,
        new_credential(
            b"id",
            &client_data("webauthn.create", &challenge, ORIGIN),
            &attestation("none", auth_data(RP_ID, UP_UV_AT, 0, Some((b"id", &cose)))),
        ),
    );
    // (the library reports it as a credential other than asked for)
    assert_eq!(again, Err(WebauthnError::KeyType));
    // garbage never panics
    let (challenge, state) = begin_registration(&v, &[]);
    let cd = client_data("webauthn.create", &challenge, ORIGIN);
    for junk in [&b""[..], b"\xa1", b"not cbor at all"] {
        assert!(
            v.finish_registration(&state, new_credential(b"id", &cd, junk))
                .is_err()
        );
    }
    assert!(
        v.finish_registration(&state, serde_json::json!({"id": 1}))
            .is_err()
    );
}

/// The backup flags (WebAuthn §6.1: BE, may be backed up; BS, is backed
/// up) are recorded at registration; a device-bound passkey that later
/// says it can be backed up is refused, a synchronised one keeps working.
#[test]
fn backup_flags_are_kept_and_checked() {
    let v = verifier();
    let key = Key::P256(p256::ecdsa::SigningKey::from_slice(&[4; 32]).expect("key"));
    let bound = register(&v, &key, UP_UV_AT);
    assert_eq!(
        log_in(&v, &key, &bound, UP_UV | BE, 1),
        Err(WebauthnError::Backup)
    );
    assert_eq!(
        log_in(&v, &key, &bound, UP_UV | BS, 1),
        Err(WebauthnError::Backup)
    );
    let synced = register(&v, &key, UP_UV_AT | BE | BS);
    assert!(log_in(&v, &key, &synced, UP_UV | BE | BS, 0).is_ok());
    // not backed up for now: still the same passkey
    assert!(log_in(&v, &key, &synced, UP_UV | BE, 0).is_ok());
    // it cannot become device-bound
    assert_eq!(
        log_in(&v, &key, &synced, UP_UV, 0),
        Err(WebauthnError::Backup)
    );
}

/// Passkeys kept as a COSE key and a counter (before the library checked
/// them) still log in; their backup flags are learnt at the first log-in
/// and checked from then on.
#[test]
fn passkeys_kept_before_log_in_and_learn_their_backup_flags() {
    let v = verifier();
    for (key, flags) in [
        (
            Key::P256(p256::ecdsa::SigningKey::from_slice(&[5; 32]).expect("key")),
            UP_UV,
        ),
        (
            Key::Ed(ed25519_dalek::SigningKey::from_bytes(&[6; 32])),
            UP_UV | BE | BS,
        ),
    ] {
        let kept = Passkey::from_cose_key(b"cred-1", &key.cose(), 3).expect("a COSE key");
        assert_eq!(
            (kept.credential_id(), kept.sign_count()),
            (&b"cred-1"[..], 3)
        );
        assert_eq!(
            log_in(&v, &key, &kept, flags, 3),
            Err(WebauthnError::Counter)
        );
        let used = log_in(&v, &key, &kept, flags, 4).expect("signed in");
        assert_eq!(used.sign_count(), 4);
        // stored in the library's form from now on, flags known
        let back = Passkey::from_stored(&used.to_stored().expect("stored")).expect("read");
        assert_eq!(back, used);
        assert!(log_in(&v, &key, &back, flags, 5).is_ok());
        assert_eq!(
            log_in(&v, &key, &back, flags ^ BE, 6),
            Err(WebauthnError::Backup)
        );
    }
    // not a COSE key, or a key of an algorithm not asked for
    assert!(Passkey::from_cose_key(b"x", b"\xa5\x01\x02", 0).is_err());
}

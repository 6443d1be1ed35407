//! Signature round trips, the RFC 9421 Ed25519 example, and tamper cases.

use chrono::{DateTime, Duration, TimeZone, Utc};
use exchange::signature::{HDR_CASE_REF, HDR_CLIENT, HDR_LEGAL_BASIS, HDR_PURPOSE};
use exchange::*;

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, 0, 0).unwrap()
}

fn rfc_key() -> MemberKey {
    // RFC 9421 Appendix B.1.4, test-key-ed25519: the last 32 bytes of the
    // PKCS#8 private key are the seed.
    let seed: [u8; 32] =
        hex::decode("9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5")
            .unwrap()
            .try_into()
            .unwrap();
    MemberKey::from_seed(
        "XX/TEST/rfc".parse().unwrap(),
        KeyId("test-key-ed25519".into()),
        seed,
    )
}

#[test]
fn reproduces_rfc9421_b26_ed25519_example() {
    let key = rfc_key();
    assert_eq!(
        hex::encode(key.public().to_bytes()),
        "26b40b8f93fff3d897112f7ebc582b232dbd72517d082fe83cfb30ddce43d1bb"
    );
    let mut req = HttpRequest {
        method: "POST".into(),
        uri: "https://example.com/foo?param=Value&Pet=dog".into(),
        headers: vec![
            ("Host".into(), "example.com".into()),
            ("Date".into(), "Tue, 20 Apr 2021 02:07:55 GMT".into()),
            ("Content-Type".into(), "application/json".into()),
            (
                "Content-Digest".into(),
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:".into(),
            ),
            ("Content-Length".into(), "18".into()),
        ],
        body: br#"{"hello": "world"}"#.to_vec(),
    };
    let components = [
        "date",
        "@method",
        "@path",
        "@authority",
        "content-type",
        "content-length",
    ]
    .iter()
    .map(|c| Component::parse(c).unwrap())
    .collect();
    let created = DateTime::from_timestamp(1618884473, 0).unwrap();
    let params = SignatureParams::new(components, created, None, &key.key_id, None);
    let base = signature_base(&req, &params).unwrap();
    assert_eq!(
        base,
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\
         \"@method\": POST\n\
         \"@path\": /foo\n\
         \"@authority\": example.com\n\
         \"content-type\": application/json\n\
         \"content-length\": 18\n\
         \"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
    );
    let headers = sign_message(&mut req, "sig-b26", &params, &key).unwrap();
    assert_eq!(
        headers.signature_input,
        "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
    );
    assert_eq!(
        headers.signature,
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"
    );
    // And it verifies with the generic verifier.
    let mut ring = KeyRing::new();
    ring.insert(RegisteredKey {
        key_id: key.key_id.clone(),
        member: key.member.clone(),
        key: key.public(),
        valid_from: DateTime::from_timestamp(0, 0).unwrap(),
        valid_until: None,
    })
    .unwrap();
    let v = verify_message(&req, &ring, created, &VerifyOptions::default()).unwrap();
    assert_eq!(v.label, "sig-b26");
    assert_eq!(v.key_id, key.key_id);
}

#[test]
fn rfc_derived_components() {
    let req = HttpRequest {
        method: "GET".into(),
        uri: "HTTPS://WWW.Example.com:443/path?param=value&foo=bar#frag".into(),
        headers: vec![],
        body: vec![],
    };
    let created = t(0);
    let comps = [
        "@scheme",
        "@authority",
        "@request-target",
        "@path",
        "@query",
        "@target-uri",
    ]
    .iter()
    .map(|c| Component::parse(c).unwrap())
    .collect();
    let params = SignatureParams::new(comps, created, None, &KeyId("k".into()), None);
    let base = signature_base(&req, &params).unwrap();
    let lines: Vec<&str> = base.lines().collect();
    assert_eq!(lines[0], "\"@scheme\": https");
    assert_eq!(lines[1], "\"@authority\": www.example.com");
    assert_eq!(lines[2], "\"@request-target\": /path?param=value&foo=bar");
    assert_eq!(lines[3], "\"@path\": /path");
    assert_eq!(lines[4], "\"@query\": ?param=value&foo=bar");
    assert_eq!(
        lines[5],
        "\"@target-uri\": HTTPS://WWW.Example.com:443/path?param=value&foo=bar"
    );
    let no_query = HttpRequest {
        uri: "https://example.com".into(),
        ..req
    };
    let params = SignatureParams::new(
        vec![Component::Path, Component::Query],
        created,
        None,
        &KeyId("k".into()),
        None,
    );
    assert!(
        signature_base(&no_query, &params)
            .unwrap()
            .starts_with("\"@path\": /\n\"@query\": ?\n")
    );
}

struct Fixture {
    consumer: MemberKey,
    provider: MemberKey,
    ring: KeyRing,
}

fn fixture() -> Fixture {
    let consumer = MemberKey::from_seed(
        "VN/GOV/000.00.00.H29/hcc".parse().unwrap(),
        KeyId("hcm-hcc-2026".into()),
        [7; 32],
    );
    let provider = MemberKey::from_seed(
        "VN/GOV/BCA/registry".parse().unwrap(),
        KeyId("bca-registry-2026".into()),
        [9; 32],
    );
    let mut ring = KeyRing::new();
    for k in [&consumer, &provider] {
        ring.insert(RegisteredKey {
            key_id: k.key_id.clone(),
            member: k.member.clone(),
            key: k.public(),
            valid_from: t(0),
            valid_until: None,
        })
        .unwrap();
    }
    Fixture {
        consumer,
        provider,
        ring,
    }
}

fn request() -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        uri: "https://registry.gov.example/v1/person.get".into(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            (HDR_PURPOSE.into(), "birth-registration".into()),
            (HDR_LEGAL_BASIS.into(), "ND-63/2024".into()),
            (HDR_CASE_REF.into(), "H29.22-260301-0001".into()),
        ],
        body: br#"{"person_id":"001099012345","fields":["full_name"]}"#.to_vec(),
    }
}

fn signed_request(f: &Fixture) -> HttpRequest {
    let mut req = request();
    sign_request(&mut req, &f.consumer, t(1), Duration::minutes(5)).unwrap();
    req
}

fn set(req: &mut HttpRequest, name: &str, value: &str) {
    req.set_header(name, value.into());
}

#[test]
fn request_round_trip() {
    let f = fixture();
    let req = signed_request(&f);
    let v = verify_request(&req, &f.ring, t(1) + Duration::minutes(1)).unwrap();
    assert_eq!(v.consumer, f.consumer.member);
    assert_eq!(v.purpose.as_deref(), Some("birth-registration"));
    assert_eq!(v.legal_basis.as_deref(), Some("ND-63/2024"));
    assert_eq!(v.case_ref.as_deref(), Some("H29.22-260301-0001"));
    assert_eq!(v.signature.key_id, f.consumer.key_id);
    assert_eq!(req.header(HDR_CLIENT).unwrap(), "VN/GOV/000.00.00.H29/hcc");
    let input = req.header("signature-input").unwrap();
    assert!(input.starts_with(
        "motcua=(\"@method\" \"@target-uri\" \"content-digest\" \"x-road-client\" \"x-purpose\" \"x-legal-basis\" \"x-case-ref\");created="
    ), "{input}");
    assert!(
        input.ends_with(";keyid=\"hcm-hcc-2026\";alg=\"ed25519\""),
        "{input}"
    );
}

#[test]
fn response_round_trip_and_wrong_provider() {
    let f = fixture();
    let mut resp = HttpResponse {
        status: 200,
        headers: vec![(HDR_CASE_REF.into(), "H29.22-260301-0001".into())],
        body: br#"{"full_name":"Nguyen Van A"}"#.to_vec(),
    };
    sign_response(&mut resp, &f.provider, t(1), Duration::minutes(5)).unwrap();
    let v = verify_response(&resp, &f.ring, t(1), &f.provider.member).unwrap();
    assert!(v.covers(&Component::Status));
    assert!(matches!(
        verify_response(&resp, &f.ring, t(1), &f.consumer.member),
        Err(SignatureError::SignerMismatch { .. })
    ));
    let mut tampered = resp.clone();
    tampered.status = 404;
    assert_eq!(
        verify_response(&tampered, &f.ring, t(1), &f.provider.member),
        Err(SignatureError::BadSignature)
    );
    let mut tampered = resp.clone();
    tampered.body = br#"{"full_name":"Nguyen Van B"}"#.to_vec();
    assert_eq!(
        verify_response(&tampered, &f.ring, t(1), &f.provider.member),
        Err(SignatureError::DigestMismatch)
    );
}

#[test]
fn unsigned_request_is_refused() {
    let f = fixture();
    assert_eq!(
        verify_request(&request(), &f.ring, t(1)),
        Err(SignatureError::MissingHeader("Signature-Input"))
    );
    let mut req = signed_request(&f);
    req.headers.retain(|(n, _)| n != "signature");
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::MissingHeader("Signature"))
    );
}

#[test]
fn changed_header_is_refused() {
    let f = fixture();
    for (name, value) in [
        (HDR_PURPOSE, "marketing"),
        (HDR_LEGAL_BASIS, "ND-00/2000"),
        (HDR_CASE_REF, "other"),
        (
            "content-digest",
            "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
        ),
    ] {
        let mut req = signed_request(&f);
        set(&mut req, name, value);
        assert_eq!(
            verify_request(&req, &f.ring, t(1)),
            Err(SignatureError::BadSignature),
            "{name}"
        );
    }
    let mut req = signed_request(&f);
    req.method = "PUT".into();
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::BadSignature)
    );
    let mut req = signed_request(&f);
    req.uri = "https://registry.gov.example/v1/household.get".into();
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::BadSignature)
    );
}

#[test]
fn changed_body_is_refused() {
    let f = fixture();
    let mut req = signed_request(&f);
    req.body = br#"{"person_id":"001099099999","fields":["full_name"]}"#.to_vec();
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::DigestMismatch)
    );
}

#[test]
fn removed_or_added_component_is_refused() {
    let f = fixture();
    let mut req = signed_request(&f);
    req.headers.retain(|(n, _)| n != HDR_CASE_REF);
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::MissingComponent(HDR_CASE_REF.into()))
    );
    // An exchange header smuggled in after signing is not covered.
    let mut req = request();
    req.headers.retain(|(n, _)| n != HDR_LEGAL_BASIS);
    sign_request(&mut req, &f.consumer, t(1), Duration::minutes(5)).unwrap();
    set(&mut req, HDR_LEGAL_BASIS, "ND-63/2024");
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::UncoveredHeader(HDR_LEGAL_BASIS.into()))
    );
}

#[test]
fn signature_not_covering_required_component_is_refused() {
    let f = fixture();
    let mut req = request();
    set(&mut req, HDR_CLIENT, &f.consumer.member.to_string());
    let params = SignatureParams::new(
        vec![
            Component::Method,
            Component::TargetUri,
            Component::field(HDR_CLIENT),
        ],
        t(1),
        Some(t(2)),
        &f.consumer.key_id,
        Some("ed25519"),
    );
    sign_message(&mut req, "motcua", &params, &f.consumer).unwrap();
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::NotCovered("content-digest".into()))
    );
}

#[test]
fn time_window_is_enforced() {
    let f = fixture();
    let req = signed_request(&f);
    assert!(matches!(
        verify_request(&req, &f.ring, t(1) + Duration::minutes(5)),
        Err(SignatureError::Expired { .. })
    ));
    assert!(matches!(
        verify_request(&req, &f.ring, t(1) - Duration::minutes(5)),
        Err(SignatureError::NotYetValid { .. })
    ));
    assert!(verify_request(&req, &f.ring, t(1) - Duration::seconds(10)).is_ok());
}

#[test]
fn unknown_key_and_impostor_are_refused() {
    let f = fixture();
    let stranger = MemberKey::from_seed(f.consumer.member.clone(), KeyId("stolen".into()), [3; 32]);
    let mut req = request();
    sign_request(&mut req, &stranger, t(1), Duration::minutes(5)).unwrap();
    assert!(matches!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::Key(KeyError::Unknown(_)))
    ));
    // A key id that exists, but the wrong private key.
    let forger = MemberKey::from_seed(
        f.consumer.member.clone(),
        f.consumer.key_id.clone(),
        [4; 32],
    );
    let mut req = request();
    sign_request(&mut req, &forger, t(1), Duration::minutes(5)).unwrap();
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::BadSignature)
    );
    // The provider signs but claims to be the consumer.
    let mut req = request();
    set(&mut req, HDR_CLIENT, &f.consumer.member.to_string());
    assert!(matches!(
        sign_request(&mut req, &f.provider, t(1), Duration::minutes(5)),
        Err(SignatureError::SignerMismatch { .. })
    ));
    let params = SignatureParams::new(
        vec![
            Component::Method,
            Component::TargetUri,
            Component::field("content-digest"),
            Component::field(HDR_CLIENT),
            Component::field(HDR_PURPOSE),
            Component::field(HDR_LEGAL_BASIS),
            Component::field(HDR_CASE_REF),
        ],
        t(1),
        Some(t(2)),
        &f.provider.key_id,
        Some("ed25519"),
    );
    let digest = exchange::signature::content_digest(&req.body);
    set(&mut req, "content-digest", &digest);
    sign_message(&mut req, "motcua", &params, &f.provider).unwrap();
    assert!(matches!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::SignerMismatch { .. })
    ));
}

#[test]
fn rotated_key_still_verifies_what_it_signed() {
    let mut f = fixture();
    let old_req = signed_request(&f);
    let new_key = MemberKey::from_seed(
        f.consumer.member.clone(),
        KeyId("hcm-hcc-2026b".into()),
        [8; 32],
    );
    let rotation = t(1) + Duration::seconds(30);
    f.ring
        .rotate(
            &f.consumer.key_id,
            RegisteredKey {
                key_id: new_key.key_id.clone(),
                member: new_key.member.clone(),
                key: new_key.public(),
                valid_from: rotation,
                valid_until: None,
            },
        )
        .unwrap();
    // Signed before the rotation: still good.
    assert!(verify_request(&old_req, &f.ring, t(1) + Duration::minutes(1)).is_ok());
    // The old key used after the rotation: refused.
    let mut late = request();
    sign_request(&mut late, &f.consumer, rotation, Duration::minutes(5)).unwrap();
    assert!(matches!(
        verify_request(&late, &f.ring, rotation),
        Err(SignatureError::Key(KeyError::NotValidAt { .. }))
    ));
    // The new key works.
    let mut fresh = request();
    sign_request(&mut fresh, &new_key, rotation, Duration::minutes(5)).unwrap();
    assert!(verify_request(&fresh, &f.ring, rotation).is_ok());
}

#[test]
fn malformed_headers_and_algorithms_are_refused() {
    let f = fixture();
    let mut req = signed_request(&f);
    set(&mut req, "signature", "motcua=notbytes");
    assert!(matches!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::Malformed { .. })
    ));
    let mut req = signed_request(&f);
    set(&mut req, "signature-input", "motcua=(\"@method\"");
    assert!(matches!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::Malformed { .. })
    ));
    let mut req = signed_request(&f);
    let input = req
        .header("signature-input")
        .unwrap()
        .replace("ed25519", "rsa-pss-sha512");
    set(&mut req, "signature-input", &input);
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::UnsupportedAlgorithm(
            "rsa-pss-sha512".into()
        ))
    );
    let mut req = signed_request(&f);
    let input = req
        .header("signature-input")
        .unwrap()
        .replace("motcua=", "other=");
    set(&mut req, "signature-input", &input);
    assert_eq!(
        verify_request(&req, &f.ring, t(1)),
        Err(SignatureError::NoSuchLabel("motcua".into()))
    );
}

#[test]
fn content_digest_matches_rfc9530_example() {
    // RFC 9530: the sha-256 of {"hello": "world"}.
    assert_eq!(
        exchange::signature::content_digest(br#"{"hello": "world"}"#),
        "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    );
}

//! One request through the whole core: signed by the consumer, verified,
//! authorised, answered with only the granted fields, signed by the
//! provider, logged, and the log verified.

use chrono::{DateTime, Duration, TimeZone, Utc};
use exchange::log::verify;
use exchange::signature::MAX_MESSAGE_AGE;
use exchange::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

fn register(ring: &mut KeyRing, key: &MemberKey) {
    ring.insert(RegisteredKey {
        key_id: key.key_id.clone(),
        member: key.member.clone(),
        key: key.public(),
        valid_from: now() - Duration::days(30),
        valid_until: None,
    })
    .unwrap();
}

#[test]
fn a_request_end_to_end() {
    let registry: MemberId = "VN/GOV/BCA/registry".parse().unwrap();
    let hcc: MemberId = "VN/GOV/000.00.00.H29/hcc".parse().unwrap();
    let consumer_key = MemberKey::generate(hcc.clone(), KeyId("hcc-1".into()));
    let provider_key = MemberKey::generate(registry.clone(), KeyId("registry-1".into()));
    let operator_key =
        MemberKey::generate("VN/GOV/BCA/exchange".parse().unwrap(), KeyId("op-1".into()));
    let mut ring = KeyRing::new();
    register(&mut ring, &consumer_key);
    register(&mut ring, &provider_key);

    let mut policy = Policy::new();
    policy.add_member(Member {
        id: registry.clone(),
        name: "National population database".into(),
        kind: MemberKind::Registry,
    });
    policy.add_member(Member {
        id: hcc.clone(),
        name: "Hanoi public administration service center".into(),
        kind: MemberKind::CommuneServiceCenter,
    });
    let services = population_registry_services(&registry);
    assert_eq!(
        services.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
        [
            "person.get",
            "person.verify",
            "household.get",
            "events.subscribe"
        ]
    );
    for s in services {
        policy.publish(s);
    }
    policy.grant(AccessRight {
        consumer: hcc.clone(),
        provider: registry.clone(),
        service: "person.get".into(),
        purpose: "birth-registration".into(),
        legal_basis: Some("ND-63/2024".into()),
        fields: ["full_name", "birth_date", "permanent_residence"]
            .map(String::from)
            .into(),
        valid_from: now() - Duration::days(1),
        valid_until: None,
    });

    // Consumer side.
    let mut req = HttpRequest {
        method: "POST".into(),
        uri: "https://registry.example/v1/person.get".into(),
        headers: vec![
            ("x-purpose".into(), "birth-registration".into()),
            ("x-legal-basis".into(), "ND-63/2024".into()),
            ("x-case-ref".into(), "H29.22-260302-0042".into()),
        ],
        body: br#"{"person_id":"001099012345"}"#.to_vec(),
    };
    sign_request(&mut req, &consumer_key, now(), Duration::minutes(2)).unwrap();

    // Provider side.
    let verified = verify_request(&req, &ring, now() + Duration::seconds(1)).unwrap();
    let meta = RequestMeta::from_verified(
        &verified,
        registry.clone(),
        "person.get",
        Some("001099012345".into()),
        vec![],
    );
    let grant = policy.authorize(&meta, now(), &NoConsents).unwrap();
    let record = serde_json::json!({
        "full_name": "Nguyễn Thị Lan",
        "birth_date": "1999",
        "religion": "none",
        "permanent_residence": {"commune": "00004", "street": "12 Hàng Bạc"},
    });
    let body = serde_json::to_vec(&grant.filter(&record)).unwrap();
    let mut resp = HttpResponse {
        status: 200,
        headers: vec![("x-case-ref".into(), "H29.22-260302-0042".into())],
        body,
    };
    sign_response(&mut resp, &provider_key, now(), Duration::minutes(2)).unwrap();

    // Consumer checks the response.
    verify_response(&resp, &ring, now() + Duration::seconds(2), &registry).unwrap();
    let got: serde_json::Value = serde_json::from_slice(&resp.body).unwrap();
    assert!(got.get("religion").is_none());
    assert_eq!(got["birth_date"], "1999");

    // The log.
    let mut writer = LogWriter::new(1);
    let appended = writer.append(LogRecord::access(&grant, now(), &req.body), &operator_key);
    assert_eq!(
        appended.entry.record.person_id.as_deref(),
        Some("001099012345")
    );
    assert_eq!(
        appended.entry.record.fields,
        ["birth_date", "full_name", "permanent_residence"]
    );
    let cps: Vec<Checkpoint> = appended.checkpoint.into_iter().collect();
    let v = verify(&[appended.entry], &cps, &operator_key.public()).unwrap();
    assert_eq!(v.unanchored, 0);
}

#[test]
fn a_signature_older_than_the_maximum_age_is_refused() {
    let hcc: MemberId = "VN/GOV/000.00.00.H29/hcc".parse().unwrap();
    let key = MemberKey::from_seed(hcc, KeyId("k".into()), [6; 32]);
    let mut ring = KeyRing::new();
    register(&mut ring, &key);
    let mut req = HttpRequest {
        method: "GET".into(),
        uri: "https://registry.example/v1/person.get?id=1".into(),
        ..HttpRequest::default()
    };
    // Dated long ago with a far expiry, as a thief of a retired key would.
    sign_request(
        &mut req,
        &key,
        now() - Duration::hours(1),
        Duration::days(365),
    )
    .unwrap();
    assert!(matches!(
        verify_request(&req, &ring, now()),
        Err(SignatureError::TooOld { .. })
    ));
    assert!(MAX_MESSAGE_AGE < Duration::hours(1));
}

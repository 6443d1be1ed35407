//! Every refusal reason, consent, and field filtering.

use std::cell::RefCell;
use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use exchange::*;

fn t(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, 9, 0, 0).unwrap()
}

fn id(s: &str) -> MemberId {
    s.parse().unwrap()
}

fn fields(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

const REGISTRY: &str = "VN/GOV/BCA/registry";
const HCC: &str = "VN/GOV/000.00.00.H29/hcc";
const HOSPITAL: &str = "VN/GOV/BVCR/his";

fn policy() -> Policy {
    let mut p = Policy::new();
    for (m, name, kind) in [
        (
            REGISTRY,
            "National population database",
            MemberKind::Registry,
        ),
        (
            HCC,
            "Hanoi public administration service center",
            MemberKind::CommuneServiceCenter,
        ),
        (HOSPITAL, "Cho Ray hospital", MemberKind::Hospital),
    ] {
        p.add_member(Member {
            id: id(m),
            name: name.into(),
            kind,
        });
    }
    p.publish(Service {
        provider: id(REGISTRY),
        code: "person.get".into(),
        fields: fields(&[
            "full_name",
            "birth_date",
            "sex",
            "permanent_residence",
            "ethnicity",
            "religion",
        ]),
    });
    p.publish(Service {
        provider: id(REGISTRY),
        code: "household.get".into(),
        fields: fields(&["members"]),
    });
    p.grant(AccessRight {
        consumer: id(HCC),
        provider: id(REGISTRY),
        service: "person.get".into(),
        purpose: "birth-registration".into(),
        legal_basis: Some("ND-63/2024".into()),
        fields: fields(&["full_name", "birth_date", "permanent_residence"]),
        valid_from: t(1),
        valid_until: Some(t(20)),
    });
    p.grant(AccessRight {
        consumer: id(HOSPITAL),
        provider: id(REGISTRY),
        service: "person.get".into(),
        purpose: "insurance-prefill".into(),
        legal_basis: None,
        fields: fields(&["full_name", "birth_date"]),
        valid_from: t(1),
        valid_until: None,
    });
    p.grant(AccessRight {
        consumer: id(HOSPITAL),
        provider: id(REGISTRY),
        service: "person.get".into(),
        purpose: "future-use".into(),
        legal_basis: Some("L-2027".into()),
        fields: fields(&["full_name"]),
        valid_from: t(25),
        valid_until: None,
    });
    p
}

fn meta() -> RequestMeta {
    RequestMeta {
        signed_by: Some(id(HCC)),
        consumer: Some(id(HCC)),
        provider: Some(id(REGISTRY)),
        service: "person.get".into(),
        purpose: Some("birth-registration".into()),
        legal_basis: Some("ND-63/2024".into()),
        case_ref: Some("H29.22-260301-0001".into()),
        person_id: Some("001099012345".into()),
        fields: vec!["full_name".into(), "birth_date".into()],
    }
}

fn hospital_meta() -> RequestMeta {
    RequestMeta {
        signed_by: Some(id(HOSPITAL)),
        consumer: Some(id(HOSPITAL)),
        purpose: Some("insurance-prefill".into()),
        legal_basis: None,
        ..meta()
    }
}

/// (person, purpose, consumer, given at, withdrawn at)
type ConsentRecord = (
    String,
    String,
    MemberId,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

#[derive(Default)]
struct Consents {
    given: RefCell<Vec<ConsentRecord>>,
}

impl ConsentLookup for Consents {
    fn has_consented(
        &self,
        person: &str,
        purpose: &str,
        consumer: &MemberId,
        at: DateTime<Utc>,
    ) -> bool {
        self.given.borrow().iter().any(|(p, pu, c, from, until)| {
            p == person
                && pu == purpose
                && c == consumer
                && at >= *from
                && until.is_none_or(|u| at < u)
        })
    }
}

#[test]
fn granted_request_gets_its_fields() {
    let g = policy().authorize(&meta(), t(2), &NoConsents).unwrap();
    assert_eq!(g.fields, fields(&["full_name", "birth_date"]));
    assert_eq!(g.legal_basis.as_deref(), Some("ND-63/2024"));
    assert_eq!(g.case_ref, "H29.22-260301-0001");
    // No fields asked: everything the right allows.
    let all = policy()
        .authorize(
            &RequestMeta {
                fields: vec![],
                ..meta()
            },
            t(2),
            &NoConsents,
        )
        .unwrap();
    assert_eq!(
        all.fields,
        fields(&["full_name", "birth_date", "permanent_residence"])
    );
}

#[test]
fn grant_filters_json() {
    let g = policy().authorize(&meta(), t(2), &NoConsents).unwrap();
    let full = serde_json::json!({
        "full_name": "Nguyễn Văn A",
        "birth_date": "1990",
        "religion": "none",
        "ethnicity": "Kinh",
    });
    assert_eq!(
        g.filter(&full),
        serde_json::json!({"full_name": "Nguyễn Văn A", "birth_date": "1990"})
    );
    assert_eq!(g.filter(&serde_json::json!([1, 2])), serde_json::json!({}));
}

fn refused(m: RequestMeta, now: DateTime<Utc>, consent: &dyn ConsentLookup) -> Refusal {
    let r = policy().authorize(&m, now, consent).unwrap_err();
    assert!(!r.to_string().is_empty());
    r
}

#[test]
fn unsigned() {
    let r = refused(
        RequestMeta {
            signed_by: None,
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(r, Refusal::Unsigned);
    assert_eq!(r.code(), "unsigned");
}

#[test]
fn signed_by_another() {
    let r = refused(
        RequestMeta {
            signed_by: Some(id(HOSPITAL)),
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert!(matches!(r, Refusal::SignedByAnother { .. }), "{r}");
}

#[test]
fn unknown_consumer() {
    let stranger = id("VN/COM/0101234567/crm");
    let r = refused(
        RequestMeta {
            signed_by: Some(stranger.clone()),
            consumer: Some(stranger),
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(
        r,
        Refusal::UnknownConsumer(Some("VN/COM/0101234567/crm".into()))
    );
    assert_eq!(r.code(), "unknown_consumer");
    let r = refused(
        RequestMeta {
            consumer: None,
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(r, Refusal::UnknownConsumer(None));
}

#[test]
fn unknown_service() {
    let r = refused(
        RequestMeta {
            service: "person.delete".into(),
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert!(matches!(r, Refusal::UnknownService { .. }), "{r}");
}

#[test]
fn no_right_for_this_service() {
    let r = refused(
        RequestMeta {
            service: "household.get".into(),
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert!(matches!(r, Refusal::NoRight { .. }), "{r}");
    assert!(r.to_string().contains("VN/GOV/BCA/registry"));
}

#[test]
fn purpose_missing_and_wrong_purpose() {
    let r = refused(
        RequestMeta {
            purpose: None,
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(r, Refusal::PurposeMissing);
    let r = refused(
        RequestMeta {
            purpose: Some("marketing".into()),
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(
        r,
        Refusal::WrongPurpose {
            purpose: "marketing".into(),
            granted: vec!["birth-registration".into()],
        }
    );
    assert!(r.to_string().contains("birth-registration"));
}

#[test]
fn legal_basis_missing_or_different() {
    let r = refused(
        RequestMeta {
            legal_basis: None,
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(
        r,
        Refusal::LegalBasisMissing {
            required: "ND-63/2024".into()
        }
    );
    let r = refused(
        RequestMeta {
            legal_basis: Some("ND-1/2020".into()),
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(
        r,
        Refusal::LegalBasisMismatch {
            given: "ND-1/2020".into(),
            granted: Some("ND-63/2024".into()),
        }
    );
    // A consent-based purpose cannot be dressed up with a legal basis.
    let r = refused(
        RequestMeta {
            legal_basis: Some("ND-63/2024".into()),
            ..hospital_meta()
        },
        t(2),
        &NoConsents,
    );
    assert!(
        matches!(r, Refusal::LegalBasisMismatch { granted: None, .. }),
        "{r}"
    );
}

#[test]
fn case_ref_missing() {
    let r = refused(
        RequestMeta {
            case_ref: None,
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(r, Refusal::CaseRefMissing);
}

#[test]
fn field_not_granted() {
    let r = refused(
        RequestMeta {
            fields: vec!["full_name".into(), "religion".into(), "ethnicity".into()],
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(
        r,
        Refusal::FieldNotGranted {
            field: "religion".into()
        }
    );
    // A field the right lists but the service does not return.
    let r = refused(
        RequestMeta {
            fields: vec!["salary".into()],
            ..meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(
        r,
        Refusal::FieldNotGranted {
            field: "salary".into()
        }
    );
}

#[test]
fn right_expired_or_not_started() {
    let r = refused(meta(), t(20), &NoConsents);
    assert_eq!(r, Refusal::RightExpired { until: t(20) });
    let r = refused(meta(), t(1) - Duration::seconds(1), &NoConsents);
    assert_eq!(r, Refusal::RightNotYetValid { from: t(1) });
    let r = refused(
        RequestMeta {
            purpose: Some("future-use".into()),
            legal_basis: Some("L-2027".into()),
            ..hospital_meta()
        },
        t(2),
        &NoConsents,
    );
    assert_eq!(r, Refusal::RightNotYetValid { from: t(25) });
}

#[test]
fn consent_purpose_requires_consent() {
    let consents = Consents::default();
    let r = refused(hospital_meta(), t(2), &consents);
    assert!(matches!(r, Refusal::NoConsent { .. }), "{r}");
    assert_eq!(r.code(), "no_consent");
    let r = refused(
        RequestMeta {
            person_id: None,
            ..hospital_meta()
        },
        t(2),
        &consents,
    );
    assert_eq!(r, Refusal::PersonMissing);

    // Given on day 3, withdrawn on day 5.
    consents.given.borrow_mut().push((
        "001099012345".into(),
        "insurance-prefill".into(),
        id(HOSPITAL),
        t(3),
        Some(t(5)),
    ));
    assert!(matches!(
        refused(hospital_meta(), t(2), &consents),
        Refusal::NoConsent { .. }
    ));
    let g = policy()
        .authorize(&hospital_meta(), t(4), &consents)
        .unwrap();
    assert_eq!(g.legal_basis, None);
    assert_eq!(g.fields, fields(&["full_name", "birth_date"]));
    assert!(matches!(
        refused(hospital_meta(), t(5), &consents),
        Refusal::NoConsent { .. }
    ));
    // Consent for another consumer does not count.
    let r = refused(
        RequestMeta {
            person_id: Some("079200000001".into()),
            ..hospital_meta()
        },
        t(4),
        &consents,
    );
    assert!(matches!(r, Refusal::NoConsent { .. }));
}

#[test]
fn meta_from_a_verified_request() {
    let key = MemberKey::from_seed(id(HCC), KeyId("k".into()), [5; 32]);
    let mut ring = KeyRing::new();
    ring.insert(RegisteredKey {
        key_id: key.key_id.clone(),
        member: key.member.clone(),
        key: key.public(),
        valid_from: t(1),
        valid_until: None,
    })
    .unwrap();
    let mut req = HttpRequest {
        method: "POST".into(),
        uri: "https://registry.example/v1/person.get".into(),
        headers: vec![
            ("x-purpose".into(), "birth-registration".into()),
            ("x-legal-basis".into(), "ND-63/2024".into()),
            ("x-case-ref".into(), "H29.22-260301-0001".into()),
        ],
        body: b"{}".to_vec(),
    };
    sign_request(&mut req, &key, t(2), Duration::minutes(1)).unwrap();
    let v = verify_request(&req, &ring, t(2)).unwrap();
    let m = RequestMeta::from_verified(
        &v,
        id(REGISTRY),
        "person.get",
        Some("001099012345".into()),
        vec!["full_name".into()],
    );
    let g = policy().authorize(&m, t(2), &NoConsents).unwrap();
    assert_eq!(g.fields, fields(&["full_name"]));
}

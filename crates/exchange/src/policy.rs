//! Services, access rights and the decision whether a request may be served.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::member::{Member, MemberId};
use crate::signature::VerifiedRequest;

/// A service published by a member, e.g. the registry's `person.get`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The member that provides it.
    pub provider: MemberId,
    /// Its code, e.g. `person.get`, `person.verify`, `household.get`,
    /// `events.subscribe`.
    pub code: String,
    /// The fields it can return.
    pub fields: BTreeSet<String>,
}

/// A right of one consumer to call one service for one purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRight {
    /// Who may call.
    pub consumer: MemberId,
    /// The provider of the service.
    pub provider: MemberId,
    /// The service code.
    pub service: String,
    /// The purpose code, e.g. `birth-registration`.
    pub purpose: String,
    /// The legal basis the request must name; `None`: the purpose rests on
    /// the person's consent instead.
    pub legal_basis: Option<String>,
    /// The fields the consumer may receive.
    pub fields: BTreeSet<String>,
    /// The right applies from this instant.
    pub valid_from: DateTime<Utc>,
    /// The right ends at this instant (`None`: until revoked).
    pub valid_until: Option<DateTime<Utc>>,
}

impl Service {
    /// A service of `provider` under `code` returning `fields`.
    pub fn new(provider: MemberId, code: &str, fields: &[&str]) -> Self {
        Service {
            provider,
            code: code.to_owned(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        }
    }
}

/// The services the population registry publishes: `person.get`,
/// `person.verify` (does the given identity data match the record),
/// `household.get` and `events.subscribe` (vital events).
pub fn population_registry_services(provider: &MemberId) -> Vec<Service> {
    vec![
        Service::new(
            provider.clone(),
            "person.get",
            &[
                "person_id",
                "full_name",
                "former_names",
                "birth_date",
                "sex",
                "nationality",
                "ethnicity",
                "religion",
                "birth_registration_place",
                "hometown",
                "permanent_residence",
                "temporary_residence",
                "household_id",
                "relationship_to_head",
                "parents",
                "spouse",
                "vital_status",
            ],
        ),
        Service::new(
            provider.clone(),
            "person.verify",
            &["person_id", "matches", "mismatched_fields", "vital_status"],
        ),
        Service::new(
            provider.clone(),
            "household.get",
            &["household_id", "head", "members", "address"],
        ),
        Service::new(
            provider.clone(),
            "events.subscribe",
            &[
                "birth",
                "death",
                "marriage",
                "divorce",
                "residence_change",
                "name_change",
            ],
        ),
    ]
}

impl AccessRight {
    fn valid_at(&self, now: DateTime<Utc>) -> bool {
        now >= self.valid_from && self.valid_until.is_none_or(|u| now < u)
    }
}

/// What the policy needs to know about a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestMeta {
    /// The member whose key signed the request; `None` when it was not
    /// signed (or the signature did not verify).
    pub signed_by: Option<MemberId>,
    /// The consumer the request names.
    pub consumer: Option<MemberId>,
    /// The provider addressed.
    pub provider: Option<MemberId>,
    /// The service code.
    pub service: String,
    /// The purpose code.
    pub purpose: Option<String>,
    /// The legal basis named.
    pub legal_basis: Option<String>,
    /// The case reference.
    pub case_ref: Option<String>,
    /// The person the data is about.
    pub person_id: Option<String>,
    /// The fields asked for; empty: every field the right allows.
    pub fields: Vec<String>,
}

impl RequestMeta {
    /// The meta of a request whose signature verified.
    pub fn from_verified(
        req: &VerifiedRequest,
        provider: MemberId,
        service: impl Into<String>,
        person_id: Option<String>,
        fields: Vec<String>,
    ) -> Self {
        RequestMeta {
            signed_by: Some(req.signature.signer.clone()),
            consumer: Some(req.consumer.clone()),
            provider: Some(provider),
            service: service.into(),
            purpose: req.purpose.clone(),
            legal_basis: req.legal_basis.clone(),
            case_ref: req.case_ref.clone(),
            person_id,
            fields,
        }
    }
}

/// Answers whether a person consented to a purpose for a consumer.
pub trait ConsentLookup {
    /// Whether `person_id` had consented, at `at`, to `consumer` using their
    /// data for `purpose` (and had not withdrawn that consent).
    fn has_consented(
        &self,
        person_id: &str,
        purpose: &str,
        consumer: &MemberId,
        at: DateTime<Utc>,
    ) -> bool;
}

/// A consent lookup that knows no consents.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoConsents;

impl ConsentLookup for NoConsents {
    fn has_consented(&self, _: &str, _: &str, _: &MemberId, _: DateTime<Utc>) -> bool {
        false
    }
}

/// Why a request is refused, phrased so that the caller can act on it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request carries no valid signature.
    #[error("the request is not signed: sign it with your member key (HTTP Message Signatures)")]
    Unsigned,
    /// The key that signed is not the consumer's.
    #[error(
        "the request names {consumer} but was signed by {signer}: sign with the consumer's own key"
    )]
    SignedByAnother {
        /// The signer.
        signer: MemberId,
        /// The consumer named.
        consumer: MemberId,
    },
    /// The request names no consumer, or one that is not a member.
    #[error("{} is not a member of the exchange: apply for membership first", .0.as_deref().unwrap_or("the consumer"))]
    UnknownConsumer(Option<String>),
    /// The service is not published by that provider.
    #[error("{provider} publishes no service `{service}`")]
    UnknownService {
        /// The provider addressed.
        provider: String,
        /// The service code.
        service: String,
    },
    /// The consumer has no right at all for the service.
    #[error("{consumer} has no access right for `{service}`: ask {provider} for one")]
    NoRight {
        /// The consumer.
        consumer: MemberId,
        /// The provider.
        provider: MemberId,
        /// The service code.
        service: String,
    },
    /// The request names no purpose.
    #[error("the request names no purpose: set x-purpose")]
    PurposeMissing,
    /// The consumer has rights for the service, but not for this purpose.
    #[error("purpose `{purpose}` is not granted for this service; granted: {}", .granted.join(", "))]
    WrongPurpose {
        /// The purpose asked for.
        purpose: String,
        /// The purposes granted.
        granted: Vec<String>,
    },
    /// The right for the purpose requires a legal basis the request does not name.
    #[error("the request names no legal basis; this right requires `{required}` in x-legal-basis")]
    LegalBasisMissing {
        /// The legal basis of the right.
        required: String,
    },
    /// The request names a legal basis other than the one granted.
    #[error("legal basis `{given}` is not the one granted for this purpose ({})", .granted.as_deref().unwrap_or("none: the purpose rests on the person's consent"))]
    LegalBasisMismatch {
        /// The legal basis named.
        given: String,
        /// The legal basis granted.
        granted: Option<String>,
    },
    /// The request names no case reference.
    #[error("the request names no case reference: set x-case-ref to the dossier it serves")]
    CaseRefMissing,
    /// A consent-based purpose, but the request names no person.
    #[error("this purpose rests on the person's consent, but the request names no person")]
    PersonMissing,
    /// A consent-based purpose, and the person has not consented.
    #[error(
        "person {person_id} has not consented to `{purpose}` for {consumer}: ask them to consent in the portal"
    )]
    NoConsent {
        /// The person.
        person_id: String,
        /// The purpose.
        purpose: String,
        /// The consumer.
        consumer: MemberId,
    },
    /// A field was asked for that the right does not grant.
    #[error("field `{field}` is not granted for this purpose")]
    FieldNotGranted {
        /// The first such field.
        field: String,
    },
    /// The right for this purpose has ended.
    #[error("the access right for this purpose ended at {until}: ask for its renewal")]
    RightExpired {
        /// When it ended.
        until: DateTime<Utc>,
    },
    /// The right for this purpose has not started yet.
    #[error("the access right for this purpose starts only at {from}")]
    RightNotYetValid {
        /// When it starts.
        from: DateTime<Utc>,
    },
}

impl Refusal {
    /// A stable machine-readable code for the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Unsigned => "unsigned",
            Refusal::SignedByAnother { .. } => "signed_by_another",
            Refusal::UnknownConsumer(_) => "unknown_consumer",
            Refusal::UnknownService { .. } => "unknown_service",
            Refusal::NoRight { .. } => "no_right",
            Refusal::PurposeMissing => "purpose_missing",
            Refusal::WrongPurpose { .. } => "wrong_purpose",
            Refusal::LegalBasisMissing { .. } => "legal_basis_missing",
            Refusal::LegalBasisMismatch { .. } => "legal_basis_mismatch",
            Refusal::CaseRefMissing => "case_ref_missing",
            Refusal::PersonMissing => "person_missing",
            Refusal::NoConsent { .. } => "no_consent",
            Refusal::FieldNotGranted { .. } => "field_not_granted",
            Refusal::RightExpired { .. } => "right_expired",
            Refusal::RightNotYetValid { .. } => "right_not_yet_valid",
        }
    }
}

/// What an authorised request may receive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The consumer.
    pub consumer: MemberId,
    /// The provider.
    pub provider: MemberId,
    /// The service code.
    pub service: String,
    /// The purpose.
    pub purpose: String,
    /// The legal basis, or `None` when the person's consent was relied on.
    pub legal_basis: Option<String>,
    /// The case reference.
    pub case_ref: String,
    /// The person the data is about, if named.
    pub person_id: Option<String>,
    /// The fields that may be returned.
    pub fields: BTreeSet<String>,
}

impl Grant {
    /// Keeps only the granted top-level fields of a JSON object; anything
    /// that is not an object becomes an empty object.
    pub fn filter(&self, value: &serde_json::Value) -> serde_json::Value {
        let mut out = serde_json::Map::new();
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                if self.fields.contains(k) {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        serde_json::Value::Object(out)
    }
}

/// Members, services and access rights; decides on requests.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    members: HashMap<MemberId, Member>,
    services: HashMap<(MemberId, String), Service>,
    rights: Vec<AccessRight>,
}

impl Policy {
    /// An empty policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a member.
    pub fn add_member(&mut self, member: Member) {
        self.members.insert(member.id.clone(), member);
    }

    /// Publishes (or replaces) a service.
    pub fn publish(&mut self, service: Service) {
        self.services
            .insert((service.provider.clone(), service.code.clone()), service);
    }

    /// Grants an access right.
    pub fn grant(&mut self, right: AccessRight) {
        self.rights.push(right);
    }

    /// The member with that id.
    pub fn member(&self, id: &MemberId) -> Option<&Member> {
        self.members.get(id)
    }

    /// The service a provider publishes under `code`.
    pub fn service(&self, provider: &MemberId, code: &str) -> Option<&Service> {
        self.services.get(&(provider.clone(), code.to_owned()))
    }

    /// Decides whether the request may be served at `now`, and with which fields.
    /// Checks, in order: signature, consumer, service, purpose, case
    /// reference, right, validity, legal basis or consent, fields.
    pub fn authorize(
        &self,
        meta: &RequestMeta,
        now: DateTime<Utc>,
        consent: &dyn ConsentLookup,
    ) -> Result<Grant, Refusal> {
        let signer = meta.signed_by.as_ref().ok_or(Refusal::Unsigned)?;
        let consumer = match &meta.consumer {
            Some(c) if self.members.contains_key(c) => c,
            other => {
                return Err(Refusal::UnknownConsumer(
                    other.as_ref().map(|c| c.to_string()),
                ));
            }
        };
        if signer != consumer {
            return Err(Refusal::SignedByAnother {
                signer: signer.clone(),
                consumer: consumer.clone(),
            });
        }
        let service = meta
            .provider
            .as_ref()
            .and_then(|p| self.service(p, &meta.service))
            .ok_or_else(|| Refusal::UnknownService {
                provider: meta
                    .provider
                    .as_ref()
                    .map_or_else(|| "no provider".to_owned(), |p| p.to_string()),
                service: meta.service.clone(),
            })?;
        let purpose = meta.purpose.as_deref().ok_or(Refusal::PurposeMissing)?;
        let rights: Vec<&AccessRight> = self
            .rights
            .iter()
            .filter(|r| {
                &r.consumer == consumer
                    && r.provider == service.provider
                    && r.service == service.code
            })
            .collect();
        if rights.is_empty() {
            return Err(Refusal::NoRight {
                consumer: consumer.clone(),
                provider: service.provider.clone(),
                service: service.code.clone(),
            });
        }
        let for_purpose: Vec<&AccessRight> = rights
            .iter()
            .copied()
            .filter(|r| r.purpose == purpose)
            .collect();
        if for_purpose.is_empty() {
            let mut granted: Vec<String> = rights.iter().map(|r| r.purpose.clone()).collect();
            granted.sort();
            granted.dedup();
            return Err(Refusal::WrongPurpose {
                purpose: purpose.to_owned(),
                granted,
            });
        }
        let case_ref = meta.case_ref.as_deref().ok_or(Refusal::CaseRefMissing)?;
        let valid: Vec<&AccessRight> = for_purpose
            .iter()
            .copied()
            .filter(|r| r.valid_at(now))
            .collect();
        if valid.is_empty() {
            return Err(validity_refusal(&for_purpose, now));
        }
        // Prefer the right whose legal basis the request names.
        let right = valid
            .iter()
            .copied()
            .find(|r| r.legal_basis.is_some() && r.legal_basis == meta.legal_basis)
            .or_else(|| valid.iter().copied().find(|r| r.legal_basis.is_none()))
            .unwrap_or(valid[0]);
        match (&right.legal_basis, &meta.legal_basis) {
            (Some(required), None) => {
                return Err(Refusal::LegalBasisMissing {
                    required: required.clone(),
                });
            }
            (granted, Some(given)) if granted.as_ref() != Some(given) => {
                return Err(Refusal::LegalBasisMismatch {
                    given: given.clone(),
                    granted: granted.clone(),
                });
            }
            (Some(_), Some(_)) => {}
            (None, _) => {
                let person = meta.person_id.as_deref().ok_or(Refusal::PersonMissing)?;
                if !consent.has_consented(person, purpose, consumer, now) {
                    return Err(Refusal::NoConsent {
                        person_id: person.to_owned(),
                        purpose: purpose.to_owned(),
                        consumer: consumer.clone(),
                    });
                }
            }
        }
        let allowed: BTreeSet<String> = right
            .fields
            .intersection(&service.fields)
            .cloned()
            .collect();
        let fields = if meta.fields.is_empty() {
            allowed
        } else {
            if let Some(field) = meta.fields.iter().find(|f| !allowed.contains(*f)) {
                return Err(Refusal::FieldNotGranted {
                    field: field.clone(),
                });
            }
            meta.fields.iter().cloned().collect()
        };
        Ok(Grant {
            consumer: consumer.clone(),
            provider: service.provider.clone(),
            service: service.code.clone(),
            purpose: purpose.to_owned(),
            legal_basis: right.legal_basis.clone(),
            case_ref: case_ref.to_owned(),
            person_id: meta.person_id.clone(),
            fields,
        })
    }
}

fn validity_refusal(rights: &[&AccessRight], now: DateTime<Utc>) -> Refusal {
    // A right that starts later is the more useful news; otherwise the most
    // recently ended one.
    if let Some(from) = rights
        .iter()
        .filter(|r| r.valid_from > now)
        .map(|r| r.valid_from)
        .min()
    {
        return Refusal::RightNotYetValid { from };
    }
    let until = rights
        .iter()
        .filter_map(|r| r.valid_until)
        .max()
        .unwrap_or(now);
    Refusal::RightExpired { until }
}

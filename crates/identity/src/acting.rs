//! Organisations acting through people (Decree 69/2024 Art. 12, in force
//! for organisations from 1 July 2025).
//!
//! A person may act for an organisation when their session is **level 2**
//! and they are one of its legal representatives, its head, or someone it
//! authorised. An [`Authorisation`] names the person, a [`Scope`] of
//! services, a period `[valid_from, valid_until)`, and takes effect only
//! once **every** legal representative has consented — the
//! representatives as the organisation records them at the instant of the
//! check, so a newly appointed co-representative's consent is needed too.
//! Any representative or the head may revoke it; a revocation takes effect
//! at its instant. [`may_act`] decides, and says why not.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::{AssuranceLevel, IdentityError, Organisation, SubjectId};

/// A public service's code, as services are listed in the catalogue:
/// lowercase ASCII letters, digits, `.`, `_` and `-`, 1–64 characters,
/// beginning with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ServiceCode(String);

impl ServiceCode {
    /// Reads a service code (uppercase letters are lowered).
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let t = s.trim().to_ascii_lowercase();
        let ok = (1..=64).contains(&t.len())
            && t.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && t.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if !ok {
            return Err(IdentityError::Malformed {
                what: "service code",
                rule: "must be 1 to 64 letters, digits, dots, underscores or hyphens",
                got: s.to_string(),
            });
        }
        Ok(Self(t))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

domain::display_as_str!(ServiceCode);
domain::text_conversions!(ServiceCode, IdentityError);

/// Which services an authorisation covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ScopeRecord", into = "ScopeRecord")]
pub enum Scope {
    /// Every service.
    AllServices,
    /// These services only (never empty).
    Services(BTreeSet<ServiceCode>),
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ScopeRecord {
    AllServices,
    Services(BTreeSet<ServiceCode>),
}

impl Scope {
    /// A scope of listed services; refuses an empty list.
    pub fn services(codes: impl IntoIterator<Item = ServiceCode>) -> Result<Self, IdentityError> {
        let set: BTreeSet<ServiceCode> = codes.into_iter().collect();
        if set.is_empty() {
            return Err(IdentityError::Invalid(
                "an authorisation must name at least one service, or cover all services"
                    .to_string(),
            ));
        }
        Ok(Self::Services(set))
    }

    /// Whether the scope covers `service`.
    pub fn covers(&self, service: &ServiceCode) -> bool {
        match self {
            Self::AllServices => true,
            Self::Services(set) => set.contains(service),
        }
    }
}

impl TryFrom<ScopeRecord> for Scope {
    type Error = IdentityError;
    fn try_from(r: ScopeRecord) -> Result<Self, IdentityError> {
        match r {
            ScopeRecord::AllServices => Ok(Self::AllServices),
            ScopeRecord::Services(set) => Self::services(set),
        }
    }
}

impl From<Scope> for ScopeRecord {
    fn from(s: Scope) -> Self {
        match s {
            Scope::AllServices => Self::AllServices,
            Scope::Services(set) => Self::Services(set),
        }
    }
}

/// A revocation: who, when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    /// The representative or head who revoked.
    pub by: SubjectId,
    /// From when.
    pub at: DateTime<FixedOffset>,
}

/// Why recording a consent or a revocation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorisationError {
    /// The organisation given is not the one the authorisation belongs to.
    #[error("this authorisation belongs to another organisation")]
    WrongOrganisation,
    /// Only legal representatives consent.
    #[error(
        "{0} is not a legal representative of the organisation: only its legal representatives consent"
    )]
    NotARepresentative(SubjectId),
    /// Only representatives and the head revoke.
    #[error("{0} may not revoke: only a legal representative or the head of the organisation may")]
    MayNotRevoke(SubjectId),
    /// Already revoked.
    #[error("the authorisation was already revoked at {0}")]
    AlreadyRevoked(DateTime<FixedOffset>),
}

/// Why a person may not act for an organisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActRefusal {
    /// Acting for an organisation needs a level-2 session.
    #[error(
        "acting for an organisation needs a level-2 log-in; this session is {level}: log in again with level 2"
    )]
    NeedsLevel2 {
        /// The session's level.
        level: AssuranceLevel,
    },
    /// The person is neither representative nor head, and holds no
    /// authorisation from the organisation.
    #[error(
        "you are not a legal representative or the head of this organisation and hold no authorisation from it: ask a legal representative to authorise you"
    )]
    NotAuthorised,
    /// The authorisation does not cover the service.
    #[error("your authorisation does not cover the service {service}: ask for it to be extended")]
    OutOfScope {
        /// The service asked for.
        service: ServiceCode,
    },
    /// The authorisation has not started.
    #[error("your authorisation starts at {from}")]
    NotYetValid {
        /// Its start.
        from: DateTime<FixedOffset>,
    },
    /// The authorisation has ended.
    #[error("your authorisation ended at {until}: ask for a new one")]
    Expired {
        /// Its end.
        until: DateTime<FixedOffset>,
    },
    /// The authorisation was revoked.
    #[error("your authorisation was revoked at {at}")]
    Revoked {
        /// When.
        at: DateTime<FixedOffset>,
    },
    /// Co-representatives have not all consented.
    #[error("your authorisation waits for the consent of every legal representative; missing: {}", list(.missing))]
    MissingConsent {
        /// The representatives whose consent is missing.
        missing: BTreeSet<SubjectId>,
    },
}

fn list(ids: &BTreeSet<SubjectId>) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl ActRefusal {
    /// How close the refusal is to a usable authorisation, to report the
    /// most useful reason when several authorisations fail: a missing
    /// consent is the nearest, a revocation the furthest.
    fn closeness(&self) -> u8 {
        match self {
            Self::MissingConsent { .. } => 5,
            Self::NotYetValid { .. } => 4,
            Self::OutOfScope { .. } => 3,
            Self::Expired { .. } => 2,
            Self::Revoked { .. } => 1,
            Self::NeedsLevel2 { .. } | Self::NotAuthorised => 0,
        }
    }
}

/// An organisation's authorisation of a person: its stored shape, checked
/// when made and when read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Authorisation(AuthorisationRecord);

/// The stored shape of an [`Authorisation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AuthorisationRecord {
    id: Uuid,
    organisation: SubjectId,
    grantee: SubjectId,
    scope: Scope,
    valid_from: DateTime<FixedOffset>,
    valid_until: DateTime<FixedOffset>,
    consents: BTreeMap<SubjectId, DateTime<FixedOffset>>,
    revoked: Option<Revocation>,
}

impl Authorisation {
    /// A new authorisation, without consents yet. `valid_until` is
    /// exclusive and must be after `valid_from`; an organisation cannot
    /// authorise itself.
    pub fn new(
        id: Uuid,
        organisation: &Organisation,
        grantee: SubjectId,
        scope: Scope,
        valid_from: DateTime<FixedOffset>,
        valid_until: DateTime<FixedOffset>,
    ) -> Result<Self, IdentityError> {
        Self::checked(AuthorisationRecord {
            id,
            organisation: organisation.subject(),
            grantee,
            scope,
            valid_from,
            valid_until,
            consents: BTreeMap::new(),
            revoked: None,
        })
    }

    /// The authorisation `r` describes, if it holds together.
    fn checked(r: AuthorisationRecord) -> Result<Self, IdentityError> {
        if r.valid_until <= r.valid_from {
            return Err(IdentityError::Invalid(format!(
                "an authorisation must end after it starts (from {} until {})",
                r.valid_from, r.valid_until
            )));
        }
        if r.grantee == r.organisation {
            return Err(IdentityError::Invalid(
                "an organisation cannot authorise itself: name the person".to_string(),
            ));
        }
        Ok(Self(r))
    }

    /// The authorisation's identifier.
    pub fn id(&self) -> Uuid {
        self.0.id
    }
    /// The organisation.
    pub fn organisation(&self) -> SubjectId {
        self.0.organisation
    }
    /// The person authorised.
    pub fn grantee(&self) -> SubjectId {
        self.0.grantee
    }
    /// The services covered.
    pub fn scope(&self) -> &Scope {
        &self.0.scope
    }
    /// When it starts.
    pub fn valid_from(&self) -> DateTime<FixedOffset> {
        self.0.valid_from
    }
    /// When it ends (exclusive).
    pub fn valid_until(&self) -> DateTime<FixedOffset> {
        self.0.valid_until
    }
    /// The representatives who consented, with when.
    pub fn consents(&self) -> &BTreeMap<SubjectId, DateTime<FixedOffset>> {
        &self.0.consents
    }
    /// The revocation, if any.
    pub fn revoked(&self) -> Option<Revocation> {
        self.0.revoked
    }

    /// Records `representative`'s consent at `at`. A second consent by the
    /// same representative keeps the first one's time.
    pub fn consent(
        &mut self,
        organisation: &Organisation,
        representative: SubjectId,
        at: DateTime<FixedOffset>,
    ) -> Result<(), AuthorisationError> {
        let allowed = organisation.is_representative(representative);
        self.check_change(organisation, allowed, || {
            AuthorisationError::NotARepresentative(representative)
        })?;
        self.0.consents.entry(representative).or_insert(at);
        Ok(())
    }

    /// Revokes the authorisation from `at` on.
    pub fn revoke(
        &mut self,
        organisation: &Organisation,
        by: SubjectId,
        at: DateTime<FixedOffset>,
    ) -> Result<(), AuthorisationError> {
        let allowed = organisation.is_representative(by) || organisation.head() == Some(by);
        self.check_change(organisation, allowed, || {
            AuthorisationError::MayNotRevoke(by)
        })?;
        self.0.revoked = Some(Revocation { by, at });
        Ok(())
    }

    /// Whether a person of `organisation` may change the authorisation: it
    /// is the organisation's, the person is `allowed` to make the change
    /// (else the error `refused` makes), and it is not revoked.
    fn check_change(
        &self,
        organisation: &Organisation,
        allowed: bool,
        refused: impl FnOnce() -> AuthorisationError,
    ) -> Result<(), AuthorisationError> {
        if organisation.subject() != self.0.organisation {
            return Err(AuthorisationError::WrongOrganisation);
        }
        if !allowed {
            return Err(refused());
        }
        if let Some(r) = self.0.revoked {
            return Err(AuthorisationError::AlreadyRevoked(r.at));
        }
        Ok(())
    }

    /// The representatives of `organisation` who had not consented by `at`.
    pub fn missing_consents(
        &self,
        organisation: &Organisation,
        at: DateTime<FixedOffset>,
    ) -> BTreeSet<SubjectId> {
        organisation
            .representatives()
            .iter()
            .filter(|r| self.0.consents.get(r).is_none_or(|given| *given > at))
            .copied()
            .collect()
    }

    /// Whether this authorisation lets its grantee use `service` at `at`.
    pub fn check(
        &self,
        organisation: &Organisation,
        service: &ServiceCode,
        at: DateTime<FixedOffset>,
    ) -> Result<(), ActRefusal> {
        if organisation.subject() != self.0.organisation {
            return Err(ActRefusal::NotAuthorised);
        }
        if let Some(r) = self.0.revoked.filter(|r| at >= r.at) {
            return Err(ActRefusal::Revoked { at: r.at });
        }
        if at < self.0.valid_from {
            return Err(ActRefusal::NotYetValid {
                from: self.0.valid_from,
            });
        }
        if at >= self.0.valid_until {
            return Err(ActRefusal::Expired {
                until: self.0.valid_until,
            });
        }
        if !self.0.scope.covers(service) {
            return Err(ActRefusal::OutOfScope {
                service: service.clone(),
            });
        }
        let missing = self.missing_consents(organisation, at);
        if !missing.is_empty() {
            return Err(ActRefusal::MissingConsent { missing });
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Authorisation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::checked(AuthorisationRecord::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// In what capacity a person acts for an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "capacity", rename_all = "snake_case")]
pub enum ActingCapacity {
    /// As one of its legal representatives.
    LegalRepresentative,
    /// As its head.
    Head,
    /// Under an authorisation.
    Authorised {
        /// Which one.
        authorisation: Uuid,
    },
}

/// May `person`, logged in at `session_level`, act for `organisation` (as
/// it is recorded at `at`) on `service` at `at`, given the authorisations
/// on record? Level 2 first; then legal representatives and the head act
/// by right on every service; otherwise an authorisation of this person by
/// this organisation must be in force, in scope and consented to. When
/// several authorisations fail, the reason of the nearest to usable is
/// given.
pub fn may_act(
    person: SubjectId,
    session_level: AssuranceLevel,
    organisation: &Organisation,
    service: &ServiceCode,
    at: DateTime<FixedOffset>,
    authorisations: &[Authorisation],
) -> Result<ActingCapacity, ActRefusal> {
    if session_level < AssuranceLevel::Level2 {
        return Err(ActRefusal::NeedsLevel2 {
            level: session_level,
        });
    }
    if organisation.is_representative(person) {
        return Ok(ActingCapacity::LegalRepresentative);
    }
    if organisation.head() == Some(person) {
        return Ok(ActingCapacity::Head);
    }
    let mut best: Option<ActRefusal> = None;
    for a in authorisations
        .iter()
        .filter(|a| a.grantee() == person && a.organisation() == organisation.subject())
    {
        match a.check(organisation, service, at) {
            Ok(()) => {
                return Ok(ActingCapacity::Authorised {
                    authorisation: a.id(),
                });
            }
            Err(refusal) => {
                if best
                    .as_ref()
                    .is_none_or(|b| refusal.closeness() > b.closeness())
                {
                    best = Some(refusal);
                }
            }
        }
    }
    Err(best.unwrap_or(ActRefusal::NotAuthorised))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TaxCode;
    use chrono::{Duration, TimeZone};

    use AssuranceLevel::{Level1, Level2};

    fn id(n: u128) -> SubjectId {
        SubjectId::new(Uuid::from_u128(n)).expect("id")
    }

    const ORG: u128 = 100;
    const REP_A: u128 = 1;
    const REP_B: u128 = 2;
    const HEAD: u128 = 3;
    const STAFF: u128 = 4;
    const OTHER: u128 = 5;

    fn t(days: i64) -> DateTime<FixedOffset> {
        domain::VIETNAM
            .with_ymd_and_hms(2025, 8, 1, 0, 0, 0)
            .single()
            .expect("t")
            + Duration::days(days)
    }

    fn org(reps: &[u128]) -> Organisation {
        Organisation::new(
            id(ORG),
            TaxCode::parse("0100047516").expect("tax"),
            false,
            reps.iter().map(|r| id(*r)).collect(),
            Some(id(HEAD)),
            true,
        )
        .expect("org")
    }

    fn svc(s: &str) -> ServiceCode {
        ServiceCode::parse(s).expect(s)
    }

    /// STAFF authorised for tax.declare from day 0 to day 30, by both
    /// representatives on day 0.
    fn authorised(o: &Organisation) -> Authorisation {
        let mut a = Authorisation::new(
            Uuid::from_u128(900),
            o,
            id(STAFF),
            Scope::services([svc("tax.declare")]).expect("scope"),
            t(0),
            t(30),
        )
        .expect("authorisation");
        for r in o.representatives() {
            a.consent(o, *r, t(0)).expect("consent");
        }
        a
    }

    /// STAFF authorised for all services from day 0 to day 30, with no
    /// consent yet.
    fn all_services(n: u128, o: &Organisation) -> Authorisation {
        Authorisation::new(
            Uuid::from_u128(n),
            o,
            id(STAFF),
            Scope::AllServices,
            t(0),
            t(30),
        )
        .expect("all services")
    }

    #[test]
    fn representatives_and_the_head_act_by_right_with_level_2() {
        let o = org(&[REP_A, REP_B]);
        let s = svc("anything");
        for (who, capacity) in [
            (REP_A, ActingCapacity::LegalRepresentative),
            (REP_B, ActingCapacity::LegalRepresentative),
            (HEAD, ActingCapacity::Head),
        ] {
            assert_eq!(may_act(id(who), Level2, &o, &s, t(0), &[]), Ok(capacity));
            assert_eq!(
                may_act(id(who), Level1, &o, &s, t(0), &[]),
                Err(ActRefusal::NeedsLevel2 { level: Level1 })
            );
        }
        assert_eq!(
            may_act(id(OTHER), Level2, &o, &s, t(0), &[]),
            Err(ActRefusal::NotAuthorised)
        );
    }

    #[test]
    fn an_authorisation_in_force_in_scope_and_consented() {
        let o = org(&[REP_A, REP_B]);
        let a = authorised(&o);
        let tax = svc("tax.declare");
        let act = |who, level, at| may_act(id(who), level, &o, &tax, at, std::slice::from_ref(&a));
        let ok = Ok(ActingCapacity::Authorised {
            authorisation: a.id(),
        });
        assert_eq!(act(STAFF, Level2, t(0)), ok);
        assert_eq!(act(STAFF, Level2, t(15)), ok);
        // level 1 is refused before anything else
        assert_eq!(
            act(STAFF, Level1, t(15)),
            Err(ActRefusal::NeedsLevel2 { level: Level1 })
        );
        // someone else cannot use STAFF's authorisation
        assert_eq!(act(OTHER, Level2, t(15)), Err(ActRefusal::NotAuthorised));
    }

    #[test]
    fn scope() {
        let o = org(&[REP_A]);
        let a = authorised(&o);
        assert_eq!(
            may_act(
                id(STAFF),
                Level2,
                &o,
                &svc("land.register"),
                t(1),
                std::slice::from_ref(&a)
            ),
            Err(ActRefusal::OutOfScope {
                service: svc("land.register")
            })
        );
        let mut all = all_services(901, &o);
        all.consent(&o, id(REP_A), t(0)).expect("consent");
        assert!(may_act(id(STAFF), Level2, &o, &svc("land.register"), t(1), &[all]).is_ok());
        assert!(Scope::services([]).is_err());
        assert_eq!(svc(" Tax.Declare ").as_str(), "tax.declare");
        for bad in ["", ".tax", "tax declare", "thuế", &"a".repeat(65)] {
            assert!(ServiceCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn period_start_inclusive_end_exclusive() {
        let o = org(&[REP_A]);
        let a = authorised(&o);
        let tax = svc("tax.declare");
        let check = |at| a.check(&o, &tax, at);
        let ns = Duration::nanoseconds(1);
        assert_eq!(
            check(t(0) - ns),
            Err(ActRefusal::NotYetValid { from: t(0) })
        );
        assert_eq!(check(t(0)), Ok(()));
        assert_eq!(check(t(30) - ns), Ok(()));
        assert_eq!(check(t(30)), Err(ActRefusal::Expired { until: t(30) }));
        for (case, grantee, from, until) in [
            ("an empty period", STAFF, 1, 1),
            ("a period ending before it starts", STAFF, 2, 1),
            ("the organisation as its own grantee", ORG, 0, 1),
        ] {
            let new = Authorisation::new(
                Uuid::from_u128(1),
                &o,
                id(grantee),
                Scope::AllServices,
                t(from),
                t(until),
            );
            assert!(new.is_err(), "{case}");
        }
    }

    #[test]
    fn every_co_representative_must_consent_before_the_instant() {
        let o = org(&[REP_A, REP_B]);
        let tax = svc("tax.declare");
        let mut a = all_services(902, &o);
        assert_eq!(
            a.check(&o, &tax, t(1)),
            Err(ActRefusal::MissingConsent {
                missing: [id(REP_A), id(REP_B)].into()
            })
        );
        a.consent(&o, id(REP_A), t(1)).expect("A");
        assert_eq!(
            a.check(&o, &tax, t(2)),
            Err(ActRefusal::MissingConsent {
                missing: [id(REP_B)].into()
            })
        );
        a.consent(&o, id(REP_B), t(5)).expect("B");
        // in force only from the last consent on
        assert!(matches!(
            a.check(&o, &tax, t(4)),
            Err(ActRefusal::MissingConsent { .. })
        ));
        assert_eq!(a.check(&o, &tax, t(5)), Ok(()));
        // a repeated consent keeps the first time
        a.consent(&o, id(REP_B), t(9)).expect("again");
        assert_eq!(a.check(&o, &tax, t(5)), Ok(()));
        // the head and outsiders do not consent
        assert_eq!(
            a.consent(&o, id(HEAD), t(1)),
            Err(AuthorisationError::NotARepresentative(id(HEAD)))
        );
        assert!(a.consent(&o, id(OTHER), t(1)).is_err());
        // a representative appointed later must consent too
        let grown = org(&[REP_A, REP_B, OTHER]);
        assert_eq!(
            a.check(&grown, &tax, t(6)),
            Err(ActRefusal::MissingConsent {
                missing: [id(OTHER)].into()
            })
        );
        // one who left no longer counts
        let shrunk = org(&[REP_A]);
        assert_eq!(a.check(&shrunk, &tax, t(6)), Ok(()));
        let msg = ActRefusal::MissingConsent {
            missing: [id(REP_B)].into(),
        }
        .to_string();
        assert!(msg.contains(&id(REP_B).to_string()), "{msg}");
    }

    #[test]
    fn revocation() {
        let o = org(&[REP_A, REP_B]);
        let tax = svc("tax.declare");
        let mut a = authorised(&o);
        assert_eq!(
            a.revoke(&o, id(STAFF), t(10)),
            Err(AuthorisationError::MayNotRevoke(id(STAFF)))
        );
        assert_eq!(
            a.revoke(&o, id(OTHER), t(10)),
            Err(AuthorisationError::MayNotRevoke(id(OTHER)))
        );
        let mut by_head = a.clone();
        by_head
            .revoke(&o, id(HEAD), t(10))
            .expect("head may revoke");
        a.revoke(&o, id(REP_B), t(10)).expect("revoke");
        assert_eq!(
            a.revoked(),
            Some(Revocation {
                by: id(REP_B),
                at: t(10)
            })
        );
        assert_eq!(a.check(&o, &tax, t(10) - Duration::nanoseconds(1)), Ok(()));
        assert_eq!(
            a.check(&o, &tax, t(10)),
            Err(ActRefusal::Revoked { at: t(10) })
        );
        assert_eq!(
            a.check(&o, &tax, t(40)),
            Err(ActRefusal::Revoked { at: t(10) })
        );
        assert_eq!(
            a.revoke(&o, id(REP_A), t(11)),
            Err(AuthorisationError::AlreadyRevoked(t(10)))
        );
        assert_eq!(
            a.consent(&o, id(REP_A), t(11)),
            Err(AuthorisationError::AlreadyRevoked(t(10)))
        );
        assert_eq!(
            may_act(id(STAFF), Level2, &o, &tax, t(12), &[a]),
            Err(ActRefusal::Revoked { at: t(10) })
        );
    }

    #[test]
    fn the_wrong_organisation_never_counts() {
        let o = org(&[REP_A]);
        let a = authorised(&o);
        let other = Organisation::new(
            id(ORG + 1),
            TaxCode::parse("0100047516-001").expect("tax"),
            false,
            [id(REP_A)].into(),
            None,
            true,
        )
        .expect("other");
        let tax = svc("tax.declare");
        assert_eq!(
            may_act(
                id(STAFF),
                Level2,
                &other,
                &tax,
                t(1),
                std::slice::from_ref(&a)
            ),
            Err(ActRefusal::NotAuthorised)
        );
        assert_eq!(a.check(&other, &tax, t(1)), Err(ActRefusal::NotAuthorised));
        let mut b = a.clone();
        assert_eq!(
            b.consent(&other, id(REP_A), t(1)),
            Err(AuthorisationError::WrongOrganisation)
        );
        assert_eq!(
            b.revoke(&other, id(REP_A), t(1)),
            Err(AuthorisationError::WrongOrganisation)
        );
    }

    #[test]
    fn several_authorisations_one_good_wins_else_the_nearest_reason() {
        let o = org(&[REP_A]);
        let tax = svc("tax.declare");
        let make = |n: u128, scope: Scope, from: i64, until: i64, consent: bool| {
            let mut a =
                Authorisation::new(Uuid::from_u128(n), &o, id(STAFF), scope, t(from), t(until))
                    .expect("a");
            if consent {
                a.consent(&o, id(REP_A), t(from)).expect("c");
            }
            a
        };
        let expired = make(1, Scope::AllServices, 0, 5, true);
        let other_scope = make(
            2,
            Scope::services([svc("land.register")]).expect("s"),
            0,
            30,
            true,
        );
        let unconsented = make(3, Scope::AllServices, 0, 30, false);
        let good = make(4, Scope::AllServices, 0, 30, true);
        let act = |authorisations: &[Authorisation]| {
            may_act(id(STAFF), Level2, &o, &tax, t(10), authorisations)
        };
        assert_eq!(
            act(&[expired.clone(), other_scope.clone(), good]),
            Ok(ActingCapacity::Authorised {
                authorisation: Uuid::from_u128(4)
            })
        );
        assert_eq!(
            act(&[expired.clone(), other_scope.clone()]),
            Err(ActRefusal::OutOfScope {
                service: tax.clone()
            })
        );
        assert!(matches!(
            act(&[unconsented, expired.clone(), other_scope]),
            Err(ActRefusal::MissingConsent { .. })
        ));
        assert_eq!(act(&[expired]), Err(ActRefusal::Expired { until: t(5) }));
    }

    #[test]
    fn authorisations_round_trip_and_are_checked_when_read() {
        let o = org(&[REP_A, REP_B]);
        let a = authorised(&o);
        let json = serde_json::to_string(&a).expect("ser");
        assert_eq!(serde_json::from_str::<Authorisation>(&json).expect("de"), a);
        let inverted = json.replace(&t(30).to_rfc3339(), &t(-1).to_rfc3339());
        assert_ne!(inverted, json);
        assert!(serde_json::from_str::<Authorisation>(&inverted).is_err());
        let empty_scope = json.replace("[\"tax.declare\"]", "[]");
        assert_ne!(empty_scope, json);
        assert!(serde_json::from_str::<Authorisation>(&empty_scope).is_err());
    }
}

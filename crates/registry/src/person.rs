//! A person's record, derived from their vital events.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{CommuneCode, PersonalId, Sex};
use serde::{Deserialize, Serialize};

use crate::RegistryError;
use crate::date::{AgeRange, PartialDate};
use crate::ethnicity::{Ethnicity, Religion};
use crate::event::{
    Birth, Correction, EventId, EventKind, Refusal, ResidenceKind, Source, VitalEvent,
};

/// A nationality as an ISO 3166-1 alpha-2 code ("VN"), upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Nationality([u8; 2]);

impl Nationality {
    /// Viet Nam.
    pub const VN: Nationality = Nationality(*b"VN");

    /// Reads a two-letter ISO 3166-1 alpha-2 code, in either case.
    pub fn parse(code: &str) -> Result<Self, RegistryError> {
        let t = code.trim().as_bytes();
        match t {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(RegistryError::InvalidNationality(code.to_string())),
        }
    }

    /// The two upper-case letters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

domain::display_as_str!(Nationality);
domain::text_conversions!(Nationality, RegistryError);

/// A residence: a 2025 commune and the street, house number or hamlet part.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Residence {
    /// The commune (2025 list).
    pub commune: CommuneCode,
    /// House number, street, hamlet or village, as written.
    pub street: String,
}

/// A household's identifier (số hộ), as the residence database assigns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HouseholdId(pub String);

impl fmt::Display for HouseholdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member's relationship to the head of their household (ordered as a
/// household is listed: the head first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// Chủ hộ.
    Head,
    /// Vợ / chồng.
    Spouse,
    /// Con.
    Child,
    /// Cha / mẹ.
    Parent,
    /// Cháu.
    Grandchild,
    /// Anh / chị / em.
    Sibling,
    /// Any other relationship.
    Other,
}

/// Membership of a household.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    /// The household.
    pub household: HouseholdId,
    /// Relationship to its head.
    pub relationship: Relationship,
}

/// Marital status, as this person's own events tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaritalStatus {
    /// Never married.
    Single,
    /// Married.
    Married,
    /// Divorced and not remarried.
    Divorced,
    /// Widowed and not remarried.
    Widowed,
}

/// Alive, or dead with the date of death.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "date")]
pub enum VitalStatus {
    /// Alive.
    Alive,
    /// Dead on this (possibly partial) date.
    Dead(PartialDate),
}

/// A field's value with where it came from and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Who supplied it.
    pub source: Source,
    /// The event that set it.
    pub event: EventId,
    /// When the registry recorded that event.
    pub changed_at: DateTime<Utc>,
    /// The day that event took effect (for a marriage, the day of marriage;
    /// for a residence, the day it was registered).
    pub since: PartialDate,
}

impl<T> Sourced<T> {
    fn from_event(value: T, event: &VitalEvent) -> Self {
        Self {
            value,
            source: event.source.clone(),
            event: event.id.clone(),
            changed_at: event.recorded_at,
            since: event.effective,
        }
    }
}

/// Stamps values with the event that set them.
struct Stamp<'a>(&'a VitalEvent);

impl Stamp<'_> {
    fn of<T>(&self, value: T) -> Sourced<T> {
        Sourced::from_event(value, self.0)
    }
}

/// A person's record in the population registry, derived from their vital
/// events. Every field carries its source and last change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Personal identification number.
    pub id: PersonalId,
    /// Current full name.
    pub full_name: Sourced<String>,
    /// Former names, oldest first, each with the event that set it.
    pub former_names: Vec<Sourced<String>>,
    /// Birth date, possibly partial.
    pub birth_date: Sourced<PartialDate>,
    /// Sex.
    pub sex: Sourced<Sex>,
    /// Nationality.
    pub nationality: Sourced<Nationality>,
    /// Ethnic group.
    pub ethnicity: Sourced<Ethnicity>,
    /// Religion.
    pub religion: Sourced<Religion>,
    /// Place of birth registration, as written.
    pub birth_registration_place: Sourced<String>,
    /// Hometown (quê quán).
    pub hometown: Sourced<String>,
    /// Permanent residence, if registered.
    pub permanent_residence: Sourced<Option<Residence>>,
    /// Temporary residence, if registered.
    pub temporary_residence: Sourced<Option<Residence>>,
    /// Household membership, if any.
    pub household: Sourced<Option<Membership>>,
    /// Father's personal id, when known.
    pub father: Sourced<Option<PersonalId>>,
    /// Mother's personal id, when known.
    pub mother: Sourced<Option<PersonalId>>,
    /// Current spouse's personal id.
    pub spouse: Sourced<Option<PersonalId>>,
    /// Marital status.
    pub marital_status: Sourced<MaritalStatus>,
    /// Alive or dead.
    pub vital_status: Sourced<VitalStatus>,
}

/// How a relative is related to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kinship {
    /// Father.
    Father,
    /// Mother.
    Mother,
    /// Current spouse.
    Spouse,
    /// Child (found from the child's record, which names the parent).
    Child,
}

/// The civil date in Vietnam (UTC+7) of an instant.
pub fn vietnam_date(instant: DateTime<Utc>) -> NaiveDate {
    instant.with_timezone(&domain::VIETNAM).date_naive()
}

fn refuse(event: &VitalEvent, reason: Refusal) -> RegistryError {
    RegistryError::Refused {
        event: event.id.clone(),
        kind: event.kind.name(),
        reason,
    }
}

fn non_empty(event: &VitalEvent, what: &'static str, s: &str) -> Result<String, RegistryError> {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        Err(refuse(event, Refusal::Empty { what }))
    } else {
        Ok(t)
    }
}

impl Person {
    /// Derives the current record from a person's events. The birth is
    /// folded first, then the other events in the order they were recorded
    /// (ties kept in the given order); there must be exactly one birth. Refuses, naming the event, any sequence the
    /// law does not allow: an event effective before the birth, after the
    /// death (corrections excepted), a second death, a marriage while
    /// married, a divorce while not married to that spouse, a birth year or
    /// sex the personal id does not encode.
    pub fn derive(events: &[VitalEvent]) -> Result<Person, RegistryError> {
        Self::fold(events.iter())?.ok_or(RegistryError::NoEvents)
    }

    /// The record as it stood at `instant`: derived from the events recorded
    /// by then and effective by then (the effective date's earliest day on
    /// or before the instant's civil date in Vietnam). `None` when the
    /// person was not yet born or not yet registered.
    pub fn as_of(
        events: &[VitalEvent],
        instant: DateTime<Utc>,
    ) -> Result<Option<Person>, RegistryError> {
        let day = vietnam_date(instant);
        Self::fold_window(
            events
                .iter()
                .filter(|e| e.recorded_at <= instant && e.effective.earliest() <= day),
        )
    }

    /// The record as the registry knew it at `instant`: every event recorded
    /// by then, whatever its effective date (for audits: "what did we tell
    /// the caller then?").
    pub fn as_known_at(
        events: &[VitalEvent],
        instant: DateTime<Utc>,
    ) -> Result<Option<Person>, RegistryError> {
        Self::fold_window(events.iter().filter(|e| e.recorded_at <= instant))
    }

    /// Folds a past window of the log: without the birth in it, the person
    /// had no record yet.
    fn fold_window<'a>(
        events: impl Iterator<Item = &'a VitalEvent>,
    ) -> Result<Option<Person>, RegistryError> {
        let window: Vec<&VitalEvent> = events.collect();
        if window.iter().any(|e| matches!(e.kind, EventKind::Birth(_))) {
            Self::fold(window.into_iter())
        } else {
            Ok(None)
        }
    }

    fn fold<'a>(
        events: impl Iterator<Item = &'a VitalEvent>,
    ) -> Result<Option<Person>, RegistryError> {
        let mut ordered: Vec<&VitalEvent> = events.collect();
        // the birth first (a record migrated from older systems may hold
        // events recorded before the birth registration), then the rest in
        // recorded order; the sort is stable, so ties keep the given order
        ordered.sort_by_key(|e| (!matches!(e.kind, EventKind::Birth(_)), e.recorded_at));
        let mut seen: HashSet<&EventId> = HashSet::with_capacity(ordered.len());
        let mut person: Option<Person> = None;
        // the latest-effective event applied so far (corrections aside)
        let mut latest: Option<&VitalEvent> = None;
        for event in ordered {
            if !seen.insert(&event.id) {
                return Err(refuse(event, Refusal::DuplicateId));
            }
            match person.as_mut() {
                None => person = Some(Self::born(event)?),
                Some(p) => {
                    if let (EventKind::Death, Some(last)) = (&event.kind, latest)
                        && event.effective.certainly_before(&last.effective)
                    {
                        return Err(refuse(
                            event,
                            Refusal::DeathBeforeEvent {
                                died: event.effective,
                                event: last.id.clone(),
                                effective: last.effective,
                            },
                        ));
                    }
                    p.apply(event)?;
                }
            }
            if !matches!(event.kind, EventKind::Correction(_))
                && latest.is_none_or(|l| event.effective.latest() > l.effective.latest())
            {
                latest = Some(event);
            }
        }
        Ok(person)
    }

    fn born(event: &VitalEvent) -> Result<Person, RegistryError> {
        let EventKind::Birth(birth) = &event.kind else {
            return Err(refuse(event, Refusal::NoBirth));
        };
        let Birth {
            full_name,
            sex,
            nationality,
            ethnicity,
            religion,
            birth_registration_place,
            hometown,
            father,
            mother,
        } = birth;
        let id = event.person;
        if !id.agrees_with(event.effective.year_number(), *sex) {
            return Err(refuse(
                event,
                Refusal::IdDisagrees {
                    id,
                    birth_year: event.effective.year_number(),
                    sex: *sex,
                },
            ));
        }
        if father.as_ref() == Some(&id) || mother.as_ref() == Some(&id) {
            return Err(refuse(event, Refusal::OwnParent));
        }
        let s = Stamp(event);
        Ok(Person {
            id,
            full_name: s.of(non_empty(event, "full name", full_name)?),
            former_names: Vec::new(),
            birth_date: Sourced::from_event(event.effective, event),
            sex: Sourced::from_event(*sex, event),
            nationality: Sourced::from_event(*nationality, event),
            ethnicity: Sourced::from_event(*ethnicity, event),
            religion: Sourced::from_event(religion.clone(), event),
            birth_registration_place: s.of(non_empty(
                event,
                "place of birth registration",
                birth_registration_place,
            )?),
            hometown: s.of(hometown.trim().to_string()),
            permanent_residence: Sourced::from_event(None, event),
            temporary_residence: Sourced::from_event(None, event),
            household: Sourced::from_event(None, event),
            father: Sourced::from_event(*father, event),
            mother: Sourced::from_event(*mother, event),
            spouse: Sourced::from_event(None, event),
            marital_status: Sourced::from_event(MaritalStatus::Single, event),
            vital_status: Sourced::from_event(VitalStatus::Alive, event),
        })
    }

    /// Applies one more event to the record, or refuses it naming the event.
    fn apply(&mut self, event: &VitalEvent) -> Result<(), RegistryError> {
        if event.person != self.id {
            return Err(refuse(
                event,
                Refusal::WrongPerson {
                    expected: self.id,
                    found: event.person,
                },
            ));
        }
        let born = self.birth_date.value;
        let effective = event.effective;
        let is_correction = matches!(event.kind, EventKind::Correction(_));
        if !is_correction && effective.certainly_before(&born) {
            return Err(refuse(event, Refusal::BeforeBirth { effective, born }));
        }
        if let VitalStatus::Dead(died) = self.vital_status.value {
            if matches!(event.kind, EventKind::Death) {
                return Err(refuse(event, Refusal::DeathTwice { died }));
            }
            if !is_correction && effective.certainly_after(&died) {
                return Err(refuse(event, Refusal::AfterDeath { effective, died }));
            }
        }
        let s = Stamp(event);
        match &event.kind {
            EventKind::Birth(_) => return Err(refuse(event, Refusal::BirthTwice)),
            EventKind::Death => {
                self.vital_status = s.of(VitalStatus::Dead(event.effective));
            }
            EventKind::Marriage { spouse } => {
                if let Some(current) = self.spouse.value {
                    return Err(refuse(event, Refusal::AlreadyMarried { spouse: current }));
                }
                if *spouse == self.id {
                    return Err(refuse(event, Refusal::SelfMarriage));
                }
                self.spouse = s.of(Some(*spouse));
                self.marital_status = s.of(MaritalStatus::Married);
            }
            EventKind::Divorce { spouse } | EventKind::Widowed { spouse } => {
                if self.spouse.value != Some(*spouse) {
                    return Err(refuse(event, Refusal::NotMarriedTo { spouse: *spouse }));
                }
                if event.effective.certainly_before(&self.spouse.since) {
                    return Err(refuse(
                        event,
                        Refusal::BeforeMarriage {
                            effective: event.effective,
                            married: self.spouse.since,
                        },
                    ));
                }
                self.spouse = s.of(None);
                self.marital_status = s.of(if matches!(event.kind, EventKind::Divorce { .. }) {
                    MaritalStatus::Divorced
                } else {
                    MaritalStatus::Widowed
                });
            }
            EventKind::ResidenceChange { kind, residence } => {
                let residence = residence.as_ref().map(|r| Residence {
                    commune: r.commune.clone(),
                    street: r.street.split_whitespace().collect::<Vec<_>>().join(" "),
                });
                match kind {
                    ResidenceKind::Permanent => self.permanent_residence = s.of(residence),
                    ResidenceKind::Temporary => self.temporary_residence = s.of(residence),
                }
            }
            EventKind::NameChange { full_name } => {
                let new = non_empty(event, "full name", full_name)?;
                let old = std::mem::replace(&mut self.full_name, s.of(new));
                self.former_names.push(old);
            }
            EventKind::HouseholdChange { membership } => {
                self.household = s.of(membership.clone());
            }
            EventKind::Correction(c) => self.correct(event, c)?,
        }
        Ok(())
    }

    fn correct(&mut self, event: &VitalEvent, c: &Correction) -> Result<(), RegistryError> {
        let s = Stamp(event);
        let check_id = |birth_year: i32, sex: Sex| {
            if self.id.agrees_with(birth_year, sex) {
                Ok(())
            } else {
                Err(refuse(
                    event,
                    Refusal::IdDisagrees {
                        id: self.id,
                        birth_year,
                        sex,
                    },
                ))
            }
        };
        match c {
            Correction::FullName(name) => {
                self.full_name = s.of(non_empty(event, "full name", name)?);
            }
            Correction::BirthDate(d) => {
                check_id(d.year_number(), self.sex.value)?;
                self.birth_date = s.of(*d);
            }
            Correction::Sex(sex) => {
                check_id(self.birth_date.value.year_number(), *sex)?;
                self.sex = s.of(*sex);
            }
            Correction::Nationality(n) => self.nationality = s.of(*n),
            Correction::Ethnicity(e) => self.ethnicity = s.of(*e),
            Correction::Religion(r) => self.religion = s.of(r.clone()),
            Correction::BirthRegistrationPlace(p) => {
                self.birth_registration_place =
                    s.of(non_empty(event, "place of birth registration", p)?);
            }
            Correction::Hometown(h) => self.hometown = s.of(h.trim().to_string()),
            Correction::Father(f) | Correction::Mother(f) => {
                if *f == Some(self.id) {
                    return Err(refuse(event, Refusal::OwnParent));
                }
                if matches!(c, Correction::Father(_)) {
                    self.father = s.of(*f);
                } else {
                    self.mother = s.of(*f);
                }
            }
            Correction::DeathDate(d) => {
                if !matches!(self.vital_status.value, VitalStatus::Dead(_)) {
                    return Err(refuse(event, Refusal::NotDead));
                }
                if d.certainly_before(&self.birth_date.value) {
                    return Err(refuse(
                        event,
                        Refusal::BeforeBirth {
                            effective: *d,
                            born: self.birth_date.value,
                        },
                    ));
                }
                self.vital_status = s.of(VitalStatus::Dead(*d));
            }
        }
        Ok(())
    }

    /// The person's age on `on` in completed years, as far as the birth
    /// date tells it; `None` before the birth.
    pub fn age_on(&self, on: NaiveDate) -> Option<AgeRange> {
        self.birth_date.value.age_on(on)
    }

    /// Whether the person is alive in the record.
    pub fn is_alive(&self) -> bool {
        matches!(self.vital_status.value, VitalStatus::Alive)
    }

    /// The known relatives: father, mother and current spouse.
    pub fn relatives(&self) -> Vec<(Kinship, PersonalId)> {
        [
            (Kinship::Father, self.father.value),
            (Kinship::Mother, self.mother.value),
            (Kinship::Spouse, self.spouse.value),
        ]
        .into_iter()
        .filter_map(|(k, id)| id.map(|id| (k, id)))
        .collect()
    }

    /// The communes of the person's permanent and temporary residence.
    pub fn communes(&self) -> impl Iterator<Item = &CommuneCode> {
        [
            self.permanent_residence.value.as_ref(),
            self.temporary_residence.value.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(|r| &r.commune)
    }
}

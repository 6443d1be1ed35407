//! A generated person as the vital events the registry derives them from.
//!
//! [`person_events`] turns one [`SyntheticPerson`] into the events whose
//! [`Person::derive`](crate::Person::derive) gives back the generator's
//! fields: the birth (names, sex, birth date — year only when the generator
//! knows only the year —, ethnicity, religion, nationality, place of birth
//! registration, parents — under the former name for someone who changed
//! it —), the change of name, the permanent residence, a temporary
//! residence, the household membership, for a married person the
//! marriage, and for someone who died the death. A person's events
//! are made from that person's record alone, so a population can be loaded
//! in any batches: the marriage date, which both spouses' records must
//! agree on, is computed from the two personal ids (the later birth year
//! plus [`MARRIAGE_AGE`], on 1 January).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::{CommuneCode, PersonalId};

use super::{Relationship as GenRelationship, Sex as GenSex, SyntheticPerson};
use crate::RegistryError;
use crate::date::PartialDate;
use crate::ethnicity::{Ethnicity, Religion};
use crate::event::{Birth, EventId, EventKind, ResidenceKind, Source, VitalEvent};
use crate::person::{HouseholdId, Membership, Nationality, Relationship, Residence};

/// The member code every generated event names as its source.
pub const SYNTHETIC_SOURCE: &str = "synthetic";

/// The age at which generated spouses are recorded married (the later-born
/// spouse's birth year plus this, on 1 January).
pub const MARRIAGE_AGE: i32 = 20;

/// The household id the registry stores for a generated household number.
pub fn household_id(number: u64) -> HouseholdId {
    HouseholdId(format!("SYN{number:010}"))
}

/// The events of one generated person. `recorded_at` is the instant every
/// event is recorded (the loader passes the reference date); the events'
/// effective dates are the birth date, the marriage date for a marriage.
///
/// Refuses a record the generator cannot produce (an unreadable id, date,
/// commune or ethnic code) with the registry's error.
pub fn person_events(
    person: &SyntheticPerson,
    recorded_at: DateTime<Utc>,
) -> Result<Vec<VitalEvent>, RegistryError> {
    let id = PersonalId::parse(&person.personal_id)?;
    let born = PartialDate::parse(&person.birth_date)?;
    let source = Source::member(SYNTHETIC_SOURCE);
    let parent = |p: &Option<String>| p.as_deref().map(PersonalId::parse).transpose();
    let place = person.personal_id.get(..3).unwrap_or_default();
    let event = |suffix: &str, effective: PartialDate, kind: EventKind| VitalEvent {
        id: EventId(format!("{}-{suffix}", person.personal_id)),
        person: id,
        recorded_at,
        effective,
        source: source.clone(),
        kind,
    };

    let birth = Birth {
        full_name: person
            .former_name
            .clone()
            .unwrap_or_else(|| person.full_name.clone()),
        sex: sex(person.sex),
        nationality: Nationality::parse(person.nationality)?,
        ethnicity: Ethnicity::by_code(person.ethnicity)?,
        religion: religion(person.religion),
        birth_registration_place: format!("province {place}"),
        hometown: format!("province {}", person.province_code),
        father: parent(&person.father_id)?,
        mother: parent(&person.mother_id)?,
    };
    let residence = Residence {
        commune: CommuneCode::parse(person.commune_code)?,
        street: person.address.clone(),
    };
    let mut events = vec![event("birth", born, EventKind::Birth(birth))];
    if let (Some(_), Some(on)) = (&person.former_name, &person.name_changed_on) {
        events.push(event(
            "name",
            PartialDate::parse(on)?,
            EventKind::NameChange {
                full_name: person.full_name.clone(),
            },
        ));
    }
    events.extend([event(
        "residence",
        born,
        EventKind::ResidenceChange {
            kind: ResidenceKind::Permanent,
            residence: Some(residence),
        },
    )]);
    if let (Some(commune), Some(street)) =
        (person.temporary_commune_code, &person.temporary_address)
    {
        // registered the year before the loader's reference, or at 18
        let year = (recorded_at.year() - 1).max(id.birth_year() + 18);
        events.push(event(
            "temporary",
            PartialDate::year(year)?,
            EventKind::ResidenceChange {
                kind: ResidenceKind::Temporary,
                residence: Some(Residence {
                    commune: CommuneCode::parse(commune)?,
                    street: street.clone(),
                }),
            },
        ));
    }
    events.push(event(
        "household",
        born,
        EventKind::HouseholdChange {
            membership: Some(Membership {
                household: household_id(person.household_id),
                relationship: relationship(person.relationship),
            }),
        },
    ));
    if let Some(spouse) = &person.spouse_id {
        let spouse = PersonalId::parse(spouse)?;
        let year = id.birth_year().max(spouse.birth_year()) + MARRIAGE_AGE;
        events.push(event(
            "marriage",
            PartialDate::ymd(year, 1, 1)?,
            EventKind::Marriage { spouse },
        ));
    }
    if let Some(died) = &person.death_date {
        events.push(event("death", PartialDate::parse(died)?, EventKind::Death));
    }
    Ok(events)
}

/// The instant the loader records generated events at: the reference
/// date's midnight, UTC.
pub fn recorded_at(as_of: NaiveDate) -> DateTime<Utc> {
    as_of.and_time(chrono::NaiveTime::MIN).and_utc()
}

fn sex(s: GenSex) -> domain::Sex {
    match s {
        GenSex::Male => domain::Sex::Male,
        GenSex::Female => domain::Sex::Female,
    }
}

fn relationship(r: GenRelationship) -> Relationship {
    match r {
        GenRelationship::Head => Relationship::Head,
        GenRelationship::Spouse => Relationship::Spouse,
        GenRelationship::Child => Relationship::Child,
        GenRelationship::Parent => Relationship::Parent,
    }
}

/// The generator's religion names (see [`SyntheticPerson::religion`]).
fn religion(name: &str) -> Religion {
    match name {
        "buddhist" => Religion::Buddhism,
        "catholic" => Religion::Catholicism,
        "protestant" => Religion::Protestantism,
        "hoa_hao" => Religion::HoaHao,
        "cao_dai" => Religion::CaoDai,
        "none" | "" => Religion::None,
        other => Religion::Other(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::Generator;
    use crate::person::{MaritalStatus, Person, VitalStatus};

    #[test]
    fn derived_records_give_back_the_generated_fields() {
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let at = recorded_at(as_of);
        let mut married = 0;
        let mut partial = 0;
        let (mut dead, mut renamed, mut temporary, mut month_year) = (0, 0, 0, 0);
        for person in Generator::new(7, 10_000, as_of).unwrap() {
            let g = person.unwrap();
            let events = person_events(&g, at).unwrap();
            let p = Person::derive(&events).unwrap();
            assert_eq!(p.id.to_string(), g.personal_id);
            assert_eq!(p.full_name.value, g.full_name);
            assert_eq!(p.birth_date.value.to_string(), g.birth_date);
            assert_eq!(p.sex.value, sex(g.sex));
            assert_eq!(p.ethnicity.value.code(), g.ethnicity);
            assert_eq!(p.religion.value, religion(g.religion));
            assert_eq!(p.nationality.value.as_str(), g.nationality);
            let home = p.permanent_residence.value.as_ref().unwrap();
            assert_eq!(home.commune.to_string(), g.commune_code);
            assert_eq!(home.street, g.address);
            let membership = p.household.value.as_ref().unwrap();
            assert_eq!(membership.household, household_id(g.household_id));
            assert_eq!(membership.relationship, relationship(g.relationship));
            assert_eq!(p.father.value.map(|f| f.to_string()), g.father_id);
            assert_eq!(p.mother.value.map(|m| m.to_string()), g.mother_id);
            assert_eq!(p.spouse.value.map(|s| s.to_string()), g.spouse_id);
            let status = if g.spouse_id.is_some() {
                married += 1;
                MaritalStatus::Married
            } else {
                MaritalStatus::Single
            };
            assert_eq!(p.marital_status.value, status);
            match &g.death_date {
                None => assert_eq!(p.vital_status.value, VitalStatus::Alive),
                Some(d) => {
                    dead += 1;
                    let died = PartialDate::parse(d).unwrap();
                    assert_eq!(p.vital_status.value, VitalStatus::Dead(died));
                }
            }
            if let Some(former) = &g.former_name {
                renamed += 1;
                let kept: Vec<&str> = p.former_names.iter().map(|n| n.value.as_str()).collect();
                assert_eq!(kept, [former.as_str()]);
            }
            match (g.temporary_commune_code, &p.temporary_residence.value) {
                (Some(code), Some(r)) => {
                    temporary += 1;
                    assert_eq!(r.commune.to_string(), code);
                    assert_eq!(Some(&r.street), g.temporary_address.as_ref());
                }
                (None, None) => {}
                other => panic!("temporary residence {other:?}"),
            }
            if g.birth_date.len() == 7 {
                month_year += 1;
            }
            assert!(
                p.birth_registration_place
                    .value
                    .ends_with(&g.personal_id[..3])
            );
            if g.birth_date.len() == 4 {
                partial += 1;
            }
        }
        assert!(married > 1_000, "{married}");
        assert!(partial > 0);
        assert!(
            dead > 0 && renamed > 0 && temporary > 100 && month_year > 0,
            "dead {dead}, renamed {renamed}, temporary {temporary}, month-year {month_year}"
        );
    }

    #[test]
    fn both_spouses_record_the_same_marriage_date() {
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let at = recorded_at(as_of);
        let people: Vec<SyntheticPerson> = Generator::new(3, 2_000, as_of)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut checked = 0;
        for g in &people {
            let Some(spouse) = &g.spouse_id else { continue };
            let Some(other) = people.iter().find(|o| &o.personal_id == spouse) else {
                continue;
            };
            let date = |p: &SyntheticPerson| {
                person_events(p, at)
                    .unwrap()
                    .into_iter()
                    .find(|e| matches!(e.kind, EventKind::Marriage { .. }))
                    .map(|e| e.effective)
            };
            assert_eq!(date(g), date(other));
            checked += 1;
        }
        assert!(checked > 100);
    }
}

//! Deriving records from vital events: current state, as-of queries and
//! refused sequences.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::{CommuneCode, PersonalId, Sex};
use registry::{
    Birth, Correction, Ethnicity, EventKind, Kinship, MaritalStatus, Membership, Nationality,
    PartialDate, Person, Refusal, RegistryError, Relationship, Religion, Residence, ResidenceKind,
    Source, VitalEvent, VitalStatus,
};

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 3, 0, 0)
        .single()
        .expect("valid instant")
}

fn day(y: i32, m: u32, d: u32) -> PartialDate {
    PartialDate::ymd(y, m, d).expect("valid day")
}

fn pid(s: &str) -> PersonalId {
    PersonalId::parse(s).expect("valid id")
}

const ME: &str = "001090012345"; // male, 1990
const WIFE: &str = "001192000001"; // female, 1992
const OTHER: &str = "079193000002"; // female, 1993

fn commune(code: &str) -> CommuneCode {
    CommuneCode::parse(code).expect("a 2025 commune")
}

fn birth_kind() -> EventKind {
    EventKind::Birth(Birth {
        full_name: "Nguyễn  Văn An".into(),
        sex: Sex::Male,
        nationality: Nationality::VN,
        ethnicity: Ethnicity::KINH,
        religion: Religion::None,
        birth_registration_place: "Phường Phúc Xá, Quận Ba Đình, Hà Nội".into(),
        hometown: "Nam Định".into(),
        father: Some(pid("001060000010")),
        mother: Some(pid("001162000011")),
    })
}

struct Log {
    events: Vec<VitalEvent>,
}

impl Log {
    fn new() -> Self {
        let mut log = Log { events: Vec::new() };
        log.push(at(1990, 5, 20), day(1990, 5, 12), birth_kind());
        log
    }

    fn push(
        &mut self,
        recorded: DateTime<Utc>,
        effective: PartialDate,
        kind: EventKind,
    ) -> &mut Self {
        let n = self.events.len() + 1;
        self.events.push(VitalEvent {
            id: format!("ev-{n}").as_str().into(),
            person: pid(ME),
            recorded_at: recorded,
            effective,
            source: Source::member(if n == 1 {
                "civil-status:00097"
            } else {
                "police:00097"
            }),
            kind,
        });
        self
    }

    fn derive(&self) -> Result<Person, RegistryError> {
        Person::derive(&self.events)
    }
}

fn refusal(result: Result<Person, RegistryError>) -> (String, Refusal) {
    match result {
        Err(RegistryError::Refused { event, reason, .. }) => (event.0, reason),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn birth_creates_the_person_with_sourced_fields() {
    let p = Log::new().derive().expect("derives");
    assert_eq!(p.id, pid(ME));
    assert_eq!(p.full_name.value, "Nguyễn Văn An");
    assert_eq!(p.full_name.source.member, "civil-status:00097");
    assert_eq!(p.full_name.event.0, "ev-1");
    assert_eq!(p.full_name.changed_at, at(1990, 5, 20));
    assert_eq!(p.birth_date.value, day(1990, 5, 12));
    assert_eq!(p.sex.value, Sex::Male);
    assert_eq!(p.nationality.value.as_str(), "VN");
    assert_eq!(p.marital_status.value, MaritalStatus::Single);
    assert_eq!(p.vital_status.value, VitalStatus::Alive);
    assert!(p.is_alive());
    assert_eq!(p.permanent_residence.value, None);
    assert_eq!(
        p.relatives(),
        vec![
            (Kinship::Father, pid("001060000010")),
            (Kinship::Mother, pid("001162000011"))
        ]
    );
}

#[test]
fn a_life_folds_to_the_current_record() {
    let mut log = Log::new();
    let home = Residence {
        commune: commune("00097"),
        street: "12 Hàng Bông".into(),
    };
    log.push(
        at(1990, 6, 1),
        day(1990, 6, 1),
        EventKind::ResidenceChange {
            kind: ResidenceKind::Permanent,
            residence: Some(home.clone()),
        },
    )
    .push(
        at(1990, 6, 1),
        day(1990, 6, 1),
        EventKind::HouseholdChange {
            membership: Some(Membership {
                household: registry::HouseholdId("HH-1".into()),
                relationship: Relationship::Child,
            }),
        },
    )
    .push(
        at(2015, 3, 2),
        day(2015, 3, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(
        at(2018, 1, 10),
        day(2018, 1, 9),
        EventKind::NameChange {
            full_name: "Nguyễn Văn Bình".into(),
        },
    )
    .push(
        at(2020, 7, 1),
        day(2020, 7, 1),
        EventKind::Divorce { spouse: pid(WIFE) },
    )
    .push(
        at(2021, 2, 1),
        day(2021, 2, 1),
        EventKind::ResidenceChange {
            kind: ResidenceKind::Temporary,
            residence: Some(home.clone()),
        },
    )
    .push(
        at(2022, 4, 1),
        day(2022, 4, 1),
        EventKind::Marriage { spouse: pid(OTHER) },
    )
    .push(
        at(2023, 1, 1),
        day(2023, 1, 1),
        EventKind::Correction(Correction::Religion(Religion::Buddhism)),
    );
    let p = log.derive().expect("derives");
    assert_eq!(p.full_name.value, "Nguyễn Văn Bình");
    assert_eq!(p.full_name.event.0, "ev-5");
    assert_eq!(p.former_names.len(), 1);
    assert_eq!(p.former_names[0].value, "Nguyễn Văn An");
    assert_eq!(p.spouse.value, Some(pid(OTHER)));
    assert_eq!(p.marital_status.value, MaritalStatus::Married);
    assert_eq!(p.marital_status.changed_at, at(2022, 4, 1));
    assert_eq!(p.permanent_residence.value, Some(home.clone()));
    assert_eq!(p.permanent_residence.changed_at, at(1990, 6, 1));
    assert_eq!(p.temporary_residence.value, Some(home));
    assert_eq!(
        p.household.value.as_ref().map(|m| m.relationship),
        Some(Relationship::Child)
    );
    assert_eq!(p.religion.value, Religion::Buddhism);
    assert_eq!(p.religion.event.0, "ev-9");
    assert_eq!(p.ethnicity.event.0, "ev-1");
    assert_eq!(p.communes().count(), 2);
    assert!(p.relatives().contains(&(Kinship::Spouse, pid(OTHER))));
}

#[test]
fn events_are_folded_in_recorded_order_whatever_the_slice_order() {
    let mut log = Log::new();
    log.push(
        at(2015, 3, 2),
        day(2015, 3, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(
        at(2020, 7, 1),
        day(2020, 7, 1),
        EventKind::Divorce { spouse: pid(WIFE) },
    );
    let mut shuffled = log.events.clone();
    shuffled.reverse();
    assert_eq!(Person::derive(&shuffled), log.derive());
}

#[test]
fn as_of_gives_the_record_as_it_stood() {
    let mut log = Log::new();
    log.push(
        at(2015, 3, 2),
        day(2015, 3, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(
        at(2018, 1, 10),
        day(2018, 1, 9),
        EventKind::NameChange {
            full_name: "Nguyễn Văn Bình".into(),
        },
    )
    .push(at(2024, 12, 1), day(2024, 11, 30), EventKind::Death);
    let ev = &log.events;
    assert_eq!(Person::as_of(ev, at(1990, 5, 19)), Ok(None));
    let baby = Person::as_of(ev, at(1990, 5, 20))
        .expect("ok")
        .expect("born");
    assert_eq!(baby.marital_status.value, MaritalStatus::Single);
    let married = Person::as_of(ev, at(2016, 1, 1))
        .expect("ok")
        .expect("born");
    assert_eq!(married.spouse.value, Some(pid(WIFE)));
    assert_eq!(married.full_name.value, "Nguyễn Văn An");
    let renamed = Person::as_of(ev, at(2018, 1, 10))
        .expect("ok")
        .expect("born");
    assert_eq!(renamed.full_name.value, "Nguyễn Văn Bình");
    let alive = Person::as_of(ev, at(2024, 11, 30))
        .expect("ok")
        .expect("born");
    assert!(alive.is_alive());
    let dead = Person::as_of(ev, at(2025, 1, 1))
        .expect("ok")
        .expect("born");
    assert_eq!(
        dead.vital_status.value,
        VitalStatus::Dead(day(2024, 11, 30))
    );
    assert_eq!(
        Person::as_of(ev, at(2030, 1, 1)).ok().flatten(),
        log.derive().ok()
    );
}

#[test]
fn as_of_needs_both_recorded_and_effective_by_then() {
    let mut log = Log::new();
    // a marriage registered late: effective 2010, recorded 2012
    log.push(
        at(2012, 1, 1),
        day(2010, 1, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    // a residence change recorded ahead of its effective date
    .push(
        at(2013, 1, 1),
        day(2013, 6, 1),
        EventKind::ResidenceChange {
            kind: ResidenceKind::Permanent,
            residence: Some(Residence {
                commune: commune("00097"),
                street: "Thôn 3".into(),
            }),
        },
    );
    let ev = &log.events;
    let p = |y, m, d| Person::as_of(ev, at(y, m, d)).expect("ok").expect("born");
    assert_eq!(p(2011, 1, 1).spouse.value, None, "not yet recorded");
    assert_eq!(p(2012, 1, 1).spouse.value, Some(pid(WIFE)));
    assert_eq!(
        p(2013, 2, 1).permanent_residence.value,
        None,
        "not yet effective"
    );
    assert!(p(2013, 6, 1).permanent_residence.value.is_some());
    let known = Person::as_known_at(ev, at(2013, 2, 1))
        .expect("ok")
        .expect("born");
    assert!(known.permanent_residence.value.is_some());
}

#[test]
fn as_of_uses_the_civil_date_in_vietnam() {
    let mut log = Log::new();
    log.push(
        at(2015, 1, 1),
        day(2015, 3, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    );
    // 28 Feb 2015 17:30 UTC is 1 March 00:30 in Vietnam
    let evening = Utc
        .with_ymd_and_hms(2015, 2, 28, 17, 30, 0)
        .single()
        .expect("valid");
    let before = Utc
        .with_ymd_and_hms(2015, 2, 28, 16, 59, 0)
        .single()
        .expect("valid");
    let spouse = |t| {
        Person::as_of(&log.events, t)
            .ok()
            .flatten()
            .and_then(|p| p.spouse.value)
    };
    assert_eq!(spouse(evening), Some(pid(WIFE)));
    assert_eq!(spouse(before), None);
    assert_eq!(
        registry::person::vietnam_date(evening),
        NaiveDate::from_ymd_opt(2015, 3, 1).expect("day")
    );
}

#[test]
fn refuses_a_record_without_birth_first() {
    assert_eq!(Person::derive(&[]), Err(RegistryError::NoEvents));
    let mut log = Log::new();
    log.events[0].kind = EventKind::Death;
    let (id, reason) = refusal(log.derive());
    assert_eq!((id.as_str(), reason), ("ev-1", Refusal::NoBirth));
    let mut log = Log::new();
    log.push(at(1991, 1, 1), day(1990, 5, 12), birth_kind());
    let (id, reason) = refusal(log.derive());
    assert_eq!((id.as_str(), reason), ("ev-2", Refusal::BirthTwice));
}

#[test]
fn refuses_a_birth_the_id_does_not_encode() {
    let mut log = Log::new();
    log.events[0].effective = day(1991, 1, 1);
    assert!(matches!(
        refusal(log.derive()).1,
        Refusal::IdDisagrees {
            birth_year: 1991,
            ..
        }
    ));
    let mut log = Log::new();
    if let EventKind::Birth(b) = &mut log.events[0].kind {
        b.sex = Sex::Female;
    }
    assert!(matches!(
        refusal(log.derive()).1,
        Refusal::IdDisagrees {
            sex: Sex::Female,
            ..
        }
    ));
    // a year-only birth is fine when the year agrees
    let mut log = Log::new();
    log.events[0].effective = PartialDate::Year(1990);
    assert!(log.derive().is_ok());
}

#[test]
fn refuses_empty_names_and_own_parent() {
    let mut log = Log::new();
    if let EventKind::Birth(b) = &mut log.events[0].kind {
        b.full_name = "   ".into();
    }
    assert_eq!(
        refusal(log.derive()).1,
        Refusal::Empty { what: "full name" }
    );
    let mut log = Log::new();
    if let EventKind::Birth(b) = &mut log.events[0].kind {
        b.father = Some(pid(ME));
    }
    assert_eq!(refusal(log.derive()).1, Refusal::OwnParent);
    let mut log = Log::new();
    log.push(
        at(2000, 1, 1),
        day(2000, 1, 1),
        EventKind::NameChange {
            full_name: "".into(),
        },
    );
    assert_eq!(
        refusal(log.derive()).1,
        Refusal::Empty { what: "full name" }
    );
}

#[test]
fn refuses_events_before_birth() {
    let mut log = Log::new();
    log.push(
        at(1990, 6, 1),
        day(1990, 5, 11),
        EventKind::Marriage { spouse: pid(WIFE) },
    );
    let (id, reason) = refusal(log.derive());
    assert_eq!(id, "ev-2");
    assert!(matches!(reason, Refusal::BeforeBirth { .. }));
    // a partial effective date that may be on the birth day is allowed
    let mut log = Log::new();
    log.push(
        at(1990, 6, 1),
        PartialDate::YearMonth(1990, 5),
        EventKind::ResidenceChange {
            kind: ResidenceKind::Permanent,
            residence: None,
        },
    );
    assert!(log.derive().is_ok());
}

#[test]
fn refuses_a_second_death_and_events_after_death() {
    let mut log = Log::new();
    log.push(at(2020, 1, 2), day(2020, 1, 1), EventKind::Death)
        .push(at(2020, 1, 3), day(2020, 1, 1), EventKind::Death);
    let (id, reason) = refusal(log.derive());
    assert_eq!(id, "ev-3");
    assert_eq!(
        reason,
        Refusal::DeathTwice {
            died: day(2020, 1, 1)
        }
    );

    let mut log = Log::new();
    log.push(at(2020, 1, 2), day(2020, 1, 1), EventKind::Death)
        .push(
            at(2020, 2, 1),
            day(2020, 2, 1),
            EventKind::Marriage { spouse: pid(WIFE) },
        );
    let (id, reason) = refusal(log.derive());
    assert_eq!(id, "ev-3");
    assert!(matches!(reason, Refusal::AfterDeath { .. }));

    // a residence change effective before the death but recorded after it
    // is a late registration, not an event after death
    let mut log = Log::new();
    log.push(at(2020, 1, 2), day(2020, 1, 1), EventKind::Death)
        .push(
            at(2020, 2, 1),
            day(2019, 12, 1),
            EventKind::ResidenceChange {
                kind: ResidenceKind::Permanent,
                residence: None,
            },
        );
    assert!(log.derive().is_ok());

    // corrections may follow a death
    let mut log = Log::new();
    log.push(at(2020, 1, 2), day(2020, 1, 1), EventKind::Death)
        .push(
            at(2021, 1, 1),
            day(2021, 1, 1),
            EventKind::Correction(Correction::DeathDate(day(2019, 12, 31))),
        )
        .push(
            at(2021, 1, 2),
            day(2021, 1, 2),
            EventKind::Correction(Correction::Hometown("Thái Bình".into())),
        );
    let p = log.derive().expect("corrections after death");
    assert_eq!(p.vital_status.value, VitalStatus::Dead(day(2019, 12, 31)));
    assert_eq!(p.vital_status.event.0, "ev-3");
    assert_eq!(p.hometown.value, "Thái Bình");
}

#[test]
fn refuses_marriage_while_married_and_divorce_while_not() {
    let mut log = Log::new();
    log.push(
        at(2015, 1, 1),
        day(2015, 1, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(
        at(2016, 1, 1),
        day(2016, 1, 1),
        EventKind::Marriage { spouse: pid(OTHER) },
    );
    let (id, reason) = refusal(log.derive());
    assert_eq!(id, "ev-3");
    assert_eq!(reason, Refusal::AlreadyMarried { spouse: pid(WIFE) });
    let e = log.derive().expect_err("refused");
    assert_eq!(
        e.to_string(),
        format!("marriage event ev-3 refused: the person is still married to {WIFE}")
    );

    let mut log = Log::new();
    log.push(
        at(2015, 1, 1),
        day(2015, 1, 1),
        EventKind::Divorce { spouse: pid(WIFE) },
    );
    assert_eq!(
        refusal(log.derive()).1,
        Refusal::NotMarriedTo { spouse: pid(WIFE) }
    );

    let mut log = Log::new();
    log.push(
        at(2015, 1, 1),
        day(2015, 1, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(
        at(2016, 1, 1),
        day(2016, 1, 1),
        EventKind::Divorce { spouse: pid(OTHER) },
    );
    assert_eq!(
        refusal(log.derive()).1,
        Refusal::NotMarriedTo { spouse: pid(OTHER) }
    );

    let mut log = Log::new();
    log.push(
        at(2015, 1, 1),
        day(2015, 1, 1),
        EventKind::Marriage { spouse: pid(ME) },
    );
    assert_eq!(refusal(log.derive()).1, Refusal::SelfMarriage);

    let mut log = Log::new();
    log.push(
        at(2015, 1, 1),
        day(2015, 1, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(
        at(2019, 1, 1),
        day(2019, 1, 1),
        EventKind::Widowed { spouse: pid(WIFE) },
    )
    .push(
        at(2021, 1, 1),
        day(2021, 1, 1),
        EventKind::Marriage { spouse: pid(OTHER) },
    );
    let p = log.derive().expect("remarriage after widowhood");
    assert_eq!(p.spouse.value, Some(pid(OTHER)));
}

#[test]
fn refuses_foreign_events_and_duplicate_ids() {
    let mut log = Log::new();
    log.push(at(2015, 1, 1), day(2015, 1, 1), EventKind::Death);
    log.events[1].person = pid(WIFE);
    assert_eq!(
        refusal(log.derive()).1,
        Refusal::WrongPerson {
            expected: pid(ME),
            found: pid(WIFE)
        }
    );
    let mut log = Log::new();
    log.push(at(2015, 1, 1), day(2015, 1, 1), EventKind::Death);
    log.events[1].id = "ev-1".into();
    assert_eq!(refusal(log.derive()).1, Refusal::DuplicateId);
}

#[test]
fn corrections_keep_the_id_consistent() {
    let mut log = Log::new();
    log.push(
        at(2000, 1, 1),
        day(2000, 1, 1),
        EventKind::Correction(Correction::BirthDate(PartialDate::YearMonth(1990, 4))),
    );
    let p = log.derive().expect("same year");
    assert_eq!(p.birth_date.value, PartialDate::YearMonth(1990, 4));
    assert_eq!(p.birth_date.event.0, "ev-2");

    let mut log = Log::new();
    log.push(
        at(2000, 1, 1),
        day(2000, 1, 1),
        EventKind::Correction(Correction::BirthDate(PartialDate::Year(1989))),
    );
    assert!(matches!(
        refusal(log.derive()).1,
        Refusal::IdDisagrees { .. }
    ));

    let mut log = Log::new();
    log.push(
        at(2000, 1, 1),
        day(2000, 1, 1),
        EventKind::Correction(Correction::Sex(Sex::Female)),
    );
    assert!(matches!(
        refusal(log.derive()).1,
        Refusal::IdDisagrees { .. }
    ));

    let mut log = Log::new();
    log.push(
        at(2000, 1, 1),
        day(2000, 1, 1),
        EventKind::Correction(Correction::DeathDate(day(1999, 1, 1))),
    );
    assert_eq!(refusal(log.derive()).1, Refusal::NotDead);

    let mut log = Log::new();
    log.push(
        at(2000, 1, 1),
        day(2000, 1, 1),
        EventKind::Correction(Correction::Father(None)),
    )
    .push(
        at(2000, 1, 2),
        day(2000, 1, 2),
        EventKind::Correction(Correction::FullName("Nguyễn Văn Ân".into())),
    );
    let p = log.derive().expect("ok");
    assert_eq!(p.father.value, None);
    assert!(p.mother.value.is_some());
    assert_eq!(p.full_name.value, "Nguyễn Văn Ân");
    assert!(
        p.former_names.is_empty(),
        "a correction is not a change of name"
    );
}

#[test]
fn records_and_events_round_trip_through_json() {
    let mut log = Log::new();
    log.push(
        at(2015, 1, 1),
        day(2015, 1, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(
        at(2016, 1, 1),
        day(2016, 1, 1),
        EventKind::ResidenceChange {
            kind: ResidenceKind::Temporary,
            residence: Some(Residence {
                commune: commune("00097"),
                street: "Ngõ 5".into(),
            }),
        },
    )
    .push(at(2017, 1, 1), PartialDate::Year(2017), EventKind::Death);
    let json = serde_json::to_string(&log.events).expect("ser");
    let back: Vec<VitalEvent> = serde_json::from_str(&json).expect("de");
    assert_eq!(back, log.events);
    let p = log.derive().expect("ok");
    let json = serde_json::to_string(&p).expect("ser");
    let back: Person = serde_json::from_str(&json).expect("de");
    assert_eq!(back, p);
    // a bad commune code in stored JSON is refused on read
    let bad = json.replace("\"00097\"", "\"99999\"");
    assert!(serde_json::from_str::<Person>(&bad).is_err());
}

/// The small alphabet the exhaustive tests draw sequences from.
#[derive(Debug, Clone, Copy)]
enum Step {
    Marry(&'static str),
    Divorce(&'static str),
    Widowed(&'static str),
    Death,
    Rename,
    Correct,
}

const STEPS: [Step; 8] = [
    Step::Marry(WIFE),
    Step::Marry(OTHER),
    Step::Divorce(WIFE),
    Step::Divorce(OTHER),
    Step::Widowed(WIFE),
    Step::Death,
    Step::Rename,
    Step::Correct,
];

fn kind_of(step: Step, n: usize) -> EventKind {
    match step {
        Step::Marry(s) => EventKind::Marriage { spouse: pid(s) },
        Step::Divorce(s) => EventKind::Divorce { spouse: pid(s) },
        Step::Widowed(s) => EventKind::Widowed { spouse: pid(s) },
        Step::Death => EventKind::Death,
        Step::Rename => EventKind::NameChange {
            full_name: format!("Nguyễn Văn Tên {n}"),
        },
        Step::Correct => EventKind::Correction(Correction::Hometown(format!("Quê {n}"))),
    }
}

/// A reference model of the rules: `Err(index, refusal)` for the first
/// refused step (events are one year apart, so anything but a correction
/// after a death is after it).
fn expected(steps: &[Step]) -> Result<(Option<&'static str>, bool, usize), (usize, Refusal)> {
    let mut spouse: Option<&'static str> = None;
    let mut dead = false;
    let mut died = day(2000, 1, 1);
    let mut names = 0;
    for (i, step) in steps.iter().enumerate() {
        if dead {
            match step {
                Step::Death => {
                    return Err((i, Refusal::DeathTwice { died }));
                }
                Step::Correct => continue,
                _ => {
                    return Err((
                        i,
                        Refusal::AfterDeath {
                            effective: day(2000 + i as i32 + 1, 1, 1),
                            died,
                        },
                    ));
                }
            }
        }
        match *step {
            Step::Marry(s) => match spouse {
                Some(c) => return Err((i, Refusal::AlreadyMarried { spouse: pid(c) })),
                None => spouse = Some(s),
            },
            Step::Divorce(s) | Step::Widowed(s) => {
                if spouse != Some(s) {
                    return Err((i, Refusal::NotMarriedTo { spouse: pid(s) }));
                }
                spouse = None;
            }
            Step::Death => {
                dead = true;
                died = day(2000 + i as i32 + 1, 1, 1);
            }
            Step::Rename => names += 1,
            Step::Correct => {}
        }
    }
    Ok((spouse, dead, names))
}

fn log_of(steps: &[Step]) -> Log {
    let mut log = Log::new();
    for (i, step) in steps.iter().enumerate() {
        let y = 2000 + i as i32 + 1;
        log.push(at(y, 1, 2), day(y, 1, 1), kind_of(*step, i));
    }
    log
}

fn sequences(max_len: usize) -> Vec<Vec<Step>> {
    let mut all: Vec<Vec<Step>> = vec![Vec::new()];
    let mut frontier = all.clone();
    for _ in 0..max_len {
        let mut next = Vec::new();
        for seq in &frontier {
            for step in STEPS {
                let mut s = seq.clone();
                s.push(step);
                next.push(s);
            }
        }
        all.extend(next.iter().cloned());
        frontier = next;
    }
    all
}

#[test]
fn every_sequence_of_up_to_four_events_follows_the_rules() {
    let all = sequences(4);
    assert_eq!(all.len(), 1 + 8 + 64 + 512 + 4096);
    let mut accepted = 0;
    for steps in &all {
        let log = log_of(steps);
        let got = log.derive();
        match expected(steps) {
            Ok((spouse, dead, renames)) => {
                accepted += 1;
                let p = got.unwrap_or_else(|e| panic!("{steps:?}: {e}"));
                assert_eq!(p.spouse.value, spouse.map(pid), "{steps:?}");
                assert_eq!(!p.is_alive(), dead, "{steps:?}");
                assert_eq!(p.former_names.len(), renames, "{steps:?}");
            }
            Err((index, reason)) => {
                let (id, got_reason) = refusal(got);
                // event ids count the birth as ev-1
                assert_eq!(id, format!("ev-{}", index + 2), "{steps:?}");
                assert_eq!(got_reason, reason, "{steps:?}");
            }
        }
    }
    assert!(accepted > 100, "{accepted}");
}

#[test]
fn as_of_each_recorded_instant_equals_the_prefix() {
    for steps in sequences(3) {
        if expected(&steps).is_err() {
            continue;
        }
        let log = log_of(&steps);
        for k in 1..=log.events.len() {
            let instant = log.events[k - 1].recorded_at;
            let prefix = Person::derive(&log.events[..k]).expect("prefix of a valid log");
            let then = Person::as_of(&log.events, instant)
                .expect("valid")
                .expect("born");
            assert_eq!(then, prefix, "{steps:?} at {k}");
            // just before the next event, still the same record
            if let Some(next) = log.events.get(k) {
                let before = next.recorded_at - chrono::Duration::seconds(1);
                let still = Person::as_of(&log.events, before).expect("valid");
                assert_eq!(still.as_ref(), Some(&prefix), "{steps:?} before {}", k + 1);
            }
        }
    }
}

#[test]
fn score_ranks_a_derived_person() {
    let mut log = Log::new();
    log.push(
        at(2000, 1, 1),
        day(2000, 1, 1),
        EventKind::ResidenceChange {
            kind: ResidenceKind::Permanent,
            residence: Some(Residence {
                commune: commune("00097"),
                street: "Thôn 1".into(),
            }),
        },
    )
    .push(
        at(2010, 1, 1),
        day(2010, 1, 1),
        EventKind::NameChange {
            full_name: "Nguyễn Văn Bình".into(),
        },
    );
    let p = log.derive().expect("ok");
    let q = registry::Query {
        full_name: "nguyen van an".into(),
        birth_date: Some(PartialDate::Year(1990)),
        commune: Some(commune("00097")),
    };
    let s = registry::score(&q, &p);
    assert_eq!(s.name, registry::NameMatch::Former);
    assert_eq!(s.birth_date, registry::DateMatch::Compatible);
    assert_eq!(s.commune, registry::CommuneMatch::Same);
    assert!(s.is_candidate());
}

#[test]
fn a_birth_recorded_after_migrated_events_still_comes_first() {
    let mut log = Log::new();
    log.push(
        at(1985, 1, 1),
        day(2010, 1, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    );
    // the birth registration reached the registry in 2016, after the
    // marriage record migrated from an older system
    log.events[0].recorded_at = at(2016, 1, 1);
    let p = log.derive().expect("birth folded first");
    assert_eq!(p.spouse.value, Some(pid(WIFE)));
    // before the birth was recorded, the person had no record
    assert_eq!(Person::as_known_at(&log.events, at(2012, 1, 1)), Ok(None));
    assert_eq!(Person::as_of(&log.events, at(2012, 1, 1)), Ok(None));
    let p = Person::as_of(&log.events, at(2016, 1, 1))
        .expect("ok")
        .expect("born");
    assert_eq!(p.spouse.value, Some(pid(WIFE)));
}

#[test]
fn household_members_head_first_then_oldest() {
    let member = |id: &str, name: &str, year: i32, sex: Sex, household: &str, rel| {
        let mut log = Log::new();
        log.events[0].person = pid(id);
        log.events[0].effective = PartialDate::Year(year);
        if let EventKind::Birth(b) = &mut log.events[0].kind {
            b.full_name = name.into();
            b.sex = sex;
        }
        log.push(
            at(2001, 1, 1),
            day(2001, 1, 1),
            EventKind::HouseholdChange {
                membership: Some(Membership {
                    household: registry::HouseholdId(household.into()),
                    relationship: rel,
                }),
            },
        );
        log.events[1].person = pid(id);
        log.derive().expect("valid member")
    };
    let people = [
        member(
            "001200000001",
            "Con Út",
            2000,
            Sex::Male,
            "H1",
            Relationship::Child,
        ),
        member(
            "001098000002",
            "Con Cả",
            1998,
            Sex::Male,
            "H1",
            Relationship::Child,
        ),
        member(
            "001070000003",
            "Chủ Hộ",
            1970,
            Sex::Male,
            "H1",
            Relationship::Head,
        ),
        member(
            "001172000004",
            "Vợ",
            1972,
            Sex::Female,
            "H1",
            Relationship::Spouse,
        ),
        member(
            "001075000005",
            "Hàng Xóm",
            1975,
            Sex::Male,
            "H2",
            Relationship::Head,
        ),
    ];
    let names: Vec<&str> =
        registry::household_members(&people, &registry::HouseholdId("H1".into()))
            .iter()
            .map(|p| p.full_name.value.as_str())
            .collect();
    assert_eq!(names, ["Chủ Hộ", "Vợ", "Con Cả", "Con Út"]);
    let age = people[2].age_on(NaiveDate::from_ymd_opt(2025, 7, 1).expect("day"));
    assert_eq!(age, Some(registry::AgeRange { min: 54, max: 55 }));
}

#[test]
fn refuses_endings_before_the_marriage_and_deaths_before_recorded_events() {
    let mut log = Log::new();
    log.push(
        at(2015, 3, 2),
        day(2015, 3, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(
        at(2016, 1, 1),
        day(2014, 1, 1),
        EventKind::Divorce { spouse: pid(WIFE) },
    );
    let (id, reason) = refusal(log.derive());
    assert_eq!(id, "ev-3");
    assert_eq!(
        reason,
        Refusal::BeforeMarriage {
            effective: day(2014, 1, 1),
            married: day(2015, 3, 1)
        }
    );
    let mut log = Log::new();
    log.push(
        at(2015, 3, 2),
        day(2015, 3, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    );
    let married = log.derive().expect("ok");
    assert_eq!(married.spouse.since, day(2015, 3, 1));
    assert_eq!(married.spouse.changed_at, at(2015, 3, 2));

    let mut log = Log::new();
    log.push(
        at(2015, 3, 2),
        day(2015, 3, 1),
        EventKind::Marriage { spouse: pid(WIFE) },
    )
    .push(at(2016, 1, 1), day(2014, 6, 1), EventKind::Death);
    let (id, reason) = refusal(log.derive());
    assert_eq!(id, "ev-3");
    assert_eq!(
        reason,
        Refusal::DeathBeforeEvent {
            died: day(2014, 6, 1),
            event: "ev-2".into(),
            effective: day(2015, 3, 1)
        }
    );
    // a correction dated later does not make an earlier death impossible
    let mut log = Log::new();
    log.push(
        at(2015, 3, 2),
        day(2015, 3, 1),
        EventKind::Correction(Correction::Hometown("Huế".into())),
    )
    .push(at(2016, 1, 1), day(2014, 6, 1), EventKind::Death);
    assert!(log.derive().is_ok());
}

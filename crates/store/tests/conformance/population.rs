//! The population registry's storage: events, derived records, as-of
//! queries, partial dates, immutability, lookups and households.

use chrono::{DateTime, TimeZone, Utc};
use domain::{CommuneCode, PersonalId, Sex};
use registry::{
    Birth, Correction, DateMatch, EventKind, HouseholdId, Kinship, MaritalStatus, Membership,
    NameMatch, Nationality, PartialDate, Person, Query, Relationship, Religion, Residence,
    ResidenceKind, Source, VitalEvent, VitalStatus,
};
use store::ErrorKind;

use super::Harness;

pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 3, 0, 0)
        .single()
        .expect("valid instant")
}

fn day(y: i32, m: u32, d: u32) -> PartialDate {
    PartialDate::ymd(y, m, d).expect("valid day")
}

fn commune(code: &str) -> CommuneCode {
    CommuneCode::parse(code).expect("a 2025 commune")
}

/// A personal id that agrees with the birth year and sex.
pub fn pid(year: i32, sex: Sex, serial: u32) -> PersonalId {
    PersonalId::compose("001", year, sex, serial).expect("a valid personal id")
}

pub fn event(
    id: &str,
    person: PersonalId,
    recorded: DateTime<Utc>,
    effective: PartialDate,
    kind: EventKind,
) -> VitalEvent {
    VitalEvent {
        id: id.into(),
        person,
        recorded_at: recorded,
        effective,
        source: Source::member("police:00097"),
        kind,
    }
}

pub fn birth(
    name: &str,
    sex: Sex,
    father: Option<PersonalId>,
    mother: Option<PersonalId>,
) -> EventKind {
    EventKind::Birth(Birth {
        full_name: name.into(),
        sex,
        nationality: Nationality::VN,
        ethnicity: registry::Ethnicity::KINH,
        religion: Religion::None,
        birth_registration_place: "Phường Ba Đình, Hà Nội".into(),
        hometown: "Nam Định".into(),
        father,
        mother,
    })
}

pub fn lives_in(code: &str) -> EventKind {
    EventKind::ResidenceChange {
        kind: ResidenceKind::Permanent,
        residence: Some(Residence {
            commune: commune(code),
            street: "12 Phố Huế".into(),
        }),
    }
}

pub fn joins(household: &str, relationship: Relationship) -> EventKind {
    EventKind::HouseholdChange {
        membership: Some(Membership {
            household: HouseholdId(household.into()),
            relationship,
        }),
    }
}

/// A born person with a residence: the three events of a simple record.
pub fn person_events(
    prefix: &str,
    id: PersonalId,
    name: &str,
    born: PartialDate,
    commune_code: &str,
) -> Vec<VitalEvent> {
    let registered = at(born.year_number().max(1970), 6, 1);
    vec![
        event(
            &format!("{prefix}-birth"),
            id,
            registered,
            born,
            birth(name, id.sex(), None, None),
        ),
        event(
            &format!("{prefix}-home"),
            id,
            registered,
            born,
            lives_in(commune_code),
        ),
    ]
}

/// Nguyễn Văn An's life: born 1990, moves, marries, changes name.
fn an_events() -> (PersonalId, PersonalId, Vec<VitalEvent>) {
    let an = pid(1990, Sex::Male, 1);
    let wife = pid(1992, Sex::Female, 2);
    let events = vec![
        event(
            "an-1",
            an,
            at(1990, 5, 20),
            day(1990, 5, 12),
            birth("Nguyễn  Văn An", Sex::Male, None, None),
        ),
        event(
            "an-2",
            an,
            at(1990, 5, 21),
            day(1990, 5, 12),
            lives_in("00097"),
        ),
        event(
            "an-3",
            an,
            at(2012, 9, 1),
            day(2012, 8, 30),
            lives_in("00008"),
        ),
        event(
            "an-4",
            an,
            at(2015, 3, 10),
            day(2015, 3, 8),
            EventKind::Marriage { spouse: wife },
        ),
        event(
            "an-5",
            an,
            at(2020, 1, 15),
            day(2020, 1, 10),
            EventKind::NameChange {
                full_name: "Nguyễn Văn Bình".into(),
            },
        ),
        event(
            "an-6",
            an,
            at(2020, 2, 1),
            day(2020, 2, 1),
            joins("HH-1", Relationship::Head),
        ),
    ];
    (an, wife, events)
}

pub async fn events_derive_the_current_record(h: &Harness) {
    let store = h.open().await;
    let registry = store.registry();
    let (an, wife, events) = an_events();
    // appended in two batches, the birth and the latest events first:
    // recorded order is what counts, not the order of storage
    let mut first = vec![events[0].clone()];
    first.extend_from_slice(&events[4..]);
    assert_eq!(registry.append_events(&first).await.expect("append"), 3);
    assert_eq!(
        registry.append_events(&events[1..4]).await.expect("append"),
        3
    );

    let stored = registry.events_of(&an).await.expect("events");
    assert_eq!(
        stored, events,
        "events come back in recorded order, unchanged"
    );
    let person = registry.person(&an).await.expect("person").expect("stored");
    assert_eq!(person, Person::derive(&events).expect("derive"));
    assert_eq!(person.full_name.value, "Nguyễn Văn Bình");
    assert_eq!(person.former_names.len(), 1);
    assert_eq!(person.spouse.value, Some(wife));
    assert_eq!(person.marital_status.value, MaritalStatus::Married);
    assert_eq!(
        person
            .permanent_residence
            .value
            .as_ref()
            .map(|r| r.commune.as_str()),
        Some("00008")
    );
    assert_eq!(person.vital_status.value, VitalStatus::Alive);

    // one more event re-derives the record in the same transaction
    let death = event(
        "an-7",
        an,
        at(2024, 4, 2),
        day(2024, 4, 1),
        EventKind::Death,
    );
    assert_eq!(
        registry
            .append_events(std::slice::from_ref(&death))
            .await
            .expect("death"),
        1
    );
    let person = registry.person(&an).await.expect("person").expect("stored");
    assert_eq!(
        person.vital_status.value,
        VitalStatus::Dead(day(2024, 4, 1))
    );

    // nobody else
    assert_eq!(registry.person(&wife).await.expect("person"), None);
    assert_eq!(registry.events_of(&wife).await.expect("events"), []);
    assert_eq!(
        registry
            .person_as_of(&wife, at(2025, 1, 1))
            .await
            .expect("as of"),
        None
    );
    assert_eq!(
        store.registry().relatives(&wife).await.expect("relatives"),
        []
    );

    // a reopened store has the same
    let reopened = h.open().await;
    assert_eq!(
        reopened.registry().person(&an).await.expect("person"),
        Some(person)
    );
}

pub async fn as_of_queries_at_past_instants(h: &Harness) {
    let store = h.open().await;
    let registry = store.registry();
    let (an, wife, events) = an_events();
    registry.append_events(&events).await.expect("append");

    // before the birth was registered
    assert_eq!(
        registry
            .person_as_of(&an, at(1990, 5, 1))
            .await
            .expect("as of"),
        None
    );
    let checks = [
        (at(1991, 1, 1), "Nguyễn Văn An", "00097", None),
        (at(2013, 1, 1), "Nguyễn Văn An", "00008", None),
        (at(2016, 1, 1), "Nguyễn Văn An", "00008", Some(wife)),
        (at(2021, 1, 1), "Nguyễn Văn Bình", "00008", Some(wife)),
    ];
    for (instant, name, home, spouse) in checks {
        let then = registry
            .person_as_of(&an, instant)
            .await
            .expect("as of")
            .expect("born by then");
        assert_eq!(
            then,
            Person::as_of(&events, instant)
                .expect("as of")
                .expect("born")
        );
        assert_eq!(then.full_name.value, name, "{instant}");
        assert_eq!(
            then.permanent_residence
                .value
                .as_ref()
                .map(|r| r.commune.as_str()),
            Some(home),
            "{instant}"
        );
        assert_eq!(then.spouse.value, spouse, "{instant}");
    }
    // recorded on 2012-09-01 but effective 2012-08-30: on 2012-08-31 the
    // registry did not know yet
    let before_recording = registry
        .person_as_of(&an, at(2012, 8, 31))
        .await
        .expect("as of")
        .expect("born");
    assert_eq!(
        before_recording
            .permanent_residence
            .value
            .map(|r| r.commune.as_str().to_string()),
        Some("00097".to_string())
    );
}

pub async fn partial_birth_dates_are_stored_and_matched(h: &Harness) {
    let store = h.open().await;
    let registry = store.registry();
    let year_only = pid(1948, Sex::Female, 10);
    let month_only = pid(1950, Sex::Male, 11);
    let mut events = person_events(
        "y",
        year_only,
        "Lê Thị Hoa",
        PartialDate::Year(1948),
        "00097",
    );
    events.extend(person_events(
        "m",
        month_only,
        "Lê Văn Hùng",
        PartialDate::YearMonth(1950, 3),
        "00097",
    ));
    registry.append_events(&events).await.expect("append");

    let hoa = registry
        .person(&year_only)
        .await
        .expect("person")
        .expect("stored");
    assert_eq!(hoa.birth_date.value, PartialDate::Year(1948));
    let hung = registry
        .person(&month_only)
        .await
        .expect("person")
        .expect("stored");
    assert_eq!(hung.birth_date.value, PartialDate::YearMonth(1950, 3));

    let find = |name: &str, date: Option<&str>| Query {
        full_name: name.into(),
        birth_date: date.map(|d| PartialDate::parse(d).expect("date")),
        commune: None,
    };
    let ids = |found: Vec<store::FoundPerson>| -> Vec<PersonalId> {
        found.into_iter().map(|f| f.person.id).collect()
    };
    // a full date inside the year, the year itself, a month of it
    for date in ["1948-05-02", "1948", "1948-12", "1948-01-01"] {
        let found = registry
            .find_people(&find("Lê Thị Hoa", Some(date)), 10)
            .await
            .expect("find");
        assert_eq!(ids(found.clone()), [year_only], "{date}");
        let expected = if date == "1948" {
            DateMatch::Exact
        } else {
            DateMatch::Compatible
        };
        assert_eq!(found[0].score.birth_date, expected, "{date}");
    }
    for date in ["1947", "1949-01-01", "1947-12-31"] {
        let found = registry
            .find_people(&find("Lê Thị Hoa", Some(date)), 10)
            .await
            .expect("find");
        assert_eq!(ids(found), [], "{date} cannot be a day of 1948");
    }
    for (date, hit) in [
        ("1950-03-31", true),
        ("1950-03-01", true),
        ("1950", true),
        ("1950-04-01", false),
        ("1950-02", false),
    ] {
        let found = registry
            .find_people(&find("Le Van Hung", Some(date)), 10)
            .await
            .expect("find");
        assert_eq!(!found.is_empty(), hit, "{date}");
    }
}

pub async fn event_ids_are_immutable(h: &Harness) {
    let store = h.open().await;
    let registry = store.registry();
    let (an, wife, events) = an_events();
    assert_eq!(registry.append_events(&events).await.expect("append"), 6);
    // the same events again: nothing new, no error
    assert_eq!(
        registry.append_events(&events).await.expect("idempotent"),
        0
    );
    assert_eq!(
        registry
            .append_events(&events[2..3])
            .await
            .expect("idempotent"),
        0
    );

    // an id already stored with other contents is refused, and nothing of
    // its batch is stored
    let mut changed = events[4].clone();
    changed.kind = EventKind::NameChange {
        full_name: "Nguyễn Văn Cường".into(),
    };
    let fresh = event(
        "an-8",
        an,
        at(2023, 1, 1),
        day(2023, 1, 1),
        lives_in("00025"),
    );
    let e = registry
        .append_events(&[fresh.clone(), changed])
        .await
        .expect_err("a changed event");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("an-5"), "{e}");
    // a different recording time is a different event too
    let mut retimed = events[0].clone();
    retimed.recorded_at = at(1990, 5, 22);
    let e = registry
        .append_events(&[retimed])
        .await
        .expect_err("changed");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    // the same id twice in one batch with different contents
    let mut twin = fresh.clone();
    twin.effective = day(2023, 1, 2);
    let e = registry
        .append_events(&[fresh.clone(), twin])
        .await
        .expect_err("twins");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");

    // a sequence the registry refuses: marrying while married
    let bigamy = event(
        "an-9",
        an,
        at(2023, 2, 1),
        day(2023, 2, 1),
        EventKind::Marriage {
            spouse: pid(1991, Sex::Female, 77),
        },
    );
    let e = registry
        .append_events(&[fresh.clone(), bigamy])
        .await
        .expect_err("bigamy");
    assert_eq!(e.kind(), ErrorKind::Refused, "{e}");
    assert!(e.to_string().contains(&wife.to_string()), "{e}");
    // events before a birth: no record can be derived
    let orphan = event(
        "x-1",
        wife,
        at(2023, 1, 1),
        day(2023, 1, 1),
        lives_in("00097"),
    );
    let e = registry
        .append_events(&[orphan])
        .await
        .expect_err("no birth");
    assert_eq!(e.kind(), ErrorKind::Refused, "{e}");

    assert_eq!(
        registry.events_of(&an).await.expect("events"),
        events,
        "nothing was stored"
    );
    assert_eq!(registry.events_of(&wife).await.expect("events"), []);
    assert_eq!(
        registry.person(&an).await.expect("person"),
        Some(Person::derive(&events).expect("derive"))
    );
    // and the fresh event alone is fine
    assert_eq!(registry.append_events(&[fresh]).await.expect("fresh"), 1);
}

pub async fn lookups_are_ranked(h: &Harness) {
    let store = h.open().await;
    let registry = store.registry();
    let exact = pid(1990, Sex::Male, 100);
    let same_year = pid(1990, Sex::Male, 101);
    let elsewhere = pid(1990, Sex::Male, 102);
    let older = pid(1985, Sex::Male, 103);
    let other_name = pid(1990, Sex::Male, 104);
    let renamed = pid(1990, Sex::Male, 105);
    let mut events = Vec::new();
    events.extend(person_events(
        "a",
        exact,
        "Nguyễn Văn An",
        day(1990, 5, 12),
        "00097",
    ));
    events.extend(person_events(
        "b",
        same_year,
        "NGUYỄN VĂN AN",
        PartialDate::Year(1990),
        "00097",
    ));
    events.extend(person_events(
        "c",
        elsewhere,
        "Nguyễn Văn An",
        day(1990, 5, 12),
        "00025",
    ));
    events.extend(person_events(
        "d",
        older,
        "Nguyễn Văn An",
        day(1985, 1, 1),
        "00097",
    ));
    events.extend(person_events(
        "e",
        other_name,
        "Nguyễn Văn Bình",
        day(1990, 5, 12),
        "00097",
    ));
    events.extend(person_events(
        "f",
        renamed,
        "Trần Văn Tâm",
        day(1990, 5, 12),
        "00097",
    ));
    events.push(event(
        "f-rename",
        renamed,
        at(2010, 1, 1),
        day(2010, 1, 1),
        EventKind::NameChange {
            full_name: "Trần Minh Tâm".into(),
        },
    ));
    store
        .registry()
        .load_people(&events[..events.len() - 1])
        .await
        .expect("load");
    registry
        .append_events(&events[events.len() - 1..])
        .await
        .expect("rename");

    let query = Query {
        full_name: "nguyen van an".into(), // no diacritics, lower case
        birth_date: Some(day(1990, 5, 12)),
        commune: Some(commune("00097")),
    };
    let found = registry.find_people(&query, 10).await.expect("find");
    let ids: Vec<PersonalId> = found.iter().map(|f| f.person.id).collect();
    assert_eq!(ids, [exact, elsewhere, same_year], "{found:#?}");
    assert_eq!(found[0].score.name, NameMatch::Exact);
    assert_eq!(found[0].score.birth_date, DateMatch::Exact);
    assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
    // the limit keeps the best
    let top = registry.find_people(&query, 1).await.expect("find");
    assert_eq!(top.len(), 1);
    assert_eq!(top[0].person.id, exact);

    // no birth date: the 1985 namesake too
    let any_date = Query {
        birth_date: None,
        ..query.clone()
    };
    let found = registry.find_people(&any_date, 10).await.expect("find");
    assert_eq!(found.len(), 4);
    assert!(found.iter().any(|f| f.person.id == older));

    // the middle name left out
    let partial = Query {
        full_name: "Nguyễn An".into(),
        birth_date: Some(day(1990, 5, 12)),
        commune: None,
    };
    let found = registry.find_people(&partial, 10).await.expect("find");
    assert!(
        found.iter().all(|f| f.score.name == NameMatch::Partial),
        "{found:#?}"
    );
    assert_eq!(found.len(), 3);

    // a former name
    let former = Query {
        full_name: "Tran Van Tam".into(),
        birth_date: None,
        commune: None,
    };
    let found = registry.find_people(&former, 10).await.expect("find");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].person.id, renamed);
    assert_eq!(found[0].score.name, NameMatch::Former);
    let current = Query {
        full_name: "trần minh tâm".into(),
        ..former
    };
    let found = registry.find_people(&current, 10).await.expect("find");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].score.name, NameMatch::Exact);

    // nothing for an empty or unknown name
    for name in ["", "  ", "Phạm Thị Nga"] {
        let q = Query {
            full_name: name.into(),
            birth_date: None,
            commune: None,
        };
        assert_eq!(
            registry.find_people(&q, 10).await.expect("find"),
            [],
            "{name:?}"
        );
    }
}

pub async fn household_members_and_relatives(h: &Harness) {
    let store = h.open().await;
    let registry = store.registry();
    let father = pid(1960, Sex::Male, 200);
    let mother = pid(1962, Sex::Female, 201);
    let older_child = pid(1988, Sex::Female, 202);
    let younger_child = pid(1990, Sex::Male, 203);
    let neighbour = pid(1970, Sex::Male, 204);
    let mut events = Vec::new();
    let mut add = |tag: &str,
                   id: PersonalId,
                   born: PartialDate,
                   kind: EventKind,
                   hh: &str,
                   rel: Relationship| {
        events.push(event(
            &format!("{tag}-b"),
            id,
            at(born.year_number(), 12, 1),
            born,
            kind,
        ));
        events.push(event(
            &format!("{tag}-h"),
            id,
            at(2000, 1, 1),
            day(2000, 1, 1),
            joins(hh, rel),
        ));
    };
    add(
        "f",
        father,
        day(1960, 1, 1),
        birth("Trần Văn Nam", Sex::Male, None, None),
        "HH-7",
        Relationship::Head,
    );
    add(
        "m",
        mother,
        day(1962, 1, 1),
        birth("Lê Thị Lan", Sex::Female, None, None),
        "HH-7",
        Relationship::Spouse,
    );
    // added before its older sister, listed after her: by age
    add(
        "y",
        younger_child,
        day(1990, 1, 1),
        birth("Trần Văn Hải", Sex::Male, Some(father), Some(mother)),
        "HH-7",
        Relationship::Child,
    );
    add(
        "o",
        older_child,
        day(1988, 1, 1),
        birth("Trần Thị Hà", Sex::Female, Some(father), Some(mother)),
        "HH-7",
        Relationship::Child,
    );
    add(
        "n",
        neighbour,
        day(1970, 1, 1),
        birth("Phạm Văn Đức", Sex::Male, None, None),
        "HH-8",
        Relationship::Head,
    );
    events.push(event(
        "f-w",
        father,
        at(1985, 6, 1),
        day(1985, 6, 1),
        EventKind::Marriage { spouse: mother },
    ));
    events.push(event(
        "m-w",
        mother,
        at(1985, 6, 1),
        day(1985, 6, 1),
        EventKind::Marriage { spouse: father },
    ));
    registry.append_events(&events).await.expect("append");

    let members = registry
        .household(&HouseholdId("HH-7".into()))
        .await
        .expect("household");
    let ids: Vec<PersonalId> = members.iter().map(|p| p.id).collect();
    assert_eq!(ids, [father, mother, older_child, younger_child]);
    assert_eq!(
        registry
            .household(&HouseholdId("HH-8".into()))
            .await
            .expect("household")
            .len(),
        1
    );
    assert_eq!(
        registry
            .household(&HouseholdId("HH-9".into()))
            .await
            .expect("household"),
        []
    );

    // the son leaves home
    registry
        .append_events(&[event(
            "y-leave",
            younger_child,
            at(2015, 1, 1),
            day(2015, 1, 1),
            EventKind::HouseholdChange { membership: None },
        )])
        .await
        .expect("leave");
    let ids: Vec<PersonalId> = registry
        .household(&HouseholdId("HH-7".into()))
        .await
        .expect("household")
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(ids, [father, mother, older_child]);

    let relatives = registry.relatives(&younger_child).await.expect("relatives");
    let kin: Vec<(Kinship, PersonalId)> = relatives.iter().map(|(k, p)| (*k, p.id)).collect();
    assert_eq!(kin, [(Kinship::Father, father), (Kinship::Mother, mother)]);
    // children found from their own records, oldest first
    let kin: Vec<(Kinship, PersonalId)> = registry
        .relatives(&father)
        .await
        .expect("relatives")
        .iter()
        .map(|(k, p)| (*k, p.id))
        .collect();
    assert_eq!(
        kin,
        [
            (Kinship::Spouse, mother),
            (Kinship::Child, older_child),
            (Kinship::Child, younger_child)
        ]
    );
    // a person and their spouse in one read
    let (me, spouse) = registry
        .person_and_spouse(&father)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(me.id, father);
    assert_eq!(spouse.map(|s| s.id), Some(mother));
    let (me, spouse) = registry
        .person_and_spouse(&older_child)
        .await
        .expect("read")
        .expect("found");
    assert_eq!((me.id, spouse), (older_child, None));
    assert_eq!(
        registry
            .person_and_spouse(&pid(1999, Sex::Male, 299))
            .await
            .expect("read"),
        None
    );
    assert_eq!(
        registry.person(&father).await.expect("read"),
        Some(me_again(registry, &father).await)
    );
}

async fn me_again(registry: &dyn store::RegistryStore, id: &PersonalId) -> registry::Person {
    registry
        .person_and_spouse(id)
        .await
        .expect("read")
        .expect("found")
        .0
}

/// `n` people, three events each (birth, residence, household), ids from
/// `first_serial` on.
pub fn synthetic(n: u32, first_serial: u32) -> Vec<VitalEvent> {
    const FAMILY: [&str; 5] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng"];
    const GIVEN: [&str; 6] = ["An", "Bình", "Cường", "Dũng", "Hà", "Lan"];
    let mut events = Vec::with_capacity(n as usize * 3);
    for i in 0..n {
        let serial = first_serial + i;
        let year = 1930 + (i % 90) as i32;
        let sex = if i.is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        };
        let id = pid(year, sex, serial);
        let born = if year < 1950 && i.is_multiple_of(3) {
            PartialDate::Year(year)
        } else {
            day(year, 1 + i % 12, 1 + i % 28)
        };
        let name = format!(
            "{} {} {}",
            FAMILY[(i % 5) as usize],
            if sex == Sex::Male { "Văn" } else { "Thị" },
            GIVEN[(i % 6) as usize]
        );
        let recorded = at(year.max(1971), 1, 1);
        events.push(event(
            &format!("s{serial}-b"),
            id,
            recorded,
            born,
            birth(&name, sex, None, None),
        ));
        events.push(event(
            &format!("s{serial}-r"),
            id,
            recorded,
            born,
            lives_in("00097"),
        ));
        events.push(event(
            &format!("s{serial}-h"),
            id,
            recorded,
            born,
            joins(
                &format!("HH-{}", serial / 3),
                if serial.is_multiple_of(3) {
                    Relationship::Head
                } else {
                    Relationship::Other
                },
            ),
        ));
    }
    events
}

pub async fn bulk_load_writes_derived_people(h: &Harness) {
    let store = h.open().await;
    let registry = store.registry();
    let events = synthetic(1_200, 1);
    assert_eq!(registry.load_people(&events).await.expect("load"), 1_200);
    for i in [0usize, 1, 599, 1_199] {
        let own = &events[i * 3..i * 3 + 3];
        let id = own[0].person;
        assert_eq!(registry.events_of(&id).await.expect("events"), own);
        assert_eq!(
            registry.person(&id).await.expect("person"),
            Some(Person::derive(own).expect("derive"))
        );
    }
    let members = registry
        .household(&HouseholdId("HH-1".into()))
        .await
        .expect("household");
    assert_eq!(members.len(), 3);
    assert_eq!(
        members[0].household.value.as_ref().map(|m| m.relationship),
        Some(Relationship::Head)
    );

    // text that needs escaping on its way in (quotes, backslashes)
    let odd = pid(1975, Sex::Male, 7_000);
    let mut quoted = person_events("q", odd, "Nguyễn \"Tí\" Văn", day(1975, 1, 2), "00097");
    quoted.push(event(
        "q-home\\2",
        odd,
        at(2001, 1, 1),
        day(2001, 1, 1),
        EventKind::ResidenceChange {
            kind: ResidenceKind::Temporary,
            residence: Some(Residence {
                commune: commune("00025"),
                street: "Ngõ 5\\7, \\N".into(),
            }),
        },
    ));
    assert_eq!(registry.load_people(&quoted).await.expect("load"), 1);

    // a loaded child is found from its parent
    let parent = pid(1950, Sex::Female, 7_100);
    let kid = pid(1980, Sex::Male, 7_101);
    let family = [
        event(
            "fam-p",
            parent,
            at(1950, 12, 1),
            day(1950, 1, 1),
            birth("Đỗ Thị Hoa", Sex::Female, None, None),
        ),
        event(
            "fam-k",
            kid,
            at(1980, 12, 1),
            day(1980, 1, 1),
            birth("Vũ Văn An", Sex::Male, None, Some(parent)),
        ),
    ];
    assert_eq!(registry.load_people(&family).await.expect("load"), 2);
    let kin: Vec<(Kinship, PersonalId)> = registry
        .relatives(&parent)
        .await
        .expect("relatives")
        .iter()
        .map(|(k, p)| (*k, p.id))
        .collect();
    assert_eq!(kin, [(Kinship::Child, kid)]);
    assert_eq!(registry.events_of(&odd).await.expect("events"), quoted);
    assert_eq!(
        registry.person(&odd).await.expect("person"),
        Some(Person::derive(&quoted).expect("derive"))
    );

    // a person already stored: the whole batch is refused
    let mut again = synthetic(2, 5_000);
    again.extend_from_slice(&events[..3]);
    let e = registry
        .load_people(&again)
        .await
        .expect_err("already stored");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    let first_new = again[0].person;
    assert_eq!(registry.person(&first_new).await.expect("person"), None);
    // a batch the registry refuses
    let mut bad = synthetic(1, 6_000);
    bad.push(event(
        "s6000-x",
        bad[0].person,
        at(2000, 1, 1),
        day(2000, 1, 1),
        EventKind::Correction(Correction::Sex(Sex::Female)),
    ));
    let e = registry
        .load_people(&bad)
        .await
        .expect_err("sex against the id");
    assert_eq!(e.kind(), ErrorKind::Refused, "{e}");
    // later events append on top of loaded people
    let id = events[0].person;
    registry
        .append_events(&[event(
            "s1-d",
            id,
            at(2020, 1, 1),
            day(2020, 1, 1),
            EventKind::Death,
        )])
        .await
        .expect("death");
    assert!(
        !registry
            .person(&id)
            .await
            .expect("person")
            .expect("stored")
            .is_alive()
    );
}

pub async fn concurrent_appends_keep_the_record_whole(h: &Harness) {
    let (a, b) = (h.open().await, h.open().await);
    let (an, _, events) = an_events();
    a.registry()
        .append_events(&events[..1])
        .await
        .expect("birth");
    // two writers, each with its own events about the same person
    let left: Vec<VitalEvent> = events[1..].iter().step_by(2).cloned().collect();
    let right: Vec<VitalEvent> = events[2..].iter().step_by(2).cloned().collect();
    let (l, r) = tokio::join!(
        a.registry().append_events(&left),
        b.registry().append_events(&right)
    );
    assert_eq!(l.expect("left") + r.expect("right"), events.len() - 1);
    assert_eq!(a.registry().events_of(&an).await.expect("events"), events);
    assert_eq!(
        b.registry().person(&an).await.expect("person"),
        Some(Person::derive(&events).expect("derive")),
        "the record saw every event"
    );
}

//! The generator's people are valid registry people: their personal ids
//! parse as `domain::PersonalId` and agree with their birth year and sex,
//! their ethnicity is one of the 54 groups, their birth date a valid
//! (possibly partial) date, and their commune a real 2025 commune.

use chrono::NaiveDate;
use registry::generate::Generator;
use registry::{Ethnicity, PartialDate};

#[test]
fn generated_people_are_valid_registry_people() {
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    let generator = Generator::new(7, 50_000, as_of).expect("a generator");
    let units = units::Units::get();
    let mut n = 0;
    for p in generator {
        let p = p.expect("a person");
        n += 1;
        let pid = domain::PersonalId::parse(&p.personal_id).expect("a valid personal id");
        let birth = PartialDate::parse(&p.birth_date).expect("a valid birth date");
        let sex = match serde_json::to_value(p.sex).expect("sex").as_str() {
            Some("male") => domain::Sex::Male,
            Some("female") => domain::Sex::Female,
            other => panic!("unexpected sex {other:?}"),
        };
        assert!(
            pid.agrees_with(birth.year_number(), sex),
            "{} {:?}",
            p.personal_id,
            p.birth_date
        );
        assert!(Ethnicity::by_code(p.ethnicity).is_ok(), "{}", p.ethnicity);
        assert!(
            units.commune(p.commune_code).is_some(),
            "{}",
            p.commune_code
        );
    }
    assert_eq!(n, 50_000);
}

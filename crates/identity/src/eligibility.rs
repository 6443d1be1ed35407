//! Who may hold which assurance level (Decree 69/2024/NĐ-CP Art. 7, as
//! summarised in `DOMAIN.md`, "Identity"):
//!
//! | holder | age | level 1 | level 2 |
//! | --- | --- | --- | --- |
//! | citizen | 14 and over | yes | yes |
//! | citizen | 6 to 13 | yes | on request |
//! | citizen | under 6 | on request | no |
//! | foreigner with a valid residence card | 6 to 13 | yes | on request |
//! | foreigner with a valid residence card | 14 and over | yes | yes (their application is the request) |
//! | foreigner | under 6, or without a valid card | no | no |
//! | organisation | — | one account, no level | — |
//!
//! **"On request"** is read as: requested by the child's legal
//! representative (a parent or guardian, [`Requester::LegalRepresentative`]).
//! An application the child makes alone is refused for those cells, with a
//! reason saying who must apply. From 14 an application by the person or by
//! their legal representative (for someone who cannot act alone) is
//! accepted.
//!
//! **Age** is in completed years on the day of the decision: a person
//! reaches 6 or 14 on that birthday (someone born on 29 February on 1 March
//! of a common year, as [`registry::PartialDate::age_on`] counts). A birth
//! date known only to the year or the month leaves the age uncertain; the
//! rules then use the **youngest possible age**, since every rule grants
//! more with age: someone born "2011" counts as 13 until 31 December 2025,
//! when they are certainly 14. Nobody is made eligible by a guess.

use chrono::NaiveDate;
use registry::PartialDate;
use serde::{Deserialize, Serialize};

use crate::{AssuranceLevel, Citizen, Foreigner, Organisation, TaxCode};

/// Who made an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requester {
    /// The person the account is for.
    Applicant,
    /// Their legal representative: a parent or guardian.
    LegalRepresentative,
}

/// Why a person may not hold the level asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ineligible {
    /// The birth date on record is after the decision day.
    #[error("the birth date on record ({birth}) is after {on}: correct the record")]
    NotYetBorn {
        /// The recorded birth date.
        birth: PartialDate,
        /// The day of the decision.
        on: NaiveDate,
    },
    /// A child under 6 gets a level-1 account only when a legal
    /// representative applies for it.
    #[error(
        "a child under 6 (age {age} on {on}) gets a level-1 account only when a parent or other legal representative applies for it"
    )]
    UnderSixNeedsRepresentative {
        /// The age counted (the youngest possible).
        age: u32,
        /// The day of the decision.
        on: NaiveDate,
    },
    /// Level 2 is not issued under 6.
    #[error("level 2 is not issued to a child under 6 (age {age} on {on}); apply for level 1")]
    Level2UnderSix {
        /// The age counted.
        age: u32,
        /// The day of the decision.
        on: NaiveDate,
    },
    /// Between 6 and 13, level 2 is issued only on a legal
    /// representative's request.
    #[error(
        "between 6 and 13 (age {age} on {on}) level 2 is issued only when a parent or other legal representative requests it"
    )]
    Level2NeedsRepresentative {
        /// The age counted.
        age: u32,
        /// The day of the decision.
        on: NaiveDate,
    },
    /// Foreigners get an account from 6.
    #[error("a foreigner gets an account from the age of 6 (age {age} on {on})")]
    ForeignerUnderSix {
        /// The age counted.
        age: u32,
        /// The day of the decision.
        on: NaiveDate,
    },
    /// A foreigner needs a residence card.
    #[error(
        "a foreigner needs a temporary or permanent residence card: apply again with the card's number"
    )]
    NoResidenceCard,
    /// The residence card has expired.
    #[error("the residence card expired on {valid_until}: renew it, then apply again")]
    ResidenceCardExpired {
        /// The card's last valid day.
        valid_until: NaiveDate,
    },
    /// An organisation has one account.
    #[error(
        "the organisation with code {tax_code} already has an account: log in through a legal representative, the head or an authorised person"
    )]
    OrganisationHasAccount {
        /// The organisation's code.
        tax_code: TaxCode,
    },
}

/// The age the rules use: the youngest the person can be on `on`.
pub fn age_for_rules(birth: PartialDate, on: NaiveDate) -> Result<u32, Ineligible> {
    birth
        .age_on(on)
        .map(|range| range.min)
        .ok_or(Ineligible::NotYetBorn { birth, on })
}

/// The rule shared by citizens from 6 and foreigners with a card.
fn from_six(
    age: u32,
    level: AssuranceLevel,
    by: Requester,
    on: NaiveDate,
) -> Result<(), Ineligible> {
    match (level, by) {
        (AssuranceLevel::Level2, Requester::Applicant) if age < 14 => {
            Err(Ineligible::Level2NeedsRepresentative { age, on })
        }
        _ => Ok(()),
    }
}

/// Whether a citizen may be issued `level`, applied for by `by`, on `on`.
pub fn citizen(
    citizen: &Citizen,
    level: AssuranceLevel,
    by: Requester,
    on: NaiveDate,
) -> Result<(), Ineligible> {
    let age = age_for_rules(citizen.birth(), on)?;
    if age >= 6 {
        return from_six(age, level, by, on);
    }
    match (level, by) {
        (AssuranceLevel::Level2, _) => Err(Ineligible::Level2UnderSix { age, on }),
        (AssuranceLevel::Level1, Requester::Applicant) => {
            Err(Ineligible::UnderSixNeedsRepresentative { age, on })
        }
        (AssuranceLevel::Level1, Requester::LegalRepresentative) => Ok(()),
    }
}

/// Whether a foreigner may be issued `level`, applied for by `by`, on `on`.
pub fn foreigner(
    foreigner: &Foreigner,
    level: AssuranceLevel,
    by: Requester,
    on: NaiveDate,
) -> Result<(), Ineligible> {
    let age = age_for_rules(foreigner.birth(), on)?;
    if age < 6 {
        return Err(Ineligible::ForeignerUnderSix { age, on });
    }
    let card = foreigner
        .residence_card()
        .ok_or(Ineligible::NoResidenceCard)?;
    if let Some(valid_until) = card.valid_until.filter(|_| !card.valid_on(on)) {
        return Err(Ineligible::ResidenceCardExpired { valid_until });
    }
    from_six(age, level, by, on)
}

/// Whether an organisation may be issued an account: one account, no
/// level, so only when none is on record yet for its code (`has_account`,
/// as the store knows it).
pub fn organisation(org: &Organisation, has_account: bool) -> Result<(), Ineligible> {
    if has_account {
        return Err(Ineligible::OrganisationHasAccount {
            tax_code: org.tax_code(),
        });
    }
    Ok(())
}

/// The levels a citizen may be issued on `on` when `by` applies, weakest
/// first.
pub fn citizen_levels(c: &Citizen, by: Requester, on: NaiveDate) -> Vec<AssuranceLevel> {
    [AssuranceLevel::Level1, AssuranceLevel::Level2]
        .into_iter()
        .filter(|l| citizen(c, *l, by, on).is_ok())
        .collect()
}

/// The levels a foreigner may be issued on `on` when `by` applies.
pub fn foreigner_levels(f: &Foreigner, by: Requester, on: NaiveDate) -> Vec<AssuranceLevel> {
    [AssuranceLevel::Level1, AssuranceLevel::Level2]
        .into_iter()
        .filter(|l| foreigner(f, *l, by, on).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{
        Country, PassportNumber, ResidenceCard, ResidenceCardKind, ResidenceCardNumber,
    };
    use crate::{AssuranceLevel::*, SubjectId};
    use chrono::Datelike;
    use domain::{PersonalId, Sex};
    use uuid::Uuid;

    use Requester::{Applicant as Me, LegalRepresentative as Rep};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect(s)
    }

    fn born(s: &str) -> Citizen {
        let birth = PartialDate::parse(s).expect(s);
        let pin = PersonalId::compose("001", birth.year_number(), Sex::Female, 1).expect("pin");
        let subject = SubjectId::new(Uuid::from_u128(1)).expect("id");
        Citizen::new(subject, pin, birth, Sex::Female).expect("citizen")
    }

    fn alien(s: &str, card_until: Option<Option<&str>>) -> Foreigner {
        let card = card_until.map(|until| ResidenceCard {
            number: ResidenceCardNumber::parse("TT0012345").expect("n"),
            kind: ResidenceCardKind::Temporary,
            valid_until: until.map(day),
        });
        Foreigner::new(
            SubjectId::new(Uuid::from_u128(2)).expect("id"),
            PassportNumber::parse("TZ1234567").expect("p"),
            Country::parse("JP").expect("jp"),
            PartialDate::parse(s).expect(s),
            Sex::Male,
            card,
            true,
        )
        .expect("foreigner")
    }

    /// The levels for (applicant, representative).
    fn levels(c: &Citizen, on: &str) -> (Vec<AssuranceLevel>, Vec<AssuranceLevel>) {
        (
            citizen_levels(c, Me, day(on)),
            citizen_levels(c, Rep, day(on)),
        )
    }

    #[test]
    fn citizen_at_every_boundary_birthday() {
        let c = born("2011-07-15");
        // under 6: level 1 only, only by a representative
        assert_eq!(levels(&c, "2011-07-15"), (vec![], vec![Level1]));
        assert_eq!(levels(&c, "2017-07-14"), (vec![], vec![Level1]));
        // sixth birthday: level 1 for all, level 2 on the representative's request
        assert_eq!(
            levels(&c, "2017-07-15"),
            (vec![Level1], vec![Level1, Level2])
        );
        assert_eq!(
            levels(&c, "2025-07-14"),
            (vec![Level1], vec![Level1, Level2])
        );
        // fourteenth birthday: both levels for all
        assert_eq!(
            levels(&c, "2025-07-15"),
            (vec![Level1, Level2], vec![Level1, Level2])
        );
        assert_eq!(
            levels(&c, "2080-01-01"),
            (vec![Level1, Level2], vec![Level1, Level2])
        );
    }

    #[test]
    fn the_reasons_name_who_must_apply() {
        let c = born("2020-03-01");
        let on = day("2025-07-01");
        assert_eq!(
            citizen(&c, Level1, Me, on),
            Err(Ineligible::UnderSixNeedsRepresentative { age: 5, on })
        );
        assert_eq!(
            citizen(&c, Level2, Rep, on),
            Err(Ineligible::Level2UnderSix { age: 5, on })
        );
        assert_eq!(
            citizen(&c, Level2, Me, on),
            Err(Ineligible::Level2UnderSix { age: 5, on })
        );
        let c = born("2015-03-01");
        let e = citizen(&c, Level2, Me, on).expect_err("13? no, 10");
        assert_eq!(e, Ineligible::Level2NeedsRepresentative { age: 10, on });
        assert!(e.to_string().contains("legal representative requests"));
        let unborn = born("2026");
        assert!(matches!(
            citizen(&unborn, Level1, Rep, on),
            Err(Ineligible::NotYetBorn { .. })
        ));
    }

    #[test]
    fn leap_day_birthdays_come_of_age_on_first_march() {
        let c = born("2012-02-29");
        // 2026 is a common year: 14 on 1 March 2026
        assert_eq!(citizen_levels(&c, Me, day("2026-02-28")), vec![Level1]);
        assert_eq!(
            citizen_levels(&c, Me, day("2026-03-01")),
            vec![Level1, Level2]
        );
        // 2018: sixth birthday on 1 March
        assert_eq!(citizen_levels(&c, Me, day("2018-02-28")), vec![]);
        assert_eq!(citizen_levels(&c, Me, day("2018-03-01")), vec![Level1]);
    }

    #[test]
    fn partial_birth_dates_count_the_youngest_age() {
        // born some day of 2011: certainly 14 only on 31 December 2025
        let y = born("2011");
        assert_eq!(citizen_levels(&y, Me, day("2025-01-01")), vec![Level1]);
        assert_eq!(citizen_levels(&y, Me, day("2025-12-30")), vec![Level1]);
        assert_eq!(
            citizen_levels(&y, Me, day("2025-12-31")),
            vec![Level1, Level2]
        );
        assert_eq!(citizen_levels(&y, Me, day("2017-12-30")), vec![]);
        assert_eq!(citizen_levels(&y, Me, day("2017-12-31")), vec![Level1]);
        // born some day of March 2011: certainly 14 on 31 March 2025
        let m = born("2011-03");
        assert_eq!(citizen_levels(&m, Me, day("2025-03-30")), vec![Level1]);
        assert_eq!(
            citizen_levels(&m, Me, day("2025-03-31")),
            vec![Level1, Level2]
        );
        // February of a leap year ends on the 29th
        let f = born("2012-02");
        assert_eq!(citizen_levels(&f, Me, day("2026-02-28")), vec![Level1]);
        assert_eq!(
            citizen_levels(&f, Me, day("2026-03-01")),
            vec![Level1, Level2]
        );
        // in the birth year itself the youngest age is 0
        assert_eq!(age_for_rules(y.birth(), day("2011-06-01")), Ok(0));
        assert_eq!(citizen_levels(&y, Rep, day("2011-01-01")), vec![Level1]);
    }

    #[test]
    fn every_age_from_0_to_20() {
        let c = born("2000-06-15");
        for age in 0..=20u32 {
            let on = day("2000-06-15")
                .with_year(2000 + i32::try_from(age).expect("small"))
                .expect("date");
            let (me, rep) = levels(&c, &on.to_string());
            let expect = match age {
                0..=5 => (vec![], vec![Level1]),
                6..=13 => (vec![Level1], vec![Level1, Level2]),
                _ => (vec![Level1, Level2], vec![Level1, Level2]),
            };
            assert_eq!((me, rep), expect, "age {age}");
        }
    }

    #[test]
    fn an_organisation_has_one_account() {
        let o = Organisation::new(
            SubjectId::new(Uuid::from_u128(3)).expect("id"),
            TaxCode::parse("0100047516").expect("tax"),
            true,
            [SubjectId::new(Uuid::from_u128(4)).expect("id")].into(),
            None,
            true,
        )
        .expect("org");
        assert_eq!(organisation(&o, false), Ok(()));
        let e = organisation(&o, true).expect_err("second");
        assert!(
            e.to_string().contains("0100047516 already has an account"),
            "{e}"
        );
    }

    #[test]
    fn foreigners_need_six_years_and_a_valid_card() {
        let on = day("2025-07-01");
        let f = alien("2019-07-01", Some(None));
        assert_eq!(foreigner_levels(&f, Me, on), vec![Level1]);
        assert_eq!(foreigner_levels(&f, Rep, on), vec![Level1, Level2]);
        assert_eq!(
            foreigner(&f, Level2, Me, on),
            Err(Ineligible::Level2NeedsRepresentative { age: 6, on })
        );
        let younger = alien("2019-07-02", Some(None));
        for by in [Me, Rep] {
            for l in [Level1, Level2] {
                assert_eq!(
                    foreigner(&younger, l, by, on),
                    Err(Ineligible::ForeignerUnderSix { age: 5, on })
                );
            }
        }
        // the fourteenth birthday: level 2 on the foreigner's own application
        let teen = alien("2011-07-02", Some(None));
        assert_eq!(foreigner_levels(&teen, Me, on), vec![Level1]);
        assert_eq!(foreigner_levels(&teen, Rep, on), vec![Level1, Level2]);
        assert_eq!(
            foreigner_levels(&teen, Me, day("2025-07-02")),
            vec![Level1, Level2]
        );
        let adult = alien("2011-07-01", Some(Some("2025-07-01")));
        assert_eq!(foreigner_levels(&adult, Me, on), vec![Level1, Level2]);
        let day_after = day("2025-07-02");
        assert_eq!(
            foreigner(&adult, Level1, Me, day_after),
            Err(Ineligible::ResidenceCardExpired { valid_until: on })
        );
        let no_card = alien("1980", None);
        assert_eq!(
            foreigner(&no_card, Level1, Me, on),
            Err(Ineligible::NoResidenceCard)
        );
        // a year-only birth date for a foreigner: 6 only on 31 December
        let y = alien("2019", Some(None));
        assert!(foreigner_levels(&y, Rep, on).is_empty());
        assert_eq!(
            foreigner_levels(&y, Rep, day("2025-12-31")),
            vec![Level1, Level2]
        );
    }
}

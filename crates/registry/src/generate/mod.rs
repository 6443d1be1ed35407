//! The synthetic population generator.
//!
//! [`Generator`] streams [`SyntheticPerson`] records that look like
//! Vietnam's population, household by household: it holds one household at
//! a time (at most seven people) and a fixed set of tables and counters, so
//! its memory does not grow with the number of people. A seed gives the same
//! records, byte for byte, on every machine: the random stream is
//! SplitMix64 and only integer arithmetic decides anything.
//!
//! ```
//! use chrono::NaiveDate;
//! use registry::generate::Generator;
//!
//! let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
//! let people = Generator::new(42, 10, as_of)?.collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(people.len(), 10);
//! assert_eq!(people[0].personal_id.len(), 12);
//! # Ok::<(), registry::generate::GenerateError>(())
//! ```
//!
//! What it models, and from which sources:
//! - family, middle and given names ([`tables::FAMILY_NAMES`] and the name
//!   lists); a child takes the father's family name, a wife keeps her own;
//!   "Văn" and "Thị" as middle names become rarer for younger people;
//! - the age pyramid of the 2019 census ([`tables::AGE_GROUPS`]) for heads
//!   and single people; spouses and children get ages that agree with them
//!   (a mother is 18–45 at a birth, a father 18–58; spouses are both adults
//!   of opposite sex, the husband usually a few years older);
//! - households of one to seven people: single people, couples with 0–4
//!   children at home, single parents, and sometimes a widowed parent of a
//!   head living with the family;
//! - ethnicity (the 54 groups, 2019 census shares) and religion (2019
//!   census), drawn per household;
//! - residence in the 3,321 communes of 2025. No population figure per
//!   commune is published with the unit list, so a commune's weight follows
//!   its type: a ward (`Phường`) 12, a commune (`Xã`) 5, a special zone
//!   (`Đặc khu`) 3. This puts about 38 % of people in wards, close to the
//!   urban share of the population (38 % in 2023, GSO); the 2025
//!   reorganisation sized units by population and area standards, so the
//!   number of units per province roughly follows its population;
//! - personal identification numbers with a valid structure, unique
//!   without remembering them (a counter per birth-registration bucket
//!   through a keyed permutation of the six-digit serials):
//!   the birth-registration place is `0` + the legacy (pre-2025) province
//!   code for people born before 2025-07-01 — one of the legacy provinces
//!   merged into the person's 2025 province, or another one for about one
//!   person in five (migrants) — and `0` + the 2025 province code for people
//!   born since;
//! - birth dates held as the year alone (`"YYYY"`) for about a third of the
//!   people born before 1950, as the registry really holds them.
//!
//! What comes out (seed 1, one million people, as of 2026-01-01): 23 % aged
//! 0–14 and 9 % aged 65 and over (2019 census: 24 % and 8 %, ageing since),
//! 3.1 people per household (2019 census: 3.5), Nguyễn 38 %, Kinh 85 %.
//! Not modelled: names particular to ethnic minorities, regional name
//! preferences (Hoàng/Huỳnh, Vũ/Võ), regional ethnicity and religion, and
//! former names, temporary residence and deaths.

mod events;
mod ids;
mod rng;
pub mod tables;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

pub use events::{MARRIAGE_AGE, SYNTHETIC_SOURCE, household_id, person_events, recorded_at};
use ids::IdIssuer;
use rng::{SplitMix64, Weighted};
use tables::{
    AGE_GROUPS, ETHNICITIES, FAMILY_NAMES, FEMALE_GIVEN, FEMALE_MIDDLE, MALE_GIVEN, MALE_MIDDLE,
    RELIGIONS, STREETS,
};

/// The largest population one generator produces.
pub const MAX_PEOPLE: u64 = 1_000_000_000;

/// Why a generator could not be built, or stopped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GenerateError {
    /// More people were asked for than [`MAX_PEOPLE`].
    #[error("at most {max} people can be generated, {asked} were asked for")]
    TooManyPeople {
        /// The number asked for.
        asked: u64,
        /// [`MAX_PEOPLE`].
        max: u64,
    },
    /// The reference date is outside the years the id structure covers for
    /// everyone alive then.
    #[error("the reference date {0} must be between 2000-01-01 and 2199-12-31")]
    AsOfOutOfRange(NaiveDate),
    /// The administrative unit data has a code that is not two digits.
    #[error("the administrative unit data has an unusable province code {0:?}")]
    BadProvinceCode(String),
    /// Every serial number of a birth-registration bucket was issued.
    #[error("no personal id number is left for people born in {year}")]
    SerialsExhausted {
        /// The birth year.
        year: i32,
    },
    /// A date fell outside the calendar.
    #[error("a generated date fell outside the calendar")]
    DateOutOfRange,
}

/// A person's sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
}

impl Sex {
    fn opposite(self) -> Sex {
        match self {
            Sex::Male => Sex::Female,
            Sex::Female => Sex::Male,
        }
    }
}

/// A person's relationship to the head of their household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    /// The head of the household.
    Head,
    /// The head's wife or husband.
    Spouse,
    /// A child of the head.
    Child,
    /// A parent of the head.
    Parent,
}

/// Whether a person is alive at the reference date: a few elderly people
/// without a spouse in the data died in the five years before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VitalStatus {
    /// Alive at the reference date.
    Alive,
    /// Died before the reference date (see [`SyntheticPerson::death_date`]).
    Dead,
}

/// One generated person: a flat record, ready for JSON Lines or CSV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntheticPerson {
    /// The 12-digit personal identification number.
    pub personal_id: String,
    /// Family, middle and given names, in that order.
    pub full_name: String,
    /// The family name (họ).
    pub family_name: &'static str,
    /// The middle name (tên đệm).
    pub middle_name: &'static str,
    /// The given name (tên).
    pub given_name: &'static str,
    /// Sex.
    pub sex: Sex,
    /// `YYYY-MM-DD`, or `YYYY-MM` / `YYYY` when only the month or the year
    /// is known (as for many people born before 1960).
    pub birth_date: String,
    /// The full name before a change of name, for the few who changed it.
    pub former_name: Option<String>,
    /// When the name was changed (`YYYY-MM-DD`).
    pub name_changed_on: Option<String>,
    /// The ethnic group's two-digit code (`01` Kinh …).
    pub ethnicity: &'static str,
    /// `none`, `catholic`, `buddhist`, `protestant`, `hoa_hao`, `cao_dai`
    /// or `other`.
    pub religion: &'static str,
    /// The nationality's ISO 3166-1 code: always `VN`.
    pub nationality: &'static str,
    /// The 2025 province of permanent residence.
    pub province_code: &'static str,
    /// The 2025 commune of permanent residence.
    pub commune_code: &'static str,
    /// The street or hamlet part of the permanent residence.
    pub address: String,
    /// A temporary residence elsewhere (people of working age who moved
    /// for work or study): its 2025 commune …
    pub temporary_commune_code: Option<&'static str>,
    /// … and its street or hamlet part.
    pub temporary_address: Option<String>,
    /// The household, numbered from 1 in the order generated.
    pub household_id: u64,
    /// The relationship to the household's head.
    pub relationship: Relationship,
    /// The father's personal id, when he is in the generated data.
    pub father_id: Option<String>,
    /// The mother's personal id, when she is in the generated data.
    pub mother_id: Option<String>,
    /// The spouse's personal id, when in the generated data.
    pub spouse_id: Option<String>,
    /// Vital status at the reference date.
    pub vital_status: VitalStatus,
    /// The date of death (`YYYY-MM-DD`) of someone who died.
    pub death_date: Option<String>,
}

/// Days in `y` years, rounded down (the Julian year).
const fn years(y: i64) -> i64 {
    y * 365 + y / 4
}

/// A household member while the household is planned: indexes into the
/// household instead of ids.
#[derive(Debug, Clone)]
struct Member {
    sex: Sex,
    /// days from the common era
    birth: i64,
    relationship: Relationship,
    family: usize,
    father: Option<usize>,
    mother: Option<usize>,
    spouse: Option<usize>,
}

/// The tables built once per generator from the administrative units.
struct Places {
    communes: &'static [units::Commune],
    commune_weights: Weighted,
    /// per commune, the index of its 2025 province in `provinces`
    commune_province: Vec<usize>,
    /// the numeric code of each 2025 province
    province_number: Vec<u32>,
    /// per 2025 province, the numeric codes of the legacy provinces merged
    /// into it
    legacy_of_province: Vec<Vec<u32>>,
    /// the numeric codes of every legacy province
    legacy_numbers: Vec<u32>,
    /// every place code that can start an id, for when a bucket is full
    all_places: Vec<u32>,
}

fn parse_province(code: &str) -> Result<u32, GenerateError> {
    if code.len() != 2 {
        return Err(GenerateError::BadProvinceCode(code.to_owned()));
    }
    code.parse()
        .map_err(|_| GenerateError::BadProvinceCode(code.to_owned()))
}

impl Places {
    fn new() -> Result<Self, GenerateError> {
        let units = units::Units::get();
        let provinces = units.provinces();
        let province_number = provinces
            .iter()
            .map(|p| parse_province(&p.code))
            .collect::<Result<Vec<_>, _>>()?;
        let province_index = |code: &str| provinces.iter().position(|p| p.code == code);
        let mut legacy_of_province = vec![Vec::new(); provinces.len()];
        let mut legacy_numbers = Vec::new();
        for legacy in units.legacy_provinces() {
            let number = parse_province(&legacy.code)?;
            legacy_numbers.push(number);
            if let Some(successor) = units.successor_province(&legacy.code)
                && let Some(i) = province_index(&successor.code)
            {
                legacy_of_province[i].push(number);
            }
        }
        // a 2025 province no legacy province maps to (none should exist)
        // registers its people under its own code
        for (list, &own) in legacy_of_province.iter_mut().zip(&province_number) {
            if list.is_empty() {
                list.push(own);
            }
        }
        let communes = units.communes();
        let commune_weights = Weighted::new(communes.iter().map(|c| match c.kind.as_str() {
            "Phường" => 12,
            "Xã" => 5,
            _ => 3,
        }));
        let commune_province = communes
            .iter()
            .map(|c| province_index(&c.province_code).unwrap_or(0))
            .collect();
        let mut all_places: Vec<u32> = legacy_numbers
            .iter()
            .chain(&province_number)
            .copied()
            .collect();
        all_places.sort_unstable();
        all_places.dedup();
        Ok(Self {
            communes,
            commune_weights,
            commune_province,
            province_number,
            legacy_of_province,
            legacy_numbers,
            all_places,
        })
    }
}

/// The weighted tables names and attributes are drawn from.
struct Draws {
    family: Weighted,
    male_middle: Weighted,
    female_middle: Weighted,
    male_given: Weighted,
    female_given: Weighted,
    ethnicity: Weighted,
    religion: Weighted,
    /// one weight per year of age, 0..100
    age: Weighted,
    age_gap: Weighted,
    children: Weighted,
    mother_age: Weighted,
}

impl Draws {
    fn new() -> Self {
        let ranked = |n: usize| (0..n).map(move |i| (n - i + n / 2) as u64);
        Self {
            family: Weighted::new(FAMILY_NAMES.iter().map(|&(_, w)| w)),
            male_middle: Weighted::new(MALE_MIDDLE.iter().map(|&(_, w)| w)),
            female_middle: Weighted::new(FEMALE_MIDDLE.iter().map(|&(_, w)| w)),
            male_given: Weighted::new(ranked(MALE_GIVEN.len())),
            female_given: Weighted::new(ranked(FEMALE_GIVEN.len())),
            ethnicity: Weighted::new(ETHNICITIES.iter().map(|&(_, _, w)| w)),
            religion: Weighted::new(RELIGIONS.iter().map(|&(_, w)| w)),
            age: Weighted::new((0..AGE_GROUPS.len() * 5).map(|a| AGE_GROUPS[a / 5])),
            age_gap: Weighted::new(AGE_GAPS),
            children: Weighted::new(CHILDREN),
            mother_age: Weighted::new(MOTHER_AGE),
        }
    }
}

/// The household kinds, in per mille of households.
const SINGLE: u64 = 100;
const SINGLE_PARENT: u64 = 90;
/// Children a couple has had: 0, 1, 2, 3, 4 (a total fertility of about
/// two, as in Vietnam since the 2000s).
const CHILDREN: [u64; 5] = [4, 14, 44, 25, 13];
/// The mother's age at a birth, from 18 to 44, per year: the shape of the
/// 2019 census age-specific fertility rates (peak at 25–29).
const MOTHER_AGE: [u64; 27] = [
    6, 6, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 10, 10, 10, 10, 10, 5, 5, 5, 5, 5, 1, 1, 1, 1, 1,
];
/// The husband's age minus the wife's, in years, from -2 to 10.
const AGE_GAPS: [u64; 13] = [2, 3, 5, 8, 10, 10, 9, 7, 5, 4, 3, 2, 2];
/// The oldest age generated.
const MAX_AGE: i64 = 99;

/// A deterministic stream of synthetic people; see the [module](self)
/// documentation. It yields `Err` only if a birth-registration bucket runs
/// out of its million serial numbers, which [`MAX_PEOPLE`] keeps out of
/// reach; the stream ends after such an error.
pub struct Generator {
    rng: SplitMix64,
    ids: IdIssuer,
    places: Places,
    draws: Draws,
    as_of: i64,
    /// 2025-07-01: people registered since carry the 2025 province code
    reform: i64,
    remaining: u64,
    households: u64,
    pending: VecDeque<SyntheticPerson>,
    plan: Vec<Member>,
    failed: bool,
}

impl Generator {
    /// A generator of `people` people alive at `as_of`, the reference date
    /// (ages are counted to it and nobody is born after it).
    pub fn new(seed: u64, people: u64, as_of: NaiveDate) -> Result<Self, GenerateError> {
        if people > MAX_PEOPLE {
            return Err(GenerateError::TooManyPeople {
                asked: people,
                max: MAX_PEOPLE,
            });
        }
        if !(2000..=2199).contains(&as_of.year()) {
            return Err(GenerateError::AsOfOutOfRange(as_of));
        }
        let reform = NaiveDate::from_ymd_opt(2025, 7, 1).ok_or(GenerateError::DateOutOfRange)?;
        Ok(Self {
            rng: SplitMix64::new(seed),
            ids: IdIssuer::new(seed),
            places: Places::new()?,
            draws: Draws::new(),
            as_of: i64::from(as_of.num_days_from_ce()),
            reform: i64::from(reform.num_days_from_ce()),
            remaining: people,
            households: 0,
            pending: VecDeque::with_capacity(8),
            plan: Vec::with_capacity(8),
            failed: false,
        })
    }

    /// How many people are still to come.
    pub fn remaining(&self) -> u64 {
        self.remaining + self.pending.len() as u64
    }

    /// An age in whole years from the pyramid, within `lo..=hi`.
    fn age(&mut self, lo: i64, hi: i64) -> i64 {
        for _ in 0..64 {
            let a = self.draws.age.sample(&mut self.rng) as i64;
            if (lo..=hi).contains(&a) {
                return a;
            }
        }
        self.rng.range_i64(lo, hi)
    }

    /// A birth day for someone `age` years old at the reference date.
    fn birth_for_age(&mut self, age: i64) -> i64 {
        self.as_of - years(age) - self.rng.range_i64(1, 364)
    }

    fn family(&mut self) -> usize {
        self.draws.family.sample(&mut self.rng)
    }

    fn member(&mut self, sex: Sex, birth: i64, relationship: Relationship) -> Member {
        let family = self.family();
        Member {
            sex,
            birth,
            relationship,
            family,
            father: None,
            mother: None,
            spouse: None,
        }
    }

    /// Adds the children at home of the given parents (indexes into the
    /// plan): `count` children are born when the mother is 18–44 (by the
    /// fertility schedule) and the father 18–58; those not born yet by the
    /// reference date are dropped, and grown-up children have often left.
    fn add_children(&mut self, count: usize, father: Option<usize>, mother: Option<usize>) {
        let father_birth = father.map(|f| self.plan[f].birth);
        let mother_birth = mother.map(|m| self.plan[m].birth);
        let mut births = [0i64; 4];
        let mut born = 0;
        for _ in 0..count.min(births.len()) {
            let at = 18 + self.draws.mother_age.sample(&mut self.rng) as i64;
            let birth = match (mother_birth, father_birth) {
                (Some(m), _) => m + years(at) + self.rng.range_i64(0, 364),
                // a father alone: his age at the birth is a little higher
                (None, Some(f)) => f + years(at + 3) + self.rng.range_i64(0, 364),
                (None, None) => return,
            };
            let agrees = birth < self.as_of
                && mother_birth
                    .is_none_or(|m| birth >= m + years(18) + 2 && birth <= m + years(45) - 2)
                && father_birth
                    .is_none_or(|f| birth >= f + years(18) + 2 && birth <= f + years(58) - 2);
            if !agrees {
                continue;
            }
            let age = (self.as_of - birth) / 365;
            let stays = match age {
                ..18 => 1000,
                18..23 => 800,
                23..28 => 500,
                28..33 => 250,
                33..40 => 100,
                _ => 0,
            };
            if self.rng.chance(stays) {
                births[born] = birth;
                born += 1;
            }
        }
        let births = &mut births[..born];
        births.sort_unstable();
        let family = match father {
            Some(f) => self.plan[f].family,
            None => self.family(),
        };
        for &birth in births.iter() {
            let sex = if self.rng.chance(512) {
                Sex::Male
            } else {
                Sex::Female
            };
            self.plan.push(Member {
                sex,
                birth,
                relationship: Relationship::Child,
                family,
                father,
                mother,
                spouse: None,
            });
        }
    }

    /// A woman `female_per_mille` times in a thousand, else a man.
    fn sex(&mut self, female_per_mille: u64) -> Sex {
        if self.rng.chance(female_per_mille) {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// The household's head, of `sex` and `age`, first in the plan.
    fn push_head(&mut self, sex: Sex, age: i64) {
        let birth = self.birth_for_age(age);
        let head = self.member(sex, birth, Relationship::Head);
        self.plan.push(head);
    }

    /// Plans one household into `self.plan`.
    fn plan_household(&mut self) {
        self.plan.clear();
        let kind = self.rng.below(1000);
        if kind < SINGLE {
            let age = self.age(18, MAX_AGE);
            let sex = self.sex(if age >= 65 { 650 } else { 450 });
            self.push_head(sex, age);
        } else if kind < SINGLE + SINGLE_PARENT {
            let age = self.age(24, 75);
            let sex = self.sex(800);
            self.push_head(sex, age);
            let count = 1 + self.rng.below(3) as usize;
            match sex {
                Sex::Male => self.add_children(count, Some(0), None),
                Sex::Female => self.add_children(count, None, Some(0)),
            }
        } else {
            self.plan_couple();
        }
    }

    /// A couple, their children at home and sometimes a widowed parent.
    fn plan_couple(&mut self) {
        let husband_age = self.age(23, 88);
        let husband_birth = self.birth_for_age(husband_age);
        let gap = self.draws.age_gap.sample(&mut self.rng) as i64 - 2;
        let latest_adult = self.as_of - years(18) - 2;
        let wife_birth =
            (husband_birth + years(gap) + self.rng.range_i64(-180, 180)).min(latest_adult);
        let wife_birth = wife_birth.max(self.as_of - years(MAX_AGE));
        let female_head = self.rng.chance(120);
        let (head_sex, head_birth, spouse_birth) = if female_head {
            (Sex::Female, wife_birth, husband_birth)
        } else {
            (Sex::Male, husband_birth, wife_birth)
        };
        let head = self.member(head_sex, head_birth, Relationship::Head);
        let mut spouse = self.member(head_sex.opposite(), spouse_birth, Relationship::Spouse);
        spouse.spouse = Some(0);
        self.plan.push(head);
        self.plan.push(spouse);
        self.plan[0].spouse = Some(1);
        let (father, mother) = if female_head { (1, 0) } else { (0, 1) };
        let count = self.draws.children.sample(&mut self.rng);
        self.add_children(count, Some(father), Some(mother));
        // a widowed parent of the head, for some younger heads
        if husband_age <= 60 && self.rng.chance(230) {
            let sex = self.sex(720);
            let at_birth = self.rng.range_i64(21, 40);
            let birth = self.plan[0].birth - years(at_birth) - self.rng.range_i64(1, 364);
            if birth > self.as_of - years(MAX_AGE) {
                let mut parent = self.member(sex, birth, Relationship::Parent);
                if sex == Sex::Male {
                    parent.family = self.plan[0].family;
                }
                let index = self.plan.len();
                self.plan.push(parent);
                match sex {
                    Sex::Male => self.plan[0].father = Some(index),
                    Sex::Female => self.plan[0].mother = Some(index),
                }
            }
        }
    }

    /// Turns the plan into records, with ids, names and residence.
    fn materialise(&mut self) -> Result<(), GenerateError> {
        self.households += 1;
        let household_id = self.households;
        let c = self.places.commune_weights.sample(&mut self.rng);
        let communes = self.places.communes;
        let commune = &communes[c];
        let province = self.places.commune_province[c];
        let address = self.address(commune);
        let ethnicity = ETHNICITIES[self.draws.ethnicity.sample(&mut self.rng)].0;
        let religion = RELIGIONS[self.draws.religion.sample(&mut self.rng)].0;

        let mut ids = [const { String::new() }; 8];
        for (i, id) in ids.iter_mut().enumerate().take(self.plan.len()) {
            let (sex, birth) = (self.plan[i].sex, self.plan[i].birth);
            *id = self.personal_id(sex, birth, province)?;
        }
        for i in 0..self.plan.len() {
            let m = self.plan[i].clone();
            let (family_name, middle_name, given_name) = self.names(&m);
            let date = date(m.birth)?;
            let birth_date = if date.year() < 1950 && self.rng.chance(350) {
                format!("{:04}", date.year())
            } else if date.year() < 1960 && self.rng.chance(150) {
                format!("{:04}-{:02}", date.year(), date.month())
            } else {
                format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day())
            };
            let full_name = format!("{family_name} {middle_name} {given_name}");
            // whole years of age at the reference date (Julian years)
            let age = (self.as_of - m.birth) * 4 / 1461;
            // about one adult in two hundred changed their given name once,
            // between 20 and 30 (never later than a year before the reference)
            let (former_name, name_changed_on) = if age >= 21 && self.rng.chance(5) {
                let (_, _, old_given) = self.names(&m);
                let latest = (m.birth + years(30)).min(self.as_of - 365);
                let changed = self
                    .rng
                    .range_i64(m.birth + years(20), latest.max(m.birth + years(20)));
                let on = self::date(changed)?;
                (
                    (old_given != given_name)
                        .then(|| format!("{family_name} {middle_name} {old_given}")),
                    Some(on.format("%Y-%m-%d").to_string()),
                )
            } else {
                (None, None)
            };
            let name_changed_on = former_name.as_ref().and(name_changed_on);
            // working-age people living elsewhere for work or study (most
            // to the cities), registered there as temporary residents
            let (temporary_commune_code, temporary_address) =
                if (18..=45).contains(&age) && self.rng.chance(60) {
                    let t = self.places.commune_weights.sample(&mut self.rng);
                    let there = &communes[t];
                    (Some(there.code.as_str()), Some(self.address(there)))
                } else {
                    (None, None)
                };
            // a few of the elderly without a spouse in the data died in the
            // five years before the reference date
            let (vital_status, death_date) =
                if age >= 65 && m.spouse.is_none() && self.rng.chance(40) {
                    let died = self.as_of - self.rng.range_i64(30, years(5));
                    let died = died.max(m.birth + years(65));
                    (
                        VitalStatus::Dead,
                        Some(self::date(died)?.format("%Y-%m-%d").to_string()),
                    )
                } else {
                    (VitalStatus::Alive, None)
                };
            let link = |j: Option<usize>| j.map(|j| ids[j].clone());
            self.pending.push_back(SyntheticPerson {
                personal_id: ids[i].clone(),
                full_name,
                former_name,
                name_changed_on,
                family_name,
                middle_name,
                given_name,
                sex: m.sex,
                birth_date,
                ethnicity,
                religion,
                nationality: "VN",
                province_code: &commune.province_code,
                commune_code: &commune.code,
                address: address.clone(),
                temporary_commune_code,
                temporary_address,
                household_id,
                relationship: m.relationship,
                father_id: link(m.father),
                mother_id: link(m.mother),
                spouse_id: link(m.spouse),
                vital_status,
                death_date,
            });
        }
        Ok(())
    }

    fn names(&mut self, m: &Member) -> (&'static str, &'static str, &'static str) {
        let family = FAMILY_NAMES[m.family].0;
        let year = date(m.birth).map(|d| d.year()).unwrap_or(2000);
        let classic = match (m.sex, year) {
            (Sex::Male, ..1975) => 600,
            (Sex::Male, ..2000) => 400,
            (Sex::Male, _) => 150,
            (Sex::Female, ..1975) => 800,
            (Sex::Female, ..2000) => 550,
            (Sex::Female, _) => 250,
        };
        let (middles, middle_weights, givens, given_weights) = match m.sex {
            Sex::Male => (
                MALE_MIDDLE,
                &self.draws.male_middle,
                MALE_GIVEN,
                &self.draws.male_given,
            ),
            Sex::Female => (
                FEMALE_MIDDLE,
                &self.draws.female_middle,
                FEMALE_GIVEN,
                &self.draws.female_given,
            ),
        };
        let middle = if self.rng.chance(classic) {
            middles[0].0
        } else {
            middles[middle_weights.sample(&mut self.rng)].0
        };
        let mut given = givens[given_weights.sample(&mut self.rng)];
        if given == middle {
            given = givens[given_weights.sample(&mut self.rng)];
        }
        (family, middle, given)
    }

    /// The street or hamlet part of an address in `commune`.
    fn address(&mut self, commune: &units::Commune) -> String {
        match commune.kind.as_str() {
            "Phường" => {
                let number = 1 + self.rng.below(250);
                let street = STREETS[self.rng.below(STREETS.len() as u64) as usize];
                format!("Số {number}, đường {street}")
            }
            "Xã" => {
                let number = 1 + self.rng.below(14);
                // the south calls its hamlets ấp
                let word = if commune.lat < 11.8 { "Ấp" } else { "Thôn" };
                format!("{word} {number}")
            }
            _ => format!("Khu dân cư số {}", 1 + self.rng.below(8)),
        }
    }

    /// A personal id for someone of `sex` born on day `birth` and living in
    /// the 2025 province `province` (an index).
    fn personal_id(
        &mut self,
        sex: Sex,
        birth: i64,
        province: usize,
    ) -> Result<String, GenerateError> {
        let year = date(birth)?.year();
        let place = if birth >= self.reform {
            self.places.province_number[province]
        } else if self.rng.chance(800) {
            let home = &self.places.legacy_of_province[province];
            home[self.rng.below(home.len() as u64) as usize]
        } else {
            let all = &self.places.legacy_numbers;
            all[self.rng.below(all.len() as u64) as usize]
        };
        // 1900s: 0/1, 2000s: 2/3, 2100s: 4/5 (men/women)
        let century = (year / 100 - 19).clamp(0, 4) as u32;
        let century_sex = century * 2 + u32::from(sex == Sex::Female);
        let yy = (year % 100) as u32;
        let mut chosen = place;
        let mut serial = self.ids.issue(place, century_sex, yy);
        if serial.is_none() {
            // the bucket is full: the next place codes in order take over
            let start = self.places.all_places.partition_point(|&p| p <= place);
            let n = self.places.all_places.len();
            for k in 0..n {
                let other = self.places.all_places[(start + k) % n];
                serial = self.ids.issue(other, century_sex, yy);
                if serial.is_some() {
                    chosen = other;
                    break;
                }
            }
        }
        let serial = serial.ok_or(GenerateError::SerialsExhausted { year })?;
        Ok(format!("{chosen:03}{century_sex}{yy:02}{serial:06}"))
    }
}

fn date(days: i64) -> Result<NaiveDate, GenerateError> {
    i32::try_from(days)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or(GenerateError::DateOutOfRange)
}

impl Iterator for Generator {
    type Item = Result<SyntheticPerson, GenerateError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(person) = self.pending.pop_front() {
            return Some(Ok(person));
        }
        if self.remaining == 0 || self.failed {
            return None;
        }
        // a household larger than what is left is planned again; the last
        // people may end up living alone
        let mut fits = false;
        for _ in 0..32 {
            self.plan_household();
            if self.plan.len() as u64 <= self.remaining {
                fits = true;
                break;
            }
        }
        if !fits {
            let age = self.age(18, MAX_AGE);
            let birth = self.birth_for_age(age);
            self.plan.clear();
            let head = self.member(Sex::Female, birth, Relationship::Head);
            self.plan.push(head);
        }
        self.remaining -= self.plan.len() as u64;
        if let Err(e) = self.materialise() {
            self.failed = true;
            self.pending.clear();
            return Some(Err(e));
        }
        self.pending.pop_front().map(Ok)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::try_from(self.remaining()).unwrap_or(usize::MAX);
        if self.failed {
            (0, Some(0))
        } else {
            (0, Some(n))
        }
    }
}

//! The three kinds of account holder.
//!
//! - A **citizen** is keyed by the personal identification number, which
//!   must agree with the birth date and sex on record (its century-and-sex
//!   digit and year digits, [`domain::PersonalId`]).
//! - A **foreigner** is keyed by passport number and nationality, holds a
//!   residence card, and has an internal [`SubjectId`] that outlives
//!   passport renewals.
//! - An **organisation** is keyed by its enterprise/tax code, may be
//!   foreign-owned, has one or more legal representatives and possibly a
//!   head, and one account with no assurance level.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use domain::{PersonalId, Sex};
use registry::PartialDate;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::iso3166::COUNTRIES;
use crate::{IdentityError, SubjectId, TaxCode};

/// A Vietnamese citizen whose personal identification number agrees with
/// the birth date and sex on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Citizen(CitizenRecord);

/// The stored shape of a [`Citizen`], checked when read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CitizenRecord {
    subject: SubjectId,
    pin: PersonalId,
    birth: PartialDate,
    sex: Sex,
}

impl Citizen {
    /// A citizen's identity as the population registry holds it. Refused
    /// when the number's year of birth or sex contradicts the record; a
    /// birth date known only to the year or month is checked on its year.
    pub fn new(
        subject: SubjectId,
        pin: PersonalId,
        birth: PartialDate,
        sex: Sex,
    ) -> Result<Self, IdentityError> {
        Self::checked(CitizenRecord {
            subject,
            pin,
            birth,
            sex,
        })
    }

    /// The citizen `r` describes, if it holds together.
    fn checked(r: CitizenRecord) -> Result<Self, IdentityError> {
        let CitizenRecord {
            pin, birth, sex, ..
        } = r;
        if !pin.agrees_with(birth.year_number(), sex) {
            return Err(IdentityError::PinDisagrees {
                pin,
                pin_year: pin.birth_year(),
                pin_sex: pin.sex(),
                birth,
                sex,
            });
        }
        Ok(Self(r))
    }

    /// The stable internal identifier.
    pub fn subject(&self) -> SubjectId {
        self.0.subject
    }
    /// The personal identification number, the account's key.
    pub fn pin(&self) -> PersonalId {
        self.0.pin
    }
    /// The birth date on record.
    pub fn birth(&self) -> PartialDate {
        self.0.birth
    }
    /// The sex on record.
    pub fn sex(&self) -> Sex {
        self.0.sex
    }
}

impl<'de> Deserialize<'de> for Citizen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::checked(CitizenRecord::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// A country or area with an ISO 3166-1 code, kept as its alpha-2 code.
/// Reads alpha-2 (`JP`) or alpha-3 (`JPN`, as in the machine-readable zone
/// of a passport), in either case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

impl Country {
    /// Viet Nam.
    pub const VIET_NAM: Country = Country(*b"VN");

    /// Reads an ISO 3166-1 alpha-2 or alpha-3 code.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let up = s.trim().to_ascii_uppercase();
        let found = COUNTRIES
            .iter()
            .find(|(a2, a3)| *a2 == up || *a3 == up)
            .map(|(a2, _)| *a2);
        match found.map(str::as_bytes) {
            Some(&[a, b]) => Ok(Self([a, b])),
            _ => Err(IdentityError::UnknownCountry { got: s.to_string() }),
        }
    }

    /// The alpha-2 code.
    pub fn alpha2(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The alpha-3 code.
    pub fn alpha3(&self) -> &'static str {
        COUNTRIES
            .iter()
            .find(|(a2, _)| *a2 == self.alpha2())
            .map_or("", |(_, a3)| a3)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alpha2())
    }
}

domain::text_conversions!(Country, IdentityError);

/// Reads a document number: letters and digits only after removing spaces
/// and hyphens, uppercased, `min..=max` characters long.
fn document_number(
    s: &str,
    what: &'static str,
    rule: &'static str,
    min: usize,
    max: usize,
) -> Result<String, IdentityError> {
    let compact: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(min..=max).contains(&compact.len()) || !compact.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(IdentityError::Malformed {
            what,
            rule,
            got: s.to_string(),
        });
    }
    Ok(compact)
}

macro_rules! document_newtype {
    ($(#[$doc:meta])* $name:ident, $what:literal, $rule:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Reads the number: spaces and hyphens are dropped, letters
            /// uppercased.
            pub fn parse(s: &str) -> Result<Self, IdentityError> {
                document_number(s, $what, $rule, $min, $max).map(Self)
            }
            /// The normalised number.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        domain::display_as_str!($name);
        domain::text_conversions!($name, IdentityError);
    };
}

document_newtype!(
    /// A passport number: 5 to 20 letters and digits (ICAO 9303 gives the
    /// field 9 characters; longer national numbers are allowed for).
    PassportNumber,
    "passport number",
    "must be 5 to 20 letters and digits",
    5,
    20
);

document_newtype!(
    /// The number of a temporary or permanent residence card (thẻ tạm trú,
    /// thẻ thường trú): 5 to 20 letters and digits. Its exact format is set
    /// by the immigration authority and is not checked here.
    ResidenceCardNumber,
    "residence card number",
    "must be 5 to 20 letters and digits",
    5,
    20
);

/// Which residence card a foreigner holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidenceCardKind {
    /// Thẻ tạm trú.
    Temporary,
    /// Thẻ thường trú.
    Permanent,
}

/// A residence card as the immigration record holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidenceCard {
    /// The card's number.
    pub number: ResidenceCardNumber,
    /// Temporary or permanent.
    pub kind: ResidenceCardKind,
    /// The last day the card is valid, if it expires.
    pub valid_until: Option<NaiveDate>,
}

impl ResidenceCard {
    /// Whether the card is valid on `day` (through its last day).
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_until.is_none_or(|until| day <= until)
    }
}

/// A foreigner, keyed by passport number and nationality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Foreigner(ForeignerRecord);

/// The stored shape of a [`Foreigner`], checked when read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ForeignerRecord {
    subject: SubjectId,
    passport: PassportNumber,
    nationality: Country,
    birth: PartialDate,
    sex: Sex,
    residence_card: Option<ResidenceCard>,
    biometrics_on_record: bool,
}

impl Foreigner {
    /// A foreigner's identity as the immigration record holds it.
    /// `biometrics_on_record` says whether their face and fingerprints are
    /// already held (it sets the legal issue time, see
    /// [`crate::application`]). A Vietnamese nationality is refused: a
    /// citizen uses the personal identification number.
    pub fn new(
        subject: SubjectId,
        passport: PassportNumber,
        nationality: Country,
        birth: PartialDate,
        sex: Sex,
        residence_card: Option<ResidenceCard>,
        biometrics_on_record: bool,
    ) -> Result<Self, IdentityError> {
        Self::checked(ForeignerRecord {
            subject,
            passport,
            nationality,
            birth,
            sex,
            residence_card,
            biometrics_on_record,
        })
    }

    /// The foreigner `r` describes, if it holds together.
    fn checked(r: ForeignerRecord) -> Result<Self, IdentityError> {
        if r.nationality == Country::VIET_NAM {
            return Err(IdentityError::Invalid(
                "a person of Vietnamese nationality registers as a citizen with the personal identification number, not as a foreigner".to_string(),
            ));
        }
        Ok(Self(r))
    }

    /// The stable internal identifier, kept across passport renewals.
    pub fn subject(&self) -> SubjectId {
        self.0.subject
    }
    /// The account's key: passport number and nationality.
    pub fn key(&self) -> (&PassportNumber, Country) {
        (&self.0.passport, self.0.nationality)
    }
    /// The birth date on record.
    pub fn birth(&self) -> PartialDate {
        self.0.birth
    }
    /// The sex on record.
    pub fn sex(&self) -> Sex {
        self.0.sex
    }
    /// The residence card, if any.
    pub fn residence_card(&self) -> Option<&ResidenceCard> {
        self.0.residence_card.as_ref()
    }
    /// Whether face and fingerprints are on record.
    pub fn biometrics_on_record(&self) -> bool {
        self.0.biometrics_on_record
    }

    /// The same person with a renewed passport: the subject stays.
    pub fn with_passport(&self, passport: PassportNumber) -> Self {
        Self(ForeignerRecord {
            passport,
            ..self.0.clone()
        })
    }
}

impl<'de> Deserialize<'de> for Foreigner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::checked(ForeignerRecord::deserialize(d)?).map_err(D::Error::custom)
    }
}

/// An organisation: one account, no assurance level. Its people are named
/// by their accounts' subject identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Organisation(OrganisationRecord);

/// The stored shape of an [`Organisation`], checked when read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OrganisationRecord {
    subject: SubjectId,
    tax_code: TaxCode,
    foreign_owned: bool,
    representatives: BTreeSet<SubjectId>,
    head: Option<SubjectId>,
    in_national_database: bool,
}

impl Organisation {
    /// An organisation with at least one legal representative.
    /// `in_national_database` says whether its data is in a national
    /// database (the business registration database, among others); it
    /// sets the legal issue time.
    pub fn new(
        subject: SubjectId,
        tax_code: TaxCode,
        foreign_owned: bool,
        representatives: BTreeSet<SubjectId>,
        head: Option<SubjectId>,
        in_national_database: bool,
    ) -> Result<Self, IdentityError> {
        Self::checked(OrganisationRecord {
            subject,
            tax_code,
            foreign_owned,
            representatives,
            head,
            in_national_database,
        })
    }

    /// The organisation `r` describes, if it holds together.
    fn checked(r: OrganisationRecord) -> Result<Self, IdentityError> {
        if r.representatives.is_empty() {
            return Err(IdentityError::Invalid(format!(
                "organisation {} needs at least one legal representative",
                r.tax_code
            )));
        }
        Ok(Self(r))
    }

    /// The stable internal identifier: the same before and after the
    /// legacy-account cut-over.
    pub fn subject(&self) -> SubjectId {
        self.0.subject
    }
    /// The account's key.
    pub fn tax_code(&self) -> TaxCode {
        self.0.tax_code
    }
    /// Whether the enterprise has foreign investment.
    pub fn foreign_owned(&self) -> bool {
        self.0.foreign_owned
    }
    /// The legal representatives (one or more).
    pub fn representatives(&self) -> &BTreeSet<SubjectId> {
        &self.0.representatives
    }
    /// The head of the organisation, when one is recorded.
    pub fn head(&self) -> Option<SubjectId> {
        self.0.head
    }
    /// Whether the organisation's data is in a national database.
    pub fn in_national_database(&self) -> bool {
        self.0.in_national_database
    }
    /// Whether `person` is one of the legal representatives.
    pub fn is_representative(&self, person: SubjectId) -> bool {
        self.0.representatives.contains(&person)
    }
}

impl<'de> Deserialize<'de> for Organisation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::checked(OrganisationRecord::deserialize(d)?).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    pub(crate) fn subject(n: u128) -> SubjectId {
        SubjectId::new(Uuid::from_u128(n)).expect("not nil")
    }

    #[test]
    fn citizen_pin_must_agree_with_birth_and_sex() {
        let pin = PersonalId::parse("001203012345").expect("pin"); // 2003, male
        let born = PartialDate::parse("2003-05-06").expect("date");
        assert!(Citizen::new(subject(1), pin, born, Sex::Male).is_ok());
        // year-only and month-only birth dates are checked on the year
        for d in ["2003", "2003-12"] {
            let born = PartialDate::parse(d).expect(d);
            assert!(
                Citizen::new(subject(1), pin, born, Sex::Male).is_ok(),
                "{d}"
            );
        }
        let e = Citizen::new(subject(1), pin, born, Sex::Female).expect_err("sex");
        assert!(e.to_string().contains("encodes a male born in 2003"), "{e}");
        for d in ["2004-01-01", "1903", "2103-05"] {
            let born = PartialDate::parse(d).expect(d);
            assert!(matches!(
                Citizen::new(subject(1), pin, born, Sex::Male),
                Err(IdentityError::PinDisagrees { .. })
            ));
        }
    }

    #[test]
    fn citizen_serde_checks_again() {
        let pin = PersonalId::parse("001203012345").expect("pin");
        let born = PartialDate::parse("2003").expect("date");
        let c = Citizen::new(subject(1), pin, born, Sex::Male).expect("ok");
        let json = serde_json::to_string(&c).expect("ser");
        let back: Citizen = serde_json::from_str(&json).expect("de");
        assert_eq!(back, c);
        let tampered = json.replace("\"male\"", "\"female\"");
        assert!(serde_json::from_str::<Citizen>(&tampered).is_err());
    }

    #[test]
    fn countries_read_alpha2_and_alpha3() {
        for (s, a2, a3) in [
            ("JP", "JP", "JPN"),
            ("jpn", "JP", "JPN"),
            (" kr ", "KR", "KOR"),
            ("DEU", "DE", "DEU"),
            ("vn", "VN", "VNM"),
        ] {
            let c = Country::parse(s).expect(s);
            assert_eq!((c.alpha2(), c.alpha3()), (a2, a3), "{s}");
        }
        assert_eq!(COUNTRIES.len(), 249);
        for bad in ["", "XX", "ZZ", "J", "JAPAN", "UK", "D<<", "ĐE"] {
            assert!(
                matches!(
                    Country::parse(bad),
                    Err(IdentityError::UnknownCountry { .. })
                ),
                "{bad}"
            );
        }
        assert_eq!(
            serde_json::to_string(&Country::parse("USA").expect("us")).expect("ser"),
            "\"US\""
        );
    }

    #[test]
    fn document_numbers_normalise() {
        let p = PassportNumber::parse(" tz 123-4567 ").expect("passport");
        assert_eq!(p.as_str(), "TZ1234567");
        for bad in ["", "1234", "AB12#456", "Ä1234567", &"1".repeat(21)] {
            assert!(PassportNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(ResidenceCardNumber::parse("TT 0012345").is_ok());
        assert!(serde_json::from_str::<PassportNumber>("\"12\"").is_err());
    }

    fn foreigner(nationality: &str) -> Result<Foreigner, IdentityError> {
        Foreigner::new(
            subject(9),
            PassportNumber::parse("TZ1234567")?,
            Country::parse(nationality)?,
            PartialDate::parse("1990-01-01").map_err(|e| IdentityError::Invalid(e.to_string()))?,
            Sex::Female,
            None,
            true,
        )
    }

    #[test]
    fn foreigners_keep_their_subject_across_passports() {
        let f = foreigner("JPN").expect("ok");
        let renewed = f.with_passport(PassportNumber::parse("TZ7654321").expect("p"));
        assert_eq!(renewed.subject(), f.subject());
        assert_ne!(renewed.key(), f.key());
        assert!(foreigner("VN").is_err());
        let json = serde_json::to_string(&f).expect("ser");
        assert_eq!(serde_json::from_str::<Foreigner>(&json).expect("de"), f);
        assert!(serde_json::from_str::<Foreigner>(&json.replace("\"JP\"", "\"VN\"")).is_err());
    }

    #[test]
    fn residence_card_is_valid_through_its_last_day() {
        let day = |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect(d);
        let card = ResidenceCard {
            number: ResidenceCardNumber::parse("TT0012345").expect("n"),
            kind: ResidenceCardKind::Temporary,
            valid_until: Some(day("2026-06-30")),
        };
        assert!(card.valid_on(day("2026-06-30")));
        assert!(!card.valid_on(day("2026-07-01")));
        let permanent = ResidenceCard {
            valid_until: None,
            kind: ResidenceCardKind::Permanent,
            ..card
        };
        assert!(permanent.valid_on(day("2099-01-01")));
    }

    #[test]
    fn organisations_need_a_representative() {
        let tax = TaxCode::parse("0100047516").expect("tax");
        assert!(Organisation::new(subject(5), tax, false, BTreeSet::new(), None, true).is_err());
        let o = Organisation::new(
            subject(5),
            tax,
            true,
            [subject(1), subject(2)].into(),
            Some(subject(3)),
            false,
        )
        .expect("ok");
        assert!(o.is_representative(subject(1)) && !o.is_representative(subject(3)));
        assert!(o.foreign_owned());
        let json = serde_json::to_string(&o).expect("ser");
        assert_eq!(serde_json::from_str::<Organisation>(&json).expect("de"), o);
    }
}

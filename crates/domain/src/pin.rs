//! The personal identification number (số định danh cá nhân), Decree
//! 137/2015/NĐ-CP Art. 13 and Circular 07/2016/TT-BCA Art. 7.
//!
//! Twelve digits: three for the province (old, pre-2025 code) or country of
//! birth registration, one for century of birth and sex, two for the last
//! two digits of the year of birth, six random. The century-and-sex digit
//! (Circular 07/2016/TT-BCA Art. 7): 20th century (1900–1999) male 0,
//! female 1; 21st (2000–2099) 2 / 3; 22nd (2100–2199) 4 / 5; 23rd
//! (2200–2299) 6 / 7; 24th (2300–2399) 8 / 9. Every digit therefore has a
//! meaning, and years before 1900 or after 2399 have no code.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A person's sex as recorded in the population database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::Male => "male",
            Sex::Female => "female",
        })
    }
}

const WHAT: &str = "personal identification number";

/// A 12-digit personal identification number whose structure has been
/// checked. Serialised as its 12-digit string, and validated when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonalId([u8; 12]);

impl PersonalId {
    /// The first year of birth the century-and-sex digit can encode.
    pub const FIRST_YEAR: i32 = 1900;
    /// The last year of birth the century-and-sex digit can encode.
    pub const LAST_YEAR: i32 = 2399;

    /// Reads a personal identification number: exactly 12 ASCII digits
    /// (surrounding spaces are ignored).
    ///
    /// ```
    /// use domain::{PersonalId, Sex};
    /// let id = PersonalId::parse("001099012345").unwrap();
    /// assert_eq!(id.registration_place(), "001");
    /// assert_eq!(id.sex(), Sex::Male);
    /// assert_eq!(id.century(), 1900);
    /// assert_eq!(id.birth_year_suffix(), 99);
    /// assert!(PersonalId::parse("00109901234").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        let bytes = t.as_bytes();
        if bytes.len() != 12 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(DomainError::Malformed {
                what: WHAT,
                digits: 12,
                got: s.to_string(),
            });
        }
        let mut out = [0u8; 12];
        out.copy_from_slice(bytes);
        // every century-and-sex digit 0–9 is assigned by Circular 07/2016
        Ok(Self(out))
    }

    /// Builds the number for a person whose birth was registered in
    /// `registration_place` (3 digits: the province code in force at
    /// registration, or the country code), born in `birth_year`, with the
    /// given `sex` and the 6-digit random `serial` (0–999999).
    ///
    /// ```
    /// use domain::{PersonalId, Sex};
    /// let id = PersonalId::compose("079", 2003, Sex::Female, 42).unwrap();
    /// assert_eq!(id.as_str(), "079303000042");
    /// ```
    pub fn compose(
        registration_place: &str,
        birth_year: i32,
        sex: Sex,
        serial: u32,
    ) -> Result<Self, DomainError> {
        let place = registration_place.as_bytes();
        if place.len() != 3 || !place.iter().all(u8::is_ascii_digit) {
            return Err(DomainError::Malformed {
                what: "place of birth registration",
                digits: 3,
                got: registration_place.to_string(),
            });
        }
        if !(Self::FIRST_YEAR..=Self::LAST_YEAR).contains(&birth_year) {
            return Err(DomainError::Unknown {
                what: "century-and-sex digit (years 1900–2399 only) for birth year",
                code: birth_year.to_string(),
            });
        }
        if serial > 999_999 {
            return Err(DomainError::Malformed {
                what: "random part of a personal identification number",
                digits: 6,
                got: serial.to_string(),
            });
        }
        let century_index = (birth_year - Self::FIRST_YEAR) / 100; // 0..=4
        let sex_offset = match sex {
            Sex::Male => 0,
            Sex::Female => 1,
        };
        let digit = century_index * 2 + sex_offset;
        let yy = birth_year % 100;
        let text = format!("{}{}{:02}{:06}", registration_place, digit, yy, serial);
        Self::parse(&text)
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        // only ASCII digits are ever stored
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The 3-digit code of the province (as coded when the birth was
    /// registered, before the 2025 merger) or country of birth registration.
    pub fn registration_place(&self) -> &str {
        self.as_str().get(0..3).unwrap_or("")
    }

    /// The name of the province of birth registration when the place part is
    /// one of the 63 pre-2025 province codes (001–096, Circular 07/2016's
    /// appendix: the code in force at registration, which does not map onto
    /// the 2025 list); `None` for a country code or an unassigned code.
    pub fn registration_province(&self) -> Option<&'static str> {
        let place = self.registration_place();
        let legacy = place.strip_prefix('0')?;
        units::Units::get()
            .legacy_province(legacy)
            .map(|p| p.name.as_str())
    }

    /// The century-and-sex digit (0–9).
    pub fn century_sex_digit(&self) -> u8 {
        self.0[3] - b'0'
    }

    /// The sex the number encodes: even digit male, odd digit female.
    pub fn sex(&self) -> Sex {
        if self.century_sex_digit().is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The first year of the century of birth: 1900, 2000, 2100, 2200 or 2300.
    pub fn century(&self) -> i32 {
        Self::FIRST_YEAR + i32::from(self.century_sex_digit() / 2) * 100
    }

    /// The last two digits of the year of birth (0–99).
    pub fn birth_year_suffix(&self) -> u8 {
        (self.0[4] - b'0') * 10 + (self.0[5] - b'0')
    }

    /// The full year of birth the number encodes.
    pub fn birth_year(&self) -> i32 {
        self.century() + i32::from(self.birth_year_suffix())
    }

    /// The 6 random digits as a number.
    pub fn serial(&self) -> u32 {
        self.0[6..]
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    }

    /// Whether the number agrees with a recorded year of birth and sex.
    pub fn agrees_with(&self, birth_year: i32, sex: Sex) -> bool {
        self.birth_year() == birth_year && self.sex() == sex
    }
}

crate::display_as_str!(PersonalId);
crate::text_conversions!(PersonalId, DomainError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_century_digit_decodes_by_the_circular() {
        let expected = [
            (0, 1900, Sex::Male),
            (1, 1900, Sex::Female),
            (2, 2000, Sex::Male),
            (3, 2000, Sex::Female),
            (4, 2100, Sex::Male),
            (5, 2100, Sex::Female),
            (6, 2200, Sex::Male),
            (7, 2200, Sex::Female),
            (8, 2300, Sex::Male),
            (9, 2300, Sex::Female),
        ];
        for (digit, century, sex) in expected {
            let s = format!("036{digit}45123456");
            let id = PersonalId::parse(&s).expect(&s);
            assert_eq!(id.century_sex_digit(), digit);
            assert_eq!(id.century(), century, "{s}");
            assert_eq!(id.sex(), sex, "{s}");
            assert_eq!(id.birth_year(), century + 45);
            assert_eq!(id.registration_place(), "036");
            assert_eq!(id.birth_year_suffix(), 45);
            assert_eq!(id.serial(), 123_456);
            assert!(id.agrees_with(century + 45, sex));
            let other = if sex == Sex::Male {
                Sex::Female
            } else {
                Sex::Male
            };
            assert!(!id.agrees_with(century + 45, other));
            assert!(!id.agrees_with(century + 145, sex));
        }
    }

    #[test]
    fn registration_province_reads_the_old_codes() {
        let name = |s: &str| PersonalId::parse(s).expect(s).registration_province();
        assert!(name("001099012345").is_some_and(|n| n.contains("Hà Nội")));
        assert!(name("079099012345").is_some_and(|n| n.contains("Hồ Chí Minh")));
        // 02 Hà Giang is a pre-2025 province only
        assert!(name("002099012345").is_some());
        assert_eq!(name("000099012345"), None);
        assert_eq!(name("999099012345"), None);
        assert_eq!(name("100099012345"), None);
    }

    #[test]
    fn compose_round_trips_every_year_and_sex() {
        for year in PersonalId::FIRST_YEAR..=PersonalId::LAST_YEAR {
            for sex in [Sex::Male, Sex::Female] {
                let id = PersonalId::compose("001", year, sex, 999_999).expect("compose");
                assert_eq!(id.birth_year(), year);
                assert_eq!(id.sex(), sex);
                assert!(id.agrees_with(year, sex));
                assert_eq!(PersonalId::parse(id.as_str()), Ok(id));
            }
        }
    }

    #[test]
    fn compose_boundaries() {
        let at = |y, s| {
            PersonalId::compose("001", y, s, 0)
                .map(|id| id.to_string())
                .expect("in range")
        };
        assert_eq!(at(1900, Sex::Male), "001000000000");
        assert_eq!(at(1999, Sex::Female), "001199000000");
        assert_eq!(at(2000, Sex::Male), "001200000000");
        assert_eq!(at(2099, Sex::Female), "001399000000");
        assert_eq!(at(2100, Sex::Male), "001400000000");
        assert_eq!(at(2399, Sex::Female), "001999000000");
        for y in [1899, 2400, 0, -5, i32::MIN, i32::MAX] {
            assert!(
                matches!(
                    PersonalId::compose("001", y, Sex::Male, 0),
                    Err(DomainError::Unknown { .. })
                ),
                "{y}"
            );
        }
        assert!(PersonalId::compose("001", 2000, Sex::Male, 1_000_000).is_err());
        for bad in ["", "01", "0001", "a01", "０01"] {
            let e = PersonalId::compose(bad, 2000, Sex::Male, 0).expect_err(bad);
            assert!(
                matches!(e, DomainError::Malformed { digits: 3, .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn refuses_wrong_length_and_non_digits_with_the_rule() {
        for bad in [
            "",
            "00109901234",
            "0010990123456",
            "00109901234a",
            "001-99012345",
            "００1099012345",
            "001099 012345",
        ] {
            let e = PersonalId::parse(bad).expect_err(bad);
            assert_eq!(
                e.to_string(),
                format!("personal identification number must be 12 digits, got {bad:?}")
            );
        }
        assert!(PersonalId::parse(" 001099012345 ").is_ok());
    }

    #[test]
    fn serde_is_a_validated_string() {
        let id = PersonalId::parse("001099012345").expect("valid");
        assert_eq!(serde_json::to_string(&id).expect("ser"), "\"001099012345\"");
        let back: PersonalId = serde_json::from_str("\"001099012345\"").expect("de");
        assert_eq!(back, id);
        assert!(serde_json::from_str::<PersonalId>("\"0010990\"").is_err());
        assert!(serde_json::from_str::<PersonalId>("1099012345").is_err());
        assert_eq!(
            serde_json::to_string(&Sex::Female).expect("ser"),
            "\"female\""
        );
    }
}

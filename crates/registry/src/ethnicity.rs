//! Ethnic groups and religions.

use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::RegistryError;

/// The 54 ethnic groups officially recognised in Vietnam, with their codes.
///
/// Source: the list of ethnic groups of Vietnam issued by the General
/// Statistics Office (Decision 121-TCTK/PPCĐ of 2 March 1979), in the
/// spelling the General Statistics Office uses for its code list. Names are
/// matched folded (see [`Ethnicity::by_name`]), so hyphenation and
/// diacritics do not matter.
const ETHNIC_GROUPS: [(&str, &str); 54] = [
    ("01", "Kinh"),
    ("02", "Tày"),
    ("03", "Thái"),
    ("04", "Hoa"),
    ("05", "Khơ-me"),
    ("06", "Mường"),
    ("07", "Nùng"),
    ("08", "Hmông"),
    ("09", "Dao"),
    ("10", "Gia-rai"),
    ("11", "Ngái"),
    ("12", "Ê-đê"),
    ("13", "Ba-na"),
    ("14", "Xơ-đăng"),
    ("15", "Sán Chay"),
    ("16", "Cơ-ho"),
    ("17", "Chăm"),
    ("18", "Sán Dìu"),
    ("19", "Hrê"),
    ("20", "Mnông"),
    ("21", "Ra-glai"),
    ("22", "Xtiêng"),
    ("23", "Bru-Vân Kiều"),
    ("24", "Thổ"),
    ("25", "Giáy"),
    ("26", "Cơ-tu"),
    ("27", "Gié-Triêng"),
    ("28", "Mạ"),
    ("29", "Khơ-mú"),
    ("30", "Co"),
    ("31", "Tà-ôi"),
    ("32", "Chơ-ro"),
    ("33", "Kháng"),
    ("34", "Xinh-mun"),
    ("35", "Hà Nhì"),
    ("36", "Chu-ru"),
    ("37", "Lào"),
    ("38", "La Chí"),
    ("39", "La Ha"),
    ("40", "Phù Lá"),
    ("41", "La Hủ"),
    ("42", "Lự"),
    ("43", "Lô Lô"),
    ("44", "Chứt"),
    ("45", "Mảng"),
    ("46", "Pà Thẻn"),
    ("47", "Cơ Lao"),
    ("48", "Cống"),
    ("49", "Bố Y"),
    ("50", "Si La"),
    ("51", "Pu Péo"),
    ("52", "Brâu"),
    ("53", "Ơ Đu"),
    ("54", "Rơ-măm"),
];

/// Other spellings in common use, folded to the same groups.
const ALIASES: [(&str, &str); 4] = [
    ("Khmer", "05"),
    ("Mông", "08"),
    ("H'Mông", "08"),
    ("Vân Kiều", "23"),
];

/// One of the 54 officially recognised ethnic groups, stored as its
/// two-digit code and serialised as it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ethnicity(u8);

fn folded_index() -> &'static Vec<(String, u8)> {
    static INDEX: OnceLock<Vec<(String, u8)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut v: Vec<(String, u8)> = ETHNIC_GROUPS
            .iter()
            .enumerate()
            .map(|(i, (_, name))| (units::fold::key(name), i as u8))
            .collect();
        for (alias, code) in ALIASES {
            if let Some(i) = ETHNIC_GROUPS.iter().position(|(c, _)| *c == code) {
                v.push((units::fold::key(alias), i as u8));
            }
        }
        v
    })
}

impl Ethnicity {
    /// The Kinh majority, code 01.
    pub const KINH: Ethnicity = Ethnicity(0);

    /// All 54 groups in code order.
    pub fn all() -> impl Iterator<Item = Ethnicity> {
        (0..ETHNIC_GROUPS.len() as u8).map(Ethnicity)
    }

    /// The group with this two-digit code ("01" to "54"; "1" is read as "01").
    pub fn by_code(code: &str) -> Result<Self, RegistryError> {
        let t = code.trim();
        let n: Option<usize> =
            if (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse().ok()
            } else {
                None
            };
        match n {
            Some(n @ 1..=54) => Ok(Self((n - 1) as u8)),
            _ => Err(RegistryError::UnknownEthnicity(code.to_string())),
        }
    }

    /// The group with this name, compared folded: "Ê Đê", "ede" and "Ê-đê"
    /// are the same group. A few common other spellings are accepted
    /// ("Khmer", "Mông", "H'Mông").
    pub fn by_name(name: &str) -> Result<Self, RegistryError> {
        let key = units::fold::key(name);
        folded_index()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, i)| Self(*i))
            .ok_or_else(|| RegistryError::UnknownEthnicity(name.to_string()))
    }

    /// The two-digit code.
    pub fn code(&self) -> &'static str {
        ETHNIC_GROUPS
            .get(usize::from(self.0))
            .map(|(c, _)| *c)
            .unwrap_or("")
    }

    /// The official name.
    pub fn name(&self) -> &'static str {
        ETHNIC_GROUPS
            .get(usize::from(self.0))
            .map(|(_, n)| *n)
            .unwrap_or("")
    }
}

impl fmt::Display for Ethnicity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for Ethnicity {
    type Error = RegistryError;
    fn try_from(s: String) -> Result<Self, RegistryError> {
        Self::by_code(&s)
    }
}

impl From<Ethnicity> for String {
    fn from(e: Ethnicity) -> String {
        e.code().to_string()
    }
}

/// A person's religion as the population database records it: none, or
/// one of the religions recognised by the state (the Government Committee
/// for Religious Affairs' list), with `Other` for any further recognised
/// organisation named by text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "name")]
pub enum Religion {
    /// Không (no religion).
    None,
    /// Phật giáo.
    Buddhism,
    /// Công giáo (Catholicism).
    Catholicism,
    /// Tin lành (Protestantism).
    Protestantism,
    /// Cao Đài.
    CaoDai,
    /// Phật giáo Hòa Hảo.
    HoaHao,
    /// Hồi giáo (Islam).
    Islam,
    /// Tịnh độ Cư sĩ Phật hội Việt Nam, Tứ Ân Hiếu Nghĩa, Bahá'í and the other
    /// recognised organisations, by name.
    Other(String),
}

impl Religion {
    /// The Vietnamese name.
    pub fn name(&self) -> &str {
        match self {
            Religion::None => "Không",
            Religion::Buddhism => "Phật giáo",
            Religion::Catholicism => "Công giáo",
            Religion::Protestantism => "Tin lành",
            Religion::CaoDai => "Cao Đài",
            Religion::HoaHao => "Phật giáo Hòa Hảo",
            Religion::Islam => "Hồi giáo",
            Religion::Other(name) => name,
        }
    }

    /// Reads a religion by its Vietnamese name, compared folded; any other
    /// non-empty name becomes [`Religion::Other`].
    pub fn by_name(name: &str) -> Religion {
        let key = units::fold::key(name);
        let known = [
            Religion::None,
            Religion::Buddhism,
            Religion::Catholicism,
            Religion::Protestantism,
            Religion::CaoDai,
            Religion::HoaHao,
            Religion::Islam,
        ];
        if key.is_empty() {
            return Religion::None;
        }
        known
            .into_iter()
            .find(|r| units::fold::key(r.name()) == key)
            .unwrap_or_else(|| Religion::Other(name.trim().to_string()))
    }
}

impl fmt::Display for Religion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn fifty_four_distinct_codes_and_names_in_order() {
        assert_eq!(Ethnicity::all().count(), 54);
        let codes: HashSet<_> = Ethnicity::all().map(|e| e.code()).collect();
        let names: HashSet<_> = Ethnicity::all().map(|e| e.name()).collect();
        let keys: HashSet<_> = Ethnicity::all()
            .map(|e| units::fold::key(e.name()))
            .collect();
        assert_eq!((codes.len(), names.len(), keys.len()), (54, 54, 54));
        for (i, e) in Ethnicity::all().enumerate() {
            assert_eq!(e.code(), format!("{:02}", i + 1));
        }
        assert_eq!(Ethnicity::KINH.name(), "Kinh");
        assert_eq!(Ethnicity::by_code("53").map(|e| e.name()), Ok("Ơ Đu"));
        assert_eq!(Ethnicity::by_code("54").map(|e| e.name()), Ok("Rơ-măm"));
    }

    #[test]
    fn lookup_by_code_and_folded_name() {
        for e in Ethnicity::all() {
            assert_eq!(Ethnicity::by_code(e.code()), Ok(e));
            assert_eq!(Ethnicity::by_name(e.name()), Ok(e));
            assert_eq!(Ethnicity::by_name(&e.name().to_uppercase()), Ok(e));
        }
        assert_eq!(Ethnicity::by_code("1"), Ok(Ethnicity::KINH));
        assert_eq!(Ethnicity::by_name("ede").map(|e| e.code()), Ok("12"));
        assert_eq!(Ethnicity::by_name("Ê Đê").map(|e| e.code()), Ok("12"));
        assert_eq!(Ethnicity::by_name("Khmer").map(|e| e.code()), Ok("05"));
        assert_eq!(Ethnicity::by_name("H'Mông").map(|e| e.code()), Ok("08"));
        assert_eq!(Ethnicity::by_name("Mông").map(|e| e.code()), Ok("08"));
        assert_eq!(Ethnicity::by_name("o du").map(|e| e.code()), Ok("53"));
        for bad in ["0", "00", "55", "100", "x1", "", "-1"] {
            assert!(Ethnicity::by_code(bad).is_err(), "{bad}");
        }
        let e = Ethnicity::by_name("Klingon").expect_err("unknown");
        assert!(e.to_string().contains("Klingon"));
    }

    #[test]
    fn serde_uses_the_code() {
        let e = Ethnicity::by_code("12").expect("valid");
        assert_eq!(serde_json::to_string(&e).expect("ser"), "\"12\"");
        assert_eq!(serde_json::from_str::<Ethnicity>("\"12\"").ok(), Some(e));
        assert!(serde_json::from_str::<Ethnicity>("\"55\"").is_err());
    }

    #[test]
    fn religions_by_name() {
        assert_eq!(Religion::by_name("không"), Religion::None);
        assert_eq!(Religion::by_name(""), Religion::None);
        assert_eq!(Religion::by_name("Phat giao"), Religion::Buddhism);
        assert_eq!(Religion::by_name("Phật giáo Hoà Hảo"), Religion::HoaHao);
        assert_eq!(Religion::by_name("Cao Dai"), Religion::CaoDai);
        assert_eq!(
            Religion::by_name(" Bahá'í "),
            Religion::Other("Bahá'í".into())
        );
        let json = serde_json::to_string(&Religion::None).expect("ser");
        assert_eq!(
            serde_json::from_str::<Religion>(&json).ok(),
            Some(Religion::None)
        );
    }
}

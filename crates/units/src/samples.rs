//! A test set built from the official conversion table: every legacy commune
//! written the ways people write addresses, each with the outcome the
//! conversion table dictates.
//!
//! Kinds ([`SampleKind`]):
//!
//! * `full`: `"Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội"`;
//! * `street`: a house number and street before it;
//! * `abbreviated`: `"P. Phúc Xá, Q. Ba Đình, TP. Hà Nội"`;
//! * `no_diacritics`: `"Phuong Phuc Xa, Quan Ba Dinh, Thanh pho Ha Noi"`;
//! * `no_district`: `"Phường Phúc Xá, Thành phố Hà Nội"`, only for communes
//!   whose name is unique in their old province.
//!
//! The expected outcome of an old commune with one successor is that
//! commune; of an old commune split among several, `ambiguous` with exactly
//! those candidates. Without diacritics, two communes of one district may
//! read the same (Nga Thanh and Nga Thành): the address then fits both, and
//! the expected outcome is the union of their successors. The two old communes the table does not mention have
//! no expected outcome and are left out.
//!
//! Deterministic: the same data gives the same samples in the same order.

use std::collections::HashMap;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::{LegacyCommune, Units, fold};

/// How a sample address is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    Full,
    Street,
    Abbreviated,
    NoDiacritics,
    NoDistrict,
}

impl SampleKind {
    pub const ALL: [SampleKind; 5] = [
        SampleKind::Full,
        SampleKind::Street,
        SampleKind::Abbreviated,
        SampleKind::NoDiacritics,
        SampleKind::NoDistrict,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SampleKind::Full => "full",
            SampleKind::Street => "street",
            SampleKind::Abbreviated => "abbreviated",
            SampleKind::NoDiacritics => "no_diacritics",
            SampleKind::NoDistrict => "no_district",
        }
    }
}

/// What converting a sample must give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "expected_status", rename_all = "snake_case")]
pub enum Expected {
    /// `converted` to this new commune.
    Converted {
        province_code: String,
        commune_code: String,
    },
    /// `ambiguous`, listing exactly these new communes (sorted codes).
    Ambiguous { candidates: Vec<String> },
}

/// One test address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sample {
    pub kind: SampleKind,
    /// The old commune the address names.
    pub legacy_commune_code: String,
    pub input: String,
    /// The street part a conversion must keep (only for `street`).
    pub street: Option<String>,
    #[serde(flatten)]
    pub expected: Expected,
}

/// Street names used for the `street` kind: common names of national
/// figures found in most towns.
const STREETS: &[&str] = &[
    "đường Trần Hưng Đạo",
    "đường Lê Lợi",
    "đường Nguyễn Trãi",
    "đường Hai Bà Trưng",
    "đường Lý Thường Kiệt",
    "đường Quang Trung",
    "phố Hàng Bông",
    "ngõ 12 Phạm Văn Đồng",
    "thôn Đông",
    "ấp 3",
    "tổ 5",
    "khu phố 2",
];

/// Official abbreviations of the type words.
fn abbreviation(type_word: &str) -> Option<&'static str> {
    Some(match type_word {
        "Phường" => "P.",
        "Xã" => "X.",
        "Thị trấn" => "TT.",
        "Quận" => "Q.",
        "Huyện" => "H.",
        "Thị xã" | "Thị Xã" => "TX.",
        "Thành phố" | "Thành Phố" => "TP.",
        "Tỉnh" => "T.",
        _ => return None,
    })
}

fn abbreviate(official_name: &str) -> String {
    let (type_word, bare) = fold::split_official(official_name);
    match abbreviation(type_word) {
        Some(abbr) => format!("{abbr} {bare}"),
        None => official_name.to_string(),
    }
}

/// The name without any diacritic, case kept: `"Đắk Lắk"` → `"Dak Lak"`.
pub fn strip_diacritics(s: &str) -> String {
    s.nfd()
        .filter(|c| !('\u{0300}'..='\u{036F}').contains(c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// A small deterministic mix of a code (FNV-1a).
fn mix(code: &str) -> u64 {
    code.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Units {
    /// The expected outcome of converting an address naming this old
    /// commune, from the conversion table; `None` when the table does not
    /// mention it.
    pub fn expected_for(&self, legacy_commune_code: &str) -> Option<Expected> {
        self.expected_for_any(&[legacy_commune_code])
    }

    /// The expected outcome of an address that fits any of these old
    /// communes equally well: the union of their successors.
    pub fn expected_for_any(&self, legacy_commune_codes: &[&str]) -> Option<Expected> {
        let mut all = Vec::new();
        for code in legacy_commune_codes {
            all.extend(self.successors(code)?.iter());
        }
        let first = all.first()?;
        let province_code = first.province_code.clone();
        let mut candidates: Vec<String> = all.iter().map(|s| s.commune_code.clone()).collect();
        candidates.sort();
        candidates.dedup();
        if candidates.len() == 1 {
            Some(Expected::Converted {
                province_code,
                commune_code: candidates.remove(0),
            })
        } else {
            Some(Expected::Ambiguous { candidates })
        }
    }

    /// Every sample of every kind, in legacy-commune order, kinds in the
    /// order of [`SampleKind::ALL`].
    pub fn samples(&self) -> Vec<Sample> {
        // old communes whose bare name is unique in their old province
        let mut per_province: HashMap<(&str, String), usize> = HashMap::new();
        for c in self.legacy_communes() {
            let (_, bare) = fold::split_official(&c.name);
            *per_province
                .entry((c.province_code.as_str(), fold::key(bare)))
                .or_default() += 1;
        }
        // old communes of a district that read the same without diacritics
        // ("Nga Thanh" and "Nga Thành"): an address written without them
        // fits all of them
        let mut folded: HashMap<(&str, String), Vec<&str>> = HashMap::new();
        for c in self.legacy_communes() {
            folded
                .entry((c.district_code.as_str(), fold::key(&c.name)))
                .or_default()
                .push(c.code.as_str());
        }
        let mut out = Vec::with_capacity(self.legacy_communes().len() * 5);
        for c in self.legacy_communes() {
            let Some(expected) = self.expected_for(&c.code) else {
                continue;
            };
            let Some((district, province)) = self.legacy_parents(c) else {
                continue;
            };
            let full = format!("{}, {}, {}", c.name, district, province);
            let (_, bare) = fold::split_official(&c.name);
            let unique = per_province
                .get(&(c.province_code.as_str(), fold::key(bare)))
                .is_some_and(|n| *n == 1);
            for kind in SampleKind::ALL {
                let (input, street) = match kind {
                    SampleKind::Full => (full.clone(), None),
                    SampleKind::Street => {
                        let h = mix(&c.code);
                        let street = format!(
                            "Số {} {}",
                            1 + h % 299,
                            STREETS[((h >> 16) as usize) % STREETS.len()]
                        );
                        (format!("{street}, {full}"), Some(street))
                    }
                    SampleKind::Abbreviated => (
                        format!(
                            "{}, {}, {}",
                            abbreviate(&c.name),
                            abbreviate(district),
                            abbreviate(province)
                        ),
                        None,
                    ),
                    SampleKind::NoDiacritics => {
                        let same = folded
                            .get(&(c.district_code.as_str(), fold::key(&c.name)))
                            .map(Vec::as_slice)
                            .unwrap_or_default();
                        if same.len() > 1 {
                            let Some(expected) = self.expected_for_any(same) else {
                                continue;
                            };
                            out.push(Sample {
                                kind,
                                legacy_commune_code: c.code.clone(),
                                input: strip_diacritics(&full),
                                street: None,
                                expected,
                            });
                            continue;
                        }
                        (strip_diacritics(&full), None)
                    }
                    SampleKind::NoDistrict => {
                        if !unique {
                            continue;
                        }
                        (format!("{}, {}", c.name, province), None)
                    }
                };
                out.push(Sample {
                    kind,
                    legacy_commune_code: c.code.clone(),
                    input,
                    street,
                    expected: expected.clone(),
                });
            }
        }
        out
    }

    fn legacy_parents(&self, c: &LegacyCommune) -> Option<(&str, &str)> {
        let district = self.legacy_district(&c.district_code)?;
        let province = self.legacy_province(&c.province_code)?;
        Some((district.name.as_str(), province.name.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_and_diacritics() {
        for (name, short) in [
            ("Phường Phúc Xá", "P. Phúc Xá"),
            ("Thành phố Hà Nội", "TP. Hà Nội"),
            ("Thị trấn Phố Lu", "TT. Phố Lu"),
        ] {
            assert_eq!(abbreviate(name), short, "{name}");
        }
        for (name, plain) in [("Đắk Lắk", "Dak Lak"), ("Thừa Thiên Huế", "Thua Thien Hue")]
        {
            assert_eq!(strip_diacritics(name), plain, "{name}");
        }
    }

    #[test]
    fn every_listed_commune_has_samples() {
        let u = Units::get();
        let samples = u.samples();
        let listed = u
            .legacy_communes()
            .iter()
            .filter(|c| u.expected_for(&c.code).is_some())
            .count();
        let full = samples
            .iter()
            .filter(|s| s.kind == SampleKind::Full)
            .count();
        assert_eq!(full, listed);
        assert!(listed > 10_000);
        let no_district = samples
            .iter()
            .filter(|s| s.kind == SampleKind::NoDistrict)
            .count();
        assert!(no_district > 5_000 && no_district < listed);
        // deterministic
        assert_eq!(samples, u.samples());
    }

    #[test]
    fn phuc_xa() {
        let u = Units::get();
        let s: Vec<Sample> = u
            .samples()
            .into_iter()
            .filter(|s| s.legacy_commune_code == "00001")
            .collect();
        assert_eq!(s[0].input, "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội");
        assert_eq!(s[2].input, "P. Phúc Xá, Q. Ba Đình, TP. Hà Nội");
        assert_eq!(s[3].input, "Phuong Phuc Xa, Quan Ba Dinh, Thanh pho Ha Noi");
        assert_eq!(
            s[0].expected,
            Expected::Converted {
                province_code: "01".into(),
                commune_code: "00097".into()
            }
        );
    }
}

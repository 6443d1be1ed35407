//! Ranked, folded search over current and legacy unit names.

use serde::Serialize;

use crate::convert::Candidate;
use crate::{Units, fold};

/// What kind of unit a search hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Province,
    Commune,
    LegacyProvince,
    LegacyDistrict,
    LegacyCommune,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub kind: HitKind,
    pub code: String,
    pub name: String,
    /// The name with its parents: `Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội`.
    pub full_name: String,
    /// The 2025 province it is in (or, for a legacy unit, went to).
    pub province_code: Option<String>,
    /// For a legacy commune, the new communes it went to; for a legacy
    /// province, the new province.
    pub successors: Vec<Candidate>,
    pub score: u32,
}

/// How well a query's words fit a name's words (higher is better), or
/// `None` when some query word is in neither the name nor its parents.
fn score(query: &str, query_words: &[&str], name: &str, parents: &str) -> Option<u32> {
    let name_key = name.replace(' ', "");
    let query_key = query.replace(' ', "");
    if name_key == query_key {
        return Some(1000);
    }
    let name_words: Vec<&str> = name.split(' ').collect();
    let parent_words: Vec<&str> = parents.split(' ').collect();
    let mut in_name = 0u32;
    for qw in query_words {
        if name_words.iter().any(|w| w.starts_with(qw)) {
            in_name += 1;
        } else if !parent_words.iter().any(|w| w.starts_with(qw)) {
            return None;
        }
    }
    if in_name == 0 {
        return None;
    }
    let mut s = 100 * in_name;
    if name_key.starts_with(&query_key) {
        s += 400;
    }
    if in_name as usize == query_words.len() {
        s += 200;
    }
    // shorter names first among equals
    s += 50u32.saturating_sub(name.len() as u32);
    Some(s)
}

/// Common type words dropped from a query (`phuong ba dinh` → `ba dinh`).
const QUERY_TYPE_WORDS: &[&str] = &[
    "phuong", "xa", "thi", "tran", "quan", "huyen", "tinh", "thanh", "pho", "tp", "tx", "tt", "p",
    "x", "q", "h", "dac", "khu",
];

impl Units {
    /// Searches current and legacy units by name, folded (diacritics, case,
    /// tone-mark placement), best first. Legacy units come with the new
    /// units they went to.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = fold::words(query);
        let mut words: Vec<&str> = q.split(' ').filter(|w| !w.is_empty()).collect();
        // a leading type word ("phuong ba dinh", "tp ho chi minh") is not
        // part of the name
        while words.len() > 1 && QUERY_TYPE_WORDS.contains(&words[0]) {
            words.remove(0);
        }
        if words.is_empty() {
            return Vec::new();
        }
        let q = words.join(" ");
        let mut hits: Vec<Hit> = Vec::new();

        let province_name = |code: &str| {
            self.province(code)
                .map(|p| p.name.clone())
                .unwrap_or_default()
        };

        for p in self.provinces() {
            let (_, bare) = fold::split_official(&p.name);
            if let Some(s) = score(&q, &words, &fold::words(bare), "") {
                hits.push(Hit {
                    kind: HitKind::Province,
                    code: p.code.clone(),
                    name: p.name.clone(),
                    full_name: p.name.clone(),
                    province_code: Some(p.code.clone()),
                    successors: Vec::new(),
                    score: s + 30,
                });
            }
        }
        for c in self.communes() {
            let (_, bare) = fold::split_official(&c.name);
            let pname = province_name(&c.province_code);
            if let Some(s) = score(&q, &words, &fold::words(bare), &fold::words(&pname)) {
                hits.push(Hit {
                    kind: HitKind::Commune,
                    code: c.code.clone(),
                    name: c.name.clone(),
                    full_name: format!("{}, {}", c.name, pname),
                    province_code: Some(c.province_code.clone()),
                    successors: Vec::new(),
                    score: s + 20,
                });
            }
        }
        for p in self.legacy_provinces() {
            let (_, bare) = fold::split_official(&p.name);
            if let Some(s) = score(&q, &words, &fold::words(bare), "") {
                let np = self.successor_province(&p.code);
                hits.push(Hit {
                    kind: HitKind::LegacyProvince,
                    code: p.code.clone(),
                    name: p.name.clone(),
                    full_name: p.name.clone(),
                    province_code: np.map(|p| p.code.clone()),
                    successors: np
                        .map(|np| {
                            vec![Candidate {
                                commune_code: String::new(),
                                province_code: np.code.clone(),
                                name: np.name.clone(),
                            }]
                        })
                        .unwrap_or_default(),
                    score: s + 10,
                });
            }
        }
        for d in self.legacy_districts() {
            let (_, bare) = fold::split_official(&d.name);
            let lp = self
                .legacy_province(&d.province_code)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            if let Some(s) = score(&q, &words, &fold::words(bare), &fold::words(&lp)) {
                hits.push(Hit {
                    kind: HitKind::LegacyDistrict,
                    code: d.code.clone(),
                    name: d.name.clone(),
                    full_name: format!("{}, {}", d.name, lp),
                    province_code: self
                        .successor_province(&d.province_code)
                        .map(|p| p.code.clone()),
                    successors: Vec::new(),
                    score: s,
                });
            }
        }
        for c in self.legacy_communes() {
            let (_, bare) = fold::split_official(&c.name);
            let d = self
                .legacy_district(&c.district_code)
                .map(|d| d.name.clone())
                .unwrap_or_default();
            let lp = self
                .legacy_province(&c.province_code)
                .map(|p| p.name.clone())
                .unwrap_or_default();
            let parents = format!("{} {}", fold::words(&d), fold::words(&lp));
            if let Some(s) = score(&q, &words, &fold::words(bare), &parents) {
                let successors: Vec<Candidate> = self
                    .successors(&c.code)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| self.candidate(&s.commune_code))
                    .collect();
                hits.push(Hit {
                    kind: HitKind::LegacyCommune,
                    code: c.code.clone(),
                    name: c.name.clone(),
                    full_name: format!("{}, {}, {}", c.name, d, lp),
                    province_code: successors.first().map(|s| s.province_code.clone()),
                    successors,
                    score: s,
                });
            }
        }
        hits.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.code.cmp(&b.code)));
        hits.truncate(limit);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_current_commune_first_without_diacritics() {
        let hits = Units::get().search("phuong ba dinh", 10);
        assert_eq!(hits[0].kind, HitKind::Commune);
        assert_eq!(hits[0].code, "00004");
    }

    #[test]
    fn finds_legacy_names_with_their_successors() {
        let hits = Units::get().search("Phúc Xá", 10);
        let legacy = hits
            .iter()
            .find(|h| h.kind == HitKind::LegacyCommune && h.code == "00001")
            .expect("legacy Phúc Xá");
        assert_eq!(legacy.successors[0].commune_code, "00097");
    }

    #[test]
    fn parent_words_narrow_the_hits() {
        let hits = Units::get().search("tan dinh ho chi minh", 10);
        assert!(!hits.is_empty());
        assert!(
            hits.iter()
                .all(|h| h.province_code.as_deref() == Some("79")),
            "{hits:?}"
        );
    }

    #[test]
    fn tone_mark_placement_does_not_matter() {
        let a = Units::get().search("Khánh Hòa", 5);
        let b = Units::get().search("Khánh Hoà", 5);
        assert_eq!(a, b);
        assert_eq!(a[0].code, "56");
    }

    #[test]
    fn empty_query_has_no_hits() {
        assert!(Units::get().search("  ", 10).is_empty());
        assert!(Units::get().search("zzzzqqq", 10).is_empty());
    }
}

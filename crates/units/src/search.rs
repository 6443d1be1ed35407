//! Ranked, folded search over current and legacy unit names.

use serde::Serialize;

use crate::convert::Candidate;
use crate::{Units, fold};

/// What kind of unit a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// One searchable unit, its name folded once.
pub(crate) struct Entry {
    kind: HitKind,
    /// index into the list of its kind
    idx: usize,
    /// folded bare name (`ba dinh`) and its key without spaces
    words: String,
    key: String,
    /// folded names of its parents
    parents: String,
    /// tie-breaker by kind: current units before legacy ones
    bonus: u32,
}

/// How well a query's words fit an entry (higher is better), or `None`
/// when some query word is in neither the name nor its parents.
fn score(query_key: &str, query_words: &[&str], e: &Entry) -> Option<u32> {
    if e.key == query_key {
        return Some(1000);
    }
    let mut in_name = 0u32;
    for qw in query_words {
        if e.words.split(' ').any(|w| w.starts_with(qw)) {
            in_name += 1;
        } else if !e.parents.split(' ').any(|w| w.starts_with(qw)) {
            return None;
        }
    }
    if in_name == 0 {
        return None;
    }
    let mut s = 100 * in_name;
    if e.key.starts_with(query_key) {
        s += 400;
    }
    if in_name as usize == query_words.len() {
        s += 200;
    }
    // shorter names first among equals
    s += 50u32.saturating_sub(e.words.len() as u32);
    Some(s)
}

/// Common type words dropped from a query (`phuong ba dinh` → `ba dinh`).
const QUERY_TYPE_WORDS: &[&str] = &[
    "phuong", "xa", "thi", "tran", "quan", "huyen", "tinh", "thanh", "pho", "tp", "tx", "tt", "p",
    "x", "q", "h", "dac", "khu",
];

/// Longer queries are cut: no unit name with its parents has more words.
const MAX_QUERY_WORDS: usize = 16;

impl Units {
    fn search_entries(&self) -> &[Entry] {
        self.search_index.get_or_init(|| self.build_search_index())
    }

    fn build_search_index(&self) -> Vec<Entry> {
        let bare = |name: &str| fold::words(fold::split_official(name).1);
        let entry = |kind, idx, name: &str, parents: String, bonus| {
            let words = bare(name);
            Entry {
                kind,
                idx,
                key: words.replace(' ', ""),
                words,
                parents,
                bonus,
            }
        };
        // a parent's name, folded (none: empty)
        let folded = |name: Option<&String>| name.map(|n| fold::words(n)).unwrap_or_default();
        let mut out = Vec::new();
        for (i, p) in self.provinces.iter().enumerate() {
            out.push(entry(HitKind::Province, i, &p.name, String::new(), 30));
        }
        for (i, c) in self.communes.iter().enumerate() {
            let parents = folded(self.province(&c.province_code).map(|p| &p.name));
            out.push(entry(HitKind::Commune, i, &c.name, parents, 20));
        }
        for (i, p) in self.legacy_provinces.iter().enumerate() {
            out.push(entry(
                HitKind::LegacyProvince,
                i,
                &p.name,
                String::new(),
                10,
            ));
        }
        for (i, d) in self.legacy_districts.iter().enumerate() {
            let parents = folded(self.legacy_province(&d.province_code).map(|p| &p.name));
            out.push(entry(HitKind::LegacyDistrict, i, &d.name, parents, 0));
        }
        for (i, c) in self.legacy_communes.iter().enumerate() {
            let d = folded(self.legacy_district(&c.district_code).map(|d| &d.name));
            let p = folded(self.legacy_province(&c.province_code).map(|p| &p.name));
            out.push(entry(
                HitKind::LegacyCommune,
                i,
                &c.name,
                format!("{d} {p}"),
                0,
            ));
        }
        out
    }

    /// Searches current and legacy units by name, folded (diacritics, case,
    /// tone-mark placement), best first. Legacy units come with the new
    /// units they went to.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = fold::words(query);
        let mut words: Vec<&str> = q
            .split(' ')
            .filter(|w| !w.is_empty())
            .take(MAX_QUERY_WORDS)
            .collect();
        // a leading type word ("phuong ba dinh", "tp ho chi minh") is not
        // part of the name
        while words.len() > 1 && QUERY_TYPE_WORDS.contains(&words[0]) {
            words.remove(0);
        }
        if words.is_empty() || limit == 0 {
            return Vec::new();
        }
        let key: String = words.concat();
        let mut scored: Vec<(u32, &Entry)> = self
            .search_entries()
            .iter()
            .filter_map(|e| score(&key, &words, e).map(|s| (s + e.bonus, e)))
            .collect();
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then_with(|| self.entry_code(a.1).cmp(self.entry_code(b.1)))
        });
        scored
            .into_iter()
            .take(limit)
            .map(|(s, e)| self.hit(e, s))
            .collect()
    }

    fn entry_code(&self, e: &Entry) -> &str {
        match e.kind {
            HitKind::Province => &self.provinces[e.idx].code,
            HitKind::Commune => &self.communes[e.idx].code,
            HitKind::LegacyProvince => &self.legacy_provinces[e.idx].code,
            HitKind::LegacyDistrict => &self.legacy_districts[e.idx].code,
            HitKind::LegacyCommune => &self.legacy_communes[e.idx].code,
        }
    }

    fn hit(&self, e: &Entry, score: u32) -> Hit {
        // a parent's name (an unknown one: empty)
        let province_name = |code: &str| self.province(code).map_or("", |p| p.name.as_str());
        let legacy_province_name =
            |code: &str| self.legacy_province(code).map_or("", |p| p.name.as_str());
        let legacy_district_name =
            |code: &str| self.legacy_district(code).map_or("", |d| d.name.as_str());
        let named = |code: &str, name: &str| Hit {
            kind: e.kind,
            code: code.to_string(),
            name: name.to_string(),
            full_name: name.to_string(),
            province_code: None,
            successors: Vec::new(),
            score,
        };
        match e.kind {
            HitKind::Province => {
                let p = &self.provinces[e.idx];
                Hit {
                    province_code: Some(p.code.clone()),
                    ..named(&p.code, &p.name)
                }
            }
            HitKind::Commune => {
                let c = &self.communes[e.idx];
                let pname = province_name(&c.province_code);
                Hit {
                    full_name: format!("{}, {}", c.name, pname),
                    province_code: Some(c.province_code.clone()),
                    ..named(&c.code, &c.name)
                }
            }
            HitKind::LegacyProvince => {
                let p = &self.legacy_provinces[e.idx];
                let np = self.successor_province(&p.code);
                let successors = np.map(|np| Candidate {
                    commune_code: String::new(),
                    province_code: np.code.clone(),
                    name: np.name.clone(),
                });
                Hit {
                    province_code: np.map(|p| p.code.clone()),
                    successors: successors.into_iter().collect(),
                    ..named(&p.code, &p.name)
                }
            }
            HitKind::LegacyDistrict => {
                let d = &self.legacy_districts[e.idx];
                Hit {
                    full_name: format!("{}, {}", d.name, legacy_province_name(&d.province_code)),
                    province_code: self
                        .successor_province(&d.province_code)
                        .map(|p| p.code.clone()),
                    ..named(&d.code, &d.name)
                }
            }
            HitKind::LegacyCommune => {
                let c = &self.legacy_communes[e.idx];
                let d = legacy_district_name(&c.district_code);
                let successors: Vec<Candidate> = self
                    .successors(&c.code)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| self.candidate(&s.commune_code))
                    .collect();
                Hit {
                    full_name: format!(
                        "{}, {}, {}",
                        c.name,
                        d,
                        legacy_province_name(&c.province_code)
                    ),
                    province_code: successors.first().map(|s| s.province_code.clone()),
                    successors,
                    ..named(&c.code, &c.name)
                }
            }
        }
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

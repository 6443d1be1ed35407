//! Vietnam's administrative units, before and after the 1 July 2025 merger.
//!
//! * the 34 provinces and 3,321 communes in force (Decision 19/2025/QĐ-TTg);
//! * the legacy 63 provinces, 696 districts and 10,035 communes;
//! * the official old-commune → new-commune conversion table;
//! * name matching that folds diacritics, tone-mark placement, apostrophes,
//!   case, spacing and abbreviations ([`fold`]);
//! * free-text legacy address conversion ([`Units::convert`]) and ranked
//!   search ([`Units::search`]).
//!
//! Everything is embedded at compile time: no I/O, no set-up. The data set is
//! parsed once, on first use of [`Units::get`] (about 20 ms).

mod convert;
mod data;
pub mod fold;
pub mod samples;
mod search;

use hashbrown::HashMap;
use std::sync::LazyLock;

pub use convert::{Candidate, Conversion, LegacyRef, Status};
pub use data::{
    Commune, ConversionRow, LegacyCommune, LegacyDistrict, LegacyProvince, Province,
    dataset_version,
};
pub use samples::{Expected, Sample, SampleKind};
pub use search::{Hit, HitKind};

use fold::{Level, Reading};

/// What can go wrong with the embedded data (only a broken build can do it).
#[derive(Debug, thiserror::Error)]
pub enum UnitsError {
    #[error("embedded data file {file}, line {line}: {reason}")]
    Data {
        file: &'static str,
        line: usize,
        reason: String,
    },
    #[error("embedded data is inconsistent: {0}")]
    Inconsistent(String),
}

/// A new commune that an old commune's area went to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Successor {
    pub commune_code: String,
    pub province_code: String,
    /// The old commune was split and only part of it went here.
    pub partly_merged: bool,
}

/// A legacy commune that makes up (part of) a new commune.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Predecessor<'a> {
    pub commune: &'a LegacyCommune,
    /// The old commune was split and only part of it went to the new one.
    pub partly_merged: bool,
}

/// The whole data set with its indexes.
pub struct Units {
    provinces: Vec<Province>,
    communes: Vec<Commune>,
    legacy_provinces: Vec<LegacyProvince>,
    legacy_districts: Vec<LegacyDistrict>,
    legacy_communes: Vec<LegacyCommune>,
    conversion: Vec<ConversionRow>,

    province_by_code: HashMap<String, usize>,
    commune_by_code: HashMap<String, usize>,
    legacy_province_by_code: HashMap<String, usize>,
    legacy_district_by_code: HashMap<String, usize>,
    legacy_commune_by_code: HashMap<String, usize>,
    communes_of_province: Vec<Vec<usize>>,
    /// indexed like `legacy_communes`
    successors: Vec<Vec<Successor>>,
    /// indexed like `communes`
    predecessors: Vec<Vec<usize>>,

    pub(crate) index: MatchIndex,
    /// folded names for [`Units::search`], built on first search
    pub(crate) search_index: std::sync::OnceLock<Vec<search::Entry>>,
}

/// Name-key indexes used by conversion and search.
#[derive(Default)]
pub(crate) struct MatchIndex {
    /// legacy provinces by the key of their bare name and common aliases
    pub legacy_province: HashMap<String, Vec<usize>>,
    /// 2025 provinces by the key of their bare name and common aliases
    pub province: HashMap<String, usize>,
    /// for each 2025 province, the legacy provinces merged into it
    pub legacy_provinces_of: Vec<Vec<usize>>,
    /// for each legacy province, the 2025 province it went to
    pub new_province_of_legacy: Vec<Option<usize>>,
    pub legacy_district: HashMap<(usize, String), Vec<usize>>,
    pub legacy_district_any: HashMap<String, Vec<usize>>,
    pub legacy_commune_in_district: HashMap<(usize, String), Vec<usize>>,
    pub legacy_commune_in_province: HashMap<(usize, String), Vec<usize>>,
    pub legacy_commune_any: HashMap<String, Vec<usize>>,
    pub commune_in_province: HashMap<(usize, String), Vec<usize>>,
    pub commune_any: HashMap<String, Vec<usize>>,
    /// the type and marks of each legacy district / commune and new commune
    pub legacy_district_forms: NameForms,
    pub legacy_commune_forms: NameForms,
    pub commune_forms: NameForms,
}

/// The canonical type key and the tone marks of the name of each unit of
/// one list, in list order: what [`narrow`] tells same-keyed units apart by.
#[derive(Default)]
pub(crate) struct NameForms {
    pub types: Vec<&'static str>,
    pub marks: Vec<String>,
}

impl NameForms {
    /// Records the type and marks of the next unit's `name`; returns the
    /// key of its bare name.
    fn add(&mut self, name: &str) -> String {
        let (key, t, marks) = indexed_name(name);
        self.types.push(t);
        self.marks.push(marks);
        key
    }
}

/// A `(scope, key)` lookup into the maps keyed by `(usize, String)`, without
/// building an owned key. Hashes exactly as the tuple does.
#[derive(Hash)]
pub(crate) struct Scoped<'a>(pub usize, pub &'a str);

impl hashbrown::Equivalent<(usize, String)> for Scoped<'_> {
    fn equivalent(&self, key: &(usize, String)) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

/// Well-known ways to write a province, beyond its own name (keys).
const PROVINCE_ALIASES: &[(&str, &[&str])] = &[
    ("01", &["hn", "hanoi", "tphn"]),
    (
        "79",
        &[
            "hcm",
            "tphcm",
            "hcmc",
            "hochiminhcity",
            "tphochiminh",
            "saigon",
            "sg",
            "tpsg",
            "tpsaigon",
        ],
    ),
    ("46", &["thuathienhue", "tthue", "tth"]),
    ("48", &["dn", "tpdanang"]),
    ("31", &["hp", "tphaiphong"]),
    ("92", &["ct", "tpcantho"]),
    ("77", &["brvt", "bariavungtau"]),
    ("66", &["daclac", "daklac", "daclak"]),
    ("67", &["dacnong"]),
    ("62", &["kontum"]),
];

static UNITS: LazyLock<Units> = LazyLock::new(|| match Units::load() {
    Ok(u) => u,
    // The data is compiled in and checked by the test suite: failing here
    // means a broken build, not bad input.
    Err(e) => panic!("embedded administrative-unit data: {e}"),
});

/// A district's or commune's name as the index reads it: the key of the
/// name without its type word, the canonical type word and the name's marks.
fn indexed_name(name: &str) -> (String, &'static str, String) {
    let (t, bare) = fold::split_official(name);
    (fold::key(bare), canonical_type(t), fold::marks(bare))
}

/// The units of `units` at `indices`, in that order.
fn picked<'a, T>(indices: &'a [usize], units: &'a [T]) -> impl Iterator<Item = &'a T> {
    indices.iter().map(move |&i| &units[i])
}

/// Files unit `i` under `key`.
fn file<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Vec<usize>>, key: K, i: usize) {
    map.entry(key).or_default().push(i);
}

fn canonical_type(official_type_word: &str) -> &'static str {
    match fold::key(official_type_word).as_str() {
        "phuong" => "phuong",
        "xa" => "xa",
        "thitran" => "thitran",
        "dackhu" => "dackhu",
        "quan" => "quan",
        "huyen" => "huyen",
        "thixa" => "thixa",
        "thanhpho" => "thanhpho",
        "tinh" => "tinh",
        _ => "",
    }
}

impl Units {
    /// The embedded data set, parsed on first use.
    pub fn get() -> &'static Units {
        &UNITS
    }

    /// Parses and indexes the embedded data set.
    pub fn load() -> Result<Units, UnitsError> {
        let provinces: Vec<Province> = data::parse("provinces-2025.csv", data::PROVINCES_2025)?;
        let communes: Vec<Commune> = data::parse("communes-2025.csv", data::COMMUNES_2025)?;
        let legacy_provinces: Vec<LegacyProvince> =
            data::parse("provinces-legacy.csv", data::PROVINCES_LEGACY)?;
        let legacy_districts: Vec<LegacyDistrict> =
            data::parse("districts-legacy.csv", data::DISTRICTS_LEGACY)?;
        let legacy_communes: Vec<LegacyCommune> =
            data::parse("communes-legacy.csv", data::COMMUNES_LEGACY)?;
        let conversion: Vec<ConversionRow> =
            data::parse("commune-conversion-2025.csv", data::CONVERSION_2025)?;

        fn by_code<T>(v: &[T], code: impl Fn(&T) -> &str) -> HashMap<String, usize> {
            v.iter()
                .enumerate()
                .map(|(i, x)| (code(x).to_string(), i))
                .collect()
        }
        let province_by_code = by_code(&provinces, |p| &p.code);
        let commune_by_code = by_code(&communes, |c| &c.code);
        let legacy_province_by_code = by_code(&legacy_provinces, |p| &p.code);
        let legacy_district_by_code = by_code(&legacy_districts, |d| &d.code);
        let legacy_commune_by_code = by_code(&legacy_communes, |c| &c.code);

        let inconsistent = |what: String| UnitsError::Inconsistent(what);
        let mut communes_of_province = vec![Vec::new(); provinces.len()];
        for (i, c) in communes.iter().enumerate() {
            let p = province_by_code
                .get(&c.province_code)
                .ok_or_else(|| inconsistent(format!("commune {} has no province", c.code)))?;
            communes_of_province[*p].push(i);
        }
        for d in &legacy_districts {
            if !legacy_province_by_code.contains_key(&d.province_code) {
                return Err(inconsistent(format!("district {} has no province", d.code)));
            }
        }
        for c in &legacy_communes {
            if !legacy_district_by_code.contains_key(&c.district_code) {
                return Err(inconsistent(format!(
                    "legacy commune {} has no district",
                    c.code
                )));
            }
        }

        let mut successors = vec![Vec::new(); legacy_communes.len()];
        let mut predecessors = vec![Vec::new(); communes.len()];
        for row in &conversion {
            let old = legacy_commune_by_code
                .get(&row.old_commune_code)
                .ok_or_else(|| {
                    inconsistent(format!(
                        "conversion row for unknown {}",
                        row.old_commune_code
                    ))
                })?;
            let new = commune_by_code.get(&row.new_commune_code).ok_or_else(|| {
                inconsistent(format!(
                    "conversion row to unknown {}",
                    row.new_commune_code
                ))
            })?;
            successors[*old].push(Successor {
                commune_code: row.new_commune_code.clone(),
                province_code: row.new_province_code.clone(),
                partly_merged: row.partly_merged,
            });
            predecessors[*new].push(*old);
        }
        for s in &mut successors {
            s.sort_by(|a, b| a.commune_code.cmp(&b.commune_code));
            s.dedup_by(|a, b| a.commune_code == b.commune_code);
        }

        let mut units = Units {
            provinces,
            communes,
            legacy_provinces,
            legacy_districts,
            legacy_communes,
            conversion,
            province_by_code,
            commune_by_code,
            legacy_province_by_code,
            legacy_district_by_code,
            legacy_commune_by_code,
            communes_of_province,
            successors,
            predecessors,
            index: MatchIndex::default(),
            search_index: std::sync::OnceLock::new(),
        };
        units.index = units.build_index();
        Ok(units)
    }

    fn build_index(&self) -> MatchIndex {
        let mut ix = MatchIndex::default();
        let push = |m: &mut HashMap<String, Vec<usize>>, k: String, i: usize| {
            let v = m.entry(k).or_default();
            if !v.contains(&i) {
                v.push(i);
            }
        };
        for (i, p) in self.legacy_provinces.iter().enumerate() {
            let (_, bare) = fold::split_official(&p.name);
            push(&mut ix.legacy_province, fold::key(bare), i);
            push(&mut ix.legacy_province, fold::key(&p.short_name), i);
        }
        for (i, p) in self.provinces.iter().enumerate() {
            let (_, bare) = fold::split_official(&p.name);
            ix.province.insert(fold::key(bare), i);
            ix.province.insert(fold::key(&p.short_name), i);
        }
        for (code, aliases) in PROVINCE_ALIASES {
            for a in *aliases {
                if let Some(&i) = self.legacy_province_by_code.get(*code) {
                    push(&mut ix.legacy_province, (*a).to_string(), i);
                }
                if let Some(&i) = self.province_by_code.get(*code) {
                    ix.province.entry((*a).to_string()).or_insert(i);
                }
            }
        }
        ix.legacy_provinces_of = vec![Vec::new(); self.provinces.len()];
        ix.new_province_of_legacy = vec![None; self.legacy_provinces.len()];
        for row in &self.conversion {
            if let (Some(&lp), Some(&np)) = (
                self.legacy_province_by_code.get(&row.old_province_code),
                self.province_by_code.get(&row.new_province_code),
            ) {
                ix.new_province_of_legacy[lp] = Some(np);
                if !ix.legacy_provinces_of[np].contains(&lp) {
                    ix.legacy_provinces_of[np].push(lp);
                }
            }
        }
        for (i, d) in self.legacy_districts.iter().enumerate() {
            let k = ix.legacy_district_forms.add(&d.name);
            let lp = self.legacy_province_by_code[&d.province_code];
            file(&mut ix.legacy_district, (lp, k.clone()), i);
            file(&mut ix.legacy_district_any, k, i);
        }
        for (i, c) in self.legacy_communes.iter().enumerate() {
            let k = ix.legacy_commune_forms.add(&c.name);
            let ld = self.legacy_district_by_code[&c.district_code];
            let lp = self.legacy_province_by_code[&c.province_code];
            file(&mut ix.legacy_commune_in_district, (ld, k.clone()), i);
            file(&mut ix.legacy_commune_in_province, (lp, k.clone()), i);
            file(&mut ix.legacy_commune_any, k, i);
        }
        for (i, c) in self.communes.iter().enumerate() {
            let k = ix.commune_forms.add(&c.name);
            let p = self.province_by_code[&c.province_code];
            file(&mut ix.commune_in_province, (p, k.clone()), i);
            file(&mut ix.commune_any, k, i);
        }
        ix
    }

    /// The 34 provinces, in code order.
    pub fn provinces(&self) -> &[Province] {
        &self.provinces
    }
    /// All 3,321 communes, in code order.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }
    pub fn legacy_provinces(&self) -> &[LegacyProvince] {
        &self.legacy_provinces
    }
    pub fn legacy_districts(&self) -> &[LegacyDistrict] {
        &self.legacy_districts
    }
    pub fn legacy_communes(&self) -> &[LegacyCommune] {
        &self.legacy_communes
    }
    /// The official conversion table, one row per (old, new) pair.
    pub fn conversion_table(&self) -> &[ConversionRow] {
        &self.conversion
    }

    pub fn province(&self, code: &str) -> Option<&Province> {
        self.province_by_code.get(code).map(|&i| &self.provinces[i])
    }
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_by_code.get(code).map(|&i| &self.communes[i])
    }
    pub fn legacy_province(&self, code: &str) -> Option<&LegacyProvince> {
        self.legacy_province_by_code
            .get(code)
            .map(|&i| &self.legacy_provinces[i])
    }
    pub fn legacy_district(&self, code: &str) -> Option<&LegacyDistrict> {
        self.legacy_district_by_code
            .get(code)
            .map(|&i| &self.legacy_districts[i])
    }
    pub fn legacy_commune(&self, code: &str) -> Option<&LegacyCommune> {
        self.legacy_commune_by_code
            .get(code)
            .map(|&i| &self.legacy_communes[i])
    }

    /// The communes of a 2025 province, in code order; `None` for an
    /// unknown province.
    pub fn communes_of(&self, province_code: &str) -> Option<impl Iterator<Item = &Commune>> {
        let p = *self.province_by_code.get(province_code)?;
        Some(picked(&self.communes_of_province[p], &self.communes))
    }

    /// The new communes a legacy commune went to (sorted by code, empty for
    /// the two legacy communes the official table does not cover); `None`
    /// for an unknown legacy commune.
    pub fn successors(&self, legacy_commune_code: &str) -> Option<&[Successor]> {
        let i = *self.legacy_commune_by_code.get(legacy_commune_code)?;
        Some(&self.successors[i])
    }

    /// The legacy communes whose area (or part of it) makes up a new
    /// commune, each with whether only part of it went there.
    pub fn predecessors(
        &self,
        commune_code: &str,
    ) -> Option<impl Iterator<Item = Predecessor<'_>>> {
        let i = *self.commune_by_code.get(commune_code)?;
        let code = &self.communes[i].code;
        Some(self.predecessors[i].iter().map(move |&old| {
            Predecessor {
                commune: &self.legacy_communes[old],
                partly_merged: self.successors[old]
                    .iter()
                    .any(|s| &s.commune_code == code && s.partly_merged),
            }
        }))
    }

    /// The 2025 province a legacy province went to.
    pub fn successor_province(&self, legacy_province_code: &str) -> Option<&Province> {
        let lp = *self.legacy_province_by_code.get(legacy_province_code)?;
        self.index.new_province_of_legacy[lp].map(|np| &self.provinces[np])
    }

    pub(crate) fn successors_at(&self, legacy_commune: usize) -> &[Successor] {
        &self.successors[legacy_commune]
    }
}

/// Keeps the matches whose type agrees with the type word the input used,
/// then those spelled with exactly the input's diacritics, as long as any
/// remain: a filter that would leave nothing is not applied, except the type
/// filter when `strict`.
/// How a lookup pass matches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass {
    /// A type word ("Phường", "Xã", …) must match the unit's type.
    pub strict: bool,
    /// The input has diacritics, so a candidate spelled exactly as typed
    /// is preferred over one that only folds the same.
    pub marks: bool,
}

impl Pass {
    pub fn strict(marks: bool) -> Pass {
        Pass {
            strict: true,
            marks,
        }
    }
    pub fn lenient(marks: bool) -> Pass {
        Pass {
            strict: false,
            marks,
        }
    }
}

pub(crate) fn narrow(
    mut found: Vec<usize>,
    component: &str,
    reading: &Reading,
    pass: Pass,
    forms: &NameForms,
) -> Vec<usize> {
    if let Some(t) = reading.type_word {
        let typed: Vec<usize> = found
            .iter()
            .copied()
            .filter(|&i| forms.types[i] == t)
            .collect();
        if !typed.is_empty() || pass.strict {
            found = typed;
        }
    }
    if found.len() > 1 && pass.marks {
        let typed = reading.marks(component);
        let exact: Vec<usize> = found
            .iter()
            .copied()
            .filter(|&i| forms.marks[i] == typed)
            .collect();
        if !exact.is_empty() {
            found = exact;
        }
    }
    found
}

/// Does a reading allow `level`? A reading without a type word allows all.
fn allows(reading: &Reading, level: Level) -> bool {
    reading.levels.is_empty() || reading.levels.contains(&level)
}

/// The readings of `component` ([`fold::readings`]) that allow `level`.
pub(crate) fn readings_at(component: &str, level: Level) -> impl Iterator<Item = Reading> {
    fold::readings(component)
        .into_iter()
        .filter(move |r| allows(r, level))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_has_the_published_counts() {
        let u = Units::load().expect("embedded data parses");
        assert_eq!(u.provinces().len(), 34);
        assert_eq!(u.communes().len(), 3321);
        assert_eq!(u.legacy_provinces().len(), 63);
        assert_eq!(u.legacy_districts().len(), 696);
        assert_eq!(u.legacy_communes().len(), 10035);
        assert_eq!(u.conversion_table().len(), 10565);
    }

    #[test]
    fn every_new_commune_is_in_its_province_list() {
        let u = Units::get();
        let total: usize = u
            .provinces()
            .iter()
            .map(|p| u.communes_of(&p.code).map(|c| c.count()).unwrap_or(0))
            .sum();
        assert_eq!(total, 3321);
        assert!(u.communes_of("99").is_none());
    }

    #[test]
    fn successors_follow_the_official_table() {
        let u = Units::get();
        let s = u.successors("00001").expect("Phúc Xá exists");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].commune_code, "00097");
        let s = u.successors("00007").expect("Cống Vị exists");
        let codes: Vec<_> = s.iter().map(|s| s.commune_code.as_str()).collect();
        assert_eq!(codes, ["00008", "00025"]);
        assert!(s.iter().all(|s| s.partly_merged));
        // the two legacy communes the table leaves out
        assert_eq!(u.successors("01651").map(|s| s.len()), Some(0));
        assert_eq!(u.successors("02482").map(|s| s.len()), Some(0));
        assert!(u.successors("99999").is_none());
    }

    #[test]
    fn a_predecessor_is_partly_merged_where_its_successor_says_so() {
        let u = Units::get();
        let mut partly = 0;
        for c in u.communes() {
            for old in u.predecessors(&c.code).into_iter().flatten() {
                let went = u
                    .successors(&old.commune.code)
                    .unwrap_or_default()
                    .iter()
                    .find(|s| s.commune_code == c.code)
                    .map(|s| s.partly_merged);
                assert_eq!(
                    went,
                    Some(old.partly_merged),
                    "{} in {}",
                    old.commune.code,
                    c.code
                );
                partly += usize::from(old.partly_merged);
            }
        }
        assert!(partly > 0, "some legacy communes were split");
    }

    #[test]
    fn five_new_communes_have_no_predecessor() {
        let u = Units::get();
        let orphans = u
            .communes()
            .iter()
            .filter(|c| u.predecessors(&c.code).map(|p| p.count()) == Some(0))
            .count();
        assert_eq!(orphans, 5);
    }

    #[test]
    fn every_legacy_province_has_one_successor_province() {
        let u = Units::get();
        for p in u.legacy_provinces() {
            assert!(u.successor_province(&p.code).is_some(), "{}", p.code);
        }
        assert_eq!(
            u.successor_province("02").map(|p| p.code.as_str()),
            Some("08")
        );
    }

    #[test]
    fn dataset_version_is_stable() {
        assert_eq!(dataset_version(), dataset_version());
        assert!(dataset_version().starts_with("2025.07-"));
    }
}

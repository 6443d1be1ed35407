//! Free-text legacy address → 2025 address.
//!
//! An address is read from the right: province, then district (optional),
//! then commune; whatever stands before the commune is the street part and
//! is kept as written. Components are separated by commas (or semicolons);
//! when a component does not name a unit as a whole, a trailing run of words
//! that does is split off it, so addresses typed without commas work too.
//!
//! The converter never guesses: when the old commune was split among several
//! new communes, or the name fits several old communes whose successors
//! differ, the answer is `ambiguous` with every candidate.

use serde::Serialize;

use std::borrow::Cow;

use crate::fold::{self, Level, Reading};
use crate::{NameForms, Pass, Scoped, Units, narrow, readings_at};

/// The outcome of one conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ConversionStatus))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// One 2025 commune, and the formatted address.
    Converted,
    /// The old unit went to several 2025 communes: see the candidates.
    Ambiguous,
    /// No legacy commune could be recognised: see the reason.
    NotFound,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Converted => "converted",
            Status::Ambiguous => "ambiguous",
            Status::NotFound => "not_found",
        }
    }
}

/// A 2025 commune an address may now belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CandidateDto))]
pub struct Candidate {
    #[cfg_attr(feature = "openapi", schema(example = "00008"))]
    pub commune_code: String,
    #[cfg_attr(feature = "openapi", schema(example = "01"))]
    pub province_code: String,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Phường Ngọc Hà, Thành phố Hà Nội")
    )]
    pub name: String,
}

/// The legacy commune an address was recognised as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = LegacyRefDto))]
pub struct LegacyRef {
    pub commune_code: String,
    pub commune_name: String,
    pub district_code: String,
    pub district_name: String,
    pub province_code: String,
    pub province_name: String,
}

/// One address, converted (the same fields as `motcua units convert`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = ConversionResult))]
pub struct Conversion {
    /// The address as sent.
    pub input: String,
    pub status: Status,
    /// The 2025 province, when known (also for `ambiguous` within one
    /// province, and `not_found` whose province was recognised).
    #[cfg_attr(feature = "openapi", schema(example = "01"))]
    pub province_code: Option<String>,
    /// The 2025 commune; only when `converted`.
    #[cfg_attr(feature = "openapi", schema(example = "00097"))]
    pub commune_code: Option<String>,
    /// Every possible 2025 commune; only when `ambiguous`.
    pub candidates: Vec<Candidate>,
    /// `<street>, <commune>, <province>`; only when `converted`.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "Số 5 Hàng Bài, Phường Hồng Hà, Thành phố Hà Nội")
    )]
    pub address: Option<String>,
    /// The street or hamlet part, as written.
    pub street: Option<String>,
    /// The old commune was split: the new commune holds only part of it.
    pub partly_merged: bool,
    /// The legacy commune(s) recognised.
    pub legacy: Vec<LegacyRef>,
    /// Why the result is not a plain conversion, in words.
    pub reason: Option<String>,
}

/// Where the province component pointed.
struct ProvinceHit {
    /// legacy provinces named by the component
    primary: Vec<usize>,
    /// the other legacy provinces merged into the same new province
    siblings: Vec<usize>,
    /// the 2025 province
    new: Option<usize>,
}

/// Communes found for the components left of the province, and the street
/// part that stands before them.
struct Located {
    communes: Vec<usize>,
    street: String,
    /// legacy districts recognised, even when the commune was not
    districts: Vec<usize>,
    /// the component that should have named the commune, for the reason
    missing: Option<String>,
}

const COUNTRY: &[&str] = &["vietnam", "vn", "vietnamese", "socialistrepublicofvietnam"];

fn is_country(s: &str) -> bool {
    // every spelling starts with v or s: skip the folding otherwise
    matches!(s.trim_start().chars().next(), Some('v' | 'V' | 's' | 'S'))
        && COUNTRY.contains(&fold::key(s).as_str())
}

/// An address component: borrowed from the input, or rebuilt.
type Comp<'a> = Cow<'a, str>;

fn split_components(input: &str) -> Vec<Comp<'_>> {
    let mut parts: Vec<Comp<'_>> = input
        .split([',', ';', '|', '\n', '\r', '\t'])
        .map(|s| Cow::Borrowed(s.trim().trim_matches(|c: char| c == '-' || c == '.').trim()))
        .filter(|s| !s.is_empty())
        .collect();
    if parts.len() == 1 && parts[0].contains(" - ") {
        let whole = parts[0].clone();
        let dashed: Vec<&str> = whole
            .split(" - ")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        // keep "Bà Rịa - Vũng Tàu" whole
        let mut merged: Vec<Comp<'_>> = Vec::with_capacity(dashed.len());
        for p in dashed {
            if let Some(prev) = merged.last_mut()
                && fold::key(prev).ends_with("baria")
                && fold::key(p).starts_with("vungtau")
            {
                let joined = format!("{prev} - {p}");
                *prev = Cow::Owned(joined);
                continue;
            }
            merged.push(Cow::Owned(p.to_string()));
        }
        parts = merged;
    }
    parts
}

/// Token boundaries of a component: runs of non-space characters, also cut
/// after a dot (`TP.HCM` → `TP.`, `HCM`).
fn token_starts(s: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut in_token = false;
    let mut after_dot = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            in_token = false;
        } else if !in_token || after_dot {
            starts.push(i);
            in_token = true;
        }
        after_dot = c == '.';
    }
    starts
}

fn trim_street(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | ';' | '.'))
}

/// Splits off the longest trailing run of words (at most six, never the
/// whole component) that `find` recognises; with `require_type`, only runs
/// that start with a type word (`Phường …`, `Q. …`) are tried.
fn peel<T>(
    comp: &str,
    require_type: bool,
    find: impl Fn(&str) -> Option<T>,
) -> Option<(String, T)> {
    let starts = token_starts(comp);
    let n = starts.len();
    if n < 2 {
        return None;
    }
    for k in (1..n.min(7)).rev() {
        let at = starts[n - k];
        let suffix = &comp[at..];
        if require_type && fold::readings(suffix)[0].type_word.is_none() {
            continue;
        }
        if let Some(found) = find(suffix) {
            return Some((trim_street(&comp[..at]).to_string(), found));
        }
    }
    None
}

fn join_street(parts: &[Comp<'_>], extra: &str) -> String {
    let mut v: Vec<&str> = parts
        .iter()
        .map(|s| trim_street(s))
        .filter(|s| !s.is_empty())
        .collect();
    let extra = trim_street(extra);
    if !extra.is_empty() {
        v.push(extra);
    }
    v.join(", ")
}

fn non_empty(v: Vec<usize>) -> Option<Vec<usize>> {
    (!v.is_empty()).then_some(v)
}

impl Units {
    /// Converts one legacy address to the 2025 units.
    ///
    /// ```
    /// let u = units::Units::get();
    /// let c = u.convert("Số 5 Hàng Bài, P. Phúc Xá, Q. Ba Đình, Hà Nội");
    /// assert_eq!(c.status, units::Status::Converted);
    /// assert_eq!(c.commune_code.as_deref(), Some("00097"));
    /// assert_eq!(c.address.as_deref(), Some("Số 5 Hàng Bài, Phường Hồng Hà, Thành phố Hà Nội"));
    /// ```
    pub fn convert(&self, input: &str) -> Conversion {
        self.convert_with(input, true)
    }

    /// [`Units::convert`] without the legacy units it recognised
    /// (`legacy` stays empty): for bulk conversion that does not show them.
    pub fn convert_brief(&self, input: &str) -> Conversion {
        self.convert_with(input, false)
    }

    fn convert_with(&self, input: &str, with_legacy: bool) -> Conversion {
        // Written without any diacritic, the address says nothing about
        // them: "Nga Thanh" then fits Nga Thanh and Nga Thành alike.
        let marks = !input.is_ascii();
        let mut comps = split_components(input);
        while comps.last().is_some_and(|c| is_country(c)) {
            comps.pop();
        }
        if let Some(last) = comps.last_mut()
            && let Some((rest, ())) = peel(last, false, |s| is_country(s).then_some(()))
        {
            *last = Cow::Owned(rest);
        }
        if comps.is_empty() {
            return self.not_found(input, None, None, "the address is empty");
        }

        // 1. the province, from the last component (or the end of it)
        let mut province = None;
        if let Some(last) = comps.last() {
            if let Some(hit) = self.find_province(last) {
                comps.pop();
                province = Some(hit);
            } else if let Some((rest, hit)) = peel(last, false, |s| self.find_province(s)) {
                comps.pop();
                if !rest.is_empty() {
                    comps.push(Cow::Owned(rest));
                }
                province = Some(hit);
            }
        }
        let new_province = province.as_ref().and_then(|p| {
            p.new.or_else(|| {
                p.primary
                    .first()
                    .and_then(|&lp| self.index.new_province_of_legacy[lp])
            })
        });
        if comps.is_empty() {
            return self.not_found(
                input,
                new_province,
                None,
                "the address names a province but no commune",
            );
        }

        // 2. district and commune, first in the province named, then in the
        //    provinces merged with it, then (no province given) anywhere
        // Type words are first taken at their word ("Phường X" is a ward);
        // only when that finds nothing, neither legacy nor current, is a
        // same-named unit of another type accepted.
        let mut located = self.locate_in(&comps, province.as_ref(), Pass::strict(marks));
        if located.communes.is_empty() {
            if located.districts.is_empty()
                && let Some(c) = self.find_current(&comps, new_province, Pass::strict(marks))
            {
                return c.with_input(input);
            }
            let lenient = self.locate_in(&comps, province.as_ref(), Pass::lenient(marks));
            if !lenient.communes.is_empty() || located.districts.is_empty() {
                located = lenient;
            }
        }

        if located.communes.is_empty() {
            // An address already written in the 2025 units (no district).
            if located.districts.is_empty()
                && let Some(c) = self.find_current(&comps, new_province, Pass::lenient(marks))
            {
                return c.with_input(input);
            }
            let reason = match (&located.missing, located.districts.first()) {
                (Some(m), Some(&d)) => {
                    format!("no commune \"{m}\" in {}", self.legacy_districts[d].name)
                }
                (_, Some(&d)) => {
                    format!("no commune given in {}", self.legacy_districts[d].name)
                }
                _ => match comps.last() {
                    Some(c) if province.is_some() => format!("no commune \"{c}\" in the province"),
                    Some(c) => {
                        format!("\"{c}\" names no known commune, and no province was recognised")
                    }
                    None => "no commune recognised".to_string(),
                },
            };
            let np = new_province.or_else(|| {
                located.districts.first().and_then(|&d| {
                    let lp = self.legacy_province_by_code[&self.legacy_districts[d].province_code];
                    self.index.new_province_of_legacy[lp]
                })
            });
            return self.not_found(input, np, None, &reason);
        }
        self.finish(input, located.communes, located.street, with_legacy)
    }

    fn locate_in(&self, comps: &[Comp<'_>], province: Option<&ProvinceHit>, pass: Pass) -> Located {
        match province {
            Some(p) => {
                let first = self.locate(comps, Some(&p.primary), pass);
                if first.communes.is_empty() && !p.siblings.is_empty() {
                    let second = self.locate(comps, Some(&p.siblings), pass);
                    if second.communes.is_empty() {
                        first
                    } else {
                        second
                    }
                } else {
                    first
                }
            }
            None => self.locate(comps, None, pass),
        }
    }

    fn find_province(&self, comp: &str) -> Option<ProvinceHit> {
        for r in readings_at(comp, Level::Province) {
            let legacy = self
                .index
                .legacy_province
                .get(&r.key)
                .cloned()
                .unwrap_or_default();
            let new = self.index.province.get(&r.key).copied();
            if legacy.is_empty() && new.is_none() {
                continue;
            }
            let mut primary = legacy;
            let mut group: Vec<usize> = Vec::new();
            if let Some(np) = new {
                group.extend(&self.index.legacy_provinces_of[np]);
            }
            for &lp in &primary {
                if let Some(np) = self.index.new_province_of_legacy[lp] {
                    group.extend(&self.index.legacy_provinces_of[np]);
                }
            }
            if primary.is_empty() {
                // a 2025 name that no legacy province had
                primary = std::mem::take(&mut group);
            }
            let mut siblings: Vec<usize> =
                group.into_iter().filter(|g| !primary.contains(g)).collect();
            siblings.sort_unstable();
            siblings.dedup();
            return Some(ProvinceHit {
                primary,
                siblings,
                new,
            });
        }
        None
    }

    fn find_districts(&self, comp: &str, provinces: Option<&[usize]>, pass: Pass) -> Vec<usize> {
        self.first_found(
            comp,
            Level::District,
            pass,
            &self.index.legacy_district_forms,
            |r| {
                self.lookup(
                    r,
                    provinces,
                    &self.index.legacy_district,
                    &self.index.legacy_district_any,
                )
            },
        )
    }

    fn find_communes(&self, comp: &str, scope: Scope<'_>, pass: Pass) -> Vec<usize> {
        self.first_found(
            comp,
            Level::Commune,
            pass,
            &self.index.legacy_commune_forms,
            |r| match scope {
                Scope::Districts(ds) => within(ds, r, &self.index.legacy_commune_in_district),
                Scope::Provinces(ps) => self.lookup(
                    r,
                    ps,
                    &self.index.legacy_commune_in_province,
                    &self.index.legacy_commune_any,
                ),
            },
        )
    }

    /// What the first reading of `comp` as a unit of `level` finds: `find`
    /// looks a reading up, and what it finds is narrowed by the units'
    /// type words and marks.
    fn first_found(
        &self,
        comp: &str,
        level: Level,
        pass: Pass,
        forms: &NameForms,
        find: impl Fn(&Reading) -> Vec<usize>,
    ) -> Vec<usize> {
        for r in readings_at(comp, level) {
            let found = narrow(find(&r), comp, &r, pass, forms);
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    fn lookup(
        &self,
        r: &Reading,
        provinces: Option<&[usize]>,
        within_provinces: &hashbrown::HashMap<(usize, String), Vec<usize>>,
        anywhere: &hashbrown::HashMap<String, Vec<usize>>,
    ) -> Vec<usize> {
        match provinces {
            Some(ps) => within(ps, r, within_provinces),
            None => anywhere.get(&r.key).cloned().unwrap_or_default(),
        }
    }

    /// Finds the commune (through the district when there is one) in the
    /// components left of the province.
    fn locate(&self, comps: &[Comp<'_>], provinces: Option<&[usize]>, pass: Pass) -> Located {
        let n = comps.len();
        let last = &comps[n - 1];
        let mut located = Located {
            communes: Vec::new(),
            street: String::new(),
            districts: Vec::new(),
            missing: None,
        };

        // a) "…, commune, district"
        let districts = self.find_districts(last, provinces, pass);
        if !districts.is_empty() {
            if n >= 2 {
                let c = &comps[n - 2];
                if let Some(found) =
                    non_empty(self.find_communes(c, Scope::Districts(&districts), pass))
                {
                    located.communes = found;
                    located.street = join_street(&comps[..n - 2], "");
                    return located;
                }
                if let Some((rest, found)) = peel(c, true, |s| {
                    non_empty(self.find_communes(s, Scope::Districts(&districts), pass))
                }) {
                    located.communes = found;
                    located.street = join_street(&comps[..n - 2], &rest);
                    return located;
                }
                located.missing = Some(c.to_string());
            }
            located.districts = districts;
        }

        // b) "…, commune" with the district left out
        if let Some(found) = non_empty(self.find_communes(last, Scope::Provinces(provinces), pass))
        {
            located.communes = found;
            located.street = join_street(&comps[..n - 1], "");
            located.districts.clear();
            return located;
        }

        // c) "… commune district" in one component
        if located.districts.is_empty()
            && let Some((rest, districts)) = peel(last, true, |s| {
                non_empty(self.find_districts(s, provinces, pass))
            })
        {
            let whole = non_empty(self.find_communes(&rest, Scope::Districts(&districts), pass));
            if let Some(found) = whole {
                located.communes = found;
                located.street = join_street(&comps[..n - 1], "");
                return located;
            }
            if let Some((street, found)) = peel(&rest, true, |s| {
                non_empty(self.find_communes(s, Scope::Districts(&districts), pass))
            }) {
                located.communes = found;
                located.street = join_street(&comps[..n - 1], &street);
                return located;
            }
            located.missing = (!rest.is_empty()).then_some(rest);
            located.districts = districts;
            return located;
        }

        // d) "… commune" in one component, district left out
        if located.districts.is_empty()
            && let Some((rest, found)) = peel(last, true, |s| {
                non_empty(self.find_communes(s, Scope::Provinces(provinces), pass))
            })
        {
            located.communes = found;
            located.street = join_street(&comps[..n - 1], &rest);
        }
        located
    }

    /// An address that already uses the 2025 units: "…, commune, province".
    fn find_current(
        &self,
        comps: &[Comp<'_>],
        province: Option<usize>,
        pass: Pass,
    ) -> Option<Conversion> {
        let last = comps.last()?;
        let np = province?;
        for r in readings_at(last, Level::Commune) {
            let found = self
                .index
                .commune_in_province
                .get(&Scoped(np, &r.key))
                .cloned()
                .unwrap_or_default();
            let found = narrow(found, last, &r, pass, &self.index.commune_forms);
            if let [one] = found[..] {
                let c = &self.communes[one];
                let street = join_street(&comps[..comps.len() - 1], "");
                return Some(Conversion {
                    input: String::new(),
                    status: Status::Converted,
                    province_code: Some(c.province_code.clone()),
                    commune_code: Some(c.code.clone()),
                    candidates: Vec::new(),
                    address: Some(self.format_address(&street, one)),
                    street: (!street.is_empty()).then_some(street),
                    legacy: Vec::new(),
                    partly_merged: false,
                    reason: Some("already written in the 2025 units".to_string()),
                });
            }
        }
        None
    }

    fn format_address(&self, street: &str, commune: usize) -> String {
        let c = &self.communes[commune];
        let p = self
            .province(&c.province_code)
            .map(|p| p.name.as_str())
            .unwrap_or_default();
        if street.is_empty() {
            format!("{}, {}", c.name, p)
        } else {
            format!("{street}, {}, {}", c.name, p)
        }
    }

    fn legacy_ref(&self, i: usize) -> LegacyRef {
        let c = &self.legacy_communes[i];
        let d = self.legacy_district(&c.district_code);
        let p = self.legacy_province(&c.province_code);
        LegacyRef {
            commune_code: c.code.clone(),
            commune_name: c.name.clone(),
            district_code: c.district_code.clone(),
            district_name: d.map(|d| d.name.clone()).unwrap_or_default(),
            province_code: c.province_code.clone(),
            province_name: p.map(|p| p.name.clone()).unwrap_or_default(),
        }
    }

    /// A 2025 commune as a candidate.
    pub fn candidate(&self, commune_code: &str) -> Option<Candidate> {
        let c = self.commune(commune_code)?;
        let p = self.province(&c.province_code)?;
        Some(Candidate {
            commune_code: c.code.clone(),
            province_code: c.province_code.clone(),
            name: format!("{}, {}", c.name, p.name),
        })
    }

    fn finish(
        &self,
        input: &str,
        mut legacy: Vec<usize>,
        street: String,
        with_legacy: bool,
    ) -> Conversion {
        legacy.sort_unstable();
        legacy.dedup();
        let mut codes: Vec<(&str, bool)> = Vec::new();
        for &l in &legacy {
            for s in self.successors_at(l) {
                match codes.iter_mut().find(|(c, _)| *c == s.commune_code) {
                    Some(entry) => entry.1 |= s.partly_merged,
                    None => codes.push((&s.commune_code, s.partly_merged)),
                }
            }
        }
        codes.sort_unstable();
        let refs: Vec<LegacyRef> = if with_legacy {
            legacy.iter().map(|&l| self.legacy_ref(l)).collect()
        } else {
            Vec::new()
        };
        let street_opt = (!street.is_empty()).then(|| street.clone());
        match codes[..] {
            [] => {
                let mut c = self.not_found(
                    input,
                    None,
                    street_opt,
                    "the official conversion table has no successor for this commune",
                );
                c.legacy = refs;
                c
            }
            [(code, partly)] => {
                let i = self.commune_by_code[code];
                Conversion {
                    input: input.to_string(),
                    status: Status::Converted,
                    province_code: Some(self.communes[i].province_code.clone()),
                    commune_code: Some(code.to_string()),
                    candidates: Vec::new(),
                    address: Some(self.format_address(&street, i)),
                    street: street_opt,
                    legacy: refs,
                    partly_merged: partly,
                    reason: partly.then(|| {
                        "the old commune was partly merged; the official table names one successor"
                            .to_string()
                    }),
                }
            }
            _ => {
                let candidates: Vec<Candidate> = codes
                    .iter()
                    .filter_map(|(c, _)| self.candidate(c))
                    .collect();
                let province_code = candidates.first().and_then(|f| {
                    candidates
                        .iter()
                        .all(|c| c.province_code == f.province_code)
                        .then(|| f.province_code.clone())
                });
                let reason = if legacy.len() == 1 {
                    format!(
                        "{} was split among {} new communes: the street or hamlet decides which",
                        self.legacy_communes[legacy[0]].name,
                        candidates.len()
                    )
                } else {
                    format!(
                        "the name fits {} legacy communes (add the district to tell them apart), which went to {} new communes",
                        legacy.len(),
                        candidates.len()
                    )
                };
                Conversion {
                    input: input.to_string(),
                    status: Status::Ambiguous,
                    province_code,
                    commune_code: None,
                    candidates,
                    address: None,
                    street: street_opt,
                    legacy: refs,
                    partly_merged: codes.iter().any(|(_, p)| *p),
                    reason: Some(reason),
                }
            }
        }
    }

    fn not_found(
        &self,
        input: &str,
        province: Option<usize>,
        street: Option<String>,
        reason: &str,
    ) -> Conversion {
        Conversion {
            input: input.to_string(),
            status: Status::NotFound,
            province_code: province.map(|p| self.provinces[p].code.clone()),
            commune_code: None,
            candidates: Vec::new(),
            address: None,
            street,
            legacy: Vec::new(),
            partly_merged: false,
            reason: Some(reason.to_string()),
        }
    }
}

#[derive(Clone, Copy)]
enum Scope<'a> {
    Districts(&'a [usize]),
    Provinces(Option<&'a [usize]>),
}

impl Conversion {
    fn with_input(mut self, input: &str) -> Self {
        self.input = input.to_string();
        self
    }
}

/// The units filed under `r`'s key in any of the scopes `ids`.
fn within(
    ids: &[usize],
    r: &Reading,
    map: &hashbrown::HashMap<(usize, String), Vec<usize>>,
) -> Vec<usize> {
    let mut v = Vec::new();
    for &id in ids {
        if let Some(f) = map.get(&Scoped(id, &r.key)) {
            v.extend(f);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(s: &str) -> Conversion {
        Units::get().convert(s)
    }

    #[test]
    fn converts_a_full_address_with_street() {
        let c = conv("Số 12 ngõ 5 Phó Đức Chính, Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội");
        assert_eq!(c.status, Status::Converted, "{c:?}");
        assert_eq!(c.commune_code.as_deref(), Some("00097"));
        assert_eq!(c.province_code.as_deref(), Some("01"));
        assert_eq!(
            c.address.as_deref(),
            Some("Số 12 ngõ 5 Phó Đức Chính, Phường Hồng Hà, Thành phố Hà Nội")
        );
        assert_eq!(c.street.as_deref(), Some("Số 12 ngõ 5 Phó Đức Chính"));
        assert_eq!(c.legacy[0].commune_code, "00001");
    }

    #[test]
    fn converts_abbreviated_and_unaccented_forms() {
        for s in [
            "P. Phúc Xá, Q. Ba Đình, TP. Hà Nội",
            "phuong phuc xa, quan ba dinh, ha noi",
            "Phuc Xa, Ba Dinh, HN",
            "Phúc Xá, Hà Nội",
            "P.Phúc Xá Q.Ba Đình TP.Hà Nội",
            "phuong phuc xa quan ba dinh ha noi viet nam",
            "Phường Phúc Xá - Quận Ba Đình - Hà Nội",
        ] {
            let c = conv(s);
            assert_eq!(c.commune_code.as_deref(), Some("00097"), "{s}: {c:?}");
        }
    }

    #[test]
    fn split_commune_is_ambiguous_with_every_candidate() {
        let c = conv("Phường Cống Vị, Quận Ba Đình, Hà Nội");
        assert_eq!(c.status, Status::Ambiguous);
        let codes: Vec<_> = c
            .candidates
            .iter()
            .map(|c| c.commune_code.as_str())
            .collect();
        assert_eq!(codes, ["00008", "00025"]);
        assert_eq!(c.commune_code, None);
        assert_eq!(c.address, None);
        assert_eq!(c.province_code.as_deref(), Some("01"));
        assert!(c.partly_merged);
    }

    #[test]
    fn ho_chi_minh_city_short_forms() {
        for s in [
            "12 Nguyễn Huệ, Phường Bến Nghé, Quận 1, TP.HCM",
            "12 Nguyễn Huệ, P. Bến Nghé, Q1, HCM",
            "12 Nguyễn Huệ, Bến Nghé, Quận 1, Sài Gòn",
            "12 Nguyen Hue, phuong Ben Nghe, quan 1, tp ho chi minh",
        ] {
            let c = conv(s);
            assert_ne!(c.status, Status::NotFound, "{s}: {c:?}");
            assert_eq!(c.province_code.as_deref(), Some("79"), "{s}");
            assert_eq!(c.legacy[0].commune_code, "26740", "{s}");
        }
    }

    #[test]
    fn numbered_wards_with_leading_zeros() {
        let a = conv("Phường 01, Quận 3, TP. Hồ Chí Minh");
        let b = conv("P1, Q3, HCM");
        assert_ne!(a.status, Status::NotFound, "{a:?}");
        assert_eq!(a.legacy, b.legacy);
        assert_eq!(a.legacy[0].district_name, "Quận 3");
    }

    #[test]
    fn not_found_names_the_reason_and_keeps_the_province() {
        let c = conv("Phường Không Có, Quận Ba Đình, Hà Nội");
        assert_eq!(c.status, Status::NotFound);
        assert_eq!(c.province_code.as_deref(), Some("01"));
        assert!(c.reason.as_deref().unwrap_or("").contains("Ba Đình"));
        for s in ["", "   ", ",,,", "hello world", "\u{0}\u{1}", "Việt Nam"] {
            assert_eq!(conv(s).status, Status::NotFound, "{s:?}");
        }
    }

    #[test]
    fn same_named_thi_tran_and_xa_are_told_apart_by_type() {
        let tt = conv("Thị trấn Yên Viên, Huyện Gia Lâm, Hà Nội");
        let xa = conv("Xã Yên Viên, Huyện Gia Lâm, Hà Nội");
        assert_eq!(tt.legacy.len(), 1);
        assert_eq!(tt.legacy[0].commune_code, "00526");
        assert_eq!(xa.legacy[0].commune_code, "00532");
    }

    #[test]
    fn already_current_addresses_pass_through() {
        // Hồng Hà is a 2025 ward of Hà Nội that no legacy commune there was
        // called.
        let c = conv("1 Hoàng Diệu, Phường Hồng Hà, Thành phố Hà Nội");
        assert_eq!(c.status, Status::Converted, "{c:?}");
        assert_eq!(c.commune_code.as_deref(), Some("00097"));
        assert_eq!(
            c.address.as_deref(),
            Some("1 Hoàng Diệu, Phường Hồng Hà, Thành phố Hà Nội")
        );
        // a legacy name that the 2025 list reuses is read as legacy first:
        // Ngọc Hà was split, so that is ambiguous, never silently current
        let c = conv("Phường Ngọc Hà, Thành phố Hà Nội");
        assert_eq!(c.status, Status::Ambiguous, "{c:?}");
    }

    #[test]
    fn merged_province_name_still_finds_the_old_commune() {
        // Hà Giang merged into Tuyên Quang: an old commune written with the
        // new province name is still found.
        let u = Units::get();
        let c = u
            .legacy_communes()
            .iter()
            .find(|c| c.province_code == "02" && u.successors(&c.code).map(|s| s.len()) == Some(1))
            .expect("a Hà Giang commune");
        let d = u.legacy_district(&c.district_code).expect("district");
        let r = conv(&format!("{}, {}, Tỉnh Tuyên Quang", c.name, d.name));
        assert_eq!(r.status, Status::Converted, "{r:?}");
        assert_eq!(r.legacy[0].commune_code, c.code);
    }
}

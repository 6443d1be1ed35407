//! The procedure catalog: each administrative procedure with its competent
//! level and authority, its legal time limit and afternoon cut-off, its
//! fees and exemptions, the documents it needs (and which of them the
//! state already holds, so that the applicant is never asked for them),
//! its form as JSON Schema, the result it issues and the law it rests on.
//!
//! The official catalog ships as data (`data/procedures.json`, each entry
//! naming its legal basis and the pages its facts were checked against)
//! and is checked in full when it is read: codes, forms, prefill sources,
//! cut-offs.

use std::collections::HashMap;
use std::sync::OnceLock;

use calendar::{CalendarError, Cutoff, WorkingCalendar, WorkingDays};
use chrono::{DateTime, Duration, FixedOffset, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::form::{FormSchema, SchemaError};
use crate::timeline::{Timeline, TimelineError};

/// The catalog as shipped.
const OFFICIAL: &str = include_str!("../data/procedures.json");

/// The level of government competent for a procedure (two-level local
/// government since 1 July 2025).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The commune (xã, phường, đặc khu): its People's Committee, police …
    Commune,
    /// The province: its departments, police, service centre.
    Province,
    /// A ministry or another central body.
    Ministry,
}

impl Level {
    /// In Vietnamese.
    pub fn name_vi(self) -> &'static str {
        match self {
            Level::Commune => "Cấp xã",
            Level::Province => "Cấp tỉnh",
            Level::Ministry => "Cấp trung ương",
        }
    }

    /// In English.
    pub fn name_en(self) -> &'static str {
        match self {
            Level::Commune => "Commune",
            Level::Province => "Province",
            Level::Ministry => "Central",
        }
    }
}

/// How a time limit is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DaysKind {
    /// Working days ("ngày làm việc").
    Working,
    /// Days ("ngày"): calendar days; a period whose last day is a day off
    /// ends at the close of the next working day (Civil Code 2015 Art. 148).
    Calendar,
}

/// A fee or charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    /// Its name in Vietnamese.
    pub name_vi: String,
    /// Its name in English.
    pub name_en: String,
    /// The amount in đồng at a counter; `None` where each province's
    /// People's Council sets it.
    pub amount_vnd: Option<u64>,
    /// The amount when filed online, where it differs.
    pub online_amount_vnd: Option<u64>,
    /// Caveats, in Vietnamese.
    #[serde(default)]
    pub note_vi: Option<String>,
    /// Caveats, in English.
    #[serde(default)]
    pub note_en: Option<String>,
}

/// Where the state already holds a document, so that nobody asks the
/// applicant for it (the once-only principle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HeldBy {
    /// The applicant's identity and residence in the population database.
    #[serde(rename = "registry.person")]
    RegistryPerson,
    /// The household in the population database.
    #[serde(rename = "registry.household")]
    RegistryHousehold,
    /// A civil-status record (a birth, a marriage …).
    #[serde(rename = "registry.civil_status")]
    RegistryCivilStatus,
    /// The birth notice a hospital sends.
    #[serde(rename = "hospital.birth_notice")]
    HospitalBirthNotice,
    /// The death notice a hospital sends.
    #[serde(rename = "hospital.death_notice")]
    HospitalDeathNotice,
    /// The national business registration database.
    #[serde(rename = "business.registry")]
    BusinessRegistry,
    /// Social insurance.
    #[serde(rename = "social_insurance")]
    SocialInsurance,
}

impl HeldBy {
    /// The holder, in Vietnamese.
    pub fn name_vi(self) -> &'static str {
        match self {
            HeldBy::RegistryPerson | HeldBy::RegistryHousehold => {
                "Cơ sở dữ liệu quốc gia về dân cư"
            }
            HeldBy::RegistryCivilStatus => "Cơ sở dữ liệu hộ tịch điện tử",
            HeldBy::HospitalBirthNotice => "Giấy chứng sinh điện tử do cơ sở y tế gửi",
            HeldBy::HospitalDeathNotice => "Giấy báo tử điện tử do cơ sở y tế gửi",
            HeldBy::BusinessRegistry => "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp",
            HeldBy::SocialInsurance => "Cơ sở dữ liệu bảo hiểm xã hội",
        }
    }

    /// The holder, in English.
    pub fn name_en(self) -> &'static str {
        match self {
            HeldBy::RegistryPerson | HeldBy::RegistryHousehold => {
                "the National Population Database"
            }
            HeldBy::RegistryCivilStatus => "the electronic civil status database",
            HeldBy::HospitalBirthNotice => "the electronic birth notice from the hospital",
            HeldBy::HospitalDeathNotice => "the electronic death notice from the hospital",
            HeldBy::BusinessRegistry => "the national business registration database",
            HeldBy::SocialInsurance => "the social insurance database",
        }
    }
}

/// A document a procedure needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Its key within the procedure (attachments name it).
    pub key: String,
    /// Its name in Vietnamese.
    pub name_vi: String,
    /// Its name in English.
    pub name_en: String,
    /// Whether it must be there.
    pub required: bool,
    /// Where the state already holds it; `None`: the applicant provides it.
    pub held_by_state: Option<HeldBy>,
}

/// One administrative procedure.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// Our stable code (lowercase letters, digits, hyphens).
    pub code: String,
    /// Its place (1 first) among the services people use most, which the
    /// portal's home page offers first; `None` for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<u8>,
    /// Its code in the National Database of Administrative Procedures,
    /// where known.
    #[serde(default)]
    pub national_code: Option<String>,
    /// Name in Vietnamese.
    pub name_vi: String,
    /// Name in English.
    pub name_en: String,
    /// Field (lĩnh vực) in Vietnamese.
    pub field_vi: String,
    /// Field in English.
    pub field_en: String,
    /// The competent level.
    pub level: Level,
    /// The competent authority's kind at that level (`ubnd`, `cong-an`,
    /// `tu-phap` …); with the place it names the agency.
    pub authority: String,
    /// The authority in Vietnamese.
    pub authority_vi: String,
    /// The authority in English.
    pub authority_en: String,
    /// The legal time limit (0: on the day of receipt).
    pub working_days: u32,
    /// How the time limit counts.
    pub days_kind: DaysKind,
    /// Receipts after this time count from the next working day.
    #[serde(with = "hhmm")]
    pub cutoff: Option<NaiveTime>,
    /// Fees and charges.
    pub fees: Vec<Fee>,
    /// Who is exempt, in Vietnamese.
    pub exemptions_vi: Vec<String>,
    /// Who is exempt, in English.
    pub exemptions_en: Vec<String>,
    /// The documents.
    pub documents: Vec<Document>,
    /// The form, as JSON Schema (kept as written: its fields' order is the
    /// form's).
    pub form: Box<serde_json::value::RawValue>,
    /// The result issued, in Vietnamese.
    pub result_vi: String,
    /// The result issued, in English.
    pub result_en: String,
    /// The law it rests on.
    pub legal_basis: Vec<String>,
    /// Where its facts were checked.
    pub sources: Vec<String>,
    /// Caveats, in Vietnamese.
    #[serde(default)]
    pub note_vi: Option<String>,
    /// Caveats, in English.
    #[serde(default)]
    pub note_en: Option<String>,
    #[serde(skip)]
    schema: Option<FormSchema>,
    #[serde(skip)]
    search_text: String,
    /// The names (both languages), folded, for ranking.
    #[serde(skip)]
    search_names: [String; 2],
}

impl Procedure {
    /// The compiled form (checked when the catalog was read).
    pub fn schema(&self) -> &FormSchema {
        // every procedure in a catalog has gone through `Catalog::from_json`,
        // which compiles it; a procedure built by hand has an empty form
        static EMPTY: OnceLock<FormSchema> = OnceLock::new();
        self.schema
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(FormSchema::empty))
    }

    /// The documents the applicant must provide (those the state holds
    /// left out).
    pub fn documents_to_provide(&self) -> impl Iterator<Item = &Document> {
        self.documents.iter().filter(|d| d.held_by_state.is_none())
    }

    /// The cut-off in force (the office's close when the law sets none).
    pub fn cutoff(&self) -> Cutoff {
        self.cutoff
            .and_then(|t| Cutoff::new(t).ok())
            .unwrap_or_else(Cutoff::office_close)
    }

    /// The legal due instant of a dossier with `timeline` at `now`: `None`
    /// before receipt.
    pub fn due(
        &self,
        calendar: &WorkingCalendar<'_>,
        timeline: &Timeline,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<DateTime<FixedOffset>>, TimelineError> {
        // "on the day" is the first counted day
        let n = self.working_days.max(1);
        match self.days_kind {
            DaysKind::Working => {
                let days = WorkingDays::new(i64::from(n))?;
                timeline.due(calendar, days, self.cutoff(), now)
            }
            DaysKind::Calendar => {
                let Some(received) = timeline.received_at() else {
                    return Ok(None);
                };
                let first = calendar.first_counted_day(received, self.cutoff())?;
                // as for working days: the days strictly between a pause's
                // start and end are not counted, nor its last day when the
                // dossier came back after the cut-off
                let cutoff = self.cutoff().time();
                let paused_days: i64 = timeline
                    .pauses(now)?
                    .iter()
                    .map(|p| {
                        let between = (p.to().date_naive() - p.from().date_naive()).num_days() - 1;
                        between.max(0)
                            + i64::from(
                                p.to().time() > cutoff
                                    && p.to().date_naive() > p.from().date_naive(),
                            )
                    })
                    .sum();
                let mut last = first
                    .checked_add_signed(Duration::days(i64::from(n) - 1 + paused_days))
                    .ok_or(CalendarError::DateOutOfRange(first))?;
                if !calendar.is_working_day(last)? {
                    last = calendar.next_working_day(last)?;
                }
                let close = NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN);
                Ok(last
                    .and_time(close)
                    .and_local_timezone(received.timezone())
                    .single())
            }
        }
    }

    /// The time limit in words.
    pub fn time_limit_vi(&self) -> String {
        match (self.working_days, self.days_kind) {
            (0, _) => "Trong ngày làm việc".to_string(),
            (n, DaysKind::Working) => format!("{n} ngày làm việc"),
            (n, DaysKind::Calendar) => format!("{n} ngày"),
        }
    }

    /// The time limit in English words.
    pub fn time_limit_en(&self) -> String {
        match (self.working_days, self.days_kind) {
            (0, _) => "Within the working day".to_string(),
            (1, DaysKind::Working) => "1 working day".to_string(),
            (n, DaysKind::Working) => format!("{n} working days"),
            (n, DaysKind::Calendar) => format!("{n} days"),
        }
    }
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<NaiveTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.format("%H:%M").to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| {
            NaiveTime::parse_from_str(&s, "%H:%M")
                .map_err(|_| serde::de::Error::custom(format!("a cut-off is HH:MM, got {s:?}")))
        })
        .transpose()
    }
}

/// Why a catalog was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Not the catalog's JSON.
    #[error("the procedure catalog is not valid: {0}")]
    Json(String),
    /// A code with the wrong shape.
    #[error("procedure code {0:?}: use lowercase letters, digits and hyphens (at most 64)")]
    Code(String),
    /// A code used twice.
    #[error("procedure code {0:?} is used twice")]
    Duplicate(String),
    /// A form that cannot be used.
    #[error("the form of procedure {code}: {error}")]
    Form {
        /// The procedure.
        code: String,
        /// What is wrong.
        error: SchemaError,
    },
    /// A form without the place to file.
    #[error(
        "the form of procedure {0} has no \"place\" (the commune or province code where it is filed)"
    )]
    NoPlace(String),
    /// Two procedures in one place among the commonly used ones.
    #[error("procedures {0} and {1} are both featured at place {2}")]
    FeaturedTwice(String, String, u8),
    /// Two documents with one key.
    #[error("procedure {code} lists document {key:?} twice")]
    DuplicateDocument {
        /// The procedure.
        code: String,
        /// The key.
        key: String,
    },
    /// A procedure with no legal basis.
    #[error("procedure {0} names no legal basis")]
    NoLegalBasis(String),
}

/// A set of procedures, searchable.
#[derive(Debug, Clone)]
pub struct Catalog {
    procedures: Vec<Procedure>,
    by_code: HashMap<String, usize>,
}

fn valid_code(code: &str) -> bool {
    (1..=64).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-')
}

impl Catalog {
    /// The catalog shipped with motcua, read and checked on first use.
    pub fn official() -> Result<&'static Catalog, CatalogError> {
        static CATALOG: OnceLock<Result<Catalog, CatalogError>> = OnceLock::new();
        CATALOG
            .get_or_init(|| Catalog::from_json(OFFICIAL))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Reads and checks a catalog.
    pub fn from_json(json: &str) -> Result<Catalog, CatalogError> {
        let mut procedures: Vec<Procedure> =
            serde_json::from_str(json).map_err(|e| CatalogError::Json(e.to_string()))?;
        let mut by_code = HashMap::new();
        let mut featured: HashMap<u8, String> = HashMap::new();
        for (i, p) in procedures.iter_mut().enumerate() {
            if let Some(place) = p.featured
                && let Some(other) = featured.insert(place, p.code.clone())
            {
                return Err(CatalogError::FeaturedTwice(other, p.code.clone(), place));
            }
            if !valid_code(&p.code) {
                return Err(CatalogError::Code(p.code.clone()));
            }
            if by_code.insert(p.code.clone(), i).is_some() {
                return Err(CatalogError::Duplicate(p.code.clone()));
            }
            if p.legal_basis.is_empty() {
                return Err(CatalogError::NoLegalBasis(p.code.clone()));
            }
            let mut keys = std::collections::HashSet::new();
            for d in &p.documents {
                if !keys.insert(d.key.as_str()) {
                    return Err(CatalogError::DuplicateDocument {
                        code: p.code.clone(),
                        key: d.key.clone(),
                    });
                }
            }
            let schema = FormSchema::compile(p.form.get()).map_err(|error| CatalogError::Form {
                code: p.code.clone(),
                error,
            })?;
            if schema.field("place").is_none() {
                return Err(CatalogError::NoPlace(p.code.clone()));
            }
            p.schema = Some(schema);
            p.search_names = [
                units::fold::words(&p.name_vi),
                units::fold::words(&p.name_en),
            ];
            p.search_text = units::fold::words(&format!(
                "{} {} {} {} {} {}",
                p.name_vi, p.name_en, p.field_vi, p.field_en, p.result_vi, p.code
            ));
        }
        Ok(Catalog {
            procedures,
            by_code,
        })
    }

    /// Every procedure, in catalog order.
    pub fn procedures(&self) -> &[Procedure] {
        &self.procedures
    }

    /// The services people use most, in their featured order.
    pub fn featured(&self) -> Vec<&Procedure> {
        let mut featured: Vec<&Procedure> = self
            .procedures
            .iter()
            .filter(|p| p.featured.is_some())
            .collect();
        featured.sort_by_key(|p| p.featured);
        featured
    }

    /// A procedure by code.
    pub fn get(&self, code: &str) -> Option<&Procedure> {
        self.by_code.get(code).map(|&i| &self.procedures[i])
    }

    /// The procedure another system means by `code` and `name` (the
    /// national profile's `MaTTHC` and `TenTTHC`): ours by code, or by its
    /// code in the national database, or, when neither is known here, the
    /// one whose Vietnamese name is `name` (case, diacritics and spacing
    /// aside). `None` when none is, or when the name is ambiguous.
    pub fn referred(&self, code: &str, name: &str) -> Option<&Procedure> {
        let code = code.trim();
        if let Some(p) = self.get(code) {
            return Some(p);
        }
        if !code.is_empty()
            && let Some(p) = self
                .procedures
                .iter()
                .find(|p| p.national_code.as_deref() == Some(code))
        {
            return Some(p);
        }
        let name = units::fold::words(name);
        if name.is_empty() {
            return None;
        }
        let mut named = self.procedures.iter().filter(|p| p.search_names[0] == name);
        match (named.next(), named.next()) {
            (Some(p), None) => Some(p),
            _ => None,
        }
    }

    /// The procedures matching `query`, best first: every word of the
    /// query (diacritics, case and tone-mark placement ignored) begins a
    /// word of the procedure's name, field, result or code; matches in
    /// the name rank first. An empty query gives every procedure.
    pub fn search(&self, query: &str) -> Vec<&Procedure> {
        let q = units::fold::words(query);
        let words: Vec<&str> = q.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            return self.procedures.iter().collect();
        }
        let mut hits: Vec<(u32, usize, &Procedure)> = Vec::new();
        for (i, p) in self.procedures.iter().enumerate() {
            let text: Vec<&str> = p.search_text.split(' ').collect();
            let [name, name_en] = &p.search_names;
            let name_words: Vec<&str> = name.split(' ').chain(name_en.split(' ')).collect();
            if !words.iter().all(|w| text.iter().any(|t| t.starts_with(w))) {
                continue;
            }
            let in_name = words
                .iter()
                .filter(|w| name_words.iter().any(|t| t.starts_with(**w)))
                .count() as u32;
            let whole = u32::from(name.contains(&q) || name_en.contains(&q));
            hits.push((whole * 100 + in_name, i, p));
        }
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        hits.into_iter().map(|(_, _, p)| p).collect()
    }
}

#[cfg(test)]
pub(crate) mod tests;

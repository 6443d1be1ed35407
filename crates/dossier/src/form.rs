//! A procedure's form: a JSON Schema (draft 2020-12) object of flat
//! fields, compiled once, used to render the form, to pre-fill it from the
//! state's data and to check what an applicant submits.
//!
//! Only the keywords a flat form needs are understood — `type` (`string`,
//! `integer`, `boolean`), `enum`, `format: date`, `minLength`,
//! `maxLength`, `pattern`, `minimum`, `maximum`, `title`, `description`,
//! `default` — plus motcua's own: `x-title-en` (the English label),
//! `x-prefill` (the registry field that fills it), `x-not-after: "today"`
//! (a date of something that has happened — a birth, a death, a marriage:
//! never later than the day the form is checked, in Vietnam) and
//! `x-party: true` (a personal identification number naming a person the
//! dossier is about, besides its applicant — see
//! [`FormSchema::parties`]). A schema using any other keyword is refused
//! when the catalog is read rather than silently half-checked.
//!
//! Every text is checked for the characters free text may not hold
//! ([`crate::text`]): control characters and direction overrides.

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value};

/// Where a pre-filled field's value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PrefillSource {
    /// Whose record: `applicant` or `spouse`.
    pub whom: Whom,
    /// The field of the registry's `person.get` service.
    pub field: String,
}

/// Whose registry record fills a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Whom {
    /// The applicant.
    Applicant,
    /// The applicant's spouse on record.
    Spouse,
}

/// The registry fields a form may be filled from.
pub const PREFILL_FIELDS: [&str; 9] = [
    "person_id",
    "full_name",
    "birth_date",
    "sex",
    "nationality",
    "ethnicity",
    "permanent_residence",
    "temporary_residence",
    "hometown",
];

/// A field's kind.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FieldKind {
    /// Text.
    Text {
        /// Fewest characters.
        min_length: Option<usize>,
        /// Most characters.
        max_length: Option<usize>,
        /// A pattern the text must match.
        #[serde(skip)]
        pattern: Option<Regex>,
        /// The pattern's source.
        pattern_source: Option<String>,
    },
    /// A day, `YYYY-MM-DD`.
    Date {
        /// Never later than the day the form is checked (`x-not-after:
        /// "today"`): the date of something that has happened.
        not_after_today: bool,
    },
    /// One of a list.
    Choice {
        /// The choices.
        options: Vec<String>,
    },
    /// A whole number.
    Integer {
        /// Smallest.
        minimum: Option<i64>,
        /// Largest.
        maximum: Option<i64>,
    },
    /// Yes or no.
    Boolean,
}

/// One field of a form.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Its key.
    pub key: String,
    /// Its label in Vietnamese.
    pub title_vi: String,
    /// Its label in English.
    pub title_en: String,
    /// Guidance.
    pub description: Option<String>,
    /// Whether it must be filled.
    pub required: bool,
    /// Its kind and constraints.
    pub kind: FieldKind,
    /// Where the state's data fills it from.
    pub prefill: Option<PrefillSource>,
    /// It names, by their personal identification number, a person the
    /// dossier is about (`x-party`).
    pub party: bool,
    /// The fields holding days (or years) this date comes after
    /// (`x-after`: a child is born after its parents).
    pub after: Vec<String>,
    /// For a birth date, the ages in full years the procedure takes, on
    /// the day the form is checked (`x-age: {"min": 18}`, `{"max": 5}`).
    pub age: Option<AgeRange>,
    /// For a birth date, the ages taken by the value of a choice field
    /// (`x-age: {"by": "applicant_sex", "ranges": {"Nam": {"min": 20},
    /// "Nữ": {"min": 18}}}`: the ages of marriage).
    pub age_by: Option<AgeBy>,
}

/// Ages that depend on another field's choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeBy {
    /// The choice field.
    pub field: String,
    /// The ages each of its options takes (every option has its own).
    pub ranges: Vec<(String, AgeRange)>,
}

/// The ages a procedure takes, in full years, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgeRange {
    /// Youngest.
    pub min: Option<u32>,
    /// Oldest.
    pub max: Option<u32>,
}

/// `{"min": years, "max": years}` of `x-age` (either may be left out, not
/// both).
fn age_range(key: &str, range: &Map<String, Value>) -> Result<AgeRange, SchemaError> {
    let bound = |k: &str| match range.get(k) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= 150)
            .map(Some)
            .ok_or_else(|| invalid(key, format!("x-age {k} is a whole number of years"))),
    };
    if range.keys().any(|k| k != "min" && k != "max") {
        return Err(invalid(key, "x-age takes min and max"));
    }
    let (min, max) = (bound("min")?, bound("max")?);
    if min.is_none() && max.is_none() || min.zip(max).is_some_and(|(a, b)| a > b) {
        return Err(invalid(key, "x-age needs min, max, or min not above max"));
    }
    Ok(AgeRange { min, max })
}

impl AgeRange {
    /// Why someone born on `birth` is not of these ages on `today`, in
    /// both languages.
    fn refusal(self, birth: NaiveDate, today: NaiveDate) -> Option<(String, String)> {
        let age = age_on(birth, today);
        match (self.min, self.max) {
            (Some(min), _) if age < min as i32 => Some((
                format!("thủ tục dành cho người từ đủ {min} tuổi (nay {age} tuổi)"),
                format!("the procedure is for people aged {min} or more (now {age})"),
            )),
            (_, Some(max)) if age > max as i32 => Some((
                format!("thủ tục dành cho người chưa quá {max} tuổi (nay {age} tuổi)"),
                format!("the procedure is for people aged at most {max} (now {age})"),
            )),
            _ => None,
        }
    }
}

/// Full years from `birth` to `on`.
fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// Why a schema cannot be used as a form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// Not an object schema with properties.
    #[error("a form is a JSON Schema with \"type\": \"object\" and \"properties\"")]
    NotObject,
    /// A keyword motcua does not check.
    #[error("field {field:?} uses {keyword:?}, which forms do not support")]
    Unsupported {
        /// The field (empty: the form itself).
        field: String,
        /// The keyword.
        keyword: String,
    },
    /// A keyword with a value of the wrong kind.
    #[error("field {field:?}: {reason}")]
    Invalid {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// Why a submitted value was refused: a field and a reason an applicant
/// can act on, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's key (empty for the form as a whole).
    pub field: String,
    /// The reason in Vietnamese.
    pub reason_vi: String,
    /// The reason in English.
    pub reason_en: String,
}

/// A compiled form.
#[derive(Debug, Clone, Default)]
pub struct FormSchema {
    fields: Vec<Field>,
}

fn invalid(field: &str, reason: impl Into<String>) -> SchemaError {
    SchemaError::Invalid {
        field: field.to_string(),
        reason: reason.into(),
    }
}

fn usize_of(field: &str, key: &str, v: &Value) -> Result<usize, SchemaError> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| invalid(field, format!("{key} is a non-negative whole number")))
}

fn parse_prefill(field: &str, v: &Value) -> Result<PrefillSource, SchemaError> {
    let s = v
        .as_str()
        .ok_or_else(|| invalid(field, "x-prefill is a text"))?;
    let (whom, what) = s
        .split_once('.')
        .ok_or_else(|| invalid(field, format!("x-prefill {s:?} is WHOM.FIELD")))?;
    let whom = match whom {
        "applicant" => Whom::Applicant,
        "spouse" => Whom::Spouse,
        _ => {
            return Err(invalid(
                field,
                format!("x-prefill {s:?}: applicant or spouse"),
            ));
        }
    };
    if !PREFILL_FIELDS.contains(&what) {
        return Err(invalid(
            field,
            format!(
                "x-prefill {s:?}: the registry gives {}",
                PREFILL_FIELDS.join(", ")
            ),
        ));
    }
    Ok(PrefillSource {
        whom,
        field: what.to_string(),
    })
}

impl FormSchema {
    /// A form with no fields.
    pub fn empty() -> Self {
        FormSchema::default()
    }

    /// Compiles a schema (its JSON text: the fields keep the order they
    /// are written in), refusing what forms do not support.
    pub fn compile(text: &str) -> Result<FormSchema, SchemaError> {
        #[derive(serde::Deserialize)]
        struct Order {
            properties: indexmap::IndexMap<String, serde::de::IgnoredAny>,
        }
        let schema: Value = serde_json::from_str(text).map_err(|_| SchemaError::NotObject)?;
        let order: Vec<String> = serde_json::from_str::<Order>(text)
            .map_err(|_| SchemaError::NotObject)?
            .properties
            .into_keys()
            .collect();
        let obj = schema.as_object().ok_or(SchemaError::NotObject)?;
        if obj.get("type").and_then(Value::as_str) != Some("object") {
            return Err(SchemaError::NotObject);
        }
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "type"
                    | "properties"
                    | "required"
                    | "additionalProperties"
                    | "title"
                    | "description"
                    | "$schema"
                    | "x-title-en"
            ) {
                return Err(SchemaError::Unsupported {
                    field: String::new(),
                    keyword: key.clone(),
                });
            }
        }
        if obj
            .get("additionalProperties")
            .is_some_and(|v| v != &Value::Bool(false))
        {
            return Err(invalid("", "additionalProperties must be false"));
        }
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .ok_or(SchemaError::NotObject)?;
        let required: Vec<&str> = match obj.get("required") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or_else(|| invalid("", "required lists field names"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(invalid("", "required is a list of field names")),
        };
        for r in &required {
            if !props.contains_key(*r) {
                return Err(invalid(r, "is required but not described"));
            }
        }
        let mut fields = Vec::with_capacity(props.len());
        for key in &order {
            let Some(spec) = props.get(key) else {
                continue;
            };
            fields.push(Self::compile_field(
                key,
                spec,
                required.contains(&key.as_str()),
            )?);
        }
        for f in &fields {
            if let Some(unknown) = f
                .after
                .iter()
                .find(|a| !fields.iter().any(|o| &o.key == *a))
            {
                return Err(invalid(
                    &f.key,
                    format!("x-after names {unknown:?}, not a field"),
                ));
            }
            if let Some(by) = &f.age_by {
                let options = match fields.iter().find(|o| o.key == by.field).map(|o| &o.kind) {
                    Some(FieldKind::Choice { options }) => options,
                    _ => {
                        return Err(invalid(
                            &f.key,
                            format!("x-age is by {:?}, which is no choice field", by.field),
                        ));
                    }
                };
                let mut given: Vec<&str> = by.ranges.iter().map(|(o, _)| o.as_str()).collect();
                let mut wanted: Vec<&str> = options.iter().map(String::as_str).collect();
                given.sort_unstable();
                wanted.sort_unstable();
                if given != wanted {
                    return Err(invalid(
                        &f.key,
                        format!("x-age gives ages for {given:?}, not for each of {wanted:?}"),
                    ));
                }
            }
        }
        Ok(FormSchema { fields })
    }

    fn compile_field(key: &str, spec: &Value, required: bool) -> Result<Field, SchemaError> {
        let spec = spec
            .as_object()
            .ok_or_else(|| invalid(key, "a field is described by an object"))?;
        for k in spec.keys() {
            if !matches!(
                k.as_str(),
                "type"
                    | "title"
                    | "x-title-en"
                    | "description"
                    | "x-prefill"
                    | "format"
                    | "enum"
                    | "minLength"
                    | "maxLength"
                    | "pattern"
                    | "minimum"
                    | "maximum"
                    | "default"
                    | "x-not-after"
                    | "x-after"
                    | "x-age"
                    | "x-party"
            ) {
                return Err(SchemaError::Unsupported {
                    field: key.to_string(),
                    keyword: k.clone(),
                });
            }
        }
        let text = |k: &str| spec.get(k).and_then(Value::as_str).map(str::to_string);
        let title_vi = text("title").ok_or_else(|| invalid(key, "has no title"))?;
        let title_en = text("x-title-en").unwrap_or_else(|| title_vi.clone());
        let ty = spec
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(key, "has no type"))?;
        let kind = match ty {
            "string" => {
                if let Some(options) = spec.get("enum") {
                    let options = options
                        .as_array()
                        .filter(|a| !a.is_empty())
                        .ok_or_else(|| invalid(key, "enum is a non-empty list"))?
                        .iter()
                        .map(|o| {
                            o.as_str()
                                .map(str::to_string)
                                .ok_or_else(|| invalid(key, "enum lists texts"))
                        })
                        .collect::<Result<_, _>>()?;
                    FieldKind::Choice { options }
                } else if let Some(format) = spec.get("format") {
                    if format.as_str() != Some("date") {
                        return Err(SchemaError::Unsupported {
                            field: key.to_string(),
                            keyword: format!("format {format}"),
                        });
                    }
                    let not_after_today = match spec.get("x-not-after") {
                        None => false,
                        Some(v) if v.as_str() == Some("today") => true,
                        Some(v) => {
                            return Err(invalid(key, format!("x-not-after is \"today\", got {v}")));
                        }
                    };
                    FieldKind::Date { not_after_today }
                } else {
                    let pattern_source = text("pattern");
                    let pattern = pattern_source
                        .as_deref()
                        .map(|p| Regex::new(p).map_err(|e| invalid(key, format!("pattern: {e}"))))
                        .transpose()?;
                    FieldKind::Text {
                        min_length: spec
                            .get("minLength")
                            .map(|v| usize_of(key, "minLength", v))
                            .transpose()?,
                        max_length: spec
                            .get("maxLength")
                            .map(|v| usize_of(key, "maxLength", v))
                            .transpose()?,
                        pattern,
                        pattern_source,
                    }
                }
            }
            "integer" => FieldKind::Integer {
                minimum: spec.get("minimum").and_then(Value::as_i64),
                maximum: spec.get("maximum").and_then(Value::as_i64),
            },
            "boolean" => FieldKind::Boolean,
            other => {
                return Err(SchemaError::Unsupported {
                    field: key.to_string(),
                    keyword: format!("type {other}"),
                });
            }
        };
        if spec.contains_key("x-not-after") && !matches!(kind, FieldKind::Date { .. }) {
            return Err(invalid(key, "x-not-after is for dates (format: date)"));
        }
        let party = match spec.get("x-party") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid(key, "x-party is true or false")),
        };
        if party && !matches!(kind, FieldKind::Text { .. }) {
            return Err(invalid(
                key,
                "x-party marks a text: a personal identification number",
            ));
        }
        let prefill = spec
            .get("x-prefill")
            .map(|v| parse_prefill(key, v))
            .transpose()?;
        let after = match spec.get("x-after") {
            None => Vec::new(),
            Some(Value::Array(keys)) if matches!(kind, FieldKind::Date { .. }) => keys
                .iter()
                .map(|k| {
                    k.as_str()
                        .filter(|k| *k != key)
                        .map(str::to_string)
                        .ok_or_else(|| invalid(key, "x-after lists other fields"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(invalid(
                    key,
                    "x-after is for dates (format: date), a list of other fields",
                ));
            }
        };
        let (age, age_by) = match spec.get("x-age") {
            None => (None, None),
            Some(Value::Object(rule)) if matches!(kind, FieldKind::Date { .. }) => {
                match (rule.get("by"), rule.get("ranges")) {
                    (None, None) => (Some(age_range(key, rule)?), None),
                    (Some(Value::String(by)), Some(Value::Object(ranges))) if rule.len() == 2 => {
                        let ranges = ranges
                            .iter()
                            .map(|(option, range)| match range {
                                Value::Object(range) => {
                                    Ok((option.clone(), age_range(key, range)?))
                                }
                                _ => {
                                    Err(invalid(key, format!("x-age for {option:?} is an object")))
                                }
                            })
                            .collect::<Result<Vec<_>, _>>()?;
                        (
                            None,
                            Some(AgeBy {
                                field: by.clone(),
                                ranges,
                            }),
                        )
                    }
                    _ => {
                        return Err(invalid(
                            key,
                            "x-age takes min and max, or by (a choice field) and ranges (by option)",
                        ));
                    }
                }
            }
            Some(_) => {
                return Err(invalid(
                    key,
                    "x-age is for dates (format: date): {\"min\": years, \"max\": years}",
                ));
            }
        };
        Ok(Field {
            key: key.to_string(),
            title_vi,
            title_en,
            description: text("description"),
            required,
            kind,
            prefill,
            party,
            after,
            age,
            age_by,
        })
    }

    /// The fields, in the schema's order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// A field by key.
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Reads the text values of an HTML form into the form's types (an
    /// empty text is an absent value; a checkbox is `true` when sent).
    /// Values that cannot be read are kept as text, for [`FormSchema::validate`]
    /// to name.
    pub fn from_text(&self, pairs: &[(String, String)]) -> Map<String, Value> {
        let mut out = Map::new();
        for f in &self.fields {
            let Some((_, v)) = pairs.iter().rev().find(|(k, _)| *k == f.key) else {
                continue;
            };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let value = match f.kind {
                FieldKind::Integer { .. } => v
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(v.to_string())),
                FieldKind::Boolean => Value::Bool(matches!(v, "true" | "on" | "1")),
                _ => Value::String(v.to_string()),
            };
            out.insert(f.key.clone(), value);
        }
        out
    }

    /// The personal identification numbers a filled form names of the
    /// people it is about: the values of its fields filled from the
    /// registry's `person_id` (the applicant's, the spouse's) and of those
    /// marked `x-party`.
    pub fn parties<'a>(&self, form: &'a Map<String, Value>) -> Vec<&'a str> {
        self.fields
            .iter()
            .filter(|f| f.party || f.prefill.as_ref().is_some_and(|p| p.field == "person_id"))
            .filter_map(|f| form.get(&f.key).and_then(Value::as_str))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Checks submitted values on `today` (a Vietnam day: the dates of what
    /// has happened are not later): every error at once, each naming its
    /// field.
    pub fn validate(&self, data: &Value, today: NaiveDate) -> Result<(), Vec<FieldError>> {
        let Some(obj) = data.as_object() else {
            return Err(vec![FieldError {
                field: String::new(),
                reason_vi: "Tờ khai phải là một đối tượng JSON".into(),
                reason_en: "the form must be a JSON object".into(),
            }]);
        };
        let mut errors = Vec::new();
        for key in obj.keys() {
            if self.field(key).is_none() {
                errors.push(FieldError {
                    field: key.clone(),
                    reason_vi: format!("Tờ khai không có trường «{key}»"),
                    reason_en: format!("the form has no field {key:?}"),
                });
            }
        }
        for f in &self.fields {
            match obj.get(&f.key) {
                None | Some(Value::Null) => {
                    if f.required {
                        errors.push(FieldError {
                            field: f.key.clone(),
                            reason_vi: format!("Cần điền «{}»", f.title_vi),
                            reason_en: format!("{} is required", f.title_en),
                        });
                    }
                }
                Some(v) => {
                    if let Some((vi, en)) = check(f, v, today) {
                        errors.push(FieldError {
                            field: f.key.clone(),
                            reason_vi: format!("«{}»: {vi}", f.title_vi),
                            reason_en: format!("{}: {en}", f.title_en),
                        });
                    }
                }
            }
        }
        for f in &self.fields {
            let Some(by) = &f.age_by else { continue };
            if errors
                .iter()
                .any(|e| e.field == f.key || e.field == by.field)
            {
                continue;
            }
            let day = obj
                .get(&f.key)
                .and_then(Value::as_str)
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
            let chosen = obj.get(&by.field).and_then(Value::as_str);
            let (Some(day), Some(chosen), Some(choice)) = (day, chosen, self.field(&by.field))
            else {
                continue;
            };
            let range = by.ranges.iter().find(|(o, _)| o == chosen).map(|(_, r)| *r);
            if let Some((vi, en)) = range.and_then(|r| r.refusal(day, today)) {
                errors.push(FieldError {
                    field: f.key.clone(),
                    reason_vi: format!(
                        "«{}»: với «{}» là {chosen}, {vi}",
                        f.title_vi, choice.title_vi
                    ),
                    reason_en: format!("{}: with {} {chosen}, {en}", f.title_en, choice.title_en),
                });
            }
        }
        for f in self.fields.iter().filter(|f| !f.after.is_empty()) {
            if errors.iter().any(|e| e.field == f.key) {
                continue;
            }
            let Some(day) = obj
                .get(&f.key)
                .and_then(Value::as_str)
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            else {
                continue;
            };
            for other in f.after.iter().filter_map(|k| self.field(k)) {
                let Some((earliest, shown)) = obj
                    .get(&other.key)
                    .and_then(Value::as_str)
                    .and_then(earliest_day)
                else {
                    continue;
                };
                if day <= earliest {
                    errors.push(FieldError {
                        field: f.key.clone(),
                        reason_vi: format!(
                            "«{}» phải sau «{}» ({shown})",
                            f.title_vi, other.title_vi
                        ),
                        reason_en: format!(
                            "{} must come after {} ({shown})",
                            f.title_en, other.title_en
                        ),
                    });
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The first day a date written in full or in part can be
/// (`1990-04-02`, `1990-04`, `1990`, or day first), with the date as a
/// person reads it.
fn earliest_day(text: &str) -> Option<(NaiveDate, String)> {
    let text = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some((d, d.format("%d/%m/%Y").to_string()));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%d/%m/%Y") {
        return Some((d, d.format("%d/%m/%Y").to_string()));
    }
    let parts: Vec<&str> = text.split('-').collect();
    match parts.as_slice() {
        [y, m] if y.len() == 4 => {
            let d = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
            Some((d, d.format("%m/%Y").to_string()))
        }
        [y] if y.len() == 4 => {
            let d = NaiveDate::from_ymd_opt(y.parse().ok()?, 1, 1)?;
            Some((d, y.to_string()))
        }
        _ => None,
    }
}

fn check(f: &Field, v: &Value, today: NaiveDate) -> Option<(String, String)> {
    match &f.kind {
        FieldKind::Text {
            min_length,
            max_length,
            pattern,
            pattern_source,
        } => {
            let Some(s) = v.as_str() else {
                return Some(("phải là chữ".into(), "must be text".into()));
            };
            if let Some(refused) = crate::text::refusal(s, false) {
                return Some(refused);
            }
            let n = s.chars().count();
            if let Some(min) = min_length
                && n < *min
            {
                return Some((
                    format!("cần ít nhất {min} ký tự"),
                    format!("needs at least {min} characters"),
                ));
            }
            if let Some(max) = max_length
                && n > *max
            {
                return Some((
                    format!("tối đa {max} ký tự"),
                    format!("at most {max} characters"),
                ));
            }
            if let Some(p) = pattern
                && !p.is_match(s)
            {
                let src = pattern_source.as_deref().unwrap_or_default();
                return Some((
                    format!("không đúng định dạng ({src})"),
                    format!("does not have the expected shape ({src})"),
                ));
            }
            None
        }
        FieldKind::Date { not_after_today } => {
            match v.as_str().map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
                Some(Ok(day)) if *not_after_today && day > today => Some((
                    format!("không được sau ngày hôm nay ({})", today.format("%d/%m/%Y")),
                    format!("cannot be later than today ({today})"),
                )),
                Some(Ok(day)) => f.age.and_then(|range| range.refusal(day, today)),
                _ => Some((
                    "phải là ngày dạng NNNN-TT-NN".into(),
                    "must be a date, YYYY-MM-DD".into(),
                )),
            }
        }
        FieldKind::Choice { options } => match v.as_str() {
            Some(s) if options.iter().any(|o| o == s) => None,
            _ => Some((
                format!("chọn một trong: {}", options.join(", ")),
                format!("choose one of: {}", options.join(", ")),
            )),
        },
        FieldKind::Integer { minimum, maximum } => {
            let Some(n) = v.as_i64() else {
                return Some(("phải là số nguyên".into(), "must be a whole number".into()));
            };
            if minimum.is_some_and(|m| n < m) || maximum.is_some_and(|m| n > m) {
                let range = format!(
                    "{}–{}",
                    minimum.map_or("…".into(), |m| m.to_string()),
                    maximum.map_or("…".into(), |m| m.to_string())
                );
                return Some((
                    format!("phải trong khoảng {range}"),
                    format!("must be in {range}"),
                ));
            }
            None
        }
        FieldKind::Boolean => {
            if v.is_boolean() {
                None
            } else {
                Some(("phải là có/không".into(), "must be true or false".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).expect("a day")
    }

    fn compile(v: &Value) -> Result<FormSchema, SchemaError> {
        FormSchema::compile(&v.to_string())
    }

    fn schema() -> FormSchema {
        FormSchema::compile(
            r#"{
            "type": "object",
            "additionalProperties": false,
            "required": ["place", "name", "born"],
            "properties": {
                "place": {"type": "string", "title": "Nơi nộp", "pattern": "^[0-9]{5}$"},
                "name": {"type": "string", "title": "Họ tên", "x-title-en": "Name",
                         "minLength": 2, "maxLength": 10, "x-prefill": "applicant.full_name"},
                "born": {"type": "string", "title": "Ngày sinh", "format": "date"},
                "sex": {"type": "string", "title": "Giới tính", "enum": ["Nam", "Nữ"]},
                "copies": {"type": "integer", "title": "Số bản", "minimum": 1, "maximum": 5},
                "urgent": {"type": "boolean", "title": "Khẩn"}
            }
        }"#,
        )
        .expect("a valid schema")
    }

    #[test]
    fn a_good_form_passes() {
        let s = schema();
        assert_eq!(s.fields().len(), 6);
        let f = s.field("name").expect("name");
        assert_eq!(f.title_en, "Name");
        assert_eq!(
            f.prefill,
            Some(PrefillSource {
                whom: Whom::Applicant,
                field: "full_name".into()
            })
        );
        assert!(
            s.validate(
                &json!({"place": "26734", "name": "Lê Thị Ba", "born": "2026-01-02",
                               "sex": "Nữ", "copies": 2, "urgent": true}),
                today()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_birth_date_gives_an_age_the_procedure_takes() {
        let form = |range: Value| {
            FormSchema::compile(
                &json!({"type": "object", "properties": {
                    "born": {"type": "string", "title": "Ngày sinh", "x-title-en": "Born",
                             "format": "date", "x-age": range}}})
                .to_string(),
            )
        };
        let under_six = form(json!({"max": 5})).expect("compiles");
        let adults = form(json!({"min": 18})).expect("compiles");
        let on = day("2026-03-10");
        for (born, schema, ok) in [
            ("2020-03-11", &under_six, true),
            ("2020-03-10", &under_six, false),
            ("2021-01-01", &under_six, true),
            ("2008-03-10", &adults, true),
            ("2008-03-11", &adults, false),
            ("1950-01-01", &adults, true),
        ] {
            let result = schema.validate(&json!({"born": born}), on);
            assert_eq!(result.is_ok(), ok, "{born}: {result:?}");
            if let Err(e) = result {
                assert!(e[0].reason_vi.contains("tuổi"), "{e:?}");
                assert!(e[0].reason_en.contains("aged"), "{e:?}");
            }
        }
        for bad in [
            json!({}),
            json!({"min": 20, "max": 18}),
            json!({"min": -1}),
            json!({"from": 1}),
            json!(18),
        ] {
            assert!(form(bad.clone()).is_err(), "{bad}");
        }
        assert_eq!(age_on(day("2000-02-29"), day("2001-02-28")), 0);
        assert_eq!(age_on(day("2000-02-29"), day("2001-03-01")), 1);
    }

    #[test]
    fn ages_can_depend_on_a_choice_as_the_ages_of_marriage_do() {
        let form = |rule: Value, options: Value| {
            FormSchema::compile(
                &json!({"type": "object", "properties": {
                    "born": {"type": "string", "title": "Ngày sinh", "x-title-en": "Born",
                             "format": "date", "x-age": rule},
                    "sex": {"type": "string", "title": "Giới tính", "x-title-en": "Sex",
                            "enum": options}}})
                .to_string(),
            )
        };
        let marriage = json!({"by": "sex", "ranges": {"Nam": {"min": 20}, "Nữ": {"min": 18}}});
        let s = form(marriage.clone(), json!(["Nam", "Nữ"])).expect("compiles");
        let on = day("2026-03-10");
        for (born, sex, ok) in [
            ("2006-03-10", "Nam", true),
            ("2006-03-11", "Nam", false),
            ("2007-01-01", "Nam", false),
            ("2008-03-10", "Nữ", true),
            ("2008-03-11", "Nữ", false),
            ("2007-01-01", "Nữ", true),
        ] {
            let result = s.validate(&json!({"born": born, "sex": sex}), on);
            assert_eq!(result.is_ok(), ok, "{born} {sex}: {result:?}");
            if let Err(e) = result {
                assert_eq!(e.len(), 1, "{e:?}");
                assert_eq!(e[0].field, "born");
                assert!(e[0].reason_vi.contains(&format!("là {sex}")), "{e:?}");
                assert!(e[0].reason_vi.contains("tuổi"), "{e:?}");
                assert!(e[0].reason_en.contains("with Sex"), "{e:?}");
            }
        }
        // a choice not made, or not one of the options: that field's error
        // alone, not a guess at the ages
        let e = s
            .validate(&json!({"born": "2010-01-01", "sex": "X"}), on)
            .unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["sex"]
        );
        assert!(s.validate(&json!({"born": "2010-01-01"}), on).is_ok());
        // ages for every option and none other, by a choice field that exists
        for (rule, options) in [
            (
                json!({"by": "sex", "ranges": {"Nam": {"min": 20}}}),
                json!(["Nam", "Nữ"]),
            ),
            (marriage.clone(), json!(["Nam", "Nữ", "Khác"])),
            (
                json!({"by": "sex", "ranges": {"Nam": {"min": 20}, "Nữ": {"min": 18}, "X": {}}}),
                json!(["Nam", "Nữ"]),
            ),
            (
                json!({"by": "nobody", "ranges": {"Nam": {"min": 20}, "Nữ": {"min": 18}}}),
                json!(["Nam", "Nữ"]),
            ),
            (json!({"by": "born", "ranges": {}}), json!(["Nam", "Nữ"])),
            (
                json!({"by": "sex", "ranges": {"Nam": 20, "Nữ": 18}}),
                json!(["Nam", "Nữ"]),
            ),
            (
                json!({"by": "sex", "min": 18, "ranges": {"Nam": {"min": 20}, "Nữ": {"min": 18}}}),
                json!(["Nam", "Nữ"]),
            ),
            (json!({"by": "sex"}), json!(["Nam", "Nữ"])),
        ] {
            assert!(form(rule.clone(), options).is_err(), "{rule}");
        }
    }

    #[test]
    fn age_on_counts_full_years() {
        assert_eq!(age_on(day("2000-02-29"), day("2001-02-28")), 0);
        assert_eq!(age_on(day("2000-02-29"), day("2001-03-01")), 1);
    }

    #[test]
    fn a_date_comes_after_the_dates_it_is_said_to_follow() {
        let form = FormSchema::compile(
            &json!({"type": "object", "properties": {
                "parent": {"type": "string", "title": "Cha", "x-title-en": "Parent"},
                "other": {"type": "string", "title": "Mẹ", "x-title-en": "Other"},
                "child": {"type": "string", "title": "Con", "x-title-en": "Child",
                          "format": "date", "x-after": ["parent", "other"]}}})
            .to_string(),
        )
        .expect("compiles");
        let check = |v: Value| form.validate(&v, today()).err().unwrap_or_default();
        for (parent, child, refused) in [
            ("1990-04-02", "2026-02-20", false),
            ("1990-04-02", "1990-04-02", true),
            ("1990-04-02", "1989-12-31", true),
            ("1990", "1990-01-01", true),
            ("1990", "1990-06-01", false),
            ("1990-05", "1990-04-30", true),
            ("02/04/1990", "1980-01-01", true),
            ("unknown", "1980-01-01", false),
        ] {
            let errors = check(json!({"parent": parent, "child": child}));
            assert_eq!(
                !errors.is_empty(),
                refused,
                "{parent} / {child}: {errors:?}"
            );
            if refused {
                assert_eq!(errors[0].field, "child");
                assert!(errors[0].reason_vi.contains("phải sau «Cha»"), "{errors:?}");
                assert!(errors[0].reason_en.contains("must come after Parent"));
            }
        }
        // each date it follows is checked
        let both = check(json!({"parent": "1990", "other": "2030", "child": "2026-01-01"}));
        assert_eq!(both.len(), 1);
        assert!(both[0].reason_en.contains("Other"), "{both:?}");
        // a name that is no field, or x-after on a text, is refused
        for bad in [
            json!({"type": "object", "properties": {"c": {"type": "string", "title": "C",
                "format": "date", "x-after": ["nobody"]}}}),
            json!({"type": "object", "properties": {"c": {"type": "string", "title": "C",
                "x-after": ["c"]}}}),
            json!({"type": "object", "properties": {"c": {"type": "string", "title": "C",
                "format": "date", "x-after": ["c"]}}}),
        ] {
            assert!(FormSchema::compile(&bad.to_string()).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_violation_is_named_at_once() {
        let errors = schema()
            .validate(
                &json!({"place": "2673", "name": "L", "born": "2026-02-30",
                              "sex": "X", "copies": 9, "urgent": "yes", "extra": 1}),
                today(),
            )
            .expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["extra", "place", "name", "born", "sex", "copies", "urgent"]
        );
        let missing = schema().validate(&json!({}), today()).expect_err("refused");
        assert_eq!(missing.len(), 3);
        assert!(
            missing[1].reason_en.contains("Name is required"),
            "{missing:?}"
        );
        assert!(schema().validate(&json!([1]), today()).is_err());
        assert!(
            schema()
                .validate(
                    &json!({"place": "12345", "name": "Ab", "born": "2020-01-01", "copies": "2"}),
                    today()
                )
                .is_err()
        );
    }

    #[test]
    fn what_forms_do_not_support_is_refused() {
        for bad in [
            json!({"type": "array"}),
            json!({"type": "object"}),
            json!({"type": "object", "properties": {}, "allOf": []}),
            json!({"type": "object", "properties": {"a": {"type": "string", "title": "A", "oneOf": []}}}),
            json!({"type": "object", "properties": {"a": {"type": "number", "title": "A"}}}),
            json!({"type": "object", "properties": {"a": {"type": "string"}}}),
            json!({"type": "object", "properties": {"a": {"type": "string", "title": "A", "format": "email"}}}),
            json!({"type": "object", "properties": {"a": {"type": "string", "title": "A", "pattern": "("}}}),
            json!({"type": "object", "properties": {"a": {"type": "string", "title": "A", "x-prefill": "applicant.salary"}}}),
            json!({"type": "object", "properties": {"a": {"type": "string", "title": "A", "x-prefill": "neighbour.full_name"}}}),
            json!({"type": "object", "properties": {}, "required": ["a"]}),
            json!({"type": "object", "properties": {}, "additionalProperties": true}),
            json!({"type": "object", "properties": {"a": {"type": "string", "title": "A", "format": "date", "x-not-after": "tomorrow"}}}),
            json!({"type": "object", "properties": {"a": {"type": "string", "title": "A", "x-not-after": "today"}}}),
            json!({"type": "object", "properties": {"a": {"type": "string", "title": "A", "x-party": "yes"}}}),
            json!({"type": "object", "properties": {"a": {"type": "integer", "title": "A", "x-party": true}}}),
        ] {
            assert!(compile(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn html_text_is_read_into_types() {
        let s = schema();
        let pairs: Vec<(String, String)> = [
            ("name", " An "),
            ("copies", "3"),
            ("urgent", "on"),
            ("born", ""),
            ("unknown", "x"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
        let m = s.from_text(&pairs);
        assert_eq!(
            Value::Object(m),
            json!({"name": "An", "copies": 3, "urgent": true})
        );
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a day")
    }

    fn birth() -> FormSchema {
        FormSchema::compile(
            &json!({
                "type": "object",
                "properties": {
                    "child_name": {"type": "string", "title": "Họ tên trẻ", "x-title-en": "Child's name"},
                    "child_born": {"type": "string", "title": "Ngày sinh", "x-title-en": "Date of birth",
                                   "format": "date", "x-not-after": "today"},
                    "appointment": {"type": "string", "title": "Ngày hẹn", "format": "date"},
                    "parent": {"type": "string", "title": "Số định danh", "pattern": "^[0-9]{12}$",
                               "x-prefill": "applicant.person_id"},
                    "other_parent": {"type": "string", "title": "Số định danh", "pattern": "^[0-9]{12}$",
                                     "x-prefill": "spouse.person_id"},
                    "child_pin": {"type": "string", "title": "Số định danh của trẻ", "x-party": true},
                    "witness_pin": {"type": "string", "title": "Người làm chứng"}
                }
            })
            .to_string(),
        )
        .expect("a valid schema")
    }

    #[test]
    fn a_past_event_cannot_be_dated_after_today_in_vietnam() {
        let s = birth();
        let today = day("2026-03-01");
        assert!(
            s.validate(&json!({"child_born": "2026-03-01"}), today)
                .is_ok()
        );
        assert!(
            s.validate(&json!({"child_born": "1990-01-01"}), today)
                .is_ok()
        );
        let e = s
            .validate(&json!({"child_born": "2099-01-01"}), today)
            .expect_err("a birth in the future");
        assert_eq!(e[0].field, "child_born");
        assert!(
            e[0].reason_en
                .contains("Date of birth: cannot be later than today (2026-03-01)"),
            "{e:?}"
        );
        assert!(
            e[0].reason_vi
                .contains("không được sau ngày hôm nay (01/03/2026)"),
            "{e:?}"
        );
        assert!(
            s.validate(&json!({"child_born": "2026-03-02"}), today)
                .is_err()
        );
        // a date of something to come is not bounded
        assert!(
            s.validate(&json!({"appointment": "2099-01-01"}), today)
                .is_ok()
        );
    }

    #[test]
    fn control_and_direction_characters_are_refused_in_every_text() {
        let s = birth();
        let today = day("2026-03-01");
        for bad in [
            "Mai\u{0}",
            "Mai\u{202E}",
            "Mai\u{2066}x",
            "Mai\nx",
            "\u{1b}[31mMai",
        ] {
            let e = s
                .validate(&json!({"child_name": bad}), today)
                .expect_err("refused");
            assert_eq!(e[0].field, "child_name", "{bad:?}");
            assert!(
                e[0].reason_en
                    .starts_with("Child's name: contains a character that is not allowed (U+"),
                "{e:?}"
            );
            assert!(
                e[0].reason_vi
                    .starts_with("«Họ tên trẻ»: chứa ký tự không được phép (U+"),
                "{e:?}"
            );
        }
        assert!(
            s.validate(&json!({"child_name": "Nguyễn Thị Mai"}), today)
                .is_ok()
        );
    }

    #[test]
    fn the_people_a_form_is_about_are_its_person_ids() {
        let s = birth();
        let form = json!({
            "parent": "079090000001",
            "other_parent": "079090000002",
            "child_pin": " 079226000003 ",
            "witness_pin": "079090000004",
            "child_name": "079090000005"
        });
        let form = form.as_object().expect("an object");
        let mut parties = s.parties(form);
        parties.sort_unstable();
        assert_eq!(parties, ["079090000001", "079090000002", "079226000003"]);
        assert!(s.parties(&Map::new()).is_empty());
    }
}

//! Applying for a procedure: the form, pre-filled from the registry, and
//! its submission.

use crate::auth::SignedIn;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dossier::{FieldKind, Procedure};

use super::catalog::DocRow;
use super::shared::{person_id, pick, signed_in};
use crate::pages::csrf;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, csrf_page, html};
use crate::reply::see_other;
use crate::services::dossiers::drafts::Filled;
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow::{self, Application};
use crate::services::dossiers::prefill;
use crate::state::AppState;

pub struct FieldView {
    pub key: String,
    pub label: String,
    pub required: bool,
    /// `text`, `date`, `number`, `select`, `checkbox`
    pub input: &'static str,
    pub options: Vec<String>,
    pub value: String,
    pub prefilled: bool,
    pub pattern: String,
    pub max_length: String,
    pub error: String,
    /// For the place of filing: the units to choose from, by name.
    pub place: Option<PlacePicker>,
}

/// The errors in the order of the form's fields (the form's own first).
fn in_form_order<'e>(
    p: &Procedure,
    errors: &'e [dossier::FieldError],
) -> Vec<&'e dossier::FieldError> {
    let fields = p.schema().fields();
    let mut sorted: Vec<&dossier::FieldError> = errors.iter().collect();
    sorted.sort_by_key(|e| {
        fields
            .iter()
            .position(|f| f.key == e.field)
            .map_or(0, |i| i + 1)
    });
    sorted
}

/// A date as people in Vietnam write it: `2026-02-20` as `20/02/2026`
/// (anything else as it is).
fn day_first(iso: &str) -> String {
    match chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d") {
        Ok(d) => d.format("%d/%m/%Y").to_string(),
        Err(_) => iso.to_string(),
    }
}

/// A date typed as day, month and year (`20/02/2026`, `20-2-2026`,
/// `20.02.2026`, `20 2 2026`) or as `2026-02-20`, in the form's
/// `YYYY-MM-DD`; `None` when it is no date.
fn read_date(typed: &str) -> Option<String> {
    let typed = typed.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d") {
        return Some(d.to_string());
    }
    let parts: Vec<&str> = typed
        .split(['/', '-', '.', ' '])
        .filter(|p| !p.is_empty())
        .collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    let (day, month, year) = (day.parse().ok()?, month.parse().ok()?, year.parse().ok()?);
    if !(1000..=9999).contains(&year) {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(year, month, day).map(|d| d.to_string())
}

/// The form's fields from what the browser sent, dates read as day, month
/// and year; each date that is no date, with its error.
fn read_form(
    p: &Procedure,
    pairs: &[(String, String)],
) -> (
    serde_json::Map<String, serde_json::Value>,
    Vec<dossier::FieldError>,
) {
    let mut errors = Vec::new();
    let mut pairs = pairs.to_vec();
    for f in p.schema().fields() {
        if !matches!(f.kind, FieldKind::Date { .. }) {
            continue;
        }
        for (key, value) in pairs.iter_mut().filter(|(k, _)| *k == f.key) {
            if value.trim().is_empty() {
                continue;
            }
            match read_date(value) {
                Some(iso) => *value = iso,
                None => errors.push(dossier::FieldError {
                    field: key.clone(),
                    reason_vi: format!("«{}»: nhập ngày, tháng, năm, ví dụ 20/02/2026", f.title_vi),
                    reason_en: format!(
                        "{}: enter the day, month and year, for example 20/02/2026",
                        f.title_en
                    ),
                }),
            }
        }
    }
    (p.schema().from_text(&pairs), errors)
}

/// A unit offered as a place of filing.
pub struct Choice {
    pub code: String,
    pub name: String,
    pub selected: bool,
}

/// The place of filing chosen by name: for a commune-level procedure a
/// province, then one of its communes (the search narrows them); for a
/// province-level one a province.
pub struct PlacePicker {
    /// The provinces, the one whose communes are listed selected (empty
    /// for a province-level procedure: `choices` are the provinces).
    pub provinces: Vec<Choice>,
    /// What `place` takes.
    pub choices: Vec<Choice>,
}

/// The places of filing of `p`: `chosen` selected (else the commune of the
/// applicant's residence, or its province), the communes of `province`
/// (else of the chosen unit's province) narrowed to those matching
/// `query`.
pub(super) fn place_picker(
    p: &Procedure,
    chosen: Option<&str>,
    province: Option<&str>,
    residence_commune: Option<&str>,
    query: &str,
) -> PlacePicker {
    let units = units::Units::get();
    let choice = |code: &str, name: &str, chosen: Option<&str>| Choice {
        code: code.to_string(),
        name: name.to_string(),
        selected: chosen == Some(code),
    };
    let residence = residence_commune.and_then(|c| units.commune(c));
    if p.level != dossier::Level::Commune {
        let chosen = chosen.or(residence.map(|c| c.province_code.as_str()));
        return PlacePicker {
            provinces: Vec::new(),
            choices: units
                .provinces()
                .iter()
                .map(|pr| choice(&pr.code, &pr.name, chosen))
                .collect(),
        };
    }
    let chosen = chosen
        .filter(|c| units.commune(c).is_some())
        .or(residence.map(|c| c.code.as_str()));
    let province = province
        .filter(|pr| units.province(pr).is_some())
        .or_else(|| {
            chosen
                .and_then(|c| units.commune(c))
                .map(|c| c.province_code.as_str())
        });
    let words = units::fold::words(query);
    let wanted: Vec<&str> = words.split(' ').filter(|w| !w.is_empty()).collect();
    let matches = |name: &str| {
        let folded = units::fold::words(name);
        let have: Vec<&str> = folded.split(' ').collect();
        wanted.iter().all(|w| have.iter().any(|h| h.starts_with(w)))
    };
    let mut choices: Vec<Choice> = province
        .and_then(|pr| units.communes_of(pr))
        .into_iter()
        .flatten()
        .filter(|c| matches(&c.name))
        .map(|c| choice(&c.code, &c.name, chosen))
        .collect();
    choices.sort_by_cached_key(|c| units::fold::words(&c.name));
    PlacePicker {
        provinces: units
            .provinces()
            .iter()
            .map(|pr| choice(&pr.code, &pr.name, province))
            .collect(),
        choices,
    }
}

#[derive(askama::Template)]
#[template(path = "apply.html")]
pub(super) struct ApplyPage {
    l: Layout,
    t: Tr,
    code: String,
    name: String,
    fields: Vec<FieldView>,
    email: String,
    refused: String,
    /// Each error with the key of its field (empty: the form as a whole).
    errors: Vec<(String, String)>,
    csrf: String,
    documents: Vec<DocRow>,
}

pub(super) fn field_views(
    t: Tr,
    p: &Procedure,
    values: &serde_json::Map<String, serde_json::Value>,
    prefilled: &std::collections::BTreeMap<String, String>,
    errors: &[dossier::FieldError],
    mut place: Option<PlacePicker>,
) -> Vec<FieldView> {
    p.schema()
        .fields()
        .iter()
        .map(|f| {
            let (input, options, pattern, max_length) = match &f.kind {
                FieldKind::Text {
                    pattern_source,
                    max_length,
                    ..
                } => (
                    "text",
                    Vec::new(),
                    pattern_source
                        .as_deref()
                        .map(|p| p.trim_start_matches('^').trim_end_matches('$').to_string())
                        .unwrap_or_default(),
                    max_length.map(|m| m.to_string()).unwrap_or_default(),
                ),
                FieldKind::Date { .. } => ("date", Vec::new(), String::new(), String::new()),
                FieldKind::Choice { options } => {
                    ("select", options.clone(), String::new(), String::new())
                }
                FieldKind::Integer { .. } => ("number", Vec::new(), String::new(), String::new()),
                FieldKind::Boolean => ("checkbox", Vec::new(), String::new(), String::new()),
            };
            let value = match prefilled.get(&f.key) {
                // what the registry holds, a date as people write it
                Some(v) => day_first(v),
                None => match values.get(&f.key) {
                    Some(serde_json::Value::String(s)) if input == "date" => day_first(s),
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                },
            };
            let place = if f.key == PLACE { place.take() } else { None };
            FieldView {
                input: if place.is_some() { "place" } else { input },
                label: if place.is_some() {
                    t.p_place().to_string()
                } else {
                    pick(t, &f.title_vi, &f.title_en).to_string()
                },
                place,
                key: f.key.clone(),
                required: f.required,
                options,
                value,
                prefilled: prefilled.contains_key(&f.key),
                pattern,
                max_length,
                error: errors
                    .iter()
                    .find(|e| e.field == f.key)
                    .map(|e| pick(t, &e.reason_vi, &e.reason_en).to_string())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// What the registry gave for `account`'s form of `p`: read (and logged
/// under the draft) when the form is first opened, then kept while it is
/// being filled.
async fn draft(
    state: &AppState,
    p: &Procedure,
    account: &flow::Account,
) -> Result<std::sync::Arc<Filled>, FlowError> {
    let subject = flow::subject_of(account);
    let now = std::time::Instant::now();
    if let Some(read) = state.drafts.get(&subject, &p.code, now) {
        return Ok(read);
    }
    let read = prefill::read(state, p, person_id(account).as_deref()).await?;
    let logged = prefill::log(state, &read, &format!("draft {}", p.code)).await;
    let read = std::sync::Arc::new(Filled {
        values: read.values,
        refused: read.refused,
        residence_commune: read.residence_commune,
    });
    // a read that could not be logged is not kept: the next one logs again
    if logged {
        state.drafts.keep(&subject, &p.code, read.clone(), now);
    }
    Ok(read)
}

/// The form field that takes the place of filing.
const PLACE: &str = "place";
/// The form's choice of province whose communes the place is chosen from.
const PROVINCE: &str = "tinh";

/// What the applicant sent, and what was wrong with it.
#[derive(Default)]
pub(super) struct Entered<'a> {
    values: serde_json::Map<String, serde_json::Value>,
    /// The province whose communes the place was chosen from.
    province: Option<&'a str>,
    email: &'a str,
    errors: Vec<dossier::FieldError>,
}

pub(super) async fn render_apply(
    ctx: &Ctx,
    p: &Procedure,
    entered: &Entered<'_>,
    read: &Filled,
    status: StatusCode,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let Entered {
        values,
        province,
        email,
        errors,
    } = entered;
    let province = *province;
    let place = place_picker(
        p,
        values.get(PLACE).and_then(|v| v.as_str()),
        province,
        read.residence_commune.as_deref(),
        "",
    );
    let title = if errors.is_empty() {
        t.p_apply_title().to_string()
    } else {
        format!("{} {}", t.p_error_prefix(), t.p_apply_title())
    };
    let page = |csrf| ApplyPage {
        l: ctx.layout(title, "procedures"),
        t,
        code: p.code.clone(),
        name: pick(t, &p.name_vi, &p.name_en).to_string(),
        fields: field_views(t, p, values, &read.values, errors, Some(place)),
        email: email.to_string(),
        refused: read.refused.clone().unwrap_or_default(),
        errors: in_form_order(p, errors)
            .into_iter()
            .map(|e| {
                (
                    e.field.clone(),
                    pick(t, &e.reason_vi, &e.reason_en).to_string(),
                )
            })
            .collect(),
        csrf,
        documents: p
            .documents_to_provide()
            .map(|d| DocRow {
                name: pick(t, &d.name_vi, &d.name_en).to_string(),
                required: d.required,
                held: None,
            })
            .collect(),
    };
    Ok(csrf_page(ctx, status, page, |res| res)?)
}

/// `GET /thu-tuc/{code}/nop`: the form, pre-filled.
pub async fn apply_form(
    ctx: Ctx,
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let p = flow::procedure(&code)?;
    let read = draft(&state, p, &account).await?;
    render_apply(&ctx, p, &Entered::default(), &read, StatusCode::OK).await
}

/// `?tinh=&tim=`: which communes to offer.
#[derive(Debug, serde::Deserialize, Default)]
pub struct PlaceParams {
    tinh: Option<String>,
    tim: Option<String>,
    place: Option<String>,
}

#[derive(askama::Template)]
#[template(
    source = "<option value=\"\">{{ t.p_choose() }}</option>{% for c in choices %}<option value=\"{{ c.code }}\"{% if c.selected %} selected{% endif %}>{{ c.name }}</option>{% endfor %}",
    ext = "html"
)]
struct PlaceOptions {
    t: Tr,
    choices: Vec<Choice>,
}

/// `GET /thu-tuc/{code}/noi-nop?tinh=79&tim=…`: the communes of a province
/// whose names match what was typed (diacritics, case and tone-mark
/// placement aside), as the options of the place of filing (htmx).
pub async fn place_options(
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<PlaceParams>,
) -> Result<Response, PageError> {
    let p = flow::procedure(&code)?;
    let picker = place_picker(
        p,
        q.place.as_deref(),
        q.tinh.as_deref(),
        None,
        q.tim.as_deref().unwrap_or_default(),
    );
    let options = PlaceOptions {
        t: ctx.t(),
        choices: picker.choices,
    };
    Ok(html(&ctx, StatusCode::OK, &options))
}

/// The error of a commune chosen outside the province chosen for it (the
/// province was changed without the page's script narrowing the
/// communes): choose again among the province's.
fn place_elsewhere(
    form: &serde_json::Map<String, serde_json::Value>,
    province: Option<&str>,
) -> Option<dossier::FieldError> {
    let province = units::Units::get().province(province?)?;
    let commune = form.get(PLACE).and_then(|v| v.as_str())?;
    let inside = units::Units::get()
        .commune(commune)
        .is_none_or(|c| c.province_code == province.code);
    (!inside).then(|| dossier::FieldError {
        field: PLACE.to_string(),
        reason_vi: format!("Chọn xã, phường thuộc {}.", province.name),
        reason_en: format!("Choose a commune of {}.", province.name),
    })
}

/// `POST /thu-tuc/{code}/nop`: files the dossier.
pub async fn apply_submit(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let value = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    if !ctx.csrf_ok(csrf::Check::Session, value("csrf_token")) {
        return Err(crate::oidc::flow::expired_form(&ctx));
    }
    let p = flow::procedure(&code)?;
    let account = signed_in(&ctx, &state, &headers, &format!("/thu-tuc/{code}/nop")).await?;
    let (form, mut refused) = read_form(p, &pairs);
    let email = value("email").unwrap_or_default().to_string();
    let province = value(PROVINCE).filter(|v| !v.is_empty());
    refused.extend(place_elsewhere(&form, province));
    let filed = if refused.is_empty() {
        flow::file_online(
            &state,
            &account,
            Application {
                procedure: p.code.clone(),
                form: form.clone(),
                email: Some(email.clone()),
            },
        )
        .await
    } else {
        // nothing is filed; every other error is shown with these at once
        let mut rest = form.clone();
        for e in &refused {
            rest.remove(&e.field);
        }
        let today = flow::now().date_naive();
        if let Err(others) = p.schema().validate(&serde_json::Value::Object(rest), today) {
            let theirs: Vec<dossier::FieldError> = others
                .into_iter()
                .filter(|o| !refused.iter().any(|r| r.field == o.field))
                .collect();
            refused.extend(theirs);
        }
        Err(FlowError::Form(refused))
    };
    match filed {
        Ok(stored) => {
            state.drafts.forget(&flow::subject_of(&account), &p.code);
            metrics::counter!(crate::metrics::DOSSIERS_FILED, "channel" => "online").increment(1);
            Ok(see_other(&format!("/ho-so/{}?moi=1", stored.dossier.code)))
        }
        Err(FlowError::Form(errors)) => {
            // show the form again with what the state fills, and each error
            let read = draft(&state, p, &account).await?;
            let entered = Entered {
                values: form,
                province,
                email: &email,
                errors,
            };
            render_apply(&ctx, p, &entered, &read, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn procedure(code: &str) -> &'static Procedure {
        flow::procedure(code).unwrap_or_else(|e| panic!("{code}: {e:?}"))
    }

    fn chosen(choices: &[Choice]) -> Vec<&str> {
        choices
            .iter()
            .filter(|c| c.selected)
            .map(|c| c.code.as_str())
            .collect()
    }

    #[test]
    fn the_residence_is_offered_first_among_its_provinces_communes_by_name() {
        let birth = procedure("khai-sinh");
        let p = place_picker(birth, None, None, Some("00097"), "");
        assert_eq!(chosen(&p.provinces), ["01"]);
        assert_eq!(chosen(&p.choices), ["00097"]);
        let hanoi = units::Units::get().communes_of("01").map(|c| c.count());
        assert_eq!(Some(p.choices.len()), hanoi, "every commune of Hà Nội");
        assert!(p.choices.iter().any(|c| c.name == "Phường Hồng Hà"));
        // in the order of their names
        let names: Vec<String> = p
            .choices
            .iter()
            .map(|c| units::fold::words(&c.name))
            .collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]));
        // nothing known: nothing chosen, no communes until a province is
        let none = place_picker(birth, None, None, None, "");
        assert!(chosen(&none.provinces).is_empty() && none.choices.is_empty());
        assert_eq!(none.provinces.len(), 34);
    }

    #[test]
    fn the_search_narrows_the_communes_without_diacritics() {
        let birth = procedure("khai-sinh");
        for query in ["hong ha", "Hồng Hà", "HONG", "phuong hong h"] {
            let p = place_picker(birth, None, Some("01"), None, query);
            assert!(
                p.choices.iter().any(|c| c.code == "00097"),
                "{query}: {:?}",
                p.choices.iter().map(|c| &c.name).collect::<Vec<_>>()
            );
            assert!(p.choices.len() < 10, "{query}: narrowed");
        }
        assert!(
            place_picker(birth, None, Some("01"), None, "zzz")
                .choices
                .is_empty()
        );
        // a choice outside the province asked for is not kept
        let p = place_picker(birth, Some("00097"), Some("79"), None, "");
        assert_eq!(chosen(&p.provinces), ["79"]);
        assert!(chosen(&p.choices).is_empty());
    }

    #[test]
    fn dates_are_read_day_first_and_shown_so() {
        for (typed, read) in [
            ("20/02/2026", Some("2026-02-20")),
            ("20-2-2026", Some("2026-02-20")),
            ("20.02.2026", Some("2026-02-20")),
            (" 20 2 2026 ", Some("2026-02-20")),
            ("2026-02-20", Some("2026-02-20")),
            ("29/02/2024", Some("2024-02-29")),
            ("29/02/2026", None),
            ("31/04/2026", None),
            ("20/02/26", None),
            ("02/20/2026", None),
            ("20/02", None),
            ("hai mươi", None),
            ("", None),
        ] {
            assert_eq!(read_date(typed).as_deref(), read, "{typed:?}");
        }
        assert_eq!(day_first("2026-02-20"), "20/02/2026");
        assert_eq!(day_first("20/02/2026"), "20/02/2026");
    }

    #[test]
    fn a_date_that_is_no_date_is_refused_with_how_to_write_it() {
        let birth = procedure("khai-sinh");
        let pairs = |date: &str| {
            vec![
                ("child_birth_date".to_string(), date.to_string()),
                ("child_full_name".to_string(), "Mai".to_string()),
            ]
        };
        let (form, errors) = read_form(birth, &pairs("20/02/2026"));
        assert!(errors.is_empty());
        assert_eq!(form["child_birth_date"], "2026-02-20");
        let (_, errors) = read_form(birth, &pairs("31/02/2026"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "child_birth_date");
        assert!(errors[0].reason_vi.contains("20/02/2026"));
        assert!(errors[0].reason_en.contains("day, month and year"));
        // an empty date is left to the form's own rules (required or not)
        let (form, errors) = read_form(birth, &pairs(""));
        assert!(errors.is_empty() && !form.contains_key("child_birth_date"));
    }

    #[test]
    fn errors_follow_the_order_of_the_form() {
        let birth = procedure("khai-sinh");
        let error = |field: &str| dossier::FieldError {
            field: field.into(),
            reason_vi: String::new(),
            reason_en: String::new(),
        };
        let errors = [
            error("child_sex"),
            error(""),
            error("place"),
            error("child_full_name"),
        ];
        let order: Vec<&str> = in_form_order(birth, &errors)
            .iter()
            .map(|e| e.field.as_str())
            .collect();
        assert_eq!(order, ["", "place", "child_full_name", "child_sex"]);
    }

    #[test]
    fn a_province_level_procedure_offers_the_provinces() {
        let record = procedure("phieu-ly-lich-tu-phap");
        let p = place_picker(record, None, None, Some("00097"), "");
        assert!(p.provinces.is_empty());
        assert_eq!(p.choices.len(), 34);
        assert_eq!(chosen(&p.choices), ["01"]);
    }

    #[test]
    fn a_commune_outside_the_chosen_province_is_refused_in_both_languages() {
        let form = |place: &str| {
            let mut m = serde_json::Map::new();
            m.insert(PLACE.into(), serde_json::Value::String(place.into()));
            m
        };
        let e = place_elsewhere(&form("00097"), Some("79")).expect("refused");
        assert_eq!(e.field, PLACE);
        assert!(
            e.reason_vi.contains("Thành phố Hồ Chí Minh"),
            "{}",
            e.reason_vi
        );
        assert!(e.reason_en.starts_with("Choose a commune of"));
        assert_eq!(place_elsewhere(&form("00097"), Some("01")), None);
        assert_eq!(place_elsewhere(&form("00097"), None), None);
    }
}

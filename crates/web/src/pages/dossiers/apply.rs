//! Applying for a procedure: the form, pre-filled from the registry, and
//! its submission.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dossier::{FieldKind, Procedure};

use super::catalog::DocRow;
use super::shared::{person_id, pick, signed_in};
use crate::pages::csrf;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, csrf_page};
use crate::reply::see_other;
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
    /// The latest date (`YYYY-MM-DD`) a date field takes, if bounded.
    pub max: String,
    pub error: String,
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
    errors: Vec<String>,
    csrf: String,
    documents: Vec<DocRow>,
}

pub(super) fn field_views(
    t: Tr,
    p: &Procedure,
    values: &serde_json::Map<String, serde_json::Value>,
    prefilled: &std::collections::BTreeMap<String, String>,
    errors: &[dossier::FieldError],
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
                Some(v) => v.clone(),
                None => match values.get(&f.key) {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                },
            };
            let max = match f.kind {
                FieldKind::Date {
                    not_after_today: true,
                } => flow::now().date_naive().to_string(),
                _ => String::new(),
            };
            FieldView {
                max,
                key: f.key.clone(),
                label: pick(t, &f.title_vi, &f.title_en).to_string(),
                required: f.required,
                input,
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

pub(super) async fn render_apply(
    ctx: &Ctx,
    p: &Procedure,
    values: &serde_json::Map<String, serde_json::Value>,
    read: &prefill::Read,
    email: &str,
    errors: &[dossier::FieldError],
    status: StatusCode,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let page = |csrf| ApplyPage {
        l: ctx.layout(t.p_apply_title(), "procedures"),
        t,
        code: p.code.clone(),
        name: pick(t, &p.name_vi, &p.name_en).to_string(),
        fields: field_views(t, p, values, &read.values, errors),
        email: email.to_string(),
        refused: read.refused.clone().unwrap_or_default(),
        errors: errors
            .iter()
            .map(|e| pick(t, &e.reason_vi, &e.reason_en).to_string())
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
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let p = flow::procedure(&code)?;
    let account = signed_in(&state, &headers, &format!("/thu-tuc/{code}/nop")).await?;
    let read = prefill::read(&state, p, person_id(&account).as_deref()).await?;
    prefill::log(&state, &read, &format!("draft {}", p.code)).await;
    render_apply(
        &ctx,
        p,
        &serde_json::Map::new(),
        &read,
        "",
        &[],
        StatusCode::OK,
    )
    .await
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
    let account = signed_in(&state, &headers, &format!("/thu-tuc/{code}/nop")).await?;
    let form = p.schema().from_text(&pairs);
    let email = value("email").unwrap_or_default().to_string();
    let filed = flow::file_online(
        &state,
        &account,
        Application {
            procedure: p.code.clone(),
            form: form.clone(),
            email: Some(email.clone()),
        },
    )
    .await;
    match filed {
        Ok(stored) => {
            metrics::counter!(crate::metrics::DOSSIERS_FILED, "channel" => "online").increment(1);
            Ok(see_other(&format!("/ho-so/{}?moi=1", stored.dossier.code)))
        }
        Err(FlowError::Form(errors)) => {
            // show the form again with what the state fills, and each error
            let read = prefill::read(&state, p, person_id(&account).as_deref()).await?;
            prefill::log(&state, &read, &format!("draft {}", p.code)).await;
            render_apply(
                &ctx,
                p,
                &form,
                &read,
                &email,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

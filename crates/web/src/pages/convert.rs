//! Legacy address conversion: paste addresses one per line, get a table of
//! results (an htmx fragment, or the whole page for a plain POST), or the
//! same results as CSV.

use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use units::{Conversion, Status, Units};

use crate::api::tracker::{cell, download};
use crate::pages::csrf;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, csrf_page, html};
use crate::pages::lookup::{Link, commune_href};
use crate::state::AppState;

pub const PATH: &str = "/chuyen-doi-dia-chi";
/// At most this many (non-blank) lines per paste.
pub const MAX_LINES: usize = 1000;
/// Longer lines are not converted (no real address is this long).
const MAX_LINE_CHARS: usize = 500;

#[derive(Deserialize)]
pub struct ConvertForm {
    #[serde(default)]
    addresses: String,
    #[serde(default)]
    csrf_token: Option<String>,
}

/// One converted line, ready to show.
pub struct RowView {
    pub n: usize,
    pub input: String,
    /// `converted`, `ambiguous` or `not_found`
    pub status: &'static str,
    pub badge: &'static str,
    pub address: Option<Link>,
    pub candidates: Vec<Link>,
    pub legacy: Vec<String>,
    pub note: Option<String>,
}

pub struct ConvertResults {
    pub rows: Vec<RowView>,
    pub summary: String,
}

fn badge(t: Tr, status: Status) -> &'static str {
    match status {
        Status::Converted => t.status_converted(),
        Status::Ambiguous => t.status_ambiguous(),
        Status::NotFound => t.status_not_found(),
    }
}

fn row_view(t: Tr, units: &Units, n: usize, c: Conversion) -> RowView {
    let note = match c.status {
        Status::Converted if c.partly_merged => Some(t.partly_note().to_string()),
        Status::Converted if c.legacy.is_empty() => Some(t.already_new().to_string()),
        Status::Converted => None,
        Status::Ambiguous if c.legacy.len() > 1 => Some(t.fits_several(c.legacy.len())),
        Status::Ambiguous => Some(t.split_among(c.candidates.len())),
        Status::NotFound => {
            let province = c
                .province_code
                .as_deref()
                .and_then(|p| units.province(p))
                .map(|p| format!(" {} {}.", t.province_recognised(), p.name))
                .unwrap_or_default();
            let detail = match (t.lang(), c.reason.as_deref()) {
                (crate::pages::i18n::Lang::En, Some(r)) if !c.input.is_empty() => format!(" ({r})"),
                _ => String::new(),
            };
            Some(format!("{}{detail}{province}", t.not_found_note()))
        }
    };
    let legacy = legacy_names(&c);
    RowView {
        n,
        status: c.status.as_str(),
        badge: badge(t, c.status),
        address: c.address.map(|a| Link {
            href: c
                .commune_code
                .as_deref()
                .map(commune_href)
                .unwrap_or_default(),
            text: a,
        }),
        candidates: c
            .candidates
            .iter()
            .map(|k| Link::commune(&k.commune_code, &k.name))
            .collect(),
        legacy,
        note,
        input: c.input,
    }
}

/// The pasted lines worth converting.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Converts every line off the async threads; `None` if that task failed.
async fn convert_all(
    units: &'static Units,
    lines: Vec<String>,
) -> Result<Vec<Conversion>, PageError> {
    tokio::task::spawn_blocking(move || {
        lines
            .into_iter()
            .map(|l| {
                if l.chars().count() > MAX_LINE_CHARS {
                    Conversion {
                        input: l,
                        status: Status::NotFound,
                        province_code: None,
                        commune_code: None,
                        candidates: Vec::new(),
                        address: None,
                        street: None,
                        legacy: Vec::new(),
                        partly_merged: false,
                        reason: Some("line too long".to_string()),
                    }
                } else {
                    units.convert(&l)
                }
            })
            .collect()
    })
    .await
    .map_err(|e| PageError::internal("converting addresses", e))
}

#[derive(askama::Template)]
#[template(path = "convert.html")]
struct ConvertPage {
    l: Layout,
    t: Tr,
    text: String,
    csrf: String,
    max_hint: String,
    error: Option<String>,
    reload: bool,
    results: Option<ConvertResults>,
}

#[derive(askama::Template)]
#[template(path = "_convert_results.html")]
struct ConvertFragment {
    t: Tr,
    text: String,
    csrf: String,
    error: Option<String>,
    reload: bool,
    results: Option<ConvertResults>,
}

/// What a submission produced.
struct Outcome {
    status: StatusCode,
    error: Option<String>,
    reload: bool,
    results: Option<ConvertResults>,
}

/// The form page (empty, or with what was submitted and its outcome); sets
/// the CSRF cookie when the session has none yet.
fn render_page(ctx: &Ctx, text: String, outcome: Outcome) -> Result<Response, PageError> {
    let t = ctx.t();
    let page = |csrf| ConvertPage {
        l: ctx.layout(t.convert_title(), "convert"),
        t,
        text,
        csrf,
        max_hint: t.max_lines_hint(MAX_LINES),
        error: outcome.error,
        reload: outcome.reload,
        results: outcome.results,
    };
    Ok(csrf_page(ctx, outcome.status, page, |res| res)?)
}

/// `GET /chuyen-doi-dia-chi`
pub async fn page(ctx: Ctx) -> Result<Response, PageError> {
    render_page(
        &ctx,
        String::new(),
        Outcome {
            status: StatusCode::OK,
            error: None,
            reload: false,
            results: None,
        },
    )
}

/// Checks a submission: readable, with the session's CSRF token, and
/// within the limits. `Err` is the outcome to show instead of results.
fn check(
    ctx: &Ctx,
    form: Result<Form<ConvertForm>, FormRejection>,
) -> Result<(String, Vec<String>), (String, Outcome)> {
    let t = ctx.t();
    let fail = |text: String, status: StatusCode, error: String, reload: bool| {
        Err((
            text,
            Outcome {
                status,
                error: Some(error),
                reload,
                results: None,
            },
        ))
    };
    let form = match form {
        Ok(Form(f)) => f,
        Err(rejection) => {
            return fail(
                String::new(),
                rejection.status(),
                t.bad_request_text().to_string(),
                false,
            );
        }
    };
    if !ctx.csrf_ok(csrf::Check::Session, form.csrf_token.as_deref()) {
        return fail(
            form.addresses,
            StatusCode::FORBIDDEN,
            t.forbidden_text().to_string(),
            true,
        );
    }
    let lines = lines(&form.addresses);
    if lines.is_empty() {
        return fail(
            form.addresses,
            StatusCode::UNPROCESSABLE_ENTITY,
            t.empty_input().to_string(),
            false,
        );
    }
    if lines.len() > MAX_LINES {
        let msg = t.too_many_lines(lines.len(), MAX_LINES);
        return fail(form.addresses, StatusCode::UNPROCESSABLE_ENTITY, msg, false);
    }
    Ok((form.addresses, lines))
}

/// `POST /chuyen-doi-dia-chi`: the results, as a fragment for htmx or as
/// the whole page (with the pasted text kept) for a plain form post.
pub async fn submit(
    ctx: Ctx,
    State(state): State<AppState>,
    form: Result<Form<ConvertForm>, FormRejection>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let (text, outcome) = match check(&ctx, form) {
        Err((text, outcome)) => {
            // a forged or stale form gets no page with a fresh token
            if outcome.status == StatusCode::FORBIDDEN && !ctx.htmx {
                return Err(forged(t));
            }
            (text, outcome)
        }
        Ok((text, lines)) => {
            let conversions = convert_all(state.units, lines).await?;
            let count = |s: Status| conversions.iter().filter(|c| c.status == s).count();
            let summary = t.summary(
                conversions.len(),
                count(Status::Converted),
                count(Status::Ambiguous),
                count(Status::NotFound),
            );
            let rows = conversions
                .into_iter()
                .enumerate()
                .map(|(i, c)| row_view(t, state.units, i + 1, c))
                .collect();
            (
                text,
                Outcome {
                    status: StatusCode::OK,
                    error: None,
                    reload: false,
                    results: Some(ConvertResults { rows, summary }),
                },
            )
        }
    };
    if ctx.htmx {
        let fragment = ConvertFragment {
            t,
            text,
            csrf: ctx.csrf_token().map(|(t, _)| t).unwrap_or_default(),
            error: outcome.error,
            reload: outcome.reload,
            results: outcome.results,
        };
        Ok(html(&ctx, outcome.status, &fragment))
    } else {
        render_page(&ctx, text, outcome)
    }
}

/// A forged or stale form: the page is to be loaded again.
fn forged(t: Tr) -> PageError {
    PageError::message(
        StatusCode::FORBIDDEN,
        t.forbidden_title(),
        t.forbidden_text(),
    )
    .with_link(PATH, t.reload())
}

/// The former communes an address was recognised as, each with its
/// district and province.
fn legacy_names(c: &Conversion) -> Vec<String> {
    c.legacy
        .iter()
        .map(|l| {
            format!(
                "{}, {}, {}",
                l.commune_name, l.district_name, l.province_name
            )
        })
        .collect()
}

/// `POST /chuyen-doi-dia-chi/csv`: the conversion as a CSV file.
pub async fn csv(
    ctx: Ctx,
    State(state): State<AppState>,
    form: Result<Form<ConvertForm>, FormRejection>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let lines = match check(&ctx, form) {
        Ok((_, lines)) => lines,
        Err((_, outcome)) if outcome.status == StatusCode::FORBIDDEN => return Err(forged(t)),
        Err((_, outcome)) => {
            let text = outcome.error.as_deref().unwrap_or_default();
            return Err(
                PageError::message(outcome.status, t.bad_request_title(), text)
                    .with_link(PATH, t.convert_title()),
            );
        }
    };
    let conversions = convert_all(state.units, lines).await?;
    // a byte-order mark, so spreadsheets read UTF-8
    let mut out = String::from("\u{feff}");
    let header = [
        t.col_input(),
        t.col_status(),
        t.col_new(),
        t.col_new_code(),
        t.col_candidates(),
        t.recognised_as(),
    ];
    out.push_str(&header.map(cell).join(","));
    out.push_str("\r\n");
    for c in &conversions {
        let candidates: Vec<String> = c
            .candidates
            .iter()
            .map(|k| format!("{} [{}]", k.name, k.commune_code))
            .collect();
        let legacy = legacy_names(c);
        let row = [
            cell(&c.input),
            cell(badge(t, c.status)),
            cell(c.address.as_deref().unwrap_or_default()),
            cell(c.commune_code.as_deref().unwrap_or_default()),
            cell(&candidates.join(" | ")),
            cell(&legacy.join(" | ")),
        ];
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    Ok(download(
        out,
        "text/csv; charset=utf-8",
        "chuyen-doi-dia-chi.csv",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_are_skipped() {
        assert_eq!(lines(" a \r\n\r\n b\n  \n"), ["a", "b"]);
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(cell("=1+1"), "\"'=1+1\"");
    }
}

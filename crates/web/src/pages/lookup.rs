//! The administrative-unit look-up: search (live with htmx, or a plain GET
//! form), and a page per 2025 commune and province.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use units::{Commune, Hit, HitKind, Province, Units};

use crate::auth::query_encode;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, Layout, html};
use crate::state::AppState;

/// How many search hits are shown.
const LIMIT: usize = 20;
/// Longer queries are cut (no unit name is anywhere near this long).
const MAX_QUERY_CHARS: usize = 120;

pub const PATH: &str = "/don-vi-hanh-chinh";

pub fn commune_href(code: &str) -> String {
    format!("{PATH}/xa/{}", query_encode(code))
}

pub fn province_href(code: &str) -> String {
    format!("{PATH}/tinh/{}", query_encode(code))
}

/// A link: where and what it says.
pub struct Link {
    pub href: String,
    pub text: String,
}

impl Link {
    /// A link to a 2025 province's page, saying its name.
    pub fn province(code: &str, name: &str) -> Link {
        Link {
            href: province_href(code),
            text: name.to_string(),
        }
    }

    /// A link to a 2025 commune's page, saying its name.
    pub fn commune(code: &str, name: &str) -> Link {
        Link {
            href: commune_href(code),
            text: name.to_string(),
        }
    }
}

/// One search result, ready to show.
pub struct HitView {
    pub kind: &'static str,
    /// `current` (a 2025 unit) or `legacy`
    pub era: &'static str,
    pub name: String,
    pub href: Option<String>,
    /// where it is (or was): province, or district and province
    pub context: String,
    /// the 2025 units it went to (legacy units only)
    pub successors: Vec<Link>,
    /// `split among N communes`
    pub split: Option<String>,
    pub note: Option<&'static str>,
}

/// The search results for a query, or `None` for no query.
pub struct Results {
    pub hits: Vec<HitView>,
    pub count: String,
}

#[derive(Deserialize, Default)]
pub struct SearchParams {
    #[serde(default)]
    q: Option<String>,
}

fn query_of(params: Result<Query<SearchParams>, QueryRejection>) -> String {
    let q = params
        .map(|Query(p)| p.q)
        .ok()
        .flatten()
        .unwrap_or_default();
    q.trim().chars().take(MAX_QUERY_CHARS).collect()
}

fn hit_view(t: Tr, units: &Units, h: Hit) -> HitView {
    let context_after_name = |h: &Hit| {
        h.full_name
            .strip_prefix(h.name.as_str())
            .map(|s| s.trim_start_matches([',', ' ']).to_string())
            .unwrap_or_default()
    };
    match h.kind {
        HitKind::Province => HitView {
            kind: t.kind_province(),
            era: "current",
            href: Some(province_href(&h.code)),
            context: units
                .province(&h.code)
                .map(|p| t.province_kind(&p.kind))
                .unwrap_or_default(),
            name: h.name,
            successors: Vec::new(),
            split: None,
            note: None,
        },
        HitKind::Commune => HitView {
            kind: t.kind_commune(),
            era: "current",
            href: Some(commune_href(&h.code)),
            context: context_after_name(&h),
            name: h.name,
            successors: Vec::new(),
            split: None,
            note: None,
        },
        HitKind::LegacyProvince => HitView {
            kind: t.kind_legacy_province(),
            era: "legacy",
            href: None,
            context: String::new(),
            successors: h
                .successors
                .iter()
                .map(|s| Link::province(&s.province_code, &s.name))
                .collect(),
            note: h.successors.is_empty().then(|| t.no_successor()),
            name: h.name,
            split: None,
        },
        HitKind::LegacyDistrict => HitView {
            kind: t.kind_legacy_district(),
            era: "legacy",
            href: None,
            context: context_after_name(&h),
            successors: h
                .province_code
                .as_deref()
                .and_then(|code| units.province(code))
                .map(|p| Link::province(&p.code, &p.name))
                .into_iter()
                .collect(),
            note: Some(t.district_abolished()),
            name: h.name,
            split: None,
        },
        HitKind::LegacyCommune => {
            let partly = units
                .successors(&h.code)
                .is_some_and(|s| s.iter().any(|s| s.partly_merged));
            let n = h.successors.len();
            HitView {
                kind: t.kind_legacy_commune(),
                era: "legacy",
                href: None,
                context: context_after_name(&h),
                successors: h
                    .successors
                    .iter()
                    .map(|s| Link::commune(&s.commune_code, &s.name))
                    .collect(),
                split: (partly && n > 1).then(|| t.split_among(n)),
                note: (n == 0).then(|| t.no_successor()),
                name: h.name,
            }
        }
    }
}

/// The results for `q` (none for an empty query), searched off the async
/// threads.
async fn search(t: Tr, units: &'static Units, q: &str) -> Result<Option<Results>, PageError> {
    if q.is_empty() {
        return Ok(None);
    }
    let q = q.to_string();
    let hits = tokio::task::spawn_blocking(move || units.search(&q, LIMIT))
        .await
        .map_err(|e| PageError::internal("searching the units", e))?;
    let hits: Vec<HitView> = hits.into_iter().map(|h| hit_view(t, units, h)).collect();
    Ok(Some(Results {
        count: t.results_count(hits.len()),
        hits,
    }))
}

#[derive(askama::Template)]
#[template(path = "units.html")]
struct UnitsPage {
    l: Layout,
    t: Tr,
    q: String,
    results: Option<Results>,
    provinces: Vec<Link>,
}

#[derive(askama::Template)]
#[template(path = "_search_results.html")]
struct ResultsFragment {
    t: Tr,
    results: Option<Results>,
}

/// `GET /don-vi-hanh-chinh[?q=]`: the look-up page, with results when
/// there is a query (the form works without JavaScript).
pub async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let q = query_of(params);
    let results = search(t, state.units, &q).await?;
    let provinces = state
        .units
        .provinces()
        .iter()
        .map(|p| Link::province(&p.code, &p.name))
        .collect();
    let page = UnitsPage {
        l: ctx.layout(t.units_title(), "units"),
        t,
        q,
        results,
        provinces,
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}

/// `GET /don-vi-hanh-chinh/tim?q=`: the live results (an HTML fragment);
/// the browser's address becomes the full page's.
pub async fn fragment(
    ctx: Ctx,
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let q = query_of(params);
    let results = search(t, state.units, &q).await?;
    let url = if q.is_empty() {
        PATH.to_string()
    } else {
        format!("{PATH}?q={}", query_encode(&q))
    };
    let mut response = html(&ctx, StatusCode::OK, &ResultsFragment { t, results });
    if let Ok(v) = HeaderValue::from_str(&url) {
        response.headers_mut().insert("hx-replace-url", v);
    }
    Ok(response)
}

fn unit_not_found(t: Tr) -> PageError {
    PageError::message(
        StatusCode::NOT_FOUND,
        t.unit_not_found_title(),
        t.unit_not_found(),
    )
    .with_link(PATH, t.back_to_search())
}

/// The unit `find` gives for the code in the path; a malformed or unknown
/// code is the page saying there is no such unit.
fn found<U>(
    t: Tr,
    code: Result<Path<String>, PathRejection>,
    find: impl FnOnce(&str) -> Option<U>,
) -> Result<U, PageError> {
    code.ok()
        .and_then(|Path(code)| find(&code))
        .ok_or_else(|| unit_not_found(t))
}

/// A unit's centre as its page shows it: latitude, longitude.
fn centroid_text(lat: f64, lon: f64) -> String {
    format!("{lat:.4}, {lon:.4}")
}

/// A legacy commune that (partly) makes up a new one.
struct PredecessorView {
    name: String,
    context: String,
    partly: bool,
}

#[derive(askama::Template)]
#[template(path = "commune.html")]
struct CommunePage {
    l: Layout,
    t: Tr,
    c: &'static Commune,
    kind: String,
    province: Option<Link>,
    centroid: String,
    area: Option<String>,
    predecessors: Vec<PredecessorView>,
}

/// `GET /don-vi-hanh-chinh/xa/{code}`
pub async fn commune(
    ctx: Ctx,
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let units = state.units;
    let c = found(t, code, |code| units.commune(code))?;
    let predecessors = units
        .predecessors(&c.code)
        .map(|it| {
            it.map(|old| {
                let lc = old.commune;
                let district = units
                    .legacy_district(&lc.district_code)
                    .map(|d| d.name.as_str())
                    .unwrap_or_default();
                let province = units
                    .legacy_province(&lc.province_code)
                    .map(|p| p.name.as_str())
                    .unwrap_or_default();
                PredecessorView {
                    name: lc.name.clone(),
                    context: format!("{district}, {province}"),
                    partly: old.partly_merged,
                }
            })
            .collect()
        })
        .unwrap_or_default();
    let page = CommunePage {
        l: ctx.layout(c.name.clone(), "units"),
        t,
        kind: t.commune_kind(&c.kind),
        province: units
            .province(&c.province_code)
            .map(|p| Link::province(&p.code, &p.name)),
        centroid: centroid_text(c.lat, c.lon),
        area: c.area_km2.map(|a| format!("{} km²", t.decimal(a, 2))),
        predecessors,
        c,
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}

#[derive(askama::Template)]
#[template(path = "province.html")]
struct ProvincePage {
    l: Layout,
    t: Tr,
    p: &'static Province,
    kind: String,
    counts: String,
    centroid: String,
    merged_from: Vec<String>,
    communes: Vec<Link>,
}

/// `GET /don-vi-hanh-chinh/tinh/{code}`
pub async fn province(
    ctx: Ctx,
    State(state): State<AppState>,
    code: Result<Path<String>, PathRejection>,
) -> Result<Response, PageError> {
    let t = ctx.t();
    let units = state.units;
    let p = found(t, code, |code| units.province(code))?;
    let communes: Vec<&Commune> = units
        .communes_of(&p.code)
        .map(|it| it.collect())
        .unwrap_or_default();
    let count = |kind: &str| communes.iter().filter(|c| c.kind == kind).count();
    let merged_from = units
        .legacy_provinces()
        .iter()
        .filter(|lp| units.successor_province(&lp.code).map(|np| &np.code) == Some(&p.code))
        .map(|lp| lp.name.clone())
        .collect();
    let page = ProvincePage {
        l: ctx.layout(p.name.clone(), "units"),
        t,
        kind: t.province_kind(&p.kind),
        counts: t.communes_count(count("Phường"), count("Xã"), count("Đặc khu")),
        centroid: centroid_text(p.lat, p.lon),
        merged_from,
        communes: communes
            .iter()
            .map(|c| Link::commune(&c.code, &c.name))
            .collect(),
        p,
    };
    Ok(html(&ctx, StatusCode::OK, &page))
}

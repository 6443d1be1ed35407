//! `/api/v1/units/…`: the 2025 provinces and communes, the legacy communes
//! and their successors, and name search.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// Where the list of province codes is.
const PROVINCES_PATH: &str = "/api/v1/units/provinces";
/// Where a commune's code is found from its name.
const SEARCH_HINT: &str = "find codes by name at /api/v1/units/search?q=<name>";
/// The longest search query taken, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Search results when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 10;
/// The most search results one request can ask for.
pub const MAX_LIMIT: usize = 100;

/// A point: the unit's approximate centre.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Centroid {
    #[schema(example = 21.0285)]
    pub lat: f64,
    #[schema(example = 105.8542)]
    pub lon: f64,
}

/// A province or centrally-run city in force from 1 July 2025.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceDto {
    #[schema(example = "01")]
    pub code: String,
    #[schema(example = "Thành phố Hà Nội")]
    pub name: String,
    #[schema(example = "Hà Nội")]
    pub short_name: String,
    /// `tỉnh` (province) or `thành phố trung ương` (centrally-run city).
    #[schema(example = "thành phố trung ương")]
    pub kind: String,
    /// The telephone area code.
    #[schema(example = "24")]
    pub phone_code: String,
    pub centroid: Centroid,
    /// How many communes, wards and special zones it has.
    #[schema(example = 126)]
    pub commune_count: usize,
}

/// The 34 provinces, in code order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceList {
    #[schema(example = 34)]
    pub count: usize,
    pub provinces: Vec<ProvinceDto>,
}

/// A province by code and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceRef {
    #[schema(example = "01")]
    pub code: String,
    #[schema(example = "Thành phố Hà Nội")]
    pub name: String,
}

/// A commune, ward or special zone in force from 1 July 2025.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommuneDto {
    #[schema(example = "00004")]
    pub code: String,
    #[schema(example = "Phường Ba Đình")]
    pub name: String,
    #[schema(example = "Ba Đình")]
    pub short_name: String,
    /// `Xã`, `Phường` or `Đặc khu`.
    #[schema(example = "Phường")]
    pub kind: String,
    #[schema(example = "01")]
    pub province_code: String,
    pub centroid: Centroid,
    /// Approximate area; unknown for a few communes.
    pub area_km2: Option<f64>,
}

/// A province's communes, in code order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvinceCommunes {
    pub province: ProvinceRef,
    pub count: usize,
    pub communes: Vec<CommuneDto>,
}

/// A commune from before 1 July 2025, with its district and province.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LegacyCommuneDto {
    #[schema(example = "00001")]
    pub code: String,
    #[schema(example = "Phường Phúc Xá")]
    pub name: String,
    #[schema(example = "Phường")]
    pub kind: String,
    #[schema(example = "001")]
    pub district_code: String,
    #[schema(example = "Quận Ba Đình")]
    pub district_name: String,
    #[schema(example = "01")]
    pub province_code: String,
    #[schema(example = "Thành phố Hà Nội")]
    pub province_name: String,
}

/// A legacy commune whose area (or part of it) is now in a commune.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PredecessorDto {
    #[serde(flatten)]
    pub commune: LegacyCommuneDto,
    /// The legacy commune was split: only part of it went here.
    pub partly_merged: bool,
}

/// A 2025 commune, its province, and the legacy communes it was made of.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommuneDetail {
    pub commune: CommuneDto,
    pub province: ProvinceRef,
    pub predecessors: Vec<PredecessorDto>,
}

/// A 2025 commune that a legacy commune's area went to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SuccessorDto {
    #[schema(example = "00097")]
    pub commune_code: String,
    #[schema(example = "Phường Hồng Hà")]
    pub name: String,
    #[schema(example = "01")]
    pub province_code: String,
    #[schema(example = "Thành phố Hà Nội")]
    pub province_name: String,
    /// The legacy commune was split: only part of it went here.
    pub partly_merged: bool,
}

/// A legacy commune and the 2025 communes it went to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LegacySuccessors {
    pub legacy_commune: LegacyCommuneDto,
    /// Sorted by code; several when the commune was split, none for the two
    /// legacy communes the official table leaves out.
    pub successors: Vec<SuccessorDto>,
}

/// The search parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// A unit name, with or without diacritics, optionally with its parents
    /// (`phuong ba dinh`, `Tân Định Hồ Chí Minh`); at most 200 characters,
    /// not only spaces.
    #[param(
        required = true,
        example = "Phúc Xá",
        max_length = 200,
        pattern = "[^\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]"
    )]
    pub q: Option<String>,
    /// How many hits, 1 to 100 (clamped); 10 when left out.
    #[param(example = 10)]
    pub limit: Option<i64>,
}

/// A unit that a legacy unit went to: a 2025 commune, or for a legacy
/// province, a 2025 province (without `commune_code`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchSuccessor {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commune_code: Option<String>,
    pub province_code: String,
    pub name: String,
}

/// One search hit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    pub kind: units::HitKind,
    #[schema(example = "00001")]
    pub code: String,
    #[schema(example = "Phường Phúc Xá")]
    pub name: String,
    /// The name with its parents.
    #[schema(example = "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội")]
    pub full_name: String,
    /// The 2025 province it is in (or, for a legacy unit, went to).
    pub province_code: Option<String>,
    /// For legacy units, the 2025 units they went to.
    pub successors: Vec<SearchSuccessor>,
    /// Higher is better.
    pub score: u32,
}

/// Search hits, best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    pub query: String,
    pub limit: usize,
    pub count: usize,
    pub hits: Vec<SearchHit>,
}

fn centroid(lat: f64, lon: f64) -> Centroid {
    Centroid { lat, lon }
}

fn commune_dto(c: &units::Commune) -> CommuneDto {
    CommuneDto {
        code: c.code.clone(),
        name: c.name.clone(),
        short_name: c.short_name.clone(),
        kind: c.kind.clone(),
        province_code: c.province_code.clone(),
        centroid: centroid(c.lat, c.lon),
        area_km2: c.area_km2,
    }
}

fn province_ref(p: &units::Province) -> ProvinceRef {
    ProvinceRef {
        code: p.code.clone(),
        name: p.name.clone(),
    }
}

fn legacy_commune_dto(u: &units::Units, c: &units::LegacyCommune) -> LegacyCommuneDto {
    LegacyCommuneDto {
        code: c.code.clone(),
        name: c.name.clone(),
        kind: c.kind.clone(),
        district_code: c.district_code.clone(),
        district_name: u
            .legacy_district(&c.district_code)
            .map(|d| d.name.clone())
            .unwrap_or_default(),
        province_code: c.province_code.clone(),
        province_name: u
            .legacy_province(&c.province_code)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
    }
}

/// A code from the request's path, checked by `parse`: a malformed one is
/// a bad request whose detail says `'<raw>' is not <shape>`, an unknown one
/// the answer `unknown` gives for it.
fn checked_code<C>(
    raw: &str,
    parse: fn(&str) -> Result<C, domain::DomainError>,
    shape: &str,
    unknown: impl FnOnce(String) -> ApiError,
) -> Result<C, ApiError> {
    parse(raw).map_err(|e| match e {
        domain::DomainError::Malformed { .. } => {
            ApiError::BadRequest(format!("'{raw}' is not {shape}"))
        }
        domain::DomainError::Unknown { code, .. } => unknown(code),
    })
}

/// The unit `find` gives for a code [`checked_code`] let through: the
/// units' data holds every such code, so its absence is the server's fault.
fn validated<T>(
    code: &impl AsRef<str>,
    what: &str,
    find: impl FnOnce(&str) -> Option<T>,
) -> Result<T, ApiError> {
    let code = code.as_ref();
    find(code).ok_or_else(|| ApiError::Internal(format!("validated {what} {code} is missing")))
}

/// Validates a 2025 province code, with a detail that says where the codes
/// are.
fn province_code(raw: &str) -> Result<domain::ProvinceCode, ApiError> {
    let shape = format!(
        "a province code: a province code is 2 digits, such as 01 for Hà Nội; \
         the 34 codes are listed at {PROVINCES_PATH}"
    );
    checked_code(raw, domain::ProvinceCode::parse, &shape, |code| {
        let hint = match units::Units::get().legacy_province(&code) {
            Some(lp) => format!(
                " ({} was a province before 1 July 2025; it is now part of another province)",
                lp.name
            ),
            None => String::new(),
        };
        ApiError::NotFound(format!(
            "province code '{code}' does not exist{hint}; the 34 codes are listed at {PROVINCES_PATH}"
        ))
    })
}

/// All 34 provinces and cities in force from 1 July 2025.
#[utoipa::path(
    get,
    path = "/api/v1/units/provinces",
    tag = "units",
    responses((status = 200, description = "The 34 provinces, in code order", body = ProvinceList))
)]
pub async fn provinces(State(state): State<AppState>) -> Json<ProvinceList> {
    let u = state.units;
    let provinces: Vec<ProvinceDto> = u
        .provinces()
        .iter()
        .map(|p| ProvinceDto {
            code: p.code.clone(),
            name: p.name.clone(),
            short_name: p.short_name.clone(),
            kind: p.kind.clone(),
            phone_code: p.phone_code.clone(),
            centroid: centroid(p.lat, p.lon),
            commune_count: u.communes_of(&p.code).map(|c| c.count()).unwrap_or(0),
        })
        .collect();
    Json(ProvinceList {
        count: provinces.len(),
        provinces,
    })
}

/// A province's communes, wards and special zones.
#[utoipa::path(
    get,
    path = "/api/v1/units/provinces/{code}/communes",
    tag = "units",
    params(("code" = String, Path, description = "2-digit province code", example = "01", pattern = "^[0-9]{2}$")),
    responses((status = 200, description = "The province's communes, in code order", body = ProvinceCommunes))
)]
pub async fn province_communes(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ProvinceCommunes>, ApiError> {
    let code = province_code(&code)?;
    let u = state.units;
    let province = validated(&code, "province", |code| u.province(code))?;
    let communes: Vec<CommuneDto> = u
        .communes_of(code.as_str())
        .into_iter()
        .flatten()
        .map(commune_dto)
        .collect();
    Ok(Json(ProvinceCommunes {
        province: province_ref(province),
        count: communes.len(),
        communes,
    }))
}

/// A 2025 commune, its province, and the legacy communes it was made of.
#[utoipa::path(
    get,
    path = "/api/v1/units/communes/{code}",
    tag = "units",
    params(("code" = String, Path, description = "5-digit 2025 commune code", example = "00097", pattern = "^[0-9]{5}$")),
    responses((status = 200, description = "The commune", body = CommuneDetail))
)]
pub async fn commune(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<CommuneDetail>, ApiError> {
    let u = state.units;
    let shape = format!("a commune code: a commune code is 5 digits, such as 00097; {SEARCH_HINT}");
    let code = checked_code(&raw, domain::CommuneCode::parse, &shape, |code| {
        if u.legacy_commune(&code).is_some() {
            ApiError::NotFound(format!(
                "commune code '{code}' is not in the 2025 list but is a legacy commune: \
                 its 2025 successors are at /api/v1/units/legacy/communes/{code}/successors"
            ))
        } else {
            ApiError::NotFound(format!(
                "commune code '{code}' does not exist; {SEARCH_HINT}"
            ))
        }
    })?;
    let c = validated(&code, "commune", |code| u.commune(code))?;
    let province = u.province(&c.province_code).ok_or_else(|| {
        ApiError::Internal(format!(
            "commune {code} has no province {}",
            c.province_code
        ))
    })?;
    let predecessors = u
        .predecessors(code.as_str())
        .into_iter()
        .flatten()
        .map(|old| PredecessorDto {
            commune: legacy_commune_dto(u, old.commune),
            partly_merged: old.partly_merged,
        })
        .collect();
    Ok(Json(CommuneDetail {
        commune: commune_dto(c),
        province: province_ref(province),
        predecessors,
    }))
}

/// The 2025 communes a legacy commune went to.
#[utoipa::path(
    get,
    path = "/api/v1/units/legacy/communes/{code}/successors",
    tag = "units",
    params(("code" = String, Path, description = "5-digit legacy (pre-2025) commune code", example = "00007", pattern = "^[0-9]{5}$")),
    responses((status = 200, description = "The legacy commune and its successors", body = LegacySuccessors))
)]
pub async fn legacy_successors(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<LegacySuccessors>, ApiError> {
    let u = state.units;
    let shape = format!("a legacy commune code: it is 5 digits, such as 00001; {SEARCH_HINT}");
    let code = checked_code(&raw, domain::LegacyCommuneCode::parse, &shape, |code| {
        ApiError::NotFound(format!(
            "legacy commune code '{code}' does not exist; {SEARCH_HINT}"
        ))
    })?;
    let old = validated(&code, "legacy commune", |code| u.legacy_commune(code))?;
    let successors = u
        .successors(code.as_str())
        .unwrap_or_default()
        .iter()
        .map(|s| SuccessorDto {
            commune_code: s.commune_code.clone(),
            name: u
                .commune(&s.commune_code)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            province_code: s.province_code.clone(),
            province_name: u
                .province(&s.province_code)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            partly_merged: s.partly_merged,
        })
        .collect();
    Ok(Json(LegacySuccessors {
        legacy_commune: legacy_commune_dto(u, old),
        successors,
    }))
}

/// Searches 2025 and legacy units by name (diacritics, case and tone-mark
/// placement do not matter), best first.
#[utoipa::path(
    get,
    path = "/api/v1/units/search",
    tag = "units",
    params(SearchParams),
    responses((status = 200, description = "Hits, best first", body = SearchResults))
)]
pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Json<SearchResults>, ApiError> {
    let raw = params.q.unwrap_or_default();
    let query = raw.trim().to_string();
    if query.is_empty() {
        return Err(ApiError::BadRequest(
            "the query parameter q is required: a unit name, such as ?q=Phúc Xá".to_string(),
        ));
    }
    let chars = raw.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "the query q is {chars} characters long; at most {MAX_QUERY_CHARS} are taken"
        )));
    }
    let limit = params
        .limit
        .map(|l| l.clamp(1, MAX_LIMIT as i64) as usize)
        .unwrap_or(DEFAULT_LIMIT);
    let u = state.units;
    let q = query.clone();
    let hits = tokio::task::spawn_blocking(move || u.search(&q, limit))
        .await
        .map_err(|e| ApiError::Internal(format!("search task failed: {e}")))?;
    let hits: Vec<SearchHit> = hits.into_iter().map(search_hit).collect();
    Ok(Json(SearchResults {
        query,
        limit,
        count: hits.len(),
        hits,
    }))
}

fn search_hit(h: units::Hit) -> SearchHit {
    SearchHit {
        kind: h.kind,
        code: h.code,
        name: h.name,
        full_name: h.full_name,
        province_code: h.province_code,
        successors: h
            .successors
            .into_iter()
            .map(|s| SearchSuccessor {
                commune_code: (!s.commune_code.is_empty()).then_some(s.commune_code),
                province_code: s.province_code,
                name: s.name,
            })
            .collect(),
        score: h.score,
    }
}

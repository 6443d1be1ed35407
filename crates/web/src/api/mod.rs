//! The JSON API under `/api/v1`, described by the OpenAPI 3 document at
//! `/api/v1/openapi.json`.

pub mod backoffices;
pub mod clients;
pub mod convert;
pub mod dossiers;
pub mod exchange;
pub mod integration;
pub mod problems;
pub mod tracker;
pub mod units;

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use utoipa::OpenApi;

use crate::pages::routes::mount;
use crate::state::AppState;
use problems::Problems;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";

/// The security schemes the operations name: `bearer`, an access token
/// of this server's identity provider.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token of this server's identity provider (`/oidc/token`)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI description of the API (and of the operations endpoints).
#[derive(OpenApi)]
#[openapi(
    modifiers(&Security, &Problems),
    info(
        title = "motcua API",
        description = "Vietnam's administrative units before and after the 1 July 2025 merger: \
                       the 34 provinces and 3,321 communes, the legacy communes and where they went, \
                       name search and legacy address conversion. Errors are RFC 9457 \
                       `application/problem+json`; every response carries an `x-request-id`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        units::provinces,
        units::province_communes,
        units::commune,
        units::search,
        units::legacy_successors,
        convert::convert,
        exchange::call,
        exchange::give_consent,
        exchange::withdraw_consent,
        tracker::accesses,
        clients::list,
        clients::create,
        clients::remove,
        dossiers::procedures,
        dossiers::procedure,
        dossiers::file,
        dossiers::get_dossier,
        dossiers::act,
        dossiers::mine,
        dossiers::reported_mine,
        dossiers::queue,
        dossiers::attach,
        dossiers::attachments,
        dossiers::attachment,
        dossiers::scorecard,
        integration::integration_login,
        integration::integration_call,
        backoffices::list_offices,
        backoffices::connect_office,
        backoffices::change_office,
        backoffices::disconnect_office,
        backoffices::renew_office_password,
        backoffices::office_changes,
        backoffices::upstream_status,
        backoffices::retry_upstream,
        backoffices::retry_office,
        backoffices::office_deliveries,
        integration::integration_signed,
        integration::integration_deliveries,
        crate::health::healthz,
        crate::health::readyz,
    ),
    components(schemas(
        crate::error::Problem,
        exchange::ExchangeBody,
        exchange::ConsentBody,
        tracker::AccessList,
        tracker::Access,
        tracker::MemberRef,
        clients::ClientView,
        clients::NewClient,
        clients::Created,
        dossiers::ProcedureSummary,
        dossiers::NewDossier,
        dossiers::DossierView,
        dossiers::PublicDossier,
        dossiers::ReportedDossier,
        backoffices::WaitingDelivery,
        dossiers::ActBody,
        dossiers::DossierAnswer,
        dossiers::ChannelName,
        dossiers::ScorecardView,
        integration::LoginBody,
        integration::LoginAnswer,
        integration::CallBody,
        integration::CallAnswer,
        integration::ItemAnswer,
        integration::ItemProblem,
        backoffices::OfficeBody,
        backoffices::KeyBody,
        backoffices::OfficeView,
        backoffices::Credentials,
        backoffices::ChangeView,
        backoffices::UpstreamView
    )),
    tags(
        (name = "units", description = "Administrative units and address conversion"),
        (name = "exchange", description = "Signed, logged reads of the population registry, and consents"),
        (name = "tracker", description = "The data tracker: every access to a person's data, for the person logged in on the portal or an operator's system with an admin token"),
        (name = "identity", description = "Administration of the identity provider's relying parties (a token with the admin scope)"),
        (name = "dossiers", description = "The procedure catalog; dossiers filed with a person's token, followed, acted on by the applicant or the staff of their agencies; any dossier's public status by its code"),
        (name = "integration", description = "The integration adapter of the national profile (QCVN 120:2019), as provinces' one-stop systems call it: a log-in, then `{session, madonvi, service, data}` calls answered with `error_code` \"00\"; failures are problems that also carry `error_code`, `message` and each packet's `result`"),
        (name = "operations", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

static OPENAPI_JSON: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"the OpenAPI document failed to render: {e}\"}}"))
});

/// `GET /api/v1/openapi.json`
async fn openapi() -> Response {
    let mut res = OPENAPI_JSON.as_str().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// The API's routes, with their full paths.
pub fn router() -> Router<AppState> {
    mount(vec![
        (&[OPENAPI_PATH], get(openapi)),
        (&["/api/v1/units/provinces"], get(units::provinces)),
        (
            &["/api/v1/units/provinces/{code}/communes"],
            get(units::province_communes),
        ),
        (&["/api/v1/units/communes/{code}"], get(units::commune)),
        (&["/api/v1/units/search"], get(units::search)),
        (
            &["/api/v1/units/legacy/communes/{code}/successors"],
            get(units::legacy_successors),
        ),
        (&["/api/v1/units/convert"], post(convert::convert)),
        (&["/api/v1/exchange/{*target}"], post(exchange::call)),
        (
            &["/api/v1/registry/people/{pid}/consents"],
            post(exchange::give_consent).delete(exchange::withdraw_consent),
        ),
        (&[clients::PATH], get(clients::list).post(clients::create)),
        (
            &["/api/v1/oidc/clients/{client_id}"],
            delete(clients::remove),
        ),
        (&["/api/v1/procedures"], get(dossiers::procedures)),
        (&["/api/v1/procedures/{code}"], get(dossiers::procedure)),
        (
            &["/api/v1/dossiers"],
            get(dossiers::mine).post(dossiers::file),
        ),
        (&["/api/v1/dossiers/reported"], get(dossiers::reported_mine)),
        (&["/api/v1/dossiers/{code}"], get(dossiers::get_dossier)),
        (&["/api/v1/dossiers/{code}/acts"], post(dossiers::act)),
        (
            &["/api/v1/agencies/{agency}/dossiers"],
            get(dossiers::queue),
        ),
        (&["/api/v1/scorecard"], get(dossiers::scorecard)),
        (
            &[integration::LOGIN_PATH],
            post(integration::integration_login),
        ),
        (
            &[integration::CALL_PATH],
            post(integration::integration_call),
        ),
        (
            &[integration::SIGNED_PATH],
            post(integration::integration_signed),
        ),
        (
            &[integration::DELIVERIES_PATH],
            post(integration::integration_deliveries),
        ),
        (
            &[backoffices::PATH],
            get(backoffices::list_offices).post(backoffices::connect_office),
        ),
        (
            &["/api/v1/back-offices/{id}"],
            axum::routing::put(backoffices::change_office).delete(backoffices::disconnect_office),
        ),
        (
            &["/api/v1/back-offices/{id}/password"],
            post(backoffices::renew_office_password),
        ),
        (
            &["/api/v1/back-offices/{id}/changes"],
            get(backoffices::office_changes),
        ),
        (
            &["/api/v1/back-offices/{id}/retry"],
            post(backoffices::retry_office),
        ),
        (
            &["/api/v1/back-offices/{id}/deliveries"],
            get(backoffices::office_deliveries),
        ),
        (&["/api/v1/upstream"], get(backoffices::upstream_status)),
        (
            &["/api/v1/upstream/retry"],
            post(backoffices::retry_upstream),
        ),
        (
            &["/api/v1/dossiers/{code}/attachments"],
            get(dossiers::attachments),
        ),
        (
            &["/api/v1/dossiers/{code}/attachments/{document}"],
            get(dossiers::attachment)
                .put(dossiers::attach)
                // a file and a little more: the rejection names the limit
                .layer(axum::extract::DefaultBodyLimit::max(
                    dossier::MAX_ATTACHMENT_BYTES + 1024,
                )),
        ),
    ])
    .merge(tracker::router())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use utoipa::OpenApi as _;

    use super::ApiDoc;
    use super::problems::REFUSALS;

    /// Each row of the table names one operation of the description, once,
    /// and no two operations share an id (a row would document both).
    #[test]
    fn every_row_names_exactly_one_operation() {
        let doc = ApiDoc::openapi();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for item in doc.paths.paths.values() {
            let operations = [&item.get, &item.put, &item.post, &item.delete, &item.patch];
            for op in operations.into_iter().flatten() {
                if let Some(id) = &op.operation_id {
                    *ids.entry(id.clone()).or_default() += 1;
                }
            }
        }
        let shared: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
        assert!(shared.is_empty(), "operation ids used twice: {shared:?}");
        for (i, (id, problems)) in REFUSALS.iter().enumerate() {
            assert!(ids.contains_key(*id), "{id} names no operation");
            assert!(
                REFUSALS[..i].iter().all(|(seen, _)| seen != id),
                "{id} has two rows"
            );
            assert!(!problems.is_empty(), "{id} lists no problem");
        }
    }
}

//! The middleware stack, on routes the real application does not have.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::state::AppState;
use crate::{REQUEST_ID, with_middleware};

async fn state(dir: &tempfile::TempDir) -> AppState {
    let location = store::Location::SqliteFile(dir.path().join("t.db"));
    let store = match store::open(&location).await {
        Ok(s) => s,
        Err(e) => panic!("open the test store: {e}"),
    };
    let config = match crate::services::exchange::node::DemoConfig::load_or_create(
        &dir.path().join("exchange"),
    ) {
        Ok(c) => c,
        Err(e) => panic!("the demo exchange configuration: {e}"),
    };
    let exchange =
        match crate::services::exchange::node::ExchangeNode::start(&config, store.clone()).await {
            Ok(n) => n,
            Err(e) => panic!("the exchange node: {e}"),
        };
    let oidc = match crate::services::identity::provider::OidcProvider::start(
        "http://127.0.0.1",
        store.as_ref(),
    )
    .await
    {
        Ok(p) => p,
        Err(e) => panic!("the identity provider: {e}"),
    };
    AppState {
        store,
        units: units::Units::get(),
        exchange,
        oidc,
        filing: std::sync::Arc::default(),
        papers: std::sync::Arc::new(crate::ratelimit::papers()),
        adapter: std::sync::Arc::default(),
        drafts: std::sync::Arc::default(),
        upstream_alert: None,
        pushes: None,
    }
}

async fn call(app: Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = match app.oneshot(req).await {
        Ok(r) => r,
        Err(e) => match e {},
    };
    let status = res.status();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
        .unwrap_or_default();
    (status, headers, body)
}

fn get_req(path: &str) -> Request<Body> {
    Request::get(path)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("request: {e}"))
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_problem_with_the_request_id() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    async fn boom() -> &'static str {
        panic!("secret detail")
    }
    let routes: Router<AppState> = Router::new().route("/boom", get(boom));
    let app = with_middleware(routes).with_state(state(&dir).await);
    let (status, headers, body) = call(app, get_req("/boom")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    assert_eq!(v["status"], 500);
    assert_eq!(v["instance"], "/boom");
    assert!(!body.contains("secret detail"), "{body}");
    let id = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok());
    assert!(id.is_some());
    assert_eq!(v["request_id"].as_str(), id);
}

#[tokio::test]
async fn a_request_id_sent_is_kept_and_one_is_made_when_absent() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let app = crate::app(state(&dir).await);
    let req = Request::get("/healthz")
        .header(REQUEST_ID, "abc-123")
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("request: {e}"));
    let (status, headers, body) = call(app.clone(), req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, r#"{"status":"ok"}"#);
    assert_eq!(
        headers.get(REQUEST_ID).and_then(|v| v.to_str().ok()),
        Some("abc-123")
    );
    let (_, headers, _) = call(app, get_req("/healthz")).await;
    let made = headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(uuid::Uuid::parse_str(made).is_ok(), "{made:?}");
}

#[tokio::test]
async fn the_openapi_document_describes_every_api_route() {
    use utoipa::OpenApi;
    let doc = crate::api::ApiDoc::openapi();
    let paths: Vec<&String> = doc.paths.paths.keys().collect();
    for p in [
        "/api/v1/units/provinces",
        "/api/v1/units/provinces/{code}/communes",
        "/api/v1/units/communes/{code}",
        "/api/v1/units/search",
        "/api/v1/units/legacy/communes/{code}/successors",
        "/api/v1/units/convert",
    ] {
        assert!(
            paths.iter().any(|k| k.as_str() == p),
            "{p} not in {paths:?}"
        );
    }
}

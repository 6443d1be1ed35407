//! Axum's extractors, with their rejections answered as problem+json that
//! keep the parser's reason.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// The request body limit, for every route (the convert batch included).
pub const BODY_LIMIT_BYTES: usize = 2 * 1024 * 1024;

/// A JSON object in the request body, read into `T`, rejecting with
/// [`ApiError`]: 415 for another content type, 413 over the body limit,
/// 400 for what is not JSON, 422 for JSON that is not an object (`T` is a
/// set of named members: a list would otherwise be read as one, member by
/// member) or not of `T`'s shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|e| {
            e == "application/json" || (e.starts_with("application/") && e.ends_with("+json"))
        })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(
                "the body must be JSON, sent with `Content-Type: application/json`".to_string(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::BadRequest(e.body_text())
            }
        })?;
        // JSON first, whatever its shape (a truncated body is not JSON, even
        // where its start is not of the shape either)
        let mut value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
        if !value.is_object() {
            return Err(ApiError::Unprocessable(
                "the body must be a JSON object ({ ... }), as the API description says".into(),
            ));
        }
        whole_numbers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(Json)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                ApiError::Unprocessable(if path == "." {
                    format!("the body does not have the expected shape: {inner}")
                } else {
                    format!("the body does not have the expected shape: {path}: {inner}")
                })
            })
    }
}

/// Numbers written with a zero fraction (`2.0`) read as the whole numbers
/// they are: JSON does not tell them apart, and neither does the API's
/// description.
fn whole_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
            {
                if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                    *n = serde_json::Number::from(f as u64);
                } else if (-9_223_372_036_854_775_808.0..0.0).contains(&f) {
                    *n = serde_json::Number::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(members) => members.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "the request body is larger than the {} MiB limit; split the batch into smaller requests",
        BODY_LIMIT_BYTES / (1024 * 1024)
    ))
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query`, rejecting with [`ApiError`].
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// `axum::extract::Path`, rejecting with [`ApiError`].
#[derive(Debug, Clone, Copy, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let reason = r.body_text();
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => too_large(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(
                "the body must be JSON, sent with `Content-Type: application/json`".to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Unprocessable(reason),
            _ => ApiError::BadRequest(reason),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        if r.status().is_server_error() {
            ApiError::Internal(r.body_text())
        } else {
            ApiError::BadRequest(r.body_text())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[derive(Debug, serde::Deserialize)]
    struct Shape {
        n: u32,
        list: Vec<i64>,
    }

    async fn read(content_type: &str, body: &str) -> Result<Shape, ApiError> {
        let req = Request::builder()
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_string()))
            .unwrap_or_default();
        Json::<Shape>::from_request(req, &()).await.map(|Json(v)| v)
    }

    #[tokio::test]
    async fn a_body_is_a_json_object_of_the_shape_whole_numbers_however_written() {
        let ok = read("application/json", r#"{"n": 3.0, "list": [-2.0, 5]}"#).await;
        assert!(
            matches!(ok, Ok(Shape { n: 3, ref list }) if list == &[-2, 5]),
            "{ok:?}"
        );
        let ok = read(
            "application/merge-patch+json; charset=utf-8",
            r#"{"n": 1, "list": []}"#,
        )
        .await;
        assert!(ok.is_ok(), "{ok:?}");
        for (ctype, body, status) in [
            ("text/plain", r#"{"n": 1, "list": []}"#, 415),
            ("application/json", r#"{"n": 1"#, 400),
            ("application/json", "[[]]", 422),
            ("application/json", r#"[3, []]"#, 422),
            ("application/json", r#"{"n": 1.5, "list": []}"#, 422),
            ("application/json", r#"{"n": 1, "list": ["x"]}"#, 422),
        ] {
            let e = read(ctype, body).await.expect_err(body);
            assert_eq!(e.status().as_u16(), status, "{body}: {e}");
        }
        let e = read("application/json", r#"{"n": 1, "list": ["x"]}"#)
            .await
            .expect_err("refused");
        assert!(e.to_string().contains("list[0]"), "{e}");
    }
}

//! Static files, embedded in the binary and served at `/static/{name}`.
//!
//! Pages link them as `/static/{name}?v={hash}`; a request carrying the
//! current hash may be cached for a year, any other for an hour. Every
//! response has a strong `ETag` and answers `If-None-Match` with 304.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    hash: u64,
}

/// FNV-1a, 64 bits: enough to tell versions of a file apart.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../static/", $name)),
            hash: fnv1a(include_bytes!(concat!("../../static/", $name))),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("htmx.min.js", "text/javascript; charset=utf-8"),
    asset!("htmx.LICENSE", "text/plain; charset=utf-8"),
    asset!("passkey.js", "text/javascript; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
];

fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The versioned URL of a static file (`/static/app.css?v=…`).
pub fn href(name: &str) -> String {
    match find(name) {
        Some(a) => format!("/static/{}?v={:016x}", a.name, a.hash),
        None => format!("/static/{name}"),
    }
}

pub async fn serve(
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(asset) = find(&name) else {
        return crate::error::ApiError::NotFound(format!(
            "no static file {name:?}; the pages link the ones there are"
        ))
        .into_response();
    };
    let version = format!("{:016x}", asset.hash);
    let etag = format!("\"{version}\"");
    let versioned = query
        .as_deref()
        .is_some_and(|q| q.split('&').any(|kv| kv == format!("v={version}")));
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=3600"
    };
    let mut response = if headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == etag || t.trim() == "*")
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = asset.body.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        );
        r
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_embedded_and_versioned() {
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{}", a.name);
            assert!(href(a.name).contains("?v="), "{}", a.name);
        }
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
    }
}

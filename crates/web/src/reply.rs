//! Small answers every part of the HTTP surface gives the same way.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A 303 to `to` (a path of this site, or a URI already checked to be a
/// client's registered one), never cached.
pub fn see_other(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            res.headers_mut().insert(header::LOCATION, v);
            no_store(res)
        }
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// The response, marked never to be stored by a cache.
pub fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Adds a `Set-Cookie` to a response.
pub fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// An attached file as a download: its type (as checked), never sniffed,
/// saved rather than shown, under an ASCII version of its name.
pub(crate) fn file_response(
    meta: &store::StoredAttachment,
    content: Vec<u8>,
) -> axum::response::Response {
    download(
        content,
        meta.attachment.media_type.as_str(),
        &meta.attachment.name,
    )
}

/// `content` of type `media_type` as a download, never sniffed, saved
/// rather than shown, under an ASCII version of `name`, kept by no cache
/// but the person's own.
pub(crate) fn download(
    content: Vec<u8>,
    media_type: &'static str,
    name: &str,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse as _;
    let mut res = content.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    h.insert(header::CONTENT_DISPOSITION, disposition);
    res
}

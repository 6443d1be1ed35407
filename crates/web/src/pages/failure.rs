//! How a page fails: [`PageError`], answered as an HTML message page in the
//! reader's language.
//!
//! A handler returns `Result<Response, PageError>` and meets its failures
//! with `?`: the store's, the dossier flow's, a template's or the random
//! source's errors convert into a [`PageError`] whose status follows their
//! kind (as [`ApiError`]'s do). The error does not know the reader's
//! language, so it answers a bare response carrying it in its extensions;
//! [`render`], a middleware around every route, builds the request's
//! [`Ctx`] and renders the message page in its place. A 5xx logs its cause
//! and shows only that the server failed.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::login_href;
use crate::error::ApiError;
use crate::pages::i18n::{Lang, Tr};
use crate::pages::layout::{Ctx, Layout, html};
use crate::reply::see_other;
use crate::services::dossiers::error::FlowError;
use crate::services::identity::records::StoreError;
use crate::services::organisations::OrgError;
use crate::state::AppState;

/// Why a page shows a message instead of its content.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// 404: what was asked for does not exist (the detail is logged; the
    /// page says so in general).
    #[error("not found: {0}")]
    NotFound(String),
    /// 403: the reader may not see or do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 503: a dependency (the database) does not answer; the cause is
    /// logged, never shown.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; the cause is logged, never
    /// shown.
    #[error("internal error: {0}")]
    Internal(String),
    /// A dossier flow stopped: its message, under the dossier pages'
    /// headings.
    #[error("dossier flow: {0:?}")]
    Flow(FlowError),
    /// The page needs a signed-in reader: answered with a redirect to the
    /// log-in page, which comes back to `back`.
    #[error("not signed in")]
    SignIn(String),
    /// A message of the handler's own: status, heading, text, a link.
    #[error("{status}: {text}", status = .0.status, text = .0.text)]
    Message(Box<Message>),
}

/// A page's own message (see [`PageError::message`]).
#[derive(Debug)]
pub(crate) struct Message {
    status: StatusCode,
    heading: String,
    text: String,
    /// where to go from here: `(href, label)`
    link: Option<(String, String)>,
    /// seconds, answered as `Retry-After`
    retry_after: Option<u64>,
}

impl PageError {
    /// A message page answered with `status`.
    pub(crate) fn message(status: StatusCode, heading: &str, text: &str) -> PageError {
        PageError::Message(Box::new(Message {
            status,
            heading: heading.to_string(),
            text: text.to_string(),
            link: None,
            retry_after: None,
        }))
    }

    /// The same message with a link onwards (`label` on a button to `href`).
    pub(crate) fn with_link(mut self, href: impl Into<String>, label: &str) -> PageError {
        if let PageError::Message(m) = &mut self {
            m.link = Some((href.into(), label.to_string()));
        }
        self
    }

    /// The same message, answered with `Retry-After: seconds`.
    pub(crate) fn retry_after(mut self, seconds: u64) -> PageError {
        if let PageError::Message(m) = &mut self {
            m.retry_after = Some(seconds);
        }
        self
    }

    /// An unexpected failure, logged as `context: cause`.
    pub(crate) fn internal(context: &str, cause: impl std::fmt::Display) -> PageError {
        PageError::Internal(format!("{context}: {cause}"))
    }

    fn status(&self) -> StatusCode {
        match self {
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            PageError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            PageError::Flow(e) => match e {
                FlowError::NotFound(_) => StatusCode::NOT_FOUND,
                FlowError::Forbidden(_) => StatusCode::FORBIDDEN,
                FlowError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
                FlowError::Invalid(_) | FlowError::Conflict(_) | FlowError::Form(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                FlowError::TooMany(..) => StatusCode::TOO_MANY_REQUESTS,
                FlowError::UsedUp(..) => StatusCode::SERVICE_UNAVAILABLE,
            },
            PageError::SignIn(_) => StatusCode::SEE_OTHER,
            PageError::Message(m) => m.status,
        }
    }

    /// The page's heading and text in the reader's language, and its link.
    fn words(&self, t: Tr) -> (String, String, Option<(String, String)>) {
        let generic = |heading: &str, text: &str| (heading.to_string(), text.to_string(), None);
        match self {
            PageError::NotFound(_) => generic(t.page_not_found_title(), t.page_not_found_text()),
            PageError::Forbidden(_) => generic(t.page_forbidden_title(), t.page_forbidden_text()),
            PageError::Unavailable(_) => generic(t.unavailable_title(), t.unavailable_text()),
            PageError::Internal(_) | PageError::Flow(FlowError::Internal(_)) => {
                generic(t.server_error_title(), t.server_error_text())
            }
            // the detail names what was missing in English: it is logged
            PageError::Flow(FlowError::NotFound(_)) => {
                generic(t.page_not_found_title(), t.page_not_found_text())
            }
            PageError::Flow(FlowError::Form(errors)) => {
                let text = errors
                    .iter()
                    .map(|e| match t.0 {
                        Lang::Vi => e.reason_vi.as_str(),
                        Lang::En => e.reason_en.as_str(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                generic(t.p_unlawful(), &text)
            }
            PageError::Flow(FlowError::Forbidden(why) | FlowError::Invalid(why)) => generic(
                t.p_unlawful(),
                crate::pages::i18n::pick(t, &why.vi, &why.en),
            ),
            PageError::Flow(
                FlowError::Conflict(m) | FlowError::TooMany(m, _) | FlowError::UsedUp(m, _),
            ) => generic(t.p_unlawful(), m),
            PageError::Message(m) => (m.heading.clone(), m.text.clone(), m.link.clone()),
            PageError::SignIn(_) => (String::new(), String::new(), None),
        }
    }

    /// The whole message page for the request `ctx`.
    fn page(&self, ctx: &Ctx) -> Response {
        let (heading, text, link) = self.words(ctx.t());
        let page = MessagePage {
            l: ctx.layout(&heading, ""),
            t: ctx.t(),
            heading,
            text,
            link,
        };
        let mut res = html(ctx, self.status(), &page);
        if let PageError::Message(m) = self
            && let Some(seconds) = m.retry_after
            && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// A message page that is not a failure (200): a heading and a paragraph.
pub(crate) fn notice(ctx: &Ctx, heading: &str, text: &str) -> Response {
    PageError::message(StatusCode::OK, heading, text).page(ctx)
}

/// A page with a heading, a paragraph and maybe a link.
#[derive(askama::Template)]
#[template(path = "message.html")]
struct MessagePage {
    l: Layout,
    t: Tr,
    heading: String,
    text: String,
    link: Option<(String, String)>,
}

/// The error a response carries until [`render`] turns it into its page.
#[derive(Clone)]
struct Failed(Arc<PageError>);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            PageError::SignIn(back) => return see_other(&login_href(back)),
            PageError::Internal(cause) | PageError::Flow(FlowError::Internal(cause)) => {
                tracing::error!(error = %cause, "a page failed");
            }
            PageError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "a page's dependency is unavailable");
            }
            PageError::NotFound(detail) | PageError::Forbidden(detail) => {
                tracing::debug!(%detail, %status, "a page refused");
            }
            PageError::Flow(_) | PageError::Message(_) => {}
        }
        // without [`render`] (not expected): the status and a plain text
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            status.canonical_reason().unwrap_or("Error"),
        )
            .into_response();
        res.extensions_mut().insert(Failed(Arc::new(self)));
        res
    }
}

/// Renders the message page of a response that carries a [`PageError`],
/// in the language of the request; other responses pass unchanged.
pub(crate) async fn render(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let ctx = match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(ctx) => ctx,
        Err(never) => match never {},
    };
    let mut res = next.run(Request::from_parts(parts, body)).await;
    match res.extensions_mut().remove::<Failed>() {
        Some(Failed(e)) => e.page(&ctx),
        None => res,
    }
}

/// Whether a request is a browser asking for a page: it takes HTML, it is
/// not htmx asking for a fragment, and it is not addressed to the JSON API.
fn wants_page(req: &Request) -> bool {
    let accepts_html = req
        .headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim().starts_with("text/html")));
    accepts_html
        && !req.headers().contains_key("hx-request")
        && !req.uri().path().starts_with("/api/")
}

/// Headers of a problem that its page keeps: what it allows, when to come
/// back, the request's id.
const KEPT_HEADERS: [header::HeaderName; 3] = [
    header::ALLOW,
    header::RETRY_AFTER,
    header::HeaderName::from_static("x-request-id"),
];

/// The portal's page for a status a problem was answered with.
fn status_page(t: Tr, status: StatusCode, request_id: Option<&str>) -> PageError {
    let (heading, text) = match status.as_u16() {
        401 | 403 => (
            t.page_forbidden_title(),
            t.page_forbidden_text().to_string(),
        ),
        404 => (
            t.page_not_found_title(),
            t.page_not_found_text().to_string(),
        ),
        405 => (t.page_method_title(), t.page_method_text().to_string()),
        413 => (
            t.page_too_large_title(),
            t.page_too_large_text().to_string(),
        ),
        429 => (t.page_too_many_title(), t.page_too_many_text().to_string()),
        503 => (t.unavailable_title(), t.unavailable_text().to_string()),
        s if s >= 500 => {
            let id = request_id
                .map(|id| format!(" {} {id}", t.page_request_id()))
                .unwrap_or_default();
            (
                t.server_error_title(),
                format!("{}{id}", t.server_error_text()),
            )
        }
        _ => (
            t.page_bad_request_title(),
            t.page_bad_request_text().to_string(),
        ),
    };
    PageError::message(status, heading, &text).with_link("/", t.page_go_home())
}

/// Middleware around everything: a problem (`application/problem+json`)
/// answered to a browser asking for a page becomes the portal's page for
/// its status, in the reader's language (an unknown address, a method the
/// address does not take, a body over the limit, a server failure); API
/// clients keep the problem.
pub(crate) async fn for_browsers(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if !wants_page(&req) {
        return next.run(req).await;
    }
    let (uri, headers) = (req.uri().clone(), req.headers().clone());
    let res = next.run(req).await;
    let is_problem = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .starts_with(crate::error::PROBLEM_JSON.as_bytes())
    });
    if !is_problem {
        return res;
    }
    let mut parts = match Request::get(uri).body(()) {
        Ok(r) => r.into_parts().0,
        Err(_) => return res,
    };
    parts.headers = headers;
    let ctx = match Ctx::from_request_parts(&mut parts, &state).await {
        Ok(ctx) => ctx,
        Err(never) => match never {},
    };
    let request_id = res
        .headers()
        .get(&KEPT_HEADERS[2])
        .and_then(|v| v.to_str().ok());
    let mut page = status_page(ctx.t(), res.status(), request_id).page(&ctx);
    for name in &KEPT_HEADERS {
        if let Some(v) = res.headers().get(name) {
            page.headers_mut().insert(name.clone(), v.clone());
        }
    }
    page
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Challenged { error, .. } => PageError::from(*error),
            ApiError::NotFound(m) => PageError::NotFound(m),
            ApiError::Forbidden(m) | ApiError::Unauthorized(m) => PageError::Forbidden(m),
            ApiError::Conflict(m) => PageError::Flow(FlowError::Conflict(m)),
            ApiError::Unprocessable(m) => PageError::Flow(FlowError::Invalid(dossier::Said::new(
                "Không thực hiện được yêu cầu này",
                m,
            ))),
            ApiError::Unavailable(m) | ApiError::UsedUp { detail: m, .. } => {
                PageError::Unavailable(m)
            }
            other => PageError::Internal(other.to_string()),
        }
    }
}

/// The store's failures, with the status of their kind (as the API's).
impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        PageError::from(ApiError::from(e))
    }
}

impl From<FlowError> for PageError {
    fn from(e: FlowError) -> Self {
        PageError::Flow(e)
    }
}

/// The organisations service fails only when the store does.
impl From<OrgError> for PageError {
    fn from(e: OrgError) -> Self {
        PageError::internal("an organisation's authorisations", e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::internal("rendering a page", e)
    }
}

impl From<getrandom::Error> for PageError {
    fn from(e: getrandom::Error) -> Self {
        PageError::internal("no randomness", e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_follows_the_kind() {
        let cases = [
            (PageError::from(ApiError::NotFound("x".into())), 404),
            (PageError::from(ApiError::Unavailable("x".into())), 503),
            (PageError::from(ApiError::Conflict("x".into())), 422),
            (PageError::from(ApiError::Internal("x".into())), 500),
            (PageError::from(FlowError::TooMany("x".into(), 3)), 429),
            (PageError::from(FlowError::UsedUp("x".into(), 3)), 503),
            (
                PageError::from(FlowError::Forbidden(dossier::Said::new("x", "x"))),
                403,
            ),
            (PageError::SignIn("/ho-so".into()), 303),
        ];
        for (e, status) in cases {
            assert_eq!(e.status().as_u16(), status, "{e}");
        }
    }

    #[test]
    fn a_server_failure_never_shows_its_cause() {
        for e in [
            PageError::Internal("secret path /var/db".into()),
            PageError::Unavailable("secret path /var/db".into()),
            PageError::Flow(FlowError::Internal("secret path /var/db".into())),
        ] {
            let (heading, text, _) = e.words(Tr(Lang::En));
            assert!(!heading.contains("secret") && !text.contains("secret"));
        }
    }

    #[test]
    fn a_status_page_speaks_the_readers_language_and_quotes_the_request() {
        for lang in [Lang::Vi, Lang::En] {
            let t = Tr(lang);
            for status in [400, 403, 404, 405, 413, 414, 429, 500, 503] {
                let status = StatusCode::from_u16(status).unwrap_or_default();
                let e = status_page(t, status, Some("req-1"));
                assert_eq!(e.status(), status);
                let (heading, text, link) = e.words(t);
                assert!(!heading.is_empty() && !text.is_empty(), "{status}");
                assert_eq!(link.map(|(href, _)| href).as_deref(), Some("/"));
                assert_eq!(
                    text.contains("req-1"),
                    status == StatusCode::INTERNAL_SERVER_ERROR,
                    "{status}"
                );
            }
        }
        let (vi, _, _) = status_page(Tr(Lang::Vi), StatusCode::NOT_FOUND, None).words(Tr(Lang::Vi));
        let (en, _, _) = status_page(Tr(Lang::En), StatusCode::NOT_FOUND, None).words(Tr(Lang::En));
        assert_ne!(vi, en);
    }

    #[test]
    fn a_message_keeps_its_words_link_and_wait() {
        let e = PageError::message(StatusCode::TOO_MANY_REQUESTS, "Slow down", "Wait")
            .with_link("/x", "Back")
            .retry_after(7);
        assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS);
        let (heading, text, link) = e.words(Tr(Lang::Vi));
        assert_eq!((heading.as_str(), text.as_str()), ("Slow down", "Wait"));
        assert_eq!(link, Some(("/x".to_string(), "Back".to_string())));
        let res = e.into_response();
        assert!(res.extensions().get::<Failed>().is_some());
    }
}

//! What every page shares: the request's context ([`Ctx`]: language,
//! cookies, htmx, CSRF), the chrome around a page ([`Layout`]), the HTML
//! answer with the pages' security headers.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub(crate) use crate::auth::session::Signed;
use crate::auth::session::cookie;
use crate::pages::assets;
use crate::pages::csrf;
use crate::pages::i18n::{Lang, Tr};
use crate::reply::with_cookie;
use crate::services::identity::records;
use crate::state::AppState;

/// The portal's log-in page, at its two addresses.
const LOGIN_PATHS: [&str; 2] = ["/dang-nhap", "/login"];

/// The cookie remembering the chosen language.
const LANG_COOKIE: &str = "lang";

/// What every page needs to know about the request: language, cookies,
/// whether htmx asked, where it was asked (for the language switch), and
/// whether a form may come from it (CSRF, see [`csrf`]).
#[derive(Clone)]
pub(crate) struct Ctx {
    pub lang: Lang,
    /// `?lang=` was given: remember it.
    lang_from_query: bool,
    csrf_cookie: Option<String>,
    /// The session cookie's value (forms of a session carry a token
    /// derived from it).
    session_cookie: Option<String>,
    /// The request is not a form sent from another site.
    same_origin: bool,
    /// The site is served over https: cookies are `Secure`.
    secure: bool,
    /// `HX-Request: true`
    pub htmx: bool,
    pub path: String,
    /// the query's `name=value` pairs as sent, without `lang`
    other_params: Vec<String>,
    /// Who is logged in on this browser, for the header of a whole page.
    viewer: Option<Viewer>,
    /// The session read for the header, kept for the page that needs the
    /// signed-in person: `None` when it was not read (htmx, the API), else
    /// what the read found.
    session: Option<Option<Signed>>,
    /// The agencies the person logged in works at, and as what, as read
    /// for the header: `None` when they were not read.
    staff_roles: Option<std::sync::Arc<Vec<(dossier::AgencyCode, dossier::Role)>>>,
}

/// The person logged in, as the header shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Viewer {
    /// Their name, linking to their account.
    pub name: String,
    /// They work at an agency: the header links to the workbench.
    pub staff: bool,
    /// They operate the connections: the header links to their page.
    pub operator: bool,
    /// The token of the header's log-out form (bound to the session).
    pub csrf: String,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<Ctx>() {
            return Ok(ctx.clone());
        }
        let mut ctx = Ctx::from_parts(parts, state.oidc.issuer());
        if ctx.session_cookie.is_some() && !ctx.htmx && !ctx.path.starts_with("/api/") {
            match crate::auth::session::current_once(parts, state).await {
                Ok(signed) => {
                    if let Some(s) = &signed {
                        let (seen, roles) = viewer(state, &parts.headers, &s.1).await;
                        ctx.viewer = seen;
                        ctx.staff_roles = roles.map(std::sync::Arc::new);
                    }
                    ctx.session = Some(signed);
                }
                // the page that needs the person reads again, and says so
                Err(e) => tracing::warn!(error = %e, "reading the session for the header"),
            }
        }
        parts.extensions.insert(ctx.clone());
        Ok(ctx)
    }
}

/// `account`, logged in on this browser, as the header shows them, and
/// their staff roles when they could be read.
async fn viewer(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    account: &records::Account,
) -> (
    Option<Viewer>,
    Option<Vec<(dossier::AgencyCode, dossier::Role)>>,
) {
    let roles = match crate::services::dossiers::flow::staff_roles(state, account).await {
        Ok(roles) => Some(roles),
        Err(e) => {
            tracing::warn!(error = ?e, "reading the staff roles for the header");
            None
        }
    };
    let seen = crate::auth::session::session_cookie(headers).map(|cookie| Viewer {
        name: account.name.clone(),
        staff: roles.as_ref().is_some_and(|r| !r.is_empty()),
        operator: roles
            .as_deref()
            .is_some_and(|r| crate::services::backoffice::status::operated(r).is_some()),
        csrf: csrf::bound_token(cookie),
    });
    (seen, roles)
}

impl Ctx {
    fn from_parts(parts: &Parts, issuer: &str) -> Ctx {
        let mut query_lang = None;
        let mut other_params = Vec::new();
        for kv in parts.uri.query().unwrap_or("").split('&') {
            if kv.is_empty() {
                continue;
            }
            match kv.split_once('=') {
                Some(("lang", v)) => query_lang = query_lang.or(Lang::parse(v)),
                _ if kv == "lang" => {}
                _ => other_params.push(kv.to_string()),
            }
        }
        let cookie_lang = cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse);
        Ctx {
            lang: query_lang.or(cookie_lang).unwrap_or_default(),
            lang_from_query: query_lang.is_some(),
            csrf_cookie: cookie(&parts.headers, csrf::COOKIE)
                .filter(|t| csrf::well_formed(t))
                .map(str::to_string),
            session_cookie: crate::auth::session::session_cookie(&parts.headers)
                .map(str::to_string),
            same_origin: csrf::same_origin(&parts.headers, issuer),
            secure: issuer.starts_with("https://"),
            htmx: parts
                .headers
                .get("hx-request")
                .is_some_and(|v| v.as_bytes() == b"true"),
            path: parts.uri.path().to_string(),
            other_params,
            viewer: None,
            session: None,
            staff_roles: None,
        }
    }

    pub fn t(&self) -> Tr {
        Tr(self.lang)
    }

    /// The same page in the other language.
    fn switch_href(&self) -> String {
        let mut params = self.other_params.clone();
        params.push(format!("lang={}", self.lang.other().code()));
        format!("{}?{}", self.path, params.join("&"))
    }

    /// The chrome around a page's content.
    pub fn layout(&self, title: impl Into<String>, nav: &'static str) -> Layout {
        Layout {
            lang: self.lang.code(),
            title: title.into(),
            nav,
            switch_href: self.switch_href(),
            switch_lang: self.lang.other().code(),
            files: &FILES,
            nav_items: nav_items(self.t(), nav),
            viewer: self.viewer.clone(),
            login_href: if self.path.starts_with("/oidc/")
                || LOGIN_PATHS.contains(&self.path.as_str())
            {
                LOGIN_PATHS[0].to_string()
            } else {
                crate::auth::login_href(&self.path)
            },
        }
    }

    /// The staff roles of the person logged in, as read for this request's
    /// header (`None` when they were not read).
    pub fn staff_roles(&self) -> Option<&[(dossier::AgencyCode, dossier::Role)]> {
        self.staff_roles.as_deref().map(Vec::as_slice)
    }

    /// Who is logged in on this browser, if anyone.
    pub fn viewer(&self) -> Option<&Viewer> {
        self.viewer.as_ref()
    }

    /// The session and account of the person logged in, as read for this
    /// request's header: `None` when it was not read, `Some(None)` when
    /// nobody is logged in.
    pub fn signed(&self) -> Option<Option<&Signed>> {
        self.session.as_ref().map(Option::as_ref)
    }

    /// The same request, its session ended: the header offers to log in.
    pub fn logged_out(&self) -> Ctx {
        Ctx {
            viewer: None,
            session: Some(None),
            session_cookie: None,
            staff_roles: None,
            ..self.clone()
        }
    }

    /// The same request, answered together with a session just started
    /// (its pages' forms carry that session's token).
    pub fn with_session(&self, cookie: &str) -> Ctx {
        Ctx {
            session_cookie: Some(cookie.to_string()),
            // not read: the session just started is not the one read
            session: None,
            staff_roles: None,
            ..self.clone()
        }
    }

    /// The CSRF token for this page's forms, and whether it is new (a
    /// pre-session token to be set as a cookie, see [`with_csrf`]).
    pub fn csrf_token(&self) -> Result<(String, bool), getrandom::Error> {
        if let Some(session) = &self.session_cookie {
            return Ok((csrf::bound_token(session), false));
        }
        match &self.csrf_cookie {
            Some(t) => Ok((t.clone(), false)),
            None => csrf::new_token().map(|t| (t, true)),
        }
    }

    /// Whether a form may be accepted: sent from this site, with the token
    /// `check` asks for.
    pub fn csrf_ok(&self, check: csrf::Check, submitted: Option<&str>) -> bool {
        if !self.same_origin {
            return false;
        }
        let bound = self.session_cookie.as_deref().map(csrf::bound_token);
        let session_ok = csrf::same_token(bound.as_deref(), submitted);
        let cookie_ok = csrf::same_token(self.csrf_cookie.as_deref(), submitted);
        match check {
            csrf::Check::Session if bound.is_some() => session_ok,
            csrf::Check::Session => cookie_ok,
            csrf::Check::BeforeLogIn => session_ok || cookie_ok,
        }
    }
}

/// The chrome of every page: `<html lang>`, title, navigation, switch.
pub(crate) struct Layout {
    pub lang: &'static str,
    pub title: String,
    /// `home`, `units`, `convert` or empty: the current navigation entry
    pub nav: &'static str,
    pub switch_href: String,
    pub switch_lang: &'static str,
    /// The static files and data version every page links.
    pub files: &'static Files,
    pub nav_items: Vec<NavItem>,
    /// Who is logged in (their name, account, workbench, log-out), or
    /// nobody (a link to log in, coming back here).
    pub viewer: Option<Viewer>,
    pub login_href: String,
}

/// What pages link that does not change while the server runs: the static
/// files' versioned addresses and the units data's version.
pub(crate) struct Files {
    pub css: String,
    pub js: String,
    /// passkeys on the log-in and account pages
    pub passkey_js: String,
    /// the navigation's menu button, controls that need htmx
    pub app_js: String,
    pub licence: String,
    pub data_version: String,
}

static FILES: std::sync::LazyLock<Files> = std::sync::LazyLock::new(|| Files {
    css: assets::href("app.css"),
    js: assets::href("htmx.min.js"),
    passkey_js: assets::href("passkey.js"),
    app_js: assets::href("app.js"),
    licence: assets::href("htmx.LICENSE"),
    data_version: units::dataset_version().to_string(),
});

/// An entry of the main navigation.
pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    /// The page shown is this entry's.
    pub current: bool,
}

/// The main navigation, `current` marked.
fn nav_items(t: Tr, current: &str) -> Vec<NavItem> {
    [
        ("home", "/", t.nav_home()),
        ("procedures", "/thu-tuc", t.nav_procedures()),
        ("dossiers", "/ho-so", t.nav_dossiers()),
        ("lookup", "/tra-cuu-ho-so", t.nav_lookup()),
        ("units", "/don-vi-hanh-chinh", t.nav_units()),
        ("convert", "/chuyen-doi-dia-chi", t.nav_convert()),
    ]
    .into_iter()
    .map(|(key, href, label)| NavItem {
        href,
        label,
        current: key == current,
    })
    .collect()
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// An HTML response from a template, with the language cookie (when
/// `?lang=` chose it) and the pages' security headers.
pub(crate) fn html(ctx: &Ctx, status: StatusCode, page: &impl askama::Template) -> Response {
    let body = match page.render() {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "rendering a page");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Đã có lỗi, vui lòng thử lại. / Something went wrong, please try again.",
            )
                .into_response();
        }
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(header::VARY, HeaderValue::from_static("Cookie, HX-Request"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if ctx.lang_from_query {
        let secure = if ctx.secure { "; Secure" } else { "" };
        let c = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
            ctx.lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

/// A page with a form: `page` made with the form's CSRF token, finished
/// by `finish` (headers of its own) before the CSRF cookie is added when
/// the token is new.
pub(crate) fn csrf_page<P: askama::Template>(
    ctx: &Ctx,
    status: StatusCode,
    page: impl FnOnce(String) -> P,
    finish: impl FnOnce(Response) -> Response,
) -> Result<Response, getrandom::Error> {
    let (token, new) = ctx.csrf_token()?;
    let res = finish(html(ctx, status, &page(token.clone())));
    Ok(with_csrf(ctx, res, &token, new))
}

/// Hands a page's new pre-session CSRF token to the browser as a cookie
/// (`new`: the request had none).
pub(crate) fn with_csrf(ctx: &Ctx, response: Response, token: &str, new: bool) -> Response {
    if new {
        with_cookie(response, &csrf::set_cookie(token, ctx.secure))
    } else {
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::query_encode;
    use axum::http::Request;

    fn ctx(uri: &str, cookie: Option<&str>) -> Ctx {
        let mut req = Request::builder().uri(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        let (parts, ()) = req.body(()).expect("request").into_parts();
        Ctx::from_parts(&parts, "http://127.0.0.1:8080")
    }

    #[test]
    fn language_comes_from_the_query_then_the_cookie() {
        assert_eq!(ctx("/", None).lang, Lang::Vi);
        assert_eq!(ctx("/?lang=en", None).lang, Lang::En);
        assert_eq!(ctx("/", Some("a=b; lang=en")).lang, Lang::En);
        assert_eq!(ctx("/?lang=vi", Some("lang=en")).lang, Lang::Vi);
        assert_eq!(ctx("/?lang=xx", Some("lang=en")).lang, Lang::En);
    }

    #[test]
    fn the_switch_keeps_other_parameters() {
        let c = ctx("/don-vi-hanh-chinh?q=phuc+xa&lang=vi", None);
        assert_eq!(c.switch_href(), "/don-vi-hanh-chinh?q=phuc+xa&lang=en");
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(query_encode("phúc xá&x"), "ph%C3%BAc+x%C3%A1%26x");
    }
}

//! What the pages of the authorization flow share: reading and checking
//! the authorization request (pushed or not), sending errors back to the
//! relying party once its redirect URI is known to be registered (before
//! that the person sees a page saying what is wrong), and issuing the
//! code the browser goes back with.
//!
//! The request travels in the forms as it came (its query string) and is
//! checked again when a form comes back, so nothing about it is kept
//! before the person logs in.

use std::sync::Arc;

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use identity::AssuranceLevel;
use identity::authz::{AuthorizationRequest, AuthzError, CodeGrant, RawRequest};
use identity::client::{Client, ClientId};
use serde::de::DeserializeOwned;

use crate::auth::SignedIn;
use crate::pages::csrf;
use crate::pages::failure::PageError;
use crate::pages::i18n::Tr;
use crate::pages::layout::{Ctx, csrf_page};
use crate::reply::see_other;
use crate::services::identity::records::Session;
use crate::services::identity::{clients, grants};
use crate::state::AppState;

/// A request that cannot go on: a page for the person, or an error sent
/// back to the relying party.
pub(crate) enum Refusal {
    Page(PageError),
    Redirect(String),
}

/// The parameters of the query, each at most once.
pub(crate) fn query_pairs(query: &str) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| "the request's parameters cannot be read".to_string())?;
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(seen, _)| seen == k) {
            return Err(format!("the parameter {k} is given more than once"));
        }
    }
    Ok(pairs)
}

/// `uri` with the parameters added to its query.
pub(crate) fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let extra = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{extra}")
}

/// The error sent back to the client (RFC 6749 §4.1.2.1, with `iss`,
/// RFC 9207).
pub(crate) fn error_redirect(
    state: &AppState,
    request: &RequestBack<'_>,
    e: &AuthzError,
) -> String {
    let description = e.to_string();
    let mut params = vec![
        ("error", e.code()),
        ("error_description", description.as_str()),
    ];
    if let Some(s) = request.state {
        params.push(("state", s));
    }
    params.push(("iss", state.oidc.issuer()));
    with_params(request.redirect_uri, &params)
}

/// Where errors go once the redirect URI is known good.
pub(crate) struct RequestBack<'a> {
    pub(crate) redirect_uri: &'a str,
    pub(crate) state: Option<&'a str>,
}

impl<'a> RequestBack<'a> {
    /// Where a checked request goes back to.
    pub(crate) fn of(request: &'a AuthorizationRequest) -> RequestBack<'a> {
        RequestBack {
            redirect_uri: &request.redirect_uri,
            state: request.state.as_deref(),
        }
    }
}

/// Sends the browser back to the relying party with `e` as the answer to
/// `request`.
pub(crate) fn refuse(state: &AppState, request: &AuthorizationRequest, e: &AuthzError) -> Response {
    see_other(&error_redirect(state, &RequestBack::of(request), e))
}

/// Reads and checks the authorization request in `query`.
pub(crate) async fn read_request(
    state: &AppState,
    query: &str,
    t: Tr,
) -> Result<(Arc<Client>, AuthorizationRequest), Refusal> {
    let bad = |m: String| {
        Refusal::Page(PageError::message(
            StatusCode::BAD_REQUEST,
            t.login_bad_request(),
            &m,
        ))
    };
    let mut pairs = query_pairs(query).map_err(bad)?;
    let mut pushed = false;
    // a pushed request (RFC 9126): the client sent it on its back channel
    if let Some(uri) = pairs
        .iter()
        .find(|(k, _)| k == "request_uri")
        .map(|(_, v)| v.clone())
    {
        let client_id = pairs
            .iter()
            .find(|(k, _)| k == "client_id")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| bad("client_id is required with request_uri".into()))?;
        let found = grants::pushed_request(state, &identity::jwk::sha256_b64url(&uri), Utc::now())
            .await
            .map_err(|e| Refusal::Page(e.into()))?;
        let Some((owner, stored)) = found.filter(|(owner, _)| *owner == client_id) else {
            return Err(bad(t.login_expired().to_string()));
        };
        pairs = query_pairs(&stored).map_err(bad)?;
        if !pairs.iter().any(|(k, _)| k == "client_id") {
            pairs.push(("client_id".into(), owner));
        }
        pushed = true;
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if get("request").is_some() || get("request_uri").is_some() {
        return Err(bad(
            "request objects (request) are not accepted; push the request (PAR) instead"
                .to_string(),
        ));
    }
    let client_id = get("client_id").ok_or_else(|| bad("client_id is required".into()))?;
    let id =
        ClientId::parse(client_id).map_err(|_| bad(format!("unknown client {client_id:?}")))?;
    let client = clients::registered(state, &id)
        .await
        .map_err(|e| Refusal::Page(e.into()))?
        .ok_or_else(|| bad(format!("unknown client {client_id:?}")))?;
    if client.require_par && !pushed {
        return Err(bad(
            "this client must push its authorization requests first (PAR, RFC 9126)".into(),
        ));
    }
    let raw = raw_request(get);
    match identity::authz::check_request(&client, &raw) {
        Ok(request) => Ok((client, request)),
        Err(AuthzError::RedirectUri) => Err(bad(format!(
            "{}: {}",
            t.login_bad_request(),
            AuthzError::RedirectUri
        ))),
        Err(e) => {
            let back = RequestBack {
                redirect_uri: raw.redirect_uri.unwrap_or_default(),
                state: raw.state,
            };
            Err(Refusal::Redirect(error_redirect(state, &back, &e)))
        }
    }
}

/// The parameters of an authorization request, read with `get`.
pub(crate) fn raw_request<'a>(get: impl Fn(&str) -> Option<&'a str>) -> RawRequest<'a> {
    RawRequest {
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        response_type: get("response_type"),
        scope: get("scope"),
        state: get("state"),
        nonce: get("nonce"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        acr_values: get("acr_values"),
        prompt: get("prompt"),
        max_age: get("max_age"),
        dpop_jkt: get("dpop_jkt"),
    }
}

/// Too many log-in attempts from one address: when to try again.
pub(crate) fn too_many(t: Tr, wait: std::time::Duration) -> PageError {
    let seconds = wait.as_secs().max(1);
    let text = format!("{} {seconds} {}", t.login_too_many(), t.login_seconds());
    PageError::message(StatusCode::TOO_MANY_REQUESTS, t.login_bad_request(), &text)
        .retry_after(seconds)
}

/// A form of the log-in flow whose CSRF token does not match: the page
/// has expired (or the post did not come from it).
pub(crate) fn expired_form(ctx: &Ctx) -> PageError {
    let t = ctx.t();
    PageError::message(
        StatusCode::FORBIDDEN,
        t.login_bad_request(),
        t.login_expired(),
    )
}

/// A step of the flow: the authorization request it answers (read and
/// checked again from the query it travels as) with its client, the
/// page's context and the time it is answered at.
pub(crate) struct FlowStep {
    pub(crate) state: AppState,
    pub(crate) ctx: Ctx,
    pub(crate) client: Arc<Client>,
    pub(crate) request: AuthorizationRequest,
    pub(crate) query: String,
    pub(crate) now: DateTime<Utc>,
}

impl FlowStep {
    /// Sends the browser back to the relying party with `e` as the answer.
    pub(crate) fn refuse(&self, e: &AuthzError) -> Response {
        refuse(&self.state, &self.request, e)
    }

    /// A page of this step (a [`csrf_page`]) whose form may answer to
    /// the relying party.
    pub(crate) fn page<P: askama::Template>(
        &self,
        status: StatusCode,
        page: impl FnOnce(String) -> P,
    ) -> Result<Response, PageError> {
        Ok(csrf_page(&self.ctx, status, page, |res| {
            with_form_action(res, &self.request.redirect_uri)
        })?)
    }
}

/// The step of the flow whose authorization request is `query`, or the
/// OAuth error to redirect to the relying party with (the outer error:
/// the page to show instead).
pub(crate) async fn flow_request(
    state: &AppState,
    ctx: &Ctx,
    query: &str,
) -> Result<Result<FlowStep, Response>, PageError> {
    match read_request(state, query, ctx.t()).await {
        Ok((client, request)) => Ok(Ok(FlowStep {
            state: state.clone(),
            ctx: ctx.clone(),
            client,
            request,
            query: query.to_string(),
            now: Utc::now(),
        })),
        Err(Refusal::Redirect(to)) => Ok(Err(see_other(&to))),
        Err(Refusal::Page(e)) => Err(e),
    }
}

/// What every form of the flow carries: the page's CSRF token and the
/// authorization request it answers (its query string).
#[derive(serde::Deserialize)]
pub struct FlowForm {
    pub(crate) csrf_token: Option<String>,
    pub(crate) request: Option<String>,
}

/// A posted form of the flow: what every one carries, and its own fields.
#[derive(serde::Deserialize)]
struct PostedForm<F> {
    #[serde(flatten)]
    flow: FlowForm,
    #[serde(flatten)]
    own: F,
}

/// A form of the flow posted by a person signed in: its CSRF token
/// checked, its authorization request read again. When the step cannot go
/// on, the rejection is the answer to give instead: the OAuth error back
/// to the relying party, or the request again (through the log-in) when
/// the session has ended.
pub(crate) struct Posted<F> {
    pub(crate) step: FlowStep,
    pub(crate) signed_in: SignedIn,
    /// The form's own fields.
    pub(crate) form: F,
}

impl<F: DeserializeOwned + Send> FromRequest<AppState> for Posted<F> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let Ok(ctx) = Ctx::from_request_parts(&mut parts, state).await;
        let signed_in = Option::<SignedIn>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Form(PostedForm { flow, own }) =
            Form::<PostedForm<F>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        if !ctx.csrf_ok(csrf::Check::Session, flow.csrf_token.as_deref()) {
            return Err(expired_form(&ctx).into_response());
        }
        let query = flow.request.unwrap_or_default();
        let step = match flow_request(state, &ctx, &query).await {
            Ok(Ok(step)) => step,
            Ok(Err(redirect)) => return Err(redirect),
            Err(e) => return Err(e.into_response()),
        };
        match signed_in {
            Some(signed_in) => Ok(Posted {
                step,
                signed_in,
                form: own,
            }),
            None => Err(see_other(&format!("/oidc/authorize?{query}"))),
        }
    }
}

/// A page whose form's answer redirects to the relying party: its origin
/// is allowed as a form action; nothing of it is cached.
pub(crate) fn with_form_action(mut res: Response, redirect_uri: &str) -> Response {
    if let Some(origin) = origin_of(redirect_uri) {
        let csp = format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             object-src 'none'; base-uri 'none'; form-action 'self' {origin}; frame-ancestors 'none'"
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// `scheme://host[:port]` of an absolute URI.
pub(crate) fn origin_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && !authority.contains(['\'', ';', ' ', '"']))
        .then(|| format!("{scheme}://{authority}"))
}

/// Issues a code for the request of `step` answered by `session` (for
/// the organisation it acts for, if any); the URI the browser goes back
/// to.
pub(crate) async fn code_redirect(
    step: FlowStep,
    session: &Session,
    acting_for: Option<identity::SubjectId>,
) -> Result<String, PageError> {
    let FlowStep {
        state,
        client,
        request,
        now,
        ..
    } = step;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let code = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
    let back_to = request.redirect_uri.clone();
    let client_state = request.state.clone();
    let (subject, actor) = match acting_for {
        Some(org) => (org.to_string(), Some(session.subject.to_string())),
        None => (session.subject.to_string(), None),
    };
    let grant = CodeGrant {
        request,
        subject,
        level: session.level,
        auth_time: session.auth_time,
        issued_at: now,
        actor,
    };
    grants::put_code(
        &state,
        &identity::jwk::sha256_b64url(&code),
        &grant,
        now + identity::authz::CODE_LIFETIME,
    )
    .await?;
    tracing::info!(client = %client.id, level = %session.level, "authorization code issued");
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = client_state.as_deref() {
        params.push(("state", s));
    }
    params.push(("iss", state.oidc.issuer()));
    Ok(with_params(&back_to, &params))
}

/// A local path to go to after the portal's log-in (never another site):
/// an absolute path of printable ASCII without backslashes, not starting
/// with two slashes. Browsers drop tabs and line breaks from a URL and
/// read `\` as `/`, so `/\t/evil.example` or `/\\evil.example` would
/// leave the site: anything but plain printable characters is refused
/// rather than cleaned.
pub(crate) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 512
                && n.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/tai-khoan".to_string(),
    }
}

/// The level a person's session needs for `request`: acting for an
/// organisation (the `org` scope) always needs level 2.
pub(crate) fn person_level(request: &AuthorizationRequest) -> AssuranceLevel {
    if request.scopes.contains("org") {
        AssuranceLevel::Level2
    } else {
        request.level
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(query_pairs("a=1&b=2").is_ok());
        let e = query_pairs("a=1&a=2").expect_err("repeated");
        assert!(e.contains("more than once"), "{e}");
    }

    #[test]
    fn errors_and_codes_are_added_to_the_redirect_uri() {
        assert_eq!(
            with_params("https://rp.example/cb", &[("code", "x y"), ("state", "s")]),
            "https://rp.example/cb?code=x+y&state=s"
        );
        assert_eq!(
            with_params("https://rp.example/cb?a=1", &[("code", "c")]),
            "https://rp.example/cb?a=1&code=c"
        );
    }

    #[test]
    fn origins_are_read_from_redirect_uris() {
        assert_eq!(
            origin_of("https://rp.example/cb?x=1").as_deref(),
            Some("https://rp.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/cb").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("no-scheme"), None);
        assert_eq!(origin_of("https://a';b/"), None);
    }
}

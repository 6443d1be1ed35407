//! `GET`/`POST /oidc/userinfo`: the UserInfo endpoint (OpenID Connect
//! Core §5.3).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::reply::no_store;
use crate::services::identity::claims;
use crate::services::identity::records::Account;
use crate::state::AppState;

/// The UserInfo endpoint (Core §5.3): the claims of the person whose
/// access token is presented, as far as its scopes allow. A token bound
/// to a DPoP key is served only with a fresh proof of that key naming
/// this request and the token.
pub(crate) async fn userinfo(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
) -> Response {
    let (token, account) = match crate::auth::token::check_with_account(&state, &parts).await {
        Ok(c) => c,
        Err(e) => return e.oauth_response(),
    };
    // the provider's own resource: tokens meant for it, of a person's log-in
    if !token.is_for(state.oidc.issuer()) || !token.has("openid") || !token.is_person() {
        return crate::auth::AuthError::Insufficient {
            reason: "UserInfo answers tokens of a person's log-in with the openid scope".into(),
            dpop: token.dpop,
        }
        .oauth_response();
    }
    let Some(account) = account else {
        return crate::auth::AuthError::invalid(
            "the account of this token no longer exists",
            token.dpop,
        )
        .oauth_response();
    };
    let scopes: Vec<&str> = token.scopes.iter().map(String::as_str).collect();
    let mut answer = person_claims(&token.sub, &account, &scopes);
    if token.has("address") {
        match claims::address_claim(&state, &account, &token.client_id, &token.jti).await {
            Ok(Some(address)) => {
                if let Some(map) = answer.as_object_mut() {
                    map.insert("address".into(), address);
                }
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "reading the address for UserInfo");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
    }
    if let (Some(act), Some(map)) = (token.claims.get("act"), answer.as_object_mut()) {
        map.insert("act".into(), act.clone());
    }
    no_store(axum::Json(answer).into_response())
}

/// The claims the scopes allow about an account's holder.
pub(crate) fn person_claims(sub: &str, account: &Account, scopes: &[&str]) -> serde_json::Value {
    use identity::Holder;
    let mut out = serde_json::Map::new();
    out.insert("sub".into(), sub.into());
    let (birth, sex) = match &account.holder {
        Holder::Citizen(c) => (Some(c.birth()), Some(c.sex())),
        Holder::Foreigner(f) => (Some(f.birth()), Some(f.sex())),
        Holder::Organisation(_) => (None, None),
    };
    if scopes.contains(&"profile") {
        out.insert("name".into(), account.name.clone().into());
        if let Some(b) = birth {
            // OIDC birthdate: YYYY-MM-DD, or YYYY when only the year is known
            let text = match b {
                registry::PartialDate::Date(_) => b.to_string(),
                _ => format!("{:04}", b.year_number()),
            };
            out.insert("birthdate".into(), text.into());
        }
        if let Some(sex) = sex {
            let g = match sex {
                domain::Sex::Male => "male",
                domain::Sex::Female => "female",
            };
            out.insert("gender".into(), g.into());
        }
    }
    if scopes.contains(&"pid") {
        match &account.holder {
            Holder::Citizen(c) => {
                out.insert("pid".into(), c.pin().to_string().into());
            }
            Holder::Foreigner(f) => {
                let (passport, country) = f.key();
                out.insert("passport_number".into(), passport.to_string().into());
                out.insert("nationality".into(), country.alpha3().into());
            }
            Holder::Organisation(o) => {
                out.insert("tax_code".into(), o.tax_code().to_string().into());
            }
        }
    }
    if let (true, Holder::Organisation(o)) = (scopes.contains(&"org"), &account.holder) {
        out.insert("name".into(), account.name.clone().into());
        out.insert("tax_code".into(), o.tax_code().to_string().into());
        out.insert("foreign_owned".into(), o.foreign_owned().into());
    }
    if let Some(level) = account.level {
        out.insert("eid_level".into(), level.acr().into());
    }
    serde_json::Value::Object(out)
}

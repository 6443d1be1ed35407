//! The authorization endpoint (OpenID Connect Core §3.1.2): a relying
//! party sends the person's browser here; a live session at the right
//! level answers at once, otherwise the person logs in, and the browser
//! goes back with a code that the relying party redeems at the token
//! endpoint.
//!
//! | route | what |
//! | --- | --- |
//! | `GET /oidc/authorize` | checks the request; answers from a session or shows the log-in page |

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use identity::Holder;
use identity::authz::{AuthzError, Prompt};

use crate::auth::SignedIn;
use crate::oidc::consent::continue_with;
use crate::oidc::flow::{flow_request, person_level};
use crate::oidc::login::login_page;
use crate::pages::failure::PageError;
use crate::pages::layout::Ctx;
use crate::state::AppState;

/// `GET /oidc/authorize`
pub(crate) async fn authorize(
    State(state): State<AppState>,
    ctx: Ctx,
    signed_in: Option<SignedIn>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let query = query.unwrap_or_default();
    let step = match flow_request(&state, &ctx, &query).await? {
        Ok(step) => step,
        Err(redirect) => return Ok(redirect),
    };
    let request = &step.request;
    // a live session (a legacy organisation's ends at the cut-over)
    if let Some(SignedIn {
        session: s,
        account,
    }) = &signed_in
    {
        let is_person = !matches!(account.holder, Holder::Organisation(_));
        let mut asked = request.clone();
        if is_person {
            asked.level = person_level(request);
        }
        if identity::authz::session_serves(&asked, s.level, s.auth_time, step.now) {
            return continue_with(step, s, is_person).await;
        }
    }
    if request.prompt == Some(Prompt::None) {
        return Ok(step.refuse(&AuthzError::LoginRequired));
    }
    login_page(&step, "", None, StatusCode::OK)
}

//! Server-rendered pages (askama + htmx), Vietnamese first with English.
//!
//! | route | page |
//! | --- | --- |
//! | `GET /` | the portal's home |
//! | `GET /don-vi-hanh-chinh`, `/units` | unit look-up (`?q=` without JavaScript) |
//! | `GET /don-vi-hanh-chinh/tim?q=` | the look-up's live results (HTML fragment) |
//! | `GET /don-vi-hanh-chinh/xa/{code}` | a 2025 commune |
//! | `GET /don-vi-hanh-chinh/tinh/{code}` | a 2025 province and its communes |
//! | `GET, POST /chuyen-doi-dia-chi`, `/convert` | legacy address conversion |
//! | `POST /chuyen-doi-dia-chi/csv` | the same conversion as a CSV download |
//! | `GET /du-lieu-cua-toi/{pid}`, `/my-data/{pid}` | the data tracker: every access to a person's data (`?from=&to=`) |
//! | `GET /dang-nhap`, `/login` | the portal's log-in (`?next=`) |
//! | `GET, POST /tai-khoan/to-chuc`, `/account/organisations` | act for an organisation: its authorisations (level 2) |
//! | `GET /tai-khoan`, `/account` | the holder's account and audit trail (behind log-in) |
//! | `GET /van-hanh`, `/operations` | the operators' page: connected back offices, the upstream queue |
//! | `POST /van-hanh/gui-lai` | send what waits upstream again now (an operator, CSRF) |
//! | `GET /static/{name}` | embedded CSS, htmx and its licence |
//!
//! Every page takes `?lang=vi|en`, which is remembered in a `lang` cookie.
//! htmx requests (`HX-Request: true`) get HTML fragments; everything works
//! without JavaScript through plain GET and POST forms.

mod account;
pub(crate) mod assets;
mod convert;
pub(crate) mod csrf;
mod dossiers;
pub(crate) mod failure;
mod home;
pub mod i18n;
pub(crate) mod layout;
mod lookup;
mod operations;
mod organisations;
pub(crate) mod routes;
mod tracker;

use axum::Router;
use axum::routing::{get, post};

// the names the log-in, passkey and account pages take from here
use crate::oidc::{login, passkey};
use crate::state::AppState;
use routes::mount;

/// The pages' routes, mounted at `/`.
pub fn router() -> Router<AppState> {
    mount(vec![
        (&["/"], get(home::page)),
        (&["/don-vi-hanh-chinh", "/units"], get(lookup::page)),
        (&["/don-vi-hanh-chinh/tim"], get(lookup::fragment)),
        (&["/don-vi-hanh-chinh/xa/{code}"], get(lookup::commune)),
        (&["/don-vi-hanh-chinh/tinh/{code}"], get(lookup::province)),
        (
            &["/chuyen-doi-dia-chi", "/convert"],
            get(convert::page).post(convert::submit),
        ),
        (&["/chuyen-doi-dia-chi/csv"], post(convert::csv)),
        (&["/du-lieu-cua-toi", "/my-data"], get(tracker::own)),
        (
            &["/du-lieu-cua-toi/{pid}", "/my-data/{pid}"],
            get(tracker::page),
        ),
        (&["/static/{name}"], get(assets::serve)),
        (&[account::PATH, account::PATH_EN], get(account::page)),
        (
            &["/tai-khoan/passkey/options"],
            post(passkey::creation_options),
        ),
        (&["/tai-khoan/passkey"], post(passkey::register)),
        (
            &[organisations::PATH, organisations::PATH_EN],
            get(organisations::page).post(organisations::submit),
        ),
        (&["/dang-nhap", "/login"], get(login::portal_login)),
        (
            &[operations::PATH, operations::PATH_EN],
            get(operations::page),
        ),
        (&[operations::RETRY_PATH], post(operations::retry)),
    ])
    .merge(dossiers::router())
}

//! The portal's procedures and dossiers: the catalog and its search, a
//! procedure's page, applying (the form pre-filled from the registry),
//! "my dossiers" with the notices, a dossier's page — its steps, its form,
//! its slips and the acts open to whoever looks (the applicant, or the
//! staff of its agencies) —, the printable slips (forms 01–05 with a QR
//! code of the dossier's code) and the public look-up by code.
//!
//! | route | page |
//! | --- | --- |
//! | `GET /thu-tuc`, `/procedures` | the catalog ([`catalog`]) |
//! | `GET /thu-tuc/{code}` | a procedure ([`catalog`]) |
//! | `GET, POST /thu-tuc/{code}/nop` | applying ([`apply`]) |
//! | `GET /thu-tuc/{code}/noi-nop` | the places of filing matching a search (htmx) |
//! | `GET /ho-so/{code}/ket-qua` | the result issued, printable, sealed ([`result`]) |
//! | `GET /ho-so/{code}/ket-qua.pdf` | the same as a PDF, or the refusal (form 03) ([`result`]) |
//! | `GET /xac-minh/{code}?dau=` | anyone verifies a result by the QR code printed on it |
//! | `GET /ho-so`, `/dossiers` | my dossiers ([`mine`]) |
//! | `GET, POST /ho-so/{code}` | a dossier and its acts ([`show`]), with what a province's back office reports of it, or a dossier known only by such reports ([`reported`]) |
//! | `GET /ho-so/{code}/phieu/{form}` | a slip ([`slips`]) |
//! | `POST /ho-so/{code}/tep`, `GET /ho-so/{code}/tep/{document}` | its files ([`files`]) |
//! | `GET /tra-cuu-ho-so`, `/dossier-lookup` | the public look-up ([`lookup`]) |
//! | `GET /can-bo`, `/workbench` | the officers' workbench ([`workbench`]) |

mod apply;
mod catalog;
mod files;
mod lookup;
mod mine;
mod reported;
mod result;
pub(crate) mod shared;
mod show;
mod slips;
mod workbench;

use axum::Router;
use axum::routing::{get, post};

use crate::pages::routes::mount;
use crate::state::AppState;

/// The dossier pages' routes.
pub fn router() -> Router<AppState> {
    mount(vec![
        (&["/thu-tuc", "/procedures"], get(catalog::catalog)),
        (&["/thu-tuc/{code}"], get(catalog::procedure)),
        (
            &["/thu-tuc/{code}/nop"],
            get(apply::apply_form).post(apply::apply_submit),
        ),
        (&["/thu-tuc/{code}/noi-nop"], get(apply::place_options)),
        (&["/ho-so", "/dossiers"], get(mine::mine)),
        (&["/ho-so/{code}"], get(show::dossier).post(show::act)),
        (&["/ho-so/{code}/phieu/{form}"], get(slips::slip)),
        (
            &["/ho-so/{code}/ket-qua", "/ho-so/{code}/ket-qua.pdf"],
            get(result::result),
        ),
        (&["/xac-minh/{code}"], get(result::verify)),
        (
            &["/ho-so/{code}/tep"],
            post(files::upload).layer(axum::extract::DefaultBodyLimit::max(
                dossier::MAX_ATTACHMENT_BYTES + 64 * 1024,
            )),
        ),
        (&["/ho-so/{code}/tep/{document}"], get(files::download)),
        (&["/tra-cuu-ho-so", "/dossier-lookup"], get(lookup::lookup)),
        (&["/can-bo", "/workbench"], get(workbench::workbench)),
    ])
}

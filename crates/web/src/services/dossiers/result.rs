//! The result of a procedure as a document its holder can show: sealed by
//! this node's provider key (Ed25519) over what it states — the dossier,
//! the procedure, the outcome, when it was issued and the form's data — so
//! that its verification page, reached through the QR code printed on it,
//! tells anyone holding the paper whether it is what the agency issued.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, FixedOffset};
use dossier::{Dossier, Outcome, Status};
use sha2::{Digest, Sha256};

use crate::state::AppState;

/// The path of a result's verification page.
pub const VERIFY_PATH: &str = "/xac-minh";

/// A result issued: when (the leader's approval), by which agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub at: DateTime<FixedOffset>,
    pub agency: dossier::AgencyCode,
}

/// The result `d` carries, if one was issued (processed with the outcome
/// issued, returned or ready to be).
pub fn issued(d: &Dossier) -> Option<Issued> {
    if d.lifecycle.outcome() != Some(Outcome::Issued)
        || !matches!(d.status(), Status::Processed | Status::ResultReturned)
    {
        return None;
    }
    let at = d
        .control
        .iter()
        .find(|c| c.to == Status::Processed)
        .map(|c| c.at)?;
    Some(Issued {
        at,
        agency: d.route.competent.clone(),
    })
}

/// What a seal is over: a versioned text of the result's facts.
fn statement(d: &Dossier, issued: &Issued) -> Vec<u8> {
    // a Map of serde_json is ordered by key: one text for one form
    let form = serde_json::to_string(&d.form).unwrap_or_default();
    format!(
        "motcua-result/1\n{}\n{}\n{}\nissued\n{}\n{}",
        d.code,
        d.procedure,
        issued.agency,
        issued.at.to_rfc3339(),
        hex(&Sha256::digest(form.as_bytes()))
    )
    .into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The seal of `d`'s result: the provider key's signature over what it
/// states, base64url.
pub fn seal(state: &AppState, d: &Dossier, issued: &Issued) -> String {
    B64.encode(state.exchange.provider.sign(&statement(d, issued)))
}

/// Whether `seal` is the seal of the result `d` states now.
pub fn verify(state: &AppState, d: &Dossier, issued: &Issued, seal: &str) -> bool {
    B64.decode(seal.trim()).is_ok_and(|sig| {
        state
            .exchange
            .provider
            .public()
            .verify(&statement(d, issued), &sig)
    })
}

/// Where the result's verification page is, on this site (`issuer`).
pub fn verify_url(issuer: &str, d: &Dossier, seal: &str) -> String {
    format!(
        "{}{VERIFY_PATH}/{}?dau={seal}",
        issuer.trim_end_matches('/'),
        d.code
    )
}

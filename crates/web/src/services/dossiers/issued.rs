//! Whether a dossier carries a result issued, when and by which agency,
//! and the address where anyone verifies it: read from the dossier alone,
//! by the result's seal and by the packets sent upstream.

use chrono::{DateTime, FixedOffset};
use dossier::{Dossier, Outcome, ResultSeal, Status};

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

/// Where the result's verification page is, on this site (`issuer`), with
/// the seal and its key's id.
pub fn verify_url(issuer: &str, d: &Dossier, seal: &ResultSeal) -> String {
    let query = serde_urlencoded::to_string([
        ("dau", seal.signature.as_str()),
        ("khoa", seal.key_id.as_str()),
    ])
    .unwrap_or_default();
    format!(
        "{}{VERIFY_PATH}/{}?{query}",
        issuer.trim_end_matches('/'),
        d.code
    )
}

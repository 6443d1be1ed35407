//! Claims about a person that the provider reads beyond their account:
//! the address from the population registry, each read written to the
//! exchange's message log.

use chrono::Utc;

use super::records::Account;
use crate::state::AppState;

/// Why a claim could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClaimError(String);

/// The member the identity provider reads the registry as, in the message
/// log (so the person sees in their data tracker that a log-in shared
/// their address, with which service).
pub const EID_MEMBER: &str = "VN/GOV/BCA/eid";

/// The OpenID Connect `address` claim of a citizen: their permanent
/// residence as the population registry holds it now. The read is written
/// to the exchange's message log before it is answered.
pub async fn address_claim(
    state: &AppState,
    account: &Account,
    client_id: &str,
    jti: &str,
) -> Result<Option<serde_json::Value>, ClaimError> {
    let identity::Holder::Citizen(c) = &account.holder else {
        return Ok(None);
    };
    let pin = c.pin();
    let person = state
        .store
        .registry()
        .person(&pin)
        .await
        .map_err(|e| ClaimError(e.to_string()))?;
    let Some(residence) = person.and_then(|p| p.permanent_residence.value) else {
        return Ok(None);
    };
    let commune = state.units.commune(residence.commune.as_str());
    let province = commune.and_then(|c| state.units.province(&c.province_code));
    let locality = commune.map(|c| c.name.clone()).unwrap_or_default();
    let region = province.map(|p| p.name.clone()).unwrap_or_default();
    let formatted = [residence.street.as_str(), &locality, &region]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let consumer: exchange::MemberId =
        EID_MEMBER.parse().map_err(|e| ClaimError(format!("{e}")))?;
    let record = exchange::LogRecord {
        at: Utc::now(),
        consumer,
        provider: state.exchange.provider.member.clone(),
        service: "oidc.userinfo".into(),
        purpose: "eid-login".into(),
        legal_basis: None,
        case_ref: Some(format!("client {client_id}")),
        person_id: Some(pin.to_string()),
        fields: vec!["permanent_residence".into()],
        request_digest: exchange::Digest32::of(jti.as_bytes()),
        response_digest: None,
    };
    state
        .exchange
        .log
        .append(record)
        .await
        .map_err(|e| ClaimError(e.to_string()))?;
    Ok(Some(serde_json::json!({
        "formatted": formatted,
        "street_address": residence.street,
        "locality": locality,
        "region": region,
        "country": "VN",
        "commune_code": residence.commune.as_str(),
    })))
}

//! The registry's `events.subscribe` exchange service: a member subscribes
//! to vital events through a signed exchange request, and
//! [`crate::services::delivery`] then POSTs each event of the kinds it asked for
//! to its endpoint.
//!
//! The request is `POST /api/v1/exchange/{provider}/events.subscribe`,
//! signed and carrying `x-purpose`, `x-legal-basis` and `x-case-ref` like
//! every exchange request, with the body
//!
//! ```json
//! { "kinds": ["death"], "endpoint": "https://pensions.example/hook" }
//! ```
//!
//! The exchange authorises it like any other service: the consumer needs an
//! access right for `events.subscribe` with that purpose and legal basis,
//! whose *fields* are the event kinds it may receive; a kind outside them
//! is refused (`field_not_granted`, naming the kind). No kinds: every kind
//! the right allows. The subscription is stored (one per consumer and
//! purpose: subscribing again replaces the kinds, endpoint, legal basis and
//! case reference and keeps the id) and its id returned:
//!
//! ```json
//! { "subscription_id": "sub-…", "kinds": ["death"], "endpoint": "…", "active": true }
//! ```
//!
//! To end it, the same service is called with `{"unsubscribe": "sub-…"}`
//! under the same right (`"active": false` in the answer; `"ended": false`
//! when the consumer had no such subscription). Events are delivered only
//! if they were appended after the subscription was first made.

use chrono::Utc;
use exchange::Grant;
use store::EventSubscription;

use crate::state::AppState;

/// The exchange service this module runs.
pub const SUBSCRIBE: &str = "events.subscribe";

/// Why a subscription was not made or ended.
#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    /// The request cannot be served as asked (the reason given).
    #[error("{0}")]
    Invalid(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// What a member asks of `events.subscribe`.
pub struct SubscribeRequest<'a> {
    /// Where to POST the events.
    pub endpoint: Option<&'a str>,
    /// Ends this subscription instead.
    pub unsubscribe: Option<&'a str>,
}

/// Checks a subscriber's endpoint: an absolute `http` or `https` URL
/// without credentials.
pub fn check_endpoint(endpoint: &str) -> Result<(), SubscribeError> {
    let bad = |why: &str| SubscribeError::Invalid(format!("endpoint {endpoint:?}: {why}"));
    let rest = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .ok_or_else(|| bad("must be an http:// or https:// URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err(bad("names no host"));
    }
    if authority.contains('@') {
        return Err(bad("must not carry credentials"));
    }
    if endpoint.len() > 2048
        || endpoint
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(bad("is not a well-formed URL"));
    }
    reqwest::Url::parse(endpoint).map_err(|e| bad(&e.to_string()))?;
    Ok(())
}

/// Runs `events.subscribe` for an authorised request: stores (or ends) the
/// consumer's subscription and answers with it. `grant.fields` are the
/// kinds granted (the ones asked for, or every kind the right allows).
pub async fn subscribe(
    state: &AppState,
    grant: &Grant,
    input: &SubscribeRequest<'_>,
) -> Result<serde_json::Value, SubscribeError> {
    let delivery = state.store.delivery();
    if let Some(id) = input.unsubscribe {
        let ended = delivery.end_subscription(&grant.consumer, id).await?;
        return Ok(serde_json::json!({
            "subscription_id": id,
            "active": false,
            "ended": ended,
        }));
    }
    let endpoint = input
        .endpoint
        .ok_or_else(|| SubscribeError::Invalid("endpoint is required".into()))?;
    check_endpoint(endpoint)?;
    let kinds: Vec<String> = grant.fields.iter().cloned().collect();
    if kinds.is_empty() {
        return Err(SubscribeError::Invalid(
            "the access right grants no event kind".into(),
        ));
    }
    let subscription = EventSubscription {
        id: format!("sub-{}", uuid::Uuid::now_v7().simple()),
        consumer: grant.consumer.clone(),
        purpose: grant.purpose.clone(),
        kinds: kinds.clone(),
        endpoint: endpoint.to_owned(),
        legal_basis: grant.legal_basis.clone(),
        case_ref: grant.case_ref.clone(),
        created_at: Utc::now(),
    };
    let id = delivery.put_subscription(&subscription).await?;
    tracing::info!(subscription = %id, consumer = %grant.consumer, ?kinds, "subscribed to vital events");
    Ok(serde_json::json!({
        "subscription_id": id,
        "kinds": kinds,
        "endpoint": endpoint,
        "active": true,
    }))
}

#[cfg(test)]
mod tests {
    use super::check_endpoint;

    #[test]
    fn endpoints_are_checked() {
        for ok in [
            "https://pensions.example/hook",
            "http://127.0.0.1:8080/events?x=1",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x/y",
            "pensions.example/hook",
            "https:///hook",
            "https://user:pw@host/hook",
            "https://host/a b",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }
}

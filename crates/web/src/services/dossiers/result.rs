//! The result of a procedure as a document its holder can show: sealed by
//! this node's provider key (Ed25519) over what it states — the dossier,
//! the procedure, the outcome, when it was issued and the form's data — so
//! that its verification page, reached through the QR code printed on it,
//! tells anyone holding the paper whether it is what the agency issued.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use dossier::{Dossier, ResultSeal};
use exchange::{KeyRing, MemberId, RegisteredKey};
use sha2::{Digest, Sha256};

use crate::state::AppState;

pub use super::issued::{Issued, VERIFY_PATH, issued, verify_url};

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

/// A new seal over `d`'s result: the provider key's signature over what it
/// states, with that key's id.
pub fn seal(state: &AppState, d: &Dossier, issued: &Issued) -> ResultSeal {
    let key = &state.exchange.provider;
    ResultSeal {
        key_id: key.key_id.0.clone(),
        signature: B64.encode(key.sign(&statement(d, issued))),
    }
}

/// The seal printed on `d`'s result: the one made when it was issued, or
/// (a result issued before seals were kept) one made now.
pub fn seal_of(state: &AppState, d: &Dossier, issued: &Issued) -> ResultSeal {
    d.seal.clone().unwrap_or_else(|| seal(state, d, issued))
}

/// Whether `signature` (by the key `key_id`, when the paper names it) is
/// the seal of the result `d` states now: made by a key of this node's
/// provider, current or retired, that was in force when the result was
/// issued.
pub fn verify(
    state: &AppState,
    d: &Dossier,
    issued: &Issued,
    signature: &str,
    key_id: Option<&str>,
) -> bool {
    let Ok(signature) = B64.decode(signature.trim()) else {
        return false;
    };
    let statement = statement(d, issued);
    sealing_keys(
        &state.exchange.keyring,
        &state.exchange.provider.member,
        key_id,
        issued.at.to_utc(),
    )
    .any(|k| k.key.verify(&statement, &signature))
}

/// The keys a seal of a result issued at `at` may be made with: `provider`'s
/// keys in force then (only the one named `key_id`, when named).
fn sealing_keys<'a>(
    ring: &'a KeyRing,
    provider: &'a MemberId,
    key_id: Option<&'a str>,
    at: DateTime<Utc>,
) -> impl Iterator<Item = &'a RegisteredKey> {
    ring.keys_of(provider)
        .filter(move |k| key_id.is_none_or(|id| k.key_id.0 == id))
        .filter(move |k| k.valid_at(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use exchange::{KeyId, MemberKey};

    #[test]
    fn a_seal_is_checked_with_the_providers_keys_in_force_when_the_result_was_issued() {
        let provider: MemberId = "VN/GOV/BCA/registry".parse().unwrap();
        let other: MemberId = "VN/COM/0100112437/kyc".parse().unwrap();
        let rotated = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let key =
            |member: &MemberId, id: &str, seed: u8, until: Option<DateTime<Utc>>| RegisteredKey {
                key_id: KeyId(id.into()),
                member: member.clone(),
                key: MemberKey::from_seed(member.clone(), KeyId(id.into()), [seed; 32]).public(),
                valid_from: DateTime::<Utc>::MIN_UTC,
                valid_until: until,
            };
        let mut ring = KeyRing::new();
        ring.insert(key(&provider, "old", 1, Some(rotated)))
            .unwrap();
        ring.insert(key(&provider, "new", 2, None)).unwrap();
        ring.insert(key(&other, "theirs", 3, None)).unwrap();
        let ids = |key_id: Option<&str>, at: DateTime<Utc>| {
            let mut ids: Vec<String> = sealing_keys(&ring, &provider, key_id, at)
                .map(|k| k.key_id.0.clone())
                .collect();
            ids.sort_unstable();
            ids
        };
        let day = chrono::Duration::days(1);
        // issued before the rotation: either key, as the paper names it
        assert_eq!(ids(None, rotated - day), ["new", "old"]);
        assert_eq!(ids(Some("old"), rotated - day), ["old"]);
        // issued after: never the retired key, nor another member's
        assert_eq!(ids(None, rotated + day), ["new"]);
        assert!(ids(Some("old"), rotated + day).is_empty());
        assert!(ids(Some("theirs"), rotated - day).is_empty());
        assert!(ids(Some("nope"), rotated - day).is_empty());
    }
}

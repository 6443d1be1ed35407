//! Connecting back offices, and their log-in: an operator connects a
//! province's system (its units, push or pull, its endpoint), changes it,
//! gives it a new password or disconnects it, each change in its audit
//! trail with who made it; the system logs in with its id and the password
//! the platform made (32 random bytes, shown once, kept as its SHA-256)
//! and gets a session for an hour, kept by the SHA-256 of its token.

use crate::services::Stores;
use backoffice::office::Draft;
use backoffice::{Office, Problem};
use chrono::{DateTime, Duration, Utc};
use identity::client::{SecretHash, secret_from_random};
use serde_json::json;
use store::{OfficeChange, Store, StoreError, StoredOffice};

/// Where a back office logs in (the integration adapter's log-in).
pub const LOGIN_PATH: &str = "/api/v1/integration/login";

/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::hours(1);

/// Why a change to a back office was refused.
#[derive(Debug, thiserror::Error)]
pub enum OfficeError {
    /// The configuration has problems: every one, each naming its field.
    #[error("{}", super::list(.0))]
    Invalid(Vec<Problem>),
    /// Another back office reports for a unit already.
    #[error(
        "the unit {unit} is reported by the back office {office} already: \
         a unit has one back office; take it off that one first"
    )]
    UnitTaken {
        /// The unit.
        unit: String,
        /// The back office that has it.
        office: String,
    },
    /// A back office with this id is connected already.
    #[error("a back office {0} is connected already: change it, or choose another id")]
    Exists(String),
    /// No back office has this id.
    #[error("no back office {0} is connected")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for the password.
    #[error("no randomness for a password: {0}")]
    Random(String),
}

/// Checks `draft`, including that its province exists and that no other
/// back office reports for its units.
async fn checked(
    store: &dyn Store,
    units: &units::Units,
    draft: Draft,
) -> Result<Office, OfficeError> {
    let mut problems = Vec::new();
    let province = draft.province.trim().to_string();
    let office = match Office::check(draft) {
        Ok(office) => Some(office),
        Err(found) => {
            problems = found;
            None
        }
    };
    if !problems.iter().any(|p| p.field == "province") && units.province(&province).is_none() {
        problems.push(Problem {
            field: "province",
            reason: format!(
                "there is no province {province}: the 34 codes are listed at /api/v1/units/provinces"
            ),
        });
    }
    let Some(office) = office.filter(|_| problems.is_empty()) else {
        return Err(OfficeError::Invalid(problems));
    };
    for other in store.sync().offices().await? {
        if other.office.id == office.id {
            continue;
        }
        if let Some(unit) = office.units.iter().find(|u| other.office.serves(u)) {
            return Err(OfficeError::UnitTaken {
                unit: unit.clone(),
                office: other.office.id,
            });
        }
    }
    Ok(office)
}

fn new_password() -> Result<String, OfficeError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| OfficeError::Random(e.to_string()))?;
    Ok(secret_from_random(&bytes))
}

fn change(actor: &str, action: &str, at: DateTime<Utc>, detail: serde_json::Value) -> OfficeChange {
    OfficeChange {
        at,
        actor: actor.to_string(),
        action: action.to_string(),
        detail,
    }
}

fn described(office: &Office) -> serde_json::Value {
    serde_json::to_value(office).unwrap_or_else(|_| json!({"id": office.id}))
}

/// Connects a back office by `actor`; its password, shown this once.
pub async fn connect(
    on: &(impl Stores + ?Sized),
    units: &units::Units,
    draft: Draft,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(StoredOffice, String), OfficeError> {
    let store = on.stores();
    let office = checked(store, units, draft).await?;
    let password = new_password()?;
    let stored = StoredOffice {
        secret_sha256: String::from(SecretHash::of(&password)),
        created_at: at,
        updated_at: at,
        office,
    };
    let detail = described(&stored.office);
    // one insert decides: of two operators connecting one id at once, the
    // second is told it exists, and the first one's password stands
    if !store
        .sync()
        .create_office(&stored, &change(actor, "connected", at, detail))
        .await?
    {
        return Err(OfficeError::Exists(stored.office.id));
    }
    Ok((stored, password))
}

/// Changes a connected back office's configuration by `actor` (its
/// password stays).
pub async fn reconfigure(
    on: &(impl Stores + ?Sized),
    units: &units::Units,
    draft: Draft,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<StoredOffice, OfficeError> {
    let store = on.stores();
    let office = checked(store, units, draft).await?;
    let Some(before) = store.sync().office(&office.id).await? else {
        return Err(OfficeError::NotFound(office.id));
    };
    let stored = StoredOffice {
        office,
        updated_at: at,
        ..before.clone()
    };
    let detail = json!({"before": described(&before.office), "after": described(&stored.office)});
    store
        .sync()
        .put_office(&stored, &change(actor, "changed", at, detail))
        .await?;
    Ok(stored)
}

/// Gives a back office a new password by `actor` (the old one stops
/// working, and the sessions opened with it end); the password, shown
/// once.
pub async fn renew_password(
    on: &(impl Stores + ?Sized),
    id: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<String, OfficeError> {
    let store = on.stores();
    let Some(before) = store.sync().office(id).await? else {
        return Err(OfficeError::NotFound(id.to_string()));
    };
    let password = new_password()?;
    let stored = StoredOffice {
        secret_sha256: String::from(SecretHash::of(&password)),
        updated_at: at,
        ..before
    };
    store
        .sync()
        .put_office(&stored, &change(actor, "password", at, json!({})))
        .await?;
    Ok(password)
}

/// Disconnects a back office by `actor`: its sessions end.
pub async fn disconnect(
    on: &(impl Stores + ?Sized),
    id: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<(), OfficeError> {
    let store = on.stores();
    if store
        .sync()
        .remove_office(id, &change(actor, "disconnected", at, json!({})))
        .await?
    {
        Ok(())
    } else {
        Err(OfficeError::NotFound(id.to_string()))
    }
}

/// Why a log-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The id or the password is wrong (which one is not said).
    #[error(
        "the user name or the password is wrong: use the back office's id and the password \
         given when it was connected (or last renewed)"
    )]
    Refused,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No randomness for the session's token.
    #[error("no randomness for a session: {0}")]
    Random(String),
}

/// The SHA-256 a session's token is kept by.
fn token_hash(token: &str) -> String {
    String::from(SecretHash::of(token))
}

/// A back office's audit trail, oldest first (kept after it is
/// disconnected; empty when it never was connected).
pub async fn changes(
    on: &(impl Stores + ?Sized),
    id: &str,
) -> Result<Vec<store::OfficeChange>, StoreError> {
    on.stores().sync().office_changes(id).await
}

/// A back office connected, as stored.
pub use store::StoredOffice as Connected;

/// Logs back office `username` in with `password` at `at`: the session's
/// token and when it expires.
pub async fn log_in(
    on: &(impl Stores + ?Sized),
    username: &str,
    password: &str,
    at: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), LoginError> {
    let store = on.stores();
    let office = store.sync().office(username.trim()).await?;
    let matches = office.as_ref().is_some_and(|o| {
        SecretHash::try_from(o.secret_sha256.clone()).is_ok_and(|h| h.matches(password))
    });
    let Some(office) = office.filter(|_| matches) else {
        return Err(LoginError::Refused);
    };
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| LoginError::Random(e.to_string()))?;
    let token = secret_from_random(&bytes);
    let expires = at + SESSION_LIFETIME;
    store
        .sync()
        .open_office_session(&token_hash(&token), &office.office.id, at, expires)
        .await?;
    Ok((token, expires))
}

/// The back office logged in with the session `token`, if it is still
/// open at `now` (and the back office still connected, with the password
/// the session was opened with).
pub async fn by_session(
    on: &(impl Stores + ?Sized),
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredOffice>, StoreError> {
    let store = on.stores();
    let Some(id) = store
        .sync()
        .office_session(&token_hash(token.trim()), now)
        .await?
    else {
        return Ok(None);
    };
    store.sync().office(&id).await
}

/// The back office that `member` speaks for over motcua's own profile:
/// the one whose id is the member's subsystem, if it is connected.
pub async fn speaking_as(
    on: &(impl Stores + ?Sized),
    member: &exchange::MemberId,
) -> Result<Option<StoredOffice>, StoreError> {
    match member.subsystem() {
        Some(id) if !id.is_empty() => on.stores().sync().office(id).await,
        _ => Ok(None),
    }
}

/// The member that signed `request` with a key its back office's own
/// configuration lists ([`Office::keys`]): the back office named by the
/// request's `x-road-client` (its subsystem), when that signature
/// verifies; `None` otherwise.
pub async fn signed_with_office_key(
    on: &(impl Stores + ?Sized),
    request: &exchange::HttpRequest,
    now: DateTime<Utc>,
) -> Result<Option<exchange::MemberId>, StoreError> {
    let Some(client) = exchange::HttpMessage::header(request, "x-road-client") else {
        return Ok(None);
    };
    let Ok(member) = client.trim().parse::<exchange::MemberId>() else {
        return Ok(None);
    };
    let Some(office) = speaking_as(on, &member).await? else {
        return Ok(None);
    };
    let mut ring = exchange::KeyRing::new();
    for k in office
        .office
        .keys
        .iter()
        .filter(|k| k.member == member.to_string())
    {
        let listed = crate::services::exchange::node::DemoMember {
            member: exchange::Member {
                id: member.clone(),
                name: office.office.name.clone(),
                kind: exchange::MemberKind::Province,
            },
            key_id: k.key_id.clone(),
            seed: None,
            public_key: Some(k.public_key.clone()),
            retired: Vec::new(),
        };
        let Ok(keys) = listed.registered() else {
            continue;
        };
        for key in keys {
            // a key id given twice across members is not taken twice
            let _ = ring.insert(key);
        }
    }
    Ok(exchange::verify_request(request, &ring, now)
        .ok()
        .map(|v| v.consumer)
        .filter(|c| *c == member))
}

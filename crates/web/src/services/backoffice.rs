//! The national side of the back offices' synchronisation: a packet a
//! province's system sends about one of its dossiers, checked, judged
//! against what is known of the dossier by the lifecycle's rules
//! (`backoffice::inbox`), and kept with what was done with it — the state
//! it moves written in the same transaction, only from the version read
//! (a concurrent message about the same dossier makes this one be judged
//! again). Nothing is dropped: a packet is applied, recognised as a
//! duplicate or as overtaken, or quarantined with its reason for an
//! operator; only a packet that cannot be read is refused, with every
//! problem of it, and the sender keeps it.

use backoffice::{DongBoHoSoMC, Problem, Verdict, inbox};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use dossier::{Channel, Outcome};
use sha2::{Digest, Sha256};
use store::{Kept, MessageVerdict, Store, StoreError, SyncMessage, Synced};

/// What was done with a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// It moved the dossier to `version`, through `acts` (none: its fields
    /// changed, not its status).
    Applied {
        /// The dossier's version now.
        version: u64,
        /// The lifecycle's acts it took, in order.
        acts: Vec<dossier::Action>,
    },
    /// The same packet was received before.
    Duplicate,
    /// It says what came before what is known.
    Stale,
    /// It waits for a message before it.
    Waiting,
    /// The lifecycle does not allow it: quarantined, with why.
    Quarantined {
        /// Why, in Vietnamese.
        reason_vi: String,
        /// Why, in English.
        reason_en: String,
    },
}

/// Why a packet was not taken.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// It cannot be read: every problem, each naming its field.
    #[error("the packet cannot be read: {}", list(.0))]
    Invalid(Vec<Problem>),
    /// Other messages about the dossier kept changing it meanwhile.
    #[error("the dossier {0} is changing too fast: send the packet again")]
    Busy(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault of this node (a packet that cannot be written back, a path
    /// the lifecycle found lawful that is not).
    #[error("{0}")]
    Internal(String),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How many times a packet is judged again when its dossier changed
/// meanwhile.
const ATTEMPTS: usize = 8;

/// Receives `packet` from `unit` at `at`.
pub async fn receive_packet(
    store: &dyn Store,
    unit: &str,
    packet: &DongBoHoSoMC,
    at: DateTime<Utc>,
) -> Result<Received, ReceiveError> {
    let reported = backoffice::read_packet(packet).map_err(ReceiveError::Invalid)?;
    let body = serde_json::to_value(packet)
        .map_err(|e| ReceiveError::Internal(format!("writing a packet to keep: {e}")))?;
    // the same packet sent again is the same message
    let digest = B64.encode(Sha256::digest(body.to_string().as_bytes()));
    let key = format!("{}#{}", reported.code, digest);
    let outcome = reported.refused_at.map(|_| Outcome::Refused);
    for _ in 0..ATTEMPTS {
        let known = store.sync().synced(&reported.code).await?;
        let verdict = match &known {
            None => inbox::from_filing(
                reported.channel.unwrap_or(Channel::Online),
                reported.status,
                outcome,
            ),
            Some(k) => match inbox::by_status(&k.lifecycle, reported.status, outcome) {
                // the same status, other facts: an update
                Verdict::Duplicate if k.packet != body => Verdict::Apply(Vec::new()),
                other => other,
            },
        };
        let message = |verdict: MessageVerdict, reason: Option<String>| SyncMessage {
            id: uuid::Uuid::now_v7(),
            key: key.clone(),
            code: reported.code.clone(),
            unit: unit.to_string(),
            received_at: at,
            verdict,
            reason,
            body: body.clone(),
            resolved_at: None,
        };
        let (kept, received) = match verdict {
            Verdict::Apply(acts) => {
                let mut lifecycle = known.as_ref().map_or_else(
                    || dossier::Lifecycle::start(reported.channel.unwrap_or(Channel::Online)),
                    |k| k.lifecycle.clone(),
                );
                for act in &acts {
                    // the inbox found these acts lawful in turn
                    lifecycle.apply(*act).map_err(|e| {
                        ReceiveError::Internal(format!("a lawful path that is not: {e}"))
                    })?;
                }
                let read = known.as_ref().map(|k| k.version);
                let version = read.unwrap_or(0) + 1;
                let state = Synced {
                    code: reported.code.clone(),
                    unit: unit.to_string(),
                    version,
                    lifecycle,
                    packet: body.clone(),
                    updated_at: at,
                };
                let kept = store
                    .sync()
                    .keep(
                        &message(MessageVerdict::Applied, None),
                        Some((&state, read)),
                    )
                    .await?;
                (kept, Received::Applied { version, acts })
            }
            Verdict::Duplicate => (
                store
                    .sync()
                    .keep(&message(MessageVerdict::Duplicate, None), None)
                    .await?,
                Received::Duplicate,
            ),
            Verdict::Stale => (
                store
                    .sync()
                    .keep(&message(MessageVerdict::Stale, None), None)
                    .await?,
                Received::Stale,
            ),
            Verdict::Quarantine(why) => {
                let (reason_vi, reason_en) = (why.reason_vi(), why.to_string());
                let kept = store
                    .sync()
                    .keep(
                        &message(
                            MessageVerdict::Quarantined,
                            Some(format!("{reason_vi} / {reason_en}")),
                        ),
                        None,
                    )
                    .await?;
                (
                    kept,
                    Received::Quarantined {
                        reason_vi,
                        reason_en,
                    },
                )
            }
            Verdict::Wait { .. } => (
                store
                    .sync()
                    .keep(&message(MessageVerdict::Waiting, None), None)
                    .await?,
                Received::Waiting,
            ),
        };
        match kept {
            Kept::Stored => return Ok(received),
            Kept::AlreadyHad => return Ok(Received::Duplicate),
            Kept::Conflict => continue,
        }
    }
    Err(ReceiveError::Busy(reported.code))
}

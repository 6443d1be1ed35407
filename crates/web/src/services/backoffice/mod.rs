//! The national side of the back offices' synchronisation: a packet a
//! province's system sends about one of its dossiers (`DongBoHoSoMC`, the
//! dossier; `CapNhatTienDoHoSoMC`, one processing step), checked, judged
//! against what is known of the dossier by the lifecycle's rules
//! (`backoffice::inbox`), and kept with what was done with it — the state
//! it moves written in the same transaction, only from the version read
//! (a concurrent message about the same dossier makes this one be judged
//! again). Nothing is dropped: a packet is applied, recognised as a
//! duplicate or as overtaken, or quarantined with its reason for an
//! operator, or (a step of a dossier not known yet) kept waiting for its
//! dossier's packet and applied when it comes; only a packet that cannot
//! be read is refused, with every problem of it, and the sender keeps it.

pub mod adapter;

/// The service a call over motcua's own profile is logged as in the
/// message log.
pub const SIGNED_SERVICE: &str = "dossiers.sync";
/// The purpose the integration's messages are logged with.
pub const SIGNED_PURPOSE: &str = "one-stop-integration";
/// The legal basis they are logged with.
pub const SIGNED_LEGAL_BASIS: &str = "Decision 31/2021/QD-TTg, Art. 30";
pub mod downstream;
pub mod inbound;
pub mod offices;
pub mod report;
pub mod reported;
pub mod status;
pub mod upstream;

use backoffice::{CapNhatTienDoHoSoMC, DongBoHoSoMC, Problem, Verdict, inbox};
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
    /// The dossier is known as another back office's: this one may not
    /// change it.
    #[error("the dossier {0} is reported by another back office: this one may not change it")]
    NotYours(String),
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

pub(crate) fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How many times a packet is judged again when its dossier changed
/// meanwhile.
const ATTEMPTS: usize = 8;

/// What a message says, checked, whichever packet it came in.
struct Incoming {
    code: String,
    status: dossier::Status,
    channel: Option<Channel>,
    outcome: Option<Outcome>,
    /// The message as received.
    body: serde_json::Value,
    /// What makes it the same message when sent again.
    key: String,
    /// A `DongBoHoSoMC`: it makes a dossier known, and becomes its packet;
    /// a step moves only a known dossier.
    whole: bool,
}

/// The key of `body` about `code`: the same message sent again is the same.
fn key_of(code: &str, kind: &str, body: &serde_json::Value) -> String {
    let digest = B64.encode(Sha256::digest(body.to_string().as_bytes()));
    format!("{code}#{kind}#{digest}")
}

fn to_body(value: &impl serde::Serialize) -> Result<serde_json::Value, ReceiveError> {
    serde_json::to_value(value)
        .map_err(|e| ReceiveError::Internal(format!("writing a message to keep: {e}")))
}

/// Who sends a message: the unit it reports as and, for a back office,
/// every unit it reports for — a dossier known under another unit is not
/// its to change ([`ReceiveError::NotYours`]). An operator replaying a
/// packet is the unit alone (`"H29".into()`).
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// The unit (`madonvi`).
    pub unit: &'a str,
    /// The units of the back office sending, if a back office sends.
    pub units: Option<&'a std::collections::BTreeSet<String>>,
}

impl<'a> From<&'a str> for Sender<'a> {
    fn from(unit: &'a str) -> Self {
        Sender { unit, units: None }
    }
}

/// Receives `packet` (`DongBoHoSoMC`) from `sender` at `at`; once it moves
/// its dossier, the steps that waited for it are applied.
pub async fn receive_packet<'a>(
    store: &dyn Store,
    sender: impl Into<Sender<'a>>,
    packet: &DongBoHoSoMC,
    at: DateTime<Utc>,
) -> Result<Received, ReceiveError> {
    let reported = backoffice::read_packet(packet).map_err(ReceiveError::Invalid)?;
    let body = to_body(packet)?;
    let incoming = Incoming {
        key: key_of(&reported.code, "hoso", &body),
        code: reported.code,
        status: reported.status,
        channel: reported.channel,
        outcome: reported.refused_at.map(|_| Outcome::Refused),
        body,
        whole: true,
    };
    let received = receive(store, sender.into(), &incoming, at).await?;
    if matches!(received, Received::Applied { .. }) {
        replay_waiting(store, &incoming.code, at).await?;
    }
    Ok(received)
}

/// Receives `step` (`CapNhatTienDoHoSoMC`) from `sender` at `at`: a step
/// of a dossier not known yet waits for its packet.
pub async fn receive_step<'a>(
    store: &dyn Store,
    sender: impl Into<Sender<'a>>,
    step: &CapNhatTienDoHoSoMC,
    at: DateTime<Utc>,
) -> Result<Received, ReceiveError> {
    let reported = backoffice::read_step(step).map_err(ReceiveError::Invalid)?;
    let body = to_body(step)?;
    let incoming = Incoming {
        key: key_of(&reported.code, "buoc", &body),
        code: reported.code,
        status: reported.status,
        channel: None,
        outcome: None,
        body,
        whole: false,
    };
    receive(store, sender.into(), &incoming, at).await
}

/// The steps of `code` that waited for its packet, received again now,
/// each then resolved.
async fn replay_waiting(
    store: &dyn Store,
    code: &str,
    at: DateTime<Utc>,
) -> Result<(), ReceiveError> {
    let waiting = store
        .sync()
        .sync_messages(code)
        .await?
        .into_iter()
        .filter(|m| m.verdict == MessageVerdict::Waiting && m.resolved_at.is_none());
    for message in waiting {
        let Ok(step) = serde_json::from_value::<CapNhatTienDoHoSoMC>(message.body.clone()) else {
            continue;
        };
        let Ok(reported) = backoffice::read_step(&step) else {
            continue;
        };
        let incoming = Incoming {
            key: format!("{}#sau-ho-so", message.key),
            code: reported.code,
            status: reported.status,
            channel: None,
            outcome: None,
            body: message.body.clone(),
            whole: false,
        };
        receive(store, message.unit.as_str().into(), &incoming, at).await?;
        store.sync().resolve_message(message.id, at).await?;
    }
    Ok(())
}

/// What the portal holds of a dossier a back office reports: its status
/// and how many processing steps it received (each once however often it
/// was sent; a quarantined one not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copy {
    /// Its status.
    pub status: dossier::Status,
    /// Its processing steps received.
    pub steps: usize,
}

/// The copy of `known`.
pub async fn copy_of(store: &dyn Store, known: &Synced) -> Result<Copy, StoreError> {
    let steps: std::collections::BTreeSet<String> = store
        .sync()
        .sync_messages(&known.code)
        .await?
        .into_iter()
        .filter(|m| m.key.contains("#buoc#") && m.verdict != MessageVerdict::Quarantined)
        .map(|m| m.body.to_string())
        .collect();
    Ok(Copy {
        status: known.lifecycle.status(),
        steps: steps.len(),
    })
}

/// What became of the message with `key`, received before: a duplicate,
/// unless it waits in quarantine, which is said again (sending it again
/// does not make it lawful; fixing it does).
async fn earlier(store: &dyn Store, key: &str) -> Result<Received, ReceiveError> {
    Ok(match store.sync().message_by_key(key).await? {
        Some(SyncMessage {
            verdict: MessageVerdict::Quarantined,
            resolved_at: None,
            reason,
            ..
        }) => {
            let reason = reason.unwrap_or_default();
            let (vi, en) = reason.split_once(" / ").unwrap_or((&reason, &reason));
            Received::Quarantined {
                reason_vi: vi.to_string(),
                reason_en: en.to_string(),
            }
        }
        _ => Received::Duplicate,
    })
}

/// Judges `incoming` against what is known and keeps it, judging again
/// when another message about its dossier came first.
async fn receive(
    store: &dyn Store,
    Sender { unit, units }: Sender<'_>,
    incoming: &Incoming,
    at: DateTime<Utc>,
) -> Result<Received, ReceiveError> {
    let Incoming {
        code,
        status,
        channel,
        outcome,
        body,
        key,
        whole,
    } = incoming;
    for _ in 0..ATTEMPTS {
        let known = store.sync().synced(code).await?;
        if let (Some(units), Some(k)) = (units, &known)
            && !units.contains(&k.unit)
        {
            return Err(ReceiveError::NotYours(code.clone()));
        }
        let verdict = match &known {
            None if *whole => {
                inbox::from_filing(channel.unwrap_or(Channel::Online), *status, *outcome)
            }
            // a step of a dossier not known yet waits for its packet
            None => Verdict::Wait { awaited: 1 },
            Some(k) => match inbox::by_status(&k.lifecycle, *status, *outcome) {
                // the same status, other facts: an update
                Verdict::Duplicate if *whole && k.packet != *body => Verdict::Apply(Vec::new()),
                other => other,
            },
        };
        let message = |verdict: MessageVerdict, reason: Option<String>| SyncMessage {
            id: uuid::Uuid::now_v7(),
            key: key.clone(),
            code: code.clone(),
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
                    || dossier::Lifecycle::start(channel.unwrap_or(Channel::Online)),
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
                    code: code.clone(),
                    unit: unit.to_string(),
                    version,
                    lifecycle,
                    // a step moves the dossier; its packet stays the last one
                    packet: match (&known, whole) {
                        (Some(k), false) => k.packet.clone(),
                        _ => body.clone(),
                    },
                    updated_at: at,
                    applicant: match (&known, whole) {
                        (Some(k), false) => k.applicant.clone(),
                        _ => serde_json::from_value::<backoffice::DongBoHoSoMC>(body.clone())
                            .ok()
                            .and_then(|p| p.applicant_pin()),
                    },
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
            Kept::AlreadyHad => return earlier(store, key).await,
            Kept::Conflict => continue,
        }
    }
    Err(ReceiveError::Busy(code.clone()))
}

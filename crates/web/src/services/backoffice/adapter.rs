//! The adapter of the national integration profile, as the provinces'
//! systems call it: after a session log-in, calls of the form `{session,
//! madonvi, service, data}` (QCVN 120:2019/BTTTT; the Government Office's
//! integration guide). A call is made for one unit (`madonvi`) the back
//! office reports for, and carries a batch of packets of one service:
//!
//! - `DongBoHoSoMC`: dossiers, created or updated (`isUpdating` is read
//!   but not needed: a packet about a known dossier updates it);
//! - `CapNhatTienDoHoSoMC`: processing steps;
//! - `TraCuuHoSo` (`mahoso`): a dossier as the portal knows it, which
//!   systems in use ask before choosing create or update;
//! - `DoiSoatHoSo` (`ngay`, `yyyyMMdd`): motcua's own addition, for
//!   reconciliation: every dossier of the unit's day (codes
//!   `madonvi-yymmdd-…`) as the portal holds it, with its status and the
//!   number of processing steps received;
//! - `NhanHoSo` (`soluong`, at most 100; `sau`, the place read last),
//!   `XacNhanHoSo` (`data`: `{MaHoSo, PhienBan}` taken, or with `GiuLai`,
//!   held back and why) and `LayTepDinhKem` (`mahoso`, `magiayto`):
//!   motcua's own additions, the feed of the dossiers filed on the portal
//!   for the back office's units, its acknowledgements, and their files
//!   ([`super::downstream`]).
//!
//! Each packet of a batch is judged on its own ([`super::receive_packet`],
//! [`super::receive_step`]) and answered on its own: a batch is never
//! half-refused without saying which half. A packet about a dossier that
//! another back office reports is refused: a back office speaks only for
//! its own units' dossiers.

use crate::services::Stores;
use backoffice::Problem;
use chrono::{DateTime, Utc};
use serde_json::Value;
use store::{Store, StoreError, StoredOffice};

use super::{ReceiveError, Received, Sender, downstream, receive_packet, receive_step};

/// The most packets in one call.
pub const MAX_BATCH: usize = 100;

/// The services the adapter answers.
pub const SERVICES: [&str; 7] = [
    "DongBoHoSoMC",
    "CapNhatTienDoHoSoMC",
    "TraCuuHoSo",
    "DoiSoatHoSo",
    "NhanHoSo",
    "XacNhanHoSo",
    "LayTepDinhKem",
];

/// A call, as read from its body.
#[derive(Debug, Clone)]
pub struct Call {
    /// The unit it is made for.
    pub unit: String,
    /// The service.
    pub service: String,
    /// The packets (one object or a list).
    pub data: Option<Value>,
    /// The dossier looked up (`TraCuuHoSo`).
    pub code: Option<String>,
    /// The day reconciled (`DoiSoatHoSo`, `yyyyMMdd`).
    pub day: Option<String>,
    /// How many dossiers to read (`NhanHoSo`).
    pub limit: Option<usize>,
    /// The document whose file is fetched (`LayTepDinhKem`).
    pub document: Option<String>,
    /// The position after which the feed is read (`NhanHoSo`).
    pub after: Option<String>,
    /// This node's public address, under which files and results are
    /// named.
    pub base: String,
}

/// What became of one packet of a batch.
#[derive(Debug)]
pub enum Outcome {
    /// It was received: applied, a duplicate, stale, waiting or
    /// quarantined.
    Received(Received),
    /// It cannot be read: every problem.
    Invalid(Vec<Problem>),
    /// Its dossier is another back office's.
    NotYours,
    /// Its dossier kept changing: send it again.
    Busy,
}

/// One packet's outcome.
#[derive(Debug)]
pub struct Item {
    /// Its place in the batch, from 0.
    pub index: usize,
    /// The dossier's code it names (empty when it names none).
    pub code: String,
    /// What became of it.
    pub outcome: Outcome,
}

/// What a call did.
#[derive(Debug)]
pub enum Answer {
    /// A batch: each packet's outcome, in order.
    Items(Vec<Item>),
    /// A look-up: the dossier's last packet, when the portal knows it and
    /// it is this back office's.
    Found(Option<Value>),
    /// A day's dossiers of the unit, as the portal holds them: each one's
    /// `MaHoSo`, `TrangThaiHoSo` and `SoBuoc` (steps received).
    Listed(Vec<Value>),
}

/// Why a call was not taken at all (nothing of it was kept).
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The back office does not report for the unit.
    #[error(
        "the back office {office} does not report for the unit {unit:?} (madonvi): its units are \
         set when it is connected; ask the national portal's operator to add it"
    )]
    NotItsUnit {
        /// The back office.
        office: String,
        /// The unit asked for.
        unit: String,
    },
    /// The service is not one the adapter answers.
    #[error("the service {0:?} is not answered here: use one of {list}", list = SERVICES.join(", "))]
    UnknownService(String),
    /// The call has no packets, or not as a list or an object.
    #[error("{0}")]
    Malformed(String),
    /// More packets than one call takes.
    #[error("a call carries at most {MAX_BATCH} packets, this one {0}: send them in several calls")]
    TooMany(usize),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A dossier cannot be delivered.
    #[error(transparent)]
    Down(#[from] downstream::DownError),
    /// A fault of this node.
    #[error("{0}")]
    Internal(String),
}

fn packets(data: Option<Value>, service: &str) -> Result<Vec<Value>, CallError> {
    let list = match data {
        Some(Value::Array(list)) => list,
        Some(one @ Value::Object(_)) => vec![one],
        Some(Value::Null) | None => {
            return Err(CallError::Malformed(format!(
                "data: the {service} packets are missing: give them as a list in data"
            )));
        }
        Some(_) => {
            return Err(CallError::Malformed(format!(
                "data: the {service} packets are a list of objects, not a single value"
            )));
        }
    };
    if list.is_empty() {
        return Err(CallError::Malformed(format!(
            "data: the list of {service} packets is empty"
        )));
    }
    if list.len() > MAX_BATCH {
        return Err(CallError::TooMany(list.len()));
    }
    Ok(list)
}

/// The unit's dossiers of `day` (`yyyyMMdd`) as the portal holds them.
async fn reconciled(store: &dyn Store, unit: &str, day: Option<&str>) -> Result<Answer, CallError> {
    let day = day.map(str::trim).unwrap_or("");
    let parsed = chrono::NaiveDate::parse_from_str(day, "%Y%m%d").map_err(|_| {
        CallError::Malformed(format!(
            "ngay: {day:?} is not a day written yyyyMMdd (for example 20261207)"
        ))
    })?;
    let prefix = format!("{unit}-{}-", parsed.format("%y%m%d"));
    let mut listed = Vec::new();
    for known in store.sync().synced_with_prefix(&prefix).await? {
        if known.unit != unit {
            continue;
        }
        let copy = super::copy_of(store, &known).await?;
        listed.push(serde_json::json!({
            "MaHoSo": known.code,
            "TrangThaiHoSo": copy.status.code().to_string(),
            "SoBuoc": copy.steps,
        }));
    }
    Ok(Answer::Listed(listed))
}

fn code_of(packet: &Value) -> String {
    match packet.get("MaHoSo") {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Makes `call` for `office` at `at`.
pub async fn call(
    on: &(impl Stores + ?Sized),
    office: &StoredOffice,
    call: Call,
    at: DateTime<Utc>,
) -> Result<Answer, CallError> {
    let store = on.stores();
    let unit = call.unit.trim().to_string();
    // the feed and its files are the back office's as a whole: a unit
    // need not be named, but one named must be its own
    let whole = matches!(
        call.service.trim(),
        "NhanHoSo" | "XacNhanHoSo" | "LayTepDinhKem"
    );
    let allowed = office.office.serves(&unit) || (whole && unit.is_empty());
    if !allowed {
        return Err(CallError::NotItsUnit {
            office: office.office.id.clone(),
            unit,
        });
    }
    let service = call.service.trim();
    let step = match service {
        "DongBoHoSoMC" => false,
        "CapNhatTienDoHoSoMC" => true,
        "TraCuuHoSo" => {
            let code = call
                .code
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    CallError::Malformed(
                        "mahoso: give the code of the dossier to look up".to_string(),
                    )
                })?;
            let known = store.sync().synced(code).await?;
            return Ok(Answer::Found(
                known
                    .filter(|k| office.office.serves(&k.unit))
                    .map(|k| k.packet),
            ));
        }
        "DoiSoatHoSo" => return reconciled(store, &unit, call.day.as_deref()).await,
        "NhanHoSo" => {
            let limit = call.limit.unwrap_or(downstream::BATCH);
            if limit == 0 || limit > MAX_BATCH {
                return Err(CallError::Malformed(format!(
                    "soluong: read 1 to {MAX_BATCH} dossiers at a time, not {limit}"
                )));
            }
            let after = match call.after.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(p) => Some(
                    p.parse()
                        .map_err(|e: String| CallError::Malformed(format!("sau: {e}")))?,
                ),
            };
            return Ok(Answer::Listed(
                downstream::feed(store, office, after, limit, &call.base).await?,
            ));
        }
        "XacNhanHoSo" => {
            let acks = packets(call.data, service)?;
            if acks.len() > MAX_BATCH {
                return Err(CallError::TooMany(acks.len()));
            }
            return Ok(Answer::Listed(
                downstream::acknowledge(store, office, acks).await?,
            ));
        }
        "LayTepDinhKem" => {
            let (Some(code), Some(document)) = (call.code.as_deref(), call.document.as_deref())
            else {
                return Err(CallError::Malformed(
                    "mahoso, magiayto: give the dossier's code and the document whose file to \
                     fetch, as NhanHoSo lists them in TepDinhKem"
                        .to_string(),
                ));
            };
            return Ok(Answer::Listed(
                downstream::file(store, office, code, document)
                    .await?
                    .into_iter()
                    .collect(),
            ));
        }
        other => return Err(CallError::UnknownService(other.to_string())),
    };
    let mut items = Vec::new();
    for (index, packet) in packets(call.data, service)?.into_iter().enumerate() {
        let code = code_of(&packet);
        let sender = Sender {
            unit: &unit,
            units: Some(&office.office.units),
        };
        let received = if step {
            match read(packet, backoffice::read_step) {
                Ok(p) => receive_step(store, sender, &p, at).await,
                Err(problems) => Err(ReceiveError::Invalid(problems)),
            }
        } else {
            match read(packet, backoffice::read_packet) {
                Ok(p) => receive_packet(store, sender, &p, at).await,
                Err(problems) => Err(ReceiveError::Invalid(problems)),
            }
        };
        let outcome = match received {
            Ok(r) => Outcome::Received(r),
            Err(ReceiveError::Invalid(problems)) => Outcome::Invalid(problems),
            Err(ReceiveError::NotYours(_)) => Outcome::NotYours,
            Err(ReceiveError::Busy(_)) => Outcome::Busy,
            Err(ReceiveError::Store(e)) => return Err(CallError::Store(e)),
            Err(ReceiveError::Internal(m)) => return Err(CallError::Internal(m)),
        };
        items.push(Item {
            index,
            code,
            outcome,
        });
    }
    Ok(Answer::Items(items))
}

/// `packet` read as `T`; when some of its times cannot be read, every
/// problem of it (those `check` finds too, in its order, a time's own
/// reason in place of its absence), so that nothing of it is received.
fn read<T: serde::de::DeserializeOwned, R>(
    packet: Value,
    check: impl Fn(&T) -> Result<R, Vec<Problem>>,
) -> Result<T, Vec<Problem>> {
    let (read, mut early) = backoffice::packet::from_json::<T>(packet);
    match read {
        None => Err(early),
        Some(p) if early.is_empty() => Ok(p),
        Some(p) => {
            let later = check(&p).err().unwrap_or_default();
            let mut merged: Vec<Problem> = later
                .into_iter()
                .map(|l| match early.iter().position(|e| e.field == l.field) {
                    Some(i) => early.remove(i),
                    None => l,
                })
                .collect();
            merged.extend(early);
            Err(merged)
        }
    }
}

//! The national portal delivering the dossiers filed on it to the back
//! offices of their receiving units: a dossier whose receiving agency is a
//! unit a connected back office serves is that back office's to process.
//!
//! The outbox is the dossier's own row (a change moves its version in its
//! own transaction; what waits is a version its back office has not
//! acknowledged), so nothing filed can be missed and nothing is written
//! twice. Each dossier goes whole, at its version: its `DongBoHoSoMC`, its
//! processing steps numbered, motcua's own record of it (the form, the
//! data filled from the registry), and its files by reference with their
//! SHA-256, fetched with `LayTepDinhKem` and checked by the back office.
//!
//! Two ways, both at least once and in effect once (the version is the
//! idempotency key: a version acknowledged again changes nothing):
//! - **push** (the back office configured `push` with an endpoint): posted
//!   in batches, signed by this node's exchange key (RFC 9421, with
//!   `Content-Digest`), each push and its answer kept in the message log,
//!   retried with exponential backoff and jitter until the back office
//!   answers `"00"` for it;
//! - **pull**: the feed `NhanHoSo` gives what the back office has not
//!   acknowledged, in the order of their last change, and `XacNhanHoSo`
//!   acknowledges `{MaHoSo, PhienBan}`. The feed is the set of what is
//!   unacknowledged, not a log: each item names its place (`ViTri`), a
//!   reader pages on with `sau` past what it holds back, and reads from
//!   the start again once a page comes back short, so that a change
//!   committed behind its place is read then and nothing stays unread.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use store::{DownAck, DownDue, DownFrom, FeedPosition, Store, StoreError, StoredOffice};

use super::report::{self, ReportError};
use super::upstream::{backoff, jitter, numbered};

/// Dossiers in one push, and at most in one read of the feed.
pub const BATCH: usize = 50;
/// How often the outbox is read when nothing was due.
pub const POLL: Duration = Duration::from_millis(300);
/// How long a push may take.
const PUSH_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a push's signature is valid.
const SIGNATURE_TTL: chrono::Duration = chrono::Duration::minutes(5);

/// Counted by outcome (`delivered`, `failed`) and way (`push`, `pull`).
pub const DOWNSTREAM_TOTAL: &str = "downstream_dossiers_total";

/// Why a dossier cannot be delivered or a file given.
#[derive(Debug, thiserror::Error)]
pub enum DownError {
    /// The dossier cannot be written as packets.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The code is not a dossier code.
    #[error("{0}")]
    Code(String),
}

/// One dossier as delivered: its packets, its record and its files by
/// reference.
pub async fn item(store: &dyn Store, due: &DownDue, base: &str) -> Result<Value, DownError> {
    let d = &due.stored.dossier;
    let (packet, steps, stored) = report::packets_and_files(store, d, base).await?;
    let steps = numbered(&steps, 0).map_err(DownError::Code)?;
    let files: Vec<Value> = stored
        .into_iter()
        .map(|a| {
            json!({
                "MaGiayTo": a.attachment.document,
                "TenTep": a.attachment.name,
                "LoaiTep": a.attachment.media_type.as_str(),
                "KichThuoc": a.attachment.size,
                "SHA256": a.sha256,
            })
        })
        .collect();
    Ok(json!({
        "MaHoSo": d.code.to_string(),
        "PhienBan": due.stored.version,
        "ViTri": due.position.to_string(),
        "HoSo": packet,
        "TienDo": steps,
        "TepDinhKem": files,
        "motcua": d,
    }))
}

/// What the feed gives `office`: at most `limit` dossiers it has not
/// acknowledged, in the order of their last change, from the start or
/// after `after`.
pub async fn feed(
    store: &dyn Store,
    office: &StoredOffice,
    after: Option<FeedPosition>,
    limit: usize,
    base: &str,
) -> Result<Vec<Value>, DownError> {
    let from = after.map_or(DownFrom::Start, DownFrom::After);
    let due = store
        .sync()
        .down_due(&office.office.id, from, limit.clamp(1, BATCH * 2))
        .await?;
    let mut items = Vec::with_capacity(due.len());
    for d in &due {
        items.push(item(store, d, base).await?);
    }
    metrics::counter!(DOWNSTREAM_TOTAL, "outcome" => "read", "way" => "pull")
        .increment(items.len() as u64);
    Ok(items)
}

/// What one acknowledgement did, as answered.
pub fn acked(code: &str, version: i64, ack: DownAck) -> Value {
    let (error_code, status, message) = match ack {
        DownAck::Recorded => ("00", "acknowledged", "Đã ghi nhận"),
        DownAck::Already => ("00", "duplicate", "Đã ghi nhận trước đó"),
        DownAck::Unknown => (
            "05",
            "unknown",
            "Không có hồ sơ này ở phiên bản này trong các đơn vị của hệ thống",
        ),
    };
    json!({
        "MaHoSo": code,
        "PhienBan": version,
        "error_code": error_code,
        "status": status,
        "message": message,
    })
}

/// Acknowledges for `office` each `{MaHoSo, PhienBan}` of `data`.
pub async fn acknowledge(
    store: &dyn Store,
    office: &StoredOffice,
    data: Vec<Value>,
) -> Result<Vec<Value>, DownError> {
    let mut out = Vec::with_capacity(data.len());
    for item in data {
        let code = item["MaHoSo"].as_str().unwrap_or("").trim().to_string();
        let version = item["PhienBan"].as_i64().unwrap_or(0);
        if code.is_empty() || version < 1 {
            out.push(json!({
                "MaHoSo": code,
                "error_code": "01",
                "status": "invalid",
                "message": "Thiếu MaHoSo hoặc PhienBan (số nguyên từ 1)",
                "detail": "give MaHoSo and PhienBan (a whole number from 1) of each dossier taken",
            }));
            continue;
        }
        // read and held back, with why: recorded for the operators, and
        // it keeps waiting
        if let Some(reason) = item["GiuLai"]
            .as_str()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            let reason = format!("{}{reason}", super::status::HELD_PREFIX);
            let held = store
                .sync()
                .down_held(&office.office.id, &code, version, &reason)
                .await?;
            out.push(if held {
                json!({
                    "MaHoSo": code,
                    "PhienBan": version,
                    "error_code": "00",
                    "status": "held",
                    "message": "Đã ghi nhận lý do giữ lại; hồ sơ vẫn chờ",
                })
            } else {
                acked(&code, version, DownAck::Unknown)
            });
            continue;
        }
        let ack = store
            .sync()
            .down_ack(&office.office.id, &code, version)
            .await?;
        if ack == DownAck::Recorded {
            metrics::counter!(DOWNSTREAM_TOTAL, "outcome" => "delivered", "way" => "pull")
                .increment(1);
        }
        out.push(acked(&code, version, ack));
    }
    Ok(out)
}

/// The file of `document` of dossier `code`, when the dossier is one of
/// `office`'s units: its description, SHA-256 and content (base64).
pub async fn file(
    store: &dyn Store,
    office: &StoredOffice,
    code: &str,
    document: &str,
) -> Result<Option<Value>, DownError> {
    let Ok(code) = dossier::DossierCode::parse(code.trim()) else {
        return Err(DownError::Code(format!(
            "mahoso: {code:?} is not a dossier code (AGENCY-YYMMDD-NNNN)"
        )));
    };
    if !office.office.serves(code.agency().as_str()) {
        return Ok(None);
    }
    let Some((a, content)) = store.dossiers().attachment(&code, document.trim()).await? else {
        return Ok(None);
    };
    Ok(Some(json!({
        "MaHoSo": code.to_string(),
        "MaGiayTo": a.attachment.document,
        "TenTep": a.attachment.name,
        "LoaiTep": a.attachment.media_type.as_str(),
        "KichThuoc": a.attachment.size,
        "SHA256": a.sha256,
        "NoiDung": base64::engine::general_purpose::STANDARD.encode(content),
    })))
}

/// How long the pusher keeps the list of back offices configured for
/// push before reading it again: a change of configuration takes effect
/// within it, and an idle pusher reads the outbox, not the list, at each
/// poll.
const OFFICES_KEPT: Duration = Duration::from_secs(5);

/// The pusher's state.
struct Pusher {
    store: Arc<dyn Store>,
    node: Arc<crate::services::exchange::node::ExchangeNode>,
    base: String,
    http: reqwest::Client,
    /// The back offices configured for push, with their endpoints, and
    /// when they were read.
    offices: Vec<(StoredOffice, String)>,
    read_at: Option<std::time::Instant>,
}

/// The service a push is logged as in the message log.
pub const PUSH_SERVICE: &str = "dossiers.deliver";

/// The exchange member a back office is logged as when it is pushed to:
/// `VN/GOV/<province>/<its id>`.
pub fn member_of(office: &StoredOffice) -> Option<exchange::MemberId> {
    format!("VN/GOV/{}/{}", office.office.province, office.office.id)
        .parse()
        .ok()
}

/// Starts pushing to the back offices configured for it; it runs until
/// the handle is aborted. The pushes are signed with `node`'s key and
/// each is kept in its message log; `base` is this node's public address.
pub fn spawn(
    store: Arc<dyn Store>,
    node: Arc<crate::services::exchange::node::ExchangeNode>,
    base: String,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let http = reqwest::Client::builder()
        .timeout(PUSH_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let mut pusher = Pusher {
        store,
        node,
        base,
        http,
        offices: Vec::new(),
        read_at: None,
    };
    Ok(tokio::spawn(async move {
        loop {
            if pusher.round().await == 0 {
                tokio::time::sleep(POLL).await;
            }
        }
    }))
}

impl Pusher {
    /// One batch to each back office configured for push: how many
    /// dossiers were tried.
    async fn round(&mut self) -> usize {
        if self.read_at.is_none_or(|at| at.elapsed() >= OFFICES_KEPT) {
            match self.store.sync().offices().await {
                Ok(all) => {
                    self.offices = all
                        .into_iter()
                        .filter_map(|o| match (o.office.delivery, o.office.endpoint.clone()) {
                            (backoffice::Delivery::Push, Some(endpoint)) => Some((o, endpoint)),
                            _ => None,
                        })
                        .collect();
                    self.read_at = Some(std::time::Instant::now());
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the back offices to push to");
                    return 0;
                }
            }
        }
        let mut tried = 0;
        for (office, endpoint) in &self.offices {
            let due = match self
                .store
                .sync()
                .down_due(&office.office.id, DownFrom::Due(Utc::now()), BATCH)
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, office = %office.office.id, "cannot read the dossiers to push");
                    continue;
                }
            };
            if due.is_empty() {
                continue;
            }
            tried += due.len();
            self.push(office, endpoint, due).await;
        }
        tried
    }

    async fn push(&self, office: &StoredOffice, endpoint: &str, due: Vec<DownDue>) {
        let mut items = Vec::with_capacity(due.len());
        let mut sent = Vec::with_capacity(due.len());
        for d in due {
            match item(self.store.as_ref(), &d, &self.base).await {
                Ok(i) => {
                    items.push(i);
                    sent.push(d);
                }
                Err(e) => self.failed(&d, &e.to_string()).await,
            }
        }
        if sent.is_empty() {
            return;
        }
        let answer = self.post(office, endpoint, json!({"data": items})).await;
        for d in &sent {
            let code = d.stored.dossier.code.to_string();
            let taken = match &answer {
                Err(why) => Err(why.clone()),
                Ok(answer) => taken_in(answer, &code, d.stored.version),
            };
            match taken {
                Ok(()) => {
                    match self
                        .store
                        .sync()
                        .down_ack(&office.office.id, &code, d.stored.version)
                        .await
                    {
                        Ok(DownAck::Recorded) => {
                            metrics::counter!(DOWNSTREAM_TOTAL, "outcome" => "delivered", "way" => "push")
                                .increment(1);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, %code, "cannot record what a back office acknowledged");
                        }
                    }
                }
                Err(why) => self.failed(d, &why).await,
            }
        }
    }

    /// Posts `body` to `endpoint`, signed, and keeps the push and its
    /// answer in the message log: the answer when it is JSON.
    async fn post(
        &self,
        office: &StoredOffice,
        endpoint: &str,
        body: Value,
    ) -> Result<Value, String> {
        let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let now = Utc::now();
        let mut request = exchange::HttpRequest {
            method: "POST".into(),
            uri: endpoint.to_string(),
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        };
        exchange::sign_request(&mut request, &self.node.provider, now, SIGNATURE_TTL)
            .map_err(|e| format!("cannot sign the push: {e}"))?;
        let response = crate::services::exchange::post_signed(&self.http, &request)
            .send()
            .await
            .map_err(|e| format!("the back office did not answer: {e}"))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("the back office's answer was cut: {e}"))?;
        // what was sent and answered, in the message log, before anything
        // is recorded as delivered
        if let Some(consumer) = member_of(office) {
            let record = exchange::LogRecord {
                at: now,
                consumer,
                provider: self.node.provider.member.clone(),
                service: PUSH_SERVICE.to_string(),
                purpose: super::SIGNED_PURPOSE.to_string(),
                legal_basis: Some(super::SIGNED_LEGAL_BASIS.to_string()),
                case_ref: None,
                person_id: None,
                fields: vec!["HoSo".into(), "TienDo".into(), "TepDinhKem".into()],
                request_digest: exchange::Digest32::of(&request.body),
                response_digest: Some(exchange::Digest32::of(&bytes)),
            };
            self.node
                .log
                .append(record)
                .await
                .map_err(|e| format!("the push cannot be kept in the message log: {e}"))?;
        }
        let answer: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the back office answered HTTP {status} without JSON: {e}"))?;
        if !(200..300).contains(&status) && !answer["result"].is_array() {
            return Err(format!(
                "the back office answered HTTP {status}: {}",
                answer["detail"]
                    .as_str()
                    .or(answer["message"].as_str())
                    .unwrap_or("no reason given")
            ));
        }
        Ok(answer)
    }

    async fn failed(&self, d: &DownDue, why: &str) {
        metrics::counter!(DOWNSTREAM_TOTAL, "outcome" => "failed", "way" => "push").increment(1);
        let code = d.stored.dossier.code.to_string();
        let attempts = d.attempts.saturating_add(1);
        let wait = backoff(d.attempts, jitter());
        let next: DateTime<Utc> =
            Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
        tracing::info!(%code, attempts, wait_s = wait.as_secs_f64(), reason = %why, "a dossier was not taken by its back office; trying again later");
        if let Err(e) = self
            .store
            .sync()
            .down_failed(&code, attempts, next, why)
            .await
        {
            tracing::warn!(error = %e, %code, "cannot record a failure to push");
        }
    }
}

/// Whether `answer` says the back office took `code` at `version`: `"00"`
/// for the whole call, or for its item in `result`.
fn taken_in(answer: &Value, code: &str, version: i64) -> Result<(), String> {
    if let Some(items) = answer["result"].as_array() {
        let mine = items
            .iter()
            .find(|i| i["MaHoSo"] == code && i["PhienBan"].as_i64().is_none_or(|v| v == version));
        return match mine {
            Some(i) if i["error_code"] == "00" => Ok(()),
            // read, and held back there with a reason (05): shown to the
            // operators as held, and pushed again later
            Some(i) if i["error_code"] == "05" => Err(format!(
                "{}{}",
                super::status::HELD_PREFIX,
                i["detail"]
                    .as_str()
                    .or(i["message"].as_str())
                    .unwrap_or("no reason given")
            )),
            Some(i) => Err(format!(
                "the back office refused it ({}): {}",
                i["error_code"].as_str().unwrap_or("?"),
                i["detail"]
                    .as_str()
                    .or(i["message"].as_str())
                    .unwrap_or("no reason given")
            )),
            None if answer["error_code"] == "00" => Ok(()),
            None => Err("the back office's answer does not name it".to_string()),
        };
    }
    if answer["error_code"] == "00" {
        Ok(())
    } else {
        Err(format!(
            "the back office answered {}: {}",
            answer["error_code"]
                .as_str()
                .unwrap_or("without an error_code"),
            answer["detail"].as_str().unwrap_or("no reason given")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_is_taken_only_when_its_item_says_so() {
        let whole = json!({"error_code": "00"});
        assert!(taken_in(&whole, "A-260302-0001", 1).is_ok());
        let items = json!({"error_code": "05", "result": [
            {"MaHoSo": "A-260302-0001", "PhienBan": 1, "error_code": "00"},
            {"MaHoSo": "A-260302-0002", "PhienBan": 3, "error_code": "05", "detail": "not ours"},
        ]});
        assert!(taken_in(&items, "A-260302-0001", 1).is_ok());
        let held = taken_in(&items, "A-260302-0002", 3).expect_err("held");
        assert!(held.contains("not ours"), "{held}");
        assert_eq!(
            super::super::status::failure(&held),
            super::super::status::Failure::Held
        );
        let refused = json!({"error_code": "01", "result": [
            {"MaHoSo": "A-260302-0003", "PhienBan": 1, "error_code": "01", "detail": "unreadable"},
        ]});
        let refused = taken_in(&refused, "A-260302-0003", 1).expect_err("refused");
        assert!(refused.contains("refused it (01): unreadable"), "{refused}");
        // an answer about another version is not this one's
        assert!(taken_in(&items, "A-260302-0001", 2).is_err());
        assert!(taken_in(&items, "A-260302-0009", 1).is_err());
        let failed = json!({"error_code": "99", "detail": "down"});
        assert!(taken_in(&failed, "A-260302-0001", 1).is_err());
    }
}

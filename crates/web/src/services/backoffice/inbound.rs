//! A province's node taking the dossiers the national portal received for
//! its units: it reads the portal's feed (`NhanHoSo`) with the session it
//! reports with, keeps each dossier under the code the portal gave it
//! (the portal's online numbers; this node's counter numbers after them),
//! fetches each file (`LayTepDinhKem`) and keeps it only when its SHA-256
//! is the one announced, and acknowledges the dossier (`XacNhanHoSo`) only
//! once it and all its files are kept. A crash between keeping and
//! acknowledging gives the same dossier again, which is kept once.
//!
//! Once here, the dossier is this node's to process: its officers work on
//! it as on one filed at their counter, and every change goes back up with
//! the rest ([`super::upstream`]).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::Utc;
use serde_json::{Value, json};
use sha2::Digest as _;
use store::Store;

use super::upstream::{Link, Upstream};

/// Dossiers read at a time.
const BATCH: usize = 50;
/// How often the feed is read when it was empty, or failed.
pub const POLL: Duration = Duration::from_secs(1);

/// Counted by outcome (`kept`, `again`, `failed`).
pub const INBOUND_TOTAL: &str = "inbound_dossiers_total";
pub use crate::metrics::INBOUND_HELD;

/// Why one delivered dossier was not taken.
#[derive(Debug, thiserror::Error)]
pub enum TakeError {
    /// The delivery cannot be read.
    #[error("{0}")]
    Unreadable(String),
    /// A file is not what was announced.
    #[error("{0}")]
    File(String),
    /// The upstream portal did not answer.
    #[error("{0}")]
    Upstream(String),
    /// Another dossier has its code here.
    #[error("{0}")]
    Clash(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl TakeError {
    /// Whether the dossier is held back until an operator looks at it
    /// (not a failure that passes by itself).
    pub fn is_held(&self) -> bool {
        matches!(
            self,
            TakeError::Clash(_) | TakeError::File(_) | TakeError::Unreadable(_)
        )
    }
}

/// Whether `a` and `b` are one filing (at any point of its course).
fn same_filing(a: &dossier::Dossier, b: &dossier::Dossier) -> bool {
    a.code == b.code
        && a.procedure == b.procedure
        && a.applicant.subject == b.applicant.subject
        && a.submitted_at == b.submitted_at
}

/// What one read of the feed did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    /// Dossiers read.
    pub read: usize,
    /// Of them, new here.
    pub kept: usize,
    /// Acknowledged.
    pub acknowledged: usize,
    /// The place in the feed of the last one read.
    pub last: Option<String>,
    /// Held back.
    pub held: usize,
}

/// Starts reading the upstream portal's feed; it runs until the handle is
/// aborted.
pub fn spawn(
    store: Arc<dyn Store>,
    upstream: Upstream,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let mut link = Link::new(upstream)?;
    Ok(tokio::spawn(async move {
        // a full page is followed at once by the next, after its last
        // place (past what was held back); a short one ends the pass, and
        // the next pass starts from the start after a pause
        let mut after: Option<String> = None;
        let mut told = std::collections::HashSet::new();
        let mut held = 0;
        loop {
            match round(store.as_ref(), &mut link, after.as_deref(), &mut told).await {
                Ok(r) if r.read >= BATCH && r.last.is_some() => {
                    held += r.held;
                    after = r.last;
                    continue;
                }
                Ok(r) => {
                    metrics::gauge!(INBOUND_HELD).set((held + r.held) as f64);
                    held = 0;
                    after = None;
                }
                Err(e) => {
                    held = 0;
                    after = None;
                    tracing::info!(error = %e, "cannot read the national portal's feed now");
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }))
}

/// What a node needs to take the dossiers its upstream portal pushes to
/// it: the portal's signing keys (its listing, as `motcua exchange
/// listing` prints it), and the link the files are fetched through.
pub struct Pushes {
    ring: exchange::KeyRing,
    link: tokio::sync::Mutex<Link>,
}

/// Why a push is not taken at all.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// It is not signed by the upstream portal.
    #[error(
        "the push is not signed by the upstream portal ({0}): it must carry an RFC 9421 \
         signature by a key of the portal's listing (--upstream-signer) and a Content-Digest \
         of its body"
    )]
    Unsigned(String),
    /// Its body is not `{"data": [...]}`.
    #[error("the push cannot be read: {0}; send {{\"data\": [dossiers]}}, at most {BATCH}")]
    Unreadable(String),
}

impl Pushes {
    /// Takes pushes signed by one of `signer`'s keys, fetching files over
    /// `upstream`.
    pub fn new(
        signer: &crate::services::exchange::node::DemoMember,
        upstream: Upstream,
    ) -> Result<Pushes, String> {
        let mut ring = exchange::KeyRing::new();
        for key in signer.registered()? {
            ring.insert(key).map_err(|e| e.to_string())?;
        }
        Ok(Pushes {
            ring,
            link: tokio::sync::Mutex::new(Link::new(upstream)?),
        })
    }

    /// Checks that `request` is a push the upstream portal signed.
    pub fn verify(&self, request: &exchange::HttpRequest) -> Result<(), PushError> {
        exchange::verify_request(request, &self.ring, Utc::now())
            .map_err(|e| PushError::Unsigned(e.to_string()))?;
        let digest = exchange::HttpMessage::header(request, "content-digest").unwrap_or_default();
        exchange::signature::verify_content_digest(&digest, &request.body)
            .map_err(|e| PushError::Unsigned(e.to_string()))?;
        Ok(())
    }

    /// Takes each dossier of a verified push (`{"data": [...]}`, as
    /// delivered by the feed) and answers for each whether it was taken:
    /// `"00"` once it and its files are kept here (a second push of the
    /// same version too), `"05"` with the reason when it is held back (its
    /// code taken here, a file not as announced), `"99"` when it cannot be
    /// taken now; either is pushed again.
    pub async fn take(&self, store: &dyn Store, body: &[u8]) -> Result<Vec<Value>, PushError> {
        let pushed: Value =
            serde_json::from_slice(body).map_err(|e| PushError::Unreadable(e.to_string()))?;
        let items = pushed["data"]
            .as_array()
            .ok_or_else(|| PushError::Unreadable("no data list".into()))?;
        if items.len() > BATCH {
            return Err(PushError::Unreadable(format!(
                "{} dossiers in one push",
                items.len()
            )));
        }
        let mut link = self.link.lock().await;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let answer = |error_code: &str, detail: String| {
                json!({
                    "MaHoSo": item["MaHoSo"],
                    "PhienBan": item["PhienBan"],
                    "error_code": error_code,
                    "detail": detail,
                })
            };
            out.push(match take(store, &mut link, item).await {
                Ok(new) => {
                    metrics::counter!(INBOUND_TOTAL, "outcome" => if new { "kept" } else { "again" })
                        .increment(1);
                    answer("00", String::new())
                }
                Err(e) => {
                    metrics::counter!(INBOUND_TOTAL, "outcome" => "failed").increment(1);
                    tracing::warn!(code = %item["MaHoSo"], error = %e, "a dossier pushed by the national portal was not taken; it is pushed again");
                    // held back (05) for an operator, or not taken for now
                    // (99: the portal or this node's store failed)
                    answer(if e.is_held() { "05" } else { "99" }, e.to_string())
                }
            });
        }
        Ok(out)
    }
}

/// Reads a page of the feed (from the start, or after the place
/// `after`), takes what it gives and acknowledges what was taken.
///
/// A dossier held back (its code taken here by another dossier, a file
/// not as announced) is not acknowledged; the portal is told why once
/// (`GiuLai`, kept in `told` by code and version), so that its operators
/// see it.
pub async fn round(
    store: &dyn Store,
    link: &mut Link,
    after: Option<&str>,
    told: &mut std::collections::HashSet<(String, i64)>,
) -> Result<Round, TakeError> {
    let mut ask = json!({"soluong": BATCH});
    if let Some(after) = after {
        ask["sau"] = json!(after);
    }
    let answer = link
        .call("", "NhanHoSo", ask)
        .await
        .map_err(TakeError::Upstream)?;
    let items = answer["result"].as_array().cloned().unwrap_or_default();
    let mut round = Round {
        read: items.len(),
        last: items
            .last()
            .and_then(|i| i["ViTri"].as_str())
            .map(str::to_string),
        ..Round::default()
    };
    let mut acks = Vec::new();
    for item in &items {
        match take(store, link, item).await {
            Ok(new) => {
                metrics::counter!(INBOUND_TOTAL, "outcome" => if new { "kept" } else { "again" })
                    .increment(1);
                round.kept += usize::from(new);
                acks.push(json!({"MaHoSo": item["MaHoSo"], "PhienBan": item["PhienBan"]}));
            }
            Err(e) => {
                metrics::counter!(INBOUND_TOTAL, "outcome" => "failed").increment(1);
                tracing::warn!(code = %item["MaHoSo"], error = %e, "a dossier of the national portal was not taken; it is read again");
                let key = (
                    item["MaHoSo"].as_str().unwrap_or_default().to_string(),
                    item["PhienBan"].as_i64().unwrap_or_default(),
                );
                let held = e.is_held();
                round.held += usize::from(held);
                if held && told.insert(key) {
                    acks.push(json!({
                        "MaHoSo": item["MaHoSo"],
                        "PhienBan": item["PhienBan"],
                        "GiuLai": e.to_string(),
                    }));
                }
            }
        }
    }
    if !acks.is_empty() {
        let answer = link
            .call("", "XacNhanHoSo", json!({"data": acks}))
            .await
            .map_err(TakeError::Upstream)?;
        round.acknowledged = answer["result"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["error_code"] == "00" && a["status"] != "held")
            .count();
    }
    Ok(round)
}

/// Keeps one delivered dossier and its files: whether it was new here.
async fn take(store: &dyn Store, link: &mut Link, item: &Value) -> Result<bool, TakeError> {
    let delivered: dossier::Dossier = serde_json::from_value(item["motcua"].clone())
        .map_err(|e| TakeError::Unreadable(format!("motcua: not a dossier record: {e}")))?;
    if item["MaHoSo"].as_str() != Some(delivered.code.to_string().as_str()) {
        return Err(TakeError::Unreadable(format!(
            "MaHoSo {} is not the code of the record it carries ({})",
            item["MaHoSo"], delivered.code
        )));
    }
    let now = Utc::now();
    let mut new = store.dossiers().receive_dossier(&delivered, now).await?;
    if !new {
        // kept before, or another dossier has its code here (one filed
        // online at this node): never taken for it
        let here = store.dossiers().dossier(&delivered.code).await?;
        let version = item["PhienBan"].as_i64().unwrap_or(1);
        // a change made on the portal (a withdrawal before this node
        // received it) to a dossier this node has not moved: its steps
        // are a beginning of the portal's, so the portal's version holds
        // everything done here, and is taken as it is
        if let Some(h) = here.as_ref().filter(|h| {
            version > 1
                && h.dossier != delivered
                && same_filing(&h.dossier, &delivered)
                && delivered.control.len() > h.dossier.control.len()
                && delivered.control.starts_with(&h.dossier.control)
        }) {
            // changed here meanwhile: refused, and judged again at the
            // next read
            store
                .dossiers()
                .update_dossier(&delivered, h.version, None, now)
                .await?;
            new = true;
        } else if version > 1 && here.as_ref().is_some_and(|h| h.dossier != delivered) {
            // a change made on the portal (a supplement, a withdrawal) to a
            // dossier this node already holds and may be processing: not
            // merged by itself, and not acknowledged either, so it stays in
            // the feed and in the portal's count of what waits for this
            // back office
            return Err(TakeError::Clash(format!(
                "version {version} of {} changes a dossier this node already holds: it is \
                 held, not merged, until an operator takes the change in",
                delivered.code
            )));
        } else if let Some(here) = here.filter(|h| !same_filing(&h.dossier, &delivered)) {
            return Err(TakeError::Clash(format!(
                "the code {} is taken here by a dossier filed at this node ({}, {}): the \
                 national portal's dossier is held, not merged; this node should not take \
                 online filings, which the national portal receives",
                delivered.code, here.dossier.procedure, here.dossier.submitted_at
            )));
        }
    }
    let kept = store.dossiers().attachments(&delivered.code).await?;
    for file in item["TepDinhKem"].as_array().into_iter().flatten() {
        let document = file["MaGiayTo"].as_str().unwrap_or("");
        let sha256 = file["SHA256"].as_str().unwrap_or("");
        if kept
            .iter()
            .any(|k| k.attachment.document == document && k.sha256 == sha256)
        {
            continue;
        }
        let answer = link
            .call(
                "",
                "LayTepDinhKem",
                json!({"mahoso": delivered.code.to_string(), "magiayto": document}),
            )
            .await
            .map_err(TakeError::Upstream)?;
        let Some(got) = answer["result"].as_array().and_then(|r| r.first()) else {
            return Err(TakeError::File(format!(
                "the file of {document} is not given by the national portal"
            )));
        };
        let content = base64::engine::general_purpose::STANDARD
            .decode(got["NoiDung"].as_str().unwrap_or(""))
            .map_err(|e| TakeError::File(format!("the file of {document}: not base64: {e}")))?;
        let actual = hex::encode(sha2::Sha256::digest(&content));
        if actual != sha256 {
            return Err(TakeError::File(format!(
                "the file of {document} has SHA-256 {actual}, not the {sha256} announced: not kept"
            )));
        }
        let media_type = serde_json::from_value(file["LoaiTep"].clone())
            .map_err(|e| TakeError::File(format!("the file of {document}: LoaiTep: {e}")))?;
        let attachment = dossier::Attachment {
            document: document.to_string(),
            name: file["TenTep"].as_str().unwrap_or(document).to_string(),
            media_type,
            size: content.len(),
        };
        store
            .dossiers()
            .put_attachment(&delivered.code, &attachment, &content, now)
            .await?;
    }
    Ok(new)
}

//! A province's node reporting to the national portal: every dossier
//! change, filed here or processed here, is sent upstream through the
//! national integration profile's adapter (`DongBoHoSoMC`, then the
//! processing steps not yet acknowledged as `CapNhatTienDoHoSoMC`), and
//! recorded as acknowledged only when the portal answered `"00"` for it.
//!
//! The outbox is the dossier itself: a change moves its version in its own
//! transaction, and a dossier whose version is ahead of what was
//! acknowledged is due. A failure is retried with exponential backoff and
//! jitter (1 s doubling to 10 minutes); an expired session is opened
//! again. Sending is at least once; the portal makes it effectively once
//! (a packet received twice is a duplicate).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use store::{Store, UpstreamDue};

use super::report;

/// How often the outbox is read when it was empty.
pub const POLL: Duration = Duration::from_millis(300);
/// Dossiers read from the outbox at a time.
const BATCH: usize = 200;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Packets sent in one call (the adapter's limit).
const PER_CALL: usize = 100;

/// Counted by outcome (`sent`, `failed`).
pub const UPSTREAM_TOTAL: &str = "upstream_dossiers_total";

/// Where and as whom this node reports.
#[derive(Clone)]
pub struct Upstream {
    /// The adapter's call address (`…/api/v1/integration`).
    pub url: String,
    /// The log-in address (`…/api/v1/integration/login`).
    pub login_url: String,
    /// The back office's id there.
    pub username: String,
    /// Its password there.
    pub password: String,
    /// This node's public address, under which files and results are
    /// fetched.
    pub base_url: String,
    /// How long a call may take before it is given up (a portal that
    /// accepts and never answers must not hold the sender).
    pub timeout: Duration,
    /// motcua's own profile: each call signed (RFC 9421) with this
    /// exchange key, whose member's subsystem is the back office's id, and
    /// sent to the adapter's signed address instead of with a session.
    pub signer: Option<exchange::MemberKey>,
}

/// How long a call upstream may take, unless configured.
pub const TIMEOUT: Duration = Duration::from_secs(30);

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("url", &self.url)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    /// The upstream whose adapter is at `url` (its log-in beside it).
    pub fn new(url: &str, username: &str, password: &str, base_url: &str) -> Upstream {
        let url = url.trim().trim_end_matches('/').to_string();
        Upstream {
            login_url: format!("{url}/login"),
            url,
            username: username.trim().to_string(),
            password: password.to_string(),
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            timeout: TIMEOUT,
            signer: None,
        }
    }

    /// The same, over motcua's own profile: each call signed with `key`.
    pub fn signed_by(self, key: exchange::MemberKey) -> Upstream {
        Upstream {
            signer: Some(key),
            ..self
        }
    }

    /// The same, each call given up after `timeout`.
    pub fn with_timeout(self, timeout: Duration) -> Upstream {
        Upstream { timeout, ..self }
    }
}

/// The wait before attempt `attempts + 1`: 1 s doubling, at most
/// [`MAX_BACKOFF`], between half and all of it (`jitter` in 0..=1).
pub fn backoff(attempts: i32, jitter: f64) -> Duration {
    let exp = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    let full = Duration::from_secs(1u64 << exp).min(MAX_BACKOFF);
    full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

pub(super) fn jitter() -> f64 {
    let mut b = [0u8; 2];
    match getrandom::fill(&mut b) {
        Ok(()) => f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX),
        Err(_) => 1.0,
    }
}

/// A connection to the upstream adapter: the HTTP client and the open
/// session.
pub struct Link {
    upstream: Upstream,
    http: reqwest::Client,
    session: Option<String>,
}

impl Link {
    /// A link to `upstream` (not logged in yet).
    pub fn new(upstream: Upstream) -> Result<Link, String> {
        let http = reqwest::Client::builder()
            .timeout(upstream.timeout)
            .connect_timeout(upstream.timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Link {
            upstream,
            http,
            session: None,
        })
    }
}

/// The pusher's state: the store and the link.
struct Pusher {
    store: Arc<dyn Store>,
    link: Link,
}

/// Starts sending the outbox to `upstream`; it runs until the handle is
/// aborted.
pub fn spawn(store: Arc<dyn Store>, upstream: Upstream) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let link = match Link::new(upstream) {
            Ok(link) => link,
            Err(e) => {
                tracing::error!(error = %e, "cannot reach the upstream portal");
                return;
            }
        };
        let mut pusher = Pusher { store, link };
        loop {
            let sent = pusher.round().await;
            if sent == 0 {
                tokio::time::sleep(POLL).await;
            }
        }
    })
}

impl Pusher {
    /// Sends what is due, in batches per unit (the dossiers' packets in
    /// one call, then their new steps), and records for each dossier
    /// whether every packet of it was taken; how many dossiers it tried.
    async fn round(&mut self) -> usize {
        let due = match self.store.dossiers().upstream_due(Utc::now(), BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the dossiers to send upstream");
                return 0;
            }
        };
        let tried = due.len();
        let mut outs = Vec::with_capacity(due.len());
        for d in due {
            let out = self.prepare(d).await;
            outs.push(out);
        }
        let mut by_unit: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for (i, o) in outs.iter().enumerate() {
            if o.failed.is_none() {
                by_unit.entry(o.unit.clone()).or_default().push(i);
            }
        }
        for (unit, members) in by_unit {
            for chunk in members.chunks(PER_CALL) {
                let updating = chunk.iter().all(|i| outs[*i].due.sent_version > 0);
                let data: Vec<Value> = chunk.iter().map(|i| outs[*i].packet.clone()).collect();
                let answer = self
                    .link
                    .exchange(
                        &unit,
                        "DongBoHoSoMC",
                        json!({"isUpdating": if updating { "True" } else { "False" }, "data": data}),
                    )
                    .await;
                settle(&mut outs, chunk, answer, "DongBoHoSoMC");
            }
            // the new steps of the dossiers whose packet was taken, in order
            let steps: Vec<(usize, Value)> = members
                .iter()
                .filter(|i| outs[**i].failed.is_none())
                .flat_map(|i| outs[*i].steps.iter().map(move |s| (*i, s.clone())))
                .collect();
            for chunk in steps.chunks(PER_CALL) {
                let owners: Vec<usize> = chunk.iter().map(|(i, _)| *i).collect();
                let data: Vec<Value> = chunk.iter().map(|(_, s)| s.clone()).collect();
                let answer = self
                    .link
                    .exchange(&unit, "CapNhatTienDoHoSoMC", json!({"data": data}))
                    .await;
                settle(&mut outs, &owners, answer, "CapNhatTienDoHoSoMC");
            }
        }
        for o in outs {
            self.record(o).await;
        }
        tried
    }

    /// `d`'s packet and its steps not yet acknowledged, numbered.
    async fn prepare(&self, d: UpstreamDue) -> Outgoing {
        let dossier = &d.stored.dossier;
        let unit = dossier.route.receiving.to_string();
        let mut out = Outgoing {
            unit,
            packet: Value::Null,
            steps: Vec::new(),
            total_steps: 0,
            failed: None,
            due: d.clone(),
        };
        let (packet, steps) =
            match report::packets(self.store.as_ref(), dossier, &self.link.upstream.base_url).await
            {
                Ok(p) => p,
                Err(e) => {
                    out.failed = Some(e.to_string());
                    return out;
                }
            };
        let sent = u64::try_from(d.sent_steps).unwrap_or(0);
        out.total_steps = i64::try_from(steps.len()).unwrap_or(i64::MAX);
        match serde_json::to_value(&packet) {
            Ok(v) => out.packet = v,
            Err(e) => out.failed = Some(e.to_string()),
        }
        match numbered(&steps, sent) {
            Ok(steps) => out.steps = steps,
            Err(e) => out.failed = Some(e),
        }
        out
    }

    /// Records what became of `o`.
    async fn record(&self, o: Outgoing) {
        let code = o.due.stored.dossier.code.clone();
        match o.failed {
            None => {
                metrics::counter!(UPSTREAM_TOTAL, "outcome" => "sent").increment(1);
                if let Err(e) = self
                    .store
                    .dossiers()
                    .upstream_sent(&code, o.due.stored.version, o.total_steps)
                    .await
                {
                    tracing::warn!(error = %e, %code, "cannot record what upstream acknowledged");
                }
            }
            Some(why) => {
                metrics::counter!(UPSTREAM_TOTAL, "outcome" => "failed").increment(1);
                let attempts = o.due.attempts.saturating_add(1);
                let wait = backoff(o.due.attempts, jitter());
                let next: DateTime<Utc> =
                    Utc::now() + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                tracing::info!(%code, attempts, wait_s = wait.as_secs_f64(), reason = %why, "a dossier was not taken upstream; trying again later");
                if let Err(e) = self
                    .store
                    .dossiers()
                    .upstream_failed(&code, attempts, next, &why)
                    .await
                {
                    tracing::warn!(error = %e, %code, "cannot record a failure to send upstream");
                }
            }
        }
    }
}

/// The steps after the first `sent`, as sent: each numbered
/// (`ThuTuBuoc`, a member the profile lets a sender add), so that two
/// steps alike to the second stay two.
pub fn numbered(
    steps: &[(u64, backoffice::CapNhatTienDoHoSoMC)],
    sent: u64,
) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (n, step) in steps.iter().filter(|(n, _)| *n > sent) {
        match serde_json::to_value(step) {
            Ok(Value::Object(mut v)) => {
                v.insert("ThuTuBuoc".into(), json!(n));
                out.push(Value::Object(v));
            }
            Ok(_) | Err(_) => return Err(format!("step {n} cannot be written")),
        }
    }
    Ok(out)
}

/// One dossier on its way up.
struct Outgoing {
    due: UpstreamDue,
    unit: String,
    packet: Value,
    steps: Vec<Value>,
    total_steps: i64,
    /// Why it was not taken (the first reason).
    failed: Option<String>,
}

/// Marks the owners (`owners[k]` sent the `k`-th packet of the call) of
/// the packets `answer` did not take.
fn settle(outs: &mut [Outgoing], owners: &[usize], answer: Result<Value, String>, service: &str) {
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            for i in owners {
                outs[*i].failed.get_or_insert_with(|| e.clone());
            }
            return;
        }
    };
    if answer["error_code"] == "00" {
        return;
    }
    for item in answer["result"].as_array().into_iter().flatten() {
        if item["error_code"] == "00" {
            continue;
        }
        let Some(owner) = item["index"]
            .as_u64()
            .and_then(|k| usize::try_from(k).ok())
            .and_then(|k| owners.get(k))
        else {
            continue;
        };
        outs[*owner].failed.get_or_insert_with(|| {
            format!(
                "{service}: {} {}: {}",
                item["MaHoSo"].as_str().unwrap_or(""),
                item["status"].as_str().unwrap_or(""),
                item["detail"].as_str().unwrap_or("")
            )
        });
    }
}

impl Link {
    async fn log_in(&mut self) -> Result<String, String> {
        let answer: Value = self
            .http
            .post(&self.upstream.login_url)
            .json(&json!({"username": self.upstream.username, "password": self.upstream.password}))
            .send()
            .await
            .map_err(|e| format!("log-in: {e}"))?
            .json()
            .await
            .map_err(|e| format!("log-in: the answer is not JSON: {e}"))?;
        match (answer["error_code"].as_str(), answer["session"].as_str()) {
            (Some("00"), Some(session)) => {
                self.session = Some(session.to_string());
                Ok(session.to_string())
            }
            _ => Err(format!(
                "log-in refused: {}",
                answer["detail"].as_str().unwrap_or("no reason given")
            )),
        }
    }

    /// One call of `service` for `unit` with the members of `rest`,
    /// logging in when there is no session or it expired: the answer when
    /// the packets were judged (`"00"`, or a batch answered packet by
    /// packet in `result`), an error when the call itself was not taken.
    pub async fn exchange(
        &mut self,
        unit: &str,
        service: &str,
        rest: Value,
    ) -> Result<Value, String> {
        if let Some(key) = self.upstream.signer.clone() {
            return self.signed(&key, unit, service, rest).await;
        }
        for _ in 0..2 {
            let session = match self.session.clone() {
                Some(s) => s,
                None => self.log_in().await?,
            };
            let body = call_body(Some(&session), unit, service, &rest);
            let answer = answer_of(
                service,
                self.http.post(&self.upstream.url).json(&body).send().await,
            )
            .await?;
            // the session expired (or the node restarted): again
            if answer["error_code"] == "02" {
                self.session = None;
                continue;
            }
            return judged(service, answer);
        }
        Err(format!(
            "{service}: the session was refused twice after logging in"
        ))
    }

    /// One call over motcua's own profile: the body signed with `key`
    /// (RFC 9421, with `Content-Digest`), no session.
    async fn signed(
        &mut self,
        key: &exchange::MemberKey,
        unit: &str,
        service: &str,
        rest: Value,
    ) -> Result<Value, String> {
        let body = call_body(None, unit, service, &rest);
        let url = format!("{}/signed", self.upstream.url);
        let mut request = exchange::HttpRequest {
            method: "POST".into(),
            uri: url.clone(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).map_err(|e| format!("{service}: {e}"))?,
        };
        exchange::sign_request(&mut request, key, Utc::now(), chrono::Duration::minutes(5))
            .map_err(|e| format!("{service}: cannot sign the call: {e}"))?;
        let sent = crate::services::exchange::post_signed(&self.http, &request)
            .send()
            .await;
        let answer = answer_of(service, sent).await?;
        judged(service, answer)
    }

    /// [`Link::exchange`], `Ok` only when every packet was taken.
    pub async fn call(&mut self, unit: &str, service: &str, rest: Value) -> Result<Value, String> {
        let answer = self.exchange(unit, service, rest).await?;
        if answer["error_code"] == "00" {
            return Ok(answer);
        }
        let items: Vec<String> = answer["result"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["error_code"] != "00")
            .map(|i| {
                format!(
                    "{} {}: {}",
                    i["MaHoSo"].as_str().unwrap_or(""),
                    i["status"].as_str().unwrap_or(""),
                    i["detail"].as_str().unwrap_or("")
                )
            })
            .collect();
        Err(format!(
            "{service} answered {}: {} ({})",
            answer["error_code"]
                .as_str()
                .unwrap_or("without an error_code"),
            answer["detail"].as_str().unwrap_or(""),
            items.join("; ")
        ))
    }
}

/// A call's body: `session` (when the call carries one), `madonvi`,
/// `service` and the members of `rest`.
fn call_body(session: Option<&str>, unit: &str, service: &str, rest: &Value) -> Value {
    let mut body = json!({"madonvi": unit, "service": service});
    if let (Some(body), Some(session)) = (body.as_object_mut(), session) {
        body.insert("session".into(), json!(session));
    }
    if let (Some(body), Value::Object(rest)) = (body.as_object_mut(), rest) {
        body.extend(rest.clone());
    }
    body
}

/// The JSON the portal answered `sent` with.
async fn answer_of(
    service: &str,
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<Value, String> {
    sent.map_err(|e| format!("{service}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{service}: the answer is not JSON: {e}"))
}

/// `answer` when the portal judged the call (`"00"`, or a batch answered
/// packet by packet in `result`), else why the call was not taken.
fn judged(service: &str, answer: Value) -> Result<Value, String> {
    match answer["error_code"].as_str() {
        Some("00") => Ok(answer),
        _ if answer["result"].is_array() => Ok(answer),
        code => Err(format!(
            "{service} answered {}: {}",
            code.unwrap_or("without an error_code"),
            answer["detail"].as_str().unwrap_or("")
        )),
    }
}

/// What differs between this node and the upstream portal about one
/// dossier.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Difference {
    /// The dossier.
    pub code: String,
    /// Its status here (`None`: not here).
    pub status_here: Option<String>,
    /// Its status there (`None`: not there).
    pub status_there: Option<String>,
    /// Its steps here.
    pub steps_here: Option<usize>,
    /// Its steps received there.
    pub steps_there: Option<usize>,
    /// Why it differs, in words.
    pub why: String,
}

/// An agency's day compared with the upstream portal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Reconciliation {
    /// The agency.
    pub agency: String,
    /// The day.
    pub day: chrono::NaiveDate,
    /// Its dossiers here.
    pub count_here: usize,
    /// Its dossiers there.
    pub count_there: usize,
    /// SHA-256 over `code|status|steps` of each dossier here, by code.
    pub digest_here: String,
    /// The same over what the portal holds.
    pub digest_there: String,
    /// Every dossier that differs.
    pub differences: Vec<Difference>,
    /// How many were made due to be sent again.
    pub resent: usize,
}

fn digest(rows: &std::collections::BTreeMap<String, (String, usize)>) -> String {
    use sha2::Digest as _;
    let mut hash = sha2::Sha256::new();
    for (code, (status, steps)) in rows {
        hash.update(format!("{code}|{status}|{steps}\n").as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Compares `agency`'s dossiers of `day` here with what `upstream` holds
/// of them; with `resend`, makes every one that differs (and is here) due
/// to be sent again, whole.
pub async fn reconcile(
    store: &dyn Store,
    upstream: Upstream,
    agency: &dossier::AgencyCode,
    day: chrono::NaiveDate,
    resend: bool,
) -> Result<Reconciliation, String> {
    use std::collections::BTreeMap;
    let mut here: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for code in store
        .dossiers()
        .codes_of_day(agency, day)
        .await
        .map_err(|e| e.to_string())?
    {
        if let Some(stored) = store
            .dossiers()
            .dossier(&code)
            .await
            .map_err(|e| e.to_string())?
        {
            let d = &stored.dossier;
            here.insert(
                code.to_string(),
                (
                    d.status().code().to_string(),
                    backoffice::progress_packets(d).len(),
                ),
            );
        }
    }
    let mut link = Link::new(upstream)?;
    let answer = link
        .call(
            agency.as_str(),
            "DoiSoatHoSo",
            json!({"ngay": day.format("%Y%m%d").to_string()}),
        )
        .await?;
    let mut there: BTreeMap<String, (String, usize)> = BTreeMap::new();
    for row in answer["result"].as_array().into_iter().flatten() {
        let (Some(code), Some(status)) = (row["MaHoSo"].as_str(), row["TrangThaiHoSo"].as_str())
        else {
            return Err(format!(
                "the portal answered a row without its code or status: {row}"
            ));
        };
        let steps = row["SoBuoc"]
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        there.insert(code.to_string(), (status.to_string(), steps));
    }
    let mut differences = Vec::new();
    let codes: std::collections::BTreeSet<&String> = here.keys().chain(there.keys()).collect();
    for code in codes {
        let (h, t) = (here.get(code), there.get(code));
        let why = match (h, t) {
            (Some(_), None) => "not at the upstream portal".to_string(),
            (None, Some(_)) => "at the upstream portal, not here".to_string(),
            (Some((sh, nh)), Some((st, nt))) if sh != st => {
                format!("status {sh} here, {st} there ({nh} and {nt} steps)")
            }
            (Some((_, nh)), Some((_, nt))) if nh != nt => {
                format!("{nh} steps here, {nt} there")
            }
            _ => continue,
        };
        differences.push(Difference {
            code: code.clone(),
            status_here: h.map(|x| x.0.clone()),
            status_there: t.map(|x| x.0.clone()),
            steps_here: h.map(|x| x.1),
            steps_there: t.map(|x| x.1),
            why,
        });
    }
    let mut resent = 0;
    if resend {
        for d in differences.iter().filter(|d| d.status_here.is_some()) {
            let code = dossier::DossierCode::parse(&d.code).map_err(|e| e.to_string())?;
            store
                .dossiers()
                .upstream_resend(&code)
                .await
                .map_err(|e| e.to_string())?;
            resent += 1;
        }
    }
    Ok(Reconciliation {
        agency: agency.to_string(),
        day,
        count_here: here.len(),
        count_there: there.len(),
        digest_here: digest(&here),
        digest_there: digest(&there),
        differences,
        resent,
    })
}

/// Counted: dossiers reconciliation found differing and sent again.
pub const RECONCILE_DIFFERENCES: &str = "upstream_reconcile_differences_total";

/// Reconciles every agency's today and yesterday (Vietnam's days) with
/// `upstream` every `every`, sending again whatever differs; differences
/// are logged and counted.
pub fn spawn_reconciler(
    store: Arc<dyn Store>,
    upstream: Upstream,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let today = Utc::now().with_timezone(&domain::VIETNAM).date_naive();
            for day in [today.pred_opt().unwrap_or(today), today] {
                let agencies = match store.dossiers().agencies_of_day(day).await {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot list the agencies to reconcile");
                        continue;
                    }
                };
                for agency in agencies {
                    match reconcile(store.as_ref(), upstream.clone(), &agency, day, true).await {
                        Ok(r) if r.differences.is_empty() => {}
                        Ok(r) => {
                            metrics::counter!(RECONCILE_DIFFERENCES)
                                .increment(r.differences.len() as u64);
                            tracing::warn!(
                                %agency, %day, differences = r.differences.len(), resent = r.resent,
                                first = %r.differences[0].why,
                                "reconciliation with the upstream portal found differences; sent them again"
                            );
                        }
                        Err(e) => {
                            tracing::warn!(%agency, %day, error = %e, "cannot reconcile with the upstream portal");
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_ten_minutes_with_jitter_below_it() {
        assert_eq!(backoff(0, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(3, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(3, 0.0), Duration::from_secs(4));
        assert_eq!(backoff(30, 1.0), MAX_BACKOFF);
        assert_eq!(backoff(-5, 1.0), Duration::from_secs(1));
        for attempts in 0..25 {
            for j in [0.0, 0.3, 1.0, 7.0] {
                let wait = backoff(attempts, j);
                assert!(wait <= MAX_BACKOFF && wait >= Duration::from_millis(500));
            }
        }
    }
}

//! The message log's single writer: a task that chains the records handed
//! to it, signs the due checkpoints, and stores every run of jobs that
//! arrived while the previous commit was in flight in one transaction
//! (group commit). A job is a log record, or a new dossier with the
//! registry reads made for it: the dossiers of a run are numbered and
//! stored in the same transaction as the run's log entries, their reads
//! logged under their codes — one durable commit for all of it.
//! [`LogHandle::append`] and [`LogHandle::file`] return once their writes
//! are durable. After each commit the writer signs the log's new head as
//! its operator (one signature per commit, however many entries it
//! stored): [`LogHandle::append_signed`] hands it to the request, and the
//! node keeps the latest outside its database (`head.rs`).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use dossier::{AgencyCode, Dossier, DossierCode, Notice};
use exchange::{Appended, Digest32, LogEntry, LogRecord, LogWriter, MemberKey, SignedHead};
use store::{NewDossier, StoreError, StoredDossier};
use tokio::sync::{mpsc, oneshot, watch};

/// Most jobs one commit of the message log takes.
pub const LOG_BATCH_MAX: usize = 512;

/// Why an entry could not be written to the message log.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LogError {
    /// The store refused or failed the write; the writer resumed from the
    /// stored head, and the request must not be answered as if logged.
    #[error("the message log refused the entry: {0}")]
    Store(String),
    /// The writer task is gone (the server is shutting down).
    #[error("the message log's writer has stopped")]
    Stopped,
}

/// Builds a dossier once its code is known (see [`store::MakeDossier`]).
pub type MakeOwned =
    Box<dyn Fn(DossierCode) -> Result<(Dossier, Option<Notice>), StoreError> + Send + Sync>;

/// A new dossier for the writer to number and store, with the registry
/// reads made for it.
pub struct DossierFiling {
    /// The receiving agency, whose next number of the day it takes.
    pub agency: AgencyCode,
    /// The day of receipt (a Vietnam day).
    pub day: NaiveDate,
    /// When it is stored.
    pub at: DateTime<Utc>,
    /// Builds it once its code is known.
    pub make: MakeOwned,
    /// The reads to log under its code (under `draft` if it is refused).
    pub reads: Vec<LogRecord>,
    /// The case the reads are logged under when no dossier comes of them.
    pub draft: String,
}

/// `record` as logged for the case `case_ref`: the case, and a request
/// digest that binds it.
pub fn under_case(record: &LogRecord, case_ref: &str) -> LogRecord {
    let mut r = record.clone();
    r.case_ref = Some(case_ref.to_string());
    r.request_digest = Digest32::of(format!("{case_ref} {}", record.request_digest).as_bytes());
    r
}

/// An entry once stored, with the operator's signed head of the log at or
/// after it (the head of the commit that stored it).
#[derive(Debug, Clone)]
pub struct Logged {
    /// The entry.
    pub entry: LogEntry,
    /// The log's head, signed by its operator, once the entry was stored.
    pub head: Arc<SignedHead>,
}

type RecordReply = oneshot::Sender<Result<Logged, LogError>>;
type FilingReply = oneshot::Sender<Result<StoredDossier, StoreError>>;

enum LogJob {
    Record(LogRecord, RecordReply),
    Filing(DossierFiling, FilingReply),
}

/// The handle requests use to reach the writer.
#[derive(Debug, Clone)]
pub struct LogHandle {
    jobs: mpsc::Sender<LogJob>,
}

impl LogHandle {
    /// Starts the writer on the current runtime, continuing after `head`;
    /// each new signed head goes to `keeper` when there is one.
    pub(crate) fn start(
        store: Arc<dyn store::Store>,
        operator: MemberKey,
        head: Option<&LogEntry>,
        checkpoint_every: u64,
        keeper: Option<watch::Sender<Option<Arc<SignedHead>>>>,
    ) -> Self {
        let (jobs, rx) = mpsc::channel(LOG_BATCH_MAX * 4);
        let writer = Writer {
            store,
            operator,
            chain: LogWriter::resume(head, checkpoint_every),
            checkpoint_every,
            head: None,
            keeper,
        };
        tokio::spawn(writer.run(rx));
        LogHandle { jobs }
    }

    /// Appends `records` together (they reach the writer at once, so one
    /// commit usually stores them all) and waits until each is stored.
    pub async fn append_all(&self, records: Vec<LogRecord>) -> Vec<Result<LogEntry, LogError>> {
        let mut waits = Vec::with_capacity(records.len());
        for record in records {
            let (done, wait) = oneshot::channel();
            match self.jobs.send(LogJob::Record(record, done)).await {
                Ok(()) => waits.push(Some(wait)),
                Err(_) => waits.push(None),
            }
        }
        let mut out = Vec::with_capacity(waits.len());
        for wait in waits {
            out.push(match wait {
                Some(w) => w
                    .await
                    .unwrap_or(Err(LogError::Stopped))
                    .map(|logged| logged.entry),
                None => Err(LogError::Stopped),
            });
        }
        out
    }

    /// Appends `record` and waits until it is stored; returns the entry.
    pub async fn append(&self, record: LogRecord) -> Result<LogEntry, LogError> {
        self.append_signed(record).await.map(|logged| logged.entry)
    }

    /// Appends `record` and waits until it is stored; returns the entry and
    /// the operator's signed head of the log that holds it.
    pub async fn append_signed(&self, record: LogRecord) -> Result<Logged, LogError> {
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(LogJob::Record(record, done))
            .await
            .map_err(|_| LogError::Stopped)?;
        wait.await.map_err(|_| LogError::Stopped)?
    }

    /// Numbers and stores `filing`'s dossier with its reads logged under
    /// its code, and waits until that is durable. A dossier refused (its
    /// `make` said no, or the agency's numbers of the day are spent) has
    /// its reads logged under its draft.
    pub async fn file(&self, filing: DossierFiling) -> Result<StoredDossier, StoreError> {
        let stopped =
            || StoreError::database("the message log's writer has stopped (shutting down)");
        let (done, wait) = oneshot::channel();
        self.jobs
            .send(LogJob::Filing(filing, done))
            .await
            .map_err(|_| stopped())?;
        wait.await.map_err(|_| stopped())?
    }
}

struct Writer {
    store: Arc<dyn store::Store>,
    operator: MemberKey,
    chain: LogWriter,
    checkpoint_every: u64,
    /// The latest head signed (after the last commit that stored entries).
    head: Option<Arc<SignedHead>>,
    /// Where new heads go to be kept outside the database.
    keeper: Option<watch::Sender<Option<Arc<SignedHead>>>>,
}

/// What one commit stored: the records' entries, and each filing's
/// outcome.
type Committed = (Vec<LogEntry>, store::Outcomes);

impl Writer {
    async fn run(mut self, mut rx: mpsc::Receiver<LogJob>) {
        let mut jobs = Vec::with_capacity(LOG_BATCH_MAX);
        while rx.recv_many(&mut jobs, LOG_BATCH_MAX).await > 0 {
            let mut records = Vec::new();
            let mut filings = Vec::new();
            for job in jobs.drain(..) {
                match job {
                    LogJob::Record(r, done) => records.push((r, done)),
                    LogJob::Filing(f, done) => filings.push((f, done)),
                }
            }
            self.write(records, filings).await;
        }
    }

    /// Commits a run of jobs together; when that fails and the run had
    /// more than one part, each part again on its own, so that one bad
    /// dossier does not fail the others.
    async fn write(
        &mut self,
        records: Vec<(LogRecord, RecordReply)>,
        filings: Vec<(DossierFiling, FilingReply)>,
    ) {
        let rs: Vec<LogRecord> = records.iter().map(|(r, _)| r.clone()).collect();
        let fs: Vec<&DossierFiling> = filings.iter().map(|(f, _)| f).collect();
        let parts = filings.len() + usize::from(!records.is_empty());
        let mut committed = self.commit(&rs, &fs).await;
        if let Err(e) = &committed
            && e.kind() == store::ErrorKind::Conflict
        {
            let reason = e.context();
            // another writer moved the log or an agency's numbers: the
            // store and the chain have read them again
            tracing::warn!(%reason, "the message log's batch met another writer; trying it again");
            committed = self.commit(&rs, &fs).await;
        }
        match committed {
            Ok((entries, outcomes)) => {
                reply_records(records, Ok(entries), self.head.as_ref());
                for ((_, done), outcome) in filings.into_iter().zip(outcomes) {
                    let _ = done.send(outcome);
                }
            }
            Err(e) if parts <= 1 => {
                let reason = e.to_string();
                reply_records(records, Err(LogError::Store(reason.clone())), None);
                for (filing, done) in filings {
                    self.log_drafts(&filing).await;
                    let _ = done.send(Err(StoreError::database(reason.clone())));
                }
            }
            Err(_) => {
                if !records.is_empty() {
                    let result = self
                        .commit(&rs, &[])
                        .await
                        .map(|(entries, _)| entries)
                        .map_err(|e| LogError::Store(e.to_string()));
                    reply_records(records, result, self.head.as_ref());
                }
                for (filing, done) in filings {
                    let outcome = match self.commit(&[], &[&filing]).await {
                        Ok((_, mut outcomes)) => outcomes.pop().unwrap_or_else(|| {
                            Err(StoreError::database(
                                "the store reported no outcome for the dossier",
                            ))
                        }),
                        Err(e) => {
                            self.log_drafts(&filing).await;
                            Err(e)
                        }
                    };
                    let _ = done.send(outcome);
                }
            }
        }
    }

    /// The reads of a filing that could not be stored, logged under its
    /// draft (a read is logged even when nothing came of it).
    async fn log_drafts(&mut self, filing: &DossierFiling) {
        let drafts: Vec<LogRecord> = filing
            .reads
            .iter()
            .map(|r| under_case(r, &filing.draft))
            .collect();
        if drafts.is_empty() {
            return;
        }
        if let Err(e) = self.commit(&drafts, &[]).await {
            tracing::error!(error = %e, case = %filing.draft, "registry reads for a form could not be logged");
            metrics::counter!(crate::metrics::PREFILL_LOG_FAILURES).increment(1);
        }
    }

    /// One transaction: `records` chained onto the log, and `filings`
    /// numbered and stored with their reads chained after them. On
    /// failure the chain resumes from the stored head.
    async fn commit(
        &mut self,
        records: &[LogRecord],
        filings: &[&DossierFiling],
    ) -> Result<Committed, StoreError> {
        let started = std::time::Instant::now();
        let mut appended: Vec<Appended> = records
            .iter()
            .map(|r| self.chain.append(r.clone(), &self.operator))
            .collect();
        let entries: Vec<LogEntry> = appended.iter().map(|a| a.entry.clone()).collect();
        let result = if filings.is_empty() {
            // the head is signed while the commit is in flight (the
            // statement is sent first), and kept only if it succeeds
            let (stored, head) = tokio::join!(
                biased;
                self.store.exchange().append_log_batch(&appended),
                async { self.next_head() },
            );
            metrics::histogram!(crate::metrics::LOG_BATCH_ENTRIES).record(appended.len() as f64);
            if let (Ok(()), Some(head)) = (&stored, head) {
                self.publish(head);
            }
            stored.map(|()| (entries, Vec::new()))
        } else {
            let batch: Vec<NewDossier<'_>> = filings
                .iter()
                .map(|f| NewDossier {
                    agency: &f.agency,
                    day: f.day,
                    at: f.at,
                    make: &*f.make,
                })
                .collect();
            let chain = &mut self.chain;
            let operator = &self.operator;
            let mut log = |outcomes: &[Result<StoredDossier, StoreError>]| {
                for (filing, outcome) in filings.iter().zip(outcomes) {
                    let case = match outcome {
                        Ok(s) => s.dossier.code.to_string(),
                        Err(_) => filing.draft.clone(),
                    };
                    for read in &filing.reads {
                        appended.push(chain.append(under_case(read, &case), operator));
                    }
                }
                metrics::histogram!(crate::metrics::LOG_BATCH_ENTRIES)
                    .record(appended.len() as f64);
                std::mem::take(&mut appended)
            };
            self.store
                .dossiers()
                .create_dossiers(&batch, &mut log)
                .await
                .map(|outcomes| (entries, outcomes))
        };
        metrics::histogram!(crate::metrics::LOG_COMMIT_SECONDS)
            .record(started.elapsed().as_secs_f64());
        if !filings.is_empty() {
            metrics::histogram!(crate::metrics::LOG_BATCH_DOSSIERS).record(filings.len() as f64);
        }
        match &result {
            Ok(_) => {
                // a run with dossiers chains its reads during the commit
                if let Some(head) = self.next_head() {
                    self.publish(head);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "the message log refused a batch");
                // the chain ran ahead of the store: resume from the stored head
                let head = self.store.exchange().log_head().await.ok().flatten();
                self.chain = LogWriter::resume(head.as_ref(), self.checkpoint_every);
            }
        }
        result
    }

    /// The operator's signed head over the chain's last entry, unless the
    /// latest head already names it.
    fn next_head(&self) -> Option<Arc<SignedHead>> {
        let (seq, hash) = self.chain.head()?;
        if self
            .head
            .as_ref()
            .is_some_and(|h| h.seq == seq && h.hash == hash)
        {
            return None;
        }
        Some(Arc::new(SignedHead::sign(
            seq,
            hash,
            Utc::now(),
            &self.operator,
        )))
    }

    /// Once its entries are stored: `head` is the log's, for the answers
    /// and the keeper.
    fn publish(&mut self, head: Arc<SignedHead>) {
        if let Some(keeper) = &self.keeper {
            keeper.send_replace(Some(head.clone()));
        }
        self.head = Some(head);
    }
}

fn reply_records(
    records: Vec<(LogRecord, RecordReply)>,
    result: Result<Vec<LogEntry>, LogError>,
    head: Option<&Arc<SignedHead>>,
) {
    match (result, head) {
        (Ok(entries), Some(head)) => {
            for ((_, done), entry) in records.into_iter().zip(entries) {
                let _ = done.send(Ok(Logged {
                    entry,
                    head: head.clone(),
                }));
            }
        }
        (Ok(_), None) if records.is_empty() => {}
        (Ok(_), None) => {
            for (_, done) in records {
                let _ = done.send(Err(LogError::Store(
                    "the log's head was not signed after its entries were stored".into(),
                )));
            }
        }
        (Err(e), _) => {
            for (_, done) in records {
                let _ = done.send(Err(e.clone()));
            }
        }
    }
}

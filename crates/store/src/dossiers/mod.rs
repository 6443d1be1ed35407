//! Dossiers: each stored whole (the `dossier::Dossier` as JSON) under a
//! version that only moves forward, with the columns the queues, the
//! applicant's list and the scorecard read. The receiving agency's next
//! number of the day is taken in the transaction that stores the dossier
//! (a failed store gives its number back), so codes are neither repeated
//! nor skipped under concurrent submissions. Every change that concerns
//! the applicant writes a notice in the same transaction: the portal shows
//! it, and the mailer sends it from there (the transactional outbox).
//! New dossiers can be stored in batches, with the exchange-log entries of
//! the registry reads made for them, in one transaction (one commit for
//! many dossiers: the message log's writer files them so). Each
//! applicant's online dossiers per agency and day are counted as they are
//! stored (one upsert of `dossier_applicant_days` per batch, beside the
//! dossiers' insert: [`online_days`]), so that [`DossierStore::filing_day`]
//! reads one row before a filing.
//!
//! Reading, changing, notices, staff, attachments and the scorecard's
//! figures are the same statements on both backends, here; filing new
//! dossiers is each backend's own ([`sqlite`], [`postgres`]), and writes
//! the log's entries of a run through the exchange's appends
//! (`exchange::sqlite`, `exchange::postgres`).

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use dossier::{
    AgencyCode, Attachment, Channel, Dossier, DossierCode, MAX_DAILY_SEQUENCE, MediaType, Notice,
    Role, Status,
};

use crate::db::{Db, On, from_nanos, nanos};
use crate::error::Source;
use crate::{Context, SqlStore, StoreError};

/// A dossier as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredDossier {
    /// The dossier.
    pub dossier: Dossier,
    /// Its version: 1 when filed, one more at each change.
    pub version: i64,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The dossiers waiting to be sent upstream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpstreamBacklog {
    /// How many.
    pub waiting: u64,
    /// Since when the oldest has.
    pub oldest: Option<DateTime<Utc>>,
    /// How many of them failed at least once.
    pub failing: u64,
    /// The last failure's reason and the next try of a failing one.
    pub last_error: Option<(String, DateTime<Utc>)>,
}

/// A dossier waiting to be sent upstream.
#[derive(Debug, Clone)]
pub struct UpstreamDue {
    /// The dossier as it is now.
    pub stored: StoredDossier,
    /// The version the upstream portal acknowledged (0: none).
    pub sent_version: i64,
    /// The processing steps it acknowledged.
    pub sent_steps: i64,
    /// Failed attempts since the last acknowledgement.
    pub attempts: i32,
}

/// A notice to an applicant.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NoticeRow {
    /// Increasing.
    pub id: i64,
    /// The applicant's subject.
    pub recipient: String,
    /// The dossier.
    pub dossier: String,
    /// Its status then (1–10).
    pub status: u8,
    /// In Vietnamese.
    pub text_vi: String,
    /// In English.
    pub text_en: String,
    /// Where it is e-mailed, if anywhere.
    pub email: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When the applicant read it in the portal.
    pub read_at: Option<DateTime<Utc>>,
    /// When it was e-mailed.
    pub emailed_at: Option<DateTime<Utc>>,
    /// E-mail attempts so far.
    pub attempts: i32,
    /// The last e-mail failure.
    pub last_error: Option<String>,
}

/// Someone on an agency's staff.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaffMember {
    /// Their account's subject.
    pub subject: String,
    /// Their name, from their account (empty when the account is gone).
    pub name: String,
    /// Officer or leader.
    pub role: Role,
}

/// A file attached to a dossier, as kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StoredAttachment {
    /// What it is.
    pub attachment: Attachment,
    /// The SHA-256 of its content, hex.
    pub sha256: String,
    /// When it was attached.
    pub added_at: DateTime<Utc>,
}

/// Where an agency's day stands before a filing ([`DossierStore::filing_day`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct FilingDay {
    /// The last number the agency gave that day (0: none yet).
    pub last_number: u16,
    /// How many dossiers the applicant filed online with the agency that
    /// day.
    pub online_by_applicant: u32,
}

/// A province's service figures over a period (Decision 766/QĐ-TTg: the
/// progress and satisfaction parts of the scorecard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ServiceFigures {
    /// Dossiers processed in the period.
    pub processed: i64,
    /// Of those, processed by the appointment of form 01.
    pub on_time: i64,
    /// Of those, rated by the applicant.
    pub rated: i64,
    /// The sum of their ratings (1–5 each).
    pub rating_sum: i64,
    /// Dossiers still open past their appointment now.
    pub overdue_open: i64,
    /// Dossiers filed in the period.
    pub filed: i64,
    /// Of those, filed online.
    pub filed_online: i64,
}

/// What [`DossierStore::create_dossier`] is given to build the dossier
/// once its code is known: the dossier and the first notice.
pub type MakeDossier<'a> =
    &'a (dyn Fn(DossierCode) -> Result<(Dossier, Option<Notice>), StoreError> + Send + Sync);

/// One dossier of a [`DossierStore::create_dossiers`] batch.
pub struct NewDossier<'a> {
    /// The receiving agency, whose next number of the day it takes.
    pub agency: &'a AgencyCode,
    /// The day of receipt (a Vietnam day).
    pub day: NaiveDate,
    /// When it is stored.
    pub at: DateTime<Utc>,
    /// Builds it once its code is known.
    pub make: MakeDossier<'a>,
}

/// The outcome of each dossier of a batch, in the batch's order: stored,
/// or refused (its number given back).
pub type Outcomes = Vec<Result<StoredDossier, StoreError>>;

/// What a batch writes to the exchange's message log in its own
/// transaction, given each dossier's outcome: the registry reads made for
/// them, under their codes.
pub type LogOfBatch<'a> =
    &'a mut (dyn FnMut(&[Result<StoredDossier, StoreError>]) -> Vec<exchange::Appended> + Send);

/// Storage of dossiers.
#[async_trait]
pub trait DossierStore: Send + Sync {
    /// Stores new dossiers in one transaction, each under the next code of
    /// its agency and day, with their first notices and the message-log
    /// entries `log` gives once their codes are known: one commit for all
    /// of them. A dossier `make` refuses is left out (its number given
    /// back) and reported in its place; an error of the store fails the
    /// whole batch, log entries included.
    async fn create_dossiers(
        &self,
        batch: &[NewDossier<'_>],
        log: LogOfBatch<'_>,
    ) -> Result<Outcomes, StoreError>;

    /// Stores a new dossier received by `agency` on `day` (a Vietnam day)
    /// under the next code of that agency and day, built by `make`.
    async fn create_dossier(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
        at: DateTime<Utc>,
        make: MakeDossier<'_>,
    ) -> Result<StoredDossier, StoreError> {
        let batch = [NewDossier {
            agency,
            day,
            at,
            make,
        }];
        let mut outcomes = self.create_dossiers(&batch, &mut |_| Vec::new()).await?;
        outcomes.pop().unwrap_or_else(|| {
            Err(StoreError::database(
                "the store reported no outcome for the dossier",
            ))
        })
    }

    /// Stores a changed dossier if it is still at `expected_version`
    /// ([`Conflict`](crate::ErrorKind::Conflict) otherwise: someone changed it meanwhile),
    /// with the notice for its applicant.
    async fn update_dossier(
        &self,
        dossier: &Dossier,
        expected_version: i64,
        notice: Option<&Notice>,
        at: DateTime<Utc>,
    ) -> Result<StoredDossier, StoreError>;

    /// Dossiers changed since the upstream portal last acknowledged them
    /// and due to be sent at `now`, the longest waiting first, at most
    /// `limit`.
    async fn upstream_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<UpstreamDue>, StoreError>;
    /// Records that the upstream portal acknowledged `code` at `version`
    /// with `steps` processing steps (never moving backwards).
    async fn upstream_sent(
        &self,
        code: &DossierCode,
        version: i64,
        steps: i64,
    ) -> Result<(), StoreError>;
    /// Records a failed attempt to send `code`: the attempts so far, when
    /// to try again, and why.
    async fn upstream_failed(
        &self,
        code: &DossierCode,
        attempts: i32,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    /// The agencies that received dossiers on `day`, by code.
    async fn agencies_of_day(&self, day: NaiveDate) -> Result<Vec<AgencyCode>, StoreError>;
    /// Makes `code` due to be sent upstream again, whole, now (what the
    /// upstream portal holds of it differs from it).
    async fn upstream_resend(&self, code: &DossierCode) -> Result<(), StoreError>;
    /// The dossiers waiting to be sent upstream.
    async fn upstream_backlog(&self) -> Result<UpstreamBacklog, StoreError>;
    /// Makes every dossier waiting after a failure due now; how many.
    async fn upstream_retry_now(&self) -> Result<u64, StoreError>;

    /// Stores a dossier delivered from the upstream portal under the code
    /// the upstream portal gave it (a number of its online range, which
    /// this node leaves to it: [`DossierStore::reserve_numbers`]), at
    /// version 1 and due to be reported upstream like one filed here;
    /// `false` when a dossier has that code already (nothing changed).
    async fn receive_dossier(
        &self,
        dossier: &Dossier,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Makes the next number `agency` gives on `day` come after `floor` at
    /// least: a node whose agency's online numbers are given by another
    /// (a province's back office, whose online filings are received by the
    /// national portal) numbers its counter's dossiers after them.
    async fn reserve_numbers(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
        floor: u16,
    ) -> Result<(), StoreError>;

    /// A dossier by code.
    async fn dossier(&self, code: &DossierCode) -> Result<Option<StoredDossier>, StoreError>;

    /// Where `agency`'s `day` stands for a new filing by `applicant` (a
    /// subject): read before the filing's registry reads, to refuse early
    /// what its numbering would refuse.
    async fn filing_day(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
        applicant: &str,
    ) -> Result<FilingDay, StoreError>;

    /// The codes `agency` gave on `day`, in order.
    async fn codes_of_day(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
    ) -> Result<Vec<DossierCode>, StoreError>;

    /// The dossiers filed under any of `subjects` (one applicant's names:
    /// their account, and the number they were filed under before they
    /// had one; at most two), newest first.
    async fn dossiers_of_applicant(
        &self,
        subjects: &[&str],
        limit: usize,
    ) -> Result<Vec<StoredDossier>, StoreError>;

    /// An agency's queue: the dossiers it is competent for or received,
    /// open ones (`open_only`) or all, the soonest due first.
    async fn agency_queue(
        &self,
        agency: &AgencyCode,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<StoredDossier>, StoreError>;

    /// An applicant's notices, newest first.
    async fn notices(&self, recipient: &str, limit: usize) -> Result<Vec<NoticeRow>, StoreError>;

    /// Marks an applicant's notices read up to `up_to` (an id); how many.
    async fn mark_notices_read(
        &self,
        recipient: &str,
        up_to: i64,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// Up to `limit` notices to e-mail whose next try is due at `now`.
    async fn pending_emails(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<NoticeRow>, StoreError>;

    /// Records an e-mail attempt: sent at `at`, or failed with `error`
    /// and to be tried again at `retry_at`.
    async fn record_email(
        &self,
        id: i64,
        at: DateTime<Utc>,
        outcome: Result<(), (String, DateTime<Utc>)>,
    ) -> Result<(), StoreError>;

    /// Makes `account` an officer or leader of `agency` (`None`: no
    /// longer works there).
    async fn set_staff(
        &self,
        account: &str,
        agency: &AgencyCode,
        role: Option<Role>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The agencies `account` works for, and as what.
    async fn staff_roles(&self, account: &str) -> Result<Vec<(AgencyCode, Role)>, StoreError>;

    /// Who works for `agency`, and as what, by name.
    async fn agency_staff(&self, agency: &AgencyCode) -> Result<Vec<StaffMember>, StoreError>;

    /// Keeps `content` as `dossier`'s file for its document (replacing an
    /// earlier one).
    async fn put_attachment(
        &self,
        dossier: &DossierCode,
        attachment: &Attachment,
        content: &[u8],
        at: DateTime<Utc>,
    ) -> Result<StoredAttachment, StoreError>;

    /// A dossier's files, by document.
    async fn attachments(&self, dossier: &DossierCode)
    -> Result<Vec<StoredAttachment>, StoreError>;

    /// One file and its content.
    async fn attachment(
        &self,
        dossier: &DossierCode,
        document: &str,
    ) -> Result<Option<(StoredAttachment, Vec<u8>)>, StoreError>;

    /// The service figures of `province` (all provinces: `None`) for the
    /// dossiers processed in `[from, to)`, and those open past due at `to`.
    async fn service_figures(
        &self,
        province: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ServiceFigures, StoreError>;
}

fn corrupt(e: impl Into<Source>) -> StoreError {
    StoreError::corrupt("a stored dossier", e)
}

/// The columns derived from a dossier.
pub(crate) struct Columns {
    pub(crate) body: String,
    pub(crate) status: i32,
    pub(crate) due_ns: Option<i64>,
    pub(crate) on_time: Option<i32>,
    pub(crate) processed_ns: Option<i64>,
    pub(crate) rating: Option<i32>,
}

fn columns(d: &Dossier) -> Result<Columns, StoreError> {
    let body = serde_json::to_string(d).map_err(|e| StoreError::encoding("a dossier", e))?;
    let processed: Option<DateTime<FixedOffset>> = d
        .timeline
        .steps()
        .iter()
        .find(|s| s.status == Status::Processed)
        .map(|s| s.at);
    Ok(Columns {
        body,
        status: i32::from(d.status().code()),
        due_ns: d.due.map(|t| nanos(t.with_timezone(&Utc))).transpose()?,
        on_time: processed.map(|at| i32::from(!d.late(at))),
        processed_ns: processed
            .map(|t| nanos(t.with_timezone(&Utc)))
            .transpose()?,
        rating: d.rating.as_ref().map(|r| i32::from(r.score)),
    })
}

type DossierRow = (String, i64, i64);

type AttachmentRow = (String, String, String, i64, String, i64);

/// An [`AttachmentRow`] with the file's content.
type AttachmentWithContent = (String, String, String, i64, String, i64, Vec<u8>);

fn attachment_row(r: AttachmentRow) -> Result<StoredAttachment, StoreError> {
    let (document, name, media_type, size, sha256, added_ns) = r;
    let media_type = match media_type.as_str() {
        "application/pdf" => MediaType::Pdf,
        "image/jpeg" => MediaType::Jpeg,
        "image/png" => MediaType::Png,
        other => return Err(corrupt(format!("an attachment of type {other:?}"))),
    };
    Ok(StoredAttachment {
        attachment: Attachment {
            document,
            name,
            media_type,
            size: usize::try_from(size).map_err(corrupt)?,
        },
        sha256,
        added_at: from_nanos(added_ns),
    })
}

fn role_code(role: Role) -> &'static str {
    match role {
        Role::Leader => "leader",
        // an applicant is nobody's staff: stored as the least privilege
        Role::Officer | Role::Applicant => "officer",
    }
}

fn staff_role(code: &str) -> Result<Role, StoreError> {
    match code {
        "leader" => Ok(Role::Leader),
        "officer" => Ok(Role::Officer),
        other => Err(corrupt(format!("unknown staff role {other:?}"))),
    }
}

pub(crate) fn decode_stored(row: DossierRow) -> Result<StoredDossier, StoreError> {
    let (body, version, updated_ns) = row;
    Ok(StoredDossier {
        dossier: serde_json::from_str(&body).map_err(corrupt)?,
        version,
        updated_at: from_nanos(updated_ns),
    })
}

type NoticeTuple = (
    i64,
    String,
    String,
    i32,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    i32,
    Option<String>,
);

const NOTICE_COLUMNS: &str = "id, recipient, dossier, status, text_vi, text_en, email, \
     created_ns, read_ns, emailed_ns, attempts, last_error";

fn notice_row(t: NoticeTuple) -> NoticeRow {
    NoticeRow {
        id: t.0,
        recipient: t.1,
        dossier: t.2,
        status: u8::try_from(t.3).unwrap_or_default(),
        text_vi: t.4,
        text_en: t.5,
        email: t.6,
        created_at: from_nanos(t.7),
        read_at: t.8.map(from_nanos),
        emailed_at: t.9.map(from_nanos),
        attempts: t.10,
        last_error: t.11,
    }
}

fn limit_of(n: usize) -> i64 {
    i64::try_from(n.min(10_000)).unwrap_or(10_000)
}

/// Rows per multi-row INSERT of new dossiers (20 parameters a row: well
/// under both backends' limits).
pub(crate) const INSERT_ROWS: usize = 256;

/// One agency's day in a batch: how many numbers the batch asks of it,
/// and, once taken, the next to give and the last taken.
pub(crate) struct DayNumbers<'a> {
    pub(crate) agency: &'a AgencyCode,
    pub(crate) day: NaiveDate,
    pub(crate) day_text: String,
    pub(crate) wanted: i32,
    pub(crate) next: i32,
    pub(crate) last: i32,
}

/// The numbers a batch of new dossiers takes.
pub(crate) struct Numbering<'a> {
    pub(crate) keys: Vec<DayNumbers<'a>>,
}

/// An agency's day whose last number a batch moves from `old` to `new`.
pub(crate) struct NumberMove<'a> {
    pub(crate) agency: &'a str,
    pub(crate) day_text: &'a str,
    pub(crate) old: i32,
    pub(crate) new: i32,
}

/// A new dossier ready to insert, numbered and built in the batch's
/// transaction.
pub(crate) struct NewRow {
    pub(crate) stored: StoredDossier,
    pub(crate) notice: Option<Notice>,
    pub(crate) columns: Columns,
    pub(crate) code: String,
    pub(crate) day_text: String,
    pub(crate) at_ns: i64,
}

/// How many online dossiers a batch adds to an applicant's day at an
/// agency (`dossier_applicant_days`, which the limit per account reads).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct OnlineDay<'a> {
    pub(crate) applicant: &'a str,
    pub(crate) agency: &'a str,
    pub(crate) day_text: &'a str,
    pub(crate) filed: i64,
}

/// The applicants' days that `rows` move, one entry each, in key order
/// (so that two writers take the rows' locks in the same order).
pub(crate) fn online_days(rows: &[NewRow]) -> Vec<OnlineDay<'_>> {
    let mut days: BTreeMap<(&str, &str, &str), i64> = BTreeMap::new();
    for r in rows {
        let d = &r.stored.dossier;
        if d.channel == Channel::Online {
            let key = (
                d.applicant.subject.as_str(),
                d.code.agency().as_str(),
                r.day_text.as_str(),
            );
            *days.entry(key).or_default() += 1;
        }
    }
    days.into_iter()
        .map(|((applicant, agency, day_text), filed)| OnlineDay {
            applicant,
            agency,
            day_text,
            filed,
        })
        .collect()
}

impl<'a> Numbering<'a> {
    /// What `batch` asks of each agency and day, in first-seen order.
    pub(crate) fn of(batch: &[NewDossier<'a>]) -> Self {
        let mut keys: Vec<DayNumbers<'a>> = Vec::new();
        for new in batch {
            match keys
                .iter_mut()
                .find(|k| k.agency == new.agency && k.day == new.day)
            {
                Some(k) => k.wanted += 1,
                None => keys.push(DayNumbers {
                    agency: new.agency,
                    day: new.day,
                    day_text: new.day.format("%Y-%m-%d").to_string(),
                    wanted: 1,
                    next: 0,
                    last: 0,
                }),
            }
        }
        Numbering { keys }
    }

    /// The store moved each agency's day to `last`: the batch's numbers
    /// are the `wanted` ones up to it.
    pub(crate) fn taken(&mut self, rows: &[(String, String, i32)]) -> Result<(), StoreError> {
        for k in &mut self.keys {
            let last = rows
                .iter()
                .find(|(a, d, _)| a == k.agency.as_str() && *d == k.day_text)
                .map(|(_, _, last)| *last)
                .ok_or_else(|| {
                    StoreError::database(format!(
                        "the store did not report the numbers of {} on {}",
                        k.agency, k.day
                    ))
                })?;
            k.last = last;
            k.next = last - k.wanted + 1;
        }
        Ok(())
    }

    /// Continues each agency's day after the last number `known` gives
    /// it (taken before this batch; none: 0).
    pub(crate) fn after(&mut self, known: impl Fn(&AgencyCode, NaiveDate) -> Option<i32>) {
        for k in &mut self.keys {
            k.last = known(k.agency, k.day).unwrap_or(0);
            k.next = k.last + 1;
        }
    }

    /// Once built: each agency's day whose last number the built dossiers
    /// move on (from the `last` of [`Numbering::after`]).
    pub(crate) fn moves(&self) -> Vec<NumberMove<'_>> {
        self.keys
            .iter()
            .filter(|k| k.next - 1 > k.last)
            .map(|k| NumberMove {
                agency: k.agency.as_str(),
                day_text: &k.day_text,
                old: k.last,
                new: k.next - 1,
            })
            .collect()
    }

    /// Builds each dossier under the next number of its agency's day; a
    /// refused one leaves its number to the next.
    pub(crate) fn build(
        &mut self,
        batch: &[NewDossier<'_>],
    ) -> Result<(Outcomes, Vec<NewRow>), StoreError> {
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut rows = Vec::with_capacity(batch.len());
        for new in batch {
            let k = self
                .keys
                .iter_mut()
                .find(|k| k.agency == new.agency && k.day == new.day)
                .ok_or_else(|| StoreError::database("a dossier outside its batch"))?;
            let built = u16::try_from(k.next)
                .ok()
                .filter(|n| *n <= MAX_DAILY_SEQUENCE)
                .ok_or_else(|| {
                    StoreError::refused(format!(
                        "agency {} has given every number of {} ({MAX_DAILY_SEQUENCE})",
                        k.agency, k.day
                    ))
                })
                .and_then(|sequence| {
                    let code = DossierCode::new(k.agency.clone(), k.day, sequence)
                        .map_err(|e| StoreError::refused(e.to_string()))?;
                    let (dossier, notice) = (new.make)(code.clone())?;
                    if dossier.code != code {
                        return Err(StoreError::refused(format!(
                            "the dossier was built under {} instead of {code}",
                            dossier.code
                        )));
                    }
                    Ok((dossier, notice))
                });
            match built {
                Ok((dossier, notice)) => {
                    k.next += 1;
                    let at_ns = nanos(new.at)?;
                    let stored = StoredDossier {
                        dossier,
                        version: 1,
                        updated_at: from_nanos(at_ns),
                    };
                    outcomes.push(Ok(stored.clone()));
                    rows.push(NewRow {
                        columns: columns(&stored.dossier)?,
                        code: stored.dossier.code.to_string(),
                        stored,
                        notice,
                        day_text: k.day_text.clone(),
                        at_ns,
                    });
                }
                Err(refused) => outcomes.push(Err(refused)),
            }
        }
        Ok((outcomes, rows))
    }
}

/// Writes the notice of a change, if any, in the change's transaction.
async fn insert_notice(
    mut on: On<'_>,
    d: &Dossier,
    notice: Option<&Notice>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(n) = notice else {
        return Ok(());
    };
    on.execute(
        "INSERT INTO dossier_notices \
         (recipient, dossier, status, text_vi, text_en, email, created_ns) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        (
            &d.applicant.subject,
            d.code.to_string(),
            i32::from(n.status.code()),
            &n.text_vi,
            &n.text_en,
            d.applicant.email.as_deref(),
            nanos(at)?,
        ),
    )
    .await
    .context("storing a notice")?;
    Ok(())
}

// ---- the statements, the same text on both backends ------------------

/// An applicant's notices, newest first.
static NOTICES_OF: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {NOTICE_COLUMNS} FROM dossier_notices WHERE recipient = $1 \
         ORDER BY id DESC LIMIT $2"
    )
});

/// The notices to e-mail whose next try is due at `$1`.
static EMAILS_DUE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {NOTICE_COLUMNS} FROM dossier_notices \
         WHERE email IS NOT NULL AND emailed_ns IS NULL AND next_try_ns <= $1 \
         ORDER BY next_try_ns, id LIMIT $2"
    )
});

const UPDATE_DOSSIER: &str = "UPDATE dossiers SET body = $1, status = $2, due_ns = $3, \
     on_time = $4, processed_ns = $5, rating = $6, version = version + 1, updated_ns = $7 \
     WHERE code = $8 AND version = $9";

const RECEIVE_DOSSIER: &str = "INSERT INTO dossiers (code, agency, day, sequence, status, body, \
     created_ns, competent, procedure_code, applicant, province, due_ns, version, updated_ns, \
     on_time, processed_ns, rating, channel, legacy_source, legacy_code) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $7, $13, $14, $15, $16, \
     $17, $18) ON CONFLICT (code) DO NOTHING";

/// The day's sequence started at `$3`, or moved up to it (never down).
const RESERVE_NUMBERS: &str = "INSERT INTO dossier_sequences (agency, day, last) \
     VALUES ($1, $2, $3) ON CONFLICT (agency, day) DO UPDATE SET last = $3 \
     WHERE dossier_sequences.last < $3";

const DOSSIER: &str = "SELECT body, version, updated_ns FROM dossiers WHERE code = $1";

const FILING_DAY: &str = "SELECT COALESCE((SELECT last FROM dossier_sequences \
     WHERE agency = $1 AND day = $2), 0), \
     COALESCE((SELECT online FROM dossier_applicant_days \
     WHERE applicant = $3 AND agency = $1 AND day = $2), 0)";

const CODES_OF_DAY: &str =
    "SELECT code FROM dossiers WHERE agency = $1 AND day = $2 ORDER BY sequence";

const DOSSIERS_OF_APPLICANT: &str = "SELECT body, version, updated_ns FROM dossiers \
     WHERE applicant = $1 OR applicant = $2 ORDER BY created_ns DESC, code DESC LIMIT $3";

const AGENCY_QUEUE: &str = "SELECT body, version, updated_ns FROM dossiers \
     WHERE (competent = $1 OR agency = $1) AND ($2 = 0 OR status NOT IN (3, 7, 8, 10)) \
     ORDER BY CASE WHEN due_ns IS NULL THEN 0 ELSE 1 END, due_ns, created_ns LIMIT $3";

const MARK_NOTICES_READ: &str = "UPDATE dossier_notices SET read_ns = $1 WHERE recipient = $2 \
     AND id <= $3 AND read_ns IS NULL";

const NOTICE_EMAILED: &str = "UPDATE dossier_notices \
     SET emailed_ns = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2";

const NOTICE_EMAIL_FAILED: &str = "UPDATE dossier_notices \
     SET next_try_ns = $1, attempts = attempts + 1, last_error = $2 WHERE id = $3";

const UPSERT_STAFF: &str = "INSERT INTO agency_staff (account, agency, role, added_ns) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (account, agency) DO UPDATE SET role = $3";

const DELETE_STAFF: &str = "DELETE FROM agency_staff WHERE account = $1 AND agency = $2";

const STAFF_ROLES: &str =
    "SELECT agency, role FROM agency_staff WHERE account = $1 ORDER BY agency";

const AGENCY_STAFF: &str = "SELECT s.account, a.name, s.role FROM agency_staff s \
     LEFT JOIN eid_accounts a ON a.subject = s.account WHERE s.agency = $1 \
     ORDER BY COALESCE(a.name, ''), s.account";

const UPSERT_ATTACHMENT: &str = "INSERT INTO dossier_attachments \
     (dossier, document, name, media_type, size, sha256, content, added_ns) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (dossier, document) DO UPDATE SET name = $3, media_type = $4, \
     size = $5, sha256 = $6, content = $7, added_ns = $8";

const ATTACHMENTS: &str = "SELECT document, name, media_type, size, sha256, added_ns \
     FROM dossier_attachments WHERE dossier = $1 ORDER BY document";

const ATTACHMENT: &str = "SELECT document, name, media_type, size, sha256, added_ns, content \
     FROM dossier_attachments WHERE dossier = $1 AND document = $2";

const PROCESSED_FIGURES: &str = "SELECT COUNT(*), CAST(SUM(on_time) AS BIGINT), COUNT(rating), \
     CAST(SUM(rating) AS BIGINT) FROM dossiers WHERE ($1 = '' OR province = $1) \
     AND processed_ns >= $2 AND processed_ns < $3";

const OVERDUE_OPEN: &str = "SELECT COUNT(*) FROM dossiers WHERE ($1 = '' OR province = $1) \
     AND status IN (2, 4) AND due_ns < $2";

const FILED_FIGURES: &str = "SELECT COUNT(*), \
     CAST(SUM(CASE WHEN channel = 2 THEN 1 ELSE 0 END) AS BIGINT) FROM dossiers \
     WHERE ($1 = '' OR province = $1) AND created_ns >= $2 AND created_ns < $3";

#[async_trait]
impl DossierStore for SqlStore {
    async fn create_dossiers(
        &self,
        batch: &[NewDossier<'_>],
        log: LogOfBatch<'_>,
    ) -> Result<Outcomes, StoreError> {
        match &self.db {
            Db::Sqlite(pool) => sqlite::create_new_dossiers(pool, batch, log).await,
            Db::Postgres(pool) => {
                postgres::create_new_dossiers(pool, &self.numbers, batch, log).await
            }
        }
    }

    async fn update_dossier(
        &self,
        dossier: &Dossier,
        expected_version: i64,
        notice: Option<&Notice>,
        at: DateTime<Utc>,
    ) -> Result<StoredDossier, StoreError> {
        let c = columns(dossier)?;
        let at_ns = nanos(at)?;
        let mut tx = self.begin("starting to change a dossier").await?;
        let changed = tx
            .on()
            .execute(
                UPDATE_DOSSIER,
                (
                    c.body,
                    c.status,
                    c.due_ns,
                    c.on_time,
                    c.processed_ns,
                    c.rating,
                    at_ns,
                    dossier.code.to_string(),
                    expected_version,
                ),
            )
            .await
            .context("changing a dossier")?;
        if changed != 1 {
            return Err(StoreError::conflict(format!(
                "dossier {} changed meanwhile (or does not exist): read it again and retry",
                dossier.code
            )));
        }
        insert_notice(tx.on(), dossier, notice, at).await?;
        tx.commit().await.context("changing a dossier")?;
        Ok(StoredDossier {
            dossier: dossier.clone(),
            version: expected_version + 1,
            updated_at: from_nanos(at_ns),
        })
    }

    async fn upstream_due(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<UpstreamDue>, StoreError> {
        self.on()
            .fetch_decoded(
                "SELECT body, version, updated_ns, up_version, up_steps, up_attempts \
                 FROM dossiers WHERE up_version < version AND up_next_ns <= $1 \
                 ORDER BY up_next_ns, updated_ns LIMIT $2",
                (nanos(now)?, crate::db::limit_i64(limit)),
                "reading the dossiers to send upstream",
                |(body, version, updated, sent_version, sent_steps, attempts): (
                    String,
                    i64,
                    i64,
                    i64,
                    i64,
                    i32,
                )| {
                    Ok(UpstreamDue {
                        stored: decode_stored((body, version, updated))?,
                        sent_version,
                        sent_steps,
                        attempts,
                    })
                },
            )
            .await
    }

    async fn upstream_sent(
        &self,
        code: &DossierCode,
        version: i64,
        steps: i64,
    ) -> Result<(), StoreError> {
        self.on()
            .execute(
                "UPDATE dossiers SET up_version = $2, up_steps = $3, up_attempts = 0, \
                 up_next_ns = 0, up_error = NULL WHERE code = $1 AND up_version < $2",
                (code.to_string(), version, steps),
            )
            .await
            .context("recording what the upstream portal acknowledged")?;
        Ok(())
    }

    async fn upstream_failed(
        &self,
        code: &DossierCode,
        attempts: i32,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.on()
            .execute(
                "UPDATE dossiers SET up_attempts = $2, up_next_ns = $3, up_error = $4 \
                 WHERE code = $1",
                (
                    code.to_string(),
                    attempts,
                    crate::db::nanos_clamped(next_at),
                    error.chars().take(1000).collect::<String>(),
                ),
            )
            .await
            .context("recording a failure to send upstream")?;
        Ok(())
    }

    async fn agencies_of_day(&self, day: NaiveDate) -> Result<Vec<AgencyCode>, StoreError> {
        let agencies: Vec<String> = self
            .on()
            .scalar_all(
                "SELECT agency FROM dossier_sequences WHERE day = $1 ORDER BY agency",
                (day.format("%Y-%m-%d").to_string(),),
            )
            .await
            .context("listing the agencies of a day")?;
        agencies
            .iter()
            .map(|a| AgencyCode::parse(a).map_err(corrupt))
            .collect()
    }

    async fn upstream_resend(&self, code: &DossierCode) -> Result<(), StoreError> {
        self.on()
            .execute(
                "UPDATE dossiers SET up_version = 0, up_steps = 0, up_attempts = 0, \
                 up_next_ns = 0, up_error = NULL WHERE code = $1",
                (code.to_string(),),
            )
            .await
            .context("making a dossier due upstream again")?;
        Ok(())
    }

    async fn upstream_backlog(&self) -> Result<UpstreamBacklog, StoreError> {
        let doing = "counting the dossiers to send upstream";
        let (waiting, oldest, failing): (i64, Option<i64>, i64) = self
            .on()
            .fetch_one(
                "SELECT COUNT(*), MIN(updated_ns), \
                 COALESCE(SUM(CASE WHEN up_attempts > 0 THEN 1 ELSE 0 END), 0) \
                 FROM dossiers WHERE up_version < version",
                (),
            )
            .await
            .context(doing)?;
        let last_error: Option<(Option<String>, i64)> = self
            .on()
            .fetch_optional(
                "SELECT up_error, up_next_ns FROM dossiers \
                 WHERE up_version < version AND up_attempts > 0 \
                 ORDER BY up_next_ns DESC LIMIT 1",
                (),
            )
            .await
            .context(doing)?;
        Ok(UpstreamBacklog {
            waiting: u64::try_from(waiting).unwrap_or(0),
            oldest: oldest.map(from_nanos),
            failing: u64::try_from(failing).unwrap_or(0),
            last_error: last_error.and_then(|(e, next)| e.map(|e| (e, from_nanos(next)))),
        })
    }

    async fn upstream_retry_now(&self) -> Result<u64, StoreError> {
        self.on()
            .execute(
                "UPDATE dossiers SET up_next_ns = 0 WHERE up_version < version AND up_next_ns > 0",
                (),
            )
            .await
            .context("making the failing dossiers due now")
    }

    async fn receive_dossier(
        &self,
        dossier: &Dossier,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let c = columns(dossier)?;
        let d = dossier;
        let inserted = self
            .on()
            .execute(
                RECEIVE_DOSSIER,
                (
                    d.code.to_string(),
                    d.code.agency().as_str(),
                    d.code.day().format("%Y-%m-%d").to_string(),
                    i32::from(d.code.sequence()),
                    c.status,
                    c.body,
                    nanos(at)?,
                    d.route.competent.as_str(),
                    d.procedure.as_str(),
                    d.applicant.subject.as_str(),
                    d.route.province.as_str(),
                    c.due_ns,
                    c.on_time,
                    c.processed_ns,
                    c.rating,
                    i32::from(d.channel.code()),
                    d.legacy.as_ref().map(|l| l.source.as_str()),
                    d.legacy.as_ref().map(|l| l.code.as_str()),
                ),
            )
            .await
            .context("storing a dossier delivered from the upstream portal")?;
        Ok(inserted > 0)
    }

    async fn reserve_numbers(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
        floor: u16,
    ) -> Result<(), StoreError> {
        self.on()
            .execute(
                RESERVE_NUMBERS,
                (
                    agency.as_str(),
                    day.format("%Y-%m-%d").to_string(),
                    i32::from(floor),
                ),
            )
            .await
            .context("leaving an agency's online numbers to the upstream portal")?;
        // what this store knew of the day's numbers is behind now
        self.numbers.lock().await.forget(agency, day);
        Ok(())
    }

    async fn dossier(&self, code: &DossierCode) -> Result<Option<StoredDossier>, StoreError> {
        self.on()
            .fetch_optional_decoded(
                DOSSIER,
                (code.to_string(),),
                "reading a dossier",
                decode_stored,
            )
            .await
    }

    async fn filing_day(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
        applicant: &str,
    ) -> Result<FilingDay, StoreError> {
        let (last, online): (i32, i64) = self
            .on()
            .fetch_one(
                FILING_DAY,
                (
                    agency.as_str(),
                    day.format("%Y-%m-%d").to_string(),
                    applicant,
                ),
            )
            .await
            .context("reading an agency's day")?;
        Ok(FilingDay {
            last_number: u16::try_from(last.clamp(0, i32::from(u16::MAX))).unwrap_or(u16::MAX),
            online_by_applicant: u32::try_from(online.max(0)).unwrap_or(u32::MAX),
        })
    }

    async fn codes_of_day(
        &self,
        agency: &AgencyCode,
        day: NaiveDate,
    ) -> Result<Vec<DossierCode>, StoreError> {
        let codes: Vec<String> = self
            .on()
            .scalar_all(
                CODES_OF_DAY,
                (agency.as_str(), day.format("%Y-%m-%d").to_string()),
            )
            .await
            .context("listing a day's dossiers")?;
        codes
            .iter()
            .map(|c| DossierCode::parse(c).map_err(corrupt))
            .collect()
    }

    async fn dossiers_of_applicant(
        &self,
        subjects: &[&str],
        limit: usize,
    ) -> Result<Vec<StoredDossier>, StoreError> {
        let (first, second) = match subjects {
            [] => return Ok(Vec::new()),
            [one] => (*one, *one),
            [one, two] => (*one, *two),
            _ => {
                return Err(StoreError::refused(
                    "an applicant is listed under two subjects at the most",
                ));
            }
        };
        self.on()
            .fetch_decoded(
                DOSSIERS_OF_APPLICANT,
                (first, second, limit_of(limit)),
                "listing an applicant's dossiers",
                decode_stored,
            )
            .await
    }

    async fn agency_queue(
        &self,
        agency: &AgencyCode,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<StoredDossier>, StoreError> {
        // final statuses: 3, 7, 8, 10
        self.on()
            .fetch_decoded(
                AGENCY_QUEUE,
                (agency.as_str(), i32::from(open_only), limit_of(limit)),
                "reading an agency's queue",
                decode_stored,
            )
            .await
    }

    async fn notices(&self, recipient: &str, limit: usize) -> Result<Vec<NoticeRow>, StoreError> {
        self.on()
            .fetch_decoded(
                &NOTICES_OF,
                (recipient, limit_of(limit)),
                "reading notices",
                |r| Ok(notice_row(r)),
            )
            .await
    }

    async fn mark_notices_read(
        &self,
        recipient: &str,
        up_to: i64,
        at: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        Ok(self
            .on()
            .execute(MARK_NOTICES_READ, (nanos(at)?, recipient, up_to))
            .await
            .context("marking notices read")?)
    }

    async fn pending_emails(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        self.on()
            .fetch_decoded(
                &EMAILS_DUE,
                (nanos(now)?, limit_of(limit)),
                "reading the notices to e-mail",
                |r| Ok(notice_row(r)),
            )
            .await
    }

    async fn record_email(
        &self,
        id: i64,
        at: DateTime<Utc>,
        outcome: Result<(), (String, DateTime<Utc>)>,
    ) -> Result<(), StoreError> {
        match outcome {
            Ok(()) => self.on().execute(NOTICE_EMAILED, (nanos(at)?, id)).await,
            Err((error, retry_at)) => {
                self.on()
                    .execute(NOTICE_EMAIL_FAILED, (nanos(retry_at)?, error, id))
                    .await
            }
        }
        .context("recording an e-mail attempt")?;
        Ok(())
    }

    async fn set_staff(
        &self,
        account: &str,
        agency: &AgencyCode,
        role: Option<Role>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        match role {
            Some(role) => {
                self.on()
                    .execute(
                        UPSERT_STAFF,
                        (account, agency.as_str(), role_code(role), nanos(at)?),
                    )
                    .await
            }
            None => {
                self.on()
                    .execute(DELETE_STAFF, (account, agency.as_str()))
                    .await
            }
        }
        .context("recording an agency's staff")?;
        Ok(())
    }

    async fn staff_roles(&self, account: &str) -> Result<Vec<(AgencyCode, Role)>, StoreError> {
        let rows: Vec<(String, String)> = self
            .on()
            .fetch_all(STAFF_ROLES, (account,))
            .await
            .context("reading an officer's agencies")?;
        rows.into_iter()
            .map(|(agency, role)| {
                Ok((
                    AgencyCode::parse(&agency).map_err(corrupt)?,
                    staff_role(&role)?,
                ))
            })
            .collect()
    }

    async fn agency_staff(&self, agency: &AgencyCode) -> Result<Vec<StaffMember>, StoreError> {
        let rows: Vec<(String, Option<String>, String)> = self
            .on()
            .fetch_all(AGENCY_STAFF, (agency.as_str(),))
            .await
            .context("reading an agency's staff")?;
        rows.into_iter()
            .map(|(subject, name, role)| {
                Ok(StaffMember {
                    subject,
                    name: name.unwrap_or_default(),
                    role: staff_role(&role)?,
                })
            })
            .collect()
    }

    async fn put_attachment(
        &self,
        dossier: &DossierCode,
        attachment: &Attachment,
        content: &[u8],
        at: DateTime<Utc>,
    ) -> Result<StoredAttachment, StoreError> {
        use sha2::Digest as _;
        let sha256 = hex::encode(sha2::Sha256::digest(content));
        let size = i64::try_from(content.len()).map_err(corrupt)?;
        self.on()
            .execute(
                UPSERT_ATTACHMENT,
                (
                    dossier.to_string(),
                    &attachment.document,
                    &attachment.name,
                    attachment.media_type.as_str(),
                    size,
                    &sha256,
                    content,
                    nanos(at)?,
                ),
            )
            .await
            .context("keeping an attachment")?;
        Ok(StoredAttachment {
            attachment: attachment.clone(),
            sha256,
            added_at: from_nanos(nanos(at)?),
        })
    }

    async fn attachments(
        &self,
        dossier: &DossierCode,
    ) -> Result<Vec<StoredAttachment>, StoreError> {
        self.on()
            .fetch_decoded(
                ATTACHMENTS,
                (dossier.to_string(),),
                "listing attachments",
                attachment_row,
            )
            .await
    }

    async fn attachment(
        &self,
        dossier: &DossierCode,
        document: &str,
    ) -> Result<Option<(StoredAttachment, Vec<u8>)>, StoreError> {
        self.on()
            .fetch_optional_decoded(
                ATTACHMENT,
                (dossier.to_string(), document),
                "reading an attachment",
                |(d, n, m, s, h, a, content): AttachmentWithContent| {
                    attachment_row((d, n, m, s, h, a)).map(|meta| (meta, content))
                },
            )
            .await
    }

    async fn service_figures(
        &self,
        province: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ServiceFigures, StoreError> {
        let province = province.unwrap_or("");
        let span = (province, nanos(from)?, nanos(to)?);
        let (processed, on_time, rated, rating_sum): (i64, Option<i64>, i64, Option<i64>) = self
            .on()
            .fetch_one(PROCESSED_FIGURES, span)
            .await
            .context("counting processed dossiers")?;
        let overdue_open: i64 = self
            .on()
            .scalar_one(OVERDUE_OPEN, (province, span.2))
            .await
            .context("counting overdue dossiers")?;
        let (filed, filed_online): (i64, Option<i64>) = self
            .on()
            .fetch_one(FILED_FIGURES, span)
            .await
            .context("counting filed dossiers")?;
        Ok(ServiceFigures {
            processed,
            on_time: on_time.unwrap_or(0),
            rated,
            rating_sum: rating_sum.unwrap_or(0),
            overdue_open,
            filed,
            filed_online: filed_online.unwrap_or(0),
        })
    }
}

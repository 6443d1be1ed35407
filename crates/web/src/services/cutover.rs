//! The cut-over of a closed provincial portal: its export brought in, in
//! batches, each dossier kept with its old code in one insert
//! (`backoffice::cutover` decides what each becomes). Running an import
//! again changes nothing: an old code of the portal brought in already is
//! counted and left alone; one on the review list is refreshed there. A
//! run that stops half-way (a crash, `kill -9`) leaves whole batches, and
//! the next run goes on from there. A dry run writes nothing and reports
//! the same.
//!
//! A person decides the dossiers on the review list ([`decide`]): the new
//! commune of a split one, and the dossier is brought in like the others.

use std::collections::{BTreeMap, HashSet};

use backoffice::cutover::{Arrival, Decision, Exported, Plan, Review, ReviewKind, plan, read_line};
use backoffice::map::Problem;
use calendar::WorkingCalendar;
use chrono::{DateTime, FixedOffset, Utc};
use dossier::{Catalog, Dossier, DossierCode, Notice, Status};
use serde::Serialize;
use store::{CutoverReview, NewDossier, Store, StoreError};

/// Dossiers stored in one transaction.
pub const BATCH: usize = 500;

/// Why an import could not go on.
#[derive(Debug, thiserror::Error)]
pub enum CutoverError {
    /// The store failed; what was stored before stays.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The calendar or the catalog could not be read.
    #[error("{0}")]
    Setup(String),
    /// The dossier is not on the review list.
    #[error("{portal}/{old_code} is not on the review list")]
    NotReviewed {
        /// The portal.
        portal: String,
        /// The old code.
        old_code: String,
    },
    /// It was decided already.
    #[error("{old_code} became {code} already")]
    Decided {
        /// The old code.
        old_code: String,
        /// What it became.
        code: String,
    },
    /// The decision does not bring it in.
    #[error("{}: {}", .0.kind.as_str(), .0.reason)]
    StillReviewed(Review),
}

/// One line of an export, as read.
#[derive(Debug, Clone)]
pub struct Line {
    /// Its number in the file (1 first; a CSV row's, the header being 1).
    pub number: usize,
    /// The dossier, or every problem of the line.
    pub read: Result<Exported, Vec<Problem>>,
    /// The line as JSON (as it was in a JSON lines export; a CSV row made
    /// one), kept on the review list.
    pub raw: String,
}

impl Line {
    /// A line of a JSON lines export.
    pub fn json(number: usize, raw: String) -> Line {
        Line {
            number,
            read: read_line(&raw),
            raw,
        }
    }
}

/// A dossier the report names: one that was not brought in, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    /// The line.
    pub line: usize,
    /// Its old code (empty when it cannot be read).
    pub old_code: String,
    /// Why, in short.
    pub kind: String,
    /// Why.
    pub reason: String,
    /// The places to choose from (a split commune).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
}

/// What an import did, or (a dry run) would do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The closed portal.
    pub source: String,
    /// Nothing was written.
    pub dry_run: bool,
    /// Lines read.
    pub lines: u64,
    /// Dossiers brought in by this run (or, dry, that would be).
    pub imported: u64,
    /// Dossiers brought in by an earlier run, left alone.
    pub already_imported: u64,
    /// Lines whose old code came earlier in the same export.
    pub repeated: u64,
    /// Dossiers put (or left) on the review list, by why.
    pub review: BTreeMap<String, u64>,
    /// The dossiers brought in, by status (1–10).
    pub imported_by_status: BTreeMap<u8, u64>,
    /// Of those, waiting on the applicant (the clock stopped).
    pub imported_paused: u64,
    /// Of those, open past their appointment.
    pub imported_late: u64,
    /// Every dossier not brought in, and why.
    pub not_imported: Vec<Named>,
}

impl Report {
    /// Every line accounted for: brought in (now or before), repeated, or
    /// on the review list.
    pub fn accounted(&self) -> u64 {
        self.imported + self.already_imported + self.repeated + self.review.values().sum::<u64>()
    }
}

/// How an import runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The closed portal: its old province's code.
    pub source: String,
    /// Write nothing.
    pub dry_run: bool,
    /// Dossiers per transaction.
    pub batch: usize,
    /// Now (the lateness the report counts).
    pub now: DateTime<FixedOffset>,
}

fn setup() -> Result<(&'static Catalog, WorkingCalendar<'static>), CutoverError> {
    let catalog = Catalog::official().map_err(|e| CutoverError::Setup(e.to_string()))?;
    let calendar = WorkingCalendar::official().map_err(|e| CutoverError::Setup(e.to_string()))?;
    Ok((catalog, calendar))
}

/// The old code a line names, if any can be read from it.
fn old_code_of(line: &Line) -> String {
    match &line.read {
        Ok(e) => e.dossier.ma_ho_so.trim().to_string(),
        Err(_) => serde_json::from_str::<serde_json::Value>(&line.raw)
            .ok()
            .and_then(|v| v["HoSo"]["MaHoSo"].as_str().map(|s| s.trim().to_string()))
            .unwrap_or_default(),
    }
}

/// Imports `lines` of the export of `options.source`; `progress` is told
/// after each batch.
pub async fn import(
    store: &dyn Store,
    lines: impl Iterator<Item = Line>,
    options: &Options,
    mut progress: impl FnMut(&Report),
) -> Result<Report, CutoverError> {
    let (catalog, calendar) = setup()?;
    let cutover = store.cutover();
    let done = cutover.imported(&options.source).await?;
    let open: HashSet<String> = cutover
        .reviews(Some(&options.source), true)
        .await?
        .into_iter()
        .map(|r| r.old_code)
        .collect();
    let mut report = Report {
        source: options.source.clone(),
        dry_run: options.dry_run,
        ..Report::default()
    };
    let mut seen: HashSet<String> = HashSet::new();
    let mut pending = Pending::default();
    let batch = options.batch.max(1);
    // the lines, then an end that stores what is left
    for line in lines.map(Some).chain(std::iter::once(None)) {
        let Some(line) = line else {
            pending.flush(store, options, &open, &mut report).await?;
            progress(&report);
            break;
        };
        report.lines += 1;
        let old = old_code_of(&line);
        if !old.is_empty() && !seen.insert(old.clone()) {
            report.repeated += 1;
            report.not_imported.push(Named {
                line: line.number,
                old_code: old,
                kind: "repeated".into(),
                reason: "the old code came earlier in the export: the first line stands".into(),
                candidates: Vec::new(),
            });
            continue;
        }
        if done.contains_key(&old) {
            report.already_imported += 1;
            continue;
        }
        let outcome = match &line.read {
            Ok(e) => plan(e, &options.source, Decision::default(), catalog, &calendar),
            Err(problems) => Plan::Review(Review::of(ReviewKind::Unreadable, problems)),
        };
        match outcome {
            Plan::Arrive(a) => pending.arrivals.push((line.number, *a, line.raw)),
            Plan::Review(r) => {
                pending.leave_out(&mut report, options, (line.number, &old, line.raw), r)
            }
        }
        if pending.arrivals.len() >= batch || pending.reviews.len() >= batch {
            pending.flush(store, options, &open, &mut report).await?;
            progress(&report);
        }
    }
    Ok(report)
}

/// What a batch holds until it is stored: the dossiers brought in, with
/// their lines, and the reviews.
#[derive(Default)]
struct Pending {
    arrivals: Vec<(usize, Arrival, String)>,
    reviews: Vec<CutoverReview>,
}

impl Pending {
    /// Puts the dossier of line `(number, old code, raw)` on the review
    /// list for `r`, and names it in the report.
    fn leave_out(
        &mut self,
        report: &mut Report,
        options: &Options,
        (number, old, raw): (usize, &str, String),
        r: Review,
    ) {
        *report.review.entry(r.kind.as_str().into()).or_default() += 1;
        report.not_imported.push(Named {
            line: number,
            old_code: old.to_string(),
            kind: r.kind.as_str().into(),
            reason: r.reason.clone(),
            candidates: r.candidates.clone(),
        });
        self.reviews.push(CutoverReview {
            source: options.source.clone(),
            old_code: if old.is_empty() {
                format!("#{number}")
            } else {
                old.to_string()
            },
            kind: r.kind.as_str().into(),
            reason: r.reason,
            candidates: r.candidates,
            line: raw,
            first_at: Utc::now(),
            last_at: Utc::now(),
            settled: None,
        });
    }

    /// Stores the batch's dossiers in one transaction and its reviews in
    /// another (a dry run: neither), and counts them. A dossier the store
    /// refuses (its agency's day has no number left) goes to the review
    /// list.
    async fn flush(
        &mut self,
        store: &dyn Store,
        options: &Options,
        open: &HashSet<String>,
        report: &mut Report,
    ) -> Result<(), CutoverError> {
        let outcomes = if options.dry_run || self.arrivals.is_empty() {
            self.arrivals
                .iter()
                .map(|(_, a, _)| Ok(a.dossier.code.clone()))
                .collect()
        } else {
            let taken: Vec<&Arrival> = self.arrivals.iter().map(|(_, a, _)| a).collect();
            bring_in(store, &taken).await?
        };
        let arrivals = std::mem::take(&mut self.arrivals);
        for ((number, a, raw), outcome) in arrivals.into_iter().zip(outcomes) {
            match outcome {
                Ok(code) => {
                    count(report, &a.dossier, options.now);
                    if !options.dry_run && open.contains(a.old_code()) {
                        // on the review list before, brought in now
                        store
                            .cutover()
                            .settle_review(
                                &options.source,
                                a.old_code(),
                                &code,
                                "import",
                                Utc::now(),
                            )
                            .await?;
                    }
                }
                Err(e) => {
                    let refused = Review {
                        kind: ReviewKind::Refused,
                        reason: e.to_string(),
                        candidates: Vec::new(),
                    };
                    self.leave_out(report, options, (number, a.old_code(), raw), refused);
                }
            }
        }
        if !options.dry_run {
            store.cutover().put_reviews(&self.reviews).await?;
        }
        self.reviews.clear();
        Ok(())
    }
}

fn count(report: &mut Report, d: &Dossier, now: DateTime<FixedOffset>) {
    report.imported += 1;
    *report
        .imported_by_status
        .entry(d.status().code())
        .or_default() += 1;
    if d.status().pauses_clock() {
        report.imported_paused += 1;
    }
    if !d.status().is_final() && d.status() != Status::Processed && d.due.is_some_and(|t| t < now) {
        report.imported_late += 1;
    }
}

/// Stores `arrivals` in one transaction, each under the next number of its
/// agency's day: each one's new code, or why the store refused it.
async fn bring_in(
    store: &dyn Store,
    arrivals: &[&Arrival],
) -> Result<Vec<Result<DossierCode, StoreError>>, CutoverError> {
    let makers: Vec<_> = arrivals
        .iter()
        .map(|a| {
            move |code: DossierCode| -> Result<(Dossier, Option<Notice>), StoreError> {
                Ok((a.under(code), None))
            }
        })
        .collect();
    let batch: Vec<NewDossier<'_>> = arrivals
        .iter()
        .zip(&makers)
        .map(|(a, make)| NewDossier {
            agency: &a.agency,
            day: a.day,
            at: a.dossier.submitted_at.with_timezone(&Utc),
            make,
        })
        .collect();
    let outcomes = store
        .dossiers()
        .create_dossiers(&batch, &mut |_| Vec::new())
        .await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.map(|s| s.dossier.code))
        .collect())
}

/// Brings in `old_code` of `source` from the review list, filed for
/// `place` (a commune or province in force), as decided by `by`: its new
/// code.
pub async fn decide(
    store: &dyn Store,
    source: &str,
    old_code: &str,
    place: &str,
    by: &str,
) -> Result<DossierCode, CutoverError> {
    let (catalog, calendar) = setup()?;
    let cutover = store.cutover();
    let review =
        cutover
            .review(source, old_code)
            .await?
            .ok_or_else(|| CutoverError::NotReviewed {
                portal: source.into(),
                old_code: old_code.into(),
            })?;
    if let Some((_, code, _)) = review.settled {
        return Err(CutoverError::Decided {
            old_code: old_code.into(),
            code,
        });
    }
    let exported = read_line(&review.line).map_err(|problems| {
        CutoverError::StillReviewed(Review::of(ReviewKind::Unreadable, &problems))
    })?;
    let decision = Decision { place: Some(place) };
    let arrival = match plan(&exported, source, decision, catalog, &calendar) {
        Plan::Arrive(a) => *a,
        Plan::Review(r) => return Err(CutoverError::StillReviewed(r)),
    };
    let code = match cutover.imported(source).await?.remove(arrival.old_code()) {
        // brought in meanwhile by an import of a corrected export
        Some(code) => DossierCode::parse(&code).map_err(|e| CutoverError::Setup(e.to_string()))?,
        None => bring_in(store, &[&arrival]).await?.remove(0)?,
    };
    cutover
        .settle_review(source, old_code, &code, by, Utc::now())
        .await?;
    Ok(code)
}

/// Where a code a person typed leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leads {
    /// To the dossier of this portal with that code.
    Here(DossierCode),
    /// To the one dossier brought in under it as its former code.
    To(DossierCode),
    /// To several dossiers of merged provinces that had that code.
    Several,
    /// Nowhere.
    Nowhere,
}

/// Where `code` leads: a dossier of this portal, or one brought in under
/// it from a closed portal.
pub async fn leads(store: &dyn Store, code: &str) -> Result<Leads, StoreError> {
    let mut found = find(store, code).await?;
    Ok(match found.len() {
        0 => Leads::Nowhere,
        1 => {
            let d = found.remove(0).dossier;
            if d.code.to_string() == code.trim().to_uppercase() {
                Leads::Here(d.code)
            } else {
                Leads::To(d.code)
            }
        }
        _ => Leads::Several,
    })
}

/// The dossiers found under `code`: itself when it is a code of this
/// portal, else those brought in under it as an old code (two merged
/// provinces' portals may have used one code: each is found).
pub async fn find(store: &dyn Store, code: &str) -> Result<Vec<store::StoredDossier>, StoreError> {
    let code = code.trim();
    if let Ok(parsed) = DossierCode::parse(&code.to_uppercase())
        && let Some(found) = store.dossiers().dossier(&parsed).await?
    {
        return Ok(vec![found]);
    }
    let found = store.cutover().by_legacy_code(code).await?;
    let upper = code.to_uppercase();
    if found.is_empty() && upper != code {
        // typed in small letters: old codes are written in capitals
        return store.cutover().by_legacy_code(&upper).await;
    }
    Ok(found)
}

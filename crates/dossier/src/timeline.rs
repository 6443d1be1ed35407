//! A dossier's timeline: each status with when it began, and from it the
//! legal due date — working days from receipt, the clock stopped while the
//! dossier waited on the applicant (statuses 5 and 6) — and whether the
//! agency is late (a late result needs an apology and a new appointment,
//! form 04).

use calendar::{CalendarError, Cutoff, Pause, WorkingCalendar, WorkingDays};
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::Status;

/// One step: a status and when it began.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// The status from then on.
    pub status: Status,
}

/// Why a step or a due date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    /// A step earlier than the one before it.
    #[error("a step at {at} comes before the previous one at {previous}")]
    Backwards {
        /// The step's instant.
        at: String,
        /// The previous step's instant.
        previous: String,
    },
    /// The calendar cannot count these days.
    #[error("{0}")]
    Calendar(#[from] CalendarError),
}

/// The steps of a dossier, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    steps: Vec<Step>,
}

impl Timeline {
    /// A timeline that begins with `status` at `at`.
    pub fn begin(at: DateTime<FixedOffset>, status: Status) -> Self {
        Timeline {
            steps: vec![Step { at, status }],
        }
    }

    /// Records that the dossier moved to `status` at `at`.
    pub fn record(
        &mut self,
        at: DateTime<FixedOffset>,
        status: Status,
    ) -> Result<(), TimelineError> {
        if let Some(last) = self.steps.last()
            && at < last.at
        {
            return Err(TimelineError::Backwards {
                at: at.to_rfc3339(),
                previous: last.at.to_rfc3339(),
            });
        }
        self.steps.push(Step { at, status });
        Ok(())
    }

    /// The steps, oldest first.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// When the dossier was received (its first step at status 2, or the
    /// processing it went straight into).
    pub fn received_at(&self) -> Option<DateTime<FixedOffset>> {
        self.steps
            .iter()
            .find(|s| matches!(s.status, Status::Received | Status::Processing))
            .map(|s| s.at)
    }

    /// The intervals after receipt during which the dossier waited on the
    /// applicant; one still going on ends at `now`.
    pub fn pauses(&self, now: DateTime<FixedOffset>) -> Result<Vec<Pause>, TimelineError> {
        let Some(received) = self.received_at() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            if step.at < received || !step.status.pauses_clock() {
                continue;
            }
            let end = self.steps.get(i + 1).map_or(now, |next| next.at);
            if end > step.at {
                out.push(Pause::new(step.at, end)?);
            }
        }
        Ok(out)
    }

    /// The legal due date: `days` working days from receipt (`cutoff`:
    /// receipts after it count from the next working day), the pauses left
    /// out; `None` before receipt.
    pub fn due(
        &self,
        calendar: &WorkingCalendar<'_>,
        days: WorkingDays,
        cutoff: Cutoff,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<DateTime<FixedOffset>>, TimelineError> {
        let Some(received) = self.received_at() else {
            return Ok(None);
        };
        let pauses = self.pauses(now)?;
        Ok(Some(calendar.due(received, days, cutoff, &pauses)?))
    }

    /// Whether the agency is late at `now`: still open after the due date,
    /// or processed (status 9) after it.
    pub fn is_late(
        &self,
        calendar: &WorkingCalendar<'_>,
        days: WorkingDays,
        cutoff: Cutoff,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, TimelineError> {
        let Some(due) = self.due(calendar, days, cutoff, now)? else {
            return Ok(false);
        };
        let processed = self
            .steps
            .iter()
            .find(|s| s.status == Status::Processed)
            .map(|s| s.at);
        let stopped = self
            .steps
            .last()
            .is_some_and(|s| s.status.is_final() && s.status != Status::ResultReturned);
        Ok(match processed {
            Some(at) => at > due,
            None if stopped => false,
            None => now > due,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn calendar() -> WorkingCalendar<'static> {
        WorkingCalendar::official().unwrap()
    }

    fn three() -> WorkingDays {
        WorkingDays::new(3).unwrap()
    }

    /// The due date of `tl` at `now`, for three working days and the
    /// office's close as the cut-off.
    fn due_at(tl: &Timeline, now: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
        tl.due(&calendar(), three(), Cutoff::office_close(), now)
            .unwrap()
    }

    /// Whether `tl` is late at `now`, for three working days and the
    /// office's close as the cut-off.
    fn late_at(tl: &Timeline, now: DateTime<FixedOffset>) -> bool {
        tl.is_late(&calendar(), three(), Cutoff::office_close(), now)
            .unwrap()
    }

    #[test]
    fn the_due_date_counts_working_days_from_receipt() {
        // received Monday 2 March 2026 at 09:00, before the cut-off: the
        // day counts, and the third working day is Wednesday 4 March
        let tl = Timeline::begin(t("2026-03-02T09:00:00+07:00"), Status::Received);
        let due = due_at(&tl, t("2026-03-02T10:00:00+07:00"));
        assert_eq!(due, Some(t("2026-03-04T17:00:00+07:00")));
        // an online dossier not yet received has no due date
        let waiting = Timeline::begin(t("2026-03-02T09:00:00+07:00"), Status::NewlyRegistered);
        assert_eq!(due_at(&waiting, t("2026-03-09T09:00:00+07:00")), None);
    }

    #[test]
    fn waiting_on_the_applicant_moves_the_due_date() {
        let mut tl = Timeline::begin(t("2026-03-02T09:00:00+07:00"), Status::Received);
        tl.record(t("2026-03-02T10:00:00+07:00"), Status::Processing)
            .unwrap();
        // a supplement asked on Tuesday morning, supplied on Friday morning
        tl.record(t("2026-03-03T08:00:00+07:00"), Status::SupplementRequested)
            .unwrap();
        tl.record(t("2026-03-06T08:00:00+07:00"), Status::Processing)
            .unwrap();
        let now = t("2026-03-06T09:00:00+07:00");
        let pauses = tl.pauses(now).unwrap();
        assert_eq!(pauses.len(), 1);
        let paused = calendar()
            .due(
                t("2026-03-02T09:00:00+07:00"),
                three(),
                Cutoff::office_close(),
                &pauses,
            )
            .unwrap();
        assert_eq!(due_at(&tl, now), Some(paused));
        assert!(paused > t("2026-03-04T17:00:00+07:00"), "{paused}");
        // a pause still going on counts up to now
        let mut open = Timeline::begin(t("2026-03-02T09:00:00+07:00"), Status::Received);
        open.record(
            t("2026-03-02T10:00:00+07:00"),
            Status::FinancialObligationRequested,
        )
        .unwrap();
        assert_eq!(open.pauses(now).unwrap().len(), 1);
        assert!(!late_at(&open, now));
    }

    #[test]
    fn late_means_processed_after_the_due_date_or_still_open() {
        let mut tl = Timeline::begin(t("2026-03-02T09:00:00+07:00"), Status::Received);
        tl.record(t("2026-03-02T10:00:00+07:00"), Status::Processing)
            .unwrap();
        assert!(!late_at(&tl, t("2026-03-04T16:59:00+07:00")));
        assert!(late_at(&tl, t("2026-03-04T17:01:00+07:00")));
        let mut done = tl.clone();
        done.record(t("2026-03-04T15:00:00+07:00"), Status::Processed)
            .unwrap();
        done.record(t("2026-03-09T08:00:00+07:00"), Status::ResultReturned)
            .unwrap();
        assert!(!late_at(&done, t("2026-03-20T08:00:00+07:00")));
        let mut withdrawn = tl.clone();
        withdrawn
            .record(t("2026-03-03T08:00:00+07:00"), Status::Withdrawn)
            .unwrap();
        assert!(!late_at(&withdrawn, t("2026-03-20T08:00:00+07:00")));
        let mut late = tl.clone();
        late.record(t("2026-03-05T09:00:00+07:00"), Status::Processed)
            .unwrap();
        assert!(late_at(&late, t("2026-03-20T08:00:00+07:00")));
        // steps never go back in time
        assert!(
            tl.record(t("2026-03-01T08:00:00+07:00"), Status::Processed)
                .is_err()
        );
    }
}

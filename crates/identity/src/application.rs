//! Account applications: their status, the lawful transitions between
//! statuses, the evidence a level-2 approval needs, and the legal issue
//! time.
//!
//! ```text
//!   Submitted ──start verification──► Verifying ──approve──► Approved
//!      │                               │    ▲
//!      │                request supplement  resubmit
//!      │                               ▼    │
//!      │                          SupplementRequested
//!      └── refuse (with reason) / withdraw, from any open status ──► Refused / Withdrawn
//! ```
//!
//! Approved, Refused and Withdrawn are final. Approval happens only from
//! Verifying. A level-2 approval carries [`Level2Evidence`]: the identity
//! data matched against the population registry (citizens) or the
//! immigration record (foreigners), and the verification step — who
//! verified, where, when.
//!
//! Legal issue times, in working days from submission (Decree 69/2024, as
//! summarised in `DOMAIN.md`): level 1 one day, level 2 three, a
//! foreigner whose biometrics are not on record seven, an organisation
//! three, or fifteen when its data is in no national database. The
//! working-day calendar is built elsewhere and handed in as a
//! [`WorkingDays`]; this module counts nothing itself. Time spent waiting
//! for a supplement is not yet deducted from the deadline.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::{AssuranceLevel, SubjectId};

/// The working-day calendar: adds working days to an instant. Any closure
/// `Fn(DateTime<FixedOffset>, u32) -> DateTime<FixedOffset>` is one.
pub trait WorkingDays {
    /// The instant `days` working days after `from`.
    fn add_working_days(&self, from: DateTime<FixedOffset>, days: u32) -> DateTime<FixedOffset>;
}

impl<F> WorkingDays for F
where
    F: Fn(DateTime<FixedOffset>, u32) -> DateTime<FixedOffset>,
{
    fn add_working_days(&self, from: DateTime<FixedOffset>, days: u32) -> DateTime<FixedOffset> {
        self(from, days)
    }
}

/// What is applied for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "holder", rename_all = "snake_case")]
pub enum ApplicationKind {
    /// A citizen's account at a level.
    Citizen {
        /// The level applied for.
        level: AssuranceLevel,
    },
    /// A foreigner's account at a level.
    Foreigner {
        /// The level applied for.
        level: AssuranceLevel,
        /// Whether face and fingerprints are already on record.
        biometrics_on_record: bool,
    },
    /// An organisation's account (no level).
    Organisation {
        /// Whether the organisation's data is in a national database.
        in_national_database: bool,
    },
}

impl ApplicationKind {
    /// The level applied for; `None` for an organisation.
    pub fn level(&self) -> Option<AssuranceLevel> {
        match *self {
            Self::Citizen { level } | Self::Foreigner { level, .. } => Some(level),
            Self::Organisation { .. } => None,
        }
    }

    /// The legal issue time in working days.
    pub fn issue_working_days(&self) -> u32 {
        match *self {
            Self::Foreigner {
                biometrics_on_record: false,
                ..
            } => 7,
            Self::Citizen { level } | Self::Foreigner { level, .. } => match level {
                AssuranceLevel::Level1 => 1,
                AssuranceLevel::Level2 => 3,
            },
            Self::Organisation {
                in_national_database: true,
            } => 3,
            Self::Organisation {
                in_national_database: false,
            } => 15,
        }
    }

    /// The record a level-2 applicant's data is matched against.
    pub fn reference_record(&self) -> Option<RecordSource> {
        match self {
            Self::Citizen { .. } => Some(RecordSource::PopulationRegistry),
            Self::Foreigner { .. } => Some(RecordSource::ImmigrationRecord),
            Self::Organisation { .. } => None,
        }
    }
}

/// A national record identity data is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordSource {
    /// The National Population Database.
    PopulationRegistry,
    /// The immigration record (foreigners).
    ImmigrationRecord,
}

/// A non-empty, trimmed piece of text (a reason, a place, a reference).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);

impl Text {
    /// Trims the text; refuses it when nothing is left.
    pub fn new(s: &str) -> Result<Self, TransitionError> {
        let t = s.trim();
        if t.is_empty() {
            Err(TransitionError::EmptyText)
        } else {
            Ok(Self(t.to_string()))
        }
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Text {
    type Error = TransitionError;
    fn try_from(s: String) -> Result<Self, TransitionError> {
        Self::new(&s)
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

/// The applicant's data matched against a national record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMatch {
    /// Which record.
    pub source: RecordSource,
    /// The record's reference for the match (a request id, a log entry).
    pub reference: Text,
    /// When the match was made.
    pub at: DateTime<FixedOffset>,
}

/// The verification step: who verified the applicant, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The verifying officer's account.
    pub verifier: SubjectId,
    /// Where (the office or counter).
    pub place: Text,
    /// When.
    pub at: DateTime<FixedOffset>,
}

/// What a level-2 approval rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level2Evidence {
    /// The data match.
    pub matched: RecordMatch,
    /// The verification step.
    pub verified: Verification,
}

/// Where an application stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// Received, not yet looked at.
    Submitted,
    /// Being checked.
    Verifying,
    /// Waiting for the applicant to supply something.
    SupplementRequested {
        /// What is asked for.
        what: Text,
    },
    /// Issued (final).
    Approved,
    /// Refused (final).
    Refused {
        /// Why, in words the applicant can act on.
        reason: Text,
    },
    /// Withdrawn by the applicant (final).
    Withdrawn,
}

impl ApplicationStatus {
    /// The status's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Verifying => "verifying",
            Self::SupplementRequested { .. } => "supplement requested",
            Self::Approved => "approved",
            Self::Refused { .. } => "refused",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Whether no further transition is possible.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Approved | Self::Refused { .. } | Self::Withdrawn
        )
    }
}

/// What happens to an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ApplicationEvent {
    /// An officer or the automatic check starts verifying.
    StartVerification,
    /// The applicant is asked for something.
    RequestSupplement {
        /// What.
        what: Text,
    },
    /// The applicant supplied it.
    Resubmit,
    /// The account is issued; level 2 needs the evidence.
    Approve {
        /// The match and verification (required for level 2).
        evidence: Option<Level2Evidence>,
    },
    /// The application is refused.
    Refuse {
        /// Why.
        reason: Text,
    },
    /// The applicant withdraws.
    Withdraw,
}

impl ApplicationEvent {
    /// The event's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::StartVerification => "start verification",
            Self::RequestSupplement { .. } => "request a supplement",
            Self::Resubmit => "resubmit",
            Self::Approve { .. } => "approve",
            Self::Refuse { .. } => "refuse",
            Self::Withdraw => "withdraw",
        }
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The event does not apply to the current status.
    #[error("an application that is {from} cannot {event}")]
    Unlawful {
        /// The current status's name.
        from: &'static str,
        /// The event's name.
        event: &'static str,
    },
    /// The instant given is before the application's last change.
    #[error(
        "the change is dated {at}, before the application's last change at {last}: use the current time"
    )]
    Backwards {
        /// The instant given.
        at: DateTime<FixedOffset>,
        /// The last change.
        last: DateTime<FixedOffset>,
    },
    /// A level-2 approval without evidence.
    #[error(
        "a level-2 approval needs the data match against the {expected:?} and the verification step (who, where, when)"
    )]
    MissingEvidence {
        /// The record the data must be matched against.
        expected: RecordSource,
    },
    /// The data was matched against the wrong record.
    #[error("the data must be matched against the {expected:?}, not the {got:?}")]
    WrongRecord {
        /// The record required.
        expected: RecordSource,
        /// The record used.
        got: RecordSource,
    },
    /// The match or the verification is dated outside the application.
    #[error(
        "the {what} is dated {at}, outside the application (submitted {submitted}, approved {approved})"
    )]
    EvidenceOutOfPeriod {
        /// "data match" or "verification".
        what: &'static str,
        /// Its date.
        at: DateTime<FixedOffset>,
        /// The submission.
        submitted: DateTime<FixedOffset>,
        /// The approval.
        approved: DateTime<FixedOffset>,
    },
    /// Evidence handed to an organisation's application.
    #[error("an organisation's account has no level: approve it without level-2 evidence")]
    EvidenceForOrganisation,
    /// A stored history that is not a lawful sequence of transitions.
    #[error("the stored application's history is not a lawful sequence of transitions")]
    CorruptHistory,
    /// A reason, place or reference left empty.
    #[error("write the reason, place or reference: it cannot be empty")]
    EmptyText,
}

/// An application for an account. Stored with its history, which is
/// replayed when read back: a stored application whose history is not a
/// lawful sequence is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ApplicationRecord", into = "ApplicationRecord")]
pub struct Application {
    kind: ApplicationKind,
    submitted_at: DateTime<FixedOffset>,
    status: ApplicationStatus,
    evidence: Option<Level2Evidence>,
    history: Vec<(DateTime<FixedOffset>, ApplicationStatus)>,
}

#[derive(Clone, Serialize, Deserialize)]
struct ApplicationRecord {
    kind: ApplicationKind,
    evidence: Option<Level2Evidence>,
    history: Vec<(DateTime<FixedOffset>, ApplicationStatus)>,
}

impl From<Application> for ApplicationRecord {
    fn from(a: Application) -> Self {
        Self {
            kind: a.kind,
            evidence: a.evidence,
            history: a.history,
        }
    }
}

/// The event that leads from one status to the next in a stored history.
fn event_between(
    from: &ApplicationStatus,
    to: &ApplicationStatus,
    evidence: &Option<Level2Evidence>,
) -> Option<ApplicationEvent> {
    use ApplicationEvent as E;
    use ApplicationStatus as S;
    Some(match (from, to) {
        (S::Submitted, S::Verifying) => E::StartVerification,
        (S::SupplementRequested { .. }, S::Verifying) => E::Resubmit,
        (_, S::SupplementRequested { what }) => E::RequestSupplement { what: what.clone() },
        (_, S::Approved) => E::Approve {
            evidence: evidence.clone(),
        },
        (_, S::Refused { reason }) => E::Refuse {
            reason: reason.clone(),
        },
        (_, S::Withdrawn) => E::Withdraw,
        _ => return None,
    })
}

impl TryFrom<ApplicationRecord> for Application {
    type Error = TransitionError;
    fn try_from(r: ApplicationRecord) -> Result<Self, TransitionError> {
        let mut steps = r.history.into_iter();
        let Some((submitted_at, ApplicationStatus::Submitted)) = steps.next() else {
            return Err(TransitionError::CorruptHistory);
        };
        let mut app = Application::submit(r.kind, submitted_at);
        for (at, status) in steps {
            let event = event_between(&app.status, &status, &r.evidence)
                .ok_or(TransitionError::CorruptHistory)?;
            app.apply(event, at)?;
            if app.status != status {
                return Err(TransitionError::CorruptHistory);
            }
        }
        if app.evidence != r.evidence {
            return Err(TransitionError::CorruptHistory);
        }
        Ok(app)
    }
}

impl Application {
    /// An application submitted at `at`.
    pub fn submit(kind: ApplicationKind, at: DateTime<FixedOffset>) -> Self {
        Self {
            kind,
            submitted_at: at,
            status: ApplicationStatus::Submitted,
            evidence: None,
            history: vec![(at, ApplicationStatus::Submitted)],
        }
    }

    /// What is applied for.
    pub fn kind(&self) -> ApplicationKind {
        self.kind
    }
    /// When it was submitted.
    pub fn submitted_at(&self) -> DateTime<FixedOffset> {
        self.submitted_at
    }
    /// Where it stands.
    pub fn status(&self) -> &ApplicationStatus {
        &self.status
    }
    /// The evidence an approval rested on.
    pub fn evidence(&self) -> Option<&Level2Evidence> {
        self.evidence.as_ref()
    }
    /// Every status it has had, with when.
    pub fn history(&self) -> &[(DateTime<FixedOffset>, ApplicationStatus)] {
        &self.history
    }

    /// The legal deadline for issuing the account.
    pub fn due(&self, calendar: &impl WorkingDays) -> DateTime<FixedOffset> {
        calendar.add_working_days(self.submitted_at, self.kind.issue_working_days())
    }

    /// Whether the application is still open after its deadline at `now`,
    /// or was decided after it.
    pub fn is_late(&self, calendar: &impl WorkingDays, now: DateTime<FixedOffset>) -> bool {
        let due = self.due(calendar);
        match (&self.status, self.history.last()) {
            (s, Some((decided, _))) if s.is_final() => *decided > due,
            _ => now > due,
        }
    }

    fn check_evidence(
        &self,
        evidence: Option<&Level2Evidence>,
        at: DateTime<FixedOffset>,
    ) -> Result<(), TransitionError> {
        let expected = match (self.kind.reference_record(), evidence) {
            (None, Some(_)) => return Err(TransitionError::EvidenceForOrganisation),
            (None, None) => return Ok(()),
            (Some(expected), None) if self.kind.level() == Some(AssuranceLevel::Level2) => {
                return Err(TransitionError::MissingEvidence { expected });
            }
            (Some(_), None) => return Ok(()),
            (Some(expected), Some(_)) => expected,
        };
        let Some(e) = evidence else { return Ok(()) };
        if e.matched.source != expected {
            return Err(TransitionError::WrongRecord {
                expected,
                got: e.matched.source,
            });
        }
        for (what, when) in [
            ("data match", e.matched.at),
            ("verification", e.verified.at),
        ] {
            if when < self.submitted_at || when > at {
                return Err(TransitionError::EvidenceOutOfPeriod {
                    what,
                    at: when,
                    submitted: self.submitted_at,
                    approved: at,
                });
            }
        }
        Ok(())
    }

    /// Applies `event` at `at`, or says why it is not lawful (and leaves
    /// the application unchanged).
    pub fn apply(
        &mut self,
        event: ApplicationEvent,
        at: DateTime<FixedOffset>,
    ) -> Result<(), TransitionError> {
        use ApplicationEvent as E;
        use ApplicationStatus as S;
        if let Some((last, _)) = self.history.last()
            && at < *last
        {
            return Err(TransitionError::Backwards { at, last: *last });
        }
        let unlawful = TransitionError::Unlawful {
            from: self.status.name(),
            event: event.name(),
        };
        let next = match (&self.status, event) {
            (s, _) if s.is_final() => return Err(unlawful),
            (S::Submitted, E::StartVerification) => S::Verifying,
            (S::Verifying, E::RequestSupplement { what }) => S::SupplementRequested { what },
            (S::SupplementRequested { .. }, E::Resubmit) => S::Verifying,
            (S::Verifying, E::Approve { evidence }) => {
                self.check_evidence(evidence.as_ref(), at)?;
                self.evidence = evidence;
                S::Approved
            }
            (_, E::Refuse { reason }) => S::Refused { reason },
            (_, E::Withdraw) => S::Withdrawn,
            _ => return Err(unlawful),
        };
        self.history.push((at, next.clone()));
        self.status = next;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use uuid::Uuid;

    fn t(hours: i64) -> DateTime<FixedOffset> {
        let tz = domain::VIETNAM;
        tz.with_ymd_and_hms(2025, 7, 1, 8, 0, 0)
            .single()
            .expect("time")
            + Duration::hours(hours)
    }

    fn text(s: &str) -> Text {
        Text::new(s).expect("text")
    }

    fn evidence(source: RecordSource, at: i64) -> Level2Evidence {
        Level2Evidence {
            matched: RecordMatch {
                source,
                reference: text("req-1"),
                at: t(at),
            },
            verified: Verification {
                verifier: SubjectId::new(Uuid::from_u128(77)).expect("id"),
                place: text("Công an phường Ba Đình"),
                at: t(at),
            },
        }
    }

    const CITIZEN_L1: ApplicationKind = ApplicationKind::Citizen {
        level: AssuranceLevel::Level1,
    };
    const CITIZEN_L2: ApplicationKind = ApplicationKind::Citizen {
        level: AssuranceLevel::Level2,
    };

    fn events() -> Vec<ApplicationEvent> {
        vec![
            ApplicationEvent::StartVerification,
            ApplicationEvent::RequestSupplement {
                what: text("ảnh")
            },
            ApplicationEvent::Resubmit,
            ApplicationEvent::Approve { evidence: None },
            ApplicationEvent::Refuse {
                reason: text("không khớp"),
            },
            ApplicationEvent::Withdraw,
        ]
    }

    /// Every status an application can reach.
    const STATUSES: [&str; 6] = [
        "submitted",
        "verifying",
        "supplement requested",
        "approved",
        "refused",
        "withdrawn",
    ];

    /// An application of level 1 brought to each status.
    fn in_status(name: &str) -> Application {
        let mut a = Application::submit(CITIZEN_L1, t(0));
        let path: Vec<ApplicationEvent> = match name {
            "submitted" => vec![],
            "verifying" => vec![ApplicationEvent::StartVerification],
            "supplement requested" => vec![
                ApplicationEvent::StartVerification,
                ApplicationEvent::RequestSupplement {
                    what: text("ảnh")
                },
            ],
            "approved" => vec![
                ApplicationEvent::StartVerification,
                ApplicationEvent::Approve { evidence: None },
            ],
            "refused" => vec![ApplicationEvent::Refuse { reason: text("r") }],
            "withdrawn" => vec![ApplicationEvent::Withdraw],
            other => panic!("{other}"),
        };
        for e in path {
            a.apply(e, t(1)).expect("path");
        }
        assert_eq!(a.status().name(), name);
        a
    }

    #[test]
    fn every_status_and_event_pair() {
        // (status, event) -> the status reached, or None when unlawful
        let lawful = |from: &str, event: &str| -> Option<&'static str> {
            match (from, event) {
                ("submitted", "start verification") => Some("verifying"),
                ("verifying", "request a supplement") => Some("supplement requested"),
                ("supplement requested", "resubmit") => Some("verifying"),
                ("verifying", "approve") => Some("approved"),
                ("submitted" | "verifying" | "supplement requested", "refuse") => Some("refused"),
                ("submitted" | "verifying" | "supplement requested", "withdraw") => {
                    Some("withdrawn")
                }
                _ => None,
            }
        };
        let mut lawful_count = 0;
        for from in STATUSES {
            for event in events() {
                let mut a = in_status(from);
                let before = a.clone();
                let name = event.name();
                match (lawful(from, name), a.apply(event, t(2))) {
                    (Some(to), Ok(())) => {
                        lawful_count += 1;
                        assert_eq!(a.status().name(), to, "{from} + {name}");
                        assert_eq!(a.history().len(), before.history().len() + 1);
                    }
                    (None, Err(e)) => {
                        assert_eq!(
                            e,
                            TransitionError::Unlawful {
                                from: before.status().name(),
                                event: name
                            }
                        );
                        assert_eq!(a, before, "unchanged after {from} + {name}");
                        assert!(e.to_string().contains("cannot"));
                    }
                    (want, got) => panic!("{from} + {name}: expected {want:?}, got {got:?}"),
                }
            }
        }
        assert_eq!(lawful_count, 10);
    }

    #[test]
    fn refusal_keeps_its_reason_and_empty_texts_are_refused() {
        let mut a = Application::submit(CITIZEN_L1, t(0));
        a.apply(
            ApplicationEvent::Refuse {
                reason: text("  ảnh mờ "),
            },
            t(1),
        )
        .expect("refuse");
        assert_eq!(
            a.status(),
            &ApplicationStatus::Refused {
                reason: text("ảnh mờ")
            }
        );
        assert_eq!(Text::new("  "), Err(TransitionError::EmptyText));
        assert!(serde_json::from_str::<Text>("\"\"").is_err());
    }

    #[test]
    fn level_2_needs_evidence_from_the_right_record_within_the_period() {
        let verifying = |kind| {
            let mut a = Application::submit(kind, t(0));
            a.apply(ApplicationEvent::StartVerification, t(1))
                .expect("start");
            a
        };
        let approve = |kind, evidence: Option<Level2Evidence>, at| {
            let mut a = verifying(kind);
            a.apply(ApplicationEvent::Approve { evidence }, t(at))
                .map(|()| a)
        };
        assert_eq!(
            approve(CITIZEN_L2, None, 5),
            Err(TransitionError::MissingEvidence {
                expected: RecordSource::PopulationRegistry
            })
        );
        let ok = approve(
            CITIZEN_L2,
            Some(evidence(RecordSource::PopulationRegistry, 3)),
            5,
        )
        .expect("approved");
        assert_eq!(ok.status(), &ApplicationStatus::Approved);
        assert!(ok.evidence().is_some());
        assert_eq!(
            approve(
                CITIZEN_L2,
                Some(evidence(RecordSource::ImmigrationRecord, 3)),
                5
            ),
            Err(TransitionError::WrongRecord {
                expected: RecordSource::PopulationRegistry,
                got: RecordSource::ImmigrationRecord
            })
        );
        // evidence before submission or after the approval
        for at in [-1, 6] {
            assert!(matches!(
                approve(
                    CITIZEN_L2,
                    Some(evidence(RecordSource::PopulationRegistry, at)),
                    5
                ),
                Err(TransitionError::EvidenceOutOfPeriod { .. })
            ));
        }
        // boundaries: at submission and at approval are inside
        for at in [0, 5] {
            assert!(
                approve(
                    CITIZEN_L2,
                    Some(evidence(RecordSource::PopulationRegistry, at)),
                    5
                )
                .is_ok()
            );
        }
        let foreign_l2 = ApplicationKind::Foreigner {
            level: AssuranceLevel::Level2,
            biometrics_on_record: true,
        };
        assert!(
            approve(
                foreign_l2,
                Some(evidence(RecordSource::ImmigrationRecord, 2)),
                5
            )
            .is_ok()
        );
        assert!(approve(foreign_l2, None, 5).is_err());
        // level 1 may go without; organisations take none
        assert!(approve(CITIZEN_L1, None, 5).is_ok());
        let org = ApplicationKind::Organisation {
            in_national_database: true,
        };
        assert!(approve(org, None, 5).is_ok());
        assert_eq!(
            approve(org, Some(evidence(RecordSource::PopulationRegistry, 2)), 5),
            Err(TransitionError::EvidenceForOrganisation)
        );
    }

    #[test]
    fn time_only_moves_forward() {
        let mut a = Application::submit(CITIZEN_L1, t(10));
        assert!(matches!(
            a.apply(ApplicationEvent::StartVerification, t(9)),
            Err(TransitionError::Backwards { .. })
        ));
        a.apply(ApplicationEvent::StartVerification, t(10))
            .expect("same instant");
    }

    #[test]
    fn issue_times_in_working_days() {
        use AssuranceLevel::*;
        let table = [
            (ApplicationKind::Citizen { level: Level1 }, 1),
            (ApplicationKind::Citizen { level: Level2 }, 3),
            (
                ApplicationKind::Foreigner {
                    level: Level1,
                    biometrics_on_record: true,
                },
                1,
            ),
            (
                ApplicationKind::Foreigner {
                    level: Level2,
                    biometrics_on_record: true,
                },
                3,
            ),
            (
                ApplicationKind::Foreigner {
                    level: Level1,
                    biometrics_on_record: false,
                },
                7,
            ),
            (
                ApplicationKind::Foreigner {
                    level: Level2,
                    biometrics_on_record: false,
                },
                7,
            ),
            (
                ApplicationKind::Organisation {
                    in_national_database: true,
                },
                3,
            ),
            (
                ApplicationKind::Organisation {
                    in_national_database: false,
                },
                15,
            ),
        ];
        for (kind, days) in table {
            assert_eq!(kind.issue_working_days(), days, "{kind:?}");
        }
        assert_eq!(
            ApplicationKind::Organisation {
                in_national_database: true
            }
            .level(),
            None
        );
    }

    #[test]
    fn the_deadline_comes_from_the_calendar_handed_in() {
        // a toy calendar: every day is a working day
        let every_day =
            |from: DateTime<FixedOffset>, days: u32| from + Duration::days(i64::from(days));
        let mut a = Application::submit(CITIZEN_L2, t(0));
        assert_eq!(a.due(&every_day), t(72));
        assert!(!a.is_late(&every_day, t(72)));
        assert!(a.is_late(&every_day, t(73)));
        a.apply(ApplicationEvent::Withdraw, t(10))
            .expect("withdraw");
        assert!(!a.is_late(&every_day, t(1000)), "decided in time");
        let mut b = Application::submit(CITIZEN_L1, t(0));
        b.apply(ApplicationEvent::StartVerification, t(1))
            .expect("start");
        b.apply(ApplicationEvent::Approve { evidence: None }, t(30))
            .expect("late");
        assert!(b.is_late(&every_day, t(30)));
        // a calendar that records what it was asked
        let asked = std::cell::Cell::new(0);
        let recording = |from: DateTime<FixedOffset>, days: u32| {
            asked.set(days);
            from
        };
        let org = Application::submit(
            ApplicationKind::Organisation {
                in_national_database: false,
            },
            t(0),
        );
        org.due(&recording);
        assert_eq!(asked.get(), 15);
    }

    #[test]
    fn applications_round_trip_through_serde() {
        let mut a = Application::submit(CITIZEN_L2, t(0));
        a.apply(ApplicationEvent::StartVerification, t(1))
            .expect("start");
        a.apply(
            ApplicationEvent::Approve {
                evidence: Some(evidence(RecordSource::PopulationRegistry, 1)),
            },
            t(2),
        )
        .expect("approve");
        let json = serde_json::to_string(&a).expect("ser");
        assert!(json.contains("\"status\":\"approved\""), "{json}");
        assert_eq!(serde_json::from_str::<Application>(&json).expect("de"), a);
        // a history that skips verification is refused
        let skipped = json.replacen(
            "{\"status\":\"verifying\"}",
            "{\"status\":\"withdrawn\"}",
            1,
        );
        assert_ne!(skipped, json);
        assert!(serde_json::from_str::<Application>(&skipped).is_err());
        // evidence removed from a level-2 approval is refused
        let mut value: serde_json::Value = serde_json::from_str(&json).expect("value");
        value["evidence"] = serde_json::Value::Null;
        assert!(serde_json::from_value::<Application>(value).is_err());
        // evidence added to an application never approved is refused
        let mut open = Application::submit(CITIZEN_L2, t(0));
        open.apply(ApplicationEvent::StartVerification, t(1))
            .expect("start");
        let mut value = serde_json::to_value(&open).expect("value");
        value["evidence"] =
            serde_json::to_value(evidence(RecordSource::PopulationRegistry, 1)).expect("evidence");
        assert!(serde_json::from_value::<Application>(value).is_err());
        // every reachable status round-trips
        for name in STATUSES {
            let a = in_status(name);
            let back: Application =
                serde_json::from_str(&serde_json::to_string(&a).expect("ser")).expect(name);
            assert_eq!(back, a, "{name}");
        }
        assert!(serde_json::from_str::<Application>(
            "{\"kind\":{\"holder\":\"citizen\",\"level\":\"1\"},\"evidence\":null,\"history\":[]}"
        )
        .is_err());
    }
}

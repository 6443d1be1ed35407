//! The status lifecycle exchanged with the national portal, and the only
//! transitions the one-stop rules allow.
//!
//! ```text
//!  online / postal ─► 1 newly registered ──receive──► 2 received ──start──► 4 processing ──complete──► 9 processed ──return──► 10 result returned
//!  in person ─────────────────────────────────────────► 2 received             │   ▲    │   ▲
//!                      │ refuse at intake                        request supplement  │  request fees  │
//!                      ▼                                                     ▼   │    ▼   │
//!              3 not received                                   5 supplement requested  6 financial obligation
//!
//!  withdraw (by the applicant): from 1, 2, 4, 5, 6 ──► 7 withdrawn
//!  stop (by the agency):        from 2, 4, 5, 6    ──► 8 processing stopped
//! ```
//!
//! A supplement is asked for once (the written guidance of Circular
//! 01/2018 is given once): before receipt (an incomplete online dossier,
//! 1 → 5 → 1) or during processing (4 → 5 → 4). Waiting for the applicant
//! (5, 6) stops the clock; 3, 7, 8 and 10 are final.

use serde::{Deserialize, Serialize};

/// How a dossier reached the agency (the national portal's codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 1: at a counter of a service centre.
    InPerson,
    /// 2: on the portal.
    Online,
    /// 3: through the public postal service.
    Postal,
}

impl Channel {
    /// The national portal's code.
    pub fn code(self) -> u8 {
        match self {
            Channel::InPerson => 1,
            Channel::Online => 2,
            Channel::Postal => 3,
        }
    }
}

/// A dossier's status (the national portal's codes 1–10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 1: submitted, not yet received by an officer.
    NewlyRegistered,
    /// 2: received, with a receipt and appointment slip (form 01).
    Received,
    /// 3: not received at intake (final).
    NotReceived,
    /// 4: being processed.
    Processing,
    /// 5: waiting for the applicant to supplement (form 02; the clock
    /// stops).
    SupplementRequested,
    /// 6: waiting for fees or other financial obligations (the clock
    /// stops).
    FinancialObligationRequested,
    /// 7: withdrawn by the applicant (final).
    Withdrawn,
    /// 8: processing stopped (final).
    ProcessingStopped,
    /// 9: processed, the result ready.
    Processed,
    /// 10: the result returned to the applicant (final).
    ResultReturned,
}

impl Status {
    /// Every status, in code order.
    pub const ALL: [Status; 10] = [
        Status::NewlyRegistered,
        Status::Received,
        Status::NotReceived,
        Status::Processing,
        Status::SupplementRequested,
        Status::FinancialObligationRequested,
        Status::Withdrawn,
        Status::ProcessingStopped,
        Status::Processed,
        Status::ResultReturned,
    ];

    /// The national portal's code, 1–10.
    pub fn code(self) -> u8 {
        match self {
            Status::NewlyRegistered => 1,
            Status::Received => 2,
            Status::NotReceived => 3,
            Status::Processing => 4,
            Status::SupplementRequested => 5,
            Status::FinancialObligationRequested => 6,
            Status::Withdrawn => 7,
            Status::ProcessingStopped => 8,
            Status::Processed => 9,
            Status::ResultReturned => 10,
        }
    }

    /// The status of a code.
    pub fn from_code(code: u8) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether nothing can follow.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::NotReceived
                | Status::Withdrawn
                | Status::ProcessingStopped
                | Status::ResultReturned
        )
    }

    /// Whether the clock stops (the dossier waits on the applicant).
    pub fn pauses_clock(self) -> bool {
        matches!(
            self,
            Status::SupplementRequested | Status::FinancialObligationRequested
        )
    }

    /// The name, in Vietnamese.
    pub fn name_vi(self) -> &'static str {
        match self {
            Status::NewlyRegistered => "Mới đăng ký",
            Status::Received => "Đã tiếp nhận",
            Status::NotReceived => "Không được tiếp nhận",
            Status::Processing => "Đang xử lý",
            Status::SupplementRequested => "Yêu cầu bổ sung",
            Status::FinancialObligationRequested => "Yêu cầu thực hiện nghĩa vụ tài chính",
            Status::Withdrawn => "Công dân yêu cầu rút hồ sơ",
            Status::ProcessingStopped => "Dừng xử lý",
            Status::Processed => "Đã xử lý xong",
            Status::ResultReturned => "Đã trả kết quả",
        }
    }

    /// The name, in English.
    pub fn name_en(self) -> &'static str {
        match self {
            Status::NewlyRegistered => "Newly registered",
            Status::Received => "Received",
            Status::NotReceived => "Not received",
            Status::Processing => "Processing",
            Status::SupplementRequested => "Supplement requested",
            Status::FinancialObligationRequested => "Financial obligation requested",
            Status::Withdrawn => "Withdrawn by the applicant",
            Status::ProcessingStopped => "Processing stopped",
            Status::Processed => "Processed",
            Status::ResultReturned => "Result returned",
        }
    }
}

/// What the result of processing is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The paper or decision asked for.
    Issued,
    /// A refusal with its reasons (form 03).
    Refused,
}

/// What happens to a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An officer receives a dossier submitted online or by post.
    Receive,
    /// An officer refuses it at intake.
    RefuseIntake,
    /// Processing starts.
    StartProcessing,
    /// The applicant is asked to supplement (once).
    RequestSupplement,
    /// The applicant supplemented.
    Supplement,
    /// The applicant is asked to pay fees or other obligations.
    RequestFees,
    /// The applicant paid.
    PayFees,
    /// The applicant withdraws.
    Withdraw,
    /// The agency stops processing.
    Stop,
    /// Processing is done, with an outcome.
    Complete(Outcome),
    /// The result reaches the applicant.
    ReturnResult,
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The action does not apply to the status.
    #[error("a dossier that is {} cannot {action:?}", from.name_en())]
    Unlawful {
        /// The status.
        from: Status,
        /// The action.
        action: Action,
    },
    /// A supplement was asked for already.
    #[error("a supplement was asked for once already: the rules allow one request")]
    SecondSupplement,
}

impl Action {
    /// What the action is, in Vietnamese (`tiếp nhận`).
    pub fn name_vi(self) -> &'static str {
        match self {
            Action::Receive => "tiếp nhận",
            Action::RefuseIntake => "từ chối tiếp nhận",
            Action::StartProcessing => "bắt đầu xử lý",
            Action::RequestSupplement => "yêu cầu bổ sung",
            Action::Supplement => "bổ sung",
            Action::RequestFees => "yêu cầu nộp phí",
            Action::PayFees => "nộp phí",
            Action::Withdraw => "rút hồ sơ",
            Action::Stop => "dừng xử lý",
            Action::Complete(_) => "hoàn thành xử lý",
            Action::ReturnResult => "trả kết quả",
        }
    }
}

impl TransitionError {
    /// The reason in Vietnamese.
    pub fn reason_vi(&self) -> String {
        match self {
            TransitionError::Unlawful { from, action } => format!(
                "Hồ sơ đang ở trạng thái «{}» nên không thể {}",
                from.name_vi(),
                action.name_vi()
            ),
            TransitionError::SecondSupplement => {
                "Hồ sơ đã được yêu cầu bổ sung một lần: quy định chỉ cho phép một lần".into()
            }
        }
    }
}

/// A dossier's place in the lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    status: Status,
    supplement_requested: bool,
    /// Where a supplement or a payment takes the dossier back to.
    resume_to: Option<Status>,
    outcome: Option<Outcome>,
}

impl Lifecycle {
    /// A new dossier from `channel`: received at once at a counter, newly
    /// registered otherwise (an officer receives it).
    pub fn start(channel: Channel) -> Self {
        Lifecycle {
            status: match channel {
                Channel::InPerson => Status::Received,
                Channel::Online | Channel::Postal => Status::NewlyRegistered,
            },
            supplement_requested: false,
            resume_to: None,
            outcome: None,
        }
    }

    /// The status now.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The outcome, once processed.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Whether a supplement was asked for.
    pub fn supplement_requested(&self) -> bool {
        self.supplement_requested
    }

    /// The status `action` leads to, if lawful (nothing changes).
    pub fn check(&self, action: Action) -> Result<Status, TransitionError> {
        use Action as A;
        use Status as S;
        let unlawful = || TransitionError::Unlawful {
            from: self.status,
            action,
        };
        let to = match (self.status, action) {
            (S::NewlyRegistered, A::Receive) => S::Received,
            (S::NewlyRegistered, A::RefuseIntake) => S::NotReceived,
            (S::Received, A::StartProcessing) => S::Processing,
            (S::NewlyRegistered | S::Processing, A::RequestSupplement) => {
                if self.supplement_requested {
                    return Err(TransitionError::SecondSupplement);
                }
                S::SupplementRequested
            }
            (S::SupplementRequested, A::Supplement) => self.resume_to.ok_or_else(unlawful)?,
            (S::Processing, A::RequestFees) => S::FinancialObligationRequested,
            (S::FinancialObligationRequested, A::PayFees) => S::Processing,
            (
                S::NewlyRegistered
                | S::Received
                | S::Processing
                | S::SupplementRequested
                | S::FinancialObligationRequested,
                A::Withdraw,
            ) => S::Withdrawn,
            (
                S::Received
                | S::Processing
                | S::SupplementRequested
                | S::FinancialObligationRequested,
                A::Stop,
            ) => S::ProcessingStopped,
            (S::Processing, A::Complete(_)) => S::Processed,
            (S::Processed, A::ReturnResult) => S::ResultReturned,
            _ => return Err(unlawful()),
        };
        Ok(to)
    }

    /// Applies `action`; the new status.
    pub fn apply(&mut self, action: Action) -> Result<Status, TransitionError> {
        let to = self.check(action)?;
        match action {
            Action::RequestSupplement => {
                self.supplement_requested = true;
                self.resume_to = Some(self.status);
            }
            Action::Supplement => self.resume_to = None,
            Action::Complete(outcome) => self.outcome = Some(outcome),
            _ => {}
        }
        self.status = to;
        Ok(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: [Action; 12] = [
        Action::Receive,
        Action::RefuseIntake,
        Action::StartProcessing,
        Action::RequestSupplement,
        Action::Supplement,
        Action::RequestFees,
        Action::PayFees,
        Action::Withdraw,
        Action::Stop,
        Action::Complete(Outcome::Issued),
        Action::Complete(Outcome::Refused),
        Action::ReturnResult,
    ];

    /// The rules, written out as a table independently of `check`: for
    /// each status, the lawful actions and where they lead (a supplement
    /// not yet asked for; supplement returns to processing).
    fn table(from: Status) -> Vec<(Action, Status)> {
        use Action as A;
        use Status as S;
        match from {
            S::NewlyRegistered => vec![
                (A::Receive, S::Received),
                (A::RefuseIntake, S::NotReceived),
                (A::RequestSupplement, S::SupplementRequested),
                (A::Withdraw, S::Withdrawn),
            ],
            S::Received => vec![
                (A::StartProcessing, S::Processing),
                (A::Withdraw, S::Withdrawn),
                (A::Stop, S::ProcessingStopped),
            ],
            S::Processing => vec![
                (A::RequestSupplement, S::SupplementRequested),
                (A::RequestFees, S::FinancialObligationRequested),
                (A::Withdraw, S::Withdrawn),
                (A::Stop, S::ProcessingStopped),
                (A::Complete(Outcome::Issued), S::Processed),
                (A::Complete(Outcome::Refused), S::Processed),
            ],
            S::SupplementRequested => vec![
                (A::Supplement, S::Processing),
                (A::Withdraw, S::Withdrawn),
                (A::Stop, S::ProcessingStopped),
            ],
            S::FinancialObligationRequested => vec![
                (A::PayFees, S::Processing),
                (A::Withdraw, S::Withdrawn),
                (A::Stop, S::ProcessingStopped),
            ],
            S::Processed => vec![(A::ReturnResult, S::ResultReturned)],
            S::NotReceived | S::Withdrawn | S::ProcessingStopped | S::ResultReturned => vec![],
        }
    }

    /// A lifecycle standing at `status`, reached lawfully (a supplement
    /// asked during processing when at 5).
    fn at(status: Status) -> Lifecycle {
        use Action as A;
        use Status as S;
        let path: &[Action] = match status {
            S::NewlyRegistered => &[],
            S::Received => &[A::Receive],
            S::NotReceived => &[A::RefuseIntake],
            S::Processing => &[A::Receive, A::StartProcessing],
            S::SupplementRequested => &[A::Receive, A::StartProcessing, A::RequestSupplement],
            S::FinancialObligationRequested => &[A::Receive, A::StartProcessing, A::RequestFees],
            S::Withdrawn => &[A::Withdraw],
            S::ProcessingStopped => &[A::Receive, A::Stop],
            S::Processed => &[A::Receive, A::StartProcessing, A::Complete(Outcome::Issued)],
            S::ResultReturned => &[
                A::Receive,
                A::StartProcessing,
                A::Complete(Outcome::Issued),
                A::ReturnResult,
            ],
        };
        let mut l = Lifecycle::start(Channel::Online);
        for a in path {
            l.apply(*a).unwrap();
        }
        assert_eq!(l.status(), status);
        l
    }

    #[test]
    fn every_status_and_action_follows_the_rules() {
        for from in Status::ALL {
            let lawful = table(from);
            for action in ACTIONS {
                let got = at(from).check(action);
                match lawful.iter().find(|(a, _)| *a == action) {
                    Some((_, to)) => assert_eq!(got, Ok(*to), "{from:?} {action:?}"),
                    None => assert!(
                        matches!(got, Err(TransitionError::Unlawful { .. })),
                        "{from:?} {action:?} gave {got:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn final_statuses_take_nothing_and_waiting_stops_the_clock() {
        for s in Status::ALL {
            assert_eq!(s.is_final(), table(s).is_empty(), "{s:?}");
            assert_eq!(Status::from_code(s.code()), Some(s));
        }
        assert_eq!(Status::from_code(0), None);
        assert_eq!(Status::from_code(11), None);
        let paused: Vec<u8> = Status::ALL
            .into_iter()
            .filter(|s| s.pauses_clock())
            .map(Status::code)
            .collect();
        assert_eq!(paused, [5, 6]);
    }

    #[test]
    fn a_supplement_is_asked_for_once_and_resumes_where_it_was() {
        // before receipt: back to newly registered
        let mut l = Lifecycle::start(Channel::Postal);
        assert_eq!(
            l.apply(Action::RequestSupplement),
            Ok(Status::SupplementRequested)
        );
        assert_eq!(l.apply(Action::Supplement), Ok(Status::NewlyRegistered));
        l.apply(Action::Receive).unwrap();
        l.apply(Action::StartProcessing).unwrap();
        assert_eq!(
            l.apply(Action::RequestSupplement),
            Err(TransitionError::SecondSupplement)
        );
        // during processing: back to processing
        let mut l = at(Status::Processing);
        l.apply(Action::RequestSupplement).unwrap();
        assert!(l.supplement_requested());
        assert_eq!(l.apply(Action::Supplement), Ok(Status::Processing));
        assert_eq!(
            l.check(Action::RequestSupplement),
            Err(TransitionError::SecondSupplement)
        );
        // fees can be asked for after a supplement
        assert_eq!(
            l.apply(Action::RequestFees),
            Ok(Status::FinancialObligationRequested)
        );
        assert_eq!(l.apply(Action::PayFees), Ok(Status::Processing));
        assert_eq!(
            l.apply(Action::Complete(Outcome::Refused)),
            Ok(Status::Processed)
        );
        assert_eq!(l.outcome(), Some(Outcome::Refused));
        assert_eq!(l.apply(Action::ReturnResult), Ok(Status::ResultReturned));
    }

    #[test]
    fn channels_start_where_the_rules_say() {
        assert_eq!(
            Lifecycle::start(Channel::InPerson).status(),
            Status::Received
        );
        assert_eq!(
            Lifecycle::start(Channel::Online).status(),
            Status::NewlyRegistered
        );
        assert_eq!(
            Lifecycle::start(Channel::Postal).status(),
            Status::NewlyRegistered
        );
        assert_eq!(
            [Channel::InPerson, Channel::Online, Channel::Postal].map(Channel::code),
            [1, 2, 3]
        );
    }

    #[test]
    fn a_refused_action_changes_nothing() {
        let mut l = at(Status::Received);
        let before = l.clone();
        assert!(l.apply(Action::ReturnResult).is_err());
        assert_eq!(l, before);
        let e = l.apply(Action::Complete(Outcome::Issued)).unwrap_err();
        assert!(e.to_string().contains("Received"), "{e}");
    }
}

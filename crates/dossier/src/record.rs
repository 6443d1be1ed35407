//! A dossier as a whole: what was filed, where it is routed, where it
//! stands, and the processing-control slip (form 05) of every step — who,
//! when, what, with which comment. [`Dossier::act`] is the only way a
//! dossier changes: it checks who may do what (the applicant, an officer
//! or a leader of the competent or the receiving agency), applies the
//! lifecycle, keeps the supplement request (form 02), the refusal
//! (form 03), the apologies with new appointments (form 04), the leader's
//! approval of the result and the applicant's rating, recomputes the due
//! date, and says what to tell the applicant.
//!
//! No officer or leader handles a dossier of their own: one where they are
//! the applicant, or a person the dossier is about — named by their
//! personal identification number in a form field filled from the
//! registry's `applicant.person_id` or `spouse.person_id` (a parent of the
//! child in a birth registration, the other party of a marriage) or marked
//! `x-party` (the person whose record changes, the ward, the child …). A
//! colleague handles it, and it is never assigned to them; as its
//! applicant they still act on it as any applicant does ([`Dossier::conflict`]).

use calendar::WorkingCalendar;
use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::catalog::Procedure;
use crate::code::{AgencyCode, CodeError, DossierCode};
use crate::lifecycle::{Action, Channel, Lifecycle, Outcome, Status, TransitionError};
use crate::routing::Route;
use crate::timeline::{Timeline, TimelineError};

/// Who acts on a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The applicant (or the person acting for the applying organisation).
    Applicant,
    /// An officer of an agency.
    Officer,
    /// A leader of an agency (approves results, assigns, stops).
    Leader,
}

/// Someone acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Their stable subject (the account).
    pub subject: String,
    /// Their name, for the slips.
    pub name: String,
    /// Their role.
    pub role: Role,
    /// Their agency (officers and leaders).
    pub agency: Option<AgencyCode>,
    /// Their personal identification number (a person's account): staff
    /// do not act on a dossier that names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
}

/// The applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    /// The account's subject.
    pub subject: String,
    /// The name.
    pub name: String,
    /// The personal identification number, for a person.
    pub person_id: Option<String>,
    /// Where to e-mail notices.
    pub email: Option<String>,
}

/// One line of the processing-control slip (form 05).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlEntry {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Who (subject).
    pub subject: String,
    /// Who (name).
    pub name: String,
    /// In which role.
    pub role: Role,
    /// Of which agency.
    pub agency: Option<AgencyCode>,
    /// What was done (an [`Act`]'s code, or `submit`).
    pub act: String,
    /// The status before.
    pub from: Option<Status>,
    /// The status after.
    pub to: Status,
    /// The comment.
    pub comment: Option<String>,
}

/// A request to supplement (form 02).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementRequest {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// By whom.
    pub by: String,
    /// What is missing or to be corrected, item by item.
    pub items: Vec<String>,
}

/// A refusal with its reasons (form 03).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// By whom.
    pub by: String,
    /// Why.
    pub reason: String,
    /// At intake (not received) or after processing.
    pub at_intake: bool,
}

/// An apology for lateness with a new appointment (form 04).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Apology {
    /// When.
    pub at: DateTime<FixedOffset>,
    /// By whom.
    pub by: String,
    /// Why the agency is late.
    pub reason: String,
    /// The appointment missed.
    pub previous_due: Option<DateTime<FixedOffset>>,
    /// The new appointment.
    pub new_due: DateTime<FixedOffset>,
}

/// A result proposed by the officer, awaiting the leader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// Issued or refused.
    pub outcome: Outcome,
    /// By whom.
    pub by: String,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// The officer's summary (the reasons, for a refusal).
    pub summary: String,
}

/// The applicant's rating of the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    /// Words.
    pub comment: Option<String>,
    /// When.
    pub at: DateTime<FixedOffset>,
}

/// Someone a dossier is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignee {
    /// Subject.
    pub subject: String,
    /// Name.
    pub name: String,
}

/// What someone does to a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "act", rename_all = "snake_case")]
pub enum Act {
    /// Receive an online or postal dossier (officer).
    Receive,
    /// Refuse it at intake, with the reason (officer; form 03).
    RefuseIntake {
        /// Why.
        reason: String,
    },
    /// Take it (officer; unassigned dossiers only).
    Claim,
    /// Assign it (leader).
    Assign {
        /// To whom (subject).
        subject: String,
        /// Their name (the portal takes it from their account).
        #[serde(default)]
        name: String,
        /// Their personal identification number (the portal takes it from
        /// their account): a dossier that names them is not theirs to
        /// handle.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        person_id: Option<String>,
    },
    /// Start processing (officer).
    StartProcessing,
    /// Ask the applicant, once, for what is missing (officer; form 02).
    RequestSupplement {
        /// The items.
        items: Vec<String>,
    },
    /// Supplement (applicant).
    Supplement {
        /// What was added or corrected.
        note: String,
    },
    /// Ask for fees (officer).
    RequestFees {
        /// The amount in đồng.
        amount_vnd: u64,
    },
    /// Pay (applicant; in production the payment platform's callback).
    PayFees,
    /// Withdraw (applicant).
    Withdraw,
    /// Stop processing, with the reason (leader).
    Stop {
        /// Why.
        reason: String,
    },
    /// Propose the result (the assigned officer, or a leader).
    Propose {
        /// Issued or refused.
        outcome: Outcome,
        /// The summary (for a refusal: its reasons).
        summary: String,
    },
    /// Approve the proposed result (leader): processed.
    Approve,
    /// Send the proposal back (leader).
    SendBack {
        /// Why.
        reason: String,
    },
    /// Apologise for lateness with a new appointment (officer; form 04).
    Apologise {
        /// Why the agency is late.
        reason: String,
        /// The new appointment.
        new_due: DateTime<FixedOffset>,
    },
    /// Hand the result over (officer of the receiving agency).
    ReturnResult,
    /// Rate the service (applicant, after the result).
    Rate {
        /// 1–5.
        score: u8,
        /// Words.
        comment: Option<String>,
    },
}

impl Act {
    /// Whether the act is the applicant's (supplement, pay, withdraw,
    /// rate); every other act is the staff's of the dossier's agencies.
    pub fn by_applicant(&self) -> bool {
        matches!(
            self,
            Act::Supplement { .. } | Act::PayFees | Act::Withdraw | Act::Rate { .. }
        )
    }

    /// Its code on the control slip.
    pub fn code(&self) -> &'static str {
        match self {
            Act::Receive => "receive",
            Act::RefuseIntake { .. } => "refuse_intake",
            Act::Claim => "claim",
            Act::Assign { .. } => "assign",
            Act::StartProcessing => "start_processing",
            Act::RequestSupplement { .. } => "request_supplement",
            Act::Supplement { .. } => "supplement",
            Act::RequestFees { .. } => "request_fees",
            Act::PayFees => "pay_fees",
            Act::Withdraw => "withdraw",
            Act::Stop { .. } => "stop",
            Act::Propose { .. } => "propose",
            Act::Approve => "approve",
            Act::SendBack { .. } => "send_back",
            Act::Apologise { .. } => "apologise",
            Act::ReturnResult => "return_result",
            Act::Rate { .. } => "rate",
        }
    }

    /// What an act's code is called, in Vietnamese and in English.
    pub fn names(code: &str) -> (&'static str, &'static str) {
        match code {
            "submit" => ("Nộp hồ sơ", "Submitted"),
            "receive" => ("Tiếp nhận", "Received"),
            "refuse_intake" => ("Từ chối tiếp nhận", "Refused at intake"),
            "claim" => ("Nhận xử lý", "Claimed"),
            "assign" => ("Phân công", "Assigned"),
            "start_processing" => ("Bắt đầu xử lý", "Processing started"),
            "request_supplement" => ("Yêu cầu bổ sung", "Supplement requested"),
            "supplement" => ("Bổ sung hồ sơ", "Supplemented"),
            "request_fees" => ("Yêu cầu nộp phí, lệ phí", "Fees requested"),
            "pay_fees" => ("Nộp phí, lệ phí", "Fees paid"),
            "withdraw" => ("Rút hồ sơ", "Withdrawn"),
            "stop" => ("Dừng xử lý", "Processing stopped"),
            "propose" => ("Trình kết quả", "Result proposed"),
            "approve" => ("Phê duyệt kết quả", "Result approved"),
            "send_back" => ("Trả lại để xử lý tiếp", "Sent back"),
            "apologise" => (
                "Xin lỗi, hẹn lại ngày trả kết quả",
                "Apology and new appointment",
            ),
            "return_result" => ("Trả kết quả", "Result returned"),
            "rate" => ("Đánh giá", "Rated"),
            "progress" => ("Cập nhật tiến độ", "Progress noted"),
            _ => ("Khác", "Other"),
        }
    }

    /// What it is called, in Vietnamese.
    pub fn name_vi(code: &str) -> &'static str {
        Self::names(code).0
    }

    /// What it is called, in English.
    pub fn name_en(code: &str) -> &'static str {
        Self::names(code).1
    }
}

/// Why an act was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DossierError {
    /// The status does not allow it.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// This actor may not do it.
    #[error("{0}")]
    Forbidden(Said),
    /// Something the act needs is missing or wrong.
    #[error("{0}")]
    Invalid(Said),
    /// The due date cannot be computed.
    #[error(transparent)]
    Timeline(#[from] TimelineError),
    /// The code's number is not open to the dossier's channel (the
    /// agency's day is full, or its online numbers are).
    #[error(transparent)]
    Code(#[from] CodeError),
}

/// A reason given to a person, in Vietnamese and in English (shown in
/// English where one text is taken, as in an API's detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// In Vietnamese.
    pub vi: String,
    /// In English.
    pub en: String,
}

impl Said {
    /// A reason in both languages.
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Said {
        Said {
            vi: vi.into(),
            en: en.into(),
        }
    }
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

impl DossierError {
    /// The reason in both languages.
    pub fn said(&self) -> Said {
        match self {
            DossierError::Forbidden(s) | DossierError::Invalid(s) => s.clone(),
            DossierError::Transition(e) => Said::new(e.reason_vi(), e.to_string()),
            DossierError::Timeline(e) => Said::new(
                "Không tính được ngày hẹn trả kết quả của hồ sơ",
                e.to_string(),
            ),
            DossierError::Code(e) => Said::new(
                "Số hồ sơ của cơ quan trong ngày không còn dành cho cách nộp này",
                e.to_string(),
            ),
        }
    }
}

/// What changed, to tell the applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The status now.
    pub status: Status,
    /// In Vietnamese.
    pub text_vi: String,
    /// In English.
    pub text_en: String,
}

/// How close the due date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Nothing is due (not received yet, waiting on the applicant, done).
    None,
    /// More than one working day left.
    OnTime,
    /// Due today or the next working day.
    DueSoon,
    /// Past due.
    Overdue,
}

/// A dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dossier {
    /// Its code.
    pub code: DossierCode,
    /// The procedure's code.
    pub procedure: String,
    /// How it was filed.
    pub channel: Channel,
    /// Who filed it.
    pub applicant: Applicant,
    /// Where it goes.
    pub route: Route,
    /// The commune or province code it was filed for.
    pub place: String,
    /// The form as filed.
    pub form: Map<String, Value>,
    /// The fields filled from the state's data (the registry, read
    /// through the exchange with this dossier's code as the case).
    pub prefilled: Vec<String>,
    /// When it was filed.
    pub submitted_at: DateTime<FixedOffset>,
    /// Its status.
    pub lifecycle: Lifecycle,
    /// Each status with when it began.
    pub timeline: Timeline,
    /// Form 05.
    pub control: Vec<ControlEntry>,
    /// The appointment for the result (form 01; moved by form 04).
    pub due: Option<DateTime<FixedOffset>>,
    /// Who handles it.
    pub assignee: Option<Assignee>,
    /// The proposed result.
    pub proposal: Option<Proposal>,
    /// Form 02.
    pub supplement: Option<SupplementRequest>,
    /// Form 03.
    pub refusal: Option<Refusal>,
    /// Form 04, each time.
    pub apologies: Vec<Apology>,
    /// Fees asked for.
    pub fees_vnd: Option<u64>,
    /// The applicant's rating.
    pub rating: Option<Rating>,
    /// The issuing agency's seal over its result, made when the result was
    /// issued (so that the paper's QR code verifies after the key that
    /// made it is rotated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<ResultSeal>,
    /// Where it came from, when it was brought in from a closed
    /// provincial portal: its old code, which keeps working.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legacy: Option<Legacy>,
}

/// A dossier brought in from a closed provincial portal: what it was there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Legacy {
    /// The closed portal: the old province's code (two digits).
    pub source: String,
    /// Its code there, as the applicant knows it.
    pub code: String,
    /// The unit that handled it there (`DonViXuLy`).
    pub unit: String,
    /// The old province, district and commune it was filed for.
    pub place: [String; 3],
    /// What it was about (`TrichYeuHoSo`).
    pub summary: String,
    /// The files submitted, by reference: each fetched from where it is,
    /// and checked against its SHA-256 when the portal gave one.
    pub files: Vec<LegacyFile>,
}

/// A file of a dossier brought in, by reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyFile {
    /// Its name.
    pub name: String,
    /// Which of the procedure's documents it is, as the portal coded it.
    pub document: String,
    /// Where it is.
    pub url: String,
    /// The SHA-256 of its content, hex, when the portal gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// A seal over a dossier's result: a signature by the node's provider key
/// (which signs for the agencies of this node), and that key's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultSeal {
    /// The key's id in the exchange's key ring.
    pub key_id: String,
    /// The signature, base64url.
    pub signature: String,
}

/// What a new dossier is made of.
#[derive(Debug, Clone)]
pub struct Filing {
    /// The procedure.
    pub procedure: String,
    /// The channel.
    pub channel: Channel,
    /// The applicant.
    pub applicant: Applicant,
    /// The route.
    pub route: Route,
    /// The place.
    pub place: String,
    /// The form, validated.
    pub form: Map<String, Value>,
    /// The prefilled fields.
    pub prefilled: Vec<String>,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// Who registered it: the applicant online or by post, the officer at
    /// a counter.
    pub by: Actor,
}

/// `what` a text is, in Vietnamese and in English.
type What = (&'static str, &'static str);

fn nonempty(s: &str, what: What) -> Result<String, DossierError> {
    let t = s.trim();
    let (vi, en) = what;
    if t.is_empty() {
        Err(DossierError::Invalid(Said::new(
            format!("Cần ghi {vi}"),
            format!("{en} cannot be empty"),
        )))
    } else if t.chars().count() > 2000 {
        Err(DossierError::Invalid(Said::new(
            format!("{vi}: tối đa 2000 ký tự"),
            format!("{en}: at most 2000 characters"),
        )))
    } else {
        plain(t, what)?;
        Ok(t.to_string())
    }
}

/// Refuses free text (over lines) that holds a control or direction
/// character.
fn plain(s: &str, what: What) -> Result<(), DossierError> {
    match crate::text::refusal(s, true) {
        Some((vi, en)) => Err(DossierError::Invalid(Said::new(
            format!("{}: {vi}", what.0),
            format!("{}: {en}", what.1),
        ))),
        None => Ok(()),
    }
}

/// How someone is concerned by a dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interest {
    /// They filed it, or it was filed for them.
    Applicant,
    /// Its form names them.
    Party,
}

impl Interest {
    fn reason(self) -> Said {
        match self {
            Interest::Applicant => Said::new(
                "Đây là hồ sơ của chính bạn: cán bộ, lãnh đạo không giải quyết hồ sơ mình nộp, \
                 một đồng nghiệp của cơ quan sẽ giải quyết (là người nộp, bạn vẫn bổ sung, nộp \
                 phí, rút hoặc đánh giá được)",
                "this dossier is your own application: no officer or leader \
                 handles a dossier they applied for, a colleague of the agency does (as its \
                 applicant you can still supplement, pay, withdraw or rate it)",
            ),
            Interest::Party => Said::new(
                "Hồ sơ này có liên quan đến bạn (tờ khai có tên bạn): cán bộ, lãnh đạo không \
                 giải quyết hồ sơ mình là một bên, một đồng nghiệp của cơ quan sẽ giải quyết",
                "this dossier is about you (its form names you): no officer or \
                 leader handles a dossier they are a party to, a colleague of the agency does",
            ),
        }
    }
}

/// How the person with account `subject` and number `person_id` is
/// concerned by the dossier of `applicant` with `form` (of `procedure`).
fn interest(
    procedure: &Procedure,
    applicant: &Applicant,
    form: &Map<String, Value>,
    subject: &str,
    person_id: Option<&str>,
) -> Option<Interest> {
    let person_id = person_id.map(str::trim).filter(|p| !p.is_empty());
    if subject == applicant.subject
        || person_id.is_some_and(|p| applicant.person_id.as_deref() == Some(p))
    {
        Some(Interest::Applicant)
    } else if person_id.is_some_and(|p| procedure.schema().parties(form).contains(&p)) {
        Some(Interest::Party)
    } else {
        None
    }
}

impl Filing {
    /// Why the officer registering this filing at a counter or from the
    /// post may not (it is their own, or names them; `procedure`: the
    /// filing's). `None` for a filing by its applicant.
    pub fn conflict(&self, procedure: &Procedure) -> Option<Said> {
        if self.by.role == Role::Applicant {
            return None;
        }
        interest(
            procedure,
            &self.applicant,
            &self.form,
            &self.by.subject,
            self.by.person_id.as_deref(),
        )
        .map(Interest::reason)
    }
}

impl Dossier {
    /// A new dossier under `code`: received at once at a counter (with its
    /// appointment), newly registered otherwise.
    pub fn file(
        code: DossierCode,
        filing: Filing,
        procedure: &Procedure,
        calendar: &WorkingCalendar<'_>,
    ) -> Result<Dossier, DossierError> {
        code.open_to(filing.channel)?;
        if let Some(why) = filing.conflict(procedure) {
            return Err(DossierError::Forbidden(why));
        }
        let lifecycle = Lifecycle::start(filing.channel);
        let status = lifecycle.status();
        let timeline = Timeline::begin(filing.at, status);
        let by = filing.by;
        let control = vec![ControlEntry {
            at: filing.at,
            subject: by.subject.clone(),
            name: by.name.clone(),
            role: by.role,
            agency: by.agency.clone(),
            act: if status == Status::Received {
                "receive".to_string()
            } else {
                "submit".to_string()
            },
            from: None,
            to: status,
            comment: None,
        }];
        let due = procedure.due(calendar, &timeline, filing.at)?;
        Ok(Dossier {
            code,
            procedure: filing.procedure,
            channel: filing.channel,
            applicant: filing.applicant,
            route: filing.route,
            place: filing.place,
            form: filing.form,
            prefilled: filing.prefilled,
            submitted_at: filing.at,
            lifecycle,
            timeline,
            control,
            due,
            assignee: None,
            proposal: None,
            supplement: None,
            refusal: None,
            apologies: Vec::new(),
            fees_vnd: None,
            rating: None,
            seal: None,
            legacy: None,
        })
    }

    /// The status now.
    pub fn status(&self) -> Status {
        self.lifecycle.status()
    }

    fn of_competent(&self, actor: &Actor) -> bool {
        actor.agency.as_ref() == Some(&self.route.competent)
    }

    fn of_receiving(&self, actor: &Actor) -> bool {
        actor.agency.as_ref() == Some(&self.route.receiving)
    }

    /// Whether `actor` may see the dossier in full.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        match actor.role {
            Role::Applicant => actor.subject == self.applicant.subject,
            Role::Officer | Role::Leader => self.of_competent(actor) || self.of_receiving(actor),
        }
    }

    /// Why the person with account `subject` and personal identification
    /// number `person_id` may not handle this dossier as an officer or a
    /// leader (`procedure`: the dossier's): they are its applicant, or a
    /// person its form names. `None`: nothing keeps them from it.
    pub fn conflict(
        &self,
        procedure: &Procedure,
        subject: &str,
        person_id: Option<&str>,
    ) -> Option<Said> {
        interest(procedure, &self.applicant, &self.form, subject, person_id).map(Interest::reason)
    }

    fn permit(&self, actor: &Actor, act: &Act, procedure: &Procedure) -> Result<(), DossierError> {
        let forbid = |vi: &str, en: &str| Err(DossierError::Forbidden(Said::new(vi, en)));
        let staff = matches!(actor.role, Role::Officer | Role::Leader);
        let leader = actor.role == Role::Leader;
        if staff
            && let Some(why) = self.conflict(procedure, &actor.subject, actor.person_id.as_deref())
        {
            return Err(DossierError::Forbidden(why));
        }
        match act {
            Act::Supplement { .. } | Act::PayFees | Act::Withdraw | Act::Rate { .. } => {
                if actor.role != Role::Applicant || actor.subject != self.applicant.subject {
                    return forbid(
                        "Chỉ người nộp hồ sơ làm được việc này",
                        "only the applicant can do this",
                    );
                }
            }
            Act::Receive | Act::RefuseIntake { .. } | Act::ReturnResult => {
                if !staff || !(self.of_receiving(actor) || self.of_competent(actor)) {
                    return forbid(
                        "Chỉ cán bộ của cơ quan tiếp nhận hoặc cơ quan có thẩm quyền làm được việc này",
                        "only an officer of the receiving or the competent agency can do this",
                    );
                }
            }
            Act::Assign { .. } | Act::Approve | Act::SendBack { .. } | Act::Stop { .. } => {
                if !leader || !self.of_competent(actor) {
                    return forbid(
                        "Chỉ lãnh đạo của cơ quan có thẩm quyền làm được việc này",
                        "only a leader of the competent agency can do this",
                    );
                }
            }
            Act::Claim
            | Act::StartProcessing
            | Act::RequestSupplement { .. }
            | Act::RequestFees { .. }
            | Act::Apologise { .. } => {
                if !staff || !self.of_competent(actor) {
                    return forbid(
                        "Chỉ cán bộ của cơ quan có thẩm quyền làm được việc này",
                        "only an officer of the competent agency can do this",
                    );
                }
            }
            Act::Propose { .. } => {
                let assigned = self
                    .assignee
                    .as_ref()
                    .is_some_and(|a| a.subject == actor.subject);
                if !staff || !self.of_competent(actor) || !(assigned || leader) {
                    return forbid(
                        "Chỉ cán bộ được giao hồ sơ, hoặc lãnh đạo, đề xuất kết quả",
                        "only the officer the dossier is assigned to, or a leader, proposes its result",
                    );
                }
            }
        }
        Ok(())
    }

    /// `actor` does `act` at `at` with `comment`: the notice for the
    /// applicant when the status changed or the appointment moved.
    pub fn act(
        &mut self,
        actor: &Actor,
        act: Act,
        comment: Option<&str>,
        at: DateTime<FixedOffset>,
        procedure: &Procedure,
        calendar: &WorkingCalendar<'_>,
    ) -> Result<Option<Notice>, DossierError> {
        self.permit(actor, &act, procedure)?;
        if let Some(last) = self.control.last()
            && at < last.at
        {
            return Err(DossierError::Invalid(Said::new(
                format!("Thao tác lúc {at} lại trước bước gần nhất lúc {}", last.at),
                format!("an act at {at} comes before the last step at {}", last.at),
            )));
        }
        let comment = comment
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        if let Some(c) = &comment {
            plain(c, ("ý kiến", "the comment"))?;
        }
        let from = self.status();
        let mut next = self.clone();
        let action = match &act {
            Act::Receive => Some(Action::Receive),
            Act::RefuseIntake { reason } => {
                next.refusal = Some(Refusal {
                    at,
                    by: actor.name.clone(),
                    reason: nonempty(reason, ("lý do từ chối", "the reason for refusing"))?,
                    at_intake: true,
                });
                Some(Action::RefuseIntake)
            }
            Act::Claim => {
                if from.is_final() {
                    return Err(DossierError::Invalid(Said::new(
                        "Hồ sơ đã kết thúc",
                        "the dossier is closed",
                    )));
                }
                if let Some(a) = &self.assignee {
                    return Err(DossierError::Invalid(Said::new(
                        format!("Hồ sơ đã được giao cho {}", a.name),
                        format!("the dossier is assigned to {} already", a.name),
                    )));
                }
                next.assignee = Some(Assignee {
                    subject: actor.subject.clone(),
                    name: actor.name.clone(),
                });
                None
            }
            Act::Assign {
                subject,
                name,
                person_id,
            } => {
                if from.is_final() {
                    return Err(DossierError::Invalid(Said::new(
                        "Hồ sơ đã kết thúc",
                        "the dossier is closed",
                    )));
                }
                if let Some(i) = interest(
                    procedure,
                    &self.applicant,
                    &self.form,
                    subject.trim(),
                    person_id.as_deref(),
                ) {
                    let (who_vi, who) = match i {
                        Interest::Applicant => ("người nộp", "its applicant"),
                        Interest::Party => ("người có tên trong tờ khai", "a person it is about"),
                    };
                    let name = name.trim();
                    return Err(DossierError::Invalid(Said::new(
                        format!(
                            "{name} là {who_vi} của hồ sơ {}: hãy giao cho một cán bộ khác của cơ quan",
                            self.code
                        ),
                        format!(
                            "{name} is {who}: dossier {} is assigned to someone else of the agency's staff",
                            self.code
                        ),
                    )));
                }
                next.assignee = Some(Assignee {
                    subject: nonempty(subject, ("cán bộ được giao", "the officer"))?,
                    name: nonempty(name, ("họ tên cán bộ", "the officer's name"))?,
                });
                None
            }
            Act::StartProcessing => Some(Action::StartProcessing),
            Act::RequestSupplement { items } => {
                let items: Vec<String> = items
                    .iter()
                    .map(|i| i.trim().to_string())
                    .filter(|i| !i.is_empty())
                    .collect();
                for i in &items {
                    plain(i, ("nội dung cần bổ sung", "what is missing"))?;
                }
                if items.is_empty() {
                    return Err(DossierError::Invalid(Said::new(
                        "Yêu cầu bổ sung phải nêu một lần đủ mọi nội dung cần bổ sung, hoàn thiện",
                        "a request to supplement lists what is missing or to be corrected, all at once",
                    )));
                }
                next.supplement = Some(SupplementRequest {
                    at,
                    by: actor.name.clone(),
                    items,
                });
                Some(Action::RequestSupplement)
            }
            Act::Supplement { note } => {
                nonempty(note, ("nội dung đã bổ sung", "what was supplemented"))?;
                Some(Action::Supplement)
            }
            Act::RequestFees { amount_vnd } => {
                if *amount_vnd == 0 {
                    return Err(DossierError::Invalid(Said::new(
                        "Số tiền phải lớn hơn 0 đồng",
                        "the amount must be more than 0 đồng",
                    )));
                }
                next.fees_vnd = Some(*amount_vnd);
                Some(Action::RequestFees)
            }
            Act::PayFees => Some(Action::PayFees),
            Act::Withdraw => Some(Action::Withdraw),
            Act::Stop { reason } => {
                nonempty(reason, ("lý do dừng xử lý", "the reason for stopping"))?;
                Some(Action::Stop)
            }
            Act::Propose { outcome, summary } => {
                if from != Status::Processing {
                    return Err(TransitionError::Unlawful {
                        from,
                        action: Action::Complete(*outcome),
                    }
                    .into());
                }
                next.proposal = Some(Proposal {
                    outcome: *outcome,
                    by: actor.name.clone(),
                    at,
                    summary: nonempty(summary, ("tóm tắt kết quả", "the summary"))?,
                });
                None
            }
            Act::Approve => {
                let proposal = self.proposal.clone().ok_or_else(|| {
                    DossierError::Invalid(Said::new(
                        "Chưa có kết quả đề xuất để phê duyệt",
                        "there is no proposed result to approve",
                    ))
                })?;
                if proposal.outcome == Outcome::Refused {
                    next.refusal = Some(Refusal {
                        at,
                        by: actor.name.clone(),
                        reason: proposal.summary.clone(),
                        at_intake: false,
                    });
                }
                next.proposal = None;
                Some(Action::Complete(proposal.outcome))
            }
            Act::SendBack { reason } => {
                if self.proposal.is_none() {
                    return Err(DossierError::Invalid(Said::new(
                        "Chưa có kết quả đề xuất để trả lại",
                        "there is no proposed result to send back",
                    )));
                }
                nonempty(reason, ("lý do trả lại", "the reason for sending back"))?;
                next.proposal = None;
                None
            }
            Act::Apologise { reason, new_due } => {
                if from.is_final() || from == Status::NewlyRegistered {
                    return Err(DossierError::Invalid(Said::new(
                        "Thư xin lỗi dành cho hồ sơ đã tiếp nhận và chưa kết thúc",
                        "an apology is for a received dossier not yet closed",
                    )));
                }
                if self.due.is_some_and(|d| *new_due <= d) || *new_due <= at {
                    return Err(DossierError::Invalid(Said::new(
                        "Ngày hẹn mới phải sau ngày hẹn đã lỡ và sau thời điểm hiện tại",
                        "the new appointment must be later than the one missed and than now",
                    )));
                }
                next.apologies.push(Apology {
                    at,
                    by: actor.name.clone(),
                    reason: nonempty(reason, ("lý do chậm trễ", "the reason for the delay"))?,
                    previous_due: self.due,
                    new_due: *new_due,
                });
                None
            }
            Act::ReturnResult => Some(Action::ReturnResult),
            Act::Rate { score, comment } => {
                if from != Status::ResultReturned {
                    return Err(DossierError::Invalid(Said::new(
                        "Chỉ đánh giá được sau khi đã trả kết quả",
                        "a service is rated once its result is returned",
                    )));
                }
                if self.rating.is_some() {
                    return Err(DossierError::Invalid(Said::new(
                        "Dịch vụ này đã được đánh giá",
                        "the service was rated already",
                    )));
                }
                if !(1..=5).contains(score) {
                    return Err(DossierError::Invalid(Said::new(
                        "Đánh giá từ 1 đến 5",
                        "a rating is 1 to 5",
                    )));
                }
                if let Some(c) = comment {
                    plain(c, ("nhận xét kèm đánh giá", "the rating's comment"))?;
                }
                next.rating = Some(Rating {
                    score: *score,
                    comment: comment
                        .as_deref()
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_string),
                    at,
                });
                None
            }
        };
        if let Some(action) = action {
            next.lifecycle.apply(action)?;
            next.timeline.record(at, next.lifecycle.status())?;
        }
        let to = next.status();
        next.control.push(ControlEntry {
            at,
            subject: actor.subject.clone(),
            name: actor.name.clone(),
            role: actor.role,
            agency: actor.agency.clone(),
            act: act.code().to_string(),
            from: Some(from),
            to,
            comment,
        });
        next.due = match next.apologies.last() {
            Some(a) => Some(a.new_due),
            None => procedure.due(calendar, &next.timeline, at)?,
        };
        let notice = next.notice(&act, from);
        *self = next;
        Ok(notice)
    }

    fn notice(&self, act: &Act, from: Status) -> Option<Notice> {
        let to = self.status();
        let code = &self.code;
        let due_vi = self
            .due
            .map(|d| format!(" Hẹn trả kết quả: {}.", d.format("%H:%M %d/%m/%Y")))
            .unwrap_or_default();
        let due_en = self
            .due
            .map(|d| format!(" Result due: {}.", d.format("%d/%m/%Y %H:%M")))
            .unwrap_or_default();
        let (vi, en) = match act {
            Act::Apologise { reason, .. } => (
                format!("Hồ sơ {code}: cơ quan xin lỗi vì trễ hẹn ({reason}).{due_vi}"),
                format!("Dossier {code}: the agency apologises for the delay ({reason}).{due_en}"),
            ),
            _ if to == from => return None,
            Act::RequestSupplement { items } => (
                format!("Hồ sơ {code} cần bổ sung: {}.", items.join("; ")),
                format!("Dossier {code} needs: {}.", items.join("; ")),
            ),
            Act::RefuseIntake { reason } => (
                format!("Hồ sơ {code} không được tiếp nhận: {reason}."),
                format!("Dossier {code} was not received: {reason}."),
            ),
            Act::RequestFees { amount_vnd } => (
                format!("Hồ sơ {code}: vui lòng nộp {amount_vnd} đồng phí, lệ phí."),
                format!("Dossier {code}: please pay {amount_vnd} đồng in fees."),
            ),
            Act::Approve if self.lifecycle.outcome() == Some(Outcome::Refused) => (
                format!(
                    "Hồ sơ {code} đã xử lý: từ chối ({}).",
                    self.refusal.as_ref().map_or("", |r| r.reason.as_str())
                ),
                format!(
                    "Dossier {code} was processed: refused ({}).",
                    self.refusal.as_ref().map_or("", |r| r.reason.as_str())
                ),
            ),
            _ => (
                format!(
                    "Hồ sơ {code}: {}.{}",
                    to.name_vi(),
                    if to == Status::Received {
                        due_vi
                    } else {
                        String::new()
                    }
                ),
                format!(
                    "Dossier {code}: {}.{}",
                    to.name_en(),
                    if to == Status::Received {
                        due_en
                    } else {
                        String::new()
                    }
                ),
            ),
        };
        Some(Notice {
            status: to,
            text_vi: vi,
            text_en: en,
        })
    }

    /// How close the due date is at `now`.
    pub fn urgency(&self, calendar: &WorkingCalendar<'_>, now: DateTime<FixedOffset>) -> Urgency {
        let status = self.status();
        if status.is_final() || status.pauses_clock() || status == Status::Processed {
            return Urgency::None;
        }
        let Some(due) = self.due else {
            return Urgency::None;
        };
        if now > due {
            return Urgency::Overdue;
        }
        let today = now.date_naive();
        let next = calendar.next_working_day(today).unwrap_or(today);
        if due.date_naive() <= next {
            Urgency::DueSoon
        } else {
            Urgency::OnTime
        }
    }

    /// Whether the result came, or will come, after the appointment of
    /// form 01 (an apology moves the appointment but not the lateness).
    pub fn late(&self, now: DateTime<FixedOffset>) -> bool {
        let first_due = self
            .apologies
            .first()
            .and_then(|a| a.previous_due)
            .or(self.due);
        let Some(due) = first_due else {
            return false;
        };
        let processed = self
            .timeline
            .steps()
            .iter()
            .find(|s| s.status == Status::Processed)
            .map(|s| s.at);
        match processed {
            Some(at) => at > due,
            None => !self.status().is_final() && now > due || !self.apologies.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests;

use calendar::WorkingCalendar;
use chrono::{DateTime, Duration, FixedOffset};
use serde_json::{Map, json};

use super::*;
use crate::catalog::tests::fixture;
use crate::{Catalog, route};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("an instant")
}

struct World {
    catalog: Catalog,
    calendar: WorkingCalendar<'static>,
}

fn world() -> World {
    World {
        catalog: Catalog::from_json(&fixture(json!({}))).expect("catalog"),
        calendar: WorkingCalendar::official().expect("calendar"),
    }
}

/// A world whose procedure's form names a parent (the applicant), the
/// other parent (the spouse) and the child (a party).
fn family_world() -> World {
    let form = json!({
        "type": "object", "additionalProperties": false, "required": ["place"],
        "properties": {
            "place": {"type": "string", "title": "Nơi nộp hồ sơ", "pattern": "^[0-9]{5}$"},
            "parent": {"type": "string", "title": "Cha hoặc mẹ", "pattern": "^[0-9]{12}$",
                       "x-prefill": "applicant.person_id"},
            "other_parent": {"type": "string", "title": "Cha hoặc mẹ còn lại",
                             "pattern": "^[0-9]{12}$", "x-prefill": "spouse.person_id"},
            "child": {"type": "string", "title": "Con", "pattern": "^[0-9]{12}$", "x-party": true},
            "witness": {"type": "string", "title": "Người làm chứng", "pattern": "^[0-9]{12}$"}
        }
    });
    World {
        catalog: Catalog::from_json(&fixture(json!({ "form": form }))).expect("catalog"),
        calendar: WorkingCalendar::official().expect("calendar"),
    }
}

/// Someone on the competent agency's staff, a person with a number.
fn staff_person(subject: &str, role: Role, pin: &str) -> Actor {
    Actor {
        person_id: Some(pin.into()),
        ..staff(subject, role, &format!("UBND.{COMMUNE}"))
    }
}

fn person(subject: &str) -> Actor {
    Actor {
        subject: subject.into(),
        name: format!("Person {subject}"),
        role: Role::Applicant,
        agency: None,
        person_id: None,
    }
}

fn staff(subject: &str, role: Role, agency: &str) -> Actor {
    Actor {
        subject: subject.into(),
        name: format!("Officer {subject}"),
        role,
        agency: Some(AgencyCode::parse(agency).expect("agency")),
        person_id: None,
    }
}

const COMMUNE: &str = "25747";

impl World {
    fn procedure(&self) -> &Procedure {
        self.catalog.get("thu-nghiem").expect("procedure")
    }

    fn file(&self, channel: Channel, by: Actor, when: &str) -> Dossier {
        self.try_file(channel, by, when, 1).expect("filed")
    }

    /// Files the `sequence`-th dossier of the receiving agency's day.
    fn try_file(
        &self,
        channel: Channel,
        by: Actor,
        when: &str,
        sequence: u16,
    ) -> Result<Dossier, DossierError> {
        let p = self.procedure();
        let centre = AgencyCode::parse("TTPVHCC.79").expect("centre");
        let r = route(
            p,
            COMMUNE,
            channel,
            (channel == Channel::InPerson).then_some(&centre),
        )
        .expect("route");
        let code =
            DossierCode::new(r.receiving.clone(), at(when).date_naive(), sequence).expect("code");
        Dossier::file(
            code,
            Filing {
                procedure: p.code.clone(),
                channel,
                applicant: Applicant {
                    subject: "citizen".into(),
                    name: "Nguyễn Văn An".into(),
                    person_id: Some("079090000001".into()),
                    email: None,
                },
                route: r,
                place: COMMUNE.into(),
                form: Map::new(),
                prefilled: vec!["name".into()],
                at: at(when),
                by,
            },
            p,
            &self.calendar,
        )
    }

    fn act(
        &self,
        d: &mut Dossier,
        who: &Actor,
        act: Act,
        when: &str,
    ) -> Result<Option<Notice>, DossierError> {
        d.act(
            who,
            act,
            Some("ghi chú"),
            at(when),
            self.procedure(),
            &self.calendar,
        )
    }
}

fn officer() -> Actor {
    staff("o1", Role::Officer, &format!("UBND.{COMMUNE}"))
}

fn leader() -> Actor {
    staff("l1", Role::Leader, &format!("UBND.{COMMUNE}"))
}

#[test]
fn an_online_dossier_goes_from_submission_to_result_and_rating() {
    let w = world();
    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    assert_eq!(d.status(), Status::NewlyRegistered);
    assert_eq!(d.due, None, "no appointment before receipt");
    let n = w
        .act(
            &mut d,
            &officer(),
            Act::Receive,
            "2026-03-02T09:00:00+07:00",
        )
        .expect("received")
        .expect("notice");
    assert_eq!(n.status, Status::Received);
    assert!(
        n.text_vi.contains("Hẹn trả kết quả: 17:00 04/03/2026"),
        "{}",
        n.text_vi
    );
    assert_eq!(d.due, Some(at("2026-03-04T17:00:00+07:00")));
    assert_eq!(
        w.act(&mut d, &officer(), Act::Claim, "2026-03-02T09:05:00+07:00")
            .expect("claimed"),
        None
    );
    w.act(
        &mut d,
        &officer(),
        Act::StartProcessing,
        "2026-03-02T09:10:00+07:00",
    )
    .expect("started");
    w.act(
        &mut d,
        &officer(),
        Act::Propose {
            outcome: Outcome::Issued,
            summary: "Đủ điều kiện".into(),
        },
        "2026-03-03T09:00:00+07:00",
    )
    .expect("proposed");
    assert_eq!(
        d.status(),
        Status::Processing,
        "a proposal waits for the leader"
    );
    // the officer cannot approve their own proposal
    assert!(matches!(
        w.act(
            &mut d,
            &officer(),
            Act::Approve,
            "2026-03-03T09:30:00+07:00"
        ),
        Err(DossierError::Forbidden(_))
    ));
    w.act(&mut d, &leader(), Act::Approve, "2026-03-03T10:00:00+07:00")
        .expect("approved");
    assert_eq!(d.status(), Status::Processed);
    assert_eq!(d.lifecycle.outcome(), Some(Outcome::Issued));
    // rating before the result is refused
    assert!(
        w.act(
            &mut d,
            &person("citizen"),
            Act::Rate {
                score: 5,
                comment: None
            },
            "2026-03-03T10:30:00+07:00"
        )
        .is_err()
    );
    w.act(
        &mut d,
        &officer(),
        Act::ReturnResult,
        "2026-03-03T11:00:00+07:00",
    )
    .expect("returned");
    assert_eq!(d.status(), Status::ResultReturned);
    assert!(!d.late(at("2026-03-03T11:00:00+07:00")));
    assert!(
        w.act(
            &mut d,
            &person("someone-else"),
            Act::Rate {
                score: 5,
                comment: None
            },
            "2026-03-03T12:00:00+07:00"
        )
        .is_err()
    );
    assert!(
        w.act(
            &mut d,
            &person("citizen"),
            Act::Rate {
                score: 6,
                comment: None
            },
            "2026-03-03T12:00:00+07:00"
        )
        .is_err()
    );
    w.act(
        &mut d,
        &person("citizen"),
        Act::Rate {
            score: 4,
            comment: Some(" nhanh ".into()),
        },
        "2026-03-03T12:00:00+07:00",
    )
    .expect("rated");
    assert_eq!(
        d.rating.as_ref().map(|r| (r.score, r.comment.clone())),
        Some((4, Some("nhanh".into())))
    );
    assert!(
        w.act(
            &mut d,
            &person("citizen"),
            Act::Rate {
                score: 5,
                comment: None
            },
            "2026-03-03T12:01:00+07:00"
        )
        .is_err(),
        "once"
    );
    // form 05 holds every step, in order, with who and what
    let acts: Vec<&str> = d.control.iter().map(|c| c.act.as_str()).collect();
    assert_eq!(
        acts,
        [
            "submit",
            "receive",
            "claim",
            "start_processing",
            "propose",
            "approve",
            "return_result",
            "rate"
        ]
    );
    assert!(
        d.control
            .iter()
            .skip(1)
            .all(|c| c.comment.as_deref() == Some("ghi chú"))
    );
    assert_eq!(d.control[5].name, "Officer l1");
    assert_eq!(d.control[5].from, Some(Status::Processing));
    assert_eq!(d.control[5].to, Status::Processed);
}

#[test]
fn at_a_counter_the_centre_receives_and_the_appointment_is_given_at_once() {
    let w = world();
    let clerk = staff("c1", Role::Officer, "TTPVHCC.79");
    let mut d = w.file(
        Channel::InPerson,
        clerk.clone(),
        "2026-03-02T16:00:00+07:00",
    );
    assert_eq!(d.status(), Status::Received);
    assert_eq!(d.code.agency().as_str(), "TTPVHCC.79");
    // after the cut-off: counted from Tuesday
    assert_eq!(d.due, Some(at("2026-03-05T17:00:00+07:00")));
    assert_eq!(d.control[0].act, "receive");
    // the centre's clerk cannot process: that is the commune's work
    assert!(matches!(
        w.act(
            &mut d,
            &clerk,
            Act::StartProcessing,
            "2026-03-03T08:00:00+07:00"
        ),
        Err(DossierError::Forbidden(_))
    ));
    w.act(
        &mut d,
        &officer(),
        Act::StartProcessing,
        "2026-03-03T08:00:00+07:00",
    )
    .expect("started");
    w.act(
        &mut d,
        &leader(),
        Act::Propose {
            outcome: Outcome::Issued,
            summary: "OK".into(),
        },
        "2026-03-03T09:00:00+07:00",
    )
    .expect("a leader proposes too");
    w.act(&mut d, &leader(), Act::Approve, "2026-03-03T09:10:00+07:00")
        .expect("approved");
    // the centre hands the result over
    w.act(
        &mut d,
        &clerk,
        Act::ReturnResult,
        "2026-03-03T10:00:00+07:00",
    )
    .expect("returned");
    // an officer of another commune sees nothing and does nothing
    let stranger = staff("x", Role::Leader, "UBND.00004");
    assert!(!d.visible_to(&stranger));
    assert!(d.visible_to(&clerk) && d.visible_to(&officer()) && d.visible_to(&person("citizen")));
    assert!(!d.visible_to(&person("someone-else")));
}

#[test]
fn waiting_on_the_applicant_stops_the_clock_and_supplement_is_asked_once() {
    let w = world();
    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    w.act(
        &mut d,
        &officer(),
        Act::Receive,
        "2026-03-02T09:00:00+07:00",
    )
    .expect("received");
    w.act(
        &mut d,
        &officer(),
        Act::StartProcessing,
        "2026-03-02T09:10:00+07:00",
    )
    .expect("started");
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::RequestSupplement {
                items: vec![" ".into()]
            },
            "2026-03-02T10:00:00+07:00"
        )
        .is_err(),
        "the items are listed"
    );
    let n = w
        .act(
            &mut d,
            &officer(),
            Act::RequestSupplement {
                items: vec!["Bản sao giấy chứng sinh".into(), "Ảnh".into()],
            },
            "2026-03-02T10:00:00+07:00",
        )
        .expect("requested")
        .expect("notice");
    assert!(
        n.text_vi.contains("Bản sao giấy chứng sinh; Ảnh"),
        "{}",
        n.text_vi
    );
    assert_eq!(d.supplement.as_ref().map(|s| s.items.len()), Some(2));
    assert_eq!(
        d.urgency(&w.calendar, at("2026-03-20T10:00:00+07:00")),
        Urgency::None,
        "paused"
    );
    // an officer cannot supplement for the applicant
    assert!(matches!(
        w.act(
            &mut d,
            &officer(),
            Act::Supplement { note: "x".into() },
            "2026-03-04T10:00:00+07:00"
        ),
        Err(DossierError::Forbidden(_))
    ));
    // waiting Monday 10:00 → Wednesday 10:00: Tuesday is not counted
    w.act(
        &mut d,
        &person("citizen"),
        Act::Supplement {
            note: "Đã nộp".into(),
        },
        "2026-03-04T10:00:00+07:00",
    )
    .expect("supplemented");
    assert_eq!(d.status(), Status::Processing);
    assert_eq!(
        d.due,
        Some(at("2026-03-05T17:00:00+07:00")),
        "the due date moved by the pause"
    );
    assert!(matches!(
        w.act(
            &mut d,
            &officer(),
            Act::RequestSupplement {
                items: vec!["Thêm".into()]
            },
            "2026-03-04T11:00:00+07:00"
        ),
        Err(DossierError::Transition(TransitionError::SecondSupplement))
    ));
    // fees pause too
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::RequestFees { amount_vnd: 0 },
            "2026-03-04T11:00:00+07:00"
        )
        .is_err()
    );
    w.act(
        &mut d,
        &officer(),
        Act::RequestFees { amount_vnd: 8000 },
        "2026-03-04T11:00:00+07:00",
    )
    .expect("fees");
    assert_eq!(d.status(), Status::FinancialObligationRequested);
    // waiting Wednesday → Friday: Thursday is not counted
    w.act(
        &mut d,
        &person("citizen"),
        Act::PayFees,
        "2026-03-06T11:00:00+07:00",
    )
    .expect("paid");
    assert_eq!(d.due, Some(at("2026-03-06T17:00:00+07:00")));
}

#[test]
fn refusals_withdrawals_and_stops_are_final_with_their_reasons() {
    let w = world();
    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::RefuseIntake {
                reason: "  ".into()
            },
            "2026-03-02T09:00:00+07:00"
        )
        .is_err()
    );
    let n = w
        .act(
            &mut d,
            &officer(),
            Act::RefuseIntake {
                reason: "Không thuộc thẩm quyền".into(),
            },
            "2026-03-02T09:00:00+07:00",
        )
        .expect("refused")
        .expect("notice");
    assert_eq!(d.status(), Status::NotReceived);
    assert!(n.text_en.contains("Không thuộc thẩm quyền"));
    assert!(d.refusal.as_ref().is_some_and(|r| r.at_intake));
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::Receive,
            "2026-03-02T09:30:00+07:00"
        )
        .is_err()
    );
    assert!(
        w.act(&mut d, &officer(), Act::Claim, "2026-03-02T09:30:00+07:00")
            .is_err()
    );

    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    assert!(matches!(
        w.act(
            &mut d,
            &person("someone-else"),
            Act::Withdraw,
            "2026-03-02T09:00:00+07:00"
        ),
        Err(DossierError::Forbidden(_))
    ));
    w.act(
        &mut d,
        &person("citizen"),
        Act::Withdraw,
        "2026-03-02T09:00:00+07:00",
    )
    .expect("withdrawn");
    assert_eq!(d.status(), Status::Withdrawn);

    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    w.act(
        &mut d,
        &officer(),
        Act::Receive,
        "2026-03-02T09:00:00+07:00",
    )
    .expect("received");
    assert!(
        matches!(
            w.act(
                &mut d,
                &officer(),
                Act::Stop { reason: "x".into() },
                "2026-03-02T09:30:00+07:00"
            ),
            Err(DossierError::Forbidden(_))
        ),
        "a leader stops"
    );
    w.act(
        &mut d,
        &leader(),
        Act::Stop {
            reason: "Người yêu cầu đã mất".into(),
        },
        "2026-03-02T09:30:00+07:00",
    )
    .expect("stopped");
    assert_eq!(d.status(), Status::ProcessingStopped);

    // a refused outcome keeps its reasons (form 03)
    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    w.act(
        &mut d,
        &officer(),
        Act::Receive,
        "2026-03-02T09:00:00+07:00",
    )
    .expect("received");
    w.act(
        &mut d,
        &officer(),
        Act::StartProcessing,
        "2026-03-02T09:10:00+07:00",
    )
    .expect("started");
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::Propose {
                outcome: Outcome::Refused,
                summary: "x".into()
            },
            "2026-03-02T10:00:00+07:00"
        )
        .is_err(),
        "unassigned"
    );
    w.act(
        &mut d,
        &leader(),
        Act::Assign {
            subject: "o1".into(),
            name: "Officer o1".into(),
            person_id: None,
        },
        "2026-03-02T10:00:00+07:00",
    )
    .expect("assigned");
    assert!(
        w.act(
            &mut d,
            &staff("o2", Role::Officer, "UBND.25747"),
            Act::Claim,
            "2026-03-02T10:01:00+07:00"
        )
        .is_err(),
        "taken"
    );
    w.act(
        &mut d,
        &officer(),
        Act::Propose {
            outcome: Outcome::Refused,
            summary: "Không đủ điều kiện".into(),
        },
        "2026-03-02T10:05:00+07:00",
    )
    .expect("proposed");
    w.act(
        &mut d,
        &leader(),
        Act::SendBack {
            reason: "Xem lại".into(),
        },
        "2026-03-02T10:10:00+07:00",
    )
    .expect("sent back");
    assert!(d.proposal.is_none());
    assert!(
        w.act(&mut d, &leader(), Act::Approve, "2026-03-02T10:11:00+07:00")
            .is_err(),
        "nothing to approve"
    );
    w.act(
        &mut d,
        &officer(),
        Act::Propose {
            outcome: Outcome::Refused,
            summary: "Không đủ điều kiện".into(),
        },
        "2026-03-02T10:15:00+07:00",
    )
    .expect("proposed");
    let n = w
        .act(&mut d, &leader(), Act::Approve, "2026-03-02T10:20:00+07:00")
        .expect("approved")
        .expect("notice");
    assert!(
        n.text_vi.contains("từ chối (Không đủ điều kiện)"),
        "{}",
        n.text_vi
    );
    assert!(d.refusal.as_ref().is_some_and(|r| !r.at_intake));
}

#[test]
fn a_late_dossier_gets_an_apology_with_a_later_appointment() {
    let w = world();
    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::Apologise {
                reason: "x".into(),
                new_due: at("2026-03-20T17:00:00+07:00")
            },
            "2026-03-02T08:30:00+07:00"
        )
        .is_err(),
        "not received"
    );
    w.act(
        &mut d,
        &officer(),
        Act::Receive,
        "2026-03-02T09:00:00+07:00",
    )
    .expect("received");
    w.act(
        &mut d,
        &officer(),
        Act::StartProcessing,
        "2026-03-02T09:10:00+07:00",
    )
    .expect("started");
    assert_eq!(
        d.urgency(&w.calendar, at("2026-03-02T10:00:00+07:00")),
        Urgency::OnTime
    );
    assert_eq!(
        d.urgency(&w.calendar, at("2026-03-03T10:00:00+07:00")),
        Urgency::DueSoon
    );
    assert_eq!(
        d.urgency(&w.calendar, at("2026-03-04T18:00:00+07:00")),
        Urgency::Overdue
    );
    assert!(d.late(at("2026-03-04T18:00:00+07:00")));
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::Apologise {
                reason: "Chờ xác minh".into(),
                new_due: at("2026-03-04T12:00:00+07:00")
            },
            "2026-03-05T08:00:00+07:00"
        )
        .is_err(),
        "earlier than the missed one"
    );
    let n = w
        .act(
            &mut d,
            &officer(),
            Act::Apologise {
                reason: "Chờ xác minh".into(),
                new_due: at("2026-03-10T17:00:00+07:00"),
            },
            "2026-03-05T08:00:00+07:00",
        )
        .expect("apologised")
        .expect("notice");
    assert!(
        n.text_vi.contains("xin lỗi") && n.text_vi.contains("10/03/2026"),
        "{}",
        n.text_vi
    );
    assert_eq!(d.due, Some(at("2026-03-10T17:00:00+07:00")));
    assert_eq!(
        d.apologies[0].previous_due,
        Some(at("2026-03-04T17:00:00+07:00"))
    );
    w.act(
        &mut d,
        &leader(),
        Act::Propose {
            outcome: Outcome::Issued,
            summary: "OK".into(),
        },
        "2026-03-06T08:00:00+07:00",
    )
    .expect("proposed");
    w.act(&mut d, &leader(), Act::Approve, "2026-03-06T08:10:00+07:00")
        .expect("approved");
    assert_eq!(
        d.due,
        Some(at("2026-03-10T17:00:00+07:00")),
        "the new appointment stands"
    );
    assert!(
        d.late(at("2026-03-06T09:00:00+07:00")),
        "late against form 01 even after the apology"
    );
}

#[test]
fn acts_cannot_go_back_in_time_and_a_failed_act_changes_nothing() {
    let w = world();
    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    w.act(
        &mut d,
        &officer(),
        Act::Receive,
        "2026-03-02T09:00:00+07:00",
    )
    .expect("received");
    let before = d.clone();
    assert!(matches!(
        w.act(
            &mut d,
            &officer(),
            Act::StartProcessing,
            "2026-03-02T08:59:00+07:00"
        ),
        Err(DossierError::Invalid(_))
    ));
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::ReturnResult,
            "2026-03-02T10:00:00+07:00"
        )
        .is_err()
    );
    assert!(
        w.act(
            &mut d,
            &officer(),
            Act::Propose {
                outcome: Outcome::Issued,
                summary: "x".into()
            },
            "2026-03-02T10:00:00+07:00"
        )
        .is_err()
    );
    assert_eq!(d, before);
    // the whole dossier goes through JSON unchanged (the store keeps it so)
    let back: Dossier =
        serde_json::from_str(&serde_json::to_string(&d).expect("json")).expect("back");
    assert_eq!(back, d);
    let later = at("2026-03-02T09:00:00+07:00") + Duration::hours(1);
    assert!(
        d.act(
            &officer(),
            Act::StartProcessing,
            None,
            later,
            w.procedure(),
            &w.calendar
        )
        .is_ok()
    );
    assert_eq!(d.control.last().and_then(|c| c.comment.clone()), None);
}

#[test]
fn staff_do_not_handle_a_dossier_they_applied_for_or_that_names_them() {
    let w = family_world();
    // a leader of the competent agency applies there, online
    let me = staff_person("l1", Role::Leader, "079090000001");
    let mut d = w.file(
        Channel::Online,
        Actor {
            role: Role::Applicant,
            agency: None,
            ..me.clone()
        },
        "2026-03-02T08:00:00+07:00",
    );
    d.applicant.subject = "l1".into();
    d.form = json!({
        "place": COMMUNE,
        "parent": "079090000001",
        "other_parent": "079090000002",
        "child": "079226000003",
        "witness": "079090000004"
    })
    .as_object()
    .cloned()
    .expect("a form");
    let staff_acts = [
        Act::Receive,
        Act::RefuseIntake { reason: "x".into() },
        Act::Claim,
        Act::Assign {
            subject: "o1".into(),
            name: "Officer o1".into(),
            person_id: None,
        },
        Act::StartProcessing,
        Act::RequestSupplement {
            items: vec!["x".into()],
        },
        Act::RequestFees { amount_vnd: 1 },
        Act::Propose {
            outcome: Outcome::Issued,
            summary: "x".into(),
        },
        Act::Approve,
        Act::SendBack { reason: "x".into() },
        Act::Stop { reason: "x".into() },
        Act::Apologise {
            reason: "x".into(),
            new_due: at("2027-01-01T17:00:00+07:00"),
        },
        Act::ReturnResult,
    ];
    let refused = |d: &Dossier, who: &Actor, act: &Act| {
        let mut copy = d.clone();
        match w.act(&mut copy, who, act.clone(), "2026-03-02T09:00:00+07:00") {
            Err(DossierError::Forbidden(why)) => why,
            other => panic!(
                "{} by {} was not refused: {other:?}",
                act.code(),
                who.subject
            ),
        }
    };
    // as staff, by their account or by their number alone
    let by_number = staff_person("l1-other-account", Role::Leader, "079090000001");
    for who in [&me, &by_number] {
        for act in &staff_acts {
            let why = refused(&d, who, act);
            assert!(
                why.en.contains("your own application") && why.vi.contains("hồ sơ của chính bạn"),
                "{why}"
            );
        }
    }
    // the other parent and the child are the dossier's parties; a witness is not
    let spouse = staff_person("o9", Role::Officer, "079090000002");
    let child = staff_person("o8", Role::Officer, "079226000003");
    for who in [&spouse, &child] {
        for act in &staff_acts {
            let why = refused(&d, who, act);
            assert!(
                why.en.contains("is about you") && why.vi.contains("liên quan đến bạn"),
                "{why}"
            );
        }
    }
    let witness = staff_person("o7", Role::Officer, "079090000004");
    let colleague = staff_person("o1", Role::Officer, "079090000005");
    let other_leader = staff_person("l2", Role::Leader, "079090000006");
    for who in [&witness, &colleague] {
        let mut copy = d.clone();
        w.act(&mut copy, who, Act::Receive, "2026-03-02T09:00:00+07:00")
            .expect("a colleague receives it");
    }
    assert!(
        d.conflict(w.procedure(), "o1", Some("079090000005"))
            .is_none(),
        "a colleague has no conflict"
    );
    w.act(
        &mut d,
        &colleague,
        Act::Receive,
        "2026-03-02T09:00:00+07:00",
    )
    .expect("received");
    // never assigned to the applicant or a party
    for (subject, pin, why) in [
        ("l1", None, "is its applicant"),
        ("x", Some("079090000001"), "is its applicant"),
        ("o9", Some("079090000002"), "is a person it is about"),
        ("o8", Some("079226000003"), "is a person it is about"),
    ] {
        let e = w
            .act(
                &mut d,
                &other_leader,
                Act::Assign {
                    subject: subject.into(),
                    name: format!("Officer {subject}"),
                    person_id: pin.map(str::to_string),
                },
                "2026-03-02T09:05:00+07:00",
            )
            .expect_err("not assigned");
        assert!(e.to_string().contains(why), "{e}");
    }
    assert!(d.assignee.is_none());
    w.act(
        &mut d,
        &other_leader,
        Act::Assign {
            subject: "o1".into(),
            name: "Officer o1".into(),
            person_id: Some("079090000005".into()),
        },
        "2026-03-02T09:06:00+07:00",
    )
    .expect("assigned to a colleague");
    w.act(
        &mut d,
        &colleague,
        Act::StartProcessing,
        "2026-03-02T09:10:00+07:00",
    )
    .expect("processed by the colleague");
    // as its applicant, the leader still acts as any applicant does
    let as_applicant = Actor {
        role: Role::Applicant,
        agency: None,
        ..me.clone()
    };
    w.act(
        &mut d,
        &as_applicant,
        Act::Withdraw,
        "2026-03-02T09:20:00+07:00",
    )
    .expect("withdrawn by its applicant");
    assert_eq!(d.status(), Status::Withdrawn);
    // nor does an officer register, at a counter, a dossier of their own
    // or one that names them
    let mut counter = Filing {
        procedure: w.procedure().code.clone(),
        channel: Channel::InPerson,
        applicant: d.applicant.clone(),
        route: d.route.clone(),
        place: COMMUNE.into(),
        form: d.form.clone(),
        prefilled: Vec::new(),
        at: at("2026-03-03T09:00:00+07:00"),
        by: spouse.clone(),
    };
    let code = DossierCode::new(
        d.route.receiving.clone(),
        at("2026-03-03T09:00:00+07:00").date_naive(),
        2,
    )
    .expect("code");
    assert!(counter.conflict(w.procedure()).is_some());
    let e = Dossier::file(code.clone(), counter.clone(), w.procedure(), &w.calendar)
        .expect_err("not registered by a party");
    assert!(matches!(e, DossierError::Forbidden(_)), "{e}");
    counter.by = colleague.clone();
    assert!(counter.conflict(w.procedure()).is_none());
    Dossier::file(code, counter, w.procedure(), &w.calendar).expect("registered by a colleague");
}

#[test]
fn online_filings_cannot_take_the_numbers_kept_for_the_counter() {
    let w = world();
    let when = "2026-03-02T08:00:00+07:00";
    let filing = |channel: Channel, n: u16| {
        let by = if channel == Channel::InPerson {
            staff("o1", Role::Officer, "TTPVHCC.79")
        } else {
            person("citizen")
        };
        w.try_file(channel, by, when, n)
    };
    assert!(filing(Channel::Online, crate::LAST_ONLINE_SEQUENCE).is_ok());
    let e = filing(Channel::Online, crate::LAST_ONLINE_SEQUENCE + 1).expect_err("kept");
    assert!(
        matches!(e, DossierError::Code(CodeError::OnlineExhausted { .. })),
        "{e}"
    );
    assert!(filing(Channel::InPerson, crate::LAST_ONLINE_SEQUENCE + 1).is_ok());
    assert!(filing(Channel::Postal, crate::MAX_DAILY_SEQUENCE).is_ok());
}

#[test]
fn control_and_direction_characters_are_refused_in_what_staff_write() {
    let w = world();
    let mut d = w.file(
        Channel::Online,
        person("citizen"),
        "2026-03-02T08:00:00+07:00",
    );
    let before = d.clone();
    let e = w
        .act(
            &mut d,
            &officer(),
            Act::RefuseIntake {
                reason: "thiếu giấy tờ \u{202E}".into(),
            },
            "2026-03-02T09:00:00+07:00",
        )
        .expect_err("refused");
    assert!(e.to_string().contains("U+202E"), "{e}");
    let e = d
        .act(
            &officer(),
            Act::Receive,
            Some("ghi chú\u{0}"),
            at("2026-03-02T09:00:00+07:00"),
            w.procedure(),
            &w.calendar,
        )
        .expect_err("refused");
    assert!(e.to_string().contains("U+0000"), "{e}");
    assert_eq!(d, before, "nothing changed");
    // line breaks in a reason are kept
    w.act(
        &mut d,
        &officer(),
        Act::RefuseIntake {
            reason: "thiếu tờ khai;\nthiếu ảnh".into(),
        },
        "2026-03-02T09:00:00+07:00",
    )
    .expect("refused at intake with two lines");
}

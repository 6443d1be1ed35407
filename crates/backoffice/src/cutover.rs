//! The cut-over of a closed provincial portal: its export of in-flight
//! dossiers read line by line, and each dossier either made ready to be
//! kept under the 2025 units — routed to its competent agency under the
//! two-level model, with its status, its steps, its appointment and its
//! clock pauses as they were — or put on a review list with the reason a
//! person can act on. Nothing is guessed: an old commune that was split
//! between new communes goes to review with the communes it went to.
//!
//! An export is JSON lines, one dossier a line:
//!
//! ```json
//! {"HoSo": {"MaHoSo": "…", "MaTTHC": "…", "TrangThaiHoSo": "4", …},
//!  "TienDo": [{"MaHoSo": "…", "TrangThai": "4", "ThoiDiemXuLy": "…", …}],
//!  "DiaBan": {"MaTinh": "02", "MaHuyen": "026", "MaXa": "00715"}}
//! ```
//!
//! `HoSo` is the dossier as the portal sent it to the national portal
//! (`DongBoHoSoMC`), `TienDo` its processing steps (`CapNhatTienDoHoSoMC`),
//! `DiaBan` the old province, district and commune it was filed for. A CSV
//! export has one row a dossier, a column for each of `DongBoHoSoMC`'s
//! plain fields and for `MaTinh`, `MaHuyen` and `MaXa`, and the steps as a
//! JSON array in a `TienDo` column.

use calendar::WorkingCalendar;
use chrono::{DateTime, FixedOffset, NaiveDate};
use dossier::{
    Action, AgencyCode, Applicant, Catalog, Channel, ControlEntry, Dossier, DossierCode, Legacy,
    LegacyFile, Level, Lifecycle, Outcome, Procedure, Refusal, Role, Status, SupplementRequest,
    Timeline,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use units::Units;

use crate::inbox::{Verdict, by_status};
use crate::map::{Problem, Reported, ReportedStep, read_packet, read_step};
use crate::packet::{CapNhatTienDoHoSoMC, DongBoHoSoMC, from_json};

/// The old province, district and commune a dossier was filed for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OldPlace {
    /// `MaTinh`: the old province's code.
    #[serde(rename = "MaTinh", default)]
    pub province: String,
    /// `MaHuyen`: the old district's code.
    #[serde(rename = "MaHuyen", default)]
    pub district: String,
    /// `MaXa`: the old commune's code.
    #[serde(rename = "MaXa", default)]
    pub commune: String,
}

/// One dossier of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// The dossier, as the closed portal sent it.
    pub dossier: DongBoHoSoMC,
    /// Its processing steps.
    pub steps: Vec<CapNhatTienDoHoSoMC>,
    /// Where it was filed.
    pub place: OldPlace,
}

impl Exported {
    /// The line of a JSON lines export that holds it.
    pub fn to_line(&self) -> Value {
        serde_json::json!({
            "HoSo": self.dossier,
            "TienDo": self.steps,
            "DiaBan": self.place,
        })
    }
}

/// A problem of the line as a whole.
fn line_problem(reason: impl Into<String>) -> Vec<Problem> {
    vec![Problem {
        field: "line",
        reason: reason.into(),
    }]
}

/// One line of a JSON lines export; otherwise every problem of it, each
/// naming its field.
pub fn read_line(line: &str) -> Result<Exported, Vec<Problem>> {
    let value: Value = serde_json::from_str(line)
        .map_err(|e| line_problem(format!("the line is not JSON: {e}")))?;
    read_value(value)
}

fn read_value(value: Value) -> Result<Exported, Vec<Problem>> {
    let Value::Object(mut line) = value else {
        return Err(line_problem(
            "a line is an object with HoSo, TienDo and DiaBan",
        ));
    };
    let mut problems = Vec::new();
    let dossier = match line.remove("HoSo") {
        Some(v) => {
            let (packet, found) = from_json::<DongBoHoSoMC>(v);
            problems.extend(found);
            packet
        }
        None => {
            problems.push(Problem {
                field: "HoSo",
                reason: "the dossier (DongBoHoSoMC) is missing".into(),
            });
            None
        }
    };
    let mut steps = Vec::new();
    match line.remove("TienDo") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let (step, found) = from_json::<CapNhatTienDoHoSoMC>(item);
                problems.extend(found);
                steps.extend(step);
            }
        }
        Some(_) => problems.push(Problem {
            field: "TienDo",
            reason: "the steps are a list of CapNhatTienDoHoSoMC".into(),
        }),
    }
    let place = match line.remove("DiaBan") {
        None | Some(Value::Null) => OldPlace::default(),
        Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
            problems.push(Problem {
                field: "DiaBan",
                reason: format!("the place is {{MaTinh, MaHuyen, MaXa}}, as strings: {e}"),
            });
            OldPlace::default()
        }),
    };
    match dossier {
        Some(dossier) if problems.is_empty() => Ok(Exported {
            dossier,
            steps,
            place,
        }),
        _ => Err(problems),
    }
}

/// The columns of a CSV export that are not `DongBoHoSoMC`'s.
const PLACE_COLUMNS: [&str; 3] = ["MaTinh", "MaHuyen", "MaXa"];
/// The column of a CSV export that holds the steps, as a JSON array.
pub const STEPS_COLUMN: &str = "TienDo";

/// One row of a CSV export under `header`; otherwise every problem of it.
pub fn read_row(header: &[String], row: &[String]) -> Result<Exported, Vec<Problem>> {
    if header.len() != row.len() {
        return Err(line_problem(format!(
            "the row has {} fields, the header {}",
            row.len(),
            header.len()
        )));
    }
    let mut dossier = Map::new();
    let mut place = Map::new();
    let mut steps = Value::Null;
    for (name, value) in header.iter().zip(row) {
        let name = name.trim();
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if name == STEPS_COLUMN {
            steps = serde_json::from_str(value).map_err(|e| {
                vec![Problem {
                    field: "TienDo",
                    reason: format!("the steps are a JSON array of CapNhatTienDoHoSoMC: {e}"),
                }]
            })?;
        } else if PLACE_COLUMNS.contains(&name) {
            place.insert(name.to_string(), Value::String(value.to_string()));
        } else {
            dossier.insert(name.to_string(), Value::String(value.to_string()));
        }
    }
    read_value(serde_json::json!({
        "HoSo": dossier,
        "TienDo": steps,
        "DiaBan": place,
    }))
}

/// Why a dossier is put on the review list instead of being brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewKind {
    /// The line or the packet cannot be read.
    Unreadable,
    /// The procedure is not in the catalog.
    UnknownProcedure,
    /// The old commune was split: which new commune is for a person.
    SplitCommune,
    /// The place is missing or unknown.
    UnknownPlace,
    /// The steps or the status do not follow the lifecycle.
    Unlawful,
    /// The store refused it (its agency's day has no number left).
    Refused,
}

impl ReviewKind {
    /// Every kind.
    pub const ALL: [ReviewKind; 6] = [
        ReviewKind::Unreadable,
        ReviewKind::UnknownProcedure,
        ReviewKind::SplitCommune,
        ReviewKind::UnknownPlace,
        ReviewKind::Unlawful,
        ReviewKind::Refused,
    ];

    /// Its name in reports and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::Unreadable => "unreadable",
            ReviewKind::UnknownProcedure => "unknown_procedure",
            ReviewKind::SplitCommune => "split_commune",
            ReviewKind::UnknownPlace => "unknown_place",
            ReviewKind::Unlawful => "unlawful",
            ReviewKind::Refused => "refused",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<ReviewKind> {
        ReviewKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// A dossier for a person to look at before it is brought in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// Why, in short.
    pub kind: ReviewKind,
    /// Why, for the person who decides, naming the fields.
    pub reason: String,
    /// The new communes one of which is to be chosen (a split commune).
    pub candidates: Vec<String>,
}

impl Review {
    fn new(kind: ReviewKind, reason: impl Into<String>) -> Review {
        Review {
            kind,
            reason: reason.into(),
            candidates: Vec::new(),
        }
    }

    /// A review of `kind` for `problems`, each named by its field.
    pub fn of(kind: ReviewKind, problems: &[Problem]) -> Review {
        let reason = problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.reason))
            .collect::<Vec<_>>()
            .join("; ");
        Review::new(kind, reason)
    }
}

/// A dossier ready to be kept: the agency whose number of the day it
/// takes, and the dossier itself, which takes its code when numbered.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    /// The receiving agency (its code starts the new code).
    pub agency: AgencyCode,
    /// The day of receipt, whose numbers it takes.
    pub day: NaiveDate,
    /// The dossier, under a provisional code.
    pub dossier: Dossier,
}

impl Arrival {
    /// The dossier under its new `code`.
    pub fn under(&self, code: DossierCode) -> Dossier {
        Dossier {
            code,
            ..self.dossier.clone()
        }
    }

    /// The old code.
    pub fn old_code(&self) -> &str {
        self.dossier.legacy.as_ref().map_or("", |l| l.code.as_str())
    }
}

/// What becomes of one exported dossier.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// It is brought in.
    Arrive(Box<Arrival>),
    /// A person looks at it first.
    Review(Review),
}

/// What a person decided for a dossier on the review list: the new commune
/// (or province) it is filed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision<'a> {
    /// The place in force (a commune's five digits or a province's two).
    pub place: Option<&'a str>,
}

/// What `e`, exported by the closed portal of old province `source`,
/// becomes.
pub fn plan(
    e: &Exported,
    source: &str,
    decision: Decision<'_>,
    catalog: &Catalog,
    calendar: &WorkingCalendar<'_>,
) -> Plan {
    match arrive(e, source, decision, catalog, calendar) {
        Ok(a) => Plan::Arrive(Box::new(a)),
        Err(r) => Plan::Review(r),
    }
}

fn arrive(
    e: &Exported,
    source: &str,
    decision: Decision<'_>,
    catalog: &Catalog,
    calendar: &WorkingCalendar<'_>,
) -> Result<Arrival, Review> {
    let reported = read_packet(&e.dossier).map_err(|p| Review::of(ReviewKind::Unreadable, &p))?;
    let mut steps = Vec::new();
    for (i, s) in e.steps.iter().enumerate() {
        let step = read_step(s).map_err(|p| {
            let mut r = Review::of(ReviewKind::Unreadable, &p);
            r.reason = format!("TienDo {}: {}", i + 1, r.reason);
            r
        })?;
        if step.code != reported.code {
            return Err(Review::new(
                ReviewKind::Unreadable,
                format!(
                    "TienDo {}: the step is of dossier {:?}, the line's dossier is {:?}",
                    i + 1,
                    step.code,
                    reported.code
                ),
            ));
        }
        steps.push(step);
    }
    // the steps in the order they were done (a stable sort: steps at one
    // instant keep the export's order)
    steps.sort_by_key(|s| s.at);
    let procedure = catalog
        .referred(&e.dossier.ma_tthc, &e.dossier.ten_tthc)
        .ok_or_else(|| {
            Review::new(
                ReviewKind::UnknownProcedure,
                format!(
                    "MaTTHC: {:?} ({:?}) is not a procedure of the catalog, by its code, its \
                     code in the national database or its name",
                    e.dossier.ma_tthc, e.dossier.ten_tthc
                ),
            )
        })?;
    let place = place(procedure, &e.place, source, decision)?;
    let channel = reported.channel.unwrap_or(Channel::InPerson);
    let route = dossier::route(procedure, &place, channel, None)
        .map_err(|err| Review::new(ReviewKind::UnknownPlace, err.to_string()))?;
    let history = history(&reported, &steps, channel, source)?;
    let due = match reported.due {
        Some(due) => Some(due),
        None => procedure
            .due(calendar, &history.timeline, history.last)
            .map_err(|err| Review::new(ReviewKind::Unlawful, err.to_string()))?,
    };
    let applicant = applicant(&e.dossier, &reported, source);
    let legacy = Legacy {
        source: source.to_string(),
        code: reported.code.clone(),
        unit: e.dossier.don_vi_xu_ly.clone(),
        place: [
            e.place.province.clone(),
            e.place.district.clone(),
            e.place.commune.clone(),
        ],
        summary: e.dossier.trich_yeu_ho_so.clone(),
        files: files(&e.dossier),
    };
    let day = history.start.date_naive();
    let provisional = DossierCode::new(route.receiving.clone(), day, 1)
        .map_err(|err| Review::new(ReviewKind::UnknownPlace, err.to_string()))?;
    let fees: u64 = e
        .dossier
        .danh_sach_le_phi
        .iter()
        .filter_map(|f| f.gia)
        .sum();
    Ok(Arrival {
        agency: route.receiving.clone(),
        day,
        dossier: Dossier {
            code: provisional,
            procedure: procedure.code.clone(),
            channel,
            applicant,
            route,
            place,
            form: Map::new(),
            prefilled: Vec::new(),
            submitted_at: history.start,
            lifecycle: history.lifecycle,
            timeline: history.timeline,
            control: history.control,
            due,
            assignee: None,
            proposal: None,
            supplement: history.supplement,
            refusal: history.refusal,
            apologies: Vec::new(),
            fees_vnd: (fees > 0).then_some(fees),
            rating: None,
            seal: None,
            legacy: Some(legacy),
        },
    })
}

/// The place in force a dossier of `procedure` filed at `old` is for.
fn place(
    procedure: &Procedure,
    old: &OldPlace,
    source: &str,
    decision: Decision<'_>,
) -> Result<String, Review> {
    let units = Units::get();
    if let Some(chosen) = decision.place {
        return match procedure.level {
            Level::Commune if units.commune(chosen).is_some() => Ok(chosen.to_string()),
            Level::Commune => Err(Review::new(
                ReviewKind::UnknownPlace,
                format!("{chosen:?} is not a commune in force (five digits)"),
            )),
            _ if units.province(chosen).is_some() => Ok(chosen.to_string()),
            // a province's procedure chosen by one of its communes: the
            // province
            _ => units
                .commune(chosen)
                .map(|c| c.province_code.clone())
                .ok_or_else(|| {
                    Review::new(
                        ReviewKind::UnknownPlace,
                        format!("{chosen:?} is not a province or commune in force"),
                    )
                }),
        };
    }
    let commune = old.commune.trim();
    let legacy = (!commune.is_empty())
        .then(|| units.legacy_commune(commune))
        .flatten();
    if !commune.is_empty() && legacy.is_none() {
        return Err(Review::new(
            ReviewKind::UnknownPlace,
            format!("MaXa: {commune:?} is not a commune of before 1 July 2025"),
        ));
    }
    let province = old.province.trim();
    if let Some(c) = legacy {
        if !province.is_empty() && c.province_code != province {
            return Err(Review::new(
                ReviewKind::UnknownPlace,
                format!(
                    "MaXa: {} ({}) is a commune of old province {}, not of MaTinh {province}",
                    c.code, c.name, c.province_code
                ),
            ));
        }
        let district = old.district.trim();
        if !district.is_empty() && c.district_code != district {
            return Err(Review::new(
                ReviewKind::UnknownPlace,
                format!(
                    "MaXa: {} ({}) is a commune of old district {}, not of MaHuyen {district}",
                    c.code, c.name, c.district_code
                ),
            ));
        }
    }
    let successors = legacy.and_then(|c| units.successors(&c.code));
    match (procedure.level, successors) {
        (_, Some([one])) => Ok(match procedure.level {
            Level::Commune => one.commune_code.clone(),
            _ => one.province_code.clone(),
        }),
        (Level::Commune, Some(many)) if many.len() > 1 => Err(split(commune, many)),
        (_, Some(many))
            if many.len() > 1
                && many
                    .iter()
                    .all(|s| s.province_code == many[0].province_code) =>
        {
            Ok(many[0].province_code.clone())
        }
        (_, Some(many)) if many.len() > 1 => Err(split(commune, many)),
        (Level::Commune, _) => Err(Review::new(
            ReviewKind::UnknownPlace,
            if commune.is_empty() {
                "MaXa: a commune-level procedure is filed for a commune, and the commune is missing"
                    .to_string()
            } else {
                format!("MaXa: the official table gives commune {commune:?} no successor")
            },
        )),
        (_, _) => {
            let old = if province.is_empty() {
                source
            } else {
                province
            };
            units
                .successor_province(old)
                .map(|p| p.code.clone())
                .ok_or_else(|| {
                    Review::new(
                        ReviewKind::UnknownPlace,
                        format!("MaTinh: {old:?} is not a province of before 1 July 2025"),
                    )
                })
        }
    }
}

fn split(commune: &str, to: &[units::Successor]) -> Review {
    let units = Units::get();
    let names: Vec<String> = to
        .iter()
        .map(|s| {
            units.commune(&s.commune_code).map_or_else(
                || s.commune_code.clone(),
                |c| format!("{} {}", c.code, c.name),
            )
        })
        .collect();
    let old = units.legacy_commune(commune).map_or_else(
        || commune.to_string(),
        |c| format!("{commune} ({})", c.name),
    );
    Review {
        kind: ReviewKind::SplitCommune,
        reason: format!(
            "MaXa: commune {old} was split between {}: which one the dossier belongs to is \
             for a person to decide",
            names.join(", ")
        ),
        candidates: to.iter().map(|s| s.commune_code.clone()).collect(),
    }
}

/// The applicant: a person under their personal number (so that their
/// list finds the dossier once they log in), an organisation under its
/// tax code, anyone else under the old dossier.
fn applicant(p: &DongBoHoSoMC, r: &Reported, source: &str) -> Applicant {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let person = p
        .dinh_danh_chs
        .iter()
        .find(|d| d.loai_dinh_danh.as_deref() == Some("1") && digits(&d.so_dinh_danh, 12))
        .map(|d| d.so_dinh_danh.clone())
        .or_else(|| {
            let id = p.ma_doi_tuong.trim();
            (r.applicant_kind.unwrap_or(1) == 1 && digits(id, 12)).then(|| id.to_string())
        });
    let tax = p.ma_doi_tuong.trim();
    let subject = match (&person, r.applicant_kind) {
        (Some(pin), _) => format!("pin:{pin}"),
        (None, Some(2..=4)) if (10..=14).contains(&tax.len()) => format!("tax:{tax}"),
        _ => format!("cutover:{source}:{}", r.code),
    };
    let email = p.email.trim();
    Applicant {
        subject,
        name: if r.applicant.trim().is_empty() {
            "(không ghi tên)".to_string()
        } else {
            r.applicant.trim().to_string()
        },
        person_id: person,
        email: (email.contains('@') && !email.contains(char::is_whitespace))
            .then(|| email.to_string()),
    }
}

fn files(p: &DongBoHoSoMC) -> Vec<LegacyFile> {
    p.tai_lieu_nop
        .iter()
        .filter(|f| !f.duong_dan_tai_tep_tin.trim().is_empty())
        .map(|f| LegacyFile {
            name: f.ten_tep_dinh_kem.clone(),
            document: f.ma_thanh_phan_ho_so.clone(),
            url: f.duong_dan_tai_tep_tin.trim().to_string(),
            sha256: ["SHA256", "MaBam"]
                .iter()
                .find_map(|k| f.other.get(*k).and_then(Value::as_str))
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        })
        .collect()
}

/// A dossier's course, rebuilt from its steps and its last status.
struct History {
    start: DateTime<FixedOffset>,
    last: DateTime<FixedOffset>,
    lifecycle: Lifecycle,
    timeline: Timeline,
    control: Vec<ControlEntry>,
    supplement: Option<SupplementRequest>,
    refusal: Option<Refusal>,
}

/// The act on the control slip for a lifecycle's action.
fn act_code(a: Action) -> &'static str {
    match a {
        Action::Receive => "receive",
        Action::RefuseIntake => "refuse_intake",
        Action::StartProcessing => "start_processing",
        Action::RequestSupplement => "request_supplement",
        Action::Supplement => "supplement",
        Action::RequestFees => "request_fees",
        Action::PayFees => "pay_fees",
        Action::Withdraw => "withdraw",
        Action::Stop => "stop",
        Action::Complete(_) => "approve",
        Action::ReturnResult => "return_result",
    }
}

/// Who did a step of the old portal.
struct Hand<'a> {
    name: &'a str,
    comment: Option<String>,
}

impl History {
    fn entry(&mut self, at: DateTime<FixedOffset>, act: &str, from: Option<Status>, hand: &Hand) {
        let to = self.lifecycle.status();
        let applicant = matches!(act, "supplement" | "pay_fees" | "withdraw");
        self.control.push(ControlEntry {
            at,
            subject: String::new(),
            name: hand.name.to_string(),
            role: if applicant {
                Role::Applicant
            } else {
                Role::Officer
            },
            agency: None,
            act: act.to_string(),
            from,
            to,
            comment: hand.comment.clone(),
        });
    }

    /// Takes the dossier to `to` at `at` by the fewest lawful acts.
    fn go(
        &mut self,
        to: Status,
        outcome: Option<Outcome>,
        at: impl Fn(Action) -> DateTime<FixedOffset>,
        hand: &Hand,
    ) -> Result<(), Review> {
        let acts = match by_status(&self.lifecycle, to, outcome) {
            Verdict::Apply(acts) => acts,
            Verdict::Duplicate => {
                if hand.comment.is_some() {
                    let at = at(Action::StartProcessing).max(self.last);
                    self.entry(at, "progress", Some(to), hand);
                    self.last = at;
                }
                return Ok(());
            }
            _ => {
                return Err(Review::new(
                    ReviewKind::Unlawful,
                    format!(
                        "a dossier that is {} ({}) cannot become {} ({}) by any lawful act",
                        self.lifecycle.status().code(),
                        self.lifecycle.status().name_en(),
                        to.code(),
                        to.name_en()
                    ),
                ));
            }
        };
        for act in acts {
            let from = self.lifecycle.status();
            self.lifecycle
                .apply(act)
                .map_err(|e| Review::new(ReviewKind::Unlawful, e.to_string()))?;
            // a time before the last is read as the last: steps are in order
            let when = at(act).max(self.last);
            let status = self.lifecycle.status();
            self.timeline
                .record(when, status)
                .map_err(|e| Review::new(ReviewKind::Unlawful, e.to_string()))?;
            self.entry(when, act_code(act), Some(from), hand);
            self.last = when;
            match act {
                Action::RequestSupplement => {
                    self.supplement = Some(SupplementRequest {
                        at: when,
                        by: hand.name.to_string(),
                        items: hand.comment.iter().cloned().collect(),
                    });
                }
                Action::RefuseIntake | Action::Complete(Outcome::Refused) => {
                    self.refusal = Some(Refusal {
                        at: when,
                        by: hand.name.to_string(),
                        reason: hand.comment.clone().unwrap_or_default(),
                        at_intake: act == Action::RefuseIntake,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn history(
    r: &Reported,
    steps: &[ReportedStep],
    channel: Channel,
    source: &str,
) -> Result<History, Review> {
    // at a counter a dossier is filed as it is received
    let start = match channel {
        Channel::InPerson => r.received_at.or(r.filed_at),
        Channel::Online | Channel::Postal => r.filed_at.or(r.received_at),
    }
    .or_else(|| steps.first().map(|s| s.at))
    .ok_or_else(|| {
        Review::new(
            ReviewKind::Unreadable,
            "NgayNopHoSo, NgayTiepNhan: the dossier has no time of filing or of receipt, \
                 and no step",
        )
    })?;
    let lifecycle = Lifecycle::start(channel);
    let first = lifecycle.status();
    let mut h = History {
        start,
        last: start,
        timeline: Timeline::begin(start, first),
        lifecycle,
        control: Vec::new(),
        supplement: None,
        refusal: None,
    };
    // the closed portal, by its province's name
    let portal = match Units::get().legacy_province(source) {
        Some(p) => format!("Cổng dịch vụ công {}", p.name),
        None => format!("Cổng dịch vụ công tỉnh (mã {source})"),
    };
    h.entry(
        start,
        if first == Status::Received {
            "receive"
        } else {
            "submit"
        },
        None,
        &Hand {
            name: &portal,
            comment: None,
        },
    );
    let outcome = if r.refused_at.is_some() {
        Outcome::Refused
    } else {
        Outcome::Issued
    };
    // the packet's own times, for the acts it implies
    let at_of = |fallback: DateTime<FixedOffset>| {
        move |act: Action| match act {
            Action::Receive => r.received_at.unwrap_or(fallback),
            Action::RefuseIntake => r.refused_at.unwrap_or(fallback),
            Action::Complete(_) => r.processed_at.or(r.refused_at).unwrap_or(fallback),
            Action::ReturnResult => r.returned_at.unwrap_or(fallback),
            _ => fallback,
        }
    };
    for s in steps {
        let comment = s.content.trim();
        let hand = Hand {
            name: &s.handler,
            comment: (!comment.is_empty()).then(|| comment.to_string()),
        };
        // the acts a step implies happened when the packet says, if that
        // is not after the step
        let when = s.at;
        let packet = at_of(when);
        h.go(s.status, Some(outcome), |act| packet(act).min(when), &hand)?;
    }
    let last = h.last;
    h.go(
        r.status,
        Some(outcome),
        at_of(last),
        &Hand {
            name: &portal,
            comment: None,
        },
    )?;
    Ok(h)
}

#[cfg(test)]
mod tests;

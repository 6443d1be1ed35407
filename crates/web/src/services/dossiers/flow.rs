//! The flows of filing and acting on dossiers: who is acting (an
//! applicant's account, or an officer with the agencies they work for),
//! filing a dossier (validated, routed, numbered, stored with its first
//! notice) and acting on one (checked by `dossier::Dossier::act`, stored
//! under its version with the notice for the applicant).

use calendar::VIETNAM;
use chrono::{FixedOffset, Utc};
use dossier::{
    Act, Actor, AgencyCode, Applicant, Catalog, Channel, Dossier, DossierCode, FieldError, Filing,
    Notice, Procedure, Role, Said,
};
use identity::Holder;
use serde_json::{Map, Value};

use super::error::FlowError;

/// An account as stored: its holder, name and log-in.
pub type Account = store::Account;
use super::prefill;
use crate::services::exchange::writer::DossierFiling;
use crate::state::AppState;

/// The catalog in force.
pub(crate) fn catalog() -> Result<&'static Catalog, FlowError> {
    Catalog::official().map_err(|e| FlowError::Internal(e.to_string()))
}

/// A procedure by code.
pub(crate) fn procedure(code: &str) -> Result<&'static Procedure, FlowError> {
    catalog()?
        .get(code)
        .ok_or_else(|| FlowError::NotFound(format!("no procedure {code:?} in the catalog")))
}

/// The working-day calendar in force.
pub(crate) fn working_calendar() -> Result<calendar::WorkingCalendar<'static>, FlowError> {
    calendar::WorkingCalendar::official().map_err(|e| FlowError::Internal(e.to_string()))
}

/// Now, in Vietnam.
pub(crate) fn now() -> chrono::DateTime<FixedOffset> {
    Utc::now().with_timezone(&VIETNAM)
}

/// The account's subject as dossiers name it.
pub(crate) fn subject_of(account: &store::Account) -> String {
    account.holder.subject().to_string()
}

/// The account's personal identification number (a citizen's).
pub(crate) fn person_of(account: &store::Account) -> Option<String> {
    match &account.holder {
        Holder::Citizen(c) => Some(c.pin().to_string()),
        _ => None,
    }
}

/// The account as an applicant.
pub(crate) fn applicant_of(account: &store::Account, email: Option<String>) -> Applicant {
    Applicant {
        subject: subject_of(account),
        name: account.name.clone(),
        person_id: person_of(account),
        email,
    }
}

/// The subjects an account's dossiers are filed under: the account's, and
/// for a citizen the one an officer files under for a person without an
/// account (`pin:` and their number).
pub(crate) fn applicant_subjects(account: &store::Account) -> Vec<String> {
    let mut out = vec![subject_of(account)];
    if let Holder::Citizen(c) = &account.holder {
        out.push(format!("pin:{}", c.pin()));
    }
    out
}

/// The account's dossiers, newest first (those filed for them by an
/// officer included).
pub(crate) async fn dossiers_of(
    state: &AppState,
    account: &store::Account,
) -> Result<Vec<store::StoredDossier>, FlowError> {
    let subjects = applicant_subjects(account);
    let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
    Ok(state
        .store
        .dossiers()
        .dossiers_of_applicant(&subjects, 200)
        .await?)
}

/// Whether the account is the dossier's applicant.
pub(crate) fn is_applicant(account: &store::Account, dossier: &Dossier) -> bool {
    applicant_subjects(account).contains(&dossier.applicant.subject)
}

/// The account acting as the applicant.
pub(crate) fn as_applicant(account: &store::Account) -> Actor {
    Actor {
        subject: subject_of(account),
        name: account.name.clone(),
        role: Role::Applicant,
        agency: None,
        person_id: person_of(account),
    }
}

/// The agencies the account works for.
pub(crate) async fn staff_roles(
    state: &AppState,
    account: &store::Account,
) -> Result<Vec<(AgencyCode, Role)>, FlowError> {
    Ok(state
        .store
        .dossiers()
        .staff_roles(&subject_of(account))
        .await?)
}

/// How the account may act on `dossier`: as staff of its competent or
/// receiving agency (a leader's role first), and as its applicant — both
/// for someone on the staff who applied (`Dossier::act` then refuses them
/// every act of the staff, and allows those of an applicant). Refused when
/// neither.
pub(crate) async fn actors_for(
    state: &AppState,
    account: &store::Account,
    dossier: &Dossier,
) -> Result<Vec<Actor>, FlowError> {
    let roles = staff_roles(state, account).await?;
    actors_among(account, dossier, &roles)
}

/// [`actors_for`], the account's staff roles known.
fn actors_among(
    account: &store::Account,
    dossier: &Dossier,
    roles: &[(AgencyCode, Role)],
) -> Result<Vec<Actor>, FlowError> {
    let me = subject_of(account);
    let mut best: Option<(AgencyCode, Role)> = None;
    for (agency, role) in roles.iter().cloned() {
        if agency == dossier.route.competent || agency == dossier.route.receiving {
            let better = match &best {
                None => true,
                Some((a, r)) => {
                    (role == Role::Leader && *r != Role::Leader)
                        || (role == *r && agency == dossier.route.competent && *a != agency)
                }
            };
            if better {
                best = Some((agency, role));
            }
        }
    }
    let mut actors = Vec::with_capacity(2);
    if let Some((agency, role)) = best {
        actors.push(Actor {
            subject: me,
            name: account.name.clone(),
            role,
            agency: Some(agency),
            person_id: person_of(account),
        });
    }
    if is_applicant(account, dossier) {
        actors.push(Actor {
            // the dossier names the applicant as it was filed
            subject: dossier.applicant.subject.clone(),
            ..as_applicant(account)
        });
    }
    if actors.is_empty() {
        return Err(FlowError::Forbidden(Said::new(
            "Hồ sơ này chỉ người nộp và cán bộ của các cơ quan giải quyết được xem",
            "this dossier is seen only by its applicant and the staff of the agencies handling it",
        )));
    }
    Ok(actors)
}

/// `actors` (see [`actors_for`]) try `act` on a copy of `dossier`, in
/// order: the dossier as the first allowed left it, and who did it; or the
/// reason it was refused — a rule broken rather than a role missing, when
/// both are said.
fn act_as(
    actors: &[Actor],
    dossier: &Dossier,
    act: &Act,
    comment: Option<&str>,
    at: chrono::DateTime<FixedOffset>,
    procedure: &Procedure,
    calendar: &calendar::WorkingCalendar<'_>,
) -> Result<(Dossier, Option<Notice>, Actor), dossier::DossierError> {
    let mut refusal: Option<dossier::DossierError> = None;
    for actor in actors {
        let mut d = dossier.clone();
        match d.act(actor, act.clone(), comment, at, procedure, calendar) {
            Ok(notice) => return Ok((d, notice, actor.clone())),
            Err(e) => {
                let forbidden = matches!(e, dossier::DossierError::Forbidden(_));
                if refusal
                    .as_ref()
                    .is_none_or(|r| !forbidden && matches!(r, dossier::DossierError::Forbidden(_)))
                {
                    refusal = Some(e);
                }
            }
        }
    }
    Err(refusal.unwrap_or_else(|| {
        dossier::DossierError::Forbidden(Said::new(
            "Không ai được thao tác trên hồ sơ này",
            "nobody may act on this dossier",
        ))
    }))
}

/// Whether `actors` may do `act` on `dossier` now (tried on a copy).
pub(crate) fn may(
    actors: &[Actor],
    dossier: &Dossier,
    act: &Act,
    procedure: &Procedure,
    calendar: &calendar::WorkingCalendar<'_>,
) -> bool {
    let at = now().max(dossier.control.last().map_or_else(now, |c| c.at));
    act_as(actors, dossier, act, None, at, procedure, calendar).is_ok()
}

/// What an applicant files.
pub(crate) struct Application {
    /// The procedure's code.
    pub procedure: String,
    /// The form as typed (prefilled fields are filled again from the
    /// registry, whatever was sent).
    pub form: Map<String, Value>,
    /// Where to e-mail notices.
    pub email: Option<String>,
}

fn check_email(email: Option<String>) -> Result<Option<String>, FlowError> {
    let Some(e) = email
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
    else {
        return Ok(None);
    };
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == ',' || c == ';')
        && dossier::forbidden_char(&e, false).is_none();
    if ok {
        Ok(Some(e))
    } else {
        Err(FlowError::Form(vec![FieldError {
            field: "email".into(),
            reason_vi: "Địa chỉ thư điện tử không hợp lệ".into(),
            reason_en: "the e-mail address is not valid".into(),
        }]))
    }
}

/// Files an application online for `account`: the form is checked, the
/// prefilled fields are read again from the registry (through the
/// exchange, logged with the new dossier's code as the case), the
/// dossier is routed to the competent agency, numbered in its sequence
/// and stored with the applicant's first notice.
pub(crate) async fn file_online(
    state: &AppState,
    account: &store::Account,
    app: Application,
) -> Result<store::StoredDossier, FlowError> {
    let applicant = applicant_of(account, check_email(app.email.clone())?);
    file(
        state,
        app,
        applicant,
        Channel::Online,
        as_applicant(account),
        None,
    )
    .await
}

/// An agency's name in Vietnamese (its code when it has none).
fn agency_vi(code: &AgencyCode) -> String {
    dossier::agency_name(code).map_or_else(|| code.to_string(), |n| n.vi)
}

/// Who an officer files for at a counter or from the post.
pub(crate) struct Intake {
    /// At a counter, or from the post.
    pub channel: Channel,
    /// The applicant's personal identification number (from their card).
    pub applicant_pin: String,
    /// Their name as on the card (the account's name when they have one).
    pub applicant_name: Option<String>,
    /// The service centre receiving at its counter (`None`: the
    /// competent agency's own counter, or the post).
    pub centre: Option<AgencyCode>,
}

/// An officer registers a dossier handed in at a counter (received at
/// once, with its appointment) or arrived by post (to be received). The
/// officer must work for the receiving agency.
pub(crate) async fn file_for(
    state: &AppState,
    officer: &store::Account,
    app: Application,
    intake: Intake,
) -> Result<store::StoredDossier, FlowError> {
    if intake.channel == Channel::Online {
        return Err(FlowError::Invalid(Said::new(
            "Cán bộ đăng ký hồ sơ nộp tại quầy hoặc qua bưu chính",
            "an officer registers dossiers handed in at a counter (in_person) or by post (postal)",
        )));
    }
    let pin: domain::PersonalId = intake.applicant_pin.trim().parse().map_err(|e| {
        FlowError::Form(vec![FieldError {
            field: "applicant_pin".into(),
            reason_vi: format!("Số định danh cá nhân không hợp lệ: {e}"),
            reason_en: format!("the personal identification number: {e}"),
        }])
    })?;
    let key = identity::LoginId::Pin(pin).key();
    let account = state.store.accounts().account_by_login(&key).await?;
    let email = check_email(app.email.clone())?;
    let applicant = match &account {
        Some(a) => applicant_of(a, email),
        None => Applicant {
            // no eID account: the dossier is found by its code, and joins
            // the person's account if they open one
            subject: format!("pin:{pin}"),
            name:
                intake
                    .applicant_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| {
                        FlowError::Form(vec![FieldError {
                            field: "applicant_name".into(),
                            reason_vi:
                                "Người nộp chưa có tài khoản định danh: ghi họ tên theo căn cước"
                                    .into(),
                            reason_en:
                                "the applicant has no eID account: give their name as on their card"
                                    .into(),
                        }])
                    })
                    .and_then(|name| match dossier::text_refusal(name, false) {
                        Some((vi, en)) => Err(FlowError::Form(vec![FieldError {
                            field: "applicant_name".into(),
                            reason_vi: format!("Họ tên người nộp: {vi}"),
                            reason_en: format!("the applicant's name: {en}"),
                        }])),
                        None => Ok(name),
                    })?
                    .to_string(),
            person_id: Some(pin.to_string()),
            email,
        },
    };
    let roles = staff_roles(state, officer).await?;
    let by = |agency: &AgencyCode| -> Result<Actor, FlowError> {
        roles
            .iter()
            .find(|(a, _)| a == agency)
            .map(|(a, role)| Actor {
                subject: subject_of(officer),
                name: officer.name.clone(),
                role: *role,
                agency: Some(a.clone()),
                person_id: person_of(officer),
            })
            .ok_or_else(|| {
                FlowError::Forbidden(Said::new(
                    format!(
                        "Chỉ cán bộ của {} đăng ký hồ sơ cơ quan đó tiếp nhận",
                        agency_vi(agency)
                    ),
                    format!("only the staff of {agency} register dossiers it receives"),
                ))
            })
    };
    let procedure = procedure(&app.procedure)?;
    let place = place_of(&app.form);
    let route = route_of(procedure, &place, intake.channel, intake.centre.as_ref())?;
    let actor = by(&route.receiving)?;
    file(state, app, applicant, intake.channel, actor, intake.centre).await
}

fn place_of(form: &Map<String, Value>) -> String {
    form.get("place")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn route_of(
    procedure: &Procedure,
    place: &str,
    channel: Channel,
    centre: Option<&AgencyCode>,
) -> Result<dossier::Route, FlowError> {
    dossier::route(procedure, place, channel, centre).map_err(|e| {
        FlowError::Form(vec![FieldError {
            field: "place".into(),
            reason_vi: format!("Nơi nộp hồ sơ: {}", e.reason_vi()),
            reason_en: format!("the place of filing: {e}"),
        }])
    })
}

/// Seconds from `at` until the next day begins in Vietnam (when an
/// agency's numbers and a person's filings of the day start again).
fn until_tomorrow(at: chrono::DateTime<FixedOffset>) -> u64 {
    let next = at
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(VIETNAM).single());
    next.map_or(3600, |t| {
        u64::try_from((t - at).num_seconds()).unwrap_or(3600).max(1)
    })
}

/// The limits a filing through `channel` by `by` (for `applicant`, at
/// `agency` on the day of `at`) must pass, checked before anything is read
/// for it: the account's filings this minute; online, the agency's filings
/// this minute and the account's dossiers there today; and the numbers
/// left to the channel today (the store's numbering decides in the end).
async fn check_limits(
    state: &AppState,
    by: &Actor,
    applicant: &Applicant,
    channel: Channel,
    agency: &AgencyCode,
    at: chrono::DateTime<FixedOffset>,
) -> Result<(), FlowError> {
    let limits = &state.filing;
    let quota = limits.quota;
    let instant = std::time::Instant::now();
    let wait = |d: std::time::Duration| d.as_secs().max(1);
    limits
        .per_account
        .hit(by.subject.clone(), instant)
        .map_err(|d| {
            FlowError::TooMany(
                format!(
                    "this account has filed {} dossiers in the last minute, the most it may: \
                     try again in {} s",
                    quota.account_per_minute,
                    wait(d)
                ),
                wait(d),
            )
        })?;
    if channel == Channel::Online {
        limits
            .per_agency
            .hit(agency.to_string(), instant)
            .map_err(|d| {
                FlowError::TooMany(
                    format!(
                        "{agency} has received {} dossiers online in the last minute, the most \
                         it takes: try again in {} s",
                        quota.agency_per_minute,
                        wait(d)
                    ),
                    wait(d),
                )
            })?;
    }
    let mut day = filing_day(state, agency, at, &applicant.subject).await?;
    if state.reports_upstream()
        && channel != Channel::Online
        && day.last_number < dossier::LAST_ONLINE_SEQUENCE
    {
        // the online numbers of the day are the national portal's, which
        // receives the online filings and delivers them here
        state
            .store
            .dossiers()
            .reserve_numbers(agency, at.date_naive(), dossier::LAST_ONLINE_SEQUENCE)
            .await?;
        day.last_number = dossier::LAST_ONLINE_SEQUENCE;
    }
    if channel == Channel::Online && day.online_by_applicant >= quota.account_per_agency_day {
        return Err(FlowError::TooMany(
            format!(
                "{} dossiers filed online with {agency} today is the most one account may: \
                 file again tomorrow, or at the counter",
                quota.account_per_agency_day
            ),
            until_tomorrow(at),
        ));
    }
    numbers_left(agency, at, channel, day.last_number)
}

/// `applicant`'s day at `agency` (the day of `at`): as recently read, or
/// read now ([`FilingDays`](super::days::FilingDays)).
async fn filing_day(
    state: &AppState,
    agency: &AgencyCode,
    at: chrono::DateTime<FixedOffset>,
    applicant: &str,
) -> Result<store::FilingDay, FlowError> {
    let days = &state.filing.days;
    let now = std::time::Instant::now();
    let date = at.date_naive();
    if let Some(known) = days.known(agency, date, applicant, now) {
        return Ok(known);
    }
    let read = state
        .store
        .dossiers()
        .filing_day(agency, date, applicant)
        .await?;
    days.read(agency, date, applicant, read, now);
    Ok(read)
}

/// Refuses a filing through `channel` when `agency`'s day (of `at`) has
/// given `last` numbers, and none is left to that channel.
fn numbers_left(
    agency: &AgencyCode,
    at: chrono::DateTime<FixedOffset>,
    channel: Channel,
    last: u16,
) -> Result<(), FlowError> {
    if last < dossier::last_sequence(channel) {
        return Ok(());
    }
    let e = if channel == Channel::Online && last < dossier::MAX_DAILY_SEQUENCE {
        dossier::CodeError::OnlineExhausted {
            agency: agency.to_string(),
            day: at.date_naive(),
        }
    } else {
        dossier::CodeError::Exhausted {
            agency: agency.to_string(),
            day: at.date_naive(),
        }
    };
    Err(FlowError::UsedUp(e.to_string(), until_tomorrow(at)))
}

/// Files a dossier through `channel`, registered by `by`: the limits
/// first, then the registry's reads, the form, and the number.
async fn file(
    state: &AppState,
    app: Application,
    applicant: Applicant,
    channel: Channel,
    by: Actor,
    centre: Option<AgencyCode>,
) -> Result<store::StoredDossier, FlowError> {
    let procedure = procedure(&app.procedure)?;
    let schema = procedure.schema();
    let mut form = app.form;
    let at = now();
    // what the applicant sent, before anything is routed, counted or read:
    // every error at once (the fields the registry fills aside)
    if let Err(errors) = schema.validate(&Value::Object(form.clone()), at.date_naive()) {
        let theirs: Vec<FieldError> = errors
            .into_iter()
            .filter(|e| schema.field(&e.field).is_none_or(|f| f.prefill.is_none()))
            .collect();
        if !theirs.is_empty() {
            return Err(FlowError::Form(theirs));
        }
    }
    let place = place_of(&form);
    let route = route_of(procedure, &place, channel, centre.as_ref())?;
    let calendar = working_calendar()?;
    let mut filing = Filing {
        procedure: procedure.code.clone(),
        channel,
        applicant,
        route,
        place,
        form: Map::new(),
        prefilled: Vec::new(),
        at,
        by,
    };
    // an officer does not register their own application
    if let Some(why) = filing.conflict(procedure) {
        return Err(FlowError::Forbidden(why));
    }
    // nothing is read for a filing the limits refuse
    let receiving = filing.route.receiving.clone();
    let subject = filing.applicant.subject.clone();
    check_limits(
        state,
        &filing.by,
        &filing.applicant,
        channel,
        &receiving,
        at,
    )
    .await?;
    // the registry's values, read before the number is taken (a refusal
    // or an unreachable registry takes no number)
    let read = prefill::read(state, procedure, filing.applicant.person_id.as_deref()).await?;
    // what the state holds is the state's to fill, whatever was typed
    for (k, v) in &read.values {
        form.insert(k.clone(), Value::String(v.clone()));
    }
    // a read that served no dossier is logged under the draft it filled
    let draft = format!("draft {}", procedure.code);
    if let Err(errors) = schema.validate(&Value::Object(form.clone()), at.date_naive()) {
        prefill::log(state, &read, &draft).await;
        return Err(FlowError::Form(errors));
    }
    filing.form = form;
    filing.prefilled = read.values.keys().cloned().collect();
    // nor one that names them
    if let Some(why) = filing.conflict(procedure) {
        prefill::log(state, &read, &draft).await;
        return Err(FlowError::Forbidden(why));
    }
    let make = move |code: DossierCode| {
        let d = Dossier::file(code, filing.clone(), procedure, &calendar)
            .map_err(|e| store::StoreError::refused(e.to_string()))?;
        let (vi, en) = match channel {
            Channel::Online => (
                "đã được nộp trực tuyến, chờ tiếp nhận.".to_string(),
                "was filed online and awaits receipt.".to_string(),
            ),
            Channel::Postal => (
                "đã đến qua bưu chính, chờ tiếp nhận.".to_string(),
                "arrived by post and awaits receipt.".to_string(),
            ),
            Channel::InPerson => (
                format!(
                    "đã được tiếp nhận tại quầy.{}",
                    d.due
                        .map(|t| format!(" Hẹn trả kết quả: {}.", t.format("%H:%M %d/%m/%Y")))
                        .unwrap_or_default()
                ),
                format!(
                    "was received at the counter.{}",
                    d.due
                        .map(|t| format!(" Result due: {}.", t.format("%d/%m/%Y %H:%M")))
                        .unwrap_or_default()
                ),
            ),
        };
        let notice = Notice {
            status: d.status(),
            text_vi: format!("Hồ sơ {} ({}) {vi}", d.code, procedure.name_vi),
            text_en: format!("Dossier {} ({}) {en}", d.code, procedure.name_en),
        };
        Ok((d, Some(notice)))
    };
    // numbered, stored with its notice and its reads logged under its
    // code in one commit (shared with the dossiers filed meanwhile)
    let stored = state
        .exchange
        .log
        .file(DossierFiling {
            agency: receiving.clone(),
            day: at.date_naive(),
            at: at.with_timezone(&Utc),
            make: Box::new(make),
            reads: read.records,
            draft,
        })
        .await;
    match stored {
        Ok(stored) => {
            state
                .filing
                .days
                .filed(&stored.dossier.code, &subject, channel == Channel::Online);
            Ok(stored)
        }
        // the numbering refused it: the day's numbers left to the channel
        // went meanwhile, or another reason the store gives
        Err(e) if e.kind() == store::ErrorKind::Refused => {
            let reason = Said::new(
                format!("Hồ sơ không được chấp nhận: {}", e.context()),
                e.context().to_string(),
            );
            let last = state
                .store
                .dossiers()
                .filing_day(&receiving, at.date_naive(), "")
                .await?
                .last_number;
            numbers_left(&receiving, at, channel, last)?;
            Err(FlowError::Invalid(reason))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whom a dossier of `competent` can be assigned to: its staff who hold
/// an account (their name is the account's).
pub(crate) async fn assignable(
    state: &AppState,
    competent: &AgencyCode,
) -> Result<Vec<store::StaffMember>, FlowError> {
    let mut staff = state.store.dossiers().agency_staff(competent).await?;
    staff.retain(|m| !m.name.is_empty());
    Ok(staff)
}

/// `account` does `act` on dossier `code` (with `comment`), if the
/// dossier is still at `version` when given: the dossier now, and how
/// `account` may act on it ([`actors_for`]).
pub(crate) async fn act(
    state: &AppState,
    account: &store::Account,
    code: &str,
    act: Act,
    comment: Option<&str>,
    version: Option<i64>,
) -> Result<(store::StoredDossier, Vec<Actor>), FlowError> {
    let (code, stored) = stored_dossier(state, code).await?;
    if let Some(v) = version
        && v != stored.version
    {
        return Err(FlowError::Conflict(format!(
            "dossier {code} changed since it was shown (version {v}, now {}): look at it again",
            stored.version
        )));
    }
    let actors = actors_for(state, account, &stored.dossier).await?;
    let act = match act {
        // a leader assigns to someone on the competent agency's staff,
        // named as their account names them, known by their number
        Act::Assign { subject, .. } if actors.iter().any(|a| a.role == Role::Leader) => {
            let competent = &stored.dossier.route.competent;
            let subject = subject.trim();
            let member = assignable(state, competent)
                .await?
                .into_iter()
                .find(|m| m.subject == subject)
                .ok_or_else(|| {
                    FlowError::Invalid(Said::new(
                        format!(
                            "«{subject}» không phải cán bộ của {}: hồ sơ được giao cho cán bộ \
                             của cơ quan có thẩm quyền",
                            agency_vi(competent)
                        ),
                        format!(
                            "{subject:?} is not an officer of {competent}: a dossier is assigned \
                             to someone on its competent agency's staff"
                        ),
                    ))
                })?;
            let person_id = match identity::SubjectId::parse(&member.subject) {
                Ok(id) => state
                    .store
                    .accounts()
                    .account(id)
                    .await?
                    .as_ref()
                    .and_then(person_of),
                Err(_) => None,
            };
            Act::Assign {
                subject: member.subject,
                name: member.name,
                person_id,
            }
        }
        other => other,
    };
    let procedure = procedure(&stored.dossier.procedure)?;
    let calendar = working_calendar()?;
    let at = now().max(stored.dossier.control.last().map_or_else(now, |c| c.at));
    let (mut d, notice, _) = act_as(
        &actors,
        &stored.dossier,
        &act,
        comment,
        at,
        procedure,
        &calendar,
    )
    .map_err(|e| match e {
        dossier::DossierError::Forbidden(why) => FlowError::Forbidden(why),
        other => FlowError::Invalid(other.said()),
    })?;
    // the result is sealed when it is issued, by the key in force then
    match super::result::issued(&d) {
        Some(issued) if d.seal.is_none() => d.seal = Some(super::result::seal(state, &d, &issued)),
        Some(_) => {}
        None => d.seal = None,
    }
    let now = state
        .store
        .dossiers()
        .update_dossier(&d, stored.version, notice.as_ref(), at.with_timezone(&Utc))
        .await?;
    Ok((now, actors))
}

/// `account` attaches a file for `document` of dossier `code`: its
/// applicant while it is newly registered or a supplement is asked for,
/// or the staff of its agencies (scanning at the counter) until it is
/// being processed.
pub(crate) async fn attach(
    state: &AppState,
    account: &store::Account,
    code: &str,
    document: &str,
    name: &str,
    declared: Option<&str>,
    content: &[u8],
) -> Result<store::StoredAttachment, FlowError> {
    let (stored, actors) = load_for(state, account, code).await?;
    let d = &stored.dossier;
    let procedure = procedure(&d.procedure)?;
    if !actors.iter().any(|a| may_attach(a, d, procedure)) {
        if let Some(why) = actors
            .iter()
            .filter(|a| a.role != Role::Applicant)
            .find_map(|a| d.conflict(procedure, &a.subject, a.person_id.as_deref()))
            && !actors.iter().any(|a| a.role == Role::Applicant)
        {
            return Err(FlowError::Forbidden(why));
        }
        return Err(FlowError::Invalid(Said::new(
            format!(
                "Chỉ đính kèm tệp khi hồ sơ mới đăng ký hoặc đang được yêu cầu bổ sung; hồ sơ đang «{}»",
                d.status().name_vi()
            ),
            format!(
                "files are attached while the dossier is newly registered or a supplement is asked for; it is {}",
                d.status().name_en()
            ),
        )));
    }
    let checked = dossier::check_attachment(procedure, document, name, declared, content).map_err(
        |e| match e {
            dossier::AttachmentError::Name | dossier::AttachmentError::NameCharacter(_) => {
                FlowError::Form(vec![FieldError {
                    field: "name".into(),
                    reason_vi: e.reason_vi(),
                    reason_en: e.to_string(),
                }])
            }
            other => FlowError::Invalid(Said::new(other.reason_vi(), other.to_string())),
        },
    )?;
    Ok(state
        .store
        .dossiers()
        .put_attachment(&d.code, &checked, content, Utc::now())
        .await?)
}

/// Whether `actor` attaches files to `d` now: its applicant while it is
/// newly registered or a supplement is asked for; its agencies' staff
/// (scanning at the counter) until it is being processed, unless it is
/// their own.
pub(crate) fn may_attach(actor: &Actor, d: &Dossier, procedure: &Procedure) -> bool {
    use dossier::Status;
    match actor.role {
        Role::Applicant => matches!(
            d.status(),
            Status::NewlyRegistered | Status::SupplementRequested
        ),
        Role::Officer | Role::Leader => {
            matches!(
                d.status(),
                Status::NewlyRegistered | Status::Received | Status::SupplementRequested
            ) && d
                .conflict(procedure, &actor.subject, actor.person_id.as_deref())
                .is_none()
        }
    }
}

/// A dossier by code, and how `account` may act on it (refused if not at
/// all; see [`actors_for`]).
pub(crate) async fn load_for(
    state: &AppState,
    account: &store::Account,
    code: &str,
) -> Result<(store::StoredDossier, Vec<Actor>), FlowError> {
    load_knowing(state, account, code, None).await
}

/// [`load_for`], with the account's staff roles when this request has
/// read them already (for the page's header), instead of reading them
/// again.
pub(crate) async fn load_knowing(
    state: &AppState,
    account: &store::Account,
    code: &str,
    roles: Option<&[(AgencyCode, Role)]>,
) -> Result<(store::StoredDossier, Vec<Actor>), FlowError> {
    let (_, stored) = stored_dossier(state, code).await?;
    let actors = match roles {
        Some(roles) => actors_among(account, &stored.dossier, roles)?,
        None => actors_for(state, account, &stored.dossier).await?,
    };
    Ok((stored, actors))
}

/// The dossier of `code` (as given) and the code parsed; not found when
/// the code is malformed or names no dossier.
async fn stored_dossier(
    state: &AppState,
    code: &str,
) -> Result<(DossierCode, store::StoredDossier), FlowError> {
    let parsed = DossierCode::parse(code).map_err(|e| FlowError::NotFound(e.to_string()))?;
    let stored = state
        .store
        .dossiers()
        .dossier(&parsed)
        .await?
        .ok_or_else(|| FlowError::NotFound(format!("no dossier {code}")))?;
    Ok((parsed, stored))
}

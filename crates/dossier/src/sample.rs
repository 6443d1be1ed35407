//! A dossier taken through its whole course, for demonstrations and
//! measurements: filed online by an applicant at 08:00 of a day, then
//! received (09:00), processing (10:00), proposed for issue (11:00),
//! approved (12:00) and its result returned (13:00) by the receiving
//! agency's staff — six processing steps.

use chrono::{NaiveDate, TimeZone};

use crate::{
    Act, Actor, AgencyCode, Applicant, Channel, Dossier, DossierCode, DossierError, Filing,
    Outcome, Procedure, Role, Route,
};

/// `code` of `procedure`, filed online with `agency` at 08:00 of `day`.
pub fn filed(
    code: DossierCode,
    agency: &AgencyCode,
    province: &str,
    procedure: &Procedure,
    calendar: &calendar::WorkingCalendar,
    day: NaiveDate,
) -> Result<Dossier, DossierError> {
    course(code, agency, province, procedure, calendar, day, false)
}

/// `code` of `procedure`, received and decided by `agency` on `day`,
/// taken to its returned result.
pub fn returned(
    code: DossierCode,
    agency: &AgencyCode,
    province: &str,
    procedure: &Procedure,
    calendar: &calendar::WorkingCalendar,
    day: NaiveDate,
) -> Result<Dossier, DossierError> {
    course(code, agency, province, procedure, calendar, day, true)
}

fn course(
    code: DossierCode,
    agency: &AgencyCode,
    province: &str,
    procedure: &Procedure,
    calendar: &calendar::WorkingCalendar,
    day: NaiveDate,
    to_the_end: bool,
) -> Result<Dossier, DossierError> {
    let at = |h: u32| {
        let time = day.and_hms_opt(h, 0, 0).unwrap_or_default();
        calendar::VIETNAM
            .from_local_datetime(&time)
            .single()
            .unwrap_or_else(|| calendar::VIETNAM.from_utc_datetime(&time))
    };
    let applicant = Actor {
        subject: "mau".into(),
        name: "Nguyễn Văn An".into(),
        role: Role::Applicant,
        agency: None,
        person_id: None,
    };
    let staff = |role: Role| Actor {
        subject: format!("{}-{role:?}", agency),
        name: "Trần Thị Bình".into(),
        role,
        agency: Some(agency.clone()),
        person_id: None,
    };
    let mut d = Dossier::file(
        code,
        Filing {
            procedure: procedure.code.clone(),
            channel: Channel::Online,
            applicant: Applicant {
                subject: applicant.subject.clone(),
                name: applicant.name.clone(),
                person_id: None,
                email: None,
            },
            route: Route {
                competent: agency.clone(),
                receiving: agency.clone(),
                province: province.to_string(),
            },
            // a commune's people's committee receives in its commune
            place: agency
                .as_str()
                .strip_prefix("UBND.")
                .unwrap_or_default()
                .to_string(),
            form: serde_json::Map::new(),
            prefilled: Vec::new(),
            at: at(8),
            by: applicant,
        },
        procedure,
        calendar,
    )?;
    if !to_the_end {
        return Ok(d);
    }
    for (role, act, h) in [
        (Role::Officer, Act::Receive, 9),
        (Role::Officer, Act::StartProcessing, 10),
        (
            Role::Leader,
            Act::Propose {
                outcome: Outcome::Issued,
                summary: "Đủ điều kiện".into(),
            },
            11,
        ),
        (Role::Leader, Act::Approve, 12),
        (Role::Officer, Act::ReturnResult, 13),
    ] {
        d.act(&staff(role), act, None, at(h), procedure, calendar)?;
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_reaches_its_returned_result_in_six_steps() {
        let catalog = crate::Catalog::official().expect("the catalog");
        let calendar = calendar::WorkingCalendar::official().expect("the calendar");
        let procedure = catalog.get("dang-ky-tam-tru").expect("a procedure");
        let agency = AgencyCode::parse("UBND.00004").expect("an agency");
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("a day");
        let code = DossierCode::new(agency.clone(), day, 1).expect("a code");
        let d = returned(code, &agency, "01", procedure, &calendar, day).expect("returned");
        assert_eq!(d.status(), crate::Status::ResultReturned);
        assert_eq!(d.control.len(), 6);
        let d = filed(d.code.clone(), &agency, "01", procedure, &calendar, day).expect("filed");
        assert_eq!(d.status(), crate::Status::NewlyRegistered);
        assert_eq!(d.control.len(), 1);
    }
}

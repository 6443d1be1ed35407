//! Routing under the two-level local government: a dossier goes to the
//! competent agency for its procedure and the place the applicant chose —
//! the commune's (People's Committee, police …) for a commune-level
//! procedure, the province's department for a province-level one, the
//! central body for the others — and any public administrative service
//! centre of the same province may receive it at its counter.
//!
//! Agency codes: `<AUTHORITY>.<commune or province code>` (e.g.
//! `UBND.25747`, `TUPHAP.79`), a central body's `<AUTHORITY>` alone;
//! service centres `TTPVHCC.<commune or province code>`.

use serde::{Deserialize, Serialize};
use units::Units;

use crate::catalog::{Level, Procedure};
use crate::code::AgencyCode;
use crate::lifecycle::Channel;

/// The prefix of service centres' codes.
pub const SERVICE_CENTRE: &str = "TTPVHCC";

/// Where a dossier goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The agency that decides.
    pub competent: AgencyCode,
    /// The agency that received it (its code starts the dossier's code).
    pub receiving: AgencyCode,
    /// The province.
    pub province: String,
}

/// Why a dossier cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutingError {
    /// A commune-level procedure filed with something else than a commune.
    #[error("{0:?} is not a commune code in force (5 digits, e.g. 25747)")]
    NotCommune(String),
    /// A province-level procedure filed with something else than a province.
    #[error("{0:?} is not a province code in force (2 digits, e.g. 79)")]
    NotProvince(String),
    /// A receiving centre that is not a service centre.
    #[error(
        "{0:?} is not a public administrative service centre (TTPVHCC.<commune or province code>)"
    )]
    NotCentre(String),
    /// A centre of another province.
    #[error(
        "the service centre {centre} is in province {centre_province}; a dossier of province {province} is received by a centre of that province"
    )]
    OtherProvince {
        /// The centre.
        centre: String,
        /// Its province.
        centre_province: String,
        /// The dossier's province.
        province: String,
    },
    /// An authority that makes no agency code.
    #[error("the procedure's authority {0:?} makes no agency code")]
    Authority(String),
}

/// The province of a commune or province code in force.
pub fn province_of(place: &str) -> Option<String> {
    let units = Units::get();
    match place.len() {
        5 => units.commune(place).map(|c| c.province_code.clone()),
        2 => units.province(place).map(|p| p.code.clone()),
        _ => None,
    }
}

fn agency(authority: &str, place: Option<&str>) -> Result<AgencyCode, RoutingError> {
    let prefix: String = authority
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let code = match place {
        Some(p) => format!("{prefix}.{p}"),
        None => prefix,
    };
    AgencyCode::parse(&code).map_err(|_| RoutingError::Authority(authority.to_string()))
}

/// The agency of `procedure` at the commune or province `code`, with the
/// province it lies in.
fn local(
    procedure: &Procedure,
    code: &str,
    province: &str,
) -> Result<(AgencyCode, String), RoutingError> {
    Ok((
        agency(&procedure.authority, Some(code))?,
        province.to_string(),
    ))
}

/// The competent agency and province of `procedure` filed at `place`.
pub fn competent(procedure: &Procedure, place: &str) -> Result<(AgencyCode, String), RoutingError> {
    let units = Units::get();
    match procedure.level {
        Level::Commune => {
            let commune = units
                .commune(place)
                .ok_or_else(|| RoutingError::NotCommune(place.to_string()))?;
            local(procedure, &commune.code, &commune.province_code)
        }
        Level::Province => {
            let province = units
                .province(place)
                .ok_or_else(|| RoutingError::NotProvince(place.to_string()))?;
            local(procedure, &province.code, &province.code)
        }
        Level::Ministry => {
            let province =
                province_of(place).ok_or_else(|| RoutingError::NotProvince(place.to_string()))?;
            Ok((agency(&procedure.authority, None)?, province))
        }
    }
}

/// The service centre with `code`'s province.
pub fn centre_province(centre: &AgencyCode) -> Result<String, RoutingError> {
    centre
        .as_str()
        .strip_prefix(SERVICE_CENTRE)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(province_of)
        .ok_or_else(|| RoutingError::NotCentre(centre.to_string()))
}

/// Routes a dossier of `procedure` filed at `place` through `channel`:
/// online and by post it is received by the competent agency itself; at
/// a counter by `centre`, which must be a service centre of the same
/// province (`None`: the competent agency's own counter).
pub fn route(
    procedure: &Procedure,
    place: &str,
    channel: Channel,
    centre: Option<&AgencyCode>,
) -> Result<Route, RoutingError> {
    let (competent, province) = competent(procedure, place)?;
    let receiving = match (channel, centre) {
        (Channel::InPerson, Some(centre)) => {
            let centre_province = centre_province(centre)?;
            if centre_province != province {
                return Err(RoutingError::OtherProvince {
                    centre: centre.to_string(),
                    centre_province,
                    province,
                });
            }
            centre.clone()
        }
        _ => competent.clone(),
    };
    Ok(Route {
        competent,
        receiving,
        province,
    })
}

impl RoutingError {
    /// The reason in Vietnamese, for the person filing.
    pub fn reason_vi(&self) -> String {
        match self {
            RoutingError::NotCommune(p) => {
                format!("«{p}» không phải là xã, phường, đặc khu đang có hiệu lực")
            }
            RoutingError::NotProvince(p) => {
                format!("«{p}» không phải là tỉnh, thành phố đang có hiệu lực")
            }
            RoutingError::NotCentre(c) => {
                format!("«{c}» không phải là Trung tâm Phục vụ hành chính công")
            }
            RoutingError::OtherProvince {
                centre,
                centre_province,
                province,
            } => format!(
                "Trung tâm {centre} thuộc tỉnh {centre_province}; hồ sơ của tỉnh {province} do trung tâm của tỉnh đó tiếp nhận"
            ),
            RoutingError::Authority(a) => {
                format!("Thủ tục không xác định được cơ quan giải quyết («{a}»)")
            }
        }
    }
}

/// An agency's name in both languages, as people read it on a dossier, a
/// slip or the workbench.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyName {
    /// In Vietnamese.
    pub vi: String,
    /// In English.
    pub en: String,
}

/// The bodies agency codes are made of (the code's prefix): the body's
/// name in Vietnamese, and in English with `{}` where the unit's name goes.
const BODIES: &[(&str, &str, &str)] = &[
    ("UBND", "Ủy ban nhân dân", "People's Committee of {}"),
    (
        SERVICE_CENTRE,
        "Trung tâm Phục vụ hành chính công",
        "Public Administrative Service Centre of {}",
    ),
    ("CONGAN", "Công an", "Police of {}"),
    (
        "XUATNHAPCANH",
        "Phòng Quản lý xuất nhập cảnh, Công an",
        "Immigration Office, Police of {}",
    ),
    ("NOIVU", "Sở Nội vụ", "Department of Home Affairs of {}"),
    ("TAICHINH", "Sở Tài chính", "Department of Finance of {}"),
    ("TUPHAP", "Sở Tư pháp", "Department of Justice of {}"),
    ("BHXH", "Bảo hiểm xã hội", "Social Security of {}"),
];

/// The name of the agency `code`: its body and the commune or province it
/// serves (`Ủy ban nhân dân phường Hồng Hà`); `None` for a code of no
/// known body or unit.
pub fn agency_name(code: &AgencyCode) -> Option<AgencyName> {
    let (prefix, place) = code.as_str().split_once('.')?;
    let (_, vi, en) = BODIES.iter().find(|(p, _, _)| *p == prefix)?;
    let units = Units::get();
    let unit = match place.len() {
        5 => units.commune(place).map(|c| c.name.as_str()),
        2 => units.province(place).map(|p| p.name.as_str()),
        _ => None,
    }?;
    // after the body, the unit's kind is written in lower case
    let mut chars = unit.chars();
    let lowered: String = chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default();
    Some(AgencyName {
        vi: format!("{vi} {lowered}"),
        en: en.replace("{}", unit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    #[test]
    fn every_routing_error_has_a_vietnamese_reason() {
        let errors = [
            RoutingError::NotCommune("00001".into()),
            RoutingError::NotProvince("99".into()),
            RoutingError::NotCentre("UBND.01".into()),
            RoutingError::OtherProvince {
                centre: "TTPVHCC.01".into(),
                centre_province: "01".into(),
                province: "79".into(),
            },
            RoutingError::Authority("?".into()),
        ];
        for e in errors {
            let vi = e.reason_vi();
            assert_ne!(vi, e.to_string());
            assert!(!vi.contains(" is ") && !vi.contains(" the "), "{vi}");
        }
    }

    #[test]
    fn agencies_are_named_by_body_and_unit() {
        let name = |code: &str| agency_name(&AgencyCode::parse(code).expect("code"));
        let hong_ha = name("UBND.00097").expect("a commune's committee");
        assert_eq!(hong_ha.vi, "Ủy ban nhân dân phường Hồng Hà");
        assert_eq!(hong_ha.en, "People's Committee of Phường Hồng Hà");
        let centre = name("TTPVHCC.01").expect("a province's centre");
        assert_eq!(
            centre.vi,
            "Trung tâm Phục vụ hành chính công thành phố Hà Nội"
        );
        assert_eq!(
            centre.en,
            "Public Administrative Service Centre of Thành phố Hà Nội"
        );
        assert_eq!(
            name("CONGAN.00097").map(|n| n.vi).as_deref(),
            Some("Công an phường Hồng Hà")
        );
        for unknown in [
            "UBND.99999",
            "UBND.1",
            "KHONGCO.00097",
            "UBND",
            "UBND.00001",
        ] {
            assert_eq!(name(unknown), None, "{unknown}");
        }
        // every agency a procedure of the catalog is routed to has a name
        let catalog = Catalog::official().expect("the official catalog");
        let commune = a_commune_of("79");
        for p in catalog.procedures() {
            let place = match p.level {
                Level::Commune => commune.clone(),
                _ => "79".to_string(),
            };
            let r = route(p, &place, Channel::Online, None).expect("routed");
            if p.level != Level::Ministry {
                assert!(
                    agency_name(&r.competent).is_some(),
                    "{}: {}",
                    p.code,
                    r.competent
                );
            }
        }
    }

    fn procedure(level: Level, authority: &str) -> Procedure {
        let catalog = Catalog::official().expect("the official catalog");
        let mut p = catalog.procedures()[0].clone();
        p.level = level;
        p.authority = authority.to_string();
        p
    }

    fn a_commune_of(province: &str) -> String {
        Units::get()
            .communes_of(province)
            .and_then(|mut c| c.next())
            .map(|c| c.code.clone())
            .expect("a commune")
    }

    #[test]
    fn commune_level_goes_to_the_commune() {
        let people_committee = procedure(Level::Commune, "ubnd");
        let commune_police = procedure(Level::Commune, "cong-an");
        let commune = a_commune_of("79");
        let r = route(&people_committee, &commune, Channel::Online, None).expect("routed");
        assert_eq!(r.competent.as_str(), format!("UBND.{commune}"));
        assert_eq!(r.receiving, r.competent);
        assert_eq!(r.province, "79");
        let police = route(&commune_police, &commune, Channel::Postal, None).expect("routed");
        assert_eq!(police.competent.as_str(), format!("CONGAN.{commune}"));
        assert!(matches!(
            route(&people_committee, "79", Channel::Online, None),
            Err(RoutingError::NotCommune(_))
        ));
        assert!(matches!(
            route(&people_committee, "99999", Channel::Online, None),
            Err(RoutingError::NotCommune(_))
        ));
    }

    #[test]
    fn province_level_goes_to_the_department() {
        let justice = procedure(Level::Province, "tu-phap");
        let foreign_affairs = procedure(Level::Ministry, "bo-ngoai-giao");
        let r = route(&justice, "01", Channel::Online, None).expect("routed");
        assert_eq!(r.competent.as_str(), "TUPHAP.01");
        assert!(matches!(
            route(&justice, &a_commune_of("01"), Channel::Online, None),
            Err(RoutingError::NotProvince(_))
        ));
        let central = route(&foreign_affairs, "01", Channel::Online, None).expect("routed");
        assert_eq!(central.competent.as_str(), "BONGOAIGIAO");
        assert_eq!(central.province, "01");
    }

    #[test]
    fn any_centre_of_the_province_receives_at_its_counter() {
        let people_committee = procedure(Level::Commune, "ubnd");
        let justice = procedure(Level::Province, "tu-phap");
        let commune = a_commune_of("79");
        let other_commune_centre =
            AgencyCode::parse(&format!("{SERVICE_CENTRE}.{}", a_commune_of("79"))).expect("code");
        let province_centre = AgencyCode::parse("TTPVHCC.79").expect("code");
        for centre in [&other_commune_centre, &province_centre] {
            let r = route(&people_committee, &commune, Channel::InPerson, Some(centre))
                .expect("routed");
            assert_eq!(&r.receiving, centre);
            assert_eq!(r.competent.as_str(), format!("UBND.{commune}"));
        }
        let hanoi = AgencyCode::parse("TTPVHCC.01").expect("code");
        assert!(matches!(
            route(&people_committee, &commune, Channel::InPerson, Some(&hanoi)),
            Err(RoutingError::OtherProvince { .. })
        ));
        let not_centre = AgencyCode::parse("UBND.01").expect("code");
        assert!(matches!(
            route(&justice, "79", Channel::InPerson, Some(&not_centre)),
            Err(RoutingError::NotCentre(_))
        ));
        // online, a centre named is ignored: the competent agency receives
        let r = route(&justice, "79", Channel::Online, Some(&hanoi)).expect("routed");
        assert_eq!(r.receiving.as_str(), "TUPHAP.79");
    }
}

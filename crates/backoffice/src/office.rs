//! A connected back office, as configured: which province's system it is,
//! which units (`madonvi`) it reports for, and how dossiers filed on the
//! national portal reach it (pushed to its endpoint, or pulled by it).
//!
//! [`Office::check`] reads a configuration and names every problem of it
//! at once, each by its field; whether the province exists is the caller's
//! to say (the units are data, not this crate's).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::map::Problem;

/// The most units one back office reports for (a province's departments
/// and its communes' one-stop counters).
pub const MAX_UNITS: usize = 5000;

/// How dossiers filed on the national portal reach a back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// Posted to its endpoint, signed, retried until acknowledged.
    #[default]
    Push,
    /// Read by it from a feed, and acknowledged.
    Pull,
}

impl Delivery {
    /// As configured and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Push => "push",
            Delivery::Pull => "pull",
        }
    }

    /// Read back from [`Delivery::as_str`].
    pub fn parse(s: &str) -> Option<Delivery> {
        match s {
            "push" => Some(Delivery::Push),
            "pull" => Some(Delivery::Pull),
            _ => None,
        }
    }
}

/// A back office's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Office {
    /// Its id, which is also the user name it logs in with.
    pub id: String,
    /// What people call it.
    pub name: String,
    /// The code of the province whose system it is.
    pub province: String,
    /// The units it reports for (`madonvi`), and whose dossiers it is
    /// sent.
    pub units: BTreeSet<String>,
    /// Where dossiers are pushed to it (required for push).
    pub endpoint: Option<String>,
    /// Push or pull.
    pub delivery: Delivery,
    /// The keys its calls over motcua's own profile are signed with
    /// (`/api/v1/integration/signed`), beside those the exchange's
    /// configuration lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<OfficeKey>,
}

/// A key a back office signs its calls with: the exchange member it signs
/// as (`VN/GOV/<agency>/<back office id>`), the key's id and its Ed25519
/// public key (64 hex digits), as `motcua backoffice key` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeKey {
    /// The member it signs as; its last part is the back office's id.
    pub member: String,
    /// The key's id, as its signatures name it.
    pub key_id: String,
    /// The Ed25519 public key, 64 hex digits.
    pub public_key: String,
}

/// At most this many keys per back office (the one in use and those
/// being rotated in or out).
pub const MAX_KEYS: usize = 4;

/// A configuration as given, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// See [`Office::id`].
    pub id: String,
    /// See [`Office::name`].
    pub name: String,
    /// See [`Office::province`].
    pub province: String,
    /// See [`Office::units`].
    pub units: Vec<String>,
    /// See [`Office::endpoint`].
    pub endpoint: Option<String>,
    /// See [`Office::delivery`].
    pub delivery: Delivery,
    /// See [`Office::keys`].
    pub keys: Vec<OfficeKey>,
}

fn id_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

fn unit_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// Whether `endpoint` is an address this platform posts to: https, or
/// http to this machine (a back office on the same host, or a test).
fn endpoint_problem(endpoint: &str) -> Option<String> {
    let rest = if let Some(rest) = endpoint.strip_prefix("https://") {
        rest
    } else if let Some(rest) = endpoint.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Some(format!(
                "{endpoint:?} is plain http to another machine: dossiers carry personal data, \
                 so give its https address"
            ));
        }
        rest
    } else {
        return Some(format!(
            "{endpoint:?} is not an https address (https://host/path)"
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || rest.contains(char::is_whitespace) || rest.contains('@') {
        return Some(format!(
            "{endpoint:?} is not an address: give https://host/path, without spaces or a user"
        ));
    }
    None
}

impl Office {
    /// Checks `draft`: every problem at once, each naming its field.
    pub fn check(draft: Draft) -> Result<Office, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &'static str, reason: String| {
            problems.push(Problem { field, reason });
        };
        let id = draft.id.trim().to_string();
        if !(3..=64).contains(&id.len()) || !id.chars().all(id_char) || id.starts_with('-') {
            problem(
                "id",
                format!(
                    "{id:?}: an id is 3 to 64 lower-case letters, digits or '-', \
                     not starting with '-' (for example tuyen-quang-igate)"
                ),
            );
        }
        let name = draft.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            problem(
                "name",
                "give the back office's name, at most 200 characters".to_string(),
            );
        }
        let province = draft.province.trim().to_string();
        if province.len() != 2 || !province.chars().all(|c| c.is_ascii_digit()) {
            problem(
                "province",
                format!("{province:?}: a province's code is two digits (for example 08)"),
            );
        }
        let mut units = BTreeSet::new();
        for unit in &draft.units {
            let unit = unit.trim();
            if unit.is_empty() || unit.len() > 64 || !unit.chars().all(unit_char) {
                problem(
                    "units",
                    format!(
                        "{unit:?}: a unit's code (madonvi) is 1 to 64 letters, digits, '.', '-' \
                         or '_' (for example 000.00.00.H56)"
                    ),
                );
            } else {
                units.insert(unit.to_string());
            }
        }
        if draft.units.is_empty() {
            problem(
                "units",
                "give at least one unit (madonvi) the back office reports for".to_string(),
            );
        } else if units.len() > MAX_UNITS {
            problem(
                "units",
                format!("at most {MAX_UNITS} units, got {}", units.len()),
            );
        }
        let endpoint = draft
            .endpoint
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty());
        match (&endpoint, draft.delivery) {
            (None, Delivery::Push) => problem(
                "endpoint",
                "dossiers are pushed to a back office's endpoint: give its https address, \
                 or choose pull"
                    .to_string(),
            ),
            (Some(e), _) => {
                if let Some(reason) = endpoint_problem(e) {
                    problem("endpoint", reason);
                }
            }
            (None, Delivery::Pull) => {}
        }
        let mut keys = Vec::new();
        for k in &draft.keys {
            let key = OfficeKey {
                member: k.member.trim().to_string(),
                key_id: k.key_id.trim().to_string(),
                public_key: k.public_key.trim().to_ascii_lowercase(),
            };
            let parts: Vec<&str> = key.member.split('/').collect();
            if parts.len() != 4 || parts.iter().any(|p| p.is_empty()) || parts[3] != id {
                problem(
                    "keys",
                    format!(
                        "{:?}: a back office signs as the member VN/GOV/<agency>/{id}, its \
                         last part being its id",
                        key.member
                    ),
                );
            }
            if key.key_id.is_empty()
                || key.key_id.len() > 128
                || !key.key_id.chars().all(|c| c.is_ascii_graphic())
            {
                problem(
                    "keys",
                    format!(
                        "{:?}: a key id is 1 to 128 printable ASCII characters",
                        key.key_id
                    ),
                );
            }
            if key.public_key.len() != 64 || !key.public_key.chars().all(|c| c.is_ascii_hexdigit())
            {
                problem(
                    "keys",
                    format!(
                        "the public key of {:?} is not 64 hex digits (an Ed25519 key, as \
                         motcua backoffice key prints it)",
                        key.key_id
                    ),
                );
            }
            if keys.iter().any(|k: &OfficeKey| k.key_id == key.key_id) {
                problem(
                    "keys",
                    format!("the key id {:?} is given twice", key.key_id),
                );
            }
            keys.push(key);
        }
        if keys.len() > MAX_KEYS {
            problem(
                "keys",
                format!("at most {MAX_KEYS} keys, got {}", keys.len()),
            );
        }
        if problems.is_empty() {
            Ok(Office {
                id,
                name,
                province,
                units,
                endpoint,
                delivery: draft.delivery,
                keys,
            })
        } else {
            Err(problems)
        }
    }

    /// Whether it reports for `unit`.
    pub fn serves(&self, unit: &str) -> bool {
        self.units.contains(unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            id: "tuyen-quang-igate".into(),
            name: "Hệ thống một cửa tỉnh Tuyên Quang".into(),
            province: "08".into(),
            units: vec!["000.00.00.H56".into(), " 000.00.01.H56 ".into()],
            endpoint: Some("https://motcua.tuyenquang.gov.vn/lien-thong".into()),
            delivery: Delivery::Push,
            keys: Vec::new(),
        }
    }

    #[test]
    fn a_key_is_the_back_offices_own_with_an_ed25519_public_key() {
        let key = |member: &str, id: &str, public: &str| OfficeKey {
            member: member.into(),
            key_id: id.into(),
            public_key: public.into(),
        };
        let good = "ab".repeat(32);
        let office = Office::check(Draft {
            keys: vec![key(
                " VN/GOV/000.00.00.H56/tuyen-quang-igate ",
                "k1",
                &good.to_ascii_uppercase(),
            )],
            ..draft()
        })
        .expect("valid");
        assert_eq!(
            office.keys[0].member,
            "VN/GOV/000.00.00.H56/tuyen-quang-igate"
        );
        assert_eq!(office.keys[0].public_key, good);
        for bad in [
            vec![key("VN/GOV/000.00.00.H56/ha-giang-igate", "k1", &good)],
            vec![key("tuyen-quang-igate", "k1", &good)],
            vec![key("VN/GOV/000.00.00.H56/tuyen-quang-igate", "", &good)],
            vec![key("VN/GOV/000.00.00.H56/tuyen-quang-igate", "k 1", &good)],
            vec![key("VN/GOV/000.00.00.H56/tuyen-quang-igate", "k1", "abcd")],
            vec![key(
                "VN/GOV/000.00.00.H56/tuyen-quang-igate",
                "k1",
                &"zz".repeat(32),
            )],
            vec![
                key("VN/GOV/000.00.00.H56/tuyen-quang-igate", "k1", &good),
                key("VN/GOV/000.00.00.H56/tuyen-quang-igate", "k1", &good),
            ],
            (0..5)
                .map(|i| {
                    key(
                        "VN/GOV/000.00.00.H56/tuyen-quang-igate",
                        &format!("k{i}"),
                        &good,
                    )
                })
                .collect(),
        ] {
            assert_eq!(
                fields(Draft {
                    keys: bad.clone(),
                    ..draft()
                }),
                ["keys"],
                "{bad:?}"
            );
        }
    }

    fn fields(draft: Draft) -> Vec<&'static str> {
        match Office::check(draft) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.iter().map(|p| p.field).collect(),
        }
    }

    #[test]
    fn a_configuration_is_read_with_its_units_trimmed() {
        let office = Office::check(draft()).expect("valid");
        assert_eq!(office.id, "tuyen-quang-igate");
        assert!(office.serves("000.00.01.H56"));
        assert!(!office.serves("000.00.02.H56"));
        assert_eq!(office.units.len(), 2);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = Draft {
            id: "TQ".into(),
            name: " ".into(),
            province: "8".into(),
            units: vec!["a b".into()],
            endpoint: None,
            delivery: Delivery::Push,
            keys: Vec::new(),
        };
        assert_eq!(
            fields(bad),
            vec!["id", "name", "province", "units", "endpoint"]
        );
    }

    #[test]
    fn a_pull_office_needs_no_endpoint_but_a_push_one_does() {
        let mut d = draft();
        d.endpoint = None;
        assert_eq!(fields(d.clone()), vec!["endpoint"]);
        d.delivery = Delivery::Pull;
        assert!(fields(d).is_empty());
    }

    #[test]
    fn endpoints_are_https_or_this_machine() {
        for (endpoint, ok) in [
            ("https://a.gov.vn/x", true),
            ("http://127.0.0.1:8080/x", true),
            ("http://localhost/x", true),
            ("http://a.gov.vn/x", false),
            ("ftp://a.gov.vn", false),
            ("https://", false),
            ("https://user@a.gov.vn/", false),
            ("https://a .gov.vn/", false),
        ] {
            let mut d = draft();
            d.endpoint = Some(endpoint.into());
            assert_eq!(fields(d).is_empty(), ok, "{endpoint}");
        }
    }

    #[test]
    fn ids_are_lower_case_words() {
        for (id, ok) in [
            ("ha-noi", true),
            ("abc", true),
            ("ab", false),
            ("-abc", false),
            ("Ha-Noi", false),
            ("hà-nội", false),
            (&"a".repeat(65), false),
        ] {
            let mut d = draft();
            d.id = id.to_string();
            assert_eq!(fields(d).is_empty(), ok, "{id}");
        }
    }

    #[test]
    fn no_unit_is_a_problem() {
        let mut d = draft();
        d.units.clear();
        assert_eq!(fields(d), vec!["units"]);
    }

    #[test]
    fn delivery_reads_back() {
        for d in [Delivery::Push, Delivery::Pull] {
            assert_eq!(Delivery::parse(d.as_str()), Some(d));
        }
        assert_eq!(Delivery::parse("both"), None);
    }
}

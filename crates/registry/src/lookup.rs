//! Ranking candidates for a lookup by name, birth date and commune. The
//! storage layer selects candidates by [`name_key`] and orders them by
//! [`score`].

use domain::CommuneCode;
use serde::{Deserialize, Serialize};

use crate::date::PartialDate;
use crate::person::{HouseholdId, Person};

/// The folded form of a full name used to index and compare names: lower
/// case ASCII words, diacritics dropped, `đ` → `d`, single spaces
/// (`units::fold::words`). "Nguyễn Thị Thuỷ" and "NGUYEN THI THUY" share a
/// key.
///
/// ```
/// assert_eq!(registry::name_key("  Nguyễn  Thị Thuỷ "), "nguyen thi thuy");
/// assert_eq!(registry::name_key("Đặng Văn Đức"), registry::name_key("dang van duc"));
/// ```
pub fn name_key(full_name: &str) -> String {
    units::fold::words(full_name)
}

/// What a caller looks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The full name as the caller wrote it.
    pub full_name: String,
    /// The birth date as far as the caller knows it.
    pub birth_date: Option<PartialDate>,
    /// A commune the person lives in (permanent or temporary).
    pub commune: Option<CommuneCode>,
}

/// How well the name matches, best last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMatch {
    /// The names share no folded key.
    None,
    /// Every word of the query appears in the current name, in order (a
    /// middle name left out, "Nguyễn An" for "Nguyễn Văn An").
    Partial,
    /// The folded key equals a former name's.
    Former,
    /// The folded key equals the current name's.
    Exact,
}

/// How well the birth dates agree, best last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateMatch {
    /// The dates cannot be the same day.
    Conflicts,
    /// The query gave no date.
    Unknown,
    /// The dates may be the same day (one or both partial).
    Compatible,
    /// The same date at the same precision.
    Exact,
}

/// Whether the commune matches, best last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommuneMatch {
    /// The person lives elsewhere.
    Elsewhere,
    /// The query gave no commune, or the person has no residence.
    Unknown,
    /// The person lives there.
    Same,
}

/// A candidate's score: compared by name first, then birth date, then
/// commune. Higher is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Score {
    /// The name match.
    pub name: NameMatch,
    /// The birth date match.
    pub birth_date: DateMatch,
    /// The commune match.
    pub commune: CommuneMatch,
}

impl Score {
    /// Whether the candidate is worth showing: the name matches in some way
    /// and the birth date does not conflict.
    pub fn is_candidate(&self) -> bool {
        self.name > NameMatch::None && self.birth_date > DateMatch::Conflicts
    }

    /// The score as one number (0–47), for storage layers that sort by a
    /// column: the same order as the comparison.
    pub fn rank(&self) -> u32 {
        (self.name as u32) * 12 + (self.birth_date as u32) * 3 + self.commune as u32
    }
}

/// Scores one candidate's fields against a query: `names` are the current
/// name and then the former names (raw, they are folded here).
pub fn score_fields<'a>(
    query: &Query,
    current_name: &str,
    former_names: impl IntoIterator<Item = &'a str>,
    birth_date: &PartialDate,
    communes: impl IntoIterator<Item = &'a CommuneCode>,
) -> Score {
    let q = name_key(&query.full_name);
    let current = name_key(current_name);
    let name = if !q.is_empty() && q == current {
        NameMatch::Exact
    } else if !q.is_empty() && former_names.into_iter().any(|f| name_key(f) == q) {
        NameMatch::Former
    } else if words_in_order(&q, &current) {
        NameMatch::Partial
    } else {
        NameMatch::None
    };
    let birth_date = match &query.birth_date {
        None => DateMatch::Unknown,
        Some(d) if d == birth_date => DateMatch::Exact,
        Some(d) if d.agrees_with(birth_date) => DateMatch::Compatible,
        Some(_) => DateMatch::Conflicts,
    };
    let commune = match &query.commune {
        None => CommuneMatch::Unknown,
        Some(c) => {
            let mut any = false;
            let mut same = false;
            for own in communes {
                any = true;
                same |= own == c;
            }
            match (same, any) {
                (true, _) => CommuneMatch::Same,
                (false, true) => CommuneMatch::Elsewhere,
                (false, false) => CommuneMatch::Unknown,
            }
        }
    };
    Score {
        name,
        birth_date,
        commune,
    }
}

/// Scores a person against a query.
pub fn score(query: &Query, person: &Person) -> Score {
    score_fields(
        query,
        &person.full_name.value,
        person.former_names.iter().map(|n| n.value.as_str()),
        &person.birth_date.value,
        person.communes(),
    )
}

/// The members of a household among `people`, as a household is listed:
/// the head first, then by relationship, then oldest first.
pub fn household_members<'a>(
    people: impl IntoIterator<Item = &'a Person>,
    household: &HouseholdId,
) -> Vec<&'a Person> {
    let mut members: Vec<(&'a Person, crate::person::Relationship)> = people
        .into_iter()
        .filter_map(|p| match &p.household.value {
            Some(m) if &m.household == household => Some((p, m.relationship)),
            _ => None,
        })
        .collect();
    members.sort_by(|(a, ra), (b, rb)| {
        ra.cmp(rb)
            .then(a.birth_date.value.cmp(&b.birth_date.value))
            .then(a.id.cmp(&b.id))
    });
    members.into_iter().map(|(p, _)| p).collect()
}

/// Whether every word of `query` appears in `name`, in order, with at least
/// two query words (a single given name is too weak to count).
fn words_in_order(query: &str, name: &str) -> bool {
    let qs: Vec<&str> = query.split(' ').filter(|w| !w.is_empty()).collect();
    if qs.len() < 2 {
        return false;
    }
    let mut rest = name.split(' ');
    qs.iter().all(|q| rest.any(|w| w == *q))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commune(code: &str) -> CommuneCode {
        CommuneCode::parse(code).expect("a 2025 commune")
    }

    fn query(name: &str, birth: Option<&str>, commune_code: Option<&str>) -> Query {
        Query {
            full_name: name.into(),
            birth_date: birth.map(|b| PartialDate::parse(b).expect("date")),
            commune: commune_code.map(commune),
        }
    }

    fn score_of(q: &Query, name: &str, former: &[&str], birth: &str, communes: &[&str]) -> Score {
        let communes: Vec<CommuneCode> = communes.iter().map(|c| commune(c)).collect();
        score_fields(
            q,
            name,
            former.iter().copied(),
            &PartialDate::parse(birth).expect("date"),
            communes.iter(),
        )
    }

    #[test]
    fn name_keys_fold_marks_case_spaces_and_d() {
        assert_eq!(name_key("Nguyễn Văn An"), "nguyen van an");
        assert_eq!(name_key("NGUYỄN  VĂN   AN"), "nguyen van an");
        assert_eq!(name_key("Đỗ Thị Hoà"), name_key("Do Thi Hòa"));
        assert_eq!(name_key(""), "");
    }

    #[test]
    fn name_match_levels() {
        // the name asked for, against a name and former names on record
        let s = |asked: &str, name: &str, former: &[&str]| {
            score_of(&query(asked, None, None), name, former, "1990", &[]).name
        };
        let full = "Nguyen Van An";
        assert_eq!(s(full, "Nguyễn Văn An", &[]), NameMatch::Exact);
        assert_eq!(
            s(full, "Nguyễn Văn Bình", &["Nguyễn Văn An"]),
            NameMatch::Former
        );
        assert_eq!(s(full, "Nguyễn Văn Bình", &[]), NameMatch::None);
        assert_eq!(s("Nguyễn An", "Nguyễn Văn An", &[]), NameMatch::Partial);
        // out of order or a single word is no match
        assert_eq!(s("An Nguyễn", "Nguyễn Văn An", &[]), NameMatch::None);
        assert_eq!(s("An", "Nguyễn Văn An", &[]), NameMatch::None);
        assert_eq!(s("", "", &[""]), NameMatch::None);
    }

    #[test]
    fn date_match_levels() {
        let s = |qd: Option<&str>, birth: &str| {
            score_of(
                &query("Lê Thị Hoa", qd, None),
                "Lê Thị Hoa",
                &[],
                birth,
                &[],
            )
            .birth_date
        };
        assert_eq!(s(None, "1950"), DateMatch::Unknown);
        assert_eq!(s(Some("1950"), "1950"), DateMatch::Exact);
        assert_eq!(s(Some("1950-03-02"), "1950-03-02"), DateMatch::Exact);
        assert_eq!(s(Some("1950-03-02"), "1950"), DateMatch::Compatible);
        assert_eq!(s(Some("1950"), "1950-03"), DateMatch::Compatible);
        assert_eq!(s(Some("1950-03"), "1950-03-31"), DateMatch::Compatible);
        assert_eq!(s(Some("1950-04"), "1950-03-31"), DateMatch::Conflicts);
        assert_eq!(s(Some("1951"), "1950"), DateMatch::Conflicts);
    }

    #[test]
    fn commune_match_levels() {
        let q = query("Lê Thị Hoa", None, Some("00097"));
        let s = |communes: &[&str]| score_of(&q, "Lê Thị Hoa", &[], "1950", communes).commune;
        assert_eq!(s(&["00097"]), CommuneMatch::Same);
        let other = units::Units::get()
            .communes()
            .iter()
            .map(|c| c.code.as_str())
            .find(|c| *c != "00097")
            .expect("more than one commune");
        assert_eq!(s(&[other, "00097"]), CommuneMatch::Same);
        assert_eq!(s(&[other]), CommuneMatch::Elsewhere);
        assert_eq!(s(&[]), CommuneMatch::Unknown);
        let none = query("Lê Thị Hoa", None, None);
        assert_eq!(
            score_of(&none, "Lê Thị Hoa", &[], "1950", &["00097"]).commune,
            CommuneMatch::Unknown
        );
    }

    #[test]
    fn ranking_is_name_then_date_then_commune() {
        let q = query("Trần Thị Mai", Some("1960-05"), Some("00097"));
        let exact_name_wrong_place = score_of(&q, "Trần Thị Mai", &[], "1960-05-04", &[]);
        let former_name_everything_else =
            score_of(&q, "Phạm Thị Mai", &["Trần Thị Mai"], "1960-05", &["00097"]);
        let exact_year_only = score_of(&q, "Trần Thị Mai", &[], "1960", &["00097"]);
        let exact_all = score_of(&q, "Trần Thị Mai", &[], "1960-05", &["00097"]);
        let conflicting = score_of(&q, "Trần Thị Mai", &[], "1961", &["00097"]);
        let mut ranked = [
            conflicting,
            former_name_everything_else,
            exact_year_only,
            exact_name_wrong_place,
            exact_all,
        ];
        ranked.sort();
        ranked.reverse();
        assert_eq!(ranked[0], exact_all);
        assert!(exact_all > exact_year_only);
        assert!(exact_year_only > exact_name_wrong_place);
        assert!(exact_name_wrong_place > former_name_everything_else);
        assert!(!conflicting.is_candidate());
        assert!(exact_all.is_candidate());
        // rank() orders exactly like the comparison, over every combination
        let names = [
            NameMatch::None,
            NameMatch::Partial,
            NameMatch::Former,
            NameMatch::Exact,
        ];
        let dates = [
            DateMatch::Conflicts,
            DateMatch::Unknown,
            DateMatch::Compatible,
            DateMatch::Exact,
        ];
        let communes = [
            CommuneMatch::Elsewhere,
            CommuneMatch::Unknown,
            CommuneMatch::Same,
        ];
        let mut all = Vec::new();
        for name in names {
            for birth_date in dates {
                for commune in communes {
                    all.push(Score {
                        name,
                        birth_date,
                        commune,
                    });
                }
            }
        }
        for a in &all {
            for b in &all {
                assert_eq!(a.cmp(b), a.rank().cmp(&b.rank()), "{a:?} {b:?}");
            }
        }
        assert_eq!(all.iter().map(Score::rank).max(), Some(47));
    }
}

//! Whether a message that says a dossier now has a status is applied, and
//! how, by the lifecycle's own rules (`dossier::Lifecycle`):
//!
//! - the status it already has: a duplicate, acknowledged;
//! - a status lawful acts lead to from what is known: those acts, the
//!   fewest, in order (a system that sends only some steps still lands
//!   where it says, through the steps the law puts between);
//! - a status that came before what is known: stale (a message overtaken),
//!   acknowledged and changing nothing;
//! - anything else: unlawful, quarantined with a reason in both languages.
//!
//! With versions (motcua's own profile, and every message keyed by dossier
//! and version), a version already applied is a duplicate, a version
//! beyond the next waits for the one before it, and the next version that
//! goes back is unlawful, not stale.
//!
//! Statuses are never rewritten: a message saying 5, 6 or 8 lands on 5, 6
//! or 8, or is quarantined.

use std::collections::VecDeque;
use std::sync::LazyLock;

use dossier::{Action, Channel, Lifecycle, Outcome, Status};

/// What to do with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Apply these acts, in order (none: the status stays, the rest of
    /// the message is an update).
    Apply(Vec<Action>),
    /// It says what is known already: acknowledge it, change nothing.
    Duplicate,
    /// It says what was before what is known: acknowledge it, change
    /// nothing.
    Stale,
    /// A message before it is missing: keep it until `awaited` has been
    /// applied.
    Wait {
        /// The version awaited first.
        awaited: u64,
    },
    /// The lifecycle does not allow it: keep it in quarantine, with why.
    Quarantine(Unlawful),
}

/// A move the lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a dossier that is {} ({}) cannot become {} ({}) by any lawful act",
    from.code(),
    from.name_en(),
    to.code(),
    to.name_en()
)]
pub struct Unlawful {
    /// The status known.
    pub from: Status,
    /// The status the message says.
    pub to: Status,
}

impl Unlawful {
    /// Why, in Vietnamese.
    pub fn reason_vi(&self) -> String {
        format!(
            "Hồ sơ đang ở trạng thái {} «{}» nên không thể chuyển sang trạng thái {} «{}» bằng bất kỳ bước xử lý hợp lệ nào",
            self.from.code(),
            self.from.name_vi(),
            self.to.code(),
            self.to.name_vi()
        )
    }
}

/// Every act, in the order a path prefers them (an issued result before a
/// refusal when the message does not say which).
const ACTS: [Action; 12] = [
    Action::Receive,
    Action::StartProcessing,
    Action::Complete(Outcome::Issued),
    Action::Complete(Outcome::Refused),
    Action::ReturnResult,
    Action::RequestSupplement,
    Action::Supplement,
    Action::RequestFees,
    Action::PayFees,
    Action::RefuseIntake,
    Action::Withdraw,
    Action::Stop,
];

/// The fewest lawful acts that take `from` to `to` (with `outcome`, when
/// said, as the result of processing).
fn path(from: &Lifecycle, to: Status, outcome: Option<Outcome>) -> Option<Vec<Action>> {
    let mut seen = vec![from.clone()];
    let mut queue = VecDeque::from([(from.clone(), Vec::new())]);
    while let Some((at, acts)) = queue.pop_front() {
        for act in ACTS {
            if let (Action::Complete(o), Some(wanted)) = (act, outcome)
                && o != wanted
            {
                continue;
            }
            let mut next = at.clone();
            if next.apply(act).is_err() || seen.contains(&next) {
                continue;
            }
            let mut longer = acts.clone();
            longer.push(act);
            if next.status() == to {
                return Some(longer);
            }
            seen.push(next.clone());
            queue.push_back((next, longer));
        }
    }
    None
}

/// Every place in the lifecycle a dossier can be in, found once.
fn reachable() -> &'static [Lifecycle] {
    static ALL: LazyLock<Vec<Lifecycle>> = LazyLock::new(places);
    &ALL
}

fn places() -> Vec<Lifecycle> {
    let mut all: Vec<Lifecycle> = [Channel::Online, Channel::InPerson]
        .into_iter()
        .map(Lifecycle::start)
        .collect();
    let mut i = 0;
    while let Some(at) = all.get(i).cloned() {
        for act in ACTS {
            let mut next = at.clone();
            if next.apply(act).is_ok() && !all.contains(&next) {
                all.push(next);
            }
        }
        i += 1;
    }
    all
}

/// Whether a dossier with status `earlier` can have come to `now`.
fn came_before(earlier: Status, now: &Lifecycle) -> bool {
    reachable()
        .iter()
        .filter(|l| l.status() == earlier)
        .any(|l| l == now || path_to(l, now))
}

/// Whether lawful acts take `from` to exactly `to`.
fn path_to(from: &Lifecycle, to: &Lifecycle) -> bool {
    let mut seen = vec![from.clone()];
    let mut i = 0;
    while let Some(at) = seen.get(i).cloned() {
        for act in ACTS {
            let mut next = at.clone();
            if next.apply(act).is_ok() {
                if &next == to {
                    return true;
                }
                if !seen.contains(&next) {
                    seen.push(next);
                }
            }
        }
        i += 1;
    }
    false
}

/// A message without a version that says a dossier known at `known` now
/// has status `to` (and, when it says so, the outcome of processing).
pub fn by_status(known: &Lifecycle, to: Status, outcome: Option<Outcome>) -> Verdict {
    if known.status() == to {
        return Verdict::Duplicate;
    }
    if let Some(acts) = path(known, to, outcome) {
        return Verdict::Apply(acts);
    }
    if came_before(to, known) {
        return Verdict::Stale;
    }
    Verdict::Quarantine(Unlawful {
        from: known.status(),
        to,
    })
}

/// The first message about a dossier filed through `channel`, saying it
/// has status `to`: the acts from filing to there.
pub fn from_filing(channel: Channel, to: Status, outcome: Option<Outcome>) -> Verdict {
    let start = Lifecycle::start(channel);
    match by_status(&start, to, outcome) {
        Verdict::Duplicate => Verdict::Apply(Vec::new()),
        // nothing came before a dossier's first message
        Verdict::Stale => Verdict::Quarantine(Unlawful {
            from: start.status(),
            to,
        }),
        other => other,
    }
}

/// A message of version `version` about a dossier known at `known` as of
/// version `applied`: a version applied already is a duplicate, one
/// beyond the next waits for the next, and the next is applied by
/// [`by_status`] (a status that goes back is unlawful: the sender says it
/// is new).
pub fn by_version(
    applied: u64,
    known: &Lifecycle,
    version: u64,
    to: Status,
    outcome: Option<Outcome>,
) -> Verdict {
    if version <= applied {
        return Verdict::Duplicate;
    }
    if version > applied + 1 {
        return Verdict::Wait {
            awaited: applied + 1,
        };
    }
    match by_status(known, to, outcome) {
        Verdict::Duplicate => Verdict::Apply(Vec::new()),
        Verdict::Stale => Verdict::Quarantine(Unlawful {
            from: known.status(),
            to,
        }),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(channel: Channel, acts: &[Action]) -> Lifecycle {
        let mut l = Lifecycle::start(channel);
        for act in acts {
            l.apply(*act).expect("lawful");
        }
        l
    }

    fn status(code: u8) -> Status {
        Status::from_code(code).expect("a status")
    }

    #[test]
    fn the_lifecycle_has_every_status_and_few_places() {
        let all = reachable();
        for s in Status::ALL {
            assert!(all.iter().any(|l| l.status() == s), "{s:?} unreachable");
        }
        assert!(all.len() < 40, "{} places", all.len());
    }

    #[test]
    fn every_verdict_holds_for_every_place_and_status() {
        for known in reachable() {
            for to in Status::ALL {
                match by_status(known, to, None) {
                    Verdict::Duplicate => assert_eq!(known.status(), to),
                    Verdict::Apply(acts) => {
                        assert!(!acts.is_empty() && acts.len() <= 5, "{acts:?}");
                        let mut l = known.clone();
                        for act in &acts {
                            l.apply(*act).expect("each act lawful in turn");
                        }
                        assert_eq!(l.status(), to, "{acts:?} from {known:?}");
                    }
                    Verdict::Stale => {
                        assert_ne!(known.status(), to);
                        assert!(came_before(to, known));
                    }
                    Verdict::Quarantine(u) => {
                        assert_eq!((u.from, u.to), (known.status(), to));
                        assert!(!came_before(to, known));
                    }
                    Verdict::Wait { .. } => panic!("no versions here"),
                }
            }
        }
    }

    #[test]
    fn a_system_that_sends_only_some_steps_lands_where_it_says() {
        let received = at(Channel::InPerson, &[]);
        assert_eq!(
            by_status(&received, status(4), None),
            Verdict::Apply(vec![Action::StartProcessing])
        );
        assert_eq!(
            by_status(&received, status(10), Some(Outcome::Refused)),
            Verdict::Apply(vec![
                Action::StartProcessing,
                Action::Complete(Outcome::Refused),
                Action::ReturnResult
            ])
        );
        let filed = at(Channel::Online, &[]);
        assert_eq!(
            by_status(&filed, status(9), None),
            Verdict::Apply(vec![
                Action::Receive,
                Action::StartProcessing,
                Action::Complete(Outcome::Issued)
            ])
        );
    }

    #[test]
    fn statuses_5_6_and_8_stay_themselves() {
        let processing = at(Channel::InPerson, &[Action::StartProcessing]);
        assert_eq!(
            by_status(&processing, status(5), None),
            Verdict::Apply(vec![Action::RequestSupplement])
        );
        assert_eq!(
            by_status(&processing, status(6), None),
            Verdict::Apply(vec![Action::RequestFees])
        );
        assert_eq!(
            by_status(&processing, status(8), None),
            Verdict::Apply(vec![Action::Stop])
        );
        // and a supplement answered goes back to where it was asked
        let asked = at(
            Channel::InPerson,
            &[Action::StartProcessing, Action::RequestSupplement],
        );
        assert_eq!(
            by_status(&asked, status(4), None),
            Verdict::Apply(vec![Action::Supplement])
        );
    }

    #[test]
    fn what_was_overtaken_is_stale_and_what_is_unlawful_is_quarantined_with_why() {
        let returned = at(
            Channel::InPerson,
            &[
                Action::StartProcessing,
                Action::Complete(Outcome::Issued),
                Action::ReturnResult,
            ],
        );
        assert_eq!(by_status(&returned, status(9), None), Verdict::Stale);
        assert_eq!(by_status(&returned, status(4), None), Verdict::Stale);
        let refused = at(Channel::Online, &[Action::RefuseIntake]);
        let Verdict::Quarantine(why) = by_status(&refused, status(4), None) else {
            panic!("a dossier not received is not processed");
        };
        assert_eq!(
            why.to_string(),
            "a dossier that is 3 (Not received) cannot become 4 (Processing) by any lawful act"
        );
        assert!(
            why.reason_vi().contains("«Không được tiếp nhận»"),
            "{}",
            why.reason_vi()
        );
        let stopped = at(Channel::InPerson, &[Action::StartProcessing, Action::Stop]);
        assert!(matches!(
            by_status(&stopped, status(9), None),
            Verdict::Quarantine(Unlawful { .. })
        ));
        // a second request to supplement: the rules allow one
        let supplemented = at(
            Channel::InPerson,
            &[
                Action::StartProcessing,
                Action::RequestSupplement,
                Action::Supplement,
            ],
        );
        assert_eq!(by_status(&supplemented, status(5), None), Verdict::Stale);
        assert!(matches!(
            by_version(3, &supplemented, 4, status(5), None),
            Verdict::Quarantine(_)
        ));
    }

    #[test]
    fn versions_apply_once_in_order() {
        let received = at(Channel::InPerson, &[]);
        assert_eq!(
            by_version(2, &received, 2, status(4), None),
            Verdict::Duplicate
        );
        assert_eq!(
            by_version(2, &received, 1, status(2), None),
            Verdict::Duplicate
        );
        assert_eq!(
            by_version(2, &received, 5, status(9), None),
            Verdict::Wait { awaited: 3 }
        );
        assert_eq!(
            by_version(2, &received, 3, status(4), None),
            Verdict::Apply(vec![Action::StartProcessing])
        );
        // a new version with the same status: an update, no act
        assert_eq!(
            by_version(2, &received, 3, status(2), None),
            Verdict::Apply(vec![])
        );
    }

    #[test]
    fn a_first_message_starts_from_filing() {
        assert_eq!(
            from_filing(Channel::Online, status(1), None),
            Verdict::Apply(vec![])
        );
        assert_eq!(
            from_filing(Channel::Online, status(2), None),
            Verdict::Apply(vec![Action::Receive])
        );
        assert_eq!(
            from_filing(Channel::InPerson, status(2), None),
            Verdict::Apply(vec![])
        );
        // at a counter it is received at once: never "newly registered"
        assert!(matches!(
            from_filing(Channel::InPerson, status(1), None),
            Verdict::Quarantine(_)
        ));
    }
}

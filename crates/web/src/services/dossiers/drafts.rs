//! The forms being filled. The registry is read for a form when a person
//! first opens it; the read is logged once (under `draft <procedure>`) and
//! kept for [`KEEP`], so opening the form again, or seeing it again with
//! its errors, reads nothing more and shows nothing more in the person's
//! data tracker. Filing reads again, under the dossier's code, and ends the
//! draft.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// What the registry gave for a form (see `prefill::read`).
#[derive(Debug, Default)]
pub struct Filled {
    /// The form's fields filled, as text.
    pub values: BTreeMap<String, String>,
    /// Why nothing (or not everything) could be filled.
    pub refused: Option<String>,
    /// The commune of the applicant's permanent residence, when read.
    pub residence_commune: Option<String>,
}

/// How long a draft's read is used.
pub const KEEP: Duration = Duration::from_secs(2 * 60 * 60);

/// Past this many drafts, the expired ones are dropped when one is kept.
const KEPT: usize = 100_000;

#[derive(Debug)]
struct Kept {
    read: Arc<Filled>,
    at: Instant,
}

/// The drafts of this server: an account's form of a procedure, with what
/// was read for it.
#[derive(Debug, Default)]
pub struct Drafts {
    kept: Mutex<HashMap<(String, String), Kept>>,
}

impl Drafts {
    /// What was read for `subject`'s form of `procedure`, if it was less
    /// than [`KEEP`] before `now`.
    pub fn get(&self, subject: &str, procedure: &str, now: Instant) -> Option<Arc<Filled>> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get(&(subject.to_string(), procedure.to_string()))
            .filter(|k| now.saturating_duration_since(k.at) < KEEP)
            .map(|k| Arc::clone(&k.read))
    }

    /// Keeps `read` (its log records already written) for `subject`'s form
    /// of `procedure`.
    pub fn keep(&self, subject: &str, procedure: &str, read: Arc<Filled>, now: Instant) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= KEPT {
            kept.retain(|_, k| now.saturating_duration_since(k.at) < KEEP);
        }
        if kept.len() >= KEPT {
            // still full of live drafts: the oldest half goes
            let mut ages: Vec<Instant> = kept.values().map(|k| k.at).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            kept.retain(|_, k| k.at > cut);
        }
        kept.insert(
            (subject.to_string(), procedure.to_string()),
            Kept { read, at: now },
        );
    }

    /// Ends `subject`'s draft of `procedure` (it was filed).
    pub fn forget(&self, subject: &str, procedure: &str) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.remove(&(subject.to_string(), procedure.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: &str) -> Arc<Filled> {
        let mut r = Filled::default();
        r.values.insert("name".into(), value.into());
        Arc::new(r)
    }

    #[test]
    fn a_draft_is_kept_per_account_and_procedure_until_it_expires_or_is_filed() {
        let drafts = Drafts::default();
        let t0 = Instant::now();
        drafts.keep("a", "khai-sinh", read("An"), t0);
        let got = drafts.get("a", "khai-sinh", t0 + Duration::from_secs(60));
        assert_eq!(got.map(|r| r.values["name"].clone()).as_deref(), Some("An"));
        assert!(
            drafts.get("b", "khai-sinh", t0).is_none(),
            "another account"
        );
        assert!(
            drafts.get("a", "khai-tu", t0).is_none(),
            "another procedure"
        );
        assert!(drafts.get("a", "khai-sinh", t0 + KEEP).is_none(), "expired");
        drafts.forget("a", "khai-sinh");
        assert!(drafts.get("a", "khai-sinh", t0).is_none(), "filed");
    }
}

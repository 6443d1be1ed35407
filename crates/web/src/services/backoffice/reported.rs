//! What the provinces' back offices report of a person's dossiers, as the
//! national portal shows it to them: a dossier filed here and delivered to
//! a back office is processed there, and one received at a province's
//! counter is known here only by its reports, so the portal reads both
//! from what the back office last reported (its status, its appointment,
//! its processing steps, each once) — the one place where a person sees
//! all their dossiers.

use chrono::{DateTime, FixedOffset, Utc};
use dossier::{Outcome, Status};
use store::{MessageVerdict, Store, StoreError, Synced};

/// Dossiers listed for a person at most.
const LISTED: usize = 200;

/// A dossier as a back office last reported it.
#[derive(Debug, Clone)]
pub struct Reported {
    /// Its code.
    pub code: String,
    /// The unit that reports it (`madonvi`).
    pub unit: String,
    /// Its status.
    pub status: Status,
    /// How it ended, when it did.
    pub outcome: Option<Outcome>,
    /// The last packet reported.
    pub packet: Option<backoffice::DongBoHoSoMC>,
    /// When the last report came.
    pub updated_at: DateTime<Utc>,
    /// The applicant's personal identification number, when named.
    pub applicant: Option<String>,
}

impl Reported {
    fn of(s: Synced) -> Reported {
        Reported {
            status: s.lifecycle.status(),
            outcome: s.lifecycle.outcome(),
            packet: serde_json::from_value(s.packet).ok(),
            code: s.code,
            unit: s.unit,
            updated_at: s.updated_at,
            applicant: s.applicant,
        }
    }

    /// The procedure in the catalog, when it is one of it.
    pub fn catalogued(&self) -> Option<&'static dossier::Procedure> {
        dossier::Catalog::official()
            .ok()?
            .referred(self.procedure(), self.procedure_name())
    }

    /// The procedure's code, as reported.
    pub fn procedure(&self) -> &str {
        self.packet.as_ref().map_or("", |p| p.ma_tthc.as_str())
    }

    /// The procedure's name, as reported.
    pub fn procedure_name(&self) -> &str {
        self.packet.as_ref().map_or("", |p| p.ten_tthc.as_str())
    }

    /// When it was filed (or received, when the filing time is not
    /// reported).
    pub fn submitted_at(&self) -> Option<DateTime<FixedOffset>> {
        let p = self.packet.as_ref()?;
        p.ngay_nop_ho_so.or(p.ngay_tiep_nhan)
    }

    /// The appointment for the result.
    pub fn due(&self) -> Option<DateTime<FixedOffset>> {
        self.packet.as_ref()?.ngay_hen_tra
    }

    /// The applicant's name.
    pub fn applicant_name(&self) -> &str {
        self.packet.as_ref().map_or("", |p| p.chu_ho_so.as_str())
    }

    /// The unit handling it, as reported (`DonViXuLy`).
    pub fn handled_by(&self) -> &str {
        self.packet.as_ref().map_or("", |p| p.don_vi_xu_ly.as_str())
    }

    /// Whether it is the dossier of the person with `pin`.
    pub fn is_of(&self, pin: &str) -> bool {
        !pin.is_empty() && self.applicant.as_deref() == Some(pin)
    }
}

/// A processing step a back office reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// When it was done.
    pub at: DateTime<FixedOffset>,
    /// The status after it.
    pub status: Status,
    /// What was done.
    pub content: String,
    /// The department that did it.
    pub department: String,
}

/// The dossiers the back offices report for the person with `pin`, the
/// last changed first.
pub async fn of_person(store: &dyn Store, pin: &str) -> Result<Vec<Reported>, StoreError> {
    if pin.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store
        .sync()
        .synced_of_applicant(pin, LISTED)
        .await?
        .into_iter()
        .map(Reported::of)
        .collect())
}

/// What a back office reported of `code`, if one did.
pub async fn of_code(store: &dyn Store, code: &str) -> Result<Option<Reported>, StoreError> {
    Ok(store.sync().synced(code).await?.map(Reported::of))
}

/// The processing steps reported of `code`, each once (however often it
/// was sent; a quarantined one not shown), in the order done.
pub async fn steps(store: &dyn Store, code: &str) -> Result<Vec<Step>, StoreError> {
    let mut out: Vec<Step> = Vec::new();
    for m in store.sync().sync_messages(code).await? {
        if !m.key.contains("#buoc#") || m.verdict == MessageVerdict::Quarantined {
            continue;
        }
        let Ok(packet) = serde_json::from_value::<backoffice::CapNhatTienDoHoSoMC>(m.body) else {
            continue;
        };
        let Ok(step) = backoffice::read_step(&packet) else {
            continue;
        };
        let step = Step {
            at: step.at,
            status: step.status,
            content: step.content,
            department: packet.phong_ban_xu_ly.trim().to_string(),
        };
        if !out.contains(&step) {
            out.push(step);
        }
    }
    out.sort_by_key(|s| s.at);
    Ok(out)
}

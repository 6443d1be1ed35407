//! Vital events: the append-only facts a person's record is derived from.

use std::fmt;

use chrono::{DateTime, Utc};
use domain::{PersonalId, Sex};
use serde::{Deserialize, Serialize};

use crate::date::PartialDate;
use crate::ethnicity::{Ethnicity, Religion};
use crate::person::{Membership, Nationality, Residence};

/// The identifier of a recorded event, unique in the registry's log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub String);

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for EventId {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

/// Who supplied a fact: the exchange member or agency (e.g. a commune's
/// police, a hospital, a civil-status office) and, when there is one, the
/// document or dossier it came with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Source {
    /// The member or agency code.
    pub member: String,
    /// The document, register entry or dossier code, if any.
    pub reference: Option<String>,
}

impl Source {
    /// A source with no document reference.
    pub fn member(member: &str) -> Self {
        Self {
            member: member.to_string(),
            reference: None,
        }
    }
}

/// Whether a residence is permanent (thường trú) or temporary (tạm trú).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidenceKind {
    /// Thường trú.
    Permanent,
    /// Tạm trú.
    Temporary,
}

/// What a birth registration records about the newborn (the birth date is
/// the event's effective date, the personal id the event's person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birth {
    /// The full name given at birth.
    pub full_name: String,
    /// Sex; must agree with the personal id.
    pub sex: Sex,
    /// Nationality.
    pub nationality: Nationality,
    /// Ethnic group.
    pub ethnicity: Ethnicity,
    /// Religion ([`Religion::None`] for most newborns).
    pub religion: Religion,
    /// The place of birth registration as written at the time (pre-2025
    /// units stay as they were written).
    pub birth_registration_place: String,
    /// Hometown (quê quán).
    pub hometown: String,
    /// The father's personal id, when known.
    pub father: Option<PersonalId>,
    /// The mother's personal id, when known.
    pub mother: Option<PersonalId>,
}

/// A correction or amendment of a recorded fact (cải chính, bổ sung, xác
/// định lại). Corrections may be recorded after death.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "field", content = "value")]
pub enum Correction {
    /// The current full name was written wrongly (not a change of name: no
    /// former name is kept).
    FullName(String),
    /// The birth date; must still agree with the personal id.
    BirthDate(PartialDate),
    /// Sex; must still agree with the personal id.
    Sex(Sex),
    /// Nationality.
    Nationality(Nationality),
    /// Ethnic group (including its re-determination).
    Ethnicity(Ethnicity),
    /// Religion (including a change of religion).
    Religion(Religion),
    /// Place of birth registration.
    BirthRegistrationPlace(String),
    /// Hometown.
    Hometown(String),
    /// Father's personal id.
    Father(Option<PersonalId>),
    /// Mother's personal id.
    Mother(Option<PersonalId>),
    /// The date of death; only for a person recorded dead.
    DeathDate(PartialDate),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum EventKind {
    /// The birth registration, which creates the person.
    Birth(Birth),
    /// Death registration; the date of death is the effective date.
    Death,
    /// Marriage registration.
    Marriage {
        /// The spouse's personal id.
        spouse: PersonalId,
    },
    /// Divorce (recognised by a court).
    Divorce {
        /// The former spouse's personal id.
        spouse: PersonalId,
    },
    /// The spouse died; the marriage ended.
    Widowed {
        /// The late spouse's personal id.
        spouse: PersonalId,
    },
    /// Registration or deregistration of a permanent or temporary
    /// residence; `residence: None` deregisters.
    ResidenceChange {
        /// Permanent or temporary.
        kind: ResidenceKind,
        /// The new residence, or `None` when deregistered.
        residence: Option<Residence>,
    },
    /// A change of name (the old name becomes a former name).
    NameChange {
        /// The new full name.
        full_name: String,
    },
    /// Joining, moving between or leaving households; `None` leaves.
    HouseholdChange {
        /// The new membership, or `None` when the person leaves.
        membership: Option<Membership>,
    },
    /// A correction of a recorded fact.
    Correction(Correction),
}

impl EventKind {
    /// The kind's code (as the outbox, the bus and the `events.subscribe`
    /// service name it: the `type` tag of its JSON) and its short name for
    /// messages.
    fn labels(&self) -> (&'static str, &'static str) {
        match self {
            EventKind::Birth(_) => ("birth", "birth"),
            EventKind::Death => ("death", "death"),
            EventKind::Marriage { .. } => ("marriage", "marriage"),
            EventKind::Divorce { .. } => ("divorce", "divorce"),
            EventKind::Widowed { .. } => ("widowed", "widowhood"),
            EventKind::ResidenceChange { .. } => ("residence_change", "residence change"),
            EventKind::NameChange { .. } => ("name_change", "name change"),
            EventKind::HouseholdChange { .. } => ("household_change", "household change"),
            EventKind::Correction(_) => ("correction", "correction"),
        }
    }

    /// The kind's code: the `type` tag of its JSON.
    pub fn code(&self) -> &'static str {
        self.labels().0
    }

    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        self.labels().1
    }
}

/// One recorded vital event about one person. Events are appended, never
/// overwritten; a mistake is fixed by a later [`Correction`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VitalEvent {
    /// Unique in the log.
    pub id: EventId,
    /// The person the event is about.
    pub person: PersonalId,
    /// When the registry recorded it.
    pub recorded_at: DateTime<Utc>,
    /// The day it took effect in law (the birth date for a birth, the date
    /// of death for a death); may be partial for old facts.
    pub effective: PartialDate,
    /// Who supplied it.
    pub source: Source,
    /// What happened.
    pub kind: EventKind,
}

/// Why an event cannot be applied to a person's record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The record must start with the birth.
    #[error("the person has no birth registration before it")]
    NoBirth,
    /// A second birth.
    #[error("the person's birth is already registered")]
    BirthTwice,
    /// The event is about someone else.
    #[error("it is about {found}, not {expected}")]
    WrongPerson {
        /// The person whose record is derived.
        expected: PersonalId,
        /// The person the event names.
        found: PersonalId,
    },
    /// The same event id twice in the log.
    #[error("an event with the same id is already recorded")]
    DuplicateId,
    /// Effective before the person was born.
    #[error("it takes effect on {effective}, before the birth on {born}")]
    BeforeBirth {
        /// The event's effective date.
        effective: PartialDate,
        /// The birth date.
        born: PartialDate,
    },
    /// Effective after the person died, and not a correction.
    #[error(
        "it takes effect on {effective}, after the death on {died}; only corrections may follow a death"
    )]
    AfterDeath {
        /// The event's effective date.
        effective: PartialDate,
        /// The date of death.
        died: PartialDate,
    },
    /// A second death.
    #[error("the person's death is already registered (on {died})")]
    DeathTwice {
        /// The recorded date of death.
        died: PartialDate,
    },
    /// A death dated before an event already recorded for the person.
    #[error("the death on {died} is before {event}, which took effect on {effective}")]
    DeathBeforeEvent {
        /// The date of death given.
        died: PartialDate,
        /// The later event already recorded.
        event: EventId,
        /// Its effective date.
        effective: PartialDate,
    },
    /// A divorce or widowhood dated before the marriage it ends.
    #[error("it takes effect on {effective}, before the marriage on {married}")]
    BeforeMarriage {
        /// The event's effective date.
        effective: PartialDate,
        /// The day of marriage.
        married: PartialDate,
    },
    /// A death-date correction for a living person.
    #[error("the person is not recorded dead")]
    NotDead,
    /// Marriage while married.
    #[error("the person is still married to {spouse}")]
    AlreadyMarried {
        /// The current spouse.
        spouse: PersonalId,
    },
    /// Marriage to oneself.
    #[error("a person cannot marry themself")]
    SelfMarriage,
    /// Divorce or widowhood while not married to that person.
    #[error("the person is not married to {spouse}")]
    NotMarriedTo {
        /// The person named in the event.
        spouse: PersonalId,
    },
    /// The personal id does not encode this birth year and sex.
    #[error(
        "personal id {id} does not agree with birth year {birth_year} and sex {sex}; a new number must be issued first"
    )]
    IdDisagrees {
        /// The person's id.
        id: PersonalId,
        /// The birth year recorded.
        birth_year: i32,
        /// The sex recorded.
        sex: Sex,
    },
    /// An empty name or place.
    #[error("the {what} is empty")]
    Empty {
        /// Which text.
        what: &'static str,
    },
    /// A person named as their own parent.
    #[error("a person cannot be their own parent")]
    OwnParent,
}

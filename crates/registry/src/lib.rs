//! The population registry: people, households, residence and vital
//! events, and the synthetic population generator.
//!
//! Pure domain code: no I/O and no clock; instants are passed in. A
//! person's record ([`Person`]) is never stored as such: it is derived from
//! the person's append-only [`VitalEvent`]s, now ([`Person::derive`]) or as
//! it stood at a past instant ([`Person::as_of`]).

pub mod date;
pub mod ethnicity;
pub mod event;
pub mod generate;
pub mod lookup;
pub mod person;

pub use date::{AgeRange, PartialDate, Precision};
pub use ethnicity::{Ethnicity, Religion};
pub use event::{
    Birth, Correction, EventId, EventKind, Refusal, ResidenceKind, Source, VitalEvent,
};
pub use lookup::{
    CommuneMatch, DateMatch, NameMatch, Query, Score, household_members, name_key, score,
    score_fields,
};
pub use person::{
    HouseholdId, Kinship, MaritalStatus, Membership, Nationality, Person, Relationship, Residence,
    Sourced, VitalStatus,
};

/// Why the registry refused a value or an event: a sentence a person can
/// act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A date that cannot be read or does not exist.
    #[error("{input:?} is not a valid date: {reason}")]
    InvalidDate {
        /// What was given.
        input: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Not one of the 54 ethnic groups.
    #[error("{0:?} is not one of the 54 ethnic groups (codes 01 to 54, or the group's name)")]
    UnknownEthnicity(String),
    /// Not a two-letter country code.
    #[error("{0:?} is not a nationality: give the ISO 3166-1 two-letter country code, e.g. VN")]
    InvalidNationality(String),
    /// No events to derive a record from.
    #[error("the person has no recorded events")]
    NoEvents,
    /// An event that cannot be applied to the person's record.
    #[error("{kind} event {event} refused: {reason}")]
    Refused {
        /// The refused event.
        event: EventId,
        /// Its kind, for the message.
        kind: &'static str,
        /// Why.
        reason: Refusal,
    },
    /// A domain value refused.
    #[error(transparent)]
    Domain(#[from] domain::DomainError),
}

//! The platform's vocabulary: validated identifiers that every other crate
//! takes instead of bare strings, and the domain errors they raise.
//!
//! A value of one of these types has been checked once, at the edge; code
//! that receives one never checks it again.

mod codes;
mod pin;
mod text;

/// Vietnam's civil time, UTC+7: dates and times are shown and read in it
/// at the edges (stored times are UTC). Defined once, by the calendar.
pub use calendar::VIETNAM;
pub use codes::{CommuneCode, LegacyCommuneCode, ProvinceCode};
pub use pin::{PersonalId, Sex};

/// Why a value was refused: a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{what} must be {digits} digits, got {got:?}")]
    Malformed {
        what: &'static str,
        digits: usize,
        got: String,
    },
    #[error("there is no {what} with code {code}")]
    Unknown { what: &'static str, code: String },
}

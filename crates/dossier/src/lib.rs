//! Dossiers of the one-stop shop (Decree 118/2025/NĐ-CP, Decree 45/2020,
//! Circular 01/2018/TT-VPCP), pure: no I/O, no clock.
//!
//! - [`DossierCode`]: `<agency code>-<YYMMDD received>-<NNNN>`, the daily
//!   sequence of the receiving agency (Circular 01/2018 Art. 19).
//! - [`Channel`]: in person, online, public postal service.
//! - [`Status`] and [`Lifecycle`]: the ten statuses exchanged with the
//!   national portal and the only transitions the rules allow; which
//!   statuses stop the clock (waiting on the applicant) and which are final.
//! - [`Timeline`]: each status with when it began; the legal due date in
//!   working days (pauses left out) and whether the agency is late.

#![warn(missing_docs)]

mod code;
mod lifecycle;
mod timeline;

pub use code::{AgencyCode, CodeError, DossierCode, MAX_DAILY_SEQUENCE};
pub use lifecycle::{Action, Channel, Lifecycle, Outcome, Status, TransitionError};
pub use timeline::{Step, Timeline, TimelineError};

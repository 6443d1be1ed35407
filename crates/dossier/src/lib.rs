//! Dossiers of the one-stop shop (Decree 118/2025/NĐ-CP, Decree 45/2020,
//! Circular 01/2018/TT-VPCP), pure: no I/O, no clock.
//!
//! - [`DossierCode`]: `<agency code>-<YYMMDD received>-<NNNN>`, the daily
//!   sequence of the receiving agency (Circular 01/2018 Art. 19).
//! - [`Channel`]: in person, online, public postal service.
//! - [`Status`] and [`Lifecycle`]: the ten statuses exchanged with the
//!   national portal and the only transitions the rules allow; which
//!   statuses stop the clock (waiting on the applicant) and which are final.
//! - [`Catalog`]: the procedures with their legal times, fees, documents
//!   and forms ([`FormSchema`]); [`route`]: where a dossier goes.
//! - [`Dossier`]: a filed dossier and every act on it, with the
//!   processing-control slip (form 05) and the other forms' contents.
//! - [`Timeline`]: each status with when it began; the legal due date in
//!   working days (pauses left out) and whether the agency is late.

#![warn(missing_docs)]

mod attachment;
mod catalog;
mod code;
mod form;
mod lifecycle;
mod record;
mod routing;
pub mod sample;
mod scorecard;
mod text;
mod timeline;

pub use attachment::{
    Attachment, AttachmentError, MAX_ATTACHMENT_BYTES, MediaType, check as check_attachment,
};
pub use catalog::{Catalog, CatalogError, DaysKind, Document, Fee, HeldBy, Level, Procedure};
pub use code::{
    AgencyCode, CodeError, DossierCode, LAST_ONLINE_SEQUENCE, MAX_DAILY_SEQUENCE, last_sequence,
};
pub use form::{
    AgeBy, AgeRange, Field, FieldError, FieldKind, FormSchema, PREFILL_FIELDS, PrefillSource,
    SchemaError, Whom,
};
pub use lifecycle::{Action, Channel, Lifecycle, Outcome, Status, TransitionError};
pub use record::{
    Act, Actor, Apology, Applicant, Assignee, ControlEntry, Dossier, DossierError, Filing, Legacy,
    LegacyFile, Notice, Proposal, Rating, Refusal, ResultSeal, Role, Said, SupplementRequest,
    Urgency,
};
pub use routing::{
    AgencyName, Route, RoutingError, SERVICE_CENTRE, agency_name, centre_province, competent,
    province_of, route,
};
pub use scorecard::{Group, Scorecard, ServiceCounts};
pub use text::{code_point, forbidden_char, refusal as text_refusal};
pub use timeline::{Step, Timeline, TimelineError};

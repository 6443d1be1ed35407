//! Why a dossier flow stopped.

use dossier::{FieldError, Said};

/// Why a flow stopped.
#[derive(Debug)]
pub enum FlowError {
    /// No such procedure or dossier.
    NotFound(String),
    /// Not allowed for this person (why, in both languages).
    Forbidden(Said),
    /// Not possible now, or the request is wrong (why, in both languages).
    Invalid(Said),
    /// The form has errors (each field named).
    Form(Vec<FieldError>),
    /// Someone changed the dossier meanwhile.
    Conflict(String),
    /// Too many filings: try again after so many seconds.
    TooMany(String, u64),
    /// The numbers the filing would take are used up until after so many
    /// seconds (the agency's day is full).
    UsedUp(String, u64),
    /// Something failed on our side.
    Internal(String),
}

impl From<store::StoreError> for FlowError {
    fn from(e: store::StoreError) -> Self {
        match e.kind() {
            store::ErrorKind::Conflict => FlowError::Conflict(e.context().to_string()),
            store::ErrorKind::Refused => FlowError::Invalid(refused(e.context())),
            _ => FlowError::Internal(e.to_string()),
        }
    }
}

/// A refusal the store reports for a dossier (a rule of the dossier the
/// writer checked again): its reason, said in Vietnamese where the
/// dossier's rules say it.
fn refused(context: &str) -> Said {
    Said::new(
        format!("Hồ sơ không được chấp nhận: {context}"),
        context.to_string(),
    )
}

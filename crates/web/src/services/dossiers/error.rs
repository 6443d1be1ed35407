//! Why a dossier flow stopped.

use dossier::FieldError;

/// Why a flow stopped.
#[derive(Debug)]
pub enum FlowError {
    /// No such procedure or dossier.
    NotFound(String),
    /// Not allowed for this person.
    Forbidden(String),
    /// Not possible now, or the request is wrong.
    Invalid(String),
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
            store::ErrorKind::Refused => FlowError::Invalid(e.context().to_string()),
            _ => FlowError::Internal(e.to_string()),
        }
    }
}

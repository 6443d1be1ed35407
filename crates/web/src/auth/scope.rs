//! What a token is for: the API's audience and the scopes of its actions.

/// The path of the resource the platform's own API is (its audience is
/// the issuer followed by this path).
pub const API_PATH: &str = "/api/v1";

/// The audience of access tokens for the API.
pub fn api_audience(issuer: &str) -> String {
    format!("{issuer}{API_PATH}")
}

/// What an access token may be used for under `/api/v1`. Only clients the
/// platform trusts (registered `--trusted`) are given these scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// A person's own dossiers: file, follow, act as their applicant.
    Dossiers,
    /// An officer's or leader's work at their agencies: queues, intake at
    /// the counter, processing.
    Workbench,
    /// The administration of the platform (relying parties, any person's
    /// data tracker).
    Admin,
}

impl Scope {
    /// The scope's name in tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Dossiers => identity::client::SCOPE_DOSSIERS,
            Scope::Workbench => identity::client::SCOPE_WORKBENCH,
            Scope::Admin => identity::client::SCOPE_ADMIN,
        }
    }
}

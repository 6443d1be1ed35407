use std::sync::Arc;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn store::Store>,
    /// The administrative units in force.
    pub units: &'static units::Units,
    /// The exchange node this server runs: the provider's key, the members'
    /// keys, the policy and the message log's writer.
    pub exchange: Arc<crate::services::exchange::node::ExchangeNode>,
    /// The OpenID Connect provider: issuer and signing keys.
    pub oidc: Arc<crate::services::identity::provider::OidcProvider>,
    /// The limits on filing dossiers.
    pub filing: Arc<crate::ratelimit::FilingLimits>,
    /// The PDFs made for each account this minute.
    pub papers: Arc<crate::ratelimit::Limiter<String>>,
    /// The integration adapter's limits per back office.
    pub adapter: Arc<crate::ratelimit::AdapterLimits>,
    /// The forms being filled, with what was read for them.
    pub drafts: Arc<crate::services::dossiers::drafts::Drafts>,
    /// This node reports to an upstream portal, and a dossier waiting
    /// longer than this to be sent is an alert; `None`: it reports to no
    /// one (the national portal).
    pub upstream_alert: Option<std::time::Duration>,
    /// The upstream portal's pushes this node takes (its signing keys and
    /// the link its files are fetched through); `None`: it takes none
    /// (it pulls the feed, or has no upstream).
    pub pushes: Option<Arc<crate::services::backoffice::inbound::Pushes>>,
}

impl AppState {
    /// Whether this node reports to an upstream portal (a province's back
    /// office under the national portal): then the online filings of its
    /// agencies are the upstream portal's, delivered here under their
    /// codes, and its counter numbers its dossiers after their range.
    pub fn reports_upstream(&self) -> bool {
        self.upstream_alert.is_some()
    }
}

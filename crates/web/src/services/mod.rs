//! The application services under the API and the pages: what a request
//! may do with the stores and the registers, as typed operations with typed
//! errors, and the background workers that go with them. Services call the
//! store and the domain crates, never the HTTP handlers.

pub mod backoffice;
pub mod cutover;
pub mod delivery;
pub mod dossiers;
pub mod events;
pub mod exchange;
pub mod health;
pub mod identity;
pub mod mail;
pub mod organisations;
pub mod population;
pub mod tracker;

/// What a service reads and writes through: a handler's application state,
/// or the store alone (the command line's).
pub trait Stores: Send + Sync {
    /// The store.
    fn stores(&self) -> &dyn store::Store;
}

impl Stores for crate::state::AppState {
    fn stores(&self) -> &dyn store::Store {
        self.store.as_ref()
    }
}

impl Stores for dyn store::Store {
    fn stores(&self) -> &dyn store::Store {
        self
    }
}

//! The service floor under the HTTP handlers: the operations that read and
//! write the store, built on the domain crates, answering typed errors
//! rather than HTTP responses.

pub mod identity;

//! The identity service: the OpenID Connect provider's state and every
//! operation on the stored accounts, log-in attempts and lock-outs,
//! sessions, passkeys, registered clients, authorization codes, refresh
//! grants, revocations, consents and acting for an organisation. The
//! provider's endpoints (`crate::oidc`) and the extractors (`crate::auth`)
//! reach the store only through it.

pub mod accounts;
pub mod claims;
pub mod clients;
pub mod grants;
pub mod login;
pub mod provider;
pub mod records;

//! The stored records the identity service reads and writes, under the
//! names its callers use.

/// An account: its holder, its factors and its lock-out.
pub type Account = store::Account;
/// A log-in session.
pub type Session = store::Session;
/// An entry of an account's audit trail.
pub type AuditEntry = store::AuditEntry;
/// A token's account, read with the token's revocation.
pub type TokenAccount = store::TokenAccount;
/// Why the store failed.
pub type StoreError = store::StoreError;

//! Electronic identification and authentication (Decree 69/2024/NĐ-CP),
//! pure: no I/O, no clock, no randomness. Every instant, calendar and
//! secret is handed in by the caller.
//!
//! - [`subject`]: the stable internal subject identifier of every account
//!   and OpenID Connect pairwise subject identifiers (Core §8.1).
//! - [`account`]: the three kinds of account holder — citizens keyed by the
//!   personal identification number, foreigners keyed by passport and
//!   nationality with their residence card, organisations keyed by their
//!   enterprise/tax code ([`TaxCode`]) with their legal representatives and
//!   head.
//! - [`level`]: assurance levels 1 and 2, their `acr` values, and
//!   [`satisfies`].
//! - [`eligibility`]: who may hold which level (Art. 7) by age and kind.
//! - [`application`]: account applications, their lawful status
//!   transitions, level-2 verification evidence and the legal issue time in
//!   working days.
//! - [`acting`]: organisations acting through people (from 1 July 2025):
//!   authorisations with scope, period, co-representatives' consents and
//!   revocation, and [`may_act`].
//! - [`legacy`]: the old username/password organisation accounts and their
//!   cut-over.
//! - [`login`]: the holder behind an account, the identifier typed at
//!   log-in and its canonical key, the lock-out against guessing.
//! - [`password`]: people's passwords hashed with argon2id, stored as PHC
//!   strings, re-hashed when the parameters rise.
//! - [`totp`]: one-time passwords (RFC 6238, computed by `totp-rs`) with a
//!   window and replay protection.
//! - [`webauthn`]: passkeys: ceremonies set up and their answers checked
//!   by `webauthn-rs` (ES256/EdDSA, user verification required, counters
//!   and backup flags).
//! - [`authz`]: the authorization code flow's rules: requests checked
//!   against the client, PKCE (S256 only, required), levels from
//!   `acr_values`, codes redeemed once with their verifier.
//! - [`dpop`]: DPoP proofs (RFC 9449), ES256 and Ed25519, their key's
//!   thumbprint for binding tokens.
//! - [`jwk`]: clients' public keys (ES256; Ed25519 as `EdDSA` or
//!   `Ed25519`) and their thumbprints.
//! - [`client`]: relying parties: ids, grants, authentication, secrets
//!   kept as hashes, redirect URIs.
//! - [`jwt`]: signed tokens (EdDSA), the JWK Set and key rotation that
//!   keeps issued tokens valid.

#![warn(missing_docs)]

pub mod account;
pub mod acting;
pub mod application;
pub mod authz;
pub mod client;
pub mod dpop;
pub mod eligibility;
mod iso3166;
pub mod jwk;
pub mod jwt;
pub mod legacy;
pub mod level;
pub mod login;
pub mod password;
pub mod subject;
pub mod taxcode;
pub mod totp;
pub mod webauthn;

pub use account::{
    Citizen, Country, Foreigner, Organisation, PassportNumber, ResidenceCard, ResidenceCardKind,
    ResidenceCardNumber,
};
pub use acting::{
    ActRefusal, ActingCapacity, Authorisation, AuthorisationError, Scope, ServiceCode, may_act,
};
pub use application::{
    Application, ApplicationEvent, ApplicationKind, ApplicationStatus, TransitionError, WorkingDays,
};
pub use eligibility::{Ineligible, Requester};
pub use legacy::{LegacyAccount, LegacyLoginRefused, default_cutover, legacy_login_allowed};
pub use level::{AssuranceLevel, satisfies};
pub use login::{Holder, HolderKind, LoginId};
pub use subject::{PairwiseSalt, SectorIdentifier, SubjectId, pairwise_subject};
pub use taxcode::TaxCode;
pub use totp::{Totp, TotpAlgorithm, TotpError, TotpSecret};

/// Compares two byte strings in time that depends on their length only
/// (secrets, hashes, verifiers).
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a value was refused: a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// A value does not have the required shape.
    #[error("{what} {rule}, got {got:?}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// The rule it breaks, as a phrase ("must be 10 or 13 digits").
        rule: &'static str,
        /// The input as given.
        got: String,
    },
    /// A tax code whose tenth digit is not the check digit of the first nine.
    #[error(
        "tax code {got:?} fails its check digit (expected {expected} as the tenth digit): check for a typing mistake"
    )]
    TaxCodeCheckDigit {
        /// The input as given.
        got: String,
        /// The check digit the first nine digits call for, when one exists.
        expected: String,
    },
    /// A country code that ISO 3166-1 does not assign.
    #[error(
        "{got:?} is not an ISO 3166-1 country code (write two letters such as JP or three such as JPN)"
    )]
    UnknownCountry {
        /// The input as given.
        got: String,
    },
    /// The personal identification number contradicts the birth date or
    /// sex on record.
    #[error(
        "personal identification number {pin} encodes a {pin_sex} born in {pin_year}, but the record says a {sex} born {birth}: correct the record or the number"
    )]
    PinDisagrees {
        /// The number.
        pin: domain::PersonalId,
        /// The year of birth the number encodes.
        pin_year: i32,
        /// The sex the number encodes.
        pin_sex: domain::Sex,
        /// The recorded birth date.
        birth: registry::PartialDate,
        /// The recorded sex.
        sex: domain::Sex,
    },
    /// A record that breaks a rule of its own (empty lists, inverted
    /// periods, a Vietnamese passport for a foreigner …).
    #[error("{0}")]
    Invalid(String),
}

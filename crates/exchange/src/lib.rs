//! The inter-agency data exchange layer: members and their keys, signed
//! requests and responses (HTTP Message Signatures, RFC 9421), access rights
//! per purpose, legal basis and field, and a tamper-evident message log.
//!
//! The crate is a pure core: no network, no database and no clock — every
//! instant is passed in by the caller.

#![warn(missing_docs)]

pub mod log;
pub mod member;
pub mod message;
pub mod policy;
mod sfv;
pub mod signature;

pub use log::{
    Appended, BadHead, BreakReason, Broken, Checkpoint, Digest32, ForgedHead, LogEntry, LogRecord,
    LogVerifier, LogWriter, SignedHead, Verified,
};
pub use member::{
    BadPublicKey, KeyError, KeyId, KeyRing, Member, MemberId, MemberIdError, MemberKey, MemberKind,
    PublicKey, RegisteredKey,
};
pub use message::{HttpMessage, HttpRequest, HttpResponse};
pub use policy::{
    AccessRight, ConsentLookup, Grant, NoConsents, Policy, Refusal, RequestMeta, Service,
    population_registry_services,
};
pub use signature::{
    Component, SignatureError, SignatureHeaders, SignatureParams, VerifiedRequest,
    VerifiedSignature, VerifyOptions, sign_message, sign_request, sign_response, signature_base,
    verify_message, verify_request, verify_response,
};

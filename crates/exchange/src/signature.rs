//! HTTP Message Signatures (RFC 9421) with Ed25519, and `Content-Digest`
//! (RFC 9530, sha-256), plus the exchange's profile of them: which
//! components a request and a response must cover.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::member::{KeyError, KeyId, KeyRing, MemberId, MemberIdError, MemberKey};
use crate::message::{HttpMessage, HttpRequest, HttpResponse, split_uri};
use crate::sfv::{self, BareItem, Params};

/// Header carrying the consumer member's id.
pub const HDR_CLIENT: &str = "x-road-client";
/// Header carrying the purpose code.
pub const HDR_PURPOSE: &str = "x-purpose";
/// Header carrying the legal basis reference.
pub const HDR_LEGAL_BASIS: &str = "x-legal-basis";
/// Header carrying the case reference (e.g. a dossier code).
pub const HDR_CASE_REF: &str = "x-case-ref";
/// Header of a provider's response naming the message-log entry (its
/// sequence number) that records the access.
pub const HDR_LOG_ENTRY: &str = "x-log-entry";
/// Header of a provider's response carrying the log operator's signed head
/// of the message log at or after that entry
/// ([`crate::log::SignedHead::to_header`]): the consumer keeps the latest
/// one it received, so that a log later cut short of it is noticed.
pub const HDR_LOG_HEAD: &str = "x-log-head";
/// The exchange headers: when present they must be covered by the signature.
pub const EXCHANGE_HEADERS: [&str; 6] = [
    HDR_CLIENT,
    HDR_PURPOSE,
    HDR_LEGAL_BASIS,
    HDR_CASE_REF,
    HDR_LOG_ENTRY,
    HDR_LOG_HEAD,
];
/// The signature label the exchange uses.
pub const LABEL: &str = "motcua";
/// How old a request or response signature may be when checked by
/// [`verify_request`] / [`verify_response`], whatever its `expires` says: this
/// bounds how far back a stolen, since retired key could date a signature.
pub const MAX_MESSAGE_AGE: Duration = Duration::minutes(15);
/// The algorithm name of Ed25519 in RFC 9421.
pub const ALG_ED25519: &str = "ed25519";

/// Why a message could not be signed or its signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// A header the signature needs is absent.
    #[error("the message has no `{0}` header: it is not signed")]
    MissingHeader(&'static str),
    /// A header could not be parsed.
    #[error("the `{header}` header is malformed: {reason}")]
    Malformed {
        /// Which header.
        header: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `Signature-Input` names a label that `Signature` lacks, or the other way round.
    #[error("no signature labelled `{0}` in both Signature-Input and Signature")]
    NoSuchLabel(String),
    /// A required signature parameter is absent.
    #[error("the signature has no `{0}` parameter")]
    MissingParameter(&'static str),
    /// The algorithm is not Ed25519.
    #[error("signature algorithm `{0}` is not supported; use ed25519")]
    UnsupportedAlgorithm(String),
    /// The key is unknown or was not valid when the signature was created.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The signature does not match the message.
    #[error("the signature does not match the message: it was altered or signed with another key")]
    BadSignature,
    /// The body does not match its `Content-Digest`.
    #[error("the body does not match its Content-Digest: it was altered in transit")]
    DigestMismatch,
    /// `Content-Digest` carries no algorithm this side supports.
    #[error("Content-Digest carries no sha-256 digest (found: {0})")]
    UnsupportedDigest(String),
    /// The signature has expired.
    #[error("the signature expired at {expires} (now {now}); sign the message again")]
    Expired {
        /// When it expired.
        expires: DateTime<Utc>,
        /// The instant of checking.
        now: DateTime<Utc>,
    },
    /// The signature claims to have been created in the future.
    #[error("the signature was created at {created}, after now ({now}); check the signer's clock")]
    NotYetValid {
        /// Its creation time.
        created: DateTime<Utc>,
        /// The instant of checking.
        now: DateTime<Utc>,
    },
    /// The signature is older than the verifier accepts.
    #[error("the signature was created at {created}, too long before now ({now})")]
    TooOld {
        /// Its creation time.
        created: DateTime<Utc>,
        /// The instant of checking.
        now: DateTime<Utc>,
    },
    /// A covered component is absent from the message.
    #[error("the signature covers `{0}`, which the message lacks")]
    MissingComponent(String),
    /// A component the verifier requires is not covered.
    #[error("the signature does not cover `{0}`, which is required")]
    NotCovered(String),
    /// An exchange header is present but not covered by the signature.
    #[error("the `{0}` header is present but not covered by the signature")]
    UncoveredHeader(String),
    /// A component is listed twice.
    #[error("component `{0}` is listed twice")]
    DuplicateComponent(String),
    /// A component name is not supported.
    #[error("component `{0}` is not supported")]
    UnsupportedComponent(String),
    /// A value cannot be placed in a signature base.
    #[error("`{0}` has a value that cannot be signed (line break or non-ASCII in a parameter)")]
    InvalidValue(String),
    /// The key's member is not the member the message names.
    #[error("signed with a key of {signer}, but the message names `{claimed}`")]
    SignerMismatch {
        /// The member owning the signing key.
        signer: MemberId,
        /// The member named in the message.
        claimed: String,
    },
    /// A member id header could not be parsed.
    #[error(transparent)]
    BadMemberId(#[from] MemberIdError),
}

/// A component a signature can cover.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Component {
    /// `@method`
    Method,
    /// `@target-uri`
    TargetUri,
    /// `@authority`
    Authority,
    /// `@scheme`
    Scheme,
    /// `@request-target`
    RequestTarget,
    /// `@path`
    Path,
    /// `@query`
    Query,
    /// `@status`
    Status,
    /// A header field, by lower-case name.
    Field(String),
}

impl Component {
    /// A header field component (the name is lower-cased).
    pub fn field(name: &str) -> Self {
        Component::Field(name.to_ascii_lowercase())
    }

    /// Its identifier as it appears in the signature base.
    pub fn name(&self) -> &str {
        match self {
            Component::Method => "@method",
            Component::TargetUri => "@target-uri",
            Component::Authority => "@authority",
            Component::Scheme => "@scheme",
            Component::RequestTarget => "@request-target",
            Component::Path => "@path",
            Component::Query => "@query",
            Component::Status => "@status",
            Component::Field(f) => f,
        }
    }

    /// Reads a component identifier.
    pub fn parse(name: &str) -> Result<Self, SignatureError> {
        Ok(match name {
            "@method" => Component::Method,
            "@target-uri" => Component::TargetUri,
            "@authority" => Component::Authority,
            "@scheme" => Component::Scheme,
            "@request-target" => Component::RequestTarget,
            "@path" => Component::Path,
            "@query" => Component::Query,
            "@status" => Component::Status,
            f if !f.is_empty()
                && f.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
                }) =>
            {
                Component::Field(f.to_owned())
            }
            other => return Err(SignatureError::UnsupportedComponent(other.to_owned())),
        })
    }

    /// The component's value in `msg`, `None` when the message lacks it.
    fn value<M: HttpMessage + ?Sized>(&self, msg: &M) -> Option<String> {
        let uri = || msg.uri().and_then(split_uri);
        match self {
            Component::Method => msg.method().map(str::to_owned),
            Component::TargetUri => {
                let u = msg.uri()?;
                uri()?.scheme?;
                Some(u.split('#').next().unwrap_or(u).to_owned())
            }
            Component::Authority => match uri()?.authority {
                Some(a) => Some(normalize_authority(a, uri()?.scheme)),
                None => msg.header("host").map(|h| normalize_authority(&h, None)),
            },
            Component::Scheme => uri()?.scheme.map(str::to_ascii_lowercase),
            Component::RequestTarget => {
                let p = uri()?;
                let path = if p.path.is_empty() { "/" } else { p.path };
                Some(match p.query {
                    Some(q) => format!("{path}?{q}"),
                    None => path.to_owned(),
                })
            }
            Component::Path => {
                let p = uri()?;
                Some(if p.path.is_empty() {
                    "/".into()
                } else {
                    p.path.to_owned()
                })
            }
            Component::Query => Some(format!("?{}", uri()?.query.unwrap_or(""))),
            Component::Status => msg.status().map(|s| format!("{s:03}")),
            Component::Field(name) => msg.header(name),
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn normalize_authority(a: &str, scheme: Option<&str>) -> String {
    let a = a.rsplit('@').next().unwrap_or(a).to_ascii_lowercase();
    let default = match scheme.map(str::to_ascii_lowercase).as_deref() {
        Some("https") => Some(":443"),
        Some("http") => Some(":80"),
        _ => None,
    };
    match default {
        Some(port) if a.ends_with(port) => a[..a.len() - port.len()].to_owned(),
        _ => a,
    }
}

/// The covered components and parameters of one signature, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    /// The covered components, in order.
    pub components: Vec<Component>,
    params: Params,
}

impl SignatureParams {
    /// Parameters `created`, then `expires` (if any), then `keyid`, then
    /// `alg` (if any) — the order the exchange emits.
    pub fn new(
        components: Vec<Component>,
        created: DateTime<Utc>,
        expires: Option<DateTime<Utc>>,
        key_id: &KeyId,
        alg: Option<&str>,
    ) -> Self {
        let mut params: Params = vec![("created".into(), BareItem::Integer(created.timestamp()))];
        if let Some(e) = expires {
            params.push(("expires".into(), BareItem::Integer(e.timestamp())));
        }
        params.push(("keyid".into(), BareItem::String(key_id.0.clone())));
        if let Some(a) = alg {
            params.push(("alg".into(), BareItem::String(a.to_owned())));
        }
        SignatureParams { components, params }
    }

    fn param(&self, name: &str) -> Option<&BareItem> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn time_param(&self, name: &'static str) -> Result<Option<DateTime<Utc>>, SignatureError> {
        match self.param(name) {
            None => Ok(None),
            Some(BareItem::Integer(n)) => DateTime::from_timestamp(*n, 0)
                .map(Some)
                .ok_or_else(|| malformed("signature-input", format!("`{name}` is out of range"))),
            Some(_) => Err(malformed(
                "signature-input",
                format!("`{name}` must be an integer"),
            )),
        }
    }

    /// The `created` parameter.
    pub fn created(&self) -> Result<Option<DateTime<Utc>>, SignatureError> {
        self.time_param("created")
    }

    /// The `expires` parameter.
    pub fn expires(&self) -> Result<Option<DateTime<Utc>>, SignatureError> {
        self.time_param("expires")
    }

    fn string_param(&self, name: &'static str) -> Result<Option<&str>, SignatureError> {
        match self.param(name) {
            None => Ok(None),
            Some(BareItem::String(s)) => Ok(Some(s)),
            Some(_) => Err(malformed(
                "signature-input",
                format!("`{name}` must be a string"),
            )),
        }
    }

    /// The `keyid` parameter.
    pub fn key_id(&self) -> Result<Option<KeyId>, SignatureError> {
        Ok(self.string_param("keyid")?.map(|s| KeyId(s.to_owned())))
    }

    /// The `alg` parameter.
    pub fn alg(&self) -> Result<Option<&str>, SignatureError> {
        self.string_param("alg")
    }

    /// The serialised inner list, as in `Signature-Input` and the
    /// `@signature-params` line.
    pub fn serialize(&self) -> Result<String, SignatureError> {
        let mut out = String::from("(");
        for (i, c) in self.components.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(
                &sfv::serialize_string(c.name())
                    .ok_or_else(|| SignatureError::InvalidValue(c.name().to_owned()))?,
            );
        }
        out.push(')');
        out.push_str(
            &sfv::serialize_params(&self.params)
                .ok_or_else(|| SignatureError::InvalidValue("@signature-params".into()))?,
        );
        Ok(out)
    }

    fn from_member(member: &sfv::Member) -> Result<Self, SignatureError> {
        let sfv::Member::InnerList(items, params) = member else {
            return Err(malformed(
                "signature-input",
                "a signature's value must be an inner list",
            ));
        };
        let mut components = Vec::with_capacity(items.len());
        for (item, item_params) in items {
            let BareItem::String(name) = item else {
                return Err(malformed("signature-input", "components must be strings"));
            };
            if !item_params.is_empty() {
                return Err(SignatureError::UnsupportedComponent(format!(
                    "{name} with parameters"
                )));
            }
            components.push(Component::parse(name)?);
        }
        Ok(SignatureParams {
            components,
            params: params.clone(),
        })
    }
}

fn malformed(header: &'static str, reason: impl Into<String>) -> SignatureError {
    SignatureError::Malformed {
        header,
        reason: reason.into(),
    }
}

/// Builds the signature base (RFC 9421 §2.5) of `msg` for `params`.
pub fn signature_base<M: HttpMessage + ?Sized>(
    msg: &M,
    params: &SignatureParams,
) -> Result<String, SignatureError> {
    let mut out = String::new();
    for (i, c) in params.components.iter().enumerate() {
        if params.components[..i].contains(c) {
            return Err(SignatureError::DuplicateComponent(c.name().to_owned()));
        }
        let value = c
            .value(msg)
            .ok_or_else(|| SignatureError::MissingComponent(c.name().to_owned()))?;
        if value.contains(['\r', '\n']) {
            return Err(SignatureError::InvalidValue(c.name().to_owned()));
        }
        out.push('"');
        out.push_str(c.name());
        out.push_str("\": ");
        out.push_str(&value);
        out.push('\n');
    }
    out.push_str("\"@signature-params\": ");
    out.push_str(&params.serialize()?);
    Ok(out)
}

/// The `Signature-Input` and `Signature` header values of one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// The `Signature-Input` value, `label=(...);params`.
    pub signature_input: String,
    /// The `Signature` value, `label=:base64:`.
    pub signature: String,
}

/// Signs `msg` with `key` under `label`, adding `Signature-Input` and
/// `Signature` header lines, and returns their values.
pub fn sign_message<M: HttpMessage + ?Sized>(
    msg: &mut M,
    label: &str,
    params: &SignatureParams,
    key: &MemberKey,
) -> Result<SignatureHeaders, SignatureError> {
    let base = signature_base(msg, params)?;
    let sig = key.sign(base.as_bytes());
    let headers = SignatureHeaders {
        signature_input: format!("{label}={}", params.serialize()?),
        signature: format!("{label}={}", sfv::serialize_bytes(&sig)),
    };
    let h = msg.headers_mut();
    h.push(("signature-input".into(), headers.signature_input.clone()));
    h.push(("signature".into(), headers.signature.clone()));
    Ok(headers)
}

/// What a verifier demands of a signature.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The label to check; `None`: the first in `Signature-Input`.
    pub label: Option<String>,
    /// Components the signature must cover.
    pub required: Vec<Component>,
    /// How far in the future `created` may be (clock skew).
    pub max_skew: Duration,
    /// How old `created` may be, if limited.
    pub max_age: Option<Duration>,
    /// Whether an `expires` parameter is required.
    pub require_expires: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            label: None,
            required: Vec::new(),
            max_skew: Duration::seconds(30),
            max_age: None,
            require_expires: false,
        }
    }
}

/// A signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// Its label.
    pub label: String,
    /// The member owning the key.
    pub signer: MemberId,
    /// The key's id.
    pub key_id: KeyId,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it expires, if it says.
    pub expires: Option<DateTime<Utc>>,
    /// The covered components.
    pub components: Vec<Component>,
}

impl VerifiedSignature {
    /// Whether the signature covers `c`.
    pub fn covers(&self, c: &Component) -> bool {
        self.components.contains(c)
    }
}

/// Verifies one signature on `msg` against the key ring at instant `now`.
/// When the signature covers `content-digest`, the body is checked against it.
pub fn verify_message<M: HttpMessage + ?Sized>(
    msg: &M,
    keyring: &KeyRing,
    now: DateTime<Utc>,
    opts: &VerifyOptions,
) -> Result<VerifiedSignature, SignatureError> {
    let input = msg
        .header("signature-input")
        .ok_or(SignatureError::MissingHeader("Signature-Input"))?;
    let sigs = msg
        .header("signature")
        .ok_or(SignatureError::MissingHeader("Signature"))?;
    let input = sfv::parse_dictionary(&input).map_err(|e| malformed("signature-input", e))?;
    let sigs = sfv::parse_dictionary(&sigs).map_err(|e| malformed("signature", e))?;
    let (label, member) = match &opts.label {
        Some(l) => input
            .iter()
            .find(|(k, _)| k == l)
            .ok_or_else(|| SignatureError::NoSuchLabel(l.clone()))?,
        None => input
            .first()
            .ok_or(SignatureError::MissingHeader("Signature-Input"))?,
    };
    let sig = match sigs.iter().find(|(k, _)| k == label) {
        Some((_, sfv::Member::Item(BareItem::Bytes(b), _))) => b,
        Some(_) => {
            return Err(malformed(
                "signature",
                "the signature must be a byte sequence",
            ));
        }
        None => return Err(SignatureError::NoSuchLabel(label.clone())),
    };
    let params = SignatureParams::from_member(member)?;
    if let Some(alg) = params.alg()?
        && alg != ALG_ED25519
    {
        return Err(SignatureError::UnsupportedAlgorithm(alg.to_owned()));
    }
    let key_id = params
        .key_id()?
        .ok_or(SignatureError::MissingParameter("keyid"))?;
    let created = params
        .created()?
        .ok_or(SignatureError::MissingParameter("created"))?;
    let expires = params.expires()?;
    if created > now + opts.max_skew {
        return Err(SignatureError::NotYetValid { created, now });
    }
    match expires {
        Some(expires) if now >= expires => return Err(SignatureError::Expired { expires, now }),
        None if opts.require_expires => return Err(SignatureError::MissingParameter("expires")),
        _ => {}
    }
    if let Some(max_age) = opts.max_age
        && now - created > max_age
    {
        return Err(SignatureError::TooOld { created, now });
    }
    for c in &opts.required {
        if !params.components.contains(c) {
            return Err(SignatureError::NotCovered(c.name().to_owned()));
        }
    }
    let key = keyring.resolve(&key_id, created)?;
    let base = signature_base(msg, &params)?;
    if !key.key.verify(base.as_bytes(), sig) {
        return Err(SignatureError::BadSignature);
    }
    let digest = Component::field("content-digest");
    if params.components.contains(&digest) {
        let value = msg
            .header("content-digest")
            .ok_or_else(|| SignatureError::MissingComponent("content-digest".into()))?;
        verify_content_digest(&value, msg.body())?;
    }
    Ok(VerifiedSignature {
        label: label.clone(),
        signer: key.member.clone(),
        key_id,
        created,
        expires,
        components: params.components,
    })
}

/// The `Content-Digest` value of `body` (RFC 9530, sha-256).
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256={}", sfv::serialize_bytes(&Sha256::digest(body)))
}

/// Checks `body` against a `Content-Digest` value; only sha-256 is accepted.
pub fn verify_content_digest(header: &str, body: &[u8]) -> Result<(), SignatureError> {
    let dict = sfv::parse_dictionary(header).map_err(|e| malformed("content-digest", e))?;
    match dict.iter().find(|(k, _)| k == "sha-256") {
        Some((_, sfv::Member::Item(BareItem::Bytes(d), _))) => {
            if d.as_slice() == Sha256::digest(body).as_slice() {
                Ok(())
            } else {
                Err(SignatureError::DigestMismatch)
            }
        }
        Some(_) => Err(malformed(
            "content-digest",
            "sha-256 must be a byte sequence",
        )),
        None => Err(SignatureError::UnsupportedDigest(
            dict.iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        )),
    }
}

/// The sha-256 of a body, base64 — what the message log records.
pub fn body_digest(body: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(body))
}

fn exchange_components<M: HttpMessage + ?Sized>(
    msg: &M,
    mut base: Vec<Component>,
) -> Vec<Component> {
    for h in EXCHANGE_HEADERS {
        if msg.header(h).is_some() {
            base.push(Component::field(h));
        }
    }
    base
}

fn check_exchange_headers_covered<M: HttpMessage + ?Sized>(
    msg: &M,
    v: &VerifiedSignature,
) -> Result<(), SignatureError> {
    for h in EXCHANGE_HEADERS {
        if msg.header(h).is_some() && !v.covers(&Component::field(h)) {
            return Err(SignatureError::UncoveredHeader(h.to_owned()));
        }
    }
    Ok(())
}

/// Signs a request as its consumer: sets `Content-Digest` and, if absent,
/// `x-road-client`; covers `@method`, `@target-uri`, `content-digest` and
/// every exchange header present; `created` is `now`, `expires` `now + ttl`.
pub fn sign_request(
    req: &mut HttpRequest,
    key: &MemberKey,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<SignatureHeaders, SignatureError> {
    match req.header(HDR_CLIENT) {
        None => req.set_header(HDR_CLIENT, key.member.to_string()),
        Some(c) if c != key.member.to_string() => {
            return Err(SignatureError::SignerMismatch {
                signer: key.member.clone(),
                claimed: c,
            });
        }
        Some(_) => {}
    }
    sign_exchange(
        req,
        vec![Component::Method, Component::TargetUri],
        key,
        now,
        ttl,
    )
}

/// A request whose signature verified, with the exchange headers it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The signature.
    pub signature: VerifiedSignature,
    /// The consumer (`x-road-client`), which owns the signing key.
    pub consumer: MemberId,
    /// The purpose code (`x-purpose`), if given.
    pub purpose: Option<String>,
    /// The legal basis (`x-legal-basis`), if given.
    pub legal_basis: Option<String>,
    /// The case reference (`x-case-ref`), if given.
    pub case_ref: Option<String>,
}

/// Verifies a consumer's request: the exchange signature must cover
/// `@method`, `@target-uri`, `content-digest`, `x-road-client` and every
/// exchange header present, carry `expires`, and be made with a key of the
/// member named in `x-road-client`.
pub fn verify_request(
    req: &HttpRequest,
    keyring: &KeyRing,
    now: DateTime<Utc>,
) -> Result<VerifiedRequest, SignatureError> {
    let opts = VerifyOptions {
        label: Some(LABEL.into()),
        required: vec![
            Component::Method,
            Component::TargetUri,
            Component::field("content-digest"),
            Component::field(HDR_CLIENT),
        ],
        require_expires: true,
        max_age: Some(MAX_MESSAGE_AGE),
        ..VerifyOptions::default()
    };
    let signature = verify_message(req, keyring, now, &opts)?;
    check_exchange_headers_covered(req, &signature)?;
    let claimed = req
        .header(HDR_CLIENT)
        .ok_or_else(|| SignatureError::MissingComponent(HDR_CLIENT.into()))?;
    let consumer: MemberId = claimed.parse()?;
    if consumer != signature.signer {
        return Err(SignatureError::SignerMismatch {
            signer: signature.signer,
            claimed,
        });
    }
    Ok(VerifiedRequest {
        consumer,
        purpose: req.header(HDR_PURPOSE),
        legal_basis: req.header(HDR_LEGAL_BASIS),
        case_ref: req.header(HDR_CASE_REF),
        signature,
    })
}

/// Signs a response as its provider: sets `Content-Digest`; covers
/// `@status`, `content-digest` and every exchange header present.
pub fn sign_response(
    resp: &mut HttpResponse,
    key: &MemberKey,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<SignatureHeaders, SignatureError> {
    sign_exchange(resp, vec![Component::Status], key, now, ttl)
}

/// Signs an exchange message: sets `Content-Digest`; covers `derived`,
/// `content-digest` and every exchange header present; `created` is
/// `now`, `expires` `now + ttl`.
fn sign_exchange<M: HttpMessage>(
    msg: &mut M,
    mut derived: Vec<Component>,
    key: &MemberKey,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<SignatureHeaders, SignatureError> {
    let digest = content_digest(msg.body());
    msg.set_header("content-digest", digest);
    derived.push(Component::field("content-digest"));
    let components = exchange_components(msg, derived);
    let params = SignatureParams::new(
        components,
        now,
        Some(now + ttl),
        &key.key_id,
        Some(ALG_ED25519),
    );
    sign_message(msg, LABEL, &params, key)
}

/// Verifies a provider's response: the signature must cover `@status`,
/// `content-digest` and every exchange header present, and be made with a
/// key of `provider`.
pub fn verify_response(
    resp: &HttpResponse,
    keyring: &KeyRing,
    now: DateTime<Utc>,
    provider: &MemberId,
) -> Result<VerifiedSignature, SignatureError> {
    let opts = VerifyOptions {
        label: Some(LABEL.into()),
        required: vec![Component::Status, Component::field("content-digest")],
        require_expires: true,
        max_age: Some(MAX_MESSAGE_AGE),
        ..VerifyOptions::default()
    };
    let signature = verify_message(resp, keyring, now, &opts)?;
    check_exchange_headers_covered(resp, &signature)?;
    if &signature.signer != provider {
        return Err(SignatureError::SignerMismatch {
            signer: signature.signer,
            claimed: provider.to_string(),
        });
    }
    Ok(signature)
}

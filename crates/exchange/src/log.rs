//! The message log: one entry per exchanged message, hash-chained, with
//! checkpoints signed by the log operator, so that an edit, deletion,
//! insertion, reordering or truncation is noticed and located. The
//! operator also signs the log's head for whoever must later prove what the
//! log held ([`SignedHead`]): kept outside the log's store, such heads
//! reveal a log cut short after its last checkpoint, checkpoints and all.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::member::{KeyId, MemberId, MemberKey, PublicKey};
use crate::signature::HDR_LOG_HEAD;

/// A SHA-256 digest, shown and serialised as lower-case hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest32(pub [u8; 32]);

impl Digest32 {
    /// The all-zero digest: the `prev_hash` of the first entry.
    pub const ZERO: Digest32 = Digest32([0; 32]);

    /// The SHA-256 of `bytes` (e.g. a request or response body).
    pub fn of(bytes: &[u8]) -> Self {
        Digest32(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest32({self})")
    }
}

/// Why a digest could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a SHA-256 digest in hex (64 hex digits)")]
pub struct BadDigest(String);

impl TryFrom<String> for Digest32 {
    type Error = BadDigest;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(|_| BadDigest(s))?;
        Ok(Digest32(out))
    }
}

impl From<Digest32> for String {
    fn from(d: Digest32) -> Self {
        d.to_string()
    }
}

/// What is logged about one exchanged message, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// When the message was exchanged.
    pub at: DateTime<Utc>,
    /// The consumer.
    pub consumer: MemberId,
    /// The provider.
    pub provider: MemberId,
    /// The service code.
    pub service: String,
    /// The purpose code.
    pub purpose: String,
    /// The legal basis, or `None` when the person's consent was relied on.
    pub legal_basis: Option<String>,
    /// The case reference.
    pub case_ref: Option<String>,
    /// The person the data is about.
    pub person_id: Option<String>,
    /// The fields released: those the request was granted (a provider
    /// service answers with every field it is granted), or the event kinds
    /// of a delivery.
    pub fields: Vec<String>,
    /// SHA-256 of the request body.
    pub request_digest: Digest32,
    /// SHA-256 of the response body, where it was known when the entry was
    /// written. An access to a provider service is logged before its answer
    /// exists (the data leaves only once the entry is stored), so it has
    /// none; its signed response names the entry instead (`x-log-entry`).
    #[serde(default)]
    pub response_digest: Option<Digest32>,
}

impl LogRecord {
    /// What to log for a request granted by `grant`, written before the
    /// provider answers: who asked, for what purpose, legal basis and case,
    /// about whom, the fields granted and the request as signed.
    pub fn access(grant: &crate::policy::Grant, at: DateTime<Utc>, request_body: &[u8]) -> Self {
        LogRecord {
            at,
            consumer: grant.consumer.clone(),
            provider: grant.provider.clone(),
            service: grant.service.clone(),
            purpose: grant.purpose.clone(),
            legal_basis: grant.legal_basis.clone(),
            case_ref: Some(grant.case_ref.clone()),
            person_id: grant.person_id.clone(),
            fields: grant.fields.iter().cloned().collect(),
            request_digest: Digest32::of(request_body),
            response_digest: None,
        }
    }
}

/// One entry of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Its sequence number, from 1 without gaps.
    pub seq: u64,
    /// What was logged.
    #[serde(flatten)]
    pub record: LogRecord,
    /// The hash of the previous entry ([`Digest32::ZERO`] for the first).
    pub prev_hash: Digest32,
    /// SHA-256 over the canonical encoding of everything above.
    pub hash: Digest32,
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend_from_slice(&(s.len() as u64).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

fn put_opt(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => buf.push(0),
        Some(s) => {
            buf.push(1);
            put_str(buf, s);
        }
    }
}

impl LogEntry {
    /// The canonical encoding the hash is computed over: a domain tag, then
    /// every field in a fixed order, strings length-prefixed, optional
    /// values with a presence byte.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let r = &self.record;
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(b"motcua/exchange/log-entry/v2\0");
        buf.extend_from_slice(&self.seq.to_be_bytes());
        buf.extend_from_slice(&r.at.timestamp().to_be_bytes());
        buf.extend_from_slice(&r.at.timestamp_subsec_nanos().to_be_bytes());
        put_str(&mut buf, r.consumer.as_str());
        put_str(&mut buf, r.provider.as_str());
        put_str(&mut buf, &r.service);
        put_str(&mut buf, &r.purpose);
        put_opt(&mut buf, r.legal_basis.as_deref());
        put_opt(&mut buf, r.case_ref.as_deref());
        put_opt(&mut buf, r.person_id.as_deref());
        buf.extend_from_slice(&(r.fields.len() as u64).to_be_bytes());
        for f in &r.fields {
            put_str(&mut buf, f);
        }
        buf.extend_from_slice(&r.request_digest.0);
        match &r.response_digest {
            None => buf.push(0),
            Some(d) => {
                buf.push(1);
                buf.extend_from_slice(&d.0);
            }
        }
        buf.extend_from_slice(&self.prev_hash.0);
        buf
    }

    /// The hash the entry should carry.
    pub fn compute_hash(&self) -> Digest32 {
        Digest32::of(&self.canonical_bytes())
    }
}

/// A log operator's signature over (seq, hash) of one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The entry's sequence number.
    pub seq: u64,
    /// The entry's hash.
    pub hash: Digest32,
    /// The operator key that signed.
    pub key_id: KeyId,
    /// The Ed25519 signature, base64.
    pub signature: String,
}

fn checkpoint_message(seq: u64, hash: &Digest32) -> Vec<u8> {
    let mut m = Vec::with_capacity(80);
    m.extend_from_slice(b"motcua/exchange/checkpoint/v1\0");
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&hash.0);
    m
}

impl Checkpoint {
    /// Signs the entry's (seq, hash) with the operator's key.
    pub fn sign(entry: &LogEntry, operator: &MemberKey) -> Self {
        let sig = operator.sign(&checkpoint_message(entry.seq, &entry.hash));
        Checkpoint {
            seq: entry.seq,
            hash: entry.hash,
            key_id: operator.key_id.clone(),
            signature: STANDARD.encode(sig),
        }
    }

    /// Whether the signature is the operator's over (seq, hash).
    pub fn verify(&self, operator: &PublicKey) -> bool {
        STANDARD
            .decode(&self.signature)
            .is_ok_and(|sig| operator.verify(&checkpoint_message(self.seq, &self.hash), &sig))
    }
}

/// Appends entries to a log, and signs a checkpoint every N entries.
#[derive(Debug, Clone)]
pub struct LogWriter {
    next_seq: u64,
    last_hash: Digest32,
    checkpoint_every: u64,
}

/// What one append produced; both must be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The new entry.
    pub entry: LogEntry,
    /// A checkpoint over it, when one was due.
    pub checkpoint: Option<Checkpoint>,
}

impl LogWriter {
    /// A writer for a new, empty log; a checkpoint is signed every
    /// `checkpoint_every` entries (0: never).
    pub fn new(checkpoint_every: u64) -> Self {
        LogWriter {
            next_seq: 1,
            last_hash: Digest32::ZERO,
            checkpoint_every,
        }
    }

    /// A writer continuing after `last` (the log's last stored entry).
    pub fn resume(last: Option<&LogEntry>, checkpoint_every: u64) -> Self {
        match last {
            None => Self::new(checkpoint_every),
            Some(e) => LogWriter {
                next_seq: e.seq + 1,
                last_hash: e.hash,
                checkpoint_every,
            },
        }
    }

    /// The sequence number and hash of the last entry chained (`None`
    /// before the first).
    pub fn head(&self) -> Option<(u64, Digest32)> {
        (self.next_seq > 1).then_some((self.next_seq - 1, self.last_hash))
    }

    /// Chains `record` after the last entry and, when due, signs a checkpoint.
    pub fn append(&mut self, record: LogRecord, operator: &MemberKey) -> Appended {
        let mut entry = LogEntry {
            seq: self.next_seq,
            record,
            prev_hash: self.last_hash,
            hash: Digest32::ZERO,
        };
        entry.hash = entry.compute_hash();
        self.next_seq += 1;
        self.last_hash = entry.hash;
        let checkpoint = (self.checkpoint_every > 0
            && entry.seq.is_multiple_of(self.checkpoint_every))
        .then(|| Checkpoint::sign(&entry, operator));
        Appended { entry, checkpoint }
    }
}

/// The log operator's signed statement of the log's head: the sequence
/// number and hash of its last entry at a time. The node hands one to every
/// answer (`x-log-head`) and keeps the latest outside its database; whoever
/// holds one can later prove that the log once reached that entry with that
/// hash, so a log cut short of it, or rewritten below it, is noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    /// The last entry's sequence number.
    pub seq: u64,
    /// The last entry's hash.
    pub hash: Digest32,
    /// When the operator signed it (whole seconds).
    pub at: DateTime<Utc>,
    /// The operator key that signed.
    pub key_id: KeyId,
    /// The Ed25519 signature, base64.
    pub signature: String,
}

/// Why a signed head could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a signed head of the message log: {0}")]
pub struct BadHead(String);

fn head_message(seq: u64, hash: &Digest32, at: i64) -> Vec<u8> {
    let mut m = Vec::with_capacity(80);
    m.extend_from_slice(b"motcua/exchange/head/v1\0");
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(&hash.0);
    m.extend_from_slice(&at.to_be_bytes());
    m
}

impl SignedHead {
    /// Signs (seq, hash) as the log's head at `at` (kept to whole seconds)
    /// with the operator's key.
    pub fn sign(seq: u64, hash: Digest32, at: DateTime<Utc>, operator: &MemberKey) -> Self {
        let secs = at.timestamp();
        let sig = operator.sign(&head_message(seq, &hash, secs));
        SignedHead {
            seq,
            hash,
            at: DateTime::from_timestamp(secs, 0).unwrap_or(at),
            key_id: operator.key_id.clone(),
            signature: STANDARD.encode(sig),
        }
    }

    /// Whether the signature is the operator's over (seq, hash, at).
    pub fn verify(&self, operator: &PublicKey) -> bool {
        STANDARD.decode(&self.signature).is_ok_and(|sig| {
            operator.verify(
                &head_message(self.seq, &self.hash, self.at.timestamp()),
                &sig,
            )
        })
    }

    /// The head as the value of an `x-log-head` response header, an
    /// RFC 8941 dictionary: `seq=17, hash="<hex>", at=<Unix seconds>,
    /// keyid="<key id>", sig=:<base64>:`. `None` when the key id holds a
    /// character a header string cannot carry.
    pub fn to_header(&self) -> Option<String> {
        Some(format!(
            "seq={}, hash=\"{}\", at={}, keyid={}, sig=:{}:",
            self.seq,
            self.hash,
            self.at.timestamp(),
            crate::sfv::serialize_string(&self.key_id.0)?,
            self.signature
        ))
    }

    /// Reads an `x-log-head` header's value (see [`SignedHead::to_header`]).
    /// The signature is not checked here: see [`SignedHead::verify`].
    pub fn from_header(value: &str) -> Result<Self, BadHead> {
        use crate::sfv::{BareItem, Member};
        let dict = crate::sfv::parse_dictionary(value).map_err(BadHead)?;
        let item = |name: &str| {
            dict.iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, m)| match m {
                    Member::Item(item, _) => Some(item),
                    Member::InnerList(..) => None,
                })
                .ok_or_else(|| BadHead(format!("no `{name}` item")))
        };
        let seq = match item("seq")? {
            BareItem::Integer(n) => u64::try_from(*n).ok(),
            _ => None,
        }
        .ok_or_else(|| BadHead("`seq` is not a sequence number".into()))?;
        let hash = match item("hash")? {
            BareItem::String(s) => Digest32::try_from(s.clone()).ok(),
            _ => None,
        }
        .ok_or_else(|| BadHead("`hash` is not a SHA-256 digest in hex".into()))?;
        let at = match item("at")? {
            BareItem::Integer(n) => DateTime::from_timestamp(*n, 0),
            _ => None,
        }
        .ok_or_else(|| BadHead("`at` is not a time in Unix seconds".into()))?;
        let key_id = match item("keyid")? {
            BareItem::String(s) => KeyId(s.clone()),
            _ => return Err(BadHead("`keyid` is not a string".into())),
        };
        let signature = match item("sig")? {
            BareItem::Bytes(b) => STANDARD.encode(b),
            _ => return Err(BadHead("`sig` is not a byte sequence".into())),
        };
        Ok(SignedHead {
            seq,
            hash,
            at,
            key_id,
            signature,
        })
    }

    /// Reads a head kept in a file: its JSON (as the node and `motcua
    /// exchange export-head` write it) or an `x-log-head` header's value
    /// (with or without the header's name).
    pub fn parse(text: &str) -> Result<Self, BadHead> {
        let text = text.trim();
        if text.starts_with('{') {
            return serde_json::from_str(text).map_err(|e| BadHead(e.to_string()));
        }
        let value = match text.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case(HDR_LOG_HEAD) => value,
            _ => text,
        };
        Self::from_header(value.trim())
    }
}

/// What is wrong at the first broken place of a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BreakReason {
    /// The entry's contents do not match its hash.
    #[error("its contents do not match its hash: the entry was edited")]
    Edited,
    /// The entry's hash is not the one the next entry chains to.
    #[error(
        "entry {next} does not chain to it: this entry was edited and re-hashed, inserted, or entries after it were removed"
    )]
    ChainBroken {
        /// The next entry's sequence number.
        next: u64,
    },
    /// The first entry does not start the chain.
    #[error("the first entry does not start the chain (its prev_hash is not zero)")]
    BadGenesis,
    /// Entries are missing.
    #[error("entries {from} to {to} are missing: they were deleted")]
    Missing {
        /// First missing.
        from: u64,
        /// Last missing.
        to: u64,
    },
    /// An entry appears where another belongs.
    #[error(
        "entry {found} stands where entry {expected} belongs: entries were reordered or duplicated"
    )]
    OutOfOrder {
        /// The sequence number expected.
        expected: u64,
        /// The sequence number found.
        found: u64,
    },
    /// Two entries carry this sequence number.
    #[error("two entries carry this sequence number: one was inserted or copied")]
    Duplicate,
    /// A checkpoint's signature is not the operator's.
    #[error("the checkpoint at this entry is not signed by the log operator: it is forged")]
    ForgedCheckpoint,
    /// An entry no longer matches a valid checkpoint.
    #[error(
        "entry {checkpoint_seq} no longer has the hash the operator signed: entries from here to {checkpoint_seq} were rewritten"
    )]
    CheckpointMismatch {
        /// The checkpoint's sequence number.
        checkpoint_seq: u64,
    },
    /// The log ends before an entry that a checkpoint signed.
    #[error(
        "the log ends here, but the operator signed a checkpoint at entry {checkpoint_seq}: it was truncated"
    )]
    Truncated {
        /// The checkpoint's sequence number.
        checkpoint_seq: u64,
    },
    /// A checkpoint is due at this entry and none is stored.
    #[error(
        "no checkpoint is stored at this entry, though one is due every {every} entries: it was deleted"
    )]
    MissingCheckpoint {
        /// The checkpoint interval.
        every: u64,
    },
    /// The log ends before the entry a signed head names.
    #[error(
        "log truncated: a signed head of {head_at} names entry {head_seq}, the log ends at {log_end}"
    )]
    TruncatedBelowHead {
        /// The head's sequence number.
        head_seq: u64,
        /// When the operator signed the head.
        head_at: DateTime<Utc>,
        /// The last entry the log holds (0: none).
        log_end: u64,
    },
    /// An entry no longer has the hash a signed head gave it.
    #[error(
        "entry {head_seq} no longer has the hash the operator signed in the head of {head_at}: entries from here to {head_seq} were rewritten"
    )]
    HeadMismatch {
        /// The head's sequence number.
        head_seq: u64,
        /// When the operator signed the head.
        head_at: DateTime<Utc>,
    },
}

/// The log is not intact; `first_bad_seq` names the first broken entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the message log is broken at entry {first_bad_seq}: {reason}")]
pub struct Broken {
    /// The first entry found broken.
    pub first_bad_seq: u64,
    /// What is wrong there.
    pub reason: BreakReason,
}

/// The log is intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// How many entries were checked.
    pub entries: u64,
    /// The hash of the last entry ([`Digest32::ZERO`] for an empty log).
    pub last_hash: Digest32,
    /// How many checkpoints were checked.
    pub checkpoints: usize,
    /// The sequence number of the last checkpoint, if any.
    pub last_checkpoint: Option<u64>,
    /// How many signed heads the log was checked against.
    pub heads: usize,
    /// The latest of them (the highest sequence number), if any.
    pub last_head: Option<SignedHead>,
    /// Entries after the last checkpoint and the last signed head: their
    /// removal from the end of the log could not be noticed from what was
    /// checked.
    pub unanchored: u64,
}

/// A signed head that is not the log operator's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the signed head naming entry {seq} of {at} is not signed by the log operator's key: it is forged, or the key is not the operator's"
)]
pub struct ForgedHead {
    /// The entry it names.
    pub seq: u64,
    /// When it says it was signed.
    pub at: DateTime<Utc>,
}

/// What an entry must match: the hash signed over it, and by what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Checkpoint(Digest32),
    Head(Digest32, DateTime<Utc>),
}

/// Verifies a log entry by entry, in stored order from seq 1, carrying
/// only the previous entry's hash, so that a log of any length is checked
/// in constant memory (the checkpoints and signed heads are held whole).
///
/// Every entry's hash covers its contents and chains to the entry before
/// it; sequence numbers have no gaps; every checkpoint is signed by the log
/// operator, still matches its entry, and none is missing where one is due;
/// every signed head given (held outside the log's store) still matches its
/// entry, and the log reaches it.
#[derive(Debug, Clone)]
pub struct LogVerifier {
    /// seq → what the entry must match (valid checkpoints and heads).
    anchors: BTreeMap<u64, Vec<Anchor>>,
    /// Every stored checkpoint's seq, signed by the operator or not.
    stored: HashSet<u64>,
    checkpoints: usize,
    heads: Vec<SignedHead>,
    /// The lowest seq of a checkpoint not signed by the operator.
    forged: Option<u64>,
    checkpoint_every: u64,
    expected_seq: u64,
    prev_hash: Digest32,
    last_anchor: Option<u64>,
    last_checkpoint: Option<u64>,
}

impl LogVerifier {
    /// A verifier against the stored `checkpoints` and the operator's key.
    pub fn new(checkpoints: &[Checkpoint], operator: &PublicKey) -> Self {
        let mut anchors: BTreeMap<u64, Vec<Anchor>> = BTreeMap::new();
        let mut forged: Option<u64> = None;
        for cp in checkpoints {
            if cp.verify(operator) {
                anchors
                    .entry(cp.seq)
                    .or_default()
                    .push(Anchor::Checkpoint(cp.hash));
            } else {
                forged = Some(forged.map_or(cp.seq, |f| f.min(cp.seq)));
            }
        }
        LogVerifier {
            anchors,
            stored: checkpoints.iter().map(|c| c.seq).collect(),
            checkpoints: checkpoints.len(),
            heads: Vec::new(),
            forged,
            checkpoint_every: 0,
            expected_seq: 1,
            prev_hash: Digest32::ZERO,
            last_anchor: None,
            last_checkpoint: None,
        }
    }

    /// Also requires a checkpoint at every multiple of `every` (0: none
    /// required), as the log's writer signs them.
    pub fn checkpoints_every(mut self, every: u64) -> Self {
        self.checkpoint_every = every;
        self
    }

    /// Also checks the log against `head`, a head the operator signed that
    /// was kept outside the log's store: the log must still hold its entry,
    /// with its hash. A head not signed by `operator` is refused.
    pub fn hold_head(&mut self, head: &SignedHead, operator: &PublicKey) -> Result<(), ForgedHead> {
        if !head.verify(operator) {
            return Err(ForgedHead {
                seq: head.seq,
                at: head.at,
            });
        }
        self.anchors
            .entry(head.seq)
            .or_default()
            .push(Anchor::Head(head.hash, head.at));
        self.heads.push(head.clone());
        Ok(())
    }

    /// The sequence number the next entry must carry.
    pub fn expected_seq(&self) -> u64 {
        self.expected_seq
    }

    /// Checks the next entry. The error is the log's first break (a forged
    /// checkpoint before it comes first).
    pub fn step(&mut self, e: &LogEntry) -> Result<(), Broken> {
        self.check(e).map_err(|b| self.first_break(b))
    }

    fn check(&mut self, e: &LogEntry) -> Result<(), Broken> {
        let broken = |first_bad_seq, reason| {
            Err(Broken {
                first_bad_seq,
                reason,
            })
        };
        if e.seq != self.expected_seq {
            return if e.seq < self.expected_seq {
                broken(e.seq, BreakReason::Duplicate)
            } else {
                broken(
                    self.expected_seq,
                    BreakReason::Missing {
                        from: self.expected_seq,
                        to: e.seq - 1,
                    },
                )
            };
        }
        if e.compute_hash() != e.hash {
            return broken(e.seq, BreakReason::Edited);
        }
        if e.prev_hash != self.prev_hash {
            return if e.seq == 1 {
                broken(1, BreakReason::BadGenesis)
            } else {
                broken(e.seq - 1, BreakReason::ChainBroken { next: e.seq })
            };
        }
        if let Some(anchors) = self.anchors.get(&e.seq) {
            let rewritten_from = self.last_anchor.map_or(1, |a| a + 1);
            for anchor in anchors {
                match *anchor {
                    Anchor::Checkpoint(signed) if signed != e.hash => {
                        return broken(
                            rewritten_from,
                            BreakReason::CheckpointMismatch {
                                checkpoint_seq: e.seq,
                            },
                        );
                    }
                    Anchor::Head(signed, head_at) if signed != e.hash => {
                        return broken(
                            rewritten_from,
                            BreakReason::HeadMismatch {
                                head_seq: e.seq,
                                head_at,
                            },
                        );
                    }
                    Anchor::Checkpoint(_) => self.last_checkpoint = Some(e.seq),
                    Anchor::Head(..) => {}
                }
            }
            self.last_anchor = Some(e.seq);
        }
        if self.checkpoint_every > 0
            && e.seq.is_multiple_of(self.checkpoint_every)
            && !self.stored.contains(&e.seq)
        {
            return broken(
                e.seq,
                BreakReason::MissingCheckpoint {
                    every: self.checkpoint_every,
                },
            );
        }
        self.prev_hash = e.hash;
        self.expected_seq += 1;
        Ok(())
    }

    /// A forged checkpoint before the break found is the first break.
    fn first_break(&self, b: Broken) -> Broken {
        match self.forged {
            Some(f) if f < b.first_bad_seq => Broken {
                first_bad_seq: f,
                reason: BreakReason::ForgedCheckpoint,
            },
            _ => b,
        }
    }

    /// Once every entry has been stepped through: whether the log reaches
    /// every checkpoint and signed head, and no checkpoint is forged.
    pub fn finish(self) -> Result<Verified, Broken> {
        let log_end = self.expected_seq - 1;
        // what signed an entry beyond the end: the latest head, else the
        // first checkpoint
        let beyond = || self.anchors.range(self.expected_seq..);
        let head = beyond().rev().find_map(|(&seq, anchors)| {
            anchors.iter().find_map(|a| match a {
                Anchor::Head(_, head_at) => Some(BreakReason::TruncatedBelowHead {
                    head_seq: seq,
                    head_at: *head_at,
                    log_end,
                }),
                Anchor::Checkpoint(_) => None,
            })
        });
        let checkpoint = || {
            beyond().next().map(|(&seq, _)| BreakReason::Truncated {
                checkpoint_seq: seq,
            })
        };
        if let Some(reason) = head.or_else(checkpoint) {
            return Err(self.first_break(Broken {
                first_bad_seq: self.expected_seq,
                reason,
            }));
        }
        if let Some(f) = self.forged {
            return Err(Broken {
                first_bad_seq: f,
                reason: BreakReason::ForgedCheckpoint,
            });
        }
        let last_head = self.heads.iter().max_by_key(|h| (h.seq, h.at)).cloned();
        Ok(Verified {
            entries: log_end,
            last_hash: self.prev_hash,
            checkpoints: self.checkpoints,
            last_checkpoint: self.last_checkpoint,
            heads: self.heads.len(),
            last_head,
            unanchored: log_end - self.last_anchor.unwrap_or(0),
        })
    }
}

/// Verifies a whole log (entries in stored order, from seq 1) against its
/// checkpoints and the operator's public key.
pub fn verify(
    entries: &[LogEntry],
    checkpoints: &[Checkpoint],
    operator_key: &PublicKey,
) -> Result<Verified, Broken> {
    verify_all(LogVerifier::new(checkpoints, operator_key), entries)
}

/// Runs `verifier` over a whole log held in memory; there, an entry found
/// ahead of its place that the log holds further on is reported as out of
/// order rather than as a gap.
pub fn verify_all(mut verifier: LogVerifier, entries: &[LogEntry]) -> Result<Verified, Broken> {
    let present: HashSet<u64> = entries.iter().map(|e| e.seq).collect();
    for e in entries {
        let expected = verifier.expected_seq();
        if e.seq > expected && present.contains(&expected) {
            return Err(verifier.first_break(Broken {
                first_bad_seq: expected,
                reason: BreakReason::OutOfOrder {
                    expected,
                    found: e.seq,
                },
            }));
        }
        verifier.step(e)?;
    }
    verifier.finish()
}

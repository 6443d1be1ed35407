//! The message log: one entry per exchanged message, hash-chained, with
//! checkpoints signed by the log operator, so that an edit, deletion,
//! insertion, reordering or truncation is noticed and located.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::member::{KeyId, MemberId, MemberKey, PublicKey};

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
    /// Entries after the last checkpoint: their removal from the end of the
    /// log could not be noticed until the next checkpoint.
    pub unanchored: u64,
}

/// Verifies a whole log (entries in stored order, from seq 1) against its
/// checkpoints and the operator's public key.
pub fn verify(
    entries: &[LogEntry],
    checkpoints: &[Checkpoint],
    operator_key: &PublicKey,
) -> Result<Verified, Broken> {
    let broken = |first_bad_seq, reason| Broken {
        first_bad_seq,
        reason,
    };
    // Checkpoints: forged ones are a break at their seq; good ones anchor.
    let mut anchors: BTreeMap<u64, Digest32> = BTreeMap::new();
    let mut forged: Option<u64> = None;
    for cp in checkpoints {
        if cp.verify(operator_key) {
            anchors.insert(cp.seq, cp.hash);
        } else {
            forged = Some(forged.map_or(cp.seq, |f| f.min(cp.seq)));
        }
    }
    let walk = walk(entries, &anchors);
    match (walk, forged) {
        (Err(b), Some(f)) if f < b.first_bad_seq => Err(broken(f, BreakReason::ForgedCheckpoint)),
        (Err(b), _) => Err(b),
        (Ok(_), Some(f)) => Err(broken(f, BreakReason::ForgedCheckpoint)),
        (Ok(v), None) => Ok(Verified {
            checkpoints: checkpoints.len(),
            ..v
        }),
    }
}

fn walk(entries: &[LogEntry], anchors: &BTreeMap<u64, Digest32>) -> Result<Verified, Broken> {
    let broken = |first_bad_seq, reason| Broken {
        first_bad_seq,
        reason,
    };
    let present: HashSet<u64> = entries.iter().map(|e| e.seq).collect();
    let mut expected_seq = 1u64;
    let mut prev_hash = Digest32::ZERO;
    let mut last_anchor: Option<u64> = None;
    for e in entries {
        if e.seq != expected_seq {
            return Err(if e.seq < expected_seq {
                broken(e.seq, BreakReason::Duplicate)
            } else if !present.contains(&expected_seq) {
                broken(
                    expected_seq,
                    BreakReason::Missing {
                        from: expected_seq,
                        to: e.seq - 1,
                    },
                )
            } else {
                broken(
                    expected_seq,
                    BreakReason::OutOfOrder {
                        expected: expected_seq,
                        found: e.seq,
                    },
                )
            });
        }
        if e.compute_hash() != e.hash {
            return Err(broken(e.seq, BreakReason::Edited));
        }
        if e.prev_hash != prev_hash {
            return Err(if e.seq == 1 {
                broken(1, BreakReason::BadGenesis)
            } else {
                broken(e.seq - 1, BreakReason::ChainBroken { next: e.seq })
            });
        }
        if let Some(signed) = anchors.get(&e.seq) {
            if *signed != e.hash {
                return Err(broken(
                    last_anchor.map_or(1, |a| a + 1),
                    BreakReason::CheckpointMismatch {
                        checkpoint_seq: e.seq,
                    },
                ));
            }
            last_anchor = Some(e.seq);
        }
        prev_hash = e.hash;
        expected_seq += 1;
    }
    let last_seq = expected_seq - 1;
    if let Some((&cp, _)) = anchors.range(expected_seq..).next() {
        return Err(broken(
            expected_seq,
            BreakReason::Truncated { checkpoint_seq: cp },
        ));
    }
    Ok(Verified {
        entries: last_seq,
        last_hash: prev_hash,
        checkpoints: 0,
        last_checkpoint: last_anchor,
        unanchored: last_seq - last_anchor.unwrap_or(0),
    })
}

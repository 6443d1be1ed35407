//! Members of the exchange, their signing keys and the key ring that
//! resolves a key id to a member's public key.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

/// Why a member id could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemberIdError {
    /// The id does not have the form `INSTANCE/CLASS/CODE[/SUBSYSTEM]`.
    #[error(
        "member id `{0}` must look like INSTANCE/CLASS/CODE or INSTANCE/CLASS/CODE/SUBSYSTEM, e.g. VN/GOV/BCA/registry"
    )]
    Shape(String),
    /// The instance part is not 2–8 upper-case ASCII letters.
    #[error("instance `{0}` must be 2 to 8 upper-case letters, e.g. VN")]
    Instance(String),
    /// The member class is not 2–8 upper-case ASCII letters.
    #[error("member class `{0}` must be 2 to 8 upper-case letters, e.g. GOV")]
    Class(String),
    /// The member code or subsystem contains characters other than letters,
    /// digits, `-`, `_`, `.`, or is empty or longer than 64 characters.
    #[error("`{0}` must be 1 to 64 letters, digits, '-', '_' or '.' (member codes and subsystems)")]
    Code(String),
}

/// Identifies a member (or one of its subsystems) of the exchange, in the
/// form `INSTANCE/CLASS/CODE[/SUBSYSTEM]`, e.g. `VN/GOV/BCA/registry`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MemberId {
    text: String,
    /// Byte offsets of the first three slashes (the third is the length
    /// when there is no subsystem).
    cuts: [u16; 3],
}

impl MemberId {
    /// The federation instance, e.g. `VN`.
    pub fn instance(&self) -> &str {
        &self.text[..usize::from(self.cuts[0])]
    }
    /// The member class, e.g. `GOV`.
    pub fn class(&self) -> &str {
        &self.text[usize::from(self.cuts[0]) + 1..usize::from(self.cuts[1])]
    }
    /// The member code, e.g. `BCA`.
    pub fn code(&self) -> &str {
        &self.text[usize::from(self.cuts[1]) + 1..usize::from(self.cuts[2])]
    }
    /// The subsystem, e.g. `registry`, if the id names one.
    pub fn subsystem(&self) -> Option<&str> {
        self.text.get(usize::from(self.cuts[2]) + 1..)
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn upper_word(s: &str) -> bool {
    (2..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn code_word(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl FromStr for MemberId {
    type Err = MemberIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(MemberIdError::Shape(s.to_owned()));
        }
        if !upper_word(parts[0]) {
            return Err(MemberIdError::Instance(parts[0].to_owned()));
        }
        if !upper_word(parts[1]) {
            return Err(MemberIdError::Class(parts[1].to_owned()));
        }
        for p in &parts[2..] {
            if !code_word(p) {
                return Err(MemberIdError::Code((*p).to_owned()));
            }
        }
        // Each part is at most 64 bytes, so the offsets fit in u16.
        let cut = |n: usize| -> u16 {
            let end: usize = parts[..n].iter().map(|p| p.len()).sum::<usize>() + n - 1;
            u16::try_from(end).unwrap_or(u16::MAX)
        };
        Ok(MemberId {
            text: s.to_owned(),
            cuts: [cut(1), cut(2), cut(3)],
        })
    }
}

impl TryFrom<String> for MemberId {
    type Error = MemberIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<MemberId> for String {
    fn from(id: MemberId) -> Self {
        id.to_string()
    }
}

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What kind of organisation a member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// A ministry or ministry-level agency.
    Ministry,
    /// A province (or centrally governed city) people's committee.
    Province,
    /// A commune's public administration service center.
    CommuneServiceCenter,
    /// A hospital or other health facility.
    Hospital,
    /// The social insurance agency.
    SocialInsurance,
    /// The operator of a registry (population, land, business …).
    Registry,
    /// A court or procuracy.
    Judiciary,
    /// A state-owned or private enterprise admitted to the exchange.
    Enterprise,
    /// Anything else.
    Other,
}

/// A member of the exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its id.
    pub id: MemberId,
    /// Its official name.
    pub name: String,
    /// What kind of organisation it is.
    pub kind: MemberKind,
}

/// Identifies one signing key; carried in the `keyid` signature parameter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeyId(pub String);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member's private Ed25519 signing key together with its key id.
#[derive(Clone)]
pub struct MemberKey {
    /// The member that owns the key.
    pub member: MemberId,
    /// The key's id.
    pub key_id: KeyId,
    signing: SigningKey,
}

impl fmt::Debug for MemberKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemberKey")
            .field("member", &self.member)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl MemberKey {
    /// Makes a key from a 32-byte Ed25519 secret seed.
    pub fn from_seed(member: MemberId, key_id: KeyId, seed: [u8; 32]) -> Self {
        MemberKey {
            member,
            key_id,
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// Generates a fresh key from the operating system's random source.
    pub fn generate(member: MemberId, key_id: KeyId) -> Self {
        let signing = SigningKey::generate(&mut rand_core::OsRng);
        MemberKey {
            member,
            key_id,
            signing,
        }
    }

    /// The 32-byte secret seed (for storing the key; keep it secret).
    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    /// Signs a message, returning the 64-byte signature.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// An Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// Why a public key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid Ed25519 public key")]
pub struct BadPublicKey;

impl PublicKey {
    /// Reads a raw 32-byte public key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, BadPublicKey> {
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| BadPublicKey)
    }

    /// The raw 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Whether `signature` is a valid signature of `message` by this key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(sig) = Signature::from_slice(signature) else {
            return false;
        };
        self.0.verify(message, &sig).is_ok()
    }
}

/// A member's public key as registered in the key ring, with the period in
/// which signatures made with it are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredKey {
    /// The key's id.
    pub key_id: KeyId,
    /// The member that owns it.
    pub member: MemberId,
    /// The public key.
    pub key: PublicKey,
    /// Signatures created before this instant are not accepted.
    pub valid_from: DateTime<Utc>,
    /// Signatures created at or after this instant are not accepted
    /// (`None`: not yet retired).
    pub valid_until: Option<DateTime<Utc>>,
}

impl RegisteredKey {
    /// Whether a signature created at `at` falls in the key's validity.
    pub fn valid_at(&self, at: DateTime<Utc>) -> bool {
        at >= self.valid_from && self.valid_until.is_none_or(|until| at < until)
    }
}

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No key with that id is registered.
    #[error("no key `{0}` is registered in the key ring")]
    Unknown(KeyId),
    /// The key exists but was not valid when the signature was created.
    #[error("key `{key_id}` was not valid at {at} (valid from {valid_from}{until})", until = .valid_until.map(|u| format!(" until {u}")).unwrap_or_default())]
    NotValidAt {
        /// The key's id.
        key_id: KeyId,
        /// When the signature claims to have been created.
        at: DateTime<Utc>,
        /// Start of validity.
        valid_from: DateTime<Utc>,
        /// End of validity.
        valid_until: Option<DateTime<Utc>>,
    },
    /// A key with that id is already registered.
    #[error("key `{0}` is already registered")]
    Duplicate(KeyId),
}

/// The members' public keys, by key id. A rotated key stays in the ring with
/// an end of validity, so what it signed while valid still verifies.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    keys: HashMap<KeyId, RegisteredKey>,
}

impl KeyRing {
    /// An empty ring.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a key; refuses a second key with the same id.
    pub fn insert(&mut self, key: RegisteredKey) -> Result<(), KeyError> {
        if self.keys.contains_key(&key.key_id) {
            return Err(KeyError::Duplicate(key.key_id));
        }
        self.keys.insert(key.key_id.clone(), key);
        Ok(())
    }

    /// Retires a key: signatures created from `at` on are no longer accepted.
    pub fn retire(&mut self, key_id: &KeyId, at: DateTime<Utc>) -> Result<(), KeyError> {
        let key = self
            .keys
            .get_mut(key_id)
            .ok_or_else(|| KeyError::Unknown(key_id.clone()))?;
        key.valid_until = Some(key.valid_until.map_or(at, |u| u.min(at)));
        Ok(())
    }

    /// Registers `new` for the same member and retires `old` at `new.valid_from`.
    pub fn rotate(&mut self, old: &KeyId, new: RegisteredKey) -> Result<(), KeyError> {
        if !self.keys.contains_key(old) {
            return Err(KeyError::Unknown(old.clone()));
        }
        let at = new.valid_from;
        self.insert(new)?;
        self.retire(old, at)
    }

    /// The keys of `member`, current and retired, in no order.
    pub fn keys_of<'a>(&'a self, member: &'a MemberId) -> impl Iterator<Item = &'a RegisteredKey> {
        self.keys.values().filter(move |k| &k.member == member)
    }

    /// The key with that id, if registered.
    pub fn get(&self, key_id: &KeyId) -> Option<&RegisteredKey> {
        self.keys.get(key_id)
    }

    /// The key with that id, if it was valid for a signature created at `at`.
    pub fn resolve(&self, key_id: &KeyId, at: DateTime<Utc>) -> Result<&RegisteredKey, KeyError> {
        let key = self
            .keys
            .get(key_id)
            .ok_or_else(|| KeyError::Unknown(key_id.clone()))?;
        if key.valid_at(at) {
            Ok(key)
        } else {
            Err(KeyError::NotValidAt {
                key_id: key_id.clone(),
                at,
                valid_from: key.valid_from,
                valid_until: key.valid_until,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn member_ids_parse_and_print() {
        let id: MemberId = "VN/GOV/BCA/registry".parse().unwrap();
        assert_eq!(id.instance(), "VN");
        assert_eq!(id.class(), "GOV");
        assert_eq!(id.code(), "BCA");
        assert_eq!(id.subsystem(), Some("registry"));
        assert_eq!(id.to_string(), "VN/GOV/BCA/registry");
        let m: MemberId = "VN/GOV/BHXH".parse().unwrap();
        assert_eq!(m.subsystem(), None);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"VN/GOV/BCA/registry\"");
        assert_eq!(serde_json::from_str::<MemberId>(&json).unwrap(), id);
    }

    #[test]
    fn bad_member_ids_are_refused() {
        // the kind of refusal, by the part of the id it is about
        let part = |e: &MemberIdError| match e {
            MemberIdError::Shape(_) => "shape",
            MemberIdError::Instance(_) => "instance",
            MemberIdError::Class(_) => "class",
            MemberIdError::Code(_) => "code",
        };
        for (bad, refused) in [
            ("VN/GOV", "shape"),
            ("VN/GOV/A/b/c", "shape"),
            ("vn/GOV/BCA", "instance"),
            ("VN/gov/BCA", "class"),
            ("VN/GOV/B C A", "code"),
            ("VN/GOV/BCA/", "code"),
        ] {
            let e = bad.parse::<MemberId>().expect_err(bad);
            assert_eq!(part(&e), refused, "{bad}: {e}");
        }
        assert!(serde_json::from_str::<MemberId>("\"VN/x\"").is_err());
    }

    #[test]
    fn rotated_key_verifies_only_within_its_validity() {
        let member: MemberId = "VN/GOV/BCA/registry".parse().unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let t1 = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let old = MemberKey::from_seed(member.clone(), KeyId("k1".into()), [1; 32]);
        let new = MemberKey::from_seed(member.clone(), KeyId("k2".into()), [2; 32]);
        let mut ring = KeyRing::new();
        ring.insert(RegisteredKey {
            key_id: old.key_id.clone(),
            member: member.clone(),
            key: old.public(),
            valid_from: t0,
            valid_until: None,
        })
        .unwrap();
        ring.rotate(
            &old.key_id,
            RegisteredKey {
                key_id: new.key_id.clone(),
                member: member.clone(),
                key: new.public(),
                valid_from: t1,
                valid_until: None,
            },
        )
        .unwrap();
        let before = t1 - chrono::Duration::days(1);
        assert!(ring.resolve(&old.key_id, before).is_ok());
        assert!(matches!(
            ring.resolve(&old.key_id, t1),
            Err(KeyError::NotValidAt { .. })
        ));
        assert!(ring.resolve(&new.key_id, t1).is_ok());
        assert!(matches!(
            ring.resolve(&new.key_id, before),
            Err(KeyError::NotValidAt { .. })
        ));
        assert!(matches!(
            ring.resolve(&KeyId("nope".into()), t1),
            Err(KeyError::Unknown(_))
        ));
        // both stay the member's; another member's keys are not among them
        let other: MemberId = "VN/GOV/BHXH".parse().unwrap();
        ring.insert(RegisteredKey {
            key_id: KeyId("k3".into()),
            member: other.clone(),
            key: MemberKey::from_seed(other.clone(), KeyId("k3".into()), [3; 32]).public(),
            valid_from: t0,
            valid_until: None,
        })
        .unwrap();
        let mut ids: Vec<&str> = ring.keys_of(&member).map(|k| k.key_id.0.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["k1", "k2"]);
        assert_eq!(ring.keys_of(&other).count(), 1);
        let sig = old.sign(b"hello");
        assert!(old.public().verify(b"hello", &sig));
        assert!(!new.public().verify(b"hello", &sig));
        assert!(!old.public().verify(b"hellO", &sig));
    }
}

//! Subject identifiers.
//!
//! Every account — a citizen's, a foreigner's, an organisation's — has one
//! internal [`SubjectId`] that never changes: not when a foreigner's
//! passport is renewed, not when an organisation moves from its legacy
//! username/password account to logging in through its representatives
//! (see [`crate::legacy`]). Relying parties never see it; they see a
//! pairwise identifier ([`pairwise_subject`]), different per sector, as in
//! OpenID Connect Core 1.0 §8.1, so two services cannot join their users
//! on the identifier alone.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::IdentityError;

/// The stable internal identifier of an account. A UUID chosen by the
/// caller when the account is first created (this crate makes no random
/// numbers); serialised as its hyphenated lowercase text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SubjectId(Uuid);

impl SubjectId {
    /// Wraps a UUID; the nil UUID is refused, since it is what an
    /// uninitialised field looks like.
    pub fn new(uuid: Uuid) -> Result<Self, IdentityError> {
        if uuid.is_nil() {
            return Err(IdentityError::Malformed {
                what: "subject identifier",
                rule: "must not be the nil UUID",
                got: uuid.to_string(),
            });
        }
        Ok(Self(uuid))
    }

    /// Reads a UUID in any of its usual text forms.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let uuid = Uuid::parse_str(s.trim()).map_err(|_| IdentityError::Malformed {
            what: "subject identifier",
            rule: "must be a UUID such as 0190b8b2-7c1e-7a4e-8f00-3b1e2d4c5a6f",
            got: s.to_string(),
        })?;
        Self::new(uuid)
    }

    /// The UUID.
    pub fn uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl std::str::FromStr for SubjectId {
    type Err = IdentityError;
    fn from_str(s: &str) -> Result<Self, IdentityError> {
        Self::parse(s)
    }
}

/// The sector identifier of OpenID Connect Core §8.1: the host part of a
/// relying party's `sector_identifier_uri`, or of its single redirect URI.
/// Relying parties of one sector share pairwise identifiers. Stored in
/// lowercase; only a DNS host name (labels of letters, digits and hyphens,
/// 1–63 characters each, 253 in all) is accepted — no scheme, port or path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SectorIdentifier(String);

impl SectorIdentifier {
    /// Reads a host name such as `dichvucong.example.vn`.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let host = s.trim().trim_end_matches('.').to_ascii_lowercase();
        let bad = |rule| IdentityError::Malformed {
            what: "sector identifier",
            rule,
            got: s.to_string(),
        };
        if host.is_empty() || host.len() > 253 {
            return Err(bad("must be a host name of 1 to 253 characters"));
        }
        for label in host.split('.') {
            let ok_chars = label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if label.is_empty()
                || label.len() > 63
                || !ok_chars
                || label.starts_with('-')
                || label.ends_with('-')
            {
                return Err(bad(
                    "must be a host name only (letters, digits, hyphens and dots; no scheme, port or path)",
                ));
            }
        }
        Ok(Self(host))
    }

    /// The host name, lowercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

domain::display_as_str!(SectorIdentifier);
domain::text_conversions!(SectorIdentifier, IdentityError);

/// The provider's secret salt for pairwise identifiers: at least 32 bytes
/// (the HMAC-SHA256 key length). Never printed: its `Debug` shows only the
/// length. Changing it changes every pairwise identifier, so it is kept as
/// long as the relying parties keep their users.
#[derive(Clone)]
pub struct PairwiseSalt {
    /// The keyed HMAC, ready to be cloned for each identifier.
    mac: Hmac<Sha256>,
    len: usize,
}

impl PairwiseSalt {
    /// The shortest salt accepted, in bytes.
    pub const MIN_LEN: usize = 32;

    /// Takes the salt's bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, IdentityError> {
        let refuse = || IdentityError::Malformed {
            what: "pairwise salt",
            rule: "must be at least 32 random bytes",
            got: format!("{} bytes", bytes.len()),
        };
        if bytes.len() < Self::MIN_LEN {
            return Err(refuse());
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&bytes).map_err(|_| refuse())?;
        Ok(Self {
            mac,
            len: bytes.len(),
        })
    }
}

impl fmt::Debug for PairwiseSalt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PairwiseSalt({} bytes, redacted)", self.len)
    }
}

/// The pairwise subject identifier a relying party of `sector` sees for
/// the account `local`: HMAC-SHA256 keyed with `salt` over the sector
/// identifier, a zero byte (which no host name contains, so no two inputs
/// run together) and the 16 bytes of the subject's UUID; written in
/// unpadded base64url (43 characters). The same inputs always give the
/// same identifier; without the salt it cannot be reversed or linked
/// across sectors.
pub fn pairwise_subject(
    sector: &SectorIdentifier,
    local: &SubjectId,
    salt: &PairwiseSalt,
) -> String {
    let mut mac = salt.mac.clone();
    mac.update(sector.as_str().as_bytes());
    mac.update(&[0]);
    mac.update(local.0.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(n: u128) -> SubjectId {
        SubjectId::new(Uuid::from_u128(n)).expect("not nil")
    }

    fn salt(byte: u8) -> PairwiseSalt {
        PairwiseSalt::new(vec![byte; 32]).expect("long enough")
    }

    #[test]
    fn subject_ids_parse_and_refuse_nil() {
        let id = SubjectId::parse("0190B8B2-7C1E-7A4E-8F00-3B1E2D4C5A6F").expect("uuid");
        assert_eq!(id.to_string(), "0190b8b2-7c1e-7a4e-8f00-3b1e2d4c5a6f");
        assert_eq!(
            serde_json::to_string(&id).expect("ser"),
            "\"0190b8b2-7c1e-7a4e-8f00-3b1e2d4c5a6f\""
        );
        assert!(SubjectId::parse("00000000-0000-0000-0000-000000000000").is_err());
        assert!(SubjectId::parse("not-a-uuid").is_err());
        assert!(SubjectId::new(Uuid::nil()).is_err());
    }

    #[test]
    fn sector_identifiers_are_host_names() {
        let s = SectorIdentifier::parse(" DichVuCong.Example.VN. ").expect("host");
        assert_eq!(s.as_str(), "dichvucong.example.vn");
        for bad in [
            "",
            "https://example.vn",
            "example.vn:443",
            "example.vn/path",
            "-bad.vn",
            "bad-.vn",
            "a..vn",
            "ví-dụ.vn",
            &"a".repeat(64),
        ] {
            assert!(SectorIdentifier::parse(bad).is_err(), "{bad}");
        }
        assert!(SectorIdentifier::parse(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn pairwise_identifiers_are_stable_opaque_and_per_sector() {
        let a = SectorIdentifier::parse("a.example.vn").expect("host");
        let b = SectorIdentifier::parse("b.example.vn").expect("host");
        let p = pairwise_subject(&a, &subject(1), &salt(7));
        assert_eq!(p.len(), 43);
        assert!(
            p.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_eq!(p, pairwise_subject(&a, &subject(1), &salt(7)));
        assert_ne!(p, pairwise_subject(&b, &subject(1), &salt(7)));
        assert_ne!(p, pairwise_subject(&a, &subject(2), &salt(7)));
        assert_ne!(p, pairwise_subject(&a, &subject(1), &salt(8)));
        assert!(!p.contains(&subject(1).to_string()));
    }

    #[test]
    fn pairwise_identifier_is_hmac_sha256_of_the_documented_message() {
        // recomputed independently of pairwise_subject
        let sector = SectorIdentifier::parse("rp.example.vn").expect("host");
        let local = subject(0x0102_0304_0506_0708_090a_0b0c_0d0e_0f10);
        let key = [0x42u8; 32];
        let mut message = b"rp.example.vn".to_vec();
        message.push(0);
        message.extend(1u8..=16);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("key");
        mac.update(&message);
        let expected = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        let salt = PairwiseSalt::new(key.to_vec()).expect("salt");
        assert_eq!(pairwise_subject(&sector, &local, &salt), expected);
    }

    #[test]
    fn salts_are_long_and_never_printed() {
        assert!(PairwiseSalt::new(vec![1; 31]).is_err());
        let s = PairwiseSalt::new(vec![0xAB; 40]).expect("salt");
        let shown = format!("{s:?}");
        assert!(shown.contains("40 bytes") && !shown.contains("171") && !shown.contains("ab"));
    }
}

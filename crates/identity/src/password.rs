//! People's passwords, hashed with argon2id (RFC 9106) and stored as PHC
//! strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
//!
//! The parameters ([`Params::DEFAULT`]: 19 MiB, 2 passes, 1 lane, the
//! OWASP password-storage recommendation for argon2id) are kept in each
//! hash, so that they can be raised later: a hash made with other
//! parameters still verifies, and [`PasswordHash::needs_rehash`] says when
//! to hash the password again at the next successful log-in. The salt
//! comes from the caller (this crate has no randomness).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;

/// Why a password or a stored hash was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short or too long.
    #[error("a password has {min} to {max} characters", min = MIN_CHARS, max = MAX_CHARS)]
    Length,
    /// The stored hash is not a PHC argon2id string this code reads.
    #[error("a stored password hash is not an argon2id PHC string: {0}")]
    BadHash(&'static str),
    /// The parameters are outside what argon2 accepts.
    #[error("argon2 refused the parameters: {0}")]
    Params(String),
}

/// The fewest characters of a password (NIST SP 800-63B asks at least 8).
pub const MIN_CHARS: usize = 8;
/// The most characters of a password (so that hashing stays bounded).
pub const MAX_CHARS: usize = 128;

/// The cost of one hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Memory, KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Params {
    /// 19 MiB, 2 passes, 1 lane.
    pub const DEFAULT: Params = Params {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    fn argon2(&self) -> Result<argon2::Argon2<'static>, PasswordError> {
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(HASH_LEN))
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }
}

const HASH_LEN: usize = 32;

/// A stored password hash.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    params: Params,
    salt: Vec<u8>,
    hash: [u8; HASH_LEN],
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHash")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

fn check_length(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if (MIN_CHARS..=MAX_CHARS).contains(&n) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

impl PasswordHash {
    /// Hashes a new password with `salt` (16 random bytes from the caller).
    pub fn new(password: &str, salt: &[u8; 16], params: Params) -> Result<Self, PasswordError> {
        check_length(password)?;
        let mut hash = [0u8; HASH_LEN];
        params
            .argon2()?
            .hash_password_into(password.as_bytes(), salt, &mut hash)
            .map_err(|e| PasswordError::Params(e.to_string()))?;
        Ok(PasswordHash {
            params,
            salt: salt.to_vec(),
            hash,
        })
    }

    /// Whether `password` is the one hashed (compared in constant time).
    pub fn verify(&self, password: &str) -> bool {
        if check_length(password).is_err() {
            return false;
        }
        let Ok(argon2) = self.params.argon2() else {
            return false;
        };
        let mut out = [0u8; HASH_LEN];
        if argon2
            .hash_password_into(password.as_bytes(), &self.salt, &mut out)
            .is_err()
        {
            return false;
        }
        crate::same_bytes(&out, &self.hash)
    }

    /// Whether the hash was made with other parameters than `current`.
    pub fn needs_rehash(&self, current: Params) -> bool {
        self.params != current
    }

    /// The parameters it was made with.
    pub fn params(&self) -> Params {
        self.params
    }

    /// The PHC string.
    pub fn to_phc(&self) -> String {
        format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            self.params.m_kib,
            self.params.t,
            self.params.p,
            B64.encode(&self.salt),
            B64.encode(self.hash)
        )
    }

    /// Reads a PHC string.
    pub fn from_phc(s: &str) -> Result<Self, PasswordError> {
        let bad = PasswordError::BadHash;
        let mut parts = s.split('$');
        if parts.next() != Some("") {
            return Err(bad("it does not start with '$'"));
        }
        if parts.next() != Some("argon2id") {
            return Err(bad("the algorithm is not argon2id"));
        }
        if parts.next() != Some("v=19") {
            return Err(bad("the version is not 19"));
        }
        let params = parts.next().ok_or(bad("no parameters"))?;
        let (mut m, mut t, mut p) = (None, None, None);
        for kv in params.split(',') {
            let (k, v) = kv.split_once('=').ok_or(bad("a parameter without '='"))?;
            let v: u32 = v.parse().map_err(|_| bad("a parameter is not a number"))?;
            match k {
                "m" if m.is_none() => m = Some(v),
                "t" if t.is_none() => t = Some(v),
                "p" if p.is_none() => p = Some(v),
                _ => return Err(bad("an unknown or repeated parameter")),
            }
        }
        let params = Params {
            m_kib: m.ok_or(bad("no m"))?,
            t: t.ok_or(bad("no t"))?,
            p: p.ok_or(bad("no p"))?,
        };
        let salt = B64
            .decode(parts.next().ok_or(bad("no salt"))?)
            .map_err(|_| bad("the salt is not base64"))?;
        if !(8..=64).contains(&salt.len()) {
            return Err(bad("the salt is not 8 to 64 bytes"));
        }
        let hash: [u8; HASH_LEN] = B64
            .decode(parts.next().ok_or(bad("no hash"))?)
            .map_err(|_| bad("the hash is not base64"))?
            .try_into()
            .map_err(|_| bad("the hash is not 32 bytes"))?;
        if parts.next().is_some() {
            return Err(bad("more parts than a PHC string has"));
        }
        params.argon2()?;
        Ok(PasswordHash { params, salt, hash })
    }
}

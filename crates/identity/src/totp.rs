//! Time-based one-time passwords (RFC 6238, on HOTP, RFC 4226), computed
//! and checked by the `totp-rs` crate.
//!
//! Defaults: HMAC-SHA-1, 6 digits, a 30-second step counted from the Unix
//! epoch. A code is accepted for the current step and one step either side
//! (clock drift and typing time), and never twice: the caller keeps the
//! last accepted step for the account and hands it back, and only later
//! steps are accepted (RFC 6238 §5.2; `totp-rs` says which step a code
//! matched and leaves this rule to its caller). The clock is the caller's:
//! every function takes the instant as Unix seconds.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The HMAC hash function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TotpAlgorithm {
    /// HMAC-SHA-1, the default and what authenticator apps expect.
    #[default]
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl TotpAlgorithm {
    fn engine(self) -> totp_rs::Algorithm {
        match self {
            TotpAlgorithm::Sha1 => totp_rs::Algorithm::SHA1,
            TotpAlgorithm::Sha256 => totp_rs::Algorithm::SHA256,
            TotpAlgorithm::Sha512 => totp_rs::Algorithm::SHA512,
        }
    }

    /// The name in an `otpauth://` URI.
    fn uri_name(self) -> &'static str {
        match self {
            TotpAlgorithm::Sha1 => "SHA1",
            TotpAlgorithm::Sha256 => "SHA256",
            TotpAlgorithm::Sha512 => "SHA512",
        }
    }
}

/// Why a code or parameter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// The secret is too short.
    #[error("a one-time password secret must be at least 16 bytes (128 bits), got {0} bytes")]
    ShortSecret(usize),
    /// The parameters are out of range.
    #[error("one-time passwords have 6 to 8 digits and a step of 1 second or more")]
    Parameters,
    /// The code is not made of the right number of digits.
    #[error("enter the {digits}-digit code shown in your authenticator app")]
    Malformed {
        /// The number of digits expected.
        digits: u32,
    },
    /// The code matches no step in the window.
    #[error("the code is wrong or has expired: enter the code your app shows now")]
    Mismatch,
    /// The code was already used.
    #[error("this code has already been used: wait for the next code")]
    Replayed,
    /// The instant is before the epoch of the step count.
    #[error("the clock reads a time before the step count's epoch")]
    BeforeEpoch,
}

/// A shared TOTP secret: at least 16 bytes (RFC 4226 §4, R6; 20 are
/// recommended). Its `Debug` never shows it; it is serialised as unpadded
/// base64url so it can be stored (encrypted at rest by the store).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// Takes the secret's bytes.
    pub fn new(bytes: Vec<u8>) -> Result<Self, TotpError> {
        if bytes.len() < 16 {
            return Err(TotpError::ShortSecret(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// The secret in base32 without padding (RFC 4648 §6), as
    /// authenticator apps take it.
    pub fn base32(&self) -> String {
        totp_rs::Secret::from(self.0.as_slice()).to_base32()
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TotpSecret({} bytes, redacted)", self.0.len())
    }
}

impl Serialize for TotpSecret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for TotpSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(|_| serde::de::Error::custom("a TOTP secret is unpadded base64url"))?;
        Self::new(bytes).map_err(serde::de::Error::custom)
    }
}

/// A TOTP generator and verifier. Stored with its parameters, which are
/// checked again when read back.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TotpRecord", into = "TotpRecord")]
pub struct Totp {
    secret: TotpSecret,
    algorithm: TotpAlgorithm,
    /// The codes, from the same parameters (one step of skew either side).
    engine: totp_rs::Totp,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("secret", &self.secret)
            .field("algorithm", &self.algorithm)
            .field("digits", &self.engine.digits())
            .field("step", &self.engine.step())
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct TotpRecord {
    secret: TotpSecret,
    algorithm: TotpAlgorithm,
    digits: u32,
    step: u64,
}

impl TryFrom<TotpRecord> for Totp {
    type Error = TotpError;
    fn try_from(r: TotpRecord) -> Result<Self, TotpError> {
        Self::with(r.secret, r.algorithm, r.digits, r.step)
    }
}

impl From<Totp> for TotpRecord {
    fn from(t: Totp) -> Self {
        Self {
            digits: t.digits(),
            step: t.engine.step(),
            secret: t.secret,
            algorithm: t.algorithm,
        }
    }
}

impl Totp {
    /// The usual parameters: SHA-1, 6 digits, 30 seconds.
    pub fn new(secret: TotpSecret) -> Self {
        let engine = totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(30)
            .with_secret(secret.0.as_slice())
            // the parameters above are the RFC's own, the secret's length is
            // checked by TotpSecret: nothing here is out of range
            .build_noncompliant();
        Self {
            secret,
            algorithm: TotpAlgorithm::Sha1,
            engine,
        }
    }

    /// Other parameters: 6 to 8 digits, a step of at least one second.
    pub fn with(
        secret: TotpSecret,
        algorithm: TotpAlgorithm,
        digits: u32,
        step_seconds: u64,
    ) -> Result<Self, TotpError> {
        let digits = u8::try_from(digits).map_err(|_| TotpError::Parameters)?;
        let engine = totp_rs::Builder::new()
            .with_algorithm(algorithm.engine())
            .with_digits(digits)
            .with_skew(1)
            .with_step_duration(step_seconds)
            .with_secret(secret.0.as_slice())
            .build()
            .map_err(|e| match e {
                totp_rs::TotpError::SecretTooShort { bits } => TotpError::ShortSecret(bits / 8),
                _ => TotpError::Parameters,
            })?;
        Ok(Self {
            secret,
            algorithm,
            engine,
        })
    }

    fn digits(&self) -> u32 {
        u32::from(self.engine.digits())
    }

    /// The `otpauth://` URI an authenticator app reads (as a QR code or
    /// typed): the secret in base32, the issuer and the account's label,
    /// and every parameter written out.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}",
            enc(issuer),
            enc(account),
            self.secret.base32(),
            enc(issuer),
            self.algorithm.uri_name(),
            self.engine.digits(),
            self.engine.step()
        )
    }

    /// The step number at `unix_seconds` (RFC 6238 §4.2: T = (now − T0) / X,
    /// T0 = 0).
    pub fn step_at(&self, unix_seconds: i64) -> Result<u64, TotpError> {
        u64::try_from(unix_seconds)
            .map(|now| now / self.engine.step())
            .map_err(|_| TotpError::BeforeEpoch)
    }

    /// The code for a step, zero-padded to the number of digits.
    pub fn code_for_step(&self, step: u64) -> String {
        // a step past the end of time has no code: the empty code matches
        // no input (verify accepts only codes of `digits` digits)
        step.checked_mul(self.engine.step())
            .map(|at| self.engine.generate(at).to_string())
            .unwrap_or_default()
    }

    /// The code at `unix_seconds`.
    pub fn code_at(&self, unix_seconds: i64) -> Result<String, TotpError> {
        self.step_at(unix_seconds).map(|s| self.code_for_step(s))
    }

    /// Checks a code typed at `unix_seconds` against the current step and
    /// one step either side, accepting only steps after
    /// `last_accepted_step`. Returns the step it matched: store it as the
    /// new last accepted step.
    pub fn verify(
        &self,
        code: &str,
        unix_seconds: i64,
        last_accepted_step: Option<u64>,
    ) -> Result<u64, TotpError> {
        let code = code.trim();
        let digits = self.digits();
        if code.len() != digits as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpError::Malformed { digits });
        }
        let now = u64::try_from(unix_seconds).map_err(|_| TotpError::BeforeEpoch)?;
        // the earliest step of the window whose code matches; should the
        // same code also belong to a later step of the window (a one in a
        // million chance), refusing it as a replay is the safe side
        match self.engine.check(code, now) {
            Some(step) if last_accepted_step.is_some_and(|last| step <= last) => {
                Err(TotpError::Replayed)
            }
            Some(step) => Ok(step),
            None => Err(TotpError::Mismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret(algorithm: TotpAlgorithm) -> TotpSecret {
        let seed = b"1234567890";
        let len = match algorithm {
            TotpAlgorithm::Sha1 => 20,
            TotpAlgorithm::Sha256 => 32,
            TotpAlgorithm::Sha512 => 64,
        };
        TotpSecret::new(seed.iter().copied().cycle().take(len).collect()).expect("secret")
    }

    /// RFC 6238 Appendix B: time, SHA-1, SHA-256, SHA-512 (8 digits, 30 s).
    const VECTORS: [(i64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ];

    #[test]
    fn rfc_6238_appendix_b() {
        use TotpAlgorithm::*;
        for (time, sha1, sha256, sha512) in VECTORS {
            for (algorithm, expected) in [(Sha1, sha1), (Sha256, sha256), (Sha512, sha512)] {
                let totp = Totp::with(rfc_secret(algorithm), algorithm, 8, 30).expect("params");
                assert_eq!(
                    totp.code_at(time).expect("code"),
                    expected,
                    "{algorithm:?} at {time}"
                );
                assert_eq!(
                    totp.verify(expected, time, None),
                    Ok(totp.step_at(time).expect("step"))
                );
            }
        }
    }

    #[test]
    fn six_digits_are_the_last_six_of_the_truncation() {
        let totp = Totp::new(rfc_secret(TotpAlgorithm::Sha1));
        // the 8-digit value mod 10^6
        assert_eq!(totp.code_at(59).expect("code"), "287082");
        assert_eq!(totp.code_at(1_111_111_109).expect("code"), "081804");
        assert_eq!(totp.step_at(59), Ok(1));
        assert_eq!(totp.step_at(60), Ok(2));
        assert_eq!(totp.step_at(-1), Err(TotpError::BeforeEpoch));
    }

    #[test]
    fn one_step_either_side_and_no_further() {
        let totp = Totp::new(rfc_secret(TotpAlgorithm::Sha1));
        let now = 1_700_000_000i64; // step 56_666_666, 20 s into it
        let step = totp.step_at(now).expect("step");
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let s = step.checked_add_signed(offset).expect("step");
            let code = totp.code_for_step(s);
            let got = totp.verify(&code, now, None);
            if accepted {
                assert_eq!(got, Ok(s), "offset {offset}");
            } else {
                assert_eq!(got, Err(TotpError::Mismatch), "offset {offset}");
            }
        }
        // at the very first step there is no step before it
        assert_eq!(totp.verify(&totp.code_for_step(0), 0, None), Ok(0));
    }

    #[test]
    fn replays_are_refused() {
        let totp = Totp::new(rfc_secret(TotpAlgorithm::Sha1));
        let now = 1_700_000_000i64;
        let step = totp.step_at(now).expect("step");
        let code = totp.code_for_step(step);
        let accepted = totp.verify(&code, now, None).expect("first use");
        assert_eq!(accepted, step);
        // the same code again, even a second later in the same window
        assert_eq!(
            totp.verify(&code, now + 1, Some(accepted)),
            Err(TotpError::Replayed)
        );
        assert_eq!(
            totp.verify(&code, now + 30, Some(accepted)),
            Err(TotpError::Replayed)
        );
        // an older code still in the window is refused too
        let previous = totp.code_for_step(step - 1);
        assert_eq!(
            totp.verify(&previous, now, Some(accepted)),
            Err(TotpError::Replayed)
        );
        // the next step's code is fresh
        let next = totp.code_for_step(step + 1);
        assert_eq!(totp.verify(&next, now + 30, Some(accepted)), Ok(step + 1));
        // a wrong code after a success is a mismatch, not a replay
        let wrong = if code == "000000" { "000001" } else { "000000" };
        assert_eq!(
            totp.verify(wrong, now, Some(accepted)),
            Err(TotpError::Mismatch)
        );
    }

    #[test]
    fn malformed_codes_and_parameters() {
        let totp = Totp::new(rfc_secret(TotpAlgorithm::Sha1));
        for bad in ["", "12345", "1234567", "12a456", "12 456", "１23456"] {
            assert_eq!(
                totp.verify(bad, 59, None),
                Err(TotpError::Malformed { digits: 6 }),
                "{bad:?}"
            );
        }
        assert!(totp.verify(" 287082 ", 59, None).is_ok());
        assert_eq!(
            TotpSecret::new(vec![0; 15]),
            Err(TotpError::ShortSecret(15))
        );
        for (digits, step) in [(5, 30), (9, 30), (6, 0)] {
            assert_eq!(
                Totp::with(
                    rfc_secret(TotpAlgorithm::Sha1),
                    TotpAlgorithm::Sha1,
                    digits,
                    step
                ),
                Err(TotpError::Parameters)
            );
        }
    }

    #[test]
    fn secrets_are_redacted_and_round_trip() {
        let totp = Totp::new(rfc_secret(TotpAlgorithm::Sha1));
        assert!(!format!("{totp:?}").contains("49"));
        let json = serde_json::to_string(&totp).expect("ser");
        assert!(json.contains("\"algorithm\":\"SHA1\""), "{json}");
        assert_eq!(serde_json::from_str::<Totp>(&json).expect("de"), totp);
        assert!(serde_json::from_str::<TotpSecret>("\"AAAA\"").is_err());
        let too_many = json.replace("\"digits\":6", "\"digits\":12");
        assert!(serde_json::from_str::<Totp>(&too_many).is_err());
    }

    #[test]
    fn secrets_are_written_in_base32_for_authenticator_apps() {
        // RFC 4648 §10 test vectors (without padding)
        for (raw, b32) in [
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            let secret = TotpSecret(raw.as_bytes().to_vec());
            assert_eq!(secret.base32(), b32, "{raw}");
        }
        let totp = Totp::new(TotpSecret::new(b"12345678901234567890".to_vec()).expect("secret"));
        assert_eq!(
            totp.provisioning_uri("motcua eID", "079203000001"),
            "otpauth://totp/motcua%20eID:079203000001?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=motcua%20eID&algorithm=SHA1&digits=6&period=30"
        );
    }
}

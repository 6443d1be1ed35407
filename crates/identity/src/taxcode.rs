//! The enterprise code / tax code (mã số doanh nghiệp / mã số thuế) of an
//! organisation.
//!
//! Ten digits for the organisation itself; a dependent unit (branch,
//! representative office) has thirteen: the parent's ten, then a 3-digit
//! suffix 001–999, printed with a hyphen (`0100047516-001`) and also met
//! without it. Both forms are read and normalised to the digits; the
//! printed form is what [`TaxCode`] displays.
//!
//! The tenth digit is a check digit over the first nine: multiply them by
//! 31, 29, 23, 19, 17, 13, 7, 5, 3, add, take the remainder modulo 11, and
//! subtract it from 10; a remainder of 0 would need a "10", so no valid
//! code has those first nine digits. Sources: the python-stdnum family's
//! `vn/mst` module (as published in the `stdnum` npm package 1.11.x,
//! `src/vn/mst.ts`, which also states that the branch suffix runs from 001
//! and that "000" is refused) and the `vn-ident` package's description on
//! PyPI, which gives the Ministry of Finance circular's worked example
//! `010004751` → `6` (reproduced in the tests). Both secondary sources
//! agree; the circular's own text was not available to check against.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::IdentityError;

const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
const WHAT: &str = "enterprise/tax code";

/// A checked enterprise/tax code: 10 digits, or 13 for a dependent unit.
/// Serialised in its printed form (`0100047516` or `0100047516-001`) and
/// validated when read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TaxCode {
    digits: [u8; 13],
    len: u8,
}

/// The check digit the first nine digits of a tax code call for, or `None`
/// when no digit works (the weighted sum is a multiple of 11).
pub fn check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    let digit = 10 - sum % 11;
    u8::try_from(digit).ok().filter(|d| *d <= 9)
}

impl TaxCode {
    /// Reads a tax code: 10 digits, or 13 digits written either as 10 +
    /// `-` + 3 or as 13 digits in a row. Surrounding spaces and spaces
    /// around the hyphen are ignored; the check digit and branch suffix are
    /// checked.
    ///
    /// ```
    /// use identity::TaxCode;
    /// let branch = TaxCode::parse("0100047516 - 001").unwrap();
    /// assert_eq!(branch.to_string(), "0100047516-001");
    /// assert_eq!(branch, TaxCode::parse("0100047516001").unwrap());
    /// assert_eq!(branch.parent(), TaxCode::parse("0100047516").unwrap());
    /// assert!(TaxCode::parse("0100047517").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let shape = || IdentityError::Malformed {
            what: WHAT,
            rule: "must be 10 digits, or 13 written as 10 digits, a hyphen and 3 digits",
            got: s.to_string(),
        };
        let t = s.trim();
        let compact: String = match t.split_once('-') {
            Some((head, tail)) => {
                let (head, tail) = (head.trim_end(), tail.trim_start());
                if head.len() != 10 || tail.len() != 3 {
                    return Err(shape());
                }
                format!("{head}{tail}")
            }
            None => t.to_string(),
        };
        let bytes = compact.as_bytes();
        if !(bytes.len() == 10 || bytes.len() == 13) || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(shape());
        }
        let mut digits = [0u8; 13];
        for (slot, b) in digits.iter_mut().zip(bytes) {
            *slot = b - b'0';
        }
        let mut first_nine = [0u8; 9];
        first_nine.copy_from_slice(&digits[..9]);
        let expected = check_digit(&first_nine);
        if expected != Some(digits[9]) {
            return Err(IdentityError::TaxCodeCheckDigit {
                got: s.to_string(),
                expected: expected.map_or_else(
                    || "none: no tax code begins with these nine digits".to_string(),
                    |d| d.to_string(),
                ),
            });
        }
        if bytes.len() == 13 && digits[10..] == [0, 0, 0] {
            return Err(IdentityError::Malformed {
                what: "branch suffix of an enterprise/tax code",
                rule: "must be 001 to 999",
                got: s.to_string(),
            });
        }
        Ok(Self {
            digits,
            len: u8::try_from(bytes.len()).unwrap_or(10),
        })
    }

    /// Whether this is a dependent unit's 13-digit code.
    pub fn is_branch(&self) -> bool {
        self.len == 13
    }

    /// The digits without the hyphen (10 or 13).
    pub fn compact(&self) -> String {
        self.digits[..usize::from(self.len)]
            .iter()
            .map(|d| char::from(b'0' + d))
            .collect()
    }

    /// The 10-digit code of the organisation itself (the code unchanged
    /// when it is not a branch).
    pub fn parent(&self) -> TaxCode {
        let mut digits = self.digits;
        digits[10..].fill(0);
        TaxCode { digits, len: 10 }
    }

    /// The branch suffix (1–999), for a 13-digit code.
    pub fn branch_suffix(&self) -> Option<u16> {
        self.is_branch().then(|| {
            self.digits[10..]
                .iter()
                .fold(0u16, |acc, d| acc * 10 + u16::from(*d))
        })
    }
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.compact();
        match (c.get(..10), c.get(10..)) {
            (Some(head), Some(tail)) if !tail.is_empty() => write!(f, "{head}-{tail}"),
            _ => f.write_str(&c),
        }
    }
}

domain::text_conversions!(TaxCode, IdentityError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_circulars_worked_example() {
        assert_eq!(check_digit(&[0, 1, 0, 0, 0, 4, 7, 5, 1]), Some(6));
        assert!(TaxCode::parse("0100047516").is_ok());
        assert_eq!(check_digit(&[0; 9]), None);
    }

    #[test]
    fn every_wrong_tenth_digit_is_refused() {
        for d in 0..=9u8 {
            let s = format!("010004751{d}");
            let r = TaxCode::parse(&s);
            assert_eq!(r.is_ok(), d == 6, "{s}");
            if d != 6 {
                let msg = r.expect_err(&s).to_string();
                assert!(msg.contains("expected 6"), "{msg}");
            }
        }
        let msg = TaxCode::parse("0000000000").expect_err("none").to_string();
        assert!(msg.contains("no tax code begins"), "{msg}");
    }

    #[test]
    fn check_digit_zero_comes_from_a_remainder_of_ten() {
        // find nine digits whose weighted sum leaves 10 and check the code
        // ending in 0 is accepted
        let nine = (0..1_000_000_000u32)
            .step_by(7919)
            .map(|n| {
                let mut a = [0u8; 9];
                let mut m = n;
                for slot in a.iter_mut().rev() {
                    *slot = u8::try_from(m % 10).expect("digit");
                    m /= 10;
                }
                a
            })
            .find(|a| {
                a.iter()
                    .zip(WEIGHTS)
                    .map(|(d, w)| u32::from(*d) * w)
                    .sum::<u32>()
                    % 11
                    == 10
            })
            .expect("some prefix");
        assert_eq!(check_digit(&nine), Some(0));
        let s: String = nine
            .iter()
            .map(|d| char::from(b'0' + d))
            .chain(['0'])
            .collect();
        assert!(TaxCode::parse(&s).is_ok(), "{s}");
    }

    #[test]
    fn both_branch_forms_normalise() {
        let forms = [
            "0100047516-001",
            "0100047516001",
            " 0100047516 - 001 ",
            "0100047516- 001",
        ];
        for f in forms {
            let t = TaxCode::parse(f).expect(f);
            assert_eq!(t.to_string(), "0100047516-001");
            assert_eq!(t.compact(), "0100047516001");
            assert!(t.is_branch());
            assert_eq!(t.branch_suffix(), Some(1));
            assert_eq!(t.parent().to_string(), "0100047516");
        }
        let t = TaxCode::parse("0100047516-999").expect("999");
        assert_eq!(t.branch_suffix(), Some(999));
        let own = TaxCode::parse("0100047516").expect("10");
        assert!(!own.is_branch());
        assert_eq!(own.branch_suffix(), None);
        assert_eq!(own.parent(), own);
    }

    #[test]
    fn malformed_codes_are_refused_with_the_rule() {
        for bad in [
            "",
            "010004751",
            "01000475166",
            "010004751a",
            "0100047516-01",
            "0100047516-0001",
            "010004751-6001",
            "0100047516--001",
            "0100047516-00a",
            "0100047516_001",
            "01000475160010",
            "０100047516",
        ] {
            let e = TaxCode::parse(bad).expect_err(bad);
            assert!(matches!(e, IdentityError::Malformed { .. }), "{bad}: {e}");
        }
        let e = TaxCode::parse("0100047516-000").expect_err("000");
        assert!(e.to_string().contains("001 to 999"), "{e}");
        let e = TaxCode::parse("0100047517-001").expect_err("check");
        assert!(matches!(e, IdentityError::TaxCodeCheckDigit { .. }));
    }

    #[test]
    fn serde_uses_the_printed_form() {
        let t = TaxCode::parse("0100047516001").expect("13");
        assert_eq!(
            serde_json::to_string(&t).expect("ser"),
            "\"0100047516-001\""
        );
        let back: TaxCode = serde_json::from_str("\"0100047516-001\"").expect("de");
        assert_eq!(back, t);
        assert!(serde_json::from_str::<TaxCode>("\"0100047517\"").is_err());
    }
}

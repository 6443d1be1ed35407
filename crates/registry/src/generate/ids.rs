//! Personal identification numbers that are unique without remembering them.
//!
//! A number is `PPP C YY SSSSSS` (Decree 137/2015/ND-CP Art. 13, Circular
//! 07/2016/TT-BCA): the place of birth registration, the century-and-sex
//! digit, the last two digits of the birth year and a six-digit serial.
//! Every `(place, century-sex, year)` bucket keeps a counter of the numbers
//! it has issued; the serial is that counter passed through a keyed
//! bijection of `0..1_000_000`, so two people never get the same serial in a
//! bucket, and serials look random. The counters take a fixed 400 KB
//! whatever the population size.

use super::rng::mix64;

/// Serials per bucket.
const SERIALS: u32 = 1_000_000;
/// The Feistel network below works on 20 bits (2^20 = 1,048,576 ≥ 10^6).
const HALF_BITS: u32 = 10;
const HALF_MASK: u32 = (1 << HALF_BITS) - 1;
const ROUNDS: u64 = 4;

/// Places are `0PP`: 100 of them, each with 10 century-sex digits and 100
/// years.
const BUCKETS: usize = 100 * 10 * 100;

/// Issues the serial part of personal ids.
#[derive(Debug, Clone)]
pub(crate) struct IdIssuer {
    key: u64,
    issued: Vec<u32>,
}

impl IdIssuer {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            key: mix64(seed ^ 0x5EED_1D5E_71A1_0000),
            issued: vec![0; BUCKETS],
        }
    }

    /// The next serial of the bucket, or `None` when its million serials are
    /// all issued. `place` is the two-digit province number (`0..100`),
    /// `century_sex` the digit `0..10`, `yy` the year `0..100`.
    pub(crate) fn issue(&mut self, place: u32, century_sex: u32, yy: u32) -> Option<u32> {
        let bucket = ((place as usize) * 10 + century_sex as usize) * 100 + yy as usize;
        let count = self.issued.get_mut(bucket)?;
        if *count >= SERIALS {
            return None;
        }
        let n = *count;
        *count += 1;
        Some(self.permute(bucket as u64, n))
    }

    /// A bijection of `0..SERIALS` keyed by the bucket: a balanced Feistel
    /// network on 20 bits (a bijection of `0..2^20`) with cycle walking
    /// until the value falls back inside `0..SERIALS`.
    fn permute(&self, bucket: u64, n: u32) -> u32 {
        let key = mix64(self.key ^ bucket.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut x = n;
        loop {
            let mut left = x >> HALF_BITS;
            let mut right = x & HALF_MASK;
            for round in 0..ROUNDS {
                let f = (mix64(key ^ (round << 32) ^ u64::from(right)) as u32) & HALF_MASK;
                let next = left ^ f;
                left = right;
                right = next;
            }
            x = (left << HALF_BITS) | right;
            if x < SERIALS {
                return x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection_of_a_million() {
        let issuer = IdIssuer::new(42);
        let mut seen = vec![false; SERIALS as usize];
        for n in 0..SERIALS {
            let s = issuer.permute(12_345, n);
            assert!(s < SERIALS);
            assert!(!seen[s as usize], "serial {s} issued twice");
            seen[s as usize] = true;
        }
    }

    #[test]
    fn a_full_bucket_refuses() {
        let mut issuer = IdIssuer::new(1);
        issuer.issued[0] = SERIALS - 1;
        assert!(issuer.issue(0, 0, 0).is_some());
        assert!(issuer.issue(0, 0, 0).is_none());
        assert!(issuer.issue(99, 9, 99).is_some());
        assert!(issuer.issue(100, 0, 0).is_none());
    }
}

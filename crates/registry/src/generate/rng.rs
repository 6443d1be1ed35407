//! A small deterministic pseudo-random generator and weighted choice.
//!
//! Only integer arithmetic is used, so a seed gives the same stream on every
//! machine and with every compiler version.

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", OOPSLA 2014): one 64-bit word of state, a full period of
/// 2^64 and good statistical quality for simulation.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }

    /// A number in `0..n` (`n > 0`), by the multiply-high method; its bias
    /// (at most `n / 2^64`) does not matter here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi` (`lo <= hi`).
    pub(crate) fn range_i64(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi - lo) as u64 + 1;
        lo + self.below(span) as i64
    }

    /// True with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

/// The SplitMix64 output function: a bijective mixer of 64-bit words.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A discrete distribution over `0..len` given integer weights: one draw is
/// one random number and a binary search.
#[derive(Debug, Clone)]
pub(crate) struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    /// Weights must not all be zero.
    pub(crate) fn new(weights: impl IntoIterator<Item = u64>) -> Self {
        let mut total = 0u64;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Self { cumulative }
    }

    pub(crate) fn total(&self) -> u64 {
        self.cumulative.last().copied().unwrap_or(0)
    }

    /// An index drawn with probability proportional to its weight.
    pub(crate) fn sample(&self, rng: &mut SplitMix64) -> usize {
        let total = self.total();
        if total == 0 {
            return 0;
        }
        let r = rng.below(total);
        self.cumulative.partition_point(|&c| c <= r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_never_picks_zero_weight() {
        let w = Weighted::new([0, 5, 0, 5, 0]);
        let mut rng = SplitMix64::new(7);
        for _ in 0..10_000 {
            let i = w.sample(&mut rng);
            assert!(i == 1 || i == 3, "{i}");
        }
    }

    #[test]
    fn range_is_inclusive_and_bounded() {
        let mut rng = SplitMix64::new(1);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = rng.range_i64(-2, 2);
            assert!((-2..=2).contains(&v));
            seen[(v + 2) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }
}

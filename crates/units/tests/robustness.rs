//! Conversion and search never panic, whatever they are given: every
//! sample cut at every few characters, with noise inserted, and random text.

use units::Units;

/// xorshift64*: a deterministic stream for reproducible noise.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const NOISE: &[&str] = &[
    ",",
    ", ,",
    " - ",
    ".",
    "P.",
    "TP.",
    "Q1",
    "  ",
    "\t",
    "’",
    "'",
    "0",
    "Việt Nam",
    "ấp",
    "Số 12/3",
    "\u{0301}",
    "đ",
    "Ð",
    "ǅ",
    "😀",
    "\u{200b}",
    "–",
    "(",
    ")",
    "/",
];

#[test]
fn truncated_and_noisy_samples_never_panic() {
    let u = Units::get();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (i, s) in u.samples().iter().enumerate().step_by(23) {
        let chars: Vec<char> = s.input.chars().collect();
        let cut = rng.below(chars.len() + 1);
        let truncated: String = chars[..cut].iter().collect();
        let _ = u.convert(&truncated);
        let _ = u.search(&truncated, 10);
        let mut noisy: Vec<char> = chars.clone();
        for _ in 0..1 + i % 4 {
            let at = rng.below(noisy.len() + 1);
            let word = NOISE[rng.below(NOISE.len())];
            noisy.splice(at..at, word.chars());
        }
        let noisy: String = noisy.into_iter().collect();
        let c = u.convert(&noisy);
        assert_eq!(c.input, noisy);
        let _ = u.search(&noisy, 10);
    }
}

#[test]
fn random_text_never_panics() {
    let u = Units::get();
    let mut rng = Rng(42);
    let alphabet: Vec<char> = "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ àáảãạ,.-/0123456789'’\u{0300}\u{0301}\u{0303}\u{0309}\u{0323}😀"
        .chars()
        .collect();
    for len in 0..400 {
        let s: String = (0..len % 120)
            .map(|_| alphabet[rng.below(alphabet.len())])
            .collect();
        let c = u.convert(&s);
        assert_eq!(c.input, s);
        let _ = u.search(&s, 10);
    }
    // very long input
    let long = "Phường Phúc Xá, ".repeat(5_000);
    let _ = u.convert(&long);
    let _ = u.search(&long, 10);
}

//! Name folding: the keys under which unit names are matched.
//!
//! Vietnamese place names are written in many ways: with or without
//! diacritics, with the tone mark on either vowel (`Hòa` / `Hoà`), with
//! straight or curly apostrophes (`M'gar` / `M’gar`), with hyphens or spaces
//! (`Bà Rịa - Vũng Tàu`), with leading zeros (`Phường 01`) and with or
//! without their type word (`Phường`, `P.`, `P`). Two keys cover them:
//!
//! * [`key`]: lowercase ASCII with every space removed. Equal keys mean "the
//!   same name as far as anyone could tell from how it was typed".
//! * [`marks`]: lowercase, with the tone marks moved to the end of each word,
//!   so that both tone-mark placements agree while `Phú` and `Phụ` still
//!   differ. Used to prefer the candidate spelled exactly as typed.

use unicode_normalization::UnicodeNormalization;

/// Is `c` one of the five Vietnamese tone marks (as combining characters)?
fn is_tone_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}' | '\u{0301}' | '\u{0303}' | '\u{0309}' | '\u{0323}'
    )
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' | '\u{2032}'
    )
}

/// Folds a name to lowercase ASCII words separated by single spaces: no
/// diacritics, `đ` → `d`, apostrophes dropped, punctuation turned into
/// spaces, numbers without leading zeros.
///
/// ```
/// assert_eq!(units::fold::words("  Phường  Cống Vị "), "phuong cong vi");
/// assert_eq!(units::fold::words("Huyện Cư M’gar"), "huyen cu mgar");
/// assert_eq!(units::fold::words("P.01"), "p 1");
/// ```
pub fn words(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if ('\u{0300}'..='\u{036F}').contains(&c) || is_apostrophe(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' | 'ð' | 'Ð' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            for lc in c.to_lowercase() {
                out.push(lc);
            }
        } else {
            pending_space = true;
        }
    }
    strip_leading_zeros(&out)
}

/// `"phuong 01"` → `"phuong 1"`; `"p01"` → `"p1"`; `"0"` stays `"0"`.
fn strip_leading_zeros(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at_number_start = c.is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit());
        if at_number_start && c == '0' {
            let mut j = i;
            while j + 1 < chars.len() && chars[j] == '0' && chars[j + 1].is_ascii_digit() {
                j += 1;
            }
            i = j;
            out.push(chars[i]);
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The matching key: [`words`] without spaces.
///
/// ```
/// assert_eq!(units::fold::key("Đắk Lắk"), units::fold::key("Daklak"));
/// assert_eq!(units::fold::key("Thuỷ"), units::fold::key("Thủy"));
/// ```
pub fn key(s: &str) -> String {
    words(s).replace(' ', "")
}

/// Lowercase with diacritics kept and each word's tone mark moved to the end
/// of the word, so both tone-mark placements compare equal.
///
/// ```
/// use units::fold::marks;
/// assert_eq!(marks("Hòa"), marks("Hoà"));
/// assert_eq!(marks("Thủy"), marks("Thuỷ"));
/// assert_ne!(marks("Phú"), marks("Phụ"));
/// ```
pub fn marks(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    let mut tones: Vec<char> = Vec::new();
    let flush = |out: &mut String, tones: &mut Vec<char>| {
        out.extend(tones.drain(..));
    };
    for c in s.nfd() {
        if is_apostrophe(c) {
            continue;
        }
        if is_tone_mark(c) {
            tones.push(c);
        } else if c.is_alphanumeric() || ('\u{0300}'..='\u{036F}').contains(&c) {
            out.extend(c.to_lowercase());
        } else {
            flush(&mut out, &mut tones);
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        }
    }
    flush(&mut out, &mut tones);
    let trimmed = out.trim_end();
    strip_leading_zeros(trimmed)
}

/// What a leading type word says about the unit a component names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// `Tỉnh`, `T.`
    Province,
    /// `Quận`, `Huyện`, `Thị xã`, and the district-level `Thành phố`
    District,
    /// `Phường`, `Xã`, `Thị trấn`, `Đặc khu`
    Commune,
}

/// The type words a component may start with, folded, longest first, with
/// the levels they can mean. `Thành phố` is a province (Hà Nội) or a
/// district-level city (Thủ Đức); the lookup tries both.
const TYPE_WORDS: &[(&str, &str, &[Level])] = &[
    ("thanh pho", "thanhpho", &[Level::Province, Level::District]),
    ("thi tran", "thitran", &[Level::Commune]),
    ("dac khu", "dackhu", &[Level::Commune]),
    ("thi xa", "thixa", &[Level::District]),
    ("phuong", "phuong", &[Level::Commune]),
    ("huyen", "huyen", &[Level::District]),
    ("quan", "quan", &[Level::District]),
    ("tinh", "tinh", &[Level::Province]),
    ("xa", "xa", &[Level::Commune]),
    ("tp", "thanhpho", &[Level::Province, Level::District]),
    ("tx", "thixa", &[Level::District]),
    ("tt", "thitran", &[Level::Commune]),
    ("dk", "dackhu", &[Level::Commune]),
    ("p", "phuong", &[Level::Commune]),
    ("f", "phuong", &[Level::Commune]),
    ("x", "xa", &[Level::Commune]),
    ("q", "quan", &[Level::District]),
    ("h", "huyen", &[Level::District]),
    ("t", "tinh", &[Level::Province]),
];

/// One way to read a component: the levels its type word allows (empty when
/// it has none) and the key of the name that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub levels: &'static [Level],
    /// the canonical type word (`phuong`, `xa`, `thitran`, `quan` …)
    pub type_word: Option<&'static str>,
    pub key: String,
    pub marks: String,
}

/// The ways to read one address component, most specific first: with its
/// type word stripped (when it has one), then as a bare name.
///
/// `"P. Cống Vị"` → `[{Commune, "congvi"}, {any, "pcongvi"}]`;
/// `"Q1"` → `[{District, "1"}, {any, "q1"}]`.
pub fn readings(component: &str) -> Vec<Reading> {
    let w = words(component);
    let m = marks(component);
    let mut out = Vec::with_capacity(2);
    for (word, canonical, levels) in TYPE_WORDS {
        let Some(rest) = w.strip_prefix(word) else {
            continue;
        };
        // The type word must stand alone ("p cong vi"), or, for a one- or
        // two-letter abbreviation, be glued to a number ("p1", "q10").
        let name = if let Some(r) = rest.strip_prefix(' ') {
            r
        } else if word.len() <= 2 && rest.starts_with(|c: char| c.is_ascii_digit()) {
            rest
        } else {
            continue;
        };
        // "f" stands for phường only before a number (HCM usage: F.1).
        if *word == "f" && !name.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        if name.is_empty() {
            continue;
        }
        let name_marks = strip_marks_prefix(&m, word.split(' ').count());
        out.push(Reading {
            levels,
            type_word: Some(canonical),
            key: name.replace(' ', ""),
            marks: name_marks,
        });
        break;
    }
    out.push(Reading {
        levels: &[],
        type_word: None,
        key: w.replace(' ', ""),
        marks: m,
    });
    out
}

/// Drops the first `n` words of a [`marks`] string (the type word), also
/// when an abbreviation is glued to a number (`p1` → `1`).
fn strip_marks_prefix(m: &str, n: usize) -> String {
    let mut rest = m;
    for _ in 0..n {
        match rest.find(' ') {
            Some(i) => rest = &rest[i + 1..],
            None => {
                // glued form: keep the digits
                let digits = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
                return digits.to_string();
            }
        }
    }
    rest.to_string()
}

/// Splits a unit's official name into its type word and its bare name:
/// `"Phường Cống Vị"` → `("Phường", "Cống Vị")`. Names without a known type
/// word come back whole.
pub fn split_official(name: &str) -> (&str, &str) {
    const OFFICIAL: &[&str] = &[
        "Thành phố",
        "Thành Phố",
        "Thị trấn",
        "Thị xã",
        "Thị Xã",
        "Đặc khu",
        "Phường",
        "Huyện",
        "Quận",
        "Tỉnh",
        "Xã",
    ];
    for t in OFFICIAL {
        if let Some(rest) = name.strip_prefix(t)
            && let Some(rest) = rest.strip_prefix(' ')
        {
            return (&name[..t.len()], rest);
        }
    }
    ("", name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_diacritics_case_and_spaces() {
        assert_eq!(words("  PHƯỜNG   Bến   Nghé "), "phuong ben nghe");
        assert_eq!(words("Đắk Lắk"), "dak lak");
        assert_eq!(key("Đắk Lắk"), "daklak");
        assert_eq!(key("Dak Lak"), key("Đăk Lăk"));
    }

    #[test]
    fn folds_both_tone_placements() {
        for (a, b) in [
            ("Hòa", "Hoà"),
            ("Thủy", "Thuỷ"),
            ("Khánh Hòa", "Khánh Hoà"),
            ("Quý", "Qúy"),
        ] {
            assert_eq!(key(a), key(b), "{a} / {b}");
            assert_eq!(marks(a), marks(b), "{a} / {b}");
        }
        assert_ne!(marks("Phú Mỹ"), marks("Phú Mý"));
    }

    #[test]
    fn folds_apostrophes_and_hyphens() {
        assert_eq!(key("Cư M'gar"), key("Cư M’gar"));
        assert_eq!(key("Cư M'gar"), key("Cu Mgar"));
        assert_eq!(key("Bà Rịa - Vũng Tàu"), key("Bà Rịa-Vũng Tàu"));
        assert_eq!(marks("Ea H'leo"), marks("Ea H’leo"));
    }

    #[test]
    fn strips_leading_zeros_of_numbers_only() {
        assert_eq!(words("Phường 01"), "phuong 1");
        assert_eq!(words("P.09"), "p 9");
        assert_eq!(words("Quận 10"), "quan 10");
        assert_eq!(words("Phường 0"), "phuong 0");
        assert_eq!(words("Khu 105"), "khu 105");
    }

    #[test]
    fn reads_type_words_and_abbreviations() {
        let r = readings("P. Cống Vị");
        assert_eq!(r[0].levels, &[Level::Commune]);
        assert_eq!(r[0].key, "congvi");
        assert_eq!(r[1].levels, &[] as &[Level]);
        let r = readings("Q1");
        assert_eq!(r[0].levels, &[Level::District]);
        assert_eq!(r[0].key, "1");
        let r = readings("TT. Văn Điển");
        assert_eq!(r[0].levels, &[Level::Commune]);
        assert_eq!(r[0].key, "vandien");
        let r = readings("TP.HCM");
        assert_eq!(r[0].key, "hcm");
        let r = readings("Thị xã Sơn Tây");
        assert_eq!(r[0].levels, &[Level::District]);
        assert_eq!(r[0].key, "sontay");
        assert_eq!(r[0].marks, marks("Sơn Tây"));
        let r = readings("F.12");
        assert_eq!(r[0].levels, &[Level::Commune]);
        assert_eq!(r[0].key, "12");
        // a name that merely starts with a type letter is not cut
        let r = readings("Hàng Bài");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].key, "hangbai");
        let r = readings("Phố Huế");
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn splits_official_names() {
        assert_eq!(split_official("Phường Cống Vị"), ("Phường", "Cống Vị"));
        assert_eq!(
            split_official("Thị trấn Yên Viên"),
            ("Thị trấn", "Yên Viên")
        );
        assert_eq!(split_official("Quận 1"), ("Quận", "1"));
        assert_eq!(split_official("Côn Đảo"), ("", "Côn Đảo"));
    }
}

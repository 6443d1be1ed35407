//! What free text a person types may not hold: control characters (NUL
//! and the others; line breaks and tabs only where text runs over lines)
//! and the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
//! U+2066–U+2069), which make a text read differently from what is stored
//! — a name, a reason or a file name that shows one thing on a slip and
//! says another.

/// Whether `c` changes the direction text is shown in.
fn directional(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The first character of `s` that free text may not hold; `lines`: line
/// breaks and tabs are allowed (a text over several lines).
pub fn forbidden_char(s: &str, lines: bool) -> Option<char> {
    s.chars().find(|&c| {
        directional(c) || (c.is_control() && !(lines && matches!(c, '\n' | '\r' | '\t')))
    })
}

/// `c` as a person can look it up: `U+202E`.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Why `s` is refused, in Vietnamese and in English, when it holds a
/// character free text may not hold.
pub fn refusal(s: &str, lines: bool) -> Option<(String, String)> {
    let c = forbidden_char(s, lines)?;
    let at = code_point(c);
    Some((
        format!("chứa ký tự không được phép ({at}): ký tự điều khiển hoặc đổi chiều văn bản"),
        format!(
            "contains a character that is not allowed ({at}): a control or text-direction character"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_direction_characters_are_found() {
        assert_eq!(forbidden_char("Nguyễn Thị Mai", false), None);
        assert_eq!(forbidden_char("a\u{0}b", false), Some('\u{0}'));
        assert_eq!(forbidden_char("a\u{7f}", false), Some('\u{7f}'));
        assert_eq!(forbidden_char("a\u{85}", true), Some('\u{85}'));
        assert_eq!(forbidden_char("gpj.\u{202E}exe", false), Some('\u{202E}'));
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{2066}', '\u{2069}',
        ] {
            assert_eq!(forbidden_char(&format!("x{c}"), true), Some(c));
        }
        // marks that do not reorder text stay
        assert_eq!(forbidden_char("a\u{200E}b\u{200F}", false), None);
        assert_eq!(forbidden_char("dòng 1\r\ndòng 2\tx", true), None);
        assert_eq!(forbidden_char("dòng 1\ndòng 2", false), Some('\n'));
        assert_eq!(code_point('\u{202E}'), "U+202E");
        assert_eq!(code_point('\u{0}'), "U+0000");
        let (vi, en) = refusal("x\u{202E}", false).expect("refused");
        assert!(vi.contains("U+202E") && en.contains("U+202E"), "{vi} {en}");
    }
}

//! The faces a paper is set in, their bytes, and the measure of a text in
//! one of them (shaped as it will be drawn).

use std::sync::LazyLock;

/// A face in the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Face {
    /// DejaVu Serif: the body.
    Serif,
    /// DejaVu Serif Bold: headings, values, names.
    SerifBold,
    /// DejaVu Serif Italic: the date of issue, notes.
    SerifItalic,
    /// DejaVu Sans: where the serif lacks a letter; addresses.
    Sans,
    /// DejaVu Sans Bold.
    SansBold,
    /// DejaVu Sans Oblique.
    SansOblique,
}

impl Face {
    /// Every face, in a fixed order.
    pub const ALL: [Face; 6] = [
        Face::Serif,
        Face::SerifBold,
        Face::SerifItalic,
        Face::Sans,
        Face::SansBold,
        Face::SansOblique,
    ];

    /// The font file.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Face::Serif => dejavu::serif::regular(),
            Face::SerifBold => dejavu::serif::bold(),
            Face::SerifItalic => dejavu::serif::italic(),
            Face::Sans => dejavu::sans::regular(),
            Face::SansBold => dejavu::sans::bold(),
            Face::SansOblique => dejavu::sans::oblique(),
        }
    }

    /// Its place in [`Face::ALL`].
    fn index(self) -> usize {
        Face::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }

    /// The sans face of the same weight and slant.
    fn sans(self) -> Face {
        match self {
            Face::Serif | Face::Sans => Face::Sans,
            Face::SerifBold | Face::SansBold => Face::SansBold,
            Face::SerifItalic | Face::SansOblique => Face::SansOblique,
        }
    }
}

/// A face read for shaping, with its plan for left-to-right Latin text
/// (Vietnamese), made once: making a plan costs more than shaping a word.
struct Shaper {
    face: rustybuzz::Face<'static>,
    plan: rustybuzz::ShapePlan,
}

/// The shapers of the faces (`None` for a face that cannot be read, which a
/// test rules out).
static SHAPERS: LazyLock<Vec<Option<Shaper>>> = LazyLock::new(|| {
    Face::ALL
        .iter()
        .map(|f| {
            rustybuzz::Face::from_slice(f.bytes(), 0).map(|face| {
                let plan = rustybuzz::ShapePlan::new(
                    &face,
                    rustybuzz::Direction::LeftToRight,
                    Some(rustybuzz::script::LATIN),
                    None,
                    &[],
                );
                Shaper { face, plan }
            })
        })
        .collect()
});

fn shaper(face: Face) -> Option<&'static Shaper> {
    SHAPERS.get(face.index()).and_then(Option::as_ref)
}

/// Whether every letter of `text` is in `face`.
pub(crate) fn covers(face: Face, text: &str) -> bool {
    shaper(face).is_some_and(|s| {
        text.chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .all(|c| s.face.glyph_index(c).is_some())
    })
}

/// The face to set `text` in: `wanted`, or its sans counterpart when the
/// wanted face lacks one of the letters.
pub(crate) fn face_for(wanted: Face, text: &str) -> Face {
    if covers(wanted, text) {
        wanted
    } else {
        wanted.sans()
    }
}

/// A glyph of a shaped text: its id, its advance and offsets in ems, and
/// the bytes of the text it draws.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Glyph {
    pub id: u32,
    pub x_advance: f32,
    pub x_offset: f32,
    pub y_offset: f32,
    pub y_advance: f32,
    pub text: std::ops::Range<usize>,
}

/// `text` shaped in `face`, left to right, as it is measured and drawn.
pub(crate) fn shape(face: Face, text: &str) -> Vec<Glyph> {
    let Some(s) = shaper(face) else {
        return Vec::new();
    };
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.set_direction(rustybuzz::Direction::LeftToRight);
    buffer.set_script(rustybuzz::script::LATIN);
    let shaped = rustybuzz::shape_with_plan(&s.face, &s.plan, buffer);
    let per_em = s.face.units_per_em().max(1) as f32;
    let infos = shaped.glyph_infos();
    shaped
        .glyph_positions()
        .iter()
        .zip(infos)
        .enumerate()
        .map(|(i, (p, info))| {
            let start = info.cluster as usize;
            // the text of a glyph runs to the next glyph's cluster
            let end = infos[i + 1..]
                .iter()
                .find(|next| next.cluster != info.cluster)
                .map_or(text.len(), |next| next.cluster as usize);
            Glyph {
                id: info.glyph_id,
                x_advance: p.x_advance as f32 / per_em,
                x_offset: p.x_offset as f32 / per_em,
                y_offset: p.y_offset as f32 / per_em,
                y_advance: p.y_advance as f32 / per_em,
                text: start..end.max(start),
            }
        })
        .collect()
}

/// The width of `text` in `face` at `size` points, shaped as it is drawn.
pub(crate) fn width(face: Face, size: f32, text: &str) -> f32 {
    shape(face, text).iter().map(|g| g.x_advance).sum::<f32>() * size
}

/// Whether every face in the binary can be read.
pub(crate) fn all_readable() -> Result<(), Face> {
    match Face::ALL.iter().find(|f| shaper(**f).is_none()) {
        Some(f) => Err(*f),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_face_is_readable_and_has_every_vietnamese_letter() {
        assert_eq!(all_readable(), Ok(()));
        let letters = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ";
        let all = format!("{letters}{}", letters.to_uppercase());
        for face in Face::ALL {
            assert!(covers(face, &all), "{face:?} lacks a Vietnamese letter");
        }
    }

    #[test]
    fn a_letter_the_serif_lacks_is_set_in_sans() {
        // the đồng sign is in DejaVu Sans, not in DejaVu Serif
        assert_eq!(face_for(Face::Serif, "Nguyễn Văn An"), Face::Serif);
        assert_eq!(face_for(Face::Serif, "50.000 ₫"), Face::Sans);
        assert_eq!(face_for(Face::SerifBold, "50.000 ₫"), Face::SansBold);
        assert_eq!(face_for(Face::SerifItalic, "₫"), Face::SansOblique);
    }

    #[test]
    fn widths_grow_with_the_text_and_the_size() {
        let one = width(Face::Serif, 12.0, "Hạnh phúc");
        assert!(one > 30.0 && one < 80.0, "{one}");
        assert!((width(Face::Serif, 24.0, "Hạnh phúc") - 2.0 * one).abs() < 0.01);
        assert!(width(Face::SerifBold, 12.0, "Hạnh phúc") > one);
        assert_eq!(width(Face::Serif, 12.0, ""), 0.0);
    }
}

//! The layout drawn into a PDF.

use std::collections::HashMap;
use std::sync::LazyLock;

use krilla::Document;
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, GlyphId, KrillaGlyph};

use crate::fonts::{Face, all_readable, shape};
use crate::layout::{Item, PAGE_HEIGHT, PAGE_WIDTH, layout};
use crate::{Paper, PaperError};

/// The faces as the PDF writer reads them, read once: reading one hashes
/// the whole file.
static FONTS: LazyLock<HashMap<Face, Font>> = LazyLock::new(|| {
    Face::ALL
        .into_iter()
        .filter_map(|face| Font::new(face.bytes().into(), 0).map(|font| (face, font)))
        .collect()
});

/// `paper` as a PDF: A4 pages, the fonts embedded as subsets, the title
/// and language stated, the QR code and the address under it linked.
pub fn pdf(paper: &Paper) -> Result<Vec<u8>, PaperError> {
    all_readable().map_err(PaperError::Font)?;
    let placed = layout(paper)?;
    let fonts = &*FONTS;
    if let Some(face) = Face::ALL.into_iter().find(|f| !fonts.contains_key(f)) {
        return Err(PaperError::Font(face));
    }

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(paper.title.clone())
            .language(paper.lang.clone())
            .creator("motcua".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| PaperError::Pdf("A4 is not a page size".into()))?;
    for page in &placed.pages {
        let mut p = document.start_page_with(settings.clone());
        let mut links = Vec::new();
        {
            let mut surface = p.surface();
            let mut squares = PathBuilder::new();
            let mut rules = PathBuilder::new();
            for item in &page.items {
                match item {
                    Item::Text {
                        x,
                        y,
                        size,
                        face,
                        text,
                        ..
                    } => {
                        if let Some(font) = fonts.get(face) {
                            // drawn as it was measured, shaped once
                            let glyphs: Vec<KrillaGlyph> = shape(*face, text)
                                .into_iter()
                                .map(|g| {
                                    KrillaGlyph::new(
                                        GlyphId::new(g.id),
                                        g.x_advance,
                                        g.x_offset,
                                        g.y_offset,
                                        g.y_advance,
                                        g.text,
                                        None,
                                    )
                                })
                                .collect();
                            surface.set_fill(Some(Fill::default()));
                            surface.draw_glyphs(
                                Point::from_xy(*x, *y),
                                &glyphs,
                                font.clone(),
                                text,
                                *size,
                                false,
                            );
                        }
                    }
                    Item::Rule { x1, x2, y } => {
                        rules.move_to(*x1, *y);
                        rules.line_to(*x2, *y);
                    }
                    Item::Square { x, y, side } => {
                        if let Some(r) = Rect::from_xywh(*x, *y, *side, *side) {
                            squares.push_rect(r);
                        }
                    }
                    Item::Link { x, y, w, h, url } => links.push((*x, *y, *w, *h, url.clone())),
                }
            }
            if let Some(path) = squares.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(Fill::default()));
                surface.draw_path(&path);
            }
            if let Some(path) = rules.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    width: 0.6,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
            }
            surface.finish();
        }
        for (x, y, w, h, url) in links {
            if let Some(rect) = Rect::from_xywh(x, y, w, h) {
                p.add_annotation(Annotation::new_link(
                    LinkAnnotation::new(
                        rect,
                        Target::Action(Action::Link(LinkAction::new(url.clone()))),
                    ),
                    Some(url),
                ));
            }
        }
        p.finish();
    }
    document
        .finish()
        .map_err(|e| PaperError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Block, Qr, Signature};

    #[test]
    fn a_paper_is_a_pdf_with_its_fonts_language_title_and_link() {
        let url = "https://example.vn/xac-minh/X?dau=abc";
        let paper = Paper {
            lang: "vi".into(),
            agency: "Ủy ban nhân dân xã Bình Đức".into(),
            number: Some("Số: X".into()),
            place_date: "Bình Đức, ngày 07 tháng 12 năm 2026".into(),
            title: "Trích lục khai sinh".into(),
            lead: vec![],
            body: vec![Block::Fact {
                label: "Họ, chữ đệm, tên".into(),
                value: "Nguyễn Thị Ưởng".into(),
            }],
            qr: Some(Qr {
                width: 21,
                dark: (0..441).map(|i| i % 2 == 0).collect(),
                caption: "Quét để xác minh".into(),
                url: Some(url.into()),
            }),
            signature: Some(Signature {
                role: "Người ký".into(),
                note: "(Ký, ghi rõ họ tên)".into(),
                name: "Trần Thị Bình".into(),
            }),
            footer: "X".into(),
        };
        let bytes = pdf(&paper).expect("a PDF");
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("%%EOF"));
        assert!(
            text.contains("/Lang(vi)") || text.contains("/Lang (vi)"),
            "the language is not stated"
        );
        assert!(text.contains(url), "the link is not in the file");
        // the fonts are embedded (as subsets), not referred to by name
        assert!(
            text.contains("/FontFile2") || text.contains("/FontFile3"),
            "no font embedded"
        );
        assert!(text.contains("DejaVuSerif"), "the serif is not there");
        // small: the fonts are subsets, not whole files
        assert!(bytes.len() < 200_000, "{} bytes", bytes.len());
    }
}

//! Official papers as PDF: the result of a procedure or a notice, laid out
//! on A4 as Vietnamese administrative documents print them (Decree
//! 30/2020/NĐ-CP, Appendix I): the issuing agency and the national heading
//! side by side, the place and day of issue, the title in capitals, the
//! body, then the signer on the right, here beside a QR code that leads to
//! the paper's public verification.
//!
//! The fonts (DejaVu Serif, with DejaVu Sans for any letter the serif lacks)
//! are in the binary and embedded in every file as a subset, so a paper
//! prints and reads the same on any machine, with every Vietnamese letter.
//!
//! Pure: a [`Paper`] in, the PDF's bytes out ([`pdf`]); [`layout`] gives the
//! placed lines and shapes the PDF draws, for tests and for anyone who needs
//! to know where things went. No I/O.

mod fonts;
mod layout;
mod render;

pub use fonts::Face;
pub use layout::{Item, Layout, Page, layout};
pub use render::pdf;

/// A paper to print.
#[derive(Debug, Clone, Default)]
pub struct Paper {
    /// The language of its text (`vi`, `en`), stated in the file.
    pub lang: String,
    /// The issuing agency, at the top left (bold, centred in its column).
    pub agency: String,
    /// The paper's number under the agency (`Số: …`), if it has one.
    pub number: Option<String>,
    /// Where and on what day it is issued (`Bình Đức, ngày 07 tháng 12 năm
    /// 2026`), under the national heading.
    pub place_date: String,
    /// What it is (`Trích lục khai sinh`); printed in capitals.
    pub title: String,
    /// Lines centred under the title (the procedure, a form's number).
    pub lead: Vec<String>,
    /// The body, block after block.
    pub body: Vec<Block>,
    /// A QR code at the bottom left, with what it is for.
    pub qr: Option<Qr>,
    /// Who signs, at the bottom right.
    pub signature: Option<Signature>,
    /// A line at the foot of every page (what the paper is, its code).
    pub footer: String,
}

/// A block of the body.
#[derive(Debug, Clone)]
pub enum Block {
    /// `label: value`, the value in bold, wrapped under itself.
    Fact {
        /// What the value is.
        label: String,
        /// The value.
        value: String,
    },
    /// A paragraph of plain text.
    Text(String),
    /// A paragraph in bold.
    Strong(String),
    /// Space between groups of blocks.
    Gap,
}

/// A QR code as its modules: `width` × `width`, row after row, `true` for
/// a dark module (without the quiet zone, which the layout adds).
#[derive(Debug, Clone)]
pub struct Qr {
    /// Modules per side.
    pub width: usize,
    /// The modules, `width * width` of them.
    pub dark: Vec<bool>,
    /// What scanning it does, beside it.
    pub caption: String,
    /// The address it holds, printed under the caption and linked, when
    /// it holds one.
    pub url: Option<String>,
}

impl Qr {
    /// `text` as a QR code (medium error correction), with its caption
    /// and, when it is an address to follow, `url`.
    pub fn encode(text: &str, caption: String, url: Option<String>) -> Result<Qr, PaperError> {
        let code =
            qrcode::QrCode::new(text.as_bytes()).map_err(|e| PaperError::Encode(e.to_string()))?;
        Ok(Qr {
            width: code.width(),
            dark: code
                .to_colors()
                .into_iter()
                .map(|c| c == qrcode::Color::Dark)
                .collect(),
            caption,
            url,
        })
    }
}

/// The signature block.
#[derive(Debug, Clone)]
pub struct Signature {
    /// In what capacity (`TM. ỦY BAN NHÂN DÂN`, `Người tiếp nhận`).
    pub role: String,
    /// The note under it (`(Ký, ghi rõ họ tên)`), in italics.
    pub note: String,
    /// The signer's name, after the space for the signature and seal.
    pub name: String,
}

/// A paper that cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PaperError {
    /// The QR code's modules do not make a square of its width.
    #[error("the QR code has {got} modules, not {width}×{width}")]
    QrShape {
        /// Modules per side, as stated.
        width: usize,
        /// Modules given.
        got: usize,
    },
    /// The text does not fit in a QR code.
    #[error("the text cannot be a QR code: {0}")]
    Encode(String),
    /// A font in the binary could not be read.
    #[error("the embedded font {0:?} cannot be read")]
    Font(Face),
    /// The PDF could not be written.
    #[error("the PDF cannot be written: {0}")]
    Pdf(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_a_square_qr_code_and_one_too_long_is_refused() {
        let qr = Qr::encode("https://example.vn/xac-minh/X?dau=abc", "Quét".into(), None)
            .expect("a QR code");
        assert!(qr.width >= 21);
        assert_eq!(qr.dark.len(), qr.width * qr.width);
        assert!(qr.dark.iter().any(|d| *d) && qr.dark.iter().any(|d| !*d));
        // the finder pattern's corner is dark
        assert!(qr.dark[0]);
        let long = "x".repeat(8000);
        assert!(matches!(
            Qr::encode(&long, String::new(), None),
            Err(PaperError::Encode(_))
        ));
    }
}

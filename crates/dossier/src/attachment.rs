//! Attachments: a file for one of a procedure's documents, checked before
//! it is kept — the document must be one the applicant provides (never one
//! the state already holds), the file a PDF, JPEG or PNG by its content
//! (whatever its name or declared type says), not empty and at most
//! [`MAX_ATTACHMENT_BYTES`].

use serde::{Deserialize, Serialize};

use crate::catalog::Procedure;

/// The largest file accepted.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// A file's type, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MediaType {
    /// `application/pdf`
    #[serde(rename = "application/pdf")]
    Pdf,
    /// `image/jpeg`
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// `image/png`
    #[serde(rename = "image/png")]
    Png,
}

impl MediaType {
    /// The type of `bytes`, if accepted.
    pub fn sniff(bytes: &[u8]) -> Option<MediaType> {
        if bytes.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(MediaType::Png)
        } else {
            None
        }
    }

    /// Its MIME name.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Pdf => "application/pdf",
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
        }
    }
}

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    /// Not a document of the procedure.
    #[error("the procedure has no document {0:?}; its documents: {1}")]
    UnknownDocument(String, String),
    /// A document the state holds.
    #[error("the state already holds {0:?}: it is never asked for, do not attach it")]
    HeldByState(String),
    /// Empty.
    #[error("the file is empty")]
    Empty,
    /// Too big.
    #[error(
        "the file is {0} bytes; the limit is {MAX_ATTACHMENT_BYTES} bytes (10 MiB): scan at a lower resolution or split it"
    )]
    TooLarge(usize),
    /// Not an accepted type.
    #[error("the file is not a PDF, JPEG or PNG (by its content)")]
    Type,
    /// The declared type disagrees with the content.
    #[error("the file was declared {declared} but its content is {actual}")]
    Mismatch {
        /// Declared.
        declared: String,
        /// Found.
        actual: &'static str,
    },
    /// A name that cannot be kept.
    #[error("a file name is 1 to 200 characters, without slashes or control characters")]
    Name,
    /// A name holding a character free text may not hold.
    #[error(
        "the file name contains a character that is not allowed ({}): a control or text-direction character",
        crate::text::code_point(*.0)
    )]
    NameCharacter(char),
}

impl AttachmentError {
    /// The reason in Vietnamese.
    pub fn reason_vi(&self) -> String {
        match self {
            AttachmentError::UnknownDocument(doc, docs) => {
                format!("Thủ tục không có giấy tờ «{doc}»; các giấy tờ: {docs}")
            }
            AttachmentError::HeldByState(doc) => {
                format!("Nhà nước đã có «{doc}»: giấy tờ này không phải nộp, đừng đính kèm")
            }
            AttachmentError::Empty => "Tệp rỗng".into(),
            AttachmentError::TooLarge(n) => format!(
                "Tệp có {n} byte; tối đa {MAX_ATTACHMENT_BYTES} byte (10 MiB): quét với độ phân giải thấp hơn hoặc tách tệp"
            ),
            AttachmentError::Type => "Tệp không phải PDF, JPEG hay PNG (theo nội dung)".into(),
            AttachmentError::Mismatch { declared, actual } => {
                format!("Tệp khai là {declared} nhưng nội dung là {actual}")
            }
            AttachmentError::Name => {
                "Tên tệp dài 1 đến 200 ký tự, không có dấu gạch chéo hay ký tự điều khiển".into()
            }
            AttachmentError::NameCharacter(c) => format!(
                "Tên tệp chứa ký tự không được phép ({}): ký tự điều khiển hoặc đổi chiều văn bản",
                crate::text::code_point(*c)
            ),
        }
    }
}

/// A checked file's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The procedure's document it stands for.
    pub document: String,
    /// The file's name as given.
    pub name: String,
    /// Its type, by content.
    pub media_type: MediaType,
    /// Its size in bytes.
    pub size: usize,
}

/// Checks a file for `document` of `procedure`, named `name`, declared as
/// `declared` (a `Content-Type`, if any).
pub fn check(
    procedure: &Procedure,
    document: &str,
    name: &str,
    declared: Option<&str>,
    bytes: &[u8],
) -> Result<Attachment, AttachmentError> {
    let doc = procedure
        .documents
        .iter()
        .find(|d| d.key == document)
        .ok_or_else(|| {
            AttachmentError::UnknownDocument(
                document.to_string(),
                procedure
                    .documents_to_provide()
                    .map(|d| d.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        })?;
    if doc.held_by_state.is_some() {
        return Err(AttachmentError::HeldByState(doc.name_en.clone()));
    }
    let name = name.trim();
    if let Some(c) = crate::text::forbidden_char(name, false) {
        return Err(AttachmentError::NameCharacter(c));
    }
    if name.is_empty()
        || name.chars().count() > 200
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control())
    {
        return Err(AttachmentError::Name);
    }
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AttachmentError::TooLarge(bytes.len()));
    }
    let media_type = MediaType::sniff(bytes).ok_or(AttachmentError::Type)?;
    if let Some(declared) = declared {
        let essence = declared
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence != "application/octet-stream" && essence != media_type.as_str() {
            return Err(AttachmentError::Mismatch {
                declared: essence,
                actual: media_type.as_str(),
            });
        }
    }
    Ok(Attachment {
        document: doc.key.clone(),
        name: name.to_string(),
        media_type,
        size: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;
    use crate::catalog::tests::fixture;

    fn procedure() -> Procedure {
        let c = Catalog::from_json(&fixture(serde_json::json!({}))).expect("catalog");
        c.get("thu-nghiem").expect("procedure").clone()
    }

    #[test]
    fn files_are_checked_by_content_size_and_document() {
        let p = procedure();
        let pdf = b"%PDF-1.7 ...".to_vec();
        let ok =
            check(&p, "to-khai", "to khai.pdf", Some("application/pdf"), &pdf).expect("accepted");
        assert_eq!(ok.media_type, MediaType::Pdf);
        assert_eq!(ok.size, pdf.len());
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];
        assert_eq!(
            check(&p, "to-khai", "a.png", None, &png).map(|a| a.media_type),
            Ok(MediaType::Png)
        );
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        assert_eq!(
            check(
                &p,
                "to-khai",
                "a.bin",
                Some("application/octet-stream"),
                &jpeg
            )
            .map(|a| a.media_type),
            Ok(MediaType::Jpeg)
        );
        // the state's own documents are never asked for
        assert!(matches!(
            check(&p, "cccd", "cccd.pdf", None, &pdf),
            Err(AttachmentError::HeldByState(_))
        ));
        assert!(matches!(
            check(&p, "giay-khac", "x.pdf", None, &pdf),
            Err(AttachmentError::UnknownDocument(..))
        ));
        assert_eq!(
            check(&p, "to-khai", "x.pdf", None, b""),
            Err(AttachmentError::Empty)
        );
        assert_eq!(
            check(&p, "to-khai", "x.exe", None, b"MZ\x90\x00"),
            Err(AttachmentError::Type)
        );
        assert_eq!(
            check(&p, "to-khai", "x.pdf", None, b"<html>%PDF-"),
            Err(AttachmentError::Type)
        );
        assert!(matches!(
            check(&p, "to-khai", "x.pdf", Some("image/png"), &pdf),
            Err(AttachmentError::Mismatch { .. })
        ));
        for c in ['\u{0}', '\u{1f}', '\u{202E}', '\u{2067}'] {
            let e = check(&p, "to-khai", &format!("a{c}fdp.exe"), None, &pdf).expect_err("refused");
            assert_eq!(e, AttachmentError::NameCharacter(c));
            assert!(e.to_string().contains("file name"), "{e}");
            assert!(e.reason_vi().contains("Tên tệp"), "{e}");
        }
        for bad in ["", "  ", "../etc/passwd", &"x".repeat(201)] {
            assert_eq!(
                check(&p, "to-khai", bad, None, &pdf),
                Err(AttachmentError::Name),
                "{bad:?}"
            );
        }
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_ATTACHMENT_BYTES + 1, 0);
        assert_eq!(
            check(&p, "to-khai", "big.pdf", None, &big),
            Err(AttachmentError::TooLarge(MAX_ATTACHMENT_BYTES + 1))
        );
        big.truncate(MAX_ATTACHMENT_BYTES);
        assert!(check(&p, "to-khai", "max.pdf", None, &big).is_ok());
    }
}

//! Where everything goes: the paper set in lines, pages and shapes, in
//! points from the top left of an A4 page.

use crate::fonts::{Face, face_for, width};
use crate::{Block, Paper, PaperError, Qr, Signature};

/// A4, in points.
pub const PAGE_WIDTH: f32 = 595.28;
/// A4, in points.
pub const PAGE_HEIGHT: f32 = 841.89;
/// The left margin: 30 mm, for binding.
pub const LEFT: f32 = 85.04;
/// The right edge of the text: 20 mm from the page's.
pub const RIGHT: f32 = PAGE_WIDTH - 56.69;
/// The top margin: 20 mm.
pub const TOP: f32 = 56.69;
/// The lowest baseline of the text: 20 mm from the bottom, above the foot.
pub const BOTTOM: f32 = PAGE_HEIGHT - 56.69;
/// The baseline of the foot of each page.
const FOOT: f32 = PAGE_HEIGHT - 28.0;

/// The body's size, and its line's height.
const BODY: f32 = 12.0;
const LEADING: f32 = 1.4;
/// The headings' size.
const HEAD: f32 = 10.5;
/// The QR code's side, with its quiet zone: 35 mm.
const QR_SIDE: f32 = 99.2;
/// The quiet zone of a QR code, in modules.
const QUIET: usize = 4;

/// A paper, placed.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Its pages, in order.
    pub pages: Vec<Page>,
}

/// A page: what is on it.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// What is drawn, in order.
    pub items: Vec<Item>,
}

/// One thing drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A run of text on one line, `y` its baseline.
    Text {
        /// Its left edge.
        x: f32,
        /// Its baseline.
        y: f32,
        /// Its size, in points.
        size: f32,
        /// Its face.
        face: Face,
        /// What it says.
        text: String,
        /// How wide it is.
        width: f32,
    },
    /// A horizontal rule.
    Rule {
        /// Where it starts.
        x1: f32,
        /// Where it ends.
        x2: f32,
        /// How far down.
        y: f32,
    },
    /// A dark square of a QR code.
    Square {
        /// Its left edge.
        x: f32,
        /// Its top edge.
        y: f32,
        /// Its side.
        side: f32,
    },
    /// An area that links to an address.
    Link {
        /// Its left edge.
        x: f32,
        /// Its top edge.
        y: f32,
        /// Its width.
        w: f32,
        /// Its height.
        h: f32,
        /// Where it leads.
        url: String,
    },
}

/// How a paragraph's lines sit between its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
}

/// A word set in its face, and how wide it is.
#[derive(Debug, Clone)]
struct Word {
    face: Face,
    text: String,
    width: f32,
}

/// Text set between two edges, from a cursor that moves down the pages.
struct Setter {
    pages: Vec<Page>,
    /// The baseline of the last line set, or where the next line's top is.
    y: f32,
}

impl Setter {
    fn new() -> Self {
        Setter {
            pages: vec![Page::default()],
            y: TOP,
        }
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.items.push(item);
        }
    }

    /// Makes room for `height` more: a new page when this one has none.
    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.pages.push(Page::default());
            self.y = TOP;
        }
    }

    /// Sets `spans` (text in a wanted face) in lines between `left` and
    /// `right` at `size`; lines after the first start `hang` further right.
    fn paragraph(
        &mut self,
        spans: &[(Face, &str)],
        size: f32,
        (left, right): (f32, f32),
        hang: f32,
        align: Align,
    ) {
        let line_height = size * LEADING;
        for (n, line) in lines(spans, size, right - left, hang)
            .into_iter()
            .enumerate()
        {
            self.room(line_height);
            self.y += line_height;
            let indent = if n == 0 { 0.0 } else { hang };
            let used: f32 = line_width(&line, size);
            let mut x = match align {
                Align::Left => left + indent,
                Align::Center => left + ((right - left) - used).max(0.0) / 2.0,
            };
            for piece in merge(&line, size) {
                let w = piece.width;
                self.push(Item::Text {
                    x,
                    y: self.y - size * 0.3,
                    size,
                    face: piece.face,
                    text: piece.text,
                    width: w,
                });
                x += w + space(size);
            }
        }
    }

    fn gap(&mut self, height: f32) {
        self.y += height;
    }
}

/// The width of a space at `size` (of the body's face; measured once).
fn space(size: f32) -> f32 {
    static EM: std::sync::LazyLock<f32> = std::sync::LazyLock::new(|| width(Face::Serif, 1.0, " "));
    *EM * size
}

/// The words of `spans`, each in the face that has its letters; a word
/// wider than `max` is cut where it no longer fits.
fn words(spans: &[(Face, &str)], size: f32, max: f32) -> Vec<Word> {
    let mut out = Vec::new();
    for (wanted, text) in spans {
        for word in text.split_whitespace() {
            let face = face_for(*wanted, word);
            let w = width(face, size, word);
            if w <= max {
                out.push(Word {
                    face,
                    text: word.to_string(),
                    width: w,
                });
                continue;
            }
            // too wide for any line (an address, a long number): cut it
            let mut part = String::new();
            for c in word.chars() {
                let mut longer = part.clone();
                longer.push(c);
                if !part.is_empty() && width(face, size, &longer) > max {
                    let w = width(face, size, &part);
                    out.push(Word {
                        face,
                        text: std::mem::take(&mut part),
                        width: w,
                    });
                    part.push(c);
                } else {
                    part = longer;
                }
            }
            if !part.is_empty() {
                let w = width(face, size, &part);
                out.push(Word {
                    face,
                    text: part,
                    width: w,
                });
            }
        }
    }
    out
}

/// The words of `spans` filled into lines no wider than `max` (the lines
/// after the first no wider than `max - hang`).
fn lines(spans: &[(Face, &str)], size: f32, max: f32, hang: f32) -> Vec<Vec<Word>> {
    let narrowest = (max - hang).max(max / 4.0);
    let mut out: Vec<Vec<Word>> = Vec::new();
    let mut line: Vec<Word> = Vec::new();
    let mut used = 0.0;
    for word in words(spans, size, narrowest) {
        let limit = if out.is_empty() { max } else { narrowest };
        let extra = if line.is_empty() {
            word.width
        } else {
            space(size) + word.width
        };
        if !line.is_empty() && used + extra > limit {
            out.push(std::mem::take(&mut line));
            used = word.width;
        } else {
            used += extra;
        }
        line.push(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

fn line_width(line: &[Word], size: f32) -> f32 {
    let words: f32 = line.iter().map(|w| w.width).sum();
    words + space(size) * line.len().saturating_sub(1) as f32
}

/// Neighbouring words of one face as one run.
fn merge(line: &[Word], size: f32) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    for word in line {
        match out.last_mut() {
            Some(last) if last.face == word.face => {
                last.text.push(' ');
                last.text.push_str(&word.text);
                last.width += space(size) + word.width;
            }
            _ => out.push(word.clone()),
        }
    }
    out
}

/// Where the heading's two columns and the foot's blocks sit.
fn columns() -> ((f32, f32), (f32, f32)) {
    let split = LEFT + (RIGHT - LEFT) * 0.38;
    ((LEFT, split), (split + 8.0, RIGHT))
}

/// Lays `paper` out on A4 pages.
pub fn layout(paper: &Paper) -> Result<Layout, PaperError> {
    if let Some(qr) = &paper.qr
        && qr.dark.len() != qr.width * qr.width
    {
        return Err(PaperError::QrShape {
            width: qr.width,
            got: qr.dark.len(),
        });
    }
    let mut s = Setter::new();
    heading(&mut s, paper);

    // the title, in capitals, and its lead
    let full = (LEFT, RIGHT);
    s.gap(BODY * 1.5);
    let title = paper.title.to_uppercase();
    s.paragraph(&[(Face::SerifBold, &title)], 14.0, full, 0.0, Align::Center);
    for lead in &paper.lead {
        s.paragraph(&[(Face::Serif, lead)], BODY, full, 0.0, Align::Center);
    }
    s.gap(BODY);

    for block in &paper.body {
        body_block(&mut s, block);
    }

    foot(&mut s, paper.qr.as_ref(), paper.signature.as_ref());

    // the foot of every page: what the paper is, and the page of how many
    let count = s.pages.len();
    for (n, page) in s.pages.iter_mut().enumerate() {
        let size = 8.0;
        // one line: what does not fit is left off
        let first = lines(
            &[(Face::Sans, &paper.footer)],
            size,
            RIGHT - LEFT - 60.0,
            0.0,
        )
        .into_iter()
        .next()
        .unwrap_or_default();
        let mut x = LEFT;
        for piece in merge(&first, size) {
            page.items.push(Item::Text {
                x,
                y: FOOT,
                size,
                face: piece.face,
                text: piece.text,
                width: piece.width,
            });
            x += piece.width + space(size);
        }
        let number = format!("{}/{}", n + 1, count);
        let w = width(Face::Sans, size, &number);
        page.items.push(Item::Text {
            x: RIGHT - w,
            y: FOOT,
            size,
            face: Face::Sans,
            text: number,
            width: w,
        });
    }
    Ok(Layout { pages: s.pages })
}

/// The agency (and the number) on the left, the national heading and the
/// place and day of issue on the right, each centred in its column.
fn heading(s: &mut Setter, paper: &Paper) {
    let (left, right) = columns();
    let top = s.y;

    let agency = paper.agency.to_uppercase();
    s.paragraph(
        &[(Face::SerifBold, &agency)],
        HEAD,
        left,
        0.0,
        Align::Center,
    );
    rule_under(s, left, (left.1 - left.0) / 3.0);
    if let Some(number) = &paper.number {
        s.paragraph(&[(Face::Serif, number)], HEAD, left, 0.0, Align::Center);
    }
    let left_bottom = s.y;

    s.y = top;
    let nation = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
    let motto = "Độc lập - Tự do - Hạnh phúc";
    s.paragraph(
        &[(Face::SerifBold, nation)],
        HEAD,
        right,
        0.0,
        Align::Center,
    );
    s.paragraph(
        &[(Face::SerifBold, motto)],
        HEAD + 1.0,
        right,
        0.0,
        Align::Center,
    );
    let motto_width = width(Face::SerifBold, HEAD + 1.0, motto).min(right.1 - right.0);
    rule_under(s, right, motto_width);
    s.gap(4.0);
    s.paragraph(
        &[(Face::SerifItalic, &paper.place_date)],
        BODY,
        right,
        0.0,
        Align::Center,
    );
    s.y = s.y.max(left_bottom);
}

/// A rule `length` long, centred between `edges`, under the last line.
fn rule_under(s: &mut Setter, (from, to): (f32, f32), length: f32) {
    let middle = (from + to) / 2.0;
    s.gap(3.0);
    s.push(Item::Rule {
        x1: middle - length / 2.0,
        x2: middle + length / 2.0,
        y: s.y,
    });
    s.gap(3.0);
}

fn body_block(s: &mut Setter, block: &Block) {
    let full = (LEFT, RIGHT);
    match block {
        Block::Fact { label, value } => {
            let label = format!("{label}:");
            // the value wraps under itself when the label leaves it room
            let label_width = width(Face::Serif, BODY, &label) + space(BODY);
            let hang = if label_width < (RIGHT - LEFT) * 0.4 {
                label_width
            } else {
                0.0
            };
            s.paragraph(
                &[(Face::Serif, &label), (Face::SerifBold, value)],
                BODY,
                full,
                hang,
                Align::Left,
            );
        }
        Block::Text(text) => {
            s.paragraph(&[(Face::Serif, text)], BODY, full, 0.0, Align::Left);
        }
        Block::Strong(text) => {
            s.paragraph(&[(Face::SerifBold, text)], BODY, full, 0.0, Align::Left);
        }
        Block::Gap => s.gap(BODY * 0.6),
    }
}

/// The QR code (with what it is for and its address) on the left, the
/// signature on the right, kept together on one page.
fn foot(s: &mut Setter, qr: Option<&Qr>, signature: Option<&Signature>) {
    if qr.is_none() && signature.is_none() {
        return;
    }
    let (left, right) = columns();
    let caption = 9.0;
    let url_size = 7.0;
    let qr_height = qr.map_or(0.0, |q| {
        let caption_lines = lines(
            &[(Face::SerifItalic, &q.caption)],
            caption,
            left.1 - left.0,
            0.0,
        )
        .len();
        let url_lines = q.url.as_ref().map_or(0, |url| {
            lines(&[(Face::Sans, url)], url_size, left.1 - left.0, 0.0).len()
        });
        QR_SIDE
            + caption_lines as f32 * caption * LEADING
            + url_lines as f32 * url_size * LEADING
            + 6.0
    });
    let signature_height = signature.map_or(0.0, |_| BODY * LEADING * 3.0 + 60.0);
    s.gap(BODY);
    s.room(qr_height.max(signature_height));
    let top = s.y;

    if let Some(sig) = signature {
        s.paragraph(
            &[(Face::SerifBold, &sig.role)],
            BODY,
            right,
            0.0,
            Align::Center,
        );
        s.paragraph(
            &[(Face::SerifItalic, &sig.note)],
            11.0,
            right,
            0.0,
            Align::Center,
        );
        s.gap(60.0);
        s.paragraph(
            &[(Face::SerifBold, &sig.name)],
            BODY,
            right,
            0.0,
            Align::Center,
        );
    }
    let signature_bottom = s.y;

    s.y = top;
    if let Some(q) = qr {
        let side = QR_SIDE;
        let modules = q.width + 2 * QUIET;
        let module = side / modules as f32;
        let x0 = left.0 + ((left.1 - left.0) - side) / 2.0;
        let y0 = s.y + 4.0;
        for (i, dark) in q.dark.iter().enumerate() {
            if *dark {
                let (row, col) = (i / q.width, i % q.width);
                s.push(Item::Square {
                    x: x0 + (col + QUIET) as f32 * module,
                    y: y0 + (row + QUIET) as f32 * module,
                    side: module,
                });
            }
        }
        s.y = y0 + side;
        s.paragraph(
            &[(Face::SerifItalic, &q.caption)],
            caption,
            left,
            0.0,
            Align::Center,
        );
        if let Some(url) = &q.url {
            let url_top = s.y;
            s.paragraph(&[(Face::Sans, url)], url_size, left, 0.0, Align::Center);
            s.push(Item::Link {
                x: x0,
                y: y0,
                w: side,
                h: side,
                url: url.clone(),
            });
            s.push(Item::Link {
                x: left.0,
                y: url_top,
                w: left.1 - left.0,
                h: s.y - url_top + url_size * 0.5,
                url: url.clone(),
            });
        }
    }
    s.y = s.y.max(signature_bottom);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Block, Paper, Qr, Signature};

    fn paper(body: Vec<Block>) -> Paper {
        let width = 25;
        let dark = (0..width * width)
            .map(|i| (i * 7 + i / width) % 3 == 0)
            .collect();
        Paper {
            lang: "vi".into(),
            agency: "Ủy ban nhân dân xã Bình Đức".into(),
            number: Some("Số: G22.103.28015.261207-0001".into()),
            place_date: "Bình Đức, ngày 07 tháng 12 năm 2026".into(),
            title: "Trích lục khai sinh".into(),
            lead: vec!["Đăng ký khai sinh".into()],
            body,
            qr: Some(Qr {
                width,
                dark,
                caption: "Quét mã để xác minh giấy tờ này".into(),
                url: Some("https://dichvucong.example.vn/xac-minh/G22.103.28015.261207-0001?dau=QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo&khoa=ubnd-28015%4020261207T000000Z".into()),
            }),
            signature: Some(Signature {
                role: "TM. Ủy ban nhân dân".into(),
                note: "(Ký, ghi rõ họ tên)".into(),
                name: "Trần Thị Bình".into(),
            }),
            footer: "Trích lục khai sinh · G22.103.28015.261207-0001".into(),
        }
    }

    fn facts(n: usize) -> Vec<Block> {
        (0..n)
            .map(|i| Block::Fact {
                label: format!("Trường thứ {i}"),
                value: format!(
                    "Giá trị của trường thứ {i}, Nguyễn Thị Ưởng, thôn Đông, xã Bình Đức"
                ),
            })
            .collect()
    }

    fn texts(l: &Layout) -> Vec<(usize, f32, f32, f32, f32, String)> {
        let mut out = Vec::new();
        for (n, page) in l.pages.iter().enumerate() {
            for item in &page.items {
                if let Item::Text {
                    x,
                    y,
                    size,
                    text,
                    width,
                    ..
                } = item
                {
                    out.push((n, *x, *y, *size, *width, text.clone()));
                }
            }
        }
        out
    }

    #[test]
    fn everything_stays_inside_the_page_and_nothing_overlaps() {
        for n in [0, 3, 40, 120] {
            let l = layout(&paper(facts(n))).expect("laid out");
            let all = texts(&l);
            for (page, x, y, size, w, text) in &all {
                assert!(
                    *x >= LEFT - 0.01,
                    "{text:?} starts left of the margin on page {page}"
                );
                assert!(
                    x + w <= RIGHT + 0.01,
                    "{text:?} runs past the right margin ({} > {RIGHT})",
                    x + w
                );
                assert!(*y - size >= TOP - 0.01, "{text:?} is above the top margin");
                assert!(*y <= PAGE_HEIGHT - 20.0, "{text:?} is below the page");
            }
            for (i, a) in all.iter().enumerate() {
                for b in &all[i + 1..] {
                    if a.0 != b.0 {
                        continue;
                    }
                    let side_by_side = a.1 + a.4 <= b.1 + 0.01 || b.1 + b.4 <= a.1 + 0.01;
                    let apart = (a.2 - b.2).abs() >= a.3.min(b.3) * 0.9;
                    assert!(side_by_side || apart, "{:?} and {:?} overlap", a.5, b.5);
                }
            }
            for page in &l.pages {
                for item in &page.items {
                    if let Item::Square { x, y, side } = item {
                        assert!(*x >= LEFT && x + side <= RIGHT && *y >= TOP && y + side <= BOTTOM);
                    }
                }
            }
        }
    }

    #[test]
    fn a_long_paper_runs_onto_pages_numbered_of_their_count() {
        let one = layout(&paper(facts(3))).expect("laid out");
        assert_eq!(one.pages.len(), 1);
        let long = layout(&paper(facts(120))).expect("laid out");
        let count = long.pages.len();
        assert!(count >= 3, "{count} pages");
        for (n, page) in long.pages.iter().enumerate() {
            let number = format!("{}/{count}", n + 1);
            assert!(
                page.items
                    .iter()
                    .any(|i| matches!(i, Item::Text { text, .. } if *text == number)),
                "page {} is not numbered {number}",
                n + 1
            );
        }
        // the QR code and the signature are kept together, on the last page
        let last = long.pages.last().expect("a page");
        assert!(last.items.iter().any(|i| matches!(i, Item::Square { .. })));
        assert!(
            last.items
                .iter()
                .any(|i| matches!(i, Item::Text { text, .. } if text == "Trần Thị Bình"))
        );
    }

    #[test]
    fn every_word_is_printed_once_in_order() {
        let value = "Nguyễn Thị Ưởng sinh ngày 01/02/2026 tại Bệnh viện Phụ sản Trung ương, https://example.vn/một-địa-chỉ-rất-dài-không-có-chỗ-ngắt-dòng-nào-cả-để-thử-cách-cắt-một-từ-quá-dài-cho-một-dòng";
        let l = layout(&paper(vec![Block::Fact {
            label: "Ghi chú".into(),
            value: value.into(),
        }]))
        .expect("laid out");
        let printed: String = texts(&l)
            .into_iter()
            .map(|t| t.5)
            .collect::<Vec<_>>()
            .join(" ");
        let glued: String = printed.split_whitespace().collect();
        let wanted: String = format!("Ghi chú:{value}").split_whitespace().collect();
        assert!(
            glued.contains(&wanted),
            "the value is not printed whole:\n{printed}"
        );
        assert!(
            printed.contains("TRÍCH LỤC KHAI SINH"),
            "the title is in capitals"
        );
        assert!(
            printed.contains("ỦY BAN NHÂN DÂN XÃ BÌNH ĐỨC"),
            "the agency is in capitals"
        );
        assert!(printed.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
        assert!(printed.contains("Độc lập - Tự do - Hạnh phúc"));
    }

    #[test]
    fn a_fact_wraps_under_its_value() {
        let l = layout(&paper(vec![Block::Fact {
            label: "Nơi sinh".into(),
            value: "Bệnh viện Phụ sản Trung ương, số 43 phố Tràng Thi, phường Hoàn Kiếm, thành phố Hà Nội, Việt Nam, và thêm vài chữ cho dòng thứ ba".into(),
        }]))
        .expect("laid out");
        let lines: Vec<_> = texts(&l)
            .into_iter()
            .filter(|t| {
                t.5.contains("Nơi sinh") || t.5.contains("Hà Nội") || t.5.contains("thứ ba")
            })
            .collect();
        let label = lines
            .iter()
            .find(|t| t.5 == "Nơi sinh:")
            .expect("the label");
        let value_start = label.1 + label.4 + space(BODY);
        let under: Vec<_> = lines.iter().filter(|t| t.2 > label.2).collect();
        assert!(!under.is_empty(), "the value did not wrap");
        for t in under {
            assert!(
                (t.1 - value_start).abs() < 0.5,
                "{:?} is not under the value",
                t.5
            );
        }
    }

    #[test]
    fn the_qr_code_is_drawn_module_for_module_and_linked() {
        let p = paper(facts(2));
        let l = layout(&p).expect("laid out");
        let squares: Vec<_> = l.pages[0]
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Square { x, y, side } => Some((*x, *y, *side)),
                _ => None,
            })
            .collect();
        let qr = p.qr.as_ref().expect("a QR code");
        assert_eq!(squares.len(), qr.dark.iter().filter(|d| **d).count());
        let side = squares[0].2;
        assert!((side * (qr.width + 2 * QUIET) as f32 - QR_SIDE).abs() < 0.01);
        // each dark module in its row and column
        let (x0, y0) = squares
            .iter()
            .fold((f32::MAX, f32::MAX), |(x, y), s| (x.min(s.0), y.min(s.1)));
        let mut seen = vec![false; qr.width * qr.width];
        for (x, y, _) in &squares {
            let col = ((x - x0) / side).round() as usize;
            let row = ((y - y0) / side).round() as usize;
            seen[row * qr.width + col] = true;
        }
        let first_dark_col = (0..qr.width)
            .find(|c| (0..qr.width).any(|r| qr.dark[r * qr.width + c]))
            .unwrap_or(0);
        let first_dark_row = (0..qr.width)
            .find(|r| (0..qr.width).any(|c| qr.dark[r * qr.width + c]))
            .unwrap_or(0);
        let shifted: Vec<bool> = (0..qr.width * qr.width)
            .map(|i| {
                let (r, c) = (i / qr.width, i % qr.width);
                r + first_dark_row < qr.width
                    && c + first_dark_col < qr.width
                    && qr.dark[(r + first_dark_row) * qr.width + c + first_dark_col]
            })
            .collect();
        assert_eq!(seen, shifted, "the squares are not the code's modules");
        let links: Vec<_> = l.pages[0]
            .items
            .iter()
            .filter(|i| matches!(i, Item::Link { url, .. } if Some(url) == qr.url.as_ref()))
            .collect();
        assert_eq!(links.len(), 2, "the code and its address both link");
    }

    #[test]
    fn a_qr_code_without_an_address_is_neither_captioned_with_one_nor_linked() {
        let mut p = paper(facts(2));
        if let Some(q) = p.qr.as_mut() {
            q.url = None;
        }
        let l = layout(&p).expect("laid out");
        assert!(
            l.pages[0]
                .items
                .iter()
                .any(|i| matches!(i, Item::Square { .. }))
        );
        assert!(
            !l.pages[0]
                .items
                .iter()
                .any(|i| matches!(i, Item::Link { .. }))
        );
        assert!(!texts(&l).iter().any(|t| t.5.contains("https://")));
    }

    #[test]
    fn a_qr_code_of_the_wrong_shape_is_refused() {
        let mut p = paper(vec![]);
        if let Some(q) = p.qr.as_mut() {
            q.dark.pop();
        }
        assert!(matches!(
            layout(&p),
            Err(PaperError::QrShape {
                width: 25,
                got: 624
            })
        ));
    }

    #[test]
    fn a_paper_without_qr_code_or_signer_has_neither() {
        let mut p = paper(facts(2));
        p.qr = None;
        p.signature = None;
        p.number = None;
        let l = layout(&p).expect("laid out");
        assert!(
            l.pages[0]
                .items
                .iter()
                .all(|i| !matches!(i, Item::Square { .. } | Item::Link { .. }))
        );
        assert!(!texts(&l).iter().any(|t| t.5.starts_with("Số:")));
    }
}

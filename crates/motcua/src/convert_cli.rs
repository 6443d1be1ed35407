//! `motcua units convert`: legacy addresses in, 2025 addresses out, in
//! bulk.
//!
//! The input is streamed in chunks through three stages joined by bounded
//! channels, so memory stays flat however long the input is:
//!
//! 1. a reader thread cuts the input into chunks of lines (or CSV records);
//! 2. the calling thread converts each chunk in parallel on rayon's pool
//!    (every core), formatting the output bytes in parallel too, in order;
//! 3. a writer thread writes the chunks to stdout, in order, and drives the
//!    progress bar.
//!
//! A closed stdout (`… | head`) ends the run quietly and successfully.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use units::{Candidate, Conversion, Status, Units};

/// Lines (or CSV records) per chunk.
const CHUNK_LINES: usize = 16 * 1024;
/// Chunks waiting between two stages: bounds the memory in flight.
const QUEUE_DEPTH: usize = 4;
/// Lines converted per rayon task inside a chunk.
const TASK_LINES: usize = 256;
/// A line longer than this is no address: it is cut here, not buffered,
/// and reported `not_found`.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// Read from this file instead of standard input.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// The input is CSV with a header row: convert one of its columns and
    /// write the CSV back with the result columns appended.
    #[arg(long, requires = "column")]
    csv: bool,
    /// The CSV column holding the addresses (with `--csv`).
    #[arg(long, value_name = "NAME", requires = "csv")]
    column: Option<String>,
}

pub fn run(args: ConvertArgs) -> anyhow::Result<()> {
    let (source, size): (Box<dyn Read + Send>, Option<u64>) = match &args.input {
        Some(path) => {
            let file = File::open(path)
                .with_context(|| format!("cannot open the input file {}", path.display()))?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size)
        }
        None => (Box::new(io::stdin()), None),
    };
    let units = Units::get();
    let outcome = match &args.column {
        Some(column) if args.csv => run_csv(units, source, column, size),
        _ => run_lines(units, source, size),
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(e) if is_broken_pipe(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

// ---------------------------------------------------------------------------
// The pipeline

/// A chunk of input, with the bytes it took from the source.
struct Chunk<T> {
    items: T,
    bytes: u64,
}

/// A chunk ready to write.
struct Output {
    bytes: Vec<u8>,
    lines: u64,
    input_bytes: u64,
}

/// Runs reader → converter → writer. `read` sends chunks until the input
/// ends (or the channel closes); `convert` turns one chunk into output bytes;
/// `header` is written first. `size` is the input's, when known.
fn pipeline<T: Send + 'static>(
    read: impl FnOnce(&SyncSender<Chunk<T>>) -> anyhow::Result<()> + Send + 'static,
    convert: impl Fn(T) -> (Vec<u8>, u64),
    header: Vec<u8>,
    size: Option<u64>,
) -> anyhow::Result<()> {
    let progress = Progress::new(size);
    let outcome = run_stages(read, convert, header, &progress);
    progress.end(outcome.is_ok());
    outcome
}

fn run_stages<T: Send + 'static>(
    read: impl FnOnce(&SyncSender<Chunk<T>>) -> anyhow::Result<()> + Send + 'static,
    convert: impl Fn(T) -> (Vec<u8>, u64),
    header: Vec<u8>,
    progress: &Progress,
) -> anyhow::Result<()> {
    let (chunk_tx, chunk_rx) = sync_channel::<Chunk<T>>(QUEUE_DEPTH);
    let (out_tx, out_rx) = sync_channel::<Output>(QUEUE_DEPTH);
    let reader = thread::Builder::new()
        .name("convert-read".into())
        .spawn(move || read(&chunk_tx))
        .context("cannot start the reader thread")?;
    let bar = progress.bar.clone();
    let writer = thread::Builder::new()
        .name("convert-write".into())
        .spawn(move || write_all(out_rx, header, bar))
        .context("cannot start the writer thread")?;

    convert_all(chunk_rx, out_tx, convert);

    // The writer's error first: a closed stdout makes the reader stop too.
    let written = writer
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the writer thread panicked")));
    let read = reader
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the reader thread panicked")));
    written?;
    read
}

fn convert_all<T>(
    chunks: Receiver<Chunk<T>>,
    out: SyncSender<Output>,
    convert: impl Fn(T) -> (Vec<u8>, u64),
) {
    for chunk in chunks {
        let (bytes, lines) = convert(chunk.items);
        let sent = out.send(Output {
            bytes,
            lines,
            input_bytes: chunk.bytes,
        });
        if sent.is_err() {
            // the writer stopped (stdout closed): dropping `chunks` stops
            // the reader
            return;
        }
    }
}

fn write_all(
    outputs: Receiver<Output>,
    header: Vec<u8>,
    bar: Option<ProgressBar>,
) -> anyhow::Result<()> {
    let stdout = io::stdout();
    let mut w = BufWriter::with_capacity(256 * 1024, stdout.lock());
    w.write_all(&header)
        .context("cannot write to standard output")?;
    let mut lines = 0u64;
    for out in outputs {
        w.write_all(&out.bytes)
            .context("cannot write to standard output")?;
        lines += out.lines;
        if let Some(bar) = &bar {
            bar.inc(out.input_bytes);
            let seconds = bar.elapsed().as_secs_f64();
            let rate = if seconds > 0.0 {
                (lines as f64 / seconds) as u64
            } else {
                0
            };
            bar.set_message(format!(
                "{} lines, {} lines/s",
                group_thousands(lines),
                group_thousands(rate)
            ));
        }
    }
    w.flush().context("cannot write to standard output")?;
    Ok(())
}

/// Converts `items` in parallel, `TASK_LINES` per task, each task writing
/// its part of the output with `emit`; the parts are joined in order.
fn par_emit<I: Sync>(items: &[I], emit: impl Fn(&[I], &mut Vec<u8>) + Sync) -> Vec<u8> {
    let parts: Vec<Vec<u8>> = items
        .par_chunks(TASK_LINES)
        .map(|part| {
            let mut buf = Vec::with_capacity(part.len() * 160);
            emit(part, &mut buf);
            buf
        })
        .collect();
    let mut out = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        out.extend_from_slice(&p);
    }
    out
}

// ---------------------------------------------------------------------------
// Plain lines → JSON lines

/// A chunk of lines, stored back to back in one buffer.
struct Lines {
    data: Vec<u8>,
    /// (start, end, cut short) of each line in `data`, without its `\n`
    spans: Vec<(usize, usize, bool)>,
}

/// One line of output, with exactly these keys.
#[derive(Serialize)]
struct JsonRow<'a> {
    input: &'a str,
    status: &'static str,
    province_code: Option<&'a str>,
    commune_code: Option<&'a str>,
    candidates: &'a [Candidate],
    address: Option<&'a str>,
}

impl<'a> JsonRow<'a> {
    fn of(c: &'a Conversion) -> Self {
        let converted = c.status == Status::Converted;
        JsonRow {
            input: &c.input,
            status: c.status.as_str(),
            province_code: c.province_code.as_deref(),
            commune_code: c.commune_code.as_deref().filter(|_| converted),
            candidates: if c.status == Status::Ambiguous {
                &c.candidates
            } else {
                &[]
            },
            address: c.address.as_deref().filter(|_| converted),
        }
    }

    /// Writes the row as one JSON object, keys in the order of the fields
    /// (what `serde_json` would write, without its per-field machinery:
    /// this is the hot path of a bulk conversion).
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"input\":");
        json_str(out, self.input);
        out.extend_from_slice(b",\"status\":");
        json_str(out, self.status);
        out.extend_from_slice(b",\"province_code\":");
        json_opt(out, self.province_code);
        out.extend_from_slice(b",\"commune_code\":");
        json_opt(out, self.commune_code);
        out.extend_from_slice(b",\"candidates\":[");
        for (i, c) in self.candidates.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"commune_code\":");
            json_str(out, &c.commune_code);
            out.extend_from_slice(b",\"province_code\":");
            json_str(out, &c.province_code);
            out.extend_from_slice(b",\"name\":");
            json_str(out, &c.name);
            out.push(b'}');
        }
        out.extend_from_slice(b"],\"address\":");
        json_opt(out, self.address);
        out.push(b'}');
    }

    fn not_found(input: &'a str) -> Self {
        JsonRow {
            input,
            status: Status::NotFound.as_str(),
            province_code: None,
            commune_code: None,
            candidates: &[],
            address: None,
        }
    }
}

/// A JSON string: quotes, backslashes and control characters escaped, the
/// rest written as it is (UTF-8).
fn json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn json_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// What one input line is, once decoded.
enum Line<'a> {
    Text(&'a str),
    /// invalid UTF-8 or cut short: shown lossily, never converted
    Bad(std::borrow::Cow<'a, str>),
}

fn decode(raw: &[u8], cut: bool) -> Line<'_> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    if cut {
        return Line::Bad(String::from_utf8_lossy(raw));
    }
    match std::str::from_utf8(raw) {
        Ok(s) => Line::Text(s),
        Err(_) => Line::Bad(String::from_utf8_lossy(raw)),
    }
}

fn run_lines(
    units: &'static Units,
    source: Box<dyn Read + Send>,
    size: Option<u64>,
) -> anyhow::Result<()> {
    pipeline(
        move |tx| read_lines(source, tx),
        move |chunk: Lines| {
            let bytes = par_emit(&chunk.spans, |part, buf| {
                for &(s, e, cut) in part {
                    match decode(&chunk.data[s..e], cut) {
                        Line::Text(text) => {
                            JsonRow::of(&units.convert_brief(text)).write(buf);
                        }
                        Line::Bad(shown) => JsonRow::not_found(&shown).write(buf),
                    }
                    buf.push(b'\n');
                }
            });
            (bytes, chunk.spans.len() as u64)
        },
        Vec::new(),
        size,
    )
}

fn read_lines(source: Box<dyn Read + Send>, tx: &SyncSender<Chunk<Lines>>) -> anyhow::Result<()> {
    let mut r = BufReader::with_capacity(256 * 1024, source);
    let mut first = true;
    loop {
        let mut lines = Lines {
            data: Vec::with_capacity(CHUNK_LINES * 64),
            spans: Vec::with_capacity(CHUNK_LINES),
        };
        let mut bytes = 0u64;
        while lines.spans.len() < CHUNK_LINES {
            let start = lines.data.len();
            let Some((taken, cut)) =
                read_line(&mut r, &mut lines.data).context("cannot read the input")?
            else {
                break;
            };
            bytes += taken;
            if first {
                first = false;
                if lines.data[start..].starts_with("\u{feff}".as_bytes()) {
                    lines.data.drain(start..start + 3);
                }
            }
            lines.spans.push((start, lines.data.len(), cut));
        }
        if lines.spans.is_empty() {
            return Ok(());
        }
        if tx
            .send(Chunk {
                items: lines,
                bytes,
            })
            .is_err()
        {
            return Ok(()); // the run stopped downstream
        }
    }
}

/// Appends one line (without its `\n`) to `buf`, keeping at most
/// `MAX_LINE_BYTES` of it. Returns the bytes consumed and whether the line
/// was cut, or `None` at the end of the input.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<(u64, bool)>> {
    let start = buf.len();
    let mut consumed = 0u64;
    let mut cut = false;
    loop {
        let available = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok((consumed > 0).then_some((consumed, cut)));
        }
        let (piece, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        let room = MAX_LINE_BYTES.saturating_sub(buf.len() - start);
        if piece.len() > room {
            cut = true;
        }
        buf.extend_from_slice(&piece[..piece.len().min(room)]);
        let used = done.unwrap_or(available.len());
        r.consume(used);
        consumed += used as u64;
        if done.is_some() {
            return Ok(Some((consumed, cut)));
        }
    }
}

// ---------------------------------------------------------------------------
// CSV → CSV

/// The columns appended to the CSV.
const CSV_COLUMNS: [&str; 5] = [
    "new_status",
    "new_province_code",
    "new_commune_code",
    "new_address",
    "new_candidates",
];

fn run_csv(
    units: &'static Units,
    source: Box<dyn Read + Send>,
    column: &str,
    size: Option<u64>,
) -> anyhow::Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(256 * 1024)
        .from_reader(source);
    let headers = reader
        .byte_headers()
        .context("cannot read the CSV header row")?
        .clone();
    if headers.is_empty() {
        bail!("the CSV input is empty: it needs a header row naming the column {column:?}");
    }
    let names: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h);
            if i == 0 {
                h.trim_start_matches('\u{feff}').to_string()
            } else {
                h.into_owned()
            }
        })
        .collect();
    let Some(index) = names
        .iter()
        .position(|n| n == column)
        .or_else(|| names.iter().position(|n| n.trim() == column.trim()))
    else {
        let listed: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
        bail!(
            "the CSV has no column {column:?}; its columns are: {}",
            listed.join(", ")
        );
    };
    let width = headers.len();

    let mut header = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut header);
        let mut row: csv::ByteRecord = headers.clone();
        for c in CSV_COLUMNS {
            row.push_field(c.as_bytes());
        }
        w.write_byte_record(&row)
            .context("cannot write the CSV header")?;
        w.flush().context("cannot write the CSV header")?;
    }

    pipeline(
        move |tx| read_records(reader, tx),
        move |records: Vec<csv::ByteRecord>| {
            let bytes = par_emit(&records, |part, buf| {
                let mut w = csv::WriterBuilder::new().flexible(true).from_writer(buf);
                let mut row = csv::ByteRecord::new();
                for record in part {
                    csv_row(units, record, index, width, &mut row);
                    // writing into a Vec cannot fail
                    let written = w.write_byte_record(&row);
                    debug_assert!(written.is_ok());
                }
                let flushed = w.flush();
                debug_assert!(flushed.is_ok());
            });
            (bytes, records.len() as u64)
        },
        header,
        size,
    )
}

fn read_records<R: Read>(
    mut reader: csv::Reader<R>,
    tx: &SyncSender<Chunk<Vec<csv::ByteRecord>>>,
) -> anyhow::Result<()> {
    let mut last = reader.position().byte();
    loop {
        let mut records = Vec::with_capacity(CHUNK_LINES);
        let mut record = csv::ByteRecord::new();
        while records.len() < CHUNK_LINES {
            match reader.read_byte_record(&mut record) {
                Ok(true) => records.push(std::mem::take(&mut record)),
                Ok(false) => break,
                Err(e) => match e.kind() {
                    csv::ErrorKind::Io(_) => {
                        return Err(anyhow::Error::new(e).context("cannot read the CSV input"));
                    }
                    // flexible byte records leave nothing else to fail, but
                    // should a record be refused, it becomes an empty one
                    // (not_found) and the run goes on
                    _ => records.push(csv::ByteRecord::new()),
                },
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        let now = reader.position().byte();
        let chunk = Chunk {
            items: records,
            bytes: now - last,
        };
        last = now;
        if tx.send(chunk).is_err() {
            return Ok(());
        }
    }
}

/// The output row of one record: its fields (short records padded to the
/// header's width, long ones kept whole), then the result columns.
fn csv_row(
    units: &Units,
    record: &csv::ByteRecord,
    index: usize,
    width: usize,
    row: &mut csv::ByteRecord,
) {
    row.clear();
    for f in record {
        row.push_field(f);
    }
    for _ in record.len()..width {
        row.push_field(b"");
    }
    let ragged = record.len() != width;
    let conversion = match record.get(index).map(std::str::from_utf8) {
        Some(Ok(text)) if !ragged => Some(units.convert_brief(text.trim_end_matches('\r'))),
        _ => None,
    };
    let Some(c) = conversion else {
        row.push_field(Status::NotFound.as_str().as_bytes());
        for _ in 1..CSV_COLUMNS.len() {
            row.push_field(b"");
        }
        return;
    };
    let converted = c.status == Status::Converted;
    row.push_field(c.status.as_str().as_bytes());
    row.push_field(c.province_code.as_deref().unwrap_or("").as_bytes());
    row.push_field(
        c.commune_code
            .as_deref()
            .filter(|_| converted)
            .unwrap_or("")
            .as_bytes(),
    );
    row.push_field(
        c.address
            .as_deref()
            .filter(|_| converted)
            .unwrap_or("")
            .as_bytes(),
    );
    let mut candidates = String::new();
    if c.status == Status::Ambiguous {
        for (i, cand) in c.candidates.iter().enumerate() {
            if i > 0 {
                candidates.push_str("; ");
            }
            candidates.push_str(&cand.commune_code);
            candidates.push(' ');
            candidates.push_str(&cand.name);
        }
    }
    row.push_field(candidates.as_bytes());
}

// ---------------------------------------------------------------------------
// Progress

/// A progress bar on stderr, only when stderr is a terminal: lines done and
/// their rate, and bytes read against the file's size when the input is a
/// file.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(size: Option<u64>) -> Progress {
        if !io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = match size {
            Some(size) => {
                let bar = ProgressBar::new(size);
                if let Ok(style) = ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes}, {msg} (eta {eta})",
                ) {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar
            }
            None => {
                let bar = ProgressBar::new_spinner();
                if let Ok(style) =
                    ProgressStyle::with_template("{spinner} {elapsed_precise} {msg} ({bytes} read)")
                {
                    bar.set_style(style);
                }
                bar
            }
        };
        bar.set_message("0 lines");
        bar.enable_steady_tick(Duration::from_millis(200));
        Progress { bar: Some(bar) }
    }

    /// Leaves the final figures on screen; on failure, where it stopped.
    fn end(&self, done: bool) {
        if let Some(bar) = &self.bar {
            if done {
                bar.finish();
            } else {
                bar.abandon();
            }
        }
    }
}

fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lines_cut_at_the_limit() {
        let mut long = vec![b'a'; MAX_LINE_BYTES + 10];
        long.extend_from_slice(b"\nnext\r\nlast");
        let mut r = BufReader::with_capacity(64, &long[..]);
        let mut buf = Vec::new();
        let (n, cut) = read_line(&mut r, &mut buf).unwrap().unwrap();
        assert!(cut);
        assert_eq!(n as usize, MAX_LINE_BYTES + 11);
        assert_eq!(buf.len(), MAX_LINE_BYTES);
        buf.clear();
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), Some((6, false)));
        assert_eq!(buf, b"next\r");
        buf.clear();
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), Some((4, false)));
        assert_eq!(buf, b"last");
        assert_eq!(read_line(&mut r, &mut buf).unwrap(), None);
    }

    #[test]
    fn rows_are_written_as_serde_json_would() {
        let units = Units::get();
        let inputs = [
            "Phường Phúc Xá, Quận Ba Đình, Hà Nội",
            "Phường Cống Vị, Quận Ba Đình, Hà Nội",
            "nowhere at all",
            "quote \" backslash \\ tab \t bell \u{7} nul \u{0} del \u{7f} ü 😀",
            "",
        ];
        for input in inputs {
            let c = units.convert(input);
            for row in [JsonRow::of(&c), JsonRow::not_found(input)] {
                let mut ours = Vec::new();
                row.write(&mut ours);
                let theirs = serde_json::to_vec(&row).expect("serialisable");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(10_000_000), "10,000,000");
    }
}

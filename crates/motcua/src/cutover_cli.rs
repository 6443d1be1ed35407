//! `motcua cutover`: a closed provincial portal's in-flight dossiers
//! brought into this one, on the store the server uses.
//!
//! * `import FILE --source 02 [--dry-run] [--csv] [--report PATH]`: reads
//!   the export of the portal of old province `02` (JSON lines, or CSV
//!   with `--csv` or a `.csv` name; `-` reads standard input), brings each
//!   dossier in under the 2025 units or puts it on the review list, and
//!   prints the report: counts per outcome, and every dossier not brought
//!   in with why (`--report` writes the whole report as JSON too). A dry
//!   run writes nothing and reports the same. Running it again changes
//!   nothing; after a crash it goes on where the last batch ended;
//! * `review [--source 02] [--all]`: the review list, as JSON lines;
//! * `decide OLD_CODE --source 02 --place 00694`: brings in one dossier of
//!   the review list, filed for the place a person chose;
//! * `find CODE`: the dossiers a code names, new or old, as JSON lines.
//!
//! Bad input is an error: a message on standard error naming what is
//! wrong, a non-zero exit; nothing already kept is changed.

use std::io::{BufRead as _, BufReader, Read};
use std::path::PathBuf;

use anyhow::{Context, bail};
use serde_json::json;
use web::services::cutover::{self, BATCH, Line, Options, Report};

use crate::store_args::{StoreArgs, open};

#[derive(clap::Subcommand, Debug)]
pub enum CutoverCommand {
    /// Bring in a closed portal's export of in-flight dossiers.
    Import {
        /// The export: JSON lines (`{"HoSo", "TienDo", "DiaBan"}`), or CSV;
        /// `-` reads standard input.
        file: String,
        /// The closed portal: its old province's code (two digits).
        #[arg(long)]
        source: String,
        /// Report what would be done; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// The export is CSV (also when the file's name ends in `.csv`).
        #[arg(long)]
        csv: bool,
        /// Write the whole report there as JSON.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Dossiers per transaction.
        #[arg(long, default_value_t = BATCH)]
        batch: usize,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The dossiers a person decides on, as JSON lines.
    Review {
        /// Only those of this portal.
        #[arg(long)]
        source: Option<String>,
        /// Those decided already too.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Bring in a dossier of the review list, filed for the place chosen.
    Decide {
        /// Its old code.
        old_code: String,
        /// Its portal.
        #[arg(long)]
        source: String,
        /// The commune (five digits) or province (two) in force it is for.
        #[arg(long)]
        place: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The dossiers a code names, new or old, as JSON lines.
    Find {
        /// A dossier's code, or its code on a closed portal.
        code: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn source_code(source: &str) -> anyhow::Result<String> {
    let source = source.trim();
    if units::Units::get().legacy_province(source).is_none() {
        bail!(
            "--source: {source:?} is not the code of a province before 1 July 2025 \
             (two digits, e.g. 02 for Hà Giang)"
        );
    }
    Ok(source.to_string())
}

pub fn run(command: CutoverCommand) -> anyhow::Result<()> {
    let runtime = crate::runtime::current_thread()?;
    match command {
        CutoverCommand::Import {
            file,
            source,
            dry_run,
            csv,
            report,
            batch,
            store,
        } => {
            let source = source_code(&source)?;
            if batch == 0 {
                bail!("--batch: at least 1");
            }
            let input: Box<dyn Read> = if file == "-" {
                Box::new(std::io::stdin())
            } else {
                Box::new(std::fs::File::open(&file).with_context(|| format!("cannot read {file}"))?)
            };
            let csv = csv || file.to_ascii_lowercase().ends_with(".csv");
            let lines = read_export(input, csv)?;
            let options = Options {
                source,
                dry_run,
                batch,
                now: chrono::Utc::now().with_timezone(&calendar::VIETNAM),
            };
            let done = runtime.block_on(async {
                let store = open(&store).await?;
                cutover::import(&*store, lines, &options, |r| {
                    eprintln!(
                        "motcua: {} lines: {} brought in, {} before, {} to review",
                        r.lines,
                        r.imported,
                        r.already_imported,
                        r.review.values().sum::<u64>()
                    );
                })
                .await
                .context("the import stopped; what was stored stays, run it again to go on")
            })?;
            if let Some(path) = report {
                std::fs::write(&path, serde_json::to_vec_pretty(&done)?)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            print_report(&done)
        }
        CutoverCommand::Review { source, all, store } => runtime.block_on(async {
            let source = source.as_deref().map(source_code).transpose()?;
            let store = open(&store).await?;
            for r in store.cutover().reviews(source.as_deref(), !all).await? {
                let line = json!({
                    "source": r.source,
                    "old_code": r.old_code,
                    "kind": r.kind,
                    "reason": r.reason,
                    "candidates": r.candidates,
                    "first_at": r.first_at,
                    "last_at": r.last_at,
                    "decided": r.settled.map(|(at, code, by)| json!({
                        "at": at, "code": code, "by": by,
                    })),
                });
                out(&line.to_string())?;
            }
            Ok(())
        }),
        CutoverCommand::Decide {
            old_code,
            source,
            place,
            store,
        } => runtime.block_on(async {
            let source = source_code(&source)?;
            let store = open(&store).await?;
            let by = crate::backoffice_cli::actor();
            let code =
                cutover::decide(&*store, &source, old_code.trim(), place.trim(), &by).await?;
            out(&json!({"old_code": old_code.trim(), "code": code.to_string()}).to_string())?;
            Ok(())
        }),
        CutoverCommand::Find { code, store } => runtime.block_on(async {
            let store = open(&store).await?;
            let found = cutover::find(&*store, &code).await?;
            if found.is_empty() {
                bail!("no dossier has the code {:?}, new or old", code.trim());
            }
            for s in found {
                let d = &s.dossier;
                let line = json!({
                    "code": d.code.to_string(),
                    "old_code": d.legacy.as_ref().map(|l| &l.code),
                    "source": d.legacy.as_ref().map(|l| &l.source),
                    "status": d.status().code(),
                    "competent": d.route.competent.to_string(),
                    "applicant": d.applicant.name,
                });
                out(&line.to_string())?;
            }
            Ok(())
        }),
    }
}

/// Writes a line to standard output; a reader that went away (`| head`)
/// ends the listing quietly.
fn out(line: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    match writeln!(std::io::stdout().lock(), "{line}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

/// The lines of an export: a JSON lines file read as it goes, a CSV one
/// row by row (each made a JSON line).
fn read_export(input: Box<dyn Read>, csv: bool) -> anyhow::Result<Box<dyn Iterator<Item = Line>>> {
    if !csv {
        let lines = BufReader::new(input)
            .lines()
            .enumerate()
            .filter_map(|(i, l)| match l {
                Ok(text) if text.trim().is_empty() => None,
                Ok(text) => Some(Line::json(i + 1, text)),
                Err(e) => Some(Line {
                    number: i + 1,
                    read: Err(vec![backoffice::map::Problem {
                        field: "line",
                        reason: format!("the line cannot be read as UTF-8 text: {e}"),
                    }]),
                    raw: String::new(),
                }),
            });
        return Ok(Box::new(lines));
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(input);
    let header: Vec<String> = reader
        .headers()
        .context("the CSV export has no header row")?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    if !header.iter().any(|h| h == "MaHoSo") {
        bail!("the CSV export's header names no MaHoSo column: {header:?}");
    }
    let rows = reader.into_records().enumerate().map(move |(i, r)| {
        let number = i + 2;
        match r {
            Ok(record) => {
                let row: Vec<String> = record.iter().map(str::to_string).collect();
                let read = backoffice::cutover::read_row(&header, &row);
                let raw = match &read {
                    Ok(e) => e.to_line().to_string(),
                    Err(_) => {
                        let fields: serde_json::Map<String, serde_json::Value> = header
                            .iter()
                            .cloned()
                            .zip(row.iter().cloned().map(serde_json::Value::String))
                            .collect();
                        json!({ "HoSo": fields }).to_string()
                    }
                };
                Line { number, read, raw }
            }
            Err(e) => Line {
                number,
                read: Err(vec![backoffice::map::Problem {
                    field: "line",
                    reason: format!("the CSV row cannot be read: {e}"),
                }]),
                raw: String::new(),
            },
        }
    });
    Ok(Box::new(rows))
}

fn print_report(r: &Report) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let mut text = String::new();
    let verb = if r.dry_run { "would be" } else { "were" };
    writeln!(
        text,
        "Export of the portal of old province {}: {} lines{}",
        r.source,
        r.lines,
        if r.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    )?;
    writeln!(text, "  {} dossiers {verb} brought in", r.imported)?;
    for (status, n) in &r.imported_by_status {
        let name = dossier::Status::from_code(*status).map_or("", |s| s.name_en());
        writeln!(text, "    status {status} ({name}): {n}")?;
    }
    writeln!(
        text,
        "    of which {} waiting on the applicant, {} late",
        r.imported_paused, r.imported_late
    )?;
    writeln!(
        text,
        "  {} brought in by an earlier run, left alone",
        r.already_imported
    )?;
    if r.repeated > 0 {
        writeln!(text, "  {} lines repeat an earlier old code", r.repeated)?;
    }
    for (kind, n) in &r.review {
        writeln!(text, "  {n} {verb} put on the review list: {kind}")?;
    }
    writeln!(
        text,
        "  every line accounted for: {}",
        r.accounted() == r.lines
    )?;
    for n in &r.not_imported {
        writeln!(
            text,
            "  line {} {}: {}: {}{}",
            n.line,
            if n.old_code.is_empty() {
                "(no code)"
            } else {
                &n.old_code
            },
            n.kind,
            n.reason,
            if n.candidates.is_empty() {
                String::new()
            } else {
                format!(" (choose one of {})", n.candidates.join(", "))
            }
        )?;
    }
    out(text.trim_end())
}

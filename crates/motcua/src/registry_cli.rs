//! `motcua registry …`: the population registry's command line.
//!
//! `generate` streams a synthetic population (see [`registry::generate`])
//! as JSON Lines (one person per line) or CSV with a header row, to standard
//! output or a file. Memory stays flat however many people are asked for.
//! One thread generates, formats and writes: handing the records to a
//! second thread was measured slower (the allocator's cross-thread frees
//! cost more than the overlap gains). A closed standard output
//! (`… | head`) ends the run quietly and successfully; a progress bar is
//! drawn on standard error when it is a terminal.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, anyhow};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use registry::generate::{Generator, SyntheticPerson};

#[derive(clap::Subcommand, Debug)]
pub enum RegistryCommand {
    /// Stream a deterministic synthetic population that looks like
    /// Vietnam's.
    Generate(GenerateArgs),
}

/// The output formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// How many people to generate.
    #[arg(long, value_name = "N")]
    people: u64,
    /// The seed: the same seed gives the same people, byte for byte.
    #[arg(long, value_name = "S")]
    seed: u64,
    /// The reference date: ages are counted to it and nobody is born after
    /// it. Fixed by default so that a seed alone decides the output.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2026-01-01")]
    as_of: NaiveDate,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
}

pub fn run(command: RegistryCommand) -> anyhow::Result<()> {
    match command {
        RegistryCommand::Generate(args) => generate(args),
    }
}

/// People between two progress bar updates.
const PROGRESS_EVERY: u64 = 16 * 1024;

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let generator = Generator::new(args.seed, args.people, args.as_of)
        .context("cannot generate this population")?;
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path)
                .with_context(|| format!("cannot create the output file {}", path.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let out = BufWriter::with_capacity(256 * 1024, sink);
    let bar = if io::stderr().is_terminal() {
        let bar = ProgressBar::new(args.people);
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} {wide_bar} {human_pos}/{human_len} people ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };

    let outcome = match args.format {
        Format::Jsonl => write_jsonl(generator, out, &bar),
        Format::Csv => write_csv(generator, out, &bar),
    };
    match outcome {
        Ok(()) => {
            bar.finish();
            Ok(())
        }
        Err(e) if is_broken_pipe(&e) => {
            bar.abandon();
            Ok(())
        }
        Err(e) => {
            bar.abandon();
            Err(e)
        }
    }
}

fn write_jsonl(generator: Generator, mut out: impl Write, bar: &ProgressBar) -> anyhow::Result<()> {
    each(generator, bar, |person| {
        serde_json::to_writer(&mut out, person).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    out.flush()?;
    Ok(())
}

fn write_csv(generator: Generator, out: impl Write, bar: &ProgressBar) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    each(generator, bar, |person| {
        writer.serialize(person).map_err(csv_error)
    })?;
    writer.flush()?;
    Ok(())
}

/// Calls `write` on every person, moving the bar along.
fn each(
    generator: Generator,
    bar: &ProgressBar,
    mut write: impl FnMut(&SyntheticPerson) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut count = 0u64;
    for person in generator {
        write(&person.context("generation stopped")?)?;
        count += 1;
        if count.is_multiple_of(PROGRESS_EVERY) {
            bar.set_position(count);
        }
    }
    bar.set_position(count);
    Ok(())
}

/// Keeps the I/O error inside a CSV error recognisable.
fn csv_error(e: csv::Error) -> anyhow::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => anyhow::Error::new(io),
        other => anyhow!("cannot write CSV: {other:?}"),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: RegistryCommand,
    }

    fn parse(args: &[&str]) -> Result<RegistryCommand, clap::Error> {
        Cli::try_parse_from(["registry"].iter().chain(args)).map(|cli| cli.command)
    }

    #[test]
    fn writes_jsonl_and_csv_files() {
        let dir = tempfile::tempdir().unwrap();
        for (format, lines) in [("jsonl", 1000), ("csv", 1001)] {
            let path = dir.path().join(format!("people.{format}"));
            let path_text = path.to_str().unwrap();
            let command = parse(&[
                "generate", "--people", "1000", "--seed", "4", "--format", format, "--output",
                path_text,
            ])
            .unwrap();
            run(command).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.lines().count(), lines, "{format}");
            // the same arguments write the same bytes
            let again = dir.path().join("again");
            let command = parse(&[
                "generate",
                "--people",
                "1000",
                "--seed",
                "4",
                "--format",
                format,
                "--output",
                again.to_str().unwrap(),
            ])
            .unwrap();
            run(command).unwrap();
            assert_eq!(std::fs::read(&again).unwrap(), text.as_bytes());
        }
    }

    #[test]
    fn refuses_bad_arguments() {
        for args in [
            &["generate", "--seed", "1"][..],
            &["generate", "--people", "-3", "--seed", "1"],
            &["generate", "--people", "10", "--seed", "x"],
            &[
                "generate",
                "--people",
                "10",
                "--seed",
                "1",
                "--as-of",
                "2025-02-30",
            ],
            &[
                "generate", "--people", "10", "--seed", "1", "--format", "xml",
            ],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
        let early = parse(&[
            "generate",
            "--people",
            "1",
            "--seed",
            "1",
            "--as-of",
            "1980-01-01",
        ]);
        assert!(run(early.unwrap()).is_err());
    }
}

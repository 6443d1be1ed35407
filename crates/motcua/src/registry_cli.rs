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
//!
//! `load` generates the same population straight into the store
//! (`RegistryStore::load_people`, one transaction per batch): one thread
//! generates and turns people into their vital events
//! (`registry::generate::person_events`), the caller's thread writes; at
//! most two batches wait between them, so memory stays flat.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use registry::VitalEvent;
use registry::generate::{Generator, SyntheticPerson, person_events};

use crate::store_args::StoreArgs;

#[derive(clap::Subcommand, Debug)]
pub enum RegistryCommand {
    /// Stream a deterministic synthetic population that looks like
    /// Vietnam's.
    Generate(GenerateArgs),
    /// Generate a synthetic population straight into the store, in
    /// batches (memory stays flat), and print the rate.
    Load(LoadArgs),
}

/// The synthetic population a command generates (again).
#[derive(clap::Args, Debug)]
pub struct PopulationArgs {
    /// How many people.
    #[arg(long, value_name = "N")]
    pub people: u64,
    /// The seed: the same seed gives the same people, byte for byte.
    #[arg(long, value_name = "S")]
    pub seed: u64,
    /// The reference date: ages are counted to it, nobody is born after it
    /// and loaded events are recorded at it. Fixed by default so that a
    /// seed alone decides the population.
    #[arg(long, value_name = "YYYY-MM-DD", default_value = "2026-01-01")]
    pub as_of: NaiveDate,
}

impl PopulationArgs {
    /// The generator of this population.
    pub fn generator(&self) -> anyhow::Result<Generator> {
        Generator::new(self.seed, self.people, self.as_of)
            .context("cannot generate this population")
    }
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
    #[command(flatten)]
    population: PopulationArgs,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    format: Format,
}

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    #[command(flatten)]
    population: PopulationArgs,
    /// People written per transaction.
    #[arg(long, value_name = "N", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    batch: u64,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(command: RegistryCommand) -> anyhow::Result<()> {
    match command {
        RegistryCommand::Generate(args) => generate(args),
        RegistryCommand::Load(args) => load(args).map(|_| ()),
    }
}

/// Batches in flight between the generating thread and the writer.
const BATCHES_IN_FLIGHT: usize = 2;

/// Generates on one thread and writes on the caller's through
/// `load_people`, one transaction per batch; returns the people written.
pub fn load(args: LoadArgs) -> anyhow::Result<u64> {
    let location = args.store.location()?;
    if let store::Location::SqliteFile(path) = &location
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    }
    let generator = args.population.generator()?;
    let at = registry::generate::recorded_at(args.population.as_of);
    let batch = usize::try_from(args.batch).context("the batch is too large")?;
    let bar = progress_bar(args.population.people);
    let started = std::time::Instant::now();

    let (tx, rx) =
        std::sync::mpsc::sync_channel::<anyhow::Result<(u64, Vec<VitalEvent>)>>(BATCHES_IN_FLIGHT);
    let producer = std::thread::spawn(move || {
        let mut events = Vec::with_capacity(batch * 4);
        let mut people = 0u64;
        for person in generator {
            let outcome = person
                .context("generation stopped")
                .and_then(|p| person_events(&p, at).context("cannot make the person's events"));
            match outcome {
                Ok(mut more) => {
                    events.append(&mut more);
                    people += 1;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
            if people == args.batch {
                let full = std::mem::replace(&mut events, Vec::with_capacity(batch * 4));
                if tx.send(Ok((people, full))).is_err() {
                    return;
                }
                people = 0;
            }
        }
        if people > 0 {
            let _ = tx.send(Ok((people, events)));
        }
    });

    let runtime = crate::runtime::current_thread()?;
    let written = runtime.block_on(async {
        let store = crate::store_args::open_at(&location).await?;
        let mut written = 0u64;
        for received in rx.iter() {
            let (people, events) = received?;
            store
                .registry()
                .load_people(&events)
                .await
                .with_context(|| {
                    format!("cannot load people {}–{}", written + 1, written + people)
                })?;
            written += people;
            bar.set_position(written);
        }
        anyhow::Ok(written)
    });
    let written = match written {
        Ok(w) => w,
        Err(e) => {
            bar.abandon();
            return Err(e);
        }
    };
    if producer.join().is_err() {
        bail!("the generating thread failed");
    }
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "loaded {written} people in {seconds:.1} s: {:.0} people/s ({:?})",
        written as f64 / seconds.max(1e-9),
        location.backend()
    );
    Ok(written)
}

fn progress_bar(len: u64) -> ProgressBar {
    if io::stderr().is_terminal() {
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} {wide_bar} {human_pos}/{human_len} people ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    }
}

/// People between two progress bar updates.
const PROGRESS_EVERY: u64 = 16 * 1024;

fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let generator = args.population.generator()?;
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path)
                .with_context(|| format!("cannot create the output file {}", path.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let out = BufWriter::with_capacity(256 * 1024, sink);
    let bar = progress_bar(args.population.people);

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
            let generate = |output: &std::path::Path| {
                let command = parse(&[
                    "generate",
                    "--people",
                    "1000",
                    "--seed",
                    "4",
                    "--format",
                    format,
                    "--output",
                    output.to_str().unwrap(),
                ])
                .unwrap();
                run(command).unwrap();
            };
            let path = dir.path().join(format!("people.{format}"));
            generate(&path);
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text.lines().count(), lines, "{format}");
            // the same arguments write the same bytes
            let again = dir.path().join("again");
            generate(&again);
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
        for args in [
            &["load", "--people", "10", "--seed", "1", "--batch", "0"][..],
            &["load", "--seed", "1"],
        ] {
            assert!(parse(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn loads_people_that_can_be_read_back_and_found() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let command = parse(&[
            "load",
            "--people",
            "1200",
            "--seed",
            "9",
            "--batch",
            "500",
            "--data-dir",
            data_dir.to_str().unwrap(),
        ])
        .unwrap();
        let RegistryCommand::Load(args) = command else {
            panic!("not a load");
        };
        let loaded = load(args).unwrap();
        assert_eq!(loaded, 1200);

        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let generated: Vec<SyntheticPerson> = Generator::new(9, 1200, as_of)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let location = store::Location::parse(None, &data_dir).unwrap();
            let store = store::open(&location).await.unwrap();
            for g in [&generated[0], &generated[777], &generated[1199]] {
                let pid = domain::PersonalId::parse(&g.personal_id).unwrap();
                let person = store.registry().person(&pid).await.unwrap().unwrap();
                assert_eq!(person.full_name.value, g.full_name);
                assert_eq!(person.birth_date.value.to_string(), g.birth_date);
                let query = registry::Query {
                    full_name: g.full_name.clone(),
                    birth_date: Some(person.birth_date.value),
                    commune: None,
                };
                let found = store.registry().find_people(&query, 10).await.unwrap();
                assert!(
                    found.iter().any(|f| f.person.id == pid),
                    "{} not found by name",
                    g.full_name
                );
            }
        });
    }
}

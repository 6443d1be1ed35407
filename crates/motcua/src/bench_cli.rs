//! `motcua bench …`: workloads for the benchmarks in `bench/`.
//!
//! `units-cases` writes the address test set that
//! `bench/units_vs_vietnamadminunits.py` scores both converters on: one
//! JSON object per line,
//!
//! ```json
//! {"kind":"full","legacy_commune":"00001","input":"Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội",
//!  "expected_status":"converted","expected_commune":"00097","expected_candidates":[]}
//! ```

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use units::{Expected, Units};

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Write the address test cases (JSON lines) for the units benchmark.
    UnitsCases(UnitsCasesArgs),
    /// Time lookups by personal id in a store `registry load` filled.
    RegistryLookup(crate::bench_registry::LookupArgs),
    /// Sign `person.get` requests for the HTTP load generator (wrk).
    ExchangeRequests(crate::bench_exchange::RequestsArgs),
    /// Check passwords (argon2id) as fast as the machine can.
    Passwords(crate::bench_password::PasswordArgs),
    /// Log applicants in and write the dossiers they file, for wrk.
    DossierRequests(crate::bench_dossier::DossierRequestsArgs),
    /// Make result PDFs as fast as the machine can.
    Papers(crate::bench_paper::PaperArgs),
    /// Report a province's backlog to a national node, and the same calls
    /// raw.
    Sync(crate::bench_sync::SyncArgs),
    /// Write a closed provincial portal's export of in-flight dossiers.
    CutoverExport(crate::bench_cutover::ExportArgs),
}

#[derive(clap::Args)]
pub struct UnitsCasesArgs {
    /// Keep a random sample of this many cases of each kind (all when
    /// omitted).
    #[arg(long, value_name = "N")]
    per_kind: Option<usize>,
    /// Seed of the sample.
    #[arg(long, value_name = "S", default_value_t = 2025)]
    seed: u64,
    /// Write here instead of standard output.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::UnitsCases(args) => units_cases(args),
        BenchCommand::RegistryLookup(args) => crate::bench_registry::lookup(args),
        BenchCommand::ExchangeRequests(args) => crate::bench_exchange::requests(args),
        BenchCommand::Passwords(args) => crate::bench_password::passwords(args),
        BenchCommand::DossierRequests(args) => crate::bench_dossier::requests(args),
        BenchCommand::Papers(args) => crate::bench_paper::papers(args),
        BenchCommand::Sync(args) => crate::bench_sync::sync(args),
        BenchCommand::CutoverExport(args) => crate::bench_cutover::export(args),
    }
}

/// One test address and the outcome the official conversion table dictates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Case {
    /// `full`, `street`, `abbreviated`, `no_diacritics` or `no_district`
    pub kind: &'static str,
    /// the legacy commune the address names
    pub legacy_commune: String,
    pub input: String,
    /// `converted` or `ambiguous`
    pub expected_status: &'static str,
    /// the new commune, when `converted`
    pub expected_commune: Option<String>,
    /// every new commune (sorted codes), when `ambiguous`
    pub expected_candidates: Vec<String>,
}

fn units_cases(args: UnitsCasesArgs) -> anyhow::Result<()> {
    let units = Units::get();
    let all = cases(units);
    let picked = match args.per_kind {
        Some(n) => sample_per_kind(all, n, args.seed),
        None => all,
    };
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let mut w = BufWriter::new(out);
    for case in &picked {
        serde_json::to_writer(&mut w, case)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    let mut per_kind: Vec<(&str, usize)> = Vec::new();
    for case in &picked {
        match per_kind.iter_mut().find(|(k, _)| *k == case.kind) {
            Some((_, n)) => *n += 1,
            None => per_kind.push((case.kind, 1)),
        }
    }
    let counts: Vec<String> = per_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
    eprintln!("{} cases: {}", picked.len(), counts.join(", "));
    Ok(())
}

/// The whole test set, in a fixed order: the one the units crate's
/// acceptance test checks ([`Units::samples`]).
pub fn cases(units: &Units) -> Vec<Case> {
    units
        .samples()
        .into_iter()
        .map(|s| {
            let (expected_status, expected_commune, expected_candidates) = match s.expected {
                Expected::Converted { commune_code, .. } => {
                    ("converted", Some(commune_code), vec![])
                }
                Expected::Ambiguous { candidates } => ("ambiguous", None, candidates),
            };
            Case {
                kind: s.kind.as_str(),
                legacy_commune: s.legacy_commune_code,
                input: s.input,
                expected_status,
                expected_commune,
                expected_candidates,
            }
        })
        .collect()
}

fn sample_per_kind(all: Vec<Case>, n: usize, seed: u64) -> Vec<Case> {
    // kinds in their order of first appearance, so the draw is reproducible
    let mut by_kind: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, c) in all.iter().enumerate() {
        match by_kind.iter_mut().find(|(k, _)| *k == c.kind) {
            Some((_, v)) => v.push(i),
            None => by_kind.push((c.kind, vec![i])),
        }
    }
    let mut keep = vec![false; all.len()];
    let mut rng = SplitMix64(seed);
    for (_, indexes) in &mut by_kind {
        // partial Fisher–Yates: the first `n` are a uniform sample
        let take = n.min(indexes.len());
        for i in 0..take {
            let j = i + (rng.next() % (indexes.len() - i) as u64) as usize;
            indexes.swap(i, j);
        }
        for &i in &indexes[..take] {
            keep[i] = true;
        }
    }
    all.into_iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(c))
        .collect()
}

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

// ---------------------------------------------------------------------------
// The generator

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phuc_xa_in_every_kind() {
        let all = cases(Units::get());
        let phuc_xa: Vec<&Case> = all.iter().filter(|c| c.legacy_commune == "00001").collect();
        let inputs: Vec<(&str, &str)> =
            phuc_xa.iter().map(|c| (c.kind, c.input.as_str())).collect();
        assert_eq!(
            inputs[0],
            ("full", "Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội")
        );
        assert!(
            inputs[1]
                .1
                .ends_with(", Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội")
        );
        assert_eq!(
            inputs[2],
            ("abbreviated", "P. Phúc Xá, Q. Ba Đình, TP. Hà Nội")
        );
        assert_eq!(
            inputs[3],
            (
                "no_diacritics",
                "Phuong Phuc Xa, Quan Ba Dinh, Thanh pho Ha Noi"
            )
        );
        assert_eq!(
            inputs[4],
            ("no_district", "Phường Phúc Xá, Thành phố Hà Nội")
        );
        assert!(
            phuc_xa
                .iter()
                .all(|c| c.expected_commune.as_deref() == Some("00097"))
        );
    }

    #[test]
    fn split_communes_expect_every_successor() {
        let all = cases(Units::get());
        let cong_vi = all
            .iter()
            .find(|c| c.legacy_commune == "00007")
            .expect("Cống Vị");
        assert_eq!(cong_vi.expected_status, "ambiguous");
        assert_eq!(cong_vi.expected_candidates, ["00008", "00025"]);
        assert_eq!(cong_vi.expected_commune, None);
    }

    #[test]
    fn sampling_is_per_kind_and_seeded() {
        let all = cases(Units::get());
        let a = sample_per_kind(all.clone(), 10, 7);
        let b = sample_per_kind(all.clone(), 10, 7);
        let c = sample_per_kind(all, 10, 8);
        assert_eq!(a.len(), 50);
        assert_eq!(a, b);
        assert_ne!(a, c);
        for kind in units::SampleKind::ALL {
            assert_eq!(a.iter().filter(|c| c.kind == kind.as_str()).count(), 10);
        }
    }
}

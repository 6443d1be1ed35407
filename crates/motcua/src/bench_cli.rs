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

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use serde::Serialize;
use units::{LegacyCommune, Units, fold};

#[derive(clap::Subcommand)]
pub enum BenchCommand {
    /// Write the address test cases (JSON lines) for the units benchmark.
    UnitsCases(UnitsCasesArgs),
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

/// The whole test set, in a fixed order: every legacy commune the official
/// table converts, written in each kind. This is the one call that builds
/// it; everything else only samples and writes.
pub fn cases(units: &Units) -> Vec<Case> {
    generate_cases(units)
}

/// Keeps `n` cases of each kind, drawn with `seed`, in their original order.
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

/// The ways an address is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội`
    Full,
    /// `Số 12 Trần Phú, Phường Phúc Xá, Quận Ba Đình, Thành phố Hà Nội`
    Street,
    /// `P. Phúc Xá, Q. Ba Đình, TP. Hà Nội`
    Abbreviated,
    /// `Phuong Phuc Xa, Quan Ba Dinh, Thanh pho Ha Noi`
    NoDiacritics,
    /// `Phường Phúc Xá, Thành phố Hà Nội`
    NoDistrict,
}

const KINDS: [Kind; 5] = [
    Kind::Full,
    Kind::Street,
    Kind::Abbreviated,
    Kind::NoDiacritics,
    Kind::NoDistrict,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Full => "full",
            Kind::Street => "street",
            Kind::Abbreviated => "abbreviated",
            Kind::NoDiacritics => "no_diacritics",
            Kind::NoDistrict => "no_district",
        }
    }
}

/// Street parts for the `street` kind: `{}` is a house or group number.
const STREETS: &[&str] = &[
    "Số {} đường Trần Phú",
    "{} Lê Duẩn",
    "Số {} ngõ 15 Nguyễn Văn Cừ",
    "Số {}/7 Hùng Vương",
    "Thôn {}",
    "Tổ {}, khu phố 3",
    "Ấp {}",
    "Km {} Quốc lộ 1A",
];

/// The usual abbreviation of an official type word.
fn short_type(type_word: &str) -> Option<&'static str> {
    let short = match type_word {
        "Phường" => "P.",
        "Xã" => "X.",
        "Thị trấn" => "TT.",
        "Đặc khu" => "ĐK.",
        "Quận" => "Q.",
        "Huyện" => "H.",
        "Thị xã" | "Thị Xã" => "TX.",
        "Thành phố" | "Thành Phố" => "TP.",
        "Tỉnh" => "T.",
        _ => return None,
    };
    Some(short)
}

fn abbreviated(official: &str) -> String {
    let (type_word, bare) = fold::split_official(official);
    match short_type(type_word) {
        Some(short) => format!("{short} {bare}"),
        None => official.to_string(),
    }
}

/// Drops every diacritic (`đ` → `d`), keeping the case.
fn without_diacritics(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd()
        .filter(|c| !('\u{0300}'..='\u{036F}').contains(c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect()
}

/// The unit components of an address of `kind` (no street), most specific
/// first.
fn components(kind: Kind, commune: &str, district: &str, province: &str) -> Vec<String> {
    match kind {
        Kind::Full | Kind::Street => vec![commune.into(), district.into(), province.into()],
        Kind::Abbreviated => vec![
            abbreviated(commune),
            abbreviated(district),
            abbreviated(province),
        ],
        Kind::NoDiacritics => vec![
            without_diacritics(commune),
            without_diacritics(district),
            without_diacritics(province),
        ],
        Kind::NoDistrict => vec![commune.into(), province.into()],
    }
}

/// How the address reads to anyone: case, spacing and tone-mark placement
/// do not count (nor diacritics, when the kind drops them).
fn reading(kind: Kind, parts: &[String]) -> String {
    let fold_one = |p: &String| match kind {
        Kind::NoDiacritics => fold::words(p),
        _ => fold::marks(p),
    };
    parts.iter().map(fold_one).collect::<Vec<_>>().join("|")
}

/// A small deterministic hash of a code (FNV-1a), to vary the street.
fn hash(code: &str) -> u64 {
    code.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Every legacy commune that the official table converts, in each kind.
///
/// The expected outcome is the table's: one successor → `converted` to it;
/// several → `ambiguous` with exactly those. An address is left out of a
/// kind when, written that way, it also names another legacy commune (two
/// communes of one district that differ only by their diacritics, or a name
/// found twice in a province once the district is dropped): such an address
/// has no single right answer to score.
fn generate_cases(units: &Units) -> Vec<Case> {
    struct Named<'a> {
        commune: &'a LegacyCommune,
        district: &'a str,
        province: &'a str,
    }
    let named: Vec<Named<'_>> = units
        .legacy_communes()
        .iter()
        .filter_map(|c| {
            Some(Named {
                commune: c,
                district: units.legacy_district(&c.district_code)?.name.as_str(),
                province: units.legacy_province(&c.province_code)?.name.as_str(),
            })
        })
        .collect();

    // how many legacy communes each written form names
    let mut readings: HashMap<(usize, String), usize> = HashMap::new();
    for n in &named {
        for (k, &kind) in KINDS.iter().enumerate() {
            let parts = components(kind, &n.commune.name, n.district, n.province);
            *readings.entry((k, reading(kind, &parts))).or_default() += 1;
        }
    }

    let mut out = Vec::with_capacity(named.len() * KINDS.len());
    for n in &named {
        let Some(successors) = units.successors(&n.commune.code) else {
            continue;
        };
        let mut codes: Vec<String> = successors.iter().map(|s| s.commune_code.clone()).collect();
        codes.sort();
        codes.dedup();
        let (status, commune, candidates) = match codes.len() {
            0 => continue,
            1 => ("converted", codes.pop(), Vec::new()),
            _ => ("ambiguous", None, codes),
        };
        for (k, &kind) in KINDS.iter().enumerate() {
            let parts = components(kind, &n.commune.name, n.district, n.province);
            if readings.get(&(k, reading(kind, &parts))) != Some(&1) {
                continue;
            }
            let mut input = String::new();
            if kind == Kind::Street {
                let h = hash(&n.commune.code);
                let street = STREETS[(h % STREETS.len() as u64) as usize];
                input.push_str(&street.replace("{}", &(1 + (h >> 8) % 199).to_string()));
                input.push_str(", ");
            }
            input.push_str(&parts.join(", "));
            out.push(Case {
                kind: kind.name(),
                legacy_commune: n.commune.code.clone(),
                input,
                expected_status: status,
                expected_commune: commune.clone(),
                expected_candidates: candidates.clone(),
            });
        }
    }
    out
}

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
        for kind in KINDS {
            assert_eq!(a.iter().filter(|c| c.kind == kind.name()).count(), 10);
        }
    }
}

//! `motcua bench …`: workloads for the benchmarks in `bench/`.

#[derive(clap::Subcommand)]
pub enum BenchCommand {}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {}
}

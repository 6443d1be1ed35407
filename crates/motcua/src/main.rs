//! `motcua`: the platform's single binary.

mod account_cli;
mod backoffice_cli;
mod bench_cli;
mod bench_cutover;
mod bench_dossier;
mod bench_exchange;
mod bench_paper;
mod bench_password;
mod bench_registry;
mod bench_sync;
mod calendar_cli;
mod convert_cli;
mod cutover_cli;
mod demo;
mod exchange_cli;
mod oidc_cli;
mod registry_cli;
mod runtime;
mod serve;
mod store_args;
mod sync_cli;

use clap::{Parser, Subcommand};

// The server allocates many small, short-lived buffers per request (headers,
// JSON, signatures); mimalloc serves them faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "motcua", version, about = "One door to every public service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform: portal, API and back office.
    Serve(serve::ServeArgs),
    /// Administrative units: look up and convert addresses.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// The population registry: synthetic populations.
    Registry {
        #[command(subcommand)]
        command: registry_cli::RegistryCommand,
    },
    /// The exchange layer: verify the message log, export its signed head.
    Exchange {
        #[command(subcommand)]
        command: exchange_cli::ExchangeCommand,
    },
    /// eID accounts: open and show them.
    Account {
        #[command(subcommand)]
        command: account_cli::AccountCommand,
    },
    /// The identity provider: its relying parties.
    Oidc {
        #[command(subcommand)]
        command: oidc_cli::OidcCommand,
    },
    /// The back offices' synchronisation: receive a packet, list and
    /// resolve the messages left for an operator.
    Backoffice {
        #[command(subcommand)]
        command: backoffice_cli::BackofficeCommand,
    },
    /// A province's node and the national portal: reconcile an agency's
    /// day.
    Sync {
        #[command(subcommand)]
        command: sync_cli::SyncCommand,
    },
    /// The cut-over of a closed provincial portal: bring its in-flight
    /// dossiers in, decide those on the review list, find one by its old
    /// code.
    Cutover {
        #[command(subcommand)]
        command: cutover_cli::CutoverCommand,
    },
    /// Vietnam's calendar: holidays, lunar dates, due dates in working days.
    Calendar {
        #[command(subcommand)]
        command: calendar_cli::CalendarCommand,
    },
    /// Workloads for the benchmarks (see BENCHMARKS.md).
    #[command(hide = true)]
    Bench {
        #[command(subcommand)]
        command: bench_cli::BenchCommand,
    },
}

#[derive(Subcommand)]
enum UnitsCommand {
    /// Convert legacy (pre-2025) addresses to the 2025 units.
    Convert(convert_cli::ConvertArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Units {
            command: UnitsCommand::Convert(args),
        } => convert_cli::run(args),
        Command::Registry { command } => registry_cli::run(command),
        Command::Exchange { command } => exchange_cli::run(command),
        Command::Account { command } => account_cli::run(command),
        Command::Oidc { command } => oidc_cli::run(command),
        Command::Backoffice { command } => backoffice_cli::run(command),
        Command::Sync { command } => sync_cli::run(command),
        Command::Cutover { command } => cutover_cli::run(command),
        Command::Calendar { command } => calendar_cli::run(command),
        Command::Bench { command } => bench_cli::run(command),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("motcua: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

//! `--data-dir` and `--database-url`: where a command finds the store.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    /// Where the embedded SQLite database lives.
    #[arg(long, env = "MOTCUA_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// A PostgreSQL URL (`postgres://USER@HOST:PORT/DB`) or `sqlite:PATH`,
    /// instead of DATA_DIR/motcua.db.
    #[arg(long, env = "MOTCUA_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

impl StoreArgs {
    /// The store these options name.
    pub fn location(&self) -> anyhow::Result<store::Location> {
        location(self.database_url.as_deref(), &self.data_dir)
    }
}

/// The store `--database-url` names, else the SQLite file in `data_dir`.
pub fn location(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
) -> anyhow::Result<store::Location> {
    store::Location::parse(database_url, data_dir).context("MOTCUA_DATABASE_URL / --database-url")
}

/// Opens the store the options name.
pub async fn open(args: &StoreArgs) -> anyhow::Result<Arc<dyn store::Store>> {
    open_at(&args.location()?).await
}

/// Opens the store at `location`.
pub async fn open_at(location: &store::Location) -> anyhow::Result<Arc<dyn store::Store>> {
    store::open(location)
        .await
        .with_context(|| format!("cannot open the store ({location})"))
}

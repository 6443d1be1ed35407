//! `motcua sync reconcile --agency A --date D`: a province's node compares
//! an agency's day of dossiers with what the national portal holds of them
//! (counts, and a digest over each dossier's code, status and steps), lists
//! every dossier that differs and why, and with `--resend` makes each one
//! that differs due to be sent again, whole (the running server's upstream
//! sender sends it; the portal ignores what it already has).
//!
//! The report is JSON on standard output. Differences left (without
//! `--resend`) end with a non-zero exit, so that a scheduled run is seen.

use anyhow::{Context, bail};

use crate::store_args::{StoreArgs, open};

#[derive(clap::Subcommand, Debug)]
pub enum SyncCommand {
    /// Compare an agency's day with the national portal.
    Reconcile {
        /// The agency (its code, as dossier codes begin).
        #[arg(long)]
        agency: String,
        /// The day (YYYY-MM-DD, Vietnam's).
        #[arg(long)]
        date: chrono::NaiveDate,
        /// Make every dossier that differs due to be sent again.
        #[arg(long)]
        resend: bool,
        /// The national portal's integration adapter
        /// (`https://…/api/v1/integration`).
        #[arg(long, env = "MOTCUA_UPSTREAM_URL")]
        upstream: String,
        /// This node's back office id there.
        #[arg(long, env = "MOTCUA_UPSTREAM_USER")]
        upstream_user: String,
        /// Its password there.
        #[arg(long, env = "MOTCUA_UPSTREAM_PASSWORD", hide_env_values = true)]
        upstream_password: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(command: SyncCommand) -> anyhow::Result<()> {
    let SyncCommand::Reconcile {
        agency,
        date,
        resend,
        upstream,
        upstream_user,
        upstream_password,
        store,
    } = command;
    let agency = dossier::AgencyCode::parse(agency.trim())
        .with_context(|| format!("--agency: {agency:?} is not an agency's code"))?;
    if !(upstream.starts_with("https://") || upstream.starts_with("http://")) {
        bail!("--upstream: {upstream:?} is not an http(s) address");
    }
    let runtime = crate::runtime::current_thread()?;
    runtime.block_on(async {
        let store = open(&store).await?;
        let report = web::services::backoffice::upstream::reconcile(
            &*store,
            web::services::backoffice::upstream::Upstream::new(
                &upstream,
                &upstream_user,
                &upstream_password,
                "",
            ),
            &agency,
            date,
            resend,
        )
        .await
        .map_err(|e| anyhow::anyhow!("the national portal could not be compared: {e}"))?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        if !report.differences.is_empty() && !resend {
            bail!(
                "{} dossiers differ from the national portal; --resend sends them again",
                report.differences.len()
            );
        }
        Ok(())
    })
}

//! `motcua units convert`

#[derive(clap::Args)]
pub struct ConvertArgs {}

pub fn run(_args: ConvertArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

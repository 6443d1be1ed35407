//! `motcua backoffice receive|messages|resolve`: the national side of the
//! back offices' synchronisation, for an operator, on the store the server
//! uses.
//!
//! * `receive --unit H29 [--step] FILE`: receives a `DongBoHoSoMC` (or,
//!   with `--step`, a `CapNhatTienDoHoSoMC`) in its JSON form from FILE
//!   (`-`: standard input) as if its back office had sent it, and prints
//!   what was done with it: how a packet fixed by hand is replayed;
//! * `messages --quarantined|--waiting [--unit H29] [--limit N]`: the
//!   messages left for an operator, oldest first, as JSON lines, each with
//!   its reason and the message as received;
//! * `resolve ID`: marks one resolved (after it was fixed and replayed, or
//!   judged void);
//! * `export CODE --base-url URL`: a dossier of this node as the packets
//!   it reports (its files and its result by reference under URL);
//! * `connect ID --name N --province P --unit U… (--endpoint URL | --pull)`:
//!   connects a province's back office, printing the password it logs in
//!   to the integration adapter with (shown this once);
//!   `reconfigure` changes one (same options; its password stays),
//!   `password ID` gives it a new password, `disconnect ID` ends it;
//! * `offices`: the back offices connected, as JSON lines; `changes ID`:
//!   one's audit trail.
//!
//! Changes made here are audited as made by the command line and the
//! system user running it.
//!
//! Bad input is an error: a message on standard error naming what is
//! wrong, a non-zero exit; nothing already kept is changed.

use std::io::Read as _;

use anyhow::{Context, bail};
use serde_json::json;
use store::MessageVerdict;
use web::services::backoffice::offices::{self, OfficeError};
use web::services::backoffice::report;
use web::services::backoffice::{ReceiveError, Received, receive_packet, receive_step};

use crate::store_args::{StoreArgs, open};

#[derive(clap::Subcommand, Debug)]
pub enum BackofficeCommand {
    /// Make the key a province's node signs its calls to the national
    /// portal with (motcua's own profile, `motcua serve --upstream-key`):
    /// writes it to FILE, readable by its owner only, and prints its
    /// listing (the public key) for the national portal's exchange
    /// configuration, under `consumers`.
    Key {
        /// The exchange member it is: `VN/GOV/<agency>/<back office id>`,
        /// its subsystem being the back office's id at the national portal.
        #[arg(long)]
        member: String,
        /// What people call it.
        #[arg(long)]
        name: String,
        /// Where the key is written (never over an existing file).
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Receive a packet as if its back office had sent it (how a packet
    /// fixed by hand is replayed).
    Receive {
        /// The unit that sends it (`madonvi`).
        #[arg(long)]
        unit: String,
        /// The packet is a processing step (`CapNhatTienDoHoSoMC`), not a
        /// dossier (`DongBoHoSoMC`).
        #[arg(long)]
        step: bool,
        /// The packet's JSON; `-` reads standard input.
        file: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The messages left for an operator, oldest first, as JSON lines.
    Messages {
        /// The quarantined ones (unlawful by the lifecycle).
        #[arg(long, conflicts_with = "waiting", required_unless_present = "waiting")]
        quarantined: bool,
        /// The ones waiting for their dossier's packet.
        #[arg(long)]
        waiting: bool,
        /// Only those of this unit.
        #[arg(long)]
        unit: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A dossier of this node as the packets it reports to the national
    /// portal: its `DongBoHoSoMC` and its steps' `CapNhatTienDoHoSoMC`, as
    /// JSON (files and the result by reference under BASE_URL).
    Export {
        /// The dossier's code.
        code: String,
        /// The node's public address, under which its files and the
        /// result's verification are fetched.
        #[arg(long)]
        base_url: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Connect a province's back office; prints the password it logs in
    /// with, shown this once.
    Connect {
        #[command(flatten)]
        office: OfficeArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Change a connected back office (its password stays).
    Reconfigure {
        #[command(flatten)]
        office: OfficeArgs,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Give a back office a new password (the old one, and the sessions
    /// opened with it, end); prints it, shown this once.
    Password {
        /// The back office's id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Disconnect a back office (its audit trail stays).
    Disconnect {
        /// The back office's id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The back offices connected, as JSON lines.
    Offices {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A back office's audit trail, oldest first, as JSON lines.
    Changes {
        /// The back office's id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Mark a message resolved.
    Resolve {
        /// The message's id.
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// A back office's configuration.
#[derive(clap::Args, Debug)]
pub struct OfficeArgs {
    /// Its id (3–64 lower-case letters, digits, '-'), which is also the
    /// user name it logs in with.
    id: String,
    /// What people call it.
    #[arg(long)]
    name: String,
    /// The code of its province (two digits).
    #[arg(long)]
    province: String,
    /// A unit it reports for (madonvi); repeat for each.
    #[arg(long = "unit", required = true)]
    units: Vec<String>,
    /// Where dossiers are pushed to it (https).
    #[arg(long, conflicts_with = "pull", required_unless_present = "pull")]
    endpoint: Option<String>,
    /// It pulls dossiers from the feed instead.
    #[arg(long)]
    pull: bool,
    /// A key it signs its calls over motcua's own profile with: the
    /// listing `motcua backoffice key` printed (JSON); repeat for each
    /// (the one in use, one being rotated in). Reconfiguring without
    /// --key removes its keys.
    #[arg(long = "key", value_name = "FILE")]
    keys: Vec<std::path::PathBuf>,
}

impl OfficeArgs {
    fn draft(self) -> anyhow::Result<backoffice::office::Draft> {
        let mut keys = Vec::with_capacity(self.keys.len());
        for path in &self.keys {
            let listed = web::services::exchange::node::DemoMember::load_listing(path)
                .with_context(|| format!("--key {}", path.display()))?;
            let listing = listed.listing().map_err(anyhow::Error::msg)?;
            keys.push(backoffice::OfficeKey {
                member: listing.member.id.to_string(),
                key_id: listing.key_id.clone(),
                public_key: listing.public_key.clone().unwrap_or_default(),
            });
        }
        Ok(backoffice::office::Draft {
            id: self.id,
            name: self.name,
            province: self.province,
            units: self.units,
            endpoint: self.endpoint,
            delivery: if self.pull {
                backoffice::Delivery::Pull
            } else {
                backoffice::Delivery::Push
            },
            keys,
        })
    }
}

/// Who the command line's changes are audited as.
pub(crate) fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    format!("command line ({user})")
}

fn office_json(o: &store::StoredOffice) -> serde_json::Value {
    json!({
        "id": o.office.id,
        "name": o.office.name,
        "province": o.office.province,
        "units": o.office.units,
        "delivery": o.office.delivery.as_str(),
        "endpoint": o.office.endpoint,
        "created_at": o.created_at.to_rfc3339(),
        "updated_at": o.updated_at.to_rfc3339(),
    })
}

async fn configure(command: BackofficeCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    let units = units::Units::get();
    match command {
        BackofficeCommand::Connect { office, store } => {
            let store = open(&store).await?;
            let (stored, password) =
                offices::connect(&*store, units, office.draft()?, &actor(), now)
                    .await
                    .map_err(refused)?;
            let mut answer = office_json(&stored);
            answer["username"] = json!(stored.office.id);
            answer["password"] = json!(password);
            println!("{answer}");
            eprintln!(
                "the password is shown this once: give it to the back office's operator;                  `motcua backoffice password {}` makes a new one",
                stored.office.id
            );
        }
        BackofficeCommand::Reconfigure { office, store } => {
            let store = open(&store).await?;
            let stored = offices::reconfigure(&*store, units, office.draft()?, &actor(), now)
                .await
                .map_err(refused)?;
            println!("{}", office_json(&stored));
        }
        BackofficeCommand::Password { id, store } => {
            let store = open(&store).await?;
            let password = offices::renew_password(&*store, id.trim(), &actor(), now)
                .await
                .map_err(refused)?;
            println!("{}", json!({"username": id.trim(), "password": password}));
        }
        BackofficeCommand::Disconnect { id, store } => {
            let store = open(&store).await?;
            offices::disconnect(&*store, id.trim(), &actor(), now)
                .await
                .map_err(refused)?;
            println!("{}", json!({"disconnected": id.trim()}));
        }
        BackofficeCommand::Offices { store } => {
            let store = open(&store).await?;
            for o in store.sync().offices().await? {
                println!("{}", office_json(&o));
            }
        }
        BackofficeCommand::Changes { id, store } => {
            let store = open(&store).await?;
            let changes = store.sync().office_changes(id.trim()).await?;
            if changes.is_empty() {
                bail!("no back office {} was ever connected here", id.trim());
            }
            for c in changes {
                println!(
                    "{}",
                    json!({
                        "at": c.at.to_rfc3339(),
                        "actor": c.actor,
                        "action": c.action,
                        "detail": c.detail,
                    })
                );
            }
        }
        _ => unreachable!("only configuration commands come here"),
    }
    Ok(())
}

/// A refusal as the command line says it: every problem on its line.
fn refused(e: OfficeError) -> anyhow::Error {
    match e {
        OfficeError::Invalid(problems) => anyhow::anyhow!(
            "the back office's configuration has problems:\n  {}",
            problems
                .iter()
                .map(|p| format!("--{}: {}", flag_of(p.field), p.reason))
                .collect::<Vec<_>>()
                .join("\n  ")
        ),
        other => other.into(),
    }
}

fn flag_of(field: &str) -> &str {
    match field {
        "units" => "unit",
        "id" => "ID (the first argument)",
        other => other,
    }
}

pub fn run(command: BackofficeCommand) -> anyhow::Result<()> {
    let runtime = crate::runtime::current_thread()?;
    if let BackofficeCommand::Key { member, name, out } = &command {
        return key(member, name, out);
    }
    runtime.block_on(async {
        match command {
            BackofficeCommand::Key { .. } => Ok(()),
            command @ (BackofficeCommand::Connect { .. }
            | BackofficeCommand::Reconfigure { .. }
            | BackofficeCommand::Password { .. }
            | BackofficeCommand::Disconnect { .. }
            | BackofficeCommand::Offices { .. }
            | BackofficeCommand::Changes { .. }) => configure(command).await,
            BackofficeCommand::Receive {
                unit,
                step,
                file,
                store,
            } => receive(&unit, step, &file, &store).await,
            BackofficeCommand::Messages {
                quarantined,
                unit,
                limit,
                store,
                ..
            } => messages(quarantined, unit.as_deref(), limit, &store).await,
            BackofficeCommand::Resolve { id, store } => resolve(&id, &store).await,
            BackofficeCommand::Export {
                code,
                base_url,
                store,
            } => export(&code, &base_url, &store).await,
        }
    })
}

fn key(member: &str, name: &str, out: &std::path::Path) -> anyhow::Result<()> {
    let id: exchange::MemberId = member.trim().parse().map_err(|e| {
        anyhow::anyhow!(
            "--member {member:?}: {e}; give VN/GOV/<agency>/<back office id>, for example \
             VN/GOV/000.00.00.H56/tuyen-quang-igate"
        )
    })?;
    if id.subsystem().is_none_or(str::is_empty) {
        bail!(
            "--member {member:?}: name the back office as its subsystem \
             (VN/GOV/<agency>/<back office id>): the national portal finds the back office by it"
        );
    }
    if name.trim().is_empty() {
        bail!("--name: say what people call the back office");
    }
    if out.exists() {
        bail!(
            "--out {}: a file is there already; a key is never written over another (move it, \
             or choose another name)",
            out.display()
        );
    }
    let key_id = format!(
        "{}-{}",
        id.subsystem().unwrap_or_default(),
        chrono::Utc::now().format("%Y%m%dT%H%MZ")
    );
    let made = web::services::exchange::node::DemoMember::generate(
        exchange::Member {
            id,
            name: name.trim().to_string(),
            kind: exchange::MemberKind::Province,
        },
        &key_id,
    )?;
    made.save(out)?;
    let listing = made.listing().map_err(anyhow::Error::msg)?;
    println!("{}", serde_json::to_string_pretty(&listing)?);
    Ok(())
}

async fn receive(unit: &str, step: bool, file: &str, args: &StoreArgs) -> anyhow::Result<()> {
    let unit = unit.trim();
    if unit.is_empty() {
        bail!("--unit: the sending unit's code (madonvi) is empty");
    }
    let text = if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the packet from standard input")?;
        text
    } else {
        std::fs::read_to_string(file).with_context(|| format!("reading the packet {file}"))?
    };
    let kind = if step {
        "CapNhatTienDoHoSoMC"
    } else {
        "DongBoHoSoMC"
    };
    let store = open(args).await?;
    let now = chrono::Utc::now();
    let received = if step {
        let packet =
            serde_json::from_str(&text).with_context(|| format!("{file} is not a {kind}"))?;
        receive_step(&*store, unit, &packet, now).await
    } else {
        let packet =
            serde_json::from_str(&text).with_context(|| format!("{file} is not a {kind}"))?;
        receive_packet(&*store, unit, &packet, now).await
    };
    let answer = match received {
        Ok(Received::Applied { version, acts }) => json!({
            "verdict": "applied", "version": version,
            "acts": acts.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>(),
        }),
        Ok(Received::Duplicate) => json!({"verdict": "duplicate"}),
        Ok(Received::Stale) => json!({"verdict": "stale"}),
        Ok(Received::Waiting) => json!({"verdict": "waiting"}),
        Ok(Received::Quarantined {
            reason_vi,
            reason_en,
        }) => {
            json!({"verdict": "quarantined", "reason_vi": reason_vi, "reason_en": reason_en})
        }
        Err(ReceiveError::Invalid(problems)) => {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.reason))
                .collect();
            bail!("the {kind} cannot be read:\n  {}", list.join("\n  "))
        }
        Err(e) => return Err(e.into()),
    };
    println!("{answer}");
    Ok(())
}

async fn messages(
    quarantined: bool,
    unit: Option<&str>,
    limit: usize,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    let verdict = if quarantined {
        MessageVerdict::Quarantined
    } else {
        MessageVerdict::Waiting
    };
    let store = open(args).await?;
    for m in store.sync().open_messages(verdict, unit, limit).await? {
        println!(
            "{}",
            json!({
                "id": m.id.to_string(),
                "code": m.code,
                "unit": m.unit,
                "received_at": m.received_at.to_rfc3339(),
                "verdict": m.verdict.as_str(),
                "reason": m.reason,
                "message": m.body,
            })
        );
    }
    Ok(())
}

async fn resolve(id: &str, args: &StoreArgs) -> anyhow::Result<()> {
    let id = uuid::Uuid::parse_str(id.trim()).with_context(|| {
        format!("{id:?} is not a message's id (a UUID, as `messages` prints it)")
    })?;
    let store = open(args).await?;
    if !store.sync().resolve_message(id, chrono::Utc::now()).await? {
        bail!("no unresolved message has the id {id}");
    }
    println!("{}", json!({"resolved": id.to_string()}));
    Ok(())
}

async fn export(code: &str, base_url: &str, args: &StoreArgs) -> anyhow::Result<()> {
    let parsed = dossier::DossierCode::parse(code.trim())
        .with_context(|| format!("{code:?} is not a dossier's code"))?;
    let base = base_url.trim().trim_end_matches('/');
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        bail!("--base-url: {base_url:?} is not an http(s) address");
    }
    let store = open(args).await?;
    let Some(stored) = store.dossiers().dossier(&parsed).await? else {
        bail!("there is no dossier {parsed} in this store");
    };
    let (packet, steps) = report::packets(&*store, &stored.dossier, base).await?;
    let steps: Vec<_> = steps
        .into_iter()
        .map(|(n, step)| json!({"step": n, "CapNhatTienDoHoSoMC": step}))
        .collect();
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "DongBoHoSoMC": packet,
            "steps": steps,
        }))?
    );
    Ok(())
}

//! `motcua account add-citizen|show`: eID accounts, on the store the
//! server uses.
//!
//! `add-citizen` opens an account for a person of the population registry:
//! their birth date and sex come from the registry and must agree with the
//! personal identification number; the level is granted only when Decree
//! 69/2024's rules allow it on the day. The password is read from standard
//! input (never from the command line, where other users of the machine
//! could see it). With `--totp`, a second factor is enrolled and its
//! `otpauth://` URI printed once.

use std::io::BufRead as _;

use anyhow::{Context, bail};
use identity::eligibility::Requester;
use identity::password::{Params, PasswordHash};
use identity::{AssuranceLevel, Citizen, Holder, LoginId, SubjectId, Totp, TotpSecret};

use crate::oidc_cli::{StoreArgs, open};

#[derive(clap::Subcommand, Debug)]
pub enum AccountCommand {
    /// Open an account for a citizen of the population registry; the
    /// password is read from standard input (one line).
    AddCitizen {
        /// The personal identification number (12 digits).
        #[arg(long)]
        pin: String,
        /// The assurance level: 1, or 2 (identity checked against the
        /// registry; needs --totp).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
        level: u8,
        /// Enrol a one-time-code (TOTP) factor and print its URI.
        #[arg(long)]
        totp: bool,
        /// Applied for by a parent or other legal representative (a
        /// child under 6 gets a level-1 account only this way).
        #[arg(long)]
        by_representative: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show an account (never its secrets) and its audit trail as JSON.
    Show {
        /// The identifier the holder logs in with.
        #[arg(long)]
        login: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(command: AccountCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        match command {
            AccountCommand::AddCitizen {
                pin,
                level,
                totp,
                by_representative,
                store,
            } => add_citizen(&pin, level, totp, by_representative, &store).await,
            AccountCommand::Show { login, store } => show(&login, &store).await,
        }
    })
}

fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

async fn add_citizen(
    pin: &str,
    level: u8,
    with_totp: bool,
    by_representative: bool,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    let pin = domain::PersonalId::parse(pin.trim())
        .with_context(|| format!("{pin:?} is not a personal identification number"))?;
    let level = if level == 2 {
        AssuranceLevel::Level2
    } else {
        AssuranceLevel::Level1
    };
    if level == AssuranceLevel::Level2 && !with_totp {
        bail!("a level-2 account needs a second factor: add --totp");
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let store = open(args).await?;
    let person = store
        .registry()
        .person(&pin)
        .await?
        .with_context(|| format!("{pin} is not in the population registry: an account is opened only for a recorded person"))?;
    if matches!(person.vital_status.value, registry::VitalStatus::Dead(_)) {
        bail!("{pin} is recorded as deceased: no account is opened");
    }
    let subject = SubjectId::new(uuid::Uuid::new_v4())?;
    let citizen = Citizen::new(subject, pin, person.birth_date.value, person.sex.value)?;
    let by = if by_representative {
        Requester::LegalRepresentative
    } else {
        Requester::Applicant
    };
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).context("UTC+7")?)
        .date_naive();
    identity::eligibility::citizen(&citizen, level, by, today)?;
    let salt = random::<16>()?;
    let hash =
        tokio::task::spawn_blocking(move || PasswordHash::new(&password, &salt, Params::DEFAULT))
            .await
            .context("hashing the password")??;
    let totp = if with_totp {
        Some(Totp::new(TotpSecret::new(random::<20>()?.to_vec())?))
    } else {
        None
    };
    let account = store::Account {
        holder: Holder::Citizen(citizen),
        name: person.full_name.value.clone(),
        level: Some(level),
        password: Some(hash.to_phc()),
        totp: totp.clone(),
        totp_step: None,
        failures: 0,
        locked_until: None,
        created_at: chrono::Utc::now(),
    };
    if !store.accounts().create_account(&account).await? {
        bail!("{pin} already has an account");
    }
    store
        .accounts()
        .audit(
            subject,
            &store::AuditEntry {
                at: account.created_at,
                event: "account_opened".into(),
                client: None,
                detail: format!(
                    "level {level}{}",
                    if totp.is_some() {
                        ", one-time-code factor enrolled"
                    } else {
                        ""
                    }
                ),
            },
        )
        .await?;
    let mut out = serde_json::json!({
        "subject": subject.to_string(),
        "login": pin.to_string(),
        "name": account.name,
        "level": level.acr(),
    });
    if let Some(t) = &totp {
        out["totp_uri"] = t.provisioning_uri("motcua eID", &pin.to_string()).into();
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

async fn show(login: &str, args: &StoreArgs) -> anyhow::Result<()> {
    let key = LoginId::parse(login)?.key();
    let store = open(args).await?;
    let account = store
        .accounts()
        .account_by_login(&key)
        .await?
        .with_context(|| format!("no account logs in as {login:?}"))?;
    let subject = account.holder.subject();
    let trail = store.accounts().audit_trail(subject, 50).await?;
    let out = serde_json::json!({
        "subject": subject.to_string(),
        "kind": account.holder.kind().as_str(),
        "name": account.name,
        "level": account.level.map(|l| l.acr()),
        "second_factor": account.totp.is_some(),
        "failures": account.failures,
        "locked_until": account.locked_until,
        "created_at": account.created_at,
        "audit": trail.iter().map(|e| serde_json::json!({
            "at": e.at, "event": e.event, "client": e.client, "detail": e.detail,
        })).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

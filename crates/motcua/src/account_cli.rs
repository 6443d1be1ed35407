//! `motcua account add-citizen|add-organisation|import-legacy|authorise|show`:
//! eID accounts, on the store the server uses.
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
    /// Open an organisation's account: its tax code, name, legal
    /// representatives and head (people with accounts, by their personal
    /// identification numbers).
    AddOrganisation {
        /// The enterprise / tax code (10 or 13 digits).
        #[arg(long)]
        tax_code: String,
        /// Its registered name.
        #[arg(long)]
        name: String,
        /// A legal representative's personal identification number
        /// (repeat for several).
        #[arg(long = "representative", required = true)]
        representatives: Vec<String>,
        /// Its head's personal identification number.
        #[arg(long)]
        head: Option<String>,
        /// A foreign-owned enterprise.
        #[arg(long)]
        foreign_owned: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import an old portal's organisation account: its username stands
    /// for the organisation (same subject) until the cut-over. Standard
    /// input holds its password, or its argon2id PHC hash.
    ImportLegacy {
        /// The username on the old portal.
        #[arg(long)]
        username: String,
        /// The organisation's tax code (its account must exist).
        #[arg(long)]
        tax_code: String,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// An organisation authorises a person to act for it; each `--by`
    /// legal representative consents (it takes effect once all have).
    Authorise {
        /// The organisation's tax code.
        #[arg(long)]
        tax_code: String,
        /// The person authorised (personal identification number).
        #[arg(long)]
        person: String,
        /// A consenting legal representative (repeat).
        #[arg(long = "by")]
        by: Vec<String>,
        /// A service covered (repeat; none: every service).
        #[arg(long = "service")]
        services: Vec<String>,
        /// How many days it lasts from now.
        #[arg(long, default_value_t = 365)]
        days: u32,
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
            AccountCommand::AddOrganisation {
                tax_code,
                name,
                representatives,
                head,
                foreign_owned,
                store,
            } => {
                add_organisation(
                    &tax_code,
                    &name,
                    &representatives,
                    head.as_deref(),
                    foreign_owned,
                    &store,
                )
                .await
            }
            AccountCommand::ImportLegacy {
                username,
                tax_code,
                store,
            } => import_legacy(&username, &tax_code, &store).await,
            AccountCommand::Authorise {
                tax_code,
                person,
                by,
                services,
                days,
                store,
            } => authorise(&tax_code, &person, &by, &services, days, &store).await,
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

/// The account of a person with this personal identification number.
async fn person_account(store: &dyn store::Store, pin: &str) -> anyhow::Result<store::Account> {
    let key = LoginId::parse(pin)
        .with_context(|| format!("{pin:?} is not a personal identification number"))?
        .key();
    store
        .accounts()
        .account_by_login(&key)
        .await?
        .with_context(|| format!("{pin} has no eID account: open it first with add-citizen"))
}

/// The account of the organisation with this tax code.
async fn organisation_account(
    store: &dyn store::Store,
    tax_code: &str,
) -> anyhow::Result<(store::Account, identity::Organisation)> {
    let key = LoginId::TaxCode(identity::TaxCode::parse(tax_code)?).key();
    let account = store
        .accounts()
        .account_by_login(&key)
        .await?
        .with_context(|| format!("no organisation account has the tax code {tax_code}"))?;
    match &account.holder {
        Holder::Organisation(o) => {
            let o = o.clone();
            Ok((account, o))
        }
        _ => bail!("{tax_code} is not an organisation's account"),
    }
}

async fn add_organisation(
    tax_code: &str,
    name: &str,
    representatives: &[String],
    head: Option<&str>,
    foreign_owned: bool,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    let tax = identity::TaxCode::parse(tax_code)?;
    if name.trim().is_empty() {
        bail!("--name is empty: give the organisation's registered name");
    }
    let store = open(args).await?;
    let mut reps = std::collections::BTreeSet::new();
    for pin in representatives {
        reps.insert(person_account(store.as_ref(), pin).await?.holder.subject());
    }
    let head = match head {
        Some(pin) => Some(person_account(store.as_ref(), pin).await?.holder.subject()),
        None => None,
    };
    let subject = SubjectId::new(uuid::Uuid::new_v4())?;
    let org = identity::Organisation::new(subject, tax, foreign_owned, reps, head, true)?;
    let account = store::Account {
        holder: Holder::Organisation(org),
        name: name.trim().to_string(),
        level: None,
        password: None,
        totp: None,
        totp_step: None,
        failures: 0,
        locked_until: None,
        created_at: chrono::Utc::now(),
    };
    if !store.accounts().create_account(&account).await? {
        bail!("the tax code {tax_code} already has an account");
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "subject": subject.to_string(),
            "tax_code": tax_code,
            "name": account.name,
        }))?
    );
    Ok(())
}

async fn import_legacy(username: &str, tax_code: &str, args: &StoreArgs) -> anyhow::Result<()> {
    if username.trim().is_empty() {
        bail!("--username is empty");
    }
    let mut secret = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut secret)
        .context("cannot read the password from standard input")?;
    let secret = secret.trim_end_matches(['\r', '\n']).to_string();
    let phc = if secret.starts_with("$argon2id$") {
        PasswordHash::from_phc(&secret).map_err(|e| {
            anyhow::anyhow!("the argon2id hash on standard input cannot be read: {e}")
        })?;
        secret
    } else {
        let salt = random::<16>()?;
        tokio::task::spawn_blocking(move || PasswordHash::new(&secret, &salt, Params::DEFAULT))
            .await
            .context("hashing the password")??
            .to_phc()
    };
    let store = open(args).await?;
    let (account, _) = organisation_account(store.as_ref(), tax_code).await?;
    let login = store::LegacyLogin {
        login_key: identity::login::legacy_key(username),
        organisation: account.holder.subject(),
        password: phc,
    };
    if !store.organisations().put_legacy(&login).await? {
        bail!("the username {username:?} was imported already");
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "username": username.trim(),
            "organisation": account.holder.subject().to_string(),
        }))?
    );
    Ok(())
}

async fn authorise(
    tax_code: &str,
    person: &str,
    by: &[String],
    services: &[String],
    days: u32,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    let store = open(args).await?;
    let (_, org) = organisation_account(store.as_ref(), tax_code).await?;
    let grantee = person_account(store.as_ref(), person)
        .await?
        .holder
        .subject();
    let scope = if services.is_empty() {
        identity::Scope::AllServices
    } else {
        identity::Scope::services(
            services
                .iter()
                .map(|s| identity::ServiceCode::parse(s))
                .collect::<Result<Vec<_>, _>>()?,
        )?
    };
    let vietnam = chrono::FixedOffset::east_opt(7 * 3600).context("UTC+7")?;
    let now = chrono::Utc::now().with_timezone(&vietnam);
    let mut authorisation = identity::Authorisation::new(
        uuid::Uuid::new_v4(),
        &org,
        grantee,
        scope,
        now,
        now + chrono::Duration::days(i64::from(days.max(1))),
    )?;
    for pin in by {
        let rep = person_account(store.as_ref(), pin).await?.holder.subject();
        authorisation.consent(&org, rep, now)?;
    }
    store
        .organisations()
        .put_authorisation(&authorisation)
        .await?;
    let missing = authorisation.missing_consents(&org, now);
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "authorisation": authorisation.id().to_string(),
            "in_force": missing.is_empty(),
            "missing_consents": missing.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }))?
    );
    Ok(())
}

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

use crate::store_args::{StoreArgs, open};

#[derive(clap::Subcommand, Debug)]
pub enum AccountCommand {
    /// Make a person an officer or a leader of an agency (the officer
    /// workbench shows them its dossiers), or take them off it.
    Staff {
        /// Who: the personal identification number, or
        /// `NATIONALITY:PASSPORT`.
        #[arg(long)]
        login: String,
        /// The agency's code, e.g. `UBND.25747` (a commune's People's
        /// Committee), `TUPHAP.79`, `TTPVHCC.79` (a service centre).
        #[arg(long)]
        agency: String,
        /// `officer`, `leader`, or `none` to take them off.
        #[arg(long, value_parser = ["officer", "leader", "none"])]
        role: String,
        #[command(flatten)]
        store: StoreArgs,
    },
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
    /// Open an account for a foreigner as the immigration record holds
    /// them (the password on standard input); the identifier to log in
    /// with is `NATIONALITY:PASSPORT`.
    AddForeigner {
        /// The passport number.
        #[arg(long)]
        passport: String,
        /// The nationality (ISO 3166-1, two or three letters).
        #[arg(long)]
        nationality: String,
        /// The name as in the passport.
        #[arg(long)]
        name: String,
        /// The birth date (YYYY-MM-DD, or YYYY).
        #[arg(long)]
        birth: String,
        /// `male` or `female`.
        #[arg(long)]
        sex: String,
        /// The residence card's number (needed for any level).
        #[arg(long)]
        residence_card: Option<String>,
        /// A permanent residence card (default: temporary).
        #[arg(long)]
        permanent: bool,
        /// The card's last valid day (YYYY-MM-DD).
        #[arg(long)]
        card_valid_until: Option<chrono::NaiveDate>,
        /// The level: 1, or 2 (needs --totp).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
        level: u8,
        /// Enrol a one-time-code factor and print its URI.
        #[arg(long)]
        totp: bool,
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
    /// Apply for a citizen's account (the password on standard input): the
    /// application gets its legal deadline in working days and waits for
    /// an officer's review.
    Apply {
        /// The personal identification number (12 digits).
        #[arg(long)]
        pin: String,
        /// The level applied for.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=2))]
        level: u8,
        /// Applied for by a parent or other legal representative.
        #[arg(long)]
        by_representative: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The open applications (or those of one status), nearest deadline
    /// first, as JSON.
    Applications {
        /// `submitted`, `verifying`, `supplement requested`, `approved`,
        /// `refused` or `withdrawn` (default: every open one).
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// An officer reviews an application: start verifying, ask for a
    /// supplement, take it, approve (level 2: after matching the registry,
    /// recording who verified, where and when) or refuse.
    Review {
        /// The application's id.
        #[arg(long)]
        application: uuid::Uuid,
        /// What to do.
        #[arg(long, value_enum)]
        action: ReviewAction,
        /// The officer's personal identification number (approve).
        #[arg(long)]
        officer: Option<String>,
        /// Where the verification took place (approve).
        #[arg(long)]
        place: Option<String>,
        /// The reason (refuse) or what is asked for (supplement).
        #[arg(long)]
        text: Option<String>,
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

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReviewAction {
    Start,
    Supplement,
    Resubmit,
    Approve,
    Refuse,
}

pub fn run(command: AccountCommand) -> anyhow::Result<()> {
    let runtime = crate::runtime::current_thread()?;
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
            AccountCommand::Staff {
                login,
                agency,
                role,
                store,
            } => staff(&login, &agency, &role, &store).await,
            AccountCommand::AddForeigner {
                passport,
                nationality,
                name,
                birth,
                sex,
                residence_card,
                permanent,
                card_valid_until,
                level,
                totp,
                store,
            } => {
                let card = residence_card
                    .map(|n| -> anyhow::Result<identity::ResidenceCard> {
                        Ok(identity::ResidenceCard {
                            number: identity::ResidenceCardNumber::parse(&n)?,
                            kind: if permanent {
                                identity::ResidenceCardKind::Permanent
                            } else {
                                identity::ResidenceCardKind::Temporary
                            },
                            valid_until: card_valid_until,
                        })
                    })
                    .transpose()?;
                add_foreigner(
                    ForeignerArgs {
                        passport,
                        nationality,
                        name,
                        birth,
                        sex,
                        card,
                        level,
                        totp,
                    },
                    &store,
                )
                .await
            }
            AccountCommand::Apply {
                pin,
                level,
                by_representative,
                store,
            } => apply(&pin, level, by_representative, &store).await,
            AccountCommand::Applications { status, store } => {
                applications(status.as_deref(), &store).await
            }
            AccountCommand::Review {
                application,
                action,
                officer,
                place,
                text,
                store,
            } => {
                review(
                    application,
                    action,
                    officer.as_deref(),
                    place.as_deref(),
                    text.as_deref(),
                    &store,
                )
                .await
            }
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
    let level = level_of(level);
    if level == AssuranceLevel::Level2 && !with_totp {
        bail!("a level-2 account needs a second factor: add --totp");
    }
    let password = read_secret("the password")?;
    let store = open(args).await?;
    let subject = SubjectId::new(uuid::Uuid::new_v4())?;
    let (citizen, name) = registry_citizen(store.as_ref(), pin, subject).await?;
    let pin = citizen.pin();
    let by = if by_representative {
        Requester::LegalRepresentative
    } else {
        Requester::Applicant
    };
    identity::eligibility::citizen(&citizen, level, by, vietnam_now()?.date_naive())?;
    let totp = new_totp(with_totp)?;
    let detail = format!(
        "level {level}{}",
        if totp.is_some() {
            ", one-time-code factor enrolled"
        } else {
            ""
        }
    );
    let account = open_account(
        store.as_ref(),
        Opening {
            holder: Holder::Citizen(citizen),
            name,
            level: Some(level),
            password: Some(hash_password(password).await?.to_phc()),
            totp: totp.clone(),
            detail,
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

async fn staff(login: &str, agency: &str, role: &str, args: &StoreArgs) -> anyhow::Result<()> {
    let agency = dossier::AgencyCode::parse(agency)?;
    let store = open(args).await?;
    let account = account_of_login(store.as_ref(), login).await?;
    if matches!(account.holder, Holder::Organisation(_)) {
        bail!("{login} is an organisation: officers are people");
    }
    let role = match role {
        "leader" => Some(dossier::Role::Leader),
        "officer" => Some(dossier::Role::Officer),
        _ => None,
    };
    let subject = account.holder.subject().to_string();
    store
        .dossiers()
        .set_staff(&subject, &agency, role, chrono::Utc::now())
        .await?;
    let roles = store.dossiers().staff_roles(&subject).await?;
    let out = serde_json::json!({
        "subject": subject,
        "name": account.name,
        "agencies": roles.iter().map(|(a, r)| serde_json::json!({
            "agency": a.to_string(),
            "role": if *r == dossier::Role::Leader { "leader" } else { "officer" },
        })).collect::<Vec<_>>(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// The account that logs in as `login`.
async fn account_of_login(store: &dyn store::Store, login: &str) -> anyhow::Result<store::Account> {
    let key = LoginId::parse(login)?.key();
    store
        .accounts()
        .account_by_login(&key)
        .await?
        .with_context(|| format!("no account logs in as {login:?}"))
}

async fn show(login: &str, args: &StoreArgs) -> anyhow::Result<()> {
    let store = open(args).await?;
    let account = account_of_login(store.as_ref(), login).await?;
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
    let account = open_account(
        store.as_ref(),
        Opening {
            holder: Holder::Organisation(org),
            name: name.trim().to_string(),
            level: None,
            password: None,
            totp: None,
            detail: "organisation".into(),
        },
    )
    .await?;
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
    let secret = read_secret("the password")?;
    let phc = if secret.starts_with("$argon2id$") {
        PasswordHash::from_phc(&secret).map_err(|e| {
            anyhow::anyhow!("the argon2id hash on standard input cannot be read: {e}")
        })?;
        secret
    } else {
        hash_password(secret).await?.to_phc()
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
    let vietnam = domain::VIETNAM;
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

fn vietnam_now() -> anyhow::Result<chrono::DateTime<chrono::FixedOffset>> {
    let vietnam = domain::VIETNAM;
    Ok(chrono::Utc::now().with_timezone(&vietnam))
}

/// The citizen `pin` as the population registry holds them, and their name.
async fn registry_citizen(
    store: &dyn store::Store,
    pin: &str,
    subject: SubjectId,
) -> anyhow::Result<(Citizen, String)> {
    let pin = domain::PersonalId::parse(pin.trim())
        .with_context(|| format!("{pin:?} is not a personal identification number"))?;
    let person = store.registry().person(&pin).await?.with_context(|| {
        format!("{pin} is not in the population registry: an account is opened only for a recorded person")
    })?;
    if matches!(person.vital_status.value, registry::VitalStatus::Dead(_)) {
        bail!("{pin} is recorded as deceased: no account is opened");
    }
    let citizen = Citizen::new(subject, pin, person.birth_date.value, person.sex.value)?;
    Ok((citizen, person.full_name.value))
}

async fn apply(
    pin: &str,
    level: u8,
    by_representative: bool,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    let level = level_of(level);
    let password = read_secret("the password")?;
    let store = open(args).await?;
    let subject = SubjectId::new(uuid::Uuid::new_v4())?;
    let (citizen, name) = registry_citizen(store.as_ref(), pin, subject).await?;
    let key = Holder::Citizen(citizen.clone()).login_id().key();
    if store.accounts().account_by_login(&key).await?.is_some() {
        bail!("{pin} already has an account");
    }
    let now = vietnam_now()?;
    let by = if by_representative {
        Requester::LegalRepresentative
    } else {
        Requester::Applicant
    };
    identity::eligibility::citizen(&citizen, level, by, now.date_naive())?;
    let hash = hash_password(password).await?;
    let application =
        identity::Application::submit(identity::ApplicationKind::Citizen { level }, now);
    let calendar = calendar::WorkingCalendar::official()?;
    let days = calendar::WorkingDays::new(i64::from(application.kind().issue_working_days()))?;
    let due = calendar.due(now, days, calendar::Cutoff::office_close(), &[])?;
    let stored = store::StoredApplication {
        id: uuid::Uuid::new_v4(),
        holder: Holder::Citizen(citizen),
        name,
        password: hash.to_phc(),
        application,
        due,
    };
    store.accounts().put_application(&stored).await?;
    println!(
        "{}",
        serde_json::to_string_pretty(&application_json(&stored, now))?
    );
    Ok(())
}

fn application_json(
    a: &store::StoredApplication,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> serde_json::Value {
    let due = a.due;
    let late = match a.application.history().last() {
        Some((decided, _)) if a.application.status().is_final() => *decided > due,
        _ => now > due,
    };
    serde_json::json!({
        "application": a.id.to_string(),
        "login": a.holder.login_id().key(),
        "name": a.name,
        "level": a.application.kind().level().map(|l| l.acr()),
        "status": a.application.status().name(),
        "submitted_at": a.application.submitted_at().to_rfc3339(),
        "due": due.to_rfc3339(),
        "late": late,
        "history": a.application.history().iter().map(|(at, s)| serde_json::json!({
            "at": at.to_rfc3339(), "status": s.name(),
        })).collect::<Vec<_>>(),
        "evidence": a.application.evidence(),
    })
}

async fn applications(status: Option<&str>, args: &StoreArgs) -> anyhow::Result<()> {
    let store = open(args).await?;
    let list = store.accounts().applications(status, 1000).await?;
    let now = vietnam_now()?;
    let out: Vec<serde_json::Value> = list.iter().map(|a| application_json(a, now)).collect();
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

async fn review(
    id: uuid::Uuid,
    action: ReviewAction,
    officer: Option<&str>,
    place: Option<&str>,
    text: Option<&str>,
    args: &StoreArgs,
) -> anyhow::Result<()> {
    use identity::application::{
        ApplicationEvent, Level2Evidence, RecordMatch, RecordSource, Text, Verification,
    };
    let store = open(args).await?;
    let mut stored = store
        .accounts()
        .application(id)
        .await?
        .with_context(|| format!("no application {id}"))?;
    let now = vietnam_now()?;
    let text_of = |what: &str| -> anyhow::Result<Text> {
        let t = text.with_context(|| format!("--text is needed: {what}"))?;
        Ok(Text::new(t)?)
    };
    let event = match action {
        ReviewAction::Start => ApplicationEvent::StartVerification,
        ReviewAction::Resubmit => ApplicationEvent::Resubmit,
        ReviewAction::Supplement => ApplicationEvent::RequestSupplement {
            what: text_of("what the applicant must supply")?,
        },
        ReviewAction::Refuse => ApplicationEvent::Refuse {
            reason: text_of("the reason for refusing")?,
        },
        ReviewAction::Approve => {
            let evidence = match stored.application.kind().level() {
                Some(AssuranceLevel::Level2) => {
                    let officer = officer.context("--officer is needed: who verified")?;
                    let verifier = person_account(store.as_ref(), officer)
                        .await?
                        .holder
                        .subject();
                    let place = Text::new(place.context("--place is needed: where")?)?;
                    // the applicant's identity data, matched against the
                    // registry again now
                    let Holder::Citizen(c) = &stored.holder else {
                        bail!("only citizens' applications are reviewed here");
                    };
                    let (fresh, _) =
                        registry_citizen(store.as_ref(), &c.pin().to_string(), c.subject()).await?;
                    if fresh != *c {
                        bail!(
                            "the applicant's data no longer matches the population registry: \
                             refuse or ask for a supplement"
                        );
                    }
                    Some(Level2Evidence {
                        matched: RecordMatch {
                            source: RecordSource::PopulationRegistry,
                            reference: Text::new(&format!(
                                "registry record {} at {}",
                                c.pin(),
                                now.to_rfc3339()
                            ))?,
                            at: now,
                        },
                        verified: Verification {
                            verifier,
                            place,
                            at: now,
                        },
                    })
                }
                _ => None,
            };
            ApplicationEvent::Approve { evidence }
        }
    };
    stored.application.apply(event, now)?;
    let mut out = application_json(&stored, now);
    if action == ReviewAction::Approve {
        let level = stored.application.kind().level();
        let totp = new_totp(level == Some(AssuranceLevel::Level2))?;
        let detail = match stored.application.evidence() {
            Some(e) => format!(
                "issued on application {id}; verified at {} by {}",
                e.verified.place.as_str(),
                e.verified.verifier
            ),
            None => format!("issued on application {id}"),
        };
        open_account(
            store.as_ref(),
            Opening {
                holder: stored.holder.clone(),
                name: stored.name.clone(),
                level,
                password: Some(stored.password.clone()),
                totp: totp.clone(),
                detail,
            },
        )
        .await
        .context("refuse this application")?;
        if let (Some(t), Holder::Citizen(c)) = (&totp, &stored.holder) {
            out["totp_uri"] = t
                .provisioning_uri("motcua eID", &c.pin().to_string())
                .into();
        }
    }
    store.accounts().put_application(&stored).await?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

struct ForeignerArgs {
    passport: String,
    nationality: String,
    name: String,
    birth: String,
    sex: String,
    card: Option<identity::ResidenceCard>,
    level: u8,
    totp: bool,
}

async fn add_foreigner(a: ForeignerArgs, args: &StoreArgs) -> anyhow::Result<()> {
    let level = level_of(a.level);
    if level == AssuranceLevel::Level2 && !a.totp {
        bail!("a level-2 account needs a second factor: add --totp");
    }
    if a.name.trim().is_empty() {
        bail!("--name is empty: give the name as in the passport");
    }
    let sex = match a.sex.trim().to_ascii_lowercase().as_str() {
        "male" | "m" | "nam" => domain::Sex::Male,
        "female" | "f" | "nu" | "nữ" => domain::Sex::Female,
        other => bail!("--sex {other:?}: write male or female"),
    };
    let birth = registry::PartialDate::parse(&a.birth)
        .with_context(|| format!("--birth {:?}: write YYYY-MM-DD or YYYY", a.birth))?;
    let subject = SubjectId::new(uuid::Uuid::new_v4())?;
    let foreigner = identity::Foreigner::new(
        subject,
        identity::PassportNumber::parse(&a.passport)?,
        identity::Country::parse(&a.nationality)?,
        birth,
        sex,
        a.card,
        false,
    )?;
    let today = vietnam_now()?.date_naive();
    identity::eligibility::foreigner(&foreigner, level, Requester::Applicant, today)?;
    let password = read_secret("the password")?;
    let totp = new_totp(a.totp)?;
    let holder = Holder::Foreigner(foreigner);
    let login = holder.login_id().to_string();
    let store = open(args).await?;
    let account = open_account(
        store.as_ref(),
        Opening {
            holder,
            name: a.name.trim().to_string(),
            level: Some(level),
            password: Some(hash_password(password).await?.to_phc()),
            totp: totp.clone(),
            detail: format!("level {level}, foreigner"),
        },
    )
    .await?;
    let mut out = serde_json::json!({
        "subject": subject.to_string(),
        "login": login,
        "name": account.name,
        "level": level.acr(),
    });
    if let Some(t) = &totp {
        out["totp_uri"] = t.provisioning_uri("motcua eID", &login).into();
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// What opening an account takes.
struct Opening {
    holder: Holder,
    name: String,
    level: Option<AssuranceLevel>,
    password: Option<String>,
    totp: Option<Totp>,
    /// How it was opened, for the holder's audit trail.
    detail: String,
}

/// Stores a new account and the first line of its audit trail.
async fn open_account(store: &dyn store::Store, o: Opening) -> anyhow::Result<store::Account> {
    let login = o.holder.login_id().to_string();
    let account = store::Account {
        holder: o.holder,
        name: o.name,
        level: o.level,
        password: o.password,
        totp: o.totp,
        totp_step: None,
        failures: 0,
        locked_until: None,
        created_at: chrono::Utc::now(),
    };
    if !store.accounts().create_account(&account).await? {
        bail!("{login} already has an account");
    }
    store
        .accounts()
        .audit(
            account.holder.subject(),
            &store::AuditEntry {
                at: account.created_at,
                event: "account_opened".into(),
                client: None,
                detail: o.detail,
            },
        )
        .await?;
    Ok(account)
}

/// A new one-time-code factor, when asked for.
fn new_totp(wanted: bool) -> anyhow::Result<Option<Totp>> {
    Ok(if wanted {
        Some(Totp::new(TotpSecret::new(random::<20>()?.to_vec())?))
    } else {
        None
    })
}

/// The level a `--level` number names.
fn level_of(level: u8) -> AssuranceLevel {
    if level == 2 {
        AssuranceLevel::Level2
    } else {
        AssuranceLevel::Level1
    }
}

/// One line of standard input (never the command line, where other users
/// of the machine could see it), without its line ending.
fn read_secret(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .with_context(|| format!("cannot read {what} from standard input"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The argon2id hash of a new password (off the async threads).
async fn hash_password(password: String) -> anyhow::Result<PasswordHash> {
    let salt = random::<16>()?;
    Ok(
        tokio::task::spawn_blocking(move || PasswordHash::new(&password, &salt, Params::DEFAULT))
            .await
            .context("hashing the password")??,
    )
}

//! `motcua serve --demo`: a small generated population in an empty
//! registry, and three eID accounts to try the portal with — a citizen, an
//! officer and a leader of the citizen's commune's People's Committee —
//! whose log-ins (random passwords) are written to
//! `DATA_DIR/demo-accounts.txt`, readable by its owner only. Never for a
//! real deployment: the accounts are real accounts.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use registry::generate::{Generator, SyntheticPerson, VitalStatus};

/// How many people the demonstration population has.
pub const DEMO_PEOPLE: u64 = 3_000;
const SEED: u64 = 2025;

fn password() -> anyhow::Result<String> {
    // 32 letters and digits, none mistaken for another: each byte picks
    // one with no bias
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789Q";
    let mut bytes = [0u8; 14];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % 32] as char)
        .collect())
}

/// Opens a level-1 eID account for a generated person with the password
/// whose argon2id PHC string is `password_phc`; its subject.
pub(crate) async fn open_account(
    store: &dyn store::Store,
    p: &SyntheticPerson,
    password_phc: &str,
) -> anyhow::Result<identity::SubjectId> {
    let subject = identity::SubjectId::new(uuid::Uuid::new_v4())?;
    let citizen = identity::Citizen::new(
        subject,
        domain::PersonalId::parse(&p.personal_id)?,
        p.birth_date.parse()?,
        match p.sex {
            registry::generate::Sex::Male => domain::Sex::Male,
            registry::generate::Sex::Female => domain::Sex::Female,
        },
    )?;
    store
        .accounts()
        .create_account(&store::Account {
            holder: identity::Holder::Citizen(citizen),
            name: p.full_name.clone(),
            level: Some(identity::AssuranceLevel::Level1),
            password: Some(password_phc.to_string()),
            totp: None,
            totp_step: None,
            failures: 0,
            locked_until: None,
            created_at: Utc::now(),
        })
        .await?;
    Ok(subject)
}

/// The argon2id PHC string of `password`, with a random salt.
fn hash(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(
        identity::password::PasswordHash::new(
            password,
            &salt,
            identity::password::Params::DEFAULT,
        )?
        .to_phc(),
    )
}

/// Loads the demonstration data into `store` unless it is there already.
pub async fn load(store: &dyn store::Store, data_dir: &Path) -> anyhow::Result<()> {
    let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).context("a date")?;
    let at = registry::generate::recorded_at(as_of);
    let people: Vec<SyntheticPerson> =
        Generator::new(SEED, DEMO_PEOPLE, as_of)?.collect::<Result<_, _>>()?;
    let first = people
        .first()
        .context("an empty demonstration population")?;
    let pid = domain::PersonalId::parse(&first.personal_id)?;
    if store.registry().person(&pid).await?.is_some() {
        tracing::info!("demonstration data already loaded");
        return Ok(());
    }
    let mut events = Vec::new();
    for chunk in people.chunks(500) {
        events.clear();
        for p in chunk {
            events.extend(registry::generate::person_events(p, at)?);
        }
        store.registry().append_events(&events).await?;
    }
    let adult = |p: &&SyntheticPerson| {
        p.vital_status == VitalStatus::Alive
            && p.birth_date.len() == 10
            && p.birth_date.as_str() < "2004-01-01"
    };
    let citizen = people
        .iter()
        .filter(adult)
        .find(|p| p.spouse_id.is_some())
        .context("no married adult in the demonstration population")?;
    let mut staff = people.iter().filter(adult).filter(|p| {
        p.personal_id != citizen.personal_id && Some(&p.personal_id) != citizen.spouse_id.as_ref()
    });
    let officer = staff.next().context("no officer")?;
    let leader = staff.next().context("no leader")?;
    let agency = dossier::AgencyCode::parse(&format!("UBND.{}", citizen.commune_code))?;
    let mut lines = vec![
        "# motcua demonstration accounts: log in at /dang-nhap".to_string(),
        String::new(),
    ];
    for (p, role, what) in [
        (
            citizen,
            None,
            "citizen (applies at /thu-tuc, follows at /ho-so)",
        ),
        (
            officer,
            Some(dossier::Role::Officer),
            "officer (workbench at /can-bo)",
        ),
        (
            leader,
            Some(dossier::Role::Leader),
            "leader (approves results)",
        ),
    ] {
        let password = password()?;
        let subject = open_account(store, p, &hash(&password)?).await?;
        if let Some(role) = role {
            store
                .dossiers()
                .set_staff(&subject.to_string(), &agency, Some(role), Utc::now())
                .await?;
        }
        lines.push(format!(
            "{what}: {} — {}",
            p.full_name,
            agency_note(role, &agency)
        ));
        lines.push(format!(
            "  identifier {}  password {password}",
            p.personal_id
        ));
    }
    let path = data_dir.join("demo-accounts.txt");
    let mut file = {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(&path)
            .with_context(|| format!("cannot write {}", path.display()))?
    };
    writeln!(file, "{}", lines.join("\n"))?;
    tracing::info!(
        people = DEMO_PEOPLE,
        accounts = %path.display(),
        "loaded the demonstration data; the log-ins are in the accounts file"
    );
    Ok(())
}

fn agency_note(role: Option<dossier::Role>, agency: &dossier::AgencyCode) -> String {
    match role {
        None => format!("files at {agency}"),
        Some(_) => format!("works at {agency}"),
    }
}

//! Logging in with a password (and for level 2 a one-time code), or with
//! an old portal's organisation account until the cut-over: the factors
//! checked against the stored account, failures counted towards a
//! lock-out, every outcome written to the account's audit trail.

use chrono::{DateTime, FixedOffset, Utc};
use identity::password::PasswordHash;
use identity::{AssuranceLevel, Holder, LoginId, SubjectId};
use store::{AccountStore, Failure};

use super::records::{AuditEntry, Session, StoreError};
use crate::state::AppState;

/// A PHC hash verified when the identifier names no account, so that an
/// unknown identifier takes as long to refuse as a wrong password.
const DECOY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$bW90Y3VhLWRlY295LXNhbHQ$5mOr0Gu2fi4mVbhhMIxvkCELMsLbHaJ/2dnTunK+NcE";

/// The `amr` mark of a session opened with an old portal's organisation
/// account (it ends at the cut-over).
pub const LEGACY_AMR: &str = "legacy";

/// What a log-in is for: the relying party (none for the portal's own
/// pages) and the levels it needs of a person and of an old portal's
/// organisation account.
pub struct Purpose<'a> {
    /// The relying party's client id.
    pub client: Option<&'a str>,
    /// The level a person must reach.
    pub person_level: AssuranceLevel,
    /// The level an old portal's account must reach.
    pub legacy_level: AssuranceLevel,
}

/// The factors a person gave.
pub struct Factors<'a> {
    /// The identifier as typed.
    pub identifier: &'a str,
    /// The password.
    pub password: String,
    /// The one-time code, if one was given.
    pub otp: Option<&'a str>,
}

/// Why a log-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Unknown identifier, wrong password or wrong code.
    #[error("wrong identifier, password or code")]
    Wrong,
    /// The identifier is not well formed.
    #[error("{0}")]
    Identifier(String),
    /// The account is locked for this many more minutes.
    #[error("the account is locked for {0} minutes")]
    Locked(i64),
    /// An organisation's account logs in through its representatives.
    #[error("an organisation's account")]
    Organisation,
    /// The service needs level 2.
    #[error("level 2 is required")]
    NeedsLevel2,
    /// An old portal's account after the cut-over (at that instant).
    #[error("old portal accounts ended at {0}")]
    LegacyEnded(DateTime<FixedOffset>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks the person's factors against their account; the session they
/// earn.
pub async fn log_in(
    state: &AppState,
    purpose: &Purpose<'_>,
    factors: Factors<'_>,
    now: DateTime<Utc>,
) -> Result<Session, Refused> {
    let accounts = state.store.accounts();
    let Factors {
        identifier,
        password,
        otp,
    } = factors;
    let parsed = LoginId::parse(identifier);
    let account = match &parsed {
        Ok(id) => accounts.account_by_login(&id.key()).await?,
        Err(_) => None,
    };
    let is_person = account
        .as_ref()
        .is_some_and(|a| !matches!(a.holder, Holder::Organisation(_)));
    if !is_person
        && let Some(legacy) = state
            .store
            .organisations()
            .legacy(&identity::login::legacy_key(identifier))
            .await?
    {
        return legacy_log_in(state, purpose, legacy, password, now).await;
    }
    let account = match (parsed, account) {
        (Err(e), _) => return Err(Refused::Identifier(e.to_string())),
        (Ok(_), None) => {
            // as slow as a wrong password: no telling which identifiers exist
            let _ = check_password(DECOY_PHC.to_string(), password).await;
            return Err(Refused::Wrong);
        }
        (Ok(_), Some(a)) => a,
    };
    let subject = account.holder.subject();
    let audit = |event: &str, detail: String| audit_entry(purpose, now, event, detail);
    if let Some(left) = identity::login::locked_for(account.locked_until, now) {
        accounts
            .audit(
                subject,
                &audit("login_refused_locked", "the account is locked".into()),
            )
            .await?;
        return Err(Refused::Locked((left.num_seconds() + 59) / 60));
    }
    if matches!(account.holder, Holder::Organisation(_)) {
        return Err(Refused::Organisation);
    }
    let phc = account
        .password
        .clone()
        .unwrap_or_else(|| DECOY_PHC.to_string());
    // the hash is checked even for an account without a password: as slow
    let checked = check_password(phc, password).await;
    let password_ok = account.password.is_some() && checked;
    let otp = otp.map(str::trim).filter(|c| !c.is_empty());
    let mut level = AssuranceLevel::Level1;
    let mut amr = vec!["pwd".to_string()];
    let mut why = "wrong password";
    let mut ok = password_ok;
    if ok && let Some(code) = otp {
        match (&account.totp, account.level) {
            (Some(totp), Some(AssuranceLevel::Level2)) => {
                match totp.verify(code, now.timestamp(), account.totp_step) {
                    Ok(step) if accounts.use_totp_step(subject, step).await? => {
                        level = AssuranceLevel::Level2;
                        amr.push("otp".into());
                    }
                    Ok(_) => {
                        ok = false;
                        why = "a one-time code used before";
                    }
                    Err(_) => {
                        ok = false;
                        why = "wrong one-time code";
                    }
                }
            }
            _ => {
                ok = false;
                why = "a one-time code for an account without the factor";
            }
        }
    }
    if !ok {
        let failure = count_failure(
            accounts,
            subject,
            now,
            &audit("login_failed", why.to_string()),
        )
        .await?;
        if failure.failures == identity::login::MAX_FAILURES {
            accounts
                .audit(
                    subject,
                    &audit(
                        "locked",
                        format!(
                            "{} failed log-ins in a row: locked for {} minutes",
                            failure.failures,
                            identity::login::LOCK_FOR.num_minutes()
                        ),
                    ),
                )
                .await?;
        }
        tracing::info!(
            client = purpose.client.unwrap_or("portal"),
            reason = why,
            "log-in failed"
        );
        return Err(Refused::Wrong);
    }
    if level < purpose.person_level {
        accounts
            .audit(
                subject,
                &audit("login_refused_level", "the service requires level 2".into()),
            )
            .await?;
        return Err(Refused::NeedsLevel2);
    }
    accounts.login_succeeded(subject).await?;
    accounts
        .audit(
            subject,
            &audit("login", format!("{level}, {}", amr.join("+"))),
        )
        .await?;
    tracing::info!(client = purpose.client.unwrap_or("portal"), %level, "logged in");
    Ok(Session {
        subject,
        level,
        auth_time: now,
        amr,
    })
}

/// A log-in with an old portal's organisation account: accepted until the
/// cut-over (the session's subject is the organisation's, as it stays
/// afterwards), refused from then on with the way forward.
async fn legacy_log_in(
    state: &AppState,
    purpose: &Purpose<'_>,
    legacy: store::LegacyLogin,
    password: String,
    now: DateTime<Utc>,
) -> Result<Session, Refused> {
    let accounts = state.store.accounts();
    let org = legacy.organisation;
    let audit = |event: &str, detail: String| audit_entry(purpose, now, event, detail);
    let account = accounts.account(org).await?;
    if let Some(left) =
        identity::login::locked_for(account.as_ref().and_then(|a| a.locked_until), now)
    {
        return Err(Refused::Locked((left.num_seconds() + 59) / 60));
    }
    if !check_password(legacy.password.clone(), password).await {
        if account.is_some() {
            count_failure(
                accounts,
                org,
                now,
                &audit("login_failed", "old portal account: wrong password".into()),
            )
            .await?;
        }
        return Err(Refused::Wrong);
    }
    let cutover = state.oidc.legacy_cutover();
    let old = identity::LegacyAccount {
        username: legacy.login_key.clone(),
        organisation: org,
    };
    if let Err(refused) = old.log_in(now.with_timezone(&cutover.timezone()), cutover) {
        accounts
            .audit(org, &audit("legacy_login_refused", refused.to_string()))
            .await?;
        return Err(Refused::LegacyEnded(cutover));
    }
    if purpose.legacy_level > AssuranceLevel::Level1 {
        return Err(Refused::NeedsLevel2);
    }
    accounts.login_succeeded(org).await?;
    accounts
        .audit(
            org,
            &audit("login", "old portal account, before the cut-over".into()),
        )
        .await?;
    tracing::info!(
        client = purpose.client.unwrap_or("portal"),
        "logged in with an old portal account"
    );
    Ok(Session {
        subject: org,
        level: AssuranceLevel::Level1,
        auth_time: now,
        amr: vec!["pwd".into(), LEGACY_AMR.into()],
    })
}

/// Verifies a password off the async threads (argon2id takes tens of
/// milliseconds by design).
async fn check_password(phc: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::from_phc(&phc).is_ok_and(|h| h.verify(&password))
    })
    .await
    .unwrap_or(false)
}

/// An entry of the audit trail written by a log-in for `purpose` at `now`.
fn audit_entry(
    purpose: &Purpose<'_>,
    now: DateTime<Utc>,
    event: &str,
    detail: String,
) -> AuditEntry {
    AuditEntry {
        at: now,
        event: event.to_string(),
        client: purpose.client.map(str::to_string),
        detail,
    }
}

/// Counts a failed log-in of `subject` towards its lock-out and writes
/// `entry` to its audit trail; the failures in a row now.
async fn count_failure(
    accounts: &dyn AccountStore,
    subject: SubjectId,
    now: DateTime<Utc>,
    entry: &AuditEntry,
) -> Result<Failure, StoreError> {
    let failure = accounts
        .login_failed(
            subject,
            identity::login::MAX_FAILURES,
            now + identity::login::LOCK_FOR,
        )
        .await?;
    accounts.audit(subject, entry).await?;
    Ok(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_hash_reads() {
        assert!(PasswordHash::from_phc(DECOY_PHC).is_ok());
    }
}

//! eID accounts ([`AccountStore`]): holders, their factors, lock-out, the
//! audit trail each holder can read, the provider's log-in sessions,
//! passkeys, WebAuthn challenges, applications and the consents people give
//! relying parties. Every statement is the same text on both backends, run
//! through [`crate::db::Db`]. An organisation's account writes its
//! representatives and head to `eid_org_people` in the same transaction
//! (the `organisations` module reads them).

use std::sync::LazyLock;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use identity::webauthn::Passkey;
use identity::{AssuranceLevel, Holder, SubjectId, Totp};

use crate::db::{from_json, from_nanos, nanos, to_json};
use crate::error::Source;
use crate::{Context, ErrorKind, SqlStore, StoreError};

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Who the account is for (its subject is the account's key).
    pub holder: Holder,
    /// The name shown to the holder and put in the `name` claim.
    pub name: String,
    /// The assurance level (people only; organisations have none).
    pub level: Option<AssuranceLevel>,
    /// The password, an argon2id PHC string.
    pub password: Option<String>,
    /// The second factor, when enrolled.
    pub totp: Option<Totp>,
    /// The last TOTP step accepted (a code is accepted once).
    pub totp_step: Option<u64>,
    /// Failed log-ins in a row.
    pub failures: u32,
    /// Locked until then after too many failures.
    pub locked_until: Option<DateTime<Utc>>,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

/// The account behind an access token, read with the token's revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenAccount {
    /// The token was revoked.
    Revoked,
    /// The token's subject has no account.
    NoAccount,
    /// The account, and the token is not revoked.
    Live(Box<Account>),
}

/// One line of an account's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// What, as a stable code (`login`, `login_failed`, `locked`,
    /// `password_changed`, `totp_enrolled` …).
    pub event: String,
    /// The relying party it happened for, if any.
    pub client: Option<String>,
    /// Details a person can read (never a secret).
    pub detail: String,
}

/// A log-in session at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Whose.
    pub subject: SubjectId,
    /// The level the log-in reached.
    pub level: AssuranceLevel,
    /// When the person logged in.
    pub auth_time: DateTime<Utc>,
    /// The methods used (`pwd`, `otp`), RFC 8176.
    pub amr: Vec<String>,
}

/// An application for an account, as kept.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredApplication {
    /// Its id.
    pub id: uuid::Uuid,
    /// Who applies (the account's holder once issued).
    pub holder: Holder,
    /// The applicant's name.
    pub name: String,
    /// The password chosen at the application (argon2id PHC).
    pub password: String,
    /// The application: status, history, evidence.
    pub application: identity::Application,
    /// The legal deadline for issuing the account.
    pub due: DateTime<chrono::FixedOffset>,
}

/// What a failed log-in did to the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Failures in a row now.
    pub failures: u32,
    /// Set when this failure locked the account (or it was locked).
    pub locked_until: Option<DateTime<Utc>>,
}

/// Storage of eID accounts.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Stores a new account; `false` when its subject or its log-in
    /// identifier is taken already (nothing is written then).
    async fn create_account(&self, account: &Account) -> Result<bool, StoreError>;
    /// An account by subject.
    async fn account(&self, subject: SubjectId) -> Result<Option<Account>, StoreError>;
    /// The account `subject` unless the access token `jti` or the grant
    /// `grant` it belongs to was revoked (one statement for a live token of
    /// an account; a second only to tell a revoked token from a missing
    /// account).
    async fn token_account(
        &self,
        subject: SubjectId,
        jti: &str,
        grant: Option<&str>,
    ) -> Result<TokenAccount, StoreError>;
    /// An account by the canonical key of its log-in identifier
    /// ([`identity::LoginId::key`]).
    async fn account_by_login(&self, login_key: &str) -> Result<Option<Account>, StoreError>;
    /// Counts a failed log-in; the `max_failures`-th in a row locks the
    /// account until `lock_until`. Atomic under concurrent attempts.
    async fn login_failed(
        &self,
        subject: SubjectId,
        max_failures: u32,
        lock_until: DateTime<Utc>,
    ) -> Result<Failure, StoreError>;
    /// A successful log-in: the failure count starts again.
    async fn login_succeeded(&self, subject: SubjectId) -> Result<(), StoreError>;
    /// Accepts TOTP step `step` once: `false` when that step or a later
    /// one was accepted before (a replayed code), also under concurrency.
    async fn use_totp_step(&self, subject: SubjectId, step: u64) -> Result<bool, StoreError>;
    /// Replaces the password (a PHC string).
    async fn set_password(&self, subject: SubjectId, phc: &str) -> Result<(), StoreError>;
    /// Enrols (or removes, with `None`) the TOTP factor.
    async fn set_totp(&self, subject: SubjectId, totp: Option<&Totp>) -> Result<(), StoreError>;
    /// Appends to the account's audit trail.
    async fn audit(&self, subject: SubjectId, entry: &AuditEntry) -> Result<(), StoreError>;
    /// The audit trail, newest first, at most `limit` lines.
    async fn audit_trail(
        &self,
        subject: SubjectId,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
    /// Stores a session (by the hash of its cookie) until `expires`.
    async fn put_session(
        &self,
        id_hash: &str,
        session: &Session,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// A live session at `now`.
    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError>;
    /// Ends a session; whether there was one.
    async fn end_session(&self, id_hash: &str) -> Result<bool, StoreError>;
    /// Registers a passkey for `subject`; `false` when its credential id
    /// is registered already.
    async fn add_passkey(
        &self,
        subject: SubjectId,
        passkey: &Passkey,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The passkeys of `subject`.
    async fn passkeys_of(&self, subject: SubjectId) -> Result<Vec<Passkey>, StoreError>;
    /// A passkey by credential id, and its holder.
    async fn passkey(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<(SubjectId, Passkey)>, StoreError>;
    /// Records a use: `passkey` as its log-in left it (counter, backup
    /// state) replaces the one kept, only if that one's counter still is
    /// `seen` (two uses of a copied key cannot both pass).
    async fn use_passkey(
        &self,
        passkey: &Passkey,
        seen: u32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Keeps a WebAuthn challenge until `expires` (forgetting the expired).
    async fn put_challenge(
        &self,
        id: &str,
        kind: &str,
        subject: Option<SubjectId>,
        challenge: &[u8],
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Takes a live challenge out (once): its kind, subject and bytes.
    async fn take_challenge(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, Option<SubjectId>, Vec<u8>)>, StoreError>;
    /// Stores an application, or its new state.
    async fn put_application(&self, application: &StoredApplication) -> Result<(), StoreError>;
    /// An application by id.
    async fn application(&self, id: uuid::Uuid) -> Result<Option<StoredApplication>, StoreError>;
    /// Applications by status name (`submitted`, `verifying` …; every
    /// open one with `None`), the nearest deadline first.
    async fn applications(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredApplication>, StoreError>;
    /// The scopes `subject` agreed `client_id` may have, if any.
    async fn consented_scopes(
        &self,
        subject: SubjectId,
        client_id: &str,
    ) -> Result<Option<std::collections::BTreeSet<String>>, StoreError>;
    /// Records that `subject` agrees `client_id` may have `scopes`
    /// (replacing what was agreed before).
    async fn give_consent(
        &self,
        subject: SubjectId,
        client_id: &str,
        scopes: &std::collections::BTreeSet<String>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

fn level_number(level: AssuranceLevel) -> i32 {
    match level {
        AssuranceLevel::Level1 => 1,
        AssuranceLevel::Level2 => 2,
    }
}

fn level_from(n: i32) -> Result<AssuranceLevel, StoreError> {
    match n {
        1 => Ok(AssuranceLevel::Level1),
        2 => Ok(AssuranceLevel::Level2),
        other => Err(StoreError::new(
            ErrorKind::Corrupt,
            format!("stored assurance level {other} is neither 1 nor 2"),
        )),
    }
}

fn corrupt(what: &str, e: impl Into<Source>) -> StoreError {
    StoreError::corrupt(&format!("stored {what}"), e)
}

type AccountColumns = (
    String,
    Option<i32>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    i32,
    Option<i64>,
    i64,
);

const ACCOUNT_SELECT: &str = "SELECT name, level, holder, password, totp, totp_step, failures, \
     locked_until_ns, created_ns FROM eid_accounts";

/// The account of a subject (`$1`) whose access token (`$2`, its `jti`)
/// was not revoked, nor its grant (`$3`, the grant's revocation key or the
/// `jti` again): what every request with a person's token reads.
static LIVE_TOKEN_ACCOUNT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{ACCOUNT_SELECT} WHERE subject = $1 \
         AND NOT EXISTS (SELECT 1 FROM oidc_revoked WHERE jti IN ($2, $3))"
    )
});

fn decode_account(row: AccountColumns) -> Result<Account, StoreError> {
    let (name, level, holder, password, totp, totp_step, failures, locked, created) = row;
    Ok(Account {
        holder: from_json("stored account holder", &holder)?,
        name,
        level: level.map(level_from).transpose()?,
        password,
        totp: totp
            .map(|t| from_json("stored TOTP factor", &t))
            .transpose()?,
        totp_step: totp_step.map(|s| s.max(0).unsigned_abs()),
        failures: failures.max(0).unsigned_abs(),
        locked_until: locked.map(from_nanos),
        created_at: from_nanos(created),
    })
}

/// A passkey row: its credential id, the library's form (or, kept before,
/// the COSE key) and the counter.
type PasskeyRow = (String, Option<String>, Option<String>, i64);

fn decode_passkey((id, credential, key, count): PasskeyRow) -> Result<Passkey, StoreError> {
    match (credential, key) {
        (Some(credential), _) => {
            Passkey::from_stored(&credential).map_err(|e| corrupt("passkey", e))
        }
        (None, Some(key)) => Passkey::from_cose_key(
            &B64.decode(id.as_bytes())
                .map_err(|e| corrupt("credential id", e))?,
            &B64.decode(key.as_bytes())
                .map_err(|e| corrupt("passkey key", e))?,
            u32::try_from(count).map_err(|e| corrupt("passkey counter", e))?,
        )
        .map_err(|e| corrupt("passkey key", e)),
        (None, None) => Err(corrupt("passkey", "neither its credential nor its key")),
    }
}

fn encode_passkey(passkey: &Passkey) -> Result<String, StoreError> {
    passkey
        .to_stored()
        .map_err(|e| StoreError::database(format!("cannot encode the passkey: {e}")))
}

fn step_value(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step)
        .map_err(|_| StoreError::refused(format!("TOTP step {step} is out of range")))
}

fn encode_totp(totp: Option<&Totp>) -> Result<Option<String>, StoreError> {
    totp.map(|t| to_json("the TOTP factor", t)).transpose()
}

// ---- the statements, the same text on both backends ------------------

/// An account by subject (`$1`).
static ACCOUNT_BY_SUBJECT: LazyLock<String> =
    LazyLock::new(|| format!("{ACCOUNT_SELECT} WHERE subject = $1"));

/// An account by the key of its log-in identifier (`$1`).
static ACCOUNT_BY_LOGIN: LazyLock<String> =
    LazyLock::new(|| format!("{ACCOUNT_SELECT} WHERE login_key = $1"));

const INSERT_ACCOUNT: &str = "INSERT INTO eid_accounts (subject, login_key, kind, name, level, \
     holder, password, totp, totp_step, failures, locked_until_ns, created_ns) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING";

const INSERT_ORG_PERSON: &str = "INSERT INTO eid_org_people (organisation, person, role) \
     VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

const COUNT_FAILURE: &str = "UPDATE eid_accounts SET failures = failures + 1, \
     locked_until_ns = CASE WHEN failures + 1 >= $2 THEN $3 ELSE locked_until_ns END \
     WHERE subject = $1 RETURNING failures, locked_until_ns";

const RESET_FAILURES: &str = "UPDATE eid_accounts SET failures = 0, locked_until_ns = NULL \
     WHERE subject = $1";

const ACCEPT_TOTP_STEP: &str = "UPDATE eid_accounts SET totp_step = $2 WHERE subject = $1 \
     AND (totp_step IS NULL OR totp_step < $2)";

const SET_PASSWORD: &str = "UPDATE eid_accounts SET password = $2 WHERE subject = $1";

const SET_TOTP: &str = "UPDATE eid_accounts SET totp = $2, totp_step = NULL WHERE subject = $1";

const INSERT_AUDIT: &str = "INSERT INTO eid_audit (subject, at_ns, event, client, detail) \
     VALUES ($1, $2, $3, $4, $5)";

const AUDIT_TRAIL: &str = "SELECT at_ns, event, client, detail FROM eid_audit WHERE subject = $1 \
     ORDER BY at_ns DESC, id DESC LIMIT $2";

const FORGET_ENDED_SESSIONS: &str = "DELETE FROM eid_sessions WHERE expires_ns <= $1";

const INSERT_SESSION: &str = "INSERT INTO eid_sessions (id_hash, subject, level, auth_ns, amr, \
     expires_ns) VALUES ($1, $2, $3, $4, $5, $6)";

const LIVE_SESSION: &str = "SELECT subject, level, auth_ns, amr FROM eid_sessions \
     WHERE id_hash = $1 AND expires_ns > $2";

const INSERT_PASSKEY: &str = "INSERT INTO eid_passkeys (credential_id, subject, credential, \
     sign_count, created_ns) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING";

const PASSKEYS_OF: &str = "SELECT credential_id, credential, public_key, sign_count \
     FROM eid_passkeys WHERE subject = $1 ORDER BY created_ns";

const PASSKEY: &str = "SELECT subject, credential_id, credential, public_key, sign_count \
     FROM eid_passkeys WHERE credential_id = $1";

const USE_PASSKEY: &str = "UPDATE eid_passkeys SET credential = $3, public_key = NULL, \
     sign_count = $4, last_used_ns = $5 WHERE credential_id = $1 AND sign_count = $2";

const FORGET_EXPIRED_CHALLENGES: &str = "DELETE FROM eid_challenges WHERE expires_ns <= $1";

const INSERT_CHALLENGE: &str = "INSERT INTO eid_challenges (id, kind, subject, challenge, \
     expires_ns) VALUES ($1, $2, $3, $4, $5)";

const TAKE_CHALLENGE: &str = "DELETE FROM eid_challenges WHERE id = $1 \
     RETURNING kind, subject, challenge, expires_ns";

const UPSERT_APPLICATION: &str = "INSERT INTO eid_applications \
     (id, login_key, status, due_ns, submitted_ns, body) VALUES ($1, $2, $3, $4, $5, $6) \
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body";

const APPLICATION: &str = "SELECT body FROM eid_applications WHERE id = $1";

const APPLICATIONS_IN_STATUS: &str = "SELECT body FROM eid_applications WHERE status = $1 \
     ORDER BY due_ns, id LIMIT $2";

const OPEN_APPLICATIONS: &str = "SELECT body FROM eid_applications \
     WHERE status NOT IN ('approved', 'refused', 'withdrawn') ORDER BY due_ns, id LIMIT $1";

const CONSENTED_SCOPES: &str =
    "SELECT scopes FROM eid_consents WHERE subject = $1 AND client_id = $2";

const UPSERT_CONSENT: &str = "INSERT INTO eid_consents (subject, client_id, scopes, given_ns) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (subject, client_id) DO UPDATE \
     SET scopes = excluded.scopes, given_ns = excluded.given_ns";

const DELETE_SESSION: &str = "DELETE FROM eid_sessions WHERE id_hash = $1";

#[async_trait]
impl AccountStore for SqlStore {
    async fn create_account(&self, account: &Account) -> Result<bool, StoreError> {
        let holder = to_json("the holder", &account.holder)?;
        let subject = account.holder.subject().to_string();
        let mut tx = self.begin("starting to create an account").await?;
        let done = tx
            .on()
            .execute(
                INSERT_ACCOUNT,
                (
                    &subject,
                    account.holder.login_id().key(),
                    account.holder.kind().as_str(),
                    &account.name,
                    account.level.map(level_number),
                    holder,
                    &account.password,
                    encode_totp(account.totp.as_ref())?,
                    account.totp_step.map(step_value).transpose()?,
                    i32::try_from(account.failures).unwrap_or(i32::MAX),
                    account.locked_until.map(nanos).transpose()?,
                    nanos(account.created_at)?,
                ),
            )
            .await
            .context("creating an account")?;
        if done != 1 {
            return Ok(false);
        }
        // an organisation's people by right, for "act for"
        if let Holder::Organisation(org) = &account.holder {
            let people = org
                .representatives()
                .iter()
                .map(|p| (*p, "representative"))
                .chain(org.head().map(|h| (h, "head")));
            for (person, role) in people {
                tx.on()
                    .execute(INSERT_ORG_PERSON, (&subject, person.to_string(), role))
                    .await
                    .context("recording an organisation's people")?;
            }
        }
        tx.commit().await.context("creating an account")?;
        Ok(true)
    }

    async fn account(&self, subject: SubjectId) -> Result<Option<Account>, StoreError> {
        self.on()
            .fetch_optional_decoded(
                &ACCOUNT_BY_SUBJECT,
                (subject.to_string(),),
                "reading an account",
                decode_account,
            )
            .await
    }

    async fn token_account(
        &self,
        subject: SubjectId,
        jti: &str,
        grant: Option<&str>,
    ) -> Result<TokenAccount, StoreError> {
        let grant_key = crate::oidc::second_revocation_key(jti, grant);
        // the common case, a live token of an account, in one
        // statement; no row: revoked, or no account
        let row: Option<AccountColumns> = self
            .on()
            .fetch_optional(
                &LIVE_TOKEN_ACCOUNT,
                (subject.to_string(), jti, grant_key.as_str()),
            )
            .await
            .context("reading a token's account")?;
        if let Some(row) = row {
            return decode_account(row).map(|a| TokenAccount::Live(Box::new(a)));
        }
        let revoked: bool = self
            .on()
            .scalar_one(crate::oidc::IS_REVOKED, (jti, grant_key))
            .await
            .context("reading revocations")?;
        Ok(if revoked {
            TokenAccount::Revoked
        } else {
            TokenAccount::NoAccount
        })
    }

    async fn account_by_login(&self, login_key: &str) -> Result<Option<Account>, StoreError> {
        self.on()
            .fetch_optional_decoded(
                &ACCOUNT_BY_LOGIN,
                (login_key,),
                "reading an account",
                decode_account,
            )
            .await
    }

    async fn login_failed(
        &self,
        subject: SubjectId,
        max_failures: u32,
        lock_until: DateTime<Utc>,
    ) -> Result<Failure, StoreError> {
        // one statement: concurrent failures each count
        let row: Option<(i32, Option<i64>)> = self
            .on()
            .fetch_optional(
                COUNT_FAILURE,
                (
                    subject.to_string(),
                    i32::try_from(max_failures).unwrap_or(i32::MAX),
                    nanos(lock_until)?,
                ),
            )
            .await
            .context("counting a failed log-in")?;
        let (failures, locked) =
            row.ok_or_else(|| StoreError::not_found(format!("no account {subject}")))?;
        Ok(Failure {
            failures: failures.max(0).unsigned_abs(),
            locked_until: locked.map(from_nanos),
        })
    }

    async fn login_succeeded(&self, subject: SubjectId) -> Result<(), StoreError> {
        self.on()
            .execute(RESET_FAILURES, (subject.to_string(),))
            .await
            .context("recording a log-in")?;
        Ok(())
    }

    async fn use_totp_step(&self, subject: SubjectId, step: u64) -> Result<bool, StoreError> {
        let done = self
            .on()
            .execute(ACCEPT_TOTP_STEP, (subject.to_string(), step_value(step)?))
            .await
            .context("accepting a one-time code")?;
        Ok(done == 1)
    }

    async fn set_password(&self, subject: SubjectId, phc: &str) -> Result<(), StoreError> {
        let done = self
            .on()
            .execute(SET_PASSWORD, (subject.to_string(), phc))
            .await
            .context("changing a password")?;
        if done == 0 {
            return Err(StoreError::not_found(format!("no account {subject}")));
        }
        Ok(())
    }

    async fn set_totp(&self, subject: SubjectId, totp: Option<&Totp>) -> Result<(), StoreError> {
        let done = self
            .on()
            .execute(SET_TOTP, (subject.to_string(), encode_totp(totp)?))
            .await
            .context("changing the second factor")?;
        if done == 0 {
            return Err(StoreError::not_found(format!("no account {subject}")));
        }
        Ok(())
    }

    async fn audit(&self, subject: SubjectId, entry: &AuditEntry) -> Result<(), StoreError> {
        self.on()
            .execute(
                INSERT_AUDIT,
                (
                    subject.to_string(),
                    nanos(entry.at)?,
                    &entry.event,
                    &entry.client,
                    &entry.detail,
                ),
            )
            .await
            .context("writing the audit trail")?;
        Ok(())
    }

    async fn audit_trail(
        &self,
        subject: SubjectId,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(i64, String, Option<String>, String)> = self
            .on()
            .fetch_all(AUDIT_TRAIL, (subject.to_string(), i64::from(limit)))
            .await
            .context("reading the audit trail")?;
        Ok(rows
            .into_iter()
            .map(|(at, event, client, detail)| AuditEntry {
                at: from_nanos(at),
                event,
                client,
                detail,
            })
            .collect())
    }

    async fn put_session(
        &self,
        id_hash: &str,
        session: &Session,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // sessions that ended before this one began are forgotten
        self.on()
            .execute(FORGET_ENDED_SESSIONS, (nanos(session.auth_time)?,))
            .await
            .context("forgetting ended sessions")?;
        self.on()
            .execute(
                INSERT_SESSION,
                (
                    id_hash,
                    session.subject.to_string(),
                    level_number(session.level),
                    nanos(session.auth_time)?,
                    session.amr.join(" "),
                    nanos(expires)?,
                ),
            )
            .await
            .context("starting a session")?;
        Ok(())
    }

    async fn session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Session>, StoreError> {
        let row: Option<(String, i32, i64, String)> = self
            .on()
            .fetch_optional(LIVE_SESSION, (id_hash, nanos(now)?))
            .await
            .context("reading a session")?;
        row.map(|(subject, level, auth, amr)| {
            Ok(Session {
                subject: SubjectId::parse(&subject).map_err(|e| corrupt("session subject", e))?,
                level: level_from(level)?,
                auth_time: from_nanos(auth),
                amr: amr
                    .split(' ')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .transpose()
    }

    async fn add_passkey(
        &self,
        subject: SubjectId,
        passkey: &Passkey,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = self
            .on()
            .execute(
                INSERT_PASSKEY,
                (
                    B64.encode(passkey.credential_id()),
                    subject.to_string(),
                    encode_passkey(passkey)?,
                    i64::from(passkey.sign_count()),
                    nanos(at)?,
                ),
            )
            .await
            .context("registering a passkey")?;
        Ok(done == 1)
    }

    async fn passkeys_of(&self, subject: SubjectId) -> Result<Vec<Passkey>, StoreError> {
        self.on()
            .fetch_decoded(
                PASSKEYS_OF,
                (subject.to_string(),),
                "reading passkeys",
                decode_passkey,
            )
            .await
    }

    async fn passkey(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<(SubjectId, Passkey)>, StoreError> {
        let row: Option<(String, String, Option<String>, Option<String>, i64)> = self
            .on()
            .fetch_optional(PASSKEY, (B64.encode(credential_id),))
            .await
            .context("reading a passkey")?;
        row.map(|(subject, id, credential, key, count)| {
            let subject = SubjectId::parse(&subject).map_err(|e| corrupt("passkey holder", e))?;
            Ok((subject, decode_passkey((id, credential, key, count))?))
        })
        .transpose()
    }

    async fn use_passkey(
        &self,
        passkey: &Passkey,
        seen: u32,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = self
            .on()
            .execute(
                USE_PASSKEY,
                (
                    B64.encode(passkey.credential_id()),
                    i64::from(seen),
                    encode_passkey(passkey)?,
                    i64::from(passkey.sign_count()),
                    nanos(at)?,
                ),
            )
            .await
            .context("recording a passkey's use")?;
        Ok(done == 1)
    }

    async fn put_challenge(
        &self,
        id: &str,
        kind: &str,
        subject: Option<SubjectId>,
        challenge: &[u8],
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.on()
            .execute(FORGET_EXPIRED_CHALLENGES, (nanos(Utc::now())?,))
            .await
            .context("forgetting expired challenges")?;
        self.on()
            .execute(
                INSERT_CHALLENGE,
                (
                    id,
                    kind,
                    subject.map(|s| s.to_string()),
                    B64.encode(challenge),
                    nanos(expires)?,
                ),
            )
            .await
            .context("keeping a challenge")?;
        Ok(())
    }

    async fn take_challenge(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, Option<SubjectId>, Vec<u8>)>, StoreError> {
        let row: Option<(String, Option<String>, String, i64)> = self
            .on()
            .fetch_optional(TAKE_CHALLENGE, (id,))
            .await
            .context("taking a challenge")?;
        let Some((kind, subject, challenge, expires)) = row else {
            return Ok(None);
        };
        if expires <= nanos(now)? {
            return Ok(None);
        }
        let subject = subject
            .map(|s| SubjectId::parse(&s).map_err(|e| corrupt("challenge subject", e)))
            .transpose()?;
        let challenge = B64
            .decode(challenge.as_bytes())
            .map_err(|e| corrupt("challenge", e))?;
        Ok(Some((kind, subject, challenge)))
    }

    async fn put_application(&self, application: &StoredApplication) -> Result<(), StoreError> {
        let body = to_json("the application", application)?;
        self.on()
            .execute(
                UPSERT_APPLICATION,
                (
                    application.id.to_string(),
                    application.holder.login_id().key(),
                    application.application.status().name(),
                    nanos(application.due.with_timezone(&Utc))?,
                    nanos(application.application.submitted_at().with_timezone(&Utc))?,
                    body,
                ),
            )
            .await
            .context("storing an application")?;
        Ok(())
    }

    async fn application(&self, id: uuid::Uuid) -> Result<Option<StoredApplication>, StoreError> {
        self.on()
            .scalar_optional_decoded(
                APPLICATION,
                (id.to_string(),),
                "reading an application",
                |b: String| from_json("stored application", &b),
            )
            .await
    }

    async fn applications(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<StoredApplication>, StoreError> {
        let bodies: Vec<String> = match status {
            Some(s) => {
                self.on()
                    .scalar_all(APPLICATIONS_IN_STATUS, (s, i64::from(limit)))
                    .await
            }
            None => {
                self.on()
                    .scalar_all(OPEN_APPLICATIONS, (i64::from(limit),))
                    .await
            }
        }
        .context("listing applications")?;
        bodies
            .iter()
            .map(|b| from_json("stored application", b))
            .collect()
    }

    async fn consented_scopes(
        &self,
        subject: SubjectId,
        client_id: &str,
    ) -> Result<Option<std::collections::BTreeSet<String>>, StoreError> {
        let scopes: Option<String> = self
            .on()
            .scalar_optional(CONSENTED_SCOPES, (subject.to_string(), client_id))
            .await
            .context("reading a consent")?;
        Ok(scopes.map(|s| {
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        }))
    }

    async fn give_consent(
        &self,
        subject: SubjectId,
        client_id: &str,
        scopes: &std::collections::BTreeSet<String>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.on()
            .execute(
                UPSERT_CONSENT,
                (
                    subject.to_string(),
                    client_id,
                    scopes.iter().cloned().collect::<Vec<_>>().join(" "),
                    nanos(at)?,
                ),
            )
            .await
            .context("recording a consent")?;
        Ok(())
    }

    async fn end_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let done = self
            .on()
            .execute(DELETE_SESSION, (id_hash,))
            .await
            .context("ending a session")?;
        Ok(done > 0)
    }
}

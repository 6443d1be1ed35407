//! eID accounts: holders, their factors, lock-out, the audit trail each
//! holder can read, and the provider's log-in sessions. One implementation
//! serves both backends (the same SQL text run through each pool).

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::{DateTime, Utc};
use identity::webauthn::Passkey;
use identity::{AssuranceLevel, Holder, SubjectId, Totp};

use crate::model::{from_nanos, nanos};
use crate::{StoreError, db_error};

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
    /// The account `subject` unless the access token `jti` was revoked
    /// (one statement for a live token of an account; a second only to tell
    /// a revoked token from a missing account).
    async fn token_account(
        &self,
        subject: SubjectId,
        jti: &str,
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
        other => Err(StoreError::Database(format!(
            "stored assurance level {other} is neither 1 nor 2"
        ))),
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(format!("stored {what} cannot be read: {e}"))
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
/// was not revoked: what every request with a person's token reads.
static LIVE_TOKEN_ACCOUNT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{ACCOUNT_SELECT} WHERE subject = $1 \
         AND NOT EXISTS (SELECT 1 FROM oidc_revoked WHERE jti = $2)"
    )
});

fn decode_account(row: AccountColumns) -> Result<Account, StoreError> {
    let (name, level, holder, password, totp, totp_step, failures, locked, created) = row;
    Ok(Account {
        holder: serde_json::from_str(&holder).map_err(|e| corrupt("account holder", e))?,
        name,
        level: level.map(level_from).transpose()?,
        password,
        totp: totp
            .map(|t| serde_json::from_str(&t).map_err(|e| corrupt("TOTP factor", e)))
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
        .map_err(|e| StoreError::Database(format!("cannot encode the passkey: {e}")))
}

fn step_value(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step)
        .map_err(|_| StoreError::Refused(format!("TOTP step {step} is out of range")))
}

fn encode_totp(totp: Option<&Totp>) -> Result<Option<String>, StoreError> {
    totp.map(|t| {
        serde_json::to_string(t)
            .map_err(|e| StoreError::Database(format!("cannot encode the TOTP factor: {e}")))
    })
    .transpose()
}

macro_rules! account_store {
    ($store:ty, $pool:ident => $begin:expr) => {
        #[async_trait]
        impl AccountStore for $store {
            async fn create_account(&self, account: &Account) -> Result<bool, StoreError> {
                let holder = serde_json::to_string(&account.holder)
                    .map_err(|e| StoreError::Database(format!("cannot encode the holder: {e}")))?;
                let subject = account.holder.subject().to_string();
                let $pool = &self.pool;
                let mut tx = $begin
                    .await
                    .map_err(|e| db_error("starting to create an account", e))?;
                let done = sqlx::query(
                    "INSERT INTO eid_accounts (subject, login_key, kind, name, level, holder, \
                     password, totp, totp_step, failures, locked_until_ns, created_ns) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(&subject)
                .bind(account.holder.login_id().key())
                .bind(account.holder.kind().as_str())
                .bind(&account.name)
                .bind(account.level.map(level_number))
                .bind(holder)
                .bind(&account.password)
                .bind(encode_totp(account.totp.as_ref())?)
                .bind(account.totp_step.map(step_value).transpose()?)
                .bind(i32::try_from(account.failures).unwrap_or(i32::MAX))
                .bind(account.locked_until.map(nanos).transpose()?)
                .bind(nanos(account.created_at)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| db_error("creating an account", e))?;
                if done.rows_affected() != 1 {
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
                        sqlx::query(
                            "INSERT INTO eid_org_people (organisation, person, role) \
                             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        )
                        .bind(&subject)
                        .bind(person.to_string())
                        .bind(role)
                        .execute(&mut *tx)
                        .await
                        .map_err(|e| db_error("recording an organisation's people", e))?;
                    }
                }
                tx.commit()
                    .await
                    .map_err(|e| db_error("creating an account", e))?;
                Ok(true)
            }

            async fn account(&self, subject: SubjectId) -> Result<Option<Account>, StoreError> {
                let row: Option<AccountColumns> =
                    sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE subject = $1"))
                        .bind(subject.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|e| db_error("reading an account", e))?;
                row.map(decode_account).transpose()
            }

            async fn token_account(
                &self,
                subject: SubjectId,
                jti: &str,
            ) -> Result<TokenAccount, StoreError> {
                // the common case, a live token of an account, in one
                // statement; no row: revoked, or no account
                let row: Option<AccountColumns> = sqlx::query_as(&LIVE_TOKEN_ACCOUNT)
                    .bind(subject.to_string())
                    .bind(jti)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| db_error("reading a token's account", e))?;
                if let Some(row) = row {
                    return decode_account(row).map(|a| TokenAccount::Live(Box::new(a)));
                }
                let revoked: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM oidc_revoked WHERE jti = $1)")
                        .bind(jti)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(|e| db_error("reading revocations", e))?;
                Ok(if revoked {
                    TokenAccount::Revoked
                } else {
                    TokenAccount::NoAccount
                })
            }

            async fn account_by_login(
                &self,
                login_key: &str,
            ) -> Result<Option<Account>, StoreError> {
                let row: Option<AccountColumns> =
                    sqlx::query_as(&format!("{ACCOUNT_SELECT} WHERE login_key = $1"))
                        .bind(login_key)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|e| db_error("reading an account", e))?;
                row.map(decode_account).transpose()
            }

            async fn login_failed(
                &self,
                subject: SubjectId,
                max_failures: u32,
                lock_until: DateTime<Utc>,
            ) -> Result<Failure, StoreError> {
                // one statement: concurrent failures each count
                let row: Option<(i32, Option<i64>)> = sqlx::query_as(
                    "UPDATE eid_accounts SET failures = failures + 1, \
                     locked_until_ns = CASE WHEN failures + 1 >= $2 THEN $3 \
                     ELSE locked_until_ns END \
                     WHERE subject = $1 RETURNING failures, locked_until_ns",
                )
                .bind(subject.to_string())
                .bind(i32::try_from(max_failures).unwrap_or(i32::MAX))
                .bind(nanos(lock_until)?)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| db_error("counting a failed log-in", e))?;
                let (failures, locked) =
                    row.ok_or_else(|| StoreError::Refused(format!("no account {subject}")))?;
                Ok(Failure {
                    failures: failures.max(0).unsigned_abs(),
                    locked_until: locked.map(from_nanos),
                })
            }

            async fn login_succeeded(&self, subject: SubjectId) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE eid_accounts SET failures = 0, locked_until_ns = NULL \
                     WHERE subject = $1",
                )
                .bind(subject.to_string())
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("recording a log-in", e))?;
                Ok(())
            }

            async fn use_totp_step(
                &self,
                subject: SubjectId,
                step: u64,
            ) -> Result<bool, StoreError> {
                let done = sqlx::query(
                    "UPDATE eid_accounts SET totp_step = $2 \
                     WHERE subject = $1 AND (totp_step IS NULL OR totp_step < $2)",
                )
                .bind(subject.to_string())
                .bind(step_value(step)?)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("accepting a one-time code", e))?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_password(&self, subject: SubjectId, phc: &str) -> Result<(), StoreError> {
                let done = sqlx::query("UPDATE eid_accounts SET password = $2 WHERE subject = $1")
                    .bind(subject.to_string())
                    .bind(phc)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| db_error("changing a password", e))?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Refused(format!("no account {subject}")));
                }
                Ok(())
            }

            async fn set_totp(
                &self,
                subject: SubjectId,
                totp: Option<&Totp>,
            ) -> Result<(), StoreError> {
                let done = sqlx::query(
                    "UPDATE eid_accounts SET totp = $2, totp_step = NULL WHERE subject = $1",
                )
                .bind(subject.to_string())
                .bind(encode_totp(totp)?)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("changing the second factor", e))?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Refused(format!("no account {subject}")));
                }
                Ok(())
            }

            async fn audit(
                &self,
                subject: SubjectId,
                entry: &AuditEntry,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO eid_audit (subject, at_ns, event, client, detail) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(subject.to_string())
                .bind(nanos(entry.at)?)
                .bind(&entry.event)
                .bind(&entry.client)
                .bind(&entry.detail)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("writing the audit trail", e))?;
                Ok(())
            }

            async fn audit_trail(
                &self,
                subject: SubjectId,
                limit: u32,
            ) -> Result<Vec<AuditEntry>, StoreError> {
                let rows: Vec<(i64, String, Option<String>, String)> = sqlx::query_as(
                    "SELECT at_ns, event, client, detail FROM eid_audit WHERE subject = $1 \
                     ORDER BY at_ns DESC, id DESC LIMIT $2",
                )
                .bind(subject.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| db_error("reading the audit trail", e))?;
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
                sqlx::query("DELETE FROM eid_sessions WHERE expires_ns <= $1")
                    .bind(nanos(session.auth_time)?)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| db_error("forgetting ended sessions", e))?;
                sqlx::query(
                    "INSERT INTO eid_sessions (id_hash, subject, level, auth_ns, amr, expires_ns) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id_hash)
                .bind(session.subject.to_string())
                .bind(level_number(session.level))
                .bind(nanos(session.auth_time)?)
                .bind(session.amr.join(" "))
                .bind(nanos(expires)?)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("starting a session", e))?;
                Ok(())
            }

            async fn session(
                &self,
                id_hash: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<Session>, StoreError> {
                let row: Option<(String, i32, i64, String)> = sqlx::query_as(
                    "SELECT subject, level, auth_ns, amr FROM eid_sessions \
                     WHERE id_hash = $1 AND expires_ns > $2",
                )
                .bind(id_hash)
                .bind(nanos(now)?)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| db_error("reading a session", e))?;
                row.map(|(subject, level, auth, amr)| {
                    Ok(Session {
                        subject: SubjectId::parse(&subject)
                            .map_err(|e| corrupt("session subject", e))?,
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
                let done = sqlx::query(
                    "INSERT INTO eid_passkeys (credential_id, subject, credential, sign_count, \
                     created_ns) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(B64.encode(passkey.credential_id()))
                .bind(subject.to_string())
                .bind(encode_passkey(passkey)?)
                .bind(i64::from(passkey.sign_count()))
                .bind(nanos(at)?)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("registering a passkey", e))?;
                Ok(done.rows_affected() == 1)
            }

            async fn passkeys_of(&self, subject: SubjectId) -> Result<Vec<Passkey>, StoreError> {
                let rows: Vec<PasskeyRow> = sqlx::query_as(
                    "SELECT credential_id, credential, public_key, sign_count FROM eid_passkeys \
                     WHERE subject = $1 ORDER BY created_ns",
                )
                .bind(subject.to_string())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| db_error("reading passkeys", e))?;
                rows.into_iter().map(decode_passkey).collect()
            }

            async fn passkey(
                &self,
                credential_id: &[u8],
            ) -> Result<Option<(SubjectId, Passkey)>, StoreError> {
                let row: Option<(String, String, Option<String>, Option<String>, i64)> =
                    sqlx::query_as(
                        "SELECT subject, credential_id, credential, public_key, sign_count \
                         FROM eid_passkeys WHERE credential_id = $1",
                    )
                    .bind(B64.encode(credential_id))
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| db_error("reading a passkey", e))?;
                row.map(|(subject, id, credential, key, count)| {
                    let subject =
                        SubjectId::parse(&subject).map_err(|e| corrupt("passkey holder", e))?;
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
                let done = sqlx::query(
                    "UPDATE eid_passkeys SET credential = $3, public_key = NULL, sign_count = $4, \
                     last_used_ns = $5 WHERE credential_id = $1 AND sign_count = $2",
                )
                .bind(B64.encode(passkey.credential_id()))
                .bind(i64::from(seen))
                .bind(encode_passkey(passkey)?)
                .bind(i64::from(passkey.sign_count()))
                .bind(nanos(at)?)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("recording a passkey's use", e))?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_challenge(
                &self,
                id: &str,
                kind: &str,
                subject: Option<SubjectId>,
                challenge: &[u8],
                expires: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM eid_challenges WHERE expires_ns <= $1")
                    .bind(nanos(Utc::now())?)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| db_error("forgetting expired challenges", e))?;
                sqlx::query(
                    "INSERT INTO eid_challenges (id, kind, subject, challenge, expires_ns) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(kind)
                .bind(subject.map(|s| s.to_string()))
                .bind(B64.encode(challenge))
                .bind(nanos(expires)?)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("keeping a challenge", e))?;
                Ok(())
            }

            async fn take_challenge(
                &self,
                id: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<(String, Option<SubjectId>, Vec<u8>)>, StoreError> {
                let row: Option<(String, Option<String>, String, i64)> = sqlx::query_as(
                    "DELETE FROM eid_challenges WHERE id = $1 \
                     RETURNING kind, subject, challenge, expires_ns",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| db_error("taking a challenge", e))?;
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

            async fn put_application(
                &self,
                application: &StoredApplication,
            ) -> Result<(), StoreError> {
                let body = serde_json::to_string(application).map_err(|e| {
                    StoreError::Database(format!("cannot encode the application: {e}"))
                })?;
                sqlx::query(
                    "INSERT INTO eid_applications (id, login_key, status, due_ns, submitted_ns, \
                     body) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET \
                     status = excluded.status, body = excluded.body",
                )
                .bind(application.id.to_string())
                .bind(application.holder.login_id().key())
                .bind(application.application.status().name())
                .bind(nanos(application.due.with_timezone(&Utc))?)
                .bind(nanos(
                    application.application.submitted_at().with_timezone(&Utc),
                )?)
                .bind(body)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("storing an application", e))?;
                Ok(())
            }

            async fn application(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<StoredApplication>, StoreError> {
                let body: Option<String> =
                    sqlx::query_scalar("SELECT body FROM eid_applications WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(|e| db_error("reading an application", e))?;
                body.map(|b| serde_json::from_str(&b).map_err(|e| corrupt("application", e)))
                    .transpose()
            }

            async fn applications(
                &self,
                status: Option<&str>,
                limit: u32,
            ) -> Result<Vec<StoredApplication>, StoreError> {
                let bodies: Vec<String> = match status {
                    Some(s) => {
                        sqlx::query_scalar(
                            "SELECT body FROM eid_applications WHERE status = $1 \
                         ORDER BY due_ns, id LIMIT $2",
                        )
                        .bind(s)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                    }
                    None => {
                        sqlx::query_scalar(
                            "SELECT body FROM eid_applications WHERE status NOT IN \
                         ('approved', 'refused', 'withdrawn') ORDER BY due_ns, id LIMIT $1",
                        )
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                    }
                }
                .map_err(|e| db_error("listing applications", e))?;
                bodies
                    .iter()
                    .map(|b| serde_json::from_str(b).map_err(|e| corrupt("application", e)))
                    .collect()
            }

            async fn consented_scopes(
                &self,
                subject: SubjectId,
                client_id: &str,
            ) -> Result<Option<std::collections::BTreeSet<String>>, StoreError> {
                let scopes: Option<String> = sqlx::query_scalar(
                    "SELECT scopes FROM eid_consents WHERE subject = $1 AND client_id = $2",
                )
                .bind(subject.to_string())
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(|e| db_error("reading a consent", e))?;
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
                sqlx::query(
                    "INSERT INTO eid_consents (subject, client_id, scopes, given_ns) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (subject, client_id) \
                     DO UPDATE SET scopes = excluded.scopes, given_ns = excluded.given_ns",
                )
                .bind(subject.to_string())
                .bind(client_id)
                .bind(scopes.iter().cloned().collect::<Vec<_>>().join(" "))
                .bind(nanos(at)?)
                .execute(&self.pool)
                .await
                .map_err(|e| db_error("recording a consent", e))?;
                Ok(())
            }

            async fn end_session(&self, id_hash: &str) -> Result<bool, StoreError> {
                let done = sqlx::query("DELETE FROM eid_sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| db_error("ending a session", e))?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}

account_store!(crate::postgres::PgStore, pool => pool.begin());
account_store!(crate::sqlite::SqliteStore, pool => pool.begin_with("BEGIN IMMEDIATE"));

//! The back offices connected to the portal: their configuration, every
//! change to it (written in the transaction that makes it), and the
//! sessions they log in to. Every statement is the same text on both
//! backends.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{from_json, from_nanos, nanos, to_json};
use crate::{Context, SqlStore, StoreError};

/// A back office as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOffice {
    /// Its configuration.
    pub office: backoffice::Office,
    /// The SHA-256 of the password it logs in with (base64url): the
    /// password is made by the platform, shown once, never stored.
    pub secret_sha256: String,
    /// When it was connected.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// A change to a back office, for its audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (an operator's account, or the command line's user).
    pub actor: String,
    /// What: `connected`, `changed`, `password`, `disconnected`.
    pub action: String,
    /// What it changed (never a secret).
    pub detail: Value,
}

const COLUMNS: &str = "id, body, secret, created_ns, updated_ns";

type OfficeRow = (String, String, String, i64, i64);

fn decode((_, body, secret, created, updated): OfficeRow) -> Result<StoredOffice, StoreError> {
    Ok(StoredOffice {
        office: from_json("a back office's configuration", &body)?,
        secret_sha256: secret,
        created_at: from_nanos(created),
        updated_at: from_nanos(updated),
    })
}

const INSERT_CHANGE: &str = "INSERT INTO back_office_changes \
     (id, office, at_ns, actor, action, detail) VALUES ($1, $2, $3, $4, $5, $6)";

/// Created or changed (the creation time kept); the change beside it.
const PUT: &str = "INSERT INTO back_offices (id, body, secret, created_ns, updated_ns) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (id) DO UPDATE SET body = excluded.body, secret = excluded.secret, \
     updated_ns = excluded.updated_ns";

pub(super) async fn put(
    store: &SqlStore,
    office: &StoredOffice,
    change: &OfficeChange,
) -> Result<bool, StoreError> {
    let doing = "keeping a back office's configuration";
    let body = to_json("a back office's configuration", &office.office)?;
    let detail = to_json("a change's detail", &change.detail)?;
    let mut tx = store.begin(doing).await?;
    let before = tx
        .on()
        .scalar_optional::<String>(
            "SELECT secret FROM back_offices WHERE id = $1",
            (office.office.id.as_str(),),
        )
        .await
        .context(doing)?;
    if before.as_deref().is_some_and(|s| s != office.secret_sha256) {
        // a new password: the sessions opened with the old one end
        tx.on()
            .execute(
                "DELETE FROM back_office_sessions WHERE office = $1",
                (office.office.id.as_str(),),
            )
            .await
            .context(doing)?;
    }
    write(&mut tx, PUT, office, body, doing).await?;
    insert_change(&mut tx, &office.office.id, change, detail, doing).await?;
    tx.commit().await.context(doing)?;
    Ok(before.is_none())
}

/// Runs `sql` (`PUT` or `CREATE`) with `office`'s row and, when it was
/// written, keeps the units it serves: the rows written.
async fn write(
    tx: &mut crate::db::Tx,
    sql: &str,
    office: &StoredOffice,
    body: String,
    doing: &'static str,
) -> Result<u64, StoreError> {
    let written = tx
        .on()
        .execute(
            sql,
            (
                office.office.id.as_str(),
                body,
                office.secret_sha256.as_str(),
                nanos(office.created_at)?,
                nanos(office.updated_at)?,
            ),
        )
        .await
        .context(doing)?;
    if written > 0 {
        super::downstream::set_units(tx, &office.office.id, office.office.units.iter(), doing)
            .await?;
    }
    Ok(written)
}

/// A new back office, never over an existing one.
const CREATE: &str = "INSERT INTO back_offices (id, body, secret, created_ns, updated_ns) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";

/// Stores `office` with `change` if no back office has its id: whether it
/// did (two operators connecting one id at once: one of them does).
pub(super) async fn create(
    store: &SqlStore,
    office: &StoredOffice,
    change: &OfficeChange,
) -> Result<bool, StoreError> {
    let doing = "connecting a back office";
    let body = to_json("a back office's configuration", &office.office)?;
    let detail = to_json("a change's detail", &change.detail)?;
    let mut tx = store.begin(doing).await?;
    if write(&mut tx, CREATE, office, body, doing).await? == 0 {
        // taken: nothing written, not even the trail's line
        return Ok(false);
    }
    insert_change(&mut tx, &office.office.id, change, detail, doing).await?;
    tx.commit().await.context(doing)?;
    Ok(true)
}

async fn insert_change(
    tx: &mut crate::db::Tx,
    office: &str,
    change: &OfficeChange,
    detail: String,
    doing: &'static str,
) -> Result<(), StoreError> {
    tx.on()
        .execute(
            INSERT_CHANGE,
            (
                uuid::Uuid::now_v7().to_string(),
                office,
                nanos(change.at)?,
                change.actor.as_str(),
                change.action.as_str(),
                detail,
            ),
        )
        .await
        .context(doing)?;
    Ok(())
}

pub(super) async fn get(store: &SqlStore, id: &str) -> Result<Option<StoredOffice>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM back_offices WHERE id = $1");
    store
        .on()
        .fetch_optional_decoded(&sql, (id,), "reading a back office", decode)
        .await
}

pub(super) async fn all(store: &SqlStore) -> Result<Vec<StoredOffice>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM back_offices ORDER BY id");
    store
        .on()
        .fetch_decoded(&sql, (), "reading the back offices", decode)
        .await
}

pub(super) async fn remove(
    store: &SqlStore,
    id: &str,
    change: &OfficeChange,
) -> Result<bool, StoreError> {
    let doing = "disconnecting a back office";
    let detail = to_json("a change's detail", &change.detail)?;
    let mut tx = store.begin(doing).await?;
    let removed = tx
        .on()
        .execute("DELETE FROM back_offices WHERE id = $1", (id,))
        .await
        .context(doing)?;
    if removed == 0 {
        tx.rollback().await.context(doing)?;
        return Ok(false);
    }
    tx.on()
        .execute("DELETE FROM back_office_sessions WHERE office = $1", (id,))
        .await
        .context(doing)?;
    super::downstream::set_units(&mut tx, id, std::iter::empty(), doing).await?;
    insert_change(&mut tx, id, change, detail, doing).await?;
    tx.commit().await.context(doing)?;
    Ok(true)
}

pub(super) async fn changes(store: &SqlStore, id: &str) -> Result<Vec<OfficeChange>, StoreError> {
    store
        .on()
        .fetch_decoded(
            "SELECT at_ns, actor, action, detail FROM back_office_changes \
             WHERE office = $1 ORDER BY at_ns, id",
            (id,),
            "reading a back office's changes",
            |(at, actor, action, detail): (i64, String, String, String)| {
                Ok(OfficeChange {
                    at: from_nanos(at),
                    actor,
                    action,
                    detail: from_json("a change's detail", &detail)?,
                })
            },
        )
        .await
}

pub(super) async fn open_session(
    store: &SqlStore,
    token_hash: &str,
    office: &str,
    at: DateTime<Utc>,
    expires: DateTime<Utc>,
) -> Result<(), StoreError> {
    let doing = "opening a back office's session";
    let mut tx = store.begin(doing).await?;
    // the expired ones go as new ones come
    tx.on()
        .execute(
            "DELETE FROM back_office_sessions WHERE expires_ns <= $1",
            (nanos(at)?,),
        )
        .await
        .context(doing)?;
    tx.on()
        .execute(
            "INSERT INTO back_office_sessions (token_hash, office, expires_ns) VALUES ($1, $2, $3)",
            (token_hash, office, nanos(expires)?),
        )
        .await
        .context(doing)?;
    tx.commit().await.context(doing)?;
    Ok(())
}

pub(super) async fn session(
    store: &SqlStore,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    store
        .on()
        .scalar_optional::<String>(
            "SELECT office FROM back_office_sessions WHERE token_hash = $1 AND expires_ns > $2",
            (token_hash, nanos(now)?),
        )
        .await
        .context("reading a back office's session")
}

//! The national portal's side of the back offices' synchronisation
//! ([`SyncStore`]): each dossier a back office reports, as known (the
//! version applied, its place in the lifecycle, the last packet), and
//! every message received about it, kept once by its key (dossier and
//! version, or dossier and step) with what was done with it. A message and
//! the state it moves are written in one transaction, the state only from
//! the version the writer read (a concurrent writer's message is refused,
//! to be judged again). Every statement is the same text on both backends.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{from_json, from_nanos, nanos, to_json};
use crate::{Context, SqlStore, StoreError};

mod downstream;
mod offices;

pub use downstream::{DownAck, DownBacklog, DownDue, DownFrom, FeedPosition};

pub use offices::{OfficeChange, StoredOffice};

/// A dossier a back office reports, as the national portal knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Synced {
    /// The dossier's code.
    pub code: String,
    /// The unit that reports it (`madonvi`).
    pub unit: String,
    /// The last version applied (messages without versions count up).
    pub version: u64,
    /// Where it is in the lifecycle.
    pub lifecycle: dossier::Lifecycle,
    /// The last packet applied, as received.
    pub packet: Value,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// The applicant's personal identification number, when the packet
    /// names one.
    pub applicant: Option<String>,
}

/// What was done with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageVerdict {
    /// It moved the dossier.
    Applied,
    /// It said what was known already.
    Duplicate,
    /// It said what came before what is known.
    Stale,
    /// It waits for the message before it.
    Waiting,
    /// It is not lawful: kept for an operator.
    Quarantined,
}

impl MessageVerdict {
    /// How it is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageVerdict::Applied => "applied",
            MessageVerdict::Duplicate => "duplicate",
            MessageVerdict::Stale => "stale",
            MessageVerdict::Waiting => "waiting",
            MessageVerdict::Quarantined => "quarantined",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "applied" => MessageVerdict::Applied,
            "duplicate" => MessageVerdict::Duplicate,
            "stale" => MessageVerdict::Stale,
            "waiting" => MessageVerdict::Waiting,
            "quarantined" => MessageVerdict::Quarantined,
            other => {
                return Err(StoreError::corrupt(
                    "a stored message's verdict",
                    format!("{other:?} is not a verdict"),
                ));
            }
        })
    }
}

/// A message received from a back office.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncMessage {
    /// Its id.
    pub id: uuid::Uuid,
    /// What makes it the same message when sent again (the dossier's code
    /// and its version or step).
    pub key: String,
    /// The dossier it is about.
    pub code: String,
    /// The unit that sent it.
    pub unit: String,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// What was done with it.
    pub verdict: MessageVerdict,
    /// Why, for a quarantined message.
    pub reason: Option<String>,
    /// The message as received.
    pub body: Value,
    /// When an operator resolved it (a quarantined message).
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Messages of one unit and verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitActivity {
    /// The unit.
    pub unit: String,
    /// Their verdict.
    pub verdict: MessageVerdict,
    /// How many.
    pub count: u64,
    /// When the last was received.
    pub last_at: DateTime<Utc>,
}

/// What keeping a message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// The message, and the state it moves, are stored.
    Stored,
    /// A message with its key was kept before: nothing changed.
    AlreadyHad,
    /// The dossier changed since it was read: nothing changed (judge the
    /// message again against what is stored now).
    Conflict,
}

/// Storage of the back offices' synchronisation.
#[async_trait]
pub trait SyncStore: Send + Sync {
    /// A dossier as known, by code.
    async fn synced(&self, code: &str) -> Result<Option<Synced>, StoreError>;
    /// Keeps `message` and, with it, `state` (the dossier as it now is),
    /// written only if the stored version is still `read` (`None`: the
    /// dossier was not known).
    async fn keep(
        &self,
        message: &SyncMessage,
        state: Option<(&Synced, Option<u64>)>,
    ) -> Result<Kept, StoreError>;
    /// The messages about a dossier, in the order received.
    async fn sync_messages(&self, code: &str) -> Result<Vec<SyncMessage>, StoreError>;
    /// The messages of `verdict` not yet resolved (of `unit`, or of
    /// every unit), oldest first, at most `limit`.
    async fn open_messages(
        &self,
        verdict: MessageVerdict,
        unit: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SyncMessage>, StoreError>;
    /// Marks a message resolved; `false` when there is none unresolved
    /// with that id.
    async fn resolve_message(&self, id: uuid::Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// The dossiers whose packets name `applicant` (a personal
    /// identification number), the last changed first, at most `limit`.
    async fn synced_of_applicant(
        &self,
        applicant: &str,
        limit: usize,
    ) -> Result<Vec<Synced>, StoreError>;
    /// The dossiers known of an agency's day (`prefix`: `AGENCY-yymmdd-`,
    /// their codes' beginning, [`day_key`]), by code.
    async fn synced_with_prefix(&self, prefix: &str) -> Result<Vec<Synced>, StoreError>;
    /// The messages received since `since`, per unit and verdict: how
    /// many, and the last one's time.
    async fn unit_activity(&self, since: DateTime<Utc>) -> Result<Vec<UnitActivity>, StoreError>;
    /// The messages left for an operator (quarantined or waiting, not
    /// resolved), per unit and verdict.
    async fn open_counts(&self) -> Result<Vec<UnitActivity>, StoreError>;
    /// The message kept with `key`, if any.
    async fn message_by_key(&self, key: &str) -> Result<Option<SyncMessage>, StoreError>;

    /// Connects or changes a back office, with `change` in its audit trail
    /// (in the same transaction; a new password ends the sessions opened
    /// with the old one); `true` when it was not connected.
    async fn put_office(
        &self,
        office: &StoredOffice,
        change: &OfficeChange,
    ) -> Result<bool, StoreError>;
    /// A back office by id.
    async fn office(&self, id: &str) -> Result<Option<StoredOffice>, StoreError>;
    /// Connects `office`, with `change` in its trail, unless a back office
    /// has its id already: whether it did (nothing is written otherwise).
    async fn create_office(
        &self,
        office: &StoredOffice,
        change: &OfficeChange,
    ) -> Result<bool, StoreError>;
    /// Every back office, by id.
    async fn offices(&self) -> Result<Vec<StoredOffice>, StoreError>;
    /// Disconnects a back office (its sessions end), with `change` in its
    /// audit trail; `false` when it was not connected.
    async fn remove_office(&self, id: &str, change: &OfficeChange) -> Result<bool, StoreError>;
    /// A back office's audit trail, oldest first (kept after it is
    /// disconnected).
    async fn office_changes(&self, id: &str) -> Result<Vec<OfficeChange>, StoreError>;
    /// Opens a session of `office` until `expires`, by the SHA-256 of its
    /// token (the sessions expired at `at` are dropped).
    async fn open_office_session(
        &self,
        token_hash: &str,
        office: &str,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The back office whose session has the token of `token_hash`, if it
    /// has not expired at `now`.
    async fn office_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError>;

    /// The dossiers filed here that `office` has not acknowledged at
    /// their version: those due for a push, or the feed a back office
    /// pulls from its start or after a position ([`DownFrom`]); at most
    /// `limit`.
    async fn down_due(
        &self,
        office: &str,
        from: DownFrom,
        limit: usize,
    ) -> Result<Vec<DownDue>, StoreError>;
    /// Records that `office` acknowledged `code` at `version` (never
    /// moving backwards; only a dossier of its units, at a version it had).
    async fn down_ack(&self, office: &str, code: &str, version: i64)
    -> Result<DownAck, StoreError>;
    /// Records a failed push of `code`: the attempts so far, when to try
    /// again, and why.
    async fn down_failed(
        &self,
        code: &str,
        attempts: i32,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    /// What waits for each back office that has something waiting, by id.
    async fn down_backlog(&self) -> Result<Vec<DownBacklog>, StoreError>;
    /// Makes every failed push to `office` due now; how many.
    async fn down_retry_now(&self, office: &str) -> Result<u64, StoreError>;
    /// Records that `office` read `code` at `version` and holds it back,
    /// and why (counted as a failure, shown to the operators); `false`
    /// when it is not a dossier of its units waiting at that version.
    async fn down_held(
        &self,
        office: &str,
        code: &str,
        version: i64,
        reason: &str,
    ) -> Result<bool, StoreError>;
}

// ---- the statements, the same text on both backends ------------------

const SYNCED_COLUMNS: &str = "code, unit, version, body, updated_ns, applicant";

const SYNCED: &str = "SELECT code, unit, version, body, updated_ns, applicant \
     FROM sync_dossiers WHERE code = $1";

const SYNCED_OF_APPLICANT: &str = "SELECT code, unit, version, body, updated_ns, applicant \
     FROM sync_dossiers WHERE applicant = $1 ORDER BY updated_ns DESC, code DESC LIMIT $2";

const INSERT_MESSAGE: &str = "INSERT INTO sync_messages \
     (id, message_key, code, unit, received_ns, verdict, reason, body, resolved_ns) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL) ON CONFLICT (message_key) DO NOTHING";

/// The dossier's state, made known (when it was not) or changed from the
/// version read (`$6`; -1 when it was not known, which no stored version
/// is). Synchronised dossiers are never deleted, so a writer that read a
/// version finds the row.
const PUT_SYNCED: &str = "INSERT INTO sync_dossiers \
     (code, unit, version, body, updated_ns, day_key, applicant) \
     VALUES ($1, $2, $3, $4, $5, $7, $8) \
     ON CONFLICT (code) DO UPDATE SET unit = excluded.unit, version = excluded.version, \
     body = excluded.body, updated_ns = excluded.updated_ns, applicant = excluded.applicant \
     WHERE sync_dossiers.version = $6";

/// The agency's day of a dossier code shaped `AGENCY-yymmdd-NNNN`
/// (`AGENCY-yymmdd-`), if it is.
pub fn day_key(code: &str) -> Option<String> {
    let (head, number) = code.rsplit_once('-')?;
    let (_, day) = head.rsplit_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(number) && day.len() == 6 && digits(day)).then(|| format!("{head}-"))
}

const MESSAGE_COLUMNS: &str =
    "id, message_key, code, unit, received_ns, verdict, reason, body, resolved_ns";

const RESOLVE: &str = "UPDATE sync_messages SET resolved_ns = $2 \
     WHERE id = $1 AND resolved_ns IS NULL";

type MessageRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    String,
    Option<i64>,
);

fn decode_message(
    (id, key, code, unit, received, verdict, reason, body, resolved): MessageRow,
) -> Result<SyncMessage, StoreError> {
    Ok(SyncMessage {
        id: uuid::Uuid::parse_str(&id).map_err(|e| StoreError::corrupt("a message's id", e))?,
        key,
        code,
        unit,
        received_at: from_nanos(received),
        verdict: MessageVerdict::parse(&verdict)?,
        reason,
        body: from_json("a stored message", &body)?,
        resolved_at: resolved.map(from_nanos),
    })
}

/// The stored body of a synced dossier.
#[derive(serde::Serialize, serde::Deserialize)]
struct SyncedBody {
    lifecycle: dossier::Lifecycle,
    packet: Value,
}

fn version(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

type SyncedRow = (String, String, i64, String, i64, Option<String>);

fn decode_synced(
    (code, unit, v, body, updated, applicant): SyncedRow,
) -> Result<Synced, StoreError> {
    let body: SyncedBody = from_json("a synchronised dossier", &body)?;
    Ok(Synced {
        code,
        unit,
        version: u64::try_from(v)
            .map_err(|e| StoreError::corrupt("a synchronised dossier's version", e))?,
        lifecycle: body.lifecycle,
        packet: body.packet,
        updated_at: from_nanos(updated),
        applicant,
    })
}

fn decode_activity(
    (unit, verdict, count, last): (String, String, i64, i64),
) -> Result<UnitActivity, StoreError> {
    Ok(UnitActivity {
        unit,
        verdict: MessageVerdict::parse(&verdict)?,
        count: u64::try_from(count).unwrap_or(0),
        last_at: from_nanos(last),
    })
}

#[async_trait]
impl SyncStore for SqlStore {
    async fn synced(&self, code: &str) -> Result<Option<Synced>, StoreError> {
        self.on()
            .fetch_optional_decoded(
                SYNCED,
                (code,),
                "reading a synchronised dossier",
                decode_synced,
            )
            .await
    }

    async fn keep(
        &self,
        message: &SyncMessage,
        state: Option<(&Synced, Option<u64>)>,
    ) -> Result<Kept, StoreError> {
        let doing = "keeping a back office's message";
        let body = to_json("the message", &message.body)?;
        let mut tx = self.begin(doing).await?;
        let inserted = tx
            .on()
            .execute(
                INSERT_MESSAGE,
                (
                    message.id.to_string(),
                    message.key.as_str(),
                    message.code.as_str(),
                    message.unit.as_str(),
                    nanos(message.received_at)?,
                    message.verdict.as_str(),
                    message.reason.as_deref(),
                    body,
                ),
            )
            .await
            .context(doing)?;
        if inserted == 0 {
            // dropped: rolled back
            return Ok(Kept::AlreadyHad);
        }
        if let Some((s, read)) = state {
            let body = to_json(
                "the synchronised dossier",
                &SyncedBody {
                    lifecycle: s.lifecycle.clone(),
                    packet: s.packet.clone(),
                },
            )?;
            let updated = nanos(s.updated_at)?;
            let changed = tx
                .on()
                .execute(
                    PUT_SYNCED,
                    (
                        s.code.as_str(),
                        s.unit.as_str(),
                        version(s.version),
                        body,
                        updated,
                        read.map_or(-1, version),
                        day_key(&s.code),
                        s.applicant.as_deref(),
                    ),
                )
                .await
                .context(doing)?;
            if changed == 0 {
                return Ok(Kept::Conflict);
            }
        }
        tx.commit().await.context(doing)?;
        Ok(Kept::Stored)
    }

    async fn sync_messages(&self, code: &str) -> Result<Vec<SyncMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM sync_messages WHERE code = $1 ORDER BY received_ns, id"
        );
        self.on()
            .fetch_decoded(
                &sql,
                (code,),
                "reading a dossier's messages",
                decode_message,
            )
            .await
    }

    async fn open_messages(
        &self,
        verdict: MessageVerdict,
        unit: Option<&str>,
        limit: usize,
    ) -> Result<Vec<SyncMessage>, StoreError> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM sync_messages \
             WHERE verdict = $1 AND resolved_ns IS NULL AND ($2 = '' OR unit = $2) \
             ORDER BY received_ns, id LIMIT $3"
        );
        self.on()
            .fetch_decoded(
                &sql,
                (
                    verdict.as_str(),
                    unit.unwrap_or(""),
                    crate::db::limit_i64(limit),
                ),
                "reading the messages to resolve",
                decode_message,
            )
            .await
    }

    async fn resolve_message(&self, id: uuid::Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .on()
            .execute(RESOLVE, (id.to_string(), nanos(at)?))
            .await
            .context("resolving a message")?;
        Ok(changed == 1)
    }

    async fn synced_of_applicant(
        &self,
        applicant: &str,
        limit: usize,
    ) -> Result<Vec<Synced>, StoreError> {
        self.on()
            .fetch_decoded(
                SYNCED_OF_APPLICANT,
                (applicant, crate::db::limit_i64(limit)),
                "listing a person's synchronised dossiers",
                decode_synced,
            )
            .await
    }

    async fn synced_with_prefix(&self, prefix: &str) -> Result<Vec<Synced>, StoreError> {
        self.on()
            .fetch_decoded(
                &format!(
                    "SELECT {SYNCED_COLUMNS} FROM sync_dossiers WHERE day_key = $1 ORDER BY code"
                ),
                (prefix,),
                "reading an agency's day of synchronised dossiers",
                decode_synced,
            )
            .await
    }

    async fn unit_activity(&self, since: DateTime<Utc>) -> Result<Vec<UnitActivity>, StoreError> {
        self.on()
            .fetch_decoded(
                "SELECT unit, verdict, COUNT(*), MAX(received_ns) FROM sync_messages \
                 WHERE received_ns >= $1 GROUP BY unit, verdict ORDER BY unit, verdict",
                (nanos(since)?,),
                "reading the back offices' activity",
                decode_activity,
            )
            .await
    }

    async fn open_counts(&self) -> Result<Vec<UnitActivity>, StoreError> {
        self.on()
            .fetch_decoded(
                "SELECT unit, verdict, COUNT(*), MAX(received_ns) FROM sync_messages \
                 WHERE resolved_ns IS NULL AND verdict IN ('quarantined', 'waiting') \
                 GROUP BY unit, verdict ORDER BY unit, verdict",
                (),
                "counting the messages left for an operator",
                decode_activity,
            )
            .await
    }

    async fn message_by_key(&self, key: &str) -> Result<Option<SyncMessage>, StoreError> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM sync_messages WHERE message_key = $1");
        self.on()
            .fetch_optional_decoded(&sql, (key,), "reading a message", decode_message)
            .await
    }

    async fn put_office(
        &self,
        office: &StoredOffice,
        change: &OfficeChange,
    ) -> Result<bool, StoreError> {
        offices::put(self, office, change).await
    }

    async fn office(&self, id: &str) -> Result<Option<StoredOffice>, StoreError> {
        offices::get(self, id).await
    }

    async fn create_office(
        &self,
        office: &StoredOffice,
        change: &OfficeChange,
    ) -> Result<bool, StoreError> {
        offices::create(self, office, change).await
    }

    async fn offices(&self) -> Result<Vec<StoredOffice>, StoreError> {
        offices::all(self).await
    }

    async fn remove_office(&self, id: &str, change: &OfficeChange) -> Result<bool, StoreError> {
        offices::remove(self, id, change).await
    }

    async fn office_changes(&self, id: &str) -> Result<Vec<OfficeChange>, StoreError> {
        offices::changes(self, id).await
    }

    async fn open_office_session(
        &self,
        token_hash: &str,
        office: &str,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        offices::open_session(self, token_hash, office, at, expires).await
    }

    async fn office_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        offices::session(self, token_hash, now).await
    }

    async fn down_due(
        &self,
        office: &str,
        from: DownFrom,
        limit: usize,
    ) -> Result<Vec<DownDue>, StoreError> {
        downstream::due(self, office, from, limit).await
    }

    async fn down_ack(
        &self,
        office: &str,
        code: &str,
        version: i64,
    ) -> Result<DownAck, StoreError> {
        downstream::ack(self, office, code, version).await
    }

    async fn down_failed(
        &self,
        code: &str,
        attempts: i32,
        next_at: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        downstream::failed(self, code, attempts, next_at, error).await
    }

    async fn down_backlog(&self) -> Result<Vec<DownBacklog>, StoreError> {
        downstream::backlog(self).await
    }

    async fn down_held(
        &self,
        office: &str,
        code: &str,
        version: i64,
        reason: &str,
    ) -> Result<bool, StoreError> {
        downstream::held(self, office, code, version, reason).await
    }

    async fn down_retry_now(&self, office: &str) -> Result<u64, StoreError> {
        downstream::retry_now(self, office).await
    }
}

#[cfg(test)]
mod tests {
    use super::day_key;

    #[test]
    fn a_codes_day_is_its_beginning() {
        assert_eq!(
            day_key("UBND.25747-261207-0001").as_deref(),
            Some("UBND.25747-261207-")
        );
        assert_eq!(day_key("A-B-261207-12").as_deref(), Some("A-B-261207-"));
        for other in [
            "",
            "261207-0001",
            "X-2612070-0001",
            "X-261207-",
            "X-26120a-1",
            "H56.123",
        ] {
            assert_eq!(day_key(other), None, "{other}");
        }
    }
}

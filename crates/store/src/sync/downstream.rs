//! The dossiers filed here on their way to the back offices of their
//! receiving units: which back office serves which unit (kept with its
//! configuration, in the same transaction), and per dossier the version
//! that back office acknowledged. The outbox is the dossier's own row: a
//! change moves its version, so what waits is `down_version < version`,
//! written with the change by construction; a back office that reads the
//! feed twice, or is pushed to and pulls too, acknowledges a version it
//! has already, which changes nothing.

use chrono::{DateTime, Utc};

use crate::db::{from_nanos, nanos_clamped};
use crate::dossiers::decode_stored;
use crate::{Context, SqlStore, StoreError, StoredDossier};

/// A dossier waiting to be delivered to its back office.
#[derive(Debug, Clone)]
pub struct DownDue {
    /// The dossier as it is now.
    pub stored: StoredDossier,
    /// The version its back office acknowledged (0: none).
    pub acked_version: i64,
    /// Failed pushes since the last acknowledgement.
    pub attempts: i32,
    /// Where it stands in the feed.
    pub position: FeedPosition,
    /// Why the last push failed, or why the back office holds it back.
    pub error: Option<String>,
}

/// Which of the dossiers waiting for a back office are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownFrom {
    /// Those due for a push at this time, the longest waiting first.
    Due(DateTime<Utc>),
    /// The feed from its start: every one, failed pushes too, in the
    /// order of their last change.
    Start,
    /// The feed after a position read before: a reader that pages on
    /// passes what it holds back (a dossier it cannot take yet) and
    /// starts again from the start once it reaches the end, so that a
    /// change committed late, behind its position, is read then.
    After(FeedPosition),
}

/// A place in the feed: a dossier's last change and its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPosition {
    /// When the dossier last changed, in nanoseconds since the epoch.
    pub changed_ns: i64,
    /// Its code.
    pub code: String,
}

impl std::fmt::Display for FeedPosition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}~{}", self.changed_ns, self.code)
    }
}

impl std::str::FromStr for FeedPosition {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (ns, code) = s.trim().split_once('~').ok_or_else(|| {
            format!("{s:?} is not a place in the feed: give the ViTri of the last dossier read")
        })?;
        let changed_ns = ns.parse().map_err(|_| {
            format!("{s:?} is not a place in the feed: give the ViTri of the last dossier read")
        })?;
        if code.is_empty() {
            return Err(format!(
                "{s:?} is not a place in the feed: give the ViTri of the last dossier read"
            ));
        }
        Ok(FeedPosition {
            changed_ns,
            code: code.to_string(),
        })
    }
}

/// What an acknowledgement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownAck {
    /// The version is recorded as delivered.
    Recorded,
    /// That version, or a later one, was acknowledged before.
    Already,
    /// No dossier of the back office's units has the code, or it never
    /// had the version.
    Unknown,
}

/// The dossiers waiting for one back office.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DownBacklog {
    /// The back office.
    pub office: String,
    /// How many.
    pub waiting: u64,
    /// When the one waiting longest changed.
    pub oldest: Option<DateTime<Utc>>,
    /// How many of them failed at least once.
    pub failing: u64,
    /// The last failure's reason and the next try of a failing one.
    pub last_error: Option<(String, DateTime<Utc>)>,
}

const DUE: &str = "SELECT d.body, d.version, d.updated_ns, d.down_version, d.down_attempts, \
     d.down_error \
     FROM dossiers d JOIN back_office_units u ON u.unit = d.agency \
     WHERE u.office = $1 AND d.down_version < d.version AND d.down_next_ns <= $2 \
     ORDER BY d.down_next_ns, d.updated_ns, d.code LIMIT $3";

const FEED: &str = "SELECT d.body, d.version, d.updated_ns, d.down_version, d.down_attempts, \
     d.down_error \
     FROM dossiers d JOIN back_office_units u ON u.unit = d.agency \
     WHERE u.office = $1 AND d.down_version < d.version \
     AND (d.updated_ns > $2 OR (d.updated_ns = $2 AND d.code > $3)) \
     ORDER BY d.updated_ns, d.code LIMIT $4";

const ACK: &str = "UPDATE dossiers SET down_version = $3, down_attempts = 0, down_next_ns = 0, \
     down_error = NULL WHERE code = $2 AND down_version < $3 AND version >= $3 \
     AND agency IN (SELECT unit FROM back_office_units WHERE office = $1)";

const HELD: &str = "UPDATE dossiers SET down_attempts = down_attempts + 1, down_error = $4 \
     WHERE code = $2 AND down_version < $3 AND version = $3 \
     AND agency IN (SELECT unit FROM back_office_units WHERE office = $1)";

const KNOWN: &str = "SELECT d.version FROM dossiers d JOIN back_office_units u ON u.unit = d.agency \
     WHERE u.office = $1 AND d.code = $2";

const FAILED: &str = "UPDATE dossiers SET down_attempts = $2, down_next_ns = $3, down_error = $4 \
     WHERE code = $1 AND down_version < version";

const BACKLOG: &str = "SELECT u.office, COUNT(*), MIN(d.updated_ns), \
     COALESCE(SUM(CASE WHEN d.down_attempts > 0 THEN 1 ELSE 0 END), 0), \
     MAX(CASE WHEN d.down_attempts > 0 THEN d.down_next_ns END) \
     FROM dossiers d JOIN back_office_units u ON u.unit = d.agency \
     WHERE d.down_version < d.version GROUP BY u.office ORDER BY u.office";

const LAST_ERROR: &str = "SELECT d.down_error FROM dossiers d \
     JOIN back_office_units u ON u.unit = d.agency \
     WHERE u.office = $1 AND d.down_version < d.version AND d.down_attempts > 0 \
     ORDER BY d.down_next_ns DESC LIMIT 1";

const RETRY_NOW: &str = "UPDATE dossiers SET down_next_ns = 0 \
     WHERE down_version < version AND down_next_ns > 0 \
     AND agency IN (SELECT unit FROM back_office_units WHERE office = $1)";

type DueRow = (String, i64, i64, i64, i32, Option<String>);

fn decode_due(
    (body, version, updated, acked_version, attempts, error): DueRow,
) -> Result<DownDue, StoreError> {
    let stored = decode_stored((body, version, updated))?;
    let position = FeedPosition {
        changed_ns: updated,
        code: stored.dossier.code.to_string(),
    };
    Ok(DownDue {
        stored,
        acked_version,
        attempts,
        position,
        error,
    })
}

pub(super) async fn due(
    store: &SqlStore,
    office: &str,
    from: DownFrom,
    limit: usize,
) -> Result<Vec<DownDue>, StoreError> {
    let doing = "reading the dossiers to deliver to a back office";
    let limit = crate::db::limit_i64(limit);
    match from {
        DownFrom::Due(now) => {
            store
                .on()
                .fetch_decoded(DUE, (office, nanos_clamped(now), limit), doing, decode_due)
                .await
        }
        DownFrom::Start => {
            store
                .on()
                .fetch_decoded(FEED, (office, i64::MIN, "", limit), doing, decode_due)
                .await
        }
        DownFrom::After(p) => {
            store
                .on()
                .fetch_decoded(
                    FEED,
                    (office, p.changed_ns, p.code.as_str(), limit),
                    doing,
                    decode_due,
                )
                .await
        }
    }
}

pub(super) async fn ack(
    store: &SqlStore,
    office: &str,
    code: &str,
    version: i64,
) -> Result<DownAck, StoreError> {
    let doing = "recording what a back office acknowledged";
    let changed = store
        .on()
        .execute(ACK, (office, code, version))
        .await
        .context(doing)?;
    if changed > 0 {
        return Ok(DownAck::Recorded);
    }
    let known: Option<i64> = store
        .on()
        .scalar_optional(KNOWN, (office, code))
        .await
        .context(doing)?;
    Ok(match known {
        Some(v) if v >= version && version > 0 => DownAck::Already,
        _ => DownAck::Unknown,
    })
}

pub(super) async fn held(
    store: &SqlStore,
    office: &str,
    code: &str,
    version: i64,
    reason: &str,
) -> Result<bool, StoreError> {
    let changed = store
        .on()
        .execute(
            HELD,
            (
                office,
                code,
                version,
                reason.chars().take(1000).collect::<String>(),
            ),
        )
        .await
        .context("recording why a back office holds a dossier back")?;
    Ok(changed > 0)
}

pub(super) async fn failed(
    store: &SqlStore,
    code: &str,
    attempts: i32,
    next_at: DateTime<Utc>,
    error: &str,
) -> Result<(), StoreError> {
    store
        .on()
        .execute(
            FAILED,
            (
                code,
                attempts,
                nanos_clamped(next_at),
                error.chars().take(1000).collect::<String>(),
            ),
        )
        .await
        .context("recording a failure to deliver a dossier")?;
    Ok(())
}

/// A back office, its count, oldest change, failing count and last next
/// try.
type BacklogRow = (String, i64, Option<i64>, i64, Option<i64>);

pub(super) async fn backlog(store: &SqlStore) -> Result<Vec<DownBacklog>, StoreError> {
    let doing = "counting the dossiers to deliver";
    let rows: Vec<BacklogRow> = store.on().fetch_all(BACKLOG, ()).await.context(doing)?;
    let mut out = Vec::with_capacity(rows.len());
    for (office, waiting, oldest, failing, next) in rows {
        let last_error = match next {
            Some(next) if failing > 0 => store
                .on()
                .scalar_optional::<Option<String>>(LAST_ERROR, (office.as_str(),))
                .await
                .context(doing)?
                .flatten()
                .map(|e| (e, from_nanos(next))),
            _ => None,
        };
        out.push(DownBacklog {
            office,
            waiting: u64::try_from(waiting).unwrap_or(0),
            oldest: oldest.map(from_nanos),
            failing: u64::try_from(failing).unwrap_or(0),
            last_error,
        });
    }
    Ok(out)
}

pub(super) async fn retry_now(store: &SqlStore, office: &str) -> Result<u64, StoreError> {
    store
        .on()
        .execute(RETRY_NOW, (office,))
        .await
        .context("making the failed deliveries due now")
}

/// Keeps `units` as the units `office` serves, in `tx` (its configuration
/// is written in the same transaction).
pub(super) async fn set_units(
    tx: &mut crate::db::Tx,
    office: &str,
    units: impl Iterator<Item = &String>,
    doing: &'static str,
) -> Result<(), StoreError> {
    tx.on()
        .execute("DELETE FROM back_office_units WHERE office = $1", (office,))
        .await
        .context(doing)?;
    for unit in units {
        tx.on()
            .execute(
                "INSERT INTO back_office_units (unit, office) VALUES ($1, $2)",
                (unit.as_str(), office),
            )
            .await
            .context(doing)?;
    }
    Ok(())
}

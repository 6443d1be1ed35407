//! The cut-over of closed provincial portals ([`CutoverStore`]): which
//! old codes were brought in and as what (the dossier's own columns
//! `legacy_source`, `legacy_code`, written with it: a dossier and its old
//! code are kept in one insert, and a pair is brought in once), and the
//! review list of the exported dossiers a person decides on first. Every
//! statement is the same text on both backends.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dossier::DossierCode;

use crate::db::{from_nanos, nanos};
use crate::dossiers::decode_stored;
use crate::{Context, SqlStore, StoreError, StoredDossier};

/// An exported dossier on the review list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutoverReview {
    /// The closed portal (the old province's code).
    pub source: String,
    /// The dossier's code there.
    pub old_code: String,
    /// Why, in short (`split_commune`, `unknown_procedure` …).
    pub kind: String,
    /// Why, for the person who decides.
    pub reason: String,
    /// The places one of which is to be chosen.
    pub candidates: Vec<String>,
    /// The line as exported (JSON).
    pub line: String,
    /// When it was first put on the list.
    pub first_at: DateTime<Utc>,
    /// When an import last found it so.
    pub last_at: DateTime<Utc>,
    /// Once decided: when, the dossier it became, and who decided.
    pub settled: Option<(DateTime<Utc>, String, String)>,
}

/// Storage of the cut-over.
#[async_trait]
pub trait CutoverStore: Send + Sync {
    /// The old codes of `source` brought in, each with its new code.
    async fn imported(&self, source: &str) -> Result<HashMap<String, String>, StoreError>;

    /// The dossiers brought in under the old code `old_code` (from any
    /// closed portal: two merged provinces may have used one code).
    async fn by_legacy_code(&self, old_code: &str) -> Result<Vec<StoredDossier>, StoreError>;

    /// Puts `reviews` on the list, or refreshes them (the first time kept;
    /// one decided already stays decided), in one transaction.
    async fn put_reviews(&self, reviews: &[CutoverReview]) -> Result<(), StoreError>;

    /// The list of `source` (every portal: `None`), undecided ones only
    /// (`open_only`), oldest first.
    async fn reviews(
        &self,
        source: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<CutoverReview>, StoreError>;

    /// One dossier of the list.
    async fn review(
        &self,
        source: &str,
        old_code: &str,
    ) -> Result<Option<CutoverReview>, StoreError>;

    /// Records that `old_code` of `source` became `code` (decided by `by`,
    /// or brought in by a later import): whether it was open.
    async fn settle_review(
        &self,
        source: &str,
        old_code: &str,
        code: &DossierCode,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
}

const PUT: &str = "INSERT INTO cutover_reviews \
     (source, old_code, kind, reason, candidates, line, first_ns, last_ns) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
     ON CONFLICT (source, old_code) DO UPDATE SET kind = excluded.kind, \
     reason = excluded.reason, candidates = excluded.candidates, line = excluded.line, \
     last_ns = excluded.last_ns WHERE cutover_reviews.settled_ns IS NULL";

const COLUMNS: &str = "source, old_code, kind, reason, candidates, line, first_ns, last_ns, \
     settled_ns, settled_code, settled_by";

type ReviewRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn decode_review(r: ReviewRow) -> Result<CutoverReview, StoreError> {
    let (source, old_code, kind, reason, candidates, line, first, last, at, code, by) = r;
    Ok(CutoverReview {
        source,
        old_code,
        kind,
        reason,
        candidates: candidates
            .split(' ')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        line,
        first_at: from_nanos(first),
        last_at: from_nanos(last),
        settled: match (at, code) {
            (Some(at), Some(code)) => Some((from_nanos(at), code, by.unwrap_or_default())),
            _ => None,
        },
    })
}

#[async_trait]
impl CutoverStore for SqlStore {
    async fn imported(&self, source: &str) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = self
            .on()
            .fetch_all(
                "SELECT legacy_code, code FROM dossiers WHERE legacy_source = $1",
                (source,),
            )
            .await
            .context("reading the dossiers brought in")?;
        Ok(rows.into_iter().collect())
    }

    async fn by_legacy_code(&self, old_code: &str) -> Result<Vec<StoredDossier>, StoreError> {
        self.on()
            .fetch_decoded(
                "SELECT body, version, updated_ns FROM dossiers WHERE legacy_code = $1 \
                 ORDER BY legacy_source",
                (old_code.trim(),),
                "finding a dossier by its old code",
                decode_stored,
            )
            .await
    }

    async fn put_reviews(&self, reviews: &[CutoverReview]) -> Result<(), StoreError> {
        if reviews.is_empty() {
            return Ok(());
        }
        let doing = "putting dossiers on the review list";
        let mut tx = self.begin(doing).await?;
        for r in reviews {
            tx.on()
                .execute(
                    PUT,
                    (
                        r.source.as_str(),
                        r.old_code.as_str(),
                        r.kind.as_str(),
                        r.reason.as_str(),
                        r.candidates.join(" "),
                        r.line.as_str(),
                        nanos(r.last_at)?,
                    ),
                )
                .await
                .context(doing)?;
        }
        tx.commit().await.context(doing)
    }

    async fn reviews(
        &self,
        source: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<CutoverReview>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM cutover_reviews \
             WHERE ($1 = '' OR source = $1) AND ($2 = 0 OR settled_ns IS NULL) \
             ORDER BY first_ns, source, old_code"
        );
        self.on()
            .fetch_decoded(
                &sql,
                (source.unwrap_or(""), i32::from(open_only)),
                "reading the review list",
                decode_review,
            )
            .await
    }

    async fn review(
        &self,
        source: &str,
        old_code: &str,
    ) -> Result<Option<CutoverReview>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM cutover_reviews WHERE source = $1 AND old_code = $2");
        self.on()
            .fetch_optional_decoded(
                &sql,
                (source, old_code),
                "reading a dossier of the review list",
                decode_review,
            )
            .await
    }

    async fn settle_review(
        &self,
        source: &str,
        old_code: &str,
        code: &DossierCode,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .on()
            .execute(
                "UPDATE cutover_reviews SET settled_ns = $1, settled_code = $2, settled_by = $3 \
                 WHERE source = $4 AND old_code = $5 AND settled_ns IS NULL",
                (nanos(at)?, code.to_string(), by, source, old_code),
            )
            .await
            .context("settling a dossier of the review list")?;
        Ok(changed == 1)
    }
}

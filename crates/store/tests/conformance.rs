//! One conformance suite for every backend.
//!
//! Each check below is written once against a [`Harness`] and instantiated
//! by `conformance!` as `sqlite::<check>` (a fresh file in a temporary
//! directory) and `postgres::<check>` (a fresh schema in the database named
//! by `MOTCUA_TEST_DATABASE_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`, dropped afterwards).
//!
//! The checks of the population registry's storage are in
//! `conformance/population.rs`, those of the exchange layer's in
//! `conformance/exchange_log.rs`, those of asynchronous delivery (outbox,
//! subscriptions, de-duplication) in `conformance/delivery.rs`, those of the
//! OpenID Connect provider (clients, signing keys, codes, refresh tokens,
//! revocations of tokens and grants) in `conformance/oidc.rs`.
//!
//! An unreachable PostgreSQL fails the PostgreSQL checks, unless
//! `MOTCUA_TEST_SKIP_POSTGRES=1`, which skips them (and says so).

use std::io::Write as _;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use store::{Backend, ErrorKind, Location, Store, UnitCounts};
use units::Units;

#[path = "conformance/accounts.rs"]
mod accounts;
#[path = "conformance/cutover.rs"]
mod cutover;
#[path = "conformance/delivery.rs"]
mod delivery_store;
#[path = "conformance/dossiers.rs"]
mod dossiers;
#[path = "conformance/exchange_log.rs"]
mod exchange_log;
#[path = "conformance/oidc.rs"]
mod oidc;
#[path = "conformance/population.rs"]
mod population;
#[path = "conformance/sync.rs"]
mod sync;

use accounts::*;
use cutover::*;
use delivery_store::*;
use dossiers::*;
use exchange_log::*;
use oidc::*;
use population::*;
use sync::*;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

enum Target {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        url: String,
        schema: String,
    },
}

/// A fresh, empty database for one check, and raw SQL access to it.
struct Harness {
    target: Target,
}

impl Harness {
    fn sqlite() -> Harness {
        let dir = tempfile::tempdir().expect("temporary directory");
        // nested: opening must create the missing directories
        let path = dir.path().join("data").join("nested").join("motcua.db");
        Harness {
            target: Target::Sqlite { _dir: dir, path },
        }
    }

    /// A fresh schema, or `None` when PostgreSQL checks are to be skipped.
    async fn postgres(test: &str) -> Option<Harness> {
        if std::env::var("MOTCUA_TEST_SKIP_POSTGRES").as_deref() == Ok("1") {
            // not through print!: libtest would swallow it for a passing test
            let _ = writeln!(
                std::io::stderr(),
                "postgres::{test}: SKIPPED (MOTCUA_TEST_SKIP_POSTGRES=1)"
            );
            return None;
        }
        let url = std::env::var("MOTCUA_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PG_URL.to_string());
        let shown = Location::Postgres(url.clone()).to_string();
        let unreachable = |reason: String| -> ! {
            panic!(
                "the conformance suite needs PostgreSQL, and {shown} is unreachable: {reason}\n\
                 Start it, point MOTCUA_TEST_DATABASE_URL at a database you may create \
                 schemas in, or set MOTCUA_TEST_SKIP_POSTGRES=1 to skip the PostgreSQL checks."
            )
        };
        let mut conn =
            match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url)).await {
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => unreachable(e.to_string()),
                Err(_) => unreachable("no answer within 5 s".to_string()),
            };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let schema = format!(
            "motcua_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::raw_sql(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .expect("create the test schema");
        let _ = conn.close().await;
        Some(Harness {
            target: Target::Postgres { url, schema },
        })
    }

    fn backend(&self) -> Backend {
        match self.target {
            Target::Sqlite { .. } => Backend::Sqlite,
            Target::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Opens (creating and migrating) the store under test.
    async fn open(&self) -> Arc<dyn Store> {
        let opened = match &self.target {
            Target::Sqlite { path, .. } => store::open(&Location::SqliteFile(path.clone())).await,
            Target::Postgres { url, schema } => store::open_postgres_in_schema(url, schema).await,
        };
        match opened {
            Ok(store) => store,
            Err(e) => panic!("open the {:?} store: {e}", self.backend()),
        }
    }

    /// Runs SQL on the database under test, behind the store's back.
    async fn execute(&self, sql: &str) {
        let result = match &self.target {
            Target::Sqlite { path, .. } => {
                let options = SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_secs(5));
                let mut conn = SqliteConnection::connect_with(&options)
                    .await
                    .expect("raw SQLite connection");
                let r = sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ());
                let _ = conn.close().await;
                r
            }
            Target::Postgres { url, schema } => {
                let options = PgConnectOptions::from_str(url)
                    .expect("PostgreSQL URL")
                    .options([("search_path", schema.as_str())]);
                let mut conn = PgConnection::connect_with(&options)
                    .await
                    .expect("raw PostgreSQL connection");
                let r = sqlx::raw_sql(sql).execute(&mut conn).await.map(|_| ());
                let _ = conn.close().await;
                r
            }
        };
        if let Err(e) = result {
            panic!("raw SQL failed: {e}\n{sql}");
        }
    }
}

impl Drop for Harness {
    /// Drops the PostgreSQL schema, even when the check panicked. Runs on a
    /// thread of its own: the test's runtime is not usable from `drop`.
    fn drop(&mut self) {
        let Target::Postgres { url, schema } = &self.target else {
            return;
        };
        let (url, schema) = (url.clone(), schema.clone());
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async {
                let mut conn = PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::raw_sql(&format!(
                    "SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS {schema} CASCADE"
                ))
                .execute(&mut conn)
                .await
                .map_err(|e| e.to_string())?;
                let _ = conn.close().await;
                Ok(())
            })
        })
        .join();
        if let Ok(Err(e)) | Err(e) = dropped.map_err(|_| "panicked".to_string()) {
            let _ = writeln!(std::io::stderr(), "could not drop the test schema: {e}");
        }
    }
}

/// Generates `mod sqlite` and `mod postgres`, one `#[tokio::test]` per check.
macro_rules! conformance {
    ($($check:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $check() {
                    let harness = super::Harness::sqlite();
                    super::$check(&harness).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $check() {
                    if let Some(harness) = super::Harness::postgres(stringify!($check)).await {
                        super::$check(&harness).await;
                    }
                }
            )+
        }
    };
}

conformance!(
    open_creates_and_migrates_a_fresh_database,
    reopening_is_idempotent,
    ping_answers,
    sync_writes_every_table,
    second_sync_writes_nothing,
    successors_match_the_units_data,
    changed_version_triggers_a_rewrite,
    concurrent_syncs_write_once,
    // the population registry
    events_derive_the_current_record,
    as_of_queries_at_past_instants,
    partial_birth_dates_are_stored_and_matched,
    event_ids_are_immutable,
    lookups_are_ranked,
    household_members_and_relatives,
    bulk_load_writes_derived_people,
    concurrent_appends_keep_the_record_whole,
    // the exchange layer
    log_append_range_and_tamper_detection,
    log_batches_append_all_or_nothing,
    consent_is_given_and_withdrawn,
    tracker_shows_exactly_the_accesses_made,
    concurrent_log_writers_cannot_fork_the_chain,
    // asynchronous delivery
    appended_events_are_queued_in_the_outbox,
    bulk_loads_are_not_queued,
    subscriptions_are_stored_replaced_and_ended,
    deduplication_is_persisted_per_consumer,
    // the OpenID Connect provider
    clients_are_registered_replaced_and_removed,
    signing_keys_start_once_and_rotate,
    revoked_tokens_are_remembered_until_they_expire,
    authorization_codes_are_redeemed_once,
    refresh_tokens_rotate_and_a_reuse_revokes_the_family,
    a_revoked_grant_ends_its_tokens_until_they_expire,
    one_time_ids_are_used_once,
    the_pairwise_salt_is_kept_once_and_identifiers_map_back,
    pushed_requests_live_until_they_expire_or_are_used,
    // eID accounts
    accounts_are_found_by_subject_and_by_log_in_identifier,
    a_tokens_account_is_read_with_its_revocation,
    failed_log_ins_lock_the_account_and_a_success_resets,
    a_one_time_code_step_is_accepted_once,
    the_audit_trail_lists_newest_first,
    sessions_live_until_they_expire_or_end,
    consents_are_remembered_per_client,
    passkeys_and_their_challenges,
    applications_are_queued_by_deadline_and_keep_their_history,
    // dossiers
    dossier_codes_are_gapless_and_unique_under_concurrency,
    two_stores_on_one_database_number_an_agencys_day_without_gaps,
    a_refused_dossier_gives_its_number_back,
    online_filings_leave_the_last_numbers_of_the_day_to_the_counter,
    dossiers_and_the_reads_made_for_them_commit_together,
    a_batch_longer_than_one_statement_is_stored_whole,
    dossier_changes_are_versioned_and_notify_in_the_same_transaction,
    every_change_waits_to_be_sent_upstream_until_acknowledged,
    every_change_waits_for_its_back_office_until_acknowledged,
    a_delivered_dossier_keeps_its_code_and_the_counter_numbers_after_the_online_range,
    queues_lists_and_service_figures_follow_the_dossiers,
    agency_staff_is_recorded_per_agency,
    attachments_are_kept_per_document_with_their_digest,
    organisations_know_their_people_authorisations_and_legacy_logins,
    // the back offices' synchronisation
    back_office_messages_are_kept_once_with_the_state_they_move,
    quarantined_messages_wait_for_an_operator_per_unit,
    back_offices_are_configured_with_an_audit_trail_and_sessions,
    a_message_is_found_by_its_key,
    a_new_password_ends_the_sessions_of_the_old,
    an_agencys_day_is_read_by_its_code_prefix,
    a_persons_synchronised_dossiers_are_listed_the_last_changed_first,
    each_units_activity_and_open_messages_are_counted,
    a_back_office_is_connected_once_whoever_comes_second,
    // the cut-over of closed portals
    a_dossier_brought_in_keeps_its_old_code_once,
    the_review_list_keeps_each_dossier_once_until_decided,
    a_batch_over_days_far_apart_numbers_each_day_after_its_last,
);

const NOTHING: UnitCounts = UnitCounts {
    provinces: 0,
    communes: 0,
    legacy_provinces: 0,
    legacy_districts: 0,
    legacy_communes: 0,
    conversion_rows: 0,
};

async fn open_creates_and_migrates_a_fresh_database(h: &Harness) {
    let store = h.open().await;
    assert_eq!(store.backend(), h.backend());
    if let Target::Sqlite { path, .. } = &h.target {
        assert!(path.is_file(), "{} was not created", path.display());
    }
    // the tables exist (the count query touches every one) and are empty
    assert_eq!(store.count_units().await.expect("count"), NOTHING);
    assert_eq!(store.units_version().await.expect("version"), None);
    assert_eq!(
        store.stored_successors("00007").await.expect("successors"),
        []
    );
}

async fn reopening_is_idempotent(h: &Harness) {
    let units = Units::get();
    let first = h.open().await;
    first.sync_units(units).await.expect("sync");
    drop(first);
    // a second open finds the migrations applied and the data in place
    let second = h.open().await;
    let third = h.open().await;
    for store in [&second, &third] {
        assert_eq!(
            store.units_version().await.expect("version"),
            Some(units::dataset_version())
        );
        assert_eq!(
            store.count_units().await.expect("count"),
            UnitCounts::of(units)
        );
    }
}

async fn ping_answers(h: &Harness) {
    let store = h.open().await;
    for _ in 0..3 {
        store.ping().await.expect("ping");
    }
}

async fn sync_writes_every_table(h: &Harness) {
    let units = Units::get();
    let store = h.open().await;
    let sync = store.sync_units(units).await.expect("sync");
    assert!(sync.written);
    assert_eq!(sync.version, units::dataset_version());
    assert_eq!(
        store.units_version().await.expect("version"),
        Some(sync.version)
    );
    let counts = store.count_units().await.expect("count");
    assert_eq!(counts, UnitCounts::of(units));
    // the published sizes, so that an empty data set cannot pass
    assert_eq!(counts.provinces, 34);
    assert_eq!(counts.communes, 3321);
    assert_eq!(counts.legacy_provinces, 63);
    assert_eq!(counts.legacy_districts, 696);
    assert_eq!(counts.legacy_communes, 10035);
    assert_eq!(counts.conversion_rows, 10565);
}

async fn second_sync_writes_nothing(h: &Harness) {
    let units = Units::get();
    let store = h.open().await;
    assert!(store.sync_units(units).await.expect("first sync").written);
    let again = store.sync_units(units).await.expect("second sync");
    assert!(!again.written);
    assert_eq!(again.version, units::dataset_version());
    // nor does a freshly opened store
    let reopened = h.open().await;
    assert!(!reopened.sync_units(units).await.expect("sync").written);
    assert_eq!(
        reopened.count_units().await.expect("count"),
        UnitCounts::of(units)
    );
}

fn expected_successors(units: &Units, legacy_commune_code: &str) -> Vec<(String, bool)> {
    units
        .successors(legacy_commune_code)
        .unwrap_or_default()
        .iter()
        .map(|s| (s.commune_code.clone(), s.partly_merged))
        .collect()
}

async fn successors_match_the_units_data(h: &Harness) {
    let units = Units::get();
    let store = h.open().await;
    store.sync_units(units).await.expect("sync");

    // Cống Vị was split between Ngọc Hà and Giảng Võ
    let cong_vi = store.stored_successors("00007").await.expect("successors");
    assert_eq!(
        cong_vi,
        [("00008".to_string(), true), ("00025".to_string(), true)]
    );
    assert_eq!(cong_vi, expected_successors(units, "00007"));
    // a whole commune, one left out of the official table, an unknown code
    for code in ["00001", "01651", "99999"] {
        assert_eq!(
            store.stored_successors(code).await.expect("successors"),
            expected_successors(units, code),
            "{code}"
        );
    }

    // every split legacy commune
    let split: Vec<&str> = units
        .legacy_communes()
        .iter()
        .map(|c| c.code.as_str())
        .filter(|code| units.successors(code).is_some_and(|s| s.len() > 1))
        .collect();
    assert!(split.len() > 100, "only {} split communes", split.len());
    for code in split {
        assert_eq!(
            store.stored_successors(code).await.expect("successors"),
            expected_successors(units, code),
            "{code}"
        );
    }
}

async fn changed_version_triggers_a_rewrite(h: &Harness) {
    let units = Units::get();
    let store = h.open().await;
    store.sync_units(units).await.expect("sync");

    // an older data set: another version, a unit that no longer exists and
    // a conversion row that was missing
    h.execute(
        "UPDATE meta SET value = '2024.01-older' WHERE key = 'units_version';\n\
         INSERT INTO legacy_provinces (code, name, short_name, lat, lon) \
         VALUES ('ZZ', 'Tỉnh Cũ', 'Cũ', 0, 0);\n\
         DELETE FROM commune_conversion WHERE old_commune_code = '00007';",
    )
    .await;
    assert_eq!(
        store.units_version().await.expect("version").as_deref(),
        Some("2024.01-older")
    );
    let stale = store.count_units().await.expect("count");
    assert_eq!(
        stale.legacy_provinces,
        UnitCounts::of(units).legacy_provinces + 1
    );
    assert_eq!(
        stale.conversion_rows,
        UnitCounts::of(units).conversion_rows - 2
    );

    let sync = store.sync_units(units).await.expect("resync");
    assert!(sync.written, "a different stored version must be replaced");
    assert_eq!(sync.version, units::dataset_version());
    assert_eq!(
        store.units_version().await.expect("version"),
        Some(units::dataset_version())
    );
    assert_eq!(
        store.count_units().await.expect("count"),
        UnitCounts::of(units)
    );
    assert_eq!(
        store.stored_successors("00007").await.expect("successors"),
        expected_successors(units, "00007")
    );
    assert!(!store.sync_units(units).await.expect("sync").written);
}

async fn concurrent_syncs_write_once(h: &Harness) {
    let units = Units::get();
    let (a, b) = (h.open().await, h.open().await);
    let (ra, rb) = tokio::join!(a.sync_units(units), b.sync_units(units));
    let (ra, rb) = (ra.expect("sync a"), rb.expect("sync b"));
    assert!(
        ra.written != rb.written,
        "exactly one of two concurrent syncs writes: {ra:?} {rb:?}"
    );
    assert_eq!(a.count_units().await.expect("count"), UnitCounts::of(units));
}

// ---- backend-specific opening errors -------------------------------------

#[tokio::test]
async fn unreachable_postgres_is_named_without_the_password() {
    // port 1: nothing listens there, the connection is refused at once
    let location = Location::parse(
        Some("postgres://motcua:hunter22@127.0.0.1:1/motcua"),
        std::path::Path::new("/unused"),
    )
    .expect("a PostgreSQL URL");
    let e = match store::open(&location).await {
        Ok(_) => panic!("nothing listens on port 1"),
        Err(e) => e,
    };
    let message = e.to_string();
    assert_eq!(e.kind(), ErrorKind::Open, "{message}");
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!message.contains("hunter22"), "{message}");
}

#[tokio::test]
async fn an_unusable_sqlite_path_is_named() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("write");
    let path = file.join("motcua.db");
    let e = match store::open(&Location::SqliteFile(path)).await {
        Ok(_) => panic!("a file cannot hold a directory"),
        Err(e) => e,
    };
    let message = e.to_string();
    assert_eq!(e.kind(), ErrorKind::Open, "{message}");
    assert!(message.contains("a-file"), "{message}");
}

// ---- load rate (not run by default) ---------------------------------------

/// Loads 100,000 synthetic people (three events each) in batches of 10,000
/// and reports people/s. Run with
/// `cargo test --release -p store --test conformance -- --ignored load_rate --nocapture`.
async fn measure_load_rate(h: &Harness) {
    const PEOPLE: u32 = 100_000;
    const BATCH: u32 = 10_000;
    let store = h.open().await;
    let started = std::time::Instant::now();
    let mut derive_and_write = Duration::ZERO;
    for first in (0..PEOPLE).step_by(BATCH as usize) {
        let events = synthetic(BATCH, first + 1);
        let t = std::time::Instant::now();
        let loaded = store.registry().load_people(&events).await.expect("load");
        derive_and_write += t.elapsed();
        assert_eq!(loaded, BATCH as usize);
    }
    let total = started.elapsed();
    let _ = writeln!(
        std::io::stderr(),
        "{:?}: {PEOPLE} people ({} events) in {:.2} s: {:.0} people/s, {:.0} event rows/s \
         (load_people alone: {:.0} people/s)",
        h.backend(),
        PEOPLE * 3,
        total.as_secs_f64(),
        f64::from(PEOPLE) / total.as_secs_f64(),
        f64::from(PEOPLE * 3) / total.as_secs_f64(),
        f64::from(PEOPLE) / derive_and_write.as_secs_f64(),
    );
    if let Target::Sqlite { path, .. } = &h.target {
        // the WAL is checkpointed into the file when the pool closes
        drop(store);
        let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(path.with_extension("db-wal"))
                .map(|m| m.len())
                .unwrap_or(0);
        let _ = writeln!(
            std::io::stderr(),
            "Sqlite: {} bytes on disk per person",
            bytes / u64::from(PEOPLE)
        );
    }
    if let Target::Postgres { url, schema } = &h.target {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let bytes: i64 = sqlx::query_scalar(
            "SELECT sum(pg_total_relation_size(c.oid))::int8 FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relkind = 'r'",
        )
        .bind(schema)
        .fetch_one(&mut conn)
        .await
        .expect("size");
        let _ = writeln!(
            std::io::stderr(),
            "Postgres: {} bytes on disk per person (tables, TOAST and indexes)",
            bytes / i64::from(PEOPLE)
        );
        let _ = conn.close().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture, preferably --release"]
async fn load_rate_sqlite() {
    measure_load_rate(&Harness::sqlite()).await;
}

/// The same load from four concurrent writers (PostgreSQL writes disjoint
/// batches in parallel; SQLite serialises them).
async fn measure_parallel_load_rate(h: &Harness) {
    const PEOPLE: u32 = 100_000;
    const BATCH: u32 = 10_000;
    const WRITERS: u32 = 4;
    let store = h.open().await;
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut first = w * BATCH;
            while first < PEOPLE {
                let events = synthetic(BATCH, first + 1);
                store.registry().load_people(&events).await.expect("load");
                first += WRITERS * BATCH;
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer");
    }
    let total = started.elapsed();
    let _ = writeln!(
        std::io::stderr(),
        "{:?}, {WRITERS} writers: {PEOPLE} people in {:.2} s: {:.0} people/s",
        h.backend(),
        total.as_secs_f64(),
        f64::from(PEOPLE) / total.as_secs_f64(),
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture, preferably --release"]
async fn load_rate_parallel_sqlite() {
    measure_parallel_load_rate(&Harness::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture, preferably --release"]
async fn load_rate_parallel_postgres() {
    if let Some(h) = Harness::postgres("load_rate_parallel").await {
        measure_parallel_load_rate(&h).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement: run with --ignored --nocapture, preferably --release"]
async fn load_rate_postgres() {
    if let Some(h) = Harness::postgres("load_rate").await {
        measure_load_rate(&h).await;
    }
}

#[test]
#[ignore = "a measurement"]
fn derive_and_encode_rate() {
    let events = synthetic(10_000, 1);
    let started = std::time::Instant::now();
    let (mut record_bytes, mut event_bytes) = (0, 0);
    for own in events.chunks(3) {
        let p = registry::Person::derive(own).expect("derive");
        record_bytes += serde_json::to_string(&p).expect("json").len();
        for e in own {
            event_bytes += serde_json::to_string(e).expect("json").len();
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "derive+encode: {:.0} people/s; per person: record {} bytes, 3 events {} bytes",
        10_000.0 / started.elapsed().as_secs_f64(),
        record_bytes / 10_000,
        event_bytes / 10_000
    );
}

//! The PostgreSQL backend (production): connecting (a bounded pool, a
//! connect timeout, an optional schema) and migrating, the URL shown
//! without its password, and the array parameters of its `UNNEST`
//! inserts.

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::{ErrorKind, StoreError, describe};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long to wait for a connection (also bounds the first connection
/// made on open).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_CONNECTIONS: u32 = 10;
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);
/// A connection idle longer than this is pinged before it is used (one
/// round trip); a busy one is not: pinging before every query would double
/// the round trips of a busy server, and a connection in use fails loudly
/// anyway.
const PING_WHEN_IDLE: Duration = Duration::from_secs(1);

/// Checks that `url` is a PostgreSQL URL sqlx can read, without repeating it.
pub(crate) fn check_url(url: &str) -> Result<PgConnectOptions, StoreError> {
    PgConnectOptions::from_str(url).map_err(|e| {
        // no source: the message is scrubbed of the password, a source
        // would not be
        StoreError::new(
            ErrorKind::InvalidLocation,
            scrub(
                &format!("the PostgreSQL URL cannot be read: {}", describe(&e)),
                url,
            ),
        )
    })
}

/// The URL with the password (in the user info or a `password=` query
/// parameter) replaced by `***`.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<not a URL>".to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    // The user info ends at the last `@` before the query: a password with
    // an unescaped `@` or `/` is still hidden (at worst, too much is).
    let mut out = format!("{scheme}://");
    match before_query.rsplit_once('@') {
        Some((userinfo, host_and_path)) => {
            match userinfo.split_once(':') {
                Some((user, _password)) => out.push_str(&format!("{user}:***@")),
                None => out.push_str(&format!("{userinfo}@")),
            }
            out.push_str(host_and_path);
        }
        None => out.push_str(before_query),
    }
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|kv| {
                if kv.to_ascii_lowercase().starts_with("password=") {
                    "password=***".to_string()
                } else {
                    kv.to_string()
                }
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// Removes any password the URL holds from `message` (belt and braces: the
/// messages built here should not contain one).
fn scrub(message: &str, url: &str) -> String {
    let redacted = redact_url(url);
    let mut message = message.replace(url, &redacted);
    for secret in passwords(url) {
        // replacing one or two characters everywhere would mangle the
        // message without hiding anything worth hiding
        if secret.len() >= 3 {
            message = message.replace(&secret, "***");
        }
    }
    message
}

fn passwords(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Some((_, rest)) = url.split_once("://") else {
        return found;
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    if let Some((userinfo, _)) = before_query.rsplit_once('@')
        && let Some((_, password)) = userinfo.split_once(':')
    {
        found.push(password.to_string());
    }
    if let Some(query) = query {
        for kv in query.split('&') {
            if let Some((k, v)) = kv.split_once('=')
                && k.eq_ignore_ascii_case("password")
            {
                found.push(v.to_string());
            }
        }
    }
    found
}

/// A schema name safe to put in a connection option unquoted.
fn valid_schema(schema: &str) -> bool {
    !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !schema.starts_with(|c: char| c.is_ascii_digit())
}

/// Connects (bounded pool, connect timeout) and migrates. With `schema`,
/// every connection uses it as its `search_path`.
pub(crate) async fn open(url: &str, schema: Option<&str>) -> Result<PgPool, StoreError> {
    let mut options = check_url(url)?.application_name("motcua");
    let target = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("")
    );
    if let Some(schema) = schema {
        if !valid_schema(schema) {
            return Err(StoreError::new(
                ErrorKind::InvalidLocation,
                format!("invalid schema name {schema:?} (lower-case letters, digits and _ only)"),
            ));
        }
        options = options.options([("search_path", schema)]);
    }
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .min_connections(0)
        .acquire_timeout(CONNECT_TIMEOUT)
        .idle_timeout(IDLE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_WHEN_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| {
            let reason = match e {
                sqlx::Error::PoolTimedOut => format!(
                    "no connection within {} s (is the server running and reachable?)",
                    CONNECT_TIMEOUT.as_secs()
                ),
                e => describe(&e),
            };
            StoreError::new(
                ErrorKind::Open,
                scrub(
                    &format!("cannot connect to PostgreSQL at {target}: {reason}"),
                    url,
                ),
            )
        })?;
    tracing::debug!(%target, "running PostgreSQL migrations");
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StoreError::new(ErrorKind::Migration, scrub(&e.to_string(), url)))?;
    tracing::debug!(%target, "PostgreSQL schema is up to date");
    Ok(pool)
}

/// The values of one column, borrowed from the rows (an array parameter
/// of an `UNNEST` insert).
pub(crate) fn column<'a, T, V>(rows: &'a [T], f: impl Fn(&'a T) -> V) -> Vec<V> {
    rows.iter().map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/m"),
            "postgres://app:***@db:5432/m"
        );
        assert_eq!(
            redact_url("postgres://app@db/m?sslmode=require"),
            "postgres://app@db/m?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://db/m?user=a&password=s3cret"),
            "postgres://db/m?user=a&password=***"
        );
        assert_eq!(
            redact_url("postgres://app:p@ss/w@db/m"),
            "postgres://app:***@db/m"
        );
        assert_eq!(
            scrub("oops s3cret here", "postgres://a:s3cret@h/d"),
            "oops *** here"
        );
    }

    #[test]
    fn schema_names() {
        assert!(valid_schema("motcua_t_1_2"));
        assert!(!valid_schema("a b"));
        assert!(!valid_schema("A"));
        assert!(!valid_schema("1a"));
        assert!(!valid_schema(""));
    }
}

//! `motcua bench dossier-requests`: dossiers to file over HTTP, for a load
//! generator (bench/run-dossiers drives `wrk` with them).
//!
//! People of the generated population the store holds (`registry load
//! --people N --seed S`, the same N and S here) get eID accounts; each
//! logs in through the running server's real authorization-code flow (the
//! log-in page, the password, the code redeemed at the token endpoint) for
//! an access token; each request files a birth registration at the
//! person's commune with that token. The server checks the token, reads
//! the person (and their spouse) from the registry through the exchange,
//! validates the form, numbers and stores the dossier with its first
//! notice, and logs the read.
//!
//! The output is a Lua file that returns an array of raw HTTP/1.1
//! requests, as for `bench exchange-requests`.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use identity::client::{AuthMethod, Client, ClientId, GrantType, SecretHash, SubjectType};

use crate::store_args::StoreArgs;

/// The bench's relying party.
const CLIENT: &str = "bench-portal";
const SECRET: &str = "YmVuY2gtcG9ydGFsLXNlY3JldC0zMi1ieXRlcy1sb25n";
const REDIRECT: &str = "http://127.0.0.1/bench-callback";
const VERIFIER: &str = "bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

#[derive(clap::Args)]
pub struct DossierRequestsArgs {
    /// The server's base URL: `http://HOST:PORT` (its issuer).
    #[arg(long, value_name = "URL")]
    url: String,
    /// How many people the store was loaded with (`registry load`).
    #[arg(long, value_name = "N")]
    people: u64,
    /// Their seed.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// How many of them file (each logs in once; the server allows 60
    /// log-ins a minute from one address).
    #[arg(long, value_name = "N", default_value_t = 48)]
    applicants: usize,
    /// How many requests to write (the applicants in turn).
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    count: usize,
    /// The password given to the applicants' accounts.
    #[arg(long, default_value = "bench password 2026")]
    password: String,
    #[command(flatten)]
    store: StoreArgs,
    /// The Lua file to write.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
}

fn pkce_challenge() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(VERIFIER))
}

fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

/// Undoes HTML escaping: named `&amp; &lt; &gt; &quot; &apos;` and numeric
/// (`&#39;`, `&#x2F;`) references.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        let decoded = tail.find(';').and_then(|end| {
            let entity = &tail[..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => match entity.strip_prefix('#') {
                    Some(n) => match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.parse().ok(),
                    }
                    .and_then(char::from_u32),
                    None => None,
                },
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Logs `pin` in through the authorization-code flow; the access token.
async fn log_in(
    http: &reqwest::Client,
    base: &str,
    pin: &str,
    password: &str,
) -> anyhow::Result<String> {
    let query = serde_urlencoded::to_string([
        ("client_id", CLIENT),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile pid dossiers"),
        ("state", "bench"),
        ("code_challenge", &pkce_challenge()),
        ("code_challenge_method", "S256"),
    ])?;
    let page = http
        .get(format!("{base}/oidc/authorize?{query}"))
        .send()
        .await?;
    let csrf = cookie(&page, "motcua_csrf").context("the log-in page set no CSRF cookie")?;
    let html = page.text().await?;
    let form = [
        (
            "csrf_token",
            hidden(&html, "csrf_token").context("no csrf_token on the log-in page")?,
        ),
        (
            "request",
            hidden(&html, "request").context("no request on the log-in page")?,
        ),
        ("identifier", pin.to_string()),
        ("password", password.to_string()),
    ];
    let done = http
        .post(format!("{base}/oidc/login"))
        .header("cookie", format!("motcua_csrf={csrf}"))
        .form(&form)
        .send()
        .await?;
    let location = done
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .with_context(|| format!("the log-in of {pin} was not accepted ({})", done.status()))?
        .to_string();
    let code = location
        .split_once('?')
        .and_then(|(_, q)| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|params| {
            params
                .into_iter()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v)
        })
        .with_context(|| format!("no code in {location}"))?;
    let tokens: serde_json::Value = http
        .post(format!("{base}/oidc/token"))
        .basic_auth(CLIENT, Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await?
        .json()
        .await?;
    tokens["access_token"]
        .as_str()
        .map(str::to_string)
        .with_context(|| format!("no access token: {tokens}"))
}

pub fn requests(args: DossierRequestsArgs) -> anyhow::Result<()> {
    let base = args.url.trim_end_matches('/').to_string();
    let authority = base
        .strip_prefix("http://")
        .filter(|a| !a.is_empty() && !a.contains('/'))
        .with_context(|| format!("--url {base:?}: expected http://HOST:PORT"))?
        .to_string();
    if args.count == 0 || args.applicants == 0 {
        bail!("--count and --applicants must be at least 1");
    }
    let runtime = crate::runtime::current_thread()?;
    runtime.block_on(async move {
        let store = crate::store_args::open(&args.store).await?;
        let now = Utc::now();
        let client = Client {
            id: ClientId::parse(CLIENT)?,
            name: "Benchmark portal".into(),
            auth_method: AuthMethod::ClientSecretBasic,
            secret_hash: Some(SecretHash::of(SECRET)),
            jwks: None,
            redirect_uris: vec![REDIRECT.into()],
            grant_types: [GrantType::AuthorizationCode].into_iter().collect(),
            scopes: ["openid", "profile", "pid", identity::client::SCOPE_DOSSIERS]
                .into_iter()
                .map(String::from)
                .collect(),
            subject_type: SubjectType::Public,
            access_token_ttl: 3600,
            post_logout_redirect_uris: vec![],
            require_par: false,
            trusted: true,
        };
        client.validate()?;
        store.oidc().put_client(&client, now).await?;
        // the applicants: living adults of the loaded population
        let as_of = NaiveDate::from_ymd_opt(2026, 1, 1).context("a date")?;
        let hash = identity::password::PasswordHash::new(
            &args.password,
            &[7; 16],
            identity::password::Params::DEFAULT,
        )?
        .to_phc();
        // one applicant per commune: a commune's People's Committee numbers
        // at most 9,999 dossiers a day (the code's four digits), and a long
        // run files more than that for one applicant's commune
        let mut applicants = Vec::new();
        let mut communes = std::collections::HashSet::new();
        for p in registry::generate::Generator::new(args.seed, args.people, as_of)? {
            let p = p?;
            if p.vital_status != registry::generate::VitalStatus::Alive
                || p.birth_date.len() != 10
                || p.birth_date.as_str() > "2004-01-01"
                || !communes.insert(p.commune_code)
            {
                continue;
            }
            let key = identity::LoginId::parse(&p.personal_id)?.key();
            if store.accounts().account_by_login(&key).await?.is_none() {
                crate::demo::open_account(store.as_ref(), &p, &hash).await?;
            }
            applicants.push(p);
            if applicants.len() == args.applicants {
                break;
            }
        }
        if applicants.is_empty() {
            bail!("the population of {} people (seed {}) has no adult to file", args.people, args.seed);
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        // the server allows 60 log-ins a minute from one address: beyond
        // that, wait as it says
        let mut tokens = Vec::new();
        for p in &applicants {
            let mut tries = 0;
            loop {
                match log_in(&http, &base, &p.personal_id, &args.password).await {
                    Ok(t) => {
                        tokens.push(t);
                        break;
                    }
                    Err(e) if tries < 3 && e.to_string().contains("429") => {
                        tries += 1;
                        eprintln!("log-in limit reached: waiting a minute");
                        tokio::time::sleep(std::time::Duration::from_secs(61)).await;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        let file = std::fs::File::create(&args.output)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        let mut out = BufWriter::new(file);
        writeln!(out, "return {{")?;
        for i in 0..args.count {
            let p = &applicants[i % applicants.len()];
            let token = &tokens[i % tokens.len()];
            let body = serde_json::json!({
                "procedure": "khai-sinh",
                "form": {
                    "place": p.commune_code,
                    "child_full_name": format!("{} Văn Bé", p.family_name),
                    "child_birth_date": "2026-02-20",
                    "child_sex": if i % 2 == 0 { "Nam" } else { "Nữ" },
                    "child_birth_place": "Bệnh viện đa khoa tỉnh",
                    "child_ethnicity": "Kinh",
                    "child_nationality": "Việt Nam",
                },
            })
            .to_string();
            let raw = format!(
                "POST /api/v1/dossiers HTTP/1.1\r\nhost: {authority}\r\nauthorization: Bearer {token}\r\n\
                 content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            writeln!(out, "{},", crate::bench_exchange::lua_string(raw.as_bytes()))?;
        }
        writeln!(out, "}}")?;
        out.flush()?;
        eprintln!(
            "{} requests by {} applicants written to {}",
            args.count,
            applicants.len(),
            args.output.display()
        );
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_references_are_undone() {
        assert_eq!(
            super::unescape("a&amp;b&#x2F;c&#39;d&quot;&lt;&gt;&unknown; &"),
            "a&b/c'd\"<>&unknown; &"
        );
    }
}

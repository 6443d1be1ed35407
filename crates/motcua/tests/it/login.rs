//! People logging in: the authorization endpoint, the log-in page, the
//! code redeemed at the token endpoint with its ID token, UserInfo; and a
//! relying-party library nobody here wrote (openid-client, npm) running
//! the whole flow through headless Chromium.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Utc;
use identity::AssuranceLevel;
use identity::client::{AuthMethod, Client, ClientId, GrantType, SecretHash, SubjectType};

use crate::helpers::{Reply, TestApp};

pub(crate) const SECRET: &str = "cG9ydGFsLXNlY3JldC1vZi0zMi1ieXRlcy1mb3ItdGVzdA";
pub(crate) const PASSWORD: &str = "Mật khẩu đủ dài 2026";
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub(crate) fn portal(redirect_uri: &str) -> Client {
    Client {
        id: ClientId::parse("portal").expect("id"),
        name: "Cổng Dịch vụ công quốc gia".into(),
        auth_method: AuthMethod::ClientSecretBasic,
        secret_hash: Some(SecretHash::of(SECRET)),
        jwks: None,
        redirect_uris: vec![redirect_uri.to_string()],
        grant_types: [GrantType::AuthorizationCode, GrantType::RefreshToken]
            .into_iter()
            .collect(),
        scopes: ["openid", "profile", "pid", "dossiers", "workbench"]
            .into_iter()
            .map(String::from)
            .collect(),
        subject_type: SubjectType::Public,
        access_token_ttl: 300,
        post_logout_redirect_uris: vec![],
        require_par: false,
        trusted: true,
    }
}

pub(crate) const REDIRECT: &str = "https://portal.example/cb";

pub(crate) async fn register(app: &TestApp, client: &Client) {
    client.validate().expect("a valid registration");
    app.store
        .oidc()
        .put_client(client, Utc::now())
        .await
        .expect("registered");
}

/// Opens an account with `motcua account add-citizen` on the app's store;
/// its JSON answer.
pub(crate) fn add_citizen(
    app: &TestApp,
    pin: &str,
    extra: &[&str],
) -> (bool, serde_json::Value, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["account", "add-citizen", "--pin", pin])
        .args(extra)
        .arg("--data-dir")
        .arg(app.data_dir())
        .env_remove("MOTCUA_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run motcua account add-citizen");
    write_stdin(&mut child, &format!("{PASSWORD}\n"));
    let out = child.wait_with_output().expect("the command ends");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.success(),
        json,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Hands `text` to a command's standard input; a command that refuses
/// its arguments may end before reading it, which is not an error here.
fn write_stdin(child: &mut std::process::Child, text: &str) {
    if let Some(mut stdin) = child.stdin.take()
        && let Err(e) = stdin.write_all(text.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "stdin: {e}");
    }
}

/// An adult of the seeded registry, alive.
pub(crate) async fn adults(app: &TestApp) -> Vec<registry::generate::SyntheticPerson> {
    app.seed_people(40)
        .await
        .into_iter()
        .filter(|p| {
            p.vital_status == registry::generate::VitalStatus::Alive
                && p.birth_date.len() == 10
                && p.birth_date.as_str() < "2000-01-01"
                && p.birth_date.as_str() > "1950-01-01"
        })
        .collect()
}

pub(crate) fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

pub(crate) fn authorize_query(acr: Option<&str>, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("client_id", "portal"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile pid"),
        ("state", "st-42"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    if let Some(acr) = acr {
        params.push(("acr_values", acr));
    }
    params.extend_from_slice(extra);
    serde_urlencoded::to_string(params).expect("a query")
}

/// The value of a hidden input in a page.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} field in {html}"));
    let rest = &html[at + name.len() + 15..];
    let value = &rest[..rest.find('"').expect("end of value")];
    unescape(value)
}

/// Undoes HTML escaping (named and numeric character references).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let Some(end) = after.find(';') else {
            out.push_str(&rest[at..]);
            return out;
        };
        let entity = &after[..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&rest[at..at + end + 2]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

pub(crate) fn cookie_value(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_string())
}

pub(crate) async fn send(req: reqwest::RequestBuilder) -> Reply {
    let r = req.send().await.expect("an answer");
    Reply {
        status: r.status(),
        headers: r.headers().clone(),
        body: r.text().await.expect("a body"),
    }
}

/// Opens the log-in page for `query` and submits it; the answer to the
/// submission (and the session cookie, when one was set).
pub(crate) async fn log_in(
    app: &TestApp,
    query: &str,
    identifier: &str,
    password: &str,
    otp: Option<&str>,
) -> Reply {
    log_in_keeping_csrf(app, query, identifier, password, otp)
        .await
        .0
}

/// [`log_in`], and the CSRF cookie the page set.
pub(crate) async fn log_in_keeping_csrf(
    app: &TestApp,
    query: &str,
    identifier: &str,
    password: &str,
    otp: Option<&str>,
) -> (Reply, String) {
    let http = no_redirects();
    let page = send(http.get(app.url(&format!("/oidc/authorize?{query}")))).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    let csrf = cookie_value(&page, "motcua_csrf").expect("a CSRF cookie");
    let mut form = vec![
        ("csrf_token", hidden(&page.body, "csrf_token")),
        ("request", hidden(&page.body, "request")),
        ("identifier", identifier.to_string()),
        ("password", password.to_string()),
    ];
    if let Some(otp) = otp {
        form.push(("otp", otp.to_string()));
    }
    let reply = send(
        http.post(app.url("/oidc/login"))
            .header("cookie", format!("motcua_csrf={csrf}"))
            .form(&form),
    )
    .await;
    (reply, csrf)
}

/// The parameters of a redirect back to the client.
pub(crate) fn redirected(reply: &Reply) -> Vec<(String, String)> {
    assert_eq!(reply.status.as_u16(), 303, "{}", reply.body);
    let location = reply.header("location").expect("a Location");
    assert!(location.starts_with(REDIRECT), "{location}");
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    serde_urlencoded::from_str(query).expect("the parameters")
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub(crate) async fn redeem(app: &TestApp, code: &str, verifier: &str) -> Reply {
    redeem_as(app, "portal", code, verifier).await
}

pub(crate) async fn redeem_as(app: &TestApp, client: &str, code: &str, verifier: &str) -> Reply {
    send(
        app.client
            .post(app.url("/oidc/token"))
            .basic_auth(client, Some(SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ]),
    )
    .await
}

pub(crate) fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
}

/// The current one-time code of an account.
async fn otp_of(app: &TestApp, pin: &str) -> String {
    let account = app
        .store
        .accounts()
        .account_by_login(&format!("pin:{pin}"))
        .await
        .expect("read")
        .expect("the account");
    account
        .totp
        .expect("a second factor")
        .code_at(Utc::now().timestamp())
        .expect("a code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_and_the_code_gives_an_id_token_once() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let an = &people[0];
    let (ok, opened, err) = add_citizen(&app, &an.personal_id, &[]);
    assert!(ok, "{err}");
    assert_eq!(opened["level"], AssuranceLevel::ACR_LEVEL_1);
    assert_eq!(opened["name"], an.full_name.as_str());

    // the portal's own client asks for the person's dossiers too
    let query =
        authorize_query(None, &[]).replace("openid+profile+pid", "openid+profile+pid+dossiers");
    let reply = log_in(&app, &query, &an.personal_id, PASSWORD, None).await;
    let session = cookie_value(&reply, "motcua_sid").expect("a session cookie");
    let set = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("motcua_sid="))
        .expect("the session cookie")
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let back = redirected(&reply);
    assert_eq!(param(&back, "state"), Some("st-42"));
    assert_eq!(param(&back, "iss"), Some(app.base.as_str()));
    let code = param(&back, "code").expect("a code").to_string();

    // a wrong verifier is refused, and the code is spent by that attempt
    let wrong = redeem(&app, &code, &"x".repeat(43)).await;
    assert_eq!(wrong.status.as_u16(), 400, "{}", wrong.body);
    assert_eq!(wrong.json()["error"], "invalid_grant");
    let replay = redeem(&app, &code, VERIFIER).await;
    assert_eq!(
        replay.json()["error"],
        "invalid_grant",
        "a code is used once"
    );

    // the session answers the next request without the log-in page
    let http = no_redirects();
    let again = send(
        http.get(app.url(&format!("/oidc/authorize?{query}")))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await;
    let code = param(&redirected(&again), "code")
        .expect("a code")
        .to_string();
    let tokens = redeem(&app, &code, VERIFIER).await;
    assert_eq!(tokens.status.as_u16(), 200, "{}", tokens.body);
    let tokens = tokens.json();
    let id = claims_of(tokens["id_token"].as_str().expect("an ID token"));
    let subject = opened["subject"].as_str().expect("subject");
    assert_eq!(id["sub"], subject);
    assert_eq!(id["aud"], "portal");
    assert_eq!(id["iss"], app.base.as_str());
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["acr"], AssuranceLevel::ACR_LEVEL_1);
    assert!(id["auth_time"].as_i64().is_some());
    assert!(tokens["refresh_token"].as_str().is_some(), "{tokens}");
    let access = tokens["access_token"].as_str().expect("access token");

    // UserInfo: the claims the scopes allow
    let info = send(
        app.client
            .get(app.url("/oidc/userinfo"))
            .bearer_auth(access),
    )
    .await;
    assert_eq!(info.status.as_u16(), 200, "{}", info.body);
    let info = info.json();
    assert_eq!(info["sub"], subject);
    assert_eq!(info["pid"], an.personal_id.as_str());
    assert_eq!(info["name"], an.full_name.as_str());
    assert_eq!(info["birthdate"], an.birth_date.as_str());
    let unauthenticated = send(app.client.get(app.url("/oidc/userinfo"))).await;
    assert_eq!(unauthenticated.status.as_u16(), 401);
    assert!(
        unauthenticated
            .header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer")),
        "{:?}",
        unauthenticated.headers
    );
    // the person's dossiers answer the same token, until it is revoked
    let mine = send(
        app.client
            .get(app.url("/api/v1/dossiers"))
            .bearer_auth(access),
    )
    .await;
    assert_eq!(mine.status.as_u16(), 200, "{}", mine.body);
    let revoked = send(
        app.client
            .post(app.url("/oidc/revoke"))
            .basic_auth("portal", Some(SECRET))
            .form(&[("token", access)]),
    )
    .await;
    assert_eq!(revoked.status.as_u16(), 200, "{}", revoked.body);
    for path in ["/oidc/userinfo", "/api/v1/dossiers"] {
        let refused = send(app.client.get(app.url(path)).bearer_auth(access)).await;
        assert_eq!(refused.status.as_u16(), 401, "{path}: {}", refused.body);
        assert!(refused.body.contains("revoked"), "{path}: {}", refused.body);
    }

    // prompt=none with no session goes back with login_required
    let none = send(http.get(app.url(&format!(
        "/oidc/authorize?{}",
        authorize_query(None, &[("prompt", "none")])
    ))))
    .await;
    assert_eq!(param(&redirected(&none), "error"), Some("login_required"));

    // the holder's audit trail has the log-in, for this client
    let trail = app
        .store
        .accounts()
        .audit_trail(identity::SubjectId::parse(subject).expect("subject"), 10)
        .await
        .expect("trail");
    assert!(
        trail
            .iter()
            .any(|e| e.event == "login" && e.client.as_deref() == Some("portal")),
        "{trail:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_authorization_requests_are_refused_where_it_is_safe() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let http = no_redirects();
    let get = |q: String| {
        let http = http.clone();
        let url = app.url(&format!("/oidc/authorize?{q}"));
        async move { send(http.get(url)).await }
    };
    // an unregistered redirect URI: a page, never a redirect
    let q = authorize_query(None, &[]).replace("portal.example", "evil.example");
    let r = get(q).await;
    assert_eq!(r.status.as_u16(), 400);
    assert!(r.header("location").is_none());
    assert!(r.body.contains("redirect URI"), "{}", r.body);
    // an unknown client: a page
    let r = get(authorize_query(None, &[]).replace("client_id=portal", "client_id=nobody")).await;
    assert_eq!(r.status.as_u16(), 400);
    // PKCE missing, or downgraded to plain: back to the client
    let no_pkce = serde_urlencoded::to_string([
        ("client_id", "portal"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s1"),
    ])
    .expect("query");
    let back = redirected(&get(no_pkce).await);
    assert_eq!(param(&back, "error"), Some("invalid_request"));
    assert_eq!(param(&back, "state"), Some("s1"));
    assert!(param(&back, "error_description").is_some_and(|d| d.contains("code_challenge")));
    let plain = authorize_query(None, &[])
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let back = redirected(&get(plain).await);
    assert!(param(&back, "error_description").is_some_and(|d| d.contains("S256")));
    // a repeated parameter: a page
    let r = get(format!("{}&state=again", authorize_query(None, &[]))).await;
    assert_eq!(r.status.as_u16(), 400);
    // a scope the client may not ask for
    let back = redirected(
        &get(authorize_query(None, &[]).replace("openid+profile+pid", "openid+org")).await,
    );
    assert_eq!(param(&back, "error"), Some("invalid_scope"));
    // the log-in form without its CSRF token is forbidden
    let r = send(http.post(app.url("/oidc/login")).form(&[
        ("request", authorize_query(None, &[])),
        ("identifier", "001203012345".into()),
        ("password", PASSWORD.into()),
    ]))
    .await;
    assert_eq!(r.status.as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn level_2_needs_the_second_factor_and_a_level_2_account() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let (one, two) = (&people[0], &people[1]);
    assert!(add_citizen(&app, &one.personal_id, &[]).0);
    let (ok, opened, err) = add_citizen(&app, &two.personal_id, &["--level", "2", "--totp"]);
    assert!(ok, "{err}");
    assert!(
        opened["totp_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("otpauth://totp/")),
        "{opened}"
    );
    // level 2 without --totp is refused by the command
    let (ok, _, err) = add_citizen(&app, &people[2].personal_id, &["--level", "2"]);
    assert!(!ok && err.contains("--totp"), "{err}");

    let level2 = authorize_query(Some(AssuranceLevel::ACR_LEVEL_2), &[]);
    // the page asks for the code
    let page = send(no_redirects().get(app.url(&format!("/oidc/authorize?{level2}")))).await;
    assert!(page.body.contains("name=\"otp\""), "{}", page.body);

    // a level-1 account never gets a level-2 session
    let r = log_in(&app, &level2, &one.personal_id, PASSWORD, None).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.header("location").is_none());
    // a level-2 account without its code neither
    let r = log_in(&app, &level2, &two.personal_id, PASSWORD, None).await;
    assert_eq!(r.status.as_u16(), 422);
    // a wrong code is a failed log-in
    let r = log_in(&app, &level2, &two.personal_id, PASSWORD, Some("000000")).await;
    let r2 = if r.status.as_u16() == 422 {
        r
    } else {
        // 000000 happened to be the code: try another wrong one
        log_in(&app, &level2, &two.personal_id, PASSWORD, Some("999999")).await
    };
    assert_eq!(r2.status.as_u16(), 422);
    // with its code: level 2
    let code = otp_of(&app, &two.personal_id).await;
    let r = log_in(&app, &level2, &two.personal_id, PASSWORD, Some(&code)).await;
    let grant = param(&redirected(&r), "code").expect("code").to_string();
    let tokens = redeem(&app, &grant, VERIFIER).await.json();
    let id = claims_of(tokens["id_token"].as_str().expect("ID token"));
    assert_eq!(id["acr"], AssuranceLevel::ACR_LEVEL_2);
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp"]));
    // the same code again is refused (used once)
    let r = log_in(&app, &level2, &two.personal_id, PASSWORD, Some(&code)).await;
    assert_eq!(r.status.as_u16(), 422, "a one-time code is used once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_password_locks_the_account_and_the_holder_sees_it() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let an = &people[0];
    let (ok, opened, _) = add_citizen(&app, &an.personal_id, &[]);
    assert!(ok);
    let query = authorize_query(None, &[]);
    for _ in 0..identity::login::MAX_FAILURES {
        let r = log_in(&app, &query, &an.personal_id, "not the password", None).await;
        assert_eq!(r.status.as_u16(), 422);
        assert!(r.body.contains("role=\"alert\""), "{}", r.body);
    }
    // locked: the right password is refused too, saying for how long
    let r = log_in(&app, &query, &an.personal_id, PASSWORD, None).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.body.contains("phút"), "{}", r.body);
    // an unknown identifier is refused like a wrong password
    let r = log_in(&app, &query, "001203099999", PASSWORD, None).await;
    assert_eq!(r.status.as_u16(), 422);
    // an unreadable one says what is expected
    let r = log_in(&app, &query, "abc", PASSWORD, None).await;
    assert!(r.body.contains("12-digit"), "{}", r.body);

    let subject =
        identity::SubjectId::parse(opened["subject"].as_str().expect("subject")).expect("subject");
    let trail = app
        .store
        .accounts()
        .audit_trail(subject, 20)
        .await
        .expect("trail");
    let events: Vec<&str> = trail.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        events.iter().filter(|e| **e == "login_failed").count(),
        identity::login::MAX_FAILURES as usize,
        "{events:?}"
    );
    assert!(events.contains(&"locked"), "{events:?}");
    assert_eq!(events[0], "login_refused_locked", "{events:?}");

    // `motcua account show` prints the same trail
    let out = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(["account", "show", "--login", &an.personal_id, "--data-dir"])
        .arg(app.data_dir())
        .env_remove("MOTCUA_DATABASE_URL")
        .output()
        .expect("run motcua account show");
    assert!(out.status.success());
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(shown["audit"][0]["event"], "login_refused_locked");
    assert!(
        shown.get("password").is_none() && !String::from_utf8_lossy(&out.stdout).contains("argon2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dpop_bound_token_is_served_only_with_a_fresh_proof_of_its_key() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    assert!(add_citizen(&app, &people[0].personal_id, &[]).0);
    let reply = log_in(
        &app,
        &authorize_query(None, &[]),
        &people[0].personal_id,
        PASSWORD,
        None,
    )
    .await;
    let code = param(&redirected(&reply), "code")
        .expect("code")
        .to_string();
    let key = p256::ecdsa::SigningKey::from_slice(&[5; 32]).expect("key");
    let other = p256::ecdsa::SigningKey::from_slice(&[6; 32]).expect("key");
    let token_uri = app.url("/oidc/token");
    let proof = crate::oidc::dpop_proof_for(&key, "POST", &token_uri, "tok-1", None);
    let tokens = send(
        app.client
            .post(&token_uri)
            .basic_auth("portal", Some(SECRET))
            .header("DPoP", proof)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ]),
    )
    .await;
    assert_eq!(tokens.status.as_u16(), 200, "{}", tokens.body);
    let tokens = tokens.json();
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().expect("token").to_string();
    assert!(claims_of(&access)["cnf"]["jkt"].is_string());

    let userinfo = app.url("/oidc/userinfo");
    let call = |scheme: &str, proof: Option<String>| {
        let mut req = app
            .client
            .get(&userinfo)
            .header("authorization", format!("{scheme} {access}"));
        if let Some(p) = proof {
            req = req.header("DPoP", p);
        }
        send(req)
    };
    // as a bearer token: refused
    let r = call("Bearer", None).await;
    assert_eq!(r.status.as_u16(), 401, "{}", r.body);
    assert!(
        r.json()["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("DPoP"))
    );
    // without a proof: refused
    let r = call("DPoP", None).await;
    assert_eq!(r.status.as_u16(), 401);
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.starts_with("DPoP"))
    );
    // a proof by another key: refused
    let r = call(
        "DPoP",
        Some(crate::oidc::dpop_proof_for(
            &other,
            "GET",
            &userinfo,
            "ui-0",
            Some(&access),
        )),
    )
    .await;
    assert_eq!(r.status.as_u16(), 401);
    // a proof without the token's hash: refused
    let r = call(
        "DPoP",
        Some(crate::oidc::dpop_proof_for(
            &key, "GET", &userinfo, "ui-00", None,
        )),
    )
    .await;
    assert_eq!(r.status.as_u16(), 401);
    // a proof for another method: refused
    let r = call(
        "DPoP",
        Some(crate::oidc::dpop_proof_for(
            &key,
            "POST",
            &userinfo,
            "ui-000",
            Some(&access),
        )),
    )
    .await;
    assert_eq!(r.status.as_u16(), 401);
    // a fresh proof: served
    let proof = crate::oidc::dpop_proof_for(&key, "GET", &userinfo, "ui-1", Some(&access));
    let r = call("DPoP", Some(proof.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.json()["pid"], people[0].personal_id.as_str());
    // the same proof again: refused
    let r = call("DPoP", Some(proof)).await;
    assert_eq!(r.status.as_u16(), 401);
    assert!(
        r.json()["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("used before"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairwise_client_knows_the_person_by_an_identifier_of_its_own() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let mut hcm = portal(REDIRECT);
    hcm.id = ClientId::parse("hcm-backoffice").expect("id");
    hcm.name = "Một cửa TP. Hồ Chí Minh".into();
    hcm.subject_type = SubjectType::Pairwise {
        sector: "hochiminhcity.gov.vn".into(),
    };
    register(&app, &hcm).await;
    let people = adults(&app).await;
    let (ok, opened, err) = add_citizen(&app, &people[0].personal_id, &[]);
    assert!(ok, "{err}");
    let internal = opened["subject"].as_str().expect("subject").to_string();

    let mut subs = Vec::new();
    for client in ["portal", "hcm-backoffice", "hcm-backoffice"] {
        let query =
            authorize_query(None, &[]).replace("client_id=portal", &format!("client_id={client}"));
        let reply = log_in(&app, &query, &people[0].personal_id, PASSWORD, None).await;
        let code = param(&redirected(&reply), "code")
            .expect("code")
            .to_string();
        let tokens = redeem_as(&app, client, &code, VERIFIER).await;
        assert_eq!(tokens.status.as_u16(), 200, "{}", tokens.body);
        let tokens = tokens.json();
        let id = claims_of(tokens["id_token"].as_str().expect("ID token"));
        let access = tokens["access_token"].as_str().expect("access token");
        assert_eq!(claims_of(access)["sub"], id["sub"]);
        // UserInfo finds the person behind either identifier
        let info = send(
            app.client
                .get(app.url("/oidc/userinfo"))
                .bearer_auth(access),
        )
        .await;
        assert_eq!(info.status.as_u16(), 200, "{}", info.body);
        assert_eq!(info.json()["sub"], id["sub"]);
        assert_eq!(info.json()["pid"], people[0].personal_id.as_str());
        subs.push(id["sub"].as_str().expect("sub").to_string());
    }
    assert_eq!(subs[0], internal, "the portal is public");
    assert_ne!(subs[1], internal, "the back office gets its own identifier");
    assert_eq!(subs[1], subs[2], "the same one at every log-in");
    assert_eq!(subs[1].len(), 43);
}

/// A person with a level-2 account logs in asking for an organisation
/// (`org`), and chooses `organisation` on the "act for" page; the answer.
async fn act_for(app: &TestApp, pin: &str, organisation: &str) -> (Reply, Reply) {
    let query = authorize_query(None, &[]).replace("openid+profile+pid", "openid+org");
    let otp = otp_of(app, pin).await;
    let (page, csrf) = log_in_keeping_csrf(app, &query, pin, PASSWORD, Some(&otp)).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    let session = cookie_value(&page, "motcua_sid").expect("a session");
    // the token of the session just started (from another of its pages
    // when this one offers no organisation to choose)
    let token = session_csrf(app, &session).await;
    let chosen = send(
        no_redirects()
            .post(app.url("/oidc/act"))
            .header(
                "cookie",
                format!("motcua_csrf={csrf}; motcua_sid={session}"),
            )
            .form(&[
                ("csrf_token", token),
                ("request", query.clone()),
                ("organisation", organisation.to_string()),
            ]),
    )
    .await;
    (page, chosen)
}

/// The CSRF token of the forms of the portal session `session`, as its
/// account page carries it.
pub(crate) async fn session_csrf(app: &TestApp, session: &str) -> String {
    let account = send(
        no_redirects()
            .get(app.url("/tai-khoan"))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await;
    assert_eq!(account.status.as_u16(), 200, "{}", account.body);
    hidden(&account.body, "csrf_token")
}

/// With a live level-2 session: asks for an organisation again and
/// chooses `organisation`; the answer.
async fn act_again(app: &TestApp, session: &str, organisation: &str) -> Reply {
    let query = authorize_query(None, &[]).replace("openid+profile+pid", "openid+org");
    let http = no_redirects();
    let page = send(
        http.get(app.url(&format!("/oidc/authorize?{query}")))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await;
    assert_eq!(page.status.as_u16(), 200, "the act-for page: {}", page.body);
    let csrf = session_csrf(app, session).await;
    send(
        http.post(app.url("/oidc/act"))
            .header("cookie", format!("motcua_sid={session}"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("request", query.as_str()),
                ("organisation", organisation),
            ]),
    )
    .await
}

/// Redeems the code a redirect carries; the ID token's and the access
/// token's claims.
pub(crate) async fn tokens_of(
    app: &TestApp,
    reply: &Reply,
) -> (serde_json::Value, serde_json::Value, String) {
    let code = param(&redirected(reply), "code")
        .expect("a code")
        .to_string();
    let tokens = redeem(app, &code, VERIFIER).await;
    assert_eq!(tokens.status.as_u16(), 200, "{}", tokens.body);
    let tokens = tokens.json();
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_string();
    (
        claims_of(tokens["id_token"].as_str().expect("ID token")),
        claims_of(&access),
        access,
    )
}

/// Runs `motcua account SUBCOMMAND …` on the app's store, with `stdin`.
fn account_cli(app: &TestApp, args: &[&str], stdin: &str) -> (bool, serde_json::Value, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_motcua"))
        .arg("account")
        .args(args)
        .arg("--data-dir")
        .arg(app.data_dir())
        .env_remove("MOTCUA_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run motcua account");
    write_stdin(&mut child, stdin);
    let out = child.wait_with_output().expect("the command ends");
    (
        out.status.success(),
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_keeps_its_subject_across_the_cut_over_and_acts_through_people() {
    let vietnam = chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7");
    let cutover = (Utc::now() + chrono::Duration::seconds(8)).with_timezone(&vietnam);
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        legacy_cutover: Some(cutover),
        ..Default::default()
    })
    .await;
    let mut client = portal(REDIRECT);
    client.scopes.insert("org".into());
    register(&app, &client).await;
    let people = adults(&app).await;
    let (rep, authorised, outsider) = (&people[0], &people[1], &people[2]);
    let mut subjects = Vec::new();
    for p in [rep, authorised, outsider] {
        let (ok, opened, err) = add_citizen(&app, &p.personal_id, &["--level", "2", "--totp"]);
        assert!(ok, "{err}");
        subjects.push(opened["subject"].as_str().expect("subject").to_string());
    }
    let (ok, org, err) = account_cli(
        &app,
        &[
            "add-organisation",
            "--tax-code",
            "0100109106",
            "--name",
            "Công ty TNHH Sông Hồng",
            "--representative",
            &rep.personal_id,
        ],
        "",
    );
    assert!(ok, "{err}");
    let org_subject = org["subject"].as_str().expect("subject").to_string();
    let (ok, _, err) = account_cli(
        &app,
        &[
            "import-legacy",
            "--username",
            "SongHong",
            "--tax-code",
            "0100109106",
        ],
        "mật khẩu cổng cũ 2019\n",
    );
    assert!(ok, "{err}");
    let org_query = authorize_query(None, &[]).replace("openid+profile+pid", "openid+org");

    // before the cut-over the old account logs in as the organisation
    let r = log_in(&app, &org_query, "songhong", "mật khẩu cổng cũ 2019", None).await;
    let (id, access, token) = tokens_of(&app, &r).await;
    assert_eq!(id["sub"], org_subject.as_str());
    assert!(id.get("act").is_none() && access.get("act").is_none());
    let info = send(
        app.client
            .get(app.url("/oidc/userinfo"))
            .bearer_auth(&token),
    )
    .await
    .json();
    assert_eq!(info["tax_code"], "0100109106");
    assert_eq!(info["name"], "Công ty TNHH Sông Hồng");

    // someone the organisation never authorised cannot act for it
    let (page, chosen) = act_for(&app, &outsider.personal_id, &org_subject).await;
    assert!(
        page.body.contains("Bạn chưa là người đại diện"),
        "{}",
        page.body
    );
    assert_eq!(chosen.status.as_u16(), 422, "{}", chosen.body);
    assert!(
        chosen.body.contains("chưa được tổ chức ủy quyền"),
        "{}",
        chosen.body
    );

    // authorised by its representative, a person acts for it
    let (ok, granted, err) = account_cli(
        &app,
        &[
            "authorise",
            "--tax-code",
            "0100109106",
            "--person",
            &authorised.personal_id,
            "--by",
            &rep.personal_id,
        ],
        "",
    );
    assert!(ok, "{err}");
    assert_eq!(granted["in_force"], true);
    let (page, chosen) = act_for(&app, &authorised.personal_id, &org_subject).await;
    assert!(
        page.body.contains("Công ty TNHH Sông Hồng"),
        "{}",
        page.body
    );
    let (id, access, _) = tokens_of(&app, &chosen).await;
    assert_eq!(id["sub"], org_subject.as_str());
    assert_eq!(id["act"]["sub"], subjects[1].as_str());
    assert_eq!(access["act"]["sub"], subjects[1].as_str());
    assert_eq!(id["acr"], AssuranceLevel::ACR_LEVEL_2);

    // after the cut-over the old account is refused, with the way forward
    let wait = (cutover.with_timezone(&Utc) - Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(200)).await;
    let r = log_in(&app, &org_query, "songhong", "mật khẩu cổng cũ 2019", None).await;
    assert_eq!(r.status.as_u16(), 422);
    assert!(r.body.contains("đã ngừng từ"), "{}", r.body);
    // … and the representative acts for the same organisation: the relying
    // party sees the same subject it knew
    let (_, chosen) = act_for(&app, &rep.personal_id, &org_subject).await;
    let (id, _, _) = tokens_of(&app, &chosen).await;
    assert_eq!(
        id["sub"],
        org_subject.as_str(),
        "the same subject after the cut-over"
    );
    assert_eq!(id["act"]["sub"], subjects[0].as_str());
    let trail = app
        .store
        .accounts()
        .audit_trail(
            identity::SubjectId::parse(&org_subject).expect("subject"),
            10,
        )
        .await
        .expect("trail");
    assert_eq!(trail[0].event, "legacy_login_refused", "{trail:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_ends_the_session_and_returns_to_the_relying_party() {
    let app = TestApp::spawn().await;
    let mut client = portal(REDIRECT);
    client.post_logout_redirect_uris = vec!["https://portal.example/bye".into()];
    register(&app, &client).await;
    let people = adults(&app).await;
    let (ok, opened, _) = add_citizen(&app, &people[0].personal_id, &[]);
    assert!(ok);
    let query = authorize_query(None, &[]);
    let http = no_redirects();

    // with the ID token as hint: out at once, back with the state
    let reply = log_in(&app, &query, &people[0].personal_id, PASSWORD, None).await;
    let session = cookie_value(&reply, "motcua_sid").expect("session");
    let code = param(&redirected(&reply), "code")
        .expect("code")
        .to_string();
    let id_token = redeem(&app, &code, VERIFIER).await.json()["id_token"]
        .as_str()
        .expect("ID token")
        .to_string();
    let logout = |params: Vec<(&str, String)>| {
        let url = format!(
            "{}?{}",
            app.url("/oidc/logout"),
            serde_urlencoded::to_string(params).expect("query")
        );
        http.get(url)
            .header("cookie", format!("motcua_sid={session}"))
    };
    let r = send(logout(vec![
        ("id_token_hint", id_token.clone()),
        (
            "post_logout_redirect_uri",
            "https://evil.example/bye".into(),
        ),
    ]))
    .await;
    assert_eq!(r.status.as_u16(), 400, "an unregistered URI is refused");
    let r = send(logout(vec![
        ("id_token_hint", id_token.clone()),
        (
            "post_logout_redirect_uri",
            "https://portal.example/bye".into(),
        ),
        ("state", "s9".into()),
    ]))
    .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("https://portal.example/bye?state=s9")
    );
    assert!(
        r.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("motcua_sid=;") && c.contains("Max-Age=0"))
    );
    // the old cookie no longer logs anyone in
    let again = send(
        http.get(app.url(&format!("/oidc/authorize?{query}")))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await;
    assert_eq!(again.status.as_u16(), 200, "the log-in page again");
    assert!(again.body.contains("name=\"password\""));

    // without a hint the person is asked first
    let reply = log_in(&app, &query, &people[0].personal_id, PASSWORD, None).await;
    let session = cookie_value(&reply, "motcua_sid").expect("session");
    let ask = send(
        http.get(app.url("/oidc/logout"))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await;
    assert_eq!(ask.status.as_u16(), 200);
    assert!(ask.body.contains("name=\"confirm\""), "{}", ask.body);
    let csrf = hidden(&ask.body, "csrf_token");
    let done = send(
        http.post(app.url("/oidc/logout"))
            .header("cookie", format!("motcua_sid={session}"))
            .form(&[("csrf_token", csrf.as_str()), ("confirm", "1")]),
    )
    .await;
    assert_eq!(done.status.as_u16(), 200);
    assert!(done.body.contains("Bạn đã đăng xuất"), "{}", done.body);
    let subject =
        identity::SubjectId::parse(opened["subject"].as_str().expect("subject")).expect("subject");
    let trail = app
        .store
        .accounts()
        .audit_trail(subject, 10)
        .await
        .expect("trail");
    assert_eq!(
        trail.iter().filter(|e| e.event == "logout").count(),
        2,
        "{trail:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_must_push_its_requests_logs_people_in_through_par() {
    let app = TestApp::spawn().await;
    let mut fapi = portal(REDIRECT);
    fapi.require_par = true;
    register(&app, &fapi).await;
    let people = adults(&app).await;
    assert!(add_citizen(&app, &people[0].personal_id, &[]).0);
    let http = no_redirects();

    // the front channel alone is refused for this client
    let r =
        send(http.get(app.url(&format!("/oidc/authorize?{}", authorize_query(None, &[]))))).await;
    assert_eq!(r.status.as_u16(), 400);
    assert!(r.body.contains("PAR"), "{}", r.body);

    let push = |form: Vec<(&'static str, &'static str)>, secret: &'static str| {
        send(
            app.client
                .post(app.url("/oidc/par"))
                .basic_auth("portal", Some(secret))
                .form(&form),
        )
    };
    let params = vec![
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid pid"),
        ("state", "pushed-state"),
        ("nonce", "pushed-nonce"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    // the client hears at once what is wrong, and who it is must be proven
    let mut no_pkce = params.clone();
    no_pkce.retain(|(k, _)| !k.starts_with("code_challenge"));
    let r = push(no_pkce, SECRET).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_request");
    let r = push(params.clone(), "not-the-secret").await;
    assert_eq!(r.status.as_u16(), 401);

    let r = push(params, SECRET).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let pushed = r.json();
    let request_uri = pushed["request_uri"]
        .as_str()
        .expect("request_uri")
        .to_string();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    assert_eq!(pushed["expires_in"], 300);

    // another client cannot use it
    let q = serde_urlencoded::to_string([
        ("client_id", "someone-else"),
        ("request_uri", request_uri.as_str()),
    ])
    .expect("q");
    let r = send(http.get(app.url(&format!("/oidc/authorize?{q}")))).await;
    assert_eq!(r.status.as_u16(), 400);

    // the browser carries only the client id and the request_uri
    let q = serde_urlencoded::to_string([
        ("client_id", "portal"),
        ("request_uri", request_uri.as_str()),
    ])
    .expect("q");
    let reply = log_in(&app, &q, &people[0].personal_id, PASSWORD, None).await;
    let back = redirected(&reply);
    assert_eq!(param(&back, "state"), Some("pushed-state"));
    let code = param(&back, "code").expect("code").to_string();
    let tokens = redeem(&app, &code, VERIFIER).await;
    assert_eq!(tokens.status.as_u16(), 200, "{}", tokens.body);
    let id = claims_of(tokens.json()["id_token"].as_str().expect("ID token"));
    assert_eq!(id["nonce"], "pushed-nonce");
    assert_eq!(
        claims_of(tokens.json()["access_token"].as_str().expect("at"))["scope"],
        "openid pid"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_service_reads_only_what_the_person_agreed_to() {
    let app = TestApp::spawn().await;
    let mut bhxh = portal(REDIRECT);
    bhxh.id = ClientId::parse("bhxh").expect("id");
    bhxh.name = "Bảo hiểm xã hội Việt Nam".into();
    bhxh.trusted = false;
    bhxh.scopes.retain(|s| !identity::client::is_api_scope(s));
    bhxh.scopes.insert("address".into());
    register(&app, &bhxh).await;
    let people = adults(&app).await;
    let (ok, opened, _) = add_citizen(&app, &people[0].personal_id, &[]);
    assert!(ok);
    let query = authorize_query(None, &[]).replace("client_id=portal", "client_id=bhxh");
    let (page, _) = log_in_keeping_csrf(&app, &query, &people[0].personal_id, PASSWORD, None).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    // the consent page's token belongs to the session the log-in started
    let csrf = hidden(&page.body, "csrf_token");
    assert!(
        page.body.contains("Cho phép chia sẻ thông tin"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Số định danh cá nhân"), "{}", page.body);
    assert!(page.body.contains("Bảo hiểm xã hội Việt Nam"));
    let session = cookie_value(&page, "motcua_sid").expect("session");
    let http = no_redirects();
    let decide = |decision: &'static str| {
        send(
            http.post(app.url("/oidc/consent"))
                .header(
                    "cookie",
                    format!("motcua_csrf={csrf}; motcua_sid={session}"),
                )
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("request", query.as_str()),
                    ("decision", decision),
                ]),
        )
    };
    // declined: the service hears access_denied
    let back = redirected(&decide("deny").await);
    assert_eq!(param(&back, "error"), Some("access_denied"));
    assert_eq!(param(&back, "state"), Some("st-42"));
    // agreed: a code
    let back = redirected(&decide("allow").await);
    let code = param(&back, "code").expect("code").to_string();
    assert_eq!(
        redeem_as(&app, "bhxh", &code, VERIFIER)
            .await
            .status
            .as_u16(),
        200
    );
    // remembered: the next time goes straight back
    let with_session = |q: String| {
        send(
            http.get(app.url(&format!("/oidc/authorize?{q}")))
                .header("cookie", format!("motcua_sid={session}")),
        )
    };
    let again = with_session(query.clone()).await;
    assert!(param(&redirected(&again), "code").is_some());
    // prompt=consent asks again
    let asked = with_session(format!("{query}&prompt=consent")).await;
    assert_eq!(asked.status.as_u16(), 200);
    assert!(asked.body.contains("name=\"decision\""));
    // something new with prompt=none: consent_required
    let wider = format!(
        "{}&prompt=none",
        query.replace("openid+profile+pid", "openid+profile+pid+address")
    );
    let back = redirected(&with_session(wider).await);
    assert_eq!(param(&back, "error"), Some("consent_required"));
    let subject =
        identity::SubjectId::parse(opened["subject"].as_str().expect("subject")).expect("subject");
    let trail = app
        .store
        .accounts()
        .audit_trail(subject, 20)
        .await
        .expect("trail");
    let events: Vec<&str> = trail.iter().map(|e| e.event.as_str()).collect();
    assert!(
        events.contains(&"consent_given") && events.contains(&"consent_refused"),
        "{events:?}"
    );
}

/// Chrome's virtual authenticator (WebDriver extension of WebAuthn §11):
/// a platform authenticator with resident keys that verifies the person.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl fantoccini::wd::WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserConsenting": true,
            "isUserVerified": true,
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// A stand-in for a relying party's redirect URI: answers 200 to anything.
async fn landing() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let body = "<title>rp</title><h1>back</h1>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_added_on_the_account_page_logs_in_at_level_2_in_chromium() {
    let Some((driver, browser)) = crate::pages::open_browser().await else {
        return;
    };
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        localhost_issuer: true,
        ..Default::default()
    })
    .await;
    let rp_port = landing().await;
    let redirect = format!("http://127.0.0.1:{rp_port}/cb");
    register(&app, &portal(&redirect)).await;
    let people = adults(&app).await;
    let pin = people[0].personal_id.clone();
    let (ok, _, err) = add_citizen(&app, &pin, &["--level", "2", "--totp"]);
    assert!(ok, "{err}");
    browser
        .issue_cmd(AddVirtualAuthenticator)
        .await
        .expect("a virtual authenticator");
    let base = format!("http://localhost:{}", app.addr.port());
    let query = serde_urlencoded::to_string([
        ("client_id", "portal"),
        ("redirect_uri", redirect.as_str()),
        ("response_type", "code"),
        ("scope", "openid pid"),
        ("state", "pk"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("acr_values", AssuranceLevel::ACR_LEVEL_2),
    ])
    .expect("a query");
    let steps = tokio::spawn(passkey_steps(browser.clone(), base, pin, query));
    let outcome = steps.await;
    let _ = browser.close().await;
    drop(driver);
    let code = match outcome {
        Ok(code) => code,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    // the code from a passkey log-in is a level-2 log-in
    let tokens = send(
        app.client
            .post(app.url("/oidc/token"))
            .basic_auth("portal", Some(SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect.as_str()),
                ("code_verifier", VERIFIER),
            ]),
    )
    .await;
    assert_eq!(tokens.status.as_u16(), 200, "{}", tokens.body);
    let id = claims_of(tokens.json()["id_token"].as_str().expect("ID token"));
    assert_eq!(id["acr"], AssuranceLevel::ACR_LEVEL_2);
}

async fn passkey_steps(c: fantoccini::Client, base: String, pin: String, query: String) -> String {
    use fantoccini::Locator;
    let wait = Duration::from_secs(20);
    // 1. log in with the password on the portal, then add a passkey
    c.goto(&format!("{base}/dang-nhap?next=/tai-khoan"))
        .await
        .expect("the log-in page");
    crate::pages::fill_login(&c, &pin, PASSWORD, None).await;
    c.wait()
        .at_most(wait)
        .for_element(Locator::Id("passkeys"))
        .await
        .expect("the account page");
    let add = c
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("#passkey-add:not([hidden])"))
        .await
        .expect("the add button (WebAuthn available)");
    add.click().await.expect("add a passkey");
    let mut count = String::new();
    for _ in 0..100 {
        if let Ok(e) = c.find(Locator::Id("passkeys")).await {
            count = e.text().await.unwrap_or_default();
            if count == "1" {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error = match c.find(Locator::Id("passkey-add-error")).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    assert_eq!(count, "1", "the passkey is listed ({error})");
    // 2. a new browser session: only the passkey, for a level-2 service
    c.delete_all_cookies().await.expect("cookies");
    c.goto(&format!("{base}/oidc/authorize?{query}"))
        .await
        .expect("authorize");
    let login = c
        .wait()
        .at_most(wait)
        .for_element(Locator::Css("#passkey-login:not([hidden])"))
        .await
        .expect("the passkey button");
    login.click().await.expect("log in with the passkey");
    let mut at = String::new();
    for _ in 0..200 {
        at = c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        if at.contains("/cb?") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error = match c.find(Locator::Id("passkey-login-error")).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    assert!(
        at.contains("/cb?"),
        "back at the relying party, at {at} ({error})"
    );
    let query = at.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).expect("params");
    params
        .into_iter()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v)
        .expect("a code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_reviewed_by_an_officer_issues_a_level_2_account() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let (applicant, officer) = (&people[0], &people[1]);
    assert!(add_citizen(&app, &officer.personal_id, &[]).0);
    let pw = format!("{PASSWORD}\n");
    let (ok, applied, err) = account_cli(
        &app,
        &["apply", "--pin", &applicant.personal_id, "--level", "2"],
        &pw,
    );
    assert!(ok, "{err}");
    assert_eq!(applied["status"], "submitted");
    assert_eq!(applied["late"], false);
    let submitted =
        chrono::DateTime::parse_from_rfc3339(applied["submitted_at"].as_str().expect("submitted"))
            .expect("time");
    let due =
        chrono::DateTime::parse_from_rfc3339(applied["due"].as_str().expect("due")).expect("time");
    // three working days (Decree 69/2024, level 2), closing at office close
    let calendar = calendar::WorkingCalendar::official().expect("the calendar");
    let counted = calendar
        .working_days_between(submitted, due, calendar::Cutoff::office_close(), &[])
        .expect("counted");
    assert_eq!(counted, 3, "{submitted} → {due}");
    assert_eq!(due.format("%H:%M").to_string(), "17:00", "{due}");
    let id = applied["application"].as_str().expect("id").to_string();
    let (ok, queue, _) = account_cli(&app, &["applications"], "");
    assert!(ok);
    assert_eq!(queue.as_array().map(Vec::len), Some(1));
    // no account before approval
    let r = log_in(
        &app,
        &authorize_query(None, &[]),
        &applicant.personal_id,
        PASSWORD,
        None,
    )
    .await;
    assert_eq!(r.status.as_u16(), 422);

    let review = |action: &str, extra: &[&str]| {
        let mut args = vec!["review", "--application", id.as_str(), "--action", action];
        args.extend_from_slice(extra);
        account_cli(&app, &args, "")
    };
    let officer_at = [
        "--officer",
        officer.personal_id.as_str(),
        "--place",
        "Công an phường Ba Đình",
    ];
    let (ok, _, err) = review("approve", &officer_at);
    assert!(
        !ok && err.contains("submitted"),
        "approval only after verifying: {err}"
    );
    assert!(review("start", &[]).0);
    let (ok, _, err) = review("approve", &[]);
    assert!(!ok && err.contains("--officer"), "{err}");
    let (ok, approved, err) = review("approve", &officer_at);
    assert!(ok, "{err}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(
        approved["evidence"]["verified"]["place"],
        "Công an phường Ba Đình"
    );
    assert_eq!(
        approved["evidence"]["matched"]["source"],
        "population_registry"
    );
    assert!(
        approved["totp_uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("otpauth://"))
    );
    let history: Vec<&str> = approved["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(history, ["submitted", "verifying", "approved"]);
    // the account logs in at level 2 with its code
    let level2 = authorize_query(Some(AssuranceLevel::ACR_LEVEL_2), &[]);
    let code = otp_of(&app, &applicant.personal_id).await;
    let r = log_in(&app, &level2, &applicant.personal_id, PASSWORD, Some(&code)).await;
    let (id_claims, _, _) = tokens_of(&app, &r).await;
    assert_eq!(id_claims["acr"], AssuranceLevel::ACR_LEVEL_2);
    // a decided application takes no more transitions
    let (ok, _, err) = review("refuse", &["--text", "late"]);
    assert!(!ok, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreigner_with_a_residence_card_logs_in_with_nationality_and_passport() {
    let app = TestApp::spawn().await;
    let mut client = portal(REDIRECT);
    client.scopes.insert("org".into());
    register(&app, &client).await;
    let pw = format!("{PASSWORD}\n");
    let base = [
        "add-foreigner",
        "--passport",
        "TZ1234567",
        "--nationality",
        "JPN",
        "--name",
        "SATO HANAKO",
        "--birth",
        "1988-02-03",
        "--sex",
        "female",
    ];
    // no residence card: no account, and why
    let (ok, _, err) = account_cli(&app, &base, &pw);
    assert!(!ok && err.contains("residence card"), "{err}");
    // an expired card neither
    let mut expired = base.to_vec();
    expired.extend_from_slice(&[
        "--residence-card",
        "TT0012345",
        "--card-valid-until",
        "2020-01-01",
    ]);
    let (ok, _, err) = account_cli(&app, &expired, &pw);
    assert!(!ok && err.contains("2020-01-01"), "{err}");
    let mut valid = base.to_vec();
    valid.extend_from_slice(&[
        "--residence-card",
        "TT0012345",
        "--card-valid-until",
        "2030-12-31",
        "--level",
        "2",
        "--totp",
    ]);
    let (ok, opened, err) = account_cli(&app, &valid, &pw);
    assert!(ok, "{err}");
    assert_eq!(opened["login"], "JP:TZ1234567");
    // logs in at level 2 with the identifier written either way
    let account = app
        .store
        .accounts()
        .account_by_login("passport:JP:TZ1234567")
        .await
        .expect("read")
        .expect("the account");
    let code = account
        .totp
        .expect("a factor")
        .code_at(Utc::now().timestamp())
        .expect("a code");
    let level2 = authorize_query(Some(AssuranceLevel::ACR_LEVEL_2), &[]);
    let r = log_in(&app, &level2, "jpn:tz1234567", PASSWORD, Some(&code)).await;
    let session = cookie_value(&r, "motcua_sid").expect("a session");
    let (id, access, token) = tokens_of(&app, &r).await;
    assert_eq!(id["sub"], opened["subject"]);
    assert_eq!(id["acr"], AssuranceLevel::ACR_LEVEL_2);
    assert!(access["sub"].is_string());
    let info = send(
        app.client
            .get(app.url("/oidc/userinfo"))
            .bearer_auth(&token),
    )
    .await
    .json();
    assert_eq!(info["passport_number"], "TZ1234567");
    assert_eq!(info["nationality"], "JPN");
    assert_eq!(info["name"], "SATO HANAKO");

    // a foreign-owned enterprise with her as its legal representative: she
    // acts for it with the same level-2 log-in
    let (ok, org, err) = account_cli(
        &app,
        &[
            "add-organisation",
            "--tax-code",
            "0101245486",
            "--name",
            "Công ty TNHH Sato Việt Nam",
            "--representative",
            "JP:TZ1234567",
            "--foreign-owned",
        ],
        "",
    );
    assert!(ok, "{err}");
    let org_subject = org["subject"].as_str().expect("subject");
    let chosen = act_again(&app, &session, org_subject).await;
    let (id, _, token) = tokens_of(&app, &chosen).await;
    assert_eq!(id["sub"], org_subject);
    assert_eq!(id["act"]["sub"], opened["subject"]);
    let info = send(
        app.client
            .get(app.url("/oidc/userinfo"))
            .bearer_auth(&token),
    )
    .await
    .json();
    assert_eq!(info["foreign_owned"], true);
    assert_eq!(info["tax_code"], "0101245486");
}

/// Logs `pin` in on the portal's own page, with a one-time code when given;
/// the session and CSRF cookies.
async fn portal_session(app: &TestApp, pin: &str, otp: Option<&str>) -> (String, String) {
    let http = no_redirects();
    let page = send(http.get(app.url("/dang-nhap?next=/tai-khoan/to-chuc"))).await;
    let csrf = cookie_value(&page, "motcua_csrf").expect("csrf");
    let mut form = vec![
        ("csrf_token", csrf.clone()),
        ("next", "/tai-khoan/to-chuc".to_string()),
        ("identifier", pin.to_string()),
        ("password", PASSWORD.to_string()),
    ];
    if let Some(o) = otp {
        form.push(("otp", o.to_string()));
    }
    let r = send(
        http.post(app.url("/oidc/login"))
            .header("cookie", format!("motcua_csrf={csrf}"))
            .form(&form),
    )
    .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.body);
    let session = cookie_value(&r, "motcua_sid").expect("session");
    // the forms of a session carry a token of that session
    let token = session_csrf(app, &session).await;
    (session, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn representatives_authorise_consent_and_revoke_on_the_portal() {
    let app = TestApp::spawn().await;
    let mut client = portal(REDIRECT);
    client.scopes.insert("org".into());
    register(&app, &client).await;
    let people = adults(&app).await;
    let (a, b, c) = (&people[0], &people[1], &people[2]);
    for p in [a, b, c] {
        let (ok, _, err) = add_citizen(&app, &p.personal_id, &["--level", "2", "--totp"]);
        assert!(ok, "{err}");
    }
    let (ok, org, err) = account_cli(
        &app,
        &[
            "add-organisation",
            "--tax-code",
            "0100109106",
            "--name",
            "Công ty TNHH Sông Hồng",
            "--representative",
            &a.personal_id,
            "--representative",
            &b.personal_id,
        ],
        "",
    );
    assert!(ok, "{err}");
    let org_subject = org["subject"].as_str().expect("subject").to_string();
    let http = no_redirects();
    let page = |session: &str| {
        send(
            http.get(app.url("/tai-khoan/to-chuc"))
                .header("cookie", format!("motcua_sid={session}")),
        )
    };
    let post = |session: &str, csrf: &str, form: Vec<(&str, String)>| {
        let mut form = form;
        form.push(("csrf_token", csrf.to_string()));
        form.push(("organisation", org_subject.clone()));
        send(
            http.post(app.url("/tai-khoan/to-chuc"))
                .header(
                    "cookie",
                    format!("motcua_sid={session}; motcua_csrf={csrf}"),
                )
                .form(&form),
        )
    };
    // a level-1 session may not manage authorisations
    let (level1, _) = portal_session(&app, &a.personal_id, None).await;
    let r = page(&level1).await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    // A, at level 2, authorises C: waiting for B
    let otp = otp_of(&app, &a.personal_id).await;
    let (sa, csrf_a) = portal_session(&app, &a.personal_id, Some(&otp)).await;
    let r = page(&sa).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert!(r.body.contains("Công ty TNHH Sông Hồng"));
    let r = post(
        &sa,
        &csrf_a,
        vec![
            ("action", "grant".into()),
            ("grantee", c.personal_id.clone()),
            ("days", "30".into()),
        ],
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert!(r.body.contains("Chờ đồng ý, còn thiếu: 1"), "{}", r.body);
    // C cannot act yet
    let (c_page, chosen) = act_for(&app, &c.personal_id, &org_subject).await;
    let c_session = cookie_value(&c_page, "motcua_sid").expect("C's session");
    assert_eq!(chosen.status.as_u16(), 422);
    assert!(chosen.body.contains("chờ sự đồng ý"), "{}", chosen.body);
    // B consents
    let otp = otp_of(&app, &b.personal_id).await;
    let (sb, csrf_b) = portal_session(&app, &b.personal_id, Some(&otp)).await;
    let r = page(&sb).await;
    let id = hidden(&r.body, "authorisation");
    let r = post(
        &sb,
        &csrf_b,
        vec![("action", "consent".into()), ("authorisation", id.clone())],
    )
    .await;
    assert!(r.body.contains("Đang có hiệu lực"), "{}", r.body);
    // now C acts for the organisation
    let chosen = act_again(&app, &c_session, &org_subject).await;
    let (claims, _, _) = tokens_of(&app, &chosen).await;
    assert_eq!(claims["sub"], org_subject.as_str());
    // A revokes: C cannot act any more
    let r = post(
        &sa,
        &csrf_a,
        vec![("action", "revoke".into()), ("authorisation", id)],
    )
    .await;
    assert!(r.body.contains("Đã thu hồi"), "{}", r.body);
    let chosen = act_again(&app, &c_session, &org_subject).await;
    assert_eq!(chosen.status.as_u16(), 422);
    assert!(chosen.body.contains("thu hồi"), "{}", chosen.body);
    // someone who does not represent it cannot change its authorisations
    let sc = c_session.clone();
    let csrf_c = session_csrf(&app, &c_session).await;
    let r = post(
        &sc,
        &csrf_c,
        vec![
            ("action", "grant".into()),
            ("grantee", a.personal_id.clone()),
        ],
    )
    .await;
    assert_eq!(r.status.as_u16(), 403);
    assert!(r.body.contains("không đại diện"), "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_address_claim_is_read_from_the_registry_and_shows_in_the_tracker() {
    let app = TestApp::spawn().await;
    let mut client = portal(REDIRECT);
    client.scopes.insert("address".into());
    register(&app, &client).await;
    let people = adults(&app).await;
    let an = &people[0];
    assert!(add_citizen(&app, &an.personal_id, &[]).0);
    let query = authorize_query(None, &[]).replace("openid+profile+pid", "openid+address");
    let reply = log_in(&app, &query, &an.personal_id, PASSWORD, None).await;
    let (_, _, token) = tokens_of(&app, &reply).await;
    let info = send(
        app.client
            .get(app.url("/oidc/userinfo"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(info.status.as_u16(), 200, "{}", info.body);
    let address = info.json()["address"].clone();
    assert_eq!(address["country"], "VN");
    let commune = address["commune_code"].as_str().expect("a commune");
    let unit = units::Units::get()
        .commune(commune)
        .expect("a 2025 commune");
    assert_eq!(address["locality"], unit.name.as_str());
    assert!(
        address["formatted"]
            .as_str()
            .is_some_and(|f| f.contains(&unit.name)),
        "{address}"
    );
    assert!(
        info.json().get("pid").is_none(),
        "only what the scopes allow"
    );
    // the read is in the person's data tracker, naming the service
    let operator = app.operator_token().await;
    let tracker = send(
        app.client
            .get(app.url(&web::api::tracker::accesses_path(&an.personal_id)))
            .bearer_auth(&operator),
    )
    .await
    .json();
    let reads: Vec<&serde_json::Value> = tracker["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .filter(|a| a["service"] == "oidc.userinfo")
        .collect();
    assert_eq!(reads.len(), 1, "{tracker}");
    assert_eq!(
        reads[0]["consumer"]["id"],
        web::services::identity::claims::EID_MEMBER
    );
    assert_eq!(reads[0]["case_ref"], "client portal");
    assert_eq!(
        reads[0]["fields"],
        serde_json::json!(["permanent_residence"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_attempts_are_limited_per_client_address() {
    let proxy: std::net::IpAddr = "127.0.0.1".parse().expect("an address");
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        trusted_proxies: vec![proxy],
        ..Default::default()
    })
    .await;
    let http = no_redirects();
    let page = send(http.get(app.url("/dang-nhap"))).await;
    let csrf = cookie_value(&page, "motcua_csrf").expect("csrf");
    let attempt = |from: &'static str| {
        send(
            http.post(app.url("/oidc/login"))
                .header("cookie", format!("motcua_csrf={csrf}"))
                .header("x-forwarded-for", from)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("next", "/tai-khoan"),
                    ("identifier", "abc"),
                    ("password", "guess"),
                ]),
        )
    };
    for _ in 0..web::ratelimit::LOGIN_ATTEMPTS_PER_MINUTE {
        assert_eq!(attempt("198.51.100.7").await.status.as_u16(), 422);
    }
    let r = attempt("198.51.100.7").await;
    assert_eq!(r.status.as_u16(), 429, "{}", r.body);
    let wait: u64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(r.body.contains("Quá nhiều lần đăng nhập"), "{}", r.body);
    // another client behind the same proxy is not held back
    assert_eq!(attempt("198.51.100.8").await.status.as_u16(), 422);
}

/// The directory of the npm test clients, with openid-client installed
/// (`scripts/test` runs `npm ci` there).
fn npm_clients() -> Option<std::path::PathBuf> {
    if std::env::var("MOTCUA_TEST_SKIP_NODE").as_deref() == Ok("1") {
        eprintln!("openid-client: SKIPPED (MOTCUA_TEST_SKIP_NODE=1)");
        return None;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients");
    assert!(
        dir.join("node_modules/openid-client").is_dir(),
        "openid-client is not installed: run scripts/test (it runs npm ci in {}), or set \
         MOTCUA_TEST_SKIP_NODE=1",
        dir.display()
    );
    Some(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_client_logs_a_person_in_through_the_browser_at_level_2() {
    let Some(clients) = npm_clients() else {
        return;
    };
    let Some((driver, browser)) = crate::pages::open_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let redirect = format!("http://127.0.0.1:{port}/cb");
    register(&app, &portal(&redirect)).await;
    let people = adults(&app).await;
    let an = people[0].clone();
    let (ok, opened, err) = add_citizen(&app, &an.personal_id, &["--level", "2", "--totp"]);
    assert!(ok, "{err}");

    let mut rp = tokio::process::Command::new("node")
        .arg(clients.join("openid_client_code_flow.mjs"))
        .env("ISSUER", &app.base)
        .env("CLIENT_ID", "portal")
        .env("CLIENT_SECRET", SECRET)
        .env("REDIRECT_PORT", port.to_string())
        .env("ACR_VALUES", AssuranceLevel::ACR_LEVEL_2)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run node (Debian: apt-get install nodejs npm)");
    let stdout = rp.stdout.take().expect("stdout");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stdout));
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("openid-client starts within 30 s")
        .expect("a line")
        .expect("the authorization URL");
    let first: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    let url = first["authorization_url"]
        .as_str()
        .unwrap_or_else(|| panic!("no authorization URL: {first}"))
        .to_string();
    assert!(url.starts_with(&app.url("/oidc/authorize?")), "{url}");

    let otp = otp_of(&app, &an.personal_id).await;
    let steps = tokio::spawn(browser_log_in(
        browser.clone(),
        url,
        an.personal_id.clone(),
        otp,
    ));
    let outcome = steps.await;
    let result = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
    let _ = browser.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
    let line = result
        .expect("openid-client finishes within 30 s")
        .expect("a line")
        .unwrap_or_default();
    let mut stderr = String::new();
    if let Some(mut e) = rp.stderr.take() {
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            tokio::io::AsyncReadExt::read_to_string(&mut e, &mut stderr),
        )
        .await;
    }
    let result: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("openid-client printed no result ({e}): {line}\n{stderr}"));
    assert!(result.get("error").is_none(), "{result}\n{stderr}");
    let subject = opened["subject"].as_str().expect("subject");
    // openid-client verified the ID token (signature, iss, aud, exp, nonce)
    assert_eq!(result["claims"]["sub"], subject, "{result}");
    assert_eq!(result["claims"]["acr"], AssuranceLevel::ACR_LEVEL_2);
    assert_eq!(result["userinfo"]["pid"], an.personal_id.as_str());
    assert_eq!(result["userinfo"]["name"], an.full_name.as_str());
    assert_eq!(result["token_type"], "bearer");
    assert_eq!(result["refresh_token"], true);
}

async fn browser_log_in(c: fantoccini::Client, url: String, pin: String, otp: String) {
    use fantoccini::Locator;
    c.goto(&url).await.expect("open the authorization URL");
    let lang = c
        .find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("lang");
    assert_eq!(lang.as_deref(), Some("vi"));
    // every input has its label
    for id in ["identifier", "password", "otp"] {
        c.find(Locator::Css(&format!("label[for={id}]")))
            .await
            .unwrap_or_else(|_| panic!("a label for {id}"));
    }
    crate::pages::fill_login(&c, &pin, PASSWORD, Some(&otp)).await;
    let done = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Id("rp-done"))
        .await;
    let current = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let source = c.source().await.unwrap_or_default();
    assert!(
        done.is_ok(),
        "the browser did not reach the relying party: at {current}\n{source}"
    );
}

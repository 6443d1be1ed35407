//! The identity provider's discovery, keys and token endpoint over HTTP,
//! and a client library nobody here wrote (Python's authlib) getting and
//! checking a token.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use chrono::Utc;
use identity::client::{AuthMethod, Client, ClientId, GrantType, SecretHash, SubjectType};

use crate::helpers::{Reply, TestApp};

const SECRET: &str = "bXktc2VjcmV0LW9mLTMyLWJ5dGVzLWZvci10ZXN0cw";

fn agency(id: &str, auth: AuthMethod) -> Client {
    Client {
        id: ClientId::parse(id).expect("id"),
        name: "Bộ Tư pháp — lý lịch tư pháp".into(),
        auth_method: auth,
        secret_hash: Some(SecretHash::of(SECRET)),
        jwks: None,
        redirect_uris: vec![],
        grant_types: [GrantType::ClientCredentials].into_iter().collect(),
        scopes: ["pid", "org"].into_iter().map(String::from).collect(),
        subject_type: SubjectType::Public,
        access_token_ttl: 300,
        post_logout_redirect_uris: vec![],
        require_par: false,
        trusted: false,
    }
}

async fn register(app: &TestApp, client: &Client) {
    client.validate().expect("a valid registration");
    app.store
        .oidc()
        .put_client(client, Utc::now())
        .await
        .expect("registered");
}

async fn token(app: &TestApp, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Reply {
    let mut req = app.client.post(app.url("/oidc/token")).form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    app.send(req).await
}

fn oauth_error(reply: &Reply, status: u16, code: &str) -> String {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["error"], code, "{body}");
    assert_eq!(
        reply
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    body["error_description"]
        .as_str()
        .expect("a description")
        .to_string()
}

fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("three parts");
    serde_json::from_slice(&B64.decode(payload).expect("base64url")).expect("JSON claims")
}

#[tokio::test]
async fn discovery_and_keys_describe_the_provider() {
    let app = TestApp::spawn().await;
    let meta = app
        .send(app.client.get(app.url("/.well-known/openid-configuration")))
        .await;
    assert_eq!(meta.status.as_u16(), 200);
    let meta = meta.json();
    assert_eq!(meta["issuer"], app.base.as_str());
    assert_eq!(meta["token_endpoint"], app.url("/oidc/token"));
    assert_eq!(meta["jwks_uri"], app.url("/oidc/jwks"));
    assert_eq!(
        meta["grant_types_supported"],
        serde_json::json!(["authorization_code", "client_credentials", "refresh_token"])
    );
    assert_eq!(meta["authorization_endpoint"], app.url("/oidc/authorize"));
    assert_eq!(meta["userinfo_endpoint"], app.url("/oidc/userinfo"));
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let rfc8414 = app
        .send(
            app.client
                .get(app.url("/.well-known/oauth-authorization-server")),
        )
        .await
        .json();
    assert_eq!(rfc8414, meta);

    let jwks = app.send(app.client.get(app.url("/oidc/jwks"))).await;
    assert_eq!(jwks.status.as_u16(), 200);
    let keys = jwks.json()["keys"].clone();
    assert_eq!(keys.as_array().map(Vec::len), Some(1));
    assert_eq!(keys[0]["kty"], "OKP");
    assert_eq!(keys[0]["crv"], "Ed25519");
    assert_eq!(keys[0]["alg"], "EdDSA");
    assert!(keys[0].get("d").is_none(), "never the private part");
}

#[tokio::test]
async fn an_agency_system_gets_a_signed_access_token() {
    let app = TestApp::spawn().await;
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    register(&app, &agency("bhxh-pensions", AuthMethod::ClientSecretPost)).await;

    let reply = token(
        &app,
        &[("grant_type", "client_credentials"), ("scope", "pid")],
        Some(("tu-phap-lltp", SECRET)),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    assert_eq!(
        reply
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let body = reply.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "pid");
    let at = body["access_token"].as_str().expect("a token");
    let header: serde_json::Value = serde_json::from_slice(
        &B64.decode(at.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("JSON header");
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "EdDSA");
    let kid =
        app.send(app.client.get(app.url("/oidc/jwks"))).await.json()["keys"][0]["kid"].clone();
    assert_eq!(header["kid"], kid);
    let claims = claims_of(at);
    assert_eq!(claims["iss"], app.base.as_str());
    assert_eq!(claims["sub"], "tu-phap-lltp");
    assert_eq!(claims["client_id"], "tu-phap-lltp");
    assert_eq!(claims["aud"], app.base.as_str());
    assert_eq!(claims["scope"], "pid");
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert_eq!(exp - iat, 300);
    assert!((iat - Utc::now().timestamp()).abs() < 60);

    // no scope asked: every scope of the client; a resource names the audience
    let reply = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "bhxh-pensions"),
            ("client_secret", SECRET),
            ("resource", "https://registry.example/api"),
        ],
        None,
    )
    .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["scope"], "org pid");
    let claims = claims_of(body["access_token"].as_str().expect("token"));
    assert_eq!(claims["aud"], "https://registry.example/api");
    // two tokens, two ids
    let again = token(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("tu-phap-lltp", SECRET)),
    )
    .await
    .json();
    assert_ne!(
        claims_of(again["access_token"].as_str().expect("token"))["jti"],
        claims["jti"]
    );
}

#[tokio::test]
async fn bad_token_requests_get_the_oauth_error_that_says_why() {
    let app = TestApp::spawn().await;
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    let mut portal = agency("portal", AuthMethod::ClientSecretBasic);
    portal.grant_types = [GrantType::AuthorizationCode].into_iter().collect();
    portal.redirect_uris = vec!["https://dichvucong.example/cb".into()];
    register(&app, &portal).await;
    let cc = [("grant_type", "client_credentials")];

    let r = token(&app, &cc, Some(("tu-phap-lltp", "wrong"))).await;
    oauth_error(&r, 401, "invalid_client");
    assert_eq!(
        r.headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Basic realm=\"motcua\"")
    );
    oauth_error(
        &token(&app, &cc, Some(("nobody", SECRET))).await,
        401,
        "invalid_client",
    );
    oauth_error(&token(&app, &cc, None).await, 401, "invalid_client");
    // registered for Basic, authenticating in the body
    let post = [
        ("grant_type", "client_credentials"),
        ("client_id", "tu-phap-lltp"),
        ("client_secret", SECRET),
    ];
    oauth_error(&token(&app, &post, None).await, 401, "invalid_client");
    // both methods at once
    let d = oauth_error(
        &token(&app, &post, Some(("tu-phap-lltp", SECRET))).await,
        400,
        "invalid_request",
    );
    assert!(d.contains("twice"), "{d}");

    let d = oauth_error(
        &token(&app, &[("scope", "pid")], Some(("tu-phap-lltp", SECRET))).await,
        400,
        "invalid_request",
    );
    assert!(d.contains("grant_type"), "{d}");
    oauth_error(
        &token(
            &app,
            &[("grant_type", "password")],
            Some(("tu-phap-lltp", SECRET)),
        )
        .await,
        400,
        "unsupported_grant_type",
    );
    let d = oauth_error(
        &token(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "pid openid"),
            ],
            Some(("tu-phap-lltp", SECRET)),
        )
        .await,
        400,
        "invalid_scope",
    );
    assert!(d.contains("openid"), "{d}");
    oauth_error(
        &token(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
            Some(("tu-phap-lltp", SECRET)),
        )
        .await,
        400,
        "invalid_request",
    );
    oauth_error(
        &token(&app, &cc, Some(("portal", SECRET))).await,
        400,
        "unauthorized_client",
    );
    oauth_error(
        &token(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("resource", "registry"),
            ],
            Some(("tu-phap-lltp", SECRET)),
        )
        .await,
        400,
        "invalid_target",
    );
}

#[tokio::test]
async fn guessing_a_client_secret_is_stopped() {
    let app = TestApp::spawn().await;
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    let cc = [("grant_type", "client_credentials")];
    for i in 0..web::services::identity::provider::MAX_FAILURES {
        let r = token(&app, &cc, Some(("tu-phap-lltp", &format!("guess-{i}")))).await;
        oauth_error(&r, 401, "invalid_client");
    }
    // locked for the window: even the right secret waits
    let r = token(&app, &cc, Some(("tu-phap-lltp", SECRET))).await;
    let d = oauth_error(&r, 429, "invalid_client");
    assert!(d.contains("try again"), "{d}");
    let after: u64 = r
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=60).contains(&after), "{after}");
    // another client is not affected
    register(
        &app,
        &agency("bhxh-pensions", AuthMethod::ClientSecretBasic),
    )
    .await;
    let r = token(&app, &cc, Some(("bhxh-pensions", SECRET))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
}

/// The Python interpreter with authlib: `MOTCUA_TEST_PYTHON`, else the
/// virtual environment `scripts/test` prepares; `None` when
/// `MOTCUA_TEST_SKIP_PYTHON=1`.
pub(crate) fn python() -> Option<std::path::PathBuf> {
    if std::env::var("MOTCUA_TEST_SKIP_PYTHON").as_deref() == Ok("1") {
        eprintln!("authlib client: SKIPPED (MOTCUA_TEST_SKIP_PYTHON=1)");
        return None;
    }
    if let Ok(p) = std::env::var("MOTCUA_TEST_PYTHON")
        && !p.trim().is_empty()
    {
        return Some(p.into());
    }
    let home = std::env::var("HOME").unwrap_or_default();
    Some(std::path::Path::new(&home).join(".cache/motcua-py/bin/python"))
}

async fn authlib(
    app: &TestApp,
    client: &str,
    secret: &str,
    method: &str,
) -> (i32, serde_json::Value) {
    let python = python().expect("checked by the caller");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/authlib_client_credentials.py"
    );
    let args: Vec<String> = [script, &app.base, client, secret, method, "pid"]
        .into_iter()
        .map(String::from)
        .collect();
    let run = python.clone();
    // the server answers on this runtime while the script runs
    let out =
        tokio::task::spawn_blocking(move || std::process::Command::new(run).args(args).output())
            .await
            .expect("the script's thread")
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {} ({e}): run scripts/test, which prepares it, point \
                 MOTCUA_TEST_PYTHON at a python with authlib, or set MOTCUA_TEST_SKIP_PYTHON=1",
                    python.display()
                )
            });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("authlib printed no JSON ({e}): {stdout}\n{stderr}"));
    (out.status.code().unwrap_or(-1), json)
}

#[tokio::test]
async fn authlib_gets_and_verifies_a_client_credentials_token() {
    if python().is_none() {
        return;
    }
    let app = TestApp::spawn().await;
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    register(&app, &agency("bhxh-pensions", AuthMethod::ClientSecretPost)).await;

    for (client, method) in [
        ("tu-phap-lltp", "client_secret_basic"),
        ("bhxh-pensions", "client_secret_post"),
    ] {
        let (code, out) = authlib(&app, client, SECRET, method).await;
        assert_eq!(code, 0, "{out}");
        // authlib verified the EdDSA signature against our JWK Set and the times
        assert_eq!(out["header"]["alg"], "EdDSA", "{out}");
        assert_eq!(out["claims"]["client_id"], client, "{out}");
        assert_eq!(out["claims"]["iss"], app.base.as_str(), "{out}");
        assert_eq!(out["token"]["token_type"], "Bearer", "{out}");
        assert_eq!(out["token"]["scope"], "pid", "{out}");
        // introspected as active, revoked, then inactive
        assert_eq!(out["introspected"]["active"], true, "{out}");
        assert_eq!(out["introspected"]["client_id"], client, "{out}");
        assert_eq!(out["introspected"]["jti"], out["claims"]["jti"], "{out}");
        assert_eq!(
            out["after_revocation"],
            serde_json::json!({"active": false}),
            "{out}"
        );
    }

    // a wrong secret is the OAuth error authlib understands
    let (code, out) = authlib(&app, "tu-phap-lltp", "wrong", "client_secret_basic").await;
    assert_eq!(code, 2, "{out}");
    assert_eq!(out["error"], "invalid_client", "{out}");
}

fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let dir = app.data_dir().to_string_lossy().to_string();
    let mut all: Vec<&str> = vec!["oidc", "client"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", &dir]);
    std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(&all)
        .env_remove("MOTCUA_DATABASE_URL")
        .output()
        .expect("motcua runs")
}

#[tokio::test]
async fn clients_are_administered_from_the_command_line() {
    let app = TestApp::spawn().await;
    let add = [
        "add",
        "--id",
        "so-tu-phap-hn",
        "--name",
        "Sở Tư pháp Hà Nội",
        "--grant",
        "client-credentials",
        "--scope",
        "pid",
    ];
    let out = cli(&app, &add);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let secret = added["client_secret"]
        .as_str()
        .expect("the secret, once")
        .to_string();
    assert_eq!(secret.len(), 43);

    // the server takes it at once (same store)
    let r = token(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("so-tu-phap-hn", &secret)),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);

    // listed without any secret
    let out = cli(&app, &["list"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("so-tu-phap-hn") && !text.contains(&secret),
        "{text}"
    );
    assert!(!text.contains("secret_hash"), "{text}");

    // again: refused unless replaced, and replacing changes the secret
    let out = cli(&app, &add);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--replace"));
    let mut replace = add.to_vec();
    replace.push("--replace");
    let out = cli(&app, &replace);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let replaced: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let new_secret = replaced["client_secret"].as_str().expect("a new secret");
    assert_ne!(new_secret, secret);
    // the new secret works at once; the old one stops within the cache's time
    let r = token(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("so-tu-phap-hn", new_secret)),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let deadline =
        std::time::Instant::now() + web::services::identity::provider::CLIENT_CACHE_TTL * 2;
    loop {
        let r = token(
            &app,
            &[("grant_type", "client_credentials")],
            Some(("so-tu-phap-hn", &secret)),
        )
        .await;
        if r.status.as_u16() == 401 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the old secret still works after {:?}",
            web::services::identity::provider::CLIENT_CACHE_TTL * 2
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }

    // a registration that does not hold together says why
    let out = cli(
        &app,
        &[
            "add",
            "--id",
            "portal",
            "--name",
            "Cổng",
            "--grant",
            "authorization-code",
            "--scope",
            "openid",
            "--redirect-uri",
            "http://portal.example/cb",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("use https"));

    // a client with its own key: the key set from a file, each key named
    let jwks = app.data_dir().join("bhxh-jwks.json");
    let key = p256::ecdsa::SigningKey::from_slice(&[11; 32]).expect("key");
    let mut jwk = es256_jwk(&key);
    std::fs::write(
        &jwks,
        serde_json::json!({ "keys": [jwk.clone()] }).to_string(),
    )
    .expect("written");
    let with_key = [
        "add",
        "--id",
        "bhxh-pensions",
        "--name",
        "BHXH",
        "--grant",
        "client-credentials",
        "--scope",
        "pid",
        "--auth",
        "private-key-jwt",
        "--jwks-file",
    ];
    let mut args = with_key.to_vec();
    let path = jwks.to_string_lossy().to_string();
    args.push(&path);
    let out = cli(&app, &args);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a kid"));
    jwk["kid"] = serde_json::json!("k1");
    std::fs::write(&jwks, serde_json::json!({ "keys": [jwk] }).to_string()).expect("written");
    let out = cli(&app, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        added.get("client_secret").is_none(),
        "no secret for a key client"
    );
    assert_eq!(added["token_endpoint_auth_method"], "private_key_jwt");

    let out = cli(&app, &["remove", "--id", "so-tu-phap-hn"]);
    assert!(out.status.success());
    let out = cli(&app, &["remove", "--id", "so-tu-phap-hn"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no client"));
}

async fn form_post(app: &TestApp, path: &str, form: &[(&str, &str)], basic: (&str, &str)) -> Reply {
    app.send(
        app.client
            .post(app.url(path))
            .form(form)
            .basic_auth(basic.0, Some(basic.1)),
    )
    .await
}

#[tokio::test]
async fn tokens_are_introspected_by_their_client_and_revoked() {
    let app = TestApp::spawn().await;
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    register(
        &app,
        &agency("bhxh-pensions", AuthMethod::ClientSecretBasic),
    )
    .await;
    let me = ("tu-phap-lltp", SECRET);
    let other = ("bhxh-pensions", SECRET);
    let at = token(&app, &[("grant_type", "client_credentials")], Some(me))
        .await
        .json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();

    let r = form_post(&app, "/oidc/introspect", &[("token", &at)], me).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["active"], true);
    assert_eq!(v["client_id"], "tu-phap-lltp");
    assert_eq!(v["scope"], "org pid");
    assert_eq!(v["token_type"], "Bearer");
    // another client learns nothing about it, and cannot revoke it
    let r = form_post(&app, "/oidc/introspect", &[("token", &at)], other).await;
    assert_eq!(r.json(), serde_json::json!({"active": false}));
    let r = form_post(&app, "/oidc/revoke", &[("token", &at)], other).await;
    oauth_error(&r, 400, "unauthorized_client");
    // garbage is simply inactive; revoking garbage is fine (RFC 7009)
    let r = form_post(&app, "/oidc/introspect", &[("token", "not.a.token")], me).await;
    assert_eq!(r.json(), serde_json::json!({"active": false}));
    let r = form_post(&app, "/oidc/revoke", &[("token", "not.a.token")], me).await;
    assert_eq!(r.status.as_u16(), 200);
    // a token the client did not send, or credentials that are wrong
    oauth_error(
        &form_post(&app, "/oidc/introspect", &[], me).await,
        400,
        "invalid_request",
    );
    oauth_error(
        &form_post(
            &app,
            "/oidc/introspect",
            &[("token", &at)],
            ("tu-phap-lltp", "x"),
        )
        .await,
        401,
        "invalid_client",
    );

    let r = form_post(&app, "/oidc/revoke", &[("token", &at)], me).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let r = form_post(&app, "/oidc/introspect", &[("token", &at)], me).await;
    assert_eq!(r.json(), serde_json::json!({"active": false}));

    // a token signed by another key, with the same claims, is not active
    let forged = {
        let key = identity::jwt::SigningKey::from_seed(&[42; 32]);
        key.sign("at+jwt", &claims_of(&at)).expect("signed")
    };
    let r = form_post(&app, "/oidc/introspect", &[("token", &forged)], me).await;
    assert_eq!(r.json(), serde_json::json!({"active": false}));
}

fn keys_cli(app: &TestApp, args: &[&str]) -> serde_json::Value {
    let dir = app.data_dir().to_string_lossy().to_string();
    let mut all: Vec<&str> = vec!["oidc", "keys"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", &dir]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
        .args(&all)
        .env_remove("MOTCUA_DATABASE_URL")
        .output()
        .expect("motcua runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

async fn kids(app: &TestApp) -> Vec<String> {
    app.send(app.client.get(app.url("/oidc/jwks"))).await.json()["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect()
}

fn kid_of(token: &str) -> String {
    let header: serde_json::Value = serde_json::from_slice(
        &B64.decode(token.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("JSON header");
    header["kid"].as_str().expect("kid").to_string()
}

/// Waits until the running server has reloaded the keys (it does every
/// 200 ms in the tests, every 30 s in production).
async fn until_jwks(app: &TestApp, want: &[String]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while kids(app).await != want {
        assert!(
            std::time::Instant::now() < deadline,
            "the JWK Set is {:?}, not {want:?}",
            kids(app).await
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn keys_rotate_in_two_steps_without_breaking_issued_tokens() {
    let app = TestApp::spawn().await;
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    let me = ("tu-phap-lltp", SECRET);
    let get = || token(&app, &[("grant_type", "client_credentials")], Some(me));
    let first = kids(&app).await;
    assert_eq!(first.len(), 1);
    let old_token = get().await.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(kid_of(&old_token), first[0]);

    // step 1: a next key is published, the current one still signs
    let listed = keys_cli(&app, &["rotate"]);
    let next = listed["keys"][1]["kid"]
        .as_str()
        .expect("next kid")
        .to_string();
    assert_eq!(listed["keys"][1]["role"], "next");
    until_jwks(&app, &[first[0].clone(), next.clone()]).await;
    let t = get().await.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(kid_of(&t), first[0]);

    // step 2: the next key signs; the old one stays published and accepted
    let listed = keys_cli(&app, &["rotate"]);
    assert_eq!(listed["keys"][0]["kid"], next.as_str());
    assert_eq!(listed["keys"][1]["role"], "previous");
    assert!(listed["keys"][1]["accepted_until"].is_string());
    until_jwks(&app, &[next.clone(), first[0].clone()]).await;
    let new_token = get().await.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(kid_of(&new_token), next);
    for t in [&old_token, &new_token] {
        let r = form_post(&app, "/oidc/introspect", &[("token", t)], me).await;
        assert_eq!(r.json()["active"], true, "{}", r.body);
    }
    let listed = keys_cli(&app, &["list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(2));
}

/// The public JWK of a P-256 key.
fn es256_jwk(key: &p256::ecdsa::SigningKey) -> serde_json::Value {
    let point = key.verifying_key().to_encoded_point(false);
    serde_json::json!({
        "kty": "EC", "crv": "P-256",
        "x": B64.encode(point.x().expect("x")),
        "y": B64.encode(point.y().expect("y")),
    })
}

/// A compact JWS of `header` and `claims`, signed by `sign`.
fn jws(
    header: &serde_json::Value,
    claims: &serde_json::Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(serde_json::to_vec(header).expect("JSON")),
        B64.encode(serde_json::to_vec(claims).expect("JSON"))
    );
    format!("{input}.{}", B64.encode(sign(input.as_bytes())))
}

/// A compact JWS signed with ES256.
fn es256_jws(
    key: &p256::ecdsa::SigningKey,
    header: &serde_json::Value,
    claims: &serde_json::Value,
) -> String {
    use p256::ecdsa::signature::Signer as _;
    jws(header, claims, |input| {
        let signature: p256::ecdsa::Signature = key.sign(input);
        signature.to_bytes().to_vec()
    })
}

/// A DPoP proof (RFC 9449) for `POST uri`, made now with `key`.
fn dpop_proof(key: &p256::ecdsa::SigningKey, uri: &str, jti: &str) -> String {
    dpop_proof_for(key, "POST", uri, jti, None)
}

/// A DPoP proof for `method uri`, with the hash of `access_token` (`ath`)
/// when it goes with one.
pub(crate) fn dpop_proof_for(
    key: &p256::ecdsa::SigningKey,
    method: &str,
    uri: &str,
    jti: &str,
    access_token: Option<&str>,
) -> String {
    use sha2::Digest as _;
    let header = serde_json::json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": es256_jwk(key)});
    let mut claims =
        serde_json::json!({"jti": jti, "htm": method, "htu": uri, "iat": Utc::now().timestamp()});
    if let Some(token) = access_token {
        claims["ath"] = B64.encode(sha2::Sha256::digest(token.as_bytes())).into();
    }
    es256_jws(key, &header, &claims)
}

#[tokio::test]
async fn a_dpop_proof_binds_the_token_and_is_used_once() {
    let app = TestApp::spawn().await;
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    let me = ("tu-phap-lltp", SECRET);
    let key = p256::ecdsa::SigningKey::from_slice(&[9; 32]).expect("key");
    let uri = app.url("/oidc/token");
    let with_proof = |proof: String| {
        app.client
            .post(app.url("/oidc/token"))
            .form(&[("grant_type", "client_credentials")])
            .basic_auth(me.0, Some(me.1))
            .header("DPoP", proof)
    };

    let proof = dpop_proof(&key, &uri, "proof-1");
    let r = app.send(with_proof(proof.clone())).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["token_type"], "DPoP");
    let at = body["access_token"].as_str().expect("token").to_string();
    let jkt = claims_of(&at)["cnf"]["jkt"]
        .as_str()
        .expect("cnf.jkt")
        .to_string();
    assert_eq!(jkt.len(), 43);
    // introspection shows the binding
    let v = form_post(&app, "/oidc/introspect", &[("token", &at)], me)
        .await
        .json();
    assert_eq!(v["token_type"], "DPoP");
    assert_eq!(v["cnf"]["jkt"], jkt.as_str());

    // the same proof again: refused
    let r = app.send(with_proof(proof)).await;
    let d = oauth_error(&r, 400, "invalid_dpop_proof");
    assert!(d.contains("used before"), "{d}");
    // a proof for another endpoint, or an old one
    let r = app
        .send(with_proof(dpop_proof(
            &key,
            &app.url("/oidc/revoke"),
            "proof-2",
        )))
        .await;
    oauth_error(&r, 400, "invalid_dpop_proof");
    // a new proof with the same key: another token bound to the same key
    let r = app
        .send(with_proof(dpop_proof(&key, &uri, "proof-3")))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let again = r.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(claims_of(&again)["cnf"]["jkt"], jkt.as_str());
    // without DPoP: a plain bearer token, no binding
    let plain = token(&app, &[("grant_type", "client_credentials")], Some(me))
        .await
        .json();
    assert_eq!(plain["token_type"], "Bearer");
    assert!(
        claims_of(plain["access_token"].as_str().expect("token"))
            .get("cnf")
            .is_none()
    );
}

#[tokio::test]
async fn a_refresh_token_rotates_and_its_reuse_revokes_the_log_in() {
    use identity::authz::RefreshGrant;
    use identity::level::AssuranceLevel;
    let app = TestApp::spawn().await;
    // a public client (the portal's phone app): no secret
    let mut portal = agency("portal-app", AuthMethod::None);
    portal.secret_hash = None;
    portal.grant_types = [GrantType::AuthorizationCode, GrantType::RefreshToken]
        .into_iter()
        .collect();
    portal.redirect_uris = vec!["https://dichvucong.example/cb".into()];
    register(&app, &portal).await;
    // a log-in at level 2 left this refresh token (the code flow's part)
    let logged_in = Utc::now() - chrono::Duration::minutes(5);
    let grant = RefreshGrant {
        client_id: "portal-app".into(),
        subject: "0192f3a0-0000-7000-8000-000000000001".into(),
        scopes: ["pid".to_string()].into_iter().collect(),
        level: AssuranceLevel::Level2,
        auth_time: logged_in,
        family: "login-1".into(),
        actor: None,
        jkt: None,
    };
    app.store
        .oidc()
        .put_refresh(
            &web::services::identity::grants::refresh_token_hash("rt-first"),
            &grant,
            Utc::now() + chrono::Duration::hours(1),
        )
        .await
        .expect("stored");
    let use_rt = |rt: &str| {
        let rt = rt.to_string();
        let app = &app;
        async move {
            token(
                app,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", "portal-app"),
                    ("refresh_token", &rt),
                ],
                None,
            )
            .await
        }
    };

    let r = use_rt("rt-first").await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let body = r.json();
    let second = body["refresh_token"]
        .as_str()
        .expect("a new refresh token")
        .to_string();
    assert_ne!(second, "rt-first");
    let claims = claims_of(body["access_token"].as_str().expect("token"));
    assert_eq!(claims["sub"], "0192f3a0-0000-7000-8000-000000000001");
    assert_eq!(claims["acr"], "urn:motcua:loa:2");
    assert_eq!(claims["auth_time"], logged_in.timestamp());
    assert_eq!(body["scope"], "pid");

    // the new one works once too
    let r = use_rt(&second).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let third = r.json()["refresh_token"]
        .as_str()
        .expect("token")
        .to_string();

    // the first one again (stolen and replayed): refused, and the whole
    // log-in goes, the latest token included
    let d = oauth_error(&use_rt("rt-first").await, 400, "invalid_grant");
    assert!(d.contains("revoked"), "{d}");
    oauth_error(&use_rt(&third).await, 400, "invalid_grant");
    oauth_error(&use_rt("never-issued").await, 400, "invalid_grant");
    // a confidential client's id without its secret is not a public client
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    oauth_error(
        &token(
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "tu-phap-lltp"),
            ],
            None,
        )
        .await,
        401,
        "invalid_client",
    );
}

#[tokio::test]
async fn an_agency_system_authenticates_with_its_own_key() {
    let app = TestApp::spawn().await;
    let key = p256::ecdsa::SigningKey::from_slice(&[11; 32]).expect("key");
    let mut jwk = es256_jwk(&key);
    jwk["kid"] = serde_json::json!("bhxh-2026");
    let mut client = agency("bhxh-pensions", AuthMethod::PrivateKeyJwt);
    client.secret_hash = None;
    client.jwks = Some(serde_json::json!({ "keys": [jwk] }));
    register(&app, &client).await;
    let endpoint = app.url("/oidc/token");
    let assertion = |jti: &str, aud: &str, lifetime: i64, kid: &str| {
        let now = Utc::now().timestamp();
        es256_jws(
            &key,
            &serde_json::json!({"alg": "ES256", "kid": kid}),
            &serde_json::json!({
                "iss": "bhxh-pensions", "sub": "bhxh-pensions", "aud": aud,
                "jti": jti, "iat": now, "exp": now + lifetime,
            }),
        )
    };
    let send = |a: String| {
        let app = &app;
        async move {
            token(
                app,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_assertion_type", web::oidc::client_auth::JWT_BEARER),
                    ("client_assertion", &a),
                ],
                None,
            )
            .await
        }
    };

    let first = assertion("a-1", &endpoint, 60, "bhxh-2026");
    let r = send(first.clone()).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(
        claims_of(r.json()["access_token"].as_str().expect("token"))["client_id"],
        "bhxh-pensions"
    );
    // the issuer as audience is fine too
    assert_eq!(
        send(assertion("a-2", &app.base, 60, "bhxh-2026"))
            .await
            .status
            .as_u16(),
        200
    );

    // replayed, for another server, too long-lived, expired, unknown key
    oauth_error(&send(first).await, 401, "invalid_client");
    oauth_error(
        &send(assertion(
            "a-3",
            "https://other.example/token",
            60,
            "bhxh-2026",
        ))
        .await,
        401,
        "invalid_client",
    );
    oauth_error(
        &send(assertion("a-4", &endpoint, 3600, "bhxh-2026")).await,
        401,
        "invalid_client",
    );
    oauth_error(
        &send(assertion("a-5", &endpoint, -10, "bhxh-2026")).await,
        401,
        "invalid_client",
    );
    oauth_error(
        &send(assertion("a-6", &endpoint, 60, "other-kid")).await,
        401,
        "invalid_client",
    );
    // signed by another key
    let stranger = p256::ecdsa::SigningKey::from_slice(&[12; 32]).expect("key");
    let now = Utc::now().timestamp();
    let forged = es256_jws(
        &stranger,
        &serde_json::json!({"alg": "ES256", "kid": "bhxh-2026"}),
        &serde_json::json!({"iss": "bhxh-pensions", "sub": "bhxh-pensions", "aud": endpoint, "jti": "a-7", "exp": now + 60}),
    );
    oauth_error(&send(forged).await, 401, "invalid_client");
    // the wrong assertion type
    let r = token(
        &app,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:other"),
            (
                "client_assertion",
                &assertion("a-8", &endpoint, 60, "bhxh-2026"),
            ),
        ],
        None,
    )
    .await;
    oauth_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn relying_parties_are_administered_through_the_api_with_an_admin_token() {
    let app = TestApp::spawn().await;
    let mut admin = agency("quan-tri", AuthMethod::ClientSecretBasic);
    admin.scopes = ["admin"].into_iter().map(String::from).collect();
    // the administration system is one of the platform's own
    admin.trusted = true;
    register(&app, &admin).await;
    register(&app, &agency("tu-phap-lltp", AuthMethod::ClientSecretBasic)).await;
    let token_of = |id: &'static str, scope: &'static str| {
        let app = &app;
        async move {
            let r = token(
                app,
                &[("grant_type", "client_credentials"), ("scope", scope)],
                Some((id, SECRET)),
            )
            .await;
            assert_eq!(r.status.as_u16(), 200, "{}", r.body);
            r.json()["access_token"]
                .as_str()
                .expect("token")
                .to_string()
        }
    };
    let admin_token = token_of("quan-tri", "admin").await;
    let other_token = token_of("tu-phap-lltp", "pid").await;
    let url = app.url("/api/v1/oidc/clients");

    let r = app.send(app.client.get(&url)).await;
    assert_eq!(r.status.as_u16(), 401);
    assert_eq!(r.content_type(), "application/problem+json");
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer"))
    );
    let r = app
        .send(app.client.get(&url).bearer_auth(&other_token))
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert!(
        r.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("admin"))
    );

    let r = app
        .send(app.client.get(&url).bearer_auth(&admin_token))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let ids: Vec<String> = r
        .json()
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["client_id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ids, ["quan-tri", "tu-phap-lltp"]);
    assert!(
        !r.body.contains("\"client_secret\"") && !r.body.contains("secret_hash"),
        "never a secret or its hash: {}",
        r.body
    );

    let new = serde_json::json!({
        "client_id": "so-tu-phap-hn",
        "name": "Sở Tư pháp Hà Nội",
        "grant_types": ["client_credentials"],
        "scopes": ["pid"],
    });
    let r = app
        .send(app.client.post(&url).bearer_auth(&admin_token).json(&new))
        .await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let secret = r.json()["client_secret"]
        .as_str()
        .expect("a secret, once")
        .to_string();
    let r = token(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("so-tu-phap-hn", &secret)),
    )
    .await;
    assert_eq!(
        r.status.as_u16(),
        200,
        "the new client gets tokens: {}",
        r.body
    );
    // registered already: 409 unless replaced
    let r = app
        .send(app.client.post(&url).bearer_auth(&admin_token).json(&new))
        .await;
    assert_eq!(r.status.as_u16(), 409, "{}", r.body);
    let mut replaced = new.clone();
    replaced["replace"] = true.into();
    let r = app
        .send(
            app.client
                .post(&url)
                .bearer_auth(&admin_token)
                .json(&replaced),
        )
        .await;
    assert_eq!(r.status.as_u16(), 201);
    assert_ne!(r.json()["client_secret"].as_str(), Some(secret.as_str()));
    // a registration that does not hold together says why
    let mut bad = new.clone();
    bad["client_id"] = "other".into();
    bad["scopes"] = serde_json::json!(["everything"]);
    let r = app
        .send(app.client.post(&url).bearer_auth(&admin_token).json(&bad))
        .await;
    assert_eq!(r.status.as_u16(), 400);
    assert!(
        r.json()["detail"]
            .as_str()
            .is_some_and(|d| d.contains("everything")),
        "{}",
        r.body
    );

    let one = app.url("/api/v1/oidc/clients/so-tu-phap-hn");
    let r = app
        .send(app.client.delete(&one).bearer_auth(&admin_token))
        .await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.body);
    let r = app
        .send(app.client.delete(&one).bearer_auth(&admin_token))
        .await;
    assert_eq!(r.status.as_u16(), 404);
    let doc = app
        .send(app.client.get(app.url("/api/v1/openapi.json")))
        .await
        .json();
    assert!(doc["paths"]["/api/v1/oidc/clients"]["post"].is_object());
}

/// A compact JWS signed with Ed25519, its header's `alg` as given.
fn ed25519_jws(
    key: &ed25519_dalek::SigningKey,
    header: &serde_json::Value,
    claims: &serde_json::Value,
) -> String {
    use ed25519_dalek::Signer as _;
    jws(header, claims, |input| key.sign(input).to_bytes().to_vec())
}

/// A client whose key is Ed25519 and that names its signatures `Ed25519`
/// (RFC 9864, the default of strict clients) authenticates, binds its
/// token with DPoP and uses it; the metadata says both names are accepted.
#[tokio::test]
async fn a_client_signing_as_ed25519_gets_a_bound_token() {
    let app = TestApp::spawn().await;
    let meta = app
        .send(app.client.get(app.url("/.well-known/openid-configuration")))
        .await
        .json();
    for list in [
        "token_endpoint_auth_signing_alg_values_supported",
        "dpop_signing_alg_values_supported",
    ] {
        assert_eq!(
            meta[list],
            serde_json::json!(["ES256", "EdDSA", "Ed25519"]),
            "{list}"
        );
    }
    // the provider's own tokens stay EdDSA
    assert_eq!(
        meta["access_token_signing_alg_values_supported"],
        serde_json::json!(["EdDSA"])
    );

    let key = ed25519_dalek::SigningKey::from_bytes(&[21; 32]);
    let public = serde_json::json!({
        "kty": "OKP", "crv": "Ed25519", "x": B64.encode(key.verifying_key().as_bytes()),
    });
    let mut jwk = public.clone();
    jwk["kid"] = serde_json::json!("kbnn-2026");
    let mut client = agency("kbnn-payments", AuthMethod::PrivateKeyJwt);
    client.secret_hash = None;
    client.jwks = Some(serde_json::json!({ "keys": [jwk] }));
    register(&app, &client).await;
    let endpoint = app.url("/oidc/token");
    let assertion = |jti: &str| {
        let now = Utc::now().timestamp();
        ed25519_jws(
            &key,
            &serde_json::json!({"alg": "Ed25519", "kid": "kbnn-2026"}),
            &serde_json::json!({
                "iss": "kbnn-payments", "sub": "kbnn-payments", "aud": endpoint,
                "jti": jti, "iat": now, "exp": now + 60,
            }),
        )
    };
    let proof = |method: &str, uri: &str, jti: &str, token: Option<&str>| {
        use sha2::Digest as _;
        let mut claims = serde_json::json!({
            "jti": jti, "htm": method, "htu": uri, "iat": Utc::now().timestamp(),
        });
        if let Some(t) = token {
            claims["ath"] = B64.encode(sha2::Sha256::digest(t.as_bytes())).into();
        }
        ed25519_jws(
            &key,
            &serde_json::json!({"typ": "dpop+jwt", "alg": "Ed25519", "jwk": public}),
            &claims,
        )
    };
    let form = |a: String| {
        [
            ("grant_type", "client_credentials".to_string()),
            (
                "client_assertion_type",
                web::oidc::client_auth::JWT_BEARER.to_string(),
            ),
            ("client_assertion", a),
        ]
    };

    // the assertion alone: a bearer token
    let r = app
        .send(app.client.post(&endpoint).form(&form(assertion("ed-1"))))
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(
        claims_of(r.json()["access_token"].as_str().expect("token"))["client_id"],
        "kbnn-payments"
    );

    // with a DPoP proof: a token bound to the key's thumbprint
    let r = app
        .send(
            app.client
                .post(&endpoint)
                .form(&form(assertion("ed-2")))
                .header("DPoP", proof("POST", &endpoint, "ed-p1", None)),
        )
        .await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["token_type"], "DPoP");
    let at = body["access_token"].as_str().expect("token").to_string();
    let thumbprint = identity::jwk::VerifyKey::of(
        "Ed25519",
        &serde_json::from_value(public.clone()).expect("a JWK"),
    )
    .expect("an Ed25519 key")
    .thumbprint();
    assert_eq!(claims_of(&at)["cnf"]["jkt"], thumbprint.as_str());

    // at a resource, the bound token goes with a proof named Ed25519 too:
    // past the proof, UserInfo refuses a token that is not a person's
    let userinfo = app.url("/oidc/userinfo");
    let call = |proof: Option<String>| {
        let mut req = app
            .client
            .get(&userinfo)
            .header("authorization", format!("DPoP {at}"));
        if let Some(p) = proof {
            req = req.header("DPoP", p);
        }
        app.send(req)
    };
    let r = call(None).await;
    assert_eq!(r.status.as_u16(), 401);
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    assert!(
        r.header("www-authenticate")
            .is_some_and(|h| h.starts_with("DPoP algs=\"ES256 EdDSA Ed25519\"")),
        "{:?}",
        r.header("www-authenticate")
    );
    let r = call(Some(proof("GET", &userinfo, "ed-p2", Some(&at)))).await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert_eq!(r.json()["error"], "insufficient_scope");

    // an assertion named Ed25519 but made by another key is refused
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[22; 32]);
    let now = Utc::now().timestamp();
    let forged = ed25519_jws(
        &stranger,
        &serde_json::json!({"alg": "Ed25519", "kid": "kbnn-2026"}),
        &serde_json::json!({"iss": "kbnn-payments", "sub": "kbnn-payments", "aud": endpoint, "jti": "ed-3", "exp": now + 60}),
    );
    let r = app
        .send(app.client.post(&endpoint).form(&form(forged)))
        .await;
    oauth_error(&r, 401, "invalid_client");
}

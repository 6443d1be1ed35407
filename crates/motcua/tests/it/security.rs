//! What an outside probe tried against a running server, and what it must
//! find: tokens that open only what they were issued for, log-ins and
//! log-outs that cannot be steered by another site, grants that end when
//! they are revoked or stolen.

use identity::client::ClientId;
use serde_json::json;

use crate::helpers::{Reply, TestApp};
use crate::login::{
    CHALLENGE, PASSWORD, REDIRECT, SECRET, VERIFIER, add_citizen, adults, authorize_query,
    claims_of, cookie_value, hidden, log_in, log_in_keeping_csrf, no_redirects, param, portal,
    redeem, redirected, register, send,
};

/// A relying party that is not the platform's own: people are asked what
/// it may read.
pub(crate) fn third_party() -> identity::client::Client {
    let mut c = portal(REDIRECT);
    c.id = ClientId::parse("ung-dung-ngoai").expect("id");
    c.name = "Ứng dụng bên ngoài".into();
    c.trusted = false;
    c.scopes = ["openid", "profile"]
        .into_iter()
        .map(String::from)
        .collect();
    c
}

/// On the consent `page` of the third party's request `query`, the person
/// of `session` agrees; the third party's access token.
pub(crate) async fn agree(app: &TestApp, session: &str, page: &Reply, query: &str) -> String {
    let agreed = send(
        no_redirects()
            .post(app.url("/oidc/consent"))
            .header("cookie", format!("motcua_sid={session}"))
            .form(&[
                ("csrf_token", hidden(&page.body, "csrf_token")),
                ("request", query.to_string()),
                ("decision", "allow".into()),
            ]),
    )
    .await;
    let code = param(&redirected(&agreed), "code")
        .expect("a code")
        .to_string();
    let tokens = crate::login::redeem_as(app, "ung-dung-ngoai", &code, VERIFIER).await;
    assert_eq!(tokens.status.as_u16(), 200, "{}", tokens.body);
    tokens.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_string()
}

fn birth_filing(place: &str) -> serde_json::Value {
    json!({"procedure": "khai-sinh", "form": crate::dossiers::birth_form(place)})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_third_party_token_opens_nothing_under_the_api() {
    let app = TestApp::spawn().await;
    register(&app, &third_party()).await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let person = &people[0];
    assert!(add_citizen(&app, &person.personal_id, &[]).0);

    // the person agrees only to confirm who they are
    let query = authorize_query(None, &[])
        .replace("client_id=portal", "client_id=ung-dung-ngoai")
        .replace("openid+profile+pid", "openid");
    let (page, _) = log_in_keeping_csrf(&app, &query, &person.personal_id, PASSWORD, None).await;
    assert_eq!(page.status.as_u16(), 200, "the consent page: {}", page.body);
    let session = cookie_value(&page, "motcua_sid").expect("a session");
    let token = agree(&app, &session, &page, &query).await;
    // meant for the provider alone
    assert_eq!(claims_of(&token)["aud"], app.base.as_str());

    // UserInfo answers it: that is what the person agreed to
    let info = send(
        app.client
            .get(app.url("/oidc/userinfo"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(info.status.as_u16(), 200, "{}", info.body);

    // the platform's API does not
    let place = person.commune_code.to_string();
    let agency = format!("UBND.{place}");
    let filed = send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(&token)
            .json(&birth_filing(&place)),
    )
    .await;
    let p = filed.problem(403);
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not meant for this API")),
        "{p}"
    );
    assert!(
        filed
            .header("www-authenticate")
            .is_some_and(|h| h.contains("insufficient_scope")),
        "{:?}",
        filed.headers
    );
    let listed = send(
        app.client
            .get(app.url("/api/v1/dossiers"))
            .bearer_auth(&token),
    )
    .await;
    listed.problem(403);
    let queue = send(
        app.client
            .get(app.url(&format!("/api/v1/agencies/{agency}/dossiers")))
            .bearer_auth(&token),
    )
    .await;
    queue.problem(403);
    let clients = send(
        app.client
            .get(app.url("/api/v1/oidc/clients"))
            .bearer_auth(&token),
    )
    .await;
    clients.problem(403);
    let accesses = send(
        app.client
            .get(app.url(&format!(
                "/api/v1/registry/people/{}/accesses",
                person.personal_id
            )))
            .bearer_auth(&token),
    )
    .await;
    accesses.problem(403);

    // nor can a third party be given the API's scopes
    let operator = app.operator_token().await;
    let registration = send(
        app.client
            .post(app.url("/api/v1/oidc/clients"))
            .bearer_auth(&operator)
            .json(&json!({
                "client_id": "ung-dung-khac",
                "name": "Ứng dụng khác",
                "grant_types": ["authorization_code"],
                "redirect_uris": ["https://khac.example/cb"],
                "scopes": ["openid", "dossiers"],
            })),
    )
    .await;
    let p = registration.problem(400);
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("trusted")),
        "{p}"
    );

    // the platform's own client, with the person's dossiers in its scope,
    // files; without that scope, it does not
    let own = log_in(
        &app,
        &authorize_query(None, &[]).replace("openid+profile+pid", "openid+profile+pid+dossiers"),
        &person.personal_id,
        PASSWORD,
        None,
    )
    .await;
    let (_, access, own_token) = crate::login::tokens_of(&app, &own).await;
    assert_eq!(
        access["aud"],
        json!([app.base.as_str(), format!("{}/api/v1", app.base)])
    );
    let filed = send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(&own_token)
            .json(&birth_filing(&place)),
    )
    .await;
    assert_eq!(filed.status.as_u16(), 201, "{}", filed.body);
    let narrow = log_in(
        &app,
        &authorize_query(None, &[]),
        &person.personal_id,
        PASSWORD,
        None,
    )
    .await;
    let (_, _, narrow_token) = crate::login::tokens_of(&app, &narrow).await;
    let refused = send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(&narrow_token)
            .json(&birth_filing(&place)),
    )
    .await;
    refused.problem(403);
    // staff work needs its own scope
    let as_officer = send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(&own_token)
            .json(&json!({
                "procedure": "khai-sinh",
                "form": birth_filing(&place)["form"],
                "channel": "in_person",
                "applicant_pin": person.personal_id,
            })),
    )
    .await;
    let p = as_officer.problem(403);
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("workbench")),
        "{p}"
    );
}

/// The `Location` of a log-in on the portal's page with `next`.
async fn portal_log_in_with_next(app: &TestApp, pin: &str, next: &str) -> Reply {
    let http = no_redirects();
    let page = send(http.get(app.url("/dang-nhap"))).await;
    let csrf = cookie_value(&page, "motcua_csrf").expect("a CSRF cookie");
    send(
        http.post(app.url("/oidc/login"))
            .header("cookie", format!("motcua_csrf={csrf}"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("next", next),
                ("identifier", pin),
                ("password", PASSWORD),
            ]),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_log_in_the_browser_stays_on_this_site() {
    let app = TestApp::spawn().await;
    let people = adults(&app).await;
    let pin = people[0].personal_id.clone();
    assert!(add_citizen(&app, &pin, &[]).0);
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\\evil.example",
        "//evil.example",
        "/ /evil.example",
        "https://evil.example",
        "/\u{3000}/evil.example",
    ] {
        let r = portal_log_in_with_next(&app, &pin, next).await;
        assert_eq!(r.status.as_u16(), 303, "{next:?}: {}", r.body);
        assert_eq!(r.header("location"), Some("/tai-khoan"), "{next:?}");
    }
    // a path of this site is kept
    let r = portal_log_in_with_next(&app, &pin, "/ho-so?trang=2").await;
    assert_eq!(r.header("location"), Some("/ho-so?trang=2"));

    // with a session, the log-in page sends the browser on at once
    let session = cookie_value(&r, "motcua_sid").expect("a session");
    let http = no_redirects();
    for next in [
        "/%09/evil.example",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
    ] {
        let r = send(
            http.get(app.url(&format!("/dang-nhap?next={next}")))
                .header("cookie", format!("motcua_sid={session}")),
        )
        .await;
        assert_eq!(r.status.as_u16(), 303, "{next}");
        assert_eq!(r.header("location"), Some("/tai-khoan"), "{next}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_request_binds_its_code_to_the_dpop_key_it_was_pushed_with() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let pin = people[0].personal_id.clone();
    assert!(add_citizen(&app, &pin, &[]).0);
    let key_a = p256::ecdsa::SigningKey::from_slice(&[11; 32]).expect("key");
    let key_b = p256::ecdsa::SigningKey::from_slice(&[12; 32]).expect("key");
    let par_uri = app.url("/oidc/par");
    let token_uri = app.url("/oidc/token");
    let params = [
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid pid"),
        ("state", "dpop-state"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let mut jti = 0;
    let mut proof = |key: &p256::ecdsa::SigningKey, uri: &str| {
        jti += 1;
        crate::oidc::dpop_proof_for(key, "POST", uri, &format!("par-{jti}"), None)
    };
    // a code pushed with a proof of key A
    let push_and_log_in = async |dpop: Option<String>, extra: &[(&str, &str)]| {
        let mut form: Vec<(&str, &str)> = params.to_vec();
        form.extend_from_slice(extra);
        let mut req = app
            .client
            .post(&par_uri)
            .basic_auth("portal", Some(SECRET))
            .form(&form);
        if let Some(p) = dpop {
            req = req.header("DPoP", p);
        }
        send(req).await
    };
    let pushed = push_and_log_in(Some(proof(&key_a, &par_uri)), &[]).await;
    assert_eq!(pushed.status.as_u16(), 201, "{}", pushed.body);
    let code_for = async |pushed: &Reply| {
        let q = serde_urlencoded::to_string([
            ("client_id", "portal"),
            (
                "request_uri",
                pushed.json()["request_uri"].as_str().expect("request_uri"),
            ),
        ])
        .expect("q");
        let reply = log_in(&app, &q, &pin, PASSWORD, None).await;
        param(&redirected(&reply), "code")
            .expect("a code")
            .to_string()
    };
    let redeem_with = async |code: &str, dpop: Option<String>| {
        let mut req = app
            .client
            .post(&token_uri)
            .basic_auth("portal", Some(SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ]);
        if let Some(p) = dpop {
            req = req.header("DPoP", p);
        }
        send(req).await
    };
    // redeemed with key B: refused
    let code = code_for(&pushed).await;
    let r = redeem_with(&code, Some(proof(&key_b, &token_uri))).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    // redeemed with no proof (a Bearer token): refused
    let pushed = push_and_log_in(Some(proof(&key_a, &par_uri)), &[]).await;
    let code = code_for(&pushed).await;
    let r = redeem_with(&code, None).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    // redeemed with key A: a DPoP token bound to A
    let pushed = push_and_log_in(Some(proof(&key_a, &par_uri)), &[]).await;
    let code = code_for(&pushed).await;
    let r = redeem_with(&code, Some(proof(&key_a, &token_uri))).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(r.json()["token_type"], "DPoP");
    let jkt = claims_of(r.json()["access_token"].as_str().expect("token"))["cnf"]["jkt"]
        .as_str()
        .expect("bound")
        .to_string();

    // a pushed dpop_jkt is checked at the token endpoint too
    let pushed = push_and_log_in(None, &[("dpop_jkt", jkt.as_str())]).await;
    assert_eq!(pushed.status.as_u16(), 201, "{}", pushed.body);
    let code = code_for(&pushed).await;
    let r = redeem_with(&code, Some(proof(&key_b, &token_uri))).await;
    assert_eq!(r.json()["error"], "invalid_dpop_proof", "{}", r.body);
    // and must name the key of a proof sent with it
    let other = "A".repeat(43);
    let r = push_and_log_in(
        Some(proof(&key_b, &par_uri)),
        &[("dpop_jkt", other.as_str())],
    )
    .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    // a malformed proof at PAR is refused
    let r = push_and_log_in(Some("not.a.proof".into()), &[]).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    // a proof made for the token endpoint is not one for PAR
    let r = push_and_log_in(Some(proof(&key_a, &token_uri)), &[]).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_persons_id_token_does_not_end_this_session() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let (me, other) = (&people[0], &people[1]);
    assert!(add_citizen(&app, &me.personal_id, &[]).0);
    assert!(add_citizen(&app, &other.personal_id, &[]).0);
    let query = authorize_query(None, &[]);
    let mine = log_in(&app, &query, &me.personal_id, PASSWORD, None).await;
    let session = cookie_value(&mine, "motcua_sid").expect("a session");
    let theirs = log_in(&app, &query, &other.personal_id, PASSWORD, None).await;
    let code = param(&redirected(&theirs), "code")
        .expect("code")
        .to_string();
    let tokens = redeem(&app, &code, VERIFIER).await.json();
    let their_id_token = tokens["id_token"]
        .as_str()
        .expect("an ID token")
        .to_string();
    let their_access = tokens["access_token"]
        .as_str()
        .expect("a token")
        .to_string();
    let http = no_redirects();
    let logout = |hint: &str| {
        http.get(app.url(&format!("/oidc/logout?id_token_hint={hint}")))
            .header("cookie", format!("motcua_sid={session}"))
    };
    let still_in = async || {
        let r = send(
            http.get(app.url(&format!("/oidc/authorize?{query}")))
                .header("cookie", format!("motcua_sid={session}")),
        )
        .await;
        r.status.as_u16() == 303
    };
    // an access token is not an ID token
    let r = send(logout(&their_access)).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert!(
        still_in().await,
        "an access token as hint ended the session"
    );
    // another person's ID token: this person is asked, not logged out
    let r = send(logout(&their_id_token)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert!(r.body.contains("name=\"confirm\""), "{}", r.body);
    assert!(
        !r.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("motcua_sid=")),
        "the session cookie was cleared"
    );
    assert!(
        still_in().await,
        "another person's ID token ended the session"
    );
    // their own ID token ends it at once
    let code = param(&redirected(&mine), "code").expect("code").to_string();
    let my_id_token = redeem(&app, &code, VERIFIER).await.json()["id_token"]
        .as_str()
        .expect("an ID token")
        .to_string();
    let r = send(logout(&my_id_token)).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert!(
        !still_in().await,
        "the person's own ID token ends the session"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_take_only_the_token_of_their_session_and_this_sites_origin() {
    let app = TestApp::spawn().await;
    let mut client = portal(REDIRECT);
    client.post_logout_redirect_uris = vec![];
    register(&app, &client).await;
    let people = adults(&app).await;
    let me = &people[0];
    assert!(add_citizen(&app, &me.personal_id, &[]).0);
    let session = app_session(&app, &me.personal_id).await;
    let http = no_redirects();
    let ask = send(
        http.get(app.url("/oidc/logout"))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await;
    assert_eq!(ask.status.as_u16(), 200);
    let token = hidden(&ask.body, "csrf_token");
    let confirm = |cookie: String, token: String, origin: Option<String>| {
        let mut req = http
            .post(app.url("/oidc/logout"))
            .header("cookie", cookie)
            .form(&[("csrf_token", token), ("confirm", "1".to_string())]);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        send(req)
    };
    let logged_out = |r: &Reply| {
        r.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|c| c.starts_with("motcua_sid=;"))
    };
    // a token planted as a cookie and repeated in the form (the old
    // double-submit) is not this session's token
    let planted = "ab".repeat(32);
    let r = confirm(
        format!("motcua_sid={session}; motcua_csrf={planted}"),
        planted.clone(),
        None,
    )
    .await;
    assert!(!logged_out(&r), "a planted token was taken: {}", r.body);
    // another session's token is not this one's
    let other = app_session(&app, &me.personal_id).await;
    let other_page = send(
        http.get(app.url("/oidc/logout"))
            .header("cookie", format!("motcua_sid={other}")),
    )
    .await;
    let other_token = hidden(&other_page.body, "csrf_token");
    assert_ne!(other_token, token);
    let r = confirm(format!("motcua_sid={session}"), other_token, None).await;
    assert!(!logged_out(&r), "another session's token was taken");
    // the right token from another site's page
    let r = confirm(
        format!("motcua_sid={session}"),
        token.clone(),
        Some("https://evil.example".to_string()),
    )
    .await;
    assert!(!logged_out(&r), "a form from another site was taken");
    // the right token from this site
    let r = confirm(
        format!("motcua_sid={session}"),
        token,
        Some(app.base.clone()),
    )
    .await;
    assert!(logged_out(&r), "{}", r.body);
}

/// Logs `pin` in on the portal; the session cookie's value.
async fn app_session(app: &TestApp, pin: &str) -> String {
    let r = portal_log_in_with_next(app, pin, "/tai-khoan").await;
    cookie_value(&r, "motcua_sid").expect("a session")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_cookies_are_secure_and_browsers_keep_to_https() {
    let app = TestApp::spawn_with(crate::helpers::TestOptions {
        issuer: Some("https://dichvucong.example".into()),
        ..Default::default()
    })
    .await;
    let people = adults(&app).await;
    assert!(add_citizen(&app, &people[0].personal_id, &[]).0);
    let page = send(no_redirects().get(app.url("/dang-nhap?lang=en"))).await;
    assert_eq!(
        page.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let cookies: Vec<&str> = page
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    for name in ["motcua_csrf=", "lang="] {
        let c = cookies
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"));
        assert!(c.contains("; Secure"), "{c}");
    }
    let r = portal_log_in_with_next(&app, &people[0].personal_id, "/tai-khoan").await;
    let session = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("motcua_sid="))
        .expect("a session cookie");
    assert!(session.contains("; Secure"), "{session}");
    // the API too
    let api = send(app.client.get(app.url("/api/v1/units/provinces"))).await;
    assert_eq!(
        api.header("strict-transport-security"),
        Some("max-age=31536000")
    );
}

/// A person's log-in on the portal's client, asking for their dossiers
/// too: the code it gives.
async fn portal_code(app: &TestApp, pin: &str) -> String {
    let query =
        authorize_query(None, &[]).replace("openid+profile+pid", "openid+profile+pid+dossiers");
    let reply = log_in(app, &query, pin, PASSWORD, None).await;
    param(&redirected(&reply), "code")
        .expect("a code")
        .to_string()
}

/// Redeems `code` as the portal: its access and refresh tokens.
async fn redeemed(app: &TestApp, code: &str) -> (String, String) {
    let tokens = redeem(app, code, VERIFIER).await;
    assert_eq!(tokens.status.as_u16(), 200, "{}", tokens.body);
    let tokens = tokens.json();
    let text = |k: &str| {
        tokens[k]
            .as_str()
            .unwrap_or_else(|| panic!("no {k} in {tokens}"))
            .to_string()
    };
    (text("access_token"), text("refresh_token"))
}

/// Presents a refresh token at the token endpoint as the portal.
async fn refreshed(app: &TestApp, refresh_token: &str) -> Reply {
    send(
        app.client
            .post(app.url("/oidc/token"))
            .basic_auth("portal", Some(SECRET))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ]),
    )
    .await
}

/// The new access and refresh tokens of a refresh that succeeded.
fn rotated(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let v = reply.json();
    let text = |k: &str| v[k].as_str().expect("a token").to_string();
    (text("access_token"), text("refresh_token"))
}

/// Asks `client` to revoke a token with `form`.
async fn revoke_as(app: &TestApp, client: &str, form: &[(&str, &str)]) -> Reply {
    send(
        app.client
            .post(app.url("/oidc/revoke"))
            .basic_auth(client, Some(SECRET))
            .form(form),
    )
    .await
}

/// What an access token opens: UserInfo's status, the API's status (the
/// person's dossiers), and whether introspection says it is active.
async fn opens(app: &TestApp, access: &str) -> (u16, u16, bool) {
    let info = send(
        app.client
            .get(app.url("/oidc/userinfo"))
            .bearer_auth(access),
    )
    .await;
    let api = send(
        app.client
            .get(app.url("/api/v1/dossiers"))
            .bearer_auth(access),
    )
    .await;
    let introspected = send(
        app.client
            .post(app.url("/oidc/introspect"))
            .basic_auth("portal", Some(SECRET))
            .form(&[("token", access)]),
    )
    .await;
    assert_eq!(introspected.status.as_u16(), 200, "{}", introspected.body);
    (
        info.status.as_u16(),
        api.status.as_u16(),
        introspected.json()["active"] == true,
    )
}

/// Everything an access token opened while its grant lived.
const LIVE: (u16, u16, bool) = (200, 200, true);
/// Nothing: its grant was revoked.
const CUT_OFF: (u16, u16, bool) = (401, 401, false);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_refresh_token_ends_its_grant_with_or_without_the_hint() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    register(&app, &third_party()).await;
    let people = adults(&app).await;
    let pin = people[0].personal_id.clone();
    assert!(add_citizen(&app, &pin, &[]).0);

    let hinted: &[(&str, &str)] = &[("token_type_hint", "refresh_token")];
    // a wrong hint is only a hint: the token is still found
    let misled: &[(&str, &str)] = &[("token_type_hint", "access_token")];
    for hint in [hinted, &[], misled] {
        let (access, refresh) = redeemed(&app, &portal_code(&app, &pin).await).await;
        // another log-in of the same person, which must outlive this one
        let (other_access, other_refresh) = redeemed(&app, &portal_code(&app, &pin).await).await;
        assert_eq!(opens(&app, &access).await, LIVE);

        // another client may not revoke it, and it keeps working
        let mut form = vec![("token", refresh.as_str())];
        form.extend_from_slice(hint);
        let r = revoke_as(&app, "ung-dung-ngoai", &form).await;
        assert_eq!(r.status.as_u16(), 400, "{hint:?}: {}", r.body);
        assert_eq!(r.json()["error"], "unauthorized_client", "{hint:?}");
        let (access, refresh) = rotated(&refreshed(&app, &refresh).await);

        // its own client revokes it: the grant ends
        let mut form = vec![("token", refresh.as_str())];
        form.extend_from_slice(hint);
        let r = revoke_as(&app, "portal", &form).await;
        assert_eq!(r.status.as_u16(), 200, "{hint:?}: {}", r.body);
        let r = refreshed(&app, &refresh).await;
        assert_eq!(r.status.as_u16(), 400, "{hint:?}: {}", r.body);
        assert_eq!(r.json()["error"], "invalid_grant", "{hint:?}");
        assert_eq!(opens(&app, &access).await, CUT_OFF, "{hint:?}");

        // the other log-in is untouched
        assert_eq!(opens(&app, &other_access).await, LIVE, "{hint:?}");
        rotated(&refreshed(&app, &other_refresh).await);
    }
    // an unknown token, hinted or not, needs no revoking (RFC 7009 §2.2)
    for form in [
        &[("token", "never-issued")][..],
        &[
            ("token", "never-issued"),
            ("token_type_hint", "refresh_token"),
        ],
    ] {
        let r = revoke_as(&app, "portal", form).await;
        assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_cuts_off_the_access_tokens_of_its_grant() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let pin = people[0].personal_id.clone();
    assert!(add_citizen(&app, &pin, &[]).0);
    let (first_access, first_refresh) = redeemed(&app, &portal_code(&app, &pin).await).await;
    let (other_access, other_refresh) = redeemed(&app, &portal_code(&app, &pin).await).await;
    let (second_access, second_refresh) = rotated(&refreshed(&app, &first_refresh).await);
    assert_eq!(opens(&app, &first_access).await, LIVE);
    assert_eq!(opens(&app, &second_access).await, LIVE);

    // the first refresh token comes back (stolen and replayed)
    let r = refreshed(&app, &first_refresh).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    assert_eq!(r.json()["error"], "invalid_grant");
    // every token of that grant is refused
    assert_eq!(opens(&app, &first_access).await, CUT_OFF);
    assert_eq!(opens(&app, &second_access).await, CUT_OFF);
    let r = refreshed(&app, &second_refresh).await;
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
    // another log-in of the same person is not
    assert_eq!(opens(&app, &other_access).await, LIVE);
    rotated(&refreshed(&app, &other_refresh).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_code_cuts_off_the_tokens_of_its_first_redemption() {
    let app = TestApp::spawn().await;
    register(&app, &portal(REDIRECT)).await;
    let people = adults(&app).await;
    let pin = people[0].personal_id.clone();
    assert!(add_citizen(&app, &pin, &[]).0);
    let code = portal_code(&app, &pin).await;
    let (access, refresh) = redeemed(&app, &code).await;
    let (other_access, _) = redeemed(&app, &portal_code(&app, &pin).await).await;
    assert_eq!(opens(&app, &access).await, LIVE);

    let replay = redeem(&app, &code, VERIFIER).await;
    assert_eq!(replay.status.as_u16(), 400, "{}", replay.body);
    assert_eq!(replay.json()["error"], "invalid_grant");
    assert_eq!(opens(&app, &access).await, CUT_OFF);
    let r = refreshed(&app, &refresh).await;
    assert_eq!(r.json()["error"], "invalid_grant", "{}", r.body);
    assert_eq!(opens(&app, &other_access).await, LIVE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_under_an_ip_address_says_why_it_offers_no_passkeys() {
    let app = TestApp::spawn().await;
    let people = adults(&app).await;
    assert!(add_citizen(&app, &people[0].personal_id, &[]).0);
    let session = app_session(&app, &people[0].personal_id).await;
    let token = crate::login::session_csrf(&app, &session).await;
    let r = send(
        app.client
            .post(app.url("/tai-khoan/passkey/options"))
            .header("cookie", format!("motcua_sid={session}"))
            .json(&json!({ "csrf_token": token })),
    )
    .await;
    let p = r.problem(503);
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("domain name")),
        "{p}"
    );
}

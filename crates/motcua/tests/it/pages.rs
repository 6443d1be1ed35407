// tests: pages
//! The server-rendered pages: plain HTTP checks, and one walk through the
//! pages in headless Chromium (fantoccini + chromedriver).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, ETAG, IF_NONE_MATCH, SET_COOKIE};
use units::{Status, Units};

use crate::helpers::TestApp;

const CONVERTS: &str = "Phường Phúc Xá, Quận Ba Đình, Hà Nội";

async fn get(app: &TestApp, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    req.send().await.expect("GET")
}

async fn get_html(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let (status, _, body) = html_of(get(app, path, cookie).await, path).await;
    (status, body)
}

/// An HTML answer (to `what`): its status, its `Allow` header, its body.
async fn html_of(
    r: reqwest::Response,
    what: &str,
) -> (StatusCode, Option<reqwest::header::HeaderValue>, String) {
    let status = r.status();
    let allow = r.headers().get("allow").cloned();
    let ct = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        ct.starts_with("text/html"),
        "{what} ({status}): content-type {ct}"
    );
    (status, allow, r.text().await.expect("body"))
}

/// A URL-encoded form body.
fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The session's CSRF cookie (`name=value`) and the form's hidden token.
async fn csrf(app: &TestApp) -> (String, String) {
    let r = get(app, "/chuyen-doi-dia-chi", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("motcua_csrf="))
        .expect("a CSRF cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    let pair = cookie.split(';').next().unwrap_or_default().to_string();
    let body = r.text().await.expect("body");
    let marker = "name=\"csrf_token\" value=\"";
    let at = body.find(marker).expect("hidden token field") + marker.len();
    let token = body[at..].split('"').next().unwrap_or_default().to_string();
    assert_eq!(pair, format!("motcua_csrf={token}"));
    (pair, token)
}

async fn post(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    body: String,
    htmx: bool,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    if htmx {
        req = req.header("HX-Request", "true");
    }
    req.send().await.expect("POST")
}

/// A legacy commune split among three or more new ones, written as an
/// address the converter reads as such, with the names of its candidates.
fn split_commune() -> (String, Vec<String>) {
    let u = Units::get();
    for row in u.conversion_table().iter().filter(|r| r.partly_merged) {
        let Some(successors) = u.successors(&row.old_commune_code) else {
            continue;
        };
        if successors.len() < 3 || !successors.iter().all(|s| s.partly_merged) {
            continue;
        }
        let (Some(c), Some(d), Some(p)) = (
            u.legacy_commune(&row.old_commune_code),
            u.legacy_district(&row.old_district_code),
            u.legacy_province(&row.old_province_code),
        ) else {
            continue;
        };
        let address = format!("{}, {}, {}", c.name, d.name, p.short_name);
        let conv = u.convert(&address);
        if conv.status == Status::Ambiguous && conv.candidates.len() == successors.len() {
            return (
                address,
                conv.candidates.into_iter().map(|c| c.name).collect(),
            );
        }
    }
    panic!("the conversion table has no commune split among three or more");
}

#[tokio::test]
async fn pages_render_in_vietnamese() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/don-vi-hanh-chinh",
        "/units",
        "/don-vi-hanh-chinh?q=ba+dinh",
        "/chuyen-doi-dia-chi",
        "/convert",
        "/don-vi-hanh-chinh/xa/00097",
        "/don-vi-hanh-chinh/tinh/01",
    ] {
        let (status, body) = get_html(&app, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains("<html lang=\"vi\">"), "{path}");
        assert!(body.contains("<main id=\"main\""), "{path}");
        assert!(body.contains("href=\"#main\""), "{path}: skip link");
    }
    let home = app
        .client
        .get(format!("http://{}/", app.addr))
        .send()
        .await
        .expect("GET /")
        .text()
        .await
        .expect("body");
    assert!(home.contains("Cổng dịch vụ công một cửa"));
    assert!(home.contains("href=\"/don-vi-hanh-chinh\""));
    assert!(home.contains("href=\"/chuyen-doi-dia-chi\""));

    let (_, lookup) = get_html(&app, "/don-vi-hanh-chinh", None).await;
    assert!(lookup.contains("autocomplete=\"off\""));
    assert!(lookup.contains("<label for=\"q\">"));
    assert!(lookup.contains("hx-get=\"/don-vi-hanh-chinh/tim\""));

    let (_, commune) = get_html(&app, "/don-vi-hanh-chinh/xa/00097", None).await;
    assert!(commune.contains("<h1>Phường Hồng Hà</h1>"));
    assert!(commune.contains("Thành phố Hà Nội"));
    assert!(commune.contains("Phường Phúc Xá"), "predecessor listed");
    assert!(commune.contains("21.0567, 105.8450"), "centroid");

    let (_, province) = get_html(&app, "/don-vi-hanh-chinh/tinh/01", None).await;
    assert!(province.contains("<h1>Thành phố Hà Nội</h1>"));
    assert!(province.contains("href=\"/don-vi-hanh-chinh/xa/00097\""));
}

#[tokio::test]
async fn unknown_units_get_a_friendly_404() {
    let app = TestApp::spawn().await;
    for path in [
        "/don-vi-hanh-chinh/xa/99999",
        "/don-vi-hanh-chinh/tinh/%FF%FE",
        "/don-vi-hanh-chinh/tinh/<script>",
    ] {
        let (status, body) = get_html(&app, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("Không tìm thấy đơn vị"), "{path}");
        assert!(!body.contains("<script>"), "{path}");
    }
}

#[tokio::test]
async fn the_english_switch_changes_the_texts() {
    let app = TestApp::spawn().await;
    let r = get(&app, "/don-vi-hanh-chinh?lang=en", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("lang="))
        .expect("a lang cookie")
        .to_string();
    assert!(cookie.starts_with("lang=en;"), "{cookie}");
    let body = r.text().await.expect("body");
    assert!(body.contains("<html lang=\"en\">"));
    assert!(body.contains("Look up an administrative unit"));
    assert!(body.contains("Commune, ward or province name"));
    assert!(!body.contains("Tra cứu đơn vị hành chính</h1>"));
    // the header's switch leads back to Vietnamese
    assert!(body.contains("href=\"/don-vi-hanh-chinh?lang=vi\""));

    // the cookie keeps the language on the next pages
    let (_, convert) = get_html(&app, "/chuyen-doi-dia-chi", Some("lang=en")).await;
    assert!(convert.contains("<html lang=\"en\">"));
    assert!(convert.contains("Old addresses, one per line"));
    let (_, vi) = get_html(&app, "/chuyen-doi-dia-chi?lang=vi", Some("lang=en")).await;
    assert!(vi.contains("<html lang=\"vi\">"));
    assert!(vi.contains("Địa chỉ cũ, mỗi dòng một địa chỉ"));
}

#[tokio::test]
async fn the_search_fragment_finds_legacy_communes_without_diacritics() {
    let app = TestApp::spawn().await;
    let r = get(&app, "/don-vi-hanh-chinh/tim?q=phuc+xa", Some("x=1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("hx-replace-url")
            .and_then(|v| v.to_str().ok()),
        Some("/don-vi-hanh-chinh?q=phuc+xa")
    );
    let body = r.text().await.expect("body");
    assert!(!body.contains("<html"), "a fragment, not a page");
    assert!(body.starts_with("<div id=\"search-results\""));
    let phuc_xa = body
        .split("<li")
        .find(|li| li.contains("Phường Phúc Xá"))
        .expect("legacy Phúc Xá found");
    assert!(phuc_xa.contains("→ nay:"), "{phuc_xa}");
    assert!(phuc_xa.contains("href=\"/don-vi-hanh-chinh/xa/00097\""));
    assert!(phuc_xa.contains("Phường Hồng Hà"));

    // a split commune says so
    let body = get(&app, "/don-vi-hanh-chinh/tim?q=ngoc+khanh+ba+dinh", None)
        .await
        .text()
        .await
        .expect("body");
    assert!(body.contains("được chia cho 3 xã, phường"), "{body}");

    // the same without JavaScript, on the full page
    let (status, page) = get_html(&app, "/don-vi-hanh-chinh?q=phuc%20xa", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("value=\"phuc xa\""));
    assert!(page.contains("href=\"/don-vi-hanh-chinh/xa/00097\""));

    // odd input is no error
    for q in ["", "%20%20", "zzzzqq", "%3Cscript%3E", "q&q=2"] {
        let r = get(&app, &format!("/don-vi-hanh-chinh/tim?q={q}"), None).await;
        assert_eq!(r.status(), StatusCode::OK, "{q}");
        assert!(!r.text().await.expect("body").contains("<script>"), "{q}");
    }
}

#[tokio::test]
async fn posting_without_the_csrf_token_is_forbidden() {
    let app = TestApp::spawn().await;
    let body = form(&[("addresses", CONVERTS)]);
    let r = post(&app, "/chuyen-doi-dia-chi", None, body.clone(), false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.expect("body");
    assert!(page.contains("<html lang=\"vi\">"));
    assert!(page.contains("tải lại trang"), "says to reload");

    // a token that is not the session's
    let (cookie, _) = csrf(&app).await;
    let (_, other) = csrf(&app).await;
    let body = form(&[("addresses", CONVERTS), ("csrf_token", &other)]);
    let r = post(
        &app,
        "/chuyen-doi-dia-chi",
        Some(&cookie),
        body.clone(),
        true,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let fragment = r.text().await.expect("body");
    assert!(fragment.starts_with("<section id=\"results\""));
    assert!(fragment.contains("role=\"alert\""));

    // no cookie at all
    let r = post(&app, "/chuyen-doi-dia-chi/csv", None, body, false).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn converting_keeps_the_text_and_lists_every_candidate() {
    let app = TestApp::spawn().await;
    let (cookie, token) = csrf(&app).await;
    let (split, candidates) = split_commune();
    let text = format!("{CONVERTS}\r\n\r\n{split}\r\nkhông có gì ở đây\r\n");
    let body = form(&[("addresses", &text), ("csrf_token", &token)]);

    // plain POST: the whole page, the textarea keeps what was typed
    let r = post(
        &app,
        "/chuyen-doi-dia-chi",
        Some(&cookie),
        body.clone(),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("body");
    assert!(page.contains("<html lang=\"vi\">"));
    assert!(page.contains(&format!(">\n{text}</textarea>")), "text kept");
    assert!(page.contains("Đã chuyển đổi"));
    assert!(page.contains("Nhiều khả năng"));
    assert!(page.contains("Không tìm thấy"));
    assert!(page.contains("Phường Hồng Hà, Thành phố Hà Nội"));
    for c in &candidates {
        assert!(page.contains(c.as_str()), "candidate {c}");
    }
    assert!(page.contains("3 địa chỉ: 1 đã chuyển đổi, 1 nhiều khả năng, 1 không tìm thấy."));

    // htmx: only the results
    let r = post(
        &app,
        "/chuyen-doi-dia-chi",
        Some(&cookie),
        body.clone(),
        true,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let fragment = r.text().await.expect("body");
    assert!(fragment.starts_with("<section id=\"results\""));
    assert!(!fragment.contains("<html"));
    assert_eq!(fragment.matches("data-status=\"converted\"").count(), 1);
    assert_eq!(fragment.matches("data-status=\"ambiguous\"").count(), 1);
    assert_eq!(fragment.matches("data-status=\"not_found\"").count(), 1);

    // English
    let en_cookie = format!("{cookie}; lang=en");
    let r = post(&app, "/convert", Some(&en_cookie), body.clone(), true).await;
    let fragment = r.text().await.expect("body");
    assert!(fragment.contains(">Converted<"));
    assert!(fragment.contains(">Several possibilities<"));
    assert!(fragment.contains(">Not found<"));

    // CSV
    let r = post(&app, "/chuyen-doi-dia-chi/csv", Some(&cookie), body, false).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let csv = r.text().await.expect("body");
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("\"Phường Hồng Hà, Thành phố Hà Nội\""));
}

#[tokio::test]
async fn too_many_lines_get_a_clear_message() {
    let app = TestApp::spawn().await;
    let (cookie, token) = csrf(&app).await;
    let text = vec![CONVERTS; 1001].join("\n");
    let body = form(&[("addresses", &text), ("csrf_token", &token)]);
    let r = post(
        &app,
        "/chuyen-doi-dia-chi",
        Some(&cookie),
        body.clone(),
        false,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("body");
    assert!(page.contains("tối đa 1.000 dòng"), "limit named");
    assert!(page.contains("1.001 dòng"), "count named");
    assert!(page.contains(CONVERTS), "the text is kept");
    assert!(!page.contains("data-status="));

    let body = form(&[("addresses", "  \n "), ("csrf_token", &token)]);
    let r = post(&app, "/chuyen-doi-dia-chi", Some(&cookie), body, true).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Hãy dán ít nhất một địa chỉ.")
    );

    // an unreadable body is a page, not a crash
    let r = app
        .client
        .post(app.url("/chuyen-doi-dia-chi"))
        .header(COOKIE, &cookie)
        .header(CONTENT_TYPE, "application/json")
        .body("{}")
        .send()
        .await
        .expect("POST");
    assert!(r.status().is_client_error(), "{}", r.status());
    assert!(r.text().await.expect("body").contains("<html"));
}

#[tokio::test]
async fn static_files_are_served_with_their_types() {
    let app = TestApp::spawn().await;
    for (path, ct) in [
        ("/static/app.css", "text/css; charset=utf-8"),
        ("/static/htmx.min.js", "text/javascript; charset=utf-8"),
        ("/static/htmx.LICENSE", "text/plain; charset=utf-8"),
    ] {
        let r = get(&app, path, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(
            r.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
            Some(ct),
            "{path}"
        );
        assert!(r.headers().contains_key(CACHE_CONTROL), "{path}");
        let etag = r
            .headers()
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .expect("an ETag")
            .to_string();
        let r = app
            .client
            .get(app.url(path))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    // pages link the versioned URL, which may be cached for long
    let (_, home) = get_html(&app, "/", None).await;
    let at = home.find("/static/app.css?v=").expect("versioned CSS link");
    let href = home[at..].split('"').next().unwrap_or_default();
    let r = get(&app, href, None).await;
    assert!(
        r.headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .contains("immutable")
    );
    assert!(r.text().await.expect("body").contains("skip-link"));
    let js = get(&app, "/static/htmx.min.js", None).await.text().await;
    assert!(js.expect("body").contains("htmx"));
    assert_eq!(
        get(&app, "/static/nope.js", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------------------
// In a real browser

/// chromedriver on a free port, killed when dropped.
pub(crate) struct Chromedriver {
    child: std::process::Child,
    url: String,
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(env: &str, default: &str) -> Option<std::path::PathBuf> {
    let p = std::path::PathBuf::from(std::env::var(env).unwrap_or_else(|_| default.to_string()));
    p.is_file().then_some(p)
}

impl Chromedriver {
    async fn start(program: &std::path::Path) -> Chromedriver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = std::process::Command::new(program)
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Chromedriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let status = format!("{}/status", driver.url);
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = client.get(&status).send().await
                && r.status().is_success()
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer on {}", driver.url);
    }
}

/// Types into the log-in page open in the browser and submits it.
pub(crate) async fn fill_login(
    c: &fantoccini::Client,
    identifier: &str,
    password: &str,
    otp: Option<&str>,
) {
    use fantoccini::Locator;
    let mut fields = vec![("identifier", identifier), ("password", password)];
    if let Some(code) = otp {
        fields.push(("otp", code));
    }
    for (id, text) in fields {
        c.find(Locator::Id(id))
            .await
            .unwrap_or_else(|_| panic!("the {id} field"))
            .send_keys(text)
            .await
            .expect("type");
    }
    c.find(Locator::Css("form.login button[type=submit]"))
        .await
        .expect("the log-in button")
        .click()
        .await
        .expect("submit");
}

/// A headless Chromium session (phone-sized window) through chromedriver;
/// `None` when MOTCUA_TEST_SKIP_BROWSER=1.
pub(crate) async fn open_browser() -> Option<(Chromedriver, fantoccini::Client)> {
    if std::env::var("MOTCUA_TEST_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("browser test skipped (MOTCUA_TEST_SKIP_BROWSER=1)");
        return None;
    }
    let driver_program = find_program("MOTCUA_CHROMEDRIVER", "/usr/bin/chromedriver");
    let chromium = find_program("MOTCUA_CHROMIUM", "/usr/bin/chromium");
    let (Some(driver_program), Some(chromium)) = (driver_program, chromium) else {
        panic!(
            "the browser test needs chromedriver and Chromium (/usr/bin/chromedriver and \
             /usr/bin/chromium, or MOTCUA_CHROMEDRIVER / MOTCUA_CHROMIUM): install them with \
             `apt-get install -y chromium chromium-driver`, or set MOTCUA_TEST_SKIP_BROWSER=1 \
             to skip this test"
        );
    };
    let driver = Chromedriver::start(&driver_program).await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_string(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=390,844",
            ],
        }),
    );
    let client =
        fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .expect("a WebDriver session");

    Some((driver, client))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_converts_looks_up_and_switches_language() {
    let Some((driver, client)) = open_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;

    // run the steps in a task so that the browser is closed even when an
    // assertion fails
    // two accesses to one person's data, for the data tracker's page
    let people = app.seed_people(3).await;
    let tracked = people[0].personal_id.clone();
    // the tracker is behind the person's own log-in
    app.open_account(
        &tracked,
        registry::PartialDate::parse(&people[0].birth_date).expect("a birth date"),
        match people[0].sex {
            registry::generate::Sex::Male => domain::Sex::Male,
            registry::generate::Sex::Female => domain::Sex::Female,
        },
        &people[0].full_name,
    )
    .await;
    let hcc = crate::exchange::key_of(&app, web::services::exchange::node::DEMO_HCC);
    let cases = ["H29.22-260301-0007", "H29.22-260302-0011"];
    for case in cases {
        let mut call = crate::exchange::hcc_call(&tracked, &["full_name", "birth_date"]);
        call.case_ref = Some(case);
        let req = crate::exchange::request(&app, crate::exchange::PERSON_GET, &call, Some(&hcc));
        let reply = crate::exchange::send(&app, req).await;
        assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    }

    let steps = tokio::spawn(browser_steps(
        client.clone(),
        app.base.clone(),
        tracked,
        cases.map(str::to_string),
    ));
    let outcome = steps.await;
    let _ = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn browser_steps(c: fantoccini::Client, base: String, tracked: String, cases: [String; 2]) {
    use fantoccini::Locator;
    use fantoccini::key::Key;

    let wait = Duration::from_secs(15);
    // MOTCUA_TEST_SCREENSHOTS=DIR keeps a picture of each step
    let shots = std::env::var_os("MOTCUA_TEST_SCREENSHOTS").map(std::path::PathBuf::from);
    let shot = |name: &'static str| {
        let c = c.clone();
        let shots = shots.clone();
        async move {
            if let Some(dir) = shots
                && let Ok(png) = c.screenshot().await
            {
                let _ = std::fs::write(dir.join(format!("{name}.png")), png);
            }
        }
    };
    let text_of = |e: fantoccini::elements::Element| async move { e.text().await.expect("text") };

    // 1. convert two addresses; htmx swaps in the results
    let (split, candidates) = split_commune();
    c.goto(&format!("{base}/chuyen-doi-dia-chi"))
        .await
        .expect("open the convert page");
    let lang = c
        .find(Locator::Css("html"))
        .await
        .expect("html")
        .attr("lang")
        .await
        .expect("lang");
    assert_eq!(lang.as_deref(), Some("vi"));
    // htmx read its configuration from the page
    let config = c
        .execute(
            "return [htmx.config.includeIndicatorStyles, htmx.config.responseHandling.length];",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(config, serde_json::json!([false, 4]), "htmx-config applied");
    // marks this document: a full page load would lose it
    c.execute("window.motcuaMarker = 42; return true;", vec![])
        .await
        .expect("script");
    let textarea = c
        .find(Locator::Css("textarea#addresses"))
        .await
        .expect("textarea");
    let typed = format!("{CONVERTS}{}{split}", char::from(Key::Enter));
    textarea.send_keys(&typed).await.expect("type addresses");
    c.find(Locator::Css("form.convert button[type=submit]"))
        .await
        .expect("submit button")
        .click()
        .await
        .expect("submit");
    c.wait()
        .at_most(wait)
        .for_element(Locator::Css("#results tr[data-status]"))
        .await
        .expect("the results appear");
    let marker = c
        .execute("return window.motcuaMarker || null;", vec![])
        .await
        .expect("script");
    assert_eq!(marker, serde_json::json!(42), "results came without reload");
    c.execute(
        "document.getElementById('results').scrollIntoView(); return true;",
        vec![],
    )
    .await
    .expect("script");
    shot("1-convert").await;

    let rows = c
        .find_all(Locator::Css("#results tbody tr"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].attr("data-status").await.expect("attr").as_deref(),
        Some("converted")
    );
    let first = text_of(rows[0].clone()).await;
    assert!(first.contains("Đã chuyển đổi"), "{first}");
    assert!(
        first.contains("Phường Hồng Hà, Thành phố Hà Nội"),
        "{first}"
    );
    assert_eq!(
        rows[1].attr("data-status").await.expect("attr").as_deref(),
        Some("ambiguous")
    );
    let second = text_of(rows[1].clone()).await;
    assert!(second.contains("Nhiều khả năng"), "{second}");
    let shown: Vec<String> = {
        let mut v = Vec::new();
        for li in rows[1]
            .find_all(Locator::Css(".candidates li"))
            .await
            .expect("candidates")
        {
            v.push(text_of(li).await);
        }
        v
    };
    assert_eq!(shown, candidates, "every candidate is listed");
    // nothing typed is lost
    let kept = textarea.prop("value").await.expect("value");
    assert_eq!(
        kept.as_deref(),
        Some(format!("{CONVERTS}\n{split}").as_str())
    );

    // 2. live search without diacritics, then a commune page
    c.goto(&format!("{base}/don-vi-hanh-chinh"))
        .await
        .expect("open the look-up page");
    c.find(Locator::Css("input#q"))
        .await
        .expect("search box")
        .send_keys("phuc xa")
        .await
        .expect("type a query");
    let link = c
        .wait()
        .at_most(wait)
        .for_element(Locator::Css(
            "#search-results a[href='/don-vi-hanh-chinh/xa/00097']",
        ))
        .await
        .expect("live results with Phúc Xá's new ward");
    let hit = c
        .find(Locator::XPath(
            "//div[@id='search-results']//li[contains(., 'Phường Phúc Xá')]",
        ))
        .await
        .expect("legacy Phúc Xá listed");
    let hit_text = text_of(hit).await;
    assert!(hit_text.contains("→ nay:"), "{hit_text}");
    shot("2-search").await;
    link.click().await.expect("follow the link");
    let h1 = c
        .wait()
        .at_most(wait)
        .for_element(Locator::XPath("//h1[normalize-space()='Phường Hồng Hà']"))
        .await
        .expect("the commune page");
    assert_eq!(text_of(h1).await, "Phường Hồng Hà");
    let url = c.current_url().await.expect("url");
    assert_eq!(url.path(), "/don-vi-hanh-chinh/xa/00097");
    let main = text_of(c.find(Locator::Css("main")).await.expect("main")).await;
    assert!(main.contains("Thành phố Hà Nội"), "{main}");
    assert!(main.contains("Phường Phúc Xá"), "{main}");
    shot("3-commune").await;

    // 3. English
    c.find(Locator::Css("a.lang-switch"))
        .await
        .expect("language switch")
        .click()
        .await
        .expect("switch to English");
    c.wait()
        .at_most(wait)
        .for_element(Locator::Css("html[lang='en']"))
        .await
        .expect("an English page");
    c.goto(&format!("{base}/chuyen-doi-dia-chi"))
        .await
        .expect("open the convert page");
    let label = text_of(
        c.find(Locator::Css("label[for='addresses']"))
            .await
            .expect("label"),
    )
    .await;
    assert_eq!(label, "Old addresses, one per line");
    shot("4-english").await;

    // 4. the data tracker: exactly the two accesses, each with its case;
    //    a period without accesses shows none, and clearing restores them
    c.goto(&format!("{base}/du-lieu-cua-toi/{tracked}?lang=vi"))
        .await
        .expect("open the tracker page");
    // first the log-in, which comes back here
    crate::pages::fill_login(&c, &tracked, crate::helpers::TEST_PASSWORD, None).await;
    c.wait()
        .at_most(wait)
        .for_element(Locator::Css("#accesses"))
        .await
        .expect("back on the tracker page");
    let rows = c
        .find_all(Locator::Css("#accesses tr.access"))
        .await
        .expect("access rows");
    assert_eq!(rows.len(), 2, "one row per access");
    let table = text_of(c.find(Locator::Css("#accesses")).await.expect("table")).await;
    for case in &cases {
        assert!(table.contains(case.as_str()), "{case} in {table}");
    }
    assert!(
        table.contains("Trung tâm Phục vụ hành chính công tỉnh"),
        "{table}"
    );
    assert!(
        table.contains("63/2024/NĐ-CP"),
        "the legal basis by name: {table}"
    );
    for link in ["a[href*='format=csv']", "a[href*='format=json']"] {
        c.find(Locator::Css(link)).await.expect("a download link");
    }
    shot("5-tracker").await;
    c.execute(
        "document.getElementById('from').value = '2099-01-01'; return true;",
        vec![],
    )
    .await
    .expect("script");
    c.find(Locator::Css("form.tracker-filter button[type=submit]"))
        .await
        .expect("filter button")
        .click()
        .await
        .expect("filter");
    c.wait()
        .at_most(wait)
        .for_element(Locator::Css("#accesses p.empty"))
        .await
        .expect("no accesses in that period");
    c.find(Locator::Css("form.tracker-filter a"))
        .await
        .expect("the clear link")
        .click()
        .await
        .expect("clear");
    c.wait()
        .at_most(wait)
        .for_element(Locator::Css("#accesses tr.access"))
        .await
        .expect("the accesses again");
}

/// The account page offers to add a passkey only where passkeys work: on a
/// server announced under a domain name, not under an IP address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_offers_passkeys_only_under_a_domain_name() {
    for localhost_issuer in [false, true] {
        let app = crate::helpers::TestApp::spawn_with(crate::helpers::TestOptions {
            localhost_issuer,
            ..Default::default()
        })
        .await;
        let p = crate::dossiers::people(&app).await.remove(0);
        app.open_account_at(
            crate::dossiers::citizen(&p),
            identity::AssuranceLevel::Level1,
            None,
        )
        .await;
        let session = app.log_in_on_portal(&p.personal_id).await;
        let page = app
            .send(
                app.client
                    .get(app.url("/tai-khoan"))
                    .header("cookie", format!("motcua_sid={session}")),
            )
            .await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.body);
        assert_eq!(
            page.body.contains("id=\"passkey-add\""),
            localhost_issuer,
            "localhost issuer {localhost_issuer}: {}",
            page.body
        );
    }
}

/// The main navigation names each destination once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_navigation_names_each_destination_once() {
    let app = crate::helpers::TestApp::spawn().await;
    let page = app.get("/").await;
    assert_eq!(page.status.as_u16(), 200);
    let nav = page
        .body
        .split("<nav class=\"wrap site-nav\"")
        .nth(1)
        .and_then(|rest| rest.split("</nav>").next())
        .expect("the main navigation");
    let hrefs: Vec<&str> = nav
        .split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .collect();
    let unique: std::collections::BTreeSet<&str> = hrefs.iter().copied().collect();
    assert!(hrefs.len() >= 5, "{hrefs:?}");
    assert_eq!(hrefs.len(), unique.len(), "a link repeated: {hrefs:?}");
}

/// The home page is the portal's front door: find a procedure, the
/// services people use most, one's dossiers, a dossier by its code, and
/// log in — with nothing promised for later.
#[tokio::test]
async fn the_home_page_is_the_front_door() {
    let app = TestApp::spawn().await;
    let (status, vi) = get_html(&app, "/", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(vi.contains("action=\"/thu-tuc\""), "a procedure search");
    assert!(vi.contains("Dịch vụ công thường dùng"));
    let birth = vi
        .find("href=\"/thu-tuc/khai-sinh\"")
        .expect("birth registration offered");
    let residence = vi
        .find("href=\"/thu-tuc/dang-ky-thuong-tru\"")
        .expect("permanent residence offered");
    assert!(birth < residence, "in the featured order");
    assert!(
        vi.contains("action=\"/tra-cuu-ho-so\""),
        "a dossier look-up"
    );
    assert!(vi.contains("href=\"/ho-so\""), "my dossiers");
    assert!(
        vi.contains("href=\"/dang-nhap?next=%2F\""),
        "log in, back here"
    );
    assert!(!vi.contains("sắp tới"), "nothing promised for later");
    let (_, en) = get_html(&app, "/?lang=en", None).await;
    assert!(en.contains("Commonly used services"));
    assert!(en.contains(">Birth registration<"), "names in English");
    assert!(!en.contains("(soon)"));
}

/// The header says who is logged in, links their account, offers the
/// workbench to staff only, and logs out; logged out, it offers to log
/// in, coming back to the page.
#[tokio::test]
async fn the_header_shows_who_is_logged_in_and_logs_out() {
    let app = TestApp::spawn().await;
    let (_, anonymous) = get_html(&app, "/thu-tuc", None).await;
    assert!(anonymous.contains("href=\"/dang-nhap?next=%2Fthu-tuc\""));
    assert!(!anonymous.contains("action=\"/oidc/logout\""));

    let birth = registry::PartialDate::parse("1991-05-06").expect("a date");
    let citizen = app
        .open_account("001191000123", birth, domain::Sex::Female, "Trần Thị Bích")
        .await;
    let session = format!("motcua_sid={}", app.log_in_on_portal("001191000123").await);
    let (status, page) = get_html(&app, "/thu-tuc", Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    let header = page
        .split("</header>")
        .next()
        .expect("a header")
        .to_string();
    assert!(header.contains("Trần Thị Bích"), "the name in the header");
    assert!(header.contains("href=\"/tai-khoan\""));
    assert!(header.contains("action=\"/oidc/logout\""));
    assert!(
        !header.contains("href=\"/can-bo\""),
        "no workbench for a citizen"
    );
    assert!(
        !header.contains("/dang-nhap"),
        "no log-in link once logged in"
    );

    let agency = dossier::AgencyCode::parse("UBND.00004").expect("agency");
    crate::dossiers::set_staff(&app, citizen, &agency, dossier::Role::Officer).await;
    let (_, staff) = get_html(&app, "/", Some(&session)).await;
    let header = staff.split("</header>").next().expect("a header");
    assert!(
        header.contains("href=\"/can-bo\""),
        "the workbench for staff"
    );

    // the header's log-out form ends the session
    let token = header
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the log-out form's token")
        .to_string();
    let out = app
        .client
        .post(app.url("/oidc/logout"))
        .header(COOKIE, &session)
        .header("origin", app.url(""))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form(&[("csrf_token", &token), ("confirm", "1")]))
        .send()
        .await
        .expect("log out");
    assert_eq!(out.status(), StatusCode::OK);
    let done = out.text().await.expect("body");
    let header = done.split("</header>").next().expect("a header");
    assert!(
        !header.contains("Trần Thị Bích"),
        "logged out in the header at once"
    );
    assert!(header.contains("/dang-nhap"));
    let (_, after) = get_html(&app, "/", Some(&session)).await;
    assert!(!after.contains("Trần Thị Bích"), "the session is over");
}

/// A request as a browser sends it when it follows a link or a form.
fn browser(app: &TestApp, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).header(
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    )
}

/// A browser asking for a page gets the portal's page for a failure, in
/// its language; API clients keep problem+json.
#[tokio::test]
async fn browsers_get_error_pages_and_api_clients_problems() {
    let app = TestApp::spawn().await;
    let page = |r: reqwest::Response| html_of(r, "a browser's page");
    let r = browser(&app, reqwest::Method::GET, "/khong-co-trang-nay")
        .send()
        .await
        .expect("GET");
    let (status, _, body) = page(r).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("<html lang=\"vi\">") && body.contains("<main id=\"main\""));
    assert!(body.contains("Không tìm thấy") && body.contains("href=\"/\""));
    assert!(!body.contains("problem"), "no JSON shown");

    let r = browser(&app, reqwest::Method::GET, "/khong-co-trang-nay?lang=en")
        .send()
        .await
        .expect("GET");
    let (_, _, body) = page(r).await;
    assert!(body.contains("<html lang=\"en\">") && body.contains("Not found"));

    let r = browser(&app, reqwest::Method::DELETE, "/thu-tuc")
        .send()
        .await
        .expect("DELETE");
    let (status, allow, body) = page(r).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(allow.is_some(), "Allow kept");
    assert!(body.contains("Không thực hiện được"));

    let big = "a".repeat(3 * 1024 * 1024);
    let r = browser(&app, reqwest::Method::POST, "/ho-so/UBND.00097-260101-0001")
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("comment={big}"))
        .send()
        .await
        .expect("POST");
    let (status, _, body) = page(r).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("Nội dung quá lớn"));

    let r = browser(&app, reqwest::Method::GET, "/static/..%2f..%2fCargo.toml")
        .send()
        .await
        .expect("GET");
    let (status, _, _) = page(r).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // the API answers problems, whatever the client accepts
    let r = browser(&app, reqwest::Method::GET, "/api/v1/khong-co")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    // and a client that does not ask for HTML gets the problem too
    let plain = app.get("/khong-co-trang-nay").await;
    assert_eq!(plain.status.as_u16(), 404);
    assert_eq!(plain.content_type(), "application/problem+json");
}

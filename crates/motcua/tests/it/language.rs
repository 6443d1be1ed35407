// tests: language
//! Pages rendered in Vietnamese speak Vietnamese: no message a person reads
//! there is written only in English — in the page's content, its errors
//! and refusals, for a citizen, an officer and someone not logged in.

use crate::dossiers::{file_birth, people, person_token, set_staff};
use crate::helpers::TestApp;

/// Words that mark a sentence as English (never Vietnamese words).
const ENGLISH: [&str; 16] = [
    "the", "is", "not", "and", "of", "to", "for", "with", "must", "cannot", "this", "may", "your",
    "was", "are", "be",
];

/// The text a person reads in the page's main content.
fn visible_main(html: &str) -> String {
    let main = html
        .split_once("<main")
        .map_or(html, |(_, rest)| rest)
        .split("</main>")
        .next()
        .unwrap_or_default();
    let mut text = String::new();
    let mut in_tag = false;
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#34;", "\"").replace("&#39;", "'")
}

/// The English sentences in `html`'s main content, if any.
fn english_in(html: &str) -> Vec<String> {
    let text = visible_main(html);
    text.split(['.', ';', '\n', ':'])
        .filter(|sentence| {
            let words: Vec<String> = sentence
                .split(|c: char| !c.is_alphanumeric() && c != '\'')
                .map(str::to_lowercase)
                .collect();
            words
                .iter()
                .filter(|w| ENGLISH.contains(&w.as_str()))
                .count()
                >= 2
        })
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn the_check_finds_english_and_passes_vietnamese() {
    assert!(english_in("<main><p>the form is not valid</p></main>").len() == 1);
    assert!(english_in("<main><p>Hồ sơ chưa nộp được. Vui lòng sửa</p></main>").is_empty());
    assert!(english_in("<header>the is</header><main>Trang chủ</main>").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vietnamese_pages_carry_no_english_message() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let citizen = &everyone[0];
    let officer = &everyone[everyone.len() - 1];
    let (_, token) = person_token(&app, citizen).await;
    let (officer_subject, _) = person_token(&app, officer).await;
    let agency =
        dossier::AgencyCode::parse(&format!("UBND.{}", citizen.commune_code)).expect("agency");
    set_staff(&app, officer_subject, &agency, dossier::Role::Officer).await;
    let code = file_birth(&app, &token, citizen.commune_code).await;
    let mine = format!(
        "motcua_sid={}",
        app.log_in_on_portal(&citizen.personal_id).await
    );
    let theirs = format!(
        "motcua_sid={}",
        app.log_in_on_portal(&officer.personal_id).await
    );

    let mut pages: Vec<(String, String)> = Vec::new();
    let html = "text/html,application/xhtml+xml";
    let get = |path: String, cookie: Option<String>| {
        let mut req = app.client.get(app.url(&path)).header("accept", html);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        async move {
            (
                path,
                req.send().await.expect("GET").text().await.expect("body"),
            )
        }
    };
    for path in [
        "/",
        "/thu-tuc",
        "/thu-tuc/khai-sinh",
        "/dang-nhap",
        "/don-vi-hanh-chinh?q=ba+dinh",
        "/chuyen-doi-dia-chi",
        "/khong-co-trang-nay",
        "/tra-cuu-ho-so?ma=UBND.00097-260101-0001",
    ] {
        pages.push(get(path.to_string(), None).await);
    }
    pages.push(get(format!("/tra-cuu-ho-so?ma={code}"), None).await);
    for path in [
        "/ho-so".to_string(),
        format!("/ho-so/{code}"),
        format!("/ho-so/{code}/phieu/01"),
        "/tai-khoan".to_string(),
        "/du-lieu-cua-toi".to_string(),
        "/thu-tuc/khai-sinh/nop".to_string(),
    ] {
        pages.push(get(path, Some(mine.clone())).await);
    }
    for path in ["/can-bo".to_string(), format!("/ho-so/{code}")] {
        pages.push(get(path, Some(theirs.clone())).await);
    }
    // refusals: a wrong password, an empty form, an act not the officer's
    let login_page = get("/dang-nhap".to_string(), None).await.1;
    let csrf = crate::login::hidden(&login_page, "csrf_token");
    let wrong = app
        .client
        .post(app.url("/oidc/login"))
        .header("cookie", format!("motcua_csrf={csrf}"))
        .header("origin", app.url(""))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("next", "/"),
            ("identifier", citizen.personal_id.as_str()),
            ("password", "not-the-password"),
        ])
        .send()
        .await
        .expect("log in")
        .text()
        .await
        .expect("body");
    pages.push(("POST /oidc/login (wrong password)".into(), wrong));
    let form = get("/thu-tuc/khai-sinh/nop".to_string(), Some(mine.clone()))
        .await
        .1;
    let csrf = crate::login::hidden(&form, "csrf_token");
    let empty = app
        .client
        .post(app.url("/thu-tuc/khai-sinh/nop"))
        .header("cookie", &mine)
        .header("origin", app.url(""))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("apply")
        .text()
        .await
        .expect("body");
    pages.push(("POST /thu-tuc/khai-sinh/nop (empty)".into(), empty));
    let page = get(format!("/ho-so/{code}"), Some(theirs.clone())).await.1;
    let csrf = crate::login::hidden(&page, "csrf_token");
    let refused = app
        .client
        .post(app.url(&format!("/ho-so/{code}")))
        .header("cookie", &theirs)
        .header("origin", app.url(""))
        .form(&[("csrf_token", csrf.as_str()), ("act", "approve")])
        .send()
        .await
        .expect("act")
        .text()
        .await
        .expect("body");
    pages.push(("POST /ho-so/{code} approve (an officer)".into(), refused));

    // the account page names the level and the log-ins in Vietnamese
    let account = &pages
        .iter()
        .find(|(path, _)| path == "/tai-khoan")
        .expect("the account page")
        .1;
    let account_text = visible_main(account).to_lowercase();
    assert!(account_text.contains("mức 1"), "{account_text}");
    assert!(!account_text.contains("level"), "{account_text}");
    assert!(!account_text.contains("pwd"), "{account_text}");
    let leaks: Vec<String> = pages
        .iter()
        .flat_map(|(path, body)| {
            assert!(
                body.contains("<html lang=\"vi\">"),
                "{path}: a Vietnamese page"
            );
            english_in(body)
                .into_iter()
                .map(move |s| format!("{path}: {s}"))
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "English in Vietnamese pages:\n{}",
        leaks.join("\n")
    );
}

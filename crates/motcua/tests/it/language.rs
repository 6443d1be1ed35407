// tests: language
//! Pages rendered in Vietnamese speak Vietnamese: no message a person reads
//! there is written only in English — in the page's content, its errors
//! and refusals, for a citizen, an officer and someone not logged in.

use crate::dossiers::file_birth;
use crate::helpers::{TestApp, main_text};

/// Words that mark a sentence as English (never Vietnamese words).
const ENGLISH: [&str; 16] = [
    "the", "is", "not", "and", "of", "to", "for", "with", "must", "cannot", "this", "may", "your",
    "was", "are", "be",
];

/// The English sentences in `html`'s main content, if any.
fn english_in(html: &str) -> Vec<String> {
    let text = main_text(html);
    text.split(['.', ';', ':'])
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
    let crate::dossiers::Staffed {
        citizen,
        token,
        officer,
        ..
    } = crate::dossiers::staffed(&app).await;
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
    // refusals: a wrong password, an empty form, an act not the officer's;
    // each form sent with the token of the page it is on
    let send_form =
        |page: String, to: String, cookie: String, fields: Vec<(&'static str, String)>| {
            let (get, app) = (&get, &app);
            async move {
                let (_, html) = get(page, Some(cookie.clone())).await;
                let mut body = vec![("csrf_token", crate::login::hidden(&html, "csrf_token"))];
                body.extend(fields);
                let reply = app
                    .client
                    .post(app.url(&to))
                    .header("cookie", cookie)
                    .header("origin", app.url(""))
                    .form(&body)
                    .send()
                    .await
                    .expect("POST");
                (format!("POST {to}"), reply.text().await.expect("body"))
            }
        };
    let login_page = get("/dang-nhap".to_string(), None).await.1;
    let csrf = crate::login::hidden(&login_page, "csrf_token");
    pages.push(
        send_form(
            "/dang-nhap".into(),
            "/oidc/login".into(),
            format!("motcua_csrf={csrf}"),
            vec![
                ("next", "/".into()),
                ("identifier", citizen.personal_id.clone()),
                ("password", "not-the-password".into()),
            ],
        )
        .await,
    );
    pages.push(
        send_form(
            "/thu-tuc/khai-sinh/nop".into(),
            "/thu-tuc/khai-sinh/nop".into(),
            mine.clone(),
            vec![],
        )
        .await,
    );
    let dossier = format!("/ho-so/{code}");
    pages.push(
        send_form(
            dossier.clone(),
            dossier,
            theirs.clone(),
            vec![("act", "approve".into())],
        )
        .await,
    );
    // slip 01 of a dossier not yet received: the dossier is there, the
    // slip not yet
    let slip = &pages
        .iter()
        .find(|(path, _)| path.ends_with("/phieu/01"))
        .expect("slip 01")
        .1;
    assert!(slip.contains("Chưa có phiếu này"), "{slip}");
    assert!(slip.contains(&format!("href=\"/ho-so/{code}\"")));
    // the account page names the level and the log-ins in Vietnamese
    let account = &pages
        .iter()
        .find(|(path, _)| path == "/tai-khoan")
        .expect("the account page")
        .1;
    let account_text = main_text(account).to_lowercase();
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

// tests: accessibility
//! Every page, in both languages, on a phone and on a desktop, checked by
//! axe-core (npm) against the WCAG 2.2 A and AA rules in headless
//! Chromium — target sizes included — with no violation.

use serde_json::json;
use std::path::PathBuf;

use fantoccini::Locator;

use crate::dossiers::{browser_log_in, file_birth, follow};
use crate::helpers::{TEST_PASSWORD, TestApp};

/// axe-core's browser script, installed with the test clients.
fn axe_script() -> Option<String> {
    if std::env::var("MOTCUA_TEST_SKIP_NODE").is_ok_and(|v| v == "1") {
        return None;
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/clients/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(script) => Some(script),
        Err(e) => panic!(
            "{}: {e}; install it with `npm ci --prefix crates/motcua/tests/clients`, or set \\
             MOTCUA_TEST_SKIP_NODE=1",
            path.display()
        ),
    }
}

/// The WCAG 2.2 A and AA violations axe-core finds on the page open in `c`,
/// and the text whose contrast it could not settle.
async fn violations(c: &fantoccini::Client, axe: &str) -> Vec<String> {
    c.execute(&format!("{axe}; return true;"), vec![])
        .await
        .expect("axe-core loaded");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag', values:
                 ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
               .then(r => done(r.violations.map(v =>
                   v.id + ' (' + v.impact + '): ' +
                   v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))
                 // contrast axe could not settle is a failure too, but for
                 // marks that carry no text
                 .concat(r.incomplete.filter(v => v.id === 'color-contrast')
                   .flatMap(v => v.nodes)
                   .filter(n => !n.any.some(c => /non-text/.test(c.message)))
                   .map(n => 'color-contrast (to review): ' + n.target.join(' ') +
                        ': ' + n.any.map(c => c.message).join('; ')))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .expect("axe-core ran");
    serde_json::from_value(found).unwrap_or_else(|e| vec![format!("axe answered oddly: {e}")])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_passes_wcag_2_2_aa_in_both_languages_and_sizes() {
    let Some(axe) = axe_script() else {
        eprintln!("accessibility test skipped (MOTCUA_TEST_SKIP_NODE=1)");
        return;
    };
    let Some((driver, c)) = crate::pages::open_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let crate::dossiers::Staffed {
        citizen,
        token,
        officer,
        officer_token,
        leader_token,
    } = crate::dossiers::staffed(&app).await;
    // the officer operates their province's connections too
    let operator = app
        .store
        .accounts()
        .account_by_login(&format!("pin:{}", officer.personal_id))
        .await
        .expect("read")
        .expect("the officer's account");
    app.store
        .dossiers()
        .set_staff(
            &operator.holder.subject().to_string(),
            &dossier::AgencyCode::parse("VANHANH.01").expect("an agency"),
            Some(dossier::Role::Officer),
            chrono::Utc::now(),
        )
        .await
        .expect("staff");
    let code = file_birth(&app, &token, citizen.commune_code).await;
    // a second dossier taken to its result: its receipt slip and the result
    // itself are pages too
    let issued = file_birth(&app, &token, citizen.commune_code).await;
    crate::dossiers::issue(&app, &officer_token, &leader_token, &issued, false).await;
    // and one for each of slips 02, 03 and 04
    let processing = |last: serde_json::Value| {
        vec![
            json!({"act": "receive"}),
            json!({"act": "claim"}),
            json!({"act": "start_processing"}),
            last,
        ]
    };
    let mut slips = Vec::new();
    for (form, steps) in [
        (
            "02",
            processing(
                json!({"act": "request_supplement", "items": ["Giấy chứng sinh bản chính"]}),
            ),
        ),
        (
            "03",
            vec![json!({"act": "refuse_intake", "reason": "Không thuộc thẩm quyền"})],
        ),
        (
            "04",
            processing(json!({"act": "apologise", "reason": "Chờ xác minh",
                              "new_due": "2099-01-02T17:00:00+07:00"})),
        ),
    ] {
        let dossier = file_birth(&app, &token, citizen.commune_code).await;
        for step in steps {
            let r = crate::dossiers::act(&app, &officer_token, &dossier, step.clone()).await;
            assert_eq!(r.status.as_u16(), 200, "{step}: {}", r.body);
        }
        slips.push(format!("/ho-so/{dossier}/phieu/{form}"));
    }
    // the verification of the issued result's paper, genuine and not
    let seal = app
        .store
        .dossiers()
        .dossier(&dossier::DossierCode::parse(&issued).expect("a code"))
        .await
        .expect("read")
        .and_then(|s| s.dossier.seal)
        .expect("sealed when approved");
    let verify = format!(
        "/xac-minh/{issued}?dau={}&khoa={}",
        seal.signature,
        seal.key_id.replace('/', "%2F")
    );
    // one processed at a province, and one received at its counter: both
    // shown by what the province reports
    let delivered = file_birth(&app, &token, citizen.commune_code).await;
    let counter =
        crate::adapter::reported_by_a_province(&app, &citizen.personal_id, &delivered).await;
    // a service that asks the person's consent to read their data
    let mut bhxh = crate::login::portal(crate::login::REDIRECT);
    bhxh.id = identity::client::ClientId::parse("bhxh").expect("id");
    bhxh.name = "Bảo hiểm xã hội Việt Nam".into();
    bhxh.trusted = false;
    bhxh.scopes.retain(|s| !identity::client::is_api_scope(s));
    crate::login::register(&app, &bhxh).await;
    let authorize = format!(
        "/oidc/authorize?{}",
        crate::login::authorize_query(None, &[]).replace("client_id=portal", "client_id=bhxh")
    );
    let base = app.base.clone();
    let browser = c.clone();
    let checks = tokio::spawn(async move {
        let c = browser;
        let mut found = Vec::new();
        let lookup = format!("/tra-cuu-ho-so?ma={code}");
        let unverified = format!("/xac-minh/{issued}");
        let public = [
            verify.as_str(),
            unverified.as_str(),
            lookup.as_str(),
            "/",
            "/thu-tuc",
            "/thu-tuc/khai-sinh",
            "/dang-nhap",
            "/don-vi-hanh-chinh?q=ba+dinh",
            "/don-vi-hanh-chinh/xa/00097",
            "/don-vi-hanh-chinh/tinh/01",
            "/chuyen-doi-dia-chi",
            "/tra-cuu-ho-so",
            "/khong-co-trang-nay",
        ];
        let citizens = [
            "/ho-so".to_string(),
            format!("/ho-so/{code}"),
            "/thu-tuc/khai-sinh/nop".to_string(),
            "/tai-khoan".to_string(),
            "/du-lieu-cua-toi".to_string(),
            format!("/ho-so/{code}/phieu/05"),
            format!("/ho-so/{issued}/phieu/01"),
            format!("/ho-so/{issued}/ket-qua"),
            format!("/ho-so/{delivered}"),
            format!("/ho-so/{counter}"),
            "/tai-khoan/to-chuc".to_string(),
            "/oidc/logout".to_string(),
        ]
        .into_iter()
        .chain(slips)
        .collect::<Vec<_>>();
        let officers = [
            "/can-bo".to_string(),
            "/can-bo?trang-thai=1".to_string(),
            "/can-bo?ma=KHONG-CO-250101-0001".to_string(),
            format!("/ho-so/{code}"),
            "/van-hanh".to_string(),
        ];
        for (width, height) in [(390, 844), (1280, 800)] {
            c.set_window_size(width, height).await.expect("resized");
            for lang in ["vi", "en"] {
                let visit = |path: &str| {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    format!("{base}{path}{sep}lang={lang}")
                };
                c.delete_all_cookies().await.expect("cookies cleared");
                for path in public {
                    c.goto(&visit(path)).await.expect("the page");
                    for v in violations(&c, &axe).await {
                        found.push(format!("{width}px {lang} {path}: {v}"));
                    }
                }
                for (who, paths) in [(&citizen, &citizens[..]), (&officer, &officers[..])] {
                    browser_log_in(&c, &base, &who.personal_id, &paths[0]).await;
                    for path in paths {
                        c.goto(&visit(path)).await.expect("the page");
                        for v in violations(&c, &axe).await {
                            found.push(format!("{width}px {lang} {path}: {v}"));
                        }
                    }
                }
                // the application form sent empty: every error at once
                browser_log_in(&c, &base, &citizen.personal_id, "/ho-so").await;
                c.goto(&visit("/thu-tuc/khai-sinh/nop"))
                    .await
                    .expect("the form");
                follow(&c, "#submit-dossier").await;
                c.find(Locator::Css(".error-summary"))
                    .await
                    .expect("the errors, summed up");
                for v in violations(&c, &axe).await {
                    found.push(format!("{width}px {lang} the form's errors: {v}"));
                }
                // a service's log-in, then its consent page
                c.delete_all_cookies().await.expect("cookies cleared");
                c.goto(&visit(&authorize)).await.expect("the log-in");
                for v in violations(&c, &axe).await {
                    found.push(format!("{width}px {lang} a service's log-in: {v}"));
                }
                crate::pages::fill_login(&c, &citizen.personal_id, TEST_PASSWORD, None).await;
                c.wait()
                    .for_element(Locator::Css("form[action='/oidc/consent']"))
                    .await
                    .expect("the consent page");
                for v in violations(&c, &axe).await {
                    found.push(format!("{width}px {lang} the consent page: {v}"));
                }
            }
        }
        found
    });
    let outcome = checks.await;
    let _ = c.close().await;
    drop(driver);
    let found = outcome.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    assert!(
        found.is_empty(),
        "WCAG 2.2 AA violations:\n{}",
        found.join("\n")
    );
}

/// The check itself sees what it must: a button without a name, an image
/// without a text alternative and grey text on red are reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accessibility_check_reports_a_nameless_button() {
    let Some(axe) = axe_script() else {
        return;
    };
    let Some((driver, c)) = crate::pages::open_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let base = app.base.clone();
    let outcome = tokio::spawn(async move {
        c.goto(&format!("{base}/")).await.expect("the home page");
        let clean = violations(&c, &axe).await;
        c.execute(
            "const m = document.querySelector('main');
             m.appendChild(document.createElement('button'));
             const i = document.createElement('img'); i.src = '/x.png'; m.appendChild(i);
             const p = document.createElement('p'); p.textContent = 'Chữ khó đọc';
             p.style.color = 'rgb(74, 82, 99)'; p.style.background = 'rgb(163, 20, 28)';
             m.appendChild(p);
             return true;",
            vec![],
        )
        .await
        .expect("broken on purpose");
        let broken = violations(&c, &axe).await;
        let _ = c.close().await;
        (clean, broken)
    })
    .await;
    drop(driver);
    let (clean, broken) = outcome.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    assert!(clean.is_empty(), "{clean:?}");
    assert!(
        broken.iter().any(|v| v.starts_with("button-name")),
        "{broken:?}"
    );
    assert!(
        broken.iter().any(|v| v.starts_with("image-alt")),
        "{broken:?}"
    );
    assert!(
        broken.iter().any(|v| v.starts_with("color-contrast")),
        "{broken:?}"
    );
}

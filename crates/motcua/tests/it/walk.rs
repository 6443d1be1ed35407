// tests: walk
//! A new user's way through the portal in headless Chromium, by clicking
//! what the pages show — on a phone in Vietnamese, on a desktop in English:
//! from the home page to a filed birth registration typing only the child's
//! data, an officer and a leader from the workbench to the returned result
//! (the leader seeing the proposal), and the citizen printing the result,
//! downloading it as a PDF whose QR code leads to the same place, and
//! following it to a page that says it is genuine.

use dossier::Status;
use fantoccini::{Client, Locator};

use crate::dossiers::{browser_act, follow, people};
use crate::helpers::{TEST_PASSWORD, TestApp};

/// The portal's words for a status, in `lang`.
fn status(lang: &str, s: Status) -> &'static str {
    if lang == "vi" {
        s.name_vi()
    } else {
        s.name_en()
    }
}

async fn text(c: &Client, id: &str) -> String {
    c.wait()
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("#{id}"))
        .text()
        .await
        .expect("text")
}

/// Where the link `css` of the page open leads.
async fn href(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css}"))
        .prop("href")
        .await
        .expect("href")
        .unwrap_or_else(|| panic!("{css} leads nowhere"))
}

/// Logs `pin` in through the header's link, from the page open.
async fn log_in_from_header(c: &Client, pin: &str) {
    if c.find(Locator::Css("form.logout button")).await.is_ok() {
        follow(c, "form.logout button").await;
    }
    follow(c, "a.login").await;
    c.execute("window.motcuaOldPage = true;", vec![])
        .await
        .expect("marked");
    crate::pages::fill_login(c, pin, TEST_PASSWORD, None).await;
    crate::dossiers::wait_for_new_page(c).await;
    c.find(Locator::Css("form.logout"))
        .await
        .expect("logged in: the header offers to log out");
}

/// Opens the workbench from the header, then the dossier `code` from it.
async fn from_the_workbench(c: &Client, code: &str) {
    follow(c, "a[href='/can-bo']").await;
    follow(c, &format!("a[href='/ho-so/{code}']")).await;
}

async fn walk(
    c: Client,
    base: String,
    lang: &'static str,
    (width, height): (u32, u32),
    [parent, officer, leader]: [registry::generate::SyntheticPerson; 3],
) {
    c.set_window_size(width, height).await.expect("resized");
    c.delete_all_cookies().await.expect("a new visitor");
    // the portal's address, in the visitor's language
    c.goto(&format!("{base}/?lang={lang}"))
        .await
        .expect("the portal");
    log_in_from_header(&c, &parent.personal_id).await;
    // the commonly used services are on the home page
    follow(&c, "a[href='/thu-tuc/khai-sinh']").await;
    follow(&c, "a.button[href='/thu-tuc/khai-sinh/nop']").await;
    // the place is the parent's commune already; only the child is typed
    let place = c
        .wait()
        .for_element(Locator::Css("#f-place option:checked"))
        .await
        .expect("a place chosen")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(place.as_deref(), Some(parent.commune_code));
    crate::dossiers::type_the_child(&c).await;
    follow(&c, "#submit-dossier").await;
    let code = text(&c, "dossier-code").await;
    assert_eq!(
        text(&c, "dossier-status").await,
        status(lang, Status::NewlyRegistered)
    );

    // the officer, from the workbench
    log_in_from_header(&c, &officer.personal_id).await;
    from_the_workbench(&c, &code).await;
    for (act, fields, then) in [
        (
            "receive",
            vec![("receive-comment", "Hồ sơ đủ")],
            Status::Received,
        ),
        ("claim", vec![], Status::Received),
        ("start_processing", vec![], Status::Processing),
        (
            "propose",
            vec![("propose-summary", "Đủ điều kiện đăng ký khai sinh")],
            Status::Processing,
        ),
    ] {
        assert_eq!(
            browser_act(&c, act, &fields).await,
            status(lang, then),
            "{act}"
        );
    }
    // the leader sees the proposal, approves it first of all, returns it
    log_in_from_header(&c, &leader.personal_id).await;
    from_the_workbench(&c, &code).await;
    let proposal = text(&c, "dossier-proposal").await;
    assert!(
        proposal.contains("Đủ điều kiện đăng ký khai sinh"),
        "{proposal}"
    );
    // and in the steps, on the one that proposed it, with the agency by name
    let steps = c
        .find(Locator::Css("table.steps"))
        .await
        .expect("the steps")
        .text()
        .await
        .expect("text");
    assert!(steps.contains("Đủ điều kiện đăng ký khai sinh"), "{steps}");
    assert!(!steps.contains("(UBND."), "agencies by name: {steps}");
    assert_eq!(
        browser_act(&c, "approve", &[]).await,
        status(lang, Status::Processed)
    );
    assert_eq!(
        browser_act(&c, "return_result", &[]).await,
        status(lang, Status::ResultReturned)
    );

    // the citizen finds the dossier, prints the result, follows its QR code
    log_in_from_header(&c, &parent.personal_id).await;
    // the navigation: on a phone, behind its menu button
    let menu = c
        .find(Locator::Css(".menu-toggle"))
        .await
        .expect("the menu");
    if menu.is_displayed().await.expect("shown or not") {
        menu.click().await.expect("menu opened");
    }
    follow(&c, "#site-nav-list a[href='/ho-so']").await;
    follow(&c, &format!("table a[href='/ho-so/{code}']")).await;
    follow(&c, "#dossier-result").await;
    assert_eq!(text(&c, "result-code").await, code);
    c.find(Locator::Css(".qr svg")).await.expect("the QR code");
    // it can be printed, or saved as a PDF, from a button; and left
    let print = c
        .find(Locator::Css("#paper-print"))
        .await
        .expect("the print button");
    assert!(print.is_displayed().await.expect("shown or not"));
    let back = c
        .find(Locator::Css("#paper-back"))
        .await
        .expect("the way back");
    assert_eq!(
        back.attr("href").await.expect("href").as_deref(),
        Some(format!("/ho-so/{code}").as_str())
    );
    // it downloads as a PDF, whose QR code leads where the page's does
    let verify = href(&c, "#result-verify").await;
    let pdf = href(&c, "#result-pdf").await;
    let cookies = c
        .get_all_cookies()
        .await
        .expect("the browser's cookies")
        .iter()
        .map(|k| format!("{}={}", k.name(), k.value()))
        .collect::<Vec<_>>()
        .join("; ");
    let (_, bytes) = crate::helpers::fetch_pdf(&reqwest::Client::new(), &pdf, &cookies).await;
    if let Some(read) = crate::helpers::read_pdf(&bytes).await {
        assert_eq!(read["lang"], lang);
        let links = read["links"].as_array().expect("links");
        assert!(
            !links.is_empty() && links.iter().all(|l| l.as_str() == Some(verify.as_str())),
            "{links:?} and {verify}"
        );
        assert!(crate::helpers::pdf_text(&read).contains(&code));
    }
    follow(&c, "#result-verify").await;
    let verified = text(&c, "verify-ok").await;
    assert!(!verified.is_empty());
    let page = c
        .find(Locator::Css("main"))
        .await
        .expect("the page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains(&code) && page.contains("Nguyễn Thị Mai"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_walks_from_the_home_page_to_a_verified_result() {
    let Some((driver, client)) = crate::pages::open_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let mut runs = Vec::new();
    for (i, (lang, size)) in [("vi", (390, 844)), ("en", (1280, 800))]
        .into_iter()
        .enumerate()
    {
        // each run its own family and staff
        let parent = everyone
            .iter()
            .filter(|p| p.spouse_id.is_some())
            .nth(i)
            .expect("a married person")
            .clone();
        let officer = everyone[everyone.len() - 1 - 2 * i].clone();
        let leader = everyone[everyone.len() - 2 - 2 * i].clone();
        for p in [&parent, &officer, &leader] {
            app.open_account_at(
                crate::dossiers::citizen(p),
                identity::AssuranceLevel::Level1,
                None,
            )
            .await;
        }
        let agency =
            dossier::AgencyCode::parse(&format!("UBND.{}", parent.commune_code)).expect("agency");
        for (p, role) in [
            (&officer, dossier::Role::Officer),
            (&leader, dossier::Role::Leader),
        ] {
            let subject = app
                .store
                .accounts()
                .account_by_login(
                    &identity::LoginId::Pin(p.personal_id.parse().expect("a number")).key(),
                )
                .await
                .expect("read")
                .expect("an account")
                .holder
                .subject();
            crate::dossiers::set_staff(&app, subject, &agency, role).await;
        }
        runs.push((lang, size, [parent, officer, leader]));
    }
    let base = app.base.clone();
    let browser = client.clone();
    let outcome = tokio::spawn(async move {
        for (lang, size, people) in runs {
            walk(browser.clone(), base.clone(), lang, size, people).await;
        }
    })
    .await;
    let _ = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

//! Dossiers over the API: the catalog, filing with a person's token (the
//! form pre-filled from the registry through the exchange, the read in the
//! person's tracker under the dossier's code), routing, the officers'
//! queue and every step to the result, the applicant's rating, and what is
//! refused on the way.

use serde_json::{Value, json};

use crate::helpers::{Citizen, Reply, TEST_PASSWORD, TestApp, main_text};
use crate::login::{REDIRECT, authorize_query, log_in, portal, register, tokens_of};

/// A generated person as an account is opened for them.
pub(crate) fn citizen(p: &registry::generate::SyntheticPerson) -> Citizen<'_> {
    Citizen {
        pin: &p.personal_id,
        birth: p.birth_date.parse().expect("a birth date"),
        sex: match p.sex {
            registry::generate::Sex::Male => domain::Sex::Male,
            registry::generate::Sex::Female => domain::Sex::Female,
        },
        name: &p.full_name,
    }
}

/// A person's access token from the portal's code flow, opening their
/// account on the way.
pub(crate) async fn person_token(
    app: &TestApp,
    p: &registry::generate::SyntheticPerson,
) -> (identity::SubjectId, String) {
    let subject = app
        .open_account_at(citizen(p), identity::AssuranceLevel::Level1, None)
        .await;
    if app
        .store
        .oidc()
        .client(&identity::client::ClientId::parse("portal").expect("id"))
        .await
        .expect("read")
        .is_none()
    {
        register(app, &portal(REDIRECT)).await;
    }
    // the portal's own client, for the person's dossiers and, for the
    // staff, their work
    let reply = log_in(
        app,
        &authorize_query(None, &[]).replace(
            "openid+profile+pid",
            "openid+profile+pid+dossiers+workbench",
        ),
        &p.personal_id,
        TEST_PASSWORD,
        None,
    )
    .await;
    let (_, _, token) = tokens_of(app, &reply).await;
    (subject, token)
}

async fn send(req: reqwest::RequestBuilder) -> Reply {
    crate::login::send(req).await
}

/// The generated people who can file: alive, adult, born on a known day.
pub(crate) async fn people(app: &TestApp) -> Vec<registry::generate::SyntheticPerson> {
    app.seed_people(60)
        .await
        .into_iter()
        .filter(|p| {
            p.vital_status == registry::generate::VitalStatus::Alive
                && p.birth_date.len() == 10
                && p.birth_date.as_str() < "2004-01-01"
        })
        .collect()
}

pub(crate) fn birth_form(place: &str) -> Value {
    json!({
        "place": place,
        "child_full_name": "Nguyễn Thị Mai",
        "child_birth_date": "2026-02-20",
        "child_sex": "Nữ",
        "child_birth_place": "Bệnh viện Phụ sản Từ Dũ",
        "child_ethnicity": "Kinh",
        "child_nationality": "Việt Nam",
        // typed by the applicant, replaced by the registry's value
        "applicant_full_name": "Tên gõ sai"
    })
}

/// The first married person of `everyone` whose spouse is among them too.
pub(crate) fn married_couple(
    everyone: &[registry::generate::SyntheticPerson],
) -> (
    registry::generate::SyntheticPerson,
    registry::generate::SyntheticPerson,
) {
    everyone
        .iter()
        .find_map(|p| {
            let spouse = everyone
                .iter()
                .find(|q| Some(&q.personal_id) == p.spouse_id.as_ref())?;
            Some((p.clone(), spouse.clone()))
        })
        .expect("a married couple")
}

/// Makes the account `who` an officer or a leader of `agency`.
pub(crate) async fn set_staff(
    app: &TestApp,
    who: identity::SubjectId,
    agency: &dossier::AgencyCode,
    role: dossier::Role,
) {
    app.store
        .dossiers()
        .set_staff(&who.to_string(), agency, Some(role), chrono::Utc::now())
        .await
        .expect("staff");
}

/// `POST /api/v1/dossiers` with `token`.
pub(crate) async fn post_dossier(app: &TestApp, token: &str, body: &Value) -> Reply {
    send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(token)
            .json(body),
    )
    .await
}

/// Files a birth at `place` with `token`; the dossier's code.
pub(crate) async fn file_birth(app: &TestApp, token: &str, place: &str) -> String {
    let filed = send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(token)
            .json(&json!({"procedure": "khai-sinh", "form": birth_form(place)})),
    )
    .await;
    assert_eq!(filed.status.as_u16(), 201, "{}", filed.body);
    filed.json()["dossier"]["code"]
        .as_str()
        .expect("code")
        .to_string()
}

/// The dossier's page for the portal session `session`.
pub(crate) async fn dossier_page(app: &TestApp, session: &str, code: &str) -> Reply {
    send(
        app.client
            .get(app.url(&format!("/ho-so/{code}")))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await
}

/// Takes `code` through processing to an issued result the leader
/// approved, and returned to the applicant when `returned`.
pub(crate) async fn issue(
    app: &TestApp,
    officer_token: &str,
    leader_token: &str,
    code: &str,
    returned: bool,
) {
    let mut steps = vec![
        (officer_token, json!({"act": "receive"})),
        (officer_token, json!({"act": "claim"})),
        (officer_token, json!({"act": "start_processing"})),
        (
            officer_token,
            json!({"act": "propose", "outcome": "issued", "summary": "Đủ điều kiện"}),
        ),
        (leader_token, json!({"act": "approve"})),
    ];
    if returned {
        steps.push((officer_token, json!({"act": "return_result"})));
    }
    for (who, step) in steps {
        let r = act(app, who, code, step.clone()).await;
        assert_eq!(r.status.as_u16(), 200, "{step}: {}", r.body);
    }
}

pub(crate) async fn act(app: &TestApp, token: &str, code: &str, body: Value) -> Reply {
    send(
        app.client
            .post(app.url(&format!("/api/v1/dossiers/{code}/acts")))
            .bearer_auth(token)
            .json(&body),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birth_is_filed_pre_filled_and_processed_to_the_result_with_every_step_recorded() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    // a married person whose spouse the registry holds too: both are read
    let (parent, spouse) = married_couple(&everyone);
    let (subject, token) = person_token(&app, &parent).await;

    // the catalog finds the procedure without diacritics
    let found = app
        .get("/api/v1/procedures?q=dang%20ky%20khai%20sinh")
        .await;
    assert_eq!(found.status.as_u16(), 200);
    assert_eq!(found.json()[0]["code"], "khai-sinh");
    let procedure = app.get("/api/v1/procedures/khai-sinh").await.json();
    assert_eq!(procedure["cutoff"], "15:00");
    assert!(procedure["form"]["properties"]["applicant_full_name"]["x-prefill"].is_string());

    let place = parent.commune_code;
    let filed = send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(&token)
            .json(&json!({"procedure": "khai-sinh", "form": birth_form(place), "email": "me@example.vn"})),
    )
    .await;
    assert_eq!(filed.status.as_u16(), 201, "{}", filed.body);
    let d = filed.json();
    let code = d["dossier"]["code"].as_str().expect("a code").to_string();
    assert!(code.starts_with(&format!("UBND.{place}-")), "{code}");
    assert!(code.ends_with("-0001"), "{code}");
    assert_eq!(
        filed.header("location"),
        Some(format!("/api/v1/dossiers/{code}").as_str())
    );
    assert_eq!(d["status"], 1);
    assert_eq!(d["dossier"]["route"]["competent"], format!("UBND.{place}"));
    // the state's data, not what was typed
    let form = &d["dossier"]["form"];
    assert_eq!(form["applicant_full_name"], parent.full_name.as_str());
    assert_eq!(form["applicant_person_id"], parent.personal_id.as_str());
    let residence = form["applicant_residence"].as_str().expect("a residence");
    let commune = units::Units::get().commune(place).expect("a commune");
    assert!(residence.contains(&commune.name), "{residence}");
    assert_eq!(form["spouse_full_name"], spouse.full_name.as_str());
    let prefilled: Vec<&str> = d["dossier"]["prefilled"]
        .as_array()
        .expect("prefilled")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        prefilled.contains(&"applicant_full_name") && prefilled.contains(&"applicant_residence")
    );

    // the read is in the person's tracker, under the dossier's code
    let operator = app.operator_token().await;
    let tracker = send(
        app.client
            .get(app.url(&web::api::tracker::accesses_path(&parent.personal_id)))
            .bearer_auth(&operator),
    )
    .await
    .json();
    let reads: Vec<&Value> = tracker["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .filter(|a| a["case_ref"] == code.as_str())
        .collect();
    assert_eq!(reads.len(), 1, "{tracker}");
    assert_eq!(
        reads[0]["purpose"],
        web::services::exchange::node::PREFILL_PURPOSE
    );
    assert_eq!(
        reads[0]["consumer"]["id"],
        web::services::exchange::node::DEMO_HCC
    );
    let theirs = send(
        app.client
            .get(app.url(&web::api::tracker::accesses_path(&spouse.personal_id)))
            .bearer_auth(&operator),
    )
    .await
    .json();
    assert!(
        theirs["accesses"]
            .as_array()
            .expect("accesses")
            .iter()
            .any(|a| a["case_ref"] == code.as_str()),
        "the spouse's tracker shows the read too: {theirs}"
    );

    // officers of the commune, and one of another commune
    let officer = &everyone[everyone.len() - 1];
    let leader = &everyone[everyone.len() - 2];
    let stranger = &everyone[everyone.len() - 3];
    let (officer_subject, officer_token) = person_token(&app, officer).await;
    let (leader_subject, leader_token) = person_token(&app, leader).await;
    let (stranger_subject, stranger_token) = person_token(&app, stranger).await;
    let agency = dossier::AgencyCode::parse(&format!("UBND.{place}")).expect("agency");
    let now = chrono::Utc::now();
    let staff = app.store.dossiers();
    staff
        .set_staff(
            &officer_subject.to_string(),
            &agency,
            Some(dossier::Role::Officer),
            now,
        )
        .await
        .expect("staff");
    staff
        .set_staff(
            &leader_subject.to_string(),
            &agency,
            Some(dossier::Role::Leader),
            now,
        )
        .await
        .expect("staff");
    let elsewhere = dossier::AgencyCode::parse("UBND.00004").expect("agency");
    staff
        .set_staff(
            &stranger_subject.to_string(),
            &elsewhere,
            Some(dossier::Role::Leader),
            now,
        )
        .await
        .expect("staff");

    let queue = send(
        app.client
            .get(app.url(&format!("/api/v1/agencies/{agency}/dossiers")))
            .bearer_auth(&officer_token),
    )
    .await;
    assert_eq!(queue.status.as_u16(), 200, "{}", queue.body);
    assert_eq!(queue.json()[0]["dossier"]["code"], code.as_str());
    let not_mine = send(
        app.client
            .get(app.url(&format!("/api/v1/agencies/{agency}/dossiers")))
            .bearer_auth(&stranger_token),
    )
    .await;
    not_mine.problem(403);
    let hidden = send(
        app.client
            .get(app.url(&format!("/api/v1/dossiers/{code}")))
            .bearer_auth(&stranger_token),
    )
    .await;
    hidden.problem(403);
    // the applicant cannot receive their own dossier
    act(&app, &token, &code, json!({"act": "receive"}))
        .await
        .problem(403);

    let received = act(
        &app,
        &officer_token,
        &code,
        json!({"act": "receive", "comment": "Đủ giấy tờ", "version": 1}),
    )
    .await;
    assert_eq!(received.status.as_u16(), 200, "{}", received.body);
    let r = received.json();
    assert_eq!(r["status"], 2);
    assert!(r["dossier"]["due"].is_string(), "an appointment: {r}");
    // acting on what was seen: version 1 is gone
    act(
        &app,
        &officer_token,
        &code,
        json!({"act": "claim", "version": 1}),
    )
    .await
    .problem(409);
    for step in [
        json!({"act": "claim"}),
        json!({"act": "start_processing"}),
        json!({"act": "propose", "outcome": "issued", "summary": "Đủ điều kiện đăng ký khai sinh"}),
    ] {
        let r = act(&app, &officer_token, &code, step.clone()).await;
        assert_eq!(r.status.as_u16(), 200, "{step}: {}", r.body);
    }
    // the officer does not approve their own proposal; the leader does
    act(&app, &officer_token, &code, json!({"act": "approve"}))
        .await
        .problem(403);
    let approved = act(&app, &leader_token, &code, json!({"act": "approve"})).await;
    assert_eq!(approved.json()["status"], 9, "{}", approved.body);
    // not yet returned: no rating
    act(&app, &token, &code, json!({"act": "rate", "score": 5}))
        .await
        .problem(422);
    let returned = act(&app, &officer_token, &code, json!({"act": "return_result"})).await;
    assert_eq!(returned.json()["status"], 10);
    let rated = act(
        &app,
        &token,
        &code,
        json!({"act": "rate", "score": 5, "comment": "Nhanh"}),
    )
    .await;
    assert_eq!(rated.status.as_u16(), 200, "{}", rated.body);
    let again = act(&app, &token, &code, json!({"act": "rate", "score": 1}))
        .await
        .problem(422);
    assert!(
        again["detail"]
            .as_str()
            .is_some_and(|d| d.contains("rated already")),
        "{again}"
    );

    // the applicant sees every step; anyone sees the status by the code
    let mine = send(
        app.client
            .get(app.url("/api/v1/dossiers"))
            .bearer_auth(&token),
    )
    .await
    .json();
    let control: Vec<&str> = mine[0]["dossier"]["control"]
        .as_array()
        .expect("form 05")
        .iter()
        .filter_map(|c| c["act"].as_str())
        .collect();
    assert_eq!(
        control,
        [
            "submit",
            "receive",
            "claim",
            "start_processing",
            "propose",
            "approve",
            "return_result",
            "rate"
        ]
    );
    assert_eq!(mine[0]["dossier"]["control"][1]["comment"], "Đủ giấy tờ");
    let public = app.get(&format!("/api/v1/dossiers/{code}")).await.json();
    assert_eq!(public["status"], 10);
    assert_eq!(public["procedure_vi"], "Đăng ký khai sinh");
    assert!(
        public.get("dossier").is_none() && public.get("form").is_none(),
        "minimal: {public}"
    );

    // a notice at each change of status, for the portal and the mailer
    let notices = app
        .store
        .dossiers()
        .notices(&subject.to_string(), 50)
        .await
        .expect("notices");
    let statuses: Vec<u8> = notices.iter().rev().map(|n| n.status).collect();
    assert_eq!(statuses, [1, 2, 4, 9, 10]);
    assert!(
        notices
            .iter()
            .all(|n| n.email.as_deref() == Some("me@example.vn"))
    );

    // the province's figures count it, on time and rated
    let figures = app
        .store
        .dossiers()
        .service_figures(
            Some(commune.province_code.as_str()),
            now - chrono::Duration::days(1),
            chrono::Utc::now() + chrono::Duration::days(1),
        )
        .await
        .expect("figures");
    assert_eq!(
        (
            figures.processed,
            figures.on_time,
            figures.rated,
            figures.rating_sum
        ),
        (1, 1, 1, 5)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filings_are_refused_with_reasons_and_take_no_number() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, token) = person_token(&app, p).await;
    let post = |body: Value| {
        send(
            app.client
                .post(app.url("/api/v1/dossiers"))
                .bearer_auth(&token)
                .json(&body),
        )
    };
    // no token
    send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .json(&json!({"procedure": "khai-sinh", "form": {}})),
    )
    .await
    .problem(401);
    // not JSON of a dossier
    send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"procedure\": 1"),
    )
    .await
    .problem(400);
    post(json!({"procedure": "khai-sinh-gia", "form": {}}))
        .await
        .problem(404);
    // every missing or wrong field named at once
    let e = post(json!({"procedure": "khai-sinh", "form": {"place": p.commune_code, "child_sex": "X", "child_birth_date": "2026-02-30"}}))
        .await
        .problem(422);
    let detail = e["detail"].as_str().expect("a detail");
    for field in [
        "child_full_name",
        "child_sex",
        "child_birth_date",
        "child_birth_place",
    ] {
        assert!(detail.contains(field), "{field}: {detail}");
    }
    // nothing of the person was read for a form refused on what the
    // applicant sent: their data tracker shows no read
    let operator = app.operator_token().await;
    let tracker = send(
        app.client
            .get(app.url(&web::api::tracker::accesses_path(&p.personal_id)))
            .bearer_auth(&operator),
    )
    .await
    .json();
    assert_eq!(
        tracker["accesses"].as_array().map(Vec::len),
        Some(0),
        "{tracker}"
    );
    // a place that is not a commune in force
    let e = post(json!({"procedure": "khai-sinh", "form": birth_form("99999")}))
        .await
        .problem(422);
    assert!(
        e["detail"].as_str().is_some_and(|d| d.contains("place")),
        "{e}"
    );
    let e = post(json!({"procedure": "khai-sinh", "form": birth_form(p.commune_code), "email": "not an address"}))
        .await
        .problem(422);
    assert!(
        e["detail"].as_str().is_some_and(|d| d.contains("e-mail")),
        "{e}"
    );
    // none of these took a number: the first good one is 0001
    let ok = post(json!({"procedure": "khai-sinh", "form": birth_form(p.commune_code)})).await;
    assert_eq!(ok.status.as_u16(), 201, "{}", ok.body);
    assert!(
        ok.json()["dossier"]["code"]
            .as_str()
            .is_some_and(|c| c.ends_with("-0001"))
    );
    // a province-level procedure goes to the province's agency
    let judicial = post(json!({"procedure": "phieu-ly-lich-tu-phap", "form": {
        "place": "79", "certificate_type": "so-1", "purpose": "Xin việc", "copies": 1
    }}))
    .await;
    assert_eq!(judicial.status.as_u16(), 201, "{}", judicial.body);
    assert_eq!(
        judicial.json()["dossier"]["route"]["competent"],
        "CONGAN.79"
    );
    let e = post(json!({"procedure": "phieu-ly-lich-tu-phap", "form": {"place": p.commune_code}}))
        .await
        .problem(422);
    assert!(
        e["detail"].as_str().is_some_and(|d| d.contains("place")),
        "{e}"
    );
}

/// Logs `pin` in on the portal's log-in page (the browser's cookies
/// cleared first), landing on `next`.
pub(crate) async fn browser_log_in(c: &fantoccini::Client, base: &str, pin: &str, next: &str) {
    use fantoccini::Locator;
    c.delete_all_cookies().await.expect("cookies cleared");
    c.goto(&format!("{base}/dang-nhap?next={next}"))
        .await
        .expect("the log-in page");
    crate::pages::fill_login(c, pin, TEST_PASSWORD, None).await;
    c.wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_url(&url::Url::parse(&format!("{base}{next}")).expect("a URL"))
        .await
        .unwrap_or_else(|_| panic!("logged in, at {next}"));
    c.find(Locator::Css("main h1")).await.expect("a page");
}

/// Waits until the page marked `motcuaOldPage` is replaced.
pub(crate) async fn wait_for_new_page(c: &fantoccini::Client) {
    for _ in 0..200 {
        let old = c
            .execute("return window.motcuaOldPage === true;", vec![])
            .await
            .unwrap_or(serde_json::Value::Bool(true));
        if old == serde_json::Value::Bool(false) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the page did not change");
}

/// Types into the birth registration form open in the browser what only
/// the parent knows: the child (the birth date day first, as people write
/// it).
pub(crate) async fn type_the_child(c: &fantoccini::Client) {
    use fantoccini::Locator;
    for (id, value) in [
        ("f-child_full_name", "Nguyễn Thị Mai"),
        ("f-child_birth_date", "20/02/2026"),
        ("f-child_birth_place", "Bệnh viện Phụ sản Từ Dũ"),
        ("f-child_ethnicity", "Kinh"),
        ("f-child_nationality", "Việt Nam"),
    ] {
        c.find(Locator::Id(id))
            .await
            .unwrap_or_else(|_| panic!("#{id}"))
            .send_keys(value)
            .await
            .expect("typed");
    }
    c.find(Locator::Id("f-child_sex"))
        .await
        .expect("sex")
        .select_by_value("Nữ")
        .await
        .expect("chosen");
}

/// Clicks what `css` finds and waits for the page it leads to.
pub(crate) async fn follow(c: &fantoccini::Client, css: &str) {
    c.execute("window.motcuaOldPage = true;", vec![])
        .await
        .expect("marked");
    c.wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} is on the page"))
        .click()
        .await
        .expect("clicked");
    wait_for_new_page(c).await;
}

/// Submits the act `code` from the dossier's page, filling `fields`
/// (element id, text) first; the page after.
pub(crate) async fn browser_act(
    c: &fantoccini::Client,
    code: &str,
    fields: &[(&str, &str)],
) -> String {
    use fantoccini::Locator;
    for (id, text) in fields {
        c.find(Locator::Id(id))
            .await
            .unwrap_or_else(|_| panic!("the field {id}"))
            .send_keys(text)
            .await
            .expect("typed");
    }
    c.execute("window.motcuaOldPage = true;", vec![])
        .await
        .expect("marked");
    c.find(Locator::Css(&format!("#act-{code} button[type=submit]")))
        .await
        .unwrap_or_else(|_| panic!("the act {code} is offered"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("{code} submitted: {e}"));
    wait_for_new_page(c).await;
    let done = c
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::Css("#dossier-notice, #dossier-error"))
        .await
        .expect("the dossier's page again");
    let text = done.text().await.expect("text");
    assert_eq!(
        done.attr("id").await.expect("id").as_deref(),
        Some("dossier-notice"),
        "{code}: {text}"
    );
    c.find(Locator::Id("dossier-status"))
        .await
        .expect("status")
        .text()
        .await
        .expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_citizen_applies_for_a_birth_and_sees_each_step_to_the_result() {
    let Some((driver, client)) = crate::pages::open_browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let parent = everyone
        .iter()
        .find(|p| p.spouse_id.is_some())
        .expect("a married person")
        .clone();
    let officer = everyone[everyone.len() - 1].clone();
    let leader = everyone[everyone.len() - 2].clone();
    for p in [&parent, &officer, &leader] {
        app.open_account_at(
            crate::dossiers::citizen(p),
            identity::AssuranceLevel::Level1,
            None,
        )
        .await;
    }
    // the officer and the leader of the parent's commune, by the CLI
    for (p, role) in [(&officer, "officer"), (&leader, "leader")] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_motcua"))
            .args(["account", "staff", "--login", &p.personal_id, "--agency"])
            .arg(format!("UBND.{}", parent.commune_code))
            .args(["--role", role, "--data-dir"])
            .arg(app.data_dir())
            .env_remove("MOTCUA_DATABASE_URL")
            .output()
            .expect("motcua account staff");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let steps = tokio::spawn(browser_birth(
        client.clone(),
        app.base.clone(),
        parent,
        officer,
        leader,
    ));
    let outcome = steps.await;
    let _ = client.close().await;
    drop(driver);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

async fn browser_birth(
    c: fantoccini::Client,
    base: String,
    parent: registry::generate::SyntheticPerson,
    officer: registry::generate::SyntheticPerson,
    leader: registry::generate::SyntheticPerson,
) {
    use fantoccini::Locator;
    let text = |id: &'static str| {
        let c = c.clone();
        async move {
            c.find(Locator::Id(id))
                .await
                .unwrap_or_else(|_| panic!("#{id}"))
                .text()
                .await
                .expect("text")
        }
    };
    // the citizen logs in, finds the procedure without diacritics, applies
    browser_log_in(&c, &base, &parent.personal_id, "/thu-tuc").await;
    c.find(Locator::Id("q"))
        .await
        .expect("the search")
        .send_keys("khai sinh")
        .await
        .expect("typed");
    follow(&c, "form.search button").await;
    follow(&c, "a[href='/thu-tuc/khai-sinh']").await;
    follow(&c, "a.button[href='/thu-tuc/khai-sinh/nop']").await;
    let name = c
        .wait()
        .for_element(Locator::Id("f-applicant_full_name"))
        .await
        .expect("the form");
    // pre-filled from the registry, and not the applicant's to change
    assert_eq!(
        name.prop("value").await.expect("value").as_deref(),
        Some(parent.full_name.as_str())
    );
    assert!(name.attr("readonly").await.expect("readonly").is_some());
    for id in [
        "f-place",
        "f-child_full_name",
        "f-child_birth_date",
        "f-child_sex",
        "email",
    ] {
        c.find(Locator::Css(&format!("label[for={id}]")))
            .await
            .unwrap_or_else(|_| panic!("a label for {id}"));
    }
    // the place of filing is the parent's commune, chosen by name
    let commune = units::Units::get()
        .commune(parent.commune_code)
        .expect("the parent's commune");
    let chosen = c
        .find(Locator::Css("#f-place option:checked"))
        .await
        .expect("a place chosen");
    assert_eq!(chosen.text().await.expect("text"), commune.name);
    assert_eq!(
        chosen.prop("value").await.expect("value").as_deref(),
        Some(parent.commune_code)
    );
    let province = c
        .find(Locator::Css("#f-place-province option:checked"))
        .await
        .expect("its province chosen")
        .text()
        .await
        .expect("text");
    assert_eq!(
        Some(province.as_str()),
        units::Units::get()
            .province(&commune.province_code)
            .map(|p| p.name.as_str())
    );
    type_the_child(&c).await;
    follow(&c, "#submit-dossier").await;
    let notice = c
        .wait()
        .for_element(Locator::Id("dossier-notice"))
        .await
        .expect("filed")
        .text()
        .await
        .expect("text");
    let code = text("dossier-code").await;
    assert!(notice.contains(&code), "{notice}");
    assert!(
        code.starts_with(&format!("UBND.{}-", parent.commune_code)),
        "{code}"
    );
    assert_eq!(text("dossier-status").await, "Mới đăng ký");

    // the officer receives it from the workbench and processes it
    browser_log_in(&c, &base, &officer.personal_id, "/can-bo").await;
    follow(&c, &format!("a[href='/ho-so/{code}']")).await;
    c.wait()
        .for_element(Locator::Id("act-receive"))
        .await
        .expect("receive offered");
    assert_eq!(
        browser_act(&c, "receive", &[("receive-comment", "Hồ sơ đủ")]).await,
        "Đã tiếp nhận"
    );
    assert_eq!(browser_act(&c, "claim", &[]).await, "Đã tiếp nhận");
    assert_eq!(browser_act(&c, "start_processing", &[]).await, "Đang xử lý");
    assert_eq!(
        browser_act(
            &c,
            "propose",
            &[("propose-summary", "Đủ điều kiện đăng ký khai sinh")]
        )
        .await,
        "Đang xử lý"
    );
    // the officer cannot approve; the leader can
    assert!(
        c.find(Locator::Id("act-approve")).await.is_err(),
        "approval is the leader's"
    );
    browser_log_in(&c, &base, &leader.personal_id, &format!("/ho-so/{code}")).await;
    // the leader sees what was proposed, and approval is the first choice
    let proposal = text("dossier-proposal").await;
    assert!(
        proposal.contains("Đủ điều kiện đăng ký khai sinh"),
        "{proposal}"
    );
    assert!(
        proposal.contains("Được giải quyết, cấp kết quả"),
        "{proposal}"
    );
    let first = c
        .find(Locator::Css("section.acts > form.act"))
        .await
        .expect("an act")
        .attr("id")
        .await
        .expect("its id");
    assert_eq!(first.as_deref(), Some("act-approve"));
    assert_eq!(browser_act(&c, "approve", &[]).await, "Đã xử lý xong");
    assert_eq!(
        browser_act(&c, "return_result", &[]).await,
        "Đã trả kết quả"
    );

    // the citizen sees each step, and prints the receipt slip
    browser_log_in(&c, &base, &parent.personal_id, "/ho-so").await;
    follow(&c, &format!("table a[href='/ho-so/{code}']")).await;
    c.wait()
        .for_element(Locator::Id("dossier-status"))
        .await
        .expect("the page");
    assert_eq!(text("dossier-status").await, "Đã trả kết quả");
    assert!(
        text("dossier-outcome")
            .await
            .contains("Được giải quyết, cấp kết quả"),
        "the citizen is told the outcome"
    );
    assert!(
        c.find(Locator::Id("dossier-proposal")).await.is_err(),
        "the proposal is the agency's"
    );
    let steps = c
        .find_all(Locator::Css("table.steps tbody tr"))
        .await
        .expect("steps");
    let mut seen = Vec::new();
    for s in steps {
        seen.push(s.text().await.expect("text"));
    }
    let all = seen.join("\n");
    for step in [
        "Nộp hồ sơ",
        "Tiếp nhận",
        "Nhận xử lý",
        "Bắt đầu xử lý",
        "Trình kết quả",
        "Phê duyệt kết quả",
        "Trả kết quả",
    ] {
        assert!(all.contains(step), "{step} in {all}");
    }
    assert!(all.contains("Hồ sơ đủ"), "the officer's comment: {all}");
    follow(&c, "#slip-01").await;
    let slip_code = c
        .wait()
        .for_element(Locator::Id("slip-code"))
        .await
        .expect("the slip")
        .text()
        .await
        .expect("text");
    assert_eq!(slip_code, code);
    // laid out as official papers are: the national heading, the agency
    // by name, the place and day of issue
    let slip = c
        .find(Locator::Css("main"))
        .await
        .expect("the slip")
        .text()
        .await
        .expect("text");
    assert!(
        slip.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        "{slip}"
    );
    assert!(slip.contains("Độc lập - Tự do - Hạnh phúc"));
    assert!(slip.contains("Nơi tiếp nhận\nỦy ban nhân dân "), "{slip}");
    // every part of form 01 (Circular 01/2018/TT-VPCP) in its order
    let parts = [
        "Thành phần hồ sơ nộp gồm:",
        "Số lượng hồ sơ: 01 bộ",
        "Thời gian giải quyết hồ sơ theo quy định:",
        "Thời gian nhận hồ sơ:",
        "Thời gian trả kết quả giải quyết hồ sơ:",
        "Đăng ký nhận kết quả tại: Ủy ban nhân dân ",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
    ];
    let at: Vec<Option<usize>> = parts.iter().map(|p| slip.find(p)).collect();
    assert!(at.iter().all(Option::is_some), "{parts:?} in {slip}");
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in order: {slip}");
    assert!(!text("slip-time-limit").await.is_empty());
    assert!(!text("slip-received").await.is_empty());
    assert!(
        text("slip-result-at").await.contains("trực tuyến"),
        "filed online, collected online too"
    );
    assert!(
        !text("slip-address").await.is_empty(),
        "the applicant's address"
    );
    assert_eq!(text("slip-applicant-sign").await, parent.full_name);
    assert_eq!(
        slip.matches("UBND.").count(),
        slip.matches(code.as_str()).count(),
        "no agency code but in the dossier's own: {slip}"
    );
    assert!(text("slip-place-date").await.contains(", ngày "));
    assert!(!text("slip-due").await.is_empty(), "the appointment");
    c.find(Locator::Css(".qr svg")).await.expect("the QR code");
    // and rates the service
    c.goto(&format!("{base}/ho-so/{code}")).await.expect("back");
    c.wait()
        .for_element(Locator::Id("act-rate"))
        .await
        .expect("rating offered");
    c.find(Locator::Css("#act-rate input[name=score][value='5']"))
        .await
        .expect("5")
        .click()
        .await
        .expect("chosen");
    browser_act(&c, "rate", &[]).await;
    assert!(c.find(Locator::Id("act-rate")).await.is_err(), "rated once");
}

/// aiosmtpd (PyPI) on a free port, writing what it receives to a Maildir;
/// killed when dropped.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

async fn start_smtp(python: &std::path::Path, port: u16) -> SmtpServer {
    let maildir = tempfile::tempdir().expect("a directory");
    let server = SmtpServer {
        child: std::process::Command::new(python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd starts (pip install aiosmtpd)"),
        port,
        maildir,
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(server);
    panic!("aiosmtpd did not listen on {port}");
}

fn received(python: &std::path::Path, smtp: &SmtpServer) -> Vec<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/read_maildir.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(smtp.maildir.path().join("mail"))
        .output()
        .expect("read the Maildir");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("JSON")
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notices_are_e_mailed_through_a_real_smtp_server_and_retried_when_it_is_down() {
    let Some(python) = crate::oidc::python() else {
        return;
    };
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let parent = &everyone[0];
    let officer = &everyone[everyone.len() - 1];
    let (_, token) = person_token(&app, parent).await;
    let (officer_subject, officer_token) = person_token(&app, officer).await;
    let agency =
        dossier::AgencyCode::parse(&format!("UBND.{}", parent.commune_code)).expect("agency");
    app.store
        .dossiers()
        .set_staff(
            &officer_subject.to_string(),
            &agency,
            Some(dossier::Role::Officer),
            chrono::Utc::now(),
        )
        .await
        .expect("staff");
    let filed = send(
        app.client
            .post(app.url("/api/v1/dossiers"))
            .bearer_auth(&token)
            .json(&json!({"procedure": "khai-sinh", "form": birth_form(parent.commune_code), "email": "me@example.vn"})),
    )
    .await;
    assert_eq!(filed.status.as_u16(), 201, "{}", filed.body);
    let code = filed.json()["dossier"]["code"]
        .as_str()
        .expect("code")
        .to_string();

    // the server is down: the notice waits, with the reason, for a retry
    let port = free_port();
    let mailer = web::services::mail::Mailer::new(
        &format!("smtp://127.0.0.1:{port}"),
        "Cổng Dịch vụ công <no-reply@dichvucong.example>",
        &app.base,
    )
    .expect("a mailer");
    let now = chrono::Utc::now();
    assert_eq!(
        mailer
            .deliver_due(app.store.as_ref(), now, 10)
            .await
            .expect("tried"),
        (0, 1)
    );
    let waiting = app
        .store
        .dossiers()
        .pending_emails(now + chrono::Duration::minutes(2), 10)
        .await
        .expect("pending");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].attempts, 1);
    assert!(waiting[0].last_error.is_some());
    assert!(
        app.store
            .dossiers()
            .pending_emails(now, 10)
            .await
            .expect("pending")
            .is_empty(),
        "not before its retry"
    );

    // the server is up: the retry goes, and the next notice too
    let smtp = start_smtp(&python, port).await;
    assert_eq!(smtp.port, port);
    let later = chrono::Utc::now() + chrono::Duration::minutes(2);
    assert_eq!(
        mailer
            .deliver_due(app.store.as_ref(), later, 10)
            .await
            .expect("sent"),
        (1, 0)
    );
    let r = act(&app, &officer_token, &code, json!({"act": "receive"})).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.body);
    assert_eq!(
        mailer
            .deliver_due(app.store.as_ref(), chrono::Utc::now(), 10)
            .await
            .expect("sent"),
        (1, 0)
    );
    assert_eq!(
        mailer
            .deliver_due(app.store.as_ref(), later, 10)
            .await
            .expect("nothing left"),
        (0, 0)
    );

    let mail = received(&python, &smtp);
    assert_eq!(mail.len(), 2, "{mail:?}");
    for m in &mail {
        assert_eq!(m["to"], "me@example.vn");
        assert!(
            m["subject"].as_str().is_some_and(|s| s.contains(&code)),
            "{m}"
        );
        assert!(
            m["body"]
                .as_str()
                .is_some_and(|b| b.contains(&format!("{}/ho-so/{code}", app.base))),
            "{m}"
        );
    }
    let bodies: Vec<&str> = mail.iter().filter_map(|m| m["body"].as_str()).collect();
    assert!(
        bodies.iter().any(|b| b.contains("đã được nộp trực tuyến")),
        "{bodies:?}"
    );
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("Đã tiếp nhận") && b.contains("Hẹn trả kết quả")),
        "{bodies:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officers_register_dossiers_handed_in_at_a_counter_or_arriving_by_post() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let applicant = everyone[0].clone();
    let province = applicant.province_code;
    let clerk = &everyone[everyone.len() - 1];
    let commune_officer = &everyone[everyone.len() - 2];
    let (clerk_subject, clerk_token) = person_token(&app, clerk).await;
    let (officer_subject, officer_token) = person_token(&app, commune_officer).await;
    let centre = dossier::AgencyCode::parse(&format!("TTPVHCC.{province}")).expect("centre");
    let commune =
        dossier::AgencyCode::parse(&format!("UBND.{}", applicant.commune_code)).expect("agency");
    let now = chrono::Utc::now();
    let staff = app.store.dossiers();
    staff
        .set_staff(
            &clerk_subject.to_string(),
            &centre,
            Some(dossier::Role::Officer),
            now,
        )
        .await
        .expect("staff");
    staff
        .set_staff(
            &officer_subject.to_string(),
            &commune,
            Some(dossier::Role::Officer),
            now,
        )
        .await
        .expect("staff");
    let register = |token: String, body: Value| {
        let app = &app;
        async move {
            send(
                app.client
                    .post(app.url("/api/v1/dossiers"))
                    .bearer_auth(&token)
                    .json(&body),
            )
            .await
        }
    };
    let counter = json!({
        "procedure": "khai-sinh", "form": birth_form(applicant.commune_code),
        "channel": "in_person", "applicant_pin": applicant.personal_id,
        "applicant_name": applicant.full_name, "centre": centre.to_string()
    });
    // the applicant has no eID account: the officer names them as on their card
    let mut nameless = counter.clone();
    nameless["applicant_name"] = Value::Null;
    let e = register(clerk_token.clone(), nameless).await.problem(422);
    assert!(
        e["detail"]
            .as_str()
            .is_some_and(|d| d.contains("applicant_name")),
        "{e}"
    );
    // only the centre's staff register at its counter
    register(officer_token.clone(), counter.clone())
        .await
        .problem(403);
    // a centre of another province does not receive this province's dossier
    let mut elsewhere = counter.clone();
    elsewhere["centre"] = json!(if province == "01" {
        "TTPVHCC.79"
    } else {
        "TTPVHCC.01"
    });
    register(clerk_token.clone(), elsewhere).await.problem(422);

    let received = register(clerk_token.clone(), counter.clone()).await;
    assert_eq!(received.status.as_u16(), 201, "{}", received.body);
    let d = received.json();
    let code = d["dossier"]["code"].as_str().expect("code").to_string();
    assert!(code.starts_with(&format!("TTPVHCC.{province}-")), "{code}");
    assert_eq!(d["status"], 2, "received at once");
    assert!(
        d["dossier"]["due"].is_string(),
        "the appointment at the counter"
    );
    assert_eq!(d["dossier"]["route"]["competent"], commune.to_string());
    assert_eq!(
        d["dossier"]["form"]["applicant_full_name"],
        applicant.full_name.as_str(),
        "read from the registry"
    );
    assert_eq!(d["dossier"]["control"][0]["act"], "receive");
    // processing is the commune's: the centre's clerk cannot, its officer can
    act(
        &app,
        &clerk_token,
        &code,
        json!({"act": "start_processing"}),
    )
    .await
    .problem(403);
    let started = act(
        &app,
        &officer_token,
        &code,
        json!({"act": "start_processing"}),
    )
    .await;
    assert_eq!(started.json()["status"], 4, "{}", started.body);

    // by post: registered by the commune's officer, then received
    let mut post = counter.clone();
    post["channel"] = json!("postal");
    post["centre"] = Value::Null;
    register(clerk_token.clone(), post.clone())
        .await
        .problem(403);
    let arrived = register(officer_token.clone(), post).await;
    assert_eq!(arrived.status.as_u16(), 201, "{}", arrived.body);
    let postal = arrived.json();
    assert_eq!(postal["status"], 1);
    assert_eq!(postal["dossier"]["channel"], "postal");
    assert!(
        postal["dossier"]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with(&format!("UBND.{}-", applicant.commune_code)))
    );

    // the applicant opens an account later: both dossiers are theirs
    let (_, token) = person_token(&app, &applicant).await;
    let mine = send(
        app.client
            .get(app.url("/api/v1/dossiers"))
            .bearer_auth(&token),
    )
    .await
    .json();
    assert_eq!(mine.as_array().map(Vec::len), Some(2), "{mine}");
    let whole = send(
        app.client
            .get(app.url(&format!("/api/v1/dossiers/{code}")))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(whole.status.as_u16(), 200, "{}", whole.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_checked_by_document_type_and_size() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, token) = person_token(&app, p).await;
    let (_, stranger) = person_token(&app, &everyone[1]).await;
    let code = file_birth(&app, &token, p.commune_code).await;
    let put = |doc: &str, name: &str, ctype: &str, body: Vec<u8>, who: &str| {
        let url = app.url(&format!(
            "/api/v1/dossiers/{code}/attachments/{doc}?name={name}"
        ));
        let req = app
            .client
            .put(url)
            .bearer_auth(who)
            .header("content-type", ctype)
            .body(body);
        async move { send(req).await }
    };
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
    let ok = put(
        "to-khai",
        "to-khai.pdf",
        "application/pdf",
        pdf.clone(),
        &token,
    )
    .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.body);
    assert_eq!(ok.json()["attachment"]["media_type"], "application/pdf");
    // the state holds the birth notice: never asked for, never taken
    let e = put(
        "giay-chung-sinh",
        "gcs.pdf",
        "application/pdf",
        pdf.clone(),
        &token,
    )
    .await
    .problem(422);
    assert!(
        e["detail"]
            .as_str()
            .is_some_and(|d| d.contains("already holds")),
        "{e}"
    );
    let e = put(
        "to-khai",
        "virus.pdf",
        "application/pdf",
        b"MZ\x90\x00\x03".to_vec(),
        &token,
    )
    .await
    .problem(422);
    assert!(
        e["detail"]
            .as_str()
            .is_some_and(|d| d.contains("PDF, JPEG or PNG")),
        "{e}"
    );
    put("to-khai", "x.png", "image/png", pdf.clone(), &token)
        .await
        .problem(422);
    let mut big = b"%PDF-".to_vec();
    big.resize(dossier::MAX_ATTACHMENT_BYTES + 4096, b'0');
    put("to-khai", "big.pdf", "application/pdf", big, &token)
        .await
        .problem(413);
    put(
        "to-khai",
        "x.pdf",
        "application/pdf",
        pdf.clone(),
        &stranger,
    )
    .await
    .problem(403);

    let listed = send(
        app.client
            .get(app.url(&format!("/api/v1/dossiers/{code}/attachments")))
            .bearer_auth(&token),
    )
    .await
    .json();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["attachment"]["name"], "to-khai.pdf");
    let file = app
        .client
        .get(app.url(&format!("/api/v1/dossiers/{code}/attachments/to-khai")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the file");
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.headers()["x-content-type-options"], "nosniff");
    assert_eq!(file.bytes().await.expect("bytes").to_vec(), pdf);
    send(
        app.client
            .get(app.url(&format!("/api/v1/dossiers/{code}/attachments/to-khai")))
            .bearer_auth(&stranger),
    )
    .await
    .problem(403);
}

/// `motcua serve --demo` on `dir`, at a free port; the child and its base URL.
async fn serve_demo(dir: &std::path::Path) -> (std::process::Child, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = crate::helpers::serve_command(port, dir)
        .arg("--demo")
        .spawn()
        .expect("motcua serve --demo");
    if crate::helpers::became_ready(&base).await {
        return (child, base);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the demo server did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_loads_people_and_accounts_once_and_they_log_in() {
    let dir = tempfile::tempdir().expect("a directory");
    let (mut child, base) = serve_demo(dir.path()).await;
    let accounts = dir.path().join("demo-accounts.txt");
    let text = std::fs::read_to_string(&accounts).expect("the accounts file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&accounts)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
    let logins: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("identifier ")?;
            let (id, pw) = rest.split_once("  password ")?;
            Some((id.to_string(), pw.to_string()))
        })
        .collect();
    assert_eq!(logins.len(), 3, "{text}");
    // the officer logs in on the portal and finds their agency's queue
    let (officer, password) = &logins[1];
    let session = crate::helpers::portal_session(&base, officer, password, "/can-bo").await;
    let http = reqwest::Client::new();
    let bench = http
        .get(format!("{base}/can-bo"))
        .header("cookie", format!("motcua_sid={session}"))
        .send()
        .await
        .expect("the workbench")
        .text()
        .await
        .expect("text");
    assert!(
        bench.contains("<h2 id=\"queue-1\">Ủy ban nhân dân "),
        "the officer's agency, by name: {bench}"
    );
    let _ = child.kill();
    let _ = child.wait();
    // a second start keeps what is there
    let before = std::fs::read_to_string(&accounts).expect("the accounts file");
    let (mut again, _) = serve_demo(dir.path()).await;
    let _ = again.kill();
    let _ = again.wait();
    assert_eq!(
        std::fs::read_to_string(&accounts).expect("the accounts file"),
        before
    );
}

/// A multipart/form-data body of text fields and one file.
pub(crate) fn multipart(
    boundary: &str,
    fields: &[(&str, &str)],
    file: (&str, &str, &[u8]),
) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (name, ctype, bytes) = file;
    body.extend_from_slice(
        format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{name}\"\r\ncontent-type: {ctype}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_attaches_a_document_from_the_dossier_page() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, token) = person_token(&app, p).await;
    let code = file_birth(&app, &token, p.commune_code).await;
    let session = app.log_in_on_portal(&p.personal_id).await;
    let page = dossier_page(&app, &session, &code).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    assert!(
        page.body.contains("id=\"attach-form\""),
        "the applicant may attach while it is newly registered"
    );
    // the page's forms carry a token of the session
    let csrf = crate::login::hidden(&page.body, "csrf_token");
    let upload = |name: &'static str, ctype: &'static str, bytes: Vec<u8>| {
        let body = multipart(
            "b0undary",
            &[("csrf_token", &csrf), ("document", "to-khai")],
            (name, ctype, &bytes),
        );
        send(
            app.client
                .post(app.url(&format!("/ho-so/{code}/tep")))
                .header(
                    "cookie",
                    format!("motcua_sid={session}; motcua_csrf={csrf}"),
                )
                .header("content-type", "multipart/form-data; boundary=b0undary")
                .body(body),
        )
    };
    let refused = upload("virus.pdf", "application/pdf", b"MZ\x90\x00".to_vec()).await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    assert!(
        refused.body.contains("Tệp không phải PDF, JPEG hay PNG"),
        "the reason is shown, in the page's language"
    );
    let pdf = b"%PDF-1.4\n% to khai\n".to_vec();
    let kept = upload("tờ khai.pdf", "application/pdf", pdf.clone()).await;
    assert_eq!(kept.status.as_u16(), 200, "{}", kept.body);
    assert!(
        kept.body.contains("id=\"file-to-khai\""),
        "listed on the page"
    );
    let file = app
        .client
        .get(app.url(&format!("/ho-so/{code}/tep/to-khai")))
        .header("cookie", format!("motcua_sid={session}"))
        .send()
        .await
        .expect("the file");
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.bytes().await.expect("bytes").to_vec(), pdf);
    // without the form's token nothing is kept
    let forged = send(
        app.client
            .post(app.url(&format!("/ho-so/{code}/tep")))
            .header(
                "cookie",
                format!("motcua_sid={session}; motcua_csrf={csrf}"),
            )
            .header("content-type", "multipart/form-data; boundary=b0undary")
            .body(multipart(
                "b0undary",
                &[("document", "to-khai")],
                ("x.pdf", "application/pdf", b"%PDF-x"),
            )),
    )
    .await;
    assert_ne!(forged.status.as_u16(), 200);
    let listed = send(
        app.client
            .get(app.url(&format!("/api/v1/dossiers/{code}/attachments")))
            .bearer_auth(&token),
    )
    .await
    .json();
    assert_eq!(listed[0]["attachment"]["name"], "tờ khai.pdf");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_assigns_a_dossier_only_to_the_staff_of_its_agency_from_the_api_or_the_page() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, token) = person_token(&app, p).await;
    let code = file_birth(&app, &token, p.commune_code).await;
    let (officer, leader, outsider) = (
        &everyone[everyone.len() - 1],
        &everyone[everyone.len() - 2],
        &everyone[everyone.len() - 3],
    );
    let (officer_subject, officer_token) = person_token(&app, officer).await;
    let (leader_subject, leader_token) = person_token(&app, leader).await;
    let (outsider_subject, _) = person_token(&app, outsider).await;
    let agency = dossier::AgencyCode::parse(&format!("UBND.{}", p.commune_code)).expect("agency");
    let elsewhere = dossier::AgencyCode::parse("UBND.00004").expect("agency");
    for (who, at, role) in [
        (officer_subject, &agency, dossier::Role::Officer),
        (leader_subject, &agency, dossier::Role::Leader),
        (outsider_subject, &elsewhere, dossier::Role::Officer),
    ] {
        app.store
            .dossiers()
            .set_staff(&who.to_string(), at, Some(role), chrono::Utc::now())
            .await
            .expect("staff");
    }
    let received = act(&app, &officer_token, &code, json!({"act": "receive"})).await;
    assert_eq!(received.status.as_u16(), 200, "{}", received.body);

    // over the API: only a leader, only to the agency's staff, named as
    // their account names them
    act(
        &app,
        &officer_token,
        &code,
        json!({"act": "assign", "subject": officer_subject.to_string()}),
    )
    .await
    .problem(403);
    let refused = act(
        &app,
        &leader_token,
        &code,
        json!({"act": "assign", "subject": outsider_subject.to_string()}),
    )
    .await
    .problem(422);
    assert!(
        refused["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("is not an officer of {agency}"))),
        "{refused}"
    );
    let assigned = act(
        &app,
        &leader_token,
        &code,
        json!({"act": "assign", "subject": officer_subject.to_string(), "name": "Tên bịa"}),
    )
    .await;
    assert_eq!(assigned.status.as_u16(), 200, "{}", assigned.body);
    let assignee = &assigned.json()["dossier"]["assignee"];
    assert_eq!(assignee["subject"], officer_subject.to_string().as_str());
    assert_eq!(assignee["name"], officer.full_name.as_str());

    // on the page: the leader picks from the agency's staff
    let session = app.log_in_on_portal(&leader.personal_id).await;
    let cookie = |csrf: &str| format!("motcua_sid={session}; motcua_csrf={csrf}");
    let page = dossier_page(&app, &session, &code).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    assert!(page.body.contains("id=\"act-assign\""), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("<option value=\"{officer_subject}\" selected>")),
        "the officer assigned now is chosen"
    );
    assert!(
        page.body.contains(&format!(
            "<option value=\"{leader_subject}\">{} (lãnh đạo)</option>",
            leader.full_name
        )),
        "the leader is on the list"
    );
    assert!(
        !page.body.contains(&outsider_subject.to_string()),
        "another agency's officer is not offered"
    );
    // the page's forms carry a token of the session
    let csrf = crate::login::hidden(&page.body, "csrf_token");
    let post = |assignee: String, version: &'static str| {
        send(
            app.client
                .post(app.url(&format!("/ho-so/{code}")))
                .header("cookie", cookie(&csrf))
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("act", "assign"),
                    ("version", version),
                    ("assignee", assignee.as_str()),
                ]),
        )
    };
    let stale = post(leader_subject.to_string(), "2").await;
    assert_eq!(stale.status.as_u16(), 422, "{}", stale.body);
    assert!(
        stale.body.contains("id=\"dossier-error\""),
        "{}",
        stale.body
    );
    let outside = post(outsider_subject.to_string(), "3").await;
    assert_eq!(outside.status.as_u16(), 422, "{}", outside.body);
    assert!(
        outside.body.contains("không phải cán bộ của"),
        "the reason is shown, in the page's language"
    );
    let done = post(leader_subject.to_string(), "3").await;
    assert_eq!(done.status.as_u16(), 200, "{}", done.body);
    assert!(done.body.contains("id=\"dossier-notice\""), "{}", done.body);
    assert!(
        done.body
            .contains(&format!("<dd>{}</dd>", leader.full_name)),
        "the page shows the dossier as it is now"
    );
    let now = send(
        app.client
            .get(app.url(&format!("/api/v1/dossiers/{code}")))
            .bearer_auth(&officer_token),
    )
    .await
    .json();
    assert_eq!(now["version"], 4);
    assert_eq!(
        now["dossier"]["assignee"]["subject"],
        leader_subject.to_string().as_str()
    );
    let acts: Vec<&str> = now["dossier"]["control"]
        .as_array()
        .expect("form 05")
        .iter()
        .filter_map(|c| c["act"].as_str())
        .collect();
    assert_eq!(acts, ["submit", "receive", "assign", "assign"]);

    // an officer is not offered the choice
    let session = app.log_in_on_portal(&officer.personal_id).await;
    let page = dossier_page(&app, &session, &code).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    assert!(!page.body.contains("id=\"act-assign\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_does_not_handle_their_own_application_and_a_colleague_does() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    // a married leader, whose spouse works at the same commune
    let (me, spouse) = married_couple(&everyone);
    let others: Vec<_> = everyone
        .iter()
        .filter(|p| p.personal_id != me.personal_id && p.personal_id != spouse.personal_id)
        .collect();
    let (colleague, other_leader) = (others[others.len() - 1], others[others.len() - 2]);
    let (me_subject, me_token) = person_token(&app, &me).await;
    let (spouse_subject, spouse_token) = person_token(&app, &spouse).await;
    let (colleague_subject, colleague_token) = person_token(&app, colleague).await;
    let (other_subject, other_token) = person_token(&app, other_leader).await;
    let agency = dossier::AgencyCode::parse(&format!("UBND.{}", me.commune_code)).expect("agency");
    for (who, role) in [
        (me_subject, dossier::Role::Leader),
        (spouse_subject, dossier::Role::Officer),
        (colleague_subject, dossier::Role::Officer),
        (other_subject, dossier::Role::Leader),
    ] {
        set_staff(&app, who, &agency, role).await;
    }
    // the leader applies at their own agency
    let code = file_birth(&app, &me_token, me.commune_code).await;

    // every act of the staff is refused to them, and to their spouse the
    // form names as the other parent, with the reason
    let staff_acts = [
        json!({"act": "receive"}),
        json!({"act": "refuse_intake", "reason": "x"}),
        json!({"act": "claim"}),
        json!({"act": "assign", "subject": colleague_subject.to_string()}),
        json!({"act": "start_processing"}),
        json!({"act": "request_supplement", "items": ["x"]}),
        json!({"act": "request_fees", "amount_vnd": 1}),
        json!({"act": "propose", "outcome": "issued", "summary": "x"}),
        json!({"act": "approve"}),
        json!({"act": "send_back", "reason": "x"}),
        json!({"act": "stop", "reason": "x"}),
        json!({"act": "apologise", "reason": "x", "new_due": "2099-01-01T17:00:00+07:00"}),
        json!({"act": "return_result"}),
    ];
    let refuse_all = |token: String, why: &'static str| {
        let app = &app;
        let code = code.clone();
        let acts = staff_acts.clone();
        async move {
            for body in acts {
                let p = act(app, &token, &code, body.clone()).await.problem(403);
                let detail = p["detail"].as_str().unwrap_or_default();
                assert!(detail.contains(why), "{body}: {detail}");
            }
        }
    };
    refuse_all(me_token.clone(), "your own application").await;
    refuse_all(spouse_token.clone(), "is about you").await;
    // the page offers the leader none of them
    let session = app.log_in_on_portal(&me.personal_id).await;
    let page = dossier_page(&app, &session, &code).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.body);
    for staff_act in ["receive", "claim", "assign", "refuse_intake", "stop"] {
        assert!(
            !page.body.contains(&format!("id=\"act-{staff_act}\"")),
            "{staff_act} offered on the leader's own dossier"
        );
    }
    assert!(page.body.contains("id=\"act-withdraw\""), "{}", page.body);

    // a colleague receives it; it is assigned to neither of them
    let received = act(&app, &colleague_token, &code, json!({"act": "receive"})).await;
    assert_eq!(received.status.as_u16(), 200, "{}", received.body);
    for (subject, why) in [
        (me_subject, "its applicant"),
        (spouse_subject, "a person it is about"),
    ] {
        let p = act(
            &app,
            &other_token,
            &code,
            json!({"act": "assign", "subject": subject.to_string()}),
        )
        .await
        .problem(422);
        assert!(p["detail"].as_str().is_some_and(|d| d.contains(why)), "{p}");
    }
    // and processed to the result by the others
    for (token, body) in [
        (
            &other_token,
            json!({"act": "assign", "subject": colleague_subject.to_string()}),
        ),
        (&colleague_token, json!({"act": "start_processing"})),
        (
            &colleague_token,
            json!({"act": "propose", "outcome": "issued", "summary": "Đủ điều kiện"}),
        ),
        (&other_token, json!({"act": "approve"})),
        (&colleague_token, json!({"act": "return_result"})),
    ] {
        let r = act(&app, token, &code, body.clone()).await;
        assert_eq!(r.status.as_u16(), 200, "{body}: {}", r.body);
    }
    // as its applicant, the leader rates it as anyone would
    let rated = act(&app, &me_token, &code, json!({"act": "rate", "score": 5})).await;
    assert_eq!(rated.status.as_u16(), 200, "{}", rated.body);
    let d = rated.json();
    let acts: Vec<(&str, &str)> = d["dossier"]["control"]
        .as_array()
        .expect("form 05")
        .iter()
        .map(|c| {
            (
                c["act"].as_str().unwrap_or(""),
                c["subject"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let me_subject = me_subject.to_string();
    assert!(
        acts.iter()
            .all(|(a, who)| *who != me_subject.as_str() || ["submit", "rate"].contains(a)),
        "{acts:?}"
    );
}

/// The place of filing is chosen by name, the applicant's own commune
/// first; the search narrows a province's communes without diacritics; a
/// commune outside the province chosen for it is refused next to the field,
/// with that province's communes offered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_place_of_filing_is_chosen_by_name_from_the_residence() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (subject, cookie, form) = at_the_birth_form(&app, p).await;
    assert_eq!(form.status.as_u16(), 200, "{}", form.body);
    let units = units::Units::get();
    let commune = units.commune(p.commune_code).expect("the commune");
    let province = units
        .province(&commune.province_code)
        .expect("its province");
    assert!(
        form.body.contains(&format!(
            "<option value=\"{}\" selected>{}</option>",
            commune.code, commune.name
        )),
        "the residence chosen by name"
    );
    assert!(form.body.contains(&format!(
        "<option value=\"{}\" selected>{}</option>",
        province.code, province.name
    )));
    assert!(
        !form.body.contains("pattern=\"[0-9]{5}\""),
        "no code to type"
    );

    // the search, as htmx asks for it
    let found = send(
        app.client
            .get(app.url("/thu-tuc/khai-sinh/noi-nop?tinh=01&tim=hong+ha&place=")),
    )
    .await;
    assert_eq!(found.status.as_u16(), 200);
    assert!(
        found
            .body
            .contains("<option value=\"00097\">Phường Hồng Hà</option>")
    );
    assert!(found.body.matches("<option").count() < 10, "{}", found.body);

    // a commune of Hà Nội with Hồ Chí Minh City chosen as its province
    let csrf = crate::login::hidden(&form.body, "csrf_token");
    let posted = send(
        app.client
            .post(app.url("/thu-tuc/khai-sinh/nop"))
            .header("cookie", &cookie)
            .header("origin", app.url(""))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("tinh", "79"),
                ("place", "00097"),
                ("child_full_name", "Nguyễn Thị Mai"),
            ]),
    )
    .await;
    assert_eq!(posted.status.as_u16(), 422, "{}", posted.body);
    assert!(
        posted
            .body
            .contains("Chọn xã, phường thuộc Thành phố Hồ Chí Minh")
    );
    assert!(
        posted
            .body
            .contains("aria-invalid=\"true\" aria-describedby=\"e-place\"")
    );
    let saigon = units
        .communes_of("79")
        .expect("communes")
        .next()
        .expect("one");
    assert!(
        posted
            .body
            .contains(&format!("<option value=\"{}\">", saigon.code)),
        "Hồ Chí Minh City's communes offered"
    );
    assert!(
        posted.body.contains("value=\"Nguyễn Thị Mai\""),
        "nothing typed is lost"
    );
    assert_eq!(filed_by(&app, subject, p).await, 0, "nothing filed");
}

/// An empty or wrong form is answered with every error at once, in a
/// summary that links each to its field and takes the focus; a date is
/// typed day first; nothing is filed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_of_a_form_is_shown_at_once_next_to_its_field() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (subject, cookie, form) = at_the_birth_form(&app, p).await;
    assert_eq!(form.status.as_u16(), 200);
    assert!(
        form.body.contains("novalidate"),
        "the browser does not stop at the first"
    );
    assert!(form.body.contains("Ngày/tháng/năm, ví dụ 20/02/2026"));
    let csrf = crate::login::hidden(&form.body, "csrf_token");
    let post = |fields: Vec<(&'static str, String)>| {
        let mut body = vec![("csrf_token", csrf.clone())];
        body.extend(fields);
        send(
            app.client
                .post(app.url("/thu-tuc/khai-sinh/nop"))
                .header("cookie", &cookie)
                .header("origin", app.url(""))
                .form(&body),
        )
    };
    // empty: each required field the applicant fills is named, linked
    let empty = post(vec![]).await;
    assert_eq!(empty.status.as_u16(), 422, "{}", empty.body);
    let summary = empty
        .body
        .split("id=\"form-errors\"")
        .nth(1)
        .and_then(|s| s.split("</div>").next())
        .expect("an error summary");
    for field in [
        "place",
        "child_full_name",
        "child_birth_date",
        "child_sex",
        "child_birth_place",
        "child_ethnicity",
        "child_nationality",
    ] {
        assert!(
            summary.contains(&format!("href=\"#f-{field}\"")),
            "{field}: {summary}"
        );
        assert!(
            empty.body.contains(&format!("id=\"e-{field}\"")),
            "{field}: its error next to it"
        );
    }
    assert!(empty.body.contains("data-focus-on-load"));
    assert!(empty.body.contains("<title>Lỗi: "), "the title says so");
    // a date that is no date, with the rest wrong too: all at once
    let wrong = post(vec![
        ("child_birth_date", "31/02/2026".into()),
        ("child_full_name", "Nguyễn Thị Mai".into()),
    ])
    .await;
    assert_eq!(wrong.status.as_u16(), 422);
    assert!(
        wrong
            .body
            .contains("nhập ngày, tháng, năm, ví dụ 20/02/2026")
    );
    assert!(
        wrong.body.contains("href=\"#f-child_sex\""),
        "the other errors too"
    );
    assert!(
        wrong.body.contains("value=\"31/02/2026\""),
        "what was typed is kept"
    );
    assert!(wrong.body.contains("value=\"Nguyễn Thị Mai\""));
    // a date in the future, typed day first, is refused as such
    let future = post(vec![("child_birth_date", "01/01/2099".into())]).await;
    assert_eq!(future.status.as_u16(), 422);
    assert!(
        future.body.contains("value=\"01/01/2099\""),
        "shown day first"
    );
    assert_eq!(filed_by(&app, subject, p).await, 0, "nothing filed");
}

/// `p` logged in on the portal at the birth registration form: their
/// account's subject, the session's cookie and the form.
async fn at_the_birth_form(
    app: &TestApp,
    p: &registry::generate::SyntheticPerson,
) -> (identity::SubjectId, String, Reply) {
    let (subject, _) = person_token(app, p).await;
    let session = app.log_in_on_portal(&p.personal_id).await;
    let cookie = format!("motcua_sid={session}");
    let form = send(
        app.client
            .get(app.url("/thu-tuc/khai-sinh/nop"))
            .header("cookie", &cookie),
    )
    .await;
    (subject, cookie, form)
}

/// How many dossiers `p` (account `subject`) has filed.
async fn filed_by(
    app: &TestApp,
    subject: identity::SubjectId,
    p: &registry::generate::SyntheticPerson,
) -> usize {
    let keys = [subject.to_string(), format!("pin:{}", p.personal_id)];
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    app.store
        .dossiers()
        .dossiers_of_applicant(&keys, 10)
        .await
        .expect("read")
        .len()
}

/// The registry is read for a form once, when it is first opened: opening
/// it again, or seeing it again with its errors, shows no more reads in the
/// person's data tracker, which names the purpose and the form in words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_is_filled_from_the_registry_once_per_draft() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, cookie, form) = at_the_birth_form(&app, p).await;
    assert_eq!(form.status.as_u16(), 200);
    let again = send(
        app.client
            .get(app.url("/thu-tuc/khai-sinh/nop"))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(again.status.as_u16(), 200);
    assert!(
        again.body.contains(&format!("value=\"{}\"", p.full_name)),
        "still filled"
    );
    let csrf = crate::login::hidden(&form.body, "csrf_token");
    let refused = send(
        app.client
            .post(app.url("/thu-tuc/khai-sinh/nop"))
            .header("cookie", &cookie)
            .header("origin", app.url(""))
            .form(&[("csrf_token", csrf.as_str())]),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert!(refused.body.contains(&format!("value=\"{}\"", p.full_name)));
    let operator = app.operator_token().await;
    let tracker = send(
        app.client
            .get(app.url(&web::api::tracker::accesses_path(&p.personal_id)))
            .bearer_auth(&operator),
    )
    .await
    .json();
    let drafts = tracker["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .filter(|a| a["case_ref"] == "draft khai-sinh")
        .count();
    assert_eq!(drafts, 1, "one read for the draft: {tracker}");
    // the person's own tracker page says it in words
    let page = send(
        app.client
            .get(app.url("/du-lieu-cua-toi"))
            .header("cookie", &cookie),
    )
    .await;
    assert!(
        page.body.contains("Tờ khai đang điền: Đăng ký khai sinh"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Điền sẵn tờ khai dịch vụ công bạn đang làm")
    );
    assert!(page.body.contains("Nghị định 45/2020/NĐ-CP"));
    assert!(
        !page.body.contains("dossier-prefill"),
        "no code where words are"
    );
}

/// A child is not born before its parent: the registry's birth date of the
/// parent filing fills the form, and a child's birth date on or before it
/// is refused, naming the field; nothing is filed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_born_before_its_parent_is_refused() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (subject, token) = person_token(&app, p).await;
    let mut form = birth_form(p.commune_code);
    form["child_birth_date"] = json!(p.birth_date);
    let e = post_dossier(
        &app,
        &token,
        &json!({"procedure": "khai-sinh", "form": form}),
    )
    .await
    .problem(422);
    let detail = e["detail"].as_str().expect("a detail");
    assert!(detail.contains("child_birth_date"), "{detail}");
    assert!(detail.contains("must come after"), "{detail}");
    assert_eq!(filed_by(&app, subject, p).await, 0, "nothing filed");
    // a day after the parent's birth is a birth the rules allow
    let born = chrono::NaiveDate::parse_from_str(&p.birth_date, "%Y-%m-%d").expect("a day");
    let mut form = birth_form(p.commune_code);
    // the filers are adults: fifteen years after their birth is in the past
    form["child_birth_date"] = json!((born + chrono::Duration::days(365 * 15)).to_string());
    let filed = post_dossier(
        &app,
        &token,
        &json!({"procedure": "khai-sinh", "form": form}),
    )
    .await;
    assert_eq!(filed.status.as_u16(), 201, "{}", filed.body);
}

/// The workbench names each dossier's applicant, counts the queue's
/// dossiers by status and by appointment, and filters by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workbench_counts_and_filters_its_queue() {
    let app = TestApp::spawn().await;
    let Staffed {
        citizen: p,
        token,
        officer,
        officer_token,
        ..
    } = staffed(&app).await;
    let first = file_birth(&app, &token, p.commune_code).await;
    let second = file_birth(&app, &token, p.commune_code).await;
    let received = act(&app, &officer_token, &second, json!({"act": "receive"})).await;
    assert_eq!(received.status.as_u16(), 200, "{}", received.body);
    let session = format!(
        "motcua_sid={}",
        app.log_in_on_portal(&officer.personal_id).await
    );
    let bench = |path: &'static str| {
        let session = session.clone();
        let app = &app;
        async move {
            send(app.client.get(app.url(path)).header("cookie", session))
                .await
                .body
        }
    };
    let all = bench("/can-bo").await;
    assert!(all.contains(&p.full_name), "the applicant named");
    assert!(all.contains(&first) && all.contains(&second));
    assert!(
        all.contains("href=\"/can-bo?trang-thai=1\">Mới đăng ký <span class=\"count\">1</span>"),
        "{all}"
    );
    assert!(
        all.contains("href=\"/can-bo?trang-thai=2\">Đã tiếp nhận <span class=\"count\">1</span>")
    );
    assert!(
        all.contains(
            "href=\"/can-bo\" aria-current=\"true\">Tất cả <span class=\"count\">2</span>"
        )
    );
    let new_only = bench("/can-bo?trang-thai=1").await;
    assert!(new_only.contains(&first) && !new_only.contains(&second));
    assert!(new_only.contains("href=\"/can-bo?trang-thai=1\" aria-current=\"true\""));
}

/// The result issued is a printable document with the data it states and a
/// QR code; its verification page, public, says it is genuine with the
/// seal printed on it and cannot verify it with any other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_is_printed_with_a_seal_that_anyone_can_verify() {
    let app = TestApp::spawn().await;
    let Staffed {
        citizen: p,
        token,
        officer_token,
        leader_token,
        ..
    } = staffed(&app).await;
    let code = file_birth(&app, &token, p.commune_code).await;
    let session = format!("motcua_sid={}", app.log_in_on_portal(&p.personal_id).await);
    let page = |path: String| {
        let session = session.clone();
        let app = &app;
        async move { send(app.client.get(app.url(&path)).header("cookie", session)).await }
    };
    for early in ["ket-qua", "ket-qua.pdf"] {
        let early = page(format!("/ho-so/{code}/{early}")).await;
        assert_eq!(early.status.as_u16(), 404);
        assert!(early.body.contains("Chưa có kết quả"), "{}", early.body);
    }
    for step in [
        json!({"act": "receive"}),
        json!({"act": "claim"}),
        json!({"act": "start_processing"}),
        json!({"act": "propose", "outcome": "issued", "summary": "Đủ điều kiện"}),
    ] {
        let r = act(&app, &officer_token, &code, step.clone()).await;
        assert_eq!(r.status.as_u16(), 200, "{step}: {}", r.body);
    }
    let approved = act(&app, &leader_token, &code, json!({"act": "approve"})).await;
    assert_eq!(approved.status.as_u16(), 200, "{}", approved.body);
    let returned = act(&app, &officer_token, &code, json!({"act": "return_result"})).await;
    assert_eq!(returned.status.as_u16(), 200, "{}", returned.body);

    let dossier = page(format!("/ho-so/{code}")).await;
    assert!(
        dossier
            .body
            .contains(&format!("href=\"/ho-so/{code}/ket-qua\""))
    );
    let doc = page(format!("/ho-so/{code}/ket-qua")).await;
    assert_eq!(doc.status.as_u16(), 200, "{}", doc.body);
    assert!(doc.body.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"));
    assert!(doc.body.contains("Giấy khai sinh"), "what was issued");
    assert!(doc.body.contains("Nguyễn Thị Mai"), "the child's name");
    assert!(doc.body.contains("20/02/2026"), "the birth date, day first");
    assert!(doc.body.contains("<svg"), "a QR code");
    let url = doc
        .body
        .split("id=\"result-verify\"")
        .next()
        .and_then(|before| before.rsplit("href=\"").next())
        .and_then(|rest| rest.split('"').next())
        .expect("the verification link")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let path = url
        .strip_prefix(&app.base)
        .expect("on this site")
        .to_string();
    assert!(
        path.starts_with(&format!("/xac-minh/{code}?dau=")),
        "{path}"
    );

    // the same result as a PDF to keep, signed for the agency by the
    // leader who approved it; what an independent reader finds in it
    assert!(
        doc.body
            .contains(&format!("href=\"/ho-so/{code}/ket-qua.pdf\""))
    );
    let signer = doc
        .body
        .split("id=\"result-signer\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the signer")
        .to_string();
    assert!(!signer.is_empty());
    for (lang, title) in [("vi", "GIẤY KHAI SINH"), ("en", "BIRTH CERTIFICATE")] {
        let (headers, bytes) = crate::helpers::fetch_pdf(
            &app.client,
            &app.url(&format!("/ho-so/{code}/ket-qua.pdf?lang={lang}")),
            &session,
        )
        .await;
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(header("content-type"), "application/pdf");
        assert_eq!(
            header("content-disposition"),
            format!("attachment; filename=\"ket-qua-{code}.pdf\"")
        );
        assert_eq!(header("cache-control"), "no-store", "kept by no cache");
        let Some(read) = crate::helpers::read_pdf(&bytes).await else {
            continue;
        };
        let text = crate::helpers::pdf_text(&read);
        for wanted in [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            title,
            "Nguyễn Thị Mai",
            "20/02/2026",
            &code,
            &signer,
        ] {
            assert!(
                text.contains(wanted),
                "{wanted:?} is not in the PDF: {text}"
            );
        }
        assert_eq!(read["lang"], lang);
        // its QR code and the address under it lead to the verification
        let links = read["links"].as_array().expect("links");
        assert!(
            !links.is_empty() && links.iter().all(|l| l == &url),
            "{links:?}"
        );
        assert!(
            read["embedded_fonts"]
                .as_array()
                .expect("fonts")
                .iter()
                .any(|f| f.as_str().is_some_and(|f| f.contains("DejaVuSerif"))),
            "the font is not embedded: {read}"
        );
    }
    // nobody else's
    let other = app
        .client
        .get(app.url(&format!("/ho-so/{code}/ket-qua.pdf")))
        .send()
        .await
        .expect("an answer");
    assert_eq!(
        other.url().path(),
        "/dang-nhap",
        "not logged in: to the log-in"
    );
    // a few a minute for each account: then when to come back, in words
    let limit = web::ratelimit::PAPERS_PER_MINUTE as usize;
    let mut made = 2; // the two above
    loop {
        let r = page(format!("/ho-so/{code}/ket-qua.pdf")).await;
        if r.status.as_u16() == 429 {
            assert!(r.header("retry-after").is_some(), "when to come back");
            assert!(r.body.contains("Quá nhiều yêu cầu"), "{}", r.body);
            break;
        }
        assert_eq!(r.status.as_u16(), 200);
        made += 1;
        assert!(made <= limit, "more than {limit} PDFs a minute");
    }
    assert_eq!(made, limit);
    // anyone, logged in or not
    let genuine = app.get(&path).await;
    assert_eq!(genuine.status.as_u16(), 200, "{}", genuine.body);
    assert!(genuine.body.contains("Hợp lệ"), "{}", genuine.body);
    assert!(genuine.body.contains("Nguyễn Thị Mai"));
    // another seal, or none, or another code: not verified, nothing said
    let seal = path.split("dau=").nth(1).expect("a seal");
    let mut forged: Vec<char> = seal.chars().collect();
    forged[3] = if forged[3] == 'A' { 'B' } else { 'A' };
    let forged: String = forged.into_iter().collect();
    // the seal was made when the result was issued, kept with the dossier,
    // by the provider key it names
    let stored = app
        .store
        .dossiers()
        .dossier(&dossier::DossierCode::parse(&code).expect("code"))
        .await
        .expect("read")
        .expect("stored");
    let kept = stored.dossier.seal.expect("sealed when issued");
    let key_id = &app.exchange.provider.key_id;
    assert_eq!(&kept.key_id, key_id);
    let (signature, named) = seal.split_once("&khoa=").expect("the key named");
    assert_eq!(signature, kept.signature);
    assert_eq!(named, key_id.replace('/', "%2F"));
    // a paper printed before seals named their key still verifies
    let unnamed = app.get(&format!("/xac-minh/{code}?dau={signature}")).await;
    assert_eq!(unnamed.status.as_u16(), 200, "{}", unnamed.body);
    let operator_key = &app.exchange.operator.key_id;
    for bad in [
        format!("/xac-minh/{code}?dau={forged}"),
        format!("/xac-minh/{code}"),
        format!("/xac-minh/UBND.00097-260101-0001?dau={seal}"),
        format!("/xac-minh/khong-phai-ma?dau={seal}"),
        // the right signature under another key's name, even a key of
        // this node that does not seal results
        format!("/xac-minh/{code}?dau={signature}&khoa=nope"),
        format!("/xac-minh/{code}?dau={signature}&khoa={operator_key}"),
    ] {
        let r = app.get(&bad).await;
        assert_eq!(r.status.as_u16(), 404, "{bad}");
        assert!(!r.body.contains("Nguyễn Thị Mai"), "{bad}");
    }
}

/// Slips 02, 03 and 04 say what Circular 01/2018's forms say, in their
/// words, with the dossier's facts in place and who signed each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slips_02_to_04_read_as_the_circulars_forms() {
    let app = TestApp::spawn().await;
    let Staffed {
        citizen: p,
        token,
        officer,
        officer_token,
        ..
    } = staffed(&app).await;
    let session = format!("motcua_sid={}", app.log_in_on_portal(&p.personal_id).await);
    let processing = [
        json!({"act": "receive"}),
        json!({"act": "claim"}),
        json!({"act": "start_processing"}),
    ];
    let then = |last: Value| processing.iter().cloned().chain([last]).collect::<Vec<_>>();
    let officer_name = officer.full_name.as_str();
    // each slip: the acts that lead to it, and what it says, in order
    let cases: [(&str, Vec<Value>, Vec<&str>); 3] = [
        // what to complete, and whom to ask
        (
            "02",
            then(json!({"act": "request_supplement", "items": ["Giấy chứng sinh bản chính"]})),
            vec![
                "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:",
                "Giấy chứng sinh bản chính",
                "Ông/Bà liên hệ với Ủy ban nhân dân ",
                "Người hướng dẫn",
                officer_name,
            ],
        ),
        // refused at intake, with the reason
        (
            "03",
            vec![json!({"act": "refuse_intake", "reason": "Không thuộc thẩm quyền"})],
            vec![
                "Sau khi nghiên cứu, đối chiếu với các quy định hiện hành, Ủy ban nhân dân ",
                "từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:",
                "Không thuộc thẩm quyền",
                "Xin thông báo cho Ông/Bà được biết và thực hiện.",
                "Người tiếp nhận hồ sơ",
                officer_name,
            ],
        ),
        // the first appointment, the reason, the apology, the new one
        (
            "04",
            then(json!({"act": "apologise", "reason": "Chờ xác minh",
                        "new_due": "2099-01-02T17:00:00+07:00"})),
            vec![
                "tiếp nhận hồ sơ của Ông/Bà; thời hẹn trả kết quả giải quyết hồ sơ là ",
                "Tuy nhiên đến nay, Ủy ban nhân dân ",
                "chưa trả kết quả giải quyết hồ sơ của Ông/Bà. Lý do: Chờ xác minh",
                "xin lỗi Ông/Bà và sẽ trả kết quả cho Ông/Bà vào 17:00 02/01/2099",
                "Xin trân trọng cảm ơn sự hợp tác của Ông/Bà.",
                "Đại diện cơ quan",
                officer_name,
            ],
        ),
    ];
    for (form, acts, parts) in cases {
        let code = file_birth(&app, &token, p.commune_code).await;
        for step in acts {
            let r = act(&app, &officer_token, &code, step.clone()).await;
            assert_eq!(r.status.as_u16(), 200, "{step}: {}", r.body);
        }
        let r = send(
            app.client
                .get(app.url(&format!("/ho-so/{code}/phieu/{form}")))
                .header("cookie", session.clone()),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{form}: {}", r.body);
        let text = main_text(&r.body);
        let at: Vec<Option<usize>> = parts.iter().map(|part| text.find(part)).collect();
        assert!(
            at.iter().all(Option::is_some),
            "{form}: {parts:?} in {text}"
        );
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{form} in order: {text}"
        );
        if form != "03" {
            continue;
        }
        // a refusal is the result: form 03 as a PDF to keep, saying the same
        let pdf_link = format!("href=\"/ho-so/{code}/ket-qua.pdf\"");
        assert!(r.body.contains(&pdf_link), "{form}: no PDF");
        let (_, bytes) = crate::helpers::fetch_pdf(
            &app.client,
            &app.url(&format!("/ho-so/{code}/ket-qua.pdf")),
            &session,
        )
        .await;
        let Some(read) = crate::helpers::read_pdf(&bytes).await else {
            continue;
        };
        let text = crate::helpers::pdf_text(&read);
        let at: Vec<Option<usize>> = parts.iter().map(|part| text.find(part.trim())).collect();
        assert!(
            at.iter().all(Option::is_some) && at.windows(2).all(|w| w[0] < w[1]),
            "the PDF of {form}: {parts:?} in order in {text}"
        );
        assert!(text.contains("Mẫu số 03"), "{text}");
    }
}

/// A citizen with their token, and an officer and a leader of their
/// commune's People's Committee with theirs.
pub(crate) struct Staffed {
    pub citizen: registry::generate::SyntheticPerson,
    pub token: String,
    pub officer: registry::generate::SyntheticPerson,
    pub officer_token: String,
    pub leader_token: String,
}

/// [`Staffed`] from the generated people: the first of them and the last
/// two.
pub(crate) async fn staffed(app: &TestApp) -> Staffed {
    let everyone = people(app).await;
    let citizen = everyone[0].clone();
    let officer = everyone[everyone.len() - 1].clone();
    let leader = everyone[everyone.len() - 2].clone();
    let (_, token) = person_token(app, &citizen).await;
    let (officer_subject, officer_token) = person_token(app, &officer).await;
    let (leader_subject, leader_token) = person_token(app, &leader).await;
    let agency =
        dossier::AgencyCode::parse(&format!("UBND.{}", citizen.commune_code)).expect("agency");
    set_staff(app, officer_subject, &agency, dossier::Role::Officer).await;
    set_staff(app, leader_subject, &agency, dossier::Role::Leader).await;
    Staffed {
        citizen,
        token,
        officer,
        officer_token,
        leader_token,
    }
}

/// A procedure for young children takes only young children: a birth date
/// that makes the child older than the procedure's ages is refused, named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_age_the_procedure_does_not_take_is_refused() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, token) = person_token(&app, p).await;
    let province = units::Units::get()
        .commune(p.commune_code)
        .map(|c| c.province_code.clone())
        .expect("a province");
    let today = chrono::Utc::now().date_naive();
    let refused = |born: chrono::NaiveDate| {
        let form = json!({"place": province, "child_birth_date": born.to_string()});
        let body = json!({"procedure": "the-bhyt-tre-em-duoi-6-tuoi", "form": form});
        let (app, token) = (&app, &token);
        async move {
            let detail = post_dossier(app, token, &body).await.problem(422)["detail"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            detail.contains("aged at most 5")
        }
    };
    assert!(
        refused(today - chrono::Duration::days(365 * 7)).await,
        "seven"
    );
    assert!(
        !refused(today - chrono::Duration::days(365 * 2)).await,
        "two"
    );
}

//! Filing limits: per account and minute, per account and agency a day,
//! per agency and minute, all checked before the registry is read (a
//! refused filing leaves nothing in the person's data tracker); and an
//! agency's numbers of the day, whose last thousand online filings never
//! take (the counter's and the post's), full at 9,999.

use serde_json::{Value, json};

use crate::dossiers::{birth_form, people, person_token, post_dossier as file, set_staff};
use crate::helpers::{Reply, TestApp, TestOptions};

fn birth(place: &str) -> Value {
    json!({"procedure": "khai-sinh", "form": birth_form(place)})
}

/// The accesses to `pid`'s data the tracker lists.
async fn reads_of(app: &TestApp, operator: &str, pid: &str) -> Vec<Value> {
    let tracker = crate::login::send(
        app.client
            .get(app.url(&web::api::tracker::accesses_path(pid)))
            .bearer_auth(operator),
    )
    .await
    .json();
    tracker["accesses"].as_array().cloned().unwrap_or_default()
}

/// A 429 or 503 problem with a `Retry-After` of at least a second.
fn refused(reply: &Reply, status: u16, why: &str) {
    let p = reply.problem(status);
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains(why)),
        "{why}: {p}"
    );
    let after: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After: {:?}", reply.headers));
    assert!(after >= 1, "{after}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_cannot_flood_an_agency_and_a_refused_filing_reads_nothing() {
    // 3 a minute per account, 2 a day per account and agency, 4 a minute
    // per agency
    let app = TestApp::spawn_with(TestOptions {
        filing: "3/2/4".parse().expect("a quota"),
        ..TestOptions::default()
    })
    .await;
    let everyone = people(&app).await;
    let a = everyone[0].clone();
    let b = everyone
        .iter()
        .find(|p| {
            p.personal_id != a.personal_id
                && p.spouse_id.as_ref() != Some(&a.personal_id)
                && a.spouse_id.as_ref() != Some(&p.personal_id)
        })
        .expect("someone else")
        .clone();
    let (_, token_a) = person_token(&app, &a).await;
    let (_, token_b) = person_token(&app, &b).await;
    let place = a.commune_code;
    for _ in 0..2 {
        let r = file(&app, &token_a, &birth(place)).await;
        assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    }
    // a third dossier there today: refused until tomorrow
    refused(
        &file(&app, &token_a, &birth(place)).await,
        429,
        "today is the most one account may",
    );
    // a fourth filing this minute, anywhere: refused for a while
    refused(
        &file(&app, &token_a, &birth("00004")).await,
        429,
        "in the last minute",
    );
    // another person: the agency's fourth filing this minute is taken,
    // its fifth is not
    let r = file(&app, &token_b, &birth(place)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    refused(
        &file(&app, &token_b, &birth(place)).await,
        429,
        "dossiers online in the last minute",
    );
    // nothing was read for the refused filings: one read of each person
    // per dossier filed
    let operator = app.operator_token().await;
    let reads_a = reads_of(&app, &operator, &a.personal_id).await;
    assert_eq!(reads_a.len(), 2, "{reads_a:?}");
    assert!(
        reads_a.iter().all(|r| r["case_ref"]
            .as_str()
            .is_some_and(|c| c.starts_with("UBND."))),
        "{reads_a:?}"
    );
    assert_eq!(reads_of(&app, &operator, &b.personal_id).await.len(), 1);
}

/// Takes `agency`'s numbers of `day` up to `last` straight in the store
/// (dossiers at its counter).
async fn take_numbers(
    app: &TestApp,
    agency: &dossier::AgencyCode,
    day: chrono::NaiveDate,
    last: u16,
) {
    let catalog = dossier::Catalog::official().expect("catalog");
    let procedure = catalog.get("khai-sinh").expect("procedure");
    let calendar = calendar::WorkingCalendar::official().expect("calendar");
    let at = day
        .and_hms_opt(8, 0, 0)
        .and_then(|t| t.and_local_timezone(calendar::VIETNAM).single())
        .expect("an instant");
    let route = dossier::Route {
        competent: agency.clone(),
        receiving: agency.clone(),
        province: "79".into(),
    };
    let make = |code: dossier::DossierCode| {
        let filing = dossier::Filing {
            procedure: procedure.code.clone(),
            channel: dossier::Channel::InPerson,
            applicant: dossier::Applicant {
                subject: "pin:079090000001".into(),
                name: "Nguyễn Văn An".into(),
                person_id: Some("079090000001".into()),
                email: None,
            },
            route: route.clone(),
            place: "25747".into(),
            form: serde_json::Map::new(),
            prefilled: Vec::new(),
            at,
            by: dossier::Actor {
                subject: "clerk".into(),
                name: "Trần Thị Bình".into(),
                role: dossier::Role::Officer,
                agency: Some(agency.clone()),
                person_id: None,
            },
        };
        dossier::Dossier::file(code, filing, procedure, &calendar)
            .map(|d| (d, None))
            .map_err(|e| store::StoreError::refused(e.to_string()))
    };
    loop {
        let taken = app
            .store
            .dossiers()
            .filing_day(agency, day, "")
            .await
            .expect("read")
            .last_number;
        if taken >= last {
            break;
        }
        let n = usize::from((last - taken).min(500));
        let batch: Vec<store::NewDossier<'_>> = (0..n)
            .map(|_| store::NewDossier {
                agency,
                day,
                at: at.with_timezone(&chrono::Utc),
                make: &make,
            })
            .collect();
        let outcomes = app
            .store
            .dossiers()
            .create_dossiers(&batch, &mut |_| Vec::new())
            .await
            .expect("stored");
        assert!(outcomes.iter().all(Result::is_ok));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_filings_leave_the_counter_its_numbers_and_a_full_day_is_refused_cleanly() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let a = everyone[0].clone();
    let clerk = everyone[everyone.len() - 1].clone();
    let (_, token) = person_token(&app, &a).await;
    let (clerk_subject, clerk_token) = person_token(&app, &clerk).await;
    let place = a.commune_code;
    let agency = dossier::AgencyCode::parse(&format!("UBND.{place}")).expect("agency");
    set_staff(&app, clerk_subject, &agency, dossier::Role::Officer).await;
    let today = chrono::Utc::now()
        .with_timezone(&calendar::VIETNAM)
        .date_naive();
    // the online numbers of the day are all taken
    take_numbers(&app, &agency, today, dossier::LAST_ONLINE_SEQUENCE).await;
    let operator = app.operator_token().await;
    for _ in 0..2 {
        refused(
            &file(&app, &token, &birth(place)).await,
            503,
            "kept for its counter and the post",
        );
    }
    assert!(
        reads_of(&app, &operator, &a.personal_id).await.is_empty(),
        "a filing refused for want of numbers reads nothing"
    );
    // the counter goes on with the numbers kept for it, the next in turn
    let counter = json!({
        "procedure": "khai-sinh", "form": birth_form(place),
        "channel": "in_person", "applicant_pin": a.personal_id
    });
    let r = file(&app, &clerk_token, &counter).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
    let code = r.json()["dossier"]["code"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(code.ends_with("-9000"), "{code}");
    // until the day is full: never a five-digit number
    take_numbers(&app, &agency, today, dossier::MAX_DAILY_SEQUENCE).await;
    refused(
        &file(&app, &clerk_token, &counter).await,
        503,
        "receives dossiers again from the next day",
    );
    let codes = app
        .store
        .dossiers()
        .codes_of_day(&agency, today)
        .await
        .expect("codes");
    assert_eq!(codes.len(), usize::from(dossier::MAX_DAILY_SEQUENCE));
    assert!(
        codes
            .last()
            .is_some_and(|c| c.to_string().ends_with("-9999"))
    );
}

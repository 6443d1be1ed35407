//! What the server takes and how it answers what it does not: dates of
//! past events never after today, no control or direction characters in
//! names and file names, bodies and URIs over the limits, every error a
//! problem, and no answer carrying a person's data kept by a cache.

use serde_json::{Value, json};

use crate::dossiers::{birth_form, file_birth, people, person_token, post_dossier};
use crate::helpers::{Reply, TestApp};

async fn send(req: reqwest::RequestBuilder) -> Reply {
    crate::login::send(req).await
}

fn with_form(place: &str, changes: Value) -> Value {
    let mut form = birth_form(place);
    for (k, v) in changes.as_object().cloned().unwrap_or_default() {
        form[k] = v;
    }
    json!({"procedure": "khai-sinh", "form": form})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_birth_in_the_future_and_hidden_characters_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, token) = person_token(&app, p).await;
    let post = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move { post_dossier(app, &token, &body).await }
    };
    let e = post(with_form(
        p.commune_code,
        json!({"child_birth_date": "2099-01-01"}),
    ))
    .await
    .problem(422);
    let detail = e["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("child_birth_date: Child's date of birth: cannot be later than today"),
        "{detail}"
    );
    for (field, bad) in [
        ("child_full_name", "Nguyễn Thị Mai\u{0}"),
        ("child_full_name", "Nguyễn \u{202E}iaM ịhT"),
        ("child_birth_place", "Bệnh viện\u{2066} Từ Dũ"),
    ] {
        let e = post(with_form(p.commune_code, json!({ field: bad })))
            .await
            .problem(422);
        let detail = e["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(&format!("{field}: ")) && detail.contains("not allowed (U+"),
            "{detail}"
        );
    }
    // today's birth is taken
    let today = chrono::Utc::now()
        .with_timezone(&calendar::VIETNAM)
        .date_naive()
        .to_string();
    let ok = post(with_form(
        p.commune_code,
        json!({"child_birth_date": today}),
    ))
    .await;
    assert_eq!(ok.status.as_u16(), 201, "{}", ok.body);

    // a file's name is checked too
    let code = ok.json()["dossier"]["code"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
    for name in ["to-khai%E2%80%AEfdp.exe", "to-khai%00.pdf"] {
        let e = send(
            app.client
                .put(app.url(&format!(
                    "/api/v1/dossiers/{code}/attachments/to-khai?name={name}"
                )))
                .bearer_auth(&token)
                .header("content-type", "application/pdf")
                .body(pdf.clone()),
        )
        .await
        .problem(422);
        let detail = e["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with("name: the file name contains a character that is not allowed"),
            "{detail}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_413_and_every_error_is_a_problem() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, token) = person_token(&app, p).await;
    // a JSON body of 3 MiB, to a dossier's endpoints
    let big = json!({"procedure": "khai-sinh", "form": {"x": "a".repeat(3 * 1024 * 1024)}});
    for path in [
        "/api/v1/dossiers",
        "/api/v1/dossiers/UBND.25747-260101-0001/acts",
    ] {
        // the server answers before reading the whole body, and closes the
        // connection: one client each
        let client = reqwest::Client::new();
        let r = send(client.post(app.url(path)).bearer_auth(&token).json(&big)).await;
        let e = r.problem(413);
        assert!(
            e["detail"].as_str().is_some_and(|d| d.contains("2 MiB")),
            "{e}"
        );
    }
    // JSON that is not an object of the documented shape
    for body in ["[[]]", "[]", "\"addresses\"", "null"] {
        send(
            app.client
                .post(app.url("/api/v1/units/convert"))
                .header("content-type", "application/json")
                .body(body),
        )
        .await
        .problem(422);
    }
    let ok = app
        .post_json("/api/v1/units/convert", &json!({"addresses": []}))
        .await;
    assert_eq!(ok.status.as_u16(), 200, "{}", ok.body);
    // a malformed query parameter, checked before the token
    app.get("/api/v1/agencies/UBND.25747/dossiers?open=maybe")
        .await
        .problem(400);
    // a path out of the static files
    app.get("/static/..%2f..%2fetc%2fpasswd").await.problem(404);
    app.get("/static/nothing.css").await.problem(404);
    // a URI longer than the application reads
    let long = format!("/api/v1/units/search?q={}", "x".repeat(10_000));
    let e = app.get(&long).await.problem(414);
    assert!(
        e["instance"].as_str().is_some_and(|i| i.len() < 400),
        "the instance is not the whole URI: {e}"
    );
    // past 64 KiB the HTTP server answers before the application can:
    // 414 still, without a body (sent raw: clients refuse to make such a
    // URI)
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connected");
    let request = format!(
        "GET /api/v1/units/search?q={} HTTP/1.1\r\nhost: {}\r\n\r\n",
        "x".repeat(70_000),
        app.addr
    );
    tcp.write_all(request.as_bytes()).await.expect("sent");
    let mut head = vec![0; 64];
    let n = tcp.read(&mut head).await.expect("answered");
    let head = String::from_utf8_lossy(&head[..n]);
    assert!(head.starts_with("HTTP/1.1 414"), "{head}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carrying_a_persons_data_are_never_stored() {
    let app = TestApp::spawn().await;
    let everyone = people(&app).await;
    let p = &everyone[0];
    let (_, token) = person_token(&app, p).await;
    let code = file_birth(&app, &token, p.commune_code).await;
    let pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n".to_vec();
    let put = send(
        app.client
            .put(app.url(&format!(
                "/api/v1/dossiers/{code}/attachments/to-khai?name=to-khai.pdf"
            )))
            .bearer_auth(&token)
            .header("content-type", "application/pdf")
            .body(pdf),
    )
    .await;
    assert_eq!(put.status.as_u16(), 200, "{}", put.body);
    let operator = app.operator_token().await;
    let with_token =
        |path: String, token: &str| send(app.client.get(app.url(&path)).bearer_auth(token));
    for (path, who) in [
        (format!("/api/v1/dossiers/{code}"), &token),
        ("/api/v1/dossiers".to_string(), &token),
        (format!("/api/v1/dossiers/{code}/attachments"), &token),
        (
            format!("/api/v1/dossiers/{code}/attachments/to-khai"),
            &token,
        ),
        (web::api::tracker::accesses_path(&p.personal_id), &operator),
    ] {
        let r = with_token(path.clone(), who).await;
        assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.body);
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    // and the portal's pages of a person logged in
    let session = app.log_in_on_portal(&p.personal_id).await;
    for path in [
        format!("/ho-so/{code}"),
        "/ho-so".to_string(),
        "/du-lieu-cua-toi".to_string(),
    ] {
        let r = send(
            app.client
                .get(app.url(&path))
                .header("cookie", format!("motcua_sid={session}")),
        )
        .await;
        assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.body);
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    // what is the same for everyone is still cached
    let css = send(
        app.client
            .get(app.url("/static/app.css"))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await;
    assert!(
        css.header("cache-control")
            .is_some_and(|c| c.contains("max-age")),
        "{:?}",
        css.headers
    );
}

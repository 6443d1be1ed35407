//! The API against its own description: schemathesis (from PyPI, in the
//! Python `scripts/test` prepares) reads `/api/v1/openapi.json` and sends
//! requests the description allows and requests it does not, as a person
//! with a token, an officer of an agency and an operator's system, and
//! checks every answer: no server error, only documented status codes,
//! content types, headers and bodies, what the description allows taken,
//! what it does not refused.

use crate::dossiers::{file_birth, people, person_token, set_staff};
use crate::helpers::TestApp;

/// Test cases per operation and phase: enough to cross every documented
/// status, few enough for a couple of minutes on two cores.
const MAX_EXAMPLES: &str = "50";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_nothing_against_the_api_description() {
    let Some(python) = crate::oidc::python() else {
        return;
    };
    let app = TestApp::spawn().await;
    // demo-like: a population, a citizen with a dossier, an officer of the
    // citizen's commune
    let everyone = people(&app).await;
    let citizen = everyone[0].clone();
    let officer = everyone[everyone.len() - 1].clone();
    let (_, person) = person_token(&app, &citizen).await;
    let (officer_subject, officer_token) = person_token(&app, &officer).await;
    let agency =
        dossier::AgencyCode::parse(&format!("UBND.{}", citizen.commune_code)).expect("agency");
    set_staff(&app, officer_subject, &agency, dossier::Role::Officer).await;
    let code = file_birth(&app, &person, citizen.commune_code).await;
    let operator = app.operator_token().await;

    let dir = tempfile::tempdir().expect("a directory");
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            r#"
# a person's token by default
headers = {{ Authorization = "Bearer {person}" }}

# an officer reads the agency's queue
[[operations]]
include-path = "/api/v1/agencies/{{agency}}/dossiers"
headers = {{ Authorization = "Bearer {officer_token}" }}
parameters = {{ "path.agency" = "{agency}" }}

# an operator's system reads the data tracker, records consents,
# administers clients and back offices, and watches the upstream
[[operations]]
include-path-regex = "^/api/v1/(registry/people|oidc/clients|back-offices|upstream)"
headers = {{ Authorization = "Bearer {operator}" }}
# (the clients the run needs stay: only a client of its own is removed)
parameters = {{ "path.pid" = "{pid}", "path.client_id" = "schemathesis-only", "path.id" = "schemathesis-only" }}

# the dossier filed, and its files
[[operations]]
include-path-regex = "^/api/v1/dossiers/[{{]code[}}]"
parameters = {{ "path.code" = "{code}" }}

# Where what a request may say depends on more than each value's shape,
# a request the description allows may still be refused, with the reason:
# - a dossier's form is its procedure's (`/api/v1/procedures/{{code}}`),
#   checked with the procedure's rules (a commune in force, no date of a
#   birth after today), and an agency's numbers of the day run out;
[[operations]]
include-name = "POST /api/v1/dossiers"
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 422, 429, 503]

# - whether an act is lawful depends on the dossier's status and who acts;
#   a file's type is read from its content, and the procedure says which
#   documents the applicant provides;
[[operations]]
include-name = ["POST /api/v1/dossiers/{{code}}/acts", "PUT /api/v1/dossiers/{{code}}/attachments/{{document}}"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 401, 403, 404, 409, 422, 429]

# - a period runs forwards (and the scorecard's ten years at most), each
#   bound a day or an instant;
[[operations]]
include-name = ["GET /api/v1/scorecard", "GET /api/v1/registry/people/{{pid}}/accesses"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404]

# - a consent names a member of the exchange and one of its purposes, from
#   the node's configuration; a client's registration is read whole (its
#   grant types, redirect addresses and authentication method agree)
[[operations]]
include-name = ["POST /api/v1/registry/people/{{pid}}/consents", "DELETE /api/v1/registry/people/{{pid}}/consents", "POST /api/v1/oidc/clients"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 400, 401, 403, 404, 409]

# - a back office's configuration is checked whole (its id's shape, a
#   province that exists, units no other back office has, an endpoint for
#   push), and one changed or disconnected must be connected
[[operations]]
include-name = ["POST /api/v1/back-offices", "PUT /api/v1/back-offices/{{id}}"]
checks.positive_data_acceptance.expected-statuses = ["2xx", 404, 409, 422]

# the exchange's endpoints take only requests signed (RFC 9421) with a
# member's key, over the exact bytes sent; a generated request cannot be
# signed, so each would only ever meet the signature check
[[operations]]
include-path-regex = "^/api/v1/exchange/"
enabled = false
"#,
            pid = citizen.personal_id,
        ),
    )
    .expect("the configuration");
    let script =
        "import sys\nfrom schemathesis.cli import schemathesis\nsys.exit(schemathesis())\n";
    let args: Vec<String> = [
        "-c",
        script,
        "--no-color",
        "--config-file",
        config.to_str().unwrap_or_default(),
        "run",
        &app.url(web::api::OPENAPI_PATH),
        "--checks",
        "all",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        "20260701",
        "--workers",
        "1",
        "--request-timeout",
        "30",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let run = python.clone();
    // the server answers on this runtime while schemathesis runs
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(run)
            .args(args)
            .current_dir(dir.path())
            .output()
    })
    .await
    .expect("the run's thread")
    .unwrap_or_else(|e| {
        panic!(
            "cannot run {} ({e}): run scripts/test, which prepares it, point MOTCUA_TEST_PYTHON \
             at a python with schemathesis, or set MOTCUA_TEST_SKIP_PYTHON=1",
            python.display()
        )
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found failures (exit {:?}):\n{stdout}\n{stderr}",
        out.status.code()
    );
}

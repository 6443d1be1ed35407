//! The problem answers (RFC 9457 `application/problem+json`) each
//! operation documents, named in one table: for each operation, its status
//! codes and what each means for it. [`Problems`] adds them to the OpenAPI
//! description, beside the answers the operations' own `responses` name.

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::Ref;
use utoipa::openapi::{ContentBuilder, OpenApi, Response, ResponseBuilder};

/// A status code and what it means for the operation.
pub type ProblemDoc = (u16, &'static str);

/// No access token, or one that is not valid.
const NO_TOKEN: &str = "No valid access token";
/// A body larger than the API takes.
const TOO_LARGE: &str = "A body over 2 MiB";
/// A body of another type than JSON.
const NOT_JSON_TYPE: &str = "The body is not `application/json`";
/// A body that does not parse as JSON.
const NOT_JSON: &str = "The body is not JSON";
/// A dossier code that names none.
const NO_DOSSIER: &str = "No such dossier";

/// A commune code of another length than five digits.
const NOT_FIVE_DIGITS: &str = "The code is not 5 digits";
/// A token without the `admin` scope.
const NOT_ADMIN: &str = "Not an administration token";
/// A procedure code that names none.
const NO_PROCEDURE: &str = "No such procedure";
/// A back office id that names none connected.
const NO_OFFICE: &str = "No back office is connected with this id";
/// A dossier that is neither the caller's nor their agencies'.
const NOT_THEIRS: &str = "Not this person's dossier";

/// How the consent endpoints refuse a change.
const CONSENT: &[ProblemDoc] = &[
    (
        400,
        "Malformed: not JSON, a personal id, a member or a purpose",
    ),
    (401, "Neither the person's session nor an operator's token"),
    (
        403,
        "Another person's consent, or a token that is not an operator's",
    ),
    (404, "No such person"),
    (413, TOO_LARGE),
    (415, NOT_JSON_TYPE),
    (422, "JSON that is not a consent's shape"),
];

/// The problem answers of each operation, by its operation id (the
/// handler's name).
pub const REFUSALS: &[(&str, &[ProblemDoc])] = &[
    // GET /api/v1/units/provinces/{code}/communes
    (
        "province_communes",
        &[(400, "The code is not 2 digits"), (404, "No such province")],
    ),
    // GET /api/v1/units/communes/{code}
    (
        "commune",
        &[(400, NOT_FIVE_DIGITS), (404, "No such 2025 commune")],
    ),
    // GET /api/v1/units/legacy/communes/{code}/successors
    (
        "legacy_successors",
        &[(400, NOT_FIVE_DIGITS), (404, "No such legacy commune")],
    ),
    // GET /api/v1/units/search
    (
        "search",
        &[(
            400,
            "`q` is missing, empty or too long, or `limit` is not a number",
        )],
    ),
    // POST /api/v1/units/convert
    (
        "convert",
        &[
            (400, "The body is not valid JSON"),
            (413, "More than 10,000 addresses, or a body over 2 MiB"),
            (415, NOT_JSON_TYPE),
            (
                422,
                "The JSON does not have the expected shape, or an address is too long",
            ),
        ],
    ),
    // POST /api/v1/exchange/{provider}/{service}
    (
        "call",
        &[
            (400, "Malformed request"),
            (401, "Unsigned or bad signature"),
            (
                403,
                "Refused: no right, wrong purpose, field not granted, no consent …",
            ),
            (404, "No such person or household"),
        ],
    ),
    // POST /api/v1/registry/people/{pid}/consents
    ("give_consent", CONSENT),
    // DELETE /api/v1/registry/people/{pid}/consents
    ("withdraw_consent", CONSENT),
    // GET /api/v1/registry/people/{pid}/accesses
    (
        "accesses",
        &[
            (
                400,
                "The personal id number, the period or the format is malformed",
            ),
            (401, "Neither the person's session nor an operator's token"),
            (
                403,
                "Another person's records, or a token that is not an operator's",
            ),
            (503, "The message log cannot be read"),
        ],
    ),
    // GET /api/v1/oidc/clients
    ("list", &[(401, NO_TOKEN), (403, NOT_ADMIN)]),
    // POST /api/v1/oidc/clients
    (
        "create",
        &[
            (400, "Not JSON, or not a usable registration"),
            (401, NO_TOKEN),
            (403, NOT_ADMIN),
            (409, "Registered already (give replace)"),
            (413, TOO_LARGE),
            (415, NOT_JSON_TYPE),
            (422, "JSON that is not a registration's shape"),
        ],
    ),
    // DELETE /api/v1/oidc/clients/{client_id}
    (
        "remove",
        &[
            (400, "Not a client id"),
            (401, NO_TOKEN),
            (403, NOT_ADMIN),
            (404, "No such client"),
            (422, "The administration system's own registration"),
        ],
    ),
    // GET /api/v1/procedures/{code}
    ("procedure", &[(404, NO_PROCEDURE)]),
    // POST /api/v1/dossiers
    (
        "file",
        &[
            (400, NOT_JSON),
            (401, NO_TOKEN),
            (
                403,
                "An officer registering for an agency they do not work for, or a dossier of their own",
            ),
            (404, NO_PROCEDURE),
            (413, TOO_LARGE),
            (415, NOT_JSON_TYPE),
            (
                422,
                "The form has errors, each field named (its procedure's form: see `/api/v1/procedures/{code}`), or the place or channel is not one the procedure takes",
            ),
        ],
    ),
    // GET /api/v1/dossiers/{code}
    (
        "get_dossier",
        &[
            (401, "A token that is not valid"),
            (
                403,
                "A token of someone who is neither the applicant nor its agencies' staff",
            ),
            (404, NO_DOSSIER),
        ],
    ),
    // POST /api/v1/dossiers/{code}/acts
    (
        "act",
        &[
            (400, NOT_JSON),
            (401, NO_TOKEN),
            (
                403,
                "Not this person's to do: the act is the applicant's or the staff's, or the dossier is the officer's own",
            ),
            (404, NO_DOSSIER),
            (409, "The dossier changed since the version named"),
            (413, TOO_LARGE),
            (415, NOT_JSON_TYPE),
            (422, "Not an act, or not lawful now (the reason given)"),
        ],
    ),
    // GET /api/v1/dossiers
    ("mine", &[(401, NO_TOKEN)]),
    // GET /api/v1/dossiers/reported
    (
        "reported_mine",
        &[
            (401, NO_TOKEN),
            (403, "The token lacks the `dossiers` scope"),
        ],
    ),
    // GET /api/v1/agencies/{agency}/dossiers
    (
        "queue",
        &[
            (400, "`open` is not `true` or `false`"),
            (401, NO_TOKEN),
            (403, "Not one of the agency's staff"),
            (404, "Not an agency's code"),
        ],
    ),
    // PUT /api/v1/dossiers/{code}/attachments/{document}
    (
        "attach",
        &[
            (400, "No `name`, or a body that cannot be read"),
            (401, NO_TOKEN),
            (
                403,
                "Not this person's dossier, or a token without the scope of their role on it (`dossiers` as its applicant, `workbench` as its agencies' staff)",
            ),
            (404, NO_DOSSIER),
            (413, "Larger than 10 MiB"),
            (
                422,
                "Not a document to provide, not an accepted type, a name with characters not allowed, or not open to files now",
            ),
        ],
    ),
    // GET /api/v1/dossiers/{code}/attachments
    (
        "attachments",
        &[(401, NO_TOKEN), (403, NOT_THEIRS), (404, NO_DOSSIER)],
    ),
    // GET /api/v1/dossiers/{code}/attachments/{document}
    (
        "attachment",
        &[
            (401, NO_TOKEN),
            (403, NOT_THEIRS),
            (404, "No such dossier, or no file for that document"),
        ],
    ),
    // POST /api/v1/integration/login
    (
        "integration_login",
        &[
            (400, NOT_JSON),
            (401, "The id or the password is wrong (`error_code` 02)"),
            (413, TOO_LARGE),
            (415, NOT_JSON_TYPE),
            (422, "JSON that is not a log-in's shape (`error_code` 01)"),
            (
                429,
                "Too many log-ins from the address or for the back office (`error_code` 04)",
            ),
        ],
    ),
    // POST /api/v1/integration
    (
        "integration_call",
        &[
            (400, NOT_JSON),
            (401, "No session, or an expired one (`error_code` 02)"),
            (403, "Not a unit of this back office (`error_code` 03)"),
            (
                409,
                "A dossier changed under a packet: send it again (`error_code` 06)",
            ),
            (
                413,
                "More than 100 packets, or a body over 2 MiB (`error_code` 01)",
            ),
            (415, NOT_JSON_TYPE),
            (
                422,
                "The call, or some of its packets, refused: `result` says which and why \
                 (`error_code` 01 unreadable, 05 unlawful or another back office's)",
            ),
            (429, "Too many calls from the back office (`error_code` 04)"),
        ],
    ),
    // POST /api/v1/integration/deliveries
    (
        "integration_deliveries",
        &[
            (400, "The push cannot be read (`error_code` 01)"),
            (401, "Not signed by the upstream portal (`error_code` 02)"),
            (404, "This node takes no pushed dossiers (`error_code` 01)"),
        ],
    ),
    // POST /api/v1/integration/signed
    (
        "integration_signed",
        &[
            (400, "The body is not an adapter call (`error_code` 01)"),
            (
                401,
                "Not signed, or not by a member of the exchange, or changed since (`error_code` 02)",
            ),
            (
                403,
                "The member speaks for no connected back office, or the unit is not its (`error_code` 03)",
            ),
            (
                409,
                "A dossier changed under a packet: send it again (`error_code` 06)",
            ),
            (
                413,
                "More than 100 packets, or a body over 2 MiB (`error_code` 01)",
            ),
            (
                422,
                "The call, or some of its packets, refused: `result` says which and why \
                 (`error_code` 01 unreadable, 05 unlawful or another back office's)",
            ),
            (429, "Too many calls from the back office (`error_code` 04)"),
            (
                503,
                "The call cannot be kept in the message log now: send it again (`error_code` 99)",
            ),
        ],
    ),
    // GET /api/v1/back-offices
    ("list_offices", &[(401, NO_TOKEN), (403, NOT_ADMIN)]),
    // POST /api/v1/back-offices
    (
        "connect_office",
        &[
            (400, NOT_JSON),
            (401, NO_TOKEN),
            (403, NOT_ADMIN),
            (
                409,
                "A back office with this id, or another with one of these units",
            ),
            (413, TOO_LARGE),
            (415, NOT_JSON_TYPE),
            (
                422,
                "The configuration has problems: each by field in `problems`",
            ),
        ],
    ),
    // PUT /api/v1/back-offices/{id}
    (
        "change_office",
        &[
            (400, NOT_JSON),
            (401, NO_TOKEN),
            (403, NOT_ADMIN),
            (404, NO_OFFICE),
            (409, "Another back office has one of these units"),
            (413, TOO_LARGE),
            (415, NOT_JSON_TYPE),
            (
                422,
                "The configuration has problems: each by field in `problems`",
            ),
        ],
    ),
    // DELETE /api/v1/back-offices/{id}
    (
        "disconnect_office",
        &[(401, NO_TOKEN), (403, NOT_ADMIN), (404, NO_OFFICE)],
    ),
    // POST /api/v1/back-offices/{id}/password
    (
        "renew_office_password",
        &[(401, NO_TOKEN), (403, NOT_ADMIN), (404, NO_OFFICE)],
    ),
    // POST /api/v1/back-offices/{id}/retry
    (
        "retry_office",
        &[(401, NO_TOKEN), (403, NOT_ADMIN), (404, NO_OFFICE)],
    ),
    // GET /api/v1/back-offices/{id}/deliveries
    (
        "office_deliveries",
        &[(401, NO_TOKEN), (403, NOT_ADMIN), (404, NO_OFFICE)],
    ),
    // GET /api/v1/back-offices/{id}/changes
    (
        "office_changes",
        &[
            (401, NO_TOKEN),
            (403, NOT_ADMIN),
            (404, "No back office ever had this id"),
        ],
    ),
    // GET /api/v1/upstream
    ("upstream_status", &[(401, NO_TOKEN), (403, NOT_ADMIN)]),
    // POST /api/v1/upstream/retry
    ("retry_upstream", &[(401, NO_TOKEN), (403, NOT_ADMIN)]),
    // GET /api/v1/scorecard
    (
        "scorecard",
        &[
            (
                400,
                "Bad dates, a period that does not run forwards or is longer than ten years, or a province code that is not two digits",
            ),
            (404, "No province in force has that code"),
        ],
    ),
];

/// Adds each operation's problem answers (see [`REFUSALS`]) to the
/// description.
pub struct Problems;

impl utoipa::Modify for Problems {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                add_problems(operation);
            }
        }
    }
}

/// Adds the problem answers [`REFUSALS`] names for `operation`.
fn add_problems(operation: &mut Operation) {
    let Some(id) = operation.operation_id.as_deref() else {
        return;
    };
    let Some((_, problems)) = REFUSALS.iter().find(|(op, _)| *op == id) else {
        return;
    };
    for &(status, description) in *problems {
        operation
            .responses
            .responses
            .insert(status.to_string(), problem(description).into());
    }
}

/// One problem answer: `description`, with a `Problem` body.
fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

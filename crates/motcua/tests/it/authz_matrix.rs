//! The authorisation matrix: what each kind of caller may do with every
//! operation of the API (the OpenAPI document's list: an operation without
//! a line here, or a line naming no documented operation, fails) and with
//! every page whose answer depends on who is looking — stated as tables,
//! one line per route or act and one column per caller, and proven against
//! a running server with real tokens and sessions.
//!
//! The callers (columns):
//!
//! | column | who |
//! | --- | --- |
//! | nobody | no token, no session |
//! | A | the citizen whose dossiers these are (the portal's token: `dossiers` and `workbench`) |
//! | A·wb | A's token of the portal with the `workbench` scope only |
//! | B | another citizen |
//! | 3rd | A's token of a third party's service (registered without trust; A agreed to show it who they are) |
//! | off | an officer of the competent agency, `UBND.<A's commune>` |
//! | off·ds | that officer's token with the `dossiers` scope only |
//! | other | staff of two other agencies of the same province: an officer of one, a leader of the other |
//! | lead | a leader of the competent agency |
//! | oper | an operator's system (`client_credentials`, `admin`) |
//!
//! The pages are asked by the same people through a portal session (level
//! 2, so that the organisations page is open to them). The third party and
//! the operator have no session — their tokens open no page — and a
//! session has no scopes, so the page tables have six columns.
//!
//! A cell (`Expect`): `OK` allowed (2xx; a page's 303 goes to a path of
//! this site); `SEE` allowed, and A's data is in the answer; `NONE`
//! allowed, and nothing of A's is in it; `AUTH` refused for want of
//! credentials (401; a page: 303 to the log-in page, coming back); `NO`
//! refused for who they are (403), nothing of A's in the answer; `NOT`
//! refused for who they are (403) where the caller may see the dossier (a
//! page then shows it with the reason). A's data: their name, their
//! personal identification number, the child named in their
//! birth registrations, their organisation, and the codes of their dossiers
//! (each unless the request itself names it).
//!
//! Acts get a dossier in the state where the act is lawful: the refusals of
//! a line share one, which must be unchanged afterwards; each allowed cell
//! gets its own, which the act must have changed.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, FixedOffset, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::dossiers::{birth_form, married_couple, people, set_staff};
use crate::helpers::{Reply, TEST_PASSWORD, TestApp, TestOptions, new_account};
use crate::login::{
    REDIRECT, authorize_query, cookie_value, no_redirects, portal, register, send, session_csrf,
    tokens_of,
};

/// What a cell says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    Sees,
    Nothing,
    LogIn,
    Refused,
    NotTheirs,
}

const OK: Expect = Expect::Allowed;
const SEE: Expect = Expect::Sees;
const NONE: Expect = Expect::Nothing;
const AUTH: Expect = Expect::LogIn;
const NO: Expect = Expect::Refused;
const NOT: Expect = Expect::NotTheirs;

impl Expect {
    fn allows(self) -> bool {
        matches!(self, OK | SEE | NONE)
    }
}

/// Who calls (the columns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Nobody,
    A,
    AWorkbench,
    B,
    ThirdParty,
    Officer,
    OfficerDossiers,
    Other,
    Leader,
    Operator,
}

/// The API's columns.
const API_CALLERS: [Who; 10] = [
    Who::Nobody,
    Who::A,
    Who::AWorkbench,
    Who::B,
    Who::ThirdParty,
    Who::Officer,
    Who::OfficerDossiers,
    Who::Other,
    Who::Leader,
    Who::Operator,
];

/// The pages' columns.
const PAGE_CALLERS: [Who; 6] = [
    Who::Nobody,
    Who::A,
    Who::B,
    Who::Officer,
    Who::Other,
    Who::Leader,
];

/// Every operation of the API but the acts (below). `{code}` is a dossier
/// of A's, newly registered, with a file; `{pid}` is A's number; `{agency}`
/// the competent agency. Filing online files a dossier of the caller's
/// own; at the counter, one for A.
#[rustfmt::skip]
const API: &[(&str, [Expect; 10])] = &[
//   operation                                                   nobody A    A·wb  B     3rd   off   off·ds other lead  oper
    ("GET /api/v1/units/provinces",                               [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    ("GET /api/v1/units/provinces/{code}/communes",               [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    ("GET /api/v1/units/communes/{code}",                         [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    ("GET /api/v1/units/search",                                  [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    ("GET /api/v1/units/legacy/communes/{code}/successors",       [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    ("POST /api/v1/units/convert",                                [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    // signed by an exchange member, never opened by a token
    ("POST /api/v1/exchange/{provider}/{service}",                [AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH]),
    // a person's own records: their portal session (see PAGES) or an operator
    ("POST /api/v1/registry/people/{pid}/consents",               [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("DELETE /api/v1/registry/people/{pid}/consents",             [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("GET /api/v1/registry/people/{pid}/accesses",                [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   SEE]),
    ("GET /api/v1/oidc/clients",                                  [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("POST /api/v1/oidc/clients",                                 [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("DELETE /api/v1/oidc/clients/{client_id}",                   [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("GET /api/v1/procedures",                                    [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    ("GET /api/v1/procedures/{code}",                             [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    ("POST /api/v1/dossiers (online, their own)",                 [AUTH, OK,   NO,   OK,   NO,   OK,   OK,   OK,   OK,   NO]),
    ("POST /api/v1/dossiers (at the counter, for A)",             [AUTH, NO,   NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("GET /api/v1/dossiers",                                      [AUTH, SEE,  NO,   NONE, NO,   NONE, NONE, NONE, NONE, NO]),
    // nothing reported by a province in this matrix: each sees no one's
    ("GET /api/v1/dossiers/reported",                             [AUTH, NONE, NO,   NONE, NO,   NONE, NONE, NONE, NONE, NO]),
    ("GET /api/v1/dossiers/{code}",                               [NONE, SEE,  NO,   NO,   NO,   SEE,  NO,   NO,   SEE,  NO]),
    ("GET /api/v1/agencies/{agency}/dossiers",                    [AUTH, NO,   NO,   NO,   NO,   SEE,  NO,   NO,   SEE,  NO]),
    ("PUT /api/v1/dossiers/{code}/attachments/{document}",        [AUTH, OK,   NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("GET /api/v1/dossiers/{code}/attachments",                   [AUTH, OK,   NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("GET /api/v1/dossiers/{code}/attachments/{document}",        [AUTH, OK,   NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("GET /api/v1/scorecard",                                     [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    // a back office's own credentials in the body, never a token
    // (adapter.rs proves the back offices' own answers)
    ("POST /api/v1/integration/login",                            [AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH]),
    ("POST /api/v1/integration",                                  [AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH]),
    // signed by an exchange member, never a token
    ("POST /api/v1/integration/signed",                           [AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH]),
    // signed by the upstream portal, never a token
    ("POST /api/v1/integration/deliveries",                       [AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH, AUTH]),
    ("GET /api/v1/back-offices",                                  [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("POST /api/v1/back-offices",                                 [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("PUT /api/v1/back-offices/{id}",                             [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("DELETE /api/v1/back-offices/{id}",                          [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("POST /api/v1/back-offices/{id}/password",                   [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("GET /api/v1/back-offices/{id}/changes",                     [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("POST /api/v1/back-offices/{id}/retry",                      [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("GET /api/v1/back-offices/{id}/deliveries",                  [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("GET /api/v1/upstream",                                      [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("POST /api/v1/upstream/retry",                               [AUTH, NO,   NO,   NO,   NO,   NO,   NO,   NO,   NO,   OK]),
    ("GET /healthz",                                              [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
    ("GET /readyz",                                               [OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK,   OK]),
];

/// The operation every line of [`ACTS`] is, through the API.
const ACTS_OPERATION: &str = "POST /api/v1/dossiers/{code}/acts";

/// The acts on a dossier of A's (`POST /api/v1/dossiers/{code}/acts`, and
/// the dossier page's act forms, `POST /ho-so/{code}`, in the page
/// columns), each on a dossier where it is lawful: `propose` on one the
/// officer claimed, `approve` and `send_back` on one with a proposal,
/// `assign` to the officer.
#[rustfmt::skip]
const ACTS: &[(&str, [Expect; 10])] = &[
//   act                   nobody A    A·wb  B     3rd   off   off·ds other lead  oper
    ("receive",            [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("refuse_intake",      [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("claim",              [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("assign",             [AUTH, NOT,  NO,   NO,   NO,   NOT,  NO,   NO,   OK,   NO]),
    ("start_processing",   [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("request_supplement", [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("request_fees",       [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("apologise",          [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("propose",            [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("approve",            [AUTH, NOT,  NO,   NO,   NO,   NOT,  NO,   NO,   OK,   NO]),
    ("send_back",          [AUTH, NOT,  NO,   NO,   NO,   NOT,  NO,   NO,   OK,   NO]),
    ("stop",               [AUTH, NOT,  NO,   NO,   NO,   NOT,  NO,   NO,   OK,   NO]),
    ("return_result",      [AUTH, NOT,  NO,   NO,   NO,   OK,   NO,   NO,   OK,   NO]),
    ("supplement",         [AUTH, OK,   NO,   NO,   NO,   NOT,  NO,   NO,   NOT,  NO]),
    ("pay_fees",           [AUTH, OK,   NO,   NO,   NO,   NOT,  NO,   NO,   NOT,  NO]),
    ("withdraw",           [AUTH, OK,   NO,   NO,   NO,   NOT,  NO,   NO,   NOT,  NO]),
    ("rate",               [AUTH, OK,   NO,   NO,   NO,   NOT,  NO,   NO,   NOT,  NO]),
];

/// Nobody decides their own case: the leader of the competent agency on a
/// dossier they applied for, and on one whose form names them (their
/// spouse's birth registration), through the API and the page, each act
/// on a dossier where it is lawful. As its applicant the leader still acts
/// as any applicant does; `attach` is a file at intake (newly registered).
#[rustfmt::skip]
const OWN_CASE: &[(&str, [Expect; 2])] = &[
//   act                   their own  names them
    ("receive",            [NOT,      NOT]),
    ("refuse_intake",      [NOT,      NOT]),
    ("claim",              [NOT,      NOT]),
    ("assign",             [NOT,      NOT]),
    ("start_processing",   [NOT,      NOT]),
    ("request_supplement", [NOT,      NOT]),
    ("request_fees",       [NOT,      NOT]),
    ("apologise",          [NOT,      NOT]),
    ("propose",            [NOT,      NOT]),
    ("approve",            [NOT,      NOT]),
    ("send_back",          [NOT,      NOT]),
    ("stop",               [NOT,      NOT]),
    ("return_result",      [NOT,      NOT]),
    ("attach",             [OK,       NOT]),
    ("withdraw",           [OK,       NOT]),
];

/// The pages that depend on who is looking (the units, address
/// conversion, catalog, log-in and static pages answer everyone alike),
/// and the API's routes a portal session opens. `{code}` on a dossier page
/// and its slips is a dossier of A's that went through every slip; the
/// files are on one newly registered. The organisations page is about A's
/// organisation (A represents it); its form authorises B.
#[rustfmt::skip]
const PAGES: &[(&str, [Expect; 6])] = &[
//   route                                              nobody A     B     off   other lead
    ("GET /ho-so/{code}",                               [AUTH,  SEE,  NO,   SEE,  NO,   SEE]),
    ("GET /ho-so/{code}/phieu/01",                      [AUTH,  SEE,  NO,   SEE,  NO,   SEE]),
    ("GET /ho-so/{code}/phieu/02",                      [AUTH,  SEE,  NO,   SEE,  NO,   SEE]),
    ("GET /ho-so/{code}/phieu/03",                      [AUTH,  SEE,  NO,   SEE,  NO,   SEE]),
    ("GET /ho-so/{code}/phieu/04",                      [AUTH,  SEE,  NO,   SEE,  NO,   SEE]),
    ("GET /ho-so/{code}/phieu/05",                      [AUTH,  SEE,  NO,   SEE,  NO,   SEE]),
    ("GET /ho-so/{code}/ket-qua",                       [AUTH,  NONE, NO,   NONE, NO,   NONE]),
    // its PDF (form 03), whose text is drawn in glyphs: allowed or not
    ("GET /ho-so/{code}/ket-qua.pdf",                   [AUTH,  OK,   NO,   OK,   NO,   OK]),
    ("POST /ho-so/{code}/tep",                          [AUTH,  OK,   NO,   OK,   NO,   OK]),
    ("GET /ho-so/{code}/tep/{document}",                [AUTH,  OK,   NO,   OK,   NO,   OK]),
    ("GET /ho-so",                                      [AUTH,  SEE,  NONE, NONE, NONE, NONE]),
    ("GET /dossiers",                                   [AUTH,  SEE,  NONE, NONE, NONE, NONE]),
    ("GET /can-bo",                                     [AUTH,  NONE, NONE, SEE,  NONE, SEE]),
    ("GET /workbench",                                  [AUTH,  NONE, NONE, SEE,  NONE, SEE]),
    ("GET /tra-cuu-ho-so?ma={code}",                    [NONE,  NONE, NONE, NONE, NONE, NONE]),
    // the operators' page: the staff of an operations agency only
    ("GET /van-hanh",                                   [AUTH,  NO,   NO,   NO,   NO,   NO]),
    ("GET /operations",                                 [AUTH,  NO,   NO,   NO,   NO,   NO]),
    ("POST /van-hanh/gui-lai",                          [AUTH,  NO,   NO,   NO,   NO,   NO]),
    ("GET /thu-tuc/{code}/nop",                         [AUTH,  SEE,  NONE, NONE, NONE, NONE]),
    ("POST /thu-tuc/{code}/nop",                        [AUTH,  OK,   OK,   OK,   OK,   OK]),
    ("GET /du-lieu-cua-toi",                            [AUTH,  SEE,  NONE, NONE, NONE, NONE]),
    ("GET /du-lieu-cua-toi/{pid}",                      [AUTH,  SEE,  NO,   NO,   NO,   NO]),
    ("GET /my-data/{pid}",                              [AUTH,  SEE,  NO,   NO,   NO,   NO]),
    ("GET /tai-khoan",                                  [AUTH,  SEE,  NONE, NONE, NONE, NONE]),
    ("GET /account",                                    [AUTH,  SEE,  NONE, NONE, NONE, NONE]),
    ("POST /tai-khoan/passkey/options",                 [AUTH,  SEE,  NONE, NONE, NONE, NONE]),
    ("GET /tai-khoan/to-chuc",                          [AUTH,  SEE,  NONE, NONE, NONE, NONE]),
    ("POST /tai-khoan/to-chuc",                         [AUTH,  OK,   NO,   NO,   NO,   NO]),
    ("POST /account/organisations",                     [AUTH,  OK,   NO,   NO,   NO,   NO]),
    ("GET /api/v1/registry/people/{pid}/accesses",      [AUTH,  SEE,  NO,   NO,   NO,   NO]),
    ("POST /api/v1/registry/people/{pid}/consents",     [AUTH,  OK,   NO,   NO,   NO,   NO]),
    ("DELETE /api/v1/registry/people/{pid}/consents",   [AUTH,  OK,   NO,   NO,   NO,   NO]),
];

/// The way through processing, by the officer (who claims the dossier)
/// and the other leader (who approves).
const PROCESSING: [&str; 6] = [
    "receive",
    "claim",
    "start_processing",
    "propose",
    "approve",
    "return_result",
];

/// The child of A's birth registrations (others' name another child).
const CHILD: &str = "Trần Ma Trận";
/// A's organisation.
const ORG_NAME: &str = "Công ty TNHH Ma Trận Quyền";
/// The document files are attached for.
const DOCUMENT: &str = "to-khai";
/// A file.
const PDF: &[u8] = b"%PDF-1.4\n% to khai\n";

/// `GET /x` or `POST /x (a variant)`: the documented operation `GET /x`.
fn operation(line: &str) -> String {
    line.split(" (").next().unwrap_or(line).to_string()
}

/// A request's body.
enum Body {
    Empty,
    Json(Value),
    Form(Vec<(String, String)>),
    Raw(&'static str, Vec<u8>),
}

/// How a caller presents themselves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Token,
    Session,
}

/// A person of the cast: their registry record, account, portal session
/// (level 2), the forms' token of that session, and the portal's token
/// with `dossiers` and `workbench`.
struct Member {
    person: registry::generate::SyntheticPerson,
    subject: identity::SubjectId,
    session: String,
    csrf: String,
    token: String,
}

/// The server and everyone who calls it.
struct Cast {
    app: TestApp,
    http: reqwest::Client,
    a: Member,
    b: Member,
    officer: Member,
    other: Member,
    leader: Member,
    /// The leader's spouse, whose birth registrations name the leader.
    spouse: Member,
    /// Another leader of the competent agency: approves what the cells'
    /// dossiers need approved.
    approver: Member,
    a_workbench: String,
    officer_dossiers: String,
    third_party: String,
    operator: String,
    /// A's commune: every dossier here is filed there.
    place: String,
    /// Its people's committee, the competent agency.
    agency: String,
    /// A pre-session CSRF token (cookie and field) for nobody's forms.
    anonymous_csrf: String,
    /// A's organisation's subject.
    organisation: String,
    next: AtomicU32,
}

/// Opens a level-2 account (password [`TEST_PASSWORD`] and a one-time
/// code) for `p`, logs it in on the portal with both, and takes the
/// portal's token.
async fn member(app: &TestApp, p: &registry::generate::SyntheticPerson) -> Member {
    let totp = identity::Totp::new(identity::TotpSecret::new(vec![42; 20]).expect("a secret"));
    let subject = app
        .open_account_at(
            crate::dossiers::citizen(p),
            identity::AssuranceLevel::Level2,
            Some(totp.clone()),
        )
        .await;
    let http = no_redirects();
    let page = send(http.get(app.url("/dang-nhap?next=/tai-khoan"))).await;
    let csrf = cookie_value(&page, "motcua_csrf").expect("a CSRF cookie");
    let otp = totp.code_at(Utc::now().timestamp()).expect("a code");
    let reply = send(
        http.post(app.url("/oidc/login"))
            .header("cookie", format!("motcua_csrf={csrf}"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("next", "/tai-khoan"),
                ("identifier", p.personal_id.as_str()),
                ("password", TEST_PASSWORD),
                ("otp", otp.as_str()),
            ]),
    )
    .await;
    assert_eq!(reply.status.as_u16(), 303, "{}", reply.body);
    let session = cookie_value(&reply, "motcua_sid").expect("a session");
    let csrf = session_csrf(app, &session).await;
    let token = portal_token(app, &session, "openid+dossiers+workbench").await;
    Member {
        person: p.clone(),
        subject,
        session,
        csrf,
        token,
    }
}

/// The portal's token with `scopes` for the person of `session`.
async fn portal_token(app: &TestApp, session: &str, scopes: &str) -> String {
    let query = authorize_query(None, &[]).replace("openid+profile+pid", scopes);
    let reply = send(
        no_redirects()
            .get(app.url(&format!("/oidc/authorize?{query}")))
            .header("cookie", format!("motcua_sid={session}")),
    )
    .await;
    tokens_of(app, &reply).await.2
}

/// A third party's token for the person of `session`, who agrees to show
/// it who they are.
async fn third_party_token(app: &TestApp, session: &str) -> String {
    let query = authorize_query(None, &[])
        .replace("client_id=portal", "client_id=ung-dung-ngoai")
        .replace("openid+profile+pid", "openid");
    let http = no_redirects();
    let cookie = format!("motcua_sid={session}");
    let page = send(
        http.get(app.url(&format!("/oidc/authorize?{query}")))
            .header("cookie", &cookie),
    )
    .await;
    assert_eq!(page.status.as_u16(), 200, "the consent page: {}", page.body);
    crate::security::agree(app, session, &page, &query).await
}

impl Cast {
    async fn new() -> Cast {
        let app = TestApp::spawn_with(TestOptions {
            // every cell files dossiers of its own
            filing: web::ratelimit::FilingQuota {
                account_per_minute: 10_000,
                account_per_agency_day: 10_000,
                agency_per_minute: 10_000,
            },
            // passkeys (the account page's) need a host name
            localhost_issuer: true,
            // a province's node taking its portal's pushes
            pushes: Some((
                web::services::exchange::node::DemoMember::generate(
                    exchange::Member {
                        id: "VN/GOV/000.00.00.H99/cong-quoc-gia"
                            .parse()
                            .expect("a member"),
                        name: "Cổng dịch vụ công quốc gia".into(),
                        kind: exchange::MemberKind::Ministry,
                    },
                    "k1",
                )
                .expect("a key")
                .listing()
                .expect("its listing"),
                web::services::backoffice::upstream::Upstream::new(
                    "http://127.0.0.1:9/api/v1/integration",
                    "tinh-igate",
                    "mat-khau",
                    "http://localhost",
                ),
            )),
            ..TestOptions::default()
        })
        .await;
        register(&app, &portal(REDIRECT)).await;
        register(&app, &crate::security::third_party()).await;
        let everyone = people(&app).await;
        let (leader, spouse) = married_couple(&everyone);
        let others: Vec<_> = everyone
            .iter()
            .filter(|p| p.personal_id != leader.personal_id && p.personal_id != spouse.personal_id)
            .collect();
        // A's name is in nobody else's; nobody else is a party to A's
        // birth registrations (A's spouse)
        let a = *others
            .iter()
            .find(|p| {
                everyone
                    .iter()
                    .all(|q| q.personal_id == p.personal_id || !q.full_name.contains(&p.full_name))
            })
            .expect("a distinct name");
        let rest: Vec<_> = others
            .iter()
            .filter(|p| {
                p.personal_id != a.personal_id && Some(&p.personal_id) != a.spouse_id.as_ref()
            })
            .collect();
        let place = a.commune_code.to_string();
        let agency = format!("UBND.{place}");
        let unit = units::Units::get();
        let province = &unit.commune(&place).expect("A's commune").province_code;
        let elsewhere: Vec<String> = unit
            .communes_of(province)
            .expect("the province's communes")
            .filter(|c| c.code != place)
            .take(2)
            .map(|c| format!("UBND.{}", c.code))
            .collect();
        let a = member(&app, a).await;
        let b = member(&app, rest[0]).await;
        let officer = member(&app, rest[1]).await;
        let other = member(&app, rest[2]).await;
        let approver = member(&app, rest[3]).await;
        let leader = member(&app, &leader).await;
        let spouse = member(&app, &spouse).await;
        let code = |c: &str| dossier::AgencyCode::parse(c).expect("an agency");
        use dossier::Role::{Leader, Officer};
        set_staff(&app, officer.subject, &code(&agency), Officer).await;
        set_staff(&app, leader.subject, &code(&agency), Leader).await;
        set_staff(&app, approver.subject, &code(&agency), Leader).await;
        set_staff(&app, other.subject, &code(&elsewhere[0]), Officer).await;
        set_staff(&app, other.subject, &code(&elsewhere[1]), Leader).await;
        let a_workbench = portal_token(&app, &a.session, "openid+workbench").await;
        let officer_dossiers = portal_token(&app, &officer.session, "openid+dossiers").await;
        let third_party = third_party_token(&app, &a.session).await;
        let operator = app.operator_token().await;
        // A represents an organisation
        let organisation = identity::SubjectId::new(uuid::Uuid::new_v4()).expect("a subject");
        let org = identity::Organisation::new(
            organisation,
            identity::TaxCode::parse("0100109106").expect("a tax code"),
            false,
            [a.subject].into_iter().collect(),
            None,
            true,
        )
        .expect("an organisation");
        app.create_account(&new_account(identity::Holder::Organisation(org), ORG_NAME))
            .await;
        let page = send(no_redirects().get(app.url("/dang-nhap"))).await;
        let anonymous_csrf = cookie_value(&page, "motcua_csrf").expect("a CSRF cookie");
        Cast {
            http: no_redirects(),
            app,
            a,
            b,
            officer,
            other,
            leader,
            spouse,
            approver,
            a_workbench,
            officer_dossiers,
            third_party,
            operator,
            place,
            agency,
            anonymous_csrf,
            organisation: organisation.to_string(),
            next: AtomicU32::new(0),
        }
    }

    fn member(&self, who: Who) -> &Member {
        match who {
            Who::A => &self.a,
            Who::B => &self.b,
            Who::Officer => &self.officer,
            Who::Other => &self.other,
            Who::Leader => &self.leader,
            other => panic!("{other:?} has no portal session"),
        }
    }

    fn token(&self, who: Who) -> Option<&str> {
        Some(match who {
            Who::Nobody => return None,
            Who::AWorkbench => &self.a_workbench,
            Who::ThirdParty => &self.third_party,
            Who::OfficerDossiers => &self.officer_dossiers,
            Who::Operator => &self.operator,
            person => &self.member(person).token,
        })
    }

    /// The forms' token of `who`'s session (nobody's: a pre-session one).
    fn csrf(&self, who: Who) -> String {
        match who {
            Who::Nobody => self.anonymous_csrf.clone(),
            person => self.member(person).csrf.clone(),
        }
    }

    fn unique(&self) -> u32 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// `who` sends the request with their token or session.
    async fn request(&self, who: Who, via: Via, method: Method, path: &str, body: Body) -> Reply {
        let mut req = self.http.request(method, self.app.url(path));
        req = match via {
            Via::Token => match self.token(who) {
                Some(t) => req.bearer_auth(t),
                None => req,
            },
            Via::Session => match who {
                Who::Nobody => req.header("cookie", format!("motcua_csrf={}", self.anonymous_csrf)),
                person => req.header(
                    "cookie",
                    format!("motcua_sid={}", self.member(person).session),
                ),
            },
        };
        req = match body {
            Body::Empty => req,
            Body::Json(v) => req.json(&v),
            Body::Form(pairs) => req.form(&pairs),
            Body::Raw(content_type, bytes) => req.header("content-type", content_type).body(bytes),
        };
        send(req).await
    }

    /// A birth registration's form, by `filer` (A's names [`CHILD`]).
    fn form_of(&self, filer: Option<&Member>) -> Value {
        let mut form = birth_form(&self.place);
        if filer.is_some_and(|f| f.subject == self.a.subject) {
            form["child_full_name"] = CHILD.into();
        }
        form
    }

    /// `filer` files a birth registration online; its code.
    async fn file(&self, filer: &Member) -> String {
        let filed = send(
            self.http
                .post(self.app.url("/api/v1/dossiers"))
                .bearer_auth(&filer.token)
                .json(&json!({"procedure": "khai-sinh", "form": self.form_of(Some(filer))})),
        )
        .await;
        assert_eq!(filed.status.as_u16(), 201, "{}", filed.body);
        filed.json()["dossier"]["code"]
            .as_str()
            .expect("a code")
            .to_string()
    }

    async fn stored(&self, code: &str) -> store::StoredDossier {
        self.app
            .store
            .dossiers()
            .dossier(&dossier::DossierCode::parse(code).expect("a code"))
            .await
            .expect("read")
            .expect("the dossier")
    }

    /// A new appointment later than the dossier's and than now.
    async fn new_due(&self, code: &str) -> DateTime<FixedOffset> {
        let now = Utc::now().with_timezone(&domain::VIETNAM);
        let due = self.stored(code).await.dossier.due.unwrap_or(now).max(now);
        due + chrono::Duration::days(30)
    }

    /// The API's body of `act` on dossier `code`.
    async fn act_body(&self, act: &str, code: &str) -> Value {
        match act {
            "refuse_intake" | "send_back" | "stop" => {
                json!({"act": act, "reason": "Thiếu giấy tờ"})
            }
            "assign" => json!({"act": act, "subject": self.officer.subject.to_string()}),
            "request_supplement" => json!({"act": act, "items": ["Giấy chứng sinh"]}),
            "supplement" => json!({"act": act, "note": "Đã bổ sung giấy chứng sinh"}),
            "request_fees" => json!({"act": act, "amount_vnd": 8000}),
            "propose" => json!({"act": act, "outcome": "issued", "summary": "Đủ điều kiện"}),
            "apologise" => json!({
                "act": act,
                "reason": "Chờ xác minh",
                "new_due": self.new_due(code).await.to_rfc3339(),
            }),
            "rate" => json!({"act": act, "score": 5}),
            _ => json!({"act": act}),
        }
    }

    /// The dossier page's form of `act` on dossier `code`.
    async fn act_form(&self, act: &str, code: &str) -> Vec<(String, String)> {
        let body = self.act_body(act, code).await;
        let mut form = Vec::new();
        for (k, v) in body.as_object().expect("an object") {
            let (k, v) = match (k.as_str(), v) {
                ("subject", Value::String(s)) => ("assignee", s.clone()),
                ("items", Value::Array(items)) => (
                    "items",
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                ("amount_vnd", n) => ("amount", n.to_string()),
                ("new_due", Value::String(s)) => ("new_due", s[..10].to_string()),
                (k, Value::String(s)) => (k, s.clone()),
                (k, other) => (k, other.to_string()),
            };
            form.push((k.to_string(), v));
        }
        form
    }

    /// The staff do `act` on `code` to bring it where a cell needs it (the
    /// officer; approvals the other leader).
    async fn step(&self, code: &str, act: &str) {
        let by = match act {
            "approve" => &self.approver,
            "supplement" => &self.a,
            _ => &self.officer,
        };
        let body = self.act_body(act, code).await;
        let r = crate::dossiers::act(&self.app, &by.token, code, body).await;
        assert_eq!(r.status.as_u16(), 200, "preparing {act}: {}", r.body);
    }

    /// A new dossier of `filer`'s, where `act` is lawful.
    async fn ready_for(&self, act: &str, filer: &Member) -> String {
        // how far along the way through processing, and what then
        let (done, then) = match act {
            "receive" | "refuse_intake" | "withdraw" | "attach" => (0, None),
            "claim" | "assign" | "start_processing" | "apologise" => (1, None),
            "request_supplement" | "request_fees" | "stop" | "propose" => (3, None),
            "supplement" => (3, Some("request_supplement")),
            "pay_fees" => (3, Some("request_fees")),
            "approve" | "send_back" => (4, None),
            "return_result" => (5, None),
            "rate" => (6, None),
            other => panic!("no way to {other}"),
        };
        let steps = PROCESSING[..done].iter().chain(then.as_ref());
        let code = self.file(filer).await;
        for s in steps {
            self.step(&code, s).await;
        }
        code
    }

    /// What of A's must show, or must not, in an answer to `path`: their
    /// name, number, child, organisation and dossiers' codes, but for
    /// what the request names itself.
    async fn markers(&self, path: &str) -> Vec<String> {
        let a = &self.a.person;
        let subjects = [self.a.subject.to_string(), format!("pin:{}", a.personal_id)];
        let subjects: Vec<&str> = subjects.iter().map(String::as_str).collect();
        let mut markers = vec![
            a.full_name.clone(),
            a.personal_id.clone(),
            CHILD.to_string(),
            ORG_NAME.to_string(),
        ];
        markers.extend(
            self.app
                .store
                .dossiers()
                .dossiers_of_applicant(&subjects, 1000)
                .await
                .expect("A's dossiers")
                .into_iter()
                .map(|d| d.dossier.code.to_string()),
        );
        markers.retain(|m| !path.contains(m.as_str()));
        markers
    }

    /// Checks the answer `r` to `path` against `expect`; what is wrong is
    /// added to `failures` under `cell`.
    async fn check(
        &self,
        failures: &mut Vec<String>,
        cell: &str,
        expect: Expect,
        json: bool,
        path: &str,
        r: &Reply,
    ) {
        let status = r.status.as_u16();
        let location = r.header("location").unwrap_or_default();
        // the page's header names whoever is logged in to themselves: what
        // a page shows of someone is what is under it
        let content = match r.body.split_once("<header class=\"site-header\">") {
            Some((_, rest)) => rest
                .split_once("</header>")
                .map_or(rest, |(_, after)| after),
            None => r.body.as_str(),
        };
        let text = format!("{location}\n{content}");
        let shown: Vec<String> = self
            .markers(path)
            .await
            .into_iter()
            .filter(|m| text.contains(m.as_str()))
            .collect();
        let local = location.starts_with('/') && !location.starts_with("//");
        let allowed = (200..300).contains(&status)
            || (!json && status == 303 && local && !location.starts_with("/dang-nhap"));
        // a form refused for its CSRF token is no answer about the caller
        let expired =
            text.contains("Phiên đăng nhập đã hết hạn") || text.contains("the page has expired");
        let right = match expect {
            Expect::Allowed => allowed,
            Expect::Sees => allowed && !shown.is_empty(),
            Expect::Nothing => allowed && shown.is_empty(),
            Expect::LogIn if json => status == 401,
            Expect::LogIn => status == 303 && location.starts_with("/dang-nhap?next=%2F"),
            Expect::Refused => status == 403 && shown.is_empty() && !expired,
            Expect::NotTheirs => status == 403 && !expired,
        };
        if !right {
            let body = excerpt(&r.body);
            failures.push(format!(
                "{cell}: {expect:?} expected, got {status} {location} showing {shown:?}: {body}"
            ));
        }
    }

    /// After `cell` on `code` (at version `before`): an allowed act changed
    /// the dossier, a refused one did not.
    async fn changed(
        &self,
        failures: &mut Vec<String>,
        cell: &str,
        expect: Expect,
        code: &str,
        before: i64,
    ) {
        let now = self.stored(code).await.version;
        if expect.allows() != (now > before) {
            failures.push(format!(
                "{cell}: {expect:?} expected, and dossier {code} went from version {before} to {now}"
            ));
        }
    }

    /// The request of an API operation's line, for one cell (`code`: A's
    /// dossier).
    async fn api_request(&self, line: &str, code: &str) -> (Method, String, Body) {
        let a = &self.a.person;
        let unit = units::Units::get();
        let province = &unit.commune(&self.place).expect("a commune").province_code;
        let get = |p: String| (Method::GET, p, Body::Empty);
        match line {
            "GET /api/v1/units/provinces" => get("/api/v1/units/provinces".into()),
            "GET /api/v1/units/provinces/{code}/communes" => {
                get(format!("/api/v1/units/provinces/{province}/communes"))
            }
            "GET /api/v1/units/communes/{code}" => {
                get(format!("/api/v1/units/communes/{}", self.place))
            }
            "GET /api/v1/units/search" => get("/api/v1/units/search?q=ha%20noi".into()),
            "GET /api/v1/units/legacy/communes/{code}/successors" => get(format!(
                "/api/v1/units/legacy/communes/{}/successors",
                unit.legacy_communes()[0].code
            )),
            "POST /api/v1/units/convert" => (
                Method::POST,
                "/api/v1/units/convert".into(),
                Body::Json(json!({"addresses": ["P. Phúc Xá, Q. Ba Đình, Hà Nội"]})),
            ),
            "POST /api/v1/exchange/{provider}/{service}" => (
                Method::POST,
                crate::exchange::PERSON_GET.into(),
                Body::Json(json!({"person_id": a.personal_id, "fields": []})),
            ),
            records if records.contains("/registry/people/") => self.records(records),
            "GET /api/v1/oidc/clients" => get("/api/v1/oidc/clients".into()),
            "POST /api/v1/oidc/clients" => (
                Method::POST,
                "/api/v1/oidc/clients".into(),
                Body::Json(json!({
                    "client_id": format!("he-thong-{}", self.unique()),
                    "name": "Hệ thống của sở",
                    "grant_types": ["client_credentials"],
                    "scopes": ["pid"],
                })),
            ),
            "DELETE /api/v1/oidc/clients/{client_id}" => {
                let mut client = crate::security::third_party();
                let id = format!("ung-dung-{}", self.unique());
                client.id = identity::client::ClientId::parse(&id).expect("an id");
                register(&self.app, &client).await;
                (
                    Method::DELETE,
                    format!("/api/v1/oidc/clients/{id}"),
                    Body::Empty,
                )
            }
            "GET /api/v1/procedures" => get("/api/v1/procedures?q=khai%20sinh".into()),
            "GET /api/v1/procedures/{code}" => get("/api/v1/procedures/khai-sinh".into()),
            "POST /api/v1/dossiers (online, their own)" => (
                Method::POST,
                "/api/v1/dossiers".into(),
                Body::Json(json!({"procedure": "khai-sinh", "form": birth_form(&self.place)})),
            ),
            "POST /api/v1/dossiers (at the counter, for A)" => (
                Method::POST,
                "/api/v1/dossiers".into(),
                Body::Json(json!({
                    "procedure": "khai-sinh",
                    "form": self.form_of(Some(&self.a)),
                    "channel": "in_person",
                    "applicant_pin": a.personal_id,
                })),
            ),
            "GET /api/v1/dossiers" => get("/api/v1/dossiers".into()),
            "GET /api/v1/dossiers/reported" => get("/api/v1/dossiers/reported".into()),
            "GET /api/v1/dossiers/{code}" => get(format!("/api/v1/dossiers/{code}")),
            "GET /api/v1/agencies/{agency}/dossiers" => {
                get(format!("/api/v1/agencies/{}/dossiers", self.agency))
            }
            "PUT /api/v1/dossiers/{code}/attachments/{document}" => (
                Method::PUT,
                format!(
                    "/api/v1/dossiers/{code}/attachments/{DOCUMENT}?name=to-khai-{}.pdf",
                    self.unique()
                ),
                Body::Raw("application/pdf", PDF.to_vec()),
            ),
            "GET /api/v1/dossiers/{code}/attachments" => {
                get(format!("/api/v1/dossiers/{code}/attachments"))
            }
            "GET /api/v1/dossiers/{code}/attachments/{document}" => {
                get(format!("/api/v1/dossiers/{code}/attachments/{DOCUMENT}"))
            }
            "GET /api/v1/scorecard" => get(format!(
                "/api/v1/scorecard?province={province}&from=2026-01-01&to=2027-01-01"
            )),
            "POST /api/v1/integration/login" => (
                Method::POST,
                "/api/v1/integration/login".into(),
                Body::Json(json!({"username": a.personal_id, "password": TEST_PASSWORD})),
            ),
            "POST /api/v1/integration" => (
                Method::POST,
                "/api/v1/integration".into(),
                Body::Json(
                    json!({"madonvi": self.agency, "service": "TraCuuHoSo", "mahoso": code}),
                ),
            ),
            "POST /api/v1/integration/signed" => (
                Method::POST,
                "/api/v1/integration/signed".into(),
                Body::Json(
                    json!({"madonvi": self.agency, "service": "TraCuuHoSo", "mahoso": code}),
                ),
            ),
            "POST /api/v1/integration/deliveries" => (
                Method::POST,
                "/api/v1/integration/deliveries".into(),
                Body::Json(json!({"data": [{"MaHoSo": code, "PhienBan": 1}]})),
            ),
            "GET /api/v1/back-offices" => get("/api/v1/back-offices".into()),
            "POST /api/v1/back-offices" => {
                let n = self.unique();
                (
                    Method::POST,
                    "/api/v1/back-offices".into(),
                    Body::Json(json!({
                        "id": format!("matrix-{n}"), "name": "Một cửa", "province": "01",
                        "units": [format!("M{n}")], "delivery": "pull",
                    })),
                )
            }
            office if office.contains("/back-offices/{id}") => {
                let id = self.office().await;
                let path = office
                    .split_once(' ')
                    .map_or("", |(_, p)| p)
                    .replace("{id}", &id);
                match office.split_once(' ').map_or("", |(m, _)| m) {
                    "PUT" => (
                        Method::PUT,
                        path,
                        Body::Json(json!({
                            "name": "Một cửa (đổi)", "province": "01",
                            "units": [format!("{id}-unit"), format!("{id}-unit-2")], "delivery": "pull",
                        })),
                    ),
                    "DELETE" => (Method::DELETE, path, Body::Empty),
                    "POST" => (Method::POST, path, Body::Empty),
                    _ => get(path),
                }
            }
            "GET /api/v1/upstream" => get("/api/v1/upstream".into()),
            "POST /api/v1/upstream/retry" => {
                (Method::POST, "/api/v1/upstream/retry".into(), Body::Empty)
            }
            "GET /healthz" => get("/healthz".into()),
            "GET /readyz" => get("/readyz".into()),
            other => panic!("no request for {other}"),
        }
    }

    /// A back office newly connected (pull, one unit of its own); its id.
    async fn office(&self) -> String {
        let id = format!("matrix-office-{}", self.unique());
        web::services::backoffice::offices::connect(
            self.app.store.as_ref(),
            units::Units::get(),
            backoffice::office::Draft {
                id: id.clone(),
                name: "Một cửa".into(),
                province: "01".into(),
                units: vec![format!("{id}-unit")],
                endpoint: None,
                delivery: backoffice::Delivery::Pull,
                keys: Vec::new(),
            },
            "matrix",
            Utc::now(),
        )
        .await
        .expect("connected");
        id
    }

    /// The request of a line about A's own records (their data tracker,
    /// their consents), which a token or a session may open.
    fn records(&self, line: &str) -> (Method, String, Body) {
        let records = format!("/api/v1/registry/people/{}", self.a.person.personal_id);
        let consent = || {
            Body::Json(
                json!({"consumer": web::services::exchange::node::DEMO_BANK, "purpose": "account-opening"}),
            )
        };
        match line {
            "GET /api/v1/registry/people/{pid}/accesses" => {
                (Method::GET, format!("{records}/accesses"), Body::Empty)
            }
            "POST /api/v1/registry/people/{pid}/consents" => {
                (Method::POST, format!("{records}/consents"), consent())
            }
            "DELETE /api/v1/registry/people/{pid}/consents" => {
                (Method::DELETE, format!("{records}/consents"), consent())
            }
            other => panic!("no request for {other}"),
        }
    }

    /// The request of a page's line, for `who` (`slips`: A's dossier with
    /// every slip; `open`: A's newly registered one, with a file).
    fn page_request(
        &self,
        line: &str,
        who: Who,
        slips: &str,
        open: &str,
    ) -> (Method, String, Body) {
        let a = &self.a.person;
        let csrf = self.csrf(who);
        let get = |p: String| (Method::GET, p, Body::Empty);
        let grant = || {
            Body::Form(vec![
                ("csrf_token".into(), csrf.clone()),
                ("action".into(), "grant".into()),
                ("organisation".into(), self.organisation.clone()),
                ("grantee".into(), self.b.person.personal_id.clone()),
                ("days".into(), "30".into()),
            ])
        };
        match line {
            "GET /ho-so/{code}" => get(format!("/ho-so/{slips}")),
            // it was refused: its result is form 03
            "GET /ho-so/{code}/ket-qua" => get(format!("/ho-so/{slips}/ket-qua")),
            "GET /ho-so/{code}/ket-qua.pdf" => get(format!("/ho-so/{slips}/ket-qua.pdf")),
            slip if slip.starts_with("GET /ho-so/{code}/phieu/") => {
                let form = slip.rsplit('/').next().unwrap_or_default();
                get(format!("/ho-so/{slips}/phieu/{form}"))
            }
            "POST /ho-so/{code}/tep" => {
                let name = format!("to-khai-{}.pdf", self.unique());
                (
                    Method::POST,
                    format!("/ho-so/{open}/tep"),
                    Body::Raw(
                        "multipart/form-data; boundary=b0undary",
                        crate::dossiers::multipart(
                            "b0undary",
                            &[("csrf_token", &csrf), ("document", DOCUMENT)],
                            (&name, "application/pdf", PDF),
                        ),
                    ),
                )
            }
            "GET /ho-so/{code}/tep/{document}" => get(format!("/ho-so/{open}/tep/{DOCUMENT}")),
            "GET /ho-so" => get("/ho-so".into()),
            "GET /dossiers" => get("/dossiers".into()),
            "GET /can-bo" => get("/can-bo".into()),
            "GET /workbench" => get("/workbench".into()),
            "GET /tra-cuu-ho-so?ma={code}" => get(format!("/tra-cuu-ho-so?ma={open}")),
            "GET /van-hanh" => get("/van-hanh".into()),
            "GET /operations" => get("/operations".into()),
            "POST /van-hanh/gui-lai" => (
                Method::POST,
                "/van-hanh/gui-lai".into(),
                Body::Form(vec![("csrf_token".into(), csrf.clone())]),
            ),
            "GET /thu-tuc/{code}/nop" => get("/thu-tuc/khai-sinh/nop".into()),
            "POST /thu-tuc/{code}/nop" => {
                let filer = (who != Who::Nobody).then(|| self.member(who));
                let mut form: Vec<(String, String)> = self
                    .form_of(filer)
                    .as_object()
                    .expect("a form")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
                form.push(("csrf_token".into(), csrf.clone()));
                (
                    Method::POST,
                    "/thu-tuc/khai-sinh/nop".into(),
                    Body::Form(form),
                )
            }
            "GET /du-lieu-cua-toi" => get("/du-lieu-cua-toi".into()),
            "GET /du-lieu-cua-toi/{pid}" => get(format!("/du-lieu-cua-toi/{}", a.personal_id)),
            "GET /my-data/{pid}" => get(format!("/my-data/{}", a.personal_id)),
            "GET /tai-khoan" => get("/tai-khoan".into()),
            "GET /account" => get("/account".into()),
            "POST /tai-khoan/passkey/options" => (
                Method::POST,
                "/tai-khoan/passkey/options".into(),
                Body::Json(json!({"csrf_token": csrf})),
            ),
            "GET /tai-khoan/to-chuc" => get("/tai-khoan/to-chuc".into()),
            "POST /tai-khoan/to-chuc" => (Method::POST, "/tai-khoan/to-chuc".into(), grant()),
            "POST /account/organisations" => {
                (Method::POST, "/account/organisations".into(), grant())
            }
            records if records.contains("/registry/people/") => self.records(records),
            other => panic!("no request for {other}"),
        }
    }

    /// `who` does `act` on `code` through the API or the dossier page
    /// (`attach`: a file for the declaration); the answer and the path.
    async fn act(&self, who: Who, via: Via, act: &str, code: &str) -> (Reply, String) {
        let (method, path, body) = match (act, via) {
            ("attach", Via::Token) => (
                Method::PUT,
                format!("/api/v1/dossiers/{code}/attachments/{DOCUMENT}?name=to-khai.pdf"),
                Body::Raw("application/pdf", PDF.to_vec()),
            ),
            ("attach", Via::Session) => (
                Method::POST,
                format!("/ho-so/{code}/tep"),
                Body::Raw(
                    "multipart/form-data; boundary=b0undary",
                    crate::dossiers::multipart(
                        "b0undary",
                        &[("csrf_token", &self.csrf(who)), ("document", DOCUMENT)],
                        ("to-khai.pdf", "application/pdf", PDF),
                    ),
                ),
            ),
            (_, Via::Token) => (
                Method::POST,
                format!("/api/v1/dossiers/{code}/acts"),
                Body::Json(self.act_body(act, code).await),
            ),
            (_, Via::Session) => {
                let mut form = self.act_form(act, code).await;
                form.push(("csrf_token".into(), self.csrf(who)));
                (Method::POST, format!("/ho-so/{code}"), Body::Form(form))
            }
        };
        (self.request(who, via, method, &path, body).await, path)
    }
}

/// The words of an answer (a page's main text, without its tags), short.
fn excerpt(body: &str) -> String {
    crate::helpers::main_text(body).chars().take(240).collect()
}

/// Fails with every wrong cell at once.
fn verdict(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} cells differ from the matrix:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_operation_answers_each_caller_as_the_matrix_says() {
    let cast = Cast::new().await;

    // every documented operation has a line, and every line is documented
    let doc = cast.app.get("/api/v1/openapi.json").await.json();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("an item").keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let named: BTreeSet<String> = API
        .iter()
        .map(|(line, _)| operation(line))
        .chain([ACTS_OPERATION.to_string()])
        .collect();
    let missing: Vec<_> = documented.difference(&named).collect();
    let unknown: Vec<_> = named.difference(&documented).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "operations without a line in the matrix: {missing:?}; lines naming no documented operation: {unknown:?}"
    );

    // A's dossier, newly registered, with a file
    let code = cast.file(&cast.a).await;
    let (put, _) = cast.act(Who::A, Via::Token, "attach", &code).await;
    assert_eq!(put.status.as_u16(), 200, "{}", put.body);

    let mut failures = Vec::new();
    for (line, cells) in API {
        for (who, expect) in API_CALLERS.into_iter().zip(*cells) {
            let (method, path, body) = cast.api_request(line, &code).await;
            let r = cast.request(who, Via::Token, method, &path, body).await;
            let cell = format!("{line} by {who:?}");
            cast.check(&mut failures, &cell, expect, true, &path, &r)
                .await;
        }
    }

    // the exchange answers a member's signature
    let call = crate::exchange::hcc_call(&cast.a.person.personal_id, &[]);
    let key = crate::exchange::key_of(&cast.app, web::services::exchange::node::DEMO_HCC);
    let signed =
        crate::exchange::request(&cast.app, crate::exchange::PERSON_GET, &call, Some(&key));
    let r = crate::exchange::send(&cast.app, signed).await;
    if r.status.as_u16() != 200 {
        failures.push(format!("a signed exchange call: {} {}", r.status, r.body));
    }

    // every read of A's registry data for a dossier is in A's tracker,
    // under the dossier's code
    let tracker = send(
        cast.http
            .get(cast.app.url(&format!(
                "/api/v1/registry/people/{}/accesses",
                cast.a.person.personal_id
            )))
            .bearer_auth(&cast.operator),
    )
    .await
    .json();
    let cases: BTreeSet<&str> = tracker["accesses"]
        .as_array()
        .expect("accesses")
        .iter()
        .filter_map(|a| a["case_ref"].as_str())
        .collect();
    let codes = cast.markers("").await;
    for code in codes.iter().filter(|m| m.starts_with("UBND.")) {
        if !cases.contains(code.as_str()) {
            failures.push(format!(
                "A's dossier {code} read the registry unseen by the tracker"
            ));
        }
    }
    verdict(&failures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_act_on_a_dossier_is_open_only_to_whom_the_matrix_says_through_the_api_and_the_page()
{
    let cast = Cast::new().await;
    let mut failures = Vec::new();
    for (act, cells) in ACTS {
        for via in [Via::Token, Via::Session] {
            // the refusals of the line share a dossier
            let shared = cast.ready_for(act, &cast.a).await;
            for (who, expect) in API_CALLERS.into_iter().zip(*cells) {
                if via == Via::Session && !PAGE_CALLERS.contains(&who) {
                    continue;
                }
                let code = if expect.allows() {
                    cast.ready_for(act, &cast.a).await
                } else {
                    shared.clone()
                };
                let before = cast.stored(&code).await.version;
                let (r, path) = cast.act(who, via, act, &code).await;
                let cell = match via {
                    Via::Token => format!("{act} by {who:?} through the API"),
                    Via::Session => format!("{act} by {who:?} on the page"),
                };
                cast.check(&mut failures, &cell, expect, via == Via::Token, &path, &r)
                    .await;
                cast.changed(&mut failures, &cell, expect, &code, before)
                    .await;
            }
        }
    }

    // nobody decides their own case
    for (act, cells) in OWN_CASE {
        for (filer, expect) in [&cast.leader, &cast.spouse].into_iter().zip(*cells) {
            let shared = cast.ready_for(act, filer).await;
            for via in [Via::Token, Via::Session] {
                let code = if expect.allows() {
                    cast.ready_for(act, filer).await
                } else {
                    shared.clone()
                };
                let before = cast.stored(&code).await;
                let (r, path) = cast.act(Who::Leader, via, act, &code).await;
                let whose = if filer.subject == cast.leader.subject {
                    "their own dossier"
                } else {
                    "a dossier naming them"
                };
                let cell = format!(
                    "{act} by the leader on {whose} {}",
                    if via == Via::Token {
                        "through the API"
                    } else {
                        "on the page"
                    }
                );
                cast.check(&mut failures, &cell, expect, via == Via::Token, &path, &r)
                    .await;
                if *act != "attach" {
                    cast.changed(&mut failures, &cell, expect, &code, before.version)
                        .await;
                }
            }
        }
    }
    verdict(&failures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_that_depends_on_who_looks_answers_each_person_as_the_matrix_says() {
    let cast = Cast::new().await;
    // A's dossier through every slip: received (01), a supplement asked
    // (02), an apology (04), a refusal (03)
    let slips = cast.file(&cast.a).await;
    for act in [
        "receive",
        "claim",
        "start_processing",
        "request_supplement",
        "supplement",
        "apologise",
    ] {
        cast.step(&slips, act).await;
    }
    let refused = crate::dossiers::act(
        &cast.app,
        &cast.officer.token,
        &slips,
        json!({"act": "propose", "outcome": "refused", "summary": "Không đủ điều kiện"}),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 200, "{}", refused.body);
    cast.step(&slips, "approve").await;
    // and one newly registered, with a file
    let open = cast.file(&cast.a).await;
    let (put, _) = cast.act(Who::A, Via::Token, "attach", &open).await;
    assert_eq!(put.status.as_u16(), 200, "{}", put.body);

    let mut failures = Vec::new();
    for (line, cells) in PAGES {
        for (who, expect) in PAGE_CALLERS.into_iter().zip(*cells) {
            let (method, path, body) = cast.page_request(line, who, &slips, &open);
            let r = cast.request(who, Via::Session, method, &path, body).await;
            let json = path.starts_with("/api/") || path.contains("/passkey");
            let cell = format!("{line} by {who:?}");
            cast.check(&mut failures, &cell, expect, json, &path, &r)
                .await;
        }
    }
    verdict(&failures);
}

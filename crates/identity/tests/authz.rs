//! Authorization requests, codes and PKCE.

use chrono::{DateTime, Duration, TimeZone, Utc};
use identity::authz::{
    AuthzError, CODE_LIFETIME, CodeGrant, Prompt, RawRequest, RedeemError, check_request, redeem,
    s256, session_serves,
};
use identity::client::{AuthMethod, Client, ClientId, GrantType, SubjectType};
use identity::level::AssuranceLevel;

/// RFC 7636 appendix B: the verifier and its S256 challenge; `VERIFIER` is
/// another well-formed verifier.
const VERIFIER: &str = "another-verifier-of-forty-three-characters-x";
const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn portal() -> Client {
    Client {
        id: ClientId::parse("portal").expect("id"),
        name: "Cổng Dịch vụ công".into(),
        auth_method: AuthMethod::None,
        secret_hash: None,
        jwks: None,
        redirect_uris: vec!["https://dichvucong.example/cb".into()],
        grant_types: [GrantType::AuthorizationCode].into_iter().collect(),
        scopes: ["openid", "profile", "pid"]
            .into_iter()
            .map(String::from)
            .collect(),
        subject_type: SubjectType::Public,
        access_token_ttl: 300,
        post_logout_redirect_uris: vec![],
        require_par: false,
        trusted: false,
    }
}

fn raw() -> RawRequest<'static> {
    RawRequest {
        client_id: Some("portal"),
        redirect_uri: Some("https://dichvucong.example/cb"),
        response_type: Some("code"),
        scope: Some("openid pid"),
        state: Some("xyz"),
        nonce: Some("n-0S6_WzA2Mj"),
        code_challenge: Some(RFC_CHALLENGE),
        code_challenge_method: Some("S256"),
        acr_values: None,
        prompt: None,
        max_age: None,
        dpop_jkt: None,
    }
}

fn at(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("time")
        + Duration::seconds(s)
}

#[test]
fn the_rfc_7636_verifier_gives_its_challenge() {
    assert_eq!(s256(RFC_VERIFIER), RFC_CHALLENGE);
    assert_ne!(s256(VERIFIER), RFC_CHALLENGE);
}

#[test]
fn a_good_request_is_read() {
    let r = check_request(&portal(), &raw()).expect("accepted");
    assert_eq!(r.redirect_uri, "https://dichvucong.example/cb");
    assert_eq!(
        r.scopes.iter().map(String::as_str).collect::<Vec<_>>(),
        ["openid", "pid"]
    );
    assert_eq!(r.state.as_deref(), Some("xyz"));
    assert_eq!(r.level, AssuranceLevel::Level1);
    let r = check_request(
        &portal(),
        &RawRequest {
            acr_values: Some("urn:motcua:loa:2"),
            prompt: Some("login"),
            max_age: Some("300"),
            ..raw()
        },
    )
    .expect("accepted");
    assert_eq!(r.level, AssuranceLevel::Level2);
    assert_eq!(r.prompt, Some(Prompt::Login));
    assert_eq!(r.max_age, Some(300));
    // several acr values: the least of those known
    let r = check_request(
        &portal(),
        &RawRequest {
            acr_values: Some("urn:other:x urn:motcua:loa:2 urn:motcua:loa:1"),
            ..raw()
        },
    )
    .expect("accepted");
    assert_eq!(r.level, AssuranceLevel::Level1);
}

#[test]
fn bad_requests_are_refused_and_only_safe_ones_redirected() {
    let cases: Vec<(RawRequest<'static>, &str, bool)> = vec![
        (
            RawRequest {
                redirect_uri: Some("https://evil.example/cb"),
                ..raw()
            },
            "invalid_request",
            false,
        ),
        (
            RawRequest {
                redirect_uri: None,
                ..raw()
            },
            "invalid_request",
            false,
        ),
        (
            RawRequest {
                response_type: Some("token"),
                ..raw()
            },
            "unsupported_response_type",
            true,
        ),
        (
            RawRequest {
                response_type: None,
                ..raw()
            },
            "invalid_request",
            true,
        ),
        (
            RawRequest {
                scope: Some("pid"),
                ..raw()
            },
            "invalid_scope",
            true,
        ),
        (
            RawRequest {
                scope: Some("openid org"),
                ..raw()
            },
            "invalid_scope",
            true,
        ),
        // PKCE: required, S256 only, well-formed
        (
            RawRequest {
                code_challenge: None,
                ..raw()
            },
            "invalid_request",
            true,
        ),
        (
            RawRequest {
                code_challenge_method: Some("plain"),
                ..raw()
            },
            "invalid_request",
            true,
        ),
        (
            RawRequest {
                code_challenge_method: None,
                ..raw()
            },
            "invalid_request",
            true,
        ),
        (
            RawRequest {
                code_challenge: Some("short"),
                ..raw()
            },
            "invalid_request",
            true,
        ),
        (
            RawRequest {
                acr_values: Some("urn:other:x"),
                ..raw()
            },
            "invalid_request",
            true,
        ),
        (
            RawRequest {
                prompt: Some("select_account"),
                ..raw()
            },
            "invalid_request",
            true,
        ),
        (
            RawRequest {
                max_age: Some("-1"),
                ..raw()
            },
            "invalid_request",
            true,
        ),
        (
            RawRequest {
                state: Some(""),
                ..raw()
            },
            "invalid_request",
            true,
        ),
    ];
    for (r, code, redirectable) in cases {
        let e = check_request(&portal(), &r).expect_err("refused");
        assert_eq!(e.code(), code, "{e}");
        assert_eq!(e.redirectable(), redirectable, "{e}");
    }
    // a client without the flow
    let mut agency = portal();
    agency.grant_types = [GrantType::ClientCredentials].into_iter().collect();
    agency.auth_method = AuthMethod::ClientSecretBasic;
    let e = check_request(&agency, &raw()).expect_err("refused");
    assert_eq!(e, AuthzError::UnauthorizedClient);
}

#[test]
fn a_session_serves_a_request_only_at_its_level_and_age() {
    let r = check_request(
        &portal(),
        &RawRequest {
            acr_values: Some("urn:motcua:loa:2"),
            max_age: Some("600"),
            ..raw()
        },
    )
    .expect("accepted");
    // a level-1 session never serves a level-2 request
    assert!(!session_serves(&r, AssuranceLevel::Level1, at(0), at(1)));
    assert!(session_serves(&r, AssuranceLevel::Level2, at(0), at(600)));
    assert!(
        !session_serves(&r, AssuranceLevel::Level2, at(0), at(601)),
        "max_age"
    );
    let again = check_request(
        &portal(),
        &RawRequest {
            prompt: Some("login"),
            ..raw()
        },
    )
    .expect("accepted");
    assert!(
        !session_serves(&again, AssuranceLevel::Level2, at(0), at(1)),
        "prompt=login"
    );
}

fn grant() -> CodeGrant {
    CodeGrant {
        request: check_request(&portal(), &raw()).expect("accepted"),
        subject: "0192f3a0-0000-7000-8000-000000000001".into(),
        level: AssuranceLevel::Level1,
        auth_time: at(0),
        issued_at: at(1),
        actor: None,
    }
}

#[test]
fn a_code_is_redeemed_with_its_verifier_by_its_client() {
    let g = grant();
    let uri = Some("https://dichvucong.example/cb");
    assert_eq!(redeem(&g, "portal", uri, Some(RFC_VERIFIER), at(2)), Ok(()));
    // PKCE: no verifier, a wrong one, a malformed one
    assert_eq!(
        redeem(&g, "portal", uri, None, at(2)),
        Err(RedeemError::Verifier)
    );
    assert_eq!(
        redeem(&g, "portal", uri, Some(VERIFIER), at(2)),
        Err(RedeemError::Verifier)
    );
    assert_eq!(
        redeem(&g, "portal", uri, Some(RFC_CHALLENGE), at(2)),
        Err(RedeemError::Verifier),
        "the challenge itself is not the verifier"
    );
    // another client, another redirect, too late
    assert_eq!(
        redeem(&g, "other", uri, Some(RFC_VERIFIER), at(2)),
        Err(RedeemError::Client)
    );
    assert_eq!(
        redeem(
            &g,
            "portal",
            Some("https://dichvucong.example/cb2"),
            Some(RFC_VERIFIER),
            at(2)
        ),
        Err(RedeemError::RedirectUri)
    );
    assert_eq!(
        redeem(&g, "portal", None, Some(RFC_VERIFIER), at(2)),
        Err(RedeemError::RedirectUri)
    );
    let late = at(1) + CODE_LIFETIME + Duration::seconds(1);
    assert_eq!(
        redeem(&g, "portal", uri, Some(RFC_VERIFIER), late),
        Err(RedeemError::Code)
    );
}

#[test]
fn a_dpop_key_named_in_the_request_must_be_a_thumbprint() {
    let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let ok = check_request(
        &portal(),
        &RawRequest {
            dpop_jkt: Some(jkt),
            ..raw()
        },
    )
    .expect("a request bound to a key");
    assert_eq!(ok.dpop_jkt.as_deref(), Some(jkt));
    for bad in [
        "",
        "short",
        "not base64url at all, not at all, not at all!!",
    ] {
        let e = check_request(
            &portal(),
            &RawRequest {
                dpop_jkt: Some(bad),
                ..raw()
            },
        )
        .expect_err("refused");
        assert_eq!(e.code(), "invalid_request", "{bad:?}");
    }
}

#[test]
fn a_grant_bound_to_a_key_needs_a_proof_of_that_key() {
    use identity::authz::dpop_binding;
    let a = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
    let b = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
    assert_eq!(dpop_binding(None, None), Ok(()));
    assert_eq!(dpop_binding(None, Some(a)), Ok(()));
    assert_eq!(dpop_binding(Some(a), Some(a)), Ok(()));
    assert_eq!(dpop_binding(Some(a), Some(b)), Err(RedeemError::DpopKey));
    assert_eq!(dpop_binding(Some(a), None), Err(RedeemError::DpopKey));
}

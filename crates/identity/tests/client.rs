//! Relying-party registrations.

use std::collections::BTreeSet;

use identity::client::{
    AuthMethod, Client, ClientError, ClientId, GrantType, SecretHash, SubjectType,
    secret_from_random,
};

fn agency() -> Client {
    Client {
        id: ClientId::parse("hcm-backoffice").expect("id"),
        name: "Hệ thống một cửa TP. Hồ Chí Minh".into(),
        auth_method: AuthMethod::ClientSecretBasic,
        secret_hash: Some(SecretHash::of("s3cret")),
        jwks: None,
        redirect_uris: vec!["https://motcua.hcm.example/callback".into()],
        grant_types: [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
        ]
        .into_iter()
        .collect(),
        scopes: ["openid", "profile", "pid"]
            .into_iter()
            .map(String::from)
            .collect(),
        subject_type: SubjectType::Public,
        access_token_ttl: 600,
        post_logout_redirect_uris: vec![],
        require_par: false,
        trusted: false,
    }
}

#[test]
fn client_ids_have_a_plain_shape() {
    for ok in ["abc", "hcm-backoffice", "bo.tu-phap_01", &"a".repeat(64)] {
        assert!(ClientId::parse(ok).is_ok(), "{ok}");
    }
    for bad in ["", "ab", "có dấu", "a b", "a/b", &"a".repeat(65)] {
        assert_eq!(
            ClientId::parse(bad),
            Err(ClientError::BadId(bad.to_string()))
        );
    }
}

#[test]
fn a_consistent_registration_is_accepted() {
    agency().validate().expect("valid");
    let public = Client {
        auth_method: AuthMethod::None,
        secret_hash: None,
        grant_types: [GrantType::AuthorizationCode].into_iter().collect(),
        redirect_uris: vec![
            "http://127.0.0.1:53211/cb".into(),
            "http://localhost/cb".into(),
        ],
        ..agency()
    };
    public
        .validate()
        .expect("a public app on the local machine");
}

#[test]
fn inconsistent_registrations_are_refused_with_the_reason() {
    let cases: Vec<(Client, &str)> = vec![
        (
            Client {
                secret_hash: None,
                ..agency()
            },
            "a secret exactly when",
        ),
        (
            Client {
                auth_method: AuthMethod::None,
                secret_hash: None,
                ..agency()
            },
            "client_credentials needs a confidential client",
        ),
        (
            Client {
                redirect_uris: vec![],
                ..agency()
            },
            "needs at least one redirect URI",
        ),
        (
            Client {
                grant_types: BTreeSet::new(),
                ..agency()
            },
            "at least one grant type",
        ),
        (
            Client {
                grant_types: [GrantType::RefreshToken].into_iter().collect(),
                ..agency()
            },
            "refresh_token comes with authorization_code",
        ),
        (
            Client {
                access_token_ttl: 86_400,
                post_logout_redirect_uris: vec![],
                require_par: false,
                trusted: false,
                ..agency()
            },
            "60 to 3600 seconds",
        ),
        (
            Client {
                auth_method: AuthMethod::PrivateKeyJwt,
                secret_hash: None,
                ..agency()
            },
            "keys exactly when",
        ),
        (
            Client {
                scopes: ["openid", "email"].into_iter().map(String::from).collect(),
                ..agency()
            },
            "unknown scope \"email\"",
        ),
        (
            Client {
                name: " ".into(),
                ..agency()
            },
            "name",
        ),
    ];
    for (client, reason) in cases {
        let e = client.validate().expect_err(reason).to_string();
        assert!(e.contains(reason), "{e} should say {reason}");
    }
}

#[test]
fn redirect_uris_are_https_or_local() {
    for bad in [
        "http://motcua.example/cb",
        "ftp://x/cb",
        "/cb",
        "https:///cb",
        "https://user@motcua.example/cb",
        "https://motcua.example/cb#frag",
        "https://motcua.example/c b",
        "http://localhost.evil.example/cb",
    ] {
        let c = Client {
            redirect_uris: vec![bad.into()],
            ..agency()
        };
        assert!(
            matches!(c.validate(), Err(ClientError::BadRedirect { .. })),
            "{bad}"
        );
    }
    let c = agency();
    assert!(c.allows_redirect("https://motcua.hcm.example/callback"));
    assert!(!c.allows_redirect("https://motcua.hcm.example/callback/"));
    assert!(!c.allows_redirect("https://motcua.hcm.example/callback?x=1"));
}

#[test]
fn secrets_are_kept_as_hashes_and_compared_whole() {
    let secret = secret_from_random(&[7; 32]);
    assert_eq!(secret.len(), 43, "32 bytes in base64url");
    let h = SecretHash::of(&secret);
    assert!(h.matches(&secret));
    assert!(!h.matches(&secret[..42]));
    assert!(!h.matches(""));
    assert_eq!(format!("{h:?}"), "SecretHash(…)");
    // stored and read back
    let json = serde_json::to_string(&agency()).expect("JSON");
    assert!(!json.contains("s3cret"));
    let back: Client = serde_json::from_str(&json).expect("read back");
    assert_eq!(back, agency());
    assert!(back.secret_hash.expect("hash").matches("s3cret"));
}

#[test]
fn asked_scopes_must_be_the_clients() {
    let c = agency();
    assert_eq!(
        c.grant_scopes(["openid", "pid"]).expect("granted"),
        ["openid", "pid"]
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>()
    );
    assert_eq!(c.grant_scopes([]).expect("all"), c.scopes);
    assert_eq!(c.grant_scopes(["openid", "org"]), Err("org".to_string()));
    assert_eq!(
        GrantType::parse("client_credentials"),
        Some(GrantType::ClientCredentials)
    );
    assert_eq!(GrantType::parse("password"), None);
}

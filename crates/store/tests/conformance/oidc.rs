//! The OpenID Connect provider's storage: clients, signing keys, codes,
//! refresh tokens, and the revocations of tokens and grants.

use chrono::{DateTime, TimeZone, Utc};
use identity::authz::RefreshGrant;
use identity::client::{AuthMethod, Client, ClientId, GrantType, SecretHash, SubjectType};
use identity::jwt::{KeyRole, SigningKey};
use identity::level::AssuranceLevel;
use store::{StoredKey, TakenCode};

use crate::Harness;

/// `s` seconds after 08:00 on 1 March 2026.
fn second(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("time")
        + chrono::Duration::seconds(s)
}

/// A refresh token's grant of the family `family`.
fn refresh_grant(family: &str) -> RefreshGrant {
    RefreshGrant {
        client_id: "portal".into(),
        subject: "0192f3a0-0000-7000-8000-000000000001".into(),
        scopes: ["openid".to_string(), "pid".to_string()]
            .into_iter()
            .collect(),
        level: AssuranceLevel::Level2,
        auth_time: second(0),
        family: family.into(),
        actor: None,
        jkt: None,
    }
}

fn client(id: &str, name: &str) -> Client {
    Client {
        id: ClientId::parse(id).expect("id"),
        name: name.into(),
        auth_method: AuthMethod::ClientSecretBasic,
        secret_hash: Some(SecretHash::of("s3cret")),
        jwks: None,
        redirect_uris: vec!["https://rp.example/cb".into()],
        grant_types: [GrantType::AuthorizationCode, GrantType::ClientCredentials]
            .into_iter()
            .collect(),
        scopes: ["openid", "pid"].into_iter().map(String::from).collect(),
        subject_type: SubjectType::Pairwise {
            sector: "rp.example".into(),
        },
        access_token_ttl: 300,
        post_logout_redirect_uris: vec![],
        require_par: false,
        trusted: false,
    }
}

pub async fn clients_are_registered_replaced_and_removed(h: &Harness) {
    let store = h.open().await;
    let oidc = store.oidc();
    let at = Utc
        .with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("time");
    let portal = client("portal", "Cổng dịch vụ công");
    let hcm = client("hcm-backoffice", "Một cửa TP.HCM");
    assert!(oidc.put_client(&portal, at).await.expect("put"));
    assert!(oidc.put_client(&hcm, at).await.expect("put"));
    assert_eq!(
        oidc.client(&portal.id).await.expect("read"),
        Some(portal.clone())
    );
    assert_eq!(
        oidc.client(&ClientId::parse("nobody").expect("id"))
            .await
            .expect("read"),
        None
    );
    // listed by id
    let ids: Vec<String> = oidc
        .clients()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["hcm-backoffice", "portal"]);

    // replaced: not new
    let renamed = Client {
        name: "Cổng Dịch vụ công quốc gia".into(),
        ..portal.clone()
    };
    assert!(!oidc.put_client(&renamed, at).await.expect("put"));
    let stored = oidc.client(&portal.id).await.expect("read").expect("there");
    assert_eq!(stored.name, "Cổng Dịch vụ công quốc gia");
    assert!(stored.secret_hash.expect("hash").matches("s3cret"));

    assert!(oidc.delete_client(&portal.id).await.expect("delete"));
    assert!(!oidc.delete_client(&portal.id).await.expect("delete"));
    assert_eq!(oidc.clients().await.expect("list").len(), 1);
}

pub async fn signing_keys_start_once_and_rotate(h: &Harness) {
    let store = h.open().await;
    let oidc = store.oidc();
    assert!(oidc.signing_keys().await.expect("keys").is_empty());

    // two nodes starting together: one first key wins, both see it
    let a = SigningKey::from_seed(&[1; 32]);
    let b = SigningKey::from_seed(&[2; 32]);
    let (ka, kb) = tokio::join!(oidc.init_signing_key(&a), oidc.init_signing_key(&b));
    let (ka, kb) = (ka.expect("init"), kb.expect("init"));
    assert_eq!(ka.len(), 1);
    assert_eq!(kb.len(), 1);
    assert_eq!(ka[0].key.kid(), kb[0].key.kid());
    assert_eq!(ka[0].role, KeyRole::Current);
    let first = ka[0].key.clone();

    // rotation replaces the set, if the current key is still the one seen
    let retire = Utc
        .with_ymd_and_hms(2026, 3, 1, 9, 0, 0)
        .single()
        .expect("time");
    let next = SigningKey::from_seed(&[3; 32]);
    let rotated = [
        StoredKey {
            key: next.clone(),
            role: KeyRole::Current,
            retire_at: None,
        },
        StoredKey {
            key: first.clone(),
            role: KeyRole::Previous,
            retire_at: Some(retire),
        },
    ];
    assert!(
        !oidc
            .replace_signing_keys("not-the-current-kid", &rotated)
            .await
            .expect("compared")
    );
    assert!(
        oidc.replace_signing_keys(first.kid(), &rotated)
            .await
            .expect("rotated")
    );
    let keys = oidc.signing_keys().await.expect("keys");
    let mut seen: Vec<(String, KeyRole, Option<chrono::DateTime<Utc>>)> = keys
        .iter()
        .map(|k| (k.key.kid().to_string(), k.role, k.retire_at))
        .collect();
    seen.sort_by(|x, y| x.0.cmp(&y.0));
    let mut want = vec![
        (next.kid().to_string(), KeyRole::Current, None),
        (first.kid().to_string(), KeyRole::Previous, Some(retire)),
    ];
    want.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(seen, want);
    // the seeds come back whole: the same keys sign
    let stored_next = keys
        .iter()
        .find(|k| k.role == KeyRole::Current)
        .expect("current");
    assert_eq!(stored_next.key.seed(), next.seed());

    // a set with two current keys is refused, and nothing changes
    let two = [
        StoredKey {
            key: SigningKey::from_seed(&[4; 32]),
            role: KeyRole::Current,
            retire_at: None,
        },
        StoredKey {
            key: SigningKey::from_seed(&[5; 32]),
            role: KeyRole::Current,
            retire_at: None,
        },
    ];
    assert!(oidc.replace_signing_keys(next.kid(), &two).await.is_err());
    assert_eq!(oidc.signing_keys().await.expect("keys").len(), 2);
}

pub async fn revoked_tokens_are_remembered_until_they_expire(h: &Harness) {
    let store = h.open().await;
    let oidc = store.oidc();
    let t = |m: u32| {
        Utc.with_ymd_and_hms(2026, 3, 1, 8, m, 0)
            .single()
            .expect("time")
    };
    assert!(!oidc.is_revoked("a", None).await.expect("read"));
    oidc.revoke_token("a", t(10), t(0)).await.expect("revoked");
    oidc.revoke_token("a", t(10), t(0))
        .await
        .expect("twice is fine");
    oidc.revoke_token("b", t(30), t(1)).await.expect("revoked");
    assert!(oidc.is_revoked("a", None).await.expect("read"));
    assert!(oidc.is_revoked("b", None).await.expect("read"));
    // a later revocation forgets those whose tokens have expired
    oidc.revoke_token("c", t(40), t(20)).await.expect("revoked");
    assert!(!oidc.is_revoked("a", None).await.expect("read"));
    assert!(oidc.is_revoked("b", None).await.expect("read"));
    assert!(oidc.is_revoked("c", None).await.expect("read"));
}

pub async fn authorization_codes_are_redeemed_once(h: &Harness) {
    use identity::authz::{AuthorizationRequest, CodeGrant};
    use identity::level::AssuranceLevel;
    let store = h.open().await;
    let oidc = store.oidc();
    let t = |s: i64| {
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
            .single()
            .expect("time")
            + chrono::Duration::seconds(s)
    };
    let grant = |issued: i64| CodeGrant {
        request: AuthorizationRequest {
            client_id: "portal".into(),
            redirect_uri: "https://dichvucong.example/cb".into(),
            scopes: ["openid".to_string()].into_iter().collect(),
            state: Some("xyz".into()),
            nonce: None,
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            dpop_jkt: None,
            level: AssuranceLevel::Level2,
            prompt: None,
            max_age: None,
        },
        subject: "0192f3a0-0000-7000-8000-000000000001".into(),
        level: AssuranceLevel::Level2,
        auth_time: t(issued - 5),
        issued_at: t(issued),
        actor: None,
    };
    // redeemed codes are kept until 08:10
    let take = async |hash: &str, grant_id: &str| {
        oidc.take_code(hash, grant_id, t(600))
            .await
            .expect("answered")
    };
    oidc.put_code("h1", &grant(0), t(60)).await.expect("stored");
    oidc.put_code("h2", &grant(1), t(61)).await.expect("stored");
    // concurrent redemptions: exactly one gets the grant, the others learn
    // the grant its redemption created
    let (a, b, c) = tokio::join!(
        take("h1", "grant-a"),
        take("h1", "grant-b"),
        take("h1", "grant-c")
    );
    let taken = [a, b, c];
    let first: Vec<usize> = (0..3)
        .filter(|&i| taken[i] == TakenCode::First(Box::new(grant(0))))
        .collect();
    assert_eq!(first.len(), 1, "{taken:?}");
    let winner = ["grant-a", "grant-b", "grant-c"][first[0]];
    let replayed = TakenCode::Replayed {
        grant: winner.into(),
    };
    for (i, other) in taken.iter().enumerate() {
        if i != first[0] {
            assert_eq!(*other, replayed);
        }
    }
    assert_eq!(
        take("h1", "grant-d").await,
        replayed,
        "a replay finds the first redemption's grant"
    );
    assert_eq!(take("unknown", "grant-e").await, TakenCode::Unknown);
    // a later code forgets the expired ones, but a redeemed one only when
    // it was kept long enough
    oidc.put_code("h3", &grant(120), t(180))
        .await
        .expect("stored");
    assert_eq!(
        take("h2", "grant-f").await,
        TakenCode::Unknown,
        "expired and forgotten"
    );
    assert_eq!(take("h1", "grant-g").await, replayed, "still kept");
    assert_eq!(
        take("h3", "grant-h").await,
        TakenCode::First(Box::new(grant(120)))
    );
    oidc.put_code("h4", &grant(601), t(661))
        .await
        .expect("stored");
    assert_eq!(
        take("h1", "grant-i").await,
        TakenCode::Unknown,
        "forgotten once kept long enough"
    );
}

pub async fn refresh_tokens_rotate_and_a_reuse_revokes_the_family(h: &Harness) {
    use store::RefreshOutcome;
    let store = h.open().await;
    let oidc = store.oidc();
    let (t, grant) = (second, refresh_grant);
    oidc.put_refresh("r1", &grant("fam-a"), t(3600))
        .await
        .expect("stored");
    oidc.put_refresh("other", &grant("fam-b"), t(3600))
        .await
        .expect("stored");

    // used once: rotated to r2
    assert_eq!(
        oidc.rotate_refresh("r1", "r2", t(10), t(3610), t(7210))
            .await
            .expect("answered"),
        RefreshOutcome::Rotated(grant("fam-a"))
    );
    // r2 is live; rotated to r3
    assert_eq!(
        oidc.rotate_refresh("r2", "r3", t(20), t(3620), t(7220))
            .await
            .expect("answered"),
        RefreshOutcome::Rotated(grant("fam-a"))
    );
    // the stolen r1 comes back: the whole family goes, r3 included
    assert_eq!(
        oidc.rotate_refresh("r1", "x1", t(30), t(3630), t(7230))
            .await
            .expect("answered"),
        RefreshOutcome::Reused {
            family: "fam-a".into()
        }
    );
    assert_eq!(
        oidc.rotate_refresh("r3", "r4", t(40), t(3640), t(7240))
            .await
            .expect("answered"),
        RefreshOutcome::Reused {
            family: "fam-a".into()
        }
    );
    // its access tokens with it, until the given time
    assert!(oidc.is_revoked("jti-1", Some("fam-a")).await.expect("read"));
    assert!(!oidc.is_revoked("jti-1", None).await.expect("read"));
    assert!(!oidc.is_revoked("jti-2", Some("fam-b")).await.expect("read"));
    // another family is untouched
    assert_eq!(
        oidc.rotate_refresh("other", "other2", t(50), t(3650), t(7250))
            .await
            .expect("answered"),
        RefreshOutcome::Rotated(grant("fam-b"))
    );
    // unknown and expired
    assert_eq!(
        oidc.rotate_refresh("nope", "n2", t(60), t(3660), t(7260))
            .await
            .expect("answered"),
        RefreshOutcome::Unknown
    );
    oidc.put_refresh("old", &grant("fam-c"), t(100))
        .await
        .expect("stored");
    assert_eq!(
        oidc.rotate_refresh("old", "old2", t(100), t(3700), t(7300))
            .await
            .expect("answered"),
        RefreshOutcome::Expired
    );
    // concurrent uses of one token: one rotation, the other a reuse
    oidc.put_refresh("c1", &grant("fam-d"), t(3600))
        .await
        .expect("stored");
    let (a, b) = tokio::join!(
        oidc.rotate_refresh("c1", "c2", t(10), t(3610), t(7210)),
        oidc.rotate_refresh("c1", "c3", t(10), t(3610), t(7210))
    );
    let mut outcomes = [a.expect("answered"), b.expect("answered")];
    outcomes.sort_by_key(|o| matches!(o, RefreshOutcome::Reused { .. }));
    assert_eq!(outcomes[0], RefreshOutcome::Rotated(grant("fam-d")));
    assert_eq!(
        outcomes[1],
        RefreshOutcome::Reused {
            family: "fam-d".into()
        }
    );
}

pub async fn one_time_ids_are_used_once(h: &Harness) {
    let store = h.open().await;
    let oidc = store.oidc();
    let t = |s: i64| {
        Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
            .single()
            .expect("time")
            + chrono::Duration::seconds(s)
    };
    assert!(oidc.first_use("p1", t(120), t(0)).await.expect("answered"));
    assert!(
        !oidc.first_use("p1", t(120), t(1)).await.expect("answered"),
        "a replay"
    );
    let (a, b) = tokio::join!(
        oidc.first_use("p2", t(120), t(2)),
        oidc.first_use("p2", t(120), t(2))
    );
    assert_ne!(
        a.expect("answered"),
        b.expect("answered"),
        "one of two concurrent uses"
    );
    // after its window the id is forgotten (the proof is refused by time anyway)
    assert!(
        oidc.first_use("p1", t(300), t(200))
            .await
            .expect("answered")
    );
}

pub async fn the_pairwise_salt_is_kept_once_and_identifiers_map_back(h: &Harness) {
    let store = h.open().await;
    let oidc = store.oidc();
    let first = oidc.pairwise_salt("aa11").await.expect("salt");
    assert_eq!(first, "aa11");
    // a later start keeps the first salt, whatever it proposes
    assert_eq!(oidc.pairwise_salt("bb22").await.expect("salt"), "aa11");

    oidc.record_pairwise("hcm.gov.vn", "sub-1", "subject-a")
        .await
        .expect("record");
    // recording again is harmless
    oidc.record_pairwise("hcm.gov.vn", "sub-1", "subject-a")
        .await
        .expect("again");
    oidc.record_pairwise("hanoi.gov.vn", "sub-2", "subject-a")
        .await
        .expect("record");
    assert_eq!(
        oidc.pairwise_account("hcm.gov.vn", "sub-1")
            .await
            .expect("read"),
        Some("subject-a".to_string())
    );
    // an identifier is found only in its own sector
    assert_eq!(
        oidc.pairwise_account("hanoi.gov.vn", "sub-1")
            .await
            .expect("read"),
        None
    );
}

pub async fn pushed_requests_live_until_they_expire_or_are_used(h: &Harness) {
    let store = h.open().await;
    let oidc = store.oidc();
    let t = |s: i64| {
        Utc.timestamp_opt(1_800_000_000 + s, 0)
            .single()
            .expect("time")
    };
    oidc.put_pushed_request("u1", "portal", "scope=openid", t(90), t(0))
        .await
        .expect("put");
    oidc.put_pushed_request("u2", "portal", "scope=openid+pid", t(200), t(0))
        .await
        .expect("put");
    assert_eq!(
        oidc.pushed_request("u1", t(10)).await.expect("read"),
        Some(("portal".into(), "scope=openid".into()))
    );
    // read again (a reload of the page): still there
    assert!(
        oidc.pushed_request("u1", t(20))
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(
        oidc.pushed_request("u1", t(90)).await.expect("read"),
        None,
        "expired"
    );
    oidc.drop_pushed_request("u2").await.expect("drop");
    assert_eq!(
        oidc.pushed_request("u2", t(10)).await.expect("read"),
        None,
        "used"
    );
    // a later push forgets the expired ones; the same uri cannot be pushed twice
    oidc.put_pushed_request("u3", "portal", "q", t(400), t(100))
        .await
        .expect("put");
    assert!(
        oidc.put_pushed_request("u3", "portal", "q", t(400), t(100))
            .await
            .is_err()
    );
}

pub async fn a_revoked_grant_ends_its_tokens_until_they_expire(h: &Harness) {
    use store::RefreshOutcome;
    let store = h.open().await;
    let oidc = store.oidc();
    let (t, grant) = (second, refresh_grant);
    let revoked =
        async |jti: &str, grant: Option<&str>| oidc.is_revoked(jti, grant).await.expect("read");
    oidc.put_refresh("a1", &grant("grant-a"), t(3600))
        .await
        .expect("stored");
    oidc.put_refresh("b1", &grant("grant-b"), t(3600))
        .await
        .expect("stored");
    assert_eq!(
        oidc.refresh_grant("a1").await.expect("read"),
        Some(grant("grant-a"))
    );
    assert_eq!(oidc.refresh_grant("nope").await.expect("read"), None);
    assert!(!revoked("jti-a", Some("grant-a")).await);

    oidc.revoke_grant("grant-a", t(7200), t(10))
        .await
        .expect("revoked");
    oidc.revoke_grant("grant-a", t(7200), t(10))
        .await
        .expect("twice is fine");
    // its access tokens, whatever their jti, and no other grant's
    assert!(revoked("jti-a", Some("grant-a")).await);
    assert!(revoked("jti-z", Some("grant-a")).await);
    assert!(!revoked("jti-a", None).await);
    assert!(!revoked("jti-b", Some("grant-b")).await);
    // a revoked token of another grant still counts
    oidc.revoke_token("jti-b", t(600), t(10))
        .await
        .expect("revoked");
    assert!(revoked("jti-b", Some("grant-b")).await);
    // its refresh tokens stop, even one stored after the revocation (a
    // concurrent redemption); a refresh token is still known, to revoke
    let reused = RefreshOutcome::Reused {
        family: "grant-a".into(),
    };
    assert_eq!(
        oidc.rotate_refresh("a1", "a2", t(20), t(3620), t(7220))
            .await
            .expect("answered"),
        reused
    );
    oidc.put_refresh("a-late", &grant("grant-a"), t(3600))
        .await
        .expect("stored");
    assert_eq!(
        oidc.rotate_refresh("a-late", "a3", t(30), t(3630), t(7230))
            .await
            .expect("answered"),
        reused
    );
    assert_eq!(
        oidc.refresh_grant("a1").await.expect("read"),
        Some(grant("grant-a"))
    );
    assert_eq!(
        oidc.rotate_refresh("b1", "b2", t(40), t(3640), t(7240))
            .await
            .expect("answered"),
        RefreshOutcome::Rotated(grant("grant-b"))
    );
    // forgotten once every token of it has expired
    oidc.revoke_token("jti-c", t(9000), t(8000))
        .await
        .expect("revoked");
    assert!(!revoked("jti-a", Some("grant-a")).await);
}

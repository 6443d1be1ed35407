//! eID accounts: holders found by their log-in identifier, lock-out,
//! one-time codes accepted once, the audit trail and sessions.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use domain::{PersonalId, Sex};
use identity::{AssuranceLevel, Citizen, Holder, LoginId, SubjectId, Totp, TotpSecret};
use registry::PartialDate;
use store::{Account, AuditEntry, Session, TokenAccount};

use crate::Harness;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0)
        .single()
        .expect("time")
}

pub(crate) fn subject(n: u128) -> SubjectId {
    SubjectId::new(uuid::Uuid::from_u128(n)).expect("not nil")
}

pub(crate) fn citizen(n: u128, pin: &str) -> Account {
    let holder = Citizen::new(
        subject(n),
        PersonalId::parse(pin).expect("pin"),
        PartialDate::parse("2003-05-06").expect("date"),
        Sex::Male,
    )
    .expect("citizen");
    Account {
        holder: Holder::Citizen(holder),
        name: "Nguyễn Văn An".into(),
        level: Some(AssuranceLevel::Level2),
        password: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into()),
        totp: Some(Totp::new(TotpSecret::new(vec![7; 20]).expect("secret"))),
        totp_step: None,
        failures: 0,
        locked_until: None,
        created_at: at(8, 0),
    }
}

pub async fn accounts_are_found_by_subject_and_by_log_in_identifier(h: &Harness) {
    let store = h.open().await;
    let accounts = store.accounts();
    let an = citizen(1, "001203012345");
    assert!(accounts.create_account(&an).await.expect("create"));
    // the same identifier, or the same subject, is not taken twice
    assert!(
        !accounts
            .create_account(&citizen(2, "001203012345"))
            .await
            .expect("dup pin")
    );
    assert!(
        !accounts
            .create_account(&citizen(1, "001203099999"))
            .await
            .expect("dup subject")
    );

    let key = LoginId::parse("001 203 012 345").expect("id").key();
    let found = accounts
        .account_by_login(&key)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found, an);
    assert_eq!(accounts.account(subject(1)).await.expect("read"), Some(an));
    assert_eq!(accounts.account(subject(2)).await.expect("read"), None);
    assert_eq!(
        accounts
            .account_by_login("pin:001203099999")
            .await
            .expect("read"),
        None
    );

    accounts
        .set_password(subject(1), "$argon2id$new")
        .await
        .expect("password");
    accounts.set_totp(subject(1), None).await.expect("totp off");
    let changed = accounts
        .account(subject(1))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(changed.password.as_deref(), Some("$argon2id$new"));
    assert_eq!(changed.totp, None);
    assert!(
        accounts.set_password(subject(9), "x").await.is_err(),
        "no such account"
    );
}

pub async fn a_tokens_account_is_read_with_its_revocation(h: &Harness) {
    let store = h.open().await;
    let accounts = store.accounts();
    let an = citizen(1, "001203012345");
    assert!(accounts.create_account(&an).await.expect("create"));
    assert_eq!(
        accounts
            .token_account(subject(1), "t1", None)
            .await
            .expect("read"),
        TokenAccount::Live(Box::new(an.clone()))
    );
    assert_eq!(
        accounts
            .token_account(subject(2), "t1", None)
            .await
            .expect("read"),
        TokenAccount::NoAccount
    );
    store
        .oidc()
        .revoke_token("t1", at(9, 0), at(8, 0))
        .await
        .expect("revoked");
    assert_eq!(
        accounts
            .token_account(subject(1), "t1", None)
            .await
            .expect("read"),
        TokenAccount::Revoked
    );
    // another token of the same account is still good
    assert_eq!(
        accounts
            .token_account(subject(1), "t2", Some("g1"))
            .await
            .expect("read"),
        TokenAccount::Live(Box::new(an.clone()))
    );
    // a token of a revoked grant is refused, in the same read
    store
        .oidc()
        .revoke_grant("g1", at(9, 0), at(8, 0))
        .await
        .expect("revoked");
    assert_eq!(
        accounts
            .token_account(subject(1), "t2", Some("g1"))
            .await
            .expect("read"),
        TokenAccount::Revoked
    );
    assert_eq!(
        accounts
            .token_account(subject(1), "t3", Some("g2"))
            .await
            .expect("read"),
        TokenAccount::Live(Box::new(an))
    );
    assert_eq!(
        accounts
            .token_account(subject(2), "t3", Some("g1"))
            .await
            .expect("read"),
        TokenAccount::Revoked,
        "revoked, not a missing account"
    );
}

pub async fn failed_log_ins_lock_the_account_and_a_success_resets(h: &Harness) {
    let store = h.open().await;
    let accounts = store.accounts();
    accounts
        .create_account(&citizen(1, "001203012345"))
        .await
        .expect("create");
    let until = at(9, 15);
    for n in 1..=4 {
        let f = accounts
            .login_failed(subject(1), 5, until)
            .await
            .expect("fail");
        assert_eq!((f.failures, f.locked_until), (n, None));
    }
    let f = accounts
        .login_failed(subject(1), 5, until)
        .await
        .expect("fail");
    assert_eq!((f.failures, f.locked_until), (5, Some(until)));
    let stored = accounts
        .account(subject(1))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(stored.locked_until, Some(until));
    accounts.login_succeeded(subject(1)).await.expect("success");
    let stored = accounts
        .account(subject(1))
        .await
        .expect("read")
        .expect("found");
    assert_eq!((stored.failures, stored.locked_until), (0, None));
    assert!(
        accounts.login_failed(subject(7), 5, until).await.is_err(),
        "no such account"
    );

    // concurrent failures each count
    let store: Arc<dyn store::Store> = store;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .accounts()
                    .login_failed(subject(1), 100, until)
                    .await
                    .expect("fail")
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    let stored = store
        .accounts()
        .account(subject(1))
        .await
        .expect("read")
        .expect("found");
    assert_eq!(stored.failures, 8);
}

pub async fn a_one_time_code_step_is_accepted_once(h: &Harness) {
    let store = h.open().await;
    accounts_with_one(&store).await;
    let accounts = store.accounts();
    assert!(
        accounts
            .use_totp_step(subject(1), 100)
            .await
            .expect("first")
    );
    assert!(
        !accounts
            .use_totp_step(subject(1), 100)
            .await
            .expect("replay")
    );
    assert!(!accounts.use_totp_step(subject(1), 99).await.expect("older"));
    assert!(accounts.use_totp_step(subject(1), 101).await.expect("next"));
    // concurrent uses of one step: exactly one wins
    let store: Arc<dyn store::Store> = store;
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.accounts().use_totp_step(subject(1), 200).await })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        if t.await.expect("task").expect("use") {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    // a new factor starts its steps again
    let totp = Totp::new(TotpSecret::new(vec![9; 20]).expect("secret"));
    store
        .accounts()
        .set_totp(subject(1), Some(&totp))
        .await
        .expect("enrol");
    assert!(
        store
            .accounts()
            .use_totp_step(subject(1), 150)
            .await
            .expect("fresh factor")
    );
}

async fn accounts_with_one(store: &Arc<dyn store::Store>) {
    store
        .accounts()
        .create_account(&citizen(1, "001203012345"))
        .await
        .expect("create");
}

pub async fn the_audit_trail_lists_newest_first(h: &Harness) {
    let store = h.open().await;
    let accounts = store.accounts();
    let entry = |m: u32, event: &str| AuditEntry {
        at: at(10, m),
        event: event.into(),
        client: Some("portal".into()),
        detail: format!("event at {m}"),
    };
    for (m, e) in [(1, "login_failed"), (2, "login"), (3, "totp_enrolled")] {
        accounts
            .audit(subject(1), &entry(m, e))
            .await
            .expect("audit");
    }
    accounts
        .audit(subject(2), &entry(4, "login"))
        .await
        .expect("audit");
    let trail = accounts.audit_trail(subject(1), 10).await.expect("trail");
    let events: Vec<&str> = trail.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["totp_enrolled", "login", "login_failed"]);
    assert_eq!(trail[0], entry(3, "totp_enrolled"));
    assert_eq!(
        accounts
            .audit_trail(subject(1), 2)
            .await
            .expect("trail")
            .len(),
        2
    );
}

pub async fn sessions_live_until_they_expire_or_end(h: &Harness) {
    let store = h.open().await;
    let accounts = store.accounts();
    let session = Session {
        subject: subject(1),
        level: AssuranceLevel::Level2,
        auth_time: at(11, 0),
        amr: vec!["pwd".into(), "otp".into()],
    };
    accounts
        .put_session("h1", &session, at(11, 30))
        .await
        .expect("put");
    assert_eq!(
        accounts.session("h1", at(11, 10)).await.expect("read"),
        Some(session.clone())
    );
    assert_eq!(
        accounts.session("h1", at(11, 30)).await.expect("read"),
        None,
        "expired"
    );
    assert_eq!(
        accounts.session("nope", at(11, 10)).await.expect("read"),
        None
    );
    // a later session forgets the ended ones
    let later = Session {
        auth_time: at(12, 0),
        ..session.clone()
    };
    accounts
        .put_session("h2", &later, at(12, 30))
        .await
        .expect("put");
    accounts
        .put_session("h3", &later, at(12, 30))
        .await
        .expect("put");
    assert!(accounts.end_session("h2").await.expect("end"));
    assert!(!accounts.end_session("h2").await.expect("end again"));
    assert!(!accounts.end_session("h1").await.expect("forgotten"));
    assert_eq!(
        accounts.session("h3", at(12, 10)).await.expect("read"),
        Some(later)
    );
}

fn organisation(n: u128, tax: &str, reps: &[u128], head: Option<u128>) -> Account {
    let org = identity::Organisation::new(
        subject(n),
        identity::TaxCode::parse(tax).expect("tax code"),
        false,
        reps.iter().map(|r| subject(*r)).collect(),
        head.map(subject),
        true,
    )
    .expect("organisation");
    Account {
        holder: Holder::Organisation(org),
        name: "Công ty TNHH Sông Hồng".into(),
        level: None,
        password: None,
        totp: None,
        totp_step: None,
        failures: 0,
        locked_until: None,
        created_at: at(8, 0),
    }
}

pub async fn organisations_know_their_people_authorisations_and_legacy_logins(h: &Harness) {
    use chrono::FixedOffset;
    use identity::{Authorisation, Scope};
    let store = h.open().await;
    let accounts = store.accounts();
    let orgs = store.organisations();
    assert!(
        accounts
            .create_account(&organisation(100, "0100109106", &[1, 2], Some(3)))
            .await
            .expect("create")
    );
    assert!(
        accounts
            .create_account(&organisation(101, "0101245486", &[1], None))
            .await
            .expect("create")
    );
    // the same tax code twice: refused, nothing written
    assert!(
        !accounts
            .create_account(&organisation(102, "0100109106", &[9], None))
            .await
            .expect("dup")
    );
    assert_eq!(
        orgs.organisations_of(subject(1)).await.expect("orgs"),
        vec![subject(100), subject(101)]
    );
    assert_eq!(
        orgs.organisations_of(subject(3)).await.expect("orgs"),
        vec![subject(100)]
    );
    assert!(
        orgs.organisations_of(subject(9))
            .await
            .expect("orgs")
            .is_empty()
    );

    let Holder::Organisation(org) = organisation(100, "0100109106", &[1, 2], Some(3)).holder else {
        unreachable!("an organisation")
    };
    let vn = FixedOffset::east_opt(7 * 3600).expect("offset");
    let from = at(8, 0).with_timezone(&vn);
    let mut a = Authorisation::new(
        uuid::Uuid::from_u128(7),
        &org,
        subject(5),
        Scope::AllServices,
        from,
        from + chrono::Duration::days(30),
    )
    .expect("authorisation");
    orgs.put_authorisation(&a).await.expect("put");
    a.consent(&org, subject(1), from).expect("consent");
    orgs.put_authorisation(&a).await.expect("update");
    assert_eq!(
        orgs.authorisation(a.id()).await.expect("read"),
        Some(a.clone())
    );
    assert_eq!(
        orgs.authorisations_of(subject(5)).await.expect("read"),
        vec![a.clone()]
    );
    assert_eq!(
        orgs.authorisations_by(subject(100)).await.expect("read"),
        vec![a]
    );
    assert!(
        orgs.authorisations_of(subject(1))
            .await
            .expect("read")
            .is_empty()
    );

    let legacy = store::LegacyLogin {
        login_key: "legacy:songhong".into(),
        organisation: subject(100),
        password: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    };
    assert!(orgs.put_legacy(&legacy).await.expect("import"));
    assert!(
        !orgs.put_legacy(&legacy).await.expect("again"),
        "a username is imported once"
    );
    assert_eq!(
        orgs.legacy("legacy:songhong").await.expect("read"),
        Some(legacy)
    );
    assert_eq!(orgs.legacy("legacy:other").await.expect("read"), None);
}

pub async fn consents_are_remembered_per_client(h: &Harness) {
    let store = h.open().await;
    let accounts = store.accounts();
    let scopes = |list: &[&str]| -> std::collections::BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    };
    assert_eq!(
        accounts
            .consented_scopes(subject(1), "bhxh")
            .await
            .expect("read"),
        None
    );
    accounts
        .give_consent(subject(1), "bhxh", &scopes(&["openid", "pid"]), at(9, 0))
        .await
        .expect("give");
    accounts
        .give_consent(
            subject(1),
            "bhxh",
            &scopes(&["openid", "pid", "address"]),
            at(9, 5),
        )
        .await
        .expect("widen");
    accounts
        .give_consent(subject(2), "bhxh", &scopes(&["openid"]), at(9, 5))
        .await
        .expect("another person");
    assert_eq!(
        accounts
            .consented_scopes(subject(1), "bhxh")
            .await
            .expect("read"),
        Some(scopes(&["address", "openid", "pid"]))
    );
    assert_eq!(
        accounts
            .consented_scopes(subject(1), "other")
            .await
            .expect("read"),
        None
    );
}

pub async fn passkeys_and_their_challenges(h: &Harness) {
    use identity::webauthn::Passkey;
    let store = h.open().await;
    let accounts = store.accounts();
    // a P-256 COSE key (RFC 9053 §7.1.1): kty EC2, alg ES256, crv P-256, x, y
    let point = p256::ecdsa::SigningKey::from_slice(&[7; 32])
        .expect("a P-256 scalar")
        .verifying_key()
        .to_encoded_point(false);
    let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    cose.extend_from_slice(point.x().expect("x"));
    cose.extend_from_slice(&[0x22, 0x58, 0x20]);
    cose.extend_from_slice(point.y().expect("y"));
    let key = Passkey::from_cose_key(&[1, 2, 3], &cose, 0).expect("a passkey");
    assert!(
        accounts
            .add_passkey(subject(1), &key, at(9, 0))
            .await
            .expect("add")
    );
    assert!(
        !accounts
            .add_passkey(subject(2), &key, at(9, 0))
            .await
            .expect("taken")
    );
    // kept in the library's form: read back as it was registered
    let registered = Passkey::from_stored(&key.to_stored().expect("stored")).expect("read");
    assert_eq!(
        accounts.passkeys_of(subject(1)).await.expect("list"),
        vec![registered.clone()]
    );
    assert_eq!(
        accounts.passkey(&[1, 2, 3]).await.expect("read"),
        Some((subject(1), registered.clone()))
    );
    assert_eq!(accounts.passkey(&[9]).await.expect("read"), None);
    // the counter moves only from what was seen
    let used = Passkey::from_cose_key(&[1, 2, 3], &cose, 4).expect("a passkey");
    assert!(accounts.use_passkey(&used, 0, at(9, 1)).await.expect("use"));
    let again = Passkey::from_cose_key(&[1, 2, 3], &cose, 5).expect("a passkey");
    assert!(
        !accounts
            .use_passkey(&again, 0, at(9, 2))
            .await
            .expect("stale")
    );
    assert_eq!(
        accounts
            .passkey(&[1, 2, 3])
            .await
            .expect("read")
            .map(|(_, k)| k.sign_count()),
        Some(4)
    );
    // a passkey kept before the library checked them: its COSE key only
    {
        use base64::Engine as _;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        h.execute(&format!(
            "INSERT INTO eid_passkeys (credential_id, subject, public_key, sign_count, created_ns) \
             VALUES ('{}', '{}', '{}', 2, 0)",
            b64(&[4, 5, 6]),
            subject(3),
            b64(&cose)
        ))
        .await;
    }
    let kept = Passkey::from_cose_key(&[4, 5, 6], &cose, 2).expect("a passkey");
    assert_eq!(
        accounts.passkey(&[4, 5, 6]).await.expect("read"),
        Some((subject(3), kept.clone()))
    );
    assert_eq!(
        accounts.passkeys_of(subject(3)).await.expect("list"),
        vec![kept]
    );
    // its first use keeps it in the library's form
    let first_use = Passkey::from_cose_key(&[4, 5, 6], &cose, 3).expect("a passkey");
    assert!(
        accounts
            .use_passkey(&first_use, 2, at(9, 3))
            .await
            .expect("use")
    );
    let now_stored = Passkey::from_stored(&first_use.to_stored().expect("stored")).expect("read");
    assert_eq!(
        accounts.passkey(&[4, 5, 6]).await.expect("read"),
        Some((subject(3), now_stored))
    );
    // challenges: taken once, not after they expire
    let later = Utc::now() + chrono::Duration::minutes(5);
    accounts
        .put_challenge("ch1", "login", None, b"abc", later)
        .await
        .expect("put");
    accounts
        .put_challenge("ch2", "register", Some(subject(1)), b"def", later)
        .await
        .expect("put");
    assert_eq!(
        accounts
            .take_challenge("ch1", Utc::now())
            .await
            .expect("take"),
        Some(("login".into(), None, b"abc".to_vec()))
    );
    assert_eq!(
        accounts
            .take_challenge("ch1", Utc::now())
            .await
            .expect("again"),
        None
    );
    assert_eq!(
        accounts
            .take_challenge("ch2", later)
            .await
            .expect("expired"),
        None
    );
}

pub async fn applications_are_queued_by_deadline_and_keep_their_history(h: &Harness) {
    use chrono::FixedOffset;
    use identity::{Application, ApplicationEvent, ApplicationKind};
    let store = h.open().await;
    let accounts = store.accounts();
    let vn = FixedOffset::east_opt(7 * 3600).expect("offset");
    let citizen_holder = |n: u128, pin: &str| citizen(n, pin).holder;
    let make = |n: u128, pin: &str, due_day: u32| store::StoredApplication {
        id: uuid::Uuid::from_u128(n),
        holder: citizen_holder(n, pin),
        name: format!("Người {n}"),
        password: "$argon2id$x".into(),
        application: Application::submit(
            ApplicationKind::Citizen {
                level: AssuranceLevel::Level2,
            },
            at(8, 0).with_timezone(&vn),
        ),
        due: Utc
            .with_ymd_and_hms(2026, 3, due_day, 10, 0, 0)
            .single()
            .expect("time")
            .with_timezone(&vn),
    };
    let late = make(1, "001203012345", 5);
    let early = make(2, "001203012346", 3);
    accounts.put_application(&late).await.expect("put");
    accounts.put_application(&early).await.expect("put");
    let open = accounts.applications(None, 10).await.expect("list");
    assert_eq!(
        open.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![early.id, late.id]
    );
    // a transition is stored with its history
    let mut verifying = late.clone();
    verifying
        .application
        .apply(
            ApplicationEvent::StartVerification,
            at(9, 0).with_timezone(&vn),
        )
        .expect("lawful");
    accounts.put_application(&verifying).await.expect("update");
    assert_eq!(
        accounts.application(late.id).await.expect("read"),
        Some(verifying.clone())
    );
    let listed = accounts
        .applications(Some("verifying"), 10)
        .await
        .expect("list");
    assert_eq!(listed, vec![verifying]);
    assert_eq!(
        accounts
            .applications(Some("submitted"), 10)
            .await
            .expect("list"),
        vec![early]
    );
    assert_eq!(
        accounts
            .application(uuid::Uuid::from_u128(9))
            .await
            .expect("read"),
        None
    );
}

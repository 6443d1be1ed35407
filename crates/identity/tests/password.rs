//! Password hashes (argon2id, PHC strings).

use identity::password::{MAX_CHARS, Params, PasswordError, PasswordHash};

/// Made by argon2-cffi 25.1.0 (the reference C implementation):
/// `PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1,
/// hash_len=32, salt_len=16, type=Type.ID).hash("Mật khẩu của Lan 2026")`.
const CFFI_DEFAULT: &str = "$argon2id$v=19$m=19456,t=2,p=1$opMPCli5T2OHXp0KBo2qgQ$gj92e/Qbb3Wrb0ORil+8rhcEs30NJ7M7qPtsO71gfS8";
/// The same library with `time_cost=3, memory_cost=8192, parallelism=2`,
/// password "correct horse battery".
const CFFI_OTHER: &str = "$argon2id$v=19$m=8192,t=3,p=2$fULDQUEPxtQp2so7A2IcgA$58NShi8aPqIYQnBJXPAahWOMBYYly6vCD2KBiam85Y0";

#[test]
fn hashes_made_by_the_reference_implementation_verify() {
    let h = PasswordHash::from_phc(CFFI_DEFAULT).expect("read");
    assert_eq!(h.params(), Params::DEFAULT);
    assert!(h.verify("Mật khẩu của Lan 2026"));
    assert!(!h.verify("Mat khau cua Lan 2026"), "diacritics count");
    assert!(!h.verify("Mật khẩu của Lan 2025"));
    assert!(!h.needs_rehash(Params::DEFAULT));
    assert_eq!(h.to_phc(), CFFI_DEFAULT, "written back byte for byte");

    let other = PasswordHash::from_phc(CFFI_OTHER).expect("read");
    assert!(other.verify("correct horse battery"));
    assert!(other.needs_rehash(Params::DEFAULT));
}

#[test]
fn a_new_hash_verifies_and_round_trips() {
    let cheap = Params {
        m_kib: 1024,
        t: 1,
        p: 1,
    };
    let h = PasswordHash::new("hai chữ số 42!", &[3; 16], cheap).expect("hashed");
    assert!(h.verify("hai chữ số 42!"));
    assert!(!h.verify("hai chữ số 43!"));
    let phc = h.to_phc();
    assert!(phc.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{phc}");
    assert_eq!(PasswordHash::from_phc(&phc).expect("read"), h);
    // the same password and salt give the same hash; another salt another
    let again = PasswordHash::new("hai chữ số 42!", &[3; 16], cheap).expect("hashed");
    assert_eq!(again.to_phc(), phc);
    let salted = PasswordHash::new("hai chữ số 42!", &[4; 16], cheap).expect("hashed");
    assert_ne!(salted.to_phc(), phc);
    assert!(
        !format!("{h:?}").contains(&phc[30..]),
        "no hash in debug output"
    );
}

#[test]
fn passwords_have_a_bounded_length() {
    let cheap = Params {
        m_kib: 1024,
        t: 1,
        p: 1,
    };
    assert_eq!(
        PasswordHash::new("7 chars", &[1; 16], cheap),
        Err(PasswordError::Length)
    );
    let long = "x".repeat(MAX_CHARS + 1);
    assert_eq!(
        PasswordHash::new(&long, &[1; 16], cheap),
        Err(PasswordError::Length)
    );
    // eight characters, not eight bytes
    assert!(PasswordHash::new("mật khẩu", &[1; 16], cheap).is_ok());
    let h = PasswordHash::new("12345678", &[1; 16], cheap).expect("hashed");
    assert!(!h.verify(&long));
}

#[test]
fn malformed_stored_hashes_are_refused() {
    let ok = CFFI_DEFAULT;
    for bad in [
        "",
        "argon2id$v=19$m=19456,t=2,p=1$opMPCli5T2OHXp0KBo2qgQ$gj92e",
        "$argon2i$v=19$m=19456,t=2,p=1$opMPCli5T2OHXp0KBo2qgQ$gj92e/Qbb3Wrb0ORil+8rhcEs30NJ7M7qPtsO71gfS8",
        "$argon2id$v=16$m=19456,t=2,p=1$opMPCli5T2OHXp0KBo2qgQ$gj92e/Qbb3Wrb0ORil+8rhcEs30NJ7M7qPtsO71gfS8",
        "$argon2id$v=19$m=19456,t=2$opMPCli5T2OHXp0KBo2qgQ$gj92e/Qbb3Wrb0ORil+8rhcEs30NJ7M7qPtsO71gfS8",
        "$argon2id$v=19$m=19456,t=2,p=1,p=1$opMPCli5T2OHXp0KBo2qgQ$gj92e/Qbb3Wrb0ORil+8rhcEs30NJ7M7qPtsO71gfS8",
        "$argon2id$v=19$m=x,t=2,p=1$opMPCli5T2OHXp0KBo2qgQ$gj92e/Qbb3Wrb0ORil+8rhcEs30NJ7M7qPtsO71gfS8",
        "$argon2id$v=19$m=19456,t=2,p=1$!!$gj92e/Qbb3Wrb0ORil+8rhcEs30NJ7M7qPtsO71gfS8",
        "$argon2id$v=19$m=19456,t=2,p=1$opMPCli5T2OHXp0KBo2qgQ$gj92e",
        "$argon2id$v=19$m=1,t=2,p=1$opMPCli5T2OHXp0KBo2qgQ$gj92e/Qbb3Wrb0ORil+8rhcEs30NJ7M7qPtsO71gfS8",
        &format!("{ok}$extra"),
    ] {
        assert!(PasswordHash::from_phc(bad).is_err(), "{bad:?}");
    }
}

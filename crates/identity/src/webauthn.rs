//! Passkeys (WebAuthn, W3C): registering a person's authenticator and
//! checking its assertions, by the `webauthn-rs` library (its core crate,
//! `webauthn-rs-core`, the one Kanidm builds on). A passkey whose
//! authenticator verified the person (`UV`: a PIN or biometrics on the
//! device) is a phishing-resistant log-in on its own: the browser binds
//! every signature to this provider's origin, so a look-alike site gets
//! nothing it can use.
//!
//! What this provider asks for, and the library checks: user verification
//! required at registration and at every log-in; ES256 (P-256) or EdDSA
//! (Ed25519) credential keys; a discoverable credential (the person is
//! found from the passkey, no name typed); the attestation the browser
//! gives (`none` is asked for: the authenticator's make is not needed),
//! parsed and verified by the library. At each log-in the library checks
//! the client data, the relying party, the signature, the signature counter
//! (it must go up once the authenticator keeps one) and the backup flags (a
//! device-bound passkey may not turn into a synchronised one).
//!
//! Pure: the challenges are drawn by the caller, through
//! [`Verifier::library`] (the library draws them from the operating
//! system); here the ceremony is set up and its answer checked.

use serde::{Deserialize, Serialize};
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::error::WebauthnError as LibraryError;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AttestationFormat, AuthenticationState, COSEAlgorithm,
    COSEKey, CredProtect, Credential, CredentialProtectionPolicy, ParsedAttestation,
    PublicKeyCredential, RegisterPublicKeyCredential, RegisteredExtensions, RegistrationState,
    RequestAuthenticationExtensions, RequestRegistrationExtensions, UserVerificationPolicy,
};

pub use webauthn_rs_core::{ChallengeAuthenticateBuilder, ChallengeRegisterBuilder};

/// The credential algorithms asked for: ES256 and EdDSA.
pub const ALGORITHMS: [COSEAlgorithm; 2] = [COSEAlgorithm::ES256, COSEAlgorithm::EDDSA];

/// How long a browser waits for the authenticator.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Why a registration or an assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebauthnError {
    /// A part does not have the shape WebAuthn gives it.
    #[error("the authenticator's answer is malformed: {0}")]
    Malformed(String),
    /// Not the ceremony expected (`webauthn.create` / `webauthn.get`).
    #[error("the answer is for another ceremony")]
    Type,
    /// The challenge is not the one this provider issued.
    #[error("the answer is for another challenge")]
    Challenge,
    /// Made for another site.
    #[error("the answer was made for another site")]
    Origin,
    /// The authenticator's relying-party id is not this provider's.
    #[error("the authenticator answered for another relying party")]
    RpId,
    /// The person was not present, or not verified on the device.
    #[error("the authenticator did not verify the person (a PIN or biometrics is needed)")]
    NotVerified,
    /// The attestation statement does not verify.
    #[error("the authenticator's attestation does not verify: {0}")]
    Attestation(String),
    /// A key type or algorithm this provider does not accept, or a
    /// credential it asked not to be made again (the library tells them
    /// apart no further).
    #[error(
        "the authenticator made another credential than asked for: an ES256 or EdDSA key, not one registered already"
    )]
    KeyType,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    Signature,
    /// The signature counter did not go up: the credential may be cloned.
    #[error("the authenticator's counter did not go up: the passkey may have been copied")]
    Counter,
    /// The backup flags changed in a way a genuine authenticator does not.
    #[error(
        "the passkey's backup state is not the one it was registered with: remove it and add it again"
    )]
    Backup,
    /// The passkey belongs to another account than its answer names.
    #[error("the passkey does not belong to the account it names")]
    User,
    /// The relying party cannot be set up (an issuer that is not a domain).
    #[error("passkeys need the issuer to be a domain name: {0}")]
    Configuration(String),
    /// The library refused for another reason.
    #[error("the passkey was refused: {0}")]
    Refused(String),
}

impl From<LibraryError> for WebauthnError {
    fn from(e: LibraryError) -> Self {
        use LibraryError as L;
        match e {
            L::InvalidClientDataType => WebauthnError::Type,
            L::MismatchedChallenge | L::ChallengeNotFound => WebauthnError::Challenge,
            L::InvalidRPOrigin | L::CredentialCrossOrigin => WebauthnError::Origin,
            L::InvalidRPIDHash => WebauthnError::RpId,
            L::UserNotPresent | L::UserNotVerified => WebauthnError::NotVerified,
            L::COSEKeyInvalidType
            | L::COSEKeyInvalidAlgorithm
            | L::COSEKeyEDUnsupported
            | L::COSEKeyECDSAXYInvalid
            | L::COSEKeyRSANEInvalid
            | L::COSEKeyECDSAInvalidCurve
            | L::COSEKeyEDDSAXInvalid
            | L::COSEKeyEDDSAInvalidCurve
            | L::CredentialAlteredAlgFromRequest
            | L::CredentialInsecureCryptography => WebauthnError::KeyType,
            L::AuthenticationFailure => WebauthnError::Signature,
            L::CredentialPossibleCompromise => WebauthnError::Counter,
            L::CredentialBackupEligibilityInconsistent | L::CredentialMayNotBeHardwareBound => {
                WebauthnError::Backup
            }
            L::ParseBase64Failure(_)
            | L::ParseCBORFailure(_)
            | L::ParseJSONFailure(_)
            | L::ParseNOMFailure
            | L::ParseInsufficientBytesAvailable
            | L::COSEKeyInvalidCBORValue
            | L::MissingAttestationCredentialData => WebauthnError::Malformed(e.to_string()),
            L::Configuration => WebauthnError::Configuration(e.to_string()),
            // the library's attestation errors are the variants named so
            e if format!("{e:?}").starts_with("Attestation") => {
                WebauthnError::Attestation(e.to_string())
            }
            e => WebauthnError::Refused(e.to_string()),
        }
    }
}

/// This provider as a WebAuthn relying party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP id: the issuer's host name.
    pub id: String,
    /// The origin the browser reports: `scheme://host[:port]`.
    pub origin: String,
}

impl RelyingParty {
    /// The relying party of an issuer URL (`https://host[:port]/…`).
    pub fn of_issuer(issuer: &str) -> Option<Self> {
        let (scheme, rest) = issuer.split_once("://")?;
        let authority = rest.split('/').next()?;
        let host = match authority.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => authority,
        };
        (!host.is_empty()).then(|| RelyingParty {
            id: host.to_string(),
            origin: format!("{scheme}://{authority}"),
        })
    }

    /// The library set up for this relying party: its one origin, exactly
    /// (no subdomain, no other port). An issuer whose host is an IP address
    /// has none (WebAuthn needs a domain name).
    pub fn verifier(&self) -> Result<Verifier, WebauthnError> {
        let origin = url::Url::parse(&self.origin)
            .map_err(|e| WebauthnError::Configuration(e.to_string()))?;
        if origin.domain() != Some(self.id.as_str()) {
            return Err(WebauthnError::Configuration(format!(
                "{} is not a domain name",
                self.id
            )));
        }
        Ok(Verifier {
            core: WebauthnCore::new_unsafe_experts_only(
                "motcua eID",
                &self.id,
                vec![origin],
                TIMEOUT,
                Some(false),
                Some(false),
            ),
        })
    }
}

/// The library, for one relying party.
#[derive(Debug)]
pub struct Verifier {
    core: WebauthnCore,
}

/// A registered passkey, as kept: the library's credential (key, counter,
/// backup flags, the policy it was registered under).
#[derive(Debug, Clone)]
pub struct Passkey {
    credential: Credential,
    /// Kept before the library checked passkeys: the backup flags were not
    /// recorded, and are learnt at its first log-in.
    flags_unknown: bool,
}

/// The stored form: the same JSON as `webauthn_rs::prelude::Passkey`.
#[derive(Serialize, Deserialize)]
struct Stored {
    cred: Credential,
}

impl Passkey {
    /// The credential id.
    pub fn credential_id(&self) -> &[u8] {
        self.credential.cred_id.as_ref()
    }

    /// The signature counter last seen (0: the authenticator keeps none).
    pub fn sign_count(&self) -> u32 {
        self.credential.counter
    }

    /// The form to store (JSON).
    pub fn to_stored(&self) -> Result<String, WebauthnError> {
        serde_json::to_string(&Stored {
            cred: self.credential.clone(),
        })
        .map_err(|e| WebauthnError::Malformed(e.to_string()))
    }

    /// A passkey from [`Passkey::to_stored`]'s form.
    pub fn from_stored(text: &str) -> Result<Self, WebauthnError> {
        let stored: Stored =
            serde_json::from_str(text).map_err(|e| WebauthnError::Malformed(e.to_string()))?;
        Ok(Passkey {
            credential: stored.cred,
            flags_unknown: false,
        })
    }

    /// A passkey kept before the library checked them: its credential id,
    /// its COSE public key (CBOR) and its counter. It was registered with
    /// user verification required; its backup flags are taken from its
    /// first log-in.
    pub fn from_cose_key(
        credential_id: &[u8],
        cose_key: &[u8],
        sign_count: u32,
    ) -> Result<Self, WebauthnError> {
        let value: serde_cbor_2::Value = serde_cbor_2::from_slice(cose_key)
            .map_err(|e| WebauthnError::Malformed(format!("COSE key: {e}")))?;
        let key = COSEKey::try_from(&value)?;
        if !ALGORITHMS.contains(&key.type_) {
            return Err(WebauthnError::KeyType);
        }
        Ok(Passkey {
            credential: Credential {
                cred_id: credential_id.to_vec().into(),
                cred: key,
                counter: sign_count,
                transports: None,
                user_verified: true,
                backup_eligible: false,
                backup_state: false,
                registration_policy: UserVerificationPolicy::Required,
                extensions: RegisteredExtensions::none(),
                attestation: ParsedAttestation::default(),
                attestation_format: AttestationFormat::None,
            },
            flags_unknown: true,
        })
    }
}

impl PartialEq for Passkey {
    fn eq(&self, other: &Self) -> bool {
        self.flags_unknown == other.flags_unknown
            && self
                .to_stored()
                .ok()
                .is_some_and(|a| other.to_stored().ok() == Some(a))
    }
}

/// An assertion (`navigator.credentials.get`) as the browser gave it.
#[derive(Debug, Clone)]
pub struct Assertion {
    credential: PublicKeyCredential,
}

impl Assertion {
    /// Reads a `PublicKeyCredential` in its JSON form (binary members in
    /// base64url).
    pub fn from_json(json: serde_json::Value) -> Result<Self, WebauthnError> {
        serde_json::from_value(json)
            .map(|credential| Assertion { credential })
            .map_err(|e| WebauthnError::Malformed(e.to_string()))
    }

    /// The credential id it was made with (to find the passkey).
    pub fn credential_id(&self) -> &[u8] {
        self.credential.raw_id.as_ref()
    }
}

impl Verifier {
    /// The library itself: its `generate_challenge_*` draw the challenge of
    /// a ceremony set up by [`Verifier::registration`] or
    /// [`Verifier::login`].
    pub fn library(&self) -> &WebauthnCore {
        &self.core
    }

    /// A registration for the person `user` (their stable id), shown as
    /// `name` (the log-in identifier) and `display_name`, excluding the
    /// passkeys they hold already: user verification required, a
    /// discoverable credential, ES256 or EdDSA, no attestation asked.
    pub fn registration(
        &self,
        user: uuid::Uuid,
        name: &str,
        display_name: &str,
        registered: &[Passkey],
    ) -> Result<ChallengeRegisterBuilder, WebauthnError> {
        let extensions = RequestRegistrationExtensions {
            cred_protect: Some(CredProtect {
                credential_protection_policy: CredentialProtectionPolicy::UserVerificationRequired,
                enforce_credential_protection_policy: Some(false),
            }),
            uvm: Some(true),
            cred_props: Some(true),
            min_pin_length: None,
            hmac_create_secret: None,
        };
        let exclude = registered
            .iter()
            .map(|p| p.credential.cred_id.clone())
            .collect::<Vec<_>>();
        Ok(self
            .core
            .new_challenge_register_builder(user.as_bytes(), name, display_name)?
            .attestation(AttestationConveyancePreference::None)
            .credential_algorithms(ALGORITHMS.to_vec())
            .require_resident_key(true)
            .authenticator_attachment(None)
            .user_verification_policy(UserVerificationPolicy::Required)
            .reject_synchronised_authenticators(false)
            .exclude_credentials((!exclude.is_empty()).then_some(exclude))
            .extensions(Some(extensions)))
    }

    /// Checks a registration's answer (a `RegisterPublicKeyCredential` in
    /// its JSON form) against its `state` (as the library serialised it
    /// when the challenge was drawn): the new passkey.
    pub fn finish_registration(
        &self,
        state: &[u8],
        answer: serde_json::Value,
    ) -> Result<Passkey, WebauthnError> {
        let state: RegistrationState = serde_json::from_slice(state)
            .map_err(|e| WebauthnError::Malformed(format!("registration state: {e}")))?;
        let answer: RegisterPublicKeyCredential =
            serde_json::from_value(answer).map_err(|e| WebauthnError::Malformed(e.to_string()))?;
        let credential = self.core.register_credential(&answer, &state, None)?;
        Ok(Passkey {
            credential,
            flags_unknown: false,
        })
    }

    /// A log-in with any passkey of this relying party (the authenticator
    /// offers the person's; no name typed), user verification required.
    pub fn login(&self) -> Result<ChallengeAuthenticateBuilder, WebauthnError> {
        Ok(self
            .core
            .new_challenge_authenticate_builder(Vec::new(), Some(UserVerificationPolicy::Required))?
            .extensions(Some(RequestAuthenticationExtensions {
                appid: None,
                uvm: Some(true),
                hmac_get_secret: None,
            }))
            .allow_backup_eligible_upgrade(false))
    }

    /// Checks a log-in's `assertion` against its `state` (as the library
    /// serialised it) and the `passkey` its credential id names, held by
    /// `holder` (whom the assertion's user handle must name): the passkey
    /// with its new counter and backup state, to keep.
    pub fn finish_login(
        &self,
        state: &[u8],
        assertion: &Assertion,
        holder: uuid::Uuid,
        passkey: &Passkey,
    ) -> Result<Passkey, WebauthnError> {
        let mut state: AuthenticationState = serde_json::from_slice(state)
            .map_err(|e| WebauthnError::Malformed(format!("authentication state: {e}")))?;
        if assertion.credential.get_user_unique_id() != Some(holder.as_bytes().as_slice()) {
            return Err(WebauthnError::User);
        }
        let checked = self.authenticate(&mut state, assertion, passkey.credential.clone());
        match checked {
            Err(WebauthnError::Backup) if passkey.flags_unknown => {
                // kept before the flags were recorded: a synchronised passkey
                // shows itself at its first log-in
                let mut synchronised = passkey.credential.clone();
                synchronised.backup_eligible = true;
                synchronised.backup_state = true;
                self.authenticate(&mut state, assertion, synchronised)
            }
            checked => checked,
        }
    }

    fn authenticate(
        &self,
        state: &mut AuthenticationState,
        assertion: &Assertion,
        mut credential: Credential,
    ) -> Result<Passkey, WebauthnError> {
        state.set_allowed_credentials(vec![credential.clone()]);
        let result = self
            .core
            .authenticate_credential(&assertion.credential, state)?;
        credential.counter = credential.counter.max(result.counter());
        credential.backup_eligible = result.backup_eligible();
        credential.backup_state = result.backup_state();
        Ok(Passkey {
            credential,
            flags_unknown: false,
        })
    }
}

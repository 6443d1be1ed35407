//! The exchange node this server runs: the provider's own member id and
//! signing key (the population registry), the key ring of the members'
//! public keys, the policy (services and access rights) and the message
//! log's single writer, which commits the entries of concurrent requests
//! together.
//!
//! Configuration: one JSON file (`NodeConfig`, alias `DemoConfig`) naming
//! the provider, the log operator, the consumers, the access rights and
//! the checkpoint interval. Without one, a demonstration set is created on
//! first start under `DATA_DIR/exchange/demo.json`, holding the seeds of
//! every demo member's key so that tests and demos can sign as them. A
//! production node is given its own file (`serve --exchange-config`): the
//! seeds of its own two keys (provider and operator), and only the public
//! key of each consumer. The file must be readable by its owner only; the
//! seeds are never logged.
//!
//! The log operator signs the log's head after every commit; each answer
//! carries it (`x-log-head`), and a node started with a head file
//! ([`ExchangeNode::start_with_head_file`], `DATA_DIR/exchange/head.json`
//! for `motcua serve`) keeps the latest there, outside its database, and
//! refuses to start on a log that no longer holds it.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use exchange::{
    AccessRight, KeyId, KeyRing, Member, MemberId, MemberKey, MemberKind, Policy, RegisteredKey,
    population_registry_services,
};
use serde::{Deserialize, Serialize};

use super::head::{self, HeadFile};
use super::writer::LogHandle;

/// The provider the demo node serves as.
pub const DEMO_PROVIDER: &str = "VN/GOV/BCA/registry";
/// The demo log operator.
pub const DEMO_OPERATOR: &str = "VN/GOV/BCA/exchange";
/// A demo consumer with rights resting on a legal basis.
pub const DEMO_HCC: &str = "VN/GOV/000.00.00.H29/hcc";
/// A demo consumer whose right rests on the person's consent.
pub const DEMO_BANK: &str = "VN/COM/0100112437/kyc";
/// A demo subscriber to vital events (`events.subscribe`): the social
/// insurance agency's pensions, told of deaths to stop pensions.
pub const DEMO_PENSIONS: &str = "VN/GOV/BHXH/pensions";
/// How many entries between two signed checkpoints.
pub const CHECKPOINT_EVERY: u64 = 16;
/// The purpose the portal reads the registry under to pre-fill forms.
pub const PREFILL_PURPOSE: &str = "dossier-prefill";
/// Its legal basis.
pub const PREFILL_BASIS: &str = "ND-45/2020";

/// One member of the node's configuration with its key: the seed where
/// this node signs as the member (its own provider and operator, every demo
/// member), else only the public key.
#[derive(Clone, Serialize, Deserialize)]
pub struct DemoMember {
    /// The member.
    pub member: Member,
    /// Its key id.
    pub key_id: String,
    /// The hex seed of its Ed25519 key (a secret: never logged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// The hex Ed25519 public key, for a member whose seed this node does
    /// not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// The keys it signed with before, each with when it stopped: what
    /// they signed while in force (a result's seal) still verifies, and
    /// nothing they sign after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retired: Vec<RetiredKey>,
}

/// A member's key no longer in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredKey {
    /// Its key id.
    pub key_id: String,
    /// The hex Ed25519 public key (the seed is not kept).
    pub public_key: String,
    /// Signatures made from this instant on are refused.
    pub retired_at: DateTime<Utc>,
}

/// The node's configuration file (the demonstration one is a special case).
pub type NodeConfig = DemoConfig;

impl std::fmt::Debug for DemoMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoMember")
            .field("member", &self.member)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl DemoMember {
    /// Its signing key, when this node holds a well-formed seed.
    pub fn key(&self) -> Option<MemberKey> {
        let seed = from_hex(self.seed.as_deref()?)?;
        Some(MemberKey::from_seed(
            self.member.id.clone(),
            KeyId(self.key_id.clone()),
            seed,
        ))
    }

    /// Its public key: from the seed, or as given; both given must agree.
    pub fn public(&self) -> Result<exchange::PublicKey, String> {
        let id = self.member.id.as_str();
        let given = match &self.public_key {
            None => None,
            Some(hex) => {
                let bytes = from_hex(hex)
                    .ok_or_else(|| format!("the public key of {id} is not 64 hex digits"))?;
                Some(
                    exchange::PublicKey::from_bytes(&bytes)
                        .map_err(|_| format!("the public key of {id} is not an Ed25519 key"))?,
                )
            }
        };
        let derived = match &self.seed {
            None => None,
            Some(_) => Some(
                self.key()
                    .ok_or_else(|| format!("the key seed of {id} is not 64 hex digits"))?
                    .public(),
            ),
        };
        match (derived, given) {
            (Some(d), Some(g)) if d != g => Err(format!(
                "the public key of {id} does not belong to its seed"
            )),
            (Some(d), _) => Ok(d),
            (None, Some(g)) => Ok(g),
            (None, None) => Err(format!("{id} has neither a key seed nor a public key")),
        }
    }

    /// Replaces the key this node signs with as the member by a new random
    /// one from `at` on: the old key is kept by its public key alone,
    /// retired at `at`. The new key's id is the old one's with the
    /// rotation's time (`…@20261207T1100Z`).
    pub fn rotate(&mut self, at: DateTime<Utc>) -> Result<(), ConfigError> {
        let id = self.member.id.to_string();
        if self.seed.is_none() {
            return Err(ConfigError::Invalid {
                path: "(rotation)".into(),
                reason: format!("this node does not hold the key of {id}: its owner rotates it"),
            });
        }
        let old = self.public().map_err(|reason| ConfigError::Invalid {
            path: "(rotation)".into(),
            reason,
        })?;
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| ConfigError::Random(e.to_string()))?;
        let base = self
            .key_id
            .split('@')
            .next()
            .unwrap_or(&self.key_id)
            .to_string();
        let key_id = format!("{base}@{}", at.format("%Y%m%dT%H%M%SZ"));
        if key_id == self.key_id || self.retired.iter().any(|r| r.key_id == key_id) {
            return Err(ConfigError::Invalid {
                path: "(rotation)".into(),
                reason: format!("the key of {id} was rotated this very second: wait one"),
            });
        }
        self.retired.push(RetiredKey {
            key_id: std::mem::replace(&mut self.key_id, key_id),
            public_key: to_hex(&old.to_bytes()),
            retired_at: at,
        });
        self.seed = Some(to_hex(&seed));
        self.public_key = None;
        Ok(())
    }

    /// Its keys as the key ring holds them: the current one, and the
    /// retired ones until their retirement.
    pub fn registered(&self) -> Result<Vec<RegisteredKey>, String> {
        let id = self.member.id.as_str();
        let mut keys = vec![RegisteredKey {
            key_id: KeyId(self.key_id.clone()),
            member: self.member.id.clone(),
            key: self.public()?,
            valid_from: DateTime::<Utc>::MIN_UTC,
            valid_until: None,
        }];
        for r in &self.retired {
            let key = from_hex(&r.public_key)
                .and_then(|b| exchange::PublicKey::from_bytes(&b).ok())
                .ok_or_else(|| {
                    format!(
                        "the retired key {} of {id} is not an Ed25519 public key in 64 hex digits",
                        r.key_id
                    )
                })?;
            keys.push(RegisteredKey {
                key_id: KeyId(r.key_id.clone()),
                member: self.member.id.clone(),
                key,
                valid_from: DateTime::<Utc>::MIN_UTC,
                valid_until: Some(r.retired_at),
            });
        }
        Ok(keys)
    }
}

/// The demo configuration persisted under `DATA_DIR/exchange/demo.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoConfig {
    /// The provider (the population registry).
    pub provider: DemoMember,
    /// The log operator.
    pub operator: DemoMember,
    /// The consumers.
    pub consumers: Vec<DemoMember>,
    /// The access rights.
    pub rights: Vec<AccessRight>,
    /// Entries between checkpoints.
    pub checkpoint_every: u64,
}

/// Why the exchange configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading or writing the file failed.
    #[error("exchange configuration {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a configuration.
    #[error("exchange configuration {path}: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// No randomness for new keys.
    #[error("no randomness for the demo keys: {0}")]
    Random(String),
    /// The log's head could not be read.
    #[error("cannot read the head of the message log: {0}")]
    Store(String),
    /// The head file cannot be read, or the log no longer holds its head.
    #[error("{0}")]
    Head(String),
}

fn member_id(s: &str) -> Result<MemberId, ConfigError> {
    s.parse().map_err(|e| ConfigError::Invalid {
        path: "(built-in)".into(),
        reason: format!("{e}"),
    })
}

fn demo_member(id: &str, name: &str, kind: MemberKind) -> Result<DemoMember, ConfigError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| ConfigError::Random(e.to_string()))?;
    Ok(DemoMember {
        member: Member {
            id: member_id(id)?,
            name: name.into(),
            kind,
        },
        key_id: format!("{}-demo-1", id.replace('/', "-").to_lowercase()),
        seed: Some(to_hex(&seed)),
        public_key: None,
        retired: Vec::new(),
    })
}

fn right(
    consumer: &str,
    service: &str,
    purpose: &str,
    legal_basis: Option<&str>,
    fields: &[&str],
) -> Result<AccessRight, ConfigError> {
    Ok(AccessRight {
        consumer: member_id(consumer)?,
        provider: member_id(DEMO_PROVIDER)?,
        service: service.into(),
        purpose: purpose.into(),
        legal_basis: legal_basis.map(str::to_string),
        fields: fields.iter().map(|f| (*f).to_string()).collect(),
        valid_from: Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
        valid_until: None,
    })
}

/// Writes `value` to `path` as JSON, readable by its owner only (it holds
/// key seeds), whole or not at all: a new file beside it, renamed over it.
fn write_private(path: &Path, value: &impl Serialize) -> Result<(), ConfigError> {
    let shown = path.display().to_string();
    let io = |source| ConfigError::Io {
        path: shown.clone(),
        source,
    };
    let text = serde_json::to_vec_pretty(value).map_err(|e| ConfigError::Invalid {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    let new = path.with_file_name(name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&new).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
    }
    std::io::Write::write_all(&mut file, &text).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&new, path).map_err(io)?;
    // the rename itself survives a crash once its directory is synced
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

impl DemoMember {
    /// `member` with a new random key named `key_id`.
    pub fn generate(member: Member, key_id: &str) -> Result<DemoMember, ConfigError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| ConfigError::Random(e.to_string()))?;
        Ok(DemoMember {
            member,
            key_id: key_id.to_string(),
            seed: Some(to_hex(&seed)),
            public_key: None,
            retired: Vec::new(),
        })
    }

    /// Its entry as another node's configuration lists it: its public key,
    /// never its seed.
    pub fn listing(&self) -> Result<DemoMember, String> {
        Ok(DemoMember {
            member: self.member.clone(),
            key_id: self.key_id.clone(),
            seed: None,
            public_key: Some(to_hex(&self.public()?.to_bytes())),
            retired: self.retired.clone(),
        })
    }

    /// Reads another node's listing ([`DemoMember::listing`]): its public
    /// key, never a seed.
    pub fn load_listing(path: &Path) -> Result<DemoMember, ConfigError> {
        let shown = path.display().to_string();
        let invalid = |reason: String| ConfigError::Invalid {
            path: shown.clone(),
            reason,
        };
        let text = std::fs::read(path).map_err(|source| ConfigError::Io {
            path: shown.clone(),
            source,
        })?;
        let listed: DemoMember =
            serde_json::from_slice(&text).map_err(|e| invalid(e.to_string()))?;
        if listed.seed.is_some() {
            return Err(invalid(
                "it holds a private key seed: give the listing (the public key) only".into(),
            ));
        }
        listed.public().map_err(invalid)?;
        Ok(listed)
    }

    /// Writes it, its seed included, readable by its owner only.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        write_private(path, self)
    }

    /// Reads one written by [`DemoMember::save`]; it must hold its seed.
    pub fn load_key(path: &Path) -> Result<MemberKey, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read(path).map_err(|source| ConfigError::Io {
            path: shown.clone(),
            source,
        })?;
        let member: DemoMember =
            serde_json::from_slice(&text).map_err(|e| ConfigError::Invalid {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        member.key().ok_or_else(|| ConfigError::Invalid {
            path: shown,
            reason: "no key seed (64 hex digits) in it: this is a listing, not a key".into(),
        })
    }
}

impl DemoConfig {
    /// A fresh demo configuration with new random keys.
    pub fn generate() -> Result<Self, ConfigError> {
        Ok(DemoConfig {
            provider: demo_member(
                DEMO_PROVIDER,
                "Cơ sở dữ liệu quốc gia về dân cư",
                MemberKind::Registry,
            )?,
            operator: demo_member(
                DEMO_OPERATOR,
                "Nền tảng chia sẻ dữ liệu",
                MemberKind::Registry,
            )?,
            consumers: vec![
                demo_member(
                    DEMO_HCC,
                    "Trung tâm Phục vụ hành chính công tỉnh",
                    MemberKind::CommuneServiceCenter,
                )?,
                demo_member(DEMO_BANK, "Ngân hàng (eKYC)", MemberKind::Enterprise)?,
                demo_member(
                    DEMO_PENSIONS,
                    "Bảo hiểm xã hội Việt Nam (lương hưu)",
                    MemberKind::SocialInsurance,
                )?,
            ],
            rights: vec![
                right(
                    DEMO_HCC,
                    "person.get",
                    "birth-registration",
                    Some("ND-63/2024"),
                    &[
                        "person_id",
                        "full_name",
                        "birth_date",
                        "sex",
                        "permanent_residence",
                    ],
                )?,
                // the once-only principle: the portal fills forms from the
                // registry (Decree 45/2020/NĐ-CP on electronic procedures)
                right(
                    DEMO_HCC,
                    "person.get",
                    PREFILL_PURPOSE,
                    Some(PREFILL_BASIS),
                    // what forms are filled from, and who the spouse is
                    &[dossier::PREFILL_FIELDS.as_slice(), &["spouse"]].concat(),
                )?,
                right(
                    DEMO_HCC,
                    "person.verify",
                    "birth-registration",
                    Some("ND-63/2024"),
                    &["person_id", "matches", "mismatched_fields", "vital_status"],
                )?,
                right(
                    DEMO_HCC,
                    "household.get",
                    "residence-registration",
                    Some("LCT-68/2020"),
                    &["household_id", "head", "members"],
                )?,
                right(
                    DEMO_BANK,
                    "person.get",
                    "account-opening",
                    None,
                    &["person_id", "full_name", "birth_date"],
                )?,
                // vital events delivered asynchronously; the fields are the
                // event kinds the subscriber may receive
                right(
                    DEMO_PENSIONS,
                    "events.subscribe",
                    "pension-termination",
                    Some("LBHXH-41/2024"),
                    &["death"],
                )?,
            ],
            checkpoint_every: CHECKPOINT_EVERY,
        })
    }

    /// Reads the configuration file at `path` (never creates one: a tool
    /// that signs or verifies as the node must use the node's own keys).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
            path: shown.clone(),
            source,
        })?;
        serde_json::from_slice(&bytes).map_err(|e| ConfigError::Invalid {
            path: shown,
            reason: e.to_string(),
        })
    }

    /// Reads a node's own configuration file, refusing one that others than
    /// its owner can read (it holds the node's key seeds).
    pub fn load_private(path: &Path) -> Result<Self, ConfigError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(|source| ConfigError::Io {
                    path: path.display().to_string(),
                    source,
                })?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(ConfigError::Invalid {
                    path: path.display().to_string(),
                    reason: format!(
                        "it holds key seeds but others can read it (mode {:o}): chmod 600 it",
                        mode & 0o777
                    ),
                });
            }
        }
        Self::load(path)
    }

    /// Writes the configuration to `path`, readable by its owner only (it
    /// holds key seeds), whole or not at all: a new file beside it, renamed
    /// over it.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        write_private(path, self)
    }

    /// Loads `dir/demo.json`, creating it with new keys on first start.
    pub fn load_or_create(dir: &Path) -> Result<Self, ConfigError> {
        let path = dir.join("demo.json");
        let shown = path.display().to_string();
        let io = |source| ConfigError::Io {
            path: shown.clone(),
            source,
        };
        match Self::load(&path) {
            Err(ConfigError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                let config = Self::generate()?;
                std::fs::create_dir_all(dir).map_err(io)?;
                config.save(&path)?;
                Ok(config)
            }
            loaded => loaded,
        }
    }

    /// The demo member `id` (consumer, provider or operator).
    pub fn member(&self, id: &str) -> Option<&DemoMember> {
        std::iter::once(&self.provider)
            .chain(std::iter::once(&self.operator))
            .chain(self.consumers.iter())
            .find(|m| m.member.id.as_str() == id)
    }
}

/// Everything the exchange endpoints need.
#[derive(Debug)]
pub struct ExchangeNode {
    /// The provider's signing key (its member id is `provider.member`).
    pub provider: MemberKey,
    /// The members' public keys.
    pub keyring: KeyRing,
    /// Services and access rights.
    pub policy: Policy,
    /// The message log's writer.
    pub log: LogHandle,
    /// The portal's own consumer key (member [`DEMO_HCC`], the one-stop
    /// service centre), when this node holds it: the portal reads the
    /// registry with it to pre-fill forms, through the same signed,
    /// authorized and logged path as any other member.
    pub portal: Option<MemberKey>,
}

impl ExchangeNode {
    /// A node from `config` over `store`: reads the log's stored head and
    /// starts its writer (on the current runtime) after it. The heads it
    /// signs go to the answers only; see [`Self::start_with_head_file`].
    pub async fn start(
        config: &DemoConfig,
        store: Arc<dyn store::Store>,
    ) -> Result<Arc<Self>, ConfigError> {
        Self::start_inner(config, store, None).await
    }

    /// [`Self::start`], keeping the latest signed head of the log in
    /// `head_file`, outside the database. The head the file already holds
    /// must be the operator's and still be in the log (the entry at its
    /// sequence number, with its hash): a log restored from an older copy
    /// or cut short is refused, so that it is not continued and the file's
    /// evidence overwritten.
    pub async fn start_with_head_file(
        config: &DemoConfig,
        store: Arc<dyn store::Store>,
        head_file: HeadFile,
    ) -> Result<Arc<Self>, ConfigError> {
        Self::start_inner(config, store, Some(head_file)).await
    }

    async fn start_inner(
        config: &DemoConfig,
        store: Arc<dyn store::Store>,
        head_file: Option<HeadFile>,
    ) -> Result<Arc<Self>, ConfigError> {
        let head = store
            .exchange()
            .log_head()
            .await
            .map_err(|e| ConfigError::Store(e.to_string()))?;
        let invalid = |reason: String| ConfigError::Invalid {
            path: "the exchange configuration".into(),
            reason,
        };
        // the node signs as its provider and its operator: it must hold both
        let own = |m: &DemoMember, role: &str| {
            m.key().ok_or_else(|| {
                invalid(format!(
                    "the {role} {} needs its key seed (64 hex digits): this node signs as it",
                    m.member.id
                ))
            })
        };
        let provider = own(&config.provider, "provider")?;
        let operator = own(&config.operator, "log operator")?;
        // the answers carry the operator's key id in a header
        let probe = exchange::SignedHead::sign(0, exchange::Digest32::ZERO, Utc::now(), &operator);
        if probe.to_header().is_none() {
            return Err(invalid(format!(
                "the key id of the log operator {} must be printable ASCII: answers carry it in a header",
                config.operator.member.id
            )));
        }
        let keeper = match head_file {
            Some(file) => {
                check_held_head(&file, &operator.public(), store.as_ref()).await?;
                Some(head::keep(file))
            }
            None => None,
        };
        let mut keyring = KeyRing::new();
        let mut policy = Policy::new();
        for m in std::iter::once(&config.provider)
            .chain(std::iter::once(&config.operator))
            .chain(config.consumers.iter())
        {
            for key in m.registered().map_err(invalid)? {
                keyring.insert(key).map_err(|e| invalid(e.to_string()))?;
            }
            policy.add_member(m.member.clone());
        }
        for s in population_registry_services(&provider.member) {
            policy.publish(s);
        }
        for r in &config.rights {
            policy.grant(r.clone());
        }
        let portal = config
            .consumers
            .iter()
            .find(|m| m.member.id.to_string() == DEMO_HCC)
            .and_then(DemoMember::key);
        let log = LogHandle::start(
            store,
            operator,
            head.as_ref(),
            config.checkpoint_every,
            keeper,
        );
        Ok(Arc::new(ExchangeNode {
            provider,
            keyring,
            policy,
            log,
            portal,
        }))
    }
}

/// Refuses to continue a log that no longer holds the head kept in `file`.
async fn check_held_head(
    file: &HeadFile,
    operator: &exchange::PublicKey,
    store: &dyn store::Store,
) -> Result<(), ConfigError> {
    let held = file
        .read_signed(operator)
        .map_err(|e| ConfigError::Head(e.to_string()))?;
    let Some(held) = held else {
        return Ok(());
    };
    let entry = store
        .exchange()
        .log_range(held.seq, 1)
        .await
        .map_err(|e| ConfigError::Store(e.to_string()))?
        .into_iter()
        .next()
        .filter(|e| e.seq == held.seq);
    let found = match entry {
        Some(e) if e.hash == held.hash => return Ok(()),
        Some(_) => format!("its entry {} has another hash there", held.seq),
        None => {
            let end = store
                .exchange()
                .log_head()
                .await
                .map_err(|e| ConfigError::Store(e.to_string()))?
                .map_or(0, |e| e.seq);
            format!("the log ends at entry {end}")
        }
    };
    Err(ConfigError::Head(format!(
        "the message log is not the one this node signed: the head kept in {} names entry {} of {}, but {found}. \
         The database was restored from an older copy, cut short or rewritten. \
         Run `motcua exchange verify-log` for the report; to run on this log anyway, \
         move that file aside (and keep it: it is the evidence)",
        file.path().display(),
        held.seq,
        held.at,
    )))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<[u8; 32]> {
    let s = s.as_bytes();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in s.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_key_is_kept_retired_and_verifies_only_what_it_signed_before() {
        let mut config = DemoConfig::generate().unwrap();
        let before = config.provider.clone();
        let old_key = before.key().unwrap();
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 11, 0, 0).unwrap();
        config.provider.rotate(at).unwrap();
        let now = &config.provider;
        assert_eq!(now.key_id, format!("{}@20261207T110000Z", before.key_id));
        assert_ne!(now.seed, before.seed);
        assert_eq!(
            now.retired,
            [RetiredKey {
                key_id: before.key_id.clone(),
                public_key: to_hex(&old_key.public().to_bytes()),
                retired_at: at,
            }]
        );
        // kept through the file's JSON
        let again: DemoConfig =
            serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
        assert_eq!(again.provider.retired, now.retired);
        let mut ring = KeyRing::new();
        for key in again.provider.registered().unwrap() {
            ring.insert(key).unwrap();
        }
        let second = chrono::Duration::seconds(1);
        let old_id = KeyId(before.key_id.clone());
        assert!(ring.resolve(&old_id, at - second).is_ok());
        assert!(ring.resolve(&old_id, at).is_err());
        assert!(ring.resolve(&KeyId(now.key_id.clone()), at).is_ok());
        assert_eq!(ring.keys_of(&now.member.id).count(), 2);
        // rotated again: the second key's id from the same base, both kept
        config.provider.rotate(at + second).unwrap();
        assert_eq!(
            config.provider.key_id,
            format!("{}@20261207T110001Z", before.key_id)
        );
        assert_eq!(config.provider.retired.len(), 2);
        // twice in one second, or a key this node does not hold: refused
        assert!(config.provider.rotate(at + second).is_err());
        let mut theirs = config.consumers[0].clone();
        theirs.public_key = Some(to_hex(&theirs.public().unwrap().to_bytes()));
        theirs.seed = None;
        assert!(theirs.rotate(at).is_err());
        // a retired key that is no key is refused when the ring is made
        let mut broken = config.provider.clone();
        broken.retired[0].public_key = "00".into();
        assert!(broken.registered().is_err());
    }

    #[test]
    fn the_configuration_is_saved_whole_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.json");
        let mut config = DemoConfig::generate().unwrap();
        config.save(&path).unwrap();
        config.provider.rotate(Utc::now()).unwrap();
        config.save(&path).unwrap();
        let read = DemoConfig::load_private(&path).unwrap();
        assert_eq!(read.provider.key_id, config.provider.key_id);
        assert_eq!(read.provider.retired.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // nothing left beside it
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["node.json"]);
    }
}

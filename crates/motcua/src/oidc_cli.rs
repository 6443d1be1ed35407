//! `motcua oidc client add|list|remove`: the identity provider's relying
//! parties, administered on the store the server uses; `motcua oidc keys
//! list|rotate`: its signing keys (running servers reload them every 30 s).
//!
//! `add` makes the client's secret (32 random bytes) and prints it once;
//! only its hash is stored, so a lost secret is replaced with `add` again
//! (`--replace`), never read back.

use std::path::PathBuf;

use anyhow::{Context, bail};
use identity::client::{AuthMethod, Client, ClientId, GrantType, Registration};
use identity::jwt::{KeyRole, KeySet, SigningKey};
use store::StoredKey;

use crate::store_args::{StoreArgs, open};

#[derive(clap::Subcommand, Debug)]
pub enum OidcCommand {
    /// Relying parties: the portal, back offices, agency systems.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// The provider's signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum KeysCommand {
    /// List the keys (ids, roles, until when a previous key is accepted).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Rotate in two steps: the first call publishes a next key (relying
    /// parties see it in the JWK Set, which they may cache for 5 minutes);
    /// the next call, some minutes later, makes it sign, keeping the
    /// previous key accepted until every token it signed has expired.
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    ClientSecretBasic,
    ClientSecretPost,
    /// A JWT signed with the client's own key (give --jwks-file).
    PrivateKeyJwt,
    /// A public client (no secret; PKCE).
    None,
}

#[derive(clap::Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client; prints its id and its new secret (shown once).
    Add {
        /// The client id (3–64 letters, digits, '.', '_', '-').
        #[arg(long)]
        id: String,
        /// Its name, shown to people on the consent page.
        #[arg(long)]
        name: String,
        /// A grant it may use (repeat for several).
        #[arg(long = "grant", value_enum, required = true)]
        grants: Vec<Grant>,
        /// How it authenticates at the token endpoint.
        #[arg(long, value_enum, default_value_t = Auth::ClientSecretBasic)]
        auth: Auth,
        /// A redirect URI (repeat for several).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A first-party service (the portal, a province's back office):
        /// people are not asked to consent.
        #[arg(long)]
        trusted: bool,
        /// Its authorization requests must be pushed first (RFC 9126, as
        /// FAPI 2.0 requires).
        #[arg(long)]
        require_par: bool,
        /// Where the browser may go after logging out (repeat).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A scope it may ask for (repeat: openid profile pid address org admin).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Give people a subject of their own for this sector (pairwise).
        #[arg(long)]
        pairwise_sector: Option<String>,
        /// Its public keys as a JWK Set file (`private-key-jwt`): ES256
        /// (P-256) or EdDSA (Ed25519) keys, each with a `kid`.
        #[arg(long)]
        jwks_file: Option<PathBuf>,
        /// Lifetime of its access tokens, seconds (60–3600).
        #[arg(long, default_value_t = 600)]
        token_ttl: u32,
        /// Replace an existing registration (and its secret).
        #[arg(long)]
        replace: bool,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List the clients as JSON (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Remove a client.
    Remove {
        /// The client id.
        #[arg(long)]
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

pub fn run(command: OidcCommand) -> anyhow::Result<()> {
    let runtime = crate::runtime::current_thread()?;
    match command {
        OidcCommand::Client { command } => runtime.block_on(client(command)),
        OidcCommand::Keys { command } => runtime.block_on(keys(command)),
    }
}

fn role_name(role: KeyRole) -> &'static str {
    match role {
        KeyRole::Current => "current",
        KeyRole::Next => "next",
        KeyRole::Previous => "previous",
    }
}

fn listed_keys(set: &KeySet) -> serde_json::Value {
    serde_json::Value::Array(
        set.held()
            .map(|(k, role, retire)| {
                serde_json::json!({
                    "kid": k.kid(),
                    "role": role_name(role),
                    "accepted_until": retire.map(|r| r.to_rfc3339()),
                })
            })
            .collect(),
    )
}

async fn keys(command: KeysCommand) -> anyhow::Result<()> {
    let (KeysCommand::List { store } | KeysCommand::Rotate { store }) = &command;
    let store = open(store).await?;
    let stored = store.oidc().signing_keys().await?;
    if stored.is_empty() {
        bail!("no signing key is stored yet: the server makes the first one when it starts");
    }
    let mut set = KeySet::from_held(stored.into_iter().map(|k| (k.key, k.role, k.retire_at)))
        .map_err(|e| anyhow::anyhow!("the stored signing keys: {e}"))?;
    if let KeysCommand::List { .. } = command {
        println!("{}", serde_json::to_string_pretty(&listed_keys(&set))?);
        return Ok(());
    }
    let now = chrono::Utc::now();
    let expected = set.signing_key().kid().to_string();
    let has_next = set.held().any(|(_, role, _)| role == KeyRole::Next);
    let action = if has_next {
        // tokens signed until now live at most MAX_ACCESS_TOKEN_TTL; a
        // minute more for clocks that differ
        let retire =
            now + chrono::Duration::seconds(i64::from(identity::client::MAX_ACCESS_TOKEN_TTL) + 60);
        set.rotate(None, retire)
            .map_err(|e| anyhow::anyhow!("cannot rotate: {e}"))?;
        set.prune(now);
        "rotated: the next key signs now; the previous one is accepted until its tokens expire"
    } else {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| anyhow::anyhow!("no randomness for the key: {e}"))?;
        set.add_next(SigningKey::from_seed(&seed));
        "published a next key: run 'motcua oidc keys rotate' again in more than 6 minutes \
         (relying parties cache the key set for 5), to make it sign"
    };
    let keys: Vec<StoredKey> = set
        .held()
        .map(|(k, role, retire_at)| StoredKey {
            key: k.clone(),
            role,
            retire_at,
        })
        .collect();
    if !store.oidc().replace_signing_keys(&expected, &keys).await? {
        bail!("the keys changed while rotating (another rotation?): list them and try again");
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "action": action,
            "keys": listed_keys(&set),
        }))?
    );
    Ok(())
}

/// A client as listed: everything but the secret's hash.
fn shown(c: &Client) -> serde_json::Value {
    serde_json::json!({
        "client_id": c.id.as_str(),
        "name": c.name,
        "token_endpoint_auth_method": c.auth_method.as_str(),
        "grant_types": c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "redirect_uris": c.redirect_uris,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "require_pushed_authorization_requests": c.require_par,
        "trusted": c.trusted,
        "scopes": c.scopes,
        "subject_type": c.subject_type,
        "access_token_ttl": c.access_token_ttl,
    })
}

async fn client(command: ClientCommand) -> anyhow::Result<()> {
    match command {
        ClientCommand::Add {
            id,
            name,
            grants,
            auth,
            redirect_uris,
            post_logout_redirect_uris,
            require_par,
            trusted,
            scopes,
            pairwise_sector,
            jwks_file,
            token_ttl,
            replace,
            store,
        } => {
            let jwks = match &jwks_file {
                None => None,
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(
                        serde_json::from_str::<serde_json::Value>(&text)
                            .with_context(|| format!("{} is not JSON", path.display()))?,
                    )
                }
            };
            let registration = Registration {
                client_id: id,
                name,
                grant_types: grants
                    .into_iter()
                    .map(|g| match g {
                        Grant::AuthorizationCode => GrantType::AuthorizationCode,
                        Grant::RefreshToken => GrantType::RefreshToken,
                        Grant::ClientCredentials => GrantType::ClientCredentials,
                    })
                    .map(|g| g.as_str().to_string())
                    .collect(),
                token_endpoint_auth_method: match auth {
                    Auth::ClientSecretBasic => AuthMethod::ClientSecretBasic,
                    Auth::ClientSecretPost => AuthMethod::ClientSecretPost,
                    Auth::PrivateKeyJwt => AuthMethod::PrivateKeyJwt,
                    Auth::None => AuthMethod::None,
                }
                .as_str()
                .to_string(),
                redirect_uris,
                post_logout_redirect_uris,
                scopes,
                pairwise_sector,
                jwks,
                access_token_ttl: token_ttl,
                require_par,
                trusted,
            };
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)
                .map_err(|e| anyhow::anyhow!("no randomness for the secret: {e}"))?;
            let (client, secret) = registration.build(&bytes)?;
            let store = open(&store).await?;
            let oidc = store.oidc();
            if !replace && oidc.client(&client.id).await?.is_some() {
                bail!(
                    "the client {} is already registered (give --replace to replace it and its secret)",
                    client.id
                );
            }
            oidc.put_client(&client, chrono::Utc::now()).await?;
            let mut out = shown(&client);
            if let Some(secret) = secret {
                out["client_secret"] = serde_json::Value::String(secret);
            }
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
        ClientCommand::List { store } => {
            let store = open(&store).await?;
            let clients = store.oidc().clients().await?;
            let listed: Vec<serde_json::Value> = clients.iter().map(shown).collect();
            println!("{}", serde_json::to_string_pretty(&listed)?);
            Ok(())
        }
        ClientCommand::Remove { id, store } => {
            let id = ClientId::parse(&id)?;
            let store = open(&store).await?;
            if store.oidc().delete_client(&id).await? {
                println!("removed {id}");
                Ok(())
            } else {
                bail!("there is no client {id}")
            }
        }
    }
}

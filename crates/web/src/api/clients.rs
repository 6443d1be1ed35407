//! Administration of the identity provider's relying parties (the portal,
//! each province's back office, ministries' systems), for an
//! administration system holding a token of its own with the `admin` scope
//! (`client_credentials`; a person's token never administers).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use identity::client::{Client, ClientId, Registration, SubjectType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Operator;
use crate::error::ApiError;
use crate::services::identity::clients::{self, RegisterError};
use crate::state::AppState;

/// The path of the collection.
pub const PATH: &str = "/api/v1/oidc/clients";

/// A relying party as listed: everything but its secret's hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClientView {
    client_id: String,
    name: String,
    token_endpoint_auth_method: String,
    grant_types: Vec<String>,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    scopes: Vec<String>,
    /// The sector of its pairwise subjects, if it has them.
    pairwise_sector: Option<String>,
    access_token_ttl: u32,
    require_pushed_authorization_requests: bool,
    trusted: bool,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        ClientView {
            client_id: c.id.to_string(),
            name: c.name.clone(),
            token_endpoint_auth_method: c.auth_method.as_str().to_string(),
            grant_types: c
                .grant_types
                .iter()
                .map(|g| g.as_str().to_string())
                .collect(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            scopes: c.scopes.iter().cloned().collect(),
            pairwise_sector: match &c.subject_type {
                SubjectType::Pairwise { sector } => Some(sector.clone()),
                SubjectType::Public => None,
            },
            access_token_ttl: c.access_token_ttl,
            require_pushed_authorization_requests: c.require_par,
            trusted: c.trusted,
        }
    }
}

/// A new relying party.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewClient {
    /// 3–64 letters, digits, `.`, `_`, `-`.
    client_id: String,
    name: String,
    /// `authorization_code`, `refresh_token`, `client_credentials`.
    grant_types: Vec<String>,
    /// `client_secret_basic` (default), `client_secret_post`,
    /// `private_key_jwt`, `none`.
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    /// `openid`, `profile`, `pid`, `address`, `org`, `admin`.
    scopes: Vec<String>,
    #[serde(default)]
    pairwise_sector: Option<String>,
    /// Its public keys (`private_key_jwt`), a JWK Set.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    /// Seconds, 60–3600 (default 600).
    #[serde(default)]
    access_token_ttl: Option<u32>,
    #[serde(default)]
    require_pushed_authorization_requests: bool,
    #[serde(default)]
    trusted: bool,
    /// Replace an existing registration (and its secret).
    #[serde(default)]
    replace: bool,
}

/// A relying party just registered, with its secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    #[serde(flatten)]
    client: ClientView,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

/// The relying parties.
#[utoipa::path(
    get, path = "/api/v1/oidc/clients", tag = "identity",
    security(("bearer" = [])),
    responses((status = 200, description = "Every relying party, by id", body = [ClientView]))
)]
pub async fn list(
    State(state): State<AppState>,
    _admin: Operator,
) -> Result<Json<Vec<ClientView>>, ApiError> {
    let clients = clients::all(&state)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(clients.iter().map(ClientView::from).collect()))
}

/// Registers a relying party; its secret is in the answer, once.
#[utoipa::path(
    post, path = "/api/v1/oidc/clients", tag = "identity",
    request_body = NewClient,
    security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = Created))
)]
pub async fn create(
    State(state): State<AppState>,
    Operator { client_id: admin }: Operator,
    body: Result<crate::extract::Json<NewClient>, ApiError>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let crate::extract::Json(body) = body?;
    let replace = body.replace;
    let registration = Registration {
        client_id: body.client_id,
        name: body.name,
        grant_types: body.grant_types,
        token_endpoint_auth_method: body
            .token_endpoint_auth_method
            .unwrap_or_else(|| "client_secret_basic".into()),
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        scopes: body.scopes,
        pairwise_sector: body.pairwise_sector,
        jwks: body.jwks,
        access_token_ttl: body.access_token_ttl.unwrap_or(600),
        require_par: body.require_pushed_authorization_requests,
        trusted: body.trusted,
    };
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| ApiError::Internal(e.to_string()))?;
    let (client, secret) = registration
        .build(&random)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    clients::register(&state, &client, replace)
        .await
        .map_err(|e| match e {
            RegisterError::Exists(id) => ApiError::Conflict(format!(
                "the client {id} is registered already (give \"replace\": true to replace it and its secret)"
            )),
            RegisterError::Store(e) => ApiError::Internal(e.to_string()),
        })?;
    tracing::info!(client = %client.id, by = %admin, "relying party registered");
    Ok((
        StatusCode::CREATED,
        Json(Created {
            client: ClientView::from(&client),
            client_secret: secret,
        }),
    ))
}

/// Removes a relying party.
#[utoipa::path(
    delete, path = "/api/v1/oidc/clients/{client_id}", tag = "identity",
    params(("client_id" = String, Path, description = "The client id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Removed"))
)]
pub async fn remove(
    State(state): State<AppState>,
    Operator { client_id: admin }: Operator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = ClientId::parse(&id).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if id.as_str() == admin {
        return Err(ApiError::Unprocessable(
            "an administration system cannot remove itself".into(),
        ));
    }
    let removed = clients::remove(&state, &id)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if removed {
        tracing::info!(client = %id, by = %admin, "relying party removed");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("no client {id}")))
    }
}

//! A dossier's files: uploading one and downloading it.

use crate::auth::SignedIn;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::shared::pick;
use super::show::Redisplay;
use crate::pages::csrf;
use crate::pages::failure::PageError;
use crate::pages::layout::Ctx;
use crate::services::dossiers::error::FlowError;
use crate::services::dossiers::flow;
use crate::services::dossiers::records;
use crate::state::AppState;

/// `POST /ho-so/{code}/tep` (multipart): a file for one of the
/// procedure's documents, from the dossier's page.
pub async fn upload(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    mut form: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let again = Redisplay::for_viewer(&state, &ctx, &headers, &code).await?;
    let account = &again.account;
    let t = ctx.t();
    let too_large = || {
        format!(
            "{}: {} MiB",
            t.p_file_too_large(),
            dossier::MAX_ATTACHMENT_BYTES / (1024 * 1024)
        )
    };
    let (mut csrf_token, mut document, mut file) = (None, None, None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf_token") => csrf_token = field.text().await.ok(),
                Some("document") => document = field.text().await.ok(),
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_string();
                    let declared = field.content_type().map(str::to_string);
                    match field.bytes().await {
                        Ok(bytes) => file = Some((name, declared, bytes)),
                        Err(_) => return again.error(too_large()).await,
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return again.error(too_large()).await,
        }
    }
    if !ctx.csrf_ok(csrf::Check::Session, csrf_token.as_deref()) {
        return Err(crate::oidc::flow::expired_form(&ctx));
    }
    let (Some(document), Some((name, declared, bytes))) = (document, file) else {
        return again.error(t.p_choose_file().into()).await;
    };
    match flow::attach(
        &state,
        account,
        &code,
        &document,
        &name,
        declared.as_deref(),
        &bytes,
    )
    .await
    {
        Ok(_) => again.notice(t.p_done().into()).await,
        Err(FlowError::Form(errors)) => {
            let m = errors
                .iter()
                .map(|e| pick(t, &e.reason_vi, &e.reason_en).to_string())
                .collect::<Vec<_>>()
                .join("; ");
            again.error(m).await
        }
        Err(e) => again.refusal(e).await,
    }
}

/// `GET /ho-so/{code}/tep/{document}`: an attached file, for the applicant
/// and the dossier's agencies.
pub async fn download(
    State(state): State<AppState>,
    SignedIn { account, .. }: SignedIn,
    Path((code, document)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (stored, _) = flow::load_for(&state, &account, &code).await?;
    match records::attachment(&state, &stored.dossier.code, &document)
        .await
        .map_err(FlowError::from)?
    {
        Some((meta, content)) => Ok(crate::reply::file_response(&meta, content)),
        None => {
            Err(FlowError::NotFound(format!("dossier {code} has no file for {document}")).into())
        }
    }
}

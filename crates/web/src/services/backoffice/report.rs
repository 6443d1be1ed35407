//! One of this node's dossiers as the packets it reports upstream: its
//! `DongBoHoSoMC` (its files and its result by reference under this
//! node's public address) and its processing steps' `CapNhatTienDoHoSoMC`,
//! numbered from 1.

use backoffice::{CapNhatTienDoHoSoMC, DongBoHoSoMC, ResultDocument, SubmittedFile};
use dossier::Dossier;
use store::{Store, StoreError};

/// Why a dossier cannot be reported.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Its procedure is not in the catalog this node runs.
    #[error("the procedure {0:?} of the dossier is not in the catalog")]
    NoProcedure(String),
    /// The catalog cannot be read.
    #[error("the procedure catalog: {0}")]
    Catalog(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The packets of `d`, its files and result under `base` (this node's
/// public address, without a trailing `/`).
pub async fn packets(
    store: &dyn Store,
    d: &Dossier,
    base: &str,
) -> Result<(DongBoHoSoMC, Vec<(u64, CapNhatTienDoHoSoMC)>), ReportError> {
    let (packet, steps, _) = packets_and_files(store, d, base).await?;
    Ok((packet, steps))
}

/// [`packets`], with the dossier's files as stored (read once for both).
pub async fn packets_and_files(
    store: &dyn Store,
    d: &Dossier,
    base: &str,
) -> Result<
    (
        DongBoHoSoMC,
        Vec<(u64, CapNhatTienDoHoSoMC)>,
        Vec<store::StoredAttachment>,
    ),
    ReportError,
> {
    let catalog = dossier::Catalog::official().map_err(|e| ReportError::Catalog(e.to_string()))?;
    let p = catalog
        .get(&d.procedure)
        .ok_or_else(|| ReportError::NoProcedure(d.procedure.clone()))?;
    let stored = store.dossiers().attachments(&d.code).await?;
    let files: Vec<SubmittedFile> = stored
        .iter()
        .map(|a| SubmittedFile {
            id: a.sha256.clone(),
            name: a.attachment.name.clone(),
            document: a.attachment.document.clone(),
            url: format!("{base}/ho-so/{}/tep/{}", d.code, a.attachment.document),
        })
        .collect();
    let results: Vec<ResultDocument> = match (crate::services::dossiers::issued::issued(d), &d.seal)
    {
        (Some(_), Some(seal)) => vec![ResultDocument {
            id: d.code.to_string(),
            name: p.result_vi.clone(),
            url: crate::services::dossiers::issued::verify_url(base, d, seal),
        }],
        _ => Vec::new(),
    };
    Ok((
        backoffice::dossier_packet(d, p, &files, &results),
        backoffice::progress_packets(d),
        stored,
    ))
}

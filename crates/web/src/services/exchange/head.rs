//! The message log's latest signed head, kept by the node outside its
//! database (`DATA_DIR/exchange/head.json`): whoever restores or edits the
//! database cannot roll this file back with it, so `motcua exchange
//! verify-log` notices a log cut short of it, and the node refuses to
//! continue a log that no longer holds it.
//!
//! The writer signs a head after each commit and hands it to the keeper,
//! which writes the latest one at most once every [`KEEP_EVERY`] (written
//! whole to a file beside it, flushed to disk, then renamed over it;
//! readable by its owner only), so that writing the file never holds up
//! the log nor competes with its commits for the disk. The entries after
//! the file's head are covered by the heads the answers carried.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use exchange::{PublicKey, SignedHead};
use tokio::sync::watch;

/// The head file's name in the node's exchange directory
/// (`DATA_DIR/exchange`).
pub const HEAD_FILE: &str = "head.json";

/// How often at most the keeper writes the head file.
pub const KEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Heads that could not be written to the head file.
pub const HEAD_WRITE_FAILURES: &str = "exchange_log_head_write_failures_total";

/// Why the head file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum HeadFileError {
    /// Reading or writing failed.
    #[error("the message log's head file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file holds no signed head.
    #[error("the message log's head file {path}: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The file the node keeps its latest signed head in.
#[derive(Debug, Clone)]
pub struct HeadFile {
    path: PathBuf,
}

impl HeadFile {
    /// The head file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        HeadFile { path: path.into() }
    }

    /// The head file of the node whose exchange directory is `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self::new(dir.join(HEAD_FILE))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> HeadFileError {
        HeadFileError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// The head it holds; `None` when there is no file yet.
    pub fn read(&self) -> Result<Option<SignedHead>, HeadFileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        SignedHead::parse(&text)
            .map(Some)
            .map_err(|e| HeadFileError::Invalid {
                path: self.path.display().to_string(),
                reason: e.to_string(),
            })
    }

    /// Replaces the file with `head`, whole or not at all: written to a
    /// file beside it (owner only), flushed to disk, renamed over it (a
    /// crash before the rename reaches the disk leaves the previous head,
    /// which still holds).
    pub fn write(&self, head: &SignedHead) -> Result<(), HeadFileError> {
        let mut text = serde_json::to_vec_pretty(head).map_err(|e| HeadFileError::Invalid {
            path: self.path.display().to_string(),
            reason: e.to_string(),
        })?;
        text.push(b'\n');
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(|e| self.io(e))?;
        // also when a file of that name was left with another mode
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|e| self.io(e))?;
        }
        file.write_all(&text).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(|e| self.io(e))?;
        Ok(())
    }

    /// The head it holds, refused unless the log operator signed it.
    pub fn read_signed(&self, operator: &PublicKey) -> Result<Option<SignedHead>, HeadFileError> {
        match self.read()? {
            Some(head) if !head.verify(operator) => Err(HeadFileError::Invalid {
                path: self.path.display().to_string(),
                reason: format!(
                    "the head naming entry {} of {} is not signed by the log operator's key",
                    head.seq, head.at
                ),
            }),
            held => Ok(held),
        }
    }
}

/// Starts the task that writes the heads the writer publishes to `file`:
/// the latest, at most once every [`KEEP_EVERY`].
pub(crate) fn keep(file: HeadFile) -> watch::Sender<Option<Arc<SignedHead>>> {
    let (tx, mut rx) = watch::channel::<Option<Arc<SignedHead>>>(None);
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let Some(head) = rx.borrow_and_update().clone() else {
                continue;
            };
            let file = file.clone();
            let written = tokio::task::spawn_blocking(move || file.write(&head)).await;
            let failed = match written {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(e) => Some(e.to_string()),
            };
            if let Some(error) = failed {
                tracing::error!(%error, "the message log's signed head could not be kept outside the database");
                metrics::counter!(HEAD_WRITE_FAILURES).increment(1);
            }
            tokio::time::sleep(KEEP_EVERY).await;
        }
    });
    tx
}

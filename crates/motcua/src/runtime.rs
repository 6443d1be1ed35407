//! The async runtime a one-shot command runs on.

use anyhow::Context;

/// A runtime on the calling thread.
pub fn current_thread() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

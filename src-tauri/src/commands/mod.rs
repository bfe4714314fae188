//! The commands the UI invokes (the list is `command_table.rs`): a few lines each over
//! `gridmate-core`. Store work runs on the blocking pool ([`with_store`]), never on the async
//! runtime that serves the UI's event loop.

pub mod records;
pub mod session;
pub mod sync;
pub mod workflow;

use std::sync::PoisonError;

use gridmate_core::sync::SharedStore;

use crate::error::AppError;

/// Runs `f` with the store locked, on the blocking pool.
pub async fn with_store<T: Send + 'static>(
    store: SharedStore,
    f: impl FnOnce(&mut gridmate_core::Store) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(move || {
        let mut s = store.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut s)
    })
    .await
    .map_err(AppError::internal)?
}

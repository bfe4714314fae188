//! Sync: start one now (pull-to-refresh), read the status, read the log.

use gridmate_core::store::SyncLogEntry;
use gridmate_core::sync::SyncStatus;
use tauri::State;

use super::with_store;
use crate::error::AppError;
use crate::state::AppState;

#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Result<(), AppError> {
    state.session()?.sync.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, AppError> {
    Ok(match state.session() {
        Ok(s) => s.sync.status.borrow().clone(),
        Err(_) => SyncStatus::NotConfigured,
    })
}

#[tauri::command]
pub async fn sync_log(state: State<'_, AppState>) -> Result<Vec<SyncLogEntry>, AppError> {
    with_store(state.store()?, |s| Ok(s.sync_log(50)?)).await
}

//! The app's state: the data folder, and the signed-in account's session (its store and the
//! background sync driver). One store per account under `DATA/accounts/USER/gridmate.db`; the
//! account last signed in is remembered in `DATA/current-account` so the app opens straight into
//! it, offline. Logging out forgets the session, never the store file.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use gridmate_core::Store;
use gridmate_core::sync::{
    LoopTimings, SharedStore, SyncConfig, SyncHandle, SyncStatus, spawn_sync_loop,
};
use tauri::{AppHandle, Emitter};

use crate::error::AppError;

#[derive(Debug, Clone)]
pub struct Session {
    pub store: SharedStore,
    pub sync: SyncHandle,
}

#[derive(Debug)]
pub struct AppState {
    pub data_dir: PathBuf,
    session: Mutex<Option<Session>>,
}

const CURRENT: &str = "current-account";

impl AppState {
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            data_dir,
            session: Mutex::new(None),
        }
    }

    pub fn session(&self) -> Result<Session, AppError> {
        self.session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(AppError::not_signed_in)
    }

    pub fn store(&self) -> Result<SharedStore, AppError> {
        self.session().map(|s| s.store)
    }

    /// Where the account's store lives.
    pub fn account_path(&self, user: &str) -> PathBuf {
        Store::account_path(&self.data_dir, user)
    }

    /// Opens the account's store (creating it on first login).
    pub fn open_store(&self, user: &str) -> Result<Store, AppError> {
        Ok(Store::open(&self.account_path(user), user)?)
    }

    /// The account signed in last time, if any.
    pub fn remembered_account(&self) -> Option<String> {
        let s = std::fs::read_to_string(self.data_dir.join(CURRENT)).ok()?;
        let s = s.trim();
        (!s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
        .then(|| s.to_owned())
    }

    /// Makes `store` the session: remembers the account and starts the sync driver. Must run
    /// inside the async runtime (the driver is a tokio task).
    pub fn start(
        &self,
        app: &AppHandle,
        account: &str,
        store: SharedStore,
    ) -> Result<Session, AppError> {
        write_atomic(&self.data_dir.join(CURRENT), account)?;
        let sync = spawn_sync_loop(store.clone(), SyncConfig::default(), LoopTimings::default());
        forward_status(app.clone(), sync.status.clone());
        let session = Session { store, sync };
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = Some(session.clone());
        Ok(session)
    }

    /// Ends the session (the store file stays on disk).
    pub fn stop(&self) {
        let _ = std::fs::remove_file(self.data_dir.join(CURRENT));
        *self.session.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Sends every sync status to the UI as `sync-status`, and `records-changed` after a sync, so
/// lists refresh with what was pulled.
fn forward_status(app: AppHandle, mut rx: tokio::sync::watch::Receiver<SyncStatus>) {
    tauri::async_runtime::spawn(async move {
        while rx.changed().await.is_ok() {
            let status = rx.borrow_and_update().clone();
            let _ = app.emit("sync-status", &status);
            if matches!(status, SyncStatus::UpToDate { .. }) {
                let _ = app.emit("records-changed", serde_json::json!({ "ids": [] }));
            }
        }
    });
}

fn write_atomic(path: &Path, text: &str) -> Result<(), AppError> {
    let tmp = path.with_extension("tmp");
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))
        .and_then(|()| std::fs::write(&tmp, text))
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| AppError::new("io_error", "无法写入应用数据", e.to_string()))
}

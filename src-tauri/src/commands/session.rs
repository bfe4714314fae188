//! Sign in, sign out, the session the UI shows, and what the app starts with.

use std::sync::{Arc, Mutex};

use gridmate_core::sync::{SignIn, check_user_name, sign_in, sign_out};
use tauri::{AppHandle, State};

use super::with_store;
use crate::contract::{AppDefaults, LoginRequest, SessionInfo};
use crate::error::AppError;
use crate::state::AppState;

fn info(store: &gridmate_core::Store) -> Result<Option<SessionInfo>, AppError> {
    let Some(b) = store.server_binding()? else {
        return Ok(None);
    };
    Ok(Some(SessionInfo {
        user: b.user,
        display_name: b.display_name,
        role: b.role,
        legal_role: b.legal_role,
        server: b.server_url,
        scope: b.scope,
        device_id: store.device_id()?,
    }))
}

#[tauri::command]
pub async fn session_get(state: State<'_, AppState>) -> Result<Option<SessionInfo>, AppError> {
    match state.store() {
        Ok(store) => with_store(store, |s| info(s)).await,
        Err(_) => Ok(None),
    }
}

#[tauri::command]
pub async fn app_defaults() -> Result<AppDefaults, AppError> {
    Ok(AppDefaults {
        server_url: std::env::var("GRIDMATE_DEFAULT_SERVER")
            .ok()
            .filter(|s| !s.trim().is_empty()),
    })
}

#[tauri::command]
pub async fn login(
    app: AppHandle,
    state: State<'_, AppState>,
    req: LoginRequest,
) -> Result<SessionInfo, AppError> {
    let user = req.user.trim().to_owned();
    // Checked before the account's folder is created (sign_in checks it again, for the CLI).
    check_user_name(&user)?;
    let path = state.account_path(&user);
    let account = user.clone();
    let store =
        tauri::async_runtime::spawn_blocking(move || gridmate_core::Store::open(&path, &account))
            .await
            .map_err(AppError::internal)??;
    let store = Arc::new(Mutex::new(store));
    let sign = SignIn {
        server: &req.server,
        user: &user,
        password: &req.password,
        allow_insecure: req.allow_insecure,
        device_name: "GridMate app",
        ca_cert: req.ca_cert.as_deref(),
    };
    sign_in(&store, &sign).await?;
    let session = state.start(&app, &user, store)?;
    session.sync.sync_now();
    with_store(session.store, |s| info(s))
        .await?
        .ok_or_else(AppError::not_signed_in)
}

/// Without `force`, refuses while records are unsynced: the UI warns first. With it, the session
/// ends but the store (and every record in it) stays on the device. The token dies at the server
/// when it can be reached; offline, the device signs out all the same.
#[tauri::command]
pub async fn logout(state: State<'_, AppState>, force: bool) -> Result<(), AppError> {
    sign_out(&state.store()?, force).await?;
    state.stop();
    Ok(())
}

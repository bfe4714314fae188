//! Sign in, sign out, and the session the UI shows.

use gridmate_core::store::ServerBinding;
use gridmate_core::sync::SyncClient;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use super::with_store;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct SessionInfo {
    user: String,
    display_name: Option<String>,
    role: String,
    legal_role: Option<String>,
    server: String,
    scope: Vec<String>,
    device_id: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    server: String,
    user: String,
    password: String,
    #[serde(default)]
    allow_insecure: bool,
}

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
        Ok(store) => with_store(&store, |s| info(s)),
        Err(_) => Ok(None),
    }
}

#[tauri::command]
pub async fn login(
    app: AppHandle,
    state: State<'_, AppState>,
    req: LoginRequest,
) -> Result<SessionInfo, AppError> {
    let user = req.user.trim().to_owned();
    if user.is_empty()
        || !user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(AppError::bad_input(
            "user",
            "用户名无效",
            "invalid user name",
        ));
    }
    let client = SyncClient::new(req.server.trim(), req.allow_insecure, None)?;
    let mut store = state.open_store(&user)?;
    let resp = client
        .login(&user, &req.password, &store.device_id()?, "GridMate app")
        .await?;
    store.bind_server(&ServerBinding {
        server_url: client.base_url().to_owned(),
        user: resp.user.name.clone(),
        token: resp.token,
        allow_insecure: req.allow_insecure,
        role: resp.user.role,
        legal_role: resp.user.legal_role,
        display_name: resp.user.display_name,
        scope: resp.user.scope,
    })?;
    let session = state.start(&app, &user, store)?;
    session.sync.sync_now();
    with_store(&session.store, |s| info(s))?.ok_or_else(AppError::not_signed_in)
}

/// Without `force`, refuses while records are unsynced: the UI warns first. With it, the session
/// ends but the store (and every record in it) stays on the device.
#[tauri::command]
pub async fn logout(state: State<'_, AppState>, force: bool) -> Result<(), AppError> {
    let store = state.store()?;
    with_store(&store, |s| Ok(s.unbind_server(force)?))?;
    state.stop();
    Ok(())
}

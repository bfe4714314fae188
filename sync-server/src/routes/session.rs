//! The life of a device's token after sign-in: `POST /v1/logout` (the token dies at the server)
//! and `POST /v1/token` (rotation: a new token for the same device).
//!
//! Invariants: both act only on the device of the presented token. Rotation never locks a device
//! out when its answer is lost: the replaced token keeps working until the new one is first used
//! (or the replaced one expires), and rotating again with the replaced token drops the new,
//! never-used one (`AccountStore::rotate_device_token`). A rotated token gets the full lifetime.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;

use super::login::token_lifetime_ms;
use crate::auth::{AuthContext, token};
use crate::error::{ApiError, blocking};
use crate::state::AppState;

/// `POST /v1/logout`: the presented token and any replaced one stop working; later use is 401.
pub async fn logout(
    State(state): State<AppState>,
    auth: AuthContext,
) -> Result<StatusCode, ApiError> {
    let accounts = state.accounts.clone();
    let device = auth.device_id;
    blocking(move || Ok(accounts.drop_device_tokens(device)?)).await?;
    tracing::info!(device_id = %device, "logout");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub token: String,
    /// When the new token expires, ms since the epoch (server clock).
    pub expires_at_ms: i64,
}

/// `POST /v1/token`: a fresh token for the caller's device.
pub async fn rotate(
    State(state): State<AppState>,
    auth: AuthContext,
) -> Result<Json<TokenResponse>, ApiError> {
    let issued = token::generate();
    let expires_at = state.clock.now().plus_millis(token_lifetime_ms(&state));
    let accounts = state.accounts.clone();
    let (used, new) = (auth.token_hash.0, issued.hash);
    blocking(move || {
        // The token was found a moment ago; a logout or rotation in between makes it unknown.
        accounts
            .rotate_device_token(&used, &new, expires_at)
            .map_err(|e| match e {
                crate::storage::StorageError::NotFound(_) => ApiError::Unauthorized,
                other => other.into(),
            })
    })
    .await?;
    tracing::info!(device_id = %auth.device_id, "token rotated");
    Ok(Json(TokenResponse {
        token: issued.token,
        expires_at_ms: expires_at.millis(),
    }))
}

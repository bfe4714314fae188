//! Record sync: `POST /v1/sync`, one exchange carrying a push and a pull (docs/sync-protocol.md).
//! The body is the binary wire format of `gridmate_domain::wire`; the response too. Decoding, push
//! and pull run on the blocking pool: they are CPU and SQLite work, never on the async reactor.

pub mod admin;
pub mod doc;
pub mod pull;
pub mod push;
pub mod schema;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gridmate_domain::wire::{self, PROTOCOL_VERSION, SyncResponse, WireError};

use crate::auth::AuthContext;
use crate::error::ApiError;
use crate::state::AppState;
use push::Pusher;

/// `POST /v1/sync`.
pub async fn sync(
    State(state): State<AppState>,
    auth: AuthContext,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req = tokio::task::spawn_blocking(move || wire::decode_request(&body))
        .await
        .map_err(ApiError::internal)?
        .map_err(wire_error)?;
    let who = Pusher {
        user_id: auth.user_id.0,
        user_name: auth.user_name.clone(),
        device_id: auth.device_id.to_string(),
        scope: auth.scope.clone(),
    };
    let db = state.db.clone();
    let now = state.clock.now();
    let (pushed, records) = (
        req.push.len(),
        req.push.iter().map(|d| d.changes.len()).sum::<usize>(),
    );
    let resp = tokio::task::spawn_blocking(move || -> Result<SyncResponse, ApiError> {
        let batch = if req.push.is_empty() {
            None
        } else {
            Some(
                db.write(|c| push::push_batch(c, &who, req.push, now))
                    .map_err(ApiError::internal)?,
            )
        };
        let skip = batch.as_ref().and_then(|b| b.logged);
        let pull = match &req.pull {
            Some(p) => Some(
                db.read(|c| pull::pull(c, &who.scope, p, skip))
                    .map_err(ApiError::internal)?,
            ),
            None => None,
        };
        Ok(SyncResponse {
            protocol: PROTOCOL_VERSION,
            server_time_ms: now.millis(),
            results: batch.map(|b| b.results).unwrap_or_default(),
            pull,
        })
    })
    .await
    .map_err(ApiError::internal)??;
    tracing::debug!(user = %auth.user_id, pushed, changes = records, "sync");
    let bytes = tokio::task::spawn_blocking(move || wire::encode_response(&resp))
        .await
        .map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, wire::CONTENT_TYPE)], bytes).into_response())
}

fn wire_error(e: WireError) -> ApiError {
    match e {
        WireError::TooLarge | WireError::Limit(_) => ApiError::PayloadTooLarge,
        WireError::UnsupportedProtocol(v) => ApiError::bad_request(
            format!("不支持的同步协议版本 {v}，请更新应用"),
            format!("sync protocol version {v} is not supported; update the app"),
        ),
        other => ApiError::bad_request(
            "同步请求格式错误",
            format!("malformed sync request: {other}"),
        ),
    }
}

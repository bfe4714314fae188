//! Record sync: `POST /v1/sync`, one exchange carrying a push and a pull (docs/sync-protocol.md).
//! The body is the binary wire format of `gridmate_domain::wire`; the response too. Decoding, push
//! and pull run on the blocking pool: they are CPU and SQLite work, never on the async reactor.

pub mod admin;
mod assigned;
mod authorize;
pub mod doc;
pub mod held;
pub mod held_admin;
#[cfg(test)]
mod held_tests;
pub mod limits;
pub mod plan;
pub mod plan_edit;
#[cfg(test)]
mod plan_tests;
pub mod pull;
pub mod push;
mod refusal;
pub mod schema;
pub mod store;
#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod workflow_tests;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gridmate_domain::wire::{self, SyncResponse, WireError};

use crate::auth::AuthContext;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::SqliteStorage;
use push::Pusher;

/// `POST /v1/sync`.
pub async fn sync(
    State(state): State<AppState>,
    auth: AuthContext,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // A body that grows past the limit while streaming (no Content-Length) is our JSON 413 too.
    let body = body?;
    // Held until the response is encoded; waiting here is queueing, not refusal (429 is decided
    // earlier, by the in-flight limit).
    let _work = state
        .sync_work
        .clone()
        .acquire_owned()
        .await
        .map_err(ApiError::internal)?;
    let req = tokio::task::spawn_blocking(move || wire::decode_request(&body))
        .await
        .map_err(ApiError::internal)?
        .map_err(wire_error)?;
    let who = Pusher {
        user_id: auth.user_id.0,
        user_name: auth.user_name.clone(),
        role: auth.role,
        device_id: auth.device_id.to_string(),
        scope: auth.scope.clone(),
        unit: auth.unit.clone(),
    };
    let unit = auth.unit.clone();
    let store = state.sync.clone();
    let held = state.config.held.clone();
    let now = state.clock.now();
    let (db, budget) = (state.db.clone(), state.config.write_budget);
    let protocol = req.protocol;
    let (pushed, records) = (
        req.push.len(),
        req.push.iter().map(|d| d.changes.len()).sum::<usize>(),
    );
    let resp = tokio::task::spawn_blocking(move || -> Result<SyncResponse, ApiError> {
        let batch = if req.push.is_empty() {
            None
        } else {
            check_budget(&db, who.user_id, &budget, &req.push, now)?;
            Some(
                store
                    .push(&who, req.push, (&held, now))
                    .map_err(ApiError::internal)?,
            )
        };
        let skip: &[i64] = batch.as_ref().map_or(&[], |b| b.logged.as_slice());
        // Apps before protocol 4 cannot be told to drop a record that is reassigned: they get
        // no assigned records outside their scope.
        let reader = pull::Reader {
            scope: &who.scope,
            user_name: &who.user_name,
            unit: unit.as_deref(),
            assigned: protocol >= 4,
            authors: protocol >= 5,
        };
        let pull = match &req.pull {
            Some(p) => Some(store.pull(&reader, p, skip).map_err(ApiError::internal)?),
            None => None,
        };
        Ok(SyncResponse {
            // Answered in the request's layout (`wire::SERVED_VERSIONS`).
            protocol,
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

/// Refuses an exchange that pushes more than the user's write budget leaves (429 with the
/// seconds until it fits); a pull-only exchange is never asked. Runs on the exchange's blocking
/// thread, before the push, so the check costs no extra hop off the reactor.
fn check_budget(
    db: &SqliteStorage,
    user_id: i64,
    budget: &limits::WriteBudget,
    push: &[wire::PushDoc],
    now: gridmate_domain::Timestamp,
) -> Result<(), ApiError> {
    let incoming = limits::Usage::of_push(push);
    let wait = db
        .read(|c| limits::budget_wait(c, user_id, budget, incoming, now))
        .map_err(ApiError::internal)?;
    match wait {
        None => Ok(()),
        Some(retry_after_secs) => {
            tracing::info!(user = user_id, retry_after_secs, "write budget exceeded");
            Err(ApiError::WriteBudgetExceeded { retry_after_secs })
        }
    }
}

/// The typed API error of a body that did not decode (docs/sync-protocol.md, "Errors"). The
/// decoder's detail may echo submitted bytes (an area id): the client gets a fixed message and
/// the log only the code.
fn wire_error(e: WireError) -> ApiError {
    tracing::debug!(code = e.code(), "sync body refused");
    match e {
        WireError::TooLarge | WireError::Limit(_) => ApiError::PayloadTooLarge,
        WireError::UnsupportedProtocol(v) => ApiError::UnsupportedProtocol(v),
        WireError::BadMagic | WireError::Decompress(_) | WireError::Malformed(_) => {
            ApiError::MalformedBody
        }
    }
}

//! The HTTP router: routes plus the cross-cutting layers every request goes through.
//!
//! Layers, outermost first: request span + access log ([`trace_requests`]) -> in-flight limit
//! ([`limit_in_flight`], 429 `overloaded`) -> declared-size check ([`reject_oversized`], 413) ->
//! `DefaultBodyLimit` (413 for bodies that grow past the limit while streaming) -> route.
//! Unknown paths and methods answer our JSON errors too.
//!
//! To add routes (e.g. record sync), pass them to [`router_with`] as a `Router<AppState>`; they get
//! the same layers.

pub mod health;
pub mod login;
pub mod me;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tracing::{Instrument, field};

use crate::error::ApiError;
use crate::state::AppState;

/// The complete API with all layers.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The API plus `extra` routes, all behind the same layers.
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let max_body = state.config.max_body_bytes;
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/v1/login", post(login::login))
        .route("/v1/me", get(me::me))
        .route("/v1/sync", post(crate::sync::sync))
        .merge(extra)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            reject_oversized,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limit_in_flight,
        ))
        .layer(middleware::from_fn(trace_requests))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Opens the request span and logs one line per request. Logs the route template (not the raw
/// path, which a client could fill with personal data), the status, the latency and — recorded
/// by [`crate::auth::AuthContext`] — the user id.
async fn trace_requests(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("<unmatched>", |p| p.as_str())
        .to_owned();
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        user_id = field::Empty,
    );
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.in_scope(|| {
        if response.status().is_server_error() {
            tracing::warn!(status, latency_ms, "request finished");
        } else {
            tracing::info!(status, latency_ms, "request finished");
        }
    });
    response
}

/// Sheds load instead of queueing: beyond `max_in_flight` concurrent requests, answer 429
/// `overloaded` with `Retry-After: 1` at once, so clients back off and latency stays bounded.
async fn limit_in_flight(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match state.in_flight.clone().try_acquire_owned() {
        Ok(permit) => {
            let response = next.run(req).await;
            drop(permit);
            response
        }
        Err(_) => ApiError::Overloaded.into_response(),
    }
}

/// Refuses a body whose declared length is over the limit before reading any of it.
async fn reject_oversized(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = u64::try_from(state.config.max_body_bytes).unwrap_or(u64::MAX);
    if declared.is_some_and(|n| n > limit) {
        return ApiError::PayloadTooLarge.into_response();
    }
    next.run(req).await
}

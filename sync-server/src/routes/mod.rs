//! The HTTP router: routes plus the cross-cutting layers every request goes through.
//!
//! Layers, outermost first (tower / tower-http, see [`router_with`]): request span + access log
//! (`TraceLayer`) -> intake ([`intake`]: the request timeout, the route's body limit, 413
//! `payload_too_large` for a declared length over it before anything is read or for a body that
//! grows past it, 408 `request_timeout` for a silent body, sync callers authenticated before their
//! body is read) -> in-flight limit (load shedding over a concurrency limit: 429 `overloaded`,
//! never queueing; taken only once the body is in, so slow senders hold no slot) -> route.
//! Unknown paths and methods answer our JSON errors too.
//!
//! Invariant: the access log records method, route template, status, latency and (once
//! authenticated) the user id; never a raw path, a body, a token or personal data.
//!
//! To add routes (e.g. record sync), pass them to [`router_with`] as a `Router<AppState>`; they get
//! the same layers.

pub mod health;
pub mod intake;
pub mod login;
pub mod me;
pub mod reference;
pub mod session;

use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{Request, Response};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::error::Overloaded;
use tower::{BoxError, ServiceBuilder};
use tower_http::trace::TraceLayer;
use tracing::{Span, field};

use crate::error::ApiError;
use crate::state::AppState;

/// The complete API with all layers.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The API plus `extra` routes, all behind the same layers.
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let layers = ServiceBuilder::new()
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_eos(())
                .on_failure(()),
        )
        .layer(from_fn_with_state(state.clone(), intake::intake))
        .layer(HandleErrorLayer::new(shed_error))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(
            state.in_flight.clone(),
        ))
        // The intake has received every body under its limit; axum's own 2 MB default for
        // extractors would only refuse bodies the configured limit allows.
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/v1/login", post(login::login))
        .route("/v1/logout", post(session::logout))
        .route("/v1/token", post(session::rotate))
        .route("/v1/me", get(me::me))
        .route("/v1/reference", get(reference::reference))
        .route("/v1/sync", post(crate::sync::sync))
        .merge(crate::console::routes())
        .merge(extra)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(layers)
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// The request span. It names the route template, not the raw path (which a client could fill
/// with personal data); [`crate::auth::AuthContext`] records the user id into it.
fn request_span<B>(req: &Request<B>) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("<unmatched>", |p| p.as_str());
    tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        user_id = field::Empty,
    )
}

/// The access log: one line per request, in the request span.
fn log_response<B>(response: &Response<B>, latency: Duration, _span: &Span) {
    let status = response.status().as_u16();
    let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
    if response.status().is_server_error() {
        tracing::warn!(status, latency_ms, "request finished");
    } else {
        tracing::info!(status, latency_ms, "request finished");
    }
}

/// Load shedding answers at once instead of queueing, so clients back off (`Retry-After: 1`) and
/// latency stays bounded. Nothing else below the shedder fails.
async fn shed_error(err: BoxError) -> ApiError {
    if err.is::<Overloaded>() {
        ApiError::Overloaded
    } else {
        ApiError::internal(err)
    }
}

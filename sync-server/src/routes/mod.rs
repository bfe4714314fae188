//! The HTTP router: routes plus the cross-cutting layers every request goes through.
//!
//! Layers, outermost first (tower / tower-http, see [`router_with`]): request span + access log
//! (`TraceLayer`) -> in-flight limit (load shedding over a concurrency limit: 429 `overloaded`,
//! never queueing) -> body limit (`RequestBodyLimitLayer`: 413 for a declared length over the
//! limit before anything is read, and for a body that grows past it while streaming; both are our
//! JSON `payload_too_large`) -> route. Unknown paths and methods answer our JSON errors too.
//!
//! Invariant: the access log records method, route template, status, latency and (once
//! authenticated) the user id; never a raw path, a body, a token or personal data.
//!
//! To add routes (e.g. record sync), pass them to [`router_with`] as a `Router<AppState>`; they get
//! the same layers.

pub mod health;
pub mod login;
pub mod me;
pub mod reference;
pub mod session;

use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::error::Overloaded;
use tower::{BoxError, ServiceBuilder};
use tower_http::limit::RequestBodyLimitLayer;
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
        .layer(HandleErrorLayer::new(shed_error))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::with_semaphore(
            state.in_flight.clone(),
        ))
        .map_response(typed_payload_too_large)
        .layer(RequestBodyLimitLayer::new(state.config.max_body_bytes))
        // The limit above covers every body; axum's own 2 MB default for extractors would only
        // refuse bodies the configured limit allows.
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/v1/login", post(login::login))
        .route("/v1/logout", post(session::logout))
        .route("/v1/token", post(session::rotate))
        .route("/v1/me", get(me::me))
        .route("/v1/reference", get(reference::reference))
        .route("/v1/sync", post(crate::sync::sync))
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

/// `RequestBodyLimitLayer` refuses an oversized declared length with a plain-text 413; clients
/// match on our JSON code, so that answer becomes `payload_too_large` (our own 413s are JSON
/// already and pass unchanged).
fn typed_payload_too_large<B>(response: Response<B>) -> axum::response::Response
where
    B: HttpBody<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let ours = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !ours {
        return ApiError::PayloadTooLarge.into_response();
    }
    response.map(Body::new)
}

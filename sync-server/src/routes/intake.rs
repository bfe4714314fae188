//! Request intake: the middleware that receives a request's body under its route's size limit and
//! the body timeout, and bounds the whole request by the request timeout, all before the request
//! takes an in-flight slot; a client that trickles its body ties up a connection, never a slot.
//!
//! Limits by route ([`crate::limits::ConnectionLimits`]): `POST /v1/login` takes
//! `login_body_bytes`; `POST /v1/sync` takes `ServerConfig::max_body_bytes`, but only once its
//! bearer token checks out (the caller is authenticated before a byte of the body is read, so an
//! unauthenticated caller gets 401 whatever length it declares); an admin's grid boundary
//! (`PUT /v1/console/admin/areas/{id}/boundary`) takes 1 MiB, likewise only once the console
//! session, its CSRF token and the admin role check out; every other route takes `small_body_bytes`. No limit exceeds `max_body_bytes`.
//!
//! Invariants: a declared `Content-Length` over the limit is refused (413 `payload_too_large`)
//! before anything is read; a streamed body is refused as soon as it grows past the limit; a body
//! silent for `body_timeout`, or a request not answered within its request timeout, is 408
//! `request_timeout`. Every refusal here leaves the body unread, so its HTTP/1.1 answer closes
//! the connection. Handlers see a fully received body.

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, Version, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::AuthContext;
use crate::console::auth::ConsoleUser;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest buffer reserved up front from a declared length; more grows as bytes actually arrive.
const MAX_PREALLOCATION: usize = 64 * 1024;

/// Which body limit a request falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Login,
    Sync,
    /// An admin's grid boundary upload (`console::boundary`): up to 1 MiB, once the caller's
    /// console session and CSRF token check out.
    Boundary,
    Other,
}

fn route_of(req: &Request) -> Route {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    match (req.method(), path) {
        (&Method::POST, Some("/v1/login")) => Route::Login,
        (&Method::POST, Some("/v1/sync")) => Route::Sync,
        (&Method::PUT, Some(crate::console::boundary::PUT_ROUTE)) => Route::Boundary,
        _ => Route::Other,
    }
}

/// The middleware (see the module doc).
pub async fn intake(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = route_of(&req);
    let version = req.version();
    let limits = &state.config.connections;
    let deadline = if route == Route::Sync {
        limits.sync_request_timeout
    } else {
        limits.request_timeout
    };
    match tokio::time::timeout(deadline, receive(&state, route, req, next)).await {
        Ok(Ok(response)) => response,
        Ok(Err(refusal)) => closing(refusal, version),
        Err(_) => closing(ApiError::RequestTimeout, version),
    }
}

/// Checks the caller (sync) and the size, receives the body, then hands the request on.
async fn receive(
    state: &AppState,
    route: Route,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    let config = &state.config;
    let limit = match route {
        Route::Sync => {
            let auth = AuthContext::from_request_parts(&mut parts, state).await?;
            // The handler's own `AuthContext` finds this one instead of looking the token up again.
            parts.extensions.insert(auth);
            config.max_body_bytes
        }
        Route::Boundary => {
            let user = ConsoleUser::from_request_parts(&mut parts, state).await?;
            // Only an admin's megabyte is worth receiving.
            user.require_admin()?;
            parts.extensions.insert(user);
            crate::console::boundary::MAX_BODY_BYTES
        }
        Route::Login => config.connections.login_body_bytes,
        Route::Other => config.connections.small_body_bytes,
    }
    .min(config.max_body_bytes);
    let declared = declared_length(&parts)?;
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    let bytes = read_body(body, limit, declared, config.connections.body_timeout).await?;
    Ok(next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await)
}

/// The declared `Content-Length`, if any; hyper has already refused a malformed one.
fn declared_length(parts: &Parts) -> Result<Option<u64>, ApiError> {
    let Some(value) = parts.headers.get(header::CONTENT_LENGTH) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Some)
        .ok_or_else(unreadable)
}

fn unreadable() -> ApiError {
    ApiError::bad_request("无法读取请求内容", "Could not read the request body")
}

/// Receives the whole body: at most `limit` bytes, never silent for longer than `idle`.
async fn read_body(
    mut body: Body,
    limit: usize,
    declared: Option<u64>,
    idle: Duration,
) -> Result<Bytes, ApiError> {
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let expected = declared.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let mut buf = Vec::with_capacity(expected.min(limit).min(MAX_PREALLOCATION));
    loop {
        let frame = tokio::time::timeout(idle, poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)))
            .await
            .map_err(|_| ApiError::RequestTimeout)?;
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|_| unreadable())?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(ApiError::PayloadTooLarge);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(buf))
}

/// The refusal, asking an HTTP/1 client to close: the rest of its body was never read.
fn closing(error: ApiError, version: Version) -> Response {
    let mut response = error.into_response();
    if version <= Version::HTTP_11 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

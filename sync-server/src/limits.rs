//! [`ConnectionLimits`]: how long and how much the server waits for a client, and how many
//! connections one address may hold, so slow or greedy clients cannot tie up the server.
//!
//! Where each limit acts: the header, keep-alive and TLS handshake timeouts and the per-address
//! cap act on connections (`crate::server`, `crate::peer_cap`); the body limits, the body timeout
//! and the request timeouts act on requests, before a request takes an in-flight slot
//! (`crate::routes::intake`).
//!
//! Invariants: the defaults never bother an honest grid worker (a login body is a few hundred
//! bytes; a sync over a slow mobile link sends something at least every few seconds; one phone
//! holds one or two connections); the sync body limit itself is `ServerConfig::max_body_bytes`,
//! which also caps every limit here.

use std::time::Duration;

/// Default time to receive a new connection's first request head (and the TLS handshake).
pub const DEFAULT_HEADER_TIMEOUT_SECS: u64 = 10;
/// Default longest silence while a request body is arriving.
pub const DEFAULT_BODY_TIMEOUT_SECS: u64 = 30;
/// Default whole-request time (body plus handling) on routes other than sync.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Default whole-request time (body plus handling) of `POST /v1/sync`.
pub const DEFAULT_SYNC_REQUEST_TIMEOUT_SECS: u64 = 120;
/// Default time a kept-alive connection may wait for (and receive the head of) its next request.
pub const DEFAULT_KEEP_ALIVE_SECS: u64 = 60;
/// Default connections open at once from one address (IPv4 address or IPv6 /64).
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
/// Default largest `POST /v1/login` body: the real one is a few hundred bytes.
pub const DEFAULT_LOGIN_BODY_BYTES: usize = 4 * 1024;
/// Default largest body on routes other than login and sync (none of them takes a body today).
pub const DEFAULT_SMALL_BODY_BYTES: usize = 16 * 1024;

/// Time and connection limits of the server (one field of `ServerConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A new connection must deliver its first complete request head within this (after the TLS
    /// handshake, which gets the same time); otherwise it is closed without an answer.
    pub header_timeout: Duration,
    /// Longest silence while a request body arrives: 408 `request_timeout`, connection closed.
    pub body_timeout: Duration,
    /// Whole request (body and handling) on every route but sync: 408 `request_timeout`.
    pub request_timeout: Duration,
    /// Whole request (body and handling) of `POST /v1/sync`: 408 `request_timeout`.
    pub sync_request_timeout: Duration,
    /// After an answer, the next request's head must have arrived within this, else the
    /// connection is closed (HTTP/1.1 keep-alive).
    pub keep_alive: Duration,
    /// Connections one client address may hold open at once; 0 means no cap. Further connections
    /// are closed at once, unanswered. Not applied behind a reverse proxy (`trust_forwarded_for`),
    /// where every connection comes from the proxy.
    pub max_connections_per_address: usize,
    /// Largest `POST /v1/login` body: 413 `payload_too_large`.
    pub login_body_bytes: usize,
    /// Largest body of any route other than login and sync: 413 `payload_too_large`.
    pub small_body_bytes: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(DEFAULT_HEADER_TIMEOUT_SECS),
            body_timeout: Duration::from_secs(DEFAULT_BODY_TIMEOUT_SECS),
            request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECS),
            sync_request_timeout: Duration::from_secs(DEFAULT_SYNC_REQUEST_TIMEOUT_SECS),
            keep_alive: Duration::from_secs(DEFAULT_KEEP_ALIVE_SECS),
            max_connections_per_address: DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
            login_body_bytes: DEFAULT_LOGIN_BODY_BYTES,
            small_body_bytes: DEFAULT_SMALL_BODY_BYTES,
        }
    }
}

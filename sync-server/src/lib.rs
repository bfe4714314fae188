//! GridMate's sync server (library half of the `gridmate-server` binary): accounts, devices and
//! bearer-token auth, operations endpoints, and the admin CLI. Record sync builds on the pieces
//! exported here: [`AppState`], [`routes::router_with`], [`storage::SqliteStorage`],
//! [`auth::AuthContext`] and the one error type [`ApiError`].
//!
//! Invariants: no unsafe code; no personal data, passwords or tokens in logs or error messages;
//! all blocking work (SQLite, argon2) runs off the async reactor.
#![forbid(unsafe_code)]

pub mod auth;
pub mod cli;
pub mod clock;
pub mod console;
pub mod error;
pub mod json;
pub mod limits;
pub mod model;
pub mod peer_cap;
pub mod reference;
pub mod routes;
pub mod scope;
pub mod server;
pub mod state;
pub mod storage;
pub mod sync;
pub mod telemetry;

pub use auth::AuthContext;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::ApiError;
pub use limits::ConnectionLimits;
pub use routes::{router, router_with};
pub use scope::Scope;
pub use state::{AppState, ServerConfig};
pub use storage::{AccountStore, SqliteStorage, StorageError};

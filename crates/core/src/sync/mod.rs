//! The client side of sync: pure decisions (`engine`), the HTTP transport (`transport`) and the
//! driver that runs them against the store (`driver`). The store's own sync bookkeeping lives in
//! `store::sync`. Protocol: docs/sync-protocol.md.

pub mod driver;
pub mod engine;
mod messages;
pub mod session;
pub mod sign_in;
pub mod transport;

pub use driver::{
    LoopTimings, SharedStore, SyncError, SyncHandle, SyncReport, client_for, finish, log_entry,
    spawn_sync_loop, sync_once, upkeep,
};
pub use engine::{SyncConfig, SyncStatus};
pub use messages::server_message_zh;
pub use session::{TOKEN_ROTATE_AFTER_MS, rotate_token, sign_out};
pub use sign_in::{SignIn, check_user_name, is_valid_user_name, sign_in};
pub use transport::{SyncClient, TransportError};

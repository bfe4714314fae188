//! The client side of sync: pure decisions (`engine`), the HTTP transport (`transport`) and the
//! driver that runs them against the store (`driver`). The store's own sync bookkeeping lives in
//! `store::sync`. Protocol: docs/sync-protocol.md.

pub mod driver;
pub mod engine;
pub mod transport;

pub use driver::{
    LoopTimings, SyncError, SyncHandle, SyncReport, client_for, spawn_sync_loop, sync_once, upkeep,
};
pub use engine::{SyncConfig, SyncStatus};
pub use transport::{SyncClient, TransportError};

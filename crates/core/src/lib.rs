//! GridMate's offline client runtime: the SQLite record store, the sync engine and its HTTP
//! transport, shared by the `gridmate` CLI and the Tauri app.
#![forbid(unsafe_code)]

pub mod store;
pub mod sync;

pub use store::{Store, StoreError};

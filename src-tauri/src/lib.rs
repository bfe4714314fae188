//! GridMate's Tauri 2 shell: the app's state, its commands over `gridmate-core`, and events to the
//! UI (`records-changed`, `sync-status`). The data lives under the platform's app data folder, one
//! store per account; the background sync driver runs inside the app.
//!
//! `GRIDMATE_APP_DATA` overrides the data folder (tests and the demo run use it), and
//! `GRIDMATE_LOG` sets the log filter.
#![forbid(unsafe_code)]

include!("command_table.rs");

mod commands;
mod contract;
mod error;
mod state;

#[cfg(test)]
mod bindings;

use std::path::PathBuf;

use tauri::Manager;

use commands::{records::*, session::*, sync::*, workflow::*};

/// Registers every command of the table with Tauri.
macro_rules! handler {
    ($($name:ident($($arg:ident: $arg_ty:ty),*) -> $ret:ty;)*) => {
        tauri::generate_handler![$($name),*]
    };
}
use state::AppState;

/// Runs the app (desktop `main` and the mobile entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    // Logs go to stderr; they never contain record content or personal data (ids and codes only).
    let filter = tracing_subscriber::EnvFilter::try_from_env("GRIDMATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    tracing::info!("starting GridMate");
    let result = tauri::Builder::default()
        .setup(|app| {
            let data_dir = match std::env::var_os("GRIDMATE_APP_DATA") {
                Some(d) => PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            // Owner-only data folder (created so, or tightened): records hold personal data.
            gridmate_core::store::files::private_data_dir(&data_dir)?;
            let state = AppState::new(data_dir);
            // Reopen the last account straight away: the app works offline from the first frame.
            if let Some(account) = state.remembered_account() {
                let handle = app.handle().clone();
                let restored = state.open_store(&account).and_then(|store| {
                    let store = std::sync::Arc::new(std::sync::Mutex::new(store));
                    tauri::async_runtime::block_on(async { state.start(&handle, &account, store) })
                });
                if let Err(e) = restored {
                    tracing::warn!(code = %e.code, "could not reopen the last account");
                }
            }
            app.manage(state);
            Ok(())
        })
        .invoke_handler(app_commands!(handler))
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("GridMate could not start: {e}");
        std::process::exit(1);
    }
}

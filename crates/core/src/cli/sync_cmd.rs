//! `login`, `sync` and `status`: the CLI over the sync driver, on a small tokio runtime.

use std::io::BufRead;
use std::path::Path;
use std::sync::{Arc, Mutex};

use gridmate_core::Store;
use gridmate_core::store::ServerBinding;
use gridmate_core::sync::{SyncClient, SyncConfig, SyncError, SyncStatus, sync_once};

use super::output::print_json;
use super::report::CliError;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(anyhow::anyhow!("cannot start the runtime: {e}")))
}

fn sync_error(e: SyncError) -> CliError {
    CliError::Other(anyhow::anyhow!("[{}] {e}", e.code()))
}

#[allow(clippy::too_many_arguments)]
pub fn login(
    path: &Path,
    account: &str,
    server: &str,
    user: &str,
    password_stdin: bool,
    allow_insecure: bool,
    device_name: &str,
    json: bool,
) -> Result<(), CliError> {
    let client = SyncClient::new(server, allow_insecure, None)
        .map_err(|e| CliError::input("bad_server", "server", e.to_string()))?;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::input("io_error", "password", e.to_string()))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        rpassword::prompt_password(format!("password for {user}: "))
            .map_err(|e| CliError::input("io_error", "password", e.to_string()))?
    };
    let mut store = Store::open(path, account)?;
    let device_id = store.device_id()?;
    let resp = runtime()?
        .block_on(client.login(user, &password, &device_id, device_name))
        .map_err(|e| CliError::Other(anyhow::anyhow!("[{}] {e}", e.code())))?;
    store.bind_server(&ServerBinding {
        server_url: client.base_url().to_owned(),
        user: resp.user.name.clone(),
        token: resp.token,
        allow_insecure,
        role: resp.user.role.clone(),
        legal_role: resp.user.legal_role.clone(),
        display_name: resp.user.display_name.clone(),
        scope: resp.user.scope.clone(),
    })?;
    if json {
        print_json(&serde_json::json!({"user": resp.user, "device_id": device_id}));
    } else {
        println!(
            "signed in as {} ({}) on {}; scope: {}",
            resp.user.name,
            resp.user.role,
            client.base_url(),
            resp.user.scope.join(", ")
        );
    }
    Ok(())
}

pub fn sync(path: &Path, account: &str, json: bool) -> Result<(), CliError> {
    let store = Arc::new(Mutex::new(Store::open(path, account)?));
    let rt = runtime()?;
    let report = rt.block_on(async {
        let client = gridmate_core::sync::client_for(&store).await?;
        let progress = move |s: SyncStatus| {
            if let SyncStatus::Syncing {
                done,
                total,
                pulled,
            } = s
                && !json
            {
                eprintln!("syncing: pushed {done} of {total}, pulled {pulled}");
            }
        };
        sync_once(&store, &client, &SyncConfig::default(), &progress).await
    });
    let entry = gridmate_core::store::SyncLogEntry {
        at: gridmate_domain::Timestamp::now(),
        ok: report.is_ok(),
        pushed: report.as_ref().map_or(0, |r| r.pushed as u64),
        pulled: report.as_ref().map_or(0, |r| r.pulled_records as u64),
        rejected: report.as_ref().map_or(0, |r| r.rejected.len() as u64),
        error: report.as_ref().err().map(|e| format!("[{}] {e}", e.code())),
    };
    if let Ok(s) = store.lock() {
        let _ = s.log_sync(&entry);
        let _ = s.maintain(); // the upkeep the sync left for after its result (sync::upkeep)
    }
    let report = report.map_err(sync_error)?;
    if json {
        print_json(&report);
    } else {
        println!(
            "pushed {} records ({} accepted, {} held, {} rejected), pulled {} records ({} changes) in {} exchange(s), {} bytes up, {} bytes down",
            report.pushed,
            report.accepted,
            report.held,
            report.rejected.len(),
            report.pulled_records,
            report.pulled_changes,
            report.exchanges,
            report.bytes_sent,
            report.bytes_received
        );
        for r in &report.rejected {
            println!(
                "  rejected {} [{}] {}: {} / {}",
                r.id, r.code, r.field, r.message_zh, r.message_en
            );
        }
    }
    if report.rejected.is_empty() {
        Ok(())
    } else {
        Err(CliError::Other(anyhow::anyhow!(
            "{} record(s) were rejected by the server",
            report.rejected.len()
        )))
    }
}

pub fn status(path: &Path, account: &str, json: bool) -> Result<(), CliError> {
    let store = Store::open(path, account)?;
    let counts = store.counts()?;
    let binding = store.server_binding()?;
    let server = binding.as_ref().map(|b| b.server_url.clone());
    if json {
        print_json(&serde_json::json!({"counts": counts, "server": server, "user": store.user()}));
    } else {
        println!(
            "user: {}  server: {}",
            store.user(),
            server.as_deref().unwrap_or("(not signed in)")
        );
        println!(
            "records: {}  pending: {}  rejected: {}  quarantined: {}",
            counts.records, counts.pending, counts.rejected, counts.quarantined
        );
    }
    Ok(())
}

//! `login`, `sync`, `status` and `logout`: the CLI over the sync driver (`sign_in`, `sync_once`,
//! `finish`, `sign_out`), on a small tokio runtime.

use std::io::BufRead;
use std::path::Path;
use std::sync::{Arc, Mutex};

use gridmate_core::Store;
use gridmate_core::sync::{SignIn, SyncConfig, SyncStatus, finish, sign_in, sign_out, sync_once};

use super::output::{outln, print_json};
use super::report::CliError;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Other(anyhow::anyhow!("cannot start the runtime: {e}")))
}

/// `login`'s flags.
#[derive(Debug)]
pub struct LoginArgs<'a> {
    pub server: &'a str,
    pub user: &'a str,
    pub password_stdin: bool,
    pub allow_insecure: bool,
    pub ca_cert: Option<&'a Path>,
    pub device_name: &'a str,
}

pub fn login(path: &Path, account: &str, args: &LoginArgs<'_>, json: bool) -> Result<(), CliError> {
    let LoginArgs {
        server,
        user,
        password_stdin,
        allow_insecure,
        ca_cert,
        device_name,
    } = *args;
    // Read before the password prompt: a wrong path fails at once.
    let ca_pem = ca_cert
        .map(|p| {
            std::fs::read_to_string(p).map_err(|e| {
                CliError::input("io_error", "ca_cert", format!("{}: {e}", p.display()))
            })
        })
        .transpose()?;
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
    let store = Arc::new(Mutex::new(Store::open(path, account)?));
    let req = SignIn {
        server,
        user,
        password: &password,
        allow_insecure,
        device_name,
        ca_cert: ca_pem.as_deref(),
    };
    let resp = runtime()?.block_on(sign_in(&store, &req))?;
    if json {
        print_json(&serde_json::json!({"user": resp.user, "device_id": resp.device_id}));
    } else {
        outln!(
            "signed in as {} ({}) on {}; scope: {}",
            resp.user.name,
            resp.user.role,
            server.trim().trim_end_matches('/'),
            resp.user.scope.join(", ")
        );
    }
    Ok(())
}

/// Signs out on this device, and at the server when it can be reached (the token dies there).
pub fn logout(path: &Path, account: &str, force: bool, json: bool) -> Result<(), CliError> {
    let store = Arc::new(Mutex::new(Store::open(path, account)?));
    let at_server = runtime()?.block_on(sign_out(&store, force))?;
    if json {
        print_json(&serde_json::json!({"signed_out": true, "server_confirmed": at_server}));
    } else if at_server {
        outln!("signed out");
    } else {
        outln!("signed out on this device (the server could not be reached)");
    }
    Ok(())
}

pub fn sync(path: &Path, account: &str, json: bool) -> Result<(), CliError> {
    let store = Arc::new(Mutex::new(Store::open(path, account)?));
    let report = runtime()?.block_on(async {
        let outcome = match gridmate_core::sync::client_for(&store).await {
            Ok(client) => {
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
            }
            Err(e) => Err(e),
        };
        finish(&store, &outcome).await;
        outcome
    })?;
    if json {
        print_json(&report);
    } else {
        outln!(
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
            outln!(
                "  rejected {} [{}] {}: {} / {}",
                r.id,
                r.code,
                r.field,
                r.message_zh,
                r.message_en
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
        outln!(
            "user: {}  server: {}",
            store.user(),
            server.as_deref().unwrap_or("(not signed in)")
        );
        outln!(
            "records: {}  pending: {}  rejected: {}  quarantined: {}",
            counts.records,
            counts.pending,
            counts.rejected,
            counts.quarantined
        );
    }
    Ok(())
}

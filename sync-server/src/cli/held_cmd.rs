//! `gridmate-server held list|purge`: the changes the server holds because their dependencies
//! have not arrived (`sync::held`), shown and removed by the operator.
//!
//! Invariant: a purge prints every change it removed; a filter that names an unknown user or a
//! malformed record id is refused before anything is read or removed.

use std::io::Write;

use clap::{Args, Subcommand};
use gridmate_domain::Timestamp;

use super::{CliError, DataArg, name_arg};
use crate::storage::SqliteStorage;
use crate::sync::held_admin::{self, HeldEntry, HeldFilter};

#[derive(Debug, Subcommand)]
pub enum HeldCommand {
    /// List held changes (record, pusher, device, bytes, age, missing dependencies).
    List {
        #[command(flatten)]
        data: DataArg,
        /// Only this user's held changes.
        #[arg(long)]
        user: Option<String>,
        /// Only this device's held changes.
        #[arg(long)]
        device: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Remove held changes; prints what was removed.
    Purge {
        #[command(flatten)]
        data: DataArg,
        #[command(flatten)]
        which: PurgeWhich,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
}

/// Exactly one selection of what to purge.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct PurgeWhich {
    /// Every held change of this user.
    #[arg(long)]
    user: Option<String>,
    /// Every held change of this device.
    #[arg(long)]
    device: Option<String>,
    /// Every held change of this record (its UUID).
    #[arg(long)]
    record: Option<uuid::Uuid>,
    /// Every held change held at least this many days.
    #[arg(long, value_name = "DAYS")]
    older_than: Option<u32>,
}

pub(super) fn held(cmd: HeldCommand) -> Result<(), CliError> {
    let now = Timestamp::now();
    match cmd {
        HeldCommand::List {
            data,
            user,
            device,
            json,
        } => {
            let db = SqliteStorage::open(&data.data)?;
            let filter = HeldFilter {
                user: known_user(&db, user)?,
                device,
                ..HeldFilter::default()
            };
            print(&held_admin::list(&db, &filter, now)?, json, "held")
        }
        HeldCommand::Purge { data, which, json } => {
            let db = SqliteStorage::open(&data.data)?;
            let filter = HeldFilter {
                user: known_user(&db, which.user)?,
                device: which.device,
                record: which.record,
                older_than_days: which.older_than,
            };
            print(&held_admin::purge(&db, &filter, now)?, json, "removed")
        }
    }
}

/// The normalized user name, refused when no such account exists.
fn known_user(db: &SqliteStorage, user: Option<String>) -> Result<Option<String>, CliError> {
    let Some(raw) = user else {
        return Ok(None);
    };
    let name = name_arg(&raw)?;
    use crate::storage::AccountStore;
    if db.user_by_name(&name)?.is_none() {
        return Err(CliError::UnknownUser(name));
    }
    Ok(Some(name))
}

fn print(entries: &[HeldEntry], json: bool, verb: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    if json {
        for e in entries {
            writeln!(out, "{}", serde_json::to_string(e)?)?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "{:<36} {:<16} {:<20} {:<36} {:>8} {:>10} MISSING",
        "RECORD", "CHANGE", "USER", "DEVICE", "BYTES", "AGE"
    )?;
    for e in entries {
        let missing: Vec<&str> = e.missing.iter().map(|m| m.get(..12).unwrap_or(m)).collect();
        writeln!(
            out,
            "{:<36} {:<16} {:<20} {:<36} {:>8} {:>10} {}",
            e.record_id,
            e.hash.get(..16).unwrap_or(&e.hash),
            e.user.as_deref().unwrap_or("-"),
            e.device,
            e.bytes,
            age(e.age_secs),
            if missing.is_empty() {
                "-".to_owned()
            } else {
                missing.join(",")
            },
        )?;
    }
    let bytes: usize = entries.iter().map(|e| e.bytes).sum();
    writeln!(out, "{verb} {} change(s), {bytes} bytes", entries.len())?;
    Ok(())
}

/// An age as days and hours, or minutes when younger than an hour.
fn age(secs: i64) -> String {
    match secs {
        s if s >= 86_400 => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{}h", s / 3600),
        s => format!("{}m", s / 60),
    }
}

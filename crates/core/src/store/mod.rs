//! The offline record store: one SQLite file per account, holding for each record its Automerge
//! document (the truth), a projection row (what lists and filters query), a full-text index entry
//! and sync bookkeeping.
//!
//! Invariants:
//! - Every user-visible save is one SQLite transaction over document, projection, index and sync
//!   state; with WAL and `synchronous = FULL`, after a crash or power loss the file holds the old
//!   record or the new one, never a mix, and a save that returned `Ok` is on disk.
//! - The projection is derived from the document on every save and never edited on its own.
//! - Each opening of the store writes with a fresh, random Automerge actor, so a device restored
//!   from a backup can never reuse an actor (and sequence numbers) that already wrote.
//! - A document that cannot be read quarantines its record; every other record still reads.

pub mod app;
mod codec;
pub mod conflicts;
mod error;
pub mod files;
mod filters;
mod history;
mod imports;
pub mod migrations;
mod outbox;
mod projection;
mod pull;
mod read;
mod reference;
pub mod sync;
mod tasks;
mod types;
mod workflow;
mod write;

use std::path::{Path, PathBuf};

use automerge::ActorId;
use gridmate_domain::workflow::deadline::DeadlineTable;
use rusqlite::{Connection, OptionalExtension};

pub use app::{HomeSummary, SyncLogEntry, SyncLogError};
pub use conflicts::{Conflict, ConflictValue};
pub use error::StoreError;
pub use filters::ListFilters;
pub use history::{HistoryEntry, HistoryOp};
pub use imports::{ImportOutcome, RowHash};
pub use sync::{Applied, Outgoing, Rejection, ServerBinding};
pub use tasks::TaskItem;
pub use types::*;
pub use workflow::DisputeWorkflow;

/// File name of the store inside an account's folder.
pub const STORE_FILE: &str = "gridmate.db";

/// An open store. Not `Sync`: one thread drives it (the app's command handler, the CLI, the sync
/// driver in turn), which is also what SQLite's single writer wants.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The user whose name goes into `created_by` and the change messages.
    user: String,
    actor: ActorId,
    /// The deadline table of the reference data, or the default one before any arrived.
    deadlines: DeadlineTable,
}

impl Store {
    /// The store of `account` under a data folder: `DIR/accounts/ACCOUNT/gridmate.db`.
    pub fn account_path(data_dir: &Path, account: &str) -> PathBuf {
        data_dir.join("accounts").join(account).join(STORE_FILE)
    }

    /// Opens (creating and migrating when needed) the store at `path` for `user`.
    pub fn open(path: &Path, user: &str) -> Result<Self, StoreError> {
        // Owner-only folder and files, created so or tightened (`files.rs`).
        if let Some(dir) = path.parent() {
            files::private_dir(dir)?;
        }
        files::private_file(path)?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        files::tighten_companions(path)?;
        // FULL: a save that returned is durable even across a power cut (a phone's battery dies),
        // not only across a killed process. Measured cost in docs/benchmarks.md.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Checkpoints run in `maintain` (after syncs, on close); this is only the safety net, so a
        // user's save rarely pays for one (SQLite's default of 1,000 pages checkpoints too often:
        // W4, docs/benchmarks.md).
        conn.pragma_update(None, "wal_autocheckpoint", 4000)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // The query planner stability guarantee: a statement's plan never depends on the values
        // bound to it. Without it, every `WHERE id = ?1` on `records` (which has partial indexes)
        // marked the statement to be re-planned at each new binding, so a cached statement was
        // compiled again on every call, on each pulled record's lookup. Queries that need a
        // partial index spell its predicate out as literal SQL.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        // Room for every cached statement (about 20), so none is evicted and compiled again.
        conn.set_prepared_statement_cache_capacity(64);
        migrations::migrate(&mut conn)?;
        let mut store = Self {
            conn,
            path: path.to_owned(),
            user: user.to_owned(),
            actor: ActorId::random(),
            deadlines: DeadlineTable::default(),
        };
        store.ensure_device_id()?;
        if let Some(r) = store.reference_data()? {
            store.deadlines = r.deadlines;
        }
        store.refresh_deadlines()?;
        store.readmit_kept_aside()?;
        // A signed-in account writes as its server user, whatever folder name it was opened with.
        if let Some(b) = store.server_binding()? {
            store.user = b.user;
        }
        Ok(store)
    }

    /// Background upkeep, outside any user's save: a bounded step of search-index merging and a
    /// passive WAL checkpoint (never waits for readers). Cheap when there is nothing to do.
    pub fn maintain(&self) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO records_fts (records_fts, rank) VALUES ('merge', 500)",
            [],
        )?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn user(&self) -> &str {
        &self.user
    }

    /// The Automerge actor this opening writes with.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// This install's device id (a UUIDv7 made on first open, kept in the store).
    pub fn device_id(&self) -> Result<String, StoreError> {
        self.meta("device_id")?
            .ok_or_else(|| StoreError::Automerge("device id missing".into()))
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    fn ensure_device_id(&self) -> Result<(), StoreError> {
        if self.meta("device_id")?.is_none() {
            self.set_meta("device_id", &uuid::Uuid::now_v7().to_string())?;
        }
        Ok(())
    }

    /// What a fresh local save is marked: `pending` once the account is bound to a server,
    /// `local_only` before.
    fn new_sync_state(&self) -> Result<SyncState, StoreError> {
        Ok(if self.meta("server_url")?.is_some() {
            SyncState::Pending
        } else {
            SyncState::LocalOnly
        })
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        // Leave the index merged and the WAL folded in for the next opening; errors only mean the
        // next maintenance does the work.
        let _ = self.maintain();
    }
}

#[cfg(test)]
mod outbox_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod workflow_tests;

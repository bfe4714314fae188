//! The operator's view of held changes: `gridmate-server held list` and `held purge`. Each held
//! change is shown with its record, the account and device that pushed it, its size, its age and
//! the dependencies nobody has sent (neither logged nor held). Purging deletes exactly the rows
//! it prints, in one transaction, and can run beside a live server (WAL, busy timeout).
//!
//! Invariant: no record content is shown, only ids, sizes and times.

use automerge::ChangeHash;
use gridmate_domain::Timestamp;
use rusqlite::Connection;
use serde::Serialize;

use super::doc::decode_change;
use crate::storage::{SqliteStorage, StorageError};

/// Which held changes a command is about (all given conditions hold).
#[derive(Debug, Clone, Default)]
pub struct HeldFilter {
    pub user: Option<String>,
    pub device: Option<String>,
    /// A record id (UUID).
    pub record: Option<uuid::Uuid>,
    /// Held at least this many days.
    pub older_than_days: Option<u32>,
}

/// One held change as the operator sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeldEntry {
    pub record_id: String,
    /// Hex change hash.
    pub hash: String,
    /// The pusher's user name (`None` if the account is gone).
    pub user: Option<String>,
    pub device: String,
    pub bytes: usize,
    pub received_at: Option<Timestamp>,
    /// Whole seconds since it arrived.
    pub age_secs: i64,
    /// Hex hashes of the dependencies the server has neither logged nor held.
    pub missing: Vec<String>,
}

/// The held changes matching `f`, oldest first.
pub fn list(
    db: &SqliteStorage,
    f: &HeldFilter,
    now: Timestamp,
) -> Result<Vec<HeldEntry>, StorageError> {
    db.read(|c| select(c, f, now))
}

/// Deletes the held changes matching `f`; returns what was deleted.
pub fn purge(
    db: &SqliteStorage,
    f: &HeldFilter,
    now: Timestamp,
) -> Result<Vec<HeldEntry>, StorageError> {
    db.write(|c| {
        let tx = c.transaction()?;
        let gone = select(&tx, f, now)?;
        {
            let mut del = tx.prepare_cached("DELETE FROM sync_held WHERE hash = ?1")?;
            for e in &gone {
                del.execute([hex_decode(&e.hash)])?;
            }
        }
        tx.commit()?;
        Ok(gone)
    })
}

fn select(c: &Connection, f: &HeldFilter, now: Timestamp) -> Result<Vec<HeldEntry>, StorageError> {
    let cutoff = f
        .older_than_days
        .map(|d| now.millis().saturating_sub(i64::from(d) * 86_400_000));
    let mut stmt = c.prepare(
        "SELECT h.record_id, h.hash, u.name, h.pushed_device, h.bytes, h.received_at
         FROM sync_held h LEFT JOIN users u ON u.id = h.pushed_by
         WHERE (?1 IS NULL OR u.name = ?1) AND (?2 IS NULL OR h.pushed_device = ?2)
           AND (?3 IS NULL OR h.record_id = ?3) AND (?4 IS NULL OR h.received_at <= ?4)
         ORDER BY h.received_at, h.hash",
    )?;
    let record = f.record.map(|r| r.as_bytes().to_vec());
    let rows = stmt
        .query_map(rusqlite::params![f.user, f.device, record, cutoff], |r| {
            let id: Vec<u8> = r.get(0)?;
            let hash: Vec<u8> = r.get(1)?;
            let bytes: Vec<u8> = r.get(4)?;
            let at: i64 = r.get(5)?;
            let id = <[u8; 16]>::try_from(id.as_slice()).unwrap_or([0; 16]);
            let entry = HeldEntry {
                record_id: uuid::Uuid::from_bytes(id).to_string(),
                hash: hex(&hash),
                user: r.get(2)?,
                device: r.get(3)?,
                bytes: bytes.len(),
                received_at: Timestamp::from_millis(at),
                age_secs: now.millis().saturating_sub(at) / 1000,
                missing: Vec::new(),
            };
            Ok((entry, bytes))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (mut entry, bytes) in rows {
        entry.missing = missing(c, &bytes)?;
        out.push(entry);
    }
    Ok(out)
}

/// The dependencies of a held change that are neither logged nor held.
fn missing(c: &Connection, bytes: &[u8]) -> Result<Vec<String>, StorageError> {
    let Some(change) = decode_change(bytes) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut known = c.prepare_cached(
        "SELECT 1 FROM sync_changes WHERE hash = ?1 UNION ALL SELECT 1 FROM sync_held WHERE hash = ?1",
    )?;
    for d in change.deps() {
        let d: &ChangeHash = d;
        if !known.exists([d.0.as_slice()])? {
            out.push(hex(&d.0));
        }
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

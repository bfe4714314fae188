//! Admin views of synced records: `gridmate-server record dump` prints every record's heads and
//! content as JSON lines, so an operator (or a test, or the load generator) can check what the
//! server holds without trusting any client: for a dispute, each workflow event with its author,
//! role, time and what the fold made of it; for every record, each logged change with the account
//! that pushed it (as authenticated, whatever the change claims). It reads through a read-only
//! connection and can run beside a live server. Output contains personal data: it is for the
//! operator's terminal only.

use gridmate_domain::document::read_record;
use gridmate_domain::input::record_to_json;
use gridmate_domain::workflow::Verdict;
use gridmate_domain::{Record, RecordBody, Role, Timestamp, WorkflowAction};
use rusqlite::Connection;
use serde::Serialize;

use super::push::load_record_doc;
use crate::storage::{SqliteStorage, StorageError};

#[derive(Debug, Serialize)]
pub struct DumpedRecord {
    pub id: String,
    pub grid_id: String,
    /// Sorted hex change hashes.
    pub heads: Vec<String>,
    /// Changes logged for the record.
    pub changes: i64,
    pub record: Option<serde_json::Value>,
    pub error: Option<String>,
    /// A dispute's workflow events in document order, each with its verdict; empty otherwise.
    pub workflow: Vec<DumpedEvent>,
    /// The logged changes in log order, with who pushed each.
    pub pushes: Vec<DumpedChange>,
}

/// One workflow event as the fold judged it.
#[derive(Debug, Serialize)]
pub struct DumpedEvent {
    pub id: String,
    pub action: WorkflowAction,
    pub by: String,
    pub role: Role,
    pub by_unit: Option<String>,
    pub at: Timestamp,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// One logged change and the authenticated account that pushed it.
#[derive(Debug, Serialize)]
pub struct DumpedChange {
    pub seq: i64,
    /// Hex change hash.
    pub hash: String,
    /// The pusher's user name (`None` if the account is gone).
    pub pushed_by: Option<String>,
    pub device: String,
    pub received_at: Option<Timestamp>,
}

/// Every synced record, optionally only those of grids starting with `grid_prefix`.
pub fn dump(
    db: &SqliteStorage,
    grid_prefix: Option<&str>,
) -> Result<Vec<DumpedRecord>, StorageError> {
    db.read(|c| {
        let mut stmt = c.prepare(
            "SELECT r.id, r.grid_id, (SELECT count(*) FROM sync_changes s WHERE s.record_rowid = r.rowid)
             FROM sync_records r WHERE ?1 IS NULL OR substr(r.grid_id, 1, length(?1)) = ?1 ORDER BY r.id",
        )?;
        let rows: Vec<(Vec<u8>, String, i64)> =
            stmt.query_map([grid_prefix], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, grid_id, changes) in rows {
            let id: [u8; 16] = id.as_slice().try_into().unwrap_or([0; 16]);
            let uuid = uuid::Uuid::from_bytes(id).to_string();
            let (heads, record, error) = match load_record_doc(c, &id)? {
                Some(mut doc) => {
                    let mut heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
                    heads.sort();
                    match read_record(&doc) {
                        Ok(r) => (heads, Some(r), None),
                        Err(e) => (heads, None, Some(e.to_string())),
                    }
                }
                None => (Vec::new(), None, Some("missing".into())),
            };
            let workflow = record.as_ref().map(events).unwrap_or_default();
            let pushes = pushes(c, &id)?;
            let record = record.as_ref().map(record_to_json);
            out.push(DumpedRecord { id: uuid, grid_id, heads, changes, record, error, workflow, pushes });
        }
        Ok(out)
    })
}

/// A dispute's events with the fold's verdicts (nothing for other kinds).
fn events(r: &Record) -> Vec<DumpedEvent> {
    let RecordBody::Dispute(d) = &r.body else {
        return Vec::new();
    };
    let view = d.view();
    d.workflow
        .iter()
        .zip(view.verdicts)
        .map(|(e, verdict)| DumpedEvent {
            id: e.id.clone(),
            action: e.action,
            by: e.by.clone(),
            role: e.role,
            by_unit: e.by_unit.clone(),
            at: e.at,
            verdict,
        })
        .collect()
}

/// The logged changes of a record with the user names of their pushers.
fn pushes(c: &Connection, id: &[u8; 16]) -> Result<Vec<DumpedChange>, StorageError> {
    let mut stmt = c.prepare_cached(
        "SELECT s.seq, s.hash, u.name, s.pushed_device, s.received_at
         FROM sync_changes s JOIN sync_records r ON r.rowid = s.record_rowid
         LEFT JOIN users u ON u.id = s.pushed_by
         WHERE r.id = ?1 ORDER BY s.seq",
    )?;
    let rows = stmt.query_map([id.as_slice()], |r| {
        let hash: Vec<u8> = r.get(1)?;
        Ok(DumpedChange {
            seq: r.get(0)?,
            hash: hash.iter().map(|b| format!("{b:02x}")).collect(),
            pushed_by: r.get(2)?,
            device: r.get(3)?,
            received_at: Timestamp::from_millis(r.get(4)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

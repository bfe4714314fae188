//! Admin views of synced records: `gridmate-server record dump` prints every record's heads and
//! content as JSON lines, so an operator (or a test, or the load generator) can check what the
//! server holds without trusting any client. It reads through a read-only connection and can run
//! beside a live server. Output contains personal data: it is for the operator's terminal only.

use gridmate_domain::document::read_record;
use gridmate_domain::input::record_to_json;
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
                        Ok(r) => (heads, Some(record_to_json(&r)), None),
                        Err(e) => (heads, None, Some(e.to_string())),
                    }
                }
                None => (Vec::new(), None, Some("missing".into())),
            };
            out.push(DumpedRecord { id: uuid, grid_id, heads, changes, record, error });
        }
        Ok(out)
    })
}

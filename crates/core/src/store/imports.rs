//! What `gridmate import` remembers: for each row it wrote, the SHA-256 of the row's canonical
//! draft (`gridmate_domain::ledger::canonical_draft`) and the record it became. A row whose hash
//! is already known is not written again, so importing the same ledger twice, or a ledger that
//! has since grown, adds only the new rows.
//!
//! Invariants: a row's hash and its record are written in the same transaction, so a crash
//! leaves both or neither; the table is local to this store (it does not sync), and a record
//! deleted since its import still counts as imported.

use gridmate_domain::RecordId;
use gridmate_domain::Timestamp;
use gridmate_domain::input::RecordDraft;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// The SHA-256 of a row's canonical draft.
pub type RowHash = [u8; 32];

/// What became of one row handed to `create_imported`.
#[derive(Debug, Clone, PartialEq)]
pub enum ImportOutcome {
    /// Written now, as this record.
    Created(RecordId),
    /// Written by an earlier import (or earlier in this one), as this record.
    AlreadyImported(RecordId),
}

impl Store {
    /// Creates the rows whose hash this store has not imported before, in one transaction,
    /// remembering each hash with its record. One outcome per row, in order. Every draft is
    /// validated first (`create_batch`): one invalid draft writes nothing.
    pub fn create_imported(
        &mut self,
        rows: Vec<(RowHash, RecordDraft)>,
    ) -> Result<Vec<ImportOutcome>, StoreError> {
        let (hashes, drafts): (Vec<RowHash>, Vec<RecordDraft>) = rows.into_iter().unzip();
        let mut earlier: Vec<Option<RecordId>> = vec![None; hashes.len()];
        let now = Timestamp::now().millis();
        let created = self.create_each(drafts, |tx, i, record| {
            let known: Option<String> = tx
                .prepare_cached("SELECT record_id FROM imports WHERE row_hash = ?1")?
                .query_row([&hashes[i][..]], |r| r.get(0))
                .optional()?;
            if let Some(id) = known {
                earlier[i] = Some(id.parse().map_err(|_| {
                    StoreError::Automerge(format!("imports holds a bad record id `{id}`"))
                })?);
                return Ok(false);
            }
            tx.prepare_cached(
                "INSERT INTO imports (row_hash, record_id, imported_at) VALUES (?1, ?2, ?3)",
            )?
            .execute(params![&hashes[i][..], record.id().to_string(), now])?;
            Ok(true)
        })?;
        created
            .into_iter()
            .zip(earlier)
            .map(|(c, e)| match (c, e) {
                (Some(r), _) => Ok(ImportOutcome::Created(r.id())),
                (None, Some(id)) => Ok(ImportOutcome::AlreadyImported(id)),
                (None, None) => Err(StoreError::Automerge("an import row was lost".into())),
            })
            .collect()
    }

    /// How many rows this store has imported (all imports, all files).
    pub fn imported_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM imports", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use gridmate_domain::fixtures::{self, Rng};
    use gridmate_domain::input::parse_draft;
    use serde_json::json;

    use super::*;

    fn drafts(n: u64) -> Vec<RecordDraft> {
        let mut rng = Rng::new(n);
        let at = Timestamp::now().plus_millis(-3_600_000);
        (0..n)
            .map(|_| fixtures::draft(&mut rng, fixtures::grid_id(3), at))
            .collect()
    }

    #[test]
    fn a_known_row_is_not_written_twice() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("gridmate.db"), "wang.wei").unwrap();
        let d = drafts(3);
        let rows = |hashes: &[u8]| -> Vec<(RowHash, RecordDraft)> {
            hashes
                .iter()
                .zip(&d)
                .map(|(h, d)| ([*h; 32], d.clone()))
                .collect()
        };
        let first = s.create_imported(rows(&[1, 2, 1])).unwrap();
        let ImportOutcome::Created(a) = first[0] else {
            panic!("{first:?}")
        };
        assert!(matches!(first[1], ImportOutcome::Created(_)));
        assert_eq!(
            first[2],
            ImportOutcome::AlreadyImported(a),
            "same row twice in a file"
        );
        let again = s.create_imported(rows(&[1, 2, 3])).unwrap();
        assert_eq!(again[0], ImportOutcome::AlreadyImported(a));
        assert!(matches!(again[1], ImportOutcome::AlreadyImported(_)));
        assert!(matches!(again[2], ImportOutcome::Created(_)));
        assert_eq!(s.imported_count().unwrap(), 3);
        assert_eq!(s.list(&Default::default()).unwrap().items.len(), 3);
    }

    #[test]
    fn an_invalid_draft_writes_no_row_and_no_hash() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("gridmate.db"), "wang.wei").unwrap();
        let mut rows: Vec<(RowHash, RecordDraft)> =
            drafts(2).into_iter().map(|d| ([7; 32], d)).collect();
        let future = parse_draft(json!({
            "kind": "patrol_visit", "grid_id": "g", "visited_at": "2099-01-01T00:00:00Z",
            "subject_kind": "place", "findings": "x"
        }))
        .unwrap();
        rows.push(([8; 32], future));
        assert!(matches!(
            s.create_imported(rows),
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(s.imported_count().unwrap(), 0);
        assert!(s.list(&Default::default()).unwrap().items.is_empty());
    }
}

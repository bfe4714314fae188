//! What the device keeps besides records for disputes assigned across grids: the last copy of the
//! server's reference data (area and unit names, colleagues, the deadline table), and the records
//! that arrived because they are assigned to the user although their grid is outside the user's
//! scope (protocol 4), with their removal when the server revokes them.
//!
//! Invariants:
//! - The reference data is one JSON value in `meta` (`reference_data`), replaced whole by a
//!   successful fetch and never cleared by a failed one, so the app names areas and colleagues
//!   offline with the last copy it had. The store's deadline table is the stored copy's (the
//!   default table while there is none).
//! - `meta.assigned_records` lists the ids of records held outside the scope because they are
//!   assigned to the user: a scope change keeps them (`pull.rs` drops only unlisted records
//!   outside the scope). A record is listed when a pull brings it from outside the page's scope,
//!   and unlisted when it is revoked, when its grid is inside the scope, or when it is gone.
//! - A revoked record is removed only when it holds nothing the server lacks (`synced`): a record
//!   with unsent or rejected work of the user stays, outbox and all, so no work is lost; its next
//!   push is judged by the server like any other (refused if the user may no longer change it,
//!   and then kept for the user as every refused record is).

use std::collections::BTreeSet;

use gridmate_domain::reference::ReferenceData;
use gridmate_domain::wire::{PullPage, Uuid};
use gridmate_domain::{RecordId, area_covers};
use rusqlite::{OptionalExtension, Transaction};

use super::{Store, StoreError};

/// The `meta` key holding the reference data's JSON.
pub const REFERENCE_KEY: &str = "reference_data";
const ASSIGNED_KEY: &str = "assigned_records";

impl Store {
    /// The last reference data fetched from the server, if any. A stored copy this version cannot
    /// read counts as none (the next fetch replaces it).
    pub fn reference_data(&self) -> Result<Option<ReferenceData>, StoreError> {
        Ok(self
            .meta(REFERENCE_KEY)?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }

    /// Keeps `data` as the reference data, replacing the last copy, and works by its deadline
    /// table from now on (a changed table computes every open dispute's due time again).
    pub fn set_reference_data(&mut self, data: &ReferenceData) -> Result<(), StoreError> {
        let json = serde_json::to_string(data).map_err(|e| StoreError::Automerge(e.to_string()))?;
        self.set_meta(REFERENCE_KEY, &json)?;
        self.deadlines = data.deadlines.clone();
        self.refresh_deadlines()
    }

    /// The ids of the records held because they are assigned to the user outside the scope.
    pub fn assigned_outside_scope(&self) -> Result<BTreeSet<String>, StoreError> {
        Ok(parse_ids(self.meta(ASSIGNED_KEY)?))
    }
}

fn parse_ids(text: Option<String>) -> BTreeSet<String> {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn read_assigned(tx: &Transaction<'_>) -> Result<BTreeSet<String>, StoreError> {
    let text: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [ASSIGNED_KEY],
            |r| r.get(0),
        )
        .optional()?;
    Ok(parse_ids(text))
}

fn write_assigned(tx: &Transaction<'_>, ids: &BTreeSet<String>) -> Result<(), StoreError> {
    let json = serde_json::to_string(ids).map_err(|e| StoreError::Automerge(e.to_string()))?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [ASSIGNED_KEY, json.as_str()],
    )?;
    Ok(())
}

fn id_string(id: &Uuid) -> String {
    RecordId::from_uuid(uuid::Uuid::from_bytes(*id)).to_string()
}

/// After a page is merged: lists the page's records outside its scope as assigned, removes the
/// revoked ones, and unlists what no longer needs listing. Returns the listed ids (which a scope
/// change keeps) and how many records were removed.
pub(super) fn note_page(
    tx: &Transaction<'_>,
    page: &PullPage,
) -> Result<(BTreeSet<String>, usize), StoreError> {
    let covers = |grid: &str| page.scope.iter().any(|a| area_covers(a, grid));
    let mut listed = read_assigned(tx)?;
    let before = listed.clone();
    for d in page.docs.iter().filter(|d| !covers(&d.grid_id)) {
        listed.insert(id_string(&d.record_id));
    }
    let mut removed = 0;
    for id in page.revoked.iter().map(id_string) {
        listed.remove(&id);
        removed += remove_if_synced(tx, &id)?;
    }
    // A listed record now inside the scope comes with its area; one that is gone needs nothing.
    let mut grid_of = tx.prepare_cached(
        "SELECT grid_id FROM records WHERE id = ?1
         UNION ALL SELECT grid_id FROM unreadable_docs WHERE id = ?1 LIMIT 1",
    )?;
    let mut keep = BTreeSet::new();
    for id in listed {
        let grid: Option<String> = grid_of.query_row([&id], |r| r.get(0)).optional()?;
        if grid.is_some_and(|g| !covers(&g)) {
            keep.insert(id);
        }
    }
    if keep != before {
        write_assigned(tx, &keep)?;
    }
    Ok((keep, removed))
}

/// Removes a revoked record that holds nothing the server lacks; returns 1 if it did. A record
/// with unsent or refused work stays (see the module's invariants); a document kept aside
/// because this app could not read it goes.
fn remove_if_synced(tx: &Transaction<'_>, id: &str) -> Result<usize, StoreError> {
    tx.prepare_cached("DELETE FROM unreadable_docs WHERE id = ?1")?
        .execute([id])?;
    let rowid: Option<i64> = tx
        .prepare_cached("SELECT rowid FROM records WHERE id = ?1 AND sync_state = 'synced'")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(rowid) = rowid else {
        return Ok(0);
    };
    remove_record(tx, rowid)?;
    Ok(1)
}

/// Deletes a record with its document, search entry and sync state.
pub(super) fn remove_record(tx: &Transaction<'_>, rowid: i64) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM records_fts WHERE rowid = ?1")?
        .execute([rowid])?;
    tx.prepare_cached("DELETE FROM documents WHERE record_rowid = ?1")?
        .execute([rowid])?;
    tx.prepare_cached("DELETE FROM record_sync WHERE record_rowid = ?1")?
        .execute([rowid])?;
    tx.prepare_cached("DELETE FROM records WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

#[cfg(test)]
#[path = "reference_tests.rs"]
mod tests;

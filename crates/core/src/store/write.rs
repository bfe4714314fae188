//! Saves: create, edit (a merge patch; only the changed fields become Automerge operations) and
//! soft delete. Each save validates first, builds the new document in memory, and then writes
//! document, projection, search tokens and sync state in one transaction. Invalid input returns
//! before anything is written.

use automerge::AutoCommit;
use automerge::transaction::CommitOptions;
use gridmate_domain::ValidationErrors;
use gridmate_domain::document::limits::{HistoryLimits, HistorySize, ops_of};
use gridmate_domain::document::write_changes;
use gridmate_domain::input::{RecordDraft, apply_patch, parse_draft};
use gridmate_domain::validate::{validate_new, validate_update};
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::{Record, RecordId, Timestamp};
use rusqlite::{OptionalExtension, Transaction, params};

use super::codec::{encode_heads, load_record};
use super::outbox;
use super::projection::{self, DisputeCols};
use super::{Store, StoreError, SyncState};
use gridmate_domain::search::index_tokens;

/// The operation a change message names; read back by `history`.
pub(crate) use gridmate_domain::document::{ChangeOp as Op, change_message};

impl Store {
    /// Creates a record from a user's JSON draft.
    pub fn create_json(&mut self, draft: serde_json::Value) -> Result<Record, StoreError> {
        let draft = parse_draft(draft).map_err(StoreError::Invalid)?;
        self.create(draft)
    }

    /// Creates a record. Returns it with its new id.
    pub fn create(&mut self, draft: RecordDraft) -> Result<Record, StoreError> {
        let mut out = self.create_batch(vec![draft])?;
        out.pop()
            .ok_or_else(|| StoreError::Automerge("nothing created".into()))
    }

    /// Creates many records in one transaction (imports, fixtures). All or nothing: one invalid
    /// draft refuses the batch before anything is written.
    pub fn create_batch(&mut self, drafts: Vec<RecordDraft>) -> Result<Vec<Record>, StoreError> {
        let out = self.create_each(drafts, |_, _, _| Ok(true))?;
        Ok(out.into_iter().flatten().collect())
    }

    /// `create_batch`, asking `admit` inside the transaction, just before each record is written,
    /// whether to write it (an import skips a row it already wrote). Returns, for each draft, its
    /// record or `None` if it was not admitted. Every draft is validated before the transaction
    /// opens; each document is built and written in turn, so memory stays flat for a large batch.
    pub(crate) fn create_each(
        &mut self,
        drafts: Vec<RecordDraft>,
        mut admit: impl FnMut(&Transaction<'_>, usize, &Record) -> Result<bool, StoreError>,
    ) -> Result<Vec<Option<Record>>, StoreError> {
        let now = Timestamp::now();
        let state = self.new_sync_state()?;
        let records: Vec<Record> = drafts
            .into_iter()
            .map(|d| d.into_record(RecordId::new_v7(), &self.user, now))
            .collect();
        for record in &records {
            validate_new(record, now).map_err(StoreError::Invalid)?;
        }
        let (actor, user) = (self.actor.clone(), self.user.clone());
        let tx = self.conn.transaction()?;
        record_actor(&tx, &actor, now)?;
        let mut out = Vec::with_capacity(records.len());
        for (i, record) in records.into_iter().enumerate() {
            if !admit(&tx, i, &record)? {
                out.push(None);
                continue;
            }
            // The actor is set before any operation: setting it later would close the open
            // transaction without this save's message.
            let mut doc = AutoCommit::new().with_actor(actor.clone());
            write_changes(&mut doc, None, &record)?;
            commit_doc(&mut doc, Op::Create, &user, now);
            write_row(&tx, None, &record, &mut doc, state, &self.deadlines)?;
            out.push(Some(record));
        }
        tx.commit()?;
        Ok(out)
    }

    /// Applies a merge patch to a record. A patch that changes nothing writes nothing.
    pub fn edit(&mut self, id: RecordId, patch: &serde_json::Value) -> Result<Record, StoreError> {
        let (rowid, mut doc, old) = self.load_for_write(id)?;
        if old.meta.deleted_at.is_some() {
            return Err(StoreError::Deleted(id));
        }
        let mut new = apply_patch(&old, patch).map_err(StoreError::Invalid)?;
        if new == old {
            return Ok(old);
        }
        let now = Timestamp::now();
        new.meta.updated_at = now.max(old.meta.updated_at);
        validate_update(&old, &new, now).map_err(StoreError::Invalid)?;
        self.save_change(rowid, &mut doc, &old, &new, Op::Edit, now)?;
        Ok(new)
    }

    /// Soft-deletes a record: it leaves lists and search but stays, so the delete can sync.
    pub fn delete(&mut self, id: RecordId) -> Result<Record, StoreError> {
        let (rowid, mut doc, old) = self.load_for_write(id)?;
        if old.meta.deleted_at.is_some() {
            return Ok(old);
        }
        let now = Timestamp::now();
        let mut new = old.clone();
        new.meta.updated_at = now.max(old.meta.updated_at);
        new.meta.deleted_at = Some(new.meta.updated_at);
        self.save_change(rowid, &mut doc, &old, &new, Op::Delete, now)?;
        Ok(new)
    }

    pub(crate) fn save_change(
        &mut self,
        rowid: i64,
        doc: &mut AutoCommit,
        old: &Record,
        new: &Record,
        op: Op,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        doc.set_actor(self.actor.clone());
        let before = doc.get_heads();
        write_changes(doc, Some(old), new)?;
        self.commit(doc, op, now);
        // The bound the server holds the record's history to, by operations (the encoded bytes
        // of a record's changes are not kept here; the server checks those): a save past it
        // would never sync, so the worker learns now. `doc` is this call's copy, dropped unsaved.
        let size = HistorySize {
            bytes: 0,
            ops: ops_of(doc),
        };
        HistoryLimits::default()
            .check(size)
            .map_err(|e| StoreError::Invalid(ValidationErrors::single(e)))?;
        // This save's change, for the outbox: cheap now (one small change), dear at push time.
        let changes = doc.get_changes(&before);
        let state = self.new_sync_state()?;
        let tx = self.conn.transaction()?;
        record_actor(&tx, &self.actor, now)?;
        write_row(&tx, Some(rowid), new, doc, state, &self.deadlines)?;
        outbox::note_save(&tx, rowid, &before, &doc.get_heads(), &changes)?;
        tx.commit()?;
        Ok(())
    }

    fn commit(&self, doc: &mut AutoCommit, op: Op, now: Timestamp) {
        commit_doc(doc, op, &self.user, now);
    }

    /// Loads a record's row id, document and record for an edit; a broken document quarantines it.
    pub(crate) fn load_for_write(
        &self,
        id: RecordId,
    ) -> Result<(i64, AutoCommit, Record), StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT r.rowid, d.doc FROM records r JOIN documents d ON d.record_rowid = r.rowid
                 WHERE r.id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (rowid, bytes) = row.ok_or(StoreError::NotFound(id))?;
        match load_record(&bytes) {
            Ok((doc, record)) if record.meta.id == id => Ok((rowid, doc, record)),
            Ok(_) => {
                Err(self.quarantine(rowid, id, "the document holds another record's id".into()))
            }
            Err(reason) => Err(self.quarantine(rowid, id, reason.to_string())),
        }
    }

    /// Marks a record quarantined (best effort: the caller reports the error either way).
    pub(crate) fn quarantine(&self, rowid: i64, id: RecordId, reason: String) -> StoreError {
        let _ = self.conn.execute(
            "UPDATE records SET quarantine = ?1 WHERE rowid = ?2",
            params![reason, rowid],
        );
        StoreError::Corrupt { id, reason }
    }
}

fn commit_doc(doc: &mut AutoCommit, op: Op, user: &str, now: Timestamp) {
    doc.commit_with(
        CommitOptions::default()
            .with_message(change_message(op, user))
            .with_time(now.millis() / 1000),
    );
}

/// Records the actor in the same transaction as the save that first uses it (idempotent, so it
/// is simply repeated: one primary-key probe per save).
fn record_actor(
    tx: &Transaction<'_>,
    actor: &automerge::ActorId,
    now: Timestamp,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO actors (actor, first_used_at) VALUES (?1, ?2)",
        params![actor.to_hex_string(), now.millis()],
    )?;
    Ok(())
}

/// What `write_prepared` stores for a record, computed without the database: a pulled page
/// prepares its rows on worker threads, so the thread holding the transaction only runs SQL.
#[derive(Debug)]
pub(crate) struct RowData {
    doc: Vec<u8>,
    heads: Vec<u8>,
    title: String,
    state: SyncState,
    due_at: Option<i64>,
    /// A dispute's derived workflow state (folded here, on the worker thread of a pull).
    dispute: Option<DisputeCols>,
    tokens: Option<String>,
}

impl RowData {
    pub(crate) fn new(record: &Record, doc: &mut AutoCommit, state: SyncState) -> Self {
        // Uncompressed (automerge's canonical encoding): five times faster to write than
        // `save()`, and the exact bytes a first push sends as the record's one document chunk,
        // which the server accepts without re-deriving changes (docs/sync-protocol.md,
        // "Chunks"). zstd on the wire compresses it across records better than DEFLATE inside
        // each document.
        let (bytes, heads) = (doc.save_nocompress(), encode_heads(&doc.get_heads()));
        Self::from_parts(record, bytes, heads, state)
    }

    /// A row from a document's bytes (any sequence of automerge chunks) and encoded heads that
    /// the caller vouches belong to `record` (a pulled record adopted from its projection).
    pub(crate) fn from_parts(
        record: &Record,
        doc: Vec<u8>,
        heads: Vec<u8>,
        state: SyncState,
    ) -> Self {
        Self {
            doc,
            heads,
            title: record.display_title(),
            state,
            due_at: due_at(record),
            dispute: DisputeCols::of(record),
            tokens: record
                .meta
                .deleted_at
                .is_none()
                .then(|| index_tokens(&record.search_text())),
        }
    }
}

/// Writes document, projection, search tokens and sync state for one record, inside `tx`.
pub(crate) fn write_row(
    tx: &Transaction<'_>,
    rowid: Option<i64>,
    record: &Record,
    doc: &mut AutoCommit,
    state: SyncState,
    deadlines: &DeadlineTable,
) -> Result<i64, StoreError> {
    write_prepared(
        tx,
        rowid,
        record,
        &RowData::new(record, doc, state),
        deadlines,
    )
}

/// `write_row` with the row already prepared. Statements are cached: a pulled page runs these
/// thousands of times in one transaction, and preparing each anew cost as much as running it.
/// A dispute's due time is its current step's, by `deadlines`.
pub(crate) fn write_prepared(
    tx: &Transaction<'_>,
    rowid: Option<i64>,
    record: &Record,
    row: &RowData,
    deadlines: &DeadlineTable,
) -> Result<i64, StoreError> {
    let m = &record.meta;
    let due_at = match &row.dispute {
        Some(d) => d.due_at(deadlines).map(|t| t.millis()),
        None => row.due_at,
    };
    let (assignee_user, assignee_unit, supervised, level) =
        projection::values(row.dispute.as_ref());
    let values = params![
        m.id.to_string(),
        record.kind().as_str(),
        m.grid_id.as_str(),
        record.status().map(|s| s.as_str()),
        record.risk_level().map(|r| r.as_str()),
        record.body.occurred_at().millis(),
        m.created_at.millis(),
        m.updated_at.millis(),
        m.deleted_at.map(|t| t.millis()),
        m.created_by,
        row.title,
        row.state.as_str(),
        due_at,
        assignee_user,
        assignee_unit,
        supervised,
        level,
    ];
    let rowid = match rowid {
        None => {
            tx.prepare_cached(
                "INSERT INTO records (id, kind, grid_id, status, risk_level, occurred_at, created_at,
                     updated_at, deleted_at, created_by, title, sync_state, due_at, assignee_user,
                     assignee_unit, supervised, level)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                     ?17)",
            )?
            .execute(values)?;
            let rowid = tx.last_insert_rowid();
            tx.prepare_cached("INSERT INTO record_sync (record_rowid) VALUES (?1)")?
                .execute([rowid])?;
            rowid
        }
        Some(rowid) => {
            tx.prepare_cached(
                "UPDATE records SET id = ?1, kind = ?2, grid_id = ?3, status = ?4, risk_level = ?5,
                     occurred_at = ?6, created_at = ?7, updated_at = ?8, deleted_at = ?9,
                     created_by = ?10, title = ?11, sync_state = ?12, due_at = ?13,
                     assignee_user = ?14, assignee_unit = ?15, supervised = ?16, level = ?17,
                     quarantine = NULL
                 WHERE rowid = ?18",
            )?
            .execute(rusqlite::params_from_iter(
                values
                    .iter()
                    .copied()
                    .chain([&rowid as &dyn rusqlite::ToSql]),
            ))?;
            tx.prepare_cached("DELETE FROM records_fts WHERE rowid = ?1")?
                .execute([rowid])?;
            rowid
        }
    };
    tx.prepare_cached(
        "INSERT INTO documents (record_rowid, doc, heads) VALUES (?1, ?2, ?3)
         ON CONFLICT (record_rowid) DO UPDATE SET doc = excluded.doc, heads = excluded.heads",
    )?
    .execute(params![rowid, row.doc, row.heads])?;
    if let Some(tokens) = &row.tokens {
        tx.prepare_cached("INSERT INTO records_fts (rowid, tokens) VALUES (?1, ?2)")?
            .execute(params![rowid, tokens])?;
    }
    Ok(rowid)
}

/// When something is due: a patrol visit's follow-up, if one is needed (a dispute's step is due
/// by the deadline table: `write_prepared`).
fn due_at(record: &Record) -> Option<i64> {
    match &record.body {
        gridmate_domain::RecordBody::PatrolVisit(v) if v.follow_up_needed => {
            v.follow_up_due_at.map(|t| t.millis())
        }
        _ => None,
    }
}

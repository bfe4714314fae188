//! Storing a pulled page: the records it brings are merged into the device's copies (or, for a
//! record the device lacks that arrives with its projection, stored without loading its document)
//! and written with the new positions in one transaction, so a position never moves past
//! changes that are not durable. CPU work runs on worker threads; SQLite stays on the calling
//! thread. Nothing pulled is dropped: a record this app cannot read is kept aside.

use std::collections::HashSet;

use automerge::{AutoCommit, Change, ChangeHash};
use gridmate_domain::document::guarded::{self, GuardedError};
use gridmate_domain::document::{is_chunk, is_document_chunk, read_record};
use gridmate_domain::wire::{self, PullPage};
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::{Record, RecordId, SCHEMA_VERSION, Timestamp};
use rusqlite::{OptionalExtension, params};

use super::codec::{decode_heads, encode_heads, load_doc, load_record};
use super::sync::Applied;
use super::write::{RowData, write_prepared};
use super::{Store, StoreError, SyncState};

/// What the device holds for a pulled record.
enum Local {
    /// Nothing: the record is new to the device.
    Absent,
    /// A document an earlier pull kept aside in `unreadable_docs` (this app could not read it):
    /// the new changes are merged into it, so that its earlier ones stay with it.
    KeptAside(Vec<u8>),
    /// A record row: rowid, document, sync state, synced heads.
    Row(i64, Vec<u8>, String, Option<Vec<u8>>),
}

impl Store {
    /// Stores a pulled page and the new positions in one transaction.
    pub fn apply_pull(&mut self, page: &PullPage, applied: &mut Applied) -> Result<(), StoreError> {
        let now = Timestamp::now();
        let deadlines = &self.deadlines;
        let tx = self.conn.transaction()?;
        // 1. What the device already holds for each pulled record (documents kept aside are
        //    looked for only when there are any: almost never).
        let kept_aside: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM unreadable_docs)", [], |r| {
                r.get(0)
            })?;
        let mut locals: Vec<Local> = Vec::with_capacity(page.docs.len());
        for pd in &page.docs {
            let id = RecordId::from_uuid(uuid::Uuid::from_bytes(pd.record_id)).to_string();
            let row = tx
                .prepare_cached(
                    "SELECT r.rowid, d.doc, r.sync_state, s.synced_heads FROM records r
                     JOIN documents d ON d.record_rowid = r.rowid JOIN record_sync s ON s.record_rowid = r.rowid
                     WHERE r.id = ?1",
                )?
                .query_row([&id], |r| {
                    Ok(Local::Row(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?;
            let aside = match (&row, kept_aside) {
                (None, true) => tx
                    .prepare_cached("SELECT doc FROM unreadable_docs WHERE id = ?1")?
                    .query_row([&id], |r| r.get(0))
                    .optional()?
                    .map(Local::KeptAside),
                _ => None,
            };
            locals.push(row.or(aside).unwrap_or(Local::Absent));
        }
        // 2. The CPU work (load, apply, read) on worker threads, while this thread stores each
        //    merged record as it comes (SQLite stays on this thread, in this one transaction).
        let mut store_one = |i: usize, m: Option<Merged>| -> Result<(), StoreError> {
            let Some(m) = m else {
                return Ok(()); // not applicable: the record keeps its old state; the position still moves
            };
            let pd = &page.docs[i];
            let id = RecordId::from_uuid(uuid::Uuid::from_bytes(pd.record_id));
            let (record, row, synced_heads) = match m.record {
                Ok(prepared) => prepared,
                Err((reason, mut doc)) => {
                    // e.g. a newer schema version from a newer app: keep it aside, readable later.
                    quarantine_pulled(&tx, m.rowid, &id, &pd.grid_id, &mut doc, &reason, now)?;
                    return Ok(());
                }
            };
            // Readable now (merged with later changes, or the projection fits): a record.
            let was_aside = kept_aside && m.rowid.is_none();
            write_synced(
                &tx,
                m.rowid,
                &record,
                &row,
                &synced_heads,
                was_aside.then_some(&id),
                deadlines,
            )?;
            applied.pulled_records += 1;
            applied.pulled_changes += pd.changes.len();
            Ok(())
        };
        merge_streamed(&page.docs, locals, &mut store_one)?;
        note_authors(&tx, &page.authors)?;
        // Records assigned to the user outside the scope stay; revoked ones go (reference.rs).
        let (assigned, revoked) = super::reference::note_page(&tx, page)?;
        applied.revoked += revoked;
        applied.dropped_out_of_scope += drop_out_of_scope(&tx, &page.scope, &assigned)?;
        let positions: Vec<(String, u64)> = page
            .positions
            .iter()
            .map(|p| (p.area.clone(), p.seq))
            .collect();
        let json =
            serde_json::to_string(&positions).map_err(|e| StoreError::Automerge(e.to_string()))?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('sync_positions', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [json])?;
        let scope =
            serde_json::to_string(&page.scope).map_err(|e| StoreError::Automerge(e.to_string()))?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('sync_scope', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [scope])?;
        tx.commit()?;
        Ok(())
    }
}

/// Keeps who the server says wrote with each actor (the history's authors). The server's word
/// replaces any earlier one: it is the only source of this table.
fn note_authors(
    tx: &rusqlite::Transaction<'_>,
    authors: &[gridmate_domain::wire::Author],
) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO change_authors (actor, user) VALUES (?1, ?2)
         ON CONFLICT (actor) DO UPDATE SET user = excluded.user",
    )?;
    for a in authors {
        let hex: String = a.actor.iter().map(|b| format!("{b:02x}")).collect();
        stmt.execute([&hex, &a.user])?;
    }
    Ok(())
}

impl Store {
    /// Reads again, at open, the documents earlier pulls kept aside because the app of the time
    /// could not read them: after an app update that can, each becomes a synced record. One
    /// query when there are none.
    pub(crate) fn readmit_kept_aside(&mut self) -> Result<(), StoreError> {
        let kept: Vec<(String, Vec<u8>)> = {
            let mut stmt = self.conn.prepare("SELECT id, doc FROM unreadable_docs")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        let readable: Vec<(RecordId, AutoCommit, Record)> = kept
            .into_iter()
            .filter_map(|(id, bytes)| {
                let (doc, record) = load_record(&bytes).ok()?;
                (record.meta.id.to_string() == id).then_some((record.meta.id, doc, record))
            })
            .collect();
        if readable.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        for (id, mut doc, record) in readable {
            let held: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM records WHERE id = ?1)",
                [id.to_string()],
                |r| r.get(0),
            )?;
            if held {
                tx.execute(
                    "DELETE FROM unreadable_docs WHERE id = ?1",
                    [id.to_string()],
                )?;
            } else {
                let row = RowData::new(&record, &mut doc, SyncState::Synced);
                let synced = encode_heads(&doc.get_heads());
                write_synced(
                    &tx,
                    None,
                    &record,
                    &row,
                    &synced,
                    Some(&id),
                    &self.deadlines,
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

/// Writes a pulled record the server holds at `synced_heads` (a merge, an adoption, or a
/// document kept aside that this app can now read, whose `unreadable_docs` row `kept_aside` names).
fn write_synced(
    tx: &rusqlite::Transaction<'_>,
    rowid: Option<i64>,
    record: &Record,
    row: &RowData,
    synced_heads: &[u8],
    kept_aside: Option<&RecordId>,
    deadlines: &DeadlineTable,
) -> Result<i64, StoreError> {
    let rowid = write_prepared(tx, rowid, record, row, deadlines)?;
    if let Some(id) = kept_aside {
        tx.prepare_cached("DELETE FROM unreadable_docs WHERE id = ?1")?
            .execute([id.to_string()])?;
    }
    tx.prepare_cached(
        "UPDATE record_sync SET synced_heads = ?1, unsent = NULL, unsent_from = NULL,
         unsent_to = NULL WHERE record_rowid = ?2",
    )?
    .execute(params![synced_heads, rowid])?;
    Ok(rowid)
}

/// Keeps a pulled document this build cannot read (a newer schema from a newer app, say): a known
/// record is quarantined with the server's copy; an unknown one waits in `unreadable_docs`, outside
/// lists, until an app update can read it. Nothing pulled is lost.
fn quarantine_pulled(
    tx: &rusqlite::Transaction<'_>,
    rowid: Option<i64>,
    id: &RecordId,
    grid: &str,
    doc: &mut AutoCommit,
    reason: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    let reason = format!("the server's copy cannot be read by this app version: {reason}");
    match rowid {
        Some(rowid) => {
            tx.execute(
                "UPDATE records SET quarantine = ?1 WHERE rowid = ?2",
                params![reason, rowid],
            )?;
            tx.execute(
                "UPDATE documents SET doc = ?1, heads = ?2 WHERE record_rowid = ?3",
                params![doc.save_nocompress(), encode_heads(&doc.get_heads()), rowid],
            )?;
        }
        None => {
            tx.execute(
                "INSERT INTO unreadable_docs (id, grid_id, doc, reason, received_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, reason = excluded.reason",
                params![id.to_string(), grid, doc.save_nocompress(), reason, now.millis()],
            )?;
        }
    }
    Ok(())
}

/// Removes synced records whose grid has left the device's scope (they belong to other people
/// now), except those `assigned` to the user. Records with unsynced work stay until they are
/// pushed or rejected. Runs only when the scope differs from the one last stored, so an ordinary
/// pull does not scan the store.
fn drop_out_of_scope(
    tx: &rusqlite::Transaction<'_>,
    scope: &[String],
    assigned: &std::collections::BTreeSet<String>,
) -> Result<usize, StoreError> {
    let last: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = 'sync_scope'", [], |r| {
            r.get(0)
        })
        .optional()?;
    let last: Option<Vec<String>> = last.and_then(|s| serde_json::from_str(&s).ok());
    if last.as_deref() == Some(scope) {
        return Ok(0);
    }
    let covers = |grid: &str| scope.iter().any(|a| gridmate_domain::area_covers(a, grid));
    let rows: Vec<(i64, String, String)> = {
        let mut stmt =
            tx.prepare("SELECT rowid, grid_id, id FROM records WHERE sync_state = 'synced'")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut dropped = 0;
    for (rowid, _, _) in rows
        .into_iter()
        .filter(|(_, g, id)| !covers(g) && !assigned.contains(id))
    {
        super::reference::remove_record(tx, rowid)?;
        dropped += 1;
    }
    Ok(dropped)
}

/// One pulled record merged into the device's copy, ready to store.
struct Merged {
    rowid: Option<i64>,
    /// The record with its row and synced heads (prepared on the worker thread), or why this
    /// app version cannot read the merged document, with that document (kept aside).
    record: Result<(Record, RowData, Vec<u8>), (String, AutoCommit)>,
}

/// A record the device lacks, stored from the server's projection without loading its document
/// (protocol 3). The server sends a projection only when the page holds every change it logged for
/// the record, so the chunks stored one after another (automerge loads a sequence of chunks) are
/// the document at the projection's heads, and the projection is what `read_record` reads from
/// it (the same domain crate, on the server, when it accepted the latest change). What lists and
/// search show comes from the projection; opening the record reads the document itself. `None`
/// when there is no projection or it does not fit this record or this app (another id or grid, a
/// newer schema, JSON this version cannot parse, bytes that are not Automerge chunks): the record
/// is then merged the general way, which loads and reads it.
fn adopt(pd: &wire::PulledDoc) -> Option<Merged> {
    let p = pd.projection.as_ref()?;
    let record: Record = serde_json::from_slice(&p.record).ok()?;
    let id = RecordId::from_uuid(uuid::Uuid::from_bytes(pd.record_id));
    let fits = record.meta.id == id
        && record.meta.grid_id.as_str() == pd.grid_id
        && record.meta.schema_version <= SCHEMA_VERSION
        && !p.heads.is_empty()
        && !pd.changes.is_empty()
        && pd.changes.iter().all(|c| is_chunk(&c.0));
    if !fits {
        return None;
    }
    let heads: Vec<ChangeHash> = p.heads.iter().map(|h| ChangeHash(*h)).collect();
    let heads = encode_heads(&heads);
    let doc: Vec<u8> = pd
        .changes
        .iter()
        .flat_map(|c| c.0.iter().copied())
        .collect();
    let row = RowData::from_parts(&record, doc, heads.clone(), SyncState::Synced);
    Some(Merged {
        rowid: None,
        record: Ok((record, row, heads)),
    })
}

/// Merges one pulled record into the local copy (`None` when the changes cannot be applied).
fn merge_one(pd: &wire::PulledDoc, local: Local) -> Option<Merged> {
    // The pulled changes join the document the device holds, even one this app cannot read (a
    // newer schema): replacing it with this page's changes alone would drop its earlier history.
    let (rowid, mut doc, state, synced) = match local {
        Local::Row(rowid, bytes, state, synced) => match load_doc(&bytes) {
            Ok(doc) => (
                Some(rowid),
                doc,
                SyncState::parse(&state).unwrap_or(SyncState::Pending),
                synced,
            ),
            // Bytes that do not decode at all: rebuilt from what the server sends.
            Err(_) => (Some(rowid), AutoCommit::new(), SyncState::Synced, None),
        },
        Local::KeptAside(bytes) => (
            None,
            load_doc(&bytes).unwrap_or_default(),
            SyncState::Synced,
            None,
        ),
        Local::Absent => (None, AutoCommit::new(), SyncState::Synced, None),
    };
    let before = doc.get_heads();
    ingest(&mut doc, &pd.changes).ok()?;
    let record = match read_record(&doc) {
        Ok(r) => r,
        Err(e) => {
            return Some(Merged {
                rowid,
                record: Err((e.to_string(), doc)),
            });
        }
    };
    let prepared = {
        let r = record;
        let (state, synced_heads) = match state {
            SyncState::Synced | SyncState::LocalOnly => {
                (SyncState::Synced, encode_heads(&doc.get_heads()))
            }
            other => {
                // Pending local work stays pending; the server now also holds what the pull
                // added.
                let mut have: Vec<ChangeHash> = decode_heads(synced.as_deref().unwrap_or_default());
                let known: HashSet<ChangeHash> = have.iter().copied().collect();
                let pulled: Vec<ChangeHash> = doc
                    .get_changes_meta(&before)
                    .iter()
                    .map(|m| m.hash)
                    .collect();
                have.extend(pulled.into_iter().filter(|h| !known.contains(h)));
                (other, encode_heads(&have))
            }
        };
        let row = RowData::new(&r, &mut doc, state);
        (r, row, synced_heads)
    };
    Some(Merged {
        rowid,
        record: Ok(prepared),
    })
}

/// Applies pulled chunks in log order: each run of change chunks with `apply_changes`, a document
/// chunk (protocol v2: a record's whole history) with `load_incremental`, which on an empty
/// document is a plain load, twice as fast as applying the same changes (a cold pull's case).
/// A chunk that does not decode is skipped, as automerge's own incremental load does.
fn ingest(doc: &mut AutoCommit, chunks: &[wire::Change]) -> Result<(), GuardedError> {
    let mut run: Vec<Change> = Vec::new();
    for c in chunks {
        if is_document_chunk(&c.0) {
            guarded::apply_changes(doc, std::mem::take(&mut run))?;
            guarded::load_incremental(doc, &c.0)?;
        } else if let Ok(change) = Change::from_bytes(c.0.clone()) {
            run.push(change);
        }
    }
    guarded::apply_changes(doc, run)
}

/// `merge_one` guarded as a whole: pulled bytes come from the network, and automerge's decoder
/// has panicked on malformed input; such a record is skipped, never the whole page.
fn merge_guarded(pd: &wire::PulledDoc, local: Local) -> Option<Merged> {
    if matches!(local, Local::Absent)
        && let Some(m) = adopt(pd)
    {
        return Some(m);
    }
    guarded::guard("merging a pulled record", || merge_one(pd, local))
        .ok()
        .flatten()
}

/// Records a worker merges before handing them over (small: the writer starts early).
const MERGE_CHUNK: usize = 32;

/// `merge_one` for every record of a page on worker threads (one per core, at most 4), handing
/// each merged chunk to `store` on the calling thread as soon as it is ready: applying a record's
/// text operations and writing its row overlap (W1 cold pull). `store` gets each record's index
/// in `docs` exactly once, except the records of a worker that died, which stay as they were
/// (their changes arrive again with the record's next change).
fn merge_streamed(
    docs: &[wire::PulledDoc],
    locals: Vec<Local>,
    store: &mut dyn FnMut(usize, Option<Merged>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    if threads < 2 || docs.len() < 2 * MERGE_CHUNK {
        for (i, (pd, l)) in docs.iter().zip(locals).enumerate() {
            store(i, merge_guarded(pd, l))?;
        }
        return Ok(());
    }
    // Chunks of (first index, inputs), taken by the workers in order from a shared queue.
    let mut queue: std::collections::VecDeque<(usize, Vec<Local>)> =
        std::collections::VecDeque::new();
    let mut it = locals.into_iter();
    let mut start = 0;
    while start < docs.len() {
        let part: Vec<Local> = it.by_ref().take(MERGE_CHUNK).collect();
        let len = part.len();
        queue.push_back((start, part));
        start += len;
    }
    let queue = std::sync::Mutex::new(queue);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Vec<Option<Merged>>)>();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let tx = tx.clone();
            let queue = &queue;
            s.spawn(move || {
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .pop_front();
                    let Some((first, part)) = next else { return };
                    let merged = part
                        .into_iter()
                        .enumerate()
                        .map(|(k, l)| merge_guarded(&docs[first + k], l))
                        .collect();
                    if tx.send((first, merged)).is_err() {
                        return; // the writer stopped on an error
                    }
                }
            });
        }
        drop(tx);
        // Ends when every worker is done (all senders dropped); stops early on a write error,
        // which makes the workers' next send fail and them return.
        for (first, merged) in rx {
            for (k, m) in merged.into_iter().enumerate() {
                store(first + k, m)?;
            }
        }
        Ok(())
    })
}

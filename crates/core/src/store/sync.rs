//! The store's side of sync: what to push, what the server said about it, and applying what was
//! pulled. Every step that changes state is one transaction, so an interrupted sync leaves the
//! store as before that step, and the next sync simply redoes it (the protocol is idempotent).
//!
//! Per record, `record_sync.synced_heads` are heads the server is known to hold (everything before
//! them is on the server). A push sends the changes after them; an `Accepted` moves them to the
//! heads that were pushed; `Held` clears them so that the next push sends the whole history;
//! `Rejected` marks the record `rejected` with the server's reason and keeps every local change, so
//! the user can see and fix it (a fix is a new edit: the record is pending again and the server
//! judges the resulting state). Device positions advance in the same transaction that stores the
//! pulled changes: never before they are durable.

use std::collections::HashSet;

use automerge::{AutoCommit, Change, ChangeHash};
use gridmate_domain::document::{is_chunk, is_document_chunk, read_record};
use gridmate_domain::wire::{self, Position, PullPage, PushDoc, PushOutcome, PushResult};
use gridmate_domain::{Record, RecordId, SCHEMA_VERSION, Timestamp};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::codec::{decode_heads, encode_heads, load_doc, load_record};
use super::write::{RowData, write_prepared};
use super::{Store, StoreError, SyncState};

/// A local record as a pull finds it: rowid, document, sync state, synced heads.
type LocalRow = (i64, Vec<u8>, String, Option<Vec<u8>>);

/// A record collected for a push: what was sent and the heads it was sent at.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub doc: PushDoc,
    pub heads: Vec<ChangeHash>,
}

/// What applying one response changed, for reports and the status line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
    pub held: usize,
    pub pulled_records: usize,
    pub pulled_changes: usize,
    pub dropped_out_of_scope: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub id: RecordId,
    pub code: String,
    pub field: String,
    pub message_zh: String,
    pub message_en: String,
}

/// The account's binding to a server (kept in `meta`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerBinding {
    pub server_url: String,
    pub user: String,
    pub token: String,
    pub allow_insecure: bool,
    /// The profile the server returned at login (for the app's session and grid pickers).
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub legal_role: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub scope: Vec<String>,
}

impl Store {
    /// Binds the account to a server after a successful login. Records saved before (local only)
    /// become pending. Refused when the store holds records created by another user: they could
    /// never be pushed under this account.
    pub fn bind_server(&mut self, b: &ServerBinding) -> Result<(), StoreError> {
        let other: Option<String> = self
            .conn
            .query_row("SELECT created_by FROM records WHERE created_by <> ?1 AND sync_state = 'local_only' LIMIT 1", [&b.user], |r| r.get(0))
            .optional()?;
        if let Some(other) = other {
            return Err(StoreError::AccountMismatch {
                store_user: other,
                login_user: b.user.clone(),
            });
        }
        let tx = self.conn.transaction()?;
        let json = serde_json::to_string(b).map_err(|e| StoreError::Automerge(e.to_string()))?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('server_binding', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [json])?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('server_url', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [&b.server_url])?;
        tx.execute(
            "UPDATE records SET sync_state = 'pending' WHERE sync_state = 'local_only'",
            [],
        )?;
        tx.commit()?;
        self.user = b.user.clone();
        Ok(())
    }

    pub fn server_binding(&self) -> Result<Option<ServerBinding>, StoreError> {
        self.meta("server_binding")?
            .map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Automerge(e.to_string())))
            .transpose()
    }

    /// Forgets the server (logout). Refused while records are unsynced unless `force`.
    pub fn unbind_server(&mut self, force: bool) -> Result<(), StoreError> {
        let counts = self.counts()?;
        if !force && counts.pending + counts.rejected > 0 {
            return Err(StoreError::Unsynced {
                pending: counts.pending,
                rejected: counts.rejected,
            });
        }
        self.conn
            .execute("DELETE FROM meta WHERE key IN ('server_binding')", [])?;
        Ok(())
    }

    /// The positions to pull from.
    pub fn sync_positions(&self) -> Result<Vec<Position>, StoreError> {
        let stored: Option<Vec<(String, u64)>> = self
            .meta("sync_positions")?
            .and_then(|s| serde_json::from_str(&s).ok());
        Ok(stored
            .unwrap_or_default()
            .into_iter()
            .map(|(area, seq)| Position { area, seq })
            .collect())
    }

    /// Up to `max_records` pending records with the changes the server may lack, capped near
    /// `max_bytes` of raw changes (at least one record, so a push always makes progress).
    pub fn collect_outgoing(
        &self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<Outgoing>, StoreError> {
        Ok(self.collect_outgoing_batch(max_records, max_bytes)?.0)
    }

    /// `collect_outgoing`, and whether the byte cap left a pending record out of the batch (then
    /// the sync needs another push even though the batch has fewer than `max_records` records).
    pub fn collect_outgoing_batch(
        &self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<(Vec<Outgoing>, bool), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, d.doc, s.synced_heads, d.heads FROM records r
             JOIN documents d ON d.record_rowid = r.rowid
             JOIN record_sync s ON s.record_rowid = r.rowid
             WHERE r.sync_state = 'pending' AND r.quarantine IS NULL
             ORDER BY r.updated_at LIMIT ?1",
        )?;
        let rows = stmt.query_map([max_records as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut cut = false;
        for row in rows {
            let (id, doc_bytes, synced, heads) = row?;
            let Ok(id) = id.parse::<RecordId>() else {
                continue;
            };
            let Some((changes, heads)) = outgoing_chunks(doc_bytes, synced, heads) else {
                continue;
            };
            let size: usize = changes.iter().map(|c| c.0.len()).sum();
            if !out.is_empty() && bytes + size > max_bytes {
                cut = true;
                break;
            }
            bytes += size;
            out.push(Outgoing {
                doc: PushDoc {
                    record_id: *id.as_uuid().as_bytes(),
                    changes,
                },
                heads,
            });
        }
        Ok((out, cut))
    }

    /// Records the server's answer to a push. `sent` is what `collect_outgoing` returned.
    pub fn apply_push_results(
        &mut self,
        sent: &[Outgoing],
        results: &[PushResult],
        applied: &mut Applied,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (out, res) in sent.iter().zip(results) {
            if out.doc.record_id != res.record_id {
                continue; // a misaligned answer is ignored; the record stays pending
            }
            let id = RecordId::from_uuid(uuid::Uuid::from_bytes(res.record_id));
            let row: Option<(i64, Vec<u8>)> = tx
                .query_row(
                    "SELECT r.rowid, d.heads FROM records r JOIN documents d ON d.record_rowid = r.rowid WHERE r.id = ?1",
                    [id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((rowid, current_heads)) = row else {
                continue;
            };
            match &res.outcome {
                PushOutcome::Accepted { .. } => {
                    let sent_heads = encode_heads(&out.heads);
                    // Edited while the push was in flight: still pending, from the pushed heads.
                    let state = if sent_heads == current_heads {
                        SyncState::Synced
                    } else {
                        SyncState::Pending
                    };
                    tx.execute(
                        "UPDATE record_sync SET synced_heads = ?1, rejected_code = NULL, rejected_reason = NULL WHERE record_rowid = ?2",
                        params![sent_heads, rowid],
                    )?;
                    tx.execute(
                        "UPDATE records SET sync_state = ?1 WHERE rowid = ?2",
                        params![state.as_str(), rowid],
                    )?;
                    applied.accepted += 1;
                }
                PushOutcome::Held { .. } => {
                    tx.execute(
                        "UPDATE record_sync SET synced_heads = NULL WHERE record_rowid = ?1",
                        [rowid],
                    )?;
                    applied.held += 1;
                }
                PushOutcome::Rejected {
                    code,
                    field,
                    message_zh,
                    message_en,
                } => {
                    let reason =
                        serde_json::json!({"field": field, "zh-CN": message_zh, "en": message_en})
                            .to_string();
                    tx.execute(
                        "UPDATE record_sync SET rejected_code = ?1, rejected_reason = ?2 WHERE record_rowid = ?3",
                        params![code, reason, rowid],
                    )?;
                    tx.execute(
                        "UPDATE records SET sync_state = 'rejected' WHERE rowid = ?1",
                        [rowid],
                    )?;
                    applied.rejected.push(Rejection {
                        id,
                        code: code.clone(),
                        field: field.clone(),
                        message_zh: message_zh.clone(),
                        message_en: message_en.clone(),
                    });
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores a pulled page and the new positions in one transaction.
    pub fn apply_pull(&mut self, page: &PullPage, applied: &mut Applied) -> Result<(), StoreError> {
        let now = Timestamp::now();
        let tx = self.conn.transaction()?;
        // 1. What the device already holds for each pulled record.
        let mut locals: Vec<Option<LocalRow>> = Vec::with_capacity(page.docs.len());
        for pd in &page.docs {
            let id = RecordId::from_uuid(uuid::Uuid::from_bytes(pd.record_id));
            locals.push(
                tx.prepare_cached(
                    "SELECT r.rowid, d.doc, r.sync_state, s.synced_heads FROM records r
                     JOIN documents d ON d.record_rowid = r.rowid JOIN record_sync s ON s.record_rowid = r.rowid
                     WHERE r.id = ?1",
                )?
                .query_row([id.to_string()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?,
            );
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
            let rowid = write_prepared(&tx, m.rowid, &record, &row)?;
            tx.prepare_cached("UPDATE record_sync SET synced_heads = ?1 WHERE record_rowid = ?2")?
                .execute(params![synced_heads, rowid])?;
            applied.pulled_records += 1;
            applied.pulled_changes += pd.changes.len();
            Ok(())
        };
        merge_streamed(&page.docs, locals, &mut store_one)?;
        applied.dropped_out_of_scope += drop_out_of_scope(&tx, &page.scope)?;
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

    /// The rejection recorded for a record, if any.
    pub fn rejection(&self, id: RecordId) -> Result<Option<Rejection>, StoreError> {
        let row: Option<(Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT s.rejected_code, s.rejected_reason FROM records r JOIN record_sync s ON s.record_rowid = r.rowid WHERE r.id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((Some(code), reason)) = row else {
            return Ok(None);
        };
        let v: serde_json::Value = reason
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default();
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Ok(Some(Rejection {
            id,
            code,
            field: s("field"),
            message_zh: s("zh-CN"),
            message_en: s("en"),
        }))
    }
}

/// Keeps a pulled document this build cannot read (a newer schema from a newer app, say): a known
/// record is quarantined with the server's copy; an unknown one waits in `unreadable_docs`, outside
/// lists, until an app update can read it. Nothing pulled is lost.
/// What a push sends for one pending record, and the heads it is sent at. A record the server
/// has never acknowledged goes as its stored document, as is: one chunk, no decoding on the phone
/// (protocol v2). Otherwise the changes after the acknowledged heads; `None` when the stored
/// document cannot be read (it is quarantined elsewhere, never sent).
fn outgoing_chunks(
    doc_bytes: Vec<u8>,
    synced: Option<Vec<u8>>,
    heads: Vec<u8>,
) -> Option<(Vec<wire::Change>, Vec<ChangeHash>)> {
    let have = decode_heads(synced.as_deref().unwrap_or_default());
    if have.is_empty() && is_document_chunk(&doc_bytes) {
        return Some((vec![wire::Change(doc_bytes)], decode_heads(&heads)));
    }
    // Its changes only: the record itself was read when it was saved.
    let mut doc = load_doc(&doc_bytes).ok()?;
    // Heads the document does not know (a server reset, a restored backup): send all.
    let have = if have.iter().all(|h| doc.get_change_by_hash(h).is_some()) {
        have
    } else {
        Vec::new()
    };
    let changes = doc
        .get_changes(&have)
        .iter()
        .map(|c| wire::Change(c.raw_bytes().to_vec()))
        .collect();
    Some((changes, doc.get_heads()))
}

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
/// now). Records with unsynced work stay until they are pushed or rejected. Runs only when the
/// scope differs from the one last stored, so an ordinary pull does not scan the store.
fn drop_out_of_scope(
    tx: &rusqlite::Transaction<'_>,
    scope: &[String],
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
    let rows: Vec<(i64, String)> = {
        let mut stmt =
            tx.prepare("SELECT rowid, grid_id FROM records WHERE sync_state = 'synced'")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut dropped = 0;
    for (rowid, _) in rows.into_iter().filter(|(_, g)| !covers(g)) {
        tx.execute("DELETE FROM records_fts WHERE rowid = ?1", [rowid])?;
        tx.execute("DELETE FROM documents WHERE record_rowid = ?1", [rowid])?;
        tx.execute("DELETE FROM record_sync WHERE record_rowid = ?1", [rowid])?;
        tx.execute("DELETE FROM records WHERE rowid = ?1", [rowid])?;
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
fn merge_one(pd: &wire::PulledDoc, local: Option<LocalRow>) -> Option<Merged> {
    let (rowid, mut doc, state, synced) = match local {
        Some((rowid, bytes, state, synced)) => match load_record(&bytes) {
            Ok((doc, _)) => (
                Some(rowid),
                doc,
                SyncState::parse(&state).unwrap_or(SyncState::Pending),
                synced,
            ),
            // A quarantined local copy: rebuild it from what the server sends.
            Err(_) => (Some(rowid), AutoCommit::new(), SyncState::Synced, None),
        },
        None => (None, AutoCommit::new(), SyncState::Synced, None),
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
fn ingest(doc: &mut AutoCommit, chunks: &[wire::Change]) -> Result<(), String> {
    let mut run: Vec<Change> = Vec::new();
    for c in chunks {
        if is_document_chunk(&c.0) {
            super::codec::apply_changes(doc, std::mem::take(&mut run))?;
            doc.load_incremental(&c.0).map_err(|e| e.to_string())?;
        } else if let Ok(change) = Change::from_bytes(c.0.clone()) {
            run.push(change);
        }
    }
    super::codec::apply_changes(doc, run)
}

/// `merge_one` under `catch_unwind`: pulled bytes come from the network, and automerge's decoder
/// has panicked on malformed input; such a record is skipped, never the whole page.
fn merge_guarded(pd: &wire::PulledDoc, local: Option<LocalRow>) -> Option<Merged> {
    if local.is_none()
        && let Some(m) = adopt(pd)
    {
        return Some(m);
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| merge_one(pd, local)))
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
    locals: Vec<Option<LocalRow>>,
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
    let mut queue: std::collections::VecDeque<(usize, Vec<Option<LocalRow>>)> =
        std::collections::VecDeque::new();
    let mut it = locals.into_iter();
    let mut start = 0;
    while start < docs.len() {
        let part: Vec<Option<LocalRow>> = it.by_ref().take(MERGE_CHUNK).collect();
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

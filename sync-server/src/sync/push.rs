//! Push: apply each pushed record's new changes to the server's copy, validate the result with the
//! shared rules plus authorization, and log the accepted changes.
//!
//! Invariants:
//! - Each record is decided alone (its own savepoint): a refused record changes nothing and never
//!   blocks the others in the batch.
//! - Idempotent: changes are keyed by hash; a retried, duplicated or reordered push finds them
//!   logged and answers `Accepted` with the current heads, writing nothing.
//! - A change whose dependencies are missing is held in `sync_held` (scoped, bounded, expiring:
//!   `held.rs`), never shown to others, and logged under its own pusher once a push brings what
//!   it lacks. A held change never stops another change of the record from being accepted.
//! - Nothing is logged that does not pass `validate_record`/`validate_update`, scope, creator and
//!   actor checks, nor anything that takes the record's history past its bound (`limits`); who
//!   pushed each change (user, device) and when is recorded with it.

use std::collections::{HashMap, HashSet};

use automerge::{AutoCommit, Change, ChangeHash};
use gridmate_domain::document::{guarded, is_document_chunk, read_record};
use gridmate_domain::wire::{PushDoc, PushOutcome, PushResult};
use gridmate_domain::{GridId, Record, RecordId, Role, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::authorize::{Pushed, authorize, may_reach, new_changes};
use super::doc::{
    all_changes, decode_change, decode_heads, encode_heads, load, load_document, round_trips,
};
use super::held::{self, HeldLimits, missing_of, split_ready};
use super::plan::{Plan, commit_planned};
use super::plan_edit::commit_edit;
use super::{limits, refusal};
use crate::scope::Scope;
use crate::storage::StorageError;

/// Changes after the snapshot beyond which a record's snapshot is refreshed.
pub(super) const SNAPSHOT_AFTER: i64 = 32;

/// The authenticated pusher.
#[derive(Debug, Clone)]
pub struct Pusher {
    pub user_id: i64,
    pub user_name: String,
    /// The account's role: the workflow's table and the delete rule are decided by it.
    pub role: Role,
    pub device_id: String,
    pub scope: Scope,
    /// The unit the account acts for (a unit's disputes are handled by its members).
    pub unit: Option<String>,
}

#[derive(Debug)]
pub struct PushBatch {
    pub results: Vec<PushResult>,
    /// The seqs of the changes this request carried (ascending), so the same request's pull can
    /// skip the echo. Held changes of another device that this push completed are logged too, but
    /// not listed here: this device has never seen them and must pull them.
    pub logged: Vec<i64>,
}

/// Pushes a batch in one transaction (one fsync for the batch), one savepoint per record. `plans`
/// come from `plan::plan_all`, run before the writer lock was taken; they are borrowed so that
/// freeing them (documents, records, derived rows) happens after the lock is released.
pub fn push_batch(
    conn: &mut Connection,
    who: &Pusher,
    plans: &[Plan],
    (limits, now): (&HeldLimits, Timestamp),
) -> Result<PushBatch, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Expired held changes go first: one index range, in the batch's transaction.
    held::expire(&tx, limits, now)?;
    let at = (limits, now);
    let mut actors = ActorCache::default();
    let mut results = Vec::with_capacity(plans.len());
    let mut logged: Vec<i64> = Vec::new();
    for plan in plans {
        let record_id = plan.record_id();
        savepoint(&tx, "SAVEPOINT record")?;
        let pushed = match plan {
            Plan::Locked(d) => push_one(&tx, who, d, at, &mut actors, &mut logged),
            Plan::NewDocument(p) => commit_planned(&tx, who, p, at, &mut actors, &mut logged),
            Plan::Edit(p) => commit_edit(&tx, who, p, at, &mut actors, &mut logged),
        };
        let outcome = match pushed {
            Ok(o) => o,
            Err(e) => {
                savepoint(&tx, "ROLLBACK TO record")?;
                savepoint(&tx, "RELEASE record")?;
                actors.clear();
                return Err(e);
            }
        };
        if let PushOutcome::Rejected { code, field, .. } = &outcome {
            // The savepoint may hold partial writes of this record: undo them, then audit.
            savepoint(&tx, "ROLLBACK TO record")?;
            actors.clear();
            tx.execute(
                "INSERT INTO sync_rejections (record_id, user_id, device_id, code, field, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    record_id.as_slice(),
                    who.user_id,
                    who.device_id,
                    code,
                    field,
                    now.millis()
                ],
            )?;
        }
        savepoint(&tx, "RELEASE record")?;
        results.push(PushResult { record_id, outcome });
    }
    tx.commit()?;
    Ok(PushBatch { results, logged })
}

/// Logs the changes of one record made on the server itself (an action a dispatcher takes in the
/// console) inside the caller's IMMEDIATE transaction, exactly as a push of them by `who` would
/// be: reach, validation, authorization, actor binding, the assignment index (the console indexer
/// follows, as after any push). The caller made them on the record as this transaction reads it,
/// so nothing is held; it commits on `Accepted` and drops the transaction otherwise, so a refusal
/// leaves nothing behind.
pub fn push_in(
    tx: &Transaction<'_>,
    who: &Pusher,
    doc: PushDoc,
    at: (&HeldLimits, Timestamp),
) -> Result<PushOutcome, StorageError> {
    let mut actors = ActorCache::default();
    let mut logged = Vec::new();
    push_one(tx, who, &doc, at, &mut actors, &mut logged)
}

/// Runs a savepoint statement on a cached statement: `execute_batch` parsed these three times per
/// record (a visible share of the server's CPU in W1's edit phase: docs/benchmarks.md).
fn savepoint(tx: &Transaction<'_>, sql: &str) -> Result<(), StorageError> {
    tx.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Which device each actor is bound to, as seen in this transaction.
#[derive(Default)]
pub(super) struct ActorCache(HashMap<Vec<u8>, Option<String>>);

impl ActorCache {
    fn clear(&mut self) {
        self.0.clear();
    }

    pub(super) fn device_of(
        &mut self,
        tx: &Transaction<'_>,
        actor: &[u8],
    ) -> Result<Option<String>, StorageError> {
        if let Some(d) = self.0.get(actor) {
            return Ok(d.clone());
        }
        let d: Option<String> = tx
            .prepare_cached("SELECT device_id FROM sync_actors WHERE actor = ?1")?
            .query_row([actor], |r| r.get(0))
            .optional()?;
        self.0.insert(actor.to_vec(), d.clone());
        Ok(d)
    }

    /// An actor writes from one device only: the first device the server sees it from. Of
    /// `authors` (the actors of a record's new changes), the ones not bound yet, to bind if the
    /// record is accepted; or the `actor_conflict` refusal when one is bound to another device.
    pub(super) fn unbound(
        &mut self,
        tx: &Transaction<'_>,
        who: &Pusher,
        authors: Vec<Vec<u8>>,
    ) -> Result<Result<Vec<Vec<u8>>, PushOutcome>, StorageError> {
        let mut unbound: Vec<Vec<u8>> = Vec::new();
        for actor in authors {
            match self.device_of(tx, &actor)? {
                Some(device) if device != who.device_id => {
                    return Ok(Err(refusal::actor_conflict()));
                }
                Some(_) => {}
                None if !unbound.contains(&actor) => unbound.push(actor),
                None => {}
            }
        }
        Ok(Ok(unbound))
    }

    /// Binds a new actor to the pusher's device (it wrote its first change from there).
    pub(super) fn bind(
        &mut self,
        tx: &Transaction<'_>,
        actor: Vec<u8>,
        who: &Pusher,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        tx.prepare_cached("INSERT OR IGNORE INTO sync_actors (actor, user_id, device_id, first_seen_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![actor, who.user_id, who.device_id, now.millis()])?;
        self.0.insert(actor, Some(who.device_id.clone()));
        Ok(())
    }
}

#[derive(Debug)]
pub(super) struct Existing {
    pub rowid: i64,
    pub grid_id: String,
    pub heads: Vec<u8>,
    pub snapshot: Option<Vec<u8>>,
    pub snapshot_seq: i64,
    pub tail_changes: i64,
}

pub(super) fn push_one(
    tx: &Transaction<'_>,
    who: &Pusher,
    d: &PushDoc,
    (held_limits, now): (&HeldLimits, Timestamp),
    actors: &mut ActorCache,
    logged: &mut Vec<i64>,
) -> Result<PushOutcome, StorageError> {
    let existing = load_existing(tx, &d.record_id)?;
    if let Some(e) = &existing
        && !reachable(tx, who, e)?
    {
        return Ok(refusal::record_out_of_scope());
    }
    let fresh = match fresh_changes(tx, d)? {
        Ok(fresh) => fresh,
        Err(refused) => return Ok(refused),
    };
    if fresh.is_empty() {
        return Ok(nothing_new(existing.as_ref()));
    }
    let authors: Vec<Vec<u8>> = fresh
        .iter()
        .map(|c| c.actor_id().to_bytes().to_vec())
        .collect();
    let unbound = match actors.unbound(tx, who, authors)? {
        Ok(unbound) => unbound,
        Err(conflict) => return Ok(conflict),
    };
    let (mut doc, old, stored_bytes) = match &existing {
        Some(e) => {
            let doc = load(e.snapshot.as_deref(), &tail_of(tx, e)?)
                .map_err(|err| StorageError::Corrupt(err.to_string()))?;
            let old = read_record(&doc)
                .map_err(|err| StorageError::Corrupt(format!("stored record unreadable: {err}")))?;
            (doc, Some(old), limits::stored_bytes(tx, e.rowid)?)
        }
        None => (AutoCommit::new(), None, 0),
    };
    // Changes about to be held count too: what is held is stored, and joins the history later.
    let stored = limits::stored_size(&mut doc, stored_bytes);
    if let Some(refused) = limits::history_refusal(stored, &fresh) {
        return Ok(refused);
    }
    // Only this push's own changes whose dependencies the record holds are decided now: a change
    // held for anyone else never stands in the way (it joins once its dependencies are there).
    let (ready, waiting) = split_ready(&mut doc, fresh);
    if ready.is_empty() && existing.is_none() {
        // Nothing is held for an unknown record: the device sends its whole document next.
        return Ok(PushOutcome::Held {
            missing: missing_of(&mut doc, &waiting),
        });
    }
    let mut progress = None;
    if !ready.is_empty() {
        let accepted = accept_own(tx, who, &d.record_id, &mut doc, old, ready, now)?;
        match accepted {
            Ok(p) => progress = Some(p),
            Err(refused) => return Ok(refused),
        }
    }
    if !waiting.is_empty()
        && let Some(refused) = held::hold(tx, who, &d.record_id, &waiting, (held_limits, now))?
    {
        return Ok(refused);
    }
    for actor in unbound {
        actors.bind(tx, actor, who, now)?;
    }
    if let Some((own, rowid, record)) = progress {
        logged.extend_from_slice(&own);
        let mut p = held::Progress {
            record_id: &d.record_id,
            rowid,
            doc: &mut doc,
            record,
            last_seq: own.last().copied().unwrap_or(0),
            logged: own.len() as i64,
        };
        held::complete(tx, &mut p, now, actors)?;
        store_state(tx, existing.as_ref(), p)?;
    }
    if waiting.is_empty() {
        Ok(PushOutcome::Accepted {
            heads: doc.get_heads().iter().map(|h| h.0).collect(),
        })
    } else {
        Ok(PushOutcome::Held {
            missing: missing_of(&mut doc, &waiting),
        })
    }
}

/// The answer to a push that brought nothing the server lacks: the stored heads (a retry).
fn nothing_new(existing: Option<&Existing>) -> PushOutcome {
    match existing {
        Some(e) => PushOutcome::Accepted {
            heads: decode_heads(&e.heads),
        },
        None => refusal::reject(
            "missing_changes",
            "changes",
            "新记录缺少内容",
            "a new record was pushed without its changes",
        ),
    }
}

/// The pushed changes the server has not logged yet, decoded (a document chunk, protocol v2,
/// joins as the changes it holds); the refusal of an undecodable chunk.
fn fresh_changes(
    tx: &Transaction<'_>,
    d: &PushDoc,
) -> Result<Result<Vec<Change>, PushOutcome>, StorageError> {
    let mut fresh: Vec<Change> = Vec::new();
    let mut exists = tx.prepare_cached("SELECT 1 FROM sync_changes WHERE hash = ?1")?;
    for (i, raw) in d.changes.iter().enumerate() {
        let decoded = if is_document_chunk(&raw.0) {
            load_document(&raw.0).as_mut().and_then(all_changes)
        } else {
            decode_change(&raw.0).map(|c| vec![c])
        };
        let Some(decoded) = decoded else {
            return Ok(Err(refusal::undecodable(i)));
        };
        for c in decoded {
            if !exists.exists([c.hash().0.as_slice()])?
                && !fresh.iter().any(|f| f.hash() == c.hash())
            {
                fresh.push(c);
            }
        }
    }
    Ok(Ok(fresh))
}

/// What `accept_own` logged: the seqs, the record's rowid and the record now.
type Logged = (Vec<i64>, i64, Record);

/// Applies, checks and logs the pusher's own `ready` changes (in dependency order), or refuses.
fn accept_own(
    tx: &Transaction<'_>,
    who: &Pusher,
    record_id: &[u8; 16],
    doc: &mut AutoCommit,
    old: Option<Record>,
    ready: Vec<Change>,
    now: Timestamp,
) -> Result<Result<Logged, PushOutcome>, StorageError> {
    let before = doc.get_heads();
    if guarded::apply_changes(doc, ready.clone()).is_err() {
        return Ok(Err(refusal::unappliable()));
    }
    let new = match read_record(doc) {
        Ok(r) => r,
        Err(e) => return Ok(Err(refusal::schema_mismatch(&e))),
    };
    let ready = dependency_order(ready);
    let id = RecordId::from_uuid(uuid::Uuid::from_bytes(*record_id));
    let pushed = Pushed {
        id: &id,
        old: old.as_ref(),
        new: &new,
        doc,
        fresh: &new_changes(&ready),
    };
    if let Some(outcome) = authorize(who, &pushed, now) {
        return Ok(Err(outcome));
    }
    if !round_trips(doc, &before, &ready) {
        return Ok(Err(refusal::unencodable()));
    }
    let rowid = match load_existing(tx, record_id)? {
        Some(e) => e.rowid,
        None => insert_record(tx, record_id, &new)?,
    };
    // `ready` is exactly what the stored document lacked (no hash of it is logged), so it is
    // logged as received, in dependency order; `doc.get_changes(&heads_before)` would re-encode
    // every change from the op set (a large share of a push's CPU: docs/benchmarks.md, W1).
    let mut seqs = Vec::with_capacity(ready.len());
    let mut unheld = tx.prepare_cached("DELETE FROM sync_held WHERE hash = ?1")?;
    for c in &ready {
        let row = LogRow {
            hash: c.hash(),
            actor: c.actor_id().to_bytes(),
            bytes: c.raw_bytes(),
        };
        seqs.push(log_change(tx, who, rowid, &new, &row, now)?);
        // Held earlier and now pushed again with what it lacked.
        unheld.execute([c.hash().0.as_slice()])?;
    }
    Ok(Ok((seqs, rowid, new)))
}

/// Writes the record row after this push's changes (its own and completed held ones) were logged.
fn store_state(
    tx: &Transaction<'_>,
    existing: Option<&Existing>,
    p: held::Progress<'_>,
) -> Result<(), StorageError> {
    let heads = p.doc.get_heads();
    let tail = existing.map_or(0, |e| e.tail_changes) + p.logged;
    let (snapshot, snapshot_seq, tail) = if tail > SNAPSHOT_AFTER {
        (Some(p.doc.save()), p.last_seq, 0)
    } else {
        (
            existing.and_then(|e| e.snapshot.clone()),
            existing.map_or(0, |e| e.snapshot_seq),
            tail,
        )
    };
    let stored = Stored {
        heads: &heads,
        snapshot: snapshot.as_deref(),
        snapshot_seq,
        tail,
        last_seq: p.last_seq,
    };
    update_record(tx, p.rowid, &p.record, &Derived::of(&p.record), &stored)
}

/// One accepted change (or single-change document chunk) as it goes into the log.
pub(super) struct LogRow<'a> {
    pub hash: ChangeHash,
    pub actor: &'a [u8],
    pub bytes: &'a [u8],
}

/// Appends one accepted change to the log, with who pushed it and when; returns its seq.
pub(super) fn log_change(
    tx: &Transaction<'_>,
    who: &Pusher,
    rowid: i64,
    record: &Record,
    row: &LogRow<'_>,
    now: Timestamp,
) -> Result<i64, StorageError> {
    tx.prepare_cached(
        "INSERT INTO sync_changes (record_rowid, grid_id, hash, actor, bytes, pushed_by, pushed_device, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        rowid,
        record.meta.grid_id.as_str(),
        row.hash.0.as_slice(),
        row.actor,
        row.bytes,
        who.user_id,
        who.device_id,
        now.millis()
    ])?;
    Ok(tx.last_insert_rowid())
}

/// A record's stored state after a push.
pub(super) struct Stored<'a> {
    pub heads: &'a [ChangeHash],
    pub snapshot: Option<&'a [u8]>,
    pub snapshot_seq: i64,
    pub tail: i64,
    pub last_seq: i64,
}

/// What the server stores of a record beside its changes, derived from the record alone: the
/// projection devices receive (and the console indexer reads). A plan derives it before the
/// writer lock, so the writer only writes it.
#[derive(Debug)]
pub(super) struct Derived {
    projection: Vec<u8>,
}

impl Derived {
    /// `record`'s.
    pub(super) fn of(record: &Record) -> Self {
        Self {
            // Writing a JSON value into a Vec cannot fail; an empty projection is never sent.
            projection: serde_json::to_vec(record).unwrap_or_default(),
        }
    }
}

/// Writes a record's heads, snapshot bookkeeping, projection and (for a dispute) assignment
/// after an accepted push; `derived` is `new`'s. The console indexer indexes the record after
/// the transaction, from the change it logged (`console::indexer`).
pub(super) fn update_record(
    tx: &Transaction<'_>,
    rowid: i64,
    new: &Record,
    derived: &Derived,
    s: &Stored<'_>,
) -> Result<(), StorageError> {
    // The projection travels with the record's changes to devices that lack it (protocol 3):
    // written in the same statement as the heads and `last_seq` it belongs to.
    tx.prepare_cached(
        "UPDATE sync_records SET heads = ?1, snapshot = ?2, snapshot_seq = ?3, tail_changes = ?4, status = ?5,
             risk_level = ?6, occurred_at = ?7, updated_at = ?8, deleted_at = ?9, last_seq = ?10,
             projection = ?12,
             first_seq = coalesce(first_seq, (SELECT min(seq) FROM sync_changes WHERE record_rowid = ?11))
         WHERE rowid = ?11",
    )?
    .execute(params![
        encode_heads(s.heads),
        s.snapshot,
        s.snapshot_seq,
        s.tail,
        new.status().map(|s| s.as_str()),
        new.risk_level().map(|r| r.as_str()),
        new.body.occurred_at().millis(),
        new.meta.updated_at.millis(),
        new.meta.deleted_at.map(|t| t.millis()),
        s.last_seq,
        rowid,
        derived.projection
    ])?;
    // Who the dispute is assigned to now, in the same transaction (protocol 4 pulls read it).
    super::assigned::index_assignment(tx, rowid, new, s.last_seq)?;
    Ok(())
}

/// `changes` ordered so that each comes after those of its dependencies that are in the set.
/// Already ordered input (what devices send) takes one pass.
pub(super) fn dependency_order(changes: Vec<Change>) -> Vec<Change> {
    let mut waiting: HashSet<ChangeHash> = changes.iter().map(Change::hash).collect();
    let mut rest: Vec<Change> = changes;
    let mut out = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let before = rest.len();
        let mut later = Vec::new();
        for c in rest {
            if c.deps().iter().any(|d| waiting.contains(d)) {
                later.push(c);
            } else {
                waiting.remove(&c.hash());
                out.push(c);
            }
        }
        if later.len() == before {
            // Impossible after a successful apply (no cycles, no missing deps); keep them anyway.
            out.extend(later);
            break;
        }
        rest = later;
    }
    out
}

/// Whether `who` may push to the stored record `e` at all (`authorize::may_reach`); the stored
/// version is read only for a record outside the pusher's areas.
fn reachable(tx: &Transaction<'_>, who: &Pusher, e: &Existing) -> Result<bool, StorageError> {
    if GridId::parse(&e.grid_id).is_some_and(|g| who.scope.covers(&g)) {
        return Ok(true);
    }
    let doc = load(e.snapshot.as_deref(), &tail_of(tx, e)?)
        .map_err(|err| StorageError::Corrupt(err.to_string()))?;
    let old = read_record(&doc)
        .map_err(|err| StorageError::Corrupt(format!("stored record unreadable: {err}")))?;
    Ok(may_reach(who, &old))
}

pub(super) fn load_existing(
    tx: &Connection,
    id: &[u8; 16],
) -> Result<Option<Existing>, StorageError> {
    Ok(tx
        .prepare_cached(
            "SELECT rowid, grid_id, heads, snapshot, snapshot_seq, tail_changes FROM sync_records WHERE id = ?1",
        )?
        .query_row([id.as_slice()], |r| {
            Ok(Existing {
                rowid: r.get(0)?,
                grid_id: r.get(1)?,
                heads: r.get(2)?,
                snapshot: r.get(3)?,
                snapshot_seq: r.get(4)?,
                tail_changes: r.get(5)?,
            })
        })
        .optional()?)
}

/// The changes logged after a record's snapshot, in log order.
pub(super) fn tail_of(conn: &Connection, e: &Existing) -> Result<Vec<Vec<u8>>, StorageError> {
    Ok(conn
        .prepare_cached(
            "SELECT bytes FROM sync_changes WHERE record_rowid = ?1 AND seq > ?2 ORDER BY seq",
        )?
        .query_map(params![e.rowid, e.snapshot_seq], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

pub(super) fn insert_record(
    tx: &Transaction<'_>,
    id: &[u8; 16],
    r: &Record,
) -> Result<i64, StorageError> {
    tx.prepare_cached(
        "INSERT INTO sync_records (id, grid_id, kind, created_by, heads, occurred_at, updated_at, last_seq)
         VALUES (?1, ?2, ?3, ?4, x'', ?5, ?6, 0)",
    )?
    .execute(params![
        id.as_slice(),
        r.meta.grid_id.as_str(),
        r.kind().as_str(),
        r.meta.created_by,
        r.body.occurred_at().millis(),
        r.meta.updated_at.millis()
    ])?;
    let rowid = tx.last_insert_rowid();
    tx.prepare_cached("INSERT OR IGNORE INTO sync_grids (grid_id) VALUES (?1)")?
        .execute([r.meta.grid_id.as_str()])?;
    Ok(rowid)
}

/// Reads a record's current document (for admin export and tests).
pub fn load_record_doc(
    conn: &Connection,
    id: &[u8; 16],
) -> Result<Option<AutoCommit>, StorageError> {
    let row: Option<(i64, Option<Vec<u8>>, i64)> = conn
        .query_row(
            "SELECT rowid, snapshot, snapshot_seq FROM sync_records WHERE id = ?1",
            [id.as_slice()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((rowid, snapshot, snapshot_seq)) = row else {
        return Ok(None);
    };
    let tail: Vec<Vec<u8>> = conn
        .prepare_cached(
            "SELECT bytes FROM sync_changes WHERE record_rowid = ?1 AND seq > ?2 ORDER BY seq",
        )?
        .query_map(params![rowid, snapshot_seq], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    load(snapshot.as_deref(), &tail)
        .map(Some)
        .map_err(|e| StorageError::Corrupt(e.to_string()))
}

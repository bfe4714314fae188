//! The lock-free half of a push. Loading, reading and checking a record costs several times more
//! CPU than storing it, so each record is decided here, before the writer lock, on as many cores
//! as there are requests (a large batch is also split over the cores). An accepted record's
//! projection is derived here too (`push::Derived`). Under the lock, `commit_planned` /
//! `plan_edit::commit_edit` only confirm that the plan still holds and write; the plans are
//! borrowed there and freed after the lock is released.
//!
//! Two shapes are planned: a record pushed as a single document chunk (protocol v2: what a device
//! sends for a record the server has never acknowledged) that holds exactly one change in
//! automerge's canonical encoding, decided as a *new* record; and changes to a record the server
//! holds (`plan_edit.rs`), decided against its stored version read from a read snapshot. The rest
//! (held changes, retries, several document chunks) is `Plan::Locked` and goes to `push_one`.
//!
//! Invariants: a plan is only a proposal. Under the lock it is used only if the database is
//! still as it was planned against (a new record still unknown, an edited record's heads still
//! the basis, nothing held for it, none of its changes logged since); otherwise the record takes
//! the general path, which decides it from scratch. So the outcome is the one `push_one` alone
//! would give: both call the same `authorize` (on the merged document and its new changes in
//! dependency order, so the workflow check sees what the general path sees) and, for a stored
//! record, the same `may_reach` before anything else; check the actor's device first; and give
//! the re-encoding guarantee (`round_trips`, or `sole_change` for a document chunk).

use automerge::ChangeHash;
use gridmate_domain::document::limits::{HistoryLimits, HistorySize, ops_of};
use gridmate_domain::document::{is_document_chunk, read_record};
use gridmate_domain::wire::{PushDoc, PushOutcome};
use gridmate_domain::workflow::verify::NewChange;
use gridmate_domain::{Record, RecordId, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction};

use super::authorize::{Pushed, authorize};
use super::doc::{load_document, sole_change};
use super::held::HeldLimits;
use super::plan_edit::{EditInput, EditPlan, PlannedEdit, plan_edit};
use super::push::{
    ActorCache, Derived, LogRow, Pusher, Stored, insert_record, load_existing, log_change,
    push_one, tail_of, update_record,
};
use super::refusal;
use crate::storage::StorageError;

/// How a pushed record will be decided under the writer lock.
#[derive(Debug)]
pub enum Plan {
    /// Decided under the lock from scratch (`push_one`).
    Locked(PushDoc),
    /// Decided here as a new record; confirmed under the lock.
    NewDocument(Box<Planned>),
    /// Decided here as an edit of the stored record; confirmed under the lock.
    Edit(Box<PlannedEdit>),
}

impl Plan {
    pub fn record_id(&self) -> [u8; 16] {
        match self {
            Self::Locked(d) => d.record_id,
            Self::NewDocument(p) => p.doc.record_id,
            Self::Edit(p) => p.record_id(),
        }
    }
}

/// A pushed record with what planning needs from the database, read beforehand.
#[derive(Debug)]
enum Input {
    NewDocument(PushDoc),
    Edit(Box<EditInput>),
    Locked(PushDoc),
}

#[derive(Debug)]
pub struct Planned {
    /// As received: the general path starts from it when the plan no longer holds.
    doc: PushDoc,
    /// The document's one change.
    hash: ChangeHash,
    actor: Vec<u8>,
    decision: Decision,
}

#[derive(Debug)]
enum Decision {
    Accept(Box<(Record, Derived)>),
    Reject(PushOutcome),
}

/// Plans every record of a batch: first reads what each needs from `conn` (a read snapshot; no
/// lock), then does the CPU work, splitting a large batch over the machine's cores.
pub fn plan_all(
    conn: &Connection,
    who: &Pusher,
    docs: Vec<PushDoc>,
    now: Timestamp,
) -> Result<Vec<Plan>, StorageError> {
    let tx = conn.unchecked_transaction()?;
    let inputs = docs
        .into_iter()
        .map(|d| classify(&tx, d))
        .collect::<Result<Vec<Input>, StorageError>>()?;
    tx.finish()?;
    Ok(plan_inputs(who, inputs, now))
}

/// What a pushed record needs for planning.
fn classify(conn: &Connection, d: PushDoc) -> Result<Input, StorageError> {
    if let [only] = d.changes.as_slice()
        && is_document_chunk(&only.0)
    {
        return Ok(Input::NewDocument(d));
    }
    match load_existing(conn, &d.record_id)? {
        Some(existing) if !has_held(conn, &d.record_id)? => {
            let tail = tail_of(conn, &existing)?;
            let stored_bytes = super::limits::stored_bytes(conn, existing.rowid)?;
            Ok(Input::Edit(Box::new(EditInput {
                doc: d,
                existing,
                tail,
                stored_bytes,
            })))
        }
        _ => Ok(Input::Locked(d)),
    }
}

fn plan_one(who: &Pusher, input: Input, at: Timestamp) -> Plan {
    match input {
        Input::NewDocument(d) => plan(who, d, at),
        Input::Edit(e) => match plan_edit(who, *e, at) {
            EditPlan::Planned(p) => Plan::Edit(p),
            EditPlan::Locked(d) => Plan::Locked(d),
        },
        Input::Locked(d) => Plan::Locked(d),
    }
}

fn plan_inputs(who: &Pusher, docs: Vec<Input>, at: Timestamp) -> Vec<Plan> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4);
    if threads < 2 || docs.len() < 64 {
        return docs.into_iter().map(|d| plan_one(who, d, at)).collect();
    }
    let chunk = docs.len().div_ceil(threads);
    let mut parts: Vec<Vec<Input>> = Vec::new();
    let mut it = docs.into_iter();
    loop {
        let part: Vec<Input> = it.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let plan_part = |part: Vec<Input>| {
        part.into_iter()
            .map(|d| plan_one(who, d, at))
            .collect::<Vec<Plan>>()
    };
    let mut parts = parts.into_iter();
    let first = parts.next().unwrap_or_default();
    std::thread::scope(|s| {
        let handles: Vec<_> = parts.map(|part| s.spawn(move || plan_part(part))).collect();
        // The first part is planned on this thread: the request's thread later frees the plans,
        // and memory freed by the thread that allocated it costs jemalloc far less.
        let mut plans = plan_part(first);
        // `plan` catches automerge's panics itself; a worker can only die of a bug of ours,
        // and then the request fails as a whole (500), storing nothing.
        for h in handles {
            plans.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        plans
    })
}

/// Plans one record (pure CPU: no database).
fn plan(who: &Pusher, d: PushDoc, now: Timestamp) -> Plan {
    let [only] = d.changes.as_slice() else {
        return Plan::Locked(d);
    };
    if !is_document_chunk(&only.0) {
        return Plan::Locked(d);
    }
    let Some(mut doc) = load_document(&only.0) else {
        return Plan::Locked(d); // the general path refuses it with its code and field
    };
    let Some((hash, actor)) = sole_change(&mut doc, &only.0) else {
        return Plan::Locked(d);
    };
    let record_id = RecordId::from_uuid(uuid::Uuid::from_bytes(d.record_id));
    // The record's one change: it depends on nothing.
    let fresh = [NewChange {
        hash,
        deps: Vec::new(),
    }];
    // The history is the one change, logged as it came (the chunk's bytes), checked where
    // `push_one` checks it: after applying, before reading the record.
    let history = HistorySize {
        bytes: only.0.len() as u64,
        ops: ops_of(&mut doc),
    };
    let decision = match (HistoryLimits::default().check(history), read_record(&doc)) {
        (Err(too_large), _) => Decision::Reject(refusal::rule(&too_large)),
        (Ok(()), Err(e)) => Decision::Reject(refusal::schema_mismatch(&e)),
        (Ok(()), Ok(record)) => {
            let pushed = Pushed {
                id: &record_id,
                old: None,
                new: &record,
                doc: &doc,
                fresh: &fresh,
            };
            match authorize(who, &pushed, now) {
                Some(refused) => Decision::Reject(refused),
                None => {
                    let derived = Derived::of(&record);
                    Decision::Accept(Box::new((record, derived)))
                }
            }
        }
    };
    Plan::NewDocument(Box::new(Planned {
        doc: d,
        hash,
        actor,
        decision,
    }))
}

/// Confirms a plan under the writer lock and stores it, or hands the record to the general path.
pub(super) fn commit_planned(
    tx: &Transaction<'_>,
    who: &Pusher,
    p: &Planned,
    (limits, now): (&HeldLimits, Timestamp),
    actors: &mut ActorCache,
    logged: &mut Vec<i64>,
) -> Result<PushOutcome, StorageError> {
    let Planned {
        doc,
        hash,
        actor,
        decision,
    } = p;
    let id = doc.record_id;
    let still_new =
        load_existing(tx, &id)?.is_none() && !has_held(tx, &id)? && !is_logged(tx, hash)?;
    if !still_new {
        return push_one(tx, who, doc, (limits, now), actors, logged);
    }
    // In `push_one`'s order: the actor's device first, then the record's own verdict.
    let unbound = match actors.unbound(tx, who, vec![actor.clone()])? {
        Ok(unbound) => unbound,
        Err(conflict) => return Ok(conflict),
    };
    let (record, derived) = match decision {
        Decision::Reject(outcome) => return Ok(outcome.clone()),
        Decision::Accept(accepted) => (&accepted.0, &accepted.1),
    };
    for a in unbound {
        actors.bind(tx, a, who, now)?;
    }
    let rowid = insert_record(tx, &id, record)?;
    let row = LogRow {
        hash: *hash,
        actor,
        bytes: &doc.changes[0].0,
    };
    let seq = log_change(tx, who, rowid, record, &row, now)?;
    logged.push(seq);
    let stored = Stored {
        heads: &[*hash],
        snapshot: None,
        snapshot_seq: 0,
        tail: 1,
        last_seq: seq,
    };
    update_record(tx, rowid, record, derived, &stored)?;
    Ok(PushOutcome::Accepted {
        heads: vec![hash.0],
    })
}

pub(super) fn has_held(tx: &Connection, id: &[u8; 16]) -> Result<bool, StorageError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM sync_held WHERE record_id = ?1 LIMIT 1")?
        .query_row([id.as_slice()], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(super) fn is_logged(tx: &Connection, hash: &ChangeHash) -> Result<bool, StorageError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM sync_changes WHERE hash = ?1")?
        .query_row([hash.0.as_slice()], |_| Ok(()))
        .optional()?
        .is_some())
}

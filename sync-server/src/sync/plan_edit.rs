//! Planning an edit of a record the server holds, before the writer lock (see `plan.rs`).
//!
//! The record's stored document (snapshot plus tail) is read beforehand from a read snapshot; here
//! it is loaded, the pusher's reach checked (`authorize::may_reach`: its areas, or a dispute it
//! handles), the new changes applied, and the result read, validated and authorized against the
//! stored version, exactly as `push::push_one` does. The plan names its *basis* (the
//! stored heads it was decided against): under the lock it is used only if the record's heads
//! are still the basis, nothing is held for it and none of its changes has been logged since;
//! otherwise `push_one` decides from scratch.

use automerge::{Change, ChangeHash};
use gridmate_domain::document::{guarded, holds_all, is_document_chunk, read_record};
use gridmate_domain::wire::{PushDoc, PushOutcome};
use gridmate_domain::{Record, RecordId, Timestamp};
use rusqlite::Transaction;

use super::authorize::{Pushed, authorize, may_reach, new_changes};
use super::doc::{decode_change, load, round_trips};
use super::held::HeldLimits;
use super::push::{
    ActorCache, Derived, Existing, LogRow, Pusher, SNAPSHOT_AFTER, Stored, dependency_order,
    load_existing, log_change, push_one, update_record,
};
use super::{limits, refusal};
use crate::storage::StorageError;

/// An edit as read before planning: the push, the stored record and its changes after the snapshot.
#[derive(Debug)]
pub(super) struct EditInput {
    pub doc: PushDoc,
    pub existing: Existing,
    pub tail: Vec<Vec<u8>>,
    /// The bytes of the record's logged changes (its history on the server).
    pub stored_bytes: u64,
}

#[derive(Debug)]
pub struct PlannedEdit {
    /// As received, for `push_one` when the plan no longer holds.
    doc: PushDoc,
    /// The stored heads the plan was decided against.
    basis: Vec<u8>,
    /// The actors of the new changes: checked first under the lock, as `push_one` does.
    actors: Vec<Vec<u8>>,
    decision: EditDecision,
}

impl PlannedEdit {
    pub fn record_id(&self) -> [u8; 16] {
        self.doc.record_id
    }
}

#[derive(Debug)]
enum EditDecision {
    Accept {
        record: Box<Record>,
        derived: Box<Derived>,
        /// The new changes, in dependency order.
        changes: Vec<Change>,
        heads: Vec<ChangeHash>,
        /// A fresh snapshot when the tail grew past `SNAPSHOT_AFTER`.
        snapshot: Option<Vec<u8>>,
    },
    Reject(PushOutcome),
}

/// What planning an edit came to: a plan, or "decide it under the lock".
#[derive(Debug)]
pub(super) enum EditPlan {
    Planned(Box<PlannedEdit>),
    Locked(PushDoc),
}

/// Plans one edit (pure CPU: no database).
pub(super) fn plan_edit(who: &Pusher, input: EditInput, now: Timestamp) -> EditPlan {
    let EditInput {
        doc: d,
        existing,
        tail,
        stored_bytes,
    } = input;
    let planned = |actors, decision| {
        EditPlan::Planned(Box::new(PlannedEdit {
            basis: existing.heads.clone(),
            doc: d.clone(),
            actors,
            decision,
        }))
    };
    let Ok(mut doc) = load(existing.snapshot.as_deref(), &tail) else {
        return EditPlan::Locked(d); // unreadable stored copy: `push_one` reports it
    };
    let Ok(old) = read_record(&doc) else {
        return EditPlan::Locked(d);
    };
    // As `push_one` does first: outside the pusher's areas only a dispute's handler gets further.
    if !may_reach(who, &old) {
        let refused = refusal::record_out_of_scope();
        return planned(Vec::new(), EditDecision::Reject(refused));
    }
    let mut fresh: Vec<Change> = Vec::new();
    for (i, raw) in d.changes.iter().enumerate() {
        if is_document_chunk(&raw.0) {
            return EditPlan::Locked(d); // a whole history for a known record: rare, general path
        }
        let Some(c) = decode_change(&raw.0) else {
            let refused = refusal::undecodable(i);
            return planned(Vec::new(), EditDecision::Reject(refused));
        };
        if !holds_all(&mut doc, &[c.hash()]) && !fresh.iter().any(|f| f.hash() == c.hash()) {
            fresh.push(c);
        }
    }
    if fresh.is_empty() {
        return EditPlan::Locked(d); // a retry: `push_one` answers with the heads, writing nothing
    }
    let mut actors: Vec<Vec<u8>> = Vec::new();
    for c in &fresh {
        let a = c.actor_id().to_bytes().to_vec();
        if !actors.contains(&a) {
            actors.push(a);
        }
    }
    let stored = limits::stored_size(&mut doc, stored_bytes);
    let before = doc.get_heads();
    if guarded::apply_changes(&mut doc, fresh.clone()).is_err() {
        let refused = refusal::unappliable();
        return planned(actors, EditDecision::Reject(refused));
    }
    if let Some(refused) = limits::history_refusal(stored, &fresh) {
        return planned(actors, EditDecision::Reject(refused));
    }
    if !doc.get_missing_deps(&[]).is_empty() {
        return EditPlan::Locked(d); // held: `push_one` stores them
    }
    let new = match read_record(&doc) {
        Ok(r) => r,
        Err(e) => {
            let refused = refusal::schema_mismatch(&e);
            return planned(actors, EditDecision::Reject(refused));
        }
    };
    let record_id = RecordId::from_uuid(uuid::Uuid::from_bytes(d.record_id));
    let changes = dependency_order(fresh);
    let pushed = Pushed {
        id: &record_id,
        old: Some(&old),
        new: &new,
        doc: &doc,
        fresh: &new_changes(&changes),
    };
    if let Some(refused) = authorize(who, &pushed, now) {
        return planned(actors, EditDecision::Reject(refused));
    }
    if !round_trips(&mut doc, &before, &changes) {
        let refused = refusal::unencodable();
        return planned(actors, EditDecision::Reject(refused));
    }
    let snapshot =
        (existing.tail_changes + changes.len() as i64 > SNAPSHOT_AFTER).then(|| doc.save());
    let decision = EditDecision::Accept {
        derived: Box::new(Derived::of(&new)),
        record: Box::new(new),
        changes,
        heads: doc.get_heads(),
        snapshot,
    };
    planned(actors, decision)
}

/// Confirms a planned edit under the writer lock and stores it, or hands it to `push_one`.
pub(super) fn commit_edit(
    tx: &Transaction<'_>,
    who: &Pusher,
    p: &PlannedEdit,
    (limits, now): (&HeldLimits, Timestamp),
    actors: &mut ActorCache,
    logged: &mut Vec<i64>,
) -> Result<PushOutcome, StorageError> {
    let PlannedEdit {
        doc,
        basis,
        actors: plan_actors,
        decision,
    } = p;
    let Some(current) = load_existing(tx, &doc.record_id)? else {
        return push_one(tx, who, doc, (limits, now), actors, logged);
    };
    let fresh_logged = match &decision {
        EditDecision::Accept { changes, .. } => changes
            .iter()
            .map(|c| super::plan::is_logged(tx, &c.hash()))
            .collect::<Result<Vec<bool>, _>>()?
            .contains(&true),
        EditDecision::Reject(_) => false,
    };
    if current.heads != *basis || super::plan::has_held(tx, &doc.record_id)? || fresh_logged {
        return push_one(tx, who, doc, (limits, now), actors, logged);
    }
    let unbound = match actors.unbound(tx, who, plan_actors.clone())? {
        Ok(unbound) => unbound,
        Err(conflict) => return Ok(conflict),
    };
    let (record, derived, changes, heads, snapshot) = match decision {
        EditDecision::Reject(outcome) => return Ok(outcome.clone()),
        EditDecision::Accept {
            record,
            derived,
            changes,
            heads,
            snapshot,
        } => (record, derived, changes, heads, snapshot),
    };
    let mut last_seq = 0;
    for c in changes {
        let row = LogRow {
            hash: c.hash(),
            actor: c.actor_id().to_bytes(),
            bytes: c.raw_bytes(),
        };
        last_seq = log_change(tx, who, current.rowid, record, &row, now)?;
        logged.push(last_seq);
    }
    for actor in unbound {
        actors.bind(tx, actor, who, now)?;
    }
    let tail = current.tail_changes + changes.len() as i64;
    let stored = match &snapshot {
        Some(s) => Stored {
            heads,
            snapshot: Some(s),
            snapshot_seq: last_seq,
            tail: 0,
            last_seq,
        },
        None => Stored {
            heads,
            snapshot: current.snapshot.as_deref(),
            snapshot_seq: current.snapshot_seq,
            tail,
            last_seq,
        },
    };
    update_record(tx, current.rowid, record, derived, &stored)?;
    Ok(PushOutcome::Accepted {
        heads: heads.iter().map(|h| h.0).collect(),
    })
}

//! The checks of a pushed record beyond its own rules: the id, scope, the creator, immutable
//! fields, and for a dispute the closed loop. Every workflow event a push adds is judged by the
//! role table against what its author had seen (`workflow::verify::check_new_events`), as the
//! signed-in user in their role; deleting and restoring a dispute are role-bound
//! (`workflow::may_delete`, judged likewise on the dispute as the pusher saw it); and the current assignee or a former handler of a dispute outside
//! the pusher's areas may add events to it and change nothing else.
//!
//! Invariant: `push::push_one`, `plan::plan` and `plan_edit::plan_edit` decide with these same
//! functions (`may_reach` before anything of a stored record is read or held, `authorize` on the
//! merged result), so a plan and the general path refuse a record with the same code, field and
//! words (see `plan.rs`).

use std::collections::HashSet;

use automerge::{AutoCommit, Change, ChangeHash};
use gridmate_domain::document::read_events;
use gridmate_domain::validate::{validate_new, validate_update};
use gridmate_domain::wire::PushOutcome;
use gridmate_domain::workflow::verify::{NewChange, check_new_events};
use gridmate_domain::workflow::{Actor, may_delete};
use gridmate_domain::{Dispute, FieldError, Record, RecordBody, RecordId, Timestamp};

use super::push::Pusher;
use super::refusal;

/// A pushed record after its new changes were applied.
pub(super) struct Pushed<'a> {
    pub id: &'a RecordId,
    /// The stored version; `None` for a new record.
    pub old: Option<&'a Record>,
    pub new: &'a Record,
    /// The document holding the stored and the new changes.
    pub doc: &'a AutoCommit,
    /// The new changes, in dependency order.
    pub fresh: &'a [NewChange],
}

/// The new changes as the workflow check takes them (same order).
pub(super) fn new_changes(changes: &[Change]) -> Vec<NewChange> {
    changes
        .iter()
        .map(|c| NewChange {
            hash: c.hash(),
            deps: c.deps().to_vec(),
        })
        .collect()
}

/// Whether `who` may push to the stored record `old` at all: it lies in their areas, or it is a
/// dispute whose current assignee (by its stored events) or former handler they are.
pub(super) fn may_reach(who: &Pusher, old: &Record) -> bool {
    if who.scope.covers(&old.meta.grid_id) {
        return true;
    }
    let RecordBody::Dispute(d) = &old.body else {
        return false;
    };
    let state = d.view().state;
    state.is_assignee(&who.user_name, who.unit.as_deref())
        || state.handlers.contains(&who.user_name)
}

/// The refusal of a pushed record, if any.
pub(super) fn authorize(who: &Pusher, p: &Pushed<'_>, now: Timestamp) -> Option<PushOutcome> {
    if p.new.meta.id != *p.id {
        return Some(refusal::reject(
            "id_mismatch",
            "id",
            "记录编号与文档不符",
            "the document holds another record's id",
        ));
    }
    let in_scope = who.scope.covers(&p.new.meta.grid_id);
    if !in_scope {
        match p.old {
            Some(old) if may_reach(who, old) && adds_events_only(old, p.new) => {}
            Some(_) => return Some(refusal::record_out_of_scope()),
            None => {
                return Some(refusal::reject(
                    "out_of_scope",
                    "grid_id",
                    "该网格不在您的范围内",
                    "this grid is outside your scope",
                ));
            }
        }
    }
    let checked = match p.old {
        Some(old) => validate_update(old, p.new, now),
        None => {
            if p.new.meta.created_by != who.user_name {
                return Some(refusal::reject(
                    "creator_mismatch",
                    "created_by",
                    "创建人必须是当前登录用户",
                    "created_by must be the signed-in user",
                ));
            }
            validate_new(p.new, now)
        }
    };
    if let Err(errors) = checked {
        return errors.0.first().map(refusal::rule);
    }
    let actor = Actor {
        user: &who.user_name,
        role: who.role,
        unit: who.unit.as_deref(),
        in_scope,
    };
    dispute(&actor, p, now).err().map(|e| refusal::rule(&e))
}

/// A dispute's own checks: the delete rule, then every event the push adds.
fn dispute(actor: &Actor<'_>, p: &Pushed<'_>, now: Timestamp) -> Result<(), FieldError> {
    let RecordBody::Dispute(new) = &p.new.body else {
        return Ok(());
    };
    let old_events = match p.old.map(|o| &o.body) {
        Some(RecordBody::Dispute(o)) => o.workflow.as_slice(),
        _ => &[],
    };
    let deleted_before = p.old.and_then(|o| o.meta.deleted_at);
    if p.new.meta.deleted_at != deleted_before {
        let restore = p.new.meta.deleted_at.is_none();
        may_delete(actor, &as_seen(p, new), &p.new.meta.created_by, restore)?;
    }
    let adds = new.workflow.len() != old_events.len()
        || new.workflow.iter().any(|e| !old_events.contains(e));
    if adds {
        check_new_events(p.doc, new.initial_status, p.fresh, actor, now)
            .map_err(|errors| errors.into_iter().next().unwrap_or_else(unexplained))?;
    }
    Ok(())
}

/// The dispute as the pusher saw it before its new changes (the document at their dependencies
/// outside the push), as the workflow's events are judged: a reporter who deleted a dispute
/// offline while nobody had acted on it did nothing wrong, whatever arrived at the server since.
/// A new record's own first change has no such view: the record as pushed is judged.
fn as_seen(p: &Pushed<'_>, new: &Dispute) -> Dispute {
    let own: HashSet<ChangeHash> = p.fresh.iter().map(|c| c.hash).collect();
    let mut base: Vec<ChangeHash> = Vec::new();
    for d in p.fresh.iter().flat_map(|c| &c.deps) {
        if !own.contains(d) && !base.contains(d) {
            base.push(*d);
        }
    }
    let mut seen = new.clone();
    if !base.is_empty() {
        // The events read now, so they read at earlier heads too; should they not, the
        // events as pushed are judged (never fewer than the pusher saw: the list only grows).
        seen.workflow = read_events(p.doc, Some(&base)).unwrap_or_else(|_| new.workflow.clone());
        seen.refresh_status();
    }
    seen
}

/// Whether `new` differs from `old` only by added workflow events (and what they derive: the
/// status, the time of the save).
fn adds_events_only(old: &Record, new: &Record) -> bool {
    let mut n = new.clone();
    n.meta.updated_at = old.meta.updated_at;
    if let (RecordBody::Dispute(o), RecordBody::Dispute(d)) = (&old.body, &mut n.body) {
        if !o.workflow.iter().all(|e| d.workflow.contains(e)) {
            return false;
        }
        d.workflow.clone_from(&o.workflow);
        d.status = o.status;
    }
    n == *old
}

/// A refusal without errors cannot happen; should it, the record is still refused.
fn unexplained() -> FieldError {
    FieldError::new(
        gridmate_domain::ErrorCode::ForbiddenAction,
        "workflow",
        "流程事件未通过检查",
        "a workflow event did not pass the check",
    )
}

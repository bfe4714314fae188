//! The server's check of the workflow events a push adds (and the device's, before it sends them).
//!
//! Each new change is judged against what its author had seen: the document at the change's
//! dependencies. Every event the change adds must name the pusher as its author and be allowed,
//! by the role table, from the state the events before it (in the author's view) derive. A forged
//! event (a volunteer's `resolve` on a dispute nobody assigned to them, an `evaluate` written in
//! someone else's name) is refused; an event that was allowed where its author stood and only
//! conflicts after the merge is accepted, and the fold flags it. Refusals are field errors with
//! paths under `workflow[i]`.

use automerge::{ChangeHash, ReadDoc};

use super::table::{Actor, permitted};
use super::{WorkflowEvent, check_event, derive};
use crate::document::read_events;
use crate::enums::DisputeStatus;
use crate::error::{ErrorCode, FieldError};
use crate::time::Timestamp;

/// One new change: its hash and its dependencies.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub hash: ChangeHash,
    pub deps: Vec<ChangeHash>,
}

/// Checks every event the changes `fresh` add to `doc` (which holds them), by `actor`. `initial`
/// is the status the dispute's document started in.
pub fn check_new_events<D: ReadDoc>(
    doc: &D,
    initial: DisputeStatus,
    fresh: &[NewChange],
    actor: &Actor<'_>,
    now: Timestamp,
) -> Result<(), Vec<FieldError>> {
    for c in fresh {
        let before = read_events(doc, Some(&c.deps)).map_err(schema)?;
        let after = read_events(doc, Some(std::slice::from_ref(&c.hash))).map_err(schema)?;
        for (i, ev) in after.iter().enumerate() {
            if before.iter().any(|b| b.id == ev.id) {
                continue;
            }
            check_one(ev, i, &after[..i], initial, actor, now)?;
        }
    }
    Ok(())
}

/// Checks one new event at index `i` of its author's view, after `prior`.
pub fn check_one(
    ev: &WorkflowEvent,
    i: usize,
    prior: &[WorkflowEvent],
    initial: DisputeStatus,
    actor: &Actor<'_>,
    now: Timestamp,
) -> Result<(), Vec<FieldError>> {
    let at = |errors: Vec<FieldError>| -> Vec<FieldError> {
        errors
            .into_iter()
            .map(|mut f| {
                f.field = format!("workflow[{i}].{}", f.field);
                f
            })
            .collect()
    };
    if ev.by != actor.user || ev.role != actor.role || ev.by_unit.as_deref() != actor.unit {
        return Err(at(vec![FieldError::new(
            ErrorCode::ForbiddenAction,
            "by",
            "操作人必须是当前登录用户",
            "an event must name the signed-in user, role and unit as its author",
        )]));
    }
    if prior.iter().any(|p| p.id == ev.id) {
        return Err(at(vec![FieldError::new(
            ErrorCode::DuplicateEvent,
            "id",
            "事件编号重复",
            "another event already has this id",
        )]));
    }
    let errors = check_event(ev, now);
    if !errors.is_empty() {
        return Err(at(errors));
    }
    let state = derive(initial, prior).state;
    permitted(actor, &state, ev.action, &ev.details).map_err(|d| at(d.errors(ev.action)))
}

/// Checks that `new` keeps every event of `old` unchanged: events are never edited or removed.
pub fn check_append_only(old: &[WorkflowEvent], new: &[WorkflowEvent]) -> Result<(), FieldError> {
    for (i, o) in old.iter().enumerate() {
        if !new.iter().any(|n| n == o) {
            return Err(FieldError::new(
                ErrorCode::ImmutableField,
                format!("workflow[{i}]"),
                "已记录的流程事件不能修改或删除",
                "a recorded workflow event cannot be changed or removed",
            ));
        }
    }
    Ok(())
}

fn schema(e: crate::document::SchemaError) -> Vec<FieldError> {
    vec![FieldError::new(
        ErrorCode::InvalidValue,
        e.field(),
        format!("流程事件不符合格式：{e}"),
        e.to_string(),
    )]
}

//! A workflow action and a field edit on a dispute, as a dispatcher in the console: the event is
//! built by the same domain function the device uses (`workflow::prepare_event`), the edit by the
//! same merge patch (`input::apply_patch`), both validated as a phone's save is
//! (`validate::validate_update`) and logged by `commit::log_change` in the caller's transaction.
//!
//! Invariants: the dispute is read inside the transaction, so the action is judged against its
//! state now; what the event points at (the dispute it duplicates, the assignee) must exist, the
//! duplicate in the user's areas; a refusal writes nothing.

use gridmate_domain::document::ChangeOp;
use gridmate_domain::input::apply_patch;
use gridmate_domain::validate::validate_update;
use gridmate_domain::workflow::{
    self, ActionRequest, Actor, Denial, EventDetails, WorkflowEvent, with_event,
};
use gridmate_domain::{DisputeStatus, Localized, Record, RecordBody, RecordId, WorkflowAction};
use rusqlite::Transaction;
use serde::Serialize;

use super::commit::{Ctx, invalid, load_dispute, log_change};
use super::store::{assignable_user, unit_exists};
use crate::error::ApiError;

/// The answer to an action: the dispute's status after it, and the event appended.
#[derive(Debug, Serialize)]
pub struct ActAnswer {
    pub id: RecordId,
    pub status: DisputeStatus,
    pub event: WorkflowEvent,
}

/// The answer to an edit: the dispute's status and editable fields after it, and whether
/// anything changed (a patch that changes nothing writes nothing).
#[derive(Debug, Serialize)]
pub struct EditAnswer {
    pub id: RecordId,
    pub status: DisputeStatus,
    pub changed: bool,
    pub dispute_category: gridmate_domain::DisputeCategory,
    pub risk_level: gridmate_domain::RiskLevel,
    pub summary: String,
    pub address: Option<String>,
}

/// Takes `req` on dispute `id` as the console user.
pub(super) fn act(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    id: RecordId,
    req: ActionRequest,
) -> Result<ActAnswer, ApiError> {
    let (mut doc, old) = load_dispute(tx, ctx, id)?;
    check_references(tx, ctx, id, &req.details)?;
    let action = req.action;
    let new = append(ctx, &old, req)?;
    validate_update(&old, &new, ctx.now).map_err(|e| first(&e.0))?;
    log_change(tx, ctx, &mut doc, (Some(&old), &new), ChangeOp::Act)?;
    let RecordBody::Dispute(d) = &new.body else {
        return Err(ApiError::internal("a dispute became another kind"));
    };
    let event = d
        .workflow
        .last()
        .cloned()
        .ok_or_else(|| ApiError::internal("the appended event is missing"))?;
    debug_assert_eq!(event.action, action);
    Ok(ActAnswer {
        id,
        status: d.status,
        event,
    })
}

/// `record` with the event the console user asks for, or the refusal.
pub(super) fn append(ctx: &Ctx, record: &Record, req: ActionRequest) -> Result<Record, ApiError> {
    let RecordBody::Dispute(d) = &record.body else {
        return Err(ApiError::NotFound);
    };
    let actor = Actor {
        user: &ctx.who.user_name,
        role: ctx.who.role,
        unit: ctx.who.unit.as_deref(),
        in_scope: ctx.who.scope.covers(&record.meta.grid_id),
    };
    let action = req.action;
    let event = workflow::prepare_event(&actor, d, req, ctx.now).map_err(|d| denied(&d, action))?;
    Ok(with_event(record, event, ctx.now))
}

/// Applies the merge patch `patch` (already limited to the editable fields) to dispute `id`.
pub(super) fn edit(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    id: RecordId,
    patch: &serde_json::Value,
) -> Result<EditAnswer, ApiError> {
    let (mut doc, old) = load_dispute(tx, ctx, id)?;
    let mut new = apply_patch(&old, patch).map_err(|e| first(&e.0))?;
    let changed = new != old;
    if changed {
        new.meta.updated_at = ctx.now.max(old.meta.updated_at);
        validate_update(&old, &new, ctx.now).map_err(|e| first(&e.0))?;
        log_change(tx, ctx, &mut doc, (Some(&old), &new), ChangeOp::Edit)?;
    }
    let RecordBody::Dispute(d) = new.body else {
        return Err(ApiError::NotFound);
    };
    Ok(EditAnswer {
        id,
        status: d.status,
        changed,
        dispute_category: d.dispute_category,
        risk_level: d.risk_level,
        summary: d.summary,
        address: d.address,
    })
}

/// What the details point at must exist: the dispute this one duplicates (another dispute of the
/// user's areas), the assignee (an enabled account that is not an admin), the unit.
fn check_references(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    id: RecordId,
    d: &EventDetails,
) -> Result<(), ApiError> {
    if let Some(dup) = d.duplicate_of {
        let found = dup != id && load_dispute(tx, ctx, dup).is_ok();
        if !found {
            return Err(ApiError::invalid(
                "not_found",
                "details.duplicate_of",
                "在您的辖区内找不到被重复的纠纷",
                "the dispute this one duplicates was not found in your areas",
            ));
        }
    }
    if let Some(u) = &d.assignee_user
        && workflow::is_user_name(u)
        && !assignable_user(tx, u)?
    {
        return Err(ApiError::invalid(
            "not_found",
            "details.assignee_user",
            "找不到该承办人账号",
            "no such handler account",
        ));
    }
    if let Some(u) = &d.assignee_unit
        && gridmate_domain::GridId::parse(u).is_some()
        && !unit_exists(tx, u)?
    {
        return Err(ApiError::invalid(
            "not_found",
            "details.assignee_unit",
            "找不到该承办单位",
            "no such unit",
        ));
    }
    Ok(())
}

/// A denial of the role table: the details' own errors are 400; the dispute's state or who is
/// asking, 409 with the workflow's code (`invalid_status`, `forbidden_action`).
fn denied(d: &Denial, action: WorkflowAction) -> ApiError {
    let errors = d.errors(action);
    match d {
        Denial::Details(_) => first(&errors),
        Denial::State { .. } | Denial::Role | Denial::NotAssignee => match errors.first() {
            Some(e) => ApiError::ActionRefused {
                code: e.code.as_str(),
                field: e.field.clone(),
                message: Localized {
                    zh_cn: e.message.zh_cn.clone(),
                    en: e.message.en.clone(),
                },
            },
            None => ApiError::internal("a denial without errors"),
        },
    }
}

/// The first of the domain's field errors as the answer.
pub(super) fn first(errors: &[gridmate_domain::FieldError]) -> ApiError {
    errors
        .first()
        .map(invalid)
        .unwrap_or_else(|| ApiError::internal("a refusal without errors"))
}

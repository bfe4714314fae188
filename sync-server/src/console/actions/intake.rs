//! The hotline (12345) form: a dispute phoned in, created in the console as a new record by the
//! dispatcher's console actor, and accepted at once when the form says so.
//!
//! Invariants: the form is parsed and validated by the device's own functions
//! (`input::parse_draft`, `validate::validate_new`), with `kind` dispute and `source`
//! hotline_12345 set here; the grid must be in the user's areas; a `request_id` the user already
//! sent answers the dispute it created, writing nothing (a double click, a retried POST); the
//! record, its accept event and the request are written in one transaction.

use automerge::AutoCommit;
use gridmate_domain::document::{ChangeOp, read_record};
use gridmate_domain::input::{RecordDraft, parse_draft};
use gridmate_domain::validate::{validate_new, validate_update};
use gridmate_domain::workflow::{ActionRequest, EventDetails};
use gridmate_domain::{DisputeStatus, RecordBody, RecordId, WorkflowAction};
use rusqlite::Transaction;
use serde::Serialize;
use serde_json::Value;

use super::act::{append, first};
use super::commit::{Ctx, log_change};
use super::store::{intake_of, remember_intake};
use crate::error::ApiError;
use crate::storage::StorageError;
use crate::sync::push::load_record_doc;

/// The form, parsed.
#[derive(Debug)]
pub struct IntakeForm {
    pub request_id: uuid::Uuid,
    pub accept: bool,
    pub draft: RecordDraft,
}

/// The answer: the dispute, its status, and whether this request created it.
#[derive(Debug, Serialize)]
pub struct IntakeAnswer {
    pub id: RecordId,
    pub status: DisputeStatus,
    pub created: bool,
}

/// Parses the form: `request_id` (UUID), `accept` (optional bool) and the dispute's fields as a
/// phone's draft takes them (`grid_id`, `reported_at`, `dispute_category`, `risk_level`,
/// `summary`, `address`, `location`, `parties`).
pub fn parse_form(v: Value) -> Result<IntakeForm, ApiError> {
    let Value::Object(mut obj) = v else {
        return Err(ApiError::invalid(
            "invalid_json",
            "",
            "表单必须是一个 JSON 对象",
            "the form must be a JSON object",
        ));
    };
    let request_id = match obj.remove("request_id") {
        None | Some(Value::Null) => Err(ApiError::invalid(
            "required",
            "request_id",
            "缺少请求编号",
            "request_id is required",
        )),
        Some(Value::String(s)) => uuid::Uuid::parse_str(&s).map_err(|_| bad_request_id()),
        Some(_) => Err(bad_request_id()),
    }?;
    let accept = match obj.remove("accept") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => b,
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid_type",
                "accept",
                "“是否受理”应为 true 或 false",
                "accept must be true or false",
            ));
        }
    };
    for set_here in ["kind", "source"] {
        if obj.contains_key(set_here) {
            return Err(ApiError::invalid(
                "unknown_field",
                set_here,
                "该字段由热线表单自动填写",
                "the hotline form sets this field itself",
            ));
        }
    }
    obj.insert("kind".into(), "dispute".into());
    obj.insert("source".into(), "hotline_12345".into());
    let draft = parse_draft(Value::Object(obj)).map_err(|e| first(&e.0))?;
    Ok(IntakeForm {
        request_id,
        accept,
        draft,
    })
}

fn bad_request_id() -> ApiError {
    ApiError::invalid(
        "invalid_value",
        "request_id",
        "请求编号必须是 UUID",
        "request_id must be a UUID",
    )
}

/// Creates the dispute of `form` (and accepts it when asked), or answers the one an earlier
/// request with the same `request_id` created.
pub(super) fn intake(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    form: IntakeForm,
) -> Result<IntakeAnswer, ApiError> {
    if let Some(id) = intake_of(tx, ctx.who.user_id, &form.request_id)? {
        return Ok(IntakeAnswer {
            id,
            status: status_of(tx, id)?,
            created: false,
        });
    }
    if !ctx.who.scope.covers(&form.draft.grid_id) {
        return Err(ApiError::invalid(
            "out_of_scope",
            "grid_id",
            "该网格不在您的辖区内",
            "this grid is outside your areas",
        ));
    }
    let id = RecordId::new_v7();
    let record = form.draft.into_record(id, &ctx.who.user_name, ctx.now);
    validate_new(&record, ctx.now).map_err(|e| first(&e.0))?;
    let mut doc = AutoCommit::new();
    log_change(tx, ctx, &mut doc, (None, &record), ChangeOp::Create)?;
    let mut last = record;
    if form.accept {
        let req = ActionRequest {
            action: WorkflowAction::Accept,
            details: EventDetails::default(),
        };
        let accepted = append(ctx, &last, req)?;
        validate_update(&last, &accepted, ctx.now).map_err(|e| first(&e.0))?;
        log_change(tx, ctx, &mut doc, (Some(&last), &accepted), ChangeOp::Act)?;
        last = accepted;
    }
    remember_intake(tx, ctx.who.user_id, &form.request_id, &id, ctx.now)?;
    Ok(IntakeAnswer {
        id,
        status: last.status().unwrap_or(DisputeStatus::Reported),
        created: true,
    })
}

/// The status of a stored dispute now.
fn status_of(tx: &Transaction<'_>, id: RecordId) -> Result<DisputeStatus, ApiError> {
    let doc = load_record_doc(tx, id.as_uuid().as_bytes())?.ok_or(ApiError::NotFound)?;
    let record = read_record(&doc)
        .map_err(|e| StorageError::Corrupt(format!("stored record unreadable: {e}")))?;
    match record.body {
        RecordBody::Dispute(d) => Ok(d.status),
        _ => Err(ApiError::NotFound),
    }
}

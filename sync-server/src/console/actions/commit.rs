//! The write half of a console action: one IMMEDIATE transaction that reads the record as it is
//! now, makes the dispatcher's change with their console actor, and logs it through the sync push
//! path (`sync::push::push_in`) as a push by that dispatcher from device `console`.
//!
//! Invariants: everything between reading the record and logging its change happens under the
//! database's one writer, so two concurrent console actions on a record are serialised: the second
//! sees the first's change, and its change (same actor) takes the next seq. Any refusal (by the
//! caller's checks or by the push path's) drops the transaction: nothing is written.

use automerge::AutoCommit;
use automerge::transaction::CommitOptions;
use gridmate_domain::document::{ChangeOp, change_message, read_record, write_changes};
use gridmate_domain::wire::{self, PushDoc, PushOutcome};
use gridmate_domain::{FieldError, Record, RecordBody, RecordId, Timestamp};
use rusqlite::{Transaction, TransactionBehavior};

use super::store::{CONSOLE_DEVICE, console_actor};
use crate::console::auth::ConsoleUser;
use crate::error::ApiError;
use crate::storage::{SqliteStorage, StorageError};
use crate::sync::held::HeldLimits;
use crate::sync::push::{Pusher, load_record_doc, push_in};

/// Who acts, and when: the console user as the push path sees them.
pub(super) struct Ctx {
    pub who: Pusher,
    pub held: HeldLimits,
    pub now: Timestamp,
}

impl Ctx {
    pub fn of(user: &ConsoleUser, held: HeldLimits, now: Timestamp) -> Self {
        Self {
            who: Pusher {
                user_id: user.user_id.0,
                user_name: user.user_name.clone(),
                role: user.role,
                device_id: CONSOLE_DEVICE.to_owned(),
                scope: user.scope.clone(),
                unit: user.unit.clone(),
            },
            held,
            now,
        }
    }
}

/// Runs `f` in one IMMEDIATE transaction, committed only when it succeeds.
pub(super) fn in_transaction<T>(
    db: &SqliteStorage,
    f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    db.write(|c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx);
        if out.is_ok() {
            tx.commit()?;
        }
        Ok(out)
    })?
}

/// A dispute of the user's areas, not deleted, with its document as the transaction reads it;
/// anything else is `not_found` (ids outside the areas cannot be probed).
pub(super) fn load_dispute(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    id: RecordId,
) -> Result<(AutoCommit, Record), ApiError> {
    let doc = load_record_doc(tx, id.as_uuid().as_bytes())?.ok_or(ApiError::NotFound)?;
    let record = read_record(&doc)
        .map_err(|e| StorageError::Corrupt(format!("stored record unreadable: {e}")))?;
    let visible = matches!(record.body, RecordBody::Dispute(_))
        && record.meta.deleted_at.is_none()
        && ctx.who.scope.covers(&record.meta.grid_id);
    if visible {
        Ok((doc, record))
    } else {
        Err(ApiError::NotFound)
    }
}

/// Writes `new` over `old` (`None`: a new record into an empty `doc`) as one change of the
/// user's console actor, and logs it through the push path; a refusal there is the answer.
pub(super) fn log_change(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    doc: &mut AutoCommit,
    (old, new): (Option<&Record>, &Record),
    op: ChangeOp,
) -> Result<(), ApiError> {
    doc.set_actor(console_actor(tx, ctx.who.user_id, ctx.now)?);
    let before = doc.get_heads();
    write_changes(doc, old, new).map_err(ApiError::internal)?;
    doc.commit_with(
        CommitOptions::default()
            .with_message(change_message(op, &ctx.who.user_name))
            .with_time(ctx.now.millis() / 1000),
    );
    let changes = doc
        .get_changes(&before)
        .iter()
        .map(|c| wire::Change(c.raw_bytes().to_vec()))
        .collect();
    let push = PushDoc {
        record_id: *new.meta.id.as_uuid().as_bytes(),
        changes,
    };
    match push_in(tx, &ctx.who, push, (&ctx.held, ctx.now))? {
        PushOutcome::Accepted { .. } => Ok(()),
        PushOutcome::Held { .. } => Err(ApiError::internal("a console change was held")),
        PushOutcome::Rejected {
            code,
            field,
            message_zh,
            message_en,
        } => Err(refused(&code, field, message_zh, message_en)),
    }
}

/// The answer to a field error of the domain's rules: 400 with its code and field.
pub(super) fn invalid(e: &FieldError) -> ApiError {
    ApiError::invalid(
        e.code.as_str(),
        e.field.clone(),
        e.message.zh_cn.clone(),
        e.message.en.clone(),
    )
}

/// The answer to a refusal of the push path: the workflow's own refusals (the state, who is
/// asking) are 409, anything else about the record's content 400, each with the push's code.
fn refused(code: &str, field: String, zh: String, en: String) -> ApiError {
    let code = static_code(code);
    if matches!(
        code,
        "invalid_status" | "forbidden_action" | "duplicate_event"
    ) {
        ApiError::ActionRefused {
            code,
            field,
            message: gridmate_domain::Localized { zh_cn: zh, en },
        }
    } else {
        ApiError::invalid(code, field, zh, en)
    }
}

/// The push path's refusal codes, as the stable strings the API answers.
fn static_code(code: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "required",
        "too_long",
        "too_many",
        "out_of_range",
        "invalid_value",
        "invalid_type",
        "unknown_field",
        "immutable_field",
        "invalid_grid_id",
        "invalid_phone",
        "invalid_id_number",
        "invalid_coordinate",
        "invalid_characters",
        "date_in_future",
        "date_too_old",
        "date_order",
        "invalid_status",
        "forbidden_action",
        "duplicate_event",
        "history_too_large",
        "out_of_scope",
        "creator_mismatch",
        "id_mismatch",
        "schema_mismatch",
    ];
    KNOWN
        .iter()
        .find(|k| **k == code)
        .copied()
        .unwrap_or("refused")
}

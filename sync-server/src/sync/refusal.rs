//! The push refusals, each with its stable code, field and zh-CN/en message, in one place: the
//! general path (`push::push_one`) and the plans made before the writer lock (`plan.rs`,
//! `plan_edit.rs`) must refuse the same record with the same words.

use gridmate_domain::FieldError;
use gridmate_domain::document::SchemaError;
use gridmate_domain::wire::PushOutcome;

pub(super) fn reject(code: &str, field: &str, zh: &str, en: &str) -> PushOutcome {
    PushOutcome::Rejected {
        code: code.into(),
        field: field.into(),
        message_zh: zh.into(),
        message_en: en.into(),
    }
}

/// A validation rule of the shared domain failed.
pub(super) fn rule(e: &FieldError) -> PushOutcome {
    reject(e.code.as_str(), &e.field, &e.message.zh_cn, &e.message.en)
}

/// The stored record's grid is outside the pusher's scope.
pub(super) fn record_out_of_scope() -> PushOutcome {
    reject(
        "out_of_scope",
        "grid_id",
        "该记录不在您的网格范围内",
        "this record is outside your scope",
    )
}

/// Chunk `i` of the push does not decode.
pub(super) fn undecodable(i: usize) -> PushOutcome {
    reject(
        "malformed_change",
        &format!("changes[{i}]"),
        "数据损坏：无法解析的修改",
        "a change could not be decoded",
    )
}

/// The changes decode but automerge cannot apply them.
pub(super) fn unappliable() -> PushOutcome {
    reject(
        "malformed_change",
        "changes",
        "数据损坏：修改无法应用",
        "the changes could not be applied",
    )
}

/// The changes apply but automerge cannot encode them again (see `doc::round_trips`).
pub(super) fn unencodable() -> PushOutcome {
    reject(
        "malformed_change",
        "changes",
        "数据损坏：修改无法重新编码",
        "the changes cannot be re-encoded",
    )
}

/// The merged document does not fit the record schema: `unknown_field` for a key the schema does
/// not define, `invalid_type` for a value of another Automerge type, else `schema_mismatch`.
pub(super) fn schema_mismatch(e: &SchemaError) -> PushOutcome {
    reject(
        e.code(),
        e.field(),
        "记录结构不符合要求",
        &format!("the document does not fit the record schema: {e}"),
    )
}

/// A change's actor is bound to another device.
pub(super) fn actor_conflict() -> PushOutcome {
    reject(
        "actor_conflict",
        "changes",
        "修改的作者属于另一台设备",
        "these changes were written by another device's actor",
    )
}

/// Holding the record's waiting changes would pass the device's or the user's held-change limit
/// (`held::HeldLimits`); nothing of the record is stored. Devices answer it as they answer `Held`,
/// by sending the record's whole history (`PushOutcome::wants_whole_history`).
pub(super) fn held_quota_exceeded() -> PushOutcome {
    reject(
        gridmate_domain::wire::HELD_QUOTA_EXCEEDED,
        "changes",
        "等待上级修改的数据过多，请先完整同步",
        "too many changes are waiting for their dependencies; sync the whole record first",
    )
}

/// The account or device that pushed a held change is gone, disabled or revoked: the change is
/// dropped when it could have been completed (audited only).
pub(super) fn held_pusher_gone() -> PushOutcome {
    reject(
        "held_pusher_gone",
        "changes",
        "提交该修改的账户或设备已停用",
        "the account or device that pushed this change is no longer active",
    )
}

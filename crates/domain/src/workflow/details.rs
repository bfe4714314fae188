//! What each workflow action must and may carry. A field an action does not take must be absent
//! (so a `resolve` cannot smuggle an assignee), required fields must be present, and free text
//! follows the same text rules as the record's fields.
//!
//! Invariant: `check_details` is pure and total: any `EventDetails` gets a list of field errors
//! (empty when fine), paths under `details.`.

use super::{EventDetails, WorkflowEvent};
use crate::enums::{NotAcceptedReason, ResolutionOutcome, ReturnReason, WorkflowAction as A};
use crate::error::{ErrorCode, FieldError};
use crate::ids::GridId;
use crate::time::Timestamp;
use crate::validate::{TextRule, check_text};

/// An action's note.
pub const ACTION_NOTE: TextRule = TextRule {
    required: false,
    max_chars: 2000,
    multiline: true,
};
/// An agreement's terms.
pub const TERMS: TextRule = TextRule {
    required: true,
    max_chars: 2000,
    multiline: true,
};
/// Who attended a session.
pub const ATTENDEES: TextRule = TextRule {
    required: false,
    max_chars: 200,
    multiline: false,
};

/// The detail fields, by name, with whether each is set.
fn present(d: &EventDetails) -> [(&'static str, bool); 16] {
    [
        ("note", d.note.is_some()),
        ("not_accepted_reason", d.not_accepted_reason.is_some()),
        ("duplicate_of", d.duplicate_of.is_some()),
        ("assignee_user", d.assignee_user.is_some()),
        ("assignee_unit", d.assignee_unit.is_some()),
        ("due_at", d.due_at.is_some()),
        ("return_reason", d.return_reason.is_some()),
        ("resolution_method", d.resolution_method.is_some()),
        ("outcome", d.outcome.is_some()),
        ("terms", d.terms.is_some()),
        ("referral", d.referral.is_some()),
        ("level", d.level.is_some()),
        ("satisfaction", d.satisfaction.is_some()),
        ("log_kind", d.log_kind.is_some()),
        ("attendees", d.attendees.is_some()),
        ("occurred_at", d.occurred_at.is_some()),
    ]
}

/// The detail fields an action takes, in the order its form shows them (beyond these, a set
/// field is refused). `duplicate_of`, `terms` and `referral` are shown and required only with
/// the choice that calls for them (a duplicate; an agreement; no agreement).
pub fn takes(action: A) -> &'static [&'static str] {
    match action {
        A::Accept | A::Start | A::Close | A::Supervise | A::FollowUp => &["note"],
        A::NotAccept => &["not_accepted_reason", "duplicate_of", "note"],
        A::Assign => &["assignee_user", "assignee_unit", "due_at", "note"],
        A::Log => &["log_kind", "occurred_at", "attendees", "note"],
        A::Resolve => &["resolution_method", "outcome", "terms", "referral", "note"],
        A::Return => &["return_reason", "note"],
        A::Escalate => &["level", "note"],
        A::Evaluate => &["satisfaction", "note"],
    }
}

/// The fields of `takes(action)` that must be filled whenever they are shown. An assignment needs
/// a user or a unit (either); a return's note is required with [`RETURN_REASON_NEEDING_NOTE`].
pub fn requires(action: A) -> &'static [&'static str] {
    match action {
        A::NotAccept => &["not_accepted_reason", "duplicate_of"],
        A::Log => &["log_kind", "occurred_at", "note"],
        A::Resolve => &["resolution_method", "outcome", "terms", "referral"],
        A::Return => &["return_reason"],
        A::Escalate => &["level", "note"],
        A::Supervise | A::FollowUp => &["note"],
        A::Evaluate => &["satisfaction"],
        A::Accept | A::Start | A::Close | A::Assign => &[],
    }
}

/// The return reason that needs a note saying what it is.
pub const RETURN_REASON_NEEDING_NOTE: ReturnReason = ReturnReason::Other;

/// The failures of `d` as the details of `action`.
pub fn check_details(action: A, d: &EventDetails) -> Vec<FieldError> {
    let mut e = Vec::new();
    for (name, set) in present(d) {
        if set && !takes(action).contains(&name) {
            e.push(FieldError::new(
                ErrorCode::UnknownField,
                format!("details.{name}"),
                format!("“{}”不需要填写该项", action.label_zh()),
                format!("`{action}` does not take this field"),
            ));
        }
    }
    let note_required = requires(action).contains(&"note")
        || (action == A::Return && d.return_reason == Some(RETURN_REASON_NEEDING_NOTE));
    let note_rule = TextRule {
        required: note_required,
        ..ACTION_NOTE
    };
    check_text(
        &mut e,
        "details.note",
        d.note.as_deref().unwrap_or(""),
        note_rule,
    );
    match action {
        A::NotAccept => {
            require(
                &mut e,
                "not_accepted_reason",
                d.not_accepted_reason.is_some(),
            );
            let dup = d.not_accepted_reason == Some(NotAcceptedReason::Duplicate);
            if dup {
                require(&mut e, "duplicate_of", d.duplicate_of.is_some());
            } else if d.duplicate_of.is_some() {
                e.push(only_with("duplicate_of", "not_accepted_reason = duplicate"));
            }
        }
        A::Assign => assignment(&mut e, d),
        A::Log => {
            require(&mut e, "log_kind", d.log_kind.is_some());
            require(&mut e, "occurred_at", d.occurred_at.is_some());
            if let Some(a) = &d.attendees {
                check_text(&mut e, "details.attendees", a, ATTENDEES);
            }
        }
        A::Resolve => resolution(&mut e, d),
        A::Return => require(&mut e, "return_reason", d.return_reason.is_some()),
        A::Escalate => require(&mut e, "level", d.level.is_some()),
        A::Evaluate => require(&mut e, "satisfaction", d.satisfaction.is_some()),
        A::Accept | A::Start | A::Supervise | A::FollowUp | A::Close => {}
    }
    e
}

fn assignment(e: &mut Vec<FieldError>, d: &EventDetails) {
    if d.assignee_user.is_none() && d.assignee_unit.is_none() {
        e.push(FieldError::new(
            ErrorCode::Required,
            "details.assignee_user",
            "请选择承办人或承办单位",
            "choose a handler (a user or a unit)",
        ));
    }
    if let Some(u) = &d.assignee_user
        && !is_user_name(u)
    {
        e.push(invalid(
            "assignee_user",
            "承办人账号无效",
            "not a valid user name",
        ));
    }
    if let Some(u) = &d.assignee_unit
        && GridId::parse(u).is_none()
    {
        e.push(invalid(
            "assignee_unit",
            "承办单位编号无效",
            "not a valid unit id",
        ));
    }
}

fn resolution(e: &mut Vec<FieldError>, d: &EventDetails) {
    require(e, "resolution_method", d.resolution_method.is_some());
    require(e, "outcome", d.outcome.is_some());
    match d.outcome {
        Some(ResolutionOutcome::Agreement) => {
            check_text(e, "details.terms", d.terms.as_deref().unwrap_or(""), TERMS);
        }
        _ if d.terms.is_some() => e.push(only_with("terms", "outcome = agreement")),
        _ => {}
    }
    match d.outcome {
        Some(ResolutionOutcome::NoAgreement) => require(e, "referral", d.referral.is_some()),
        _ if d.referral.is_some() => e.push(only_with("referral", "outcome = no_agreement")),
        _ => {}
    }
}

/// The failures of a whole event: its header (id, author, time) and its details. `now` bounds
/// the times a device may claim (a day of clock skew, as for record dates).
pub fn check_event(ev: &WorkflowEvent, now: Timestamp) -> Vec<FieldError> {
    let mut e = Vec::new();
    if uuid::Uuid::parse_str(&ev.id).is_err() || ev.id.len() != 36 {
        e.push(invalid("id", "事件编号无效", "not a valid event id"));
    }
    if !is_user_name(&ev.by) {
        e.push(invalid("by", "操作人账号无效", "not a valid user name"));
    }
    if let Some(u) = &ev.by_unit
        && GridId::parse(u).is_none()
    {
        e.push(invalid("by_unit", "单位编号无效", "not a valid unit id"));
    }
    let latest = now.plus_millis(crate::validate::FUTURE_SLACK_MS);
    for (field, t) in [
        ("at", Some(ev.at)),
        ("details.occurred_at", ev.details.occurred_at),
    ] {
        if t.is_some_and(|t| t > latest) {
            e.push(FieldError::new(
                ErrorCode::DateInFuture,
                field,
                "时间不能晚于明天",
                "must not be later than tomorrow",
            ));
        }
    }
    if let Some(due) = ev.details.due_at
        && due <= ev.at
    {
        e.push(FieldError::new(
            ErrorCode::DateOrder,
            "details.due_at",
            "办理期限必须晚于交办时间",
            "the due time must be after the assignment",
        ));
    }
    e.extend(check_details(ev.action, &ev.details));
    e
}

pub use crate::rules::is_user_name;

fn require(e: &mut Vec<FieldError>, name: &str, set: bool) {
    if !set {
        e.push(FieldError::new(
            ErrorCode::Required,
            format!("details.{name}"),
            "必填项不能为空",
            "this field is required",
        ));
    }
}

fn only_with(name: &str, condition: &str) -> FieldError {
    FieldError::new(
        ErrorCode::InvalidValue,
        format!("details.{name}"),
        format!("该项只在 {condition} 时填写"),
        format!("only given with {condition}"),
    )
}

fn invalid(name: &str, zh: &str, en: &str) -> FieldError {
    let field = if matches!(name, "id" | "by" | "by_unit") {
        name.to_owned()
    } else {
        format!("details.{name}")
    };
    FieldError::new(ErrorCode::InvalidValue, field, zh, en)
}

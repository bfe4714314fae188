//! Who may do what to a dispute, and from which status: the one table that the device (before it
//! appends an event), the server (before it accepts one) and the UI (the actions it offers) read.
//!
//! A cell names the kinds of actor allowed ([`Who`]); an actor passes if any kind matches. Scope is
//! decided by the caller (`Actor::in_scope`: whether the actor's areas cover the dispute's grid);
//! the fold, which has no accounts, trusts the scope the server checked when it accepted the event.
//! Nobody moves a dispute backwards except through the named side moves (return, escalate,
//! re-assignment).

use serde::Serialize;

use super::fold::DisputeState;
use super::{EventDetails, check_details};
use crate::enums::{DisputeStatus as S, EscalationLevel, FlagCode, Role, WorkflowAction as A};
use crate::error::{ErrorCode, FieldError};
use crate::record::Dispute;

/// A kind of actor a table cell allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Who {
    /// A dispatcher whose areas cover the dispute's grid (指挥中心).
    Dispatcher,
    /// The current assignee: the user named, or a member of the unit named when no user is.
    Assignee,
    /// Anyone who has been assigned the dispute, now or before (their log entries stay theirs).
    Handler,
    /// A grid worker whose areas cover the dispute's grid.
    GridWorker,
}

/// One row: an action, the statuses it may start from, and who may take it.
#[derive(Debug, Clone, Copy, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Permission {
    pub action: A,
    pub from: &'static [S],
    pub who: &'static [Who],
}

const OPEN: &[S] = &[
    S::Reported,
    S::Accepted,
    S::Assigned,
    S::InProgress,
    S::Returned,
    S::Escalated,
    S::Resolved,
    S::FollowUp,
];

/// The role table. Every action appears exactly once.
pub const PERMISSIONS: &[Permission] = &[
    p(A::Accept, &[S::Reported, S::Escalated], &[Who::Dispatcher]),
    p(
        A::NotAccept,
        &[S::Reported, S::Returned, S::Escalated],
        &[Who::Dispatcher],
    ),
    p(
        A::Assign,
        &[
            S::Accepted,
            S::Assigned,
            S::InProgress,
            S::Returned,
            S::Escalated,
        ],
        &[Who::Dispatcher],
    ),
    p(A::Start, &[S::Assigned], &[Who::Assignee]),
    p(
        A::Log,
        &[
            S::Assigned,
            S::InProgress,
            S::Returned,
            S::Escalated,
            S::Resolved,
            S::FollowUp,
        ],
        &[Who::Dispatcher, Who::Handler],
    ),
    p(
        A::Resolve,
        &[S::Assigned, S::InProgress],
        &[Who::Assignee, Who::Dispatcher],
    ),
    p(
        A::Return,
        &[S::Assigned, S::InProgress],
        &[Who::Assignee, Who::Dispatcher],
    ),
    p(
        A::Escalate,
        &[
            S::Reported,
            S::Accepted,
            S::Assigned,
            S::InProgress,
            S::Returned,
            S::Escalated,
        ],
        &[Who::Dispatcher],
    ),
    p(A::Supervise, OPEN, &[Who::Dispatcher]),
    p(A::FollowUp, &[S::Resolved], &[Who::GridWorker]),
    p(A::Evaluate, &[S::FollowUp], &[Who::GridWorker]),
    p(A::Close, &[S::Resolved, S::FollowUp], &[Who::Dispatcher]),
];

const fn p(action: A, from: &'static [S], who: &'static [Who]) -> Permission {
    Permission { action, from, who }
}

/// The table's row for an action.
pub fn permission(action: A) -> &'static Permission {
    PERMISSIONS
        .iter()
        .find(|p| p.action == action)
        .unwrap_or(&PERMISSIONS[0])
}

/// The status an action leads to (notes keep the status).
pub fn target(action: A, from: S) -> S {
    match action {
        A::Accept => S::Accepted,
        A::NotAccept => S::NotAccepted,
        A::Assign => S::Assigned,
        A::Start => S::InProgress,
        A::Resolve => S::Resolved,
        A::Return => S::Returned,
        A::Escalate => S::Escalated,
        A::FollowUp => S::FollowUp,
        A::Evaluate => S::Evaluated,
        A::Close => S::Closed,
        A::Log | A::Supervise => from,
    }
}

/// Who is acting.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user: &'a str,
    pub role: Role,
    pub unit: Option<&'a str>,
    /// Whether the actor's areas cover the dispute's grid.
    pub in_scope: bool,
}

/// Why an action is not allowed now.
#[derive(Debug, Clone, PartialEq)]
pub enum Denial {
    /// The dispute's status does not allow the action.
    State { status: S },
    /// The actor's role may never take this action (or not outside their areas).
    Role,
    /// The action belongs to the assignee, and the actor is not (or no longer) the assignee.
    NotAssignee,
    /// The action's details are incomplete or contradict it.
    Details(Vec<FieldError>),
}

impl Denial {
    /// The flag a kept-but-ineffective event carries for this denial.
    pub fn flag(&self) -> FlagCode {
        match self {
            Self::State { .. } => FlagCode::NotAllowedInState,
            Self::Role => FlagCode::RoleNotAllowed,
            Self::NotAssignee => FlagCode::NotAssignee,
            Self::Details(_) => FlagCode::InvalidDetails,
        }
    }

    /// The denial as field errors (`action` is the field for state and role denials).
    pub fn errors(&self, action: A) -> Vec<FieldError> {
        match self {
            Self::State { status } => vec![FieldError::new(
                ErrorCode::InvalidStatus,
                "action",
                format!(
                    "纠纷当前为“{}”，不能执行“{}”",
                    status.label_zh(),
                    action.label_zh()
                ),
                format!("a dispute that is `{status}` cannot take `{action}`"),
            )],
            Self::Role => vec![FieldError::new(
                ErrorCode::ForbiddenAction,
                "action",
                format!("您的角色无权对该纠纷执行“{}”", action.label_zh()),
                format!("your role may not take `{action}` on this dispute"),
            )],
            Self::NotAssignee => vec![FieldError::new(
                ErrorCode::ForbiddenAction,
                "action",
                format!("只有当前承办人可以执行“{}”", action.label_zh()),
                format!("only the current assignee may take `{action}`"),
            )],
            Self::Details(e) => e.clone(),
        }
    }
}

/// Whether `actor` may take `action` with `details` on a dispute in `state`. Checked in this
/// order: details, status, then who.
pub fn permitted(
    actor: &Actor<'_>,
    state: &DisputeState,
    action: A,
    details: &EventDetails,
) -> Result<(), Denial> {
    let errors = check_details(action, details);
    if !errors.is_empty() {
        return Err(Denial::Details(errors));
    }
    let row = permission(action);
    if !row.from.contains(&state.status) {
        return Err(Denial::State {
            status: state.status,
        });
    }
    if action == A::Escalate && details.level.is_some_and(|l| l <= state.level) {
        return Err(Denial::Details(vec![level_not_higher(state.level)]));
    }
    if row.who.iter().any(|w| matches(*w, actor, state)) {
        return Ok(());
    }
    let handling = row
        .who
        .iter()
        .any(|w| matches!(w, Who::Assignee | Who::Handler));
    if handling
        && matches!(
            actor.role,
            Role::LegalVolunteer | Role::GridWorker | Role::Dispatcher
        )
    {
        Err(Denial::NotAssignee)
    } else {
        Err(Denial::Role)
    }
}

fn matches(who: Who, actor: &Actor<'_>, state: &DisputeState) -> bool {
    match who {
        Who::Dispatcher => actor.role == Role::Dispatcher && actor.in_scope,
        Who::GridWorker => actor.role == Role::GridWorker && actor.in_scope,
        Who::Assignee => state.is_assignee(actor.user, actor.unit),
        Who::Handler => {
            state.is_assignee(actor.user, actor.unit)
                || state.handlers.iter().any(|h| h == actor.user)
        }
    }
}

fn level_not_higher(current: EscalationLevel) -> FieldError {
    FieldError::new(
        ErrorCode::InvalidValue,
        "details.level",
        format!("只能升级到高于“{}”的层级", current.label_zh()),
        format!("escalate to a level above `{current}`"),
    )
}

/// The actions `actor` may take now, in table order (what the app offers).
pub fn available(actor: &Actor<'_>, state: &DisputeState) -> Vec<A> {
    PERMISSIONS
        .iter()
        .filter(|row| row.from.contains(&state.status))
        .filter(|row| row.who.iter().any(|w| matches(*w, actor, state)))
        .filter(|row| row.action != A::Escalate || state.level < EscalationLevel::County)
        .map(|row| row.action)
        .collect()
}

/// Whether `actor` may delete a dispute (set its `deleted_at`) or, with `restore`, undo a delete
/// (clear it). Deleting belongs to a dispatcher whose areas cover the dispute, or to its creator
/// while nobody has acted on it (`reported`, no events); restoring to the dispatcher alone. The
/// device asks before it offers the button, the server before it accepts the change.
pub fn may_delete(
    actor: &Actor<'_>,
    dispute: &Dispute,
    creator: &str,
    restore: bool,
) -> Result<(), FieldError> {
    let dispatcher = actor.role == Role::Dispatcher && actor.in_scope;
    let untouched = dispute.status == S::Reported && dispute.workflow.is_empty();
    if dispatcher || (!restore && untouched && actor.user == creator) {
        return Ok(());
    }
    Err(if restore {
        FieldError::new(
            ErrorCode::ForbiddenAction,
            "deleted_at",
            "只有调度员可以恢复已删除的纠纷",
            "only a dispatcher may restore a deleted dispute",
        )
    } else {
        FieldError::new(
            ErrorCode::ForbiddenAction,
            "deleted_at",
            "只有调度员，或在纠纷尚未处理时由上报人，才能删除纠纷",
            "only a dispatcher, or the reporter while nobody has acted on it, may delete a dispute",
        )
    })
}

#[cfg(test)]
mod delete_tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::fixtures::{Rng, record};
    use crate::record::RecordBody;
    use crate::workflow::WorkflowEvent;
    use crate::{GridId, Timestamp};

    fn dispute() -> Dispute {
        let mut rng = Rng::new(1);
        loop {
            let r = record(
                &mut rng,
                GridId::parse("jingkou-zhengdonglu-03").unwrap(),
                Timestamp::now(),
                "wang.wei",
            );
            if let RecordBody::Dispute(d) = r.body {
                return d;
            }
        }
    }

    fn who(user: &str, role: Role, in_scope: bool) -> Actor<'_> {
        Actor {
            user,
            role,
            unit: None,
            in_scope,
        }
    }

    #[test]
    fn delete_belongs_to_the_dispatcher_and_to_the_reporter_of_an_untouched_dispute() {
        let mut d = dispute();
        let creator = who("wang.wei", Role::GridWorker, true);
        let dispatcher = who("zhao.min", Role::Dispatcher, true);
        let far_dispatcher = who("zhao.min", Role::Dispatcher, false);
        let other = who("li.na", Role::GridWorker, true);
        let admin = who("chen.jie", Role::Admin, true);
        assert!(may_delete(&creator, &d, "wang.wei", false).is_ok());
        assert!(may_delete(&dispatcher, &d, "wang.wei", false).is_ok());
        for (a, restore) in [
            (&other, false),
            (&admin, false),
            (&far_dispatcher, false),
            (&creator, true),
            (&admin, true),
        ] {
            let e = may_delete(a, &d, "wang.wei", restore).unwrap_err();
            assert_eq!(
                (e.code, e.field.as_str()),
                (ErrorCode::ForbiddenAction, "deleted_at")
            );
        }
        assert!(may_delete(&dispatcher, &d, "wang.wei", true).is_ok());
        d.workflow.push(WorkflowEvent {
            id: "e1".into(),
            action: A::Supervise,
            by: "zhao.min".into(),
            role: Role::Dispatcher,
            by_unit: None,
            at: Timestamp::now(),
            details: EventDetails::default(),
        });
        assert!(may_delete(&creator, &d, "wang.wei", false).is_err());
        assert!(may_delete(&dispatcher, &d, "wang.wei", false).is_ok());
    }
}

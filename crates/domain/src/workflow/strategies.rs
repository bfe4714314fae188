//! Test strategies for workflow events (used by the document round-trip tests): arbitrary events,
//! allowed or not, with whatever details; the fold must keep and judge them all.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::{EventDetails, WorkflowEvent};
use crate::document::strategies::ts;
use crate::enums::*;

const USERS: [&str; 4] = ["wang.wei", "li.na", "zhao.lei", "chen.jing"];

fn details() -> impl Strategy<Value = EventDetails> {
    (
        prop::option::of("[调解回访 ]{1,12}"),
        prop::option::of(prop::sample::select(NotAcceptedReason::ALL)),
        prop::option::of(prop::sample::select(USERS.as_slice())),
        prop::option::of(prop::sample::select(ResolutionOutcome::ALL)),
        prop::option::of(prop::sample::select(EscalationLevel::ALL)),
        prop::option::of(prop::sample::select(Satisfaction::ALL)),
        prop::option::of(prop::sample::select(LogKind::ALL)),
        prop::option::of(ts()),
    )
        .prop_map(
            |(note, nar, user, outcome, level, sat, log_kind, occurred_at)| EventDetails {
                note,
                not_accepted_reason: nar,
                assignee_user: user.map(str::to_owned),
                outcome,
                level,
                satisfaction: sat,
                log_kind,
                occurred_at,
                ..EventDetails::default()
            },
        )
}

/// Any event: most are not allowed where they land, and are flagged.
pub fn event() -> impl Strategy<Value = WorkflowEvent> {
    (
        any::<u128>(),
        prop::sample::select(WorkflowAction::ALL),
        prop::sample::select(USERS.as_slice()),
        prop::sample::select(Role::ALL),
        prop::option::of(Just("jingkou-sfs")),
        ts(),
        details(),
    )
        .prop_map(|(id, action, by, role, unit, at, details)| WorkflowEvent {
            id: uuid::Uuid::from_u128(id).to_string(),
            action,
            by: by.to_owned(),
            role,
            by_unit: unit.map(str::to_owned),
            at,
            details,
        })
}

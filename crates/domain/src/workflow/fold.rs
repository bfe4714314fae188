//! The one deterministic function from a dispute's events to its state.
//!
//! Events are folded in the order given (the document's list order). Each is checked against the
//! state the events before it produced, with the table of `table.rs` and the author the event
//! names (its scope was checked when the server accepted it): allowed, it is applied; not allowed,
//! it is kept with a [`Verdict::Flagged`] naming why and the event that made it invalid (the last
//! applied event that moved the status or the assignee). Same events, same order: same state and
//! same verdicts, on every replica.

use std::collections::HashSet;

use serde::Serialize;

use super::WorkflowEvent;
use super::table::{Actor, permitted, target};
use crate::enums::{
    DisputeStatus, EscalationLevel, FlagCode, ResolutionOutcome, Satisfaction, WorkflowAction as A,
};
use crate::time::Timestamp;

/// What the events made of a dispute.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct DisputeState {
    pub status: DisputeStatus,
    /// The level of the command platform now responsible.
    pub level: EscalationLevel,
    pub assignee_user: Option<String>,
    pub assignee_unit: Option<String>,
    /// The handling deadline set by the last assignment.
    pub due_at: Option<Timestamp>,
    /// When the current status began (the time of the event that set it); `None` for the status
    /// the document started with.
    pub status_since: Option<Timestamp>,
    /// Everyone who has been assigned the dispute, in order of first assignment.
    pub handlers: Vec<String>,
    /// A dispatcher has raised supervision (督办) since the last assignment.
    pub supervised: bool,
    pub outcome: Option<ResolutionOutcome>,
    pub satisfaction: Option<Satisfaction>,
    /// The id of the last applied event that moved the status or the assignee.
    pub last_move: Option<String>,
}

impl DisputeState {
    /// The state of a dispute whose document started in `status`, before any event.
    pub fn initial(status: DisputeStatus) -> Self {
        Self {
            status,
            level: EscalationLevel::Grid,
            assignee_user: None,
            assignee_unit: None,
            due_at: None,
            status_since: None,
            handlers: Vec::new(),
            supervised: false,
            outcome: None,
            satisfaction: None,
            last_move: None,
        }
    }

    /// Whether the user (acting for `unit`) holds the dispute now: named as assignee, or a member
    /// of the assigned unit when no user is named.
    pub fn is_assignee(&self, user: &str, unit: Option<&str>) -> bool {
        if matches!(
            self.status,
            DisputeStatus::Returned | DisputeStatus::Escalated
        ) {
            return false;
        }
        match (&self.assignee_user, &self.assignee_unit) {
            (Some(u), _) => u == user,
            (None, Some(a)) => unit == Some(a.as_str()),
            (None, None) => false,
        }
    }

    fn apply(&mut self, ev: &WorkflowEvent) {
        let d = &ev.details;
        let before = (
            self.status,
            self.assignee_user.clone(),
            self.assignee_unit.clone(),
        );
        self.status = target(ev.action, self.status);
        match ev.action {
            A::Assign => {
                self.assignee_user = d.assignee_user.clone();
                self.assignee_unit = d.assignee_unit.clone();
                self.due_at = d.due_at;
                self.supervised = false;
                if let Some(u) = &d.assignee_user
                    && !self.handlers.contains(u)
                {
                    self.handlers.push(u.clone());
                }
            }
            A::Escalate => {
                self.level = d.level.unwrap_or(self.level);
            }
            A::Resolve => self.outcome = d.outcome,
            A::Evaluate => self.satisfaction = d.satisfaction,
            A::Supervise => self.supervised = true,
            _ => {}
        }
        if before.0 != self.status {
            self.status_since = Some(ev.at);
        }
        if (before.0, before.1, before.2)
            != (
                self.status,
                self.assignee_user.clone(),
                self.assignee_unit.clone(),
            )
        {
            self.last_move = Some(ev.id.clone());
        }
    }
}

/// What became of one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Applied,
    /// Kept and shown, but without effect: `conflicts_with` is the event that came first.
    Flagged {
        code: FlagCode,
        conflicts_with: Option<String>,
    },
}

/// The derived state and one verdict per event (same order as the events).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WorkflowView {
    pub state: DisputeState,
    pub verdicts: Vec<Verdict>,
}

/// Folds `events` over a dispute that started in `initial`.
pub fn derive(initial: DisputeStatus, events: &[WorkflowEvent]) -> WorkflowView {
    let mut state = DisputeState::initial(initial);
    let mut verdicts = Vec::with_capacity(events.len());
    let mut seen: HashSet<&str> = HashSet::with_capacity(events.len());
    for ev in events {
        let actor = Actor {
            user: &ev.by,
            role: ev.role,
            unit: ev.by_unit.as_deref(),
            in_scope: true,
        };
        let verdict = if !seen.insert(ev.id.as_str()) {
            Verdict::Flagged {
                code: FlagCode::InvalidDetails,
                conflicts_with: Some(ev.id.clone()),
            }
        } else {
            match permitted(&actor, &state, ev.action, &ev.details) {
                Ok(()) => {
                    state.apply(ev);
                    Verdict::Applied
                }
                Err(denial) => Verdict::Flagged {
                    code: denial.flag(),
                    conflicts_with: state.last_move.clone(),
                },
            }
        };
        verdicts.push(verdict);
    }
    WorkflowView { state, verdicts }
}

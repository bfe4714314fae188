//! The dispute closed loop (统一受理、分流交办、反馈考评) as data and one deterministic function.
//!
//! A dispute's document holds an append-only list of [`WorkflowEvent`]s (`workflow` in the root
//! map). Nobody writes the dispute's status: it is *derived* by [`derive`] from the status the
//! document started with (`reported` for every dispute this build creates; a record written before
//! the workflow existed starts from the status it held) and the events, folded in the document's list
//! order. That order is Automerge's: causal (an event follows every event its author had seen)
//! with concurrent appends ordered by their operation ids, so every replica holding the same
//! events computes the same state. An event that is not allowed at its place in that order (the
//! lawyer resolved offline while the dispatcher reassigned) is kept and flagged with a
//! [`FlagCode`] and the event it conflicts with; nothing is ever dropped.
//!
//! Who may do what is one table ([`table::PERMISSIONS`]): the device consults it before appending
//! an event, the server before accepting one (against the state its author saw,
//! [`verify::check_new_events`]), and the UI through the device's list of available actions.
//! Deadlines ([`deadline`]) are derived too, in working days of Asia/Shanghai; `overdue` is never
//! stored.

mod act;
pub mod deadline;
mod details;
mod fold;
pub mod table;
pub mod verify;

#[cfg(test)]
pub(crate) mod strategies;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::enums::*;
use crate::ids::RecordId;
use crate::time::Timestamp;

pub use act::{prepare_event, with_event};
pub use details::{
    ACTION_NOTE, ATTENDEES, RETURN_REASON_NEEDING_NOTE, TERMS, check_details, check_event,
    is_user_name, requires, takes,
};
pub use fold::{DisputeState, Verdict, WorkflowView, derive};
pub use table::{Actor, Denial, may_delete, permitted};

/// Longest workflow of one dispute: events and log entries together. A real case has tens; the
/// limit keeps a hostile device from growing a document without bound.
pub const MAX_EVENTS: usize = 500;

/// One action or mediation-log entry, as appended by its author. Never edited or removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct WorkflowEvent {
    /// A UUIDv7 made by the author's device: identifies the event across replicas.
    pub id: String,
    pub action: WorkflowAction,
    /// The author's user name. The server accepts a new event only from that very user.
    pub by: String,
    /// The author's role when acting (checked by the server against the account).
    pub role: Role,
    /// The unit (司法所, 派出所, ...) the author acts for, when the account belongs to one.
    #[serde(default)]
    pub by_unit: Option<String>,
    /// When the author acted (the device's clock).
    pub at: Timestamp,
    #[serde(default)]
    pub details: EventDetails,
}

/// What an action carries. Which fields an action takes is decided in [`check_details`]; a field
/// an action does not take must be absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct EventDetails {
    /// Free text: why, what was found, what was said.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub not_accepted_reason: Option<NotAcceptedReason>,
    /// The record this one duplicates (with `not_accepted_reason = duplicate`).
    #[serde(default)]
    pub duplicate_of: Option<RecordId>,
    /// The user a dispute is assigned to (user name).
    #[serde(default)]
    pub assignee_user: Option<String>,
    /// The unit a dispute is assigned to (a unit id of the reference data).
    #[serde(default)]
    pub assignee_unit: Option<String>,
    /// The handling deadline the dispatcher set when assigning.
    #[serde(default)]
    pub due_at: Option<Timestamp>,
    #[serde(default)]
    pub return_reason: Option<ReturnReason>,
    #[serde(default)]
    pub resolution_method: Option<ResolutionMethod>,
    #[serde(default)]
    pub outcome: Option<ResolutionOutcome>,
    /// The agreement's terms (with `outcome = agreement`).
    #[serde(default)]
    pub terms: Option<String>,
    /// Where the parties were pointed (with `outcome = no_agreement`).
    #[serde(default)]
    pub referral: Option<Referral>,
    /// The level a dispute is escalated to.
    #[serde(default)]
    pub level: Option<EscalationLevel>,
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
    #[serde(default)]
    pub log_kind: Option<LogKind>,
    /// Who attended a mediation session or visit (free text; no ID numbers).
    #[serde(default)]
    pub attendees: Option<String>,
    /// When a logged visit, call or session took place.
    #[serde(default)]
    pub occurred_at: Option<Timestamp>,
}

/// An action as a user asks for it (the app's action forms, `gridmate dispute`): the device adds
/// the event's id, author, role and time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub action: WorkflowAction,
    #[serde(default)]
    pub details: EventDetails,
}

impl WorkflowAction {
    /// Actions that only add to the record (the mediation log, supervision notes): they never
    /// change the status or who holds the dispute.
    pub fn is_note(self) -> bool {
        matches!(self, Self::Log | Self::Supervise)
    }
}

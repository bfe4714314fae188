//! "What is waiting for me": the disputes the bound account should act on now, by role, from the
//! projection's columns (no document is loaded).
//!
//! - a dispatcher: disputes in scope to accept, assign or decide on (reported, accepted, returned,
//!   escalated), to close (resolved, follow_up), and those under supervision (督办);
//! - anyone holding a dispute (the user named, or a member of the unit named when no user is):
//!   assigned and in-progress ones;
//! - a grid worker: resolved disputes in scope to follow up, and followed-up ones to evaluate.
//!
//! A dispute is listed only when the account may take some action on it now. Order: overdue
//! first, then by due time (none last), then by risk, highest first.

use gridmate_domain::workflow::deadline::is_overdue;
use gridmate_domain::workflow::table;
use gridmate_domain::{
    DisputeStatus, GridId, RecordId, RiskLevel, Role, Timestamp, WorkflowAction,
};
use rusqlite::Row;
use serde::Serialize;

use super::projection::state_from_columns;
use super::workflow::Me;
use super::{Store, StoreError};

/// One dispute waiting for the signed-in user.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct TaskItem {
    pub id: RecordId,
    /// The list title (masked: no personal data).
    pub title: String,
    pub grid_id: GridId,
    pub status: DisputeStatus,
    pub risk_level: RiskLevel,
    /// The action the task asks for: for the assignee, start or resolve; else the first
    /// available one that moves the dispute on (accept, assign, start, resolve, follow up,
    /// evaluate, close); else the first available one.
    pub next_action: Option<WorkflowAction>,
    /// When the current step is due.
    pub due_at: Option<Timestamp>,
    pub overdue: bool,
}

/// Actions that move a dispute forward, in the order a task prefers them.
const FORWARD: [WorkflowAction; 7] = [
    WorkflowAction::Accept,
    WorkflowAction::Assign,
    WorkflowAction::Start,
    WorkflowAction::Resolve,
    WorkflowAction::FollowUp,
    WorkflowAction::Evaluate,
    WorkflowAction::Close,
];

/// The action a task shows for what is available; `holds` when the actor is the assignee, whose
/// own step (start, resolve) comes before a dispatcher's reassignment.
pub(crate) fn next_action(available: &[WorkflowAction], holds: bool) -> Option<WorkflowAction> {
    let own: &[WorkflowAction] = if holds {
        &[WorkflowAction::Start, WorkflowAction::Resolve]
    } else {
        &[]
    };
    own.iter()
        .chain(&FORWARD)
        .copied()
        .find(|a| available.contains(a))
        .or_else(|| available.first().copied())
}

const COLUMNS: &str = "r.id, r.title, r.grid_id, r.status, r.risk_level, r.due_at, \
     r.assignee_user, r.assignee_unit, r.supervised, r.level";
const DISPUTES: &str = "r.kind = 'dispute' AND r.deleted_at IS NULL AND r.quarantine IS NULL";

/// One candidate row.
struct Candidate {
    item: TaskItem,
    assignee_user: Option<String>,
    assignee_unit: Option<String>,
    supervised: bool,
    level: Option<String>,
}

impl Store {
    /// The disputes waiting for the bound account at `now` (empty when signed out).
    pub fn tasks(&self, now: Timestamp) -> Result<Vec<TaskItem>, StoreError> {
        let Some(me) = self.me()? else {
            return Ok(Vec::new());
        };
        let mut rows = self.task_candidates(&me)?;
        rows.sort_by_key(|c| c.item.id);
        rows.dedup_by(|a, b| a.item.id == b.item.id);
        let mut out: Vec<TaskItem> = rows
            .into_iter()
            .filter_map(|c| {
                let state = state_from_columns(
                    c.item.status,
                    c.assignee_user,
                    c.assignee_unit,
                    c.supervised,
                    c.level.as_deref(),
                );
                let available = table::available(&me.actor(c.item.grid_id.as_str()), &state);
                let holds = state.is_assignee(&me.user, me.unit.as_deref());
                let next = next_action(&available, holds)?;
                Some(TaskItem {
                    next_action: Some(next),
                    overdue: is_overdue(c.item.due_at, now),
                    ..c.item
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.overdue
                .cmp(&a.overdue)
                .then_with(|| match (a.due_at, b.due_at) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                })
                .then_with(|| b.risk_level.cmp(&a.risk_level))
                .then_with(|| a.id.cmp(&b.id))
        });
        Ok(out)
    }

    /// How many disputes wait for the bound account at `now` (the badge).
    pub fn task_count(&self, now: Timestamp) -> Result<u32, StoreError> {
        Ok(u32::try_from(self.tasks(now)?.len()).unwrap_or(u32::MAX))
    }

    /// The rows that may be tasks of `me` (possibly twice; scope filtered here).
    fn task_candidates(&self, me: &Me) -> Result<Vec<Candidate>, StoreError> {
        let mut out = Vec::new();
        // Held: the named user, or the unit when no user is named. The statuses are literal so
        // that the partial indexes on the assignee columns apply (see `Store::open`).
        let held = format!(
            "SELECT {COLUMNS} FROM records r WHERE {DISPUTES}
               AND r.status IN ('assigned', 'in_progress') AND r.assignee_user = ?1"
        );
        out.extend(self.candidates(&held, [&me.user])?);
        if let Some(unit) = &me.unit {
            let by_unit = format!(
                "SELECT {COLUMNS} FROM records r WHERE {DISPUTES}
                   AND r.status IN ('assigned', 'in_progress') AND r.assignee_unit = ?1
                   AND r.assignee_user IS NULL"
            );
            out.extend(self.candidates(&by_unit, [unit])?);
        }
        // One query per condition (an OR of them would scan every dispute): each is a status
        // list the index on (kind, status) serves.
        let in_scope: &[&str] = match me.role {
            Role::Dispatcher => &[
                "r.status IN ('reported', 'accepted', 'returned', 'escalated', 'resolved',
                    'follow_up')",
                "r.status IN ('assigned', 'in_progress') AND r.supervised = 1",
            ],
            Role::GridWorker => &["r.status IN ('resolved', 'follow_up')"],
            Role::LegalVolunteer | Role::Admin => &[],
        };
        for cond in in_scope {
            let sql = format!("SELECT {COLUMNS} FROM records r WHERE {DISPUTES} AND {cond}");
            let rows = self.candidates(&sql, rusqlite::params![])?;
            out.extend(
                rows.into_iter()
                    .filter(|c| me.covers(c.item.grid_id.as_str())),
            );
        }
        Ok(out)
    }

    fn candidates(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Candidate>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(args, candidate)?;
        let rows = rows.collect::<Result<Vec<Option<Candidate>>, _>>()?;
        Ok(rows.into_iter().flatten().collect())
    }
}

/// A row as a candidate; `None` for a row whose columns this version cannot read.
fn candidate(r: &Row<'_>) -> rusqlite::Result<Option<Candidate>> {
    let text = |i: usize| r.get::<_, Option<String>>(i);
    let (Some(id), Some(grid), Some(status), Some(risk)) = (
        text(0)?.and_then(|s| s.parse::<RecordId>().ok()),
        text(2)?.as_deref().and_then(GridId::parse),
        text(3)?.as_deref().and_then(DisputeStatus::parse),
        text(4)?.as_deref().and_then(RiskLevel::parse),
    ) else {
        return Ok(None);
    };
    Ok(Some(Candidate {
        item: TaskItem {
            id,
            title: r.get(1)?,
            grid_id: grid,
            status,
            risk_level: risk,
            next_action: None,
            due_at: r.get::<_, Option<i64>>(5)?.and_then(Timestamp::from_millis),
            overdue: false,
        },
        assignee_user: text(6)?,
        assignee_unit: text(7)?,
        supervised: r.get(8)?,
        level: text(9)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use WorkflowAction::*;

    #[test]
    fn the_holder_is_asked_for_their_own_step_and_others_to_move_the_dispute_on() {
        let all = [Assign, Start, Log, Resolve, Return, Escalate, Supervise];
        assert_eq!(next_action(&all, true), Some(Start));
        assert_eq!(next_action(&all[2..], true), Some(Resolve));
        assert_eq!(next_action(&all, false), Some(Assign));
        assert_eq!(next_action(&[NotAccept, Assign], false), Some(Assign));
        assert_eq!(next_action(&[Log, Supervise, Close], false), Some(Close));
        assert_eq!(next_action(&[Log, Supervise], false), Some(Log));
        assert_eq!(next_action(&[], true), None);
    }
}

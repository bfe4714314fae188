//! What a dispute's workflow adds to its projection row: who holds it, whether it is supervised,
//! the level handling it, and when its current step is due. Lists, the task list and the
//! "assigned to me" / "overdue" filters read these columns and never fold events.
//!
//! Invariants: the columns are derived from the document on every write of the row (a save, an
//! action, a pull), like `status`; the due time depends on the deadline table as well, so the
//! table the stored due times were computed with is kept in `meta` (`deadline_table`), and when
//! the store's table differs (a new one arrived with the reference data, or the store was
//! upgraded) every open dispute's columns are computed again in one transaction
//! ([`Store::refresh_deadlines`]).

use gridmate_domain::workflow::DisputeState;
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::{
    DisputeCategory, DisputeStatus, EscalationLevel, Record, RecordBody, RiskLevel, Timestamp,
};
use rusqlite::params;

use super::codec::load_record;
use super::{Store, StoreError};

/// The statuses a dispute waits in for nobody: no deadline, no task.
pub(crate) const FINISHED: &str = "'not_accepted', 'evaluated', 'closed'";

/// A dispute's derived state with what its deadline depends on.
#[derive(Debug, Clone)]
pub(crate) struct DisputeCols {
    pub state: DisputeState,
    category: DisputeCategory,
    risk: RiskLevel,
    reported_at: Timestamp,
}

impl DisputeCols {
    /// The columns of a dispute (`None` for the other kinds).
    pub fn of(record: &Record) -> Option<Self> {
        match &record.body {
            RecordBody::Dispute(d) => Some(Self {
                state: d.view().state,
                category: d.dispute_category,
                risk: d.risk_level,
                reported_at: d.reported_at,
            }),
            _ => None,
        }
    }

    /// When the step the dispute waits in is due, by `table`.
    pub fn due_at(&self, table: &DeadlineTable) -> Option<Timestamp> {
        table.due_at(&self.state, self.category, self.risk, self.reported_at)
    }
}

/// The workflow columns' values: assignee user, assignee unit, supervised, level.
pub(crate) fn values(
    cols: Option<&DisputeCols>,
) -> (Option<&str>, Option<&str>, bool, Option<&'static str>) {
    match cols {
        None => (None, None, false, None),
        Some(c) => (
            c.state.assignee_user.as_deref(),
            c.state.assignee_unit.as_deref(),
            c.state.supervised,
            Some(c.state.level.as_str()),
        ),
    }
}

/// The state a dispute's row stands for, rebuilt from its columns: enough to decide which actions
/// an actor may take (`table::available`), without the document. Earlier handlers are not
/// columns: only log entries depend on them, and those are never a task's next action.
pub(crate) fn state_from_columns(
    status: DisputeStatus,
    assignee_user: Option<String>,
    assignee_unit: Option<String>,
    supervised: bool,
    level: Option<&str>,
) -> DisputeState {
    let mut s = DisputeState::initial(status);
    s.handlers = assignee_user.iter().cloned().collect();
    s.assignee_user = assignee_user;
    s.assignee_unit = assignee_unit;
    s.supervised = supervised;
    s.level = level
        .and_then(EscalationLevel::parse)
        .unwrap_or(EscalationLevel::Grid);
    s
}

impl Store {
    /// The deadline table this store works by.
    pub fn deadlines(&self) -> &DeadlineTable {
        &self.deadlines
    }

    /// Computes the workflow columns of every open dispute again when the stored due times were
    /// computed with another table than the store's (see the module's invariants). One
    /// transaction; a document that cannot be read keeps its row as it was.
    pub(crate) fn refresh_deadlines(&mut self) -> Result<(), StoreError> {
        let table = serde_json::to_string(&self.deadlines)
            .map_err(|e| StoreError::Automerge(e.to_string()))?;
        if self.meta("deadline_table")?.as_deref() == Some(table.as_str()) {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        let rows: Vec<(i64, Vec<u8>)> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT r.rowid, d.doc FROM records r JOIN documents d ON d.record_rowid = r.rowid
                 WHERE r.kind = 'dispute' AND r.deleted_at IS NULL AND r.quarantine IS NULL
                   AND r.status NOT IN ({FINISHED})"
            ))?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (rowid, bytes) in rows {
            let Some(cols) = load_record(&bytes)
                .ok()
                .and_then(|(_, r)| DisputeCols::of(&r))
            else {
                continue;
            };
            let (user, unit, supervised, level) = values(Some(&cols));
            tx.execute(
                "UPDATE records SET assignee_user = ?1, assignee_unit = ?2, supervised = ?3,
                     level = ?4, due_at = ?5 WHERE rowid = ?6",
                params![
                    user,
                    unit,
                    supervised,
                    level,
                    cols.due_at(&self.deadlines).map(|t| t.millis()),
                    rowid
                ],
            )?;
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('deadline_table', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [table],
        )?;
        tx.commit()?;
        Ok(())
    }
}

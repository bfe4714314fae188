//! The dispute closed loop on the device: taking an action (`Store::act`), the actions the signed-in
//! user may take now, and a dispute's workflow as the detail screen and `gridmate show` present it.
//!
//! Invariants: an action is checked against the role table (`workflow::permitted`) for the account
//! the store is bound to, with the state derived from the dispute's events, before anything is
//! written; the event it appends is saved like an edit (one Automerge change, the outbox and the
//! projection in one SQLite transaction). A refusal writes nothing and is a typed error with
//! field errors in both languages.

use gridmate_domain::workflow::deadline::is_overdue;
use gridmate_domain::workflow::{
    self, ActionRequest, Actor, DisputeState, Verdict, WorkflowEvent, table,
};
use gridmate_domain::{
    Record, RecordBody, RecordId, Role, Timestamp, ValidationErrors, WorkflowAction, area_covers,
};
use serde::Serialize;

use super::write::Op;
use super::{Store, StoreError};

/// A dispute's workflow as the detail screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct DisputeWorkflow {
    /// Every event, in document order (the order the fold reads them in).
    pub events: Vec<WorkflowEvent>,
    /// One verdict per event, same order: applied, or kept and flagged.
    pub verdicts: Vec<Verdict>,
    pub state: DisputeState,
    /// What the signed-in user may do now (empty when signed out or the record is deleted).
    pub available: Vec<WorkflowAction>,
    /// When the current step is due, by the store's deadline table.
    pub due_at: Option<Timestamp>,
    pub overdue: bool,
}

/// The account the store is bound to, as the role table sees it.
#[derive(Debug, Clone)]
pub(crate) struct Me {
    pub user: String,
    pub role: Role,
    pub unit: Option<String>,
    pub scope: Vec<String>,
}

impl Me {
    /// The actor for a dispute in `grid`.
    pub fn actor(&self, grid: &str) -> Actor<'_> {
        Actor {
            user: &self.user,
            role: self.role,
            unit: self.unit.as_deref(),
            in_scope: self.covers(grid),
        }
    }

    pub fn covers(&self, grid: &str) -> bool {
        self.scope.iter().any(|a| area_covers(a, grid))
    }
}

impl Store {
    /// The bound account with its role, scope and (when the server gave one) unit; `None` when
    /// the store is not bound or the binding names no known role.
    pub(crate) fn me(&self) -> Result<Option<Me>, StoreError> {
        let Some(b) = self.server_binding()? else {
            return Ok(None);
        };
        let Some(role) = Role::parse(&b.role) else {
            return Ok(None);
        };
        Ok(Some(Me {
            user: b.user,
            role,
            unit: b.unit.filter(|u| !u.is_empty()),
            scope: b.scope,
        }))
    }

    /// Takes a workflow action on a dispute as the bound account: checks it against the role
    /// table and the dispute's derived state, appends the event (a new UUIDv7, the account's name,
    /// role and unit, now) and saves it like an edit. Returns the record with its new status.
    pub fn act(&mut self, id: RecordId, req: ActionRequest) -> Result<Record, StoreError> {
        let (rowid, mut doc, old) = self.load_for_write(id)?;
        if old.meta.deleted_at.is_some() {
            return Err(StoreError::Deleted(id));
        }
        let RecordBody::Dispute(dispute) = &old.body else {
            return Err(StoreError::NotADispute(id));
        };
        let me = self.me()?.ok_or(StoreError::NoRole)?;
        let now = Timestamp::now();
        let action = req.action;
        let event =
            workflow::prepare_event(&me.actor(old.meta.grid_id.as_str()), dispute, req, now)
                .map_err(|d| StoreError::Refused(ValidationErrors(d.errors(action))))?;
        let new = workflow::with_event(&old, event, now);
        gridmate_domain::validate::validate_update(&old, &new, now).map_err(StoreError::Invalid)?;
        self.save_change(rowid, &mut doc, &old, &new, Op::Act, now)?;
        Ok(new)
    }

    /// The actions the bound account may take on a dispute now, in the role table's order. Empty
    /// for a deleted dispute or a store without a signed-in role.
    pub fn available_actions(&self, id: RecordId) -> Result<Vec<WorkflowAction>, StoreError> {
        let record = self.get(id)?;
        let RecordBody::Dispute(d) = &record.body else {
            return Err(StoreError::NotADispute(id));
        };
        self.available_for(&record, &d.view().state)
    }

    fn available_for(
        &self,
        record: &Record,
        state: &DisputeState,
    ) -> Result<Vec<WorkflowAction>, StoreError> {
        if record.meta.deleted_at.is_some() {
            return Ok(Vec::new());
        }
        Ok(match self.me()? {
            Some(me) => table::available(&me.actor(record.meta.grid_id.as_str()), state),
            None => Vec::new(),
        })
    }

    /// A dispute's events, their verdicts, its state, what the bound account may do, and its
    /// current step's deadline at `now`.
    pub fn dispute_workflow(
        &self,
        id: RecordId,
        now: Timestamp,
    ) -> Result<DisputeWorkflow, StoreError> {
        let record = self.get(id)?;
        let RecordBody::Dispute(d) = &record.body else {
            return Err(StoreError::NotADispute(id));
        };
        let view = d.view();
        let due_at =
            self.deadlines
                .due_at(&view.state, d.dispute_category, d.risk_level, d.reported_at);
        Ok(DisputeWorkflow {
            available: self.available_for(&record, &view.state)?,
            events: d.workflow.clone(),
            verdicts: view.verdicts,
            state: view.state,
            due_at,
            overdue: is_overdue(due_at, now),
        })
    }
}

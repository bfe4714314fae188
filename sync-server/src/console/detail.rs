//! One case as the console's detail drawer shows it: the record with every party's personal
//! fields masked, the derived workflow (state, deadline, each event with its verdict), the
//! mediation log, the actions this console user may take now, the history of changes with the
//! user the server authenticated for each, and the fields holding concurrent values.
//!
//! Invariants: a name, phone or ID number of a party (or a visited person's name) never leaves
//! here unmasked, in the record or in a conflict's values; only `reveal` (cases.rs, audited)
//! gives one plain value. Who wrote a change is the pusher the server authenticated
//! (`sync_changes.pushed_by`) or, for conflicts, the user the writing actor is bound to; never
//! a name a change message claims. Admins see the case but are offered no action.

use automerge::AutoCommit;
use gridmate_domain::document::changes::{
    HistoryOp, concurrent_values, created_fields, parse_op, touched_fields,
};
use gridmate_domain::document::is_document_chunk;
use gridmate_domain::privacy::{mask_id_number, mask_name, mask_phone};
use gridmate_domain::workflow::deadline::{DeadlineTable, is_overdue};
use gridmate_domain::workflow::table::available;
use gridmate_domain::workflow::{Actor, DisputeState, Verdict, WorkflowEvent};
use gridmate_domain::{Record, RecordBody, Role, SubjectKind, Timestamp, WorkflowAction};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use super::auth::ConsoleUser;
use crate::storage::StorageError;
use crate::sync::doc::{all_changes, decode_change, load_document};

/// Most history entries shown (the newest ones).
const MAX_HISTORY: usize = 500;

#[derive(Debug, Serialize)]
pub struct CaseDetail {
    pub id: String,
    pub kind: &'static str,
    pub grid_id: String,
    /// The record as JSON, personal fields masked.
    pub record: Value,
    /// The derived state of a dispute (absent for other kinds).
    pub workflow: Option<WorkflowSummary>,
    /// Every workflow event with what became of it.
    pub timeline: Vec<TimelineEntry>,
    /// The mediation log (`log` events).
    pub log: Vec<WorkflowEvent>,
    /// The workflow actions this user may take now.
    pub actions: Vec<WorkflowAction>,
    pub history: Vec<HistoryItem>,
    pub conflicts: Vec<ConflictItem>,
}

#[derive(Debug, Serialize)]
pub struct WorkflowSummary {
    #[serde(flatten)]
    pub state: DisputeState,
    /// The running step's deadline (UTC ms), derived from the server's deadline table.
    pub due_at_derived: Option<i64>,
    pub overdue: bool,
}

#[derive(Debug, Serialize)]
pub struct TimelineEntry {
    #[serde(flatten)]
    pub event: WorkflowEvent,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Debug, Serialize)]
pub struct HistoryItem {
    pub seq: i64,
    /// When the server accepted the change (UTC ms).
    pub received_at: i64,
    /// When the writer's device says it wrote the change (UTC ms, device clock).
    pub written_at: i64,
    /// The user the server authenticated the push as.
    pub by: Option<String>,
    pub device: String,
    pub op: HistoryOp,
    pub fields: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ConflictItem {
    pub field: String,
    pub values: Vec<ConflictValue>,
}

#[derive(Debug, Serialize)]
pub struct ConflictValue {
    pub value: Value,
    pub by: Option<String>,
}

/// Builds the detail of a record stored at `rowid`, whose document is `doc`.
pub fn build(
    conn: &Connection,
    rowid: i64,
    doc: &mut AutoCommit,
    record: &Record,
    user: &ConsoleUser,
    (deadlines, now): (&DeadlineTable, Timestamp),
) -> Result<CaseDetail, StorageError> {
    let (mut workflow, mut timeline, mut log, mut actions) = (None, vec![], vec![], vec![]);
    if let RecordBody::Dispute(d) = &record.body {
        let view = d.view();
        let due = deadlines.due_at(&view.state, d.dispute_category, d.risk_level, d.reported_at);
        for (event, verdict) in d.workflow.iter().zip(view.verdicts) {
            if event.action == WorkflowAction::Log {
                log.push(event.clone());
            }
            timeline.push(TimelineEntry {
                event: event.clone(),
                verdict,
            });
        }
        if user.role == Role::Dispatcher && record.meta.deleted_at.is_none() {
            let actor = Actor {
                user: &user.user_name,
                role: user.role,
                unit: user.unit.as_deref(),
                in_scope: true,
            };
            actions = available(&actor, &view.state);
        }
        workflow = Some(WorkflowSummary {
            due_at_derived: due.map(Timestamp::millis),
            overdue: is_overdue(due, now),
            state: view.state,
        });
    }
    Ok(CaseDetail {
        id: record.meta.id.to_string(),
        kind: record.kind().as_str(),
        grid_id: record.meta.grid_id.as_str().to_owned(),
        record: masked_json(record),
        workflow,
        timeline,
        log,
        actions,
        history: history(conn, rowid, doc)?,
        conflicts: conflicts(conn, doc)?,
    })
}

/// The record as JSON with parties' names, phones and ID numbers (and a visited person's name)
/// masked.
pub fn masked_json(record: &Record) -> Value {
    let mut r = record.clone();
    match &mut r.body {
        RecordBody::Dispute(d) => {
            for p in &mut d.parties {
                p.name = p.name.as_deref().map(mask_name);
                p.phone = p.phone.as_deref().map(mask_phone);
                p.id_number = p.id_number.as_deref().map(mask_id_number);
            }
        }
        RecordBody::PatrolVisit(v) if v.subject_kind == SubjectKind::Person => {
            v.subject_name = v.subject_name.as_deref().map(mask_name);
        }
        _ => {}
    }
    serde_json::to_value(&r).unwrap_or(Value::Null)
}

/// A conflict's value masked when its field is personal (`parties[i].phone`, `subject_name`).
fn mask_value(field: &str, v: Value) -> Value {
    let Value::String(s) = &v else { return v };
    let leaf = field.rsplit('.').next().unwrap_or(field);
    let personal = field.starts_with("parties[") || field == "subject_name";
    match (personal, leaf) {
        (true, "name" | "subject_name") => Value::String(mask_name(s)),
        (true, "phone") => Value::String(mask_phone(s)),
        (true, "id_number") => Value::String(mask_id_number(s)),
        _ => v,
    }
}

/// A logged change: seq, bytes, received_at, pusher's name, device.
type LoggedChange = (i64, Vec<u8>, i64, Option<String>, String);

/// The changes of the record, oldest first (the newest [`MAX_HISTORY`]), with the user the
/// server authenticated for each push.
fn history(
    conn: &Connection,
    rowid: i64,
    doc: &mut AutoCommit,
) -> Result<Vec<HistoryItem>, StorageError> {
    let rows: Vec<LoggedChange> = conn
        .prepare_cached(
            "SELECT c.seq, c.bytes, c.received_at, u.name, c.pushed_device
               FROM sync_changes c LEFT JOIN users u ON u.id = c.pushed_by
              WHERE c.record_rowid = ?1 ORDER BY c.seq DESC LIMIT ?2",
        )?
        .query_map(params![rowid, MAX_HISTORY as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for (seq, bytes, received_at, by, device) in rows.into_iter().rev() {
        // A new record's first change may be logged as the one-change document chunk it came in.
        let change = if is_document_chunk(&bytes) {
            load_document(&bytes)
                .as_mut()
                .and_then(all_changes)
                .and_then(|mut c| c.pop())
        } else {
            decode_change(&bytes)
        };
        let Some(change) = change else {
            continue;
        };
        let op = parse_op(change.message());
        let patches = doc.diff(change.deps(), &[change.hash()]);
        out.push(HistoryItem {
            seq,
            received_at,
            written_at: change.timestamp().saturating_mul(1000),
            by,
            device,
            op,
            fields: if op == HistoryOp::Create {
                created_fields(&patches)
            } else {
                touched_fields(&patches)
            },
        });
    }
    Ok(out)
}

/// Fields holding concurrent values, each value masked where personal, with the user its
/// writing actor is bound to.
fn conflicts(conn: &Connection, doc: &mut AutoCommit) -> Result<Vec<ConflictItem>, StorageError> {
    let mut author = conn.prepare_cached(
        "SELECT u.name FROM sync_actors a JOIN users u ON u.id = a.user_id WHERE a.actor = ?1",
    )?;
    let mut out = Vec::new();
    for (field, values) in concurrent_values(&*doc) {
        let mut vals = Vec::with_capacity(values.len());
        for (value, opid) in values {
            let actor = doc
                .hash_for_opid(&opid)
                .and_then(|h| doc.get_change_meta_by_hash(&h))
                .map(|m| m.actor.to_bytes().to_vec());
            let by = match actor {
                Some(a) => author.query_row([a], |r| r.get(0)).optional()?,
                None => None,
            };
            vals.push(ConflictValue {
                value: mask_value(&field, value),
                by,
            });
        }
        out.push(ConflictItem {
            field,
            values: vals,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_conflict_values_are_masked() {
        let s = |x: &str| Value::String(x.to_owned());
        assert_eq!(
            mask_value("parties[0].phone", s("13812345678")),
            s("138****5678")
        );
        assert_eq!(mask_value("parties[1].name", s("张三丰")), s("张**"));
        assert_eq!(mask_value("subject_name", s("李四")), s("李*"));
        assert_eq!(mask_value("summary", s("张三丰")), s("张三丰"));
        assert_eq!(
            mask_value("parties[0].role", s("applicant")),
            s("applicant")
        );
    }
}

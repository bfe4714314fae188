//! A dispute's workflow events in its document: the list `workflow`, one element per event, each
//! a string holding the event as compact JSON (absent details left out). An event is written once
//! and never changed, so it needs no per-field merging: one scalar per event keeps the document
//! small and a read to one pass over the list. The list is append-only: a writer only inserts at
//! its end, so an event always follows the events its author had seen.
//!
//! Reading works on the current document or as of given heads (what the author of a change had
//! seen: `workflow::verify` uses it), and refuses any element that is not an event of the schema
//! (unknown keys included) with a typed `SchemaError`. A document without the list (a record
//! written before the workflow) has no events.

use automerge::transaction::Transactable;
use automerge::{
    AutoCommit, AutomergeError, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};

use super::SchemaError;
use crate::workflow::WorkflowEvent;

pub(crate) const KEY: &str = "workflow";

/// The workflow events of `doc`, now (`heads` = None) or as of `heads`.
pub fn read_events<D: ReadDoc>(
    doc: &D,
    heads: Option<&[ChangeHash]>,
) -> Result<Vec<WorkflowEvent>, SchemaError> {
    // Two replicas that each gave a record written before the workflow its first event made two
    // lists under one key: every one of them is read (in Automerge's conflict order), so no event
    // is lost; writers append to the winning list.
    let values = match heads {
        None => doc.get_all(&ROOT, KEY),
        Some(h) => doc.get_all_at(&ROOT, KEY, h),
    }
    .map_err(|e| am(KEY, &e))?;
    let mut events = Vec::new();
    for (value, id) in values {
        match value {
            Value::Scalar(s) if s.is_null() => {}
            Value::Object(ObjType::List) => read_list(doc, &id, heads, &mut events)?,
            _ => return Err(wrong(KEY, "a list")),
        }
    }
    Ok(events)
}

fn read_list<D: ReadDoc>(
    doc: &D,
    list: &ObjId,
    heads: Option<&[ChangeHash]>,
    out: &mut Vec<WorkflowEvent>,
) -> Result<(), SchemaError> {
    let items: Vec<Option<String>> = match heads {
        None => doc.list_range(list, ..).map(text_of).collect(),
        Some(h) => doc.list_range_at(list, .., h).map(text_of).collect(),
    };
    if out.len() + items.len() > crate::workflow::MAX_EVENTS {
        return Err(SchemaError::InvalidValue {
            field: KEY.to_owned(),
            detail: format!("more than {} events", crate::workflow::MAX_EVENTS),
        });
    }
    for item in items {
        let path = format!("{KEY}[{}]", out.len());
        let json = item.ok_or_else(|| wrong(&path, "an event (JSON string)"))?;
        let ev = serde_json::from_str::<WorkflowEvent>(&json).map_err(|e| {
            SchemaError::InvalidValue {
                field: path,
                detail: e.to_string(),
            }
        })?;
        out.push(ev);
    }
    Ok(())
}

fn text_of(item: automerge::iter::ListRangeItem<'_>) -> Option<String> {
    match item.value {
        automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

/// An event as stored: JSON without the details that are not set.
pub(crate) fn event_json(ev: &WorkflowEvent) -> String {
    let mut v = serde_json::to_value(ev).unwrap_or_default();
    if let Some(serde_json::Value::Object(d)) = v.get_mut("details") {
        d.retain(|_, x| !x.is_null());
    }
    if let serde_json::Value::Object(o) = &mut v {
        o.retain(|_, x| !x.is_null());
    }
    v.to_string()
}

/// Appends the events of `new` that `old` does not hold (by id) at the end of the list, creating
/// the list when the document has none.
pub(super) fn append_events(
    doc: &mut AutoCommit,
    old: &[WorkflowEvent],
    new: &[WorkflowEvent],
) -> Result<(), AutomergeError> {
    let fresh: Vec<&WorkflowEvent> = new
        .iter()
        .filter(|n| !old.iter().any(|o| o.id == n.id))
        .collect();
    let list = match doc.get(ROOT, KEY)? {
        Some((Value::Object(ObjType::List), id)) => id,
        _ => doc.put_object(ROOT, KEY, ObjType::List)?,
    };
    for ev in fresh {
        let at = doc.length(&list);
        doc.insert(&list, at, ScalarValue::Str(event_json(ev).into()))?;
    }
    Ok(())
}

fn am(field: &str, e: &AutomergeError) -> SchemaError {
    SchemaError::Automerge {
        field: field.to_owned(),
        detail: e.to_string(),
    }
}

fn wrong(field: &str, expected: &'static str) -> SchemaError {
    SchemaError::WrongType {
        field: field.to_owned(),
        expected,
    }
}

//! A dispute's workflow events in its document: the list `workflow` of maps, one per event, with
//! the event's header (`id`, `action`, `by`, `role`, `at`, optional `by_unit`) and the details that
//! are set, each a scalar (absent details are absent keys). The list is append-only: a writer only
//! inserts at its end, so an event always follows the events its author had seen.
//!
//! Reading works on the current document or as of given heads (what the author of a change had
//! seen: `verify` uses it), and refuses any element that is not an event with a typed
//! `SchemaError`. A document without the list (a record written before the workflow) has none.

use std::collections::HashMap;

use automerge::transaction::Transactable;
use automerge::{
    AutoCommit, AutomergeError, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};

use super::SchemaError;
use crate::enums::*;
use crate::time::Timestamp;
use crate::workflow::{EventDetails, WorkflowEvent};

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
    let len = match heads {
        None => doc.length(list),
        Some(h) => doc.length_at(list, h),
    };
    if out.len() + len > crate::workflow::MAX_EVENTS {
        return Err(SchemaError::InvalidValue {
            field: KEY.to_owned(),
            detail: format!("more than {} events", crate::workflow::MAX_EVENTS),
        });
    }
    for i in 0..len {
        let path = format!("{KEY}[{}]", out.len());
        let el = match heads {
            None => doc.get(list, i),
            Some(h) => doc.get_at(list, i, h),
        }
        .map_err(|e| am(&path, &e))?;
        match el {
            Some((Value::Object(ObjType::Map), id)) => {
                let fields = scalars(doc, &id, heads, &path)?;
                out.push(event(&fields, &path)?);
            }
            _ => return Err(wrong(&path, "a map")),
        }
    }
    Ok(())
}

fn scalars<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    heads: Option<&[ChangeHash]>,
    path: &str,
) -> Result<HashMap<String, ScalarValue>, SchemaError> {
    let items: Vec<_> = match heads {
        None => doc.map_range(obj, ..).collect(),
        Some(h) => doc.map_range_at(obj, .., h).collect(),
    };
    let mut out = HashMap::with_capacity(items.len());
    for item in items {
        let key = item.key.into_owned();
        match item.value.into_value() {
            Value::Scalar(s) => {
                out.insert(key, s.into_owned());
            }
            Value::Object(_) => return Err(wrong(&format!("{path}.{key}"), "a scalar")),
        }
    }
    Ok(out)
}

const DETAIL_KEYS: [&str; 16] = [
    "note",
    "not_accepted_reason",
    "duplicate_of",
    "assignee_user",
    "assignee_unit",
    "due_at",
    "return_reason",
    "resolution_method",
    "outcome",
    "terms",
    "referral",
    "level",
    "satisfaction",
    "log_kind",
    "attendees",
    "occurred_at",
];
const HEADER_KEYS: [&str; 6] = ["id", "action", "by", "role", "by_unit", "at"];

struct Ev<'a> {
    f: &'a HashMap<String, ScalarValue>,
    path: &'a str,
}

impl Ev<'_> {
    fn p(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, SchemaError> {
        match self.f.get(key) {
            None | Some(ScalarValue::Null) => Ok(None),
            Some(ScalarValue::Str(s)) => Ok(Some(s.to_string())),
            Some(_) => Err(wrong(&self.p(key), "a string")),
        }
    }

    fn str(&self, key: &str) -> Result<String, SchemaError> {
        self.opt_str(key)?
            .ok_or_else(|| SchemaError::Missing(self.p(key)))
    }

    fn opt_enum<T>(
        &self,
        key: &str,
        parse: fn(&str) -> Option<T>,
    ) -> Result<Option<T>, SchemaError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => parse(&s).map(Some).ok_or_else(|| invalid(&self.p(key), &s)),
        }
    }

    fn enumeration<T>(&self, key: &str, parse: fn(&str) -> Option<T>) -> Result<T, SchemaError> {
        self.opt_enum(key, parse)?
            .ok_or_else(|| SchemaError::Missing(self.p(key)))
    }

    fn opt_ts(&self, key: &str) -> Result<Option<Timestamp>, SchemaError> {
        match self.f.get(key) {
            None | Some(ScalarValue::Null) => Ok(None),
            Some(ScalarValue::Timestamp(ms)) => Timestamp::from_millis(*ms)
                .map(Some)
                .ok_or_else(|| invalid(&self.p(key), &ms.to_string())),
            Some(_) => Err(wrong(&self.p(key), "a timestamp")),
        }
    }
}

fn event(f: &HashMap<String, ScalarValue>, path: &str) -> Result<WorkflowEvent, SchemaError> {
    if let Some(k) = f
        .keys()
        .find(|k| !HEADER_KEYS.contains(&k.as_str()) && !DETAIL_KEYS.contains(&k.as_str()))
    {
        return Err(invalid(&format!("{path}.{k}"), "unknown key"));
    }
    let e = Ev { f, path };
    let duplicate_of = match e.opt_str("duplicate_of")? {
        None => None,
        Some(s) => Some(s.parse().map_err(|_| invalid(&e.p("duplicate_of"), &s))?),
    };
    Ok(WorkflowEvent {
        id: e.str("id")?,
        action: e.enumeration("action", WorkflowAction::parse)?,
        by: e.str("by")?,
        role: e.enumeration("role", Role::parse)?,
        by_unit: e.opt_str("by_unit")?,
        at: e
            .opt_ts("at")?
            .ok_or_else(|| SchemaError::Missing(e.p("at")))?,
        details: EventDetails {
            note: e.opt_str("note")?,
            not_accepted_reason: e.opt_enum("not_accepted_reason", NotAcceptedReason::parse)?,
            duplicate_of,
            assignee_user: e.opt_str("assignee_user")?,
            assignee_unit: e.opt_str("assignee_unit")?,
            due_at: e.opt_ts("due_at")?,
            return_reason: e.opt_enum("return_reason", ReturnReason::parse)?,
            resolution_method: e.opt_enum("resolution_method", ResolutionMethod::parse)?,
            outcome: e.opt_enum("outcome", ResolutionOutcome::parse)?,
            terms: e.opt_str("terms")?,
            referral: e.opt_enum("referral", Referral::parse)?,
            level: e.opt_enum("level", EscalationLevel::parse)?,
            satisfaction: e.opt_enum("satisfaction", Satisfaction::parse)?,
            log_kind: e.opt_enum("log_kind", LogKind::parse)?,
            attendees: e.opt_str("attendees")?,
            occurred_at: e.opt_ts("occurred_at")?,
        },
    })
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
        let obj = doc.insert_object(&list, at, ObjType::Map)?;
        write_event(doc, &obj, ev)?;
    }
    Ok(())
}

fn write_event(
    doc: &mut AutoCommit,
    obj: &ObjId,
    ev: &WorkflowEvent,
) -> Result<(), AutomergeError> {
    let d = &ev.details;
    let strs: [(&str, Option<&str>); 18] = [
        ("id", Some(&ev.id)),
        ("action", Some(ev.action.as_str())),
        ("by", Some(&ev.by)),
        ("role", Some(ev.role.as_str())),
        ("by_unit", ev.by_unit.as_deref()),
        ("note", d.note.as_deref()),
        (
            "not_accepted_reason",
            d.not_accepted_reason.map(|x| x.as_str()),
        ),
        ("assignee_user", d.assignee_user.as_deref()),
        ("assignee_unit", d.assignee_unit.as_deref()),
        ("return_reason", d.return_reason.map(|x| x.as_str())),
        ("resolution_method", d.resolution_method.map(|x| x.as_str())),
        ("outcome", d.outcome.map(|x| x.as_str())),
        ("terms", d.terms.as_deref()),
        ("referral", d.referral.map(|x| x.as_str())),
        ("level", d.level.map(|x| x.as_str())),
        ("satisfaction", d.satisfaction.map(|x| x.as_str())),
        ("log_kind", d.log_kind.map(|x| x.as_str())),
        ("attendees", d.attendees.as_deref()),
    ];
    for (k, v) in strs {
        if let Some(v) = v {
            doc.put(obj, k, v)?;
        }
    }
    if let Some(r) = d.duplicate_of {
        doc.put(obj, "duplicate_of", r.to_string())?;
    }
    for (k, t) in [
        ("at", Some(ev.at)),
        ("due_at", d.due_at),
        ("occurred_at", d.occurred_at),
    ] {
        if let Some(t) = t {
            doc.put(obj, k, ScalarValue::Timestamp(t.millis()))?;
        }
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

fn invalid(field: &str, value: &str) -> SchemaError {
    let shown: String = value.chars().take(40).collect();
    SchemaError::InvalidValue {
        field: field.to_owned(),
        detail: format!("`{shown}`"),
    }
}

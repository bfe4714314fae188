//! What each change of a record's document did, for histories (the device's `gridmate history`,
//! the console's case history): the operation its message names and the field paths it touched,
//! from Automerge's diff between the change's dependencies and the change itself.
//!
//! Invariant: the user a message claims is never read here: who wrote a change is the author the
//! server authenticated, which the callers know.

use automerge::{ObjId, Patch, PatchAction, Prop, ROOT, ReadDoc, Value};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HistoryOp {
    Create,
    Edit,
    Delete,
    /// A workflow action on a dispute (an event appended to its `workflow`).
    Act,
    /// A change written by something that did not name its operation.
    Other,
}

/// The operation a change message names (`gridmate:<op>:<claimed user>`); the claimed user is
/// ignored (see the module header).
pub fn parse_op(msg: Option<&str>) -> HistoryOp {
    let Some(rest) = msg.and_then(|m| m.strip_prefix("gridmate:")) else {
        return HistoryOp::Other;
    };
    match rest.split_once(':').map_or(rest, |(op, _)| op) {
        "create" => HistoryOp::Create,
        "edit" => HistoryOp::Edit,
        "delete" => HistoryOp::Delete,
        "act" => HistoryOp::Act,
        _ => HistoryOp::Other,
    }
}

/// The field path of each patch: the path to the object, plus the key it touched when the object
/// is a map. Text splices and list inserts report the text or list field itself.
pub fn touched_fields(patches: &[Patch]) -> Vec<String> {
    let mut fields: Vec<String> = patches
        .iter()
        .map(|p| {
            let mut path = String::new();
            for (_, prop) in &p.path {
                push_prop(&mut path, prop);
            }
            match &p.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    push_prop(&mut path, &Prop::Map(key.clone()))
                }
                PatchAction::Conflict { prop } => push_prop(&mut path, prop),
                _ => {}
            }
            // Report list elements by their list field: `parties[1].phone` stays, but an insert
            // into `hazards` is `hazards`. Workflow events are only ever appended whole: an
            // action is `workflow`, not each key of its event.
            if path.starts_with("workflow[") {
                "workflow".to_owned()
            } else {
                path
            }
        })
        .filter(|p| !p.is_empty())
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

/// For a creation: the top-level fields the user filled in (not the app-set ones, not the empty
/// or absent optionals), e.g. `address, findings, subject_kind, visited_at`.
pub fn created_fields(patches: &[Patch]) -> Vec<String> {
    const APP_SET: [&str; 7] = [
        "id",
        "kind",
        "schema_version",
        "created_by",
        "created_at",
        "updated_at",
        "deleted_at",
    ];
    let mut fields: Vec<String> = patches
        .iter()
        .filter_map(|p| match (p.path.first(), &p.action) {
            // Something inside a field (a text's characters, a list's elements): the field has content.
            (Some((_, Prop::Map(k))), _) => Some(k.clone()),
            (
                None,
                PatchAction::PutMap {
                    key, value: (v, _), ..
                },
            ) => match v {
                automerge::Value::Scalar(s) if s.is_null() => None,
                automerge::Value::Scalar(s)
                    if matches!(s.as_ref(), automerge::ScalarValue::Boolean(false)) =>
                {
                    None
                }
                automerge::Value::Scalar(_) => Some(key.clone()),
                automerge::Value::Object(_) => None, // counted only if something was put inside
            },
            _ => None,
        })
        .filter(|k| !APP_SET.contains(&k.as_str()))
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

fn push_prop(path: &mut String, prop: &Prop) {
    match prop {
        Prop::Map(k) => {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(k);
        }
        Prop::Seq(i) => path.push_str(&format!("[{i}]")),
    }
}

/// Every field of a document that holds concurrent values (field path, e.g. `risk_level`,
/// `parties[1].phone`), each value as JSON with the operation that wrote it, winner last.
pub fn concurrent_values<D: ReadDoc>(doc: &D) -> Vec<(String, Vec<(serde_json::Value, ObjId)>)> {
    let mut found: Vec<(String, Vec<(Value<'static>, ObjId)>)> = Vec::new();
    collect(doc, &ROOT, String::new(), &mut found);
    found
        .into_iter()
        .map(|(field, values)| {
            let values = values
                .into_iter()
                .map(|(v, id)| (to_json(doc, &v, &id), id))
                .collect();
            (field, values)
        })
        .collect()
}

fn collect<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    path: String,
    out: &mut Vec<(String, Vec<(Value<'static>, ObjId)>)>,
) {
    for key in doc.keys(obj) {
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        let all: Vec<(Value<'static>, ObjId)> = match doc.get_all(obj, key.as_str()) {
            Ok(v) => v.into_iter().map(|(v, id)| (v.into_owned(), id)).collect(),
            Err(_) => continue,
        };
        if all.len() > 1 {
            out.push((field.clone(), all.clone()));
        }
        // Structured list elements (parties, volunteers) can conflict field by field.
        if let Some((Value::Object(automerge::ObjType::List), list)) =
            all.last().map(|(v, id)| (v.clone(), id.clone()))
        {
            for i in 0..doc.length(&list) {
                if let Ok(Some((Value::Object(automerge::ObjType::Map), el))) = doc.get(&list, i) {
                    collect(doc, &el, format!("{field}[{i}]"), out);
                }
            }
        }
    }
}

fn to_json<D: ReadDoc>(doc: &D, v: &Value<'_>, id: &ObjId) -> serde_json::Value {
    match v {
        Value::Scalar(s) => match s.as_ref() {
            automerge::ScalarValue::Str(s) => serde_json::Value::String(s.to_string()),
            automerge::ScalarValue::Int(n) => (*n).into(),
            automerge::ScalarValue::Uint(n) => (*n).into(),
            automerge::ScalarValue::F64(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or_default(),
            automerge::ScalarValue::Boolean(b) => (*b).into(),
            automerge::ScalarValue::Timestamp(ms) => crate::time::Timestamp::from_millis(*ms)
                .map(|t| serde_json::Value::String(t.to_rfc3339()))
                .unwrap_or_default(),
            _ => serde_json::Value::Null,
        },
        Value::Object(automerge::ObjType::Text) => doc
            .text(id)
            .map(serde_json::Value::String)
            .unwrap_or_default(),
        Value::Object(_) => serde_json::Value::String("…".into()),
    }
}

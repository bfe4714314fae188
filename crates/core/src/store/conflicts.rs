//! Concurrent values of one field: when two people changed the same field without seeing each
//! other's change, Automerge keeps both and picks one deterministically. The record shows the
//! winner; this view lists every value with who wrote it and when, so the user can see what the
//! other person wrote (and decide, by editing, which stays).

use automerge::{ObjId, ROOT, ReadDoc, Value};
use gridmate_domain::{RecordId, Timestamp};
use serde::Serialize;

use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct ConflictValue {
    pub value: serde_json::Value,
    /// Who wrote it, as the history names authors (`history.rs`): never a change message's claim.
    pub by: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct Conflict {
    /// Field path, e.g. `risk_level`, `parties[1].phone`.
    pub field: String,
    pub values: Vec<ConflictValue>,
}

impl Store {
    /// Fields of a record that hold concurrent values.
    pub fn conflicts(&self, id: RecordId) -> Result<Vec<Conflict>, StoreError> {
        let (_, mut doc, _) = self.load_for_write(id)?;
        let mut found: Vec<(String, Vec<(Value<'static>, automerge::ObjId)>)> = Vec::new();
        collect(&doc, &ROOT, String::new(), &mut found);
        let mut out = Vec::new();
        for (field, values) in found {
            let mut vals = Vec::new();
            for (v, opid) in values {
                let (by, at) = match doc
                    .hash_for_opid(&opid)
                    .and_then(|h| doc.get_change_meta_by_hash(&h))
                {
                    Some(m) => (
                        self.author_of(&m.actor.to_hex_string())?,
                        Timestamp::from_millis(m.timestamp.saturating_mul(1000))
                            .unwrap_or(Timestamp::now()),
                    ),
                    None => (None, Timestamp::now()),
                };
                vals.push(ConflictValue {
                    value: to_json(&doc, &v, &opid),
                    by,
                    at,
                });
            }
            out.push(Conflict {
                field,
                values: vals,
            });
        }
        Ok(out)
    }
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
            automerge::ScalarValue::Timestamp(ms) => Timestamp::from_millis(*ms)
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

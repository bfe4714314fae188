//! The history of a record, read from its document's changes: for each change, who (from the
//! change message the writer left), when (the writer's clock), what operation, and which fields it
//! touched (from Automerge's diff between the change's dependencies and the change itself).
//! Times are device clocks; the server keeps its own receipt times and authenticated pushers.

use automerge::{Patch, PatchAction, Prop};
use gridmate_domain::{RecordId, Timestamp};
use serde::Serialize;

use super::{Store, StoreError};

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

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct HistoryEntry {
    /// The change hash, hex.
    pub change: String,
    pub at: Timestamp,
    /// The user named in the change message, or `None` for a foreign writer.
    pub by: Option<String>,
    /// The writing actor (hex), which tells two devices of one user apart.
    pub actor: String,
    pub op: HistoryOp,
    /// Field paths touched, e.g. `summary`, `parties[1].phone`; sorted, unique.
    pub fields: Vec<String>,
}

impl Store {
    /// The changes of a record, oldest first (a topological order: a change after its deps).
    pub fn history(&self, id: RecordId) -> Result<Vec<HistoryEntry>, StoreError> {
        let (_, mut doc, _) = self.load_for_write(id)?;
        let metas: Vec<_> = doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|m| m.into_owned())
            .collect();
        let mut out = Vec::with_capacity(metas.len());
        for m in metas {
            let (op, by) = parse_message(m.message.as_deref());
            let patches = doc.diff(&m.deps, &[m.hash]);
            out.push(HistoryEntry {
                change: m.hash.to_string(),
                at: Timestamp::from_millis(m.timestamp.saturating_mul(1000))
                    .unwrap_or(Timestamp::now()),
                by,
                actor: m.actor.to_hex_string(),
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
}

fn parse_message(msg: Option<&str>) -> (HistoryOp, Option<String>) {
    let Some(rest) = msg.and_then(|m| m.strip_prefix("gridmate:")) else {
        return (HistoryOp::Other, None);
    };
    let (op, user) = rest.split_once(':').unwrap_or((rest, ""));
    let op = match op {
        "create" => HistoryOp::Create,
        "edit" => HistoryOp::Edit,
        "delete" => HistoryOp::Delete,
        "act" => HistoryOp::Act,
        _ => HistoryOp::Other,
    };
    (op, (!user.is_empty()).then(|| user.to_owned()))
}

/// The field path of each patch: the path to the object, plus the key it touched when the object
/// is a map. Text splices and list inserts report the text or list field itself.
fn touched_fields(patches: &[Patch]) -> Vec<String> {
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
fn created_fields(patches: &[Patch]) -> Vec<String> {
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

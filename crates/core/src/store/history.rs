//! The history of a record, read from its document's changes: for each change, who, when (the
//! writer's clock), what operation (from the change message), and which fields it touched (from
//! Automerge's diff between the change's dependencies and the change itself).
//!
//! Who wrote a change is never taken from its message (a device can write any name there): it is
//! the user the server authenticated the change's actor as (`change_authors`, from pulls), or,
//! for an actor of this store the server has not named (unsent or unconfirmed local work), the
//! store's own user; otherwise unknown. Times are device clocks.

use std::collections::HashMap;

use automerge::{Patch, PatchAction, Prop};
use gridmate_domain::{RecordId, Timestamp};
use rusqlite::OptionalExtension;
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
    /// The user the server authenticated the change as; this store's user for its own changes
    /// the server has not named yet; `None` when unknown (e.g. pulled before the server named
    /// authors). Never the name a change message claims.
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
        let mut authors: HashMap<automerge::ActorId, Option<String>> = HashMap::new();
        for m in metas {
            let op = parse_op(m.message.as_deref());
            let by = match authors.get(&m.actor) {
                Some(by) => by.clone(),
                None => {
                    let by = self.author_of(&m.actor.to_hex_string())?;
                    authors.insert(m.actor.clone().into_owned(), by.clone());
                    by
                }
            };
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

    /// The author of an actor's changes: the server's word, else this store's user when the actor
    /// is one this store wrote with, else unknown.
    pub(super) fn author_of(&self, actor_hex: &str) -> Result<Option<String>, StoreError> {
        let named: Option<String> = self
            .conn
            .prepare_cached("SELECT user FROM change_authors WHERE actor = ?1")?
            .query_row([actor_hex], |r| r.get(0))
            .optional()?;
        if named.is_some() {
            return Ok(named);
        }
        let ours: bool = self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM actors WHERE actor = ?1)")?
            .query_row([actor_hex], |r| r.get(0))?;
        Ok(ours.then(|| self.user.clone()))
    }
}

#[cfg(test)]
impl Store {
    /// What a server would name as the authors of `doc`'s actors, as far as this store knows them
    /// (for tests that hand one store's changes to another as a pull page).
    pub(crate) fn authors_for(
        &self,
        doc: &mut automerge::AutoCommit,
    ) -> Vec<gridmate_domain::wire::Author> {
        let mut out: Vec<gridmate_domain::wire::Author> = Vec::new();
        for m in doc.get_changes_meta(&[]) {
            let actor = m.actor.to_bytes().to_vec();
            if out.iter().any(|a| a.actor == actor) {
                continue;
            }
            if let Ok(Some(user)) = self.author_of(&m.actor.to_hex_string()) {
                out.push(gridmate_domain::wire::Author { actor, user });
            }
        }
        out
    }
}

/// The operation a change message names (`gridmate:<op>:<claimed user>`); the claimed user is
/// ignored (see the module header).
fn parse_op(msg: Option<&str>) -> HistoryOp {
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

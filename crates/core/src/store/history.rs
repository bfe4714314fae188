//! The history of a record, read from its document's changes: for each change, who, when (the
//! writer's clock), what operation (from the change message), and which fields it touched (from
//! Automerge's diff between the change's dependencies and the change itself).
//!
//! Who wrote a change is never taken from its message (a device can write any name there): it is
//! the user the server authenticated the change's actor as (`change_authors`, from pulls), or,
//! for an actor of this store the server has not named (unsent or unconfirmed local work), the
//! store's own user; otherwise unknown. Times are device clocks.

use std::collections::HashMap;

pub use gridmate_domain::document::changes::HistoryOp;
use gridmate_domain::document::changes::{created_fields, parse_op, touched_fields};
use gridmate_domain::{RecordId, Timestamp};
use rusqlite::OptionalExtension;
use serde::Serialize;

use super::{Store, StoreError};

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

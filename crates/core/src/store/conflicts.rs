//! Concurrent values of one field: when two people changed the same field without seeing each
//! other's change, Automerge keeps both and picks one deterministically. The record shows the
//! winner; this view lists every value with who wrote it and when, so the user can see what the
//! other person wrote (and decide, by editing, which stays).

use gridmate_domain::document::changes::concurrent_values;
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
        let found = concurrent_values(&doc);
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
                vals.push(ConflictValue { value: v, by, at });
            }
            out.push(Conflict {
                field,
                values: vals,
            });
        }
        Ok(out)
    }
}

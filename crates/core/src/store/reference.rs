//! The reference data the device keeps (areas with their names, units, colleagues, the deadline
//! table; `gridmate_domain::reference`), so that it shows names and computes deadlines offline.
//! Kept as one JSON document under the `meta` key `reference_data`, replaced whole when a newer
//! copy arrives.
//!
//! Invariant: the store's deadline table is the stored copy's, or the default table while there
//! is none; storing a copy with another table computes every open dispute's due time again.

use gridmate_domain::reference::ReferenceData;

use super::{Store, StoreError};

/// The `meta` key holding the reference data's JSON.
pub const REFERENCE_KEY: &str = "reference_data";

impl Store {
    /// The last reference data stored, if any. A stored copy this version cannot read counts as
    /// none (the next copy replaces it).
    pub fn reference_data(&self) -> Result<Option<ReferenceData>, StoreError> {
        Ok(self
            .meta(REFERENCE_KEY)?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }

    /// Stores a copy of the reference data, and works by its deadline table from now on.
    pub fn set_reference_data(&mut self, data: &ReferenceData) -> Result<(), StoreError> {
        let json = serde_json::to_string(data).map_err(|e| StoreError::Automerge(e.to_string()))?;
        self.set_meta(REFERENCE_KEY, &json)?;
        self.deadlines = data.deadlines.clone();
        self.refresh_deadlines()
    }
}

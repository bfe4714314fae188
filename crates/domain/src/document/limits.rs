//! How large a record's history may grow. An Automerge document keeps every change ever made to
//! it: text typed and deleted again stays as operations, a value overwritten stays as bytes. A
//! record's *current* content is bounded by the validation rules, its history is not, so a small
//! push (zstd compresses repetition well) could make the server store, and every device of the
//! township download, megabytes for one record. This module measures a history and bounds it.
//!
//! The measure: `ops`, the operations of every change (`Change::len()`: inserts, puts *and*
//! deletions), and `bytes`, the encoded size of every change. Both only ever grow with a record.
//! The server checks the record as it would be after a push (stored changes plus the new ones);
//! the device checks before it saves an edit, so a worker learns at once (by operations: a device
//! does not keep its changes' encoded size).
//!
//! Invariants: pure (no I/O); measuring never panics and reads only the change graph, never
//! re-encodes a change; sums saturate.

use automerge::{AutoCommit, Change};

use crate::error::{ErrorCode, FieldError};

/// The field a refusal names: the record's history as a whole.
pub const FIELD: &str = "history";
/// Default bound on a record's encoded change bytes.
pub const DEFAULT_MAX_BYTES: u64 = 8 * 1024 * 1024;
/// Default bound on a record's operations (deletions included).
pub const DEFAULT_MAX_OPS: u64 = 400_000;

/// The size of (a part of) a record's history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistorySize {
    /// Encoded bytes of the changes.
    pub bytes: u64,
    /// Operations of the changes, deletions included.
    pub ops: u64,
}

impl HistorySize {
    /// One change as received: its encoded bytes and its operations.
    pub fn of_change(c: &Change) -> Self {
        Self {
            bytes: c.raw_bytes().len() as u64,
            ops: c.len() as u64,
        }
    }

    /// Several changes.
    pub fn of_changes<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Self {
        changes
            .into_iter()
            .fold(Self::default(), |acc, c| acc.plus(Self::of_change(c)))
    }

    /// Both measures added (saturating).
    pub fn plus(self, other: Self) -> Self {
        Self {
            bytes: self.bytes.saturating_add(other.bytes),
            ops: self.ops.saturating_add(other.ops),
        }
    }
}

/// The operations of every change `doc` holds (deletions included), from the change graph: each
/// change numbers its operations `start_op..=max_op`. A change waiting in the document's queue
/// for a missing dependency is not counted.
pub fn ops_of(doc: &mut AutoCommit) -> u64 {
    doc.get_changes_meta(&[])
        .iter()
        .map(|c| (c.max_op + 1).saturating_sub(c.start_op))
        .fold(0u64, u64::saturating_add)
}

/// The bounds of one record's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    pub max_bytes: u64,
    pub max_ops: u64,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            max_ops: DEFAULT_MAX_OPS,
        }
    }
}

impl HistoryLimits {
    /// `history_too_large` on `history` if `size` exceeds either bound.
    pub fn check(&self, size: HistorySize) -> Result<(), FieldError> {
        if size.bytes <= self.max_bytes && size.ops <= self.max_ops {
            return Ok(());
        }
        Err(FieldError::new(
            ErrorCode::HistoryTooLarge,
            FIELD,
            format!(
                "该记录的修改历史过大（上限 {} 字节、{} 次操作），无法再保存修改；请新建记录继续",
                self.max_bytes, self.max_ops
            ),
            format!(
                "this record's history is too large (limit {} bytes, {} operations); \
                 no further change can be saved: continue in a new record",
                self.max_bytes, self.max_ops
            ),
        ))
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;

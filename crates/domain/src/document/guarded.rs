//! Untrusted Automerge bytes — pulled from the network, pushed by a device, or stored by an
//! earlier build — decoded and applied without letting a panic escape. automerge's decoder has
//! panicked on crafted input (docs/sync-protocol.md, "Fuzzing"), and one bad record must fail that
//! record, never a page, a request or the process. The device store and the server both go
//! through here; [`guard`] is the workspace's one `catch_unwind` around automerge.
//!
//! Invariants: no function here panics on any input; an operation that panicked on a document may
//! have left it half-changed, so the caller discards that document.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::{AutoCommit, Change, ChangeHash, LoadChangeError};

use super::{SchemaError, read_record};
use crate::record::Record;

/// Why guarded bytes could not be decoded or applied (causes boxed: the error stays small).
#[derive(Debug, thiserror::Error)]
pub enum GuardedError {
    /// automerge panicked during `op` (e.g. "the document decoder").
    #[error("{op} panicked")]
    Panicked { op: &'static str },
    /// The bytes are not a document automerge can load.
    #[error("cannot decode the document: {0}")]
    Decode(#[source] Box<automerge::AutomergeError>),
    /// The bytes are not a change.
    #[error("not a valid change: {0}")]
    Change(#[source] Box<LoadChangeError>),
    /// automerge refused to apply the changes.
    #[error("{0}")]
    Apply(#[source] Box<automerge::AutomergeError>),
    /// The document loads but does not fit the record schema.
    #[error("the document does not fit the schema: {0}")]
    Schema(#[source] Box<SchemaError>),
}

/// Runs `f`, turning a panic into [`GuardedError::Panicked`] naming `op`. For a composite
/// operation on untrusted documents that the functions below do not cover.
pub fn guard<T>(op: &'static str, f: impl FnOnce() -> T) -> Result<T, GuardedError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| GuardedError::Panicked { op })
}

/// Loads a document (saved whole, or a concatenation of chunks).
pub fn load_doc(bytes: &[u8]) -> Result<AutoCommit, GuardedError> {
    guard("the document decoder", || AutoCommit::load(bytes))?
        .map_err(|e| GuardedError::Decode(Box::new(e)))
}

/// Loads a document and reads its record.
pub fn load_record(bytes: &[u8]) -> Result<(AutoCommit, Record), GuardedError> {
    let doc = load_doc(bytes)?;
    let record = guard("reading the document", || read_record(&doc))?
        .map_err(|e| GuardedError::Schema(Box::new(e)))?;
    Ok((doc, record))
}

/// Decodes one raw change.
pub fn decode_change(bytes: &[u8]) -> Result<Change, GuardedError> {
    guard("the change decoder", || Change::from_bytes(bytes.to_vec()))?
        .map_err(|e| GuardedError::Change(Box::new(e)))
}

/// Applies changes to a document.
pub fn apply_changes(doc: &mut AutoCommit, changes: Vec<Change>) -> Result<(), GuardedError> {
    guard("applying the changes", || doc.apply_changes(changes))?
        .map_err(|e| GuardedError::Apply(Box::new(e)))
}

/// Loads further chunks into a document (on an empty document: a plain load).
pub fn load_incremental(doc: &mut AutoCommit, bytes: &[u8]) -> Result<(), GuardedError> {
    guard("the document decoder", || doc.load_incremental(bytes))?
        .map(|_| ())
        .map_err(|e| GuardedError::Decode(Box::new(e)))
}

/// The document's changes after `since`, encoded again from its op set.
pub fn get_changes(
    doc: &mut AutoCommit,
    since: &[ChangeHash],
) -> Result<Vec<Change>, GuardedError> {
    guard("encoding the changes", || doc.get_changes(since))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::fixtures;
    use proptest::prelude::*;

    fn saved_record() -> (Vec<u8>, Record) {
        let at = crate::time::Timestamp::from_millis(1_764_300_000_000).unwrap();
        let grid = fixtures::grid_id(3);
        let record = fixtures::record(&mut fixtures::Rng::new(5), grid, at, "wang.wei");
        let mut doc = super::super::new_document(&record).unwrap();
        (doc.save(), record)
    }

    #[test]
    fn a_panic_inside_becomes_an_error() {
        let got = guard("the test", || -> u8 { panic!("crafted input") });
        let err = got.unwrap_err();
        assert!(matches!(err, GuardedError::Panicked { op: "the test" }));
        assert_eq!(err.to_string(), "the test panicked");
        assert_eq!(guard("the test", || 7).unwrap(), 7);
    }

    #[test]
    fn a_saved_record_loads_and_reads_back() {
        let (bytes, record) = saved_record();
        let (_, read) = load_record(&bytes).unwrap();
        assert_eq!(read, record);
    }

    #[test]
    fn changes_decode_and_apply_to_an_empty_document() {
        let (bytes, record) = saved_record();
        let mut doc = load_doc(&bytes).unwrap();
        let raw: Vec<Vec<u8>> = get_changes(&mut doc, &[])
            .unwrap()
            .into_iter()
            .map(|mut c| c.bytes().to_vec())
            .collect();
        let changes = raw.iter().map(|b| decode_change(b).unwrap()).collect();
        let mut copy = AutoCommit::new();
        apply_changes(&mut copy, changes).unwrap();
        assert_eq!(read_record(&copy).unwrap(), record);
        let mut again = AutoCommit::new();
        load_incremental(&mut again, &bytes).unwrap();
        assert_eq!(read_record(&again).unwrap(), record);
    }

    #[test]
    fn a_document_off_schema_is_a_schema_error() {
        let mut doc = AutoCommit::new();
        let bytes = doc.save();
        assert!(matches!(
            load_record(&bytes).unwrap_err(),
            GuardedError::Schema(_)
        ));
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(matches!(
            load_doc(b"not automerge").unwrap_err(),
            GuardedError::Decode(_)
        ));
        assert!(matches!(
            decode_change(b"not a change").unwrap_err(),
            GuardedError::Change(_)
        ));
    }

    proptest! {
        /// Arbitrary bytes, and a real document with bytes flipped: an `Ok` or an error, never a
        /// panic out of these functions.
        #[test]
        fn no_input_escapes_as_a_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..512),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        ) {
            let _ = load_doc(&bytes);
            let _ = decode_change(&bytes);
            let (mut saved, _) = saved_record();
            for (at, b) in flips {
                let i = at % saved.len();
                saved[i] ^= b;
            }
            let _ = load_record(&saved);
            let mut doc = AutoCommit::new();
            let _ = load_incremental(&mut doc, &saved);
        }
    }
}

//! Bytes <-> documents and heads. Loading goes through `catch_unwind`: automerge's decoder has had
//! panics on malformed input, and a damaged blob must fail one record, never the process.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::{AutoCommit, ChangeHash};
use gridmate_domain::Record;
use gridmate_domain::document::read_record;

/// Loads a document (without reading its record), or says why it cannot.
pub fn load_doc(bytes: &[u8]) -> Result<AutoCommit, String> {
    catch_unwind(AssertUnwindSafe(|| AutoCommit::load(bytes)))
        .map_err(|_| "the document decoder panicked".to_owned())?
        .map_err(|e| format!("cannot decode the document: {e}"))
}

/// Loads a document and reads its record, or says why it cannot.
pub fn load_record(bytes: &[u8]) -> Result<(AutoCommit, Record), String> {
    let doc = load_doc(bytes)?;
    let record = catch_unwind(AssertUnwindSafe(|| read_record(&doc)))
        .map_err(|_| "reading the document panicked".to_owned())?
        .map_err(|e| format!("the document does not fit the schema: {e}"))?;
    Ok((doc, record))
}

/// Heads as the concatenation of their 32-byte hashes, sorted (heads are a set).
pub fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    let mut hs = heads.to_vec();
    hs.sort();
    hs.iter().flat_map(|h| h.0).collect()
}

/// Applies changes under `catch_unwind` (pulled bytes come from the network).
pub fn apply_changes(doc: &mut AutoCommit, changes: Vec<automerge::Change>) -> Result<(), String> {
    catch_unwind(AssertUnwindSafe(|| doc.apply_changes(changes)))
        .map_err(|_| "applying the changes panicked".to_owned())?
        .map_err(|e| e.to_string())
}

pub fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

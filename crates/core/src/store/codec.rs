//! Bytes <-> documents and heads. Decoding and applying untrusted bytes goes through
//! `gridmate_domain::document::guarded` (re-exported here), which keeps automerge's panics on
//! malformed input from escaping: a damaged blob fails one record, never the process.

use automerge::ChangeHash;

pub use gridmate_domain::document::guarded::{load_doc, load_record};

/// Heads as the concatenation of their 32-byte hashes, sorted (heads are a set).
pub fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    let mut hs = heads.to_vec();
    hs.sort();
    hs.iter().flat_map(|h| h.0).collect()
}

pub fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

//! Telling Automerge chunks apart without decoding them. Sync protocol v2 lets a record travel as
//! one *document* chunk (its whole history, `save_nocompress()`), not only as change chunks: a
//! document loads about twice as fast as its changes apply (docs/sync-protocol.md, "Chunks").
//!
//! Invariant: a header check only; whether the chunk is valid is decided by loading it.

/// The four bytes every Automerge chunk starts with.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// Offset of the chunk type byte: magic (4) and checksum (4) come first.
const TYPE_AT: usize = 8;
/// Automerge's chunk type for a document.
const DOCUMENT: u8 = 0;

/// Whether `bytes` start like an Automerge chunk of any type (a header check, no decoding).
pub fn is_chunk(bytes: &[u8]) -> bool {
    bytes.len() > TYPE_AT && bytes[..MAGIC.len()] == MAGIC
}

/// Whether `bytes` claim to be an Automerge document chunk (rather than a change chunk).
pub fn is_document_chunk(bytes: &[u8]) -> bool {
    bytes.len() > TYPE_AT && bytes[..MAGIC.len()] == MAGIC && bytes[TYPE_AT] == DOCUMENT
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};

    #[test]
    fn tells_documents_from_changes() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "k", "v").unwrap();
        let change = doc.get_last_local_change().unwrap().raw_bytes().to_vec();
        assert!(is_document_chunk(&doc.save_nocompress()));
        assert!(is_document_chunk(&doc.save()));
        assert!(!is_document_chunk(&change));
        assert!(is_chunk(&change) && is_chunk(&doc.save_nocompress()));
        assert!(!is_chunk(b"") && !is_chunk(&[0u8; 16]));
        assert!(!is_document_chunk(b""));
        assert!(!is_document_chunk(&[0u8; 16]));
    }
}

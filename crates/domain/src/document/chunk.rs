//! Telling Automerge chunks apart without decoding them. Sync protocol v2 lets a record travel as
//! one *document* chunk (its whole history, `save_nocompress()`), not only as change chunks: a
//! document loads about twice as fast as its changes apply (docs/sync-protocol.md, "Chunks").
//!
//! Invariant: header checks only; whether a chunk is valid is decided by loading it.

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

/// Splits a concatenation of Automerge chunks (as a device keeps a record's unsent changes) at
/// their headers: magic, checksum, type byte, then the body length as unsigned LEB128. `None` if
/// the bytes are not such a sequence (a cut chunk, stray bytes, a length past the end). Empty
/// input is an empty sequence. Never panics.
pub fn split_chunks(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if !is_chunk(rest) {
            return None;
        }
        let (len, len_size) = uleb128(&rest[TYPE_AT + 1..])?;
        let end = (TYPE_AT + 1 + len_size).checked_add(usize::try_from(len).ok()?)?;
        if end > rest.len() {
            return None;
        }
        let (chunk, tail) = rest.split_at(end);
        out.push(chunk);
        rest = tail;
    }
    Some(out)
}

/// An unsigned LEB128 number and how many bytes it took; `None` if cut short or over 64 bits.
fn uleb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value: u64 = 0;
    for (i, b) in bytes.iter().enumerate().take(10) {
        let part = u64::from(b & 0x7f);
        let shift = 7 * i as u32;
        if shift == 63 && part > 1 {
            return None;
        }
        value |= part << shift;
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
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

    /// `n` real change chunks of varied sizes (one small, some with long text).
    fn changes(sizes: &[usize]) -> Vec<Vec<u8>> {
        let mut doc = AutoCommit::new();
        sizes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                doc.put(ROOT, format!("k{i}"), "x".repeat(*n)).unwrap();
                doc.commit();
                doc.get_last_local_change().unwrap().raw_bytes().to_vec()
            })
            .collect()
    }

    #[test]
    fn splits_concatenated_changes_and_refuses_anything_else() {
        let cs = changes(&[1, 200, 20_000]);
        let all: Vec<u8> = cs.concat();
        let parts = split_chunks(&all).unwrap();
        assert_eq!(parts, cs.iter().map(Vec::as_slice).collect::<Vec<_>>());
        assert_eq!(split_chunks(b""), Some(vec![]));
        assert_eq!(split_chunks(&all[..all.len() - 1]), None, "cut short");
        assert_eq!(
            split_chunks(&[all.as_slice(), b"x"].concat()),
            None,
            "stray byte"
        );
        assert_eq!(split_chunks(&all[..TYPE_AT + 1]), None, "no length");
        let mut huge = all[..TYPE_AT + 1].to_vec();
        huge.extend([0xff; 9]);
        huge.push(0x7f);
        assert_eq!(split_chunks(&huge), None, "length over 64 bits");
    }

    proptest::proptest! {
        #[test]
        fn split_gives_back_what_was_joined(sizes in proptest::collection::vec(0usize..400, 0..6)) {
            let cs = changes(&sizes);
            let all = cs.concat();
            let parts = split_chunks(&all).unwrap();
            proptest::prop_assert_eq!(parts, cs.iter().map(Vec::as_slice).collect::<Vec<_>>());
        }

        #[test]
        fn split_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64), magic in proptest::bool::ANY) {
            let bytes = if magic { [MAGIC.as_slice(), &bytes].concat() } else { bytes };
            if let Some(parts) = split_chunks(&bytes) {
                proptest::prop_assert_eq!(parts.concat(), bytes);
            }
        }
    }
}

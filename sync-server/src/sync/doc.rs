//! Untrusted Automerge bytes on the server, through `gridmate_domain::document::guarded` (the one
//! owner of the guard against automerge's panics on crafted input): one bad change fails one
//! record, never the request or the server. This module adds the server's own shapes: a stored
//! record as snapshot + logged tail, and the checks a change must pass before it is logged.

use automerge::{AutoCommit, Change, ChangeHash};
use gridmate_domain::document::guarded::{self, GuardedError};

/// Decodes one raw change; `None` if the bytes are not a valid change (or the decoder panicked).
pub fn decode_change(bytes: &[u8]) -> Option<Change> {
    guarded::decode_change(bytes).ok()
}

/// Loads a stored record: its snapshot (if any) followed by the changes logged after it.
pub fn load(snapshot: Option<&[u8]>, tail: &[Vec<u8>]) -> Result<AutoCommit, GuardedError> {
    let mut bytes = snapshot.map(<[u8]>::to_vec).unwrap_or_default();
    for c in tail {
        bytes.extend_from_slice(c);
    }
    guarded::load_doc(&bytes)
}

/// Whether automerge re-encodes the changes just applied (everything after `since`) exactly as
/// `applied`. A crafted change can apply, read and validate, yet not round-trip: automerge 0.12.0
/// then panics in `get_changes`, and `save()` writes a document that does not load (found by the
/// fuzzer, see docs/sync-protocol.md "Fuzzing"). Stored, such a record would be unreadable on every
/// device and, after its next snapshot, on the server.
pub fn round_trips(doc: &mut AutoCommit, since: &[ChangeHash], applied: &[Change]) -> bool {
    let Ok(again) = guarded::get_changes(doc, since) else {
        return false;
    };
    let mut got: Vec<ChangeHash> = again.iter().map(Change::hash).collect();
    let mut want: Vec<ChangeHash> = applied.iter().map(Change::hash).collect();
    got.sort_unstable();
    want.sort_unstable();
    got == want
}

pub fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    let mut hs = heads.to_vec();
    hs.sort();
    hs.iter().flat_map(|h| h.0).collect()
}

pub fn decode_heads(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| <[u8; 32]>::try_from(c).ok())
        .collect()
}

/// Loads one document chunk (a record's whole history, protocol v2); `None` if it does not load
/// or the decoder panicked.
pub fn load_document(bytes: &[u8]) -> Option<AutoCommit> {
    guarded::load_doc(bytes).ok()
}

/// Every change of a document, re-encoded from its op set (`None` if automerge panics): how a
/// document chunk joins the general path, which works change by change.
pub fn all_changes(doc: &mut AutoCommit) -> Option<Vec<Change>> {
    guarded::get_changes(doc, &[]).ok()
}

/// For a document made of exactly one change whose canonical encoding is exactly `bytes`: that
/// change's hash and actor. Such a chunk can be logged as it came: it loads (it just did), and it is
/// what automerge itself writes for that op set, so it re-encodes byte for byte (the guarantee that
/// `round_trips` gives for change chunks). Anything else (several changes, a compressed or
/// otherwise non-canonical encoding) takes the general path.
pub fn sole_change(doc: &mut AutoCommit, bytes: &[u8]) -> Option<(ChangeHash, Vec<u8>)> {
    guarded::guard("encoding the document", || {
        let (hash, actor) = match doc.get_changes_meta(&[]).as_slice() {
            [only] => (only.hash, only.actor.to_bytes().to_vec()),
            _ => return None,
        };
        (doc.save_nocompress() == bytes).then_some((hash, actor))
    })
    .ok()
    .flatten()
}

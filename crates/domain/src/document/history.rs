//! Questions about a document's change history that must stay cheap.
//!
//! automerge 0.12 keeps changes as operations, not as bytes: `get_change_by_hash` re-encodes the
//! whole change (for a new record, every character of its text) just to say it exists. Asking
//! for missing dependencies consults the change graph only, a small fraction of the cost.

use automerge::{AutoCommit, ChangeHash};

/// Whether `doc` holds every change in `hashes` (true for none). A change waiting in the
/// document's queue for a missing dependency does not count as held.
pub fn holds_all(doc: &mut AutoCommit, hashes: &[ChangeHash]) -> bool {
    hashes.is_empty() || doc.get_missing_deps(hashes).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{ROOT, transaction::Transactable};

    #[test]
    fn tells_held_changes_from_unknown_and_queued_ones() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "k", "v").unwrap();
        let first = doc.commit().unwrap();
        let mut other = doc.fork();
        other.put(ROOT, "k", "w").unwrap();
        let second = other.commit().unwrap();
        other.put(ROOT, "k", "x").unwrap();
        let third = other.commit().unwrap();
        assert!(holds_all(&mut doc, &[]));
        assert!(holds_all(&mut doc, &[first]));
        assert!(!holds_all(&mut doc, &[second]));
        assert!(!holds_all(&mut doc, &[first, second]));
        // The third change arrives without the second: queued, not held.
        let c3 = other.get_change_by_hash(&third).unwrap();
        doc.apply_changes([c3]).unwrap();
        assert!(!holds_all(&mut doc, &[third]));
        let c2 = other.get_change_by_hash(&second).unwrap();
        doc.apply_changes([c2]).unwrap();
        assert!(holds_all(&mut doc, &[first, second, third]));
    }
}

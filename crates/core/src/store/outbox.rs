//! The outbox: each record's local changes since the server last acknowledged it, kept as the
//! bytes the save produced, so that a push does not load the record's document to find them.
//! Loading a document and asking it for the changes after the synced heads is costly (automerge
//! re-encodes changes from its operations); a save already holds the document, and its new change
//! is cheap to encode there (figures in docs/benchmarks.md, W1 edit phase).
//!
//! Stored in `record_sync`: `unsent` (the change chunks, concatenated), `unsent_from` (the synced
//! heads they follow) and `unsent_to` (the document's heads after the last of them), all encoded
//! as `codec::encode_heads` does.
//!
//! Invariant: the outbox is used only when `unsent_from` equals the record's synced heads and
//! `unsent_to` equals its document's heads. Heads name a history exactly, so then `unsent` is
//! exactly the changes of the document after the synced heads, whatever happened in between; any
//! other writer (a pull merging into the record, a push result moving the synced heads) makes
//! the outbox stale without touching it, and a stale outbox only means the push reads the
//! document as before. A save extends a current outbox or starts one from the synced heads, and
//! otherwise clears it; an acknowledgement keeps only what was saved while the push was in flight.

use automerge::{Change, ChangeHash};
use gridmate_domain::document::split_chunks;
use gridmate_domain::wire;
use rusqlite::{OptionalExtension, Transaction, params};

use super::StoreError;
use super::codec::encode_heads;

/// A record's outbox as stored, with its synced heads (all encoded heads).
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    pub synced: Option<Vec<u8>>,
    pub unsent: Option<Vec<u8>>,
    pub from: Option<Vec<u8>>,
    pub to: Option<Vec<u8>>,
}

impl Outbox {
    /// The changes to push for a record whose document has heads `heads` (encoded), if the
    /// outbox holds exactly them (see the invariant); `None` sends the caller to the document.
    pub fn changes_for(&self, heads: &[u8]) -> Option<Vec<wire::Change>> {
        let synced = self.synced.as_deref().filter(|s| !s.is_empty())?;
        if self.from.as_deref() != Some(synced) || self.to.as_deref() != Some(heads) {
            return None;
        }
        let chunks = split_chunks(self.unsent.as_deref()?)?;
        if chunks.is_empty() {
            return None;
        }
        Some(
            chunks
                .into_iter()
                .map(|c| wire::Change(c.to_vec()))
                .collect(),
        )
    }

    /// The outbox after a save that took the document from `before` to `after` with `changes`.
    fn after_save(self, before: &[u8], after: Vec<u8>, changes: &[Change]) -> Outbox {
        let Some(synced) = self.synced.filter(|s| !s.is_empty()) else {
            return Outbox::default(); // never acknowledged: a push sends the whole document
        };
        let new = changes.iter().flat_map(|c| c.raw_bytes().iter().copied());
        let unsent = if self.from.as_deref() == Some(&synced) && self.to.as_deref() == Some(before)
        {
            let mut unsent = self.unsent.unwrap_or_default();
            unsent.extend(new);
            unsent
        } else if before == synced {
            new.collect()
        } else {
            return Outbox::default(); // stale: the push reads the document
        };
        Outbox {
            synced: Some(synced.clone()),
            unsent: Some(unsent),
            from: Some(synced),
            to: Some(after),
        }
    }

    /// The outbox after the server acknowledged `sent` at `sent_heads` while the record was saved
    /// again: when the push was the outbox's beginning, the rest (the saves made while it was in
    /// flight) stays, now after `sent_heads`, which are then the document's heads after the sent
    /// changes; otherwise it is emptied.
    fn after_ack(self, sent_heads: &[u8], sent: &[wire::Change]) -> Outbox {
        let (Some(synced), Some(unsent), Some(from), Some(to)) =
            (self.synced, self.unsent, self.from, self.to)
        else {
            return Outbox::default();
        };
        let mut at = 0;
        for c in sent {
            if from != synced || unsent.get(at..at + c.0.len()) != Some(c.0.as_slice()) {
                return Outbox::default();
            }
            at += c.0.len();
        }
        if sent.is_empty() || at >= unsent.len() {
            return Outbox::default();
        }
        Outbox {
            synced: Some(sent_heads.to_vec()),
            unsent: Some(unsent[at..].to_vec()),
            from: Some(sent_heads.to_vec()),
            to: Some(to),
        }
    }
}

impl Outbox {
    /// The four columns an outbox is read from, in `from_row`'s order (`s` is `record_sync`).
    pub const COLUMNS: &'static str = "s.synced_heads, s.unsent, s.unsent_from, s.unsent_to";

    /// An outbox from a row holding `COLUMNS` from column `at` on.
    pub fn from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Outbox> {
        Ok(Outbox {
            synced: r.get(at)?,
            unsent: r.get(at + 1)?,
            from: r.get(at + 2)?,
            to: r.get(at + 3)?,
        })
    }
}

/// Reads a record's outbox (inside the save's transaction).
fn read(tx: &Transaction<'_>, rowid: i64) -> Result<Outbox, StoreError> {
    let sql = format!(
        "SELECT {} FROM record_sync s WHERE s.record_rowid = ?1",
        Outbox::COLUMNS
    );
    let row = tx
        .prepare_cached(&sql)?
        .query_row([rowid], |r| Outbox::from_row(r, 0))
        .optional()?;
    Ok(row.unwrap_or_default())
}

/// Stores a record's outbox (its synced heads are the caller's to move).
fn write(tx: &Transaction<'_>, rowid: i64, next: &Outbox) -> Result<(), StoreError> {
    tx.prepare_cached(
        "UPDATE record_sync SET unsent = ?1, unsent_from = ?2, unsent_to = ?3
         WHERE record_rowid = ?4",
    )?
    .execute(params![next.unsent, next.from, next.to, rowid])?;
    Ok(())
}

/// Records a local save in the record's outbox, in the save's transaction: `changes` took the
/// document from heads `before` to heads `after`.
pub(crate) fn note_save(
    tx: &Transaction<'_>,
    rowid: i64,
    before: &[ChangeHash],
    after: &[ChangeHash],
    changes: &[Change],
) -> Result<(), StoreError> {
    let next = read(tx, rowid)?.after_save(&encode_heads(before), encode_heads(after), changes);
    write(tx, rowid, &next)
}

/// Keeps what a record saved while its push was in flight (see `Outbox::after_ack`), in the
/// transaction that records the acknowledgement and before the synced heads move to `sent_heads`.
pub(crate) fn note_ack(
    tx: &Transaction<'_>,
    rowid: i64,
    sent_heads: &[u8],
    sent: &[wire::Change],
) -> Result<(), StoreError> {
    let next = read(tx, rowid)?.after_ack(sent_heads, sent);
    write(tx, rowid, &next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};

    /// A document whose first change the server acknowledged, and the empty outbox at its heads.
    fn acknowledged() -> (AutoCommit, Vec<ChangeHash>, Outbox) {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "k", "a").unwrap();
        doc.commit();
        let synced = doc.get_heads();
        let outbox = Outbox {
            synced: Some(encode_heads(&synced)),
            ..Outbox::default()
        };
        (doc, synced, outbox)
    }

    /// One more change: the heads before and after it (encoded) and the change.
    fn edit(doc: &mut AutoCommit, v: &str) -> (Vec<u8>, Vec<u8>, Vec<Change>) {
        let before = doc.get_heads();
        doc.put(ROOT, "k", v).unwrap();
        doc.commit();
        let changes = doc.get_changes(&before);
        (
            encode_heads(&before),
            encode_heads(&doc.get_heads()),
            changes,
        )
    }

    fn bytes(cs: &[Change]) -> Vec<wire::Change> {
        cs.iter()
            .map(|c| wire::Change(c.raw_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn saves_after_the_synced_heads_accumulate_and_match_the_document() {
        let (mut doc, synced, mut ob) = acknowledged();
        for v in ["b", "c", "d"] {
            let (before, after, cs) = edit(&mut doc, v);
            ob = ob.after_save(&before, after, &cs);
        }
        let heads = encode_heads(&doc.get_heads());
        assert_eq!(
            ob.changes_for(&heads).unwrap(),
            bytes(&doc.get_changes(&synced))
        );
    }

    #[test]
    fn an_acknowledgement_keeps_what_was_saved_while_the_push_was_in_flight() {
        let (mut doc, _, start) = acknowledged();
        let (before, sent_at, c1) = edit(&mut doc, "b");
        let ob = start.after_save(&before, sent_at.clone(), &c1);
        let (before, now, c2) = edit(&mut doc, "c");
        let ob = ob.after_save(&before, now.clone(), &c2);
        let sent = bytes(&c1);
        let kept = ob.after_ack(&sent_at, &sent);
        let after_sent = decode(&sent_at);
        assert_eq!(
            kept.changes_for(&now).unwrap(),
            bytes(&doc.get_changes(&after_sent))
        );
        // Anything but the outbox's beginning empties it.
        let (before, again, c3) = edit(&mut doc, "d");
        let ob = kept.after_save(&before, again.clone(), &c3);
        let wrong = ob.after_ack(&again, &bytes(&c3));
        assert!(wrong.unsent.is_none() && wrong.changes_for(&again).is_none());
    }

    fn decode(heads: &[u8]) -> Vec<ChangeHash> {
        super::super::codec::decode_heads(heads)
    }

    #[test]
    fn a_stale_outbox_is_never_used() {
        let (mut doc, synced, start) = acknowledged();
        let synced = encode_heads(&synced);
        let (before, after, cs) = edit(&mut doc, "b");
        let fresh = start.after_save(&before, after.clone(), &cs);
        // The document moved on without the outbox (a pull merged into it).
        let (_, later, _) = edit(&mut doc, "c");
        assert!(fresh.changes_for(&later).is_none());
        // The synced heads moved (a push was acknowledged).
        let moved = Outbox {
            synced: Some(after.clone()),
            ..fresh
        };
        assert!(moved.changes_for(&after).is_none());
        // Never acknowledged: no outbox, the whole document goes.
        let (before, after, cs) = edit(&mut doc, "d");
        let unsynced = Outbox::default().after_save(&before, after.clone(), &cs);
        assert!(unsynced.unsent.is_none() && unsynced.changes_for(&after).is_none());
        // A save on a document that is not at its synced heads and has no current outbox.
        let (before, after, cs) = edit(&mut doc, "e");
        let behind = Outbox {
            synced: Some(synced),
            ..Outbox::default()
        }
        .after_save(&before, after.clone(), &cs);
        assert!(behind.unsent.is_none() && behind.changes_for(&after).is_none());
    }
}

//! Held changes at the storage level: the byte limit, expiry by the clock, and that what a push
//! holds never stops the same pusher's next edit that does not depend on it.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use gridmate_domain::document::write_changes;
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::wire::{Change, PushDoc, PushOutcome};
use gridmate_domain::{GridId, Timestamp};

use super::held::{HeldLimits, split_ready};
use super::push::Pusher;
use super::store::SyncStore;
use super::test_support::{GRID, grid_worker, push_since};
use crate::storage::SqliteStorage;

/// A stored record (pushed as its document) and its document.
fn stored_record(db: &SqliteStorage, who: &Pusher, seed: u64) -> ([u8; 16], AutoCommit) {
    let mut rng = Rng::new(seed);
    let at = Timestamp::now().plus_millis(-3_600_000);
    let rec = fixtures::record(&mut rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
    let mut doc = AutoCommit::new();
    write_changes(&mut doc, None, &rec).unwrap();
    doc.commit();
    let id = *rec.meta.id.as_uuid().as_bytes();
    let push = PushDoc {
        record_id: id,
        changes: vec![Change(doc.save_nocompress())],
    };
    let out = db.push(who, vec![push], (&HeldLimits::default(), Timestamp::now()));
    assert!(matches!(
        out.unwrap().results[0].outcome,
        PushOutcome::Accepted { .. }
    ));
    (id, doc)
}

/// The push of a change whose parent (an edit by another actor) is withheld.
fn orphan(id: [u8; 16], doc: &mut AutoCommit, words: &str) -> PushDoc {
    let mut fork = doc.fork();
    fork.put(ROOT, "address", "甲").unwrap();
    fork.commit();
    let mid = fork.get_heads();
    fork.set_actor(ActorId::random());
    fork.put(ROOT, "address", words).unwrap();
    fork.commit();
    push_since(id, &mut fork, &mid)
}

fn held_count(db: &SqliteStorage) -> i64 {
    db.read(|c| Ok(c.query_row("SELECT count(*) FROM sync_held", [], |r| r.get(0))?))
        .unwrap()
}

#[test]
fn over_the_byte_limit_nothing_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    let who = grid_worker();
    let (id, mut doc) = stored_record(&db, &who, 1);
    let push = orphan(id, &mut doc, "正东路 3 号");
    let size = push.changes[0].0.len() as u64;
    let tight = HeldLimits {
        bytes_per_device: size - 1,
        ..HeldLimits::default()
    };
    let out = db
        .push(&who, vec![push.clone()], (&tight, Timestamp::now()))
        .unwrap();
    assert!(
        matches!(&out.results[0].outcome, PushOutcome::Rejected { code, .. } if code == "held_quota_exceeded"),
        "{:?}",
        out.results[0].outcome
    );
    assert_eq!(held_count(&db), 0);
    let exact = HeldLimits {
        bytes_per_user: size,
        bytes_per_device: size,
        ..HeldLimits::default()
    };
    let out = db
        .push(&who, vec![push], (&exact, Timestamp::now()))
        .unwrap();
    assert!(matches!(out.results[0].outcome, PushOutcome::Held { .. }));
    assert_eq!(held_count(&db), 1);
}

#[test]
fn a_held_change_lives_exactly_its_max_age() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    let who = grid_worker();
    let (id, mut doc) = stored_record(&db, &who, 2);
    let limits = HeldLimits {
        max_age: Duration::from_secs(3600),
        ..HeldLimits::default()
    };
    let t0 = Timestamp::now();
    let held = orphan(id, &mut doc, "正东路 4 号");
    let out = db.push(&who, vec![held.clone()], (&limits, t0)).unwrap();
    assert!(matches!(out.results[0].outcome, PushOutcome::Held { .. }));
    // Pushed again later: not renewed.
    db.push(&who, vec![held], (&limits, t0.plus_millis(1_000)))
        .unwrap();
    let (other, mut other_doc) = stored_record(&db, &who, 3);
    let mut nudge = |at: Timestamp| {
        let push = PushDoc {
            record_id: other,
            changes: vec![Change(other_doc.save_nocompress())],
        };
        db.push(&who, vec![push], (&limits, at)).unwrap();
    };
    nudge(t0.plus_millis(3_600_000 - 1));
    assert_eq!(held_count(&db), 1);
    nudge(t0.plus_millis(3_600_000));
    assert_eq!(held_count(&db), 0);
}

#[test]
fn ready_changes_are_split_from_waiting_ones_in_dependency_order() {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "k", 1).unwrap();
    doc.commit();
    let mut ahead = doc.fork();
    let base = ahead.get_heads();
    for v in 2..5 {
        ahead.put(ROOT, "k", v).unwrap();
        ahead.commit();
    }
    let chain = ahead.get_changes(&base);
    let (c2, c3, c4) = (chain[0].clone(), chain[1].clone(), chain[2].clone());
    // Reversed: still all ready, each after its parent.
    let (ready, waiting) = split_ready(&mut doc, vec![c4.clone(), c3.clone(), c2.clone()]);
    let order: Vec<_> = ready.iter().map(automerge::Change::hash).collect();
    assert_eq!(order, vec![c2.hash(), c3.hash(), c4.hash()]);
    assert!(waiting.is_empty());
    // Without its parent, the rest waits.
    let (ready, waiting) = split_ready(&mut doc, vec![c4.clone(), c3.clone()]);
    assert!(ready.is_empty());
    assert_eq!(waiting.len(), 2);
}

//! Plans made before the writer lock, committed after the database moved on: each must give the
//! outcome of the general path (`push_one`) on the state it finds, never its own stale verdict.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use gridmate_domain::document::write_changes;
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::wire::{Change, PushDoc, PushOutcome};
use gridmate_domain::{GridId, Record, Timestamp};

use super::held::HeldLimits;
use super::plan::plan_all;
use super::push::{Pusher, load_record_doc, push_batch};
use super::store::SyncStore;
use super::test_support::{GRID, grid_worker, push_since};
use crate::storage::SqliteStorage;

/// A new record as a device writes it, with its document.
fn new_record(rng: &mut Rng, actor: &ActorId) -> ([u8; 16], AutoCommit) {
    let at = Timestamp::now().plus_millis(-3_600_000);
    let rec = fixtures::record(rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
    (*rec.meta.id.as_uuid().as_bytes(), document_of(&rec, actor))
}

fn document_of(rec: &Record, actor: &ActorId) -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(actor.clone());
    write_changes(&mut doc, None, rec).unwrap();
    doc.commit();
    doc
}

/// An edit of `address` on a copy of `doc`, by `actor`: the push carrying it.
fn edit(id: [u8; 16], doc: &mut AutoCommit, actor: &ActorId, address: &str) -> PushDoc {
    let mut copy = doc.fork().with_actor(actor.clone());
    let before = copy.get_heads();
    copy.put(ROOT, "address", address).unwrap();
    copy.commit();
    push_since(id, &mut copy, &before)
}

/// A fresh database in a temp dir, the pusher and the time of the pushes.
fn world() -> (tempfile::TempDir, SqliteStorage, Pusher, Timestamp) {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    (dir, db, grid_worker(), Timestamp::now())
}

/// The push of a record as one document chunk (what a device sends for a new record).
fn as_document(id: [u8; 16], doc: &mut AutoCommit) -> PushDoc {
    PushDoc {
        record_id: id,
        changes: vec![Change(doc.save_nocompress())],
    }
}

fn accepted(o: &PushOutcome) -> Vec<[u8; 32]> {
    match o {
        PushOutcome::Accepted { heads } => heads.clone(),
        other => panic!("expected Accepted, got {other:?}"),
    }
}

#[test]
fn an_edit_planned_against_older_heads_is_decided_again() {
    let (_dir, db, who, now) = world();
    let mut rng = Rng::new(5);
    let (a1, a2, a3) = (ActorId::random(), ActorId::random(), ActorId::random());
    let (id, mut doc) = new_record(&mut rng, &a1);
    let first = as_document(id, &mut doc);
    accepted(
        &db.push(&who, vec![first], (&HeldLimits::default(), now))
            .unwrap()
            .results[0]
            .outcome,
    );

    // Planned against the first version; another edit lands before the plan is committed.
    let late = edit(id, &mut doc, &a2, "正东路 1 号");
    let plans = db.read(|c| plan_all(c, &who, vec![late], now)).unwrap();
    let meanwhile = edit(id, &mut doc, &a3, "正东路 2 号");
    accepted(
        &db.push(&who, vec![meanwhile], (&HeldLimits::default(), now))
            .unwrap()
            .results[0]
            .outcome,
    );
    let batch = db
        .write(|c| push_batch(c, &who, &plans, (&HeldLimits::default(), now)))
        .unwrap();

    // Both edits are kept: two concurrent heads, three changes, none logged twice.
    let heads = accepted(&batch.results[0].outcome);
    assert_eq!(heads.len(), 2);
    let mut stored = db.read(|c| load_record_doc(c, &id)).unwrap().unwrap();
    assert_eq!(stored.get_changes(&[]).len(), 3);
    assert_eq!(batch.logged.len(), 1);
}

#[test]
fn a_new_record_planned_before_it_arrived_another_way_is_not_logged_twice() {
    let (_dir, db, who, now) = world();
    let mut rng = Rng::new(6);
    let actor = ActorId::random();
    let (id, mut doc) = new_record(&mut rng, &actor);
    let whole = as_document(id, &mut doc);
    let plans = db.read(|c| plan_all(c, &who, vec![whole], now)).unwrap();
    // The same record arrives first as its change (a retry from an older app, say).
    let as_change = push_since(id, &mut doc, &[]);
    let heads = accepted(
        &db.push(&who, vec![as_change], (&HeldLimits::default(), now))
            .unwrap()
            .results[0]
            .outcome,
    );
    let batch = db
        .write(|c| push_batch(c, &who, &plans, (&HeldLimits::default(), now)))
        .unwrap();
    assert_eq!(accepted(&batch.results[0].outcome), heads);
    assert!(batch.logged.is_empty(), "nothing new to log");
    let mut stored = db.read(|c| load_record_doc(c, &id)).unwrap().unwrap();
    assert_eq!(stored.get_changes(&[]).len(), 1);
}

#[test]
fn a_rejected_plan_is_not_used_once_the_record_exists() {
    let (_dir, db, who, now) = world();
    let mut rng = Rng::new(7);
    let at = Timestamp::now().plus_millis(-3_600_000);
    let rec = fixtures::record(&mut rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
    let id = *rec.meta.id.as_uuid().as_bytes();
    // Fixed actors: the two creations are concurrent, and Automerge keeps the value of the higher
    // actor for each field; the impostor's must win for the merged record to differ.
    let mut doc = document_of(&rec, &ActorId::from([0x01; 16]));
    // Another one-change document for the same record id, by another creator: planned as a new
    // record it is `creator_mismatch`; once the real record exists it is an edit of it, and the
    // general path judges it as one (`immutable_field` on `created_by`).
    let mut impostor = rec.clone();
    impostor.meta.created_by = "li.na".into();
    let mut forged = document_of(&impostor, &ActorId::from([0xfe; 16]));
    let forged_push = as_document(id, &mut forged);
    let plans = db
        .read(|c| plan_all(c, &who, vec![forged_push], now))
        .unwrap();
    let real = as_document(id, &mut doc);
    accepted(
        &db.push(&who, vec![real], (&HeldLimits::default(), now))
            .unwrap()
            .results[0]
            .outcome,
    );
    let batch = db
        .write(|c| push_batch(c, &who, &plans, (&HeldLimits::default(), now)))
        .unwrap();
    match &batch.results[0].outcome {
        PushOutcome::Rejected { code, field, .. } => {
            assert_eq!(
                (code.as_str(), field.as_str()),
                ("immutable_field", "created_by")
            );
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

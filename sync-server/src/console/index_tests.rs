//! The console index against the push path: whatever order a dispute's changes reach the server
//! in (before their dependencies: held, then completed; before the record exists: answered held
//! and sent again), and however the console indexer's batches fall between them, the index row
//! and full-text entry equal a fresh index of the record the server stores.
#![allow(clippy::unwrap_used)]

use automerge::{ActorId, AutoCommit};
use gridmate_domain::document::{read_record, write_changes};
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::search::index_tokens;
use gridmate_domain::wire::{PushDoc, PushOutcome};
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::workflow::{EventDetails, WorkflowEvent};
use gridmate_domain::{GridId, Record, RecordBody, RiskLevel, Role, Timestamp, WorkflowAction};
use proptest::prelude::*;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

use super::index::{COLUMNS, IndexRow, prepare};
use crate::storage::SqliteStorage;
use crate::sync::held::HeldLimits;
use crate::sync::push::{Pusher, load_record_doc};
use crate::sync::store::SyncStore;
use crate::sync::test_support::{GRID, grid_worker, push_since, pusher};

fn dispatcher() -> Pusher {
    pusher("zhao.min", Role::Dispatcher, "jingkou-zhengdonglu")
}

/// The dispute's pushes, each with its author: the report, then the dispatcher's accept, assign
/// and supervision (one chain), and the reporter's concurrent edit of the risk and summary.
fn pushes(seed: u64) -> (Record, Vec<(Pusher, PushDoc)>) {
    let mut rng = Rng::new(seed);
    let rec = loop {
        let at = Timestamp::now().plus_millis(-3_600_000);
        let r = fixtures::record(&mut rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
        if matches!(r.body, RecordBody::Dispute(_)) {
            break r;
        }
    };
    let id = *rec.meta.id.as_uuid().as_bytes();
    let mut doc = AutoCommit::new().with_actor(ActorId::random());
    write_changes(&mut doc, None, &rec).unwrap();
    doc.commit();
    let mut out = vec![(grid_worker(), push_since(id, &mut doc, &[]))];
    let mut worker_doc = doc.fork().with_actor(ActorId::random());
    let d = dispatcher();
    doc.set_actor(ActorId::random());
    let due = Timestamp::now().plus_millis(2 * 86_400_000);
    for (action, details) in [
        (WorkflowAction::Accept, EventDetails::default()),
        (
            WorkflowAction::Assign,
            EventDetails {
                assignee_user: Some("li.lvshi".into()),
                due_at: Some(due),
                ..Default::default()
            },
        ),
        (
            WorkflowAction::Supervise,
            EventDetails {
                note: Some("请加快办理".into()),
                ..Default::default()
            },
        ),
    ] {
        let ev = WorkflowEvent {
            id: uuid::Uuid::now_v7().to_string(),
            action,
            by: d.user_name.clone(),
            role: d.role,
            by_unit: None,
            at: Timestamp::now(),
            details,
        };
        out.push((d.clone(), save(id, &mut doc, |r| with_event(r, ev))));
    }
    let edit = save(id, &mut worker_doc, |r| {
        if let RecordBody::Dispute(x) = &mut r.body {
            x.risk_level = RiskLevel::High;
            x.summary = "楼上漏水，协商未果，双方情绪激动".into();
        }
    });
    out.push((grid_worker(), edit));
    (rec, out)
}

fn with_event(r: &mut Record, ev: WorkflowEvent) {
    if let RecordBody::Dispute(d) = &mut r.body {
        d.workflow.push(ev);
        d.refresh_status();
    }
}

fn save(id: [u8; 16], doc: &mut AutoCommit, f: impl FnOnce(&mut Record)) -> PushDoc {
    let before = doc.get_heads();
    let old = read_record(doc).unwrap();
    let mut new = old.clone();
    f(&mut new);
    write_changes(doc, Some(&old), &new).unwrap();
    doc.commit();
    push_since(id, doc, &before)
}

/// The stored index row's columns, in [`COLUMNS`] order.
fn stored_row(c: &Connection, rowid: i64) -> Option<Vec<Value>> {
    let n = COLUMNS.split(',').count();
    c.query_row(
        &format!("SELECT {COLUMNS} FROM console_records WHERE record_rowid = ?1"),
        [rowid],
        |r| (0..n).map(|i| r.get::<_, Value>(i)).collect(),
    )
    .optional()
    .unwrap()
}

/// Whether the full-text index finds `rowid` by every token of `tokens`.
fn fts_finds(c: &Connection, rowid: i64, tokens: &str) -> bool {
    tokens.split(' ').filter(|t| !t.is_empty()).all(|t| {
        c.query_row(
            "SELECT count(*) FROM console_fts WHERE console_fts MATCH ?1 AND rowid = ?2",
            rusqlite::params![format!("\"{t}\""), rowid],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    })
}

fn check_index(db: &SqliteStorage, id: [u8; 16]) {
    db.read_index(|c| {
        let rowid: i64 = c
            .query_row(
                "SELECT rowid FROM sync_records WHERE id = ?1",
                [id.as_slice()],
                |r| r.get(0),
            )
            .unwrap();
        let stored = read_record(&load_record_doc(c, &id)?.unwrap()).unwrap();
        let fresh = IndexRow::of(&stored, &DeadlineTable::default());
        let row = stored_row(c, rowid).expect("an index row");
        assert_eq!(row, fresh.values());
        assert!(fts_finds(c, rowid, &index_tokens(&stored.search_text())));
        let entries: i64 = c
            .query_row(
                "SELECT count(*) FROM console_fts WHERE rowid = ?1",
                [rowid],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(entries, 1);
        Ok(())
    })
    .unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn the_row_is_a_fresh_index_whatever_the_push_order(
        seed in 0u64..1000,
        order in Just((0..5).collect::<Vec<usize>>()).prop_shuffle(),
        looks in proptest::collection::vec(any::<bool>(), 30),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        let (rec, pushes) = pushes(seed);
        let id = *rec.meta.id.as_uuid().as_bytes();
        let limits = HeldLimits::default();
        // Each push once in the drawn order; what was answered `held` for an unknown record is
        // sent again (as a device does), until nothing is pending.
        // After a push the index is looked at (caught up) or not: an indexer batch covers the
        // changes of one push or of several.
        let mut pending: Vec<usize> = order;
        let mut looks = looks.into_iter().cycle();
        for _round in 0..6 {
            let mut again = Vec::new();
            for &i in &pending {
                let (who, push) = &pushes[i];
                let out = db.push(who, vec![push.clone()], (&limits, Timestamp::now())).unwrap();
                if let PushOutcome::Held { .. } = out.results[0].outcome {
                    again.push(i);
                }
                let stored = db
                    .read(|c| Ok(c.query_row("SELECT count(*) FROM sync_records", [], |r| r.get::<_, i64>(0))?))
                    .unwrap();
                if stored == 1 && looks.next() == Some(true) {
                    check_index(&db, id);
                }
            }
            pending = again;
        }
        check_index(&db, id);
        // The dispatcher's three events were all accepted, whatever the order.
        let (status, supervised): (String, bool) = db
            .read_index(|c| Ok(c.query_row(
                "SELECT status, supervised FROM console_records", [], |r| Ok((r.get(0)?, r.get(1)?)),
            )?))
            .unwrap();
        prop_assert_eq!((status.as_str(), supervised), ("assigned", true));
        // A start-up backfill over an indexed database changes nothing.
        prepare(&db, &DeadlineTable::default()).unwrap();
        check_index(&db, id);
    }
}

#[test]
fn the_backfill_indexes_records_accepted_before_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    let (rec, pushes) = pushes(7);
    let id = *rec.meta.id.as_uuid().as_bytes();
    for (who, push) in &pushes {
        db.push(
            who,
            vec![push.clone()],
            (&HeldLimits::default(), Timestamp::now()),
        )
        .unwrap();
    }
    // As a database from before the console: no index rows, no full-text entries.
    db.write(|c| {
        c.execute_batch("DELETE FROM console_records; DELETE FROM console_fts;")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(prepare(&db, &DeadlineTable::default()).unwrap(), 1);
    check_index(&db, id);
    assert_eq!(
        prepare(&db, &DeadlineTable::default()).unwrap(),
        0,
        "idempotent"
    );
    // Without a projection, the document is read.
    db.write(|c| {
        c.execute_batch(
            "UPDATE sync_records SET projection = NULL; DELETE FROM console_records;
             DELETE FROM console_fts;",
        )?;
        Ok(())
    })
    .unwrap();
    assert_eq!(prepare(&db, &DeadlineTable::default()).unwrap(), 1);
    check_index(&db, id);
    // A changed deadline table indexes every dispute again.
    let mut tight = DeadlineTable::default();
    tight
        .steps
        .retain(|s| s.status != gridmate_domain::DisputeStatus::Assigned);
    assert_eq!(prepare(&db, &tight).unwrap(), 1);
    assert_eq!(prepare(&db, &tight).unwrap(), 0, "once done, not again");
    // A re-index interrupted by a crash is finished at the next start.
    db.write(|c| {
        c.execute_batch(
            "INSERT INTO console_settings (key, value) VALUES ('reindex', 'disputes')",
        )?;
        Ok(())
    })
    .unwrap();
    assert_eq!(prepare(&db, &tight).unwrap(), 1);
    assert_eq!(prepare(&db, &tight).unwrap(), 0);
}

#[test]
fn a_change_is_indexed_with_the_deadline_table_stored_when_the_indexer_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    prepare(&db, &DeadlineTable::default()).unwrap();
    let (rec, pushes) = pushes(11);
    let id = *rec.meta.id.as_uuid().as_bytes();
    let (limits, now) = (HeldLimits::default(), Timestamp::now());
    let (worker, report) = &pushes[0];
    db.push(worker, vec![report.clone()], (&limits, now))
        .unwrap();
    // The reporter's edit is pushed under the table the server started with; the server is
    // started again with another before the edit is indexed: a reported dispute is no longer due.
    let (worker, edit) = &pushes[4];
    db.push(worker, vec![edit.clone()], (&limits, now)).unwrap();
    let mut tight = DeadlineTable::default();
    tight
        .steps
        .retain(|s| s.status != gridmate_domain::DisputeStatus::Reported);
    prepare(&db, &tight).unwrap();
    db.read_index(|c| {
        let rowid: i64 = c.query_row(
            "SELECT rowid FROM sync_records WHERE id = ?1",
            [id.as_slice()],
            |r| r.get(0),
        )?;
        let stored = read_record(&load_record_doc(c, &id)?.unwrap()).unwrap();
        let row = stored_row(c, rowid).expect("an index row");
        assert_eq!(row, IndexRow::of(&stored, &tight).values());
        assert_ne!(
            row,
            IndexRow::of(&stored, &DeadlineTable::default()).values()
        );
        Ok(())
    })
    .unwrap();
}

/// The full-text index's stored segments and tombstones (rows of its data table).
fn fts_data_rows(db: &SqliteStorage) -> i64 {
    db.read(|c| Ok(c.query_row("SELECT count(*) FROM console_fts_data", [], |r| r.get(0))?))
        .unwrap()
}

#[test]
fn a_step_that_leaves_the_text_as_it_was_keeps_the_full_text_entry() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    let (rec, pushes) = pushes(3);
    let id = *rec.meta.id.as_uuid().as_bytes();
    let limits = HeldLimits::default();
    let push = |i: usize| {
        let (who, doc) = &pushes[i];
        let out = db
            .push(who, vec![doc.clone()], (&limits, Timestamp::now()))
            .unwrap();
        assert!(matches!(
            out.results[0].outcome,
            PushOutcome::Accepted { .. }
        ));
        check_index(&db, id);
        fts_data_rows(&db)
    };
    let reported = push(0);
    // Accept, assign, supervise: the row changes, the text does not; nothing is written to the
    // full-text index (no segment, no tombstone).
    assert_eq!(push(1), reported);
    assert_eq!(push(2), reported);
    assert_eq!(push(3), reported);
    // The reporter's new summary is written (and found: `check_index`).
    assert!(push(4) > reported);
}

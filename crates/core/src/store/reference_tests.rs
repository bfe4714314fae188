//! Reference data and records assigned outside the scope, on real SQLite files.

use gridmate_domain::reference::{Area, ReferenceData, Unit};
use gridmate_domain::wire::{self, PullPage};
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::{AreaLevel, RecordId};
use serde_json::json;

use super::*;
use crate::store::{Applied, ServerBinding, SyncState};

const GRID: &str = "jingkou-zhengdonglu-03";
const ELSEWHERE: &str = "jingkou-jianshelu";

fn open(dir: &tempfile::TempDir, user: &str) -> Store {
    Store::open(&dir.path().join(format!("{user}.db")), user).unwrap()
}

fn bind(s: &mut Store) {
    s.bind_server(&ServerBinding {
        server_url: "http://127.0.0.1:1".into(),
        user: s.user().to_owned(),
        token: "t".into(),
        allow_insecure: false,
        role: "legal_volunteer".into(),
        legal_role: Some("lawyer".into()),
        display_name: None,
        scope: vec![ELSEWHERE.into()],
        unit: None,
        token_issued_at: None,
        ca_cert: None,
    })
    .unwrap();
}

/// A dispute of `GRID` written by a grid worker's device.
fn dispute_elsewhere(dir: &tempfile::TempDir) -> (Store, RecordId) {
    let mut worker = open(dir, "wang.wei");
    let r = worker
        .create_json(json!({
            "kind": "dispute", "grid_id": GRID, "reported_at": "2026-11-01T09:00:00+08:00",
            "source": "field", "dispute_category": "neighbour", "summary": "漏水纠纷",
            "risk_level": "low", "parties": []
        }))
        .unwrap();
    (worker, r.id())
}

fn page(from: &Store, ids: &[RecordId], scope: &str, revoked: &[RecordId]) -> PullPage {
    let docs = ids
        .iter()
        .map(|id| {
            let mut doc = automerge::AutoCommit::load(&from.export_doc(*id).unwrap()).unwrap();
            wire::PulledDoc {
                record_id: *id.as_uuid().as_bytes(),
                grid_id: GRID.into(),
                changes: doc
                    .get_changes(&[])
                    .iter()
                    .map(|c| wire::Change(c.raw_bytes().to_vec()))
                    .collect(),
                projection: None,
            }
        })
        .collect();
    PullPage {
        docs,
        positions: vec![],
        more: false,
        scope: vec![scope.into()],
        revoked: revoked.iter().map(|id| *id.as_uuid().as_bytes()).collect(),
        authors: vec![],
    }
}

#[test]
fn reference_data_is_kept_until_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir, "chen.jing");
    assert_eq!(s.reference_data().unwrap(), None);
    let data = ReferenceData {
        areas: vec![Area {
            id: GRID.into(),
            name: "正东路 03 网格".into(),
            level: AreaLevel::Grid,
        }],
        units: vec![Unit {
            id: "jingkou-zhengdonglu-sfs".into(),
            name: "正东路司法所".into(),
        }],
        colleagues: vec![],
        deadlines: DeadlineTable::default(),
    };
    s.set_reference_data(&data).unwrap();
    drop(s);
    let s = open(&dir, "chen.jing");
    assert_eq!(s.reference_data().unwrap().unwrap(), data);
    assert_eq!(
        s.reference_data().unwrap().unwrap().area_name(GRID),
        "正东路 03 网格"
    );
    s.set_meta("reference_data", "not json").unwrap();
    assert_eq!(
        s.reference_data().unwrap(),
        None,
        "an unreadable copy is none, never a panic"
    );
}

#[test]
fn an_assigned_record_outside_the_scope_stays_through_scope_changes_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let (worker, id) = dispute_elsewhere(&dir);
    let mut lawyer = open(&dir, "chen.jing");
    bind(&mut lawyer);
    let mut a = Applied::default();
    lawyer
        .apply_pull(&page(&worker, &[id], ELSEWHERE, &[]), &mut a)
        .unwrap();
    assert_eq!(lawyer.sync_state(id).unwrap(), SyncState::Synced);
    assert!(
        lawyer
            .assigned_outside_scope()
            .unwrap()
            .contains(&id.to_string())
    );

    // Her scope changes: the assigned record stays (it is hers to handle).
    let mut a = Applied::default();
    lawyer
        .apply_pull(&page(&worker, &[], "jingkou-jianshelu-01", &[]), &mut a)
        .unwrap();
    assert_eq!(a.dropped_out_of_scope, 0);
    assert!(lawyer.get(id).is_ok());

    // Reassigned to someone else: revoked, removed with everything of it.
    let mut a = Applied::default();
    lawyer
        .apply_pull(&page(&worker, &[], "jingkou-jianshelu-01", &[id]), &mut a)
        .unwrap();
    assert_eq!(a.revoked, 1);
    assert!(lawyer.get(id).is_err());
    assert!(lawyer.assigned_outside_scope().unwrap().is_empty());
    for table in ["records", "documents", "record_sync"] {
        let n: i64 = lawyer
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
}

#[test]
fn a_revoked_record_with_unsent_work_stays_with_its_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let (worker, id) = dispute_elsewhere(&dir);
    let mut lawyer = open(&dir, "chen.jing");
    bind(&mut lawyer);
    lawyer
        .apply_pull(
            &page(&worker, &[id], ELSEWHERE, &[]),
            &mut Applied::default(),
        )
        .unwrap();
    lawyer
        .edit(id, &json!({"summary": "漏水纠纷，已约双方面谈"}))
        .unwrap();
    assert_eq!(lawyer.sync_state(id).unwrap(), SyncState::Pending);
    let mut a = Applied::default();
    lawyer
        .apply_pull(&page(&worker, &[], ELSEWHERE, &[id]), &mut a)
        .unwrap();
    assert_eq!(a.revoked, 0);
    assert_eq!(lawyer.sync_state(id).unwrap(), SyncState::Pending);
    let out = lawyer.collect_outgoing(10, 1 << 20).unwrap();
    assert_eq!(
        out.len(),
        1,
        "its work still goes to the server, which judges it"
    );
}

#[test]
fn a_record_inside_the_scope_is_not_listed_as_assigned() {
    let dir = tempfile::tempdir().unwrap();
    let (worker, id) = dispute_elsewhere(&dir);
    let mut dispatcher = open(&dir, "zhao.min");
    bind(&mut dispatcher);
    dispatcher
        .apply_pull(
            &page(&worker, &[id], "jingkou-zhengdonglu", &[]),
            &mut Applied::default(),
        )
        .unwrap();
    assert!(dispatcher.assigned_outside_scope().unwrap().is_empty());
    // Its scope moves away: an unassigned record outside it is dropped as before.
    let mut a = Applied::default();
    dispatcher
        .apply_pull(&page(&worker, &[], ELSEWHERE, &[]), &mut a)
        .unwrap();
    assert_eq!(a.dropped_out_of_scope, 1);
}

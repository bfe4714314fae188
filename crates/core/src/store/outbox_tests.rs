//! The outbox against the document it stands in for: whatever a device does between pushes
//! (edits, edits while a push is in flight, a peer's changes pulled into a pending record, the
//! server accepting, holding or rejecting), every push sends exactly the changes and heads that
//! reading the document would give. Real SQLite files; the server's answers are written by hand.

use automerge::ChangeHash;
use gridmate_domain::RecordId;
use gridmate_domain::wire::{self, PushOutcome, PushResult};
use proptest::prelude::*;
use serde_json::json;

use super::outbox::Outbox;
use super::sync::outgoing_chunks;
use super::*;

const GRID: &str = "jingkou-zhengdonglu-03";

fn dispute(summary: &str) -> serde_json::Value {
    json!({
        "kind": "dispute", "grid_id": GRID, "reported_at": "2026-11-01T09:00:00+08:00",
        "source": "field", "dispute_category": "neighbour", "summary": summary, "risk_level": "low",
        "parties": [{"name": "张三", "role": "applicant", "phone": "13800138000"}]
    })
}

/// A device bound to a server and a peer in the same grid, both holding `n` records the server
/// has acknowledged.
fn world(dir: &tempfile::TempDir, n: usize) -> (Store, Store, Vec<RecordId>) {
    let mut a = Store::open(&dir.path().join("a.db"), "wang.wei").unwrap();
    let mut b = Store::open(&dir.path().join("b.db"), "zhao.min").unwrap();
    a.set_meta("server_url", "https://gridmate.example")
        .unwrap();
    let ids: Vec<RecordId> = (0..n)
        .map(|i| {
            a.create_json(dispute(&format!("楼上漏水第{i}次")))
                .unwrap()
                .id()
        })
        .collect();
    push(&mut a, |_| Answer::Accept);
    for id in &ids {
        pull_into(&a, &mut b, *id);
    }
    (a, b, ids)
}

/// Moves every change of `id` from `from` into `to`, as a pull would.
fn pull_into(from: &Store, to: &mut Store, id: RecordId) {
    let mut doc = automerge::AutoCommit::load(&from.export_doc(id).unwrap()).unwrap();
    let changes = doc.get_changes(&[]);
    let page = wire::PullPage {
        docs: vec![wire::PulledDoc {
            record_id: *id.as_uuid().as_bytes(),
            grid_id: GRID.into(),
            changes: changes
                .iter()
                .map(|c| wire::Change(c.raw_bytes().to_vec()))
                .collect(),
            projection: None,
        }],
        positions: vec![],
        more: false,
        scope: vec!["jingkou-zhengdonglu".into()],
        revoked: vec![],
        authors: vec![],
    };
    to.apply_pull(&page, &mut Applied::default()).unwrap();
}

#[derive(Debug, Clone, Copy)]
enum Answer {
    Accept,
    Hold,
    Reject,
}

/// What reading the document gives for `id`, and whether the outbox was current (used).
fn by_document(s: &Store, id: RecordId) -> (Vec<wire::Change>, Vec<ChangeHash>, bool) {
    let sql = format!(
        "SELECT d.doc, d.heads, {} FROM records r JOIN documents d ON d.record_rowid = r.rowid
         JOIN record_sync s ON s.record_rowid = r.rowid WHERE r.id = ?1",
        Outbox::COLUMNS
    );
    let (doc, heads, outbox) = s
        .conn
        .query_row(&sql, [id.to_string()], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                Outbox::from_row(r, 2)?,
            ))
        })
        .unwrap();
    let synced = outbox.synced.clone();
    let used = outbox.changes_for(&heads).is_some();
    let (changes, heads) = outgoing_chunks(doc, synced, heads).unwrap();
    (changes, heads, used)
}

fn sorted(mut cs: Vec<wire::Change>) -> Vec<wire::Change> {
    cs.sort_by(|x, y| x.0.cmp(&y.0));
    cs
}

/// Collects a push, checks each record against its document, and answers it. Returns how many
/// records went from their outbox.
fn push(s: &mut Store, answer: impl Fn(usize) -> Answer) -> usize {
    push_with(s, answer, |_| {})
}

/// `push`, with `during` run between collecting and answering (a save while in flight).
fn push_with(
    s: &mut Store,
    answer: impl Fn(usize) -> Answer,
    during: impl FnOnce(&mut Store),
) -> usize {
    let sent = s.collect_outgoing(50, 1 << 22).unwrap();
    let mut from_outbox = 0;
    for out in &sent {
        let id = RecordId::from_uuid(uuid::Uuid::from_bytes(out.doc.record_id));
        let (changes, heads, used) = by_document(s, id);
        assert_eq!(
            sorted(out.doc.changes.clone()),
            sorted(changes),
            "changes of {id}"
        );
        let mut got = out.heads.clone();
        got.sort();
        let mut want = heads;
        want.sort();
        assert_eq!(got, want, "heads of {id}");
        from_outbox += usize::from(used);
    }
    during(s);
    let results = sent
        .iter()
        .enumerate()
        .map(|(i, out)| PushResult {
            record_id: out.doc.record_id,
            outcome: match answer(i) {
                Answer::Accept => PushOutcome::Accepted {
                    heads: out.heads.iter().map(|h| h.0).collect(),
                },
                Answer::Hold => PushOutcome::Held { missing: vec![] },
                Answer::Reject => PushOutcome::Rejected {
                    code: "validation_failed".into(),
                    field: "summary".into(),
                    message_zh: "不行".into(),
                    message_en: "no".into(),
                },
            },
        })
        .collect::<Vec<_>>();
    s.apply_push_results(&sent, &results, &mut Applied::default())
        .unwrap();
    from_outbox
}

fn edit(s: &mut Store, id: RecordId, v: u8) {
    let risk = ["low", "medium", "high"][usize::from(v % 3)];
    let patch = if v.is_multiple_of(2) {
        json!({"risk_level": risk})
    } else {
        json!({"summary": format!("楼上漏水，已上门{v}次")})
    };
    s.edit(id, &patch).unwrap();
}

#[test]
fn an_edit_after_a_sync_is_pushed_from_the_outbox_and_cleared_once_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, _b, ids) = world(&dir, 2);
    edit(&mut a, ids[0], 1);
    edit(&mut a, ids[0], 2);
    assert_eq!(push(&mut a, |_| Answer::Accept), 1, "sent from its outbox");
    let left: i64 = a
        .conn
        .query_row(
            "SELECT count(*) FROM record_sync WHERE unsent IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "an accepted push empties the outbox");
    assert!(a.collect_outgoing(50, 1 << 22).unwrap().is_empty());
}

#[test]
fn a_save_made_while_a_push_was_in_flight_goes_next_from_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let (mut a, _b, ids) = world(&dir, 2);
    edit(&mut a, ids[0], 1);
    push_with(&mut a, |_| Answer::Accept, |s| edit(s, ids[0], 2));
    assert_eq!(a.sync_state(ids[0]).unwrap(), SyncState::Pending);
    assert_eq!(
        push(&mut a, |_| Answer::Accept),
        1,
        "the in-flight save, from the outbox"
    );
    assert_eq!(a.sync_state(ids[0]).unwrap(), SyncState::Synced);
}

#[derive(Debug, Clone)]
enum Step {
    Edit(usize, u8),
    Push(Vec<u8>),
    PushWhileEditing(usize, u8),
    PeerEdit(usize, u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, any::<u8>()).prop_map(|(r, v)| Step::Edit(r, v)),
        2 => proptest::collection::vec(0..6u8, 3).prop_map(Step::Push),
        1 => (0..3usize, any::<u8>()).prop_map(|(r, v)| Step::PushWhileEditing(r, v)),
        1 => (0..3usize, any::<u8>()).prop_map(|(r, v)| Step::PeerEdit(r, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_push_sends_what_the_document_would(steps in proptest::collection::vec(step(), 1..14)) {
        let dir = tempfile::tempdir().unwrap();
        let (mut a, mut b, ids) = world(&dir, 3);
        // Mostly accepted; sometimes held or rejected.
        let answer = |codes: &[u8], i: usize| match codes.get(i).copied().unwrap_or(0) {
            4 => Answer::Hold,
            5 => Answer::Reject,
            _ => Answer::Accept,
        };
        for st in steps {
            match st {
                Step::Edit(r, v) => edit(&mut a, ids[r], v),
                Step::Push(codes) => {
                    push(&mut a, |i| answer(&codes, i));
                }
                Step::PushWhileEditing(r, v) => {
                    push_with(&mut a, |_| Answer::Accept, |s| edit(s, ids[r], v));
                }
                Step::PeerEdit(r, v) => {
                    edit(&mut b, ids[r], v.wrapping_add(1));
                    pull_into(&b, &mut a, ids[r]);
                }
            }
        }
        push(&mut a, |_| Answer::Accept);
        prop_assert!(a.collect_outgoing(50, 1 << 22).unwrap().is_empty());
    }
}

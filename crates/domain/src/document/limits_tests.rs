#![allow(clippy::unwrap_used)]
use super::*;
use crate::document::{read_record, write_changes};
use crate::enums::{Role, WorkflowAction};
use crate::fixtures::{self, Rng};
use crate::record::{Record, RecordBody};
use crate::time::Timestamp;
use crate::workflow::{EventDetails, WorkflowEvent};
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use proptest::prelude::*;

fn at() -> Timestamp {
    Timestamp::from_millis(1_764_300_000_000).unwrap()
}

/// The measure of every change of `doc`, from the changes themselves (re-encoded: tests only).
fn measured(doc: &mut AutoCommit) -> HistorySize {
    HistorySize::of_changes(doc.get_changes(&[]).iter())
}

fn a_dispute(seed: u64) -> Record {
    (seed..)
        .map(|s| fixtures::record(&mut Rng::new(s), fixtures::grid_id(3), at(), "wang.wei"))
        .find(|r| matches!(r.body, RecordBody::Dispute(_)))
        .unwrap()
}

/// A 2,000-character note (the rule's maximum), in Chinese: three bytes a character.
fn long_note(i: usize) -> String {
    let line = format!("第{i}次调解记录：双方当事人到场，就赔偿金额和履行期限充分交换了意见。");
    line.chars().cycle().take(2000).collect()
}

/// Saves `new` over `old` in `doc` as one change, as a device does.
fn save(doc: &mut AutoCommit, old: &Record, new: &Record) {
    write_changes(doc, Some(old), new).unwrap();
    doc.commit();
}

/// The heaviest dispute the rules allow a person to make: 500 workflow events each with a full
/// 2,000-character note, each saved on its own, and a 5,000-character summary rewritten by a
/// tenth, 100 times. The defaults must leave it room to spare (at least twice over).
#[test]
fn the_heaviest_honest_dispute_stays_far_below_the_defaults() {
    let mut rec = a_dispute(1);
    let RecordBody::Dispute(d) = &mut rec.body else {
        unreachable!()
    };
    d.summary = long_note(0).repeat(3).chars().take(5000).collect();
    let mut doc = crate::document::new_document(&rec).unwrap();
    doc.commit();
    for i in 0..crate::workflow::MAX_EVENTS {
        let mut next = rec.clone();
        let RecordBody::Dispute(d) = &mut next.body else {
            unreachable!()
        };
        d.workflow.push(WorkflowEvent {
            id: format!("0190b0c0-0000-7000-8000-{i:012}"),
            action: WorkflowAction::Log,
            by: "wang.wei".into(),
            role: Role::GridWorker,
            by_unit: None,
            at: at(),
            details: EventDetails {
                note: Some(long_note(i)),
                ..EventDetails::default()
            },
        });
        if i % 5 == 0 {
            let from = (i * 7) % 4000;
            let with = if i % 10 == 0 { '改' } else { '正' };
            d.summary = d
                .summary
                .chars()
                .enumerate()
                .map(|(j, c)| {
                    if (from..from + 500).contains(&j) {
                        with
                    } else {
                        c
                    }
                })
                .collect();
        }
        save(&mut doc, &rec, &next);
        rec = next;
    }
    assert_eq!(read_record(&doc).unwrap(), rec);
    let size = measured(&mut doc);
    let limits = HistoryLimits::default();
    assert!(size.bytes * 2 <= limits.max_bytes, "{size:?}");
    assert!(size.ops * 2 <= limits.max_ops, "{size:?}");
    assert_eq!(ops_of(&mut doc), size.ops);
}

#[test]
fn text_typed_and_deleted_again_counts_in_full() {
    let mut doc = AutoCommit::new();
    let text = doc.put_object(ROOT, "notes", ObjType::Text).unwrap();
    doc.splice_text(&text, 0, 0, &"x".repeat(1000)).unwrap();
    doc.commit();
    doc.splice_text(&text, 0, 1000, "").unwrap();
    doc.commit();
    // One op for the text object, 1,000 inserts, 1,000 deletions.
    assert_eq!(ops_of(&mut doc), 2001);
    assert_eq!(measured(&mut doc).ops, 2001);
    assert_eq!(doc.text(&text).unwrap(), "");
}

#[test]
fn the_check_refuses_either_bound_with_its_code() {
    let limits = HistoryLimits {
        max_bytes: 100,
        max_ops: 10,
    };
    assert!(
        limits
            .check(HistorySize {
                bytes: 100,
                ops: 10
            })
            .is_ok()
    );
    for size in [
        HistorySize { bytes: 101, ops: 1 },
        HistorySize { bytes: 1, ops: 11 },
    ] {
        let e = limits.check(size).unwrap_err();
        assert_eq!(e.code, ErrorCode::HistoryTooLarge);
        assert_eq!(e.field, FIELD);
        assert!(e.message.zh_cn.contains("历史") && e.message.en.contains("history"));
    }
    let huge = HistorySize {
        bytes: u64::MAX,
        ops: u64::MAX,
    };
    assert_eq!(huge.plus(huge), huge);
}

/// An edit on a document: insert `len` characters at `at`, or delete up to `len` from there.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, usize),
    Delete(usize, usize),
    Put(u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0..40usize).prop_map(|(a, n)| Edit::Insert(a, n)),
        (any::<usize>(), 0..40usize).prop_map(|(a, n)| Edit::Delete(a, n)),
        any::<u8>().prop_map(Edit::Put),
    ]
}

fn apply(doc: &mut AutoCommit, text: &automerge::ObjId, e: &Edit) {
    let len = doc.length(text);
    match *e {
        Edit::Insert(a, n) => doc.splice_text(text, a % (len + 1), 0, &"字".repeat(n)),
        Edit::Delete(a, n) => {
            let at = a % (len + 1);
            doc.splice_text(text, at, n.min(len - at) as isize, "")
        }
        Edit::Put(v) => doc.put(ROOT, "k", i64::from(v)),
    }
    .unwrap();
    doc.commit();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever the edits (on two replicas, merged), the measure from the change graph equals
    /// the sum over the changes, is the sum of its parts, and never shrinks: deleting adds.
    #[test]
    fn the_measure_is_the_sum_of_the_changes_and_only_grows(
        ours in proptest::collection::vec(edit(), 1..8),
        theirs in proptest::collection::vec(edit(), 0..8),
    ) {
        let mut doc = AutoCommit::new();
        let text = doc.put_object(ROOT, "t", ObjType::Text).unwrap();
        doc.commit();
        let fork_point = doc.get_heads();
        let mut other = doc.fork();
        let mut last = ops_of(&mut doc);
        for e in &ours {
            apply(&mut doc, &text, e);
            let now = ops_of(&mut doc);
            prop_assert!(now >= last);
            last = now;
        }
        for e in &theirs {
            apply(&mut other, &text, e);
        }
        let base = measured(&mut doc);
        let theirs_only = HistorySize::of_changes(other.get_changes(&fork_point).iter());
        doc.merge(&mut other).unwrap();
        let all = measured(&mut doc);
        prop_assert_eq!(ops_of(&mut doc), all.ops);
        prop_assert_eq!(base.plus(theirs_only), all);
    }
}

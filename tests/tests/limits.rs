//! What one user may make the server store, against a real `gridmate-server` process.
//!
//! `keys_and_types_outside_the_schema_are_refused` proves that a record holding a key its schema
//! does not define (at the root, or in a nested map) is refused `unknown_field` at that path, and a
//! value of another Automerge type `invalid_type`, on both push paths (changes, and a first push's
//! document chunk), storing nothing.
//!
//! `an_inflated_history_is_refused_stored_nowhere_and_delivered_to_nobody` proves the history
//! bound: one small push whose changes type and delete 250,000 characters (the record's content is
//! valid before and after) is refused `history_too_large` on `history`, for a new record and for an
//! edit of a stored one; the server keeps the record as it was, and another device receives
//! nothing of it.
//!
//! `the_write_budget_answers_429_and_the_device_keeps_its_records` proves the per-user write
//! budget on a server started with `--write-budget-records 3 --write-budget-window-secs 4`: a
//! push beyond it is 429 `write_budget_exceeded` with `Retry-After`, nothing of it applied; the
//! device keeps every record pending and still receives a colleague's record in that same sync;
//! a pull-only exchange succeeds; after the wait the device's records go up.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use gridmate_core::sync::transport::TransportError;
use gridmate_core::sync::{SyncError, SyncReport};
use gridmate_domain::document::write_changes;
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::wire::{self, Position, PullRequest, PushDoc};
use gridmate_domain::{GridId, Record, RecordId, Timestamp};
use gridmate_system_tests::handmade::{
    assert_accepted, assert_rejected, device_record, push_as, push_of, raw_changes,
};
use gridmate_system_tests::{Device, Server, bin, draft, exchange_raw, text_field};

const Z03: &str = "jingkou-zhengdonglu-03";

/// A first push as the app makes it: the record's whole document as one chunk.
fn as_document(rec: &Record, doc: &mut AutoCommit) -> PushDoc {
    PushDoc {
        record_id: *rec.meta.id.as_uuid().as_bytes(),
        changes: vec![wire::Change(doc.save_nocompress())],
    }
}

async fn single_outcome(dev: &Device, push: PushDoc) -> wire::PushOutcome {
    push_as(dev, vec![push]).await.results.remove(0).outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_types_outside_the_schema_are_refused() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(7);
    type Spoil = fn(&mut AutoCommit);
    let cases: [(Spoil, &str, &str); 4] = [
        (
            |d| {
                d.put(ROOT, "zz_hidden", "x".repeat(1000))
                    .map(drop)
                    .unwrap()
            },
            "unknown_field",
            "zz_hidden",
        ),
        (
            |d| {
                let loc = d.put_object(ROOT, "location", ObjType::Map).unwrap();
                d.put(&loc, "lat", 32.2).unwrap();
                d.put(&loc, "lon", 119.4).unwrap();
                d.put(&loc, "accuracy_m", 5.0).unwrap();
                d.put(&loc, "payload", "x").unwrap();
            },
            "unknown_field",
            "location.payload",
        ),
        (
            |d| {
                d.put_object(ROOT, "address", ObjType::Text)
                    .map(drop)
                    .unwrap()
            },
            "invalid_type",
            "address",
        ),
        (
            |d| {
                d.put_object(ROOT, "created_by", ObjType::Map)
                    .map(drop)
                    .unwrap()
            },
            "invalid_type",
            "created_by",
        ),
    ];
    for (spoil, code, field) in cases {
        for whole in [false, true] {
            // The record and the spoiling key in one change, as a first push carries it.
            let at = Timestamp::now().plus_millis(-3_600_000);
            let rec = fixtures::record(&mut rng, GridId::parse(Z03).unwrap(), at, "wang.wei");
            let mut doc = AutoCommit::new();
            write_changes(&mut doc, None, &rec).unwrap();
            spoil(&mut doc);
            doc.commit();
            let push = if whole {
                as_document(&rec, &mut doc)
            } else {
                push_of(&rec, &mut doc)
            };
            assert_rejected(&single_outcome(&dev, push).await, code, field);
        }
    }
    assert!(server.dump().is_empty(), "nothing refused is stored");
}

/// Types `n` characters into the record's free text and deletes them again: the record reads as
/// before. Returns the two changes.
fn inflate(doc: &mut AutoCommit, kind: &str, n: usize) -> Vec<automerge::Change> {
    let before = doc.get_heads();
    let Some((Value::Object(ObjType::Text), text)) = doc.get(ROOT, text_field(kind)).unwrap()
    else {
        panic!("no text field")
    };
    let len = doc.length(&text);
    doc.splice_text(&text, len, 0, &"灌".repeat(n)).unwrap();
    doc.commit();
    doc.splice_text(&text, len, n as isize, "").unwrap();
    doc.commit();
    doc.get_changes(&before)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inflated_history_is_refused_stored_nowhere_and_delivered_to_nobody() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let other = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(11);

    // A new record whose first push carries the inflated history.
    let (fresh, mut fresh_doc) = device_record(&mut rng, Z03, "wang.wei");
    inflate(&mut fresh_doc, fresh.kind().as_str(), 250_000);
    let push = push_of(&fresh, &mut fresh_doc);
    let sent: usize = push.changes.iter().map(|c| c.0.len()).sum();
    assert!(sent < 1024 * 1024, "the push itself is small: {sent} bytes");
    assert_rejected(
        &single_outcome(&dev, push).await,
        "history_too_large",
        "history",
    );

    // A stored record, then an edit that inflates it.
    let (rec, mut doc) = device_record(&mut rng, Z03, "wang.wei");
    assert_accepted(&single_outcome(&dev, push_of(&rec, &mut doc)).await);
    let stored = server.dump();
    let changes = inflate(&mut doc, rec.kind().as_str(), 250_000);
    let edit = PushDoc {
        record_id: *rec.meta.id.as_uuid().as_bytes(),
        changes: raw_changes(changes),
    };
    assert_rejected(
        &single_outcome(&dev, edit).await,
        "history_too_large",
        "history",
    );

    assert_eq!(
        server.dump(),
        stored,
        "the server holds exactly what it held"
    );
    assert!(!stored.contains_key(&fresh.meta.id.to_string()));
    other.sync().await.unwrap();
    let seen = other.snapshot();
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        vec![&rec.meta.id.to_string()]
    );
    assert_eq!(
        seen[&rec.meta.id.to_string()].0,
        stored[&rec.meta.id.to_string()].0,
        "the other device has the record at the heads before the refused edit"
    );
}

/// The server error a failed sync ended with.
fn server_error(outcome: Result<SyncReport, SyncError>) -> (u16, String, Option<u64>) {
    match outcome {
        Err(SyncError::Transport(TransportError::Server {
            status,
            code,
            retry_after_s,
            message,
        })) => {
            assert!(!message.zh_cn.is_empty() && !message.en.is_empty());
            (status, code, retry_after_s)
        }
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_budget_answers_429_and_the_device_keeps_its_records() {
    let flags = [
        "--write-budget-records",
        "3",
        "--write-budget-window-secs",
        "4",
    ];
    let server = Server(
        gridmate_test_harness::Server::try_start(&bin("gridmate-server"), None, &flags).unwrap(),
    );
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("li.na", "grid_worker", Z03, None);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let colleague = Device::login(&server.url, "li.na").await.unwrap();
    let mut rng = Rng::new(13);
    let pending = |d: &Device| d.with(|s| s.counts().unwrap().pending);

    for _ in 0..2 {
        dev.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    }
    assert_eq!(dev.sync().await.unwrap().accepted, 2);
    for _ in 0..3 {
        dev.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    }
    let theirs: RecordId = colleague
        .with(|s| s.create(draft(&mut rng, Z03)))
        .unwrap()
        .meta
        .id;
    colleague.sync().await.unwrap();

    let (status, code, retry_after) = server_error(dev.sync().await);
    assert_eq!((status, code.as_str()), (429, "write_budget_exceeded"));
    let retry_after = retry_after.expect("a Retry-After header");
    assert!((1..=4).contains(&retry_after), "{retry_after}");
    assert_eq!(pending(&dev), 3, "the device keeps every record");
    assert_eq!(
        server.dump().len(),
        3,
        "nothing of the refused push is applied"
    );
    let got = dev.snapshot();
    assert!(
        got.contains_key(&theirs.to_string()),
        "the same sync still pulled"
    );

    // A pull-only exchange is never refused.
    let body = exchange_raw(
        &dev,
        wire::PROTOCOL_VERSION,
        Vec::new(),
        PullRequest {
            positions: Vec::<Position>::new(),
            max_changes: 100,
        },
    )
    .await;
    assert!(wire::decode_response(&body).is_ok());

    tokio::time::sleep(std::time::Duration::from_secs(retry_after)).await;
    let report = dev.sync().await.unwrap();
    assert_eq!(report.accepted, 3);
    assert_eq!(pending(&dev), 0);
    assert_eq!(server.dump().len(), 6);
}

//! Protocol 3's projections against a real `gridmate-server` process.
//!
//! The server attaches a record's projection (its JSON and heads) to a pulled record only when the
//! page holds every change it has logged for that record; a device lacking the record stores it
//! from the projection without loading the document. These tests pin down when the projection
//! is sent and that it is exactly the record at exactly those heads:
//! - a cold pull: every record carries its projection, equal to the record and heads the writing
//!   device holds;
//! - a record whose changes straddle two pages, and an incremental pull of a record the device
//!   already has: no projection (the chunks are not the whole record);
//! - a record whose latest change is the request's own push (not echoed back): no projection;
//! - a version-2 app: its request is served in the version-2 layout.
#![allow(clippy::unwrap_used)]

use automerge::AutoCommit;
use gridmate_domain::fixtures::Rng;
use gridmate_domain::wire::{self, PROTOCOL_VERSION, Position, PullPage, PullRequest, PushDoc};
use gridmate_domain::{Record, RecordId};
use gridmate_system_tests::{Device, Server, draft, exchange_raw};
use serde_json::json;

const Z03: &str = "jingkou-zhengdonglu-03";

async fn pull(dev: &Device, positions: Vec<Position>, max_changes: u32) -> PullPage {
    let bytes = exchange_raw(
        dev,
        PROTOCOL_VERSION,
        vec![],
        PullRequest {
            positions,
            max_changes,
        },
    )
    .await;
    wire::decode_response(&bytes).unwrap().pull.unwrap()
}

fn id_of(d: &wire::PulledDoc) -> RecordId {
    RecordId::from_uuid(uuid::Uuid::from_bytes(d.record_id))
}

/// The record and sorted heads a device holds.
fn held(dev: &Device, id: RecordId) -> (Record, Vec<[u8; 32]>) {
    dev.with(|s| {
        let mut doc = AutoCommit::load(&s.export_doc(id).unwrap()).unwrap();
        let mut heads: Vec<[u8; 32]> = doc.get_heads().iter().map(|h| h.0).collect();
        heads.sort();
        (s.get(id).unwrap(), heads)
    })
}

fn projected(d: &wire::PulledDoc) -> Option<(Record, Vec<[u8; 32]>)> {
    d.projection.as_ref().map(|p| {
        let mut heads = p.heads.clone();
        heads.sort();
        (serde_json::from_slice(&p.record).unwrap(), heads)
    })
}

/// A server with a grid worker of Z03 and a dispatcher of its township, each signed in on a device.
async fn worker_and_dispatcher() -> (Server, Device, Device) {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("zhao.min", "dispatcher", "jingkou-zhengdonglu", None);
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let dispatcher = Device::login(&server.url, "zhao.min").await.unwrap();
    (server, worker, dispatcher)
}

fn create(dev: &Device, rng: &mut Rng) -> RecordId {
    dev.with(|s| s.create(draft(rng, Z03))).unwrap().meta.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_sends_the_projection_only_with_the_whole_record() {
    let (_server, worker, dispatcher) = worker_and_dispatcher().await;
    let mut rng = Rng::new(7);

    // Log: a1, b1 (one push), then a2 (an edit of a).
    let a = create(&worker, &mut rng);
    let b = create(&worker, &mut rng);
    worker.sync().await.unwrap();
    worker
        .with(|s| s.edit(a, &json!({"address": "梦溪园巷1号"})))
        .unwrap();
    worker.sync().await.unwrap();

    // Cold, in one page: both records whole, each with the record and heads the worker holds.
    let page = pull(&dispatcher, vec![], 100).await;
    assert_eq!(page.docs.len(), 2);
    for d in &page.docs {
        assert_eq!(projected(d), Some(held(&worker, id_of(d))), "{}", id_of(d));
    }
    assert_eq!(
        page.docs
            .iter()
            .find(|d| id_of(d) == a)
            .unwrap()
            .changes
            .len(),
        2
    );

    // Cold, two changes a page: a's first change comes with b, its edit alone on the next page.
    let first = pull(&dispatcher, vec![], 2).await;
    assert!(first.more);
    let fa = first.docs.iter().find(|d| id_of(d) == a).unwrap();
    let fb = first.docs.iter().find(|d| id_of(d) == b).unwrap();
    assert_eq!(fa.projection, None, "a's edit is on the next page");
    assert_eq!(projected(fb), Some(held(&worker, b)));
    let second = pull(&dispatcher, first.positions.clone(), 2).await;
    assert_eq!(second.docs.len(), 1);
    assert_eq!(id_of(&second.docs[0]), a);
    assert_eq!(
        second.docs[0].projection, None,
        "a's creation was on the page before"
    );

    // Incremental: a device that has everything gets a's next edit without a projection.
    let up_to_date = pull(&dispatcher, vec![], 100).await.positions;
    worker
        .with(|s| s.edit(a, &json!({"address": "梦溪园巷2号"})))
        .unwrap();
    worker.sync().await.unwrap();
    let next = pull(&dispatcher, up_to_date, 100).await;
    assert_eq!(next.docs.len(), 1);
    assert_eq!(next.docs[0].changes.len(), 1);
    assert_eq!(next.docs[0].projection, None);

    // And the real client, cold, stores both as the worker holds them.
    dispatcher.sync().await.unwrap();
    assert_eq!(held(&dispatcher, a), held(&worker, a));
    assert_eq!(held(&dispatcher, b), held(&worker, b));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_whose_last_change_is_the_requests_own_push_has_no_projection() {
    let (_server, worker, dispatcher) = worker_and_dispatcher().await;
    let mut rng = Rng::new(8);
    let a = create(&worker, &mut rng);
    worker.sync().await.unwrap();

    // The dispatcher edits a copy of a and, in the same request, pulls from scratch: a's
    // creation comes back, the edit does not, and neither does a projection.
    let mut doc = AutoCommit::load(&worker.with(|s| s.export_doc(a)).unwrap()).unwrap();
    let before = doc.get_heads();
    let old = worker.with(|s| s.get(a)).unwrap();
    let mut record =
        gridmate_domain::input::apply_patch(&old, &json!({"address": "正东路1号"})).unwrap();
    record.meta.updated_at = gridmate_domain::Timestamp::now();
    gridmate_domain::document::write_changes(&mut doc, Some(&old), &record).unwrap();
    doc.commit();
    let edit = PushDoc {
        record_id: *a.as_uuid().as_bytes(),
        changes: doc
            .get_changes(&before)
            .iter()
            .map(|c| wire::Change(c.raw_bytes().to_vec()))
            .collect(),
    };
    let bytes = exchange_raw(
        &dispatcher,
        PROTOCOL_VERSION,
        vec![edit],
        PullRequest {
            positions: vec![],
            max_changes: 100,
        },
    )
    .await;
    let resp = wire::decode_response(&bytes).unwrap();
    assert!(
        matches!(resp.results[0].outcome, wire::PushOutcome::Accepted { .. }),
        "{:?}",
        resp.results[0].outcome
    );
    let page = resp.pull.unwrap();
    assert_eq!(page.docs.len(), 1);
    assert_eq!(page.docs[0].changes.len(), 1, "the own edit is not echoed");
    assert_eq!(page.docs[0].projection, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_2_app_is_served_in_the_version_2_layout() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let fresh = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(9);
    let a = create(&worker, &mut rng);
    worker.sync().await.unwrap();

    let bytes = exchange_raw(
        &fresh,
        2,
        vec![],
        PullRequest {
            positions: vec![],
            max_changes: 100,
        },
    )
    .await;
    let old = wire::v2::decode_response(&bytes).unwrap();
    assert_eq!(old.protocol, 2);
    let page = old.pull.unwrap();
    assert_eq!(page.docs.len(), 1);
    assert_eq!(page.docs[0].record_id, *a.as_uuid().as_bytes());
    // Its chunks are the record: loaded, they hold what the worker holds.
    let bytes: Vec<u8> = page.docs[0]
        .changes
        .iter()
        .flat_map(|c| c.0.clone())
        .collect();
    let doc = AutoCommit::load(&bytes).unwrap();
    assert_eq!(
        gridmate_domain::document::read_record(&doc).unwrap(),
        held(&worker, a).0
    );
    // A version-3 client cannot mistake it for its own layout.
    assert!(
        wire::decode_response(
            &exchange_raw(
                &fresh,
                2,
                vec![],
                PullRequest {
                    positions: vec![],
                    max_changes: 100
                }
            )
            .await
        )
        .is_err()
    );
}

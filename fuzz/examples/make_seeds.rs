//! Writes the seed corpus of `decode_request`: a few valid requests, deterministic (fixed seed,
//! time and actors). Each seed is written twice: as an HTTP body (`seed-*.body`) and as the bare
//! postcard message (`seed-*.msg`, which the target frames itself).
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds -- fuzz/corpus/decode_request`

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ROOT};
use gridmate_domain::document::write_changes;
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::wire::{
    self, Change, PROTOCOL_VERSION, Position, PullRequest, PushDoc, SyncRequest,
};
use gridmate_domain::{GridId, Timestamp};

const AT_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn commit(doc: &mut AutoCommit) {
    doc.commit_with(
        CommitOptions::default()
            .with_message("gridmate:create:wang.wei")
            .with_time(AT_MS / 1000),
    );
}

/// A record of `grid` as a device writes it: the creation, plus an address edit when `edit`.
fn document(rng: &mut Rng, n: u8, grid: &str, edit: bool) -> ([u8; 16], AutoCommit) {
    let at = Timestamp::from_millis(AT_MS).unwrap();
    let rec = fixtures::record(rng, GridId::parse(grid).unwrap(), at, "wang.wei");
    let mut doc = AutoCommit::new().with_actor(ActorId::from([n; 16]));
    write_changes(&mut doc, None, &rec).unwrap();
    commit(&mut doc);
    if edit {
        doc.put(ROOT, "address", "正东路 1 号").unwrap();
        commit(&mut doc);
    }
    (*rec.meta.id.as_uuid().as_bytes(), doc)
}

/// The record pushed as its changes.
fn record(rng: &mut Rng, n: u8, grid: &str, edit: bool) -> PushDoc {
    let (record_id, mut doc) = document(rng, n, grid, edit);
    PushDoc {
        record_id,
        changes: doc
            .get_changes(&[])
            .iter()
            .map(|c| Change(c.raw_bytes().to_vec()))
            .collect(),
    }
}

/// The record pushed as a device sends one the server has never seen (protocol v2): its whole
/// history as one uncompressed document chunk.
fn record_as_document(rng: &mut Rng, n: u8, grid: &str, edit: bool) -> PushDoc {
    let (record_id, mut doc) = document(rng, n, grid, edit);
    PushDoc {
        record_id,
        changes: vec![Change(doc.save_nocompress())],
    }
}

fn pull(areas: &[&str]) -> Option<PullRequest> {
    Some(PullRequest {
        positions: areas
            .iter()
            .enumerate()
            .map(|(i, a)| Position {
                area: (*a).into(),
                seq: i as u64 * 7,
            })
            .collect(),
        max_changes: 5000,
    })
}

fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("the corpus folder"));
    let mut rng = Rng::new(42);
    let seeds = [
        (
            "pull-only",
            SyncRequest {
                protocol: PROTOCOL_VERSION,
                push: vec![],
                pull: pull(&["jingkou-zhengdonglu-03"]),
            },
        ),
        (
            "one-record",
            SyncRequest {
                protocol: PROTOCOL_VERSION,
                push: vec![record(&mut rng, 1, "jingkou-zhengdonglu-03", false)],
                pull: pull(&["jingkou-zhengdonglu"]),
            },
        ),
        (
            "create-and-edit",
            SyncRequest {
                protocol: PROTOCOL_VERSION,
                push: vec![record(&mut rng, 2, "jingkou-zhengdonglu-01", true)],
                pull: None,
            },
        ),
        (
            "batch",
            SyncRequest {
                protocol: PROTOCOL_VERSION,
                push: (3..6)
                    .map(|n| record(&mut rng, n, "runzhou-heping-02", n == 4))
                    .collect(),
                pull: pull(&["runzhou", "jingkou-zhengdonglu-03"]),
            },
        ),
        (
            "documents",
            SyncRequest {
                protocol: PROTOCOL_VERSION,
                push: vec![
                    record_as_document(&mut rng, 6, "jingkou-zhengdonglu-03", false),
                    record_as_document(&mut rng, 7, "jingkou-zhengdonglu-03", true),
                ],
                pull: pull(&["jingkou-zhengdonglu-03"]),
            },
        ),
    ];
    for (name, req) in seeds {
        let body = wire::encode_request(&req);
        assert_eq!(wire::decode_request(&body).unwrap(), req);
        std::fs::write(dir.join(format!("seed-{name}.body")), &body).unwrap();
        std::fs::write(
            dir.join(format!("seed-{name}.msg")),
            postcard::to_stdvec(&req).unwrap(),
        )
        .unwrap();
    }
}

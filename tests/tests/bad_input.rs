//! Hostile and broken input against a real `gridmate-server` process.
//!
//! `broken_bodies_get_typed_errors` proves that every body that is not a valid sync request gets a
//! typed 4xx with a stable code (`malformed_body`, `unsupported_protocol`, `payload_too_large`), that
//! none of it is stored (each bad body carries a valid record), and that the server keeps serving:
//! a normal device sync succeeds right after each one.
//!
//! `bad_changes_are_refused_per_record` proves the per-record checks of a well-formed request:
//! undecodable Automerge bytes are `malformed_change`; a move to another grid and changes to
//! immutable fields are `immutable_field` on the field (an `id` change is `id_mismatch`); a
//! validation failure comes with its code and field path; in every case the record is left as it
//! was and the rest of the batch commits. A change whose dependency is missing is `Held`: for an
//! unknown record nothing is stored; for a stored one it waits (stored for nobody) and is
//! released, with its dependency, once the dependency arrives (tests/tests/held.rs has the rest).
//!
//! `a_change_that_panics_automerge_fails_one_record` is the regression test of the fuzzer's crash
//! (fuzz/, docs/sync-protocol.md "Fuzzing"): a first change whose sequence number claims 3 makes
//! automerge 0.12.0 panic in `apply_changes`; the server refuses that record and nothing else.
//!
//! `a_change_automerge_cannot_re_encode_is_refused` is the regression test of the fuzzer's second
//! crash: a change (fuzz/regressions/unencodable-change.bin) that applies, reads and validates as
//! a new record, but that automerge 0.12.0 cannot re-encode (`get_changes` panics, and `save()`
//! writes a document that does not load). Accepted, it would make the record unreadable on every
//! device and, after its first snapshot, on the server; it is refused as `malformed_change`.
//!
//! `oversized_bodies_are_refused` proves the size limits on a server started with
//! `--max-body-bytes 100000`: a declared or streamed (chunked) body over the limit and a tiny body
//! that decompresses beyond `MAX_DECODED_BYTES` are 413 `payload_too_large`.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use gridmate_domain::document::{read_record, write_changes};
use gridmate_domain::fixtures::Rng;
use gridmate_domain::wire::{
    self, MAX_DECODED_BYTES, MAX_PUSH_DOCS, PROTOCOL_VERSION, Position, PullRequest, PushDoc,
    PushOutcome, SyncRequest,
};
use gridmate_domain::{RecordBody, RecordId};
use gridmate_system_tests::handmade::{
    assert_accepted, assert_rejected, device_record as new_record, push_as, push_of,
    raw_changes as raw,
};
use gridmate_system_tests::{Device, Server, bin, draft};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const Z01: &str = "jingkou-zhengdonglu-01";
const Z03: &str = "jingkou-zhengdonglu-03";

fn token_of(dev: &Device) -> String {
    dev.with(|s| s.server_binding()).unwrap().unwrap().token
}

/// POSTs raw bytes to `/v1/sync`; the status and the JSON error body (`Null` on success).
async fn post(url: &str, token: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let resp = gridmate_system_tests::http()
        .build()
        .unwrap()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(token)
        .header("content-type", wire::CONTENT_TYPE)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    let json = if status == 200 {
        assert!(wire::decode_response(&bytes).is_ok());
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, json)
}

fn code(json: &serde_json::Value) -> &str {
    json["code"].as_str().unwrap_or_default()
}

fn request(push: Vec<PushDoc>) -> SyncRequest {
    SyncRequest {
        protocol: PROTOCOL_VERSION,
        push,
        pull: None,
    }
}

/// A zstd frame (RFC 8878) of raw and RLE blocks, written by hand: a 128 KiB window, no checksum.
fn zstd_frame(blocks: &[(u32, u32, &[u8])]) -> Vec<u8> {
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38];
    for (i, (kind, size, content)) in blocks.iter().enumerate() {
        let last = u32::from(i + 1 == blocks.len());
        let header = last | (kind << 1) | (size << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(content);
    }
    out
}

/// `GMS1` + a zstd frame holding `bytes` verbatim (one raw block).
fn framed(bytes: &[u8]) -> Vec<u8> {
    let mut body = wire::MAGIC.to_vec();
    body.extend(zstd_frame(&[(0, bytes.len() as u32, bytes)]));
    body
}

/// `GMS1` + a frame of RLE blocks that decompresses to `n` zero bytes.
fn zeros_bomb(n: usize) -> Vec<u8> {
    const BLOCK: usize = 128 << 10;
    let blocks: Vec<(u32, u32, &[u8])> = (0..n.div_ceil(BLOCK))
        .map(|i| (1, (BLOCK.min(n - i * BLOCK)) as u32, &[0u8][..]))
        .collect();
    let mut body = wire::MAGIC.to_vec();
    body.extend(zstd_frame(&blocks));
    body
}

fn random_bytes(rng: &mut Rng, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

fn wire_id(id: RecordId) -> [u8; 16] {
    *id.as_uuid().as_bytes()
}

/// The record's document as `dev` holds it, ready for another writer's edit.
fn doc_on(dev: &Device, id: RecordId) -> AutoCommit {
    let bytes = dev.with(|s| s.export_doc(id)).unwrap();
    AutoCommit::load(&bytes)
        .unwrap()
        .with_actor(automerge::ActorId::random())
}

/// The changes `f` makes to `doc`, committed.
fn changes_by(mut doc: AutoCommit, f: impl FnOnce(&mut AutoCommit)) -> Vec<wire::Change> {
    let before = doc.get_heads();
    f(&mut doc);
    doc.commit();
    raw(doc.get_changes(&before))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_bodies_get_typed_errors() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let token = token_of(&dev);
    let mut rng = Rng::new(21);

    // The reference: a valid body carrying a valid new record is accepted (and that record is
    // then taken back out of the baseline by using a fresh one in every bad body below).
    let (rec, mut doc) = new_record(&mut rng, Z03, "wang.wei");
    let (status, _) = post(
        &server.url,
        &token,
        wire::encode_request(&request(vec![push_of(&rec, &mut doc)])),
    )
    .await;
    assert_eq!(status, 200);
    // A hand-made frame around the postcard bytes of an empty request (this protocol version, no
    // push, no pull) is valid too, so the frames below fail for what they contain, not for their
    // framing. (A version below 128 is one postcard byte.)
    let version = u8::try_from(PROTOCOL_VERSION).unwrap();
    assert_eq!(
        post(&server.url, &token, framed(&[version, 0, 0])).await.0,
        200
    );
    let mut baseline = server.dump();
    assert_eq!(baseline.len(), 1);

    let (rec, mut doc) = new_record(&mut rng, Z03, "wang.wei");
    let good = request(vec![push_of(&rec, &mut doc)]);
    let valid = wire::encode_request(&good);
    let mut wrong_magic = valid.clone();
    wrong_magic[..4].copy_from_slice(b"GMS2");
    let mut garbage_zstd = wire::MAGIC.to_vec();
    garbage_zstd.extend(random_bytes(&mut rng, 4096));
    let mut newer = good.clone();
    newer.protocol = PROTOCOL_VERSION + 1;
    let mut bad_area = good.clone();
    bad_area.pull = Some(PullRequest {
        positions: vec![Position {
            area: "Jingkou Zhengdonglu".into(),
            seq: 0,
        }],
        max_changes: 100,
    });
    let mut too_many = good.clone();
    too_many.push.extend(vec![
        PushDoc {
            record_id: [1; 16],
            changes: vec![],
        };
        MAX_PUSH_DOCS
    ]);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty body", vec![], 400, "malformed_body"),
        (
            "random bytes",
            random_bytes(&mut rng, 4096),
            400,
            "malformed_body",
        ),
        ("wrong magic", wrong_magic, 400, "malformed_body"),
        ("magic only", wire::MAGIC.to_vec(), 400, "malformed_body"),
        ("garbage zstd", garbage_zstd, 400, "malformed_body"),
        (
            "truncated frame",
            valid[..valid.len() / 2].to_vec(),
            400,
            "malformed_body",
        ),
        (
            "garbage postcard",
            framed(&[
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ]),
            400,
            "malformed_body",
        ),
        (
            "invalid option tag",
            framed(&[1, 0, 7]),
            400,
            "malformed_body",
        ),
        (
            "unsupported protocol",
            wire::encode_request(&newer),
            400,
            "unsupported_protocol",
        ),
        (
            "bad area id",
            wire::encode_request(&bad_area),
            400,
            "malformed_body",
        ),
        (
            "too many records",
            wire::encode_request(&too_many),
            413,
            "payload_too_large",
        ),
    ];
    for (what, body, want_status, want_code) in cases {
        let (status, json) = post(&server.url, &token, body).await;
        assert_eq!((status, code(&json)), (want_status, want_code), "{what}");
        assert!(json["message"]["zh-CN"].is_string(), "{what}");
        assert!(json["message"]["en"].is_string(), "{what}");
        assert_eq!(server.dump(), baseline, "{what}: nothing stored");
        // The server keeps serving: a normal sync goes through right after.
        dev.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
        let r = dev.sync().await.unwrap();
        assert_eq!((r.accepted, r.rejected.len()), (1, 0), "{what}");
        let now = server.dump();
        assert_eq!(now.len(), baseline.len() + 1, "{what}");
        assert!(!now.contains_key(&rec.meta.id.to_string()), "{what}");
        baseline = now;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_changes_are_refused_per_record() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("zhao.min", "dispatcher", "jingkou-zhengdonglu", None);
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let dispatcher = Device::login(&server.url, "zhao.min").await.unwrap();
    let mut rng = Rng::new(23);
    let target = worker
        .with(|s| s.create(draft(&mut rng, Z03)))
        .unwrap()
        .meta
        .id;
    assert_eq!(worker.sync().await.unwrap().accepted, 1);
    dispatcher.sync().await.unwrap();
    let original = server.dump()[&target.to_string()].clone();

    // Undecodable Automerge bytes after a valid change of the same record: the record is refused
    // whole, the other record of the batch is stored.
    let (broken, mut broken_doc) = new_record(&mut rng, Z03, "wang.wei");
    let mut broken_push = push_of(&broken, &mut broken_doc);
    broken_push
        .changes
        .push(wire::Change(random_bytes(&mut rng, 300)));
    let (fine, mut fine_doc) = new_record(&mut rng, Z03, "wang.wei");
    let resp = push_as(&worker, vec![broken_push, push_of(&fine, &mut fine_doc)]).await;
    assert_rejected(&resp.results[0].outcome, "malformed_change", "changes[1]");
    assert_accepted(&resp.results[1].outcome);
    let dump = server.dump();
    assert!(!dump.contains_key(&broken.meta.id.to_string()));
    assert!(dump.contains_key(&fine.meta.id.to_string()));

    // Edits of the existing record, each next to a valid new record in the same batch.
    let other_id = RecordId::new_v7().to_string();
    let other_kind = loop {
        let d = draft(&mut rng, Z03);
        if d.body.kind() != worker.with(|s| s.get(target)).unwrap().kind() {
            break d.body;
        }
    };
    type Edit = Box<dyn FnOnce(&mut AutoCommit)>;
    let cases: Vec<(&str, &Device, Edit, &str, &str)> = vec![
        (
            "grid moved by the dispatcher (both grids in scope)",
            &dispatcher,
            Box::new(|d| d.put(ROOT, "grid_id", Z01).unwrap()),
            "immutable_field",
            "grid_id",
        ),
        (
            "grid moved by the grid worker (the new grid is outside the scope)",
            &worker,
            Box::new(|d| d.put(ROOT, "grid_id", Z01).unwrap()),
            "out_of_scope",
            "grid_id",
        ),
        (
            "creator changed",
            &dispatcher,
            Box::new(|d| d.put(ROOT, "created_by", "zhao.min").unwrap()),
            "immutable_field",
            "created_by",
        ),
        (
            "kind changed (the document rewritten as a valid record of another kind)",
            &worker,
            Box::new(move |d| {
                let old = read_record(d).unwrap();
                let mut new = old.clone();
                new.body = other_kind;
                write_changes(d, Some(&old), &new).unwrap();
            }),
            "immutable_field",
            "kind",
        ),
        (
            "id changed: the document now names another record",
            &worker,
            Box::new(move |d| d.put(ROOT, "id", other_id.as_str()).unwrap()),
            "id_mismatch",
            "id",
        ),
    ];
    for (what, dev, f, want_code, want_field) in cases {
        let changes = changes_by(doc_on(dev, target), f);
        let (fine, mut fine_doc) = new_record(&mut rng, Z03, &dev.user);
        let resp = push_as(
            dev,
            vec![
                PushDoc {
                    record_id: wire_id(target),
                    changes,
                },
                push_of(&fine, &mut fine_doc),
            ],
        )
        .await;
        assert_rejected(&resp.results[0].outcome, want_code, want_field);
        assert_accepted(&resp.results[1].outcome);
        let dump = server.dump();
        assert_eq!(
            dump[&target.to_string()],
            original,
            "{what}: left as it was"
        );
        assert!(dump.contains_key(&fine.meta.id.to_string()), "{what}");
    }

    // A validation rule: a party's resident ID number with a wrong check digit.
    let (mut bad_id, _) = loop {
        let (r, d) = new_record(&mut rng, Z03, "wang.wei");
        if matches!(r.body, RecordBody::Dispute(_)) {
            break (r, d);
        }
    };
    if let RecordBody::Dispute(d) = &mut bad_id.body {
        // 11010519491231002X is a valid number; with 5 as the check digit it is not.
        d.parties[0].id_number = Some("110105194912310025".to_owned());
    }
    let mut doc = AutoCommit::new();
    write_changes(&mut doc, None, &bad_id).unwrap();
    doc.commit();
    let resp = push_as(&worker, vec![push_of(&bad_id, &mut doc)]).await;
    assert_rejected(
        &resp.results[0].outcome,
        "invalid_id_number",
        "parties[0].id_number",
    );
    assert!(!server.dump().contains_key(&bad_id.meta.id.to_string()));

    // Missing dependencies. For a record the server does not know nothing is held (the device
    // sends the whole document next). For a stored record the third change alone is held (stored
    // for nobody); when the second arrives, both are stored and the record's head is the third.
    let (rec, mut doc) = new_record(&mut rng, Z03, "wang.wei");
    let first = raw(doc.get_changes(&[]));
    let second = changes_by(doc.fork(), |d| d.put(ROOT, "address", "补发地址").unwrap());
    let resp = push_as(
        &worker,
        vec![PushDoc {
            record_id: wire_id(rec.meta.id),
            changes: second.clone(),
        }],
    )
    .await;
    assert!(
        matches!(&resp.results[0].outcome, PushOutcome::Held { missing } if missing.len() == 1),
        "{:?}",
        resp.results[0].outcome
    );
    assert!(!server.dump().contains_key(&rec.meta.id.to_string()));
    assert!(server.admin(&["held", "list", "--json"], None).is_empty());
    let resp = push_as(
        &worker,
        vec![PushDoc {
            record_id: wire_id(rec.meta.id),
            changes: first,
        }],
    )
    .await;
    assert_accepted(&resp.results[0].outcome);
    dispatcher.sync().await.unwrap();
    for c in &second {
        doc.apply_changes([automerge::Change::from_bytes(c.0.clone()).unwrap()])
            .unwrap();
    }
    let third = changes_by(doc, |d| d.put(ROOT, "address", "再补地址").unwrap());
    assert_eq!((second.len(), third.len()), (1, 1));
    let resp = push_as(
        &worker,
        vec![PushDoc {
            record_id: wire_id(rec.meta.id),
            changes: third.clone(),
        }],
    )
    .await;
    assert!(
        matches!(&resp.results[0].outcome, PushOutcome::Held { missing } if missing.len() == 1),
        "{:?}",
        resp.results[0].outcome
    );
    dispatcher.sync().await.unwrap();
    assert_eq!(
        dispatcher.change_count(rec.meta.id),
        1,
        "a held change is shown to nobody"
    );
    let resp = push_as(
        &worker,
        vec![PushDoc {
            record_id: wire_id(rec.meta.id),
            changes: second,
        }],
    )
    .await;
    assert_accepted(&resp.results[0].outcome);
    let third_hash = automerge::Change::from_bytes(third[0].0.clone())
        .unwrap()
        .hash();
    let (heads, stored) = server.dump()[&rec.meta.id.to_string()].clone();
    assert_eq!(heads, vec![third_hash.to_string()]);
    assert_eq!(stored["address"], "再补地址");
    dispatcher.sync().await.unwrap();
    assert_eq!(dispatcher.change_count(rec.meta.id), 3);
}

/// Skips one unsigned LEB128 number at `at`; the offset after it.
fn skip_uleb(bytes: &[u8], mut at: usize) -> usize {
    while bytes[at] & 0x80 != 0 {
        at += 1;
    }
    at + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_panics_automerge_fails_one_record() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(31);
    // The fuzzer's crash, rebuilt: a record's first change with its seq rewritten from 1 to 3.
    // Layout: magic (4), checksum (4), chunk type (1), length, deps count (0), actor length, actor,
    // seq.
    let (rec, mut doc) = new_record(&mut rng, Z03, "wang.wei");
    let mut change = push_of(&rec, &mut doc).changes.remove(0).0;
    let deps = skip_uleb(&change, 9);
    assert_eq!(change[deps], 0, "no deps");
    let actor_len = usize::from(change[deps + 1]);
    let seq = deps + 2 + actor_len;
    assert_eq!(change[seq], 1);
    change[seq] = 3;
    let (fine, mut fine_doc) = new_record(&mut rng, Z03, "wang.wei");
    let resp = push_as(
        &dev,
        vec![
            PushDoc {
                record_id: wire_id(rec.meta.id),
                changes: vec![wire::Change(change)],
            },
            push_of(&fine, &mut fine_doc),
        ],
    )
    .await;
    // `changes`, not `changes[0]`: the change decoded, applying it failed (the panic, contained).
    assert_rejected(&resp.results[0].outcome, "malformed_change", "changes");
    assert_accepted(&resp.results[1].outcome);
    let dump = server.dump();
    assert!(!dump.contains_key(&rec.meta.id.to_string()));
    assert!(dump.contains_key(&fine.meta.id.to_string()));
    dev.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    assert_eq!(dev.sync().await.unwrap().accepted, 1, "still serving");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_automerge_cannot_re_encode_is_refused() {
    const GRID: &str = "runzhou-heping-02";
    let change = include_bytes!("../../fuzz/regressions/unencodable-change.bin").to_vec();
    let mut doc = AutoCommit::new();
    doc.apply_changes([automerge::Change::from_bytes(change.clone()).unwrap()])
        .unwrap();
    let rec = read_record(&doc).unwrap();
    assert_eq!(
        (rec.meta.grid_id.as_str(), rec.meta.created_by.as_str()),
        (GRID, "wang.wei")
    );
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", GRID, None);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(37);
    let (fine, mut fine_doc) = new_record(&mut rng, GRID, "wang.wei");
    let resp = push_as(
        &dev,
        vec![
            PushDoc {
                record_id: wire_id(rec.meta.id),
                changes: vec![wire::Change(change)],
            },
            push_of(&fine, &mut fine_doc),
        ],
    )
    .await;
    assert_rejected(&resp.results[0].outcome, "malformed_change", "changes");
    assert_accepted(&resp.results[1].outcome);
    let dump = server.dump();
    assert!(!dump.contains_key(&rec.meta.id.to_string()));
    assert!(dump.contains_key(&fine.meta.id.to_string()));
}

/// Restarts `server`'s data folder under a process started with `extra` flags (a free port; the
/// returned process is killed on drop).
fn restart_with(server: &mut Server, extra: &[&str]) -> gridmate_test_harness::Server {
    server.kill9();
    let custom = gridmate_test_harness::Server::try_start(
        &bin("gridmate-server"),
        Some(&server.data),
        extra,
    )
    .unwrap();
    server.url = custom.url.clone();
    custom
}

/// POSTs `body` with chunked transfer encoding (no Content-Length) over a raw connection; the
/// status and JSON body of the answer.
async fn post_chunked(url: &str, token: &str, body: &[u8]) -> (u16, serde_json::Value) {
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "POST /v1/sync HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        wire::CONTENT_TYPE
    )
    .into_bytes();
    for chunk in body.chunks(16 << 10) {
        req.extend(format!("{:x}\r\n", chunk.len()).bytes());
        req.extend_from_slice(chunk);
        req.extend(b"\r\n");
    }
    req.extend(b"0\r\n\r\n");
    // The server may answer and close before reading everything: a failed write is fine.
    let _ = s.write_all(&req).await;
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp).await;
    let text = String::from_utf8_lossy(&resp);
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let json = text
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or_else(|| panic!("no JSON body: {text:?}"));
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let mut server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let _process = restart_with(&mut server, &["--max-body-bytes", "100000"]);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let token = token_of(&dev);
    let mut rng = Rng::new(29);
    dev.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    assert_eq!(dev.sync().await.unwrap().accepted, 1);
    let baseline = server.dump();

    // A valid record plus 150 kB of incompressible bytes: over the limit once compressed.
    let (rec, mut doc) = new_record(&mut rng, Z03, "wang.wei");
    let mut push = push_of(&rec, &mut doc);
    push.changes
        .push(wire::Change(random_bytes(&mut rng, 150_000)));
    let big = wire::encode_request(&request(vec![push]));
    assert!(big.len() > 100_000);
    let bomb = zeros_bomb(MAX_DECODED_BYTES + 1);
    assert!(bomb.len() < 10_000, "a tiny body: {} bytes", bomb.len());
    let under = zeros_bomb(1 << 20);

    let (status, json) = post(&server.url, &token, big.clone()).await;
    assert_eq!(
        (status, code(&json)),
        (413, "payload_too_large"),
        "declared"
    );
    let (status, json) = post_chunked(&server.url, &token, &big).await;
    assert_eq!((status, code(&json)), (413, "payload_too_large"), "chunked");
    let (status, json) = post(&server.url, &token, bomb).await;
    assert_eq!((status, code(&json)), (413, "payload_too_large"), "bomb");
    // The same frame under the limit decompresses and fails as what it is: zeros are protocol 0.
    let (status, json) = post(&server.url, &token, under).await;
    assert_eq!(
        (status, code(&json)),
        (400, "unsupported_protocol"),
        "1 MiB"
    );
    assert_eq!(server.dump(), baseline, "nothing stored");

    dev.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    assert_eq!(dev.sync().await.unwrap().accepted, 1, "still serving");
}

//! Protocol v2's document chunks against a real `gridmate-server` process.
//!
//! A device pushes a record the server has never acknowledged as one document chunk (its stored
//! `save_nocompress()` bytes); the server decides such a record before taking its writer lock and
//! logs the chunk as it came. These tests prove that this fast path gives exactly the outcome of
//! the general, change-by-change path, whatever the chunk holds:
//! - a canonical one-change document: accepted, logged once, pulled by another device, idempotent
//!   on a retry, and editable afterwards by change chunks;
//! - the same record already on the server (pushed earlier as a change), a compressed (`save()`)
//!   document and a document of several changes: all accepted through the general path;
//! - an undecodable chunk claiming to be a document, a record outside the pusher's scope, another
//!   user as creator, a document naming another record, an invalid record: refused with the
//!   general path's code and field, nothing stored, the rest of the batch committed.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use gridmate_domain::document::is_document_chunk;
use gridmate_domain::fixtures::Rng;
use gridmate_domain::wire::{self, PushDoc, PushOutcome};
use gridmate_domain::{RecordBody, RecordId};
use gridmate_system_tests::handmade::{assert_rejected, device_record, push_as, push_of};
use gridmate_system_tests::{Device, Server, draft};

const Z01: &str = "jingkou-zhengdonglu-01";
const Z03: &str = "jingkou-zhengdonglu-03";

async fn exchange(dev: &Device, push: Vec<PushDoc>) -> Vec<PushOutcome> {
    let resp = push_as(dev, push).await;
    resp.results.into_iter().map(|r| r.outcome).collect()
}

fn doc_push(id: RecordId, bytes: Vec<u8>) -> PushDoc {
    PushDoc {
        record_id: *id.as_uuid().as_bytes(),
        changes: vec![wire::Change(bytes)],
    }
}

fn accepted_heads(o: &PushOutcome) -> Vec<[u8; 32]> {
    match o {
        PushOutcome::Accepted { heads } => heads.clone(),
        other => panic!("expected Accepted, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_record_as_one_document_chunk() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("zhao.min", "dispatcher", "jingkou-zhengdonglu", None);
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let dispatcher = Device::login(&server.url, "zhao.min").await.unwrap();
    let mut rng = Rng::new(41);

    // What the device itself sends: its stored document, as one chunk.
    let id = worker
        .with(|s| s.create(draft(&mut rng, Z03)))
        .unwrap()
        .meta
        .id;
    let sent = worker.with(|s| s.collect_outgoing(10, 1 << 20)).unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].doc.changes.len(), 1);
    assert!(is_document_chunk(&sent[0].doc.changes[0].0));
    let report = worker.sync().await.unwrap();
    assert_eq!((report.accepted, report.rejected.len()), (1, 0));
    assert!(server.dump().contains_key(&id.to_string()));

    // A retry of the same chunk (a lost answer): accepted again, nothing logged twice.
    let again = exchange(&worker, vec![sent[0].doc.clone()]).await;
    assert_eq!(
        accepted_heads(&again[0]),
        sent[0].heads.iter().map(|h| h.0).collect::<Vec<_>>()
    );
    dispatcher.sync().await.unwrap();
    assert_eq!(dispatcher.change_count(id), 1);
    assert_eq!(
        dispatcher.with(|s| s.get(id)).unwrap(),
        worker.with(|s| s.get(id)).unwrap()
    );

    // Edited afterwards by change chunks, from the other device: the server loads the logged
    // document chunk plus the change, and the edit reaches the first device.
    dispatcher
        .with(|s| s.edit(id, &serde_json::json!({"address": "正东路 12 号"})))
        .unwrap();
    assert_eq!(dispatcher.sync().await.unwrap().accepted, 1);
    worker.sync().await.unwrap();
    assert_eq!(worker.change_count(id), 2);
    assert_eq!(
        worker.with(|s| s.get(id)).unwrap(),
        dispatcher.with(|s| s.get(id)).unwrap()
    );
    assert_eq!(
        server.dump()[&id.to_string()].1,
        worker.snapshot()[&id.to_string()].1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_document_chunks_take_the_general_path() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("zhao.min", "dispatcher", "jingkou-zhengdonglu", None);
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let dispatcher = Device::login(&server.url, "zhao.min").await.unwrap();
    let mut rng = Rng::new(42);

    // Known to the server already (pushed as a change), then sent whole as a document.
    let (known, mut known_doc) = device_record(&mut rng, Z03, "wang.wei");
    let first = exchange(&worker, vec![push_of(&known, &mut known_doc)]).await;
    let heads = accepted_heads(&first[0]);
    // A compressed document (`save()`, not automerge's canonical uncompressed form).
    let (packed, mut packed_doc) = device_record(&mut rng, Z03, "wang.wei");
    // A document of two changes (created, then edited before its first sync).
    let (edited, mut edited_doc) = device_record(&mut rng, Z03, "wang.wei");
    edited_doc.put(ROOT, "address", "补录地址").unwrap();
    edited_doc.commit();
    let out = exchange(
        &worker,
        vec![
            doc_push(known.meta.id, known_doc.save_nocompress()),
            doc_push(packed.meta.id, packed_doc.save()),
            doc_push(edited.meta.id, edited_doc.save_nocompress()),
        ],
    )
    .await;
    assert_eq!(accepted_heads(&out[0]), heads);
    accepted_heads(&out[1]);
    accepted_heads(&out[2]);
    dispatcher.sync().await.unwrap();
    assert_eq!(dispatcher.change_count(known.meta.id), 1);
    assert_eq!(dispatcher.change_count(packed.meta.id), 1);
    assert_eq!(dispatcher.change_count(edited.meta.id), 2);
    let dump = server.dump();
    for r in [&known, &packed] {
        assert_eq!(dispatcher.with(|s| s.get(r.meta.id)).unwrap(), *r);
        assert!(dump.contains_key(&r.meta.id.to_string()));
    }
    assert_eq!(dump[&edited.meta.id.to_string()].1["address"], "补录地址");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_document_chunks_are_refused_per_record() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(43);

    // Automerge's magic, a checksum and the document type byte, then garbage.
    let mut garbage = vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 0];
    garbage.extend((0..300).map(|_| rng.next_u64() as u8));
    let (out_of_scope, mut oos_doc) = device_record(&mut rng, Z01, "wang.wei");
    let (impostor, mut impostor_doc) = device_record(&mut rng, Z03, "li.na");
    let (named, mut named_doc) = device_record(&mut rng, Z03, "wang.wei");
    let (mut invalid, _) = loop {
        let (r, d) = device_record(&mut rng, Z03, "wang.wei");
        if matches!(r.body, RecordBody::Dispute(_)) {
            break (r, d);
        }
    };
    if let RecordBody::Dispute(d) = &mut invalid.body {
        d.parties[0].id_number = Some("110105194912310025".to_owned()); // wrong check digit
    }
    let mut invalid_doc = AutoCommit::new();
    gridmate_domain::document::write_changes(&mut invalid_doc, None, &invalid).unwrap();
    invalid_doc.commit();
    let (fine, mut fine_doc) = device_record(&mut rng, Z03, "wang.wei");
    let pushes = vec![
        doc_push(RecordId::new_v7(), garbage),
        doc_push(out_of_scope.meta.id, oos_doc.save_nocompress()),
        doc_push(impostor.meta.id, impostor_doc.save_nocompress()),
        doc_push(RecordId::new_v7(), named_doc.save_nocompress()),
        doc_push(invalid.meta.id, invalid_doc.save_nocompress()),
        doc_push(fine.meta.id, fine_doc.save_nocompress()),
    ];
    let out = exchange(&worker, pushes).await;
    assert_rejected(&out[0], "malformed_change", "changes[0]");
    assert_rejected(&out[1], "out_of_scope", "grid_id");
    assert_rejected(&out[2], "creator_mismatch", "created_by");
    assert_rejected(&out[3], "id_mismatch", "id");
    assert_rejected(&out[4], "invalid_id_number", "parties[0].id_number");
    accepted_heads(&out[5]);
    let dump = server.dump();
    assert_eq!(dump.len(), 1, "only the valid record is stored");
    assert!(dump.contains_key(&fine.meta.id.to_string()));
    assert!(!dump.contains_key(&named.meta.id.to_string()));
}

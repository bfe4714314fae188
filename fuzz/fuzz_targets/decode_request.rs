//! Everything the sync server does with an untrusted `POST /v1/sync` body before SQL
//! (`sync-server/src/sync/`): `wire::decode_request` (magic, zstd, postcard, limits), then per
//! pushed record: decode each change (`Change::from_bytes`), apply them to a fresh document, look
//! for missing dependencies, measure the record's history against its bound
//! (`document::limits`), and read the record with the shared schema (`read_record`: unknown keys,
//! foreign types); or, for a record sent as one document chunk (protocol v2), load it and check it
//! as `sync/plan.rs` does. The history measure from the change graph must equal the sum over the
//! changes applied (the server adds the two).
//!
//! Each input is tried twice: as the HTTP body, and as the postcard message inside a valid frame
//! (`GMS1` + a zstd frame of raw blocks, built here). The second way lets the fuzzer reach the
//! message and the Automerge bytes without keeping a compressed frame valid.
//!
//! A panic is a crash, except where the server itself contains it: `Change::from_bytes` and
//! `apply_changes` run under `catch_unwind` there (`sync-server/src/sync/doc.rs`), so here too. The
//! first run found such a panic in automerge 0.12.0 (a first change claiming seq 3: see the test
//! `a_change_that_panics_automerge_fails_one_record` in tests/tests/bad_input.rs); the server
//! refuses that record. `decode_request`, `get_missing_deps` and `read_record` must never panic.
#![no_main]

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use automerge::{AutoCommit, Change};
use gridmate_domain::document::limits::{HistoryLimits, HistorySize, ops_of};
use gridmate_domain::document::{is_document_chunk, read_record};
use gridmate_domain::wire::{MAGIC, decode_request};
use libfuzzer_sys::fuzz_target;

/// `GMS1` + a zstd frame (RFC 8878: 128 KiB window, no checksum) holding `msg` in raw blocks.
fn framed(msg: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 128 << 10;
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]);
    let mut blocks = msg.chunks(BLOCK).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[0x01, 0x00, 0x00]); // one empty last raw block
    }
    while let Some(b) = blocks.next() {
        let last = u32::from(blocks.peek().is_none());
        let header = last | ((b.len() as u32) << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(b);
    }
    out
}

thread_local! {
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` the way the server does, under `catch_unwind`; `None` if it panicked. libFuzzer's
/// panic hook aborts on every panic, so a hook in front of it lets the contained ones unwind.
fn contained<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.get() {
                fuzzer_hook(info);
            }
        }));
    });
    CONTAINED.set(true);
    let r = catch_unwind(AssertUnwindSafe(f));
    CONTAINED.set(false);
    r.ok()
}

fn server_path(body: &[u8]) {
    let Ok(req) = decode_request(body) else {
        return;
    };
    for d in req.push {
        // Protocol v2: a record may come as one document chunk. The server loads it (contained),
        // and either logs it as it came (one change, canonical encoding: `doc::sole_change`) or
        // re-derives its changes for the general path (`doc::all_changes`, contained).
        if let [only] = d.changes.as_slice()
            && is_document_chunk(&only.0)
        {
            let Some(Ok(mut doc)) = contained(|| AutoCommit::load(&only.0)) else {
                continue;
            };
            let sole = contained(|| {
                let one = doc.get_changes_meta(&[]).len() == 1;
                one && doc.save_nocompress() == only.0
            });
            if sole == Some(true) {
                let size = HistorySize {
                    bytes: only.0.len() as u64,
                    ops: ops_of(&mut doc),
                };
                let _ = HistoryLimits::default().check(size);
                let _ = read_record(&doc);
                let _ = doc.get_heads();
            } else {
                let _ = contained(|| doc.get_changes(&[]));
            }
            continue;
        }
        // The server refuses a record when any change fails to decode; applying the ones that do
        // decode covers that case and more.
        let changes: Vec<Change> = d
            .changes
            .into_iter()
            .filter_map(|c| contained(|| Change::from_bytes(c.0).ok()).flatten())
            .collect();
        for c in &changes {
            let _ = (c.hash(), c.actor_id().to_bytes().len(), c.raw_bytes().len());
        }
        let applied = changes.clone();
        let mut doc = AutoCommit::new();
        if !matches!(contained(|| doc.apply_changes(changes)), Some(Ok(()))) {
            continue; // the server discards the document and refuses the record
        }
        let mut distinct = applied.clone();
        distinct.sort_unstable_by_key(Change::hash);
        distinct.dedup_by_key(|c| c.hash());
        let size = HistorySize::of_changes(&distinct);
        let _ = HistoryLimits::default().check(size);
        if !doc.get_missing_deps(&[]).is_empty() {
            continue; // held: the server stores the bytes and reads nothing
        }
        assert_eq!(
            ops_of(&mut doc),
            size.ops,
            "the change graph counts what was applied"
        );
        if read_record(&doc).is_err() {
            continue;
        }
        // The server's round-trip check (`doc::round_trips`, contained), then what it does with an
        // accepted record: heads, and a snapshot every 32 changes.
        let Some(again) = contained(|| doc.get_changes(&[])) else {
            continue;
        };
        let mut got: Vec<_> = again.iter().map(Change::hash).collect();
        let mut want: Vec<_> = applied.iter().map(Change::hash).collect();
        got.sort_unstable();
        want.sort_unstable();
        want.dedup();
        if got == want {
            let _ = doc.get_heads();
            let _ = doc.save();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    server_path(data);
    server_path(&framed(data));
});

//! Held changes (changes that arrive before one of their dependencies) against a real
//! `gridmate-server` process.
//!
//! `a_withheld_parent_never_blocks_other_users` is the regression test of the freeze: a change
//! whose parent its pusher withholds used to be merged into every later push of the record, so
//! every other user's edit was held with it, forever. Now another user's edit is accepted and
//! delivered to a third device while the change waits, and the change joins once its parent comes.
//!
//! `a_completed_change_keeps_its_own_pusher`: a held change completed by another user's push is
//! logged as pushed by the account and device that sent it.
//!
//! `held_changes_are_bounded_per_device_and_per_user`: over the device's or the user's limit the
//! record is refused with `held_quota_exceeded`, nothing stored; honest edits still go through.
//!
//! `held_changes_expire`: with `--held-max-age-days 0` a held change is dropped by the next push
//! batch; the device, which keeps its changes until they are accepted, sends them again with
//! their parents and loses nothing.
//!
//! `held_changes_are_scoped`: nothing is held for a record the server does not know (in any grid),
//! and a change for a stored record outside the pusher's reach is refused, not held.
//!
//! `operators_list_and_purge_held_changes`: `gridmate-server held list` and `held purge` through
//! the real binary.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT};
use gridmate_domain::RecordId;
use gridmate_domain::fixtures::Rng;
use gridmate_domain::wire::{self, PushDoc, PushOutcome};
use gridmate_system_tests::handmade::{
    assert_accepted, assert_rejected, device_record, push_as, raw_changes,
};
use gridmate_system_tests::workflow::doc_on;
use gridmate_system_tests::{Device, Server, bin, draft, text_field};
use serde_json::{Value, json};

const Z01: &str = "jingkou-zhengdonglu-01";
const Z03: &str = "jingkou-zhengdonglu-03";
const TOWNSHIP: &str = "jingkou-zhengdonglu";

/// A record `dev` creates in its store and syncs; its id.
async fn synced_record(dev: &Device, rng: &mut Rng) -> RecordId {
    let rec = dev.with(|s| s.create(draft(rng, Z03))).unwrap();
    dev.sync().await.unwrap();
    rec.meta.id
}

/// Two edits of the record `doc` holds, each by a fresh actor: the parent and the child that
/// depends on it. `doc` is left as it was.
fn withheld_pair(doc: &mut AutoCommit, words: &str) -> (Vec<wire::Change>, Vec<wire::Change>) {
    let mut fork = doc.fork();
    let before = fork.get_heads();
    fork.put(ROOT, "address", format!("{words}（一）")).unwrap();
    fork.commit();
    let parent = raw_changes(fork.get_changes(&before));
    let mid = fork.get_heads();
    fork.set_actor(ActorId::random());
    fork.put(ROOT, "address", format!("{words}（二）")).unwrap();
    fork.commit();
    let child = raw_changes(fork.get_changes(&mid));
    (parent, child)
}

fn hash_of(changes: &[wire::Change]) -> String {
    automerge::Change::from_bytes(changes[0].0.clone())
        .unwrap()
        .hash()
        .to_string()
}

async fn push(dev: &Device, id: RecordId, changes: Vec<wire::Change>) -> PushOutcome {
    let doc = PushDoc {
        record_id: *id.as_uuid().as_bytes(),
        changes,
    };
    push_as(dev, vec![doc]).await.results.remove(0).outcome
}

fn assert_held(o: &PushOutcome, missing: &str) {
    match o {
        PushOutcome::Held { missing: m } => {
            let m: Vec<String> = m
                .iter()
                .map(|h| automerge::ChangeHash(*h).to_string())
                .collect();
            assert_eq!(m, vec![missing.to_owned()], "{o:?}");
        }
        other => panic!("expected Held, got {other:?}"),
    }
}

/// `held list --json [args]`, one object per held change.
fn held_list(server: &Server, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["held", "list", "--json"];
    full.extend_from_slice(args);
    server
        .admin(&full, None)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The stored record (dump) with id `id`.
fn dumped(server: &Server, id: RecordId) -> Value {
    server
        .dump_lines(Z03)
        .into_iter()
        .find(|r| r["id"] == id.to_string())
        .unwrap_or_else(|| panic!("{id} is not stored"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withheld_parent_never_blocks_other_users() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("liu.yang", "grid_worker", Z03, None);
    server.add_user("zhao.min", "dispatcher", TOWNSHIP, None);
    let hostile = Device::login(&server.url, "wang.wei").await.unwrap();
    let colleague = Device::login(&server.url, "liu.yang").await.unwrap();
    let third = Device::login(&server.url, "zhao.min").await.unwrap();
    let mut rng = Rng::new(12);
    let id = synced_record(&hostile, &mut rng).await;
    colleague.sync().await.unwrap();

    let (parent, child) = withheld_pair(&mut doc_on(&hostile, id), "正东路");
    assert_held(&push(&hostile, id, child.clone()).await, &hash_of(&parent));

    // Another user's edit through their app: accepted, logged, delivered.
    let field = text_field(dumped(&server, id)["record"]["kind"].as_str().unwrap());
    colleague
        .with(|s| s.edit(id, &json!({ field: "楼道堆物已清理，居民确认" })))
        .unwrap();
    let report = colleague.sync().await.unwrap();
    assert_eq!((report.accepted, report.held), (1, 0), "{report:?}");
    assert!(report.rejected.is_empty(), "{report:?}");
    assert_eq!(colleague.with(|s| s.counts().unwrap().pending), 0);
    assert_eq!(
        dumped(&server, id)["record"][field],
        "楼道堆物已清理，居民确认"
    );
    third.sync().await.unwrap();
    let on_third = third.with(|s| s.get(id)).unwrap();
    assert_eq!(
        gridmate_domain::input::record_to_json(&on_third)[field],
        "楼道堆物已清理，居民确认"
    );
    // Still waiting, seen by nobody.
    assert_eq!(held_list(&server, &[]).len(), 1);

    // The parent comes: both join, after the colleague's edit, and reach the third device.
    assert_accepted(&push(&hostile, id, parent).await);
    assert!(held_list(&server, &[]).is_empty());
    let stored = dumped(&server, id);
    assert!(
        stored["heads"]
            .as_array()
            .unwrap()
            .contains(&json!(hash_of(&child)))
    );
    assert_eq!(stored["record"]["address"], "正东路（二）");
    assert_eq!(stored["record"][field], "楼道堆物已清理，居民确认");
    third.sync().await.unwrap();
    let on_third = gridmate_domain::input::record_to_json(&third.with(|s| s.get(id)).unwrap());
    assert_eq!(on_third["address"], "正东路（二）");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completed_change_keeps_its_own_pusher() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("liu.yang", "grid_worker", Z03, None);
    let a = Device::login(&server.url, "wang.wei").await.unwrap();
    let b = Device::login(&server.url, "liu.yang").await.unwrap();
    let mut rng = Rng::new(13);
    let id = synced_record(&b, &mut rng).await;
    a.sync().await.unwrap();

    // B wrote the parent; A built on it; the server has only A's child.
    let (parent, child) = withheld_pair(&mut doc_on(&a, id), "京口路");
    assert_held(&push(&a, id, child.clone()).await, &hash_of(&parent));
    assert_accepted(&push(&b, id, parent.clone()).await);

    let pushes = dumped(&server, id)["pushes"].as_array().unwrap().clone();
    let by = |hash: String| {
        pushes
            .iter()
            .find(|p| p["hash"] == hash)
            .unwrap_or_else(|| panic!("{hash} not logged: {pushes:?}"))["pushed_by"]
            .clone()
    };
    assert_eq!(by(hash_of(&parent)), "liu.yang");
    assert_eq!(by(hash_of(&child)), "wang.wei");
    assert!(held_list(&server, &[]).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_changes_are_bounded_per_device_and_per_user() {
    let server = Server(
        gridmate_test_harness::Server::try_start(
            &bin("gridmate-server"),
            None,
            &["--held-max-per-device", "2", "--held-max-per-user", "3"],
        )
        .unwrap(),
    );
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let first = Device::login(&server.url, "wang.wei").await.unwrap();
    let second = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(14);
    let id = synced_record(&first, &mut rng).await;
    let mut doc = doc_on(&first, id);
    let mut pair = |n: usize| withheld_pair(&mut doc, &format!("第{n}号"));

    for n in 0..2 {
        let (parent, child) = pair(n);
        assert_held(&push(&first, id, child).await, &hash_of(&parent));
    }
    let (_, over) = pair(2);
    assert_rejected(
        &push(&first, id, over).await,
        "held_quota_exceeded",
        "changes",
    );
    assert_eq!(held_list(&server, &[]).len(), 2);

    // The user's third held change from another device fits; a fourth does not.
    let (parent, child) = pair(3);
    assert_held(&push(&second, id, child).await, &hash_of(&parent));
    let (_, over) = pair(4);
    assert_rejected(
        &push(&second, id, over).await,
        "held_quota_exceeded",
        "changes",
    );
    let held = held_list(&server, &["--user", "wang.wei"]);
    assert_eq!(held.len(), 3);
    let on_second = held
        .iter()
        .filter(|h| h["device"] != held[0]["device"])
        .count();
    assert_eq!(on_second, 1, "{held:?}");

    // An honest edit needs no holding: accepted whatever the user holds.
    first
        .with(|s| s.edit(id, &json!({"address": "正东路 8 号"})))
        .unwrap();
    let report = first.sync().await.unwrap();
    assert_eq!((report.accepted, report.held), (1, 0), "{report:?}");
    assert_eq!(dumped(&server, id)["record"]["address"], "正东路 8 号");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_changes_expire() {
    let server = Server(
        gridmate_test_harness::Server::try_start(
            &bin("gridmate-server"),
            None,
            &["--held-max-age-days", "0"],
        )
        .unwrap(),
    );
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(15);
    let id = synced_record(&dev, &mut rng).await;
    let (parent, child) = withheld_pair(&mut doc_on(&dev, id), "建设路");
    assert_held(&push(&dev, id, child.clone()).await, &hash_of(&parent));
    assert_eq!(held_list(&server, &[]).len(), 1);

    // The next push batch (any record) drops it.
    let other = synced_record(&dev, &mut rng).await;
    assert!(held_list(&server, &[]).is_empty());
    assert!(
        !dumped(&server, id)["heads"]
            .as_array()
            .unwrap()
            .contains(&json!(hash_of(&child)))
    );
    assert_ne!(other, id);

    // The device still has both; sent again with the parent, nothing is lost.
    let both = [parent, child.clone()].concat();
    assert_accepted(&push(&dev, id, both).await);
    let stored = dumped(&server, id);
    assert_eq!(stored["heads"], json!([hash_of(&child)]));
    assert_eq!(stored["record"]["address"], "建设路（二）");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_changes_are_scoped() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("zhou.qi", "grid_worker", Z01, None);
    let inside = Device::login(&server.url, "wang.wei").await.unwrap();
    let outside = Device::login(&server.url, "zhou.qi").await.unwrap();
    let mut rng = Rng::new(16);

    // Records the server does not know, in the pusher's grid and in another: nothing is held;
    // the answer asks for the whole document.
    for dev in [&inside, &outside] {
        let (rec, mut doc) = device_record(&mut rng, Z03, &dev.user);
        let (parent, child) = withheld_pair(&mut doc, "和平路");
        assert_held(&push(dev, rec.meta.id, child).await, &hash_of(&parent));
    }
    assert!(held_list(&server, &[]).is_empty());
    assert!(server.dump_lines(Z03).is_empty());

    // A stored record outside the pusher's reach: refused, not held.
    let id = synced_record(&inside, &mut rng).await;
    let (_, child) = withheld_pair(&mut doc_on(&inside, id), "和平路");
    assert_rejected(&push(&outside, id, child).await, "out_of_scope", "grid_id");
    assert!(held_list(&server, &[]).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_list_and_purge_held_changes() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("liu.yang", "grid_worker", Z03, None);
    let a = Device::login(&server.url, "wang.wei").await.unwrap();
    let b = Device::login(&server.url, "liu.yang").await.unwrap();
    let mut rng = Rng::new(17);
    let r1 = synced_record(&a, &mut rng).await;
    let r2 = synced_record(&a, &mut rng).await;
    b.sync().await.unwrap();
    let mut parents = Vec::new();
    for (dev, id) in [(&a, r1), (&a, r1), (&a, r2), (&b, r2)] {
        let (parent, child) = withheld_pair(&mut doc_on(dev, id), "中山路");
        assert_held(&push(dev, id, child).await, &hash_of(&parent));
        parents.push(hash_of(&parent));
    }

    let table = server.admin(&["held", "list"], None);
    assert!(table.contains("held 4 change(s)"), "{table}");
    let mine = held_list(&server, &["--user", "wang.wei"]);
    assert_eq!(mine.len(), 3);
    let mut missing: Vec<String> = Vec::new();
    for h in &mine {
        assert_eq!(h["user"], "wang.wei");
        assert!(h["bytes"].as_u64().unwrap() > 0);
        assert!(h["age_secs"].as_i64().unwrap() >= 0);
        assert_eq!(h["missing"].as_array().unwrap().len(), 1, "{h}");
        missing.push(h["missing"][0].as_str().unwrap().to_owned());
    }
    missing.sort();
    let mut want = parents[..3].to_vec();
    want.sort();
    assert_eq!(missing, want);
    let device = mine[0]["device"].as_str().unwrap().to_owned();
    assert_eq!(held_list(&server, &["--device", &device]).len(), 3);

    let out = server.admin(&["held", "purge", "--record", &r1.to_string()], None);
    assert!(out.contains("removed 2 change(s)"), "{out}");
    assert!(out.contains(&r1.to_string()), "{out}");
    let out = server.admin(&["held", "purge", "--user", "liu.yang"], None);
    assert!(out.contains("removed 1 change(s)"), "{out}");
    assert_eq!(held_list(&server, &[]).len(), 1);
    let out = server.admin(&["held", "purge", "--older-than", "0"], None);
    assert!(out.contains("removed 1 change(s)"), "{out}");
    assert!(held_list(&server, &[]).is_empty());

    // A purge names what it removes; an unknown user or no selection is refused.
    assert!(
        server
            .try_admin(&["held", "purge", "--user", "nobody"], None)
            .is_err()
    );
    assert!(server.try_admin(&["held", "purge"], None).is_err());
}

/// A server restored from a backup lacks what devices had acknowledged: their next pushes are
/// changes whose parents it lacks. With room to hold one change per device, the second record is
/// refused with `held_quota_exceeded`; the device answers it as it answers `Held`, sends the whole
/// documents, and every record and edit arrives, nothing marked rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_device_after_a_server_restore_loses_nothing() {
    let mut server = Server(
        gridmate_test_harness::Server::try_start(
            &bin("gridmate-server"),
            None,
            &["--held-max-per-device", "1"],
        )
        .unwrap(),
    );
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(18);
    let ids = [
        synced_record(&dev, &mut rng).await,
        synced_record(&dev, &mut rng).await,
    ];
    let port = server.port();
    server.kill9();
    let backup = tempfile::tempdir().unwrap();
    copy_dir(&server.data, backup.path());
    server.spawn(Some(port));
    // Acknowledged after the backup, then edited again.
    let edit_all = |address: &str| {
        for id in ids {
            dev.with(|s| s.edit(id, &json!({ "address": address })))
                .unwrap();
        }
    };
    edit_all("正东路 1 号");
    dev.sync().await.unwrap();
    edit_all("正东路 2 号");

    // The restore: the server's data folder as it was before the first edits.
    server.kill9();
    std::fs::remove_dir_all(&server.data).unwrap();
    copy_dir(backup.path(), &server.data);
    server.spawn(Some(port));

    let report = dev.sync().await.unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    assert_eq!(report.held, 2, "{report:?}");
    assert_eq!(dev.with(|s| s.counts().unwrap().pending), 0);
    for id in ids {
        assert_eq!(dumped(&server, id)["record"]["address"], "正东路 2 号");
        assert_eq!(dumped(&server, id)["changes"], 3);
    }
    assert!(held_list(&server, &[]).is_empty());
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

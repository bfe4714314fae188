//! Who may see and change what, against a real `gridmate-server` process.
//!
//! `every_role_sees_and_changes_only_its_scope` walks the access matrix: grid worker, lawyer
//! (legal volunteer), township dispatcher, county admin and a grid worker of another township, each
//! x {in-scope grid, out-of-scope grid} x {pull, push a new record, push an edit of an existing
//! record}. It proves: a full sync brings a device exactly the records of its scope (every record id
//! on every device is checked: zero leaks), even when a hand-built request asks for positions in
//! other areas; an out-of-scope push is `Rejected` `out_of_scope` and stores nothing while the rest
//! of its batch commits; a township scope receives a grid that appears later.
//!
//! `refused_sessions_store_nothing` proves the session checks: a revoked device gets 403
//! `device_revoked`, a disabled user 403 `user_disabled`, a missing, garbage, unknown or expired
//! token 401 `unauthorized`; none of their pushes is stored. (`serve --token-days 0` is refused by
//! the CLI, which is checked too; expiry is reached by moving the token's expiry into the past in
//! `server.db`, as the admin of a real deployment could.)
//!
//! `forged_creators_and_borrowed_actors_are_refused` proves the identity checks on hand-built
//! Automerge changes: `created_by` naming another user is `creator_mismatch`; an actor first seen
//! from device A and pushed from device B is `actor_conflict`; neither is stored.
//!
//! The dispute workflow, with pushes built as a device builds them (an event appended to the
//! record's document with `write_changes`): `every_workflow_action_by_every_role_in_and_out_of_scope`
//! takes each of the 12 actions, from a status that allows it, by a grid worker, a lawyer, a
//! dispatcher and an admin, each in scope, out of scope, and as the dispute's assignee outside the
//! grid, and checks the server's verdict against the role table (accepted, `forbidden_action` on
//! the event's `action`, or `out_of_scope`) and that refused actions stored nothing.
//! `new_disputes_claiming_a_late_state_or_a_forbidden_event_are_refused`: a new dispute claiming a
//! late status (`invalid_status` on `status`) or arriving with an `evaluate` event, on both push
//! shapes, while a dispatcher creating and accepting offline is accepted.
//! `forged_and_rewritten_events_are_refused_and_the_dump_names_authors`: events in another user's
//! name or role, writing the status, rewriting an event; `record dump` shows each event's author,
//! role, time and verdict and each change's authenticated pusher.
//! `deleting_and_restoring_a_dispute_is_role_bound`: delete and restore by each role in and out
//! of scope, the reporter only while nobody has acted.
//! `a_reporters_delete_is_judged_on_what_the_device_saw`: through the device's own store (the
//! refusal reaches it with code and field); an offline delete that crossed the dispatcher's accept
//! stands; other kinds keep their rules.
//! `an_assignee_outside_the_grid_adds_to_the_log_and_nothing_else`: a lawyer of another grid
//! assigned a dispute may log and start, not edit the summary; re-assigned away she may still log
//! (a former handler) but not resolve. `a_move_allowed_where_its_author_stood_is_kept_and_flagged`:
//! her offline resolve crossing a re-assignment is accepted, and the dump shows the fold's flag.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ROOT, ReadDoc};
use gridmate_core::sync::{SyncClient, SyncError, TransportError};
use gridmate_domain::document::{read_record, write_changes};
use gridmate_domain::fixtures::Rng;
use gridmate_domain::wire::{
    self, PROTOCOL_VERSION, Position, PullRequest, PushDoc, PushOutcome, SyncRequest, SyncResponse,
};
use gridmate_domain::workflow::EventDetails;
use gridmate_domain::{
    DisputeStatus, Record, RecordBody, RecordId, Role, Timestamp, WorkflowAction as A,
};
use gridmate_system_tests::handmade::{
    assert_accepted, assert_rejected, device_record, push_of, raw_changes as raw,
};
use gridmate_system_tests::workflow::{event, push_changes, role_of, save, valid_details};
use gridmate_system_tests::{Device, Server, bin, draft};

const Z01: &str = "jingkou-zhengdonglu-01";
const Z03: &str = "jingkou-zhengdonglu-03";
const Z05: &str = "jingkou-zhengdonglu-05";
const JIANSHE: &str = "jingkou-jianshelu-01";
const HEPING: &str = "runzhou-heping-02";

/// One account of the matrix.
struct Person {
    name: &'static str,
    role: &'static str,
    legal_role: Option<&'static str>,
    scope: &'static str,
    /// Grids in scope where this person creates records.
    homes: &'static [&'static str],
    /// Grids outside the scope that hold other people's records.
    away: &'static [&'static str],
}

const PEOPLE: &[Person] = &[
    Person {
        name: "wang.wei",
        role: "grid_worker",
        legal_role: None,
        scope: Z03,
        homes: &[Z03],
        away: &[Z01, HEPING],
    },
    Person {
        name: "li.na",
        role: "legal_volunteer",
        legal_role: Some("lawyer"),
        scope: Z01,
        homes: &[Z01],
        away: &[Z03],
    },
    Person {
        name: "zhao.min",
        role: "dispatcher",
        legal_role: None,
        scope: "jingkou-zhengdonglu",
        homes: &[Z01, Z03],
        away: &[JIANSHE, HEPING],
    },
    Person {
        name: "chen.jie",
        role: "admin",
        legal_role: None,
        scope: "jingkou",
        homes: &[JIANSHE, Z03],
        away: &[HEPING],
    },
    Person {
        name: "liu.yang",
        role: "grid_worker",
        legal_role: None,
        scope: HEPING,
        homes: &[HEPING],
        away: &[Z03, JIANSHE],
    },
];

/// An area covers a grid when it is the grid or a prefix of it followed by `-` (docs/operations.md).
fn covers(scope: &str, grid: &str) -> bool {
    scope
        .split(',')
        .any(|a| grid == a || grid.strip_prefix(a).is_some_and(|r| r.starts_with('-')))
}

/// The ids of `held` (id -> grid) that a scope may see.
fn visible(held: &BTreeMap<String, String>, scope: &str) -> BTreeSet<String> {
    held.iter()
        .filter(|(_, g)| covers(scope, g))
        .map(|(id, _)| id.clone())
        .collect()
}

fn ids_on(dev: &Device) -> BTreeSet<String> {
    dev.record_ids().iter().map(ToString::to_string).collect()
}

fn wire_id(id: &str) -> [u8; 16] {
    *id.parse::<RecordId>().unwrap().as_uuid().as_bytes()
}

fn id_of(bytes: [u8; 16]) -> String {
    RecordId::from_uuid(uuid::Uuid::from_bytes(bytes)).to_string()
}

/// A client speaking with the device's token, for hand-built requests.
fn client_of(dev: &Device) -> SyncClient {
    let b = dev.with(|s| s.server_binding()).unwrap().unwrap();
    SyncClient::new(&b.server_url, false, Some(b.token)).unwrap()
}

async fn exchange(
    c: &SyncClient,
    push: Vec<PushDoc>,
    pull: Option<PullRequest>,
) -> Result<SyncResponse, TransportError> {
    let req = SyncRequest {
        protocol: PROTOCOL_VERSION,
        push,
        pull,
    };
    c.sync(&req).await.map(|(resp, _)| resp)
}

/// A new record's document as one change by a fresh actor, the way a device would write it.
fn new_record(rng: &mut Rng, grid: &str, created_by: &str) -> (Record, PushDoc) {
    let (rec, mut doc) = device_record(rng, grid, created_by);
    let push = push_of(&rec, &mut doc);
    (rec, push)
}

/// The changes that turn the record held by `doc` into `f(record)`, written by `actor`.
fn edit(mut doc: AutoCommit, actor: ActorId, f: impl FnOnce(&mut Record)) -> Vec<wire::Change> {
    doc.set_actor(actor);
    let before = doc.get_heads();
    let old = read_record(&doc).unwrap();
    let mut new = old.clone();
    f(&mut new);
    write_changes(&mut doc, Some(&old), &new).unwrap();
    doc.commit();
    raw(doc.get_changes(&before))
}

fn set_address(r: &mut Record, address: &str) {
    let slot = match &mut r.body {
        RecordBody::PatrolVisit(v) => &mut v.address,
        RecordBody::LegalEducation(x) => &mut x.address,
        RecordBody::Dispute(d) => &mut d.address,
    };
    *slot = Some(address.to_owned());
}

fn doc_on(dev: &Device, id: &str) -> AutoCommit {
    let bytes = dev.with(|s| s.export_doc(id.parse().unwrap())).unwrap();
    AutoCommit::load(&bytes).unwrap()
}

/// The HTTP status and code of a refused sync.
fn refusal(e: &TransportError) -> (u16, &str) {
    match e {
        TransportError::Server { status, code, .. } => (*status, code.as_str()),
        other => panic!("expected an HTTP error, got {other}"),
    }
}

fn sync_refusal(e: &SyncError) -> (u16, &str) {
    match e {
        SyncError::Transport(t) => refusal(t),
        other => panic!("expected an HTTP error, got {other}"),
    }
}

/// The `address` the server holds for a record.
fn server_address(server: &Server, id: &str) -> serde_json::Value {
    server.dump()[id].1["address"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_sees_and_changes_only_its_scope() {
    let server = Server::start();
    for p in PEOPLE {
        server.add_user(p.name, p.role, p.scope, p.legal_role);
    }
    let mut writers = Vec::new();
    for p in PEOPLE {
        writers.push(Device::login(&server.url, p.name).await.unwrap());
    }
    let mut rng = Rng::new(7);
    // What the server must hold at the end, exactly: record id -> grid; and which device's store
    // holds each record it created.
    let mut held: BTreeMap<String, String> = BTreeMap::new();
    let mut owner: BTreeMap<String, usize> = BTreeMap::new();

    // Everyone creates two records in each of their grids; all of them are in scope.
    for (i, (p, dev)) in PEOPLE.iter().zip(&writers).enumerate() {
        for grid in p.homes {
            for _ in 0..2 {
                let r = dev.with(|s| s.create(draft(&mut rng, grid))).unwrap();
                held.insert(r.meta.id.to_string(), (*grid).to_owned());
                owner.insert(r.meta.id.to_string(), i);
            }
        }
        let r = dev.sync().await.unwrap();
        assert_eq!(
            r.accepted,
            2 * p.homes.len(),
            "{}: {:?}",
            p.name,
            r.rejected
        );
        assert!(r.rejected.is_empty());
    }

    // Pull, in scope and out of it: a full sync brings exactly the scope's records, on a writer
    // (which also pulls what others wrote since) and on a fresh device of the same user.
    for (p, dev) in PEOPLE.iter().zip(&writers) {
        dev.sync().await.unwrap();
        assert_eq!(ids_on(dev), visible(&held, p.scope), "{} (writer)", p.name);
        let fresh = Device::login(&server.url, p.name).await.unwrap();
        fresh.sync().await.unwrap();
        assert_eq!(
            ids_on(&fresh),
            visible(&held, p.scope),
            "{} (fresh)",
            p.name
        );
    }
    assert_eq!(
        visible(&held, Z03).len(),
        6,
        "wang, zhao and chen wrote in 03"
    );
    assert_eq!(visible(&held, HEPING).len(), 2);

    // The raw pull answer: positions for other areas, the county, or nothing at all change
    // nothing; only scope records come back, and only the scope's positions.
    for (p, dev) in PEOPLE.iter().zip(&writers) {
        let asked = [HEPING, "runzhou", "jingkou", JIANSHE, Z01, Z03, "dantu"];
        let resp = exchange(
            &client_of(dev),
            vec![],
            Some(PullRequest {
                positions: asked
                    .iter()
                    .map(|a| Position {
                        area: (*a).to_owned(),
                        seq: 0,
                    })
                    .collect(),
                max_changes: 10_000,
            }),
        )
        .await
        .unwrap();
        let page = resp.pull.unwrap();
        assert!(!page.more);
        for d in &page.docs {
            assert!(
                covers(p.scope, &d.grid_id),
                "{} received a record of {}",
                p.name,
                d.grid_id
            );
        }
        let got: BTreeSet<String> = page.docs.iter().map(|d| id_of(d.record_id)).collect();
        assert_eq!(got, visible(&held, p.scope), "{}: raw pull", p.name);
        // The scope's areas, and (protocol 4) the position of what is assigned to the user,
        // which brings nothing here: nobody is assigned a dispute.
        let (assigned, areas): (Vec<&str>, Vec<&str>) = page
            .positions
            .iter()
            .map(|x| x.area.as_str())
            .partition(|a| wire::is_assigned_position(a));
        let mut want: Vec<&str> = p.scope.split(',').collect();
        want.sort_unstable();
        assert_eq!(areas, want, "{}: positions only for the scope", p.name);
        assert_eq!(assigned, [wire::assigned_position(None)], "{}", p.name);
        assert!(page.revoked.is_empty());
        assert_eq!(page.scope, want, "{}: the scope", p.name);
    }

    // Push a new record: in scope accepted; out of scope rejected, kept on the device, and not
    // stored, while the rest of the same batch commits.
    let mut rejected_on: Vec<BTreeSet<String>> = vec![BTreeSet::new(); PEOPLE.len()];
    for (i, (p, dev)) in PEOPLE.iter().zip(&writers).enumerate() {
        let inside = dev
            .with(|s| s.create(draft(&mut rng, p.homes[0])))
            .unwrap()
            .meta
            .id;
        let mut outside = BTreeSet::new();
        for grid in p.away {
            let r = dev.with(|s| s.create(draft(&mut rng, grid))).unwrap();
            outside.insert(r.meta.id.to_string());
        }
        let r = dev.sync().await.unwrap();
        assert_eq!(r.pushed, 1 + p.away.len(), "{}", p.name);
        assert_eq!(r.accepted, 1, "{}", p.name);
        let refused: BTreeSet<String> = r.rejected.iter().map(|x| x.id.to_string()).collect();
        assert_eq!(refused, outside, "{}", p.name);
        for x in &r.rejected {
            assert_eq!(
                (x.code.as_str(), x.field.as_str()),
                ("out_of_scope", "grid_id")
            );
            assert_eq!(
                dev.with(|s| s.sync_state(x.id)).unwrap(),
                gridmate_core::store::SyncState::Rejected
            );
        }
        held.insert(inside.to_string(), p.homes[0].to_owned());
        owner.insert(inside.to_string(), i);
        rejected_on[i] = outside;
    }
    let dump = server.dump();
    for ids in &rejected_on {
        for id in ids {
            assert!(!dump.contains_key(id), "a rejected record {id} was stored");
        }
    }

    // Push an edit of an existing record in scope (one somebody else wrote, when there is one):
    // accepted and stored.
    for (i, (p, dev)) in PEOPLE.iter().zip(&writers).enumerate() {
        dev.sync().await.unwrap();
        let target = held
            .iter()
            .filter(|(id, g)| covers(p.scope, g) && owner[*id] != i)
            .map(|(id, _)| id.clone())
            .next()
            .or_else(|| visible(&held, p.scope).into_iter().next())
            .unwrap();
        let address = format!("{}修改的地址", p.name);
        dev.with(|s| {
            s.edit(
                target.parse().unwrap(),
                &serde_json::json!({ "address": address }),
            )
        })
        .unwrap();
        let r = dev.sync().await.unwrap();
        assert_eq!((r.accepted, r.rejected.len()), (1, 0), "{}", p.name);
        assert_eq!(server_address(&server, &target), address.as_str());
    }

    // Push an edit of an existing record out of scope (its document taken from its owner's device,
    // as a leaked copy would be), batched with a new in-scope record: the edit is rejected and
    // changes nothing on the server, the new record is stored.
    for (p, dev) in PEOPLE.iter().zip(&writers) {
        for grid in p.away {
            let target = held
                .iter()
                .find(|(id, g)| g == grid && owner.contains_key(*id))
                .map(|(id, _)| id.clone())
                .unwrap();
            let before = server.dump()[&target].clone();
            let changes = edit(
                doc_on(&writers[owner[&target]], &target),
                ActorId::random(),
                |r| set_address(r, "越权修改"),
            );
            let (fresh, fresh_push) = new_record(&mut rng, p.homes[0], p.name);
            let resp = exchange(
                &client_of(dev),
                vec![
                    PushDoc {
                        record_id: wire_id(&target),
                        changes,
                    },
                    fresh_push,
                ],
                None,
            )
            .await
            .unwrap();
            assert_eq!(resp.results.len(), 2);
            assert_rejected(&resp.results[0].outcome, "out_of_scope", "grid_id");
            assert_accepted(&resp.results[1].outcome);
            let after = server.dump();
            assert_eq!(after[&target], before, "{} changed {target}", p.name);
            assert!(after.contains_key(&fresh.meta.id.to_string()));
            held.insert(fresh.meta.id.to_string(), p.homes[0].to_owned());
        }
    }

    // A grid that appears later: the township dispatcher and the county admin receive it on their
    // next sync; nobody else does.
    server.add_user("qian.feng", "grid_worker", Z05, None);
    let newcomer = Device::login(&server.url, "qian.feng").await.unwrap();
    for _ in 0..3 {
        let r = newcomer.with(|s| s.create(draft(&mut rng, Z05))).unwrap();
        held.insert(r.meta.id.to_string(), Z05.to_owned());
    }
    assert_eq!(newcomer.sync().await.unwrap().accepted, 3);

    // The end state: the server holds exactly what was accepted, and every device exactly its
    // scope (plus, on a writer, its own rejected records, kept for the user to see).
    let dump = server.dump();
    let stored: BTreeMap<String, String> = dump
        .iter()
        .map(|(id, (_, r))| (id.clone(), r["grid_id"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        stored, held,
        "the server holds exactly the accepted records"
    );
    for (i, (p, dev)) in PEOPLE.iter().zip(&writers).enumerate() {
        dev.sync().await.unwrap();
        assert_eq!(
            visible(&held, Z05).is_subset(&ids_on(dev)),
            covers(p.scope, Z05),
            "{}: the new grid's records",
            p.name
        );
        let mut want = visible(&held, p.scope);
        want.extend(rejected_on[i].iter().cloned());
        assert_eq!(ids_on(dev), want, "{} (writer)", p.name);
        let fresh = Device::login(&server.url, p.name).await.unwrap();
        fresh.sync().await.unwrap();
        assert_eq!(
            ids_on(&fresh),
            visible(&held, p.scope),
            "{} (fresh)",
            p.name
        );
    }
    assert_eq!(ids_on(&newcomer), visible(&held, Z05));
    assert_eq!(
        PEOPLE
            .iter()
            .filter(|p| covers(p.scope, Z05))
            .map(|p| p.name)
            .collect::<Vec<_>>(),
        ["zhao.min", "chen.jie"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_sessions_store_nothing() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("li.na", "legal_volunteer", Z03, Some("lawyer"));
    let lost = Device::login(&server.url, "wang.wei").await.unwrap();
    let kept = Device::login(&server.url, "wang.wei").await.unwrap();
    let lawyer = Device::login(&server.url, "li.na").await.unwrap();
    let mut rng = Rng::new(11);
    lost.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    assert_eq!(lost.sync().await.unwrap().accepted, 1);
    let baseline = server.dump();
    assert_eq!(baseline.len(), 1);

    // A revoked device: its sync and a hand-built push are refused, nothing of them is stored;
    // the user's other device still works.
    let device_id = lost.with(|s| s.device_id()).unwrap();
    server.admin(&["device", "revoke", &device_id], None);
    lost.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    let e = lost.sync().await.unwrap_err();
    assert_eq!(sync_refusal(&e), (403, "device_revoked"));
    let (_, push) = new_record(&mut rng, Z03, "wang.wei");
    let e = exchange(&client_of(&lost), vec![push], None)
        .await
        .unwrap_err();
    assert_eq!(refusal(&e), (403, "device_revoked"));
    assert_eq!(server.dump(), baseline);
    kept.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    assert_eq!(kept.sync().await.unwrap().accepted, 1);
    let baseline = server.dump();
    assert_eq!(baseline.len(), 2);

    // A disabled user: refused until enabled again; then the pending record goes up.
    server.admin(&["user", "disable", "li.na"], None);
    lawyer.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    let e = lawyer.sync().await.unwrap_err();
    assert_eq!(sync_refusal(&e), (403, "user_disabled"));
    assert_eq!(server.dump(), baseline);
    server.admin(&["user", "enable", "li.na"], None);
    assert_eq!(lawyer.sync().await.unwrap().accepted, 1);
    let baseline = server.dump();
    assert_eq!(baseline.len(), 3);

    // No token, a garbage token, a well-formed token the server never issued.
    let unknown = format!("gm1_{}", "A".repeat(43));
    for token in [None, Some("garbage".to_owned()), Some(unknown)] {
        let c = SyncClient::new(&server.url, false, token.clone()).unwrap();
        let (_, push) = new_record(&mut rng, Z03, "wang.wei");
        let e = exchange(&c, vec![push], None).await.unwrap_err();
        assert_eq!(refusal(&e), (401, "unauthorized"), "token {token:?}");
    }
    assert_eq!(server.dump(), baseline);

    // Expired tokens. The CLI refuses a zero lifetime, so expiry is made by moving this device's
    // token expiry into the past in the server's database.
    let out = std::process::Command::new(bin("gridmate-server"))
        .args(["serve", "--data", server.data.to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--token-days", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "--token-days 0 must be refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("token-days"));
    let kept_id = kept.with(|s| s.device_id()).unwrap();
    let db = rusqlite::Connection::open(server.data.join("server.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let n = db
        .execute(
            "UPDATE devices SET token_expires_at = ?1 WHERE device_id = ?2",
            rusqlite::params![Timestamp::now().millis() - 1, kept_id],
        )
        .unwrap();
    assert_eq!(n, 1);
    drop(db);
    kept.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    let e = kept.sync().await.unwrap_err();
    assert_eq!(sync_refusal(&e), (401, "unauthorized"));
    assert_eq!(server.dump(), baseline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_creators_and_borrowed_actors_are_refused() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("zhao.min", "dispatcher", "jingkou-zhengdonglu", None);
    let a = Device::login(&server.url, "wang.wei").await.unwrap();
    let b = Device::login(&server.url, "wang.wei").await.unwrap();
    let mut rng = Rng::new(13);
    let own = a.with(|s| s.create(draft(&mut rng, Z03))).unwrap().meta.id;
    assert_eq!(a.sync().await.unwrap().accepted, 1);
    b.sync().await.unwrap();
    let baseline = server.dump();

    // A new record claiming another user as its creator, next to an honest one.
    let (forged, forged_push) = new_record(&mut rng, Z03, "zhao.min");
    let (honest, honest_push) = new_record(&mut rng, Z03, "wang.wei");
    let resp = exchange(&client_of(&a), vec![forged_push, honest_push], None)
        .await
        .unwrap();
    assert_rejected(&resp.results[0].outcome, "creator_mismatch", "created_by");
    assert_accepted(&resp.results[1].outcome);
    let dump = server.dump();
    assert!(!dump.contains_key(&forged.meta.id.to_string()));
    assert!(dump.contains_key(&honest.meta.id.to_string()));
    assert_eq!(dump.len(), baseline.len() + 1);
    let baseline = dump;

    // Device A's actor (bound to A by its first push) writing an edit that device B pushes.
    let actor_a = a.with(|s| s.actor().clone());
    let changes = edit(doc_on(&a, &own.to_string()), actor_a.clone(), |r| {
        set_address(r, "借用作者")
    });
    let resp = exchange(
        &client_of(&b),
        vec![PushDoc {
            record_id: *own.as_uuid().as_bytes(),
            changes: changes.clone(),
        }],
        None,
    )
    .await
    .unwrap();
    assert_rejected(&resp.results[0].outcome, "actor_conflict", "changes");
    assert_eq!(
        server.dump(),
        baseline,
        "nothing of the borrowed actor is stored"
    );

    // The same changes from A itself are its own: accepted.
    let resp = exchange(
        &client_of(&a),
        vec![PushDoc {
            record_id: *own.as_uuid().as_bytes(),
            changes,
        }],
        None,
    )
    .await
    .unwrap();
    assert_accepted(&resp.results[0].outcome);
    assert_eq!(server_address(&server, &own.to_string()), "借用作者");
}

// ---------------------------------------------------------------------------------------------
// The dispute workflow: who may act, delete and restore, against the real server.

/// The accounts of the workflow tests: per role one whose areas cover grid 03 and one whose do
/// not; another grid worker of 03; and the lawyer of 03 a dispute is assigned to when the actor
/// is not its assignee.
const WF_PEOPLE: [(&str, &str, Option<&str>, &str); 10] = [
    ("wang.wei", "grid_worker", None, Z03),
    ("liu.yang", "grid_worker", None, HEPING),
    ("he.ping", "grid_worker", None, Z03),
    ("zhou.lv", "legal_volunteer", Some("lawyer"), Z03),
    ("li.na", "legal_volunteer", Some("lawyer"), Z01),
    ("zhao.min", "dispatcher", None, "jingkou-zhengdonglu"),
    ("sun.li", "dispatcher", None, "runzhou"),
    ("chen.jie", "admin", None, "jingkou"),
    ("qian.feng", "admin", None, "runzhou"),
    ("ma.lv", "legal_volunteer", Some("lawyer"), Z03),
];
/// Who reports every dispute here (a grid worker of 03).
const REPORTER: &str = "wang.wei";
const DISPATCHER: &str = "zhao.min";
/// The assignee when the actor is not.
const HANDLER: &str = "ma.lv";
/// Per role: the account in scope of grid 03, and the one outside it.
const ROLES: [(Role, &str, &str); 4] = [
    (Role::GridWorker, "wang.wei", "liu.yang"),
    (Role::LegalVolunteer, "zhou.lv", "li.na"),
    (Role::Dispatcher, "zhao.min", "sun.li"),
    (Role::Admin, "chen.jie", "qian.feng"),
];

/// Where the actor stands towards the dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    InScope,
    OutOfScope,
    /// Outside the grid, but the dispute's current assignee (for `accept` and `not_accept`,
    /// whose statuses have no assignee: its former handler).
    AssigneeOutside,
}

/// A server with the workflow accounts, each signed in on a device.
struct Wf {
    server: Server,
    devs: BTreeMap<&'static str, Device>,
    rng: Rng,
}

impl Wf {
    async fn start(seed: u64) -> Self {
        let server = Server::start();
        let mut devs = BTreeMap::new();
        for (name, role, legal, scope) in WF_PEOPLE {
            server.add_user(name, role, scope, legal);
            devs.insert(name, Device::login(&server.url, name).await.unwrap());
        }
        Self {
            server,
            devs,
            rng: Rng::new(seed),
        }
    }

    fn dev(&self, user: &str) -> &Device {
        &self.devs[user]
    }

    /// A dispute in grid 03 by the reporter, as a device writes it, stored by the server.
    async fn dispute(&mut self) -> (RecordId, AutoCommit) {
        loop {
            let (rec, mut doc) = device_record(&mut self.rng, Z03, REPORTER);
            if matches!(rec.body, RecordBody::Dispute(_)) {
                let o = push_changes(self.dev(REPORTER), rec.meta.id, raw(doc.get_changes(&[])));
                assert_accepted(&o.await);
                return (rec.meta.id, doc);
            }
        }
    }

    /// `user` saves `f(record)` over `doc` and pushes it; `doc` keeps the save only if accepted.
    async fn save(
        &self,
        doc: &mut AutoCommit,
        id: RecordId,
        user: &str,
        f: impl FnOnce(&mut Record),
    ) -> PushOutcome {
        let mut tried = doc.fork();
        let changes = save(&mut tried, f);
        let o = push_changes(self.dev(user), id, changes).await;
        if matches!(o, PushOutcome::Accepted { .. }) {
            *doc = tried;
        }
        o
    }

    /// `user` takes `action` (complete details; an `assign` goes to `assignee`).
    async fn act(
        &self,
        doc: &mut AutoCommit,
        id: RecordId,
        user: &str,
        action: A,
        assignee: &str,
    ) -> PushOutcome {
        let ev = event(
            user,
            role_of(self.dev(user)),
            action,
            valid_details(action, assignee),
        );
        self.save(doc, id, user, |r| add_event(r, ev)).await
    }
}

fn add_event(r: &mut Record, ev: gridmate_domain::workflow::WorkflowEvent) {
    let RecordBody::Dispute(d) = &mut r.body else {
        panic!("not a dispute");
    };
    d.workflow.push(ev);
    d.refresh_status();
}

fn sorted_heads(doc: &mut AutoCommit) -> Vec<String> {
    let mut h: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
    h.sort();
    h
}

/// The events (each with its author) that bring a fresh dispute to where `action` can be taken
/// from; the dispatcher assigns to `assignee`.
fn setup(action: A, place: Place) -> &'static [(A, &'static str)] {
    const D: &str = DISPATCHER;
    match (action, place == Place::AssigneeOutside) {
        (A::Accept, true) => &[(A::Accept, D), (A::Assign, D), (A::Escalate, D)],
        (A::NotAccept, true) => &[(A::Accept, D), (A::Assign, D), (A::Return, D)],
        (A::Accept | A::NotAccept | A::Escalate | A::Supervise, false) => &[],
        (A::Assign, false) => &[(A::Accept, D)],
        (A::FollowUp | A::Close, _) => &[(A::Accept, D), (A::Assign, D), (A::Resolve, D)],
        (A::Evaluate, _) => &[
            (A::Accept, D),
            (A::Assign, D),
            (A::Resolve, D),
            (A::FollowUp, REPORTER),
        ],
        _ => &[(A::Accept, D), (A::Assign, D)],
    }
}

/// The server's verdict by the role table: `None` accepted, or the refusal's code.
fn expected(action: A, role: Role, place: Place) -> Option<&'static str> {
    let dispatcher = role == Role::Dispatcher && place == Place::InScope;
    let holder = place == Place::AssigneeOutside;
    let ok = match action {
        A::Start => holder,
        A::Log | A::Resolve | A::Return => dispatcher || holder,
        A::FollowUp | A::Evaluate => role == Role::GridWorker && place == Place::InScope,
        A::Accept | A::NotAccept | A::Assign | A::Escalate | A::Supervise | A::Close => dispatcher,
    };
    match (ok, place) {
        (true, _) => None,
        (false, Place::OutOfScope) => Some("out_of_scope"),
        (false, _) => Some("forbidden_action"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workflow_action_by_every_role_in_and_out_of_scope() {
    let mut wf = Wf::start(31).await;
    let mut stored: Vec<(RecordId, Vec<String>)> = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for &action in A::ALL {
        for (role, inside, outside) in ROLES {
            for place in [Place::InScope, Place::OutOfScope, Place::AssigneeOutside] {
                let actor = if place == Place::InScope {
                    inside
                } else {
                    outside
                };
                let assignee = if place == Place::AssigneeOutside {
                    actor
                } else {
                    HANDLER
                };
                let (id, mut doc) = wf.dispute().await;
                let steps = setup(action, place);
                for (a, by) in steps {
                    let o = wf.act(&mut doc, id, by, *a, assignee).await;
                    assert!(
                        matches!(o, PushOutcome::Accepted { .. }),
                        "setup {a}: {o:?}"
                    );
                }
                let what = format!("{action} by {actor} ({role}, {place:?})");
                let o = wf.act(&mut doc, id, actor, action, HANDLER).await;
                match expected(action, role, place) {
                    None => {
                        assert!(matches!(o, PushOutcome::Accepted { .. }), "{what}: {o:?}");
                        accepted += 1;
                    }
                    Some(code) => {
                        let field = match code {
                            "out_of_scope" => "grid_id".to_owned(),
                            _ => format!("workflow[{}].action", steps.len()),
                        };
                        match &o {
                            PushOutcome::Rejected {
                                code: c,
                                field: f,
                                message_zh,
                                message_en,
                            } => {
                                assert_eq!(
                                    (c.as_str(), f.as_str()),
                                    (code, field.as_str()),
                                    "{what}"
                                );
                                assert!(!message_zh.is_empty() && !message_en.is_empty());
                            }
                            other => panic!("{what}: expected {code}, got {other:?}"),
                        }
                        refused += 1;
                    }
                }
                stored.push((id, sorted_heads(&mut doc)));
            }
        }
    }
    // By the table: each dispatcher-only action once (the dispatcher of the area), `start` by
    // the four assignees, `log`/`resolve`/`return` by the dispatcher and the four assignees,
    // `follow_up`/`evaluate` by the grid worker of the grid.
    assert_eq!(A::ALL.len(), 12);
    assert_eq!((accepted, refused), (6 + 4 + 3 * 5 + 2, 144 - 27));
    // The server holds exactly the accepted saves: every refused action stored nothing.
    let dump = wf.server.dump();
    for (id, heads) in &stored {
        assert_eq!(&dump[&id.to_string()].0, heads, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_disputes_claiming_a_late_state_or_a_forbidden_event_are_refused() {
    let mut wf = Wf::start(32).await;
    // A new dispute that claims a late state; one that arrives already evaluated; both as a
    // device sends a new record (one document chunk) and as its changes. Neither is stored.
    let mut claims: Vec<(Record, &str)> = Vec::new();
    for _ in 0..2 {
        let (mut late, _) = new_dispute(&mut wf.rng, REPORTER);
        if let RecordBody::Dispute(d) = &mut late.body {
            d.initial_status = DisputeStatus::Evaluated;
            d.refresh_status();
        }
        claims.push((late, "status"));
        let (mut evaluated, _) = new_dispute(&mut wf.rng, REPORTER);
        let details = valid_details(A::Evaluate, "");
        add_event(
            &mut evaluated,
            event(REPORTER, Role::GridWorker, A::Evaluate, details),
        );
        claims.push((evaluated, "workflow[0].action"));
    }
    for (i, (rec, field)) in claims.iter().enumerate() {
        let mut doc = document_of(rec);
        let changes = if i < 2 {
            vec![wire::Change(doc.save_nocompress())]
        } else {
            raw(doc.get_changes(&[]))
        };
        let o = push_changes(wf.dev(REPORTER), rec.meta.id, changes).await;
        assert_rejected(&o, "invalid_status", field);
    }
    // A dispatcher may create and accept offline: one change, accepted, stored as accepted.
    let (mut own, _) = new_dispute(&mut wf.rng, DISPATCHER);
    let accept = event(
        DISPATCHER,
        Role::Dispatcher,
        A::Accept,
        EventDetails::default(),
    );
    add_event(&mut own, accept);
    let chunk = vec![wire::Change(document_of(&own).save_nocompress())];
    assert_accepted(&push_changes(wf.dev(DISPATCHER), own.meta.id, chunk).await);

    let dump = wf.server.dump();
    for (rec, _) in &claims {
        assert!(!dump.contains_key(&rec.meta.id.to_string()));
    }
    assert_eq!(dump[&own.meta.id.to_string()].1["status"], "accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_rewritten_events_are_refused_and_the_dump_names_authors() {
    let mut wf = Wf::start(35).await;
    // Events in another's name, or in another role: refused; the real dispatcher's passes.
    let (id, mut doc) = wf.dispute().await;
    let forged = event(
        DISPATCHER,
        Role::Dispatcher,
        A::Accept,
        EventDetails::default(),
    );
    let o = wf
        .save(&mut doc, id, "zhou.lv", |r| add_event(r, forged.clone()))
        .await;
    assert_rejected(&o, "forbidden_action", "workflow[0].by");
    let posing = event(
        REPORTER,
        Role::Dispatcher,
        A::Accept,
        EventDetails::default(),
    );
    let o = wf
        .save(&mut doc, id, REPORTER, |r| add_event(r, posing))
        .await;
    assert_rejected(&o, "forbidden_action", "workflow[0].by");
    let o = wf
        .save(&mut doc, id, DISPATCHER, |r| add_event(r, forged))
        .await;
    assert_accepted(&o);
    // The status is the workflow's: writing it is refused, and so is rewriting an event.
    let o = wf
        .save(&mut doc, id, DISPATCHER, |r| {
            if let RecordBody::Dispute(d) = &mut r.body {
                d.initial_status = DisputeStatus::Closed;
            }
        })
        .await;
    assert_rejected(&o, "immutable_field", "status");
    // (A device's own save never rewrites an event: a hostile one writes into the list.)
    let mut tried = doc.fork();
    tried.set_actor(ActorId::random());
    let before = tried.get_heads();
    // Each event is one JSON string in the list: the hostile device writes another in its place.
    let (_, list) = tried.get(ROOT, "workflow").unwrap().unwrap();
    let (first, _) = tried.get(&list, 0).unwrap().unwrap();
    let mut event: serde_json::Value =
        serde_json::from_str(first.as_str().expect("an event is a JSON string")).unwrap();
    event["details"]["note"] = "改写".into();
    tried.put(&list, 0, event.to_string()).unwrap();
    tried.commit();
    let o = push_changes(wf.dev(DISPATCHER), id, raw(tried.get_changes(&before))).await;
    assert_rejected(&o, "immutable_field", "workflow[0]");

    // `record dump`: who wrote each event, in which role, when, with what verdict; and the
    // authenticated account that pushed each logged change.
    let line = wf
        .server
        .dump_lines(Z03)
        .into_iter()
        .find(|l| l["id"] == id.to_string())
        .unwrap();
    assert_eq!(line["record"]["status"], "accepted");
    let ev = &line["workflow"][0];
    let shown = (&ev["action"], &ev["by"], &ev["role"], &ev["verdict"]);
    assert_eq!(
        shown,
        (
            &"accept".into(),
            &DISPATCHER.into(),
            &"dispatcher".into(),
            &"applied".into()
        )
    );
    assert!(ev["at"].is_string());
    let pushers: Vec<&str> = line["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pushed_by"].as_str().unwrap())
        .collect();
    assert_eq!(pushers, [REPORTER, DISPATCHER]);
}

/// A record's document as a device writes a new one (one change).
fn document_of(rec: &Record) -> AutoCommit {
    let mut doc = AutoCommit::new();
    write_changes(&mut doc, None, rec).unwrap();
    doc.commit();
    doc
}

/// A dispute record by `user` in grid 03 (not pushed).
fn new_dispute(rng: &mut Rng, user: &str) -> (Record, AutoCommit) {
    loop {
        let (rec, doc) = device_record(rng, Z03, user);
        if matches!(rec.body, RecordBody::Dispute(_)) {
            return (rec, doc);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_and_restoring_a_dispute_is_role_bound() {
    let mut wf = Wf::start(33).await;
    let now = Timestamp::now();
    let delete = move |r: &mut Record| r.meta.deleted_at = Some(now);
    let restore = |r: &mut Record| r.meta.deleted_at = None;
    // Delete of a dispute nobody has acted on, by each role in and out of scope.
    let cases: [(&str, Option<&str>); 9] = [
        (REPORTER, None),
        ("he.ping", Some("forbidden_action")),
        ("liu.yang", Some("out_of_scope")),
        ("zhou.lv", Some("forbidden_action")),
        ("li.na", Some("out_of_scope")),
        (DISPATCHER, None),
        ("sun.li", Some("out_of_scope")),
        ("chen.jie", Some("forbidden_action")),
        ("qian.feng", Some("out_of_scope")),
    ];
    for (user, want) in cases {
        let (id, mut doc) = wf.dispute().await;
        let o = wf.save(&mut doc, id, user, delete).await;
        check(&o, want, &format!("delete by {user}"));
    }
    // Once the dispatcher acted, the reporter may not; the dispatcher still may; an assignee
    // outside the grid may not either.
    let (id, mut doc) = wf.dispute().await;
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Accept, "").await);
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Assign, "li.na").await);
    let o = wf.save(&mut doc, id, REPORTER, delete).await;
    check(
        &o,
        Some("forbidden_action"),
        "delete by the reporter after accept",
    );
    let o = wf.save(&mut doc, id, "li.na", delete).await;
    check(&o, Some("out_of_scope"), "delete by the assignee outside");
    assert_accepted(&wf.save(&mut doc, id, DISPATCHER, delete).await);
    // Restore: the dispatcher of the area alone.
    for (user, want) in [
        (REPORTER, Some("forbidden_action")),
        ("liu.yang", Some("out_of_scope")),
        ("zhou.lv", Some("forbidden_action")),
        ("li.na", Some("out_of_scope")),
        ("sun.li", Some("out_of_scope")),
        ("chen.jie", Some("forbidden_action")),
        ("qian.feng", Some("out_of_scope")),
        (DISPATCHER, None),
    ] {
        let o = wf.save(&mut doc, id, user, restore).await;
        check(&o, want, &format!("restore by {user}"));
    }
    assert!(wf.server.dump()[&id.to_string()].1["deleted_at"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporters_delete_is_judged_on_what_the_device_saw() {
    let mut wf = Wf::start(36).await;
    let now = Timestamp::now();
    let delete = move |r: &mut Record| r.meta.deleted_at = Some(now);
    // Other kinds keep their rules: a grid worker deletes a colleague's patrol visit.
    let visit = loop {
        let (rec, doc) = device_record(&mut wf.rng, Z03, REPORTER);
        if !matches!(rec.body, RecordBody::Dispute(_)) {
            break (rec.meta.id, doc);
        }
    };
    let (vid, mut vdoc) = visit;
    assert_accepted(&push_changes(wf.dev(REPORTER), vid, raw(vdoc.get_changes(&[]))).await);
    assert_accepted(&wf.save(&mut vdoc, vid, "he.ping", delete).await);

    // Through the app's own store: the refusal reaches the device, with its code and field.
    let (id, mut doc) = wf.dispute().await;
    let reporter = wf.dev(REPORTER);
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Accept, "").await);
    reporter.sync().await.unwrap();
    reporter.with(|s| s.delete(id)).unwrap();
    let r = reporter.sync().await.unwrap();
    assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
    let x = &r.rejected[0];
    assert_eq!(
        (x.id, x.code.as_str(), x.field.as_str()),
        (id, "forbidden_action", "deleted_at")
    );
    // Deleted offline while nobody had acted, then accepted before the delete arrived: judged on
    // what the reporter saw, the delete stands.
    let (id, mut doc) = wf.dispute().await;
    let reporter = wf.dev(REPORTER);
    reporter.sync().await.unwrap();
    reporter.with(|s| s.delete(id)).unwrap();
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Accept, "").await);
    let r = reporter.sync().await.unwrap();
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let held = &wf.server.dump()[&id.to_string()].1;
    assert!(!held["deleted_at"].is_null());
    assert_eq!(held["status"], "accepted");
}

fn check(o: &PushOutcome, want: Option<&str>, what: &str) {
    let got = match o {
        PushOutcome::Accepted { .. } => None,
        PushOutcome::Rejected { code, field, .. } => Some((code.as_str(), field.as_str())),
        other => panic!("{what}: {other:?}"),
    };
    let want = want.map(|code| match code {
        "out_of_scope" => (code, "grid_id"),
        _ => (code, "deleted_at"),
    });
    assert_eq!(got, want, "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignee_outside_the_grid_adds_to_the_log_and_nothing_else() {
    let mut wf = Wf::start(34).await;
    let lawyer = "li.na";
    let (id, mut doc) = wf.dispute().await;
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Accept, "").await);
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Assign, lawyer).await);
    // Her log entry and her start are accepted.
    assert_accepted(&wf.act(&mut doc, id, lawyer, A::Log, "").await);
    assert_accepted(&wf.act(&mut doc, id, lawyer, A::Start, "").await);
    // Editing the summary, alone or with a log entry, is refused.
    let edit_summary = |r: &mut Record| {
        if let RecordBody::Dispute(d) = &mut r.body {
            d.summary.push_str("（承办律师补充）");
        }
    };
    let o = wf.save(&mut doc, id, lawyer, edit_summary).await;
    assert_rejected(&o, "out_of_scope", "grid_id");
    let ev = event(
        lawyer,
        Role::LegalVolunteer,
        A::Log,
        valid_details(A::Log, ""),
    );
    let o = wf
        .save(&mut doc, id, lawyer, |r| {
            edit_summary(r);
            add_event(r, ev);
        })
        .await;
    assert_rejected(&o, "out_of_scope", "grid_id");
    // Re-assigned to another lawyer, she keeps her log (former handler) but may not resolve.
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Assign, HANDLER).await);
    assert_accepted(&wf.act(&mut doc, id, lawyer, A::Log, "").await);
    let o = wf.act(&mut doc, id, lawyer, A::Resolve, "").await;
    assert_rejected(&o, "forbidden_action", "workflow[6].action");
    // Somebody outside the grid who never handled it is refused outright.
    let o = wf.act(&mut doc, id, "liu.yang", A::Log, "").await;
    assert_rejected(&o, "out_of_scope", "grid_id");
    let held = &wf.server.dump()[&id.to_string()].1;
    let authors: Vec<&str> = held["workflow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["by"].as_str().unwrap())
        .collect();
    assert_eq!(
        authors,
        [DISPATCHER, DISPATCHER, lawyer, lawyer, DISPATCHER, lawyer]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_allowed_where_its_author_stood_is_kept_and_flagged() {
    let mut wf = Wf::start(37).await;
    let lawyer = "li.na";
    let (id, mut doc) = wf.dispute().await;
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Accept, "").await);
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Assign, lawyer).await);
    // The lawyer resolves offline, as the assignee; meanwhile the dispatcher re-assigns.
    let mut offline = doc.fork();
    assert_accepted(&wf.act(&mut doc, id, DISPATCHER, A::Assign, HANDLER).await);
    let o = wf.act(&mut offline, id, lawyer, A::Resolve, "").await;
    assert_accepted(&o);
    // Both are kept; the fold flags whichever came second in the merged order, naming the other.
    let line = wf
        .server
        .dump_lines(Z03)
        .into_iter()
        .find(|l| l["id"] == id.to_string())
        .unwrap();
    let events = line["workflow"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    let (third, fourth) = (&events[2], &events[3]);
    let mut actions = [third["action"].as_str(), fourth["action"].as_str()];
    actions.sort_unstable();
    assert_eq!(actions, [Some("assign"), Some("resolve")]);
    assert_eq!(third["verdict"], "applied", "{line}");
    assert_eq!(fourth["verdict"], "flagged", "{line}");
    assert_eq!(fourth["conflicts_with"], third["id"], "{line}");
    let code = fourth["code"].as_str().unwrap();
    assert!(
        ["not_assignee", "not_allowed_in_state"].contains(&code),
        "{code}"
    );
}

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
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ActorId, AutoCommit};
use gridmate_core::sync::{SyncClient, SyncError, TransportError};
use gridmate_domain::document::{read_record, write_changes};
use gridmate_domain::fixtures::Rng;
use gridmate_domain::wire::{
    self, PROTOCOL_VERSION, Position, PullRequest, PushDoc, SyncRequest, SyncResponse,
};
use gridmate_domain::{Record, RecordBody, RecordId, Timestamp};
use gridmate_system_tests::handmade::{
    assert_accepted, assert_rejected, device_record, push_of, raw_changes as raw,
};
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

//! Sync under network and server faults, injected by a proxy the test scripts request by request
//! (`gridmate_system_tests::proxy`), against a real server process and real client stores.
//!
//! Proves, each scenario with a fixed seed or a fixed script:
//! (a) dropped requests and dropped responses during a 250-record push (batches cut by count and by
//!     bytes): retrying converges, a successful sync leaves nothing pending, the
//!     server holds every record exactly once (one logged change each, no duplicate), the device
//!     shows every record `synced`;
//! (b) duplicated requests, a delayed request, and old requests replayed after later syncs change
//!     nothing on the server (same dump, same change counts) and are answered `Accepted`;
//! (c) the server SIGKILLed in the middle of a 1,000-record push in batches of 125 (twice) and
//!     restarted on the same port: retrying converges, nothing lost, nothing duplicated;
//! (d) a pull whose response is dropped does not advance the device's positions: the retry sends
//!     the same positions and receives exactly the changes the lost page held;
//! (e) a random fault schedule (drops, duplicates, delays, kills) over three devices editing the
//!     same records concurrently, then convergence as in `convergence.rs`: identical documents
//!     everywhere, no save lost;
//! (f) an edit saved while its record's push is in flight (held up in the proxy) is not marked
//!     synced by the push's answer, and goes up with the next sync.
//! After each scenario the server answers `GET /healthz`. Delays are faults only; nothing here
//! asserts how long anything took.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridmate_core::store::{ListQuery, SyncState};
use gridmate_core::sync::{SyncConfig, SyncReport};
use gridmate_domain::fixtures::Rng;
use gridmate_domain::wire::{self, PushOutcome};
use gridmate_system_tests::proxy::{Action, Proxy, healthy};
use gridmate_system_tests::{Device, Edit, Ledger, Server, Snapshot, assert_same, draft};

/// A server (shared with the proxy's kill hook) and a proxy in front of it.
struct World {
    server: Arc<Mutex<Server>>,
    /// The server's own address (unchanged by restarts: same port).
    direct: String,
    proxy: Proxy,
}

impl World {
    async fn start() -> Self {
        let server = Server::start();
        let direct = server.url.clone();
        let server = Arc::new(Mutex::new(server));
        let proxy = Proxy::start(&direct).await;
        let s = server.clone();
        proxy.set_kill_hook(move || s.lock().unwrap().restart());
        Self {
            server,
            direct,
            proxy,
        }
    }

    fn add_user(&self, name: &str, role: &str, scope: &str) {
        self.server
            .lock()
            .unwrap()
            .add_user(name, role, scope, None);
    }

    /// A device signed in directly, then pointed at the proxy.
    async fn device(&self, user: &str) -> Device {
        let d = Device::login(&self.direct, user).await.unwrap();
        d.set_server_url(&self.proxy.url);
        d
    }

    fn dump_grid(&self, prefix: &str) -> gridmate_system_tests::Snapshot {
        self.server.lock().unwrap().dump_grid(prefix)
    }

    async fn assert_healthy(&self, what: &str) {
        assert!(healthy(&self.direct).await, "{what}: server /healthz");
        assert!(healthy(&self.proxy.url).await, "{what}: /healthz via proxy");
    }
}

/// Syncs until a sync succeeds; every failure must be retryable (network, 5xx). Returns the
/// successful report and the number of failed attempts.
async fn sync_until_ok(d: &Device, cfg: &SyncConfig, what: &str) -> (SyncReport, usize) {
    for failures in 0..100 {
        match d.sync_with(cfg).await {
            Ok(r) => {
                assert!(r.rejected.is_empty(), "{what}: rejected {:?}", r.rejected);
                return (r, failures);
            }
            Err(e) => assert!(
                e.is_retryable(),
                "{what}: {} failed with a non-retryable error: {e}",
                d.user
            ),
        }
    }
    panic!("{what}: {} never completed a sync", d.user);
}

/// Every record of the device is `synced`, none pending or rejected; returns how many it holds.
fn assert_all_synced(d: &Device, what: &str) -> usize {
    let all = d.record_ids().len();
    d.with(|s| {
        let c = s.counts().unwrap();
        assert_eq!(
            (c.pending, c.rejected, c.quarantined),
            (0, 0, 0),
            "{what}: {}",
            d.user
        );
        let synced = s
            .list(&ListQuery {
                sync_state: Some(SyncState::Synced),
                include_deleted: true,
                limit: 500,
                ..Default::default()
            })
            .unwrap();
        if all <= 500 {
            assert_eq!(synced.items.len(), all, "{what}: every record synced");
        }
        all
    })
}

/// The server holds exactly the device's records, each with exactly the changes of the device's
/// document (none duplicated, none missing), same heads and content. One pass over each side.
fn assert_server_matches(w: &World, d: &Device, prefix: &str, what: &str) {
    let lines = w.server.lock().unwrap().dump_lines(prefix);
    let mut on_server = Snapshot::new();
    let mut server_changes = BTreeMap::new();
    for l in &lines {
        let id = l["id"].as_str().unwrap().to_owned();
        let heads = l["heads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_owned())
            .collect();
        server_changes.insert(id.clone(), l["changes"].as_i64().unwrap());
        on_server.insert(id, (heads, l["record"].clone()));
    }
    let ids = d.record_ids();
    let (local, local_changes) = d.with(|s| {
        let mut snap = Snapshot::new();
        let mut changes = BTreeMap::new();
        for id in ids {
            let mut doc = automerge::AutoCommit::load(&s.export_doc(id).unwrap()).unwrap();
            let mut heads: Vec<String> = doc.get_heads().iter().map(|h| h.to_string()).collect();
            heads.sort();
            let rec = gridmate_domain::input::record_to_json(
                &gridmate_domain::document::read_record(&doc).unwrap(),
            );
            changes.insert(id.to_string(), doc.get_changes(&[]).len() as i64);
            snap.insert(id.to_string(), (heads, rec));
        }
        (snap, changes)
    });
    assert_same(&format!("{what}: {} vs server", d.user), &local, &on_server);
    assert_eq!(
        server_changes, local_changes,
        "{what}: changes logged per record on the server vs in the device's documents"
    );
}

fn create(d: &Device, rng: &mut Rng, grid: &str, n: usize) -> Vec<String> {
    d.with(|s| s.create_batch((0..n).map(|_| draft(rng, grid)).collect()))
        .unwrap()
        .iter()
        .map(|r| r.meta.id.to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_requests_and_responses_during_a_large_push() {
    let w = World::start().await;
    w.add_user("fa.w", "grid_worker", "fa-town-01");
    let d = w.device("fa.w").await;
    let mut rng = Rng::new(11);
    let ids = create(&d, &mut rng, "fa-town-01", 250);
    let mut faults = Rng::new(12);
    w.proxy.set_script(move |_| match faults.below(100) {
        0..30 => Action::DropRequest,
        30..60 => Action::DropResponse,
        _ => Action::Pass,
    });
    // Batches cut by count (50 records) and by bytes (16 KiB of changes), whichever comes first.
    let cfg = SyncConfig {
        max_push_records: 50,
        max_push_bytes: 16 << 10,
        ..Default::default()
    };
    let (_, failures) = sync_until_ok(&d, &cfg, "(a)").await;
    assert_eq!(
        d.with(|s| s.counts()).unwrap().pending,
        0,
        "(a) a successful sync leaves nothing pending"
    );
    let log = w.proxy.log();
    let pushes = |a: Action| {
        log.iter()
            .filter(|e| e.action == a && e.seen.push_records > 0)
            .count()
    };
    assert!(failures > 0, "(a) the schedule made syncs fail");
    assert!(
        pushes(Action::DropRequest) > 0 && pushes(Action::DropResponse) > 0,
        "(a) both faults hit pushes: {log:?}"
    );
    // Once more with a clean network: nothing left to push.
    w.proxy.set_script(|_| Action::Pass);
    let (r, _) = sync_until_ok(&d, &cfg, "(a) clean").await;
    assert_eq!(r.pushed, 0, "(a) nothing pending after success");
    assert_eq!(assert_all_synced(&d, "(a)"), 250);
    let on_server = w.dump_grid("fa-town");
    assert_eq!(on_server.len(), 250, "(a) each record once");
    assert!(ids.iter().all(|id| on_server.contains_key(id)));
    assert_server_matches(&w, &d, "fa-town", "(a)");
    w.assert_healthy("(a)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_duplicated_delayed_and_late_replayed_requests_change_nothing() {
    let w = World::start().await;
    w.add_user("fb.w", "grid_worker", "fb-town-01");
    w.add_user("fb.d", "dispatcher", "fb-town");
    let a = w.device("fb.w").await;
    let b = w.device("fb.d").await;
    let mut rng = Rng::new(21);
    let mut ledger = Ledger::default();
    ledger
        .created
        .extend(create(&a, &mut rng, "fb-town-01", 30));
    // Every request twice; the 3rd request also late.
    w.proxy.set_script(|s| {
        if s.index == 2 {
            Action::Delay(Duration::from_millis(50))
        } else {
            Action::Duplicate
        }
    });
    let (r, failures) = sync_until_ok(&a, &SyncConfig::default(), "(b) first").await;
    assert_eq!((r.pushed, r.accepted, failures), (30, 30, 0));
    let first_push = w.proxy.requests() - 1;
    sync_until_ok(&b, &SyncConfig::default(), "(b) dispatcher").await;
    // Concurrent edits on both sides, then both sync (still duplicated).
    for i in 0..20 {
        let (dev, who) = if i % 2 == 0 { (&a, 0) } else { (&b, 1) };
        let edit = match i % 4 {
            0 | 1 => Edit::Text {
                prepend: i % 3 == 0,
            },
            _ => Edit::Scalar {
                risk: i % 3 == 0,
                value: i as u8,
            },
        };
        assert!(
            ledger
                .apply(dev, who, "fb-town-01", &mut rng, edit, i * 7)
                .await
                .is_some()
        );
    }
    ledger.created.extend(create(&a, &mut rng, "fb-town-01", 5));
    sync_until_ok(&a, &SyncConfig::default(), "(b) edits a").await;
    let second_push = w.proxy.requests() - 1;
    sync_until_ok(&b, &SyncConfig::default(), "(b) edits b").await;
    sync_until_ok(&a, &SyncConfig::default(), "(b) edits a again").await;
    w.proxy.set_script(|_| Action::Pass);
    let before = w.server.lock().unwrap().dump_lines("fb-town");
    assert_eq!(before.len(), 35);
    // Old pushes arrive again, after later syncs: accepted, nothing changes.
    for index in [first_push, second_push] {
        let req = wire::decode_request(&w.proxy.recorded(index).body).unwrap();
        assert!(!req.push.is_empty(), "(b) request {index} is a push");
        let up = w.proxy.replay(index).await.unwrap();
        assert_eq!(up.status, 200, "(b) replay of request {index}");
        let resp = wire::decode_response(&up.body).unwrap();
        assert_eq!(resp.results.len(), req.push.len());
        assert!(
            resp.results
                .iter()
                .all(|r| matches!(r.outcome, PushOutcome::Accepted { .. })),
            "(b) a replayed push is accepted: {:?}",
            resp.results
        );
        let after = w.server.lock().unwrap().dump_lines("fb-town");
        assert_eq!(
            before, after,
            "(b) the replay of request {index} changed the server"
        );
    }
    // Nothing new for anyone.
    for d in [&a, &b] {
        let (r, _) = sync_until_ok(d, &SyncConfig::default(), "(b) final").await;
        assert_eq!((r.pushed, r.pulled_changes), (0, 0), "(b) {} final", d.user);
    }
    for d in [&a, &b] {
        assert_all_synced(d, "(b)");
        assert_server_matches(&w, d, "fb-town", "(b)");
    }
    ledger.check("(b)", &w.dump_grid("fb-town"));
    let log = w.proxy.log();
    assert!(
        log.iter()
            .any(|e| e.action == Action::Duplicate && e.seen.push_records > 0)
    );
    assert!(log.iter().any(|e| matches!(e.action, Action::Delay(_))));
    w.assert_healthy("(b)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_server_killed_mid_push_and_restarted() {
    let w = World::start().await;
    w.add_user("fc.w", "grid_worker", "fc-town-01");
    let d = w.device("fc.w").await;
    let mut rng = Rng::new(31);
    let ids = create(&d, &mut rng, "fc-town-01", 1_000);
    // SIGKILL while the server processes the 2nd and the 5th push request.
    let mut pushes = 0;
    w.proxy.set_script(move |s| {
        if s.push_records == 0 {
            return Action::Pass;
        }
        pushes += 1;
        if pushes == 2 || pushes == 5 {
            Action::KillServer {
                after: Duration::from_millis(40),
            }
        } else {
            Action::Pass
        }
    });
    let cfg = SyncConfig {
        max_push_records: 125,
        ..Default::default()
    };
    let (_, failures) = sync_until_ok(&d, &cfg, "(c)").await;
    let kills: Vec<_> = w
        .proxy
        .log()
        .into_iter()
        .filter(|e| matches!(e.action, Action::KillServer { .. }))
        .collect();
    assert_eq!(kills.len(), 2, "(c) two kills");
    assert_eq!(failures, 2, "(c) each kill fails one sync");
    eprintln!(
        "(c) kills landed with the server's answer already sent: {:?}",
        kills
            .iter()
            .map(|k| k.answered_before_kill)
            .collect::<Vec<_>>()
    );
    w.proxy.set_script(|_| Action::Pass);
    let (r, _) = sync_until_ok(&d, &cfg, "(c) clean").await;
    assert_eq!(r.pushed, 0);
    assert_eq!(assert_all_synced(&d, "(c)"), 1_000);
    assert_server_matches(&w, &d, "fc-town", "(c)");
    let on_device: std::collections::BTreeSet<String> =
        d.record_ids().iter().map(ToString::to_string).collect();
    assert_eq!(
        on_device,
        ids.iter().cloned().collect(),
        "(c) all 1,000 records, each once"
    );
    w.assert_healthy("(c)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d_a_dropped_pull_response_does_not_advance_positions() {
    let w = World::start().await;
    w.add_user("fd.w", "grid_worker", "fd-town-01");
    w.add_user("fd.d", "dispatcher", "fd-town");
    // The writer syncs directly; the reader goes through the proxy.
    let a = Device::login(&w.direct, "fd.w").await.unwrap();
    let b = w.device("fd.d").await;
    let mut rng = Rng::new(41);
    create(&a, &mut rng, "fd-town-01", 40);
    a.sync().await.unwrap();
    let cfg = SyncConfig {
        pull_page: 10,
        ..Default::default()
    };
    let positions = |d: &Device| d.with(|s| s.sync_positions()).unwrap();
    let sent_positions = |index: usize| {
        wire::decode_request(&w.proxy.recorded(index).body)
            .unwrap()
            .pull
            .unwrap()
            .positions
    };

    // The very first pull's answer is lost: the device stays where it was (nowhere).
    w.proxy.set_script(|s| {
        if s.index == 0 {
            Action::DropResponse
        } else {
            Action::Pass
        }
    });
    assert!(b.sync_with(&cfg).await.unwrap_err().is_retryable());
    assert!(
        positions(&b).is_empty(),
        "(d) no position after a lost first page"
    );
    assert!(b.record_ids().is_empty());

    // Pages 1 and 2 arrive, page 3's answer is lost.
    w.proxy.set_script(|s| {
        if s.index == 3 {
            Action::DropResponse
        } else {
            Action::Pass
        }
    });
    assert!(b.sync_with(&cfg).await.unwrap_err().is_retryable());
    assert_eq!(b.record_ids().len(), 20, "(d) two pages stored");
    let stored = positions(&b);
    assert!(!stored.is_empty());
    assert_eq!(
        stored,
        sent_positions(3),
        "(d) the positions did not move past the lost page"
    );
    let (r, failures) = sync_until_ok(&b, &cfg, "(d) retry").await;
    assert_eq!(failures, 0);
    assert_eq!(
        sent_positions(4),
        sent_positions(3),
        "(d) the retry asks from the same positions"
    );
    assert_eq!(
        (r.pulled_records, r.pulled_changes),
        (20, 20),
        "(d) the retry gets exactly the lost page and the rest"
    );
    assert_same("(d) reader vs writer", &b.snapshot(), &a.snapshot());
    assert_all_synced(&b, "(d)");
    assert_server_matches(&w, &b, "fd-town", "(d)");
    w.assert_healthy("(d)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn e_random_faults_over_several_devices_then_convergence() {
    let w = World::start().await;
    w.add_user("fe.w0", "grid_worker", "fe-town-01");
    w.add_user("fe.w1", "grid_worker", "fe-town-01");
    w.add_user("fe.d", "dispatcher", "fe-town");
    let devs = [
        w.device("fe.w0").await,
        w.device("fe.w1").await,
        w.device("fe.d").await,
    ];
    let mut faults = Rng::new(52);
    let mut pushes = 0;
    w.proxy.set_script(move |s| {
        if s.path != "/v1/sync" {
            return Action::Pass;
        }
        if s.push_records > 0 {
            pushes += 1;
            // Two kills at fixed points, whatever the random draws.
            if pushes == 6 || pushes == 25 {
                return Action::KillServer {
                    after: Duration::from_millis(5 + faults.below(30)),
                };
            }
        }
        match faults.below(100) {
            0..12 => Action::DropRequest,
            12..26 => Action::DropResponse,
            26..38 => Action::Duplicate,
            38..50 => Action::Delay(Duration::from_millis(1 + faults.below(40))),
            _ => Action::Pass,
        }
    });
    let mut rng = Rng::new(53);
    let mut ledger = Ledger::default();
    let cfg = SyncConfig {
        max_push_records: 4,
        pull_page: 8,
        ..Default::default()
    };
    for round in 0..8 {
        for (who, d) in devs.iter().enumerate() {
            for _ in 0..(2 + rng.below(4)) {
                let edit = match rng.below(10) {
                    0 | 1 => Edit::Create,
                    2..=5 => Edit::Text {
                        prepend: rng.below(2) == 0,
                    },
                    6 | 7 => Edit::Scalar {
                        risk: rng.below(2) == 0,
                        value: rng.below(4) as u8,
                    },
                    8 if who == 2 => Edit::Accept,
                    8 if round > 4 => Edit::Delete,
                    _ => Edit::Text { prepend: false },
                };
                let pick = rng.below(1000) as usize;
                ledger
                    .apply(d, who, "fe-town-01", &mut rng, edit, pick)
                    .await;
            }
        }
        let mut order = [0usize, 1, 2];
        order.rotate_left(rng.below(3) as usize);
        if rng.below(2) == 0 {
            order.swap(0, 1);
        }
        for c in order {
            sync_until_ok(&devs[c], &cfg, &format!("(e) round {round}")).await;
        }
    }
    let log = w.proxy.log();
    for kind in [
        "DropRequest",
        "DropResponse",
        "Duplicate",
        "Delay",
        "KillServer",
    ] {
        assert!(
            log.iter()
                .any(|e| format!("{:?}", e.action).starts_with(kind)),
            "(e) the schedule never did {kind}"
        );
    }
    w.proxy.set_script(|_| Action::Pass);
    for _ in 0..2 {
        for d in &devs {
            sync_until_ok(d, &cfg, "(e) final").await;
        }
    }
    let on_server = w.dump_grid("fe-town");
    for d in &devs {
        assert_same(
            &format!("(e) {} vs server", d.user),
            &d.snapshot(),
            &on_server,
        );
        assert_all_synced(d, "(e)");
    }
    ledger.check("(e)", &on_server);
    assert!(ledger.words.len() > 20 && ledger.created.len() > 5);
    w.assert_healthy("(e)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_an_edit_saved_while_its_push_is_in_flight_is_not_marked_synced() {
    let w = World::start().await;
    w.add_user("ff.w", "grid_worker", "ff-town-01");
    w.add_user("ff.d", "dispatcher", "ff-town");
    let a = w.device("ff.w").await;
    let b = w.device("ff.d").await;
    let mut rng = Rng::new(61);
    let mut ledger = Ledger::default();
    ledger.created.extend(create(&a, &mut rng, "ff-town-01", 3));
    sync_until_ok(&a, &SyncConfig::default(), "(f) create").await;
    sync_until_ok(&b, &SyncConfig::default(), "(f) pull").await;
    // The dispatcher edits too, so the response to the in-flight push carries a pull of the
    // same record.
    ledger
        .apply(
            &b,
            1,
            "ff-town-01",
            &mut rng,
            Edit::Text { prepend: true },
            0,
        )
        .await;
    sync_until_ok(&b, &SyncConfig::default(), "(f) dispatcher").await;
    ledger
        .apply(
            &a,
            0,
            "ff-town-01",
            &mut rng,
            Edit::Text { prepend: false },
            0,
        )
        .await;
    let seen = w.proxy.requests();
    w.proxy.set_script(move |s| {
        if s.index == seen {
            Action::Delay(Duration::from_millis(300))
        } else {
            Action::Pass
        }
    });
    // While the push waits in the proxy, the user saves another edit of the same record.
    let edit_in_flight = async {
        while w.proxy.requests() == seen {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        ledger
            .apply(
                &a,
                0,
                "ff-town-01",
                &mut rng,
                Edit::Text { prepend: true },
                0,
            )
            .await;
    };
    let (r, ()) = tokio::join!(a.sync(), edit_in_flight);
    let r = r.unwrap();
    assert_eq!(r.accepted, 1);
    assert_eq!(
        a.with(|s| s.counts()).unwrap().pending,
        1,
        "(f) the edit saved during the push is still pending"
    );
    let (r, _) = sync_until_ok(&a, &SyncConfig::default(), "(f) again").await;
    assert_eq!(r.pushed, 1, "(f) the in-flight edit goes up next");
    sync_until_ok(&b, &SyncConfig::default(), "(f) final").await;
    let on_server = w.dump_grid("ff-town");
    for d in [&a, &b] {
        assert_all_synced(d, "(f)");
        assert_same(
            &format!("(f) {} vs server", d.user),
            &d.snapshot(),
            &on_server,
        );
    }
    ledger.check("(f)", &on_server);
    w.assert_healthy("(f)").await;
}

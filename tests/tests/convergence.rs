//! Convergence of concurrent offline work through a real server, as a property.
//!
//! Proves: whatever the interleaving of offline saves and syncs of 3-5 devices (2-4 grid workers
//! of one grid and the township's dispatcher) — creates, concurrent edits of the same scalar,
//! concurrent additions to the same free text, soft deletes (a dispute's only by whom the workflow
//! lets delete it), a dispatcher's `accept` of a dispute (a workflow event appended to the document
//! the device holds and pushed as it is taken, with that device's work on the record:
//! `gridmate_system_tests::workflow`), records
//! edited by devices that got them by pulling — once everyone has synced twice (in a random order),
//! every device and the server hold identical documents (same heads, same JSON), nothing is pending
//! or rejected, and no save is lost: every created record exists and nothing else does, every
//! word any device added to a text is in the final text, every concurrently written scalar ends
//! as one of the written values, deletes and status moves hold. Every case starts with the
//! creator of a dispute and the dispatcher editing it concurrently (same scalar, same text, plus
//! the status move); a separate test checks that case's Automerge conflict is kept (`get_all`).
//!
//! One server for the property; each case has its own township, grid and users, so cases never
//! see each other's records. Fixed seeds throughout: a failure reproduces.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};

use automerge::ReadDoc;
use gridmate_domain::fixtures::Rng;
use gridmate_domain::record::RecordBody;
use gridmate_system_tests::{Device, Edit, Ledger, Server, assert_same, draft};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const SEED: [u8; 32] = *b"gridmate-convergence-property-01";

#[derive(Debug, Clone)]
enum Op {
    /// Device `c` saves `edit` offline on its `pick`-th record.
    Edit { c: usize, edit: Edit, pick: usize },
    /// Device `c` syncs.
    Sync { c: usize },
}

#[derive(Debug, Clone)]
struct Case {
    workers: usize,
    ops: Vec<Op>,
    /// The two final rounds: every device syncs once per round, in this order.
    finals: [Vec<usize>; 2],
    seed: u64,
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => Just(Edit::Create),
        6 => any::<bool>().prop_map(|prepend| Edit::Text { prepend }),
        4 => (any::<bool>(), 0u8..4).prop_map(|(risk, value)| Edit::Scalar { risk, value }),
        1 => Just(Edit::Delete),
        2 => Just(Edit::Accept),
    ]
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (2usize..=4).prop_flat_map(|workers| {
        let n = workers + 1; // the last device is the dispatcher
        let op = prop_oneof![
            6 => (0..n, edit_strategy(), any::<usize>())
                .prop_map(|(c, edit, pick)| Op::Edit { c, edit, pick }),
            2 => (0..n).prop_map(|c| Op::Sync { c }),
        ];
        let order = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
        (
            prop::collection::vec(op, 20..45),
            order.clone(),
            order,
            any::<u64>(),
        )
            .prop_map(move |(ops, a, b, seed)| Case {
                workers,
                ops,
                finals: [a, b],
                seed,
            })
    })
}

/// A dispute draft (the fixture picks kinds at random).
fn dispute_draft(rng: &mut Rng, grid: &str) -> gridmate_domain::input::RecordDraft {
    loop {
        let d = draft(rng, grid);
        if matches!(d.body, RecordBody::Dispute(_)) {
            return d;
        }
    }
}

async fn sync_ok(d: &Device, what: &str) {
    let r = d
        .sync()
        .await
        .unwrap_or_else(|e| panic!("{what}: sync of {} failed: {e}", d.user));
    assert!(
        r.rejected.is_empty(),
        "{what}: {} had rejections: {:?}",
        d.user,
        r.rejected
    );
}

/// Users and signed-in devices for case `n`: `workers` grid workers of grid `cvN-town-01` and the
/// dispatcher of township `cvN-town` (last).
async fn devices(server: &Server, n: usize, workers: usize) -> (String, String, Vec<Device>) {
    let town = format!("cv{n}-town");
    let grid = format!("{town}-01");
    let mut out = Vec::new();
    for i in 0..workers {
        let user = format!("cv{n}.w{i}");
        server.add_user(&user, "grid_worker", &grid, None);
        out.push(Device::login(&server.url, &user).await.unwrap());
    }
    let user = format!("cv{n}.d");
    server.add_user(&user, "dispatcher", &town, None);
    out.push(Device::login(&server.url, &user).await.unwrap());
    (town, grid, out)
}

/// The creator of a dispute and the dispatcher, both offline, edit it: the same scalar with
/// different values, the same text at both ends; and the dispatcher accepts it (the accept goes up
/// as it is taken, with the dispatcher's edits before it). Returns the id.
async fn creator_and_dispatcher(
    ledger: &mut Ledger,
    rng: &mut Rng,
    grid: &str,
    creator: &Device,
    dispatcher: (usize, &Device),
) -> String {
    let id = creator
        .with(|s| s.create(dispute_draft(rng, grid)))
        .unwrap()
        .meta
        .id;
    ledger.created.insert(id.to_string());
    sync_ok(creator, "prelude").await;
    sync_ok(dispatcher.1, "prelude").await;
    let pick = |d: &Device| d.record_ids().iter().position(|r| *r == id).unwrap();
    let (p, q) = (pick(creator), pick(dispatcher.1));
    let (w, dev) = dispatcher;
    for (who, d, edit, pick) in [
        (
            0,
            creator,
            Edit::Scalar {
                risk: true,
                value: 2,
            },
            p,
        ),
        (0, creator, Edit::Text { prepend: false }, p),
        (
            w,
            dev,
            Edit::Scalar {
                risk: true,
                value: 3,
            },
            q,
        ),
        (w, dev, Edit::Text { prepend: false }, q),
        (w, dev, Edit::Text { prepend: true }, q),
        (w, dev, Edit::Accept, q),
    ] {
        assert!(ledger.apply(d, who, grid, rng, edit, pick).await.is_some());
    }
    id.to_string()
}

async fn run_case(server: &Server, n: usize, case: Case) {
    let what = format!("case {n}");
    let (town, grid, devs) = devices(server, n, case.workers).await;
    let dispatcher = case.workers;
    let mut rng = Rng::new(case.seed);
    let mut ledger = Ledger::default();
    creator_and_dispatcher(
        &mut ledger,
        &mut rng,
        &grid,
        &devs[0],
        (dispatcher, &devs[dispatcher]),
    )
    .await;
    for op in &case.ops {
        match *op {
            Op::Sync { c } => sync_ok(&devs[c], &what).await,
            Op::Edit { c, edit, pick } => {
                // Only the dispatcher moves a status; a worker's draw becomes a text edit.
                let edit = match edit {
                    Edit::Accept if c != dispatcher => Edit::Text {
                        prepend: pick % 2 == 0,
                    },
                    e => e,
                };
                ledger.apply(&devs[c], c, &grid, &mut rng, edit, pick).await;
            }
        }
    }
    for round in &case.finals {
        for &c in round {
            sync_ok(&devs[c], &what).await;
        }
    }
    let on_server = server.dump_grid(&town);
    for (i, d) in devs.iter().enumerate() {
        assert_same(
            &format!("{what}: device {i} ({}) vs server", d.user),
            &d.snapshot(),
            &on_server,
        );
        let counts = d.with(|s| s.counts()).unwrap();
        assert_eq!(
            (counts.pending, counts.rejected, counts.quarantined),
            (0, 0, 0),
            "{what}: device {i} after the final syncs"
        );
    }
    ledger.check(&what, &on_server);
    assert!(ledger.saves >= 7, "{what}: the prelude alone saves 7 times");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_offline_work_converges_without_losing_a_save() {
    let server = Server::start();
    let handle = tokio::runtime::Handle::current();
    let next = AtomicUsize::new(0);
    // More cases for a soak run: GRIDMATE_CONVERGENCE_CASES=100 (the default keeps the suite fast).
    let cases = std::env::var("GRIDMATE_CONVERGENCE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let config = Config {
        cases,
        max_shrink_iters: 16,
        failure_persistence: None,
        rng_algorithm: RngAlgorithm::ChaCha,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &SEED));
    let result = tokio::task::block_in_place(|| {
        runner.run(&case_strategy(), |case| {
            let n = next.fetch_add(1, Ordering::SeqCst);
            handle.block_on(run_case(&server, n, case));
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        gridmate_system_tests::proxy::healthy(&server.url).await,
        "server healthy"
    );
}

/// The creator and the dispatcher set the same scalar concurrently: both values survive as an
/// Automerge conflict (`get_all`) on every copy, one of them wins everywhere, and both sides' text
/// edits and the status move are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creator_and_dispatcher_conflict_is_kept_everywhere() {
    let server = Server::start();
    let (town, grid, devs) = devices(&server, 1000, 1).await;
    let mut rng = Rng::new(42);
    let mut ledger = Ledger::default();
    let id = creator_and_dispatcher(&mut ledger, &mut rng, &grid, &devs[0], (1, &devs[1])).await;
    for d in [&devs[0], &devs[1], &devs[0]] {
        sync_ok(d, "conflict").await;
    }
    let on_server = server.dump_grid(&town);
    for d in &devs {
        assert_same(&d.user, &d.snapshot(), &on_server);
        let rid = id.parse().unwrap();
        let doc = automerge::AutoCommit::load(&d.with(|s| s.export_doc(rid)).unwrap()).unwrap();
        let mut values: Vec<String> = doc
            .get_all(automerge::ROOT, "risk_level")
            .unwrap()
            .into_iter()
            .map(|(v, _)| v.into_string().unwrap())
            .collect();
        values.sort();
        assert_eq!(values, ["critical", "high"], "{}: the conflict", d.user);
    }
    ledger.check("conflict", &on_server);
    let risk = on_server[&id].1["risk_level"].as_str().unwrap();
    assert!(["critical", "high"].contains(&risk));
    assert_eq!(on_server[&id].1["status"], "accepted");
}

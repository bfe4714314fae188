//! Data written before the dispute workflow keeps working: the server database and two device
//! stores written by the build before it (`tests/fixtures/legacy-v1/`, status as a plain field,
//! moved by edits) are opened by today's server and client. Every dispute shows the status it had;
//! a record the old server refused stays refused; the loop continues from where each dispute stood
//! (a legacy `assigned` dispute is reassigned, a legacy `resolved` one followed up and evaluated);
//! and a fresh device pulls everything with the same statuses.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gridmate_core::Store;
use gridmate_core::sync::{SignIn, SyncConfig, client_for, sign_in, sync_once};
use gridmate_domain::record::RecordBody;
use gridmate_domain::workflow::{ActionRequest, EventDetails};
use gridmate_domain::*;
use gridmate_system_tests::{Device, PASSWORD, Server, bin};

/// id -> status on the old server (tests/fixtures/legacy-v1/README.md).
const ON_SERVER: [(&str, DisputeStatus); 7] = [
    (
        "01a23d1f-6814-75ae-b475-43df33eb6ead",
        DisputeStatus::Reported,
    ),
    (
        "01a23d1f-683e-713e-9868-0548fe9f3040",
        DisputeStatus::Accepted,
    ),
    (
        "01a23d1f-6870-75d4-bc68-921e5a9e543e",
        DisputeStatus::Reported,
    ),
    (
        "01a23d1f-68aa-7167-b25a-f20c5761279e",
        DisputeStatus::Reported,
    ),
    (
        "01a23d1f-68d1-7254-9887-59186e6a4186",
        DisputeStatus::Returned,
    ),
    (
        "01a23d1f-9052-7616-b75b-6ca70e97ca11",
        DisputeStatus::Assigned,
    ),
    (
        "01a23d1f-9089-75c3-a9d1-e66cf22766cb",
        DisputeStatus::Resolved,
    ),
];
const ASSIGNED: &str = "01a23d1f-9052-7616-b75b-6ca70e97ca11";
const RESOLVED: &str = "01a23d1f-9089-75c3-a9d1-e66cf22766cb";
/// Moves the old server refused; the dispatcher's device holds them locally.
const REFUSED_ON_DEVICE: [(&str, DisputeStatus); 2] = [
    (
        "01a23d1f-6870-75d4-bc68-921e5a9e543e",
        DisputeStatus::Assigned,
    ),
    (
        "01a23d1f-68aa-7167-b25a-f20c5761279e",
        DisputeStatus::Resolved,
    ),
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/legacy-v1")
        .join(name)
}

fn id(s: &str) -> RecordId {
    s.parse().unwrap()
}

fn status(s: &Store, rid: &str) -> DisputeStatus {
    match s.get(id(rid)).unwrap().body {
        RecordBody::Dispute(d) => d.status,
        _ => panic!("not a dispute"),
    }
}

/// A legacy store, copied into `dir`, opened by today's code and signed in to `url` again.
async fn legacy_device(dir: &Path, user: &str, url: &str) -> Arc<Mutex<Store>> {
    let path = Store::account_path(dir, user);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(fixture(&format!("{user}.db")), &path).unwrap();
    let store = Arc::new(Mutex::new(Store::open(&path, user).unwrap()));
    let req = SignIn {
        server: url,
        user,
        password: PASSWORD,
        allow_insecure: false,
        device_name: "legacy device",
        ca_cert: None,
    };
    sign_in(&store, &req).await.unwrap();
    store
}

async fn sync(store: &Arc<Mutex<Store>>) -> gridmate_core::sync::SyncReport {
    let client = client_for(store).await.unwrap();
    sync_once(store, &client, &SyncConfig::default(), &|_| {})
        .await
        .unwrap()
}

fn act(store: &Arc<Mutex<Store>>, rid: &str, action: WorkflowAction, details: EventDetails) {
    let req = ActionRequest { action, details };
    store
        .lock()
        .unwrap()
        .act(id(rid), req)
        .unwrap_or_else(|e| panic!("{action} on legacy {rid}: {e:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_build_before_the_workflow_leaves_data_that_keeps_working() {
    let data = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("server.db"), data.path().join("server.db")).unwrap();
    let server = Server(gridmate_test_harness::Server::start(
        &bin("gridmate-server"),
        data.path(),
    ));
    for user in ["wang.wei", "diao.du"] {
        server.admin(
            &["user", "set-password", user, "--password-stdin"],
            Some(PASSWORD),
        );
    }
    server.add_user(
        "li.lvshi",
        "legal_volunteer",
        "jingkou-xiangshan",
        Some("lawyer"),
    );
    let url = server.url.clone();

    // Today's server serves the old records with the statuses they had.
    let fresh = Device::login(&url, "wang.wei").await.unwrap();
    fresh.sync().await.unwrap();
    for (rid, want) in ON_SERVER {
        assert_eq!(
            fresh.with(|s| status(s, rid)),
            want,
            "{rid} on a fresh device"
        );
    }

    // The old devices' stores open; what they showed, they show.
    let dirs = tempfile::tempdir().unwrap();
    let worker = legacy_device(dirs.path(), "wang.wei", &url).await;
    let centre = legacy_device(dirs.path(), "diao.du", &url).await;
    for (rid, want) in ON_SERVER {
        assert_eq!(
            status(&worker.lock().unwrap(), rid),
            want,
            "{rid} on the worker's old store"
        );
    }
    for (rid, local) in REFUSED_ON_DEVICE {
        let s = centre.lock().unwrap();
        assert_eq!(
            status(&s, rid),
            local,
            "{rid}: the refused local move is still shown"
        );
        assert_eq!(
            s.sync_state(id(rid)).unwrap(),
            gridmate_core::store::SyncState::Rejected,
            "{rid} stays refused"
        );
    }
    let report = sync(&centre).await;
    assert!(
        report.rejected.is_empty() && report.pushed == 0,
        "{report:?}"
    );
    for (rid, _) in REFUSED_ON_DEVICE {
        assert_eq!(
            centre.lock().unwrap().sync_state(id(rid)).unwrap(),
            gridmate_core::store::SyncState::Rejected,
            "{rid}: the old refusal stands after today's sync"
        );
    }
    sync(&worker).await;

    // The loop goes on from where each dispute stood.
    let assign = EventDetails {
        assignee_user: Some("li.lvshi".into()),
        ..Default::default()
    };
    act(&centre, ASSIGNED, WorkflowAction::Assign, assign);
    sync(&centre).await;
    sync(&worker).await;
    act(
        &worker,
        RESOLVED,
        WorkflowAction::FollowUp,
        EventDetails {
            note: Some("回访：物业费已缴清".into()),
            ..Default::default()
        },
    );
    act(
        &worker,
        RESOLVED,
        WorkflowAction::Evaluate,
        EventDetails {
            satisfaction: Some(Satisfaction::BasicallySatisfied),
            ..Default::default()
        },
    );
    let report = sync(&worker).await;
    assert!(report.rejected.is_empty(), "{report:?}");
    sync(&centre).await;
    let s = centre.lock().unwrap();
    assert_eq!(status(&s, RESOLVED), DisputeStatus::Evaluated);
    assert_eq!(status(&s, ASSIGNED), DisputeStatus::Assigned);
    let dumped = server.dump();
    let rec: Record = serde_json::from_value(dumped[RESOLVED].1.clone()).unwrap();
    assert_eq!(rec.status(), Some(DisputeStatus::Evaluated));
    let json = &dumped[RESOLVED].1;
    assert_eq!(
        json["initial_status"], "resolved",
        "where the old record started is kept"
    );
}

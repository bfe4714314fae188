//! The app's background sync driver against a real server: a save triggers a sync (debounced); with
//! the server down the status turns `offline` and the record stays pending; when the server is back
//! the driver's next backoff probe pushes it without anyone asking. Waits are for states, with
//! generous deadlines, never assertions about how long something took.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use gridmate_core::sync::{LoopTimings, SyncConfig, SyncStatus, spawn_sync_loop};
use gridmate_domain::fixtures::Rng;
use gridmate_system_tests::{Device, Server, draft};
use tokio::sync::watch;

async fn wait_for(
    rx: &mut watch::Receiver<SyncStatus>,
    what: &str,
    pred: impl Fn(&SyncStatus) -> bool,
) -> SyncStatus {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = rx.borrow_and_update().clone();
        if pred(&now) {
            return now;
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            _ => panic!("never reached: {what}; last status {now:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_sync_by_themselves_and_resume_when_the_server_returns() {
    let mut server = Server::start();
    server.add_user("wang.wei", "grid_worker", "jingkou-zhengdonglu-03", None);
    let device = Device::login(&server.url, "wang.wei").await.unwrap();
    let timings = LoopTimings {
        debounce: Duration::from_millis(50),
        periodic: Duration::from_secs(30),
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(800),
    };
    let handle = spawn_sync_loop(device.store.clone(), SyncConfig::default(), timings);
    let mut rx = handle.status.clone();
    wait_for(&mut rx, "up to date at start", |s| {
        matches!(s, SyncStatus::UpToDate { .. })
    })
    .await;

    let mut rng = Rng::new(3);
    device.with(|s| s.create(draft(&mut rng, "jingkou-zhengdonglu-03")).unwrap());
    handle.saved();
    wait_for(&mut rx, "the save synced", |_| {
        device.with(|s| s.counts().unwrap().pending) == 0
    })
    .await;
    assert_eq!(server.dump().len(), 1);

    // Signal lost: the server is gone. A save stays pending and the status says offline.
    let port = server.port();
    server.kill9();
    device.with(|s| s.create(draft(&mut rng, "jingkou-zhengdonglu-03")).unwrap());
    handle.saved();
    let offline = wait_for(&mut rx, "offline", |s| {
        matches!(s, SyncStatus::Offline { .. })
    })
    .await;
    assert!(
        matches!(
            offline,
            SyncStatus::Offline {
                pending: 1,
                last_success_ms: Some(_)
            }
        ),
        "{offline:?}"
    );

    // Signal back: nobody calls sync; the driver's next probe finds the server.
    server.spawn(Some(port));
    wait_for(&mut rx, "up to date again", |s| {
        matches!(s, SyncStatus::UpToDate { .. })
    })
    .await;
    assert_eq!(device.with(|s| s.counts().unwrap().pending), 0);
    assert_eq!(server.dump().len(), 2);
}

//! The simplest whole-system check: two devices and a real server agree after syncing.
#![allow(clippy::unwrap_used)]

use gridmate_domain::fixtures::Rng;
use gridmate_system_tests::{Device, Server, assert_same, draft};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_converge_through_a_real_server() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", "jingkou-zhengdonglu-03", None);
    server.add_user("zhao.min", "dispatcher", "jingkou-zhengdonglu", None);
    let a = Device::login(&server.url, "wang.wei").await.unwrap();
    let b = Device::login(&server.url, "zhao.min").await.unwrap();
    let mut rng = Rng::new(1);
    a.with(|s| {
        s.create_batch(
            (0..20)
                .map(|_| draft(&mut rng, "jingkou-zhengdonglu-03"))
                .collect(),
        )
        .unwrap()
    });
    let r = a.sync().await.unwrap();
    assert_eq!((r.pushed, r.accepted, r.exchanges), (20, 20, 1));
    let r = b.sync().await.unwrap();
    assert_eq!(r.pulled_records, 20);
    assert_same("device a vs device b", &a.snapshot(), &b.snapshot());
    assert_same("device a vs server", &a.snapshot(), &server.dump());
}

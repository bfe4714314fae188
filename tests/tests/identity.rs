//! Identity and sessions against a real `gridmate-server` process.
//!
//! `a_device_stays_with_its_first_user`: signing in as another user with a device id already
//! registered to someone is refused (409 `device_bound_to_other_user`), and the first user stays
//! signed in and keeps syncing.
//!
//! `failed_logins_elsewhere_cannot_lock_out_a_registered_device`: a third party failing logins for
//! a user, from another address or from the user's own, cannot stop the user's registered device
//! from signing in with the right password; an unknown device at a slowed-down address is still
//! refused (`too_many_attempts`) even with the right password, and a registered device's wrong
//! password is answered the same way. Addresses are real: the attacker's client binds 127.0.0.2.
//!
//! `logout_kills_the_token_at_the_server`: after sign-out the old token answers 401.
//!
//! `rotation_survives_a_lost_answer`: the new token works, the old one keeps working until the new
//! one is first used and answers 401 after; a rotation whose answer was lost locks nothing out.
//!
//! `history_names_the_authenticated_pusher`: a change whose message claims another user is shown,
//! on another device's history, as written by the user who pushed it.
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;

use automerge::ActorId;
use automerge::transaction::CommitOptions;
use gridmate_core::sync::{SignIn, SyncError, TransportError, client_for, rotate_token, sign_in};
use gridmate_domain::Timestamp;
use gridmate_domain::document::{read_record, write_changes};
use gridmate_domain::fixtures::Rng;
use gridmate_domain::wire;
use gridmate_system_tests::workflow::{doc_on, push_changes};
use gridmate_system_tests::{Device, PASSWORD, Server, draft, http};

const Z03: &str = "jingkou-zhengdonglu-03";

fn server_code(e: &SyncError) -> (u16, String) {
    match e {
        SyncError::Transport(TransportError::Server { status, code, .. }) => {
            (*status, code.clone())
        }
        other => panic!("expected a server answer, got {other:?}"),
    }
}

/// A raw `POST /v1/login` from `from` (a loopback address); the status and error code.
async fn login_from(
    url: &str,
    from: &str,
    user: &str,
    password: &str,
    device_id: &str,
) -> (u16, String) {
    let client = http()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap();
    let resp = client
        .post(format!("{url}/v1/login"))
        .json(&serde_json::json!({
            "user": user, "password": password, "device_id": device_id, "device_name": "x"
        }))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    (status, body["code"].as_str().unwrap_or("").to_owned())
}

fn new_device_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `GET /v1/me` with `token`: the status.
async fn me(url: &str, token: &str) -> u16 {
    http()
        .build()
        .unwrap()
        .get(format!("{url}/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn token_of(dev: &Device) -> String {
    dev.with(|s| s.server_binding()).unwrap().unwrap().token
}

/// Signs `dev`'s store in again as `user` with `password`.
async fn sign_in_again(
    url: &str,
    dev: &Device,
    user: &str,
    password: &str,
) -> Result<(), SyncError> {
    let req = SignIn {
        server: url,
        user,
        password,
        allow_insecure: false,
        ca_cert: None,
        device_name: "test device",
    };
    sign_in(&dev.store, &req).await.map(drop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_stays_with_its_first_user() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("li.na", "grid_worker", Z03, None);
    let wang = Device::login(&server.url, "wang.wei").await.unwrap();
    let token = token_of(&wang);

    let refused = sign_in_again(&server.url, &wang, "li.na", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(
        server_code(&refused),
        (409, "device_bound_to_other_user".to_owned())
    );
    // A wrong password learns nothing about the device.
    let wrong = sign_in_again(&server.url, &wang, "li.na", "not-the-password")
        .await
        .unwrap_err();
    assert_eq!(server_code(&wrong), (401, "invalid_credentials".to_owned()));

    // The first user is still signed in, with the same token, and syncs.
    let binding = wang.with(|s| s.server_binding()).unwrap().unwrap();
    assert_eq!(
        (binding.user.as_str(), binding.token.as_str()),
        ("wang.wei", token.as_str())
    );
    assert_eq!(me(&server.url, &token).await, 200);
    let mut rng = Rng::new(12);
    wang.with(|s| s.create(draft(&mut rng, Z03))).unwrap();
    assert_eq!(wang.sync().await.unwrap().accepted, 1);
    // li.na signs in on a device of her own.
    Device::login(&server.url, "li.na").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_elsewhere_cannot_lock_out_a_registered_device() {
    // A long first window, so that the slow-down cannot run out while the test runs.
    let server = Server(
        gridmate_test_harness::Server::try_start(
            &gridmate_system_tests::bin("gridmate-server"),
            None,
            &["--login-block-secs", "600"],
        )
        .unwrap(),
    );
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let url = server.url.clone();
    let wang = Device::login(&url, "wang.wei").await.unwrap();

    // From another address: five wrong passwords for wang.wei, then that address is slowed down
    // for him, even with the right password from a device it never registered.
    for _ in 0..5 {
        let got = login_from(&url, "127.0.0.2", "wang.wei", "guess", &new_device_id()).await;
        assert_eq!(got, (401, "invalid_credentials".to_owned()));
    }
    let blocked = login_from(&url, "127.0.0.2", "wang.wei", PASSWORD, &new_device_id()).await;
    assert_eq!(blocked, (429, "too_many_attempts".to_owned()));
    // wang.wei, at his own address, is not affected: his device, and a new one.
    sign_in_again(&url, &wang, "wang.wei", PASSWORD)
        .await
        .unwrap();
    Device::login(&url, "wang.wei").await.unwrap();

    // From his own address (a shared NAT): his (user, address) key is blocked too.
    for _ in 0..5 {
        let got = login_from(&url, "127.0.0.1", "wang.wei", "guess", &new_device_id()).await;
        assert_eq!(got, (401, "invalid_credentials".to_owned()));
    }
    let unknown = login_from(&url, "127.0.0.1", "wang.wei", PASSWORD, &new_device_id()).await;
    assert_eq!(
        unknown,
        (429, "too_many_attempts".to_owned()),
        "an unknown device waits"
    );
    // His registered device still gets in with the right password...
    sign_in_again(&url, &wang, "wang.wei", PASSWORD)
        .await
        .unwrap();
    assert_eq!(me(&url, &token_of(&wang)).await, 200);
    assert!(wang.sync().await.is_ok());
    // ...without lifting the block for anyone else...
    let after = login_from(&url, "127.0.0.1", "wang.wei", PASSWORD, &new_device_id()).await;
    assert_eq!(after, (429, "too_many_attempts".to_owned()));
    // ...and a wrong one from it is answered like any blocked attempt.
    let wrong = sign_in_again(&url, &wang, "wang.wei", "guess")
        .await
        .unwrap_err();
    assert_eq!(server_code(&wrong), (429, "too_many_attempts".to_owned()));
    // The right password did not clear the attacker's address.
    let still = login_from(&url, "127.0.0.2", "wang.wei", PASSWORD, &new_device_id()).await;
    assert_eq!(still, (429, "too_many_attempts".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_kills_the_token_at_the_server() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let wang = Device::login(&server.url, "wang.wei").await.unwrap();
    let token = token_of(&wang);
    assert_eq!(me(&server.url, &token).await, 200);
    let confirmed = gridmate_core::sync::sign_out(&wang.store, false)
        .await
        .unwrap();
    assert!(confirmed, "the server was reachable");
    assert!(wang.with(|s| s.server_binding()).unwrap().is_none());
    assert_eq!(me(&server.url, &token).await, 401);
    // The device is still his: he signs in on it again.
    sign_in_again(&server.url, &wang, "wang.wei", PASSWORD)
        .await
        .unwrap();
    assert!(wang.sync().await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_offline_still_signs_out_on_the_device() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let wang = Device::login(&server.url, "wang.wei").await.unwrap();
    wang.set_server_url("http://127.0.0.1:9"); // nothing listens there
    let confirmed = gridmate_core::sync::sign_out(&wang.store, false)
        .await
        .unwrap();
    assert!(!confirmed);
    assert!(wang.with(|s| s.server_binding()).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_survives_a_lost_answer() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    let url = server.url.clone();
    let wang = Device::login(&url, "wang.wei").await.unwrap();
    let first = token_of(&wang);

    // A rotation whose answer is lost: the server made a token nobody received.
    let lost = http()
        .build()
        .unwrap()
        .post(format!("{url}/v1/token"))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(lost.status().as_u16(), 200);
    let lost: serde_json::Value = lost.json().await.unwrap();
    let lost = lost["token"].as_str().unwrap().to_owned();
    // The device, which never saw it, keeps working with its token, and rotates again.
    assert!(wang.sync().await.is_ok());
    let client = client_for(&wang.store).await.unwrap();
    rotate_token(&wang.store, &client).await.unwrap();
    let second = token_of(&wang);
    assert_ne!(second, first);
    assert_eq!(
        me(&url, &lost).await,
        401,
        "the unreceived token was dropped"
    );
    // The old token works until the new one is first used...
    assert_eq!(me(&url, &first).await, 200);
    assert!(wang.sync().await.is_ok());
    // ...and not after.
    assert_eq!(me(&url, &first).await, 401);
    assert_eq!(me(&url, &second).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_names_the_authenticated_pusher() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("li.na", "grid_worker", Z03, None);
    let wang = Device::login(&server.url, "wang.wei").await.unwrap();
    let li = Device::login(&server.url, "li.na").await.unwrap();
    let mut rng = Rng::new(4);
    let id = li.with(|s| s.create(draft(&mut rng, Z03))).unwrap().id();
    li.sync().await.unwrap();

    // li.na's edit, written outside the app with a message claiming wang.wei wrote it.
    let mut doc = doc_on(&li, id);
    let forger = ActorId::random();
    doc.set_actor(forger.clone());
    let before = doc.get_heads();
    let old = read_record(&doc).unwrap();
    let mut new = old.clone();
    new.meta.updated_at = Timestamp::now().max(old.meta.updated_at.plus_millis(1));
    write_changes(&mut doc, Some(&old), &new).unwrap();
    doc.commit_with(CommitOptions::default().with_message("gridmate:edit:wang.wei"));
    let changes: Vec<wire::Change> = doc
        .get_changes(&before)
        .iter()
        .map(|c| wire::Change(c.raw_bytes().to_vec()))
        .collect();
    let outcome = push_changes(&li, id, changes).await;
    assert!(
        matches!(outcome, wire::PushOutcome::Accepted { .. }),
        "{outcome:?}"
    );

    wang.sync().await.unwrap();
    let history = wang.with(|s| s.history(id)).unwrap();
    let forged = history
        .iter()
        .find(|h| h.actor == forger.to_hex_string())
        .expect("the forged change reached wang.wei's device");
    assert_eq!(forged.by.as_deref(), Some("li.na"));
    assert!(
        history.iter().all(|h| h.by.as_deref() == Some("li.na")),
        "{history:?}"
    );
}

//! The client's own safety against a real `gridmate-server` process.
//!
//! `a_redirect_is_refused_at_sign_in_and_at_sync` puts a fake in front of the client: a tiny
//! TCP listener (named as a fake: it is not our server) that answers every request with
//! `302 Location: http://localhost:PORT/...` to a second listener, the redirect target. Sign-in and
//! sync both fail with `redirect_refused` naming the target's host, and the target never receives
//! a connection, so neither the password nor the token reaches it.
//!
//! `a_private_ca_is_trusted_only_when_given_at_sign_in` serves HTTPS with a certificate signed by
//! a CA made in the test: sign-in fails as `tls_untrusted` without it, fails as `invalid_ca_cert`
//! with a broken PEM (changing nothing), succeeds with it (no allow-insecure), and later syncs
//! trust it from the server binding.
//!
//! `data_folders_and_database_files_are_owner_only` checks modes on a fresh and on a pre-existing
//! 0755 folder, for the device's store and for the server's `server.db`, `-wal`, `-shm`.
//!
//! `invisible_direction_characters_are_refused_even_from_a_hostile_device`: the device refuses a
//! record whose address holds U+202E; a device that skips its check and pushes it raw is refused
//! by the server (`invalid_characters` at the field), as is a workflow note with it; the server's
//! admin names and login's device name refuse it too, and nothing is stored.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use automerge::AutoCommit;
use gridmate_core::Store;
use gridmate_core::sync::{SignIn, SyncError, sign_in};
use gridmate_domain::document::write_changes;
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::workflow::EventDetails;
use gridmate_domain::{GridId, RecordBody, Timestamp, WorkflowAction};
use gridmate_system_tests::handmade::{assert_rejected, push_as, push_of};
use gridmate_system_tests::{Device, PASSWORD, Server, bin, workflow};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const GRID: &str = "jingkou-zhengdonglu-03";
const RLO: char = '\u{202E}';

fn code(e: &SyncError) -> String {
    e.code()
}

/// Reads one HTTP request (head and a `Content-Length` body) from `sock`.
async fn read_request(sock: &mut tokio::net::TcpStream) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buf.len() >= end + 4 + len {
            return;
        }
    }
}

/// A fake server: answers every request with a 302 to `location`. Returns its URL.
async fn fake_redirector(location: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let location = location.clone();
            tokio::spawn(async move {
                read_request(&mut sock).await;
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                let _ = sock.write_all(answer.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    url
}

/// The redirect target: counts the connections it receives. Returns its port and the count.
async fn redirect_target() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            read_request(&mut sock).await;
        }
    });
    (port, hits)
}

async fn login_with(
    url: &str,
    user: &str,
    ca_cert: Option<&str>,
    dir: &Path,
) -> Result<Arc<Mutex<Store>>, SyncError> {
    let path = Store::account_path(dir, user);
    let store = Arc::new(Mutex::new(Store::open(&path, user).unwrap()));
    let req = SignIn {
        server: url,
        user,
        password: PASSWORD,
        allow_insecure: false,
        device_name: "test device",
        ca_cert,
    };
    sign_in(&store, &req).await.map(|_| store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_refused_at_sign_in_and_at_sync() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", GRID, None);
    let (port, hits) = redirect_target().await;
    let fake = fake_redirector(format!("http://localhost:{port}/v1/login")).await;

    let dir = tempfile::tempdir().unwrap();
    let err = login_with(&fake, "wang.wei", None, dir.path())
        .await
        .unwrap_err();
    assert_eq!(code(&err), "redirect_refused", "{err}");
    assert!(
        err.message().en.contains("localhost"),
        "{:?}",
        err.message()
    );
    assert!(err.message().zh_cn.contains("localhost"));
    let store = Store::open(&Store::account_path(dir.path(), "wang.wei"), "wang.wei").unwrap();
    assert!(store.server_binding().unwrap().is_none(), "nothing bound");

    // A signed-in device whose server starts redirecting: the sync is refused, no token leaves.
    let dev = Device::login(&server.url, "wang.wei").await.unwrap();
    dev.set_server_url(&fake);
    let err = dev.sync().await.unwrap_err();
    assert_eq!(code(&err), "redirect_refused", "{err}");
    assert!(!err.is_retryable());
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the redirect target was reached"
    );
}

/// A CA made for the test and a server certificate for 127.0.0.1 it signed: (CA PEM, cert PEM,
/// key PEM).
fn private_ca() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "GridMate test government CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    (ca_cert.pem(), leaf.pem(), key.serialize_pem())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_ca_is_trusted_only_when_given_at_sign_in() {
    let (ca_pem, cert_pem, key_pem) = private_ca();
    let files = tempfile::tempdir().unwrap();
    let (cert, key) = (files.path().join("cert.pem"), files.path().join("key.pem"));
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let args = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let server = Server(
        gridmate_test_harness::Server::try_start(&bin("gridmate-server"), None, &args).unwrap(),
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    server.add_user("wang.wei", "grid_worker", GRID, None);

    let dir = tempfile::tempdir().unwrap();
    let err = login_with(&server.url, "wang.wei", None, dir.path())
        .await
        .unwrap_err();
    assert_eq!(code(&err), "tls_untrusted", "{err}");
    let broken = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    let err = login_with(&server.url, "wang.wei", Some(broken), dir.path())
        .await
        .unwrap_err();
    assert_eq!(code(&err), "invalid_ca_cert", "{err}");
    let path = Store::account_path(dir.path(), "wang.wei");
    assert!(
        Store::open(&path, "wang.wei")
            .unwrap()
            .server_binding()
            .unwrap()
            .is_none()
    );

    let store = login_with(&server.url, "wang.wei", Some(&ca_pem), dir.path())
        .await
        .unwrap();
    let binding = store.lock().unwrap().server_binding().unwrap().unwrap();
    assert!(!binding.allow_insecure);
    assert_eq!(binding.ca_cert.as_deref(), Some(ca_pem.trim()));
    // A later sync, from the binding alone, trusts the CA.
    let mut rng = Rng::new(3);
    let d = gridmate_system_tests::draft(&mut rng, GRID);
    store.lock().unwrap().create(d).unwrap();
    let client = gridmate_core::sync::client_for(&store).await.unwrap();
    let report = gridmate_core::sync::sync_once(&store, &client, &Default::default(), &|_| {})
        .await
        .unwrap();
    assert_eq!(report.accepted, 1);
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn assert_owner_only(dir: &Path, files: &[&str]) {
    assert_eq!(mode(dir), 0o700, "{}", dir.display());
    for f in files {
        let p = dir.join(f);
        assert!(p.exists(), "{}", p.display());
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

fn open_folder(p: &Path) {
    std::fs::create_dir_all(p).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_folders_and_database_files_are_owner_only() {
    // The server: a fresh data folder, and one made beforehand with 0755 (and a 0644 database).
    let fresh = Server::start();
    assert_owner_only(
        &fresh.data,
        &["server.db", "server.db-wal", "server.db-shm"],
    );
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("srv");
    open_folder(&data);
    std::fs::write(data.join("server.db"), b"").unwrap();
    std::fs::set_permissions(
        data.join("server.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let server = Server(gridmate_test_harness::Server::start(
        &bin("gridmate-server"),
        &data,
    ));
    assert_owner_only(&data, &["server.db", "server.db-wal", "server.db-shm"]);
    server.add_user("wang.wei", "grid_worker", GRID, None);

    // The device: the folders the app and the CLI prepare, and the store a sign-in opens.
    for pre_existing in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("gridmate-data");
        if pre_existing {
            open_folder(&data.join("accounts/wang.wei"));
        }
        gridmate_core::store::files::private_data_dir(&data).unwrap();
        let store = login_with(&server.url, "wang.wei", None, &data)
            .await
            .unwrap();
        drop(store);
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("accounts")), 0o700);
        let account = data.join("accounts/wang.wei");
        assert_eq!(mode(&account), 0o700);
        for f in ["gridmate.db", "gridmate.db-wal", "gridmate.db-shm"] {
            let p = account.join(f);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{}", p.display());
            }
        }
    }
}

/// A record (of any kind) whose address holds `text`, written as a device writes it.
fn record_with_address(text: &str) -> (gridmate_domain::Record, AutoCommit) {
    let mut rng = Rng::new(7);
    let at = Timestamp::now().plus_millis(-3_600_000);
    let mut rec = fixtures::record(&mut rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
    match &mut rec.body {
        RecordBody::PatrolVisit(v) => v.address = Some(text.to_owned()),
        RecordBody::LegalEducation(e) => e.address = Some(text.to_owned()),
        RecordBody::Dispute(d) => d.address = Some(text.to_owned()),
    }
    let mut doc = AutoCommit::new();
    write_changes(&mut doc, None, &rec).unwrap();
    doc.commit();
    (rec, doc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invisible_direction_characters_are_refused_even_from_a_hostile_device() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", GRID, None);
    server.add_user("diao.du", "dispatcher", "jingkou-zhengdonglu", None);
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let centre = Device::login(&server.url, "diao.du").await.unwrap();
    let address = format!("幸福小区{RLO}号3楼");

    // The device's own check.
    let mut rng = Rng::new(5);
    let mut d = gridmate_system_tests::draft(&mut rng, GRID);
    match &mut d.body {
        RecordBody::PatrolVisit(v) => v.address = Some(address.clone()),
        RecordBody::LegalEducation(e) => e.address = Some(address.clone()),
        RecordBody::Dispute(d) => d.address = Some(address.clone()),
    }
    let refused = worker.with(|s| s.create(d)).unwrap_err();
    assert_eq!(refused.code(), "validation_failed", "{refused}");

    // A hostile device that skips it: the server refuses at the field, stores nothing.
    let (rec, mut doc) = record_with_address(&address);
    let resp = push_as(&worker, vec![push_of(&rec, &mut doc)]).await;
    assert_rejected(&resp.results[0].outcome, "invalid_characters", "address");
    assert!(!server.dump().contains_key(&rec.meta.id.to_string()));

    // A workflow note with an override, pushed raw.
    let mut rng = Rng::new(11);
    let mut d = gridmate_system_tests::draft(&mut rng, GRID);
    while !matches!(d.body, RecordBody::Dispute(_)) {
        d = gridmate_system_tests::draft(&mut rng, GRID);
    }
    let id = worker.with(|s| s.create(d)).unwrap().id();
    worker.sync().await.unwrap();
    centre.sync().await.unwrap();
    let note = EventDetails {
        note: Some(format!("已受理{RLO}待分派")),
        ..Default::default()
    };
    let outcome = workflow::act(&centre, id, WorkflowAction::Accept, note).await;
    match &outcome {
        gridmate_domain::wire::PushOutcome::Rejected { code, field, .. } => {
            assert_eq!(code, "invalid_characters");
            assert!(field.ends_with("details.note"), "{field}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // Server-side names: admin commands and login's device name.
    let bad = format!("正东路{RLO}街道");
    for args in [
        vec!["area", "add", "zd-x", "--name", &bad, "--level", "grid"],
        vec!["unit", "add", "unit-x", "--name", &bad],
        vec!["user", "update", "wang.wei", "--display-name", &bad],
    ] {
        let out = server.try_admin(&args, None);
        assert!(out.is_err(), "{args:?} was accepted");
    }
    let added = server.try_admin(
        &[
            "user",
            "add",
            "bad.name",
            "--role",
            "grid_worker",
            "--scope",
            GRID,
            "--display-name",
            &bad,
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(added.is_err());
    let listing = server.admin(&["area", "list"], None);
    assert!(
        !listing.contains(RLO) && !listing.contains("zd-x"),
        "{listing}"
    );
    assert!(!server.admin(&["user", "list"], None).contains("bad.name"));

    let resp = gridmate_system_tests::http()
        .build()
        .unwrap()
        .post(format!("{}/v1/login", server.url))
        .json(&serde_json::json!({
            "user": "wang.wei", "password": PASSWORD,
            "device_id": uuid::Uuid::now_v7().to_string(), "device_name": format!("phone{RLO}"),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(
        body["message"]["zh-CN"]
            .as_str()
            .unwrap()
            .contains("设备名称")
    );
}

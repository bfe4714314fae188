//! End-to-end tests of the real `gridmate-server` binary: admin CLI + `serve` over a socket,
//! plain HTTP and HTTPS (self-signed certificate made in the test), and SIGTERM shutdown.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_gridmate-server");

/// A running server; killed on drop so a failing test never leaks a process.
struct Server {
    child: Child,
    url: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A reqwest client builder. reqwest is built with rustls but without a crypto provider (ring
/// only: see the root Cargo.toml), so the test process installs ring as its provider first.
fn http() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

fn start(data: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env("GRIDMATE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server {
        child,
        url,
        _stdout: stdout,
    }
}

fn admin(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let out = admin_output(data, args, stdin);
    assert!(
        out.status.success(),
        "gridmate-server {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs an admin command, succeeding or not.
fn admin_output(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .env("GRIDMATE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

async fn login(
    client: &reqwest::Client,
    url: &str,
    user: &str,
    pw: &str,
    device: Uuid,
) -> (u16, Value) {
    let resp = client
        .post(format!("{url}/v1/login"))
        .json(
            &json!({"user": user, "password": pw, "device_id": device, "device_name": "测试手机"}),
        )
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

async fn me(client: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
    let resp = client
        .get(format!("{url}/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn terminate_and_wait(server: &mut Server) -> std::process::ExitStatus {
    let pid = server.child.id().to_string();
    let kill = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "server did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn admin_cli_and_server_work_together() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start(&data, &[]);
    assert!(server.url.starts_with("http://127.0.0.1:"));
    let client = http().build().unwrap();

    let health: Value = client
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");

    // Users can be added while the server runs (same database file, WAL).
    let out = admin(
        &data,
        &[
            "user",
            "add",
            "wang.wei",
            "--role",
            "grid_worker",
            "--scope",
            "jingkou-zhengdonglu-03",
            "--display-name",
            "王伟",
        ],
        Some("s3cret-password\n"),
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user wang.wei"));

    let device = Uuid::now_v7();
    let (status, body) = login(&client, &server.url, "wang.wei", "s3cret-password", device).await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    let (status, body) = me(&client, &server.url, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["name"], "wang.wei");
    assert_eq!(body["user"]["display_name"], "王伟");
    assert_eq!(body["user"]["scope"], json!(["jingkou-zhengdonglu-03"]));

    let out = admin(
        &data,
        &["device", "list", "--user", "wang.wei", "--json"],
        None,
    );
    let devices: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(devices[0]["device_id"], device.to_string());

    admin(&data, &["device", "revoke", &device.to_string()], None);
    let (status, body) = me(&client, &server.url, &token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("device_revoked"))
    );

    let (status, body) = login(
        &client,
        &server.url,
        "wang.wei",
        "s3cret-password",
        Uuid::now_v7(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    admin(&data, &["user", "disable", "wang.wei"], None);
    let (status, body) = me(&client, &server.url, &token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("user_disabled"))
    );

    admin(&data, &["user", "enable", "wang.wei"], None);
    assert_eq!(me(&client, &server.url, &token).await.0, 200);

    // A new password signs the user out everywhere.
    admin(
        &data,
        &["user", "set-password", "wang.wei"],
        Some("another-password\n"),
    );
    let (status, body) = me(&client, &server.url, &token).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    assert_eq!(
        login(
            &client,
            &server.url,
            "wang.wei",
            "another-password",
            Uuid::now_v7()
        )
        .await
        .0,
        200
    );

    let status = terminate_and_wait(&mut server);
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn demo_seed_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = admin(dir.path(), &["demo-seed"], None);
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(text.contains("gridmate-demo"), "{text}");
    assert!(text.contains("wang.wei"));
    let second = admin(dir.path(), &["demo-seed"], None);
    assert!(String::from_utf8_lossy(&second.stdout).contains("already existed"));
    let out = admin(dir.path(), &["user", "list", "--json"], None);
    let users: Value = serde_json::from_slice(&out.stdout).unwrap();
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 4);
    let li = users.iter().find(|u| u["name"] == "li.na").unwrap();
    assert_eq!(li["role"], "legal_volunteer");
    assert_eq!(li["legal_role"], "lawyer");
    assert_eq!(li["unit"], "jingkou-zhengdonglu-sfs");
    let zhao = users.iter().find(|u| u["name"] == "zhao.min").unwrap();
    assert_eq!(zhao["scope"], json!(["jingkou-zhengdonglu"]));
    let chen = users.iter().find(|u| u["name"] == "chen.jing").unwrap();
    assert_eq!(
        chen["scope"],
        json!(["jingkou-jianshelu"]),
        "a lawyer outside the grid"
    );
    assert!(users.iter().all(|u| u["display_name"].is_string()));
    let areas = admin(dir.path(), &["area", "list"], None);
    assert!(String::from_utf8_lossy(&areas.stdout).contains("正东路 03 网格"));
    let units = admin(dir.path(), &["unit", "list"], None);
    let units = String::from_utf8_lossy(&units.stdout).into_owned();
    assert!(
        units.contains("正东路司法所") && units.contains("正东路派出所"),
        "{units}"
    );
}

#[test]
fn a_deadline_file_that_is_not_a_table_stops_serve_before_it_listens() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("deadlines.json");
    std::fs::write(&bad, r#"{"steps": "every day"}"#).unwrap();
    for file in [bad, dir.path().join("missing.json")] {
        let out = admin_output(
            &dir.path().join("data"),
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--deadlines",
                file.to_str().unwrap(),
            ],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("invalid_deadlines"),
            "{err}"
        );
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
    }
}

#[test]
fn areas_units_and_a_users_unit_are_managed_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ok = |args: &[&str]| {
        let out = admin(dir.path(), args, None);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let refused = |args: &[&str], code: &str| {
        let out = admin_output(dir.path(), args, None);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success() && err.contains(code),
            "{args:?}: {err}"
        );
    };
    ok(&[
        "area",
        "add",
        "jingkou-zhengdonglu",
        "--name",
        "正东路街道",
        "--level",
        "township",
    ]);
    ok(&[
        "unit",
        "add",
        "jingkou-zhengdonglu-sfs",
        "--name",
        "正东路司法所",
    ]);
    refused(
        &["area", "add", "Jingkou", "--name", "x", "--level", "county"],
        "invalid_id",
    );
    refused(
        &[
            "area", "add", "jingkou", "--name", "a\u{1}b", "--level", "county",
        ],
        "invalid_name",
    );
    refused(
        &["unit", "add", "jingkou-sfs", "--name", ""],
        "invalid_name",
    );
    refused(&["unit", "add", "sfs-", "--name", "司法所"], "invalid_id");
    let out = admin_output(
        dir.path(),
        &[
            "area",
            "add",
            "jingkou",
            "--name",
            "京口区",
            "--level",
            "town",
        ],
        None,
    );
    assert!(!out.status.success(), "an unknown level");
    let areas: Value = serde_json::from_str(&ok(&["area", "list", "--json"])).unwrap();
    assert_eq!(
        areas.as_array().unwrap().len(),
        1,
        "nothing refused was stored"
    );
    let units: Value = serde_json::from_str(&ok(&["unit", "list", "--json"])).unwrap();
    assert_eq!(
        units,
        json!([{"id": "jingkou-zhengdonglu-sfs", "name": "正东路司法所"}])
    );

    let add = |unit: &str| {
        admin_output(
            dir.path(),
            &[
                "user",
                "add",
                "chen.jing",
                "--role",
                "legal_volunteer",
                "--legal-role",
                "lawyer",
                "--scope",
                "jingkou-jianshelu",
                "--unit",
                unit,
            ],
            Some("a long enough password\n"),
        )
    };
    let out = add("jingkou-zhengdonglu-pcs");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown_unit"));
    assert!(add("jingkou-zhengdonglu-sfs").status.success());
    refused(
        &["user", "update", "chen.jing", "--unit", "nope"],
        "unknown_unit",
    );
    refused(&["user", "update", "nobody", "--no-unit"], "does not exist");
    ok(&[
        "user",
        "update",
        "chen.jing",
        "--no-unit",
        "--display-name",
        "陈静",
    ]);
    let users: Value = serde_json::from_str(&ok(&["user", "list", "--json"])).unwrap();
    assert_eq!(users[0]["unit"], Value::Null);
    assert_eq!(users[0]["display_name"], "陈静");
}

#[tokio::test]
async fn serves_https_with_a_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    admin(&data, &["demo-seed"], None);

    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, ck.cert.pem()).unwrap();
    std::fs::write(&key_path, ck.signing_key.serialize_pem()).unwrap();

    let mut server = start(
        &data,
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );
    let client = http()
        .add_root_certificate(reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap())
        .https_only(true)
        .build()
        .unwrap();
    let (status, body) = login(
        &client,
        &server.url,
        "wang.wei",
        "gridmate-demo",
        Uuid::now_v7(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["role"], "grid_worker");
    let (status, _) = me(&client, &server.url, body["token"].as_str().unwrap()).await;
    assert_eq!(status, 200);

    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = http().build().unwrap();
    assert!(
        plain
            .get(format!(
                "{}/healthz",
                server.url.replacen("https", "http", 1)
            ))
            .send()
            .await
            .is_err()
    );

    assert!(terminate_and_wait(&mut server).success());
}

//! Router tests without a socket (`tower::ServiceExt::oneshot`), against a real SQLite file in a
//! temp dir and a manual clock: every error code of the API, the login slow-down, tokens.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use gridmate_domain::{LegalRole, Timestamp};
use gridmate_server::auth::password;
use gridmate_server::model::{
    Area, DeviceInfo, NewUser, PublicProfile, Role, Session, User, UserAuthRecord, UserId,
};
use gridmate_server::storage::{AccountStore, StorageError, TokenGrant};
use gridmate_server::{AppState, ManualClock, Scope, ServerConfig, SqliteStorage, router};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

const PW: &str = "correct horse";

struct Env {
    app: Router,
    db: Arc<SqliteStorage>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn env_with(config: ServerConfig) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_millis(1_750_000_000_000).unwrap(),
    ));
    let state = AppState::new(db.clone(), config, clock.clone());
    Env {
        app: router(state),
        db,
        clock,
        _dir: dir,
    }
}

fn env() -> Env {
    env_with(ServerConfig::default())
}

fn add_user(db: &SqliteStorage, name: &str) -> PublicProfile {
    let new = NewUser::new(
        name,
        Some("测试"),
        Role::GridWorker,
        None,
        Scope::parse_list("jingkou-zhengdonglu-03").unwrap(),
    )
    .unwrap();
    db.create_user(
        &new,
        &password::hash_password(PW).unwrap(),
        Timestamp::from_millis(1).unwrap(),
    )
    .unwrap()
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, body)
}

fn login_req(user: &str, pw: &str, device: Uuid) -> Request<Body> {
    let body =
        json!({"user": user, "password": pw, "device_id": device, "device_name": "测试手机"});
    Request::post("/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn me_req(token: &str) -> Request<Body> {
    Request::get("/v1/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

async fn login_ok(app: &Router, user: &str, device: Uuid) -> String {
    let (status, _, body) = call(app, login_req(user, PW, device)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn assert_error(status: StatusCode, body: &Value, want_status: u16, code: &str) {
    assert_eq!(status.as_u16(), want_status, "{body}");
    assert_eq!(body["code"], code);
    assert!(
        body["message"]["zh-CN"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        body["message"]["en"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
}

#[tokio::test]
async fn healthz_reports_ok_and_version() {
    let e = env();
    let (status, _, body) = call(
        &e.app,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn login_then_me_returns_the_profile() {
    let e = env();
    let p = add_user(&e.db, "wang.wei");
    let device = Uuid::now_v7();
    // Names are case-insensitive.
    let (status, _, body) = call(&e.app, login_req(" Wang.Wei", PW, device)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("gm1_"));
    assert_eq!(body["device_id"], device.to_string());
    assert_eq!(body["user"]["id"], p.id.0);
    assert_eq!(body["user"]["role"], "grid_worker");
    assert_eq!(body["user"]["legal_role"], Value::Null);
    assert_eq!(body["user"]["scope"], json!(["jingkou-zhengdonglu-03"]));
    assert!(body["user"].get("password_hash").is_none());

    let (status, _, me) = call(&e.app, me_req(token)).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"], body["user"]);
    assert_eq!(me["device_id"], device.to_string());
    let devices = e.db.list_devices(Some("wang.wei")).unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].device_name, "测试手机");
    assert!(devices[0].last_seen_at.is_some());
}

#[tokio::test]
async fn legal_volunteer_profile_has_legal_role() {
    let e = env();
    let new = NewUser::new(
        "li.na",
        None,
        Role::LegalVolunteer,
        Some(LegalRole::Lawyer),
        Scope::parse_list("jingkou").unwrap(),
    )
    .unwrap();
    e.db.create_user(
        &new,
        &password::hash_password(PW).unwrap(),
        Timestamp::from_millis(1).unwrap(),
    )
    .unwrap();
    let token = login_ok(&e.app, "li.na", Uuid::now_v7()).await;
    let (_, _, me) = call(&e.app, me_req(&token)).await;
    assert_eq!(me["user"]["role"], "legal_volunteer");
    assert_eq!(me["user"]["legal_role"], "lawyer");
}

#[tokio::test]
async fn missing_garbage_and_unknown_tokens_are_unauthorized() {
    let e = env();
    let (s, _, b) = call(&e.app, Request::get("/v1/me").body(Body::empty()).unwrap()).await;
    assert_error(s, &b, 401, "unauthorized");
    for token in ["garbage", "gm1_short", &format!("gm1_{}", "A".repeat(43))] {
        let (s, _, b) = call(&e.app, me_req(token)).await;
        assert_error(s, &b, 401, "unauthorized");
    }
    let basic = Request::get("/v1/me")
        .header(header::AUTHORIZATION, "Basic d2FuZzp4")
        .body(Body::empty())
        .unwrap();
    let (s, _, b) = call(&e.app, basic).await;
    assert_error(s, &b, 401, "unauthorized");
}

#[tokio::test]
async fn tokens_expire_after_the_configured_lifetime() {
    let config = ServerConfig {
        token_lifetime: std::time::Duration::from_secs(3600),
        ..ServerConfig::default()
    };
    let e = env_with(config);
    add_user(&e.db, "wang.wei");
    let token = login_ok(&e.app, "wang.wei", Uuid::now_v7()).await;
    e.clock.advance_millis(3_599_999);
    assert_eq!(call(&e.app, me_req(&token)).await.0, StatusCode::OK);
    e.clock.advance_millis(1);
    let (s, _, b) = call(&e.app, me_req(&token)).await;
    assert_error(s, &b, 401, "unauthorized");
}

#[tokio::test]
async fn logging_in_again_from_the_same_device_replaces_its_token() {
    let e = env();
    add_user(&e.db, "wang.wei");
    let device = Uuid::now_v7();
    let old = login_ok(&e.app, "wang.wei", device).await;
    let new = login_ok(&e.app, "wang.wei", device).await;
    assert_ne!(old, new);
    assert_error(
        call(&e.app, me_req(&old)).await.0,
        &call(&e.app, me_req(&old)).await.2,
        401,
        "unauthorized",
    );
    assert_eq!(call(&e.app, me_req(&new)).await.0, StatusCode::OK);
    // A second device has its own token.
    let other = login_ok(&e.app, "wang.wei", Uuid::now_v7()).await;
    assert_eq!(call(&e.app, me_req(&other)).await.0, StatusCode::OK);
    assert_eq!(call(&e.app, me_req(&new)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let e = env();
    add_user(&e.db, "wang.wei");
    let (s1, _, b1) = call(
        &e.app,
        login_req("wang.wei", "wrong password", Uuid::now_v7()),
    )
    .await;
    assert_error(s1, &b1, 401, "invalid_credentials");
    let (s2, _, b2) = call(
        &e.app,
        login_req("nobody", "wrong password", Uuid::now_v7()),
    )
    .await;
    assert_error(s2, &b2, 401, "invalid_credentials");
    assert_eq!(b1, b2);
    let (s3, _, b3) = call(
        &e.app,
        login_req("不是名字", "wrong password", Uuid::now_v7()),
    )
    .await;
    assert_error(s3, &b3, 401, "invalid_credentials");
}

#[tokio::test]
async fn disabled_users_are_refused() {
    let e = env();
    add_user(&e.db, "wang.wei");
    let token = login_ok(&e.app, "wang.wei", Uuid::now_v7()).await;
    e.db.set_user_disabled("wang.wei", true, Timestamp::now())
        .unwrap();
    let (s, _, b) = call(&e.app, me_req(&token)).await;
    assert_error(s, &b, 403, "user_disabled");
    let (s, _, b) = call(&e.app, login_req("wang.wei", PW, Uuid::now_v7())).await;
    assert_error(s, &b, 403, "user_disabled");
    // Without the password, a disabled account is not revealed.
    let (s, _, b) = call(
        &e.app,
        login_req("wang.wei", "wrong password", Uuid::now_v7()),
    )
    .await;
    assert_error(s, &b, 401, "invalid_credentials");
    e.db.set_user_disabled("wang.wei", false, Timestamp::now())
        .unwrap();
    assert_eq!(call(&e.app, me_req(&token)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn revoked_devices_are_refused_even_at_login() {
    let e = env();
    add_user(&e.db, "wang.wei");
    let device = Uuid::now_v7();
    let token = login_ok(&e.app, "wang.wei", device).await;
    e.db.revoke_device(device, Timestamp::now()).unwrap();
    let (s, _, b) = call(&e.app, me_req(&token)).await;
    assert_error(s, &b, 403, "device_revoked");
    let (s, _, b) = call(&e.app, login_req("wang.wei", PW, device)).await;
    assert_error(s, &b, 403, "device_revoked");
    // Another device of the same user still works.
    login_ok(&e.app, "wang.wei", Uuid::now_v7()).await;
}

#[tokio::test]
async fn repeated_failures_slow_down_logins() {
    let e = env();
    add_user(&e.db, "wang.wei");
    for _ in 0..5 {
        let (s, _, b) = call(
            &e.app,
            login_req("wang.wei", "wrong password", Uuid::now_v7()),
        )
        .await;
        assert_error(s, &b, 401, "invalid_credentials");
    }
    // Now even the right password is refused without being checked.
    let (s, h, b) = call(&e.app, login_req("wang.wei", PW, Uuid::now_v7())).await;
    assert_error(s, &b, 429, "too_many_attempts");
    assert_eq!(h[header::RETRY_AFTER], "1");
    // The window doubles after each further failure.
    e.clock.advance_millis(1000);
    let (s, _, _) = call(
        &e.app,
        login_req("wang.wei", "wrong password", Uuid::now_v7()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, h, _) = call(&e.app, login_req("wang.wei", PW, Uuid::now_v7())).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(h[header::RETRY_AFTER], "2");
    // Unknown names are throttled exactly the same way.
    for _ in 0..5 {
        call(
            &e.app,
            login_req("nobody", "wrong password", Uuid::now_v7()),
        )
        .await;
    }
    let (s, _, b) = call(
        &e.app,
        login_req("nobody", "wrong password", Uuid::now_v7()),
    )
    .await;
    assert_error(s, &b, 429, "too_many_attempts");
    // After the window, success resets the count.
    e.clock.advance_millis(2000);
    login_ok(&e.app, "wang.wei", Uuid::now_v7()).await;
    let (s, _, _) = call(
        &e.app,
        login_req("wang.wei", "wrong password", Uuid::now_v7()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    login_ok(&e.app, "wang.wei", Uuid::now_v7()).await;
}

#[tokio::test]
async fn a_registered_device_passes_a_blocked_user_with_the_right_password() {
    let e = env();
    add_user(&e.db, "wang.wei");
    let device = Uuid::now_v7();
    login_ok(&e.app, "wang.wei", device).await;
    for _ in 0..5 {
        let (s, _, b) = call(&e.app, login_req("wang.wei", "wrong", Uuid::now_v7())).await;
        assert_error(s, &b, 401, "invalid_credentials");
    }
    // An unknown device waits, whatever the password; the registered one does not.
    let (s, _, b) = call(&e.app, login_req("wang.wei", PW, Uuid::now_v7())).await;
    assert_error(s, &b, 429, "too_many_attempts");
    let (s, _, b) = call(&e.app, login_req("wang.wei", "wrong", device)).await;
    assert_error(s, &b, 429, "too_many_attempts");
    login_ok(&e.app, "wang.wei", device).await;
    // Getting through did not lift the block for others.
    let (s, _, b) = call(&e.app, login_req("wang.wei", PW, Uuid::now_v7())).await;
    assert_error(s, &b, 429, "too_many_attempts");
    // Its own budget: five wrong passwords, then it waits like everyone.
    for _ in 0..5 {
        let (s, _, b) = call(&e.app, login_req("wang.wei", "wrong", device)).await;
        assert_error(s, &b, 429, "too_many_attempts");
    }
    let (s, _, b) = call(&e.app, login_req("wang.wei", PW, device)).await;
    assert_error(s, &b, 429, "too_many_attempts");
    e.clock.advance_millis(1000);
    login_ok(&e.app, "wang.wei", device).await;
}

#[tokio::test]
async fn failures_from_one_address_are_throttled_across_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_millis(1_750_000_000_000).unwrap(),
    ));
    let state = AppState::new(db.clone(), ServerConfig::default(), clock);
    let peer: SocketAddr = "203.0.113.9:40000".parse().unwrap();
    let app = router(state).layer(MockConnectInfo(peer));
    add_user(&db, "wang.wei");
    for i in 0..20 {
        let (s, _, _) = call(
            &app,
            login_req(&format!("guess{i}"), "wrong password", Uuid::now_v7()),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, b) = call(&app, login_req("wang.wei", PW, Uuid::now_v7())).await;
    assert_error(s, &b, 429, "too_many_attempts");
}

#[tokio::test]
async fn forwarded_for_is_used_only_when_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_millis(1_750_000_000_000).unwrap(),
    ));
    let config = ServerConfig {
        trust_forwarded_for: true,
        ..ServerConfig::default()
    };
    let proxy: SocketAddr = "127.0.0.1:50000".parse().unwrap();
    let app = router(AppState::new(db.clone(), config, clock)).layer(MockConnectInfo(proxy));
    add_user(&db, "wang.wei");
    let from = |client: &str, user: &str, pw: &str| {
        let mut req = login_req(user, pw, Uuid::now_v7());
        // The client forged the first entry; the proxy appended the real address.
        req.headers_mut().insert(
            "x-forwarded-for",
            format!("198.51.100.1, {client}").parse().unwrap(),
        );
        req
    };
    for i in 0..20 {
        call(
            &app,
            from("192.0.2.7", &format!("guess{i}"), "wrong password"),
        )
        .await;
    }
    let (s, _, _) = call(&app, from("192.0.2.7", "wang.wei", PW)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // A different real client behind the same proxy is not affected.
    let (s, _, _) = call(&app, from("192.0.2.8", "wang.wei", PW)).await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn malformed_login_bodies_are_bad_requests() {
    let e = env();
    let raw = |body: &str| {
        Request::post("/v1/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let cases = [
        "{not json",
        r#"{"user":"a","password":"b","device_name":"x"}"#,
        r#"{"user":"a","password":"b","device_id":"not-a-uuid","device_name":"x"}"#,
        r#"{"user":"a","password":"b","device_id":"0196b6a4-6f1e-7c2a-9d4b-3c2f1e0a9b8c","device_name":"  "}"#,
        r#"{"user":"a","password":"b","device_id":"0196b6a4-6f1e-7c2a-9d4b-3c2f1e0a9b8c","device_name":"x","extra":1}"#,
    ];
    for body in cases {
        let (s, _, b) = call(&e.app, raw(body)).await;
        assert_error(s, &b, 400, "bad_request");
        assert!(
            !b.to_string().contains("not-a-uuid"),
            "values are never echoed: {b}"
        );
    }
    let (_, _, b) = call(&e.app, raw(cases[1])).await;
    assert_eq!(b["message"]["en"], "Missing field `device_id`");
}

#[tokio::test]
async fn oversized_bodies_are_rejected() {
    let config = ServerConfig {
        max_body_bytes: 1024,
        ..ServerConfig::default()
    };
    let e = env_with(config);
    let big = "x".repeat(2000);
    // Declared length over the limit.
    let req = Request::post("/v1/login")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big.clone()))
        .unwrap();
    let (s, _, b) = call(&e.app, req).await;
    assert_error(s, &b, 413, "payload_too_large");
    // No Content-Length header (as with chunked uploads): caught while reading the body.
    let req = Request::post("/v1/login").body(Body::from(big)).unwrap();
    assert!(req.headers().get(header::CONTENT_LENGTH).is_none());
    let (s, _, b) = call(&e.app, req).await;
    assert_error(s, &b, 413, "payload_too_large");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let e = env();
    let (s, _, b) = call(
        &e.app,
        Request::get("/v1/nope").body(Body::empty()).unwrap(),
    )
    .await;
    assert_error(s, &b, 404, "not_found");
    let (s, _, b) = call(
        &e.app,
        Request::get("/v1/login").body(Body::empty()).unwrap(),
    )
    .await;
    assert_error(s, &b, 405, "method_not_allowed");
}

#[tokio::test]
async fn requests_beyond_the_in_flight_limit_are_shed() {
    // Zero permits: every request is over the limit, deterministically.
    let e = env_with(ServerConfig {
        max_in_flight: 0,
        ..ServerConfig::default()
    });
    let (s, h, b) = call(
        &e.app,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_error(s, &b, 429, "overloaded");
    assert_eq!(h[header::RETRY_AFTER], "1");
}

/// A store whose every call fails, to see `internal` answered without leaking the cause.
struct BrokenStore;

fn broken() -> StorageError {
    StorageError::Corrupt("secret detail /var/lib/gridmate".into())
}

impl AccountStore for BrokenStore {
    fn ping(&self) -> Result<(), StorageError> {
        Err(broken())
    }
    fn create_user(
        &self,
        _: &NewUser,
        _: &str,
        _: Timestamp,
    ) -> Result<PublicProfile, StorageError> {
        Err(broken())
    }
    fn user_for_login(&self, _: &str) -> Result<Option<UserAuthRecord>, StorageError> {
        Err(broken())
    }
    fn user_by_name(&self, _: &str) -> Result<Option<User>, StorageError> {
        Err(broken())
    }
    fn list_users(&self) -> Result<Vec<User>, StorageError> {
        Err(broken())
    }
    fn set_user_disabled(&self, _: &str, _: bool, _: Timestamp) -> Result<(), StorageError> {
        Err(broken())
    }
    fn set_password_hash(&self, _: &str, _: &str, _: Timestamp) -> Result<(), StorageError> {
        Err(broken())
    }
    fn issue_device_token(&self, _: &TokenGrant) -> Result<(), StorageError> {
        Err(broken())
    }
    fn session_by_token_hash(&self, _: &[u8; 32]) -> Result<Option<Session>, StorageError> {
        Err(broken())
    }
    fn touch_device(&self, _: Uuid, _: Timestamp) -> Result<(), StorageError> {
        Err(broken())
    }
    fn device_owner(&self, _: Uuid) -> Result<Option<UserId>, StorageError> {
        Err(broken())
    }
    fn drop_device_tokens(&self, _: Uuid) -> Result<(), StorageError> {
        Err(broken())
    }
    fn rotate_device_token(
        &self,
        _: &[u8; 32],
        _: &[u8; 32],
        _: Timestamp,
    ) -> Result<(), StorageError> {
        Err(broken())
    }
    fn list_devices(&self, _: Option<&str>) -> Result<Vec<DeviceInfo>, StorageError> {
        Err(broken())
    }
    fn revoke_device(&self, _: Uuid, _: Timestamp) -> Result<(), StorageError> {
        Err(broken())
    }
    fn upsert_area(&self, _: &Area, _: Timestamp) -> Result<(), StorageError> {
        Err(broken())
    }
    fn list_areas(&self) -> Result<Vec<Area>, StorageError> {
        Err(broken())
    }
}

#[tokio::test]
async fn storage_failures_are_internal_and_opaque() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_millis(1_750_000_000_000).unwrap(),
    ));
    let state = AppState::with_accounts(db, Arc::new(BrokenStore), ServerConfig::default(), clock);
    let app = router(state);
    let (s, _, b) = call(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_error(s, &b, 500, "internal");
    assert!(!b.to_string().contains("secret"));
    let (s, _, b) = call(&app, login_req("wang.wei", PW, Uuid::now_v7())).await;
    assert_error(s, &b, 500, "internal");
}

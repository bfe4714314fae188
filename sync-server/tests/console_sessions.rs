//! Console sessions in process (`tower::ServiceExt::oneshot` over a real SQLite file and a manual
//! clock): idle and absolute expiry, dead sessions purged at sign-in, sessions ended by a
//! password reset, disabling or a role change, in the same transaction as the account change.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gridmate_domain::Timestamp;
use gridmate_server::auth::password;
use gridmate_server::console::auth::SessionLimits;
use gridmate_server::model::{NewUser, Role};
use gridmate_server::storage::AccountStore;
use gridmate_server::{AppState, Clock, ManualClock, Scope, ServerConfig, SqliteStorage, router};
use serde_json::{Value, json};
use tower::ServiceExt;

const PW: &str = "correct horse";
const MIN: i64 = 60_000;

struct Env {
    app: Router,
    db: Arc<SqliteStorage>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::new(
        Timestamp::from_millis(1_750_000_000_000).unwrap(),
    ));
    let config = ServerConfig {
        console_sessions: SessionLimits {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
        },
        ..ServerConfig::default()
    };
    let state = AppState::new(db.clone(), config, clock.clone());
    let hash = password::hash_password(PW).unwrap();
    for (name, role) in [("zhao", Role::Dispatcher), ("boss", Role::Admin)] {
        let scope = Scope::parse_list("jingkou-zhengdonglu").unwrap();
        let u = NewUser::new(name, None, role, None, scope).unwrap();
        db.create_user(&u, &hash, Timestamp::from_millis(1).unwrap())
            .unwrap();
    }
    Env {
        app: router(state),
        db,
        clock,
        _dir: dir,
    }
}

/// (cookie, csrf) of a fresh sign-in.
async fn sign_in(app: &Router, user: &str) -> (String, String) {
    let req = Request::post("/v1/console/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"user": user, "password": PW}).to_string(),
        ))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers()[header::SET_COOKIE].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    (cookie, v["csrf"].as_str().unwrap().to_owned())
}

async fn call(
    app: &Router,
    method: &str,
    path: &str,
    s: &(String, String),
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::COOKIE, &s.0)
        .header("x-csrf-token", &s.1);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let req = req
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn whoami(app: &Router, s: &(String, String)) -> StatusCode {
    call(app, "GET", "/v1/console/session", s, None).await.0
}

fn sessions(db: &SqliteStorage) -> i64 {
    let conn = rusqlite::Connection::open(db.path()).unwrap();
    conn.query_row("SELECT count(*) FROM console_sessions", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test]
async fn a_session_dies_after_thirty_idle_minutes() {
    let e = env();
    let s = sign_in(&e.app, "zhao").await;
    e.clock.advance_millis(29 * MIN);
    assert_eq!(
        whoami(&e.app, &s).await,
        StatusCode::OK,
        "activity renews it"
    );
    e.clock.advance_millis(29 * MIN);
    assert_eq!(whoami(&e.app, &s).await, StatusCode::OK);
    e.clock.advance_millis(30 * MIN);
    let (status, body) = call(&e.app, "GET", "/v1/console/session", &s, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    e.clock.advance_millis(-29 * MIN);
    assert_eq!(
        whoami(&e.app, &s).await,
        StatusCode::UNAUTHORIZED,
        "an expired session is gone for good"
    );
}

#[tokio::test]
async fn a_session_dies_twelve_hours_after_sign_in_however_active() {
    let e = env();
    let s = sign_in(&e.app, "zhao").await;
    for _ in 0..(12 * 60 / 20 - 1) {
        e.clock.advance_millis(20 * MIN);
        assert_eq!(whoami(&e.app, &s).await, StatusCode::OK);
    }
    e.clock.advance_millis(20 * MIN);
    assert_eq!(whoami(&e.app, &s).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn dead_sessions_are_purged_at_sign_in() {
    let e = env();
    for _ in 0..5 {
        sign_in(&e.app, "zhao").await;
    }
    assert_eq!(sessions(&e.db), 5);
    e.clock.advance_millis(31 * MIN);
    let live = sign_in(&e.app, "boss").await;
    assert_eq!(sessions(&e.db), 1, "only the new session is left");
    assert_eq!(whoami(&e.app, &live).await, StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_ends_console_sessions_also_from_the_cli_path() {
    let e = env();
    let s = sign_in(&e.app, "zhao").await;
    let hash = password::hash_password("another password").unwrap();
    e.db.set_password_hash("zhao", &hash, e.clock.now())
        .unwrap();
    assert_eq!(whoami(&e.app, &s).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions(&e.db), 0, "deleted with the password change");
}

#[tokio::test]
async fn disabling_ends_console_sessions_in_storage() {
    let e = env();
    let s = sign_in(&e.app, "zhao").await;
    e.db.set_user_disabled("zhao", true, e.clock.now()).unwrap();
    assert_eq!(sessions(&e.db), 0);
    e.db.set_user_disabled("zhao", false, e.clock.now())
        .unwrap();
    assert_eq!(
        whoami(&e.app, &s).await,
        StatusCode::UNAUTHORIZED,
        "re-enabling revives nothing"
    );
}

#[tokio::test]
async fn admin_changes_end_the_users_sessions() {
    let e = env();
    let boss = sign_in(&e.app, "boss").await;
    let z = sign_in(&e.app, "zhao").await;
    // A display name change keeps the session.
    let (st, _) = call(
        &e.app,
        "PATCH",
        "/v1/console/admin/users/zhao",
        &boss,
        Some(json!({"display_name": "赵敏"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(whoami(&e.app, &z).await, StatusCode::OK);
    // A role change ends it.
    let (st, b) = call(
        &e.app,
        "PATCH",
        "/v1/console/admin/users/zhao",
        &boss,
        Some(json!({"role": "grid_worker"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(whoami(&e.app, &z).await, StatusCode::UNAUTHORIZED);
    let (st, _) = call(
        &e.app,
        "PATCH",
        "/v1/console/admin/users/zhao",
        &boss,
        Some(json!({"role": "dispatcher"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    // So does a password reset, and disabling.
    let z = sign_in(&e.app, "zhao").await;
    let (st, _) = call(
        &e.app,
        "POST",
        "/v1/console/admin/users/zhao/password",
        &boss,
        Some(json!({"password": "a new password"})),
    )
    .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(whoami(&e.app, &z).await, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions(&e.db), 1, "only the admin's own session is left");
    let (st, b) = call(
        &e.app,
        "PATCH",
        "/v1/console/admin/users/boss",
        &boss,
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(
        (st, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("self_change_refused"))
    );
}

//! `GET /v1/reference` and the unit in `/v1/me`, through the router (no socket), against a real
//! SQLite file: what a user receives, and that it needs a valid token.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gridmate_domain::reference::{ReferenceData, Unit};
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::{GridId, LegalRole, Timestamp};
use gridmate_server::auth::password;
use gridmate_server::model::{Area, AreaLevel, NewUser, Role};
use gridmate_server::storage::AccountStore;
use gridmate_server::{AppState, ManualClock, Scope, ServerConfig, SqliteStorage, router};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

const PW: &str = "correct horse";

fn t() -> Timestamp {
    Timestamp::from_millis(1_750_000_000_000).unwrap()
}

fn seed(db: &SqliteStorage) {
    for (id, level, name) in [
        ("jingkou", AreaLevel::County, "京口区"),
        ("jingkou-zhengdonglu", AreaLevel::Township, "正东路街道"),
        ("jingkou-zhengdonglu-03", AreaLevel::Grid, "正东路 03 网格"),
        ("jingkou-jianshelu", AreaLevel::Township, "建设路街道"),
    ] {
        let area = Area {
            id: GridId::parse(id).unwrap(),
            level,
            name: name.into(),
        };
        db.upsert_area(&area, t()).unwrap();
    }
    let sfs = Unit {
        id: "jingkou-zhengdonglu-sfs".into(),
        name: "正东路司法所".into(),
    };
    db.upsert_unit(&sfs, t()).unwrap();
    let hash = password::hash_password(PW).unwrap();
    let users = [
        (
            "wang.wei",
            Some("王伟"),
            Role::GridWorker,
            None,
            "jingkou-zhengdonglu-03",
            None,
        ),
        (
            "zhao.min",
            None,
            Role::Dispatcher,
            None,
            "jingkou-zhengdonglu",
            Some(sfs.id.as_str()),
        ),
        (
            "chen.jing",
            Some("陈静"),
            Role::LegalVolunteer,
            Some(LegalRole::Lawyer),
            "jingkou-jianshelu",
            None,
        ),
        (
            "qian.li",
            Some("钱立"),
            Role::GridWorker,
            None,
            "jingkou-jianshelu",
            None,
        ),
    ];
    for (name, display, role, legal, scope, unit) in users {
        let new = NewUser::new(
            name,
            display,
            role,
            legal,
            Scope::parse_list(scope).unwrap(),
        )
        .unwrap()
        .with_unit(unit.map(str::to_owned));
        db.create_user(&new, &hash, t()).unwrap();
    }
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
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

async fn login(app: &axum::Router, user: &str) -> String {
    let body =
        json!({"user": user, "password": PW, "device_id": Uuid::now_v7(), "device_name": "手机"});
    let req = Request::post("/v1/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, body) = call(app, req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn get(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_grid_worker_gets_the_names_of_the_scope_and_its_colleagues() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    seed(&db);
    let app = router(AppState::new(
        db,
        ServerConfig::default(),
        Arc::new(ManualClock::new(t())),
    ));
    let (status, body) = call(
        &app,
        Request::get("/v1/reference").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );

    let token = login(&app, "wang.wei").await;
    let (status, body) = call(&app, get("/v1/reference", &token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let text = body.to_string();
    assert!(
        !text.contains("password") && !text.contains("argon2"),
        "{text}"
    );
    let r: ReferenceData = serde_json::from_value(body).unwrap();
    let areas: Vec<(&str, &str)> = r
        .areas
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(
        areas,
        [
            ("jingkou", "京口区"),
            ("jingkou-jianshelu", "建设路街道"),
            ("jingkou-zhengdonglu", "正东路街道"),
            ("jingkou-zhengdonglu-03", "正东路 03 网格")
        ],
        "every area, with its name"
    );
    let colleagues: Vec<(&str, &str)> = r
        .colleagues
        .iter()
        .map(|c| (c.name.as_str(), c.display_name.as_str()))
        .collect();
    // zhao.min overlaps the scope (and has a unit), chen.jing is a legal volunteer; qian.li is
    // neither.
    assert_eq!(
        colleagues,
        [
            ("chen.jing", "陈静"),
            ("wang.wei", "王伟"),
            ("zhao.min", "zhao.min")
        ]
    );
    assert_eq!(r.unit_name("jingkou-zhengdonglu-sfs"), "正东路司法所");
    assert_eq!(r.deadlines, DeadlineTable::default());

    let token = login(&app, "zhao.min").await;
    let (_, me) = call(&app, get("/v1/me", &token)).await;
    assert_eq!(me["user"]["unit"], "jingkou-zhengdonglu-sfs");
}

#[tokio::test]
async fn the_deadline_table_is_the_configured_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    seed(&db);
    let mut deadlines = DeadlineTable::default();
    deadlines.steps.truncate(2);
    let config = ServerConfig {
        deadlines: deadlines.clone(),
        ..ServerConfig::default()
    };
    let app = router(AppState::new(db, config, Arc::new(ManualClock::new(t()))));
    let token = login(&app, "chen.jing").await;
    let (status, body) = call(&app, get("/v1/reference", &token)).await;
    assert_eq!(status, StatusCode::OK);
    let r: ReferenceData = serde_json::from_value(body).unwrap();
    assert_eq!(r.deadlines, deadlines);
    let areas: Vec<&str> = r.areas.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        areas,
        [
            "jingkou",
            "jingkou-jianshelu",
            "jingkou-zhengdonglu",
            "jingkou-zhengdonglu-03"
        ],
        "every area: a lawyer of jianshelu reads the names of the grids she is assigned disputes of"
    );
}

//! In-process API tests of the console's statistics, map and supervision endpoints: a router over
//! a temp SqliteStorage and a manual clock, users signed in through the real session route, and
//! rows written straight into `console_records` (with the `sync_records` rows they reference),
//! as the console index holds them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gridmate_domain::{GridId, LegalRole, Timestamp};
use gridmate_server::auth::password;
use gridmate_server::model::{Area, AreaLevel, NewUser, Role};
use gridmate_server::storage::AccountStore;
use gridmate_server::{AppState, ManualClock, Scope, ServerConfig, SqliteStorage, router};
use proptest::prelude::*;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use tower::ServiceExt;

const PW: &str = "correct horse";
const NOW: i64 = 1_780_000_000_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const ZD: &str = "jingkou-zhengdonglu";
const XS: &str = "jingkou-xiangshan";

struct Env {
    app: Router,
    db: Arc<SqliteStorage>,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(NOW).unwrap()));
    let state = AppState::new(db.clone(), ServerConfig::default(), clock);
    for (id, level, name) in [
        ("jingkou", AreaLevel::County, "京口区"),
        (ZD, AreaLevel::Township, "正东路街道"),
        (XS, AreaLevel::Township, "象山街道"),
        ("jingkou-zhengdonglu-01", AreaLevel::Grid, "正东路第一网格"),
        ("jingkou-zhengdonglu-02", AreaLevel::Grid, "正东路第二网格"),
        ("jingkou-zhengdonglu-03", AreaLevel::Grid, "正东路第三网格"),
    ] {
        let area = Area {
            id: GridId::parse(id).unwrap(),
            level,
            name: name.into(),
        };
        db.upsert_area(&area, Timestamp::from_millis(1).unwrap())
            .unwrap();
    }
    Env {
        app: router(state),
        db,
        _dir: dir,
    }
}

fn add_user(db: &SqliteStorage, name: &str, role: Role, scope: &str) {
    let legal = (role == Role::LegalVolunteer).then_some(LegalRole::Lawyer);
    let new = NewUser::new(
        name,
        Some("测试"),
        role,
        legal,
        Scope::parse_list(scope).unwrap(),
    )
    .unwrap();
    db.create_user(
        &new,
        &password::hash_password(PW).unwrap(),
        Timestamp::from_millis(1).unwrap(),
    )
    .unwrap();
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20)
        .await
        .unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, body)
}

async fn sign_in_answer(app: &Router, user: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
    let body = json!({"user": user, "password": PW});
    let req = Request::post("/v1/console/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    call(app, req).await
}

/// Signs in through the real session route; returns the cookie to send.
async fn sign_in(app: &Router, user: &str) -> String {
    let (status, headers, body) = sign_in_answer(app, user).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let set = headers[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn get(app: &Router, cookie: &str, uri: &str) -> (StatusCode, Value) {
    let req = Request::get(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let (s, _, b) = call(app, req).await;
    (s, b)
}

async fn get_ok(app: &Router, cookie: &str, uri: &str) -> Value {
    let (s, b) = get(app, cookie, uri).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {b}");
    b
}

/// One row of the console index, with realistic defaults.
#[derive(Debug, Clone)]
struct Rec {
    kind: &'static str,
    grid: String,
    created_by: String,
    occurred_at: i64,
    deleted: bool,
    title: String,
    loc: Option<(f64, f64)>,
    audience: Option<i64>,
    status: Option<&'static str>,
    category: Option<&'static str>,
    risk: Option<&'static str>,
    assignee_user: Option<&'static str>,
    assignee_unit: Option<&'static str>,
    due_at: Option<i64>,
    supervised: bool,
    on_time: Option<bool>,
    outcome: Option<&'static str>,
    satisfaction: Option<&'static str>,
}

fn rec(kind: &'static str, grid: &str, by: &str, at: i64) -> Rec {
    Rec {
        kind,
        grid: grid.to_owned(),
        created_by: by.to_owned(),
        occurred_at: at,
        deleted: false,
        title: match kind {
            "patrol_visit" => "巡查走访：小区消防通道".to_owned(),
            "legal_education" => "普法宣传：民法典进社区".to_owned(),
            _ => "矛盾纠纷：邻里噪音".to_owned(),
        },
        loc: None,
        audience: (kind == "legal_education").then_some(30),
        status: (kind == "dispute").then_some("reported"),
        category: (kind == "dispute").then_some("neighbour"),
        risk: (kind == "dispute").then_some("low"),
        assignee_user: None,
        assignee_unit: None,
        due_at: None,
        supervised: false,
        on_time: None,
        outcome: None,
        satisfaction: None,
    }
}

fn dispute(grid: &str, status: &'static str, category: &'static str) -> Rec {
    Rec {
        status: Some(status),
        category: Some(category),
        ..rec("dispute", grid, "wang.wei", NOW - 10 * DAY)
    }
}

fn insert(c: &Connection, r: &Rec) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    c.execute(
        "INSERT INTO sync_records (id, grid_id, kind, created_by, heads, status, risk_level,
                                   occurred_at, updated_at, deleted_at, last_seq)
         VALUES (?1, ?2, ?3, ?4, x'00', ?5, ?6, ?7, ?7, ?8, 1)",
        params![
            id.as_bytes().as_slice(),
            r.grid,
            r.kind,
            r.created_by,
            r.status,
            r.risk,
            r.occurred_at,
            r.deleted.then_some(r.occurred_at)
        ],
    )
    .unwrap();
    let rowid = c.last_insert_rowid();
    c.execute(
        "INSERT INTO console_records (record_rowid, record_id, kind, grid_id, created_by,
             occurred_at, updated_at, deleted, title, lat, lon, audience, status, category, risk,
             source, assignee_user, assignee_unit, due_at, supervised, resolved_at, closed_at,
             on_time, outcome, satisfaction, parties)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, NULL, ?21, ?22, ?23, ?24)",
        params![
            rowid,
            id.as_bytes().as_slice(),
            r.kind,
            r.grid,
            r.created_by,
            r.occurred_at,
            r.deleted,
            r.title,
            r.loc.map(|l| l.0),
            r.loc.map(|l| l.1),
            r.audience,
            r.status,
            r.category,
            r.risk,
            (r.kind == "dispute").then_some("field"),
            r.assignee_user,
            r.assignee_unit,
            r.due_at,
            r.supervised,
            r.on_time.map(|_| r.occurred_at + DAY),
            r.on_time,
            r.outcome,
            r.satisfaction,
            (r.kind == "dispute").then_some(2),
        ],
    )
    .unwrap();
    id
}

fn insert_all(db: &SqliteStorage, recs: &[Rec]) {
    let mut c = Connection::open(db.path()).unwrap();
    c.pragma_update(None, "foreign_keys", true).unwrap();
    let tx = c.transaction().unwrap();
    for r in recs {
        insert(&tx, r);
    }
    tx.commit().unwrap();
}

fn g(n: &str) -> String {
    format!("{ZD}-{n}")
}

/// The hand-built township of `figures_match_a_hand_built_dataset`.
fn township_dataset() -> Vec<Rec> {
    let at = NOW - 10 * DAY;
    let mut v = vec![
        rec("patrol_visit", &g("01"), "wang.wei", at),
        rec("patrol_visit", &g("01"), "wang.wei", at + HOUR),
        rec("patrol_visit", &g("01"), "wang.wei", at + 2 * HOUR),
        rec("patrol_visit", &g("02"), "li.na", at),
        rec("patrol_visit", &g("02"), "wang.wei", at),
        // Not counted: deleted, before the period, another township.
        Rec {
            deleted: true,
            ..rec("patrol_visit", &g("01"), "wang.wei", at)
        },
        rec("patrol_visit", &g("01"), "wang.wei", NOW - 40 * DAY),
        rec("patrol_visit", &format!("{XS}-01"), "zhou.min", at),
        Rec {
            audience: Some(30),
            ..rec("legal_education", &g("01"), "wang.wei", at)
        },
        Rec {
            audience: Some(45),
            ..rec("legal_education", &g("01"), "wang.wei", at)
        },
        Rec {
            audience: Some(20),
            ..rec("legal_education", &g("02"), "li.na", at)
        },
        Rec {
            audience: Some(500),
            ..rec("legal_education", &format!("{XS}-01"), "zhou.min", at)
        },
    ];
    let resolved = |grid: &str, status, category, on_time, outcome, satisfaction| Rec {
        on_time: Some(on_time),
        outcome: Some(outcome),
        satisfaction,
        ..dispute(grid, status, category)
    };
    v.extend([
        resolved(
            &g("01"),
            "closed",
            "family",
            true,
            "agreement",
            Some("satisfied"),
        ),
        resolved(
            &g("01"),
            "evaluated",
            "neighbour",
            false,
            "agreement",
            Some("basically_satisfied"),
        ),
        resolved(&g("02"), "resolved", "labour", true, "no_agreement", None),
        Rec {
            due_at: Some(NOW - HOUR),
            ..dispute(&g("02"), "in_progress", "family")
        },
        Rec {
            due_at: Some(NOW + 2 * HOUR),
            ..dispute(&g("02"), "assigned", "neighbour")
        },
        dispute(&g("01"), "not_accepted", "family"),
        Rec {
            due_at: Some(NOW - 5 * HOUR),
            ..resolved(&g("01"), "follow_up", "family", true, "withdrawn", None)
        },
        Rec {
            due_at: Some(NOW - HOUR),
            ..dispute(&format!("{XS}-01"), "in_progress", "family")
        },
    ]);
    v
}

fn counts(v: &Value) -> Value {
    let mut v = v.clone();
    for k in ["on_time_rate", "success_rate", "satisfaction_rate"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

#[tokio::test]
async fn figures_match_a_hand_built_dataset() {
    let e = env();
    add_user(&e.db, "zhao", Role::Dispatcher, ZD);
    insert_all(&e.db, &township_dataset());
    let cookie = sign_in(&e.app, "zhao").await;
    let s = get_ok(&e.app, &cookie, "/v1/console/stats").await;
    assert_eq!(
        (s["from"].as_i64(), s["to"].as_i64()),
        (Some(NOW - 30 * DAY), Some(NOW))
    );
    let t = &s["totals"];
    assert_eq!(
        counts(t),
        json!({"patrol_visits": 5, "legal_education_sessions": 3, "legal_education_audience": 95,
               "disputes": 7, "resolved": 4, "resolved_on_time": 3, "agreement": 2,
               "evaluated": 2, "satisfied": 2, "overdue": 2})
    );
    assert_eq!(t["on_time_rate"], 0.75);
    assert_eq!(t["success_rate"], 0.5);
    assert_eq!(t["satisfaction_rate"], 1.0);
    assert_eq!(
        s["visits_by_worker"],
        json!([{"worker": "wang.wei", "count": 4}, {"worker": "li.na", "count": 1}])
    );
    assert_eq!(s["workers"], 2);
    let cat: Vec<(Value, Value)> = s["disputes_by_category"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["count"] != 0)
        .map(|b| (b["key"].clone(), b["count"].clone()))
        .collect();
    assert_eq!(
        cat,
        [
            (json!("family"), json!(4)),
            (json!("neighbour"), json!(2)),
            (json!("labour"), json!(1))
        ]
    );
    let status = &s["disputes_by_status"];
    assert_eq!(
        status.as_array().unwrap().len(),
        11,
        "every status, zeros included"
    );
    let in_progress = status
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "in_progress")
        .unwrap();
    assert_eq!(in_progress["count"], 1);
    assert_eq!(
        in_progress["filter"],
        json!({"kind": "dispute", "from": NOW - 30 * DAY, "to": NOW, "status": "in_progress"})
    );
    assert_eq!(s["overdue_filter"]["overdue"], true);
    // Child rows: the township's grids, the catalogue's empty one included.
    let children = s["children"].as_array().unwrap();
    let ids: Vec<&str> = children
        .iter()
        .map(|c| c["area"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [g("01"), g("02"), g("03")]);
    assert_eq!(children[0]["name"], "正东路第一网格");
    assert_eq!(children[0]["level"], "grid");
    assert_eq!(
        counts(&children[0]["figures"]),
        json!({"patrol_visits": 3, "legal_education_sessions": 2, "legal_education_audience": 75,
               "disputes": 4, "resolved": 3, "resolved_on_time": 2, "agreement": 2,
               "evaluated": 2, "satisfied": 2, "overdue": 1})
    );
    assert_eq!(
        counts(&children[1]["figures"]),
        json!({"patrol_visits": 2, "legal_education_sessions": 1, "legal_education_audience": 20,
               "disputes": 3, "resolved": 1, "resolved_on_time": 1, "agreement": 0,
               "evaluated": 0, "satisfied": 0, "overdue": 1})
    );
    assert_eq!(children[2]["figures"]["disputes"], 0);
    assert_eq!(children[2]["figures"]["on_time_rate"], Value::Null);
    assert_eq!(
        children[1]["filter"],
        json!({"area": g("02"), "kind": "dispute", "from": NOW - 30 * DAY, "to": NOW})
    );
    // The period is half-open on occurred_at.
    let at = NOW - 10 * DAY;
    let p = get_ok(
        &e.app,
        &cookie,
        &format!("/v1/console/stats?from={at}&to={}", at + HOUR),
    )
    .await;
    assert_eq!(p["totals"]["patrol_visits"], 3);
}

#[tokio::test]
async fn a_county_sees_townships_as_children() {
    let e = env();
    add_user(&e.db, "qian", Role::Admin, "jingkou");
    insert_all(&e.db, &township_dataset());
    let cookie = sign_in(&e.app, "qian").await;
    let s = get_ok(&e.app, &cookie, "/v1/console/stats?area=jingkou").await;
    assert_eq!(s["totals"]["patrol_visits"], 6);
    assert_eq!(s["totals"]["disputes"], 8);
    let children: Vec<(&str, &Value)> = s["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["area"].as_str().unwrap(), &c["figures"]))
        .collect();
    assert_eq!(children.iter().map(|c| c.0).collect::<Vec<_>>(), [XS, ZD]);
    assert_eq!(children[0].1["legal_education_audience"], 500);
    assert_eq!(children[1].1["disputes"], 7);
}

#[tokio::test]
async fn a_township_dispatcher_never_counts_another_township() {
    let e = env();
    add_user(&e.db, "zhao", Role::Dispatcher, ZD);
    insert_all(&e.db, &township_dataset());
    let mut far = dispute(&format!("{XS}-01"), "assigned", "land");
    far.loc = Some((32.2, 119.45));
    far.due_at = Some(NOW + HOUR);
    insert_all(&e.db, &[far]);
    let cookie = sign_in(&e.app, "zhao").await;
    // In scope but without records: the answer every outside area must give too (the asked
    // id is echoed in `area` and in the drill-down filters, nothing else may differ).
    let answer_for =
        |area: &str, body: &Value| body.to_string().replace(&format!("\"{area}\""), "\"AREA\"");
    let nothing = format!("{ZD}-09");
    let empty = get_ok(
        &e.app,
        &cookie,
        &format!("/v1/console/stats?area={nothing}"),
    )
    .await;
    for area in [
        "jingkou",
        XS,
        "jingkou-xiangshan-01",
        "jingkou-zheng",
        "jingkou-nowhere",
        "runzhou",
    ] {
        let s = get_ok(&e.app, &cookie, &format!("/v1/console/stats?area={area}")).await;
        assert_eq!(s["area"], area);
        assert_eq!(
            answer_for(area, &s),
            answer_for(&nothing, &empty),
            "area {area}"
        );
        let m = get_ok(
            &e.app,
            &cookie,
            &format!("/v1/console/map/points?area={area}"),
        )
        .await;
        assert_eq!(m["features"], json!([]), "area {area}");
        let v = get_ok(
            &e.app,
            &cookie,
            &format!("/v1/console/supervision?area={area}"),
        )
        .await;
        assert_eq!(
            (v["total"].as_u64(), &v["units"]),
            (Some(0), &json!([])),
            "area {area}"
        );
    }
    assert_eq!(empty["totals"]["disputes"], 0);
    assert_eq!(empty["children"], json!([]));
    // Without an area: the whole scope, and only it.
    let s = get_ok(&e.app, &cookie, "/v1/console/stats").await;
    assert_eq!(s["totals"]["patrol_visits"], 5);
    assert_eq!(s["totals"]["legal_education_audience"], 95);
    let v = get_ok(&e.app, &cookie, "/v1/console/supervision").await;
    let grids: Vec<&str> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|u| u["assignees"].as_array().unwrap())
        .flat_map(|a| a["cases"].as_array().unwrap())
        .map(|c| c["grid_id"].as_str().unwrap())
        .collect();
    assert!(!grids.is_empty() && grids.iter().all(|g| g.starts_with("jingkou-zhengdonglu-")));
}

#[tokio::test]
async fn roles_and_sessions_gate_the_figures() {
    let e = env();
    add_user(&e.db, "wang.wei", Role::GridWorker, ZD);
    add_user(&e.db, "li.lawyer", Role::LegalVolunteer, ZD);
    add_user(&e.db, "qian", Role::Admin, "jingkou");
    insert_all(&e.db, &township_dataset());
    for refused in ["wang.wei", "li.lawyer"] {
        let (s, _, b) = sign_in_answer(&e.app, refused).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("console_role_refused"))
        );
    }
    for uri in [
        "/v1/console/stats",
        "/v1/console/map/points",
        "/v1/console/supervision",
    ] {
        let (s, b) = get(&e.app, "gm_console=gm1_forged", uri).await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
    }
    let cookie = sign_in(&e.app, "qian").await;
    let s = get_ok(&e.app, &cookie, "/v1/console/stats").await;
    assert_eq!(
        s["totals"]["patrol_visits"], 6,
        "an admin sees the county's figures"
    );
}

#[tokio::test]
async fn bad_parameters_are_typed_errors() {
    let e = env();
    add_user(&e.db, "zhao", Role::Dispatcher, ZD);
    let cookie = sign_in(&e.app, "zhao").await;
    let year = 366 * DAY;
    for (uri, code, field) in [
        ("/v1/console/stats?from=yesterday", "invalid_date", "from"),
        ("/v1/console/stats?to=-5", "invalid_date", "to"),
        ("/v1/console/stats?from=20&to=10", "invalid_period", "from"),
        (
            &format!("/v1/console/stats?from=0&to={}", year + 1),
            "period_too_long",
            "to",
        ),
        ("/v1/console/stats?area=Jingkou", "invalid_area", "area"),
        ("/v1/console/stats?area=jingkou-", "invalid_area", "area"),
        (
            "/v1/console/stats?grid=jingkou",
            "unknown_parameter",
            "grid",
        ),
        (
            "/v1/console/stats?area=a&area=b",
            "duplicate_parameter",
            "area",
        ),
        (
            "/v1/console/map/points?kind=incident",
            "invalid_value",
            "kind",
        ),
        (
            "/v1/console/map/points?status=done",
            "invalid_value",
            "status",
        ),
        (
            "/v1/console/map/points?from=9&to=3",
            "invalid_period",
            "from",
        ),
        ("/v1/console/supervision?area=%25", "invalid_area", "area"),
        ("/v1/console/supervision?area=%", "invalid_value", "area"),
        (
            "/v1/console/supervision?from=1",
            "unknown_parameter",
            "from",
        ),
    ] {
        let (s, b) = get(&e.app, &cookie, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {b}");
        assert_eq!(
            (b["code"].as_str(), b["field"].as_str()),
            (Some(code), Some(field)),
            "{uri}"
        );
        assert!(
            b["message"]["zh-CN"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        assert!(b["message"]["en"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let ok = format!("/v1/console/stats?from=0&to={year}");
    get_ok(&e.app, &cookie, &ok).await;
}

#[tokio::test]
async fn map_points_are_geojson_in_scope() {
    let e = env();
    add_user(&e.db, "zhao", Role::Dispatcher, ZD);
    let mut recs = vec![
        Rec {
            loc: Some((32.2041, 119.4551)),
            ..dispute(&g("01"), "assigned", "family")
        },
        Rec {
            loc: Some((32.2050, 119.4600)),
            ..rec("patrol_visit", &g("02"), "wang.wei", NOW - DAY)
        },
        rec("patrol_visit", &g("02"), "wang.wei", NOW - DAY),
        Rec {
            loc: Some((32.1, 119.5)),
            ..rec("patrol_visit", &format!("{XS}-01"), "zhou.min", NOW)
        },
        Rec {
            loc: Some((32.1, 119.5)),
            deleted: true,
            ..rec("patrol_visit", &g("01"), "x", NOW)
        },
    ];
    recs[0].risk = Some("high");
    insert_all(&e.db, &recs);
    let cookie = sign_in(&e.app, "zhao").await;
    let m = get_ok(&e.app, &cookie, "/v1/console/map/points").await;
    assert_eq!(m["type"], "FeatureCollection");
    assert_eq!(m["truncated"], false);
    let f = m["features"].as_array().unwrap();
    assert_eq!(f.len(), 2);
    // Most recent first.
    assert_eq!(
        f[0]["geometry"],
        json!({"type": "Point", "coordinates": [119.46, 32.205]})
    );
    assert_eq!(f[0]["properties"]["kind"], "patrol_visit");
    let d = &f[1]["properties"];
    assert_eq!(d["status"], "assigned");
    assert_eq!(d["risk"], "high");
    assert_eq!(d["title"], "矛盾纠纷：邻里噪音");
    assert!(uuid::Uuid::parse_str(d["id"].as_str().unwrap()).is_ok());
    let m = get_ok(
        &e.app,
        &cookie,
        "/v1/console/map/points?kind=dispute&status=assigned",
    )
    .await;
    assert_eq!(m["features"].as_array().unwrap().len(), 1);
    let m = get_ok(&e.app, &cookie, "/v1/console/map/points?status=closed").await;
    assert_eq!(m["features"], json!([]));
    let m = get_ok(
        &e.app,
        &cookie,
        &format!("/v1/console/map/points?to={}", NOW - 2 * DAY),
    )
    .await;
    assert_eq!(m["features"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn map_points_stop_at_ten_thousand() {
    let e = env();
    add_user(&e.db, "zhao", Role::Dispatcher, ZD);
    let recs: Vec<Rec> = (0..10_001)
        .map(|i| Rec {
            loc: Some((32.0 + f64::from(i) * 1e-5, 119.4)),
            ..rec(
                "patrol_visit",
                &g("01"),
                "wang.wei",
                NOW - i64::from(i) * 1000,
            )
        })
        .collect();
    insert_all(&e.db, &recs);
    let cookie = sign_in(&e.app, "zhao").await;
    let m = get_ok(&e.app, &cookie, "/v1/console/map/points").await;
    assert_eq!(m["truncated"], true);
    assert_eq!(m["features"].as_array().unwrap().len(), 10_000);
    let m = get_ok(
        &e.app,
        &cookie,
        &format!("/v1/console/map/points?from={}", NOW - 9_999_000),
    )
    .await;
    assert_eq!(m["truncated"], false);
    assert_eq!(m["features"].as_array().unwrap().len(), 10_000);
}

#[tokio::test]
async fn supervision_groups_overdue_and_near_due_disputes() {
    let e = env();
    add_user(&e.db, "zhao", Role::Dispatcher, ZD);
    {
        let c = Connection::open(e.db.path()).unwrap();
        c.execute(
            "INSERT INTO units (id, name, created_at) VALUES ('sfs-zd', '正东路司法所', 1)",
            [],
        )
        .unwrap();
    }
    let due = |status, at: i64, user: Option<&'static str>, unit: Option<&'static str>| Rec {
        due_at: Some(at),
        assignee_user: user,
        assignee_unit: unit,
        ..dispute(&g("01"), status, "family")
    };
    let mut recs = vec![
        due(
            "in_progress",
            NOW - 2 * HOUR,
            Some("li.lawyer"),
            Some("sfs-zd"),
        ),
        due(
            "assigned",
            NOW + 3 * HOUR,
            Some("li.lawyer"),
            Some("sfs-zd"),
        ),
        due(
            "assigned",
            NOW - 30 * HOUR,
            Some("zhou.lawyer"),
            Some("sfs-zd"),
        ),
        due("reported", NOW + 20 * HOUR, None, None),
        due("follow_up", NOW - HOUR, None, None),
        // Not listed: due later, finished, deleted, no deadline, another township.
        due(
            "assigned",
            NOW + 25 * HOUR,
            Some("li.lawyer"),
            Some("sfs-zd"),
        ),
        due("closed", NOW - HOUR, Some("li.lawyer"), Some("sfs-zd")),
        due("not_accepted", NOW - HOUR, None, None),
        Rec {
            deleted: true,
            ..due("assigned", NOW - HOUR, Some("li.lawyer"), Some("sfs-zd"))
        },
        dispute(&g("02"), "assigned", "family"),
        Rec {
            grid: format!("{XS}-01"),
            ..due("assigned", NOW - HOUR, Some("li.lawyer"), Some("sfs-zd"))
        },
    ];
    recs[0].supervised = true;
    insert_all(&e.db, &recs);
    let cookie = sign_in(&e.app, "zhao").await;
    let v = get_ok(&e.app, &cookie, "/v1/console/supervision").await;
    assert_eq!(
        (
            v["total"].as_u64(),
            v["overdue"].as_u64(),
            v["due_soon"].as_u64()
        ),
        (Some(5), Some(3), Some(2))
    );
    assert_eq!(v["horizon"], NOW + 24 * HOUR);
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    // The unit of the most urgent case first.
    assert_eq!(units[0]["unit"], "sfs-zd");
    assert_eq!(units[0]["unit_name"], "正东路司法所");
    assert_eq!(
        (units[0]["total"].as_u64(), units[0]["overdue"].as_u64()),
        (Some(3), Some(2))
    );
    let assignees = units[0]["assignees"].as_array().unwrap();
    assert_eq!(assignees[0]["user"], "zhou.lawyer");
    assert_eq!(assignees[1]["user"], "li.lawyer");
    let li = assignees[1]["cases"].as_array().unwrap();
    assert_eq!(li.len(), 2);
    assert_eq!(li[0]["due_at"], NOW - 2 * HOUR);
    assert_eq!(
        (li[0]["overdue"].as_bool(), li[0]["supervised"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (li[1]["overdue"].as_bool(), li[1]["supervised"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(li[1]["status"], "assigned");
    assert_eq!(li[1]["assignee_unit"], "sfs-zd");
    assert_eq!(units[1]["unit"], Value::Null);
    let none = &units[1]["assignees"][0];
    assert_eq!(none["user"], Value::Null);
    let due_ats: Vec<i64> = none["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["due_at"].as_i64().unwrap())
        .collect();
    assert_eq!(due_ats, [NOW - HOUR, NOW + 20 * HOUR]);
}

/// A random record of a county with two townships, one of them with communities.
fn arb_rec() -> impl Strategy<Value = Rec> {
    let grids = prop::sample::select(vec![
        "jingkou-zhengdonglu-01",
        "jingkou-zhengdonglu-02",
        "jingkou-zhengdonglu-03-a",
        "jingkou-zhengdonglu",
        "jingkou-xiangshan-xq-01",
        "jingkou-xiangshan-xq-02",
        "jingkou-xiangshan-hd-01",
    ]);
    let kinds = prop::sample::select(vec!["patrol_visit", "legal_education", "dispute"]);
    let statuses = prop::sample::select(vec![
        "reported",
        "accepted",
        "assigned",
        "in_progress",
        "resolved",
        "follow_up",
        "evaluated",
        "closed",
        "not_accepted",
        "returned",
        "escalated",
    ]);
    let categories = prop::sample::select(vec!["family", "neighbour", "labour", "land"]);
    let outcome = prop::option::of(prop::sample::select(vec![
        "agreement",
        "no_agreement",
        "withdrawn",
    ]));
    let satisfaction = prop::option::of(prop::sample::select(vec![
        "satisfied",
        "basically_satisfied",
        "dissatisfied",
    ]));
    let workers = prop::sample::select(vec!["wang.wei", "li.na", "zhou.min"]);
    (
        (grids, kinds, statuses, categories, workers),
        (outcome, satisfaction, prop::option::of(any::<bool>())),
        (
            0..40 * DAY,
            prop::option::of(-3 * DAY..3 * DAY),
            any::<bool>(),
            0i64..200,
        ),
    )
        .prop_map(
            |(
                (grid, kind, status, category, by),
                (outcome, satisfaction, on_time),
                (ago, due, deleted, audience),
            )| {
                let mut r = rec(kind, grid, by, NOW - ago);
                r.deleted = deleted && ago % 5 == 0;
                if kind == "dispute" {
                    r.status = Some(status);
                    r.category = Some(category);
                    r.outcome = outcome;
                    r.satisfaction = satisfaction;
                    r.on_time = on_time;
                    r.due_at = due.map(|d| NOW + d);
                } else if kind == "legal_education" {
                    r.audience = Some(audience);
                }
                r
            },
        )
}

fn sum_children(s: &Value) -> Value {
    let mut sum = serde_json::Map::new();
    for c in s["children"].as_array().unwrap() {
        for (k, v) in counts(&c["figures"]).as_object().unwrap() {
            let e = sum.entry(k.clone()).or_insert(json!(0));
            *e = json!(e.as_u64().unwrap() + v.as_u64().unwrap());
        }
    }
    Value::Object(sum)
}

#[test]
fn child_rows_add_up_to_the_parent() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let e = env();
    add_user(&e.db, "qian", Role::Admin, "jingkou");
    let cookie = rt.block_on(sign_in(&e.app, "qian"));
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(32));
    runner
        .run(&prop::collection::vec(arb_rec(), 0..60), |recs| {
            {
                let c = Connection::open(e.db.path()).unwrap();
                c.execute_batch("DELETE FROM console_records; DELETE FROM sync_records;")
                    .unwrap();
            }
            insert_all(&e.db, &recs);
            for area in ["", "jingkou", ZD, XS, "jingkou-xiangshan-xq"] {
                let uri = format!("/v1/console/stats?area={area}");
                let s = rt.block_on(get_ok(&e.app, &cookie, &uri));
                let children = s["children"].as_array().unwrap();
                let total = counts(&s["totals"]);
                if children.is_empty() {
                    prop_assert_eq!(total["disputes"].clone(), json!(0));
                    continue;
                }
                prop_assert_eq!(sum_children(&s), total.clone(), "area {}", area);
                let expected_disputes = recs
                    .iter()
                    .filter(|r| {
                        r.kind == "dispute" && !r.deleted && r.occurred_at >= NOW - 30 * DAY
                    })
                    .filter(|r| area.is_empty() || gridmate_domain::area_covers(area, &r.grid))
                    .count();
                prop_assert_eq!(total["disputes"].as_u64(), Some(expected_disputes as u64));
                let by_status: u64 = s["disputes_by_status"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|b| b["count"].as_u64().unwrap())
                    .sum();
                prop_assert_eq!(by_status, expected_disputes as u64);
            }
            Ok(())
        })
        .unwrap();
}

#[tokio::test]
async fn supervision_counts_every_case_but_lists_fifty_per_assignee() {
    let e = env();
    add_user(&e.db, "zhao", Role::Dispatcher, ZD);
    let recs: Vec<Rec> = (0..51)
        .map(|i| Rec {
            due_at: Some(NOW - i64::from(i + 1) * 1000),
            assignee_user: Some("li.lawyer"),
            ..dispute(&g("01"), "in_progress", "family")
        })
        .collect();
    insert_all(&e.db, &recs);
    let cookie = sign_in(&e.app, "zhao").await;
    let v = get_ok(&e.app, &cookie, "/v1/console/supervision").await;
    let li = &v["units"][0]["assignees"][0];
    assert_eq!(
        (li["total"].as_u64(), li["overdue"].as_u64()),
        (Some(51), Some(51))
    );
    assert_eq!(li["truncated"], true);
    let cases = li["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 50);
    assert_eq!(cases[0]["due_at"], NOW - 51_000, "the most overdue first");
}

//! The admin console and the console's shared endpoints against a real `gridmate-server`.
//!
//! `dispatchers_are_refused_every_admin_endpoint`: 403 `forbidden` on each admin route, nothing
//! changed. `admins_manage_users_within_their_scope`: add, list, change role / legal role /
//! scope / unit / display name, disable and enable, reset a password (the app's device is
//! signed out), with the CLI's checks as typed field errors that change nothing, users outside
//! the admin's scope `not_found`, and an audit row per change without the password.
//! `devices_areas_units_and_deadlines`: device list and revoke (the phone is then refused),
//! areas and units added and renamed, the deadline table in force.
//! `boundaries_are_checked_stored_and_cut_to_the_scope`: GeoJSON import with its refusals, and
//! `GET /v1/console/map/boundaries` for a dispatcher. `the_areas_tree_units_and_assignable_users`:
//! `GET /v1/console/areas`. `config_and_the_ui_files`: `GET /v1/console/config` with and without
//! `--map-tiles`, `/console/` (the built UI or the 503 page) with its security headers.
#![allow(clippy::unwrap_used)]

use gridmate_system_tests::console::{Answer, Console, refused};
use gridmate_system_tests::{Device, PASSWORD, Server, bin};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn started(extra: &[&str]) -> Server {
    let s = gridmate_test_harness::Server::try_start(&bin("gridmate-server"), None, extra).unwrap();
    let s = Server(s);
    s.add_user("boss", "admin", "jingkou", None);
    s.add_user("town.admin", "admin", "jingkou-zhengdonglu", None);
    s.add_user("zhao", "dispatcher", "jingkou-zhengdonglu", None);
    s.add_user("qian", "dispatcher", "jingkou-jianshelu", None);
    s.add_user("wang", "grid_worker", "jingkou-zhengdonglu-03", None);
    s.add_user(
        "li",
        "legal_volunteer",
        "jingkou-zhengdonglu-03",
        Some("lawyer"),
    );
    s.add_user("far", "grid_worker", "dantu-01", None);
    for (id, level, name) in [
        ("jingkou", "county", "京口区"),
        ("jingkou-zhengdonglu", "township", "正东路街道"),
        ("jingkou-zhengdonglu-01", "grid", "正东路 01 网格"),
        ("jingkou-zhengdonglu-03", "grid", "正东路 03 网格"),
        ("jingkou-jianshelu", "township", "建设路街道"),
        ("jingkou-jianshelu-01", "grid", "建设路 01 网格"),
    ] {
        s.admin(&["area", "add", id, "--name", name, "--level", level], None);
    }
    s.admin(
        &[
            "unit",
            "add",
            "jingkou-zhengdonglu-sfs",
            "--name",
            "正东路司法所",
        ],
        None,
    );
    s
}

fn field_error(a: &Answer, code: &str, field: &str) {
    refused(a, 400, code);
    assert_eq!(a.body["field"], field, "{:?}", a.body);
}

fn user<'a>(list: &'a Value, name: &str) -> Option<&'a Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == name)
}

fn square(x: f64, y: f64) -> Value {
    json!([[
        [x, y],
        [x + 0.01, y],
        [x + 0.01, y + 0.01],
        [x, y + 0.01],
        [x, y]
    ]])
}

fn polygon_feature(x: f64, y: f64) -> Value {
    json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square(x, y)}})
}

#[tokio::test]
async fn dispatchers_are_refused_every_admin_endpoint() {
    let server = started(&[]);
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let tries = [
        (Method::GET, "/v1/console/admin/users", None),
        (
            Method::POST,
            "/v1/console/admin/users",
            Some(
                json!({"name": "x.y", "role": "admin", "scope": ["jingkou"], "password": "long-password"}),
            ),
        ),
        (
            Method::PATCH,
            "/v1/console/admin/users/wang",
            Some(json!({"disabled": true})),
        ),
        (
            Method::POST,
            "/v1/console/admin/users/wang/password",
            Some(json!({"password": "long-password"})),
        ),
        (Method::GET, "/v1/console/admin/devices", None),
        (
            Method::POST,
            "/v1/console/admin/devices/0190b5d6-0000-7000-8000-000000000001/revoke",
            None,
        ),
        (Method::GET, "/v1/console/admin/areas", None),
        (
            Method::POST,
            "/v1/console/admin/areas",
            Some(json!({"id": "jingkou-zhengdonglu-09", "name": "九", "level": "grid"})),
        ),
        (
            Method::PATCH,
            "/v1/console/admin/areas/jingkou-zhengdonglu",
            Some(json!({"name": "改"})),
        ),
        (
            Method::PUT,
            "/v1/console/admin/areas/jingkou-zhengdonglu/boundary",
            Some(polygon_feature(119.4, 32.2)),
        ),
        (Method::GET, "/v1/console/admin/units", None),
        (
            Method::POST,
            "/v1/console/admin/units",
            Some(json!({"id": "u-1", "name": "单位"})),
        ),
        (
            Method::PATCH,
            "/v1/console/admin/units/jingkou-zhengdonglu-sfs",
            Some(json!({"name": "改"})),
        ),
        (Method::GET, "/v1/console/admin/deadlines", None),
        (Method::GET, "/v1/console/admin/audit", None),
    ];
    for (m, path, body) in tries {
        refused(&zhao.send(m, path, body, true).await, 403, "forbidden");
    }
    let boss = Console::sign_in(&server.url, "boss").await;
    assert_eq!(boss.get("/v1/console/admin/audit").await.body, json!([]));
    assert_eq!(
        user(&boss.get("/v1/console/admin/users").await.body, "wang").unwrap()["disabled"],
        false
    );
    let b = zhao.get("/v1/console/map/boundaries").await;
    assert_eq!(b.body["features"], json!([]), "nothing stored");
}

#[tokio::test]
async fn admins_manage_users_within_their_scope() {
    let server = started(&[]);
    let boss = Console::sign_in(&server.url, "boss").await;
    let town = Console::sign_in(&server.url, "town.admin").await;
    let list = boss.get("/v1/console/admin/users?page_size=100").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.body["total"], 6,
        "far (dantu) is not boss's: {:?}",
        list.body
    );
    assert!(user(&list.body, "far").is_none());
    assert!(
        !list.body.to_string().contains("argon2"),
        "no password data"
    );
    let mine = town.get("/v1/console/admin/users").await.body;
    let names: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["li", "town.admin", "wang", "zhao"]);

    // Adding: the CLI's checks, as field errors that add nothing.
    let base = json!({"user": "Sun.Li", "display_name": "孙丽", "role": "legal_volunteer", "legal_role": "judge",
                      "scope": ["jingkou-zhengdonglu-01"], "unit": "jingkou-zhengdonglu-sfs", "password": PASSWORD});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let bad = [
        (with("user", json!("孙丽")), "invalid_user_name", "user"),
        (with("role", json!("mayor")), "invalid_role", "role"),
        (
            with("legal_role", Value::Null),
            "legal_role_required",
            "legal_role",
        ),
        (
            with("legal_role", json!("sheriff")),
            "invalid_legal_role",
            "legal_role",
        ),
        (with("scope", json!([])), "empty_scope", "scope"),
        (
            with("scope", json!(["Bad Area"])),
            "invalid_area",
            "scope[0]",
        ),
        (with("unit", json!("nope-unit")), "unknown_unit", "unit"),
        (
            with("password", json!("short")),
            "bad_password_length",
            "password",
        ),
        (
            with("display_name", json!("孙\u{202e}丽")),
            "invalid_characters",
            "display_name",
        ),
        (with("user", json!("zhao")), "user_exists", "user"),
    ];
    for (body, code, field) in bad {
        field_error(
            &boss.post("/v1/console/admin/users", body).await,
            code,
            field,
        );
    }
    let gw = json!({"user": "x.y", "role": "grid_worker", "legal_role": "judge", "scope": ["jingkou-zhengdonglu-01"], "password": "long-password"});
    field_error(
        &boss.post("/v1/console/admin/users", gw).await,
        "legal_role_not_allowed",
        "legal_role",
    );
    field_error(
        &town
            .post("/v1/console/admin/users", with("scope", json!(["jingkou"])))
            .await,
        "outside_scope",
        "scope[0]",
    );
    assert_eq!(
        boss.get("/v1/console/admin/users?page_size=100").await.body["total"],
        6,
        "nothing added"
    );

    let added = boss.post("/v1/console/admin/users", base.clone()).await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    assert_eq!(added.body["user"], "sun.li");
    assert!(added.body["created_at"].is_i64());
    assert_eq!(added.body["legal_role"], "judge");
    assert_eq!(added.body["unit"], "jingkou-zhengdonglu-sfs");
    assert!(added.body.get("password").is_none() && added.body.get("password_hash").is_none());
    let sun = Device::login(&server.url, "sun.li").await.unwrap();
    sun.sync().await.unwrap();

    // Changes.
    let p = boss.patch("/v1/console/admin/users/sun.li", json!({"role": "grid_worker", "legal_role": null, "unit": null, "display_name": "孙 丽", "scope": ["jingkou-zhengdonglu-03"]})).await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    assert_eq!(
        (
            p.body["role"].as_str(),
            &p.body["legal_role"],
            &p.body["unit"]
        ),
        (Some("grid_worker"), &Value::Null, &Value::Null)
    );
    assert_eq!(p.body["scope"], json!(["jingkou-zhengdonglu-03"]));
    field_error(
        &boss
            .patch(
                "/v1/console/admin/users/sun.li",
                json!({"role": "legal_volunteer"}),
            )
            .await,
        "legal_role_required",
        "legal_role",
    );
    field_error(
        &boss
            .patch(
                "/v1/console/admin/users/sun.li",
                json!({"legal_role": "lawyer"}),
            )
            .await,
        "legal_role_not_allowed",
        "legal_role",
    );
    field_error(
        &town
            .patch(
                "/v1/console/admin/users/sun.li",
                json!({"scope": ["jingkou-jianshelu"]}),
            )
            .await,
        "outside_scope",
        "scope[0]",
    );
    field_error(
        &boss
            .patch(
                "/v1/console/admin/users/sun.li",
                json!({"unit": "nope-unit"}),
            )
            .await,
        "unknown_unit",
        "unit",
    );
    field_error(
        &boss
            .patch(
                "/v1/console/admin/users/boss",
                json!({"role": "dispatcher"}),
            )
            .await,
        "self_change_refused",
        "role",
    );
    let after = user(
        &boss.get("/v1/console/admin/users?page_size=100").await.body,
        "sun.li",
    )
    .unwrap()
    .clone();
    assert_eq!(
        after["role"], "grid_worker",
        "refused patches changed nothing"
    );
    assert_eq!(after["scope"], json!(["jingkou-zhengdonglu-03"]));
    refused(
        &town
            .patch(
                "/v1/console/admin/users/qian",
                json!({"display_name": "钱"}),
            )
            .await,
        404,
        "not_found",
    );
    refused(
        &town
            .post(
                "/v1/console/admin/users/qian/password",
                json!({"password": "long-password"}),
            )
            .await,
        404,
        "not_found",
    );
    refused(
        &boss
            .patch("/v1/console/admin/users/nobody", json!({"disabled": true}))
            .await,
        404,
        "not_found",
    );

    // Disabling refuses the phone; a new password signs it out.
    assert_eq!(
        boss.patch("/v1/console/admin/users/sun.li", json!({"disabled": true}))
            .await
            .body["disabled"],
        true
    );
    assert!(
        sun.sync().await.is_err(),
        "a disabled user's phone is refused"
    );
    assert_eq!(
        boss.patch("/v1/console/admin/users/sun.li", json!({"disabled": false}))
            .await
            .body["disabled"],
        false
    );
    sun.sync().await.unwrap();
    field_error(
        &boss
            .post(
                "/v1/console/admin/users/sun.li/password",
                json!({"password": "short"}),
            )
            .await,
        "bad_password_length",
        "password",
    );
    sun.sync().await.unwrap();
    let reset = boss
        .post(
            "/v1/console/admin/users/sun.li/password",
            json!({"password": "brand-new-password"}),
        )
        .await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT);
    assert!(sun.sync().await.is_err(), "signed out by the new password");

    let audit = boss.get("/v1/console/admin/audit").await.body;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "user.password",
            "user.update",
            "user.update",
            "user.update",
            "user.add"
        ]
    );
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["target"] == "user:sun.li" && r["at"].is_i64())
    );
    let text = audit.to_string();
    assert!(!text.contains("brand-new-password") && !text.contains(PASSWORD));

    // A password in a patch works like the password route; the old session ends.
    let z = Console::sign_in(&server.url, "zhao").await;
    field_error(
        &boss
            .patch(
                "/v1/console/admin/users/zhao",
                json!({"password": "short", "display_name": "赵"}),
            )
            .await,
        "bad_password_length",
        "password",
    );
    assert_eq!(
        z.get("/v1/console/session").await.status,
        StatusCode::OK,
        "a refused patch ends nothing"
    );
    let p = boss
        .patch(
            "/v1/console/admin/users/zhao",
            json!({"password": "zhao-new-password"}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
    assert_eq!(
        p.body["display_name"],
        Value::Null,
        "the refused patch changed nothing"
    );
    refused(&z.get("/v1/console/session").await, 401, "unauthorized");
    assert!(
        Console::try_sign_in(&server.url, "zhao", "zhao-new-password")
            .await
            .is_ok()
    );
    // An account may be created disabled.
    let off = json!({"user": "off.one", "role": "grid_worker", "scope": ["jingkou-zhengdonglu-01"], "password": PASSWORD, "disabled": true});
    let a = boss.post("/v1/console/admin/users", off).await;
    assert_eq!(
        (a.status, &a.body["disabled"]),
        (StatusCode::CREATED, &json!(true))
    );
    assert!(Device::login(&server.url, "off.one").await.is_err());
}

#[tokio::test]
async fn devices_areas_units_and_deadlines() {
    let server = started(&[]);
    let boss = Console::sign_in(&server.url, "boss").await;
    let town = Console::sign_in(&server.url, "town.admin").await;
    let wang = Device::login(&server.url, "wang").await.unwrap();
    let _far = Device::login(&server.url, "far").await.unwrap();
    let devices = boss.get("/v1/console/admin/devices").await.body;
    assert_eq!(
        devices["total"], 1,
        "far's device is outside boss's scope: {devices:?}"
    );
    let id = devices["items"][0]["device_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(devices["items"][0]["user"], "wang");
    assert_eq!(devices["items"][0]["revoked"], false);
    assert!(devices["items"][0]["registered_at"].is_i64());
    assert_eq!(
        boss.get("/v1/console/admin/devices?user=wang").await.body["total"],
        1
    );
    refused(
        &boss.get("/v1/console/admin/devices?user=far").await,
        404,
        "not_found",
    );
    refused(
        &boss
            .post("/v1/console/admin/devices/not-a-uuid/revoke", json!({}))
            .await,
        404,
        "not_found",
    );
    let revoked = boss
        .post(&format!("/v1/console/admin/devices/{id}/revoke"), json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT, "{:?}", revoked.body);
    assert!(wang.sync().await.is_err(), "a revoked phone is refused");
    let after = boss.get("/v1/console/admin/devices").await.body;
    assert!(after["items"][0]["revoked_at"].is_i64());
    assert_eq!(after["items"][0]["revoked"], true);

    // Areas.
    let areas = town.get("/v1/console/admin/areas").await.body;
    let ids: Vec<&str> = areas
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "jingkou-zhengdonglu",
            "jingkou-zhengdonglu-01",
            "jingkou-zhengdonglu-03"
        ]
    );
    let new = json!({"id": "jingkou-zhengdonglu-05", "name": "正东路 05 网格", "level": "grid"});
    assert_eq!(
        town.post("/v1/console/admin/areas", new.clone())
            .await
            .status,
        StatusCode::CREATED
    );
    field_error(
        &town.post("/v1/console/admin/areas", new).await,
        "area_exists",
        "id",
    );
    field_error(
        &town
            .post(
                "/v1/console/admin/areas",
                json!({"id": "jingkou-x", "name": "x", "level": "grid"}),
            )
            .await,
        "outside_scope",
        "id",
    );
    field_error(
        &town
            .post(
                "/v1/console/admin/areas",
                json!({"id": "Bad Id", "name": "x", "level": "grid"}),
            )
            .await,
        "invalid_id",
        "id",
    );
    field_error(
        &town
            .post(
                "/v1/console/admin/areas",
                json!({"id": "jingkou-zhengdonglu-06", "name": "x\u{200b}", "level": "grid"}),
            )
            .await,
        "invalid_name",
        "name",
    );
    field_error(
        &town
            .post(
                "/v1/console/admin/areas",
                json!({"id": "jingkou-zhengdonglu-06", "name": "x", "level": "planet"}),
            )
            .await,
        "invalid_level",
        "level",
    );
    let renamed = town
        .patch(
            "/v1/console/admin/areas/jingkou-zhengdonglu-05",
            json!({"name": "正东路第五网格"}),
        )
        .await;
    assert_eq!(
        (
            renamed.body["name"].as_str(),
            renamed.body["level"].as_str()
        ),
        (Some("正东路第五网格"), Some("grid"))
    );
    refused(
        &town
            .patch(
                "/v1/console/admin/areas/jingkou-jianshelu",
                json!({"name": "x"}),
            )
            .await,
        404,
        "not_found",
    );
    let cli = server.admin(&["area", "list", "--json"], None);
    assert!(cli.contains("正东路第五网格") && !cli.contains("jingkou-zhengdonglu-06"));

    // Units.
    let u = town
        .post(
            "/v1/console/admin/units",
            json!({"id": "jingkou-zhengdonglu-pcs", "name": "正东路派出所"}),
        )
        .await;
    assert_eq!(u.status, StatusCode::CREATED);
    field_error(
        &town
            .post(
                "/v1/console/admin/units",
                json!({"id": "jingkou-zhengdonglu-pcs", "name": "x"}),
            )
            .await,
        "unit_exists",
        "id",
    );
    field_error(
        &town
            .post(
                "/v1/console/admin/units",
                json!({"id": "-bad", "name": "x"}),
            )
            .await,
        "invalid_id",
        "id",
    );
    let r = town
        .patch(
            "/v1/console/admin/units/jingkou-zhengdonglu-pcs",
            json!({"name": "正东路派出所（新）"}),
        )
        .await;
    assert_eq!(r.body["name"], "正东路派出所（新）");
    refused(
        &town
            .patch("/v1/console/admin/units/nope", json!({"name": "x"}))
            .await,
        404,
        "not_found",
    );
    // PUT adds or changes areas and units.
    let put = town
        .put(
            "/v1/console/admin/areas/jingkou-zhengdonglu-07",
            json!({"name": "七", "level": "grid"}),
        )
        .await;
    assert_eq!(
        (put.status, put.body["level"].as_str()),
        (StatusCode::OK, Some("grid"))
    );
    let put = town
        .put(
            "/v1/console/admin/areas/jingkou-zhengdonglu-07",
            json!({"name": "正东路 07 网格"}),
        )
        .await;
    assert_eq!(
        (put.body["name"].as_str(), put.body["level"].as_str()),
        (Some("正东路 07 网格"), Some("grid"))
    );
    field_error(
        &town
            .put(
                "/v1/console/admin/areas/jingkou-zhengdonglu-08",
                json!({"name": "八"}),
            )
            .await,
        "invalid_level",
        "level",
    );
    field_error(
        &town
            .put(
                "/v1/console/admin/areas/jingkou-jianshelu-09",
                json!({"name": "九", "level": "grid"}),
            )
            .await,
        "outside_scope",
        "id",
    );
    let put = town
        .put(
            "/v1/console/admin/units/jingkou-zhengdonglu-cg",
            json!({"name": "城管中队"}),
        )
        .await;
    assert_eq!(
        put.body,
        json!({"id": "jingkou-zhengdonglu-cg", "name": "城管中队"})
    );
    field_error(
        &town
            .put(
                "/v1/console/admin/units/jingkou-zhengdonglu-cg",
                json!({"name": ""}),
            )
            .await,
        "invalid_name",
        "name",
    );
    let units = boss.get("/v1/console/admin/units").await.body;
    assert_eq!(units.as_array().unwrap().len(), 3);

    // The deadline table in force.
    let d = boss.get("/v1/console/admin/deadlines").await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(
        d.body.is_object() && !d.body.as_object().unwrap().is_empty(),
        "{:?}",
        d.body
    );

    let audit = boss.get("/v1/console/admin/audit").await.body;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "unit.add",
            "area.update",
            "area.add",
            "unit.update",
            "unit.add",
            "area.update",
            "area.add",
            "device.revoke"
        ]
    );
}

#[tokio::test]
async fn boundaries_are_checked_stored_and_cut_to_the_scope() {
    let server = started(&[]);
    let boss = Console::sign_in(&server.url, "boss").await;
    let path = |id: &str| format!("/v1/console/admin/areas/{id}/boundary");
    let fc = json!({"type": "FeatureCollection", "features": [polygon_feature(119.45, 32.2),
        {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [square(119.47, 32.2)]}}]});
    assert_eq!(
        boss.put(&path("jingkou-zhengdonglu-03"), fc).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        boss.put(
            &path("jingkou-zhengdonglu-01"),
            polygon_feature(119.43, 32.2)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        boss.put(&path("jingkou-jianshelu-01"), polygon_feature(119.5, 32.2))
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    let open = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[119.0, 32.0], [119.1, 32.0], [119.1, 32.1], [119.0, 32.1]]]}});
    let far = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[119.0, 32.0], [119.1, 95.0], [119.1, 32.1], [119.0, 32.0]]]}});
    let point =
        json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [119.0, 32.0]}});
    let mut many: Vec<Value> = (0..10_001)
        .map(|i| json!([119.0 + f64::from(i) * 1e-6, 32.0]))
        .collect();
    many.push(json!([119.0, 32.0]));
    let big = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [many]}});
    let cases = [
        (open, "ring_not_closed", "geometry.coordinates[0]"),
        (far, "coordinate_out_of_range", "geometry.coordinates[0][1]"),
        (point, "unsupported_geometry", "geometry.type"),
        (json!({"type": "Topology"}), "invalid_geojson", "type"),
        (big, "too_many_points", "geometry.coordinates[0]"),
    ];
    for (body, code, field) in cases {
        field_error(
            &boss.put(&path("jingkou-zhengdonglu-03"), body).await,
            code,
            field,
        );
    }
    let huge = json!({"type": "Feature", "properties": {"pad": "x".repeat(1024 * 1024)}, "geometry": {"type": "Polygon", "coordinates": square(1.0, 1.0)}});
    refused(
        &boss.put(&path("jingkou-zhengdonglu-03"), huge).await,
        413,
        "payload_too_large",
    );
    refused(
        &boss
            .put(&path("jingkou-nowhere"), polygon_feature(1.0, 1.0))
            .await,
        404,
        "not_found",
    );
    let town = Console::sign_in(&server.url, "town.admin").await;
    refused(
        &town
            .put(&path("jingkou-jianshelu-01"), polygon_feature(1.0, 1.0))
            .await,
        404,
        "not_found",
    );

    // A township dispatcher sees the boundaries of their township only, with names and levels.
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let all = zhao.get("/v1/console/map/boundaries").await.body;
    assert_eq!(all["type"], "FeatureCollection");
    let ids: Vec<&str> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["jingkou-zhengdonglu-01", "jingkou-zhengdonglu-03"]);
    let f03 = &all["features"][1];
    assert_eq!(
        f03["properties"],
        json!({"id": "jingkou-zhengdonglu-03", "name": "正东路 03 网格", "level": "grid"})
    );
    assert_eq!(f03["geometry"]["type"], "MultiPolygon");
    assert_eq!(
        f03["geometry"]["coordinates"].as_array().unwrap().len(),
        2,
        "unchanged by the refused imports"
    );
    let one = zhao
        .get("/v1/console/map/boundaries?area=jingkou-zhengdonglu-01")
        .await
        .body;
    assert_eq!(one["features"].as_array().unwrap().len(), 1);
    let county = zhao
        .get("/v1/console/map/boundaries?area=jingkou")
        .await
        .body;
    assert_eq!(
        county["features"].as_array().unwrap().len(),
        2,
        "still only the township's"
    );
    let other = zhao
        .get("/v1/console/map/boundaries?area=jingkou-jianshelu")
        .await
        .body;
    assert_eq!(other["features"], json!([]));
    field_error(
        &zhao.get("/v1/console/map/boundaries?area=Bad%20Id").await,
        "invalid_area",
        "area",
    );
    let qian = Console::sign_in(&server.url, "qian").await;
    let theirs = qian.get("/v1/console/map/boundaries").await.body;
    assert_eq!(
        theirs["features"][0]["properties"]["id"],
        "jingkou-jianshelu-01"
    );

    let listed = boss.get("/v1/console/admin/areas").await.body;
    let outlined: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["has_boundary"] == true)
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        outlined,
        [
            "jingkou-jianshelu-01",
            "jingkou-zhengdonglu-01",
            "jingkou-zhengdonglu-03"
        ]
    );
    assert_eq!(
        boss.delete(&path("jingkou-zhengdonglu-01")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        zhao.get("/v1/console/map/boundaries").await.body["features"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_areas_tree_units_and_assignable_users() {
    let server = started(&[]);
    server.admin(
        &[
            "user",
            "add",
            "sfs.zhou",
            "--role",
            "legal_volunteer",
            "--legal-role",
            "lawyer",
            "--scope",
            "jingkou-jianshelu",
            "--unit",
            "jingkou-zhengdonglu-sfs",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    server.add_user("gone", "grid_worker", "jingkou-zhengdonglu-01", None);
    server.admin(&["user", "disable", "gone"], None);
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let a = zhao.get("/v1/console/areas").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["areas"].as_array().unwrap().len(), 1);
    let town = &a.body["areas"][0];
    assert_eq!(
        (
            town["id"].as_str(),
            town["name"].as_str(),
            town["level"].as_str()
        ),
        (
            Some("jingkou-zhengdonglu"),
            Some("正东路街道"),
            Some("township")
        )
    );
    let grids: Vec<&str> = town["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(grids, ["jingkou-zhengdonglu-01", "jingkou-zhengdonglu-03"]);
    assert_eq!(
        a.body["units"],
        json!([{"id": "jingkou-zhengdonglu-sfs", "name": "正东路司法所"}])
    );
    let users: Vec<&str> = a.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        ["li", "sfs.zhou", "wang", "zhao"],
        "no admins, no other township's, no disabled"
    );
    let li = a.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == "li")
        .unwrap();
    assert_eq!(
        (li["role"].as_str(), li["legal_role"].as_str()),
        (Some("legal_volunteer"), Some("lawyer"))
    );
    assert!(!a.body.to_string().contains("argon2"));
    let boss = Console::sign_in(&server.url, "boss").await;
    let county = boss.get("/v1/console/areas").await.body;
    assert_eq!(county["areas"][0]["id"], "jingkou");
    assert_eq!(county["areas"][0]["children"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn config_and_the_ui_files() {
    let plain = started(&[]);
    let zhao = Console::sign_in(&plain.url, "zhao").await;
    assert_eq!(
        zhao.get("/v1/console/config").await.body,
        json!({"tiles_url": null, "tiles_attribution": null})
    );
    let anon = Console {
        cookie: String::new(),
        ..zhao.clone()
    };
    refused(&anon.get("/v1/console/config").await, 401, "unauthorized");

    let tiles = "https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=operator-key";
    let mapped = started(&["--map-tiles", tiles, "--map-tiles-attribution", "天地图"]);
    let zhao = Console::sign_in(&mapped.url, "zhao").await;
    assert_eq!(
        zhao.get("/v1/console/config").await.body,
        json!({"tiles_url": tiles, "tiles_attribution": "天地图"})
    );
    let http = gridmate_system_tests::http()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{}/console/", mapped.url))
        .send()
        .await
        .unwrap();
    let h = page.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        csp.contains("img-src 'self' data: blob: https://*.tianditu.gov.cn;"),
        "{csp}"
    );
    assert!(
        csp.contains("style-src 'self' 'unsafe-inline'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("operator-key"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let status = page.status();
    let text = page.text().await.unwrap();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // Built without console/dist: the page says how to build it.
        assert!(text.contains("npm --prefix console ci &amp;&amp; npm --prefix console run build"));
    } else {
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["cache-control"], "no-cache");
        let deep = http
            .get(format!("{}/console/cases/some-case", mapped.url))
            .send()
            .await
            .unwrap();
        assert_eq!(
            deep.status(),
            StatusCode::OK,
            "the UI's router owns unknown paths"
        );
        assert_eq!(deep.text().await.unwrap(), text);
        let gone = http
            .get(format!("{}/console/assets/missing-0000.js", mapped.url))
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    }
    let root = http.get(format!("{}/", mapped.url)).send().await.unwrap();
    assert!(root.status().is_redirection());
    assert_eq!(root.headers()["location"], "/console/");
    let plain_csp = http
        .get(format!("{}/console/", plain.url))
        .send()
        .await
        .unwrap();
    let plain_csp = plain_csp.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        plain_csp.contains("img-src 'self' data: blob:;"),
        "{plain_csp}"
    );
    let refused_start = gridmate_test_harness::Server::try_start(
        &bin("gridmate-server"),
        None,
        &["--map-tiles", "ftp://x/{z}/{x}/{y}"],
    );
    assert!(
        refused_start.is_err(),
        "a bad tile template stops the server before it listens"
    );
}

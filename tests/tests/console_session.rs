//! Console sessions against a real `gridmate-server` process.
//!
//! `dispatchers_and_admins_sign_in_with_a_strict_cookie`: the cookie is HttpOnly, SameSite=Strict,
//! Path=/ and (plain http) not Secure; `GET /v1/console/session` gives the CSRF token back;
//! `DELETE` ends the session at the server (the old cookie then gets 401).
//! `phone_roles_are_refused_only_with_the_right_password`: grid workers and legal volunteers get
//! 403 `console_role_refused` with the right password, 401 `invalid_credentials` with a wrong one,
//! exactly like an unknown user.
//! `sign_in_shares_the_apps_throttle`: failures on the app's login and the console's count
//! together per (user, address) and per address (`too_many_attempts` with Retry-After), and a
//! third party at another address cannot lock the user out (addresses through
//! `--trust-forwarded-for`).
//! `unsafe_requests_need_the_csrf_header`: POST, PATCH, PUT and DELETE without the header or
//! with a wrong one are 403 `csrf_failed` and change nothing.
//! `app_tokens_and_console_cookies_do_not_cross`: the app's bearer token is no console session,
//! the console cookie (and its token as a bearer) opens no app route.
#![allow(clippy::unwrap_used)]

use gridmate_system_tests::console::{Answer, Console, refused};
use gridmate_system_tests::{Device, PASSWORD, Server, bin};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn started(extra: &[&str]) -> Server {
    let s = gridmate_test_harness::Server::try_start(&bin("gridmate-server"), None, extra).unwrap();
    let s = Server(s);
    s.add_user("zhao", "dispatcher", "jingkou-zhengdonglu", None);
    s.add_user("boss", "admin", "jingkou", None);
    s.add_user("wang", "grid_worker", "jingkou-zhengdonglu-03", None);
    s.add_user(
        "li",
        "legal_volunteer",
        "jingkou-zhengdonglu-03",
        Some("lawyer"),
    );
    s
}

/// A console sign-in from `addr` (an `X-Forwarded-For` the server trusts when told to).
async fn sign_in_from(url: &str, user: &str, password: &str, addr: &str) -> Answer {
    let res = gridmate_system_tests::http()
        .build()
        .unwrap()
        .post(format!("{url}/v1/console/session"))
        .header("x-forwarded-for", addr)
        .json(&json!({"user": user, "password": password}))
        .send()
        .await
        .unwrap();
    answer(res).await
}

/// An app login from `addr`.
async fn app_login_from(url: &str, user: &str, password: &str, addr: &str) -> Answer {
    let res = gridmate_system_tests::http()
        .build()
        .unwrap()
        .post(format!("{url}/v1/login"))
        .header("x-forwarded-for", addr)
        .json(&json!({"user": user, "password": password,
                      "device_id": "0190b5d6-0000-7000-8000-00000000000a", "device_name": "测试"}))
        .send()
        .await
        .unwrap();
    answer(res).await
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        body,
        headers,
    }
}

#[tokio::test]
async fn dispatchers_and_admins_sign_in_with_a_strict_cookie() {
    let server = started(&[]);
    let res = gridmate_system_tests::http()
        .build()
        .unwrap()
        .post(format!("{}/v1/console/session", server.url))
        .json(&json!({"user": "Zhao", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    let attrs: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert!(attrs[0].starts_with("gm_console=gm1_"), "{cookie}");
    for a in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attrs.contains(&a), "{a} missing from {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["user"], "zhao");
    assert_eq!(body["role"], "dispatcher");
    assert_eq!(body["scope"], json!(["jingkou-zhengdonglu"]));
    assert!(body.get("password").is_none() && body.get("token").is_none());

    let zhao = Console::sign_in(&server.url, "zhao").await;
    let me = zhao.get("/v1/console/session").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["csrf"].as_str(), Some(zhao.csrf.as_str()));
    assert!(zhao.csrf.len() >= 40);
    let boss = Console::sign_in(&server.url, "boss").await;
    assert_eq!(boss.get("/v1/console/session").await.body["role"], "admin");
    assert_ne!(boss.csrf, zhao.csrf);

    let out = zhao.delete("/v1/console/session").await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let cleared = out.headers["set-cookie"].to_str().unwrap();
    assert!(
        cleared.starts_with("gm_console=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    refused(&zhao.get("/v1/console/session").await, 401, "unauthorized");
    refused(&zhao.get("/v1/console/areas").await, 401, "unauthorized");
    assert_eq!(
        boss.get("/v1/console/session").await.status,
        StatusCode::OK,
        "other sessions live on"
    );
    let none = Console {
        cookie: String::new(),
        ..boss.clone()
    };
    refused(&none.get("/v1/console/session").await, 401, "unauthorized");
    let forged = Console {
        cookie: format!("gm_console=gm1_{}", "A".repeat(43)),
        ..boss
    };
    refused(
        &forged.get("/v1/console/session").await,
        401,
        "unauthorized",
    );
}

#[tokio::test]
async fn phone_roles_are_refused_only_with_the_right_password() {
    let server = started(&[]);
    for user in ["wang", "li"] {
        let a = Console::try_sign_in(&server.url, user, PASSWORD)
            .await
            .unwrap_err();
        refused(&a, 403, "console_role_refused");
        assert!(
            a.headers.get("set-cookie").is_none(),
            "no session for {user}"
        );
        assert!(
            a.body["message"]["zh-CN"]
                .as_str()
                .unwrap()
                .contains("控制台")
        );
        let a = Console::try_sign_in(&server.url, user, "wrong-password")
            .await
            .unwrap_err();
        refused(&a, 401, "invalid_credentials");
    }
    let unknown = Console::try_sign_in(&server.url, "nobody", PASSWORD)
        .await
        .unwrap_err();
    let wrong = Console::try_sign_in(&server.url, "zhao", "wrong-password")
        .await
        .unwrap_err();
    assert_eq!(
        unknown.body, wrong.body,
        "an unknown user looks like a wrong password"
    );
    refused(&unknown, 401, "invalid_credentials");
    server.admin(&["user", "disable", "zhao"], None);
    let a = Console::try_sign_in(&server.url, "zhao", PASSWORD)
        .await
        .unwrap_err();
    refused(&a, 403, "user_disabled");
}

#[tokio::test]
async fn sign_in_shares_the_apps_throttle() {
    // Long windows, so no block runs out while the test runs.
    let server = started(&["--trust-forwarded-for", "--login-block-secs", "900"]);
    let url = &server.url;
    // Four wrong passwords on the app, one on the console: the (user, address) key is shared.
    for _ in 0..4 {
        refused(
            &app_login_from(url, "zhao", "wrong-password", "10.0.0.1").await,
            401,
            "invalid_credentials",
        );
    }
    refused(
        &sign_in_from(url, "zhao", "wrong-password", "10.0.0.1").await,
        401,
        "invalid_credentials",
    );
    let blocked = sign_in_from(url, "zhao", PASSWORD, "10.0.0.1").await;
    refused(&blocked, 429, "too_many_attempts");
    let retry: u64 = blocked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry));
    refused(
        &app_login_from(url, "zhao", PASSWORD, "10.0.0.1").await,
        429,
        "too_many_attempts",
    );
    // A third party elsewhere, failing as zhao many times, blocks only itself.
    for _ in 0..8 {
        let a = sign_in_from(url, "zhao", "guess-guess", "192.168.7.7").await;
        assert!(
            matches!(a.code(), "invalid_credentials" | "too_many_attempts"),
            "{:?}",
            a.body
        );
    }
    refused(
        &sign_in_from(url, "zhao", PASSWORD, "192.168.7.7").await,
        429,
        "too_many_attempts",
    );
    let ok = sign_in_from(url, "zhao", PASSWORD, "10.0.0.2").await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    // The address key: 20 failures from one address, over any names, block it for everyone.
    for i in 0..20 {
        let a = sign_in_from(url, &format!("someone{i}"), "wrong-password", "10.9.9.9").await;
        assert_eq!(a.code(), "invalid_credentials");
    }
    refused(
        &sign_in_from(url, "boss", PASSWORD, "10.9.9.9").await,
        429,
        "too_many_attempts",
    );
    assert_eq!(
        sign_in_from(url, "boss", PASSWORD, "10.9.9.10")
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unsafe_requests_need_the_csrf_header() {
    let server = started(&[]);
    let boss = Console::sign_in(&server.url, "boss").await;
    let wrong = Console {
        csrf: "gm1_not-the-token".into(),
        ..boss.clone()
    };
    let unit = json!({"id": "jingkou-zhengdonglu-sfs", "name": "正东路司法所"});
    let area = json!({"id": "jingkou-zhengdonglu", "name": "正东路街道", "level": "township"});
    for c in [&boss, &wrong] {
        let send_csrf = std::ptr::eq(c, &wrong);
        let tries = [
            (Method::POST, "/v1/console/admin/units", Some(unit.clone())),
            (Method::POST, "/v1/console/admin/areas", Some(area.clone())),
            (
                Method::PATCH,
                "/v1/console/admin/users/zhao",
                Some(json!({"display_name": "改"})),
            ),
            (
                Method::POST,
                "/v1/console/admin/users/zhao/password",
                Some(json!({"password": "changed-password"})),
            ),
            (
                Method::PUT,
                "/v1/console/admin/areas/jingkou/boundary",
                Some(json!({"type": "Feature"})),
            ),
            (Method::DELETE, "/v1/console/session", None),
        ];
        for (m, path, body) in tries {
            let a = c.send(m.clone(), path, body, send_csrf).await;
            refused(&a, 403, "csrf_failed");
        }
    }
    // Nothing changed: no unit, no area, zhao's name and password as they were, the session alive.
    assert_eq!(boss.get("/v1/console/admin/units").await.body, json!([]));
    assert_eq!(boss.get("/v1/console/admin/areas").await.body, json!([]));
    let users = boss.get("/v1/console/admin/users").await.body;
    let zhao = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == "zhao")
        .unwrap();
    assert_eq!(zhao["display_name"], Value::Null);
    Console::sign_in(&server.url, "zhao").await;
    assert_eq!(boss.get("/v1/console/session").await.status, StatusCode::OK);
    assert_eq!(
        boss.get("/v1/console/admin/audit").await.body,
        json!([]),
        "nothing audited"
    );
    // With the header, the same request goes through.
    assert_eq!(
        boss.post("/v1/console/admin/units", unit).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn app_tokens_and_console_cookies_do_not_cross() {
    let server = started(&[]);
    let dev = Device::login(&server.url, "zhao").await.unwrap();
    let token = dev.with(|s| s.server_binding()).unwrap().unwrap().token;
    let http = gridmate_system_tests::http().build().unwrap();
    let res = http
        .get(format!("{}/v1/console/session", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    refused(&answer(res).await, 401, "unauthorized");
    let as_cookie = Console {
        http: http.clone(),
        base: server.url.clone(),
        cookie: format!("gm_console={token}"),
        csrf: String::new(),
    };
    refused(
        &as_cookie.get("/v1/console/areas").await,
        401,
        "unauthorized",
    );

    let zhao = Console::sign_in(&server.url, "zhao").await;
    let console_token = zhao.cookie.strip_prefix("gm_console=").unwrap().to_owned();
    let res = http
        .get(format!("{}/v1/me", server.url))
        .header("cookie", &zhao.cookie)
        .send()
        .await
        .unwrap();
    refused(&answer(res).await, 401, "unauthorized");
    let res = http
        .get(format!("{}/v1/me", server.url))
        .bearer_auth(&console_token)
        .send()
        .await
        .unwrap();
    refused(&answer(res).await, 401, "unauthorized");
    let res = http
        .post(format!("{}/v1/sync", server.url))
        .header("cookie", &zhao.cookie)
        .header("x-csrf-token", &zhao.csrf)
        .body(vec![1u8, 2, 3])
        .send()
        .await
        .unwrap();
    refused(&answer(res).await, 401, "unauthorized");
    dev.sync().await.unwrap();
}

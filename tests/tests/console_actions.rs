//! Console actions through a real server: a dispatcher's actions, edits and hotline intake in the
//! console become Automerge changes of the same records (by the dispatcher's console actor),
//! logged through the push path, and reach phones on their next sync like any other edit.
//!
//! The loop: a grid worker's phone reports a dispute; the township dispatcher accepts it in the
//! console and assigns it to a lawyer of another township; the lawyer's phone receives it and
//! resolves it; the dispatcher sees it resolved and closes it; the grid worker's phone gets the
//! close. Beside it: merging a duplicate, actions the state does not allow (409, nothing written),
//! ids outside the user's areas (404), roles that may not act, concurrent console actions on one
//! record, a phone's offline edit and action concurrent with console ones (both kept, the
//! workflow flags the loser), intake idempotency, and bad input on every endpoint.
#![allow(clippy::unwrap_used)]

use gridmate_domain::fixtures::Rng;
use gridmate_domain::workflow::{ActionRequest, EventDetails, Verdict};
use gridmate_domain::*;
use gridmate_system_tests::console::{Answer, Console};
use gridmate_system_tests::{Device, PASSWORD, Server, draft};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const GRID: &str = "jingkou-zhengdonglu-03";
/// A grid of another township (the lawyer's, and out of the dispatcher's areas).
const OTHER_GRID: &str = "jingkou-xiangshan-01";

/// Users: a grid worker, the township dispatcher 赵, a lawyer and a grid worker of the other
/// township, a second lawyer, an admin.
fn server() -> Server {
    let s = Server::start();
    s.add_user("wang.wei", "grid_worker", GRID, None);
    s.add_user("zhao", "dispatcher", "jingkou-zhengdonglu", None);
    s.add_user(
        "li.lvshi",
        "legal_volunteer",
        "jingkou-xiangshan",
        Some("lawyer"),
    );
    s.add_user(
        "zhou.lvshi",
        "legal_volunteer",
        "jingkou-xiangshan",
        Some("lawyer"),
    );
    s.add_user("sun", "grid_worker", OTHER_GRID, None);
    s.add_user("guan", "admin", "jingkou", None);
    s
}

/// A dispute reported on `dev` in `grid` and pushed.
async fn report(dev: &Device, grid: &str, seed: u64) -> RecordId {
    let mut rng = Rng::new(seed);
    let mut d = draft(&mut rng, grid);
    while !matches!(d.body, RecordBody::Dispute(_)) {
        d = draft(&mut rng, grid);
    }
    let id = dev.with(|s| s.create(d)).unwrap().id();
    dev.sync().await.unwrap();
    id
}

/// The record as the server holds it (`record dump`), with its heads.
fn on_server(server: &Server, id: RecordId) -> (Vec<String>, Record) {
    let (heads, rec) = server.dump()[&id.to_string()].clone();
    (heads, serde_json::from_value(rec).unwrap())
}

fn dispute(r: &Record) -> &Dispute {
    match &r.body {
        RecordBody::Dispute(d) => d,
        _ => panic!("not a dispute"),
    }
}

fn status(r: &Record) -> DisputeStatus {
    dispute(r).status
}

async fn action(c: &Console, id: RecordId, action: &str, details: Value) -> Answer {
    let body = json!({"action": action, "details": details});
    c.post(&format!("/v1/console/cases/{id}/actions"), body)
        .await
}

#[track_caller]
fn ok(a: &Answer) -> &Value {
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    &a.body
}

#[track_caller]
fn refused(a: &Answer, status: StatusCode, code: &str, field: &str) {
    assert_eq!(a.status, status, "{:?}", a.body);
    assert_eq!(a.code(), code, "{:?}", a.body);
    assert_eq!(a.body["field"], field, "{:?}", a.body);
    assert!(a.body["message"]["zh-CN"].is_string() && a.body["message"]["en"].is_string());
}

fn in_days(days: i64) -> String {
    Timestamp::now().plus_millis(days * 86_400_000).to_rfc3339()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_assign_in_the_console_resolve_on_the_lawyer_s_phone_close_in_the_console() {
    let server = server();
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let li = Device::login(&server.url, "li.lvshi").await.unwrap();
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let id = report(&worker, GRID, 1).await;

    let a = action(&zhao, id, "accept", json!({})).await;
    assert_eq!(ok(&a)["status"], "accepted");
    assert_eq!(a.body["event"]["by"], "zhao");
    assert_eq!(a.body["event"]["role"], "dispatcher");
    let a = action(
        &zhao,
        id,
        "assign",
        json!({"assignee_user": "li.lvshi", "due_at": in_days(5), "note": "请尽快联系双方"}),
    )
    .await;
    assert_eq!(ok(&a)["status"], "assigned");
    assert_eq!(a.body["event"]["details"]["assignee_user"], "li.lvshi");

    // The lawyer's area is another township: her phone receives the assignment on its next sync.
    li.sync().await.unwrap();
    let got = li.with(|s| s.get(id)).unwrap();
    assert_eq!(status(&got), DisputeStatus::Assigned);
    let authors: Vec<(WorkflowAction, &str)> = dispute(&got)
        .workflow
        .iter()
        .map(|e| (e.action, e.by.as_str()))
        .collect();
    assert_eq!(
        authors,
        vec![
            (WorkflowAction::Accept, "zhao"),
            (WorkflowAction::Assign, "zhao")
        ]
    );
    assert!(
        li.with(|s| s.tasks(Timestamp::now()))
            .unwrap()
            .iter()
            .any(|t| t.id == id)
    );
    let resolution = EventDetails {
        resolution_method: Some(ResolutionMethod::Mediation),
        outcome: Some(ResolutionOutcome::Agreement),
        terms: Some("双方同意各退一步，楼上十日内修复防水".into()),
        ..Default::default()
    };
    let req = ActionRequest {
        action: WorkflowAction::Resolve,
        details: resolution,
    };
    li.with(|s| s.act(id, req)).unwrap();
    let report = li.sync().await.unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");

    // The dispatcher sees it resolved, and closes it.
    assert_eq!(status(&on_server(&server, id).1), DisputeStatus::Resolved);
    let a = action(&zhao, id, "close", json!({"note": "已办结，结案"})).await;
    assert_eq!(ok(&a)["status"], "closed");

    // The grid worker's phone gets every step, each by its author, all applied.
    worker.sync().await.unwrap();
    let r = worker.with(|s| s.get(id)).unwrap();
    assert_eq!(status(&r), DisputeStatus::Closed);
    let steps: Vec<(WorkflowAction, String)> = dispute(&r)
        .workflow
        .iter()
        .map(|e| (e.action, e.by.clone()))
        .collect();
    let want = [
        (WorkflowAction::Accept, "zhao"),
        (WorkflowAction::Assign, "zhao"),
        (WorkflowAction::Resolve, "li.lvshi"),
        (WorkflowAction::Close, "zhao"),
    ];
    assert_eq!(
        steps,
        want.iter()
            .map(|(a, u)| (*a, (*u).to_owned()))
            .collect::<Vec<_>>()
    );
    assert!(
        dispute(&r)
            .view()
            .verdicts
            .iter()
            .all(|v| *v == Verdict::Applied)
    );
    assert_eq!(
        r,
        on_server(&server, id).1,
        "the phone and the server agree"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_as_duplicate_names_another_dispute_of_the_areas() {
    let server = server();
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let sun = Device::login(&server.url, "sun").await.unwrap();
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let first = report(&worker, GRID, 2).await;
    let second = report(&worker, GRID, 3).await;
    let elsewhere = report(&sun, OTHER_GRID, 4).await;
    let before = on_server(&server, second);

    let dup = |of: String| json!({"not_accepted_reason": "duplicate", "duplicate_of": of});
    for of in [
        second.to_string(),
        elsewhere.to_string(),
        RecordId::new_v7().to_string(),
    ] {
        let a = action(&zhao, second, "not_accept", dup(of)).await;
        refused(
            &a,
            StatusCode::BAD_REQUEST,
            "not_found",
            "details.duplicate_of",
        );
    }
    let a = action(
        &zhao,
        second,
        "not_accept",
        json!({"not_accepted_reason": "duplicate"}),
    )
    .await;
    refused(
        &a,
        StatusCode::BAD_REQUEST,
        "required",
        "details.duplicate_of",
    );
    assert_eq!(on_server(&server, second), before, "nothing written");

    let a = action(&zhao, second, "not_accept", dup(first.to_string())).await;
    assert_eq!(ok(&a)["status"], "not_accepted");
    assert_eq!(
        a.body["event"]["details"]["duplicate_of"],
        first.to_string()
    );
    worker.sync().await.unwrap();
    let r = worker.with(|s| s.get(second)).unwrap();
    assert_eq!(status(&r), DisputeStatus::NotAccepted);
    assert_eq!(
        dispute(&r).workflow[0].details.not_accepted_reason,
        Some(NotAcceptedReason::Duplicate)
    );
    assert_eq!(
        status(&worker.with(|s| s.get(first)).unwrap()),
        DisputeStatus::Reported
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_the_state_does_not_allow_is_409_and_writes_nothing() {
    let server = server();
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let id = report(&worker, GRID, 5).await;
    let before = on_server(&server, id);

    let a = action(&zhao, id, "close", json!({})).await;
    refused(&a, StatusCode::CONFLICT, "invalid_status", "action");
    let a = action(&zhao, id, "assign", json!({"assignee_user": "li.lvshi"})).await;
    refused(&a, StatusCode::CONFLICT, "invalid_status", "action");
    // A dispatcher never starts handling or evaluates: the role table says no.
    ok(&action(&zhao, id, "accept", json!({})).await);
    ok(&action(&zhao, id, "assign", json!({"assignee_user": "li.lvshi"})).await);
    let mid = on_server(&server, id);
    let a = action(&zhao, id, "start", json!({})).await;
    refused(&a, StatusCode::CONFLICT, "forbidden_action", "action");
    let a = action(&zhao, id, "accept", json!({})).await;
    refused(&a, StatusCode::CONFLICT, "invalid_status", "action");
    assert_eq!(on_server(&server, id), mid, "nothing written");
    assert_ne!(before, mid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_outside_the_areas_are_not_found_and_only_dispatchers_act() {
    let server = server();
    let sun = Device::login(&server.url, "sun").await.unwrap();
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let elsewhere = report(&sun, OTHER_GRID, 6).await;
    let mine = report(&worker, GRID, 7).await;
    let before = server.dump();

    for id in [
        elsewhere.to_string(),
        RecordId::new_v7().to_string(),
        "x".into(),
    ] {
        let a = zhao
            .post(
                &format!("/v1/console/cases/{id}/actions"),
                json!({"action": "accept"}),
            )
            .await;
        assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, "not_found"));
        let a = zhao
            .patch(&format!("/v1/console/cases/{id}"), json!({"summary": "改"}))
            .await;
        assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, "not_found"));
    }
    // A patrol visit is no case to act on.
    let visit = worker
        .with(|s| {
            let mut rng = Rng::new(70);
            let mut d = draft(&mut rng, GRID);
            while !matches!(d.body, RecordBody::PatrolVisit(_)) {
                d = draft(&mut rng, GRID);
            }
            s.create(d)
        })
        .unwrap()
        .id();
    worker.sync().await.unwrap();
    let a = action(&zhao, visit, "accept", json!({})).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let before = {
        let mut b = before;
        b.insert(visit.to_string(), server.dump()[&visit.to_string()].clone());
        b
    };

    // Grid workers have no console session; an admin has one but never acts in the loop.
    let refused_role = Console::try_sign_in(&server.url, "wang.wei", PASSWORD)
        .await
        .unwrap_err();
    assert_eq!(refused_role.status, StatusCode::FORBIDDEN);
    assert_eq!(refused_role.code(), "console_role_refused");
    let guan = Console::sign_in(&server.url, "guan").await;
    let a = action(&guan, mine, "accept", json!({})).await;
    assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let a = guan
        .patch(
            &format!("/v1/console/cases/{mine}"),
            json!({"summary": "改"}),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let a = guan.post("/v1/console/intake", intake_form("r")).await;
    assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, "forbidden"));
    // Both roles read the supervision list; its one parameter is an area id.
    let a = guan.get("/v1/console/supervision").await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let a = zhao
        .get("/v1/console/supervision?area=Not%20An%20Area")
        .await;
    refused(&a, StatusCode::BAD_REQUEST, "invalid_area", "area");
    let a = zhao
        .get("/v1/console/supervision?area=jingkou-xiangshan")
        .await;
    assert_eq!(
        ok(&a)["units"],
        json!([]),
        "an area outside the scope shows nothing"
    );
    // Without the CSRF header, nothing happens either.
    let a = zhao
        .send(
            Method::POST,
            &format!("/v1/console/cases/{mine}/actions"),
            Some(json!({"action": "accept"})),
            false,
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::FORBIDDEN, "csrf_failed"));
    assert_eq!(server.dump(), before, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_console_actions_on_one_record_all_become_distinct_changes() {
    let server = server();
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let id = report(&worker, GRID, 8).await;
    ok(&action(&zhao, id, "accept", json!({})).await);
    ok(&action(&zhao, id, "assign", json!({"assignee_user": "li.lvshi"})).await);

    let n = 8;
    let mut tasks = Vec::new();
    for i in 0..n {
        let c = zhao.clone();
        tasks.push(tokio::spawn(async move {
            let details = if i % 2 == 0 {
                json!({"log_kind": "call", "occurred_at": Timestamp::now().plus_millis(-60_000).to_rfc3339(), "note": format!("电话联系第{i}次")})
            } else {
                json!({"note": format!("督办第{i}次")})
            };
            let kind = if i % 2 == 0 { "log" } else { "supervise" };
            action(&c, id, kind, details).await
        }));
    }
    let mut event_ids = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        event_ids.push(ok(&a)["event"]["id"].as_str().unwrap().to_owned());
    }
    event_ids.sort();
    event_ids.dedup();
    assert_eq!(event_ids.len(), n);

    // One line of history: each change followed the one before it (one head), every event kept
    // and applied; the record's logged changes are the report's, the two moves and the n notes.
    let (heads, rec) = on_server(&server, id);
    assert_eq!(heads.len(), 1, "{heads:?}");
    let d = dispute(&rec);
    assert_eq!(d.workflow.len(), n + 2);
    assert!(d.view().verdicts.iter().all(|v| *v == Verdict::Applied));
    assert!(d.view().state.supervised);
    let line = server
        .dump_lines(GRID)
        .into_iter()
        .find(|l| l["id"] == id.to_string())
        .unwrap();
    let reported_changes = worker.change_count(id) as u64;
    assert_eq!(
        line["changes"].as_u64().unwrap(),
        reported_changes + 2 + n as u64
    );
    let from_console: Vec<&Value> = line["pushes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["device"] == "console")
        .collect();
    assert_eq!(
        from_console.len(),
        n + 2,
        "logged as pushes by the dispatcher"
    );
    assert!(from_console.iter().all(|p| p["pushed_by"] == "zhao"));
    worker.sync().await.unwrap();
    assert_eq!(worker.with(|s| s.get(id)).unwrap(), rec);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_phone_work_concurrent_with_console_actions_merges_with_both_kept() {
    let server = server();
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let li = Device::login(&server.url, "li.lvshi").await.unwrap();
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let id = report(&worker, GRID, 9).await;

    // The worker edits the summary offline while the dispatcher edits the risk and accepts.
    worker
        .with(|s| s.edit(id, &json!({"summary": "补充：双方已在社区调解室见面"})))
        .unwrap();
    let a = zhao
        .patch(
            &format!("/v1/console/cases/{id}"),
            json!({"risk_level": "high", "category": "neighbour"}),
        )
        .await;
    assert_eq!(ok(&a)["changed"], true);
    ok(&action(&zhao, id, "accept", json!({})).await);
    ok(&action(&zhao, id, "assign", json!({"assignee_user": "li.lvshi"})).await);
    worker.sync().await.unwrap();
    let r = worker.with(|s| s.get(id)).unwrap();
    let d = dispute(&r);
    assert_eq!(d.summary, "补充：双方已在社区调解室见面");
    assert_eq!(d.risk_level, RiskLevel::High);
    assert_eq!(d.dispute_category, DisputeCategory::Neighbour);
    assert_eq!(d.status, DisputeStatus::Assigned);

    // The lawyer resolves offline while the dispatcher reassigns in the console: both events are
    // kept on every replica, and the fold flags whichever came second.
    li.sync().await.unwrap();
    let req = ActionRequest {
        action: WorkflowAction::Resolve,
        details: EventDetails {
            resolution_method: Some(ResolutionMethod::Mediation),
            outcome: Some(ResolutionOutcome::Withdrawn),
            ..Default::default()
        },
    };
    li.with(|s| s.act(id, req)).unwrap();
    ok(&action(&zhao, id, "assign", json!({"assignee_user": "zhou.lvshi"})).await);
    let report = li.sync().await.unwrap();
    assert!(
        report.rejected.is_empty(),
        "honest offline work is never refused: {report:?}"
    );
    worker.sync().await.unwrap();
    let (_, rec) = on_server(&server, id);
    let d = dispute(&rec);
    let actions: Vec<(WorkflowAction, &str)> = d
        .workflow
        .iter()
        .map(|e| (e.action, e.by.as_str()))
        .collect();
    assert_eq!(actions.len(), 4, "{actions:?}");
    assert!(actions.contains(&(WorkflowAction::Resolve, "li.lvshi")));
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == (WorkflowAction::Assign, "zhao"))
            .count(),
        2
    );
    let flagged: Vec<usize> = d
        .view()
        .verdicts
        .iter()
        .enumerate()
        .filter(|(_, v)| matches!(v, Verdict::Flagged { .. }))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        flagged,
        vec![3],
        "the later of the two is flagged: {actions:?}"
    );
    let expected = if actions[2].0 == WorkflowAction::Resolve {
        DisputeStatus::Resolved
    } else {
        DisputeStatus::Assigned
    };
    assert_eq!(d.status, expected);
    assert_eq!(worker.with(|s| s.get(id)).unwrap(), rec);
}

fn intake_form(request_id: &str) -> Value {
    json!({
        "request_id": request_id,
        "grid_id": GRID,
        "reported_at": Timestamp::now().plus_millis(-600_000).to_rfc3339(),
        "dispute_category": "neighbour",
        "risk_level": "medium",
        "summary": "12345 来电：楼上装修噪音扰民，多次协商未果",
        "address": "正东路 12 号 3 单元",
        "parties": [
            {"name": "陈某", "role": "applicant", "phone": "13800138000"},
            {"name": "刘某", "role": "respondent", "id_number": "11010519491231002X"}
        ],
        "accept": true
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotline_intake_creates_one_dispute_per_request_id() {
    let server = server();
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let zhao = Console::sign_in(&server.url, "zhao").await;

    let rid = uuid::Uuid::now_v7().to_string();
    let a = zhao.post("/v1/console/intake", intake_form(&rid)).await;
    assert_eq!(ok(&a)["status"], "accepted");
    assert_eq!(a.body["created"], true);
    let id = a.body["id"].as_str().unwrap().to_owned();
    let again = zhao.post("/v1/console/intake", intake_form(&rid)).await;
    assert_eq!(ok(&again)["id"], id.as_str());
    assert_eq!(again.body["created"], false);

    // A double click: two requests with one id at once make one dispute.
    let rid2 = uuid::Uuid::now_v7().to_string();
    let (c1, c2) = (zhao.clone(), zhao.clone());
    let (f1, f2) = (intake_form(&rid2), intake_form(&rid2));
    let t1 = tokio::spawn(async move { c1.post("/v1/console/intake", f1).await });
    let t2 = tokio::spawn(async move { c2.post("/v1/console/intake", f2).await });
    let (a1, a2) = (t1.await.unwrap(), t2.await.unwrap());
    assert_eq!(ok(&a1)["id"], ok(&a2)["id"]);
    let mut created = [a1.body["created"].as_bool(), a2.body["created"].as_bool()];
    created.sort();
    assert_eq!(created, [Some(false), Some(true)]);
    let mut unaccepted = intake_form(&uuid::Uuid::now_v7().to_string());
    unaccepted["accept"] = json!(false);
    let a = zhao.post("/v1/console/intake", unaccepted).await;
    assert_eq!(ok(&a)["status"], "reported");
    let hotline: Vec<_> = server
        .dump()
        .into_values()
        .filter(|(_, r)| r["source"] == "hotline_12345")
        .collect();
    assert_eq!(hotline.len(), 3, "three request ids, three disputes");

    // The grid's phone receives it: reported by the dispatcher, accepted, parties as typed.
    worker.sync().await.unwrap();
    let r = worker.with(|s| s.get(id.parse().unwrap())).unwrap();
    assert_eq!(r.meta.created_by, "zhao");
    let d = dispute(&r);
    assert_eq!(d.source, DisputeSource::Hotline12345);
    assert_eq!(d.status, DisputeStatus::Accepted);
    assert_eq!(d.parties.len(), 2);
    assert_eq!(d.workflow[0].by, "zhao");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_typed_error_with_its_field_and_writes_nothing() {
    let server = server();
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let zhao = Console::sign_in(&server.url, "zhao").await;
    let id = report(&worker, GRID, 10).await;
    ok(&action(&zhao, id, "accept", json!({})).await);
    let before = server.dump();
    let path = format!("/v1/console/cases/{id}/actions");

    let bad = StatusCode::BAD_REQUEST;
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({}), "required", "action"),
        (json!({"action": "fly"}), "invalid_value", "action"),
        (
            json!({"action": "assign", "details": {}}),
            "required",
            "details.assignee_user",
        ),
        (
            json!({"action": "accept", "bogus": 1}),
            "unknown_field",
            "bogus",
        ),
        (
            json!({"action": "assign", "details": {"assignee_user": "li.lvshi", "bogus": 1}}),
            "unknown_field",
            "details.bogus",
        ),
        (
            json!({"action": "assign", "details": {"assignee_user": "nobody.here"}}),
            "not_found",
            "details.assignee_user",
        ),
        (
            json!({"action": "assign", "details": {"assignee_user": "guan"}}),
            "not_found",
            "details.assignee_user",
        ),
        (
            json!({"action": "assign", "details": {"assignee_unit": "no-such-unit"}}),
            "not_found",
            "details.assignee_unit",
        ),
        (
            json!({"action": "assign", "details": {"assignee_user": "li.lvshi", "due_at": in_days(-1)}}),
            "date_order",
            "details.due_at",
        ),
        (
            json!({"action": "assign", "details": {"assignee_user": "li.lvshi", "due_at": "tomorrow"}}),
            "invalid_value",
            "details.due_at",
        ),
        (
            json!({"action": "supervise", "details": {}}),
            "required",
            "details.note",
        ),
        (
            json!({"action": "supervise", "details": {"note": "长".repeat(2001)}}),
            "too_long",
            "details.note",
        ),
        (
            json!({"action": "escalate", "details": {"note": "升级", "level": "grid"}}),
            "invalid_value",
            "details.level",
        ),
        (
            json!({"action": "resolve", "details": {"resolution_method": "mediation", "outcome": "agreement"}}),
            "required",
            "details.terms",
        ),
    ];
    for (body, code, field) in cases {
        let a = zhao.post(&path, body.clone()).await;
        assert_eq!(a.status, bad, "{body}: {:?}", a.body);
        assert_eq!(
            (a.code(), a.body["field"].as_str()),
            (code, Some(field)),
            "{body}: {:?}",
            a.body
        );
    }
    let not_json = zhao
        .http
        .post(format!("{}{path}", server.url))
        .header(reqwest::header::COOKIE, &zhao.cookie)
        .header("x-csrf-token", &zhao.csrf)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), bad);

    let edit = format!("/v1/console/cases/{id}");
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"status": "closed"}), "unknown_field", "status"),
        (json!({"parties": []}), "unknown_field", "parties"),
        (json!({"summary": ""}), "required", "summary"),
        (json!({"summary": null}), "required", "summary"),
        (
            json!({"risk_level": "extreme"}),
            "invalid_value",
            "risk_level",
        ),
        (
            json!({"category": "labour", "dispute_category": "family"}),
            "invalid_value",
            "dispute_category",
        ),
        (json!([1]), "invalid_json", ""),
    ];
    for (body, code, field) in cases {
        let a = zhao.patch(&edit, body.clone()).await;
        assert_eq!(a.status, bad, "{body}: {:?}", a.body);
        assert_eq!(
            (a.code(), a.body["field"].as_str()),
            (code, Some(field)),
            "{body}: {:?}",
            a.body
        );
    }

    let mut cases: Vec<(Value, &str, &str)> = Vec::new();
    let form = |f: &dyn Fn(&mut Value)| {
        let mut v = intake_form(&uuid::Uuid::now_v7().to_string());
        f(&mut v);
        v
    };
    cases.push((
        form(&|v| drop(v.as_object_mut().unwrap().remove("request_id"))),
        "required",
        "request_id",
    ));
    cases.push((
        form(&|v| v["request_id"] = json!("not-a-uuid")),
        "invalid_value",
        "request_id",
    ));
    cases.push((
        form(&|v| drop(v.as_object_mut().unwrap().remove("summary"))),
        "required",
        "summary",
    ));
    cases.push((
        form(&|v| v["grid_id"] = json!(OTHER_GRID)),
        "out_of_scope",
        "grid_id",
    ));
    cases.push((
        form(&|v| v["grid_id"] = json!("Not A Grid")),
        "invalid_grid_id",
        "grid_id",
    ));
    cases.push((
        form(&|v| v["source"] = json!("field")),
        "unknown_field",
        "source",
    ));
    cases.push((
        form(&|v| v["accept"] = json!("yes")),
        "invalid_type",
        "accept",
    ));
    cases.push((
        form(&|v| v["parties"][0]["phone"] = json!("12")),
        "invalid_phone",
        "parties[0].phone",
    ));
    cases.push((
        form(&|v| v["reported_at"] = json!(in_days(3))),
        "date_in_future",
        "reported_at",
    ));
    cases.push((
        form(&|v| v["workflow"] = json!([])),
        "immutable_field",
        "workflow",
    ));
    for (body, code, field) in cases {
        let a = zhao.post("/v1/console/intake", body.clone()).await;
        assert_eq!(a.status, bad, "{body}: {:?}", a.body);
        assert_eq!(
            (a.code(), a.body["field"].as_str()),
            (code, Some(field)),
            "{body}: {:?}",
            a.body
        );
    }
    assert_eq!(server.dump(), before, "nothing written");

    // A patch that changes nothing writes nothing either.
    let same = on_server(&server, id).1;
    let a = zhao
        .patch(&edit, json!({"summary": dispute(&same).summary}))
        .await;
    assert_eq!(ok(&a)["changed"], false);
    assert_eq!(server.dump(), before);
}

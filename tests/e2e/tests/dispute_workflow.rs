//! A lawyer's part of the dispute closed loop, in the real app, end to end.
//!
//! A real `gridmate-server`; the `gridmate` CLI as the grid worker's and the dispatcher's devices:
//! 1. wang.wei (grid worker) reports a dispute from the CLI and syncs; zhao.min (the township's
//!    dispatcher) accepts it and assigns it to li.na, a lawyer whose own area is another township,
//!    and syncs;
//! 2. li.na signs in to the app: after the sync the assignment is in 待办 (the tab's badge counts
//!    it), shown with its grid's Chinese name; she opens it: the timeline names the dispatcher;
//! 3. through the UI she takes it (签收处置), logs a mediation session (kind, time, attendees,
//!    note), and resolves it with an agreement and its terms; only the actions her role may take
//!    are offered at each step; the tasks empty;
//! 4. after "sync now" the server's record is resolved, with her three events authored by her,
//!    and the dispatcher's CLI device shows the same status after its sync.
//!
//! Screenshots at 390x844 (待办, the action form, the timeline) go to `E2E_SCREENSHOTS`.

use std::path::Path;
use std::time::Duration;

use gridmate_e2e::{App, Bins, CliDevice, Page, Server, WAIT, wait_until};
use serde_json::Value;

const GRID: &str = "jingkou-zhengdonglu-03";
const AREA: &str = "jingkou-zhengdonglu";
const WORKER: &str = "wang.wei";
const DISPATCHER: &str = "zhao.min";
const LAWYER: &str = "li.na";
const LAWYER_AREA: &str = "jingkou-xiangshan";

const SUMMARY: &str = "楼上卫生间漏水至楼下，两户多次争执，请求调解。";
const ATTENDEES: &str = "双方当事人、社区调解员";
const SESSION: &str = "第一次调解：双方同意由楼上住户修复防水层。";
const TERMS: &str = "楼上住户十日内修复防水层，并赔偿楼下住户八百元。";

struct OnPanic(std::path::PathBuf);

impl Drop for OnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let s = std::fs::read_to_string(&self.0).unwrap_or_default();
            let lines: Vec<&str> = s.lines().collect();
            eprintln!(
                "---- app log (last 40 lines) ----\n{}",
                lines[lines.len().saturating_sub(40)..].join("\n")
            );
        }
    }
}

/// The actions offered on the open dispute, in order.
async fn offered(app: &App) -> Vec<String> {
    let mut out = Vec::new();
    for b in app.all_css("[data-testid^=\"action-\"]").await {
        let id = b
            .attr("data-testid")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        if let Some(a) = id.strip_prefix("action-")
            && !matches!(
                a,
                "submit" | "cancel" | "errors" | "error" | "confirm" | "confirm-cancel"
            )
            && !a.starts_with("form-")
        {
            out.push(a.to_owned());
        }
    }
    out
}

/// Opens an action's form and waits for it.
async fn open_action(app: &App, action: &str) {
    let b = app.find_visible(&format!("action-{action}")).await;
    app.center(&b).await;
    app.click_el(&format!("action-{action}"), &b).await;
    app.find_visible(&format!("action-form-{action}")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
}

/// Submits the open action form and waits until the timeline has `events` items.
async fn submit_action(app: &App, events: usize) {
    app.click("action-submit").await;
    wait_until(&format!("{events} timeline items"), WAIT, || async {
        if let Some(e) = app
            .all_css("[data-testid=\"action-error\"], [data-testid=\"action-errors\"]")
            .await
            .into_iter()
            .next()
        {
            panic!(
                "the action was refused: {}",
                e.text().await.unwrap_or_default()
            );
        }
        (app.all_css("[data-testid=\"timeline-item\"]").await.len() == events).then_some(())
    })
    .await;
    app.wait_gone("action-submit").await;
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_takes_logs_and_resolves_an_assigned_dispute_in_the_app() {
    let bins = Bins::from_env();
    let tmp = tempfile::Builder::new()
        .prefix("gridmate-e2e-wf-")
        .tempdir()
        .unwrap();
    let root: &Path = tmp.path();
    let server = Server::start(&bins.server, &root.join("server"));
    server.add_user(WORKER, "grid_worker", GRID);
    server.add_user(DISPATCHER, "dispatcher", AREA);
    server.0.add_user(
        LAWYER,
        "legal_volunteer",
        LAWYER_AREA,
        Some("lawyer"),
        gridmate_e2e::PASSWORD,
    );
    for (user, name) in [(WORKER, "王伟"), (DISPATCHER, "赵敏"), (LAWYER, "李娜")] {
        server
            .0
            .admin(&["user", "update", user, "--display-name", name], None);
    }
    server.0.admin(
        &[
            "area",
            "add",
            AREA,
            "--name",
            "正东路街道",
            "--level",
            "township",
        ],
        None,
    );
    server.0.admin(
        &[
            "area",
            "add",
            GRID,
            "--name",
            "正东路街道 03 网格",
            "--level",
            "grid",
        ],
        None,
    );
    let url = server.url.clone();
    let _diag = OnPanic(root.join("launch/app.log"));

    // ---- 1. Reported in the field, accepted and assigned by the centre (CLI devices) ---------
    let cli = |account: &str| CliDevice {
        bin: bins.cli.clone(),
        data: root.join(format!("cli-{account}")),
        account: account.to_owned(),
    };
    let (worker, centre) = (cli(WORKER), cli(DISPATCHER));
    worker.login(&url);
    centre.login(&url);
    let draft = serde_json::json!({
        "kind": "dispute", "grid_id": GRID, "reported_at": "2026-12-01T10:00:00+08:00",
        "source": "field", "dispute_category": "neighbour", "summary": SUMMARY, "risk_level": "medium",
    });
    let id = worker
        .run(&["add", "-"], Some(&draft.to_string()))
        .trim()
        .to_owned();
    worker.run(&["sync"], None);
    centre.run(&["sync"], None);
    centre.run(&["dispute", "accept", &id], None);
    let assign =
        serde_json::json!({"assignee_user": LAWYER, "due_at": "2027-01-15T17:00:00+08:00"});
    centre.run(&["dispute", "assign", &id, &assign.to_string()], None);
    centre.run(&["sync"], None);

    // ---- 2. The lawyer's app: the assignment in 待办 after the sync --------------------------
    let (app, _launch) = App::launch(&bins, &root.join("app-data"), &root.join("launch")).await;
    app.phone_size().await;
    app.type_into("login-server", &url).await;
    app.type_into("login-user", LAWYER).await;
    app.type_into("login-password", gridmate_e2e::PASSWORD)
        .await;
    app.click("login-submit").await;
    app.find_visible("home-sync-status").await;
    app.click("tab-tasks").await;
    let item = app
        .wait_css_visible(
            &format!("[data-testid=\"task-item\"][data-id=\"{id}\"]"),
            Duration::from_secs(60),
        )
        .await;
    let badge = wait_until("the 待办 badge", WAIT, || async {
        let b = app
            .all_css("[data-testid=\"tab-tasks\"] .van-badge")
            .await
            .into_iter()
            .next()?;
        let t = b.text().await.unwrap_or_default();
        (t.trim() == "1").then_some(t)
    })
    .await;
    println!("[e2e] 待办 badge {badge}");
    let grid_name = app.text("task-grid").await;
    assert!(
        grid_name.contains("正东路"),
        "the grid by its Chinese name, not its id: {grid_name}"
    );
    app.screenshot("11-tasks").await;
    app.click_el("task-item", &item).await;
    app.wait_css(
        &format!("[data-testid=\"record-detail\"][data-id=\"{id}\"]"),
        WAIT,
    )
    .await;
    app.find_visible("timeline").await;
    assert_eq!(
        app.all_css("[data-testid=\"timeline-item\"]").await.len(),
        2,
        "accept and assign"
    );
    let first_by = app
        .all_css("[data-testid=\"timeline-by\"]")
        .await
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(
        first_by.text().await.unwrap().trim(),
        "赵敏",
        "the dispatcher by display name, not user name"
    );
    assert_eq!(
        offered(&app).await,
        vec!["start", "log", "resolve", "return"],
        "a lawyer's actions on an assigned dispute"
    );

    // ---- 3. Take it, log a session, resolve it ------------------------------------------------
    open_action(&app, "start").await;
    submit_action(&app, 3).await;
    assert_eq!(offered(&app).await, vec!["log", "resolve", "return"]);
    open_action(&app, "log").await;
    app.pick("details.log_kind", "session").await;
    app.type_into("field-details.attendees", ATTENDEES).await;
    app.type_into("field-details.note", SESSION).await;
    app.screenshot("12-action-log").await;
    submit_action(&app, 4).await;
    open_action(&app, "resolve").await;
    app.pick("details.resolution_method", "mediation").await;
    app.pick("details.outcome", "agreement").await;
    app.type_into("field-details.terms", TERMS).await;
    submit_action(&app, 5).await;
    assert_eq!(
        app.find("workflow-state")
            .await
            .attr("data-status")
            .await
            .unwrap()
            .as_deref(),
        Some("resolved")
    );
    let last = app
        .all_css("[data-testid=\"timeline-item\"]")
        .await
        .pop()
        .unwrap();
    app.center(&last).await;
    // The "已办结" toast fades after 2 s: the screenshot shows the timeline, not the toast.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    app.screenshot("13-timeline").await;

    // ---- 4. Synced: the server holds her three events, in her name ----------------------------
    app.nav_back().await;
    app.click("tab-me").await;
    app.click("me-sync-now").await;
    wait_until(
        "the resolution on the server",
        Duration::from_secs(60),
        || async {
            let rec = server.dump().get(&id).cloned()?;
            (str_at(&rec, "/status") == "resolved").then_some(())
        },
    )
    .await;
    let rec = server.dump()[&id].clone();
    let by: Vec<(&str, &str)> = rec["workflow"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (str_at(e, "/action"), str_at(e, "/by")))
        .collect();
    assert_eq!(
        by,
        vec![
            ("accept", DISPATCHER),
            ("assign", DISPATCHER),
            ("start", LAWYER),
            ("log", LAWYER),
            ("resolve", LAWYER)
        ]
    );
    assert_eq!(str_at(&rec, "/workflow/4/details/terms"), TERMS);
    app.click("tab-tasks").await;
    app.find_visible("task-empty").await;
    centre.run(&["sync"], None);
    let shown: Value = serde_json::from_str(&centre.run(&["--json", "show", &id], None)).unwrap();
    assert_eq!(str_at(&shown, "/status"), "resolved");
    assert!(app.quit().await, "the app exits");
}

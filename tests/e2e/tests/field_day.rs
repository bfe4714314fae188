//! A grid worker's field day in the real app, end to end.
//!
//! A real `gridmate-server` (users added with its admin CLI), the desktop app driven over WebDriver,
//! and the `gridmate` CLI as a dispatcher's second device:
//! 1. cold launch to the login screen (timed), log in as wang.wei (grid worker, one grid);
//! 2. the server is SIGKILLed; offline, a patrol visit and a dispute are created through the forms
//!    (the dispute first with a wrong ID number: the inline error shows, then the fix is accepted);
//!    both show `pending` in their lists; the legal-education form's inline errors are shown too;
//! 3. the app is quit (its process must end) and relaunched: the remembered session opens straight
//!    into the app (relaunch to list timed), both records are there, the dispute's detail is intact;
//! 4. the server comes back on the same port and data; "sync now" on 我的; both badges turn
//!    `synced`; home names the last sync's time; the Vant icon font has loaded;
//!    `gridmate-server record dump` holds both records with the fields as typed;
//! 5. zhao.min (dispatcher) edits the dispute from the CLI; an open detail follows the sync that
//!    pulls the edit; after a sync from 我的 the detail shows the new summary and risk, and its
//!    history names zhao.min and the fields (in Chinese); 我的 lists the syncs; the app exits by
//!    itself when its session ends.
//!
//! Screenshots at 390x844 go to `E2E_SCREENSHOTS`. Launch figures are printed, never asserted.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gridmate_e2e::{App, Bins, CliDevice, Page, Server, WAIT, wait_until};
use serde_json::{Value, json};

const GRID: &str = "jingkou-zhengdonglu-03";
const AREA: &str = "jingkou-zhengdonglu";
const WORKER: &str = "wang.wei";
const DISPATCHER: &str = "zhao.min";

const FINDINGS: &str = "楼道内堆放大量纸箱，堵塞消防通道，已当场劝导商户清理。";
const SUBJECT: &str = "正东路菜场";
const SUMMARY: &str = "楼上卫生间漏水至楼下，两户多次争执，情绪较为激动。";
const PARTY: &str = "张三";
const BAD_ID: &str = "320102199003071236";
const GOOD_ID: &str = "320102199003071239";

/// Prints the app's log and where things were when the test fails.
struct OnPanic {
    logs: Vec<PathBuf>,
}

impl Drop for OnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for l in &self.logs {
                let s = std::fs::read_to_string(l).unwrap_or_default();
                let lines: Vec<&str> = s.lines().collect();
                eprintln!(
                    "---- {} (last 40 lines) ----\n{}",
                    l.display(),
                    lines[lines.len().saturating_sub(40)..].join("\n")
                );
            }
        }
    }
}

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

/// Clicks the form's submit and waits for the saved record's detail page; returns its id. A
/// refusal fails the test with the form's error banner.
async fn submit_and_open(app: &App) -> String {
    app.click("form-submit").await;
    let detail = wait_until(
        "the saved record's detail (or a form error)",
        WAIT,
        || async {
            if let Some(d) = app
                .all_css("[data-testid=\"record-detail\"]")
                .await
                .into_iter()
                .next()
            {
                return Some(Ok(d));
            }
            for id in ["form-errors", "form-error"] {
                if let Some(e) = app
                    .all_css(&format!("[data-testid=\"{id}\"]"))
                    .await
                    .into_iter()
                    .next()
                {
                    // The banner may be from the previous, refused submit: give the save a moment.
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    if app
                        .all_css("[data-testid=\"record-detail\"]")
                        .await
                        .is_empty()
                    {
                        return Some(Err(e.text().await.unwrap_or_default()));
                    }
                }
            }
            None
        },
    )
    .await
    .unwrap_or_else(|e| panic!("the form refused the record: {e}"));
    detail
        .attr("data-id")
        .await
        .unwrap()
        .expect("record-detail carries data-id")
}

/// The sync badge state of record `id` in the list on screen, if the row is there.
async fn badge(app: &App, id: &str) -> Option<String> {
    let el = app
        .all_css(&format!(
            "[data-testid=\"record-item\"][data-id=\"{id}\"] [data-testid=\"sync-badge\"]"
        ))
        .await
        .into_iter()
        .next()?;
    el.attr("data-state").await.ok().flatten()
}

/// Opens the list of `kind` (tab bar) and waits until record `id` shows badge `state`.
async fn expect_in_list(app: &App, kind: &str, id: &str, state: &str, timeout: Duration) {
    app.click(&format!("tab-{kind}")).await;
    app.wait_css(
        &format!("[data-testid=\"record-list\"][data-kind=\"{kind}\"]"),
        WAIT,
    )
    .await;
    wait_until(&format!("{kind} {id} badge {state}"), timeout, || async {
        (badge(app, id).await.as_deref() == Some(state)).then_some(())
    })
    .await;
}

async fn open_record(app: &App, id: &str) {
    let row = app
        .wait_css_visible(
            &format!("[data-testid=\"record-item\"][data-id=\"{id}\"]"),
            WAIT,
        )
        .await;
    app.click_el("record-item", &row).await;
    app.wait_css(
        &format!("[data-testid=\"record-detail\"][data-id=\"{id}\"]"),
        WAIT,
    )
    .await;
    app.find_visible("detail-field-grid_id").await;
}

/// The inline field errors on screen: (test id, text).
async fn inline_errors(app: &App) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in app.all_css("[data-testid^=\"error-\"]").await {
        let id = e
            .attr("data-testid")
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        out.push((id, e.text().await.unwrap_or_default()));
    }
    out
}

/// Scrolls to the element with this test id and takes a screenshot.
async fn shot_at(app: &App, testid: &str, name: &str) {
    let el = app.find(testid).await;
    app.center(&el).await;
    app.screenshot(name).await;
}

fn str_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_day_offline_then_synced_and_edited_elsewhere() {
    let bins = Bins::from_env();
    let tmp = tempfile::Builder::new()
        .prefix("gridmate-e2e-")
        .tempdir()
        .unwrap();
    let root: &Path = tmp.path();
    let mut server = Server::start(&bins.server, &root.join("server"));
    server.add_user(WORKER, "grid_worker", GRID);
    server.add_user(DISPATCHER, "dispatcher", AREA);
    let url = server.url.clone();
    println!("[e2e] server {url} over {}", server.data.display());
    let app_data = root.join("app-data");
    let _diag = OnPanic {
        logs: vec![root.join("launch-1/app.log"), root.join("launch-2/app.log")],
    };

    // ---- 1. Cold first launch -> login screen; log in --------------------------------------
    let (app, launch) = App::launch(&bins, &app_data, &root.join("launch-1")).await;
    app.find_visible("login-server").await;
    let cold_to_login = launch.started.elapsed();
    println!(
        "[e2e] cold first launch: WebDriver session {} ms, login screen {} ms",
        ms(launch.session_ready),
        ms(cold_to_login)
    );
    app.phone_size().await;
    app.screenshot("01-login").await;

    app.type_into("login-server", &url).await;
    app.type_into("login-user", WORKER).await;
    app.type_into("login-password", gridmate_e2e::PASSWORD)
        .await;
    app.click("login-submit").await;
    app.find_visible("home-sync-status").await;
    app.find_visible("quick-add-patrol_visit").await;
    println!(
        "[e2e] signed in: session {} grids {}",
        app.invoke("session_get", json!({})).await,
        app.invoke("grids_list", json!({})).await
    );

    // ---- 2. Offline: the server dies --------------------------------------------------------
    server.kill9();
    println!("[e2e] server SIGKILLed");

    // Patrol visit: an empty submit shows inline errors; then fill and save.
    app.click("quick-add-patrol_visit").await;
    app.find("form-patrol_visit").await;
    app.click("form-submit").await;
    app.find_visible("error-subject_kind").await;
    println!(
        "[e2e] empty patrol visit submitted: {:?}",
        inline_errors(&app).await
    );
    assert!(!app.text("error-subject_kind").await.trim().is_empty());
    shot_at(&app, "error-subject_kind", "06-form-patrol_visit-errors").await;
    let grid_shown = app
        .input_in("field-grid_id")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    if grid_shown != GRID {
        // More than one grid (or none preselected): choose it.
        app.pick("grid_id", GRID).await;
    }
    app.pick("subject_kind", "place").await;
    app.type_into("field-subject_name", SUBJECT).await;
    app.type_into("field-findings", FINDINGS).await;
    let visit_id = submit_and_open(&app).await;
    println!("[e2e] patrol visit saved offline: {visit_id}");
    app.nav_back().await;

    // Dispute: a wrong ID number shows its inline error, the fixed one saves.
    app.click("quick-add-dispute").await;
    app.find("form-dispute").await;
    app.find_visible("form-submit").await;
    let grid_shown = app
        .input_in("field-grid_id")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    if grid_shown != GRID {
        app.pick("grid_id", GRID).await;
    }
    app.pick("source", "field").await;
    app.pick("dispute_category", "neighbour").await;
    app.pick("risk_level", "medium").await;
    app.type_into("field-summary", SUMMARY).await;
    app.click("add-party").await;
    app.find_visible("parties-item").await;
    app.pick("parties.0.role", "applicant").await;
    app.type_into("field-parties.0.name", PARTY).await;
    app.type_into("field-parties.0.id_number", BAD_ID).await;
    let err = app.find_visible("error-parties.0.id_number").await;
    let err_text = err.text().await.unwrap();
    assert!(
        !err_text.trim().is_empty(),
        "the ID number error has a message"
    );
    println!("[e2e] inline error for {BAD_ID}: {err_text}");
    shot_at(
        &app,
        "field-parties.0.id_number",
        "08-form-dispute-id-error",
    )
    .await;
    app.type_into("field-parties.0.id_number", GOOD_ID).await;
    app.wait_gone("error-parties.0.id_number").await;
    let dispute_id = submit_and_open(&app).await;
    println!("[e2e] dispute saved offline: {dispute_id}");
    assert_eq!(
        app.find("sync-badge")
            .await
            .attr("data-state")
            .await
            .unwrap()
            .as_deref(),
        Some("pending")
    );
    app.nav_back().await;

    // Both wait in their lists.
    expect_in_list(&app, "patrol_visit", &visit_id, "pending", WAIT).await;
    expect_in_list(&app, "dispute", &dispute_id, "pending", WAIT).await;

    // The legal-education form's inline errors (nothing saved).
    app.click("tab-legal_education").await;
    app.click("list-add").await;
    app.find("form-legal_education").await;
    app.click("form-submit").await;
    let first = app
        .wait_css_visible("[data-testid^=\"error-\"]", WAIT)
        .await;
    let first_id = first.attr("data-testid").await.unwrap().unwrap_or_default();
    println!(
        "[e2e] empty legal education submitted: {:?}",
        inline_errors(&app).await
    );
    shot_at(&app, &first_id, "07-form-legal_education-errors").await;
    app.nav_back().await;
    app.wait_css(
        "[data-testid=\"record-list\"][data-kind=\"legal_education\"]",
        WAIT,
    )
    .await;

    // ---- 3. Quit and relaunch ---------------------------------------------------------------
    assert!(
        app.quit().await,
        "the app exits by itself when its WebDriver session ends (its window closes)"
    );
    assert_eq!(
        std::fs::read_to_string(app_data.join("current-account"))
            .unwrap_or_default()
            .trim(),
        WORKER,
        "the app remembers the account for the relaunch"
    );

    let (app, launch) = App::launch(&bins, &app_data, &root.join("launch-2")).await;
    app.find_visible("tab-dispute").await;
    let relaunch_to_home = launch.started.elapsed();
    app.click("tab-dispute").await;
    app.wait_css("[data-testid=\"record-list\"][data-kind=\"dispute\"]", WAIT)
        .await;
    let relaunch_to_list = launch.started.elapsed();
    app.wait_css("[data-testid=\"record-item\"]", WAIT).await;
    let relaunch_to_row = launch.started.elapsed();
    println!(
        "[e2e] relaunch (session remembered): WebDriver session {} ms, home {} ms, dispute list {} ms, first row {} ms",
        ms(launch.session_ready),
        ms(relaunch_to_home),
        ms(relaunch_to_list),
        ms(relaunch_to_row)
    );
    println!(
        "[e2e] FIGURES cold_to_login_ms={} relaunch_to_list_ms={} relaunch_to_home_ms={} relaunch_to_first_row_ms={}",
        ms(cold_to_login),
        ms(relaunch_to_list),
        ms(relaunch_to_home),
        ms(relaunch_to_row)
    );
    app.phone_size().await;
    expect_in_list(&app, "dispute", &dispute_id, "pending", WAIT).await;
    open_record(&app, &dispute_id).await;
    let summary = app.text("detail-field-summary").await;
    assert!(
        summary.contains(SUMMARY),
        "detail summary after relaunch: {summary:?}"
    );
    let parties = app.text("detail-field-parties").await;
    assert!(
        parties.contains(GOOD_ID) || parties.contains(PARTY),
        "parties after relaunch: {parties:?}"
    );
    app.nav_back().await;
    expect_in_list(&app, "patrol_visit", &visit_id, "pending", WAIT).await;

    // ---- 4. The server is back: sync -------------------------------------------------------
    server.restart_same_port();
    assert_eq!(server.url, url);
    println!("[e2e] server restarted on {url}");
    app.click("tab-me").await;
    app.click("me-sync-now").await;
    expect_in_list(
        &app,
        "patrol_visit",
        &visit_id,
        "synced",
        Duration::from_secs(60),
    )
    .await;
    app.screenshot("03-list-patrol_visit").await;
    expect_in_list(
        &app,
        "dispute",
        &dispute_id,
        "synced",
        Duration::from_secs(60),
    )
    .await;
    app.screenshot("05-list-dispute").await;
    app.click("tab-legal_education").await;
    app.wait_css(
        "[data-testid=\"record-list\"][data-kind=\"legal_education\"]",
        WAIT,
    )
    .await;
    app.screenshot("04-list-legal_education").await;
    app.click("tab-home").await;
    app.find_visible("home-pending-count").await;
    wait_until("home pending count 0", WAIT, || async {
        (app.text("home-pending-count").await.trim() == "0").then_some(())
    })
    .await;
    app.screenshot("02-home").await;
    // A successful sync is logged: home names its time, not 从未 (never).
    let last_sync = wait_until(
        "home's 上次同步 to name the sync just made",
        WAIT,
        || async {
            let s = app.text("home-last-sync").await;
            (!s.trim().is_empty() && !s.contains("从未")).then_some(s)
        },
    )
    .await;
    println!("[e2e] home: {last_sync}");
    // The icons are drawn from the Vant icon font (bundled with the app): it must load, or every
    // icon is an empty box.
    let icon_font = wait_until("the Vant icon font loaded", WAIT, || async {
        let status = app
            .driver()
            .execute(
                "const s = []; document.fonts.forEach((f) => { if (f.family.includes('vant-icon')) s.push(f.status); }); return s;",
                vec![],
            )
            .await
            .map(|r| r.json().clone())
            .unwrap_or_default();
        status.to_string().contains("\"loaded\"").then_some(status)
    })
    .await;
    println!("[e2e] Vant icon font: {icon_font}");

    let dump = server.dump();
    let visit = dump
        .get(&visit_id)
        .unwrap_or_else(|| panic!("server lacks the visit: {dump:?}"));
    assert_eq!(str_at(visit, "/kind"), "patrol_visit");
    assert_eq!(str_at(visit, "/grid_id"), GRID);
    assert_eq!(str_at(visit, "/findings"), FINDINGS);
    assert_eq!(str_at(visit, "/subject_kind"), "place");
    assert_eq!(str_at(visit, "/subject_name"), SUBJECT);
    assert_eq!(str_at(visit, "/created_by"), WORKER);
    let dispute = dump
        .get(&dispute_id)
        .unwrap_or_else(|| panic!("server lacks the dispute: {dump:?}"));
    assert_eq!(str_at(dispute, "/kind"), "dispute");
    assert_eq!(str_at(dispute, "/grid_id"), GRID);
    assert_eq!(str_at(dispute, "/summary"), SUMMARY);
    assert_eq!(str_at(dispute, "/source"), "field");
    assert_eq!(str_at(dispute, "/dispute_category"), "neighbour");
    assert_eq!(str_at(dispute, "/risk_level"), "medium");
    assert_eq!(str_at(dispute, "/status"), "reported");
    assert_eq!(str_at(dispute, "/parties/0/role"), "applicant");
    assert_eq!(str_at(dispute, "/parties/0/name"), PARTY);
    assert_eq!(str_at(dispute, "/parties/0/id_number"), GOOD_ID);
    assert_eq!(dispute["parties"].as_array().map(Vec::len), Some(1));
    println!("[e2e] server dump holds both records intact");

    // ---- 5. The dispatcher edits the dispute from another device ---------------------------
    let cli = CliDevice {
        bin: bins.cli.clone(),
        data: root.join("cli"),
        account: DISPATCHER.into(),
    };
    cli.login(&url);
    cli.run(&["sync"], None);
    let shown: Value = serde_json::from_str(&cli.run(&["--json", "show", &dispute_id], None))
        .unwrap_or_else(|e| panic!("gridmate show: {e}"));
    assert_eq!(
        str_at(&shown, "/summary"),
        SUMMARY,
        "the CLI pulled the dispute"
    );
    let new_summary = format!("{SUMMARY}，已受理");
    let patch = json!({ "risk_level": "high", "summary": new_summary }).to_string();
    cli.run(&["edit", &dispute_id, "-"], Some(&patch));
    cli.run(&["sync"], None);
    assert_eq!(str_at(&server.dump()[&dispute_id], "/risk_level"), "high");
    println!("[e2e] {DISPATCHER} edited the dispute from the CLI and synced");

    // An open detail follows a sync that brings a new version of its record (here a sync started
    // by the background driver's command, not from the UI).
    app.click("tab-dispute").await;
    open_record(&app, &dispute_id).await;
    let r = app.invoke("sync_now", json!({})).await;
    assert!(r.get("err").is_none(), "sync_now: {r}");
    wait_until("the open detail to show the pulled edit", WAIT, || async {
        app.text("detail-field-summary")
            .await
            .contains("已受理")
            .then_some(())
    })
    .await;
    println!("[e2e] the open detail refreshed after the sync");
    app.nav_back().await;

    // The UI path: 我的 -> 立即同步, then the list and the detail show the edit.
    app.click("tab-me").await;
    app.click("me-sync-now").await;
    app.click("tab-dispute").await;
    wait_until(
        "the dispute row shows the high risk",
        Duration::from_secs(45),
        || async {
            let row = app
                .all_css(&format!(
                    "[data-testid=\"record-item\"][data-id=\"{dispute_id}\"]"
                ))
                .await
                .into_iter()
                .next()?;
            row.text().await.ok()?.contains("高").then_some(())
        },
    )
    .await;
    open_record(&app, &dispute_id).await;
    let summary = app.text("detail-field-summary").await;
    assert!(
        summary.contains(&new_summary),
        "detail summary after the edit: {summary:?}"
    );
    let risk = app.text("detail-field-risk_level").await;
    assert!(risk.contains("高"), "detail risk after the edit: {risk:?}");
    app.find("history").await;
    let entries = wait_until("a history entry by zhao.min", WAIT, || async {
        let mut texts = Vec::new();
        for e in app.all_css("[data-testid=\"history-entry\"]").await {
            texts.push(e.text().await.unwrap_or_default());
        }
        texts
            .iter()
            .any(|t| t.contains(DISPATCHER))
            .then_some(texts)
    })
    .await;
    println!("[e2e] history: {entries:?}");
    assert!(
        entries.iter().any(|t| t.contains(WORKER)),
        "the creation by {WORKER} is in the history"
    );
    assert!(
        entries
            .iter()
            .any(|t| t.contains(DISPATCHER) && t.contains("风险等级、纠纷概要")),
        "the edit by {DISPATCHER} names its fields in Chinese: {entries:?}"
    );
    assert!(
        !entries
            .iter()
            .any(|t| t.contains("risk_level") || t.contains("updated_at")),
        "no field ids in the history: {entries:?}"
    );
    shot_at(&app, "history", "09-detail-history").await;
    app.nav_back().await;

    app.click("tab-me").await;
    app.find_visible("me-sync-now").await;
    app.screenshot("10-me-sync").await;
    let logged = wait_until("我的 to list the successful syncs", WAIT, || async {
        let n = app.all_css("[data-testid=\"sync-log-entry\"]").await.len();
        (n > 0).then_some(n)
    })
    .await;
    println!("[e2e] 我的 lists {logged} syncs");

    assert!(
        app.quit().await,
        "the app exits by itself when its WebDriver session ends (its window closes)"
    );
    drop(server);
}

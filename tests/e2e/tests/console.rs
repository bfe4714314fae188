//! The command-centre console (指挥中心), end to end, in a real Chromium against a real server.
//!
//! A real `gridmate-server` (its console embedded); the `gridmate` CLI as the grid worker's and
//! the lawyer's phones; headless Chromium through chromedriver as the dispatcher's desk:
//! 1. wang.wei (grid worker) reports a dispute from the CLI and syncs (plus a day of generated
//!    records, so the map and statistics have something to show);
//! 2. sun.li (admin) signs in (a grid worker is refused there) and uploads the township's and the
//!    grid's boundaries as GeoJSON files through the admin page's file inputs;
//!    zhao.min (dispatcher) signs in, finds the report on the intake desk, accepts it and assigns
//!    it to li.na, a lawyer of another township;
//! 3. li.na's device receives the assignment on its next sync, starts and resolves it there, and
//!    syncs;
//! 4. the console's case list shows it resolved, its drawer too; the statistics count it; the
//!    map draws both boundaries;
//! 5. the case list exported to XLSX through the page's download link holds the list's rows,
//!    with Chinese headers and labels.
//!
//! Screenshots of every screen at 1440×900 go to `E2E_SCREENSHOTS` as `console-*.png`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gridmate_e2e::browser::Browser;
use gridmate_e2e::{CliDevice, Page, Server, WAIT, wait_until};

const GRID: &str = "jingkou-zhengdonglu-03";
const AREA: &str = "jingkou-zhengdonglu";
const WORKER: &str = "wang.wei";
const DISPATCHER: &str = "zhao.min";
const ADMIN: &str = "sun.li";
const LAWYER: &str = "li.na";
const LAWYER_AREA: &str = "jingkou-xiangshan";
const SUMMARY: &str = "楼上卫生间漏水至楼下，两户多次争执，请求调解。";

/// The server with the township's areas, users and a day of field records.
fn township(root: &Path, bins: &gridmate_e2e::Bins) -> Server {
    let server = Server::start(&bins.server, &root.join("server"));
    server.add_user(WORKER, "grid_worker", GRID);
    server.add_user(DISPATCHER, "dispatcher", AREA);
    server.add_user(ADMIN, "admin", AREA);
    server.0.add_user(
        LAWYER,
        "legal_volunteer",
        LAWYER_AREA,
        Some("lawyer"),
        gridmate_e2e::PASSWORD,
    );
    for (user, name) in [
        (WORKER, "王伟"),
        (DISPATCHER, "赵敏"),
        (LAWYER, "李娜"),
        (ADMIN, "孙丽"),
    ] {
        server
            .0
            .admin(&["user", "update", user, "--display-name", name], None);
    }
    for (id, name, level) in [
        ("jingkou", "京口区", "county"),
        (AREA, "正东路街道", "township"),
        (GRID, "正东路街道 03 网格", "grid"),
        (LAWYER_AREA, "象山街道", "township"),
    ] {
        server
            .0
            .admin(&["area", "add", id, "--name", name, "--level", level], None);
    }
    server
}

/// Waits for one finished `.xlsx` in the download folder.
async fn downloaded_xlsx(dir: &Path) -> PathBuf {
    wait_until("the XLSX download", Duration::from_secs(60), || async {
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"))
    })
    .await
}

/// Reloads the case list until the dispute's row shows `status`.
async fn row_status(b: &Browser, id: &str, status: &str) {
    wait_until(
        &format!("case {id} {status} in the list"),
        Duration::from_secs(30),
        || async {
            b.click("filter-apply").await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let el = b.all_css(&format!("[data-testid=\"case-row-{id}\"]")).await;
            let s = el.first()?.attr("data-status").await.ok().flatten()?;
            (s == status).then_some(())
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_runs_a_report_through_the_console_and_a_phone() {
    let bins = gridmate_e2e::Bins::without_app();
    let tmp = tempfile::Builder::new()
        .prefix("gridmate-e2e-console-")
        .tempdir()
        .unwrap();
    let root: &Path = tmp.path();
    let server = township(root, &bins);
    let url = server.url.clone();
    let cli = |account: &str| CliDevice {
        bin: bins.cli.clone(),
        data: root.join(format!("cli-{account}")),
        account: account.to_owned(),
    };

    // ---- 1. The report from the field --------------------------------------------------------
    let (worker, lawyer) = (cli(WORKER), cli(LAWYER));
    worker.login(&url);
    worker.run(&["seed", "--count", "30", "--grid", GRID], None);
    let draft = serde_json::json!({
        "kind": "dispute", "grid_id": GRID, "reported_at": "2026-12-01T10:00:00+08:00",
        "source": "field", "dispute_category": "neighbour", "summary": SUMMARY, "risk_level": "medium",
    });
    let id = worker
        .run(&["add", "-"], Some(&draft.to_string()))
        .trim()
        .to_owned();
    worker.run(&["sync"], None);

    // ---- 2. The console: sign-in, intake, accept, assign -------------------------------------
    let b = Browser::launch(&root.join("downloads")).await;
    b.goto(&format!("{url}/console/")).await;
    b.find_visible("login-title").await;
    // A grid worker is sent to the app.
    b.type_into("login-user", WORKER).await;
    b.type_into("login-password", gridmate_e2e::PASSWORD).await;
    b.click("login-submit").await;
    b.find_visible("login-role-refused").await;
    upload_boundaries(&b, root).await;
    b.type_into("login-user", DISPATCHER).await;
    b.type_into("login-password", gridmate_e2e::PASSWORD).await;
    b.screenshot("console-login").await;
    b.click("login-submit").await;
    b.find_visible("intake-page").await;
    b.find_visible(&format!("intake-row-{id}")).await;
    b.screenshot("console-intake").await;

    b.click(&format!("intake-accept-{id}")).await;
    b.find_visible("action-dialog").await;
    b.click("action-submit").await;
    b.wait_gone("action-dialog").await;
    b.click("intake-tab-assign").await;
    b.click(&format!("intake-assign-{id}")).await;
    b.find_visible("action-dialog").await;
    b.click("action-field-assignee_user").await;
    b.click(&format!("action-option-assignee_user-{LAWYER}"))
        .await;
    b.screenshot("console-assign").await;
    b.click("action-submit").await;
    b.wait_gone("action-dialog").await;
    let on_server = server.dump();
    assert_eq!(
        on_server[&id]["status"], "assigned",
        "the console's assignment is on the server"
    );

    // ---- 3. The lawyer's phone: received on the next sync, resolved there --------------------
    lawyer.login(&url);
    lawyer.run(&["sync"], None);
    let shown = lawyer.run(&["--json", "show", &id], None);
    assert!(
        shown.contains("\"assigned\""),
        "the lawyer's device holds the assignment: {shown}"
    );
    lawyer.run(&["dispute", "start", &id], None);
    let resolve = serde_json::json!({
        "resolution_method": "mediation", "outcome": "agreement",
        "terms": "楼上住户十日内修复防水层，并赔偿楼下住户八百元。",
    });
    lawyer.run(&["dispute", "resolve", &id, &resolve.to_string()], None);
    lawyer.run(&["sync"], None);

    // ---- 4. Seen resolved in the console, counted in the statistics --------------------------
    b.click("menu-cases").await;
    b.find_visible("cases-page").await;
    row_status(&b, &id, "resolved").await;
    b.screenshot("console-cases").await;
    b.click(&format!("case-row-{id}")).await;
    let drawer = b.find_visible("case-drawer").await;
    wait_until("the drawer shows resolved", WAIT, || async {
        let s = drawer.attr("data-status").await.ok().flatten()?;
        (s == "resolved").then_some(())
    })
    .await;
    b.screenshot("console-case").await;
    b.driver()
        .execute(
            "document.activeElement && document.activeElement.blur()",
            vec![],
        )
        .await
        .unwrap();
    b.driver()
        .action_chain()
        .send_keys(thirtyfour::Key::Escape)
        .perform()
        .await
        .unwrap();
    b.wait_gone("case-drawer").await;

    b.click("menu-stats").await;
    let resolved = b.find_visible("stats-status-resolved").await;
    let count = resolved
        .attr("data-count")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(count, "1", "the statistics count the resolved dispute");
    b.find_visible("chart-category").await;
    b.screenshot("console-stats").await;

    for (menu, page, shot) in [
        (
            "menu-supervision",
            "supervision-page",
            "console-supervision",
        ),
        ("menu-map", "map-page", "console-map"),
    ] {
        b.click(menu).await;
        b.find_visible(page).await;
        if page == "map-page" {
            // The township's and the grid's outlines, drawn from the uploaded GeoJSON.
            wait_until("both boundaries on the map", WAIT, || async {
                (b.all_css("path.gm-boundary").await.len() == 2).then_some(())
            })
            .await;
        }
        b.screenshot(shot).await;
    }

    // ---- 5. The list exported to XLSX through the page's link --------------------------------
    b.click("menu-cases").await;
    b.find_visible("cases-page").await;
    let total: usize = b
        .find_visible("cases-total")
        .await
        .attr("data-total")
        .await
        .ok()
        .flatten()
        .and_then(|t| t.parse().ok())
        .expect("the list's total");
    b.click("export-xlsx").await;
    let file = downloaded_xlsx(&b.downloads).await;
    let rows = xlsx_rows(&file);
    assert_eq!(rows.len(), total + 1, "a header row and the list's rows");
    assert!(
        rows[0].iter().any(|h| h == "状态"),
        "Chinese headers: {:?}",
        rows[0]
    );
    assert!(
        rows.iter().any(|r| r.iter().any(|c| c == "办结")),
        "the resolved dispute's status with its Chinese label"
    );

    b.quit().await;
}

/// A GeoJSON Feature: the square of side `d` degrees centred on the seeded records' centre.
fn square(d: f64) -> serde_json::Value {
    let (lon, lat) = (119.45, 32.20);
    let ring: Vec<[f64; 2]> = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0)]
        .iter()
        .map(|(x, y)| [lon + x * d / 2.0, lat + y * d / 2.0])
        .collect();
    serde_json::json!({
        "type": "Feature", "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    })
}

/// The admin signs in, takes the admin page's screenshot, uploads the township's and the grid's
/// boundaries through the area rows' file inputs, sees both marked, and signs out.
async fn upload_boundaries(b: &Browser, root: &Path) {
    b.type_into("login-user", ADMIN).await;
    b.type_into("login-password", gridmate_e2e::PASSWORD).await;
    b.click("login-submit").await;
    b.click("menu-admin").await;
    b.find_visible("admin-page").await;
    b.find_visible(&format!("admin-user-edit-{WORKER}")).await;
    b.screenshot("console-admin").await;
    // Element Plus renders a pane's tab as `#tab-<name>`.
    let tab = b.wait_css_visible("#tab-areas", WAIT).await;
    b.click_el("the areas tab", &tab).await;
    for (area, side) in [(AREA, 0.08), (GRID, 0.06)] {
        let file = root.join(format!("{area}.geojson"));
        std::fs::write(&file, square(side).to_string()).unwrap();
        b.find_visible(&format!("admin-area-boundary-{area}")).await;
        b.find(&format!("admin-area-boundary-file-{area}"))
            .await
            .send_keys(file.to_str().unwrap())
            .await
            .unwrap();
        b.find_visible(&format!("admin-area-has-boundary-{area}"))
            .await;
    }
    b.click("sign-out").await;
    b.find_visible("login-title").await;
}

/// Every row of the first sheet, as text.
fn xlsx_rows(path: &Path) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx, open_workbook};
    let mut wb: Xlsx<_> = open_workbook(path).expect("an XLSX file");
    let sheet = wb
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

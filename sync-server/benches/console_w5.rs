//! W5 of the console: statistics of a county holding 1,000,000 records, for a quarter, and the
//! memory of a 100,000-row XLSX export. Not a criterion bench: one generated database, a few
//! timed requests through the real router (in process, so the figure is server time), and the
//! peak RSS of the export read from /proc.
//!
//! Run (release):
//!   cargo bench -p gridmate-server --bench console_w5 -- stats [records]
//!   cargo bench -p gridmate-server --bench console_w5 -- cases [records]
//!   cargo bench -p gridmate-server --bench console_w5 -- export [rows] [xlsx|csv]
//! Without `--bench` (as `cargo test --all-targets` runs it) it does nothing.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, header};
use gridmate_domain::Timestamp;
use gridmate_domain::search::{area_tokens, index_tokens, kind_token};
use gridmate_server::auth::password;
use gridmate_server::console::export::{ExportFormat, ExportRow, write_export};
use gridmate_server::model::{NewUser, Role};
use gridmate_server::storage::AccountStore;
use gridmate_server::{AppState, ManualClock, Scope, ServerConfig, SqliteStorage, router};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::{Connection, params};
use tower::ServiceExt;

const DAY: i64 = 86_400_000;
/// 2026-12-01T00:00+08:00: "now" of the generated county; records span the year before it.
const NOW: i64 = 1_796_054_400_000;
const TOWNSHIPS: usize = 10;
const COMMUNITIES: usize = 8;
const GRIDS: usize = 6;
const WORKERS: usize = 1_500;
const STATUSES: [&str; 11] = [
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
];
const CATEGORIES: [&str; 9] = [
    "family",
    "neighbour",
    "labour",
    "property_management",
    "land",
    "consumer",
    "traffic",
    "medical",
    "other",
];

fn grid(rng: &mut StdRng) -> String {
    let (t, c, g) = (
        rng.random_range(0..TOWNSHIPS),
        rng.random_range(0..COMMUNITIES),
        rng.random_range(0..GRIDS),
    );
    format!("jingkou-t{t:02}-c{c:02}-{g:02}")
}

/// Free texts of the generated records (what the full-text index holds, with the area tokens).
const TEXTS: [&str; 10] = [
    "楼上卫生间漏水至楼下，两户多次争执，请求调解",
    "楼道堆放纸箱和电动车，占用消防通道",
    "物业费收取争议，业主拒缴，物业停止保洁",
    "邻里因噪音多次发生口角，要求社区调解",
    "拖欠工资三个月，工人要求结清",
    "燃气管道老化，住户担心安全",
    "宅基地边界不清，两家发生争执",
    "夫妻因子女抚养问题争吵，请求调解",
    "顶楼漏水多年未修，要求维修基金维修",
    "小区停车位被长期占用，车主之间争执",
];

/// Fills `console_records` (and the `sync_records` rows it references) with `n` records of the
/// county: 55 % patrol visits, 10 % legal education, 35 % disputes, over 365 days; with `fts`,
/// each record's full-text entry too.
fn generate(db: &SqliteStorage, n: usize, disputes_only: bool, fts: bool) {
    let mut c = Connection::open(db.path()).unwrap();
    c.pragma_update(None, "synchronous", "OFF").unwrap();
    let tx = c.transaction().unwrap();
    {
        let mut sync = tx
            .prepare(
                "INSERT INTO sync_records (id, grid_id, kind, created_by, heads, occurred_at,
                                           updated_at, last_seq)
                 VALUES (?1, ?2, ?3, ?4, x'00', ?5, ?5, 1)",
            )
            .unwrap();
        let mut index = tx
            .prepare(
                "INSERT INTO console_records (record_rowid, record_id, kind, grid_id, created_by,
                     occurred_at, updated_at, deleted, title, lat, lon, audience, status, category,
                     risk, source, assignee_user, assignee_unit, due_at, supervised, resolved_at,
                     on_time, outcome, satisfaction, parties)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                         ?16, ?17, ?18, 0, ?19, ?20, ?21, ?22, ?23)",
            )
            .unwrap();
        let mut text = tx
            .prepare("INSERT INTO console_fts (rowid, tokens) VALUES (?1, ?2)")
            .unwrap();
        let mut rng = StdRng::seed_from_u64(13);
        for i in 0..n {
            let roll = rng.random_range(0..100);
            let kind = match roll {
                _ if disputes_only => "dispute",
                0..55 => "patrol_visit",
                55..65 => "legal_education",
                _ => "dispute",
            };
            let g = grid(&mut rng);
            let at = NOW - rng.random_range(0..365 * DAY);
            let by = format!("worker{:04}", rng.random_range(0..WORKERS));
            let id = uuid::Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + i as u128);
            sync.execute(params![id.as_bytes().as_slice(), g, kind, by, at])
                .unwrap();
            let rowid = tx.last_insert_rowid();
            if fts {
                let words = TEXTS[rng.random_range(0..TEXTS.len())];
                let tokens = format!(
                    "{} {} {}",
                    index_tokens(words),
                    area_tokens(&g),
                    kind_token(kind)
                );
                text.execute(params![rowid, tokens]).unwrap();
            }
            let d = kind == "dispute";
            let status = d.then(|| STATUSES[rng.random_range(0..STATUSES.len())]);
            let resolved = status
                .is_some_and(|s| ["resolved", "follow_up", "evaluated", "closed"].contains(&s));
            let open =
                status.is_some_and(|s| !["closed", "evaluated", "not_accepted"].contains(&s));
            index
                .execute(params![
                        rowid,
                        id.as_bytes().as_slice(),
                        kind,
                        g,
                        by,
                        at,
                        i64::from(rng.random_range(0..200) == 0),
                        "矛盾纠纷：楼上漏水，多次协商未果",
                        (rng.random_range(0..10) < 8).then(|| 32.2 + rng.random_range(-0.1..0.1)),
                        Some(119.45 + rng.random_range(-0.1..0.1)),
                        (kind == "legal_education").then(|| rng.random_range(5..300)),
                        status,
                        d.then(|| CATEGORIES[rng.random_range(0..CATEGORIES.len())]),
                        d.then_some("medium"),
                        d.then_some("field"),
                        open.then(|| format!("lawyer{:03}", rng.random_range(0..200))),
                        open.then_some("sfs-t01"),
                        open.then(|| at + rng.random_range(1..20) * DAY),
                        resolved.then_some(at + 5 * DAY),
                        resolved.then(|| i64::from(rng.random_range(0..10) < 8)),
                        resolved
                            .then(|| ["agreement", "no_agreement", "withdrawn"]
                                [rng.random_range(0..3)]),
                        (resolved && rng.random_range(0..2) == 0).then(|| [
                            "satisfied",
                            "basically_satisfied",
                            "dissatisfied"
                        ][rng.random_range(0..3)]),
                        d.then_some(2),
                    ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

/// A generated county of `n` records behind the real router, and the session cookie of its
/// county-wide admin.
async fn county(n: usize, fts: bool) -> (tempfile::TempDir, axum::Router, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(SqliteStorage::open(dir.path()).unwrap());
    let t = Instant::now();
    generate(&db, n, false, fts);
    println!(
        "generated {n} records in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(NOW).unwrap()));
    let app = router(AppState::new(db.clone(), ServerConfig::default(), clock));
    let user = NewUser::new(
        "qian",
        None,
        Role::Admin,
        None,
        Scope::parse_list("jingkou").unwrap(),
    )
    .unwrap();
    db.create_user(
        &user,
        &password::hash_password("pw for bench").unwrap(),
        Timestamp::from_millis(1).unwrap(),
    )
    .unwrap();
    let req = Request::post("/v1/console/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"user":"qian","password":"pw for bench"}"#))
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let cookie = resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (dir, app, cookie)
}

/// Times each request 7 times and prints the median and max of the last 6.
async fn time_requests(app: &axum::Router, cookie: &str, requests: &[(&str, String)]) {
    for (what, uri) in requests {
        let mut times = Vec::new();
        let mut bytes = 0;
        for _ in 0..7 {
            let req = Request::get(uri)
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap();
            let t = Instant::now();
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), 200, "{uri}");
            bytes = axum::body::to_bytes(resp.into_body(), 1 << 30)
                .await
                .unwrap()
                .len();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        // The first run reads the file into the page cache; report the rest.
        let first = times[0];
        let warm = &mut times[1..];
        warm.sort_by(f64::total_cmp);
        println!(
            "{what}: median {:.0} ms, max {:.0} ms (first {:.0} ms), {bytes} bytes",
            warm[warm.len() / 2],
            warm[warm.len() - 1],
            first
        );
    }
}

/// The case list's total as the bench's user sees it.
async fn list_total(app: &axum::Router, cookie: &str) -> usize {
    let req = Request::get("/v1/console/cases")
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    page["total"].as_u64().unwrap() as usize
}

/// The county's size: the first argument after the mode, 1,000,000 records by default.
fn records_arg(args: &[String]) -> usize {
    args.get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000)
}

async fn stats(args: &[String]) {
    let n = records_arg(args);
    let (_dir, app, cookie) = county(n, false).await;
    let quarter = format!("from={}&to={}", NOW - 91 * DAY, NOW);
    let requests = [
        (
            "county, quarter",
            format!("/v1/console/stats?area=jingkou&{quarter}"),
        ),
        (
            "county, 366 days",
            format!(
                "/v1/console/stats?area=jingkou&from={}&to={NOW}",
                NOW - 366 * DAY
            ),
        ),
        (
            "township, quarter",
            format!("/v1/console/stats?area=jingkou-t03&{quarter}"),
        ),
        (
            "supervision, county",
            "/v1/console/supervision?area=jingkou".to_owned(),
        ),
        (
            "map points, county, quarter",
            format!("/v1/console/map/points?area=jingkou&{quarter}"),
        ),
    ];
    time_requests(&app, &cookie, &requests).await;
}

/// The case list as the county's user sees it: every dispute of the county (35 % of `n`).
async fn cases(args: &[String]) {
    let n = records_arg(args);
    let (_dir, app, cookie) = county(n, true).await;
    let q = |s: &str| -> String { s.bytes().map(|b| format!("%{b:02X}")).collect() };
    let quarter = NOW - 90 * DAY;
    // The last page holds the last case (a few generated cases are deleted).
    let pages = list_total(&app, &cookie).await.div_ceil(50);
    let requests = [
        ("list", "/v1/console/cases".to_owned()),
        (
            "filter: state + risk",
            "/v1/console/cases?status=assigned,in_progress&risk=medium,high".to_owned(),
        ),
        (
            "filter: overdue by due time",
            "/v1/console/cases?overdue=true&sort=due_at&order=asc".to_owned(),
        ),
        (
            "filter: category + dates, by risk",
            format!("/v1/console/cases?category=neighbour,family&from={quarter}&sort=risk"),
        ),
        (
            "filter: source + supervised, by update",
            "/v1/console/cases?source=field&supervised=false&sort=updated_at".to_owned(),
        ),
        (
            "filter: closed states, by state",
            "/v1/console/cases?status=resolved,closed,evaluated&sort=status".to_owned(),
        ),
        ("search 漏水", format!("/v1/console/cases?q={}", q("漏水"))),
        (
            "search 消防通道",
            format!("/v1/console/cases?q={}", q("消防通道")),
        ),
        (
            "search 燃气 + state",
            format!("/v1/console/cases?q={}&status=reported", q("燃气")),
        ),
        (
            "search 调解, by risk",
            format!("/v1/console/cases?q={}&sort=risk", q("调解")),
        ),
        (
            "page 1 of 50",
            "/v1/console/cases?page=1&page_size=50&sort=occurred_at&order=asc".to_owned(),
        ),
        (
            "middle page of 50",
            format!(
                "/v1/console/cases?page={}&page_size=50&sort=occurred_at&order=asc",
                pages / 2
            ),
        ),
        (
            "last page of 50",
            format!("/v1/console/cases?page={pages}&page_size=50&sort=occurred_at&order=asc"),
        ),
    ];
    time_requests(&app, &cookie, &requests).await;
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn export(args: &[String]) {
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let format = match args.get(2).map(String::as_str) {
        Some("csv") => ExportFormat::Csv,
        _ => ExportFormat::Xlsx,
    };
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    generate(&db, n, true, false);
    drop(db);
    // Forget the generation's peak: from here VmHWM is the export's.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let before = peak_rss_kib();
    let conn = Connection::open(dir.path().join("server.db")).unwrap();
    let t = Instant::now();
    let mut out = CountingSink(0);
    write_export(format, dir.path(), &mut out, |sink| {
        let mut stmt = conn
            .prepare(
                "SELECT record_id, kind, grid_id, title, status, category, risk, source,
                        occurred_at, updated_at, due_at, supervised, assignee_user,
                        assignee_unit, created_by
                   FROM console_records WHERE kind = 'dispute' ORDER BY record_rowid",
            )
            .map_err(|e| gridmate_server::console::export::ExportError::Source(e.to_string()))?;
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let id: Vec<u8> = r.get(0).unwrap();
            let due_at: Option<i64> = r.get(10).unwrap();
            sink(ExportRow {
                id: uuid::Uuid::from_slice(&id).unwrap().to_string(),
                kind: r.get(1).unwrap(),
                grid_id: r.get(2).unwrap(),
                title: r.get(3).unwrap(),
                status: r.get(4).unwrap(),
                category: r.get(5).unwrap(),
                risk: r.get(6).unwrap(),
                source: r.get(7).unwrap(),
                occurred_at: r.get(8).unwrap(),
                updated_at: r.get(9).unwrap(),
                due_at,
                overdue: due_at.is_some_and(|d| d < NOW),
                supervised: r.get::<_, i64>(11).unwrap() != 0,
                assignee_user: r.get(12).unwrap(),
                assignee_unit: r.get(13).unwrap(),
                created_by: r.get(14).unwrap(),
            })?;
        }
        Ok(())
    })
    .unwrap();
    println!(
        "export {format:?} of {n} rows: {:.1} s, {} bytes; peak RSS {} KiB (before the export {before} KiB; peak reset: {reset})",
        t.elapsed().as_secs_f64(),
        out.0,
        peak_rss_kib()
    );
}

/// Counts what the export writes (the download, minus the network).
struct CountingSink(usize);

impl std::io::Write for CountingSink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len();
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let all: Vec<String> = std::env::args().skip(1).collect();
    if !all.iter().any(|a| a == "--bench") {
        println!("console_w5: run with `cargo bench` (skipped)");
        return;
    }
    let args: Vec<String> = all.into_iter().filter(|a| !a.starts_with("--")).collect();
    match args.first().map(String::as_str) {
        Some("export") => export(&args),
        Some("cases") => tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(cases(&args)),
        _ => tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(stats(&args)),
    }
}

//! W5 the command centre at county scale: a county of `--records` records (`--disputes` of them
//! disputes, spread over every workflow state) in `--grids` grids of `--townships` townships,
//! then a township dispatcher's console requests, timed: the case list, the list with filters,
//! with Chinese full-text search, deep pages, and opening a case.
//!
//! Population goes through the real server's push path, so `sync_records`, the change log, the
//! assignment index and the console index are exactly what phones would have made: each
//! township's dispatcher (a device of its own) pushes its township's records as one-change
//! documents in the largest batches the wire allows; a dispute is created by the dispatcher with
//! the dispatcher's own workflow events in that first change (accept, assign, start after
//! assigning to themself, return, escalate, not accept, resolve, close), and the township's grid
//! worker then pushes the follow-up visit (and the parties' satisfaction) as a second change.
//!
//! Each measurement is one function returning the request paths it cycles through
//! ([`Probe`]); the statistics and export measurements are added the same way. Time is measured
//! twice per request: the round trip on 127.0.0.1 (client side) and the server's own
//! `Server-Timing: db;dur=` (the storage work of the handler).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit};
use gridmate_domain::document::write_changes;
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::wire::{self, PROTOCOL_VERSION, PushDoc, PushOutcome, SyncRequest};
use gridmate_domain::workflow::{EventDetails, WorkflowEvent};
use gridmate_domain::{EscalationLevel, RecordKind};
use gridmate_domain::{
    GridId, LogKind, NotAcceptedReason, Record, RecordBody, ResolutionMethod, ResolutionOutcome,
    ReturnReason, Role, Satisfaction, Timestamp, WorkflowAction as A,
};
use gridmate_system_tests::console::Console;
use serde::Serialize;
use tokio::sync::mpsc;

use super::common::{
    ExchangeError, ServerProc, http_client, loadavg, login, percentile, post_sync,
};

#[derive(Debug, Clone)]
pub struct W5Args {
    pub records: u64,
    pub disputes: u64,
    pub grids: u32,
    pub townships: u32,
    /// Timed requests per measurement.
    pub requests: u32,
    pub batch: usize,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    pub name: String,
    pub requests: u32,
    pub rtt_p50_ms: f64,
    pub rtt_p95_ms: f64,
    pub server_p50_ms: f64,
    pub server_p95_ms: f64,
    pub server_max_ms: f64,
    /// `total` of the first list answer (lists only).
    pub total: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct W5Summary {
    pub records: i64,
    pub disputes: i64,
    pub grids: u32,
    pub townships: u32,
    pub township_disputes: i64,
    /// Disputes of the county by status (every state of the loop appears).
    pub by_status: Vec<(String, i64)>,
    pub populate_s: f64,
    pub populate_rec_per_s: f64,
    pub disk_mb: f64,
    pub measures: Vec<Measure>,
    pub exports: Vec<ExportMeasure>,
    pub loadavg_after: String,
}

/// A named measurement: the request paths it cycles through.
pub struct Probe {
    pub name: &'static str,
    pub paths: Vec<String>,
}

/// The county every township lies in (`w5-tNN`).
const COUNTY: &str = "w5";

fn township(t: u32) -> String {
    format!("w5-t{t:02}")
}

fn grid(g: u32, townships: u32) -> GridId {
    GridId::parse(&format!("{}-g{g:04}", township(g % townships)))
        .unwrap_or_else(|| fixtures::grid_id(0))
}

struct Account {
    user: String,
    token: String,
    actor: ActorId,
}

/// The workflow states a dispute `i` ends in, in turn: every state of the loop.
const PLANS: &[&[A]] = &[
    &[],
    &[A::Accept],
    &[A::Accept, A::Assign],
    &[A::Accept, A::Assign, A::Start],
    &[A::Accept, A::Assign, A::Return],
    &[A::Escalate],
    &[A::NotAccept],
    &[A::Accept, A::Assign, A::Resolve],
    &[A::Accept, A::Assign, A::Resolve, A::Close],
    &[A::Accept, A::Assign, A::Supervise],
    &[A::Accept, A::Assign, A::Start, A::Log],
];
/// Plans whose resolved dispute the grid worker follows up (and the parties evaluate).
const FOLLOW_UP_EVERY: u64 = 3;

fn details(action: A, at: Timestamp, assignee: &str) -> EventDetails {
    let d = EventDetails::default();
    match action {
        A::Assign => EventDetails {
            assignee_user: Some(assignee.to_owned()),
            due_at: Some(at.plus_millis(5 * 86_400_000)),
            ..d
        },
        A::Return => EventDetails {
            return_reason: Some(ReturnReason::NotOurs),
            ..d
        },
        A::Escalate => EventDetails {
            note: Some("涉及多个部门，需上级协调".into()),
            level: Some(EscalationLevel::Township),
            ..d
        },
        A::NotAccept => EventDetails {
            not_accepted_reason: Some(NotAcceptedReason::NotADispute),
            ..d
        },
        A::Resolve => EventDetails {
            resolution_method: Some(ResolutionMethod::Mediation),
            outcome: Some(ResolutionOutcome::Withdrawn),
            ..d
        },
        A::Supervise | A::FollowUp => EventDetails {
            note: Some("已电话回访当事人".into()),
            ..d
        },
        A::Log => EventDetails {
            note: Some("组织双方调解一次".into()),
            log_kind: Some(LogKind::Call),
            occurred_at: Some(at),
            ..d
        },
        A::Evaluate => EventDetails {
            satisfaction: Some(Satisfaction::Satisfied),
            ..d
        },
        _ => d,
    }
}

fn event(user: &str, role: Role, action: A, at: Timestamp, assignee: &str) -> WorkflowEvent {
    WorkflowEvent {
        id: uuid::Uuid::now_v7().to_string(),
        action,
        by: user.to_owned(),
        role,
        by_unit: None,
        at,
        details: details(action, at, assignee),
    }
}

/// One committed change of `rec` over `doc` (`None`: the record's first change).
fn commit(
    doc: &mut AutoCommit,
    old: Option<&Record>,
    rec: &Record,
    user: &str,
    op: &str,
    at: Timestamp,
) {
    // Built from valid records: writing cannot fail.
    write_changes(doc, old, rec).unwrap_or_default();
    doc.commit_with(
        CommitOptions::default()
            .with_message(format!("gridmate:{op}:{user}"))
            .with_time(at.millis() / 1000),
    );
}

/// Record `i` of the county: its first push (by the township's dispatcher) and, for some
/// resolved disputes, the follow-up push by the township's grid worker.
fn make(
    i: u64,
    a: &W5Args,
    now: Timestamp,
    d: &Account,
    w: &Account,
) -> (PushDoc, Option<PushDoc>) {
    let mut rng = Rng::new(a.seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let g = grid((i % u64::from(a.grids)) as u32, a.townships);
    let every = (a.records / a.disputes.max(1)).max(1);
    // Records come in blocks of one per grid: every `every`-th block is disputes, so every grid
    // (and township) holds its share; `n` numbers the disputes.
    let grids = u64::from(a.grids);
    let block = i / grids;
    let n = (block / every) * grids + i % grids;
    let dispute = block.is_multiple_of(every) && n < a.disputes;
    // Spread over the last year, oldest first.
    let at = now
        .plus_millis(-(((a.records - i) * 31_536_000_000 / a.records.max(1)) as i64) - 86_400_000);
    let mut rec = loop {
        let r = fixtures::record(&mut rng, g.clone(), at, &d.user);
        if (r.kind() == RecordKind::Dispute) == dispute {
            break r;
        }
    };
    let id = *rec.meta.id.as_uuid().as_bytes();
    let mut doc = AutoCommit::new().with_actor(d.actor.clone());
    let plan = PLANS[(n % PLANS.len() as u64) as usize];
    let mut t = at;
    if let RecordBody::Dispute(x) = &mut rec.body {
        for &action in plan {
            t = t.plus_millis(3_600_000);
            x.workflow
                .push(event(&d.user, Role::Dispatcher, action, t, &d.user));
        }
        x.refresh_status();
    }
    commit(&mut doc, None, &rec, &d.user, "create", t);
    let first = PushDoc {
        record_id: id,
        changes: vec![wire::Change(doc.save_nocompress())],
    };
    let resolved = plan.last() == Some(&A::Resolve);
    if !(resolved && (n / PLANS.len() as u64).is_multiple_of(FOLLOW_UP_EVERY)) {
        return (first, None);
    }
    let before = doc.get_heads();
    let old = rec.clone();
    if let RecordBody::Dispute(x) = &mut rec.body {
        // Half of the followed-up disputes are evaluated too; the others wait in `follow_up`.
        let evaluated = (n / PLANS.len() as u64).is_multiple_of(2 * FOLLOW_UP_EVERY);
        let actions: &[A] = if evaluated {
            &[A::FollowUp, A::Evaluate]
        } else {
            &[A::FollowUp]
        };
        for &action in actions {
            t = t.plus_millis(3_600_000);
            x.workflow
                .push(event(&w.user, Role::GridWorker, action, t, ""));
        }
        x.refresh_status();
    }
    doc.set_actor(w.actor.clone());
    commit(&mut doc, Some(&old), &rec, &w.user, "act", t);
    let follow = PushDoc {
        record_id: id,
        changes: doc
            .get_changes(&before)
            .iter()
            .map(|c| wire::Change(c.raw_bytes().to_vec()))
            .collect(),
    };
    (first, Some(follow))
}

/// Pushes one encoded batch, retrying a 429; every record must be accepted.
async fn push(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: Vec<u8>,
    count: usize,
) -> Result<()> {
    let mut tries = 0;
    let resp = loop {
        match post_sync(http, url, token, body.clone()).await {
            Ok(r) => break r,
            Err(ExchangeError::Overloaded) if tries < 20 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => bail!("w5 populate push: {e}"),
        }
    };
    if let Some(bad) = resp
        .results
        .iter()
        .find(|r| !matches!(r.outcome, PushOutcome::Accepted { .. }))
    {
        bail!("w5 populate: a record was not accepted: {:?}", bad.outcome);
    }
    ensure!(resp.results.len() == count, "w5 populate: missing results");
    Ok(())
}

/// Every township's dispatcher pushes its records (a generator thread per township encodes the
/// batches), then its grid worker the follow-ups.
async fn populate(
    server: &ServerProc,
    a: &W5Args,
    accounts: &[(Arc<Account>, Arc<Account>)],
) -> Result<()> {
    let now = Timestamp::now();
    let done = Arc::new(AtomicU64::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (t, (d, w)) in accounts.iter().enumerate() {
        let (tx, mut rx) = mpsc::channel::<(bool, usize, Vec<u8>)>(2);
        let (a2, d2, w2) = (a.clone(), d.clone(), w.clone());
        std::thread::spawn(move || {
            let mut firsts = Vec::with_capacity(a2.batch);
            let mut follows = Vec::new();
            let send = |follow: bool, docs: Vec<PushDoc>| {
                let req = SyncRequest {
                    protocol: PROTOCOL_VERSION,
                    push: docs,
                    pull: None,
                };
                tx.blocking_send((follow, req.push.len(), wire::encode_request(&req)))
                    .is_ok()
            };
            // Township t holds the grids g with g % townships == t, so records i with i % grids
            // == g.
            let mut i = t as u64;
            while i < a2.records {
                if (i % u64::from(a2.grids)) as u32 % a2.townships == t as u32 {
                    let (first, follow) = make(i, &a2, now, &d2, &w2);
                    firsts.push(first);
                    follows.extend(follow);
                    if firsts.len() == a2.batch && !send(false, std::mem::take(&mut firsts)) {
                        return;
                    }
                }
                i += 1;
            }
            if !firsts.is_empty() && !send(false, firsts) {
                return;
            }
            for chunk in follows.chunks(a2.batch) {
                if !send(true, chunk.to_vec()) {
                    return;
                }
            }
        });
        let (url, d, w, done) = (server.url.clone(), d.clone(), w.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let http = http_client()?;
            while let Some((follow, count, body)) = rx.recv().await {
                let token = if follow { &w.token } else { &d.token };
                push(&http, &url, token, body, count).await?;
                if !follow {
                    done.fetch_add(count as u64, Ordering::Relaxed);
                }
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    let mut last = Instant::now();
    for t in tasks {
        while !t.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            if last.elapsed().as_secs() >= 15 {
                last = Instant::now();
                let n = done.load(Ordering::Relaxed);
                eprintln!(
                    "w5: populated {n} / {} ({:.0} rec/s, load {})",
                    a.records,
                    n as f64 / t0.elapsed().as_secs_f64(),
                    loadavg()
                );
            }
        }
        t.await??;
    }
    Ok(())
}

/// The township dispatcher's plain list, newest first.
pub fn list_probe() -> Probe {
    Probe {
        name: "list",
        paths: vec!["/v1/console/cases".into()],
    }
}

/// Lists with filters (state, risk, overdue, category and date range, source, supervision).
pub fn filter_probe(now: Timestamp) -> Probe {
    let quarter = now.plus_millis(-90 * 86_400_000).millis();
    Probe {
        name: "list + filters",
        paths: vec![
            "/v1/console/cases?status=assigned,in_progress&risk=high,critical".into(),
            "/v1/console/cases?overdue=true&sort=due_at&order=asc".into(),
            format!("/v1/console/cases?category=neighbour,family&from={quarter}&sort=risk"),
            "/v1/console/cases?source=hotline_12345&supervised=false&sort=updated_at".into(),
            "/v1/console/cases?status=resolved,closed,evaluated&sort=status".into(),
        ],
    }
}

/// Lists with Chinese full-text search (common and rarer words, alone and with filters).
pub fn search_probe() -> Probe {
    let q = |s: &str| format!("/v1/console/cases?q={}", urlencode(s));
    Probe {
        name: "list + Chinese search",
        paths: vec![
            q("漏水"),
            q("消防通道"),
            format!("{}&status=reported", q("燃气")),
            format!("{}&sort=risk", q("调解")),
            q("纸箱 电动车"),
        ],
    }
}

/// Pages of the whole list, the deepest included.
pub fn paging_probe(pages: i64) -> Probe {
    Probe {
        name: "paging (page_size 50)",
        // At most 50 pages, spread evenly from the first to the last.
        paths: {
            let pages = pages.max(1);
            let n = pages.min(50);
            (0..n)
                .map(|k| 1 + k * (pages - 1) / (n - 1).max(1))
                .map(|p| {
                    format!("/v1/console/cases?page={p}&page_size=50&sort=occurred_at&order=asc")
                })
                .collect()
        },
    }
}

/// Opening cases seen in the list.
pub fn open_probe(ids: &[String]) -> Probe {
    Probe {
        name: "open a case",
        paths: ids
            .iter()
            .map(|id| format!("/v1/console/cases/{id}"))
            .collect(),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Times `n` requests cycling through the probe's paths.
async fn measure(c: &Console, p: &Probe, n: u32) -> Result<Measure> {
    let (mut rtt, mut server) = (Vec::new(), Vec::new());
    let mut total = None;
    for k in 0..n as usize {
        let path = &p.paths[k % p.paths.len()];
        let t = Instant::now();
        let got = c.get(path).await;
        rtt.push(t.elapsed().as_secs_f64() * 1e3);
        ensure!(got.status == 200, "{path}: {} {}", got.status, got.body);
        // Without a `Server-Timing` header the round trip on 127.0.0.1 stands for the server's
        // time (an upper bound of it).
        let timing = got
            .headers
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("db;dur="))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(*rtt.last().unwrap_or(&0.0));
        server.push(timing);
        if total.is_none() {
            total = got.body["total"].as_i64();
        }
    }
    Ok(Measure {
        name: p.name.to_owned(),
        requests: n,
        rtt_p50_ms: percentile(&rtt, 50.0),
        rtt_p95_ms: percentile(&rtt, 95.0),
        server_p50_ms: percentile(&server, 50.0),
        server_p95_ms: percentile(&server, 95.0),
        server_max_ms: percentile(&server, 100.0),
        total,
    })
}

pub async fn run(a: &W5Args) -> Result<W5Summary> {
    let server = ServerProc::start(256)?;
    let mut users = Vec::new();
    for t in 0..a.townships {
        users.push((format!("w5.d{t:02}"), "dispatcher".into(), township(t)));
        users.push((format!("w5.w{t:02}"), "grid_worker".into(), township(t)));
    }
    users.push(("w5.county".into(), "dispatcher".into(), COUNTY.into()));
    server.add_users(&users, 4)?;
    let http = http_client()?;
    let mut accounts = Vec::new();
    for t in 0..a.townships {
        let mut pair = Vec::new();
        for who in ["d", "w"] {
            let user = format!("w5.{who}{t:02}");
            let token = login(&http, &server.url, &user, &uuid::Uuid::now_v7().to_string()).await?;
            pair.push(Arc::new(Account {
                user,
                token,
                actor: ActorId::random(),
            }));
        }
        accounts.push((pair[0].clone(), pair[1].clone()));
    }
    eprintln!(
        "w5: populating {} records ({} disputes)",
        a.records, a.disputes
    );
    let t0 = Instant::now();
    populate(&server, a, &accounts).await?;
    // Populated means held and indexed: the console indexer follows the pushes.
    server.wait_console_current(Duration::from_secs(1800))?;
    let populate_s = t0.elapsed().as_secs_f64();
    server.checkpoint()?;
    let records = server.count("sync_records")?;
    let indexed = server.count("console_records")?;
    ensure!(
        records as u64 == a.records,
        "the server holds {records} records"
    );
    ensure!(
        indexed == records,
        "{indexed} index rows for {records} records"
    );
    let disputes = server.count("console_records WHERE kind = 'dispute'")?;
    let by_status = statuses(&server)?;

    eprintln!(
        "w5: measuring as the dispatcher of {} (load {})",
        township(0),
        loadavg()
    );
    let c = Console::sign_in(&server.url, "w5.d00").await;
    let (township_disputes, mut measures) = case_list_measures(&c, "", a.requests).await?;
    eprintln!(
        "w5: measuring as the county's dispatcher (load {})",
        loadavg()
    );
    let county = Console::sign_in(&server.url, "w5.county").await;
    let (_, county_lists) = case_list_measures(&county, "county: ", a.requests).await?;
    measures.extend(county_lists);
    let stats = stats_probe(Timestamp::now());
    measure(&county, &stats, 1).await?;
    measures.push(measure(&county, &stats, a.requests.clamp(1, 20)).await?);
    let exports = export_measures(&server, &county).await?;
    Ok(W5Summary {
        records,
        disputes,
        grids: a.grids,
        townships: a.townships,
        township_disputes,
        by_status,
        populate_s,
        populate_rec_per_s: records as f64 / populate_s,
        disk_mb: server.disk_bytes() as f64 / 1e6,
        measures,
        exports,
        loadavg_after: loadavg(),
    })
}

/// The case list's probes (list, filters, search, paging, open) as one dispatcher, each name
/// prefixed with `label`; returns the dispatcher's number of disputes and the measures.
async fn case_list_measures(
    c: &Console,
    label: &str,
    requests: u32,
) -> Result<(i64, Vec<Measure>)> {
    let first = c.get("/v1/console/cases?page_size=100").await;
    let disputes = first.body["total"].as_i64().context("a total")?;
    let ids: Vec<String> = first.body["items"]
        .as_array()
        .context("items")?
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_owned))
        .collect();
    let now = Timestamp::now();
    let probes = [
        list_probe(),
        filter_probe(now),
        search_probe(),
        paging_probe((disputes + 49) / 50),
        open_probe(&ids),
    ];
    let mut measures = Vec::new();
    for p in &probes {
        // One untimed pass warms the statement cache and the page cache.
        measure(c, p, p.paths.len().min(20) as u32).await?;
        let mut m = measure(c, p, requests).await?;
        m.name = format!("{label}{}", m.name);
        measures.push(m);
    }
    Ok((disputes, measures))
}

/// The county's statistics for the last quarter, as the county centre's dispatcher.
pub fn stats_probe(now: Timestamp) -> Probe {
    let quarter = now.plus_millis(-91 * 86_400_000).millis();
    Probe {
        name: "county statistics, one quarter",
        paths: vec![format!(
            "/v1/console/stats?from={quarter}&to={}",
            now.millis()
        )],
    }
}

/// One XLSX export of the county's case list: rows, bytes, time and the server's peak RSS.
#[derive(Debug, Clone, Serialize)]
pub struct ExportMeasure {
    pub query: String,
    pub rows: i64,
    pub bytes: u64,
    pub seconds: f64,
    pub server_peak_rss_mb: f64,
}

/// The county's disputes exported whole and a small slice of them, each after the server's peak
/// RSS is reset: streaming in constant memory shows as the same peak for both.
async fn export_measures(server: &ServerProc, c: &Console) -> Result<Vec<ExportMeasure>> {
    let mut out = Vec::new();
    for query in ["?status=closed&risk=low", ""] {
        let rows = c.get(&format!("/v1/console/cases{query}")).await.body["total"]
            .as_i64()
            .context("a total")?;
        server.reset_peak_rss();
        let t = Instant::now();
        let (status, _, bytes) = c
            .get_bytes(&format!("/v1/console/export.xlsx{query}"))
            .await;
        let seconds = t.elapsed().as_secs_f64();
        ensure!(status == 200, "export{query}: {status}");
        out.push(ExportMeasure {
            query: query.to_owned(),
            rows,
            bytes: bytes.len() as u64,
            seconds,
            server_peak_rss_mb: server.stats().peak_rss_mb,
        });
    }
    Ok(out)
}

/// Disputes by status, read from the server's own file (read-only).
fn statuses(server: &ServerProc) -> Result<Vec<(String, i64)>> {
    let c = rusqlite::Connection::open_with_flags(
        server.db_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let rows = c
        .prepare(
            "SELECT status, count(*) FROM console_records WHERE kind = 'dispute'
             GROUP BY status ORDER BY status",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

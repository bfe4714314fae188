//! W3 rush hour: `--devices` simulated devices on 127.0.0.1, each with its own user, device id,
//! token and Automerge actor, syncing every `--min-interval-ms`..`--max-interval-ms` for
//! `--seconds`, each sync pushing one new seeded record and pulling what is new in its grid
//! (`--devices-per-grid` devices share a grid, so pulls carry the neighbours' records).
//!
//! Lightweight devices: no SQLite store per device; each keeps its actor and pull positions in
//! memory and builds `SyncRequest`s with `gridmate_domain::wire` — the real protocol over real
//! HTTP (one keep-alive connection per device), just without a client database, so the load
//! generator's CPU stays small beside the server's on a 2-core machine. All users are created and
//! signed in before the clock starts. A 429 counts as an error; with `--retry-429` the device
//! retries it (bounded) and both counts are reported.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit};
use gridmate_domain::document::write_changes;
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::wire::{
    self, PROTOCOL_VERSION, Position, PullRequest, PushDoc, PushOutcome, SyncRequest,
};
use gridmate_domain::{GridId, Timestamp};
use serde::Serialize;
use tokio::sync::Mutex;

use super::common::{
    ExchangeError, ProcStats, ServerProc, device_http_client, http_client, loadavg, login,
    percentile, post_sync,
};

#[derive(Debug, Clone)]
pub struct W3Args {
    pub devices: u32,
    pub seconds: u64,
    pub min_interval_ms: u64,
    pub max_interval_ms: u64,
    pub devices_per_grid: u32,
    pub max_in_flight: usize,
    pub retry_429: bool,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct W3Summary {
    pub devices: u32,
    pub seconds: u64,
    pub loadavg_before: String,
    pub loadavg_after: String,
    pub setup_s: f64,
    pub syncs_ok: u64,
    pub syncs_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Syncs that did not succeed in the end (429 without retry, or after the retries, or other).
    pub errors: u64,
    /// 429 answers received (each retried when `--retry-429`).
    pub overloaded_429: u64,
    pub other_errors: u64,
    pub first_error: Option<String>,
    pub records_on_server: i64,
    pub records_pulled: u64,
    pub server_cpu_s: f64,
    pub server_cpu_util: f64,
    pub server_peak_rss_mb: f64,
    pub loadgen_cpu_s: f64,
}

#[derive(Default)]
struct Tally {
    lat_ms: Vec<f64>,
    errors: u64,
    overloaded: u64,
    other: u64,
    first_error: Option<String>,
    pulled: u64,
}

struct Dev {
    user: String,
    grid: GridId,
    token: String,
    actor: ActorId,
}

pub async fn run(a: &W3Args) -> Result<W3Summary> {
    let setup = Instant::now();
    let loadavg_before = loadavg();
    let server = ServerProc::start(a.max_in_flight)?;
    let per = a.devices_per_grid.max(1);
    let users: Vec<(String, String, String)> = (0..a.devices)
        .map(|i| {
            (
                format!("w3.d{i:04}"),
                "grid_worker".into(),
                fixtures::grid_id(i / per).as_str().into(),
            )
        })
        .collect();
    eprintln!("w3: creating {} users", users.len());
    server.add_users(&users, 4)?;
    eprintln!("w3: signing in {} devices", users.len());
    let url = server.url.clone();
    let mut devs: Vec<Arc<Dev>> = Vec::new();
    for chunk in users.chunks(8) {
        let logins: Vec<_> = chunk
            .iter()
            .map(|(name, _, grid)| {
                let (url, name, grid) = (url.clone(), name.clone(), grid.clone());
                tokio::spawn(async move {
                    let http = http_client()?;
                    let token =
                        login(&http, &url, &name, &uuid::Uuid::now_v7().to_string()).await?;
                    Ok::<_, anyhow::Error>(Dev {
                        user: name,
                        grid: GridId::parse(&grid).unwrap_or_else(|| fixtures::grid_id(0)),
                        token,
                        actor: ActorId::random(),
                    })
                })
            })
            .collect();
        for l in logins {
            devs.push(Arc::new(l.await??));
        }
    }
    let setup_s = setup.elapsed().as_secs_f64();

    eprintln!(
        "w3: {} devices for {} s (load {})",
        a.devices,
        a.seconds,
        loadavg()
    );
    server.reset_peak_rss();
    let cpu0 = server.stats().cpu_s;
    let me0 = ProcStats::me().cpu_s;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs(a.seconds);
    let mut tasks = Vec::new();
    for (i, d) in devs.iter().enumerate() {
        let (d, tally, url, a) = (d.clone(), tally.clone(), url.clone(), a.clone());
        tasks.push(tokio::spawn(async move {
            device_loop(i as u64, &d, &url, &a, end, &tally).await
        }));
    }
    for t in tasks {
        t.await??;
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let st = server.stats();
    let server_cpu_s = st.cpu_s - cpu0;
    let t = tally.lock().await;
    let records_on_server = server.count("sync_records")?;
    ensure!(
        records_on_server as usize == t.lat_ms.len(),
        "the server holds {records_on_server} records for {} successful syncs",
        t.lat_ms.len()
    );
    Ok(W3Summary {
        devices: a.devices,
        seconds: a.seconds,
        loadavg_before,
        loadavg_after: loadavg(),
        setup_s,
        syncs_ok: t.lat_ms.len() as u64,
        syncs_per_s: t.lat_ms.len() as f64 / elapsed,
        p50_ms: percentile(&t.lat_ms, 50.0),
        p90_ms: percentile(&t.lat_ms, 90.0),
        p99_ms: percentile(&t.lat_ms, 99.0),
        max_ms: percentile(&t.lat_ms, 100.0),
        errors: t.errors,
        overloaded_429: t.overloaded,
        other_errors: t.other,
        first_error: t.first_error.clone(),
        records_on_server,
        records_pulled: t.pulled,
        server_cpu_s,
        server_cpu_util: server_cpu_s / elapsed,
        server_peak_rss_mb: st.peak_rss_mb,
        loadgen_cpu_s: ProcStats::me().cpu_s - me0,
    })
}

/// One new seeded record as a one-change document by the device's actor.
fn new_record(rng: &mut Rng, d: &Dev) -> PushDoc {
    let now = Timestamp::now();
    let rec = fixtures::record(rng, d.grid.clone(), now.plus_millis(-60_000), &d.user);
    let mut doc = AutoCommit::new().with_actor(d.actor.clone());
    // Built from a valid record: writing it cannot fail.
    write_changes(&mut doc, None, &rec).unwrap_or_default();
    doc.commit_with(
        CommitOptions::default()
            .with_message(format!("gridmate:create:{}", d.user))
            .with_time(now.millis() / 1000),
    );
    PushDoc {
        record_id: *rec.meta.id.as_uuid().as_bytes(),
        // As a device sends a record the server has never seen: its one document chunk.
        changes: vec![wire::Change(doc.save_nocompress())],
    }
}

async fn device_loop(
    i: u64,
    d: &Dev,
    url: &str,
    a: &W3Args,
    end: Instant,
    tally: &Mutex<Tally>,
) -> Result<()> {
    let http = device_http_client(i)?;
    let mut rng = Rng::new(a.seed.wrapping_add(i.wrapping_mul(7919)));
    let mut positions: Vec<Position> = Vec::new();
    let span = a.max_interval_ms.saturating_sub(a.min_interval_ms).max(1);
    // Start spread over one interval so the devices do not all fire in the same millisecond.
    let mut wait = Duration::from_millis(rng.below(a.max_interval_ms.max(1)));
    loop {
        tokio::time::sleep(wait).await;
        if Instant::now() >= end {
            return Ok(());
        }
        let doc = new_record(&mut rng, d);
        let t = Instant::now();
        let mut tries = 0u32;
        let mut pulled = 0u64;
        let outcome: Result<(), String> = loop {
            let req = SyncRequest {
                protocol: PROTOCOL_VERSION,
                push: vec![doc.clone()],
                pull: Some(PullRequest {
                    positions: positions.clone(),
                    max_changes: 5_000,
                }),
            };
            match post_sync(&http, url, &d.token, wire::encode_request(&req)).await {
                Ok(resp) => {
                    if !matches!(
                        resp.results.first().map(|r| &r.outcome),
                        Some(PushOutcome::Accepted { .. })
                    ) {
                        break Err(format!("not accepted: {:?}", resp.results.first()));
                    }
                    if let Some(p) = resp.pull {
                        pulled += p.docs.len() as u64;
                        positions = p.positions;
                    }
                    break Ok(());
                }
                Err(ExchangeError::Overloaded) => {
                    tally.lock().await.overloaded += 1;
                    if a.retry_429 && tries < 5 {
                        tries += 1;
                        let ms = 50 + rng.below(200 << tries.min(4));
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        continue;
                    }
                    break Err("429 overloaded".into());
                }
                Err(e) => break Err(e.to_string()),
            }
        };
        let ms = t.elapsed().as_secs_f64() * 1e3;
        {
            let mut tl = tally.lock().await;
            tl.pulled += pulled;
            match outcome {
                Ok(()) => tl.lat_ms.push(ms),
                Err(e) => {
                    tl.errors += 1;
                    if !e.starts_with("429") {
                        tl.other += 1;
                    }
                    tl.first_error.get_or_insert(e);
                }
            }
        }
        wait = Duration::from_millis(a.min_interval_ms + rng.below(span));
    }
}

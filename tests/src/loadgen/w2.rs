//! W2 a city's year: the cost of one device's one-edit sync on a small server (`--small`, 10,000
//! records) and on a big one (`--records`, 1,000,000), records spread over `--grids` grids.
//!
//! Population goes through the real protocol: `--pushers` synthetic devices (each a dispatcher
//! with a county-wide scope, its own device id and Automerge actor) push pre-generated seeded
//! records in the largest batches the wire allows (`MAX_PUSH_DOCS`), each body encoded on a
//! generator thread while earlier ones are in flight. The same server grows from the small size to
//! the big one, so both measurements see one process, one file, one device.
//!
//! The measured device is a real `Store` (grid worker of one grid) that has pulled its grid; it
//! edits one field of one of its own records and runs a full `sync_once` (push + pull), `--syncs`
//! times at each size. Time and wire bytes (counting relay) per sync; medians; ratio big/small.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use automerge::transaction::CommitOptions;
use automerge::{ActorId, AutoCommit};
use gridmate_domain::document::write_changes;
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::wire::{self, PROTOCOL_VERSION, PushDoc, PushOutcome, SyncRequest};
use gridmate_domain::{RecordId, Timestamp};
use gridmate_system_tests::Device;
use serde::Serialize;
use tokio::sync::mpsc;

use super::common::{
    ExchangeError, Relay, ServerProc, http_client, loadavg, login, median, percentile, post_sync,
};

#[derive(Debug, Clone)]
pub struct W2Args {
    pub records: u64,
    pub small: u64,
    pub grids: u32,
    pub syncs: u32,
    pub pushers: u32,
    pub batch: usize,
    pub seed: u64,
    /// Give up growing the server after this many seconds (the figure is then taken at the size
    /// reached, and said so).
    pub populate_budget_s: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Populate {
    pub from: u64,
    pub to: u64,
    pub seconds: f64,
    pub rec_per_s: f64,
    pub server_cpu_s: f64,
    pub server_peak_rss_mb: f64,
    pub disk_mb: f64,
    pub loadavg_after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EditSyncs {
    pub server_records: i64,
    pub server_changes: i64,
    pub syncs: u32,
    pub median_ms: f64,
    pub p90_ms: f64,
    pub min_ms: f64,
    pub median_bytes_up: f64,
    pub median_bytes_down: f64,
    pub server_cpu_ms_per_sync: f64,
    pub loadavg: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct W2Summary {
    pub grids: u32,
    pub populate: Vec<Populate>,
    pub small: EditSyncs,
    pub big: EditSyncs,
    pub time_ratio: f64,
    pub bytes_up_ratio: f64,
    pub bytes_down_ratio: f64,
    pub reached_target: bool,
}

const POP_SCOPE: &str = "jingkou,runzhou,dantu";

struct Pusher {
    user: String,
    token: String,
    actor: ActorId,
}

/// A seeded record `i` (grid `i % grids`) as one Automerge change by `actor`.
fn make_doc(i: u64, grids: u32, seed: u64, user: &str, actor: &ActorId, at: Timestamp) -> PushDoc {
    let mut rng = Rng::new(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let grid = fixtures::grid_id((i % u64::from(grids)) as u32);
    let rec = fixtures::record(
        &mut rng,
        grid,
        at.plus_millis(-((i % 86_400_000) as i64)),
        user,
    );
    let mut doc = AutoCommit::new().with_actor(actor.clone());
    // Built from a valid record: writing it cannot fail.
    write_changes(&mut doc, None, &rec).unwrap_or_default();
    doc.commit_with(
        CommitOptions::default()
            .with_message(format!("gridmate:create:{user}"))
            .with_time(at.millis() / 1000),
    );
    PushDoc {
        record_id: *rec.meta.id.as_uuid().as_bytes(),
        // As a device sends a record the server has never seen: its one document chunk.
        changes: vec![wire::Change(doc.save_nocompress())],
    }
}

/// Pushes records `from..to` through the pushers. Returns how far it got within `budget_s`.
async fn populate(
    server: &ServerProc,
    pushers: &[Arc<Pusher>],
    a: &W2Args,
    from: u64,
    to: u64,
) -> Result<Populate> {
    server.reset_peak_rss();
    let cpu0 = server.stats().cpu_s;
    let t0 = Instant::now();
    let at = Timestamp::now().plus_millis(-3_600_000);
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    let n = pushers.len() as u64;
    for (g, p) in pushers.iter().enumerate() {
        // A generator thread builds and encodes batches; the async side posts them (2 in flight
        // per pusher at most, so the server always has the next batch waiting).
        let (tx, mut rx) = mpsc::channel::<(usize, Vec<u8>)>(2);
        let (p2, a2, stop2) = (p.clone(), a.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut batch: Vec<PushDoc> = Vec::with_capacity(a2.batch);
            let mut i = from + g as u64;
            while i < to && !stop2.load(Ordering::Relaxed) {
                batch.push(make_doc(i, a2.grids, a2.seed, &p2.user, &p2.actor, at));
                i += n;
                if batch.len() == a2.batch || i >= to {
                    let req = SyncRequest {
                        protocol: PROTOCOL_VERSION,
                        push: std::mem::take(&mut batch),
                        pull: None,
                    };
                    let body = wire::encode_request(&req);
                    if tx.blocking_send((req.push.len(), body)).is_err() {
                        return;
                    }
                }
            }
        });
        let (url, p, done, stop) = (server.url.clone(), p.clone(), done.clone(), stop.clone());
        let budget = a.populate_budget_s;
        tasks.push(tokio::spawn(async move {
            let http = http_client()?;
            while let Some((count, body)) = rx.recv().await {
                let mut tries = 0;
                let resp = loop {
                    match post_sync(&http, &url, &p.token, body.clone()).await {
                        Ok(r) => break r,
                        Err(ExchangeError::Overloaded) if tries < 20 => {
                            tries += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        }
                        Err(e) => bail!("populate push: {e}"),
                    }
                };
                if let Some(bad) = resp
                    .results
                    .iter()
                    .find(|r| !matches!(r.outcome, PushOutcome::Accepted { .. }))
                {
                    bail!("populate: a record was not accepted: {:?}", bad.outcome);
                }
                ensure!(resp.results.len() == count, "populate: missing results");
                done.fetch_add(count as u64, Ordering::Relaxed);
                if t0.elapsed().as_secs() >= budget {
                    stop.store(true, Ordering::Relaxed);
                }
            }
            Ok(())
        }));
    }
    let mut last = Instant::now();
    for t in tasks {
        while !t.is_finished() {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            if last.elapsed().as_secs() >= 15 {
                last = Instant::now();
                let d = done.load(Ordering::Relaxed);
                eprintln!(
                    "w2: populated {} / {to} ({:.0} rec/s, load {})",
                    from + d,
                    d as f64 / t0.elapsed().as_secs_f64(),
                    loadavg()
                );
            }
        }
        t.await??;
    }
    let seconds = t0.elapsed().as_secs_f64();
    let d = done.load(Ordering::Relaxed);
    let st = server.stats();
    Ok(Populate {
        from,
        to: from + d,
        seconds,
        rec_per_s: d as f64 / seconds,
        server_cpu_s: st.cpu_s - cpu0,
        server_peak_rss_mb: st.peak_rss_mb,
        disk_mb: server.disk_bytes() as f64 / 1e6,
        loadavg_after: loadavg(),
    })
}

async fn edit_syncs(
    server: &ServerProc,
    relay: &Relay,
    dev: &Device,
    mine: &[RecordId],
    syncs: u32,
    round: u32,
) -> Result<EditSyncs> {
    // Catch up first (the grid's new records from the population), not measured.
    dev.sync().await?;
    let load = loadavg();
    let cpu0 = server.stats().cpu_s;
    let (mut ms, mut up, mut down) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..syncs as usize {
        let id = mine[k % mine.len()];
        dev.with(|s| {
            s.edit(
                id,
                &serde_json::json!({"address": format!("中山东路{}号（第{round}次复查）", k + 1)}),
            )
        })?;
        let b0 = relay.counters.get();
        let t = Instant::now();
        let r = dev.sync().await?;
        let el = t.elapsed().as_secs_f64() * 1e3;
        let b1 = relay.counters.get();
        ensure!(r.accepted == 1 && r.rejected.is_empty(), "edit sync: {r:?}");
        ms.push(el);
        up.push((b1.0 - b0.0) as f64);
        down.push((b1.1 - b0.1) as f64);
    }
    let cpu = server.stats().cpu_s - cpu0;
    Ok(EditSyncs {
        server_records: server.count("sync_records")?,
        server_changes: server.count("sync_changes")?,
        syncs,
        median_ms: median(&ms),
        p90_ms: percentile(&ms, 90.0),
        min_ms: ms.iter().copied().fold(f64::INFINITY, f64::min),
        median_bytes_up: median(&up),
        median_bytes_down: median(&down),
        server_cpu_ms_per_sync: cpu * 1e3 / f64::from(syncs),
        loadavg: load,
    })
}

/// Lets the machine settle after populating, so that both sizes are measured alike: the server's
/// WAL checkpointed, the kernel's dirty pages written back (`sync`; an edit sync's own fsync
/// otherwise queues behind gigabytes of writeback), and the 1-minute load average below 1.5 or
/// 90 s passed.
async fn settle(server: &ServerProc) {
    let _ = server.checkpoint();
    let _ = std::process::Command::new("sync").status();
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        let one: f64 = loadavg()
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        if one < 1.5 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

pub async fn run(a: &W2Args) -> Result<W2Summary> {
    let server = ServerProc::start(256)?;
    let relay = Relay::start(server.addr()?).await?;
    let grid = fixtures::grid_id(7);
    let mut users: Vec<(String, String, String)> = (0..a.pushers)
        .map(|i| (format!("w2.pop{i}"), "dispatcher".into(), POP_SCOPE.into()))
        .collect();
    users.push((
        "w2.worker".into(),
        "grid_worker".into(),
        grid.as_str().into(),
    ));
    server.add_users(&users, 2)?;
    let http = http_client()?;
    let mut pushers = Vec::new();
    for (name, _, _) in users.iter().take(a.pushers as usize) {
        let token = login(&http, &server.url, name, &uuid::Uuid::now_v7().to_string()).await?;
        pushers.push(Arc::new(Pusher {
            user: name.clone(),
            token,
            actor: ActorId::random(),
        }));
    }

    eprintln!("w2: populating 0..{} (load {})", a.small, loadavg());
    let mut pops = vec![populate(&server, &pushers, a, 0, a.small).await?];
    ensure!(pops[0].to == a.small, "could not reach the small size");

    // The measured device: a worker of one grid, with records of its own, synced.
    let dev = Device::login(&relay.url, "w2.worker").await?;
    let mut rng = Rng::new(a.seed ^ 0x77);
    let at = Timestamp::now().plus_millis(-3_600_000);
    let mine: Vec<RecordId> = dev
        .with(|s| {
            s.create_batch(
                (0..a.syncs.max(1))
                    .map(|_| fixtures::draft(&mut rng, grid.clone(), at))
                    .collect(),
            )
        })?
        .iter()
        .map(|r| r.meta.id)
        .collect();
    dev.sync().await?;
    settle(&server).await;
    eprintln!("w2: measuring at {} records (load {})", a.small, loadavg());
    let small = edit_syncs(&server, &relay, &dev, &mine, a.syncs, 1).await?;

    eprintln!(
        "w2: populating {}..{} (load {})",
        a.small,
        a.records,
        loadavg()
    );
    let p = populate(&server, &pushers, a, a.small, a.records).await?;
    let reached = p.to;
    pops.push(p);
    if reached < a.records {
        eprintln!(
            "w2: stopped at {reached} records after the {} s budget",
            a.populate_budget_s
        );
    }
    settle(&server).await;
    eprintln!("w2: measuring at {reached} records (load {})", loadavg());
    let big = edit_syncs(&server, &relay, &dev, &mine, a.syncs, 2).await?;
    Ok(W2Summary {
        grids: a.grids,
        populate: pops,
        time_ratio: big.median_ms / small.median_ms,
        bytes_up_ratio: big.median_bytes_up / small.median_bytes_up,
        bytes_down_ratio: big.median_bytes_down / small.median_bytes_down,
        small,
        big,
        reached_target: reached >= a.records,
    })
}

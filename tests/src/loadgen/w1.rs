//! W1 field day: 20 real `gridmate_core::Store` devices (temp dirs), each a grid worker of its own
//! grid, create 250 seeded records offline, then all sync at once; then each edits one field of 10%
//! of its records and syncs; then a brand-new dispatcher device covering all 20 grids pulls
//! everything. Every byte goes through a counting relay; the server's own file is the judge of
//! "the server holds everything", and a digest of every record (server dump vs. devices) checks
//! each phase.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::input::record_to_json;
use gridmate_domain::{RecordId, Timestamp};
use gridmate_system_tests::{Device, Snapshot, assert_same};
use serde::Serialize;

use super::common::{ProcStats, Relay, ServerProc, digest, loadavg, median};

#[derive(Debug, Clone)]
pub struct W1Args {
    pub devices: u32,
    pub records_per_device: u32,
    /// Percent of each device's records edited in the edit phase.
    pub edit_percent: u32,
    pub max_in_flight: usize,
    pub seed: u64,
}

/// Figures of one phase.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Phase {
    /// Records (push), edits (edit) or records pulled (cold pull) in the phase.
    pub items: u64,
    /// Until every device sync returned success.
    pub client_s: f64,
    /// Until the server-side check also held (the figure).
    pub wall_s: f64,
    pub per_s: f64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub server_cpu_s: f64,
    pub server_peak_rss_mb: f64,
    /// Server RSS when the phase started and when it ended.
    pub server_rss_start_mb: f64,
    pub server_rss_end_mb: f64,
    pub server_disk_mb: f64,
    /// CPU of the load generator itself (the devices' stores, HTTP, the relay) in the phase.
    pub loadgen_cpu_s: f64,
    /// Until the console index also held every change (the console indexer follows the pushes),
    /// and the server's CPU until then: the phase's whole cost.
    pub console_s: f64,
    pub console_server_cpu_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct W1Run {
    pub loadavg_before: String,
    pub records: u64,
    pub records_json_bytes: u64,
    pub push: Phase,
    pub bytes_up_per_json: f64,
    pub edit: Phase,
    pub cold_pull: Phase,
    pub digest: String,
    pub loadgen_cpu_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct W1Summary {
    pub runs: Vec<W1Run>,
    pub median: Medians,
}

#[derive(Debug, Clone, Serialize)]
pub struct Medians {
    pub push_s: f64,
    pub push_rec_per_s: f64,
    pub push_bytes_up: f64,
    pub push_bytes_down: f64,
    pub bytes_up_per_json: f64,
    pub push_server_cpu_s: f64,
    pub push_console_s: f64,
    pub push_console_server_cpu_s: f64,
    pub edit_s: f64,
    pub edit_bytes_up: f64,
    pub edit_bytes_down: f64,
    pub edit_server_cpu_s: f64,
    pub edit_console_s: f64,
    pub cold_pull_s: f64,
    pub cold_pull_bytes_up: f64,
    pub cold_pull_bytes_down: f64,
    pub cold_pull_server_cpu_s: f64,
    pub server_peak_rss_mb: f64,
    pub server_disk_mb: f64,
}

pub async fn run(args: &W1Args, runs: u32) -> Result<W1Summary> {
    let mut out = Vec::new();
    for i in 0..runs {
        eprintln!("w1: run {}/{runs} (load {})", i + 1, loadavg());
        let r = run_once(args).await?;
        eprintln!(
            "w1: push {:.3} s ({:.0} rec/s), edit {:.3} s, cold pull {:.3} s, up/json {:.3}",
            r.push.wall_s, r.push.per_s, r.edit.wall_s, r.cold_pull.wall_s, r.bytes_up_per_json
        );
        out.push(r);
    }
    let m = |f: &dyn Fn(&W1Run) -> f64| median(&out.iter().map(f).collect::<Vec<_>>());
    let median = Medians {
        push_s: m(&|r| r.push.wall_s),
        push_rec_per_s: m(&|r| r.push.per_s),
        push_bytes_up: m(&|r| r.push.bytes_up as f64),
        push_bytes_down: m(&|r| r.push.bytes_down as f64),
        bytes_up_per_json: m(&|r| r.bytes_up_per_json),
        push_server_cpu_s: m(&|r| r.push.server_cpu_s),
        push_console_s: m(&|r| r.push.console_s),
        push_console_server_cpu_s: m(&|r| r.push.console_server_cpu_s),
        edit_s: m(&|r| r.edit.wall_s),
        edit_bytes_up: m(&|r| r.edit.bytes_up as f64),
        edit_bytes_down: m(&|r| r.edit.bytes_down as f64),
        edit_server_cpu_s: m(&|r| r.edit.server_cpu_s),
        edit_console_s: m(&|r| r.edit.console_s),
        cold_pull_s: m(&|r| r.cold_pull.wall_s),
        cold_pull_bytes_up: m(&|r| r.cold_pull.bytes_up as f64),
        cold_pull_bytes_down: m(&|r| r.cold_pull.bytes_down as f64),
        cold_pull_server_cpu_s: m(&|r| r.cold_pull.server_cpu_s),
        server_peak_rss_mb: m(&|r| {
            r.push
                .server_peak_rss_mb
                .max(r.edit.server_peak_rss_mb)
                .max(r.cold_pull.server_peak_rss_mb)
        }),
        server_disk_mb: m(&|r| r.cold_pull.server_disk_mb),
    };
    Ok(W1Summary { runs: out, median })
}

/// Measures a phase: `f` runs the device syncs; then the server-side check is polled.
struct Meter<'a> {
    server: &'a ServerProc,
    relay: &'a Relay,
    cpu0: f64,
    rss0: f64,
    me0: f64,
    bytes0: (u64, u64),
    t0: Instant,
    perf: Option<std::process::Child>,
}

impl<'a> Meter<'a> {
    /// With `GRIDMATE_LOADGEN_PERF=PHASE:FILE[:devices]` in the environment, `perf record`
    /// samples the server (or, with `:devices`, this process: the devices and the relay) during
    /// that phase (push, edit or pull), at `GRIDMATE_LOADGEN_PERF_HZ` samples a second (499).
    fn start(server: &'a ServerProc, relay: &'a Relay, phase: &str) -> Self {
        server.reset_peak_rss();
        let perf = std::env::var("GRIDMATE_LOADGEN_PERF")
            .ok()
            .and_then(|v| {
                let mut parts = v.splitn(3, ':');
                let (p, file, whom) = (parts.next()?, parts.next()?, parts.next());
                let pid = match whom {
                    Some("devices") => std::process::id(),
                    _ => server.pid(),
                };
                (p == phase).then(|| (file.to_owned(), pid))
            })
            .and_then(|(file, pid)| {
                let hz = std::env::var("GRIDMATE_LOADGEN_PERF_HZ").unwrap_or_else(|_| "499".into());
                let c = std::process::Command::new("perf")
                    .args([
                        "record",
                        "--call-graph",
                        "dwarf,16384",
                        "-F",
                        &hz,
                        "-o",
                        &file,
                        "-p",
                    ])
                    .arg(pid.to_string())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .ok();
                std::thread::sleep(Duration::from_millis(300));
                c
            });
        Self {
            perf,
            server,
            relay,
            cpu0: server.stats().cpu_s,
            rss0: server.stats().rss_mb,
            me0: ProcStats::me().cpu_s,
            bytes0: relay.counters.get(),
            t0: Instant::now(),
        }
    }

    /// After the device syncs returned: polls `check` (a server-side count) until it holds.
    fn finish(self, items: u64, client_s: f64, check: impl Fn() -> Result<bool>) -> Result<Phase> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !check()? {
            ensure!(
                Instant::now() < deadline,
                "the server never reached the expected count"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        let wall_s = self.t0.elapsed().as_secs_f64();
        if let Some(mut p) = self.perf {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &p.id().to_string()])
                .status();
            let _ = p.wait();
        }
        let st: ProcStats = self.server.stats();
        let (u, d) = self.relay.counters.get();
        // The next phase starts with the console current, so none of this phase's work is in it.
        self.server.wait_console_current(Duration::from_secs(60))?;
        let console_s = self.t0.elapsed().as_secs_f64();
        let console_server_cpu_s = self.server.stats().cpu_s - self.cpu0;
        Ok(Phase {
            console_s,
            console_server_cpu_s,
            items,
            client_s,
            wall_s,
            per_s: items as f64 / wall_s,
            bytes_up: u - self.bytes0.0,
            bytes_down: d - self.bytes0.1,
            server_cpu_s: st.cpu_s - self.cpu0,
            server_peak_rss_mb: st.peak_rss_mb,
            server_rss_start_mb: self.rss0,
            server_rss_end_mb: st.rss_mb,
            server_disk_mb: self.server.disk_bytes() as f64 / 1e6,
            loadgen_cpu_s: ProcStats::me().cpu_s - self.me0,
        })
    }
}

async fn sync_all(devices: &[Arc<Device>]) -> Result<Vec<gridmate_core::sync::SyncReport>> {
    let tasks: Vec<_> = devices
        .iter()
        .map(|d| {
            let d = d.clone();
            tokio::spawn(async move { d.sync().await })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await?.context("device sync")?);
    }
    Ok(out)
}

fn union(devices: &[Arc<Device>]) -> Snapshot {
    let mut all = Snapshot::new();
    for d in devices {
        all.extend(d.snapshot());
    }
    all
}

async fn run_once(a: &W1Args) -> Result<W1Run> {
    let loadavg_before = loadavg();
    let me0 = ProcStats::me().cpu_s;
    let server = ServerProc::start(a.max_in_flight)?;
    let relay = Relay::start(server.addr()?).await?;
    let mut users: Vec<(String, String, String)> = (0..a.devices)
        .map(|i| {
            (
                format!("w1.worker{i:02}"),
                "grid_worker".to_owned(),
                fixtures::grid_id(i).as_str().to_owned(),
            )
        })
        .collect();
    // The dispatcher's scope: every grid the workers write to (their townships, deduplicated).
    let mut areas: Vec<String> = (0..a.devices)
        .map(|i| fixtures::grid_id(i).as_str().to_owned())
        .collect();
    areas.sort();
    areas.dedup();
    users.push(("w1.dispatcher".into(), "dispatcher".into(), areas.join(",")));
    server.add_users(&users, 2)?;

    // Sign in (not timed), then create the records: the network plays no part in either.
    let mut devices = Vec::new();
    for (name, _, _) in users.iter().take(a.devices as usize) {
        devices.push(Arc::new(Device::login(&relay.url, name).await?));
    }
    let at = Timestamp::now().plus_millis(-3_600_000);
    let mut json_bytes = 0u64;
    let mut created: Vec<Vec<RecordId>> = Vec::new();
    for (i, d) in devices.iter().enumerate() {
        let mut rng = Rng::new(a.seed + i as u64);
        let grid = fixtures::grid_id(i as u32);
        let drafts = (0..a.records_per_device)
            .map(|_| fixtures::draft(&mut rng, grid.clone(), at))
            .collect();
        let recs = d.with(|s| s.create_batch(drafts))?;
        for r in &recs {
            json_bytes += serde_json::to_vec(&record_to_json(r))?.len() as u64;
        }
        created.push(recs.iter().map(|r| r.meta.id).collect());
    }
    let total = u64::from(a.devices) * u64::from(a.records_per_device);

    // Push: all devices at once.
    let m = Meter::start(&server, &relay, "push");
    let reports = sync_all(&devices).await?;
    let client_s = m.t0.elapsed().as_secs_f64();
    let push = m.finish(total, client_s, || {
        Ok(server.count("sync_records")? == total as i64)
    })?;
    let accepted: usize = reports.iter().map(|r| r.accepted).sum();
    let rejected: usize = reports.iter().map(|r| r.rejected.len()).sum();
    ensure!(
        accepted as u64 == total && rejected == 0,
        "push: {accepted} accepted, {rejected} rejected"
    );
    let srv = server.dump()?;
    assert_same("push: server vs devices", &srv, &union(&devices));

    // Edit: one field of edit_percent% of each device's records, then all sync at once.
    let per = (a.records_per_device * a.edit_percent / 100) as usize;
    for (i, d) in devices.iter().enumerate() {
        let ids = created[i][..per].to_vec();
        d.with(|s| -> Result<()> {
            for (k, id) in ids.iter().enumerate() {
                s.edit(
                    *id,
                    &serde_json::json!({"address": format!("梦溪园巷{}号（复查）", k + 1)}),
                )?;
            }
            Ok(())
        })?;
    }
    let edits = (per * devices.len()) as u64;
    let changes_before = server.count("sync_changes")?;
    let m = Meter::start(&server, &relay, "edit");
    let reports = sync_all(&devices).await?;
    let client_s = m.t0.elapsed().as_secs_f64();
    let edit = m.finish(edits, client_s, || {
        Ok(server.count("sync_changes")? == changes_before + edits as i64)
    })?;
    let accepted: usize = reports.iter().map(|r| r.accepted).sum();
    ensure!(
        accepted as u64 == edits,
        "edit: {accepted} of {edits} accepted"
    );
    let srv = server.dump()?;
    assert_same("edit: server vs devices", &srv, &union(&devices));

    // Cold pull: a brand-new device of the dispatcher (signed in before the clock starts).
    let fresh = Device::login(&relay.url, "w1.dispatcher").await?;
    let m = Meter::start(&server, &relay, "pull");
    let report = fresh.sync().await?;
    let client_s = m.t0.elapsed().as_secs_f64();
    let held = fresh.with(|s| s.counts())?.records;
    let cold_pull = m.finish(held, client_s, || Ok(true))?;
    if held != total {
        bail!(
            "cold pull: the device holds {held} of {total} records ({} pulled)",
            report.pulled_records
        );
    }
    let pulled = fresh.snapshot();
    assert_same("cold pull: device vs server", &pulled, &srv);
    let dg = digest(&srv);
    ensure!(digest(&pulled) == dg, "digest mismatch");

    Ok(W1Run {
        loadavg_before,
        records: total,
        records_json_bytes: json_bytes,
        bytes_up_per_json: push.bytes_up as f64 / json_bytes as f64,
        push,
        edit,
        cold_pull,
        digest: dg,
        loadgen_cpu_s: ProcStats::me().cpu_s - me0,
    })
}

//! `gridmate-loadgen`: runs the workloads of `docs/benchmarks.md` (W1 field day, W2 a city's year,
//! W3 rush hour) against a real `gridmate-server` process it starts itself (the release binary
//! beside this executable, on 127.0.0.1:0, over a fresh temp data folder) and prints the figures
//! as a text table, or as JSON with `--json`.
//!
//! Build: `cargo build --release -p gridmate-server` then
//! `cargo build --release -p gridmate-system-tests --bin gridmate-loadgen` (in one command, `--bin`
//! would leave the server binary out).
//! Examples: `target/release/gridmate-loadgen w1 --runs 5`,
//! `target/release/gridmate-loadgen w2 --records 1000000 --grids 4000`,
//! `target/release/gridmate-loadgen w3 --devices 1000 --seconds 60`,
//! `target/release/gridmate-loadgen w5 --records 1000000 --disputes 100000`.
//! Traffic goes to 127.0.0.1 only; every phase is bounded in time and count.
#![forbid(unsafe_code)]

#[path = "../loadgen/common.rs"]
mod common;
#[path = "../loadgen/w1.rs"]
mod w1;
#[path = "../loadgen/w2.rs"]
mod w2;
#[path = "../loadgen/w3.rs"]
mod w3;
#[path = "../loadgen/w5.rs"]
mod w5;

use anyhow::Result;
use clap::{Parser, Subcommand};

use common::{print_json, print_table};

#[derive(Debug, Parser)]
#[command(
    name = "gridmate-loadgen",
    about = "GridMate workloads W1-W3 (sync) and W5 (console)"
)]
struct Cli {
    /// Print the figures as JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Seed of the record generator.
    #[arg(long, global = true, default_value_t = 20_240_601)]
    seed: u64,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Field day: devices create records offline, sync at once, edit 10%, a new device pulls all.
    W1 {
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
        runs: u32,
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
        devices: u32,
        #[arg(long, default_value_t = 250, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        records_per_device: u32,
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=100))]
        edit_percent: u32,
        #[arg(long, default_value_t = 256)]
        max_in_flight: usize,
    },
    /// A city's year: one device's one-edit sync on a small and on a big server.
    W2 {
        /// Records on the big server.
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
        records: u64,
        /// Records on the small server.
        #[arg(long, default_value_t = 10_000)]
        small: u64,
        #[arg(long, default_value_t = 4_000, value_parser = clap::value_parser!(u32).range(1..=50_000))]
        grids: u32,
        /// Measured syncs at each size.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000))]
        syncs: u32,
        /// Synthetic devices pushing the population.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=16))]
        pushers: u32,
        /// Records per population push (the wire allows at most 2,000).
        #[arg(long, default_value_t = gridmate_domain::wire::MAX_PUSH_DOCS)]
        batch: usize,
        /// Stop growing the big server after this many seconds and measure at the size reached.
        #[arg(long, default_value_t = 900)]
        populate_budget_s: u64,
    },
    /// Rush hour: many devices syncing every few seconds, one new record each time.
    W3 {
        #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=5_000))]
        devices: u32,
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=600))]
        seconds: u64,
        #[arg(long, default_value_t = 2_000)]
        min_interval_ms: u64,
        #[arg(long, default_value_t = 5_000)]
        max_interval_ms: u64,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1_000))]
        devices_per_grid: u32,
        /// The server's `--max-in-flight` (its default is 256).
        #[arg(long, default_value_t = 256)]
        max_in_flight: usize,
        /// Retry a 429 (up to 5 times, with jittered backoff) instead of counting the sync failed.
        #[arg(long)]
        retry_429: bool,
    },
    /// The command centre at county scale: a township dispatcher's case list, filters, search,
    /// paging and case detail over a county populated through the push path.
    W5 {
        #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..=5_000_000))]
        records: u64,
        /// How many of the records are disputes (spread over every workflow state).
        #[arg(long, default_value_t = 100_000)]
        disputes: u64,
        #[arg(long, default_value_t = 4_000, value_parser = clap::value_parser!(u32).range(1..=50_000))]
        grids: u32,
        #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=100))]
        townships: u32,
        /// Timed requests per measurement.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        requests: u32,
        /// Records per population push (the wire allows at most 2,000).
        #[arg(long, default_value_t = gridmate_domain::wire::MAX_PUSH_DOCS)]
        batch: usize,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(cli))
}

fn mb(bytes: f64) -> String {
    format!("{:.1} KB", bytes / 1e3)
}

async fn run(cli: Cli) -> Result<()> {
    let machine = format!(
        "# machine: nproc {}, {}; load {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        common::loadavg()
    );
    // JSON goes alone on stdout.
    if cli.json {
        eprintln!("{machine}");
    } else {
        println!("{machine}");
    }
    match cli.cmd {
        Cmd::W1 {
            runs,
            devices,
            records_per_device,
            edit_percent,
            max_in_flight,
        } => {
            let args = w1::W1Args {
                devices,
                records_per_device,
                edit_percent,
                max_in_flight,
                seed: cli.seed,
            };
            let s = w1::run(&args, runs).await?;
            if cli.json {
                return print_json(&s);
            }
            let m = &s.median;
            let n = s.runs.first().map_or(0, |r| r.records);
            let json = s.runs.first().map_or(0, |r| r.records_json_bytes);
            print_table(
                &format!(
                    "W1 field day: {devices} devices x {records_per_device} records, medians of {runs} runs"
                ),
                &[
                    (
                        "records / JSON size".into(),
                        format!("{n} / {}", mb(json as f64)),
                    ),
                    (
                        "push: all on server".into(),
                        format!("{:.3} s ({:.0} rec/s)", m.push_s, m.push_rec_per_s),
                    ),
                    (
                        "push: bytes up / down".into(),
                        format!("{} / {}", mb(m.push_bytes_up), mb(m.push_bytes_down)),
                    ),
                    (
                        "push: bytes up / JSON".into(),
                        format!("{:.3}x", m.bytes_up_per_json),
                    ),
                    (
                        "push: server CPU".into(),
                        format!("{:.2} s", m.push_server_cpu_s),
                    ),
                    (
                        "push: console index current / server CPU".into(),
                        format!(
                            "{:.3} s / {:.2} s",
                            m.push_console_s, m.push_console_server_cpu_s
                        ),
                    ),
                    ("edit: all on server".into(), format!("{:.3} s", m.edit_s)),
                    (
                        "edit: bytes up / down".into(),
                        format!("{} / {}", mb(m.edit_bytes_up), mb(m.edit_bytes_down)),
                    ),
                    (
                        "edit: server CPU".into(),
                        format!("{:.2} s", m.edit_server_cpu_s),
                    ),
                    (
                        "edit: console index current".into(),
                        format!("{:.3} s", m.edit_console_s),
                    ),
                    (
                        "cold pull: all on device".into(),
                        format!("{:.3} s", m.cold_pull_s),
                    ),
                    (
                        "cold pull: bytes up / down".into(),
                        format!(
                            "{} / {}",
                            mb(m.cold_pull_bytes_up),
                            mb(m.cold_pull_bytes_down)
                        ),
                    ),
                    (
                        "cold pull: server CPU".into(),
                        format!("{:.2} s", m.cold_pull_server_cpu_s),
                    ),
                    (
                        "server peak RSS".into(),
                        format!("{:.1} MB", m.server_peak_rss_mb),
                    ),
                    (
                        "server disk (db + wal)".into(),
                        format!("{:.1} MB", m.server_disk_mb),
                    ),
                    (
                        "digest (server = devices)".into(),
                        s.runs.first().map(|r| r.digest.clone()).unwrap_or_default(),
                    ),
                ],
            );
            for (i, r) in s.runs.iter().enumerate() {
                println!(
                    "  run {}: push {:.3} s (client {:.3}), edit {:.3} s, pull {:.3} s, up/json {:.3}, rss {:.0}/{:.0}/{:.0} MB, load before {}",
                    i + 1,
                    r.push.wall_s,
                    r.push.client_s,
                    r.edit.wall_s,
                    r.cold_pull.wall_s,
                    r.bytes_up_per_json,
                    r.push.server_peak_rss_mb,
                    r.edit.server_peak_rss_mb,
                    r.cold_pull.server_peak_rss_mb,
                    r.loadavg_before
                );
            }
        }
        Cmd::W5 {
            records,
            disputes,
            grids,
            townships,
            requests,
            batch,
        } => {
            let args = w5::W5Args {
                records,
                disputes: disputes.min(records),
                grids: grids.max(townships),
                townships,
                requests,
                batch: batch.clamp(1, gridmate_domain::wire::MAX_PUSH_DOCS),
                seed: cli.seed,
            };
            let s = w5::run(&args).await?;
            if cli.json {
                return print_json(&s);
            }
            let mut rows = vec![
                (
                    "county".into(),
                    format!(
                        "{} records, {} disputes, {} grids, {} townships; township 0: {} disputes",
                        s.records, s.disputes, s.grids, s.townships, s.township_disputes
                    ),
                ),
                (
                    "populate (push path)".into(),
                    format!(
                        "{:.0} s ({:.0} rec/s), disk {:.0} MB",
                        s.populate_s, s.populate_rec_per_s, s.disk_mb
                    ),
                ),
            ];
            rows.push((
                "disputes by status".into(),
                s.by_status
                    .iter()
                    .map(|(st, n)| format!("{st} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
            for m in &s.measures {
                rows.push((
                    m.name.clone(),
                    format!(
                        "server p50 {:.1} ms, p95 {:.1} ms (max {:.1}); round trip p50 {:.1} ms, p95 {:.1} ms; {} requests",
                        m.server_p50_ms, m.server_p95_ms, m.server_max_ms, m.rtt_p50_ms, m.rtt_p95_ms, m.requests
                    ),
                ));
            }
            for e in &s.exports {
                rows.push((
                    format!(
                        "XLSX export{}",
                        if e.query.is_empty() {
                            " (all)".to_owned()
                        } else {
                            format!(" {}", e.query)
                        }
                    ),
                    format!(
                        "{} rows, {:.1} MB in {:.2} s; server peak RSS {:.1} MB",
                        e.rows,
                        e.bytes as f64 / 1e6,
                        e.seconds,
                        e.server_peak_rss_mb
                    ),
                ));
            }
            print_table("W5 command centre (township and county dispatchers)", &rows);
            println!("  load after: {}", s.loadavg_after);
        }
        Cmd::W2 {
            records,
            small,
            grids,
            syncs,
            pushers,
            batch,
            populate_budget_s,
        } => {
            let args = w2::W2Args {
                records,
                small,
                grids,
                syncs,
                pushers,
                batch: batch.clamp(1, gridmate_domain::wire::MAX_PUSH_DOCS),
                seed: cli.seed,
                populate_budget_s,
            };
            let s = w2::run(&args).await?;
            if cli.json {
                return print_json(&s);
            }
            let mut rows = Vec::new();
            for p in &s.populate {
                rows.push((
                    format!("populate {}..{}", p.from, p.to),
                    format!(
                        "{:.1} s ({:.0} rec/s), server CPU {:.1} s, peak RSS {:.0} MB, disk {:.0} MB",
                        p.seconds, p.rec_per_s, p.server_cpu_s, p.server_peak_rss_mb, p.disk_mb
                    ),
                ));
            }
            for e in [&s.small, &s.big] {
                rows.push((
                    format!("edit sync at {} records", e.server_records),
                    format!(
                        "median {:.2} ms (p90 {:.2}, min {:.2}), up {:.0} B, down {:.0} B, server CPU {:.2} ms/sync, load {}",
                        e.median_ms, e.p90_ms, e.min_ms, e.median_bytes_up, e.median_bytes_down, e.server_cpu_ms_per_sync, e.loadavg
                    ),
                ));
            }
            rows.push((
                "ratio big / small".into(),
                format!(
                    "time {:.2}x, bytes up {:.2}x, bytes down {:.2}x{}",
                    s.time_ratio,
                    s.bytes_up_ratio,
                    s.bytes_down_ratio,
                    if s.reached_target {
                        ""
                    } else {
                        " (big size NOT reached)"
                    }
                ),
            ));
            print_table(
                &format!("W2 a city's year: {grids} grids, median of {syncs} syncs"),
                &rows,
            );
        }
        Cmd::W3 {
            devices,
            seconds,
            min_interval_ms,
            max_interval_ms,
            devices_per_grid,
            max_in_flight,
            retry_429,
        } => {
            let args = w3::W3Args {
                devices,
                seconds,
                min_interval_ms,
                max_interval_ms: max_interval_ms.max(min_interval_ms),
                devices_per_grid,
                max_in_flight,
                retry_429,
                seed: cli.seed,
            };
            let s = w3::run(&args).await?;
            if cli.json {
                return print_json(&s);
            }
            print_table(
                &format!("W3 rush hour: {devices} devices, {seconds} s"),
                &[
                    (
                        "syncs ok".into(),
                        format!("{} ({:.0}/s)", s.syncs_ok, s.syncs_per_s),
                    ),
                    (
                        "latency p50 / p90 / p99 / max".into(),
                        format!(
                            "{:.1} / {:.1} / {:.1} / {:.1} ms",
                            s.p50_ms, s.p90_ms, s.p99_ms, s.max_ms
                        ),
                    ),
                    (
                        "errors (429 / other)".into(),
                        format!("{} ({} / {})", s.errors, s.overloaded_429, s.other_errors),
                    ),
                    (
                        "first error".into(),
                        s.first_error.clone().unwrap_or_else(|| "-".into()),
                    ),
                    ("records on server".into(), s.records_on_server.to_string()),
                    ("records pulled".into(), s.records_pulled.to_string()),
                    (
                        "server CPU".into(),
                        format!(
                            "{:.1} s ({:.0}% of one core)",
                            s.server_cpu_s,
                            s.server_cpu_util * 100.0
                        ),
                    ),
                    (
                        "server peak RSS".into(),
                        format!("{:.1} MB", s.server_peak_rss_mb),
                    ),
                    ("loadgen CPU".into(), format!("{:.1} s", s.loadgen_cpu_s)),
                    (
                        "setup (users, logins)".into(),
                        format!("{:.1} s", s.setup_s),
                    ),
                    (
                        "load before / after".into(),
                        format!("{} / {}", s.loadavg_before, s.loadavg_after),
                    ),
                ],
            );
        }
    }
    Ok(())
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(String::new(), |kb| format!("{:.1} GB RAM", kb / 1048576.0));
    format!("{model}, {mem}")
}

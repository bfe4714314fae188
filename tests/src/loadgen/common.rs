//! Shared machinery of `gridmate-loadgen`: the server process it starts (release binary beside the
//! load generator, 127.0.0.1:0, fresh temp data dir), users made with the admin CLI, a counting TCP
//! relay (bytes on the wire, headers and framing included), server CPU / peak RSS from `/proc`,
//! the raw sync exchange over HTTP, record digests, and small statistics helpers.
//!
//! Everything talks to 127.0.0.1 only; every wait is bounded.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use gridmate_domain::wire::{self, SyncResponse};
use gridmate_system_tests::{PASSWORD, Snapshot, bin};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A `gridmate-server serve` process on its own temp data folder (the test harness's); killed on
/// drop.
#[derive(Debug)]
pub struct ServerProc {
    server: gridmate_test_harness::Server,
    pub url: String,
    pub data: PathBuf,
}

impl ServerProc {
    /// Starts the release server beside this executable with `--max-in-flight` (and no write
    /// budget to speak of).
    pub fn start(max_in_flight: usize) -> Result<Self> {
        let server = gridmate_test_harness::Server::try_start(
            &bin("gridmate-server"),
            None,
            // A load generator pushes what a township's workers push in weeks: the per-user
            // write budget (`sync::limits`) would pace it, and capacity is what is measured.
            &[
                "--max-in-flight",
                &max_in_flight.to_string(),
                "--write-budget-records",
                "1000000000",
                "--write-budget-bytes",
                "1000000000000",
            ],
        )
        .context("starting gridmate-server")?;
        Ok(Self {
            url: server.url.clone(),
            data: server.data.clone(),
            server,
        })
    }

    pub fn pid(&self) -> u32 {
        self.server.pid().unwrap_or_default()
    }

    pub fn addr(&self) -> Result<String> {
        Ok(self
            .url
            .strip_prefix("http://")
            .ok_or_else(|| anyhow!("unexpected url {}", self.url))?
            .to_owned())
    }

    pub fn db_path(&self) -> PathBuf {
        self.data.join("server.db")
    }

    /// server.db + its WAL, bytes.
    pub fn disk_bytes(&self) -> u64 {
        ["server.db", "server.db-wal", "server.db-shm"]
            .iter()
            .filter_map(|f| std::fs::metadata(self.data.join(f)).ok())
            .map(|m| m.len())
            .sum()
    }

    /// Adds many users, `parallel` admin processes at a time.
    pub fn add_users(&self, users: &[(String, String, String)], parallel: usize) -> Result<()> {
        for chunk in users.chunks(parallel.max(1)) {
            let mut children = Vec::new();
            for (name, role, scope) in chunk {
                let mut c = Command::new(bin("gridmate-server"))
                    .args([
                        "user",
                        "add",
                        name,
                        "--role",
                        role,
                        "--scope",
                        scope,
                        "--password-stdin",
                        "--data",
                        path_str(&self.data)?,
                    ])
                    .env("GRIDMATE_LOG", "warn")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()?;
                c.stdin
                    .take()
                    .context("stdin")?
                    .write_all(format!("{PASSWORD}\n").as_bytes())?;
                children.push(c);
            }
            for c in children {
                let out = c.wait_with_output()?;
                if !out.status.success() {
                    bail!("user add: {}", String::from_utf8_lossy(&out.stderr));
                }
            }
        }
        Ok(())
    }

    /// What the server holds (`record dump`): id -> (sorted heads, record JSON).
    pub fn dump(&self) -> Result<Snapshot> {
        Ok(self.server.try_dump()?)
    }

    /// A cheap server-side check, on a read-only connection to the server's own file.
    /// A passive WAL checkpoint of the server's database, from outside (SQLite allows any
    /// connection to run one; it never blocks the server's writer).
    pub fn checkpoint(&self) -> Result<()> {
        let c = rusqlite::Connection::open(self.db_path())?;
        c.busy_timeout(Duration::from_secs(10))?;
        c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// A read-only connection to the server's own file (it never blocks the server).
    pub fn read_only(&self) -> Result<rusqlite::Connection> {
        let c = rusqlite::Connection::open_with_flags(
            self.db_path(),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        c.busy_timeout(Duration::from_secs(10))?;
        Ok(c)
    }

    pub fn count(&self, table: &str) -> Result<i64> {
        let c = self.read_only()?;
        Ok(c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
    }

    /// Whether the console indexer has indexed every logged change (`console::indexer`: the
    /// console index follows the pushes, off their transactions).
    pub fn console_current(&self) -> Result<bool> {
        let c = self.read_only()?;
        // A server from before the indexer wrote its index in the pushes' own transactions.
        let indexer: bool = c.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'console_watermark'",
            [],
            |r| r.get(0),
        )?;
        if !indexer {
            return Ok(true);
        }
        Ok(c.query_row(
            "SELECT (SELECT seq FROM console_watermark) >= (SELECT coalesce(max(seq), 0) FROM sync_changes)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Polls [`Self::console_current`] until it holds (at most `timeout`).
    pub fn wait_console_current(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        while !self.console_current()? {
            if Instant::now() > deadline {
                bail!("the console index never caught up with the change log");
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    }

    pub fn stats(&self) -> ProcStats {
        ProcStats::of(self.pid())
    }

    /// Resets the kernel's peak-RSS mark of the server (`/proc/PID/clear_refs`, "5").
    pub fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str().ok_or_else(|| anyhow!("non-UTF-8 path"))
}

/// CPU time and memory of a process, from `/proc`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcStats {
    /// utime + stime, seconds.
    pub cpu_s: f64,
    /// VmHWM (peak resident set since start or the last reset), MB.
    pub peak_rss_mb: f64,
    /// VmRSS (resident now), MB.
    pub rss_mb: f64,
}

impl ProcStats {
    pub fn of(pid: u32) -> Self {
        Self::read(&format!("/proc/{pid}"))
    }

    pub fn me() -> Self {
        Self::read("/proc/self")
    }

    fn read(dir: &str) -> Self {
        let tck = clk_tck();
        let cpu_s = std::fs::read_to_string(format!("{dir}/stat"))
            .ok()
            .and_then(|s| {
                let rest = s.rsplit_once(')')?.1;
                let f: Vec<&str> = rest.split_whitespace().collect();
                // After the comm field: state is field 3; utime is 14, stime 15 (1-based overall).
                let ut: f64 = f.get(11)?.parse().ok()?;
                let st: f64 = f.get(12)?.parse().ok()?;
                Some((ut + st) / tck)
            })
            .unwrap_or(0.0);
        let status = std::fs::read_to_string(format!("{dir}/status")).unwrap_or_default();
        let kb = |key: &str| -> f64 {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
                / 1024.0
        };
        Self {
            cpu_s,
            peak_rss_mb: kb("VmHWM:"),
            rss_mb: kb("VmRSS:"),
        }
    }
}

fn clk_tck() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Bytes through a [`Relay`], each direction.
#[derive(Debug, Default)]
pub struct Counters {
    pub up: AtomicU64,
    pub down: AtomicU64,
}

impl Counters {
    pub fn get(&self) -> (u64, u64) {
        (
            self.up.load(Ordering::Relaxed),
            self.down.load(Ordering::Relaxed),
        )
    }
}

/// A counting TCP relay on 127.0.0.1:0 in front of the server: every byte of every connection,
/// HTTP headers and framing included, counted in each direction.
#[derive(Debug)]
pub struct Relay {
    pub url: String,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Relay {
    pub async fn start(target: String) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let target = target.clone();
                let c = c.clone();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let (ir, iw) = inbound.into_split();
                    let (or, ow) = outbound.into_split();
                    let c2 = c.clone();
                    let up = tokio::spawn(pump(ir, ow, c2, true));
                    pump(or, iw, c, false).await;
                    up.abort();
                });
            }
        });
        Ok(Self {
            url,
            counters,
            task,
        })
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    c: Arc<Counters>,
    up: bool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        let ctr = if up { &c.up } else { &c.down };
        ctr.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = to.shutdown().await;
}

/// An HTTP client for the load generator: loopback only, never a proxy.
pub fn http_client() -> Result<reqwest::Client> {
    Ok(builder().build()?)
}

/// An HTTP client whose connections come from loopback address `127.x.y.z` picked by `device`:
/// phones reach a server from many addresses, and the server caps connections per address, so a
/// thousand simulated devices must not all share `127.0.0.1`. (Linux routes all of 127.0.0.0/8 to
/// the loopback interface.)
pub fn device_http_client(device: u64) -> Result<reqwest::Client> {
    let [_, x, y, z] = (0x7f00_0002_u32 + u32::try_from(device % 60_000)?).to_be_bytes();
    let addr = std::net::Ipv4Addr::new(127, x, y, z);
    Ok(builder()
        .local_address(std::net::IpAddr::V4(addr))
        .build()?)
}

fn builder() -> reqwest::ClientBuilder {
    gridmate_system_tests::http()
        .no_proxy()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
}

/// Signs in a (user, new device id): returns the bearer token.
pub async fn login(http: &reqwest::Client, url: &str, user: &str, device: &str) -> Result<String> {
    let resp = http
        .post(format!("{url}/v1/login"))
        .json(&serde_json::json!({"user": user, "password": PASSWORD, "device_id": device, "device_name": "loadgen"}))
        .send()
        .await?;
    let status = resp.status();
    let v: serde_json::Value = resp.json().await?;
    if !status.is_success() {
        bail!("login {user}: {status} {v}");
    }
    Ok(v["token"].as_str().context("token")?.to_owned())
}

/// Why one exchange failed.
#[derive(Debug)]
pub enum ExchangeError {
    /// 429 `overloaded`.
    Overloaded,
    Other(String),
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Overloaded => write!(f, "429 overloaded"),
            Self::Other(s) => write!(f, "{s}"),
        }
    }
}

/// One `POST /v1/sync` with an already encoded body. Returns the decoded answer.
pub async fn post_sync(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: Vec<u8>,
) -> Result<SyncResponse, ExchangeError> {
    let resp = http
        .post(format!("{url}/v1/sync"))
        .header(reqwest::header::CONTENT_TYPE, wire::CONTENT_TYPE)
        .bearer_auth(token)
        .body(body)
        .send()
        .await
        .map_err(|e| ExchangeError::Other(e.without_url().to_string()))?;
    let status = resp.status();
    if status.as_u16() == 429 {
        return Err(ExchangeError::Overloaded);
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| ExchangeError::Other(e.without_url().to_string()))?;
    if !status.is_success() {
        return Err(ExchangeError::Other(format!(
            "{status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
        )));
    }
    wire::decode_response(&bytes).map_err(|e| ExchangeError::Other(e.to_string()))
}

/// A digest of a snapshot that does not depend on JSON key order.
pub fn digest(s: &Snapshot) -> String {
    fn canon(v: &serde_json::Value, out: &mut Vec<u8>) {
        match v {
            serde_json::Value::Object(m) => {
                let sorted: BTreeMap<&String, &serde_json::Value> = m.iter().collect();
                out.push(b'{');
                for (k, v) in sorted {
                    out.extend_from_slice(k.as_bytes());
                    out.push(b':');
                    canon(v, out);
                    out.push(b',');
                }
                out.push(b'}');
            }
            serde_json::Value::Array(a) => {
                out.push(b'[');
                for v in a {
                    canon(v, out);
                    out.push(b',');
                }
                out.push(b']');
            }
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
    }
    let mut h = Sha256::new();
    let mut buf = Vec::new();
    for (id, (heads, rec)) in s {
        buf.clear();
        buf.extend_from_slice(id.as_bytes());
        for x in heads {
            buf.extend_from_slice(x.as_bytes());
        }
        canon(rec, &mut buf);
        h.update(&buf);
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Median of a list (NaN when empty).
pub fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

/// Nearest-rank percentile.
pub fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

/// `uptime`'s load averages (1, 5, 15 min).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Prints rows as an aligned text table.
pub fn print_table(title: &str, rows: &[(String, String)]) {
    println!("{title}");
    let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        println!("  {k:<w$}  {v}");
    }
}

/// Serializes `v` as pretty JSON to stdout.
pub fn print_json<T: Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

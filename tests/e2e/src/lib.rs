//! Helpers for GridMate's end-to-end tests: the real desktop app (`gridmate-app`, built by
//! `npx tauri build --debug --no-bundle`) driven over WebDriver (`tauri-driver` in front of
//! `WebKitWebDriver`), a real `gridmate-server` process, and the `gridmate` CLI as a second device.
//! Nothing is faked. `tests/e2e/run.sh` builds everything and starts Xvfb and tauri-driver.
//!
//! Environment (all optional; run.sh sets them):
//! - `GRIDMATE_E2E_BIN_DIR`: folder holding `gridmate-app`, `gridmate-server`, `gridmate`
//!   (default `../../target/debug` from this crate).
//! - `GRIDMATE_E2E_WEBDRIVER`: tauri-driver's address (default `http://127.0.0.1:4444`).
//! - `E2E_SCREENSHOTS`: where screenshots go (default `tests/e2e/target/e2e-screenshots`).
//!
//! tauri-driver cannot pass environment variables to the app, so each launch goes through a tiny
//! shell wrapper written next to the app's data folder: it records its PID (the `exec`ed app keeps
//! it), sets `GRIDMATE_APP_DATA`, and sends the app's output to a log file. One tauri-driver can so
//! serve any number of data folders, and the test knows which process to watch on quit.
//!
//! Waits are for states (an element present, a badge `synced`), each with a deadline; nothing here
//! asserts a duration.
#![forbid(unsafe_code)]
#![allow(clippy::missing_panics_doc)] // a harness failure is a test failure

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thirtyfour::Capabilities;
use thirtyfour::prelude::*;

pub mod browser;
pub mod page;
pub use page::Page;

/// The password every test user gets.
pub const PASSWORD: &str = "e2e-password-1";

/// Default deadline for an element or state to appear.
pub const WAIT: Duration = Duration::from_secs(20);

/// Where the binaries are.
#[derive(Debug, Clone)]
pub struct Bins {
    pub app: PathBuf,
    pub server: PathBuf,
    pub cli: PathBuf,
}

impl Bins {
    pub fn from_env() -> Self {
        let b = Self::located();
        b.require(&[&b.app, &b.server, &b.cli]);
        b
    }

    /// The server and the CLI only (the console's test needs no app).
    pub fn without_app() -> Self {
        let b = Self::located();
        b.require(&[&b.server, &b.cli]);
        b
    }

    fn require(&self, paths: &[&PathBuf]) {
        for p in paths {
            assert!(
                p.exists(),
                "{} is missing: run tests/e2e/run.sh (it builds the app, the server and the CLI)",
                p.display()
            );
        }
    }

    fn located() -> Self {
        let dir = std::env::var_os("GRIDMATE_E2E_BIN_DIR").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug"),
            PathBuf::from,
        );
        let dir = dir.canonicalize().unwrap_or(dir);
        Self {
            app: dir.join("gridmate-app"),
            server: dir.join("gridmate-server"),
            cli: dir.join("gridmate"),
        }
    }
}

/// tauri-driver's address.
pub fn webdriver_url() -> String {
    std::env::var("GRIDMATE_E2E_WEBDRIVER").unwrap_or_else(|_| "http://127.0.0.1:4444".into())
}

/// The screenshot folder (created).
pub fn screenshot_dir() -> PathBuf {
    let d = std::env::var_os("E2E_SCREENSHOTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e-screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Polls `f` every 150 ms until it returns `Some`, or panics after `timeout` naming `what`.
pub async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The sync server.

/// A running `gridmate-server` over a data folder the test names (the test harness's, with this
/// suite's password); everything else derefs to [`gridmate_test_harness::Server`].
#[derive(Debug)]
pub struct Server(pub gridmate_test_harness::Server);

impl std::ops::Deref for Server {
    type Target = gridmate_test_harness::Server;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Server {
    /// Starts a server on 127.0.0.1 (a free port) over `data`.
    pub fn start(bin: &Path, data: &Path) -> Self {
        Self(gridmate_test_harness::Server::start(bin, data))
    }

    pub fn add_user(&self, name: &str, role: &str, scope: &str) {
        self.0.add_user(name, role, scope, None, PASSWORD);
    }

    /// `record dump`: id -> record JSON.
    pub fn dump(&self) -> std::collections::BTreeMap<String, Value> {
        self.0
            .dump()
            .into_iter()
            .map(|(id, (_, record))| (id, record))
            .collect()
    }
}

pub use gridmate_test_harness::run_cmd;

/// The `gridmate` CLI as a device of its own (its own data folder, one account).
#[derive(Debug)]
pub struct CliDevice {
    pub bin: PathBuf,
    pub data: PathBuf,
    pub account: String,
}

impl CliDevice {
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut full = vec![
            "--data",
            self.data.to_str().unwrap(),
            "--account",
            &self.account,
        ];
        full.extend_from_slice(args);
        run_cmd(&self.bin, &full, stdin, &[("GRIDMATE_LOG", "warn")])
    }

    pub fn login(&self, url: &str) {
        self.run(
            &[
                "login",
                "--server",
                url,
                "--user",
                &self.account,
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The app.

/// Reads a PID file; whether that process is still alive (a zombie counts as gone).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").args([sig, &pid.to_string()]).status();
}

/// The running desktop app under WebDriver: one session, one process.
pub struct App {
    driver: Option<WebDriver>,
    pid: Option<u32>,
    pub data_dir: PathBuf,
    pub log: PathBuf,
}

/// How one launch went: time to the WebDriver session (window created) and the app's PID.
#[derive(Debug, Clone, Copy)]
pub struct Launch {
    pub started: Instant,
    pub session_ready: Duration,
}

impl App {
    /// Launches the app over `data_dir` (created). `work` holds the launcher script and logs.
    /// Returns when WebDriver has a session (the window exists; the page may still be loading).
    pub async fn launch(bins: &Bins, data_dir: &Path, work: &Path) -> (Self, Launch) {
        std::fs::create_dir_all(data_dir).unwrap();
        std::fs::create_dir_all(work).unwrap();
        let pid_file = work.join("app.pid");
        let _ = std::fs::remove_file(&pid_file);
        let log = work.join("app.log");
        let launcher = work.join("launch-gridmate-app.sh");
        let q = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', r"'\''"));
        std::fs::write(
            &launcher,
            format!(
                "#!/bin/sh\n# Written by the GridMate E2E test: tauri-driver cannot set the app's environment.\n\
                 echo $$ > {pid}\nexport GRIDMATE_APP_DATA={data}\nexport GRIDMATE_LOG=${{GRIDMATE_LOG:-info}}\n\
                 exec {app} \"$@\" >> {log} 2>&1\n",
                pid = q(&pid_file),
                data = q(data_dir),
                app = q(&bins.app),
                log = q(&log),
            ),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let mut caps = Capabilities::new();
        caps.set("browserName", "wry").unwrap();
        caps.set("tauri:options", json!({ "application": launcher }))
            .unwrap();
        let started = Instant::now();
        let driver = WebDriver::new(webdriver_url(), caps)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "no WebDriver session (is tauri-driver running on {}?): {e}",
                    webdriver_url()
                )
            });
        let session_ready = started.elapsed();
        let pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse().ok());
        let app = Self {
            driver: Some(driver),
            pid,
            data_dir: data_dir.to_owned(),
            log,
        };
        (
            app,
            Launch {
                started,
                session_ready,
            },
        )
    }

    pub fn driver(&self) -> &WebDriver {
        self.driver.as_ref().expect("the app was quit")
    }

    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Picks `option-<value>` in the picker opened by tapping `field-<path>`, then confirms, and
    /// checks that the field shows that option's text (a tap during the popup's slide-in can be
    /// lost, leaving the first option selected: then it tries again, logged).
    pub async fn pick(&self, path: &str, value: &str) {
        let field = format!("field-{path}");
        for attempt in 1..=3 {
            self.click(&field).await;
            let opt_css = format!("[data-testid=\"option-{value}\"]");
            let opt = self.wait_css_visible(&opt_css, WAIT).await;
            let want = opt.text().await.unwrap_or_default().trim().to_owned();
            // Let the popup finish sliding in (0.3 s in Vant) before tapping an option.
            tokio::time::sleep(Duration::from_millis(400)).await;
            self.click_el(&format!("option-{value}"), &opt).await;
            // Vant moves the column to the tapped option (a short animation) before confirm.
            tokio::time::sleep(Duration::from_millis(500)).await;
            self.click("picker-confirm").await;
            // A confirm with nothing chosen (the tap on the option was lost) keeps the picker
            // open and says so: cancel, and tap again.
            tokio::time::sleep(Duration::from_millis(300)).await;
            if self.shown("picker-required").await {
                eprintln!(
                    "[e2e] picking {value} for {path}: the tap on the option was lost (attempt {attempt})"
                );
                self.click("picker-cancel").await;
                self.wait_gone("picker-confirm").await;
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            self.wait_gone("picker-confirm").await;
            let input = self.input_in(&field).await;
            let shown = self.value_of(&input).await;
            if shown.trim() == want {
                return;
            }
            eprintln!(
                "[e2e] picking {value} ({want}) for {path} gave {shown:?} (attempt {attempt})"
            );
            // The popup's overlay fades out before the field can be tapped again.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("could not pick {value} for {path}");
    }

    /// Taps the nav bar's back arrow (the page's own way back; there is no test id on it).
    pub async fn nav_back(&self) {
        let el = self.wait_css_visible(".van-nav-bar__left", WAIT).await;
        self.click_el("nav back", &el).await;
    }

    /// Sets the window to a phone-sized 390x844 viewport.
    pub async fn phone_size(&self) {
        self.driver()
            .set_window_rect(0, 0, 390, 844)
            .await
            .unwrap_or_else(|e| panic!("set_window_rect: {e}"));
    }

    /// Calls a Tauri command from the page (for observations the UI does not show directly).
    pub async fn invoke(&self, cmd: &str, args: Value) -> Value {
        self.driver()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
                   .then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ err: e }));",
                vec![json!(cmd), args],
            )
            .await
            .unwrap_or_else(|e| panic!("invoke {cmd}: {e}"))
            .json()
            .clone()
    }

    /// Ends the WebDriver session and makes sure the app process is gone: it should exit on its
    /// own when its window closes; after 10 s it gets SIGTERM, after 5 more SIGKILL (both logged).
    /// Returns whether the app exited by itself.
    pub async fn quit(mut self) -> bool {
        if let Some(d) = self.driver.take()
            && let Err(e) = d.quit().await
        {
            eprintln!("[e2e] ending the WebDriver session: {e}");
        }
        let Some(pid) = self.pid.take() else {
            return true;
        };
        for (sig, secs) in [("", 10), ("-TERM", 5), ("-KILL", 5)] {
            if !sig.is_empty() {
                eprintln!("[e2e] app (pid {pid}) still running; sending {sig}");
                signal(pid, sig);
            }
            let deadline = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < deadline {
                if !alive(pid) {
                    return sig.is_empty();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        panic!("the app (pid {pid}) survived SIGKILL");
    }

    /// The last lines of the app's own log (for failure messages).
    pub fn log_tail(&self) -> String {
        let s = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Page for App {
    fn driver(&self) -> &WebDriver {
        App::driver(self)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // What the window showed when the test failed (best effort, on a runtime of its own:
            // Drop cannot await).
            if let Some(d) = self.driver.clone() {
                let path = screenshot_dir().join("FAILED.png");
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    let png = rt.block_on(async {
                        let html = d.source().await.unwrap_or_default();
                        let _ = std::fs::write(path.with_extension("html"), html);
                        d.screenshot_as_png().await.ok()
                    })?;
                    std::fs::write(&path, png).ok()?;
                    eprintln!("[e2e] the window at the failure: {}", path.display());
                    Some(())
                })
                .join();
            }
        }
        // thirtyfour ends a session that was not quit on drop (synchronously); the process is ours.
        drop(self.driver.take());
        if let Some(pid) = self.pid.take()
            && alive(pid)
        {
            signal(pid, "-KILL");
        }
    }
}

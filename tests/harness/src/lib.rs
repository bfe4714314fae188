//! A real `gridmate-server` process for tests: started over a data folder (its own temp folder, or
//! one the caller names) on 127.0.0.1, on a free port the server picks (`--listen 127.0.0.1:0`) or
//! on a given one for a restart; ready once it prints `listening on URL` (its first line of
//! stdout), which is also where the URL comes from. Users and dumps go through the binary's own
//! admin commands. The process is SIGKILLed on `kill9` and on drop, so a failing test leaves no
//! server behind.
//!
//! Used by the whole-system tests and the load generator (tests/) and by the end-to-end crate
//! (tests/e2e, by path). The `try_` functions return errors for callers that report them (the load
//! generator); the others panic, because in a test a harness failure is a test failure.
#![forbid(unsafe_code)]
#![allow(clippy::missing_panics_doc)] // the panicking helpers say so in their docs

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// What a server holds, as `record dump` prints it: record id -> (heads, record JSON).
pub type Snapshot = BTreeMap<String, (Vec<String>, serde_json::Value)>;

/// The path of a binary built beside the running executable (`target/<profile>/NAME`, also when
/// the executable is a test in `target/<profile>/deps`). Panics, naming the path, if it is missing.
pub fn beside_current_exe(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the path of the running executable");
    let dir = exe.parent().expect("the running executable's folder");
    let dir = if dir.ends_with("deps") {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    let p = dir.join(name);
    assert!(
        p.exists(),
        "{} not built: run `cargo build --workspace` (cargo test --workspace does)",
        p.display()
    );
    p
}

fn path_str(p: &Path) -> io::Result<&str> {
    p.to_str()
        .ok_or_else(|| io::Error::other(format!("non-UTF-8 path {}", p.display())))
}

/// Runs `bin args` with `stdin` written to it and `env` set; its stdout if it succeeds, else an
/// error carrying its output.
pub fn try_run_cmd(
    bin: &Path,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> io::Result<String> {
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn()?;
    child
        .stdin
        .take()
        .ok_or_else(|| io::Error::other("no stdin"))?
        .write_all(stdin.unwrap_or("").as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "{} {args:?} failed ({}): {}{}",
            bin.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    String::from_utf8(out.stdout).map_err(io::Error::other)
}

/// [`try_run_cmd`], panicking with the command's output if it fails.
pub fn run_cmd(bin: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> String {
    try_run_cmd(bin, args, stdin, env).unwrap_or_else(|e| panic!("{e}"))
}

/// A running `gridmate-server serve`.
#[derive(Debug)]
pub struct Server {
    bin: PathBuf,
    extra_args: Vec<String>,
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`, as the server printed it.
    pub url: String,
    pub data: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `bin` over `data` (created by the server if missing) on a free port.
    pub fn start(bin: &Path, data: &Path) -> Self {
        Self::try_start(bin, Some(data), &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts `bin` over a fresh temp folder (removed on drop) on a free port.
    pub fn start_temp(bin: &Path) -> Self {
        Self::try_start(bin, None, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts `bin` over `data` (a fresh temp folder if `None`) with `extra_args` after
    /// `serve --data D --listen A`, on a free port.
    pub fn try_start(bin: &Path, data: Option<&Path>, extra_args: &[&str]) -> io::Result<Self> {
        let (data, dir) = match data {
            Some(d) => (d.to_owned(), None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("gridmate-server-")
                    .tempdir()?;
                (dir.path().join("srv"), Some(dir))
            }
        };
        let mut s = Self {
            bin: bin.to_owned(),
            extra_args: extra_args.iter().map(|&a| a.to_owned()).collect(),
            child: None,
            url: String::new(),
            data,
            _dir: dir,
        };
        s.try_spawn(None)?;
        Ok(s)
    }

    /// Starts the process (again) over this data folder, on `port` if given; returns once it
    /// listens. Panics if it does not start.
    pub fn spawn(&mut self, port: Option<u16>) {
        self.try_spawn(port).unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn try_spawn(&mut self, port: Option<u16>) -> io::Result<()> {
        let listen = format!("127.0.0.1:{}", port.unwrap_or(0));
        let mut child = Command::new(&self.bin)
            .args([
                "serve",
                "--data",
                path_str(&self.data)?,
                "--listen",
                &listen,
            ])
            .args(&self.extra_args)
            .env("GRIDMATE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| io::Error::other(format!("starting {}: {e}", self.bin.display())))?;
        let mut line = String::new();
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        // The first line; EOF (an empty line) means the server exited before listening.
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(url) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other(format!("gridmate-server said: {line:?}")));
        };
        self.url = url.to_owned();
        self.child = Some(child);
        Ok(())
    }

    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {}", self.url))
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL: no shutdown, no flush; whatever SQLite had committed is what survives.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            c.wait().expect("waiting for the killed server");
        }
    }

    /// Kills the process and starts it again on the same port and data folder.
    pub fn restart_same_port(&mut self) {
        let port = self.port();
        self.kill9();
        self.spawn(Some(port));
        assert_eq!(self.port(), port, "the server came back on another port");
    }

    /// Runs an admin command of the server binary on this data folder; returns its stdout.
    pub fn try_admin(&self, args: &[&str], stdin: Option<&str>) -> io::Result<String> {
        let mut full: Vec<&str> = args.to_vec();
        full.extend(["--data", path_str(&self.data)?]);
        try_run_cmd(&self.bin, &full, stdin, &[("GRIDMATE_LOG", "warn")])
    }

    /// [`Server::try_admin`], panicking with the command's output if it fails.
    pub fn admin(&self, args: &[&str], stdin: Option<&str>) -> String {
        self.try_admin(args, stdin)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Adds a user with `password`: `role` is grid_worker, legal_volunteer (give `legal_role`),
    /// dispatcher or admin; `scope` a grid or an area prefix.
    pub fn add_user(
        &self,
        name: &str,
        role: &str,
        scope: &str,
        legal_role: Option<&str>,
        password: &str,
    ) {
        let mut args = vec![
            "user",
            "add",
            name,
            "--role",
            role,
            "--scope",
            scope,
            "--password-stdin",
        ];
        if let Some(l) = legal_role {
            args.extend(["--legal-role", l]);
        }
        self.admin(&args, Some(&format!("{password}\n")));
    }

    /// What the server holds (`record dump`).
    pub fn try_dump(&self) -> io::Result<Snapshot> {
        let bad =
            |what: &str, line: &str| io::Error::other(format!("record dump: no {what} in {line}"));
        let mut snap = Snapshot::new();
        for l in self.try_admin(&["record", "dump"], None)?.lines() {
            let v: serde_json::Value = serde_json::from_str(l).map_err(io::Error::other)?;
            let heads = v["heads"]
                .as_array()
                .ok_or_else(|| bad("heads", l))?
                .iter()
                .map(|h| h.as_str().map(str::to_owned).ok_or_else(|| bad("head", l)))
                .collect::<io::Result<_>>()?;
            let id = v["id"].as_str().ok_or_else(|| bad("id", l))?.to_owned();
            snap.insert(id, (heads, v["record"].clone()));
        }
        Ok(snap)
    }

    /// [`Server::try_dump`], panicking if it fails.
    pub fn dump(&self) -> Snapshot {
        self.try_dump().unwrap_or_else(|e| panic!("{e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

//! The command line of `gridmate-server`: `serve`, user and device administration, and the demo
//! seed. Every flag can also come from a `GRIDMATE_*` environment variable.
//!
//! Invariants: admin commands open the same `DIR/server.db` as a running server (safe: WAL plus
//! busy timeout); passwords are read from stdin or a no-echo prompt, never from argv (argv is
//! visible to every local user via `ps`); command output goes to stdout, logs to stderr.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::{GridId, LegalRole, Timestamp};
use uuid::Uuid;

use crate::auth::password::{self, PasswordError};
use crate::clock::SystemClock;
use crate::limits::{self, ConnectionLimits};
use crate::model::{
    AccountInputError, Area, AreaLevel, NewUser, Role, check_password, normalize_user_name,
};
use crate::reference::{self, ReferenceInputError};

mod held_cmd;
mod reference_cmd;
use crate::auth::ThrottleConfig;
use crate::console::auth::{DEFAULT_ABSOLUTE_HOURS, DEFAULT_IDLE_MINUTES, SessionLimits};
use crate::console::tiles::TileConfig;
use crate::scope::{Scope, ScopeError};
use crate::server::{BoundServer, ServeError, TlsFiles, shutdown_signal};
use crate::state::{
    AppState, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TOKEN_DAYS, ServerConfig,
};
use crate::storage::{AccountStore, SqliteStorage, StorageError};
use crate::sync::held::{self, HeldLimits};
use crate::sync::limits::{
    DEFAULT_BUDGET_BYTES, DEFAULT_BUDGET_RECORDS, DEFAULT_BUDGET_WINDOW_SECS, WriteBudget,
};
use crate::telemetry::LogFormat;
pub use held_cmd::HeldCommand;
use reference_cmd::{area, check_unit, unit, update_user};

/// The demo password printed by `demo-seed`.
pub const DEMO_PASSWORD: &str = "gridmate-demo";

#[derive(Debug, Parser)]
#[command(
    name = "gridmate-server",
    version,
    about = "GridMate sync server and admin tool"
)]
pub struct Cli {
    /// Log output format (logs go to stderr).
    #[arg(long, global = true, env = "GRIDMATE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process: the size of the `serve` variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP(S) server.
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Manage the areas of the catalogue (their Chinese names and levels).
    #[command(subcommand)]
    Area(AreaCommand),
    /// Manage the units disputes are assigned to (司法所, 派出所, ...).
    #[command(subcommand)]
    Unit(UnitCommand),
    /// Create the demo township, grids and users (idempotent).
    DemoSeed(DataArg),
    /// Inspect synced records.
    #[command(subcommand)]
    Record(RecordCommand),
    /// Inspect and remove held changes (changes waiting for their dependencies).
    #[command(subcommand)]
    Held(HeldCommand),
}

#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Print every synced record (heads, content, a dispute's workflow events with their verdicts,
    /// and who pushed each change) as JSON lines. Contains personal data.
    Dump {
        #[command(flatten)]
        data: DataArg,
        /// Only grids whose id starts with this.
        #[arg(long)]
        grid: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AreaCommand {
    /// Add an area, or rename it / change its level.
    Add {
        #[command(flatten)]
        data: DataArg,
        /// The area id, e.g. jingkou-zhengdonglu.
        id: String,
        /// Its name, e.g. 正东路街道.
        #[arg(long)]
        name: String,
        /// city, county, township, community or grid.
        #[arg(long, value_parser = parse_level)]
        level: AreaLevel,
    },
    /// List the areas.
    List {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UnitCommand {
    /// Add a unit, or rename it.
    Add {
        #[command(flatten)]
        data: DataArg,
        /// The unit id, e.g. jingkou-zhengdonglu-sfs.
        id: String,
        /// Its name, e.g. 正东路司法所.
        #[arg(long)]
        name: String,
    },
    /// List the units.
    List {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct DataArg {
    /// Data directory holding server.db.
    #[arg(long, env = "GRIDMATE_DATA")]
    pub data: PathBuf,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data: DataArg,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "GRIDMATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// PEM certificate chain; with --tls-key, serve HTTPS directly.
    #[arg(long, env = "GRIDMATE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "GRIDMATE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Token lifetime in days.
    #[arg(long, env = "GRIDMATE_TOKEN_DAYS", default_value_t = DEFAULT_TOKEN_DAYS,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub token_days: u32,
    /// Largest accepted request body in bytes.
    #[arg(long, env = "GRIDMATE_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Requests processed at once before answering 429 `overloaded`.
    #[arg(long, env = "GRIDMATE_MAX_IN_FLIGHT", default_value_t = DEFAULT_MAX_IN_FLIGHT,
          value_parser = parse_positive)]
    pub max_in_flight: usize,
    /// Use the last X-Forwarded-For address as the client address (only behind a trusted proxy).
    #[arg(long, env = "GRIDMATE_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// Failed logins of one user name from one address before sign-ins are slowed down there
    /// (a device registered to that user still gets through with the right password).
    #[arg(long, env = "GRIDMATE_LOGIN_USER_THRESHOLD", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub login_user_threshold: u32,
    /// Failed logins from one address (any user name) before sign-ins from it are slowed down.
    #[arg(long, env = "GRIDMATE_LOGIN_ADDRESS_THRESHOLD", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub login_address_threshold: u32,
    /// The first slow-down window in seconds; it doubles with each further failure, up to 15 min.
    #[arg(long, env = "GRIDMATE_LOGIN_BLOCK_SECS", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=900))]
    pub login_block_secs: u64,
    /// A JSON file holding the deadline table devices work by (docs/dispute-workflow.md); the
    /// built-in table when absent.
    #[arg(long, env = "GRIDMATE_DEADLINES")]
    pub deadlines: Option<PathBuf>,
    /// Held changes (waiting for their dependencies) one device may have.
    #[arg(long, env = "GRIDMATE_HELD_MAX_PER_DEVICE", default_value_t = held::DEFAULT_PER_DEVICE)]
    pub held_max_per_device: u64,
    /// Bytes of held changes one device may have.
    #[arg(long, env = "GRIDMATE_HELD_MAX_BYTES_PER_DEVICE", default_value_t = held::DEFAULT_BYTES_PER_DEVICE)]
    pub held_max_bytes_per_device: u64,
    /// Held changes one user may have over all their devices.
    #[arg(long, env = "GRIDMATE_HELD_MAX_PER_USER", default_value_t = held::DEFAULT_PER_USER)]
    pub held_max_per_user: u64,
    /// Bytes of held changes one user may have over all their devices.
    #[arg(long, env = "GRIDMATE_HELD_MAX_BYTES_PER_USER", default_value_t = held::DEFAULT_BYTES_PER_USER)]
    pub held_max_bytes_per_user: u64,
    /// Days a held change is kept from its arrival (0: dropped at the next push).
    #[arg(long, env = "GRIDMATE_HELD_MAX_AGE_DAYS", default_value_t = held::DEFAULT_MAX_AGE_DAYS,
          value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub held_max_age_days: u32,
    /// Records (new records and saved edits) one user may push per budget window; beyond it a
    /// push is answered 429 `write_budget_exceeded` (pulls still work).
    #[arg(long, env = "GRIDMATE_WRITE_BUDGET_RECORDS", default_value_t = DEFAULT_BUDGET_RECORDS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub write_budget_records: u64,
    /// Bytes of changes one user may push per budget window.
    #[arg(long, env = "GRIDMATE_WRITE_BUDGET_BYTES", default_value_t = DEFAULT_BUDGET_BYTES,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub write_budget_bytes: u64,
    /// The write budget's window in seconds.
    #[arg(long, env = "GRIDMATE_WRITE_BUDGET_WINDOW_SECS", default_value_t = DEFAULT_BUDGET_WINDOW_SECS,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub write_budget_window_secs: u64,
    /// Minutes without a request after which a console session ends.
    #[arg(long, env = "GRIDMATE_CONSOLE_IDLE_MINUTES", default_value_t = DEFAULT_IDLE_MINUTES,
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub console_idle_minutes: u32,
    /// Hours after sign-in at which a console session ends, however active.
    #[arg(long, env = "GRIDMATE_CONSOLE_SESSION_HOURS", default_value_t = DEFAULT_ABSOLUTE_HOURS,
          value_parser = clap::value_parser!(u32).range(1..=168))]
    pub console_session_hours: u32,
    /// Mark the console's session cookie `Secure` although this process speaks plain HTTP
    /// (behind a reverse proxy that terminates TLS). On by itself with --tls-cert.
    #[arg(long, env = "GRIDMATE_CONSOLE_SECURE_COOKIE")]
    pub console_secure_cookie: bool,
    /// The console map's base tiles: a URL template with {z}, {x} and {y} (an intranet tile
    /// server, or 天地图 with the operator's key); only signed-in console users see it. Without
    /// it the map shows boundaries and points on a plain background.
    #[arg(long, env = "GRIDMATE_MAP_TILES")]
    pub map_tiles: Option<String>,
    /// The attribution shown under the map's tiles (plain text).
    #[arg(long, env = "GRIDMATE_MAP_TILES_ATTRIBUTION", requires = "map_tiles")]
    pub map_tiles_attribution: Option<String>,
    /// Seconds to let in-flight requests finish after SIGTERM/SIGINT.
    #[arg(long, env = "GRIDMATE_SHUTDOWN_GRACE_SECS", default_value_t = 30)]
    pub shutdown_grace_secs: u64,
    #[command(flatten)]
    pub connections: ConnectionArgs,
}

/// Slow and greedy clients: timeouts, small-body limits, the per-address connection cap
/// ([`ConnectionLimits`]).
#[derive(Debug, Clone, Args)]
pub struct ConnectionArgs {
    /// Seconds for a new connection's TLS handshake, and again for its first request head.
    #[arg(long, env = "GRIDMATE_HEADER_TIMEOUT_SECS", default_value_t = limits::DEFAULT_HEADER_TIMEOUT_SECS,
          value_parser = parse_secs)]
    pub header_timeout_secs: u64,
    /// Longest silence, in seconds, while a request body arrives (408 `request_timeout`).
    #[arg(long, env = "GRIDMATE_BODY_TIMEOUT_SECS", default_value_t = limits::DEFAULT_BODY_TIMEOUT_SECS,
          value_parser = parse_secs)]
    pub body_timeout_secs: u64,
    /// Seconds for a whole request, body and answer, on routes other than sync (408).
    #[arg(long, env = "GRIDMATE_REQUEST_TIMEOUT_SECS", default_value_t = limits::DEFAULT_REQUEST_TIMEOUT_SECS,
          value_parser = parse_secs)]
    pub request_timeout_secs: u64,
    /// Seconds for a whole `POST /v1/sync`, body and answer (408).
    #[arg(long, env = "GRIDMATE_SYNC_REQUEST_TIMEOUT_SECS",
          default_value_t = limits::DEFAULT_SYNC_REQUEST_TIMEOUT_SECS, value_parser = parse_secs)]
    pub sync_request_timeout_secs: u64,
    /// Seconds an idle kept-alive connection waits for its next request head before closing.
    #[arg(long, env = "GRIDMATE_KEEP_ALIVE_SECS", default_value_t = limits::DEFAULT_KEEP_ALIVE_SECS,
          value_parser = parse_secs)]
    pub keep_alive_secs: u64,
    /// Connections one address (IPv4, or IPv6 /64) may hold open; 0 = no cap. Not applied with
    /// --trust-forwarded-for (every connection then comes from the proxy).
    #[arg(long, env = "GRIDMATE_MAX_CONNECTIONS_PER_ADDRESS",
          default_value_t = limits::DEFAULT_MAX_CONNECTIONS_PER_ADDRESS)]
    pub max_connections_per_address: usize,
    /// Largest `POST /v1/login` body in bytes (413 `payload_too_large`).
    #[arg(long, env = "GRIDMATE_LOGIN_BODY_BYTES", default_value_t = limits::DEFAULT_LOGIN_BODY_BYTES,
          value_parser = parse_positive)]
    pub login_body_bytes: usize,
    /// Largest body in bytes of routes other than login and sync (413 `payload_too_large`).
    #[arg(long, env = "GRIDMATE_SMALL_BODY_BYTES", default_value_t = limits::DEFAULT_SMALL_BODY_BYTES,
          value_parser = parse_positive)]
    pub small_body_bytes: usize,
}

impl ConnectionArgs {
    /// The limits in effect; behind a trusted proxy the per-address cap is off.
    pub fn limits(&self, trust_forwarded_for: bool) -> ConnectionLimits {
        let secs = Duration::from_secs;
        ConnectionLimits {
            header_timeout: secs(self.header_timeout_secs),
            body_timeout: secs(self.body_timeout_secs),
            request_timeout: secs(self.request_timeout_secs),
            sync_request_timeout: secs(self.sync_request_timeout_secs),
            keep_alive: secs(self.keep_alive_secs),
            max_connections_per_address: if trust_forwarded_for {
                0
            } else {
                self.max_connections_per_address
            },
            login_body_bytes: self.login_body_bytes,
            small_body_bytes: self.small_body_bytes,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin (or prompted for on a terminal).
    Add {
        #[command(flatten)]
        data: DataArg,
        /// Login name: a-z, 0-9, '.', '_', '-' (e.g. wang.wei).
        name: String,
        /// grid_worker, legal_volunteer, dispatcher or admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// For legal_volunteer: judge, prosecutor, police_officer or lawyer.
        #[arg(long, value_parser = parse_legal_role)]
        legal_role: Option<LegalRole>,
        /// Comma-separated area ids, e.g. jingkou-zhengdonglu or jingkou-zhengdonglu-03.
        #[arg(long)]
        scope: String,
        #[arg(long)]
        display_name: Option<String>,
        /// The unit the user acts for (an id added with `unit add`).
        #[arg(long)]
        unit: Option<String>,
        /// Read the password from the first line of stdin even on a terminal.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a user's unit or display name.
    Update {
        #[command(flatten)]
        data: DataArg,
        name: String,
        /// The unit the user acts for from now on.
        #[arg(long, conflicts_with = "no_unit")]
        unit: Option<String>,
        /// The user acts for no unit any more.
        #[arg(long)]
        no_unit: bool,
        /// The name colleagues see (an empty value clears it).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    List {
        #[command(flatten)]
        data: DataArg,
        #[arg(long)]
        json: bool,
    },
    /// Disable a user: all their requests are refused with `user_disabled`.
    Disable {
        #[command(flatten)]
        data: DataArg,
        name: String,
    },
    /// Re-enable a disabled user.
    Enable {
        #[command(flatten)]
        data: DataArg,
        name: String,
    },
    /// Set a new password; signs the user out of every device.
    SetPassword {
        #[command(flatten)]
        data: DataArg,
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List devices, most recently seen first.
    List {
        #[command(flatten)]
        data: DataArg,
        /// Only this user's devices.
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a device for good (lost or stolen phone).
    Revoke {
        #[command(flatten)]
        data: DataArg,
        device_id: Uuid,
    },
}

/// A failed command. Messages may name users (the admin typed them) but never passwords.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Input(#[from] AccountInputError),
    #[error(transparent)]
    Scope(#[from] ScopeError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("{code}: {0}", code = .0.code())]
    Reference(#[from] ReferenceInputError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("user `{0}` does not exist")]
    UnknownUser(String),
    #[error("user `{0}` already exists")]
    UserExists(String),
    #[error("the passwords do not match")]
    PasswordMismatch,
    #[error("no password given on stdin")]
    NoPassword,
    #[error("invalid_deadlines: {} is not a deadline table: {reason}", path.display())]
    Deadlines { path: PathBuf, reason: String },
    #[error("invalid_map_tiles: {0}")]
    MapTiles(String),
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
        .ok_or_else(|| "expected grid_worker, legal_volunteer, dispatcher or admin".to_owned())
}

fn parse_legal_role(s: &str) -> Result<LegalRole, String> {
    LegalRole::parse(s)
        .ok_or_else(|| "expected judge, prosecutor, police_officer or lawyer".to_owned())
}

fn parse_level(s: &str) -> Result<AreaLevel, String> {
    AreaLevel::parse(s)
        .ok_or_else(|| "expected city, county, township, community or grid".to_owned())
}

/// Seconds for a timeout: 1 to 86 400 (a zero timeout would refuse everything).
fn parse_secs(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if (1..=86_400).contains(&n) => Ok(n),
        _ => Err("expected whole seconds from 1 to 86400".to_owned()),
    }
}

fn parse_positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("expected a positive integer".to_owned()),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve(args),
        Command::User(cmd) => user(cmd),
        Command::Device(cmd) => device(cmd),
        Command::Area(cmd) => area(cmd),
        Command::Unit(cmd) => unit(cmd),
        Command::DemoSeed(d) => demo_seed(&d.data),
        Command::Held(cmd) => held_cmd::held(cmd),
        Command::Record(RecordCommand::Dump { data, grid }) => {
            let db = SqliteStorage::open(&data.data)?;
            for r in crate::sync::admin::dump(&db, grid.as_deref())? {
                println!("{}", serde_json::to_string(&r)?);
            }
            Ok(())
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), CliError> {
    let db = Arc::new(SqliteStorage::open(&args.data.data)?);
    let deadlines = match &args.deadlines {
        Some(path) => read_deadlines(path)?,
        None => DeadlineTable::default(),
    };
    let config = ServerConfig {
        deadlines,
        token_lifetime: Duration::from_secs(u64::from(args.token_days) * 86_400),
        max_body_bytes: args.max_body_bytes,
        max_in_flight: args.max_in_flight,
        trust_forwarded_for: args.trust_forwarded_for,
        connections: args.connections.limits(args.trust_forwarded_for),
        held: HeldLimits {
            per_device: args.held_max_per_device,
            bytes_per_device: args.held_max_bytes_per_device,
            per_user: args.held_max_per_user,
            bytes_per_user: args.held_max_bytes_per_user,
            max_age: Duration::from_secs(u64::from(args.held_max_age_days) * 86_400),
        },
        throttle: ThrottleConfig {
            user_threshold: args.login_user_threshold,
            ip_threshold: args.login_address_threshold,
            base_window: Duration::from_secs(args.login_block_secs),
            ..ThrottleConfig::default()
        },
        write_budget: WriteBudget {
            records: args.write_budget_records,
            bytes: args.write_budget_bytes,
            window: Duration::from_secs(args.write_budget_window_secs),
        },
        console_sessions: SessionLimits {
            idle: Duration::from_secs(u64::from(args.console_idle_minutes) * 60),
            absolute: Duration::from_secs(u64::from(args.console_session_hours) * 3600),
        },
        console_secure_cookie: args.console_secure_cookie || args.tls_cert.is_some(),
        console_tiles: args
            .map_tiles
            .as_deref()
            .map(|url| TileConfig::parse(url, args.map_tiles_attribution.as_deref()))
            .transpose()
            .map_err(CliError::MapTiles)?,
    };
    // Records accepted before the console index existed get their rows before the console serves.
    crate::console::index::prepare(&db, &config.deadlines)?;
    let limits = config.connections.clone();
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let state = AppState::new(db, config, Arc::new(SystemClock));
        tokio::spawn(crate::console::indexer::run(state.db.clone()));
        tokio::spawn(crate::console::fts_merge::run(state.db.clone()));
        let bound = BoundServer::bind(
            args.listen,
            tls.as_ref(),
            Duration::from_secs(args.shutdown_grace_secs),
        )?
        .with_connection_limits(limits);
        tracing::info!(addr = %bound.local_addr(), tls = tls.is_some(), "listening");
        // Exactly one line on stdout, flushed, so supervisors and tests can read the port.
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", bound.url())?;
        out.flush()?;
        drop(out);
        bound
            .run(crate::routes::router(state), shutdown_signal())
            .await?;
        Ok(())
    })
}

/// The deadline table of `serve --deadlines FILE`; a file that does not read as one stops the
/// server before it listens.
fn read_deadlines(path: &Path) -> Result<DeadlineTable, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Deadlines {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| CliError::Deadlines {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

fn name_arg(raw: &str) -> Result<String, CliError> {
    normalize_user_name(raw).ok_or(CliError::Input(AccountInputError::InvalidUserName))
}

fn user(cmd: UserCommand) -> Result<(), CliError> {
    match cmd {
        UserCommand::Add {
            data,
            name,
            role,
            legal_role,
            scope,
            display_name,
            unit,
            password_stdin,
        } => {
            let scope = Scope::parse_list(&scope)?;
            let unit = unit.as_deref().map(reference::unit_id).transpose()?;
            let new = NewUser::new(&name, display_name.as_deref(), role, legal_role, scope)?
                .with_unit(unit);
            let store = SqliteStorage::open(&data.data)?;
            if store.user_by_name(&new.name)?.is_some() {
                return Err(CliError::UserExists(new.name));
            }
            check_unit(&store, new.unit.as_deref())?;
            let pw = read_new_password(password_stdin)?;
            let hash = password::hash_password(&pw)?;
            let profile = match store.create_user(&new, &hash, Timestamp::now()) {
                Err(StorageError::UserExists) => return Err(CliError::UserExists(new.name)),
                other => other?,
            };
            println!(
                "created user {} (id {}, role {}, scope {})",
                profile.name, profile.id, profile.role, profile.scope
            );
            Ok(())
        }
        UserCommand::List { data, json } => {
            let store = SqliteStorage::open(&data.data)?;
            let users = store.list_users()?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &users)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "{:<6} {:<20} {:<16} {:<15} {:<9} {:<30} {:<26} DISPLAY_NAME",
                    "ID", "NAME", "ROLE", "LEGAL_ROLE", "STATUS", "SCOPE", "UNIT"
                )?;
                for u in users {
                    let p = &u.profile;
                    writeln!(
                        out,
                        "{:<6} {:<20} {:<16} {:<15} {:<9} {:<30} {:<26} {}",
                        p.id.0,
                        p.name,
                        p.role.as_str(),
                        p.legal_role.map_or("-", |l| l.as_str()),
                        if u.disabled { "disabled" } else { "active" },
                        p.scope.to_string(),
                        p.unit.as_deref().unwrap_or("-"),
                        p.display_name.as_deref().unwrap_or("-"),
                    )?;
                }
            }
            Ok(())
        }
        UserCommand::Update {
            data,
            name,
            unit,
            no_unit,
            display_name,
        } => update_user(
            &data.data,
            &name,
            unit.as_deref(),
            no_unit,
            display_name.as_deref(),
        ),
        UserCommand::Disable { data, name } => set_disabled(&data.data, &name, true),
        UserCommand::Enable { data, name } => set_disabled(&data.data, &name, false),
        UserCommand::SetPassword {
            data,
            name,
            password_stdin,
        } => {
            let name = name_arg(&name)?;
            let store = SqliteStorage::open(&data.data)?;
            if store.user_by_name(&name)?.is_none() {
                return Err(CliError::UnknownUser(name));
            }
            let pw = read_new_password(password_stdin)?;
            let hash = password::hash_password(&pw)?;
            store.set_password_hash(&name, &hash, Timestamp::now())?;
            println!("password of {name} changed; the user is signed out of all devices");
            Ok(())
        }
    }
}

fn set_disabled(data: &Path, name: &str, disabled: bool) -> Result<(), CliError> {
    let name = name_arg(name)?;
    let store = SqliteStorage::open(data)?;
    match store.set_user_disabled(&name, disabled, Timestamp::now()) {
        Err(StorageError::NotFound(_)) => return Err(CliError::UnknownUser(name)),
        other => other?,
    }
    println!(
        "user {name} {}",
        if disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}

fn device(cmd: DeviceCommand) -> Result<(), CliError> {
    match cmd {
        DeviceCommand::List { data, user, json } => {
            let user = user.as_deref().map(name_arg).transpose()?;
            let store = SqliteStorage::open(&data.data)?;
            let devices = match store.list_devices(user.as_deref()) {
                Err(StorageError::NotFound(_)) => {
                    return Err(CliError::UnknownUser(user.unwrap_or_default()));
                }
                other => other?,
            };
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &devices)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "{:<36} {:<20} {:<24} {:<24} {:<24} DEVICE_NAME",
                    "DEVICE_ID", "USER", "LAST_SEEN", "TOKEN_EXPIRES", "REVOKED"
                )?;
                let show =
                    |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.to_rfc3339());
                for d in devices {
                    writeln!(
                        out,
                        "{:<36} {:<20} {:<24} {:<24} {:<24} {}",
                        d.device_id,
                        d.user_name,
                        show(d.last_seen_at),
                        show(d.token_expires_at),
                        show(d.revoked_at),
                        d.device_name,
                    )?;
                }
            }
            Ok(())
        }
        DeviceCommand::Revoke { data, device_id } => {
            let store = SqliteStorage::open(&data.data)?;
            store.revoke_device(device_id, Timestamp::now())?;
            println!("device {device_id} revoked");
            Ok(())
        }
    }
}

/// Reads a new password: from stdin when asked to or when stdin is not a terminal (scripts,
/// pipes), otherwise by prompting twice without echo.
fn read_new_password(from_stdin: bool) -> Result<String, CliError> {
    let pw = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line)? == 0 {
            return Err(CliError::NoPassword);
        }
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            return Err(CliError::PasswordMismatch);
        }
        first
    };
    check_password(&pw)?;
    Ok(pw)
}

/// The demo users: name, display name, role, legal role, scope, unit.
type DemoUser = (
    &'static str,
    &'static str,
    Role,
    Option<LegalRole>,
    &'static str,
    Option<&'static str>,
);

const DEMO_USERS: [DemoUser; 4] = [
    (
        "wang.wei",
        "王伟",
        Role::GridWorker,
        None,
        "jingkou-zhengdonglu-03",
        None,
    ),
    (
        "li.na",
        "李娜",
        Role::LegalVolunteer,
        Some(LegalRole::Lawyer),
        "jingkou-zhengdonglu-03",
        Some("jingkou-zhengdonglu-sfs"),
    ),
    (
        "zhao.min",
        "赵敏",
        Role::Dispatcher,
        None,
        "jingkou-zhengdonglu",
        None,
    ),
    // A lawyer of another township: outside the grid, she receives the disputes assigned to her.
    (
        "chen.jing",
        "陈静",
        Role::LegalVolunteer,
        Some(LegalRole::Lawyer),
        "jingkou-jianshelu",
        None,
    ),
];

/// Creates the demo areas, units and users if missing; existing users are left untouched.
pub fn demo_seed(data: &Path) -> Result<(), CliError> {
    let store = SqliteStorage::open(data)?;
    let now = Timestamp::now();
    let areas = [
        ("jingkou", AreaLevel::County, "京口区"),
        ("jingkou-zhengdonglu", AreaLevel::Township, "正东路街道"),
        ("jingkou-zhengdonglu-01", AreaLevel::Grid, "正东路 01 网格"),
        ("jingkou-zhengdonglu-03", AreaLevel::Grid, "正东路 03 网格"),
        ("jingkou-jianshelu", AreaLevel::Township, "建设路街道"),
        ("jingkou-jianshelu-01", AreaLevel::Grid, "建设路 01 网格"),
    ];
    for (id, level, name) in areas {
        let id = GridId::parse(id)
            .ok_or_else(|| CliError::Scope(ScopeError::InvalidArea(id.to_owned())))?;
        store.upsert_area(
            &Area {
                id,
                level,
                name: name.to_owned(),
            },
            now,
        )?;
    }
    reference_cmd::seed_units(&store, now)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "demo township jingkou-zhengdonglu (正东路街道) with grids jingkou-zhengdonglu-01, jingkou-zhengdonglu-03; units 正东路司法所, 正东路派出所"
    )?;
    writeln!(out, "demo users (password for all: {DEMO_PASSWORD}):")?;
    for (name, display, role, legal_role, scope, unit) in DEMO_USERS {
        let new = NewUser::new(
            name,
            Some(display),
            role,
            legal_role,
            Scope::parse_list(scope)?,
        )?
        .with_unit(unit.map(str::to_owned));
        let state = if store.user_by_name(&new.name)?.is_some() {
            "already existed, left unchanged"
        } else {
            let hash = password::hash_password(DEMO_PASSWORD)?;
            match store.create_user(&new, &hash, now) {
                // Created concurrently by another seed run: same outcome.
                Ok(_) | Err(StorageError::UserExists) => "created",
                Err(e) => return Err(e.into()),
            }
        };
        let role_text = match legal_role {
            Some(l) => format!("{role}/{l}"),
            None => role.to_string(),
        };
        writeln!(
            out,
            "  {name:<10} {display} {role_text:<24} scope {scope:<24} ({state})"
        )?;
    }
    Ok(())
}

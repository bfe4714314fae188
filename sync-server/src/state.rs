//! The shared state of the HTTP server and its configuration.
//!
//! Invariants: [`AppState`] is cheap to clone (all `Arc`s) and immutable after construction;
//! `accounts` and `db` are the same database (`accounts` is the trait view used by auth code,
//! `db` is the concrete handle for code that needs SQL, such as record sync). To add state for new
//! routes, add a field here and initialise it in [`AppState::new`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use gridmate_domain::workflow::deadline::DeadlineTable;
use tokio::sync::Semaphore;

use crate::auth::hash_pool::HashPool;
use crate::auth::password;
use crate::auth::{LoginThrottle, ThrottleConfig};
use crate::clock::Clock;
use crate::console::auth::SessionLimits;
use crate::console::tiles::TileConfig;
use crate::limits::ConnectionLimits;
use crate::storage::{AccountStore, SqliteStorage};
use crate::sync::held::HeldLimits;
use crate::sync::limits::WriteBudget;
use crate::sync::store::SyncStore;

/// Default token lifetime: long, because grid workers may stay offline for weeks and must not be
/// locked out of syncing what they collected.
pub const DEFAULT_TOKEN_DAYS: u32 = 90;
/// Default request body limit.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Default number of requests handled at once before answering `overloaded`.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 256;

/// Tunables of the HTTP API.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub token_lifetime: Duration,
    /// Largest request body (that of an authenticated `POST /v1/sync`); caps every other limit.
    pub max_body_bytes: usize,
    /// Requests processed at once; beyond it requests are shed with 429 `overloaded`.
    pub max_in_flight: usize,
    /// Take the client address from `X-Forwarded-For` (set only behind a trusted reverse proxy).
    pub trust_forwarded_for: bool,
    pub throttle: ThrottleConfig,
    /// The deadline table devices work by (`GET /v1/reference`).
    pub deadlines: DeadlineTable,
    /// Timeouts, small-body limits and the per-address connection cap.
    pub connections: ConnectionLimits,
    /// How many changes may wait for their dependencies, and for how long (`sync::held`).
    pub held: HeldLimits,
    /// Each user's write budget (records and bytes pushed per window).
    pub write_budget: WriteBudget,
    /// Console session lifetimes (`console::auth`).
    pub console_sessions: SessionLimits,
    /// Whether the console's session cookie is marked `Secure` (the server speaks TLS).
    pub console_secure_cookie: bool,
    /// The console map's base tiles (`serve --map-tiles`); none: a plain background.
    pub console_tiles: Option<TileConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(u64::from(DEFAULT_TOKEN_DAYS) * 24 * 60 * 60),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            trust_forwarded_for: false,
            throttle: ThrottleConfig::default(),
            deadlines: DeadlineTable::default(),
            connections: ConnectionLimits::default(),
            held: HeldLimits::default(),
            write_budget: WriteBudget::default(),
            console_sessions: SessionLimits::default(),
            console_secure_cookie: false,
            console_tiles: None,
        }
    }
}

/// Everything a handler may need. Extract it with `State<AppState>`.
#[derive(Clone)]
pub struct AppState {
    /// The SQLite database (for SQL access by server code in this crate).
    pub db: Arc<SqliteStorage>,
    /// The account store (same database, trait view).
    pub accounts: Arc<dyn AccountStore>,
    /// Record sync storage (same database by default, trait view).
    pub sync: Arc<dyn SyncStore>,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<ServerConfig>,
    pub throttle: Arc<LoginThrottle>,
    /// Runs argon2 work (19 MiB each) on one long-lived thread per CPU, so a burst of logins
    /// queues instead of exhausting memory, and the memory kept afterwards stays bounded.
    pub hash_pool: Arc<HashPool>,
    /// Bounds requests in flight (the concurrency limit of `routes::router_with`).
    pub in_flight: Arc<Semaphore>,
    /// Sync exchanges whose CPU work (decode, plan, push, pull, encode) runs at once (twice the
    /// cores, at least 4); the others wait their turn. The work is CPU-bound, so more at once
    /// only holds more memory (request bodies, documents, reader connections, allocator heaps of
    /// extra threads) without finishing sooner.
    pub sync_work: Arc<Semaphore>,
}

impl AppState {
    pub fn new(db: Arc<SqliteStorage>, config: ServerConfig, clock: Arc<dyn Clock>) -> Self {
        let accounts: Arc<dyn AccountStore> = db.clone();
        Self::with_accounts(db, accounts, config, clock)
    }

    /// Like [`AppState::new`] with a different account store (tests).
    pub fn with_accounts(
        db: Arc<SqliteStorage>,
        accounts: Arc<dyn AccountStore>,
        config: ServerConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        password::warm_up();
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let sync: Arc<dyn SyncStore> = db.clone();
        Self {
            db,
            accounts,
            sync,
            clock,
            throttle: Arc::new(LoginThrottle::new(config.throttle.clone())),
            hash_pool: Arc::new(HashPool::new(cpus)),
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            sync_work: Arc::new(Semaphore::new((2 * cpus).max(4))),
            config: Arc::new(config),
        }
    }
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db.path())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

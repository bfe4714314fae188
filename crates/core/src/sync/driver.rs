//! The sync driver: runs the engine's exchanges against the transport and the store.
//!
//! `sync_once` pushes everything pending and pulls everything new, in as few exchanges as the
//! batch limits allow (a typical sync is one exchange). Each store step runs on the blocking pool,
//! one transaction each; a failure at any point leaves the store consistent, and the next sync
//! resumes (the server ignores what it already has). Beside the exchanges it fetches the
//! reference data (`GET /v1/reference`) and keeps it; a failed fetch keeps the last copy and
//! never fails the sync.
//!
//! `spawn_sync_loop` is the app's background driver: a sync shortly after local saves (debounced),
//! periodically, and with exponential backoff and jitter while the server cannot be reached, so
//! that the moment a signal returns the next probe succeeds and everything goes up.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, watch};

use super::engine::{
    SyncConfig, SyncStatus, backoff_ms, build_request, first_pull_page, needs_another_round,
    next_pull_page, prefetch,
};
use super::transport::{SyncClient, Traffic, TransportError, WRITE_BUDGET_EXCEEDED};
use crate::store::{Applied, Outgoing, Rejection, Store, StoreError, SyncLogEntry, SyncLogError};
use gridmate_domain::reference::ReferenceData;
use gridmate_domain::wire::SyncResponse;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("this account is not signed in to a server")]
    NotConfigured,
    #[error("sync stopped: {0}")]
    Stuck(String),
    /// What the user typed (a user name) cannot be sent.
    #[error("{}: {}", .0.field, .0.message.en)]
    Invalid(gridmate_domain::FieldError),
}

impl SyncError {
    pub fn code(&self) -> String {
        match self {
            Self::Transport(t) => t.code(),
            Self::Store(s) => s.code().to_owned(),
            Self::NotConfigured => "not_signed_in".into(),
            Self::Stuck(_) => "sync_stuck".into(),
            Self::Invalid(f) => f.code.as_str().into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transport(t) if t.is_retryable())
    }

    /// How long the server asked to wait before trying again (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Transport(t) => t.retry_after(),
            _ => None,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncReport {
    pub pushed: usize,
    pub accepted: usize,
    pub held: usize,
    pub rejected: Vec<Rejection>,
    pub pulled_records: usize,
    pub pulled_changes: usize,
    pub dropped_out_of_scope: usize,
    /// Records assigned to the user outside the scope that were reassigned, removed.
    pub revoked: usize,
    pub exchanges: usize,
    pub bytes_sent: usize,
    pub bytes_received: usize,
    pub server_time_ms: i64,
}

/// A store shared between the app's commands and the background driver.
pub type SharedStore = Arc<Mutex<Store>>;

/// Runs `f` on the store, on the blocking pool.
pub(crate) async fn with_store<T: Send + 'static>(
    store: &SharedStore,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, SyncError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut s = store.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut s)
    })
    .await
    .map_err(|e| SyncError::Stuck(e.to_string()))?
    .map_err(SyncError::from)
}

/// The client for the store's server binding.
pub async fn client_for(store: &SharedStore) -> Result<SyncClient, SyncError> {
    let binding = with_store(store, |s| s.server_binding())
        .await?
        .ok_or(SyncError::NotConfigured)?;
    Ok(SyncClient::with_ca(
        &binding.server_url,
        binding.allow_insecure,
        binding.ca_cert.as_deref(),
        Some(binding.token),
    )?)
}

/// Exchanges of one sync between two upkeep steps (a long cold pull's pages).
const UPKEEP_EVERY_ROUNDS: usize = 8;

/// The store's upkeep after a sync: a bounded search-index merge and a passive WAL checkpoint
/// (`Store::maintain`). Callers run it once the sync's result is out.
pub async fn upkeep(store: &SharedStore) -> Result<(), SyncError> {
    with_store(store, |s| s.maintain()).await
}

/// One complete sync: push all pending, pull all new, and refresh the reference data.
pub async fn sync_once(
    store: &SharedStore,
    client: &SyncClient,
    cfg: &SyncConfig,
    progress: &(dyn Fn(SyncStatus) + Send + Sync),
) -> Result<SyncReport, SyncError> {
    // The reference data is fetched beside the exchanges (its own request, started first), so
    // it adds no round trip to the sync.
    let fetch = tokio::spawn({
        let client = client.clone();
        async move { client.reference().await }
    });
    let outcome = sync_records(store, client, cfg, progress).await;
    keep_reference(store, fetch).await;
    if outcome.is_ok() {
        super::session::rotate_if_due(store, client).await;
    }
    outcome
}

/// Stores freshly fetched reference data. A failed fetch changes nothing: the app keeps the last
/// copy (names and colleagues change rarely), and the records' sync, its own outcome, stands.
async fn keep_reference(
    store: &SharedStore,
    fetch: tokio::task::JoinHandle<Result<ReferenceData, TransportError>>,
) {
    match fetch.await {
        Ok(Ok(data)) => {
            if let Err(e) = with_store(store, move |s| s.set_reference_data(&data)).await {
                tracing::warn!(code = e.code(), "could not keep the reference data");
            }
        }
        Ok(Err(e)) => tracing::info!(code = e.code(), "reference data not fetched"),
        Err(e) => tracing::warn!(error = %e, "reference data fetch stopped"),
    }
}

/// Push all pending, pull all new.
async fn sync_records(
    store: &SharedStore,
    client: &SyncClient,
    cfg: &SyncConfig,
    progress: &(dyn Fn(SyncStatus) + Send + Sync),
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    let total = with_store(store, |s| s.counts().map(|c| c.pending)).await?;
    let mut held_before: Vec<[u8; 16]> = Vec::new();
    // The next page of a long pull, fetched while the current one was stored (`prefetch`).
    let mut prefetched: Option<(SyncResponse, Traffic)> = None;
    let mut pull_page = first_pull_page(cfg);
    // Set once the server refuses this sync's pushes (the user's write budget): the rest of the
    // sync only pulls, and the sync ends with that refusal.
    let mut push_refused: Option<TransportError> = None;
    for round in 1..=cfg.max_rounds {
        let (outgoing, cut_by_bytes, resp, traffic) = match prefetched.take() {
            Some((resp, traffic)) => (Vec::new(), false, resp, traffic),
            None => exchange(store, client, cfg, pull_page, &mut push_refused).await?,
        };
        report.exchanges += 1;
        report.bytes_sent += traffic.sent;
        report.bytes_received += traffic.received;
        report.server_time_ms = resp.server_time_ms;
        report.pushed += outgoing.len();
        let sent = outgoing.len();
        // A batch cut by the byte cap leaves pending records behind, however few it holds.
        let again = needs_another_round(sent, cfg, &resp) || cut_by_bytes;
        // A record held twice in one sync cannot be completed by resending: stop, report.
        let held_now: Vec<[u8; 16]> = resp
            .results
            .iter()
            .filter(|r| r.outcome.wants_whole_history())
            .map(|r| r.record_id)
            .collect();
        if held_now.iter().any(|h| held_before.contains(h)) {
            return Err(SyncError::Stuck(
                "the server keeps holding a record whose history it lacks".into(),
            ));
        }
        held_before.extend(held_now);
        pull_page = next_pull_page(pull_page, cfg);
        let next = prefetch(sent, cut_by_bytes, &resp, pull_page);
        let apply = with_store(store, move |s| {
            let mut a = Applied::default();
            s.apply_push_results(&outgoing, &resp.results, &mut a)?;
            if let Some(page) = &resp.pull {
                s.apply_pull(page, &mut a)?;
            }
            Ok(a)
        });
        let applied = match next {
            Some(req) => {
                let (applied, fetched) = tokio::join!(apply, client.sync(&req));
                let applied = applied?;
                // A lost prefetch fails the sync like any lost exchange, after this page is
                // stored: the next sync asks again from the positions stored with it.
                prefetched = Some(fetched?);
                applied
            }
            None => apply.await?,
        };
        report.accepted += applied.accepted;
        report.held += applied.held;
        report.rejected.extend(applied.rejected);
        report.pulled_records += applied.pulled_records;
        report.pulled_changes += applied.pulled_changes;
        report.dropped_out_of_scope += applied.dropped_out_of_scope;
        report.revoked += applied.revoked;
        // Upkeep (search-index merge, WAL checkpoint) waits until the sync is over (`upkeep`),
        // off the path the user waits on; only a long pull does a step every few pages.
        if round % UPKEEP_EVERY_ROUNDS == 0 {
            with_store(store, |s| s.maintain()).await?;
        }
        progress(SyncStatus::Syncing {
            done: report.pushed as u64,
            total: total.max(report.pushed as u64),
            pulled: report.pulled_records as u64,
        });
        if !again {
            return match push_refused {
                Some(e) => Err(e.into()),
                None => Ok(report),
            };
        }
    }
    Err(SyncError::Stuck(format!(
        "more than {} exchanges in one sync",
        cfg.max_rounds
    )))
}

/// One exchange: pushes the next batch (unless the server refused this sync's pushes) and pulls
/// the next page. A push refused for the user's write budget keeps the batch pending (nothing of
/// it was applied) and is made again pull-only, so a worker over budget still receives their
/// assignments; `push_refused` then holds the refusal.
async fn exchange(
    store: &SharedStore,
    client: &SyncClient,
    cfg: &SyncConfig,
    pull_page: u32,
    push_refused: &mut Option<TransportError>,
) -> Result<(Vec<Outgoing>, bool, SyncResponse, Traffic), SyncError> {
    let c = *cfg;
    let pushing = push_refused.is_none();
    let (batch, positions) = with_store(store, move |s| {
        let batch = if pushing {
            s.collect_outgoing_batch(c.max_push_records, c.max_push_bytes)?
        } else {
            (Vec::new(), false)
        };
        Ok((batch, s.sync_positions()?))
    })
    .await?;
    let (outgoing, cut_by_bytes) = batch;
    let req = build_request(&outgoing, positions.clone(), pull_page);
    match client.sync(&req).await {
        Ok((resp, traffic)) => Ok((outgoing, cut_by_bytes, resp, traffic)),
        Err(e) if e.code() == WRITE_BUDGET_EXCEEDED && !outgoing.is_empty() => {
            let (resp, traffic) = client
                .sync(&build_request(&[], positions, pull_page))
                .await?;
            *push_refused = Some(e);
            Ok((Vec::new(), false, resp, traffic))
        }
        Err(e) => Err(e.into()),
    }
}

/// The sync log's entry for one sync's outcome.
pub fn log_entry(outcome: &Result<SyncReport, SyncError>) -> SyncLogEntry {
    let at = gridmate_domain::Timestamp::now();
    match outcome {
        Ok(r) => SyncLogEntry {
            at,
            ok: true,
            pushed: r.pushed as u64,
            pulled: r.pulled_records as u64,
            rejected: r.rejected.len() as u64,
            error: None,
        },
        Err(e) => SyncLogEntry {
            at,
            ok: false,
            pushed: 0,
            pulled: 0,
            rejected: 0,
            error: Some(SyncLogError {
                code: e.code(),
                message: e.message(),
            }),
        },
    }
}

/// What follows every sync, whoever ran it (the background driver, `gridmate sync`): its entry
/// in the sync log, then the upkeep the sync left for after its result. Failures here are not the
/// sync's: they are logged and the sync's own outcome stands.
pub async fn finish(store: &SharedStore, outcome: &Result<SyncReport, SyncError>) {
    let entry = log_entry(outcome);
    if let Err(e) = with_store(store, move |s| s.log_sync(&entry)).await {
        tracing::warn!(code = e.code(), "could not write the sync log");
    }
    if let Err(e) = upkeep(store).await {
        tracing::warn!(code = e.code(), "store upkeep after a sync failed");
    }
}

/// The status to show before the driver's first sync: a bound account syncs at once.
fn initial_status(store: &SharedStore) -> SyncStatus {
    let bound = store
        .lock()
        .map(|s| matches!(s.server_binding(), Ok(Some(_))))
        .unwrap_or(false);
    if bound {
        SyncStatus::Syncing {
            done: 0,
            total: 0,
            pulled: 0,
        }
    } else {
        SyncStatus::NotConfigured
    }
}

/// The app's handle on the background driver.
#[derive(Debug, Clone)]
pub struct SyncHandle {
    trigger: mpsc::Sender<Trigger>,
    pub status: watch::Receiver<SyncStatus>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    /// A local save: sync soon (debounced).
    Saved,
    /// The user asked (pull-to-refresh): sync now.
    Now,
}

impl SyncHandle {
    /// Call after every local save.
    pub fn saved(&self) {
        let _ = self.trigger.try_send(Trigger::Saved);
    }

    /// Call for pull-to-refresh and "sync now".
    pub fn sync_now(&self) {
        let _ = self.trigger.try_send(Trigger::Now);
    }
}

/// Timings of the background driver.
#[derive(Debug, Clone, Copy)]
pub struct LoopTimings {
    pub debounce: Duration,
    pub periodic: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for LoopTimings {
    fn default() -> Self {
        Self {
            debounce: Duration::from_secs(2),
            periodic: Duration::from_secs(120),
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(300),
        }
    }
}

/// Starts the background driver on the current tokio runtime.
pub fn spawn_sync_loop(store: SharedStore, cfg: SyncConfig, t: LoopTimings) -> SyncHandle {
    let (tx, mut rx) = mpsc::channel(64);
    let (status_tx, status_rx) = watch::channel(initial_status(&store));
    tokio::spawn(async move {
        let mut attempt: u32 = 0;
        let mut wait = Duration::ZERO; // sync once at start
        let mut last_success: Option<i64> = None;
        loop {
            match tokio::time::timeout(wait, rx.recv()).await {
                Ok(None) => return, // every handle dropped: the app is closing
                Ok(Some(Trigger::Saved)) => {
                    // Debounce: a burst of saves (a form with photos, an import) is one sync.
                    tokio::time::sleep(t.debounce).await;
                    while rx.try_recv().is_ok() {}
                }
                Ok(Some(Trigger::Now)) => attempt = 0,
                Err(_) => {} // the timer: periodic sync or the next backoff probe
            }
            let pending = with_store(&store, |s| s.counts().map(|c| c.pending))
                .await
                .unwrap_or(0);
            let client = match client_for(&store).await {
                Ok(c) => c,
                Err(_) => {
                    let _ = status_tx.send(SyncStatus::NotConfigured);
                    wait = t.periodic;
                    continue;
                }
            };
            let st = status_tx.clone();
            let progress = move |s: SyncStatus| {
                let _ = st.send(s);
            };
            let outcome = sync_once(&store, &client, &cfg, &progress).await;
            finish(&store, &outcome).await;
            match outcome {
                Ok(report) => {
                    attempt = 0;
                    last_success = Some(report.server_time_ms);
                    let _ = status_tx.send(SyncStatus::UpToDate {
                        at_ms: report.server_time_ms,
                        rejected: report.rejected.len() as u64,
                    });
                    wait = t.periodic;
                }
                Err(e) if e.is_retryable() => {
                    // Never sooner than the server asked (`Retry-After`: overload, the budget).
                    let asked = e.retry_after().map_or(0, |d| d.as_millis() as u64);
                    let ms = backoff_ms(
                        attempt,
                        t.backoff_base.as_millis() as u64,
                        t.backoff_cap.as_millis() as u64,
                        rand::random(),
                    )
                    .max(asked);
                    attempt = attempt.saturating_add(1);
                    let status = if matches!(e, SyncError::Transport(TransportError::Network(_))) {
                        SyncStatus::Offline {
                            pending,
                            last_success_ms: last_success,
                        }
                    } else {
                        SyncStatus::Error {
                            code: e.code(),
                            message: e.message(),
                            pending,
                            retry_in_ms: Some(ms),
                        }
                    };
                    let _ = status_tx.send(status);
                    wait = Duration::from_millis(ms);
                }
                Err(e) => {
                    // Needs the user (signed out, revoked, a bad address): wait for them.
                    let _ = status_tx.send(SyncStatus::Error {
                        code: e.code(),
                        message: e.message(),
                        pending,
                        retry_in_ms: None,
                    });
                    wait = t.periodic;
                }
            }
        }
    });
    SyncHandle {
        trigger: tx,
        status: status_rx,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::store::ServerBinding;

    fn store_in(dir: &std::path::Path, bound: bool) -> SharedStore {
        let mut s = Store::open(&dir.join("gridmate.db"), "wang.wei").unwrap();
        if bound {
            s.bind_server(&ServerBinding {
                // nothing listens on port 9 (discard): the first sync fails as offline
                server_url: "http://127.0.0.1:9".into(),
                user: "wang.wei".into(),
                token: "t".into(),
                allow_insecure: false,
                role: "grid_worker".into(),
                legal_role: None,
                display_name: None,
                scope: vec!["jingkou-zhengdonglu-03".into()],
                unit: None,
                token_issued_at: None,
                ca_cert: None,
            })
            .unwrap();
        }
        Arc::new(Mutex::new(s))
    }

    #[tokio::test]
    async fn a_signed_in_account_shows_its_first_sync_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let h = spawn_sync_loop(
            store_in(dir.path(), true),
            SyncConfig::default(),
            LoopTimings::default(),
        );
        assert!(matches!(*h.status.borrow(), SyncStatus::Syncing { .. }));
        let dir = tempfile::tempdir().unwrap();
        let h = spawn_sync_loop(
            store_in(dir.path(), false),
            SyncConfig::default(),
            LoopTimings::default(),
        );
        assert_eq!(*h.status.borrow(), SyncStatus::NotConfigured);
    }

    #[tokio::test]
    async fn a_failed_sync_is_logged_in_both_languages() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path(), true);
        let client = client_for(&store).await.unwrap();
        let outcome = sync_once(&store, &client, &SyncConfig::default(), &|_| {}).await;
        assert!(outcome.is_err());
        finish(&store, &outcome).await;
        let log = store.lock().unwrap().sync_log(5).unwrap();
        let e = log[0].error.as_ref().unwrap();
        assert_eq!(e.code, "offline");
        assert!(e.message.zh_cn.contains("无法连接服务器"), "{e:?}");
        assert!(e.message.en.contains("cannot reach the server"), "{e:?}");
    }

    #[tokio::test]
    async fn a_failed_reference_fetch_keeps_the_last_copy() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path(), true);
        let data = |unit: &str| ReferenceData {
            areas: vec![],
            units: vec![gridmate_domain::reference::Unit {
                id: "jingkou-zhengdonglu-sfs".into(),
                name: unit.into(),
            }],
            colleagues: vec![],
            deadlines: gridmate_domain::workflow::deadline::DeadlineTable::default(),
        };
        let first = data("司法所");
        let fetched = first.clone();
        keep_reference(&store, tokio::spawn(async move { Ok(fetched) })).await;
        let failed = tokio::spawn(async { Err(TransportError::Network("offline".into())) });
        keep_reference(&store, failed).await;
        let kept = store.lock().unwrap().reference_data().unwrap();
        assert_eq!(kept, Some(first));
        let renamed = data("正东路司法所");
        let fetched = renamed.clone();
        keep_reference(&store, tokio::spawn(async move { Ok(fetched) })).await;
        assert_eq!(
            store.lock().unwrap().reference_data().unwrap(),
            Some(renamed)
        );
    }
}

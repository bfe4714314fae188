//! The sync engine's decisions, as pure functions: what one request carries, whether to go on,
//! how long to wait after a failure, and what status to show. No IO, no clock, no randomness of
//! its own (the caller passes them in), so every decision is unit-tested.

use gridmate_domain::wire::{PROTOCOL_VERSION, Position, PullRequest, SyncRequest, SyncResponse};
use serde::Serialize;

use crate::store::Outgoing;

/// Tunables of one sync.
#[derive(Debug, Clone, Copy)]
pub struct SyncConfig {
    /// Records per push request: 250 changed records are one request.
    pub max_push_records: usize,
    /// Raw change bytes per push request (before compression).
    pub max_push_bytes: usize,
    /// Changes per pull page.
    pub pull_page: u32,
    /// Changes in a sync's first pull page; each exchange doubles the next, up to `pull_page`.
    /// A small first page lets a new device start storing at once while the next, larger page
    /// is fetched (`prefetch`): storing a page takes about twice as long as fetching it, so
    /// doubling keeps the network hidden behind the device's work.
    pub first_pull_page: u32,
    /// Requests in one sync before it stops and reports (a runaway guard, far above real need).
    pub max_rounds: usize,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            max_push_records: 500,
            max_push_bytes: 4 << 20,
            pull_page: 5_000,
            first_pull_page: 500,
            max_rounds: 10_000,
        }
    }
}

/// One exchange: everything collected for the push, and a pull of up to `pull_page` changes from
/// the stored positions.
pub fn build_request(
    outgoing: &[Outgoing],
    positions: Vec<Position>,
    pull_page: u32,
) -> SyncRequest {
    SyncRequest {
        protocol: PROTOCOL_VERSION,
        push: outgoing.iter().map(|o| o.doc.clone()).collect(),
        pull: Some(PullRequest {
            positions,
            max_changes: pull_page,
        }),
    }
}

/// The size of a sync's first pull page.
pub fn first_pull_page(cfg: &SyncConfig) -> u32 {
    cfg.first_pull_page.clamp(1, cfg.pull_page.max(1))
}

/// The size of the page after one of `current` changes: twice as large, up to `pull_page`.
pub fn next_pull_page(current: u32, cfg: &SyncConfig) -> u32 {
    current.saturating_mul(2).clamp(1, cfg.pull_page.max(1))
}

/// Whether another exchange is needed: the push batch was full (more may be pending), records were
/// held (they go again with their whole history), or the pull page said there is more.
pub fn needs_another_round(sent: usize, cfg: &SyncConfig, resp: &SyncResponse) -> bool {
    let held = resp.results.iter().any(|r| r.outcome.wants_whole_history());
    let more = resp.pull.as_ref().is_some_and(|p| p.more);
    sent >= cfg.max_push_records || held || more
}

/// The next exchange, when it can be sent before this one's page is stored: this exchange pushed
/// nothing (so the next pushes nothing either, unless a record is saved meanwhile, which the
/// sync after local saves picks up) and its page says `more`. It pulls from the page's positions,
/// which are exactly what storing the page records. Fetching it while the page is stored
/// overlaps the network with the device's work on a long pull (a new device). A pull changes
/// nothing on the server, so a prefetched page that is never used (the page before it failed to
/// store) costs only its bytes.
pub fn prefetch(
    sent: usize,
    cut_by_bytes: bool,
    resp: &SyncResponse,
    pull_page: u32,
) -> Option<SyncRequest> {
    let page = resp.pull.as_ref()?;
    (sent == 0 && !cut_by_bytes && resp.results.is_empty() && page.more)
        .then(|| build_request(&[], page.positions.clone(), pull_page))
}

/// Exponential backoff with full jitter: attempt 0 waits up to `base`, then doubling, capped.
/// `unit` is a uniform random number in [0, 1) from the caller.
pub fn backoff_ms(attempt: u32, base_ms: u64, cap_ms: u64, unit: f64) -> u64 {
    let ceiling = base_ms.saturating_mul(1u64 << attempt.min(20)).min(cap_ms);
    // Full jitter spreads a thousand phones that lost the network together; never 0 (busy loop).
    ((ceiling as f64) * unit.clamp(0.0, 1.0)).max(base_ms as f64 / 2.0) as u64
}

/// What the app shows about sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncStatus {
    /// Never signed in: nothing to sync with.
    NotConfigured,
    /// The server cannot be reached; `pending` records wait on the device.
    Offline {
        pending: u64,
        last_success_ms: Option<i64>,
    },
    /// A sync is running: `done` of `total` records pushed so far, `pulled` received.
    Syncing { done: u64, total: u64, pulled: u64 },
    /// Everything is on the server as of `at_ms`.
    UpToDate { at_ms: i64, rejected: u64 },
    /// The last sync failed for a reason the user may need to act on.
    Error {
        code: String,
        message: gridmate_domain::Localized,
        pending: u64,
        retry_in_ms: Option<u64>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridmate_domain::wire::{PullPage, PushOutcome, PushResult};

    fn resp(outcomes: Vec<PushOutcome>, more: bool) -> SyncResponse {
        SyncResponse {
            protocol: PROTOCOL_VERSION,
            server_time_ms: 0,
            results: outcomes
                .into_iter()
                .map(|o| PushResult {
                    record_id: [0; 16],
                    outcome: o,
                })
                .collect(),
            pull: Some(PullPage {
                docs: vec![],
                positions: vec![],
                more,
                scope: vec![],
                revoked: vec![],
                authors: vec![],
            }),
        }
    }

    #[test]
    fn rounds() {
        let cfg = SyncConfig {
            max_push_records: 2,
            ..Default::default()
        };
        let ok = PushOutcome::Accepted { heads: vec![] };
        assert!(!needs_another_round(
            1,
            &cfg,
            &resp(vec![ok.clone()], false)
        ));
        assert!(
            needs_another_round(2, &cfg, &resp(vec![ok.clone(), ok.clone()], false)),
            "a full batch"
        );
        assert!(
            needs_another_round(0, &cfg, &resp(vec![], true)),
            "more to pull"
        );
        assert!(needs_another_round(
            1,
            &cfg,
            &resp(vec![PushOutcome::Held { missing: vec![] }], false)
        ));
        let refused = |code: &str| PushOutcome::Rejected {
            code: code.into(),
            field: "changes".into(),
            message_zh: String::new(),
            message_en: String::new(),
        };
        assert!(
            needs_another_round(1, &cfg, &resp(vec![refused("held_quota_exceeded")], false)),
            "the server holds no more: the whole history goes next"
        );
        assert!(!needs_another_round(
            1,
            &cfg,
            &resp(vec![refused("out_of_scope")], false)
        ));
    }

    #[test]
    fn only_a_pull_only_exchange_with_more_to_come_is_prefetched() {
        let mut more = resp(vec![], true);
        more.pull.as_mut().unwrap().positions = vec![Position {
            area: "jingkou".into(),
            seq: 42,
        }];
        let next = prefetch(0, false, &more, 1_000).unwrap();
        assert!(next.push.is_empty());
        let pull = next.pull.unwrap();
        assert_eq!(pull.positions, more.pull.unwrap().positions);
        assert_eq!(pull.max_changes, 1_000);
        assert!(
            prefetch(0, false, &resp(vec![], false), 9).is_none(),
            "the last page"
        );
        let ok = PushOutcome::Accepted { heads: vec![] };
        assert!(
            prefetch(1, false, &resp(vec![ok], true), 9).is_none(),
            "it pushed"
        );
        assert!(
            prefetch(0, true, &resp(vec![], true), 9).is_none(),
            "a push was cut"
        );
        let mut no_pull = resp(vec![], true);
        no_pull.pull = None;
        assert!(prefetch(0, false, &no_pull, 9).is_none());
    }

    #[test]
    fn pull_pages_start_small_and_double_up_to_the_limit() {
        let cfg = SyncConfig::default();
        let mut page = first_pull_page(&cfg);
        let mut sizes = vec![page];
        for _ in 0..5 {
            page = next_pull_page(page, &cfg);
            sizes.push(page);
        }
        assert_eq!(sizes, [500, 1_000, 2_000, 4_000, 5_000, 5_000]);
        let tiny = SyncConfig {
            pull_page: 10,
            ..cfg
        };
        assert_eq!(first_pull_page(&tiny), 10);
        let odd = SyncConfig {
            pull_page: 0,
            first_pull_page: 0,
            ..cfg
        };
        assert_eq!((first_pull_page(&odd), next_pull_page(0, &odd)), (1, 1));
    }

    #[test]
    fn backoff_grows_caps_and_never_hits_zero() {
        assert_eq!(backoff_ms(0, 1000, 300_000, 1.0), 1000);
        assert_eq!(backoff_ms(3, 1000, 300_000, 1.0), 8000);
        assert_eq!(backoff_ms(30, 1000, 300_000, 1.0), 300_000);
        assert_eq!(backoff_ms(5, 1000, 300_000, 0.0), 500);
        let a = backoff_ms(4, 1000, 300_000, 0.25);
        assert!((500..=16_000).contains(&a));
    }

    #[test]
    fn statuses_serialise_for_the_ui() {
        let s = serde_json::to_value(SyncStatus::Syncing {
            done: 3,
            total: 10,
            pulled: 0,
        })
        .unwrap();
        assert_eq!(s["state"], "syncing");
        assert_eq!(s["total"], 10);
    }
}

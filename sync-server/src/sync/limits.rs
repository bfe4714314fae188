//! What one user may make the server store: each record's history is bounded
//! (`gridmate_domain::document::limits`, the same bound the device checks before saving), and
//! each user's writes per window (records and bytes, [`WriteBudget`]).
//!
//! The budget is counted from the server's own log (`sync_changes` and `sync_held`, by
//! `pushed_by` and `received_at`, indexed since migration 6), so it survives restarts and holds
//! across several server instances on one database. Each logged or held change is one record
//! written (a new record, or one saved edit). Only exchanges that push are counted and refused: a
//! worker over budget still pulls (their assignments keep arriving).
//!
//! Invariants: a check changes nothing; an exchange over budget is refused whole (HTTP 429 with
//! the seconds until enough of the window frees), before any of it is applied. An exchange larger
//! than the whole budget goes through on an empty window, so no device can be locked out for good.

use std::time::Duration;

use automerge::{AutoCommit, Change};
use gridmate_domain::Timestamp;
use gridmate_domain::document::limits::{HistoryLimits, HistorySize, ops_of};
use gridmate_domain::wire::{PushDoc, PushOutcome};
use rusqlite::{Connection, params};

use super::refusal;
use crate::storage::StorageError;

/// Default records (changes) one user may push per window.
pub const DEFAULT_BUDGET_RECORDS: u64 = 2_000;
/// Default bytes of changes one user may push per window.
pub const DEFAULT_BUDGET_BYTES: u64 = 64 * 1024 * 1024;
/// Default window of the budget.
pub const DEFAULT_BUDGET_WINDOW_SECS: u64 = 3_600;

/// A user's write budget: at most `records` changes and `bytes` of them per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteBudget {
    pub records: u64,
    pub bytes: u64,
    pub window: Duration,
}

impl Default for WriteBudget {
    fn default() -> Self {
        Self {
            records: DEFAULT_BUDGET_RECORDS,
            bytes: DEFAULT_BUDGET_BYTES,
            window: Duration::from_secs(DEFAULT_BUDGET_WINDOW_SECS),
        }
    }
}

/// Records and bytes written (or about to be).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub records: u64,
    pub bytes: u64,
}

impl Usage {
    /// What a push carries: each chunk one record written, its bytes as sent.
    pub fn of_push(push: &[PushDoc]) -> Self {
        let chunks = push.iter().flat_map(|d| &d.changes);
        chunks.fold(Self::default(), |u, c| Self {
            records: u.records + 1,
            bytes: u.bytes + c.0.len() as u64,
        })
    }
}

/// The user's pushes inside the window: (received_at ms, bytes), logged or held.
const WINDOW_ROWS: &str = "SELECT received_at AS at, length(bytes) AS n FROM sync_changes
      WHERE pushed_by = ?1 AND received_at > ?2
     UNION ALL
     SELECT received_at, length(bytes) FROM sync_held
      WHERE pushed_by = ?1 AND received_at > ?2";

/// `None` if `user_id` may push `incoming` now; else the seconds (at least 1) until enough of
/// their window has passed for it to fit.
pub fn budget_wait(
    conn: &Connection,
    user_id: i64,
    budget: &WriteBudget,
    incoming: Usage,
    now: Timestamp,
) -> Result<Option<u64>, StorageError> {
    let window_ms = i64::try_from(budget.window.as_millis()).unwrap_or(i64::MAX);
    let since = now.millis().saturating_sub(window_ms);
    let used: (i64, i64) = conn
        .prepare_cached(&format!(
            "SELECT count(*), coalesce(sum(n), 0) FROM ({WINDOW_ROWS})"
        ))?
        .query_row(params![user_id, since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let used = Usage {
        records: used.0.unsigned_abs(),
        bytes: used.1.unsigned_abs(),
    };
    let fits = |u: Usage| {
        u.records.saturating_add(incoming.records) <= budget.records
            && u.bytes.saturating_add(incoming.bytes) <= budget.bytes
    };
    if used.records == 0 || fits(used) {
        return Ok(None);
    }
    // Walk the window from its oldest entry: once the entries up to `at` have left it, the
    // rest plus what is coming fits (or the window is empty).
    let mut left = used;
    let mut stmt = conn.prepare_cached(&format!("{WINDOW_ROWS} ORDER BY at"))?;
    let mut rows = stmt.query(params![user_id, since])?;
    let mut frees_at = now.millis();
    while let Some(row) = rows.next()? {
        let (at, n): (i64, i64) = (row.get(0)?, row.get(1)?);
        left.records = left.records.saturating_sub(1);
        left.bytes = left.bytes.saturating_sub(n.unsigned_abs());
        frees_at = at.saturating_add(window_ms);
        if left.records == 0 || fits(left) {
            break;
        }
    }
    let wait_ms = frees_at.saturating_sub(now.millis()).max(1);
    Ok(Some(wait_ms.unsigned_abs().div_ceil(1000).max(1)))
}

/// The bytes of the changes logged for the record at `rowid` (its whole history on the server).
pub(super) fn stored_bytes(conn: &Connection, rowid: i64) -> Result<u64, StorageError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(length(bytes)), 0) FROM sync_changes WHERE record_rowid = ?1",
        )?
        .query_row([rowid], |r| r.get(0))?;
    Ok(n.unsigned_abs())
}

/// The stored part of a record's history: `doc` as stored (before the push is applied) and the
/// bytes its logged changes take.
pub(super) fn stored_size(doc: &mut AutoCommit, bytes: u64) -> HistorySize {
    HistorySize {
        bytes,
        ops: ops_of(doc),
    }
}

/// The refusal of a push whose new changes would take the record's history past the bound.
pub(super) fn history_refusal(stored: HistorySize, fresh: &[Change]) -> Option<PushOutcome> {
    let total = stored.plus(HistorySize::of_changes(fresh));
    HistoryLimits::default()
        .check(total)
        .err()
        .map(|e| refusal::rule(&e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::sync::held::HeldLimits;
    use automerge::AutoCommit;
    use gridmate_domain::GridId;
    use gridmate_domain::document::write_changes;
    use gridmate_domain::fixtures::{self, Rng};

    use super::*;
    use crate::storage::SqliteStorage;
    use crate::sync::store::SyncStore;
    use crate::sync::test_support::{GRID, grid_worker};

    fn new_record(rng: &mut Rng, at: Timestamp) -> PushDoc {
        let rec = fixtures::record(rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
        let mut doc = AutoCommit::new();
        write_changes(&mut doc, None, &rec).unwrap();
        PushDoc {
            record_id: *rec.meta.id.as_uuid().as_bytes(),
            changes: vec![gridmate_domain::wire::Change(doc.save_nocompress())],
        }
    }

    /// Three records logged at t, t+1 s and t+2 s against a budget of three per 10 s: the wait
    /// is until the oldest ones that must leave have left, counted from the log, to the second.
    #[test]
    fn the_wait_is_until_enough_of_the_window_frees() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        let who = grid_worker();
        let t = Timestamp::now().plus_millis(-60_000);
        let mut rng = Rng::new(3);
        for s in 0..3 {
            let at = t.plus_millis(s * 1000);
            let batch = db
                .push(
                    &who,
                    vec![new_record(&mut rng, at)],
                    (&HeldLimits::default(), at),
                )
                .unwrap();
            assert_eq!(batch.logged.len(), 1);
        }
        let budget = WriteBudget {
            records: 3,
            bytes: 1 << 30,
            window: Duration::from_secs(10),
        };
        let one = Usage {
            records: 1,
            bytes: 10,
        };
        let wait = |incoming: Usage, now_ms: i64| {
            db.read(|c| budget_wait(c, 1, &budget, incoming, t.plus_millis(now_ms)))
                .unwrap()
        };
        // At t+2.5 s one more must wait for the first (logged at t) to leave at t+10 s.
        assert_eq!(wait(one, 2_500), Some(8));
        // Two more wait for the second, at t+11 s.
        let two = Usage {
            records: 2,
            bytes: 20,
        };
        assert_eq!(wait(two, 2_500), Some(9));
        // Pulls carry nothing; another user has their own budget; past the window it fits.
        assert_eq!(wait(Usage::default(), 2_500), None);
        assert_eq!(
            db.read(|c| budget_wait(c, 2, &budget, one, t.plus_millis(2_500)))
                .unwrap(),
            None
        );
        assert_eq!(wait(one, 10_000), None);
        // Larger than the whole budget: waits for an empty window, then goes through.
        let huge = Usage {
            records: 5,
            bytes: 10,
        };
        assert_eq!(wait(huge, 2_500), Some(10));
        assert_eq!(wait(huge, 12_001), None);
        // By bytes alone.
        let tight = WriteBudget { bytes: 1, ..budget };
        let by_bytes = db
            .read(|c| budget_wait(c, 1, &tight, one, t.plus_millis(2_500)))
            .unwrap();
        assert_eq!(by_bytes, Some(10));
    }
}

//! The console indexer: brings the console index (`console_records`, `console_fts`) up to the
//! change log, off the push path. A push's transaction logs changes and stores records (heads,
//! projection, assignment) only; the index rows of the records it changed are written after it,
//! from each record's stored projection, in batches of their own.
//!
//! `console_watermark` holds the seq of the last logged change (`sync_changes.seq`) whose record
//! has been indexed. SQLite has one writer and seqs are assigned in commit order, so every change
//! above the watermark is one the index has not seen, and none below it is missing.
//!
//! Invariants:
//! - Every record with a change at or below the watermark has the index row of its state as of
//!   that change or later: a row is a pure function of the record's current state
//!   (`index::Entry::of`), so indexing a record again when a later change reaches it is harmless.
//! - A batch indexes at most [`BATCH`] changes' records and moves the watermark in the same
//!   IMMEDIATE transaction: an interrupted catch-up resumes where it stopped.
//! - Every console read of the index goes through [`SqliteStorage::read_index`], which first
//!   indexes every change committed before the read began: the console never shows less than
//!   what a device was told is stored. The background task [`run`] keeps the gap short, so a
//!   read rarely has anything to do, and waits for a burst of pushes to pause (at most
//!   [`MAX_LAG`]) so that it does not compete with the burst for the writer.
//! - A record that cannot be read is logged and skipped, never blocking the records after it;
//!   its next change indexes it again.
//! - The change log is append-only: whatever rewrites a stored record without logging a change
//!   (an erasure of personal data, say) must index the record in its own transaction.

use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::index::{Entry, current_record, flush_fts, index_record, stored_deadlines};
use crate::storage::{SqliteStorage, StorageError};

/// Changes whose records are indexed per transaction: a few tens of milliseconds of writer time.
pub const BATCH: i64 = 500;
/// How often the background task looks at the change log.
pub const POLL: Duration = Duration::from_millis(100);
/// How long the background task lets changes wait while pushes keep arriving.
pub const MAX_LAG: Duration = Duration::from_secs(1);

/// The watermark, starting at the last change of a database indexed by its pushes before the
/// indexer existed (every push wrote its records' rows in its own transaction until then).
pub const WATERMARK_MIGRATION: &str = r#"
CREATE TABLE console_watermark (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL
) STRICT;
INSERT INTO console_watermark (id, seq) SELECT 1, coalesce(max(seq), 0) FROM sync_changes;
"#;

/// The watermark and the last logged change, as `conn` reads them.
pub fn position(conn: &Connection) -> Result<(i64, i64), StorageError> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT seq FROM console_watermark WHERE id = 1),
                    (SELECT coalesce(max(seq), 0) FROM sync_changes)",
        )?
        .query_row([], |r| {
            Ok((r.get::<_, Option<i64>>(0)?.unwrap_or(0), r.get(1)?))
        })?)
}

/// Indexes the records of the changes after the watermark, up to seq `upto` and at most
/// [`BATCH`] of them, in one transaction; returns the new watermark (`None` when there was
/// nothing to do).
pub fn index_batch(conn: &mut Connection, upto: i64) -> Result<Option<i64>, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (from, _) = position(&tx)?;
    let changes: Vec<(i64, i64)> = tx
        .prepare_cached(
            "SELECT seq, record_rowid FROM sync_changes WHERE seq > ?1 AND seq <= ?2
             ORDER BY seq LIMIT ?3",
        )?
        .query_map(params![from, upto, BATCH], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let Some(&(to, _)) = changes.last() else {
        return Ok(None);
    };
    let mut rowids: Vec<i64> = changes.into_iter().map(|(_, rowid)| rowid).collect();
    rowids.sort_unstable();
    rowids.dedup();
    let deadlines = stored_deadlines(&tx)?;
    for rowid in rowids {
        let stored: Option<(Vec<u8>, Option<Vec<u8>>)> = tx
            .prepare_cached("SELECT id, projection FROM sync_records WHERE rowid = ?1")?
            .query_row([rowid], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let Some((id, projection)) = stored else {
            continue;
        };
        match current_record(&tx, &id, projection.as_deref()) {
            Ok(Some(record)) => index_record(&tx, rowid, &Entry::of(&record, &deadlines))?,
            Ok(None) => {}
            Err(e) => tracing::warn!(rowid, error = %e, "console index: record skipped"),
        }
    }
    flush_fts(&tx)?;
    tx.prepare_cached("INSERT OR REPLACE INTO console_watermark (id, seq) VALUES (1, ?1)")?
        .execute([to])?;
    tx.commit()?;
    Ok(Some(to))
}

/// Indexes every change committed before the call; returns how many batches it took.
pub fn catch_up(db: &SqliteStorage) -> Result<usize, StorageError> {
    let (watermark, last) = db.read(position)?;
    if watermark >= last {
        return Ok(0);
    }
    let mut batches = 0;
    while db.write(|c| index_batch(c, last))?.is_some() {
        batches += 1;
    }
    Ok(batches)
}

impl SqliteStorage {
    /// Runs `f` with a read-only connection once the console index holds every change
    /// committed before the call ([`catch_up`]). Every read of `console_records` or
    /// `console_fts` that answers a user goes through here.
    pub(crate) fn read_index<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        catch_up(self)?;
        self.read(f)
    }
}

/// When the background task next indexes, from what it saw at each look.
#[derive(Debug, Default)]
pub struct Pacing {
    /// The last change seen at the previous look.
    last_seen: i64,
    /// Since when the index has been behind.
    behind_since: Option<Instant>,
}

impl Pacing {
    /// Whether to catch up now, given the watermark and last change read at `now`: when the
    /// log has stopped growing since the previous look, or the index has been behind for
    /// [`MAX_LAG`].
    pub fn due(&mut self, (watermark, last): (i64, i64), now: Instant) -> bool {
        let growing = last != self.last_seen;
        self.last_seen = last;
        if watermark >= last {
            self.behind_since = None;
            return false;
        }
        let since = *self.behind_since.get_or_insert(now);
        let due = !growing || now.duration_since(since) >= MAX_LAG;
        if due {
            self.behind_since = None;
        }
        due
    }
}

/// The background task of `gridmate-server serve`: looks every [`POLL`], catches up when
/// [`Pacing`] says so. A failure is logged and tried again at the next look (reads catch up
/// for themselves meanwhile).
pub async fn run(db: std::sync::Arc<SqliteStorage>) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pacing = Pacing::default();
    loop {
        tick.tick().await;
        let db = db.clone();
        let step = tokio::task::spawn_blocking(move || {
            let done = db.read(position).and_then(|at| {
                if pacing.due(at, Instant::now()) {
                    catch_up(&db)?;
                }
                Ok(())
            });
            (pacing, done)
        });
        match step.await {
            Ok((p, done)) => {
                pacing = p;
                if let Err(e) = done {
                    tracing::warn!(error = %e, "console indexer: catch-up failed");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "console indexer panicked");
                pacing = Pacing::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use automerge::{ActorId, AutoCommit};
    use gridmate_domain::document::write_changes;
    use gridmate_domain::fixtures::{self, Rng};
    use gridmate_domain::{GridId, Timestamp};

    use super::*;
    use crate::sync::held::HeldLimits;
    use crate::sync::store::SyncStore;
    use crate::sync::test_support::{GRID, grid_worker, push_since};

    /// Pushes `n` new records of the grid worker's grid in one batch.
    fn push_records(db: &SqliteStorage, seed: u64, n: usize) {
        let mut rng = Rng::new(seed);
        let docs = (0..n)
            .map(|i| {
                let at = Timestamp::now().plus_millis(-60_000 * (i as i64 + 1));
                let rec = fixtures::record(&mut rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
                let mut doc = AutoCommit::new().with_actor(ActorId::random());
                write_changes(&mut doc, None, &rec).unwrap();
                doc.commit();
                push_since(*rec.meta.id.as_uuid().as_bytes(), &mut doc, &[])
            })
            .collect();
        db.push(
            &grid_worker(),
            docs,
            (&HeldLimits::default(), Timestamp::now()),
        )
        .unwrap();
    }

    fn rows(db: &SqliteStorage) -> i64 {
        db.read(|c| Ok(c.query_row("SELECT count(*) FROM console_records", [], |r| r.get(0))?))
            .unwrap()
    }

    #[test]
    fn a_push_leaves_its_records_to_the_indexer_and_a_read_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        push_records(&db, 1, 20);
        let (watermark, last) = db.read(position).unwrap();
        assert_eq!((watermark, last), (0, 20));
        assert_eq!(rows(&db), 0, "the push wrote no index row");
        let seen = db
            .read_index(|c| {
                Ok(
                    c.query_row("SELECT count(*) FROM console_records", [], |r| {
                        r.get::<_, i64>(0)
                    })?,
                )
            })
            .unwrap();
        assert_eq!(seen, 20, "a read of the index sees every stored record");
        assert_eq!(db.read(position).unwrap(), (20, 20));
        assert_eq!(catch_up(&db).unwrap(), 0, "nothing left");
    }

    #[test]
    fn a_catch_up_goes_in_batches_and_resumes_at_the_watermark() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        let n = (BATCH + 50) as usize;
        push_records(&db, 2, n);
        let last = db.read(position).unwrap().1;
        // One batch, as a server stopped after it would have left the database.
        assert_eq!(db.write(|c| index_batch(c, last)).unwrap(), Some(BATCH));
        assert_eq!(rows(&db), BATCH);
        assert_eq!(
            catch_up(&db).unwrap(),
            1,
            "the rest, from where the first stopped"
        );
        assert_eq!(rows(&db), n as i64);
        assert_eq!(db.read(position).unwrap(), (last, last));
    }

    #[test]
    fn a_catch_up_stops_at_the_change_last_logged_when_it_began() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        push_records(&db, 3, 10);
        push_records(&db, 4, 5);
        assert_eq!(db.write(|c| index_batch(c, 10)).unwrap(), Some(10));
        assert_eq!(rows(&db), 10);
        assert_eq!(db.write(|c| index_batch(c, 10)).unwrap(), None);
    }

    #[test]
    fn an_unreadable_record_is_skipped_without_holding_up_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        push_records(&db, 5, 3);
        db.write(|c| {
            c.execute_batch(
                "UPDATE sync_records SET projection = X'7b', snapshot = X'00', snapshot_seq = 0
                 WHERE rowid = (SELECT min(rowid) FROM sync_records)",
            )?;
            Ok(())
        })
        .unwrap();
        assert_eq!(catch_up(&db).unwrap(), 1);
        assert_eq!(rows(&db), 2);
        assert_eq!(
            db.read(position).unwrap(),
            (3, 3),
            "the watermark moved past it"
        );
    }

    #[test]
    fn the_task_waits_for_a_burst_to_pause_but_never_longer_than_the_lag() {
        let t0 = Instant::now();
        let mut p = Pacing::default();
        assert!(!p.due((0, 0), t0), "nothing logged");
        assert!(!p.due((0, 10), t0), "the log is growing");
        assert!(p.due((0, 10), t0 + POLL), "it stopped growing");
        assert!(!p.due((10, 10), t0 + 2 * POLL), "caught up");
        let start = t0 + 3 * POLL;
        let mut last = 10;
        let mut at = start;
        while at < start + MAX_LAG {
            last += 10;
            assert!(!p.due((10, last), at), "still growing before the lag");
            at += POLL;
        }
        assert!(p.due((10, last + 10), at), "behind for the whole lag");
    }
}

//! Merging the console's full-text index off the request path.
//!
//! FTS5 keeps its index as segments, one more per transaction that writes to it, and by default
//! merges some of them at the end of each such transaction (`automerge`): every push would pay
//! for rewriting segments written by earlier ones. `console_fts` has that switched off
//! ([`FTS_MERGE_MIGRATION`]); this task does the same work in the background instead, in short
//! steps of at most [`STEP_PAGES`] pages, each its own writer transaction, so a push waits for at
//! most one step.
//!
//! Invariants: merging never changes what a search finds (only how many segments it reads).
//! Should the task fall behind (a burst of pushes), FTS5's own `crisismerge` still merges a level
//! that reaches 16 segments inside the transaction that makes the 16th, so the segment count
//! stays bounded whatever happens here.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::MissedTickBehavior;

use crate::storage::{SqliteStorage, StorageError};

/// `console_fts` without merges at the end of each writing transaction (a persistent setting of
/// the table).
pub const FTS_MERGE_MIGRATION: &str = r#"
INSERT INTO console_fts (console_fts, rank) VALUES ('automerge', 0);
"#;

/// How often the task looks for segments to merge.
pub const EVERY: Duration = Duration::from_secs(1);
/// Pages merged per step (one writer transaction): about 256 KB of index, a few milliseconds.
pub const STEP_PAGES: i64 = 64;
/// Steps per round at most: the rest waits for the next round, so a long merge never keeps
/// pushes waiting for the writer more than this in a row.
pub const STEPS_PER_ROUND: usize = 16;

/// One step of merge work; `true` when it merged something (there may be more to do).
pub fn merge_step(db: &SqliteStorage) -> Result<bool, StorageError> {
    db.write(|c| {
        let before = c.total_changes();
        // A positive page count merges only levels holding at least `usermerge` (4) segments.
        c.prepare_cached("INSERT INTO console_fts (console_fts, rank) VALUES ('merge', ?1)")?
            .execute([STEP_PAGES])?;
        // The command itself counts as one change; more means segments were rewritten.
        Ok(c.total_changes() - before > 1)
    })
}

/// The background task of `gridmate-server serve`: a round every [`EVERY`], forever. A failed
/// step is logged and retried on the next round (the index stays correct, only less merged).
pub async fn run(db: Arc<SqliteStorage>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        for _ in 0..STEPS_PER_ROUND {
            let db = db.clone();
            match tokio::task::spawn_blocking(move || merge_step(&db)).await {
                Ok(Ok(true)) => continue,
                Ok(Ok(false)) => break,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "console full-text merge step failed");
                    break;
                }
                Err(e) => {
                    tracing::error!(error = %e, "console full-text merge step panicked");
                    break;
                }
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
    use gridmate_domain::search::area_token;
    use gridmate_domain::{GridId, Timestamp};

    use super::*;
    use crate::sync::held::HeldLimits;
    use crate::sync::store::SyncStore;
    use crate::sync::test_support::{GRID, grid_worker, push_since};

    /// Records found by the full-text index through their grid's area token.
    fn found(db: &SqliteStorage) -> i64 {
        db.read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM console_fts WHERE console_fts MATCH ?1",
                [format!("\"{}\"", area_token(GRID))],
                |r| r.get(0),
            )?)
        })
        .unwrap()
    }

    #[test]
    fn pushes_leave_merging_to_the_task_and_merges_change_no_answer() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        let mut rng = Rng::new(3);
        // One record per push, indexed before the next: one index segment each, none merged by
        // the indexer itself (fewer than FTS5's crisis-merge level of 16 at a time, so nothing
        // merges in-line).
        for i in 0..12 {
            let at = Timestamp::now().plus_millis(-60_000 * (i + 1));
            let rec = fixtures::record(&mut rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
            let id = *rec.meta.id.as_uuid().as_bytes();
            let mut doc = AutoCommit::new().with_actor(ActorId::random());
            write_changes(&mut doc, None, &rec).unwrap();
            doc.commit();
            let push = push_since(id, &mut doc, &[]);
            db.push(
                &grid_worker(),
                vec![push],
                (&HeldLimits::default(), Timestamp::now()),
            )
            .unwrap();
            assert_eq!(crate::console::indexer::catch_up(&db).unwrap(), 1);
        }
        assert_eq!(found(&db), 12);
        assert!(
            merge_step(&db).unwrap(),
            "twelve segments are there to merge"
        );
        let mut steps = 1;
        while merge_step(&db).unwrap() {
            steps += 1;
            assert!(steps < 100, "merging ends");
        }
        assert_eq!(found(&db), 12, "merged, the index finds the same records");
        assert!(!merge_step(&db).unwrap(), "nothing left to merge");
    }
}

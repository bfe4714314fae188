//! The sync storage interface. The HTTP layer only sees this trait; SQLite implements it here. Any
//! implementation gives the same two operations with the same guarantees:
//! - `push`: one atomic batch; per record all-or-nothing; idempotent by change hash; returns the
//!   seqs of the changes the request carried; held changes within `HeldLimits`;
//! - `pull`: one consistent snapshot; changes of the scope (and, protocol 4, of the records
//!   assigned to the reader outside it) after the positions, in key order, paged, never past the
//!   high-water mark read in that snapshot.

use gridmate_domain::Timestamp;
use gridmate_domain::wire::{PullPage, PullRequest, PushDoc};

use super::held::HeldLimits;
use super::plan::plan_all;
use super::pull::{Reader, pull};
use super::push::{PushBatch, Pusher, push_batch};
use crate::storage::{SqliteStorage, StorageError};

pub trait SyncStore: Send + Sync + 'static {
    fn push(
        &self,
        who: &Pusher,
        docs: Vec<PushDoc>,
        at: (&HeldLimits, Timestamp),
    ) -> Result<PushBatch, StorageError>;
    fn pull(
        &self,
        who: &Reader<'_>,
        req: &PullRequest,
        skip: &[i64],
    ) -> Result<PullPage, StorageError>;
}

impl SyncStore for SqliteStorage {
    fn push(
        &self,
        who: &Pusher,
        docs: Vec<PushDoc>,
        at: (&HeldLimits, Timestamp),
    ) -> Result<PushBatch, StorageError> {
        // The CPU-heavy checks run here, before the writer lock, beside other requests' work.
        let plans = self.read(|c| plan_all(c, who, docs, at.1))?;
        // Borrowed: the plans are freed after the writer lock is released.
        self.write(|c| push_batch(c, who, &plans, at))
    }

    fn pull(
        &self,
        who: &Reader<'_>,
        req: &PullRequest,
        skip: &[i64],
    ) -> Result<PullPage, StorageError> {
        self.read(|c| pull(c, who, req, skip))
    }
}

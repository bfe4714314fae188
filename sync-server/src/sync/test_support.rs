//! Fixtures shared by the sync module's unit tests: the grid they write in, the authenticated
//! pushers, and pushes cut from a document's changes.
#![allow(clippy::unwrap_used)]

use automerge::{AutoCommit, ChangeHash};
use gridmate_domain::Role;
use gridmate_domain::wire::{Change, PushDoc};

use super::push::Pusher;
use crate::scope::Scope;

pub const GRID: &str = "jingkou-zhengdonglu-03";

/// An authenticated pusher with one device of its own.
pub fn pusher(name: &str, role: Role, scope: &str) -> Pusher {
    Pusher {
        user_id: 1,
        user_name: name.into(),
        role,
        device_id: format!("device-{name}"),
        scope: Scope::parse_list(scope).unwrap(),
        unit: None,
    }
}

/// wang.wei, grid worker of [`GRID`].
pub fn grid_worker() -> Pusher {
    pusher("wang.wei", Role::GridWorker, GRID)
}

/// The push of `doc`'s changes after `heads`, as a device sends them.
pub fn push_since(id: [u8; 16], doc: &mut AutoCommit, heads: &[ChangeHash]) -> PushDoc {
    PushDoc {
        record_id: id,
        changes: doc
            .get_changes(heads)
            .iter()
            .map(|c| Change(c.raw_bytes().to_vec()))
            .collect(),
    }
}

//! Held changes: changes of a record the server knows that arrived before one of their
//! dependencies. They wait in `sync_held`, invisible to everyone, until a push brings what they
//! lack; then they are decided as their own pusher's changes (scope, role, actor) and logged under
//! that pusher's name and device.
//!
//! Invariants:
//! - Nothing is held for a record the server does not know: a change's grid is only in the
//!   record's first change, so the server could not tell whether the pusher may create it. Such a
//!   push is answered `Held` with nothing stored; the device then sends the record's whole
//!   document, which is decided as a new record (`push::push_one`).
//! - A change is held only after the pusher's reach of the stored record was checked
//!   (`authorize::may_reach`), and only within [`HeldLimits`] per device and per user (count and
//!   bytes); over them the record is refused with `held_quota_exceeded` and nothing is stored
//!   (devices answer it like `Held`: they send the whole document, which needs no holding).
//! - A held change lives at most [`HeldLimits::max_age`] from its first arrival (pushing it again
//!   does not renew it): every push batch first drops the expired ones (`expire`).
//! - Held changes never stop anyone else's changes to the record: a push applies only its own
//!   changes whose dependencies the record holds; held ones join only once their own dependencies
//!   are there (`complete`).

use std::collections::HashSet;
use std::time::Duration;

use automerge::{AutoCommit, Change, ChangeHash};
use gridmate_domain::document::{guarded, holds_all, read_record};
use gridmate_domain::wire::PushOutcome;
use gridmate_domain::{GridId, Record, RecordId, Role, Timestamp};
use rusqlite::{OptionalExtension, Transaction, params};

use super::authorize::{Pushed, authorize, new_changes};
use super::doc::{decode_change, round_trips};
use super::push::{ActorCache, LogRow, Pusher, dependency_order, log_change};
use super::refusal;
use crate::scope::Scope;
use crate::storage::StorageError;

/// Default held changes per device.
pub const DEFAULT_PER_DEVICE: u64 = 200;
/// Default bytes of held changes per device.
pub const DEFAULT_BYTES_PER_DEVICE: u64 = 4 * 1024 * 1024;
/// Default held changes per user (all their devices).
pub const DEFAULT_PER_USER: u64 = 1_000;
/// Default bytes of held changes per user.
pub const DEFAULT_BYTES_PER_USER: u64 = 16 * 1024 * 1024;
/// Default age after which a held change is dropped.
pub const DEFAULT_MAX_AGE_DAYS: u32 = 30;

/// How much may be held, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLimits {
    pub per_device: u64,
    pub bytes_per_device: u64,
    pub per_user: u64,
    pub bytes_per_user: u64,
    /// From a change's first arrival; zero drops it at the next push batch.
    pub max_age: Duration,
}

impl Default for HeldLimits {
    fn default() -> Self {
        Self {
            per_device: DEFAULT_PER_DEVICE,
            bytes_per_device: DEFAULT_BYTES_PER_DEVICE,
            per_user: DEFAULT_PER_USER,
            bytes_per_user: DEFAULT_BYTES_PER_USER,
            max_age: Duration::from_secs(u64::from(DEFAULT_MAX_AGE_DAYS) * 86_400),
        }
    }
}

/// Drops every held change older than the limit; returns how many.
pub(super) fn expire(
    tx: &Transaction<'_>,
    limits: &HeldLimits,
    now: Timestamp,
) -> Result<usize, StorageError> {
    let age = i64::try_from(limits.max_age.as_millis()).unwrap_or(i64::MAX);
    let cutoff = now.millis().saturating_sub(age);
    Ok(tx
        .prepare_cached("DELETE FROM sync_held WHERE received_at <= ?1")?
        .execute([cutoff])?)
}

/// Holds `changes` for `who` if they fit the limits; the refusal otherwise. Changes already held
/// keep their first pusher and arrival time and are not counted again.
pub(super) fn hold(
    tx: &Transaction<'_>,
    who: &Pusher,
    record_id: &[u8; 16],
    changes: &[Change],
    (limits, now): (&HeldLimits, Timestamp),
) -> Result<Option<PushOutcome>, StorageError> {
    let mut known = tx.prepare_cached("SELECT 1 FROM sync_held WHERE hash = ?1")?;
    let mut new: Vec<&Change> = Vec::new();
    for c in changes {
        if !known.exists([c.hash().0.as_slice()])? {
            new.push(c);
        }
    }
    let count = new.len() as u64;
    let bytes: u64 = new.iter().map(|c| c.raw_bytes().len() as u64).sum();
    let usage = |sql: &str, key: &dyn rusqlite::ToSql| -> Result<(u64, u64), StorageError> {
        Ok(tx.prepare_cached(sql)?.query_row([key], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
        })?)
    };
    let (dev_n, dev_b) = usage(
        "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM sync_held WHERE pushed_device = ?1",
        &who.device_id,
    )?;
    let (user_n, user_b) = usage(
        "SELECT count(*), coalesce(sum(length(bytes)), 0) FROM sync_held WHERE pushed_by = ?1",
        &who.user_id,
    )?;
    if dev_n + count > limits.per_device
        || dev_b + bytes > limits.bytes_per_device
        || user_n + count > limits.per_user
        || user_b + bytes > limits.bytes_per_user
    {
        return Ok(Some(refusal::held_quota_exceeded()));
    }
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO sync_held (hash, record_id, bytes, pushed_by, pushed_device, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for c in new {
        stmt.execute(params![
            c.hash().0.as_slice(),
            record_id.as_slice(),
            c.raw_bytes(),
            who.user_id,
            who.device_id,
            now.millis()
        ])?;
    }
    Ok(None)
}

/// Splits `changes` into those `doc` can take now (each after its dependencies) and the rest.
pub(super) fn split_ready(
    doc: &mut AutoCommit,
    changes: Vec<Change>,
) -> (Vec<Change>, Vec<Change>) {
    let mut ready: Vec<Change> = Vec::new();
    let mut taken: HashSet<ChangeHash> = HashSet::new();
    let mut rest = changes;
    loop {
        let before = rest.len();
        let mut later = Vec::new();
        for c in rest {
            let deps_there = c
                .deps()
                .iter()
                .all(|d| taken.contains(d) || holds_all(doc, &[*d]));
            if deps_there {
                taken.insert(c.hash());
                ready.push(c);
            } else {
                later.push(c);
            }
        }
        rest = later;
        if rest.is_empty() || rest.len() == before {
            return (ready, rest);
        }
    }
}

/// The dependencies of `waiting` that neither `doc` nor `waiting` itself holds.
pub(super) fn missing_of(doc: &mut AutoCommit, waiting: &[Change]) -> Vec<[u8; 32]> {
    let own: HashSet<ChangeHash> = waiting.iter().map(Change::hash).collect();
    let mut out: Vec<[u8; 32]> = Vec::new();
    for d in waiting.iter().flat_map(|c| c.deps().iter()) {
        if !own.contains(d) && !holds_all(doc, &[*d]) && !out.contains(&d.0) {
            out.push(d.0);
        }
    }
    out
}

/// One held change as stored.
struct HeldRow {
    change: Change,
    pushed_by: i64,
    pushed_device: String,
}

/// A record being pushed, as `complete` continues it.
pub(super) struct Progress<'a> {
    pub record_id: &'a [u8; 16],
    pub rowid: i64,
    pub doc: &'a mut AutoCommit,
    pub record: Record,
    /// Seq of the last change logged for the record in this push (0: none yet).
    pub last_seq: i64,
    /// Changes logged for the record in this push.
    pub logged: i64,
}

/// Logs every held change of the record that its dependencies now allow, one pusher's changes at
/// a time, each decided as that pusher's push; refused ones are dropped and audited under their
/// pusher. The current pusher's outcome does not depend on them.
pub(super) fn complete(
    tx: &Transaction<'_>,
    p: &mut Progress<'_>,
    now: Timestamp,
    actors: &mut ActorCache,
) -> Result<(), StorageError> {
    loop {
        let rows = held_rows(tx, p.record_id)?;
        let mut groups: Vec<((i64, String), Vec<Change>)> = Vec::new();
        for r in rows {
            let key = (r.pushed_by, r.pushed_device);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, g)) => g.push(r.change),
                None => groups.push((key, vec![r.change])),
            }
        }
        let next = groups.into_iter().find_map(|(key, g)| {
            let (ready, _) = split_ready(p.doc, g);
            (!ready.is_empty()).then_some((key, ready))
        });
        let Some(((user_id, device), ready)) = next else {
            return Ok(());
        };
        let outcome = match pusher_of(tx, user_id, &device)? {
            Some(who) => complete_one(tx, p, &who, ready.clone(), now, actors)?,
            None => Some(refusal::held_pusher_gone()),
        };
        let mut drop = tx.prepare_cached("DELETE FROM sync_held WHERE hash = ?1")?;
        for c in &ready {
            drop.execute([c.hash().0.as_slice()])?;
        }
        if let Some(PushOutcome::Rejected { code, field, .. }) = outcome {
            tx.prepare_cached(
                "INSERT INTO sync_rejections (record_id, user_id, device_id, code, field, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                p.record_id.as_slice(),
                user_id,
                device,
                code,
                field,
                now.millis()
            ])?;
        }
    }
}

/// Decides and logs one pusher's ready held changes; the refusal if they fail.
fn complete_one(
    tx: &Transaction<'_>,
    p: &mut Progress<'_>,
    who: &Pusher,
    ready: Vec<Change>,
    now: Timestamp,
    actors: &mut ActorCache,
) -> Result<Option<PushOutcome>, StorageError> {
    let authors = ready
        .iter()
        .map(|c| c.actor_id().to_bytes().to_vec())
        .collect();
    let unbound = match actors.unbound(tx, who, authors)? {
        Ok(u) => u,
        Err(conflict) => return Ok(Some(conflict)),
    };
    let mut next = p.doc.fork();
    let before = next.get_heads();
    if guarded::apply_changes(&mut next, ready.clone()).is_err() {
        return Ok(Some(refusal::unappliable()));
    }
    let new = match read_record(&next) {
        Ok(r) => r,
        Err(e) => return Ok(Some(refusal::schema_mismatch(&e))),
    };
    let ready = dependency_order(ready);
    let id = RecordId::from_uuid(uuid::Uuid::from_bytes(*p.record_id));
    let pushed = Pushed {
        id: &id,
        old: Some(&p.record),
        new: &new,
        doc: &next,
        fresh: &new_changes(&ready),
    };
    if let Some(refused) = authorize(who, &pushed, now) {
        return Ok(Some(refused));
    }
    if !round_trips(&mut next, &before, &ready) {
        return Ok(Some(refusal::unencodable()));
    }
    for c in &ready {
        let row = LogRow {
            hash: c.hash(),
            actor: c.actor_id().to_bytes(),
            bytes: c.raw_bytes(),
        };
        p.last_seq = log_change(tx, who, p.rowid, &new, &row, now)?;
        p.logged += 1;
    }
    for actor in unbound {
        actors.bind(tx, actor, who, now)?;
    }
    *p.doc = next;
    p.record = new;
    Ok(None)
}

/// The held changes of a record that still decode (others are left to expire).
fn held_rows(tx: &Transaction<'_>, record_id: &[u8; 16]) -> Result<Vec<HeldRow>, StorageError> {
    let mut stmt = tx.prepare_cached(
        "SELECT bytes, pushed_by, pushed_device FROM sync_held WHERE record_id = ?1 ORDER BY received_at, hash",
    )?;
    let rows: Vec<(Vec<u8>, i64, String)> = stmt
        .query_map([record_id.as_slice()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(bytes, pushed_by, pushed_device)| {
            decode_change(&bytes).map(|change| HeldRow {
                change,
                pushed_by,
                pushed_device,
            })
        })
        .collect())
}

/// The account and device that pushed a held change, with their rights as of now; `None` when
/// the account is gone or disabled or the device revoked (their held changes are then dropped).
fn pusher_of(
    tx: &Transaction<'_>,
    user_id: i64,
    device: &str,
) -> Result<Option<Pusher>, StorageError> {
    let user: Option<(String, String, Option<String>)> = tx
        .prepare_cached("SELECT name, role, unit FROM users WHERE id = ?1 AND disabled_at IS NULL")?
        .query_row([user_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((name, role, unit)) = user else {
        return Ok(None);
    };
    let revoked: Option<Option<i64>> = tx
        .prepare_cached("SELECT revoked_at FROM devices WHERE device_id = ?1 AND user_id = ?2")?
        .query_row(params![device, user_id], |r| r.get(0))
        .optional()?;
    let (Some(None), Some(role)) = (revoked, Role::parse(&role)) else {
        return Ok(None);
    };
    let areas: Vec<String> = tx
        .prepare_cached("SELECT area_id FROM user_scopes WHERE user_id = ?1")?
        .query_map([user_id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(Some(Pusher {
        user_id,
        user_name: name,
        role,
        device_id: device.to_owned(),
        scope: Scope::new(areas.iter().filter_map(|a| GridId::parse(a))),
        unit,
    }))
}

//! What console actions keep beside the record log: each console user's Automerge actor, and the
//! hotline intake requests already answered (by the client's `request_id`).
//!
//! Invariants: one actor per console user, random (so no device can guess it and bind it first),
//! registered in `sync_actors` with device id `console` (device ids of phones are UUIDs, so the
//! two never meet) the first time it is needed, in the transaction of its first change; an intake
//! `request_id` names at most one record per user, written in the transaction that creates it.

use automerge::ActorId;
use gridmate_domain::{RecordId, Timestamp};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::storage::StorageError;

/// The device id the console's changes are logged under (`sync_actors`, `sync_changes`).
pub const CONSOLE_DEVICE: &str = "console";

/// Migration step: console actors and answered intake requests.
pub const ACTIONS_MIGRATION: &str = r#"
CREATE TABLE console_actors (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    actor      BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE console_intake_requests (
    user_id    INTEGER NOT NULL,
    request_id BLOB    NOT NULL,
    record_id  BLOB    NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (user_id, request_id)
) STRICT, WITHOUT ROWID;
"#;

/// The console actor of `user_id`, made and registered on first use.
pub(super) fn console_actor(
    tx: &Transaction<'_>,
    user_id: i64,
    now: Timestamp,
) -> Result<ActorId, StorageError> {
    let known: Option<Vec<u8>> = tx
        .prepare_cached("SELECT actor FROM console_actors WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?;
    if let Some(bytes) = known {
        return Ok(ActorId::from(bytes));
    }
    let actor = ActorId::random();
    let bytes = actor.to_bytes();
    tx.prepare_cached(
        "INSERT INTO console_actors (user_id, actor, created_at) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![user_id, bytes, now.millis()])?;
    tx.prepare_cached(
        "INSERT OR IGNORE INTO sync_actors (actor, user_id, device_id, first_seen_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![bytes, user_id, CONSOLE_DEVICE, now.millis()])?;
    Ok(actor)
}

/// The record an earlier intake request of this user created, if any.
pub(super) fn intake_of(
    tx: &Transaction<'_>,
    user_id: i64,
    request_id: &uuid::Uuid,
) -> Result<Option<RecordId>, StorageError> {
    let found: Option<Vec<u8>> = tx
        .prepare_cached(
            "SELECT record_id FROM console_intake_requests WHERE user_id = ?1 AND request_id = ?2",
        )?
        .query_row(params![user_id, request_id.as_bytes().as_slice()], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(found
        .and_then(|b| uuid::Uuid::from_slice(&b).ok())
        .map(RecordId::from_uuid))
}

/// Remembers the record an intake request created.
pub(super) fn remember_intake(
    tx: &Transaction<'_>,
    user_id: i64,
    request_id: &uuid::Uuid,
    record: &RecordId,
    now: Timestamp,
) -> Result<(), StorageError> {
    tx.prepare_cached(
        "INSERT INTO console_intake_requests (user_id, request_id, record_id, at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        user_id,
        request_id.as_bytes().as_slice(),
        record.as_uuid().as_bytes().as_slice(),
        now.millis()
    ])?;
    Ok(())
}

/// Whether a user of this name may be named as an assignee: exists, enabled, not an admin.
pub(super) fn assignable_user(tx: &Transaction<'_>, name: &str) -> Result<bool, StorageError> {
    Ok(tx
        .prepare_cached(
            "SELECT 1 FROM users WHERE name = ?1 AND disabled_at IS NULL AND role != 'admin'",
        )?
        .query_row([name], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Whether a unit of this id exists.
pub(super) fn unit_exists(tx: &Transaction<'_>, id: &str) -> Result<bool, StorageError> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM units WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

//! The console's storage behind [`ConsoleStore`], implemented for [`SqliteStorage`] (the seam a
//! PostgreSQL backend implements too). Other console modules add their queries as their own
//! extension traits beside their handlers.
//!
//! Invariants: only the SHA-256 of a session token is stored or looked up; every method is
//! synchronous and may block (call it through [`crate::error::blocking`]).

use gridmate_domain::Timestamp;
use rusqlite::{OptionalExtension, params};

use crate::model::UserId;
use crate::storage::{SqliteStorage, StorageError};

/// A stored console session, as the extractor sees it.
#[derive(Clone)]
pub struct StoredSession {
    pub id: i64,
    pub user_id: UserId,
    pub user_name: String,
    pub csrf: String,
    /// UTC ms.
    pub created_at: i64,
    /// UTC ms.
    pub last_seen_at: i64,
}

// Hand-written: the CSRF token is a secret of the session.
impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

/// Sessions of the console.
pub trait ConsoleStore: Send + Sync + 'static {
    /// Stores a new session; returns its id.
    fn create_session(
        &self,
        user_id: UserId,
        token_hash: &[u8; 32],
        csrf: &str,
        now: Timestamp,
    ) -> Result<i64, StorageError>;

    /// The session of a token hash, whatever its age (the caller decides about expiry).
    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<StoredSession>, StorageError>;

    /// The CSRF token of a session.
    fn session_csrf(&self, id: i64) -> Result<Option<String>, StorageError>;

    /// Records activity on a session (idle expiry counts from here).
    fn touch_session(&self, id: i64, now: Timestamp) -> Result<(), StorageError>;

    /// Ends one session.
    fn drop_session(&self, id: i64) -> Result<(), StorageError>;

    /// Ends every session of a user (password reset, disabling, role change).
    fn drop_user_sessions(&self, user_id: UserId) -> Result<(), StorageError>;

    /// Forgets sessions idle since before `idle_cutoff` or started before `absolute_cutoff`
    /// (every session that can no longer be used); returns how many.
    fn purge_sessions(
        &self,
        idle_cutoff: Timestamp,
        absolute_cutoff: Timestamp,
    ) -> Result<usize, StorageError>;
}

impl ConsoleStore for SqliteStorage {
    fn create_session(
        &self,
        user_id: UserId,
        token_hash: &[u8; 32],
        csrf: &str,
        now: Timestamp,
    ) -> Result<i64, StorageError> {
        self.write(|c| {
            c.prepare_cached(
                "INSERT INTO console_sessions (token_hash, csrf, user_id, created_at, last_seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?4)",
            )?
            .execute(params![
                token_hash.as_slice(),
                csrf,
                user_id.0,
                now.millis()
            ])?;
            Ok(c.last_insert_rowid())
        })
    }

    fn session(&self, token_hash: &[u8; 32]) -> Result<Option<StoredSession>, StorageError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT s.id, s.user_id, u.name, s.csrf, s.created_at, s.last_seen_at
                   FROM console_sessions s JOIN users u ON u.id = s.user_id
                  WHERE s.token_hash = ?1",
            )?
            .query_row([token_hash.as_slice()], |r| {
                Ok(StoredSession {
                    id: r.get(0)?,
                    user_id: UserId(r.get(1)?),
                    user_name: r.get(2)?,
                    csrf: r.get(3)?,
                    created_at: r.get(4)?,
                    last_seen_at: r.get(5)?,
                })
            })
            .optional()?)
        })
    }

    fn session_csrf(&self, id: i64) -> Result<Option<String>, StorageError> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT csrf FROM console_sessions WHERE id = ?1")?
                    .query_row([id], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    fn touch_session(&self, id: i64, now: Timestamp) -> Result<(), StorageError> {
        self.write(|c| {
            c.prepare_cached("UPDATE console_sessions SET last_seen_at = ?2 WHERE id = ?1")?
                .execute(params![id, now.millis()])?;
            Ok(())
        })
    }

    fn drop_session(&self, id: i64) -> Result<(), StorageError> {
        self.write(|c| {
            c.prepare_cached("DELETE FROM console_sessions WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })
    }

    fn drop_user_sessions(&self, user_id: UserId) -> Result<(), StorageError> {
        self.write(|c| {
            c.prepare_cached("DELETE FROM console_sessions WHERE user_id = ?1")?
                .execute([user_id.0])?;
            Ok(())
        })
    }

    fn purge_sessions(
        &self,
        idle_cutoff: Timestamp,
        absolute_cutoff: Timestamp,
    ) -> Result<usize, StorageError> {
        self.write(|c| {
            Ok(c.prepare_cached(
                "DELETE FROM console_sessions WHERE last_seen_at < ?1 OR created_at < ?2",
            )?
            .execute([idle_cutoff.millis(), absolute_cutoff.millis()])?)
        })
    }
}

//! [`AccountStore`] on SQLite: one file `DIR/server.db` in WAL mode, one writer connection behind a
//! mutex and a small pool of read-only connections (WAL lets readers run beside the writer).
//!
//! Invariants: every connection has `foreign_keys=ON` and a `busy_timeout`, so the admin CLI and
//! the running server can use the same file at once; the schema is migrated on open; readers are
//! `query_only`. Future server code in this crate reaches the database through [`SqliteStorage::read`]
//! and [`SqliteStorage::write`] (or the `writer` field) so that all SQLite access follows these
//! rules.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use gridmate_domain::{GridId, LegalRole, Timestamp};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use uuid::Uuid;

use super::{AccountStore, StorageError, TokenGrant, migrations, private_fs};
use crate::model::{
    Area, AreaLevel, DeviceInfo, NewUser, PublicProfile, Role, Session, User, UserAuthRecord,
    UserId,
};
use crate::scope::Scope;

/// The database file name inside the data directory.
pub const DB_FILE: &str = "server.db";
/// How long a connection waits for another writer before failing with `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Idle read connections kept open; more are opened on demand and closed after use.
const MAX_IDLE_READERS: usize = 8;

/// The server's SQLite database.
#[derive(Debug)]
pub struct SqliteStorage {
    path: PathBuf,
    /// The only connection that writes. Hold the lock for one transaction, never across `.await`.
    pub(crate) writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl SqliteStorage {
    /// Opens (creating if needed) `dir/server.db`, configures it and migrates it to the latest
    /// schema. The directory is made (or tightened to) 0700 and the files 0600 (`private_fs`): the
    /// database holds password hashes.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StorageError> {
        let dir = dir.as_ref();
        private_fs::private_dir(dir)?;
        let path = dir.join(DB_FILE);
        private_fs::create_private_file(&path)?;
        let mut writer = open_connection(&path)?;
        // WAL is a property of the file; setting it once from the writer is enough.
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::Corrupt(format!(
                "could not enable WAL (journal_mode = {mode})"
            )));
        }
        migrations::migrate(&mut writer)?;
        private_fs::tighten_companions(&path)?;
        Ok(Self {
            path,
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with a read-only connection from the pool.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let pooled = lock(&self.readers).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = open_connection(&self.path)?;
                c.pragma_update(None, "query_only", true)?;
                c
            }
        };
        let out = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        out
    }

    /// Runs `f` with the writer connection (exclusive within this process).
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StorageError>,
    ) -> Result<T, StorageError> {
        let mut conn = lock(&self.writer);
        f(&mut conn)
    }

    /// The applied schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64, StorageError> {
        self.read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
    }
}

/// A poisoned mutex only means a thread panicked while holding it; SQLite rolled back any open
/// transaction when its `Transaction` dropped, so the connection is still consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn open_connection(path: &Path) -> Result<Connection, StorageError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // FULL: a push the server acknowledged survives a power cut, not only a crashed process; the
    // device marks acknowledged records synced and would not send them again. One fsync per
    // transaction, and a push batch is one transaction.
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Statement journals (a push keeps one per record's savepoint: every page the record touches
    // is copied there first) and the console's staged full-text entries are transient: in memory
    // they cost no file writes. Their size is bounded by one push batch.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // The query planner stability guarantee: without it SQLite marked some cached statements
    // (the record update, the tail read) to be compiled again at every new binding (see
    // docs/benchmarks.md, W1 edit phase; the device store does the same).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    // Room for every statement a push and a pull cache (about 30), so none is evicted and
    // compiled again within one sync.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn ts(ms: i64) -> Result<Timestamp, StorageError> {
    Timestamp::from_millis(ms).ok_or_else(|| StorageError::Corrupt(format!("timestamp {ms}")))
}

fn opt_ts(ms: Option<i64>) -> Result<Option<Timestamp>, StorageError> {
    ms.map(ts).transpose()
}

fn parse_uuid(s: &str) -> Result<Uuid, StorageError> {
    Uuid::parse_str(s).map_err(|_| StorageError::Corrupt("device id".into()))
}

/// The columns `u.id, u.name, u.display_name, u.role, u.legal_role` starting at `at`.
pub(super) struct ProfileCols {
    id: i64,
    name: String,
    display_name: Option<String>,
    role: String,
    legal_role: Option<String>,
    unit: Option<String>,
}

impl ProfileCols {
    pub(super) const SELECT: &'static str =
        "u.id, u.name, u.display_name, u.role, u.legal_role, u.unit";
    /// The number of columns of [`ProfileCols::SELECT`].
    pub(super) const LEN: usize = 6;

    pub(super) fn read(row: &Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(at)?,
            name: row.get(at + 1)?,
            display_name: row.get(at + 2)?,
            role: row.get(at + 3)?,
            legal_role: row.get(at + 4)?,
            unit: row.get(at + 5)?,
        })
    }

    pub(super) fn into_profile(self, conn: &Connection) -> Result<PublicProfile, StorageError> {
        let role = Role::parse(&self.role).ok_or_else(|| StorageError::Corrupt("role".into()))?;
        let legal_role = self
            .legal_role
            .map(|l| LegalRole::parse(&l).ok_or_else(|| StorageError::Corrupt("legal_role".into())))
            .transpose()?;
        let scope = load_scope(conn, self.id)?;
        Ok(PublicProfile {
            id: UserId(self.id),
            name: self.name,
            display_name: self.display_name,
            role,
            legal_role,
            scope,
            unit: self.unit,
        })
    }
}

fn load_scope(conn: &Connection, user_id: i64) -> Result<Scope, StorageError> {
    let mut stmt =
        conn.prepare_cached("SELECT area_id FROM user_scopes WHERE user_id = ?1 ORDER BY area_id")?;
    let rows = stmt.query_map([user_id], |r| r.get::<_, String>(0))?;
    let mut areas = Vec::new();
    for a in rows {
        let a = a?;
        areas.push(GridId::parse(&a).ok_or_else(|| StorageError::Corrupt("scope area id".into()))?);
    }
    Ok(Scope::new(areas))
}

pub(super) fn user_id_by_name(conn: &Connection, name: &str) -> Result<i64, StorageError> {
    conn.query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
        .optional()?
        .ok_or(StorageError::NotFound("user"))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

const USER_SELECT: &str = "SELECT u.id, u.name, u.display_name, u.role, u.legal_role, u.unit, u.disabled_at, u.created_at FROM users u";

fn read_user(conn: &Connection, row: &Row<'_>) -> Result<User, StorageError> {
    let cols = ProfileCols::read(row, 0)?;
    let disabled_at: Option<i64> = row.get(ProfileCols::LEN)?;
    let created_at: i64 = row.get(ProfileCols::LEN + 1)?;
    Ok(User {
        profile: cols.into_profile(conn)?,
        disabled: disabled_at.is_some(),
        created_at: ts(created_at)?,
    })
}

const DEVICE_SELECT: &str = "SELECT d.device_id, d.user_id, u.name, d.name, d.created_at, d.last_login_at, \
     d.last_seen_at, d.token_expires_at, d.revoked_at FROM devices d JOIN users u ON u.id = d.user_id";

fn read_device(row: &Row<'_>) -> Result<DeviceInfo, StorageError> {
    Ok(DeviceInfo {
        device_id: parse_uuid(&row.get::<_, String>(0)?)?,
        user_id: UserId(row.get(1)?),
        user_name: row.get(2)?,
        device_name: row.get(3)?,
        created_at: ts(row.get(4)?)?,
        last_login_at: ts(row.get(5)?)?,
        last_seen_at: opt_ts(row.get(6)?)?,
        token_expires_at: opt_ts(row.get(7)?)?,
        revoked_at: opt_ts(row.get(8)?)?,
    })
}

/// The session of a token hash (current or replaced), and whether it matched the current token
/// while a replaced one is still kept.
fn read_session(
    c: &Connection,
    token_hash: &[u8; 32],
) -> Result<Option<(Session, bool)>, StorageError> {
    let row = c
        .prepare_cached(&format!(
            "SELECT {}, u.disabled_at, d.device_id, d.revoked_at, d.last_seen_at, \
               CASE WHEN d.token_hash = ?1 THEN d.token_expires_at ELSE d.prev_token_expires_at END, \
               d.token_hash = ?1 AND d.prev_token_hash IS NOT NULL \
             FROM devices d JOIN users u ON u.id = d.user_id \
             WHERE d.token_hash = ?1 OR d.prev_token_hash = ?1",
            ProfileCols::SELECT
        ))?
        .query_row([&token_hash[..]], |r| {
            Ok((
                ProfileCols::read(r, 0)?,
                r.get::<_, Option<i64>>(ProfileCols::LEN)?,
                r.get::<_, String>(ProfileCols::LEN + 1)?,
                r.get::<_, Option<i64>>(ProfileCols::LEN + 2)?,
                r.get::<_, Option<i64>>(ProfileCols::LEN + 3)?,
                r.get::<_, Option<i64>>(ProfileCols::LEN + 4)?,
                r.get::<_, bool>(ProfileCols::LEN + 5)?,
            ))
        })
        .optional()?;
    let Some((cols, disabled_at, device_id, revoked_at, last_seen_at, expires_at, forget_prev)) =
        row
    else {
        return Ok(None);
    };
    let session = Session {
        profile: cols.into_profile(c)?,
        user_disabled: disabled_at.is_some(),
        device_id: parse_uuid(&device_id)?,
        device_revoked: revoked_at.is_some(),
        // A token row without expiry cannot exist (both are set and cleared together);
        // treat it as already expired rather than as eternal.
        expires_at: ts(expires_at.unwrap_or(0))?,
        last_seen_at: opt_ts(last_seen_at)?,
    };
    Ok(Some((session, forget_prev)))
}

impl AccountStore for SqliteStorage {
    fn ping(&self) -> Result<(), StorageError> {
        self.read(|c| {
            let one: i64 = c.query_row("SELECT count(*) FROM users WHERE 0", [], |r| r.get(0))?;
            debug_assert_eq!(one, 0);
            Ok(())
        })
    }

    fn create_user(
        &self,
        user: &NewUser,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<PublicProfile, StorageError> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let inserted = tx.execute(
                "INSERT INTO users (name, display_name, role, legal_role, password_hash, created_at, updated_at, unit) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                params![
                    user.name,
                    user.display_name,
                    user.role.as_str(),
                    user.legal_role.map(|l| l.as_str()),
                    password_hash,
                    now.millis(),
                    user.unit
                ],
            );
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(StorageError::UserExists),
                Err(e) => return Err(e.into()),
            }
            let id = tx.last_insert_rowid();
            {
                let mut stmt = tx.prepare_cached("INSERT INTO user_scopes (user_id, area_id) VALUES (?1, ?2)")?;
                for area in user.scope.areas() {
                    stmt.execute(params![id, area.as_str()])?;
                }
            }
            tx.commit()?;
            Ok(PublicProfile {
                id: UserId(id),
                name: user.name.clone(),
                display_name: user.display_name.clone(),
                role: user.role,
                legal_role: user.legal_role,
                scope: user.scope.clone(),
                unit: user.unit.clone(),
            })
        })
    }

    fn user_for_login(&self, name: &str) -> Result<Option<UserAuthRecord>, StorageError> {
        self.read(|c| {
            let row = c
                .query_row(
                    &format!(
                        "SELECT {}, u.password_hash, u.disabled_at FROM users u WHERE u.name = ?1",
                        ProfileCols::SELECT
                    ),
                    [name],
                    |r| {
                        Ok((
                            ProfileCols::read(r, 0)?,
                            r.get::<_, String>(ProfileCols::LEN)?,
                            r.get::<_, Option<i64>>(ProfileCols::LEN + 1)?,
                        ))
                    },
                )
                .optional()?;
            let Some((cols, password_hash, disabled_at)) = row else {
                return Ok(None);
            };
            Ok(Some(UserAuthRecord {
                profile: cols.into_profile(c)?,
                password_hash,
                disabled: disabled_at.is_some(),
            }))
        })
    }

    fn user_by_name(&self, name: &str) -> Result<Option<User>, StorageError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("{USER_SELECT} WHERE u.name = ?1"))?;
            let mut rows = stmt.query([name])?;
            match rows.next()? {
                Some(row) => Ok(Some(read_user(c, row)?)),
                None => Ok(None),
            }
        })
    }

    fn list_users(&self) -> Result<Vec<User>, StorageError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!("{USER_SELECT} ORDER BY u.name"))?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(read_user(c, row)?);
            }
            Ok(out)
        })
    }

    fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Keep the first disable time when disabling twice.
            let n = if disabled {
                tx.execute(
                    "UPDATE users SET disabled_at = coalesce(disabled_at, ?2), updated_at = ?2 WHERE name = ?1",
                    params![name, now.millis()],
                )?
            } else {
                tx.execute("UPDATE users SET disabled_at = NULL, updated_at = ?2 WHERE name = ?1", params![name, now.millis()])?
            };
            if n == 0 {
                return Err(StorageError::NotFound("user"));
            }
            if disabled {
                // Console sessions end with the account, in the same transaction: none survives.
                tx.execute(
                    "DELETE FROM console_sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)",
                    [name],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn set_password_hash(
        &self,
        name: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let id = user_id_by_name(&tx, name)?;
            tx.execute(
                "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, password_hash, now.millis()],
            )?;
            tx.execute(
                "UPDATE devices SET token_hash = NULL, token_expires_at = NULL, \
                 prev_token_hash = NULL, prev_token_expires_at = NULL WHERE user_id = ?1",
                [id],
            )?;
            tx.execute("DELETE FROM console_sessions WHERE user_id = ?1", [id])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn issue_device_token(&self, g: &TokenGrant) -> Result<(), StorageError> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let device = g.device_id.hyphenated().to_string();
            let existing: Option<(i64, Option<i64>)> = tx
                .query_row(
                    "SELECT user_id, revoked_at FROM devices WHERE device_id = ?1",
                    [&device],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match existing {
                Some((_, Some(_))) => return Err(StorageError::DeviceRevoked),
                Some((owner, None)) if owner != g.user_id.0 => {
                    return Err(StorageError::DeviceOfOtherUser);
                }
                _ => {}
            }
            tx.execute(
                "INSERT INTO devices (device_id, user_id, name, token_hash, token_expires_at, created_at, last_login_at, last_seen_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6) \
                 ON CONFLICT (device_id) DO UPDATE SET name = excluded.name, \
                   token_hash = excluded.token_hash, token_expires_at = excluded.token_expires_at, \
                   prev_token_hash = NULL, prev_token_expires_at = NULL, \
                   last_login_at = excluded.last_login_at, last_seen_at = excluded.last_seen_at",
                params![device, g.user_id.0, g.device_name, &g.token_hash[..], g.expires_at.millis(), g.now.millis()],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn session_by_token_hash(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<Session>, StorageError> {
        let found = self.read(|c| read_session(c, token_hash))?;
        let Some((session, forget_prev)) = found else {
            return Ok(None);
        };
        if forget_prev {
            // The device used its new token: it holds it, so the replaced one may die now.
            self.write(|c| {
                c.prepare_cached(
                    "UPDATE devices SET prev_token_hash = NULL, prev_token_expires_at = NULL \
                     WHERE token_hash = ?1",
                )?
                .execute([&token_hash[..]])?;
                Ok(())
            })?;
        }
        Ok(Some(session))
    }

    fn device_owner(&self, device_id: Uuid) -> Result<Option<UserId>, StorageError> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT user_id FROM devices WHERE device_id = ?1 AND revoked_at IS NULL",
            )?
            .query_row([device_id.hyphenated().to_string()], |r| r.get(0))
            .optional()?
            .map(UserId))
        })
    }

    fn drop_device_tokens(&self, device_id: Uuid) -> Result<(), StorageError> {
        self.write(|c| {
            c.execute(
                "UPDATE devices SET token_hash = NULL, token_expires_at = NULL, \
                 prev_token_hash = NULL, prev_token_expires_at = NULL WHERE device_id = ?1",
                [device_id.hyphenated().to_string()],
            )?;
            Ok(())
        })
    }

    fn rotate_device_token(
        &self,
        session_hash: &[u8; 32],
        new_hash: &[u8; 32],
        expires_at: Timestamp,
    ) -> Result<(), StorageError> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Called with the current token: it becomes the replaced one. Called with the
            // replaced one: it stays, and the current one (never used) is dropped.
            let n = tx.execute(
                "UPDATE devices SET prev_token_hash = token_hash, prev_token_expires_at = token_expires_at, \
                 token_hash = ?2, token_expires_at = ?3 WHERE token_hash = ?1 AND revoked_at IS NULL",
                params![&session_hash[..], &new_hash[..], expires_at.millis()],
            )? + tx.execute(
                "UPDATE devices SET token_hash = ?2, token_expires_at = ?3 \
                 WHERE prev_token_hash = ?1 AND revoked_at IS NULL",
                params![&session_hash[..], &new_hash[..], expires_at.millis()],
            )?;
            if n == 0 {
                return Err(StorageError::NotFound("token"));
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn touch_device(&self, device_id: Uuid, now: Timestamp) -> Result<(), StorageError> {
        self.write(|c| {
            c.execute(
                "UPDATE devices SET last_seen_at = max(coalesce(last_seen_at, 0), ?2) WHERE device_id = ?1",
                params![device_id.hyphenated().to_string(), now.millis()],
            )?;
            Ok(())
        })
    }

    fn list_devices(&self, user_name: Option<&str>) -> Result<Vec<DeviceInfo>, StorageError> {
        self.read(|c| {
            let order = "ORDER BY coalesce(d.last_seen_at, d.last_login_at) DESC, d.device_id";
            let mut out = Vec::new();
            if let Some(name) = user_name {
                user_id_by_name(c, name)?;
                let mut stmt =
                    c.prepare_cached(&format!("{DEVICE_SELECT} WHERE u.name = ?1 {order}"))?;
                let mut rows = stmt.query([name])?;
                while let Some(row) = rows.next()? {
                    out.push(read_device(row)?);
                }
            } else {
                let mut stmt = c.prepare_cached(&format!("{DEVICE_SELECT} {order}"))?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    out.push(read_device(row)?);
                }
            }
            Ok(out)
        })
    }

    fn revoke_device(&self, device_id: Uuid, now: Timestamp) -> Result<(), StorageError> {
        self.write(|c| {
            // The token hash is kept so that the holder is told `device_revoked` (and can wipe
            // local data) instead of a generic `unauthorized`.
            let n = c.execute(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE device_id = ?1",
                params![device_id.hyphenated().to_string(), now.millis()],
            )?;
            if n == 0 {
                Err(StorageError::NotFound("device"))
            } else {
                Ok(())
            }
        })
    }

    fn upsert_area(&self, area: &Area, now: Timestamp) -> Result<(), StorageError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO areas (id, level, name, created_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (id) DO UPDATE SET level = excluded.level, name = excluded.name",
                params![
                    area.id.as_str(),
                    area.level.as_str(),
                    area.name,
                    now.millis()
                ],
            )?;
            Ok(())
        })
    }

    fn list_areas(&self) -> Result<Vec<Area>, StorageError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT id, level, name FROM areas ORDER BY id")?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let id: String = row.get(0)?;
                let level: String = row.get(1)?;
                out.push(Area {
                    id: GridId::parse(&id)
                        .ok_or_else(|| StorageError::Corrupt("area id".into()))?,
                    level: AreaLevel::parse(&level)
                        .ok_or_else(|| StorageError::Corrupt("area level".into()))?,
                    name: row.get(2)?,
                });
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms).unwrap()
    }

    fn worker(name: &str) -> NewUser {
        NewUser::new(
            name,
            Some("王伟"),
            Role::GridWorker,
            None,
            Scope::parse_list("jingkou-zhengdonglu-03").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn open_is_idempotent_and_uses_wal() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path().join("data")).unwrap();
        assert_eq!(
            s.schema_version().unwrap(),
            migrations::MIGRATIONS.len() as i64
        );
        drop(s);
        let s = SqliteStorage::open(dir.path().join("data")).unwrap();
        let mode: String = s
            .read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
        s.ping().unwrap();
    }

    #[test]
    fn users_round_trip_and_names_are_unique() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        let p = s
            .create_user(&worker("wang.wei"), "$argon2id$x", t(1000))
            .unwrap();
        assert!(matches!(
            s.create_user(&worker("wang.wei"), "h", t(1000)),
            Err(StorageError::UserExists)
        ));
        let rec = s.user_for_login("wang.wei").unwrap().unwrap();
        assert_eq!(rec.profile, p);
        assert_eq!(rec.password_hash, "$argon2id$x");
        assert!(s.user_for_login("nobody").unwrap().is_none());
        s.set_user_disabled("wang.wei", true, t(2000)).unwrap();
        assert!(s.user_by_name("wang.wei").unwrap().unwrap().disabled);
        s.set_user_disabled("wang.wei", false, t(3000)).unwrap();
        assert!(!s.list_users().unwrap()[0].disabled);
        assert!(matches!(
            s.set_user_disabled("nobody", true, t(1)),
            Err(StorageError::NotFound("user"))
        ));
    }

    #[test]
    fn tokens_bind_to_devices_and_revocation_sticks() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        let p = s.create_user(&worker("wang.wei"), "h", t(1000)).unwrap();
        let device = Uuid::now_v7();
        let grant = |hash: u8, now: i64| TokenGrant {
            user_id: p.id,
            device_id: device,
            device_name: "Phone".into(),
            token_hash: [hash; 32],
            expires_at: t(now + 10_000),
            now: t(now),
        };
        s.issue_device_token(&grant(1, 1000)).unwrap();
        assert!(s.session_by_token_hash(&[1; 32]).unwrap().is_some());
        // A new login from the same device replaces the token.
        s.issue_device_token(&grant(2, 2000)).unwrap();
        assert!(s.session_by_token_hash(&[1; 32]).unwrap().is_none());
        let session = s.session_by_token_hash(&[2; 32]).unwrap().unwrap();
        assert_eq!(session.device_id, device);
        assert_eq!(session.expires_at, t(12_000));
        s.touch_device(device, t(5000)).unwrap();
        s.touch_device(device, t(4000)).unwrap();
        assert_eq!(
            s.list_devices(Some("wang.wei")).unwrap()[0].last_seen_at,
            Some(t(5000))
        );
        s.revoke_device(device, t(6000)).unwrap();
        assert!(
            s.session_by_token_hash(&[2; 32])
                .unwrap()
                .unwrap()
                .device_revoked
        );
        assert!(matches!(
            s.issue_device_token(&grant(3, 7000)),
            Err(StorageError::DeviceRevoked)
        ));
        assert!(matches!(
            s.revoke_device(Uuid::now_v7(), t(1)),
            Err(StorageError::NotFound("device"))
        ));
        assert!(matches!(
            s.list_devices(Some("nobody")),
            Err(StorageError::NotFound("user"))
        ));
    }

    #[test]
    fn a_device_belongs_to_its_first_user() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        let wang = s.create_user(&worker("wang.wei"), "h", t(1000)).unwrap();
        let li = s.create_user(&worker("li.na"), "h", t(1000)).unwrap();
        let device = Uuid::now_v7();
        let grant = |user: UserId, hash: u8| TokenGrant {
            user_id: user,
            device_id: device,
            device_name: "Phone".into(),
            token_hash: [hash; 32],
            expires_at: t(99_000),
            now: t(2000),
        };
        s.issue_device_token(&grant(wang.id, 1)).unwrap();
        assert!(matches!(
            s.issue_device_token(&grant(li.id, 2)),
            Err(StorageError::DeviceOfOtherUser)
        ));
        let still = s.session_by_token_hash(&[1; 32]).unwrap().unwrap();
        assert_eq!(still.profile.id, wang.id, "the first user stays signed in");
        assert!(s.session_by_token_hash(&[2; 32]).unwrap().is_none());
        assert_eq!(s.device_owner(device).unwrap(), Some(wang.id));
        assert_eq!(s.device_owner(Uuid::now_v7()).unwrap(), None);
        s.revoke_device(device, t(3000)).unwrap();
        assert_eq!(s.device_owner(device).unwrap(), None, "revoked");
    }

    #[test]
    fn rotation_keeps_the_old_token_until_the_new_one_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        let p = s.create_user(&worker("wang.wei"), "h", t(1000)).unwrap();
        let device = Uuid::now_v7();
        s.issue_device_token(&TokenGrant {
            user_id: p.id,
            device_id: device,
            device_name: "Phone".into(),
            token_hash: [1; 32],
            expires_at: t(10_000),
            now: t(1000),
        })
        .unwrap();
        s.rotate_device_token(&[1; 32], &[2; 32], t(20_000))
            .unwrap();
        // The answer was lost: the device rotates again with its old token.
        assert!(s.session_by_token_hash(&[1; 32]).unwrap().is_some());
        s.rotate_device_token(&[1; 32], &[3; 32], t(30_000))
            .unwrap();
        assert!(
            s.session_by_token_hash(&[2; 32]).unwrap().is_none(),
            "never used, dropped"
        );
        assert_eq!(
            s.session_by_token_hash(&[1; 32])
                .unwrap()
                .unwrap()
                .expires_at,
            t(10_000),
            "the old token keeps its own expiry"
        );
        // The first use of the new token ends the old one.
        let new = s.session_by_token_hash(&[3; 32]).unwrap().unwrap();
        assert_eq!(new.expires_at, t(30_000));
        assert!(s.session_by_token_hash(&[1; 32]).unwrap().is_none());
        assert!(matches!(
            s.rotate_device_token(&[1; 32], &[4; 32], t(40_000)),
            Err(StorageError::NotFound("token"))
        ));
        s.drop_device_tokens(device).unwrap();
        assert!(
            s.session_by_token_hash(&[3; 32]).unwrap().is_none(),
            "logged out"
        );
        assert_eq!(
            s.device_owner(device).unwrap(),
            Some(p.id),
            "still registered"
        );
    }

    #[test]
    fn new_password_signs_out_every_device() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        let p = s.create_user(&worker("wang.wei"), "old", t(1000)).unwrap();
        let device = Uuid::now_v7();
        s.issue_device_token(&TokenGrant {
            user_id: p.id,
            device_id: device,
            device_name: "Phone".into(),
            token_hash: [9; 32],
            expires_at: t(99_000),
            now: t(1000),
        })
        .unwrap();
        s.set_password_hash("wang.wei", "new", t(2000)).unwrap();
        assert!(s.session_by_token_hash(&[9; 32]).unwrap().is_none());
        assert_eq!(
            s.user_for_login("wang.wei").unwrap().unwrap().password_hash,
            "new"
        );
        assert_eq!(
            s.list_devices(None).unwrap().len(),
            1,
            "the device itself stays"
        );
    }

    #[test]
    fn areas_upsert() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        let id = GridId::parse("jingkou-zhengdonglu").unwrap();
        s.upsert_area(
            &Area {
                id: id.clone(),
                level: AreaLevel::Township,
                name: "x".into(),
            },
            t(1),
        )
        .unwrap();
        s.upsert_area(
            &Area {
                id: id.clone(),
                level: AreaLevel::Township,
                name: "正东路街道".into(),
            },
            t(2),
        )
        .unwrap();
        assert_eq!(
            s.list_areas().unwrap(),
            vec![Area {
                id,
                level: AreaLevel::Township,
                name: "正东路街道".into()
            }]
        );
    }
}

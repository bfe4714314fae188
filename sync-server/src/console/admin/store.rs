//! The admin console's writes on [`SqliteStorage`], each one IMMEDIATE transaction that also
//! writes its `console_audit` row, so a change is never made without its record (and an audit
//! row never names a change that was rolled back).
//!
//! Invariants: inputs are already checked by the handlers (`super::input`); a change of role or
//! legal role, disabling, and a new password end the user's console sessions in the same
//! transaction (no stale session survives the account change); a new password also clears the
//! device tokens (as `user set-password` does); audit rows never hold a password.

use gridmate_domain::reference::Unit;
use gridmate_domain::{LegalRole, Role, Timestamp};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use uuid::Uuid;

use crate::model::{Area, NewUser, UserId};
use crate::scope::Scope;
use crate::storage::{SqliteStorage, StorageError};

/// Who changed what, for `console_audit`.
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    pub actor: UserId,
    /// e.g. `user.add`, `user.update`, `user.password`, `device.revoke`, `area.boundary`.
    pub action: &'static str,
    /// e.g. `user:li.na`, `device:<uuid>`, `area:jingkou-zhengdonglu`.
    pub target: &'a str,
    pub at: Timestamp,
}

/// A checked change of one user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub display_name: Option<Option<String>>,
    /// The new (role, legal role) pair, already checked together.
    pub role: Option<(Role, Option<LegalRole>)>,
    pub scope: Option<Scope>,
    pub unit: Option<Option<String>>,
    pub disabled: Option<bool>,
    /// A new password hash: the user's device tokens and console sessions end too.
    pub password_hash: Option<String>,
}

/// An audit row as the admin reads it back.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub user_id: i64,
    pub action: String,
    pub target: Option<String>,
    /// UTC ms.
    pub at: i64,
}

pub(crate) fn audit(tx: &Connection, a: &Audit<'_>) -> Result<(), StorageError> {
    tx.prepare_cached(
        "INSERT INTO console_audit (user_id, action, target, at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![a.actor.0, a.action, a.target, a.at.millis()])?;
    Ok(())
}

fn immediate<T>(
    db: &SqliteStorage,
    f: impl FnOnce(&Transaction<'_>) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    db.write(|c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    })
}

fn user_id(tx: &Connection, name: &str) -> Result<i64, StorageError> {
    tx.query_row("SELECT id FROM users WHERE name = ?1", [name], |r| r.get(0))
        .optional()?
        .ok_or(StorageError::NotFound("user"))
}

fn end_console_sessions(tx: &Connection, id: i64) -> Result<(), StorageError> {
    tx.execute("DELETE FROM console_sessions WHERE user_id = ?1", [id])?;
    Ok(())
}

/// The admin console's storage.
pub trait AdminStore {
    /// Creates a user (disabled from the start when asked); [`StorageError::UserExists`] if
    /// the name is taken.
    fn admin_create_user(
        &self,
        u: &NewUser,
        hash: &str,
        disabled: bool,
        a: &Audit<'_>,
    ) -> Result<(), StorageError>;
    fn admin_update_user(
        &self,
        name: &str,
        change: &UserChange,
        a: &Audit<'_>,
    ) -> Result<(), StorageError>;
    fn admin_set_password(&self, name: &str, hash: &str, a: &Audit<'_>)
    -> Result<(), StorageError>;
    fn admin_revoke_device(&self, device: Uuid, a: &Audit<'_>) -> Result<(), StorageError>;
    fn admin_upsert_area(&self, area: &Area, a: &Audit<'_>) -> Result<(), StorageError>;
    fn admin_upsert_unit(&self, unit: &Unit, a: &Audit<'_>) -> Result<(), StorageError>;
    /// The newest audit rows first.
    fn audit_rows(&self, limit: u32) -> Result<Vec<AuditRow>, StorageError>;
}

impl AdminStore for SqliteStorage {
    fn admin_create_user(
        &self,
        u: &NewUser,
        hash: &str,
        disabled: bool,
        a: &Audit<'_>,
    ) -> Result<(), StorageError> {
        immediate(self, |tx| {
            let exists = tx
                .query_row("SELECT 1 FROM users WHERE name = ?1", [&u.name], |_| Ok(()))
                .optional()?;
            if exists.is_some() {
                return Err(StorageError::UserExists);
            }
            tx.execute(
                "INSERT INTO users (name, display_name, role, legal_role, password_hash, \
                 created_at, updated_at, unit, disabled_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, CASE WHEN ?8 THEN ?6 END)",
                params![
                    u.name,
                    u.display_name,
                    u.role.as_str(),
                    u.legal_role.map(|l| l.as_str()),
                    hash,
                    a.at.millis(),
                    u.unit,
                    disabled
                ],
            )?;
            let id = tx.last_insert_rowid();
            set_scope(tx, id, &u.scope)?;
            audit(tx, a)
        })
    }

    fn admin_update_user(
        &self,
        name: &str,
        change: &UserChange,
        a: &Audit<'_>,
    ) -> Result<(), StorageError> {
        immediate(self, |tx| {
            let id = user_id(tx, name)?;
            let now = a.at.millis();
            if let Some(d) = &change.display_name {
                tx.execute(
                    "UPDATE users SET display_name = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, d, now],
                )?;
            }
            if let Some((role, legal)) = change.role {
                tx.execute(
                    "UPDATE users SET role = ?2, legal_role = ?3, updated_at = ?4 WHERE id = ?1",
                    params![id, role.as_str(), legal.map(|l| l.as_str()), now],
                )?;
                end_console_sessions(tx, id)?;
            }
            if let Some(scope) = &change.scope {
                set_scope(tx, id, scope)?;
            }
            if let Some(unit) = &change.unit {
                tx.execute(
                    "UPDATE users SET unit = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, unit, now],
                )?;
            }
            match change.disabled {
                Some(true) => {
                    tx.execute(
                        "UPDATE users SET disabled_at = coalesce(disabled_at, ?2), \
                         updated_at = ?2 WHERE id = ?1",
                        params![id, now],
                    )?;
                    end_console_sessions(tx, id)?;
                }
                Some(false) => {
                    tx.execute(
                        "UPDATE users SET disabled_at = NULL, updated_at = ?2 WHERE id = ?1",
                        params![id, now],
                    )?;
                }
                None => {}
            }
            if let Some(hash) = &change.password_hash {
                new_password(tx, id, hash, a.at)?;
                audit(
                    tx,
                    &Audit {
                        action: "user.password",
                        ..*a
                    },
                )?;
            }
            audit(tx, a)
        })
    }

    fn admin_set_password(
        &self,
        name: &str,
        hash: &str,
        a: &Audit<'_>,
    ) -> Result<(), StorageError> {
        immediate(self, |tx| {
            let id = user_id(tx, name)?;
            new_password(tx, id, hash, a.at)?;
            audit(tx, a)
        })
    }

    fn admin_revoke_device(&self, device: Uuid, a: &Audit<'_>) -> Result<(), StorageError> {
        immediate(self, |tx| {
            let n = tx.execute(
                "UPDATE devices SET revoked_at = coalesce(revoked_at, ?2) WHERE device_id = ?1",
                params![device.hyphenated().to_string(), a.at.millis()],
            )?;
            if n == 0 {
                return Err(StorageError::NotFound("device"));
            }
            audit(tx, a)
        })
    }

    fn admin_upsert_area(&self, area: &Area, a: &Audit<'_>) -> Result<(), StorageError> {
        immediate(self, |tx| {
            tx.execute(
                "INSERT INTO areas (id, level, name, created_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (id) DO UPDATE SET level = excluded.level, name = excluded.name",
                params![
                    area.id.as_str(),
                    area.level.as_str(),
                    area.name,
                    a.at.millis()
                ],
            )?;
            audit(tx, a)
        })
    }

    fn admin_upsert_unit(&self, unit: &Unit, a: &Audit<'_>) -> Result<(), StorageError> {
        immediate(self, |tx| {
            tx.execute(
                "INSERT INTO units (id, name, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                params![unit.id, unit.name, a.at.millis()],
            )?;
            audit(tx, a)
        })
    }

    fn audit_rows(&self, limit: u32) -> Result<Vec<AuditRow>, StorageError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, user_id, action, target, at FROM console_audit \
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok(AuditRow {
                    id: r.get(0)?,
                    user_id: r.get(1)?,
                    action: r.get(2)?,
                    target: r.get(3)?,
                    at: r.get(4)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

/// A new password hash; the user is signed out of every device and console session.
fn new_password(tx: &Connection, id: i64, hash: &str, at: Timestamp) -> Result<(), StorageError> {
    tx.execute(
        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, hash, at.millis()],
    )?;
    tx.execute(
        "UPDATE devices SET token_hash = NULL, token_expires_at = NULL, \
         prev_token_hash = NULL, prev_token_expires_at = NULL WHERE user_id = ?1",
        [id],
    )?;
    end_console_sessions(tx, id)
}

fn set_scope(tx: &Connection, id: i64, scope: &Scope) -> Result<(), StorageError> {
    tx.execute("DELETE FROM user_scopes WHERE user_id = ?1", [id])?;
    let mut stmt =
        tx.prepare_cached("INSERT INTO user_scopes (user_id, area_id) VALUES (?1, ?2)")?;
    for area in scope.areas() {
        stmt.execute(params![id, area.as_str()])?;
    }
    Ok(())
}

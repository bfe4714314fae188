//! The reference data's storage on [`SqliteStorage`]: units, the unit and display name of a user,
//! and the [`Directory`] `GET /v1/reference` is cut from (areas, units and active users, read in
//! one snapshot).
//!
//! Invariants: inputs are already checked (`crate::reference`); a user's unit always names a row
//! of `units` (foreign key), which callers check first to answer `unknown_unit` instead of a
//! constraint failure.

use gridmate_domain::Timestamp;
use gridmate_domain::reference::Unit;
use rusqlite::{OptionalExtension, params};

use super::sqlite::{ProfileCols, user_id_by_name};
use super::{AccountStore, SqliteStorage, StorageError};
use crate::reference::Directory;

impl SqliteStorage {
    /// Inserts or renames a unit.
    pub fn upsert_unit(&self, unit: &Unit, now: Timestamp) -> Result<(), StorageError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO units (id, name, created_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                params![unit.id, unit.name, now.millis()],
            )?;
            Ok(())
        })
    }

    pub fn list_units(&self) -> Result<Vec<Unit>, StorageError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached("SELECT id, name FROM units ORDER BY id")?;
            let rows = stmt.query_map([], |r| {
                Ok(Unit {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    pub fn unit_exists(&self, id: &str) -> Result<bool, StorageError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT 1 FROM units WHERE id = ?1", [id], |_| Ok(()))
                    .optional()?
                    .is_some(),
            )
        })
    }

    /// Sets (or with `None` clears) the unit a user acts for. [`StorageError::NotFound`] for an
    /// unknown user.
    pub fn set_user_unit(
        &self,
        name: &str,
        unit: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        self.write(|c| {
            let id = user_id_by_name(c, name)?;
            c.execute(
                "UPDATE users SET unit = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, unit, now.millis()],
            )?;
            Ok(())
        })
    }

    /// Sets (or with `None` clears) a user's display name.
    pub fn set_display_name(
        &self,
        name: &str,
        display_name: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StorageError> {
        self.write(|c| {
            let id = user_id_by_name(c, name)?;
            c.execute(
                "UPDATE users SET display_name = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, display_name, now.millis()],
            )?;
            Ok(())
        })
    }

    /// Areas, units and active users, for `crate::reference::reference_for`.
    pub fn directory(&self) -> Result<Directory, StorageError> {
        let areas = self.list_areas()?;
        let units = self.list_units()?;
        let users = self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {} FROM users u WHERE u.disabled_at IS NULL ORDER BY u.name",
                ProfileCols::SELECT
            ))?;
            let cols: Vec<ProfileCols> = stmt
                .query_map([], |r| ProfileCols::read(r, 0))?
                .collect::<Result<_, _>>()?;
            cols.into_iter().map(|p| p.into_profile(c)).collect()
        })?;
        Ok(Directory {
            areas,
            units,
            users,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::{NewUser, Role};
    use crate::scope::Scope;

    #[test]
    fn units_and_a_users_unit_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path()).unwrap();
        let now = Timestamp::from_millis(1).unwrap();
        let sfs = Unit {
            id: "jingkou-zhengdonglu-sfs".into(),
            name: "司法所".into(),
        };
        s.upsert_unit(&sfs, now).unwrap();
        s.upsert_unit(
            &Unit {
                name: "正东路司法所".into(),
                ..sfs.clone()
            },
            now,
        )
        .unwrap();
        assert_eq!(s.list_units().unwrap()[0].name, "正东路司法所");
        assert!(s.unit_exists(&sfs.id).unwrap());
        assert!(!s.unit_exists("nope").unwrap());
        let scope = Scope::parse_list("jingkou-jianshelu").unwrap();
        let new = NewUser::new("chen.jing", None, Role::GridWorker, None, scope)
            .unwrap()
            .with_unit(Some(sfs.id.clone()));
        s.create_user(&new, "h", now).unwrap();
        let got = s.user_by_name("chen.jing").unwrap().unwrap().profile;
        assert_eq!(got.unit.as_deref(), Some(sfs.id.as_str()));
        s.set_user_unit("chen.jing", None, now).unwrap();
        s.set_display_name("chen.jing", Some("陈静"), now).unwrap();
        let got = s.user_for_login("chen.jing").unwrap().unwrap().profile;
        assert_eq!(
            (got.unit, got.display_name.as_deref()),
            (None, Some("陈静"))
        );
        assert!(matches!(
            s.set_user_unit("nobody", None, now),
            Err(StorageError::NotFound("user"))
        ));
        // The foreign key holds even if a caller skipped the check.
        assert!(s.set_user_unit("chen.jing", Some("nope"), now).is_err());
        s.set_user_disabled("chen.jing", true, now).unwrap();
        assert!(
            s.directory().unwrap().users.is_empty(),
            "disabled users are not colleagues"
        );
    }
}

//! The schema of `server.db` as an append-only list of SQL steps, tracked with
//! `PRAGMA user_version` (= number of steps applied).
//!
//! Invariants: steps are never edited or reordered once released — a change is a new step at the
//! end. Each step runs in its own `BEGIN IMMEDIATE` transaction together with the `user_version`
//! bump, so a crash leaves the database at a step boundary, and two processes opening the same
//! database at once (the server and an admin CLI command) cannot both apply a step. A database
//! whose version is newer than this build is refused rather than misread.

use rusqlite::{Connection, TransactionBehavior};

use super::StorageError;

/// The steps, in order. Append new steps (e.g. the record-sync tables) at the end.
pub const MIGRATIONS: &[&str] = &[
    // 1: accounts, devices and the area catalogue.
    r#"
    CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        name          TEXT    NOT NULL UNIQUE,
        display_name  TEXT,
        role          TEXT    NOT NULL
                      CHECK (role IN ('grid_worker', 'legal_volunteer', 'dispatcher', 'admin')),
        legal_role    TEXT
                      CHECK (legal_role IN ('judge', 'prosecutor', 'police_officer', 'lawyer')),
        password_hash TEXT    NOT NULL,
        disabled_at   INTEGER,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        CHECK ((role = 'legal_volunteer') = (legal_role IS NOT NULL))
    ) STRICT;

    -- One row per scope entry; area ids are GridId slugs (see scope.rs for coverage rules).
    CREATE TABLE user_scopes (
        user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        area_id TEXT    NOT NULL,
        PRIMARY KEY (user_id, area_id)
    ) STRICT, WITHOUT ROWID;

    -- A device is the app install that generated `device_id`. It holds at most one live token,
    -- stored only as its SHA-256; revocation is permanent for that device id.
    CREATE TABLE devices (
        device_id        TEXT    PRIMARY KEY,
        user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name             TEXT    NOT NULL,
        token_hash       BLOB    UNIQUE,
        token_expires_at INTEGER,
        created_at       INTEGER NOT NULL,
        last_login_at    INTEGER NOT NULL,
        last_seen_at     INTEGER,
        revoked_at       INTEGER
    ) STRICT;
    CREATE INDEX devices_user ON devices (user_id);

    CREATE TABLE areas (
        id         TEXT    PRIMARY KEY,
        level      TEXT    NOT NULL
                   CHECK (level IN ('city', 'county', 'township', 'community', 'grid')),
        name       TEXT    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    "#,
    // 2: record sync (the change log, records, actors, held changes, rejections).
    crate::sync::schema::SYNC_MIGRATION,
    // 3: each record's projection and first logged change (protocol 3 pulls).
    crate::sync::schema::PROJECTION_MIGRATION,
    // 4: the units disputes are assigned to (司法所, 派出所, ...) and the unit a user acts for.
    r#"
    CREATE TABLE units (
        id         TEXT    PRIMARY KEY,
        name       TEXT    NOT NULL,
        created_at INTEGER NOT NULL
    ) STRICT;
    ALTER TABLE users ADD COLUMN unit TEXT REFERENCES units (id);
    "#,
    // 5: each dispute's current assignee, and the assignments that ended (protocol 4 pulls).
    crate::sync::schema::ASSIGNMENT_MIGRATION,
    // 6: held changes counted per device and user and expired by age (`sync::held`).
    crate::sync::schema::HELD_MIGRATION,
    // 7: token rotation: the token a rotation replaced, valid until the new one is first used.
    // (SQLite cannot add a UNIQUE column: the uniqueness is an index.)
    r#"
    ALTER TABLE devices ADD COLUMN prev_token_hash BLOB;
    ALTER TABLE devices ADD COLUMN prev_token_expires_at INTEGER;
    CREATE UNIQUE INDEX devices_prev_token ON devices (prev_token_hash);
    "#,
    // 8: each user's pushes by time, so the write budget (`sync::limits`) is counted cheaply.
    r#"
    CREATE INDEX sync_changes_pushed_by ON sync_changes (pushed_by, received_at);
    CREATE INDEX sync_held_pushed_by ON sync_held (pushed_by, received_at);
    "#,
    // 9: the command-centre console: sessions, the record index and its full-text index, audit.
    crate::console::schema::CONSOLE_MIGRATION,
    // 10: the console case list's indexes and the settings its index derives with.
    crate::console::schema::CASES_MIGRATION,
    // 11: the console's statistics, supervision and map indexes (covering, partial).
    crate::console::stats::STATS_MIGRATION,
    // 12: grid boundaries of the console's map, and the target of an admin audit row.
    crate::console::boundary::BOUNDARY_MIGRATION,
    // 13: console actions: each console user's Automerge actor, answered hotline intake requests.
    crate::console::actions::ACTIONS_MIGRATION,
    // 14: the console's full-text index merged in the background (`console::fts_merge`).
    crate::console::fts_merge::FTS_MERGE_MIGRATION,
    // 15: the case list's index covers every filter column.
    crate::console::schema::LIST_INDEX_MIGRATION,
    // 16: disputes' full-text entries carry their kind's token (re-indexed at the next start).
    crate::console::schema::KIND_TOKEN_MIGRATION,
    // 17: each index row keeps a digest of its full-text tokens (an unchanged entry is kept).
    crate::console::schema::TOKENS_KEY_MIGRATION,
    // 18: a search's matches are looked up in an index keyed by the record's rowid.
    crate::console::schema::MATCH_INDEX_MIGRATION,
    // 19: the console index is written by the console indexer, up to a watermark of the log.
    crate::console::indexer::WATERMARK_MIGRATION,
];

/// Brings `conn` to the latest version of [`MIGRATIONS`]; returns the resulting version.
pub fn migrate(conn: &mut Connection) -> Result<usize, StorageError> {
    apply(conn, MIGRATIONS)
}

/// Applies the steps of `steps` that the database has not seen yet. Separate from [`migrate`] so
/// tests can simulate older and newer builds.
pub fn apply(conn: &mut Connection, steps: &[&str]) -> Result<usize, StorageError> {
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Read inside the write transaction: another process may have migrated meanwhile.
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let version = usize::try_from(version)
            .map_err(|_| StorageError::Corrupt("negative user_version".into()))?;
        if version > steps.len() {
            return Err(StorageError::SchemaTooNew {
                found: version,
                supported: steps.len(),
            });
        }
        let Some(step) = steps.get(version) else {
            tx.commit()?;
            return Ok(version);
        };
        tx.execute_batch(step)?;
        // PRAGMA takes no bound parameters; the value is our own integer.
        tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
        tx.commit()?;
        tracing::info!(version = version + 1, "database migrated");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn version(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn fresh_database_reaches_latest() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(version(&conn), MIGRATIONS.len() as i64);
        let t = tables(&conn);
        for name in ["areas", "devices", "units", "user_scopes", "users"] {
            assert!(t.iter().any(|x| x == name), "missing table {name}");
        }
    }

    #[test]
    fn older_database_upgrades_and_keeps_data() {
        let steps = [
            "CREATE TABLE a (x INTEGER);",
            "INSERT INTO a (x) VALUES (1);",
            "ALTER TABLE a ADD COLUMN y TEXT; UPDATE a SET y = 'up';",
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            assert_eq!(apply(&mut conn, &steps[..2]).unwrap(), 2);
        }
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(apply(&mut conn, &steps).unwrap(), 3);
        let (x, y): (i64, String) = conn
            .query_row("SELECT x, y FROM a", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((x, y.as_str()), (1, "up"));
    }

    #[test]
    fn applying_twice_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        let steps = [
            "CREATE TABLE a (x INTEGER);",
            "INSERT INTO a (x) VALUES (1);",
        ];
        apply(&mut conn, &steps).unwrap();
        assert_eq!(apply(&mut conn, &steps).unwrap(), 2);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        migrate(&mut Connection::open(dir.path().join("u.db")).unwrap()).unwrap();
    }

    #[test]
    fn failing_step_rolls_back_to_the_previous_version() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        let steps = [
            "CREATE TABLE a (x INTEGER);",
            "CREATE TABLE b (y INTEGER); NOT SQL;",
        ];
        assert!(apply(&mut conn, &steps).is_err());
        assert_eq!(version(&conn), 1);
        assert!(!tables(&conn).iter().any(|t| t == "b"));
    }

    #[test]
    fn newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        apply(
            &mut conn,
            &["CREATE TABLE a (x INTEGER);", "CREATE TABLE b (x INTEGER);"],
        )
        .unwrap();
        let err = apply(&mut conn, &["CREATE TABLE a (x INTEGER);"]).unwrap_err();
        assert!(matches!(
            err,
            StorageError::SchemaTooNew {
                found: 2,
                supported: 1
            }
        ));
    }
}

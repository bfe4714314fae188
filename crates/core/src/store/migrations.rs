//! The store's schema, as an append-only list of migrations. The version applied is SQLite's
//! `user_version`; each step runs in the same transaction as the version bump, so a crash leaves
//! the database at the old or the new version, never between. Never edit a released step: a phone
//! in the field may hold a database at any earlier version, and app updates must not break drafts.

use rusqlite::{Connection, TransactionBehavior};

/// Append-only. Index i upgrades a database from version i to i + 1.
pub const MIGRATIONS: &[&str] = &[
    // 1: records, their documents, search and sync bookkeeping.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;

    -- Every Automerge actor this install has written with (see docs/architecture.md).
    CREATE TABLE actors (
        actor         TEXT PRIMARY KEY,
        first_used_at INTEGER NOT NULL
    ) STRICT;

    -- The projection: the columns the app queries. Rebuilt from the document on every save.
    CREATE TABLE records (
        rowid       INTEGER PRIMARY KEY,
        id          TEXT NOT NULL UNIQUE,
        kind        TEXT NOT NULL,
        grid_id     TEXT NOT NULL,
        status      TEXT,
        risk_level  TEXT,
        occurred_at INTEGER NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        deleted_at  INTEGER,
        created_by  TEXT NOT NULL,
        title       TEXT NOT NULL,
        sync_state  TEXT NOT NULL
            CHECK (sync_state IN ('local_only', 'pending', 'synced', 'rejected')),
        quarantine  TEXT
    ) STRICT;
    CREATE INDEX records_kind_time ON records (kind, occurred_at DESC, id DESC)
        WHERE deleted_at IS NULL;
    CREATE INDEX records_kind_status_time ON records (kind, status, occurred_at DESC, id DESC)
        WHERE deleted_at IS NULL;
    CREATE INDEX records_grid_time ON records (grid_id, occurred_at DESC, id DESC)
        WHERE deleted_at IS NULL;
    CREATE INDEX records_sync_state ON records (sync_state) WHERE sync_state <> 'synced';

    -- The Automerge document of each record (the source of truth).
    CREATE TABLE documents (
        record_rowid INTEGER PRIMARY KEY REFERENCES records (rowid),
        doc          BLOB NOT NULL,
        heads        BLOB NOT NULL
    ) STRICT;

    -- What the server has acknowledged, and why it refused a record.
    CREATE TABLE record_sync (
        record_rowid   INTEGER PRIMARY KEY REFERENCES records (rowid),
        synced_heads   BLOB,
        rejected_code  TEXT,
        rejected_reason TEXT
    ) STRICT;

    CREATE VIRTUAL TABLE records_fts USING fts5 (
        tokens, content = '', contentless_delete = 1, tokenize = 'unicode61'
    );
    "#,
    // 2: pulled documents this app version cannot read, kept until an update can.
    r#"
    CREATE TABLE unreadable_docs (
        id          TEXT PRIMARY KEY,
        grid_id     TEXT NOT NULL,
        doc         BLOB NOT NULL,
        reason      TEXT NOT NULL,
        received_at INTEGER NOT NULL
    ) STRICT;
    "#,
    // 3: what the app needs: form drafts kept while typing, a sync log, and the follow-up due date
    // in the projection (rows saved before this step get it on their next save).
    r#"
    CREATE TABLE drafts (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE sync_log (
        id       INTEGER PRIMARY KEY,
        at       INTEGER NOT NULL,
        ok       INTEGER NOT NULL,
        pushed   INTEGER NOT NULL,
        pulled   INTEGER NOT NULL,
        rejected INTEGER NOT NULL,
        error    TEXT
    ) STRICT;
    ALTER TABLE records ADD COLUMN due_at INTEGER;
    CREATE INDEX records_due ON records (due_at) WHERE due_at IS NOT NULL AND deleted_at IS NULL;
    "#,
    // 4: the search index merges its segments in `Store::maintain` (after syncs, on close), not
    // inside a user's save, which an automatic merge would make noticeably slow (W4,
    // docs/benchmarks.md).
    r#"
    INSERT INTO records_fts (records_fts, rank) VALUES ('automerge', 0);
    INSERT INTO records_fts (records_fts, rank) VALUES ('crisismerge', 64);
    "#,
    // 5: a new store's search index takes our tokens as they are (`ascii`); see SEARCH_ASCII.
    SEARCH_ASCII,
    // 6: each record's outbox, its local changes since the server acknowledged it, kept at save
    // time (store/outbox.rs). Empty on upgrade: records saved before push as they did.
    r#"
    ALTER TABLE record_sync ADD COLUMN unsent BLOB;
    ALTER TABLE record_sync ADD COLUMN unsent_from BLOB;
    ALTER TABLE record_sync ADD COLUMN unsent_to BLOB;
    "#,
    // 7: rows `gridmate import` has written, by the hash of the row's canonical draft, so that
    // importing a ledger again (or a grown copy of it) adds only the rows not seen before
    // (store/imports.rs). Empty on upgrade.
    r#"
    CREATE TABLE imports (
        row_hash    BLOB PRIMARY KEY,
        record_id   TEXT NOT NULL,
        imported_at INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    "#,
    // 8: what a dispute's workflow derives, for the task list and the "assigned to me" and
    // "overdue" filters (store/projection.rs): who holds it, whether it is supervised, the level
    // handling it. `due_at` (step 3) also holds a dispute's current step deadline. Filled for
    // existing disputes at the first opening after this step (`Store::refresh_deadlines`).
    r#"
    ALTER TABLE records ADD COLUMN assignee_user TEXT;
    ALTER TABLE records ADD COLUMN assignee_unit TEXT;
    ALTER TABLE records ADD COLUMN supervised INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE records ADD COLUMN level TEXT;
    CREATE INDEX records_assignee_user ON records (assignee_user, status)
        WHERE assignee_user IS NOT NULL AND deleted_at IS NULL;
    CREATE INDEX records_assignee_unit ON records (assignee_unit, status)
        WHERE assignee_unit IS NOT NULL AND deleted_at IS NULL;
    "#,
    // 9: who the server says wrote with each actor (protocol 5 pulls): the history's authors
    // (store/history.rs). Empty on upgrade: changes pulled before show no author.
    r#"
    CREATE TABLE change_authors (
        actor TEXT PRIMARY KEY,
        user  TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;
    "#,
];

/// Step 5. `gridmate_domain::search::index_tokens` already splits text into lower-cased words and CJK bigrams
/// separated by spaces, and queries go through the same function, so `unicode61`'s Unicode
/// classification and diacritic folding of every character only cost time (W1 cold pull,
/// docs/benchmarks.md). The index is contentless and cannot be re-tokenized from itself, and
/// rebuilding it from the documents on a full store is too long a freeze for an app update. So only a store without records (a new install or
/// account, before its first pull) takes the new index; a store with records keeps `unicode61`,
/// which gives the same tokens for this input (it splits only at what `index_tokens` already
/// removed; it also folds Latin diacritics, in index and query alike).
const SEARCH_ASCII: &str = r#"
    DROP TABLE records_fts;
    CREATE VIRTUAL TABLE records_fts USING fts5 (
        tokens, content = '', contentless_delete = 1, tokenize = 'ascii'
    );
    INSERT INTO records_fts (records_fts, rank) VALUES ('automerge', 0);
    INSERT INTO records_fts (records_fts, rank) VALUES ('crisismerge', 64);
    "#;

/// Whether step `step` runs on this database (all do, but step 5 only on a store without records).
fn applies(tx: &rusqlite::Transaction<'_>, step: &str) -> Result<bool, MigrationError> {
    if step != SEARCH_ASCII {
        return Ok(true);
    }
    let empty: bool = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM records)", [], |r| {
        r.get(0)
    })?;
    Ok(empty)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error(
        "the database is at schema version {found}, newer than this app ({known}): update the app"
    )]
    TooNew { found: usize, known: usize },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// Brings `conn` to the latest version. Returns the version it found.
pub fn migrate(conn: &mut Connection) -> Result<usize, MigrationError> {
    migrate_with(conn, MIGRATIONS)
}

pub(crate) fn migrate_with(conn: &mut Connection, steps: &[&str]) -> Result<usize, MigrationError> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    if found > steps.len() {
        return Err(MigrationError::TooNew {
            found,
            known: steps.len(),
        });
    }
    for (i, step) in steps.iter().enumerate().skip(found) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        if applies(&tx, step)? {
            tx.execute_batch(step)?;
        }
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )?;
        tx.commit()?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_reaches_latest_and_is_idempotent() {
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut c).unwrap(), 0);
        assert_eq!(migrate(&mut c).unwrap(), MIGRATIONS.len());
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
    }

    #[test]
    fn older_database_upgrades_and_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let extra = "CREATE TABLE later (x INTEGER) STRICT;";
        {
            let mut c = Connection::open(&path).unwrap();
            migrate_with(&mut c, &MIGRATIONS[..1]).unwrap();
            c.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')", [])
                .unwrap();
        }
        let mut steps = MIGRATIONS.to_vec();
        steps.push(extra);
        let mut c = Connection::open(&path).unwrap();
        assert_eq!(migrate_with(&mut c, &steps).unwrap(), 1);
        let v: String = c
            .query_row("SELECT value FROM meta WHERE key = 'k'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, "v");
        c.execute("INSERT INTO later (x) VALUES (1)", []).unwrap();
    }

    #[test]
    fn a_newer_database_is_refused_not_damaged() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            migrate(&mut c),
            Err(MigrationError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn a_failing_step_leaves_the_old_version() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        let mut steps = MIGRATIONS.to_vec();
        steps.push("CREATE TABLE ok (x INTEGER) STRICT; THIS IS NOT SQL;");
        assert!(migrate_with(&mut c, &steps).is_err());
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
        let ok_exists: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'ok'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ok_exists, 0, "the failed step rolled back whole");
    }
}

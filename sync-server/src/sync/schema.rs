//! The record-sync tables, appended to the server's migration list as one step.
//!
//! `changes` is the server's change log: every accepted Automerge change once (unique by hash),
//! numbered by `seq` in the order the server accepted it. `seq` is what device positions point
//! into; AUTOINCREMENT guarantees a number is never reused. A record's grid never changes, so each
//! change carries its record's grid and a scoped pull is an index range scan on `(grid_id, seq)`.
//! `records` keeps each record's current heads and, once its tail of changes grows, a snapshot
//! (`save()`), so loading a record is one snapshot plus a short tail.
//!
//! Since migration 3, `projection` is the record as read at `heads` (its JSON, written with every
//! accepted change) and `first_seq` the seq of its first logged change: a pull page that holds
//! every change of a record (`first_seq` after the position, `last_seq` within the page) sends the
//! projection with them (protocol 3). Rows accepted before migration 3 have no projection until
//! their next change; they are pulled the version-2 way.
//!
//! Since migration 5, `assignments` indexes each dispute's current assignee (user and unit), as
//! its workflow derives it at the record's last accepted change, with the seq of the change that
//! made that assignment; `assignment_ends` logs, at the seq of the change that ended it, every
//! assignment that ended (the former assignee). Both are written in the transaction that logs the
//! change (`push::update_record`), and a pull reads them in its snapshot: an assignee outside the
//! dispute's grid receives it, and is told to drop it once it is reassigned (protocol 4).

pub const SYNC_MIGRATION: &str = r#"
CREATE TABLE sync_records (
    rowid         INTEGER PRIMARY KEY,
    id            BLOB    NOT NULL UNIQUE,
    grid_id       TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    heads         BLOB    NOT NULL,
    snapshot      BLOB,
    snapshot_seq  INTEGER NOT NULL DEFAULT 0,
    tail_changes  INTEGER NOT NULL DEFAULT 0,
    status        TEXT,
    risk_level    TEXT,
    occurred_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER,
    last_seq      INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_records_grid ON sync_records (grid_id, occurred_at);

CREATE TABLE sync_changes (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    record_rowid  INTEGER NOT NULL REFERENCES sync_records (rowid),
    grid_id       TEXT    NOT NULL,
    hash          BLOB    NOT NULL UNIQUE,
    actor         BLOB    NOT NULL,
    bytes         BLOB    NOT NULL,
    pushed_by     INTEGER NOT NULL,
    pushed_device TEXT    NOT NULL,
    received_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_changes_grid_seq ON sync_changes (grid_id, seq);
CREATE INDEX sync_changes_record_seq ON sync_changes (record_rowid, seq);

-- Every grid that holds a record: an area's grids are found here, then each grid's new changes by
-- an index seek, so a pull costs what is new, not what exists.
CREATE TABLE sync_grids (grid_id TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;

-- The device an Automerge actor first wrote from. The same actor from another device is refused.
CREATE TABLE sync_actors (
    actor         BLOB    PRIMARY KEY,
    user_id       INTEGER NOT NULL,
    device_id     TEXT    NOT NULL,
    first_seen_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Changes that arrived before their dependencies: kept, invisible to others, retried on each push
-- of the record.
CREATE TABLE sync_held (
    hash          BLOB    PRIMARY KEY,
    record_id     BLOB    NOT NULL,
    bytes         BLOB    NOT NULL,
    pushed_by     INTEGER NOT NULL,
    pushed_device TEXT    NOT NULL,
    received_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sync_held_record ON sync_held (record_id);

-- Audit of refused pushes (no record content, only who, what and why).
CREATE TABLE sync_rejections (
    id            INTEGER PRIMARY KEY,
    record_id     BLOB    NOT NULL,
    user_id       INTEGER NOT NULL,
    device_id     TEXT    NOT NULL,
    code          TEXT    NOT NULL,
    field         TEXT    NOT NULL,
    at            INTEGER NOT NULL
) STRICT;
"#;

pub const PROJECTION_MIGRATION: &str = r#"
ALTER TABLE sync_records ADD COLUMN projection BLOB;
ALTER TABLE sync_records ADD COLUMN first_seq INTEGER;
UPDATE sync_records SET first_seq =
    (SELECT min(c.seq) FROM sync_changes c WHERE c.record_rowid = sync_records.rowid);
"#;

pub const ASSIGNMENT_MIGRATION: &str = r#"
CREATE TABLE sync_assignments (
    record_rowid  INTEGER PRIMARY KEY REFERENCES sync_records (rowid),
    assignee_user TEXT,
    assignee_unit TEXT,
    -- the seq of the change that made this assignment
    assigned_seq  INTEGER NOT NULL,
    CHECK (assignee_user IS NOT NULL OR assignee_unit IS NOT NULL)
) STRICT;
CREATE INDEX sync_assignments_user ON sync_assignments (assignee_user);
CREATE INDEX sync_assignments_unit ON sync_assignments (assignee_unit);

CREATE TABLE sync_assignment_ends (
    record_rowid INTEGER NOT NULL REFERENCES sync_records (rowid),
    former_user  TEXT,
    former_unit  TEXT,
    -- the seq of the change that ended the assignment
    seq          INTEGER NOT NULL
) STRICT;
CREATE INDEX sync_assignment_ends_user ON sync_assignment_ends (former_user, seq);
CREATE INDEX sync_assignment_ends_unit ON sync_assignment_ends (former_unit, seq);
"#;

/// Held changes are counted per device and per user (`held::hold`) and expire by age
/// (`held::expire`): each of those reads is an index range.
pub const HELD_MIGRATION: &str = r#"
CREATE INDEX sync_held_device ON sync_held (pushed_device);
CREATE INDEX sync_held_user ON sync_held (pushed_by);
CREATE INDEX sync_held_received ON sync_held (received_at);
"#;

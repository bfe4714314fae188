//! The console's tables, appended to the server's migration list as one step.
//!
//! `console_sessions` holds signed-in console users (dispatchers, admins): only the SHA-256 of the
//! session cookie's token is stored, with the per-session CSRF token the page echoes in
//! `X-CSRF-Token`. `console_records` is the console's index of every record, one row per record of
//! any kind, written in the transaction that logs each accepted change (`console::index`), so the
//! case list, statistics, map and exports are index scans, never document loads. `console_fts` is
//! its full-text index (contentless, rowid = `record_rowid`, bigram tokens of
//! `gridmate_domain::search`). `console_audit` records who revealed which personal field of which
//! record, and when.
//!
//! Invariants: no personal data in `console_records` (titles come from `Record::title`-like lines
//! without names, phones or ID numbers); overdue is derived from `due_at` at query time, never
//! stored.

pub const CONSOLE_MIGRATION: &str = r#"
CREATE TABLE console_sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB    NOT NULL UNIQUE,
    csrf         TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_user ON console_sessions (user_id);

CREATE TABLE console_records (
    record_rowid  INTEGER PRIMARY KEY REFERENCES sync_records (rowid),
    record_id     BLOB    NOT NULL,
    kind          TEXT    NOT NULL,
    grid_id       TEXT    NOT NULL,
    created_by    TEXT    NOT NULL,
    occurred_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted       INTEGER NOT NULL,
    title         TEXT    NOT NULL,
    lat           REAL,
    lon           REAL,
    audience      INTEGER,
    status        TEXT,
    category      TEXT,
    risk          TEXT,
    source        TEXT,
    assignee_user TEXT,
    assignee_unit TEXT,
    due_at        INTEGER,
    supervised    INTEGER NOT NULL DEFAULT 0,
    resolved_at   INTEGER,
    closed_at     INTEGER,
    on_time       INTEGER,
    outcome       TEXT,
    satisfaction  TEXT,
    parties       INTEGER
) STRICT;

CREATE VIRTUAL TABLE console_fts USING fts5 (
    tokens, content = '', contentless_delete = 1, tokenize = 'ascii'
);

CREATE TABLE console_audit (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    record_id  BLOB,
    field      TEXT,
    at         INTEGER NOT NULL
) STRICT;
CREATE INDEX console_audit_at ON console_audit (at);
"#;

/// The case list's index and the settings the console index derives with (`console::index`):
/// `console_settings` holds the deadline table the server runs with (key `deadlines`, JSON), so
/// the console indexer derives `due_at` inside its own transactions. `console_records_list`
/// serves every list and export query (`console::filter::LIST_INDEX`): a scope's range of grids within a kind,
/// with the sort keys and the common filters in the index, so counting and sorting a township's
/// cases reads the index, not the table.
pub const CASES_MIGRATION: &str = r#"
CREATE TABLE console_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE INDEX console_records_list ON console_records
    (kind, deleted, grid_id, occurred_at, updated_at, due_at, status, risk);
"#;

/// The case list's index with every filter column (category, source, supervision, assignee
/// after the sort keys): a filter on any of them is answered from the index alone, where a
/// county-wide list would otherwise read the table row of each of its 100,000 disputes.
pub const LIST_INDEX_MIGRATION: &str = r#"
DROP INDEX console_records_list;
CREATE INDEX console_records_list ON console_records
    (kind, deleted, grid_id, occurred_at, updated_at, due_at, status, risk, category, source,
     supervised, assignee_user, assignee_unit);
"#;

/// Every dispute's full-text entry gains its kind's token (`console::index`): the key `reindex`
/// makes the next start-up index every dispute again (`index::prepare`).
pub const KIND_TOKEN_MIGRATION: &str = r#"
INSERT OR REPLACE INTO console_settings (key, value) VALUES ('reindex', 'disputes');
"#;

/// Each index row keeps the first eight bytes of the SHA-256 of its record's full-text tokens
/// (`console::index`), so an edit that leaves the tokens as they were (a workflow action, a
/// change of state or assignee) does not write the full-text index. Rows from before it have
/// none and get their entry written again at their next change.
pub const TOKENS_KEY_MIGRATION: &str = r#"
ALTER TABLE console_records ADD COLUMN tokens_key INTEGER;
"#;

/// A search's matches are looked up by rowid (`console::filter::MATCH_INDEX`): the case list
/// index's columns keyed by the record's rowid, so each match costs one descent into a narrow
/// index, never a read of the table row, and a county-wide search never walks every case of the
/// county.
pub const MATCH_INDEX_MIGRATION: &str = r#"
CREATE INDEX console_records_match ON console_records
    (record_rowid, kind, deleted, grid_id, occurred_at, updated_at, due_at, status, risk, category,
     source, supervised, assignee_user, assignee_unit);
"#;

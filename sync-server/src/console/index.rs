//! The console index: one `console_records` row and one `console_fts` entry per record, derived
//! from the record's current state alone ([`Entry`]), written by the console indexer
//! (`console::indexer`) after the pushes that change records, and backfilled at start-up for
//! records accepted before the index existed.
//!
//! Invariants:
//! - A row is a pure function of the record and the deadline table ([`IndexRow::of`]): whatever
//!   order changes arrive in, the row equals a fresh index of the record's current state.
//! - No personal data: titles are `Record::display_title` (parties never appear, a visited
//!   person's name only masked) and the full-text tokens come from `Record::search_text`, plus
//!   the area tokens of the record's grid (`search::area_tokens`) and its kind's token
//!   (`search::kind_token`), which let a search be narrowed to the user's scope and to disputes
//!   inside the full-text index.
//! - `due_at` is derived with the workflow's deadline code and the deadline table the server
//!   runs with, which [`prepare`] stores in `console_settings` at start-up (so the indexer reads
//!   it inside its own transactions); when the table changed since the last start, every
//!   dispute is indexed again. Overdue is never stored.
//! - The backfill is idempotent and runs in batches (one transaction each), so a large database
//!   starts without one long writer lock.

use gridmate_domain::document::read_record;
use gridmate_domain::privacy::{mask_id_number, mask_name, mask_phone};
use gridmate_domain::search::{area_tokens, index_tokens, kind_token};
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::workflow::{DisputeState, Verdict, derive};
use gridmate_domain::{Record, RecordBody, WorkflowAction};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};
use sha2::{Digest, Sha256};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use crate::storage::{SqliteStorage, StorageError};
use crate::sync::push::load_record_doc;

/// Records indexed per backfill transaction.
const BACKFILL_BATCH: i64 = 500;
/// The `console_settings` key of the deadline table (JSON).
const DEADLINES_KEY: &str = "deadlines";
/// Present while every dispute is owed a new index row (the deadline table changed).
const REINDEX_KEY: &str = "reindex";

/// One `console_records` row, without its rowid.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub record_id: [u8; 16],
    pub kind: &'static str,
    pub grid_id: String,
    pub created_by: String,
    pub occurred_at: i64,
    pub updated_at: i64,
    pub deleted: bool,
    pub title: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub audience: Option<i64>,
    pub dispute: Option<DisputeColumns>,
}

/// The columns only a dispute fills.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeColumns {
    pub status: &'static str,
    pub category: &'static str,
    pub risk: &'static str,
    pub source: &'static str,
    pub assignee_user: Option<String>,
    pub assignee_unit: Option<String>,
    pub due_at: Option<i64>,
    pub supervised: bool,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub on_time: Option<bool>,
    pub outcome: Option<&'static str>,
    pub satisfaction: Option<&'static str>,
    pub parties: i64,
}

impl IndexRow {
    /// The row of a record as it stands.
    pub fn of(record: &Record, deadlines: &DeadlineTable) -> Self {
        let location = match &record.body {
            RecordBody::PatrolVisit(v) => v.location,
            RecordBody::LegalEducation(e) => e.location,
            RecordBody::Dispute(d) => d.location,
        };
        let audience = match &record.body {
            RecordBody::LegalEducation(e) => Some(i64::from(e.audience_count)),
            _ => None,
        };
        let dispute = match &record.body {
            RecordBody::Dispute(d) => Some(dispute_columns(d, deadlines)),
            _ => None,
        };
        Self {
            record_id: *record.meta.id.as_uuid().as_bytes(),
            kind: record.kind().as_str(),
            grid_id: record.meta.grid_id.as_str().to_owned(),
            created_by: record.meta.created_by.clone(),
            occurred_at: record.body.occurred_at().millis(),
            updated_at: record.meta.updated_at.millis(),
            deleted: record.meta.deleted_at.is_some(),
            title: scrubbed_title(record),
            lat: location.map(|l| l.lat),
            lon: location.map(|l| l.lon),
            audience,
            dispute,
        }
    }
}

/// A masking function of `gridmate_domain::privacy`.
type Mask = fn(&str) -> String;

/// `Record::display_title`, with anything in it that looks like personal data masked: a
/// dispute's summary is free text and may name a party, so each party's name, phone and ID
/// number is masked wherever it appears, and so is any run of seven or more digits.
fn scrubbed_title(record: &Record) -> String {
    let mut title = record.display_title();
    if let RecordBody::Dispute(d) = &record.body {
        for p in &d.parties {
            let fields: [(Option<&str>, Mask); 3] = [
                (p.name.as_deref(), mask_name),
                (p.phone.as_deref(), mask_phone),
                (p.id_number.as_deref(), mask_id_number),
            ];
            for (value, mask) in fields {
                if let Some(v) = value.map(str::trim).filter(|v| v.chars().count() >= 2) {
                    title = title.replace(v, &mask(v));
                }
            }
        }
    }
    mask_digit_runs(&title)
}

/// Masks every run of 7+ digits (an ID number's trailing `X` included) whole or as a phone.
fn mask_digit_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 7 {
            out.push_str(&if run.len() == 11 {
                mask_phone(run)
            } else {
                mask_id_number(run)
            });
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() || (matches!(c, 'X' | 'x') && !run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

fn dispute_columns(d: &gridmate_domain::Dispute, deadlines: &DeadlineTable) -> DisputeColumns {
    let view = d.view();
    let (category, risk) = (d.dispute_category, d.risk_level);
    let due = |state: &DisputeState| deadlines.due_at(state, category, risk, d.reported_at);
    // The last applied event of an action, with its place in the list.
    let applied = |action: WorkflowAction| {
        d.workflow
            .iter()
            .enumerate()
            .zip(&view.verdicts)
            .filter(|((_, e), v)| e.action == action && **v == Verdict::Applied)
            .map(|((i, e), _)| (i, e.at))
            .next_back()
    };
    let resolved = applied(WorkflowAction::Resolve);
    // On time: resolved by the due time of the step it was resolved in (the state just before).
    let on_time = resolved.map(|(i, at)| {
        let before = derive(d.initial_status, &d.workflow[..i]).state;
        due(&before).is_none_or(|limit| at <= limit)
    });
    let s = &view.state;
    DisputeColumns {
        status: s.status.as_str(),
        category: category.as_str(),
        risk: risk.as_str(),
        source: d.source.as_str(),
        assignee_user: s.assignee_user.clone(),
        assignee_unit: s.assignee_unit.clone(),
        due_at: due(s).map(|t| t.millis()),
        supervised: s.supervised,
        resolved_at: resolved.map(|(_, at)| at.millis()),
        closed_at: applied(WorkflowAction::Close).map(|(_, at)| at.millis()),
        on_time,
        outcome: s.outcome.map(|o| o.as_str()),
        satisfaction: s.satisfaction.map(|x| x.as_str()),
        parties: d.parties.len() as i64,
    }
}

/// What the index holds of one record: its row and its full-text tokens, both pure functions of
/// the record and the deadline table, written by [`index_record`].
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub row: IndexRow,
    pub tokens: String,
    /// [`tokens_key`] of `tokens`, kept in the row: equal keys, the same full-text entry.
    tokens_key: i64,
}

/// The first eight bytes of the SHA-256 of a full-text entry's tokens: a cryptographic digest,
/// so no text can be written to collide with another and keep a stale entry.
fn tokens_key(tokens: &str) -> i64 {
    let digest = Sha256::digest(tokens.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
}

impl Entry {
    /// The entry of `record` as it stands, with `deadlines` (the table [`stored_deadlines`]
    /// read; only a dispute's row depends on it).
    pub fn of(record: &Record, deadlines: &DeadlineTable) -> Self {
        let row = IndexRow::of(record, deadlines);
        let tokens = format!(
            "{} {} {}",
            index_tokens(&record.search_text()),
            area_tokens(record.meta.grid_id.as_str()),
            kind_token(record.kind().as_str())
        );
        Self {
            row,
            tokens_key: tokens_key(&tokens),
            tokens,
        }
    }
}

/// Writes the index row of the record stored at `rowid` and stages its full-text entry, inside
/// the caller's transaction. A row already there is compared with the new one: only the columns
/// that differ are updated (an index none of them is in is left alone), and the full-text entry
/// is staged only when the stored tokens' key differs.
pub fn index_record(conn: &Connection, rowid: i64, entry: &Entry) -> Result<(), StorageError> {
    let new = entry.row.values();
    let tokens_changed = match stored_row(conn, rowid)? {
        None => {
            insert_row(conn, rowid, new, entry.tokens_key)?;
            true
        }
        Some((old, old_key)) => {
            let changed: Vec<usize> = (0..COLUMN_COUNT).filter(|&i| old[i] != new[i]).collect();
            let tokens_changed = old_key != Some(entry.tokens_key);
            if !changed.is_empty() || tokens_changed {
                update_row(conn, rowid, &changed, new, entry.tokens_key)?;
            }
            tokens_changed
        }
    };
    if tokens_changed {
        pending_table(conn)?;
        conn.prepare_cached(
            "INSERT OR REPLACE INTO temp.console_fts_pending (rowid, tokens) VALUES (?1, ?2)",
        )?
        .execute(params![rowid, entry.tokens])?;
    }
    Ok(())
}

/// The full-text entries [`index_record`] staged in this transaction: a plain table of the
/// connection's own (temporary) database. FTS5 writes its pending terms to disk whenever a
/// savepoint ends or a write comes with a rowid not above the last one (a replaced entry is a
/// delete, then an insert), so entries written one by one would flush (and later merge) many
/// small index segments; staged, they go into `console_fts` once, in rowid order, in
/// [`flush_fts`], just before the transaction commits: one segment per indexer batch.
fn pending_table(conn: &Connection) -> Result<(), StorageError> {
    conn.prepare_cached(
        "CREATE TEMP TABLE IF NOT EXISTS console_fts_pending (
             rowid INTEGER PRIMARY KEY, tokens TEXT NOT NULL)",
    )?
    .execute([])?;
    Ok(())
}

/// Moves the staged full-text entries into `console_fts` (each replacing the record's entry).
/// Every transaction that indexes records calls it last, before it commits; entries left staged
/// by a transaction that did not would go in with the connection's next flush. One statement:
/// FTS5 writes out its pending terms whenever a later statement of the transaction begins, so a
/// delete followed by an insert would leave two index segments per transaction.
pub fn flush_fts(conn: &Connection) -> Result<(), StorageError> {
    pending_table(conn)?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO console_fts (rowid, tokens)
         SELECT rowid, tokens FROM temp.console_fts_pending ORDER BY rowid",
    )?
    .execute([])?;
    conn.prepare_cached("DELETE FROM temp.console_fts_pending")?
        .execute([])?;
    Ok(())
}

/// The columns of [`IndexRow::values`], in order.
pub const COLUMNS: &str = "record_id, kind, grid_id, created_by, occurred_at, updated_at, deleted,
    title, lat, lon, audience, status, category, risk, source, assignee_user, assignee_unit, due_at,
    supervised, resolved_at, closed_at, on_time, outcome, satisfaction, parties";
/// How many [`COLUMNS`] there are.
const COLUMN_COUNT: usize = 25;

impl IndexRow {
    /// The row's values as stored, in [`COLUMNS`] order.
    pub fn values(&self) -> Vec<Value> {
        let d = self.dispute.as_ref();
        let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::Text(s.to_owned()));
        let int = |i: Option<i64>| i.map_or(Value::Null, Value::Integer);
        let real = |f: Option<f64>| f.map_or(Value::Null, Value::Real);
        vec![
            Value::Blob(self.record_id.to_vec()),
            text(Some(self.kind)),
            text(Some(&self.grid_id)),
            text(Some(&self.created_by)),
            Value::Integer(self.occurred_at),
            Value::Integer(self.updated_at),
            Value::Integer(i64::from(self.deleted)),
            text(Some(&self.title)),
            real(self.lat),
            real(self.lon),
            int(self.audience),
            text(d.map(|d| d.status)),
            text(d.map(|d| d.category)),
            text(d.map(|d| d.risk)),
            text(d.map(|d| d.source)),
            text(d.and_then(|d| d.assignee_user.as_deref())),
            text(d.and_then(|d| d.assignee_unit.as_deref())),
            int(d.and_then(|d| d.due_at)),
            Value::Integer(i64::from(d.is_some_and(|d| d.supervised))),
            int(d.and_then(|d| d.resolved_at)),
            int(d.and_then(|d| d.closed_at)),
            int(d.and_then(|d| d.on_time).map(i64::from)),
            text(d.and_then(|d| d.outcome)),
            text(d.and_then(|d| d.satisfaction)),
            int(d.map(|d| d.parties)),
        ]
    }
}

/// A stored row's values in [`COLUMNS`] order, and its tokens' key (none before migration 17).
type StoredRow = (Vec<Value>, Option<i64>);

/// The stored row of `rowid`.
fn stored_row(conn: &Connection, rowid: i64) -> Result<Option<StoredRow>, StorageError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!("SELECT {COLUMNS}, tokens_key FROM console_records WHERE record_rowid = ?1")
    });
    Ok(conn
        .prepare_cached(&SQL)?
        .query_row([rowid], |r| {
            let values = (0..COLUMN_COUNT)
                .map(|i| r.get::<_, Value>(i))
                .collect::<Result<Vec<Value>, _>>()?;
            Ok((values, r.get(COLUMN_COUNT)?))
        })
        .optional()?)
}

fn insert_row(
    conn: &Connection,
    rowid: i64,
    values: Vec<Value>,
    key: i64,
) -> Result<(), StorageError> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        let marks: Vec<String> = (2..=COLUMN_COUNT + 2).map(|i| format!("?{i}")).collect();
        format!(
            "INSERT INTO console_records (record_rowid, {COLUMNS}, tokens_key) VALUES (?1, {})",
            marks.join(", ")
        )
    });
    let params = std::iter::once(Value::Integer(rowid))
        .chain(values)
        .chain(std::iter::once(Value::Integer(key)));
    conn.prepare_cached(&SQL)?
        .execute(params_from_iter(params))?;
    Ok(())
}

/// Sets the `changed` columns (indexes into [`COLUMNS`]) of the row to `values`' and its
/// tokens' key. Few sets of columns change together (the edit of a field, a workflow step), so
/// each statement is prepared once and kept in the connection's cache.
fn update_row(
    conn: &Connection,
    rowid: i64,
    changed: &[usize],
    mut values: Vec<Value>,
    key: i64,
) -> Result<(), StorageError> {
    static NAMES: LazyLock<Vec<&str>> =
        LazyLock::new(|| COLUMNS.split(',').map(str::trim).collect());
    let sets: Vec<String> = changed
        .iter()
        .enumerate()
        .map(|(k, &i)| format!("{} = ?{}", NAMES[i], k + 3))
        .collect();
    let sql = format!(
        "UPDATE console_records SET tokens_key = ?2{}{} WHERE record_rowid = ?1",
        if sets.is_empty() { "" } else { ", " },
        sets.join(", ")
    );
    let params = [Value::Integer(rowid), Value::Integer(key)]
        .into_iter()
        .chain(
            changed
                .iter()
                .map(|&i| std::mem::replace(&mut values[i], Value::Null)),
        );
    conn.prepare_cached(&sql)?
        .execute(params_from_iter(params))?;
    Ok(())
}

/// The deadline table stored by [`prepare`]; the default table before the first start-up.
pub fn stored_deadlines(conn: &Connection) -> Result<Arc<DeadlineTable>, StorageError> {
    /// The table last parsed, with the JSON it came from: every indexer and backfill batch
    /// reads the stored table, which changes only at start-up, so it is parsed again only when
    /// its text differs (a process serving several databases keeps them apart by that text).
    static PARSED: Mutex<Option<(String, Arc<DeadlineTable>)>> = Mutex::new(None);
    let json: Option<String> = conn
        .prepare_cached("SELECT value FROM console_settings WHERE key = ?1")?
        .query_row([DEADLINES_KEY], |r| r.get(0))
        .optional()?;
    let Some(json) = json else {
        static DEFAULT: LazyLock<Arc<DeadlineTable>> =
            LazyLock::new(|| Arc::new(DeadlineTable::default()));
        return Ok(DEFAULT.clone());
    };
    let mut parsed = PARSED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((text, table)) = parsed.as_ref()
        && *text == json
    {
        return Ok(table.clone());
    }
    let table: Arc<DeadlineTable> = Arc::new(
        serde_json::from_str(&json)
            .map_err(|e| StorageError::Corrupt(format!("stored deadline table: {e}")))?,
    );
    *parsed = Some((json, table.clone()));
    Ok(table)
}

/// At start-up: stores the deadline table the server runs with, then indexes every record that
/// has no index row yet (and every dispute again when the table changed). Returns how many
/// records were indexed.
pub fn prepare(db: &SqliteStorage, deadlines: &DeadlineTable) -> Result<usize, StorageError> {
    let json = serde_json::to_string(deadlines)
        .map_err(|e| StorageError::Corrupt(format!("deadline table: {e}")))?;
    // The re-index of every dispute is owed from the moment the new table is stored until it
    // has finished: a start interrupted half-way finishes it on the next start.
    let changed = db.write(|c| {
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let old = setting(&tx, DEADLINES_KEY)?;
        let owed = setting(&tx, REINDEX_KEY)?.is_some() || old.is_some_and(|o| o != json);
        put_setting(&tx, DEADLINES_KEY, &json)?;
        if owed {
            put_setting(&tx, REINDEX_KEY, "disputes")?;
        }
        tx.commit()?;
        Ok(owed)
    })?;
    let mut done = 0;
    let mut after = 0;
    loop {
        let (n, last) = db.write(|c| backfill_batch(c, after, changed))?;
        done += n;
        match last {
            Some(l) => after = l,
            None => break,
        }
    }
    if changed {
        db.write(|c| {
            c.execute("DELETE FROM console_settings WHERE key = ?1", [REINDEX_KEY])?;
            Ok(())
        })?;
    }
    if done > 0 {
        tracing::info!(records = done, "console index backfilled");
    }
    // Changes logged after the indexer's last batch before the server stopped.
    super::indexer::catch_up(db)?;
    Ok(done)
}

fn setting(c: &Connection, key: &str) -> Result<Option<String>, StorageError> {
    Ok(c.query_row(
        "SELECT value FROM console_settings WHERE key = ?1",
        [key],
        |r| r.get(0),
    )
    .optional()?)
}

fn put_setting(c: &Connection, key: &str, value: &str) -> Result<(), StorageError> {
    c.execute(
        "INSERT OR REPLACE INTO console_settings (key, value) VALUES (?1, ?2)",
        params![key, value],
    )?;
    Ok(())
}

/// Indexes one batch of records after rowid `after` that need it; returns how many, and the
/// last rowid looked at (`None` when there are no more).
fn backfill_batch(
    c: &mut Connection,
    after: i64,
    disputes_too: bool,
) -> Result<(usize, Option<i64>), StorageError> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let rows: Vec<(i64, Vec<u8>, Option<Vec<u8>>)> = tx
        .prepare_cached(
            "SELECT r.rowid, r.id, r.projection FROM sync_records r
             WHERE r.rowid > ?1 AND r.last_seq > 0
               AND (NOT EXISTS (SELECT 1 FROM console_records c WHERE c.record_rowid = r.rowid)
                    OR (?2 AND r.kind = 'dispute'))
             ORDER BY r.rowid LIMIT ?3",
        )?
        .query_map(params![after, disputes_too, BACKFILL_BATCH], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let last = rows.last().map(|r| r.0);
    let deadlines = stored_deadlines(&tx)?;
    let mut n = 0;
    for (rowid, id, projection) in rows {
        if let Some(record) = current_record(&tx, &id, projection.as_deref())? {
            index_record(&tx, rowid, &Entry::of(&record, &deadlines))?;
            n += 1;
        }
    }
    flush_fts(&tx)?;
    tx.commit()?;
    Ok((n, last))
}

/// A stored record's current state: its projection, else its document read whole.
pub(super) fn current_record(
    conn: &Connection,
    id: &[u8],
    projection: Option<&[u8]>,
) -> Result<Option<Record>, StorageError> {
    if let Some(p) = projection.filter(|p| !p.is_empty())
        && let Ok(r) = serde_json::from_slice::<Record>(p)
    {
        return Ok(Some(r));
    }
    let Ok(id) = <[u8; 16]>::try_from(id) else {
        return Ok(None);
    };
    let Some(doc) = load_record_doc(conn, &id)? else {
        return Ok(None);
    };
    read_record(&doc)
        .map(Some)
        .map_err(|e| StorageError::Corrupt(format!("stored record unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_dispute() -> Record {
        let mut rng = gridmate_domain::fixtures::Rng::new(5);
        let grid = gridmate_domain::GridId::parse("jingkou-zhengdonglu-03").unwrap();
        loop {
            let at = gridmate_domain::Timestamp::from_millis(1_800_000_000_000).unwrap();
            let r = gridmate_domain::fixtures::record(&mut rng, grid.clone(), at, "wang.wei");
            if matches!(r.body, RecordBody::Dispute(_)) {
                break r;
            }
        }
    }

    #[test]
    fn a_title_never_carries_a_party_s_personal_data() {
        let mut record = sample_dispute();
        if let RecordBody::Dispute(d) = &mut record.body {
            d.parties[0].name = Some("欧阳修文".into());
            d.parties[0].phone = Some("13912345678".into());
            d.summary = "欧阳修文来电13912345678反映漏水".into();
        }
        let row = IndexRow::of(&record, &DeadlineTable::default());
        assert!(!row.title.contains("欧阳修文") && !row.title.contains("13912345678"));
        assert!(
            row.title.contains("欧***") && row.title.contains("漏水"),
            "{}",
            row.title
        );
    }

    #[test]
    fn the_column_count_is_the_columns_listed() {
        let row = IndexRow::of(&sample_dispute(), &DeadlineTable::default());
        assert_eq!(COLUMNS.split(',').count(), COLUMN_COUNT);
        assert_eq!(row.values().len(), COLUMN_COUNT);
    }

    #[test]
    fn digit_runs_that_may_be_personal_are_masked() {
        assert_eq!(
            mask_digit_runs("电话13812345678联系"),
            "电话138****5678联系"
        );
        assert_eq!(
            mask_digit_runs("身份证11010519491231002X"),
            "身份证1101**********002X"
        );
        assert_eq!(mask_digit_runs("赔偿800元，3号楼"), "赔偿800元，3号楼");
        assert_eq!(mask_digit_runs("X号楼"), "X号楼");
    }
}

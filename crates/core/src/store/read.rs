//! Reads: one record (from its document), lists and search (from the projection and the index,
//! never loading documents, so one damaged document cannot break a list), quarantine and counts.

use gridmate_domain::{DisputeStatus, GridId, Record, RecordId, RecordKind, RiskLevel, Timestamp};
use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Row};

use super::{
    Cursor, ListQuery, Page, Quarantined, RecordSummary, Store, StoreCounts, StoreError, SyncState,
};
use gridmate_domain::search::match_query;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;
/// Index matches considered per search (the most recently stored ones).
const SEARCH_CANDIDATES: u32 = 2_000;
const SUMMARY_COLUMNS: &str = "r.id, r.kind, r.grid_id, r.status, r.risk_level, r.occurred_at, r.updated_at, r.title, \
     r.sync_state, r.deleted_at IS NOT NULL, r.quarantine IS NOT NULL";

impl Store {
    /// Reads one record from its document. A damaged document quarantines the record and is
    /// reported as `StoreError::Corrupt`.
    pub fn get(&self, id: RecordId) -> Result<Record, StoreError> {
        self.load_for_write(id).map(|(_, _, r)| r)
    }

    /// The record's document in Automerge's standard binary format.
    pub fn export_doc(&self, id: RecordId) -> Result<Vec<u8>, StoreError> {
        let (_, mut doc, _) = self.load_for_write(id)?;
        Ok(doc.save())
    }

    /// A page of summaries, newest first.
    pub fn list(&self, q: &ListQuery) -> Result<Page, StoreError> {
        let limit = match q.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let (mut sql, args) = self.list_filter(q)?;
        sql.push_str(&format!(
            " ORDER BY r.occurred_at DESC, r.id DESC LIMIT {}",
            limit + 1
        ));
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut items = stmt
            .query_map(rusqlite::params_from_iter(args), summary_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|s| {
                Cursor {
                    occurred_at: s.occurred_at,
                    id: s.id,
                }
                .encode()
            })
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// The list's query up to its order, and the values bound to it.
    fn list_filter(&self, q: &ListQuery) -> Result<(String, Vec<SqlValue>), StoreError> {
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM records r WHERE 1 = 1");
        if !q.include_deleted {
            // The partial indexes' own predicate, so that they are used.
            sql.push_str(" AND r.deleted_at IS NULL");
        }
        if let Some(s) = q.sync_state {
            // A literal (one of four fixed names, never user text): under the query planner
            // stability guarantee (`Store::open`) a bound value could not prove the predicate of
            // the partial index `records_sync_state`, and the list would scan.
            sql.push_str(&format!(" AND r.sync_state = '{}'", s.as_str()));
        }
        let mut args: Vec<SqlValue> = Vec::new();
        let mut add = |cond: &str, v: SqlValue| {
            args.push(v);
            sql.push_str(&cond.replace('?', &format!("?{}", args.len())));
        };
        if let Some(k) = q.kind {
            add(" AND r.kind = ?", SqlValue::Text(k.as_str().into()));
        }
        if let Some(g) = &q.grid_id {
            add(" AND r.grid_id = ?", SqlValue::Text(g.as_str().into()));
        }
        if let Some(s) = q.status {
            add(" AND r.status = ?", SqlValue::Text(s.as_str().into()));
        }
        if let Some(r) = q.risk_level {
            add(" AND r.risk_level = ?", SqlValue::Text(r.as_str().into()));
        }
        if let Some(t) = q.from {
            add(" AND r.occurred_at >= ?", SqlValue::Integer(t.millis()));
        }
        if let Some(t) = q.to {
            add(" AND r.occurred_at < ?", SqlValue::Integer(t.millis()));
        }
        if let Some(t) = q.overdue_at {
            add(" AND r.due_at < ?", SqlValue::Integer(t.millis()));
        }
        if q.assigned_to_me {
            match self.me()? {
                Some(me) => {
                    add(
                        " AND r.status IN ('assigned', 'in_progress') AND (r.assignee_user = ?",
                        SqlValue::Text(me.user),
                    );
                    let unit = me.unit.map_or(SqlValue::Null, SqlValue::Text);
                    add(
                        " OR (r.assignee_user IS NULL AND r.assignee_unit = ?))",
                        unit,
                    );
                }
                None => sql.push_str(" AND 0"),
            }
        }
        if let Some(c) = q.cursor {
            args.push(SqlValue::Integer(c.occurred_at.millis()));
            args.push(SqlValue::Text(c.id.to_string()));
            let (a, b) = (args.len() - 1, args.len());
            sql.push_str(&format!(" AND (r.occurred_at, r.id) < (?{a}, ?{b})"));
        }
        Ok((sql, args))
    }

    /// Full-text search over the Chinese free text of records that are not deleted, newest first.
    /// A query with nothing searchable in it (only punctuation) finds nothing. Candidates come from
    /// the index newest-stored first and are capped at `SEARCH_CANDIDATES`, so a word found in tens
    /// of thousands of records costs the same as a rare one (the page shows the newest anyway).
    pub fn search(
        &self,
        query: &str,
        kind: Option<RecordKind>,
        limit: u32,
    ) -> Result<Vec<RecordSummary>, StoreError> {
        let Some(expr) = match_query(query) else {
            return Ok(Vec::new());
        };
        let limit = if limit == 0 {
            DEFAULT_LIMIT
        } else {
            limit.min(MAX_LIMIT)
        };
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM
               (SELECT rowid FROM records_fts WHERE records_fts MATCH ?1 ORDER BY rowid DESC LIMIT {SEARCH_CANDIDATES}) f
             JOIN records r ON r.rowid = f.rowid
             WHERE r.deleted_at IS NULL AND (?2 IS NULL OR r.kind = ?2)
             ORDER BY r.occurred_at DESC, r.id DESC LIMIT ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            rusqlite::params![expr, kind.map(|k| k.as_str()), limit],
            summary_from_row,
        )?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records whose documents cannot be read, with the reason.
    pub fn quarantined(&self) -> Result<Vec<Quarantined>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, title, quarantine FROM records WHERE quarantine IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Quarantined {
                id: parse_col(r, 0, |s| s.parse().ok())?,
                kind: parse_col(r, 1, RecordKind::parse)?,
                title: r.get(2)?,
                reason: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Loads every document once and quarantines those that cannot be read; returns how many
    /// records are quarantined afterwards. Run at start-up after an unclean shutdown, or by
    /// `gridmate check`.
    pub fn check(&self) -> Result<usize, StoreError> {
        let ids: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare("SELECT id FROM records WHERE quarantine IS NULL")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for id in ids.iter().filter_map(|s| s.parse::<RecordId>().ok()) {
            match self.get(id) {
                Ok(_) | Err(StoreError::Corrupt { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.quarantined()?.len())
    }

    pub fn counts(&self) -> Result<StoreCounts, StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FILTER (WHERE deleted_at IS NULL),
                    count(*) FILTER (WHERE sync_state IN ('pending', 'local_only')),
                    count(*) FILTER (WHERE sync_state = 'rejected'),
                    count(*) FILTER (WHERE quarantine IS NOT NULL)
             FROM records",
            [],
            |r| {
                let n = |i| r.get::<_, i64>(i).map(|v| v.unsigned_abs());
                Ok(StoreCounts {
                    records: n(0)?,
                    pending: n(1)?,
                    rejected: n(2)?,
                    quarantined: n(3)?,
                })
            },
        )?)
    }

    /// The sync state of one record.
    pub fn sync_state(&self, id: RecordId) -> Result<SyncState, StoreError> {
        let s: Option<String> = self
            .conn
            .query_row(
                "SELECT sync_state FROM records WHERE id = ?1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        s.as_deref()
            .and_then(SyncState::parse)
            .ok_or(StoreError::NotFound(id))
    }
}

fn parse_col<T>(r: &Row<'_>, i: usize, f: impl FnOnce(&str) -> Option<T>) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    f(&s).ok_or_else(|| rusqlite::Error::InvalidColumnType(i, s, rusqlite::types::Type::Text))
}

fn opt_col<T>(
    r: &Row<'_>,
    i: usize,
    f: impl FnOnce(&str) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    let s: Option<String> = r.get(i)?;
    Ok(s.as_deref().and_then(f))
}

fn ts_col(r: &Row<'_>, i: usize) -> rusqlite::Result<Timestamp> {
    let ms: i64 = r.get(i)?;
    Timestamp::from_millis(ms).ok_or(rusqlite::Error::IntegralValueOutOfRange(i, ms))
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<RecordSummary> {
    Ok(RecordSummary {
        id: parse_col(r, 0, |s| s.parse().ok())?,
        kind: parse_col(r, 1, RecordKind::parse)?,
        grid_id: parse_col(r, 2, GridId::parse)?,
        status: opt_col(r, 3, DisputeStatus::parse)?,
        risk_level: opt_col(r, 4, RiskLevel::parse)?,
        occurred_at: ts_col(r, 5)?,
        updated_at: ts_col(r, 6)?,
        title: r.get(7)?,
        sync_state: parse_col(r, 8, SyncState::parse)?,
        deleted: r.get(9)?,
        quarantined: r.get(10)?,
    })
}

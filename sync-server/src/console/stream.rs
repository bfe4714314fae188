//! Every case a filter matches, in the list's order, in batches: what the CSV and XLSX exports
//! write ([`for_each_case`]).
//!
//! Invariants: each batch is its own short statement that continues after the last row of the
//! previous one (keyset: the sort value and the rowid), so memory stays constant and no read
//! snapshot is held while the caller writes; the rows and their order are exactly those of the
//! list's pages laid end to end (the same WHERE clause and ORDER BY, rows without a sort value
//! last, ties by rowid). A row changed between two batches is seen as it is when its batch runs.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};

use super::filter::{COLUMN_COUNT, COLUMNS, CaseFilter, CaseRow, Query, sort_expr};
use crate::scope::Scope;
use crate::storage::StorageError;

/// Rows per batch of an export.
pub const BATCH: usize = 1_000;

/// Calls `f` with every case `filter` matches within `scope`, in the list's order, ignoring the
/// page, [`BATCH`] rows per query. Stops at the first error `f` returns. Returns how many rows
/// were passed.
pub fn for_each_case<E: From<StorageError>>(
    conn: &Connection,
    scope: &Scope,
    filter: &CaseFilter,
    f: impl FnMut(CaseRow) -> Result<(), E>,
) -> Result<u64, E> {
    for_each_case_in(conn, scope, filter, BATCH, f)
}

/// [`for_each_case`] with a chosen batch size.
pub fn for_each_case_in<E: From<StorageError>>(
    conn: &Connection,
    scope: &Scope,
    filter: &CaseFilter,
    batch: usize,
    mut f: impl FnMut(CaseRow) -> Result<(), E>,
) -> Result<u64, E> {
    let q = Query::build(scope, filter);
    let expr = sort_expr(filter.sort);
    let cmp = if filter.descending { "<" } else { ">" };
    let now = filter.now.millis();
    let mut after: Option<(Value, i64)> = None;
    let mut n = 0;
    loop {
        let mut params = q.params.clone();
        let mut where_sql = q.where_sql.clone();
        if let Some((key, rowid)) = &after {
            let r = params.len() + 1;
            params.push(Value::Integer(*rowid));
            where_sql.push_str(&match key {
                Value::Null => format!(" AND ({expr} IS NULL AND c.record_rowid {cmp} ?{r})"),
                k => {
                    params.push(k.clone());
                    let k = r + 1;
                    format!(
                        " AND ({expr} {cmp} ?{k} OR ({expr} = ?{k} AND c.record_rowid {cmp} ?{r})
                              OR {expr} IS NULL)"
                    )
                }
            });
        }
        let sql = format!(
            "SELECT {COLUMNS}, {expr}, c.record_rowid FROM {} WHERE {where_sql}
             ORDER BY {} LIMIT {batch}",
            q.from_sql, q.order_sql
        );
        let width = COLUMN_COUNT;
        let rows: Vec<(CaseRow, Value, i64)> = conn
            .prepare_cached(&sql)
            .map_err(StorageError::from)?
            .query_map(params_from_iter(params.iter()), |r| {
                Ok((CaseRow::read(r, now)?, r.get(width)?, r.get(width + 1)?))
            })
            .map_err(StorageError::from)?
            .collect::<Result<_, _>>()
            .map_err(StorageError::from)?;
        let full = rows.len() == batch;
        for (row, key, rowid) in rows {
            f(row)?;
            n += 1;
            after = Some((key, rowid));
        }
        if !full {
            return Ok(n);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use gridmate_domain::Timestamp;

    use super::*;
    use crate::console::filter::list_page;
    use crate::storage::SqliteStorage;

    /// Rows with ties and missing values in every sort key: the batches, laid end to end, are
    /// the pages laid end to end, for every sort and direction and any batch size.
    #[test]
    fn batches_are_the_list_in_order() {
        let (_dir, db) = tied_rows();
        let scope = Scope::parse_list("jingkou-zhengdonglu").unwrap();
        let now = Timestamp::from_millis(1_050).unwrap();
        for sort in ["occurred_at", "updated_at", "due_at", "risk", "status"] {
            for order in ["asc", "desc"] {
                let f = CaseFilter::from_query(
                    &format!("sort={sort}&order={order}&page_size=100"),
                    now,
                )
                .unwrap();
                let expect: Vec<String> = db
                    .read(|c| list_page(c, &scope, &f))
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|r| r.id)
                    .collect();
                assert_eq!(expect.len(), 37);
                for batch in [1, 4, 37, 100] {
                    let mut got = Vec::new();
                    db.read(|c| {
                        for_each_case_in(c, &scope, &f, batch, |r| {
                            got.push(r.id);
                            Ok::<_, StorageError>(())
                        })
                    })
                    .unwrap();
                    assert_eq!(got, expect, "{sort} {order} by {batch}");
                }
                // Pages of any size (selected from every match by `paging`), laid end to
                // end, are the list; past the end a page is empty and carries the total.
                for size in [1, 4, 5, 36] {
                    let mut got = Vec::new();
                    for page in 1..=37_u32.div_ceil(size) + 1 {
                        let f = CaseFilter::from_query(
                            &format!("sort={sort}&order={order}&page_size={size}&page={page}"),
                            now,
                        )
                        .unwrap();
                        let p = db.read(|c| list_page(c, &scope, &f)).unwrap();
                        assert_eq!(p.total, 37);
                        got.extend(p.items.into_iter().map(|r| r.id));
                    }
                    assert_eq!(got, expect, "{sort} {order} pages of {size}");
                }
            }
        }
    }

    /// 37 index rows of one grid with ties and missing values in every sort key.
    fn tied_rows() -> (tempfile::TempDir, SqliteStorage) {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        db.write(|c| {
            // Index rows without their records: this test is about the order alone.
            c.pragma_update(None, "foreign_keys", false)?;
            for i in 0..37_i64 {
                let status = ["reported", "assigned", "closed"][(i % 3) as usize];
                let risk = ["low", "high"][(i % 2) as usize];
                let due = (i % 4 != 0).then_some(1_000 + (i % 5) * 10);
                c.execute(
                    "INSERT INTO console_records (record_rowid, record_id, kind, grid_id, created_by,
                        occurred_at, updated_at, deleted, title, status, risk, due_at)
                     VALUES (?1, ?2, 'dispute', 'jingkou-zhengdonglu-03', 'w', ?3, ?4, 0, 't', ?5, ?6, ?7)",
                    rusqlite::params![i + 1, vec![i as u8; 16], 500 + i % 7, i % 2, status, risk, due],
                )?;
            }
            Ok(())
        })
        .unwrap();
        (dir, db)
    }
}

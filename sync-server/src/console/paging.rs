//! A page of the case list (`filter::list_page`): the sort keys and rowids of every case the
//! filter matches are read in one pass (from the list index, or with a search from the matches
//! and the lookup index), the total is their number, and the page is selected and ordered here;
//! then only its rows are read whole.
//!
//! Why not in SQL: the total needs every match anyway, and SQLite's sort for `LIMIT .. OFFSET`
//! keeps every row up to the page (a deep page of a county sorted half of it), or with a window
//! count sorted all of them; selecting the page by partition costs one pass whatever the page,
//! and only the page itself is sorted. Memory: 24 bytes per matching case, for the request.
//!
//! Invariants: the order is the list's (`filter::order_by`, which the exports use): the sort key
//! in the asked direction with rows without one last, ties by rowid in the same direction; the
//! keys and the rows come from one read transaction. Every sort key is an integer or NULL
//! (times, and the vocabulary ranks of risk and status).

use std::cmp::Ordering;

use rusqlite::{Connection, params_from_iter};

use super::filter::{COLUMNS, CaseFilter, CaseRow, Query, sort_expr};
use crate::storage::StorageError;

/// A match: its sort key and rowid.
type Key = (Option<i64>, i64);

/// The page of `filter` among the matches of `q`, and the number of matches.
pub fn page(
    conn: &Connection,
    q: &Query,
    filter: &CaseFilter,
) -> Result<(Vec<CaseRow>, i64), StorageError> {
    let tx = conn.unchecked_transaction()?;
    let mut keys: Vec<Key> = tx
        .prepare_cached(&format!(
            "SELECT {}, c.record_rowid FROM {} WHERE {}",
            sort_expr(filter.sort),
            q.from_sql,
            q.where_sql
        ))?
        .query_map(params_from_iter(q.params.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let total = keys.len() as i64;
    let offset = (filter.page as usize).saturating_sub(1) * filter.page_size as usize;
    let rowids = select(
        &mut keys,
        offset,
        filter.page_size as usize,
        filter.descending,
    );
    let now = filter.now.millis();
    let mut read = tx.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM console_records c WHERE c.record_rowid = ?1"
    ))?;
    let rows = rowids
        .iter()
        .map(|rowid| read.query_row([rowid], |r| CaseRow::read(r, now)))
        .collect::<Result<Vec<CaseRow>, _>>()?;
    drop(read);
    tx.finish()?;
    Ok((rows, total))
}

/// The rowids of `keys[offset..offset + size]` in the list's order, `keys` left partitioned.
fn select(keys: &mut Vec<Key>, offset: usize, size: usize, descending: bool) -> Vec<i64> {
    let cmp = |a: &Key, b: &Key| order(a, b, descending);
    if offset >= keys.len() {
        return Vec::new();
    }
    let end = (offset + size).min(keys.len());
    if end < keys.len() {
        keys.select_nth_unstable_by(end - 1, cmp);
        keys.truncate(end);
    }
    if offset > 0 {
        keys.select_nth_unstable_by(offset, cmp);
    }
    let page = &mut keys[offset..];
    page.sort_unstable_by(cmp);
    page.iter().map(|k| k.1).collect()
}

/// The list's order of two matches.
fn order(a: &Key, b: &Key, descending: bool) -> Ordering {
    let directed = |o: Ordering| if descending { o.reverse() } else { o };
    let by_key = match (a.0, b.0) {
        (Some(x), Some(y)) => directed(x.cmp(&y)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    by_key.then_with(|| directed(a.1.cmp(&b.1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any page is the slice of the fully sorted matches.
        #[test]
        fn a_page_is_the_slice_of_the_sorted_matches(
            keys in prop::collection::vec((prop::option::of(0i64..6), 0i64..1_000), 0..80),
            offset in 0usize..90,
            size in 1usize..30,
            descending in any::<bool>(),
        ) {
            let mut unique = keys;
            unique.sort_by_key(|k| k.1);
            unique.dedup_by_key(|k| k.1);
            let mut sorted = unique.clone();
            sorted.sort_by(|a, b| order(a, b, descending));
            let expect: Vec<i64> = sorted.iter().skip(offset).take(size).map(|k| k.1).collect();
            prop_assert_eq!(select(&mut unique, offset, size, descending), expect);
        }
    }

    #[test]
    fn rows_without_a_key_come_last_in_both_directions() {
        let keys = [(None, 1), (Some(5), 2), (Some(1), 3), (None, 4)];
        for (descending, expect) in [(false, [3, 2, 1, 4]), (true, [2, 3, 4, 1])] {
            let mut k = keys.to_vec();
            assert_eq!(select(&mut k, 0, 4, descending), expect);
        }
    }
}

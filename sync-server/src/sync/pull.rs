//! Pull: the changes new to a device in its scope, from its positions, in server order.
//!
//! A device keeps one position (a `seq` of the change log) per area of its scope. For each area the
//! server walks the area's grids (`sync_grids`) and seeks each grid's changes after the position in
//! the `(grid_id, seq)` index, so the cost follows what is new, not how much the server holds. The
//! union is sorted by seq and cut at the page size; every change up to the cut is included for every
//! area, so the new position of each area is the cut (or the log's high-water mark when nothing was
//! cut). An area new to the device starts at 0 and gets its whole history; areas that left the
//! scope get no answer, and `scope` tells the device what it may keep.
//!
//! Protocol 3: a record whose every logged change is in the page (its first change after the
//! area's position, its last within the page, none left out as the request's own push) carries
//! its projection and heads, read in the same snapshot as the changes.

use std::collections::HashMap;

use std::collections::HashSet;

use gridmate_domain::wire::{Change, Position, Projection, PullPage, PullRequest, PulledDoc};
use rusqlite::{Connection, params};

use super::doc::decode_heads;
use crate::scope::Scope;
use crate::storage::StorageError;

/// The most changes in one page, whatever the device asks for.
pub const MAX_PAGE_CHANGES: u32 = 10_000;
/// Raw chunk bytes in one page before it is cut (the body is then compressed). A page is held
/// three times while it is answered (rows, postcard, zstd); 4 MiB keeps a cold pull's peak within
/// the server's memory budget at the cost of a few more round trips.
pub const MAX_PAGE_BYTES: usize = 4 << 20;

struct Row {
    seq: i64,
    record_id: Vec<u8>,
    grid_id: String,
    bytes: Vec<u8>,
    /// On the record's last logged change, when its first one is after the position: the
    /// projection and the heads it was read at.
    projection: Option<(Vec<u8>, Vec<u8>)>,
}

/// The columns of a pulled change: ?1 is the area's position. The projection is read only for
/// the row of a record's last change, and only when all its changes are after the position.
const COLUMNS: &str = "c.seq, r.id, c.grid_id, c.bytes,
    CASE WHEN c.seq = r.last_seq AND r.first_seq > ?1 THEN r.projection END,
    CASE WHEN c.seq = r.last_seq AND r.first_seq > ?1 THEN r.heads END";

/// One page for `scope` from the device's positions. `skip` lists the seqs (ascending) this same request
/// just logged from the device's own push: not echoed back, but the positions move past it.
pub fn pull(
    conn: &Connection,
    scope: &Scope,
    req: &PullRequest,
    skip: &[i64],
) -> Result<PullPage, StorageError> {
    let tx = conn.unchecked_transaction()?; // one read snapshot for the high-water mark and the rows
    let high: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM sync_changes", [], |r| {
        r.get(0)
    })?;
    let limit = req.max_changes.clamp(1, MAX_PAGE_CHANGES) as usize;
    let scope = scope.minimal();
    let pos_of = |area: &str| -> i64 {
        req.positions
            .iter()
            .filter(|p| p.area == area)
            .map(|p| i64::try_from(p.seq).unwrap_or(i64::MAX))
            .max()
            .unwrap_or(0)
    };
    // Two plans. An area of one grid (a grid worker's scope) walks that grid's `(grid_id, seq)`
    // index from the position: it reads only the scope's changes, however busy other grids were
    // meanwhile. An area of several grids walks the log in seq order and keeps the area's
    // changes: it stops after a page without sorting, which a cold pull of a township needs
    // (its cost follows all changes since the position; see docs/sync-protocol.md, "Pull").
    let mut by_area = tx.prepare_cached(&format!(
        "SELECT {COLUMNS}
         FROM sync_grids g
         JOIN sync_changes c ON c.grid_id = g.grid_id AND c.seq > ?1 AND c.seq <= ?2
         JOIN sync_records r ON r.rowid = c.record_rowid
         WHERE g.grid_id = ?3 OR (g.grid_id >= ?4 AND g.grid_id < ?5)
         ORDER BY c.seq LIMIT ?6"
    ))?;
    let mut by_grid = tx.prepare_cached(&format!(
        "SELECT {COLUMNS}
         FROM sync_changes c INDEXED BY sync_changes_grid_seq
         JOIN sync_records r ON r.rowid = c.record_rowid
         WHERE c.grid_id = ?3 AND c.seq > ?1 AND c.seq <= ?2
         ORDER BY c.seq LIMIT ?4"
    ))?;
    let mut grids_of = tx.prepare_cached(
        "SELECT grid_id FROM sync_grids WHERE grid_id = ?1 OR (grid_id >= ?2 AND grid_id < ?3)
         LIMIT 2",
    )?;
    let to_row = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Row> {
        Ok(Row {
            seq: r.get(0)?,
            record_id: r.get(1)?,
            grid_id: r.get(2)?,
            bytes: r.get(3)?,
            projection: match (
                r.get::<_, Option<Vec<u8>>>(4)?,
                r.get::<_, Option<Vec<u8>>>(5)?,
            ) {
                (Some(p), Some(h)) if !p.is_empty() && !h.is_empty() => Some((p, h)),
                _ => None,
            },
        })
    };
    let mut rows: Vec<Row> = Vec::new();
    for range in scope.ranges() {
        let pos = pos_of(&range.exact);
        let grids: Vec<String> = grids_of
            .query_map(params![range.exact, range.lower, range.upper], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let found = match grids.as_slice() {
            [] => continue,
            [grid] => by_grid
                .query_map(params![pos, high, grid, limit as i64 + 1], to_row)?
                .collect::<Result<Vec<Row>, _>>()?,
            _ => by_area
                .query_map(
                    params![
                        pos,
                        high,
                        range.exact,
                        range.lower,
                        range.upper,
                        limit as i64 + 1
                    ],
                    to_row,
                )?
                .collect::<Result<Vec<Row>, _>>()?,
        };
        rows.extend(found);
    }
    drop((by_area, by_grid, grids_of));
    tx.finish()?;
    rows.sort_by_key(|r| r.seq);
    rows.dedup_by_key(|r| r.seq);

    // Cut at the page size or the byte budget (at least one change, so a page always advances).
    let mut bytes = 0usize;
    let mut take = 0usize;
    for r in rows.iter().take(limit) {
        if take > 0 && bytes + r.bytes.len() > MAX_PAGE_BYTES {
            break;
        }
        bytes += r.bytes.len();
        take += 1;
    }
    let more = take < rows.len();
    let cut = if more { rows[take - 1].seq } else { high };
    rows.truncate(take);

    let positions = scope
        .ranges()
        .into_iter()
        .map(|r| {
            let seq = pos_of(&r.exact).max(cut);
            Position {
                area: r.exact,
                seq: u64::try_from(seq).unwrap_or(0),
            }
        })
        .collect();

    let mut docs: Vec<PulledDoc> = Vec::new();
    let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
    // Records with a change left out (the request's own push): their chunks are not the whole
    // record, so they go without a projection.
    let mut partial: HashSet<Vec<u8>> = HashSet::new();
    for r in rows {
        if skip.binary_search(&r.seq).is_ok() {
            partial.insert(r.record_id);
            continue;
        }
        let i = *index.entry(r.record_id.clone()).or_insert_with(|| {
            docs.push(PulledDoc {
                record_id: r.record_id.as_slice().try_into().unwrap_or([0; 16]),
                grid_id: r.grid_id.clone(),
                changes: Vec::new(),
                projection: None,
            });
            docs.len() - 1
        });
        docs[i].changes.push(Change(r.bytes));
        // Only the row of the record's last change carries it (see `COLUMNS`).
        if let Some((record, heads)) = r.projection {
            docs[i].projection = Some(Projection {
                heads: decode_heads(&heads),
                record,
            });
        }
    }
    for d in &mut docs {
        if partial.contains(d.record_id.as_slice()) {
            d.projection = None;
        }
    }
    Ok(PullPage {
        docs,
        positions,
        more,
        scope: scope.areas().map(|a| a.as_str().to_owned()).collect(),
    })
}

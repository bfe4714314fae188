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
//!
//! Protocol 4: the disputes assigned to the user (or the user's unit) whose grid lies outside the
//! scope come too, from the pseudo-area position `assigned:<unit>` (`assigned.rs`). Each pulled
//! change has a key: its seq, except that a record assigned after the position sends its whole
//! history keyed at the seq of the assigning change. The page is cut on keys, never inside a run
//! of one key, so every position (the cut) still means "everything keyed up to here is stored".
//!
//! Protocol 5: the page names, per actor of its changes, the user the server bound that actor to
//! (`authors`): the authenticated author, whatever name a change message claims.

use std::collections::{HashMap, HashSet};

use gridmate_domain::wire::{
    Author, Change, Position, Projection, PullPage, PullRequest, PulledDoc,
};
use rusqlite::{Connection, OptionalExtension, params};

use super::assigned;
use super::doc::decode_heads;
use crate::scope::Scope;
use crate::storage::StorageError;

/// The most changes in one page, whatever the device asks for.
pub const MAX_PAGE_CHANGES: u32 = 10_000;
/// Raw chunk bytes in one page before it is cut (the body is then compressed). A page is held
/// three times while it is answered (rows, postcard, zstd); 4 MiB keeps a cold pull's peak within
/// the server's memory budget at the cost of a few more round trips.
pub const MAX_PAGE_BYTES: usize = 4 << 20;

pub(super) struct Row {
    /// What the page is ordered and cut by: the seq, except for the history of a record newly
    /// assigned to the reader (`assigned.rs`).
    pub key: i64,
    pub seq: i64,
    pub record_id: Vec<u8>,
    pub grid_id: String,
    pub bytes: Vec<u8>,
    /// On the record's last logged change, when its first one is after the position: the
    /// projection and the heads it was read at.
    pub projection: Option<(Vec<u8>, Vec<u8>)>,
    /// The Automerge actor that wrote the change.
    pub actor: Vec<u8>,
}

impl Row {
    /// A row of `COLUMNS` (or the same columns in that order), keyed by its seq.
    pub(super) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let seq = r.get(0)?;
        Ok(Self {
            key: seq,
            seq,
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
            actor: r.get(6)?,
        })
    }
}

/// The columns of a pulled change: ?1 is the area's position. The projection is read only for
/// the row of a record's last change, and only when all its changes are after the position.
const COLUMNS: &str = "c.seq, r.id, c.grid_id, c.bytes,
    CASE WHEN c.seq = r.last_seq AND r.first_seq > ?1 THEN r.projection END,
    CASE WHEN c.seq = r.last_seq AND r.first_seq > ?1 THEN r.heads END,
    c.actor";

/// Who pulls: the user's current scope, name and unit; `assigned` when the request's protocol
/// knows assigned records and revocations (4 and later).
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    pub scope: &'a Scope,
    pub user_name: &'a str,
    pub unit: Option<&'a str>,
    pub assigned: bool,
    /// The request's protocol names the authors of pulled changes (5 and later).
    pub authors: bool,
}

/// One page for the reader from the device's positions. `skip` lists the seqs (ascending) this
/// same request just logged from the device's own push: not echoed back, but the positions move
/// past it.
pub fn pull(
    conn: &Connection,
    who: &Reader<'_>,
    req: &PullRequest,
    skip: &[i64],
) -> Result<PullPage, StorageError> {
    let tx = conn.unchecked_transaction()?; // one read snapshot for the high-water mark and the rows
    let high: i64 = tx.query_row("SELECT coalesce(max(seq), 0) FROM sync_changes", [], |r| {
        r.get(0)
    })?;
    let limit = req.max_changes.clamp(1, MAX_PAGE_CHANGES) as usize;
    let scope = who.scope.minimal();
    let mut rows = area_rows(&tx, &scope, req, high, limit)?;
    let feed = who.assigned.then(|| assigned::Feed::of(who, &scope, req));
    if let Some(feed) = &feed {
        rows.extend(feed.rows(&tx, who, high)?);
    }
    rows.sort_by_key(|r| (r.key, r.seq));
    rows.dedup_by_key(|r| r.seq);

    let take = cut_at(&rows, limit);
    let more = take < rows.len();
    let cut = if more { rows[take - 1].key } else { high };
    rows.truncate(take);
    let revoked = match &feed {
        Some(feed) => feed.revoked(&tx, who, cut)?,
        None => Vec::new(),
    };
    let authors = if who.authors {
        authors_of(&tx, &rows, skip)?
    } else {
        Vec::new()
    };
    tx.finish()?;

    let mut positions: Vec<Position> = scope
        .ranges()
        .into_iter()
        .map(|r| {
            let seq = pos_of(req, &r.exact).max(cut);
            Position {
                area: r.exact,
                seq: u64::try_from(seq).unwrap_or(0),
            }
        })
        .collect();
    if let Some(feed) = &feed {
        positions.push(feed.position_after(cut));
    }
    Ok(PullPage {
        docs: into_docs(rows, skip),
        positions,
        more,
        scope: scope.areas().map(|a| a.as_str().to_owned()).collect(),
        revoked,
        authors,
    })
}

/// The user each actor of the page's changes is bound to (`sync_actors`: the user whose device
/// first pushed a change of it). Every logged change's actor is bound in the transaction that
/// logged it; an actor bound to a deleted user has no author and is left out.
fn authors_of(tx: &Connection, rows: &[Row], skip: &[i64]) -> Result<Vec<Author>, StorageError> {
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut stmt = tx.prepare_cached(
        "SELECT u.name FROM sync_actors a JOIN users u ON u.id = a.user_id WHERE a.actor = ?1",
    )?;
    let mut out = Vec::new();
    for r in rows {
        if skip.binary_search(&r.seq).is_ok() || !seen.insert(r.actor.as_slice()) {
            continue;
        }
        let user: Option<String> = stmt
            .query_row([r.actor.as_slice()], |row| row.get(0))
            .optional()?;
        if let Some(user) = user {
            out.push(Author {
                actor: r.actor.clone(),
                user,
            });
        }
    }
    Ok(out)
}

/// The device's position in `area` (0 when it has none).
pub(super) fn pos_of(req: &PullRequest, area: &str) -> i64 {
    req.positions
        .iter()
        .filter(|p| p.area == area)
        .map(|p| i64::try_from(p.seq).unwrap_or(i64::MAX))
        .max()
        .unwrap_or(0)
}

/// The changes of the scope's areas after the device's positions, up to `limit` + 1 per area.
fn area_rows(
    tx: &Connection,
    scope: &Scope,
    req: &PullRequest,
    high: i64,
    limit: usize,
) -> Result<Vec<Row>, StorageError> {
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
    let mut rows: Vec<Row> = Vec::new();
    for range in scope.ranges() {
        let pos = pos_of(req, &range.exact);
        let grids: Vec<String> = grids_of
            .query_map(params![range.exact, range.lower, range.upper], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let found = match grids.as_slice() {
            [] => continue,
            [grid] => by_grid
                .query_map(params![pos, high, grid, limit as i64 + 1], Row::read)?
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
                    Row::read,
                )?
                .collect::<Result<Vec<Row>, _>>()?,
        };
        rows.extend(found);
    }
    Ok(rows)
}

/// How many of `rows` (sorted by key) the page takes: up to `limit` changes and the byte budget
/// (at least one change, so a page always advances), never part of a run of one key: the run
/// is left to the next page, or, when it starts the page, taken whole.
fn cut_at(rows: &[Row], limit: usize) -> usize {
    let mut bytes = 0usize;
    let mut take = 0usize;
    for r in rows.iter().take(limit) {
        if take > 0 && bytes + r.bytes.len() > MAX_PAGE_BYTES {
            break;
        }
        bytes += r.bytes.len();
        take += 1;
    }
    if take == 0 || take >= rows.len() || rows[take].key != rows[take - 1].key {
        return take;
    }
    let key = rows[take].key;
    match rows[..take].iter().rposition(|r| r.key != key) {
        Some(i) => i + 1,
        None => rows[take..]
            .iter()
            .position(|r| r.key != key)
            .map_or(rows.len(), |i| take + i),
    }
}

/// The page's records, each with its changes in log order.
fn into_docs(rows: Vec<Row>, skip: &[i64]) -> Vec<PulledDoc> {
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
    docs
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn row(key: i64, seq: i64, len: usize) -> Row {
        Row {
            key,
            seq,
            record_id: vec![0; 16],
            grid_id: "jingkou".into(),
            bytes: vec![0; len],
            projection: None,
            actor: vec![1; 16],
        }
    }

    #[test]
    fn a_run_of_one_key_is_never_split() {
        let rows: Vec<Row> = [(1, 1), (5, 2), (5, 3), (5, 5), (6, 6)]
            .into_iter()
            .map(|(k, s)| row(k, s, 1))
            .collect();
        assert_eq!(cut_at(&rows, 2), 1, "the run waits for the next page");
        assert_eq!(cut_at(&rows, 4), 4);
        assert_eq!(
            cut_at(&rows[1..], 1),
            3,
            "a run that starts the page is taken whole"
        );
        assert_eq!(cut_at(&[], 3), 0);
    }

    proptest! {
        /// Whatever the rows, a page advances, stays within its limit unless one run is larger,
        /// and ends at a key boundary: every row keyed up to the cut is in the page.
        #[test]
        fn cuts_fall_between_keys(
            keys in prop::collection::vec(1i64..40, 0..60),
            sizes in prop::collection::vec(1usize..(2 * MAX_PAGE_BYTES), 60),
            limit in 1usize..20,
        ) {
            let mut keys = keys;
            keys.sort_unstable();
            let rows: Vec<Row> = keys
                .iter()
                .enumerate()
                .map(|(i, k)| row(*k, i as i64, sizes[i] % (MAX_PAGE_BYTES / 2) + 1))
                .collect();
            let take = cut_at(&rows, limit);
            prop_assert!(take <= rows.len());
            prop_assert_eq!(take == 0, rows.is_empty());
            if take < rows.len() && take > 0 {
                prop_assert!(rows[take].key != rows[take - 1].key);
            }
            if take > limit {
                prop_assert!(rows[..take].iter().all(|r| r.key == rows[0].key));
            }
        }
    }
}

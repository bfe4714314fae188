//! Disputes assigned outside the grid (protocol 4): the index of current assignments, kept when a
//! change is accepted, and the part of a pull that brings a user the disputes assigned to them
//! (or to their unit) whose grid lies outside their scope, and revokes them once reassigned.
//!
//! Invariants:
//! - `sync_assignments` holds, for every dispute with an assignee, the assignee its workflow
//!   derives at the record's last accepted change and the seq of the change that made that
//!   assignment; `sync_assignment_ends` the assignments that ended, at the seq that ended them.
//!   Both are written in the transaction that logs the change, so a pull's snapshot sees the
//!   index and the log agree.
//! - The position `assigned:<unit>` means: every change of a record assigned to the reader, keyed
//!   by its seq (or, for the history of a record assigned after the position, by the seq of the
//!   assigning change), up to the position is stored on the device. A record assigned after the
//!   position therefore comes whole (the device has none of it); a record assigned before, with
//!   its new changes only.
//! - The position starts again from 0 when the device has no position for the user's current
//!   unit, or named an area that is no longer in the scope (the device drops what left its scope,
//!   so what is assigned must come whole again).
//! - Only records outside the scope come this way (the scope's areas bring the others), and only
//!   those are revoked: a revoked record is one whose assignment to the reader ended after the
//!   position, within the page, and that is not assigned to the reader now; or, when the user
//!   has left a unit (the device still sends that unit's position), one the device may hold
//!   through that unit.

use gridmate_domain::wire::{self, Position, PullRequest, Uuid};
use gridmate_domain::{GridId, Record, RecordBody};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::pull::{Reader, Row, pos_of};
use crate::scope::Scope;
use crate::storage::StorageError;

/// The assigned-records part of one pull.
#[derive(Debug)]
pub(super) struct Feed {
    /// `assigned:<unit>` of the reader's current unit.
    area: String,
    /// Where the device stands in it (0: it holds none of the assigned records).
    pos: i64,
    /// Positions of units the user no longer acts for, with the device's seq in each: what the
    /// device holds because of them is revoked in this page.
    left_units: Vec<(String, i64)>,
}

impl Feed {
    /// The feed of a request; `scope` is the reader's minimal scope.
    pub(super) fn of(who: &Reader<'_>, scope: &Scope, req: &PullRequest) -> Self {
        let area = wire::assigned_position(who.unit);
        let areas: Vec<String> = scope.ranges().into_iter().map(|r| r.exact).collect();
        let left_scope = req
            .positions
            .iter()
            .any(|p| !wire::is_assigned_position(&p.area) && !areas.contains(&p.area));
        let pos = if left_scope { 0 } else { pos_of(req, &area) };
        let left_units = req
            .positions
            .iter()
            .filter(|p| wire::is_assigned_position(&p.area) && p.area != area)
            .filter_map(|p| {
                let unit = p.area.strip_prefix(wire::ASSIGNED_POSITION)?;
                let seq = i64::try_from(p.seq).unwrap_or(i64::MAX);
                (!unit.is_empty()).then(|| (unit.to_owned(), seq))
            })
            .collect();
        Self {
            area,
            pos,
            left_units,
        }
    }

    /// The position to send next time, after a page cut at `cut`.
    pub(super) fn position_after(&self, cut: i64) -> Position {
        Position {
            area: self.area.clone(),
            seq: u64::try_from(self.pos.max(cut)).unwrap_or(0),
        }
    }

    /// The changes of the records assigned to the reader outside the scope, after the position
    /// (a record assigned after it: all of them, keyed at the assigning change).
    pub(super) fn rows(
        &self,
        tx: &Connection,
        who: &Reader<'_>,
        high: i64,
    ) -> Result<Vec<Row>, StorageError> {
        let mut list = tx.prepare_cached(
            "SELECT a.record_rowid, a.assigned_seq, r.grid_id FROM sync_assignments a
             JOIN sync_records r ON r.rowid = a.record_rowid
             WHERE a.assignee_user = ?1 OR a.assignee_unit = ?2",
        )?;
        let records: Vec<(i64, i64, String)> = list
            .query_map(params![who.user_name, who.unit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<_, _>>()?;
        // ?3: the page holds the record's whole history, so its last change carries the
        // projection (protocol 3).
        let mut changes = tx.prepare_cached(
            "SELECT c.seq, r.id, c.grid_id, c.bytes,
                 CASE WHEN c.seq = r.last_seq AND ?3 THEN r.projection END,
                 CASE WHEN c.seq = r.last_seq AND ?3 THEN r.heads END,
                 c.actor
             FROM sync_changes c JOIN sync_records r ON r.rowid = c.record_rowid
             WHERE c.record_rowid = ?1 AND c.seq > ?2 AND c.seq <= ?4
             ORDER BY c.seq",
        )?;
        let mut out = Vec::new();
        for (rowid, assigned_seq, grid) in records {
            if !outside(who.scope, &grid) {
                continue;
            }
            let whole = assigned_seq > self.pos;
            let from = if whole { 0 } else { self.pos };
            for row in changes.query_map(params![rowid, from, whole, high], Row::read)? {
                let mut row = row?;
                if whole {
                    row.key = row.seq.max(assigned_seq);
                }
                out.push(row);
            }
        }
        Ok(out)
    }

    /// The records outside the scope whose assignment to the reader ended after the position and
    /// at or before `cut`, and that are not assigned to the reader now.
    pub(super) fn revoked(
        &self,
        tx: &Connection,
        who: &Reader<'_>,
        cut: i64,
    ) -> Result<Vec<Uuid>, StorageError> {
        let mut stmt = tx.prepare_cached(
            "SELECT DISTINCT r.id, r.grid_id FROM sync_assignment_ends e
             JOIN sync_records r ON r.rowid = e.record_rowid
             WHERE (e.former_user = ?1 OR e.former_unit = ?2) AND e.seq > ?3 AND e.seq <= ?4
               AND NOT EXISTS (SELECT 1 FROM sync_assignments a
                               WHERE a.record_rowid = e.record_rowid
                                 AND (a.assignee_user = ?1 OR a.assignee_unit = ?2))",
        )?;
        let mut rows: Vec<(Vec<u8>, String)> = stmt
            .query_map(params![who.user_name, who.unit, self.pos, cut], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        // A unit the user has left: everything the device may hold through it (assigned to that
        // unit now, or until after the device's position in it). Its position is not answered,
        // so this is the only page that can tell; ids the device never held cost nothing.
        let mut of_unit = tx.prepare_cached(
            "SELECT r.id, r.grid_id FROM sync_records r
             WHERE r.rowid IN (SELECT record_rowid FROM sync_assignments WHERE assignee_unit = ?1
                               UNION
                               SELECT record_rowid FROM sync_assignment_ends
                               WHERE former_unit = ?1 AND seq > ?2)
               AND NOT EXISTS (SELECT 1 FROM sync_assignments a
                               WHERE a.record_rowid = r.rowid
                                 AND (a.assignee_user = ?3 OR a.assignee_unit = ?4))",
        )?;
        for (unit, seq) in &self.left_units {
            let found = of_unit
                .query_map(params![unit, seq, who.user_name, who.unit], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<Vec<(Vec<u8>, String)>, _>>()?;
            rows.extend(found);
        }
        let mut ids: Vec<Uuid> = rows
            .into_iter()
            .filter(|(_, grid)| outside(who.scope, grid))
            .filter_map(|(id, _)| id.as_slice().try_into().ok())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }
}

/// Whether a record's grid lies outside the scope (an unreadable grid id is treated as inside:
/// such a record is never sent or revoked this way).
fn outside(scope: &Scope, grid: &str) -> bool {
    GridId::parse(grid).is_some_and(|g| !scope.covers(&g))
}

/// Keeps `sync_assignments` and `sync_assignment_ends` in step with a record accepted at `seq`
/// (its last logged change): a dispute's assignee as its workflow now derives it.
pub(super) fn index_assignment(
    tx: &Transaction<'_>,
    rowid: i64,
    record: &Record,
    seq: i64,
) -> Result<(), StorageError> {
    let RecordBody::Dispute(d) = &record.body else {
        return Ok(());
    };
    let state = d.view().state;
    let now = (state.assignee_user, state.assignee_unit);
    let before: Option<(Option<String>, Option<String>)> = tx
        .prepare_cached(
            "SELECT assignee_user, assignee_unit FROM sync_assignments WHERE record_rowid = ?1",
        )?
        .query_row([rowid], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let unassigned = now.0.is_none() && now.1.is_none();
    match &before {
        Some(b) if *b == now => return Ok(()),
        None if unassigned => return Ok(()),
        Some((user, unit)) => {
            tx.prepare_cached(
                "INSERT INTO sync_assignment_ends (record_rowid, former_user, former_unit, seq)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![rowid, user, unit, seq])?;
        }
        None => {}
    }
    if unassigned {
        tx.prepare_cached("DELETE FROM sync_assignments WHERE record_rowid = ?1")?
            .execute([rowid])?;
    } else {
        tx.prepare_cached(
            "INSERT INTO sync_assignments (record_rowid, assignee_user, assignee_unit, assigned_seq)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (record_rowid) DO UPDATE SET assignee_user = excluded.assignee_user,
                 assignee_unit = excluded.assignee_unit, assigned_seq = excluded.assigned_seq",
        )?
        .execute(params![rowid, now.0, now.1, seq])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn feed(scope: &str, unit: Option<&str>, positions: &[(&str, u64)]) -> Feed {
        let scope = Scope::parse_list(scope).unwrap();
        let who = Reader {
            scope: &scope,
            user_name: "chen.jing",
            unit,
            assigned: true,
            authors: true,
        };
        let req = PullRequest {
            positions: positions
                .iter()
                .map(|(area, seq)| Position {
                    area: (*area).to_owned(),
                    seq: *seq,
                })
                .collect(),
            max_changes: 100,
        };
        Feed::of(&who, &scope.minimal(), &req)
    }

    #[test]
    fn the_position_is_kept_while_scope_and_unit_stay() {
        let f = feed(
            "jingkou-jianshelu",
            None,
            &[("jingkou-jianshelu", 9), ("assigned:", 7)],
        );
        assert_eq!((f.pos, f.area.as_str()), (7, "assigned:"));
        assert!(f.left_units.is_empty());
        assert_eq!(f.position_after(12).seq, 12);
        assert_eq!(f.position_after(3).seq, 7, "never moves back");
    }

    #[test]
    fn the_position_starts_again_when_the_scope_or_the_unit_changes() {
        let shrunk = feed(
            "jingkou-jianshelu",
            None,
            &[("jingkou", 9), ("assigned:", 7)],
        );
        assert_eq!(shrunk.pos, 0, "an area left the scope");
        let joined = feed(
            "jingkou-jianshelu",
            Some("jingkou-sfs"),
            &[("assigned:", 7)],
        );
        assert_eq!(
            (joined.pos, joined.area.as_str()),
            (0, "assigned:jingkou-sfs")
        );
        assert!(joined.left_units.is_empty(), "no unit was left");
        let moved = feed(
            "jingkou-jianshelu",
            Some("jingkou-pcs"),
            &[("assigned:jingkou-sfs", 7)],
        );
        assert_eq!(moved.pos, 0);
        assert_eq!(moved.left_units, vec![("jingkou-sfs".to_owned(), 7)]);
        let new_device = feed("jingkou-jianshelu", None, &[]);
        assert_eq!(new_device.pos, 0);
    }

    #[test]
    fn only_grids_outside_the_scope_are_assigned_outside_it() {
        let scope = Scope::parse_list("jingkou-jianshelu").unwrap();
        assert!(outside(&scope, "jingkou-zhengdonglu-03"));
        assert!(!outside(&scope, "jingkou-jianshelu-01"));
        assert!(!outside(&scope, "Not A Grid"));
    }
}

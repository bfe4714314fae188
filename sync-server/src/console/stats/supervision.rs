//! `GET /v1/console/supervision?area` (督办): the open disputes that are overdue or due within
//! 24 hours, grouped by assignee unit and assignee user, with counts and the cases by due time.
//!
//! Invariants: limited to the reached areas; "open" is any status but closed, evaluated and
//! not_accepted (those wait for nobody); overdue is `due_at < now` at query time; the counts are
//! exact, the case rows of one assignee stop at [`MAX_CASES_PER_ASSIGNEE`] (`truncated`).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{RawQuery, State};
use rusqlite::{params_from_iter, types::Value};
use serde::Serialize;

use super::map::uuid_string;
use super::params::Params;
use crate::console::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::scope::Scope;
use crate::state::AppState;
use crate::storage::{SqliteStorage, StorageError};

/// How far ahead "due soon" looks.
pub const HORIZON_MS: i64 = 24 * 3600 * 1000;
/// The most case rows shown per assignee (the counts still count every case).
pub const MAX_CASES_PER_ASSIGNEE: usize = 50;

#[derive(Debug, Clone, Serialize)]
pub struct SupervisedCase {
    pub id: String,
    pub grid_id: String,
    pub title: String,
    pub status: Option<String>,
    pub due_at: i64,
    pub overdue: bool,
    pub supervised: bool,
    pub assignee_user: Option<String>,
    pub assignee_unit: Option<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub total: u64,
    pub overdue: u64,
    pub due_soon: u64,
}

impl Counts {
    fn add(&mut self, overdue: bool) {
        self.total += 1;
        if overdue {
            self.overdue += 1;
        } else {
            self.due_soon += 1;
        }
    }
}

#[derive(Debug, Serialize)]
pub struct AssigneeGroup {
    pub user: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
    pub truncated: bool,
    pub cases: Vec<SupervisedCase>,
}

#[derive(Debug, Serialize)]
pub struct UnitGroup {
    pub unit: Option<String>,
    pub unit_name: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
    pub assignees: Vec<AssigneeGroup>,
}

#[derive(Debug, Serialize)]
pub struct Overview {
    pub area: Option<String>,
    pub now: i64,
    pub horizon: i64,
    #[serde(flatten)]
    pub counts: Counts,
    pub units: Vec<UnitGroup>,
}

pub async fn overview(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(q): RawQuery,
) -> Result<Json<Overview>, ApiError> {
    let p = Params::parse(q.as_deref(), &["area"])?;
    let reach = p.reach(&user.scope)?;
    let now = state.clock.now().millis();
    let db = state.db.clone();
    let areas = reach.areas.clone();
    let (counts, units) = blocking(move || Ok(groups(&db, &areas, now)?)).await?;
    Ok(Json(Overview {
        area: reach.area.map(|a| a.as_str().to_owned()),
        now,
        horizon: now.saturating_add(HORIZON_MS),
        counts,
        units,
    }))
}

/// Where a case goes in the answer while the index is scanned: its group, kept rowids.
type GroupKey = (Option<String>, Option<String>);

/// The overview of `areas` at `now`, read in one snapshot: a scan of the covering index counts
/// every case and keeps the rowids of the first cases of each assignee, then only those rows
/// are read in full (a county with many overdue cases reads a few thousand rows, not all).
pub fn groups(
    db: &SqliteStorage,
    areas: &Scope,
    now: i64,
) -> Result<(Counts, Vec<UnitGroup>), StorageError> {
    if areas.is_empty() {
        return Ok((Counts::default(), Vec::new()));
    }
    let (pred, scope_params) = areas.sql_predicate("grid_id", 2);
    let mut values = vec![Value::Integer(now.saturating_add(HORIZON_MS))];
    values.extend(scope_params.into_iter().map(Value::Text));
    let sql = scan_sql(&pred);
    db.read_index(|c| {
        let tx = c.unchecked_transaction()?;
        let mut counts = Counts::default();
        let mut units: Vec<UnitGroup> = Vec::new();
        let mut keep: Vec<(usize, usize, i64)> = Vec::new();
        let mut index: HashMap<GroupKey, (usize, usize)> = HashMap::new();
        {
            let mut stmt = tx.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(values))?;
            // By due time, so groups are created in the order of their most urgent case.
            while let Some(r) = rows.next()? {
                let (rowid, due_at): (i64, i64) = (r.get(0)?, r.get(1)?);
                let key: GroupKey = (r.get(2)?, r.get(3)?);
                let overdue = due_at < now;
                counts.add(overdue);
                let (ui, ai) = *index
                    .entry(key.clone())
                    .or_insert_with(|| place(&mut units, key));
                units[ui].counts.add(overdue);
                let a = &mut units[ui].assignees[ai];
                a.counts.add(overdue);
                if a.counts.total as usize <= MAX_CASES_PER_ASSIGNEE {
                    keep.push((ui, ai, rowid));
                } else {
                    a.truncated = true;
                }
            }
        }
        let mut full = tx.prepare_cached(
            "SELECT record_id, grid_id, title, status, due_at, supervised, assignee_user,
                    assignee_unit
               FROM console_records WHERE record_rowid = ?1",
        )?;
        for (ui, ai, rowid) in keep {
            let case = full.query_row([rowid], |r| row_case(r, now))?;
            units[ui].assignees[ai].cases.push(case);
        }
        drop(full);
        if !units.is_empty() {
            let names = unit_names(&tx)?;
            for u in &mut units {
                u.unit_name = u.unit.as_ref().and_then(|id| names.get(id).cloned());
            }
        }
        tx.commit()?;
        Ok((counts, units))
    })
}

/// The covering scan of the cases due before `?1`.
pub(super) fn scan_sql(pred: &str) -> String {
    format!(
        "SELECT record_rowid, due_at, assignee_unit, assignee_user
           FROM console_records INDEXED BY console_supervision
          WHERE kind = 'dispute' AND deleted = 0 AND due_at IS NOT NULL
            AND status NOT IN ('closed', 'evaluated', 'not_accepted')
            AND due_at < ?1 AND {pred}
          ORDER BY due_at, record_rowid"
    )
}

/// Finds or creates the unit and assignee groups of `key`.
fn place(units: &mut Vec<UnitGroup>, (unit, user): GroupKey) -> (usize, usize) {
    let ui = units
        .iter()
        .position(|u| u.unit == unit)
        .unwrap_or_else(|| {
            units.push(UnitGroup {
                unit,
                unit_name: None,
                counts: Counts::default(),
                assignees: Vec::new(),
            });
            units.len() - 1
        });
    let assignees = &mut units[ui].assignees;
    assignees.push(AssigneeGroup {
        user,
        counts: Counts::default(),
        truncated: false,
        cases: Vec::new(),
    });
    (ui, assignees.len() - 1)
}

fn row_case(r: &rusqlite::Row<'_>, now: i64) -> rusqlite::Result<SupervisedCase> {
    let id: Vec<u8> = r.get(0)?;
    let due_at: i64 = r.get(4)?;
    Ok(SupervisedCase {
        id: uuid_string(&id),
        grid_id: r.get(1)?,
        title: r.get(2)?,
        status: r.get(3)?,
        due_at,
        overdue: due_at < now,
        supervised: r.get::<_, i64>(5)? != 0,
        assignee_user: r.get(6)?,
        assignee_unit: r.get(7)?,
    })
}

fn unit_names(c: &rusqlite::Connection) -> Result<BTreeMap<String, String>, StorageError> {
    let mut stmt = c.prepare_cached("SELECT id, name FROM units")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

//! `GET /v1/console/supervision?area` (督办): the open disputes that are overdue or due within
//! 24 hours, grouped by assignee unit and assignee user, with counts and the cases by due time.
//!
//! Invariants: limited to the reached areas; "open" is any status but closed, evaluated and
//! not_accepted (those wait for nobody); overdue is `due_at < now` at query time; the counts are
//! exact, the case rows of one assignee stop at [`MAX_CASES_PER_ASSIGNEE`] (`truncated`).

use std::collections::BTreeMap;

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
    let (cases, names) = blocking(move || {
        let cases = due_cases(&db, &areas, now, now.saturating_add(HORIZON_MS))?;
        let names = if cases.is_empty() {
            BTreeMap::new()
        } else {
            unit_names(&db)?
        };
        Ok((cases, names))
    })
    .await?;
    let mut counts = Counts::default();
    let mut units: Vec<UnitGroup> = Vec::new();
    // Cases come by due time, so groups are created in the order of their most urgent case.
    for case in cases {
        counts.add(case.overdue);
        let ui = match units.iter().position(|u| u.unit == case.assignee_unit) {
            Some(i) => i,
            None => {
                units.push(UnitGroup {
                    unit: case.assignee_unit.clone(),
                    unit_name: case
                        .assignee_unit
                        .as_ref()
                        .and_then(|u| names.get(u).cloned()),
                    counts: Counts::default(),
                    assignees: Vec::new(),
                });
                units.len() - 1
            }
        };
        let unit = &mut units[ui];
        unit.counts.add(case.overdue);
        let ai = match unit
            .assignees
            .iter()
            .position(|a| a.user == case.assignee_user)
        {
            Some(i) => i,
            None => {
                unit.assignees.push(AssigneeGroup {
                    user: case.assignee_user.clone(),
                    counts: Counts::default(),
                    truncated: false,
                    cases: Vec::new(),
                });
                unit.assignees.len() - 1
            }
        };
        let a = &mut unit.assignees[ai];
        a.counts.add(case.overdue);
        if a.cases.len() < MAX_CASES_PER_ASSIGNEE {
            a.cases.push(case);
        } else {
            a.truncated = true;
        }
    }
    Ok(Json(Overview {
        area: reach.area.map(|a| a.as_str().to_owned()),
        now,
        horizon: now.saturating_add(HORIZON_MS),
        counts,
        units,
    }))
}

/// Open disputes in `areas` due before `horizon`, by due time.
pub fn due_cases(
    db: &SqliteStorage,
    areas: &Scope,
    now: i64,
    horizon: i64,
) -> Result<Vec<SupervisedCase>, StorageError> {
    if areas.is_empty() {
        return Ok(Vec::new());
    }
    let (pred, scope_params) = areas.sql_predicate("grid_id", 2);
    let mut values = vec![Value::Integer(horizon)];
    values.extend(scope_params.into_iter().map(Value::Text));
    let sql = format!(
        "SELECT record_id, grid_id, title, status, due_at, supervised, assignee_user, assignee_unit
           FROM console_records INDEXED BY console_supervision
          WHERE kind = 'dispute' AND deleted = 0 AND due_at IS NOT NULL
            AND status NOT IN ('closed', 'evaluated', 'not_accepted')
            AND due_at < ?1 AND {pred}
          ORDER BY due_at, record_rowid"
    );
    db.read(|c| {
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(values), |r| {
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
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    })
}

fn unit_names(db: &SqliteStorage) -> Result<BTreeMap<String, String>, StorageError> {
    db.read(|c| {
        let mut stmt = c.prepare_cached("SELECT id, name FROM units")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    })
}

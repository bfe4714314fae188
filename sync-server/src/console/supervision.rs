//! `GET /v1/console/supervision?area=` (督办): the open disputes of the user's areas that are
//! overdue or due within 24 hours, grouped by who holds them (unit and assignee), with counts, for
//! the supervision screen. A dispatcher raises supervision or escalates from here through
//! `POST /v1/console/cases/{id}/actions`.
//!
//! Invariants: reads the console index only (`console_records`, kept in the transaction of every
//! accepted change), never documents; limited on the server to the user's areas, narrowed to
//! `area` when given (an area outside them yields nothing); overdue is derived from `due_at` and
//! the clock at query time, never stored; at most [`MAX_ITEMS`] disputes, the most urgent first.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use gridmate_domain::{GridId, area_covers};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;

use super::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::scope::Scope;
use crate::state::AppState;
use crate::storage::StorageError;

/// "Near due": due within this long.
pub const NEAR_DUE_MS: i64 = 24 * 3600 * 1000;
/// Most disputes one answer lists (counts cover them all up to this bound).
pub const MAX_ITEMS: usize = 1000;
/// Statuses somebody still has to act on (closed, evaluated and not-accepted wait for nobody).
const OPEN: &str = "'reported','accepted','assigned','in_progress','returned','escalated',\
                    'resolved','follow_up'";

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/console/supervision", get(supervision))
}

/// One dispute on the supervision screen (no personal data: the index's title has none).
#[derive(Debug, Serialize, PartialEq)]
pub struct Item {
    pub id: String,
    pub grid_id: String,
    pub title: String,
    pub status: Option<String>,
    pub risk: Option<String>,
    pub due_at: i64,
    pub overdue: bool,
    pub supervised: bool,
}

/// The disputes one unit and assignee hold.
#[derive(Debug, Serialize, PartialEq)]
pub struct Group {
    pub assignee_unit: Option<String>,
    pub assignee_user: Option<String>,
    pub overdue: usize,
    pub near_due: usize,
    pub items: Vec<Item>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Supervision {
    pub now: i64,
    pub overdue: usize,
    pub near_due: usize,
    /// Most overdue first.
    pub groups: Vec<Group>,
    /// More disputes matched than [`MAX_ITEMS`].
    pub truncated: bool,
}

async fn supervision(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(query): RawQuery,
) -> Result<Json<Supervision>, ApiError> {
    let area = area_param(query.as_deref())?;
    let scope = narrowed(&user.scope, area.as_ref());
    let (db, now) = (state.db.clone(), state.clock.now().millis());
    let answer =
        blocking(move || db.read(|c| load(c, &scope, now)).map_err(ApiError::from)).await?;
    Ok(Json(answer))
}

/// The `area` parameter, if any: a grid or area id (ids are plain slugs, never percent-encoded).
fn area_param(query: Option<&str>) -> Result<Option<GridId>, ApiError> {
    let mut area = None;
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k != "area" {
            return Err(ApiError::invalid(
                "unknown_field",
                k.chars().take(64).collect::<String>(),
                "未知的查询参数",
                "unknown query parameter",
            ));
        }
        if v.is_empty() {
            continue;
        }
        area = Some(GridId::parse(v).ok_or_else(|| {
            ApiError::invalid(
                "invalid_grid_id",
                "area",
                "区域编号无效",
                "not a valid area id",
            )
        })?);
    }
    Ok(area)
}

/// The user's scope narrowed to `area`: the area itself when the scope covers it, else the
/// scope's entries inside it (none when the area lies outside the scope).
fn narrowed(scope: &Scope, area: Option<&GridId>) -> Scope {
    match area {
        None => scope.clone(),
        Some(a) if scope.covers(a) => Scope::new([a.clone()]),
        Some(a) => Scope::new(
            scope
                .areas()
                .filter(|s| area_covers(a.as_str(), s.as_str()))
                .cloned(),
        ),
    }
}

/// The supervision view of `scope` at `now` from the console index.
pub fn load(conn: &Connection, scope: &Scope, now: i64) -> Result<Supervision, StorageError> {
    let (pred, scope_params) = scope.sql_predicate("grid_id", 3);
    let sql = format!(
        "SELECT record_id, grid_id, title, status, risk, assignee_unit, assignee_user, due_at,
                supervised
           FROM console_records
          WHERE kind = 'dispute' AND deleted = 0 AND due_at IS NOT NULL AND due_at < ?1
            AND status IN ({OPEN}) AND {pred}
          ORDER BY due_at, record_rowid
          LIMIT ?2"
    );
    let mut values: Vec<Sql> = vec![
        Sql::Integer(now + NEAR_DUE_MS),
        Sql::Integer(MAX_ITEMS as i64 + 1),
    ];
    values.extend(scope_params.into_iter().map(Sql::Text));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        let id: Vec<u8> = r.get(0)?;
        let due_at: i64 = r.get(7)?;
        let holder: (Option<String>, Option<String>) = (r.get(5)?, r.get(6)?);
        let item = Item {
            id: uuid::Uuid::from_slice(&id)
                .map(|u| u.to_string())
                .unwrap_or_default(),
            grid_id: r.get(1)?,
            title: r.get(2)?,
            status: r.get(3)?,
            risk: r.get(4)?,
            due_at,
            overdue: due_at < now,
            supervised: r.get::<_, i64>(8)? != 0,
        };
        Ok((holder, item))
    })?;
    let mut items = rows.collect::<Result<Vec<_>, _>>()?;
    let truncated = items.len() > MAX_ITEMS;
    items.truncate(MAX_ITEMS);
    Ok(grouped(items, now, truncated))
}

type Holder = (Option<String>, Option<String>);

fn grouped(items: Vec<(Holder, Item)>, now: i64, truncated: bool) -> Supervision {
    let mut by_holder: BTreeMap<Holder, Vec<Item>> = BTreeMap::new();
    for (holder, item) in items {
        by_holder.entry(holder).or_default().push(item);
    }
    let mut groups: Vec<Group> = by_holder
        .into_iter()
        .map(|((unit, user), items)| {
            let overdue = items.iter().filter(|i| i.overdue).count();
            Group {
                assignee_unit: unit,
                assignee_user: user,
                overdue,
                near_due: items.len() - overdue,
                items,
            }
        })
        .collect();
    groups.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(b.near_due.cmp(&a.near_due)));
    Supervision {
        now,
        overdue: groups.iter().map(|g| g.overdue).sum(),
        near_due: groups.iter().map(|g| g.near_due).sum(),
        groups,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rusqlite::params;

    use super::*;
    use crate::storage::SqliteStorage;

    const HOUR: i64 = 3600 * 1000;
    const NOW: i64 = 1_780_000_000_000;

    /// A dispute in the index: (grid, status, unit, user, due_at).
    fn add(db: &SqliteStorage, n: u8, row: (&str, &str, Option<&str>, Option<&str>, i64)) {
        let (grid, status, unit, user, due) = row;
        db.write(|c| {
            c.execute(
                "INSERT INTO sync_records (id, grid_id, kind, created_by, heads, occurred_at, updated_at, last_seq)
                 VALUES (?1, ?2, 'dispute', 'wang.wei', x'', 0, 0, 0)",
                params![vec![n; 16], grid],
            )?;
            c.execute(
                "INSERT INTO console_records (record_rowid, record_id, kind, grid_id, created_by,
                     occurred_at, updated_at, deleted, title, status, assignee_unit, assignee_user,
                     due_at)
                 VALUES (last_insert_rowid(), ?1, 'dispute', ?2, 'wang.wei', 0, 0, 0, '邻里纠纷',
                     ?3, ?4, ?5, ?6)",
                params![vec![n; 16], grid, status, unit, user, due],
            )?;
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn overdue_and_near_due_open_disputes_of_the_areas_by_holder() {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        let g = "jingkou-zhengdonglu-03";
        let lawyer = (Some("jingkou-sifasuo"), Some("li.lvshi"));
        add(&db, 1, (g, "assigned", lawyer.0, lawyer.1, NOW - HOUR));
        add(
            &db,
            2,
            (g, "in_progress", lawyer.0, lawyer.1, NOW + 2 * HOUR),
        );
        add(&db, 3, (g, "reported", None, None, NOW - 5 * HOUR));
        add(
            &db,
            4,
            (g, "assigned", None, Some("zhou.lvshi"), NOW + 48 * HOUR),
        ); // not yet near
        add(&db, 5, (g, "closed", None, None, NOW - HOUR)); // waits for nobody
        add(
            &db,
            6,
            ("jingkou-xiangshan-01", "reported", None, None, NOW - HOUR),
        ); // elsewhere
        let scope = Scope::parse_list("jingkou-zhengdonglu").unwrap();
        let s = db.read(|c| load(c, &scope, NOW)).unwrap();
        assert_eq!((s.overdue, s.near_due, s.truncated), (2, 1, false));
        let holders: Vec<(Option<&str>, usize, usize)> = s
            .groups
            .iter()
            .map(|g| (g.assignee_user.as_deref(), g.overdue, g.near_due))
            .collect();
        assert_eq!(holders, vec![(Some("li.lvshi"), 1, 1), (None, 1, 0)]);
        assert!(s.groups[0].items[0].overdue && !s.groups[0].items[1].overdue);

        // Narrowed to an area outside the scope: nothing; to the scope's own grid: the same.
        let away = narrowed(&scope, GridId::parse("jingkou-xiangshan").as_ref());
        assert_eq!(db.read(|c| load(c, &away, NOW)).unwrap().groups, vec![]);
        let inside = narrowed(&scope, GridId::parse(g).as_ref());
        assert_eq!(db.read(|c| load(c, &inside, NOW)).unwrap(), s);
    }

    #[test]
    fn the_area_parameter_is_a_grid_id_and_nothing_else_is_taken() {
        assert_eq!(area_param(None).unwrap(), None);
        assert_eq!(
            area_param(Some("area=jingkou")).unwrap(),
            GridId::parse("jingkou")
        );
        assert_eq!(
            area_param(Some("area=Bad%20Id")).unwrap_err().code(),
            "invalid_grid_id"
        );
        assert_eq!(
            area_param(Some("page=2")).unwrap_err().code(),
            "unknown_field"
        );
    }
}

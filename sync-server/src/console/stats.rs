//! The console's figures: `GET /v1/console/stats` (统计), `GET /v1/console/map/points` (地图 落图进格)
//! and `GET /v1/console/supervision` (督办), all read from the console index `console_records`.
//!
//! Invariants: every query is limited on the server to the areas the request reaches within the
//! user's scope (`params::reach`): an area outside it answers exactly as an area without records,
//! never an error; any console user (dispatcher or admin) may read them; queries run on the
//! blocking pool and read only the covering indexes of [`STATS_MIGRATION`].

mod figures;
mod map;
mod params;
mod supervision;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use self::figures::{CatalogueArea, Children, KeyFigures, StatsQueries, fold, ordered};
use self::params::{Params, Period};
use super::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::state::AppState;

pub use self::figures::{FINISHED_STATUSES, RESOLVED_STATUSES};

/// The migration step of the statistics, map and supervision indexes (partial, covering: each
/// scan reads one small index and no table row).
pub const STATS_MIGRATION: &str = r#"
CREATE INDEX console_stats_visits ON console_records (occurred_at, grid_id, created_by)
    WHERE kind = 'patrol_visit' AND deleted = 0;
CREATE INDEX console_stats_education ON console_records (occurred_at, grid_id, audience)
    WHERE kind = 'legal_education' AND deleted = 0;
CREATE INDEX console_stats_disputes ON console_records
    (occurred_at, grid_id, status, category, on_time, outcome, satisfaction, due_at)
    WHERE kind = 'dispute' AND deleted = 0;
CREATE INDEX console_supervision ON console_records
    (due_at, grid_id, assignee_unit, assignee_user, status, kind, deleted)
    WHERE kind = 'dispute' AND deleted = 0 AND due_at IS NOT NULL
      AND status NOT IN ('closed', 'evaluated', 'not_accepted');
CREATE INDEX console_map ON console_records (grid_id, occurred_at)
    WHERE lat IS NOT NULL AND lon IS NOT NULL AND deleted = 0;
"#;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/console/stats", get(stats))
        .route("/v1/console/map/points", get(map::points))
        .route("/v1/console/supervision", get(supervision::overview))
}

/// The case-list filter that shows the disputes a figure counts (`/v1/console/cases` parameters).
#[derive(Debug, Clone, Serialize)]
pub struct CaseFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    pub kind: &'static str,
    pub from: i64,
    pub to: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overdue: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct WorkerVisits {
    pub worker: String,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct Bucket {
    /// The category or status (`null`: records without one).
    pub key: Option<String>,
    pub count: u64,
    pub filter: CaseFilter,
}

#[derive(Debug, Serialize)]
pub struct ChildRow {
    pub area: String,
    pub name: Option<String>,
    pub level: Option<String>,
    /// Records of the parent area's own id (not inside any child).
    pub direct: bool,
    pub figures: KeyFigures,
    pub filter: CaseFilter,
    pub overdue_filter: CaseFilter,
}

#[derive(Debug, Serialize)]
pub struct StatsAnswer {
    pub area: Option<String>,
    pub from: i64,
    pub to: i64,
    pub now: i64,
    pub totals: KeyFigures,
    /// Visits per worker, most first (at most 50; `totals.patrol_visits` counts all).
    pub visits_by_worker: Vec<WorkerVisits>,
    pub workers: u64,
    pub disputes_by_category: Vec<Bucket>,
    pub disputes_by_status: Vec<Bucket>,
    pub filter: CaseFilter,
    pub overdue_filter: CaseFilter,
    pub children: Vec<ChildRow>,
}

const STATS_PARAMS: &[&str] = &["area", "from", "to"];

async fn stats(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(q): RawQuery,
) -> Result<Json<StatsAnswer>, ApiError> {
    let p = Params::parse(q.as_deref(), STATS_PARAMS)?;
    let now = state.clock.now().millis();
    let period = Period::for_stats(&p, now)?;
    let reach = p.reach(&user.scope)?;
    let (db, accounts) = (state.db.clone(), state.accounts.clone());
    let areas = reach.areas.clone();
    let (raw, catalogue) = blocking(move || {
        let raw = db.stats_raw(&areas, period, now)?;
        let catalogue = if areas.is_empty() {
            Vec::new()
        } else {
            accounts
                .list_areas()?
                .into_iter()
                .map(|a| CatalogueArea {
                    id: a.id.as_str().to_owned(),
                    level: a.level.as_str().to_owned(),
                    name: a.name,
                })
                .collect()
        };
        Ok((raw, catalogue))
    })
    .await?;
    let area = reach.area.map(|a| a.as_str().to_owned());
    Ok(Json(answer(
        area,
        &reach.areas,
        period,
        now,
        &raw,
        &catalogue,
    )))
}

fn answer(
    area: Option<String>,
    areas: &crate::scope::Scope,
    period: Period,
    now: i64,
    raw: &figures::RawStats,
    catalogue: &[CatalogueArea],
) -> StatsAnswer {
    let children = Children::new(areas, catalogue);
    let f = fold(raw, &children);
    let filter = |area: Option<String>| CaseFilter {
        area,
        kind: "dispute",
        from: period.from,
        to: period.to,
        status: None,
        category: None,
        overdue: None,
    };
    let base = filter(area.clone());
    let overdue = |f: &CaseFilter| CaseFilter {
        overdue: Some(true),
        ..f.clone()
    };
    let bucket = |key: Option<String>, count, set: &dyn Fn(&mut CaseFilter, Option<String>)| {
        let mut fl = base.clone();
        set(&mut fl, key.clone());
        Bucket {
            key,
            count,
            filter: fl,
        }
    };
    let by_category = ordered(&f.by_category, &figures::category_vocabulary())
        .into_iter()
        .map(|(k, n)| bucket(k, n, &|fl, k| fl.category = k))
        .collect();
    let by_status = ordered(&f.by_status, &figures::status_vocabulary())
        .into_iter()
        .map(|(k, n)| bucket(k, n, &|fl, k| fl.status = k))
        .collect();
    let child_rows = f
        .children
        .into_iter()
        .map(|(id, figs)| {
            let known = catalogue.iter().find(|a| a.id == id);
            let fl = filter(Some(id.clone()));
            ChildRow {
                direct: children.parent() == Some(id.as_str()),
                name: known.map(|a| a.name.clone()),
                level: known.map(|a| a.level.clone()),
                overdue_filter: overdue(&fl),
                filter: fl,
                figures: figs.finish(),
                area: id,
            }
        })
        .collect();
    StatsAnswer {
        area,
        from: period.from,
        to: period.to,
        now,
        totals: f.totals.finish(),
        visits_by_worker: f
            .workers
            .into_iter()
            .map(|(worker, count)| WorkerVisits { worker, count })
            .collect(),
        workers: f.worker_count,
        disputes_by_category: by_category,
        disputes_by_status: by_status,
        overdue_filter: overdue(&base),
        filter: base,
        children: child_rows,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every scan reads its index only (no table row per entry): the W5 figure depends on it.
    #[test]
    fn the_scans_read_covering_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::storage::SqliteStorage::open(dir.path()).unwrap();
        let scope = crate::scope::Scope::parse_list("jingkou").unwrap();
        let (pred, _) = scope.sql_predicate("grid_id", 3);
        let scans = [
            figures::visits_sql(&pred),
            figures::education_sql(&pred),
            figures::disputes_sql(&pred),
            supervision::scan_sql(&scope.sql_predicate("grid_id", 2).0),
        ];
        db.read(|c| {
            for sql in scans {
                let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let mut rows = stmt.raw_query();
                let mut plan = Vec::new();
                while let Some(r) = rows.next()? {
                    plan.push(r.get::<_, String>(3)?);
                }
                assert!(
                    plan.iter().any(|p| p.contains("USING COVERING INDEX")),
                    "{sql}\n{plan:?}"
                );
            }
            Ok(())
        })
        .unwrap();
    }
}

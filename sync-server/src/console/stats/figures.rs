//! The figures of `/v1/console/stats`: three grouped index scans of `console_records` (patrol
//! visits by grid and worker, legal-education sessions by grid, disputes by grid, status and
//! category), folded here into the totals, the breakdowns and one row per child area.
//!
//! Invariants: every scan is limited to the reached areas (`Scope::sql_predicate`) and to
//! `occurred_at` in `[from, to)`, skips deleted records, and reads only a covering partial index
//! of this module's migration step (named with `INDEXED BY`, so a plan never silently falls back
//! to reading table rows); each record counts in exactly one child row, so the child rows add up
//! to the totals.

use std::collections::{BTreeMap, HashMap};

use gridmate_domain::{DisputeCategory, DisputeStatus, area_covers};
use rusqlite::{Connection, params_from_iter, types::Value};
use serde::Serialize;

use super::params::Period;
use crate::scope::Scope;
use crate::storage::{SqliteStorage, StorageError};

/// Statuses in which a dispute waits for nobody (it cannot be overdue).
pub const FINISHED_STATUSES: [&str; 3] = ["closed", "evaluated", "not_accepted"];
/// Statuses of a dispute that has been resolved (办结), whatever happened after.
pub const RESOLVED_STATUSES: [&str; 4] = ["resolved", "follow_up", "evaluated", "closed"];
/// How many workers the per-worker visit list shows.
pub const TOP_WORKERS: usize = 50;

/// Disputes of one grid, status and category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeGroup {
    pub grid_id: String,
    pub status: Option<String>,
    pub category: Option<String>,
    pub count: u64,
    pub on_time: u64,
    pub agreement: u64,
    pub evaluated: u64,
    pub satisfied: u64,
    pub overdue: u64,
}

/// The grouped rows of the three scans.
#[derive(Debug, Default)]
pub struct RawStats {
    /// (grid, worker, visits)
    pub visits: Vec<(String, String, u64)>,
    /// (grid, sessions, audience)
    pub education: Vec<(String, u64, u64)>,
    pub disputes: Vec<DisputeGroup>,
}

/// The statistics queries, on the console index.
pub trait StatsQueries {
    /// The grouped rows for `areas` and `period`; overdue is judged at `now`.
    fn stats_raw(&self, areas: &Scope, period: Period, now: i64) -> Result<RawStats, StorageError>;
}

impl StatsQueries for SqliteStorage {
    fn stats_raw(&self, areas: &Scope, period: Period, now: i64) -> Result<RawStats, StorageError> {
        if areas.is_empty() {
            return Ok(RawStats::default());
        }
        self.read_index(|c| {
            Ok(RawStats {
                visits: visits(c, areas, period)?,
                education: education(c, areas, period)?,
                disputes: disputes(c, areas, period, now)?,
            })
        })
    }
}

/// `?1`, `?2` are the period, then `extra` values, then the scope's.
fn bind(period: Period, extra: &[i64], areas: &Scope) -> (String, Vec<Value>) {
    let first = 3 + extra.len();
    let (pred, scope_params) = areas.sql_predicate("grid_id", first);
    let mut values = vec![Value::Integer(period.from), Value::Integer(period.to)];
    values.extend(extra.iter().map(|v| Value::Integer(*v)));
    values.extend(scope_params.into_iter().map(Value::Text));
    (pred, values)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The patrol-visit scan; `?1`, `?2` the period, `pred` the scope predicate.
pub(super) fn visits_sql(pred: &str) -> String {
    format!(
        "SELECT grid_id, created_by, count(*) FROM console_records INDEXED BY console_stats_visits
          WHERE kind = 'patrol_visit' AND deleted = 0
            AND occurred_at >= ?1 AND occurred_at < ?2 AND {pred}
          GROUP BY grid_id, created_by"
    )
}

/// The legal-education scan.
pub(super) fn education_sql(pred: &str) -> String {
    format!(
        "SELECT grid_id, count(*), total(max(coalesce(audience, 0), 0))
           FROM console_records INDEXED BY console_stats_education
          WHERE kind = 'legal_education' AND deleted = 0
            AND occurred_at >= ?1 AND occurred_at < ?2 AND {pred}
          GROUP BY grid_id"
    )
}

/// The dispute scan; `?3` is now.
pub(super) fn disputes_sql(pred: &str) -> String {
    format!(
        "SELECT grid_id, status, category, count(*),
                count(*) FILTER (WHERE on_time = 1),
                count(*) FILTER (WHERE outcome = 'agreement'),
                count(*) FILTER (WHERE satisfaction IS NOT NULL),
                count(*) FILTER (WHERE satisfaction IN ('satisfied', 'basically_satisfied')),
                count(*) FILTER (WHERE due_at < ?3
                                   AND status NOT IN ('closed', 'evaluated', 'not_accepted'))
           FROM console_records INDEXED BY console_stats_disputes
          WHERE kind = 'dispute' AND deleted = 0
            AND occurred_at >= ?1 AND occurred_at < ?2 AND {pred}
          GROUP BY grid_id, status, category"
    )
}

fn visits(
    c: &Connection,
    areas: &Scope,
    period: Period,
) -> Result<Vec<(String, String, u64)>, StorageError> {
    let (pred, values) = bind(period, &[], areas);
    let mut stmt = c.prepare_cached(&visits_sql(&pred))?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok((r.get(0)?, r.get(1)?, to_u64(r.get(2)?)))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn education(
    c: &Connection,
    areas: &Scope,
    period: Period,
) -> Result<Vec<(String, u64, u64)>, StorageError> {
    let (pred, values) = bind(period, &[], areas);
    let mut stmt = c.prepare_cached(&education_sql(&pred))?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        // total() is a float; audiences are small integers, so the sum is exact.
        let audience: f64 = r.get(2)?;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok((r.get(0)?, to_u64(r.get(1)?), audience as u64))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn disputes(
    c: &Connection,
    areas: &Scope,
    period: Period,
    now: i64,
) -> Result<Vec<DisputeGroup>, StorageError> {
    let (pred, values) = bind(period, &[now], areas);
    let mut stmt = c.prepare_cached(&disputes_sql(&pred))?;
    let rows = stmt.query_map(params_from_iter(values), |r| {
        Ok(DisputeGroup {
            grid_id: r.get(0)?,
            status: r.get(1)?,
            category: r.get(2)?,
            count: to_u64(r.get(3)?),
            on_time: to_u64(r.get(4)?),
            agreement: to_u64(r.get(5)?),
            evaluated: to_u64(r.get(6)?),
            satisfied: to_u64(r.get(7)?),
            overdue: to_u64(r.get(8)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The key figures of an area (the totals, or one child row). Counts add up across child rows;
/// rates are computed from them (`None` when the denominator is zero).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KeyFigures {
    pub patrol_visits: u64,
    pub legal_education_sessions: u64,
    pub legal_education_audience: u64,
    pub disputes: u64,
    /// Disputes of the period in a resolved status (resolved, follow_up, evaluated, closed).
    pub resolved: u64,
    /// Of those, resolved by the due time of their handling step (`on_time = 1`).
    pub resolved_on_time: u64,
    /// Of those, resolved with outcome `agreement`.
    pub agreement: u64,
    /// Disputes of the period with a satisfaction evaluation.
    pub evaluated: u64,
    /// Of those, `satisfied` or `basically_satisfied`.
    pub satisfied: u64,
    /// Disputes of the period that are open and past their due time now.
    pub overdue: u64,
    pub on_time_rate: Option<f64>,
    pub success_rate: Option<f64>,
    pub satisfaction_rate: Option<f64>,
}

fn rate(num: u64, den: u64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)]
    (den > 0).then(|| num as f64 / den as f64)
}

impl KeyFigures {
    fn add_dispute_group(&mut self, g: &DisputeGroup) {
        self.disputes += g.count;
        if g.status
            .as_deref()
            .is_some_and(|s| RESOLVED_STATUSES.contains(&s))
        {
            self.resolved += g.count;
            self.resolved_on_time += g.on_time;
            self.agreement += g.agreement;
        }
        self.evaluated += g.evaluated;
        self.satisfied += g.satisfied;
        self.overdue += g.overdue;
    }

    /// Fills in the rates from the counts.
    pub fn finish(mut self) -> Self {
        self.on_time_rate = rate(self.resolved_on_time, self.resolved);
        self.success_rate = rate(self.agreement, self.resolved);
        self.satisfaction_rate = rate(self.satisfied, self.evaluated);
        self
    }
}

/// A catalogue area (from `areas`): id, level, name.
#[derive(Debug, Clone)]
pub struct CatalogueArea {
    pub id: String,
    pub level: String,
    pub name: String,
}

/// How grids map to the child rows of the answer.
#[derive(Debug)]
pub struct Children {
    /// The one reached area whose children are shown, or `None` when several areas are reached
    /// (then each reached area is a row).
    parent: Option<String>,
    /// The rows known before any record is seen (catalogue children, or the reached areas).
    known: Vec<String>,
}

impl Children {
    pub fn new(areas: &Scope, catalogue: &[CatalogueArea]) -> Self {
        let entries: Vec<String> = areas
            .minimal()
            .areas()
            .map(|a| a.as_str().to_owned())
            .collect();
        match entries.as_slice() {
            [one] => {
                let under: Vec<&str> = catalogue
                    .iter()
                    .map(|a| a.id.as_str())
                    .filter(|a| *a != one && area_covers(one, a))
                    .collect();
                // Direct children: under the parent and under no other catalogue area under it.
                let mut known: Vec<String> = under
                    .iter()
                    .filter(|a| !under.iter().any(|o| o != *a && area_covers(o, a)))
                    .map(|a| (*a).to_owned())
                    .collect();
                known.sort();
                Self {
                    parent: Some(one.clone()),
                    known,
                }
            }
            _ => Self {
                parent: None,
                known: entries,
            },
        }
    }

    /// The child row a grid counts in.
    pub fn child_of(&self, grid: &str) -> String {
        let Some(parent) = &self.parent else {
            return self
                .known
                .iter()
                .find(|e| area_covers(e, grid))
                .cloned()
                .unwrap_or_else(|| grid.to_owned());
        };
        if grid == parent {
            return grid.to_owned();
        }
        if let Some(c) = self.known.iter().find(|c| area_covers(c, grid)) {
            return c.clone();
        }
        // Not in the catalogue: the next segment of the slug below the parent.
        let rest = grid.get(parent.len() + 1..).unwrap_or("");
        let seg = rest.split('-').next().unwrap_or(rest);
        format!("{parent}-{seg}")
    }

    pub fn parent(&self) -> Option<&str> {
        self.parent.as_deref()
    }

    pub fn known(&self) -> &[String] {
        &self.known
    }
}

/// Everything the answer is made of, folded from the raw rows.
#[derive(Debug, Default)]
pub struct Folded {
    pub totals: KeyFigures,
    pub workers: Vec<(String, u64)>,
    pub worker_count: u64,
    pub by_category: BTreeMap<Option<String>, u64>,
    pub by_status: BTreeMap<Option<String>, u64>,
    /// Child id → its counts (rates not yet filled in).
    pub children: BTreeMap<String, KeyFigures>,
}

/// Folds the raw rows into totals and child rows.
pub fn fold(raw: &RawStats, children: &Children) -> Folded {
    let mut f = Folded::default();
    for id in children.known() {
        f.children.entry(id.clone()).or_default();
    }
    // Each distinct grid is placed once (a county has thousands of grids, not millions).
    let mut memo: HashMap<&str, String> = HashMap::new();
    let grids = raw.visits.iter().map(|v| v.0.as_str());
    let grids = grids.chain(raw.education.iter().map(|e| e.0.as_str()));
    for grid in grids.chain(raw.disputes.iter().map(|d| d.grid_id.as_str())) {
        memo.entry(grid).or_insert_with(|| children.child_of(grid));
    }
    let child = |grid: &str| {
        memo.get(grid)
            .cloned()
            .unwrap_or_else(|| children.child_of(grid))
    };
    let mut workers: HashMap<&str, u64> = HashMap::new();
    for (grid, worker, n) in &raw.visits {
        f.children.entry(child(grid)).or_default().patrol_visits += n;
        f.totals.patrol_visits += n;
        *workers.entry(worker.as_str()).or_default() += n;
    }
    for (grid, sessions, audience) in &raw.education {
        let c = f.children.entry(child(grid)).or_default();
        c.legal_education_sessions += sessions;
        c.legal_education_audience += audience;
        f.totals.legal_education_sessions += sessions;
        f.totals.legal_education_audience += audience;
    }
    for g in &raw.disputes {
        f.children
            .entry(child(&g.grid_id))
            .or_default()
            .add_dispute_group(g);
        f.totals.add_dispute_group(g);
        *f.by_category.entry(g.category.clone()).or_default() += g.count;
        *f.by_status.entry(g.status.clone()).or_default() += g.count;
    }
    f.worker_count = workers.len() as u64;
    let mut ranked: Vec<(String, u64)> = workers
        .into_iter()
        .map(|(w, n)| (w.to_owned(), n))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(TOP_WORKERS);
    f.workers = ranked;
    f
}

/// Breakdown keys in vocabulary order (zeros included, so charts keep their axes), then any
/// value outside the vocabulary, then records without one (`None`).
pub fn ordered(
    counts: &BTreeMap<Option<String>, u64>,
    vocabulary: &[&'static str],
) -> Vec<(Option<String>, u64)> {
    let mut out: Vec<(Option<String>, u64)> = vocabulary
        .iter()
        .map(|v| {
            (
                Some((*v).to_owned()),
                counts.get(&Some((*v).to_owned())).copied().unwrap_or(0),
            )
        })
        .collect();
    for (k, n) in counts {
        let known = k.as_deref().is_some_and(|k| vocabulary.contains(&k));
        if !known && k.is_some() {
            out.push((k.clone(), *n));
        }
    }
    if let Some(n) = counts.get(&None) {
        out.push((None, *n));
    }
    out
}

pub fn category_vocabulary() -> Vec<&'static str> {
    DisputeCategory::ALL.iter().map(|c| c.as_str()).collect()
}

pub fn status_vocabulary() -> Vec<&'static str> {
    DisputeStatus::ALL.iter().map(|c| c.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(id: &str) -> CatalogueArea {
        CatalogueArea {
            id: id.into(),
            level: "grid".into(),
            name: id.into(),
        }
    }

    #[test]
    fn grids_map_to_catalogue_children_or_the_next_slug_segment() {
        let Ok(scope) = Scope::parse_list("jk-zd") else {
            panic!("scope")
        };
        let cat = [
            area("jk-zd-xq"),
            area("jk-zd-xq-01"),
            area("jk-zd-02"),
            area("jk-xs"),
        ];
        let ch = Children::new(&scope, &cat);
        assert_eq!(ch.known(), ["jk-zd-02".to_owned(), "jk-zd-xq".to_owned()]);
        assert_eq!(ch.child_of("jk-zd-xq-01"), "jk-zd-xq");
        assert_eq!(ch.child_of("jk-zd-xq-07-a"), "jk-zd-xq");
        assert_eq!(ch.child_of("jk-zd-09-b"), "jk-zd-09");
        assert_eq!(ch.child_of("jk-zd"), "jk-zd");
        let Ok(two) = Scope::parse_list("jk-zd,jk-xs-01") else {
            panic!("scope")
        };
        let ch = Children::new(&two, &cat);
        assert_eq!(ch.child_of("jk-xs-01-a"), "jk-xs-01");
        assert_eq!(ch.child_of("jk-zd-xq-01"), "jk-zd");
    }
}

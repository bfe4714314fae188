//! The case list's filters: parsed from a query string ([`CaseFilter::from_query`]) and turned
//! into the FROM and WHERE of one SQL statement over `console_records` ([`Query`]), shared by
//! the list (`GET /v1/console/cases`, whose page `paging.rs` selects) and the exports, which
//! stream every matching row in the list's order ([`for_each_case`], `stream.rs`).
//!
//! Invariants:
//! - The user's scope is always part of the WHERE clause, ANDed with everything else: an area
//!   outside it yields an empty list, never an error (which would reveal that it exists).
//! - Deleted records never appear. Overdue is `due_at < now`, decided at query time.
//! - Every value reaches SQL as a bound parameter; column names and directions come from code.
//! - The order is total: the sort key, then the rowid in the same direction (stable pages).
//! - A bad value is a typed error naming its field (`invalid_value`, `invalid_date`,
//!   `out_of_range`, `too_long`); unknown parameters are ignored.

use gridmate_domain::search::{match_query, within_areas};
use gridmate_domain::{
    DisputeCategory, DisputeSource, DisputeStatus, GridId, RecordKind, RiskLevel, Timestamp,
};
use rusqlite::types::Value;
use rusqlite::{Connection, Row};
use serde::Serialize;

use crate::error::ApiError;
use crate::scope::Scope;
use crate::storage::StorageError;

/// Largest page.
pub const MAX_PAGE_SIZE: u32 = 100;
/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 20;
/// Longest search text, in characters.
pub const MAX_Q_CHARS: usize = 100;
/// The index a list or export without a search walks: `(kind, deleted, grid_id)` then the sort
/// keys and every filter column, so a township's range is one index range and counting and
/// sorting it never reads the table (migrations `CASES_MIGRATION`, `LIST_INDEX_MIGRATION`).
/// Named in the statement: without statistics the planner could prefer an index that walks the
/// whole county in order.
pub const LIST_INDEX: &str = "console_records_list";
/// The index a search looks its matches up in (the full-text plan of [`Query::build`]): the
/// list index's columns keyed by the record's rowid, so each match is one descent into a narrow
/// index instead of a probe of every case of the scope or a read of the table row
/// (migration `MATCH_INDEX_MIGRATION`).
pub const MATCH_INDEX: &str = "console_records_match";
/// Scopes with more entries than this are not narrowed inside the full-text index.
const MAX_SCOPE_TOKENS: usize = 16;
/// Highest page number (keeps the offset far from overflow).
const MAX_PAGE: u32 = 1_000_000;

/// What the list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    OccurredAt,
    UpdatedAt,
    DueAt,
    Risk,
    Status,
}

/// A parsed case filter (list and export).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFilter {
    pub kind: RecordKind,
    pub area: Option<GridId>,
    pub status: Vec<DisputeStatus>,
    pub category: Vec<DisputeCategory>,
    pub risk: Vec<RiskLevel>,
    pub source: Vec<DisputeSource>,
    pub overdue: Option<bool>,
    pub supervised: Option<bool>,
    /// A user name or a unit id.
    pub assignee: Option<String>,
    /// `occurred_at >= from`.
    pub from: Option<Timestamp>,
    /// `occurred_at < to` (a `YYYY-MM-DD` day counts whole).
    pub to: Option<Timestamp>,
    /// The FTS5 MATCH expression of the search text (`None`: no search, or nothing searchable).
    pub fts: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    pub page: u32,
    pub page_size: u32,
    /// The instant overdue is decided at.
    pub now: Timestamp,
}

impl CaseFilter {
    /// The unfiltered list of disputes, newest first, first page.
    pub fn new(now: Timestamp) -> Self {
        Self {
            kind: RecordKind::Dispute,
            area: None,
            status: Vec::new(),
            category: Vec::new(),
            risk: Vec::new(),
            source: Vec::new(),
            overdue: None,
            supervised: None,
            assignee: None,
            from: None,
            to: None,
            fts: None,
            sort: SortKey::OccurredAt,
            descending: true,
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            now,
        }
    }

    /// Parses a URL query string (`status=assigned,in_progress&q=漏水&page=2`). Lists may be
    /// comma-separated or repeated; an empty value means "not given".
    pub fn from_query(query: &str, now: Timestamp) -> Result<Self, ApiError> {
        let mut f = Self::new(now);
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let v = value.trim();
            if v.is_empty() {
                continue;
            }
            match key.as_ref() {
                "kind" => f.kind = one(v, "kind", RecordKind::parse)?,
                "area" => f.area = Some(one(v, "area", GridId::parse)?),
                "status" => f.status.extend(list(v, "status", DisputeStatus::parse)?),
                "category" => f
                    .category
                    .extend(list(v, "category", DisputeCategory::parse)?),
                "risk" => f.risk.extend(list(v, "risk", RiskLevel::parse)?),
                "source" => f.source.extend(list(v, "source", DisputeSource::parse)?),
                "overdue" => f.overdue = Some(flag(v, "overdue")?),
                "supervised" => f.supervised = Some(flag(v, "supervised")?),
                "assignee" => f.assignee = Some(text(v, "assignee", 64)?.to_owned()),
                "from" => f.from = Some(instant(v, "from", false)?),
                "to" => f.to = Some(instant(v, "to", true)?),
                "q" => f.fts = match_query(text(v, "q", MAX_Q_CHARS)?),
                "sort" => f.sort = one(v, "sort", parse_sort)?,
                "order" => f.descending = one(v, "order", parse_order)?,
                "page" => f.page = number(v, "page", 1, MAX_PAGE)?,
                "page_size" => f.page_size = number(v, "page_size", 1, MAX_PAGE_SIZE)?,
                _ => {}
            }
        }
        Ok(f)
    }
}

fn invalid(field: &str, what_zh: &str, what_en: &str) -> ApiError {
    ApiError::invalid(
        "invalid_value",
        field,
        format!("“{field}”的取值无效：{what_zh}"),
        format!("`{field}` has an invalid value: {what_en}"),
    )
}

fn one<T>(v: &str, field: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, ApiError> {
    parse(v).ok_or_else(|| invalid(field, "不是可识别的取值", "not a known value"))
}

fn list<T>(v: &str, field: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, ApiError> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| one(s, field, &parse))
        .collect()
}

fn flag(v: &str, field: &str) -> Result<bool, ApiError> {
    match v {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(invalid(
            field,
            "应为 true 或 false",
            "expected true or false",
        )),
    }
}

fn text<'a>(v: &'a str, field: &str, max_chars: usize) -> Result<&'a str, ApiError> {
    if v.chars().count() > max_chars {
        return Err(ApiError::invalid(
            "too_long",
            field,
            format!("“{field}”最多 {max_chars} 个字符"),
            format!("`{field}` takes at most {max_chars} characters"),
        ));
    }
    Ok(v)
}

/// UTC ms, an RFC 3339 instant, or a `YYYY-MM-DD` day in China time (as `to`: the next midnight,
/// so the day counts whole).
fn instant(v: &str, field: &str, end_of_day: bool) -> Result<Timestamp, ApiError> {
    let parsed = match v.parse::<i64>() {
        Ok(ms) => Timestamp::from_millis(ms),
        Err(_) => Timestamp::parse_day_or_rfc3339(v).map(|t| {
            let day = v.len() == 10;
            if day && end_of_day {
                t.plus_millis(86_400_000)
            } else {
                t
            }
        }),
    };
    parsed.ok_or_else(|| {
        ApiError::invalid(
            "invalid_date",
            field,
            format!("“{field}”应为日期（YYYY-MM-DD）、RFC 3339 时间或毫秒数"),
            format!("`{field}` must be a date (YYYY-MM-DD), an RFC 3339 time or UTC milliseconds"),
        )
    })
}

fn number(v: &str, field: &str, min: u32, max: u32) -> Result<u32, ApiError> {
    match v.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::invalid(
            "out_of_range",
            field,
            format!("“{field}”应为 {min} 到 {max} 之间的整数"),
            format!("`{field}` must be a whole number from {min} to {max}"),
        )),
    }
}

fn parse_sort(s: &str) -> Option<SortKey> {
    Some(match s {
        "occurred_at" => SortKey::OccurredAt,
        "updated_at" => SortKey::UpdatedAt,
        "due_at" => SortKey::DueAt,
        "risk" => SortKey::Risk,
        "status" => SortKey::Status,
        _ => return None,
    })
}

fn parse_order(s: &str) -> Option<bool> {
    match s {
        "asc" => Some(false),
        "desc" => Some(true),
        _ => None,
    }
}

/// One line of the case list (and of an export).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRow {
    /// The record id (UUID string).
    pub id: String,
    pub kind: String,
    pub grid_id: String,
    pub title: String,
    pub status: Option<String>,
    pub category: Option<String>,
    pub risk: Option<String>,
    pub source: Option<String>,
    pub occurred_at: i64,
    pub updated_at: i64,
    pub due_at: Option<i64>,
    pub overdue: bool,
    pub supervised: bool,
    pub assignee_user: Option<String>,
    pub assignee_unit: Option<String>,
    pub created_by: String,
}

/// The columns [`CaseRow::read`] reads, in order (`c` is `console_records`).
pub const COLUMNS: &str = "c.record_id, c.kind, c.grid_id, c.title, c.status, c.category, c.risk,
    c.source, c.occurred_at, c.updated_at, c.due_at, c.supervised, c.assignee_user,
    c.assignee_unit, c.created_by";

/// How many columns [`COLUMNS`] names.
pub(super) const COLUMN_COUNT: usize = 15;

impl CaseRow {
    pub(super) fn read(r: &Row<'_>, now: i64) -> rusqlite::Result<Self> {
        let id: Vec<u8> = r.get(0)?;
        let id = <[u8; 16]>::try_from(id.as_slice())
            .map(|b| uuid::Uuid::from_bytes(b).to_string())
            .unwrap_or_default();
        let due_at: Option<i64> = r.get(10)?;
        Ok(Self {
            id,
            kind: r.get(1)?,
            grid_id: r.get(2)?,
            title: r.get(3)?,
            status: r.get(4)?,
            category: r.get(5)?,
            risk: r.get(6)?,
            source: r.get(7)?,
            occurred_at: r.get(8)?,
            updated_at: r.get(9)?,
            due_at,
            overdue: due_at.is_some_and(|d| d < now),
            supervised: r.get(11)?,
            assignee_user: r.get(12)?,
            assignee_unit: r.get(13)?,
            created_by: r.get(14)?,
        })
    }
}

/// A filter's FROM, WHERE clause and ORDER BY with their bound values.
#[derive(Debug)]
pub struct Query {
    /// The tables, `console_records` as `c` (and with a search, `console_fts` as `f`).
    pub from_sql: String,
    pub where_sql: String,
    pub order_sql: String,
    pub params: Vec<Value>,
}

impl Query {
    /// The statement parts for `filter` limited to `scope`.
    pub fn build(scope: &Scope, filter: &CaseFilter) -> Self {
        let mut q = Builder::default();
        q.within(scope);
        q.clauses.push("c.deleted = 0".into());
        q.eq("c.kind", filter.kind.as_str());
        if let Some(area) = &filter.area {
            q.within(&Scope::new([area.clone()]));
        }
        q.any_of("c.status", filter.status.iter().map(|s| s.as_str()));
        q.any_of("c.category", filter.category.iter().map(|s| s.as_str()));
        q.any_of("c.risk", filter.risk.iter().map(|s| s.as_str()));
        q.any_of("c.source", filter.source.iter().map(|s| s.as_str()));
        if let Some(overdue) = filter.overdue {
            let p = q.bind(Value::Integer(filter.now.millis()));
            q.clauses.push(if overdue {
                format!("c.due_at < ?{p}")
            } else {
                format!("(c.due_at IS NULL OR c.due_at >= ?{p})")
            });
        }
        if let Some(s) = filter.supervised {
            let p = q.bind(Value::Integer(i64::from(s)));
            q.clauses.push(format!("c.supervised = ?{p}"));
        }
        if let Some(a) = &filter.assignee {
            let p = q.bind(Value::Text(a.clone()));
            q.clauses.push(format!(
                "(c.assignee_user = ?{p} OR c.assignee_unit = ?{p})"
            ));
        }
        if let Some(from) = filter.from {
            let p = q.bind(Value::Integer(from.millis()));
            q.clauses.push(format!("c.occurred_at >= ?{p}"));
        }
        if let Some(to) = filter.to {
            let p = q.bind(Value::Integer(to.millis()));
            q.clauses.push(format!("c.occurred_at < ?{p}"));
        }
        let from_sql = match &filter.fts {
            Some(m) => q.search(scope, filter, m),
            None => format!("console_records c INDEXED BY {LIST_INDEX}"),
        };
        Self {
            from_sql,
            where_sql: q.clauses.join(" AND "),
            order_sql: order_by(filter.sort, filter.descending),
            params: q.params,
        }
    }
}

#[derive(Default)]
struct Builder {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Builder {
    /// `c.grid_id` within `scope`: per entry `S`, the one range `[S, S.)`, which holds exactly
    /// `S` and the ids starting with `S-` because grid ids are made of `a-z`, `0-9` and `-`
    /// only (nothing sorts between `-` and `.`, every other allowed character after `.`), so
    /// the `(kind, grid_id, …)` index serves it as a single range. No entry: matches nothing.
    fn within(&mut self, scope: &Scope) {
        let ranges: Vec<String> = scope
            .ranges()
            .into_iter()
            .map(|r| {
                let lo = self.bind(Value::Text(r.exact));
                let hi = self.bind(Value::Text(r.upper));
                format!("(c.grid_id >= ?{lo} AND c.grid_id < ?{hi})")
            })
            .collect();
        self.clauses.push(if ranges.is_empty() {
            "0".to_owned()
        } else {
            format!("({})", ranges.join(" OR "))
        });
    }

    /// The search's MATCH clause, and the FROM it is planned with. Narrowed to the scope (and
    /// area) inside the full-text index, so a common word costs the township's matches, not the
    /// county's; the SQL predicates still decide. A top-level area (the county) is not
    /// narrowed: it holds (nearly) every record, and its token's entries are the longest of the
    /// index. When the matches are so narrowed (or the scope is the county), the plan walks them
    /// and looks each up in [`MATCH_INDEX`]; otherwise (a scope of many entries) it walks the
    /// scope's cases in [`LIST_INDEX`] and keeps those among the matches.
    fn search(&mut self, scope: &Scope, filter: &CaseFilter, m: &str) -> String {
        let minimal = scope.minimal();
        let scope_areas: Vec<&str> = minimal.areas().map(GridId::as_str).collect();
        let top_level = scope_areas.iter().any(|a| !a.contains('-'));
        let narrowed = !top_level && scope_areas.len() <= MAX_SCOPE_TOKENS;
        let any_of = if narrowed { scope_areas } else { Vec::new() };
        let all_of: Vec<&str> = filter.area.iter().map(GridId::as_str).collect();
        // Disputes only when the list is of disputes (the case list): entries of the other kinds
        // written before the kind token existed may lack theirs.
        let kind = (filter.kind == RecordKind::Dispute).then_some(filter.kind.as_str());
        let p = self.bind(Value::Text(within_areas(m, &any_of, &all_of, kind)));
        if top_level || narrowed || !all_of.is_empty() {
            self.clauses.push(format!("f.console_fts MATCH ?{p}"));
            format!(
                "console_fts f CROSS JOIN console_records c INDEXED BY {MATCH_INDEX}
                 ON c.record_rowid = f.rowid"
            )
        } else {
            self.clauses.push(format!(
                "c.record_rowid IN (SELECT rowid FROM console_fts WHERE console_fts MATCH ?{p})"
            ));
            format!("console_records c INDEXED BY {LIST_INDEX}")
        }
    }

    fn bind(&mut self, v: Value) -> usize {
        self.params.push(v);
        self.params.len()
    }

    fn eq(&mut self, column: &str, v: &str) {
        let p = self.bind(Value::Text(v.to_owned()));
        self.clauses.push(format!("{column} = ?{p}"));
    }

    fn any_of<'a>(&mut self, column: &str, values: impl Iterator<Item = &'a str>) {
        let ps: Vec<String> = values
            .map(|v| format!("?{}", self.bind(Value::Text(v.to_owned()))))
            .collect();
        if !ps.is_empty() {
            self.clauses
                .push(format!("{column} IN ({})", ps.join(", ")));
        }
    }
}

/// The SQL expression a sort key orders by. Risk and status sort in their vocabulary's order
/// (low to critical; the workflow's order), not alphabetically.
pub fn sort_expr(key: SortKey) -> String {
    let rank = |column: &str, values: &[&str]| {
        let whens: String = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!(" WHEN '{v}' THEN {i}"))
            .collect();
        format!("CASE {column}{whens} END")
    };
    match key {
        SortKey::OccurredAt => "c.occurred_at".to_owned(),
        SortKey::UpdatedAt => "c.updated_at".to_owned(),
        SortKey::DueAt => "c.due_at".to_owned(),
        SortKey::Risk => rank(
            "c.risk",
            &RiskLevel::ALL
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>(),
        ),
        SortKey::Status => rank(
            "c.status",
            &DisputeStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
        ),
    }
}

/// ORDER BY of a sort key: a row without a value (no due time) comes last whichever the
/// direction; the rowid breaks ties in the same direction.
fn order_by(key: SortKey, descending: bool) -> String {
    let dir = if descending { "DESC" } else { "ASC" };
    format!("{} {dir} NULLS LAST, c.record_rowid {dir}", sort_expr(key))
}

/// One page of the list and the number of matching cases.
#[derive(Debug, Clone, Serialize)]
pub struct CasePage {
    pub items: Vec<CaseRow>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
}

/// The page `filter` asks for, within `scope`, and the number of cases it matches
/// (`paging::page`: the sort keys of every match read in one pass, the page selected from them).
pub fn list_page(
    conn: &Connection,
    scope: &Scope,
    filter: &CaseFilter,
) -> Result<CasePage, StorageError> {
    let q = Query::build(scope, filter);
    let (items, total) = super::paging::page(conn, &q, filter)?;
    Ok(CasePage {
        items,
        total,
        page: filter.page,
        page_size: filter.page_size,
    })
}

pub use super::stream::for_each_case;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_count_is_the_columns_listed() {
        assert_eq!(COLUMNS.split(',').count(), COLUMN_COUNT);
    }

    fn now() -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000).unwrap()
    }

    fn field_of(e: ApiError) -> (String, String) {
        match e {
            ApiError::InvalidField { code, field, .. } => (code.to_owned(), field),
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn parses_every_filter() {
        let f = CaseFilter::from_query(
            "area=jingkou-jianshelu&status=assigned,in_progress&status=reported&category=neighbour\
             &risk=high&source=hotline_12345&overdue=true&supervised=0&assignee=chen.jing\
             &from=2026-11-01&to=2026-11-30&q=%E6%BC%8F%E6%B0%B4&sort=risk&order=asc&page=3\
             &page_size=50&kind=dispute&unknown=x",
            now(),
        )
        .unwrap();
        assert_eq!(f.area.unwrap().as_str(), "jingkou-jianshelu");
        assert_eq!(
            f.status,
            vec![
                DisputeStatus::Assigned,
                DisputeStatus::InProgress,
                DisputeStatus::Reported
            ]
        );
        assert_eq!((f.overdue, f.supervised), (Some(true), Some(false)));
        assert_eq!(f.fts.as_deref(), Some("\"漏水\""));
        assert_eq!((f.sort, f.descending), (SortKey::Risk, false));
        assert_eq!((f.page, f.page_size), (3, 50));
        let day = 86_400_000;
        assert_eq!(f.to.unwrap().millis() - f.from.unwrap().millis(), 30 * day);
        assert_eq!(
            CaseFilter::from_query("", now()).unwrap(),
            CaseFilter::new(now())
        );
    }

    #[test]
    fn bad_values_are_typed_errors_naming_the_field() {
        let cases = [
            ("status=lost", "invalid_value", "status"),
            ("status=assigned,lost", "invalid_value", "status"),
            ("risk=extreme", "invalid_value", "risk"),
            ("area=Not%20An%20Area", "invalid_value", "area"),
            ("kind=memo", "invalid_value", "kind"),
            ("from=2026-13-01", "invalid_date", "from"),
            ("to=yesterday", "invalid_date", "to"),
            ("page_size=0", "out_of_range", "page_size"),
            ("page_size=101", "out_of_range", "page_size"),
            ("page=0", "out_of_range", "page"),
            ("page=-1", "out_of_range", "page"),
            ("overdue=maybe", "invalid_value", "overdue"),
            ("sort=title", "invalid_value", "sort"),
            ("order=up", "invalid_value", "order"),
        ];
        for (query, code, field) in cases {
            let e = CaseFilter::from_query(query, now()).unwrap_err();
            assert_eq!(field_of(e), (code.to_owned(), field.to_owned()), "{query}");
        }
        let long = format!("q={}", "纠".repeat(MAX_Q_CHARS + 1));
        let e = CaseFilter::from_query(&long, now()).unwrap_err();
        assert_eq!(field_of(e), ("too_long".to_owned(), "q".to_owned()));
        let fits = format!("q={}", "纠".repeat(MAX_Q_CHARS));
        assert!(CaseFilter::from_query(&fits, now()).is_ok());
    }

    /// The single-range form of a scope entry covers exactly what `Scope::covers` covers, for
    /// every valid grid id.
    #[test]
    fn the_scope_range_is_coverage() {
        let area = "jingkou-zheng";
        for grid in [
            "jingkou-zheng",
            "jingkou-zheng-01",
            "jingkou-zheng-01-a",
            "jingkou-zhengdonglu",
            "jingkou-zhen",
            "jingkou-zheng0",
            "jingkou-zhenh",
            "jingkou-zhenga-1",
        ] {
            let covered =
                Scope::new([GridId::parse(area).unwrap()]).covers(&GridId::parse(grid).unwrap());
            let in_range = grid >= area && grid < "jingkou-zheng.";
            assert_eq!(covered, in_range, "{grid}");
        }
    }

    proptest::proptest! {
        /// Whatever the ids, the single range of an entry is exactly its coverage.
        #[test]
        fn the_scope_range_is_coverage_for_any_ids(
            area in "[a-z0-9]{1,3}(-[a-z0-9]{1,3}){0,2}",
            grid in "[a-z0-9]{1,3}(-[a-z0-9]{1,3}){0,3}",
        ) {
            let (a, g) = (GridId::parse(&area).unwrap(), GridId::parse(&grid).unwrap());
            let upper = format!("{area}.");
            let in_range = grid.as_str() >= area.as_str() && grid.as_str() < upper.as_str();
            proptest::prop_assert_eq!(Scope::new([a]).covers(&g), in_range);
        }
    }

    #[test]
    fn the_scope_is_always_anded_first() {
        let scope = Scope::parse_list("jingkou-jianshelu").unwrap();
        let mut f = CaseFilter::new(now());
        f.area = GridId::parse("jingkou-zhengdonglu");
        let q = Query::build(&scope, &f);
        assert!(
            q.where_sql
                .starts_with("((c.grid_id >= ?1 AND c.grid_id < ?2))"),
            "{}",
            q.where_sql
        );
        assert!(q.where_sql.contains("c.deleted = 0"));
        // Two bounds of the scope, the kind, two bounds of the area.
        assert_eq!(q.params.len(), 5);
        assert!(
            Query::build(&Scope::default(), &f)
                .where_sql
                .starts_with("0 AND")
        );
    }
}

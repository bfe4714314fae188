//! A user's scope: the set of areas (county, township or grid slugs) whose records the user may
//! see. Area ids are hierarchical [`GridId`] slugs: grid `jingkou-zhengdonglu-03` lies in township
//! `jingkou-zhengdonglu`, which lies in county `jingkou`.
//!
//! Invariant: an entry `S` covers a grid `G` iff `G == S` or `G` starts with `S` followed by `-`.
//! A bare string prefix is NOT enough (`jingkou-zheng` must not cover `jingkou-zhengdonglu-03`).
//! The SQL form relies on `-` (0x2D) being immediately followed by `.` (0x2E) in ASCII/UTF-8 byte
//! order (SQLite's default BINARY collation), so `G >= 'S-' AND G < 'S.'` is exactly "starts with
//! `S-`" for any string, and the range can use an index on the grid column.

use std::collections::BTreeSet;
use std::fmt;

use gridmate_domain::{GridId, area_covers};
use serde::{Deserialize, Serialize};

/// A set of area ids. Serialized as a sorted JSON array of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope(BTreeSet<GridId>);

/// One scope entry as SQL-friendly bounds: `column = exact OR (column >= lower AND column < upper)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRange {
    pub exact: String,
    /// `S-`: the smallest string that starts with `S-`.
    pub lower: String,
    /// `S.`: the smallest string greater than every string starting with `S-`.
    pub upper: String,
}

/// Why a scope list did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("scope is empty: give at least one area id")]
    Empty,
    #[error("invalid area id `{0}`: use 1-64 characters of a-z, 0-9 and -")]
    InvalidArea(String),
}

impl Scope {
    pub fn new(areas: impl IntoIterator<Item = GridId>) -> Self {
        Self(areas.into_iter().collect())
    }

    /// Parses a comma-separated list such as `jingkou-zhengdonglu,jingkou-xiangshan-01`.
    /// Whitespace around entries is ignored; an empty result is an error (a user who can see
    /// nothing is a configuration mistake, not a feature).
    pub fn parse_list(s: &str) -> Result<Self, ScopeError> {
        let mut set = BTreeSet::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = GridId::parse(part).ok_or_else(|| ScopeError::InvalidArea(part.to_owned()))?;
            set.insert(id);
        }
        if set.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(Self(set))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn areas(&self) -> impl Iterator<Item = &GridId> {
        self.0.iter()
    }

    /// Whether this scope covers the grid (or area) `grid`.
    pub fn covers(&self, grid: &GridId) -> bool {
        self.0
            .iter()
            .any(|s| area_covers(s.as_str(), grid.as_str()))
    }

    /// The same coverage with redundant entries removed (an entry inside another entry adds
    /// nothing), so SQL filters stay short.
    pub fn minimal(&self) -> Self {
        let kept = self
            .0
            .iter()
            .filter(|e| {
                !self
                    .0
                    .iter()
                    .any(|o| o != *e && area_covers(o.as_str(), e.as_str()))
            })
            .cloned()
            .collect();
        Self(kept)
    }

    /// One [`ScopeRange`] per entry of the minimal scope.
    pub fn ranges(&self) -> Vec<ScopeRange> {
        self.minimal()
            .0
            .iter()
            .map(|s| ScopeRange {
                exact: s.as_str().to_owned(),
                lower: format!("{s}-"),
                upper: format!("{s}."),
            })
            .collect()
    }

    /// A SQL predicate over `column` with numbered parameters starting at `?{first_param}`, and
    /// the values to bind in order. An empty scope yields `0` (matches nothing).
    ///
    /// `column` is interpolated into the SQL, so it must be a trusted identifier written in code
    /// (it is checked to contain only `[A-Za-z0-9_.]`; anything else yields `0`).
    pub fn sql_predicate(&self, column: &str, first_param: usize) -> (String, Vec<String>) {
        let safe = !column.is_empty()
            && column
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
        let ranges = self.ranges();
        if !safe || ranges.is_empty() {
            return ("0".to_owned(), Vec::new());
        }
        let mut parts = Vec::with_capacity(ranges.len());
        let mut params = Vec::with_capacity(ranges.len() * 3);
        for (i, r) in ranges.into_iter().enumerate() {
            let p = first_param + i * 3;
            parts.push(format!(
                "({column} = ?{} OR ({column} >= ?{} AND {column} < ?{}))",
                p,
                p + 1,
                p + 2
            ));
            params.extend([r.exact, r.lower, r.upper]);
        }
        (format!("({})", parts.join(" OR ")), params)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(a.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn g(s: &str) -> GridId {
        GridId::parse(s).unwrap()
    }

    #[test]
    fn covers_hierarchy() {
        let county = Scope::parse_list("jingkou").unwrap();
        let township = Scope::parse_list("jingkou-zhengdonglu").unwrap();
        let grid = Scope::parse_list("jingkou-zhengdonglu-03").unwrap();
        let target = g("jingkou-zhengdonglu-03");
        assert!(county.covers(&target));
        assert!(township.covers(&target));
        assert!(grid.covers(&target));
        assert!(!grid.covers(&g("jingkou-zhengdonglu-01")));
        assert!(
            !grid.covers(&g("jingkou-zhengdonglu")),
            "a grid does not cover its township"
        );
    }

    #[test]
    fn bare_prefix_is_not_coverage() {
        let s = Scope::parse_list("jingkou-zheng").unwrap();
        assert!(!s.covers(&g("jingkou-zhengdonglu-03")));
        assert!(!s.covers(&g("jingkou-zhengdonglu")));
        assert!(s.covers(&g("jingkou-zheng-01")));
        let s = Scope::parse_list("jingkou-zhengdonglu-0").unwrap();
        assert!(!s.covers(&g("jingkou-zhengdonglu-03")));
        let s = Scope::parse_list("jingkou-zhengdonglu-03").unwrap();
        assert!(!s.covers(&g("jingkou-zhengdonglu-030")));
        assert!(
            s.covers(&g("jingkou-zhengdonglu-03-a")),
            "micro-grids lie inside their grid"
        );
    }

    #[test]
    fn parse_list_rejects_bad_input() {
        assert_eq!(Scope::parse_list(" , "), Err(ScopeError::Empty));
        assert!(
            matches!(Scope::parse_list("jingkou,Bad"), Err(ScopeError::InvalidArea(a)) if a == "Bad")
        );
        assert!(Scope::parse_list("jingkou-").is_err());
        let s = Scope::parse_list(" b , a ,a").unwrap();
        assert_eq!(s.to_string(), "a,b");
    }

    #[test]
    fn minimal_drops_nested_entries() {
        let s =
            Scope::parse_list("jingkou-zhengdonglu-03,jingkou-zhengdonglu,jingkou-zheng").unwrap();
        assert_eq!(s.minimal().to_string(), "jingkou-zheng,jingkou-zhengdonglu");
    }

    #[test]
    fn ranges_use_dash_and_dot() {
        let s = Scope::parse_list("jingkou-zhengdonglu").unwrap();
        assert_eq!(
            s.ranges(),
            vec![ScopeRange {
                exact: "jingkou-zhengdonglu".into(),
                lower: "jingkou-zhengdonglu-".into(),
                upper: "jingkou-zhengdonglu.".into(),
            }]
        );
        assert_eq!(Scope::default().sql_predicate("grid_id", 1).0, "0");
        assert_eq!(s.sql_predicate("grid_id; DROP", 1).0, "0");
    }

    /// The SQL form must agree with `covers` on real SQLite, including the tricky neighbours.
    #[test]
    fn sql_predicate_matches_covers_in_sqlite() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE r (grid_id TEXT NOT NULL); CREATE INDEX r_grid ON r (grid_id);",
        )
        .unwrap();
        let grids = [
            "jingkou",
            "jingkou-zheng",
            "jingkou-zheng-01",
            "jingkou-zhengdonglu",
            "jingkou-zhengdonglu-01",
            "jingkou-zhengdonglu-03",
            "jingkou-zhengdonglu-03-a",
            "jingkou-zhengdonglu-030",
            "jingkou0",
            "jingkoua",
            "runzhou-jingkou-01",
            "jingkou--x",
        ];
        for gid in grids {
            conn.execute("INSERT INTO r (grid_id) VALUES (?1)", [gid])
                .unwrap();
        }
        for scope in [
            "jingkou",
            "jingkou-zheng",
            "jingkou-zhengdonglu",
            "jingkou-zhengdonglu-03",
            "jingkou-zheng,jingkou-zhengdonglu-03",
            "runzhou,jingkou-zhengdonglu-01",
        ] {
            let s = Scope::parse_list(scope).unwrap();
            let (pred, params) = s.sql_predicate("grid_id", 1);
            let sql = format!("SELECT grid_id FROM r WHERE {pred} ORDER BY grid_id");
            let mut stmt = conn.prepare(&sql).unwrap();
            let got: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(params.iter()), |row| row.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let mut want: Vec<String> = grids
                .iter()
                .filter(|x| s.covers(&g(x)))
                .map(|x| (*x).to_owned())
                .collect();
            want.sort();
            assert_eq!(got, want, "scope {scope}");
        }
    }
}

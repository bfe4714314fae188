//! The case list's search, whichever plan it takes (`filter::Query::build`): the matches walked
//! and looked up by rowid (a scope narrowed in the full-text index, the county, an area), or the
//! scope's cases walked and kept among the matches (a scope of many entries). Each answers
//! exactly the cases a plain reading of the rows gives, in the list's order, and its total.
#![allow(clippy::unwrap_used)]

use gridmate_domain::Timestamp;
use gridmate_domain::search::{area_tokens, index_tokens, kind_token};
use proptest::prelude::*;
use rusqlite::{Connection, params};

use super::filter::{CaseFilter, LIST_INDEX, MATCH_INDEX, Query, list_page};
use crate::scope::Scope;
use crate::storage::SqliteStorage;

const TEXTS: [&str; 4] = [
    "楼上卫生间漏水至楼下",
    "楼道堆放纸箱，占用消防通道",
    "邻里噪音纠纷，要求调解",
    "顶楼漏水多年，请求调解",
];
const KINDS: [&str; 3] = ["dispute", "patrol_visit", "dispute"];

/// A grid of the county: three townships of six grids.
fn grid(i: usize) -> String {
    format!("jingkou-t{}-g{:02}", i % 3, (i / 3) % 6)
}

/// `n` indexed records; returns each one's (rowid, grid, kind, text).
fn fill(c: &Connection, n: usize) -> Vec<(i64, String, &'static str, &'static str)> {
    c.pragma_update(None, "foreign_keys", false).unwrap();
    (0..n)
        .map(|i| {
            let (rowid, g) = (i as i64 + 1, grid(i * 7 % 18));
            let (kind, text) = (KINDS[i % 3], TEXTS[i * 5 % 4]);
            c.execute(
                "INSERT INTO console_records (record_rowid, record_id, kind, grid_id, created_by,
                    occurred_at, updated_at, deleted, title, status, risk)
                 VALUES (?1, ?2, ?3, ?4, 'w', ?5, ?5, ?6, 't', 'reported', 'low')",
                params![
                    rowid,
                    rowid.to_be_bytes().repeat(2),
                    kind,
                    g,
                    1_000 + (i as i64 * 37 % 11),
                    i64::from(i % 13 == 0)
                ],
            )
            .unwrap();
            let tokens = format!(
                "{} {} {}",
                index_tokens(text),
                area_tokens(&g),
                kind_token(kind)
            );
            c.execute(
                "INSERT INTO console_fts (rowid, tokens) VALUES (?1, ?2)",
                params![rowid, tokens],
            )
            .unwrap();
            (rowid, g, kind, text)
        })
        .collect()
}

/// The scopes of the plans: the county, a township, two grids, an area inside a township, and
/// seventeen grids (too many to narrow in the full-text index).
fn scopes() -> Vec<(Scope, Option<&'static str>, &'static str)> {
    let many: Vec<String> = (0..17).map(grid).collect();
    vec![
        (Scope::parse_list("jingkou").unwrap(), None, MATCH_INDEX),
        (Scope::parse_list("jingkou-t1").unwrap(), None, MATCH_INDEX),
        (
            Scope::parse_list("jingkou-t0-g01,jingkou-t2-g03").unwrap(),
            None,
            MATCH_INDEX,
        ),
        (
            Scope::parse_list("jingkou").unwrap(),
            Some("jingkou-t2"),
            MATCH_INDEX,
        ),
        (
            Scope::parse_list(&many.join(",")).unwrap(),
            None,
            LIST_INDEX,
        ),
        (
            Scope::parse_list(&many.join(",")).unwrap(),
            Some("jingkou-t0"),
            MATCH_INDEX,
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn every_plan_answers_the_cases_the_rows_give(
        n in 20usize..120,
        word in prop::sample::select(vec!["漏水", "调解", "消防通道", "纠纷 调解", "楼"]),
        sort in prop::sample::select(vec!["occurred_at", "updated_at", "status"]),
        descending in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let db = SqliteStorage::open(dir.path()).unwrap();
        let rows = db.write(|c| Ok(fill(c, n))).unwrap();
        let now = Timestamp::from_millis(5_000).unwrap();
        for (scope, area, index) in scopes() {
            let order = if descending { "desc" } else { "asc" };
            let mut query = format!("q={word}&sort={sort}&order={order}&page_size=100");
            if let Some(a) = area {
                query.push_str(&format!("&area={a}"));
            }
            let f = CaseFilter::from_query(&query, now).unwrap();
            let within = |g: &str| {
                let g = gridmate_domain::GridId::parse(g).unwrap();
                scope.covers(&g) && area.is_none_or(|a| Scope::parse_list(a).unwrap().covers(&g))
            };
            let mut expect: Vec<i64> = rows
                .iter()
                .filter(|(rowid, g, kind, text)| {
                    *kind == "dispute"
                        && (rowid - 1) % 13 != 0
                        && within(g)
                        && word.split(' ').all(|w| text.contains(w))
                })
                .map(|r| r.0)
                .collect();
            expect.sort();
            let page = db.read(|c| list_page(c, &scope, &f)).unwrap();
            let mut got: Vec<i64> = page
                .items
                .iter()
                .map(|r| {
                    let b = uuid::Uuid::parse_str(&r.id).unwrap().into_bytes();
                    i64::from_be_bytes(b[..8].try_into().unwrap())
                })
                .collect();
            prop_assert_eq!(page.total, expect.len() as i64, "{} {:?}", scope, area);
            // In the list's order: the sort key, ties by rowid in the same direction.
            let listed = got.clone();
            got.sort();
            prop_assert_eq!(&got, &expect, "{} {:?}", scope, area);
            let full = db
                .read(|c| list_page(c, &scope, &CaseFilter::from_query(&query.replace(&format!("q={word}&"), ""), now).unwrap()))
                .unwrap();
            let in_order: Vec<String> = full
                .items
                .iter()
                .filter(|r| {
                    let b = uuid::Uuid::parse_str(&r.id).unwrap().into_bytes();
                    listed.contains(&i64::from_be_bytes(b[..8].try_into().unwrap()))
                })
                .map(|r| r.id.clone())
                .collect();
            let page_ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
            prop_assert_eq!(page_ids, in_order);
            // The plan is the one named for the scope.
            let q = Query::build(&scope, &f);
            let plan: String = db
                .read(|c| {
                    let sql = format!("EXPLAIN QUERY PLAN SELECT count(*) FROM {} WHERE {}", q.from_sql, q.where_sql);
                    let mut st = c.prepare(&sql)?;
                    let rows = st.query_map(rusqlite::params_from_iter(q.params.iter()), |r| r.get::<_, String>(3))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?.join("; "))
                })
                .unwrap();
            prop_assert!(plan.contains(index), "{}: {}", scope, plan);
        }
    }
}

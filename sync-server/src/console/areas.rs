//! `GET /v1/console/areas`: what a console user's cascaders and assign dialogs are built from —
//! the user's areas as a tree, the units, and the users the user may assign disputes to.
//!
//! Invariants: the tree holds only catalogue areas the user's scope covers (plus the scope's own
//! entries, named by their id when the catalogue lacks them), each under the nearest covering
//! area of the tree; assignable users are active grid workers and dispatchers whose scope
//! overlaps the user's, legal volunteers (三官一律) of the same county (they serve across
//! townships: a township lawyer takes another township's dispute), and members of a known unit;
//! they carry only names, roles and unit (never password data, never the disabled).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use gridmate_domain::{GridId, LegalRole, Role, area_covers};
use serde::Serialize;

use super::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::model::{Area, AreaLevel};
use crate::reference::overlaps;
use crate::scope::Scope;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/console/areas", get(areas))
}

/// One area of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaNode {
    pub id: String,
    pub name: String,
    /// `None` for a scope entry the catalogue does not name.
    pub level: Option<AreaLevel>,
    pub children: Vec<AreaNode>,
}

#[derive(Debug, Serialize)]
pub struct UnitItem {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct Assignable {
    pub user: String,
    pub display_name: String,
    pub role: Role,
    pub legal_role: Option<LegalRole>,
    pub unit: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AreasAnswer {
    pub areas: Vec<AreaNode>,
    pub units: Vec<UnitItem>,
    pub users: Vec<Assignable>,
}

async fn areas(
    State(state): State<AppState>,
    user: ConsoleUser,
) -> Result<Json<AreasAnswer>, ApiError> {
    let db = state.db.clone();
    let dir = blocking(move || Ok(db.directory()?)).await?;
    let known_units: Vec<&str> = dir.units.iter().map(|u| u.id.as_str()).collect();
    let users = dir
        .users
        .iter()
        .filter(|u| {
            matches!(
                u.role,
                Role::GridWorker | Role::LegalVolunteer | Role::Dispatcher
            )
        })
        .filter(|u| {
            overlaps(&u.scope, &user.scope)
                || (u.role == Role::LegalVolunteer && same_county(&u.scope, &user.scope))
                || u.unit.as_deref().is_some_and(|x| known_units.contains(&x))
        })
        .map(|u| Assignable {
            user: u.name.clone(),
            display_name: u.display_name.clone().unwrap_or_else(|| u.name.clone()),
            role: u.role,
            legal_role: u.legal_role,
            unit: u.unit.clone(),
        })
        .collect();
    Ok(Json(AreasAnswer {
        areas: tree(&user.scope, &dir.areas),
        units: dir
            .units
            .iter()
            .map(|u| UnitItem {
                id: u.id.clone(),
                name: u.name.clone(),
            })
            .collect(),
        users,
    }))
}

/// The areas of `catalogue` that `scope` covers, with the scope's entries, as a forest: each
/// area under the nearest other area of the set that covers it; siblings sorted by id.
pub fn tree(scope: &Scope, catalogue: &[Area]) -> Vec<AreaNode> {
    let mut nodes: Vec<(GridId, String, Option<AreaLevel>)> = catalogue
        .iter()
        .filter(|a| scope.covers(&a.id))
        .map(|a| (a.id.clone(), a.name.clone(), Some(a.level)))
        .collect();
    for entry in scope.areas() {
        if !nodes.iter().any(|(id, ..)| id == entry) {
            nodes.push((entry.clone(), entry.as_str().to_owned(), None));
        }
    }
    nodes.sort_by(|a, b| a.0.cmp(&b.0));
    let parent_of = |id: &GridId| -> Option<usize> {
        nodes
            .iter()
            .enumerate()
            .filter(|(_, (p, ..))| p != id && area_covers(p.as_str(), id.as_str()))
            .max_by_key(|(_, (p, ..))| p.as_str().len())
            .map(|(i, _)| i)
    };
    let parents: Vec<Option<usize>> = nodes.iter().map(|(id, ..)| parent_of(id)).collect();
    build(None, &nodes, &parents)
}

fn build(
    parent: Option<usize>,
    nodes: &[(GridId, String, Option<AreaLevel>)],
    parents: &[Option<usize>],
) -> Vec<AreaNode> {
    nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| parents[*i] == parent)
        .map(|(i, (id, name, level))| AreaNode {
            id: id.as_str().to_owned(),
            name: name.clone(),
            level: *level,
            children: build(Some(i), nodes, parents),
        })
        .collect()
}

/// Whether two scopes share a county: an area id's first segment is its county
/// (`jingkou-zhengdonglu-03` lies in `jingkou`).
fn same_county(a: &crate::scope::Scope, b: &crate::scope::Scope) -> bool {
    let county =
        |g: &gridmate_domain::GridId| g.as_str().split('-').next().unwrap_or("").to_owned();
    let theirs: std::collections::BTreeSet<String> = a.areas().map(county).collect();
    b.areas().any(|g| theirs.contains(&county(g)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn area(id: &str, level: AreaLevel) -> Area {
        Area {
            id: GridId::parse(id).unwrap(),
            level,
            name: format!("{id} 名"),
        }
    }

    #[test]
    fn the_tree_is_cut_to_the_scope_and_nested_by_coverage() {
        let catalogue = [
            area("jingkou", AreaLevel::County),
            area("jingkou-zhengdonglu", AreaLevel::Township),
            area("jingkou-zhengdonglu-01", AreaLevel::Grid),
            area("jingkou-zhengdonglu-03", AreaLevel::Grid),
            area("jingkou-zhengdonglux", AreaLevel::Township),
            area("jingkou-jianshelu", AreaLevel::Township),
        ];
        let scope = Scope::parse_list("jingkou-zhengdonglu,jingkou-xiangshan-02").unwrap();
        let t = tree(&scope, &catalogue);
        let ids: Vec<&str> = t.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["jingkou-xiangshan-02", "jingkou-zhengdonglu"]);
        assert_eq!(t[0].level, None, "a scope entry outside the catalogue");
        assert_eq!(t[0].name, "jingkou-xiangshan-02");
        let kids: Vec<&str> = t[1].children.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(kids, ["jingkou-zhengdonglu-01", "jingkou-zhengdonglu-03"]);
        assert_eq!(t[1].level, Some(AreaLevel::Township));
    }

    #[test]
    fn a_county_scope_nests_three_levels() {
        let catalogue = [
            area("jingkou", AreaLevel::County),
            area("jingkou-zhengdonglu", AreaLevel::Township),
            area("jingkou-zhengdonglu-01", AreaLevel::Grid),
        ];
        let t = tree(&Scope::parse_list("jingkou").unwrap(), &catalogue);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].children[0].children[0].id, "jingkou-zhengdonglu-01");
    }
}

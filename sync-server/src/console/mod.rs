//! The command-centre console (指挥中心): a JSON API under `/v1/console/` for dispatchers and
//! admins, and (from `console/` at the repository root, built and embedded) the web UI under
//! `/console/`. docs/console-api.md documents every endpoint.
//!
//! Invariants: every console route takes a [`auth::ConsoleUser`] (a live session; the CSRF
//! header on unsafe methods) except sign-in; every query is limited to the user's areas on the
//! server, by-id lookups included (a record outside them is `not_found`); actions taken in the
//! console become Automerge changes of the same records, logged through the sync push path as the
//! dispatcher's own, so phones receive them like any other edit.

pub mod actions;
pub mod admin;
pub mod areas;
pub mod auth;
pub mod boundary;
pub mod cases;
pub mod detail;
pub mod export;
pub mod filter;
pub mod fts_merge;
pub mod index;
#[cfg(test)]
mod index_tests;
pub mod indexer;
pub mod paging;
pub mod schema;
#[cfg(test)]
mod search_tests;
pub mod session;
pub mod stats;
pub mod store;
pub mod stream;
pub mod tiles;
pub mod ui;

use axum::Router;

use crate::state::AppState;

/// Every console route (each module adds its own router here).
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(session::routes())
        .merge(cases::routes())
        .merge(stats::routes())
        .merge(export::routes())
        .merge(areas::routes())
        .merge(admin::routes())
        .merge(boundary::routes())
        .merge(tiles::routes())
        .merge(ui::routes())
        .merge(actions::routes())
}

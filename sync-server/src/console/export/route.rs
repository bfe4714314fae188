//! `GET /v1/console/export.xlsx` and `GET /v1/console/export.csv`: the case list of the same
//! filters (`console::filter`, the page ignored) as a streamed download.
//!
//! Invariants: limited to the user's areas like the list it exports (the same query); rows are
//! stepped from one SQLite statement into the writer, never collected, so memory does not grow
//! with the list; a bad filter is the list's typed error before any byte is sent.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::get;

use super::{ExportError, ExportFormat, export_response, shanghai_minutes};
use crate::console::auth::ConsoleUser;
use crate::console::filter::CaseFilter;
use crate::console::stream::for_each_case;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::StorageError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/console/export.xlsx", get(xlsx))
        .route("/v1/console/export.csv", get(csv))
}

async fn xlsx(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    export(&state, user, query, ExportFormat::Xlsx)
}

async fn csv(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    export(&state, user, query, ExportFormat::Csv)
}

fn export(
    state: &AppState,
    user: ConsoleUser,
    query: Option<String>,
    format: ExportFormat,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let filter = CaseFilter::from_query(query.as_deref().unwrap_or(""), now)?;
    // The temporary XLSX parts go beside the database: the server's own private folder.
    let tmp = state
        .db
        .path()
        .parent()
        .map_or_else(std::env::temp_dir, std::path::Path::to_path_buf);
    let stem = format!(
        "gridmate-cases-{}",
        shanghai_minutes(now.millis()).replace([' ', ':'], "-")
    );
    let db = state.db.clone();
    let scope = user.scope;
    tracing::info!(format = format.extension(), "console export");
    Ok(export_response(format, &stem, tmp, move |sink| {
        let counted = db
            .read_index(|c| {
                Ok(for_each_case(c, &scope, &filter, |row| {
                    sink(row).map_err(Stop::Sink)
                }))
            })
            .map_err(|e| ExportError::Source(e.to_string()))?;
        match counted {
            Ok(_) => Ok(()),
            Err(Stop::Sink(e)) => Err(e),
            Err(Stop::Storage(e)) => Err(ExportError::Source(e.to_string())),
        }
    }))
}

/// Why stepping through the rows stopped.
enum Stop {
    Sink(ExportError),
    Storage(StorageError),
}

impl From<StorageError> for Stop {
    fn from(e: StorageError) -> Self {
        Self::Storage(e)
    }
}

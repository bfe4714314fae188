//! `GET /v1/reference`: the reference data of the caller (`crate::reference`): the areas with
//! their names and levels, the units, the colleagues and the deadline
//! table. Read as the database holds them now, so renames and new colleagues reach devices on
//! their next sync.

use axum::Json;
use axum::extract::State;
use gridmate_domain::reference::ReferenceData;

use crate::auth::AuthContext;
use crate::error::{ApiError, blocking};
use crate::reference::reference_for;
use crate::state::AppState;

pub async fn reference(
    State(state): State<AppState>,
    auth: AuthContext,
) -> Result<Json<ReferenceData>, ApiError> {
    let db = state.db.clone();
    let deadlines = state.config.deadlines.clone();
    let data = blocking(move || {
        let dir = db.directory()?;
        Ok(reference_for(&auth.scope, &dir, deadlines))
    })
    .await?;
    Ok(Json(data))
}

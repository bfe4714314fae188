//! `GET /healthz`: liveness and readiness in one — 200 only if the database answers.
//! Unauthenticated and free of any data, so load balancers and monitors can call it.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::error::{ApiError, blocking};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
}

pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let accounts = state.accounts.clone();
    blocking(move || Ok(accounts.ping()?)).await?;
    Ok(Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    }))
}

//! `GET /v1/me`: the caller's own profile and device as stored now (the token lookup reads the
//! current row), so a client can pick up role, scope and unit changes without signing in again.

use axum::Json;
use serde::Serialize;
use uuid::Uuid;

use crate::auth::AuthContext;
use crate::model::PublicProfile;

#[derive(Debug, Serialize)]
pub struct MeResponse {
    pub user: PublicProfile,
    pub device_id: Uuid,
}

pub async fn me(auth: AuthContext) -> Json<MeResponse> {
    Json(MeResponse {
        user: PublicProfile {
            id: auth.user_id,
            name: auth.user_name,
            display_name: auth.display_name,
            role: auth.role,
            legal_role: auth.legal_role,
            scope: auth.scope,
            unit: auth.unit,
        },
        device_id: auth.device_id,
    })
}

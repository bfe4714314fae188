//! `/v1/console/admin/{devices,areas,units,deadlines,audit}`: devices (list, revoke), the area
//! catalogue (list, add, rename / change level; `PUT` adds or changes), units (list, add,
//! rename; `PUT` likewise), the deadline table in force, and the admin audit trail — what
//! `gridmate-server device|area|unit …` do.
//!
//! Invariants: admin only; devices of users outside the admin's scope and areas outside it are
//! `not_found` for reads by id and `outside_scope` for new ids; units have no area, so every
//! admin manages them; each change writes its `console_audit` row in its own transaction.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gridmate_domain::reference::Unit;
use gridmate_domain::workflow::deadline::DeadlineTable;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::input;
use super::store::{AdminStore, Audit, AuditRow};
use super::{ApiQuery, Page, PageQuery};
use crate::console::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::json::ApiJson;
use crate::model::{Area, DeviceInfo};
use crate::state::AppState;
use crate::storage::AccountStore;

/// A device as the admin console lists it (times in UTC ms).
#[derive(Debug, Serialize)]
pub struct AdminDevice {
    pub device_id: Uuid,
    pub user: String,
    pub device_name: String,
    /// When the device first signed in.
    pub registered_at: i64,
    pub last_login_at: i64,
    pub last_seen_at: Option<i64>,
    pub token_expires_at: Option<i64>,
    pub revoked: bool,
    pub revoked_at: Option<i64>,
}

impl From<DeviceInfo> for AdminDevice {
    fn from(d: DeviceInfo) -> Self {
        Self {
            device_id: d.device_id,
            user: d.user_name,
            device_name: d.device_name,
            registered_at: d.created_at.millis(),
            last_login_at: d.last_login_at.millis(),
            last_seen_at: d.last_seen_at.map(|t| t.millis()),
            token_expires_at: d.token_expires_at.map(|t| t.millis()),
            revoked: d.revoked_at.is_some(),
            revoked_at: d.revoked_at.map(|t| t.millis()),
        }
    }
}

/// A catalogue area as the admin console lists it.
#[derive(Debug, Serialize)]
pub struct AdminArea {
    #[serde(flatten)]
    pub area: Area,
    /// Whether a boundary is stored for it.
    pub has_boundary: bool,
}

#[derive(Debug, Deserialize)]
pub struct DeviceQuery {
    pub user: Option<String>,
    #[serde(flatten)]
    pub page: PageQuery,
}

pub async fn devices(
    State(state): State<AppState>,
    admin: ConsoleUser,
    ApiQuery(q): ApiQuery<DeviceQuery>,
) -> Result<Json<Page<AdminDevice>>, ApiError> {
    admin.require_admin()?;
    let only = match q.user.as_deref() {
        Some(u) => Some(
            super::users::managed_user(&state, &admin, u)
                .await?
                .profile
                .id,
        ),
        None => None,
    };
    let db = state.db.clone();
    let (users, devices) = blocking(move || Ok((db.list_users()?, db.list_devices(None)?))).await?;
    let managed: Vec<_> = users
        .iter()
        .filter(|u| input::manages(&admin.scope, &u.profile.scope))
        .map(|u| u.profile.id)
        .collect();
    let mine = devices
        .into_iter()
        .filter(|d| managed.contains(&d.user_id) && only.is_none_or(|o| o == d.user_id))
        .map(AdminDevice::from)
        .collect();
    Ok(Json(Page::of(mine, &q.page)?))
}

pub async fn revoke_device(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(raw): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    let device = Uuid::parse_str(&raw).map_err(|_| ApiError::NotFound)?;
    let (db, now) = (state.db.clone(), state.clock.now());
    blocking(move || {
        let owner = db
            .list_devices(None)?
            .into_iter()
            .find(|d| d.device_id == device)
            .ok_or(ApiError::NotFound)?;
        let manages = db
            .user_by_name(&owner.user_name)?
            .is_some_and(|u| input::manages(&admin.scope, &u.profile.scope));
        if !manages {
            return Err(ApiError::NotFound);
        }
        let target = format!("device:{device}");
        let a = Audit {
            actor: admin.user_id,
            action: "device.revoke",
            target: &target,
            at: now,
        };
        Ok(db.admin_revoke_device(device, &a)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn areas(
    State(state): State<AppState>,
    admin: ConsoleUser,
) -> Result<Json<Vec<AdminArea>>, ApiError> {
    admin.require_admin()?;
    let db = state.db.clone();
    let (all, outlined) = blocking(move || {
        let outlined = crate::console::boundary::outlined_areas(&db)?;
        Ok((db.list_areas()?, outlined))
    })
    .await?;
    Ok(Json(
        all.into_iter()
            .filter(|a| admin.scope.covers(&a.id))
            .map(|area| AdminArea {
                has_boundary: outlined.contains(area.id.as_str()),
                area,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutArea {
    pub name: String,
    #[serde(default)]
    pub level: Option<String>,
}

/// `PUT /admin/areas/{id}`: adds the area (a level is then required) or renames it / changes
/// its level.
pub async fn put_area(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PutArea>,
) -> Result<Json<Area>, ApiError> {
    admin.require_admin()?;
    let id = input::area_id(&id)?;
    if !admin.scope.covers(&id) {
        return Err(input::outside_scope("id"));
    }
    let name = input::name(&req.name)?;
    let level = req.level.as_deref().map(input::level).transpose()?;
    let existing = find_area(&state, id.as_str()).await?;
    let (level, action) = match (level, existing) {
        (Some(l), e) => (
            l,
            if e.is_some() {
                "area.update"
            } else {
                "area.add"
            },
        ),
        (None, Some(e)) => (e.level, "area.update"),
        (None, None) => return Err(input::level_error()),
    };
    let area = Area { id, name, level };
    save_area(&state, &admin, area.clone(), action).await?;
    Ok(Json(area))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddArea {
    pub id: String,
    pub name: String,
    pub level: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchArea {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
}

pub async fn add_area(
    State(state): State<AppState>,
    admin: ConsoleUser,
    ApiJson(req): ApiJson<AddArea>,
) -> Result<(StatusCode, Json<Area>), ApiError> {
    admin.require_admin()?;
    let area = Area {
        id: input::area_id(&req.id)?,
        name: input::name(&req.name)?,
        level: input::level(&req.level)?,
    };
    if !admin.scope.covers(&area.id) {
        return Err(input::outside_scope("id"));
    }
    let existing = find_area(&state, area.id.as_str()).await?;
    if existing.is_some() {
        return Err(ApiError::invalid(
            "area_exists",
            "id",
            "该区域编号已存在",
            "An area with this id already exists",
        ));
    }
    save_area(&state, &admin, area.clone(), "area.add").await?;
    Ok((StatusCode::CREATED, Json(area)))
}

pub async fn patch_area(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PatchArea>,
) -> Result<Json<Area>, ApiError> {
    admin.require_admin()?;
    let current = managed_area(&state, &admin, &id).await?;
    let area = Area {
        name: req
            .name
            .as_deref()
            .map(input::name)
            .transpose()?
            .unwrap_or(current.name),
        level: req
            .level
            .as_deref()
            .map(input::level)
            .transpose()?
            .unwrap_or(current.level),
        id: current.id,
    };
    save_area(&state, &admin, area.clone(), "area.update").await?;
    Ok(Json(area))
}

async fn save_area(
    state: &AppState,
    admin: &ConsoleUser,
    area: Area,
    action: &'static str,
) -> Result<(), ApiError> {
    let (db, now, actor) = (state.db.clone(), state.clock.now(), admin.user_id);
    blocking(move || {
        let target = format!("area:{}", area.id);
        let a = Audit {
            actor,
            action,
            target: &target,
            at: now,
        };
        Ok(db.admin_upsert_area(&area, &a)?)
    })
    .await
}

async fn find_area(state: &AppState, id: &str) -> Result<Option<Area>, ApiError> {
    let (db, id) = (state.db.clone(), id.to_owned());
    blocking(move || Ok(db.list_areas()?.into_iter().find(|a| a.id.as_str() == id))).await
}

/// A catalogue area the admin's scope covers; `not_found` otherwise.
pub async fn managed_area(
    state: &AppState,
    admin: &ConsoleUser,
    id: &str,
) -> Result<Area, ApiError> {
    find_area(state, id)
        .await?
        .filter(|a| admin.scope.covers(&a.id))
        .ok_or(ApiError::NotFound)
}

pub async fn units(
    State(state): State<AppState>,
    admin: ConsoleUser,
) -> Result<Json<Vec<Unit>>, ApiError> {
    admin.require_admin()?;
    let db = state.db.clone();
    Ok(Json(blocking(move || Ok(db.list_units()?)).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddUnit {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchUnit {
    pub name: String,
}

pub async fn add_unit(
    State(state): State<AppState>,
    admin: ConsoleUser,
    ApiJson(req): ApiJson<AddUnit>,
) -> Result<(StatusCode, Json<Unit>), ApiError> {
    admin.require_admin()?;
    let unit = Unit {
        id: input::unit_id(&req.id, "id")?,
        name: input::name(&req.name)?,
    };
    let (db, id) = (state.db.clone(), unit.id.clone());
    if blocking(move || Ok(db.unit_exists(&id)?)).await? {
        return Err(ApiError::invalid(
            "unit_exists",
            "id",
            "该单位编号已存在",
            "A unit with this id already exists",
        ));
    }
    save_unit(&state, &admin, unit.clone(), "unit.add").await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

pub async fn patch_unit(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PatchUnit>,
) -> Result<Json<Unit>, ApiError> {
    admin.require_admin()?;
    let (db, key) = (state.db.clone(), id.clone());
    if !blocking(move || Ok(db.unit_exists(&key)?)).await? {
        return Err(ApiError::NotFound);
    }
    let unit = Unit {
        id,
        name: input::name(&req.name)?,
    };
    save_unit(&state, &admin, unit.clone(), "unit.update").await?;
    Ok(Json(unit))
}

/// `PUT /admin/units/{id}`: adds the unit or renames it.
pub async fn put_unit(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PatchUnit>,
) -> Result<Json<Unit>, ApiError> {
    admin.require_admin()?;
    let unit = Unit {
        id: input::unit_id(&id, "id")?,
        name: input::name(&req.name)?,
    };
    let (db, key) = (state.db.clone(), unit.id.clone());
    let exists = blocking(move || Ok(db.unit_exists(&key)?)).await?;
    let action = if exists { "unit.update" } else { "unit.add" };
    save_unit(&state, &admin, unit.clone(), action).await?;
    Ok(Json(unit))
}

async fn save_unit(
    state: &AppState,
    admin: &ConsoleUser,
    unit: Unit,
    action: &'static str,
) -> Result<(), ApiError> {
    let (db, now, actor) = (state.db.clone(), state.clock.now(), admin.user_id);
    blocking(move || {
        let target = format!("unit:{}", unit.id);
        let a = Audit {
            actor,
            action,
            target: &target,
            at: now,
        };
        Ok(db.admin_upsert_unit(&unit, &a)?)
    })
    .await
}

/// The deadline table in force (the built-in one or `serve --deadlines FILE`).
pub async fn deadlines(
    State(state): State<AppState>,
    admin: ConsoleUser,
) -> Result<Json<DeadlineTable>, ApiError> {
    admin.require_admin()?;
    Ok(Json(state.config.deadlines.clone()))
}

/// The newest admin changes (at most 200).
pub async fn audit(
    State(state): State<AppState>,
    admin: ConsoleUser,
) -> Result<Json<Vec<AuditRow>>, ApiError> {
    admin.require_admin()?;
    let db = state.db.clone();
    Ok(Json(blocking(move || Ok(db.audit_rows(200)?)).await?))
}

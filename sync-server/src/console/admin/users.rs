//! `/v1/console/admin/users…`: list, add, change (display name, role and legal role, scope,
//! unit, disabled, password) and reset the password of users, as `gridmate-server user …` does.
//!
//! Invariants: admin only (`forbidden` otherwise); a user outside the admin's scope is
//! `not_found` (names cannot be probed); every check runs before anything is written; an admin
//! can neither disable nor change the role of themselves (they would lock themselves out); the
//! password never appears in an answer, a log line or the audit.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gridmate_domain::{LegalRole, Role};
use serde::{Deserialize, Deserializer, Serialize};

use super::input;
use super::store::{AdminStore, Audit, UserChange};
use super::{ApiQuery, Page, PageQuery};
use crate::auth::password;
use crate::console::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::json::ApiJson;
use crate::model::{NewUser, User, UserId, check_role};
use crate::scope::Scope;
use crate::state::AppState;
use crate::storage::{AccountStore, StorageError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddUser {
    #[serde(alias = "name")]
    pub user: String,
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: String,
    #[serde(default)]
    pub legal_role: Option<String>,
    pub scope: Vec<String>,
    #[serde(default)]
    pub unit: Option<String>,
    /// Create the account disabled.
    #[serde(default)]
    pub disabled: bool,
    pub password: String,
}

// Hand-written: the password must never reach a log line.
impl std::fmt::Debug for AddUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddUser").finish_non_exhaustive()
    }
}

/// A JSON merge patch of a user: absent fields stay, `null` clears the nullable ones.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchUser {
    #[serde(default, deserialize_with = "present")]
    pub display_name: Option<Option<String>>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub legal_role: Option<Option<String>>,
    #[serde(default)]
    pub scope: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    pub unit: Option<Option<String>>,
    #[serde(default)]
    pub disabled: Option<bool>,
    /// A new password (as `POST …/password`): signs the user out everywhere.
    #[serde(default)]
    pub password: Option<String>,
}

/// A user as the admin console lists it (times in UTC ms, like the rest of the console API).
#[derive(Debug, Serialize)]
pub struct AdminUser {
    pub id: UserId,
    pub user: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub legal_role: Option<LegalRole>,
    pub scope: Scope,
    pub unit: Option<String>,
    pub disabled: bool,
    pub created_at: i64,
}

impl From<User> for AdminUser {
    fn from(u: User) -> Self {
        let p = u.profile;
        Self {
            id: p.id,
            user: p.name,
            display_name: p.display_name,
            role: p.role,
            legal_role: p.legal_role,
            scope: p.scope,
            unit: p.unit,
            disabled: u.disabled,
            created_at: u.created_at.millis(),
        }
    }
}

/// A field that is present (maybe `null`) is `Some(..)`; an absent one stays `None` (default).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: String,
}

// Hand-written: a patch may carry a password.
impl std::fmt::Debug for PatchUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatchUser").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewPassword").finish_non_exhaustive()
    }
}

pub async fn list(
    State(state): State<AppState>,
    admin: ConsoleUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Page<AdminUser>>, ApiError> {
    admin.require_admin()?;
    let db = state.db.clone();
    let users = blocking(move || Ok(db.list_users()?)).await?;
    let mine = users
        .into_iter()
        .filter(|u| input::manages(&admin.scope, &u.profile.scope))
        .map(AdminUser::from)
        .collect();
    Ok(Json(Page::of(mine, &q)?))
}

pub async fn add(
    State(state): State<AppState>,
    admin: ConsoleUser,
    ApiJson(req): ApiJson<AddUser>,
) -> Result<(StatusCode, Json<AdminUser>), ApiError> {
    admin.require_admin()?;
    let name = input::user_name(&req.user)?;
    let role = input::role(&req.role)?;
    let legal = input::legal_role(req.legal_role.as_deref())?;
    let scope = input::scope(&req.scope, &admin.scope)?;
    let display = req
        .display_name
        .as_deref()
        .map(input::display_name)
        .transpose()?;
    let unit = req
        .unit
        .as_deref()
        .map(|u| input::unit_id(u, "unit"))
        .transpose()?;
    input::password(&req.password)?;
    let new = NewUser::new(&name, display.flatten().as_deref(), role, legal, scope)
        .map_err(|e| input::account_error(&e))?
        .with_unit(unit);
    let db = state.db.clone();
    let unit = new.unit.clone();
    let taken_name = new.name.clone();
    blocking(move || {
        if db.user_by_name(&taken_name)?.is_some() {
            return Err(user_exists());
        }
        check_unit(&db, unit.as_deref())
    })
    .await?;
    let pw = req.password;
    let hash = state
        .hash_pool
        .run(move || password::hash_password(&pw))
        .await?
        .map_err(ApiError::internal)?;
    let (db, now) = (state.db.clone(), state.clock.now());
    let user = blocking(move || {
        let target = format!("user:{}", new.name);
        let a = Audit {
            actor: admin.user_id,
            action: "user.add",
            target: &target,
            at: now,
        };
        match db.admin_create_user(&new, &hash, req.disabled, &a) {
            Err(StorageError::UserExists) => return Err(user_exists()),
            other => other?,
        }
        db.user_by_name(&new.name)?.ok_or(ApiError::NotFound)
    })
    .await?;
    tracing::info!(
        target_user = user.profile.id.0,
        "console admin added a user"
    );
    Ok((StatusCode::CREATED, Json(user.into())))
}

pub async fn patch(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(name): Path<String>,
    ApiJson(mut req): ApiJson<PatchUser>,
) -> Result<Json<AdminUser>, ApiError> {
    admin.require_admin()?;
    let current = managed_user(&state, &admin, &name).await?;
    let password = req.password.take();
    let mut change = change_of(&admin, &current, req)?;
    if let Some(pw) = password {
        input::password(&pw)?;
        let hash = state
            .hash_pool
            .run(move || password::hash_password(&pw))
            .await?
            .map_err(ApiError::internal)?;
        change.password_hash = Some(hash);
    }
    let (db, now) = (state.db.clone(), state.clock.now());
    let name = current.profile.name;
    let user = blocking(move || {
        check_unit(&db, change.unit.clone().flatten().as_deref())?;
        let target = format!("user:{name}");
        let a = Audit {
            actor: admin.user_id,
            action: "user.update",
            target: &target,
            at: now,
        };
        db.admin_update_user(&name, &change, &a)?;
        db.user_by_name(&name)?.ok_or(ApiError::NotFound)
    })
    .await?;
    Ok(Json(user.into()))
}

/// The checked change a patch asks for, against the user as stored.
fn change_of(admin: &ConsoleUser, current: &User, req: PatchUser) -> Result<UserChange, ApiError> {
    let p = &current.profile;
    let role = req.role.as_deref().map(input::role).transpose()?;
    let legal = req
        .legal_role
        .as_ref()
        .map(|l| input::legal_role(l.as_deref()))
        .transpose()?;
    let pair = match (role, legal) {
        (None, None) => None,
        (r, l) => Some((r.unwrap_or(p.role), l.unwrap_or(p.legal_role))),
    };
    if let Some((r, l)) = pair {
        check_role(r, l).map_err(|e| input::account_error(&e))?;
    }
    let role_changes = pair.is_some_and(|pr| pr != (p.role, p.legal_role));
    if p.id == admin.user_id && (role_changes || req.disabled == Some(true)) {
        return Err(ApiError::invalid(
            "self_change_refused",
            if role_changes { "role" } else { "disabled" },
            "不能停用自己的账号或更改自己的角色",
            "You cannot disable your own account or change your own role",
        ));
    }
    let display_name = req
        .display_name
        .map(|d| d.as_deref().map(input::display_name).transpose())
        .transpose()?
        .map(Option::flatten);
    let unit = req
        .unit
        .map(|u| u.as_deref().map(|u| input::unit_id(u, "unit")).transpose())
        .transpose()?;
    Ok(UserChange {
        display_name,
        role: pair.filter(|_| role_changes),
        scope: req
            .scope
            .as_deref()
            .map(|s| input::scope(s, &admin.scope))
            .transpose()?,
        unit,
        disabled: req.disabled,
        password_hash: None,
    })
}

pub async fn set_password(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(name): Path<String>,
    ApiJson(req): ApiJson<NewPassword>,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    input::password(&req.password)?;
    let user = managed_user(&state, &admin, &name).await?;
    let pw = req.password;
    let hash = state
        .hash_pool
        .run(move || password::hash_password(&pw))
        .await?
        .map_err(ApiError::internal)?;
    let (db, now) = (state.db.clone(), state.clock.now());
    blocking(move || {
        let target = format!("user:{}", user.profile.name);
        let a = Audit {
            actor: admin.user_id,
            action: "user.password",
            target: &target,
            at: now,
        };
        Ok(db.admin_set_password(&user.profile.name, &hash, &a)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user of that name when the admin manages them; `not_found` otherwise (also for a name
/// that is not a valid user name).
pub async fn managed_user(
    state: &AppState,
    admin: &ConsoleUser,
    raw: &str,
) -> Result<User, ApiError> {
    let name = crate::model::normalize_user_name(raw).ok_or(ApiError::NotFound)?;
    let db = state.db.clone();
    let user = blocking(move || Ok(db.user_by_name(&name)?)).await?;
    user.filter(|u| input::manages(&admin.scope, &u.profile.scope))
        .ok_or(ApiError::NotFound)
}

fn check_unit(db: &crate::storage::SqliteStorage, unit: Option<&str>) -> Result<(), ApiError> {
    match unit {
        Some(u) if !db.unit_exists(u)? => Err(input::reference_error(
            &crate::reference::ReferenceInputError::UnknownUnit(u.to_owned()),
            "unit",
        )),
        _ => Ok(()),
    }
}

fn user_exists() -> ApiError {
    ApiError::invalid(
        "user_exists",
        "user",
        "该用户名已存在",
        "A user with this name already exists",
    )
}

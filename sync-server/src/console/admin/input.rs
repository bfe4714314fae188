//! The admin console's input checks: the same rules as the admin CLI (`crate::model`,
//! `crate::reference`, `crate::scope`), answered as typed field errors (`invalid(code, field)`).
//!
//! Invariants: every check runs before anything is written; messages never echo the submitted
//! value (it may be a password or personal data); an admin only manages what their own scope
//! covers (`outside_scope` otherwise).

use gridmate_domain::{GridId, LegalRole, Role};

use crate::error::ApiError;
use crate::model::{AccountInputError, AreaLevel, check_password, normalize_user_name};
use crate::reference::{self, ReferenceInputError};
use crate::scope::Scope;

/// A field error of an account input.
pub fn account_error(e: &AccountInputError) -> ApiError {
    let (code, field, zh, en) = match e {
        AccountInputError::InvalidUserName => (
            "invalid_user_name",
            "user",
            "用户名须为 1-64 个小写字母、数字或 . _ -",
            "Use 1-64 characters of a-z, 0-9, '.', '_' and '-'",
        ),
        AccountInputError::LegalRoleRequired => (
            "legal_role_required",
            "legal_role",
            "三官一律志愿者须指定法律角色",
            "A legal volunteer needs a legal role",
        ),
        AccountInputError::LegalRoleNotAllowed => (
            "legal_role_not_allowed",
            "legal_role",
            "只有三官一律志愿者有法律角色",
            "Only a legal volunteer has a legal role",
        ),
        AccountInputError::DisplayNameTooLong => (
            "too_long",
            "display_name",
            "显示名称最多 64 个字符",
            "The display name is at most 64 characters",
        ),
        AccountInputError::DisplayNameInvalidCharacters => (
            "invalid_characters",
            "display_name",
            "显示名称含有控制字符或不可见的格式字符",
            "The display name holds a control or invisible formatting character",
        ),
        AccountInputError::EmptyScope => (
            "empty_scope",
            "scope",
            "管辖范围不能为空",
            "The scope needs at least one area",
        ),
        AccountInputError::BadPasswordLength => (
            "bad_password_length",
            "password",
            "密码须为 8 到 1024 个字节",
            "The password must be 8 to 1024 bytes long",
        ),
    };
    ApiError::invalid(code, field, zh, en)
}

/// A field error of an area or unit input.
pub fn reference_error(e: &ReferenceInputError, field: &str) -> ApiError {
    let en = match e {
        ReferenceInputError::InvalidId { .. } => "Use 1-64 characters of a-z, 0-9 and '-'",
        ReferenceInputError::InvalidName { .. } => {
            "Use 1-64 characters without control or invisible formatting characters"
        }
        ReferenceInputError::UnknownUnit(_) => "This unit does not exist",
    };
    let zh = match e {
        // The id is the admin's own typing, but the message stays fixed like every other.
        ReferenceInputError::UnknownUnit(_) => "该单位不存在".to_owned(),
        other => other.message_zh(),
    };
    ApiError::invalid(e.code(), field, zh, en)
}

pub fn user_name(raw: &str) -> Result<String, ApiError> {
    normalize_user_name(raw).ok_or_else(|| account_error(&AccountInputError::InvalidUserName))
}

pub fn role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| {
        ApiError::invalid(
            "invalid_role",
            "role",
            "角色须为 grid_worker、legal_volunteer、dispatcher 或 admin",
            "The role must be grid_worker, legal_volunteer, dispatcher or admin",
        )
    })
}

pub fn legal_role(raw: Option<&str>) -> Result<Option<LegalRole>, ApiError> {
    raw.map(|r| {
        LegalRole::parse(r).ok_or_else(|| {
            ApiError::invalid(
                "invalid_legal_role",
                "legal_role",
                "法律角色须为 judge、prosecutor、police_officer 或 lawyer",
                "The legal role must be judge, prosecutor, police_officer or lawyer",
            )
        })
    })
    .transpose()
}

pub fn level(raw: &str) -> Result<AreaLevel, ApiError> {
    AreaLevel::parse(raw).ok_or_else(level_error)
}

/// The error of a missing or unknown area level.
pub fn level_error() -> ApiError {
    ApiError::invalid(
        "invalid_level",
        "level",
        "层级须为 city、county、township、community 或 grid",
        "The level must be city, county, township, community or grid",
    )
}

/// A scope from a list of area ids, all of which the admin's own scope must cover.
pub fn scope(raw: &[String], admin: &Scope) -> Result<Scope, ApiError> {
    let mut ids = Vec::with_capacity(raw.len());
    for (i, part) in raw.iter().enumerate() {
        let id = GridId::parse(part.trim()).ok_or_else(|| {
            ApiError::invalid(
                "invalid_area",
                format!("scope[{i}]"),
                "区域编号只能由 1-64 个小写字母、数字和“-”组成",
                "An area id is 1-64 characters of a-z, 0-9 and '-'",
            )
        })?;
        if !admin.covers(&id) {
            return Err(outside_scope(format!("scope[{i}]")));
        }
        ids.push(id);
    }
    let scope = Scope::new(ids);
    if scope.is_empty() {
        return Err(account_error(&AccountInputError::EmptyScope));
    }
    Ok(scope)
}

pub fn outside_scope(field: impl Into<String>) -> ApiError {
    ApiError::invalid(
        "outside_scope",
        field,
        "超出您的管辖范围",
        "Outside the areas you administer",
    )
}

pub fn password(raw: &str) -> Result<(), ApiError> {
    check_password(raw).map_err(|e| account_error(&e))
}

/// A display name: trimmed; empty means none.
pub fn display_name(raw: &str) -> Result<Option<String>, ApiError> {
    let d = raw.trim();
    if d.chars().count() > 64 {
        return Err(account_error(&AccountInputError::DisplayNameTooLong));
    }
    if !gridmate_domain::rules::is_clean_name(d) {
        return Err(account_error(
            &AccountInputError::DisplayNameInvalidCharacters,
        ));
    }
    Ok(Some(d.to_owned()).filter(|d| !d.is_empty()))
}

pub fn area_id(raw: &str) -> Result<GridId, ApiError> {
    reference::parse_id(raw, "id").map_err(|e| reference_error(&e, "id"))
}

pub fn name(raw: &str) -> Result<String, ApiError> {
    reference::parse_name(raw, "name").map_err(|e| reference_error(&e, "name"))
}

pub fn unit_id(raw: &str, field: &str) -> Result<String, ApiError> {
    reference::unit_id(raw).map_err(|e| reference_error(&e, field))
}

/// Whether an admin whose scope is `admin` manages a user whose scope is `user`: every entry of
/// the user's scope lies in the admin's.
pub fn manages(admin: &Scope, user: &Scope) -> bool {
    user.areas().all(|a| admin.covers(a))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn scopes_must_lie_in_the_admins() {
        let admin = Scope::parse_list("jingkou-zhengdonglu").unwrap();
        let ok = scope(&["jingkou-zhengdonglu-03".into()], &admin).unwrap();
        assert!(manages(&admin, &ok));
        let e = scope(&["jingkou".into()], &admin).unwrap_err();
        assert_eq!((e.code(), field(&e)), ("outside_scope", "scope[0]"));
        let e = scope(&["jingkou-zhengdonglu-01".into(), "Bad Id".into()], &admin).unwrap_err();
        assert_eq!((e.code(), field(&e)), ("invalid_area", "scope[1]"));
        assert_eq!(scope(&[], &admin).unwrap_err().code(), "empty_scope");
        assert!(!manages(&admin, &Scope::parse_list("jingkou").unwrap()));
    }

    #[test]
    fn display_names_refuse_invisible_characters() {
        assert_eq!(display_name(" 王伟 ").unwrap().as_deref(), Some("王伟"));
        assert_eq!(display_name("").unwrap(), None);
        assert_eq!(
            display_name("王\u{202e}伟").unwrap_err().code(),
            "invalid_characters"
        );
        assert_eq!(
            display_name(&"名".repeat(65)).unwrap_err().code(),
            "too_long"
        );
    }

    fn field(e: &ApiError) -> &str {
        match e {
            ApiError::InvalidField { field, .. } => field,
            _ => "",
        }
    }
}

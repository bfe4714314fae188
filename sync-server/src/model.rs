//! Account data shared by storage, HTTP routes and the admin CLI: roles, users, devices, areas.
//!
//! Invariants: a `legal_volunteer` always has a `legal_role` and no other role has one; user names
//! are normalized (lowercase ASCII `a-z 0-9 . _ -`, 1-64 chars) so that `Wang.Wei` and `wang.wei`
//! are one account; a user's scope is never empty. Password hashes never leave `storage`/`auth`
//! except inside [`UserAuthRecord`], which is deliberately not `Serialize`.

use std::fmt;

use gridmate_domain::{GridId, LegalRole, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::scope::Scope;

/// A user's numeric id. Stable for the life of the account and safe to log (it is not personal
/// data by itself, unlike the user name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

pub use gridmate_domain::Role;

/// Why account input was rejected (CLI input and stored rows alike).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountInputError {
    #[error("invalid user name: use 1-64 characters of a-z, 0-9, '.', '_' and '-'")]
    InvalidUserName,
    #[error("a legal_volunteer needs --legal-role (judge, prosecutor, police_officer or lawyer)")]
    LegalRoleRequired,
    #[error("only a legal_volunteer has a legal role")]
    LegalRoleNotAllowed,
    #[error("display name too long (at most 64 characters)")]
    DisplayNameTooLong,
    /// A control or invisible format character (a direction override makes the name read
    /// backwards in every list that shows it): `gridmate_domain::rules::is_clean_name`.
    #[error("display name holds a control or invisible formatting character")]
    DisplayNameInvalidCharacters,
    #[error("scope is empty: give at least one area id")]
    EmptyScope,
    #[error("password must be 8 to 1024 bytes long")]
    BadPasswordLength,
}

/// Normalizes a user name: trimmed and ASCII-lowercased; `None` if it is not a valid name.
pub fn normalize_user_name(raw: &str) -> Option<String> {
    let s = raw.trim().to_ascii_lowercase();
    gridmate_domain::rules::is_user_name(&s).then_some(s)
}

/// Checks the role / legal role pairing.
pub fn check_role(role: Role, legal_role: Option<LegalRole>) -> Result<(), AccountInputError> {
    match (role, legal_role) {
        (Role::LegalVolunteer, None) => Err(AccountInputError::LegalRoleRequired),
        (Role::LegalVolunteer, Some(_)) => Ok(()),
        (_, Some(_)) => Err(AccountInputError::LegalRoleNotAllowed),
        (_, None) => Ok(()),
    }
}

/// Passwords are bounded so a client cannot make us hash megabytes, and floored so that an admin
/// cannot set a trivially guessable one by accident.
pub fn check_password(pw: &str) -> Result<(), AccountInputError> {
    if (8..=1024).contains(&pw.len()) {
        Ok(())
    } else {
        Err(AccountInputError::BadPasswordLength)
    }
}

/// Input for creating a user (already validated by [`NewUser::new`]).
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub legal_role: Option<LegalRole>,
    pub scope: Scope,
    /// The unit the user acts for (an id of the `units` table), if any.
    pub unit: Option<String>,
}

impl NewUser {
    pub fn new(
        name: &str,
        display_name: Option<&str>,
        role: Role,
        legal_role: Option<LegalRole>,
        scope: Scope,
    ) -> Result<Self, AccountInputError> {
        let name = normalize_user_name(name).ok_or(AccountInputError::InvalidUserName)?;
        check_role(role, legal_role)?;
        let display_name = display_name
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        if display_name
            .as_ref()
            .is_some_and(|d| d.chars().count() > 64)
        {
            return Err(AccountInputError::DisplayNameTooLong);
        }
        if display_name
            .as_deref()
            .is_some_and(|d| !gridmate_domain::rules::is_clean_name(d))
        {
            return Err(AccountInputError::DisplayNameInvalidCharacters);
        }
        if scope.is_empty() {
            return Err(AccountInputError::EmptyScope);
        }
        Ok(Self {
            name,
            display_name,
            role,
            legal_role,
            scope,
            unit: None,
        })
    }

    /// The same user acting for `unit` (checked by [`crate::reference::unit_id`]).
    pub fn with_unit(mut self, unit: Option<String>) -> Self {
        self.unit = unit;
        self
    }
}

/// A user as the API shows it to that user (and as the admin CLI lists it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicProfile {
    pub id: UserId,
    pub name: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub legal_role: Option<LegalRole>,
    pub scope: Scope,
    /// The unit the user acts for (司法所, 派出所, ...), if any.
    pub unit: Option<String>,
}

/// A stored user, for admin listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    #[serde(flatten)]
    pub profile: PublicProfile,
    pub disabled: bool,
    pub created_at: Timestamp,
}

/// What login needs to know about a user. Not `Serialize`: the hash must never be sent anywhere.
#[derive(Debug, Clone)]
pub struct UserAuthRecord {
    pub profile: PublicProfile,
    pub password_hash: String,
    pub disabled: bool,
}

/// The state behind one bearer token, as the auth extractor sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub profile: PublicProfile,
    pub user_disabled: bool,
    pub device_id: Uuid,
    pub device_revoked: bool,
    pub expires_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
}

/// A device as the admin CLI lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    pub device_id: Uuid,
    pub user_id: UserId,
    pub user_name: String,
    pub device_name: String,
    pub created_at: Timestamp,
    pub last_login_at: Timestamp,
    pub last_seen_at: Option<Timestamp>,
    pub token_expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// The level of an administrative area (the glossary's 指挥中心 levels plus the grid itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaLevel {
    City,
    County,
    Township,
    Community,
    Grid,
}

impl AreaLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::County => "county",
            Self::Township => "township",
            Self::Community => "community",
            Self::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::City,
            Self::County,
            Self::Township,
            Self::Community,
            Self::Grid,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }
}

/// An entry of the area catalogue (e.g. township `jingkou-zhengdonglu`, 正东路街道).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Area {
    pub id: GridId,
    pub level: AreaLevel,
    pub name: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn user_names_normalize() {
        assert_eq!(
            normalize_user_name(" Wang.Wei ").as_deref(),
            Some("wang.wei")
        );
        assert_eq!(normalize_user_name(""), None);
        assert_eq!(normalize_user_name("王伟"), None);
        assert_eq!(normalize_user_name("a b"), None);
        assert_eq!(normalize_user_name(&"a".repeat(65)), None);
    }

    #[test]
    fn legal_role_pairs_with_legal_volunteer_only() {
        let scope = Scope::parse_list("jingkou").unwrap();
        assert!(NewUser::new("li.na", None, Role::LegalVolunteer, None, scope.clone()).is_err());
        assert!(
            NewUser::new(
                "li.na",
                None,
                Role::LegalVolunteer,
                Some(LegalRole::Lawyer),
                scope.clone()
            )
            .is_ok()
        );
        assert_eq!(
            NewUser::new(
                "wang.wei",
                None,
                Role::GridWorker,
                Some(LegalRole::Judge),
                scope.clone()
            )
            .unwrap_err(),
            AccountInputError::LegalRoleNotAllowed
        );
        assert_eq!(
            NewUser::new("wang.wei", None, Role::GridWorker, None, Scope::default()).unwrap_err(),
            AccountInputError::EmptyScope
        );
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(*r));
            assert_eq!(
                serde_json::to_string(r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
    }
}

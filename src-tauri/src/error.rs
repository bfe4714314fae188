//! The one error shape the UI sees: `{code, field?, message: {"zh-CN", en}, errors?}`. Validation
//! failures carry every field error (`errors`), so forms show them inline from the shared rules.
//! The words come from the domain and gridmate-core (one owner each); messages never contain
//! personal data: records are named by id only.

use gridmate_core::StoreError;
use gridmate_core::sync::{SyncError, TransportError};
use gridmate_domain::{FieldError, Localized};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS), ts(optional_fields))]
pub struct AppError {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: Localized,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(as = "Option<Vec<FieldError>>", optional))]
    pub errors: Vec<FieldError>,
}

impl AppError {
    pub fn new(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::localized(
            code,
            Localized {
                zh_cn: zh.into(),
                en: en.into(),
            },
        )
    }

    fn localized(code: &str, message: Localized) -> Self {
        Self {
            code: code.into(),
            field: None,
            message,
            errors: Vec::new(),
        }
    }

    pub fn not_signed_in() -> Self {
        Self::new("not_signed_in", "请先登录", "sign in first")
    }

    pub fn bad_input(field: &str, zh: &str, en: &str) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new("invalid_value", zh, en)
        }
    }

    /// A task of the blocking pool that did not return (it panicked or the app is closing).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new("internal_error", "应用内部错误，请重试", e.to_string())
    }
}

impl From<FieldError> for AppError {
    fn from(f: FieldError) -> Self {
        Self {
            field: Some(f.field.clone()),
            ..Self::localized(f.code.as_str(), f.message)
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let base = Self::localized(e.code(), e.message());
        match e {
            StoreError::Invalid(v) | StoreError::Refused(v) => Self {
                field: v.0.first().map(|f| f.field.clone()),
                errors: v.0,
                ..base
            },
            _ => base,
        }
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Store(s) => s.into(),
            SyncError::NotConfigured => Self::not_signed_in(),
            SyncError::Invalid(f) => f.into(),
            other => Self::localized(&other.code(), other.message()),
        }
    }
}

impl From<TransportError> for AppError {
    fn from(e: TransportError) -> Self {
        Self::localized(&e.code(), e.message())
    }
}

#[cfg(test)]
mod tests {
    use gridmate_domain::{ErrorCode, ValidationErrors};

    use super::*;

    #[test]
    fn a_refused_action_carries_its_code_words_and_every_field_error() {
        let denied = FieldError::new(
            ErrorCode::ForbiddenAction,
            "action",
            "只有当前承办人可以执行“办结”",
            "only the current assignee may take `resolve`",
        );
        let e = AppError::from(StoreError::Refused(ValidationErrors(vec![denied.clone()])));
        assert_eq!(e.code, "forbidden_action");
        assert_eq!(e.field.as_deref(), Some("action"));
        assert_eq!(e.message, denied.message);
        assert_eq!(e.errors, vec![denied]);

        let missing = FieldError::new(
            ErrorCode::Required,
            "details.satisfaction",
            "必填项不能为空",
            "this field is required",
        );
        let e = AppError::from(StoreError::Refused(ValidationErrors(vec![missing.clone()])));
        assert_eq!(e.code, "validation_failed");
        assert_eq!(e.field.as_deref(), Some("details.satisfaction"));
        assert_eq!(e.errors, vec![missing]);
    }
}

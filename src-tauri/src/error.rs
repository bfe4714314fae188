//! The one error shape the UI sees: `{code, field?, message: {"zh-CN", en}, errors?}`. Validation
//! failures carry every field error (`errors`), so forms show them inline from the shared rules.
//! Messages never contain personal data: records are named by id only.

use gridmate_core::StoreError;
use gridmate_core::sync::{SyncError, TransportError};
use gridmate_domain::{FieldError, Localized};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct AppError {
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: Localized,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl AppError {
    pub fn new(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            field: None,
            message: Localized {
                zh_cn: zh.into(),
                en: en.into(),
            },
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
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(v) => Self {
                field: v.0.first().map(|f| f.field.clone()),
                errors: v.0,
                ..Self::new(
                    "validation_failed",
                    "记录有误，请修改标出的项目",
                    "the record has errors: fix the marked fields",
                )
            },
            StoreError::NotFound(_) => Self::new("not_found", "记录不存在", "no such record"),
            StoreError::Deleted(_) => {
                Self::new("record_deleted", "记录已删除", "the record is deleted")
            }
            StoreError::Corrupt { .. } => Self::new(
                "corrupt_document",
                "该记录已损坏并被隔离，其他记录不受影响",
                "this record is damaged and quarantined; others are unaffected",
            ),
            StoreError::Unsynced { pending, rejected } => Self::new(
                "unsynced_records",
                format!("还有 {pending} 条记录未同步、{rejected} 条被退回"),
                format!("{pending} records are not synced and {rejected} were rejected"),
            ),
            StoreError::AccountMismatch { .. } => Self::new(
                "account_mismatch",
                "本机数据属于其他用户",
                "this device's data belongs to another user",
            ),
            other => Self::new(
                other.code(),
                "本机存储出错",
                format!("storage error: {other}"),
            ),
        }
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Transport(t) => t.into(),
            SyncError::Store(s) => s.into(),
            SyncError::NotConfigured => Self::not_signed_in(),
            SyncError::Stuck(m) => Self::new("sync_stuck", "同步未能完成", m),
        }
    }
}

impl From<TransportError> for AppError {
    fn from(e: TransportError) -> Self {
        let code = e.code();
        match &e {
            TransportError::Network(_) => Self::new(
                &code,
                "无法连接服务器（离线）",
                "cannot reach the server (offline)",
            ),
            TransportError::Insecure(_) => Self::new(
                &code,
                "不安全的地址：请使用 https",
                "insecure address: use https",
            ),
            TransportError::BadUrl(_) => {
                Self::new(&code, "服务器地址无效", "invalid server address")
            }
            TransportError::Server { message, .. } => {
                let zh = match code.as_str() {
                    "invalid_credentials" => "用户名或密码错误",
                    "too_many_attempts" => "尝试次数过多，请稍后再试",
                    "user_disabled" => "账号已停用",
                    "device_revoked" => "此设备已被停用",
                    "unauthorized" => "登录已失效，请重新登录",
                    _ => "服务器返回错误",
                };
                Self::new(&code, zh, message.clone())
            }
            TransportError::Decode(m) => Self::new(&code, "服务器响应无法解析", m.clone()),
        }
    }
}

//! The one error type of the HTTP API. Every failure a client can see is an [`ApiError`], rendered
//! as `{"code": "...", "message": {"zh-CN": "...", "en": "..."}}` with a matching HTTP status.
//!
//! Invariants: `code` strings are stable API (clients match on them; only ever add new ones);
//! messages are fixed texts that never contain passwords, tokens, personal data or internal
//! details. Internal causes are logged server-side (without personal data) and answered as a bare
//! `internal`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridmate_domain::Localized;
use serde::Serialize;

use crate::storage::StorageError;

/// A failure answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, malformed, unknown or expired bearer token.
    #[error("unauthorized")]
    Unauthorized,
    /// Wrong user name or password (deliberately indistinguishable).
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("user disabled")]
    UserDisabled,
    #[error("device revoked")]
    DeviceRevoked,
    /// The device id is registered to another user; a device belongs to its first user.
    #[error("device registered to another user")]
    DeviceBoundToOtherUser,
    /// Too many failed logins; the client may retry after `retry_after_secs`.
    #[error("too many attempts (retry after {retry_after_secs} s)")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Too many requests in flight on the server; retry after a second.
    #[error("overloaded")]
    Overloaded,
    /// The user pushed more than their write budget allows in the window (`sync::limits`).
    #[error("write budget exceeded (retry after {retry_after_secs} s)")]
    WriteBudgetExceeded { retry_after_secs: u64 },
    /// The request is malformed; the message says what (never echoing submitted values).
    #[error("bad request: {}", .0.en)]
    BadRequest(Localized),
    /// A sync body that is not `GMS1` + zstd + postcard of a valid request (or names a bad area).
    #[error("malformed sync body")]
    MalformedBody,
    /// A sync request in a protocol version this server does not speak.
    #[error("unsupported sync protocol version {0}")]
    UnsupportedProtocol(u16),
    #[error("payload too large")]
    PayloadTooLarge,
    /// The request (its body, or the whole exchange) took longer than the server allows.
    #[error("request timeout")]
    RequestTimeout,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Anything the client cannot fix. The source is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
    // --- console (sync-server/src/console) ---
    /// One input field is wrong: `code` is a stable snake_case reason (`required`, `too_long`,
    /// a domain validation code, ...), `field` the path of the field in the request.
    #[error("invalid field {field}: {code}")]
    InvalidField {
        code: &'static str,
        field: String,
        message: Localized,
    },
    /// Signed in, but this role may not do this.
    #[error("forbidden")]
    Forbidden,
    /// An unsafe console request without the session's `X-CSRF-Token`.
    #[error("csrf check failed")]
    CsrfFailed,
    /// A grid worker or legal volunteer tried to sign in to the console.
    #[error("console refused for this role")]
    ConsoleRoleRefused,
    // --- console actions (sync-server/src/console/actions) ---
    /// A workflow action the dispute does not allow now (its state, or who is asking): 409 with
    /// the workflow's own code (`invalid_status`, `forbidden_action`) and the field (`action`).
    #[error("action refused {field}: {code}")]
    ActionRefused {
        code: &'static str,
        field: String,
        message: Localized,
    },
}

/// The JSON body of every error response.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub code: &'static str,
    pub message: Localized,
    /// The request field the error is about, when it is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

fn msg(zh: &str, en: &str) -> Localized {
    Localized {
        zh_cn: zh.to_owned(),
        en: en.to_owned(),
    }
}

impl ApiError {
    /// A `bad_request` with a bilingual explanation.
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::BadRequest(Localized {
            zh_cn: zh.into(),
            en: en.into(),
        })
    }

    /// An `invalid_field`-style error about one request field.
    pub fn invalid(
        code: &'static str,
        field: impl Into<String>,
        zh: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::InvalidField {
            code,
            field: field.into(),
            message: Localized {
                zh_cn: zh.into(),
                en: en.into(),
            },
        }
    }

    /// An `internal` error; `cause` goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::UserDisabled | Self::DeviceRevoked => StatusCode::FORBIDDEN,
            Self::DeviceBoundToOtherUser => StatusCode::CONFLICT,
            Self::TooManyAttempts { .. } | Self::Overloaded | Self::WriteBudgetExceeded { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            Self::BadRequest(_) | Self::MalformedBody | Self::UnsupportedProtocol(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::InvalidField { .. } => StatusCode::BAD_REQUEST,
            Self::Forbidden | Self::CsrfFailed | Self::ConsoleRoleRefused => StatusCode::FORBIDDEN,
            Self::ActionRefused { .. } => StatusCode::CONFLICT,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::UserDisabled => "user_disabled",
            Self::DeviceRevoked => "device_revoked",
            Self::DeviceBoundToOtherUser => "device_bound_to_other_user",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::Overloaded => "overloaded",
            Self::WriteBudgetExceeded { .. } => "write_budget_exceeded",
            Self::BadRequest(_) => "bad_request",
            Self::MalformedBody => "malformed_body",
            Self::UnsupportedProtocol(_) => "unsupported_protocol",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RequestTimeout => "request_timeout",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Internal(_) => "internal",
            Self::InvalidField { code, .. } => code,
            Self::Forbidden => "forbidden",
            Self::CsrfFailed => "csrf_failed",
            Self::ConsoleRoleRefused => "console_role_refused",
            Self::ActionRefused { code, .. } => code,
        }
    }

    /// Seconds for the `Retry-After` header, when the client should retry later.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyAttempts { retry_after_secs }
            | Self::WriteBudgetExceeded { retry_after_secs } => Some((*retry_after_secs).max(1)),
            Self::Overloaded => Some(1),
            _ => None,
        }
    }

    pub fn message(&self) -> Localized {
        match self {
            Self::Unauthorized => msg(
                "未登录或登录已过期，请重新登录",
                "Not signed in or the session has expired; please sign in again",
            ),
            Self::InvalidCredentials => msg("用户名或密码错误", "Wrong user name or password"),
            Self::UserDisabled => msg(
                "该账号已停用，请联系指挥中心",
                "This account is disabled; contact the command centre",
            ),
            Self::DeviceRevoked => msg(
                "该设备已被注销，请联系指挥中心",
                "This device has been revoked; contact the command centre",
            ),
            Self::DeviceBoundToOtherUser => msg(
                "此设备已登记在另一位用户名下，不能用其他账号登录。换人使用这部手机时，请在应用中以自己的账号登录（应用会为每个账号单独建立本机数据和设备编号），或请指挥中心注销此设备",
                "This device is registered to another user and cannot sign in as someone else. To hand the phone over, sign in with your own account in the app (each account gets its own local data and device id), or ask the command centre to revoke this device",
            ),
            Self::TooManyAttempts { .. } => msg(
                "登录失败次数过多，请稍后再试",
                "Too many failed sign-in attempts; try again later",
            ),
            Self::Overloaded => msg(
                "服务器繁忙，请稍后再试",
                "The server is busy; try again shortly",
            ),
            Self::WriteBudgetExceeded { .. } => msg(
                "本时段上传的记录已达上限，记录已保存在本机，稍后将自动上传",
                "You have uploaded as much as is allowed for now; your records stay on this \
                 device and will be uploaded automatically later",
            ),
            Self::BadRequest(m) => m.clone(),
            Self::MalformedBody => msg("同步请求格式错误", "The sync request is malformed"),
            Self::UnsupportedProtocol(v) => Localized {
                zh_cn: format!("不支持的同步协议版本 {v}，请更新应用"),
                en: format!("Sync protocol version {v} is not supported; update the app"),
            },
            Self::PayloadTooLarge => msg("请求内容过大", "The request body is too large"),
            Self::RequestTimeout => msg("请求超时，请重试", "The request took too long; try again"),
            Self::NotFound => msg("未找到", "Not found"),
            Self::MethodNotAllowed => msg("不支持该请求方法", "Method not allowed"),
            Self::Internal(_) => msg("服务器内部错误", "Internal server error"),
            Self::InvalidField { message, .. } | Self::ActionRefused { message, .. } => {
                message.clone()
            }
            Self::Forbidden => msg("无权进行此操作", "You may not do this"),
            Self::CsrfFailed => msg(
                "请求缺少有效的安全令牌，请刷新页面后重试",
                "The request lacks a valid security token; reload the page and try again",
            ),
            Self::ConsoleRoleRefused => msg(
                "控制台仅供指挥中心调度员和管理员使用，网格员和三官一律志愿者请使用手机应用",
                "The console is for command-centre dispatchers and administrators; grid workers \
                 and legal volunteers use the mobile app",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            // Storage and IO errors describe SQL and paths, never bound values, so the cause is
            // safe to log; the client only ever sees the fixed `internal` text.
            tracing::error!(cause = %cause, "internal error");
        }
        let status = self.status();
        let retry_after = self.retry_after_secs();
        let body = ErrorBody {
            code: self.code(),
            message: self.message(),
            field: match &self {
                Self::InvalidField { field, .. } | Self::ActionRefused { field, .. } => {
                    Some(field.clone())
                }
                _ => None,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(_) => Self::NotFound,
            StorageError::DeviceRevoked => Self::DeviceRevoked,
            StorageError::DeviceOfOtherUser => Self::DeviceBoundToOtherUser,
            other => Self::internal(other),
        }
    }
}

/// For handlers that take a raw `Bytes` body: an over-limit body is `payload_too_large`.
impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(e: axum::extract::rejection::BytesRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::PayloadTooLarge
        } else {
            Self::bad_request("无法读取请求内容", "Could not read the request body")
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(format!("blocking task failed: {e}"))
    }
}

/// Runs blocking work (SQLite, argon2) on tokio's blocking pool so it never stalls the reactor.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_and_statuses_are_stable() {
        let cases = [
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::InvalidCredentials, 401, "invalid_credentials"),
            (ApiError::UserDisabled, 403, "user_disabled"),
            (ApiError::DeviceRevoked, 403, "device_revoked"),
            (
                ApiError::DeviceBoundToOtherUser,
                409,
                "device_bound_to_other_user",
            ),
            (
                ApiError::TooManyAttempts {
                    retry_after_secs: 4,
                },
                429,
                "too_many_attempts",
            ),
            (ApiError::Overloaded, 429, "overloaded"),
            (
                ApiError::WriteBudgetExceeded {
                    retry_after_secs: 60,
                },
                429,
                "write_budget_exceeded",
            ),
            (ApiError::bad_request("坏", "bad"), 400, "bad_request"),
            (ApiError::MalformedBody, 400, "malformed_body"),
            (
                ApiError::UnsupportedProtocol(9),
                400,
                "unsupported_protocol",
            ),
            (ApiError::PayloadTooLarge, 413, "payload_too_large"),
            (ApiError::RequestTimeout, 408, "request_timeout"),
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::internal("db on fire"), 500, "internal"),
        ];
        for (e, status, code) in cases {
            assert_eq!(e.status().as_u16(), status);
            assert_eq!(e.code(), code);
        }
    }

    #[tokio::test]
    async fn internal_never_leaks_its_cause() {
        let resp = ApiError::internal("secret path /var/lib/x").into_response();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(!text.contains("secret"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["code"], "internal");
        assert!(v["message"]["zh-CN"].is_string());
        assert!(v["message"]["en"].is_string());
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let resp = ApiError::TooManyAttempts {
            retry_after_secs: 0,
        }
        .into_response();
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    }
}

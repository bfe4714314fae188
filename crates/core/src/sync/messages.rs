//! What a failed sign-in or sync says to a person, in both languages the app ships. One owner:
//! the app's error shape, the sync status, the sync log and the CLI all take their words from
//! here, so a zh-CN user never reads an English-only message. A server's own message keeps both
//! halves the server sent.

use gridmate_domain::Localized;

use super::driver::SyncError;
use super::transport::TransportError;

fn localized(zh: impl Into<String>, en: impl Into<String>) -> Localized {
    Localized {
        zh_cn: zh.into(),
        en: en.into(),
    }
}

impl TransportError {
    /// The message for people; the details of a network failure stay in the English half.
    pub fn message(&self) -> Localized {
        match self {
            Self::Network(detail) => localized(
                "无法连接服务器（离线）",
                format!("cannot reach the server (offline): {detail}"),
            ),
            Self::Insecure(host) => localized(
                format!("不安全的地址：{host} 请使用 https"),
                format!("insecure address {host}: use https"),
            ),
            Self::BadUrl(url) => localized(
                format!("服务器地址无效：{url}"),
                format!("invalid server address: {url}"),
            ),
            Self::Server { message, .. } => message.clone(),
            Self::Decode(detail) => localized(
                "服务器响应无法解析",
                format!("the server's answer could not be read: {detail}"),
            ),
            Self::Redirect { host, .. } => localized(
                format!(
                    "服务器要求跳转到 {host}，为保护密码已拒绝；请向管理员确认正确的服务器地址"
                ),
                format!(
                    "the server redirected to {host}; redirects are refused to protect the \
                     password: ask the administrator for the right server address"
                ),
            ),
            Self::Untrusted(detail) => localized(
                "服务器证书不受信任：如服务器使用单位自建的 CA，请在登录时提供 CA 证书",
                format!(
                    "the server's certificate is not trusted; if your organisation runs its own \
                     CA, give its certificate at sign-in ({detail})"
                ),
            ),
            Self::BadCaCert(detail) => localized(
                "CA 证书无效：请粘贴 PEM 格式的证书（-----BEGIN CERTIFICATE-----）",
                format!("invalid CA certificate (PEM, -----BEGIN CERTIFICATE-----): {detail}"),
            ),
        }
    }
}

impl SyncError {
    pub fn message(&self) -> Localized {
        match self {
            Self::Transport(t) => t.message(),
            Self::Store(s) => s.message(),
            Self::NotConfigured => localized("请先登录服务器", "sign in to a server first"),
            Self::Stuck(detail) => localized(
                "同步未能完成，将稍后重试",
                format!("sync stopped: {detail}"),
            ),
            Self::Invalid(f) => f.message.clone(),
        }
    }
}

/// The zh-CN words for the error codes a server answers a sign-in or a sync with, for servers
/// whose error body carries no zh-CN message.
pub fn server_message_zh(code: &str) -> &'static str {
    match code {
        "invalid_credentials" => "用户名或密码错误",
        "too_many_attempts" => "尝试次数过多，请稍后再试",
        "user_disabled" => "账号已停用",
        "device_revoked" => "此设备已被停用",
        "unauthorized" => "登录已失效，请重新登录",
        "overloaded" => "服务器繁忙，请稍后再试",
        "write_budget_exceeded" => "本时段上传的记录已达上限，记录已保存在本机，稍后将自动上传",
        _ => "服务器返回错误",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transport_error_speaks_both_languages() {
        let errors = [
            TransportError::BadUrl("x".into()),
            TransportError::Insecure("10.0.0.1".into()),
            TransportError::Network("connection refused".into()),
            TransportError::Decode("eof".into()),
            TransportError::Server {
                status: 401,
                code: "invalid_credentials".into(),
                message: localized("用户名或密码错误", "invalid user name or password"),
                retry_after_s: None,
            },
        ];
        for e in errors {
            let m = e.message();
            assert!(!m.zh_cn.is_empty() && !m.en.is_empty(), "{e:?}");
            assert!(
                m.zh_cn
                    .chars()
                    .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{e:?}: {}",
                m.zh_cn
            );
        }
    }
}

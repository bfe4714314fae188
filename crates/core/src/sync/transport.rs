//! HTTP transport (reqwest): login, logout, token rotation, the sync exchange and the reference data. Refuses plain HTTP to anything but
//! loopback unless the user explicitly allowed it; classifies failures into what the driver does
//! next (retry later, ask the user to sign in again, give up with a reason).
//!
//! Invariants: a redirect is never followed (it could lead to plain HTTP or another host and
//! carry the password or the token there): a 3xx answer is the error `redirect_refused`. Trust
//! is the bundled Mozilla roots plus, when the operator gave one at sign-in, their own CA
//! certificate (government networks use private CAs), never "accept any certificate".

use std::sync::Arc;
use std::time::Duration;

use gridmate_domain::reference::ReferenceData;
use gridmate_domain::wire::{self, CONTENT_TYPE, SyncRequest, SyncResponse};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};

/// The server's code for a push beyond the user's write budget (HTTP 429 with `Retry-After`):
/// nothing of the exchange was applied; pulls still work.
pub const WRITE_BUDGET_EXCEEDED: &str = "write_budget_exceeded";

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("`{0}` is not a valid server address")]
    BadUrl(String),
    #[error("refusing plain HTTP to {0}: use https, or allow insecure connections explicitly")]
    Insecure(String),
    /// No connection, a timeout, a dropped connection: try again later.
    #[error("network: {0}")]
    Network(String),
    /// The server answered with an error code.
    #[error("server answered {status} {code}: {}", message.en)]
    Server {
        status: u16,
        code: String,
        message: gridmate_domain::Localized,
        retry_after_s: Option<u64>,
    },
    #[error("the server's answer could not be read: {0}")]
    Decode(String),
    /// The server answered with a redirect; it is never followed. `host` is the Location's host.
    #[error("the server redirected ({status}) to {host}; redirects are not followed")]
    Redirect { status: u16, host: String },
    /// The server's certificate is not trusted (unknown CA, wrong name, expired): not offline.
    #[error("the server's certificate is not trusted: {0}")]
    Untrusted(String),
    /// The CA certificate the account trusts is not a PEM certificate (`ca_cert`).
    #[error("invalid CA certificate: {0}")]
    BadCaCert(String),
}

impl TransportError {
    /// Stable code for reports and the status line.
    pub fn code(&self) -> String {
        match self {
            Self::BadUrl(_) => "bad_url".into(),
            Self::Insecure(_) => "insecure_url".into(),
            Self::Network(_) => "offline".into(),
            Self::Server { code, .. } => code.clone(),
            Self::Decode(_) => "bad_response".into(),
            Self::Redirect { .. } => "redirect_refused".into(),
            Self::BadCaCert(_) => "invalid_ca_cert".into(),
            Self::Untrusted(_) => "tls_untrusted".into(),
        }
    }

    /// The wait the server asked for (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Server {
                retry_after_s: Some(s),
                ..
            } => Some(Duration::from_secs(*s)),
            _ => None,
        }
    }

    /// Whether waiting and trying again can help (network, a request the server timed out on a
    /// slow link, overload, the write budget, server trouble).
    pub fn is_retryable(&self) -> bool {
        match self {
            // A captive portal answers with its own certificate until the worker signs in to it.
            Self::Network(_) | Self::Untrusted(_) => true,
            Self::Server { status, .. } => matches!(*status, 408 | 429) || *status >= 500,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginUser {
    pub name: String,
    pub role: String,
    #[serde(default)]
    pub legal_role: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub scope: Vec<String>,
    /// The unit the user acts for (司法所, 派出所, ...), if any.
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub user: LoginUser,
    pub device_id: String,
}

/// A rotated token (`POST /v1/token`).
#[derive(Clone, Deserialize)]
pub struct RotatedToken {
    pub token: String,
}

impl std::fmt::Debug for RotatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RotatedToken(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct SyncClient {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

/// Checks the address: https anywhere; http only to loopback unless `allow_insecure`.
pub fn check_server_url(url: &str, allow_insecure: bool) -> Result<String, TransportError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| TransportError::BadUrl(url.to_owned()))?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = host == "localhost"
                || host
                    .trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if !loopback && !allow_insecure {
                return Err(TransportError::Insecure(host));
            }
        }
        _ => return Err(TransportError::BadUrl(url.to_owned())),
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The largest CA certificate file accepted: a chain of a few certificates is a few KiB.
pub const MAX_CA_CERT_BYTES: usize = 64 * 1024;

/// The certificates of a PEM text (one or more `CERTIFICATE` blocks, nothing secret in it).
pub fn parse_ca_cert(pem: &str) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    if pem.len() > MAX_CA_CERT_BYTES {
        return Err(TransportError::BadCaCert(format!(
            "larger than {MAX_CA_CERT_BYTES} bytes"
        )));
    }
    // A private key pasted with the certificate must not be kept on every phone.
    if pem.contains("PRIVATE KEY-----") {
        return Err(TransportError::BadCaCert(
            "it contains a private key".into(),
        ));
    }
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TransportError::BadCaCert(e.to_string()))?;
    if certs.is_empty() {
        return Err(TransportError::BadCaCert(
            "no PEM CERTIFICATE block found".into(),
        ));
    }
    // Each must parse as a trust anchor now, not at the first sync.
    let mut probe = rustls::RootCertStore::empty();
    for c in &certs {
        probe
            .add(c.clone())
            .map_err(|e| TransportError::BadCaCert(e.to_string()))?;
    }
    Ok(certs)
}

/// A reqwest client builder with GridMate's TLS: rustls with the `ring` provider (the only one
/// built, so no aws-lc, cmake or nasm) trusting the Mozilla roots bundled by `webpki-roots`, so
/// every platform, phones included, trusts the same authorities without the OS's help. Nothing
/// process-wide is installed. Redirects are never followed.
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, TransportError> {
    http_client_builder_trusting(&[])
}

/// [`http_client_builder`] that also trusts `extra_roots` (an operator's own CA).
pub fn http_client_builder_trusting(
    extra_roots: &[CertificateDer<'static>],
) -> Result<reqwest::ClientBuilder, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for c in extra_roots {
        roots
            .add(c.clone())
            .map_err(|e| TransportError::BadCaCert(e.to_string()))?;
    }
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Network(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none()))
}

impl SyncClient {
    pub fn new(
        url: &str,
        allow_insecure: bool,
        token: Option<String>,
    ) -> Result<Self, TransportError> {
        Self::with_ca(url, allow_insecure, None, token)
    }

    /// A client that also trusts the CA certificate `ca_pem` (PEM text), if given.
    pub fn with_ca(
        url: &str,
        allow_insecure: bool,
        ca_pem: Option<&str>,
        token: Option<String>,
    ) -> Result<Self, TransportError> {
        let base = check_server_url(url, allow_insecure)?;
        let extra = ca_pem.map(parse_ca_cert).transpose()?.unwrap_or_default();
        let http = http_client_builder_trusting(&extra)?
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("gridmate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Network(e.to_string()))?;
        Ok(Self { base, http, token })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The bearer token this client sends.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub async fn login(
        &self,
        user: &str,
        password: &str,
        device_id: &str,
        device_name: &str,
    ) -> Result<LoginResponse, TransportError> {
        let body = serde_json::json!({"user": user, "password": password, "device_id": device_id, "device_name": device_name});
        let resp = self
            .http
            .post(format!("{}/v1/login", self.base))
            .json(&body)
            .send()
            .await
            .map_err(send_error)?;
        let resp = check(resp).await?;
        resp.json()
            .await
            .map_err(|e| TransportError::Decode(e.to_string()))
    }

    /// `POST /v1/logout`: the token dies at the server.
    pub async fn logout(&self) -> Result<(), TransportError> {
        self.post_authorized("logout").await.map(drop)
    }

    /// `POST /v1/token`: a new token for this device. The old one keeps working until the new one
    /// is first used, so a lost answer costs nothing (docs/sync-protocol.md, "Tokens").
    pub async fn rotate_token(&self) -> Result<RotatedToken, TransportError> {
        self.post_authorized("token")
            .await?
            .json()
            .await
            .map_err(|e| TransportError::Decode(e.to_string()))
    }

    async fn post_authorized(&self, route: &str) -> Result<reqwest::Response, TransportError> {
        let mut rb = self.http.post(format!("{}/v1/{route}", self.base));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        let resp = rb
            .send()
            .await
            .map_err(|e| TransportError::Network(e.without_url().to_string()))?;
        check(resp).await
    }

    /// The signed-in user's reference data (`GET /v1/reference`): area and unit names,
    /// colleagues, the deadline table.
    pub async fn reference(&self) -> Result<ReferenceData, TransportError> {
        let mut rb = self.http.get(format!("{}/v1/reference", self.base));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        let resp = rb.send().await.map_err(send_error)?;
        let resp = check(resp).await?;
        resp.json()
            .await
            .map_err(|e| TransportError::Decode(e.to_string()))
    }

    /// One exchange. The request is encoded (and compressed) here, off the caller's thread.
    pub async fn sync(&self, req: &SyncRequest) -> Result<(SyncResponse, Traffic), TransportError> {
        let req = req.clone();
        let body = tokio::task::spawn_blocking(move || wire::encode_request(&req))
            .await
            .map_err(|e| TransportError::Decode(e.to_string()))?;
        let sent = body.len();
        let mut rb = self
            .http
            .post(format!("{}/v1/sync", self.base))
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE);
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        let resp = rb.body(body).send().await.map_err(send_error)?;
        let resp = check(resp).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| TransportError::Network(e.without_url().to_string()))?;
        let received = bytes.len();
        let decoded = tokio::task::spawn_blocking(move || wire::decode_response(&bytes))
            .await
            .map_err(|e| TransportError::Decode(e.to_string()))?
            .map_err(|e| TransportError::Decode(e.to_string()))?;
        Ok((decoded, Traffic { sent, received }))
    }
}

/// Body bytes of one exchange (headers excluded; the load generator measures the wire itself).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Traffic {
    pub sent: usize,
    pub received: usize,
}

async fn check(resp: reqwest::Response) -> Result<reqwest::Response, TransportError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    if status.is_redirection() {
        return Err(redirect_error(&resp));
    }
    let retry_after_s = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    let code = body["code"].as_str().unwrap_or("http_error").to_owned();
    let en = body["message"]["en"]
        .as_str()
        .unwrap_or(status.canonical_reason().unwrap_or(""))
        .to_owned();
    let zh_cn = body["message"]["zh-CN"]
        .as_str()
        .map_or_else(|| super::server_message_zh(&code).to_owned(), str::to_owned);
    Err(TransportError::Server {
        status: status.as_u16(),
        code,
        message: gridmate_domain::Localized { zh_cn, en },
        retry_after_s,
    })
}

/// A request that got no answer: a TLS certificate the client refused, or the network.
fn send_error(e: reqwest::Error) -> TransportError {
    match rustls_error(&e) {
        Some(rustls::Error::InvalidCertificate(c)) => TransportError::Untrusted(format!("{c:?}")),
        _ => TransportError::Network(e.without_url().to_string()),
    }
}

/// The rustls error somewhere in `err`'s chain. io::Error hides the error it wraps from
/// `source()`, so it is opened with `get_ref`.
fn rustls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(r) = err.downcast_ref::<rustls::Error>() {
        return Some(r);
    }
    let next = match err.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|i| i as &(dyn std::error::Error + 'static)),
        None => err.source(),
    };
    next.and_then(rustls_error)
}

/// The error for a 3xx answer, naming where it pointed (its host only: a Location may carry a
/// query string with anything in it).
fn redirect_error(resp: &reqwest::Response) -> TransportError {
    let host = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|loc| resp.url().join(loc).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    TransportError::Redirect {
        status: resp.status().as_u16(),
        host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_server_url("https://sync.example.cn", false).is_ok());
        assert!(check_server_url("http://127.0.0.1:8080/", false).is_ok());
        assert!(check_server_url("http://localhost:1", false).is_ok());
        assert!(check_server_url("http://[::1]:1", false).is_ok());
        assert!(matches!(
            check_server_url("http://10.0.0.5:8080", false),
            Err(TransportError::Insecure(_))
        ));
        assert!(check_server_url("http://10.0.0.5:8080", true).is_ok());
        assert!(matches!(
            check_server_url("ftp://x", true),
            Err(TransportError::BadUrl(_))
        ));
        assert!(matches!(
            check_server_url("not a url", true),
            Err(TransportError::BadUrl(_))
        ));
    }

    #[test]
    fn a_ca_certificate_must_be_pem_certificates_and_nothing_secret() {
        assert!(matches!(
            parse_ca_cert(""),
            Err(TransportError::BadCaCert(_))
        ));
        assert!(matches!(
            parse_ca_cert("hello"),
            Err(TransportError::BadCaCert(_))
        ));
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            parse_ca_cert(garbage),
            Err(TransportError::BadCaCert(_))
        ));
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            parse_ca_cert(key),
            Err(TransportError::BadCaCert(_))
        ));
        let huge = "x".repeat(MAX_CA_CERT_BYTES + 1);
        assert!(matches!(
            parse_ca_cert(&huge),
            Err(TransportError::BadCaCert(_))
        ));
        assert_eq!(
            TransportError::BadCaCert(String::new()).code(),
            "invalid_ca_cert"
        );
    }
}

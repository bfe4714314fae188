//! Running the HTTP(S) server: bind, optional TLS (rustls with the `ring` provider), serve with
//! client addresses, and shut down gracefully.
//!
//! Invariants: binding happens before serving so the caller can announce the real address (port 0
//! picks a free port); on the shutdown signal the server stops accepting at once, lets in-flight
//! requests finish, and closes whatever remains after the grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read TLS {what} from {path}: {detail}")]
    TlsFile {
        what: &'static str,
        path: PathBuf,
        detail: String,
    },
    #[error("invalid TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// PEM files of the server certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A bound, not yet serving, listener.
#[derive(Debug)]
pub struct BoundServer {
    listener: std::net::TcpListener,
    local_addr: SocketAddr,
    tls: Option<RustlsConfig>,
    grace: Duration,
}

impl BoundServer {
    /// Binds `addr` and loads the TLS files, if any, so that configuration errors surface before
    /// anything is announced.
    pub fn bind(
        addr: SocketAddr,
        tls: Option<&TlsFiles>,
        grace: Duration,
    ) -> Result<Self, ServeError> {
        let tls = tls.map(|f| load_tls(&f.cert, &f.key)).transpose()?;
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|source| ServeError::Bind { addr, source })?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            tls,
            grace,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://ADDR` or `https://ADDR`.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// Serves `app` until `shutdown` completes, then drains for at most the grace period.
    pub async fn run(
        self,
        app: Router,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let handle: Handle<SocketAddr> = Handle::new();
        let signal_handle = handle.clone();
        let grace = self.grace;
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!(
                grace_secs = grace.as_secs(),
                "shutdown requested; draining in-flight requests"
            );
            signal_handle.graceful_shutdown(Some(grace));
        });
        let make_service = app.into_make_service_with_connect_info::<SocketAddr>();
        match self.tls {
            Some(config) => {
                axum_server::from_tcp_rustls(self.listener, config)?
                    .handle(handle)
                    .serve(make_service)
                    .await?;
            }
            None => {
                axum_server::from_tcp(self.listener)?
                    .handle(handle)
                    .serve(make_service)
                    .await?;
            }
        }
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Builds a rustls server config with the `ring` provider explicitly, so no process-wide default
/// provider has to be installed (and aws-lc is never needed).
pub fn load_tls(cert: &Path, key: &Path) -> Result<RustlsConfig, ServeError> {
    let file_err = |what: &'static str, path: &Path, detail: String| ServeError::TlsFile {
        what,
        path: path.to_owned(),
        detail,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| file_err("certificate", cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err("certificate", cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(file_err(
            "certificate",
            cert,
            "no CERTIFICATE block found".into(),
        ));
    }
    // Only the error kind is reported: never echo key material.
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| file_err("private key", key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

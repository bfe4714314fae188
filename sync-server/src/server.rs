//! Running the HTTP(S) server: bind, optional TLS (rustls with the `ring` provider), serve with
//! client addresses, and shut down gracefully.
//!
//! Invariants: binding happens before serving so the caller can announce the real address (port 0
//! picks a free port); on the shutdown signal the server stops accepting at once, lets in-flight
//! requests finish, and closes whatever remains after the grace period.
//!
//! Connection limits ([`ConnectionLimits`]): a new connection must complete its TLS handshake and
//! then its first request head within `header_timeout` each, or it is dropped; after each answer an
//! HTTP/1.1 connection must deliver the next request head within `keep_alive` (hyper's header
//! timer, which starts as soon as the connection is idle); HTTP/2 connections are pinged every
//! `keep_alive` and dropped when a ping goes unanswered; one address holds at most
//! `max_connections_per_address` connections ([`PerAddressCap`]). When accepting fails (out of
//! file descriptors), axum-server waits 50 ms before the next try instead of spinning, already
//! accepted connections carry on, and the failure is logged at most once per [`LOG_EVERY`].

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use axum_server::{Handle, Server};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::limits::ConnectionLimits;
use crate::peer_cap::{CapReached, PerAddressCap};

/// Shortest interval between two log lines about the same kind of refused or failed connection:
/// under attack or fd exhaustion they come by the thousand.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

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
    limits: ConnectionLimits,
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
            limits: ConnectionLimits::default(),
        })
    }

    /// Serves with `limits` instead of the defaults.
    #[must_use]
    pub fn with_connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.limits = limits;
        self
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
        let limits = self.limits;
        let cap = PerAddressCap::new(limits.max_connections_per_address);
        let server = axum_server::from_tcp(self.listener)?;
        match self.tls {
            Some(config) => {
                let tls = RustlsAcceptor::new(config)
                    .handshake_timeout(limits.header_timeout)
                    .acceptor(cap);
                with_limits(server.acceptor(tls), &limits)
                    .handle(handle)
                    .serve(make_service)
                    .await?;
            }
            None => {
                with_limits(server.acceptor(cap), &limits)
                    .handle(handle)
                    .serve(make_service)
                    .await?;
            }
        }
        tracing::info!("server stopped");
        Ok(())
    }
}

/// Applies the connection-level timeouts of `limits` and logs accept failures.
fn with_limits<A>(
    mut server: Server<SocketAddr, A>,
    limits: &ConnectionLimits,
) -> Server<SocketAddr, A> {
    let builder = server.http_builder();
    builder.http1().header_read_timeout(limits.keep_alive);
    builder
        .http2()
        .keep_alive_interval(limits.keep_alive)
        .keep_alive_timeout(limits.header_timeout);
    let listener_failed = Throttled::default();
    let capped = Throttled::default();
    server
        .first_request_timeout(limits.header_timeout)
        .accept_error_handler(move |peer, err| match peer {
            // The listener itself failed (EMFILE, ENFILE, ENOBUFS): axum-server retries in 50 ms.
            None => {
                if let Some(suppressed) = listener_failed.due() {
                    tracing::warn!(error = %err, suppressed, "cannot accept connections; retrying");
                }
            }
            // The address is personal data: never logged.
            Some(_) if err.get_ref().is_some_and(|e| e.is::<CapReached>()) => {
                if let Some(suppressed) = capped.due() {
                    tracing::warn!(
                        suppressed,
                        "connection refused: per-address connection cap reached"
                    );
                }
            }
            Some(_) => tracing::debug!(error = %err, "connection setup failed"),
        })
}

/// Lets one log line through per [`LOG_EVERY`], counting the ones held back.
#[derive(Debug, Default)]
struct Throttled {
    last: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl Throttled {
    /// `Some(lines held back since the last one)` when a line may be logged now.
    fn due(&self) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if last.is_some_and(|t| t.elapsed() < LOG_EVERY) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *last = Some(Instant::now());
        Some(self.suppressed.swap(0, Ordering::Relaxed))
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

//! The per-address connection cap: an axum-server acceptor that admits a TCP connection only while
//! its client address holds fewer than the cap, and closes it at once otherwise.
//!
//! Invariants: every admitted connection holds one [`Slot`] for exactly as long as its stream
//! lives (the slot is released when the stream is dropped, however the connection ends), so the
//! count never leaks; the count is keyed by IPv4 address or IPv6 /64 (one phone or one home gets a
//! whole /64, so counting single IPv6 addresses would cap nothing); the map holds no entry for an
//! address without connections. The check runs before the TLS handshake, so a refused connection
//! costs no cryptography.

use std::collections::HashMap;
use std::future::Ready;
use std::io;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Why a connection was closed unanswered: its address holds the cap already.
#[derive(Debug, thiserror::Error)]
#[error("per-address connection cap reached")]
pub struct CapReached;

/// Counts open connections per client address; `cap == 0` admits everything.
#[derive(Debug, Clone)]
pub struct PerAddressCap {
    cap: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerAddressCap {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            open: Arc::default(),
        }
    }

    /// A slot for one more connection from `ip`, or `None` when its address is at the cap.
    pub fn admit(&self, ip: IpAddr) -> Option<Slot> {
        let key = address_key(ip);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let n = open.entry(key).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            key,
            open: self.open.clone(),
        })
    }

    /// Connections open from `ip`'s address (for tests and diagnostics).
    pub fn open_from(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&address_key(ip)).copied().unwrap_or(0)
    }
}

/// The address a connection counts against: IPv4 (also when mapped into IPv6) or the IPv6 /64.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

/// One admitted connection; gives its place back when dropped.
#[derive(Debug)]
pub struct Slot {
    key: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// A TCP stream holding its connection's slot (none when the cap is off).
#[derive(Debug)]
pub struct CappedStream {
    inner: TcpStream,
    _slot: Option<Slot>,
}

impl<S> Accept<TcpStream, S> for PerAddressCap {
    type Stream = CappedStream;
    type Service = S;
    type Future = Ready<io::Result<(CappedStream, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        std::future::ready(self.check(stream).map(|s| (s, service)))
    }
}

impl PerAddressCap {
    fn check(&self, stream: TcpStream) -> io::Result<CappedStream> {
        if self.cap == 0 {
            return Ok(CappedStream {
                inner: stream,
                _slot: None,
            });
        }
        let ip = stream.peer_addr()?.ip();
        // Dropping `stream` on refusal closes the connection.
        let slot = self.admit(ip).ok_or_else(|| io::Error::other(CapReached))?;
        Ok(CappedStream {
            inner: stream,
            _slot: Some(slot),
        })
    }
}

impl AsyncRead for CappedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CappedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_counts_per_address_and_frees_on_drop() {
        let cap = PerAddressCap::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let s1 = cap.admit(a).unwrap();
        let _s2 = cap.admit(a).unwrap();
        assert!(cap.admit(a).is_none(), "the third from one address");
        assert!(cap.admit(b).is_some(), "another address is admitted");
        drop(s1);
        assert_eq!(cap.open_from(a), 1);
        assert!(cap.admit(a).is_some(), "a freed slot is reused");
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let cap = PerAddressCap::new(1);
        let _x = cap.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(cap.admit("2001:db8:1:2:ffff::9".parse().unwrap()).is_none());
        assert!(cap.admit("2001:db8:1:3::1".parse().unwrap()).is_some());
        let _y = cap.admit("10.1.1.1".parse().unwrap()).unwrap();
        assert!(cap.admit("::ffff:10.1.1.1".parse().unwrap()).is_none());
    }
}

//! A scriptable HTTP/1.1 proxy between devices and a `gridmate-server`, so that a test decides,
//! request by request, what the network does to a sync: pass it, drop the request (the client's
//! connection closes and the server never sees it), drop the response (the server processed it,
//! the client never hears back), duplicate it (the server gets it twice, the client one answer),
//! delay it, or SIGKILL and restart the server while it is processing (through a hook the test
//! installs, since only the test owns the server process).
//!
//! Every request is recorded (path, headers, body) so that a test can replay an old request later:
//! the duplicate that arrives after the device has moved on. The proxy injects exactly the faults
//! its script returns and nothing else, so a scenario is as deterministic as its script.
//! Set `GRIDMATE_PROXY_TRACE=1` to print each request and its fate.
//! A dropped connection is a closed socket, not an HTTP error: the client sees what it would see
//! when a phone loses its signal mid-request.
//!
//! `GET /v1/reference` (the reference data a device fetches beside its first exchange, whose
//! failure never fails a sync) passes untouched, unrecorded and outside the script's numbering:
//! it runs concurrently with the first exchange, so counting it would make `index` depend on
//! which request arrives first.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// What the proxy does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Forward it and return the server's answer.
    Pass,
    /// Close the client's connection without forwarding: the server never sees the request.
    DropRequest,
    /// Forward it, wait for the server's answer, then close the client's connection instead.
    DropResponse,
    /// Forward it twice, one after the other, and return the second answer.
    Duplicate,
    /// Sleep, then forward.
    Delay(Duration),
    /// Forward it, wait `after`, run the kill hook (SIGKILL + restart of the server) while the
    /// server is processing, then close the client's connection whatever the server answered.
    KillServer { after: Duration },
}

/// What the script sees of a request.
#[derive(Debug, Clone)]
pub struct Seen {
    /// 0-based, in arrival order across all connections.
    pub index: usize,
    pub method: String,
    pub path: String,
    /// For `/v1/sync`: how many records the request pushes.
    pub push_records: usize,
    /// For `/v1/sync`: whether the request pulls.
    pub pulls: bool,
}

/// One request as it went through the proxy.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub seen: Seen,
    pub action: Action,
    /// The status returned to the client; `None` when its connection was closed instead.
    pub status: Option<u16>,
    /// For `KillServer`: whether the server had already answered when the kill came.
    pub answered_before_kill: Option<bool>,
}

/// A request as received, for replay.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
}

type Script = Box<dyn FnMut(&Seen) -> Action + Send>;
type Hook = Arc<dyn Fn() + Send + Sync>;

struct Inner {
    upstream: String,
    script: Mutex<Script>,
    hook: Mutex<Option<Hook>>,
    log: Mutex<Vec<Exchange>>,
    recorded: Mutex<Vec<Recorded>>,
    http: reqwest::Client,
}

/// A running proxy on 127.0.0.1 (an OS-chosen port). Dropping it stops accepting connections.
pub struct Proxy {
    /// Point devices here (`Device::set_server_url`).
    pub url: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("url", &self.url)
            .field("upstream", &self.inner.upstream)
            .finish_non_exhaustive()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The client connection is to be closed without an answer.
#[derive(Debug)]
struct Closed;

impl fmt::Display for Closed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection closed by the fault proxy")
    }
}

impl std::error::Error for Closed {}

/// The server's answer to a forwarded request.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Bytes,
}

const HOP_BY_HOP: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "content-length",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
];

fn end_to_end(headers: &hyper::HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .filter(|(k, _)| !HOP_BY_HOP.contains(&k.as_str()))
        .map(|(k, v)| (k.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect()
}

impl Proxy {
    /// Starts a proxy forwarding to `upstream` (the server's URL), passing everything until a
    /// script is set.
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let http = crate::http()
            // A fresh connection per forward: a restarted server must not meet a dead pooled one.
            .pool_max_idle_per_host(0)
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let inner = Arc::new(Inner {
            upstream: upstream.trim_end_matches('/').to_owned(),
            script: Mutex::new(Box::new(|_: &Seen| Action::Pass)),
            hook: Mutex::new(None),
            log: Mutex::new(Vec::new()),
            recorded: Mutex::new(Vec::new()),
            http,
        });
        let accept = inner.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let inner = accept.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(inner.clone(), req));
                    // An error here is a connection the script closed: that is the point.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Self {
            url: format!("http://{addr}"),
            inner,
            task,
        }
    }

    /// Decides every following request's fate.
    pub fn set_script(&self, script: impl FnMut(&Seen) -> Action + Send + 'static) {
        *self.inner.script.lock().unwrap() = Box::new(script);
    }

    /// What `Action::KillServer` runs (on the blocking pool): typically SIGKILL + restart.
    pub fn set_kill_hook(&self, hook: impl Fn() + Send + Sync + 'static) {
        *self.inner.hook.lock().unwrap() = Some(Arc::new(hook));
    }

    /// Every request so far, with what was done to it.
    pub fn log(&self) -> Vec<Exchange> {
        self.inner.log.lock().unwrap().clone()
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.inner.recorded.lock().unwrap().len()
    }

    /// The `index`-th request as received.
    pub fn recorded(&self, index: usize) -> Recorded {
        self.inner.recorded.lock().unwrap()[index].clone()
    }

    /// Sends the `index`-th request to the server again, now, bypassing the script: a duplicate
    /// that arrives late. Returns the server's answer (`None` if it could not be reached).
    pub async fn replay(&self, index: usize) -> Option<Upstream> {
        let rec = self.recorded(index);
        forward(&self.inner, &rec).await.ok()
    }
}

async fn handle(
    inner: Arc<Inner>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Closed> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|_| Closed)?.to_bytes();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let rec = Recorded {
        method: parts.method.as_str().to_owned(),
        path: path.clone(),
        headers: end_to_end(&parts.headers),
        body: body.clone(),
    };
    if parts.uri.path() == "/v1/reference" {
        return respond(forward(&inner, &rec).await?);
    }
    let (push_records, pulls) = if parts.uri.path() == "/v1/sync" {
        let b = body.clone();
        tokio::task::spawn_blocking(move || {
            gridmate_domain::wire::decode_request(&b)
                .map(|r| (r.push.len(), r.pull.is_some()))
                .unwrap_or((0, false))
        })
        .await
        .unwrap_or((0, false))
    } else {
        (0, false)
    };
    let seen = {
        let mut recorded = inner.recorded.lock().unwrap();
        recorded.push(rec.clone());
        Seen {
            index: recorded.len() - 1,
            method: rec.method.clone(),
            path,
            push_records,
            pulls,
        }
    };
    let action = (inner.script.lock().unwrap())(&seen);
    if std::env::var_os("GRIDMATE_PROXY_TRACE").is_some() {
        eprintln!("proxy: {seen:?} -> {action:?}");
    }
    let mut answered_before_kill = None;
    let result = match &action {
        Action::Pass => forward(&inner, &rec).await,
        Action::DropRequest => Err(Closed),
        Action::DropResponse => {
            let _ = forward(&inner, &rec).await;
            Err(Closed)
        }
        Action::Duplicate => {
            let _ = forward(&inner, &rec).await;
            forward(&inner, &rec).await
        }
        Action::Delay(d) => {
            tokio::time::sleep(*d).await;
            forward(&inner, &rec).await
        }
        Action::KillServer { after } => {
            let (i, r) = (inner.clone(), rec.clone());
            let fwd = tokio::spawn(async move { forward(&i, &r).await });
            tokio::time::sleep(*after).await;
            answered_before_kill = Some(fwd.is_finished());
            let hook = inner.hook.lock().unwrap().clone();
            if let Some(hook) = hook {
                tokio::task::spawn_blocking(move || hook()).await.unwrap();
            }
            let _ = fwd.await;
            Err(Closed)
        }
    };
    inner.log.lock().unwrap().push(Exchange {
        seen,
        action,
        status: result.as_ref().ok().map(|u| u.status),
        answered_before_kill,
    });
    respond(result?)
}

fn respond(up: Upstream) -> Result<Response<Full<Bytes>>, Closed> {
    let mut resp = Response::builder().status(up.status);
    for (k, v) in &up.headers {
        resp = resp.header(k.as_str(), v.as_slice());
    }
    resp.body(Full::new(up.body)).map_err(|_| Closed)
}

async fn forward(inner: &Inner, rec: &Recorded) -> Result<Upstream, Closed> {
    let method = reqwest::Method::from_bytes(rec.method.as_bytes()).map_err(|_| Closed)?;
    let mut rb = inner
        .http
        .request(method, format!("{}{}", inner.upstream, rec.path));
    for (k, v) in &rec.headers {
        rb = rb.header(k.as_str(), v.as_slice());
    }
    let resp = rb.body(rec.body.clone()).send().await.map_err(|_| Closed)?;
    let status = resp.status().as_u16();
    let headers = end_to_end(resp.headers());
    let body = resp.bytes().await.map_err(|_| Closed)?;
    Ok(Upstream {
        status,
        headers,
        body,
    })
}

/// Whether the server at `url` answers `GET /healthz` with 200.
pub async fn healthy(url: &str) -> bool {
    let http = crate::http()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    http.get(format!("{}/healthz", url.trim_end_matches('/')))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

//! The console's web UI: the files `npm --prefix console run build` writes to `console/dist`,
//! embedded in the binary (rust-embed; a debug build reads them from that folder at run time),
//! served under `/console/`; `/` and `/console` redirect there.
//!
//! Invariants: a build without `console/dist` compiles and answers every `/console/` page with
//! 503 and a short bilingual page naming the two commands that build it; an unknown path that is
//! not under `assets/` answers `index.html` (the UI's router owns it), a missing asset is 404;
//! hashed assets are cached for a year as immutable, everything else (index.html) is
//! `no-cache`; every answer carries the Content-Security-Policy (tiles only from the configured
//! tile host), `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.

use std::borrow::Cow;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::state::AppState;

/// The built console, from `console/dist` at the repository root.
#[derive(rust_embed::Embed)]
#[folder = "../console/dist/"]
#[allow_missing = true]
struct Dist;

/// A file of the built UI: its bytes and MIME type.
#[derive(Debug, Clone)]
pub struct Asset {
    pub bytes: Cow<'static, [u8]>,
    pub mime: String,
}

/// Where the UI's files come from (the embedded build; a map in tests).
pub trait AssetSource {
    fn file(&self, path: &str) -> Option<Asset>;
}

/// The files embedded in this binary.
#[derive(Debug, Clone, Copy, Default)]
pub struct Embedded;

impl AssetSource for Embedded {
    fn file(&self, path: &str) -> Option<Asset> {
        Dist::get(path).map(|f| Asset {
            mime: f.metadata.mimetype().to_owned(),
            bytes: f.data,
        })
    }
}

impl AssetSource for std::collections::BTreeMap<String, Asset> {
    fn file(&self, path: &str) -> Option<Asset> {
        self.get(path).cloned()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/console/") }))
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(index))
        .route("/console/{*path}", get(file))
}

async fn index(State(state): State<AppState>) -> Response {
    answer(&Embedded, "", &csp(&state))
}

async fn file(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    answer(&Embedded, &path, &csp(&state))
}

/// The Content-Security-Policy of the UI's answers.
pub fn csp(state: &AppState) -> String {
    let tiles = state
        .config
        .console_tiles
        .as_ref()
        .map(|t| format!(" {}", t.csp_source))
        .unwrap_or_default();
    format!(
        "default-src 'self'; img-src 'self' data: blob:{tiles}; style-src 'self' 'unsafe-inline'; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
}

const NOT_BUILT: &str = "<!doctype html>
<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>控制台尚未构建 · Console not built</title></head>
<body>
<h1>指挥中心控制台尚未构建</h1>
<p>此服务器在编译时没有找到 <code>console/dist</code>。请在仓库根目录运行：</p>
<pre>npm --prefix console ci &amp;&amp; npm --prefix console run build</pre>
<p>然后重新编译并启动 gridmate-server。</p>
<h1 lang=\"en\">The command-centre console has not been built</h1>
<p lang=\"en\">This server was compiled without <code>console/dist</code>. At the repository root, run:</p>
<pre>npm --prefix console ci &amp;&amp; npm --prefix console run build</pre>
<p lang=\"en\">then rebuild and restart gridmate-server.</p>
</body></html>
";

/// The answer to `GET /console/{path}` from `source` (see the module doc).
pub fn answer(source: &dyn AssetSource, path: &str, csp: &str) -> Response {
    let Some(index) = source.file("index.html") else {
        return respond(
            StatusCode::SERVICE_UNAVAILABLE,
            NOT_BUILT.as_bytes().into(),
            "text/html; charset=utf-8",
            false,
            csp,
        );
    };
    let suspicious = path
        .split('/')
        .any(|seg| seg == ".." || seg == "." || seg.contains(['\\', '\0']));
    if suspicious {
        return respond(
            StatusCode::NOT_FOUND,
            Cow::Borrowed(b"not found"),
            "text/plain; charset=utf-8",
            false,
            csp,
        );
    }
    let immutable = path.starts_with("assets/");
    match (path, source.file(path)) {
        ("" | "index.html", _) => html(index, csp),
        (_, Some(f)) => respond(StatusCode::OK, f.bytes, &f.mime, immutable, csp),
        (_, None) if immutable => respond(
            StatusCode::NOT_FOUND,
            Cow::Borrowed(b"not found"),
            "text/plain; charset=utf-8",
            false,
            csp,
        ),
        (_, None) => html(index, csp),
    }
}

fn html(index: Asset, csp: &str) -> Response {
    respond(
        StatusCode::OK,
        index.bytes,
        "text/html; charset=utf-8",
        false,
        csp,
    )
}

fn respond(
    status: StatusCode,
    bytes: Cow<'static, [u8]>,
    mime: &str,
    immutable: bool,
    csp: &str,
) -> Response {
    let mut r = (status, Body::from(bytes)).into_response();
    let h = r.headers_mut();
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let value = |s: &str| HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static(""));
    h.insert(header::CONTENT_TYPE, value(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_SECURITY_POLICY, value(csp));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::BTreeMap;

    use super::*;

    fn asset(text: &'static str, mime: &str) -> Asset {
        Asset {
            bytes: Cow::Borrowed(text.as_bytes()),
            mime: mime.into(),
        }
    }

    fn built() -> BTreeMap<String, Asset> {
        let mut m = BTreeMap::new();
        m.insert("index.html".into(), asset("<div id=app>", "text/html"));
        m.insert(
            "assets/index-abc123.js".into(),
            asset("x()", "text/javascript"),
        );
        m.insert("favicon.svg".into(), asset("<svg/>", "image/svg+xml"));
        m
    }

    fn h(r: &Response, name: header::HeaderName) -> &str {
        r.headers().get(name).map_or("", |v| v.to_str().unwrap())
    }

    #[test]
    fn without_a_build_every_page_is_503_naming_the_commands() {
        let empty = BTreeMap::<String, Asset>::new();
        for p in ["", "cases", "assets/x.js"] {
            let r = answer(&empty, p, "default-src 'self'");
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(h(&r, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        }
        assert!(
            NOT_BUILT.contains("npm --prefix console ci &amp;&amp; npm --prefix console run build")
        );
        assert!(NOT_BUILT.contains("控制台"));
    }

    #[test]
    fn spa_fallback_caching_and_headers() {
        let b = built();
        let r = answer(&b, "assets/index-abc123.js", "CSP");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            h(&r, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(h(&r, header::CONTENT_TYPE), "text/javascript");
        assert_eq!(h(&r, header::CONTENT_SECURITY_POLICY), "CSP");
        assert_eq!(h(&r, header::REFERRER_POLICY), "no-referrer");
        for p in [
            "",
            "index.html",
            "cases/0190b5d6-0000-7000-8000-000000000000",
            "map",
        ] {
            let r = answer(&b, p, "CSP");
            assert_eq!(r.status(), StatusCode::OK, "{p}");
            assert_eq!(h(&r, header::CACHE_CONTROL), "no-cache", "{p}");
            assert!(h(&r, header::CONTENT_TYPE).starts_with("text/html"), "{p}");
        }
        assert_eq!(answer(&b, "favicon.svg", "CSP").status(), StatusCode::OK);
        assert_eq!(
            answer(&b, "assets/gone-000.js", "CSP").status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            answer(&b, "../Cargo.toml", "CSP").status(),
            StatusCode::NOT_FOUND
        );
    }
}

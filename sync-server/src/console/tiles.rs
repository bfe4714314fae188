//! The map's base tiles: `serve --map-tiles URL-TEMPLATE [--map-tiles-attribution TEXT]` (an
//! intranet z/x/y tile server, or 天地图 with the operator's key), exposed to signed-in console
//! users by `GET /v1/console/config`, and allowed as an image source by the UI's
//! Content-Security-Policy.
//!
//! Invariants: a template is an http(s) URL holding `{z}`, `{x}` and `{y}` (or `{-y}`) whose
//! origin is a plain host (a `{s}` subdomain placeholder only in its first label, which the CSP
//! allows as `*.`), so the CSP source derived from it cannot smuggle in another directive; the
//! attribution is one line of plain text (no `<` or `>`: map libraries render it as HTML); only
//! signed-in console users see the template (it may carry the operator's key).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;

use super::auth::ConsoleUser;
use crate::state::AppState;

/// The configured base tiles.
#[derive(Clone, PartialEq, Eq)]
pub struct TileConfig {
    /// The URL template, e.g. `https://tiles.example.gov.cn/{z}/{x}/{y}.png`.
    pub url: String,
    pub attribution: Option<String>,
    /// The CSP source the template's tiles come from, e.g. `https://*.tianditu.gov.cn`.
    pub csp_source: String,
}

// Hand-written: the template may carry the operator's key, which has no place in logs.
impl std::fmt::Debug for TileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TileConfig")
            .field("csp_source", &self.csp_source)
            .finish_non_exhaustive()
    }
}

impl TileConfig {
    /// Checks a template and an attribution (the `serve` flags); the error says what is wrong.
    pub fn parse(url: &str, attribution: Option<&str>) -> Result<Self, String> {
        let url = url.trim();
        let rest = url
            .strip_prefix("https://")
            .map(|r| ("https://", r))
            .or_else(|| url.strip_prefix("http://").map(|r| ("http://", r)));
        let Some((scheme, rest)) = rest else {
            return Err("the tile URL must start with http:// or https://".into());
        };
        if url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "'\"<>`".contains(c))
        {
            return Err("the tile URL holds a space, quote or control character".into());
        }
        let has = |p: &str| url.contains(p);
        if !(has("{z}") && has("{x}") && (has("{y}") || has("{-y}"))) {
            return Err("the tile URL must hold {z}, {x} and {y}".into());
        }
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let csp_host = csp_host(host)?;
        let attribution = attribution.map(str::trim).filter(|a| !a.is_empty());
        if let Some(a) = attribution {
            let clean = a.chars().count() <= 200
                && !a.contains(['<', '>'])
                && gridmate_domain::rules::is_clean_name(a);
            if !clean {
                return Err(
                    "the attribution must be one line of at most 200 characters, without < or >"
                        .into(),
                );
            }
        }
        Ok(Self {
            url: url.to_owned(),
            attribution: attribution.map(str::to_owned),
            csp_source: format!("{scheme}{csp_host}"),
        })
    }
}

/// The host (and port) as a CSP host source: a first label holding a placeholder becomes `*`.
fn csp_host(host: &str) -> Result<String, String> {
    let (name, port) = match host.rsplit_once(':') {
        Some((n, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (n, Some(p)),
        _ => (host, None),
    };
    let mut labels: Vec<&str> = name.split('.').collect();
    if labels.first().is_some_and(|l| l.contains('{')) && labels.len() > 2 {
        labels[0] = "*";
    }
    let ok = !name.is_empty()
        && labels.iter().enumerate().all(|(i, l)| {
            (i == 0 && *l == "*")
                || (!l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        });
    if !ok {
        return Err(
            "the tile URL's host must be a plain host name or address; a placeholder such as {s} \
             may only stand for its whole first label"
                .into(),
        );
    }
    let mut out = labels.join(".");
    if let Some(p) = port {
        out.push(':');
        out.push_str(p);
    }
    Ok(out)
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/console/config", get(config))
}

/// What the console UI needs to know of the server's configuration.
#[derive(Debug, Serialize)]
pub struct ConsoleConfig {
    pub tiles_url: Option<String>,
    pub tiles_attribution: Option<String>,
}

async fn config(State(state): State<AppState>, _user: ConsoleUser) -> Json<ConsoleConfig> {
    let tiles = state.config.console_tiles.as_ref();
    Json(ConsoleConfig {
        tiles_url: tiles.map(|t| t.url.clone()),
        tiles_attribution: tiles.and_then(|t| t.attribution.clone()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn templates_give_their_csp_source() {
        let t = TileConfig::parse(
            "http://10.1.2.3:8081/tiles/{z}/{x}/{y}.png",
            Some(" 区地图 "),
        )
        .unwrap();
        assert_eq!(t.csp_source, "http://10.1.2.3:8081");
        assert_eq!(t.attribution.as_deref(), Some("区地图"));
        let tdt = "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY";
        let t = TileConfig::parse(tdt, None).unwrap();
        assert_eq!(t.csp_source, "https://*.tianditu.gov.cn");
        assert!(!format!("{t:?}").contains("KEY"));
    }

    use proptest::prelude::*;

    proptest! {
        /// Whatever the input, an accepted template yields a CSP source that is one token of
        /// host characters: it can never end the directive or add a source.
        #[test]
        fn an_accepted_template_never_smuggles_csp(
            host in "[a-z0-9{}.;:,' *-]{1,24}",
            path in "[a-z0-9{}/?&=;:,' *-]{0,24}",
        ) {
            let url = format!("https://{host}/{path}{{z}}/{{x}}/{{y}}");
            if let Ok(t) = TileConfig::parse(&url, None) {
                let src = t.csp_source.strip_prefix("https://").unwrap();
                prop_assert!(!src.is_empty());
                prop_assert!(
                    src.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:*".contains(&b)),
                    "{}", src
                );
                let placeholder_left = src.contains(['{', '}']);
                prop_assert!(!placeholder_left);
            }
        }
    }

    #[test]
    fn bad_templates_are_refused() {
        for bad in [
            "ftp://x.cn/{z}/{x}/{y}",
            "https://x.cn/{z}/{x}.png",
            "https://x.cn; script-src *;/{z}/{x}/{y}",
            "https://x.{s}.cn/{z}/{x}/{y}",
            "https://'self'/{z}/{x}/{y}",
            "https:///{z}/{x}/{y}",
        ] {
            assert!(TileConfig::parse(bad, None).is_err(), "{bad}");
        }
        let ok = "https://x.cn/{z}/{x}/{y}";
        assert!(TileConfig::parse(ok, Some("<img src=x onerror=alert(1)>")).is_err());
    }
}

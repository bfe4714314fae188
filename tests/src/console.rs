//! A console client for whole-system tests: signs in to `/v1/console/session` like the browser
//! does (the `gm_console` cookie, the CSRF token in `X-CSRF-Token` on unsafe requests) and calls
//! the console API of a real server process.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::PASSWORD;

/// A signed-in console user.
#[derive(Debug, Clone)]
pub struct Console {
    pub http: reqwest::Client,
    pub base: String,
    /// `gm_console=<token>`, as the browser sends it back.
    pub cookie: String,
    pub csrf: String,
}

/// An answer: status and JSON body (`Value::Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// The error `code` of a JSON error body.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

/// Asserts a typed refusal: this HTTP status and error code, with a message in both languages.
pub fn refused(a: &Answer, status: u16, code: &str) {
    assert_eq!(
        (a.status.as_u16(), a.code()),
        (status, code),
        "{:?}",
        a.body
    );
    for lang in ["zh-CN", "en"] {
        assert!(
            a.body["message"][lang]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "a {lang} message: {:?}",
            a.body
        );
    }
}

impl Console {
    /// Signs in with the suite's password; panics unless it succeeds.
    pub async fn sign_in(base: &str, user: &str) -> Self {
        Self::try_sign_in(base, user, PASSWORD)
            .await
            .unwrap_or_else(|a| panic!("console sign-in as {user} failed: {a:?}"))
    }

    /// Signs in; the answer when it fails.
    pub async fn try_sign_in(base: &str, user: &str, password: &str) -> Result<Self, Answer> {
        let http = crate::http().build().expect("an HTTP client");
        let res = http
            .post(format!("{base}/v1/console/session"))
            .json(&serde_json::json!({"user": user, "password": password}))
            .send()
            .await
            .expect("the server answers");
        let cookie = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("gm_console="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let answer = answer(res).await;
        match (answer.status, cookie) {
            (StatusCode::OK, Some(cookie)) => Ok(Self {
                http,
                base: base.to_owned(),
                cookie,
                csrf: answer.body["csrf"].as_str().unwrap_or_default().to_owned(),
            }),
            _ => Err(answer),
        }
    }

    /// Any request with the session cookie (and the CSRF header unless `csrf` is false).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        csrf: bool,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie);
        if csrf {
            req = req.header("x-csrf-token", &self.csrf);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.expect("the server answers")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, true).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body), true).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body), true).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body), true).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None, true).await
    }

    /// The raw bytes of a GET (exports).
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            .send()
            .await
            .expect("the server answers");
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.bytes().await.expect("a body").to_vec())
    }
}

async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap_or_default();
    Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

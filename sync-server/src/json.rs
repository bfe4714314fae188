//! [`ApiJson`]: the JSON body extractor for every route, answering our own error codes.
//!
//! Invariants: a body over the limit is `payload_too_large`; any other body problem is
//! `bad_request` whose message names at most the offending field path, never the submitted value
//! (bodies carry personal data). Content-Type is not enforced: clients are ours and bearer tokens
//! are not sent automatically by browsers, so there is no CSRF angle to guard.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body of type `T`.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(ApiError::from)?;
        parse(&bytes).map(Self)
    }
}

/// Parses a JSON document, mapping errors to `bad_request` as described above.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request(
                "请求内容不是有效的 JSON",
                "The request body is not valid JSON",
            );
        }
        // serde's "missing field `x`" names only our own field; other messages may quote values.
        let detail = inner.to_string();
        if let Some(rest) = detail.strip_prefix("missing field ") {
            let field = rest.split(' ').next().unwrap_or_default().trim_matches('`');
            return ApiError::bad_request(
                format!("缺少字段 {field}"),
                format!("Missing field `{field}`"),
            );
        }
        ApiError::bad_request(
            format!("字段 {path} 的值无效"),
            format!("Invalid value for field `{path}`"),
        )
    })?;
    de.end().map_err(|_| {
        ApiError::bad_request(
            "请求内容不是有效的 JSON",
            "The request body is not valid JSON",
        )
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        name: String,
        n: u32,
    }

    fn en(e: ApiError) -> String {
        e.message().en
    }

    #[test]
    fn errors_name_fields_but_not_values() {
        assert!(parse::<T>(br#"{"name":"a","n":1}"#).is_ok());
        assert_eq!(
            en(parse::<T>(br#"{"name":"a"#).unwrap_err()),
            "The request body is not valid JSON"
        );
        assert_eq!(
            en(parse::<T>(br#"{"name":"a"}"#).unwrap_err()),
            "Missing field `n`"
        );
        let e = en(parse::<T>(r#"{"name":"a","n":"张三13800000000"}"#.as_bytes()).unwrap_err());
        assert_eq!(e, "Invalid value for field `n`");
        assert!(parse::<T>(br#"{"name":"a","n":1} x"#).is_err());
    }
}

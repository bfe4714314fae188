//! `/v1/console/admin/…`: the admin console, everything the admin CLI does (users, devices,
//! areas, units, the deadline table) plus grid boundaries (`crate::console::boundary`).
//!
//! Invariants: every handler calls `require_admin` first (a dispatcher gets 403 `forbidden`);
//! an admin manages only users whose whole scope lies in the admin's and areas the admin's scope
//! covers; bad input is a typed field error and changes nothing; every change is recorded in
//! `console_audit` (who, action, target, when; never a password) in its own transaction.

pub mod catalogue;
pub mod input;
pub mod store;
pub mod users;

use axum::Router;
use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::routing::{get, patch, post};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    let a = "/v1/console/admin";
    Router::new()
        .route(&format!("{a}/users"), get(users::list).post(users::add))
        .route(&format!("{a}/users/{{name}}"), patch(users::patch))
        .route(
            &format!("{a}/users/{{name}}/password"),
            post(users::set_password),
        )
        .route(&format!("{a}/devices"), get(catalogue::devices))
        .route(
            &format!("{a}/devices/{{id}}/revoke"),
            post(catalogue::revoke_device),
        )
        .route(
            &format!("{a}/areas"),
            get(catalogue::areas).post(catalogue::add_area),
        )
        .route(
            &format!("{a}/areas/{{id}}"),
            patch(catalogue::patch_area).put(catalogue::put_area),
        )
        .route(
            &format!("{a}/units"),
            get(catalogue::units).post(catalogue::add_unit),
        )
        .route(
            &format!("{a}/units/{{id}}"),
            patch(catalogue::patch_unit).put(catalogue::put_unit),
        )
        .route(&format!("{a}/deadlines"), get(catalogue::deadlines))
        .route(&format!("{a}/audit"), get(catalogue::audit))
}

/// Query parameters of type `T`; a query that does not parse is our `bad_request` (axum's own
/// rejection would be plain text).
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|_| ApiError::bad_request("查询参数无效", "Invalid query parameters"))
    }
}

/// `page` (from 1) and `page_size` (1-100, default 20) of a list.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
    pub page_size: Option<String>,
}

/// A list answer: `{items, total, page, page_size}`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    pub page: usize,
    pub page_size: usize,
}

impl<T> Page<T> {
    /// The requested page of `all`.
    pub fn of(all: Vec<T>, q: &PageQuery) -> Result<Self, ApiError> {
        let number =
            |raw: &Option<String>, field: &str, default: usize, max: usize| match raw.as_deref() {
                None => Ok(default),
                Some(s) => s
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "out_of_range",
                            field,
                            format!("{field} 须为 1 到 {max} 的整数"),
                            format!("{field} must be a whole number from 1 to {max}"),
                        )
                    }),
            };
        let page = number(&q.page, "page", 1, 1_000_000)?;
        let page_size = number(&q.page_size, "page_size", 20, 100)?;
        let total = all.len();
        let items = all
            .into_iter()
            .skip((page - 1).saturating_mul(page_size))
            .take(page_size)
            .collect();
        Ok(Self {
            items,
            total,
            page,
            page_size,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pages_cut_the_list_and_refuse_bad_numbers() {
        let q = |p: &str, s: &str| PageQuery {
            page: Some(p.into()),
            page_size: Some(s.into()),
        };
        let p = Page::of((0..45).collect(), &q("3", "20")).unwrap();
        assert_eq!((p.items, p.total), (vec![40, 41, 42, 43, 44], 45));
        assert_eq!(
            Page::of(vec![1], &q("0", "20")).unwrap_err().code(),
            "out_of_range"
        );
        assert_eq!(
            Page::of(vec![1], &q("1", "101")).unwrap_err().code(),
            "out_of_range"
        );
        assert_eq!(
            Page::of(vec![1], &q("x", "1")).unwrap_err().code(),
            "out_of_range"
        );
        assert_eq!(
            Page::of(vec![1, 2], &PageQuery::default())
                .unwrap()
                .page_size,
            20
        );
    }
}

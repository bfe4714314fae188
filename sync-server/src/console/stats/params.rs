//! Query-string parameters of the statistics, map and supervision endpoints: parsing, the period
//! and the areas a query reaches.
//!
//! Invariants: every bad parameter is a typed `invalid_field`-style error naming the parameter
//! (never echoing its value); unknown and repeated parameters are refused, so a typo never widens
//! a query silently; an area outside the user's scope reaches nothing (the answer is the one of an
//! area without records), so area ids cannot be probed.

use std::collections::BTreeMap;

use gridmate_domain::{GridId, Timestamp};

use crate::error::ApiError;
use crate::scope::Scope;

/// The longest period a statistics query may span (a leap year).
pub const MAX_PERIOD_MS: i64 = 366 * 24 * 3600 * 1000;
/// The period statistics cover when the request names none: the 30 days before now.
pub const DEFAULT_PERIOD_MS: i64 = 30 * 24 * 3600 * 1000;

/// The parameters of one request, by name.
#[derive(Debug, Default)]
pub struct Params(BTreeMap<&'static str, String>);

impl Params {
    /// Parses `a=1&b=x` (percent- and `+`-decoded). Only the names in `allowed` are accepted.
    pub fn parse(raw: Option<&str>, allowed: &[&'static str]) -> Result<Self, ApiError> {
        let mut map = BTreeMap::new();
        for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let k = decode(k).unwrap_or_default();
            let Some(name) = allowed.iter().copied().find(|a| *a == k) else {
                return Err(ApiError::invalid(
                    "unknown_parameter",
                    shown_name(&k),
                    "不支持的查询参数",
                    "Unknown query parameter",
                ));
            };
            let v = decode(v).ok_or_else(|| {
                ApiError::invalid(
                    "invalid_value",
                    name,
                    "参数值编码无效",
                    "The parameter's value is not valid percent-encoded UTF-8",
                )
            })?;
            if map.insert(name, v).is_some() {
                return Err(ApiError::invalid(
                    "duplicate_parameter",
                    name,
                    "参数重复",
                    "The parameter is given more than once",
                ));
            }
        }
        Ok(Self(map))
    }

    /// A parameter's value; an empty value counts as absent (forms send `area=` for "all").
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A UTC millisecond instant.
    pub fn instant(&self, name: &'static str) -> Result<Option<i64>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        v.parse::<i64>()
            .ok()
            .and_then(Timestamp::from_millis)
            .map(|t| Some(t.millis()))
            .ok_or_else(|| {
                ApiError::invalid(
                    "invalid_date",
                    name,
                    "日期无效：请给出 UTC 毫秒时间戳",
                    "Invalid date: give UTC milliseconds since 1970",
                )
            })
    }

    /// A value of a closed vocabulary, checked by `parse`.
    pub fn choice<T>(
        &self,
        name: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, ApiError> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        parse(v).map(Some).ok_or_else(|| {
            ApiError::invalid(
                "invalid_value",
                name,
                "参数值不在可选范围内",
                "The value is not one of the allowed ones",
            )
        })
    }

    /// The areas the request reaches, within `scope` (see [`reach`]).
    pub fn reach(&self, scope: &Scope) -> Result<Reach, ApiError> {
        reach(scope, self.get("area"))
    }
}

/// A parameter name as it may appear in an error: ours only, else a placeholder.
fn shown_name(k: &str) -> String {
    let ours =
        (1..=32).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if ours {
        k.to_owned()
    } else {
        "query".to_owned()
    }
}

/// Percent-decoding of one query component (`+` is a space); `None` if not UTF-8 or malformed.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A half-open period `[from, to)` of UTC milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
}

impl Period {
    /// The statistics period: `from` and `to` as given, `to` defaulting to now and `from` to 30
    /// days before `to`; `from > to` and spans over 366 days are refused.
    pub fn for_stats(p: &Params, now: i64) -> Result<Self, ApiError> {
        let to = p.instant("to")?;
        let from = p.instant("from")?;
        let to = to.unwrap_or_else(|| now.max(from.unwrap_or(0)));
        let from = from.unwrap_or_else(|| (to - DEFAULT_PERIOD_MS).max(0));
        check_order(from, to)?;
        if to - from > MAX_PERIOD_MS {
            return Err(ApiError::invalid(
                "period_too_long",
                "to",
                "统计时段不能超过 366 天",
                "The period may span at most 366 days",
            ));
        }
        Ok(Self { from, to })
    }

    /// An optional period (the map): each bound only if given; `from > to` is refused.
    pub fn optional(p: &Params) -> Result<Self, ApiError> {
        let from = p.instant("from")?.unwrap_or(0);
        let to = p.instant("to")?.unwrap_or(i64::MAX);
        check_order(from, to)?;
        Ok(Self { from, to })
    }
}

fn check_order(from: i64, to: i64) -> Result<(), ApiError> {
    if from > to {
        return Err(ApiError::invalid(
            "invalid_period",
            "from",
            "开始时间晚于结束时间",
            "The start of the period is after its end",
        ));
    }
    Ok(())
}

/// What a query covers: `area` (the one asked for, if any) and `areas`, the scope the SQL is
/// limited to — the asked area when the user's scope covers it, the user's whole scope when none
/// is asked, and an empty scope (nothing) when the area lies outside.
#[derive(Debug, Clone)]
pub struct Reach {
    pub area: Option<GridId>,
    pub areas: Scope,
}

/// See [`Reach`]. An area id that is not a well-formed slug is `invalid_area`.
pub fn reach(scope: &Scope, area: Option<&str>) -> Result<Reach, ApiError> {
    let Some(raw) = area else {
        return Ok(Reach {
            area: None,
            areas: scope.minimal(),
        });
    };
    let id = GridId::parse(raw).ok_or_else(|| {
        ApiError::invalid(
            "invalid_area",
            "area",
            "区域编号无效",
            "Invalid area id: use 1-64 characters of a-z, 0-9 and -",
        )
    })?;
    let areas = if scope.covers(&id) {
        Scope::new([id.clone()])
    } else {
        Scope::default()
    };
    Ok(Reach {
        area: Some(id),
        areas,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ALLOWED: &[&str] = &["area", "from", "to"];

    #[test]
    fn parses_and_refuses_unknown_or_repeated_names() {
        let p = Params::parse(Some("area=jingkou%2Dx&from=1&to="), ALLOWED).unwrap();
        assert_eq!(p.get("area"), Some("jingkou-x"));
        assert_eq!(p.get("to"), None);
        let e = Params::parse(Some("are=1"), ALLOWED).unwrap_err();
        assert_eq!(e.code(), "unknown_parameter");
        let e = Params::parse(Some("%FF=1"), ALLOWED).unwrap_err();
        assert_eq!(e.code(), "unknown_parameter");
        let e = Params::parse(Some("area=a&area=b"), ALLOWED).unwrap_err();
        assert_eq!(e.code(), "duplicate_parameter");
        let e = Params::parse(Some("area=%E4%B8"), ALLOWED).unwrap_err();
        assert_eq!(e.code(), "invalid_value");
    }

    #[test]
    fn periods_default_and_are_checked() {
        let now = 400 * 24 * 3600 * 1000;
        let p = Params::parse(None, ALLOWED).unwrap();
        let d = Period::for_stats(&p, now).unwrap();
        assert_eq!((d.from, d.to), (now - DEFAULT_PERIOD_MS, now));
        let p = Params::parse(Some("from=10&to=5"), ALLOWED).unwrap();
        assert_eq!(
            Period::for_stats(&p, now).unwrap_err().code(),
            "invalid_period"
        );
        let p = Params::parse(Some(&format!("from=0&to={}", MAX_PERIOD_MS + 1)), ALLOWED).unwrap();
        assert_eq!(
            Period::for_stats(&p, now).unwrap_err().code(),
            "period_too_long"
        );
        for bad in ["from=x", "from=-1", "to=1e3", "to=99999999999999999999"] {
            let p = Params::parse(Some(bad), ALLOWED).unwrap();
            assert_eq!(
                Period::for_stats(&p, now).unwrap_err().code(),
                "invalid_date",
                "{bad}"
            );
        }
    }

    #[test]
    fn areas_outside_the_scope_reach_nothing() {
        let scope = Scope::parse_list("jingkou-zhengdonglu").unwrap();
        let r = reach(&scope, Some("jingkou-zhengdonglu-03")).unwrap();
        assert_eq!(r.areas.to_string(), "jingkou-zhengdonglu-03");
        assert!(reach(&scope, Some("jingkou")).unwrap().areas.is_empty());
        assert!(
            reach(&scope, Some("jingkou-xiangshan"))
                .unwrap()
                .areas
                .is_empty()
        );
        assert!(
            reach(&scope, Some("jingkou-zheng"))
                .unwrap()
                .areas
                .is_empty()
        );
        assert_eq!(
            reach(&scope, Some("Bad!")).unwrap_err().code(),
            "invalid_area"
        );
        assert_eq!(reach(&scope, None).unwrap().areas, scope);
    }
}

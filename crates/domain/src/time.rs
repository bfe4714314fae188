//! Timestamps: UTC milliseconds since the Unix epoch, written as RFC 3339 in JSON and as an
//! Automerge `Timestamp` scalar in documents. Millisecond precision is the invariant: anything finer
//! is truncated on input so that record -> document -> record is exact.

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Smallest accepted instant: 1970-01-01T00:00:00Z.
const MIN_MS: i64 = 0;
/// Largest accepted instant: 9999-12-31T23:59:59.999Z.
const MAX_MS: i64 = 253_402_300_799_999;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Builds a timestamp from milliseconds; `None` outside 1970..=9999.
    pub fn from_millis(ms: i64) -> Option<Self> {
        (MIN_MS..=MAX_MS).contains(&ms).then_some(Self(ms))
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// The current time, truncated to milliseconds. Only callers at the edge (store, server) use it;
    /// rules take `now` as an argument so that they stay pure.
    pub fn now() -> Self {
        Self(Utc::now().timestamp_millis().clamp(MIN_MS, MAX_MS))
    }

    pub fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms).clamp(MIN_MS, MAX_MS))
    }

    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let dt = DateTime::parse_from_rfc3339(s).ok()?;
        Self::from_millis(dt.timestamp_millis())
    }

    /// China Standard Time (UTC+8 all year, no daylight saving): how users read dates.
    fn china() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
    }

    /// `2026-11-28 09:30` in China time, for lists and the CLI.
    pub fn to_china_minutes(self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.0)
            .map(|d| {
                d.with_timezone(&Self::china())
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    }

    /// Midnight at the start of a `YYYY-MM-DD` day in China time, or an RFC 3339 instant.
    pub fn parse_day_or_rfc3339(s: &str) -> Option<Self> {
        if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            let local = day
                .and_hms_opt(0, 0, 0)?
                .and_local_timezone(Self::china())
                .single()?;
            return Self::from_millis(local.timestamp_millis());
        }
        Self::parse_rfc3339(s)
    }

    pub fn to_rfc3339(self) -> String {
        DateTime::<Utc>::from_timestamp_millis(self.0)
            .map(|d| d.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_default()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid date-time `{s}`: expected RFC 3339 such as 2026-11-28T09:30:00+08:00"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_and_truncates_to_millis() {
        let t = Timestamp::parse_rfc3339("2026-11-28T09:30:00.123456+08:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-28T01:30:00.123Z");
    }

    #[test]
    fn china_time() {
        let t = Timestamp::parse_day_or_rfc3339("2026-11-28").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-27T16:00:00.000Z");
        assert_eq!(t.to_china_minutes(), "2026-11-28 00:00");
    }

    #[test]
    fn rejects_garbage_and_out_of_range() {
        assert!(Timestamp::parse_rfc3339("yesterday").is_none());
        assert!(Timestamp::parse_rfc3339("1960-01-01T00:00:00Z").is_none());
        assert!(Timestamp::from_millis(-1).is_none());
    }
}

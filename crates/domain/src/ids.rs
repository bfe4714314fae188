//! Identifiers. A record id is a UUIDv7 (time-ordered, made on the device with no coordination); a
//! grid id is a short lowercase slug such as `jingkou-zhengdonglu-03`. Both are checked on parse, so a
//! value of these types is always well-formed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId(Uuid);

impl RecordId {
    /// A new UUIDv7 from the current time.
    pub fn new_v7() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn from_uuid(u: Uuid) -> Self {
        Self(u)
    }

    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for RecordId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|_| {
            serde::de::Error::custom(format!("invalid record id `{s}`: expected a UUID"))
        })
    }
}

/// A grid identifier: 1-64 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GridId(String);

impl GridId {
    pub fn parse(s: &str) -> Option<Self> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        ok.then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GridId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for GridId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for GridId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        GridId::parse(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid grid id `{s}`: use 1-64 characters of a-z, 0-9 and -"
            ))
        })
    }
}

/// Whether the area `area` (a grid, township or county id) covers the grid `grid`. Ids are
/// hierarchical slugs: `jingkou-zhengdonglu-03` lies in `jingkou-zhengdonglu`, which lies in
/// `jingkou`; `jingkou-zheng` covers nothing of them. The one definition of scope coverage, used
/// by the server's access checks and by devices deciding what they may keep.
pub fn area_covers(area: &str, grid: &str) -> bool {
    grid == area
        || grid
            .strip_prefix(area)
            .is_some_and(|rest| rest.starts_with('-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_ids() {
        assert!(GridId::parse("jingkou-zhengdonglu-03").is_some());
        assert!(GridId::parse("").is_none());
        assert!(GridId::parse("-a").is_none());
        assert!(GridId::parse("Grid1").is_none());
        assert!(GridId::parse("网格").is_none());
        assert!(GridId::parse(&"a".repeat(65)).is_none());
    }

    #[test]
    fn areas_cover_their_grids_only() {
        assert!(area_covers(
            "jingkou-zhengdonglu-03",
            "jingkou-zhengdonglu-03"
        ));
        assert!(area_covers("jingkou-zhengdonglu", "jingkou-zhengdonglu-03"));
        assert!(area_covers("jingkou", "jingkou-zhengdonglu-03"));
        assert!(!area_covers("jingkou-zheng", "jingkou-zhengdonglu-03"));
        assert!(!area_covers(
            "jingkou-zhengdonglu-03",
            "jingkou-zhengdonglu"
        ));
        assert!(!area_covers("runzhou", "jingkou-zhengdonglu-03"));
    }

    #[test]
    fn record_ids_are_v7_and_round_trip() {
        let id = RecordId::new_v7();
        assert_eq!(id.as_uuid().get_version_num(), 7);
        assert_eq!(id.to_string().parse::<RecordId>().unwrap(), id);
        assert!("not-a-uuid".parse::<RecordId>().is_err());
    }
}

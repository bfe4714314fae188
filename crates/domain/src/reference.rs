//! Reference data the devices need to show and act on disputes: the areas with their Chinese names
//! and levels (街道, 社区, 网格), the units disputes can be assigned to (司法所, 派出所, ...), the
//! users one may assign to (display names and roles, never phones or passwords), and the deadline
//! table. The server serves it to every signed-in device (`GET /v1/reference`); the device keeps
//! the last copy so that it works offline, and shows "正东路街道 03 网格" and "王伟", never
//! `jingkou-zhengdonglu-03` or `wang.wei`.
//!
//! Invariant: everything here is public within the command centre's areas: no personal data
//! beyond a colleague's display name.

use serde::{Deserialize, Serialize};

use crate::enums::{AreaLevel, LegalRole, Role};
use crate::workflow::deadline::DeadlineTable;

/// One area of the hierarchy (its id is a [`crate::GridId`] slug).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Area {
    pub id: String,
    pub name: String,
    pub level: AreaLevel,
}

/// A unit disputes can be assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Unit {
    /// A slug such as `jingkou-zhengdonglu-sfs`.
    pub id: String,
    pub name: String,
}

/// A user one may assign to, as colleagues see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct Colleague {
    /// The user name (what events and assignments store).
    pub name: String,
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub legal_role: Option<LegalRole>,
    /// The unit the user acts for, if any.
    #[serde(default)]
    pub unit: Option<String>,
}

/// Everything a device needs, as one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReferenceData {
    pub areas: Vec<Area>,
    pub units: Vec<Unit>,
    pub colleagues: Vec<Colleague>,
    pub deadlines: DeadlineTable,
}

impl ReferenceData {
    /// The display name of an area, or its id when unknown.
    pub fn area_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.areas
            .iter()
            .find(|a| a.id == id)
            .map_or(id, |a| a.name.as_str())
    }

    /// The display name of a user, or the user name when unknown.
    pub fn user_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.colleagues
            .iter()
            .find(|c| c.name == name)
            .map_or(name, |c| c.display_name.as_str())
    }

    /// The name of a unit, or its id when unknown.
    pub fn unit_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.units
            .iter()
            .find(|u| u.id == id)
            .map_or(id, |u| u.name.as_str())
    }
}

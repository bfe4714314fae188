//! Reference data on the server: the admin's input for areas and units (checked here), and the
//! [`ReferenceData`] a signed-in user receives from `GET /v1/reference`: every area (names are not
//! personal data, and a handler assigned a dispute of another township must read its grid's
//! name), every unit, the colleagues the user may assign to or meet on disputes of the
//! scope, and the deadline table.
//!
//! Invariants: ids are [`GridId`] slugs and names 1-64 characters without control characters,
//! whatever the input; a colleague carries only a name, a display name, roles and a unit (never a
//! phone, never password data); the colleagues are the users whose scope overlaps the caller's,
//! every legal volunteer, every dispatcher (a handler from another township reads who assigned
//! the dispute) and every member of a unit, disabled users never.

use gridmate_domain::reference::{Area, Colleague, ReferenceData, Unit};
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::{GridId, Role};

use crate::model::{self, PublicProfile};
use crate::scope::Scope;

/// Why an area, unit or unit assignment given by the admin was refused. `code()` and `field()`
/// are stable; the messages are fixed texts in both languages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceInputError {
    #[error("invalid {field}: use 1-64 characters of a-z, 0-9 and '-' (not at either end)")]
    InvalidId { field: &'static str },
    #[error(
        "invalid {field}: use 1 to 64 characters, without control or invisible formatting characters"
    )]
    InvalidName { field: &'static str },
    #[error("unit `{0}` does not exist (add it with `gridmate-server unit add`)")]
    UnknownUnit(String),
}

impl ReferenceInputError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidId { .. } => "invalid_id",
            Self::InvalidName { .. } => "invalid_name",
            Self::UnknownUnit(_) => "unknown_unit",
        }
    }

    pub fn field(&self) -> &'static str {
        match self {
            Self::InvalidId { field } | Self::InvalidName { field } => field,
            Self::UnknownUnit(_) => "unit",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            Self::InvalidId { .. } => "编号只能由 1-64 个小写字母、数字和“-”组成".to_owned(),
            Self::InvalidName { .. } => {
                "名称须为 1-64 个字符，且不含控制字符或不可见的格式字符".to_owned()
            }
            Self::UnknownUnit(id) => format!("单位 {id} 不存在"),
        }
    }
}

/// An area or unit id: a [`GridId`] slug.
pub fn parse_id(raw: &str, field: &'static str) -> Result<GridId, ReferenceInputError> {
    GridId::parse(raw.trim()).ok_or(ReferenceInputError::InvalidId { field })
}

/// A unit id as stored in `users.unit` and workflow events.
pub fn unit_id(raw: &str) -> Result<String, ReferenceInputError> {
    parse_id(raw, "unit").map(|g| g.as_str().to_owned())
}

/// A display name (of an area, a unit): trimmed, 1-64 characters, no control or invisible
/// format characters (the text rule of records: `gridmate_domain::rules::is_clean_name`).
pub fn parse_name(raw: &str, field: &'static str) -> Result<String, ReferenceInputError> {
    let name = raw.trim();
    let ok =
        (1..=64).contains(&name.chars().count()) && gridmate_domain::rules::is_clean_name(name);
    ok.then(|| name.to_owned())
        .ok_or(ReferenceInputError::InvalidName { field })
}

/// A catalogue area as devices see it. Levels devices do not know (a city) are left out: the
/// device names areas by their id then, which is what it did before it had reference data.
pub fn area_of(a: &model::Area) -> Option<Area> {
    Some(Area {
        id: a.id.as_str().to_owned(),
        name: a.name.clone(),
        level: gridmate_domain::AreaLevel::parse(a.level.as_str())?,
    })
}

/// Whether two scopes share a grid: one of them covers an entry of the other.
pub fn overlaps(a: &Scope, b: &Scope) -> bool {
    a.areas().any(|x| b.covers(x)) || b.areas().any(|y| a.covers(y))
}

/// Everything the server holds that the reference data is cut from.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub areas: Vec<model::Area>,
    pub units: Vec<Unit>,
    /// Active users (disabled ones are not listed).
    pub users: Vec<PublicProfile>,
}

/// The reference data of a user whose scope is `scope`.
pub fn reference_for(scope: &Scope, dir: &Directory, deadlines: DeadlineTable) -> ReferenceData {
    let areas = dir.areas.iter().filter_map(area_of).collect();
    let colleagues = dir
        .users
        .iter()
        .filter(|u| {
            matches!(u.role, Role::LegalVolunteer | Role::Dispatcher)
                || u.unit.is_some()
                || overlaps(&u.scope, scope)
        })
        .map(|u| Colleague {
            name: u.name.clone(),
            display_name: u.display_name.clone().unwrap_or_else(|| u.name.clone()),
            role: u.role,
            legal_role: u.legal_role,
            unit: u.unit.clone(),
        })
        .collect();
    ReferenceData {
        areas,
        units: dir.units.clone(),
        colleagues,
        deadlines,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use gridmate_domain::LegalRole;

    use super::*;
    use crate::model::{AreaLevel, UserId};

    fn user(name: &str, role: Role, scope: &str, unit: Option<&str>) -> PublicProfile {
        PublicProfile {
            id: UserId(1),
            name: name.into(),
            display_name: (name == "wang.wei").then(|| "王伟".to_owned()),
            role,
            legal_role: (role == Role::LegalVolunteer).then_some(LegalRole::Lawyer),
            scope: Scope::parse_list(scope).unwrap(),
            unit: unit.map(str::to_owned),
        }
    }

    fn area(id: &str, level: AreaLevel) -> model::Area {
        model::Area {
            id: GridId::parse(id).unwrap(),
            level,
            name: format!("{id} name"),
        }
    }

    #[test]
    fn input_is_checked_with_codes() {
        assert_eq!(
            parse_id(" jingkou-zhengdonglu ", "id").unwrap().as_str(),
            "jingkou-zhengdonglu"
        );
        for bad in ["", "-a", "a-", "正东路", "A", &"a".repeat(65)] {
            let e = parse_id(bad, "id").unwrap_err();
            assert_eq!((e.code(), e.field()), ("invalid_id", "id"), "{bad:?}");
        }
        assert_eq!(
            parse_name(" 正东路司法所 ", "name").unwrap(),
            "正东路司法所"
        );
        for bad in ["", "  ", "a\u{7}b", "line\nbreak", &"名".repeat(65)] {
            let e = parse_name(bad, "name").unwrap_err();
            assert_eq!((e.code(), e.field()), ("invalid_name", "name"), "{bad:?}");
        }
        assert_eq!(
            parse_name(&"名".repeat(64), "name")
                .unwrap()
                .chars()
                .count(),
            64
        );
        assert_eq!(
            ReferenceInputError::UnknownUnit("x".into()).code(),
            "unknown_unit"
        );
    }

    #[test]
    fn a_user_gets_every_area_it_can_name_and_the_colleagues_of_its_scope() {
        let dir = Directory {
            areas: vec![
                area("jingkou", AreaLevel::County),
                area("jingkou-zhengdonglu", AreaLevel::Township),
                area("jingkou-zhengdonglu-03", AreaLevel::Grid),
                area("jingkou-zhengdonglu-01", AreaLevel::Grid),
                area("jingkou-jianshelu", AreaLevel::Township),
                area("zhenjiang", AreaLevel::City),
            ],
            units: vec![Unit {
                id: "jingkou-zhengdonglu-sfs".into(),
                name: "正东路司法所".into(),
            }],
            users: vec![
                user("wang.wei", Role::GridWorker, "jingkou-zhengdonglu-03", None),
                user("zhao.min", Role::Dispatcher, "jingkou-zhengdonglu", None),
                user("qian.li", Role::GridWorker, "jingkou-zhengdonglu-01", None),
                user("chen.jing", Role::LegalVolunteer, "jingkou-jianshelu", None),
                user(
                    "sun.hao",
                    Role::GridWorker,
                    "jingkou-jianshelu-02",
                    Some("jingkou-zhengdonglu-sfs"),
                ),
                user("zhou.yu", Role::GridWorker, "jingkou-jianshelu-02", None),
            ],
        };
        let r = reference_for(
            &Scope::parse_list("jingkou-zhengdonglu-03").unwrap(),
            &dir,
            DeadlineTable::default(),
        );
        let ids: Vec<&str> = r.areas.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "jingkou",
                "jingkou-zhengdonglu",
                "jingkou-zhengdonglu-03",
                "jingkou-zhengdonglu-01",
                "jingkou-jianshelu"
            ],
            "every area of a level the app knows, also outside the scope (an assignee's disputes)"
        );
        let names: Vec<&str> = r.colleagues.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["wang.wei", "zhao.min", "chen.jing", "sun.hao"]);
        assert_eq!(r.user_name("wang.wei"), "王伟");
        assert_eq!(
            r.user_name("zhao.min"),
            "zhao.min",
            "falls back to the user name"
        );
        assert_eq!(r.units.len(), 1);
        assert_eq!(r.deadlines, DeadlineTable::default());
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("password") && !json.contains("phone"));
    }

    #[test]
    fn overlap_is_symmetric_and_follows_coverage() {
        let s = |x: &str| Scope::parse_list(x).unwrap();
        assert!(overlaps(&s("jingkou"), &s("jingkou-zhengdonglu-03")));
        assert!(overlaps(&s("jingkou-zhengdonglu-03"), &s("jingkou")));
        assert!(!overlaps(
            &s("jingkou-zhengdonglu-03"),
            &s("jingkou-zhengdonglu-01")
        ));
        assert!(!overlaps(&s("jingkou-zheng"), &s("jingkou-zhengdonglu")));
    }
}

//! Reading one cell into a JSON value, and writing a JSON value back as a cell. Reading is
//! lenient about what spreadsheets do (spaces, full-width punctuation, `46.0` for 46, dates
//! with slashes) and strict about meaning: a value it cannot read is a `FieldError`, never a
//! guess.

use chrono::{NaiveDate, NaiveDateTime, Offset, SecondsFormat, TimeZone};
use serde_json::{Map, Value, json};

use super::table::{Cell, Choice, Column};
use crate::enums::*;
use crate::error::{ErrorCode, FieldError};
use crate::time::Timestamp;

/// Separators between list items; an export writes the first.
const LIST_SEPARATORS: [char; 4] = ['；', ';', '、', '\n'];
/// Labels ledgers were written with before the labels of `enums` were the app's, read as the
/// same value.
const CHOICE_ALIASES: &[(&str, &str)] = &[
    ("网格发现", "field"),
    ("来访", "walk_in"),
    ("12345热线", "hotline_12345"),
    ("已上报", "reported"),
    ("已受理", "accepted"),
    ("已交办", "assigned"),
    ("交办", "assigned"),
    ("已办结", "resolved"),
    ("已退回", "returned"),
    ("已升级", "escalated"),
];

/// Reads a cell. `Ok(None)`: the cell is empty and the field is left out (its default applies,
/// or `parse_draft` reports it as required).
pub fn parse_cell(col: &Column, text: &str) -> Result<Option<Value>, Vec<FieldError>> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let one = |r: Result<Value, FieldError>| r.map(Some).map_err(|e| vec![e]);
    match col.cell {
        Cell::Text => Ok(Some(Value::String(t.to_owned()))),
        Cell::Choice(c) => one(choice(c, col.field, t).map(Value::String)),
        Cell::Time => one(parse_time(t)
            .map(|ts| Value::String(ts.to_rfc3339()))
            .ok_or_else(|| bad_time(col.field, t))),
        Cell::Number => one(number(col.field, t)),
        Cell::Count => one(count(col.field, t)),
        Cell::Flag => one(flag(col.field, t)),
        Cell::List | Cell::RecordIds => Ok(Some(Value::Array(
            items(t).map(|s| Value::String(s.to_owned())).collect(),
        ))),
        Cell::Volunteers => people(col.field, t, volunteer),
        Cell::Parties => people(col.field, t, party),
    }
}

fn items(t: &str) -> impl Iterator<Item = &str> {
    t.split(LIST_SEPARATORS)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn choices(c: Choice) -> Vec<(&'static str, &'static str)> {
    fn pairs<T: Copy>(
        all: &[T],
        f: impl Fn(T) -> (&'static str, &'static str),
    ) -> Vec<(&'static str, &'static str)> {
        all.iter().map(|x| f(*x)).collect()
    }
    match c {
        Choice::SubjectKind => pairs(SubjectKind::ALL, |x| (x.as_str(), x.label_zh())),
        Choice::EducationFormat => pairs(EducationFormat::ALL, |x| (x.as_str(), x.label_zh())),
        Choice::DisputeSource => pairs(DisputeSource::ALL, |x| (x.as_str(), x.label_zh())),
        Choice::DisputeCategory => pairs(DisputeCategory::ALL, |x| (x.as_str(), x.label_zh())),
        Choice::RiskLevel => pairs(RiskLevel::ALL, |x| (x.as_str(), x.label_zh())),
        Choice::DisputeStatus => pairs(DisputeStatus::ALL, |x| (x.as_str(), x.label_zh())),
        Choice::LegalRole => pairs(LegalRole::ALL, |x| (x.as_str(), x.label_zh())),
        Choice::PartyRole => pairs(PartyRole::ALL, |x| (x.as_str(), x.label_zh())),
    }
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A vocabulary value by identifier (any case), Chinese label or a known older label.
fn choice(c: Choice, field: &str, t: &str) -> Result<String, FieldError> {
    let all = choices(c);
    let s = squeeze(t);
    let found = all
        .iter()
        .find(|(id, zh)| id.eq_ignore_ascii_case(&s) || squeeze(zh) == s)
        .map(|(id, _)| *id)
        .or_else(|| {
            CHOICE_ALIASES
                .iter()
                .find(|(alias, id)| *alias == s && all.iter().any(|(x, _)| x == id))
                .map(|(_, id)| *id)
        });
    found.map(str::to_owned).ok_or_else(|| {
        let zh: Vec<&str> = all.iter().map(|(_, z)| *z).collect();
        let en: Vec<&str> = all.iter().map(|(i, _)| *i).collect();
        FieldError::new(
            ErrorCode::InvalidValue,
            field,
            format!("取值“{t}”无效，可选：{}", zh.join("、")),
            format!("invalid value `{t}`; expected one of {}", en.join(", ")),
        )
    })
}

fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::Utc.fix())
}

const DATE_TIMES: &[&str] = &[
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y.%m.%d %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H时%M分",
];
const DATES: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"];

/// A time as a ledger has it: China time without an offset (`2026-11-28 09:30`, seconds
/// optional, `/` or `.` or 年月日 for the date), a date alone (its 00:00), or RFC 3339.
pub fn parse_time(t: &str) -> Option<Timestamp> {
    let t = t.trim();
    if let Some(ts) = Timestamp::parse_rfc3339(t) {
        return Some(ts);
    }
    let naive = DATE_TIMES
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        .or_else(|| {
            DATES
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })?;
    let local = china().from_local_datetime(&naive).single()?;
    Timestamp::from_millis(local.timestamp_millis())
}

/// The ledger form of a time: `YYYY-MM-DD HH:MM` in China time, with seconds or milliseconds
/// only when it has them, so that reading it back gives the same instant.
fn render_time(ts: Timestamp) -> String {
    let Some(utc) = chrono::DateTime::from_timestamp_millis(ts.millis()) else {
        return String::new();
    };
    let local = utc.with_timezone(&china());
    let ms = ts.millis().rem_euclid(60_000);
    if ms == 0 {
        local.format("%Y-%m-%d %H:%M").to_string()
    } else if ms % 1000 == 0 {
        local.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        local.to_rfc3339_opts(SecondsFormat::Millis, false)
    }
}

fn bad_time(field: &str, t: &str) -> FieldError {
    FieldError::new(
        ErrorCode::InvalidValue,
        field,
        format!("时间“{t}”无法识别：应为“2026-11-28 09:30”（北京时间）或 RFC 3339"),
        format!("cannot read the time `{t}`: expected `2026-11-28 09:30` (China time) or RFC 3339"),
    )
}

fn number(field: &str, t: &str) -> Result<Value, FieldError> {
    t.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .and_then(|x| serde_json::Number::from_f64(x).map(Value::Number))
        .ok_or_else(|| {
            FieldError::new(
                ErrorCode::InvalidType,
                field,
                format!("“{t}”不是数字"),
                format!("`{t}` is not a number"),
            )
        })
}

/// A whole number 0..=u32::MAX; `46.0` (how a spreadsheet may store 46) reads as 46.
fn count(field: &str, t: &str) -> Result<Value, FieldError> {
    let whole = t.strip_suffix(".0").unwrap_or(t);
    whole.parse::<u32>().map(|n| json!(n)).map_err(|_| {
        FieldError::new(
            ErrorCode::InvalidType,
            field,
            format!("“{t}”不是非负整数"),
            format!("`{t}` is not a whole number of 0 or more"),
        )
    })
}

fn flag(field: &str, t: &str) -> Result<Value, FieldError> {
    match t.to_ascii_lowercase().as_str() {
        "是" | "true" | "yes" | "y" | "1" => Ok(Value::Bool(true)),
        "否" | "false" | "no" | "n" | "0" => Ok(Value::Bool(false)),
        _ => Err(FieldError::new(
            ErrorCode::InvalidValue,
            field,
            format!("“{t}”无效：应为“是”或“否”"),
            format!("`{t}` is not 是 (yes) or 否 (no)"),
        )),
    }
}

/// Splits `姓名(a,b,c)` (ASCII or full-width brackets and commas) into the name and the parts.
fn split_person(item: &str) -> Option<(String, Vec<String>)> {
    let item = item.replace(['（'], "(").replace(['）'], ")");
    let item = item.trim();
    let Some(open) = item.find('(') else {
        return Some((item.to_owned(), Vec::new()));
    };
    let inner = item[open + 1..].strip_suffix(')')?;
    if inner.contains(['(', ')']) {
        return None;
    }
    let parts = inner
        .split([',', '，'])
        .map(|p| p.trim().to_owned())
        .collect();
    Some((item[..open].trim().to_owned(), parts))
}

type PersonFn = fn(&str, usize, &str) -> Result<Value, Vec<FieldError>>;

fn people(field: &str, t: &str, one: PersonFn) -> Result<Option<Value>, Vec<FieldError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, item) in items(t).enumerate() {
        match one(&format!("{field}[{i}]"), i, item) {
            Ok(v) => out.push(v),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(Some(Value::Array(out)))
    } else {
        Err(errors)
    }
}

fn malformed(path: &str, item: &str, shape: &str) -> FieldError {
    FieldError::new(
        ErrorCode::InvalidValue,
        path,
        format!("“{item}”格式不正确：应为“{shape}”"),
        format!("cannot read `{item}`: expected `{shape}`"),
    )
}

/// `李娜(律师)`: a name and a legal role.
fn volunteer(path: &str, _i: usize, item: &str) -> Result<Value, Vec<FieldError>> {
    let shape = "姓名(身份)";
    match split_person(item) {
        Some((name, parts)) if parts.len() == 1 => {
            let role = choice(Choice::LegalRole, &format!("{path}.legal_role"), &parts[0])
                .map_err(|e| vec![e])?;
            Ok(json!({"name": name, "legal_role": role}))
        }
        _ => Err(vec![malformed(path, item, shape)]),
    }
}

/// `张三(申请人,13800138000,320102199003071239)`: name (may be empty), role, then optionally
/// a phone and an ID number in either order, told apart by length (15 or more letters and
/// digits: the ID number; `+86 138 0013 8000` has 13).
fn party(path: &str, _i: usize, item: &str) -> Result<Value, Vec<FieldError>> {
    let shape = "姓名(角色,手机号,身份证号)";
    let Some((name, parts)) = split_person(item) else {
        return Err(vec![malformed(path, item, shape)]);
    };
    let Some((role, rest)) = parts.split_first() else {
        return Err(vec![FieldError::new(
            ErrorCode::Required,
            format!("{path}.role"),
            format!("当事人“{item}”缺少角色：应为“{shape}”"),
            format!("party `{item}` has no role: expected `{shape}`"),
        )]);
    };
    let role = choice(Choice::PartyRole, &format!("{path}.role"), role).map_err(|e| vec![e])?;
    let mut obj = Map::new();
    if !name.is_empty() {
        obj.insert("name".into(), Value::String(name));
    }
    obj.insert("role".into(), Value::String(role));
    for p in rest.iter().filter(|p| !p.is_empty()) {
        let (key, value) = if p.chars().filter(char::is_ascii_alphanumeric).count() >= 15 {
            ("id_number", p.replace(' ', "").to_uppercase())
        } else {
            ("phone", normalize_phone(p))
        };
        if obj.insert(key.into(), Value::String(value)).is_some() {
            return Err(vec![malformed(path, item, shape)]);
        }
    }
    Ok(Value::Object(obj))
}

/// `138 0013 8000`, `138-0013-8000` and `+86 13800138000` are the number `13800138000`.
fn normalize_phone(p: &str) -> String {
    let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    digits
        .strip_prefix("+86")
        .map(str::to_owned)
        .unwrap_or(digits)
}

/// Writes a field's JSON value as the cell `parse_cell` reads back to the same value.
pub fn render_cell(col: &Column, v: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let label = |c: Choice, v: &Value| {
        let id = v.as_str().unwrap_or_default();
        choices(c)
            .into_iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| id.to_owned(), |(_, zh)| zh.to_owned())
    };
    let list = |v: &Value, f: &dyn Fn(&Value) -> String| {
        v.as_array()
            .map(|a| a.iter().map(f).collect::<Vec<_>>().join("；"))
            .unwrap_or_default()
    };
    match col.cell {
        Cell::Text => s(v),
        Cell::Choice(c) => label(c, v),
        Cell::Time => v
            .as_str()
            .and_then(Timestamp::parse_rfc3339)
            .map(render_time)
            .unwrap_or_default(),
        Cell::Number | Cell::Count => match v {
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        },
        Cell::Flag => match v.as_bool() {
            Some(true) => "是".into(),
            Some(false) => "否".into(),
            None => String::new(),
        },
        Cell::List | Cell::RecordIds => list(v, &s),
        Cell::Volunteers => list(v, &|p| {
            format!(
                "{}({})",
                s(&p["name"]),
                label(Choice::LegalRole, &p["legal_role"])
            )
        }),
        Cell::Parties => list(v, &|p| {
            let mut parts = vec![label(Choice::PartyRole, &p["role"])];
            for k in ["phone", "id_number"] {
                if let Some(x) = p.get(k).and_then(Value::as_str) {
                    parts.push(x.to_owned());
                }
            }
            format!("{}({})", s(&p["name"]), parts.join(","))
        }),
    }
}

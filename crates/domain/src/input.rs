//! JSON in and out of records. A record is one flat JSON object: the common fields, `kind`, and
//! the kind's own fields. This module splits that object by hand (serde's `flatten` would lose
//! `deny_unknown_fields` and the error path), so that every parse failure becomes a `FieldError`
//! naming the field: a typo such as `sumary` is refused, never silently dropped.
//!
//! Three entry points: a whole record (`record_from_json`), a draft typed by a user
//! (`parse_draft`: no id, no timestamps), and a partial edit as an RFC 7386 merge patch
//! (`apply_patch`), which may not touch the immutable or store-maintained fields; and a workflow
//! action as submitted (`parse_action`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::SCHEMA_VERSION;
use crate::enums::RecordKind;
use crate::error::{ErrorCode, FieldError, ValidationErrors};
use crate::ids::{GridId, RecordId};
use crate::record::*;
use crate::time::Timestamp;

/// Keys of `RecordMeta`, which live beside `kind` and the body's keys in the flat object (and at
/// the root of a record's document).
pub(crate) const META_KEYS: [&str; 7] = [
    "id",
    "schema_version",
    "grid_id",
    "created_by",
    "created_at",
    "updated_at",
    "deleted_at",
];
/// Keys a patch may not set: fixed at creation, maintained by the store, or moved only by
/// workflow actions (a dispute's status and events).
const PATCH_FORBIDDEN: [&str; 10] = [
    "id",
    "kind",
    "schema_version",
    "created_by",
    "created_at",
    "updated_at",
    "deleted_at",
    "status",
    "initial_status",
    "workflow",
];
/// Keys of a dispute that only workflow actions write: a draft may not carry them.
const WORKFLOW_KEYS: [&str; 2] = ["initial_status", "workflow"];

/// A record as the user typed it, before the store gives it an id and timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordDraft {
    pub grid_id: GridId,
    pub body: RecordBody,
}

impl RecordDraft {
    pub fn into_record(self, id: RecordId, created_by: &str, now: Timestamp) -> Record {
        Record {
            meta: RecordMeta {
                id,
                schema_version: SCHEMA_VERSION,
                grid_id: self.grid_id,
                created_by: created_by.to_owned(),
                created_at: now,
                updated_at: now,
                deleted_at: None,
            },
            body: self.body,
        }
    }
}

pub fn record_to_json(r: &Record) -> Value {
    let mut obj = match serde_json::to_value(&r.meta) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    obj.insert("kind".into(), Value::String(r.kind().as_str().into()));
    let body = match &r.body {
        RecordBody::PatrolVisit(v) => serde_json::to_value(v),
        RecordBody::LegalEducation(v) => serde_json::to_value(v),
        RecordBody::Dispute(v) => serde_json::to_value(v),
    };
    if let Ok(Value::Object(b)) = body {
        obj.extend(b);
    }
    Value::Object(obj)
}

/// Parses a whole record (as exported, or as stored by another implementation).
pub fn record_from_json(v: Value) -> Result<Record, ValidationErrors> {
    let mut obj = into_object(v)?;
    let kind = take_kind(&mut obj)?;
    let mut meta = Map::new();
    for k in META_KEYS {
        if let Some(v) = obj.remove(k) {
            meta.insert(k.into(), v);
        }
    }
    let meta: RecordMeta = from_value(Value::Object(meta), "")?;
    let body = body_from_json(kind, obj)?;
    Ok(Record { meta, body })
}

/// Parses what a user submits to create a record: `kind`, `grid_id` and the kind's fields.
pub fn parse_draft(v: Value) -> Result<RecordDraft, ValidationErrors> {
    let mut obj = into_object(v)?;
    let kind = take_kind(&mut obj)?;
    let mut errors = Vec::new();
    for k in META_KEYS
        .iter()
        .filter(|k| **k != "grid_id")
        .chain(&WORKFLOW_KEYS)
    {
        if obj.remove(*k).is_some() {
            errors.push(assigned_by_app(k));
        }
    }
    let grid = obj.remove("grid_id");
    let grid_id = match grid {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                ErrorCode::Required,
                "grid_id",
                "请选择网格",
                "choose a grid",
            ));
            None
        }
        Some(g) => match from_value::<GridId>(g, "grid_id") {
            Ok(g) => Some(g),
            Err(e) => {
                errors.extend(e.0);
                None
            }
        },
    };
    let body = match body_from_json(kind, obj) {
        Ok(b) => Some(b),
        Err(e) => {
            errors.extend(e.0);
            None
        }
    };
    match (grid_id, body) {
        (Some(grid_id), Some(body)) if errors.is_empty() => Ok(RecordDraft { grid_id, body }),
        _ => Err(ValidationErrors(errors)),
    }
}

/// Parses a workflow action as a user submits it (`{action, details}`, the app's action forms,
/// the console): a failure names the field (`action`, `details.<name>`), an unknown key is
/// `unknown_field`. Whether the action is allowed is the workflow's business, not this one's.
pub fn parse_action(v: Value) -> Result<crate::workflow::ActionRequest, ValidationErrors> {
    into_object(v).and_then(|o| from_value(Value::Object(o), ""))
}

/// Applies an RFC 7386 merge patch to `r` and parses the result. Fields that are fixed at creation
/// or maintained by the store are refused with `immutable_field`.
pub fn apply_patch(r: &Record, patch: &Value) -> Result<Record, ValidationErrors> {
    let Value::Object(p) = patch else {
        return Err(ValidationErrors::single(FieldError::new(
            ErrorCode::InvalidJson,
            "",
            "修改内容必须是一个 JSON 对象",
            "a patch must be a JSON object",
        )));
    };
    let forbidden: Vec<FieldError> = p
        .keys()
        .filter(|k| PATCH_FORBIDDEN.contains(&k.as_str()))
        .map(|k| {
            FieldError::new(
                ErrorCode::ImmutableField,
                k.as_str(),
                "该字段不能修改",
                "this field cannot be changed",
            )
        })
        .collect();
    if !forbidden.is_empty() {
        return Err(ValidationErrors(forbidden));
    }
    let mut doc = record_to_json(r);
    merge_patch(&mut doc, patch);
    record_from_json(doc)
}

/// RFC 7386: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// Fields each kind cannot do without (the rest have defaults). Checked before serde, which would
/// name only the first one missing: a form shows every missing field at once.
fn required_keys(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::PatrolVisit => &["visited_at", "subject_kind", "findings"],
        RecordKind::LegalEducation => &["held_at", "topic", "format"],
        RecordKind::Dispute => &[
            "reported_at",
            "source",
            "dispute_category",
            "summary",
            "risk_level",
        ],
    }
}

fn body_from_json(
    kind: RecordKind,
    obj: Map<String, Value>,
) -> Result<RecordBody, ValidationErrors> {
    let missing: Vec<FieldError> = required_keys(kind)
        .iter()
        .filter(|k| obj.get(**k).is_none_or(Value::is_null))
        .map(|k| {
            FieldError::new(
                ErrorCode::Required,
                *k,
                "必填项不能为空",
                "this field is required",
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(ValidationErrors(missing));
    }
    let v = Value::Object(obj);
    Ok(match kind {
        RecordKind::PatrolVisit => RecordBody::PatrolVisit(from_value(v, "")?),
        RecordKind::LegalEducation => RecordBody::LegalEducation(from_value(v, "")?),
        RecordKind::Dispute => RecordBody::Dispute(normalized(from_value(v, "")?)),
    })
}

/// Phone and ID numbers in their canonical form, whatever spacing the user typed
/// (`rules::normalize_phone`, `rules::normalize_id_number`), and the status derived from the
/// workflow. JSON written before the workflow existed has only `status`: that is where such a
/// dispute started (`initial_status`), and with no events it is also where it stands.
fn normalized(mut d: Dispute) -> Dispute {
    if d.workflow.is_empty() && d.initial_status == crate::enums::DisputeStatus::Reported {
        d.initial_status = d.status;
    }
    d.refresh_status();
    for p in &mut d.parties {
        p.phone = p.phone.as_deref().map(crate::rules::normalize_phone);
        p.id_number = p
            .id_number
            .as_deref()
            .map(crate::rules::normalize_id_number);
    }
    d
}

fn into_object(v: Value) -> Result<Map<String, Value>, ValidationErrors> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(ValidationErrors::single(FieldError::new(
            ErrorCode::InvalidJson,
            "",
            "记录必须是一个 JSON 对象",
            "a record must be a JSON object",
        ))),
    }
}

fn take_kind(obj: &mut Map<String, Value>) -> Result<RecordKind, ValidationErrors> {
    let allowed = RecordKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match obj.remove("kind") {
        None | Some(Value::Null) => Err(ValidationErrors::single(FieldError::new(
            ErrorCode::Required,
            "kind",
            format!("缺少记录类型（{allowed}）"),
            format!("the record kind is required ({allowed})"),
        ))),
        Some(Value::String(s)) => RecordKind::parse(&s).ok_or_else(|| {
            ValidationErrors::single(FieldError::new(
                ErrorCode::InvalidValue,
                "kind",
                format!("未知的记录类型“{s}”，可选：{allowed}"),
                format!("unknown record kind `{s}`; expected one of {allowed}"),
            ))
        }),
        Some(_) => Err(ValidationErrors::single(FieldError::new(
            ErrorCode::InvalidType,
            "kind",
            "记录类型应为字符串",
            "kind must be a string",
        ))),
    }
}

fn assigned_by_app(k: &str) -> FieldError {
    FieldError::new(
        ErrorCode::ImmutableField,
        k,
        "该字段由应用自动生成，不能填写",
        "this field is assigned by the app and cannot be supplied",
    )
}

/// Deserializes with the failing path kept, and turns serde's message into a typed `FieldError`.
fn from_value<T: DeserializeOwned>(v: Value, prefix: &str) -> Result<T, ValidationErrors> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let path = match (prefix.is_empty(), path.is_empty()) {
            (true, _) => path,
            (false, true) => prefix.to_owned(),
            (false, false) => format!("{prefix}.{path}"),
        };
        ValidationErrors::single(serde_message_to_error(&path, &e.into_inner().to_string()))
    })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn backticked(msg: &str) -> &str {
    msg.split('`').nth(1).unwrap_or("")
}

fn serde_message_to_error(path: &str, msg: &str) -> FieldError {
    if msg.starts_with("missing field") {
        FieldError::new(
            ErrorCode::Required,
            join(path, backticked(msg)),
            "必填项不能为空",
            "this field is required",
        )
    } else if msg.starts_with("unknown field") {
        // serde_path_to_error already ends the path with the unknown key.
        let f = backticked(msg);
        FieldError::new(
            ErrorCode::UnknownField,
            path,
            format!("未知字段“{f}”"),
            format!("unknown field `{f}`"),
        )
    } else if msg.starts_with("unknown variant") {
        let expected = msg.split_once("expected ").map(|x| x.1).unwrap_or("");
        FieldError::new(
            ErrorCode::InvalidValue,
            path,
            format!("取值“{}”无效，可选：{expected}", backticked(msg)),
            format!(
                "invalid value `{}`; {}",
                backticked(msg),
                msg.split_once(", ").map(|x| x.1).unwrap_or(msg)
            ),
        )
    } else if msg.starts_with("invalid grid id") {
        FieldError::new(
            ErrorCode::InvalidGridId,
            path,
            "网格编号无效：只能包含小写字母、数字和连字符，最多 64 个字符",
            msg,
        )
    } else if msg.starts_with("invalid type") {
        FieldError::new(
            ErrorCode::InvalidType,
            path,
            format!("类型不正确：{msg}"),
            msg,
        )
    } else {
        FieldError::new(
            ErrorCode::InvalidValue,
            path,
            format!("取值无效：{msg}"),
            msg,
        )
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        record_to_json(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        record_from_json(v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;

//! The validation rules shared by the client and the sync server. `validate_record` checks one
//! whole record against `now` (passed in: rules never read the clock); `validate_update` adds what
//! may change between two versions of one record. Rules collect every failure, in field order,
//! rather than stopping at the first, so that a form can show all its errors at once.

mod chars;
mod ids;
mod text;

use crate::SCHEMA_VERSION;
use crate::enums::DisputeStatus;
use crate::error::{ErrorCode, FieldError, ValidationErrors};
use crate::record::*;
use crate::time::Timestamp;

pub use chars::{first_forbidden_char, is_always_refused};
pub use ids::{is_valid_id_number, is_valid_mobile};
pub use text::{TextRule, check_text, invalid_character};

/// Earliest accepted date for anything that happened: 2000-01-01T00:00:00Z.
pub const EARLIEST: i64 = 946_684_800_000;
/// How far ahead of the device clock an event date may be (clock skew, time zones): one day.
pub const FUTURE_SLACK_MS: i64 = 24 * 3600 * 1000;
/// How far ahead a follow-up may be scheduled: about five years.
pub const MAX_FOLLOW_UP_MS: i64 = 5 * 366 * 24 * 3600 * 1000;
use crate::rules::{
    ADDRESS, FINDINGS, LIST_ITEM, NOTES, PARTY_NAME, SUBJECT_NAME, SUMMARY, TOPIC, USER_NAME,
    VOLUNTEER_NAME,
};
pub use crate::rules::{MAX_ACCURACY_M, MAX_AUDIENCE, MAX_LIST};

/// Checks a whole record. `now` is the validating side's clock.
pub fn validate_record(r: &Record, now: Timestamp) -> Result<(), ValidationErrors> {
    let mut e = Vec::new();
    let m = &r.meta;
    if m.schema_version != SCHEMA_VERSION {
        e.push(FieldError::new(
            ErrorCode::UnsupportedSchemaVersion,
            "schema_version",
            format!(
                "不支持的数据版本 {}（本应用支持 {}），请更新应用",
                m.schema_version, SCHEMA_VERSION
            ),
            format!(
                "schema version {} is not supported (this build reads {}); update the app",
                m.schema_version, SCHEMA_VERSION
            ),
        ));
    }
    check_text(&mut e, "created_by", &m.created_by, USER_NAME);
    if m.updated_at < m.created_at {
        e.push(date_order("updated_at", "created_at"));
    }
    if let Some(d) = m.deleted_at
        && d < m.created_at
    {
        e.push(date_order("deleted_at", "created_at"));
    }
    match &r.body {
        RecordBody::PatrolVisit(v) => patrol_visit(&mut e, v, now),
        RecordBody::LegalEducation(x) => legal_education(&mut e, x, now),
        RecordBody::Dispute(d) => dispute(&mut e, d, now),
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(e))
    }
}

/// Checks a new version of a record against the one it replaces: the immutable fields stay, and a
/// dispute's status moves only along the closed loop.
pub fn validate_update(old: &Record, new: &Record, now: Timestamp) -> Result<(), ValidationErrors> {
    let mut e = match validate_record(new, now) {
        Ok(()) => Vec::new(),
        Err(v) => v.0,
    };
    let immutable = |field: &str| {
        FieldError::new(
            ErrorCode::ImmutableField,
            field,
            "该字段创建后不能修改",
            "this field cannot change after the record is created",
        )
    };
    if old.meta.id != new.meta.id {
        e.push(immutable("id"));
    }
    if old.kind() != new.kind() {
        e.push(immutable("kind"));
    }
    if old.meta.created_by != new.meta.created_by {
        e.push(immutable("created_by"));
    }
    if old.meta.created_at != new.meta.created_at {
        e.push(immutable("created_at"));
    }
    // A record belongs to exactly one grid for life: access is decided per grid, and a device in
    // the new grid would otherwise lack the record's earlier history.
    if old.meta.grid_id != new.meta.grid_id {
        e.push(immutable("grid_id"));
    }
    if let (RecordBody::Dispute(a), RecordBody::Dispute(b)) = (&old.body, &new.body) {
        if a.initial_status != b.initial_status {
            e.push(immutable("status"));
        }
        if let Err(f) = crate::workflow::verify::check_append_only(&a.workflow, &b.workflow) {
            e.push(f);
        }
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(e))
    }
}

/// Checks what only a brand-new record must satisfy: a dispute starts as `reported`.
pub fn validate_new(r: &Record, now: Timestamp) -> Result<(), ValidationErrors> {
    let mut e = match validate_record(r, now) {
        Ok(()) => Vec::new(),
        Err(v) => v.0,
    };
    if let RecordBody::Dispute(d) = &r.body
        && d.initial_status != DisputeStatus::Reported
    {
        e.push(FieldError::new(
            ErrorCode::InvalidStatus,
            "status",
            "新上报的纠纷状态必须为“已上报”",
            "a new dispute must start as `reported`",
        ));
    }
    if e.is_empty() {
        Ok(())
    } else {
        Err(ValidationErrors(e))
    }
}

fn patrol_visit(e: &mut Vec<FieldError>, v: &PatrolVisit, now: Timestamp) {
    event_date(e, "visited_at", v.visited_at, now);
    location(e, "location", v.location.as_ref());
    check_text(e, "address", v.address.as_deref().unwrap_or(""), ADDRESS);
    check_text(
        e,
        "subject_name",
        v.subject_name.as_deref().unwrap_or(""),
        SUBJECT_NAME,
    );
    check_text(e, "findings", &v.findings, FINDINGS);
    list_len(e, "hazards", v.hazards.len());
    for (i, h) in v.hazards.iter().enumerate() {
        check_text(e, &format!("hazards[{i}]"), h, LIST_ITEM);
    }
    if let Some(due) = v.follow_up_due_at {
        if !v.follow_up_needed {
            e.push(FieldError::new(
                ErrorCode::InvalidValue,
                "follow_up_due_at",
                "未勾选“需要跟进”时不能填写跟进期限",
                "a follow-up date needs follow_up_needed to be true",
            ));
        }
        if due < v.visited_at {
            e.push(date_order("follow_up_due_at", "visited_at"));
        } else if due.millis() > now.millis().saturating_add(MAX_FOLLOW_UP_MS) {
            e.push(FieldError::new(
                ErrorCode::OutOfRange,
                "follow_up_due_at",
                "跟进期限不能超过五年",
                "a follow-up cannot be more than five years ahead",
            ));
        }
    }
    volunteers(e, "volunteers", &v.volunteers);
    list_len(e, "dispute_ids", v.dispute_ids.len());
}

fn legal_education(e: &mut Vec<FieldError>, x: &LegalEducation, now: Timestamp) {
    event_date(e, "held_at", x.held_at, now);
    check_text(e, "topic", &x.topic, TOPIC);
    location(e, "location", x.location.as_ref());
    check_text(e, "address", x.address.as_deref().unwrap_or(""), ADDRESS);
    if x.audience_count > MAX_AUDIENCE {
        e.push(FieldError::new(
            ErrorCode::OutOfRange,
            "audience_count",
            format!("受众人数不能超过 {MAX_AUDIENCE}"),
            format!("audience count must be at most {MAX_AUDIENCE}"),
        ));
    }
    volunteers(e, "speakers", &x.speakers);
    list_len(e, "materials", x.materials.len());
    for (i, m) in x.materials.iter().enumerate() {
        check_text(e, &format!("materials[{i}]"), m, LIST_ITEM);
    }
    check_text(e, "notes", &x.notes, NOTES);
}

fn dispute(e: &mut Vec<FieldError>, d: &Dispute, now: Timestamp) {
    event_date(e, "reported_at", d.reported_at, now);
    location(e, "location", d.location.as_ref());
    check_text(e, "address", d.address.as_deref().unwrap_or(""), ADDRESS);
    list_len(e, "parties", d.parties.len());
    for (i, p) in d.parties.iter().enumerate() {
        check_text(
            e,
            &format!("parties[{i}].name"),
            p.name.as_deref().unwrap_or(""),
            PARTY_NAME,
        );
        if let Some(phone) = &p.phone
            && !is_valid_mobile(phone)
        {
            e.push(FieldError::new(
                ErrorCode::InvalidPhone,
                format!("parties[{i}].phone"),
                "手机号码格式不正确：应为以 13-19 开头的 11 位数字",
                "not a mainland mobile number: 11 digits starting with 13-19",
            ));
        }
        if let Some(id) = &p.id_number
            && !is_valid_id_number(id)
        {
            e.push(FieldError::new(
                ErrorCode::InvalidIdNumber,
                format!("parties[{i}].id_number"),
                "身份证号码无效：应为 18 位，出生日期有效且校验位正确",
                "not a valid resident ID number: 18 characters, a real birth date and a correct check digit",
            ));
        }
    }
    check_text(e, "summary", &d.summary, SUMMARY);
}

fn volunteers(e: &mut Vec<FieldError>, field: &str, list: &[LegalVolunteer]) {
    list_len(e, field, list.len());
    for (i, v) in list.iter().enumerate() {
        check_text(e, &format!("{field}[{i}].name"), &v.name, VOLUNTEER_NAME);
    }
}

fn list_len(e: &mut Vec<FieldError>, field: &str, len: usize) {
    if len > MAX_LIST {
        e.push(FieldError::new(
            ErrorCode::TooMany,
            field,
            format!("最多 {MAX_LIST} 项"),
            format!("at most {MAX_LIST} items"),
        ));
    }
}

fn event_date(e: &mut Vec<FieldError>, field: &str, t: Timestamp, now: Timestamp) {
    if t.millis() < EARLIEST {
        e.push(FieldError::new(
            ErrorCode::DateTooOld,
            field,
            "日期不能早于 2000 年",
            "the date cannot be before the year 2000",
        ));
    } else if t.millis() > now.millis().saturating_add(FUTURE_SLACK_MS) {
        e.push(FieldError::new(
            ErrorCode::DateInFuture,
            field,
            "日期不能晚于明天：请检查日期和手机时间",
            "the date cannot be later than tomorrow: check the date and the phone's clock",
        ));
    }
}

fn location(e: &mut Vec<FieldError>, field: &str, loc: Option<&Location>) {
    let Some(l) = loc else { return };
    let bad = |sub: &str, zh: &str, en: &str| {
        FieldError::new(
            ErrorCode::InvalidCoordinate,
            format!("{field}.{sub}"),
            zh,
            en,
        )
    };
    if !(l.lat.is_finite() && (-90.0..=90.0).contains(&l.lat)) {
        e.push(bad(
            "lat",
            "纬度应在 -90 到 90 之间",
            "latitude must be between -90 and 90",
        ));
    }
    if !(l.lon.is_finite() && (-180.0..=180.0).contains(&l.lon)) {
        e.push(bad(
            "lon",
            "经度应在 -180 到 180 之间",
            "longitude must be between -180 and 180",
        ));
    }
    if let Some(a) = l.accuracy_m
        && !(a.is_finite() && (0.0..=MAX_ACCURACY_M).contains(&a))
    {
        e.push(bad(
            "accuracy_m",
            "定位精度应在 0 到 100000 米之间",
            "accuracy must be between 0 and 100,000 metres",
        ));
    }
}

fn date_order(field: &str, before: &str) -> FieldError {
    FieldError::new(
        ErrorCode::DateOrder,
        field,
        format!("{field} 不能早于 {before}"),
        format!("{field} cannot be earlier than {before}"),
    )
}

#[cfg(test)]
mod tests;

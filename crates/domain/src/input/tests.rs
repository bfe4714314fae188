//! JSON input: drafts, whole records and merge patches, and the typed errors of bad input.
#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;
use crate::enums::*;
use crate::error::ErrorCode;

fn dispute_json() -> Value {
    json!({
        "kind": "dispute",
        "grid_id": "jingkou-zhengdonglu-03",
        "reported_at": "2026-11-28T09:30:00+08:00",
        "source": "hotline_12345",
        "dispute_category": "neighbour",
        "parties": [{"name": "张三", "role": "applicant", "phone": "13800138000"}],
        "summary": "楼上漏水，两户多次争执",
        "risk_level": "medium"
    })
}

#[test]
fn parses_a_draft_with_defaults() {
    let d = parse_draft(dispute_json()).unwrap();
    assert_eq!(d.grid_id.as_str(), "jingkou-zhengdonglu-03");
    let RecordBody::Dispute(x) = d.body else {
        panic!("kind")
    };
    assert_eq!(x.status, DisputeStatus::Reported);
    assert_eq!(x.source, DisputeSource::Hotline12345);
    assert_eq!(x.parties[0].id_number, None);
    assert_eq!(x.reported_at.to_rfc3339(), "2026-11-28T01:30:00.000Z");
}

#[test]
fn typed_errors_for_bad_drafts() {
    let check = |mutate: &dyn Fn(&mut Value), field: &str, code: ErrorCode| {
        let mut v = dispute_json();
        mutate(&mut v);
        let e = parse_draft(v).unwrap_err();
        assert!(e.has(field, code), "expected {field}/{code:?}, got {e}");
    };
    check(
        &|v| v["sumary"] = json!("typo"),
        "sumary",
        ErrorCode::UnknownField,
    );
    check(
        &|v| {
            v.as_object_mut().unwrap().remove("summary");
        },
        "summary",
        ErrorCode::Required,
    );
    check(
        &|v| {
            v.as_object_mut().unwrap().remove("kind");
        },
        "kind",
        ErrorCode::Required,
    );
    check(
        &|v| v["kind"] = json!("visit"),
        "kind",
        ErrorCode::InvalidValue,
    );
    check(&|v| v["kind"] = json!(3), "kind", ErrorCode::InvalidType);
    check(
        &|v| v["risk_level"] = json!("extreme"),
        "risk_level",
        ErrorCode::InvalidValue,
    );
    check(
        &|v| v["grid_id"] = json!("Grid 3"),
        "grid_id",
        ErrorCode::InvalidGridId,
    );
    check(
        &|v| {
            v.as_object_mut().unwrap().remove("grid_id");
        },
        "grid_id",
        ErrorCode::Required,
    );
    check(
        &|v| v["reported_at"] = json!("yesterday"),
        "reported_at",
        ErrorCode::InvalidValue,
    );
    check(
        &|v| v["parties"][0]["role"] = json!("judge"),
        "parties[0].role",
        ErrorCode::InvalidValue,
    );
    check(
        &|v| v["parties"][0]["age"] = json!(3),
        "parties[0].age",
        ErrorCode::UnknownField,
    );
    check(
        &|v| v["parties"] = json!("张三"),
        "parties",
        ErrorCode::InvalidType,
    );
    check(
        &|v| v["id"] = json!("0193f0c0-0000-7000-8000-000000000000"),
        "id",
        ErrorCode::ImmutableField,
    );
    check(
        &|v| v["created_by"] = json!("me"),
        "created_by",
        ErrorCode::ImmutableField,
    );
    let e = parse_draft(json!([1, 2])).unwrap_err();
    assert!(e.has("", ErrorCode::InvalidJson));
}

#[test]
fn records_round_trip_through_json() {
    let d = parse_draft(dispute_json()).unwrap();
    let now = Timestamp::parse_rfc3339("2026-11-28T02:00:00Z").unwrap();
    let r = d.into_record(RecordId::new_v7(), "wang.wei", now);
    let v = record_to_json(&r);
    assert_eq!(v["kind"], "dispute");
    assert_eq!(v["deleted_at"], Value::Null);
    assert_eq!(record_from_json(v.clone()).unwrap(), r);
    let via_serde: Record = serde_json::from_value(v).unwrap();
    assert_eq!(via_serde, r);
}

#[test]
fn patches_merge_and_refuse_immutables() {
    let now = Timestamp::parse_rfc3339("2026-11-28T02:00:00Z").unwrap();
    let r = parse_draft(dispute_json())
        .unwrap()
        .into_record(RecordId::new_v7(), "wang.wei", now);
    let p = apply_patch(&r, &json!({"risk_level": "high", "address": "正东路1号"})).unwrap();
    let RecordBody::Dispute(d) = &p.body else {
        panic!()
    };
    assert_eq!(d.risk_level, RiskLevel::High);
    assert_eq!(d.address.as_deref(), Some("正东路1号"));
    assert_eq!(d.summary, "楼上漏水，两户多次争执");
    // null removes an optional field; removing a required one is `required`.
    let p2 = apply_patch(&p, &json!({"address": null})).unwrap();
    let RecordBody::Dispute(d2) = &p2.body else {
        panic!()
    };
    assert_eq!(d2.address, None);
    assert!(
        apply_patch(&r, &json!({"summary": null}))
            .unwrap_err()
            .has("summary", ErrorCode::Required)
    );
    let e = apply_patch(
        &r,
        &json!({"id": "x", "created_by": "y", "kind": "patrol_visit"}),
    )
    .unwrap_err();
    assert_eq!(e.0.len(), 3);
    assert!(e.0.iter().all(|f| f.code == ErrorCode::ImmutableField));
    assert!(
        apply_patch(&r, &json!("x"))
            .unwrap_err()
            .has("", ErrorCode::InvalidJson)
    );
    assert!(
        apply_patch(&r, &json!({"sumary": "x"}))
            .unwrap_err()
            .has("sumary", ErrorCode::UnknownField)
    );
}

#[test]
fn every_missing_required_field_is_reported_at_once() {
    let e = parse_draft(json!({"kind": "patrol_visit", "grid_id": "jingkou-zhengdonglu-03"}))
        .unwrap_err();
    assert_eq!(
        e.codes(),
        vec![
            ("visited_at", ErrorCode::Required),
            ("subject_kind", ErrorCode::Required),
            ("findings", ErrorCode::Required)
        ]
    );
    let e = parse_draft(
        json!({"kind": "legal_education", "grid_id": "jingkou-zhengdonglu-03", "topic": null}),
    )
    .unwrap_err();
    assert_eq!(e.0.len(), 3);
}

//! Every rule with a passing and a failing case.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::enums::*;
use crate::fixtures::{self, Rng};
use crate::ids::RecordId;

const NOW: i64 = 1_795_000_000_000; // 2026-11-18

fn now() -> Timestamp {
    Timestamp::from_millis(NOW).unwrap()
}

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms).unwrap()
}

/// A valid record of `kind`, from the fixture generator.
fn valid(kind: RecordKind) -> Record {
    let mut rng = Rng::new(7);
    loop {
        let r = fixtures::record(
            &mut rng,
            fixtures::grid_id(3),
            at(NOW - 3_600_000),
            "wang.wei",
        );
        if r.kind() == kind {
            return r;
        }
    }
}

fn errs(r: &Record) -> ValidationErrors {
    validate_record(r, now()).expect_err("the record should be refused")
}

fn patrol(f: impl FnOnce(&mut PatrolVisit)) -> Record {
    let mut r = valid(RecordKind::PatrolVisit);
    if let RecordBody::PatrolVisit(v) = &mut r.body {
        f(v);
    }
    r
}

fn education(f: impl FnOnce(&mut LegalEducation)) -> Record {
    let mut r = valid(RecordKind::LegalEducation);
    if let RecordBody::LegalEducation(v) = &mut r.body {
        f(v);
    }
    r
}

fn dispute(f: impl FnOnce(&mut Dispute)) -> Record {
    let mut r = valid(RecordKind::Dispute);
    if let RecordBody::Dispute(v) = &mut r.body {
        f(v);
    }
    r
}

#[test]
fn fixtures_are_valid() {
    for k in RecordKind::ALL {
        validate_new(&valid(*k), now()).unwrap();
    }
    let mut rng = Rng::new(1);
    for i in 0..300 {
        let r = fixtures::record(
            &mut rng,
            fixtures::grid_id(i),
            at(NOW - i64::from(i) * 1000),
            "u",
        );
        validate_new(&r, now()).unwrap();
    }
}

#[test]
fn mobile_numbers() {
    for ok in ["13800138000", "19912345678", "15000000000"] {
        assert!(is_valid_mobile(ok), "{ok}");
    }
    for bad in [
        "12800138000",
        "1380013800",
        "138001380001",
        "+8613800138000",
        "1380013800a",
        "",
        "23800138000",
    ] {
        assert!(!is_valid_mobile(bad), "{bad}");
    }
    let r = dispute(|d| d.parties[0].phone = Some("12345".into()));
    assert!(errs(&r).has("parties[0].phone", ErrorCode::InvalidPhone));
    validate_record(
        &dispute(|d| d.parties[0].phone = Some("13912345678".into())),
        now(),
    )
    .unwrap();
}

#[test]
fn id_numbers_check_digit() {
    // Good check digits (computed by GB 11643), including an X.
    for ok in [
        "11010519491231002X",
        "320102199003071239",
        "440304198512120031",
        "321102197001010020",
        "11010519491231002x",
    ] {
        assert!(is_valid_id_number(ok), "{ok}");
    }
    for bad in [
        "110105194912310021", // wrong check digit
        "320102199003071236", // wrong check digit
        "440304198512120032", // wrong check digit
        "440524188001010014", // right check digit, born 1880: not a living resident
        "32010219900307123",  // 17 characters
        "320102199013071236", // month 13 (check digit irrelevant)
        "320102199002301231", // 30 February
        "020102199003071236", // region cannot start with 0
        "32010219900307123Y",
        "",
    ] {
        assert!(!is_valid_id_number(bad), "{bad}");
    }
    let r = dispute(|d| d.parties[0].id_number = Some("320102199003071236".into()));
    assert!(errs(&r).has("parties[0].id_number", ErrorCode::InvalidIdNumber));
    validate_record(
        &dispute(|d| d.parties[0].id_number = Some("11010519491231002X".into())),
        now(),
    )
    .unwrap();
}

#[test]
fn check_digit_matches_its_definition() {
    // 17 digits of 0 give a weighted sum of 0 -> check char '1'.
    assert_eq!(ids::id_check_char(b"00000000000000000"), Some(b'1'));
    assert_eq!(ids::id_check_char(b"1101051949123100"), None);
}

#[test]
fn required_text_and_length() {
    assert!(errs(&patrol(|v| v.findings = "  ".into())).has("findings", ErrorCode::Required));
    assert!(errs(&dispute(|d| d.summary = String::new())).has("summary", ErrorCode::Required));
    assert!(errs(&education(|e| e.topic = String::new())).has("topic", ErrorCode::Required));
    let long = "纠".repeat(5001);
    assert!(errs(&dispute(|d| d.summary = long)).has("summary", ErrorCode::TooLong));
    validate_record(&dispute(|d| d.summary = "纠".repeat(5000)), now()).unwrap();
    assert!(
        errs(&patrol(|v| v.address = Some("路".repeat(201)))).has("address", ErrorCode::TooLong)
    );
    assert!(
        errs(&patrol(|v| v.hazards = vec![String::new()])).has("hazards[0]", ErrorCode::Required)
    );
    let mut r = valid(RecordKind::Dispute);
    r.meta.created_by = String::new();
    assert!(errs(&r).has("created_by", ErrorCode::Required));
}

#[test]
fn control_characters() {
    assert!(
        errs(&patrol(|v| v.subject_name = Some("王\u{0}五".into())))
            .has("subject_name", ErrorCode::InvalidCharacters)
    );
    // Line breaks are fine in long text, not in short fields.
    validate_record(&patrol(|v| v.findings = "第一行\n第二行".into()), now()).unwrap();
    assert!(
        errs(&education(|e| e.topic = "a\nb".into())).has("topic", ErrorCode::InvalidCharacters)
    );
}

#[test]
fn list_sizes() {
    let many = vec!["消防通道堵塞".to_string(); MAX_LIST + 1];
    assert!(errs(&patrol(|v| v.hazards = many)).has("hazards", ErrorCode::TooMany));
    validate_record(
        &patrol(|v| v.hazards = vec!["隐患".into(); MAX_LIST]),
        now(),
    )
    .unwrap();
    let vol = LegalVolunteer {
        name: "李律师".into(),
        legal_role: LegalRole::Lawyer,
    };
    assert!(
        errs(&education(|e| e.speakers = vec![vol.clone(); MAX_LIST + 1]))
            .has("speakers", ErrorCode::TooMany)
    );
    let nameless = LegalVolunteer {
        name: String::new(),
        ..vol
    };
    assert!(
        errs(&patrol(|v| v.volunteers = vec![nameless]))
            .has("volunteers[0].name", ErrorCode::Required)
    );
    assert!(
        errs(&patrol(
            |v| v.dispute_ids = vec![RecordId::new_v7(); MAX_LIST + 1]
        ))
        .has("dispute_ids", ErrorCode::TooMany)
    );
}

#[test]
fn dates() {
    let tomorrow_plus = at(NOW + FUTURE_SLACK_MS + 1);
    assert!(
        errs(&patrol(|v| v.visited_at = tomorrow_plus)).has("visited_at", ErrorCode::DateInFuture)
    );
    validate_record(&patrol(|v| v.visited_at = at(NOW + FUTURE_SLACK_MS)), now()).unwrap();
    assert!(
        errs(&dispute(|d| d.reported_at = at(EARLIEST - 1)))
            .has("reported_at", ErrorCode::DateTooOld)
    );
    validate_record(&dispute(|d| d.reported_at = at(EARLIEST)), now()).unwrap();
    assert!(
        errs(&education(|e| e.held_at = at(NOW + 10 * FUTURE_SLACK_MS)))
            .has("held_at", ErrorCode::DateInFuture)
    );
    let mut r = valid(RecordKind::PatrolVisit);
    r.meta.updated_at = at(r.meta.created_at.millis() - 1);
    assert!(errs(&r).has("updated_at", ErrorCode::DateOrder));
}

#[test]
fn follow_up() {
    let ok = patrol(|v| {
        v.follow_up_needed = true;
        v.follow_up_due_at = Some(at(NOW + 7 * 86_400_000));
    });
    validate_record(&ok, now()).unwrap();
    let not_needed = patrol(|v| v.follow_up_due_at = Some(at(NOW + 86_400_000)));
    assert!(errs(&not_needed).has("follow_up_due_at", ErrorCode::InvalidValue));
    let before = patrol(|v| {
        v.follow_up_needed = true;
        v.follow_up_due_at = Some(at(v.visited_at.millis() - 1));
    });
    assert!(errs(&before).has("follow_up_due_at", ErrorCode::DateOrder));
    let far = patrol(|v| {
        v.follow_up_needed = true;
        v.follow_up_due_at = Some(at(NOW + MAX_FOLLOW_UP_MS + 1));
    });
    assert!(errs(&far).has("follow_up_due_at", ErrorCode::OutOfRange));
}

#[test]
fn coordinates() {
    let loc = |lat, lon, acc| {
        Some(Location {
            lat,
            lon,
            accuracy_m: acc,
        })
    };
    validate_record(
        &patrol(|v| v.location = loc(32.2, 119.45, Some(10.0))),
        now(),
    )
    .unwrap();
    validate_record(&patrol(|v| v.location = loc(-90.0, 180.0, None)), now()).unwrap();
    assert!(
        errs(&patrol(|v| v.location = loc(91.0, 119.0, None)))
            .has("location.lat", ErrorCode::InvalidCoordinate)
    );
    assert!(
        errs(&patrol(|v| v.location = loc(32.0, -181.0, None)))
            .has("location.lon", ErrorCode::InvalidCoordinate)
    );
    assert!(
        errs(&patrol(|v| v.location = loc(f64::NAN, 119.0, None)))
            .has("location.lat", ErrorCode::InvalidCoordinate)
    );
    assert!(
        errs(&patrol(|v| v.location = loc(32.0, 119.0, Some(-1.0))))
            .has("location.accuracy_m", ErrorCode::InvalidCoordinate)
    );
}

#[test]
fn audience() {
    validate_record(&education(|e| e.audience_count = MAX_AUDIENCE), now()).unwrap();
    assert!(
        errs(&education(|e| e.audience_count = MAX_AUDIENCE + 1))
            .has("audience_count", ErrorCode::OutOfRange)
    );
}

#[test]
fn schema_version() {
    let mut r = valid(RecordKind::Dispute);
    r.meta.schema_version = 99;
    assert!(errs(&r).has("schema_version", ErrorCode::UnsupportedSchemaVersion));
}

#[test]
fn new_disputes_start_reported() {
    let r = dispute(|d| {
        d.initial_status = DisputeStatus::Resolved;
        d.refresh_status();
    });
    validate_record(&r, now()).unwrap();
    assert!(
        validate_new(&r, now())
            .unwrap_err()
            .has("status", ErrorCode::InvalidStatus)
    );
}

#[test]
fn updates_keep_immutables_and_follow_the_loop() {
    let old = valid(RecordKind::Dispute);
    let event = crate::workflow::WorkflowEvent {
        id: "0193a000-0000-7000-8000-000000000001".into(),
        action: crate::WorkflowAction::Accept,
        by: "diao.du".into(),
        role: crate::Role::Dispatcher,
        by_unit: None,
        at: now(),
        details: Default::default(),
    };
    let mut accepted = old.clone();
    if let RecordBody::Dispute(d) = &mut accepted.body {
        d.workflow.push(event);
        d.refresh_status();
        assert_eq!(d.status, DisputeStatus::Accepted);
    }
    validate_update(&old, &accepted, now()).unwrap();
    // The status the document started in never changes ...
    let mut skip = old.clone();
    if let RecordBody::Dispute(d) = &mut skip.body {
        d.initial_status = DisputeStatus::Evaluated;
        d.refresh_status();
    }
    assert!(
        validate_update(&old, &skip, now())
            .unwrap_err()
            .has("status", ErrorCode::ImmutableField)
    );
    // ... and a recorded event is never removed.
    assert!(
        validate_update(&accepted, &old, now())
            .unwrap_err()
            .has("workflow[0]", ErrorCode::ImmutableField)
    );
    let mut moved = old.clone();
    moved.meta.created_by = "someone.else".into();
    moved.meta.id = RecordId::new_v7();
    let e = validate_update(&old, &moved, now()).unwrap_err();
    assert!(
        e.has("created_by", ErrorCode::ImmutableField) && e.has("id", ErrorCode::ImmutableField)
    );
    let mut regridded = old.clone();
    regridded.meta.grid_id = fixtures::grid_id(4);
    assert!(
        validate_update(&old, &regridded, now())
            .unwrap_err()
            .has("grid_id", ErrorCode::ImmutableField)
    );
    let other_kind = valid(RecordKind::PatrolVisit);
    let mut changed = other_kind.clone();
    changed.meta = old.meta.clone();
    assert!(
        validate_update(&old, &changed, now())
            .unwrap_err()
            .has("kind", ErrorCode::ImmutableField)
    );
}

#[test]
fn all_failures_are_reported_together() {
    let r = dispute(|d| {
        d.summary = String::new();
        d.parties[0].phone = Some("1".into());
        d.reported_at = at(NOW + 30 * FUTURE_SLACK_MS);
    });
    let e = errs(&r);
    assert_eq!(e.0.len(), 3, "{e}");
    for f in &e.0 {
        assert!(!f.message.zh_cn.is_empty() && !f.message.en.is_empty());
    }
}

/// Sets the text at a `rules` path (`a`, `a[]`, `a[].name`) of a record's JSON to `text`, making
/// a one-element list where the path goes through one.
fn set_text(v: &mut serde_json::Value, path: &str, text: &str) {
    let (key, rest) = path.split_once("[]").unwrap_or((path, ""));
    let element = match rest.strip_prefix('.') {
        None => serde_json::json!(text),
        Some(sub) => {
            // a list of people: a valid person whose `sub` is the text
            let mut p =
                serde_json::json!({"name": "王伟", "legal_role": "lawyer", "role": "applicant"});
            if key == "parties" {
                p.as_object_mut().unwrap().remove("legal_role");
            } else {
                p.as_object_mut().unwrap().remove("role");
            }
            p[sub] = serde_json::json!(text);
            p
        }
    };
    v[key] = if path.contains("[]") {
        serde_json::json!([element])
    } else {
        element
    };
}

#[test]
fn every_text_rule_of_the_rules_table_is_the_one_validation_applies() {
    for kind in RecordKind::ALL {
        for f in crate::rules::text_fields(*kind) {
            let field = f.path.replace("[]", "[0]");
            let mut json = crate::input::record_to_json(&valid(*kind));
            set_text(&mut json, f.path, &"字".repeat(f.rule.max_chars));
            let r = crate::input::record_from_json(json.clone()).unwrap();
            assert!(
                validate_record(&r, now()).is_ok(),
                "{kind} {field} at its limit"
            );

            set_text(&mut json, f.path, &"字".repeat(f.rule.max_chars + 1));
            let r = crate::input::record_from_json(json.clone()).unwrap();
            let errors = validate_record(&r, now()).unwrap_err().0;
            assert!(
                errors
                    .iter()
                    .any(|e| e.code == ErrorCode::TooLong && e.field == field),
                "{kind} {field} one over its limit: {errors:?}"
            );

            set_text(&mut json, f.path, " ");
            let r = crate::input::record_from_json(json).unwrap();
            let required = validate_record(&r, now()).err().is_some_and(|e| {
                e.0.iter()
                    .any(|e| e.code == ErrorCode::Required && e.field == field)
            });
            assert_eq!(required, f.rule.required, "{kind} {field} blank");
        }
    }
}

#[test]
fn a_draft_keeps_phone_and_id_numbers_in_their_canonical_form() {
    let draft = serde_json::json!({
        "kind": "dispute", "grid_id": "jingkou-zhengdonglu-03",
        "reported_at": "2026-11-18T08:00:00+08:00", "source": "field",
        "dispute_category": "neighbour", "summary": "噪音", "risk_level": "low",
        "parties": [{"role": "applicant", "phone": "+86 138-0013-8000", "id_number": "11010519491231002x"}]
    });
    let d = crate::input::parse_draft(draft).unwrap();
    let r = d.into_record(RecordId::new_v7(), "wang.wei", now());
    let RecordBody::Dispute(d) = &r.body else {
        panic!("a dispute")
    };
    assert_eq!(d.parties[0].phone.as_deref(), Some("13800138000"));
    assert_eq!(
        d.parties[0].id_number.as_deref(),
        Some("11010519491231002X")
    );
    assert!(validate_new(&r, now()).is_ok());
}

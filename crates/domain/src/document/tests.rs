//! Record <-> document: round trips for arbitrary valid records, minimal edits, concurrent edits
//! that merge to the same state in either order, and documents that do not fit the schema.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue};
use proptest::prelude::*;

use super::strategies::*;
use super::*;
use crate::enums::*;
use crate::error::ErrorCode;
use crate::ids::GridId;
use crate::record::*;
use crate::validate::validate_record;

/// Applies `f` to the body of `r` when it is a dispute, patrol visit or education (by kind).
fn edit(r: &Record, f: impl FnOnce(&mut RecordBody)) -> Record {
    let mut n = r.clone();
    f(&mut n.body);
    n
}

fn saved_and_loaded(doc: &mut AutoCommit) -> AutoCommit {
    AutoCommit::load(&doc.save()).unwrap()
}

proptest! {
    // Fewer cases than the default 256: records with lists at the schema's limit are large, and
    // the suite must stay quick in debug builds.
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn record_document_record_round_trips(r in record()) {
        prop_assert!(validate_record(&r, now()).is_ok(), "{:?}", validate_record(&r, now()));
        let mut doc = new_document(&r).unwrap();
        doc.commit();
        prop_assert_eq!(&read_record(&doc).unwrap(), &r);
        // ... also through the binary format any Automerge implementation loads.
        prop_assert_eq!(read_record(&saved_and_loaded(&mut doc)).unwrap(), r);
    }

    #[test]
    fn an_edit_to_any_record_round_trips((a, b) in record_and_edit()) {
        // Turning one record into another of its kind (same id, a body that differs) writes the
        // difference, and reading gives the new record back.
        let mut doc = new_document(&a).unwrap();
        doc.commit();
        let mut b_rec = a.clone();
        b_rec.body = b;
        // Workflow events are append-only: an edit keeps the old ones and may add some.
        if let (RecordBody::Dispute(old), RecordBody::Dispute(new)) = (&a.body, &mut b_rec.body) {
            let added: Vec<_> = new.workflow.iter().filter(|e| !old.workflow.iter().any(|o| o.id == e.id)).cloned().collect();
            new.workflow = old.workflow.iter().cloned().chain(added).collect();
            new.initial_status = old.initial_status;
            new.refresh_status();
        }
        prop_assert!(validate_record(&b_rec, now()).is_ok());
        write_changes(&mut doc, Some(&a), &b_rec).unwrap();
        prop_assert!(doc.commit().is_some(), "every edit case changes the document");
        prop_assert_eq!(read_record(&saved_and_loaded(&mut doc)).unwrap(), b_rec);
    }

    #[test]
    fn a_valid_id_number_passes_and_an_invalid_one_is_refused_at_its_field(
        r in dispute_record(), good in id_number(), bad in invalid_id_number(), at in 0..4usize,
    ) {
        let mut r = r;
        let RecordBody::Dispute(d) = &mut r.body else { unreachable!() };
        let party = Party { name: None, role: PartyRole::Other, phone: None, id_number: None };
        d.parties.truncate(3);
        d.parties.resize(4, party);
        d.parties[at].id_number = Some(good);
        prop_assert!(validate_record(&r, now()).is_ok(), "{:?}", validate_record(&r, now()));
        let RecordBody::Dispute(d) = &mut r.body else { unreachable!() };
        d.parties[at].id_number = Some(bad);
        let errors = validate_record(&r, now()).unwrap_err().0;
        let field = format!("parties[{at}].id_number");
        prop_assert_eq!(
            errors.iter().map(|e| (e.code, e.field.as_str())).collect::<Vec<_>>(),
            vec![(ErrorCode::InvalidIdNumber, field.as_str())]
        );
    }

    #[test]
    fn control_characters_are_refused_except_line_breaks_and_tabs_in_long_text(
        r in record(), c in control_char(), pre in short(), post in short(),
    ) {
        // The documented rule (validate/text.rs): no control character in any text, except line
        // feed, carriage return and tab in long free text. The document keeps whatever it is
        // given: refusing is validation's job, before anything is written.
        let text = format!("{pre}{c}{post}");
        let (short_field, long_field) = match r.kind() {
            RecordKind::PatrolVisit => ("subject_name", "findings"),
            RecordKind::LegalEducation => ("topic", "notes"),
            RecordKind::Dispute => ("address", "summary"),
        };
        let in_short = edit(&r, |b| match b {
            RecordBody::PatrolVisit(v) => v.subject_name = Some(text.clone()),
            RecordBody::LegalEducation(e) => e.topic = text.clone(),
            RecordBody::Dispute(d) => d.address = Some(text.clone()),
        });
        let errors = validate_record(&in_short, now()).unwrap_err().0;
        prop_assert_eq!(
            errors.iter().map(|e| (e.code, e.field.as_str())).collect::<Vec<_>>(),
            vec![(ErrorCode::InvalidCharacters, short_field)]
        );
        let in_long = edit(&r, |b| match b {
            RecordBody::PatrolVisit(v) => v.findings = text.clone(),
            RecordBody::LegalEducation(e) => e.notes = text.clone(),
            RecordBody::Dispute(d) => d.summary = text.clone(),
        });
        let verdict = validate_record(&in_long, now());
        if matches!(c, '\n' | '\r' | '\t') {
            prop_assert!(verdict.is_ok(), "{:?}", verdict);
        } else {
            let errors = verdict.unwrap_err().0;
            prop_assert_eq!(
                errors.iter().map(|e| (e.code, e.field.as_str())).collect::<Vec<_>>(),
                vec![(ErrorCode::InvalidCharacters, long_field)]
            );
        }
        for r in [in_short, in_long] {
            let mut doc = new_document(&r).unwrap();
            doc.commit();
            prop_assert_eq!(read_record(&saved_and_loaded(&mut doc)).unwrap(), r);
        }
    }

    #[test]
    fn concurrent_edits_converge_in_either_order(r in record(), s1 in long(), s2 in long(), n1 in short(), n2 in short()) {
        let mut base = new_document(&r).unwrap();
        base.commit();
        let mut a = base.fork().with_actor(ActorId::random());
        let mut b = base.fork().with_actor(ActorId::random());
        // Device A edits the free text and a scalar; device B edits the same text and another scalar
        // (and, for disputes, the same scalar too).
        // Two risk levels that differ from the original and from each other.
        let mut others = RiskLevel::ALL.iter().copied().filter(|l| Some(*l) != r.risk_level());
        let (risk_a, risk_b) = (others.next().unwrap(), others.next().unwrap());
        let ra = edit(&r, |body| match body {
            RecordBody::PatrolVisit(v) => { v.findings = format!("{}{s1}", v.findings); v.address = Some(n1.clone()); }
            RecordBody::LegalEducation(e) => { e.notes = format!("{s1}{}", e.notes); e.topic = n1.clone(); }
            RecordBody::Dispute(d) => { d.summary = format!("{}{s1}", d.summary); d.risk_level = risk_a; }
        });
        let rb = edit(&r, |body| match body {
            RecordBody::PatrolVisit(v) => { v.findings = format!("{s2}{}", v.findings); v.subject_name = Some(n2.clone()); }
            RecordBody::LegalEducation(e) => { e.notes = format!("{}{s2}", e.notes); e.audience_count += 1; }
            RecordBody::Dispute(d) => { d.summary = format!("{s2}{}", d.summary); d.risk_level = risk_b; d.address = Some(n2.clone()); }
        });
        write_changes(&mut a, Some(&r), &ra).unwrap();
        a.commit();
        write_changes(&mut b, Some(&r), &rb).unwrap();
        b.commit();
        let mut ab = a.fork();
        ab.merge(&mut b.fork()).unwrap();
        let mut ba = b.fork();
        ba.merge(&mut a.fork()).unwrap();
        let (x, y) = (read_record(&ab).unwrap(), read_record(&ba).unwrap());
        prop_assert_eq!(&x, &y);
        prop_assert_eq!(ab.get_heads(), ba.get_heads());
        // Both people's words are in the merged text.
        let text = match &x.body {
            RecordBody::PatrolVisit(v) => v.findings.clone(),
            RecordBody::LegalEducation(e) => e.notes.clone(),
            RecordBody::Dispute(d) => d.summary.clone(),
        };
        prop_assert!(text.contains(s1.as_str()) && text.contains(s2.as_str()), "merged text lost an edit: {}", text);
        // Edits to different fields both survive.
        match &x.body {
            RecordBody::PatrolVisit(v) => {
                prop_assert_eq!(v.address.as_deref(), Some(n1.as_str()));
                prop_assert_eq!(v.subject_name.as_deref(), Some(n2.as_str()));
            }
            RecordBody::LegalEducation(e) => {
                prop_assert_eq!(&e.topic, &n1);
                let RecordBody::LegalEducation(orig) = &r.body else { unreachable!() };
                prop_assert_eq!(e.audience_count, orig.audience_count + 1);
            }
            RecordBody::Dispute(d) => {
                prop_assert_eq!(d.address.as_deref(), Some(n2.as_str()));
                // The same field written on both sides: one value wins, the same everywhere, and the
                // other is still visible as a conflict.
                let all = ab.get_all(ROOT, "risk_level").unwrap();
                prop_assert_eq!(all.len(), 2);
            }
        }
    }
}

fn sample(kind: RecordKind) -> Record {
    let mut rng = crate::fixtures::Rng::new(11);
    loop {
        let r = crate::fixtures::record(
            &mut rng,
            GridId::parse("jingkou-zhengdonglu-03").unwrap(),
            now(),
            "wang.wei",
        );
        if r.kind() == kind {
            return r;
        }
    }
}

#[test]
fn an_edit_writes_only_the_changed_field() {
    let r = sample(RecordKind::Dispute);
    let mut doc = new_document(&r).unwrap();
    doc.commit();
    let n = edit(&r, |b| {
        if let RecordBody::Dispute(d) = b {
            d.risk_level = if d.risk_level == RiskLevel::Critical {
                RiskLevel::Low
            } else {
                RiskLevel::Critical
            };
        }
    });
    write_changes(&mut doc, Some(&r), &n).unwrap();
    doc.commit();
    let change = doc.get_last_local_change().unwrap();
    assert_eq!(change.len(), 1, "one field changed, one operation");
    assert!(
        change.raw_bytes().len() < 200,
        "a one-field edit is small: {} bytes",
        change.raw_bytes().len()
    );
    // A no-op edit writes nothing at all.
    write_changes(&mut doc, Some(&n), &n).unwrap();
    assert!(doc.commit().is_none());
}

#[test]
fn a_text_edit_is_a_splice_not_a_rewrite() {
    let r = sample(RecordKind::PatrolVisit);
    let mut doc = new_document(&r).unwrap();
    doc.commit();
    let n = edit(&r, |b| {
        if let RecordBody::PatrolVisit(v) = b {
            v.findings.push_str("已处理。");
        }
    });
    write_changes(&mut doc, Some(&r), &n).unwrap();
    doc.commit();
    assert_eq!(
        doc.get_last_local_change().unwrap().len(),
        4,
        "four characters inserted"
    );
}

#[test]
fn list_edits_touch_one_element() {
    let mut r = sample(RecordKind::Dispute);
    if let RecordBody::Dispute(d) = &mut r.body {
        d.parties = vec![
            Party {
                name: Some("张三".into()),
                role: PartyRole::Applicant,
                phone: None,
                id_number: None,
            },
            Party {
                name: Some("李四".into()),
                role: PartyRole::Respondent,
                phone: None,
                id_number: None,
            },
        ];
    }
    let mut doc = new_document(&r).unwrap();
    doc.commit();
    let n = edit(&r, |b| {
        if let RecordBody::Dispute(d) = b {
            d.parties[1].phone = Some("13800138000".into());
        }
    });
    write_changes(&mut doc, Some(&r), &n).unwrap();
    doc.commit();
    assert_eq!(doc.get_last_local_change().unwrap().len(), 1);
    let m = edit(&n, |b| {
        if let RecordBody::Dispute(d) = b {
            d.parties.remove(0);
        }
    });
    write_changes(&mut doc, Some(&n), &m).unwrap();
    doc.commit();
    assert_eq!(
        doc.get_last_local_change().unwrap().len(),
        1,
        "one deletion"
    );
    assert_eq!(read_record(&doc).unwrap(), m);
}

#[test]
fn documents_that_do_not_fit_are_refused() {
    let r = sample(RecordKind::Dispute);
    let mut good = new_document(&r).unwrap();

    let mut missing = good.fork();
    missing.delete(ROOT, "summary").unwrap();
    assert_eq!(
        read_record(&missing).unwrap_err(),
        SchemaError::Missing("summary".into())
    );

    let mut wrong = good.fork();
    wrong
        .put(ROOT, "summary", "plain string, not text")
        .unwrap();
    assert!(
        matches!(read_record(&wrong).unwrap_err(), SchemaError::WrongType { field, .. } if field == "summary")
    );

    let mut bad_enum = good.fork();
    bad_enum.put(ROOT, "risk_level", "apocalyptic").unwrap();
    assert!(
        matches!(read_record(&bad_enum).unwrap_err(), SchemaError::InvalidValue { field, .. } if field == "risk_level")
    );

    let mut bad_grid = good.fork();
    bad_grid.put(ROOT, "grid_id", "NOT A GRID").unwrap();
    assert_eq!(read_record(&bad_grid).unwrap_err().field(), "grid_id");

    let mut bad_party = good.fork();
    let parties = bad_party
        .put_object(ROOT, "parties", ObjType::List)
        .unwrap();
    bad_party.insert(&parties, 0, 42).unwrap();
    assert_eq!(read_record(&bad_party).unwrap_err().field(), "parties[0]");

    let mut future = good.fork();
    future
        .put(ROOT, "schema_version", ScalarValue::Uint(2))
        .unwrap();
    assert_eq!(
        read_record(&future).unwrap_err(),
        SchemaError::UnsupportedVersion(2)
    );

    let empty = AutoCommit::new();
    assert!(read_record(&empty).is_err());

    let mut bad_kind = good.fork();
    bad_kind.put(ROOT, "kind", "patrol_visit").unwrap();
    assert!(
        read_record(&bad_kind).is_err(),
        "a dispute document read as a visit misses its fields"
    );
}

/// Anything the schema does not define is refused at its path: a key the kind does not have (at
/// the root or in a nested map) as `unknown_field`, a value of another Automerge type as
/// `invalid_type`.
#[test]
fn unknown_keys_and_foreign_types_are_refused_at_their_path() {
    let r = sample(RecordKind::Dispute);
    let mut good = new_document(&r).unwrap();
    let mut refused = |f: &dyn Fn(&mut AutoCommit)| {
        let mut doc = good.fork();
        f(&mut doc);
        let e = read_record(&doc).unwrap_err();
        (e.code(), e.field().to_owned())
    };
    let unknown = |f: &str| ("unknown_field", f.to_owned());
    let wrong = |f: &str| ("invalid_type", f.to_owned());
    assert_eq!(
        refused(&|d| d.put(ROOT, "zz_extra", 1).map(drop).unwrap()),
        unknown("zz_extra")
    );
    // A field of another kind is just as foreign.
    let other_kind = |d: &mut AutoCommit| d.put(ROOT, "topic", "x").map(drop).unwrap();
    assert_eq!(refused(&other_kind), unknown("topic"));
    let nested = |d: &mut AutoCommit| {
        let loc = d.put_object(ROOT, "location", ObjType::Map).unwrap();
        d.put(&loc, "lat", 32.2).unwrap();
        d.put(&loc, "lon", 119.4).unwrap();
        d.put(&loc, "accuracy_m", ScalarValue::Null).unwrap();
        d.put(&loc, "altitude", 5.0).unwrap();
    };
    assert_eq!(refused(&nested), unknown("location.altitude"));
    let party = |d: &mut AutoCommit| {
        let list = d.put_object(ROOT, "parties", ObjType::List).unwrap();
        let p = d.insert_object(&list, 0, ObjType::Map).unwrap();
        for (k, v) in [
            ("name", "张三"),
            ("role", "applicant"),
            ("phone", "13800000000"),
        ] {
            d.put(&p, k, v).unwrap();
        }
        d.put(&p, "id_number", ScalarValue::Null).unwrap();
        d.put_object(&p, "hidden", ObjType::Text).unwrap();
    };
    assert_eq!(refused(&party), unknown("parties[0].hidden"));
    let text_for_scalar = |d: &mut AutoCommit| {
        d.put_object(ROOT, "risk_level", ObjType::Text)
            .map(drop)
            .unwrap()
    };
    assert_eq!(refused(&text_for_scalar), wrong("risk_level"));
    let map_for_list = |d: &mut AutoCommit| {
        d.put_object(ROOT, "parties", ObjType::Map)
            .map(drop)
            .unwrap()
    };
    assert_eq!(refused(&map_for_list), wrong("parties"));
    let list_for_text = |d: &mut AutoCommit| {
        d.put_object(ROOT, "summary", ObjType::List)
            .map(drop)
            .unwrap()
    };
    assert_eq!(refused(&list_for_text), wrong("summary"));
}

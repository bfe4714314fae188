//! How long deriving a dispute's state takes: a long case (200 workflow events and mediation-log
//! entries: accepted, assigned and reassigned, many sessions logged, escalated, supervised,
//! resolved, followed up, evaluated), folded from the events, and read from its Automerge document
//! (what every list refresh and every push of the record pays). Figures: docs/benchmarks.md.
#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use gridmate_domain::document::{new_document, read_record, write_changes};
use gridmate_domain::workflow::{EventDetails, WorkflowEvent, derive};
use gridmate_domain::*;

fn t(minutes: i64) -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-02T09:00:00+08:00")
        .unwrap()
        .plus_millis(minutes * 60_000)
}

fn ev(n: u64, by: (&str, Role), action: WorkflowAction, details: EventDetails) -> WorkflowEvent {
    WorkflowEvent {
        id: uuid::Uuid::from_u64_pair(0x0193_0000_0000_7000, n).to_string(),
        action,
        by: by.0.to_owned(),
        role: by.1,
        by_unit: None,
        at: t(n as i64 * 30),
        details,
    }
}

/// A case with `n` events: the loop's moves with `n - 9` log entries and supervision notes between.
fn long_case(n: u64) -> Vec<WorkflowEvent> {
    let d = ("diao.du", Role::Dispatcher);
    let l = ("li.lvshi", Role::LegalVolunteer);
    let w = ("wang.wei", Role::GridWorker);
    let note = |s: &str| EventDetails {
        note: Some(s.into()),
        ..Default::default()
    };
    let assign = |u: &str| EventDetails {
        assignee_user: Some(u.into()),
        due_at: Some(t(60 * 24 * 30)),
        ..Default::default()
    };
    let mut out = vec![
        ev(0, d, WorkflowAction::Accept, EventDetails::default()),
        ev(1, d, WorkflowAction::Assign, assign("zhou.lvshi")),
        ev(2, d, WorkflowAction::Assign, assign(l.0)),
        ev(3, l, WorkflowAction::Start, EventDetails::default()),
    ];
    for i in 4..n - 5 {
        let e = if i % 10 == 0 {
            ev(i, d, WorkflowAction::Supervise, note("请加快办理"))
        } else {
            let log = EventDetails {
                log_kind: Some(LogKind::Session),
                occurred_at: Some(t(i as i64 * 30)),
                attendees: Some("申请人、被申请人、社区调解员".into()),
                note: Some("双方就赔偿金额各自陈述，调解员释法说理，约定下次再谈。".into()),
                ..Default::default()
            };
            ev(i, l, WorkflowAction::Log, log)
        };
        out.push(e);
    }
    let resolve = EventDetails {
        resolution_method: Some(ResolutionMethod::Mediation),
        outcome: Some(ResolutionOutcome::Agreement),
        terms: Some("被申请人于十日内赔偿申请人维修费两千元。".into()),
        ..Default::default()
    };
    let satisfied = EventDetails {
        satisfaction: Some(Satisfaction::Satisfied),
        ..Default::default()
    };
    out.push(ev(
        n - 5,
        d,
        WorkflowAction::Escalate,
        EventDetails {
            level: Some(EscalationLevel::Township),
            note: Some("多次调解未果".into()),
            ..Default::default()
        },
    ));
    out.push(ev(n - 4, d, WorkflowAction::Assign, assign(l.0)));
    out.push(ev(n - 3, l, WorkflowAction::Resolve, resolve));
    out.push(ev(
        n - 2,
        w,
        WorkflowAction::FollowUp,
        note("回访双方，协议已履行"),
    ));
    out.push(ev(n - 1, w, WorkflowAction::Evaluate, satisfied));
    out
}

fn bench(c: &mut Criterion) {
    let events = long_case(200);
    assert_eq!(
        derive(DisputeStatus::Reported, &events).state.status,
        DisputeStatus::Evaluated
    );
    c.bench_function("derive 200 events", |b| {
        b.iter(|| derive(DisputeStatus::Reported, std::hint::black_box(&events)))
    });
    let mut rng = fixtures::Rng::new(3);
    let grid = GridId::parse("jingkou-zhengdonglu-03").unwrap();
    let mut r = (0..)
        .map(|_| fixtures::record(&mut rng, grid.clone(), t(0), "wang.wei"))
        .find(|r| matches!(r.body, RecordBody::Dispute(_)))
        .unwrap();
    let mut doc = new_document(&r).unwrap();
    doc.commit();
    let bare = doc.fork();
    c.bench_function("read a dispute without events from its document", |b| {
        b.iter(|| read_record(std::hint::black_box(&bare)).unwrap())
    });
    // Appended one event per change, as devices do.
    for e in events {
        let old = r.clone();
        if let RecordBody::Dispute(d) = &mut r.body {
            d.workflow.push(e);
            d.refresh_status();
        }
        write_changes(&mut doc, Some(&old), &r).unwrap();
        doc.commit();
    }
    c.bench_function("read 200 events from a document", |b| {
        b.iter(|| gridmate_domain::document::read_events(std::hint::black_box(&doc), None).unwrap())
    });
    c.bench_function("read a dispute with 200 events from its document", |b| {
        b.iter(|| read_record(std::hint::black_box(&doc)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

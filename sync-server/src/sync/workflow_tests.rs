//! The closed loop on both paths of a push: every workflow refusal (a forbidden action, an event
//! in another's name, a new dispute claiming a late state or carrying an event it may not, a
//! delete by the wrong role, an out-of-scope handler's edit) is the same whether the record is
//! decided by a plan made before the writer lock or by the general path (`push_one`).
#![allow(clippy::unwrap_used)]

use automerge::{ActorId, AutoCommit};
use gridmate_domain::document::{read_record, write_changes};
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::wire::{Change, PushDoc, PushOutcome};
use gridmate_domain::workflow::{EventDetails, WorkflowEvent};
use gridmate_domain::{
    DisputeStatus, GridId, LogKind, Record, RecordBody, Role, Timestamp, WorkflowAction as A,
};

use super::held::HeldLimits;
use super::plan::Plan;
use super::push::{Pusher, push_batch};
use super::store::SyncStore;
use super::test_support::{GRID, grid_worker, push_since, pusher};
use crate::storage::SqliteStorage;

fn dispatcher() -> Pusher {
    pusher("zhao.min", Role::Dispatcher, "jingkou-zhengdonglu")
}

/// A dispute reported by wang.wei, as a device writes it (one change).
fn dispute(rng: &mut Rng) -> (Record, AutoCommit) {
    loop {
        let at = Timestamp::now().plus_millis(-3_600_000);
        let rec = fixtures::record(rng, GridId::parse(GRID).unwrap(), at, "wang.wei");
        if matches!(rec.body, RecordBody::Dispute(_)) {
            let mut doc = AutoCommit::new().with_actor(ActorId::random());
            write_changes(&mut doc, None, &rec).unwrap();
            doc.commit();
            return (rec, doc);
        }
    }
}

fn event(by: &Pusher, action: A, details: EventDetails) -> WorkflowEvent {
    WorkflowEvent {
        id: uuid::Uuid::now_v7().to_string(),
        action,
        by: by.user_name.clone(),
        role: by.role,
        by_unit: None,
        at: Timestamp::now(),
        details,
    }
}

/// The push of `f(record)` saved over `doc` by a fresh actor (`doc` keeps it).
fn save(rec_id: [u8; 16], doc: &mut AutoCommit, f: impl FnOnce(&mut Record)) -> PushDoc {
    doc.set_actor(ActorId::random());
    let before = doc.get_heads();
    let old = read_record(doc).unwrap();
    let mut new = old.clone();
    f(&mut new);
    write_changes(doc, Some(&old), &new).unwrap();
    doc.commit();
    push_since(rec_id, doc, &before)
}

fn with_event(ev: WorkflowEvent) -> impl FnOnce(&mut Record) {
    move |r| {
        if let RecordBody::Dispute(d) = &mut r.body {
            d.workflow.push(ev);
            d.refresh_status();
        }
    }
}

fn id_of(rec: &Record) -> [u8; 16] {
    *rec.meta.id.as_uuid().as_bytes()
}

fn as_document(id: [u8; 16], doc: &mut AutoCommit) -> PushDoc {
    PushDoc {
        record_id: id,
        changes: vec![Change(doc.save_nocompress())],
    }
}

/// The outcome on the planned path and on the general path (for refusals: neither stores).
fn both(db: &SqliteStorage, who: &Pusher, push: &PushDoc) -> [PushOutcome; 2] {
    let now = Timestamp::now();
    let planned = db
        .push(who, vec![push.clone()], (&HeldLimits::default(), now))
        .unwrap();
    let general = db
        .write(|c| {
            push_batch(
                c,
                who,
                &[Plan::Locked(push.clone())],
                (&HeldLimits::default(), now),
            )
        })
        .unwrap();
    [
        planned.results[0].outcome.clone(),
        general.results[0].outcome.clone(),
    ]
}

fn refused_alike(outcomes: &[PushOutcome; 2], code: &str, field: &str) {
    for o in outcomes {
        match o {
            PushOutcome::Rejected {
                code: c, field: f, ..
            } => assert_eq!((c.as_str(), f.as_str()), (code, field)),
            other => panic!("expected {code} on {field}, got {other:?}"),
        }
    }
}

fn accepted(o: &PushOutcome) {
    assert!(matches!(o, PushOutcome::Accepted { .. }), "{o:?}");
}

fn store(db: &SqliteStorage, who: &Pusher, push: PushDoc) {
    let r = db
        .push(who, vec![push], (&HeldLimits::default(), Timestamp::now()))
        .unwrap();
    accepted(&r.results[0].outcome);
}

#[test]
fn forged_and_forbidden_events_are_refused_alike_on_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    let mut rng = Rng::new(21);
    let (rec, mut doc) = dispute(&mut rng);
    let id = id_of(&rec);
    store(&db, &grid_worker(), as_document(id, &mut doc));

    // A grid worker accepting; a grid worker writing the dispatcher's accept.
    let own = save(
        id,
        &mut doc.fork(),
        with_event(event(&grid_worker(), A::Accept, EventDetails::default())),
    );
    refused_alike(
        &both(&db, &grid_worker(), &own),
        "forbidden_action",
        "workflow[0].action",
    );
    let forged = save(
        id,
        &mut doc.fork(),
        with_event(event(&dispatcher(), A::Accept, EventDetails::default())),
    );
    refused_alike(
        &both(&db, &grid_worker(), &forged),
        "forbidden_action",
        "workflow[0].by",
    );
    // The dispatcher's own accept passes.
    store(&db, &dispatcher(), forged);

    // A new dispute that claims a late state, or carries an evaluation from `reported`.
    let (mut late, _) = dispute(&mut rng);
    if let RecordBody::Dispute(d) = &mut late.body {
        d.initial_status = DisputeStatus::Evaluated;
        d.refresh_status();
    }
    let mut late_doc = AutoCommit::new();
    write_changes(&mut late_doc, None, &late).unwrap();
    late_doc.commit();
    let push = as_document(id_of(&late), &mut late_doc);
    refused_alike(
        &both(&db, &grid_worker(), &push),
        "invalid_status",
        "status",
    );
    let (mut evaluated, _) = dispute(&mut rng);
    with_event(event(
        &grid_worker(),
        A::Evaluate,
        EventDetails {
            satisfaction: Some(gridmate_domain::Satisfaction::Satisfied),
            ..EventDetails::default()
        },
    ))(&mut evaluated);
    let mut ev_doc = AutoCommit::new();
    write_changes(&mut ev_doc, None, &evaluated).unwrap();
    ev_doc.commit();
    let push = as_document(id_of(&evaluated), &mut ev_doc);
    refused_alike(
        &both(&db, &grid_worker(), &push),
        "invalid_status",
        "workflow[0].action",
    );
}

#[test]
fn deletes_and_out_of_scope_handlers_are_decided_alike_on_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliteStorage::open(dir.path()).unwrap();
    let mut rng = Rng::new(22);
    let (rec, mut doc) = dispute(&mut rng);
    let id = id_of(&rec);
    store(&db, &grid_worker(), as_document(id, &mut doc));
    let now = Timestamp::now();

    // Another grid worker of the grid may not delete wang.wei's dispute.
    let other = pusher("he.ping", Role::GridWorker, GRID);
    let delete = save(id, &mut doc.fork(), |r| r.meta.deleted_at = Some(now));
    refused_alike(
        &both(&db, &other, &delete),
        "forbidden_action",
        "deleted_at",
    );

    // Accepted and assigned to a lawyer of another grid: she may log, not edit the summary.
    let lawyer = pusher("li.na", Role::LegalVolunteer, "jingkou-zhengdonglu-01");
    let d = dispatcher();
    store(
        &db,
        &d,
        save(
            id,
            &mut doc,
            with_event(event(&d, A::Accept, EventDetails::default())),
        ),
    );
    let assign = EventDetails {
        assignee_user: Some("li.na".into()),
        due_at: Some(now.plus_millis(86_400_000 * 3)),
        ..EventDetails::default()
    };
    store(
        &db,
        &d,
        save(id, &mut doc, with_event(event(&d, A::Assign, assign))),
    );
    let summary = save(id, &mut doc.fork(), |r| {
        if let RecordBody::Dispute(x) = &mut r.body {
            x.summary.push_str("（承办人补充）");
        }
    });
    refused_alike(&both(&db, &lawyer, &summary), "out_of_scope", "grid_id");
    // The reporter may no longer delete it either.
    let delete = save(id, &mut doc.fork(), |r| r.meta.deleted_at = Some(now));
    refused_alike(
        &both(&db, &grid_worker(), &delete),
        "forbidden_action",
        "deleted_at",
    );
    let log = EventDetails {
        note: Some("电话联系申请人".into()),
        log_kind: Some(LogKind::Call),
        occurred_at: Some(now.plus_millis(-60_000)),
        ..EventDetails::default()
    };
    let logged = save(id, &mut doc, with_event(event(&lawyer, A::Log, log)));
    let [planned, general] = both(&db, &lawyer, &logged);
    accepted(&planned);
    accepted(&general);
    // A stranger outside the grid is refused before anything is read or held.
    let stranger = pusher("liu.yang", Role::GridWorker, "runzhou-heping-02");
    refused_alike(&both(&db, &stranger, &logged), "out_of_scope", "grid_id");
}

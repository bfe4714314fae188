//! The workflow's promises: the role table has a passing and a failing case for every cell; any
//! interleaving and merge order of allowed events from 2-4 replicas derives the same state and
//! keeps every event; honest events pass the server's check in the merged document, forged
//! ones do not; the concurrency example of docs/dispute-workflow.md flags the loser; deadlines
//! count working days in China time.
#![allow(clippy::unwrap_used)]

use automerge::{AutoCommit, ChangeHash};
use proptest::prelude::*;

use super::deadline::{DeadlineTable, Limit, is_overdue};
use super::table::{Actor, Denial, PERMISSIONS, Who, available, permitted};
use super::verify::{NewChange, check_new_events};
use super::*;
use crate::document::{new_document, read_record, write_changes};
use crate::enums::{DisputeStatus as S, WorkflowAction as A};
use crate::fixtures::{Rng, record};
use crate::ids::GridId;
use crate::record::{Record, RecordBody};

const DISPATCHER: (&str, Role) = ("diao.du", Role::Dispatcher);
const LAWYER: (&str, Role) = ("li.lvshi", Role::LegalVolunteer);
const WORKER: (&str, Role) = ("wang.wei", Role::GridWorker);
const OTHER_LAWYER: (&str, Role) = ("zhou.lvshi", Role::LegalVolunteer);
const ACTORS: [(&str, Role); 4] = [DISPATCHER, LAWYER, WORKER, OTHER_LAWYER];

fn t(minutes: i64) -> Timestamp {
    Timestamp::parse_rfc3339("2026-12-01T09:00:00+08:00")
        .unwrap()
        .plus_millis(minutes * 60_000)
}

fn now() -> Timestamp {
    t(60 * 24 * 20)
}

fn actor(a: (&'static str, Role)) -> Actor<'static> {
    Actor {
        user: a.0,
        role: a.1,
        unit: None,
        in_scope: a.1 != Role::LegalVolunteer,
    }
}

/// Valid details for `action` in `state`, varied by `seed`.
fn details_for(action: A, state: &DisputeState, seed: u64, at: Timestamp) -> EventDetails {
    let note = Some(format!("说明{seed}"));
    let d = EventDetails::default();
    match action {
        A::Accept | A::Start | A::Close => d,
        A::NotAccept => EventDetails {
            not_accepted_reason: Some(NotAcceptedReason::NotADispute),
            ..d
        },
        A::Assign => EventDetails {
            assignee_user: Some([LAWYER.0, OTHER_LAWYER.0][seed as usize % 2].to_owned()),
            due_at: Some(at.plus_millis(3 * 86_400_000)),
            ..d
        },
        A::Log => EventDetails {
            log_kind: Some(LogKind::Session),
            occurred_at: Some(at),
            attendees: Some("双方当事人".into()),
            note,
            ..d
        },
        A::Resolve => EventDetails {
            resolution_method: Some(ResolutionMethod::Mediation),
            outcome: Some(ResolutionOutcome::Agreement),
            terms: Some("赔偿两千元".into()),
            ..d
        },
        A::Return => EventDetails {
            return_reason: Some(ReturnReason::NotOurs),
            ..d
        },
        A::Escalate => EventDetails {
            level: Some(if state.level == EscalationLevel::Grid {
                EscalationLevel::Township
            } else {
                EscalationLevel::County
            }),
            note,
            ..d
        },
        A::Supervise | A::FollowUp => EventDetails { note, ..d },
        A::Evaluate => EventDetails {
            satisfaction: Some(Satisfaction::Satisfied),
            ..d
        },
    }
}

fn event(
    a: (&str, Role),
    action: A,
    details: EventDetails,
    at: Timestamp,
    n: u64,
) -> WorkflowEvent {
    WorkflowEvent {
        id: uuid::Uuid::from_u64_pair(0x0193_0000_0000_7000, n).to_string(),
        action,
        by: a.0.to_owned(),
        role: a.1,
        by_unit: None,
        at,
        details,
    }
}

fn dispute_doc() -> (AutoCommit, Record) {
    let grid = GridId::parse("jingkou-zhengdonglu-03").unwrap();
    let mut r = (0..)
        .map(|seed| record(&mut Rng::new(seed), grid.clone(), t(0), WORKER.0))
        .find(|r| matches!(r.body, RecordBody::Dispute(_)))
        .unwrap();
    if let RecordBody::Dispute(d) = &mut r.body {
        d.workflow.clear();
        d.initial_status = S::Reported;
        d.refresh_status();
    }
    let mut doc = new_document(&r).unwrap();
    doc.commit();
    (doc, r)
}

fn events_of(r: &Record) -> &[WorkflowEvent] {
    match &r.body {
        RecordBody::Dispute(d) => &d.workflow,
        _ => &[],
    }
}

/// Appends `ev` to the record `doc` holds, as one change; returns the change's hash.
fn append(doc: &mut AutoCommit, ev: WorkflowEvent) -> ChangeHash {
    let old = read_record(doc).unwrap();
    let mut new = old.clone();
    if let RecordBody::Dispute(d) = &mut new.body {
        d.workflow.push(ev);
        d.refresh_status();
    }
    write_changes(doc, Some(&old), &new).unwrap();
    doc.commit().unwrap()
}

fn state_of(doc: &AutoCommit) -> WorkflowView {
    match read_record(doc).unwrap().body {
        RecordBody::Dispute(d) => d.view(),
        _ => unreachable!(),
    }
}

/// A state in `status` assigned to the lawyer, for the table tests.
fn state_in(status: S) -> DisputeState {
    let mut s = DisputeState::initial(status);
    s.assignee_user = Some(LAWYER.0.into());
    s.handlers = vec![LAWYER.0.into()];
    s
}

#[test]
fn every_action_has_exactly_one_row() {
    for a in A::ALL {
        assert_eq!(
            PERMISSIONS.iter().filter(|p| p.action == *a).count(),
            1,
            "{a}"
        );
    }
}

/// For every cell (action x allowed kind of actor): an actor of that kind passes from every
/// allowed status, and from a status the row does not list it is refused; for every row, an actor
/// of no allowed kind is refused.
#[test]
fn every_cell_passes_and_fails() {
    for row in PERMISSIONS {
        for who in row.who {
            let (ok_actor, bad_actor) = match who {
                Who::Dispatcher => (
                    actor(DISPATCHER),
                    Actor {
                        in_scope: false,
                        ..actor(DISPATCHER)
                    },
                ),
                Who::GridWorker => (
                    actor(WORKER),
                    Actor {
                        in_scope: false,
                        ..actor(WORKER)
                    },
                ),
                Who::Assignee | Who::Handler => (actor(LAWYER), actor(OTHER_LAWYER)),
            };
            for from in row.from {
                let st = state_in(*from);
                if matches!(who, Who::Assignee | Who::Handler)
                    && matches!(from, S::Returned | S::Escalated)
                    && *who == Who::Assignee
                {
                    continue;
                }
                let d = details_for(row.action, &st, 1, t(5));
                assert_eq!(
                    permitted(&ok_actor, &st, row.action, &d),
                    Ok(()),
                    "{:?} {} from {from}",
                    who,
                    row.action
                );
                assert!(
                    permitted(&bad_actor, &st, row.action, &d).is_err(),
                    "{:?} {} from {from} must refuse {:?}",
                    who,
                    row.action,
                    bad_actor
                );
            }
            for from in S::ALL.iter().filter(|s| !row.from.contains(s)) {
                let st = state_in(*from);
                let d = details_for(row.action, &st, 1, t(5));
                assert_eq!(
                    permitted(&ok_actor, &st, row.action, &d),
                    Err(Denial::State { status: *from }),
                    "{} from {from}",
                    row.action
                );
            }
        }
        // Nobody outside the row: an administrator never acts in the loop.
        let admin = Actor {
            user: "root",
            role: Role::Admin,
            unit: None,
            in_scope: true,
        };
        let st = state_in(row.from[0]);
        let d = details_for(row.action, &st, 1, t(5));
        assert!(
            permitted(&admin, &st, row.action, &d).is_err(),
            "{}",
            row.action
        );
    }
}

#[test]
fn a_unit_assignment_lets_the_units_members_act() {
    let mut st = DisputeState::initial(S::Assigned);
    st.assignee_unit = Some("jingkou-sfs".into());
    let member = Actor {
        user: "sun.gan",
        role: Role::LegalVolunteer,
        unit: Some("jingkou-sfs"),
        in_scope: false,
    };
    let outsider = Actor {
        unit: Some("jingkou-pcs"),
        ..member
    };
    assert_eq!(
        permitted(&member, &st, A::Start, &EventDetails::default()),
        Ok(())
    );
    assert_eq!(
        permitted(&outsider, &st, A::Start, &EventDetails::default()),
        Err(Denial::NotAssignee)
    );
}

#[test]
fn details_an_action_does_not_take_are_refused() {
    let st = state_in(S::InProgress);
    let d = EventDetails {
        assignee_user: Some("zhou.lvshi".into()),
        ..details_for(A::Resolve, &st, 0, t(1))
    };
    let Err(Denial::Details(e)) = permitted(&actor(LAWYER), &st, A::Resolve, &d) else {
        panic!("a resolve carrying an assignee must be refused");
    };
    assert!(e.iter().any(|f| f.field == "details.assignee_user"));
    let d = EventDetails {
        outcome: Some(ResolutionOutcome::NoAgreement),
        ..details_for(A::Resolve, &st, 0, t(1))
    };
    let Err(Denial::Details(e)) = permitted(&actor(LAWYER), &st, A::Resolve, &d) else {
        panic!("no agreement needs a referral and no terms");
    };
    assert!(e.iter().any(|f| f.field == "details.referral"));
    assert!(e.iter().any(|f| f.field == "details.terms"));
}

/// The example: the dispatcher reassigns while the lawyer, offline, logs two sessions and
/// resolves. After the merge both replicas derive the same state, keep all five events, and flag
/// the one that lost, naming the event it conflicts with.
#[test]
fn concurrent_reassign_and_offline_resolution_flag_the_loser() {
    let (mut centre, _) = dispute_doc();
    append(
        &mut centre,
        event(DISPATCHER, A::Accept, EventDetails::default(), t(10), 1),
    );
    let assign = details_for(A::Assign, &DisputeState::initial(S::Accepted), 0, t(20));
    append(&mut centre, event(DISPATCHER, A::Assign, assign, t(20), 2));
    let mut lawyer = centre.fork().with_actor(automerge::ActorId::random());
    let st = state_of(&lawyer).state;
    append(
        &mut lawyer,
        event(LAWYER, A::Start, EventDetails::default(), t(30), 3),
    );
    for n in 4..6 {
        append(
            &mut lawyer,
            event(
                LAWYER,
                A::Log,
                details_for(A::Log, &st, n, t(40)),
                t(40 + n as i64),
                n,
            ),
        );
    }
    let resolved = append(
        &mut lawyer,
        event(
            LAWYER,
            A::Resolve,
            details_for(A::Resolve, &st, 0, t(60)),
            t(60),
            6,
        ),
    );
    let reassign = EventDetails {
        assignee_user: Some(OTHER_LAWYER.0.into()),
        ..details_for(A::Assign, &st, 1, t(50))
    };
    let reassigned = append(
        &mut centre,
        event(DISPATCHER, A::Assign, reassign, t(50), 7),
    );
    let (mut a, mut b) = (centre.fork(), lawyer.fork());
    a.merge(&mut lawyer).unwrap();
    b.merge(&mut centre).unwrap();
    let (va, vb) = (state_of(&a), state_of(&b));
    assert_eq!(va, vb);
    assert_eq!(va.verdicts.len(), 7, "every event is kept");
    // The two branches follow the first assignment in one order or the other (Automerge orders
    // concurrent appends by their operation ids, here of random actors): reassignment first, the
    // lawyer's start and resolution no longer come from the assignee; her events first, the
    // dispute was resolved when the reassignment came. Either way, the loser is flagged.
    let merged = read_record(&a).unwrap();
    let flagged: Vec<(A, &str)> = events_of(&merged)
        .iter()
        .zip(&va.verdicts)
        .filter(|(_, v)| matches!(v, Verdict::Flagged { .. }))
        .map(|(e, _)| (e.action, e.by.as_str()))
        .collect();
    if events_of(&merged)[2].action == A::Assign {
        assert_eq!(
            flagged,
            vec![(A::Start, LAWYER.0), (A::Resolve, LAWYER.0)],
            "{va:?}"
        );
        assert_eq!(va.state.assignee_user.as_deref(), Some(OTHER_LAWYER.0));
        assert_eq!(va.state.status, S::Assigned);
    } else {
        assert_eq!(flagged, vec![(A::Assign, DISPATCHER.0)], "{va:?}");
        assert_eq!(va.state.status, S::Resolved);
    }
    for v in &va.verdicts {
        if let Verdict::Flagged { conflicts_with, .. } = v {
            assert!(
                conflicts_with.is_some(),
                "a flagged event names what it conflicts with"
            );
        }
    }
    // Whichever came first in the merged order, the lawyer's logs stay valid, and each side's
    // events pass the server's check against what its author had seen.
    let logs = events_of(&merged)
        .iter()
        .zip(&va.verdicts)
        .filter(|(e, v)| e.action == A::Log && **v == Verdict::Applied);
    assert_eq!(logs.count(), 2);
    for (hash, who) in [(resolved, LAWYER), (reassigned, DISPATCHER)] {
        let deps = a.get_change_by_hash(&hash).unwrap().deps().to_vec();
        check_new_events(
            &a,
            S::Reported,
            &[NewChange { hash, deps }],
            &actor(who),
            now(),
        )
        .unwrap();
    }
}

#[test]
fn a_forged_event_is_refused_by_the_server_check() {
    let (mut doc, _) = dispute_doc();
    append(
        &mut doc,
        event(DISPATCHER, A::Accept, EventDetails::default(), t(10), 1),
    );
    let st = state_of(&doc).state;
    // The lawyer was never assigned: resolving is refused at the source ...
    let d = details_for(A::Resolve, &st, 0, t(20));
    assert!(permitted(&actor(LAWYER), &st, A::Resolve, &d).is_err());
    // ... and, written into the document anyway, refused by the server's check.
    let h = append(&mut doc, event(LAWYER, A::Resolve, d, t(20), 2));
    let deps = doc.get_change_by_hash(&h).unwrap().deps().to_vec();
    let err = check_new_events(
        &doc,
        S::Reported,
        &[NewChange { hash: h, deps }],
        &actor(LAWYER),
        now(),
    )
    .unwrap_err();
    assert!(
        err.iter().any(|f| f.field == "workflow[1].action"),
        "{err:?}"
    );
    // An event in someone else's name is refused whatever it does.
    let h = append(
        &mut doc,
        event(
            DISPATCHER,
            A::Supervise,
            details_for(A::Supervise, &st, 0, t(30)),
            t(30),
            3,
        ),
    );
    let deps = doc.get_change_by_hash(&h).unwrap().deps().to_vec();
    let err = check_new_events(
        &doc,
        S::Reported,
        &[NewChange { hash: h, deps }],
        &actor(WORKER),
        now(),
    )
    .unwrap_err();
    assert!(err.iter().any(|f| f.field == "workflow[2].by"), "{err:?}");
}

#[test]
fn a_legacy_status_is_where_the_fold_starts() {
    let v = derive(S::Assigned, &[]);
    assert_eq!(v.state.status, S::Assigned);
    let ev = event(
        DISPATCHER,
        A::Assign,
        details_for(A::Assign, &v.state, 0, t(1)),
        t(1),
        1,
    );
    assert_eq!(
        derive(S::Assigned, &[ev]).state.assignee_user.as_deref(),
        Some(LAWYER.0)
    );
}

/// One step of a replica script: who acts (or which replica syncs from which), and a seed.
#[derive(Debug, Clone)]
enum Step {
    Act {
        replica: usize,
        actor: usize,
        seed: u64,
    },
    Sync {
        from: usize,
        to: usize,
    },
}

fn step(replicas: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..replicas, 0..ACTORS.len(), any::<u64>()).prop_map(|(replica, actor, seed)| Step::Act { replica, actor, seed }),
        1 => (0..replicas, 0..replicas).prop_map(|(from, to)| Step::Sync { from, to }),
    ]
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Step>, Vec<usize>)> {
    (2usize..=4).prop_flat_map(|n| {
        (
            Just(n),
            prop::collection::vec(step(n), 1..40),
            Just((0..n).collect::<Vec<usize>>()).prop_shuffle(),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Replicas act only as the table allows them where they stand, sync now and then, and finally
    /// merge in a random order: every replica derives the same state and verdicts, holds every
    /// event made, and every event passes the server's check against its author's view.
    #[test]
    fn replicas_converge_and_keep_every_event((n, steps, order) in scenario()) {
        let (mut base, _) = dispute_doc();
        let mut docs: Vec<AutoCommit> = (0..n).map(|_| base.fork().with_actor(automerge::ActorId::random())).collect();
        let mut made: Vec<(String, ChangeHash, usize)> = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            match s {
                Step::Act { replica, actor: who, seed } => {
                    let state = state_of(&docs[*replica]).state;
                    let acting = actor(ACTORS[*who]);
                    let options = available(&Actor { in_scope: true, ..acting }, &state);
                    let options: Vec<A> = options.into_iter().filter(|a| {
                        let d = details_for(*a, &state, *seed, t(i as i64));
                        permitted(&acting, &state, *a, &d).is_ok()
                    }).collect();
                    if options.is_empty() { continue; }
                    let action = options[(*seed as usize) % options.len()];
                    let ev = event(ACTORS[*who], action, details_for(action, &state, *seed, t(i as i64)), t(i as i64), i as u64 + 100);
                    let id = ev.id.clone();
                    let h = append(&mut docs[*replica], ev);
                    made.push((id, h, *who));
                }
                Step::Sync { from, to } if from != to => {
                    let mut src = docs[*from].fork();
                    docs[*to].merge(&mut src).unwrap();
                }
                Step::Sync { .. } => {}
            }
        }
        let mut merged: Vec<AutoCommit> = Vec::new();
        for start in 0..n {
            let mut d = docs[order[start]].fork();
            for k in order.iter().cycle().skip(start).take(n) {
                let mut other = docs[*k].fork();
                d.merge(&mut other).unwrap();
            }
            merged.push(d);
        }
        let first = state_of(&merged[0]);
        let first_ids: Vec<String> = events_of(&read_record(&merged[0]).unwrap()).iter().map(|e| e.id.clone()).collect();
        for m in &merged[1..] {
            prop_assert_eq!(&state_of(m), &first);
            let ids: Vec<String> = events_of(&read_record(m).unwrap()).iter().map(|e| e.id.clone()).collect();
            prop_assert_eq!(&ids, &first_ids);
        }
        prop_assert_eq!(first_ids.len(), made.len());
        let doc = &mut merged[0];
        for (id, hash, who) in &made {
            prop_assert!(first_ids.contains(id));
            let deps = doc.get_change_by_hash(hash).unwrap().deps().to_vec();
            let checked = check_new_events(&*doc, S::Reported, &[NewChange { hash: *hash, deps }], &Actor { in_scope: true, ..actor(ACTORS[*who]) }, now());
            prop_assert!(checked.is_ok(), "{:?}", checked);
        }
    }

    /// Arbitrary events (mostly not allowed where they land): the fold never panics, judges each
    /// once, and is a function of the events alone.
    #[test]
    fn the_fold_is_total_and_deterministic(events in prop::collection::vec(strategies::event(), 0..30)) {
        let a = derive(S::Reported, &events);
        prop_assert_eq!(a.verdicts.len(), events.len());
        prop_assert_eq!(a, derive(S::Reported, &events));
    }
}

#[test]
fn working_days_skip_weekends_and_holidays_in_china_time() {
    let table = DeadlineTable::default();
    // Friday 2026-12-04 16:00 China time + 1 working day = Monday 16:00.
    let fri = Timestamp::parse_rfc3339("2026-12-04T16:00:00+08:00").unwrap();
    let mon = Timestamp::parse_rfc3339("2026-12-07T16:00:00+08:00").unwrap();
    assert_eq!(table.add(fri, Limit::WorkingDays(1)), mon);
    // Friday 23:30 UTC is already Saturday in China: the next working day is still Monday.
    let sat_cn = Timestamp::parse_rfc3339("2026-12-04T23:30:00Z").unwrap();
    assert_eq!(
        table.add(sat_cn, Limit::WorkingDays(1)),
        Timestamp::parse_rfc3339("2026-12-06T23:30:00Z").unwrap(),
        "Monday 07:30 in China"
    );
    let mut holidays = table.clone();
    holidays
        .holidays
        .push(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap());
    holidays
        .workdays
        .push(chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap());
    assert_eq!(
        holidays.add(fri, Limit::WorkingDays(2)),
        Timestamp::parse_rfc3339("2026-12-08T16:00:00+08:00").unwrap(),
        "Saturday worked, Monday off"
    );
    assert_eq!(
        table.add(fri, Limit::Hours(4)),
        fri.plus_millis(4 * 3_600_000)
    );
}

#[test]
fn the_most_specific_deadline_row_wins_and_overdue_is_derived() {
    let table = DeadlineTable::default();
    use crate::enums::{DisputeCategory as C, RiskLevel as R};
    assert_eq!(
        table.limit(S::Reported, C::Labour, R::Low),
        Some(Limit::WorkingDays(1))
    );
    assert_eq!(
        table.limit(S::Reported, C::Labour, R::High),
        Some(Limit::Hours(4))
    );
    assert_eq!(
        table.limit(S::InProgress, C::Family, R::Low),
        Some(Limit::WorkingDays(10))
    );
    assert_eq!(
        table.limit(S::InProgress, C::Family, R::Critical),
        Some(Limit::WorkingDays(2))
    );
    assert_eq!(table.limit(S::Evaluated, C::Family, R::Low), None);
    let mut st = DisputeState::initial(S::InProgress);
    st.due_at = Some(t(100));
    let due = table.due_at(&st, C::Labour, R::Low, t(0));
    assert_eq!(due, Some(t(100)), "the dispatcher's due time wins");
    assert!(is_overdue(due, t(101)));
    assert!(!is_overdue(due, t(100)));
    assert!(!is_overdue(None, t(100_000)));
}

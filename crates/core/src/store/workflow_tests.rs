//! The closed loop on real store files: actions by bound accounts of each role, refusals, the
//! task list, the "assigned to me" and "overdue" filters, the workflow columns of pulled records
//! and the deadline table of the reference data.

use gridmate_domain::reference::ReferenceData;
use gridmate_domain::workflow::deadline::{DeadlineTable, Limit, StepLimit};
use gridmate_domain::workflow::{ActionRequest, EventDetails, Verdict};
use gridmate_domain::{
    DisputeStatus as S, ErrorCode, RecordId, Timestamp, WorkflowAction as A, wire,
};
use serde_json::{Value, json};

use super::*;

const TOWNSHIP: &str = "jingkou-zhengdonglu";
const GRID: &str = "jingkou-zhengdonglu-03";
const UNIT: &str = "jingkou-zhengdonglu-sfs";

/// Binds `s` to a server account (no server is contacted), with `unit` written into the stored
/// binding as a server that reports units would.
pub(super) fn bind(s: &mut Store, user: &str, role: &str, scope: &[&str], unit: Option<&str>) {
    let b: ServerBinding = serde_json::from_value(json!({
        "server_url": "https://gridmate.example", "user": user, "token": "t",
        "allow_insecure": false, "role": role, "scope": scope,
    }))
    .unwrap();
    s.bind_server(&b).unwrap();
    if let Some(unit) = unit {
        let mut v: Value =
            serde_json::from_str(&s.meta("server_binding").unwrap().unwrap()).unwrap();
        v["unit"] = json!(unit);
        s.set_meta("server_binding", &v.to_string()).unwrap();
    }
}

/// The store of `user` under `dir`, bound as `role`.
fn bound(
    dir: &tempfile::TempDir,
    user: &str,
    role: &str,
    scope: &[&str],
    unit: Option<&str>,
) -> Store {
    let mut s = Store::open(&dir.path().join(format!("{user}.db")), user).unwrap();
    bind(&mut s, user, role, scope, unit);
    s
}

fn dispatcher(dir: &tempfile::TempDir) -> Store {
    bound(dir, "zhao.min", "dispatcher", &[TOWNSHIP], None)
}

fn dispute(risk: &str, reported_at: &str) -> Value {
    json!({
        "kind": "dispute", "grid_id": GRID, "reported_at": reported_at,
        "source": "field", "dispute_category": "neighbour", "summary": "楼上漏水，两户多次争执",
        "risk_level": risk, "parties": [{"name": "张三", "role": "applicant"}]
    })
}

fn req(action: A, details: Value) -> ActionRequest {
    ActionRequest {
        action,
        details: serde_json::from_value(details).unwrap(),
    }
}

fn status(s: &Store, id: RecordId) -> S {
    s.get(id).unwrap().status().unwrap()
}

fn in_days(days: i64) -> Timestamp {
    Timestamp::now().plus_millis(days * 86_400_000)
}

/// Moves every change of `id` from `from` into `to` as a pull page: with the server's projection
/// (adopted without loading) or without (merged).
fn pull(from: &Store, to: &mut Store, id: RecordId, projection: bool) {
    let mut doc = automerge::AutoCommit::load(&from.export_doc(id).unwrap()).unwrap();
    let record = from.get(id).unwrap();
    let page = wire::PullPage {
        docs: vec![wire::PulledDoc {
            record_id: *id.as_uuid().as_bytes(),
            grid_id: GRID.into(),
            changes: vec![wire::Change(doc.save_nocompress())],
            projection: projection.then(|| wire::Projection {
                heads: doc.get_heads().iter().map(|h| h.0).collect(),
                record: serde_json::to_vec(&record).unwrap(),
            }),
        }],
        positions: vec![],
        more: false,
        revoked: vec![],
        authors: from.authors_for(&mut doc),
        scope: vec![TOWNSHIP.into()],
    };
    to.apply_pull(&page, &mut Applied::default()).unwrap();
}

fn task_ids(s: &Store, now: Timestamp) -> Vec<(RecordId, Option<A>)> {
    s.tasks(now)
        .unwrap()
        .iter()
        .map(|t| (t.id, t.next_action))
        .collect()
}

#[test]
fn a_dispute_goes_round_the_loop_across_roles_and_devices() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = dispatcher(&dir);
    let id = d
        .create_json(dispute("medium", "2026-11-02T09:00:00+08:00"))
        .unwrap()
        .id();
    let now = Timestamp::now();
    assert_eq!(task_ids(&d, now), vec![(id, Some(A::Accept))]);
    assert_eq!(d.task_count(now).unwrap(), 1);
    assert_eq!(
        d.available_actions(id).unwrap(),
        vec![A::Accept, A::NotAccept, A::Escalate, A::Supervise]
    );
    assert_eq!(
        d.act(id, req(A::Accept, json!({}))).unwrap().status(),
        Some(S::Accepted)
    );
    let due = in_days(10);
    let r = d
        .act(
            id,
            req(A::Assign, json!({"assignee_user": "li.na", "due_at": due})),
        )
        .unwrap();
    assert_eq!(r.status(), Some(S::Assigned));
    assert_eq!(
        task_ids(&d, now),
        vec![],
        "assigned and not supervised: the lawyer's turn"
    );

    // The lawyer's device gets it by a pull (adopted from the projection) and finds it waiting.
    let mut l = bound(&dir, "li.na", "legal_volunteer", &[], None);
    pull(&d, &mut l, id, true);
    let tasks = l.tasks(now).unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].next_action, Some(A::Start));
    assert_eq!(tasks[0].due_at, Some(due));
    assert!(!tasks[0].overdue && l.tasks(in_days(11)).unwrap()[0].overdue);
    let mine = ListQuery {
        assigned_to_me: true,
        ..Default::default()
    };
    assert_eq!(l.list(&mine).unwrap().items.len(), 1);
    assert_eq!(d.list(&mine).unwrap().items.len(), 0);
    l.act(id, req(A::Start, json!({}))).unwrap();
    l.act(
        id,
        req(
            A::Log,
            json!({"log_kind": "session", "note": "双方到场调解", "occurred_at": now}),
        ),
    )
    .unwrap();
    let resolved = l
        .act(
            id,
            req(
                A::Resolve,
                json!({"resolution_method": "mediation", "outcome": "agreement", "terms": "楼上修缮防水层"}),
            ),
        )
        .unwrap();
    assert_eq!(resolved.status(), Some(S::Resolved));
    assert!(l.tasks(now).unwrap().is_empty());
    assert_eq!(l.list(&mine).unwrap().items.len(), 0);

    // The grid worker's device merges it (no projection), follows up and asks satisfaction.
    let mut w = bound(&dir, "wang.wei", "grid_worker", &[GRID], None);
    pull(&l, &mut w, id, false);
    assert_eq!(task_ids(&w, now), vec![(id, Some(A::FollowUp))]);
    w.act(id, req(A::FollowUp, json!({"note": "回访双方，已修缮"})))
        .unwrap();
    assert_eq!(task_ids(&w, now), vec![(id, Some(A::Evaluate))]);
    w.act(id, req(A::Evaluate, json!({"satisfaction": "satisfied"})))
        .unwrap();
    assert_eq!(status(&w, id), S::Evaluated);
    assert!(w.tasks(now).unwrap().is_empty());

    let flow = w.dispute_workflow(id, now).unwrap();
    let actions: Vec<(A, &str)> = flow
        .events
        .iter()
        .map(|e| (e.action, e.by.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            (A::Accept, "zhao.min"),
            (A::Assign, "zhao.min"),
            (A::Start, "li.na"),
            (A::Log, "li.na"),
            (A::Resolve, "li.na"),
            (A::FollowUp, "wang.wei"),
            (A::Evaluate, "wang.wei"),
        ]
    );
    assert!(flow.verdicts.iter().all(|v| *v == Verdict::Applied));
    assert_eq!(flow.state.status, S::Evaluated);
    assert_eq!((flow.due_at, flow.overdue), (None, false));
    assert!(flow.available.is_empty());
    let history = w.history(id).unwrap();
    let acts: Vec<&HistoryEntry> = history.iter().filter(|h| h.op == HistoryOp::Act).collect();
    assert_eq!(acts.len(), 7);
    assert!(acts.iter().all(|h| h.fields == ["updated_at", "workflow"]));
    assert_eq!(acts[2].by.as_deref(), Some("li.na"));
    assert_eq!(w.sync_state(id).unwrap(), SyncState::Pending);
}

#[test]
fn refusals_are_typed_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = dispatcher(&dir);
    let id = d
        .create_json(dispute("low", "2026-11-02T09:00:00+08:00"))
        .unwrap()
        .id();
    let before = d.export_doc(id).unwrap();
    let refused = |e: StoreError| match e {
        StoreError::Refused(v) => v.0,
        other => panic!("not a refusal: {other:?}"),
    };
    let e = d.act(id, req(A::Start, json!({}))).unwrap_err();
    assert_eq!(e.code(), "invalid_status");
    let message = e.message();
    let f = refused(e);
    assert_eq!(
        message, f[0].message,
        "the refusal's own words, not a generic one"
    );
    assert_eq!(
        (f[0].code, f[0].field.as_str()),
        (ErrorCode::InvalidStatus, "action")
    );
    d.act(id, req(A::Accept, json!({}))).unwrap();
    let e = d
        .act(id, req(A::Assign, json!({"note": "请尽快"})))
        .unwrap_err();
    assert_eq!(e.code(), "validation_failed");
    let f = refused(e);
    assert_eq!(
        (f[0].code, f[0].field.as_str()),
        (ErrorCode::Required, "details.assignee_user")
    );
    let e = d
        .act(
            id,
            req(
                A::Assign,
                json!({"assignee_user": "li.na", "satisfaction": "satisfied"}),
            ),
        )
        .unwrap_err();
    assert_eq!(refused(e)[0].field, "details.satisfaction");
    let e = d
        .act(
            id,
            req(
                A::Assign,
                json!({"assignee_user": "li.na", "due_at": in_days(-1)}),
            ),
        )
        .unwrap_err();
    assert_eq!(refused(e)[0].code, ErrorCode::DateOrder);

    // A volunteer may not accept; a status patch is refused as it always was for fixed fields.
    let mut l = bound(&dir, "li.na", "legal_volunteer", &[GRID], None);
    let lid = l
        .create_json(dispute("low", "2026-11-02T09:00:00+08:00"))
        .unwrap()
        .id();
    let e = l.act(lid, req(A::Accept, json!({}))).unwrap_err();
    assert_eq!(e.code(), "forbidden_action");
    let StoreError::Invalid(v) = l.edit(lid, &json!({"status": "accepted"})).unwrap_err() else {
        panic!("a status patch is invalid")
    };
    assert_eq!(
        (v.0[0].code, v.0[0].field.as_str()),
        (ErrorCode::ImmutableField, "status")
    );
    assert_eq!(status(&l, lid), S::Reported);

    // Out of scope: a dispatcher of another township may not accept.
    let mut far = bound(&dir, "qian.li", "dispatcher", &["jingkou-other"], None);
    pull(&d, &mut far, id, false);
    assert_eq!(
        far.act(id, req(A::Assign, json!({"assignee_user": "li.na"})))
            .unwrap_err()
            .code(),
        "forbidden_action"
    );
    assert!(far.available_actions(id).unwrap().is_empty());
    assert!(far.tasks(Timestamp::now()).unwrap().is_empty());

    // Not a dispute, deleted, not signed in.
    let visit = d
        .create_json(json!({
            "kind": "patrol_visit", "grid_id": GRID, "visited_at": "2026-11-02T09:00:00+08:00",
            "subject_kind": "place", "subject_name": "正东路菜场", "findings": "正常"
        }))
        .unwrap();
    assert!(matches!(
        d.act(visit.id(), req(A::Accept, json!({}))),
        Err(StoreError::NotADispute(_))
    ));
    assert!(matches!(
        d.available_actions(visit.id()),
        Err(StoreError::NotADispute(_))
    ));
    let gone = d
        .create_json(dispute("low", "2026-11-02T09:00:00+08:00"))
        .unwrap()
        .id();
    d.delete(gone).unwrap();
    assert!(matches!(
        d.act(gone, req(A::Accept, json!({}))),
        Err(StoreError::Deleted(_))
    ));
    assert!(d.available_actions(gone).unwrap().is_empty());
    let mut local = Store::open(&dir.path().join("local.db"), "local").unwrap();
    let lone = local
        .create_json(dispute("low", "2026-11-02T09:00:00+08:00"))
        .unwrap()
        .id();
    assert!(matches!(
        local.act(lone, req(A::Accept, json!({}))),
        Err(StoreError::NoRole)
    ));
    assert!(local.tasks(Timestamp::now()).unwrap().is_empty());
    assert_eq!(status(&local, lone), S::Reported);
    // Only the accept went in.
    assert_eq!(
        d.dispute_workflow(id, Timestamp::now())
            .unwrap()
            .events
            .len(),
        1
    );
    assert_ne!(d.export_doc(id).unwrap(), before, "the accept was saved");
}

#[test]
fn a_refused_action_leaves_document_projection_and_outbox_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = dispatcher(&dir);
    let id = d
        .create_json(dispute("low", "2026-11-02T09:00:00+08:00"))
        .unwrap()
        .id();
    let snapshot = |s: &Store| -> (Vec<u8>, Vec<RecordSummary>, Vec<HistoryEntry>) {
        (
            s.export_doc(id).unwrap(),
            s.list(&ListQuery::default()).unwrap().items,
            s.history(id).unwrap(),
        )
    };
    let before = snapshot(&d);
    for r in [
        req(A::Close, json!({})),
        req(A::Escalate, json!({"level": "township"})),
        req(A::NotAccept, json!({"not_accepted_reason": "duplicate"})),
    ] {
        assert!(d.act(id, r).is_err());
    }
    assert_eq!(snapshot(&d), before);
}

#[test]
fn tasks_come_overdue_first_then_by_due_time_then_by_risk() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = dispatcher(&dir);
    // Reported on Friday 2026-11-27 at 16:00 (China time): critical due in an hour, high in four,
    // low and medium the next working day (Monday 16:00).
    let at = "2026-11-27T16:00:00+08:00";
    let mut add = |risk: &str| d.create_json(dispute(risk, at)).unwrap().id();
    let (low, medium, high, critical) = (add("low"), add("medium"), add("high"), add("critical"));
    let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
    let order = |now: &str| -> Vec<(RecordId, bool)> {
        d.tasks(t(now))
            .unwrap()
            .iter()
            .map(|x| (x.id, x.overdue))
            .collect()
    };
    assert_eq!(
        order("2026-11-27T16:30:00+08:00"),
        vec![
            (critical, false),
            (high, false),
            (medium, false),
            (low, false)
        ]
    );
    assert_eq!(
        order("2026-11-27T18:00:00+08:00"),
        vec![
            (critical, true),
            (high, false),
            (medium, false),
            (low, false)
        ]
    );
    assert_eq!(
        order("2026-11-30T17:00:00+08:00"),
        vec![(critical, true), (high, true), (medium, true), (low, true)]
    );
    let monday = t("2026-11-30T16:00:00+08:00");
    let items = d.tasks(t("2026-11-27T16:30:00+08:00")).unwrap();
    assert_eq!(items[2].due_at, Some(monday));
    assert!(
        items
            .iter()
            .all(|i| i.next_action == Some(A::Accept) && i.status == S::Reported)
    );
    assert!(
        items.iter().all(|i| !i.title.contains("张三")),
        "masked titles"
    );
    // The overdue filter agrees (a visit's follow-up past due counts too).
    let overdue = |now: &str| {
        d.list(&ListQuery {
            overdue_at: Some(t(now)),
            ..Default::default()
        })
        .unwrap()
        .items
        .len()
    };
    assert_eq!(
        (
            overdue("2026-11-27T16:30:00+08:00"),
            overdue("2026-11-27T18:00:00+08:00")
        ),
        (0, 1)
    );
    assert_eq!(overdue("2026-12-01T09:00:00+08:00"), 4);
    // A grid worker and a volunteer have nothing to do on reported disputes.
    let w = bound(&dir, "wang.wei", "grid_worker", &[GRID], None);
    assert!(w.tasks(t("2026-11-27T16:30:00+08:00")).unwrap().is_empty());
}

#[test]
fn a_dispatcher_keeps_supervised_disputes_and_a_unit_member_holds_a_unit_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = dispatcher(&dir);
    let id = d
        .create_json(dispute("low", "2026-11-02T09:00:00+08:00"))
        .unwrap()
        .id();
    d.act(id, req(A::Accept, json!({}))).unwrap();
    d.act(id, req(A::Assign, json!({"assignee_unit": UNIT})))
        .unwrap();
    let now = Timestamp::now();
    assert!(d.tasks(now).unwrap().is_empty());
    d.act(id, req(A::Supervise, json!({"note": "请加快办理"})))
        .unwrap();
    assert_eq!(task_ids(&d, now), vec![(id, Some(A::Assign))]);

    let mut member = bound(&dir, "sun.li", "legal_volunteer", &[], Some(UNIT));
    let mut other = bound(&dir, "zhou.yi", "legal_volunteer", &[], None);
    pull(&d, &mut member, id, false);
    pull(&d, &mut other, id, true);
    assert_eq!(task_ids(&member, now), vec![(id, Some(A::Start))]);
    assert!(other.tasks(now).unwrap().is_empty());
    let r = member.act(id, req(A::Start, json!({}))).unwrap();
    let gridmate_domain::RecordBody::Dispute(body) = r.body else {
        panic!("a dispute")
    };
    assert_eq!(body.workflow[3].by_unit.as_deref(), Some(UNIT));
    assert_eq!(
        member
            .list(&ListQuery {
                assigned_to_me: true,
                ..Default::default()
            })
            .unwrap()
            .items
            .len(),
        1
    );
    assert_eq!(
        other
            .act(
                id,
                req(
                    A::Resolve,
                    json!({"resolution_method": "mediation", "outcome": "withdrawn"})
                )
            )
            .unwrap_err()
            .code(),
        "forbidden_action"
    );
}

#[test]
fn reference_data_sets_the_deadline_table_and_due_times_follow_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = dispatcher(&dir);
    let id = d
        .create_json(dispute("low", "2026-11-27T16:00:00+08:00"))
        .unwrap()
        .id();
    let t = |s: &str| Timestamp::parse_rfc3339(s).unwrap();
    let due = |s: &Store| s.tasks(t("2026-11-27T16:30:00+08:00")).unwrap()[0].due_at;
    assert_eq!(due(&d), Some(t("2026-11-30T16:00:00+08:00")));
    assert_eq!(d.reference_data().unwrap(), None);
    let data = ReferenceData {
        areas: vec![],
        units: vec![],
        colleagues: vec![],
        deadlines: DeadlineTable {
            steps: vec![StepLimit {
                status: S::Reported,
                category: None,
                risk: None,
                limit: Limit::Hours(2),
            }],
            holidays: vec![],
            workdays: vec![],
        },
    };
    d.set_reference_data(&data).unwrap();
    assert_eq!(due(&d), Some(t("2026-11-27T18:00:00+08:00")));
    assert!(
        d.dispute_workflow(id, t("2026-11-27T19:00:00+08:00"))
            .unwrap()
            .overdue
    );
    drop(d);
    let d = dispatcher(&dir);
    assert_eq!(d.reference_data().unwrap(), Some(data));
    assert_eq!(due(&d), Some(t("2026-11-27T18:00:00+08:00")));
}

#[test]
fn rows_written_before_the_workflow_columns_get_them_at_the_next_opening() {
    let dir = tempfile::tempdir().unwrap();
    let mut d = dispatcher(&dir);
    let id = d
        .create_json(dispute("low", "2026-11-27T16:00:00+08:00"))
        .unwrap()
        .id();
    d.act(id, req(A::Accept, json!({}))).unwrap();
    d.act(id, req(A::Assign, json!({"assignee_user": "li.na"})))
        .unwrap();
    let columns = |s: &Store| -> (Option<String>, Option<i64>, Option<String>) {
        s.conn
            .query_row(
                "SELECT assignee_user, due_at, level FROM records WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
    };
    let want = columns(&d);
    assert_eq!(want.0.as_deref(), Some("li.na"));
    assert!(want.1.is_some());
    // As an upgraded store holds them: the columns empty, no table recorded.
    d.conn
        .execute_batch(
            "UPDATE records SET assignee_user = NULL, due_at = NULL, level = NULL;
             DELETE FROM meta WHERE key = 'deadline_table';",
        )
        .unwrap();
    drop(d);
    assert_eq!(columns(&dispatcher(&dir)), want);
}

#[test]
fn an_unparsable_details_value_is_never_an_event() {
    // What the app or the CLI sends is parsed strictly: an unknown detail is an error, not dropped.
    let parsed: Result<EventDetails, _> = serde_json::from_value(json!({"assignee": "li.na"}));
    assert!(parsed.is_err());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 12, ..Default::default() })]

    /// Whatever the disputes and the moment: a dispatcher's tasks are exactly the reported
    /// disputes, each due when the deadline table says and overdue exactly when past it, in the
    /// documented order.
    #[test]
    fn tasks_are_every_waiting_dispute_in_their_order(
        specs in proptest::collection::vec((0usize..4, 0i64..(30 * 24)), 1..6),
        now_h in 0i64..(40 * 24),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut d = dispatcher(&dir);
        let base = Timestamp::parse_rfc3339("2026-10-01T09:00:00+08:00").unwrap();
        let hour = 3_600_000;
        let risks = ["low", "medium", "high", "critical"];
        let mut created = Vec::new();
        for (risk, h) in &specs {
            let at = base.plus_millis(h * hour).to_rfc3339();
            let r = d.create_json(dispute(risks[*risk], &at)).unwrap();
            created.push(r);
        }
        let now = base.plus_millis(now_h * hour);
        let items = d.tasks(now).unwrap();
        let mut got: Vec<RecordId> = items.iter().map(|t| t.id).collect();
        let mut want: Vec<RecordId> = created.iter().map(|r| r.id()).collect();
        got.sort();
        want.sort();
        proptest::prop_assert_eq!(got, want);
        let table = DeadlineTable::default();
        for t in &items {
            let r = created.iter().find(|r| r.id() == t.id).unwrap();
            let gridmate_domain::RecordBody::Dispute(body) = &r.body else { unreachable!() };
            let due = table.due_at(&body.view().state, body.dispute_category, body.risk_level, body.reported_at);
            proptest::prop_assert_eq!(t.due_at, due);
            proptest::prop_assert_eq!(t.overdue, due.is_some_and(|x| now > x));
            proptest::prop_assert_eq!(t.next_action, Some(A::Accept));
        }
        for w in items.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            proptest::prop_assert!(a.overdue >= b.overdue, "overdue first");
            if a.overdue == b.overdue {
                proptest::prop_assert!(a.due_at <= b.due_at, "then by due time");
                if a.due_at == b.due_at {
                    proptest::prop_assert!(a.risk_level >= b.risk_level, "then by risk");
                }
            }
        }
    }
}

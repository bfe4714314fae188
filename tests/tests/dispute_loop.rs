//! The dispute closed loop through a real server, as the issue tells it: a grid worker reports; the
//! township dispatcher accepts and assigns it to a lawyer whose own area is another township; the
//! lawyer, offline, starts, logs two mediation sessions and resolves, while the dispatcher
//! reassigns it to another lawyer; after everyone syncs, every device that holds the dispute shows
//! the same timeline with the losing move flagged, nothing lost; the loop is finished (by the new
//! assignee when the reassignment won); the grid worker records the follow-up and the parties'
//! satisfaction; the server's dump shows the final state and every author, as authenticated.
//!
//! Which of the two concurrent moves wins is decided by Automerge's order of the two devices'
//! operations (random actor ids): the test follows both outcomes and checks each fully.
#![allow(clippy::unwrap_used)]

use gridmate_domain::fixtures::Rng;
use gridmate_domain::record::RecordBody;
use gridmate_domain::workflow::{ActionRequest, EventDetails, Verdict};
use gridmate_domain::*;
use gridmate_system_tests::{Device, Server, draft};

const GRID: &str = "jingkou-zhengdonglu-03";

fn act(d: &Device, id: RecordId, action: WorkflowAction, details: EventDetails) -> Record {
    let req = ActionRequest { action, details };
    d.with(|s| s.act(id, req))
        .unwrap_or_else(|e| panic!("{} may {action}: {e:?}", d.user))
}

fn dispute(r: &Record) -> &Dispute {
    match &r.body {
        RecordBody::Dispute(d) => d,
        _ => panic!("not a dispute"),
    }
}

fn note(s: &str) -> EventDetails {
    EventDetails {
        note: Some(s.into()),
        ..Default::default()
    }
}

fn assign_to(user: &str) -> EventDetails {
    EventDetails {
        assignee_user: Some(user.into()),
        due_at: Some(Timestamp::now().plus_millis(5 * 86_400_000)),
        ..Default::default()
    }
}

fn session(n: u32) -> EventDetails {
    EventDetails {
        log_kind: Some(LogKind::Session),
        occurred_at: Some(Timestamp::now().plus_millis(-60_000)),
        attendees: Some("申请人、被申请人".into()),
        note: Some(format!("第{n}次调解：双方陈述，未达成一致")),
        ..Default::default()
    }
}

fn resolution() -> EventDetails {
    EventDetails {
        resolution_method: Some(ResolutionMethod::Mediation),
        outcome: Some(ResolutionOutcome::Agreement),
        terms: Some("楼上住户十日内修复防水并赔偿八百元".into()),
        ..Default::default()
    }
}

/// The dispute's events as `(action, author)` with the indexes of flagged ones.
fn timeline(r: &Record) -> (Vec<(WorkflowAction, String)>, Vec<usize>) {
    let d = dispute(r);
    let view = d.view();
    let events = d
        .workflow
        .iter()
        .map(|e| (e.action, e.by.clone()))
        .collect();
    let flagged = view
        .verdicts
        .iter()
        .enumerate()
        .filter(|(_, v)| matches!(v, Verdict::Flagged { .. }))
        .map(|(i, _)| i)
        .collect();
    (events, flagged)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_assign_offline_resolution_and_reassignment_follow_up_and_satisfaction() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", GRID, None);
    server.add_user("diao.du", "dispatcher", "jingkou-zhengdonglu", None);
    server.add_user(
        "li.lvshi",
        "legal_volunteer",
        "jingkou-xiangshan",
        Some("lawyer"),
    );
    server.add_user(
        "zhou.lvshi",
        "legal_volunteer",
        "jingkou-xiangshan",
        Some("lawyer"),
    );
    let url = server.url.clone();
    let worker = Device::login(&url, "wang.wei").await.unwrap();
    let centre = Device::login(&url, "diao.du").await.unwrap();
    let li = Device::login(&url, "li.lvshi").await.unwrap();
    let zhou = Device::login(&url, "zhou.lvshi").await.unwrap();

    // Reported in the field; accepted and assigned by the township's centre.
    let mut rng = Rng::new(11);
    let mut d = draft(&mut rng, GRID);
    while !matches!(d.body, RecordBody::Dispute(_)) {
        d = draft(&mut rng, GRID);
    }
    let id = worker.with(|s| s.create(d)).unwrap().id();
    worker.sync().await.unwrap();
    centre.sync().await.unwrap();
    act(&centre, id, WorkflowAction::Accept, EventDetails::default());
    act(&centre, id, WorkflowAction::Assign, assign_to("li.lvshi"));
    centre.sync().await.unwrap();

    // The lawyer's area is another township: she gets this dispute (and only it) once assigned.
    li.sync().await.unwrap();
    let got = li.with(|s| s.get(id)).unwrap();
    assert_eq!(dispute(&got).status, DisputeStatus::Assigned);
    let tasks = li.with(|s| s.tasks(Timestamp::now())).unwrap();
    assert!(
        tasks.iter().any(|t| t.id == id),
        "the assignment is in 待办"
    );

    // Offline: the lawyer starts, logs two sessions and resolves; meanwhile the centre reassigns.
    act(&li, id, WorkflowAction::Start, EventDetails::default());
    act(&li, id, WorkflowAction::Log, session(1));
    act(&li, id, WorkflowAction::Log, session(2));
    act(&li, id, WorkflowAction::Resolve, resolution());
    act(&centre, id, WorkflowAction::Assign, assign_to("zhou.lvshi"));
    centre.sync().await.unwrap();
    let report = li.sync().await.unwrap();
    assert!(
        report.rejected.is_empty(),
        "honest offline work is never refused: {report:?}"
    );
    for dev in [&worker, &centre, &zhou, &li] {
        dev.sync().await.unwrap();
    }

    // Every device that holds it shows the same timeline, all seven events. The two concurrent
    // branches (the lawyer's four events, the centre's reassignment) follow the first assignment
    // in one order or the other: if the reassignment comes first, the lawyer's start and
    // resolution are flagged (she was no longer the assignee; her two logs stay valid); if her
    // events come first, the dispute was resolved and the reassignment is flagged.
    let on_server = server.dump();
    let (_, server_rec) = &on_server[&id.to_string()];
    let server_rec: Record = serde_json::from_value(server_rec.clone()).unwrap();
    let (events, flagged) = timeline(&server_rec);
    assert_eq!(events.len(), 7, "{events:?}");
    let reassignment_won = events[2] == (WorkflowAction::Assign, "diao.du".to_owned());
    let flagged_events: Vec<&(WorkflowAction, String)> =
        flagged.iter().map(|i| &events[*i]).collect();
    if reassignment_won {
        let li = |a| (a, "li.lvshi".to_owned());
        assert_eq!(
            flagged_events,
            vec![&li(WorkflowAction::Start), &li(WorkflowAction::Resolve)],
            "{events:?}"
        );
    } else {
        assert_eq!(
            flagged_events,
            vec![&(WorkflowAction::Assign, "diao.du".to_owned())],
            "{events:?}"
        );
        assert_eq!(flagged, vec![6], "the reassignment came last: {events:?}");
    }
    let holders: Vec<&Device> = if reassignment_won {
        vec![&worker, &centre, &zhou]
    } else {
        vec![&worker, &centre, &li]
    };
    for dev in &holders {
        let r = dev.with(|s| s.get(id)).unwrap();
        assert_eq!(
            timeline(&r),
            (events.clone(), flagged.clone()),
            "{}",
            dev.user
        );
    }
    let dropped = if reassignment_won { &li } else { &zhou };
    assert!(
        dropped.with(|s| s.get(id)).is_err(),
        "{} no longer holds a dispute that is not theirs",
        dropped.user
    );

    // The loop is finished: by the new assignee when the reassignment won.
    if reassignment_won {
        assert!(
            zhou.with(|s| s.tasks(Timestamp::now()))
                .unwrap()
                .iter()
                .any(|t| t.id == id)
        );
        act(&zhou, id, WorkflowAction::Start, EventDetails::default());
        act(&zhou, id, WorkflowAction::Resolve, resolution());
        zhou.sync().await.unwrap();
        worker.sync().await.unwrap();
    }
    let r = worker.with(|s| s.get(id)).unwrap();
    assert_eq!(dispute(&r).status, DisputeStatus::Resolved);
    act(
        &worker,
        id,
        WorkflowAction::FollowUp,
        note("回访：防水已修复，赔偿已付"),
    );
    let satisfied = EventDetails {
        satisfaction: Some(Satisfaction::Satisfied),
        ..Default::default()
    };
    act(&worker, id, WorkflowAction::Evaluate, satisfied);
    worker.sync().await.unwrap();
    centre.sync().await.unwrap();

    // The server's record: evaluated, and every event's author is the user who pushed it.
    let dumped = server.dump();
    let rec: Record = serde_json::from_value(dumped[&id.to_string()].1.clone()).unwrap();
    assert_eq!(dispute(&rec).status, DisputeStatus::Evaluated);
    let authors: Vec<(WorkflowAction, String)> = timeline(&rec).0;
    let mut expected = vec![
        (WorkflowAction::Accept, "diao.du"),
        (WorkflowAction::Assign, "diao.du"),
        (WorkflowAction::Start, "li.lvshi"),
        (WorkflowAction::Log, "li.lvshi"),
        (WorkflowAction::Log, "li.lvshi"),
        (WorkflowAction::Resolve, "li.lvshi"),
        (WorkflowAction::Assign, "diao.du"),
    ];
    if reassignment_won {
        expected.push((WorkflowAction::Start, "zhou.lvshi"));
        expected.push((WorkflowAction::Resolve, "zhou.lvshi"));
    }
    expected.push((WorkflowAction::FollowUp, "wang.wei"));
    expected.push((WorkflowAction::Evaluate, "wang.wei"));
    let mut got = authors.clone();
    let mut want: Vec<(WorkflowAction, String)> = expected
        .into_iter()
        .map(|(a, u)| (a, u.to_owned()))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "every event kept, each by its author");
    let centre_view = centre.with(|s| s.get(id)).unwrap();
    assert_eq!(timeline(&centre_view), timeline(&rec));
}

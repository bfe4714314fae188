//! Disputes assigned outside the grid, against a real `gridmate-server` process and real device
//! stores (protocol 4).
//!
//! `a_lawyer_outside_the_grid_gets_her_dispute_and_nothing_else_until_it_is_reassigned`: a lawyer
//! whose scope is another township has nothing of grid 03 until a dispatcher assigns her a dispute
//! there; her next sync brings that dispute whole (the same heads as the server) and the reference
//! data, never the grid's other records, and later changes of the dispute as they come; a
//! version-3 app of hers is sent none of it; once the dispute is reassigned, her next page revokes
//! it and her device drops it, and nothing of the grid is sent to her again.
//!
//! `a_unit_member_outside_the_grid_gets_the_units_dispute_while_in_the_unit`: a dispute assigned
//! to a unit (派出所) reaches a member whose scope is another township; leaving the unit revokes
//! it, joining again brings it back whole.
#![allow(clippy::unwrap_used)]

use automerge::AutoCommit;
use gridmate_domain::document::{read_record, write_changes};
use gridmate_domain::wire::{self, PROTOCOL_VERSION, PullPage, PullRequest, PushDoc};
use gridmate_domain::workflow::{EventDetails, WorkflowEvent};
use gridmate_domain::{RecordBody, RecordId, Role, Timestamp, WorkflowAction};
use gridmate_system_tests::handmade::{assert_accepted, push_as, raw_changes};
use gridmate_system_tests::{Device, Server, exchange_raw};
use serde_json::json;

const Z03: &str = "jingkou-zhengdonglu-03";
const TOWNSHIP: &str = "jingkou-zhengdonglu";

/// The dispatcher appends workflow events to `id` (as the app would: to the document it holds)
/// and pushes them with its token.
async fn act(dispatcher: &Device, id: RecordId, events: Vec<(WorkflowAction, EventDetails)>) {
    dispatcher.sync().await.unwrap();
    let mut doc = AutoCommit::load(&dispatcher.with(|s| s.export_doc(id)).unwrap()).unwrap();
    let before = doc.get_heads();
    let old = read_record(&doc).unwrap();
    let mut new = old.clone();
    let RecordBody::Dispute(d) = &mut new.body else {
        panic!("not a dispute")
    };
    for (action, details) in events {
        d.workflow.push(WorkflowEvent {
            id: uuid::Uuid::now_v7().to_string(),
            action,
            by: "zhao.min".into(),
            role: Role::Dispatcher,
            by_unit: None,
            at: Timestamp::now(),
            details,
        });
    }
    d.refresh_status();
    write_changes(&mut doc, Some(&old), &new).unwrap();
    doc.commit();
    let push = PushDoc {
        record_id: *id.as_uuid().as_bytes(),
        changes: raw_changes(doc.get_changes(&before)),
    };
    let resp = push_as(dispatcher, vec![push]).await;
    assert_accepted(&resp.results[0].outcome);
}

fn assign_to(user: &str) -> (WorkflowAction, EventDetails) {
    let details = EventDetails {
        assignee_user: Some(user.into()),
        ..EventDetails::default()
    };
    (WorkflowAction::Assign, details)
}

/// One pull from no position with `dev`'s token in protocol `protocol`: what a fresh device of
/// that version would be sent first.
async fn first_page(dev: &Device, protocol: u16) -> Vec<u8> {
    let pull = PullRequest {
        positions: vec![],
        max_changes: 1_000,
    };
    exchange_raw(dev, protocol, vec![], pull).await
}

async fn page_v4(dev: &Device) -> PullPage {
    let bytes = first_page(dev, PROTOCOL_VERSION).await;
    wire::decode_response(&bytes).unwrap().pull.unwrap()
}

fn ids(page: &PullPage) -> Vec<RecordId> {
    page.docs
        .iter()
        .map(|d| RecordId::from_uuid(uuid::Uuid::from_bytes(d.record_id)))
        .collect()
}

fn heads(dev: &Device, id: RecordId) -> Vec<String> {
    let mut doc = AutoCommit::load(&dev.with(|s| s.export_doc(id)).unwrap()).unwrap();
    let mut h: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
    h.sort();
    h
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lawyer_outside_the_grid_gets_her_dispute_and_nothing_else_until_it_is_reassigned() {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("zhao.min", "dispatcher", TOWNSHIP, None);
    server.add_user(
        "chen.jing",
        "legal_volunteer",
        "jingkou-jianshelu",
        Some("lawyer"),
    );
    server.add_user("li.na", "legal_volunteer", Z03, Some("lawyer"));
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let dispatcher = Device::login(&server.url, "zhao.min").await.unwrap();
    let lawyer = Device::login(&server.url, "chen.jing").await.unwrap();

    let (dispute, other_dispute, visit) = worker.with(|s| {
        let d = |summary: &str| {
            json!({"kind": "dispute", "grid_id": Z03, "reported_at": "2026-11-30T09:00:00+08:00",
                   "source": "field", "dispute_category": "neighbour", "summary": summary,
                   "risk_level": "low", "parties": [{"name": "张三", "role": "applicant"}]})
        };
        let a = s.create_json(d("楼上漏水，两户多次争执")).unwrap().id();
        let b = s.create_json(d("停车位纠纷")).unwrap().id();
        let v = s
            .create_json(json!({"kind": "patrol_visit", "grid_id": Z03,
                "visited_at": "2026-11-30T10:00:00+08:00", "subject_kind": "place",
                "subject_name": "正东路菜场", "findings": "消防通道堵塞"}))
            .unwrap()
            .id();
        (a, b, v)
    });
    worker.sync().await.unwrap();
    lawyer.sync().await.unwrap();
    assert!(lawyer.record_ids().is_empty(), "nothing of another grid");
    assert!(
        lawyer.with(|s| s.reference_data()).unwrap().is_some(),
        "the reference data comes with a sync"
    );

    // Accepted and assigned to the lawyer of another township.
    act(
        &dispatcher,
        dispute,
        vec![
            (WorkflowAction::Accept, EventDetails::default()),
            assign_to("chen.jing"),
        ],
    )
    .await;
    act(
        &dispatcher,
        other_dispute,
        vec![(WorkflowAction::Accept, EventDetails::default())],
    )
    .await;
    let report = lawyer.sync().await.unwrap();
    assert_eq!(report.pulled_records, 1, "{report:?}");
    assert_eq!(lawyer.record_ids(), vec![dispute]);
    assert_eq!(heads(&lawyer, dispute), server_heads(&server, dispute));
    let record = lawyer.with(|s| s.get(dispute)).unwrap();
    let RecordBody::Dispute(d) = &record.body else {
        panic!("not a dispute")
    };
    assert_eq!(
        d.view().state.assignee_user.as_deref(),
        Some("chen.jing"),
        "her copy says it is hers"
    );

    // The grid goes on: she gets the dispute's new changes, never its neighbours'.
    worker.sync().await.unwrap();
    worker.with(|s| {
        s.edit(dispute, &json!({"summary": "楼上漏水，已约双方周五面谈"}))
            .unwrap();
        s.edit(visit, &json!({"findings": "消防通道已清理"}))
            .unwrap();
        s.edit(other_dispute, &json!({"summary": "停车位纠纷，已协商"}))
            .unwrap();
    });
    worker.sync().await.unwrap();
    lawyer.sync().await.unwrap();
    assert_eq!(lawyer.record_ids(), vec![dispute]);
    assert_eq!(heads(&lawyer, dispute), server_heads(&server, dispute));
    let fresh = page_v4(&lawyer).await;
    assert_eq!(
        ids(&fresh),
        vec![dispute],
        "a fresh device of hers: the dispute, whole"
    );
    assert!(fresh.docs[0].projection.is_some());
    assert!(fresh.revoked.is_empty());
    // An app of version 3 cannot be told to drop a reassigned record: it is sent none.
    let old = wire::v3::decode_response(&first_page(&lawyer, 3).await).unwrap();
    assert!(old.pull.unwrap().docs.is_empty());

    // Reassigned to a colleague in the grid: her next page revokes it and her device drops it.
    act(&dispatcher, dispute, vec![assign_to("li.na")]).await;
    let report = lawyer.sync().await.unwrap();
    assert_eq!(report.revoked, 1, "{report:?}");
    assert!(lawyer.record_ids().is_empty());
    let fresh = page_v4(&lawyer).await;
    assert!(fresh.docs.is_empty());
    assert_eq!(ids_of(&fresh.revoked), vec![dispute]);

    // Nothing of that grid is sent to her any more, whatever changes there.
    worker.sync().await.unwrap();
    worker.with(|s| {
        s.edit(dispute, &json!({"summary": "楼上漏水，调解中"}))
            .unwrap()
    });
    worker.sync().await.unwrap();
    let report = lawyer.sync().await.unwrap();
    assert_eq!(
        (report.pulled_records, report.revoked),
        (0, 0),
        "{report:?}"
    );
    assert!(lawyer.record_ids().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unit_member_outside_the_grid_gets_the_units_dispute_while_in_the_unit() {
    const PCS: &str = "jingkou-zhengdonglu-pcs";
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", Z03, None);
    server.add_user("zhao.min", "dispatcher", TOWNSHIP, None);
    server.add_user(
        "zhou.qiang",
        "legal_volunteer",
        "jingkou-jianshelu",
        Some("police_officer"),
    );
    server.admin(&["unit", "add", PCS, "--name", "正东路派出所"], None);
    server.admin(&["user", "update", "zhou.qiang", "--unit", PCS], None);
    let worker = Device::login(&server.url, "wang.wei").await.unwrap();
    let dispatcher = Device::login(&server.url, "zhao.min").await.unwrap();
    let officer = Device::login(&server.url, "zhou.qiang").await.unwrap();
    let dispute = worker.with(|s| {
        s.create_json(json!({"kind": "dispute", "grid_id": Z03,
            "reported_at": "2026-11-30T09:00:00+08:00", "source": "field",
            "dispute_category": "neighbour", "summary": "噪音扰民", "risk_level": "low",
            "parties": [{"name": "李四", "role": "applicant"}]}))
            .unwrap()
            .id()
    });
    worker.sync().await.unwrap();
    officer.sync().await.unwrap();
    assert!(officer.record_ids().is_empty());
    let reference = officer.with(|s| s.reference_data()).unwrap().unwrap();
    assert_eq!(reference.unit_name(PCS), "正东路派出所");
    let me = reference
        .colleagues
        .iter()
        .find(|c| c.name == "zhou.qiang")
        .unwrap();
    assert_eq!(me.unit.as_deref(), Some(PCS));

    let to_unit = EventDetails {
        assignee_unit: Some(PCS.into()),
        ..EventDetails::default()
    };
    act(
        &dispatcher,
        dispute,
        vec![
            (WorkflowAction::Accept, EventDetails::default()),
            (WorkflowAction::Assign, to_unit),
        ],
    )
    .await;
    officer.sync().await.unwrap();
    assert_eq!(officer.record_ids(), vec![dispute]);

    server.admin(&["user", "update", "zhou.qiang", "--no-unit"], None);
    let report = officer.sync().await.unwrap();
    assert_eq!(report.revoked, 1, "{report:?}");
    assert!(officer.record_ids().is_empty());

    server.admin(&["user", "update", "zhou.qiang", "--unit", PCS], None);
    officer.sync().await.unwrap();
    assert_eq!(
        officer.record_ids(),
        vec![dispute],
        "back in the unit: whole again"
    );
    assert_eq!(heads(&officer, dispute), server_heads(&server, dispute));
}

fn ids_of(revoked: &[wire::Uuid]) -> Vec<RecordId> {
    revoked
        .iter()
        .map(|u| RecordId::from_uuid(uuid::Uuid::from_bytes(*u)))
        .collect()
}

/// The record's heads on the server, sorted (from `record dump`).
fn server_heads(server: &Server, id: RecordId) -> Vec<String> {
    let dump = server.dump();
    let (heads, _) = dump.get(&id.to_string()).unwrap();
    heads.clone()
}

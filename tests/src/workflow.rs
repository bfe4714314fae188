//! Workflow actions on a dispute, written the way a device writes them: the event is appended to
//! the record's document with `gridmate_domain::document::write_changes` (which is all a device
//! does, honest or hostile) by an actor of its own, and pushed with the device's token. The
//! device's store learns of it on its next pull, like any change it did not make itself.
//!
//! The client store has no action API for the tests to call, so this is how the whole-system
//! tests move a dispute; the server decides on the events exactly as it would from the app. An
//! action so taken reaches the server at once, with the device's other work on the record.

use std::time::Duration;

use automerge::{ActorId, AutoCommit};
use gridmate_core::sync::SyncClient;
use gridmate_domain::document::{read_record, write_changes};
use gridmate_domain::wire::{self, PROTOCOL_VERSION, PushDoc, PushOutcome, SyncRequest};
use gridmate_domain::workflow::{EventDetails, WorkflowEvent};
use gridmate_domain::{Record, RecordBody, RecordId, Role, Timestamp, WorkflowAction};

use super::Device;

/// An event by `user` in `role`, made now, with a fresh id.
pub fn event(
    user: &str,
    role: Role,
    action: WorkflowAction,
    details: EventDetails,
) -> WorkflowEvent {
    WorkflowEvent {
        id: uuid::Uuid::now_v7().to_string(),
        action,
        by: user.to_owned(),
        role,
        by_unit: None,
        at: Timestamp::now(),
        details,
    }
}

/// The changes that save `f(record)` over the record `doc` holds, by a fresh actor (as a device
/// saves an edit: the record changed, the time of the save); `doc` holds them after.
pub fn save(doc: &mut AutoCommit, f: impl FnOnce(&mut Record)) -> Vec<wire::Change> {
    doc.set_actor(ActorId::random());
    let before = doc.get_heads();
    let old = read_record(doc).unwrap();
    let mut new = old.clone();
    f(&mut new);
    new.meta.updated_at = Timestamp::now().max(old.meta.updated_at);
    write_changes(doc, Some(&old), &new).unwrap();
    doc.commit();
    doc.get_changes(&before)
        .iter()
        .map(|c| wire::Change(c.raw_bytes().to_vec()))
        .collect()
}

/// The change that appends `ev` to the dispute `doc` holds (as a device saves an action).
pub fn append(doc: &mut AutoCommit, ev: WorkflowEvent) -> Vec<wire::Change> {
    save(doc, |r| {
        let RecordBody::Dispute(d) = &mut r.body else {
            panic!("{} is not a dispute", r.meta.id);
        };
        d.workflow.push(ev);
        d.refresh_status();
    })
}

/// The record's document as the device holds it.
pub fn doc_on(dev: &Device, id: RecordId) -> AutoCommit {
    AutoCommit::load(&dev.with(|s| s.export_doc(id)).unwrap()).unwrap()
}

/// The role `dev`'s account signed in with.
pub fn role_of(dev: &Device) -> Role {
    let b = dev.with(|s| s.server_binding()).unwrap().unwrap();
    Role::parse(&b.role).unwrap()
}

/// Pushes `changes` of record `id` with `dev`'s token (no pull), retrying while the request or its
/// answer is lost (a push is idempotent); the server's verdict.
pub async fn push_changes(dev: &Device, id: RecordId, changes: Vec<wire::Change>) -> PushOutcome {
    let b = dev.with(|s| s.server_binding()).unwrap().unwrap();
    let c = SyncClient::new(&b.server_url, false, Some(b.token)).unwrap();
    let req = SyncRequest {
        protocol: PROTOCOL_VERSION,
        push: vec![PushDoc {
            record_id: *id.as_uuid().as_bytes(),
            changes,
        }],
        pull: None,
    };
    let mut last = None;
    for _ in 0..400 {
        match c.sync(&req).await {
            Ok((mut resp, _)) => return resp.results.remove(0).outcome,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the push of an event never got an answer: {last:?}");
}

/// `dev`'s user takes `action` on dispute `id` as the device holds it, and pushes it at once with
/// the record's whole history on the device: a device never sends a change without the changes it
/// follows (the server would hold it until they came). The device's own store still sends its
/// unsynced saves later; the server already has them.
pub async fn act(
    dev: &Device,
    id: RecordId,
    action: WorkflowAction,
    details: EventDetails,
) -> PushOutcome {
    let ev = event(&dev.user, role_of(dev), action, details);
    let mut doc = doc_on(dev, id);
    append(&mut doc, ev);
    let history = doc
        .get_changes(&[])
        .iter()
        .map(|c| wire::Change(c.raw_bytes().to_vec()))
        .collect();
    push_changes(dev, id, history).await
}

/// Details that make `action` complete (an `assign` goes to `assignee`, due in three days).
pub fn valid_details(action: WorkflowAction, assignee: &str) -> EventDetails {
    use gridmate_domain::{
        EscalationLevel, LogKind, NotAcceptedReason, ResolutionMethod, ResolutionOutcome,
        ReturnReason, Satisfaction,
    };
    let now = Timestamp::now();
    let d = EventDetails::default();
    let note = Some("已电话联系双方当事人".to_owned());
    match action {
        WorkflowAction::Accept | WorkflowAction::Start | WorkflowAction::Close => d,
        WorkflowAction::NotAccept => EventDetails {
            not_accepted_reason: Some(NotAcceptedReason::NotADispute),
            ..d
        },
        WorkflowAction::Assign => EventDetails {
            assignee_user: Some(assignee.to_owned()),
            due_at: Some(now.plus_millis(3 * 86_400_000)),
            ..d
        },
        WorkflowAction::Log => EventDetails {
            note,
            log_kind: Some(LogKind::Call),
            occurred_at: Some(now.plus_millis(-60_000)),
            ..d
        },
        WorkflowAction::Resolve => EventDetails {
            resolution_method: Some(ResolutionMethod::Mediation),
            outcome: Some(ResolutionOutcome::Withdrawn),
            ..d
        },
        WorkflowAction::Return => EventDetails {
            return_reason: Some(ReturnReason::NotOurs),
            ..d
        },
        WorkflowAction::Escalate => EventDetails {
            note,
            level: Some(EscalationLevel::Township),
            ..d
        },
        WorkflowAction::Supervise | WorkflowAction::FollowUp => EventDetails { note, ..d },
        WorkflowAction::Evaluate => EventDetails {
            satisfaction: Some(Satisfaction::Satisfied),
            ..d
        },
    }
}

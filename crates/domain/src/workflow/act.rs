//! Taking an action: the one place that turns what a user asks for ([`ActionRequest`]) into the
//! event appended to a dispute, for every writer (the device's `Store::act`, the server's console
//! acting for a dispatcher). Pure apart from the event's fresh UUIDv7.
//!
//! Invariant: an event comes out only if the role table allows `actor` to take the action with
//! these details on the dispute as it stands (`permitted`), the dispute has room for it
//! (`MAX_EVENTS`) and the whole event passes `check_event`; otherwise the [`Denial`] says why
//! (state, role, assignee, or the details' field errors).

use super::table::{Actor, Denial, permitted};
use super::{ActionRequest, MAX_EVENTS, WorkflowEvent, check_event};
use crate::error::{ErrorCode, FieldError};
use crate::record::{Dispute, Record, RecordBody};
use crate::time::Timestamp;

/// The event `actor` asks for with `req` on `dispute`, made at `now`, or why it is refused.
pub fn prepare_event(
    actor: &Actor<'_>,
    dispute: &Dispute,
    req: ActionRequest,
    now: Timestamp,
) -> Result<WorkflowEvent, Denial> {
    if dispute.workflow.len() >= MAX_EVENTS {
        return Err(Denial::Details(vec![FieldError::new(
            ErrorCode::InvalidValue,
            "workflow",
            format!("该纠纷的办理记录已达上限（{MAX_EVENTS} 条）"),
            format!("this dispute already holds the most events allowed ({MAX_EVENTS})"),
        )]));
    }
    let state = dispute.view().state;
    permitted(actor, &state, req.action, &req.details)?;
    let event = WorkflowEvent {
        id: uuid::Uuid::now_v7().to_string(),
        action: req.action,
        by: actor.user.to_owned(),
        role: actor.role,
        by_unit: actor.unit.map(str::to_owned),
        at: now,
        details: req.details,
    };
    let errors = check_event(&event, now);
    if errors.is_empty() {
        Ok(event)
    } else {
        Err(Denial::Details(errors))
    }
}

/// `record` (a dispute) with `event` appended at the end of its workflow, its status derived
/// again and the save's time set (never before the record's last save). Another kind of record
/// comes back unchanged but for that time.
pub fn with_event(record: &Record, event: WorkflowEvent, now: Timestamp) -> Record {
    let mut new = record.clone();
    if let RecordBody::Dispute(d) = &mut new.body {
        d.workflow.push(event);
        d.refresh_status();
    }
    new.meta.updated_at = now.max(record.meta.updated_at);
    new
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::enums::{DisputeStatus, Role, WorkflowAction as A};
    use crate::fixtures::{Rng, record};
    use crate::ids::GridId;
    use crate::workflow::EventDetails;

    fn dispute_record() -> Record {
        let mut rng = Rng::new(3);
        let grid = GridId::parse("jingkou-zhengdonglu-03").unwrap();
        let now = Timestamp::now().plus_millis(-3_600_000);
        loop {
            let r = record(&mut rng, grid.clone(), now, "wang.wei");
            if matches!(r.body, RecordBody::Dispute(_)) {
                return r;
            }
        }
    }

    fn dispatcher() -> Actor<'static> {
        Actor {
            user: "zhao",
            role: Role::Dispatcher,
            unit: Some("jingkou-sifasuo"),
            in_scope: true,
        }
    }

    fn req(action: A) -> ActionRequest {
        ActionRequest {
            action,
            details: EventDetails::default(),
        }
    }

    #[test]
    fn an_event_names_its_author_and_moves_the_derived_status() {
        let r = dispute_record();
        let RecordBody::Dispute(d) = &r.body else {
            unreachable!()
        };
        let now = Timestamp::now();
        let ev = prepare_event(&dispatcher(), d, req(A::Accept), now).unwrap();
        assert_eq!(
            (ev.by.as_str(), ev.role, ev.by_unit.as_deref(), ev.at),
            ("zhao", Role::Dispatcher, Some("jingkou-sifasuo"), now)
        );
        let new = with_event(&r, ev.clone(), now);
        assert_eq!(new.status(), Some(DisputeStatus::Accepted));
        assert!(new.meta.updated_at >= r.meta.updated_at);
        let RecordBody::Dispute(nd) = &new.body else {
            unreachable!()
        };
        assert_eq!(nd.workflow.last(), Some(&ev));
    }

    #[test]
    fn refusals_say_why_state_role_or_details() {
        let r = dispute_record();
        let RecordBody::Dispute(d) = &r.body else {
            unreachable!()
        };
        let now = Timestamp::now();
        let state = prepare_event(&dispatcher(), d, req(A::Close), now).unwrap_err();
        assert!(matches!(
            state,
            Denial::State {
                status: DisputeStatus::Reported
            }
        ));
        let worker = Actor {
            user: "wang.wei",
            role: Role::GridWorker,
            unit: None,
            in_scope: true,
        };
        let role = prepare_event(&worker, d, req(A::Accept), now).unwrap_err();
        assert_eq!(role, Denial::Role);
        let details = prepare_event(&dispatcher(), d, req(A::Supervise), now).unwrap_err();
        assert!(matches!(&details, Denial::Details(e) if e[0].field == "details.note"));
    }

    #[test]
    fn a_submitted_action_is_parsed_with_its_field_named() {
        use crate::input::parse_action;
        use serde_json::json;
        let ok = parse_action(json!({"action": "supervise", "details": {"note": "请加快"}}));
        assert_eq!(ok.unwrap().action, A::Supervise);
        for (v, code, field) in [
            (json!({}), "required", "action"),
            (json!({"action": "fly"}), "invalid_value", "action"),
            (json!({"action": "accept", "x": 1}), "unknown_field", "x"),
            (
                json!({"action": "accept", "details": {"x": 1}}),
                "unknown_field",
                "details.x",
            ),
            (json!([]), "invalid_json", ""),
        ] {
            let e = parse_action(v).unwrap_err();
            assert_eq!((e.0[0].code.as_str(), e.0[0].field.as_str()), (code, field));
        }
    }
}

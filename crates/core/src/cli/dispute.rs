//! `gridmate dispute ACTION ID [DETAILS]`, `gridmate dispute actions ID`, `gridmate tasks`, and the
//! timeline `gridmate show` prints after a dispute: the closed loop from a terminal, as the
//! signed-in user (the store's server binding decides the role). Refusals are the store's typed
//! errors, reported like every other CLI error.

use std::path::{Path, PathBuf};

use gridmate_core::Store;
use gridmate_core::store::{DisputeWorkflow, TaskItem};
use gridmate_domain::workflow::{ActionRequest, EventDetails, Verdict};
use gridmate_domain::{RecordBody, RecordId, Timestamp, WorkflowAction};

use super::commands::read_json;
use super::output::*;
use super::report::CliError;

/// Takes `action` (or lists the actions allowed, for `actions`) on dispute `id`.
pub fn run(
    path: &Path,
    account: &str,
    action: &str,
    id: RecordId,
    details: Option<String>,
    json: bool,
) -> Result<(), CliError> {
    let mut store = Store::open(path, account)?;
    if action == "actions" {
        let actions = store.available_actions(id)?;
        if json {
            print_json(&actions);
        } else {
            for a in &actions {
                outln!("{:<12}  {} / {}", a.as_str(), a.label_zh(), a.label_en());
            }
        }
        return Ok(());
    }
    let action = parse_action(action)?;
    let details = parse_details(details)?;
    let record = store.act(id, ActionRequest { action, details })?;
    if json {
        print_json(&record);
    } else if let Some(s) = record.status() {
        outln!("{}  {} / {}", s.as_str(), s.label_zh(), s.label_en());
    }
    Ok(())
}

fn parse_action(s: &str) -> Result<WorkflowAction, CliError> {
    WorkflowAction::parse(&s.replace('-', "_")).ok_or_else(|| {
        let all: Vec<&str> = WorkflowAction::ALL.iter().map(|a| a.as_str()).collect();
        CliError::input(
            "invalid_value",
            "action",
            format!("not an action: {s} (one of: actions, {})", all.join(", ")),
        )
    })
}

/// The details argument: inline JSON, `-` for stdin, or nothing (no details).
fn parse_details(arg: Option<String>) -> Result<EventDetails, CliError> {
    let value = match arg.as_deref() {
        None => return Ok(EventDetails::default()),
        Some("-") => read_json(Some(&PathBuf::from("-")))?,
        Some(text) => serde_json::from_str(text)
            .map_err(|e| CliError::input("invalid_json", "details", format!("not JSON: {e}")))?,
    };
    serde_json::from_value(value).map_err(|e| {
        CliError::input(
            "invalid_value",
            "details",
            format!("not the details of an action: {e}"),
        )
    })
}

/// `gridmate show`: the record's JSON; for people, a dispute's timeline after it.
pub fn show(store: &Store, id: RecordId, json: bool) -> Result<(), CliError> {
    let record = store.get(id)?;
    print_json(&record);
    if json || !matches!(&record.body, RecordBody::Dispute(d) if !d.workflow.is_empty()) {
        return Ok(());
    }
    print_timeline(&store.dispute_workflow(id, Timestamp::now())?);
    Ok(())
}

fn print_timeline(w: &DisputeWorkflow) {
    let s = w.state.status;
    let due = match w.due_at {
        Some(t) if w.overdue => format!("  期限 due {} 已超期 OVERDUE", t.to_china_minutes()),
        Some(t) => format!("  期限 due {}", t.to_china_minutes()),
        None => String::new(),
    };
    outln!("");
    outln!("流程 workflow: {} / {}{due}", s.label_zh(), s.as_str());
    for (ev, verdict) in w.events.iter().zip(&w.verdicts) {
        let unit = ev
            .by_unit
            .as_deref()
            .map(|u| format!(" @{u}"))
            .unwrap_or_default();
        outln!(
            "{}  {} ({}{unit})  {} / {}  {}",
            ev.at.to_china_minutes(),
            ev.by,
            ev.role.label_zh(),
            ev.action.label_zh(),
            ev.action.as_str(),
            details_text(&ev.details)
        );
        if let Verdict::Flagged {
            code,
            conflicts_with,
        } = verdict
        {
            let with = conflicts_with
                .as_deref()
                .map(|c| {
                    format!(
                        " (conflicts with {})",
                        c.chars().take(8).collect::<String>()
                    )
                })
                .unwrap_or_default();
            outln!(
                "    [未生效 flagged: {} / {}]{with}",
                code.label_zh(),
                code.label_en()
            );
        }
    }
}

/// The details that are set, as `key=value`.
fn details_text(d: &EventDetails) -> String {
    let v = serde_json::to_value(d).unwrap_or_default();
    let Some(map) = v.as_object() else {
        return String::new();
    };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| match v.as_str() {
            Some(s) => format!("{k}={s}"),
            None => format!("{k}={v}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `gridmate tasks`.
pub fn tasks(store: &Store, json: bool) -> Result<(), CliError> {
    let items = store.tasks(Timestamp::now())?;
    if json {
        print_json(&items);
    } else {
        print_tasks(&items);
    }
    Ok(())
}

fn print_tasks(items: &[TaskItem]) {
    outln!(
        "{:<36}  {:<8}  {:<4}  {:<10}  {:<16}  title",
        "id",
        "status",
        "risk",
        "next",
        "due (UTC+8)"
    );
    for t in items {
        let due = t.due_at.map(|d| d.to_china_minutes()).unwrap_or_default();
        let flag = if t.overdue {
            " [已超期 overdue]"
        } else {
            ""
        };
        outln!(
            "{:<36}  {:<8}  {:<4}  {:<10}  {:<16}  {}{flag}",
            t.id.to_string(),
            t.status.label_zh(),
            t.risk_level.label_zh(),
            t.next_action.map(|a| a.as_str()).unwrap_or("-"),
            due,
            t.title
        );
    }
}

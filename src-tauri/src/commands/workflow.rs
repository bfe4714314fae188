//! The dispute closed loop for the UI: take an action, read a dispute's workflow, the task list and
//! its badge count, and the reference data (names of areas, units and colleagues; the deadline
//! table) the action forms show.

use gridmate_core::store::{DisputeWorkflow, TaskItem};
use gridmate_domain::Timestamp;
use gridmate_domain::reference::ReferenceData;
use gridmate_domain::workflow::ActionRequest;
use tauri::{AppHandle, State};

use super::records::{changed, parse_id, record_view};
use super::with_store;
use crate::contract::RecordView;
use crate::error::AppError;
use crate::state::AppState;

/// Takes a workflow action on a dispute as the signed-in user; the record as the detail screen
/// shows it, with its new status. A refusal is an `AppError` with every field error.
#[tauri::command]
pub async fn dispute_act(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    request: ActionRequest,
) -> Result<RecordView, AppError> {
    let id = parse_id(&id)?;
    let view = with_store(state.store()?, move |s| {
        s.act(id, request)?;
        record_view(s, id)
    })
    .await?;
    changed(&app, &state, id);
    Ok(view)
}

#[tauri::command]
pub async fn dispute_workflow(
    state: State<'_, AppState>,
    id: String,
) -> Result<DisputeWorkflow, AppError> {
    let id = parse_id(&id)?;
    with_store(state.store()?, move |s| {
        Ok(s.dispute_workflow(id, Timestamp::now())?)
    })
    .await
}

#[tauri::command]
pub async fn tasks(state: State<'_, AppState>) -> Result<Vec<TaskItem>, AppError> {
    with_store(state.store()?, |s| Ok(s.tasks(Timestamp::now())?)).await
}

#[tauri::command]
pub async fn task_count(state: State<'_, AppState>) -> Result<u32, AppError> {
    with_store(state.store()?, |s| Ok(s.task_count(Timestamp::now())?)).await
}

/// The last reference data the device received, or `None` before any arrived.
#[tauri::command]
pub async fn reference_data(state: State<'_, AppState>) -> Result<Option<ReferenceData>, AppError> {
    with_store(state.store()?, |s| Ok(s.reference_data()?)).await
}

//! Records: list, search, read (with history, rejection and conflicts), create, update, delete,
//! validate while typing, and form drafts.

use gridmate_core::store::{
    Conflict, Cursor, HomeSummary, ListQuery, Page, RecordSummary, Rejection, SyncState,
};
use gridmate_domain::input::{parse_draft, record_to_json};
use gridmate_domain::validate::validate_new;
use gridmate_domain::{
    DisputeStatus, FieldError, GridId, RecordId, RecordKind, RiskLevel, Timestamp,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tauri::{AppHandle, Emitter, State};

use super::with_store;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ListQueryDto {
    kind: Option<String>,
    grid_id: Option<String>,
    status: Option<String>,
    risk_level: Option<String>,
    sync_state: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SearchDto {
    text: String,
    kind: Option<String>,
    limit: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct RecordView {
    record: Value,
    sync_state: SyncState,
    rejection: Option<Rejection>,
    conflicts: Vec<Conflict>,
}

fn opt<T>(
    v: Option<&str>,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, AppError> {
    match v.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .ok_or_else(|| AppError::bad_input(field, "筛选条件无效", "invalid filter")),
    }
}

fn parse_id(id: &str) -> Result<RecordId, AppError> {
    id.parse()
        .map_err(|_| AppError::bad_input("id", "记录编号无效", "invalid record id"))
}

fn changed(app: &AppHandle, state: &AppState, id: RecordId) {
    let _ = app.emit(
        "records-changed",
        serde_json::json!({ "ids": [id.to_string()] }),
    );
    if let Ok(s) = state.session() {
        s.sync.saved();
    }
}

#[tauri::command]
pub async fn home_summary(state: State<'_, AppState>) -> Result<HomeSummary, AppError> {
    with_store(&state.store()?, |s| Ok(s.home_summary(Timestamp::now())?))
}

#[tauri::command]
pub async fn records_list(
    state: State<'_, AppState>,
    query: ListQueryDto,
) -> Result<Page, AppError> {
    let q = ListQuery {
        kind: opt(query.kind.as_deref(), "kind", RecordKind::parse)?,
        grid_id: opt(query.grid_id.as_deref(), "grid_id", GridId::parse)?,
        status: opt(query.status.as_deref(), "status", DisputeStatus::parse)?,
        risk_level: opt(query.risk_level.as_deref(), "risk_level", RiskLevel::parse)?,
        sync_state: opt(query.sync_state.as_deref(), "sync_state", SyncState::parse)?,
        from: opt(
            query.from.as_deref(),
            "from",
            Timestamp::parse_day_or_rfc3339,
        )?,
        to: opt(query.to.as_deref(), "to", Timestamp::parse_day_or_rfc3339)?,
        include_deleted: false,
        limit: query.limit.unwrap_or(30),
        cursor: opt(query.cursor.as_deref(), "cursor", Cursor::decode)?,
    };
    with_store(&state.store()?, |s| Ok(s.list(&q)?))
}

#[tauri::command]
pub async fn records_search(
    state: State<'_, AppState>,
    query: SearchDto,
) -> Result<Vec<RecordSummary>, AppError> {
    let kind = opt(query.kind.as_deref(), "kind", RecordKind::parse)?;
    with_store(&state.store()?, |s| {
        Ok(s.search(&query.text, kind, query.limit.unwrap_or(50))?)
    })
}

#[tauri::command]
pub async fn record_get(state: State<'_, AppState>, id: String) -> Result<RecordView, AppError> {
    let id = parse_id(&id)?;
    with_store(&state.store()?, |s| {
        Ok(RecordView {
            record: record_to_json(&s.get(id)?),
            sync_state: s.sync_state(id)?,
            rejection: s.rejection(id)?,
            conflicts: s.conflicts(id)?,
        })
    })
}

#[tauri::command]
pub async fn record_history(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<gridmate_core::store::HistoryEntry>, AppError> {
    let id = parse_id(&id)?;
    with_store(&state.store()?, |s| Ok(s.history(id)?))
}

#[tauri::command]
pub async fn record_create(
    app: AppHandle,
    state: State<'_, AppState>,
    draft: Value,
) -> Result<Value, AppError> {
    let r = with_store(&state.store()?, |s| Ok(s.create_json(draft)?))?;
    changed(&app, &state, r.id());
    Ok(record_to_json(&r))
}

#[tauri::command]
pub async fn record_update(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    patch: Value,
) -> Result<Value, AppError> {
    let id = parse_id(&id)?;
    let r = with_store(&state.store()?, |s| Ok(s.edit(id, &patch)?))?;
    changed(&app, &state, id);
    Ok(record_to_json(&r))
}

#[tauri::command]
pub async fn record_delete(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
) -> Result<(), AppError> {
    let id = parse_id(&id)?;
    with_store(&state.store()?, |s| Ok(s.delete(id).map(|_| ())?))?;
    changed(&app, &state, id);
    Ok(())
}

/// The shared rules on a draft, without saving: what a form shows inline while typing.
#[tauri::command]
pub async fn record_validate(
    state: State<'_, AppState>,
    draft: Value,
) -> Result<Vec<FieldError>, AppError> {
    let user = with_store(&state.store()?, |s| Ok(s.user().to_owned()))?;
    let now = Timestamp::now();
    Ok(match parse_draft(draft) {
        Err(e) => e.0,
        Ok(d) => validate_new(&d.into_record(RecordId::new_v7(), &user, now), now)
            .err()
            .map(|e| e.0)
            .unwrap_or_default(),
    })
}

#[tauri::command]
pub async fn draft_save(
    state: State<'_, AppState>,
    key: String,
    value: Value,
) -> Result<(), AppError> {
    with_store(&state.store()?, |s| Ok(s.save_draft(&key, &value)?))
}

#[tauri::command]
pub async fn draft_load(
    state: State<'_, AppState>,
    key: String,
) -> Result<Option<Value>, AppError> {
    with_store(&state.store()?, |s| Ok(s.load_draft(&key)?))
}

#[tauri::command]
pub async fn draft_clear(state: State<'_, AppState>, key: String) -> Result<(), AppError> {
    with_store(&state.store()?, |s| Ok(s.clear_draft(&key)?))
}

#[tauri::command]
pub async fn grids_list(state: State<'_, AppState>) -> Result<Vec<String>, AppError> {
    with_store(&state.store()?, |s| Ok(s.grids()?))
}

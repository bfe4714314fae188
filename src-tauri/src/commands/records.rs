//! Records: list, search, read (with history, rejection and conflicts), create, update, delete,
//! validate while typing, and form drafts.

use gridmate_core::store::{
    HistoryEntry, HomeSummary, ListFilters, ListQuery, Page, RecordSummary,
};
use gridmate_domain::input::{parse_draft, record_to_json};
use gridmate_domain::validate::validate_new;
use gridmate_domain::{FieldError, RecordId, Timestamp};
use tauri::{AppHandle, Emitter, State};

use super::with_store;
use crate::contract::{DraftJson, DraftValue, PatchJson, RecordJson, RecordView, SearchQuery};
use crate::error::AppError;
use crate::state::AppState;

/// A list page when the UI names no size.
const DEFAULT_PAGE: u32 = 30;

pub(crate) fn parse_id(id: &str) -> Result<RecordId, AppError> {
    id.parse()
        .map_err(|_| AppError::bad_input("id", "记录编号无效", "invalid record id"))
}

pub(crate) fn changed(app: &AppHandle, state: &AppState, id: RecordId) {
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
    with_store(state.store()?, |s| Ok(s.home_summary(Timestamp::now())?)).await
}

#[tauri::command]
pub async fn records_list(
    state: State<'_, AppState>,
    query: ListFilters,
) -> Result<Page, AppError> {
    let q = query.to_query()?;
    let q = ListQuery {
        limit: if q.limit == 0 { DEFAULT_PAGE } else { q.limit },
        include_deleted: false,
        ..q
    };
    with_store(state.store()?, move |s| Ok(s.list(&q)?)).await
}

#[tauri::command]
pub async fn records_search(
    state: State<'_, AppState>,
    query: SearchQuery,
) -> Result<Vec<RecordSummary>, AppError> {
    let kind = ListFilters {
        kind: query.kind,
        ..ListFilters::default()
    }
    .to_query()?
    .kind;
    let limit = query.limit.unwrap_or(50);
    with_store(state.store()?, move |s| {
        Ok(s.search(&query.text, kind, limit)?)
    })
    .await
}

#[tauri::command]
pub async fn record_get(state: State<'_, AppState>, id: String) -> Result<RecordView, AppError> {
    let id = parse_id(&id)?;
    with_store(state.store()?, move |s| record_view(s, id)).await
}

/// A record as the detail screen shows it: its JSON, sync state, rejection and conflicts.
pub(crate) fn record_view(s: &gridmate_core::Store, id: RecordId) -> Result<RecordView, AppError> {
    Ok(RecordView {
        record: RecordJson(record_to_json(&s.get(id)?)),
        sync_state: s.sync_state(id)?,
        rejection: s.rejection(id)?,
        conflicts: s.conflicts(id)?,
    })
}

#[tauri::command]
pub async fn record_history(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<HistoryEntry>, AppError> {
    let id = parse_id(&id)?;
    with_store(state.store()?, move |s| Ok(s.history(id)?)).await
}

#[tauri::command]
pub async fn record_create(
    app: AppHandle,
    state: State<'_, AppState>,
    draft: DraftJson,
) -> Result<RecordJson, AppError> {
    let r = with_store(state.store()?, move |s| Ok(s.create_json(draft.0)?)).await?;
    changed(&app, &state, r.id());
    Ok(RecordJson(record_to_json(&r)))
}

#[tauri::command]
pub async fn record_update(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    patch: PatchJson,
) -> Result<RecordJson, AppError> {
    let id = parse_id(&id)?;
    let r = with_store(state.store()?, move |s| Ok(s.edit(id, &patch.0)?)).await?;
    changed(&app, &state, id);
    Ok(RecordJson(record_to_json(&r)))
}

#[tauri::command]
pub async fn record_delete(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
) -> Result<(), AppError> {
    let id = parse_id(&id)?;
    with_store(state.store()?, move |s| Ok(s.delete(id).map(|_| ())?)).await?;
    changed(&app, &state, id);
    Ok(())
}

/// The shared rules on a draft, without saving: what a form shows inline while typing.
#[tauri::command]
pub async fn record_validate(
    state: State<'_, AppState>,
    draft: DraftJson,
) -> Result<Vec<FieldError>, AppError> {
    let user = with_store(state.store()?, |s| Ok(s.user().to_owned())).await?;
    let now = Timestamp::now();
    Ok(match parse_draft(draft.0) {
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
    value: DraftValue,
) -> Result<(), AppError> {
    with_store(state.store()?, move |s| Ok(s.save_draft(&key, &value.0)?)).await
}

#[tauri::command]
pub async fn draft_load(
    state: State<'_, AppState>,
    key: String,
) -> Result<Option<DraftValue>, AppError> {
    with_store(state.store()?, move |s| {
        Ok(s.load_draft(&key)?.map(DraftValue))
    })
    .await
}

#[tauri::command]
pub async fn draft_clear(state: State<'_, AppState>, key: String) -> Result<(), AppError> {
    with_store(state.store()?, move |s| Ok(s.clear_draft(&key)?)).await
}

#[tauri::command]
pub async fn grids_list(state: State<'_, AppState>) -> Result<Vec<String>, AppError> {
    with_store(state.store()?, |s| Ok(s.grids()?)).await
}

// The app's command table: the one list of the commands the UI may invoke, each with its
// arguments and result. `lib.rs` registers exactly these with Tauri, `build.rs` generates one
// permission per command, and the bindings test (`contract.rs`) writes the capability file and the
// TypeScript wrappers from it. Plain `macro_rules!` (no `use`), so that the build script can
// include this file too. Invoked as `app_commands!(callback)`; every command returns
// `Result<T, AppError>` with T as written here.
macro_rules! app_commands {
    ($callback:ident) => {
        $callback! {
            session_get() -> Option<SessionInfo>;
            app_defaults() -> AppDefaults;
            login(req: LoginRequest) -> SessionInfo;
            logout(force: bool) -> ();
            home_summary() -> HomeSummary;
            records_list(query: ListFilters) -> Page;
            records_search(query: SearchQuery) -> Vec<RecordSummary>;
            record_get(id: String) -> RecordView;
            record_create(draft: DraftJson) -> RecordJson;
            record_update(id: String, patch: PatchJson) -> RecordJson;
            record_delete(id: String) -> ();
            record_history(id: String) -> Vec<HistoryEntry>;
            record_validate(draft: DraftJson) -> Vec<FieldError>;
            draft_save(key: String, value: DraftValue) -> ();
            draft_load(key: String) -> Option<DraftValue>;
            draft_clear(key: String) -> ();
            grids_list() -> Vec<String>;
            sync_now() -> ();
            sync_status() -> SyncStatus;
            sync_log() -> Vec<SyncLogEntry>;
            dispute_act(id: String, request: ActionRequest) -> RecordView;
            dispute_workflow(id: String) -> DisputeWorkflow;
            tasks() -> Vec<TaskItem>;
            task_count() -> u32;
            reference_data() -> Option<ReferenceData>;
        }
    };
}

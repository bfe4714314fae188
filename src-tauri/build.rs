//! Build script: generates the Tauri context and one `allow-<command>` permission per app command,
//! so that `capabilities/default.json` can grant exactly the commands the UI uses.

const COMMANDS: &[&str] = &[
    "session_get",
    "login",
    "logout",
    "home_summary",
    "records_list",
    "records_search",
    "record_get",
    "record_create",
    "record_update",
    "record_delete",
    "record_history",
    "record_validate",
    "draft_save",
    "draft_load",
    "draft_clear",
    "grids_list",
    "sync_now",
    "sync_status",
    "sync_log",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}

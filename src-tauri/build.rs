//! Build script: generates the Tauri context and one `allow-<command>` permission per command of
//! the app's command table (`src/command_table.rs`), so that the capability file can grant exactly
//! the commands the UI uses.

include!("src/command_table.rs");

macro_rules! command_names {
    ($($name:ident($($arg:ident: $arg_ty:ty),*) -> $ret:ty;)*) => {
        &[$(stringify!($name)),*]
    };
}

const COMMANDS: &[&str] = app_commands!(command_names);

fn main() {
    println!("cargo:rerun-if-changed=src/command_table.rs");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script");
}

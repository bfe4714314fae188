//! The desktop entry point; all of the app is in the library (`run`), shared with the mobile entry.
// Prevents an extra console window on Windows in release; does nothing elsewhere.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]
#![forbid(unsafe_code)]

fn main() {
    gridmate_app_lib::run()
}

//! Rebuilds the server when the console's built UI changes (`console::ui` embeds
//! `console/dist`): rust-embed's `include_bytes!` tracks the files it embedded, but not files
//! that appear later (new hashed asset names, or a first `npm --prefix console run build` after
//! a build without the UI), so the folder is watched here.
//!
//! Invariant: only cheap paths are watched: `console/dist` once it exists; before that
//! `console/` (sources only until its first build), or nothing but this script when there is no
//! console at all.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dist = Path::new("../console/dist");
    if dist.is_dir() {
        println!("cargo:rerun-if-changed=../console/dist");
    } else if Path::new("../console").is_dir() {
        println!("cargo:rerun-if-changed=../console");
    }
}

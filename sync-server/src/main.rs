//! `gridmate-server`: parses the command line and hands over to the library; all logic lives in
//! `gridmate_server::cli`.
#![forbid(unsafe_code)]

use clap::Parser;
use gridmate_server::cli::{self, Cli};

/// jemalloc instead of glibc malloc: the server's work (argon2's 19 MiB blocks, thousands of small
/// Automerge allocations on many blocking threads) left glibc holding most of its freed memory in
/// per-thread arenas. jemalloc's `malloc_conf` is fixed at build time (`.cargo/config.toml`).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    gridmate_server::telemetry::init(cli.log_format)?;
    gridmate_server::telemetry::log_panics();
    cli::run(cli)?;
    Ok(())
}

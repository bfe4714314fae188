//! `gridmate-server`: parses the command line and hands over to the library; all logic lives in
//! `gridmate_server::cli`.
#![forbid(unsafe_code)]

use clap::Parser;
use gridmate_server::cli::{self, Cli};

/// mimalloc instead of glibc malloc: the server's work (argon2's 19 MiB blocks, thousands of small
/// Automerge allocations on many blocking threads) left glibc holding ~400 MB of freed memory in
/// per-thread arenas after a W1 push; mimalloc returns it (docs/benchmarks.md, W1).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    gridmate_server::telemetry::init(cli.log_format)?;
    cli::run(cli)?;
    Ok(())
}

//! `gridmate-server`: parses the command line and hands over to the library; all logic lives in
//! `gridmate_server::cli`.
// One `unsafe` call, in `purge_freed_memory_at_once` (its reason is beside it); nothing else.
#![deny(unsafe_code)]

use clap::Parser;
use gridmate_server::cli::{self, Cli};

/// mimalloc instead of glibc malloc: the server's work (argon2's 19 MiB blocks, thousands of small
/// Automerge allocations on many blocking threads) left glibc holding most of its freed memory in
/// per-thread arenas; mimalloc returns it (figures in docs/benchmarks.md, W1).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3 keeps freed pages for a second before returning them to the OS. The server's
/// memory comes in bursts (many devices pushing at once, a cold pull's page), and the delay lets
/// the bursts pile up far beyond the live heap; purging at once keeps the peak within the
/// server's memory budget at no measured cost in time (figures in docs/benchmarks.md, W1).
fn purge_freed_memory_at_once() {
    /// `mi_option_purge_delay` in mimalloc v3's `include/mimalloc.h` (the 16th option); the
    /// bindings name no constant for it.
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: `mi_option_set` stores an integer in mimalloc's option table; mimalloc documents it
    // as callable at any time from any thread, and reads the option when it next purges. No
    // pointer crosses the boundary.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

fn main() -> anyhow::Result<()> {
    purge_freed_memory_at_once();
    let cli = Cli::parse();
    gridmate_server::telemetry::init(cli.log_format)?;
    gridmate_server::telemetry::log_panics();
    cli::run(cli)?;
    Ok(())
}

//! Logging setup: `tracing` to stderr (stdout is reserved for command output and the
//! `listening on` line), human-readable or JSON, filtered by `GRIDMATE_LOG`, else `RUST_LOG`,
//! else `info`.
//!
//! Invariant (for everyone who logs): never log passwords, tokens, user names, display names or
//! anything about parties; user ids, device ids, routes and counts are fine.

use tracing_subscriber::EnvFilter;

/// Output format of the logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot initialise logging: {0}")]
pub struct TelemetryError(String);

/// Installs the global subscriber. Call once, early in `main`.
pub fn init(format: LogFormat) -> Result<(), TelemetryError> {
    let directives = std::env::var("GRIDMATE_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    let filter = EnvFilter::try_new(&directives).map_err(|e| TelemetryError(e.to_string()))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    result.map_err(|e| TelemetryError(e.to_string()))
}

/// Makes a panic one log event (its source location, thread and, when it is a literal from code,
/// its message) instead of the default hook's free text on stderr. automerge has panicked on
/// crafted input (each such panic is caught and fails one record: docs/sync-protocol.md,
/// "Fuzzing"), and a formatted panic message may quote what was being decoded, so only literal
/// (`&'static str`) messages are logged. Call after `init`.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        let message = info
            .payload()
            .downcast_ref::<&'static str>()
            .copied()
            .unwrap_or("(formatted message withheld)");
        tracing::error!(%at, %thread, detail = message, "panic");
    }));
}

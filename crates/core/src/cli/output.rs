//! Printing results: a plain table for people (China time, masked titles) or JSON for scripts.

use std::io::{ErrorKind, Write};

use gridmate_core::store::{HistoryEntry, Page, RecordSummary};

/// `println!` for results. When stdout is closed early (`gridmate list | head`, `grep -q`), the
/// output's reader is done with it: the process exits quietly with success, as Unix tools do,
/// instead of panicking. Every save is committed before its result is printed, so nothing is lost.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::write_line(format_args!($($arg)*))
    };
}
pub(crate) use outln;

pub fn write_line(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error [io_error]: cannot write the output: {e}");
            std::process::exit(1);
        }
    }
}

pub fn print_json(v: &impl serde::Serialize) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => outln!("{s}"),
        Err(e) => eprintln!("error: cannot serialise output: {e}"),
    }
}

pub fn print_summaries(items: &[RecordSummary]) {
    outln!(
        "{:<36}  {:<6}  {:<24}  {:<16}  {:<6}  {:<10}  title",
        "id",
        "kind",
        "grid",
        "occurred (UTC+8)",
        "status",
        "sync"
    );
    for s in items {
        let status = s.status.map(|x| x.label_zh()).unwrap_or("-");
        let mut flags = String::new();
        if s.deleted {
            flags.push_str(" [已删除 deleted]");
        }
        if s.quarantined {
            flags.push_str(" [已隔离 quarantined]");
        }
        outln!(
            "{:<36}  {:<6}  {:<24}  {:<16}  {:<6}  {:<10}  {}{}",
            s.id.to_string(),
            s.kind.label_zh(),
            s.grid_id.as_str(),
            s.occurred_at.to_china_minutes(),
            status,
            s.sync_state.as_str(),
            s.title,
            flags
        );
    }
}

pub fn print_page(p: &Page) {
    print_summaries(&p.items);
    if let Some(c) = &p.next_cursor {
        outln!("-- more: --cursor {c}");
    }
}

pub fn print_history(h: &[HistoryEntry]) {
    for e in h {
        let by = e.by.as_deref().unwrap_or("(unknown)");
        let actor: String = e.actor.chars().take(8).collect();
        outln!(
            "{}  {:<8}  {:<12} ({actor})  {}",
            e.at.to_china_minutes(),
            format!("{:?}", e.op).to_lowercase(),
            by,
            e.fields.join(", ")
        );
    }
}

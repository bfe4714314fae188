//! Printing results: a plain table for people (China time, masked titles) or JSON for scripts.

use gridmate_core::store::{HistoryEntry, Page, RecordSummary};

pub fn print_json(v: &impl serde::Serialize) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot serialise output: {e}"),
    }
}

pub fn print_summaries(items: &[RecordSummary]) {
    println!(
        "{:<36}  {:<6}  {:<24}  {:<16}  {:<6}  {:<10}  title",
        "id", "kind", "grid", "occurred (UTC+8)", "status", "sync"
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
        println!(
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
        println!("-- more: --cursor {c}");
    }
}

pub fn print_history(h: &[HistoryEntry]) {
    for e in h {
        let by = e.by.as_deref().unwrap_or("(unknown)");
        let actor: String = e.actor.chars().take(8).collect();
        println!(
            "{}  {:<8}  {:<12} ({actor})  {}",
            e.at.to_china_minutes(),
            format!("{:?}", e.op).to_lowercase(),
            by,
            e.fields.join(", ")
        );
    }
}

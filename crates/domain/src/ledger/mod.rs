//! Ledgers (台账): the spreadsheets grid workers keep, one row per record and one kind per sheet,
//! with Chinese column headers. This module is the one table of those columns (header, aliases,
//! the record field it fills, how a cell is read) that `gridmate import` reads ledgers with and
//! that an export writes them with, so the two can never disagree.
//!
//! A row becomes the same JSON draft `gridmate add` reads (docs/records.md), so every rule of
//! `input::parse_draft` and `validate` applies unchanged; this module only turns cells into JSON
//! values, and reports a cell it cannot read as a `FieldError` naming the record field.
//!
//! Invariants: pure (no IO, no clock); never panics on any cell text; `render_row` then
//! `parse_row` gives back the record's draft (for text without leading or trailing spaces and
//! list items without a list separator, see docs/ledger.md).

mod cell;
mod table;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value};

use crate::enums::RecordKind;
use crate::error::{ErrorCode, FieldError};
use crate::input::{RecordDraft, record_to_json};
use crate::record::Record;

pub use cell::{parse_cell, parse_time, render_cell};
pub use table::{Cell, Choice, Column, columns};

/// Headers that may stand in any ledger and are ignored: a running number, an empty header.
pub const IGNORED_HEADERS: &[&str] = &["序号", "编号", ""];

/// How the columns of one ledger's header row map onto the table of its kind.
#[derive(Debug, Clone)]
pub struct Layout {
    pub kind: RecordKind,
    /// For each column of the file, the table column it fills, or `None` if it is ignored.
    pub slots: Vec<Option<&'static Column>>,
}

/// A header-row problem: which column of the file (0-based) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderError {
    pub column: usize,
    pub header: String,
    pub error: FieldError,
}

/// A cell that cannot be read: its column (0-based in the file) and the field error.
#[derive(Debug, Clone, PartialEq)]
pub struct CellError {
    pub column: usize,
    pub error: FieldError,
}

/// Headers compare without spaces, a required-marker `*`, and with full-width brackets as ASCII.
pub fn normalize_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '\u{feff}')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .collect()
}

fn find_column(kind: RecordKind, header: &str) -> Option<&'static Column> {
    let h = normalize_header(header);
    columns(kind).iter().find(|c| {
        normalize_header(c.header) == h || c.aliases.iter().any(|a| normalize_header(a) == h)
    })
}

/// The kind a header row is a ledger of: the one kind whose date column (走访时间, 活动时间,
/// 上报时间, or an alias) is among the headers. `None` when none or several are.
pub fn kind_from_headers(headers: &[String]) -> Option<RecordKind> {
    let mut found = RecordKind::ALL.iter().copied().filter(|k| {
        let date = &columns(*k)[1];
        headers
            .iter()
            .any(|h| find_column(*k, h).is_some_and(|c| c.field == date.field))
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Maps a header row onto the columns of `kind`. Unknown headers are refused (a misspelt 风险等级
/// would otherwise drop every risk level silently), and so is a column named twice.
pub fn layout(kind: RecordKind, headers: &[String]) -> Result<Layout, Vec<HeaderError>> {
    let mut slots = Vec::with_capacity(headers.len());
    let mut errors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if IGNORED_HEADERS.contains(&normalize_header(h).as_str()) {
            slots.push(None);
            continue;
        }
        let col = find_column(kind, h);
        match col {
            None => errors.push(header_error(i, h, unknown_column(kind, h))),
            Some(c) if slots.iter().flatten().any(|s: &&Column| s.field == c.field) => {
                errors.push(header_error(i, h, duplicate_column(c)))
            }
            Some(_) => {}
        }
        slots.push(col);
    }
    if errors.is_empty() {
        Ok(Layout { kind, slots })
    } else {
        Err(errors)
    }
}

fn header_error(column: usize, header: &str, error: FieldError) -> HeaderError {
    HeaderError {
        column,
        header: header.to_owned(),
        error,
    }
}

fn unknown_column(kind: RecordKind, h: &str) -> FieldError {
    let known: Vec<&str> = columns(kind).iter().map(|c| c.header).collect();
    FieldError::new(
        ErrorCode::UnknownField,
        "",
        format!(
            "未知的列“{h}”（{}台账的列：{}）",
            kind.label_zh(),
            known.join("、")
        ),
        format!(
            "unknown column `{h}` (a {kind} ledger has: {})",
            known.join(", ")
        ),
    )
}

fn duplicate_column(c: &Column) -> FieldError {
    FieldError::new(
        ErrorCode::InvalidValue,
        c.field,
        format!("列“{}”出现了两次", c.header),
        format!("column `{}` appears twice", c.header),
    )
}

/// Reads one data row into the JSON draft of a record (what `gridmate add` takes). Cells beyond
/// the header row must be empty; a missing cell reads as empty. Every unreadable cell is
/// reported, not only the first.
pub fn parse_row(layout: &Layout, cells: &[String]) -> Result<Value, Vec<CellError>> {
    let mut obj = Map::new();
    obj.insert("kind".into(), Value::String(layout.kind.as_str().into()));
    let mut errors = Vec::new();
    for (i, text) in cells.iter().enumerate() {
        let Some(slot) = layout.slots.get(i) else {
            if !text.trim().is_empty() {
                errors.push(CellError {
                    column: i,
                    error: FieldError::new(
                        ErrorCode::UnknownField,
                        "",
                        "该单元格没有列标题",
                        "this cell has no column header",
                    ),
                });
            }
            continue;
        };
        let Some(col) = slot else { continue };
        match parse_cell(col, text) {
            Ok(Some(v)) => set_path(&mut obj, col.field, v),
            Ok(None) => {}
            Err(e) => errors.extend(e.into_iter().map(|error| CellError { column: i, error })),
        }
    }
    if errors.is_empty() {
        Ok(Value::Object(obj))
    } else {
        Err(errors)
    }
}

/// Sets `a.b` in a JSON object, creating the inner object.
fn set_path(obj: &mut Map<String, Value>, path: &str, v: Value) {
    match path.split_once('.') {
        None => {
            obj.insert(path.into(), v);
        }
        Some((head, rest)) => {
            let inner = obj.entry(head).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = inner {
                set_path(m, rest, v);
            }
        }
    }
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// The headers of a kind's ledger, in order.
pub fn headers(kind: RecordKind) -> Vec<&'static str> {
    columns(kind).iter().map(|c| c.header).collect()
}

/// A record as a ledger row: one cell per column of its kind, in `columns` order.
pub fn render_row(r: &Record) -> Vec<String> {
    let json = record_to_json(r);
    columns(r.kind())
        .iter()
        .map(|c| get_path(&json, c.field).map_or_else(String::new, |v| render_cell(c, v)))
        .collect()
}

/// The column of `kind` that holds a field path from a validation error (`parties[1].phone` is
/// in 当事人, `location.lat` in 纬度, `location` in the first location column).
pub fn column_of_field(kind: RecordKind, field: &str) -> Option<&'static Column> {
    let cols = columns(kind);
    let base = field.split(['[', '.']).next().unwrap_or(field);
    cols.iter().find(|c| c.field == field).or_else(|| {
        cols.iter()
            .find(|c| c.field.split('.').next() == Some(base))
    })
}

/// A draft as JSON with sorted keys and no insignificant space: the same record typed in a
/// ledger or in JSON gives the same text, which is what an import remembers a row by.
pub fn canonical_draft(d: &RecordDraft) -> String {
    let r = d.clone().into_record(
        crate::ids::RecordId::from_uuid(uuid::Uuid::nil()),
        "",
        crate::time::Timestamp::from_millis(0).unwrap_or_else(crate::time::Timestamp::now),
    );
    let mut json = record_to_json(&r);
    if let Value::Object(m) = &mut json {
        for k in [
            "id",
            "schema_version",
            "created_by",
            "created_at",
            "updated_at",
            "deleted_at",
        ] {
            m.remove(k);
        }
    }
    let mut out = String::new();
    write_canonical(&json, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&m[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

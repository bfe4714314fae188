//! Reading an import file into rows: JSON lines, a JSON array (or one object), and CSV or XLSX
//! ledgers (台账) through the column table of `gridmate_domain::ledger`. Each row keeps the
//! number the user sees (line of a JSON-lines file, position in an array, spreadsheet row with
//! the header as row 1) and is either the JSON draft `gridmate add` reads or the errors of its
//! cells. Whole-file problems (too large, unreadable, unknown columns) fail the file.
//!
//! Invariants: the size limit is checked before the file is read and the row limit as rows are
//! counted; nothing here panics on any bytes (the XLSX reader runs under `catch_unwind`).

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};
use gridmate_domain::ledger::{self, Layout};
use gridmate_domain::{FieldError, RecordKind};
use serde_json::Value;

use super::import::{ImportFailure, RowError};

/// Largest file `gridmate import` reads.
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;
/// Most data rows one file may hold.
pub const MAX_ROWS: usize = 100_000;
/// Widest row read from a spreadsheet; cells further right are refused, not allocated.
const MAX_COLUMNS: u32 = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Auto,
    Jsonl,
    Json,
    Csv,
    Xlsx,
}

/// One row of the file: its number as the user sees it, and its draft or its errors.
#[derive(Debug)]
pub struct SourceRow {
    pub row: usize,
    pub draft: Result<Value, Vec<RowError>>,
}

/// The rows of a file, and the ledger kind when it was a ledger.
#[derive(Debug)]
pub struct Source {
    pub ledger: Option<RecordKind>,
    pub rows: Vec<SourceRow>,
}

pub fn read(
    path: &Path,
    format: Format,
    kind: Option<RecordKind>,
) -> Result<Source, ImportFailure> {
    let size = std::fs::metadata(path)
        .map_err(|e| unreadable(path, &e))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(ImportFailure::file(
            "file_too_large",
            format!("文件过大（{size} 字节），上限为 {MAX_FILE_BYTES} 字节：请拆分后分批导入"),
            format!("the file has {size} bytes, more than the limit of {MAX_FILE_BYTES}: split it"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, &e))?;
    let source = match detect(path, &bytes, format) {
        Format::Jsonl => json_lines(&text(bytes)?)?,
        Format::Json | Format::Auto => json(&text(bytes)?)?,
        Format::Csv => csv_ledger(&text(bytes)?, kind)?,
        Format::Xlsx => xlsx_ledger(bytes, kind)?,
    };
    if source.rows.is_empty() {
        return Err(ImportFailure::file(
            "no_rows",
            "文件中没有可导入的记录",
            "the file holds no rows to import",
        ));
    }
    Ok(source)
}

fn unreadable(path: &Path, e: &std::io::Error) -> ImportFailure {
    ImportFailure::file(
        "io_error",
        format!("无法读取文件 {}：{e}", path.display()),
        format!("cannot read {}: {e}", path.display()),
    )
}

/// The format by `--format`, else by extension, else by the first bytes.
fn detect(path: &Path, bytes: &[u8], format: Format) -> Format {
    if format != Format::Auto {
        return format;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("jsonl" | "ndjson") => return Format::Jsonl,
        Some("json") => return Format::Json,
        Some("csv") => return Format::Csv,
        Some("xlsx" | "xlsm") => return Format::Xlsx,
        _ => {}
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Format::Xlsx;
    }
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => Format::Json,
        Some(b'{') => Format::Json,
        _ => Format::Csv,
    }
}

/// Text in UTF-8 (a leading BOM, as Excel writes, is dropped) or else GB18030, which
/// Chinese-locale Excel writes for "CSV (逗号分隔)".
fn text(bytes: Vec<u8>) -> Result<String, ImportFailure> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(e.as_bytes())
            .map(|s| s.into_owned())
            .ok_or_else(|| {
                ImportFailure::file(
                    "invalid_encoding",
                    "文件编码无法识别：请另存为 UTF-8 或 GB18030 编码",
                    "the file is neither UTF-8 nor GB18030 text: save it as UTF-8",
                )
            }),
    }
}

fn too_many_rows() -> ImportFailure {
    ImportFailure::file(
        "too_many_rows",
        format!("记录超过 {MAX_ROWS} 条：请拆分后分批导入"),
        format!("more than {MAX_ROWS} rows: split the file"),
    )
}

fn bad_json(row: usize, e: &serde_json::Error) -> SourceRow {
    SourceRow {
        row,
        draft: Err(vec![RowError::new(
            row,
            None,
            FieldError::new(
                gridmate_domain::ErrorCode::InvalidJson,
                "",
                format!("不是有效的 JSON：{e}"),
                format!("not valid JSON: {e}"),
            ),
        )]),
    }
}

/// One JSON object per line; blank lines are skipped, and a row's number is its line.
fn json_lines(text: &str) -> Result<Source, ImportFailure> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(too_many_rows());
        }
        rows.push(match serde_json::from_str::<Value>(line) {
            Ok(v) => SourceRow {
                row: i + 1,
                draft: Ok(v),
            },
            Err(e) => bad_json(i + 1, &e),
        });
    }
    Ok(Source { ledger: None, rows })
}

/// A JSON array of drafts (row = position + 1), or one draft; what is neither but starts with
/// `{` is read as JSON lines.
fn json(text: &str) -> Result<Source, ImportFailure> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => {
            if items.len() > MAX_ROWS {
                return Err(too_many_rows());
            }
            let rows = items
                .into_iter()
                .enumerate()
                .map(|(i, v)| SourceRow {
                    row: i + 1,
                    draft: Ok(v),
                })
                .collect();
            Ok(Source { ledger: None, rows })
        }
        Ok(v) => Ok(Source {
            ledger: None,
            rows: vec![SourceRow {
                row: 1,
                draft: Ok(v),
            }],
        }),
        Err(_) if text.trim_start().starts_with('{') => json_lines(text),
        Err(e) => Ok(Source {
            ledger: None,
            rows: vec![bad_json(1, &e)],
        }),
    }
}

/// A CSV ledger: the first record is the header row (row 1); rows may be ragged.
fn csv_ledger(text: &str, kind: Option<RecordKind>) -> Result<Source, ImportFailure> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| {
            ImportFailure::file(
                "invalid_csv",
                format!("第 {} 行无法读取：{e}", i + 1),
                format!("row {} cannot be read: {e}", i + 1),
            )
        })?;
        if table.len() > MAX_ROWS {
            return Err(too_many_rows());
        }
        table.push((i + 1, rec.iter().map(str::to_owned).collect::<Vec<_>>()));
    }
    ledger_rows(table, kind)
}

/// The first sheet of an XLSX workbook, streamed cell by cell.
fn xlsx_ledger(bytes: Vec<u8>, kind: Option<RecordKind>) -> Result<Source, ImportFailure> {
    let unreadable = |why: String| {
        ImportFailure::file(
            "unreadable_file",
            format!("无法读取 XLSX 文件：{why}"),
            format!("cannot read the XLSX file: {why}"),
        )
    };
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let read = std::panic::catch_unwind(move || xlsx_cells(bytes));
    std::panic::set_hook(hook);
    let table = match read {
        Ok(Ok(t)) => t,
        Ok(Err(why)) => return Err(unreadable(why)),
        Err(_) => return Err(unreadable("the workbook is malformed".into())),
    }?;
    ledger_rows(table, kind)
}

type Table = Vec<(usize, Vec<String>)>;

fn xlsx_cells(bytes: Vec<u8>) -> Result<Result<Table, ImportFailure>, String> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let first = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or("the workbook has no sheet")?;
    let mut cells = book
        .worksheet_cells_reader(&first)
        .map_err(|e| e.to_string())?;
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    while let Some(cell) = cells.next_cell().map_err(|e| e.to_string())? {
        let (r, c) = cell.get_position();
        if let DataRef::Error(e) = cell.get_value() {
            let at = format!("{}{}", column_letter(c as usize), r + 1);
            return Ok(Err(ImportFailure::file(
                "invalid_cell",
                format!("单元格 {at} 是 Excel 错误值（{e:?}）：请先修正公式"),
                format!("cell {at} holds an Excel error ({e:?}): fix the formula first"),
            )));
        }
        let value = cell_text(cell.get_value());
        if value.is_empty() {
            continue;
        }
        if !rows.contains_key(&r) && rows.len() > MAX_ROWS {
            return Ok(Err(too_many_rows()));
        }
        let row = rows.entry(r).or_default();
        let c = c.min(MAX_COLUMNS) as usize;
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        row[c] = value;
    }
    Ok(Ok(rows
        .into_iter()
        .map(|(r, cells)| (r as usize + 1, cells))
        .collect()))
}

/// A cell as the text a ledger column reads: whole numbers without `.0`, dates as
/// `YYYY-MM-DD HH:MM:SS.mmm` (China time, as typed), booleans as 是/否.
fn cell_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_owned(),
        DataRef::DateTime(d) if d.is_datetime() => {
            let (y, mo, da, h, mi, s, ms) = d.to_ymd_hms_milli();
            format!("{y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{s:02}.{ms:03}")
        }
        DataRef::DateTime(d) => d.as_f64().to_string(),
        DataRef::Error(_) => String::new(),
    }
}

/// Header row (the first row with any text) and data rows into drafts, by the ledger table.
/// Fully blank rows are skipped; their numbers are kept by the others.
fn ledger_rows(table: Table, kind: Option<RecordKind>) -> Result<Source, ImportFailure> {
    let mut it = table
        .into_iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let Some((header_row, headers)) = it.next() else {
        return Ok(Source {
            ledger: kind,
            rows: Vec::new(),
        });
    };
    let kind = match kind.or_else(|| ledger::kind_from_headers(&headers)) {
        Some(k) => k,
        None => return Err(ImportFailure::unknown_kind(header_row)),
    };
    let layout = ledger::layout(kind, &headers).map_err(|errs| {
        ImportFailure::rows(
            errs.into_iter()
                .map(|e| RowError::new(header_row, Some(e.header), e.error))
                .collect(),
        )
    })?;
    let rows = it
        .map(|(row, cells)| SourceRow {
            row,
            draft: ledger::parse_row(&layout, &cells).map_err(|errs| {
                errs.into_iter()
                    .map(|e| RowError::new(row, header_of(&layout, &headers, e.column), e.error))
                    .collect()
            }),
        })
        .collect();
    Ok(Source {
        ledger: Some(kind),
        rows,
    })
}

/// The header of a file column, or its spreadsheet letter when it has none.
fn header_of(layout: &Layout, headers: &[String], column: usize) -> Option<String> {
    match (layout.slots.get(column), headers.get(column)) {
        (Some(_), Some(h)) if !h.trim().is_empty() => Some(h.trim().to_owned()),
        _ => Some(column_letter(column)),
    }
}

fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(char::from(b'A' + (i % 26) as u8));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.into_iter().rev().collect()
}

//! `gridmate import FILE`: many records in one run, from JSON lines, a JSON array, or a CSV/XLSX
//! ledger (台账, docs/ledger.md). Every row is read, parsed and validated with the rules of
//! `gridmate add` before anything is written; a file with an invalid row writes nothing (exit 2,
//! every error with its row, column and field) unless `--skip-invalid`. Rows are then written
//! through the store's batch path, remembering each row's hash, so a row imported before (the
//! same file again, or a ledger that has grown) is counted as already imported, not duplicated.
//!
//! Invariants: nothing is written before every row is checked; rows are written in batches of
//! `CHUNK`, each one transaction; an interrupted import is finished by running it again.

use std::path::{Path, PathBuf};

use gridmate_core::Store;
use gridmate_core::store::{ImportOutcome, RowHash};
use gridmate_domain::input::{RecordDraft, parse_draft};
use gridmate_domain::ledger;
use gridmate_domain::validate::validate_new;
use gridmate_domain::{ErrorCode, FieldError, Localized, RecordId, RecordKind, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::KindArg;
use super::import_source::{self, Format, Source};
use super::output::print_json;
use super::report::CliError;

/// Rows written per transaction: bounds how long the store is locked and how much the WAL grows.
const CHUNK: usize = 1000;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A .jsonl, .json, .csv or .xlsx file.
    pub file: PathBuf,
    /// The file's format (auto: by extension, then by content).
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub format: Format,
    /// The ledger's record kind (default: from its headers); for JSON, the kind of every row.
    #[arg(long)]
    pub kind: Option<KindArg>,
    /// Import the valid rows and report the invalid ones, instead of importing nothing.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// One problem, located as the user sees it: row (spreadsheet row, line, or array position) and
/// column header, plus the record field, a stable code and the message in zh-CN and en.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub field: String,
    pub code: String,
    pub message: Localized,
}

impl RowError {
    pub fn new(row: usize, column: Option<String>, e: FieldError) -> Self {
        Self {
            row: Some(row),
            column,
            field: e.field,
            code: e.code.as_str().to_owned(),
            message: e.message,
        }
    }
}

/// A refused import: nothing was written.
#[derive(Debug, thiserror::Error)]
#[error("{}", message.en)]
pub struct ImportFailure {
    pub code: &'static str,
    pub message: Localized,
    pub errors: Vec<RowError>,
}

impl ImportFailure {
    /// A problem of the whole file.
    pub fn file(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let message = Localized {
            zh_cn: zh.into(),
            en: en.into(),
        };
        let errors = vec![RowError {
            row: None,
            column: None,
            field: String::new(),
            code: code.to_owned(),
            message: message.clone(),
        }];
        Self {
            code,
            message,
            errors,
        }
    }

    /// Rows that broke a rule.
    pub fn rows(errors: Vec<RowError>) -> Self {
        Self {
            code: "validation_failed",
            message: Localized {
                zh_cn: "文件中有无效的行，未导入任何记录".into(),
                en: "the file has invalid rows; nothing was imported".into(),
            },
            errors,
        }
    }

    pub fn unknown_kind(header_row: usize) -> Self {
        let mut f = Self::file(
            "unknown_ledger_kind",
            "无法从列标题判断台账类型（需要“走访时间”“活动时间”或“上报时间”之一）：请用 --kind 指定",
            "cannot tell the ledger's kind from its headers (one of 走访时间, 活动时间, 上报时间 is needed): pass --kind",
        );
        f.errors[0].row = Some(header_row);
        f
    }

    pub fn print_text(&self) {
        eprintln!(
            "error [{}]: {} / {}",
            self.code, self.message.zh_cn, self.message.en
        );
        print_row_errors(&self.errors);
    }
}

fn print_row_errors(errors: &[RowError]) {
    for e in errors {
        let mut at = Vec::new();
        if let Some(r) = e.row {
            at.push(format!("第 {r} 行 row {r}"));
        }
        if let Some(c) = &e.column {
            at.push(c.clone());
        }
        if !e.field.is_empty() {
            at.push(e.field.clone());
        }
        // A whole-file error has no place: the headline already says it.
        if e.row.is_some() || e.column.is_some() {
            eprintln!(
                "  {} [{}]: {} / {}",
                at.join(" · "),
                e.code,
                e.message.zh_cn,
                e.message.en
            );
        }
    }
}

/// A row ready to write: its number, hash and draft.
type Ready = (usize, RowHash, RecordDraft);

pub fn run(path: &Path, account: &str, args: ImportArgs, json: bool) -> Result<(), CliError> {
    let kind: Option<RecordKind> = args.kind.map(Into::into);
    let source = import_source::read(&args.file, args.format, kind)?;
    let mut store = Store::open(path, account)?;
    let (ready, errors) = check_rows(source, kind, store.user());
    if !errors.is_empty() && !args.skip_invalid {
        return Err(ImportFailure::rows(errors).into());
    }
    let mut created = Vec::new();
    let mut already = Vec::new();
    let mut rest = ready;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(CHUNK));
        let rows: Vec<usize> = rest.iter().map(|r| r.0).collect();
        let outcomes = store.create_imported(rest.into_iter().map(|(_, h, d)| (h, d)).collect())?;
        for (row, o) in rows.into_iter().zip(outcomes) {
            match o {
                ImportOutcome::Created(id) => created.push(json!({"row": row, "id": id})),
                ImportOutcome::AlreadyImported(id) => already.push(json!({"row": row, "id": id})),
            }
        }
        store.maintain()?;
        rest = tail;
    }
    let invalid_rows = distinct_rows(&errors);
    if json {
        print_json(&json!({
            "imported": created.len(), "already_imported": already.len(), "invalid": invalid_rows,
            "records": created, "already": already, "errors": errors,
        }));
    } else {
        print_row_errors(&errors);
        println!(
            "导入 {} 条，已导入过 {} 条，无效 {} 条 / imported {}, already imported {}, invalid {}",
            created.len(),
            already.len(),
            invalid_rows,
            created.len(),
            already.len(),
            invalid_rows
        );
    }
    Ok(())
}

fn distinct_rows(errors: &[RowError]) -> usize {
    let mut rows: Vec<Option<usize>> = errors.iter().map(|e| e.row).collect();
    rows.dedup();
    rows.len()
}

/// Parses and validates every row (the rules of `gridmate add`), and hashes each valid one.
fn check_rows(source: Source, kind: Option<RecordKind>, user: &str) -> (Vec<Ready>, Vec<RowError>) {
    let now = Timestamp::now();
    let mut ready = Vec::with_capacity(source.rows.len());
    let mut errors = Vec::new();
    for r in source.rows {
        let checked = r.draft.and_then(|v| {
            check_row(v, source.ledger, kind, user, now).map_err(|errs| {
                errs.into_iter()
                    .map(|e| {
                        let column = source
                            .ledger
                            .and_then(|k| ledger::column_of_field(k, &e.field))
                            .map(|c| c.header.to_owned());
                        RowError::new(r.row, column, e)
                    })
                    .collect()
            })
        });
        match checked {
            Ok(draft) => {
                let hash: RowHash = Sha256::digest(ledger::canonical_draft(&draft)).into();
                ready.push((r.row, hash, draft));
            }
            Err(e) => errors.extend(e),
        }
    }
    (ready, errors)
}

fn check_row(
    mut v: Value,
    ledger: Option<RecordKind>,
    kind: Option<RecordKind>,
    user: &str,
    now: Timestamp,
) -> Result<RecordDraft, Vec<FieldError>> {
    if let (None, Some(k), Value::Object(obj)) = (ledger, kind, &mut v) {
        let given = obj
            .entry("kind")
            .or_insert_with(|| Value::String(k.as_str().into()));
        if given.as_str() != Some(k.as_str()) {
            return Err(vec![FieldError::new(
                ErrorCode::InvalidValue,
                "kind",
                format!("记录类型与 --kind {k} 不符"),
                format!("the record's kind is not --kind {k}"),
            )]);
        }
    }
    let draft = parse_draft(v).map_err(|e| e.0)?;
    let record = draft.clone().into_record(RecordId::new_v7(), user, now);
    validate_new(&record, now).map_err(|e| e.0)?;
    Ok(draft)
}

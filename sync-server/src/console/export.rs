//! Export writers (导出) of case lists: CSV (UTF-8 with BOM, RFC 4180 quoting, formula injection
//! guarded) and XLSX (a constant-memory worksheet), both streamed into an HTTP body.
//!
//! The caller (the export route) gives a *source*: a function run once on a blocking thread that
//! calls the sink with each [`ExportRow`] in order, typically while stepping through a SQLite
//! query. Rows are never collected: CSV goes out in 64 KiB chunks through a bounded channel (the
//! source waits while the client reads), XLSX is written with rust_xlsxwriter's constant-memory
//! worksheet into an anonymous temporary file (unlinked at creation, so it vanishes when closed,
//! whatever happens) and then streamed from it.
//!
//! Invariants: headers and enum labels in Chinese from one table ([`COLUMNS`] and
//! [`ExportRow::cells`]); times in Asia/Shanghai (UTC+8, no daylight saving); no personal data
//! (the rows carry none: the console index has none); if the client goes away the source is told
//! to stop (its sink returns an error); a failure after the first byte aborts the body, so a
//! truncated file is never mistaken for a whole one.

mod csv_writer;
mod route;
mod xlsx_writer;

pub use route::routes;

use std::path::PathBuf;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use gridmate_domain::{
    DisputeCategory, DisputeSource, DisputeStatus, RecordKind, RiskLevel, Timestamp,
};
use tokio::sync::mpsc;

/// How many bytes go into one body chunk.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks waiting for the client at most (the rest of the export waits in the source).
const CHANNEL_CHUNKS: usize = 4;
/// China Standard Time, UTC+8 all year.
pub const SHANGHAI_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// One exported row: the case list's own row ([`CaseRow`]), so an export holds exactly the list's
/// columns. Enum-valued columns hold their snake_case identifiers; the writers show Chinese labels.
pub use super::filter::CaseRow as ExportRow;

/// The columns, in order: the `CaseRow` field and its Chinese header.
pub const COLUMNS: [(&str, &str); 16] = [
    ("id", "编号"),
    ("kind", "类型"),
    ("grid_id", "网格"),
    ("title", "事项"),
    ("status", "状态"),
    ("category", "纠纷类型"),
    ("risk", "风险等级"),
    ("source", "来源"),
    ("occurred_at", "发生时间"),
    ("updated_at", "更新时间"),
    ("due_at", "办理时限"),
    ("overdue", "是否超期"),
    ("supervised", "是否督办"),
    ("assignee_user", "承办人"),
    ("assignee_unit", "承办单位"),
    ("created_by", "登记人"),
];

/// One cell as the writers see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// UTC ms, shown in Asia/Shanghai.
    Time(i64),
    Empty,
}

fn label(v: Option<&str>, zh: impl Fn(&str) -> Option<&'static str>) -> Cell {
    match v {
        // A value outside the vocabulary (a newer build's) is shown as stored.
        Some(v) => Cell::Text(zh(v).map_or_else(|| v.to_owned(), str::to_owned)),
        None => Cell::Empty,
    }
}

fn text(v: Option<&str>) -> Cell {
    v.map_or(Cell::Empty, |s| Cell::Text(s.to_owned()))
}

fn yes_no(b: bool) -> Cell {
    Cell::Text(if b { "是" } else { "否" }.to_owned())
}

impl ExportRow {
    /// The cells in [`COLUMNS`] order, enum values as their Chinese labels.
    pub fn cells(&self) -> [Cell; 16] {
        [
            Cell::Text(self.id.clone()),
            label(Some(&self.kind), |v| {
                RecordKind::parse(v).map(RecordKind::label_zh)
            }),
            Cell::Text(self.grid_id.clone()),
            Cell::Text(self.title.clone()),
            label(self.status.as_deref(), |v| {
                DisputeStatus::parse(v).map(DisputeStatus::label_zh)
            }),
            label(self.category.as_deref(), |v| {
                DisputeCategory::parse(v).map(DisputeCategory::label_zh)
            }),
            label(self.risk.as_deref(), |v| {
                RiskLevel::parse(v).map(RiskLevel::label_zh)
            }),
            label(self.source.as_deref(), |v| {
                DisputeSource::parse(v).map(DisputeSource::label_zh)
            }),
            Cell::Time(self.occurred_at),
            Cell::Time(self.updated_at),
            self.due_at.map_or(Cell::Empty, Cell::Time),
            yes_no(self.overdue),
            yes_no(self.supervised),
            text(self.assignee_user.as_deref()),
            text(self.assignee_unit.as_deref()),
            Cell::Text(self.created_by.clone()),
        ]
    }
}

/// `2026-11-28 09:30` in Asia/Shanghai.
pub fn shanghai_minutes(ms: i64) -> String {
    Timestamp::from_millis(ms).map_or_else(String::new, Timestamp::to_china_minutes)
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The client went away: stop quietly.
    #[error("the client closed the download")]
    Closed,
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// The source failed (a query); the cause is for the log only.
    #[error("source: {0}")]
    Source(String),
}

/// What the source calls with each row; an error means stop (and return it).
pub type RowSink<'a> = dyn FnMut(ExportRow) -> Result<(), ExportError> + 'a;

/// The two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// Writes the export of `source` into the blocking `out` (the writers' core, also for tests and
/// measurements). XLSX temporary files go to `tmp_dir`.
pub fn write_export<W: std::io::Write>(
    format: ExportFormat,
    tmp_dir: &std::path::Path,
    out: &mut W,
    source: impl FnOnce(&mut RowSink<'_>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    match format {
        ExportFormat::Csv => csv_writer::write_csv(out, source),
        ExportFormat::Xlsx => xlsx_writer::write_xlsx(tmp_dir, out, source),
    }
}

/// A streamed download: `200` with the file's type and an `attachment` disposition named
/// `<file_stem>.<ext>` (ASCII), its body produced on a blocking thread as the client reads.
pub fn export_response<F>(
    format: ExportFormat,
    file_stem: &str,
    tmp_dir: PathBuf,
    source: F,
) -> Response
where
    F: FnOnce(&mut RowSink<'_>) -> Result<(), ExportError> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(CHANNEL_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let mut out = ChannelWriter::new(tx.clone());
        let result = write_export(format, &tmp_dir, &mut out, source).and_then(|()| out.finish());
        match result {
            Ok(()) | Err(ExportError::Closed) => {}
            Err(e) => {
                tracing::error!(cause = %e, "export failed");
                // The client sees the body end in an error, not a short file that looks whole.
                let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
            }
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let safe: String = file_stem
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let disposition = format!("attachment; filename=\"{safe}.{}\"", format.extension());
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A blocking `Write` that sends 64 KiB chunks into the body's channel, waiting while it is
/// full; once the client is gone every write fails with `BrokenPipe` (mapped to `Closed`).
struct ChannelWriter {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn new(tx: mpsc::Sender<Result<Bytes, std::io::Error>>) -> Self {
        Self {
            tx,
            buf: Vec::with_capacity(CHUNK_BYTES),
        }
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK_BYTES),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }

    fn finish(mut self) -> Result<(), ExportError> {
        self.send().map_err(closed_or_io)
    }
}

/// A broken pipe means the client left.
pub fn closed_or_io(e: std::io::Error) -> ExportError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        ExportError::Closed
    } else {
        ExportError::Io(e)
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

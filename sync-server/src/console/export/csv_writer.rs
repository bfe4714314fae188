//! The CSV writer: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), RFC 4180 (CRLF line
//! ends, fields with a comma, quote or line break quoted, quotes doubled), Chinese headers, and
//! formula injection guarded: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return gets a leading `'`, so a spreadsheet shows it as text instead of evaluating it.

use std::io::Write;

use super::{COLUMNS, Cell, ExportError, RowSink, closed_or_io, shanghai_minutes};

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A cell's text, guarded against formula injection.
pub fn guard(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

fn csv_err(e: csv::Error) -> ExportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => closed_or_io(io),
        other => ExportError::Source(format!("{other:?}")),
    }
}

pub fn write_csv<W: Write>(
    out: &mut W,
    source: impl FnOnce(&mut RowSink<'_>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    out.write_all(BOM).map_err(closed_or_io)?;
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(&mut *out);
    w.write_record(COLUMNS.iter().map(|(_, zh)| *zh))
        .map_err(csv_err)?;
    let mut record: Vec<String> = Vec::with_capacity(COLUMNS.len());
    source(&mut |row| {
        record.clear();
        record.extend(row.cells().into_iter().map(|c| match c {
            Cell::Text(s) => guard(&s).into_owned(),
            Cell::Time(ms) => shanghai_minutes(ms),
            Cell::Empty => String::new(),
        }));
        w.write_record(&record).map_err(csv_err)
    })?;
    w.flush().map_err(closed_or_io)?;
    drop(w);
    out.flush().map_err(closed_or_io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_other_text_kept() {
        for (given, want) in [
            ("=1+1", "'=1+1"),
            ("+86", "'+86"),
            ("-3号楼", "'-3号楼"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("邻里纠纷 =", "邻里纠纷 ="),
            ("", ""),
        ] {
            assert_eq!(guard(given), want);
        }
    }
}

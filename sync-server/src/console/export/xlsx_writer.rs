//! The XLSX writer: one constant-memory worksheet (rust_xlsxwriter flushes each row to a
//! temporary file as the next one starts, so memory stays flat whatever the row count), saved
//! into an anonymous temporary file, then copied to the output.
//!
//! Invariants: rows are written strictly in order (a constant-memory worksheet drops anything
//! written to a row already flushed); times are Excel date-times in Asia/Shanghai with a
//! `yyyy-mm-dd hh:mm` format; text is written as strings, never formulas, so no cell is evaluated.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::{COLUMNS, Cell, ExportError, RowSink, SHANGHAI_OFFSET_MS, closed_or_io};

/// Days between Excel's epoch (1899-12-30, serial 0) and 1970-01-01.
const EXCEL_UNIX_EPOCH_DAYS: f64 = 25_569.0;
const MS_PER_DAY: f64 = 86_400_000.0;
/// The sheet's name: 案件 (cases).
const SHEET_NAME: &str = "案件";
/// Column widths in characters, in [`COLUMNS`] order.
const WIDTHS: [f64; 16] = [
    38.0, 10.0, 26.0, 40.0, 10.0, 12.0, 8.0, 12.0, 17.0, 17.0, 17.0, 8.0, 8.0, 14.0, 14.0, 14.0,
];

/// The Excel serial date-time of a UTC ms instant, in Asia/Shanghai.
pub fn excel_serial(ms: i64) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let local = (ms + SHANGHAI_OFFSET_MS) as f64;
    EXCEL_UNIX_EPOCH_DAYS + local / MS_PER_DAY
}

fn header(sheet: &mut Worksheet) -> Result<(), ExportError> {
    let bold = Format::new().set_bold();
    for (col, (_, zh)) in (0u16..).zip(COLUMNS.iter()) {
        sheet.set_column_width(col, WIDTHS[usize::from(col)])?;
        sheet.write_string_with_format(0, col, *zh, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

pub fn write_xlsx<W: Write>(
    tmp_dir: &Path,
    out: &mut W,
    source: impl FnOnce(&mut RowSink<'_>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let mut book = Workbook::new();
    book.set_tempdir(tmp_dir)?;
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(SHEET_NAME)?;
    header(sheet)?;
    let mut row: u32 = 0;
    source(&mut |r| {
        row += 1;
        for (col, cell) in (0u16..).zip(r.cells()) {
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(row, col, s)?;
                }
                Cell::Time(ms) => {
                    sheet.write_number_with_format(row, col, excel_serial(ms), &date)?;
                }
                Cell::Empty => {}
            }
        }
        Ok(())
    })?;
    // Anonymous: unlinked at creation, gone when closed even if this thread dies.
    let mut file = tempfile::tempfile_in(tmp_dir)?;
    book.save_to_writer(&mut file)?;
    drop(book);
    file.seek(SeekFrom::Start(0))?;
    std::io::copy(&mut file, out).map_err(closed_or_io)?;
    out.flush().map_err(closed_or_io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_shanghai_wall_clock() {
        // 1970-01-01T00:00Z is 08:00 in Shanghai: serial 25569 + 1/3.
        assert!((excel_serial(0) - (25_569.0 + 1.0 / 3.0)).abs() < 1e-9);
        // 2026-11-27T16:00Z = 2026-11-28 00:00 in Shanghai = serial 46354.
        assert!((excel_serial(1_795_795_200_000) - 46_354.0).abs() < 1e-9);
    }
}

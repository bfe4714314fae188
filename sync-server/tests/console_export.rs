//! The export writers read back: the XLSX with calamine (sheet, Chinese headers, rows, Shanghai
//! date-times, Chinese enum labels), the CSV byte for byte (BOM, CRLF, RFC 4180 quoting, formula
//! guard), and a source that stops when the client goes away.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use gridmate_server::console::export::{
    COLUMNS, ExportError, ExportFormat, ExportRow, export_response, write_export,
};

/// 2026-11-28 09:30 in Shanghai.
const T: i64 = 1_795_829_400_000;

fn row(i: u32) -> ExportRow {
    ExportRow {
        id: uuid::Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0000 + u128::from(i))
            .to_string(),
        kind: "dispute".into(),
        grid_id: "jingkou-zhengdonglu-03".into(),
        title: format!("矛盾纠纷：楼上漏水 第{i}号"),
        status: Some("in_progress".into()),
        category: Some("neighbour".into()),
        risk: Some("high".into()),
        source: Some("hotline_12345".into()),
        occurred_at: T,
        updated_at: T + 60_000,
        due_at: Some(T + 86_400_000),
        overdue: i.is_multiple_of(2),
        supervised: false,
        assignee_user: Some("li.lawyer".into()),
        assignee_unit: None,
        created_by: "wang.wei".into(),
    }
}

fn export(format: ExportFormat, rows: Vec<ExportRow>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = Vec::new();
    write_export(format, dir.path(), &mut out, move |sink| {
        rows.into_iter().try_for_each(sink)
    })
    .unwrap();
    // The anonymous temporary files are gone.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    out
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("not text: {other:?}"),
    }
}

fn serial(d: &Data) -> f64 {
    match d {
        Data::DateTime(dt) => dt.as_f64(),
        other => panic!("not a date-time: {other:?}"),
    }
}

#[test]
fn xlsx_reads_back_with_chinese_headers_labels_and_shanghai_times() {
    let mut odd = row(1);
    odd.status = None;
    odd.category = Some("some_future_category".into());
    odd.due_at = None;
    odd.title = "=HYPERLINK(\"http://x\")".into();
    let bytes = export(ExportFormat::Xlsx, vec![row(0), odd]);
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["案件"]);
    let range = book.worksheet_range("案件").unwrap();
    assert_eq!(range.height(), 3);
    let rows: Vec<&[Data]> = range.rows().collect();
    let headers: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(headers, COLUMNS.iter().map(|c| c.1).collect::<Vec<_>>());
    assert_eq!(headers[..5], ["编号", "类型", "网格", "事项", "状态"]);
    let r = rows[1];
    let cells: Vec<String> = [0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15]
        .iter()
        .map(|i| text(&r[*i]))
        .collect();
    assert_eq!(
        cells,
        [
            "01930000-0000-7000-8000-000000000000",
            "矛盾纠纷",
            "jingkou-zhengdonglu-03",
            "矛盾纠纷：楼上漏水 第0号",
            "处置中",
            "邻里",
            "高",
            "12345 热线",
            "是",
            "否",
            "li.lawyer",
            "",
            "wang.wei",
        ]
    );
    // 2026-11-28 09:30 Shanghai = serial 46354 + 9.5/24; +1 minute; +1 day.
    let base = 46_354.0 + 9.5 / 24.0;
    for (col, want) in [(8, base), (9, base + 1.0 / 1440.0), (10, base + 1.0)] {
        assert!((serial(&r[col]) - want).abs() < 1e-6, "column {col}");
    }
    let r = rows[2];
    assert_eq!(
        text(&r[3]),
        "=HYPERLINK(\"http://x\")",
        "text stays text, never a formula"
    );
    assert_eq!(text(&r[4]), "");
    assert_eq!(text(&r[5]), "some_future_category");
    assert_eq!(r[10], Data::Empty);
    assert_eq!(text(&r[11]), "否");
}

#[test]
fn csv_has_a_bom_crlf_quoting_and_no_formulas() {
    let mut tricky = row(1);
    tricky.title = "-1, \"楼上\"\n漏水".into();
    tricky.created_by = "@admin".into();
    tricky.due_at = None;
    let bytes = export(ExportFormat::Csv, vec![row(0), tricky]);
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(lines[0], COLUMNS.map(|c| c.1).join(","));
    assert_eq!(
        lines[1],
        "01930000-0000-7000-8000-000000000000,矛盾纠纷,jingkou-zhengdonglu-03,\
         矛盾纠纷：楼上漏水 第0号,处置中,邻里,高,12345 热线,2026-11-28 09:30,2026-11-28 09:31,\
         2026-11-29 09:30,是,否,li.lawyer,,wang.wei"
    );
    assert_eq!(
        lines[2],
        "01930000-0000-7000-8000-000000000001,矛盾纠纷,jingkou-zhengdonglu-03,\
         \"'-1, \"\"楼上\"\"\n漏水\",处置中,邻里,高,12345 热线,2026-11-28 09:30,2026-11-28 09:31,\
         ,否,否,li.lawyer,,'@admin"
    );
    assert_eq!(lines[3], "");
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn a_download_streams_and_stops_its_source_when_the_client_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let resp = export_response(
        ExportFormat::Csv,
        "cases-2026",
        dir.path().to_path_buf(),
        move |sink| {
            let mut sent = 0u64;
            let result = (0..10_000_000u32).try_for_each(|i| {
                sent += 1;
                sink(row(i))
            });
            done_tx
                .send((sent, matches!(result, Err(ExportError::Closed))))
                .unwrap();
            result
        },
    );
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        resp.headers()["content-disposition"],
        "attachment; filename=\"cases-2026.csv\""
    );
    // Read one chunk, then hang up.
    let mut body = resp.into_body().into_data_stream();
    let first = futures_next(&mut body).await.unwrap();
    assert!(first.starts_with(b"\xEF\xBB\xBF"));
    drop(body);
    let (sent, closed) = tokio::task::spawn_blocking(move || done_rx.recv().unwrap())
        .await
        .unwrap();
    assert!(closed, "the source was told the client left");
    assert!(sent < 10_000_000, "the source stopped early ({sent} rows)");
}

async fn futures_next(s: &mut axum::body::BodyDataStream) -> Option<axum::body::Bytes> {
    use futures_util::StreamExt;
    s.next().await.map(|r| r.unwrap())
}

//! `gridmate import` as a grid worker meets it: the real binary, real SQLite stores in temp
//! folders, and files in every format (JSON lines, JSON array, CSV with a BOM or in GB18030,
//! XLSX written by rust_xlsxwriter), including bad rows, a file imported twice, 10,000 rows and
//! garbage.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

struct Cli {
    dir: tempfile::TempDir,
}

const HEADER: &str = "网格,上报时间,来源,纠纷类型,当事人,纠纷概要,风险等级";

impl Cli {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_gridmate"))
            .arg("--data")
            .arg(self.dir.path().join("data"))
            .args(args)
            .output()
            .unwrap()
    }

    /// `--json import FILE ARGS`: exit code, and stdout (success) or stderr (failure) as JSON.
    fn import(&self, file: &Path, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--json", "import", file.to_str().unwrap()];
        all.extend(args);
        let out = self.run(&all);
        let code = out.status.code().unwrap();
        let text = if code == 0 { out.stdout } else { out.stderr };
        let v = serde_json::from_slice(&text)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&text)));
        (code, v)
    }

    fn imported(&self, file: &Path, args: &[&str]) -> Value {
        let (code, v) = self.import(file, args);
        assert_eq!(code, 0, "{v}");
        v
    }

    fn records(&self) -> u64 {
        let out = self.run(&["--json", "status"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["counts"]["records"].as_u64().unwrap()
    }

    fn show(&self, id: &Value) -> Value {
        let out = self.run(&["show", id.as_str().unwrap()]);
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn counts(v: &Value) -> (u64, u64, u64) {
    let n = |k: &str| v[k].as_u64().unwrap();
    (n("imported"), n("already_imported"), n("invalid"))
}

fn dispute_row(i: usize, risk: &str, phone: &str) -> String {
    format!(
        "jingkou-zhengdonglu-03,2026-11-28 10:{:02},现场发现,邻里,\"张三(申请人,{phone})；李四(被申请人)\",第{i}户楼上漏水至楼下,{risk}",
        i % 60
    )
}

fn csv_with_bom(rows: &[String]) -> Vec<u8> {
    let mut b = b"\xEF\xBB\xBF".to_vec();
    b.extend(format!("{HEADER}\n{}\n", rows.join("\n")).into_bytes());
    b
}

fn draft(summary: &str) -> Value {
    json!({
        "kind": "dispute", "grid_id": "jingkou-zhengdonglu-03", "reported_at": "2026-11-28T10:15:00+08:00",
        "source": "field", "dispute_category": "neighbour", "summary": summary, "risk_level": "medium"
    })
}

#[test]
fn the_documented_ledger_templates_import() {
    let cli = Cli::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples");
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.starts_with("ledger-") && name.ends_with(".csv") {
            let v = cli.imported(&path, &[]);
            assert_eq!(counts(&v), (2, 0, 0), "{name}");
            files += 1;
        }
    }
    assert_eq!(files, 3, "one template per kind");
    assert_eq!(cli.records(), 6);
}

#[test]
fn json_lines_and_json_arrays() {
    let cli = Cli::new();
    let lines = format!("{}\n\n{}\n", draft("一楼漏水"), draft("二楼漏水"));
    let v = cli.imported(&cli.file("a.jsonl", lines), &[]);
    assert_eq!(counts(&v), (2, 0, 0));
    assert_eq!(v["records"][1]["row"], 3, "a JSON-lines row is its line");
    assert_eq!(cli.show(&v["records"][1]["id"])["summary"], "二楼漏水");

    // An array, without `kind` in its objects: --kind supplies it.
    let mut a = draft("三楼漏水");
    a.as_object_mut().unwrap().remove("kind");
    let arr = json!([a, draft("一楼漏水")]).to_string();
    let v = cli.imported(&cli.file("b.json", arr), &["--kind", "dispute"]);
    assert_eq!(
        counts(&v),
        (1, 1, 0),
        "the same draft as before is already imported"
    );
    assert_eq!(v["already"][0]["row"], 2);
    assert_eq!(cli.records(), 3);
}

#[test]
fn csv_with_a_bom_and_in_gb18030() {
    let cli = Cli::new();
    let v = cli.imported(
        &cli.file(
            "a.csv",
            csv_with_bom(&[dispute_row(1, "中", "13800138000")]),
        ),
        &[],
    );
    assert_eq!(counts(&v), (1, 0, 0));
    let shown = cli.show(&v["records"][0]["id"]);
    assert_eq!(
        shown["parties"][0],
        json!({"name": "张三", "role": "applicant", "phone": "13800138000", "id_number": null})
    );
    assert_eq!(shown["reported_at"], "2026-11-28T02:01:00.000Z");
    assert_eq!(v["records"][0]["row"], 2, "the header is row 1");

    let text = format!("{HEADER}\r\n{}\r\n", dispute_row(2, "高", "13800138001"));
    let (gbk, _, bad) = encoding_rs::GB18030.encode(&text);
    assert!(!bad);
    let v = cli.imported(&cli.file("gbk.csv", gbk), &[]);
    assert_eq!(counts(&v), (1, 0, 0));
    assert_eq!(
        cli.show(&v["records"][0]["id"])["summary"],
        "第2户楼上漏水至楼下"
    );
}

#[test]
fn an_xlsx_ledger() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let cli = Cli::new();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let headers = [
        "序号",
        "网格",
        "活动时间",
        "主题",
        "形式",
        "受众人数",
        "主讲人",
        "纬度",
        "经度",
    ];
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let when = ExcelDateTime::from_ymd(2026, 11, 27)
        .unwrap()
        .and_hms(14, 0, 0)
        .unwrap();
    let fmt = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for r in 1..=2u32 {
        ws.write_number(r, 0, r).unwrap();
        ws.write_string(r, 1, "jingkou-zhengdonglu-03").unwrap();
        ws.write_datetime_with_format(r, 2, &when, &fmt).unwrap();
        ws.write_string(r, 3, format!("防范电信网络诈骗第{r}讲"))
            .unwrap();
        ws.write_string(r, 4, "讲座").unwrap();
        ws.write_number(r, 5, 46).unwrap();
        ws.write_string(r, 6, "周警官(警官)").unwrap();
        ws.write_number(r, 7, 32.2041).unwrap();
        ws.write_number(r, 8, 119.4552).unwrap();
    }
    let v = cli.imported(&cli.file("l.xlsx", wb.save_to_buffer().unwrap()), &[]);
    assert_eq!(counts(&v), (2, 0, 0));
    assert_eq!(v["records"][1]["row"], 3);
    let shown = cli.show(&v["records"][0]["id"]);
    assert_eq!(
        shown["held_at"], "2026-11-27T06:00:00.000Z",
        "a date cell is China time"
    );
    assert_eq!(shown["audience_count"], 46);
    assert_eq!(shown["location"]["lat"], 32.2041);
    assert_eq!(shown["speakers"][0]["legal_role"], "police_officer");
}

fn with_bad_rows(cli: &Cli) -> PathBuf {
    let rows = [
        dispute_row(1, "中", "13800138000"),
        dispute_row(2, "很高", "13800138001"),
        dispute_row(3, "低", "1234"),
        dispute_row(4, "高", "13800138003"),
    ];
    cli.file("bad.csv", csv_with_bom(&rows))
}

#[test]
fn a_bad_row_writes_nothing_and_is_named_by_row_and_column() {
    let cli = Cli::new();
    let file = with_bad_rows(&cli);
    let (code, err) = cli.import(&file, &[]);
    assert_eq!(code, 2);
    assert_eq!(err["code"], "validation_failed");
    let got: Vec<(u64, &str, &str, &str)> = err["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap(),
                e["field"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "风险等级", "risk_level", "invalid_value"),
            (4, "当事人", "parties[0].phone", "invalid_phone"),
        ]
    );
    assert!(
        err["errors"][1]["message"]["zh-CN"]
            .as_str()
            .unwrap()
            .contains("手机号码")
    );
    assert!(
        err["errors"][1]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("mobile")
    );
    assert_eq!(cli.records(), 0, "nothing written");

    let out = cli.run(&["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("第 4 行 row 4 · 当事人 · parties[0].phone [invalid_phone]")
            && text.contains("未导入"),
        "{text}"
    );
    assert_eq!(cli.records(), 0);
}

#[test]
fn skip_invalid_writes_the_valid_rows_and_reports_the_rest() {
    let cli = Cli::new();
    let file = with_bad_rows(&cli);
    let v = cli.imported(&file, &["--skip-invalid"]);
    assert_eq!(counts(&v), (2, 0, 2));
    let rows: Vec<u64> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, vec![2, 5]);
    assert_eq!(v["errors"][0]["row"], 3);
    assert_eq!(cli.records(), 2);
}

#[test]
fn a_file_imported_twice_or_grown_adds_only_new_rows() {
    let cli = Cli::new();
    let rows: Vec<String> = (0..5)
        .map(|i| dispute_row(i, "中", "13800138000"))
        .collect();
    let file = cli.file("l.csv", csv_with_bom(&rows));
    let first = cli.imported(&file, &[]);
    assert_eq!(counts(&first), (5, 0, 0));
    let again = cli.imported(&file, &[]);
    assert_eq!(counts(&again), (0, 5, 0));
    assert_eq!(again["already"][0]["id"], first["records"][0]["id"]);
    assert_eq!(cli.records(), 5);

    // The ledger grew by two rows (and an identical row pasted twice counts once).
    let mut grown = rows.clone();
    grown.push(dispute_row(5, "高", "13800138000"));
    grown.push(dispute_row(6, "高", "13800138000"));
    grown.push(dispute_row(6, "高", "13800138000"));
    std::fs::write(&file, csv_with_bom(&grown)).unwrap();
    let v = cli.imported(&file, &[]);
    assert_eq!(counts(&v), (2, 6, 0));
    assert_eq!(cli.records(), 7);
}

#[test]
fn ten_thousand_rows_in_one_run() {
    let cli = Cli::new();
    let rows: Vec<String> = (0..10_000)
        .map(|i| dispute_row(i, "中", "13800138000"))
        .collect();
    let v = cli.imported(&cli.file("big.csv", csv_with_bom(&rows)), &[]);
    assert_eq!(counts(&v), (10_000, 0, 0));
    assert_eq!(cli.records(), 10_000);
}

#[test]
fn garbage_is_refused_with_a_typed_error() {
    let cli = Cli::new();
    let mut noise = vec![0u8; 4096];
    let mut x: u32 = 12345;
    for b in &mut noise {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    let mut zip_noise = b"PK\x03\x04".to_vec();
    zip_noise.extend(&noise);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("noise.xlsx", noise.clone(), "unreadable_file"),
        ("zip.xlsx", zip_noise, "unreadable_file"),
        ("noise.csv", noise.clone(), "invalid_encoding"),
        ("empty.csv", Vec::new(), "no_rows"),
        ("empty.jsonl", b"\n\n".to_vec(), "no_rows"),
        ("headers.csv", format!("{HEADER}\n").into_bytes(), "no_rows"),
        (
            "nokind.csv",
            "网格,风险等级\ng,中\n".as_bytes().to_vec(),
            "unknown_ledger_kind",
        ),
        (
            "typo.csv",
            format!("{HEADER},风险等极\n").into_bytes(),
            "validation_failed",
        ),
        (
            "bad.jsonl",
            format!("{}\nnot json\n", draft("x")).into_bytes(),
            "validation_failed",
        ),
        (
            "ragged.csv",
            format!(
                "{HEADER}\njingkou-zhengdonglu-03,2026-11-28\n{},多余\n",
                dispute_row(1, "中", "13800138000")
            )
            .into_bytes(),
            "validation_failed",
        ),
    ];
    for (name, bytes, code) in cases {
        let (exit, err) = cli.import(&cli.file(name, bytes), &[]);
        assert_eq!(
            (exit, err["code"].as_str().unwrap()),
            (2, code),
            "{name}: {err}"
        );
    }
    let (_, err) = cli.import(
        &cli.file("bad2.jsonl", format!("{}\nnot json\n", draft("x"))),
        &[],
    );
    assert_eq!(
        (
            err["errors"][0]["row"].as_u64(),
            err["errors"][0]["code"].as_str()
        ),
        (Some(2), Some("invalid_json"))
    );
    let (_, err) = cli.import(&cli.file("typo2.csv", format!("{HEADER},风险等极\n")), &[]);
    assert_eq!(err["errors"][0]["row"], 1);
    assert_eq!(err["errors"][0]["column"], "风险等极");

    let big = cli.dir.path().join("big.csv");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(51 * 1024 * 1024)
        .unwrap();
    let (exit, err) = cli.import(&big, &[]);
    assert_eq!((exit, err["code"].as_str().unwrap()), (2, "file_too_large"));
    assert_eq!(cli.records(), 0);
}

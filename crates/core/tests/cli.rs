//! The `gridmate` CLI as a user or script meets it: the real binary on a temp data folder.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gridmate"))
            .arg("--data")
            .arg(self.dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.unwrap_or("").as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn count(&self) -> usize {
        let v: Value =
            serde_json::from_str(&self.ok(&["--json", "list", "--deleted"], None)).unwrap();
        v["items"].as_array().unwrap().len()
    }
}

fn dispute() -> Value {
    json!({
        "kind": "dispute", "grid_id": "jingkou-zhengdonglu-03", "reported_at": "2026-11-28T09:30:00+08:00",
        "source": "walk_in", "dispute_category": "labour", "summary": "十二名工人反映工资被拖欠三个月",
        "risk_level": "high",
        "parties": [{"name": "刘某", "role": "applicant", "phone": "13912345678", "id_number": "11010519491231002X"}]
    })
}

#[test]
fn add_show_edit_history_delete() {
    let cli = Cli::new();
    let id = cli
        .ok(&["add"], Some(&dispute().to_string()))
        .trim()
        .to_owned();
    let shown: Value = serde_json::from_str(&cli.ok(&["show", &id], None)).unwrap();
    assert_eq!(shown["summary"], "十二名工人反映工资被拖欠三个月");
    assert_eq!(shown["created_by"], "local");
    cli.ok(&["edit", &id, "-"], Some(r#"{"status": "accepted"}"#));
    let h: Value = serde_json::from_str(&cli.ok(&["--json", "history", &id], None)).unwrap();
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[1]["fields"], json!(["status", "updated_at"]));
    let found = cli.ok(&["search", "工资"], None);
    assert!(found.contains(&id));
    let listed = cli.ok(&["list", "--kind", "dispute", "--status", "accepted"], None);
    assert!(
        listed.contains(&id) && !listed.contains("刘某"),
        "list shows no party names"
    );
    cli.ok(&["delete", &id], None);
    assert!(!cli.ok(&["list"], None).contains(&id));
}

#[test]
fn invalid_input_exits_2_with_field_errors_and_writes_nothing() {
    let cli = Cli::new();
    let mut bad = dispute();
    bad["parties"][0]["id_number"] = json!("110105194912310021");
    bad["parties"][0]["phone"] = json!("1234");
    let out = cli.run(&["--json", "add"], Some(&bad.to_string()));
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_str(String::from_utf8_lossy(&out.stderr).trim()).unwrap();
    assert_eq!(err["code"], "validation_failed");
    let fields: Vec<&str> = err["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["parties[0].phone", "parties[0].id_number"]);
    assert!(
        err["errors"][0]["message"]["zh-CN"]
            .as_str()
            .unwrap()
            .contains("手机号码")
    );
    assert_eq!(cli.count(), 0);

    // Human output names the field and both languages.
    let out = cli.run(&["add"], Some(&bad.to_string()));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("parties[0].id_number [invalid_id_number]") && text.contains("身份证"),
        "{text}"
    );

    for (stdin, code) in [
        ("not json", "invalid_json"),
        (r#"{"kind": "x"}"#, "validation_failed"),
        ("[]", "validation_failed"),
    ] {
        let out = cli.run(&["--json", "add"], Some(stdin));
        assert_eq!(out.status.code(), Some(2), "{stdin}");
        let err: Value = serde_json::from_str(String::from_utf8_lossy(&out.stderr).trim()).unwrap();
        assert_eq!(err["code"], code);
    }
    let out = cli.run(&["show", "00000000-0000-7000-8000-000000000000"], None);
    assert_eq!(out.status.code(), Some(3));
    let out = cli.run(&["list", "--status", "done"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(cli.count(), 0);
}

#[test]
fn export_doc_is_a_standard_automerge_document() {
    let cli = Cli::new();
    let id = cli
        .ok(&["add"], Some(&dispute().to_string()))
        .trim()
        .to_owned();
    cli.ok(
        &["edit", &id],
        Some(r#"{"summary": "十二名工人反映工资被拖欠三个月，已引导至劳动监察"}"#),
    );
    let out = cli.dir.path().join("doc.automerge");
    cli.ok(&["export-doc", &id, "--out", out.to_str().unwrap()], None);
    let doc = automerge::AutoCommit::load(&std::fs::read(&out).unwrap()).unwrap();
    let from_doc = gridmate_domain::document::read_record(&doc).unwrap();
    let shown: Value = serde_json::from_str(&cli.ok(&["show", &id], None)).unwrap();
    assert_eq!(gridmate_domain::input::record_to_json(&from_doc), shown);
    // The text is real Automerge text, readable without our schema code.
    let (_, text_id) = automerge::ReadDoc::get(&doc, automerge::ROOT, "summary")
        .unwrap()
        .unwrap();
    assert!(
        automerge::ReadDoc::text(&doc, &text_id)
            .unwrap()
            .ends_with("劳动监察")
    );
}

/// Every page of `list --limit LIMIT`, following `next_cursor` until it is null.
fn all_pages(cli: &Cli, limit: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let limit_arg = limit.to_string();
        let mut args = vec!["--json", "list", "--limit", &limit_arg];
        if let Some(c) = &cursor {
            args.extend(["--cursor", c]);
        }
        let page: Value = serde_json::from_str(&cli.ok(&args, None)).unwrap();
        let ids: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(ids.len() <= limit, "a page holds at most --limit items");
        pages.push(ids);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages.len() <= 20, "the cursor never reaches the end");
    }
    pages
}

#[test]
fn pages_with_a_cursor() {
    let cli = Cli::new();
    // Four moments, newest first, shared by 3, 4, 4 and 2 records: with 5 to a page both page
    // boundaries (after the 5th and the 10th record) fall between two records of one moment, where
    // only the id orders them. Added oldest moment first and kinds mixed, so neither the insertion
    // order nor the kind matches the listed order.
    let moments = [
        (3, "2026-11-20T09:00:00+08:00"),
        (2, "2026-11-19T15:30:00+08:00"),
        (1, "2026-11-19T08:00:00+08:00"),
        (0, "2026-11-18T18:45:00+08:00"),
    ];
    let sizes = [3, 4, 4, 2];
    let mut expected: Vec<(usize, String)> = Vec::new();
    for &(rank, at) in moments.iter().rev() {
        for n in 0..sizes[3 - rank] {
            let body = if n % 2 == 0 {
                let mut d = dispute();
                d["reported_at"] = json!(at);
                d
            } else {
                json!({
                    "kind": "patrol_visit", "grid_id": "jingkou-zhengdonglu-01", "visited_at": at,
                    "subject_kind": "place", "subject_name": "正东路菜场", "findings": format!("第{n}次")
                })
            };
            let id = cli.ok(&["add"], Some(&body.to_string())).trim().to_owned();
            expected.push((rank, id));
        }
    }
    // The documented order: newest first, then by id, descending.
    expected.sort_by(|a, b| b.cmp(a));
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();
    assert_eq!(expected.len(), 13);

    let pages = all_pages(&cli, 5);
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![5, 5, 3], "full pages until the last");
    let listed: Vec<String> = pages.concat();
    let mut distinct = listed.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        listed.len(),
        "no record on two pages: {pages:?}"
    );
    let mut all = expected.clone();
    all.sort();
    assert_eq!(distinct, all, "every record on some page, and nothing else");
    assert_eq!(listed, expected, "newest first, ties by id, across pages");
}

#[test]
fn the_documented_examples_are_accepted() {
    let cli = Cli::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            cli.ok(&["add", path.to_str().unwrap()], None);
            n += 1;
        }
    }
    assert_eq!(n, 3, "one example per kind");
    assert_eq!(cli.count(), 3);
}

/// Runs `gridmate ARGS | head -c 0`: the reader closes the pipe before the output is written.
fn run_into_closed_pipe(cli: &Cli, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gridmate"))
        .arg("--data")
        .arg(cli.dir.path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // what `head` does when it has read enough
    child.wait_with_output().unwrap()
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let cli = Cli::new();
    cli.ok(&["seed", "--count", "300", "--seed", "3"], None);
    for args in [
        &["list", "--limit", "300"][..],
        &["--json", "list", "--limit", "300"][..],
        &["history", "--help"][..],
        &["seed", "--count", "50", "--print-ids"][..],
    ] {
        let out = run_into_closed_pipe(&cli, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
    // `seed --print-ids` stops at its first id nobody reads, as a Unix producer does on a closed
    // pipe; what it saved before is committed, and the store reads cleanly
    let status: Value = serde_json::from_str(&cli.ok(&["--json", "status"], None)).unwrap();
    let records = status["counts"]["records"].as_u64().unwrap();
    assert!((301..=350).contains(&records), "{status}");
    cli.ok(&["check"], None);
}

#[test]
fn a_bad_list_filter_names_the_filter_in_both_languages() {
    let cli = Cli::new();
    let out = cli.run(&["--json", "list", "--status", "done"], None);
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "invalid_value");
    assert_eq!(err["errors"][0]["field"], "status");
    assert!(
        err["message"]["zh-CN"]
            .as_str()
            .unwrap()
            .contains("筛选条件")
    );
    assert!(err["message"]["en"].as_str().unwrap().contains("status"));
}

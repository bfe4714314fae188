//! The `gridmate` CLI as a user or script meets it: the real binary on a temp data folder.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

struct Cli {
    dir: tempfile::TempDir,
}

/// Binds `account`'s store under the CLI's data folder to a server account of `role` (as a
/// login leaves it; no server is contacted: local actions need none).
fn bind(cli: &Cli, account: &str, role: &str, scope: &[&str]) {
    let path = gridmate_core::Store::account_path(cli.dir.path(), account);
    let mut store = gridmate_core::Store::open(&path, account).unwrap();
    let binding = serde_json::from_value(json!({
        "server_url": "https://gridmate.example", "user": account, "token": "t",
        "allow_insecure": false, "role": role, "scope": scope,
    }))
    .unwrap();
    store.bind_server(&binding).unwrap();
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
    cli.ok(&["edit", &id, "-"], Some(r#"{"risk_level": "critical"}"#));
    let h: Value = serde_json::from_str(&cli.ok(&["--json", "history", &id], None)).unwrap();
    assert_eq!(h.as_array().unwrap().len(), 2);
    assert_eq!(h[1]["fields"], json!(["risk_level", "updated_at"]));
    let found = cli.ok(&["search", "工资"], None);
    assert!(found.contains(&id));
    let listed = cli.ok(&["list", "--kind", "dispute", "--risk", "critical"], None);
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

#[test]
fn a_dispatcher_takes_dispute_actions_and_sees_tasks_and_the_timeline() {
    let cli = Cli::new();
    bind(&cli, "zhao.min", "dispatcher", &["jingkou-zhengdonglu"]);
    let me = ["--account", "zhao.min"];
    let run = |args: &[&str]| cli.ok(&[&me[..], args].concat(), None);
    let id = cli
        .ok(
            &["--account", "zhao.min", "add"],
            Some(&dispute().to_string()),
        )
        .trim()
        .to_owned();
    let tasks: Value = serde_json::from_str(&run(&["--json", "tasks"])).unwrap();
    assert_eq!(tasks[0]["id"], id.as_str());
    assert_eq!(tasks[0]["next_action"], "accept");
    assert_eq!(tasks[0]["status"], "reported");
    let actions: Value =
        serde_json::from_str(&run(&["--json", "dispute", "actions", &id])).unwrap();
    assert_eq!(
        actions,
        json!(["accept", "not_accept", "escalate", "supervise"])
    );
    assert!(run(&["dispute", "actions", &id]).contains("受理"));

    assert!(run(&["dispute", "accept", &id]).starts_with("accepted"));
    let due = "2099-01-01T18:00:00+08:00";
    let details = json!({"assignee_user": "zhao.min", "due_at": due}).to_string();
    let assigned: Value =
        serde_json::from_str(&run(&["--json", "dispute", "assign", &id, &details])).unwrap();
    assert_eq!(assigned["status"], "assigned");
    assert_eq!(
        assigned["workflow"][1]["details"]["assignee_user"],
        "zhao.min"
    );
    // Assigned to himself: the task is now to start, and the lists agree.
    assert!(run(&["tasks"]).contains("start"));
    assert!(run(&["list", "--assigned-to-me"]).contains(&id));
    assert!(!run(&["list", "--overdue"]).contains(&id), "due in 2099");
    assert!(run(&["dispute", "start", &id]).starts_with("in_progress"));
    let log = json!({"log_kind": "call", "note": "电话联系双方", "occurred_at": "2026-11-28T10:00:00+08:00"});
    let stdin_log = log.to_string();
    cli.ok(
        &["--account", "zhao.min", "dispute", "log", &id, "-"],
        Some(&stdin_log),
    );

    let shown = run(&["show", &id]);
    for part in [
        "流程 workflow",
        "受理 / accept",
        "交办 / assign",
        "assignee_user=zhao.min",
        "电话联系双方",
    ] {
        assert!(shown.contains(part), "{part}: {shown}");
    }
    // --json stays one JSON document: the record, its events included.
    let record: Value = serde_json::from_str(&run(&["--json", "show", &id])).unwrap();
    assert_eq!(record["workflow"].as_array().unwrap().len(), 4);
    assert_eq!(record["status"], "in_progress");
}

#[test]
fn a_refused_action_exits_2_with_the_code_field_and_both_languages() {
    let cli = Cli::new();
    bind(&cli, "zhao.min", "dispatcher", &["jingkou-zhengdonglu"]);
    let id = cli
        .ok(
            &["--account", "zhao.min", "add"],
            Some(&dispute().to_string()),
        )
        .trim()
        .to_owned();
    let out = cli.run(
        &["--account", "zhao.min", "--json", "dispute", "start", &id],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "invalid_status");
    assert_eq!(err["errors"][0]["field"], "action");
    assert!(
        err["errors"][0]["message"]["zh-CN"]
            .as_str()
            .unwrap()
            .contains("不能执行“签收处置”")
    );
    assert!(
        err["errors"][0]["message"]["en"]
            .as_str()
            .unwrap()
            .contains("start")
    );
    cli.ok(&["--account", "zhao.min", "dispute", "accept", &id], None);
    let out = cli.run(
        &["--account", "zhao.min", "dispute", "assign", &id, "{}"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("details.assignee_user [required]") && text.contains("承办人"),
        "{text}"
    );
    for (args, code) in [
        (
            vec!["dispute", "assign", &id, "{\"assignee\": \"li.na\"}"],
            "invalid_value",
        ),
        (vec!["dispute", "assign", &id, "not json"], "invalid_json"),
        (vec!["dispute", "dance", &id], "invalid_value"),
    ] {
        let out = cli.run(
            &[&["--account", "zhao.min", "--json"][..], &args].concat(),
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["code"], code, "{args:?}");
    }
    // An account that is not signed in has no role: refused, nothing written.
    let local = cli
        .ok(&["add"], Some(&dispute().to_string()))
        .trim()
        .to_owned();
    let out = cli.run(&["--json", "dispute", "accept", &local], None);
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["code"], "not_signed_in");
    let shown: Value = serde_json::from_str(&cli.ok(&["--json", "show", &local], None)).unwrap();
    assert_eq!(shown["status"], "reported");
    // A status patch is refused: only actions move a dispute.
    let out = cli.run(
        &["--account", "zhao.min", "--json", "edit", &id, "-"],
        Some(r#"{"status": "closed"}"#),
    );
    assert_eq!(out.status.code(), Some(2));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["errors"][0]["code"], "immutable_field");
}

/// Moves `id` from one account's store to another's as a pull would (no server in these tests).
fn carry(cli: &Cli, from: &str, to: &str, id: &str) {
    use gridmate_domain::wire;
    let open = |a: &str| {
        gridmate_core::Store::open(&gridmate_core::Store::account_path(cli.dir.path(), a), a)
            .unwrap()
    };
    let rid: gridmate_domain::RecordId = id.parse().unwrap();
    let bytes = open(from).export_doc(rid).unwrap();
    let page = wire::PullPage {
        docs: vec![wire::PulledDoc {
            record_id: *rid.as_uuid().as_bytes(),
            grid_id: "jingkou-zhengdonglu-03".into(),
            changes: vec![wire::Change(
                automerge::AutoCommit::load(&bytes)
                    .unwrap()
                    .save_nocompress(),
            )],
            projection: None,
        }],
        positions: vec![],
        more: false,
        revoked: vec![],
        authors: vec![],
        scope: vec!["jingkou-zhengdonglu".into()],
    };
    open(to)
        .apply_pull(&page, &mut gridmate_core::store::Applied::default())
        .unwrap();
}

#[test]
fn show_marks_an_event_that_lost_a_concurrent_race() {
    let cli = Cli::new();
    bind(&cli, "zhao.min", "dispatcher", &["jingkou-zhengdonglu"]);
    bind(&cli, "li.na", "legal_volunteer", &[]);
    let d = |args: &[&str]| cli.ok(&[&["--account", "zhao.min"][..], args].concat(), None);
    let l = |args: &[&str]| cli.ok(&[&["--account", "li.na"][..], args].concat(), None);
    let id = cli
        .ok(
            &["--account", "zhao.min", "add"],
            Some(&dispute().to_string()),
        )
        .trim()
        .to_owned();
    d(&["dispute", "accept", &id]);
    d(&["dispute", "assign", &id, r#"{"assignee_user": "li.na"}"#]);
    carry(&cli, "zhao.min", "li.na", &id);
    assert!(l(&["tasks"]).contains(&id));
    // Offline, at the same time: the lawyer starts and resolves, the dispatcher reassigns. Merged,
    // whichever came second in the merged order is kept but flagged (a reassignment of a resolved
    // dispute, or a resolution by someone no longer the assignee).
    l(&["dispute", "start", &id]);
    l(&[
        "dispute",
        "resolve",
        &id,
        r#"{"resolution_method": "legal_advice", "outcome": "withdrawn"}"#,
    ]);
    d(&["dispute", "assign", &id, r#"{"assignee_user": "sun.li"}"#]);
    carry(&cli, "li.na", "zhao.min", &id);
    let shown = d(&["show", &id]);
    assert!(shown.contains("[未生效 flagged: "), "{shown}");
    let record: Value = serde_json::from_str(&d(&["--json", "show", &id])).unwrap();
    assert_eq!(record["workflow"].as_array().unwrap().len(), 5);
}

#[test]
fn an_account_name_that_leaves_the_data_folder_is_refused_and_nothing_is_created() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let outside = root.path().join("outside");
    let absolute = outside.to_str().unwrap().to_owned();
    for account in ["..", "a/b", "", &absolute, "../outside", "."] {
        let out = Command::new(env!("CARGO_BIN_EXE_gridmate"))
            .args([
                "--data",
                data.to_str().unwrap(),
                "--account",
                account,
                "--json",
                "list",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{account:?}");
        let err: Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["errors"][0]["field"], "account", "{err}");
        let names: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(names.is_empty(), "{account:?} created {names:?}");
    }
}

#[cfg(unix)]
#[test]
fn the_data_folder_and_store_are_owner_only_even_when_the_folder_existed() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for pre_existing in [false, true] {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        if pre_existing {
            std::fs::create_dir_all(data.join("accounts/local")).unwrap();
            for d in [&data, &data.join("accounts"), &data.join("accounts/local")] {
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        let out = Command::new(env!("CARGO_BIN_EXE_gridmate"))
            .args(["--data", data.to_str().unwrap(), "add", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin
                    .take()
                    .unwrap()
                    .write_all(dispute().to_string().as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for d in [&data, &data.join("accounts"), &data.join("accounts/local")] {
            assert_eq!(mode(d), 0o700, "{}", d.display());
        }
        let db = data.join("accounts/local/gridmate.db");
        assert_eq!(mode(&db), 0o600);
        for companion in ["gridmate.db-wal", "gridmate.db-shm"] {
            let p = data.join("accounts/local").join(companion);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{companion}");
            }
        }
    }
}

//! Store behaviour on real SQLite files in temp dirs.

use gridmate_domain::wire;
use gridmate_domain::{ErrorCode, RecordBody, RecordKind, Timestamp};
use serde_json::{Value, json};

use super::*;

fn open(dir: &tempfile::TempDir) -> Store {
    Store::open(&dir.path().join("gridmate.db"), "wang.wei").unwrap()
}

fn dispute(summary: &str, at: &str) -> Value {
    json!({
        "kind": "dispute", "grid_id": "jingkou-zhengdonglu-03", "reported_at": at,
        "source": "field", "dispute_category": "neighbour", "summary": summary, "risk_level": "low",
        "parties": [{"name": "张三", "role": "applicant", "phone": "13800138000"}]
    })
}

fn visit(findings: &str, at: &str) -> Value {
    json!({
        "kind": "patrol_visit", "grid_id": "jingkou-zhengdonglu-01", "visited_at": at,
        "subject_kind": "place", "subject_name": "正东路菜场", "findings": findings
    })
}

fn count_rows(s: &Store, table: &str) -> i64 {
    s.conn
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

#[test]
fn create_get_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let a = s
        .create_json(dispute(
            "楼上漏水，两户多次争执",
            "2026-11-01T09:00:00+08:00",
        ))
        .unwrap();
    let b = s
        .create_json(visit("消防通道堵塞", "2026-11-02T09:00:00+08:00"))
        .unwrap();
    assert_eq!(a.meta.created_by, "wang.wei");
    assert_eq!(a.meta.id.as_uuid().get_version_num(), 7);
    assert_eq!(s.get(a.id()).unwrap(), a);
    assert_eq!(s.sync_state(a.id()).unwrap(), SyncState::LocalOnly);

    let all = s.list(&ListQuery::default()).unwrap();
    assert_eq!(
        all.items.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![b.id(), a.id()],
        "newest first"
    );
    let disputes = s
        .list(&ListQuery {
            kind: Some(RecordKind::Dispute),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(disputes.items.len(), 1);
    assert!(
        !disputes.items[0].title.contains("张三"),
        "no party names in list titles"
    );
    let by_grid = s
        .list(&ListQuery {
            grid_id: gridmate_domain::GridId::parse("jingkou-zhengdonglu-01"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_grid.items[0].id, b.id());
    let window = s
        .list(&ListQuery {
            from: Timestamp::parse_rfc3339("2026-11-02T00:00:00+08:00"),
            to: Timestamp::parse_rfc3339("2026-11-03T00:00:00+08:00"),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(window.items.len(), 1);
}

#[test]
fn pagination_is_stable_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let mut ids = Vec::new();
    for i in 0..23 {
        // Several records share a timestamp: the id breaks the tie.
        let at = format!("2026-11-{:02}T09:00:00+08:00", 1 + i / 3);
        ids.push(
            s.create_json(visit(&format!("第{i}次走访"), &at))
                .unwrap()
                .id(),
        );
    }
    let mut seen = Vec::new();
    let mut q = ListQuery {
        limit: 5,
        ..Default::default()
    };
    loop {
        let page = s.list(&q).unwrap();
        seen.extend(page.items.iter().map(|i| i.id));
        match page.next_cursor {
            Some(c) => q.cursor = Some(Cursor::decode(&c).unwrap()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 23);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 23, "no duplicates across pages");
}

#[test]
fn invalid_input_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let mut bad = dispute("争执", "2026-11-01T09:00:00+08:00");
    bad["parties"][0]["id_number"] = json!("320102199003071236");
    let StoreError::Invalid(e) = s.create_json(bad).unwrap_err() else {
        panic!("not a validation error")
    };
    assert!(e.has("parties[0].id_number", ErrorCode::InvalidIdNumber));
    for t in ["records", "documents", "record_sync", "actors"] {
        assert_eq!(count_rows(&s, t), 0, "{t}");
    }
    let ok = s
        .create_json(dispute("争执", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    let before = s.get(ok.id()).unwrap();
    let err = s
        .edit(
            ok.id(),
            &json!({"parties": [{"role": "applicant", "phone": "123"}]}),
        )
        .unwrap_err();
    assert_eq!(err.code(), "validation_failed");
    assert_eq!(
        s.get(ok.id()).unwrap(),
        before,
        "a refused edit changes nothing"
    );
    assert_eq!(
        s.edit(ok.id(), &json!({"id": "x"})).unwrap_err().code(),
        "validation_failed"
    );
    assert_eq!(
        s.edit(gridmate_domain::RecordId::new_v7(), &json!({}))
            .unwrap_err()
            .code(),
        "not_found"
    );
}

#[test]
fn edit_delete_search_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let r = s
        .create_json(dispute(
            "楼上漏水，两户多次争执",
            "2026-11-01T09:00:00+08:00",
        ))
        .unwrap();
    assert_eq!(s.search("漏水", None, 10).unwrap().len(), 1);
    assert_eq!(s.search("漏", None, 10).unwrap().len(), 1, "one character");
    assert_eq!(
        s.search("水", None, 10).unwrap().len(),
        1,
        "last character of a run"
    );
    assert_eq!(s.search("两户多次争执", None, 10).unwrap().len(), 1);
    assert!(s.search("漏雨", None, 10).unwrap().is_empty());
    assert!(
        s.search("张三", None, 10).unwrap().is_empty(),
        "party names are not indexed"
    );
    assert!(s.search("\"*()", None, 10).unwrap().is_empty());

    let e = s
        .edit(
            r.id(),
            &json!({"summary": "楼上漏水，经调解已修复", "risk_level": "high"}),
        )
        .unwrap();
    assert!(e.meta.updated_at >= r.meta.updated_at);
    assert_eq!(s.get(r.id()).unwrap(), e);
    assert!(
        s.search("争执", None, 10).unwrap().is_empty(),
        "old words leave the index"
    );
    assert_eq!(
        s.search("调解", Some(RecordKind::Dispute), 10)
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.search("调解", Some(RecordKind::PatrolVisit), 10)
            .unwrap()
            .is_empty()
    );
    // A no-op edit writes no change.
    s.edit(r.id(), &json!({"risk_level": "high"})).unwrap();

    s.delete(r.id()).unwrap();
    assert!(s.list(&ListQuery::default()).unwrap().items.is_empty());
    assert_eq!(
        s.list(&ListQuery {
            include_deleted: true,
            ..Default::default()
        })
        .unwrap()
        .items
        .len(),
        1
    );
    assert!(s.search("调解", None, 10).unwrap().is_empty());
    assert_eq!(
        s.edit(r.id(), &json!({"risk_level": "low"}))
            .unwrap_err()
            .code(),
        "record_deleted"
    );
    assert!(s.get(r.id()).unwrap().meta.deleted_at.is_some());

    let h = s.history(r.id()).unwrap();
    assert_eq!(
        h.iter().map(|e| e.op).collect::<Vec<_>>(),
        vec![HistoryOp::Create, HistoryOp::Edit, HistoryOp::Delete]
    );
    assert!(h.iter().all(|e| e.by.as_deref() == Some("wang.wei")));
    assert_eq!(
        h[0].fields,
        vec![
            "dispute_category",
            "grid_id",
            "parties",
            "reported_at",
            "risk_level",
            "source",
            "status",
            "summary"
        ],
        "a creation lists what the user filled in, not app-set or empty fields"
    );
    assert_eq!(h[1].fields, vec!["risk_level", "summary", "updated_at"]);
    assert_eq!(h[2].fields, vec!["deleted_at", "updated_at"]);
}

#[test]
fn history_names_nested_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let r = s
        .create_json(dispute("争执", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    s.edit(
        r.id(),
        &json!({"parties": [{"name": "张三", "role": "applicant", "phone": "13900139000"}]}),
    )
    .unwrap();
    let h = s.history(r.id()).unwrap();
    assert_eq!(h[1].fields, vec!["parties[0].phone", "updated_at"]);
}

#[test]
fn each_opening_writes_with_a_new_actor() {
    let dir = tempfile::tempdir().unwrap();
    let (a1, id) = {
        let mut s = open(&dir);
        let r = s
            .create_json(visit("一切正常", "2026-11-01T09:00:00+08:00"))
            .unwrap();
        (s.actor().clone(), r.id())
    };
    // A "restored backup": copy the file, open both, and edit on each.
    std::fs::copy(
        dir.path().join("gridmate.db"),
        dir.path().join("restored.db"),
    )
    .unwrap();
    let mut original = open(&dir);
    let mut restored = Store::open(&dir.path().join("restored.db"), "wang.wei").unwrap();
    assert_ne!(original.actor(), &a1);
    assert_ne!(original.actor(), restored.actor());
    assert_eq!(original.device_id().unwrap(), restored.device_id().unwrap());
    original
        .edit(id, &json!({"findings": "一切正常。复查"}))
        .unwrap();
    restored
        .edit(id, &json!({"findings": "一切正常。回访"}))
        .unwrap();
    // Both copies' changes can meet in one document: no duplicate (actor, seq).
    let mut a = automerge::AutoCommit::load(&original.export_doc(id).unwrap()).unwrap();
    let mut b = automerge::AutoCommit::load(&restored.export_doc(id).unwrap()).unwrap();
    a.merge(&mut b).unwrap();
    let merged = gridmate_domain::document::read_record(&a).unwrap();
    let gridmate_domain::RecordBody::PatrolVisit(v) = merged.body else {
        panic!()
    };
    assert!(
        v.findings.contains("复查") && v.findings.contains("回访"),
        "{}",
        v.findings
    );
    let actors: i64 = original
        .conn
        .query_row("SELECT count(*) FROM actors", [], |r| r.get(0))
        .unwrap();
    assert_eq!(actors, 2, "every actor that wrote is recorded");
}

#[test]
fn a_corrupt_document_is_quarantined_and_the_rest_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            s.create_json(visit(&format!("第{i}次"), "2026-11-01T09:00:00+08:00"))
                .unwrap()
                .id(),
        );
    }
    let victim = ids[2];
    // Damage the stored bytes as a failing flash sector might: keep the start, garble the rest.
    let sql_id = "(SELECT rowid FROM records WHERE id = ?1)";
    let mut bytes: Vec<u8> = s
        .conn
        .query_row(
            &format!("SELECT doc FROM documents WHERE record_rowid = {sql_id}"),
            [victim.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    bytes.truncate(40);
    bytes.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    s.conn
        .execute(
            &format!("UPDATE documents SET doc = ?2 WHERE record_rowid = {sql_id}"),
            rusqlite::params![victim.to_string(), bytes],
        )
        .unwrap();
    let err = s.get(victim).unwrap_err();
    assert_eq!(err.code(), "corrupt_document");
    for id in ids.iter().filter(|i| **i != victim) {
        s.get(*id).unwrap();
    }
    let page = s.list(&ListQuery::default()).unwrap();
    assert_eq!(page.items.len(), 5, "the damaged record still lists");
    assert_eq!(
        page.items
            .iter()
            .filter(|i| i.quarantined)
            .map(|i| i.id)
            .collect::<Vec<_>>(),
        vec![victim]
    );
    let q = s.quarantined().unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].id, victim);
    assert_eq!(
        s.edit(victim, &json!({"findings": "x"}))
            .unwrap_err()
            .code(),
        "corrupt_document"
    );
    assert_eq!(s.counts().unwrap().quarantined, 1);
    // A document that decodes but does not fit the schema is quarantined the same way.
    let other = ids[3];
    let mut doc = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(&mut doc, automerge::ROOT, "kind", "dispute")
        .unwrap();
    s.conn
        .execute(
            "UPDATE documents SET doc = ?1 WHERE record_rowid = (SELECT rowid FROM records WHERE id = ?2)",
            rusqlite::params![doc.save(), other.to_string()],
        )
        .unwrap();
    assert_eq!(s.check().unwrap(), 2);
}

#[test]
fn binding_to_a_server_makes_new_saves_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    s.set_meta("server_url", "https://gridmate.example")
        .unwrap();
    let r = s
        .create_json(visit("一切正常", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    assert_eq!(s.sync_state(r.id()).unwrap(), SyncState::Pending);
    assert_eq!(s.counts().unwrap().pending, 1);
}

/// Moves `id`'s changes that `to` lacks from `from` into `to`, as a pull would.
fn pull_from(from: &Store, to: &mut Store, id: gridmate_domain::RecordId) {
    let bytes = from.export_doc(id).unwrap();
    let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
    let changes = doc
        .get_changes(&[])
        .iter()
        .map(|c| gridmate_domain::wire::Change(c.raw_bytes().to_vec()))
        .collect();
    let page = gridmate_domain::wire::PullPage {
        docs: vec![gridmate_domain::wire::PulledDoc {
            record_id: *id.as_uuid().as_bytes(),
            grid_id: "jingkou-zhengdonglu-03".into(),
            changes,
            projection: None,
        }],
        positions: vec![],
        more: false,
        scope: vec!["jingkou-zhengdonglu".into()],
        revoked: vec![],
        authors: from.authors_for(&mut doc),
    };
    to.apply_pull(&page, &mut Applied::default()).unwrap();
}

#[test]
fn history_names_the_server_s_author_never_a_change_message_s_claim() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir);
    let mut b = Store::open(&dir.path().join("b.db"), "li.na").unwrap();
    let r = a
        .create_json(dispute("楼上漏水", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    pull_from(&a, &mut b, r.id());
    // A change written outside the app that claims to be zhao.min's.
    let mut doc = automerge::AutoCommit::load(&b.export_doc(r.id()).unwrap()).unwrap();
    let forger = automerge::ActorId::random();
    doc.set_actor(forger.clone());
    let before = doc.get_heads();
    let old = gridmate_domain::document::read_record(&doc).unwrap();
    let mut new = old.clone();
    new.meta.updated_at = old.meta.updated_at.plus_millis(1000);
    gridmate_domain::document::write_changes(&mut doc, Some(&old), &new).unwrap();
    doc.commit_with(
        automerge::transaction::CommitOptions::default().with_message("gridmate:edit:zhao.min"),
    );
    let change = doc.get_changes(&before)[0].raw_bytes().to_vec();
    let page = |authors| gridmate_domain::wire::PullPage {
        docs: vec![gridmate_domain::wire::PulledDoc {
            record_id: *r.id().as_uuid().as_bytes(),
            grid_id: "jingkou-zhengdonglu-03".into(),
            changes: vec![gridmate_domain::wire::Change(change.clone())],
            projection: None,
        }],
        positions: vec![],
        more: false,
        scope: vec!["jingkou-zhengdonglu".into()],
        revoked: vec![],
        authors,
    };
    let forged_by = |s: &Store| {
        s.history(r.id())
            .unwrap()
            .into_iter()
            .find(|h| h.actor == forger.to_hex_string())
            .unwrap()
            .by
    };
    // Not named by the server: unknown, not the claim.
    b.apply_pull(&page(vec![]), &mut Applied::default())
        .unwrap();
    assert_eq!(forged_by(&b), None);
    // Named: the authenticated pusher.
    let real = gridmate_domain::wire::Author {
        actor: forger.to_bytes().to_vec(),
        user: "chen.jing".into(),
    };
    b.apply_pull(&page(vec![real]), &mut Applied::default())
        .unwrap();
    assert_eq!(forged_by(&b).as_deref(), Some("chen.jing"));
    // The creation, pulled with its author, and b's own unsent edit, by b's user.
    b.edit(r.id(), &json!({"summary": "复查"})).unwrap();
    let by: Vec<Option<String>> = b
        .history(r.id())
        .unwrap()
        .into_iter()
        .map(|h| h.by)
        .collect();
    assert_eq!(by.first().unwrap().as_deref(), Some("wang.wei"));
    assert_eq!(by.last().unwrap().as_deref(), Some("li.na"));
}

#[test]
fn concurrent_values_are_listed_with_who_and_when() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir);
    let mut b = Store::open(&dir.path().join("b.db"), "zhao.min").unwrap();
    let r = a
        .create_json(dispute("楼上漏水", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    pull_from(&a, &mut b, r.id());
    assert!(a.conflicts(r.id()).unwrap().is_empty());
    a.edit(r.id(), &json!({"risk_level": "high"})).unwrap();
    b.edit(
        r.id(),
        &json!({"risk_level": "critical", "summary": "楼上漏水，已上门查看"}),
    )
    .unwrap();
    pull_from(&b, &mut a, r.id());
    let c = a.conflicts(r.id()).unwrap();
    let risk = c
        .iter()
        .find(|c| c.field == "risk_level")
        .expect("risk_level conflict");
    let mut values: Vec<(String, Option<String>)> = risk
        .values
        .iter()
        .map(|v| (v.value.as_str().unwrap().to_owned(), v.by.clone()))
        .collect();
    values.sort();
    assert_eq!(
        values,
        vec![
            ("critical".into(), Some("zhao.min".into())),
            ("high".into(), Some("wang.wei".into()))
        ]
    );
    // The merged record holds one winner, the same on both sides once both have everything.
    pull_from(&a, &mut b, r.id());
    assert_eq!(a.get(r.id()).unwrap(), b.get(r.id()).unwrap());
    let merged = a.get(r.id()).unwrap();
    let gridmate_domain::RecordBody::Dispute(d) = merged.body else {
        panic!()
    };
    assert_eq!(
        d.summary, "楼上漏水，已上门查看",
        "a non-conflicting edit merges plainly"
    );
}

#[test]
fn drafts_survive_reopening_and_clear_on_save() {
    let dir = tempfile::tempdir().unwrap();
    {
        let s = open(&dir);
        s.save_draft("new:dispute", &json!({"summary": "正在输入"}))
            .unwrap();
    }
    let s = open(&dir);
    assert_eq!(
        s.load_draft("new:dispute").unwrap(),
        Some(json!({"summary": "正在输入"}))
    );
    s.clear_draft("new:dispute").unwrap();
    assert_eq!(s.load_draft("new:dispute").unwrap(), None);
}

/// The home screen's counts at `now` (RFC 3339): one visit at `now` itself and one a second before
/// China-time midnight of the same day, which is yesterday and must not count; the rest long ago.
fn home_summary_at(now: &str) -> HomeSummary {
    let dir = tempfile::tempdir().unwrap();
    let mut s = open(&dir);
    // A dispatcher's device: disputes move by workflow actions only.
    super::workflow_tests::bind(
        &mut s,
        "zhao.min",
        "dispatcher",
        &["jingkou-zhengdonglu"],
        None,
    );
    let now = Timestamp::parse_rfc3339(now).unwrap();
    let last_second_of_yesterday =
        Timestamp::from_millis(app::china_day_start(now) - 1000).unwrap();
    let long_ago = "2026-01-05T09:00:00+08:00";
    s.create_json(visit("今天的走访", &now.to_rfc3339()))
        .unwrap();
    s.create_json(visit(
        "昨天最后一秒",
        &last_second_of_yesterday.to_rfc3339(),
    ))
    .unwrap();
    s.create_json(visit("以前的走访", long_ago)).unwrap();
    let mut due = visit("需要跟进", long_ago);
    due["follow_up_needed"] = json!(true);
    due["follow_up_due_at"] = json!("2026-01-06T09:00:00+08:00");
    s.create_json(due).unwrap();
    let open = s.create_json(dispute("未办结", long_ago)).unwrap();
    s.create_json(dispute("另一起", long_ago)).unwrap();
    let accept = gridmate_domain::workflow::ActionRequest {
        action: gridmate_domain::WorkflowAction::Accept,
        details: Default::default(),
    };
    s.act(open.id(), accept).unwrap();
    let h = s.home_summary(now).unwrap();
    assert_eq!(h.last_sync_at, None);
    s.log_sync(&SyncLogEntry {
        at: now,
        ok: true,
        pushed: 6,
        pulled: 0,
        rejected: 0,
        error: None,
    })
    .unwrap();
    assert_eq!(s.home_summary(now).unwrap().last_sync_at, Some(now));
    assert_eq!(s.sync_log(10).unwrap().len(), 1);
    h
}

#[test]
fn home_summary_counts_today_open_and_due() {
    // "Today" is the China-time day of the `now` passed in, never the machine's clock: the same
    // counts 30 s past China-time midnight (00:00:30+08:00), at midday and a second before the
    // next midnight.
    for now in [
        "2026-06-14T16:00:30Z",
        "2026-06-15T12:00:00+08:00",
        "2026-06-15T23:59:59+08:00",
    ] {
        let h = home_summary_at(now);
        assert_eq!(
            (h.visits_today, h.open_disputes, h.follow_ups_due, h.pending),
            (1, 2, 1, 6),
            "at {now}"
        );
    }
}

/// A page carrying `ids` from `from` as the server sends them in protocol 3: each record's
/// changes (the first one as a document chunk, as a first push logs it) and, with `projection`,
/// the record's JSON and heads.
fn page_of(from: &Store, ids: &[gridmate_domain::RecordId], projection: bool) -> wire::PullPage {
    let docs = ids
        .iter()
        .map(|id| {
            let mut doc = automerge::AutoCommit::load(&from.export_doc(*id).unwrap()).unwrap();
            let changes = doc.get_changes(&[]);
            let mut first = automerge::AutoCommit::new();
            first.apply_changes([changes[0].clone()]).unwrap();
            let mut chunks = vec![wire::Change(first.save_nocompress())];
            chunks.extend(
                changes[1..]
                    .iter()
                    .map(|c| wire::Change(c.raw_bytes().to_vec())),
            );
            let record = from.get(*id).unwrap();
            wire::PulledDoc {
                record_id: *id.as_uuid().as_bytes(),
                grid_id: record.meta.grid_id.as_str().to_owned(),
                changes: chunks,
                projection: projection.then(|| wire::Projection {
                    heads: doc.get_heads().iter().map(|h| h.0).collect(),
                    record: serde_json::to_vec(&record).unwrap(),
                }),
            }
        })
        .collect();
    wire::PullPage {
        docs,
        positions: vec![],
        more: false,
        scope: vec!["jingkou-zhengdonglu".into()],
        revoked: vec![],
        authors: vec![],
    }
}

/// The document bytes stored for a record.
fn stored_doc(s: &Store, id: gridmate_domain::RecordId) -> Vec<u8> {
    s.conn
        .query_row(
            "SELECT d.doc FROM documents d JOIN records r ON r.rowid = d.record_rowid WHERE r.id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap()
}

/// A page's chunks for its first record, one after another.
fn chunks_of(page: &wire::PullPage) -> Vec<u8> {
    page.docs[0]
        .changes
        .iter()
        .flat_map(|c| c.0.clone())
        .collect()
}

/// Everything a device shows or sends of its records: list rows, records, heads, search, state.
fn visible(s: &Store) -> Vec<(String, Value, Vec<automerge::ChangeHash>, SyncState)> {
    let q = ListQuery {
        include_deleted: true,
        limit: 500,
        ..Default::default()
    };
    let mut out: Vec<_> = s
        .list(&q)
        .unwrap()
        .items
        .iter()
        .map(|item| {
            let mut doc = automerge::AutoCommit::load(&s.export_doc(item.id).unwrap()).unwrap();
            let mut heads = doc.get_heads();
            heads.sort();
            (
                format!("{item:?}"),
                gridmate_domain::input::record_to_json(&s.get(item.id).unwrap()),
                heads,
                s.sync_state(item.id).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn a_record_adopted_from_its_projection_is_the_record_merged_from_its_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir);
    let one = a
        .create_json(dispute(
            "楼上漏水，两户多次争执",
            "2026-11-01T09:00:00+08:00",
        ))
        .unwrap();
    let two = a
        .create_json(visit("消防通道堆放杂物", "2026-11-02T09:00:00+08:00"))
        .unwrap();
    // An edit and a delete: records of several chunks, one of them deleted (no search tokens).
    a.edit(
        one.id(),
        &json!({"risk_level": "high", "summary": "楼上漏水，已调解"}),
    )
    .unwrap();
    a.delete(two.id()).unwrap();
    let three = a
        .create_json(dispute("噪音扰民", "2026-11-03T09:00:00+08:00"))
        .unwrap();
    let ids = [one.id(), two.id(), three.id()];

    let mut adopted = Store::open(&dir.path().join("b.db"), "zhao.min").unwrap();
    let mut merged = Store::open(&dir.path().join("c.db"), "zhao.min").unwrap();
    let mut applied = Applied::default();
    let page = page_of(&a, &ids, true);
    adopted.apply_pull(&page, &mut applied).unwrap();
    assert_eq!(applied.pulled_records, 3);
    // Adopted: the chunks stored as they came (two here, the creation and the edit), not a
    // document re-encoded after loading them.
    assert_eq!(page.docs[0].changes.len(), 2);
    assert_eq!(stored_doc(&adopted, one.id()), chunks_of(&page));
    merged
        .apply_pull(&page_of(&a, &ids, false), &mut Applied::default())
        .unwrap();
    assert_eq!(visible(&adopted), visible(&merged));
    assert_eq!(visible(&adopted).len(), 3);
    for q in ["已调解", "噪音", "杂物"] {
        assert_eq!(
            adopted.search(q, None, 10).unwrap(),
            merged.search(q, None, 10).unwrap(),
            "{q}"
        );
    }
    assert_eq!(adopted.search("噪音", None, 10).unwrap().len(), 1);
    // The adopted document is a working document: it takes an edit, and a later pull merges.
    adopted
        .edit(three.id(), &json!({"risk_level": "medium"}))
        .unwrap();
    a.edit(three.id(), &json!({"summary": "噪音扰民，已约谈"}))
        .unwrap();
    adopted
        .apply_pull(&page_of(&a, &[three.id()], true), &mut Applied::default())
        .unwrap();
    let RecordBody::Dispute(d) = adopted.get(three.id()).unwrap().body else {
        panic!("a dispute")
    };
    assert_eq!(d.summary, "噪音扰民，已约谈");
    assert_eq!(d.risk_level.as_str(), "medium");
}

#[test]
fn a_projection_that_does_not_fit_is_ignored_and_the_record_merged() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir);
    let r = a
        .create_json(dispute("楼上漏水", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    a.edit(r.id(), &json!({"risk_level": "high"})).unwrap();
    let other = a
        .create_json(dispute("噪音扰民", "2026-11-02T09:00:00+08:00"))
        .unwrap();
    let wrong = serde_json::to_vec(&a.get(other.id()).unwrap()).unwrap();
    let newer = {
        let mut v = gridmate_domain::input::record_to_json(&r);
        v["schema_version"] = json!(gridmate_domain::SCHEMA_VERSION + 1);
        serde_json::to_vec(&v).unwrap()
    };
    for (n, bad) in [wrong, newer, b"not json".to_vec()].into_iter().enumerate() {
        let mut page = page_of(&a, &[r.id()], true);
        page.docs[0].projection.as_mut().unwrap().record = bad;
        let mut b = Store::open(&dir.path().join(format!("b{n}.db")), "zhao.min").unwrap();
        b.apply_pull(&page, &mut Applied::default()).unwrap();
        // Merged (loaded and re-encoded, not the chunks as they came), and read from the
        // chunks themselves: the record, not what the projection claimed.
        assert_ne!(stored_doc(&b, r.id()), chunks_of(&page), "case {n}");
        assert_eq!(b.get(r.id()).unwrap(), a.get(r.id()).unwrap(), "case {n}");
        assert_eq!(b.list(&ListQuery::default()).unwrap().items.len(), 1);
        assert_eq!(b.search("漏水", None, 10).unwrap().len(), 1);
    }
}

/// The search index's tokenizer.
fn tokenizer(s: &Store) -> String {
    s.conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'records_fts'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_new_store_searches_with_the_ascii_tokenizer_and_an_upgraded_one_keeps_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut fresh = open(&dir);
    assert!(
        tokenizer(&fresh).contains("'ascii'"),
        "{}",
        tokenizer(&fresh)
    );
    let r = fresh
        .create_json(dispute("楼上漏水，Wang 报修", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    let gone = fresh
        .create_json(visit("消防通道堆放杂物", "2026-11-02T09:00:00+08:00"))
        .unwrap();
    fresh.delete(gone.id()).unwrap();
    let check = |s: &Store| {
        let found: Vec<_> = s
            .search("漏水", None, 10)
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(found, vec![r.id()]);
        assert_eq!(s.search("wang", None, 10).unwrap().len(), 1);
        assert_eq!(s.search("WANG", None, 10).unwrap().len(), 1);
        assert_eq!(s.search("漏", None, 10).unwrap().len(), 1, "one character");
        assert!(s.search("杂物", None, 10).unwrap().is_empty(), "deleted");
    };
    check(&fresh);
    drop(fresh);

    // A store with records at version 4 (a `unicode61` index) upgrades without a rebuild: its
    // index is kept as it is, and search finds the same.
    let old = dir.path().join("old.db");
    {
        let mut s = Store::open(&old, "wang.wei").unwrap();
        s.conn
            .execute_batch(
                "DROP TABLE records_fts;
                 CREATE VIRTUAL TABLE records_fts USING fts5 (
                     tokens, content = '', contentless_delete = 1, tokenize = 'unicode61');",
            )
            .unwrap();
        let again = s
            .create_json(dispute("楼上漏水，Wang 报修", "2026-11-01T09:00:00+08:00"))
            .unwrap();
        assert_eq!(s.search("漏水", None, 10).unwrap()[0].id, again.id());
        // And without what later steps added (the outbox, step 6; imports, step 7; the workflow
        // columns, step 8; the change authors, step 9).
        s.conn
            .execute_batch(
                "DROP INDEX records_assignee_user;
                 DROP INDEX records_assignee_unit;
                 ALTER TABLE records DROP COLUMN assignee_user;
                 ALTER TABLE records DROP COLUMN assignee_unit;
                 ALTER TABLE records DROP COLUMN supervised;
                 ALTER TABLE records DROP COLUMN level;
                 DROP TABLE imports;
                 ALTER TABLE record_sync DROP COLUMN unsent;
                 ALTER TABLE record_sync DROP COLUMN unsent_from;
                 ALTER TABLE record_sync DROP COLUMN unsent_to;
                 DROP TABLE change_authors;
                 PRAGMA user_version = 4;",
            )
            .unwrap();
    }
    let s = Store::open(&old, "wang.wei").unwrap();
    assert!(tokenizer(&s).contains("'unicode61'"));
    assert_eq!(s.search("漏水", None, 10).unwrap().len(), 1);
    assert_eq!(s.search("wang", None, 10).unwrap().len(), 1);
    let v: i64 = s
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, migrations::MIGRATIONS.len());
}

/// A page carrying `chunks` of one record, without a projection.
fn page_with(id: gridmate_domain::RecordId, chunks: Vec<Vec<u8>>) -> wire::PullPage {
    wire::PullPage {
        docs: vec![wire::PulledDoc {
            record_id: *id.as_uuid().as_bytes(),
            grid_id: "jingkou-zhengdonglu-03".into(),
            changes: chunks.into_iter().map(wire::Change).collect(),
            projection: None,
        }],
        positions: vec![],
        more: false,
        scope: vec!["jingkou-zhengdonglu".into()],
        revoked: vec![],
        authors: vec![],
    }
}

/// A change to `doc` setting root `key` to `value`, as raw bytes.
fn change_of(doc: &mut automerge::AutoCommit, key: &str, value: automerge::ScalarValue) -> Vec<u8> {
    use automerge::transaction::Transactable;
    doc.put(automerge::ROOT, key, value).unwrap();
    doc.commit();
    doc.get_last_local_change().unwrap().raw_bytes().to_vec()
}

fn heads_of(bytes: &[u8]) -> Vec<automerge::ChangeHash> {
    let mut h = automerge::AutoCommit::load(bytes).unwrap().get_heads();
    h.sort();
    h
}

#[test]
fn a_record_this_app_cannot_read_keeps_every_pulled_change_until_it_can() {
    use automerge::ScalarValue;
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir);
    let r = a
        .create_json(dispute("楼上漏水", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    let created = a.export_doc(r.id()).unwrap();
    // On the "server": the record moves to a newer schema, is edited, and moves back.
    let mut doc = automerge::AutoCommit::load(&created).unwrap();
    let newer = ScalarValue::Uint(u64::from(gridmate_domain::SCHEMA_VERSION) + 1);
    let current = ScalarValue::Uint(u64::from(gridmate_domain::SCHEMA_VERSION));
    let to_newer = change_of(&mut doc, "schema_version", newer);
    let edit = change_of(&mut doc, "address", ScalarValue::Str("正东路1号".into()));
    let after_edit = doc.save();
    let back = change_of(&mut doc, "schema_version", current);

    let kept = |s: &Store| -> Option<Vec<u8>> {
        s.conn
            .query_row("SELECT doc FROM unreadable_docs", [], |r| r.get(0))
            .optional()
            .unwrap()
    };
    let quarantined = |s: &Store| -> bool {
        s.conn
            .query_row(
                "SELECT quarantine IS NOT NULL FROM records WHERE id = ?1",
                [r.id().to_string()],
                |r| r.get(0),
            )
            .unwrap()
    };
    // A device that never held it keeps it aside; one that held it quarantines its row. Either
    // way each later page is merged into what was kept, and the record returns when readable.
    let mut fresh = Store::open(&dir.path().join("fresh.db"), "zhao.min").unwrap();
    fresh
        .apply_pull(
            &page_with(r.id(), vec![created.clone(), to_newer.clone()]),
            &mut Applied::default(),
        )
        .unwrap();
    assert!(fresh.list(&ListQuery::default()).unwrap().items.is_empty());
    fresh
        .apply_pull(
            &page_with(r.id(), vec![edit.clone()]),
            &mut Applied::default(),
        )
        .unwrap();
    assert_eq!(heads_of(&kept(&fresh).unwrap()), heads_of(&after_edit));

    let mut holder = Store::open(&dir.path().join("holder.db"), "zhao.min").unwrap();
    holder
        .apply_pull(
            &page_with(r.id(), vec![created.clone()]),
            &mut Applied::default(),
        )
        .unwrap();
    holder
        .apply_pull(&page_with(r.id(), vec![to_newer]), &mut Applied::default())
        .unwrap();
    assert!(quarantined(&holder));
    holder
        .apply_pull(&page_with(r.id(), vec![edit]), &mut Applied::default())
        .unwrap();
    assert!(quarantined(&holder));
    assert_eq!(
        heads_of(&stored_doc(&holder, r.id())),
        heads_of(&after_edit)
    );

    for s in [&mut fresh, &mut holder] {
        s.apply_pull(
            &page_with(r.id(), vec![back.clone()]),
            &mut Applied::default(),
        )
        .unwrap();
        let RecordBody::Dispute(d) = s.get(r.id()).unwrap().body else {
            panic!("a dispute")
        };
        assert_eq!(d.address.as_deref(), Some("正东路1号"));
        assert_eq!(s.list(&ListQuery::default()).unwrap().items.len(), 1);
        assert_eq!(kept(s), None);
        assert!(!quarantined(s));
    }
}

#[test]
fn documents_kept_aside_are_read_again_when_the_store_opens() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = open(&dir);
    let r = a
        .create_json(dispute("楼上漏水", "2026-11-01T09:00:00+08:00"))
        .unwrap();
    let bytes = a.export_doc(r.id()).unwrap();
    let path = dir.path().join("b.db");
    {
        // As an older app version left it: a document it could not read, kept aside.
        let b = Store::open(&path, "zhao.min").unwrap();
        b.conn
            .execute(
                "INSERT INTO unreadable_docs (id, grid_id, doc, reason, received_at)
                 VALUES (?1, 'jingkou-zhengdonglu-03', ?2, 'newer schema', 0)",
                rusqlite::params![r.id().to_string(), bytes],
            )
            .unwrap();
    }
    let b = Store::open(&path, "zhao.min").unwrap();
    assert_eq!(b.get(r.id()).unwrap(), a.get(r.id()).unwrap());
    assert_eq!(b.sync_state(r.id()).unwrap(), SyncState::Synced);
    assert_eq!(b.search("漏水", None, 10).unwrap().len(), 1);
    assert_eq!(count_rows(&b, "unreadable_docs"), 0);
}

//! The console's case list, case detail and reveal against a real server: disputes reported by
//! phones (real stores) of two townships, moved by a dispatcher's phone, read through
//! `/v1/console/cases` by each township's dispatcher and by an admin.
//!
//! Scoping: a township dispatcher never sees another township's dispute by any filter, search
//! term or id, not even one assigned to a lawyer of their own township. Filters, sort and paging
//! give exactly the expected rows; parties are masked; a reveal gives the plain value to a
//! dispatcher only and is audited (never with the value); bad input is a typed error. The index
//! behind the list follows pushes with no console request, and after a kill.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeSet, HashMap};

use gridmate_domain::input::RecordDraft;
use gridmate_domain::workflow::{ActionRequest, EventDetails};
use gridmate_domain::*;
use gridmate_system_tests::console::Console;
use gridmate_system_tests::{Device, Server};
use serde_json::json;

const A: &str = "jingkou-zhengdonglu";
const B: &str = "jingkou-jianshelu";
const PHONE: &str = "13812345678";
const ID_NUMBER: &str = "11010519491231002X";
const DAY: i64 = 86_400_000;

struct Case {
    category: DisputeCategory,
    risk: RiskLevel,
    source: DisputeSource,
    summary: &'static str,
    hours_ago: i64,
}

fn draft(grid: &str, c: &Case) -> RecordDraft {
    RecordDraft {
        grid_id: GridId::parse(grid).unwrap(),
        body: RecordBody::Dispute(Dispute {
            reported_at: Timestamp::now().plus_millis(-c.hours_ago * 3_600_000),
            source: c.source,
            dispute_category: c.category,
            location: Some(Location {
                lat: 32.2,
                lon: 119.45,
                accuracy_m: None,
            }),
            address: Some("解放路88号".into()),
            parties: vec![Party {
                name: Some("张三丰".into()),
                role: PartyRole::Applicant,
                phone: Some(PHONE.into()),
                id_number: Some(ID_NUMBER.into()),
            }],
            summary: c.summary.into(),
            risk_level: c.risk,
            status: DisputeStatus::Reported,
            initial_status: DisputeStatus::Reported,
            workflow: vec![],
        }),
    }
}

fn case(
    category: DisputeCategory,
    risk: RiskLevel,
    source: DisputeSource,
    summary: &'static str,
    hours_ago: i64,
) -> Case {
    Case {
        category,
        risk,
        source,
        summary,
        hours_ago,
    }
}

fn act(d: &Device, id: RecordId, action: WorkflowAction, details: EventDetails) {
    let req = ActionRequest { action, details };
    d.with(|s| s.act(id, req))
        .unwrap_or_else(|e| panic!("{} may {action}: {e:?}", d.user));
}

/// The ids of a list answer, in order.
fn ids(a: &gridmate_system_tests::console::Answer) -> Vec<String> {
    assert_eq!(a.status, 200, "{:?}", a.body);
    a.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

fn set(v: &[&RecordId]) -> BTreeSet<String> {
    v.iter().map(|i| i.to_string()).collect()
}

fn id_set(a: &gridmate_system_tests::console::Answer) -> BTreeSet<String> {
    ids(a).into_iter().collect()
}

struct World {
    server: Server,
    /// Township A's disputes, newest first.
    a: Vec<RecordId>,
    b: Vec<RecordId>,
    visit: RecordId,
}

async fn world() -> World {
    let server = Server::start();
    server.add_user("wang.wei", "grid_worker", &format!("{A}-03"), None);
    server.add_user("liu.qiang", "grid_worker", &format!("{B}-01"), None);
    server.add_user("zhao.min", "dispatcher", A, None);
    server.add_user("qian.li", "dispatcher", B, None);
    server.add_user("li.lvshi", "legal_volunteer", B, Some("lawyer"));
    server.add_user("guan.li", "admin", "jingkou", None);
    let url = server.url.clone();
    let worker_a = Device::login(&url, "wang.wei").await.unwrap();
    let worker_b = Device::login(&url, "liu.qiang").await.unwrap();
    let centre_a = Device::login(&url, "zhao.min").await.unwrap();
    use DisputeCategory as C;
    use DisputeSource as S;
    use RiskLevel as R;
    let cases_a = [
        case(
            C::Neighbour,
            R::High,
            S::Field,
            "楼上漏水渗到楼下，双方争吵",
            1,
        ),
        case(
            C::PropertyManagement,
            R::Low,
            S::Hotline12345,
            "物业费收取纠纷",
            2,
        ),
        case(
            C::Labour,
            R::Critical,
            S::WalkIn,
            "拖欠工资，工人聚集",
            5 * 24 + 1,
        ),
        case(C::Family, R::Medium, S::Field, "赡养老人问题", 6 * 24 + 1),
        case(
            C::Neighbour,
            R::Low,
            S::Field,
            "邻居装修噪音扰民",
            7 * 24 + 1,
        ),
    ];
    let cases_b = [
        case(
            C::Neighbour,
            R::High,
            S::Field,
            "厨房漏水，楼下天花板受损",
            1,
        ),
        case(C::Consumer, R::Low, S::WalkIn, "预付卡退费纠纷", 49),
        case(C::Land, R::Medium, S::Other, "宅基地边界争议", 73),
    ];
    let mut a = Vec::new();
    for c in &cases_a {
        a.push(
            worker_a
                .with(|s| s.create(draft(&format!("{A}-03"), c)))
                .unwrap()
                .id(),
        );
    }
    let mut b = Vec::new();
    for c in &cases_b {
        b.push(
            worker_b
                .with(|s| s.create(draft(&format!("{B}-01"), c)))
                .unwrap()
                .id(),
        );
    }
    let mut rng = gridmate_domain::fixtures::Rng::new(3);
    let mut v = gridmate_system_tests::draft(&mut rng, &format!("{A}-03"));
    while !matches!(v.body, RecordBody::PatrolVisit(_)) {
        v = gridmate_system_tests::draft(&mut rng, &format!("{A}-03"));
    }
    let visit = worker_a.with(|s| s.create(v)).unwrap().id();
    worker_a.sync().await.unwrap();
    worker_b.sync().await.unwrap();
    centre_a.sync().await.unwrap();
    // Township A's centre assigns a0 to a lawyer of township B, and supervises a1.
    act(
        &centre_a,
        a[0],
        WorkflowAction::Accept,
        EventDetails::default(),
    );
    act(
        &centre_a,
        a[0],
        WorkflowAction::Assign,
        EventDetails {
            assignee_user: Some("li.lvshi".into()),
            due_at: Some(Timestamp::now().plus_millis(3 * DAY)),
            ..Default::default()
        },
    );
    act(
        &centre_a,
        a[1],
        WorkflowAction::Supervise,
        EventDetails {
            note: Some("请尽快受理".into()),
            ..Default::default()
        },
    );
    centre_a.sync().await.unwrap();
    World {
        server,
        a,
        b,
        visit,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn township_dispatchers_see_their_township_only_filtered_sorted_and_paged() {
    let w = world().await;
    let url = w.server.url.clone();
    let zhao = Console::sign_in(&url, "zhao.min").await;
    let qian = Console::sign_in(&url, "qian.li").await;
    let admin = Console::sign_in(&url, "guan.li").await;
    let a_all: BTreeSet<String> = set(&w.a.iter().collect::<Vec<_>>());
    let b_all: BTreeSet<String> = set(&w.b.iter().collect::<Vec<_>>());

    // Each township's list is its own disputes, newest first.
    let list = zhao.get("/v1/console/cases").await;
    assert_eq!(list.body["total"], 5);
    assert_eq!(
        ids(&list),
        w.a.iter().map(|i| i.to_string()).collect::<Vec<_>>()[..]
    );
    assert_eq!(id_set(&qian.get("/v1/console/cases").await), b_all);
    assert_eq!(
        admin.get("/v1/console/cases?page_size=100").await.body["total"],
        8,
        "an admin of the county sees both townships"
    );

    // No filter, search term or id shows township B's dispatcher a dispute of A, not even the one
    // assigned to B's lawyer.
    for q in [
        "",
        "q=%E6%BC%8F%E6%B0%B4",
        "assignee=li.lvshi",
        &format!("area={A}"),
        &format!("area={A}-03"),
        "area=jingkou",
        "status=assigned",
        "supervised=true",
        "overdue=true",
        "overdue=false",
        "risk=critical",
        "kind=patrol_visit",
        "sort=due_at&page_size=100",
    ] {
        let got = qian.get(&format!("/v1/console/cases?{q}")).await;
        assert!(
            id_set(&got).is_disjoint(&a_all) && !ids(&got).contains(&w.visit.to_string()),
            "{q}: {:?}",
            got.body
        );
    }
    let outside = qian.get(&format!("/v1/console/cases?area={A}")).await;
    assert_eq!(
        (outside.status.as_u16(), outside.body["total"].clone()),
        (200, json!(0))
    );
    for path in [
        format!("/v1/console/cases/{}", w.a[0]),
        format!("/v1/console/cases/{}", w.visit),
        format!("/v1/console/cases/{}", uuid::Uuid::now_v7()),
        "/v1/console/cases/not-a-uuid".to_owned(),
    ] {
        let got = qian.get(&path).await;
        assert_eq!(
            (got.status.as_u16(), got.code()),
            (404, "not_found"),
            "{path}"
        );
    }
    let got = qian
        .post(
            &format!("/v1/console/cases/{}/reveal", w.a[0]),
            json!({"party_index": 0, "field": "phone"}),
        )
        .await;
    assert_eq!((got.status.as_u16(), got.code()), (404, "not_found"));
    assert!(!got.body.to_string().contains(PHONE));

    // Filters (township A).
    let only = |q: &'static str| {
        let zhao = zhao.clone();
        async move { id_set(&zhao.get(&format!("/v1/console/cases?{q}")).await) }
    };
    assert_eq!(only("status=assigned").await, set(&[&w.a[0]]));
    assert_eq!(only("status=reported,assigned").await, a_all);
    assert_eq!(only("assignee=li.lvshi").await, set(&[&w.a[0]]));
    assert_eq!(only("supervised=true").await, set(&[&w.a[1]]));
    assert_eq!(
        only("overdue=true").await,
        set(&[&w.a[2], &w.a[3], &w.a[4]])
    );
    assert_eq!(only("overdue=false").await, set(&[&w.a[0], &w.a[1]]));
    assert_eq!(only("category=neighbour").await, set(&[&w.a[0], &w.a[4]]));
    assert_eq!(
        only("risk=low,critical").await,
        set(&[&w.a[1], &w.a[2], &w.a[4]])
    );
    assert_eq!(only("source=hotline_12345").await, set(&[&w.a[1]]));
    assert_eq!(only("q=%E6%BC%8F%E6%B0%B4").await, set(&[&w.a[0]]), "漏水");
    assert_eq!(only("q=%E5%99%AA%E9%9F%B3").await, set(&[&w.a[4]]), "噪音");
    assert_eq!(only("q=%E7%BA%A0%E7%BA%B7").await, set(&[&w.a[1]]), "纠纷");
    assert_eq!(only("kind=patrol_visit").await, set(&[&w.visit]));
    let week_ago = Timestamp::now()
        .plus_millis(-(5 * DAY + 1_800_000))
        .millis();
    let from = format!("from={week_ago}");
    let got = id_set(&zhao.get(&format!("/v1/console/cases?{from}")).await);
    assert_eq!(got, set(&[&w.a[0], &w.a[1]]));
    let got = id_set(&zhao.get(&format!("/v1/console/cases?to={week_ago}")).await);
    assert_eq!(got, set(&[&w.a[2], &w.a[3], &w.a[4]]));
    let row = &zhao.get("/v1/console/cases?status=assigned").await.body["items"][0];
    assert_eq!(row["assignee_user"], "li.lvshi");
    assert_eq!(
        (row["overdue"].clone(), row["supervised"].clone()),
        (json!(false), json!(false))
    );
    assert!(row["due_at"].as_i64().unwrap() > Timestamp::now().millis());
    assert!(!row.to_string().contains("张三丰") && !row.to_string().contains(PHONE));

    // Sorts: risk ascending is low, low, medium, high, critical (ties by rowid: report order).
    let by_risk = ids(&zhao.get("/v1/console/cases?sort=risk&order=asc").await);
    let expect: Vec<String> = [1, 4, 3, 0, 2]
        .iter()
        .map(|&i| w.a[i].to_string())
        .collect();
    assert_eq!(by_risk, expect);
    let oldest_first = ids(&zhao
        .get("/v1/console/cases?sort=occurred_at&order=asc")
        .await);
    let mut expect: Vec<String> = w.a.iter().map(|i| i.to_string()).collect();
    expect.reverse();
    assert_eq!(oldest_first, expect);

    // Paging: pages of two cover the list exactly, in order, with the total on each.
    let mut paged = Vec::new();
    for page in 1..=3 {
        let got = zhao
            .get(&format!(
                "/v1/console/cases?sort=risk&order=asc&page_size=2&page={page}"
            ))
            .await;
        assert_eq!(
            (got.body["total"].clone(), got.body["page"].clone()),
            (json!(5), json!(page))
        );
        paged.extend(ids(&got));
    }
    assert_eq!(paged, by_risk);
    assert!(ids(&zhao.get("/v1/console/cases?page=4&page_size=2").await).is_empty());

    // A search's pages (counted in the page's own pass over the matches) carry its total as
    // well, a page past the end included: 漏水 in one dispute of each township, for the county.
    let mut searched = Vec::new();
    for page in 1..=3 {
        let got = admin
            .get(&format!(
                "/v1/console/cases?q=%E6%BC%8F%E6%B0%B4&page_size=1&page={page}"
            ))
            .await;
        assert_eq!(got.body["total"], json!(2), "page {page}");
        searched.extend(ids(&got));
    }
    assert_eq!(
        searched.into_iter().collect::<BTreeSet<_>>(),
        set(&[&w.a[0], &w.b[0]])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detail_is_masked_reveal_is_audited_and_roles_and_bad_input_are_refused() {
    let w = world().await;
    let url = w.server.url.clone();
    let zhao = Console::sign_in(&url, "zhao.min").await;
    let admin = Console::sign_in(&url, "guan.li").await;
    let path = format!("/v1/console/cases/{}", w.a[0]);

    // The detail: parties masked everywhere, the derived workflow, actions, history by author.
    let d = zhao.get(&path).await;
    assert_eq!(d.status, 200, "{:?}", d.body);
    let text = d.body.to_string();
    for secret in ["张三丰", PHONE, ID_NUMBER] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    let party = &d.body["record"]["parties"][0];
    assert_eq!(party["name"], "张**");
    assert_eq!(party["phone"], "138****5678");
    assert_ne!(party["id_number"], ID_NUMBER);
    assert_eq!(d.body["workflow"]["status"], "assigned");
    assert_eq!(d.body["workflow"]["assignee_user"], "li.lvshi");
    assert_eq!(d.body["workflow"]["overdue"], false);
    let verdicts: Vec<&str> = d.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["applied", "applied"]);
    let actions: Vec<&str> = d.body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"assign") && actions.contains(&"supervise"),
        "{actions:?}"
    );
    assert!(
        !actions.contains(&"accept") && !actions.contains(&"start"),
        "{actions:?}"
    );
    let history = d.body["history"].as_array().unwrap();
    let by: Vec<(&str, &str)> = history
        .iter()
        .map(|h| (h["by"].as_str().unwrap(), h["op"].as_str().unwrap()))
        .collect();
    assert_eq!(by.first(), Some(&("wang.wei", "create")), "{by:?}");
    assert!(
        by.iter()
            .filter(|(u, op)| *u == "zhao.min" && *op == "act")
            .count()
            >= 2,
        "{by:?}"
    );
    assert!(
        history
            .iter()
            .any(|h| h["fields"].as_array().unwrap().contains(&json!("workflow")))
    );
    assert!(d.body["conflicts"].as_array().unwrap().is_empty());

    // Reveal: the plain value to the dispatcher, audited without the value.
    let reveal = format!("{path}/reveal");
    for (field, plain) in [
        ("phone", PHONE),
        ("id_number", ID_NUMBER),
        ("name", "张三丰"),
    ] {
        let got = zhao
            .post(&reveal, json!({"party_index": 0, "field": field}))
            .await;
        assert_eq!(
            (got.status.as_u16(), got.body["value"].clone()),
            (200, json!(plain))
        );
    }
    let audit = audit_rows(&w.server);
    assert_eq!(
        audit.iter().map(|(_, f)| f.as_str()).collect::<Vec<_>>(),
        [
            "parties[0].phone",
            "parties[0].id_number",
            "parties[0].name"
        ]
    );
    assert!(audit.iter().all(|(action, _)| action == "reveal"));

    // Bad input: typed errors naming the field; nothing audited.
    for (body, field) in [
        (json!({"party_index": 1, "field": "phone"}), "party_index"),
        (json!({"party_index": -1, "field": "phone"}), "party_index"),
        (json!({"party_index": "0", "field": "phone"}), "party_index"),
        (json!({"party_index": 0, "field": "address"}), "field"),
    ] {
        let got = zhao.post(&reveal, body.clone()).await;
        assert_eq!(
            (got.status.as_u16(), got.code(), got.body["field"].clone()),
            (400, "invalid_value", json!(field)),
            "{body}"
        );
    }
    let no_csrf = zhao
        .send(
            reqwest::Method::POST,
            &reveal,
            Some(json!({"party_index": 0, "field": "phone"})),
            false,
        )
        .await;
    assert_eq!(
        (no_csrf.status.as_u16(), no_csrf.code()),
        (403, "csrf_failed")
    );
    assert_eq!(audit_rows(&w.server).len(), 3);

    // An admin reads the case but is offered no action and may not reveal.
    let got = admin.get(&path).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["actions"], json!([]));
    assert!(!got.body.to_string().contains(PHONE));
    let got = admin
        .post(&reveal, json!({"party_index": 0, "field": "phone"}))
        .await;
    assert_eq!((got.status.as_u16(), got.code()), (403, "forbidden"));
    assert_eq!(audit_rows(&w.server).len(), 3);

    // Bad list parameters.
    let bad: HashMap<&str, (&str, &str)> = HashMap::from([
        ("status=lost", ("invalid_value", "status")),
        ("category=weather", ("invalid_value", "category")),
        ("from=2026-02-30", ("invalid_date", "from")),
        ("to=soon", ("invalid_date", "to")),
        ("page_size=0", ("out_of_range", "page_size")),
        ("page_size=101", ("out_of_range", "page_size")),
        ("sort=title", ("invalid_value", "sort")),
        ("area=JINGKOU", ("invalid_value", "area")),
    ]);
    for (q, (code, field)) in bad {
        let got = zhao.get(&format!("/v1/console/cases?{q}")).await;
        assert_eq!(
            (got.status.as_u16(), got.code(), got.body["field"].clone()),
            (400, code, json!(field)),
            "{q}"
        );
    }
    let long = "纠".repeat(101);
    let got = zhao.get(&format!("/v1/console/cases?q={long}")).await;
    assert_eq!(
        (got.code(), got.body["field"].clone()),
        ("too_long", json!("q"))
    );

    // Without a session: 401.
    let anon = gridmate_system_tests::http().build().unwrap();
    let got = anon
        .get(format!("{url}/v1/console/cases"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 401);
}

/// `(action, field)` of every console audit row, oldest first.
fn audit_rows(server: &Server) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open_with_flags(
        server.data.join("server.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let rows = c
        .prepare("SELECT action, field FROM console_audit ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    // Audit rows never hold a value.
    let values: i64 = c
        .query_row(
            "SELECT count(*) FROM console_audit WHERE field LIKE ?1 OR field LIKE ?2",
            [format!("%{PHONE}%"), format!("%{ID_NUMBER}%")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(values, 0);
    rows
}

/// The console indexer's watermark and the last logged change, and the console index's titles,
/// read from the server's own file.
fn index_state(server: &Server) -> ((i64, i64), Vec<String>) {
    let c = rusqlite::Connection::open(server.data.join("server.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let at = c
        .query_row(
            "SELECT (SELECT seq FROM console_watermark),
                    (SELECT coalesce(max(seq), 0) FROM sync_changes)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let mut titles: Vec<String> = c
        .prepare("SELECT title FROM console_records ORDER BY record_rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    titles.sort();
    (at, titles)
}

/// With no console request at all, the index follows a phone's push (the background task of
/// `serve` catches up once pushes pause); a server killed before its indexer reached the last
/// changes catches up at start, before it listens.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_index_follows_pushes_in_the_background_and_after_a_kill() {
    let mut server = Server::start();
    server.add_user("wang.wei", "grid_worker", &format!("{A}-03"), None);
    let phone = Device::login(&server.url, "wang.wei").await.unwrap();
    let summaries = ["楼上漏水渗到楼下", "物业费收取纠纷", "停车位被占"];
    for (i, summary) in summaries.iter().enumerate() {
        let c = case(
            DisputeCategory::Neighbour,
            RiskLevel::Low,
            DisputeSource::Field,
            summary,
            i as i64 + 1,
        );
        phone
            .with(|s| s.create(draft(&format!("{A}-03"), &c)))
            .unwrap();
    }
    phone.sync().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let indexed = loop {
        let ((watermark, last), titles) = index_state(&server);
        if watermark == last && last > 0 {
            break titles;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the console index never followed the push ({watermark} of {last})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(indexed.len(), summaries.len());

    // As a kill between a push and the indexer's next batch leaves the file: the watermark
    // behind the log and the rows older than the records.
    server.0.kill9();
    {
        let c = rusqlite::Connection::open(server.data.join("server.db")).unwrap();
        c.execute_batch(
            "UPDATE console_watermark SET seq = 0; UPDATE console_records SET title = '旧';",
        )
        .unwrap();
    }
    server.restart();
    let ((watermark, last), titles) = index_state(&server);
    assert_eq!(watermark, last, "caught up before listening");
    assert_eq!(titles, indexed, "every row as the records are");
}

//! The console's exports against a real server: disputes reported by phones (real stores) of two
//! townships, exported by each township's dispatcher as XLSX and CSV through
//! `/v1/console/export.{xlsx,csv}` with the case list's filters.
//!
//! The files hold exactly the rows of the list they export (the same filter, every page), with
//! Chinese headers and labels, and nothing of another township; a CSV opens in Excel as UTF-8
//! (a byte-order mark); a bad filter is the list's typed error; no session, no file.
#![allow(clippy::unwrap_used)]

use gridmate_domain::input::RecordDraft;
use gridmate_domain::*;
use gridmate_system_tests::console::Console;
use gridmate_system_tests::{Device, Server};
use reqwest::StatusCode;

const A: &str = "jingkou-zhengdonglu";
const B: &str = "jingkou-jianshelu";

fn dispute(grid: &str, category: DisputeCategory, summary: &str) -> RecordDraft {
    RecordDraft {
        grid_id: GridId::parse(grid).unwrap(),
        body: RecordBody::Dispute(Dispute {
            reported_at: Timestamp::now().plus_millis(-3_600_000),
            source: DisputeSource::Field,
            dispute_category: category,
            location: None,
            address: None,
            parties: vec![Party {
                name: Some("张三丰".into()),
                role: PartyRole::Applicant,
                phone: Some("13812345678".into()),
                id_number: None,
            }],
            summary: summary.into(),
            risk_level: RiskLevel::Medium,
            status: DisputeStatus::Reported,
            initial_status: DisputeStatus::Reported,
            workflow: vec![],
        }),
    }
}

fn xlsx_rows(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX file");
    let sheet = wb.worksheet_range_at(0).unwrap().unwrap();
    sheet
        .rows()
        .map(|r| r.iter().map(ToString::to_string).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_hold_the_filtered_list_of_the_users_areas_only() {
    let server = Server::start();
    let url = server.url.clone();
    server.add_user("wang.wei", "grid_worker", &format!("{A}-03"), None);
    server.add_user("liu.qiang", "grid_worker", &format!("{B}-01"), None);
    server.add_user("zhao.min", "dispatcher", A, None);
    server.add_user("qian.li", "dispatcher", B, None);
    let worker_a = Device::login(&url, "wang.wei").await.unwrap();
    let worker_b = Device::login(&url, "liu.qiang").await.unwrap();
    for i in 0..25 {
        let category = if i % 5 == 0 {
            DisputeCategory::Neighbour
        } else {
            DisputeCategory::Labour
        };
        worker_a
            .with(|s| {
                s.create(dispute(
                    &format!("{A}-03"),
                    category,
                    &format!("甲街道纠纷{i}号"),
                ))
            })
            .unwrap();
    }
    worker_b
        .with(|s| {
            s.create(dispute(
                &format!("{B}-01"),
                DisputeCategory::Neighbour,
                "乙街道邻里纠纷",
            ))
        })
        .unwrap();
    worker_a.sync().await.unwrap();
    worker_b.sync().await.unwrap();

    let zhao = Console::sign_in(&url, "zhao.min").await;
    // The whole list (more than a page) and a filtered one.
    for (query, expected) in [("", 25), ("?category=neighbour&page_size=2", 5)] {
        let list = zhao.get(&format!("/v1/console/cases{query}")).await;
        assert_eq!(list.body["total"], expected, "{query}");
        let (status, headers, bytes) = zhao
            .get_bytes(&format!("/v1/console/export.xlsx{query}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".xlsx")
        );
        let rows = xlsx_rows(bytes);
        assert_eq!(
            rows.len(),
            expected + 1,
            "a header row and every row of {query:?}"
        );
        assert!(rows[0].iter().any(|h| h == "状态"), "{:?}", rows[0]);
        assert!(
            rows[1..].iter().all(|r| r.iter().any(|c| c == "上报")),
            "Chinese status labels"
        );
        assert!(
            rows.iter().flatten().all(|c| !c.contains("乙街道")
                && !c.contains("张三丰")
                && !c.contains("13812345678")),
            "nothing of the other township, no personal data"
        );
        let (status, headers, csv) = zhao
            .get_bytes(&format!("/v1/console/export.csv{query}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(
            csv.starts_with(b"\xEF\xBB\xBF"),
            "UTF-8 with a byte-order mark"
        );
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.records().count(), expected, "{query}");
    }
    let qian = Console::sign_in(&url, "qian.li").await;
    let (_, _, bytes) = qian.get_bytes("/v1/console/export.xlsx").await;
    let rows = xlsx_rows(bytes);
    assert_eq!(rows.len(), 2, "the other township's one dispute");
    assert!(rows[1].iter().any(|c| c.contains("乙街道")));
    // An area outside the scope is an empty file, not an error that reveals it.
    let (status, _, bytes) = zhao
        .get_bytes(&format!("/v1/console/export.xlsx?area={B}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(xlsx_rows(bytes).len(), 1);

    // A bad filter is the list's typed error; no session, no file.
    let bad = zhao.get("/v1/console/export.csv?status=nonsense").await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, bad.code())
    );
    assert_eq!(bad.body["field"], "status");
    let http = gridmate_system_tests::http().build().unwrap();
    let anon = http
        .get(format!("{url}/v1/console/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
}

//! Ledger columns: headers to kinds, cells to JSON, and records to rows and back.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::enums::*;
use crate::fixtures::{self, Rng};
use crate::input::parse_draft;
use crate::record::*;
use crate::time::Timestamp;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn col(kind: RecordKind, field: &str) -> &'static Column {
    columns(kind).iter().find(|c| c.field == field).unwrap()
}

#[test]
fn every_kind_has_its_date_second_and_unique_headers() {
    for k in RecordKind::ALL {
        let cols = columns(*k);
        assert_eq!(cols[0].field, "grid_id");
        assert!(cols[1].field.ends_with("_at"), "{k}");
        let mut seen: Vec<String> = Vec::new();
        for c in cols {
            for h in std::iter::once(&c.header).chain(c.aliases) {
                let n = normalize_header(h);
                assert!(!seen.contains(&n), "{k}: {h} twice");
                seen.push(n);
            }
        }
        assert_eq!(kind_from_headers(&strings(&headers(*k))), Some(*k));
    }
}

#[test]
fn headers_name_the_kind_and_unknown_headers_are_refused() {
    let h = strings(&[
        "序号",
        "*网格",
        "上报时间",
        "纠纷类型",
        "风险等级 ",
        "纠纷概要",
        "来源",
    ]);
    assert_eq!(kind_from_headers(&h), Some(RecordKind::Dispute));
    let l = layout(RecordKind::Dispute, &h).unwrap();
    assert!(l.slots[0].is_none());
    assert_eq!(l.slots[4].unwrap().field, "risk_level");
    let both = strings(&["网格", "上报时间", "走访时间"]);
    assert_eq!(kind_from_headers(&both), None);
    assert_eq!(kind_from_headers(&strings(&["网格"])), None);
    let errs = layout(RecordKind::Dispute, &strings(&["网格", "风险等极", "网格"])).unwrap_err();
    assert_eq!(errs.len(), 2);
    assert_eq!(
        (errs[0].column, errs[0].error.code),
        (1, ErrorCode::UnknownField)
    );
    assert!(errs[0].error.message.zh_cn.contains("风险等极"));
    assert_eq!(
        (errs[1].column, errs[1].error.field.as_str()),
        (2, "grid_id")
    );
}

#[test]
fn a_row_becomes_the_draft_add_reads() {
    let h = strings(&[
        "网格",
        "上报时间",
        "来源",
        "纠纷类型",
        "当事人",
        "纠纷概要",
        "风险等级",
        "纬度",
        "经度",
    ]);
    let l = layout(RecordKind::Dispute, &h).unwrap();
    let row = strings(&[
        "jingkou-zhengdonglu-03",
        "2026/11/28 10:15",
        "群众来访",
        "邻里",
        "张三（申请人，+86 138 0013 8000，320102199003071239）；(被申请人)",
        " 楼上漏水 ",
        "medium",
        "32.2041",
        "119.4552",
    ]);
    let v = parse_row(&l, &row).unwrap();
    assert_eq!(
        v,
        json!({
            "kind": "dispute", "grid_id": "jingkou-zhengdonglu-03",
            "reported_at": "2026-11-28T02:15:00.000Z", "source": "walk_in",
            "dispute_category": "neighbour",
            "parties": [
                {"name": "张三", "role": "applicant", "phone": "13800138000", "id_number": "320102199003071239"},
                {"role": "respondent"}
            ],
            "summary": "楼上漏水", "risk_level": "medium",
            "location": {"lat": 32.2041, "lon": 119.4552}
        })
    );
    parse_draft(v).unwrap();
}

#[test]
fn unreadable_cells_name_their_field_and_column() {
    let h = strings(&["网格", "上报时间", "当事人", "风险等级"]);
    let l = layout(RecordKind::Dispute, &h).unwrap();
    let row = strings(&["g", "昨天", "张三；李四(对方)", "很高", "多余"]);
    let errs = parse_row(&l, &row).unwrap_err();
    let got: Vec<(usize, &str, ErrorCode)> = errs
        .iter()
        .map(|e| (e.column, e.error.field.as_str(), e.error.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "reported_at", ErrorCode::InvalidValue),
            (2, "parties[0].role", ErrorCode::Required),
            (2, "parties[1].role", ErrorCode::InvalidValue),
            (3, "risk_level", ErrorCode::InvalidValue),
            (4, "", ErrorCode::UnknownField),
        ]
    );
    assert!(errs[3].error.message.zh_cn.contains("低、中、高、重大"));
}

#[test]
fn cells_read_leniently() {
    let t = |s: &str| parse_time(s).map(|t| t.to_rfc3339());
    assert_eq!(
        t("2026-11-28 09:30").as_deref(),
        Some("2026-11-28T01:30:00.000Z")
    );
    assert_eq!(
        t("2026-11-28 09:30:15").as_deref(),
        Some("2026-11-28T01:30:15.000Z")
    );
    assert_eq!(
        t("2026/1/5 9:05").as_deref(),
        Some("2026-01-05T01:05:00.000Z")
    );
    assert_eq!(
        t("2026年11月28日 09:30").as_deref(),
        Some("2026-11-28T01:30:00.000Z")
    );
    assert_eq!(t("2026-11-28").as_deref(), Some("2026-11-27T16:00:00.000Z"));
    assert_eq!(
        t("2026-11-28T09:30:00Z").as_deref(),
        Some("2026-11-28T09:30:00.000Z")
    );
    assert_eq!(t("2026-13-01 00:00"), None);
    let flag = col(RecordKind::PatrolVisit, "follow_up_needed");
    assert_eq!(parse_cell(flag, "是").unwrap(), Some(json!(true)));
    assert_eq!(parse_cell(flag, "否").unwrap(), Some(json!(false)));
    assert!(parse_cell(flag, "也许").is_err());
    let n = col(RecordKind::LegalEducation, "audience_count");
    assert_eq!(parse_cell(n, "46.0").unwrap(), Some(json!(46)));
    assert!(parse_cell(n, "-1").is_err());
    let list = col(RecordKind::PatrolVisit, "hazards");
    assert_eq!(
        parse_cell(list, "消防通道堵塞；电动车违规充电、 井盖缺失;").unwrap(),
        Some(json!(["消防通道堵塞", "电动车违规充电", "井盖缺失"]))
    );
    let vols = col(RecordKind::PatrolVisit, "volunteers");
    assert_eq!(
        parse_cell(vols, "李娜（律师）；周警官(police_officer)").unwrap(),
        Some(
            json!([{"name": "李娜", "legal_role": "lawyer"}, {"name": "周警官", "legal_role": "police_officer"}])
        )
    );
    assert_eq!(parse_cell(vols, "  ").unwrap(), None);
}

fn full_dispute() -> Record {
    let mut rng = Rng::new(7);
    let at = Timestamp::parse_rfc3339("2026-11-28T09:30:15.250+08:00").unwrap();
    let mut r = fixtures::record(&mut rng, fixtures::grid_id(3), at, "wang.wei");
    r.body = RecordBody::Dispute(Dispute {
        reported_at: at,
        source: DisputeSource::Hotline12345,
        dispute_category: DisputeCategory::PropertyManagement,
        location: Some(Location {
            lat: 32.2,
            lon: 119.45,
            accuracy_m: Some(12.0),
        }),
        address: Some("梦溪园巷12号".into()),
        parties: vec![
            Party {
                name: Some("张三".into()),
                role: PartyRole::Applicant,
                phone: Some("13800138000".into()),
                id_number: Some("11010519491231002X".into()),
            },
            Party {
                name: None,
                role: PartyRole::Other,
                phone: None,
                id_number: None,
            },
        ],
        summary: "物业费争议\n第二行".into(),
        risk_level: RiskLevel::Critical,
        status: DisputeStatus::Reported,
        initial_status: DisputeStatus::Reported,
        workflow: vec![],
    });
    r
}

fn draft_of(r: &Record) -> RecordDraft {
    RecordDraft {
        grid_id: r.meta.grid_id.clone(),
        body: r.body.clone(),
    }
}

/// Renders a record, reads the row back through the header row an export writes.
fn round_trip(r: &Record) -> RecordDraft {
    let row = render_row(r);
    let l = layout(r.kind(), &strings(&headers(r.kind()))).unwrap();
    parse_draft(parse_row(&l, &row).unwrap()).unwrap()
}

#[test]
fn a_full_record_renders_and_reads_back() {
    let r = full_dispute();
    let row = render_row(&r);
    assert_eq!(row[1], "2026-11-28T09:30:15.250+08:00");
    assert_eq!(
        row[8],
        "张三(申请人,13800138000,11010519491231002X)；(其他)"
    );
    assert_eq!(round_trip(&r), draft_of(&r));
    assert_eq!(
        canonical_draft(&round_trip(&r)),
        canonical_draft(&draft_of(&r))
    );
}

#[test]
fn a_field_error_finds_its_column() {
    let c = |f: &str| column_of_field(RecordKind::Dispute, f).map(|c| c.header);
    assert_eq!(c("parties[1].phone"), Some("当事人"));
    assert_eq!(c("location.lon"), Some("经度"));
    assert_eq!(c("location"), Some("纬度"));
    assert_eq!(c("kind"), None);
}

proptest! {
    #[test]
    fn cells_never_panic(text in "\\PC{0,40}", sep in prop::sample::select(vec!["；", "(", "（", ",", ")", "-", ":"])) {
        let t = format!("{text}{sep}{text}");
        for k in RecordKind::ALL {
            for c in columns(*k) {
                let _ = parse_cell(c, &t);
            }
        }
        let _ = parse_time(&t);
    }

    #[test]
    fn rendered_rows_read_back(seed in any::<u64>(), minutes in 0i64..(20 * 365 * 24 * 60), ms in prop::sample::select(vec![0i64, 15_000, 15_250])) {
        let mut rng = Rng::new(seed);
        let at = Timestamp::from_millis(946_684_800_000 + minutes * 60_000 + ms).unwrap();
        let mut r = fixtures::record(&mut rng, fixtures::grid_id((seed % 500) as u32), at, "u");
        if let RecordBody::PatrolVisit(v) = &mut r.body {
            v.follow_up_needed = seed % 2 == 0;
            v.follow_up_due_at = v.follow_up_needed.then(|| at.plus_millis(86_400_000));
            v.dispute_ids = vec![r.meta.id];
        }
        prop_assert_eq!(round_trip(&r), draft_of(&r));
    }
}

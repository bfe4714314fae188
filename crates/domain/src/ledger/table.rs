//! The column table of each kind's ledger: the header an export writes (the app's field labels),
//! other headers found in grid workers' own ledgers, the record field, and how the cell reads.
//! Append-only in spirit: renaming a header breaks ledgers people already keep; add an alias.

use crate::enums::RecordKind;

/// How a cell's text becomes a JSON value (docs/ledger.md, "Cells").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// Text, trimmed; empty means absent.
    Text,
    /// One value of a closed vocabulary, by its Chinese label or its identifier.
    Choice(Choice),
    /// `YYYY-MM-DD HH:MM` (seconds optional) in China time, a date alone (00:00), or RFC 3339.
    Time,
    /// A decimal number (coordinates, accuracy).
    Number,
    /// A whole number, 0 or more.
    Count,
    /// 是 / 否 (also true/false, yes/no, 1/0).
    Flag,
    /// Items separated by `；`, `;`, `、` or line breaks.
    List,
    /// Legal volunteers: `姓名(身份)` items, e.g. `李娜(律师)；周警官(警官)`.
    Volunteers,
    /// Dispute parties: `姓名(角色,手机号,身份证号)` items; see docs/ledger.md.
    Parties,
    /// Record ids (UUIDs), as a list.
    RecordIds,
}

/// Which closed vocabulary a `Cell::Choice` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    SubjectKind,
    EducationFormat,
    DisputeSource,
    DisputeCategory,
    RiskLevel,
    DisputeStatus,
    LegalRole,
    PartyRole,
}

/// One column of a ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The header an export writes.
    pub header: &'static str,
    /// Other headers read as this column.
    pub aliases: &'static [&'static str],
    /// The record's JSON field path (`location.lat` is inside `location`).
    pub field: &'static str,
    pub cell: Cell,
}

const fn col(
    header: &'static str,
    aliases: &'static [&'static str],
    field: &'static str,
    cell: Cell,
) -> Column {
    Column {
        header,
        aliases,
        field,
        cell,
    }
}

const GRID: Column = col("网格", &["所属网格", "网格编号"], "grid_id", Cell::Text);
const ADDRESS: Column = col("地址", &["地点", "详细地址"], "address", Cell::Text);
const LAT: Column = col("纬度", &[], "location.lat", Cell::Number);
const LON: Column = col("经度", &[], "location.lon", Cell::Number);
const ACCURACY: Column = col(
    "精度（米）",
    &["定位精度（米）", "定位精度"],
    "location.accuracy_m",
    Cell::Number,
);

/// The second column of every kind is its date: `kind_from_headers` relies on it.
const PATROL_VISIT: &[Column] = &[
    GRID,
    col("走访时间", &["巡查时间"], "visited_at", Cell::Time),
    col(
        "走访对象类别",
        &["走访对象类型", "对象类别", "对象类型"],
        "subject_kind",
        Cell::Choice(Choice::SubjectKind),
    ),
    col("对象名称", &["走访对象"], "subject_name", Cell::Text),
    ADDRESS,
    LAT,
    LON,
    ACCURACY,
    col(
        "走访情况",
        &["发现情况", "巡查情况"],
        "findings",
        Cell::Text,
    ),
    col("发现隐患", &["安全隐患", "隐患"], "hazards", Cell::List),
    col("需要跟进", &["是否跟进"], "follow_up_needed", Cell::Flag),
    col("跟进期限", &[], "follow_up_due_at", Cell::Time),
    col(
        "同行三官一律",
        &["三官一律"],
        "volunteers",
        Cell::Volunteers,
    ),
    col("关联纠纷", &[], "dispute_ids", Cell::RecordIds),
];

const LEGAL_EDUCATION: &[Column] = &[
    GRID,
    col("活动时间", &["宣传时间"], "held_at", Cell::Time),
    col("主题", &["宣传主题", "活动主题"], "topic", Cell::Text),
    col(
        "形式",
        &["宣传形式", "活动形式"],
        "format",
        Cell::Choice(Choice::EducationFormat),
    ),
    ADDRESS,
    LAT,
    LON,
    ACCURACY,
    col(
        "受众人数",
        &["参与人数", "受众人次"],
        "audience_count",
        Cell::Count,
    ),
    col("主讲人", &[], "speakers", Cell::Volunteers),
    col("发放资料", &[], "materials", Cell::List),
    col("备注", &[], "notes", Cell::Text),
];

const DISPUTE: &[Column] = &[
    GRID,
    col("上报时间", &["登记时间"], "reported_at", Cell::Time),
    col(
        "来源",
        &["纠纷来源"],
        "source",
        Cell::Choice(Choice::DisputeSource),
    ),
    col(
        "纠纷类型",
        &["纠纷类别"],
        "dispute_category",
        Cell::Choice(Choice::DisputeCategory),
    ),
    ADDRESS,
    LAT,
    LON,
    ACCURACY,
    col("当事人", &[], "parties", Cell::Parties),
    col(
        "纠纷概要",
        &["简要情况", "纠纷简要情况"],
        "summary",
        Cell::Text,
    ),
    col(
        "风险等级",
        &[],
        "risk_level",
        Cell::Choice(Choice::RiskLevel),
    ),
    col(
        "状态",
        &["办理状态"],
        "status",
        Cell::Choice(Choice::DisputeStatus),
    ),
];

/// The columns of a kind's ledger, in the order an export writes them.
pub fn columns(kind: RecordKind) -> &'static [Column] {
    match kind {
        RecordKind::PatrolVisit => PATROL_VISIT,
        RecordKind::LegalEducation => LEGAL_EDUCATION,
        RecordKind::Dispute => DISPUTE,
    }
}

//! List filters as people and the UI give them (strings), turned into a [`ListQuery`]: one parser
//! for the app's list command and the CLI's `list` flags. An empty string means "no filter";
//! anything else that does not parse is refused with the filter's name, never ignored.

use gridmate_domain::{
    DisputeStatus, ErrorCode, FieldError, GridId, RecordKind, RiskLevel, Timestamp,
};
use serde::{Deserialize, Serialize};

use super::types::{Cursor, ListQuery, SyncState};

/// Every filter a list takes; dates are `YYYY-MM-DD` (China time) or RFC 3339.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
#[serde(default, deny_unknown_fields)]
pub struct ListFilters {
    pub kind: Option<String>,
    pub grid_id: Option<String>,
    pub status: Option<String>,
    pub risk_level: Option<String>,
    pub sync_state: Option<String>,
    /// From this date, inclusive.
    pub from: Option<String>,
    /// Up to this date, exclusive.
    pub to: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<u32>,
    /// Continue from a previous page's `next_cursor`.
    pub cursor: Option<String>,
    pub include_deleted: Option<bool>,
    /// Only disputes the signed-in user (or their unit) holds now: assigned or in progress.
    pub assigned_to_me: Option<bool>,
    /// Only records whose step is past due now: a dispute's current step, a visit's follow-up.
    pub overdue: Option<bool>,
}

fn parsed<T>(
    v: &Option<String>,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, FieldError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| {
            FieldError::new(
                ErrorCode::InvalidValue,
                field,
                format!("筛选条件“{field}”无效：{s}"),
                format!("invalid filter `{field}`: {s}"),
            )
        }),
    }
}

impl ListFilters {
    /// The query these filters ask for, or the first filter that does not parse.
    pub fn to_query(&self) -> Result<ListQuery, FieldError> {
        let day = Timestamp::parse_day_or_rfc3339;
        Ok(ListQuery {
            kind: parsed(&self.kind, "kind", RecordKind::parse)?,
            grid_id: parsed(&self.grid_id, "grid_id", GridId::parse)?,
            status: parsed(&self.status, "status", DisputeStatus::parse)?,
            risk_level: parsed(&self.risk_level, "risk_level", RiskLevel::parse)?,
            sync_state: parsed(&self.sync_state, "sync_state", SyncState::parse)?,
            from: parsed(&self.from, "from", day)?,
            to: parsed(&self.to, "to", day)?,
            include_deleted: self.include_deleted.unwrap_or(false),
            limit: self.limit.unwrap_or(0),
            cursor: parsed(&self.cursor, "cursor", Cursor::decode)?,
            assigned_to_me: self.assigned_to_me.unwrap_or(false),
            overdue_at: self.overdue.unwrap_or(false).then(Timestamp::now),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(f: impl FnOnce(&mut ListFilters)) -> ListFilters {
        let mut x = ListFilters::default();
        f(&mut x);
        x
    }

    #[test]
    fn empty_filters_filter_nothing() {
        let q = of(|f| f.status = Some(" ".into())).to_query().unwrap();
        assert_eq!(q.status, None);
        assert_eq!(q.limit, 0);
    }

    #[test]
    fn each_filter_parses_its_values() {
        let q = of(|f| {
            f.kind = Some("dispute".into());
            f.grid_id = Some("jingkou-zhengdonglu-03".into());
            f.status = Some("assigned".into());
            f.risk_level = Some("high".into());
            f.sync_state = Some("pending".into());
            f.from = Some("2026-11-01".into());
            f.to = Some("2026-12-01T00:00:00+08:00".into());
            f.limit = Some(20);
        })
        .to_query()
        .unwrap();
        assert_eq!(q.kind, Some(RecordKind::Dispute));
        assert_eq!(q.status, Some(DisputeStatus::Assigned));
        assert_eq!(q.risk_level, Some(RiskLevel::High));
        assert_eq!(q.sync_state, Some(SyncState::Pending));
        assert!(q.grid_id.is_some() && q.from < q.to);
        assert_eq!(q.limit, 20);
        assert!(!q.assigned_to_me && q.overdue_at.is_none());
        let q = of(|f| {
            f.assigned_to_me = Some(true);
            f.overdue = Some(true);
        })
        .to_query()
        .unwrap();
        assert!(q.assigned_to_me && q.overdue_at.is_some());
    }

    #[test]
    fn a_bad_value_names_its_filter() {
        for (field, set) in [
            ("kind", of(|f| f.kind = Some("visit".into()))),
            ("status", of(|f| f.status = Some("done".into()))),
            ("risk_level", of(|f| f.risk_level = Some("huge".into()))),
            ("sync_state", of(|f| f.sync_state = Some("sent".into()))),
            ("grid_id", of(|f| f.grid_id = Some("../x".into()))),
            ("from", of(|f| f.from = Some("yesterday".into()))),
            ("cursor", of(|f| f.cursor = Some("nope".into()))),
        ] {
            let e = set.to_query().unwrap_err();
            assert_eq!((e.code, e.field.as_str()), (ErrorCode::InvalidValue, field));
        }
    }
}

//! Deadlines of the closed loop: how long each step may take, by dispute category and risk, and
//! whether a dispute is overdue. Nothing here is stored: the due time is derived from the state
//! (when its status began, or the due time the dispatcher set when assigning) and this table.
//!
//! Working days are Monday to Friday in Asia/Shanghai (UTC+8, no daylight saving), minus the
//! table's public holidays, plus its make-up working days (调休), which change every year and are
//! therefore data, not code. Adding N working days keeps the time of day: reported on Friday at
//! 16:00 with one working day to accept, due on Monday at 16:00. Urgent steps count plain hours.

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, Offset, TimeZone, Weekday};
use serde::{Deserialize, Serialize};

use super::DisputeState;
use crate::enums::{DisputeCategory, DisputeStatus as S, RiskLevel};
use crate::time::Timestamp;

/// How long a step may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    WorkingDays(u32),
    Hours(u32),
}

/// One row: the limit of the step that waits in `status`, for a category and/or a risk level
/// (absent: any). The most specific row wins: category and risk, then risk, then category, then
/// neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct StepLimit {
    pub status: S,
    #[serde(default)]
    pub category: Option<DisputeCategory>,
    #[serde(default)]
    pub risk: Option<RiskLevel>,
    pub limit: Limit,
}

/// The deadline table a command centre works by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeadlineTable {
    pub steps: Vec<StepLimit>,
    /// Public holidays (days off that fall on weekdays).
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Make-up working days (weekend days worked).
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

const fn row(status: S, risk: Option<RiskLevel>, limit: Limit) -> StepLimit {
    StepLimit {
        status,
        category: None,
        risk,
        limit,
    }
}

impl Default for DeadlineTable {
    /// The defaults of docs/dispute-workflow.md: accept and dispatch within a working day (a
    /// high-risk dispute within hours), handle within 15 working days (family and neighbour
    /// disputes 10, a high-risk one 5, a critical one 2), follow up within 5, ask satisfaction within 3.
    fn default() -> Self {
        use Limit::{Hours, WorkingDays as Wd};
        use RiskLevel::{Critical, High};
        let mut steps = Vec::new();
        for status in [
            S::Reported,
            S::Accepted,
            S::Returned,
            S::Escalated,
            S::Assigned,
        ] {
            steps.push(row(status, None, Wd(1)));
            steps.push(row(status, Some(High), Hours(4)));
            steps.push(row(status, Some(Critical), Hours(1)));
        }
        steps.push(row(S::InProgress, None, Wd(15)));
        for category in [DisputeCategory::Family, DisputeCategory::Neighbour] {
            steps.push(StepLimit {
                status: S::InProgress,
                category: Some(category),
                risk: None,
                limit: Wd(10),
            });
        }
        steps.push(row(S::InProgress, Some(High), Wd(5)));
        steps.push(row(S::InProgress, Some(Critical), Wd(2)));
        steps.push(row(S::Resolved, None, Wd(5)));
        steps.push(row(S::FollowUp, None, Wd(3)));
        Self {
            steps,
            holidays: Vec::new(),
            workdays: Vec::new(),
        }
    }
}

impl DeadlineTable {
    /// A table without limits: no step has a due time (allocates nothing).
    pub const fn empty() -> Self {
        Self {
            steps: Vec::new(),
            holidays: Vec::new(),
            workdays: Vec::new(),
        }
    }

    /// The limit of the step waiting in `status`, if that step has one.
    pub fn limit(&self, status: S, category: DisputeCategory, risk: RiskLevel) -> Option<Limit> {
        let score = |r: &StepLimit| -> Option<u8> {
            if r.status != status
                || r.category.is_some_and(|c| c != category)
                || r.risk.is_some_and(|x| x != risk)
            {
                return None;
            }
            Some(u8::from(r.risk.is_some()) * 2 + u8::from(r.category.is_some()))
        };
        self.steps
            .iter()
            .filter_map(|r| score(r).map(|s| (s, r.limit)))
            .max_by_key(|(s, _)| *s)
            .map(|(_, l)| l)
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// `start` plus `limit`.
    pub fn add(&self, start: Timestamp, limit: Limit) -> Timestamp {
        match limit {
            Limit::Hours(h) => start.plus_millis(i64::from(h) * 3_600_000),
            Limit::WorkingDays(n) => self.add_working_days(start, n),
        }
    }

    fn add_working_days(&self, start: Timestamp, n: u32) -> Timestamp {
        let Some(local) = china().timestamp_millis_opt(start.millis()).single() else {
            return start;
        };
        let mut day = local.date_naive();
        // Bounded: even a table of holidays cannot make a year without working days matter.
        let mut left = n;
        let mut steps = 0;
        while left > 0 && steps < 3660 {
            day += Duration::days(1);
            steps += 1;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        let due = day.and_time(local.time());
        china()
            .from_local_datetime(&due)
            .single()
            .and_then(|d| Timestamp::from_millis(d.timestamp_millis()))
            .unwrap_or(start)
    }

    /// When the step a dispute waits in is due: the dispatcher's due time for an assigned or
    /// in-progress dispute when one was set, else the table's limit from when the status began
    /// (`since` for a status the document started with, usually the report time). `None` when
    /// the status waits for nobody (closed, evaluated, not accepted) or the table has no row.
    pub fn due_at(
        &self,
        state: &DisputeState,
        category: DisputeCategory,
        risk: RiskLevel,
        since: Timestamp,
    ) -> Option<Timestamp> {
        if matches!(state.status, S::Assigned | S::InProgress)
            && let Some(due) = state.due_at
        {
            return Some(due);
        }
        let limit = self.limit(state.status, category, risk)?;
        Some(self.add(state.status_since.unwrap_or(since), limit))
    }
}

/// Whether a step due at `due` is overdue at `now`.
pub fn is_overdue(due: Option<Timestamp>, now: Timestamp) -> bool {
    due.is_some_and(|d| now > d)
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or(chrono::Utc.fix())
}

//! The shapes the store hands out: list queries and pages, summaries (what a list row shows:
//! no personal data beyond a masked name), and per-record sync state.

use gridmate_domain::{DisputeStatus, GridId, RecordId, RecordKind, RiskLevel, Timestamp};
use serde::{Deserialize, Serialize};

/// Where a record stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Saved while the account had no server: nothing to sync to yet.
    LocalOnly,
    /// Has changes the server has not acknowledged.
    Pending,
    /// The server holds everything this device wrote.
    Synced,
    /// The server refused the record; it stays on the device for the user to see and fix.
    Rejected,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LocalOnly => "local_only",
            Self::Pending => "pending",
            Self::Synced => "synced",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "local_only" => Self::LocalOnly,
            "pending" => Self::Pending,
            "synced" => Self::Synced,
            "rejected" => Self::Rejected,
            _ => return None,
        })
    }
}

/// A list row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct RecordSummary {
    pub id: RecordId,
    pub kind: RecordKind,
    pub grid_id: GridId,
    pub status: Option<DisputeStatus>,
    pub risk_level: Option<RiskLevel>,
    pub occurred_at: Timestamp,
    pub updated_at: Timestamp,
    pub title: String,
    pub sync_state: SyncState,
    pub deleted: bool,
    /// Set when the stored document cannot be read (the reason is in `quarantined`).
    pub quarantined: bool,
}

/// Filters for a list; all optional, combined with AND. Newest first by `occurred_at`.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub kind: Option<RecordKind>,
    pub grid_id: Option<GridId>,
    pub status: Option<DisputeStatus>,
    pub risk_level: Option<RiskLevel>,
    pub sync_state: Option<SyncState>,
    /// Inclusive lower bound on `occurred_at`.
    pub from: Option<Timestamp>,
    /// Exclusive upper bound on `occurred_at`.
    pub to: Option<Timestamp>,
    pub include_deleted: bool,
    /// Page size; 0 means the default (50); at most 500.
    pub limit: u32,
    /// Continue after this cursor (from a previous page's `next_cursor`).
    pub cursor: Option<Cursor>,
    /// Only disputes the bound account (or its unit) holds now (assigned or in progress); nothing
    /// when the store is not signed in.
    pub assigned_to_me: bool,
    /// Only records whose step (a dispute's current step, a visit's follow-up) was due before
    /// this time.
    pub overdue_at: Option<Timestamp>,
}

/// A keyset position: stable under inserts, unlike an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub occurred_at: Timestamp,
    pub id: RecordId,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{}_{}", self.occurred_at.millis(), self.id)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (ms, id) = s.split_once('_')?;
        Some(Self {
            occurred_at: Timestamp::from_millis(ms.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct Page {
    pub items: Vec<RecordSummary>,
    /// Present when more rows may follow.
    pub next_cursor: Option<String>,
}

/// A record whose stored document cannot be read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quarantined {
    pub id: RecordId,
    pub kind: RecordKind,
    pub title: String,
    pub reason: String,
}

/// Counts for the home screen and the sync badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StoreCounts {
    pub records: u64,
    pub pending: u64,
    pub rejected: u64,
    pub quarantined: u64,
}

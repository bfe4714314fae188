//! What the app's screens need beyond records: form drafts kept while typing (so a killed app loses
//! nothing), the home screen's counts, and a log of syncs for the "Me" screen.

use gridmate_domain::{Localized, Timestamp};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// China Standard Time offset: "today" on the home screen is the worker's day, not UTC's.
const CHINA_OFFSET_MS: i64 = 8 * 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct HomeSummary {
    pub visits_today: u64,
    /// Disputes not yet resolved (nor closed, evaluated or not accepted).
    pub open_disputes: u64,
    /// Follow-ups due by the end of today (overdue ones included).
    pub follow_ups_due: u64,
    pub pending: u64,
    pub rejected: u64,
    pub last_sync_at: Option<Timestamp>,
}

/// One sync, as the "Me" screen and `gridmate status` list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct SyncLogEntry {
    pub at: Timestamp,
    pub ok: bool,
    pub pushed: u64,
    pub pulled: u64,
    pub rejected: u64,
    pub error: Option<SyncLogError>,
}

/// Why a sync failed: its stable code and the message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncLogError {
    pub code: String,
    pub message: Localized,
}

impl SyncLogError {
    /// Reads the stored column: JSON, or the `[code] message` text of stores written before
    /// errors were kept in both languages (shown as it was, in both halves).
    fn from_column(text: String) -> Self {
        serde_json::from_str(&text).unwrap_or_else(|_| {
            let (code, rest) = text
                .strip_prefix('[')
                .and_then(|t| t.split_once("] "))
                .unwrap_or(("sync_failed", text.as_str()));
            Self {
                code: code.to_owned(),
                message: Localized {
                    zh_cn: rest.to_owned(),
                    en: rest.to_owned(),
                },
            }
        })
    }
}

/// Start of the day containing `now`, in China time.
pub fn china_day_start(now: Timestamp) -> i64 {
    let local = now.millis() + CHINA_OFFSET_MS;
    local - local.rem_euclid(DAY_MS) - CHINA_OFFSET_MS
}

impl Store {
    pub fn save_draft(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO drafts (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![key, value.to_string(), Timestamp::now().millis()],
        )?;
        Ok(())
    }

    pub fn load_draft(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let s: Option<String> = self
            .conn
            .query_row("SELECT value FROM drafts WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(s.and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub fn clear_draft(&self, key: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM drafts WHERE key = ?1", [key])?;
        Ok(())
    }

    pub fn home_summary(&self, now: Timestamp) -> Result<HomeSummary, StoreError> {
        let day = china_day_start(now);
        let counts = self.counts()?;
        let (visits_today, open_disputes, follow_ups_due): (i64, i64, i64) = self.conn.query_row(
            "SELECT
               (SELECT count(*) FROM records WHERE kind = 'patrol_visit' AND deleted_at IS NULL
                  AND occurred_at >= ?1 AND occurred_at < ?2),
               (SELECT count(*) FROM records WHERE kind = 'dispute' AND deleted_at IS NULL
                  AND status NOT IN ('resolved', 'follow_up', 'evaluated', 'closed', 'not_accepted')),
               (SELECT count(*) FROM records WHERE kind = 'patrol_visit' AND due_at IS NOT NULL
                  AND deleted_at IS NULL AND due_at < ?2)",
            params![day, day + DAY_MS],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let last: Option<i64> = self
            .conn
            .query_row("SELECT max(at) FROM sync_log WHERE ok = 1", [], |r| {
                r.get(0)
            })
            .optional()?
            .flatten();
        Ok(HomeSummary {
            visits_today: visits_today.unsigned_abs(),
            open_disputes: open_disputes.unsigned_abs(),
            follow_ups_due: follow_ups_due.unsigned_abs(),
            pending: counts.pending,
            rejected: counts.rejected,
            last_sync_at: last.and_then(Timestamp::from_millis),
        })
    }

    /// Appends to the sync log, keeping the newest 200 entries.
    pub fn log_sync(&self, e: &SyncLogEntry) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_log (at, ok, pushed, pulled, rejected, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                e.at.millis(),
                e.ok,
                e.pushed as i64,
                e.pulled as i64,
                e.rejected as i64,
                e.error.as_ref().map(|x| serde_json::json!(x).to_string())
            ],
        )?;
        self.conn.execute(
            "DELETE FROM sync_log WHERE id <= (SELECT max(id) - 200 FROM sync_log)",
            [],
        )?;
        Ok(())
    }

    pub fn sync_log(&self, limit: u32) -> Result<Vec<SyncLogEntry>, StoreError> {
        let mut stmt =
            self.conn.prepare("SELECT at, ok, pushed, pulled, rejected, error FROM sync_log ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit], |r| {
            Ok(SyncLogEntry {
                at: Timestamp::from_millis(r.get(0)?).unwrap_or(Timestamp::now()),
                ok: r.get(1)?,
                pushed: r.get::<_, i64>(2)?.unsigned_abs(),
                pulled: r.get::<_, i64>(3)?.unsigned_abs(),
                rejected: r.get::<_, i64>(4)?.unsigned_abs(),
                error: r
                    .get::<_, Option<String>>(5)?
                    .map(SyncLogError::from_column),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Grids the user may record in: the scope's grids, plus grids of local records inside the
    /// scope (a township scope names no grid itself).
    pub fn grids(&self) -> Result<Vec<String>, StoreError> {
        let scope: Vec<String> = self.server_binding()?.map(|b| b.scope).unwrap_or_default();
        let covers = |g: &str| scope.iter().any(|a| gridmate_domain::area_covers(a, g));
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT grid_id FROM records ORDER BY grid_id")?;
        let local: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        // A scope entry with a grid number (`...-03`) is itself a grid; broader areas are not.
        let mut out: Vec<String> = scope
            .iter()
            .filter(|a| {
                a.rsplit('-')
                    .next()
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            })
            .cloned()
            .collect();
        out.extend(local.into_iter().filter(|g| covers(g) || scope.is_empty()));
        out.sort();
        out.dedup();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_days() {
        // 2026-11-28T16:30:00Z is 2026-11-29 00:30 in China: the day starts at 16:00Z.
        let t = Timestamp::parse_rfc3339("2026-11-28T16:30:00Z").unwrap();
        assert_eq!(
            china_day_start(t),
            Timestamp::parse_rfc3339("2026-11-28T16:00:00Z")
                .unwrap()
                .millis()
        );
        let t = Timestamp::parse_rfc3339("2026-11-28T15:59:00Z").unwrap();
        assert_eq!(
            china_day_start(t),
            Timestamp::parse_rfc3339("2026-11-27T16:00:00Z")
                .unwrap()
                .millis()
        );
    }
    #[test]
    fn a_sync_log_error_reads_back_in_both_languages_and_old_rows_still_read() {
        let e = SyncLogError {
            code: "offline".into(),
            message: Localized {
                zh_cn: "无法连接服务器（离线）".into(),
                en: "cannot reach the server (offline)".into(),
            },
        };
        let column = serde_json::json!(e).to_string();
        assert_eq!(SyncLogError::from_column(column), e);
        let old = SyncLogError::from_column("[unauthorized] server answered 401".into());
        assert_eq!(old.code, "unauthorized");
        assert_eq!(old.message.en, "server answered 401");
        assert_eq!(SyncLogError::from_column("odd".into()).code, "sync_failed");
    }
}

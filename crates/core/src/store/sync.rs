//! The store's side of sync: the server binding, what to push and what the server said about it
//! (storing what was pulled is `pull.rs`). Every step that changes state is one transaction, so
//! an interrupted sync leaves the store as before that step, and the next sync simply redoes it
//! (the protocol is idempotent).
//!
//! Per record, `record_sync.synced_heads` are heads the server is known to hold (everything before
//! them is on the server). A push sends the changes after them (from the record's outbox when it is
//! current, `outbox.rs`, else from its document); an `Accepted` moves them to the
//! heads that were pushed; `Held` (and the refusal `held_quota_exceeded`, which stored nothing)
//! clears them so that the next push sends the whole history;
//! `Rejected` marks the record `rejected` with the server's reason and keeps every local change, so
//! the user can see and fix it (a fix is a new edit: the record is pending again and the server
//! judges the resulting state). Device positions advance in the same transaction that stores the
//! pulled changes: never before they are durable.

use automerge::ChangeHash;
use gridmate_domain::RecordId;
use gridmate_domain::document::{holds_all, is_document_chunk};
use gridmate_domain::wire::{self, Position, PushDoc, PushOutcome, PushResult};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::codec::{decode_heads, encode_heads, load_doc};
use super::outbox::{self, Outbox};
use super::{Store, StoreError, SyncState};

/// A record collected for a push: what was sent and the heads it was sent at.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub doc: PushDoc,
    pub heads: Vec<ChangeHash>,
}

/// What applying one response changed, for reports and the status line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    pub accepted: usize,
    pub rejected: Vec<Rejection>,
    pub held: usize,
    pub pulled_records: usize,
    pub pulled_changes: usize,
    pub dropped_out_of_scope: usize,
    /// Records assigned to the user outside the scope that were reassigned (protocol 4), removed.
    pub revoked: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields = nullable))]
pub struct Rejection {
    pub id: RecordId,
    pub code: String,
    pub field: String,
    pub message_zh: String,
    pub message_en: String,
}

/// The account's binding to a server (kept in `meta`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerBinding {
    pub server_url: String,
    pub user: String,
    pub token: String,
    pub allow_insecure: bool,
    /// The profile the server returned at login (for the app's session and grid pickers).
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub legal_role: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub scope: Vec<String>,
    /// The unit the user acts for: a workflow event names it (`by_unit`).
    #[serde(default)]
    pub unit: Option<String>,
    /// When this device received `token` (device clock, ms); `None` for a binding written before
    /// tokens were rotated: rotated at the next sync.
    #[serde(default)]
    pub token_issued_at: Option<i64>,
    /// The operator's own CA certificate (PEM) given at sign-in, trusted beside the bundled roots
    /// by every later sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<String>,
}

impl Store {
    /// Binds the account to a server after a successful login. Records saved before (local only)
    /// become pending. Refused when the store holds records created by another user: they could
    /// never be pushed under this account.
    pub fn bind_server(&mut self, b: &ServerBinding) -> Result<(), StoreError> {
        let other: Option<String> = self
            .conn
            .query_row("SELECT created_by FROM records WHERE created_by <> ?1 AND sync_state = 'local_only' LIMIT 1", [&b.user], |r| r.get(0))
            .optional()?;
        if let Some(other) = other {
            return Err(StoreError::AccountMismatch {
                store_user: other,
                login_user: b.user.clone(),
            });
        }
        let tx = self.conn.transaction()?;
        let json = serde_json::to_string(b).map_err(|e| StoreError::Automerge(e.to_string()))?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('server_binding', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [json])?;
        tx.execute("INSERT INTO meta (key, value) VALUES ('server_url', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [&b.server_url])?;
        tx.execute(
            "UPDATE records SET sync_state = 'pending' WHERE sync_state = 'local_only'",
            [],
        )?;
        tx.commit()?;
        self.user = b.user.clone();
        Ok(())
    }

    pub fn server_binding(&self) -> Result<Option<ServerBinding>, StoreError> {
        self.meta("server_binding")?
            .map(|s| serde_json::from_str(&s).map_err(|e| StoreError::Automerge(e.to_string())))
            .transpose()
    }

    /// Replaces the binding's token after a rotation, in one statement, only if the binding still
    /// holds `old` (a sign-in meanwhile wins); `at` is when the new token arrived. Whether it did.
    pub fn replace_token(&mut self, old: &str, new: &str, at: i64) -> Result<bool, StoreError> {
        let Some(mut b) = self.server_binding()? else {
            return Ok(false);
        };
        if b.token != old {
            return Ok(false);
        }
        b.token = new.to_owned();
        b.token_issued_at = Some(at);
        let json = serde_json::to_string(&b).map_err(|e| StoreError::Automerge(e.to_string()))?;
        self.conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'server_binding'",
            [json],
        )?;
        Ok(true)
    }

    /// Forgets the server (logout). Refused while records are unsynced unless `force`.
    pub fn unbind_server(&mut self, force: bool) -> Result<(), StoreError> {
        let counts = self.counts()?;
        if !force && counts.pending + counts.rejected > 0 {
            return Err(StoreError::Unsynced {
                pending: counts.pending,
                rejected: counts.rejected,
            });
        }
        self.conn
            .execute("DELETE FROM meta WHERE key IN ('server_binding')", [])?;
        Ok(())
    }

    /// The positions to pull from.
    pub fn sync_positions(&self) -> Result<Vec<Position>, StoreError> {
        let stored: Option<Vec<(String, u64)>> = self
            .meta("sync_positions")?
            .and_then(|s| serde_json::from_str(&s).ok());
        Ok(stored
            .unwrap_or_default()
            .into_iter()
            .map(|(area, seq)| Position { area, seq })
            .collect())
    }

    /// Up to `max_records` pending records with the changes the server may lack, capped near
    /// `max_bytes` of raw changes (at least one record, so a push always makes progress).
    pub fn collect_outgoing(
        &self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<Outgoing>, StoreError> {
        Ok(self.collect_outgoing_batch(max_records, max_bytes)?.0)
    }

    /// `collect_outgoing`, and whether the byte cap left a pending record out of the batch (then
    /// the sync needs another push even though the batch has fewer than `max_records` records).
    pub fn collect_outgoing_batch(
        &self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<(Vec<Outgoing>, bool), StoreError> {
        let sql = format!(
            "SELECT r.id, d.doc, d.heads, {} FROM records r
             JOIN documents d ON d.record_rowid = r.rowid
             JOIN record_sync s ON s.record_rowid = r.rowid
             WHERE r.sync_state = 'pending' AND r.quarantine IS NULL
             ORDER BY r.updated_at LIMIT ?1",
            Outbox::COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([max_records as i64], |r| {
            let outbox = Outbox::from_row(r, 3)?;
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                outbox,
            ))
        })?;
        let mut out = Vec::new();
        let mut bytes = 0usize;
        let mut cut = false;
        for row in rows {
            let (id, doc_bytes, heads, outbox) = row?;
            let Ok(id) = id.parse::<RecordId>() else {
                continue;
            };
            let sending = match outbox.changes_for(&heads) {
                Some(changes) => Some((changes, decode_heads(&heads))),
                None => outgoing_chunks(doc_bytes, outbox.synced, heads),
            };
            let Some((changes, heads)) = sending else {
                continue;
            };
            let size: usize = changes.iter().map(|c| c.0.len()).sum();
            if !out.is_empty() && bytes + size > max_bytes {
                cut = true;
                break;
            }
            bytes += size;
            out.push(Outgoing {
                doc: PushDoc {
                    record_id: *id.as_uuid().as_bytes(),
                    changes,
                },
                heads,
            });
        }
        Ok((out, cut))
    }

    /// Records the server's answer to a push. `sent` is what `collect_outgoing` returned.
    pub fn apply_push_results(
        &mut self,
        sent: &[Outgoing],
        results: &[PushResult],
        applied: &mut Applied,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for (out, res) in sent.iter().zip(results) {
            if out.doc.record_id != res.record_id {
                continue; // a misaligned answer is ignored; the record stays pending
            }
            let id = RecordId::from_uuid(uuid::Uuid::from_bytes(res.record_id));
            // Cached statements: a push's answer runs these once per record.
            let row: Option<(i64, Vec<u8>)> = tx
                .prepare_cached(
                    "SELECT r.rowid, d.heads FROM records r JOIN documents d ON d.record_rowid = r.rowid WHERE r.id = ?1",
                )?
                .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((rowid, current_heads)) = row else {
                continue;
            };
            match &res.outcome {
                PushOutcome::Accepted { .. } => {
                    let sent_heads = encode_heads(&out.heads);
                    // Edited while the push was in flight: still pending, from the pushed heads.
                    let state = if sent_heads == current_heads {
                        SyncState::Synced
                    } else {
                        SyncState::Pending
                    };
                    // Fully acknowledged: the outbox empties. Otherwise it keeps what was saved
                    // while the push was in flight (before the synced heads move).
                    let sql = if state == SyncState::Synced {
                        "UPDATE record_sync SET synced_heads = ?1, rejected_code = NULL,
                         rejected_reason = NULL, unsent = NULL, unsent_from = NULL, unsent_to = NULL
                         WHERE record_rowid = ?2"
                    } else {
                        outbox::note_ack(&tx, rowid, &sent_heads, &out.doc.changes)?;
                        "UPDATE record_sync SET synced_heads = ?1, rejected_code = NULL,
                         rejected_reason = NULL WHERE record_rowid = ?2"
                    };
                    tx.prepare_cached(sql)?
                        .execute(params![sent_heads, rowid])?;
                    tx.prepare_cached("UPDATE records SET sync_state = ?1 WHERE rowid = ?2")?
                        .execute(params![state.as_str(), rowid])?;
                    applied.accepted += 1;
                }
                PushOutcome::Rejected {
                    code,
                    field,
                    message_zh,
                    message_en,
                } if !res.outcome.wants_whole_history() => {
                    let reason =
                        serde_json::json!({"field": field, "zh-CN": message_zh, "en": message_en})
                            .to_string();
                    tx.execute(
                        "UPDATE record_sync SET rejected_code = ?1, rejected_reason = ?2 WHERE record_rowid = ?3",
                        params![code, reason, rowid],
                    )?;
                    tx.execute(
                        "UPDATE records SET sync_state = 'rejected' WHERE rowid = ?1",
                        [rowid],
                    )?;
                    applied.rejected.push(Rejection {
                        id,
                        code: code.clone(),
                        field: field.clone(),
                        message_zh: message_zh.clone(),
                        message_en: message_en.clone(),
                    });
                }
                // Held, or refused only because the server holds no more: send it all again.
                _ => {
                    tx.execute(
                        "UPDATE record_sync SET synced_heads = NULL, unsent = NULL, unsent_from = NULL,
                         unsent_to = NULL WHERE record_rowid = ?1",
                        [rowid],
                    )?;
                    applied.held += 1;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The rejection recorded for a record, if any.
    pub fn rejection(&self, id: RecordId) -> Result<Option<Rejection>, StoreError> {
        let row: Option<(Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT s.rejected_code, s.rejected_reason FROM records r JOIN record_sync s ON s.record_rowid = r.rowid WHERE r.id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((Some(code), reason)) = row else {
            return Ok(None);
        };
        let v: serde_json::Value = reason
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default();
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        Ok(Some(Rejection {
            id,
            code,
            field: s("field"),
            message_zh: s("zh-CN"),
            message_en: s("en"),
        }))
    }
}

/// What a push sends for one pending record, and the heads it is sent at. A record the server
/// has never acknowledged goes as its stored document, as is: one chunk, no decoding on the phone
/// (protocol v2). Otherwise the changes after the acknowledged heads; `None` when the stored
/// document cannot be read (it is quarantined elsewhere, never sent).
pub(super) fn outgoing_chunks(
    doc_bytes: Vec<u8>,
    synced: Option<Vec<u8>>,
    heads: Vec<u8>,
) -> Option<(Vec<wire::Change>, Vec<ChangeHash>)> {
    let have = decode_heads(synced.as_deref().unwrap_or_default());
    if have.is_empty() && is_document_chunk(&doc_bytes) {
        return Some((vec![wire::Change(doc_bytes)], decode_heads(&heads)));
    }
    // Its changes only: the record itself was read when it was saved.
    let mut doc = load_doc(&doc_bytes).ok()?;
    // Heads the document does not know (a server reset, a restored backup): send all.
    let have = if holds_all(&mut doc, &have) {
        have
    } else {
        Vec::new()
    };
    let changes = doc
        .get_changes(&have)
        .iter()
        .map(|c| wire::Change(c.raw_bytes().to_vec()))
        .collect();
    Some((changes, doc.get_heads()))
}

//! 案件: the case list (`GET /v1/console/cases`), one case (`GET /v1/console/cases/{id}`) and the
//! audited reveal of one personal field (`POST /v1/console/cases/{id}/reveal`).
//!
//! Invariants:
//! - Every query is limited to the user's scope on the server: the list through
//!   `filter::Query`, a case by id through [`CaseQueries::case_rowid`]. A case outside the scope,
//!   an unknown id and a malformed id are the same 404 `not_found`, so ids cannot be probed. A
//!   dispute is visible by its grid only (being assigned to someone elsewhere changes nothing).
//! - Admins may read lists and cases but neither reveal nor act; dispatchers do both.
//! - A reveal writes `console_audit` (user, record, field, time; never the value) in the same
//!   transaction it reads the value in, so no value leaves unaudited. Bad input changes nothing.
//! - Storage work runs on the blocking pool.

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, header::HeaderName};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gridmate_domain::document::read_record;
use gridmate_domain::workflow::deadline::DeadlineTable;
use gridmate_domain::{Record, RecordBody, Timestamp};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use super::auth::ConsoleUser;
use super::detail::{self, CaseDetail};
use super::filter::{CaseFilter, CasePage, list_page};
use crate::error::{ApiError, blocking};
use crate::json::ApiJson;
use crate::scope::Scope;
use crate::state::AppState;
use crate::storage::{SqliteStorage, StorageError};
use crate::sync::push::load_record_doc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/console/cases", get(list))
        .route("/v1/console/cases/{id}", get(one))
        .route("/v1/console/cases/{id}/reveal", post(reveal))
}

/// A personal field of a party that `reveal` can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyField {
    Name,
    Phone,
    IdNumber,
}

impl PartyField {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "name" => Some(Self::Name),
            "phone" => Some(Self::Phone),
            "id_number" => Some(Self::IdNumber),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Phone => "phone",
            Self::IdNumber => "id_number",
        }
    }
}

/// The case queries of the console (the PostgreSQL seam, like `ConsoleStore`).
pub trait CaseQueries: Send + Sync + 'static {
    /// One page of the case list within `scope`.
    fn case_page(&self, scope: &Scope, filter: &CaseFilter) -> Result<CasePage, StorageError>;

    /// The detail of a case within the user's scope; `None` when unknown or outside it.
    fn case_detail(
        &self,
        id: &[u8; 16],
        user: &ConsoleUser,
        at: (&DeadlineTable, Timestamp),
    ) -> Result<Option<CaseDetail>, StorageError>;

    /// A party's plain field, audited as revealed by `user`; `Ok(None)` when the case is unknown
    /// or outside the scope; `Err(Reveal::…)` for a bad index.
    fn reveal_party_field(
        &self,
        id: &[u8; 16],
        user: &ConsoleUser,
        request: (usize, PartyField),
        now: Timestamp,
    ) -> Result<Option<Result<Option<String>, RevealRefused>>, StorageError>;
}

/// Why a reveal gives nothing although the case exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealRefused {
    /// No party at that index (or the record is not a dispute).
    NoSuchParty,
}

/// The rowid of a record within `scope`.
fn case_rowid(
    conn: &rusqlite::Connection,
    id: &[u8; 16],
    scope: &Scope,
) -> Result<Option<i64>, StorageError> {
    let row: Option<(i64, String)> = conn
        .prepare_cached("SELECT rowid, grid_id FROM sync_records WHERE id = ?1 AND last_seq > 0")?
        .query_row([id.as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(rowid, grid)| {
        gridmate_domain::GridId::parse(&grid)
            .is_some_and(|g| scope.covers(&g))
            .then_some(rowid)
    }))
}

fn stored_record(
    conn: &rusqlite::Connection,
    id: &[u8; 16],
) -> Result<Option<(automerge::AutoCommit, Record)>, StorageError> {
    let Some(doc) = load_record_doc(conn, id)? else {
        return Ok(None);
    };
    let record = read_record(&doc)
        .map_err(|e| StorageError::Corrupt(format!("stored record unreadable: {e}")))?;
    Ok(Some((doc, record)))
}

impl CaseQueries for SqliteStorage {
    fn case_page(&self, scope: &Scope, filter: &CaseFilter) -> Result<CasePage, StorageError> {
        self.read_index(|c| list_page(c, scope, filter))
    }

    fn case_detail(
        &self,
        id: &[u8; 16],
        user: &ConsoleUser,
        at: (&DeadlineTable, Timestamp),
    ) -> Result<Option<CaseDetail>, StorageError> {
        self.read(|c| {
            let tx = c.unchecked_transaction()?;
            let Some(rowid) = case_rowid(&tx, id, &user.scope)? else {
                return Ok(None);
            };
            let Some((mut doc, record)) = stored_record(&tx, id)? else {
                return Ok(None);
            };
            detail::build(&tx, rowid, &mut doc, &record, user, at).map(Some)
        })
    }

    fn reveal_party_field(
        &self,
        id: &[u8; 16],
        user: &ConsoleUser,
        (index, field): (usize, PartyField),
        now: Timestamp,
    ) -> Result<Option<Result<Option<String>, RevealRefused>>, StorageError> {
        self.write(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if case_rowid(&tx, id, &user.scope)?.is_none() {
                return Ok(None);
            }
            let Some((_, record)) = stored_record(&tx, id)? else {
                return Ok(None);
            };
            let party = match &record.body {
                RecordBody::Dispute(d) => d.parties.get(index),
                _ => None,
            };
            let Some(party) = party else {
                return Ok(Some(Err(RevealRefused::NoSuchParty)));
            };
            let value = match field {
                PartyField::Name => party.name.clone(),
                PartyField::Phone => party.phone.clone(),
                PartyField::IdNumber => party.id_number.clone(),
            };
            tx.prepare_cached(
                "INSERT INTO console_audit (user_id, action, record_id, field, at)
                 VALUES (?1, 'reveal', ?2, ?3, ?4)",
            )?
            .execute(params![
                user.user_id.0,
                id.as_slice(),
                format!("parties[{index}].{}", field.as_str()),
                now.millis()
            ])?;
            tx.commit()?;
            Ok(Some(Ok(value)))
        })
    }
}

/// A record id from the path; anything that is not a UUID is as unknown as a missing record.
fn parse_id(raw: &str) -> Result<[u8; 16], ApiError> {
    uuid::Uuid::parse_str(raw)
        .map(|u| *u.as_bytes())
        .map_err(|_| ApiError::NotFound)
}

/// `Server-Timing: db;dur=…`: the storage time of the request, for the console's benchmark.
fn timed<T: Serialize>(body: T, started: std::time::Instant) -> Response {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut r = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("db;dur={ms:.2}")) {
        r.headers_mut()
            .insert(HeaderName::from_static("server-timing"), v);
    }
    r
}

async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let filter = CaseFilter::from_query(query.as_deref().unwrap_or(""), state.clock.now())?;
    let db = state.db.clone();
    blocking(move || {
        let started = std::time::Instant::now();
        let page = db.case_page(&user.scope, &filter)?;
        Ok(timed(page, started))
    })
    .await
}

async fn one(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let (db, config, now) = (state.db.clone(), state.config.clone(), state.clock.now());
    blocking(move || {
        let started = std::time::Instant::now();
        let detail = db
            .case_detail(&id, &user, (&config.deadlines, now))?
            .ok_or(ApiError::NotFound)?;
        Ok(timed(detail, started))
    })
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    pub party_index: serde_json::Value,
    pub field: String,
}

#[derive(Debug, Serialize)]
pub struct Revealed {
    pub party_index: usize,
    pub field: &'static str,
    /// The plain value (`null` when the party has none).
    pub value: Option<String>,
}

async fn reveal(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> Result<Json<Revealed>, ApiError> {
    let id = parse_id(&id)?;
    user.require_dispatcher()?;
    let index = req
        .party_index
        .as_u64()
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(bad_index)?;
    let field = PartyField::parse(&req.field).ok_or_else(|| {
        ApiError::invalid(
            "invalid_value",
            "field",
            "只能查看姓名（name）、电话（phone）或身份证号（id_number）",
            "`field` must be name, phone or id_number",
        )
    })?;
    let (db, now) = (state.db.clone(), state.clock.now());
    let value = blocking(
        move || match db.reveal_party_field(&id, &user, (index, field), now)? {
            None => Err(ApiError::NotFound),
            Some(Err(RevealRefused::NoSuchParty)) => Err(bad_index()),
            Some(Ok(v)) => Ok(v),
        },
    )
    .await?;
    tracing::info!(field = field.as_str(), "console reveal");
    Ok(Json(Revealed {
        party_index: index,
        field: field.as_str(),
        value,
    }))
}

fn bad_index() -> ApiError {
    ApiError::invalid(
        "invalid_value",
        "party_index",
        "没有该序号的当事人",
        "there is no party at `party_index`",
    )
}

//! `GET /v1/console/map/points?area&kind&status&from&to`: the records with a location, as a
//! GeoJSON FeatureCollection of Points (`[lon, lat]`, WGS 84 as the phones record them).
//!
//! Invariants: limited to the reached areas; at most [`MAX_FEATURES`] features, the most recent
//! first, with the foreign member `truncated: true` when more matched; properties carry no
//! personal data (the index has none): id, kind, status, risk, title.

use axum::Json;
use axum::extract::{RawQuery, State};
use gridmate_domain::{DisputeStatus, RecordKind};
use rusqlite::{params_from_iter, types::Value};
use serde::Serialize;

use super::params::{Params, Period};
use crate::console::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::scope::Scope;
use crate::state::AppState;
use crate::storage::{SqliteStorage, StorageError};

/// The most points one answer carries.
pub const MAX_FEATURES: usize = 10_000;

const MAP_PARAMS: &[&str] = &["area", "kind", "status", "from", "to"];

#[derive(Debug, Serialize)]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub features: Vec<Feature>,
    /// Foreign member: more records matched than [`MAX_FEATURES`].
    pub truncated: bool,
}

#[derive(Debug, Serialize)]
pub struct Feature {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub geometry: Point,
    pub properties: PointProperties,
}

#[derive(Debug, Serialize)]
pub struct Point {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub coordinates: [f64; 2],
}

#[derive(Debug, Serialize)]
pub struct PointProperties {
    pub id: String,
    pub kind: String,
    pub status: Option<String>,
    pub risk: Option<String>,
    pub title: String,
}

/// What a map query selects.
#[derive(Debug, Clone)]
pub struct MapQuery {
    pub areas: Scope,
    pub period: Period,
    pub kind: Option<RecordKind>,
    pub status: Option<DisputeStatus>,
}

pub async fn points(
    State(state): State<AppState>,
    user: ConsoleUser,
    RawQuery(q): RawQuery,
) -> Result<Json<FeatureCollection>, ApiError> {
    let p = Params::parse(q.as_deref(), MAP_PARAMS)?;
    let query = MapQuery {
        period: Period::optional(&p)?,
        kind: p.choice("kind", RecordKind::parse)?,
        status: p.choice("status", DisputeStatus::parse)?,
        areas: p.reach(&user.scope)?.areas,
    };
    let db = state.db.clone();
    let (features, truncated) = blocking(move || Ok(map_points(&db, &query)?)).await?;
    Ok(Json(FeatureCollection {
        kind: "FeatureCollection",
        features,
        truncated,
    }))
}

/// The features (most recent first) and whether more matched.
pub fn map_points(db: &SqliteStorage, q: &MapQuery) -> Result<(Vec<Feature>, bool), StorageError> {
    if q.areas.is_empty() {
        return Ok((Vec::new(), false));
    }
    let mut values = vec![Value::Integer(q.period.from), Value::Integer(q.period.to)];
    let mut extra = String::new();
    if let Some(k) = q.kind {
        values.push(Value::Text(k.as_str().to_owned()));
        extra.push_str(&format!(" AND kind = ?{}", values.len()));
    }
    if let Some(s) = q.status {
        values.push(Value::Text(s.as_str().to_owned()));
        extra.push_str(&format!(" AND status = ?{}", values.len()));
    }
    let (pred, scope_params) = q.areas.sql_predicate("grid_id", values.len() + 1);
    values.extend(scope_params.into_iter().map(Value::Text));
    let sql = format!(
        "SELECT record_id, kind, status, risk, title, lat, lon
           FROM console_records INDEXED BY console_map
          WHERE lat IS NOT NULL AND lon IS NOT NULL AND deleted = 0
            AND occurred_at >= ?1 AND occurred_at < ?2{extra} AND {pred}
          ORDER BY occurred_at DESC, record_rowid DESC
          LIMIT {}",
        MAX_FEATURES + 1
    );
    db.read_index(|c| {
        let mut stmt = c.prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(values))?;
        let mut out = Vec::new();
        let mut truncated = false;
        while let Some(r) = rows.next()? {
            if out.len() == MAX_FEATURES {
                truncated = true;
                break;
            }
            let (lat, lon): (f64, f64) = (r.get(5)?, r.get(6)?);
            if !(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
                continue;
            }
            let id: Vec<u8> = r.get(0)?;
            out.push(Feature {
                kind: "Feature",
                geometry: Point {
                    kind: "Point",
                    coordinates: [lon, lat],
                },
                properties: PointProperties {
                    id: uuid_string(&id),
                    kind: r.get(1)?,
                    status: r.get(2)?,
                    risk: r.get(3)?,
                    title: r.get(4)?,
                },
            });
        }
        Ok((out, truncated))
    })
}

/// A 16-byte record id as its UUID string (anything else, which the index never holds, as hex).
pub fn uuid_string(id: &[u8]) -> String {
    match <[u8; 16]>::try_from(id) {
        Ok(b) => uuid::Uuid::from_bytes(b).to_string(),
        Err(_) => id.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

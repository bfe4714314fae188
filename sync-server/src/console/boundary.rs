//! Grid boundaries (落图进格): an admin imports an area's boundary as GeoJSON
//! (`PUT /v1/console/admin/areas/{id}/boundary`, `DELETE` to remove it) and every console user
//! reads the boundaries of the areas under one area, within their scope
//! (`GET /v1/console/map/boundaries?area=ID`, a FeatureCollection whose features carry
//! `{id, name, level}`).
//!
//! Invariants: only a Feature or FeatureCollection of Polygon/MultiPolygon geometries is
//! accepted, with WGS 84 positions (longitude -180..180, latitude -90..90, finite), closed rings
//! of at least four positions, at most [`MAX_POINTS`] positions per area and a body of at most
//! [`MAX_BODY_BYTES`]; anything else is a typed error naming the field and changes nothing. What
//! is stored is one normalized MultiPolygon per area (properties and foreign members dropped).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use gridmate_domain::GridId;
use rusqlite::params;
use serde::Deserialize;
use serde_json::{Value, json};

use super::admin::ApiQuery;
use super::admin::catalogue::managed_area;
use super::admin::store::{Audit, audit};
use super::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::state::AppState;
use crate::storage::{SqliteStorage, StorageError};

/// The migration step of this module: the boundaries, and the target of an audit row.
pub const BOUNDARY_MIGRATION: &str = r#"
CREATE TABLE console_boundaries (
    area_id    TEXT    PRIMARY KEY REFERENCES areas (id) ON DELETE CASCADE,
    geometry   TEXT    NOT NULL,
    points     INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER NOT NULL
) STRICT;
ALTER TABLE console_audit ADD COLUMN target TEXT;
"#;

/// Largest boundary body (the intake's limit for the PUT route).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most positions in one area's boundary.
pub const MAX_POINTS: usize = 10_000;
/// The route whose body the intake lets grow to [`MAX_BODY_BYTES`].
pub const PUT_ROUTE: &str = "/v1/console/admin/areas/{id}/boundary";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PUT_ROUTE, put(put_boundary).delete(delete_boundary))
        .route("/v1/console/map/boundaries", get(boundaries))
}

async fn put_boundary(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    let area = managed_area(&state, &admin, &id).await?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let doc: Value = serde_json::from_slice(&body).map_err(|_| {
        ApiError::invalid(
            "invalid_json",
            "body",
            "边界不是有效的 JSON",
            "The boundary is not valid JSON",
        )
    })?;
    let polygons = parse_boundary(&doc)?;
    let points = polygons.iter().flatten().map(Vec::len).sum::<usize>();
    let geometry = json!({"type": "MultiPolygon", "coordinates": polygons}).to_string();
    let (db, now) = (state.db.clone(), state.clock.now());
    blocking(move || {
        let target = format!("area:{}", area.id);
        let a = Audit {
            actor: admin.user_id,
            action: "area.boundary",
            target: &target,
            at: now,
        };
        Ok(db.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO console_boundaries (area_id, geometry, points, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (area_id) DO UPDATE SET geometry = excluded.geometry,
                   points = excluded.points, updated_at = excluded.updated_at,
                   updated_by = excluded.updated_by",
                params![
                    area.id.as_str(),
                    geometry,
                    i64::try_from(points).unwrap_or(i64::MAX),
                    now.millis(),
                    admin.user_id.0
                ],
            )?;
            audit(&tx, &a)?;
            tx.commit()?;
            Ok::<_, StorageError>(())
        })?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn delete_boundary(
    State(state): State<AppState>,
    admin: ConsoleUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    admin.require_admin()?;
    let area = managed_area(&state, &admin, &id).await?;
    let (db, now) = (state.db.clone(), state.clock.now());
    blocking(move || {
        let target = format!("area:{}", area.id);
        let a = Audit {
            actor: admin.user_id,
            action: "area.boundary_delete",
            target: &target,
            at: now,
        };
        Ok(db.write(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM console_boundaries WHERE area_id = ?1",
                [area.id.as_str()],
            )?;
            audit(&tx, &a)?;
            tx.commit()?;
            Ok::<_, StorageError>(())
        })?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
pub struct AreaQuery {
    pub area: Option<String>,
}

async fn boundaries(
    State(state): State<AppState>,
    user: ConsoleUser,
    ApiQuery(q): ApiQuery<AreaQuery>,
) -> Result<Json<Value>, ApiError> {
    let under = match q.area.as_deref() {
        Some(raw) => Some(GridId::parse(raw.trim()).ok_or_else(|| {
            ApiError::invalid(
                "invalid_area",
                "area",
                "区域编号只能由 1-64 个小写字母、数字和“-”组成",
                "An area id is 1-64 characters of a-z, 0-9 and '-'",
            )
        })?),
        None => None,
    };
    let db = state.db.clone();
    let rows = blocking(move || Ok(stored(&db, &user.scope, under.as_ref())?)).await?;
    let features: Vec<Value> = rows
        .into_iter()
        .map(|(id, name, level, geometry)| {
            json!({
                "type": "Feature",
                "properties": {"id": id, "name": name, "level": level},
                "geometry": geometry,
            })
        })
        .collect();
    Ok(Json(
        json!({"type": "FeatureCollection", "features": features}),
    ))
}

/// The ids of the areas with a stored boundary.
pub fn outlined_areas(
    db: &SqliteStorage,
) -> Result<std::collections::BTreeSet<String>, StorageError> {
    db.read(|c| {
        let mut stmt = c.prepare_cached("SELECT area_id FROM console_boundaries")?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    })
}

/// (id, name, level, geometry) of the stored boundaries of areas in `scope` (and under `under`).
fn stored(
    db: &SqliteStorage,
    scope: &crate::scope::Scope,
    under: Option<&GridId>,
) -> Result<Vec<(String, String, String, Value)>, StorageError> {
    let (pred, mut binds) = scope.sql_predicate("b.area_id", 1);
    let mut sql = format!(
        "SELECT b.area_id, a.name, a.level, b.geometry FROM console_boundaries b \
         JOIN areas a ON a.id = b.area_id WHERE {pred}"
    );
    if let Some(u) = under {
        let n = binds.len() + 1;
        sql.push_str(&format!(
            " AND (b.area_id = ?{n} OR (b.area_id >= ?{} AND b.area_id < ?{}))",
            n + 1,
            n + 2
        ));
        binds.extend([u.as_str().to_owned(), format!("{u}-"), format!("{u}.")]);
    }
    sql.push_str(" ORDER BY b.area_id");
    db.read(|c| {
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(binds.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, level, g) = row?;
            let geometry = serde_json::from_str(&g)
                .map_err(|_| StorageError::Corrupt("boundary geometry".into()))?;
            out.push((id, name, level, geometry));
        }
        Ok(out)
    })
}

type Ring = Vec<[f64; 2]>;
type Polygon = Vec<Ring>;

fn bad(code: &'static str, field: &str, zh: &str, en: &str) -> ApiError {
    ApiError::invalid(code, field.to_owned(), zh, en)
}

/// The polygons of a boundary document (Feature or FeatureCollection), checked.
pub fn parse_boundary(doc: &Value) -> Result<Vec<Polygon>, ApiError> {
    let mut out = Vec::new();
    match doc.get("type").and_then(Value::as_str) {
        Some("Feature") => feature(doc, "", &mut out)?,
        Some("FeatureCollection") => {
            let features = doc
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    bad(
                        "invalid_geojson",
                        "features",
                        "缺少 features 数组",
                        "features must be an array",
                    )
                })?;
            for (i, f) in features.iter().enumerate() {
                feature(f, &format!("features[{i}]."), &mut out)?;
            }
        }
        _ => {
            return Err(bad(
                "invalid_geojson",
                "type",
                "须为 GeoJSON Feature 或 FeatureCollection",
                "Expected a GeoJSON Feature or FeatureCollection",
            ));
        }
    }
    if out.is_empty() {
        return Err(bad(
            "invalid_geojson",
            "features",
            "边界中没有多边形",
            "The boundary holds no polygon",
        ));
    }
    Ok(out)
}

fn feature(f: &Value, at: &str, out: &mut Vec<Polygon>) -> Result<(), ApiError> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(bad(
            "invalid_geojson",
            &format!("{at}type"),
            "须为 Feature",
            "Expected a Feature",
        ));
    }
    let g = f.get("geometry").filter(|g| g.is_object()).ok_or_else(|| {
        bad(
            "invalid_geojson",
            &format!("{at}geometry"),
            "缺少几何图形",
            "The feature has no geometry",
        )
    })?;
    let coords = g.get("coordinates");
    let at = format!("{at}geometry.coordinates");
    match g.get("type").and_then(Value::as_str) {
        Some("Polygon") => {
            let p = polygon(coords, &at, out)?;
            out.push(p);
        }
        Some("MultiPolygon") => {
            let list = coords.and_then(Value::as_array).ok_or_else(|| array(&at))?;
            for (i, p) in list.iter().enumerate() {
                let p = polygon(Some(p), &format!("{at}[{i}]"), out)?;
                out.push(p);
            }
        }
        _ => {
            return Err(bad(
                "unsupported_geometry",
                &at.replace("coordinates", "type"),
                "只接受 Polygon 或 MultiPolygon",
                "Only Polygon and MultiPolygon geometries are accepted",
            ));
        }
    }
    Ok(())
}

fn array(at: &str) -> ApiError {
    bad("invalid_geojson", at, "须为数组", "Expected an array")
}

/// One polygon's rings; `so_far` counts toward [`MAX_POINTS`].
fn polygon(v: Option<&Value>, at: &str, so_far: &[Polygon]) -> Result<Polygon, ApiError> {
    let rings = v.and_then(Value::as_array).ok_or_else(|| array(at))?;
    if rings.is_empty() {
        return Err(bad(
            "invalid_geojson",
            at,
            "多边形至少要有一个环",
            "A polygon needs at least one ring",
        ));
    }
    let mut count: usize = so_far.iter().flatten().map(Vec::len).sum();
    let mut out = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let at = format!("{at}[{r}]");
        let positions = ring.as_array().ok_or_else(|| array(&at))?;
        count += positions.len();
        if count > MAX_POINTS {
            return Err(bad(
                "too_many_points",
                &at,
                "一个区域的边界最多 10000 个点",
                "An area's boundary has at most 10,000 points",
            ));
        }
        let ring: Ring = positions
            .iter()
            .enumerate()
            .map(|(i, p)| position(p, &format!("{at}[{i}]")))
            .collect::<Result<_, _>>()?;
        if ring.len() < 4 || ring.first() != ring.last() {
            return Err(bad(
                "ring_not_closed",
                &at,
                "每个环至少 4 个点，且首尾相同",
                "Each ring needs at least 4 positions and must end where it starts",
            ));
        }
        out.push(ring);
    }
    Ok(out)
}

fn position(p: &Value, at: &str) -> Result<[f64; 2], ApiError> {
    let a = p
        .as_array()
        .filter(|a| (2..=3).contains(&a.len()))
        .ok_or_else(|| {
            bad(
                "invalid_position",
                at,
                "坐标须为 [经度, 纬度]",
                "A position is [longitude, latitude]",
            )
        })?;
    let num = |v: &Value| v.as_f64().filter(|f| f.is_finite());
    match (num(&a[0]), num(&a[1])) {
        (Some(lon), Some(lat))
            if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
        {
            Ok([lon, lat])
        }
        _ => Err(bad(
            "coordinate_out_of_range",
            at,
            "经度须在 -180 到 180 之间，纬度须在 -90 到 90 之间",
            "Longitude must be within -180..180 and latitude within -90..90",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn square(x: f64) -> Value {
        json!([[
            [x, 32.0],
            [x + 0.01, 32.0],
            [x + 0.01, 32.01],
            [x, 32.01],
            [x, 32.0]
        ]])
    }

    fn field_of(e: &ApiError) -> (&str, String) {
        match e {
            ApiError::InvalidField { code, field, .. } => (code, field.clone()),
            _ => ("", String::new()),
        }
    }

    #[test]
    fn features_and_collections_of_polygons_are_accepted() {
        let f = json!({"type": "Feature", "properties": {"名": 1},
                       "geometry": {"type": "Polygon", "coordinates": square(119.4)}});
        assert_eq!(parse_boundary(&f).unwrap().len(), 1);
        let fc = json!({"type": "FeatureCollection", "features": [f,
            {"type": "Feature", "geometry": {"type": "MultiPolygon",
             "coordinates": [square(119.5), square(119.6)]}}]});
        assert_eq!(parse_boundary(&fc).unwrap().len(), 3);
    }

    #[test]
    fn bad_boundaries_name_the_field() {
        let feat = |g: Value| json!({"type": "Feature", "geometry": g});
        let e = parse_boundary(&feat(json!({"type": "Point", "coordinates": [1, 2]}))).unwrap_err();
        assert_eq!(
            field_of(&e),
            ("unsupported_geometry", "geometry.type".into())
        );
        let open = json!([[[119.0, 32.0], [119.1, 32.0], [119.1, 32.1], [119.0, 32.1]]]);
        let e = parse_boundary(&feat(json!({"type": "Polygon", "coordinates": open}))).unwrap_err();
        assert_eq!(
            field_of(&e),
            ("ring_not_closed", "geometry.coordinates[0]".into())
        );
        let far = json!([[[119.0, 32.0], [219.1, 32.0], [119.1, 32.1], [119.0, 32.0]]]);
        let e = parse_boundary(&feat(json!({"type": "Polygon", "coordinates": far}))).unwrap_err();
        assert_eq!(
            field_of(&e),
            (
                "coordinate_out_of_range",
                "geometry.coordinates[0][1]".into()
            )
        );
        let e = parse_boundary(&json!({"type": "Polygon"})).unwrap_err();
        assert_eq!(field_of(&e), ("invalid_geojson", "type".into()));
        let fc = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": null}]});
        assert_eq!(
            field_of(&parse_boundary(&fc).unwrap_err()),
            ("invalid_geojson", "features[0].geometry".into())
        );
    }

    use proptest::prelude::*;

    /// A ring of `n` positions (closed when asked), some of them possibly out of range.
    fn ring_strategy() -> impl Strategy<Value = (Vec<(f64, f64)>, bool)> {
        (
            prop::collection::vec((-200.0f64..200.0, -100.0f64..100.0), 1..8),
            any::<bool>(),
        )
    }

    proptest! {
        #[test]
        fn a_boundary_is_accepted_exactly_when_every_ring_is_closed_and_in_range(
            rings in prop::collection::vec(ring_strategy(), 1..4),
        ) {
            let mut expect_ok = true;
            let coords: Vec<Value> = rings
                .iter()
                .map(|(pts, close)| {
                    let mut ring: Vec<Value> = pts.iter().map(|(x, y)| json!([x, y])).collect();
                    if *close {
                        ring.push(ring[0].clone());
                    }
                    let len = pts.len() + usize::from(*close);
                    let in_range = pts
                        .iter()
                        .all(|(x, y)| (-180.0..=180.0).contains(x) && (-90.0..=90.0).contains(y));
                    let closed = ring.first() == ring.last();
                    expect_ok &= in_range && closed && len >= 4;
                    Value::Array(ring)
                })
                .collect();
            let f = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": coords}});
            match parse_boundary(&f) {
                Ok(p) => {
                    prop_assert!(expect_ok);
                    prop_assert_eq!(p.len(), 1);
                    prop_assert_eq!(p[0].len(), rings.len());
                }
                Err(e) => {
                    prop_assert!(!expect_ok);
                    let (code, field) = field_of(&e);
                    prop_assert!(!code.is_empty());
                    prop_assert!(field.starts_with("geometry.coordinates["), "{}", field);
                }
            }
        }

        #[test]
        fn arbitrary_json_never_panics(s in "[\\[\\]{}\",:0-9a-zA-Z. -]{0,60}") {
            if let Ok(v) = serde_json::from_str::<Value>(&s) {
                let _ = parse_boundary(&v);
            }
        }
    }

    #[test]
    fn more_than_ten_thousand_points_are_refused() {
        let mut ring: Vec<Value> = (0..10_001)
            .map(|i| json!([119.0 + f64::from(i) * 1e-6, 32.0]))
            .collect();
        ring.push(json!([119.0, 32.0]));
        let f = json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}});
        assert_eq!(
            field_of(&parse_boundary(&f).unwrap_err()).0,
            "too_many_points"
        );
    }
}

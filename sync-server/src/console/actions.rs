//! Console actions (helper area `actions`): a dispatcher's workflow actions, field edits and
//! hotline intake, each an Automerge change of the record by the dispatcher's console actor,
//! logged through the sync push path, so phones receive it through sync like any other edit.
//!
//! - `POST /v1/console/cases/{id}/actions {action, details}`: an event of the closed loop;
//! - `PATCH /v1/console/cases/{id}`: a JSON merge patch of `dispute_category` (or `category`),
//!   `risk_level`, `summary`, `address`;
//! - `POST /v1/console/intake`: a dispute phoned in to the 12345 hotline.
//!
//! Invariants: dispatchers only (an admin never acts in the loop: 403 `forbidden`); a record that
//! is not a dispute of the user's areas is 404 `not_found`; input is parsed and judged by the
//! device's own domain functions, then again by the push path; each request is one IMMEDIATE
//! transaction (`commit`), and any error writes nothing.

mod act;
mod commit;
mod intake;
mod store;

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use gridmate_domain::RecordId;
use gridmate_domain::input::parse_action;
use serde_json::{Map, Value};

use crate::console::auth::ConsoleUser;
use crate::error::{ApiError, blocking};
use crate::json::ApiJson;
use crate::state::AppState;
pub use act::{ActAnswer, EditAnswer};
use commit::{Ctx, in_transaction};
pub use intake::{IntakeAnswer, IntakeForm, parse_form};
pub use store::{ACTIONS_MIGRATION, CONSOLE_DEVICE};

/// The fields a console edit may patch, by the name the request uses and the record's name.
const EDITABLE: [(&str, &str); 5] = [
    ("dispute_category", "dispute_category"),
    ("category", "dispute_category"),
    ("risk_level", "risk_level"),
    ("summary", "summary"),
    ("address", "address"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/console/cases/{id}/actions", post(act_on))
        .route("/v1/console/cases/{id}", axum::routing::patch(edit))
        .route("/v1/console/intake", post(intake_form))
}

async fn act_on(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<ActAnswer>, ApiError> {
    user.require_dispatcher()?;
    let id = record_id(&id)?;
    let req = parse_action(body).map_err(|e| act::first(&e.0))?;
    let (db, ctx) = (state.db.clone(), ctx(&state, &user));
    let answer = blocking(move || in_transaction(&db, |tx| act::act(tx, &ctx, id, req))).await?;
    tracing::info!(user = user.user_id.0, action = %answer.event.action, "console action");
    Ok(Json(answer))
}

async fn edit(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<EditAnswer>, ApiError> {
    user.require_dispatcher()?;
    let id = record_id(&id)?;
    let patch = editable_patch(body)?;
    let (db, ctx) = (state.db.clone(), ctx(&state, &user));
    // Field errors name the record's field (`dispute_category` for the alias `category`).
    let answer =
        blocking(move || in_transaction(&db, |tx| act::edit(tx, &ctx, id, &patch))).await?;
    tracing::info!(
        user = user.user_id.0,
        changed = answer.changed,
        "console edit"
    );
    Ok(Json(answer))
}

async fn intake_form(
    State(state): State<AppState>,
    user: ConsoleUser,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<IntakeAnswer>, ApiError> {
    user.require_dispatcher()?;
    let form = parse_form(body)?;
    let (db, ctx) = (state.db.clone(), ctx(&state, &user));
    let answer = blocking(move || in_transaction(&db, |tx| intake::intake(tx, &ctx, form))).await?;
    tracing::info!(
        user = user.user_id.0,
        created = answer.created,
        "console hotline intake"
    );
    Ok(Json(answer))
}

fn ctx(state: &AppState, user: &ConsoleUser) -> Ctx {
    Ctx::of(user, state.config.held.clone(), state.clock.now())
}

/// A record id in a path: anything but a UUID names no record.
fn record_id(s: &str) -> Result<RecordId, ApiError> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// The edit as a merge patch of the record's own field names; any other key is `unknown_field`.
fn editable_patch(body: Value) -> Result<Value, ApiError> {
    let Value::Object(obj) = body else {
        return Err(ApiError::invalid(
            "invalid_json",
            "",
            "修改内容必须是一个 JSON 对象",
            "a patch must be a JSON object",
        ));
    };
    let mut patch = Map::new();
    for (k, v) in obj {
        let Some((_, field)) = EDITABLE.iter().find(|(name, _)| *name == k) else {
            return Err(ApiError::invalid(
                "unknown_field",
                k,
                "该字段不能在控制台修改",
                "this field cannot be edited in the console",
            ));
        };
        if patch.insert((*field).to_owned(), v).is_some() {
            return Err(ApiError::invalid(
                "invalid_value",
                k,
                "同一字段给出了两次",
                "the same field was given twice",
            ));
        }
    }
    Ok(Value::Object(patch))
}

//! `/v1/console/session`: sign in (POST), who am I (GET), sign out (DELETE).
//!
//! Sign-in takes the same slow-down as the app's login (`crate::auth::throttle`, per address and
//! per (user, address), blocked attempts refused before any password work) and costs one argon2
//! verification for unknown names too. Only after the password is proven right is a grid worker
//! or legal volunteer told `console_role_refused`, or a disabled user `user_disabled`.
//!
//! Invariants: the session token exists only in the `Set-Cookie` header of the answer; the CSRF
//! token only in answers to the session's own user; signing out deletes the session at the server
//! and clears the cookie.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::{Deserialize, Serialize};

use super::auth::{COOKIE_NAME, ConsoleUser, may_use_console};
use super::store::ConsoleStore;
use crate::auth::{ClientIp, ThrottleKey, password, token};
use crate::error::{ApiError, blocking};
use crate::json::ApiJson;
use crate::model::{Role, normalize_user_name};
use crate::state::AppState;

/// Longest accepted password (as the app's login).
const MAX_PASSWORD_BYTES: usize = 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/v1/console/session",
        post(sign_in).get(whoami).delete(sign_out),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub user: String,
    pub password: String,
}

// Hand-written so that a stray `?req` in a log line cannot print the password.
impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn").finish_non_exhaustive()
    }
}

/// Who is signed in, and the CSRF token the page sends back in `X-CSRF-Token`.
#[derive(Debug, Serialize)]
pub struct SessionInfo {
    pub user: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub scope: crate::scope::Scope,
    pub unit: Option<String>,
    pub csrf: String,
}

async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SignIn>,
) -> Result<Response, ApiError> {
    if req.password.is_empty() || req.password.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::InvalidCredentials);
    }
    let name = normalize_user_name(&req.user);
    let user_key = ThrottleKey::user_at(name.as_deref().unwrap_or("<invalid>"), ip);
    let mut keys = vec![user_key.clone()];
    keys.extend(ip.map(ThrottleKey::ip));
    if let Err(retry_after_secs) = state.throttle.check(&keys, state.clock.now()) {
        return Err(ApiError::TooManyAttempts { retry_after_secs });
    }
    let accounts = state.accounts.clone();
    let record = blocking(move || match name {
        Some(n) => Ok(accounts.user_for_login(&n)?),
        None => Ok(None),
    })
    .await?;
    let password = req.password;
    let stored = record.as_ref().map(|r| r.password_hash.clone());
    let ok = state
        .hash_pool
        .run(move || match stored {
            Some(hash) => password::verify_password(&password, &hash),
            None => password::verify_dummy(&password),
        })
        .await?;
    let now = state.clock.now();
    let record = match (ok, record) {
        (true, Some(r)) => r,
        _ => {
            state.throttle.record_failure(&keys, now);
            tracing::info!("console sign-in failed: invalid credentials");
            return Err(ApiError::InvalidCredentials);
        }
    };
    state
        .throttle
        .record_success(std::slice::from_ref(&user_key));
    tracing::Span::current().record("user_id", record.profile.id.0);
    if record.disabled {
        return Err(ApiError::UserDisabled);
    }
    if !may_use_console(record.profile.role) {
        return Err(ApiError::ConsoleRoleRefused);
    }
    let session = token::generate();
    let csrf = token::generate().token;
    let (db, user_id, hash, c) = (
        state.db.clone(),
        record.profile.id,
        session.hash,
        csrf.clone(),
    );
    let (idle_cutoff, absolute_cutoff) = state.config.console_sessions.cutoffs(now);
    blocking(move || {
        // Dead sessions are forgotten at each sign-in, so the table holds only live ones (plus
        // those that died since the last sign-in) and cannot grow without bound.
        db.purge_sessions(idle_cutoff, absolute_cutoff)?;
        Ok(db.create_session(user_id, &hash, &c, now)?)
    })
    .await?;
    tracing::info!("console sign-in succeeded");
    let p = record.profile;
    let info = SessionInfo {
        user: p.name,
        display_name: p.display_name,
        role: p.role,
        scope: p.scope,
        unit: p.unit,
        csrf,
    };
    let cookie = cookie(&state, &session.token, None);
    let mut response = Json(info).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

async fn whoami(
    State(state): State<AppState>,
    user: ConsoleUser,
) -> Result<Json<SessionInfo>, ApiError> {
    let db = state.db.clone();
    let id = user.session_id;
    // The CSRF token is read back from the session row: the page may have been reloaded.
    let csrf = blocking(move || db.session_csrf(id)?.ok_or(ApiError::Unauthorized)).await?;
    Ok(Json(SessionInfo {
        user: user.user_name,
        display_name: user.display_name,
        role: user.role,
        scope: user.scope,
        unit: user.unit,
        csrf,
    }))
}

async fn sign_out(State(state): State<AppState>, user: ConsoleUser) -> Result<Response, ApiError> {
    let db = state.db.clone();
    let id = user.session_id;
    blocking(move || Ok(db.drop_session(id)?)).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, cookie(&state, "", Some(0)));
    Ok(response)
}

/// The `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure when the server speaks TLS.
/// `max_age` Some(0) clears it; None makes it a browser-session cookie (the server expires it).
fn cookie(state: &AppState, value: &str, max_age: Option<u32>) -> HeaderValue {
    let mut c = format!("{COOKIE_NAME}={value}; HttpOnly; SameSite=Strict; Path=/");
    if state.config.console_secure_cookie {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    // Tokens are base64url: always a valid header value.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("gm_console=; Max-Age=0"))
}

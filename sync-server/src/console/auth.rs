//! The console's identity: [`ConsoleUser`], extracted from the session cookie, and the checks
//! every console request passes through.
//!
//! Invariants, in the order they are checked:
//! - no cookie, an unknown token, an idle (30 min by default) or too old (12 h) session, a
//!   disabled user, or a user whose role is no longer dispatcher/admin → 401 `unauthorized`
//!   (an expired or invalid session is deleted);
//! - an unsafe method (anything but GET/HEAD) without an `X-CSRF-Token` header equal to the
//!   session's CSRF token → 403 `csrf_failed`, before the handler runs;
//! - only then is the session's activity recorded (at most once a minute).
//!
//! The cookie is HttpOnly and SameSite=Strict, so script on another site can neither read it nor
//! make the browser send it; the CSRF header is the second lock for same-site requests.

use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use gridmate_domain::Timestamp;

use super::store::{ConsoleStore, StoredSession};
use crate::auth::token;
use crate::error::{ApiError, blocking};
use crate::model::{Role, UserId};
use crate::scope::Scope;
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "gm_console";
/// The header an unsafe request carries the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How stale `last_seen_at` may get before a request writes it again.
const TOUCH_RESOLUTION_MS: i64 = 60_000;

/// How long console sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Without a request for this long, the session ends.
    pub idle: Duration,
    /// Whatever the activity, the session ends this long after sign-in.
    pub absolute: Duration,
}

pub const DEFAULT_IDLE_MINUTES: u32 = 30;
pub const DEFAULT_ABSOLUTE_HOURS: u32 = 12;

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            idle: Duration::from_secs(u64::from(DEFAULT_IDLE_MINUTES) * 60),
            absolute: Duration::from_secs(u64::from(DEFAULT_ABSOLUTE_HOURS) * 3600),
        }
    }
}

impl SessionLimits {
    /// The (idle, absolute) cutoffs at `now`: a session last seen before the first or started
    /// before the second is dead and may be forgotten.
    pub fn cutoffs(&self, now: Timestamp) -> (Timestamp, Timestamp) {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        (
            now.plus_millis(-ms(self.idle)),
            now.plus_millis(-ms(self.absolute)),
        )
    }

    /// Whether a session is still alive at `now`.
    pub fn alive(&self, s: &StoredSession, now: Timestamp) -> bool {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        now.millis().saturating_sub(s.last_seen_at) < ms(self.idle)
            && now.millis().saturating_sub(s.created_at) < ms(self.absolute)
    }
}

/// A signed-in console user (dispatcher or admin). Take it as a handler argument to require a
/// live session (and, for unsafe methods, the CSRF header).
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    pub user_id: UserId,
    /// The login name. Personal data: do not log it.
    pub user_name: String,
    /// Personal data too: do not log it.
    pub display_name: Option<String>,
    pub role: Role,
    pub scope: Scope,
    /// The unit the user acts for, if any.
    pub unit: Option<String>,
    pub session_id: i64,
}

impl ConsoleUser {
    /// Admin-only routes: anyone else gets 403 `forbidden`.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        (self.role == Role::Admin)
            .then_some(())
            .ok_or(ApiError::Forbidden)
    }

    /// Routes that act in the dispute loop: only dispatchers (an admin never acts in it).
    pub fn require_dispatcher(&self) -> Result<(), ApiError> {
        (self.role == Role::Dispatcher)
            .then_some(())
            .ok_or(ApiError::Forbidden)
    }
}

/// Whether a role may use the console at all.
pub fn may_use_console(role: Role) -> bool {
    matches!(role, Role::Dispatcher | Role::Admin)
}

impl<S> FromRequestParts<S> for ConsoleUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(known) = parts.extensions.get::<Self>() {
            return Ok(known.clone());
        }
        let state = AppState::from_ref(state);
        let hash = session_token(&parts.headers)
            .and_then(token::hash_token)
            .ok_or(ApiError::Unauthorized)?;
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD);
        let csrf = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let now = state.clock.now();
        let limits = state.config.console_sessions;
        let (db, accounts) = (state.db.clone(), state.accounts.clone());
        let user = blocking(move || {
            let Some(session) = db.session(&hash)? else {
                return Err(ApiError::Unauthorized);
            };
            if !limits.alive(&session, now) {
                db.drop_session(session.id)?;
                return Err(ApiError::Unauthorized);
            }
            let user = match accounts.user_by_name(&session.user_name)? {
                Some(u) if !u.disabled && may_use_console(u.profile.role) => u,
                _ => {
                    db.drop_session(session.id)?;
                    return Err(ApiError::Unauthorized);
                }
            };
            if unsafe_method && !csrf_matches(csrf.as_deref(), &session.csrf) {
                return Err(ApiError::CsrfFailed);
            }
            if now.millis() - session.last_seen_at >= TOUCH_RESOLUTION_MS {
                db.touch_session(session.id, now)?;
            }
            let p = user.profile;
            Ok(ConsoleUser {
                user_id: p.id,
                user_name: p.name,
                display_name: p.display_name,
                role: p.role,
                scope: p.scope,
                unit: p.unit,
                session_id: session.id,
            })
        })
        .await?;
        tracing::Span::current().record("user_id", user.user_id.0);
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

/// The session token from the `Cookie` header(s), if any.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.trim())
}

/// Compares in time independent of where the strings differ (a timing side channel must not
/// reveal the token byte by byte).
fn csrf_matches(given: Option<&str>, expected: &str) -> bool {
    let Some(given) = given else { return false };
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("a=1; gm_console=gm1_x ; b=2"),
        );
        assert_eq!(session_token(&h), Some("gm1_x"));
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("gm_consolex=1"));
        assert_eq!(session_token(&h), None);
    }

    #[test]
    fn csrf_needs_the_exact_token() {
        assert!(csrf_matches(Some("abc"), "abc"));
        assert!(!csrf_matches(Some("abd"), "abc"));
        assert!(!csrf_matches(Some("ab"), "abc"));
        assert!(!csrf_matches(None, "abc"));
    }

    #[test]
    fn a_session_dies_when_idle_or_old() {
        let l = SessionLimits::default();
        let s = StoredSession {
            id: 1,
            user_id: UserId(1),
            user_name: "a".into(),
            csrf: "c".into(),
            created_at: 0,
            last_seen_at: 10 * 3600 * 1000,
        };
        let at = |ms| Timestamp::from_millis(ms).unwrap();
        assert!(l.alive(&s, at(10 * 3600 * 1000 + 29 * 60 * 1000)));
        assert!(!l.alive(&s, at(10 * 3600 * 1000 + 30 * 60 * 1000)));
        let s = StoredSession {
            last_seen_at: 12 * 3600 * 1000 - 1,
            ..s
        };
        assert!(!l.alive(&s, at(12 * 3600 * 1000)));
    }
}

//! Request extractors for identity: [`AuthContext`] (who is calling, from the bearer token) and
//! [`ClientIp`] (from where, for throttling).
//!
//! Invariants: a token is refused, in this order, when it is missing/malformed/unknown
//! (`unauthorized`), its device is revoked (`device_revoked`), its user is disabled
//! (`user_disabled`), or it has expired (`unauthorized`). Revocation is reported before expiry so
//! that a lost phone learns it was revoked and can wipe its local data. The authenticated user id
//! is recorded on the current request span; names and tokens never are.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use gridmate_domain::LegalRole;
use uuid::Uuid;

use super::token;
use crate::error::{ApiError, blocking};
use crate::model::{Role, UserId};
use crate::scope::Scope;
use crate::state::AppState;

/// How stale `last_seen_at` may get before a request writes it again; avoids one write per request.
const LAST_SEEN_RESOLUTION_MS: i64 = 60_000;

/// The authenticated caller. Take it as a handler argument to require a valid token.
#[derive(Debug, Clone)]
pub struct AuthContext {
    pub user_id: UserId,
    /// The login name. Personal data: do not log it.
    pub user_name: String,
    /// Personal data too: do not log it.
    pub display_name: Option<String>,
    pub role: Role,
    pub legal_role: Option<LegalRole>,
    pub scope: Scope,
    /// The unit the user acts for, if any.
    pub unit: Option<String>,
    pub device_id: Uuid,
    /// The storage key of the token this request came with (logout and rotation act on it).
    pub token_hash: TokenHash,
}

/// A token's SHA-256, kept out of `Debug` output like the token itself.
#[derive(Clone, Copy)]
pub struct TokenHash(pub [u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(<redacted>)")
    }
}

impl<S> FromRequestParts<S> for AuthContext
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Already checked for this request (the intake authenticates sync before its body).
        if let Some(known) = parts.extensions.get::<Self>() {
            return Ok(known.clone());
        }
        let state = AppState::from_ref(state);
        let hash = bearer_token(parts)
            .and_then(token::hash_token)
            .ok_or(ApiError::Unauthorized)?;
        let now = state.clock.now();
        let accounts = state.accounts.clone();
        let token_hash = TokenHash(hash);
        let session = blocking(move || {
            let Some(session) = accounts.session_by_token_hash(&hash)? else {
                return Err(ApiError::Unauthorized);
            };
            let stale = session
                .last_seen_at
                .is_none_or(|t| now.millis() - t.millis() >= LAST_SEEN_RESOLUTION_MS);
            if stale
                && !session.device_revoked
                && !session.user_disabled
                && session.expires_at > now
            {
                accounts.touch_device(session.device_id, now)?;
            }
            Ok(session)
        })
        .await?;
        if session.device_revoked {
            return Err(ApiError::DeviceRevoked);
        }
        if session.user_disabled {
            return Err(ApiError::UserDisabled);
        }
        if session.expires_at <= now {
            return Err(ApiError::Unauthorized);
        }
        let p = session.profile;
        tracing::Span::current().record("user_id", p.id.0);
        Ok(Self {
            user_id: p.id,
            user_name: p.name,
            display_name: p.display_name,
            role: p.role,
            legal_role: p.legal_role,
            scope: p.scope,
            unit: p.unit,
            device_id: session.device_id,
            token_hash,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The client's address: the TCP peer, or with `trust_forwarded_for` the address the reverse proxy
/// reports. `None` when neither is known (e.g. in-process tests without connect info).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S> FromRequestParts<S> for ClientIp
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // The extractor (unlike a bare extension lookup) also honours `MockConnectInfo` in tests.
        let peer = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .ok()
            .map(|c| c.0.ip());
        if AppState::from_ref(state).config.trust_forwarded_for {
            // The proxy appends the address it saw to the right; everything to the left of it was
            // written by the client and can be forged. So only the last entry is trusted.
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if forwarded.is_some() {
                return Ok(Self(forwarded));
            }
        }
        Ok(Self(peer))
    }
}
